/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the RFC 3461 parameters (smtp_dsn.c): xtext, which
 * ENVID and ORCPT values may go, and that they go only to a server that
 * offers DSN.
 */

#include <string.h>

#include "unit.h"

#include "smtp_int.h"

/* One string and its xtext. */
static const struct {
	const char *name; /* case */
	const char *in; /* raw */
	const char *want; /* xtext */
} xt_cases[] = {
    {"plain address", "bob@example.com", "bob@example.com"},
    {"plus", "bob+tag@example.com", "bob+2Btag@example.com"},
    {"equals", "a=b", "a+3Db"},
    {"space", "a b", "a+20b"},
    {"every edge of xchar", "!~", "!~"},
    {"tab and CR LF", "a\tb\r\n", "a+09b+0D+0A"},
    {"DEL", "\x7f", "+7F"},
    {"UTF-8 bytes", "j\xc3\xbcrgen", "j+C3+BCrgen"},
    {"a lone plus", "+", "+2B"},
    {"semicolon and quotes stay", "\"a;b\"@c", "\"a;b\"@c"},
    {"empty", "", ""},
};

START_TEST(test_smtp_dsn_xtext_encodes)
{
	char out[SMTP_DSN_PARAM_MAX];
	size_t n;

	n = smtp_dsn_xtext(out, sizeof(out), xt_cases[_i].in);
	ck_assert_msg(strcmp(out, xt_cases[_i].want) == 0,
	    "case \"%s\": got \"%s\", want \"%s\"", xt_cases[_i].name, out,
	    xt_cases[_i].want);
	ck_assert_uint_eq(n, strlen(xt_cases[_i].want));
}
END_TEST

START_TEST(test_smtp_dsn_xtext_does_not_fit)
{
	char out[8];

	/* "a+2Bb" and its NUL take 6 bytes. */
	ck_assert_uint_eq(smtp_dsn_xtext(out, 6, "a+b"), 5);
	ck_assert_str_eq(out, "a+2Bb");
	ck_assert_uint_eq(smtp_dsn_xtext(out, 5, "a+b"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(smtp_dsn_xtext(out, 4, "abcd"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(smtp_dsn_xtext(out, 0, "a"), 0);
}
END_TEST

START_TEST(test_smtp_dsn_envid_ok_limits)
{
	char id[SMTP_DSN_ENVID_MAX + 2];

	ck_assert(smtp_dsn_envid_ok("QQ314159"));
	ck_assert(smtp_dsn_envid_ok("with space+plus=equals"));
	ck_assert(!smtp_dsn_envid_ok(NULL));
	ck_assert(!smtp_dsn_envid_ok(""));
	ck_assert(!smtp_dsn_envid_ok("tab\there"));
	ck_assert(!smtp_dsn_envid_ok("caf\xc3\xa9"));
	memset(id, 'x', SMTP_DSN_ENVID_MAX);
	id[SMTP_DSN_ENVID_MAX] = '\0';
	ck_assert(smtp_dsn_envid_ok(id));
	id[SMTP_DSN_ENVID_MAX] = 'x';
	id[SMTP_DSN_ENVID_MAX + 1] = '\0';
	ck_assert(!smtp_dsn_envid_ok(id));
}
END_TEST

START_TEST(test_smtp_dsn_orcpt_ok_limits)
{
	char a[SMTP_DSN_ORCPT_MAX];
	size_t room = SMTP_DSN_ORCPT_MAX - strlen("ORCPT=rfc822;");

	ck_assert(smtp_dsn_orcpt_ok("bob@example.com"));
	ck_assert(smtp_dsn_orcpt_ok("\"john smith\"@example.com"));
	ck_assert(!smtp_dsn_orcpt_ok(NULL));
	ck_assert(!smtp_dsn_orcpt_ok(""));
	/* Non-ASCII (RFC 6533's utf-8 type is not implemented). */
	ck_assert(!smtp_dsn_orcpt_ok("j\xc3\xbcrgen@example.com"));
	ck_assert(!smtp_dsn_orcpt_ok("bob\r\n@example.com"));
	/* The whole parameter counts: "ORCPT=rfc822;" and the xtext. */
	memset(a, 'a', room);
	a[room] = '\0';
	ck_assert(smtp_dsn_orcpt_ok(a));
	a[room - 1] = '+'; /* three bytes of xtext: two too many */
	ck_assert(!smtp_dsn_orcpt_ok(a));
	a[room - 2] = '\0'; /* two bytes fewer: one "+3D" fits */
	a[room - 3] = '=';
	ck_assert(smtp_dsn_orcpt_ok(a));
}
END_TEST

START_TEST(test_smtp_dsn_params_only_with_dsn)
{
	char buf[SMTP_DSN_PARAM_MAX];
	unsigned dsn = SMTP_CAP_ESMTP | SMTP_CAP_DSN;

	ck_assert_str_eq(smtp_dsn_mail_param(dsn, "id 1+2", buf, sizeof(buf)),
	    " ENVID=id+201+2B2");
	ck_assert_str_eq(
	    smtp_dsn_rcpt_param(dsn, "a+b@example.com", buf, sizeof(buf)),
	    " ORCPT=rfc822;a+2Bb@example.com");
	/* A server without DSN gets neither. */
	ck_assert_str_eq(
	    smtp_dsn_mail_param(SMTP_CAP_ESMTP, "id", buf, sizeof(buf)), "");
	ck_assert_str_eq(smtp_dsn_rcpt_param(
	                     SMTP_CAP_ESMTP, "a@example.com", buf, sizeof(buf)),
	    "");
	/* None given, or one that may not go. */
	ck_assert_str_eq(smtp_dsn_mail_param(dsn, NULL, buf, sizeof(buf)), "");
	ck_assert_str_eq(smtp_dsn_mail_param(dsn, "", buf, sizeof(buf)), "");
	ck_assert_str_eq(smtp_dsn_rcpt_param(dsn, NULL, buf, sizeof(buf)), "");
	ck_assert_str_eq(
	    smtp_dsn_rcpt_param(dsn, "\xc3\xa9@example.com", buf, sizeof(buf)),
	    "");
}
END_TEST

/* smtp_dsn_suite - xtext and the parameters */
static Suite *
smtp_dsn_suite(void)
{
	Suite *s = suite_create("smtp_dsn");
	TCase *tx = tcase_create("xtext");
	TCase *tp = tcase_create("params");

	tcase_add_loop_test(tx, test_smtp_dsn_xtext_encodes, 0,
	    (int)(sizeof(xt_cases) / sizeof(xt_cases[0])));
	tcase_add_test(tx, test_smtp_dsn_xtext_does_not_fit);
	suite_add_tcase(s, tx);
	tcase_add_test(tp, test_smtp_dsn_envid_ok_limits);
	tcase_add_test(tp, test_smtp_dsn_orcpt_ok_limits);
	tcase_add_test(tp, test_smtp_dsn_params_only_with_dsn);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	return unit_run(smtp_dsn_suite());
}
