/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The shared DNS cache: answers in the state store, at most `size` of
 * them, least recently used evicted first, each until it expires.
 *
 * Table "answers" maps type + name to an encoded answer that carries
 * its expiry time and its use sequence number; table "lru" maps the
 * big-endian sequence number to the key, so its first key is the least
 * recently used. A hit moves the entry to the newest sequence number,
 * which needs a write transaction: so a hit only notes the use, and the
 * uses noted are written together by the next put, by dns_cache_close()
 * or when DNS_CACHE_USES_MAX have piled up. Entries already among the
 * newest size/8 are not moved at all. Caches of up to 15 entries are
 * exact LRU (once the uses are written); larger ones may evict an entry
 * that was used within the last size/8 uses.
 */

#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "dns_int.h"
#include "msg.h"
#include "sbuf.h"
#include "state.h"
#include "xalloc.h"

#define DNS_CACHE_FORMAT "smtpdirect-dns-cache 1" /* store format */
#define DNS_CACHE_VERSION 1 /* first byte of every value */
#define DNS_CACHE_OFF_SEQ 12 /* offset of the sequence number */
#define DNS_CACHE_HDR 20 /* bytes before the name */
#define DNS_CACHE_T_ANSWERS 0 /* table of answers */
#define DNS_CACHE_T_LRU 1 /* table of use order */
#define DNS_CACHE_USES_MAX 64 /* uses noted before they are written */

static const char *const dns_cache_tables[] = {"answers", "lru"};

static void dns_cache_flush(struct dns_cache *c);

/* A use of an entry, to be written to the LRU order. */
struct dns_cache_use {
	char *key; /* its key */
	size_t len; /* key bytes */
	uint64_t seq; /* its sequence number when it was used */
};

/* The cache. */
struct dns_cache {
	struct state_db *db; /* the store; NULL once given up */
	struct state_db *own; /* the store this cache closes, or NULL */
	bool *shared; /* the store is used by other threads' caches */
	bool shared_flag; /* storage of *shared in the opening cache */
	size_t size; /* most entries */
	uint64_t touch_gap; /* entries this recent are not moved */
	struct dns_cache_use uses[DNS_CACHE_USES_MAX]; /* not yet written */
	size_t uses_n;
	struct sbuf key; /* scratch: the key being used */
	struct sbuf val; /* scratch: a value */
	struct sbuf tmp; /* scratch */
	struct sbuf uval; /* scratch: the value of a use */
};

/* dns_cache_key - type (2 bytes) + name */
static void
dns_cache_key(struct dns_cache *c, const char *name, unsigned type)
{
	unsigned char t[2] = {(unsigned char)(type >> 8), (unsigned char)type};

	sbuf_reset(&c->key);
	sbuf_append(&c->key, t, 2);
	sbuf_puts(&c->key, name);
}

/* dns_cache_encode - an answer as a value, expiring at expire */
static void
dns_cache_encode(struct sbuf *out, const struct dns_answer *ans, time_t expire)
{
	unsigned char h[DNS_CACHE_HDR] = {DNS_CACHE_VERSION};
	unsigned char r[7];
	size_t i, nl = strlen(ans->name);

	h[1] = (unsigned char)ans->status;
	h[2] = ans->ad ? 1 : 0;
	h[3] = (unsigned char)ans->cnames;
	be_put64(h + 4, (uint64_t)expire);
	sbuf_reset(out);
	sbuf_append(out, h, sizeof(h));
	sbuf_putc(out, (int)nl);
	sbuf_append(out, ans->name, nl);
	sbuf_putc(out, (int)(ans->n >> 8));
	sbuf_putc(out, (int)(ans->n & 0xff));
	for (i = 0; i < ans->n; i++) {
		const struct dns_rec *rec = &ans->recs[i];

		r[0] = (unsigned char)(rec->pref >> 8);
		r[1] = (unsigned char)rec->pref;
		r[2] = rec->usage;
		r[3] = rec->selector;
		r[4] = rec->mtype;
		r[5] = (unsigned char)(rec->len >> 8);
		r[6] = (unsigned char)rec->len;
		sbuf_append(out, r, sizeof(r));
		sbuf_append(out, rec->data, rec->len);
	}
}

/* dns_cache_decode - a value into ans; false when malformed */
static bool
dns_cache_decode(const struct sbuf *v, unsigned type, struct dns_answer *ans,
    time_t *expire, uint64_t *seq)
{
	const unsigned char *p = (const unsigned char *)v->data, *end;
	size_t nl, n, i, len;
	struct dns_rec *rec;

	dns_answer_init(ans, type);
	end = p + v->len;
	if (v->len < DNS_CACHE_HDR + 3 || p[0] != DNS_CACHE_VERSION ||
	    (p[1] != DNS_OK && p[1] != DNS_NODATA && p[1] != DNS_NXDOMAIN))
		return false;
	ans->status = (enum dns_status)p[1];
	ans->ad = p[2] & 1;
	ans->cnames = p[3];
	*expire = (time_t)be_get64(p + 4);
	*seq = be_get64(p + DNS_CACHE_OFF_SEQ);
	p += DNS_CACHE_HDR;
	nl = *p++;
	if (nl > DNS_NAME_MAX || (size_t)(end - p) < nl + 2)
		return false;
	memcpy(ans->name, p, nl);
	ans->name[nl] = '\0';
	p += nl;
	n = (size_t)p[0] << 8 | p[1];
	p += 2;
	if (n > DNS_RR_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (end - p < 7)
			return false;
		len = (size_t)p[5] << 8 | p[6];
		if ((size_t)(end - p - 7) < len)
			return false;
		rec = dns_answer_add(ans, p + 7, len);
		rec->pref = (unsigned)p[0] << 8 | p[1];
		rec->usage = p[2];
		rec->selector = p[3];
		rec->mtype = p[4];
		p += 7 + len;
	}
	return p == end;
}

/*
 * dns_cache_trouble - log; rebuild a damaged store, else give it up. A
 * store shared with other threads cannot be rebuilt under their feet:
 * this cache stops using it, and the next process rebuilds it.
 */
static void
dns_cache_trouble(struct dns_cache *c, const struct why *why)
{
	struct why w;

	msg_warn("DNS cache: %s", why->text);
	if (c->db == NULL || !state_db_damaged(c->db))
		return;
	if (*c->shared) {
		msg_warn("DNS cache disabled in this thread: damaged file");
		c->db = NULL;
	} else if (state_db_rebuild(c->db, &w) != STATE_OK) {
		msg_warn("DNS cache disabled: %s", w.text);
		c->db = NULL;
	}
}

/* dns_cache_new - a cache on an open store */
static struct dns_cache *
dns_cache_new(struct state_db *db, size_t size)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	c->db = db;
	c->size = size;
	c->touch_gap = size / 8 > 1 ? size / 8 : 1;
	c->shared = &c->shared_flag;
	sbuf_init(&c->key);
	sbuf_init(&c->val);
	sbuf_init(&c->tmp);
	sbuf_init(&c->uval);
	return c;
}

/* dns_cache_open - open the cache in dir */
struct dns_cache *
dns_cache_open(const char *dir, size_t size, struct why *why)
{
	struct state_opts opts = {.format = DNS_CACHE_FORMAT,
	    .tables = dns_cache_tables,
	    .tables_n = 2};
	struct dns_cache *c;
	struct state_db *db;

	if (size == 0)
		return NULL;
	opts.map_size = size > DNS_CACHE_MAP_MIN / DNS_CACHE_ENTRY_BYTES
	    ? size * DNS_CACHE_ENTRY_BYTES
	    : DNS_CACHE_MAP_MIN;
	if (state_db_open(dir, DNS_CACHE_FILE, &opts, &db, why) != STATE_OK)
		return NULL;
	c = dns_cache_new(db, size);
	c->own = db;
	return c;
}

/* dns_cache_dup - another cache on the same store, for another thread */
struct dns_cache *
dns_cache_dup(struct dns_cache *orig)
{
	struct dns_cache *c;

	if (orig == NULL || orig->db == NULL)
		return NULL;
	*orig->shared = true;
	c = dns_cache_new(orig->db, orig->size);
	c->shared = orig->shared;
	return c;
}

/* dns_cache_close - close */
void
dns_cache_close(struct dns_cache *c)
{
	if (c == NULL)
		return;
	dns_cache_flush(c);
	state_db_close(c->own);
	sbuf_fini(&c->key);
	sbuf_fini(&c->val);
	sbuf_fini(&c->tmp);
	sbuf_fini(&c->uval);
	free(c);
}

/* dns_cache_last_seq - the newest sequence number (0 when empty) */
static enum state_status
dns_cache_last_seq(
    struct dns_cache *c, struct state_txn *txn, uint64_t *seq, struct why *why)
{
	struct state_cursor *cur;
	enum state_status st;

	*seq = 0;
	if ((st = state_cursor_open(txn, DNS_CACHE_T_LRU, &cur, why)) != 0)
		return st;
	st = state_cursor_get(cur, STATE_LAST, &c->tmp, NULL, why);
	state_cursor_close(cur);
	if (st == STATE_OK && c->tmp.len == 8)
		*seq = be_get64((unsigned char *)c->tmp.data);
	return st == STATE_NOTFOUND ? STATE_OK : st;
}

/*
 * dns_cache_link - give the value val of key the next sequence number
 * and store both records; drop old_seq's LRU record.
 */
static enum state_status
dns_cache_link(struct dns_cache *c, struct state_txn *txn, const char *key,
    size_t klen, struct sbuf *val, uint64_t old_seq, struct why *why)
{
	unsigned char s[8];
	enum state_status st;
	uint64_t last;

	if (old_seq != 0) {
		be_put64(s, old_seq);
		st = state_del(txn, DNS_CACHE_T_LRU, s, 8, why);
		if (st != STATE_OK && st != STATE_NOTFOUND)
			return st;
	}
	if ((st = dns_cache_last_seq(c, txn, &last, why)) != STATE_OK)
		return st;
	be_put64(s, last + 1);
	memcpy(val->data + DNS_CACHE_OFF_SEQ, s, 8);
	st = state_put(
	    txn, DNS_CACHE_T_ANSWERS, key, klen, val->data, val->len, why);
	if (st != STATE_OK)
		return st;
	return state_put(txn, DNS_CACHE_T_LRU, s, 8, key, klen, why);
}

/* dns_cache_forget - drop the uses noted */
static void
dns_cache_forget(struct dns_cache *c)
{
	size_t i;

	for (i = 0; i < c->uses_n; i++)
		free(c->uses[i].key);
	c->uses_n = 0;
}

/* dns_cache_apply - move the entries used to the front, in use order */
static enum state_status
dns_cache_apply(struct dns_cache *c, struct state_txn *txn, struct why *why)
{
	const struct dns_cache_use *u;
	enum state_status st = STATE_OK;
	size_t i;

	for (i = 0; i < c->uses_n && st == STATE_OK; i++) {
		u = &c->uses[i];
		st = state_get(
		    txn, DNS_CACHE_T_ANSWERS, u->key, u->len, &c->uval, why);
		/* Replaced, moved or evicted meanwhile: nothing to do. */
		if (st == STATE_NOTFOUND ||
		    (st == STATE_OK &&
		        (c->uval.len < DNS_CACHE_HDR ||
		            be_get64((unsigned char *)c->uval.data +
		                DNS_CACHE_OFF_SEQ) != u->seq))) {
			st = STATE_OK;
			continue;
		}
		if (st == STATE_OK)
			st = dns_cache_link(
			    c, txn, u->key, u->len, &c->uval, u->seq, why);
	}
	dns_cache_forget(c);
	return st;
}

/* dns_cache_flush - write the uses noted, in a transaction of their own */
static void
dns_cache_flush(struct dns_cache *c)
{
	struct state_txn *txn;
	enum state_status st;
	struct why why;

	if (c->uses_n == 0 || c->db == NULL) {
		dns_cache_forget(c);
		return;
	}
	if ((st = state_txn_begin(c->db, true, &txn, &why)) == STATE_OK) {
		if ((st = dns_cache_apply(c, txn, &why)) == STATE_OK)
			st = state_txn_commit(txn, &why);
		else
			state_txn_abort(txn);
	}
	dns_cache_forget(c);
	if (st != STATE_OK)
		dns_cache_trouble(c, &why);
}

/* dns_cache_note_use - remember that the entry under c->key was used */
static void
dns_cache_note_use(struct dns_cache *c, uint64_t seq)
{
	struct dns_cache_use *u;
	size_t i;

	for (i = 0; i < c->uses_n; i++)
		if (c->uses[i].len == c->key.len &&
		    memcmp(c->uses[i].key, c->key.data, c->key.len) == 0)
			return;
	if (c->uses_n == DNS_CACHE_USES_MAX)
		dns_cache_flush(c);
	u = &c->uses[c->uses_n++];
	u->key = xmemdup0(c->key.data, c->key.len);
	u->len = c->key.len;
	u->seq = seq;
}

/* dns_cache_get - look an answer up */
bool
dns_cache_get(struct dns_cache *c, const char *name, unsigned type, time_t now,
    struct dns_answer *ans)
{
	struct state_txn *txn;
	enum state_status st;
	struct why why;
	uint64_t seq, last = 0;
	time_t expire;
	bool ok;

	dns_answer_init(ans, type);
	if (c->db == NULL)
		return false;
	dns_cache_key(c, name, type);
	if ((st = state_txn_begin(c->db, false, &txn, &why)) == STATE_OK) {
		st = state_get(txn, DNS_CACHE_T_ANSWERS, c->key.data,
		    c->key.len, &c->val, &why);
		if (st == STATE_OK)
			st = dns_cache_last_seq(c, txn, &last, &why);
		state_txn_abort(txn);
	}
	if (st != STATE_OK) {
		if (st != STATE_NOTFOUND)
			dns_cache_trouble(c, &why);
		return false;
	}
	ok = dns_cache_decode(&c->val, type, ans, &expire, &seq);
	if (!ok || expire <= now) {
		/* A bad value is replaced by the next put, as expired ones. */
		dns_answer_fini(ans);
		dns_answer_init(ans, type);
		return false;
	}
	ans->ttl = (uint32_t)(expire - now);
	ans->from_cache = true;
	if (last - seq >= c->touch_gap)
		dns_cache_note_use(c, seq);
	return true;
}

/* dns_cache_evict - drop least recently used entries down to keep */
static enum state_status
dns_cache_evict(
    struct dns_cache *c, struct state_txn *txn, size_t keep, struct why *why)
{
	struct state_cursor *cur;
	enum state_status st;
	size_t n;

	if ((st = state_count(txn, DNS_CACHE_T_ANSWERS, &n, why)) != STATE_OK)
		return st;
	if (n <= keep)
		return STATE_OK;
	if ((st = state_cursor_open(txn, DNS_CACHE_T_LRU, &cur, why)) != 0)
		return st;
	while (n > keep) {
		st = state_cursor_get(cur, STATE_FIRST, NULL, &c->tmp, why);
		if (st != STATE_OK)
			break;
		if (c->tmp.len > 0)
			st = state_del(txn, DNS_CACHE_T_ANSWERS, c->tmp.data,
			    c->tmp.len, why);
		if ((st == STATE_OK || st == STATE_NOTFOUND) &&
		    (st = state_cursor_del(cur, why)) != STATE_OK)
			break;
		n--;
	}
	state_cursor_close(cur);
	return st == STATE_NOTFOUND ? STATE_OK : st;
}

/* dns_cache_store - one attempt to store c->val under c->key */
static enum state_status
dns_cache_store(struct dns_cache *c, size_t keep, struct why *why)
{
	struct state_txn *txn;
	enum state_status st;
	uint64_t old = 0;

	if ((st = state_txn_begin(c->db, true, &txn, why)) != STATE_OK)
		return st;
	/* Uses first, so that eviction sees them and old is current. */
	if ((st = dns_cache_apply(c, txn, why)) == STATE_OK)
		st = state_get(txn, DNS_CACHE_T_ANSWERS, c->key.data,
		    c->key.len, &c->tmp, why);
	if (st == STATE_OK && c->tmp.len >= DNS_CACHE_HDR)
		old =
		    be_get64((unsigned char *)c->tmp.data + DNS_CACHE_OFF_SEQ);
	if (st == STATE_NOTFOUND)
		st = STATE_OK;
	if (st == STATE_OK && keep < c->size)
		st = dns_cache_evict(c, txn, keep, why);
	if (st == STATE_OK)
		st = dns_cache_link(
		    c, txn, c->key.data, c->key.len, &c->val, old, why);
	if (st == STATE_OK)
		st = dns_cache_evict(c, txn, c->size, why);
	if (st == STATE_OK)
		return state_txn_commit(txn, why);
	state_txn_abort(txn);
	return st;
}

/* dns_cache_put - store an answer until now + its TTL */
void
dns_cache_put(struct dns_cache *c, const char *name, unsigned type,
    const struct dns_answer *ans, time_t now)
{
	enum state_status st;
	struct why why;

	if (c->db == NULL || ans->ttl == 0 ||
	    (ans->status != DNS_OK && ans->status != DNS_NODATA &&
	        ans->status != DNS_NXDOMAIN))
		return;
	dns_cache_key(c, name, type);
	dns_cache_encode(&c->val, ans, now + (time_t)ans->ttl);
	st = dns_cache_store(c, c->size, &why);
	/* Full map: make room by dropping the older three quarters. */
	if (st == STATE_FULL)
		st = dns_cache_store(c, c->size / 4, &why);
	if (st != STATE_OK)
		dns_cache_trouble(c, &why);
}

/* dns_cache_count - entries (0 without a store) */
size_t
dns_cache_count(struct dns_cache *c)
{
	struct state_txn *txn;
	struct why why;
	size_t n = 0;

	if (c == NULL || c->db == NULL ||
	    state_txn_begin(c->db, false, &txn, &why) != STATE_OK)
		return 0;
	(void)state_count(txn, DNS_CACHE_T_ANSWERS, &n, &why);
	state_txn_abort(txn);
	return n;
}
