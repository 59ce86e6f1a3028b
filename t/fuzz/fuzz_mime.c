/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the 8-bit downgrade (mime.h). The input is a message;
 * its first byte says where to cut it into pieces. Checked: the output
 * does not depend on how the input is cut (fed whole, and in pieces of
 * 1 to 256 bytes), and a message with no 8-bit byte that declares no
 * 8bit or binary encoding comes out exactly as it went in (line ends
 * made CRLF, as the spool stores them).
 */

#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "mime.h"
#include "sbuf.h"

/* fuzz_mime_put - collect the output */
static enum sd_status
fuzz_mime_put(void *ctx, const char *buf, size_t len, struct why *why)
{
	(void)why;
	sbuf_append(ctx, buf, len);
	return SD_OK;
}

/* fuzz_mime_run - convert in pieces of step bytes (0: whole) */
static void
fuzz_mime_run(const uint8_t *d, size_t n, size_t step, struct sbuf *out)
{
	struct mime_down *m = mime_down_new(fuzz_mime_put, out);
	struct why why;
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = step == 0 || n - i < step ? n - i : step;
		(void)mime_down_feed(m, (const char *)d + i, k, &why);
	}
	(void)mime_down_end(m, &why);
	mime_down_free(m);
}

/* fuzz_mime_plain - no 8-bit byte, no 8bit or binary anywhere */
static bool
fuzz_mime_plain(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i] & 0x80)
			return false;
		if ((n - i >= 4 &&
		        strncasecmp((const char *)d + i, "8bit", 4) == 0) ||
		    (n - i >= 6 &&
		        strncasecmp((const char *)d + i, "binary", 6) == 0))
			return false;
	}
	return true;
}

/* fuzz_mime_wire - the input with CRLF line ends and a last one */
static void
fuzz_mime_wire(const uint8_t *d, size_t n, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r'))
			sbuf_putc(out, '\r');
		sbuf_putc(out, (char)d[i]);
	}
	if (n > 0 && d[n - 1] != '\n')
		sbuf_append(out, "\r\n", 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf whole, cut, wire;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	data++, size--;
	sbuf_init(&whole);
	sbuf_init(&cut);
	sbuf_init(&wire);
	fuzz_mime_run(data, size, 0, &whole);
	fuzz_mime_run(data, size, step, &cut);
	if (whole.len != cut.len ||
	    memcmp(whole.data, cut.data, whole.len) != 0)
		fuzz_fail("output depends on the cut (%zu-byte pieces)", step);
	if (fuzz_mime_plain(data, size)) {
		fuzz_mime_wire(data, size, &wire);
		if (wire.len != whole.len ||
		    memcmp(wire.data, whole.data, wire.len) != 0)
			fuzz_fail(
			    "a 7-bit message changed (%zu bytes in, %zu out)",
			    wire.len, whole.len);
	}
	sbuf_fini(&whole);
	sbuf_fini(&cut);
	sbuf_fini(&wire);
	return 0;
}
