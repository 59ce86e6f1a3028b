/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Reading the spool back: dot-stuffed chunks for DATA, the same bytes
 * unchanged for BDAT, and the envelope
 * address check that keeps CR, LF and NUL out of SMTP commands.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool_int.h"
#include "xalloc.h"

/* spool_stuff - copy n bytes to out, doubling a '.' that starts a line */
static size_t
spool_stuff(char *out, const char *in, size_t n, bool *bol)
{
	const char *nl;
	size_t i = 0, j, olen = 0;

	while (i < n) {
		if (*bol && in[i] == '.')
			out[olen++] = '.';
		nl = memchr(in + i, '\n', n - i);
		j = nl != NULL ? (size_t)(nl - in) + 1 : n;
		memcpy(out + olen, in + i, j - i);
		olen += j - i;
		*bol = nl != NULL;
		i = j;
	}
	return olen;
}

/* spool_stuffed - write len bytes of content dot-stuffed (mime_out_fn) */
enum sd_status
spool_stuffed(void *arg, const char *buf, size_t len, struct why *why)
{
	struct spool_stuffer *w = arg;
	enum sd_status st = SD_OK;
	size_t n;

	while (st == SD_OK && len > 0) {
		n = len < SPOOL_CHUNK ? len : SPOOL_CHUNK;
		if (w->raw)
			st = w->fn(w->ctx, buf, n, why);
		else
			st = w->fn(w->ctx, w->out,
			    spool_stuff(w->out, buf, n, &w->bol), why);
		buf += n;
		len -= n;
	}
	return st;
}

/* spool_each - every chunk of the content to fn, from the start */
enum sd_status
spool_each(struct spool *sp, mime_out_fn fn, void *ctx, struct why *why)
{
	char *in = xmalloc(SPOOL_CHUNK);
	enum sd_status st = SD_OK;
	unsigned long long off = 0;
	ssize_t n;

	/* The file may go on past the message (spool.c, spool_spare). */
	while (st == SD_OK && off < sp->size) {
		size_t want = sp->size - off < SPOOL_CHUNK
		    ? (size_t)(sp->size - off)
		    : SPOOL_CHUNK;

		n = pread(sp->fd, in, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			why_set(why, "4.3.0", "read spool file: %s",
			    n < 0 ? strerror(errno)
			          : "ends before the message");
			st = SD_TEMP;
			break;
		}
		off += (unsigned long long)n;
		st = fn(ctx, in, (size_t)n, why);
	}
	free(in);
	return st;
}

/* spool_stream - hand the content, dot-stuffed, to a writer */
enum sd_status
spool_stream(struct spool *sp, spool_write_fn fn, void *ctx, struct why *why)
{
	struct spool_stuffer w = {
	    fn, ctx, true, false, xmalloc(2 * SPOOL_CHUNK)};
	enum sd_status st;

	st = spool_each(sp, spool_stuffed, &w, why);
	free(w.out);
	return st;
}

/* spool_stream_raw - hand the content as it is to a writer (BDAT) */
enum sd_status
spool_stream_raw(
    struct spool *sp, spool_write_fn fn, void *ctx, struct why *why)
{
	return spool_each(sp, fn, ctx, why);
}

/* spool_ctl_name - name a control character for a reason text */
static const char *
spool_ctl_name(unsigned char c, char *buf, size_t size)
{
	switch (c) {
	case '\r':
		return "CR";
	case '\n':
		return "LF";
	case '\0':
		return "NUL";
	default:
		snprintf(buf, size, "0x%02x", c);
		return buf;
	}
}

/* spool_addr_check - refuse addresses that would break a command */
enum sd_status
spool_addr_check(const char *addr, size_t len, bool is_sender, struct why *why)
{
	const char *dsn = is_sender ? "4.1.7" : "4.1.3";
	const char *what = is_sender ? "sender" : "recipient";
	char clean[128], cbuf[8];
	size_t i;

	why_printable(clean, sizeof(clean), addr, len);
	if (len > SPOOL_ADDR_MAX) {
		why_set(why, dsn, "%s address <%s> is longer than %d bytes",
		    what, clean, SPOOL_ADDR_MAX);
		return SD_TEMP;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];

		if (c < 0x20 || c == 0x7f) {
			why_set(why, dsn,
			    "%s address <%s> contains a control character "
			    "(%s); not sent",
			    what, clean, spool_ctl_name(c, cbuf, sizeof(cbuf)));
			return SD_TEMP;
		}
	}
	return SD_OK;
}
