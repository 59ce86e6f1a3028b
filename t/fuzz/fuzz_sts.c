/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the MTA-STS parsers (sts.h). The first byte chooses:
 * even, the rest is a set of "_mta-sts" TXT records cut at "\xff"
 * (sts_txt_pick); odd, the first piece is a policy body and the others
 * MX host names matched against it. Checked: an id is 1-32 letters
 * and digits; a parsed policy has a mode, a max_age within bounds, mx
 * patterns (required unless mode none) that are lower-case host names
 * with at most a leading "*.", matches itself (a wildcard one label
 * more), and parses again to the same policy when written out.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sts.h"
#include "xalloc.h"

#define FUZZ_STS_PIECES 16 /* records or hosts one input stands for */

/* fuzz_sts_txt - the TXT record rule */
static void
fuzz_sts_txt(const struct fuzz_piece *pc, size_t n)
{
	const char *texts[FUZZ_STS_PIECES];
	size_t lens[FUZZ_STS_PIECES], i, len;
	struct sts_txt t;
	struct why why;

	for (i = 0; i < n; i++) {
		texts[i] = (const char *)pc[i].p;
		lens[i] = pc[i].n;
	}
	if (sts_txt_pick(texts, lens, n, &t, &why) != STS_OK)
		return;
	len = strlen(t.id);
	if (len == 0 || len > STS_ID_MAX)
		fuzz_fail("id of %zu characters", len);
	for (i = 0; i < len; i++)
		if (!((t.id[i] >= 'a' && t.id[i] <= 'z') ||
		        (t.id[i] >= 'A' && t.id[i] <= 'Z') ||
		        (t.id[i] >= '0' && t.id[i] <= '9')))
			fuzz_fail("id \"%s\" has a bad character", t.id);
}

/* fuzz_sts_pattern - what a kept pattern must be */
static void
fuzz_sts_pattern(const struct sts_policy *p, const char *pat)
{
	const char *d = strncmp(pat, "*.", 2) == 0 ? pat + 2 : pat;
	char host[STS_HOST_MAX + 8];
	size_t i;

	for (i = 0; d[i] != '\0'; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		        (d[i] >= '0' && d[i] <= '9') || d[i] == '-' ||
		        d[i] == '.'))
			fuzz_fail("pattern \"%s\" has a bad character", pat);
	if (i == 0 || i > STS_HOST_MAX)
		fuzz_fail("pattern \"%s\" of %zu bytes", pat, i);
	snprintf(host, sizeof(host), "%s%s", d == pat ? "" : "x.", d);
	if (!sts_policy_mx_match(p, host))
		fuzz_fail("pattern \"%s\" does not match %s", pat, host);
}

/* fuzz_sts_policy - a body, and hosts matched against it */
static void
fuzz_sts_policy(const struct fuzz_piece *pc, size_t n)
{
	struct sts_policy p, again;
	struct why why;
	char *text, host[300];
	size_t i, len = 0, size;

	if (sts_policy_parse((const char *)pc[0].p, pc[0].n, &p, &why) !=
	    STS_OK)
		return;
	if (p.max_age > STS_MAX_AGE_MAX || p.mx_n > STS_MX_MAX ||
	    (p.mode != STS_MODE_NONE && p.mx_n == 0))
		fuzz_fail("policy: mode %d, max_age %lu, %zu mx", (int)p.mode,
		    p.max_age, p.mx_n);
	for (i = 0; i < p.mx_n; i++)
		fuzz_sts_pattern(&p, p.mx[i]);
	size = 64 + p.mx_n * (STS_HOST_MAX + 8);
	text = xmalloc(size);
	len += (size_t)snprintf(text + len, size - len,
	    "version: STSv1\r\nmode: %s\r\nmax_age: %lu\r\n",
	    sts_mode_name(p.mode), p.max_age);
	for (i = 0; i < p.mx_n; i++)
		len += (size_t)snprintf(
		    text + len, size - len, "mx: %s\r\n", p.mx[i]);
	memset(&again, 0, sizeof(again));
	if (sts_policy_parse(text, len, &again, &why) != STS_OK ||
	    again.mode != p.mode || again.max_age != p.max_age ||
	    again.mx_n != p.mx_n)
		fuzz_fail(
		    "policy written out does not parse alike: %s", why.text);
	for (i = 0; i < p.mx_n; i++)
		if (strcmp(again.mx[i], p.mx[i]) != 0)
			fuzz_fail(
			    "mx %s came back as %s", p.mx[i], again.mx[i]);
	free(text);
	for (i = 1; i < n; i++) {
		snprintf(host, sizeof(host), "%.*s",
		    (int)(pc[i].n < 299 ? pc[i].n : 299),
		    (const char *)pc[i].p);
		(void)sts_policy_mx_match(&p, host);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece *pc;
	size_t n;

	if (size == 0)
		return 0;
	pc = fuzz_split(data + 1, size - 1, "\xff", 1, FUZZ_STS_PIECES, &n);
	if ((data[0] & 1) == 0)
		fuzz_sts_txt(pc, n);
	else if (n > 0)
		fuzz_sts_policy(pc, n);
	free(pc);
	return 0;
}
