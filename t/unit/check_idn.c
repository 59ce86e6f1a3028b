/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of idn.h and of its users: route_domain_of, map patterns. */

#include "unit.h"

#include "diag.h"
#include "idn.h"
#include "ovr.h"
#include "route.h"

START_TEST(test_idn_to_ascii)
{
	char out[256];
	const char *err;

	ck_assert_int_eq(idn_to_ascii("b\xc3\xbc"
	                              "cher.example",
	                     out, sizeof(out), &err),
	    IDN_CONVERTED);
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	ck_assert_int_eq(
	    idn_to_ascii("*.m\xc3\xbcnchen.test", out, sizeof(out), &err),
	    IDN_CONVERTED);
	ck_assert_str_eq(out, "*.xn--mnchen-3ya.test");
	ck_assert_int_eq(
	    idn_to_ascii("plain.example", out, sizeof(out), &err), IDN_ASCII);
	ck_assert_str_eq(out, "plain.example");
	ck_assert_int_eq(
	    idn_to_ascii("bad\xff.test", out, sizeof(out), &err), IDN_BAD);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(idn_to_ascii("b\xc3\xbc"
	                              "cher.example",
	                     out, 10, &err),
	    IDN_BAD);
}
END_TEST

START_TEST(test_idn_address)
{
	char out[300];

	ck_assert(idn_address("user@B\xc3\x9c"
	                      "CHER.example",
	    out, sizeof(out)));
	ck_assert_str_eq(out, "user@xn--bcher-kva.example");
	/* A local part in UTF-8 needs SMTPUTF8: not converted. */
	ck_assert(!idn_address("m\xc3\xbcller@b\xc3\xbc"
	                       "cher.example",
	    out, sizeof(out)));
	ck_assert(!idn_address("user@plain.example", out, sizeof(out)));
	ck_assert(!idn_address("no-at-sign", out, sizeof(out)));
}
END_TEST

START_TEST(test_idn_route_domain_of)
{
	char d[OVR_DOMAIN_MAX + 3];

	ck_assert(route_domain_of("u@b\xc3\xbc"
	                          "cher.example.",
	    d, sizeof(d)));
	ck_assert_str_eq(d, "xn--bcher-kva.example");
	ck_assert(!route_domain_of("u@b\xfc"
	                           "cher.example",
	    d, sizeof(d)));
}
END_TEST

START_TEST(test_idn_map_pattern)
{
	static const char text[] = "*.m\xc3\xbcnchen.test relay.test\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = ovr_map_parse("m", text, strlen(text), dl);
	struct ovr_match m;

	ck_assert_uint_eq(diag_errors(dl), 0);
	ck_assert_uint_eq(diag_warnings(dl), 1);
	ck_assert_str_eq(
	    ovr_map_rule(map, 0)->pattern, "*.xn--mnchen-3ya.test");
	ck_assert_uint_eq(
	    ovr_map_match(map, "a.xn--mnchen-3ya.test", 0, 0, NULL, &m), 1);
	ovr_match_fini(&m);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* idn_suite - the tests */
static Suite *
idn_suite(void)
{
	Suite *s = suite_create("idn");
	TCase *tc = tcase_create("idn");

	tcase_add_test(tc, test_idn_to_ascii);
	tcase_add_test(tc, test_idn_address);
	tcase_add_test(tc, test_idn_route_domain_of);
	tcase_add_test(tc, test_idn_map_pattern);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(idn_suite());
}
