/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	proc - what the resident processes show and keep: their own
 *	argument vector, a clean environment, no core dumps
 * DESCRIPTION
 *	The keeper (scache.h) and the delivery workers (worker.h) live
 *	for many messages, but are started from one: left alone, they
 *	would show that message's command line in ps(1) for their whole
 *	life, and keep its caller's environment (Exim's SENDER,
 *	MESSAGE_ID, RECIPIENT...). So they are started by proc_exec():
 *	the core program file run anew, with argv[0] the title ps shows
 *	(PROC_KEEPER_TITLE plus the state_dir, PROC_WORKER_TITLE) and no
 *	other argument, which is also how main() recognises them, and
 *	with nothing of the environment but PROC_PATH as PATH and the
 *	PROC_ENV_KEEP variables that are set: nothing of a message.
 *
 *	Every process that may hold the override map's passwords (the
 *	core, whatever its command, so the keeper and the workers too)
 *	calls proc_nodump() first: no core file, no ptrace(2) or
 *	/proc/PID/mem by other processes of the same user, and its
 *	/proc/PID files owned by root.
 * OWNERSHIP
 *	Nothing allocated: proc_exec() builds the environment on the
 *	stack, so a child of fork() may call it.
 * THREADS
 *	proc_exec() replaces the process; use it in a child of fork().
 * ERRORS
 *	proc_exec() returns only when execve(2) failed (errno set);
 *	proc_nodump() cannot fail on Linux.
 * SEE ALSO
 *	prctl(2) (PR_SET_DUMPABLE, PR_SET_NAME), proc(5), execve(2),
 *	Postfix master(8) (process names in ps).
 */
#ifndef SMTPDIRECT_PROC_H
#define SMTPDIRECT_PROC_H

#define PROC_KEEPER_TITLE "smtpdirect: keeper " /* then the state_dir */
#define PROC_WORKER_TITLE "smtpdirect: worker"
#define PROC_KEEPER_NAME "smtpdirect-keep" /* comm (PR_SET_NAME) */
#define PROC_WORKER_NAME "smtpdirect-work"
#define PROC_PATH "/usr/bin:/bin" /* PATH of a keeper or worker */
/* Kept when set: the time zone of log lines, the spool's directory,
 * and a sanitizer build's options (its reports). */
#define PROC_ENV_KEEP \
	{ \
		"TZ", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", \
		    "LSAN_OPTIONS" \
	}
#define PROC_ENV_MAX 8 /* most variables passed, PATH and extra included */
#define PROC_ENV_SIZE 8192 /* most bytes of them; a longer one is dropped */

/*
 * Run this process's program file (/proc/self/exe) anew with the
 * argument vector { title } and the clean environment, plus extra
 * ("NAME=VALUE") when not NULL. Returns only on failure.
 */
void proc_exec(const char *title, const char *extra);

/* No core dumps, no tracing by the same user: PR_SET_DUMPABLE 0. */
void proc_nodump(void);

/* Name the process (comm, 15 bytes at most) for ps -o comm and top. */
void proc_name(const char *name);

#endif
