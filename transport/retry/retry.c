/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Retry state: attempt counts and delivered marks on the state store,
 * opened only for a message with a marker (retry_mark.c).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "retry_int.h"
#include "sdir.h"
#include "xalloc.h"

#define RETRY_FORMAT "smtpdirect-retry 1" /* store owner and version */
#define RETRY_TABLE 0 /* the one table */

/* The record as stored: fixed-size, host byte order (same host only). */
struct retry_val {
	uint32_t version; /* RETRY_VAL_VERSION */
	uint32_t delivered; /* 0 or 1 */
	uint64_t temp_failures; /* count */
	int64_t first; /* epoch seconds */
	int64_t last; /* epoch seconds */
};

#define RETRY_VAL_VERSION 1

static const char *const retry_tables[] = {"rcpt"};

static enum sd_status retry_prune_records(
    struct retry_db *r, time_t now, unsigned long max_age, struct why *why);
static bool retry_key(struct retry_db *r, const struct retry_msg *m,
    const char *rcpt, struct why *why);
static enum sd_status retry_update(struct retry_db *r,
    const struct retry_msg *m, const char *rcpt, time_t now, bool delivered,
    struct why *why);
static void retry_decode(const struct sbuf *val, struct retry_rec *out);
static void retry_store_owner(const struct retry_db *r, struct why *why);

/* retry_open - the handle; the markers directory made if need be */
enum sd_status
retry_open(const char *state_dir, struct retry_db **out, struct why *why)
{
	struct retry_db *r = xcalloc(1, sizeof(*r));

	r->dir = xstrdup(state_dir);
	r->lock_fd = -1;
	sbuf_init(&r->key);
	sbuf_init(&r->val);
	if (retry_mark_ready(r, why) != SD_OK) {
		retry_close(r);
		return SD_TEMP;
	}
	*out = r;
	return SD_OK;
}

/*
 * retry_store_owner - after the store failed to open: name the store
 * file or its lock file when another user owns it
 */
static void
retry_store_owner(const struct retry_db *r, struct why *why)
{
	static const char *const names[] = {RETRY_FILE, RETRY_FILE "-lock"};
	char path[RETRY_PATH_MAX], note[SDIR_NOTE_MAX], text[WHY_TEXT_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, names[i]);
		if (lstat(path, &st) == 0 && st.st_uid != geteuid()) {
			snprintf(text, sizeof(text), "%s", why->text);
			why_set(why, "4.3.0", "%s; %.300s%s", text, path,
			    sdir_owner_note(path, EACCES, note, sizeof(note)));
			return;
		}
	}
}

/* retry_store - open the store on first use */
enum sd_status
retry_store(struct retry_db *r, struct why *why)
{
	struct state_opts opts = {
	    .format = RETRY_FORMAT,
	    .tables = retry_tables,
	    .tables_n = 1,
	    .map_size = RETRY_MAP_SIZE,
	    .durable = true,
	    .keep_damaged = true,
	};

	/* Another process moved a damaged file aside: use the new one. */
	if (r->db != NULL && !state_db_replaced(r->db))
		return SD_OK;
	state_db_close(r->db);
	r->db = NULL;
	if (state_db_open(r->dir, RETRY_FILE, &opts, &r->db, why) != STATE_OK) {
		r->db = NULL;
		retry_store_owner(r, why);
		why_prefix(why, "retry state");
		snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
		return SD_TEMP;
	}
	/* A damaged file moved aside: report it, hold its messages back. */
	return retry_lost_note(r, why);
}

/* retry_close - release */
void
retry_close(struct retry_db *r)
{
	if (r == NULL)
		return;
	sbuf_fini(&r->val);
	sbuf_fini(&r->key);
	state_db_close(r->db);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	free(r->dir);
	free(r);
}

/* retry_key - "queue_id NUL fingerprint NUL recipient" */
static bool
retry_key(struct retry_db *r, const struct retry_msg *m, const char *rcpt,
    struct why *why)
{
	sbuf_reset(&r->key);
	sbuf_append(&r->key, m->queue_id, strlen(m->queue_id) + 1);
	sbuf_append(&r->key, m->fingerprint, strlen(m->fingerprint) + 1);
	sbuf_puts(&r->key, rcpt);
	if (r->key.len > STATE_KEY_MAX) {
		why_set(why, "4.3.0", "retry state: key for <%.100s> too long",
		    rcpt);
		return false;
	}
	return true;
}

/* retry_decode - stored bytes to a record; anything odd reads as new */
static void
retry_decode(const struct sbuf *val, struct retry_rec *out)
{
	struct retry_val v;

	memset(out, 0, sizeof(*out));
	if (val->len != sizeof(v))
		return;
	memcpy(&v, val->data, sizeof(v));
	if (v.version != RETRY_VAL_VERSION)
		return;
	out->delivered = v.delivered != 0;
	out->temp_failures = (unsigned long)v.temp_failures;
	out->first = (time_t)v.first;
	out->last = (time_t)v.last;
}

/* retry_get - read one record */
enum sd_status
retry_get(struct retry_db *r, const struct retry_msg *m, const char *rcpt,
    struct retry_rec *out, struct why *why)
{
	struct state_txn *txn = NULL;
	enum state_status st;
	enum retry_mark mark;

	if (!retry_key(r, m, rcpt, why))
		return SD_TEMP;
	/* A first attempt: no marker, no record, no store to open. */
	mark = retry_mark_check(r, m);
	if (r->db == NULL && mark == RETRY_MARK_ABSENT) {
		memset(out, 0, sizeof(*out));
		return SD_OK;
	}
	if (retry_store(r, why) != SD_OK)
		return SD_TEMP;
	/* A marker but no record: never read as "not delivered yet". */
	if (mark == RETRY_MARK_PRESENT && retry_lost_check(r, m, why) != SD_OK)
		return SD_TEMP;
	if (state_txn_begin(r->db, false, &txn, why) != STATE_OK)
		goto fail;
	st = state_get(txn, RETRY_TABLE, r->key.data, r->key.len, &r->val, why);
	state_txn_abort(txn);
	if (st == STATE_NOTFOUND) {
		memset(out, 0, sizeof(*out));
		return SD_OK;
	}
	if (st != STATE_OK)
		goto fail;
	retry_decode(&r->val, out);
	return SD_OK;

fail:
	retry_lost_rebuild(r);
	snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
	return SD_TEMP;
}

/* retry_update - read, change and write one record in one transaction */
static enum sd_status
retry_update(struct retry_db *r, const struct retry_msg *m, const char *rcpt,
    time_t now, bool delivered, struct why *why)
{
	struct state_txn *txn = NULL;
	struct retry_rec rec;
	struct retry_val v;
	enum state_status st;

	if (!retry_key(r, m, rcpt, why))
		return SD_TEMP;
	/* The marker first, both under the shared lock: see retry_int.h. */
	if (!retry_mark_lock(r, LOCK_SH, why))
		return SD_TEMP;
	if (retry_mark_touch(r, m, why) != SD_OK ||
	    retry_store(r, why) != SD_OK ||
	    retry_lost_check(r, m, why) != SD_OK) {
		flock(r->lock_fd, LOCK_UN);
		return SD_TEMP;
	}
	if (state_txn_begin(r->db, true, &txn, why) != STATE_OK)
		goto fail;
	st = state_get(txn, RETRY_TABLE, r->key.data, r->key.len, &r->val, why);
	if (st == STATE_OK)
		retry_decode(&r->val, &rec);
	else if (st == STATE_NOTFOUND)
		memset(&rec, 0, sizeof(rec));
	else
		goto fail;
	memset(&v, 0, sizeof(v));
	v.version = RETRY_VAL_VERSION;
	v.delivered = (delivered || rec.delivered) ? 1 : 0;
	v.temp_failures = rec.temp_failures + (delivered ? 0 : 1);
	v.first = rec.first != 0 ? (int64_t)rec.first : (int64_t)now;
	v.last = (int64_t)now;
	if (state_put(txn, RETRY_TABLE, r->key.data, r->key.len, &v, sizeof(v),
	        why) != STATE_OK)
		goto fail;
	st = state_txn_commit(txn, why);
	txn = NULL;
	if (st != STATE_OK)
		goto fail;
	flock(r->lock_fd, LOCK_UN);
	return SD_OK;

fail:
	state_txn_abort(txn);
	flock(r->lock_fd, LOCK_UN);
	retry_lost_rebuild(r);
	why_prefix(why, "retry state");
	snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
	return SD_TEMP;
}

/* retry_mark_delivered - remember the delivery */
enum sd_status
retry_mark_delivered(struct retry_db *r, const struct retry_msg *m,
    const char *rcpt, time_t now, struct why *why)
{
	return retry_update(r, m, rcpt, now, true, why);
}

/* retry_note_temp - one more temporary failure */
enum sd_status
retry_note_temp(struct retry_db *r, const struct retry_msg *m, const char *rcpt,
    time_t now, struct why *why)
{
	return retry_update(r, m, rcpt, now, false, why);
}

/*
 * retry_prune_records - delete old records, a bounded number examined. Each run
 * starts at a random key and wraps around at the end, so that in a store
 * of more than RETRY_PRUNE_BATCH records every one is reached in time,
 * not only the first ones.
 */
static enum sd_status
retry_prune_records(
    struct retry_db *r, time_t now, unsigned long max_age, struct why *why)
{
	struct state_txn *txn = NULL;
	struct state_cursor *cur = NULL;
	unsigned char start = (unsigned char)arc4random_uniform(256);
	struct retry_rec rec;
	enum state_status st;
	unsigned long seen, deleted = 0;
	bool wrapped = false;

	if (state_txn_begin(r->db, true, &txn, why) != STATE_OK)
		goto fail;
	if (state_cursor_open(txn, RETRY_TABLE, &cur, why) != STATE_OK)
		goto fail;
	st = state_cursor_seek(cur, &start, 1, &r->key, &r->val, why);
	for (seen = 0; seen < RETRY_PRUNE_BATCH; seen++) {
		if (st == STATE_NOTFOUND && !wrapped) {
			wrapped = true;
			st = state_cursor_get(
			    cur, STATE_FIRST, &r->key, &r->val, why);
		}
		if (st == STATE_NOTFOUND)
			break;
		if (st != STATE_OK)
			goto fail;
		/* Round the ring: back where this run began. */
		if (wrapped && r->key.len > 0 &&
		    (unsigned char)r->key.data[0] >= start)
			break;
		retry_decode(&r->val, &rec);
		if (rec.last + (time_t)max_age < now) {
			if (state_cursor_del(cur, why) != STATE_OK)
				goto fail;
			deleted++;
		}
		st = state_cursor_get(cur, STATE_NEXT, &r->key, &r->val, why);
	}
	state_cursor_close(cur);
	cur = NULL;
	/* Nothing to delete: no durable commit, no fsync. */
	if (deleted == 0) {
		state_txn_abort(txn);
		return SD_OK;
	}
	st = state_txn_commit(txn, why);
	txn = NULL;
	if (st != STATE_OK)
		goto fail;
	return SD_OK;

fail:
	state_cursor_close(cur);
	state_txn_abort(txn);
	retry_lost_rebuild(r);
	snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
	return SD_TEMP;
}

/*
 * retry_prune - old records, then the markers of one shard at random
 * that no record needs any more
 */
enum sd_status
retry_prune(
    struct retry_db *r, time_t now, unsigned long max_age, struct why *why)
{
	if (retry_store(r, why) != SD_OK ||
	    retry_prune_records(r, now, max_age, why) != SD_OK)
		return SD_TEMP;
	return retry_mark_prune(
	    r, arc4random_uniform(RETRY_MARK_SHARDS), now, max_age, why);
}
