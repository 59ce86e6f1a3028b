/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the SMTP reply parser (smtp_int.h), as a server's bytes
 * reach it: the input is cut at "\xff" into the pieces one read would
 * return, and replies are parsed one after another until a bad one.
 * The first byte chooses enhanced status codes on or off. Checked: a
 * parser never claims more bytes than it was given, a finished reply
 * has a code of 200 to 599 with a first line, and an enhanced code
 * taken from it has the reply's class.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "smtp_int.h"
#include "xalloc.h"

#define FUZZ_REPLY_PIECES 64 /* most reads one input stands for */

/* fuzz_reply_done - what a finished reply must be */
static void
fuzz_reply_done(const struct smtp_reply *r)
{
	char quoted[1024], dsn[WHY_DSN_MAX];

	if (r->code < 200 || r->code > 599 || r->nlines == 0)
		fuzz_fail("finished reply with code %d, %zu lines", r->code,
		    r->nlines);
	if (r->dsn[0] != '\0' && r->dsn[0] != '0' + r->code / 100)
		fuzz_fail("reply %d with enhanced code %s", r->code, r->dsn);
	(void)smtp_reply_quote(r, quoted, sizeof(quoted));
	if (strlen(quoted) >= sizeof(quoted))
		fuzz_fail("quote overran");
	(void)smtp_reply_dsn(r, dsn, sizeof(dsn));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece *pc;
	struct smtp_reply *r;
	enum smtp_reply_rc rc = SMTP_REPLY_MORE;
	struct why why;
	size_t npc, i, off, used;

	if (size == 0)
		return 0;
	r = xmalloc(sizeof(*r));
	smtp_reply_init(r, (data[0] & 1) != 0);
	pc = fuzz_split(data + 1, size - 1, "\xff", 1, FUZZ_REPLY_PIECES, &npc);
	for (i = 0; i < npc && rc != SMTP_REPLY_BAD; i++) {
		off = 0;
		while (off < pc[i].n && rc != SMTP_REPLY_BAD) {
			used = 0;
			rc = smtp_reply_parse(r, (const char *)pc[i].p + off,
			    pc[i].n - off, &used, &why);
			if (used > pc[i].n - off)
				fuzz_fail("parser used %zu of %zu bytes", used,
				    pc[i].n - off);
			off += used;
			if (rc == SMTP_REPLY_DONE) {
				fuzz_reply_done(r);
				smtp_reply_init(r, (data[0] & 1) != 0);
			} else if (rc == SMTP_REPLY_MORE && used == 0) {
				fuzz_fail("parser wants more but took nothing");
			}
		}
	}
	free(pc);
	free(r);
	return 0;
}
