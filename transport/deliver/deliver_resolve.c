/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* deliver_resolve: turn a route into the addresses to try. */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deliver_resolve.h"
#include "mono.h"
#include "msg.h"
#include "xalloc.h"

/* One MTA-STS answer, kept while targets point to it. */
struct deliver_sts_answer {
	struct sts_lookup l; /* the answer */
	struct deliver_sts_answer *next; /* the one resolved before */
};

/* Where targets go, and how many are there. */
struct deliver_fill {
	struct deliver_target *out; /* caller's array */
	size_t max; /* its size */
	size_t n; /* filled */
	bool left_out; /* a host of the route has no target here */
	struct why left; /* why (the last one left out) */
};

/* deliver_fill_left - a host of the route gets no target: why */
static void
deliver_fill_left(struct deliver_fill *f, const struct why *why)
{
	f->left_out = true;
	f->left = *why;
}

/* deliver_resolver_init - copy the options; open nothing yet */
void
deliver_resolver_init(struct deliver_resolver *res, const struct dns_opts *opts,
    long long deadline_ms)
{
	size_t n = opts->servers_n;

	memset(res, 0, sizeof(*res));
	res->opts = *opts;
	if (n > DNS_SERVERS_MAX)
		n = DNS_SERVERS_MAX;
	if (n > 0)
		memcpy(
		    res->servers, opts->servers, n * sizeof(res->servers[0]));
	res->opts.servers = res->servers;
	res->opts.servers_n = n;
	res->deadline_ms = deadline_ms;
	why_reset(&res->open_why);
}

/* deliver_resolver_fini - close what was opened */
void
deliver_resolver_fini(struct deliver_resolver *res)
{
	struct deliver_sts_answer *a, *next;

	for (a = res->sts_answers; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	res->sts_answers = NULL;
	dns_close(res->dns);
	res->dns = NULL;
}

/* deliver_resolver_refresh - queued policy refetches, after the message */
void
deliver_resolver_refresh(struct deliver_resolver *res)
{
	/* Twice a fetch's limit: the message's deadline may be past. */
	long long deadline = mono_now_ms() + 2LL * STS_TIMEOUT_MS;

	if (res->sts == NULL || res->dns == NULL)
		return;
	dns_deadline_set(res->dns, deadline);
	sts_refresh(res->sts, res->dns, time(NULL), deadline);
}

/* deliver_resolve_report - a failed policy fetch, for TLS reports */
static void
deliver_resolve_report(struct deliver_resolver *res, const char *domain,
    const struct sts_lookup *l)
{
	struct tlsrpt_session r;

	if (res->tally == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.domain = domain;
	r.type = TLSRPT_T_STS;
	r.ident = "";
	r.result = l->fetch == STS_FETCH_WEBPKI ? TLSRPT_STS_WEBPKI_INVALID
	    : l->fetch == STS_FETCH_INVALID     ? TLSRPT_STS_POLICY_INVALID
	                                        : TLSRPT_STS_POLICY_FETCH_ERROR;
	r.reason = l->fetch_why.text;
	tlsrpt_tally_add(res->tally, time(NULL), &r);
}

/*
 * deliver_resolve_sts - the MTA-STS answer for an MX route's domain,
 * kept until deliver_resolver_fini(); NULL without a context
 */
static const struct sts_lookup *
deliver_resolve_sts(
    struct deliver_resolver *res, struct dns *dns, const char *domain)
{
	struct deliver_sts_answer *a;
	struct sts_lookup *l;

	if (res->sts == NULL)
		return NULL;
	a = xmalloc(sizeof(*a));
	a->next = res->sts_answers;
	res->sts_answers = a;
	l = &a->l;
	sts_get(res->sts, dns, domain, time(NULL), res->deadline_ms, l);
	if (l->fetch_now && l->fetch != STS_FETCH_OK)
		deliver_resolve_report(res, domain, l);
	if (l->source != STS_SRC_NONE)
		msg_debug("%s: MTA-STS policy %s, mode %s, from %s, expires "
		          "in %lld s%s",
		    domain, l->id, sts_mode_name(l->policy.mode),
		    sts_source_name(l->source),
		    (long long)(l->expires - time(NULL)),
		    l->queued ? ", refetch queued" : "");
	return l;
}

/* deliver_resolver_dns - the resolver, opened on first need */
static struct dns *
deliver_resolver_dns(struct deliver_resolver *res, struct why *why)
{
	if (!res->tried) {
		res->tried = true;
		if (dns_open(&res->opts, &res->dns, &res->open_why) != DNS_OK)
			res->dns = NULL;
		else
			dns_deadline_set(res->dns, res->deadline_ms);
	}
	if (res->dns == NULL)
		why_set(
		    why, "4.4.3", "no DNS resolver: %s", res->open_why.text);
	return res->dns;
}

/* deliver_fill_one - append a target unless the array is full */
static void
deliver_fill_one(struct deliver_fill *f, const char *host, const char *addr,
    unsigned port, unsigned index, const struct ovr_rule *rule)
{
	struct deliver_target *t;
	struct why why;

	if (f->n >= f->max) {
		why_set(&why, "4.4.3",
		    "%s[%s]:%u not tried: more than %zu addresses", host, addr,
		    port, f->max);
		deliver_fill_left(f, &why);
		return;
	}
	t = &f->out[f->n++];
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->addr, sizeof(t->addr), "%s", addr);
	t->port = port;
	t->host_index = index;
	t->rule = rule;
	t->dnssec = false;
	t->sts = NULL;
}

/* deliver_host_secure - every address lookup of the host validated */
static bool
deliver_host_secure(const struct dns_host *h)
{
	if (h->is_literal || (!h->a.asked && !h->aaaa.asked))
		return false;
	return (!h->a.asked || h->a.ad) && (!h->aaaa.asked || h->aaaa.ad);
}

/*
 * deliver_fill_host - every address of a resolved host; secure says
 * whether what led to the host (the MX answer) was validated
 */
static void
deliver_fill_host(struct deliver_fill *f, const struct dns_host *h,
    unsigned port, unsigned index, const struct ovr_rule *rule, bool secure,
    const struct sts_lookup *sts)
{
	char buf[DELIVER_ADDR_MAX];
	bool dnssec = secure && deliver_host_secure(h);
	size_t i, from = f->n;

	for (i = 0; i < h->addrs_n; i++)
		deliver_fill_one(f, h->name,
		    dns_addr_str(&h->addrs[i], buf, sizeof(buf)), port, index,
		    rule);
	for (i = from; i < f->n; i++) {
		f->out[i].dnssec = dnssec;
		f->out[i].sts = sts;
	}
}

/*
 * deliver_resolve_literal_domain - a recipient domain "[192.0.2.1]" or
 * "[IPv6:2001:db8::1]" is its own mail server (RFC 5321 section 4.1.3)
 */
static enum sd_status
deliver_resolve_literal_domain(
    const struct route *r, struct deliver_fill *f, struct why *why)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char addr[DELIVER_ADDR_MAX];
	const char *p = r->domain + 1;
	size_t len = strlen(p);
	int family = AF_INET;

	if (len > 0 && p[len - 1] == ']')
		len--;
	if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
		family = AF_INET6;
	}
	if (len >= sizeof(addr) ||
	    (snprintf(addr, sizeof(addr), "%.*s", (int)len, p),
	        inet_pton(family, addr, bin) != 1)) {
		why_set(
		    why, "5.1.2", "%s: not a valid address literal", r->domain);
		return SD_PERM;
	}
	deliver_fill_one(f, addr, addr, r->mx_port, 0, NULL);
	return SD_OK;
}

/* deliver_resolve_mx - the MX hosts of the domain, with addresses */
static enum sd_status
deliver_resolve_mx(struct deliver_resolver *res, const struct route *r,
    struct deliver_fill *f, struct why *why)
{
	const struct sts_lookup *sts;
	struct dns_mxset set;
	struct dns *dns;
	enum dns_status st;
	struct why left;
	size_t i;

	if (r->domain[0] == '[')
		return deliver_resolve_literal_domain(r, f, why);
	if ((dns = deliver_resolver_dns(res, why)) == NULL)
		return SD_TEMP;
	st = dns_mx_lookup(dns, r->domain, &set, why);
	switch (st) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NULLMX:
	case DNS_NODATA:
	case DNS_BADNAME:
		dns_mxset_fini(&set);
		return SD_PERM;
	default:
		dns_mxset_fini(&set);
		return SD_TEMP;
	}
	sts = deliver_resolve_sts(res, dns, r->domain);
	for (i = 0; i < set.n; i++) {
		if (set.hosts[i].addrs_n == 0) {
			msg_info("%s: MX host %s skipped: %s", r->domain,
			    set.hosts[i].name, set.hosts[i].why.text);
			why_set(&left, "4.4.3",
			    "%s: MX host %s not tried: %.300s", r->domain,
			    set.hosts[i].name, set.hosts[i].why.text);
			deliver_fill_left(f, &left);
		}
		deliver_fill_host(f, &set.hosts[i], r->mx_port, (unsigned)i,
		    NULL, set.mx.ad, sts);
	}
	dns_mxset_fini(&set);
	if (f->n == 0) {
		why_set(
		    why, "4.4.3", "%s: no MX host has an address", r->domain);
		return SD_TEMP;
	}
	return SD_OK;
}

/* deliver_resolve_hops - the override servers, names resolved */
static enum sd_status
deliver_resolve_hops(struct deliver_resolver *res, const struct route *r,
    struct deliver_fill *f, struct why *why)
{
	struct dns_host h;
	struct dns *dns;
	struct why last, left;
	size_t i;

	why_set(&last, "4.4.3", "%s: the override lists no server", r->domain);
	for (i = 0; i < r->n; i++) {
		const struct route_hop *hop = &r->hops[i];

		if (hop->kind != OVR_HOST_NAME) {
			deliver_fill_one(f, hop->host, hop->host, hop->port,
			    (unsigned)i, hop->rule);
			continue;
		}
		if ((dns = deliver_resolver_dns(res, &last)) == NULL)
			continue;
		if (dns_host_lookup(dns, hop->host, &h, &last) == DNS_OK)
			deliver_fill_host(f, &h, hop->port, (unsigned)i,
			    hop->rule, true, NULL);
		else {
			msg_warn("%s: override server %s (line %lu) skipped: "
			         "%s",
			    r->domain, hop->host, hop->rule->line, last.text);
			why_set(&left, "4.4.3",
			    "%s: override server %s (line %lu) not tried: "
			    "%.300s",
			    r->domain, hop->host, hop->rule->line, last.text);
			deliver_fill_left(f, &left);
		}
		dns_host_fini(&h);
	}
	if (f->n == 0) {
		/* Never a bounce: the map, not the recipient, is at fault. */
		why_set(why, "4.4.3",
		    "no override server of %s has an "
		    "address: %s",
		    r->domain, last.text);
		return SD_TEMP;
	}
	return SD_OK;
}

/* deliver_resolve_tlsa - TLSA records of a host, for DANE */
enum dns_status
deliver_resolve_tlsa(void *ctx, const char *host, unsigned port,
    struct dns_answer *ans, struct why *why)
{
	struct deliver_resolver *res = ctx;
	struct dns *dns;

	if ((dns = deliver_resolver_dns(res, why)) == NULL) {
		memset(ans, 0, sizeof(*ans));
		ans->type = DNS_T_TLSA;
		ans->status = DNS_TEMP;
		return DNS_TEMP;
	}
	return dns_tlsa_lookup(dns, host, port, ans, why);
}

/* deliver_resolve - the route's addresses, in order */
enum sd_status
deliver_resolve(void *ctx, const struct route *r, struct deliver_target *out,
    size_t max, size_t *n, struct why *why)
{
	struct deliver_resolver *res = ctx;
	struct deliver_fill f;
	enum sd_status st;

	memset(&f, 0, sizeof(f));
	f.out = out;
	f.max = max;
	if (r->kind == ROUTE_MX)
		st = deliver_resolve_mx(res, r, &f, why);
	else
		st = deliver_resolve_hops(res, r, &f, why);
	*n = f.n;
	if (st == SD_OK && f.left_out)
		*why = f.left;
	else if (st == SD_OK)
		why_reset(why);
	return st;
}
