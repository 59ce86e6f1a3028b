/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of dns_lookup with a canned back-end: answers and checks. */

#include <poll.h>
#include <stdlib.h>

#include "dns_canned.h"
#include "loop.h"
#include "mono.h"
#include "xalloc.h"

static const struct canned t_zone[] = {
    {"a.test", DNS_T_A, 0, 0, 0,
        "a.test. 300 IN A 192.0.2.1|"
        "a.test. 200 IN A 192.0.2.2",
        NULL},
    {"alias.test", DNS_T_A, 0, 0, 0,
        "alias.test. 100 IN CNAME mid.test.|mid.test. 50 IN CNAME a.test.|"
        "a.test. 300 IN A 192.0.2.1",
        NULL},
    {"hop.test", DNS_T_A, 0, 0, 0, "hop.test. 300 IN CNAME a.test.", NULL},
    {"loop.test", 0, 0, 0, 0,
        "loop.test. 300 IN CNAME loop2.test.|"
        "loop2.test. 300 IN CNAME loop.test.",
        NULL},
    {"c0.test", 0, 0, 0, 0,
        "c0.test. 300 IN CNAME c1.test.|"
        "c1.test. 300 IN CNAME c2.test.|"
        "c2.test. 300 IN CNAME c3.test.|"
        "c3.test. 300 IN CNAME c4.test.|"
        "c4.test. 300 IN CNAME c5.test.|"
        "c5.test. 300 IN CNAME c6.test.|"
        "c6.test. 300 IN CNAME c7.test.|"
        "c7.test. 300 IN CNAME c8.test.|"
        "c8.test. 300 IN CNAME c9.test.|"
        "c9.test. 300 IN A 192.0.2.9",
        NULL},
    {"nodata.test", 0, 0, 0, 0, NULL,
        "test. 3600 IN SOA ns.test. h.test. 1 1 1 1 120"},
    {"nx.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL,
        "test. 30 IN SOA ns.test. h.test. 1 1 1 1 120"},
    {"nxcap.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL,
        "test. 99999 IN SOA ns.test. h.test. 1 1 1 1 99999"},
    {"nxnosoa.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, NULL},
    {"servfail.test", 0, 0, LDNS_RCODE_SERVFAIL, 0, NULL, NULL},
    {"refused.test", 0, 0, LDNS_RCODE_REFUSED, 0, NULL, NULL},
    {"timeout.test", 0, 0, 0, CANNED_TIMEOUT, NULL, NULL},
    {"error.test", 0, 0, 0, CANNED_ERROR, NULL, NULL},
    {"garbage.test", 0, 0, 0, CANNED_GARBAGE, NULL, NULL},
    {"badid.test", 0, 0, 0, CANNED_BADID, "badid.test. 1 IN A 192.0.2.1", NULL},
    {"othername.test", 0, 0, 0, CANNED_OTHERNAME,
        "othername.test. 1 IN A 192.0.2.1", NULL},
    {"noqr.test", 0, 0, 0, CANNED_NOQR, "noqr.test. 1 IN A 192.0.2.1", NULL},
    {"huge.test", 0, 0, 0, CANNED_HUGE_COUNT, "huge.test. 1 IN A 192.0.2.1",
        NULL},
    {"wrongowner.test", 0, 0, 0, 0, "elsewhere.test. 300 IN A 192.0.2.1", NULL},
    {"tc.test", 0, 0, 0, CANNED_TC, "tc.test. 300 IN A 192.0.2.7", NULL},
    {"oldserver.test", 0, 0, 0, CANNED_EDNS_FORMERR,
        "oldserver.test. 300 IN A 192.0.2.8", NULL},
    {"bad_mx.test", DNS_T_MX, 0, 0, 0, "bad_mx.test. 300 IN MX 10 -bad-.test.",
        NULL},
    {"second.test", 0, 1, LDNS_RCODE_SERVFAIL, 0, NULL, NULL},
    {"second.test", 0, 2, 0, 0, "second.test. 300 IN A 192.0.2.22", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* Status wanted for one name. */
static const struct {
	const char *name;
	enum dns_status want;
} t_status[] = {
    {"a.test", DNS_OK},
    {"nodata.test", DNS_NODATA},
    {"nx.test", DNS_NXDOMAIN},
    {"servfail.test", DNS_TEMP},
    {"refused.test", DNS_TEMP},
    {"timeout.test", DNS_TEMP},
    {"error.test", DNS_TEMP},
    {"garbage.test", DNS_TEMP},
    {"badid.test", DNS_TEMP},
    {"othername.test", DNS_TEMP},
    {"noqr.test", DNS_TEMP},
    {"huge.test", DNS_TEMP},
    {"wrongowner.test", DNS_TEMP},
    {"loop.test", DNS_TEMP},
    {"c0.test", DNS_TEMP},
    {"bad..name", DNS_BADNAME},
    {"-bad.test", DNS_BADNAME},
    {"sp ace.test", DNS_BADNAME},
};

/* t_lookup - look name/type up on the canned zone */
static enum dns_status
t_lookup(struct canned_ctx *cx, const char *name, unsigned type,
    struct dns_answer *ans, struct why *why)
{
	struct dns *dns = canned_open(cx, t_zone, NULL);
	enum dns_status st = dns_lookup(dns, name, type, ans, why);

	dns_close(dns);
	return st;
}

START_TEST(test_dns_lookup_status_table)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	enum dns_status st;

	why_reset(&why);
	st = t_lookup(&cx, t_status[_i].name, DNS_T_A, &ans, &why);
	ck_assert_msg(st == t_status[_i].want,
	    "case \"%s\": got %s, want %s (%s)", t_status[_i].name,
	    dns_status_str(st), dns_status_str(t_status[_i].want), why.text);
	if (st != DNS_OK)
		ck_assert_str_eq(why.dsn,
		    st == DNS_TEMP         ? "4.4.3"
		        : st == DNS_NODATA ? "5.4.4"
		                           : "5.1.2");
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_returns_records_and_least_ttl)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(t_lookup(&cx, "A.Test.", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_uint_eq(ans.n, 2);
	ck_assert_uint_eq(ans.recs[0].len, 4);
	ck_assert_int_eq(ans.recs[1].data[3], 2);
	ck_assert_uint_eq(ans.ttl, 200);
	ck_assert_str_eq(ans.name, "a.test");
	ck_assert(!ans.from_cache);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_follows_cname_chain)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "alias.test", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_str_eq(ans.name, "a.test");
	ck_assert_uint_eq(ans.cnames, 2);
	ck_assert_uint_eq(ans.ttl, 50);
	ck_assert_uint_eq(cx.udp, 1);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_asks_again_for_cname_target)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "hop.test", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_str_eq(ans.name, "a.test");
	ck_assert_uint_eq(ans.n, 2);
	ck_assert_uint_eq(cx.udp, 2);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_cname_chain_too_long_is_temp)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "c0.test", DNS_T_A, &ans, &why), DNS_TEMP);
	ck_assert_msg(strstr(why.text, "CNAME chain") != NULL, "%s", why.text);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_negative_ttl_per_rfc2308)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "nx.test", DNS_T_A, &ans, &why), DNS_NXDOMAIN);
	ck_assert_uint_eq(ans.ttl, 30);
	dns_answer_fini(&ans);
	ck_assert_int_eq(
	    t_lookup(&cx, "nodata.test", DNS_T_A, &ans, &why), DNS_NODATA);
	ck_assert_uint_eq(ans.ttl, 120);
	dns_answer_fini(&ans);
	ck_assert_int_eq(
	    t_lookup(&cx, "nxcap.test", DNS_T_A, &ans, &why), DNS_NXDOMAIN);
	ck_assert_uint_eq(ans.ttl, DNS_NEG_TTL_MAX);
	dns_answer_fini(&ans);
	ck_assert_int_eq(
	    t_lookup(&cx, "nxnosoa.test", DNS_T_A, &ans, &why), DNS_NXDOMAIN);
	ck_assert_uint_eq(ans.ttl, 0);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_truncated_retries_over_tcp)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(t_lookup(&cx, "tc.test", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_uint_eq(cx.udp, 1);
	ck_assert_uint_eq(cx.tcp, 1);
	ck_assert_int_eq(ans.recs[0].data[3], 7);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_formerr_retries_without_edns)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "oldserver.test", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_uint_eq(cx.udp, 2);
	ck_assert_uint_eq(cx.edns, 1);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_tries_bounded)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "timeout.test", DNS_T_A, &ans, &why), DNS_TEMP);
	ck_assert_uint_eq(cx.udp, DNS_TRIES);
	ck_assert_msg(
	    strstr(why.text, "192.0.2.53:53") != NULL, "%s", why.text);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_next_server_after_servfail)
{
	static const struct dns_server two[] = {
	    {"192.0.2.1", 1}, {"192.0.2.2", 2}};
	struct dns_opts o = {.servers = two, .servers_n = 2};
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	struct dns *dns = canned_open(&cx, t_zone, &o);

	ck_assert_int_eq(
	    dns_lookup(dns, "second.test", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert_uint_eq(cx.udp, 2);
	ck_assert_int_eq(ans.recs[0].data[3], 22);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_lookup_many_records_are_refused)
{
	struct canned t[] = {{"many.test", 0, 0, 0, 0, NULL, NULL},
	    {NULL, 0, 0, 0, 0, NULL, NULL}};
	static char buf[(DNS_RR_MAX + 2) * 40];
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	struct dns *dns;
	size_t i, off = 0;

	for (i = 0; i < DNS_RR_MAX + 1; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%smany.test. 60 IN A 10.0.%zu.%zu", i ? "|" : "", i / 256,
		    i % 256);
	t[0].answer = buf;
	dns = canned_open(&cx, t, NULL);
	ck_assert_int_eq(
	    dns_lookup(dns, "many.test", DNS_T_A, &ans, &why), DNS_TEMP);
	ck_assert_msg(strstr(why.text, "too many") != NULL, "%s", why.text);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_lookup_malformed_mx_host_is_temp)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;

	ck_assert_int_eq(
	    t_lookup(&cx, "bad_mx.test", DNS_T_MX, &ans, &why), DNS_TEMP);
	dns_answer_fini(&ans);
}
END_TEST

START_TEST(test_dns_lookup_deadline_passed_is_temp)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	struct dns *dns = canned_open(&cx, t_zone, NULL);
	dns_deadline_set(dns, mono_now_ms() - 1000);
	ck_assert_int_eq(
	    dns_lookup(dns, "a.test", DNS_T_A, &ans, &why), DNS_TEMP);
	ck_assert_uint_eq(cx.udp, 0);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

/* Two names for two tasks, each its own address. */
static const struct canned t_pair[] = {
    {"one.test", DNS_T_A, 0, 0, 0, "one.test. 300 IN A 192.0.2.11", NULL},
    {"two.test", DNS_T_A, 0, 0, 0, "two.test. 300 IN A 192.0.2.22", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * t_yield_send - canned_send() that gives way to the other tasks with
 * half of the reply written, as a TCP read in two pieces does
 */
static enum dns_send_status
t_yield_send(void *arg, const struct dns_server *server, bool tcp,
    const unsigned char *query, size_t query_len, unsigned char *reply,
    size_t reply_size, size_t *reply_len, int timeout_ms, struct why *why)
{
	struct pollfd nothing = {.fd = -1};
	unsigned char *tmp = xmalloc(reply_size);
	enum dns_send_status st;
	size_t half;

	st = canned_send(arg, server, tcp, query, query_len, tmp, reply_size,
	    reply_len, timeout_ms, why);
	half = st == DNS_SEND_OK ? *reply_len / 2 : 0;
	memcpy(reply, tmp, half);
	(void)loop_poll(&nothing, 0);
	if (st == DNS_SEND_OK)
		memcpy(reply + half, tmp + half, *reply_len - half);
	free(tmp);
	return st;
}

/* One task's lookup and what it found. */
struct t_task {
	struct dns *dns;
	const char *name;
	enum dns_status st;
	unsigned char last; /* last byte of the first address */
};

/* t_task_run - a lookup as a task of the loop */
static void
t_task_run(void *arg)
{
	struct t_task *t = arg;
	struct dns_answer ans;
	struct why why;

	t->st = dns_lookup(t->dns, t->name, DNS_T_A, &ans, &why);
	t->last = t->st == DNS_OK && ans.n > 0 ? ans.recs[0].data[3] : 0;
	dns_answer_fini(&ans);
}

START_TEST(test_dns_lookups_in_tasks_do_not_share_a_reply_buffer)
{
	struct canned_ctx cx;
	struct dns_opts o = {.send = t_yield_send, .send_arg = &cx};
	struct dns *dns;
	struct t_task t[2];
	void *args[2] = {&t[0], &t[1]};

	dns = canned_open(&cx, t_pair, &o);
	/* canned_open() puts in its own send: take the yielding one. */
	dns->send = t_yield_send;
	dns->send_arg = &cx;
	t[0] = (struct t_task){dns, "one.test", DNS_TEMP, 0};
	t[1] = (struct t_task){dns, "two.test", DNS_TEMP, 0};
	/* Both exchanges are half written at once: each needs its own
	 * buffer, or one parses the other's reply. */
	loop_run(t_task_run, args, 2, 2);
	ck_assert_int_eq(t[0].st, DNS_OK);
	ck_assert_int_eq(t[0].last, 11);
	ck_assert_int_eq(t[1].st, DNS_OK);
	ck_assert_int_eq(t[1].last, 22);
	ck_assert_uint_eq(cx.udp, 2);
	dns_close(dns);
}
END_TEST

/* dns_suite - the tests */
static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("lookup");

	tcase_add_loop_test(tc, test_dns_lookup_status_table, 0,
	    sizeof(t_status) / sizeof(t_status[0]));
	tcase_add_test(tc, test_dns_lookup_returns_records_and_least_ttl);
	tcase_add_test(tc, test_dns_lookup_follows_cname_chain);
	tcase_add_test(tc, test_dns_lookup_asks_again_for_cname_target);
	tcase_add_test(tc, test_dns_lookup_cname_chain_too_long_is_temp);
	tcase_add_test(tc, test_dns_lookup_negative_ttl_per_rfc2308);
	tcase_add_test(tc, test_dns_lookup_truncated_retries_over_tcp);
	tcase_add_test(tc, test_dns_lookup_formerr_retries_without_edns);
	tcase_add_test(tc, test_dns_lookup_tries_bounded);
	tcase_add_test(tc, test_dns_lookup_next_server_after_servfail);
	tcase_add_test(tc, test_dns_lookup_many_records_are_refused);
	tcase_add_test(
	    tc, test_dns_lookups_in_tasks_do_not_share_a_reply_buffer);
	tcase_add_test(tc, test_dns_lookup_malformed_mx_host_is_temp);
	tcase_add_test(tc, test_dns_lookup_deadline_passed_is_temp);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run */
int
main(void)
{
	return unit_run(dns_suite());
}
