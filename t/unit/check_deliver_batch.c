/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of deliver_batch.c: a message's recipients split over
 * transactions by RCPTMAX, RCPTDOMAINMAX and smtp_recipient_limit, and
 * the end of a connection at its MAILMAX (RFC 9422).
 */

#include <sys/socket.h>

#include <unistd.h>

#include "unit.h"

#include "deliver_run_int.h"
#include "sbuf.h"

#define DB_RCPTS_MAX 16 /* most recipients in a case */

/* One case: recipients, limits, the transactions wanted. */
static const struct {
	const char *name; /* case */
	const char *rcpts; /* recipients, space-separated */
	unsigned long rcpt_max, domain_max; /* limits, 0 = none */
	const char *want; /* transactions, '|'-separated, "a,b|c" */
} db_cases[] = {
    {"no limits: one transaction", "a@x b@y c@z", 0, 0, "a@x,b@y,c@z"},
    {"one recipient", "a@x", 1, 1, "a@x"},
    {"RCPTMAX 2 of 5", "a@x b@x c@x d@x e@x", 2, 0, "a@x,b@x|c@x,d@x|e@x"},
    {"RCPTMAX 1", "a@x b@x c@x", 1, 0, "a@x|b@x|c@x"},
    {"RCPTMAX equal to the count", "a@x b@x", 2, 0, "a@x,b@x"},
    {"RCPTMAX above the count", "a@x b@x", 100, 0, "a@x,b@x"},
    {"RCPTDOMAINMAX 1", "a@x b@y c@x d@z e@y", 0, 1, "a@x,c@x|b@y,e@y|d@z"},
    {"RCPTDOMAINMAX 2", "a@x b@y c@z d@x e@y", 0, 2, "a@x,b@y,d@x,e@y|c@z"},
    {"domains compared without case", "a@X.test b@x.TEST c@y", 0, 1,
        "a@X.test,b@x.TEST|c@y"},
    {"both: RCPTMAX first", "a@x b@y c@z d@x", 2, 2, "a@x,b@y|c@z,d@x"},
    {"both: domains skipped, then filled", "a@x b@y c@x d@x", 2, 1,
        "a@x,c@x|b@y|d@x"},
    {"the last @ is the domain's", "\"a@b\"@x c@x", 0, 1, "\"a@b\"@x,c@x"},
    {"no @: a domain of its own", "postmaster a@x", 0, 1, "postmaster|a@x"},
};

/* db_split - the transactions of case i, as "a,b|c" */
static void
db_split(int i, struct sbuf *sb)
{
	char buf[512], *rcpts[DB_RCPTS_MAX], *save = NULL, *p;
	size_t cand[DB_RCPTS_MAX], pick[DB_RCPTS_MAX];
	struct deliver_limits lim;
	size_t n = 0, nc, k, j, m, rounds = 0;

	snprintf(buf, sizeof(buf), "%s", db_cases[i].rcpts);
	for (p = strtok_r(buf, " ", &save); p != NULL && n < DB_RCPTS_MAX;
	     p = strtok_r(NULL, " ", &save))
		rcpts[n++] = p;
	memset(&lim, 0, sizeof(lim));
	lim.rcpt_max = db_cases[i].rcpt_max;
	lim.domain_max = db_cases[i].domain_max;
	for (nc = 0; nc < n; nc++)
		cand[nc] = nc;
	while (nc > 0 && rounds++ < DB_RCPTS_MAX) {
		k = deliver_batch_pick(rcpts, cand, nc, &lim, pick);
		ck_assert_uint_gt(k, 0);
		if (sb->len > 0)
			sbuf_append(sb, "|", 1);
		for (j = 0; j < k; j++) {
			if (j > 0)
				sbuf_append(sb, ",", 1);
			sbuf_append(sb, rcpts[pick[j]], strlen(rcpts[pick[j]]));
		}
		/* The rest stay candidates, in their order. */
		for (j = 0, m = 0; j < nc; j++) {
			size_t q;

			for (q = 0; q < k && pick[q] != cand[j]; q++)
				;
			if (q == k)
				cand[m++] = cand[j];
		}
		nc = m;
	}
}

START_TEST(test_deliver_batch_pick_cases)
{
	struct sbuf sb;

	sbuf_init(&sb);
	db_split(_i, &sb);
	ck_assert_msg(strcmp(sbuf_str(&sb), db_cases[_i].want) == 0,
	    "case \"%s\": got %s, want %s", db_cases[_i].name, sbuf_str(&sb),
	    db_cases[_i].want);
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_deliver_batch_pick_none)
{
	struct deliver_limits lim = {0, 1, 1};
	char *rcpts[1] = {"a@x"};
	size_t pick[1];

	ck_assert_uint_eq(deliver_batch_pick(rcpts, NULL, 0, &lim, pick), 0);
}
END_TEST

/* db_session - a ready session whose server announced lim, used uses */
static struct smtp_session *
db_session(const struct smtp_limits *lim, unsigned uses, int *peer)
{
	struct smtp_session *s = NULL;
	struct smtp_reuse r;
	struct smtp_peer p;
	struct smtp_opts o;
	struct why why;
	int sv[2];

	memset(&r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	r.version = SMTP_REUSE_VERSION;
	r.caps = SMTP_CAP_ESMTP | SMTP_CAP_LIMITS;
	r.limits = *lim;
	r.uses = uses;
	p.addr = "192.0.2.1";
	p.port = 25;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(
	    smtp_session_adopt(&s, sv[0], &r, &p, &o, &why), SD_OK);
	*peer = sv[1];
	return s;
}

/* db_close - QUIT s (answered at once) and close both ends */
static void
db_close(struct smtp_session *s, int peer)
{
	ck_assert_int_eq(write(peer, "221 bye\r\n", 9), 9);
	smtp_session_close(s);
	close(peer);
}

START_TEST(test_deliver_limits_get_server_and_own)
{
	struct smtp_limits sl = {3, 50, 2};
	struct deliver_limits lim;
	struct deliver_ctx ctx;
	struct smtp_session *s;
	int peer;

	memset(&ctx, 0, sizeof(ctx));
	s = db_session(&sl, 0, &peer);
	ctx.limits = true;
	deliver_limits_get(&ctx, s, &lim);
	ck_assert_uint_eq(lim.mail_max, 3);
	ck_assert_uint_eq(lim.rcpt_max, 50);
	ck_assert_uint_eq(lim.domain_max, 2);
	/* Our own limit counts where it is lower, only then. */
	ctx.rcpt_limit = 10;
	deliver_limits_get(&ctx, s, &lim);
	ck_assert_uint_eq(lim.rcpt_max, 10);
	ctx.rcpt_limit = 100;
	deliver_limits_get(&ctx, s, &lim);
	ck_assert_uint_eq(lim.rcpt_max, 50);
	/* smtp_limits = no: the server's are ignored, ours still count. */
	ctx.limits = false;
	deliver_limits_get(&ctx, s, &lim);
	ck_assert_uint_eq(lim.mail_max, 0);
	ck_assert_uint_eq(lim.rcpt_max, 100);
	ck_assert_uint_eq(lim.domain_max, 0);
	ctx.rcpt_limit = 0;
	deliver_limits_get(&ctx, s, &lim);
	ck_assert_uint_eq(lim.rcpt_max, 0);
	db_close(s, peer);
}
END_TEST

START_TEST(test_deliver_session_spent_at_mailmax)
{
	struct smtp_limits sl = {3, 0, 0}, none = {0, 0, 0};
	struct deliver_ctx ctx;
	struct smtp_session *s;
	int peer;

	memset(&ctx, 0, sizeof(ctx));
	ctx.limits = true;
	/* Transactions of earlier processes on a kept connection count. */
	s = db_session(&sl, 2, &peer);
	ck_assert(!deliver_session_spent(&ctx, s));
	db_close(s, peer);
	s = db_session(&sl, 3, &peer);
	ck_assert(deliver_session_spent(&ctx, s));
	ctx.limits = false;
	ck_assert(!deliver_session_spent(&ctx, s));
	db_close(s, peer);
	ctx.limits = true;
	s = db_session(&none, 1000, &peer);
	ck_assert(!deliver_session_spent(&ctx, s));
	db_close(s, peer);
}
END_TEST

/* deliver_batch_suite - transactions within a session's limits */
static Suite *
deliver_batch_suite(void)
{
	Suite *s = suite_create("deliver_batch");
	TCase *tp = tcase_create("pick");
	TCase *tl = tcase_create("limits");

	tcase_add_loop_test(tp, test_deliver_batch_pick_cases, 0,
	    (int)(sizeof(db_cases) / sizeof(db_cases[0])));
	tcase_add_test(tp, test_deliver_batch_pick_none);
	tcase_add_test(tl, test_deliver_limits_get_server_and_own);
	tcase_add_test(tl, test_deliver_session_spent_at_mailmax);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	return unit_run(deliver_batch_suite());
}
