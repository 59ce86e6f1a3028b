/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * spool_hdr: a header field of a spooled message, read back from the
 * spool file (spool.h).
 */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sbuf.h"
#include "spool_int.h"

/* spool_hdr_block - the header block, as far as SPOOL_HDR_SCAN */
static bool
spool_hdr_block(struct spool *sp, struct sbuf *hdr, struct why *why)
{
	char buf[SPOOL_CHUNK];
	unsigned long long off = 0, end = sp->hdr_len;
	size_t want;
	ssize_t n;

	if (end > SPOOL_HDR_SCAN)
		end = SPOOL_HDR_SCAN;
	while (off < end) {
		want =
		    end - off < sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
		n = pread(sp->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			why_set(why, "4.3.0", "read spool file: %s",
			    n < 0 ? strerror(errno) : "unexpected end");
			return false;
		}
		sbuf_append(hdr, buf, (size_t)n);
		off += (unsigned long long)n;
	}
	return true;
}

/* spool_hdr_value - append value bytes: unfolded, leading space left out */
static void
spool_hdr_value(
    char *val, size_t size, size_t *len, const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '\r' || *p == '\n' ||
		    (*len == 0 && (*p == ' ' || *p == '\t')))
			continue;
		if (*len + 1 < size)
			val[(*len)++] = *p;
	}
}

/* spool_hdr_trim - the value without trailing white space */
static void
spool_hdr_trim(char *val, size_t len)
{
	while (len > 0 && (val[len - 1] == ' ' || val[len - 1] == '\t'))
		len--;
	val[len] = '\0';
}

/* spool_header - how many fields named name; the first one's value */
int
spool_header(
    struct spool *sp, const char *name, char *val, size_t size, struct why *why)
{
	struct sbuf hdr;
	const char *p, *end, *eol, *colon;
	size_t nlen = strlen(name), len = 0;
	bool in_first = false;
	int count = 0;

	if (size > 0)
		val[0] = '\0';
	sbuf_init(&hdr);
	if (!spool_hdr_block(sp, &hdr, why)) {
		sbuf_fini(&hdr);
		return -1;
	}
	p = hdr.data;
	end = hdr.data + hdr.len;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL)
			eol = end; /* the last line, or cut at SPOOL_HDR_SCAN */
		if (*p == ' ' || *p == '\t') {
			if (in_first)
				spool_hdr_value(val, size, &len, p, eol);
		} else {
			in_first = false;
			colon = memchr(p, ':', (size_t)(eol - p));
			if (colon != NULL && (size_t)(colon - p) == nlen &&
			    strncasecmp(p, name, nlen) == 0 && ++count == 1) {
				in_first = true;
				spool_hdr_value(
				    val, size, &len, colon + 1, eol);
			}
		}
		p = eol < end ? eol + 2 : end;
	}
	sbuf_fini(&hdr);
	if (size > 0)
		spool_hdr_trim(val, len);
	return count;
}
