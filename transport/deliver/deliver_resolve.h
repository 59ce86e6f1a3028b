/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_resolve - the addresses of a route, for deliver_run
 * DESCRIPTION
 *	The resolver callback of deliver_run(): override hops that are
 *	address literals become targets directly; host names (override
 *	targets, A/AAAA only) and MX routes go to the caching resolver
 *	(dns.h), which is opened on first need, so that a run that only
 *	uses address literals never touches DNS or its cache. A recipient
 *	domain that is an address literal ("[192.0.2.1]", "[IPv6:...]")
 *	is its own single target. Hosts keep route order, each host's
 *	addresses in turn. Override hosts and MX hosts without an address
 *	are skipped (logged); none left is a temporary failure. With an
 *	MTA-STS context (sts.h), an MX route's targets carry the
 *	recipient domain's policy answer (deliver_run.h), which
 *	deliver_tls.c applies; override routes and address literals have
 *	none. deliver_resolver_refresh() makes the policy refetches
 *	those answers queued, once the message is done.
 * OWNERSHIP
 *	deliver_resolver_init() copies the options (the server list
 *	included); deliver_resolver_fini() closes the resolver it opened
 *	and frees the MTA-STS answers (targets point to them until then);
 *	the sts context is the caller's. Targets are written into the
 *	caller's array.
 * THREADS
 *	Not thread-safe; one resolver per thread.
 * ERRORS
 *	SD_OK; SD_TEMP (DNS failure or time-out, no usable server, no
 *	host with an address: 4.4.3); SD_PERM (the domain does not exist,
 *	5.1.2; publishes a null MX, 5.1.10; exists without MX or address
 *	records, 5.4.4). Override targets never bounce: a host name that
 *	does not resolve is the administrator's to fix, so it defers.
 * SEE ALSO
 *	deliver_run.h, dns.h, SPEC sections 4 (Routing) and 5.
 */
#ifndef SMTPDIRECT_DELIVER_RESOLVE_H
#define SMTPDIRECT_DELIVER_RESOLVE_H

#include <stdbool.h>

#include "deliver_run.h"
#include "dns.h"
#include "sts.h"
#include "tlsrpt.h"

struct deliver_sts_answer;

/* The resolver state of one deliver run; the resolve_ctx of deliver_run. */
struct deliver_resolver {
	struct dns_opts opts; /* copied options; servers point below */
	struct dns_server servers[DNS_SERVERS_MAX];
	long long deadline_ms; /* mono_now_ms() time; 0 = none */
	struct dns *dns; /* opened on first need; NULL before or failed */
	bool tried; /* dns_open() was called */
	struct why open_why; /* why it failed */
	struct sts *sts; /* MTA-STS context (the caller's), NULL: none */
	struct tlsrpt_tally *tally; /* failed policy fetches are counted
				       here (the caller's), or NULL */
	struct deliver_sts_answer *sts_answers; /* one per MX route */
};

/*
 * Prepare a resolver with these options (servers copied) and deadline
 * (absolute mono_now_ms() time, 0 for none). Nothing is opened yet.
 */
void deliver_resolver_init(struct deliver_resolver *res,
    const struct dns_opts *opts, long long deadline_ms);

/* Close the resolver if it was opened; free the MTA-STS answers. */
void deliver_resolver_fini(struct deliver_resolver *res);

/*
 * Make the MTA-STS policy refetches that resolving queued (sts.h),
 * each within the fetch time limit; to be called once the message is
 * done (its caller answered).
 */
void deliver_resolver_refresh(struct deliver_resolver *res);

/*
 * A deliver_tlsa_fn; ctx is a struct deliver_resolver (opened on first
 * need like for addresses).
 */
enum dns_status deliver_resolve_tlsa(void *ctx, const char *host, unsigned port,
    struct dns_answer *ans, struct why *why);

/* A deliver_resolve_fn; ctx is a struct deliver_resolver. */
enum sd_status deliver_resolve(void *ctx, const struct route *r,
    struct deliver_target *out, size_t max, size_t *n, struct why *why);

#endif
