/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of spool_header(): a header field read back from a spool. */

#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "deliver_run.h"
#include "spool.h"
#include "spool_unit.h"

static char *tmpdir;

/* hdr_setup - a private directory per test */
static void
hdr_setup(void)
{
	tmpdir = unit_tmpdir();
}

/* hdr_teardown - remove it */
static void
hdr_teardown(void)
{
	unit_rmtree(tmpdir);
	free(tmpdir);
}

/* hdr_spool - spool the NUL-terminated message m */
static struct spool *
hdr_spool(const char *m)
{
	return spool_unit_from(tmpdir, m, strlen(m));
}

/* Messages, the count of TLS-Required fields and the first value. */
static const struct {
	const char *msg;
	int count;
	const char *value;
	bool required_no; /* deliver_tls_required_no() */
} hdr_cases[] = {
    {"From: a@b\nTLS-Required: No\nSubject: x\n\nbody\n", 1, "No", true},
    {"tls-required:no\n\nbody\n", 1, "no", true},
    {"TLS-REQUIRED:   NO  \r\n\r\n", 1, "NO", true},
    /* Folded: the value continues on the next line. */
    {"Subject: x\nTLS-Required:\n No\n\nbody\n", 1, "No", true},
    {"TLS-Required: No\nTLS-Required: No\n\n", 2, "No", false},
    {"TLS-Required: Yes\n\n", 1, "Yes", false},
    {"TLS-Required: No, really\n\n", 1, "No, really", false},
    {"TLS-Required-Not: No\nX-TLS-Required: No\n\n", 0, "", false},
    /* Only the header block counts, and a line without a colon. */
    {"Subject: x\n\nTLS-Required: No\n", 0, "", false},
    {"TLS-Required No\n\n", 0, "", false},
    /* Removed by the spool: X-SMTPDirect-* fields. */
    {"X-SMTPDirect-TLS-Required: No\n\n", 0, "", false},
    /* Headers only, no empty line; an empty message. */
    {"From: a@b\nTLS-Required: No", 1, "No", true},
    {"", 0, "", false},
};

START_TEST(test_spool_header_table)
{
	struct spool *sp = hdr_spool(hdr_cases[_i].msg);
	char val[64];
	struct why why;

	ck_assert_int_eq(
	    spool_header(sp, "TLS-Required", val, sizeof(val), &why),
	    hdr_cases[_i].count);
	ck_assert_str_eq(val, hdr_cases[_i].value);
	ck_assert(deliver_tls_required_no(sp) == hdr_cases[_i].required_no);
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_header_value_cut_to_size)
{
	struct spool *sp = hdr_spool("Subject: 0123456789abcdef\n\nbody\n");
	char val[8];
	struct why why;

	ck_assert_int_eq(
	    spool_header(sp, "subject", val, sizeof(val), &why), 1);
	ck_assert_str_eq(val, "0123456");
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_header_beyond_the_first_chunk)
{
	size_t n = 3 * SPOOL_CHUNK, i;
	char *m = malloc(n + 64), val[16];
	struct spool *sp;
	struct why why;

	/* A long header block, the field after the first read. */
	ck_assert_ptr_nonnull(m);
	memcpy(m, "X-Long: ", 8);
	for (i = 8; i < n; i++)
		m[i] = (i % 70 == 0) ? '\n' : 'x';
	for (i = 8; i < n; i += 70)
		if (m[i] == '\n' && i + 1 < n)
			m[i + 1] = ' ';
	snprintf(m + n, 64, "\nTLS-Required: No\n\nbody\n");
	sp = hdr_spool(m);
	ck_assert_int_eq(
	    spool_header(sp, "TLS-Required", val, sizeof(val), &why), 1);
	ck_assert_str_eq(val, "No");
	spool_close(sp);
	free(m);
}
END_TEST

/* hdr_suite - the suite */
static Suite *
hdr_suite(void)
{
	Suite *s = suite_create("spool_hdr");
	TCase *tc = tcase_create("header");

	tcase_add_checked_fixture(tc, hdr_setup, hdr_teardown);
	tcase_add_loop_test(tc, test_spool_header_table, 0,
	    (int)(sizeof(hdr_cases) / sizeof(hdr_cases[0])));
	tcase_add_test(tc, test_spool_header_value_cut_to_size);
	tcase_add_test(tc, test_spool_header_beyond_the_first_chunk);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(hdr_suite());
}
