/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of dns_mx_lookup, dns_host_lookup, dns_tlsa_lookup and
 * TXT lookups.
 */

#include <sys/socket.h>

#include "dns_canned.h"

#define T_NODATA NULL, CANNED_SOA

static const struct canned t_zone[] = {
    {"mx.test", DNS_T_MX, 0, 0, 0,
        "mx.test. 300 IN MX 10 b.test.|mx.test. 300 IN MX 20 c.test.|"
        "mx.test. 300 IN MX 10 a.test.|mx.test. 300 IN MX 5 first.test.",
        NULL},
    {"a.test", DNS_T_A, 0, 0, 0, "a.test. 300 IN A 192.0.2.1", NULL},
    {"a.test", DNS_T_AAAA, 0, 0, 0, "a.test. 300 IN AAAA 2001:db8::1", NULL},
    {"b.test", DNS_T_A, 0, 0, 0, "b.test. 300 IN A 192.0.2.2", NULL},
    {"c.test", DNS_T_A, 0, 0, 0, "c.test. 300 IN A 192.0.2.3", NULL},
    {"first.test", DNS_T_A, 0, 0, 0, "first.test. 300 IN A 192.0.2.5", NULL},
    {"implicit.test", DNS_T_A, 0, 0, 0, "implicit.test. 300 IN A 192.0.2.10",
        NULL},
    {"nullmx.test", DNS_T_MX, 0, 0, 0, "nullmx.test. 300 IN MX 0 .", NULL},
    {"dead.test", DNS_T_MX, 0, 0, 0,
        "dead.test. 300 IN MX 10 gone.test.|dead.test. 300 IN MX 20 b.test.",
        NULL},
    {"allgone.test", DNS_T_MX, 0, 0, 0,
        "allgone.test. 300 IN MX 10 gone.test.|"
        "allgone.test. 300 IN MX 20 gone2.test.",
        NULL},
    {"mxcname.test", DNS_T_MX, 0, 0, 0,
        "mxcname.test. 300 IN MX 10 alias.test.", NULL},
    {"alias.test", 0, 0, 0, 0, "alias.test. 300 IN CNAME a.test.", NULL},
    {"mxip.test", DNS_T_MX, 0, 0, 0, "mxip.test. 300 IN MX 10 192.0.2.77.",
        NULL},
    {"servfail.test", 0, 0, LDNS_RCODE_SERVFAIL, 0, NULL, NULL},
    {"hostfail.test", DNS_T_MX, 0, 0, 0,
        "hostfail.test. 300 IN MX 10 servfail.test.", NULL},
    {"_25._tcp.a.test", DNS_T_TLSA, 0, 0, CANNED_AD,
        "_25._tcp.a.test. 300 IN TLSA 3 1 1 "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        NULL},
    {"_mta-sts.a.test", DNS_T_TXT, 0, 0, 0,
        "_mta-sts.a.test. 300 IN TXT \"v=STSv1; \" \"id=20240101\"|"
        "_mta-sts.a.test. 300 IN TXT \"other\"",
        NULL},
    {"nx.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, CANNED_SOA},
    {"gone.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, CANNED_SOA},
    {"gone2.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, CANNED_SOA},
    /* Everything else exists without data. */
    {"mx.test", 0, 0, 0, 0, T_NODATA},
    {"a.test", 0, 0, 0, 0, T_NODATA},
    {"b.test", 0, 0, 0, 0, T_NODATA},
    {"c.test", 0, 0, 0, 0, T_NODATA},
    {"first.test", 0, 0, 0, 0, T_NODATA},
    {"implicit.test", 0, 0, 0, 0, T_NODATA},
    {"none.test", 0, 0, 0, 0, T_NODATA},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* t_mx - MX lookup with options; returns the status */
static enum dns_status
t_mx(const char *domain, struct dns_opts *o, struct dns_mxset *set,
    struct why *why)
{
	struct canned_ctx cx;
	struct dns *dns = canned_open(&cx, t_zone, o);
	enum dns_status st = dns_mx_lookup(dns, domain, set, why);

	dns_close(dns);
	return st;
}

START_TEST(test_dns_mx_lookup_sorts_by_preference)
{
	struct dns_mxset set;
	struct why why;

	ck_assert_int_eq(t_mx("mx.test", NULL, &set, &why), DNS_OK);
	ck_assert_uint_eq(set.n, 4);
	ck_assert_str_eq(set.hosts[0].name, "first.test");
	ck_assert_uint_eq(set.hosts[0].pref, 5);
	ck_assert_uint_eq(set.hosts[1].pref, 10);
	ck_assert_uint_eq(set.hosts[2].pref, 10);
	ck_assert_str_eq(set.hosts[3].name, "c.test");
	ck_assert(!set.implicit);
	dns_mxset_fini(&set);
}
END_TEST

START_TEST(test_dns_mx_lookup_shuffles_equal_preferences)
{
	struct dns_opts o = {0};
	struct dns_mxset set;
	struct why why;
	int a_first = 0, b_first = 0;

	for (o.seed = 1; o.seed <= 40; o.seed++) {
		ck_assert_int_eq(t_mx("mx.test", &o, &set, &why), DNS_OK);
		if (strcmp(set.hosts[1].name, "a.test") == 0)
			a_first++;
		else
			b_first++;
		dns_mxset_fini(&set);
	}
	ck_assert_int_gt(a_first, 5);
	ck_assert_int_gt(b_first, 5);
}
END_TEST

START_TEST(test_dns_mx_lookup_implicit_mx)
{
	struct dns_mxset set;
	struct why why;

	ck_assert_int_eq(t_mx("Implicit.Test.", NULL, &set, &why), DNS_OK);
	ck_assert(set.implicit);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_str_eq(set.hosts[0].name, "implicit.test");
	ck_assert_uint_eq(set.hosts[0].addrs_n, 1);
	ck_assert_int_eq(set.mx.status, DNS_NODATA);
	dns_mxset_fini(&set);
}
END_TEST

/* Domain-level outcomes. */
static const struct {
	const char *domain;
	enum dns_status want;
	const char *dsn;
} t_outcomes[] = {
    {"nullmx.test", DNS_NULLMX, "5.1.10"},
    {"nx.test", DNS_NXDOMAIN, "5.1.2"},
    {"none.test", DNS_NODATA, "5.4.4"},
    {"servfail.test", DNS_TEMP, "4.4.3"},
    {"allgone.test", DNS_TEMP, "4.4.3"},
    {"hostfail.test", DNS_TEMP, "4.4.3"},
    {"bad..test", DNS_BADNAME, "5.1.2"},
};

START_TEST(test_dns_mx_lookup_outcome_table)
{
	struct dns_mxset set;
	struct why why;
	enum dns_status st;

	why_reset(&why);
	st = t_mx(t_outcomes[_i].domain, NULL, &set, &why);
	ck_assert_msg(st == t_outcomes[_i].want,
	    "case \"%s\": got %s, want %s (%s)", t_outcomes[_i].domain,
	    dns_status_str(st), dns_status_str(t_outcomes[_i].want), why.text);
	ck_assert_msg(strcmp(why.dsn, t_outcomes[_i].dsn) == 0,
	    "case \"%s\": got %s, want %s", t_outcomes[_i].domain, why.dsn,
	    t_outcomes[_i].dsn);
	dns_mxset_fini(&set);
}
END_TEST

START_TEST(test_dns_mx_lookup_skips_host_without_address)
{
	struct dns_mxset set;
	struct why why;

	ck_assert_int_eq(t_mx("dead.test", NULL, &set, &why), DNS_OK);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_int_eq(set.hosts[0].status, DNS_NXDOMAIN);
	ck_assert_uint_eq(set.hosts[0].addrs_n, 0);
	ck_assert_int_eq(set.hosts[1].status, DNS_OK);
	dns_mxset_fini(&set);
}
END_TEST

START_TEST(test_dns_mx_lookup_follows_mx_to_cname)
{
	struct dns_mxset set;
	struct why why;
	struct dns_opts o = {.family = DNS_FAMILY_IPV4};

	ck_assert_int_eq(t_mx("mxcname.test", &o, &set, &why), DNS_OK);
	ck_assert_str_eq(set.hosts[0].name, "alias.test");
	ck_assert_uint_eq(set.hosts[0].addrs_n, 1);
	ck_assert_int_eq(set.hosts[0].addrs[0].bytes[3], 1);
	dns_mxset_fini(&set);
}
END_TEST

START_TEST(test_dns_mx_lookup_uses_ip_literal_as_address)
{
	struct dns_mxset set;
	struct why why;

	ck_assert_int_eq(t_mx("mxip.test", NULL, &set, &why), DNS_OK);
	ck_assert(set.hosts[0].is_literal);
	ck_assert_uint_eq(set.hosts[0].addrs_n, 1);
	ck_assert_int_eq(set.hosts[0].addrs[0].family, AF_INET);
	ck_assert_int_eq(set.hosts[0].addrs[0].bytes[3], 77);
	ck_assert(!set.hosts[0].a.asked);
	dns_mxset_fini(&set);
}
END_TEST

/* Address order per family options: a.test has one of each. */
static const struct {
	enum dns_family family;
	enum dns_prefer prefer;
	size_t n;
	int first;
} t_families[] = {
    {DNS_FAMILY_ANY, DNS_PREFER_IPV4, 2, AF_INET},
    {DNS_FAMILY_ANY, DNS_PREFER_IPV6, 2, AF_INET6},
    {DNS_FAMILY_IPV4, DNS_PREFER_IPV6, 1, AF_INET},
    {DNS_FAMILY_IPV6, DNS_PREFER_ANY, 1, AF_INET6},
};

START_TEST(test_dns_host_lookup_family_table)
{
	struct dns_opts o = {0};
	struct canned_ctx cx;
	struct dns_host h;
	struct why why;
	struct dns *dns;

	o.family = t_families[_i].family;
	o.prefer = t_families[_i].prefer;
	dns = canned_open(&cx, t_zone, &o);
	ck_assert_int_eq(dns_host_lookup(dns, "a.test", &h, &why), DNS_OK);
	ck_assert_msg(h.addrs_n == t_families[_i].n,
	    "case %d: got %zu, want %zu", _i, h.addrs_n, t_families[_i].n);
	ck_assert_int_eq(h.addrs[0].family, t_families[_i].first);
	dns_host_fini(&h);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_host_lookup_literal_needs_no_query)
{
	struct canned_ctx cx;
	struct dns_host h;
	struct why why;
	struct dns *dns = canned_open(&cx, t_zone, NULL);

	ck_assert_int_eq(
	    dns_host_lookup(dns, "[2001:db8::5]", &h, &why), DNS_OK);
	ck_assert_int_eq(h.addrs[0].family, AF_INET6);
	ck_assert_uint_eq(cx.udp, 0);
	dns_host_fini(&h);
	ck_assert_int_eq(
	    dns_host_lookup(dns, "gone.test", &h, &why), DNS_NXDOMAIN);
	dns_host_fini(&h);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_tlsa_lookup_keeps_ad_bit)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	struct dns *dns = canned_open(&cx, t_zone, NULL);

	ck_assert_int_eq(
	    dns_tlsa_lookup(dns, "A.test", 25, &ans, &why), DNS_OK);
	ck_assert(ans.ad);
	ck_assert_uint_eq(ans.n, 1);
	ck_assert_uint_eq(ans.recs[0].usage, 3);
	ck_assert_uint_eq(ans.recs[0].selector, 1);
	ck_assert_uint_eq(ans.recs[0].mtype, 1);
	ck_assert_uint_eq(ans.recs[0].len, 32);
	dns_answer_fini(&ans);
	ck_assert_int_eq(
	    dns_tlsa_lookup(dns, "b.test", 25, &ans, &why), DNS_NXDOMAIN);
	ck_assert(!ans.ad);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_lookup_txt_joins_strings)
{
	struct canned_ctx cx;
	struct dns_answer ans;
	struct why why;
	struct sbuf out;
	struct dns *dns = canned_open(&cx, t_zone, NULL);

	ck_assert_int_eq(
	    dns_lookup(dns, "_mta-sts.a.test", DNS_T_TXT, &ans, &why), DNS_OK);
	ck_assert_uint_eq(ans.n, 2);
	ck_assert_uint_eq(ans.recs[0].len, 20);
	ck_assert_str_eq(
	    (const char *)ans.recs[0].data, "v=STSv1; id=20240101");
	ck_assert_str_eq((const char *)ans.recs[1].data, "other");
	sbuf_init(&out);
	dns_answer_format(&ans, &out);
	ck_assert_ptr_nonnull(strstr(sbuf_str(&out), "TXT OK"));
	ck_assert_ptr_nonnull(
	    strstr(sbuf_str(&out), "\"v=STSv1; id=20240101\""));
	sbuf_fini(&out);
	dns_answer_fini(&ans);
	ck_assert_int_eq(
	    dns_lookup(dns, "_mta-sts.b.test", DNS_T_TXT, &ans, &why),
	    DNS_NXDOMAIN);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_mxset_format_names_sources)
{
	struct dns_mxset set;
	struct why why;
	struct sbuf out;
	struct dns_opts o = {.prefer = DNS_PREFER_IPV4};

	ck_assert_int_eq(t_mx("implicit.test", &o, &set, &why), DNS_OK);
	sbuf_init(&out);
	dns_mxset_format(&set, &out);
	ck_assert_str_eq(sbuf_str(&out),
	    "implicit.test: no MX, implicit MX: MX NODATA ttl 60 (network)\n"
	    "0 implicit.test: A ttl 300 (network), AAAA NODATA ttl 60 "
	    "(network)\n"
	    "    192.0.2.10\n");
	sbuf_fini(&out);
	dns_mxset_fini(&set);
}
END_TEST

/* dns_mx_suite - the tests */
static Suite *
dns_mx_suite(void)
{
	Suite *s = suite_create("dns_mx");
	TCase *tc = tcase_create("mx");

	tcase_add_test(tc, test_dns_mx_lookup_sorts_by_preference);
	tcase_add_test(tc, test_dns_mx_lookup_shuffles_equal_preferences);
	tcase_add_test(tc, test_dns_mx_lookup_implicit_mx);
	tcase_add_loop_test(tc, test_dns_mx_lookup_outcome_table, 0,
	    sizeof(t_outcomes) / sizeof(t_outcomes[0]));
	tcase_add_test(tc, test_dns_mx_lookup_skips_host_without_address);
	tcase_add_test(tc, test_dns_mx_lookup_follows_mx_to_cname);
	tcase_add_test(tc, test_dns_mx_lookup_uses_ip_literal_as_address);
	tcase_add_test(tc, test_dns_mxset_format_names_sources);
	suite_add_tcase(s, tc);
	tc = tcase_create("host");
	tcase_add_loop_test(tc, test_dns_host_lookup_family_table, 0,
	    sizeof(t_families) / sizeof(t_families[0]));
	tcase_add_test(tc, test_dns_host_lookup_literal_needs_no_query);
	tcase_add_test(tc, test_dns_tlsa_lookup_keeps_ad_bit);
	tcase_add_test(tc, test_dns_lookup_txt_joins_strings);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run */
int
main(void)
{
	return unit_run(dns_mx_suite());
}
