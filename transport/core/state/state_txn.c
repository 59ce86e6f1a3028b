/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Transactions, records and cursors of the state store. */

#include <stdlib.h>

#include "msg.h"
#include "state_int.h"
#include "xalloc.h"

/* A transaction. */
struct state_txn {
	struct state_db *db; /* its store */
	void *txn; /* LMDB's */
	bool write; /* read-write */
};

/* A cursor. */
struct state_cursor {
	struct state_txn *txn; /* its transaction */
	void *cur; /* LMDB's */
};

/* state_txn_begin - start a transaction */
enum state_status
state_txn_begin(
    struct state_db *db, bool write, struct state_txn **out, struct why *why)
{
	struct state_call c = {.op = STATE_OP_BEGIN, .write = write};
	enum state_status st;

	*out = NULL;
	if (!state_db_usable(db, why))
		return STATE_FAIL;
	st = state_result(db, state_call(db, &c), "begin transaction", why);
	if (st != STATE_OK)
		return st == STATE_NOTFOUND ? STATE_FAIL : st;
	*out = xmalloc(sizeof(**out));
	(*out)->db = db;
	(*out)->txn = c.txn;
	(*out)->write = write;
	return STATE_OK;
}

/* state_txn_commit - commit a write transaction, end a read one */
enum state_status
state_txn_commit(struct state_txn *txn, struct why *why)
{
	struct state_call c = {.op = STATE_OP_COMMIT, .txn = txn->txn};
	enum state_status st = STATE_OK;
	int rc;

	if (txn->write) {
		rc = state_call(txn->db, &c);
		/* A commit that failed has freed the transaction, except
		 * when it faulted or was refused for damage: free it. */
		if (rc == STATE_GUARD_FAULT ||
		    (rc != 0 && state_db_damaged(txn->db))) {
			c.op = STATE_OP_ABORT;
			(void)state_call(txn->db, &c);
		}
		st = state_result(txn->db, rc, "commit", why);
		if (st == STATE_NOTFOUND)
			st = STATE_FAIL;
	} else {
		c.op =
		    state_db_damaged(txn->db) ? STATE_OP_ABORT : STATE_OP_RESET;
		(void)state_call(txn->db, &c);
	}
	free(txn);
	return st;
}

/* state_txn_abort - abandon */
void
state_txn_abort(struct state_txn *txn)
{
	struct state_call c = {.op = STATE_OP_ABORT};

	if (txn == NULL)
		return;
	c.txn = txn->txn;
	if (!txn->write && !state_db_damaged(txn->db))
		c.op = STATE_OP_RESET;
	(void)state_call(txn->db, &c);
	free(txn);
}

/* state_prepare - fill the common fields of a record call */
static void
state_prepare(struct state_call *c, const struct state_txn *txn,
    enum state_op op, unsigned table, const void *key, size_t klen)
{
	if (table >= state_db_tables_n(txn->db))
		msg_panic("state: bad table %u", table);
	if (key != NULL && (klen == 0 || klen > STATE_KEY_MAX))
		msg_panic("state: bad key length %zu", klen);
	c->op = op;
	c->txn = txn->txn;
	c->table = table;
	c->key = key;
	c->klen = klen;
}

/* state_finish - map the result; NOTFOUND only where it means "no key" */
static enum state_status
state_finish(const struct state_txn *txn, int rc, const char *what,
    bool notfound_ok, struct why *why)
{
	enum state_status st = state_result(txn->db, rc, what, why);

	if (st == STATE_NOTFOUND && !notfound_ok) {
		why_set(why, "4.3.0", "%s: %s: unexpected end of data",
		    state_db_path(txn->db), what);
		return STATE_FAIL;
	}
	return st;
}

/* state_get - copy a value */
enum state_status
state_get(struct state_txn *txn, unsigned table, const void *key, size_t klen,
    struct sbuf *val, struct why *why)
{
	struct state_call c = {.oval = val};

	state_prepare(&c, txn, STATE_OP_GET, table, key, klen);
	return state_finish(txn, state_call(txn->db, &c), "get", true, why);
}

/* state_put - store a value */
enum state_status
state_put(struct state_txn *txn, unsigned table, const void *key, size_t klen,
    const void *val, size_t vlen, struct why *why)
{
	struct state_call c = {.val = val, .vlen = vlen};

	if (!txn->write || vlen > STATE_VALUE_MAX)
		msg_panic(
		    "%s: read-only transaction or value too long", __func__);
	state_prepare(&c, txn, STATE_OP_PUT, table, key, klen);
	return state_finish(txn, state_call(txn->db, &c), "put", false, why);
}

/* state_del - delete a key */
enum state_status
state_del(struct state_txn *txn, unsigned table, const void *key, size_t klen,
    struct why *why)
{
	struct state_call c = {.op = STATE_OP_DEL};

	if (!txn->write)
		msg_panic("%s: read-only transaction", __func__);
	state_prepare(&c, txn, STATE_OP_DEL, table, key, klen);
	return state_finish(txn, state_call(txn->db, &c), "delete", true, why);
}

/* state_count - number of keys */
enum state_status
state_count(struct state_txn *txn, unsigned table, size_t *n, struct why *why)
{
	struct state_call c = {.op = STATE_OP_COUNT};
	enum state_status st;

	state_prepare(&c, txn, STATE_OP_COUNT, table, NULL, 0);
	st = state_finish(txn, state_call(txn->db, &c), "count", false, why);
	*n = st == STATE_OK ? c.count : 0;
	return st;
}

/* state_cursor_open - a cursor on a table */
enum state_status
state_cursor_open(struct state_txn *txn, unsigned table,
    struct state_cursor **out, struct why *why)
{
	struct state_call c = {.op = STATE_OP_CUR_OPEN};
	enum state_status st;

	*out = NULL;
	state_prepare(&c, txn, STATE_OP_CUR_OPEN, table, NULL, 0);
	st = state_finish(txn, state_call(txn->db, &c), "cursor", false, why);
	if (st != STATE_OK)
		return st;
	*out = xmalloc(sizeof(**out));
	(*out)->txn = txn;
	(*out)->cur = c.cur;
	return STATE_OK;
}

/* state_cursor_get - move and copy */
enum state_status
state_cursor_get(struct state_cursor *cur, enum state_move move,
    struct sbuf *key, struct sbuf *val, struct why *why)
{
	struct state_call c = {.op = STATE_OP_CUR_GET, .cur = cur->cur};

	c.move = move;
	c.okey = key;
	c.oval = val;
	return state_finish(
	    cur->txn, state_call(cur->txn->db, &c), "cursor get", true, why);
}

/* state_cursor_seek - the first key not below key */
enum state_status
state_cursor_seek(struct state_cursor *cur, const void *key, size_t klen,
    struct sbuf *okey, struct sbuf *val, struct why *why)
{
	struct state_call c = {.op = STATE_OP_CUR_SEEK, .cur = cur->cur};

	c.key = key;
	c.klen = klen;
	c.okey = okey;
	c.oval = val;
	return state_finish(
	    cur->txn, state_call(cur->txn->db, &c), "cursor seek", true, why);
}

/* state_cursor_del - delete the current record */
enum state_status
state_cursor_del(struct state_cursor *cur, struct why *why)
{
	struct state_call c = {.op = STATE_OP_CUR_DEL, .cur = cur->cur};

	if (!cur->txn->write)
		msg_panic("%s: read-only transaction", __func__);
	return state_finish(cur->txn, state_call(cur->txn->db, &c),
	    "cursor delete", false, why);
}

/* state_cursor_close - close */
void
state_cursor_close(struct state_cursor *cur)
{
	struct state_call c = {.op = STATE_OP_CUR_CLOSE};

	if (cur == NULL)
		return;
	c.cur = cur->cur;
	(void)state_call(cur->txn->db, &c);
	free(cur);
}
