/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of sdir.c: trusting state_dir, naming the owner of a file. */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>

#include "unit.h"

#include "sdir.h"

#define OTHER_UID ((uid_t)4242) /* a user that is not the test's */
#define UNKNOWN_UID ((uid_t)3999999) /* a uid without a passwd entry */

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

/* One case of the verdict table. */
struct trust_case {
	const char *name; /* what the case shows */
	uid_t owner; /* the directory's owner */
	mode_t mode; /* its permission bits */
	uid_t euid; /* who looks */
	enum sdir_trust want; /* the verdict */
};

static const struct trust_case trust_cases[] = {
    {"own 0700", 100, 0700, 100, SDIR_OWN},
    {"own 0750: group may read", 100, 0750, 100, SDIR_OWN},
    {"own 0770", 100, 0770, 100, SDIR_GROUP_WRITABLE},
    {"own 0777", 100, 0777, 100, SDIR_WORLD_WRITABLE},
    {"own 01777 sticky", 100, 01777, 100, SDIR_WORLD_WRITABLE},
    {"own 0702: world-writable only", 100, 0702, 100, SDIR_WORLD_WRITABLE},
    {"root in a user's 0700", 100, 0700, 0, SDIR_FOREIGN},
    {"user in root's 0700", 0, 0700, 100, SDIR_FOREIGN},
    {"other user's 0777", 100, 0777, 101, SDIR_FOREIGN},
    {"root in its own", 0, 0700, 0, SDIR_OWN},
};

START_TEST(test_sdir_trust_of_table)
{
	const struct trust_case *c = &trust_cases[_i];
	enum sdir_trust got =
	    sdir_trust_of(c->owner, S_IFDIR | c->mode, c->euid);

	ck_assert_msg(got == c->want, "case \"%s\": got %d, want %d", c->name,
	    (int)got, (int)c->want);
}
END_TEST

START_TEST(test_sdir_keeper_ok_only_for_own_and_group)
{
	ck_assert(sdir_keeper_ok(SDIR_OWN));
	ck_assert(sdir_keeper_ok(SDIR_GROUP_WRITABLE));
	ck_assert(!sdir_keeper_ok(SDIR_WORLD_WRITABLE));
	ck_assert(!sdir_keeper_ok(SDIR_FOREIGN));
	ck_assert(!sdir_keeper_ok(SDIR_MISSING));
	ck_assert(!sdir_keeper_ok(SDIR_BAD));
}
END_TEST

START_TEST(test_sdir_check_missing_and_file)
{
	char path[PATH_MAX];
	struct sdir_info sd;
	char *file = unit_write_file(tmp, "f", "x", 1);

	snprintf(path, sizeof(path), "%s/none", tmp);
	ck_assert_int_eq(sdir_check(path, &sd), SDIR_MISSING);
	ck_assert_int_eq(sdir_check(file, &sd), SDIR_BAD);
	ck_assert_int_eq(sd.err, ENOTDIR);
	free(file);
}
END_TEST

START_TEST(test_sdir_check_modes)
{
	struct sdir_info sd;

	ck_assert_int_eq(chmod(tmp, 0700), 0);
	ck_assert_int_eq(sdir_check(tmp, &sd), SDIR_OWN);
	ck_assert_uint_eq(sd.owner, geteuid());
	ck_assert_int_eq(chmod(tmp, 0770), 0);
	ck_assert_int_eq(sdir_check(tmp, &sd), SDIR_GROUP_WRITABLE);
	ck_assert_int_eq(chmod(tmp, 0777), 0);
	ck_assert_int_eq(sdir_check(tmp, &sd), SDIR_WORLD_WRITABLE);
	ck_assert_int_eq(chmod(tmp, 0700), 0);
}
END_TEST

START_TEST(test_sdir_user_name_root_and_unknown)
{
	char buf[SDIR_NAME_MAX];

	ck_assert_str_eq(sdir_user_name(0, buf, sizeof(buf)), "root");
	ck_assert_str_eq(
	    sdir_user_name(UNKNOWN_UID, buf, sizeof(buf)), "uid 3999999");
}
END_TEST

START_TEST(test_sdir_warning_names_owner_and_mode)
{
	struct sdir_info sd = {
	    SDIR_FOREIGN, 0, 0, S_IFDIR | 0700, UNKNOWN_UID, 0};
	char buf[SDIR_TEXT_MAX];

	sdir_warning("/s", &sd, buf, sizeof(buf));
	ck_assert_msg(strstr(buf,
	                  "state_dir /s belongs to root, not to "
	                  "uid 3999999") != NULL,
	    "%s", buf);
	sd.trust = SDIR_WORLD_WRITABLE;
	sd.mode = S_IFDIR | 0777;
	sdir_warning("/s", &sd, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "writable by every user (mode 0777)") != NULL,
	    "%s", buf);
	sd.trust = SDIR_GROUP_WRITABLE;
	sd.mode = S_IFDIR | 0770;
	sdir_warning("/s", &sd, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "writable by its group (mode 0770)") != NULL,
	    "%s", buf);
	sd.trust = SDIR_OWN;
	ck_assert_str_eq(sdir_warning("/s", &sd, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(test_sdir_owner_note_only_for_permission_errors)
{
	char buf[SDIR_NOTE_MAX];
	char *file = unit_write_file(tmp, "f", "x", 1);

	ck_assert_str_eq(sdir_owner_note(file, ENOENT, buf, sizeof(buf)), "");
	ck_assert_str_eq(sdir_owner_note(file, EIO, buf, sizeof(buf)), "");
	ck_assert_ptr_nonnull(strstr(
	    sdir_owner_note(file, EACCES, buf, sizeof(buf)), " (owned by "));
	ck_assert_ptr_nonnull(strstr(buf, "; running as "));
	free(file);
}
END_TEST

START_TEST(test_sdir_owner_note_names_other_owner)
{
	char buf[SDIR_NOTE_MAX], want[SDIR_NAME_MAX + 16], name[SDIR_NAME_MAX];
	char *file = unit_write_file(tmp, "f", "x", 1);

	/* Giving a file away takes root (the tests usually run as root). */
	if (geteuid() != 0 || chown(file, OTHER_UID, (gid_t)-1) != 0) {
		free(file);
		return;
	}
	sdir_owner_note(file, EPERM, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "running as root)") != NULL, "%s", buf);
	snprintf(want, sizeof(want), "owned by %s;",
	    sdir_user_name(OTHER_UID, name, sizeof(name)));
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	free(file);
}
END_TEST

START_TEST(test_sdir_owner_note_missing_file_names_directory)
{
	char path[PATH_MAX], buf[SDIR_NOTE_MAX], want[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/none", tmp);
	snprintf(want, sizeof(want), " (directory %s owned by ", tmp);
	sdir_owner_note(path, EACCES, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
}
END_TEST

/* sdir_suite - the tests */
static Suite *
sdir_suite(void)
{
	Suite *s = suite_create("sdir");
	TCase *tc;

	tc = tcase_create("trust");
	tcase_add_loop_test(tc, test_sdir_trust_of_table, 0,
	    sizeof(trust_cases) / sizeof(trust_cases[0]));
	tcase_add_test(tc, test_sdir_keeper_ok_only_for_own_and_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sdir_check_missing_and_file);
	tcase_add_test(tc, test_sdir_check_modes);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sdir_user_name_root_and_unknown);
	tcase_add_test(tc, test_sdir_warning_names_owner_and_mode);
	tcase_add_test(tc, test_sdir_owner_note_only_for_permission_errors);
	tcase_add_test(tc, test_sdir_owner_note_names_other_owner);
	tcase_add_test(tc, test_sdir_owner_note_missing_file_names_directory);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(sdir_suite());
}
