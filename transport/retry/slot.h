/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	slot - host-wide cap on messages in flight (max_concurrent)
 * DESCRIPTION
 *	A slot is one of n lock files slot.0 ... slot.N-1 in a directory
 *	(state_dir/slots), held with flock(LOCK_EX). slot_acquire() tries
 *	the files from a random start, and while all are taken polls with
 *	a growing, jittered pause (SLOT_BACKOFF_MIN_MS to _MAX_MS) until
 *	wait_seconds have passed on the monotonic clock; then it gives up
 *	with 4.3.2, which deliver turns into a deferral. The kernel drops
 *	a flock when its last descriptor closes, so a slot held by a
 *	process that crashed or was killed (even with SIGKILL) is free at
 *	once: slots never leak and need no lease or clean-up. Locks belong
 *	to open file descriptions, so two acquisitions in one process take
 *	two different slots. Descriptors are O_CLOEXEC: programs we run
 *	never inherit a slot. A child made by fork(2) shares its parent's
 *	slot until it exits or execs. The directory is created if missing
 *	(only its last component, mode SLOT_DIR_MODE); a directory that is
 *	a symbolic link is refused, and so is a slot file that is not a
 *	regular file. Lock files are never removed.
 * OWNERSHIP
 *	slot_acquire() allocates the slot; slot_release() frees it and
 *	releases the lock (NULL is fine).
 * THREADS
 *	Safe for concurrent use of distinct slots.
 * ERRORS
 *	SD_TEMP only: 4.3.2 when no slot came free in time; 4.3.0 when the
 *	directory or a lock file cannot be used (local trouble: defer).
 * SEE ALSO
 *	flock(2); SPEC section 6; deliver.h.
 */
#ifndef SMTPDIRECT_SLOT_H
#define SMTPDIRECT_SLOT_H

#include <sys/types.h>

#include "why.h"

#define SLOT_MAX 10000UL /* most slots a directory may be asked for */
#define SLOT_DIR_MODE 0700 /* mode of a directory slot_acquire creates */
#define SLOT_FILE_MODE 0600 /* mode of the lock files */
#define SLOT_BACKOFF_MIN_MS 5 /* first pause while all slots are taken */
#define SLOT_BACKOFF_MAX_MS 200 /* longest pause between polls */

/* A held slot (opaque). */
struct slot;

/*
 * Create the slot directory dir with the given mode if it does not
 * exist (only the last component; its parent must exist). An existing
 * directory is accepted as it is; a symbolic link or another kind of
 * file is refused.
 * Returns: SD_OK, SD_TEMP (4.3.0, why names the path).
 */
enum sd_status slot_dir_create(const char *dir, mode_t mode, struct why *why);

/*
 * Take one of n slots (1 <= n <= SLOT_MAX, else msg_panic) in dir,
 * creating dir (SLOT_DIR_MODE) and the lock files as needed; wait at
 * most wait_seconds for one to come free (0: try once). On success
 * *slotp receives the slot; release it with slot_release().
 * Returns: SD_OK, SD_TEMP (4.3.2 "too many concurrent deliveries
 * (max_concurrent=N), waited Ns"; 4.3.0 directory or file trouble).
 */
enum sd_status slot_acquire(const char *dir, unsigned long n,
    unsigned wait_seconds, struct slot **slotp, struct why *why);

/* The number of the slot held, 0 ... n-1. */
unsigned long slot_index(const struct slot *slot);

/* Release the slot and free it; NULL does nothing. */
void slot_release(struct slot *slot);

#endif
