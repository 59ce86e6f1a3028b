/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * sts_get: the policy in force for a domain (RFC 8461 section 5.1),
 * from its TXT record, the cache and, when it must, a fetch; refetches
 * queued for after the message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "msg.h"
#include "sts_int.h"
#include "xalloc.h"

/* One queued refetch. */
struct sts_queued {
	char domain[DNS_NAME_MAX + 1]; /* the policy domain */
	char id[STS_ID_MAX + 1]; /* the TXT id it is fetched for */
};

/* A context. */
struct sts {
	char *state_dir; /* the cache's directory, or NULL */
	char *ca_file; /* CA bundle, or NULL */
	unsigned long timeout_ms; /* one fetch */
	struct sts_cache *cache; /* opened on first need */
	bool cache_tried; /* sts_cache_open() was called */
	struct http *http; /* loaded on first fetch */
	bool http_tried; /* http_open() was called */
	struct why http_why; /* why it failed */
	struct sts_queued queue[STS_QUEUE_MAX]; /* refetches to make */
	size_t queued; /* entries in queue */
};

/* The state of the TXT record. */
enum sts_txt_state {
	STS_TXT_NONE, /* none announces a policy (or they are invalid) */
	STS_TXT_OK, /* one announces a policy with an id */
	STS_TXT_UNKNOWN /* the lookup failed */
};

/* sts_new - a context */
struct sts *
sts_new(const struct sts_opts *o)
{
	struct sts *s = xcalloc(1, sizeof(*s));

	if (o->state_dir != NULL)
		s->state_dir = xstrdup(o->state_dir);
	if (o->ca_file != NULL && o->ca_file[0] != '\0')
		s->ca_file = xstrdup(o->ca_file);
	s->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : STS_TIMEOUT_MS;
	return s;
}

/* sts_free - release */
void
sts_free(struct sts *s)
{
	if (s == NULL)
		return;
	http_close(s->http);
	sts_cache_close(s->cache);
	free(s->ca_file);
	free(s->state_dir);
	free(s);
}

/* sts_cache - the cache, opened on first need (NULL: none) */
static struct sts_cache *
sts_cache(struct sts *s)
{
	struct why why;

	if (!s->cache_tried && s->state_dir != NULL) {
		s->cache_tried = true;
		s->cache = sts_cache_open(s->state_dir, &why);
		if (s->cache == NULL)
			msg_warn("MTA-STS cache: %s", why.text);
	}
	return s->cache;
}

/* sts_txt - the TXT record of domain */
static enum sts_txt_state
sts_txt(struct dns *dns, const char *domain, char *id)
{
	char name[DNS_NAME_MAX + 16];
	const char *texts[DNS_RR_MAX];
	size_t lens[DNS_RR_MAX], i;
	struct dns_answer ans;
	struct sts_txt t;
	enum dns_status st;
	enum sts_txt_state r = STS_TXT_NONE;
	struct why why;

	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	st = dns_lookup(dns, name, DNS_T_TXT, &ans, &why);
	if (st == DNS_TEMP) {
		msg_debug("%s: MTA-STS TXT lookup: %s", domain, why.text);
		r = STS_TXT_UNKNOWN;
	} else if (st == DNS_OK) {
		for (i = 0; i < ans.n && i < DNS_RR_MAX; i++) {
			texts[i] = (const char *)ans.recs[i].data;
			lens[i] = ans.recs[i].len;
		}
		if (sts_txt_pick(texts, lens, i, &t, &why) == STS_OK) {
			memcpy(id, t.id, sizeof(t.id));
			r = STS_TXT_OK;
		}
	}
	dns_answer_fini(&ans);
	return r;
}

/* sts_time_left - a fetch's time limit within the deadline */
static unsigned long
sts_time_left(const struct sts *s, long long deadline_ms)
{
	long long left;

	if (deadline_ms <= 0)
		return s->timeout_ms;
	left = deadline_ms - mono_now_ms();
	if (left <= 0)
		return 0;
	return (unsigned long long)left < s->timeout_ms ? (unsigned long)left
	                                                : s->timeout_ms;
}

/*
 * sts_fetch_now - fetch domain's policy for id into e (the cache
 * record, updated: tried and last; on success the policy too).
 * Returns the result; why says what went wrong.
 */
static enum sts_fetch_result
sts_fetch_now(struct sts *s, struct dns *dns, const char *domain,
    const char *id, time_t now, long long deadline_ms, struct sts_entry *e,
    struct why *why)
{
	struct sts_policy p;
	enum sts_fetch_result r;
	unsigned long ms = sts_time_left(s, deadline_ms);

	memset(&p, 0, sizeof(p));
	if (!s->http_tried) {
		s->http_tried = true;
		if (http_open(&s->http, &s->http_why) != HTTP_OK)
			msg_warn("MTA-STS: %s", s->http_why.text);
	}
	if (s->http == NULL) {
		why_set(why, "4.3.0", "MTA-STS policy of %s not fetched: %s",
		    domain, s->http_why.text);
		r = STS_FETCH_ERROR;
	} else if (ms == 0) {
		why_set(why, "4.4.7",
		    "MTA-STS policy of %s not fetched: "
		    "deliver_time_limit reached",
		    domain);
		r = STS_FETCH_ERROR;
	} else {
		r = sts_fetch(s->http, dns, domain, s->ca_file, ms, &p, why);
	}
	e->tried = now;
	e->last = r;
	if (r == STS_FETCH_OK) {
		e->has_policy = true;
		e->policy = p;
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->fetched = now;
		e->expires = now + (time_t)p.max_age;
	}
	return r;
}

/* sts_queue - queue a refetch of domain for id (once) */
static bool
sts_queue(struct sts *s, const char *domain, const char *id)
{
	size_t i;

	for (i = 0; i < s->queued; i++)
		if (strcmp(s->queue[i].domain, domain) == 0)
			return true;
	if (s->queued == STS_QUEUE_MAX)
		return false;
	snprintf(s->queue[s->queued].domain, sizeof(s->queue[0].domain), "%s",
	    domain);
	snprintf(s->queue[s->queued].id, sizeof(s->queue[0].id), "%s", id);
	s->queued++;
	return true;
}

/* sts_use - the cached record as the answer */
static void
sts_use(const struct sts_entry *e, enum sts_source src, struct sts_lookup *out)
{
	out->source = src;
	out->policy = e->policy;
	memcpy(out->id, e->id, sizeof(out->id));
	out->fetched = e->fetched;
	out->expires = e->expires;
}

/* sts_refresh_due - a valid cached policy that should be fetched again */
static bool
sts_refresh_due(const struct sts_entry *e, const char *id, time_t now)
{
	time_t age = (time_t)(e->policy.max_age / 2);

	if (age > STS_REFRESH_SECS)
		age = STS_REFRESH_SECS;
	if (strcmp(e->id, id) != 0 || now - e->fetched >= age)
		return e->last == STS_FETCH_OK || now < e->tried ||
		    now - e->tried >= STS_RETRY_SECS;
	return false;
}

/* sts_get - section 5.1 */
void
sts_get(struct sts *s, struct dns *dns, const char *domain, time_t now,
    long long deadline_ms, struct sts_lookup *out)
{
	struct sts_cache *c;
	struct sts_entry e;
	char id[STS_ID_MAX + 1] = "";
	enum sts_txt_state txt;
	bool cached, valid;

	memset(out, 0, sizeof(*out));
	why_reset(&out->fetch_why);
	txt = sts_txt(dns, domain, id);
	out->announced = txt == STS_TXT_OK;
	c = sts_cache(s);
	cached = sts_cache_get(c, domain, &e);
	valid = cached && e.has_policy && now < e.expires;
	if (valid) {
		/* Whatever the TXT record says now (section 5.1). */
		sts_use(&e, STS_SRC_CACHE, out);
		if (txt == STS_TXT_OK && sts_refresh_due(&e, id, now))
			out->queued = sts_queue(s, domain, id);
		return;
	}
	if (txt != STS_TXT_OK)
		return;
	/* A fetch failed lately: as without a policy until it is retried. */
	if (cached && e.last != STS_FETCH_OK && e.tried != 0 &&
	    now >= e.tried && now - e.tried < STS_RETRY_SECS) {
		out->fetch = e.last;
		why_set(&out->fetch_why, "4.7.0",
		    "MTA-STS policy of %s: the last fetch failed (%s), not "
		    "tried again before %ld s",
		    domain, sts_fetch_name(e.last),
		    (long)(e.tried + STS_RETRY_SECS - now));
		return;
	}
	if (!cached)
		memset(&e, 0, sizeof(e));
	out->fetch = sts_fetch_now(
	    s, dns, domain, id, now, deadline_ms, &e, &out->fetch_why);
	out->fetch_now = true;
	(void)sts_cache_put(c, domain, &e);
	if (out->fetch == STS_FETCH_OK)
		sts_use(&e, STS_SRC_FETCHED, out);
	else
		msg_info("%s: %s", domain, out->fetch_why.text);
}

/* sts_refresh - the queued refetches, each by one process */
void
sts_refresh(struct sts *s, struct dns *dns, time_t now, long long deadline_ms)
{
	struct sts_cache *c = sts_cache(s);
	struct sts_entry e;
	enum sts_fetch_result r;
	struct why why;
	size_t i;

	for (i = 0; i < s->queued; i++) {
		const struct sts_queued *q = &s->queue[i];

		if (!sts_cache_claim(c, q->domain, now))
			continue;
		if (!sts_cache_get(c, q->domain, &e))
			memset(&e, 0, sizeof(e));
		r = sts_fetch_now(
		    s, dns, q->domain, q->id, now, deadline_ms, &e, &why);
		(void)sts_cache_put(c, q->domain, &e);
		if (r == STS_FETCH_OK)
			msg_info("%s: MTA-STS policy %s refreshed: mode %s, "
			         "max_age %lu",
			    q->domain, q->id, sts_mode_name(e.policy.mode),
			    e.policy.max_age);
		else
			msg_info("%s: MTA-STS refresh: %s; the cached policy "
			         "stays",
			    q->domain, why.text);
	}
	s->queued = 0;
}

/* sts_fetch_name - RFC 8460 result type names */
const char *
sts_fetch_name(enum sts_fetch_result r)
{
	switch (r) {
	case STS_FETCH_OK:
		return "ok";
	case STS_FETCH_ERROR:
		return "sts-policy-fetch-error";
	case STS_FETCH_INVALID:
		return "sts-policy-invalid";
	case STS_FETCH_WEBPKI:
		return "sts-webpki-invalid";
	default:
		return "none";
	}
}

/* sts_source_name - for logs and the policy command */
const char *
sts_source_name(enum sts_source src)
{
	switch (src) {
	case STS_SRC_FETCHED:
		return "fetched";
	case STS_SRC_CACHE:
		return "cache";
	default:
		return "none";
	}
}
