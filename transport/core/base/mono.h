/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mono - the monotonic clock in milliseconds
 * DESCRIPTION
 *	One time base for every timeout and deadline: connect and command
 *	timeouts, DNS query time-outs, the wait for a concurrency slot and
 *	deliver's whole-run deadline. Wall-clock changes never shorten or
 *	stretch a wait.
 * OWNERSHIP
 *	Nothing allocated.
 * THREADS
 *	Safe.
 * ERRORS
 *	None: CLOCK_MONOTONIC cannot fail on Linux.
 * SEE ALSO
 *	clock_gettime(2).
 */
#ifndef SMTPDIRECT_MONO_H
#define SMTPDIRECT_MONO_H

/* Milliseconds on CLOCK_MONOTONIC; only differences are meaningful. */
long long mono_now_ms(void);

#endif
