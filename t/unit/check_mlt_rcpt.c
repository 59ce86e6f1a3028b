/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of mlt_rcpt: the milter's null MX / NXDOMAIN check at
 * RCPT, on canned DNS answers. */

#include <netinet/in.h>

#include "dns_canned.h"

#include "mlt_rcpt.h"

static const struct canned t_zone[] = {
    {"good.test", DNS_T_MX, 0, 0, 0, "good.test. 300 IN MX 10 mx.good.test.",
        NULL},
    {"nullmx.test", DNS_T_MX, 0, 0, 0, "nullmx.test. 300 IN MX 0 .", NULL},
    {"xn--br-via.test", DNS_T_MX, 0, 0, 0, "xn--br-via.test. 300 IN MX 0 .",
        NULL},
    {"routed.test", DNS_T_MX, 0, 0, 0, "routed.test. 300 IN MX 0 .", NULL},
    {"band.test", DNS_T_MX, 0, 0, 0, "band.test. 300 IN MX 0 .", NULL},
    {"big.test", DNS_T_MX, 0, 0, 0, "big.test. 300 IN MX 0 .", NULL},
    {"mixed.test", DNS_T_MX, 0, 0, 0,
        "mixed.test. 300 IN MX 0 .|mixed.test. 300 IN MX 10 mx.good.test.",
        NULL},
    {"implicit.test", DNS_T_A, 0, 0, 0, "implicit.test. 300 IN A 192.0.2.1",
        NULL},
    {"implicit.test", 0, 0, 0, 0, NULL, CANNED_SOA},
    {"servfail.test", 0, 0, LDNS_RCODE_SERVFAIL, 0, NULL, NULL},
    {"refused.test", 0, 0, LDNS_RCODE_REFUSED, 0, NULL, NULL},
    {"timeout.test", 0, 0, 0, CANNED_TIMEOUT, NULL, NULL},
    {"garbled.test", 0, 0, 0, CANNED_GARBAGE, NULL, NULL},
    /* Anything else: NXDOMAIN (canned_send's default). */
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* The map: routed.test always, band.test from 1 to 5 MiB, big.test over
 * 1 MiB, later.test only after 4 temporary failures. */
static const char t_map[] = "routed.test relay.test\n"
                            "band.test relay.test $size>1M $size<5M\n"
                            "big.test relay.test $size>1M\n"
                            "later.test relay.test $retries>=4\n";

/* One recipient and what becomes of it. */
struct t_case {
	const char *name;
	const char *rcpt;
	unsigned long long size; /* declared, when size_known */
	bool size_known;
	enum mlt_rcpt_verdict verdict;
	bool dns_failed;
	const char *code; /* NULL: no rejection */
	unsigned queries; /* exchanges it costs (UDP) */
};

static const struct t_case t_cases[] = {
    {"mx", "<u@good.test>", 0, false, MLT_RCPT_ACCEPT, false, NULL, 1},
    {"null mx", "<u@nullmx.test>", 0, false, MLT_RCPT_NULLMX, false, "556", 1},
    {"null mx, case and dot", "u@NullMX.Test.", 0, false, MLT_RCPT_NULLMX,
        false, "556", 1},
    {"nxdomain", "<u@nx.test>", 0, false, MLT_RCPT_NXDOMAIN, false, "550", 1},
    {"implicit mx", "<u@implicit.test>", 0, false, MLT_RCPT_ACCEPT, false, NULL,
        1},
    {"dot among mx", "<u@mixed.test>", 0, false, MLT_RCPT_ACCEPT, false, NULL,
        1},
    {"servfail", "<u@servfail.test>", 0, false, MLT_RCPT_ACCEPT, true, NULL, 1},
    {"refused", "<u@refused.test>", 0, false, MLT_RCPT_ACCEPT, true, NULL, 1},
    {"timeout", "<u@timeout.test>", 0, false, MLT_RCPT_ACCEPT, true, NULL, 1},
    {"garbled", "<u@garbled.test>", 0, false, MLT_RCPT_ACCEPT, true, NULL, 1},
    {"local", "<postmaster>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"null sender form", "<>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"empty domain", "<u@>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"literal", "<u@[192.0.2.1]>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"unqualified", "<u@localhost>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"u-labels", "<u@B\xc3\xa4r.test>", 0, false, MLT_RCPT_NULLMX, false, "556",
        1},
    {"bad utf-8", "<u@b\xffr.test>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"bad name", "<u@a..test>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"quoted @", "<\"a@nullmx.test\"@good.test>", 0, false, MLT_RCPT_ACCEPT,
        false, NULL, 1},
    {"routed", "<u@routed.test>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"big, no size", "<u@big.test>", 0, false, MLT_RCPT_SKIP, false, NULL, 0},
    {"big, small size", "<u@big.test>", 10, true, MLT_RCPT_SKIP, false, NULL,
        0},
    {"band, no size", "<u@band.test>", 0, false, MLT_RCPT_NULLMX, false, "556",
        1},
    {"band, size in", "<u@band.test>", 2000000, true, MLT_RCPT_SKIP, false,
        NULL, 0},
    {"band, size out", "<u@band.test>", 10, true, MLT_RCPT_NULLMX, false, "556",
        1},
    {"retries later", "<u@later.test>", 0, false, MLT_RCPT_NXDOMAIN, false,
        "550", 1},
};

/* t_checker - a checker on the canned zone, one server, no cache */
static struct mlt_rcpt *
t_checker(struct canned_ctx *cx)
{
	static const struct dns_server one = {"192.0.2.53", 53};
	struct dns_opts o;

	memset(cx, 0, sizeof(*cx));
	cx->table = t_zone;
	memset(&o, 0, sizeof(o));
	o.servers = &one;
	o.servers_n = 1;
	o.timeout_ms = 200;
	o.tries = 1;
	o.seed = 1;
	o.send = canned_send;
	o.send_arg = cx;
	return mlt_rcpt_new(&o, 1000);
}

/* t_map_parse - the test map */
static struct ovr_map *
t_map_parse(void)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;

	map = ovr_map_parse("map", t_map, strlen(t_map), dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	diag_list_free(dl);
	return map;
}

START_TEST(test_mlt_rcpt_judge_table)
{
	const struct t_case *tc = &t_cases[_i];
	struct ovr_map *map = t_map_parse();
	struct canned_ctx cx;
	struct mlt_rcpt *rc = t_checker(&cx);
	struct mlt_rcpt_result res;
	struct mlt_rcpt_conn conn = {0};

	mlt_rcpt_judge(
	    rc, &conn, map, tc->rcpt, tc->size, tc->size_known, &res);
	ck_assert_msg(res.verdict == tc->verdict,
	    "case \"%s\": got verdict %d, want %d (%s)", tc->name, res.verdict,
	    tc->verdict, res.text);
	ck_assert_msg(res.dns_failed == tc->dns_failed,
	    "case \"%s\": got dns_failed %d (%s)", tc->name, res.dns_failed,
	    res.text);
	if (tc->code == NULL)
		ck_assert_msg(res.code == NULL, "case \"%s\": got code %s",
		    tc->name, res.code);
	else
		ck_assert_msg(
		    res.code != NULL && strcmp(res.code, tc->code) == 0,
		    "case \"%s\": got code %s, want %s", tc->name,
		    res.code ? res.code : "none", tc->code);
	ck_assert_msg(cx.udp == tc->queries,
	    "case \"%s\": got %u queries, want %u", tc->name, cx.udp,
	    tc->queries);
	ck_assert_msg(res.text[0] != '\0', "case \"%s\": no text", tc->name);
	mlt_rcpt_conn_fini(&conn);
	mlt_rcpt_free(rc);
	ovr_map_free(map);
}
END_TEST

START_TEST(test_mlt_rcpt_judge_reply_texts)
{
	struct canned_ctx cx;
	struct mlt_rcpt *rc = t_checker(&cx);
	struct mlt_rcpt_result res;
	struct mlt_rcpt_conn conn = {0};

	mlt_rcpt_judge(rc, &conn, NULL, "<u@NullMX.test>", 0, false, &res);
	ck_assert_str_eq(res.dsn, "5.1.10");
	ck_assert_str_eq(res.text,
	    "Recipient address rejected: nullmx.test: domain does not accept "
	    "mail (null MX, RFC 7505)");
	mlt_rcpt_judge(rc, &conn, NULL, "<u@nx.test>", 0, false, &res);
	ck_assert_str_eq(res.dsn, "5.1.2");
	ck_assert_str_eq(res.text,
	    "Recipient address rejected: nx.test: domain not found (NXDOMAIN)");
	mlt_rcpt_judge(rc, &conn, NULL, "<u@servfail.test>", 0, false, &res);
	ck_assert_ptr_null(res.dsn);
	ck_assert_msg(strstr(res.text, "SERVFAIL") != NULL, "%s", res.text);
	/* The connection's resolver is kept for its next recipients. */
	ck_assert_ptr_nonnull(conn.dns);
	mlt_rcpt_conn_fini(&conn);
	ck_assert_ptr_null(conn.dns);
	mlt_rcpt_free(rc);
}
END_TEST

START_TEST(test_mlt_rcpt_judge_no_server_accepts)
{
	char *dir = unit_tmpdir();
	char *conf = unit_write_file(dir, "resolv.conf", "search test\n", 12);
	struct mlt_rcpt_result res;
	struct mlt_rcpt_conn conn = {0};
	struct mlt_rcpt *rc;
	struct dns_opts o;
	struct why why;

	memset(&o, 0, sizeof(o));
	o.resolv_conf = conf;
	rc = mlt_rcpt_new(&o, 1000);
	ck_assert(!mlt_rcpt_probe(rc, &why));
	ck_assert_msg(why.text[0] != '\0', "no reason");
	mlt_rcpt_judge(rc, &conn, NULL, "<u@nullmx.test>", 0, false, &res);
	ck_assert_int_eq(res.verdict, MLT_RCPT_ACCEPT);
	ck_assert(res.dns_failed);
	ck_assert_ptr_null(conn.dns);
	ck_assert_msg(
	    strstr(res.text, "no DNS resolver") != NULL, "%s", res.text);
	mlt_rcpt_free(rc);
	unit_rmtree(dir);
	free(conf);
	free(dir);
}
END_TEST

START_TEST(test_mlt_rcpt_resolver_dups_share_options)
{
	struct canned_ctx cx;
	struct mlt_rcpt *rc = t_checker(&cx);
	struct mlt_rcpt_conn conn = {0};
	struct mlt_rcpt_result res;
	struct dns *a;
	struct why why;

	ck_assert(mlt_rcpt_probe(rc, &why));
	a = mlt_rcpt_resolver(rc, &why);
	conn.dns = mlt_rcpt_resolver(rc, &why);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(conn.dns);
	ck_assert_ptr_ne(a, conn.dns);
	mlt_rcpt_judge(rc, &conn, NULL, "<u@nullmx.test>", 0, false, &res);
	ck_assert_int_eq(res.verdict, MLT_RCPT_NULLMX);
	dns_close(a);
	mlt_rcpt_conn_fini(&conn);
	mlt_rcpt_free(rc);
}
END_TEST

START_TEST(test_mlt_rcpt_judge_failure_not_asked_again)
{
	struct canned_ctx cx;
	struct mlt_rcpt *rc = t_checker(&cx);
	struct mlt_rcpt_conn conn = {0};
	struct mlt_rcpt_result res;

	mlt_rcpt_judge(rc, &conn, NULL, "<a@timeout.test>", 0, false, &res);
	ck_assert(res.dns_failed);
	ck_assert_uint_eq(cx.udp, 1);
	/* The same domain again in this connection: no second wait. */
	mlt_rcpt_judge(rc, &conn, NULL, "<b@Timeout.test>", 0, false, &res);
	ck_assert_int_eq(res.verdict, MLT_RCPT_ACCEPT);
	ck_assert(res.dns_failed);
	ck_assert_uint_eq(cx.udp, 1);
	ck_assert_msg(
	    strstr(res.text, "failed before in this connection") != NULL, "%s",
	    res.text);
	/* Another domain is asked, and a rejection still works. */
	mlt_rcpt_judge(rc, &conn, NULL, "<c@nullmx.test>", 0, false, &res);
	ck_assert_int_eq(res.verdict, MLT_RCPT_NULLMX);
	ck_assert_uint_eq(cx.udp, 2);
	/* A new connection asks again. */
	mlt_rcpt_conn_fini(&conn);
	mlt_rcpt_judge(rc, &conn, NULL, "<a@timeout.test>", 0, false, &res);
	ck_assert_uint_eq(cx.udp, 3);
	mlt_rcpt_conn_fini(&conn);
	mlt_rcpt_free(rc);
}
END_TEST

START_TEST(test_mlt_rcpt_over_smtp_needs_a_port)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr un;

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	ck_assert(!mlt_rcpt_over_smtp((struct sockaddr *)&in4));
	in4.sin_port = htons(40000);
	ck_assert(mlt_rcpt_over_smtp((struct sockaddr *)&in4));
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	ck_assert(!mlt_rcpt_over_smtp((struct sockaddr *)&in6));
	in6.sin6_port = htons(40000);
	ck_assert(mlt_rcpt_over_smtp((struct sockaddr *)&in6));
	memset(&un, 0, sizeof(un));
	un.sa_family = AF_UNIX;
	ck_assert(!mlt_rcpt_over_smtp(&un));
	ck_assert(!mlt_rcpt_over_smtp(NULL));
}
END_TEST

/* SIZE= cases: the ESMTP arguments after the sender. */
struct t_size {
	const char *name;
	const char *args[4];
	bool ok;
	unsigned long long size;
};

static const struct t_size t_sizes[] = {
    {"size", {"<a@b.test>", "SIZE=1234", NULL, NULL}, true, 1234},
    {"lower case", {"<a@b.test>", "BODY=8BITMIME", "size=5", NULL}, true, 5},
    {"none", {"<a@b.test>", "BODY=8BITMIME", NULL, NULL}, false, 0},
    {"sender only", {"<a@b.test>", NULL, NULL, NULL}, false, 0},
    {"empty", {"<a@b.test>", "SIZE=", NULL, NULL}, false, 0},
    {"garbage", {"<a@b.test>", "SIZE=12x", NULL, NULL}, false, 0},
    {"sign", {"<a@b.test>", "SIZE=-1", NULL, NULL}, false, 0},
    {"overflow", {"<a@b.test>", "SIZE=99999999999999999999999", NULL, NULL},
        false, 0},
};

START_TEST(test_mlt_rcpt_size_arg_table)
{
	const struct t_size *tc = &t_sizes[_i];
	unsigned long long size = 0;
	bool ok;

	ok = mlt_rcpt_size_arg((char *const *)tc->args, &size);
	ck_assert_msg(
	    ok == tc->ok, "case \"%s\": got %d, want %d", tc->name, ok, tc->ok);
	if (ok)
		ck_assert_msg(size == tc->size,
		    "case \"%s\": got %llu, want %llu", tc->name, size,
		    tc->size);
	ck_assert(!mlt_rcpt_size_arg(NULL, &size));
}
END_TEST

/* mlt_rcpt_suite - the RCPT check */
static Suite *
mlt_rcpt_suite(void)
{
	Suite *s = suite_create("mlt_rcpt");
	TCase *tc = tcase_create("judge");

	tcase_add_loop_test(tc, test_mlt_rcpt_judge_table, 0,
	    (int)(sizeof(t_cases) / sizeof(t_cases[0])));
	tcase_add_test(tc, test_mlt_rcpt_judge_reply_texts);
	tcase_add_test(tc, test_mlt_rcpt_judge_no_server_accepts);
	tcase_add_test(tc, test_mlt_rcpt_resolver_dups_share_options);
	tcase_add_test(tc, test_mlt_rcpt_judge_failure_not_asked_again);
	tcase_add_test(tc, test_mlt_rcpt_over_smtp_needs_a_port);
	suite_add_tcase(s, tc);
	tc = tcase_create("size_arg");
	tcase_add_loop_test(tc, test_mlt_rcpt_size_arg_table, 0,
	    (int)(sizeof(t_sizes) / sizeof(t_sizes[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(mlt_rcpt_suite());
}
