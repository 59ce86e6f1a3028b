/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_run_int - one address's connection, shared by
 *	deliver_run.c (the walk), deliver_conn.c (connect and judge) and
 *	deliver_batch.c (transactions within a session's limits)
 * DESCRIPTION
 *	deliver_conn.c turns a target into the smtp module's peer (TLS
 *	policy, credentials, DANE), opens and greets the session, logs
 *	the relay, and runs the failure policy (deliver_status.c) on
 *	what went wrong, remembering the last failure of a route's walk.
 *	deliver_batch.c sizes transactions to the limits of a session.
 *	Not for use outside deliver_*.c.
 * OWNERSHIP
 *	deliver_connect() gives the caller a session to close;
 *	deliver_dane() fills ans, which the caller releases
 *	(dns_answer_fini()). Everything else is borrowed.
 * THREADS
 *	Safe for concurrent use of distinct contexts.
 * ERRORS
 *	deliver_connect() and deliver_dane() return false with the
 *	reason in last or why.
 * SEE ALSO
 *	deliver_run.h, deliver.h, smtp.h.
 */
#ifndef SMTPDIRECT_DELIVER_RUN_INT_H
#define SMTPDIRECT_DELIVER_RUN_INT_H

#include <stdbool.h>

#include "deliver.h"
#include "deliver_run.h"
#include "dns.h"
#include "smtp.h"
#include "why.h"

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
 * For the dane policy, look up t's TLSA records into ans and tlsa
 * (SMTP_TLSA_MAX) and point p at them. False (why set) when the host
 * must not be tried.
 */
bool deliver_dane(struct deliver_ctx *ctx, const struct deliver_target *t,
    struct smtp_peer *p, struct dns_answer *ans, struct smtp_tlsa *tlsa,
    struct why *why);

/* Log the relay line of a session ready for a transaction. */
void deliver_relay_log(
    const struct deliver_ctx *ctx, const struct smtp_session *s);

/*
 * Connect to t as peer and say hello: *sp a ready session. False with
 * last set (last->refused for a 521 greeting; *skip_host when the
 * host's other addresses would fail alike).
 */
bool deliver_connect(struct deliver_ctx *ctx, const struct deliver_target *t,
    const struct smtp_peer *peer, struct deliver_last *last, bool *skip_host,
    struct smtp_session **sp);

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
