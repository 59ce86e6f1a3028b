/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	retry - per-message, per-recipient attempt memory
 * DESCRIPTION
 *	For each (queue id, message fingerprint, recipient) the store
 *	remembers how many earlier attempts ended in a temporary failure
 *	(the $retries of the override map) and whether the recipient was
 *	delivered, so that a retried message is never delivered twice to
 *	the same recipient. The fingerprint (a hash of the header block)
 *	is part of the key because Postfix reuses short queue ids: a new
 *	message that inherits an old id never inherits its count or its
 *	delivered marks. Records older than a maximum age are pruned.
 *	The store is a durable state.h store "retry.lmdb" in state_dir.
 * OWNERSHIP
 *	retry_open() allocates; retry_close() releases.
 * THREADS
 *	Not thread-safe: one handle per process.
 * ERRORS
 *	SD_OK; SD_TEMP (the store cannot be used: local, temporary, the
 *	reason is in why with 4.3.0; deliver defers rather than risk a
 *	duplicate).
 * SEE ALSO
 *	state.h; SPEC section 2 (deliver, -q, -r).
 */
#ifndef SMTPDIRECT_RETRY_H
#define SMTPDIRECT_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "why.h"

#define RETRY_FILE "retry.lmdb" /* store file in state_dir */
#define RETRY_MAP_SIZE (256UL * 1024 * 1024) /* largest store file */
#define RETRY_PRUNE_BATCH 10000 /* records examined per prune */
#define RETRY_PRUNE_ODDS 64 /* deliver prunes on one run in this many */

/* What is remembered of one recipient of one message. */
struct retry_rec {
	unsigned long temp_failures; /* attempts that ended temporarily */
	bool delivered; /* accepted by a server already */
	time_t first; /* first attempt, seconds since epoch */
	time_t last; /* last update */
};

/* The key of one message: its queue id and fingerprint. */
struct retry_msg {
	const char *queue_id; /* the MTA's queue id (borrowed) */
	const char *fingerprint; /* hex hash of the header block (borrowed) */
};

struct retry_db;

/*
 * Open (or create) the store in state_dir.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_open(
    const char *state_dir, struct retry_db **out, struct why *why);

/* Close the store; NULL is ignored. */
void retry_close(struct retry_db *db);

/*
 * Read the record of rcpt; a recipient never seen gives a zeroed record.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_get(struct retry_db *db, const struct retry_msg *m,
    const char *rcpt, struct retry_rec *out, struct why *why);

/*
 * Record that rcpt was delivered (durable before returning).
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_mark_delivered(struct retry_db *db,
    const struct retry_msg *m, const char *rcpt, time_t now, struct why *why);

/*
 * Count one more temporarily failed attempt for rcpt.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_note_temp(struct retry_db *db, const struct retry_msg *m,
    const char *rcpt, time_t now, struct why *why);

/*
 * Delete records last updated more than max_age seconds before now,
 * examining at most RETRY_PRUNE_BATCH records, from a random key on
 * and round from the first one (so every record is reached in time).
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status retry_prune(
    struct retry_db *db, time_t now, unsigned long max_age, struct why *why);

#endif
