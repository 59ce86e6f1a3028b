/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of deliver's arguments (deliver_args.c), the RFC 3461
 * ones above all: -E ENVID, and --orcpt=ADDRESS once per recipient in
 * their order, as Postfix's pipe(8) expands --orcpt=${original_recipient}
 * beside ${recipient}; a count that does not match is refused.
 */

#include <string.h>

#include "unit.h"

#include "deliver_args.h"

#define DA_ARGS_MAX 16 /* most arguments in a case */

/* One command line and what it must give. */
static const struct {
	const char *name; /* case */
	const char *argv[DA_ARGS_MAX]; /* after "deliver", NULL-ended */
	bool ok; /* deliver_args_parse() */
	const char *envid; /* a.envid when ok */
	const char *orcpt[3]; /* a.orcpts when ok, NULL: none given */
	const char *why; /* a word of why.text when not ok */
} da_cases[] = {
    {"no DSN arguments", {"-f", "s@x.test", "--", "r@y.test", NULL}, true, "",
        {NULL}, NULL},
    {"ENVID", {"-f", "s@x.test", "-E", "Q1+=x", "--", "r@y.test", NULL}, true,
        "Q1+=x", {NULL}, NULL},
    {"empty ENVID, as ${envid} without one",
        {"-f", "s@x.test", "-E", "", "--", "r@y.test", NULL}, true, "", {NULL},
        NULL},
    {"one ORCPT",
        {"-f", "s@x.test", "--orcpt=o@y.test", "--", "r@y.test", NULL}, true,
        "", {"o@y.test"}, NULL},
    {"ORCPTs in the order of the recipients, one empty, one in <>",
        {"-f", "s@x.test", "-q", "Q", "--orcpt=a.orig@y.test",
            "--orcpt=", "--orcpt=<c.orig@y.test>", "--", "a@y.test", "b@y.test",
            "c@y.test", NULL},
        true, "", {"a.orig@y.test", "", "c.orig@y.test"}, NULL},
    {"fewer ORCPTs than recipients",
        {"-f", "s@x.test", "--orcpt=a@y.test", "--", "a@y.test", "b@y.test",
            NULL},
        false, NULL, {NULL}, "--orcpt="},
    {"more ORCPTs than recipients",
        {"-f", "s@x.test", "--orcpt=a@y.test", "--orcpt=b@y.test", "--",
            "a@y.test", NULL},
        false, NULL, {NULL}, "--orcpt="},
    {"--orcpt apart from its value",
        {"-f", "s@x.test", "--orcpt", "a@y.test", "--", "a@y.test", NULL},
        false, NULL, {NULL}, "one argument"},
    {"-E without its value", {"-f", "s@x.test", "-E", NULL}, false, NULL,
        {NULL}, "bad option -E"},
    {"an unknown long option",
        {"-f", "s@x.test", "--notify=SUCCESS", "--", "a@y.test", NULL}, false,
        NULL, {NULL}, "--notify=SUCCESS"},
};

START_TEST(test_deliver_args_parse_dsn)
{
	char *argv[DA_ARGS_MAX + 1];
	struct deliver_args a;
	struct why why;
	int argc = 0, i;
	bool ok;

	argv[argc++] = "deliver";
	for (i = 0; da_cases[_i].argv[i] != NULL; i++)
		argv[argc++] = (char *)da_cases[_i].argv[i];
	argv[argc] = NULL;
	why_reset(&why);
	ok = deliver_args_parse(argc, argv, &a, &why);
	ck_assert_msg(ok == da_cases[_i].ok, "case \"%s\": got %d (%s)",
	    da_cases[_i].name, ok, why.text);
	if (!ok) {
		ck_assert_str_eq(why.dsn, "4.3.5");
		ck_assert_msg(strstr(why.text, da_cases[_i].why) != NULL,
		    "case \"%s\": \"%s\" lacks \"%s\"", da_cases[_i].name,
		    why.text, da_cases[_i].why);
		deliver_args_free(&a);
		return;
	}
	ck_assert_str_eq(a.envid, da_cases[_i].envid);
	if (da_cases[_i].orcpt[0] == NULL) {
		ck_assert_ptr_null(a.orcpts);
	} else {
		ck_assert_ptr_nonnull(a.orcpts);
		for (i = 0; (size_t)i < a.nrcpt; i++)
			ck_assert_str_eq(a.orcpts[i], da_cases[_i].orcpt[i]);
	}
	deliver_args_free(&a);
}
END_TEST

/* deliver_args_suite - the command line */
static Suite *
deliver_args_suite(void)
{
	Suite *s = suite_create("deliver_args");
	TCase *tc = tcase_create("dsn");

	tcase_add_loop_test(tc, test_deliver_args_parse_dsn, 0,
	    (int)(sizeof(da_cases) / sizeof(da_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(deliver_args_suite());
}
