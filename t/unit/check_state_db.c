/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the state store: records, cursors, damage, processes. */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <time.h>

#include "unit.h"

#include "sbuf.h"
#include "state.h"
#include "state_int.h"
#include "why.h"

#define T_FILE "t.mdb"

static const char *const t_tables[] = {"one", "two"};
static const struct state_opts t_opts = {
    .format = "smtpdirect-test 1",
    .tables = t_tables,
    .tables_n = 2,
    .map_size = 8 * 1024 * 1024,
    .durable = false,
};

static char *t_dir;

/* t_setup - a private directory per test */
static void
t_setup(void)
{
	t_dir = unit_tmpdir();
}

/* t_teardown - remove it */
static void
t_teardown(void)
{
	unit_rmtree(t_dir);
	free(t_dir);
}

/* t_open - open the test store, failing the test otherwise */
static struct state_db *
t_open(const struct state_opts *opts)
{
	struct state_db *db;
	struct why why;

	ck_assert_msg(state_db_open(t_dir, T_FILE, opts, &db, &why) == STATE_OK,
	    "open: %s", why.text);
	return db;
}

/* t_fill - store n keys "kNNNNN" = "value NNNNN" in table 0 */
static void
t_fill(struct state_db *db, int n)
{
	struct state_txn *txn;
	struct why why;
	char k[32], v[64];
	int i;

	ck_assert_int_eq(state_txn_begin(db, true, &txn, &why), STATE_OK);
	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "k%05d", i);
		snprintf(v, sizeof(v), "value %05d %040d", i, i);
		ck_assert_int_eq(
		    state_put(txn, 0, k, strlen(k), v, strlen(v), &why),
		    STATE_OK);
	}
	ck_assert_int_eq(state_txn_commit(txn, &why), STATE_OK);
}

/* t_get - look k up in table 0; the status */
static enum state_status
t_get(struct state_db *db, const char *k, struct sbuf *val)
{
	struct state_txn *txn;
	struct why why;
	enum state_status st;

	if (state_txn_begin(db, false, &txn, &why) != STATE_OK)
		return STATE_FAIL;
	st = state_get(txn, 0, k, strlen(k), val, &why);
	state_txn_abort(txn);
	return st;
}

/* t_path - the store's file name in the test directory */
static void
t_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", t_dir, T_FILE);
}

START_TEST(test_state_get_finds_what_put_stored)
{
	struct state_db *db = t_open(&t_opts);
	struct sbuf val;

	sbuf_init(&val);
	t_fill(db, 10);
	ck_assert_int_eq(t_get(db, "k00003", &val), STATE_OK);
	ck_assert_str_eq(sbuf_str(&val),
	    "value 00003 0000000000000000000000000000000000000003");
	ck_assert_int_eq(t_get(db, "nope", &val), STATE_NOTFOUND);
	sbuf_fini(&val);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_del_removes_and_count_follows)
{
	struct state_db *db = t_open(&t_opts);
	struct state_txn *txn;
	struct why why;
	size_t n;

	t_fill(db, 5);
	ck_assert_int_eq(state_txn_begin(db, true, &txn, &why), STATE_OK);
	ck_assert_int_eq(state_del(txn, 0, "k00001", 6, &why), STATE_OK);
	ck_assert_int_eq(state_del(txn, 0, "k00001", 6, &why), STATE_NOTFOUND);
	ck_assert_int_eq(state_count(txn, 0, &n, &why), STATE_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(state_count(txn, 1, &n, &why), STATE_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(state_txn_commit(txn, &why), STATE_OK);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_cursor_walks_in_key_order)
{
	struct state_db *db = t_open(&t_opts);
	struct state_txn *txn;
	struct state_cursor *cur;
	struct sbuf key;
	struct why why;
	enum state_status st;
	int seen = 0;

	sbuf_init(&key);
	t_fill(db, 20);
	ck_assert_int_eq(state_txn_begin(db, true, &txn, &why), STATE_OK);
	ck_assert_int_eq(state_cursor_open(txn, 0, &cur, &why), STATE_OK);
	ck_assert_int_eq(
	    state_cursor_get(cur, STATE_LAST, &key, NULL, &why), STATE_OK);
	ck_assert_str_eq(sbuf_str(&key), "k00019");
	for (st = state_cursor_get(cur, STATE_FIRST, &key, NULL, &why);
	     st == STATE_OK && seen < 3;
	     st = state_cursor_get(cur, STATE_FIRST, &key, NULL, &why)) {
		ck_assert_int_eq(state_cursor_del(cur, &why), STATE_OK);
		seen++;
	}
	state_cursor_close(cur);
	ck_assert_int_eq(state_txn_commit(txn, &why), STATE_OK);
	ck_assert_int_eq(t_get(db, "k00002", &key), STATE_NOTFOUND);
	ck_assert_int_eq(t_get(db, "k00003", &key), STATE_OK);
	sbuf_fini(&key);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_cursor_seek_finds_the_next_key)
{
	struct state_db *db = t_open(&t_opts);
	struct state_txn *txn;
	struct state_cursor *cur;
	struct sbuf key;
	struct why why;

	sbuf_init(&key);
	t_fill(db, 20);
	ck_assert_int_eq(state_txn_begin(db, false, &txn, &why), STATE_OK);
	ck_assert_int_eq(state_cursor_open(txn, 0, &cur, &why), STATE_OK);
	/* An exact key, a key between two, and past the last. */
	ck_assert_int_eq(
	    state_cursor_seek(cur, "k00007", 6, &key, NULL, &why), STATE_OK);
	ck_assert_str_eq(sbuf_str(&key), "k00007");
	ck_assert_int_eq(
	    state_cursor_seek(cur, "k000071", 7, &key, NULL, &why), STATE_OK);
	ck_assert_str_eq(sbuf_str(&key), "k00008");
	ck_assert_int_eq(
	    state_cursor_get(cur, STATE_NEXT, &key, NULL, &why), STATE_OK);
	ck_assert_str_eq(sbuf_str(&key), "k00009");
	ck_assert_int_eq(
	    state_cursor_seek(cur, "l", 1, &key, NULL, &why), STATE_NOTFOUND);
	state_cursor_close(cur);
	state_txn_abort(txn);
	sbuf_fini(&key);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_db_open_rebuilds_garbage_file)
{
	char path[512], junk[8192];
	struct state_db *db;
	struct sbuf val;
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	free(unit_write_file(t_dir, T_FILE, junk, sizeof(junk)));
	db = t_open(&t_opts);
	sbuf_init(&val);
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_NOTFOUND);
	t_fill(db, 2);
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_OK);
	sbuf_fini(&val);
	state_db_close(db);
	t_path(path, sizeof(path));
}
END_TEST

START_TEST(test_state_db_open_rebuilds_other_format)
{
	struct state_opts other = t_opts;
	struct state_db *db = t_open(&t_opts);
	struct sbuf val;

	t_fill(db, 3);
	state_db_close(db);
	other.format = "someone-else 7";
	db = t_open(&other);
	sbuf_init(&val);
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_NOTFOUND);
	sbuf_fini(&val);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_db_open_rebuilds_truncated_file)
{
	char path[512];
	struct state_db *db = t_open(&t_opts);
	struct sbuf val;

	t_fill(db, 2000);
	state_db_close(db);
	t_path(path, sizeof(path));
	ck_assert_int_eq(truncate(path, 3 * 4096), 0);
	db = t_open(&t_opts);
	sbuf_init(&val);
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_NOTFOUND);
	sbuf_fini(&val);
	state_db_close(db);
}
END_TEST

/*
 * t_scribble - garble pages of the file, keeping the two meta pages and
 * the last pages (where the newest tree roots are): variant 0 fills
 * whole pages, 1 only page headers, 2 every other page, 3 page bodies.
 */
static void
t_scribble(int variant)
{
	char path[512], page[4096];
	struct stat sb;
	off_t off, end;
	size_t i, from, len;
	int fd, n = 0;

	t_path(path, sizeof(path));
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	end = sb.st_size - 4 * 4096;
	for (off = 2 * 4096; off + 4096 <= end; off += 4096, n++) {
		if (variant == 2 && n % 2 == 1)
			continue;
		from = variant == 3 ? 64 : 0;
		len = variant == 1 ? 16 : sizeof(page) - from;
		for (i = 0; i < len; i++)
			page[i] = (char)((size_t)off * 31 + i * 131 + 7);
		ck_assert_int_eq(
		    pwrite(fd, page, len, off + (off_t)from), (ssize_t)len);
	}
	close(fd);
}

START_TEST(test_state_get_survives_garbled_pages)
{
	struct state_db *db = t_open(&t_opts);
	struct sbuf val;
	struct why why;
	char k[32];
	int i, failed = 0;

	t_fill(db, 3000);
	state_db_close(db);
	t_scribble(_i);
	/* The meta pages are intact, so the open may well succeed. */
	db = t_open(&t_opts);
	sbuf_init(&val);
	for (i = 0; i < 3000; i += 7) {
		snprintf(k, sizeof(k), "k%05d", i);
		if (t_get(db, k, &val) == STATE_FAIL)
			failed++;
	}
	if (state_db_damaged(db)) {
		ck_assert_int_gt(failed, 0);
		ck_assert_int_eq(state_db_rebuild(db, &why), STATE_OK);
	}
	t_fill(db, 10);
	ck_assert_int_eq(t_get(db, "k00009", &val), STATE_OK);
	sbuf_fini(&val);
	state_db_close(db);
}
END_TEST

/* The ways a file is damaged in the tests below. */
enum t_damage {
	T_DAMAGE_META, /* both meta pages garbled */
	T_DAMAGE_TRUNCATED, /* cut after three pages */
	T_DAMAGE_ZEROED, /* every byte zero, length kept */
	T_DAMAGE_EMPTY, /* length zero */
	T_DAMAGE_DATA /* data pages garbled, meta pages intact */
};

/* t_damage - damage the store's file one way; its size after */
static off_t
t_damage(enum t_damage how)
{
	char path[512], page[4096];
	struct stat sb;
	off_t off;
	size_t i;
	int fd;

	if (how == T_DAMAGE_DATA) {
		t_scribble(0);
		t_path(path, sizeof(path));
		ck_assert_int_eq(stat(path, &sb), 0);
		return sb.st_size;
	}
	t_path(path, sizeof(path));
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	for (i = 0; i < sizeof(page); i++)
		page[i] = how == T_DAMAGE_META ? (char)(i * 131 + 17) : 0;
	for (off = 0; off + 4096 <= sb.st_size &&
	     (how == T_DAMAGE_ZEROED || off < 2 * 4096);
	     off += 4096)
		if (how == T_DAMAGE_META || how == T_DAMAGE_ZEROED)
			ck_assert_int_eq(pwrite(fd, page, 4096, off), 4096);
	if (how == T_DAMAGE_TRUNCATED)
		ck_assert_int_eq(ftruncate(fd, 3 * 4096), 0);
	if (how == T_DAMAGE_EMPTY)
		ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	close(fd);
	return sb.st_size;
}

/* t_keep_taken - make PATH.damaged.T for the next few seconds, "x" in each */
static void
t_keep_taken(time_t now, int n)
{
	char name[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.damaged.%lld", T_FILE,
		    (long long)now + i);
		free(unit_write_file(t_dir, name, "x", 1));
	}
}

START_TEST(test_state_db_open_moves_damaged_file_aside)
{
	struct state_opts keep = t_opts;
	struct state_db *db;
	struct timespec at;
	struct sbuf val;
	struct stat sb;
	struct why why;
	const char *moved;
	char path[512], k[32];
	time_t now = time(NULL);
	off_t size;
	int i;

	keep.keep_damaged = true;
	db = t_open(&keep);
	t_fill(db, 3000);
	ck_assert_ptr_null(state_db_moved(db, &at));
	state_db_close(db);
	size = t_damage((enum t_damage)_i);
	t_keep_taken(now, 3);
	db = t_open(&keep);
	sbuf_init(&val);
	/* Garbled data pages show only when read: then rebuild. */
	for (i = 0; i < 3000 && !state_db_damaged(db); i += 7) {
		snprintf(k, sizeof(k), "k%05d", i);
		(void)t_get(db, k, &val);
	}
	if (state_db_damaged(db))
		ck_assert_int_eq(state_db_rebuild(db, &why), STATE_OK);
	moved = state_db_moved(db, &at);
	ck_assert_msg(moved != NULL, "case %d: nothing moved aside", _i);
	t_path(path, sizeof(path));
	ck_assert_int_eq(strncmp(moved, path, strlen(path)), 0);
	ck_assert_int_eq(strncmp(moved + strlen(path), ".damaged.", 9), 0);
	ck_assert_int_ge(at.tv_sec, now);
	/* Moved whole, and never over an earlier one. */
	ck_assert_int_eq(stat(moved, &sb), 0);
	ck_assert_int_eq(sb.st_size, size);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s.damaged.%lld", t_dir,
		    T_FILE, (long long)now + i);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, 1);
	}
	/* The store in its place is a new, empty one. */
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_NOTFOUND);
	t_fill(db, 2);
	ck_assert_int_eq(t_get(db, "k00001", &val), STATE_OK);
	sbuf_fini(&val);
	state_db_close(db);
}
END_TEST

START_TEST(test_state_db_open_discards_damaged_cache)
{
	struct state_db *db = t_open(&t_opts);
	struct timespec at;
	char cmd[600];

	t_fill(db, 3000);
	state_db_close(db);
	t_damage(T_DAMAGE_ZEROED);
	db = t_open(&t_opts);
	ck_assert_ptr_null(state_db_moved(db, &at));
	state_db_close(db);
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q damaged", t_dir);
	ck_assert_int_ne(system(cmd), 0);
}
END_TEST

START_TEST(test_state_put_from_many_processes)
{
	struct state_db *db;
	struct state_txn *txn;
	struct why why;
	pid_t pids[4];
	size_t n;
	int i, status;

	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			char k[32];
			int j;

			if (state_db_open(t_dir, T_FILE, &t_opts, &db, &why) !=
			    STATE_OK)
				_exit(1);
			for (j = 0; j < 50; j++) {
				snprintf(k, sizeof(k), "p%d-%d", i, j);
				if (state_txn_begin(db, true, &txn, &why) !=
				        0 ||
				    state_put(txn, 1, k, strlen(k), "v", 1,
				        &why) != 0 ||
				    state_txn_commit(txn, &why) != 0)
					_exit(2);
			}
			state_db_close(db);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child %d: status %d", i, status);
	}
	db = t_open(&t_opts);
	ck_assert_int_eq(state_txn_begin(db, false, &txn, &why), STATE_OK);
	ck_assert_int_eq(state_count(txn, 1, &n, &why), STATE_OK);
	ck_assert_uint_eq(n, 200);
	state_txn_abort(txn);
	state_db_close(db);
}
END_TEST

/* t_fault_segv - read through a bad pointer */
static int
t_fault_segv(void *arg)
{
	volatile const char *p = arg;

	return p[0];
}

/* t_fault_bus - read a mapped page past the end of a file */
static int
t_fault_bus(void *arg)
{
	volatile const char *p = arg;

	return p[8192];
}

/* t_fine - no fault */
static int
t_fine(void *arg)
{
	return *(int *)arg;
}

START_TEST(test_state_guard_run_turns_faults_into_status)
{
	char path[512];
	void *map;
	int fd, seven = 7;

	ck_assert_int_eq(
	    state_guard_run(t_fault_segv, (void *)16), STATE_GUARD_FAULT);
	snprintf(path, sizeof(path), "%s/small", t_dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	map = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(state_guard_run(t_fault_bus, map), STATE_GUARD_FAULT);
	/* A second fault is caught as well: the signal is not left blocked. */
	ck_assert_int_eq(state_guard_run(t_fault_bus, map), STATE_GUARD_FAULT);
	ck_assert_int_eq(state_guard_run(t_fine, &seven), 7);
	munmap(map, 3 * 4096);
	close(fd);
}
END_TEST

/* state_suite - the tests */
static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_state_get_finds_what_put_stored);
	tcase_add_test(tc, test_state_del_removes_and_count_follows);
	tcase_add_test(tc, test_state_cursor_walks_in_key_order);
	tcase_add_test(tc, test_state_cursor_seek_finds_the_next_key);
	tcase_add_test(tc, test_state_put_from_many_processes);
	suite_add_tcase(s, tc);
	tc = tcase_create("damage");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_state_db_open_rebuilds_garbage_file);
	tcase_add_test(tc, test_state_db_open_rebuilds_other_format);
	tcase_add_test(tc, test_state_db_open_rebuilds_truncated_file);
	tcase_add_loop_test(tc, test_state_get_survives_garbled_pages, 0, 4);
	tcase_add_test(tc, test_state_guard_run_turns_faults_into_status);
	tcase_add_loop_test(tc, test_state_db_open_moves_damaged_file_aside,
	    T_DAMAGE_META, T_DAMAGE_DATA + 1);
	tcase_add_test(tc, test_state_db_open_discards_damaged_cache);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run */
int
main(void)
{
	return unit_run(state_suite());
}
