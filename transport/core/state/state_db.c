/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The LMDB wrapper: open, validate, rebuild, and the one call dispatcher. */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "msg.h"
#include "state_int.h"
#include "xalloc.h"

#define STATE_META_TABLE "smtpdirect-state" /* holds the format record */
#define STATE_META_KEY "format" /* its key */
#define STATE_FILE_MODE 0600 /* the store file */

/* An open store. */
struct state_db {
	char *dir; /* state_dir */
	char *path; /* dir/file */
	char *lockpath; /* LMDB's dir/file-lock */
	char *format; /* owner and version string */
	char **tables; /* table names */
	size_t tables_n; /* how many */
	size_t map_size; /* bytes */
	bool durable; /* fsync on commit */
	bool keep; /* move a bad file aside, never delete it */
	char *moved; /* where the last establish moved a bad file, or NULL */
	struct timespec moved_at; /* and when */
	MDB_env *env; /* NULL when not attached */
	MDB_dbi dbi[STATE_TABLES_MAX + 1]; /* tables, then the format table */
	dev_t dev; /* identity of the file attached */
	ino_t ino;
	atomic_bool damaged; /* a fault or a corruption code was seen */
	_Atomic(MDB_txn *) spare; /* a reset read transaction to reuse */
};

/* Internal operations beyond those of struct state_call. */
enum state_mop {
	STATE_MOP_CALL, /* run the struct state_call */
	STATE_MOP_ENV_OPEN, /* mdb_env_open */
	STATE_MOP_ENV_CLOSE, /* mdb_env_close */
	STATE_MOP_DBI_OPEN, /* mdb_dbi_open of name (NULL: main) */
	STATE_MOP_MAIN_COUNT /* entries of the main table */
};

/* One guarded piece of work. */
struct state_mwork {
	enum state_mop mop; /* what */
	struct state_db *db; /* the store */
	struct state_call *c; /* for STATE_MOP_CALL; also txn and results */
	const char *name; /* DBI_OPEN name */
	unsigned flags; /* DBI_OPEN / ENV_OPEN flags */
	MDB_dbi dbi; /* DBI_OPEN result */
};

/* state_copy_out - copy a record read from the map into caller sbufs */
static int
state_copy_out(const struct state_call *c, const MDB_val *k, const MDB_val *v)
{
	if (k->mv_size > STATE_KEY_MAX || v->mv_size > STATE_VALUE_MAX)
		return MDB_CORRUPTED;
	if (c->okey != NULL) {
		sbuf_reset(c->okey);
		sbuf_append(c->okey, k->mv_data, k->mv_size);
	}
	if (c->oval != NULL) {
		sbuf_reset(c->oval);
		sbuf_append(c->oval, v->mv_data, v->mv_size);
	}
	return 0;
}

/* state_begin - begin or renew a transaction */
static int
state_begin(struct state_db *db, struct state_call *c)
{
	MDB_txn *txn = NULL;
	int rc = 0, tries;

	for (tries = 0;; tries++) {
		if (!c->write)
			txn = atomic_exchange(&db->spare, NULL);
		if (txn != NULL && (rc = mdb_txn_renew(txn)) != 0)
			mdb_txn_abort(txn);
		if (txn == NULL || rc != 0)
			rc = mdb_txn_begin(
			    db->env, NULL, c->write ? 0 : MDB_RDONLY, &txn);
		/* Another process grew the file past our map: adopt it. */
		if (rc != MDB_MAP_RESIZED || tries > 0)
			break;
		mdb_env_set_mapsize(db->env, 0);
		txn = NULL;
	}
	c->txn = rc == 0 ? txn : NULL;
	return rc;
}

/* state_reset - end a read transaction, keeping it for reuse */
static int
state_reset(struct state_db *db, MDB_txn *txn)
{
	MDB_txn *none = NULL;

	mdb_txn_reset(txn);
	if (!atomic_compare_exchange_strong(&db->spare, &none, txn))
		mdb_txn_abort(txn);
	return 0;
}

/* LMDB's names of the cursor moves, indexed by enum state_move. */
static const MDB_cursor_op state_moves[] = {MDB_FIRST, MDB_LAST, MDB_NEXT};

/* state_run_call - carry out a struct state_call */
static int
state_run_call(struct state_db *db, struct state_call *c)
{
	MDB_val k = {c->klen, (void *)c->key}, v = {c->vlen, (void *)c->val};
	MDB_dbi dbi = db->dbi[c->table];
	MDB_stat st;
	int rc;

	switch (c->op) {
	case STATE_OP_BEGIN:
		return state_begin(db, c);
	case STATE_OP_COMMIT:
		return mdb_txn_commit(c->txn);
	case STATE_OP_ABORT:
		mdb_txn_abort(c->txn);
		return 0;
	case STATE_OP_RESET:
		return state_reset(db, c->txn);
	case STATE_OP_GET:
		rc = mdb_get(c->txn, dbi, &k, &v);
		return rc != 0 ? rc : state_copy_out(c, &k, &v);
	case STATE_OP_PUT:
		return mdb_put(c->txn, dbi, &k, &v, 0);
	case STATE_OP_DEL:
		return mdb_del(c->txn, dbi, &k, NULL);
	case STATE_OP_COUNT:
		rc = mdb_stat(c->txn, dbi, &st);
		c->count = rc == 0 ? st.ms_entries : 0;
		return rc;
	case STATE_OP_CUR_OPEN:
		return mdb_cursor_open(c->txn, dbi, (MDB_cursor **)&c->cur);
	case STATE_OP_CUR_GET:
	case STATE_OP_CUR_SEEK:
		rc = mdb_cursor_get(c->cur, &k, &v,
		    c->op == STATE_OP_CUR_SEEK ? MDB_SET_RANGE
		                               : state_moves[c->move]);
		return rc != 0 ? rc : state_copy_out(c, &k, &v);
	case STATE_OP_CUR_DEL:
		return mdb_cursor_del(c->cur, 0);
	case STATE_OP_CUR_CLOSE:
		mdb_cursor_close(c->cur);
		return 0;
	}
	return EINVAL;
}

/* state_mwork_run - the one function that calls LMDB (under the guard) */
static int
state_mwork_run(void *arg)
{
	struct state_mwork *w = arg;
	MDB_stat st;
	int rc;

	switch (w->mop) {
	case STATE_MOP_CALL:
		return state_run_call(w->db, w->c);
	case STATE_MOP_ENV_OPEN:
		return mdb_env_open(
		    w->db->env, w->db->path, w->flags, STATE_FILE_MODE);
	case STATE_MOP_ENV_CLOSE:
		mdb_env_close(w->db->env);
		return 0;
	case STATE_MOP_DBI_OPEN:
		return mdb_dbi_open(w->c->txn, w->name, w->flags, &w->dbi);
	case STATE_MOP_MAIN_COUNT:
		if ((rc = mdb_dbi_open(w->c->txn, NULL, 0, &w->dbi)) != 0 ||
		    (rc = mdb_stat(w->c->txn, w->dbi, &st)) != 0)
			return rc;
		w->c->count = st.ms_entries;
		return 0;
	}
	return EINVAL;
}

/* state_is_damage - true for results that mean the file is bad */
static bool
state_is_damage(int rc)
{
	switch (rc) {
	case STATE_GUARD_FAULT:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
	case MDB_BAD_TXN:
		return true;
	default:
		return false;
	}
}

/* state_mwork - run work under the guard, noting damage */
static int
state_mwork(struct state_mwork *w)
{
	int rc = state_guard_run(state_mwork_run, w);

	if (state_is_damage(rc))
		w->db->damaged = true;
	return rc;
}

/* state_call - run a described call; after damage only cleanup runs */
int
state_call(struct state_db *db, struct state_call *c)
{
	struct state_mwork w = {.mop = STATE_MOP_CALL, .db = db, .c = c};
	bool cleanup = c->op == STATE_OP_ABORT || c->op == STATE_OP_CUR_CLOSE;

	if (db->damaged && !cleanup)
		return MDB_PANIC;
	if (db->damaged && c->op == STATE_OP_ABORT)
		return state_guard_run(state_mwork_run, &w);
	return state_mwork(&w);
}

/* state_result - map a result to a status and a reason */
enum state_status
state_result(struct state_db *db, int rc, const char *what, struct why *why)
{
	switch (rc) {
	case 0:
		return STATE_OK;
	case MDB_NOTFOUND:
		return STATE_NOTFOUND;
	case MDB_MAP_FULL:
		why_set(why, "4.3.0", "%s: %s: file is full", db->path, what);
		return STATE_FULL;
	case STATE_GUARD_FAULT:
		why_set(why, "4.3.0", "%s: %s: damaged file (memory fault)",
		    db->path, what);
		return STATE_FAIL;
	default:
		why_set(why, "4.3.0", "%s: %s: %s%s", db->path, what,
		    mdb_strerror(rc), state_is_damage(rc) ? " (damaged)" : "");
		return STATE_FAIL;
	}
}

/* state_db_tables_n - caller tables */
size_t
state_db_tables_n(const struct state_db *db)
{
	return db->tables_n;
}

/* state_db_usable - attached and not known damaged */
bool
state_db_usable(const struct state_db *db, struct why *why)
{
	if (db->env != NULL && !db->damaged)
		return true;
	why_set(why, "4.3.0", "%s: damaged and not rebuilt", db->path);
	return false;
}

/* state_env_close - close the environment (LMDB frees, unmaps) */
static void
state_env_close(struct state_db *db)
{
	struct state_call c = {.op = STATE_OP_ABORT};
	struct state_mwork w = {.mop = STATE_MOP_CALL, .db = db, .c = &c};

	if (db->env == NULL)
		return;
	if ((c.txn = atomic_exchange(&db->spare, NULL)) != NULL)
		(void)state_guard_run(state_mwork_run, &w);
	w.mop = STATE_MOP_ENV_CLOSE;
	(void)state_guard_run(state_mwork_run, &w);
	db->env = NULL;
}

/* state_dbi_open - open one named table in the transaction of c */
static int
state_dbi_open(struct state_db *db, struct state_call *c, const char *name,
    unsigned flags, MDB_dbi *out)
{
	struct state_mwork w = {.mop = STATE_MOP_DBI_OPEN, .db = db, .c = c};
	int rc;

	w.name = name;
	w.flags = flags;
	rc = state_mwork(&w);
	*out = w.dbi;
	/* A plain record where a table should be: not our file. */
	return rc == MDB_NOTFOUND && flags == 0 ? MDB_NOTFOUND : rc;
}

/* state_tables_check - open the tables and check the format record */
static int
state_tables_check(struct state_db *db, struct state_call *c)
{
	MDB_dbi *meta = &db->dbi[db->tables_n];
	struct sbuf val;
	size_t i;
	int rc;

	if ((rc = state_dbi_open(db, c, STATE_META_TABLE, 0, meta)) != 0)
		return rc;
	sbuf_init(&val);
	c->op = STATE_OP_GET;
	c->table = (unsigned)db->tables_n;
	c->key = STATE_META_KEY;
	c->klen = strlen(STATE_META_KEY);
	c->oval = &val;
	rc = state_call(db, c);
	if (rc == 0 && strcmp(sbuf_str(&val), db->format) != 0)
		rc = MDB_INCOMPATIBLE;
	sbuf_fini(&val);
	c->oval = NULL;
	for (i = 0; rc == 0 && i < db->tables_n; i++)
		rc = state_dbi_open(db, c, db->tables[i], 0, &db->dbi[i]);
	/* The format table exists: anything missing means foreign. */
	return rc == MDB_NOTFOUND ? MDB_INCOMPATIBLE : rc;
}

/* state_tables_create - set up the tables of an empty file */
static int
state_tables_create(struct state_db *db, struct state_call *c)
{
	struct state_mwork w = {.mop = STATE_MOP_MAIN_COUNT, .db = db, .c = c};
	size_t i;
	int rc;

	/* A file with records we did not write belongs to someone else. */
	if ((rc = state_mwork(&w)) != 0)
		return rc;
	if (c->count != 0)
		return MDB_INCOMPATIBLE;
	for (i = 0; i <= db->tables_n; i++) {
		rc = state_dbi_open(db, c,
		    i < db->tables_n ? db->tables[i] : STATE_META_TABLE,
		    MDB_CREATE, &db->dbi[i]);
		if (rc != 0)
			return rc;
	}
	c->op = STATE_OP_PUT;
	c->table = (unsigned)db->tables_n;
	c->key = STATE_META_KEY;
	c->klen = strlen(STATE_META_KEY);
	c->val = db->format;
	c->vlen = strlen(db->format);
	return state_call(db, c);
}

/* state_tables_open - check the tables, creating them in a new file */
static int
state_tables_open(struct state_db *db)
{
	struct state_call c = {.op = STATE_OP_BEGIN};
	int rc, rc2, pass;

	/* Pass 0 reads; a file without the format table is new, unless
	 * another process sets it up right now: the write lock of pass 1
	 * settles that. */
	for (pass = 0; pass < 2; pass++) {
		c.op = STATE_OP_BEGIN;
		c.write = pass == 1;
		if ((rc = state_call(db, &c)) != 0)
			return rc;
		rc = state_tables_check(db, &c);
		if (rc == MDB_NOTFOUND && pass == 1)
			rc = state_tables_create(db, &c);
		c.op = rc == 0 ? STATE_OP_COMMIT : STATE_OP_ABORT;
		rc2 = state_call(db, &c);
		if (rc != MDB_NOTFOUND)
			return rc != 0 ? rc : rc2;
	}
	return rc;
}

/* Outcome of one attempt to attach the file. */
enum state_attach {
	STATE_ATTACH_OK, /* usable */
	STATE_ATTACH_BAD, /* damaged or foreign: discard it */
	STATE_ATTACH_FAIL /* cannot open now (permissions, space...) */
};

/* state_env_check - open the environment and compare sizes */
static int
state_env_check(struct state_db *db)
{
	struct state_mwork w = {.mop = STATE_MOP_ENV_OPEN, .db = db};
	MDB_envinfo info;
	MDB_stat st;
	struct stat sb;
	int rc, fd;

	/* LMDB takes an empty file for a new one: records lost unseen. */
	if (db->keep && stat(db->path, &sb) == 0 && sb.st_size == 0)
		return MDB_INVALID;
	mdb_env_set_maxdbs(db->env, (MDB_dbi)db->tables_n + 1);
	mdb_env_set_mapsize(db->env, db->map_size);
	w.flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD |
	    (db->durable ? 0 : MDB_NOSYNC);
	if ((rc = state_mwork(&w)) != 0)
		return rc;
	if (mdb_env_get_fd(db->env, &fd) != 0 || fstat(fd, &sb) != 0 ||
	    mdb_env_info(db->env, &info) != 0 ||
	    mdb_env_stat(db->env, &st) != 0)
		return EIO;
	/* LMDB does not notice a truncated file until it reads past the
	 * end (SIGBUS): compare the size with the last page in use. */
	if ((off_t)((info.me_last_pgno + 1) * (size_t)st.ms_psize) > sb.st_size)
		return MDB_CORRUPTED;
	db->dev = sb.st_dev;
	db->ino = sb.st_ino;
	return 0;
}

/* state_db_attach - open the file as it is now and validate it */
static enum state_attach
state_db_attach(struct state_db *db, struct why *why)
{
	int rc, dead;

	db->damaged = false;
	if ((rc = mdb_env_create(&db->env)) != 0) {
		why_set(why, "4.3.0", "%s: %s", db->path, mdb_strerror(rc));
		db->env = NULL;
		return STATE_ATTACH_FAIL;
	}
	if ((rc = state_env_check(db)) == 0)
		rc = state_tables_open(db);
	if (rc == 0) {
		(void)mdb_reader_check(db->env, &dead);
		return STATE_ATTACH_OK;
	}
	state_result(db, rc, "open", why);
	state_env_close(db);
	db->damaged = false;
	/* EINVAL is LMDB's answer to some broken headers. */
	return state_is_damage(rc) || rc == EINVAL ? STATE_ATTACH_BAD
	                                           : STATE_ATTACH_FAIL;
}

/*
 * state_db_bad - end the bad file in place: moved aside (keep) or
 * removed. False with why set when it could not be moved aside.
 */
static bool
state_db_bad(struct state_db *db, struct why *why)
{
	if (!db->keep) {
		state_file_discard(db->path, db->lockpath);
		return true;
	}
	free(db->moved);
	db->moved = NULL;
	return state_file_keep(
	    db->dir, db->path, db->lockpath, &db->moved, &db->moved_at, why);
}

/*
 * state_db_establish - attach the file, rebuilding it when bad. A shared
 * lock on state_dir covers the open; discarding needs the exclusive
 * lock and a fresh look under it, since another process may have
 * rebuilt the file meanwhile. With ours_bad, the file we had attached
 * (dev, ino) is known bad: discard it if it is still in place.
 */
static enum state_status
state_db_establish(struct state_db *db, bool ours_bad, struct why *why)
{
	enum state_attach a = STATE_ATTACH_BAD;
	struct stat sb;
	int fd, tries;

	free(db->moved);
	db->moved = NULL;
	if (!ours_bad) {
		if ((fd = state_file_lock(db->dir, LOCK_SH, why)) < 0)
			return STATE_FAIL;
		a = state_db_attach(db, why);
		close(fd);
		if (a != STATE_ATTACH_BAD)
			return a == STATE_ATTACH_OK ? STATE_OK : STATE_FAIL;
	}
	if ((fd = state_file_lock(db->dir, LOCK_EX, why)) < 0)
		return STATE_FAIL;
	if (ours_bad && stat(db->path, &sb) == 0 && sb.st_dev == db->dev &&
	    sb.st_ino == db->ino && !state_db_bad(db, why))
		a = STATE_ATTACH_FAIL;
	for (tries = 0; tries < 2 && a != STATE_ATTACH_FAIL; tries++) {
		a = state_db_attach(db, why);
		if (a != STATE_ATTACH_BAD)
			break;
		if (!state_db_bad(db, why))
			a = STATE_ATTACH_FAIL;
	}
	close(fd);
	return a == STATE_ATTACH_OK ? STATE_OK : STATE_FAIL;
}

/* state_db_open - open or create a store */
enum state_status
state_db_open(const char *dir, const char *file, const struct state_opts *opts,
    struct state_db **out, struct why *why)
{
	struct state_db *db;
	struct sbuf sb;
	size_t i;

	*out = NULL;
	if (opts->tables_n == 0 || opts->tables_n > STATE_TABLES_MAX ||
	    opts->tables == NULL || opts->format == NULL ||
	    strlen(opts->format) > STATE_FORMAT_MAX ||
	    strchr(file, '/') != NULL || *file == '\0' || *dir == '\0')
		msg_panic("%s: bad arguments for %s", __func__, file);
	db = xcalloc(1, sizeof(*db));
	db->dir = xstrdup(dir);
	sbuf_init(&sb);
	sbuf_printf(&sb, "%s/%s", dir, file);
	db->path = xstrdup(sbuf_str(&sb));
	sbuf_puts(&sb, "-lock");
	db->lockpath = sbuf_export(&sb);
	sbuf_fini(&sb);
	db->format = xstrdup(opts->format);
	db->tables = xcalloc(opts->tables_n, sizeof(*db->tables));
	for (i = 0; i < opts->tables_n; i++)
		db->tables[i] = xstrdup(opts->tables[i]);
	db->tables_n = opts->tables_n;
	db->map_size = opts->map_size;
	db->durable = opts->durable;
	db->keep = opts->keep_damaged;
	atomic_init(&db->spare, NULL);
	if (state_db_establish(db, false, why) != STATE_OK) {
		state_db_close(db);
		return STATE_FAIL;
	}
	*out = db;
	return STATE_OK;
}

/* state_db_close - close and free */
void
state_db_close(struct state_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	state_env_close(db);
	for (i = 0; i < db->tables_n; i++)
		free(db->tables[i]);
	free(db->tables);
	free(db->format);
	free(db->moved);
	free(db->lockpath);
	free(db->path);
	free(db->dir);
	free(db);
}

/* state_db_damaged - has the file been found damaged? */
bool
state_db_damaged(const struct state_db *db)
{
	return db->damaged || db->env == NULL;
}

/* state_db_rebuild - discard the damaged file and start again */
enum state_status
state_db_rebuild(struct state_db *db, struct why *why)
{
	state_env_close(db);
	return state_db_establish(db, true, why);
}

/* state_db_moved - where the last open or rebuild moved a bad file */
const char *
state_db_moved(const struct state_db *db, struct timespec *at)
{
	if (db->moved != NULL)
		*at = db->moved_at;
	return db->moved;
}

/* state_db_replaced - is the file at the path another one now? */
bool
state_db_replaced(const struct state_db *db)
{
	struct stat sb;

	if (stat(db->path, &sb) != 0)
		return errno == ENOENT;
	return db->env != NULL &&
	    (sb.st_dev != db->dev || sb.st_ino != db->ino);
}

/* state_db_path - the file name */
const char *
state_db_path(const struct state_db *db)
{
	return db->path;
}

/* state_library - the LMDB in use */
const char *
state_library(void)
{
	static char name[32];
	int major, minor, patch;

	if (name[0] == '\0') {
		mdb_version(&major, &minor, &patch);
		snprintf(
		    name, sizeof(name), "LMDB %d.%d.%d", major, minor, patch);
	}
	return name;
}
