/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* A SIGSEGV/SIGBUS guard around calls into LMDB. */

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "state_int.h"

/*
 * The handler has to find its jump target, so this module keeps the
 * only process state of the store: the previous actions (restored for
 * faults outside a guarded call) and, per thread, the armed target.
 */
static struct sigaction state_guard_old_segv;
static struct sigaction state_guard_old_bus;
static pthread_once_t state_guard_once = PTHREAD_ONCE_INIT;
static _Thread_local sigjmp_buf *state_guard_target;

/* state_guard_on_fault - jump back to the guarded call, or step aside */
static void
state_guard_on_fault(int sig)
{
	sigjmp_buf *target = state_guard_target;

	if (target == NULL) {
		/* Not ours: the fault repeats under the old action. */
		sigaction(sig,
		    sig == SIGBUS ? &state_guard_old_bus
		                  : &state_guard_old_segv,
		    NULL);
		return;
	}
	state_guard_target = NULL;
	siglongjmp(*target, 1);
}

/* state_guard_install - set the handlers once per process */
static void
state_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = state_guard_on_fault;
	sigemptyset(&sa.sa_mask);
	/*
	 * SA_NODEFER keeps the signal unblocked in the handler, so the
	 * jump need not restore the mask: sigsetjmp(..., 0) costs no
	 * system call on every guarded call.
	 */
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, &state_guard_old_segv);
	sigaction(SIGBUS, &sa, &state_guard_old_bus);
}

/* state_guard_run - run fn with faults turned into a return value */
int
state_guard_run(state_guard_fn fn, void *arg)
{
	sigjmp_buf target;
	sigjmp_buf *volatile outer = state_guard_target;
	int rc;

	pthread_once(&state_guard_once, state_guard_install);
	if (sigsetjmp(target, 0) != 0) {
		state_guard_target = outer;
		return STATE_GUARD_FAULT;
	}
	state_guard_target = &target;
	rc = fn(arg);
	state_guard_target = outer;
	return rc;
}
