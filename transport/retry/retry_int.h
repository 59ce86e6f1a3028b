/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	retry_int - declarations shared by retry.c and retry_mark.c
 * DESCRIPTION
 *	A message that has a record in the store has a marker: an empty
 *	file state_dir/retry.d/XX/NAME, where NAME is the escaped queue id,
 *	a dot and the escaped first RETRY_MARK_FPR_LEN bytes of the
 *	fingerprint, and XX a hash of NAME (RETRY_MARK_SHARDS directories).
 *	The marker is made durable before the first record of its message
 *	is committed, so a message without a marker has no record, and its
 *	first attempt (the common case) costs one stat() instead of opening
 *	LMDB. A queue id too long for a file name has no marker: its
 *	records are always looked up in the store.
 *	Writers hold a shared flock on state_dir/retry.lock from the
 *	marker to the commit; marker pruning holds it exclusively (and
 *	skips its turn when it cannot have it at once), so a marker is
 *	never removed between a writer's check and its commit. retry.d is
 *	built once, under the exclusive lock, from the records already in
 *	the store, and appears by rename() when complete.
 *	A damaged store is moved aside by the state module; retry_lost.c
 *	then sets the time of state_dir/retry.lost to the moment of the
 *	move and logs the loss. A message whose marker is no younger than
 *	that, that this handle did not mark, and that has no record in the
 *	new store lost its records: it is deferred, never sent on an empty
 *	record, and its marker is kept (for retry_max_age) until an
 *	administrator removes it.
 *	Not for use outside retry*.c and their unit tests.
 * OWNERSHIP
 *	struct retry_db owns its directory name, the lock descriptor and
 *	the store handle.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	SD_OK; SD_TEMP with 4.3.0 and the path in why.
 * SEE ALSO
 *	retry.h, state.h, flock(2).
 */
#ifndef SMTPDIRECT_RETRY_INT_H
#define SMTPDIRECT_RETRY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "retry.h"
#include "sbuf.h"
#include "state.h"
#include "why.h"

#define RETRY_MARK_DIR "retry.d" /* markers, in state_dir */
#define RETRY_MARK_LOCK "retry.lock" /* writers' and pruners' lock */
#define RETRY_LOST_FILE "retry.lost" /* its time: when records were lost */
#define RETRY_MARK_SHARDS 256 /* subdirectories 00 .. ff */
#define RETRY_MARK_FPR_LEN 16 /* fingerprint bytes in a marker name */
#define RETRY_MARK_NAME_MAX 200 /* longest marker name, bytes */
#define RETRY_PATH_MAX 4096 /* longest path built, bytes */

/* What a marker says of a message. */
enum retry_mark {
	RETRY_MARK_ABSENT, /* no record of this message */
	RETRY_MARK_PRESENT, /* it may have records: read the store */
	RETRY_MARK_UNKNOWN /* no marker possible: read the store */
};

/* The handle of retry.h. */
struct retry_db {
	char *dir; /* state_dir (owned) */
	struct state_db *db; /* the store, NULL until first needed */
	int lock_fd; /* retry.lock, -1 until first needed */
	struct sbuf key; /* scratch key */
	struct sbuf val; /* scratch value */
	char seen[RETRY_MARK_NAME_MAX + 1]; /* marker last looked at */
	enum retry_mark seen_mark; /* and what it said */
	struct timespec seen_mtime; /* when that marker was made */
	bool seen_made; /* made by this handle */
};

/* Open the store if not yet open (retry.c). Returns: SD_OK, SD_TEMP. */
enum sd_status retry_store(struct retry_db *r, struct why *why);

/*
 * state_dir/SUB, state_dir/SUB/XX (shard >= 0) or state_dir/SUB/XX/NAME
 * into buf (RETRY_PATH_MAX bytes). False when too long.
 */
bool retry_mark_path(const struct retry_db *r, char *buf, const char *sub,
    int shard, const char *name);

/*
 * The marker name of m into name (RETRY_MARK_NAME_MAX + 1 bytes) and
 * its shard. False when the queue id is too long for one.
 */
bool retry_mark_name(const struct retry_msg *m, char *name, unsigned *shard);

/*
 * Make sure retry.d exists, building it from the store when it does
 * not. Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_mark_ready(struct retry_db *r, struct why *why);

/* Whether m has a marker (remembered for the next call with the same m). */
enum retry_mark retry_mark_check(struct retry_db *r, const struct retry_msg *m);

/*
 * Take (LOCK_SH, LOCK_EX, with LOCK_NB or not) or drop (LOCK_UN) the
 * lock. Returns false with why set on failure (EWOULDBLOCK in errno
 * when LOCK_NB found it taken).
 */
bool retry_mark_lock(struct retry_db *r, int op, struct why *why);

/*
 * Create m's marker durably, with the shared lock held.
 * Returns: SD_OK (also when there is none to make), SD_TEMP.
 */
enum sd_status retry_mark_touch(
    struct retry_db *r, const struct retry_msg *m, struct why *why);

/*
 * Remove the markers of shard that no record in the store needs any
 * more, at most RETRY_PRUNE_BATCH of them; nothing when a writer holds
 * the lock. The markers of messages whose records were lost stay until
 * max_age seconds before now. The store must be open.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_mark_prune(struct retry_db *r, unsigned shard, time_t now,
    unsigned long max_age, struct why *why);

/* retry_lost.c: records lost with a damaged store. */

/* When records were last lost (retry.lost); false when never. */
bool retry_lost_since(const struct retry_db *r, struct timespec *at);

/* Whether a is no later than b. */
bool retry_lost_before(const struct timespec *a, const struct timespec *b);

/*
 * After the store was opened or rebuilt: when a damaged file was moved
 * aside, stamp retry.lost and log the loss at error level.
 * Returns: SD_OK, SD_TEMP (the loss could not be stamped; why set).
 */
enum sd_status retry_lost_note(struct retry_db *r, struct why *why);

/* After a failure: move a store found damaged aside, start a new one. */
void retry_lost_rebuild(struct retry_db *r);

/*
 * For m, whose marker was just looked at, with the store open: whether
 * its records were lost with a damaged store.
 * Returns: SD_OK (not lost), SD_TEMP (lost or cannot tell; why set).
 */
enum sd_status retry_lost_check(
    struct retry_db *r, const struct retry_msg *m, struct why *why);

#endif
