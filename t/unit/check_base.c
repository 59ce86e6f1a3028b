/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the base modules: why, sbuf, diag, xalloc. */

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be.h"
#include "diag.h"
#include "msg.h"
#include "sbuf.h"
#include "why.h"
#include "xalloc.h"

/* be: most significant byte first, and back. */
START_TEST(test_be_round_trip)
{
	unsigned char b[8];

	be_put64(b, 0x0102030405060708ULL);
	ck_assert_mem_eq(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ck_assert_uint_eq(be_get64(b), 0x0102030405060708ULL);
	be_put64(b, UINT64_MAX);
	ck_assert_uint_eq(be_get64(b), UINT64_MAX);
	memset(b, 0xee, sizeof(b));
	be_put32(b, 0xa1b2c3d4U);
	ck_assert_mem_eq(b, "\xa1\xb2\xc3\xd4\xee", 5);
	ck_assert_uint_eq(be_get32(b), 0xa1b2c3d4U);
	be_put32(b, 0);
	ck_assert_uint_eq(be_get32(b), 0);
}
END_TEST

/* Table of enhanced status codes and whether they are valid. */
static const struct {
	const char *dsn;
	int valid;
} dsn_cases[] = {
    {"2.0.0", 1},
    {"4.4.1", 1},
    {"5.1.10", 1},
    {"5.999.999", 1},
    {"3.0.0", 0},
    {"4.4", 0},
    {"4..1", 0},
    {"4.1000.1", 0},
    {"", 0},
    {"5.1.1 ", 0},
    {"x.1.1", 0},
};

START_TEST(test_why_dsn_valid_table)
{
	ck_assert_msg(why_dsn_valid(dsn_cases[_i].dsn) == dsn_cases[_i].valid,
	    "case \"%s\": got %d, want %d", dsn_cases[_i].dsn,
	    !dsn_cases[_i].valid, dsn_cases[_i].valid);
}
END_TEST

START_TEST(test_why_set_class)
{
	struct why why;

	why_reset(&why);
	ck_assert(why_is_temp(&why));
	why_set(&why, "5.1.1", "user %s unknown", "x");
	ck_assert_int_eq(why_status(&why), SD_PERM);
	ck_assert_str_eq(why.text, "user x unknown");
	why_prefix(&why, "RCPT to %s", "mx[127.0.0.2]:25");
	ck_assert_str_eq(why.text, "RCPT to mx[127.0.0.2]:25: user x unknown");
	why_set_reply(&why, 451, "4.3.0", "later");
	ck_assert_int_eq(why.smtp_code, 451);
	ck_assert_int_eq(why_status(&why), SD_TEMP);
}
END_TEST

START_TEST(test_why_set_long_text_is_cut)
{
	struct why why;
	char big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	why_set(&why, "4.0.0", "%s", big);
	ck_assert_uint_eq(strlen(why.text), WHY_TEXT_MAX - 1);
}
END_TEST

START_TEST(test_why_printable_cleans_and_cuts)
{
	char out[8];

	why_printable(out, sizeof(out), "a\r\nb\x80", 5);
	ck_assert_str_eq(out, "a??b?");
	why_printable(out, sizeof(out), "0123456789", 10);
	ck_assert_str_eq(out, "0123...");
}
END_TEST

START_TEST(test_why_printable_line_joins_lines)
{
	char out[16];

	why_printable_line(out, sizeof(out), "550 a\r\n550 b\n \t");
	ck_assert_str_eq(out, "550 a 550 b  ?");
	why_printable_line(out, sizeof(out), "x \r\n");
	ck_assert_str_eq(out, "x");
	why_printable_line(out, sizeof(out), NULL);
	ck_assert_str_eq(out, "");
	why_printable_line(out, 8, "0123456789");
	ck_assert_str_eq(out, "0123...");
}
END_TEST

START_TEST(test_sbuf_printf_grows)
{
	struct sbuf sb;
	int i;

	sbuf_init(&sb);
	for (i = 0; i < 1000; i++)
		sbuf_printf(&sb, "%d,", i % 10);
	ck_assert_uint_eq(sb.len, 2000);
	ck_assert_int_eq(sbuf_str(&sb)[1999], ',');
	sbuf_truncate(&sb, 3);
	ck_assert_str_eq(sbuf_str(&sb), "0,1");
	sbuf_putc(&sb, 'x');
	sbuf_puts(&sb, "yz");
	ck_assert_str_eq(sbuf_str(&sb), "0,1xyz");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_sbuf_export_hands_over)
{
	struct sbuf sb;
	char *p;

	sbuf_init(&sb);
	sbuf_append(&sb, "ab\0c", 4);
	ck_assert_uint_eq(sb.len, 4);
	p = sbuf_export(&sb);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_int_eq(memcmp(p, "ab\0c", 5), 0);
	free(p);
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_diag_print_file_order)
{
	struct diag_list *dl = diag_list_new();
	char buf[256];
	FILE *fp;
	size_t n;

	diag_add(dl, DIAG_WARNING, "b.map", 3, 1, "late");
	diag_add(dl, DIAG_ERROR, "b.map", 1, 5, "first");
	diag_add(dl, DIAG_ERROR, "b.map", 1, 2, "zeroth");
	diag_add(dl, DIAG_WARNING, "c.map", 1, 1, "other file");
	ck_assert_uint_eq(diag_errors(dl), 2);
	ck_assert_uint_eq(diag_warnings(dl), 2);
	ck_assert_str_eq(diag_first_error(dl)->text, "zeroth");
	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	diag_print(dl, fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_str_eq(buf,
	    "b.map:1:2: error: zeroth\n"
	    "b.map:1:5: error: first\n"
	    "b.map:3:1: warning: late\n"
	    "c.map:1:1: warning: other file\n");
	diag_list_free(dl);
}
END_TEST

START_TEST(test_xalloc_memdup0_terminates)
{
	char *p = xmemdup0("abc", 2);

	ck_assert_str_eq(p, "ab");
	free(p);
	p = xstrndup("abcdef", 3);
	ck_assert_str_eq(p, "abc");
	xfree_secret(p, 3);
}
END_TEST

START_TEST(test_msg_file_open_appends_lines)
{
	char *dir = unit_tmpdir(), path[512], buf[1024], want[64];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/log", dir);
	ck_assert(!msg_file_open("/nonexistent/dir/log"));
	ck_assert(msg_file_open(path));
	msg_info("first %d", 1);
	msg_warn("second");
	msg_fini();
	msg_info("not in the file");
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "[%ld]: first 1\n", (long)getpid());
	ck_assert_msg(strstr(buf, want) != NULL, "log: %s", buf);
	ck_assert(strstr(buf, "]: warning: second\n") != NULL);
	ck_assert(strstr(buf, "not in the file") == NULL);
	unit_rmtree(dir);
	free(dir);
}
END_TEST

/* base_suite - the base modules */
static Suite *
base_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc;

	tc = tcase_create("why");
	tcase_add_loop_test(tc, test_why_dsn_valid_table, 0,
	    sizeof(dsn_cases) / sizeof(dsn_cases[0]));
	tcase_add_test(tc, test_why_set_class);
	tcase_add_test(tc, test_why_set_long_text_is_cut);
	tcase_add_test(tc, test_why_printable_cleans_and_cuts);
	tcase_add_test(tc, test_why_printable_line_joins_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("sbuf");
	tcase_add_test(tc, test_sbuf_printf_grows);
	tcase_add_test(tc, test_sbuf_export_hands_over);
	suite_add_tcase(s, tc);
	tc = tcase_create("be");
	tcase_add_test(tc, test_be_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("diag");
	tcase_add_test(tc, test_diag_print_file_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("xalloc");
	tcase_add_test(tc, test_xalloc_memdup0_terminates);
	tcase_add_test(tc, test_msg_file_open_appends_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(base_suite());
}
