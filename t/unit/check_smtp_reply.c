/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the SMTP reply parser and state names. */

#include "unit.h"

#include "smtp_int.h"

/* One parser case: input fed in chunks of chunk bytes (0 = at once). */
struct reply_case {
	const char *name; /* case name for failures */
	const char *in; /* bytes fed */
	size_t len; /* bytes in in; 0 = strlen */
	size_t chunk; /* feed size, 0 = all at once */
	bool esc; /* enhanced status codes on */
	enum smtp_reply_rc rc; /* wanted result */
	int code; /* wanted code (DONE) */
	const char *dsn; /* wanted enhanced code (DONE) */
	const char *text; /* wanted text (DONE) */
	size_t used; /* wanted bytes used; 0 = all */
};

static const struct reply_case reply_cases[] = {
    {"single", "250 Ok\r\n", 0, 0, false, SMTP_REPLY_DONE, 250, "", "Ok", 0},
    {"multi", "250-a\r\n250-b\r\n250 c\r\n", 0, 0, false, SMTP_REPLY_DONE, 250,
        "", "a\nb\nc", 0},
    {"split by byte", "250-a\r\n250-b\r\n250 c\r\n", 0, 1, false,
        SMTP_REPLY_DONE, 250, "", "a\nb\nc", 0},
    {"split by 3", "250-first\r\n250 last\r\n", 0, 3, false, SMTP_REPLY_DONE,
        250, "", "first\nlast", 0},
    {"split inside CRLF", "354 go\r\n", 0, 7, false, SMTP_REPLY_DONE, 354, "",
        "go", 0},
    {"bare LF", "220 hi\n", 0, 0, false, SMTP_REPLY_DONE, 220, "", "hi", 0},
    {"code only", "250\r\n", 0, 0, false, SMTP_REPLY_DONE, 250, "", "", 0},
    {"continuation without text", "250-\r\n250 x\r\n", 0, 0, false,
        SMTP_REPLY_DONE, 250, "", "\nx", 0},
    {"enhanced code", "550 5.1.1 <x@y>: user unknown\r\n", 0, 0, true,
        SMTP_REPLY_DONE, 550, "5.1.1", "<x@y>: user unknown", 0},
    {"enhanced code off", "550 5.1.1 <x@y>: no\r\n", 0, 0, false,
        SMTP_REPLY_DONE, 550, "", "5.1.1 <x@y>: no", 0},
    {"enhanced class mismatch", "550 4.1.1 no\r\n", 0, 0, true, SMTP_REPLY_DONE,
        550, "", "4.1.1 no", 0},
    {"enhanced multi-line", "452-4.5.3 a\r\n452 4.5.3 b\r\n", 0, 0, true,
        SMTP_REPLY_DONE, 452, "4.5.3", "a\nb", 0},
    {"enhanced malformed", "550 5.1 no\r\n", 0, 0, true, SMTP_REPLY_DONE, 550,
        "", "5.1 no", 0},
    {"enhanced code alone", "250 2.0.0\r\n", 0, 0, true, SMTP_REPLY_DONE, 250,
        "2.0.0", "", 0},
    {"enhanced three digits", "550 5.7.100 x\r\n", 0, 0, true, SMTP_REPLY_DONE,
        550, "5.7.100", "x", 0},
    {"pipelined replies", "250 a\r\n354 go\r\n", 0, 0, false, SMTP_REPLY_DONE,
        250, "", "a", 7},
    {"NUL in text", "250 a\0b\r\n", 9, 0, false, SMTP_REPLY_DONE, 250, "",
        "a?b", 0},
    {"incomplete", "250-a\r\n250 b", 0, 0, false, SMTP_REPLY_MORE, 0, "", "",
        0},
    {"incomplete split", "250-a\r\n250-b\r\n", 0, 2, false, SMTP_REPLY_MORE, 0,
        "", "", 0},
    {"letters", "abc def\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"code 650", "650 x\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"code 150", "150 x\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"code 260", "260 x\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"bad separator", "250x\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"short", "25\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"empty line", "\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "", "", 0},
    {"mixed codes", "250-a\r\n251 b\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "",
        "", 0},
    {"mixed codes split", "250-a\r\n550 b\r\n", 0, 4, false, SMTP_REPLY_BAD, 0,
        "", "", 0},
    {"binary garbage", "\x01\xff garbage\r\n", 0, 0, false, SMTP_REPLY_BAD, 0,
        "", "", 0},
    {"HTTP", "HTTP/1.1 400 Bad Request\r\n", 0, 0, false, SMTP_REPLY_BAD, 0, "",
        "", 0},
};

/* reply_feed - feed in chunks; returns the result, *used the total used */
static enum smtp_reply_rc
reply_feed(struct smtp_reply *r, const char *in, size_t len, size_t chunk,
    size_t *used, struct why *why)
{
	enum smtp_reply_rc rc = SMTP_REPLY_MORE;
	size_t off = 0, n, u;

	if (chunk == 0)
		chunk = len;
	while (off < len && rc == SMTP_REPLY_MORE) {
		n = len - off < chunk ? len - off : chunk;
		rc = smtp_reply_parse(r, in + off, n, &u, why);
		ck_assert_uint_le(u, n);
		if (rc == SMTP_REPLY_MORE)
			ck_assert_uint_eq(u, n);
		off += u;
	}
	*used = off;
	return rc;
}

START_TEST(test_smtp_reply_parse_table)
{
	const struct reply_case *c = &reply_cases[_i];
	size_t len = c->len ? c->len : strlen(c->in), used;
	struct smtp_reply r;
	enum smtp_reply_rc rc;
	struct why why;

	why_reset(&why);
	smtp_reply_init(&r, c->esc);
	rc = reply_feed(&r, c->in, len, c->chunk, &used, &why);
	ck_assert_msg(rc == c->rc, "case \"%s\": got rc %d, want %d (%s)",
	    c->name, rc, c->rc, why.text);
	if (rc == SMTP_REPLY_BAD) {
		ck_assert_msg(strcmp(why.dsn, "4.5.0") == 0,
		    "case \"%s\": got dsn %s, want 4.5.0", c->name, why.dsn);
		return;
	}
	if (rc != SMTP_REPLY_DONE)
		return;
	ck_assert_msg(r.code == c->code, "case \"%s\": got code %d, want %d",
	    c->name, r.code, c->code);
	ck_assert_msg(strcmp(r.dsn, c->dsn) == 0,
	    "case \"%s\": got dsn \"%s\", want \"%s\"", c->name, r.dsn, c->dsn);
	ck_assert_msg(strcmp(r.text, c->text) == 0,
	    "case \"%s\": got text \"%s\", want \"%s\"", c->name, r.text,
	    c->text);
	ck_assert_msg(used == (c->used ? c->used : len),
	    "case \"%s\": got used %zu, want %zu", c->name, used,
	    c->used ? c->used : len);
}
END_TEST

/* reply_big - a reply built from n lines of width bytes of 'x' */
static char *
reply_big(size_t n, size_t width)
{
	char *buf = malloc(n * (width + 6) + 1), *p = buf;
	size_t i;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < n; i++) {
		memcpy(p, i + 1 < n ? "250-" : "250 ", 4);
		p += 4;
		memset(p, 'x', width);
		p += width;
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	*p = '\0';
	return buf;
}

START_TEST(test_smtp_reply_parse_overlong_line)
{
	char *in = reply_big(1, SMTP_REPLY_LINE_MAX + 10);
	struct smtp_reply r;
	struct why why;
	size_t used;

	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 0, &used, &why), SMTP_REPLY_BAD);
	ck_assert_str_eq(why.dsn, "4.5.0");
	ck_assert_ptr_nonnull(strstr(why.text, "too long"));
	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 100, &used, &why), SMTP_REPLY_BAD);
	free(in);
}
END_TEST

START_TEST(test_smtp_reply_parse_overlong_line_quotes_it)
{
	char *in = reply_big(1, SMTP_REPLY_LINE_MAX + 10);
	struct smtp_reply r;
	struct why why;
	size_t used;

	/* A shorter reply first leaves its bytes in the line buffer. */
	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    smtp_reply_parse(&r, "220 old greeting\r\n", 18, &used, &why),
	    SMTP_REPLY_DONE);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 0, &used, &why), SMTP_REPLY_BAD);
	ck_assert_msg(strstr(why.text, "\"250 xxxxxxxx") != NULL,
	    "got \"%s\", want the overlong line quoted", why.text);
	ck_assert_ptr_null(strstr(why.text, "old greeting"));
	free(in);
}
END_TEST

START_TEST(test_smtp_reply_parse_longest_line_fits)
{
	char *in = reply_big(1, SMTP_REPLY_LINE_MAX - 4);
	struct smtp_reply r;
	struct why why;
	size_t used;

	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 0, &used, &why), SMTP_REPLY_DONE);
	ck_assert_uint_eq(r.textlen, SMTP_REPLY_LINE_MAX - 4);
	free(in);
}
END_TEST

START_TEST(test_smtp_reply_parse_too_many_lines)
{
	char *in = reply_big(SMTP_REPLY_LINES_MAX + 1, 1);
	struct smtp_reply r;
	struct why why;
	size_t used;

	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 0, &used, &why), SMTP_REPLY_BAD);
	free(in);
}
END_TEST

START_TEST(test_smtp_reply_parse_total_too_long)
{
	size_t n = SMTP_REPLY_TEXT_MAX / 1000 + 2;
	char *in = reply_big(n, 1000);
	struct smtp_reply r;
	struct why why;
	size_t used;

	smtp_reply_init(&r, false);
	ck_assert_int_eq(
	    reply_feed(&r, in, strlen(in), 0, &used, &why), SMTP_REPLY_BAD);
	ck_assert_ptr_nonnull(strstr(why.text, "too long"));
	free(in);
}
END_TEST

START_TEST(test_smtp_reply_parse_reused_after_done)
{
	const char *in = "250 a\r\n550-5.1.1 b\r\n550 5.1.1 c\r\n";
	struct smtp_reply r;
	struct why why;
	size_t used, used2;

	smtp_reply_init(&r, true);
	ck_assert_int_eq(
	    smtp_reply_parse(&r, in, strlen(in), &used, &why), SMTP_REPLY_DONE);
	smtp_reply_init(&r, true);
	ck_assert_int_eq(
	    smtp_reply_parse(&r, in + used, strlen(in) - used, &used2, &why),
	    SMTP_REPLY_DONE);
	ck_assert_uint_eq(used + used2, strlen(in));
	ck_assert_int_eq(r.code, 550);
	ck_assert_str_eq(r.dsn, "5.1.1");
	ck_assert_str_eq(r.text, "b\nc");
}
END_TEST

START_TEST(test_smtp_reply_quote_joins_and_cleans)
{
	const char *in = "550-5.1.1 <x@y>: user\r\n550 5.1.1 unk\x01nown\r\n";
	char buf[64], dsn[WHY_DSN_MAX];
	struct smtp_reply r;
	struct why why;
	size_t used;

	smtp_reply_init(&r, true);
	ck_assert_int_eq(
	    smtp_reply_parse(&r, in, strlen(in), &used, &why), SMTP_REPLY_DONE);
	ck_assert_str_eq(smtp_reply_quote(&r, buf, sizeof(buf)),
	    "550 5.1.1 <x@y>: user unk?nown");
	ck_assert_str_eq(smtp_reply_dsn(&r, dsn, sizeof(dsn)), "5.1.1");
	ck_assert_str_eq(smtp_reply_quote(&r, buf, 12), "550 5.1....");
}
END_TEST

START_TEST(test_smtp_reply_dsn_from_class)
{
	struct smtp_reply r;
	struct why why;
	char dsn[WHY_DSN_MAX], buf[32];
	size_t used;

	smtp_reply_init(&r, true);
	ck_assert_int_eq(smtp_reply_parse(&r, "451 later\r\n", 11, &used, &why),
	    SMTP_REPLY_DONE);
	ck_assert_str_eq(smtp_reply_dsn(&r, dsn, sizeof(dsn)), "4.0.0");
	ck_assert_str_eq(smtp_reply_quote(&r, buf, sizeof(buf)), "451 later");
}
END_TEST

START_TEST(test_smtp_state_name_all_distinct)
{
	int a, b;

	for (a = SMTP_ST_CONNECT; a <= SMTP_ST_CLOSED; a++) {
		ck_assert_str_ne(
		    smtp_state_name((enum smtp_state)a), "unknown");
		for (b = a + 1; b <= SMTP_ST_CLOSED; b++)
			ck_assert_str_ne(smtp_state_name((enum smtp_state)a),
			    smtp_state_name((enum smtp_state)b));
	}
	ck_assert_str_eq(smtp_state_name((enum smtp_state)99), "unknown");
}
END_TEST

/* smtp_reply_suite - the suite */
static Suite *
smtp_reply_suite(void)
{
	Suite *s = suite_create("smtp_reply");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_smtp_reply_parse_table, 0,
	    (int)(sizeof(reply_cases) / sizeof(reply_cases[0])));
	tcase_add_test(tc, test_smtp_reply_parse_reused_after_done);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_smtp_reply_parse_overlong_line);
	tcase_add_test(tc, test_smtp_reply_parse_overlong_line_quotes_it);
	tcase_add_test(tc, test_smtp_reply_parse_longest_line_fits);
	tcase_add_test(tc, test_smtp_reply_parse_too_many_lines);
	tcase_add_test(tc, test_smtp_reply_parse_total_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("quote");
	tcase_add_test(tc, test_smtp_reply_quote_joins_and_cleans);
	tcase_add_test(tc, test_smtp_reply_dsn_from_class);
	tcase_add_test(tc, test_smtp_state_name_all_distinct);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(smtp_reply_suite());
}
