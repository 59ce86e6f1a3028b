/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Route planning: override matches, or the domain's MX records. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idn.h"
#include "route.h"
#include "xalloc.h"

static bool route_target_same(
    const struct ovr_target *t, const struct ovr_target *u);
static bool route_hop_seen(const struct route *r, const struct ovr_rule *rule);

/* route_target_same - same host, port and credentials */
static bool
route_target_same(const struct ovr_target *t, const struct ovr_target *u)
{
	if (t->port != u->port || strcmp(t->host, u->host) != 0 ||
	    t->user_len != u->user_len || t->pass_len != u->pass_len)
		return false;
	if (t->user == NULL || u->user == NULL)
		return t->user == u->user;
	return memcmp(t->user, u->user, t->user_len) == 0 &&
	    memcmp(t->pass, u->pass, t->pass_len) == 0;
}

/* route_hop_seen - an earlier hop has the same target */
static bool
route_hop_seen(const struct route *r, const struct ovr_rule *rule)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (route_target_same(&r->hops[i].rule->target, &rule->target))
			return true;
	return false;
}

/* route_plan - overrides first, else MX */
void
route_plan(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries, unsigned mx_port,
    struct rnd *rng, struct route *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!route_domain_of(domain, out->domain, sizeof(out->domain)))
		snprintf(out->domain, sizeof(out->domain), "%s", domain);
	out->kind = ROUTE_MX;
	if (map == NULL ||
	    ovr_map_match(map, out->domain, size, retries, rng, &out->match) ==
	        0) {
		/* The resolver supplies MX hosts; mx_port applies to them. */
		out->mx_port = mx_port;
		return;
	}
	out->kind = ROUTE_OVERRIDE;
	out->hops = xcalloc(out->match.n, sizeof(*out->hops));
	for (i = 0; i < out->match.n; i++) {
		const struct ovr_rule *rule = out->match.order[i];
		struct route_hop *h;

		if (route_hop_seen(out, rule))
			continue;
		h = &out->hops[out->n++];
		h->rule = rule;
		h->host = rule->target.host;
		h->kind = rule->target.kind;
		h->port = rule->target.port;
		h->priority = rule->priority;
	}
}

/* route_fini - release */
void
route_fini(struct route *r)
{
	if (r->match.n > 0 || r->match.lines != NULL)
		ovr_match_fini(&r->match);
	free(r->hops);
	r->hops = NULL;
	r->n = 0;
}

/* route_same - same servers in the same order */
bool
route_same(const struct route *a, const struct route *b)
{
	size_t i;

	if (a->kind != b->kind)
		return false;
	if (a->kind == ROUTE_MX)
		return strcmp(a->domain, b->domain) == 0;
	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!route_target_same(
		        &a->hops[i].rule->target, &b->hops[i].rule->target))
			return false;
	return true;
}

/* route_domain_of - the domain part of an address */
bool
route_domain_of(const char *address, char *buf, size_t size)
{
	const char *at = strrchr(address, '@');
	const char *d = at ? at + 1 : address;
	size_t n = strlen(d), i;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n >= size || n > OVR_DOMAIN_MAX + 2)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_' &&
		    c != '[' && c != ']' && c != ':' && c < 0x80)
			return false;
		buf[i] = (char)tolower(c);
	}
	buf[n] = '\0';
	if (!idn_is_ascii(buf)) {
		/* U-labels: looked up and matched as their A-labels. */
		char ascii[OVR_DOMAIN_MAX + 3];
		const char *err;

		if (idn_to_ascii(buf, ascii, sizeof(ascii), &err) == IDN_BAD ||
		    strlen(ascii) >= size)
			return false;
		memcpy(buf, ascii, strlen(ascii) + 1);
	}
	return true;
}
