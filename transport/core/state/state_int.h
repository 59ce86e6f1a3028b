/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	state_int - private declarations of the state module
 * DESCRIPTION
 *	state_db.c alone talks to LMDB. It does so through one dispatcher,
 *	state_call(), that runs a described call (struct state_call) under
 *	the fault guard: LMDB trusts the pages it maps, so a garbled file
 *	can make it read out of bounds (SIGSEGV) or past the end of a
 *	truncated file (SIGBUS). state_guard_run() (state_guard.c) runs a
 *	function with a handler armed for this thread that jumps back and
 *	reports STATE_GUARD_FAULT instead. state_txn.c builds the public
 *	transaction and record functions on state_call(). state_file.c
 *	holds state_dir's lock and ends a bad file: deleted for a cache,
 *	moved aside for durable state.
 * OWNERSHIP
 *	Described calls borrow their buffers; read results are copied into
 *	the sbufs named in the call.
 * THREADS
 *	As state.h. The guard's jump target is per thread.
 * ERRORS
 *	state_call() returns 0, an errno value, an LMDB code or
 *	STATE_GUARD_FAULT; state_result() maps them to enum state_status.
 * SEE ALSO
 *	state.h, lmdb.h, sigaction(2), siglongjmp(3).
 */
#ifndef SMTPDIRECT_STATE_INT_H
#define SMTPDIRECT_STATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sbuf.h"
#include "state.h"
#include "why.h"

#define STATE_GUARD_FAULT (-1) /* not an errno nor an LMDB code */
#define STATE_PATH_MAX 4096 /* longest path of a file moved aside */

/* A guarded function: returns 0, an errno value or an LMDB code. */
typedef int (*state_guard_fn)(void *arg);

/* What a described call does. */
enum state_op {
	STATE_OP_BEGIN, /* start a transaction (write or read) */
	STATE_OP_COMMIT, /* commit (write) */
	STATE_OP_ABORT, /* abandon and free */
	STATE_OP_RESET, /* end a read transaction, keeping it as spare */
	STATE_OP_GET, /* copy the value of key */
	STATE_OP_PUT, /* store key = value */
	STATE_OP_DEL, /* delete key */
	STATE_OP_COUNT, /* count keys */
	STATE_OP_CUR_OPEN, /* open a cursor */
	STATE_OP_CUR_GET, /* move a cursor and copy the record */
	STATE_OP_CUR_SEEK, /* to the first key not below key; copy it */
	STATE_OP_CUR_DEL, /* delete the record under the cursor */
	STATE_OP_CUR_CLOSE /* close a cursor */
};

/* A described call into LMDB. */
struct state_call {
	enum state_op op; /* what to do */
	bool write; /* BEGIN: a write transaction */
	void *txn; /* the LMDB transaction (out for BEGIN) */
	unsigned table; /* index into the store's tables */
	void *cur; /* the LMDB cursor (out for CUR_OPEN) */
	enum state_move move; /* CUR_GET */
	const void *key; /* GET, PUT, DEL */
	size_t klen;
	const void *val; /* PUT */
	size_t vlen;
	struct sbuf *okey, *oval; /* copies of what was read, or NULL */
	size_t count; /* COUNT result */
};

/* Run a described call for db (in state_db.c). */
int state_call(struct state_db *db, struct state_call *c);

/* Map a state_call() result to a status, with a reason naming what. */
enum state_status state_result(
    struct state_db *db, int rc, const char *what, struct why *why);

/* Number of caller tables of the store. */
size_t state_db_tables_n(const struct state_db *db);

/* True when the store is attached and not known to be damaged. */
bool state_db_usable(const struct state_db *db, struct why *why);

/*
 * Run fn(arg) with SIGSEGV and SIGBUS turned into a return of
 * STATE_GUARD_FAULT. Faults outside a guarded call keep their old
 * action. Returns: what fn returned, or STATE_GUARD_FAULT.
 */
int state_guard_run(state_guard_fn fn, void *arg);

/* state_file.c: the file in state_dir. */

/* Open dir (made when missing) and flock() it; -1 with why set. */
int state_file_lock(const char *dir, int how, struct why *why);

/* Remove a bad file and LMDB's lock file, with a warning (caches). */
void state_file_discard(const char *path, const char *lockpath);

/*
 * Move a bad file aside as PATH.damaged.SECONDS, never over another
 * file, and remove LMDB's lock file. *moved (free() it) and *at (the
 * time just before the move) are set on success.
 * Returns: true, or false with why set when the file could not be moved.
 */
bool state_file_keep(const char *dir, const char *path, const char *lockpath,
    char **moved, struct timespec *at, struct why *why);

#endif
