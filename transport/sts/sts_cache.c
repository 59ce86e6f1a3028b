/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* sts_cache: the MTA-STS policy cache, one record a domain, in LMDB. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "msg.h"
#include "sbuf.h"
#include "state.h"
#include "sts_int.h"
#include "xalloc.h"

#define STS_CACHE_FORMAT "smtpdirect-sts-cache 1" /* store format */
#define STS_CACHE_VERSION 1 /* first byte of a record */
#define STS_CACHE_T_POLICY 0 /* table: domain -> record */
#define STS_CACHE_HDR 33 /* fixed part of a record, bytes */

static const char *const sts_cache_tables[] = {"policy"};

/* The cache. */
struct sts_cache {
	struct state_db *db; /* the store; NULL once given up */
	struct sbuf val; /* a record, encoded */
};

/*
 * sts_cache_encode - version, flags, last result, mode, fetched,
 * expires, tried, max_age (4), id length, mx count; then the id and
 * each pattern after its length
 */
static void
sts_cache_encode(struct sbuf *out, const struct sts_entry *e)
{
	unsigned char h[STS_CACHE_HDR];
	size_t i, n;

	memset(h, 0, sizeof(h));
	h[0] = STS_CACHE_VERSION;
	h[1] = e->has_policy ? 1 : 0;
	h[2] = (unsigned char)e->last;
	h[3] = (unsigned char)e->policy.mode;
	be_put64(h + 4, (uint64_t)e->fetched);
	be_put64(h + 12, (uint64_t)e->expires);
	be_put64(h + 20, (uint64_t)e->tried);
	be_put32(h + 28, (uint32_t)e->policy.max_age);
	h[32] = (unsigned char)e->policy.mx_n;
	sbuf_reset(out);
	sbuf_append(out, h, sizeof(h));
	n = strlen(e->id);
	sbuf_putc(out, (int)n);
	sbuf_append(out, e->id, n);
	for (i = 0; i < e->policy.mx_n; i++) {
		n = strlen(e->policy.mx[i]);
		sbuf_putc(out, (int)n);
		sbuf_append(out, e->policy.mx[i], n);
	}
}

/* sts_cache_string - a length-prefixed string into out[max + 1] */
static bool
sts_cache_string(
    const unsigned char **p, const unsigned char *end, char *out, size_t max)
{
	size_t n;

	if (*p >= end || (n = **p) > max || (size_t)(end - *p - 1) < n)
		return false;
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += 1 + n;
	return true;
}

/* sts_cache_decode - a record into *e; false when malformed */
static bool
sts_cache_decode(const struct sbuf *v, struct sts_entry *e)
{
	const unsigned char *p = (const unsigned char *)v->data;
	const unsigned char *end = p + v->len;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (v->len < STS_CACHE_HDR || p[0] != STS_CACHE_VERSION || p[1] > 1 ||
	    p[2] > STS_FETCH_WEBPKI || p[3] > STS_MODE_ENFORCE ||
	    p[32] > STS_MX_MAX)
		return false;
	e->has_policy = p[1] == 1;
	e->last = (enum sts_fetch_result)p[2];
	e->policy.mode = (enum sts_mode)p[3];
	e->fetched = (time_t)be_get64(p + 4);
	e->expires = (time_t)be_get64(p + 12);
	e->tried = (time_t)be_get64(p + 20);
	e->policy.max_age = be_get32(p + 28);
	e->policy.mx_n = p[32];
	p += STS_CACHE_HDR;
	if (!sts_cache_string(&p, end, e->id, STS_ID_MAX))
		return false;
	for (i = 0; i < e->policy.mx_n; i++)
		if (!sts_cache_string(
		        &p, end, e->policy.mx[i], STS_HOST_MAX + 2))
			return false;
	return p == end;
}

/* sts_cache_trouble - log; rebuild a damaged store, else give it up */
static void
sts_cache_trouble(struct sts_cache *c, const struct why *why)
{
	struct why w;

	msg_warn("MTA-STS cache: %s", why->text);
	if (c->db == NULL || !state_db_damaged(c->db))
		return;
	if (state_db_rebuild(c->db, &w) != STATE_OK) {
		msg_warn("MTA-STS cache disabled: %s", w.text);
		state_db_close(c->db);
		c->db = NULL;
	}
}

/* sts_cache_open - open or create the store */
struct sts_cache *
sts_cache_open(const char *dir, struct why *why)
{
	struct state_opts opts = {.format = STS_CACHE_FORMAT,
	    .tables = sts_cache_tables,
	    .tables_n = 1,
	    .map_size = STS_CACHE_MAP_SIZE};
	struct state_db *db;
	struct sts_cache *c;

	if (state_db_open(dir, STS_FILE, &opts, &db, why) != STATE_OK)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->db = db;
	sbuf_init(&c->val);
	return c;
}

/* sts_cache_close - close */
void
sts_cache_close(struct sts_cache *c)
{
	if (c == NULL)
		return;
	state_db_close(c->db);
	sbuf_fini(&c->val);
	free(c);
}

/* sts_cache_get - domain's record */
bool
sts_cache_get(struct sts_cache *c, const char *domain, struct sts_entry *e)
{
	struct state_txn *txn = NULL;
	enum state_status st;
	struct why why;

	if (c == NULL || c->db == NULL)
		return false;
	if (state_txn_begin(c->db, false, &txn, &why) != STATE_OK) {
		sts_cache_trouble(c, &why);
		return false;
	}
	st = state_get(
	    txn, STS_CACHE_T_POLICY, domain, strlen(domain), &c->val, &why);
	state_txn_abort(txn);
	if (st == STATE_NOTFOUND)
		return false;
	if (st != STATE_OK) {
		sts_cache_trouble(c, &why);
		return false;
	}
	if (!sts_cache_decode(&c->val, e)) {
		msg_warn(
		    "MTA-STS cache: malformed record of %s: ignored", domain);
		return false;
	}
	return true;
}

/* sts_cache_write - store e in a write transaction */
static enum state_status
sts_cache_write(struct sts_cache *c, struct state_txn *txn, const char *domain,
    const struct sts_entry *e, struct why *why)
{
	sts_cache_encode(&c->val, e);
	return state_put(txn, STS_CACHE_T_POLICY, domain, strlen(domain),
	    c->val.data, c->val.len, why);
}

/* sts_cache_put - domain's record */
bool
sts_cache_put(
    struct sts_cache *c, const char *domain, const struct sts_entry *e)
{
	struct state_txn *txn = NULL;
	struct why why;

	if (c == NULL || c->db == NULL)
		return false;
	if (state_txn_begin(c->db, true, &txn, &why) != STATE_OK)
		goto fail;
	if (sts_cache_write(c, txn, domain, e, &why) != STATE_OK) {
		state_txn_abort(txn);
		goto fail;
	}
	if (state_txn_commit(txn, &why) != STATE_OK)
		goto fail;
	return true;

fail:
	sts_cache_trouble(c, &why);
	return false;
}

/* sts_cache_claim - the right to begin domain's next fetch */
bool
sts_cache_claim(struct sts_cache *c, const char *domain, time_t now)
{
	struct state_txn *txn = NULL;
	struct sts_entry e;
	enum state_status st;
	struct why why;

	if (c == NULL || c->db == NULL)
		return false;
	if (state_txn_begin(c->db, true, &txn, &why) != STATE_OK)
		goto fail;
	st = state_get(
	    txn, STS_CACHE_T_POLICY, domain, strlen(domain), &c->val, &why);
	if (st == STATE_NOTFOUND ||
	    (st == STATE_OK && !sts_cache_decode(&c->val, &e)))
		memset(&e, 0, sizeof(e));
	else if (st != STATE_OK)
		goto fail_txn;
	if (e.last != STS_FETCH_OK && e.tried != 0 && now >= e.tried &&
	    now - e.tried < STS_RETRY_SECS) {
		state_txn_abort(txn);
		return false;
	}
	e.tried = now;
	e.last = STS_FETCH_NONE; /* under way */
	if (sts_cache_write(c, txn, domain, &e, &why) != STATE_OK)
		goto fail_txn;
	if (state_txn_commit(txn, &why) != STATE_OK)
		goto fail;
	return true;

fail_txn:
	state_txn_abort(txn);
fail:
	sts_cache_trouble(c, &why);
	return false;
}
