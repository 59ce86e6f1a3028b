/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the MTA-STS parsers and MX matching (sts.h). */

#include "unit.h"

#include "sts.h"

/* One TXT record case. */
struct txt_case {
	const char *name; /* case name for failures */
	const char *in; /* the record's text */
	enum sts_status st; /* wanted status */
	const char *id; /* wanted id (STS_OK) */
};

static const struct txt_case txt_cases[] = {
    {"plain", "v=STSv1; id=20160831085700Z;", STS_OK, "20160831085700Z"},
    {"no trailing delimiter", "v=STSv1; id=abc", STS_OK, "abc"},
    {"no spaces", "v=STSv1;id=abc;", STS_OK, "abc"},
    {"tabs and spaces", "v=STSv1 \t; \tid=abc \t;\t ", STS_OK, "abc"},
    {"extension before id", "v=STSv1; ext=a:b/c; id=1", STS_OK, "1"},
    {"extension after id", "v=STSv1; id=1; x_y.z-w=v", STS_OK, "1"},
    {"first id counts", "v=STSv1; id=first; id=second", STS_OK, "first"},
    {"32-character id", "v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345", STS_OK,
        "abcdefghijklmnopqrstuvwxyz012345"},
    {"33-character id", "v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456",
        STS_INVALID, NULL},
    {"id with a dot", "v=STSv1; id=a.b", STS_INVALID, NULL},
    {"empty id", "v=STSv1; id=", STS_INVALID, NULL},
    {"no id", "v=STSv1; ext=1", STS_INVALID, NULL},
    {"version only", "v=STSv1", STS_INVALID, NULL},
    {"version and delimiter", "v=STSv1;", STS_INVALID, NULL},
    {"missing delimiter", "v=STSv1 id=abc", STS_INVALID, NULL},
    {"space in value", "v=STSv1; id=abc def", STS_INVALID, NULL},
    {"equals in value", "v=STSv1; id=1; x=a=b", STS_INVALID, NULL},
    {"double delimiter", "v=STSv1;; id=1", STS_INVALID, NULL},
    {"key of punctuation", "v=STSv1; id=1; _x=1", STS_INVALID, NULL},
    {"another version", "v=STSv2; id=1", STS_NONE, NULL},
    {"lower case", "v=stsv1; id=1", STS_NONE, NULL},
    {"SPF", "v=spf1 -all", STS_NONE, NULL},
    {"version prefix only", "v=STSv10; id=1", STS_NONE, NULL},
    {"empty", "", STS_NONE, NULL},
};

START_TEST(test_sts_txt_parse_table)
{
	const struct txt_case *c = &txt_cases[_i];
	struct sts_txt t;
	struct why why;
	enum sts_status st;

	memset(&t, 0, sizeof(t));
	why_reset(&why);
	st = sts_txt_parse(c->in, strlen(c->in), &t, &why);
	ck_assert_msg(st == c->st, "case \"%s\": got %d, want %d (%s)", c->name,
	    st, c->st, why.text);
	if (st == STS_OK)
		ck_assert_msg(strcmp(t.id, c->id) == 0,
		    "case \"%s\": got id \"%s\", want \"%s\"", c->name, t.id,
		    c->id);
	if (st == STS_INVALID)
		ck_assert_msg(
		    why.text[0] != '\0', "case \"%s\": no reason", c->name);
}
END_TEST

START_TEST(test_sts_txt_parse_nul_inside)
{
	static const char in[] = "v=STSv1; id=a\0b";
	struct sts_txt t;
	struct why why;

	ck_assert_int_eq(
	    sts_txt_parse(in, sizeof(in) - 1, &t, &why), STS_INVALID);
}
END_TEST

START_TEST(test_sts_txt_pick_one_among_others)
{
	const char *texts[] = {"v=spf1 -all", "v=STSv1; id=x1", "other"};
	size_t lens[3];
	struct sts_txt t;
	struct why why;
	size_t i;

	for (i = 0; i < 3; i++)
		lens[i] = strlen(texts[i]);
	ck_assert_int_eq(sts_txt_pick(texts, lens, 3, &t, &why), STS_OK);
	ck_assert_str_eq(t.id, "x1");
}
END_TEST

START_TEST(test_sts_txt_pick_several_is_invalid)
{
	const char *texts[] = {"v=STSv1; id=a", "v=STSv1; id=b"};
	size_t lens[] = {13, 13};
	struct sts_txt t;
	struct why why;

	ck_assert_int_eq(sts_txt_pick(texts, lens, 2, &t, &why), STS_INVALID);
	ck_assert_ptr_nonnull(strstr(why.text, "several"));
}
END_TEST

START_TEST(test_sts_txt_pick_none)
{
	const char *texts[] = {"v=spf1 -all"};
	size_t lens[] = {11};
	struct sts_txt t;
	struct why why;

	ck_assert_int_eq(sts_txt_pick(texts, lens, 1, &t, &why), STS_NONE);
	ck_assert_int_eq(sts_txt_pick(texts, lens, 0, &t, &why), STS_NONE);
}
END_TEST

START_TEST(test_sts_txt_pick_invalid_one)
{
	const char *texts[] = {"v=STSv1; id=a b", "v=spf1"};
	size_t lens[] = {15, 6};
	struct sts_txt t;
	struct why why;

	why_reset(&why);
	ck_assert_int_eq(sts_txt_pick(texts, lens, 2, &t, &why), STS_INVALID);
	ck_assert_ptr_nonnull(strstr(why.text, "malformed"));
}
END_TEST

/* One policy case. */
struct policy_case {
	const char *name; /* case name for failures */
	const char *in; /* the body */
	enum sts_status st; /* wanted status */
	enum sts_mode mode; /* wanted mode (STS_OK) */
	unsigned long max_age; /* wanted max_age (STS_OK) */
	size_t mx_n; /* wanted mx count (STS_OK) */
	const char *mx0; /* wanted first pattern, or NULL */
};

static const struct policy_case policy_cases[] = {
    {"RFC example",
        "version: STSv1\nmode: testing\nmx: mx1.example.com\n"
        "mx: mx2.example.com\nmx: mx.backup-example.com\nmax_age: 1296000\n",
        STS_OK, STS_MODE_TESTING, 1296000, 3, "mx1.example.com"},
    {"CRLF",
        "version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\n"
        "max_age: 86400\r\n",
        STS_OK, STS_MODE_ENFORCE, 86400, 1, "*.example.com"},
    {"no final line end", "version: STSv1\nmode: none\nmax_age: 0", STS_OK,
        STS_MODE_NONE, 0, 0, NULL},
    {"no space after colon",
        "version:STSv1\nmode:enforce\nmx:A.Example.COM\n"
        "max_age:5\n",
        STS_OK, STS_MODE_ENFORCE, 5, 1, "a.example.com"},
    {"trailing blanks",
        "version: STSv1 \nmode: enforce\t\nmx: a.b \n"
        "max_age: 5  \n",
        STS_OK, STS_MODE_ENFORCE, 5, 1, "a.b"},
    {"blank lines",
        "\nversion: STSv1\n\nmode: enforce\nmx: a.b\n\n"
        "max_age: 5\n\n",
        STS_OK, STS_MODE_ENFORCE, 5, 1, "a.b"},
    {"trailing dot",
        "version: STSv1\nmode: enforce\nmx: a.b.\n"
        "max_age: 5\n",
        STS_OK, STS_MODE_ENFORCE, 5, 1, "a.b"},
    {"unknown key",
        "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 5\n"
        "ext_1: some value here\n",
        STS_OK, STS_MODE_ENFORCE, 5, 1, "a.b"},
    {"first mode counts",
        "version: STSv1\nmode: testing\nmode: enforce\n"
        "mx: a.b\nmax_age: 5\n",
        STS_OK, STS_MODE_TESTING, 5, 1, "a.b"},
    {"first max_age counts",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age: 5\nmax_age: 7\n",
        STS_OK, STS_MODE_TESTING, 5, 1, "a.b"},
    {"max_age capped",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age: 9999999999\n",
        STS_OK, STS_MODE_TESTING, STS_MAX_AGE_MAX, 1, "a.b"},
    {"max_age at the cap",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age: 31557600\n",
        STS_OK, STS_MODE_TESTING, 31557600, 1, "a.b"},
    {"mode none without mx", "version: STSv1\nmode: none\nmax_age: 60\n",
        STS_OK, STS_MODE_NONE, 60, 0, NULL},
    {"max_age 11 digits",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age: 10000000000\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"max_age negative",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age: -1\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"max_age empty",
        "version: STSv1\nmode: testing\nmx: a.b\n"
        "max_age:\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"no version", "mode: enforce\nmx: a.b\nmax_age: 5\n", STS_INVALID, 0, 0, 0,
        NULL},
    {"wrong version", "version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"no mode", "version: STSv1\nmx: a.b\nmax_age: 5\n", STS_INVALID, 0, 0, 0,
        NULL},
    {"mode upper case",
        "version: STSv1\nmode: Enforce\nmx: a.b\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"mode report", "version: STSv1\nmode: report\nmx: a.b\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"no max_age", "version: STSv1\nmode: enforce\nmx: a.b\n", STS_INVALID, 0,
        0, 0, NULL},
    {"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"testing without mx", "version: STSv1\nmode: testing\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"wildcard inside",
        "version: STSv1\nmode: enforce\nmx: a.*.b\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"bare wildcard", "version: STSv1\nmode: enforce\nmx: *\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"empty label", "version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"hyphen at label end",
        "version: STSv1\nmode: enforce\nmx: a-.b\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"underscore in mx",
        "version: STSv1\nmode: enforce\nmx: a_b.c\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"U-label mx",
        "version: STSv1\nmode: enforce\nmx: b\xc3\xbc.c\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"no colon", "version: STSv1\nmode enforce\nmx: a.b\nmax_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"space before colon",
        "version : STSv1\nmode: enforce\nmx: a.b\n"
        "max_age: 5\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"control character",
        "version: STSv1\nmode: enforce\nmx: a.b\n"
        "max_age: 5\nx: a\x01z\n",
        STS_INVALID, 0, 0, 0, NULL},
    {"HTML", "<html><body>not found</body></html>\n", STS_INVALID, 0, 0, 0,
        NULL},
    {"empty", "", STS_INVALID, 0, 0, 0, NULL},
};

START_TEST(test_sts_policy_parse_table)
{
	const struct policy_case *c = &policy_cases[_i];
	struct sts_policy p;
	struct why why;
	enum sts_status st;

	memset(&p, 0, sizeof(p));
	why_reset(&why);
	st = sts_policy_parse(c->in, strlen(c->in), &p, &why);
	ck_assert_msg(st == c->st, "case \"%s\": got %d, want %d (%s)", c->name,
	    st, c->st, why.text);
	if (st != STS_OK) {
		ck_assert_msg(
		    why.text[0] != '\0', "case \"%s\": no reason", c->name);
		return;
	}
	ck_assert_msg(p.mode == c->mode, "case \"%s\": got mode %s, want %s",
	    c->name, sts_mode_name(p.mode), sts_mode_name(c->mode));
	ck_assert_msg(p.max_age == c->max_age,
	    "case \"%s\": got max_age %lu, want %lu", c->name, p.max_age,
	    c->max_age);
	ck_assert_msg(p.mx_n == c->mx_n, "case \"%s\": got %zu mx, want %zu",
	    c->name, p.mx_n, c->mx_n);
	if (c->mx0 != NULL)
		ck_assert_msg(strcmp(p.mx[0], c->mx0) == 0,
		    "case \"%s\": got mx \"%s\", want \"%s\"", c->name, p.mx[0],
		    c->mx0);
}
END_TEST

START_TEST(test_sts_policy_parse_too_big)
{
	size_t n = STS_POLICY_MAX + 1;
	char *body = malloc(n);
	struct sts_policy p;
	struct why why;

	ck_assert_ptr_nonnull(body);
	memset(body, '\n', n);
	memcpy(body, "version: STSv1\nmode: none\nmax_age: 5\n", 37);
	ck_assert_int_eq(sts_policy_parse(body, n, &p, &why), STS_INVALID);
	ck_assert_ptr_nonnull(strstr(why.text, "larger"));
	ck_assert_int_eq(sts_policy_parse(body, n - 1, &p, &why), STS_OK);
	free(body);
}
END_TEST

START_TEST(test_sts_policy_parse_too_many_mx)
{
	char body[STS_MX_MAX * 16 + 128];
	size_t len, i;
	struct sts_policy p;
	struct why why;

	len = (size_t)snprintf(
	    body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 5\n");
	for (i = 0; i < STS_MX_MAX; i++)
		len += (size_t)snprintf(
		    body + len, sizeof(body) - len, "mx: mx%zu.a\n", i);
	ck_assert_int_eq(sts_policy_parse(body, len, &p, &why), STS_OK);
	ck_assert_uint_eq(p.mx_n, STS_MX_MAX);
	len +=
	    (size_t)snprintf(body + len, sizeof(body) - len, "mx: one.more\n");
	ck_assert_int_eq(sts_policy_parse(body, len, &p, &why), STS_INVALID);
}
END_TEST

/* One MX match case. */
struct match_case {
	const char *pattern; /* the policy's one mx */
	const char *host; /* the MX host name */
	bool match; /* wanted */
};

static const struct match_case match_cases[] = {
    {"mx.example.com", "mx.example.com", true},
    {"mx.example.com", "MX.Example.Com", true},
    {"mx.example.com", "mx.example.com.", true},
    {"mx.example.com", "mx2.example.com", false},
    {"mx.example.com", "example.com", false},
    {"*.example.com", "mail.example.com", true},
    {"*.example.com", "MAIL.example.com.", true},
    {"*.example.com", "example.com", false},
    {"*.example.com", "foo.bar.example.com", false},
    {"*.example.com", "mail.example.org", false},
    {"*.example.com", "mailexample.com", false},
    {"*.example.com", "", false},
    {"*.example.com", "a..example.com", false},
    {"mx.example.com", "mx.example.com..", false},
};

START_TEST(test_sts_policy_mx_match_table)
{
	const struct match_case *c = &match_cases[_i];
	struct sts_policy p;
	struct why why;
	char body[512];
	int n;

	n = snprintf(body, sizeof(body),
	    "version: STSv1\nmode: enforce\nmx: %s\nmax_age: 5\n", c->pattern);
	ck_assert_int_eq(sts_policy_parse(body, (size_t)n, &p, &why), STS_OK);
	ck_assert_msg(sts_policy_mx_match(&p, c->host) == c->match,
	    "pattern \"%s\", host \"%s\": got %d, want %d", c->pattern, c->host,
	    !c->match, c->match);
}
END_TEST

START_TEST(test_sts_policy_mx_match_any_of_several)
{
	static const char body[] = "version: STSv1\nmode: enforce\n"
	                           "mx: a.example.com\nmx: *.b.example.com\n"
	                           "max_age: 5\n";
	struct sts_policy p;
	struct why why;

	ck_assert_int_eq(
	    sts_policy_parse(body, sizeof(body) - 1, &p, &why), STS_OK);
	ck_assert(sts_policy_mx_match(&p, "a.example.com"));
	ck_assert(sts_policy_mx_match(&p, "x.b.example.com"));
	ck_assert(!sts_policy_mx_match(&p, "b.example.com"));
	ck_assert(!sts_policy_mx_match(&p, "c.example.com"));
}
END_TEST

START_TEST(test_sts_mode_name_all)
{
	ck_assert_str_eq(sts_mode_name(STS_MODE_NONE), "none");
	ck_assert_str_eq(sts_mode_name(STS_MODE_TESTING), "testing");
	ck_assert_str_eq(sts_mode_name(STS_MODE_ENFORCE), "enforce");
}
END_TEST

/* sts_suite - the suite */
static Suite *
sts_suite(void)
{
	Suite *s = suite_create("sts");
	TCase *tc = tcase_create("txt");

	tcase_add_loop_test(tc, test_sts_txt_parse_table, 0,
	    (int)(sizeof(txt_cases) / sizeof(txt_cases[0])));
	tcase_add_test(tc, test_sts_txt_parse_nul_inside);
	tcase_add_test(tc, test_sts_txt_pick_one_among_others);
	tcase_add_test(tc, test_sts_txt_pick_several_is_invalid);
	tcase_add_test(tc, test_sts_txt_pick_none);
	tcase_add_test(tc, test_sts_txt_pick_invalid_one);
	suite_add_tcase(s, tc);
	tc = tcase_create("policy");
	tcase_add_loop_test(tc, test_sts_policy_parse_table, 0,
	    (int)(sizeof(policy_cases) / sizeof(policy_cases[0])));
	tcase_add_test(tc, test_sts_policy_parse_too_big);
	tcase_add_test(tc, test_sts_policy_parse_too_many_mx);
	tcase_add_test(tc, test_sts_mode_name_all);
	suite_add_tcase(s, tc);
	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_sts_policy_mx_match_table, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	tcase_add_test(tc, test_sts_policy_mx_match_any_of_several);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(sts_suite());
}
