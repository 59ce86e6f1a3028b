/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	sts - MTA-STS (RFC 8461): which policy is in force for a domain
 * DESCRIPTION
 *	sts_get() answers for one recipient domain the way section 5.1
 *	says: the "_mta-sts" TXT record (through the caching resolver)
 *	and the policy cache in state_dir decide whether the policy must
 *	be fetched (no unexpired policy cached); a cached policy is used
 *	when the TXT id is the cached one, when the record is gone, and
 *	when a fetch fails; a cached policy whose id changed, or that was
 *	fetched long enough ago (half its max_age, at most a day), is
 *	used as it is for the message, and its refetch is queued for
 *	sts_refresh(), which the caller runs once the message is done:
 *	a valid cached policy never puts a fetch on a message's path.
 *	A refetch is made by one process (claimed in the cache); after
 *	one that failed, none is begun for STS_RETRY_SECS, and a failed
 *	first fetch is not tried again sooner either (the domain is then
 *	as without a policy, section 3.3).
 *	sts_txt_parse() reads one "_mta-sts" TXT record (section 3.1:
 *	"v=STSv1; id=...", extensions allowed); sts_txt_pick() applies
 *	the rule for several records: those that do not begin with
 *	v=STSv1 are left out, and anything but exactly one valid record
 *	left means no policy is announced. sts_policy_parse() reads a
 *	policy body (section 3.2: version, mode, max_age, mx lines; LF or
 *	CRLF line ends; unknown keys ignored; the first of a repeated
 *	key other than mx counts; mx required unless the mode is none;
 *	max_age of at most STS_MAX_AGE_MAX, larger values capped).
 *	sts_policy_mx_match() matches an MX host name against the
 *	policy's patterns (section 4.1: "*." stands for exactly one
 *	label). Pure functions: no I/O, no clock.
 * OWNERSHIP
 *	sts_new() allocates the context (its cache and HTTPS client
 *	opened on first need); sts_free() releases it. Results go to
 *	caller-owned structs.
 * THREADS
 *	The parsers and matcher are safe; a context is used by one thread.
 * ERRORS
 *	Parsers: STS_OK; STS_NONE (no record that announces a policy);
 *	STS_INVALID (a record or body that does not parse: treated as no
 *	policy, sections 3.1 and 3.2). The reason is in why ("4.7.0" and
 *	text naming what is wrong and where). sts_get() cannot fail: a
 *	domain whose policy cannot be had is one without (its fetch
 *	result says why, for TLS reports).
 * SEE ALSO
 *	RFC 8461 sections 3.1, 3.2, 3.3, 4.1, 5.1; RFC 5321 section
 *	4.1.2 (Domain); dns.h, http.h.
 */
#ifndef SMTPDIRECT_STS_H
#define SMTPDIRECT_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dns.h"
#include "why.h"

#define STS_ID_MAX 32 /* longest id of a TXT record, characters */
#define STS_MX_MAX 64 /* most mx lines a policy may have */
#define STS_HOST_MAX 253 /* longest MX host name or pattern's domain */
#define STS_POLICY_MAX (64 * 1024) /* largest policy body, bytes */
#define STS_MAX_AGE_MAX 31557600UL /* longest max_age, seconds (a year) */
#define STS_KEY_MAX 32 /* longest key of a policy line or TXT field */
#define STS_FILE "sts.lmdb" /* the policy cache in state_dir */
#define STS_RETRY_SECS 300 /* no fetch this long after a failed one */
#define STS_REFRESH_SECS 86400 /* a policy is refetched after at most */
#define STS_TIMEOUT_MS 10000 /* default time limit of one fetch */
#define STS_QUEUE_MAX 16 /* most refetches queued by one context */

/* The mode of a policy (section 5). */
enum sts_mode {
	STS_MODE_NONE, /* as without a policy */
	STS_MODE_TESTING, /* deliver as without one; report failures */
	STS_MODE_ENFORCE /* only matching MX hosts, verified TLS */
};

/* Results of the parsers. */
enum sts_status {
	STS_OK = 0, /* parsed */
	STS_NONE, /* no record announces a policy */
	STS_INVALID /* malformed: as no policy */
};

/* Where the policy in force came from. */
enum sts_source {
	STS_SRC_NONE, /* no policy: none announced, or none could be had */
	STS_SRC_FETCHED, /* fetched for this lookup */
	STS_SRC_CACHE /* the cache */
};

/* How a policy fetch ended (RFC 8460 section 4.3.2.2 result types). */
enum sts_fetch_result {
	STS_FETCH_NONE, /* no fetch was made */
	STS_FETCH_OK, /* a valid policy came */
	STS_FETCH_ERROR, /* sts-policy-fetch-error */
	STS_FETCH_INVALID, /* sts-policy-invalid */
	STS_FETCH_WEBPKI /* sts-webpki-invalid */
};

/* What a "_mta-sts" TXT record says. */
struct sts_txt {
	char id[STS_ID_MAX + 1]; /* the policy's id (1-32 letters, digits) */
};

/* A parsed policy. */
struct sts_policy {
	enum sts_mode mode; /* mode: */
	unsigned long max_age; /* max_age:, seconds, capped */
	size_t mx_n; /* mx: lines */
	char mx[STS_MX_MAX][STS_HOST_MAX + 3]; /* lower case, "*." kept */
};

/* The answer of sts_get(). */
struct sts_lookup {
	enum sts_source source; /* where policy came from */
	struct sts_policy policy; /* the policy (source not NONE) */
	char id[STS_ID_MAX + 1]; /* its id */
	time_t fetched; /* when it was fetched */
	time_t expires; /* when it expires */
	bool announced; /* a valid TXT record announces a policy */
	bool queued; /* a refetch was queued for sts_refresh() */
	enum sts_fetch_result fetch; /* a fetch made now, or the failed
					fetch that stands for the domain
					(STS_RETRY_SECS) */
	bool fetch_now; /* fetch was made by this lookup */
	struct why fetch_why; /* its reason when it failed */
};

/* How a context works. */
struct sts_opts {
	const char *state_dir; /* the cache's directory; NULL: no cache */
	const char *ca_file; /* CA bundle; NULL or "": the system store */
	unsigned long timeout_ms; /* one fetch; 0: STS_TIMEOUT_MS */
};

struct sts;

/* A context with these options (copied); nothing opened yet. */
struct sts *sts_new(const struct sts_opts *o);

/* Close its cache and HTTPS client, free it; NULL is ignored. */
void sts_free(struct sts *s);

/*
 * The policy in force for domain (lower case, A-labels) at now, its
 * TXT record and policy host looked up with dns; a fetch made here
 * ends by deadline_ms (mono_now_ms() time; 0: none) at the latest.
 * *out is always filled.
 */
void sts_get(struct sts *s, struct dns *dns, const char *domain, time_t now,
    long long deadline_ms, struct sts_lookup *out);

/*
 * Make the refetches sts_get() queued (each claimed first, so that
 * one process makes it), updating the cache; each ends by deadline_ms
 * (0: none). The queue is emptied.
 */
void sts_refresh(
    struct sts *s, struct dns *dns, time_t now, long long deadline_ms);

/* The RFC 8460 name of a fetch result ("sts-policy-fetch-error"). */
const char *sts_fetch_name(enum sts_fetch_result r);

/* The name of a source ("cache"). */
const char *sts_source_name(enum sts_source src);

/*
 * Parse one TXT record's text (its strings joined, len bytes, not
 * NUL-terminated) into *out.
 * Returns: STS_OK; STS_NONE (it does not begin with v=STSv1);
 * STS_INVALID (why set).
 */
enum sts_status sts_txt_parse(
    const char *text, size_t len, struct sts_txt *out, struct why *why);

/*
 * Of n TXT records (texts[i] of lens[i] bytes), the one policy record:
 * STS_OK with *out when exactly one begins with v=STSv1 and parses;
 * STS_NONE when none begins so; STS_INVALID when several do, or the
 * one does not parse (why set).
 */
enum sts_status sts_txt_pick(const char *const *texts, const size_t *lens,
    size_t n, struct sts_txt *out, struct why *why);

/*
 * Parse a policy body of len bytes into *out.
 * Returns: STS_OK; STS_INVALID (why names the line).
 */
enum sts_status sts_policy_parse(
    const char *body, size_t len, struct sts_policy *out, struct why *why);

/*
 * Whether MX host name host (any case, one trailing dot allowed) is
 * one the policy allows.
 */
bool sts_policy_mx_match(const struct sts_policy *p, const char *host);

/* The name of a mode ("enforce"). */
const char *sts_mode_name(enum sts_mode mode);

#endif
