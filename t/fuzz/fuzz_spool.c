/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the message reader and the dot-stuffer (spool.h). The
 * input is a message as an MTA pipes it. What spool_stream() sends is
 * compared byte for byte with what a plain model of RFC 5321 section
 * 4.5.2 and spool.h says it must be: lines end in CRLF (LF, CRLF and a
 * CR at the very end of input end a line; any other CR is content), a
 * last line without an end gets one, X-SMTPDirect-* fields and their
 * continuation lines leave the header block, a line starting with '.'
 * gets one more. spool_size() must be the size before stuffing, and
 * spool_header() must find as many TLS-Required fields as the model's
 * header block holds.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "sbuf.h"
#include "spool.h"

/* fuzz_spool_put - collect what the spool streams */
static enum sd_status
fuzz_spool_put(void *ctx, const char *buf, size_t len, struct why *why)
{
	(void)why;
	sbuf_append(ctx, buf, len);
	return SD_OK;
}

/* fuzz_spool_line - the next input line: start, content length, next */
static size_t
fuzz_spool_line(const uint8_t *d, size_t size, size_t at, size_t *len)
{
	size_t i;

	for (i = at; i < size; i++) {
		if (d[i] == '\n') {
			*len = i > at && d[i - 1] == '\r' ? i - 1 - at : i - at;
			return i + 1;
		}
	}
	*len = size > at && d[size - 1] == '\r' ? size - 1 - at : size - at;
	return size;
}

/* fuzz_spool_model - the wire form the spool must produce, unstuffed */
static void
fuzz_spool_model(const uint8_t *d, size_t size, struct sbuf *out)
{
	static const char prefix[] = SPOOL_HDR_PREFIX;
	size_t plen = sizeof(prefix) - 1, at = 0, len, next;
	bool header = true, dropping = false;
	const char *line;

	while (at < size) {
		next = fuzz_spool_line(d, size, at, &len);
		line = (const char *)d + at;
		if (header && len == 0) {
			header = false;
		} else if (header) {
			if (line[0] != ' ' && line[0] != '\t')
				dropping = len >= plen &&
				    strncasecmp(line, prefix, plen) == 0;
			if (dropping) {
				at = next;
				continue;
			}
		}
		sbuf_append(out, line, len);
		sbuf_append(out, "\r\n", 2);
		at = next;
	}
}

/* fuzz_spool_stuff - dot-stuff a wire form */
static void
fuzz_spool_stuff(const struct sbuf *in, struct sbuf *out)
{
	size_t i;
	bool bol = true;

	for (i = 0; i < in->len; i++) {
		if (bol && in->data[i] == '.')
			sbuf_putc(out, '.');
		sbuf_putc(out, in->data[i]);
		bol = in->data[i] == '\n';
	}
}

/* fuzz_spool_count - header fields named TLS-Required in a wire form */
static int
fuzz_spool_count(const struct sbuf *wire)
{
	static const char name[] = "tls-required:";
	const char *p = wire->data, *end = wire->data + wire->len, *eol;
	int n = 0;

	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL || eol == p)
			break;
		if ((size_t)(eol - p) >= sizeof(name) - 1 &&
		    strncasecmp(p, name, sizeof(name) - 1) == 0)
			n++;
		p = eol + 2;
	}
	return n;
}

/* fuzz_spool_header - spool_header() against the count of the model */
static void
fuzz_spool_header(struct spool *sp, const struct sbuf *wire)
{
	char val[8];
	struct why why;
	int n = spool_header(sp, "TLS-Required", val, sizeof(val), &why);

	if (n < 0)
		fuzz_fail("spool_header: %s", why.text);
	if (memchr(val, '\0', sizeof(val)) == NULL)
		fuzz_fail("spool_header: value not terminated");
	if (wire->len <= SPOOL_HDR_SCAN && n != fuzz_spool_count(wire))
		fuzz_fail("spool_header: %d fields, model %d", n,
		    fuzz_spool_count(wire));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf got, wire, want;
	struct spool *sp = NULL;
	struct why why;
	int fd = fuzz_memfd(data, size);

	if (spool_open(&sp, fd, NULL, &why) != SD_OK)
		fuzz_fail("spool_open: %s", why.text);
	close(fd);
	sbuf_init(&got);
	sbuf_init(&wire);
	sbuf_init(&want);
	if (spool_stream(sp, fuzz_spool_put, &got, &why) != SD_OK)
		fuzz_fail("spool_stream: %s", why.text);
	fuzz_spool_model(data, size, &wire);
	fuzz_spool_stuff(&wire, &want);
	if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
		fuzz_fail("stuffed output differs from the model (%zu bytes, "
		          "model %zu)",
		    got.len, want.len);
	if (spool_size(sp) != wire.len)
		fuzz_fail(
		    "spool_size %llu, model %zu", spool_size(sp), wire.len);
	fuzz_spool_header(sp, &wire);
	spool_close(sp);
	sbuf_fini(&got);
	sbuf_fini(&wire);
	sbuf_fini(&want);
	return 0;
}
