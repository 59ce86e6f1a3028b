/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_run_int - one address's connection, shared by
 *	deliver_run.c (the walk), deliver_try.c (one address's session
 *	and transactions), deliver_conn.c (connect and judge),
 *	deliver_tls.c (DANE, MTA-STS) and deliver_batch.c (transactions
 *	within a session's limits)
 * DESCRIPTION
 *	deliver_conn.c turns a target into the smtp module's peer (TLS
 *	policy, credentials), opens and greets the session, logs the
 *	relay, and runs the failure policy (deliver_status.c) on what
 *	went wrong, remembering the last failure of a route's walk.
 *	deliver_tls.c decides the TLS of a try to an MX host: DANE
 *	first (RFC 7672: validated, usable TLSA records decide alone,
 *	under tls_policy dane and may, and for a domain with an MTA-STS
 *	policy),
 *	then the domain's MTA-STS policy (RFC 8461 section 5: enforce
 *	tries only MX hosts its mx patterns match, over STARTTLS with a
 *	certificate verified for the MX name, never in plaintext;
 *	testing goes on as without a policy and logs what would have
 *	failed), then tls_policy. Override hosts keep their own policy.
 *	deliver_batch.c sizes transactions to the limits of a session.
 *	Not for use outside deliver_*.c.
 * OWNERSHIP
 *	deliver_connect() gives the caller a session to close;
 *	deliver_tls_plan() fills a plan whose TLSA answer the caller
 *	releases with deliver_tls_fini(). Everything else is borrowed.
 * THREADS
 *	Safe for concurrent use of distinct contexts.
 * ERRORS
 *	deliver_connect() and deliver_tls_plan() return false with the
 *	reason in last or why (4.7.5 for a host that must not be tried).
 * SEE ALSO
 *	deliver_run.h, deliver.h, smtp.h, sts.h; RFC 7672, RFC 8461.
 */
#ifndef SMTPDIRECT_DELIVER_RUN_INT_H
#define SMTPDIRECT_DELIVER_RUN_INT_H

#include <stdbool.h>

#include "deliver.h"
#include "deliver_run.h"
#include "dns.h"
#include "route.h"
#include "smtp.h"
#include "sts.h"
#include "why.h"

/* The TLS of one try (deliver_tls.c). */
struct deliver_tls {
	enum sts_mode sts; /* the MTA-STS mode that governs the try:
			      STS_MODE_NONE when no policy does (none, an
			      override, or DANE decides) */
	bool sts_match; /* the MX host matches the policy (sts set) */
	bool dane; /* validated, usable TLSA records decide */
	bool tlsa_failed; /* the TLSA lookup failed: host not tried */
	bool tls_optional; /* TLS-Required: No decided: opportunistic TLS,
			      no policy, nothing counted */
	size_t ntlsa; /* records in tlsa */
	struct dns_answer ans; /* the TLSA answer (deliver_tls_fini) */
	struct smtp_tlsa tlsa[SMTP_TLSA_MAX]; /* records for the peer */
};

/* The last failure on a route's walk, and who gave it. */
struct deliver_last {
	struct why why; /* the reason */
	const struct deliver_target *peer; /* the server that answered;
					      NULL when none did */
	bool rcpt; /* the last try ended at RCPT: each recipient still
		      pending has that server's reply to it in its outcome */
	bool refused; /* the last try met a host that accepts no mail at
			 all (RFC 7504 521 greeting; why is 5.x.x): a
			 permanent answer, for that host only */
};

/* A try failed for every recipient in it: why, from peer (or NULL). */
void deliver_last_set(struct deliver_last *last, const struct why *why,
    const struct deliver_target *peer);

/*
 * Run the failure policy, as ctx configures it, on a failure of kind
 * fail at stage: why keeps the module's text and takes the policy's
 * code. Returns the action.
 */
enum deliver_action deliver_judge(const struct deliver_ctx *ctx,
    enum deliver_fail fail, enum deliver_stage stage,
    const struct deliver_peer *peer, struct why *why);

/* The kind of a session failure (s may be NULL: no session). */
enum deliver_fail deliver_fail_of(
    const struct smtp_session *s, enum sd_status st, const struct why *why);

/* The step at which session s (or NULL) last failed. */
enum deliver_stage deliver_stage_of(const struct smtp_session *s);

/* Address, TLS policy and credentials of target t into *p. */
void deliver_smtp_peer(const struct deliver_ctx *ctx,
    const struct deliver_target *t, struct smtp_peer *p);

/*
 * The TLS of a try to t for recipient domain domain into *plan and p
 * (policy, TLSA records): DANE, MTA-STS, tls_policy, as above. False
 * (why set, 4.7.5) when the host must not be tried: its TLSA lookup
 * failed, or an enforced policy's mx patterns do not match it.
 */
bool deliver_tls_plan(struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, struct smtp_peer *p, struct deliver_tls *plan,
    struct why *why);

/* Release the plan's TLSA answer. */
void deliver_tls_fini(struct deliver_tls *plan);

/*
 * After a try that failed (s: its session, or NULL when none was
 * made): under an enforced policy, a TLS failure becomes 4.7.5 and
 * names the policy.
 */
void deliver_tls_failed(const struct deliver_tls *plan, const char *domain,
    const struct smtp_session *s, struct why *why);

/*
 * A new session is ready: under a policy in testing, log what would
 * have failed under enforce.
 */
void deliver_tls_check(const struct deliver_ctx *ctx,
    const struct deliver_target *t, const char *domain,
    const struct deliver_tls *plan, const struct smtp_session *s);

/*
 * Count the TLS result of a try to t for TLS reports (ctx->tally): not
 * made (tried false: the plan refused the host), or made as session s
 * (new, not kept; NULL when the connection failed: nothing counted).
 */
void deliver_tls_report(struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, const struct deliver_tls *plan,
    const struct smtp_session *s, bool tried);

/* Log the relay line of a session ready for a transaction. */
void deliver_relay_log(const struct deliver_ctx *ctx,
    const struct smtp_session *s, const struct deliver_tls *plan);

/*
 * Connect to t as peer (TLS as planned) and say hello: *sp a ready
 * session. False with last set (last->refused for a 521 greeting;
 * *skip_host when the host's other addresses would fail alike).
 */
bool deliver_connect(struct deliver_ctx *ctx, const struct deliver_target *t,
    const struct smtp_peer *peer, const struct deliver_tls *plan,
    struct deliver_last *last, bool *skip_host, struct smtp_session **sp);

/* Recipients that share one route, and so one transaction. */
struct deliver_group {
	struct route route; /* the route */
	size_t *idx; /* indexes into ctx->rcpts */
	size_t n; /* entries in idx */
	struct deliver_target *t; /* its addresses, in order */
	size_t nt; /* entries in t */
	enum sd_status resolved; /* how resolving the route went */
	struct why why; /* why it failed */
	struct deliver_ctx *ctx; /* for the task */
	struct deliver_outcome *out; /* for the task */
};

/*
 * deliver_run.c, for deliver_try.c: settle recipient o (its outcome,
 * and whether it is still to be recorded in the retry state).
 */
void deliver_finish(struct deliver_ctx *ctx, struct deliver_outcome *o,
    enum deliver_rcpt_status st, const struct why *why,
    const struct deliver_peer *peer);

/*
 * Mark the recipients just delivered in the retry state, durably,
 * unless the exit is final and the message has no record yet (all:
 * mark every one).
 */
void deliver_record(
    struct deliver_ctx *ctx, struct deliver_outcome *out, bool all);

/* Whether a recipient of g is still pending in out. */
bool deliver_pending(
    const struct deliver_group *g, const struct deliver_outcome *out);

/* Whether the process the message is for went away. */
bool deliver_gone(const struct deliver_ctx *ctx);

/*
 * Once a delivery could not be recorded: defer g's pending recipients
 * rather than start another transaction. True when it did so.
 */
bool deliver_unsafe(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out);

/*
 * deliver_try.c: one address t of g's walk: a kept or new session,
 * then transactions for g's pending recipients (settled in out),
 * within the session's limits. last takes a failure. Returns false
 * when the rest of this host should be skipped (*skip_host) or
 * nothing is pending any more.
 */
bool deliver_try(struct deliver_ctx *ctx, struct deliver_group *g,
    const struct deliver_target *t, struct deliver_outcome *out,
    struct deliver_last *last, bool *skip_host);

/* deliver_batch.c: transactions within the limits of a session. */

/* The limits one session sets on its transactions; 0 = none. */
struct deliver_limits {
	unsigned long mail_max; /* transactions on the connection (MAILMAX) */
	unsigned long rcpt_max; /* recipients in one transaction: RCPTMAX,
				   or smtp_recipient_limit when lower */
	unsigned long domain_max; /* distinct recipient domains in one
				     transaction (RCPTDOMAINMAX) */
};

/*
 * The limits on s's transactions for ctx: what s's server announced
 * with LIMITS (RFC 9422) when ctx->limits, and ctx->rcpt_limit.
 */
void deliver_limits_get(const struct deliver_ctx *ctx,
    const struct smtp_session *s, struct deliver_limits *lim);

/*
 * Whether s has begun as many transactions as its server's MAILMAX
 * allows (counting those of earlier processes on a kept connection):
 * it can carry no more.
 */
bool deliver_session_spent(
    const struct deliver_ctx *ctx, const struct smtp_session *s);

/*
 * The next transaction's recipients: from the n candidates cand[]
 * (indexes into rcpts, in order), the first ones up to lim->rcpt_max
 * of at most lim->domain_max distinct domains (the part after the last
 * '@', compared case-insensitively); a candidate of a domain more is
 * left for a later transaction, and those after it are still
 * considered. The first candidate is always taken. The picked indexes
 * go to pick (room for n), in order. Returns how many (0 when n is 0).
 */
size_t deliver_batch_pick(char *const *rcpts, const size_t *cand, size_t n,
    const struct deliver_limits *lim, size_t *pick);

#endif
