/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	worker - delivery workers: resident processes that deliver for
 *	the short-lived deliver processes an MTA starts
 * DESCRIPTION
 *	pipe(8) and Exim's pipe transport start one process per message,
 *	so every message pays for starting a program, reading the
 *	configuration and the override map. With worker_idle_time above
 *	0, `smtpdirect deliver` (the small front program, front.h)
 *	hands its run to a worker instead: it sends its parsed
 *	arguments and its standard input, output and
 *	error to the keeper of state_dir (scache.h), which passes them on
 *	to an idle worker. The worker delivers exactly as deliver would
 *	(same log lines, same final line on the caller's standard error),
 *	answers with the exit status, and the caller exits with it.
 *
 *	When no worker is idle, the keeper says so at once and the caller
 *	has the core program deliver (front.h), while the keeper starts
 *	one more worker for the next message. The pool holds up to
 *	WORKER_SPARE times max_concurrent workers (at most WORKER_MAX):
 *	max_concurrent still bounds the messages in flight, and the
 *	spare ones, idle, keep their sessions for the next message.
 *	Workers are the keeper's children and run the core
 *	program file the caller names (a caller naming another one makes
 *	the keeper retire and the caller deliver without it), reload
 *	the configuration and the override map when their files change,
 *	exit after WORKER_MAX_USE messages, and are told to exit when
 *	idle for worker_idle_time or when the keeper exits.
 *
 *	A worker keeps the TLS and AUTH sessions it used open between
 *	messages (they cannot leave its process; deliver_run.h,
 *	deliver_keep_*), and tells the keeper, each time it is free
 *	again, which recipient domains they served: the keeper gives a
 *	request with a recipient in one of them to that worker, else to
 *	any idle one, and when only busy workers keep a session to the
 *	request's destination it starts one more worker, so that the
 *	next request for a busy destination finds an idle worker
 *	holding a session to it (as Postfix's smtp(8) processes share
 *	one connection cache). A worker QUITs them when they expire and
 *	when it exits.
 *
 *	A worker says "deliver by yourself" only before it has read
 *	anything of the message. Once the caller's request has reached
 *	a worker, a caller that gets no answer (the worker died) defers:
 *	the message may have been read, so it is never delivered twice by
 *	this process.
 * OWNERSHIP
 *	worker_submit() borrows everything; descriptors 0-2 stay the
 *	caller's.
 * THREADS
 *	Not safe: one run per process.
 * ERRORS
 *	worker_submit() reports by its result; a worker's errors are the
 *	delivery's own (log lines, final line, exit status).
 * SEE ALSO
 *	scache.h, deliver_args.h, cmd.h, Postfix master(5) (max_idle, max_use).
 */
#ifndef SMTPDIRECT_WORKER_H
#define SMTPDIRECT_WORKER_H

#include "deliver_args.h"

#define WORKER_MAX 64 /* most workers one keeper runs */
#define WORKER_SPARE 2 /* pool size: this many times max_concurrent */
#define WORKER_MAX_USE 1000 /* messages a worker delivers before exiting */
#define WORKER_FD 3 /* a worker's socket to its keeper */
#define WORKER_ANSWER_SLACK_MS 30000 /* waited past deliver_time_limit */
#define WORKER_START_MS 10000 /* longest a new worker may take to start */
#define WORKER_CALLER_MS 10000 /* longest wait for a caller's PONG or ACK */

/* What worker_submit() did. */
enum worker_submit {
	WORKER_SUBMIT_DONE, /* delivered by a worker: *rc is the status */
	WORKER_SUBMIT_INLINE, /* no worker took it: deliver here */
	WORKER_SUBMIT_NOKEEPER, /* no keeper runs: deliver here, start one */
	WORKER_SUBMIT_LOST /* a worker took it and gave no answer: defer */
};

/*
 * Hand the run a (a->conf absolute) to a worker of state_dir dir,
 * waiting at most wait_ms for the answer; exe is the core program file
 * the workers must run (a keeper running another one retires),
 * max_concurrent the host's cap (the keeper's pool is WORKER_SPARE times
 * that) and idle_ms the workers' idle time.
 */
enum worker_submit worker_submit(const char *dir, const char *exe,
    const struct deliver_args *a, unsigned long max_concurrent,
    unsigned long idle_ms, long long wait_ms, int *rc);

#endif
