/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the seedable random source. */

#include "unit.h"

#include "rnd.h"

#define RND_DRAWS 10000 /* draws per range test */

/* Bounds tried by the range test. */
static const size_t rnd_bounds[] = {1, 2, 3, 7};

START_TEST(test_rnd_next_same_seed_same_sequence)
{
	struct rnd a, b;
	int i;

	rnd_init(&a, 42);
	rnd_init(&b, 42);
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(rnd_next(&a), rnd_next(&b));
}
END_TEST

START_TEST(test_rnd_next_other_seed_other_sequence)
{
	struct rnd a, b;
	int i, same = 0;

	rnd_init(&a, 42);
	rnd_init(&b, 43);
	for (i = 0; i < 100; i++)
		same += rnd_next(&a) == rnd_next(&b);
	ck_assert_int_lt(same, 100);
}
END_TEST

START_TEST(test_rnd_below_same_seed_same_sequence)
{
	struct rnd a, b;
	int i;

	rnd_init(&a, 7);
	rnd_init(&b, 7);
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(rnd_below(&a, 5), rnd_below(&b, 5));
}
END_TEST

START_TEST(test_rnd_below_stays_in_range)
{
	size_t n = rnd_bounds[_i], seen[8] = {0}, x, v;
	struct rnd r;
	int i;

	rnd_init(&r, 0x5eed);
	for (i = 0; i < RND_DRAWS; i++) {
		x = rnd_below(&r, n);
		ck_assert_msg(
		    x < n, "case n=%zu: got %zu, want < %zu", n, x, n);
		seen[x]++;
	}
	/* Every value turns up: nothing is stuck at one end. */
	for (v = 0; v < n; v++)
		ck_assert_msg(seen[v] > 0, "case n=%zu: %zu never drawn", n, v);
}
END_TEST

START_TEST(test_rnd_init_zero_seed_draws_one)
{
	struct rnd r;

	rnd_init(&r, 0);
	ck_assert_uint_lt(rnd_below(&r, 3), 3);
	ck_assert_uint_eq(rnd_below(&r, 1), 0);
	ck_assert_uint_eq(rnd_below(&r, 0), 0);
}
END_TEST

/* rnd_suite - the random source */
static Suite *
rnd_suite(void)
{
	Suite *s = suite_create("rnd");
	TCase *tc = tcase_create("rnd");

	tcase_add_test(tc, test_rnd_next_same_seed_same_sequence);
	tcase_add_test(tc, test_rnd_next_other_seed_other_sequence);
	tcase_add_test(tc, test_rnd_below_same_seed_same_sequence);
	tcase_add_loop_test(tc, test_rnd_below_stays_in_range, 0,
	    sizeof(rnd_bounds) / sizeof(rnd_bounds[0]));
	tcase_add_test(tc, test_rnd_init_zero_seed_draws_one);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(rnd_suite());
}
