/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * What delivery asks the resolver: the MX set of a domain with the
 * addresses of every host, the addresses of one host, TLSA records.
 * Edge cases follow Postfix's smtp(8): a domain without MX is its own
 * mail server (implicit MX, RFC 5321 section 5.1); a lone MX "." is a
 * null MX (RFC 7505); an MX naming a CNAME is followed; an MX naming an
 * IP address is used as that address; MX hosts without address are
 * skipped, and when none is left the failure is temporary.
 */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "msg.h"
#include "xalloc.h"

/* dns_source_set - record where an answer came from */
static void
dns_source_set(struct dns_source *src, const struct dns_answer *ans)
{
	src->asked = true;
	src->status = ans->status;
	src->ttl = ans->ttl;
	src->from_cache = ans->from_cache;
	src->ad = ans->ad;
}

/* dns_host_init - an empty host */
static void
dns_host_init(struct dns_host *h, const char *name, unsigned pref)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = pref;
	h->status = DNS_TEMP;
	why_reset(&h->why);
}

/* dns_host_fini - free the addresses */
void
dns_host_fini(struct dns_host *h)
{
	free(h->addrs);
	h->addrs = NULL;
	h->addrs_n = 0;
}

/* dns_literal - parse an IPv4 or (bracketed) IPv6 address */
static bool
dns_literal(const char *name, struct dns_addr *addr)
{
	char buf[DNS_ADDR_TEXT_MAX];
	size_t len = strlen(name);

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, name, addr->bytes) == 1) {
		addr->family = AF_INET;
		return true;
	}
	if (len > 2 && len < sizeof(buf) + 2 && name[0] == '[' &&
	    name[len - 1] == ']') {
		memcpy(buf, name + 1, len - 2);
		buf[len - 2] = '\0';
		name = buf;
	}
	if (inet_pton(AF_INET6, name, addr->bytes) == 1) {
		addr->family = AF_INET6;
		return true;
	}
	return false;
}

/* dns_host_family - look up one family; addresses go to out[*n] */
static void
dns_host_family(struct dns *dns, struct dns_host *h, unsigned type,
    struct dns_addr *out, size_t *n, struct why *why)
{
	struct dns_answer ans;
	struct dns_source *src = type == DNS_T_A ? &h->a : &h->aaaa;
	size_t i, j, start = *n;
	struct dns_addr t;

	(void)dns_lookup(dns, h->name, type, &ans, why);
	dns_source_set(src, &ans);
	for (i = 0; i < ans.n && *n - start < DNS_ADDRS_MAX; i++) {
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].family = type == DNS_T_A ? AF_INET : AF_INET6;
		memcpy(out[*n].bytes, ans.recs[i].data, ans.recs[i].len);
		(*n)++;
	}
	/* Equal addresses in random order, as servers rotate them. */
	for (i = *n - start; i > 1; i--) {
		j = rnd_below(&dns->rnd, i);
		t = out[start + i - 1];
		out[start + i - 1] = out[start + j];
		out[start + j] = t;
	}
	dns_answer_fini(&ans);
}

/* dns_host_status - the host's status once its lookups are done */
static void
dns_host_status(struct dns_host *h, const struct why *w4, const struct why *w6)
{
	const struct dns_source *s[2] = {&h->a, &h->aaaa};
	const struct why *w[2] = {w4, w6};
	int i, nx = 0, asked = 0;

	if (h->addrs_n > 0) {
		h->status = DNS_OK;
		return;
	}
	for (i = 0; i < 2; i++) {
		if (!s[i]->asked)
			continue;
		asked++;
		if (s[i]->status == DNS_TEMP || s[i]->status == DNS_BADNAME) {
			h->status = s[i]->status;
			h->why = *w[i];
			return;
		}
		nx += s[i]->status == DNS_NXDOMAIN;
	}
	h->status = nx == asked ? DNS_NXDOMAIN : DNS_NODATA;
	why_set(&h->why, dns_status_dsn(h->status), "%s: %s", h->name,
	    nx == asked ? "no such domain (NXDOMAIN)" : "no address record");
}

/* dns_host_resolve - the addresses of h->name, families per options */
static enum dns_status
dns_host_resolve(struct dns *dns, struct dns_host *h)
{
	struct dns_addr addrs[2 * DNS_ADDRS_MAX], lit;
	struct why w4, w6;
	size_t n = 0;
	bool v6_first;

	if (dns_literal(h->name, &lit)) {
		h->is_literal = true;
		h->addrs = xmalloc(sizeof(*h->addrs));
		h->addrs[0] = lit;
		h->addrs_n = 1;
		h->status = DNS_OK;
		return DNS_OK;
	}
	why_reset(&w4);
	why_reset(&w6);
	v6_first = dns->prefer == DNS_PREFER_IPV6 ||
	    (dns->prefer == DNS_PREFER_ANY && rnd_below(&dns->rnd, 2) == 1);
	if (dns->family != DNS_FAMILY_IPV4 && v6_first)
		dns_host_family(dns, h, DNS_T_AAAA, addrs, &n, &w6);
	if (dns->family != DNS_FAMILY_IPV6)
		dns_host_family(dns, h, DNS_T_A, addrs, &n, &w4);
	if (dns->family != DNS_FAMILY_IPV4 && !v6_first)
		dns_host_family(dns, h, DNS_T_AAAA, addrs, &n, &w6);
	if (n > 0) {
		h->addrs = xcalloc(n, sizeof(*h->addrs));
		memcpy(h->addrs, addrs, n * sizeof(*addrs));
		h->addrs_n = n;
	}
	dns_host_status(h, &w4, &w6);
	return h->status;
}

/* dns_host_lookup - the addresses of one host */
enum dns_status
dns_host_lookup(
    struct dns *dns, const char *host, struct dns_host *out, struct why *why)
{
	char norm[DNS_NAME_MAX + 1];
	struct dns_addr lit;
	enum dns_status st;

	dns_host_init(out, host, 0);
	if (!dns_literal(host, &lit)) {
		if (!dns_name_normalise(host, norm)) {
			out->status = DNS_BADNAME;
			why_set(why, "5.1.2", "%.100s: not a valid host name",
			    host);
			out->why = *why;
			return DNS_BADNAME;
		}
		snprintf(out->name, sizeof(out->name), "%s", norm);
	}
	if ((st = dns_host_resolve(dns, out)) != DNS_OK)
		*why = out->why;
	return st;
}

/* dns_mxset_fini - free */
void
dns_mxset_fini(struct dns_mxset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		dns_host_fini(&set->hosts[i]);
	free(set->hosts);
	set->hosts = NULL;
	set->n = 0;
}

/* dns_mx_cmp - by preference */
static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_rec *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* dns_mx_hosts - hosts from MX records: sorted, equals shuffled, unique */
static void
dns_mx_hosts(struct dns *dns, struct dns_answer *ans, struct dns_mxset *set)
{
	size_t i, j, k, run;
	struct dns_rec t;

	qsort(ans->recs, ans->n, sizeof(*ans->recs), dns_mx_cmp);
	for (i = 0; i < ans->n; i = j) {
		for (j = i + 1;
		     j < ans->n && ans->recs[j].pref == ans->recs[i].pref;)
			j++;
		for (run = j - i; run > 1; run--) {
			k = i + rnd_below(&dns->rnd, run);
			t = ans->recs[i + run - 1];
			ans->recs[i + run - 1] = ans->recs[k];
			ans->recs[k] = t;
		}
	}
	set->hosts = xcalloc(ans->n, sizeof(*set->hosts));
	for (i = 0; i < ans->n && set->n < DNS_MX_MAX; i++) {
		const char *host = (const char *)ans->recs[i].data;

		/* "." among other MX records: nothing to deliver to. */
		if (*host == '\0')
			continue;
		for (j = 0; j < set->n; j++)
			if (strcmp(set->hosts[j].name, host) == 0)
				break;
		if (j < set->n)
			continue;
		dns_host_init(&set->hosts[set->n++], host, ans->recs[i].pref);
	}
}

/* dns_mx_no_address - the status when no host has an address */
static enum dns_status
dns_mx_no_address(const struct dns_mxset *set, struct why *why)
{
	const struct dns_host *h = set->implicit ? &set->hosts[0] : NULL;
	size_t i;

	/* Implicit MX: the domain itself has no address (or is gone). */
	if (h != NULL && h->status == DNS_TEMP) {
		*why = h->why;
		return DNS_TEMP;
	}
	if (h != NULL) {
		why_set(why, dns_status_dsn(h->status),
		    "%s: no MX record and %s", set->domain,
		    h->status == DNS_NXDOMAIN ? "no such domain (NXDOMAIN)"
		                              : "no A/AAAA record");
		return h->status == DNS_NXDOMAIN ? DNS_NXDOMAIN : DNS_NODATA;
	}
	why_set(why, "4.4.3", "%s: no MX host has an address", set->domain);
	for (i = 0; i < set->n; i++)
		if (set->hosts[i].why.text[0] != '\0') {
			why_set(why, "4.4.3",
			    "%s: no MX host has an address (%s)", set->domain,
			    set->hosts[i].why.text);
			break;
		}
	return DNS_TEMP;
}

/* dns_mx_lookup - the mail servers of a domain */
enum dns_status
dns_mx_lookup(
    struct dns *dns, const char *domain, struct dns_mxset *out, struct why *why)
{
	struct dns_answer ans;
	enum dns_status st;
	size_t i, usable = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	st = dns_lookup(dns, domain, DNS_T_MX, &ans, why);
	dns_source_set(&out->mx, &ans);
	if (st == DNS_OK || st == DNS_NODATA)
		dns_name_normalise(domain, out->domain);
	if (st == DNS_OK && ans.n == 1 && ans.recs[0].data[0] == '\0') {
		why_set(why, "5.1.10",
		    "%s: domain does not accept mail "
		    "(null MX, RFC 7505)",
		    out->domain);
		st = DNS_NULLMX;
	} else if (st == DNS_OK) {
		dns_mx_hosts(dns, &ans, out);
	} else if (st == DNS_NODATA) {
		out->implicit = true;
		out->hosts = xcalloc(1, sizeof(*out->hosts));
		dns_host_init(&out->hosts[0], out->domain, 0);
		out->n = 1;
		st = DNS_OK;
	}
	dns_answer_fini(&ans);
	if (st != DNS_OK)
		return st;
	for (i = 0; i < out->n; i++) {
		if (dns_host_resolve(dns, &out->hosts[i]) == DNS_OK)
			usable++;
		else
			msg_debug("skipping MX host %s: %s", out->hosts[i].name,
			    out->hosts[i].why.text);
	}
	return usable > 0 ? DNS_OK : dns_mx_no_address(out, why);
}

/* dns_tlsa_lookup - TLSA records at _port._tcp.host */
enum dns_status
dns_tlsa_lookup(struct dns *dns, const char *host, unsigned port,
    struct dns_answer *ans, struct why *why)
{
	char norm[DNS_NAME_MAX + 1], name[DNS_NAME_MAX + 32];

	if (!dns_name_normalise(host, norm) || port == 0 || port > 65535) {
		dns_answer_init(ans, DNS_T_TLSA);
		ans->status = DNS_BADNAME;
		why_set(why, "5.1.2", "%.100s: not a valid host name", host);
		return DNS_BADNAME;
	}
	snprintf(name, sizeof(name), "_%u._tcp.%s", port, norm);
	return dns_lookup(dns, name, DNS_T_TLSA, ans, why);
}
