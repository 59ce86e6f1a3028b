/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_resolve - the addresses of a route, for deliver_run
 * DESCRIPTION
 *	The resolver callback of deliver_run(): override hops that are
 *	address literals become targets directly; host names and MX
 *	routes go to the resolver (dns.h). Hosts keep route order, each
 *	host's addresses in turn.
 * OWNERSHIP
 *	Targets are written into the caller's array.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	SD_OK; SD_TEMP (DNS failure or time-out, 4.4.3); SD_PERM (the
 *	domain does not exist, 5.1.2, or publishes a null MX, 5.1.10).
 * SEE ALSO
 *	deliver_run.h, dns.h, SPEC section 4 (Routing).
 */
#ifndef SMTPDIRECT_DELIVER_RESOLVE_H
#define SMTPDIRECT_DELIVER_RESOLVE_H

#include "deliver_run.h"

/* A deliver_resolve_fn; ctx is unused until the resolver is wired in. */
enum sd_status deliver_resolve(void *ctx, const struct route *r,
    struct deliver_target *out, size_t max, size_t *n, struct why *why);

#endif
