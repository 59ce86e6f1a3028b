/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the configuration module: path choice and publication. */

#include "unit.h"

#include "cfg.h"
#include "diag.h"

static char *tmpdir; /* per-test directory, made by the fixture */
static char conf_path[512]; /* tmpdir/smtpdirect.conf */

/* cfg_test_setup - a private directory for each test */
static void
cfg_test_setup(void)
{
	tmpdir = unit_tmpdir();
	snprintf(conf_path, sizeof(conf_path), "%s/smtpdirect.conf", tmpdir);
}

/* cfg_test_teardown - remove the directory */
static void
cfg_test_teardown(void)
{
	unit_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

START_TEST(test_cfg_path_choose_order)
{
	bool must = false;

	setenv(CFG_ENV, "/env/smtpdirect.conf", 1);
	ck_assert_str_eq(cfg_path_choose("/x.conf", &must), "/x.conf");
	ck_assert(must);
	must = false;
	ck_assert_str_eq(cfg_path_choose(NULL, &must), "/env/smtpdirect.conf");
	ck_assert(must);
	setenv(CFG_ENV, "", 1);
	ck_assert_str_eq(cfg_path_choose(NULL, &must), CFG_DEFAULT_PATH);
	ck_assert(!must);
	must = true;
	unsetenv(CFG_ENV);
	ck_assert_str_eq(cfg_path_choose(NULL, &must), CFG_DEFAULT_PATH);
	ck_assert(!must);
	ck_assert_str_eq(CFG_DEFAULT_PATH,
	    SMTPDIRECT_SYSCONFDIR "/smtpdirect/smtpdirect.conf");
}
END_TEST

START_TEST(test_cfg_load_publishes_env_file)
{
	struct diag_list *dl = diag_list_new();

	free(
	    unit_write_file(tmpdir, "smtpdirect.conf", "mx_port = 2525\n", 15));
	setenv(CFG_ENV, conf_path, 1);
	ck_assert_int_eq(cfg_load(NULL, dl), CFG_OK);
	ck_assert_uint_eq(cfg_get()->mx_port, 2525);
	ck_assert_str_eq(cfg_get()->path, conf_path);
	ck_assert_ptr_eq(cfg_get(), cfg_get());
	unsetenv(CFG_ENV);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_load_missing_env_file_is_nofile)
{
	struct diag_list *dl = diag_list_new();

	setenv(CFG_ENV, conf_path, 1);
	ck_assert_int_eq(cfg_load(NULL, dl), CFG_NOFILE);
	ck_assert_int_eq(
	    cfg_load("/nonexistent/smtpdirect.conf", dl), CFG_NOFILE);
	ck_assert_uint_eq(diag_errors(dl), 2);
	unsetenv(CFG_ENV);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_get_after_failed_load_panics)
{
	struct diag_list *dl = diag_list_new();

	free(unit_write_file(tmpdir, "smtpdirect.conf", "mx_port = 0\n", 12));
	ck_assert_int_eq(cfg_load(conf_path, dl), CFG_INVALID);
	diag_list_free(dl);
	cfg_get();
}
END_TEST

START_TEST(test_cfg_get_before_load_panics)
{
	cfg_get();
}
END_TEST

START_TEST(test_cfg_load_twice_panics)
{
	struct diag_list *dl = diag_list_new();

	free(unit_write_file(tmpdir, "smtpdirect.conf", "\n", 1));
	ck_assert_int_eq(cfg_load(conf_path, dl), CFG_OK);
	cfg_load(conf_path, dl);
}
END_TEST

/* cfg_load_suite - path choice, cfg_load and cfg_get */
static Suite *
cfg_load_suite(void)
{
	Suite *s = suite_create("cfg_load");
	TCase *tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, cfg_test_setup, cfg_test_teardown);
	tcase_add_test(tc, test_cfg_path_choose_order);
	tcase_add_test(tc, test_cfg_load_publishes_env_file);
	tcase_add_test(tc, test_cfg_load_missing_env_file_is_nofile);
	tcase_add_exit_test(tc, test_cfg_get_after_failed_load_panics, 75);
	tcase_add_exit_test(tc, test_cfg_get_before_load_panics, 75);
	tcase_add_exit_test(tc, test_cfg_load_twice_panics, 75);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(cfg_load_suite());
}
