/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	route - which servers a recipient's mail goes to, in which order
 * DESCRIPTION
 *	Combines the override map with the rule of SPEC section 4: when any
 *	override line matches (domain, size, retries), its targets, ordered
 *	by priority, are the servers (host names resolved to A/AAAA, not
 *	MX); when none matches the route is "the domain's MX records" and
 *	the resolver fills the hosts in later. Identical targets are tried
 *	once. route_domain_of() takes the domain out of an address.
 *	This module does no DNS; it sits between ovr and dns.
 * OWNERSHIP
 *	route_plan() fills a caller-owned struct route; route_fini()
 *	releases it. Hops borrow host names and credentials from the map,
 *	which must outlive the route.
 * THREADS
 *	Safe for concurrent use of distinct routes (the map is read-only).
 * ERRORS
 *	route_plan() cannot fail. route_domain_of() returns false for an
 *	address with no usable domain (the caller defers or rejects).
 * SEE ALSO
 *	ovr.h, dns.h, SPEC section 4 (Routing).
 */
#ifndef SMTPDIRECT_ROUTE_H
#define SMTPDIRECT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "ovr.h"
#include "rnd.h"

/* How the servers were chosen. */
enum route_kind {
	ROUTE_MX, /* no override matched: the domain's MX records */
	ROUTE_OVERRIDE /* matching override lines give the servers */
};

/* One server to try, in order. */
struct route_hop {
	const struct ovr_rule *rule; /* the override line; NULL for MX */
	const char *host; /* name or literal, borrowed */
	enum ovr_host_kind kind; /* name, IPv4 or IPv6 literal */
	unsigned port; /* TCP port */
	unsigned priority; /* $priority or MX preference */
};

/* A route for one domain. */
struct route {
	enum route_kind kind; /* MX or override */
	char domain[OVR_DOMAIN_MAX + 1]; /* lower case, no trailing dot */
	struct route_hop *hops; /* override servers in order; NULL for MX */
	size_t n; /* entries in hops */
	unsigned mx_port; /* port for MX hosts (ROUTE_MX) */
	struct ovr_match match; /* the matching lines, file order */
};

/*
 * Plan the route for domain with the message size (bytes) and the
 * recipient's earlier temporary failures. map may be NULL (no overrides).
 * mx_port is the port for direct MX delivery. Fills *out; release with
 * route_fini().
 */
void route_plan(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries, unsigned mx_port,
    struct rnd *rng, struct route *out);

/* Release a route. */
void route_fini(struct route *r);

/* True when two routes send to the same servers in the same order. */
bool route_same(const struct route *a, const struct route *b);

/*
 * Copy the domain of address (the part after the last '@', or the whole
 * argument when it has none) into buf, lower case, trailing dot removed;
 * a domain in U-labels (UTF-8) is given as its A-labels (idn.h), so DNS
 * and the override map see "xn--bcher-kva.example" for "bücher.example".
 * Returns false when it is empty, too long, has bytes that cannot be in
 * a domain or address literal, or is not a valid internationalised name.
 */
bool route_domain_of(const char *address, char *buf, size_t size);

#endif
