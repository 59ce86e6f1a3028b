/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of retry: counts, delivered marks, fingerprints, pruning,
 * and the markers that spare a first attempt the store.
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#include "msg.h"
#include "retry_int.h"

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

/* retry_path - state_dir/rel into buf */
static const char *
retry_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", retry_dir, rel);
	return buf;
}

/* retry_marker - the marker path of m into buf */
static const char *
retry_marker(char *buf, size_t size, const struct retry_msg *m)
{
	char name[RETRY_MARK_NAME_MAX + 1];
	unsigned shard;

	ck_assert(retry_mark_name(m, name, &shard));
	snprintf(
	    buf, size, "%s/%s/%02x/%s", retry_dir, RETRY_MARK_DIR, shard, name);
	return buf;
}

START_TEST(test_retry_first_attempt_opens_no_store)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"};
	struct retry_rec rec;
	struct why why;
	char path[320];

	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 0);
	ck_assert(!rec.delivered);
	ck_assert_int_eq(
	    access(retry_path(path, sizeof(path), RETRY_FILE), F_OK), -1);
	ck_assert_int_eq(
	    access(retry_path(path, sizeof(path), RETRY_MARK_DIR "/ff"), F_OK),
	    0);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_marker_made_with_the_first_record)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q/1 x", "0123456789abcdef0123"},
	                 o = {"Q/1 x", "fe"};
	struct retry_rec rec;
	struct why why;
	char path[320];

	ck_assert_int_eq(
	    access(retry_marker(path, sizeof(path), &m), F_OK), -1);
	ck_assert_int_eq(retry_note_temp(db, &m, "a@x", 100, &why), SD_OK);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* Escaped: no slash or space in the name; 16 bytes of fingerprint. */
	ck_assert_ptr_nonnull(strstr(path, "/Q%2F1%20x.0123456789abcdef"));
	ck_assert_ptr_null(strstr(path, "0123456789abcdef0"));
	retry_close(db);
	db = retry_open_ok();
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	/* The same queue id with another message has no marker, no count. */
	ck_assert_int_eq(retry_get(db, &o, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 0);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_markers_rebuilt_from_the_store)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"}, n = {"Q2", "bb"};
	struct retry_rec rec;
	struct why why;
	char path[320];

	ck_assert_int_eq(retry_note_temp(db, &m, "a@x", 100, &why), SD_OK);
	ck_assert_int_eq(retry_mark_delivered(db, &n, "b@x", 100, &why), SD_OK);
	retry_close(db);
	/* A store from before markers: retry.d is built from its records. */
	unit_rmtree(retry_path(path, sizeof(path), RETRY_MARK_DIR));
	ck_assert_int_eq(
	    mkdir(retry_path(path, sizeof(path), "retry.d.new"), 0700), 0);
	db = retry_open_ok();
	ck_assert_int_eq(access(retry_marker(path, sizeof(path), &m), F_OK), 0);
	ck_assert_int_eq(access(retry_marker(path, sizeof(path), &n), F_OK), 0);
	ck_assert_int_eq(
	    access(retry_path(path, sizeof(path), "retry.d.new"), F_OK), -1);
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	ck_assert_int_eq(retry_get(db, &n, "b@x", &rec, &why), SD_OK);
	ck_assert(rec.delivered);
	/* Removed while in use: the next write builds it again. */
	unit_rmtree(retry_path(path, sizeof(path), RETRY_MARK_DIR));
	ck_assert_int_eq(retry_note_temp(db, &m, "c@x", 200, &why), SD_OK);
	ck_assert_int_eq(access(retry_marker(path, sizeof(path), &m), F_OK), 0);
	ck_assert_int_eq(access(retry_marker(path, sizeof(path), &n), F_OK), 0);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_prune_drops_markers_without_records)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg old = {"Q1", "aa"}, cur = {"Q2", "bb"};
	char name[RETRY_MARK_NAME_MAX + 1], po[320], pc[320];
	unsigned so, sc;
	struct why why;
	int fd;

	ck_assert_int_eq(retry_note_temp(db, &old, "a@x", 1000, &why), SD_OK);
	ck_assert_int_eq(retry_note_temp(db, &cur, "a@x", 4900, &why), SD_OK);
	ck_assert(retry_mark_name(&old, name, &so));
	ck_assert(retry_mark_name(&cur, name, &sc));
	retry_marker(po, sizeof(po), &old);
	retry_marker(pc, sizeof(pc), &cur);
	ck_assert_int_eq(retry_prune(db, 5000, 1000, &why), SD_OK);
	/* retry_prune() pruned one shard at random: when it was old's
	 * (one run in RETRY_MARK_SHARDS), put its marker back. */
	if (access(po, F_OK) != 0) {
		fd = open(po, O_WRONLY | O_CREAT, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	/* A writer holds the lock: markers are left alone this time. */
	fd = open(retry_path(name, sizeof(name), RETRY_MARK_LOCK), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_SH), 0);
	ck_assert_int_eq(retry_mark_prune(db, so, 5000, 1000, &why), SD_OK);
	ck_assert_int_eq(access(po, F_OK), 0);
	close(fd);
	ck_assert_int_eq(retry_mark_prune(db, so, 5000, 1000, &why), SD_OK);
	ck_assert_int_eq(retry_mark_prune(db, sc, 5000, 1000, &why), SD_OK);
	ck_assert_int_eq(access(po, F_OK), -1);
	ck_assert_int_eq(access(pc, F_OK), 0);
	retry_close(db);
}
END_TEST

START_TEST(test_retry_long_queue_id_uses_the_store)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {NULL, "aa"};
	struct retry_rec rec;
	struct why why;
	char qid[300], name[RETRY_MARK_NAME_MAX + 1];
	unsigned shard;

	memset(qid, '/', sizeof(qid) - 1);
	qid[sizeof(qid) - 1] = '\0';
	m.queue_id = qid;
	ck_assert(!retry_mark_name(&m, name, &shard));
	ck_assert_int_eq(retry_note_temp(db, &m, "a@x", 100, &why), SD_OK);
	retry_close(db);
	db = retry_open_ok();
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	retry_close(db);
}
END_TEST

/* The ways retry.lmdb is damaged in the tests below. */
enum retry_damage {
	RETRY_DAMAGE_META, /* both meta pages garbled */
	RETRY_DAMAGE_DATA, /* every page after the meta pages garbled */
	RETRY_DAMAGE_TRUNCATED, /* cut after three pages */
	RETRY_DAMAGE_ZEROED /* every byte zero, length kept */
};

/* retry_damage - damage retry.lmdb one way */
static void
retry_damage(enum retry_damage how)
{
	char path[320], page[4096];
	struct stat sb;
	off_t off;
	size_t i;
	int fd;

	fd = open(retry_path(path, sizeof(path), RETRY_FILE), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	for (i = 0; i < sizeof(page); i++)
		page[i] = how == RETRY_DAMAGE_ZEROED ? 0 : (char)(i * 131 + 17);
	for (off = how == RETRY_DAMAGE_DATA ? 2 * 4096 : 0;
	     off + 4096 <= sb.st_size; off += 4096) {
		if (how == RETRY_DAMAGE_META && off >= 2 * 4096)
			break;
		if (how != RETRY_DAMAGE_TRUNCATED)
			ck_assert_int_eq(pwrite(fd, page, 4096, off), 4096);
	}
	if (how == RETRY_DAMAGE_TRUNCATED)
		ck_assert_int_eq(ftruncate(fd, 3 * 4096), 0);
	close(fd);
}

/* retry_damaged_files - how many retry.lmdb.damaged.* in state_dir */
static int
retry_damaged_files(void)
{
	struct dirent *e;
	DIR *d = opendir(retry_dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, RETRY_FILE ".damaged.",
		        strlen(RETRY_FILE ".damaged.")) == 0)
			n++;
	closedir(d);
	return n;
}

/* retry_log_has - does the log file hold text? */
static bool
retry_log_has(const char *log, const char *text)
{
	char buf[16384];
	FILE *fp = fopen(log, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

START_TEST(test_retry_note_temp_follows_a_store_moved_aside)
{
	struct retry_db *r1 = retry_open_ok(), *r2;
	struct retry_msg m = {"Q1", "aa"}, n = {"Q2", "bb"};
	struct retry_rec rec;
	struct why why;
	char path[320], aside[340];

	ck_assert_int_eq(retry_note_temp(r1, &m, "a@x", 100, &why), SD_OK);
	/* Another process finds the file damaged and moves it aside. */
	retry_path(path, sizeof(path), RETRY_FILE);
	snprintf(aside, sizeof(aside), "%s.damaged.1", path);
	ck_assert_int_eq(rename(path, aside), 0);
	r2 = retry_open_ok();
	ck_assert_int_eq(retry_note_temp(r2, &n, "b@x", 100, &why), SD_OK);
	/* A write of the first process goes to the new file, not the old. */
	ck_assert_int_eq(retry_mark_delivered(r1, &n, "c@x", 200, &why), SD_OK);
	ck_assert_int_eq(retry_get(r2, &n, "c@x", &rec, &why), SD_OK);
	ck_assert(rec.delivered);
	retry_close(r2);
	retry_close(r1);
}
END_TEST

START_TEST(test_retry_damaged_store_holds_its_messages_back)
{
	struct retry_db *db = retry_open_ok();
	struct retry_msg m = {"Q1", "aa"}, n = {"Q9", "cc"}, o;
	struct retry_rec rec;
	struct why why;
	char log[320], path[320], qid[16], rcpt[400];
	int i;

	retry_path(log, sizeof(log), "log");
	msg_init("check_retry", 0);
	ck_assert(msg_file_open(log));
	ck_assert_int_eq(retry_mark_delivered(db, &m, "a@x", 100, &why), SD_OK);
	ck_assert_int_eq(retry_note_temp(db, &m, "b@x", 100, &why), SD_OK);
	/* Enough records for a tree of several pages (a branch page and 7
	 * leaves, 21 pages in all), so that every way of damaging it hits
	 * data, in few of them: each new message costs a marker, an fsync
	 * of its directory and a durable commit, which a loaded disk makes
	 * slow (200 short records took up to 15 s; these 40 long ones do a
	 * fifth of the syncs). */
	o.fingerprint = "bb";
	memset(rcpt, 'c', sizeof(rcpt));
	memcpy(rcpt + sizeof(rcpt) - 3, "@x", 3);
	for (i = 0; i < 40; i++) {
		snprintf(qid, sizeof(qid), "P%03d", i);
		o.queue_id = qid;
		ck_assert_int_eq(
		    retry_note_temp(db, &o, rcpt, 100, &why), SD_OK);
	}
	retry_close(db);
	retry_damage((enum retry_damage)_i);
	db = retry_open_ok();
	/* Garbled data pages may show only on the first read. */
	(void)retry_get(db, &m, "b@x", &rec, &why);
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_msg(strstr(why.text, "records of this message were lost"),
	    "case %d: %s", _i, why.text);
	ck_assert_int_eq(retry_damaged_files(), 1);
	ck_assert(retry_log_has(log, "error: "));
	ck_assert(retry_log_has(log, "damaged retry state moved aside to"));
	ck_assert(retry_log_has(log, "records of 41 message(s) lost"));
	/* Nor is it counted; a new message goes on the new store. */
	ck_assert_int_eq(retry_note_temp(db, &m, "b@x", 200, &why), SD_TEMP);
	ck_assert_int_eq(retry_get(db, &n, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 0);
	ck_assert_int_eq(
	    retry_note_temp(db, &n, "a@x", time(NULL), &why), SD_OK);
	retry_close(db);
	/* So it stays in later runs, and pruning keeps its marker. */
	db = retry_open_ok();
	ck_assert_int_eq(retry_prune(db, time(NULL), 3600, &why), SD_OK);
	for (i = 0; i < RETRY_MARK_SHARDS; i++)
		ck_assert_int_eq(
		    retry_mark_prune(db, (unsigned)i, time(NULL), 3600, &why),
		    SD_OK);
	ck_assert_int_eq(access(retry_marker(path, sizeof(path), &m), F_OK), 0);
	ck_assert_int_eq(retry_get(db, &m, "b@x", &rec, &why), SD_TEMP);
	ck_assert_int_eq(retry_get(db, &n, "a@x", &rec, &why), SD_OK);
	ck_assert_uint_eq(rec.temp_failures, 1);
	ck_assert_int_eq(retry_damaged_files(), 1);
	retry_close(db);
	/* Its marker removed by hand, it goes again as a new message. */
	ck_assert_int_eq(unlink(path), 0);
	db = retry_open_ok();
	ck_assert_int_eq(retry_get(db, &m, "a@x", &rec, &why), SD_OK);
	ck_assert(!rec.delivered);
	retry_close(db);
	msg_fini();
}
END_TEST

/* retry_suite - the retry state */
static Suite *
retry_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, retry_setup, retry_teardown);
	/* These tests wait on the disk, not the CPU: durable commits, a
	 * marker's directory synced, syncfs() when retry.d is built. The
	 * heaviest (the prune rounds) makes about 270 syncs, the damaged
	 * stores about 90 each; at the 38 ms a sync seen on this 2-core
	 * machine at load 10, that is 10 s, past Check's default 4 s. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_retry_note_temp_counts_and_mark_sticks);
	tcase_add_test(tc, test_retry_get_other_fingerprint_is_new);
	tcase_add_test(tc, test_retry_prune_deletes_only_old);
	tcase_add_test(tc, test_retry_prune_deletes_adjacent_old_records);
	tcase_add_test(tc, test_retry_prune_reaches_every_key_from_any_start);
	tcase_add_test(tc, test_retry_get_key_too_long_is_temp);
	tcase_add_test(tc, test_retry_first_attempt_opens_no_store);
	tcase_add_test(tc, test_retry_marker_made_with_the_first_record);
	tcase_add_test(tc, test_retry_markers_rebuilt_from_the_store);
	tcase_add_test(tc, test_retry_prune_drops_markers_without_records);
	tcase_add_test(tc, test_retry_long_queue_id_uses_the_store);
	tcase_add_test(tc, test_retry_note_temp_follows_a_store_moved_aside);
	tcase_add_loop_test(tc,
	    test_retry_damaged_store_holds_its_messages_back, RETRY_DAMAGE_META,
	    RETRY_DAMAGE_ZEROED + 1);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(retry_suite());
}
