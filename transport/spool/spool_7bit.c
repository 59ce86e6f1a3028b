/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The content streamed through the 8-bit downgrade (spool.h,
 * spool_stream_7bit; mime.h). A file of its own: the front links
 * spool_stream.c for spool_addr_check() and needs none of this.
 */

#include <stdlib.h>

#include "spool_int.h"
#include "xalloc.h"

/* spool_mime_feed - a chunk of the content into the converter */
static enum sd_status
spool_mime_feed(void *ctx, const char *buf, size_t len, struct why *why)
{
	return mime_down_feed(ctx, buf, len, why);
}

/* spool_stream_7bit - the same, 8-bit content made 7-bit (mime.h) */
enum sd_status
spool_stream_7bit(struct spool *sp, bool raw, spool_write_fn fn, void *ctx,
    struct mime_down_stats *stats, struct why *why)
{
	struct spool_stuffer w = {
	    fn, ctx, true, raw, raw ? NULL : xmalloc(2 * SPOOL_CHUNK)};
	struct mime_down *m = mime_down_new(spool_stuffed, &w);
	enum sd_status st;

	st = spool_each(sp, spool_mime_feed, m, why);
	if (st == SD_OK)
		st = mime_down_end(m, why);
	if (stats != NULL)
		mime_down_get_stats(m, stats);
	mime_down_free(m);
	free(w.out);
	return st;
}
