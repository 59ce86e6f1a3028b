/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* deliver_resolve: turn a route into the addresses to try. */

#include <stdio.h>
#include <string.h>

#include "deliver_resolve.h"

/* deliver_resolve_literal - one target for an address literal hop */
static void
deliver_resolve_literal(
    const struct route_hop *h, unsigned index, struct deliver_target *t)
{
	snprintf(t->host, sizeof(t->host), "%s", h->host);
	snprintf(t->addr, sizeof(t->addr), "%s", h->host);
	t->port = h->port;
	t->host_index = index;
	t->rule = h->rule;
}

/* deliver_resolve - the route's addresses, in order */
enum sd_status
deliver_resolve(void *ctx, const struct route *r, struct deliver_target *out,
    size_t max, size_t *n, struct why *why)
{
	size_t i, k = 0;

	(void)ctx;
	/* XXX #3: host names and MX records need the resolver module. */
	if (r->kind == ROUTE_MX) {
		why_set(why, "4.4.3",
		    "cannot look up the MX records of %s: "
		    "no resolver in this build",
		    r->domain);
		return SD_TEMP;
	}
	for (i = 0; i < r->n && k < max; i++) {
		if (r->hops[i].kind == OVR_HOST_NAME)
			continue;
		deliver_resolve_literal(&r->hops[i], (unsigned)i, &out[k++]);
	}
	if (k == 0) {
		why_set(why, "4.4.3",
		    "cannot look up %s: no resolver in this "
		    "build",
		    r->n > 0 ? r->hops[0].host : r->domain);
		return SD_TEMP;
	}
	*n = k;
	return SD_OK;
}
