/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	sts_int - private declarations of the sts module
 * DESCRIPTION
 *	The policy cache (sts_cache.c: one record a domain in the state
 *	store "sts.lmdb" of state_dir, a cache: no fsync, a damaged file
 *	discarded) and the policy fetch (sts_fetch.c: the policy host
 *	resolved through our resolver, the body fetched over HTTPS with
 *	http.h, checked and parsed), shared with sts_get.c, which holds
 *	the control flow of RFC 8461 section 5.1. Unit tests include this
 *	header to reach the cache.
 * OWNERSHIP
 *	sts_cache_open() allocates, sts_cache_close() frees.
 * THREADS
 *	As sts.h.
 * ERRORS
 *	Cache functions never fail a delivery: trouble is logged and read
 *	as "nothing cached".
 * SEE ALSO
 *	sts.h, state.h, http.h.
 */
#ifndef SMTPDIRECT_STS_INT_H
#define SMTPDIRECT_STS_INT_H

#include <stdbool.h>
#include <time.h>

#include "dns.h"
#include "http.h"
#include "sts.h"
#include "why.h"

#define STS_CACHE_MAP_SIZE (64UL << 20) /* largest cache file, bytes */

/* What the cache keeps of a domain. */
struct sts_entry {
	bool has_policy; /* policy, id, fetched and expires are set */
	struct sts_policy policy; /* the last good policy */
	char id[STS_ID_MAX + 1]; /* the TXT id it was fetched for */
	time_t fetched; /* when it was fetched */
	time_t expires; /* fetched + max_age */
	time_t tried; /* the last fetch begun (or claimed) */
	enum sts_fetch_result last; /* how the last fetch ended;
				       STS_FETCH_NONE: under way */
};

struct sts_cache;

/*
 * Open the cache in dir (NULL when it cannot be opened: why says so,
 * and the caller goes on without).
 */
struct sts_cache *sts_cache_open(const char *dir, struct why *why);

/* Close it; NULL is ignored. */
void sts_cache_close(struct sts_cache *c);

/* Read domain's record into *e; false when none (or unreadable). */
bool sts_cache_get(
    struct sts_cache *c, const char *domain, struct sts_entry *e);

/* Write domain's record; false (logged) when it could not be. */
bool sts_cache_put(
    struct sts_cache *c, const char *domain, const struct sts_entry *e);

/*
 * Claim domain's next fetch: in one write transaction, true (tried
 * set to now, last to STS_FETCH_NONE: under way) unless a fetch that
 * did not succeed (failed, or is under way) began in the last
 * STS_RETRY_SECS, or the store cannot be used.
 */
bool sts_cache_claim(struct sts_cache *c, const char *domain, time_t now);

/*
 * Fetch domain's policy (https://mta-sts.DOMAIN/.well-known/mta-sts.txt,
 * the host's addresses from dns) into *out, within timeout_ms.
 * Returns: STS_FETCH_OK; STS_FETCH_ERROR (no answer, a redirect, a
 * status other than 200, not text/plain, over STS_POLICY_MAX bytes);
 * STS_FETCH_WEBPKI (the certificate of mta-sts.DOMAIN did not verify);
 * STS_FETCH_INVALID (the body did not parse). why says what.
 */
enum sts_fetch_result sts_fetch(struct http *h, struct dns *dns,
    const char *domain, const char *ca_file, unsigned long timeout_ms,
    struct sts_policy *out, struct why *why);

#endif
