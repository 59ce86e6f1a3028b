/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of deliver_log.c: the per-recipient syslog line. */

#include <math.h>

#include "unit.h"

#include "deliver.h"
#include "msg.h"

static const struct deliver_peer mx = {"mx.example.com", "192.0.2.1", 25, 0};
static const struct deliver_peer mx6 = {
    "mx6.example.com", "2001:db8::1", 587, 0};
static const struct deliver_peer reused = {
    "mx.example.com", "192.0.2.1", 25, 3};

/* One outcome and the line wanted. */
struct log_case {
	const char *name;
	const char *qid;
	const char *rcpt;
	enum deliver_rcpt_status status;
	const struct deliver_peer *peer;
	double delay;
	const double *delays; /* NULL: none */
	const char *dsn;
	const char *text;
	const char *want;
};

static const double delays1[DELIVER_DELAYS] = {0.01, 0, 0.08, 0.41};
static const double delays2[DELIVER_DELAYS] = {0.2, 12.5, 1.25, 0.004};

static const struct log_case log_cases[] = {
    {"sent", "4BxYz1", "bob@example.com", DELIVER_RCPT_SENT, &mx, 1.234, NULL,
        "2.0.0", "250 2.0.0 Ok: queued as ABC",
        "4BxYz1: to=<bob@example.com>, relay=mx.example.com[192.0.2.1]:25, "
        "delay=1.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)"},
    {"sent on a reused connection", "4BxYz2", "bob@example.com",
        DELIVER_RCPT_SENT, &reused, 0.01, NULL, "2.0.0", "250 2.0.0 Ok",
        "4BxYz2: to=<bob@example.com>, relay=mx.example.com[192.0.2.1]:25, "
        "conn_use=3, delay=0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok)"},
    {"sent with delays", "4BxYz1", "bob@example.com", DELIVER_RCPT_SENT, &mx,
        0.5, delays1, "2.0.0", "250 2.0.0 Ok",
        "4BxYz1: to=<bob@example.com>, relay=mx.example.com[192.0.2.1]:25, "
        "delay=0.5, delays=0.01/0/0.08/0.41, dsn=2.0.0, status=sent (250 "
        "2.0.0 Ok)"},
    {"deferred with delays", "Q1", "a@b", DELIVER_RCPT_DEFERRED, &mx6, 14,
        delays2, "4.4.2", "lost connection",
        "Q1: to=<a@b>, relay=mx6.example.com[2001:db8::1]:587, delay=14, "
        "delays=0.2/12/1.2/0, dsn=4.4.2, status=deferred (lost connection)"},
    {"deferred no relay", "Q2", "carol@nowhere.example", DELIVER_RCPT_DEFERRED,
        NULL, 0, NULL, "4.4.3", "Host or domain name not found",
        "Q2: to=<carol@nowhere.example>, relay=none, delay=0, dsn=4.4.3, "
        "status=deferred (Host or domain name not found)"},
    {"bounced", "Q3", "dave@example.com", DELIVER_RCPT_BOUNCED, &mx, 0.07, NULL,
        "5.1.1",
        "host mx.example.com[192.0.2.1] said: 550 5.1.1 unknown (in reply to "
        "RCPT TO command)",
        "Q3: to=<dave@example.com>, relay=mx.example.com[192.0.2.1]:25, "
        "delay=0.07, dsn=5.1.1, status=bounced (host "
        "mx.example.com[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT "
        "TO command))"},
    {"bounced without code", "Q4", "e@x", DELIVER_RCPT_BOUNCED, NULL, 3, NULL,
        "", "nope",
        "Q4: to=<e@x>, relay=none, delay=3, dsn=5.0.0, status=bounced (nope)"},
    {"earlier", "Q5", "f@x", DELIVER_RCPT_EARLIER, NULL, 0.001, NULL, "", "",
        "Q5: to=<f@x>, relay=none, delay=0, dsn=2.0.0, status=sent (already "
        "delivered in an earlier attempt)"},
    {"pending", "Q6", "g@x", DELIVER_RCPT_PENDING, NULL, 0, NULL, "", "",
        "Q6: to=<g@x>, relay=none, delay=0, dsn=4.0.0, status=deferred "
        "(delivery not finished)"},
    {"deferred without text", "Q7", "h@x", DELIVER_RCPT_DEFERRED, NULL, 0, NULL,
        "4.3.0", "",
        "Q7: to=<h@x>, relay=none, delay=0, dsn=4.3.0, status=deferred (no "
        "reason recorded)"},
    {"sent without text", "Q8", "i@x", DELIVER_RCPT_SENT, &mx, 0, NULL, "", "",
        "Q8: to=<i@x>, relay=mx.example.com[192.0.2.1]:25, delay=0, "
        "dsn=2.0.0, status=sent (delivered)"},
    {"no queue id", NULL, "j@x", DELIVER_RCPT_SENT, NULL, 0, NULL, "2.0.0",
        "ok",
        "NOQUEUE: to=<j@x>, relay=none, delay=0, dsn=2.0.0, status=sent "
        "(ok)"},
    {"empty queue id", "", "j@x", DELIVER_RCPT_SENT, NULL, 0, NULL, "2.0.0",
        "ok",
        "NOQUEUE: to=<j@x>, relay=none, delay=0, dsn=2.0.0, status=sent "
        "(ok)"},
    {"null recipient", "Q9", NULL, DELIVER_RCPT_SENT, NULL, 0, NULL, "2.0.0",
        "ok", "Q9: to=<>, relay=none, delay=0, dsn=2.0.0, status=sent (ok)"},
    {"dirty fields cleaned", "Q\n10", "k\r@x\x1b", DELIVER_RCPT_DEFERRED, NULL,
        0, NULL, "4.0.0", "bad\ttext\n",
        "Q?10: to=<k?@x?>, relay=none, delay=0, dsn=4.0.0, status=deferred "
        "(bad?text?)"},
};

START_TEST(test_deliver_log_format_table)
{
	const struct log_case *c = &log_cases[_i];
	struct deliver_outcome o;
	struct sbuf sb;
	struct why why;

	deliver_outcome_init(&o, c->rcpt);
	why_reset(&why);
	snprintf(why.dsn, sizeof(why.dsn), "%s", c->dsn);
	snprintf(why.text, sizeof(why.text), "%s", c->text);
	deliver_outcome_set(&o, c->status, &why, c->peer, c->delay);
	if (c->delays != NULL) {
		o.has_delays = true;
		memcpy(o.delays, c->delays, sizeof(o.delays));
	}
	sbuf_init(&sb);
	deliver_log_format(&sb, c->qid, &o);
	ck_assert_msg(strcmp(sbuf_str(&sb), c->want) == 0,
	    "case \"%s\": got \"%s\", want \"%s\"", c->name, sbuf_str(&sb),
	    c->want);
	sbuf_fini(&sb);
}
END_TEST

/* A delay and how Postfix would print it. */
struct delay_case {
	double seconds;
	const char *want;
};

static const struct delay_case delay_cases[] = {
    {0, "0"},
    {-1, "0"},
    {0.001, "0"},
    {0.009, "0"},
    {0.01, "0.01"},
    {0.05, "0.05"},
    {0.1, "0.1"},
    {0.29, "0.29"},
    {0.3, "0.3"},
    {0.999, "0.99"},
    {1, "1"},
    {1.05, "1"},
    {1.25, "1.2"},
    {9.99, "9.9"},
    {10, "10"},
    {25.7, "25"},
    {3600, "3600"},
    {1e12, "1000000000"},
};

START_TEST(test_deliver_log_delay_table)
{
	const struct delay_case *c = &delay_cases[_i];
	struct sbuf sb;

	sbuf_init(&sb);
	deliver_log_delay(&sb, c->seconds);
	ck_assert_msg(strcmp(sbuf_str(&sb), c->want) == 0,
	    "case %g: got \"%s\", want \"%s\"", c->seconds, sbuf_str(&sb),
	    c->want);
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_deliver_log_delay_nan_is_zero)
{
	struct sbuf sb;

	sbuf_init(&sb);
	deliver_log_delay(&sb, nan(""));
	ck_assert_str_eq(sbuf_str(&sb), "0");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_deliver_log_format_bounds_long_fields)
{
	struct deliver_outcome o;
	char rcpt[1000];
	struct sbuf sb;
	const char *p;

	memset(rcpt, 'r', sizeof(rcpt) - 1);
	rcpt[sizeof(rcpt) - 1] = '\0';
	deliver_outcome_init(&o, rcpt);
	o.status = DELIVER_RCPT_DEFERRED;
	memset(o.why.text, 't', sizeof(o.why.text) - 1);
	o.why.text[sizeof(o.why.text) - 1] = '\0';
	sbuf_init(&sb);
	deliver_log_format(&sb, "Q", &o);
	p = strstr(sbuf_str(&sb), "to=<");
	ck_assert_ptr_nonnull(p);
	ck_assert(strncmp(p + 4 + DELIVER_LOG_RCPT_MAX - 3, "...>", 4) == 0);
	p = strstr(sbuf_str(&sb), "status=deferred (");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(
	    strlen(p), strlen("status=deferred (") + DELIVER_LOG_TEXT_MAX + 1);
	ck_assert_str_eq(sbuf_str(&sb) + sb.len - 4, "...)");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_deliver_log_format_appends)
{
	struct deliver_outcome o;
	struct sbuf sb;

	deliver_outcome_init(&o, "a@b");
	sbuf_init(&sb);
	sbuf_puts(&sb, "x ");
	deliver_log_format(&sb, "Q", &o);
	ck_assert(strncmp(sbuf_str(&sb), "x Q: to=<a@b>", 13) == 0);
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_deliver_log_outcome_writes_one_line)
{
	struct deliver_outcome o;

	deliver_outcome_init(&o, "a@b");
	msg_init("check_deliver_log", MSG_TO_STDERR);
	deliver_log_outcome("Q", &o);
}
END_TEST

/* deliver_log_suite - the deliver_log tests */
static Suite *
deliver_log_suite(void)
{
	Suite *s = suite_create("deliver_log");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_deliver_log_format_table, 0,
	    sizeof(log_cases) / sizeof(log_cases[0]));
	tcase_add_test(tc, test_deliver_log_format_bounds_long_fields);
	tcase_add_test(tc, test_deliver_log_format_appends);
	tcase_add_test(tc, test_deliver_log_outcome_writes_one_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("delay");
	tcase_add_loop_test(tc, test_deliver_log_delay_table, 0,
	    sizeof(delay_cases) / sizeof(delay_cases[0]));
	tcase_add_test(tc, test_deliver_log_delay_nan_is_zero);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(deliver_log_suite());
}
