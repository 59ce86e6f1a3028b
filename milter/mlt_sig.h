/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mlt_sig - SIGHUP reloads instead of stopping libmilter
 * DESCRIPTION
 *	libmilter's signal thread waits for SIGHUP, SIGTERM and SIGINT
 *	with sigwait(3) and stops the milter on any of them. Postfix and
 *	OpenDKIM administrators expect SIGHUP to reload, so this module
 *	provides the program's sigwait(): it waits as libc's would, but
 *	when the signal is SIGHUP and a hook is set it calls the hook and
 *	waits again. One thread thus takes every signal; no second
 *	signal thread races libmilter's for SIGHUP. SIGTERM and SIGINT
 *	reach libmilter as before (stop; smfi_main() returns).
 * OWNERSHIP
 *	Nothing allocated.
 * THREADS
 *	mlt_sig_on_hup() before smfi_main(); the hook then runs on
 *	libmilter's signal thread while callbacks run on others.
 * ERRORS
 *	sigwait() returns what sigwaitinfo(2)'s errno would be.
 * SEE ALSO
 *	libmilter signal.c (mi_signal_thread); mlt_map.h.
 */
#ifndef SMTPDIRECT_MLT_SIG_H
#define SMTPDIRECT_MLT_SIG_H

/* What SIGHUP does. */
typedef void (*mlt_sig_hup_fn)(void);

/* Set the SIGHUP hook (NULL: SIGHUP stops the milter, libmilter's way). */
void mlt_sig_on_hup(mlt_sig_hup_fn fn);

#endif
