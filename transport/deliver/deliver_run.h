/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_run - deliver one spooled message to its recipients
 * DESCRIPTION
 *	deliver_run() plans each recipient's route (override map with the
 *	message size and the recipient's retry count, else the domain's
 *	MX), groups recipients that share a route into one transaction
 *	(or several on one connection, as the server's LIMITS and
 *	rcpt_limit ask: deliver_batch.c; a new connection at MAILMAX),
 *	resolves each route to addresses through a resolver callback, and
 *	tries hosts in route order and each address of a host in turn
 *	until the recipients are accepted or refused for good. Routes are
 *	resolved first, one after another; then the destinations are
 *	delivered at the same time (at most DELIVER_PARALLEL_MAX), each a
 *	task of one event loop (loop.h) on this thread. Every
 *	failure goes through deliver_status_classify(); recipients a
 *	transaction delivered are recorded in the retry state at once
 *	(before QUIT), unless by then every recipient is settled and none
 *	is deferred: the MTA will not run the message again, so no mark is
 *	needed. Deferred ones count one more temporary failure. Outcomes
 *	are logged, one line per recipient.
 * OWNERSHIP
 *	The context's members are borrowed for the call; outcomes are
 *	written into the caller's array (one per recipient, borrowing the
 *	recipient strings). Resolver results are owned by deliver_run.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	None returned: every recipient ends with an outcome; the exit
 *	status comes from deliver_status_exit().
 * SEE ALSO
 *	deliver.h, route.h, smtp.h, retry.h; SPEC sections 2, 4 and 6.
 */
#ifndef SMTPDIRECT_DELIVER_RUN_H
#define SMTPDIRECT_DELIVER_RUN_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "deliver.h"
#include "dns.h"
#include "ovr.h"
#include "retry.h"
#include "rnd.h"
#include "route.h"
#include "smtp.h"
#include "spool.h"
#include "sts.h"
#include "tlsrpt.h"
#include "why.h"

#define DELIVER_ADDR_MAX 64 /* longest numeric address text */
#define DELIVER_HOSTS_MAX 64 /* most addresses tried for one route */
#define DELIVER_PARALLEL_MAX 8 /* destinations delivered at once */

/* One address to try, in order. */
struct deliver_target {
	char host[SMTP_HOST_MAX + 1]; /* host name, or the address */
	char addr[DELIVER_ADDR_MAX]; /* numeric address, no brackets */
	unsigned port; /* TCP port */
	unsigned host_index; /* which host of the route */
	const struct ovr_rule *rule; /* override line, NULL for MX */
	bool dnssec; /* a host name whose MX (for MX routes) and address
			records were all DNSSEC-validated (AD): DANE applies */
	const struct sts_lookup *sts; /* MX targets: the recipient domain's
					 MTA-STS answer (the resolver's),
					 or NULL: mta_sts = no, an override,
					 an address literal */
};

/*
 * Resolver callback: fill at most max targets for route r, in the order
 * to try (hosts in route order, each host's addresses in turn).
 * Returns SD_OK with *n >= 1, SD_TEMP (try later), or SD_PERM (the
 * domain does not exist, 5.1.2, or publishes a null MX, 5.1.10), with
 * why filled. On SD_OK why is empty, or says why a host of the route
 * has no target (no address now, or beyond max): that host is not
 * tried, so the route cannot bounce for the hosts that were (RFC 7504).
 */
typedef enum sd_status (*deliver_resolve_fn)(void *ctx, const struct route *r,
    struct deliver_target *out, size_t max, size_t *n, struct why *why);

/*
 * TLSA callback (dane policy): the TLSA records of _port._tcp.host into
 * *ans, always initialised (release with dns_answer_fini); ans->ad says
 * whether they were validated. ctx is the resolve_ctx.
 * Returns: DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP, DNS_BADNAME.
 */
typedef enum dns_status (*deliver_tlsa_fn)(void *ctx, const char *host,
    unsigned port, struct dns_answer *ans, struct why *why);

/* Everything one run needs. */
struct deliver_ctx {
	const char *sender; /* "" for the null sender */
	const char *queue_id; /* for logs and retry state; may be "" */
	char **rcpts; /* recipients */
	size_t nrcpt; /* entries in rcpts */
	const char *envid; /* RFC 3461 ENVID to pass on; NULL: none */
	const char *const *orcpts; /* per recipient, its original address
				      for ORCPT (RFC 3461), an entry NULL
				      for none; NULL: none for all */
	long retries; /* -r value, or -1: from the state */
	const struct ovr_map *map; /* override map, NULL for none */
	unsigned mx_port; /* port for MX delivery */
	struct spool *spool; /* the message */
	struct retry_db *retry; /* retry state, NULL for none */
	deliver_resolve_fn resolve; /* resolver callback */
	void *resolve_ctx; /* its argument */
	deliver_tlsa_fn tlsa; /* TLSA lookups for dane; NULL: none (may) */
	struct smtp_opts smtp; /* session options, with the deadline */
	enum cfg_tls tls_policy; /* tls_policy, where a rule has no $tls: */
	struct rnd *rng; /* shuffles */
	long long start_ms; /* mono_now_ms() at start */
	const char *scache_dir; /* state_dir of kept connections, or NULL */
	unsigned long scache_keep_ms; /* session_cache_time; 0: keep none */
	struct deliver_keep *keep; /* a worker's kept sessions (TLS, AUTH),
				      or NULL: none kept in the process */
	smtp_wanted_fn wanted; /* NULL: the message is this process's to
				  send; else false once the process it is
				  delivered for is gone (smtp_txn.wanted):
				  nothing more is sent, the rest defers */
	void *wanted_ctx; /* its argument */
	bool keep_8bit; /* !downgrade_8bit (smtp_txn.keep_8bit) */
	bool skip_521; /* !greeting_521_bounces (deliver_attempt) */
	bool chunking; /* smtp_chunking (smtp_txn.chunking) */
	bool limits; /* smtp_limits: the servers' LIMITS (RFC 9422) are
			honoured: RCPTMAX and RCPTDOMAINMAX split the
			recipients over transactions, MAILMAX ends a
			connection */
	unsigned long rcpt_limit; /* smtp_recipient_limit: most recipients
				     in one transaction; 0 = no limit of
				     our own */
	struct tlsrpt_tally *tally; /* TLS results of MX sessions (TLS
				       reports), or NULL: not counted */
	bool tls_optional; /* the message says TLS-Required: No (RFC
			      8689) and tls_required_header is on: MX
			      hosts get opportunistic TLS whatever DANE,
			      MTA-STS and tls_policy say, and no session
			      is counted for TLS reports */
	bool has_record; /* set by deliver_run(): the message had a record
			    in the retry state */
	bool record_failed; /* a delivery could not be recorded: start no
			       further transaction (deliver_run.c) */
	struct why record_why; /* why it could not */
};

/* Deliver; out has ctx->nrcpt entries. */
void deliver_run(struct deliver_ctx *ctx, struct deliver_outcome *out);

/*
 * After deliver_run(): mark every recipient it delivered in the retry
 * state, also where the exit is final (deliver_run() writes nothing
 * then), because the MTA may never hear of it: the process the message
 * was delivered for went away, and the MTA will run it again.
 */
void deliver_remember(struct deliver_ctx *ctx, struct deliver_outcome *out);

/*
 * deliver_tls.c: in words, what a try to t (a target of a route for
 * recipient domain domain) would do about TLS, as deliver_run() would
 * decide it (DANE, the domain's MTA-STS policy, tls_policy), into buf
 * (size bytes); for smtpdirect policy. ctx needs tls_policy, tlsa and
 * resolve_ctx. Returns false when the host would not be tried (why
 * says why).
 */
bool deliver_tls_explain(struct deliver_ctx *ctx,
    const struct deliver_target *t, const char *domain, char *buf, size_t size,
    struct why *why);

/*
 * deliver_tls.c: whether sp's header says TLS-Required: No (RFC
 * 8689): exactly one such field, its value "No" (in any case).
 * False when the spool cannot be read (the delivery meets that
 * again).
 */
bool deliver_tls_required_no(struct spool *sp);

/* deliver_reuse.c: connections kept between processes (scache.h). */

#define DELIVER_REUSE_AGE_MS (300 * 1000) /* a connection's longest life */
#define DELIVER_REUSE_USES_MAX 100 /* most messages on one connection */

/*
 * A kept connection that can serve peer (plaintext policy, no
 * credentials), as a ready session the caller owns; NULL when none.
 */
struct smtp_session *deliver_reuse_get(
    const struct deliver_ctx *ctx, const struct smtp_peer *peer);

/*
 * Whether a transaction on a kept connection failed because the
 * connection was gone before anything was accepted (then nothing was
 * sent: the caller connects anew and runs it again).
 */
bool deliver_reuse_lost(const struct smtp_session *s, enum sd_status st,
    const struct smtp_rcpt *rc, size_t n);

/*
 * End s after a transaction that ran to its end, for recipient domain
 * domain: when younger than DELIVER_REUSE_AGE_MS, with fewer than
 * DELIVER_REUSE_USES_MAX transactions and below its server's MAILMAX
 * (when ctx->limits), a plaintext session without
 * credentials is kept for the next process (scache.h), and one under
 * TLS or with credentials in ctx->keep (RSET first when one is owed);
 * else QUIT. s is kept or freed either way.
 */
void deliver_reuse_put(const struct deliver_ctx *ctx,
    const struct smtp_peer *peer, struct smtp_session *s, const char *domain);

/*
 * deliver_keep.c: sessions a delivery worker keeps open between its
 * messages (cmd_worker.c), TLS and AUTH included, since neither can
 * pass to another process. A session is taken only by a peer it fits
 * exactly (smtp_session_fits()), only while idle for less than its
 * keep time and still alive (smtp_session_alive()). The set owns its
 * sessions; deliver_keep_take() gives one to the caller.
 */

#define DELIVER_KEEP_MAX 32 /* most sessions one worker keeps */

struct deliver_keep;

/* An empty set (deliver_keep_free()). */
struct deliver_keep *deliver_keep_new(void);

/* QUIT every kept session and free the set; NULL is fine. */
void deliver_keep_free(struct deliver_keep *k);

/*
 * The freshest kept session made for peer and opts, renewed with
 * opts's timeouts and deadline and now the caller's; NULL when none.
 * Sessions idle too long (now, mono_now_ms()) or gone on the way are
 * closed.
 */
struct smtp_session *deliver_keep_take(struct deliver_keep *k,
    const struct smtp_peer *peer, const struct smtp_opts *opts, long long now);

/*
 * Keep ready session s (smtp_session_keepable()) for keep_ms from now,
 * noting the recipient domain it served; the set takes s, and QUITs
 * its oldest session when full.
 */
void deliver_keep_put(struct deliver_keep *k, struct smtp_session *s,
    const char *domain, unsigned long keep_ms, long long now);

/* QUIT sessions idle too long; ms until the next expiry, -1: none kept. */
long long deliver_keep_expire(struct deliver_keep *k, long long now);

/* Fill pfd (max entries) with the kept sockets (POLLIN); how many. */
size_t deliver_keep_pollfds(
    const struct deliver_keep *k, struct pollfd *pfd, size_t max);

/* Close the kept sessions whose server closed them or spoke. */
void deliver_keep_check(struct deliver_keep *k);

/*
 * The recipient domains the kept sessions served, each once, as
 * NUL-terminated strings one after another in buf (size bytes; what
 * does not fit is left out). Returns the bytes used.
 */
size_t deliver_keep_domains(
    const struct deliver_keep *k, char *buf, size_t size);

/* Sessions kept. */
size_t deliver_keep_count(const struct deliver_keep *k);

#endif
