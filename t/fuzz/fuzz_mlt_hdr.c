/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the milter's header handling (mlt_hdr.h). The input,
 * cut at "\n", is the names of a message's headers as libmilter hands
 * them over, then a recipient (the last piece). Checked: every
 * X-SMTPDirect-* name is counted exactly as often as it came
 * (case-insensitive), no other name is, and a cleaned recipient is
 * printable ASCII of bounded length in angle brackets.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "mlt_hdr.h"
#include "xalloc.h"

#define FUZZ_MLT_NAMES 256 /* most header names one input stands for */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece *pc;
	struct mlt_hdr_seen seen;
	struct sbuf sb;
	char **names;
	size_t npc, i, j, want, total = 0, counted = 0;

	pc = fuzz_split(data, size, "\n", 1, FUZZ_MLT_NAMES, &npc);
	names = xcalloc(npc, sizeof(*names));
	mlt_hdr_seen_init(&seen);
	for (i = 0; i < npc; i++) {
		names[i] = xmalloc(pc[i].n + 1);
		memcpy(names[i], pc[i].p, pc[i].n);
		names[i][pc[i].n] = '\0';
		if (i + 1 < npc && mlt_hdr_is_ours(names[i])) {
			if (strncasecmp(names[i], MLT_HDR_PREFIX,
			        strlen(MLT_HDR_PREFIX)) != 0)
				fuzz_fail("\"%s\" taken as ours", names[i]);
			if (!mlt_hdr_seen_add(&seen, names[i]))
				fuzz_fail("name table full early");
			total++;
		}
	}
	for (i = 0; i < seen.n; i++) {
		want = 0;
		for (j = 0; j + 1 < npc; j++)
			if (strcasecmp(names[j], seen.v[i].name) == 0)
				want++;
		if (want != seen.v[i].count)
			fuzz_fail("%s counted %zu times, came %zu",
			    seen.v[i].name, seen.v[i].count, want);
		counted += seen.v[i].count;
	}
	if (counted != total)
		fuzz_fail("%zu of ours came, %zu counted", total, counted);
	sbuf_init(&sb);
	mlt_hdr_rcpt_clean(names[npc - 1], &sb);
	if (sb.len < 2 || sb.data[0] != '<' || sb.data[sb.len - 1] != '>' ||
	    sb.len > MLT_HDR_RCPT_MAX + 5)
		fuzz_fail("cleaned recipient \"%s\"", sb.data);
	for (i = 0; i < sb.len; i++)
		if (sb.data[i] < 0x20 || sb.data[i] > 0x7e)
			fuzz_fail("byte %02x in a cleaned recipient",
			    (unsigned char)sb.data[i]);
	sbuf_fini(&sb);
	mlt_hdr_seen_fini(&seen);
	for (i = 0; i < npc; i++)
		free(names[i]);
	free(names);
	free(pc);
	return 0;
}
