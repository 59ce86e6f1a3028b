/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of mlt_map: the shared map's references and reloads. */

#include "unit.h"

#include "mlt_map.h"

START_TEST(test_mlt_store_load_keeps_old_map_on_errors)
{
	char *dir = unit_tmpdir();
	char *path = unit_write_file(dir, "map", "a.test relay.test\n", 18);
	struct diag_list *dl = diag_list_new();
	struct mlt_store *st = mlt_store_new(path, false, NULL);
	struct mlt_map *held;

	ck_assert_ptr_null(mlt_store_get(st));
	ck_assert_int_eq(mlt_store_load(st, dl), OVR_OK);
	held = mlt_store_get(st);
	ck_assert_uint_eq(ovr_map_count(mlt_map_ovr(held)), 1);
	/* A broken map is refused; the old one stays. */
	free(unit_write_file(dir, "map", "a.test relay.test:99999\n", 24));
	ck_assert_int_eq(mlt_store_load(st, dl), OVR_INVALID);
	ck_assert_uint_ge(diag_errors(dl), 1);
	ck_assert_uint_eq(mlt_store_rules(st), 1);
	/* A good one replaces it; the message's reference stays valid. */
	free(unit_write_file(
	    dir, "map", "a.test r1.test\nb.test r2.test\n", 30));
	ck_assert_int_eq(mlt_store_load(st, dl), OVR_OK);
	ck_assert_uint_eq(mlt_store_rules(st), 2);
	ck_assert_uint_eq(ovr_map_count(mlt_map_ovr(held)), 1);
	mlt_map_put(st, held);
	mlt_store_free(st);
	diag_list_free(dl);
	unit_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_mlt_store_load_missing_default_is_none)
{
	struct diag_list *dl = diag_list_new();
	struct mlt_store *st =
	    mlt_store_new("/nonexistent/overrides", true, NULL);
	struct mlt_map *m;

	ck_assert_int_eq(mlt_store_load(st, dl), OVR_OK);
	m = mlt_store_get(st);
	ck_assert_ptr_null(mlt_map_ovr(m));
	mlt_map_put(st, m);
	mlt_store_free(st);
	st = mlt_store_new("/nonexistent/overrides", false, NULL);
	ck_assert_int_eq(mlt_store_load(st, dl), OVR_NOFILE);
	mlt_store_free(st);
	diag_list_free(dl);
}
END_TEST

/* mlt_map_suite - references and reloads */
static Suite *
mlt_map_suite(void)
{
	Suite *s = suite_create("mlt_map");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, test_mlt_store_load_keeps_old_map_on_errors);
	tcase_add_test(tc, test_mlt_store_load_missing_default_is_none);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(mlt_map_suite());
}
