/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of slot.c: the host-wide concurrency slots. */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

#include "unit.h"

#include "slot.h"

#define HOLDERS 3 /* forked slot holders in the cap test */

static char *tmp;

/* setup - a private directory per test */
static void
setup(void)
{
	tmp = unit_tmpdir();
}

/* teardown - remove it */
static void
teardown(void)
{
	unit_rmtree(tmp);
	free(tmp);
}

/* path_in - tmp/name into buf */
static const char *
path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp, name);
	return buf;
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_slot_acquire_creates_dir_and_file)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	struct slot *slot = NULL;
	struct stat st;
	struct why why;

	umask(022);
	path_in(dir, sizeof(dir), "slots");
	ck_assert_int_eq(slot_acquire(dir, 2, 0, &slot, &why), SD_OK);
	ck_assert_ptr_nonnull(slot);
	ck_assert_uint_lt(slot_index(slot), 2);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(file, sizeof(file), "%s/slot.%lu", dir, slot_index(slot));
	ck_assert_int_eq(lstat(file, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	slot_release(slot);
}
END_TEST

START_TEST(test_slot_dir_create_sets_mode_despite_umask)
{
	char dir[PATH_MAX];
	struct stat st;
	struct why why;

	umask(077);
	path_in(dir, sizeof(dir), "slots");
	ck_assert_int_eq(slot_dir_create(dir, 0750, &why), SD_OK);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(slot_dir_create(dir, 0700, &why), SD_OK);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
}
END_TEST

START_TEST(test_slot_acquire_caps_in_one_process)
{
	char dir[PATH_MAX];
	struct slot *s[4] = {NULL};
	unsigned seen = 0;
	unsigned long freed;
	struct why why;
	int i;

	path_in(dir, sizeof(dir), "slots");
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(slot_acquire(dir, 3, 0, &s[i], &why), SD_OK);
		seen |= 1u << slot_index(s[i]);
	}
	ck_assert_uint_eq(seen, 7);
	why_reset(&why);
	ck_assert_int_eq(slot_acquire(dir, 3, 0, &s[3], &why), SD_TEMP);
	ck_assert_ptr_null(s[3]);
	ck_assert_str_eq(why.dsn, "4.3.2");
	ck_assert_str_eq(why.text,
	    "too many concurrent deliveries (max_concurrent=3), waited 0s");
	freed = slot_index(s[1]);
	slot_release(s[1]);
	ck_assert_int_eq(slot_acquire(dir, 3, 0, &s[3], &why), SD_OK);
	ck_assert_uint_eq(slot_index(s[3]), freed);
	slot_release(s[0]);
	slot_release(s[2]);
	slot_release(s[3]);
}
END_TEST

/* hold_slot - child: take a slot, report its number, hold until told */
static void
hold_slot(const char *dir, int report, int hold)
{
	struct slot *slot = NULL;
	struct why why;
	unsigned char idx;
	char c;

	if (slot_acquire(dir, HOLDERS, 5, &slot, &why) != SD_OK)
		_exit(2);
	idx = (unsigned char)slot_index(slot);
	if (write(report, &idx, 1) != 1)
		_exit(3);
	/* Hold until the parent closes its end (or kills us). */
	while (read(hold, &c, 1) > 0)
		;
	slot_release(slot);
	_exit(0);
}

START_TEST(test_slot_acquire_times_out_then_killed_holder_frees)
{
	char dir[PATH_MAX];
	int report[2], hold[2], i, wstatus;
	unsigned char idx[HOLDERS];
	pid_t pid[HOLDERS];
	struct slot *slot = NULL;
	struct why why;
	long long t0, elapsed;

	path_in(dir, sizeof(dir), "slots");
	ck_assert_int_eq(pipe(report), 0);
	ck_assert_int_eq(pipe(hold), 0);
	for (i = 0; i < HOLDERS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			close(report[0]);
			close(hold[1]);
			hold_slot(dir, report[1], hold[0]);
		}
		/* One at a time, so idx[i] is the slot of pid[i]. */
		ck_assert_int_eq(read(report[0], &idx[i], 1), 1);
	}
	close(report[1]);
	close(hold[0]);

	/* All taken: the next one waits its bound, then gives up. */
	t0 = now_ms();
	ck_assert_int_eq(slot_acquire(dir, HOLDERS, 1, &slot, &why), SD_TEMP);
	elapsed = now_ms() - t0;
	ck_assert_str_eq(why.dsn, "4.3.2");
	ck_assert_str_eq(why.text,
	    "too many concurrent deliveries (max_concurrent=3), waited 1s");
	ck_assert_int_ge(elapsed, 1000);
	ck_assert_int_lt(elapsed, 3000);

	/* A holder killed with SIGKILL leaves its slot free. */
	ck_assert_int_eq(kill(pid[0], SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid[0], &wstatus, 0), pid[0]);
	ck_assert(WIFSIGNALED(wstatus));
	ck_assert_int_eq(slot_acquire(dir, HOLDERS, 1, &slot, &why), SD_OK);
	ck_assert_uint_eq(slot_index(slot), idx[0]);
	slot_release(slot);

	close(hold[1]);
	for (i = 1; i < HOLDERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &wstatus, 0), pid[i]);
		ck_assert(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
	}
	close(report[0]);
}
END_TEST

START_TEST(test_slot_acquire_refuses_symlinked_dir)
{
	char dir[PATH_MAX], link[PATH_MAX];
	struct slot *slot = NULL;
	struct why why;

	path_in(dir, sizeof(dir), "real");
	path_in(link, sizeof(link), "slots");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(slot_acquire(link, 2, 0, &slot, &why), SD_TEMP);
	ck_assert_ptr_null(slot);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, "is a symbolic link"));
	ck_assert_int_eq(slot_dir_create(link, 0700, &why), SD_TEMP);
	ck_assert_ptr_nonnull(strstr(why.text, "is a symbolic link"));
}
END_TEST

START_TEST(test_slot_acquire_refuses_file_as_dir)
{
	char *path;
	struct slot *slot = NULL;
	struct why why;

	path = unit_write_file(tmp, "slots", "x", 1);
	ck_assert_int_eq(slot_acquire(path, 2, 0, &slot, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, "is not a directory"));
	free(path);
}
END_TEST

START_TEST(test_slot_acquire_missing_parent_fails)
{
	char dir[PATH_MAX];
	struct slot *slot = NULL;
	struct why why;

	path_in(dir, sizeof(dir), "no/slots");
	ck_assert_int_eq(slot_acquire(dir, 2, 0, &slot, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, dir));
}
END_TEST

START_TEST(test_slot_acquire_refuses_fifo_slot_file)
{
	char dir[PATH_MAX], fifo[PATH_MAX + 16];
	struct slot *slot = NULL;
	struct why why;

	path_in(dir, sizeof(dir), "slots");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(fifo, sizeof(fifo), "%s/slot.0", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(slot_acquire(dir, 1, 0, &slot, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, "not a regular file"));
}
END_TEST

START_TEST(test_slot_acquire_fd_is_close_on_exec)
{
	char dir[PATH_MAX], want[PATH_MAX + 16], target[PATH_MAX];
	struct slot *slot = NULL;
	struct dirent *de;
	struct why why;
	DIR *d;
	ssize_t n;
	int found = 0, fd;

	path_in(dir, sizeof(dir), "slots");
	ck_assert_int_eq(slot_acquire(dir, 1, 0, &slot, &why), SD_OK);
	snprintf(want, sizeof(want), "%s/slot.0", dir);
	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(
		    dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, want) != 0)
			continue;
		fd = atoi(de->d_name);
		ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		found++;
	}
	closedir(d);
	ck_assert_int_eq(found, 1);
	slot_release(slot);
}
END_TEST

START_TEST(test_slot_release_null_is_harmless)
{
	slot_release(NULL);
}
END_TEST

START_TEST(test_slot_acquire_zero_slots_panics)
{
	struct slot *slot = NULL;
	struct why why;

	/* The count is checked before the directory is looked at. */
	(void)slot_acquire("/nonexistent/slots", 0, 0, &slot, &why);
}
END_TEST

/* slot_suite - the slot tests */
static Suite *
slot_suite(void)
{
	Suite *s = suite_create("slot");
	TCase *tc;

	tc = tcase_create("acquire");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_slot_acquire_creates_dir_and_file);
	tcase_add_test(tc, test_slot_dir_create_sets_mode_despite_umask);
	tcase_add_test(tc, test_slot_acquire_caps_in_one_process);
	tcase_add_test(
	    tc, test_slot_acquire_times_out_then_killed_holder_frees);
	tcase_add_test(tc, test_slot_acquire_fd_is_close_on_exec);
	tcase_add_test(tc, test_slot_release_null_is_harmless);
	suite_add_tcase(s, tc);

	tc = tcase_create("contract");
	tcase_add_exit_test(tc, test_slot_acquire_zero_slots_panics, 75);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_slot_acquire_refuses_symlinked_dir);
	tcase_add_test(tc, test_slot_acquire_refuses_file_as_dir);
	tcase_add_test(tc, test_slot_acquire_missing_parent_fails);
	tcase_add_test(tc, test_slot_acquire_refuses_fifo_slot_file);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(slot_suite());
}
