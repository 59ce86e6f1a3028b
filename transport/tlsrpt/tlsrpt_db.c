/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * tlsrpt_db: the TLS report counts in state_dir (tlsrpt.lmdb: table
 * "day", "DAY DOMAIN" -> the record's text; table "sent", "DAY DOMAIN
 * URI" -> when the report went there), and the tally of one deliver
 * run that is added to them in one transaction.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "msg.h"
#include "state.h"
#include "tlsrpt.h"
#include "xalloc.h"

#define TLSRPT_FORMAT "smtpdirect-tlsrpt 1" /* store format */
#define TLSRPT_MAP_SIZE (64UL << 20) /* largest store file */
#define TLSRPT_T_DAY 0 /* table: day and domain -> record */
#define TLSRPT_T_SENT 1 /* table: day, domain, URI -> time */
#define TLSRPT_KEY_MAX (TLSRPT_DAY_MAX + DNS_NAME_MAX + TLSRPT_URI_MAX + 3)

static const char *const tlsrpt_tables[] = {"day", "sent"};

/* The store. */
struct tlsrpt_db {
	struct state_db *db; /* the LMDB store */
	struct sbuf key, val; /* scratch */
};

/* The counts of one run, a record per day and domain. */
struct tlsrpt_tally {
	struct tlsrpt_rec *rec; /* records */
	size_t n; /* entries in rec */
};

/* tlsrpt_tally_new - empty */
struct tlsrpt_tally *
tlsrpt_tally_new(void)
{
	return xcalloc(1, sizeof(struct tlsrpt_tally));
}

/* tlsrpt_tally_clear - forget every count */
static void
tlsrpt_tally_clear(struct tlsrpt_tally *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		tlsrpt_rec_fini(&t->rec[i]);
	free(t->rec);
	t->rec = NULL;
	t->n = 0;
}

/* tlsrpt_tally_free - release */
void
tlsrpt_tally_free(struct tlsrpt_tally *t)
{
	if (t == NULL)
		return;
	tlsrpt_tally_clear(t);
	free(t);
}

/* tlsrpt_tally_add - one session */
void
tlsrpt_tally_add(
    struct tlsrpt_tally *t, time_t now, const struct tlsrpt_session *s)
{
	char day[TLSRPT_DAY_MAX + 1];
	size_t i;

	tlsrpt_day_of(now, day);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->rec[i].day, day) == 0 &&
		    strcmp(t->rec[i].domain, s->domain) == 0)
			break;
	if (i == t->n) {
		t->rec = xreallocarray(t->rec, t->n + 1, sizeof(*t->rec));
		tlsrpt_rec_init(&t->rec[t->n++], day, s->domain);
	}
	tlsrpt_rec_add(&t->rec[i], s, 1);
}

/* tlsrpt_key - "DAY DOMAIN" and, when uri is set, " URI" */
static void
tlsrpt_key(
    struct sbuf *key, const char *day, const char *domain, const char *uri)
{
	sbuf_reset(key);
	sbuf_printf(key, "%s %s", day, domain);
	if (uri != NULL)
		sbuf_printf(key, " %.*s", TLSRPT_URI_MAX, uri);
}

/* tlsrpt_db_open - open or create the store */
struct tlsrpt_db *
tlsrpt_db_open(const char *state_dir, struct why *why)
{
	struct state_opts opts = {.format = TLSRPT_FORMAT,
	    .tables = tlsrpt_tables,
	    .tables_n = 2,
	    .map_size = TLSRPT_MAP_SIZE};
	struct state_db *sdb;
	struct tlsrpt_db *db;

	if (state_db_open(state_dir, TLSRPT_FILE, &opts, &sdb, why) != STATE_OK)
		return NULL;
	db = xcalloc(1, sizeof(*db));
	db->db = sdb;
	sbuf_init(&db->key);
	sbuf_init(&db->val);
	return db;
}

/* tlsrpt_db_close - close */
void
tlsrpt_db_close(struct tlsrpt_db *db)
{
	if (db == NULL)
		return;
	state_db_close(db->db);
	sbuf_fini(&db->key);
	sbuf_fini(&db->val);
	free(db);
}

/* tlsrpt_db_merge - add rec to what the store has of its day, domain */
static enum state_status
tlsrpt_db_merge(struct tlsrpt_db *db, struct state_txn *txn,
    const struct tlsrpt_rec *rec, struct why *why)
{
	struct tlsrpt_rec old;
	enum state_status st;

	tlsrpt_key(&db->key, rec->day, rec->domain, NULL);
	tlsrpt_rec_init(&old, rec->day, rec->domain);
	st = state_get(
	    txn, TLSRPT_T_DAY, db->key.data, db->key.len, &db->val, why);
	if (st == STATE_OK &&
	    !tlsrpt_rec_parse(&old, db->val.data, db->val.len)) {
		msg_warn("TLS report counts of %s on %s malformed: started "
		         "anew",
		    rec->domain, rec->day);
		tlsrpt_rec_fini(&old);
		tlsrpt_rec_init(&old, rec->day, rec->domain);
	} else if (st != STATE_OK && st != STATE_NOTFOUND) {
		tlsrpt_rec_fini(&old);
		return st;
	}
	tlsrpt_rec_merge(&old, rec);
	tlsrpt_rec_format(&old, &db->val);
	tlsrpt_rec_fini(&old);
	return state_put(txn, TLSRPT_T_DAY, db->key.data, db->key.len,
	    db->val.data, db->val.len, why);
}

/* tlsrpt_tally_flush - one write transaction for the whole tally */
enum sd_status
tlsrpt_tally_flush(
    struct tlsrpt_tally *t, const char *state_dir, struct why *why)
{
	struct tlsrpt_db *db;
	struct state_txn *txn = NULL;
	enum sd_status rc = SD_TEMP;
	size_t i;

	if (t->n == 0)
		return SD_OK;
	if ((db = tlsrpt_db_open(state_dir, why)) == NULL)
		goto out;
	if (state_txn_begin(db->db, true, &txn, why) != STATE_OK)
		goto out;
	for (i = 0; i < t->n; i++)
		if (tlsrpt_db_merge(db, txn, &t->rec[i], why) != STATE_OK) {
			state_txn_abort(txn);
			goto out;
		}
	if (state_txn_commit(txn, why) == STATE_OK)
		rc = SD_OK;

out:
	if (db != NULL && rc != SD_OK && state_db_damaged(db->db))
		(void)state_db_rebuild(db->db, why);
	tlsrpt_db_close(db);
	tlsrpt_tally_clear(t);
	return rc;
}

/* tlsrpt_db_split - "DAY DOMAIN" into r's day and domain */
static bool
tlsrpt_db_split(const struct sbuf *key, struct tlsrpt_rec *r)
{
	const char *sp = memchr(key->data, ' ', key->len);
	size_t dl;

	if (sp == NULL || (size_t)(sp - key->data) != TLSRPT_DAY_MAX)
		return false;
	dl = key->len - TLSRPT_DAY_MAX - 1;
	if (dl == 0 || dl > DNS_NAME_MAX)
		return false;
	memcpy(r->day, key->data, TLSRPT_DAY_MAX);
	r->day[TLSRPT_DAY_MAX] = '\0';
	memcpy(r->domain, sp + 1, dl);
	r->domain[dl] = '\0';
	return true;
}

/* tlsrpt_db_next - the record after (day, domain) */
enum sd_status
tlsrpt_db_next(struct tlsrpt_db *db, const char *day, const char *domain,
    struct tlsrpt_rec *r, struct why *why)
{
	struct state_txn *txn = NULL;
	struct state_cursor *cur = NULL;
	enum state_status st;
	enum sd_status rc = SD_TEMP;

	tlsrpt_rec_init(r, "", "");
	if (state_txn_begin(db->db, false, &txn, why) != STATE_OK)
		return SD_TEMP;
	if (state_cursor_open(txn, TLSRPT_T_DAY, &cur, why) != STATE_OK)
		goto out;
	for (;;) {
		if (day[0] == '\0') {
			st = state_cursor_get(
			    cur, STATE_FIRST, &db->key, &db->val, why);
		} else {
			/* The first key past "DAY DOMAIN": it with a NUL. */
			tlsrpt_key(&db->key, day, domain, NULL);
			sbuf_putc(&db->key, '\0');
			st = state_cursor_seek(cur, db->key.data, db->key.len,
			    &db->key, &db->val, why);
		}
		if (st == STATE_NOTFOUND) {
			rc = SD_PERM;
			break;
		}
		if (st != STATE_OK)
			break;
		tlsrpt_rec_fini(r);
		tlsrpt_rec_init(r, "", "");
		if (tlsrpt_db_split(&db->key, r) &&
		    tlsrpt_rec_parse(r, db->val.data, db->val.len)) {
			rc = SD_OK;
			break;
		}
		/* A malformed record: skipped (it stays in the store). */
		msg_warn("%s: malformed record skipped", state_db_path(db->db));
		if (!tlsrpt_db_split(&db->key, r)) {
			why_set(why, "4.3.0",
			    "%s: a malformed key; the records after it are "
			    "not read",
			    state_db_path(db->db));
			break;
		}
		day = r->day;
		domain = r->domain;
	}

out:
	state_cursor_close(cur);
	state_txn_abort(txn);
	return rc;
}

/* tlsrpt_db_sent - whether the report went to uri */
bool
tlsrpt_db_sent(
    struct tlsrpt_db *db, const char *day, const char *domain, const char *uri)
{
	struct state_txn *txn = NULL;
	enum state_status st;
	struct why why;

	if (state_txn_begin(db->db, false, &txn, &why) != STATE_OK)
		return false;
	tlsrpt_key(&db->key, day, domain, uri);
	st = state_get(
	    txn, TLSRPT_T_SENT, db->key.data, db->key.len, &db->val, &why);
	state_txn_abort(txn);
	return st == STATE_OK;
}

/* tlsrpt_db_mark - remember it went */
enum sd_status
tlsrpt_db_mark(struct tlsrpt_db *db, const char *day, const char *domain,
    const char *uri, time_t now, struct why *why)
{
	struct state_txn *txn = NULL;
	unsigned char v[8];

	be_put64(v, (uint64_t)now);
	if (state_txn_begin(db->db, true, &txn, why) != STATE_OK)
		return SD_TEMP;
	tlsrpt_key(&db->key, day, domain, uri);
	if (state_put(txn, TLSRPT_T_SENT, db->key.data, db->key.len, v,
	        sizeof(v), why) != STATE_OK) {
		state_txn_abort(txn);
		return SD_TEMP;
	}
	return state_txn_commit(txn, why) == STATE_OK ? SD_OK : SD_TEMP;
}

/* tlsrpt_db_drop_sent - the sent marks of (day, domain) */
static enum state_status
tlsrpt_db_drop_sent(struct tlsrpt_db *db, struct state_txn *txn,
    const char *day, const char *domain, struct why *why)
{
	struct state_cursor *cur = NULL;
	enum state_status st;
	char prefix[TLSRPT_KEY_MAX];
	size_t pl;

	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s %s ", day, domain);
	if ((st = state_cursor_open(txn, TLSRPT_T_SENT, &cur, why)) != 0)
		return st;
	st = state_cursor_seek(cur, prefix, pl, &db->key, NULL, why);
	while (st == STATE_OK && db->key.len >= pl &&
	    memcmp(db->key.data, prefix, pl) == 0) {
		if ((st = state_cursor_del(cur, why)) != STATE_OK)
			break;
		st = state_cursor_seek(cur, prefix, pl, &db->key, NULL, why);
	}
	state_cursor_close(cur);
	return st == STATE_NOTFOUND || st == STATE_OK ? STATE_OK : st;
}

/* tlsrpt_db_drop - forget (day, domain) */
enum sd_status
tlsrpt_db_drop(
    struct tlsrpt_db *db, const char *day, const char *domain, struct why *why)
{
	struct state_txn *txn = NULL;
	enum state_status st;

	if (state_txn_begin(db->db, true, &txn, why) != STATE_OK)
		return SD_TEMP;
	tlsrpt_key(&db->key, day, domain, NULL);
	st = state_del(txn, TLSRPT_T_DAY, db->key.data, db->key.len, why);
	if (st == STATE_OK || st == STATE_NOTFOUND)
		st = tlsrpt_db_drop_sent(db, txn, day, domain, why);
	if (st != STATE_OK) {
		state_txn_abort(txn);
		return SD_TEMP;
	}
	return state_txn_commit(txn, why) == STATE_OK ? SD_OK : SD_TEMP;
}
