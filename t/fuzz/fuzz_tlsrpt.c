/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: TLS reporting's parsers (tlsrpt.h). The first byte
 * chooses: even, the rest is a set of "_smtp._tls" TXT records cut at
 * "\xff" (tlsrpt_txt_pick); odd, the rest is a record of the counts
 * store (tlsrpt_rec_parse), which a damaged file may garble. Checked:
 * report URIs are mailto: or https: with no blank, ";" or ","; a record
 * that parses writes out to text that parses to the same text, and its
 * report is JSON made of printable ASCII.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "tlsrpt.h"

#define FUZZ_TLSRPT_PIECES 16 /* records one input stands for */

/* fuzz_tlsrpt_txt - the TXT record rule */
static void
fuzz_tlsrpt_txt(const uint8_t *data, size_t size)
{
	const char *texts[FUZZ_TLSRPT_PIECES];
	size_t lens[FUZZ_TLSRPT_PIECES], n, i, j;
	struct fuzz_piece *pc;
	struct tlsrpt_txt t;
	struct why why;

	pc = fuzz_split(data, size, "\xff", 1, FUZZ_TLSRPT_PIECES, &n);
	for (i = 0; i < n; i++) {
		texts[i] = (const char *)pc[i].p;
		lens[i] = pc[i].n;
	}
	if (tlsrpt_txt_pick(texts, lens, n, &t, &why) == TLSRPT_TXT_OK) {
		if (t.n > TLSRPT_RUA_MAX)
			fuzz_fail("%zu URIs", t.n);
		for (i = 0; i < t.n; i++) {
			if (strncasecmp(t.uri[i], "mailto:", 7) != 0 &&
			    strncasecmp(t.uri[i], "https://", 8) != 0)
				fuzz_fail("URI \"%s\" kept", t.uri[i]);
			for (j = 0; t.uri[i][j] != '\0'; j++)
				if ((unsigned char)t.uri[i][j] <= 0x20 ||
				    (unsigned char)t.uri[i][j] >= 0x7f ||
				    t.uri[i][j] == ';' || t.uri[i][j] == ',')
					fuzz_fail("URI \"%s\" has a bad byte",
					    t.uri[i]);
		}
	}
	free(pc);
}

/* fuzz_tlsrpt_rec - a stored record, written out again, and reported */
static void
fuzz_tlsrpt_rec(const uint8_t *data, size_t size)
{
	static const struct tlsrpt_org org = {"o", "c@o.test", "o.test"};
	struct tlsrpt_rec r, again;
	struct sbuf a, b, json;
	size_t i;

	tlsrpt_rec_init(&r, "2026-01-01", "a.test");
	tlsrpt_rec_init(&again, "2026-01-01", "a.test");
	sbuf_init(&a);
	sbuf_init(&b);
	sbuf_init(&json);
	if (tlsrpt_rec_parse(&r, (const char *)data, size)) {
		tlsrpt_rec_format(&r, &a);
		if (!tlsrpt_rec_parse(&again, a.data, a.len))
			fuzz_fail("a record written out does not parse");
		tlsrpt_rec_format(&again, &b);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			fuzz_fail("a record does not write out alike");
		tlsrpt_json(&r, &org, "id", &json);
		for (i = 0; i < json.len; i++)
			if ((unsigned char)json.data[i] < 0x20 &&
			    json.data[i] != '\n')
				fuzz_fail("control byte in the report");
	}
	sbuf_fini(&a);
	sbuf_fini(&b);
	sbuf_fini(&json);
	tlsrpt_rec_fini(&r);
	tlsrpt_rec_fini(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		fuzz_tlsrpt_txt(data + 1, size - 1);
	else
		fuzz_tlsrpt_rec(data + 1, size - 1);
	return 0;
}
