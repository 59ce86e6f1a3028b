/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of mlt_hdr: X-SMTPDirect-* names, route header values. */

#include "unit.h"

#include "mlt_hdr.h"
#include "route.h"

static const char mlt_map_text[] =
    "big.test relay.test:2525 $size>1M\n"
    "small.test relay2.test\n"
    "small.test fred:S3cret@[::1]:587 $priority:20\n"
    "mx.test relay4.test $size>10G\n";

/* mlt_test_map - the test map, no diagnostics */
static struct ovr_map *
mlt_test_map(void)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;

	map = ovr_map_parse("map", mlt_map_text, sizeof(mlt_map_text) - 1, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	diag_list_free(dl);
	return map;
}

/* mlt_test_route - the route header value of rcpt at size */
static char *
mlt_test_route(const char *rcpt, const char *domain, unsigned long long size)
{
	struct ovr_map *map = mlt_test_map();
	struct sbuf sb;
	struct route r;
	char *v;

	sbuf_init(&sb);
	route_plan(map, domain, size, 0, 25, NULL, &r);
	mlt_hdr_route_format(rcpt, &r, &sb);
	route_fini(&r);
	ovr_map_free(map);
	v = sbuf_export(&sb);
	sbuf_fini(&sb); /* export leaves an empty buffer */
	return v;
}

/* Header names: ours or not. */
static const struct {
	const char *name; /* header name */
	bool ours; /* want */
} name_cases[] = {
    {"X-SMTPDirect-Route", true},
    {"x-smtpdirect-route", true},
    {"X-SMTPDIRECT-TRANSPORT", true},
    {"X-SMTPDirect-", true},
    {"X-SMTPDirect-Anything-Else", true},
    {"X-SMTPDirect", false},
    {"X-SMTPDirectRoute", false},
    {"Subject", false},
    {"", false},
    {"X-Smtp-Direct-Route", false},
};

START_TEST(test_mlt_hdr_is_ours_table)
{
	bool got = mlt_hdr_is_ours(name_cases[_i].name);

	ck_assert_msg(got == name_cases[_i].ours,
	    "case \"%s\": got %d, want %d", name_cases[_i].name, got,
	    name_cases[_i].ours);
}
END_TEST

START_TEST(test_mlt_hdr_seen_add_counts_names_case_insensitively)
{
	struct mlt_hdr_seen s;

	mlt_hdr_seen_init(&s);
	ck_assert(mlt_hdr_seen_add(&s, "X-SMTPDirect-Route"));
	ck_assert(mlt_hdr_seen_add(&s, "x-smtpdirect-route"));
	ck_assert(mlt_hdr_seen_add(&s, "X-SMTPDirect-Transport"));
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.v[0].name, "X-SMTPDirect-Route");
	ck_assert_uint_eq(s.v[0].count, 2);
	ck_assert_uint_eq(s.v[1].count, 1);
	mlt_hdr_seen_fini(&s);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(test_mlt_hdr_seen_add_refuses_past_the_limit)
{
	struct mlt_hdr_seen s;
	char name[64];
	size_t i;

	mlt_hdr_seen_init(&s);
	for (i = 0; i < MLT_HDR_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "X-SMTPDirect-%zu", i);
		ck_assert(mlt_hdr_seen_add(&s, name));
	}
	ck_assert(!mlt_hdr_seen_add(&s, "X-SMTPDirect-new"));
	/* A name already held is still counted. */
	ck_assert(mlt_hdr_seen_add(&s, "X-SMTPDirect-0"));
	ck_assert_uint_eq(s.v[0].count, 2);
	mlt_hdr_seen_fini(&s);
}
END_TEST

START_TEST(test_mlt_hdr_route_format_override_lines_and_hosts)
{
	char *v = mlt_test_route("<u@small.test>", "small.test", 100);

	ck_assert_str_eq(v,
	    "<u@small.test>; override; lines=2,3; "
	    "hosts=relay2.test,[::1]:587(auth)");
	ck_assert_ptr_null(strstr(v, "S3cret"));
	ck_assert_ptr_null(strstr(v, "fred"));
	free(v);
}
END_TEST

START_TEST(test_mlt_hdr_route_format_size_flips)
{
	char *v = mlt_test_route("<a@big.test>", "big.test", 1024 * 1024);

	ck_assert_str_eq(v, "<a@big.test>; mx; domain=big.test");
	free(v);
	v = mlt_test_route("<a@big.test>", "big.test", 1024 * 1024 + 1);
	ck_assert_str_eq(
	    v, "<a@big.test>; override; lines=1; hosts=relay.test:2525");
	free(v);
}
END_TEST

START_TEST(test_mlt_hdr_route_format_invalid_domain)
{
	struct sbuf sb;

	sbuf_init(&sb);
	mlt_hdr_route_format("<nobody>", NULL, &sb);
	ck_assert_str_eq(sbuf_str(&sb), "<nobody>; invalid-domain");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_mlt_hdr_rcpt_clean_8bit_and_long)
{
	struct sbuf sb;
	char big[2000];

	sbuf_init(&sb);
	mlt_hdr_rcpt_clean("j\xc3\xb6rg@ex\r\nample.test", &sb);
	ck_assert_str_eq(sbuf_str(&sb), "<j??rg@ex??ample.test>");
	sbuf_reset(&sb);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '<';
	big[sizeof(big) - 2] = '>';
	big[sizeof(big) - 1] = '\0';
	mlt_hdr_rcpt_clean(big, &sb);
	ck_assert_uint_eq(sb.len, MLT_HDR_RCPT_MAX + 4);
	ck_assert_str_eq(sbuf_str(&sb) + sb.len - 4, "...>");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_mlt_hdr_route_format_capped)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	struct sbuf text, sb;
	struct route r;
	size_t i;

	/* 300 targets for one domain: the value stops at the cap. */
	sbuf_init(&text);
	for (i = 0; i < 300; i++)
		sbuf_printf(
		    &text, "many.test relay%zu.example.net:%zu\n", i, 1000 + i);
	map = ovr_map_parse("map", text.data, text.len, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	sbuf_init(&sb);
	route_plan(map, "many.test", 1, 0, 25, NULL, &r);
	mlt_hdr_route_format("<x@many.test>", &r, &sb);
	ck_assert_uint_le(sb.len, MLT_HDR_VALUE_MAX);
	ck_assert_str_eq(sbuf_str(&sb) + sb.len - 4, " ...");
	ck_assert_ptr_nonnull(strstr(sbuf_str(&sb), "; hosts=relay0."));
	route_fini(&r);
	sbuf_fini(&sb);
	sbuf_fini(&text);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* mlt_hdr_suite - the milter's headers */
static Suite *
mlt_hdr_suite(void)
{
	Suite *s = suite_create("mlt_hdr");
	TCase *tc = tcase_create("hdr");

	tcase_add_loop_test(tc, test_mlt_hdr_is_ours_table, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(
	    tc, test_mlt_hdr_seen_add_counts_names_case_insensitively);
	tcase_add_test(tc, test_mlt_hdr_seen_add_refuses_past_the_limit);
	tcase_add_test(tc, test_mlt_hdr_route_format_override_lines_and_hosts);
	tcase_add_test(tc, test_mlt_hdr_route_format_size_flips);
	tcase_add_test(tc, test_mlt_hdr_route_format_invalid_domain);
	tcase_add_test(tc, test_mlt_hdr_rcpt_clean_8bit_and_long);
	tcase_add_test(tc, test_mlt_hdr_route_format_capped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(mlt_hdr_suite());
}
