/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of deliver_resolve: literals, order, and failures that defer. */

#include <string.h>

#include "unit.h"

#include "deliver_resolve.h"
#include "msg.h"

static unsigned resolve_sends; /* queries the seam was asked to send */

/* resolve_send_fail - a DNS server that never answers properly */
static enum dns_send_status
resolve_send_fail(void *arg, const struct dns_server *server, bool tcp,
    const unsigned char *query, size_t query_len, unsigned char *reply,
    size_t reply_size, size_t *reply_len, int timeout_ms, struct why *why)
{
	(void)arg, (void)server, (void)tcp, (void)query, (void)query_len;
	(void)reply, (void)reply_size, (void)reply_len, (void)timeout_ms;
	resolve_sends++;
	why_set(why, "4.4.3", "test server refuses");
	return DNS_SEND_ERROR;
}

/* resolve_init - a resolver whose network is resolve_send_fail */
static void
resolve_init(struct deliver_resolver *res)
{
	static const struct dns_server srv = {"127.0.0.1", 53};
	struct dns_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.servers = &srv;
	opts.servers_n = 1;
	opts.tries = 1;
	opts.timeout_ms = 100;
	opts.send = resolve_send_fail;
	opts.seed = 1;
	resolve_sends = 0;
	deliver_resolver_init(res, &opts, 0);
}

/* resolve_plan - the route of domain through a map given as text */
static struct ovr_map *
resolve_plan(const char *text, const char *domain, struct route *r)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;
	struct rnd rng;

	if (text != NULL) {
		map = ovr_map_parse("map", text, strlen(text), dl);
		ck_assert_uint_eq(diag_errors(dl), 0);
	}
	diag_list_free(dl);
	rnd_init(&rng, 1);
	route_plan(map, domain, 0, 0, 2525, &rng, r);
	return map;
}

START_TEST(test_deliver_resolve_literal_domains)
{
	static const struct {
		const char *domain, *addr;
	} cases[] = {{"[127.0.0.9]", "127.0.0.9"}, {"[IPv6:::1]", "::1"},
	    {"[ipv6:2001:db8::5]", "2001:db8::5"}};
	struct deliver_target t[4];
	struct deliver_resolver res;
	struct route r;
	struct why why;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		resolve_init(&res);
		resolve_plan(NULL, cases[i].domain, &r);
		ck_assert_int_eq(
		    deliver_resolve(&res, &r, t, 4, &n, &why), SD_OK);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(t[0].addr, cases[i].addr);
		ck_assert_str_eq(t[0].host, cases[i].addr);
		ck_assert_uint_eq(t[0].port, 2525);
		ck_assert_ptr_null(t[0].rule);
		ck_assert_uint_eq(resolve_sends, 0);
		route_fini(&r);
		deliver_resolver_fini(&res);
	}
}
END_TEST

START_TEST(test_deliver_resolve_bad_literal_bounces)
{
	struct deliver_target t[4];
	struct deliver_resolver res;
	struct route r;
	struct why why;
	size_t n;

	resolve_init(&res);
	resolve_plan(NULL, "[1.2.3]", &r);
	ck_assert_int_eq(deliver_resolve(&res, &r, t, 4, &n, &why), SD_PERM);
	ck_assert_str_eq(why.dsn, "5.1.2");
	ck_assert_uint_eq(n, 0);
	route_fini(&r);
	deliver_resolver_fini(&res);
}
END_TEST

START_TEST(test_deliver_resolve_override_literals_in_priority_order)
{
	struct deliver_target t[4];
	struct deliver_resolver res;
	struct ovr_map *map;
	struct route r;
	struct why why;
	size_t n;

	resolve_init(&res);
	map = resolve_plan("x.example 127.0.0.5:2526\n"
	                   "x.example [::1]:2527 $priority:5\n",
	    "x.example", &r);
	ck_assert_int_eq(deliver_resolve(&res, &r, t, 4, &n, &why), SD_OK);
	ck_assert_str_eq(why.text, ""); /* no host left out */
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[0].addr, "::1");
	ck_assert_uint_eq(t[0].port, 2527);
	ck_assert_uint_eq(t[0].host_index, 0);
	ck_assert_str_eq(t[1].addr, "127.0.0.5");
	ck_assert_uint_eq(t[1].host_index, 1);
	ck_assert_uint_eq(t[1].rule->line, 1);
	/* Literals never open the resolver. */
	ck_assert_ptr_null(res.dns);
	ck_assert_uint_eq(resolve_sends, 0);
	route_fini(&r);
	ovr_map_free(map);
	deliver_resolver_fini(&res);
}
END_TEST

START_TEST(test_deliver_resolve_unresolvable_override_name_skipped)
{
	struct deliver_target t[4];
	struct deliver_resolver res;
	struct ovr_map *map;
	struct route r;
	struct why why;
	size_t n;

	resolve_init(&res);
	map = resolve_plan("x.example relay.example $priority:1\n"
	                   "x.example 127.0.0.5:2526\n",
	    "x.example", &r);
	ck_assert_int_eq(deliver_resolve(&res, &r, t, 4, &n, &why), SD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].addr, "127.0.0.5");
	ck_assert_uint_eq(t[0].host_index, 1);
	ck_assert_uint_gt(resolve_sends, 0);
	/* The host left out is said (the route must not bounce for the
	 * hosts that were tried alone, RFC 7504). */
	ck_assert_str_eq(why.dsn, "4.4.3");
	ck_assert_ptr_nonnull(strstr(why.text, "test server refuses"));
	route_fini(&r);
	ovr_map_free(map);
	deliver_resolver_fini(&res);
}
END_TEST

START_TEST(test_deliver_resolve_beyond_max_said)
{
	struct deliver_target t[2];
	struct deliver_resolver res;
	struct ovr_map *map;
	struct route r;
	struct why why;
	size_t n;

	resolve_init(&res);
	map = resolve_plan("x.example 127.0.0.5:2526\n"
	                   "x.example 127.0.0.6:2526\n"
	                   "x.example 127.0.0.7:2526\n",
	    "x.example", &r);
	ck_assert_int_eq(deliver_resolve(&res, &r, t, 2, &n, &why), SD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(why.dsn, "4.4.3");
	ck_assert_ptr_nonnull(strstr(why.text, "127.0.0.7"));
	route_fini(&r);
	ovr_map_free(map);
	deliver_resolver_fini(&res);
}
END_TEST

START_TEST(test_deliver_resolve_dns_failure_defers)
{
	static const char *const maps[] = {NULL, "x.example relay.example\n"};
	struct deliver_target t[4];
	struct deliver_resolver res;
	struct ovr_map *map;
	struct route r;
	struct why why;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		resolve_init(&res);
		map = resolve_plan(maps[i], "x.example", &r);
		ck_assert_int_eq(
		    deliver_resolve(&res, &r, t, 4, &n, &why), SD_TEMP);
		ck_assert_str_eq(why.dsn, "4.4.3");
		ck_assert_uint_eq(n, 0);
		route_fini(&r);
		ovr_map_free(map);
		deliver_resolver_fini(&res);
	}
}
END_TEST

/* deliver_resolve_suite - the tests */
static Suite *
deliver_resolve_suite(void)
{
	Suite *s = suite_create("deliver_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_deliver_resolve_literal_domains);
	tcase_add_test(tc, test_deliver_resolve_bad_literal_bounces);
	tcase_add_test(
	    tc, test_deliver_resolve_override_literals_in_priority_order);
	tcase_add_test(
	    tc, test_deliver_resolve_unresolvable_override_name_skipped);
	tcase_add_test(tc, test_deliver_resolve_beyond_max_said);
	tcase_add_test(tc, test_deliver_resolve_dns_failure_defers);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	msg_init("check_deliver_resolve", MSG_TO_STDERR);
	return unit_run(deliver_resolve_suite());
}
