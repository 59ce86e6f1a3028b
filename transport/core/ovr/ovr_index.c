/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Override map index: exact patterns in one hash table, wildcard patterns
 * by their literal suffix in another, each key leading to its rules in
 * line order. Keys are hashed from the right so that the suffixes of a
 * domain hash incrementally, one byte more per suffix length.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "ovr_int.h"
#include "xalloc.h"

#define OVR_INDEX_BATCH 16 /* rules hashed and prefetched together */

static void ovr_filter_set(struct ovr_index *idx, uint64_t mixed);
static bool ovr_filter_test(const struct ovr_index *idx, uint64_t mixed);
static void ovr_htab_init(struct ovr_htab *h, size_t n);
static bool ovr_key_eq(const struct ovr_map *map, uint32_t i, const char *key,
    size_t klen, bool exact);
static struct ovr_slot *ovr_htab_find(const struct ovr_htab *h,
    const struct ovr_map *map, uint64_t mixed, const char *key, size_t klen,
    bool exact);
static uint64_t ovr_key_hash(
    const struct ovr_map *map, uint32_t i, size_t klen);
static void ovr_htab_insert(struct ovr_map *map, struct ovr_htab *h, uint32_t i,
    uint64_t mixed, size_t klen, bool exact);
static void ovr_index_batch(struct ovr_map *map, size_t lo, size_t hi);

/* ovr_vec_push - append an index, growing the array */
void
ovr_vec_push(struct ovr_vec *vec, uint32_t i)
{
	if (vec->n == vec->cap) {
		vec->cap = vec->cap > 0 ? vec->cap * 2 : 16;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof(*vec->v));
	}
	vec->v[vec->n++] = i;
}

/* ovr_index_suffix_len - bytes after the last wildcard */
size_t
ovr_index_suffix_len(const char *pattern, size_t len)
{
	size_t k = 0;

	while (k < len && !ovr_is_wild(pattern[len - 1 - k]))
		k++;
	return k;
}

/* ovr_filter_set - note a suffix key in the filter */
static void
ovr_filter_set(struct ovr_index *idx, uint64_t mixed)
{
	size_t bit = (size_t)(mixed >> 20) & idx->fmask;

	idx->filter[bit / 64] |= 1ULL << (bit % 64);
}

/* ovr_filter_test - false when no suffix key can have this hash */
static bool
ovr_filter_test(const struct ovr_index *idx, uint64_t mixed)
{
	size_t bit = (size_t)(mixed >> 20) & idx->fmask;

	return (idx->filter[bit / 64] & (1ULL << (bit % 64))) != 0;
}

/* ovr_htab_init - empty table for up to n keys, at most 2/3 full */
static void
ovr_htab_init(struct ovr_htab *h, size_t n)
{
	size_t cap = 16, i;

	while (cap < n + n / 2)
		cap *= 2;
	h->slot = xreallocarray(NULL, cap, sizeof(*h->slot));
	for (i = 0; i < cap; i++) {
		h->slot[i].check = 0;
		h->slot[i].head = OVR_NONE;
	}
	h->mask = cap - 1;
}

/* ovr_key_eq - does rule i carry this key (whole pattern or suffix) */
static bool
ovr_key_eq(const struct ovr_map *map, uint32_t i, const char *key, size_t klen,
    bool exact)
{
	size_t plen = 0;
	const char *p = ovr_map_key(map, i, &plen);

	if (p == NULL)
		return false;
	if (exact)
		return plen == klen && memcmp(p, key, klen) == 0;
	return plen > klen && ovr_is_wild(p[plen - klen - 1]) &&
	    memcmp(p + plen - klen, key, klen) == 0;
}

/*
 * ovr_htab_find - the slot of a key, or the empty slot where it would
 * go; NULL when a full table (only a damaged compiled map) has neither
 */
static struct ovr_slot *
ovr_htab_find(const struct ovr_htab *h, const struct ovr_map *map,
    uint64_t mixed, const char *key, size_t klen, bool exact)
{
	uint32_t check = (uint32_t)(mixed >> 32);
	size_t at = (size_t)mixed & h->mask, probes;
	struct ovr_slot *s;

	for (probes = 0; probes <= h->mask; probes++) {
		s = &h->slot[at];
		if (s->head == OVR_NONE)
			return s;
		if (s->check == check &&
		    ovr_key_eq(map, s->head, key, klen, exact))
			return s;
		at = (at + 1) & h->mask;
	}
	return NULL;
}

/* ovr_key_hash - mixed hash of the key of rule i (klen bytes at its end) */
static uint64_t
ovr_key_hash(const struct ovr_map *map, uint32_t i, size_t klen)
{
	const char *key = map->rules[i].pattern + map->pos[i].plen - klen;
	uint64_t hash = OVR_HASH_SEED;
	size_t k;

	for (k = klen; k > 0; k--)
		hash = ovr_hash_step(hash, (unsigned char)key[k - 1]);
	return ovr_hash_mix(hash);
}

/* ovr_htab_insert - put rule i in front of its key's chain */
static void
ovr_htab_insert(struct ovr_map *map, struct ovr_htab *h, uint32_t i,
    uint64_t mixed, size_t klen, bool exact)
{
	const char *key = map->rules[i].pattern + map->pos[i].plen - klen;
	struct ovr_slot *s;

	s = ovr_htab_find(h, map, mixed, key, klen, exact);
	if (s == NULL)
		msg_panic("%s: hash table full", __func__);
	if (s->head == OVR_NONE)
		s->check = (uint32_t)(mixed >> 32);
	map->idx.next[i] = s->head;
	s->head = i;
}

/*
 * ovr_index_batch - insert rules [lo, hi) backwards
 * The hashes of a batch are computed and their slots prefetched before
 * the inserts, so that the cache misses of a large table overlap.
 */
static void
ovr_index_batch(struct ovr_map *map, size_t lo, size_t hi)
{
	struct ovr_index *idx = &map->idx;
	uint64_t mixed[OVR_INDEX_BATCH] = {0}; /* set and read under one test */
	struct ovr_htab *h;
	size_t i, plen, slen;

	for (i = hi; i > lo; i--) {
		plen = map->pos[i - 1].plen;
		slen = map->pos[i - 1].slen;
		if (slen == 0)
			continue;
		h = slen == plen ? &idx->exact : &idx->suffix;
		mixed[i - 1 - lo] = ovr_key_hash(map, (uint32_t)(i - 1), slen);
		__builtin_prefetch(&h->slot[mixed[i - 1 - lo] & h->mask]);
	}
	for (i = hi; i > lo; i--) {
		plen = map->pos[i - 1].plen;
		slen = map->pos[i - 1].slen;
		if (slen == 0)
			continue;
		if (slen == plen) {
			ovr_htab_insert(map, &idx->exact, (uint32_t)(i - 1),
			    mixed[i - 1 - lo], slen, true);
		} else {
			ovr_htab_insert(map, &idx->suffix, (uint32_t)(i - 1),
			    mixed[i - 1 - lo], slen, false);
			idx->lens[slen / 64] |= 1ULL << (slen % 64);
			ovr_filter_set(idx, mixed[i - 1 - lo]);
		}
	}
}

/* ovr_index_build - index every rule of a parsed map */
void
ovr_index_build(struct ovr_map *map)
{
	struct ovr_index *idx = &map->idx;
	size_t i, nexact = 0, nsuffix = 0, nalways = 0, lo, fbits;

	memset(idx, 0, sizeof(*idx));
	for (i = 0; i < map->n; i++) {
		if (map->pos[i].slen == map->pos[i].plen)
			nexact++;
		else if (map->pos[i].slen == 0)
			nalways++;
		else
			nsuffix++;
	}
	idx->next = xreallocarray(NULL, map->n + 1, sizeof(*idx->next));
	idx->always = xreallocarray(NULL, nalways + 1, sizeof(*idx->always));
	ovr_htab_init(&idx->exact, nexact);
	ovr_htab_init(&idx->suffix, nsuffix);
	/* About 16 filter bits per suffix key: few false positives. */
	for (fbits = 64; fbits < nsuffix * 16; fbits *= 2)
		continue;
	idx->filter = xcalloc(fbits / 64, sizeof(*idx->filter));
	idx->fmask = fbits - 1;
	/* Backwards, so that prepending leaves each chain in line order. */
	for (i = map->n; i > 0; i = lo) {
		lo = i > OVR_INDEX_BATCH ? i - OVR_INDEX_BATCH : 0;
		ovr_index_batch(map, lo, i);
	}
	for (i = 0; i < map->n; i++)
		if (map->pos[i].slen == 0)
			idx->always[idx->nalways++] = (uint32_t)i;
}

/* ovr_index_free - release the index (not one in a compiled map) */
void
ovr_index_free(struct ovr_index *idx)
{
	free(idx->exact.slot);
	free(idx->suffix.slot);
	free(idx->next);
	free(idx->always);
	free(idx->filter);
	memset(idx, 0, sizeof(*idx));
}

/*
 * ovr_index_chain - append the chain of a slot (none for NULL); a chain
 * that leaves the rules or runs longer than the map (a damaged compiled
 * map) is cut there
 */
static void
ovr_index_chain(
    const struct ovr_map *map, const struct ovr_slot *s, struct ovr_vec *out)
{
	uint32_t i;
	size_t steps;

	if (s == NULL)
		return;
	for (i = s->head, steps = 0;
	     i != OVR_NONE && i < map->n && steps < map->n;
	     i = map->idx.next[i], steps++)
		ovr_vec_push(out, i);
}

/* ovr_index_candidates - rules that may match a lower-case domain */
void
ovr_index_candidates(const struct ovr_map *map, const char *domain, size_t len,
    struct ovr_vec *out)
{
	const struct ovr_index *idx = &map->idx;
	uint64_t hash = OVR_HASH_SEED, mixed;
	const struct ovr_slot *s;
	size_t k;

	if (map->n == 0)
		return;
	for (k = 1; k <= len; k++) {
		hash = ovr_hash_step(hash, (unsigned char)domain[len - k]);
		if (k > OVR_DOMAIN_MAX ||
		    (idx->lens[k / 64] & (1ULL << (k % 64))) == 0)
			continue;
		mixed = ovr_hash_mix(hash);
		if (!ovr_filter_test(idx, mixed))
			continue;
		s = ovr_htab_find(
		    &idx->suffix, map, mixed, domain + len - k, k, false);
		ovr_index_chain(map, s, out);
	}
	s = ovr_htab_find(
	    &idx->exact, map, ovr_hash_mix(hash), domain, len, true);
	ovr_index_chain(map, s, out);
	for (k = 0; k < idx->nalways; k++)
		ovr_vec_push(out, idx->always[k]);
}
