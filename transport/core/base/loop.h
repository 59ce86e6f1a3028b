/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	loop - an event loop of cooperative tasks on one thread
 * DESCRIPTION
 *	loop_run() runs a function over a list of arguments as tasks, at
 *	most max of them at once, each on its own stack, all on the
 *	calling thread, and returns when every task has returned. A task
 *	gives way only in loop_poll(): the descriptor it waits for joins
 *	one poll(2) over every waiting task, and whichever is ready (or
 *	timed out) goes on. So code written as blocking I/O (connect,
 *	read a reply, write a body) talks to several servers at once with
 *	no thread per connection. Outside loop_run(), or with one task,
 *	loop_poll() is plain poll(2) and nothing is switched.
 *	Tasks must not give way while holding something the others use
 *	(an open LMDB transaction, a half-written shared buffer): the I/O
 *	modules call loop_poll() only where they would block anyway.
 * OWNERSHIP
 *	Stacks are allocated and freed by loop_run(); the arguments are
 *	the caller's.
 * THREADS
 *	One loop_run() per thread at a time; tasks never run in parallel.
 * ERRORS
 *	loop_poll() returns what poll(2) returns. loop_run() cannot fail:
 *	when no stack can be had, the remaining tasks run one after
 *	another on the caller's stack.
 * SEE ALSO
 *	poll(2), makecontext(3), swapcontext(3).
 */
#ifndef SMTPDIRECT_LOOP_H
#define SMTPDIRECT_LOOP_H

#include <poll.h>
#include <stddef.h>

#define LOOP_STACK_SIZE (1024 * 1024) /* per task; pages used on touch */

/* The work of one task. */
typedef void (*loop_fn)(void *arg);

/* Run fn(args[i]) for every i < n, at most max at once (max 0 = n). */
void loop_run(loop_fn fn, void **args, size_t n, size_t max);

/* poll(2) on one descriptor, letting the other tasks run meanwhile. */
int loop_poll(struct pollfd *pfd, int timeout_ms);

/* How many tasks are running or waiting (0 outside loop_run). */
size_t loop_active(void);

#endif
