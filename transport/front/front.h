/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	front - the smtpdirect program: hand a delivery to a worker, or
 *	run the core program
 * DESCRIPTION
 *	An MTA starts `smtpdirect deliver` once per message, so the
 *	program it starts must be cheap to start. smtpdirect is therefore
 *	two program files, installed side by side:
 *
 *	smtpdirect (front.c) links nothing but the C library (musl by
 *	default: Makefile, FRONT_LIBC) and the few modules that read the
 *	configuration and talk to the keeper. For deliver
 *	it parses the arguments, reads the configuration and hands the
 *	run to a delivery worker (worker.h); when a worker delivered it,
 *	it exits with the worker's status. In every other case, and for
 *	every other command, it runs FRONT_CORE_NAME from its own
 *	directory with the same arguments.
 *
 *	smtpdirect-core (main.c) is the whole program: every command,
 *	the keeper and the workers. When the front has tried a hand-off,
 *	it tells the core what happened in the environment variable
 *	FRONT_HANDOFF_ENV, which the core removes at once:
 *
 *	FRONT_HANDOFF_NOKEEPER_TEXT  no keeper ran: deliver, then start
 *	                             one for the next message
 *	FRONT_HANDOFF_LOST_TEXT      a worker took the message and gave
 *	                             no answer: defer it (4.3.0), never
 *	                             read or send it again
 *	(unset)                      deliver by yourself
 * SEE ALSO
 *	worker.h, cmd.h, smtpdirect(8) FILES.
 */
#ifndef SMTPDIRECT_FRONT_H
#define SMTPDIRECT_FRONT_H

#define FRONT_CORE_NAME "smtpdirect-core" /* beside the front program */
#define FRONT_HANDOFF_ENV "SMTPDIRECT_HANDOFF"
#define FRONT_HANDOFF_NOKEEPER_TEXT "nokeeper"
#define FRONT_HANDOFF_LOST_TEXT "lost"

/* What the front's hand-off attempt left for the core to do. */
enum front_handoff {
	FRONT_HANDOFF_NONE, /* deliver by yourself */
	FRONT_HANDOFF_NOKEEPER, /* deliver, then start a keeper */
	FRONT_HANDOFF_LOST /* defer: a worker may have read the message */
};

#endif
