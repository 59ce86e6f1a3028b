/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* sigwait() for libmilter's signal thread: SIGHUP runs a hook. */

#include <errno.h>
#include <signal.h>

#include "mlt_sig.h"

static mlt_sig_hup_fn mlt_sig_hup;

/* mlt_sig_on_hup - set what SIGHUP does */
void
mlt_sig_on_hup(mlt_sig_hup_fn fn)
{
	mlt_sig_hup = fn;
}

/*
 * sigwait - libc's sigwait(3), but SIGHUP runs the hook and waits on.
 * The name breaks the mlt_ prefix rule on purpose: it is what
 * libmilter calls (mlt_sig.h says why).
 */
int
sigwait(const sigset_t *restrict set, int *restrict sig)
{
	int s;

	for (;;) {
		s = sigwaitinfo(set, NULL);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP && mlt_sig_hup != NULL) {
			mlt_sig_hup();
			continue;
		}
		*sig = s;
		return 0;
	}
}
