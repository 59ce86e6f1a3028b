/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of route: planning, de-duplication, grouping, domains. */

#include "unit.h"

#include "route.h"

static const char route_map[] = "a.example relay.example\n"
                                "a.example relay.example $priority:20\n"
                                "a.example u:p1@relay.example\n"
                                "b.example relay.example\n"
                                "c.example u:p2@relay.example\n"
                                "d.example u:p1@relay.example\n";

/* route_map_new - the test map, no diagnostics */
static struct ovr_map *
route_map_new(void)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;

	map = ovr_map_parse("map", route_map, sizeof(route_map) - 1, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	diag_list_free(dl);
	return map;
}

START_TEST(test_route_plan_same_target_tried_once)
{
	struct ovr_map *map = route_map_new();
	struct route r;

	route_plan(map, "A.Example.", 0, 0, 25, NULL, &r);
	ck_assert_int_eq(r.kind, ROUTE_OVERRIDE);
	ck_assert_str_eq(r.domain, "a.example");
	ck_assert_uint_eq(r.match.n, 3);
	/* The plain target once; the one with credentials is another. */
	ck_assert_uint_eq(r.n, 2);
	route_fini(&r);
	ovr_map_free(map);
}
END_TEST

START_TEST(test_route_plan_no_match_is_mx)
{
	struct ovr_map *map = route_map_new();
	struct route r;

	route_plan(map, "z.example", 0, 0, 2525, NULL, &r);
	ck_assert_int_eq(r.kind, ROUTE_MX);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(r.mx_port, 2525);
	route_fini(&r);
	route_plan(NULL, "z.example", 0, 0, 25, NULL, &r);
	ck_assert_int_eq(r.kind, ROUTE_MX);
	route_fini(&r);
	ovr_map_free(map);
}
END_TEST

START_TEST(test_route_same_compares_credentials)
{
	struct ovr_map *map = route_map_new();
	struct route b, c, d, d2, x, y;

	route_plan(map, "b.example", 0, 0, 25, NULL, &b);
	route_plan(map, "c.example", 0, 0, 25, NULL, &c);
	route_plan(map, "d.example", 0, 0, 25, NULL, &d);
	route_plan(map, "d.example", 0, 0, 25, NULL, &d2);
	route_plan(map, "x.example", 0, 0, 25, NULL, &x);
	route_plan(map, "y.example", 0, 0, 25, NULL, &y);
	ck_assert(!route_same(&b, &c)); /* with and without credentials */
	ck_assert(!route_same(&c, &d)); /* other password */
	ck_assert(route_same(&d, &d2));
	ck_assert(!route_same(&x, &y)); /* MX routes of other domains */
	ck_assert(!route_same(&b, &x));
	route_fini(&b);
	route_fini(&c);
	route_fini(&d);
	route_fini(&d2);
	route_fini(&x);
	route_fini(&y);
	ovr_map_free(map);
}
END_TEST

/* Addresses and the domains taken from them. */
static const struct {
	const char *in, *want; /* want NULL: refused */
} domain_cases[] = {
    {"user@Example.ORG", "example.org"},
    {"example.org.", "example.org"},
    {"a@b@c.example", "c.example"},
    {"user@", NULL},
    {"user@exa mple.org", NULL},
    {"user@[127.0.0.1]", "[127.0.0.1]"},
};

START_TEST(test_route_domain_of_table)
{
	char buf[OVR_DOMAIN_MAX + 1];
	bool ok = route_domain_of(domain_cases[_i].in, buf, sizeof(buf));

	if (domain_cases[_i].want == NULL)
		ck_assert_msg(!ok, "case \"%s\": got \"%s\", want refusal",
		    domain_cases[_i].in, buf);
	else
		ck_assert_msg(ok && strcmp(buf, domain_cases[_i].want) == 0,
		    "case \"%s\": got \"%s\", want \"%s\"", domain_cases[_i].in,
		    ok ? buf : "(refused)", domain_cases[_i].want);
}
END_TEST

/* route_suite - planning and grouping */
static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_route_plan_same_target_tried_once);
	tcase_add_test(tc, test_route_plan_no_match_is_mx);
	tcase_add_test(tc, test_route_same_compares_credentials);
	tcase_add_loop_test(tc, test_route_domain_of_table, 0,
	    sizeof(domain_cases) / sizeof(domain_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(route_suite());
}
