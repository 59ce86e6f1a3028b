/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of retry: counts, delivered marks, fingerprints, pruning. */

#include <stdio.h>

#include "unit.h"

#include "retry.h"

static char *retry_dir;

/* retry_setup - a private state directory per test */
static void
retry_setup(void)
{
	retry_dir = unit_tmpdir();
}

/* retry_teardown - remove it */
static void
retry_teardown(void)
{
	unit_rmtree(retry_dir);
	free(retry_dir);
}

/* retry_open_ok - open or fail the test */
static struct retry_db *
retry_open_ok(void)
{
	struct retry_db *db = NULL;
	struct why why;

	ck_assert_int_eq(retry_open(retry_dir, &db, &why), SD_OK);
	return db;
}

START_TEST(test_retry_note_temp_counts_and_mark_sticks)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"};
	struct retry_rec rec;
	struct why why;

	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 0);
	ck_assert(!rec.delivered);
	ck_assert_int_eq(retry_note_temp(db, &m, "a@x", 100, &why), SD_OK);
	ck_assert_int_eq(retry_note_temp(db, &m, "a@x", 200, &why), SD_OK);
	ck_assert_int_eq(retry_mark_delivered(db, &m, "a@x", 300, &why), SD_OK);
	retry_close(db);
	db = retry_open_ok(); /* kept across processes and restarts */
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 2);
	ck_assert(rec.delivered);
	ck_assert_int_eq(rec.first, 100);
	ck_assert_int_eq(rec.last, 300);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_get_other_fingerprint_is_new)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m1 = {"Q1", "aa"}, m2 = {"Q1", "bb"};
	struct retry_rec rec;
	struct why why;

	ck_assert_int_eq(retry_mark_delivered(db, &m1, "a@x", 1, &why), SD_OK);
	ck_assert_int_eq(retry_get(db, &m2, "a@x", &rec, &why), SD_OK);
	ck_assert(!rec.delivered);
	ck_assert_uint_eq(rec.temp_failures, 0);
	ck_assert_int_eq(retry_get(db, &m1, "b@x", &rec, &why), SD_OK);
	ck_assert(!rec.delivered);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_prune_deletes_only_old)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"};
	struct retry_rec rec;
	struct why why;

	ck_assert_int_eq(retry_note_temp(db, &m, "old@x", 1000, &why), SD_OK);
	ck_assert_int_eq(retry_note_temp(db, &m, "new@x", 5000, &why), SD_OK);
	/* Nothing old enough: no change. */
	ck_assert_int_eq(retry_prune(db, 1500, 1000, &why), SD_OK);
	ck_assert_int_eq(retry_get(db, &m, "old@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	ck_assert_int_eq(retry_prune(db, 5500, 1000, &why), SD_OK);
	ck_assert_int_eq(retry_get(db, &m, "old@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 0);
	ck_assert_int_eq(retry_get(db, &m, "new@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_prune_deletes_adjacent_old_records)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"};
	struct retry_rec rec;
	struct why why;
	char rcpt[16];
	int i;

	/* Neighbours in key order: a delete must not skip the next one. */
	for (i = 0; i < 6; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@x", i);
		ck_assert_int_eq(
		    retry_note_temp(db, &m, rcpt, 1000, &why), SD_OK);
	}
	ck_assert_int_eq(retry_prune(db, 5000, 1000, &why), SD_OK);
	for (i = 0; i < 6; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@x", i);
		ck_assert_int_eq(retry_get(db, &m, rcpt, &rec, &why), SD_OK);
		ck_assert_msg(rec.temp_failures == 0, "%s kept", rcpt);
	}
	retry_close(db);
}
END_TEST

START_TEST(test_retry_prune_reaches_every_key_from_any_start)
{
	static const char *const ids[] = {
	    "\001low", "A1", "Q1", "m1", "z1", "\377high"};
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {NULL, "aa"}, keep = {"q9", "aa"};
	struct retry_rec rec;
	struct why why;
	size_t i;
	int round;

	/* Each prune starts at a random key and wraps around: whatever the
	 * start, one run over a small store deletes every old record, from
	 * the lowest key to the highest, and keeps the recent one. */
	for (round = 0; round < 32; round++) {
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			m.queue_id = ids[i];
			ck_assert_int_eq(
			    retry_note_temp(db, &m, "a@x", 1000, &why), SD_OK);
		}
		ck_assert_int_eq(
		    retry_note_temp(db, &keep, "a@x", 4900, &why), SD_OK);
		ck_assert_int_eq(retry_prune(db, 5000, 1000, &why), SD_OK);
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			m.queue_id = ids[i];
			ck_assert_int_eq(
			    retry_get(db, &m, "a@x", &rec, &why), SD_OK);
			ck_assert_msg(rec.temp_failures == 0,
			    "round %d: %s kept", round, ids[i]);
		}
		ck_assert_int_eq(
		    retry_get(db, &keep, "a@x", &rec, &why), SD_OK);
		ck_assert_uint_ge(rec.temp_failures, 1);
	}
	retry_close(db);
}
END_TEST

START_TEST(test_retry_get_key_too_long_is_temp)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"};
	struct retry_rec rec;
	struct why why;
	char rcpt[600];

	memset(rcpt, 'a', sizeof(rcpt) - 1);
	rcpt[sizeof(rcpt) - 1] = '\0';
	ck_assert_int_eq(retry_get(db, &m, rcpt, &rec, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	retry_close(db);
}
END_TEST

/* retry_suite - the retry state */
static Suite *
retry_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, retry_setup, retry_teardown);
	tcase_add_test(tc, test_retry_note_temp_counts_and_mark_sticks);
	tcase_add_test(tc, test_retry_get_other_fingerprint_is_new);
	tcase_add_test(tc, test_retry_prune_deletes_only_old);
	tcase_add_test(tc, test_retry_prune_deletes_adjacent_old_records);
	tcase_add_test(tc, test_retry_prune_reaches_every_key_from_any_start);
	tcase_add_test(tc, test_retry_get_key_too_long_is_temp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(retry_suite());
}
