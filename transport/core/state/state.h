/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	state - a small shared key/value store on LMDB, in state_dir
 * DESCRIPTION
 *	One store is one LMDB file in state_dir (the DNS cache, later the
 *	retry state), shared by every smtpdirect process on the host. Keys
 *	and values are byte strings kept in named tables (LMDB named
 *	sub-databases) fixed at open time. A store carries a format string;
 *	a file without the right one, or one LMDB refuses, is foreign or
 *	damaged: it is discarded (a cache) or moved aside as
 *	FILE.damaged.SECONDS (durable state, opts.keep_damaged: never
 *	deleted, never over another file) and rebuilt empty, under an
 *	exclusive lock on state_dir, so concurrent processes never rebuild
 *	each other's fresh file. A zero-length file is damaged too for a
 *	keep_damaged store: LMDB would silently take it for a new one. Faults that slip past LMDB's own checks (garbled pages
 *	make it read out of bounds) are caught by a SIGSEGV/SIGBUS guard
 *	around every LMDB call and reported as STATE_FAIL, after which the
 *	store must be rebuilt. This file is the only place MDB_* appears.
 * OWNERSHIP
 *	state_db_open() allocates; state_db_close() releases. Transactions
 *	and cursors belong to their store and end with commit/abort/close.
 *	Keys and values read are copied into caller sbufs.
 * THREADS
 *	LMDB allows one handle per file per process, so a store may be
 *	shared by threads: each transaction (and its cursors) is used by
 *	one thread; read transactions may run concurrently; write
 *	transactions serialise inside LMDB. state_db_rebuild() and
 *	state_db_close() need every transaction of the store ended.
 * ERRORS
 *	STATE_OK; STATE_NOTFOUND (no such key, or no more keys);
 *	STATE_FULL (the map is full: delete something and retry);
 *	STATE_FAIL (the store cannot be used now: local, temporary; the
 *	reason is in why; callers carry on without the store, and may
 *	call state_db_rebuild() when state_db_damaged() says so; a
 *	keep_damaged store whose bad file cannot be moved aside stays
 *	STATE_FAIL).
 * SEE ALSO
 *	lmdb.h, dns_cache.c, SPEC section 5.
 */
#ifndef SMTPDIRECT_STATE_H
#define SMTPDIRECT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sbuf.h"
#include "why.h"

#define STATE_TABLES_MAX 8 /* named tables a store may have */
#define STATE_KEY_MAX 511 /* longest key in bytes (LMDB's limit) */
#define STATE_VALUE_MAX (1024 * 1024) /* longest value accepted on read */
#define STATE_FORMAT_MAX 128 /* longest format string */

/* Results. */
enum state_status {
	STATE_OK = 0, /* done */
	STATE_NOTFOUND, /* no such key, or the cursor is at the end */
	STATE_FULL, /* the file reached its map size */
	STATE_FAIL /* cannot use the store; see why */
};

/* Where a cursor moves. */
enum state_move {
	STATE_FIRST, /* the smallest key */
	STATE_LAST, /* the largest key */
	STATE_NEXT /* the key after the current one */
};

/* How to open a store. */
struct state_opts {
	const char *format; /* owner and version, e.g. "smtpdirect-dns 1" */
	const char *const *tables; /* names of the tables, [0..tables_n) */
	size_t tables_n; /* 1..STATE_TABLES_MAX */
	size_t map_size; /* largest file size in bytes */
	bool durable; /* fsync every commit (retry state); not for caches */
	bool keep_damaged; /* move a bad file aside, never delete it */
};

struct state_db;
struct state_txn;
struct state_cursor;

/*
 * Open (creating, or rebuilding when damaged or foreign) the store
 * dir/file. dir is created (one level) when missing. *out is set to NULL
 * on failure.
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_db_open(const char *dir, const char *file,
    const struct state_opts *opts, struct state_db **out, struct why *why);

/* Close the store; NULL is ignored. */
void state_db_close(struct state_db *db);

/* True when an operation found the file damaged; rebuild it then. */
bool state_db_damaged(const struct state_db *db);

/*
 * Discard the file and start an empty one (unless another process did
 * so meanwhile, then use its file).
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_db_rebuild(struct state_db *db, struct why *why);

/*
 * The name a bad file was moved to by the last state_db_open() or
 * state_db_rebuild() of db (keep_damaged stores), and in *at the time
 * just before the move; NULL when that call moved nothing. Borrowed,
 * valid until the next rebuild or the close.
 */
const char *state_db_moved(const struct state_db *db, struct timespec *at);

/*
 * True when the file at the store's path is no longer the one db has
 * open (another process moved it aside): close db and open it again.
 */
bool state_db_replaced(const struct state_db *db);

/* The LMDB in use, as "LMDB 0.9.24". */
const char *state_library(void);

/* The path of the store's file; borrowed. */
const char *state_db_path(const struct state_db *db);

/*
 * Begin a transaction; write transactions wait for other writers.
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_txn_begin(
    struct state_db *db, bool write, struct state_txn **out, struct why *why);

/*
 * Commit and end the transaction (for a read transaction, just end it).
 * Returns: STATE_OK, STATE_FULL, STATE_FAIL.
 */
enum state_status state_txn_commit(struct state_txn *txn, struct why *why);

/* Abandon and end the transaction; NULL is ignored. */
void state_txn_abort(struct state_txn *txn);

/*
 * Copy the value of key in table (an index into opts.tables) into val
 * (replacing its content).
 * Returns: STATE_OK, STATE_NOTFOUND, STATE_FAIL.
 */
enum state_status state_get(struct state_txn *txn, unsigned table,
    const void *key, size_t klen, struct sbuf *val, struct why *why);

/*
 * Store key = val in a write transaction, replacing any old value.
 * Returns: STATE_OK, STATE_FULL, STATE_FAIL.
 */
enum state_status state_put(struct state_txn *txn, unsigned table,
    const void *key, size_t klen, const void *val, size_t vlen,
    struct why *why);

/*
 * Delete key in a write transaction.
 * Returns: STATE_OK, STATE_NOTFOUND, STATE_FAIL.
 */
enum state_status state_del(struct state_txn *txn, unsigned table,
    const void *key, size_t klen, struct why *why);

/*
 * Number of keys in table.
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_count(
    struct state_txn *txn, unsigned table, size_t *n, struct why *why);

/*
 * Open a cursor on table; it ends with state_cursor_close(), before its
 * transaction ends.
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_cursor_open(struct state_txn *txn, unsigned table,
    struct state_cursor **out, struct why *why);

/*
 * Move the cursor and copy the key and value there (either sbuf may be
 * NULL). Keys are in byte order.
 * Returns: STATE_OK, STATE_NOTFOUND, STATE_FAIL.
 */
enum state_status state_cursor_get(struct state_cursor *cur,
    enum state_move move, struct sbuf *key, struct sbuf *val, struct why *why);

/*
 * Move the cursor to the first key not below key (byte order) and copy
 * the key and value there (either sbuf may be NULL).
 * Returns: STATE_OK, STATE_NOTFOUND (every key is below), STATE_FAIL.
 */
enum state_status state_cursor_seek(struct state_cursor *cur, const void *key,
    size_t klen, struct sbuf *okey, struct sbuf *val, struct why *why);

/*
 * Delete the record under the cursor (write transactions).
 * Returns: STATE_OK, STATE_FAIL.
 */
enum state_status state_cursor_del(struct state_cursor *cur, struct why *why);

/* Close a cursor; NULL is ignored. */
void state_cursor_close(struct state_cursor *cur);

#endif
