/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of loop: tasks interleave at loop_poll, bounded, all finish. */

#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "loop.h"
#include "msg.h"

static char loop_trace[64]; /* what the tasks did, in order */
static size_t loop_trace_n;
static size_t loop_peak; /* most tasks active at once */

/* loop_mark - note one step */
static void
loop_mark(char c)
{
	size_t a = loop_active();

	if (loop_trace_n < sizeof(loop_trace) - 1)
		loop_trace[loop_trace_n++] = c;
	if (a > loop_peak)
		loop_peak = a;
}

/* loop_reset - forget earlier tests */
static void
loop_reset(void)
{
	memset(loop_trace, 0, sizeof(loop_trace));
	loop_trace_n = 0;
	loop_peak = 0;
}

/* loop_sleep_task - mark, wait 50 ms in the loop, mark again */
static void
loop_sleep_task(void *arg)
{
	struct pollfd p = {.fd = -1, .events = POLLIN};
	const char *name = arg;

	loop_mark(name[0]);
	ck_assert_int_eq(loop_poll(&p, 50), 0);
	loop_mark(name[1]);
}

START_TEST(test_loop_run_tasks_interleave)
{
	void *args[] = {"Aa", "Bb", "Cc"};

	loop_reset();
	loop_run(loop_sleep_task, args, 3, 0);
	/* Every task started before any finished waiting. */
	ck_assert_str_eq(loop_trace, "ABCabc");
	ck_assert_uint_eq(loop_peak, 3);
	ck_assert_uint_eq(loop_active(), 0);
}
END_TEST

START_TEST(test_loop_run_max_bounds_tasks)
{
	void *args[] = {"Aa", "Bb", "Cc", "Dd", "Ee"};

	loop_reset();
	loop_run(loop_sleep_task, args, 5, 2);
	ck_assert_uint_eq(loop_trace_n, 10);
	ck_assert_uint_le(loop_peak, 2);
	ck_assert_int_eq(loop_trace[0], 'A');
	ck_assert_int_eq(loop_trace[1], 'B');
}
END_TEST

START_TEST(test_loop_run_one_task_runs_inline)
{
	void *args[] = {"Aa"};

	loop_reset();
	loop_run(loop_sleep_task, args, 1, 0);
	ck_assert_str_eq(loop_trace, "Aa");
	/* Not inside a loop: loop_active() stays 0. */
	ck_assert_uint_eq(loop_peak, 0);
}
END_TEST

static int loop_pipe[2]; /* reader task <- writer task */

/* loop_reader_task - wait for the writer's byte */
static void
loop_reader_task(void *arg)
{
	struct pollfd p = {.fd = loop_pipe[0], .events = POLLIN};
	char c = 0;

	(void)arg;
	loop_mark('r');
	ck_assert_int_eq(loop_poll(&p, 5000), 1);
	ck_assert(p.revents & POLLIN);
	ck_assert_int_eq(read(loop_pipe[0], &c, 1), 1);
	loop_mark(c);
}

/* loop_writer_task - wait a little, then write a byte */
static void
loop_writer_task(void *arg)
{
	struct pollfd p = {.fd = -1, .events = 0};

	(void)arg;
	loop_mark('w');
	ck_assert_int_eq(loop_poll(&p, 20), 0);
	ck_assert_int_eq(write(loop_pipe[1], "X", 1), 1);
	loop_mark('W');
}

/* loop_pipe_task - reader or writer by argument */
static void
loop_pipe_task(void *arg)
{
	if (*(const char *)arg == 'r')
		loop_reader_task(arg);
	else
		loop_writer_task(arg);
}

START_TEST(test_loop_poll_wakes_on_ready_descriptor)
{
	void *args[] = {"r", "w"};

	loop_reset();
	ck_assert_int_eq(pipe(loop_pipe), 0);
	loop_run(loop_pipe_task, args, 2, 0);
	ck_assert_str_eq(loop_trace, "rwWX");
	close(loop_pipe[0]);
	close(loop_pipe[1]);
}
END_TEST

START_TEST(test_loop_poll_outside_is_poll)
{
	struct pollfd p;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	p.fd = fds[0];
	p.events = POLLIN;
	ck_assert_int_eq(loop_poll(&p, 0), 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(loop_poll(&p, 0), 1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* loop_nested_task - a loop_run inside a task runs its tasks in turn */
static void
loop_nested_task(void *arg)
{
	void *args[] = {"Xx", "Yy"};

	(void)arg;
	loop_run(loop_sleep_task, args, 2, 0);
}

START_TEST(test_loop_run_nested_runs_in_turn)
{
	void *args[] = {"1", "2"};

	loop_reset();
	loop_run(loop_nested_task, args, 2, 0);
	ck_assert_uint_eq(loop_trace_n, 8);
	/* Inside one task the inner tasks do not overlap each other. */
	ck_assert(strstr(loop_trace, "Xx") != NULL ||
	    strchr(loop_trace, 'X') < strchr(loop_trace, 'Y'));
}
END_TEST

/* loop_suite - the tests */
static Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, test_loop_run_tasks_interleave);
	tcase_add_test(tc, test_loop_run_max_bounds_tasks);
	tcase_add_test(tc, test_loop_run_one_task_runs_inline);
	tcase_add_test(tc, test_loop_poll_wakes_on_ready_descriptor);
	tcase_add_test(tc, test_loop_poll_outside_is_poll);
	tcase_add_test(tc, test_loop_run_nested_runs_in_turn);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	msg_init("check_loop", MSG_TO_STDERR);
	return unit_run(loop_suite());
}
