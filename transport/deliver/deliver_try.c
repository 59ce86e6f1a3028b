/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * deliver_try: one address of a route's walk: a kept or new session,
 * then transactions for the group's pending recipients within the
 * session's limits (deliver_run_int.h).
 */

#include <stdlib.h>
#include <string.h>

#include "deliver_run_int.h"
#include "msg.h"
#include "xalloc.h"

/* One address's try: what deliver_try() and deliver_txn() share. */
struct deliver_try_run {
	struct deliver_ctx *ctx; /* the run */
	struct deliver_group *g; /* the recipients that share the route */
	const struct deliver_target *t; /* the address */
	const struct smtp_peer *peer; /* t for the smtp module */
	const struct deliver_tls *plan; /* the TLS of a try to t */
	struct deliver_outcome *out; /* every recipient's outcome */
	struct deliver_last *last; /* the walk's last failure */
	bool *skip_host; /* the rest of this host is to be skipped */
	bool *offered; /* per recipient (ctx->rcpts): in a transaction on
			  this address already */
	struct smtp_session *s; /* the session, NULL when none */
	bool reused; /* s was kept, and has carried nothing for us yet */
	bool later; /* a transaction on this address came before */
	bool ok; /* the last transaction ran to its end */
};

/*
 * deliver_try_connect - a new session for r (r->s NULL before), its TLS
 * counted for the reports and checked against a policy in testing; on
 * failure, under an enforced policy, the reason names the policy
 */
static bool
deliver_try_connect(struct deliver_try_run *r)
{
	const char *domain = r->g->route.domain;
	bool ok;

	ok = deliver_connect(
	    r->ctx, r->t, r->peer, r->plan, r->last, r->skip_host, &r->s);
	deliver_tls_report(r->ctx, r->t, domain, r->plan, r->s, true);
	if (ok)
		deliver_tls_check(r->ctx, r->t, domain, r->plan, r->s);
	else
		deliver_tls_failed(r->plan, domain, r->s, &r->last->why);
	return ok;
}

/*
 * deliver_txn_results - settle a transaction's recipients: pick[k] is
 * the recipient of rc[k]; st and why are the transaction's. Returns
 * whether another transaction may follow on the session.
 */
static bool
deliver_txn_results(struct deliver_try_run *r, const size_t *pick,
    struct smtp_rcpt *rc, size_t n, enum sd_status st, struct why *why)
{
	struct deliver_ctx *ctx = r->ctx;
	struct deliver_group *g = r->g;
	struct deliver_outcome *out = r->out;
	struct deliver_peer dpeer = {r->t->host, r->t->addr, r->t->port, 0};
	enum deliver_action act;
	size_t i, k;

	dpeer.conn_use = smtp_session_uses(r->s);
	for (k = 0; k < n; k++) {
		struct deliver_outcome *o = &out[pick[k]];

		if (rc[k].status == SD_OK) {
			deliver_finish(
			    ctx, o, DELIVER_RCPT_SENT, &rc[k].why, &dpeer);
		} else if (!rc[k].accepted && rc[k].why.smtp_code >= 400) {
			act = deliver_judge(ctx, DELIVER_FAIL_REPLY,
			    DELIVER_STAGE_RCPT, &dpeer, &rc[k].why);
			if (act == DELIVER_BOUNCE)
				deliver_finish(ctx, o, DELIVER_RCPT_BOUNCED,
				    &rc[k].why, &dpeer);
			else if (act == DELIVER_DEFER)
				deliver_finish(ctx, o, DELIVER_RCPT_DEFERRED,
				    &rc[k].why, &dpeer);
			else {
				/* 4xx to RCPT: this host's policy, try another. */
				/* Each keeps its own reply, as Postfix logs it. */
				o->why = rc[k].why;
				deliver_last_set(r->last, &rc[k].why, r->t);
				r->last->rcpt = true;
				*r->skip_host = true;
			}
		}
		/* Else the whole transaction failed: judged below. */
	}
	/* Before QUIT, whose reply may be slow to come. */
	deliver_record(ctx, out, false);
	r->ok = st == SD_OK;
	if (st == SD_OK)
		return true;
	act = deliver_judge(ctx,
	    deliver_gone(ctx) ? DELIVER_FAIL_LOCAL
	                      : deliver_fail_of(r->s, st, why),
	    deliver_stage_of(r->s), &dpeer, why);
	deliver_last_set(r->last, why, r->t);
	if (act == DELIVER_NEXT_HOST)
		*r->skip_host = true;
	/* A bounce is this transaction's; a deferral stops the group. */
	for (k = 0; k < n && act == DELIVER_BOUNCE; k++)
		if (out[pick[k]].status == DELIVER_RCPT_PENDING)
			deliver_finish(ctx, &out[pick[k]], DELIVER_RCPT_BOUNCED,
			    why, &dpeer);
	for (i = 0; i < g->n && act == DELIVER_DEFER; i++)
		if (out[g->idx[i]].status == DELIVER_RCPT_PENDING)
			deliver_finish(ctx, &out[g->idx[i]],
			    DELIVER_RCPT_DEFERRED, why, &dpeer);
	return act == DELIVER_BOUNCE &&
	    smtp_session_state(r->s) == SMTP_ST_READY;
}

/*
 * deliver_txn - the next transaction on this address: the pending
 * recipients not yet offered to it, as many as the session's limits
 * allow (deliver_batch.c); a session at its MAILMAX is ended and
 * another connected first. Returns whether another may follow.
 */
static bool
deliver_txn(struct deliver_try_run *r)
{
	struct deliver_ctx *ctx = r->ctx;
	struct deliver_group *g = r->g;
	struct deliver_limits lim;
	struct smtp_rcpt *rc = NULL;
	struct smtp_txn txn;
	enum sd_status st;
	struct why why;
	size_t *cand, *pick = NULL, i, n = 0, nc = 0;
	bool more = false;

	cand = xcalloc(g->n, sizeof(*cand));
	for (i = 0; i < g->n; i++)
		if (r->out[g->idx[i]].status == DELIVER_RCPT_PENDING &&
		    !r->offered[g->idx[i]])
			cand[nc++] = g->idx[i];
	if (nc == 0 || smtp_session_state(r->s) != SMTP_ST_READY)
		goto out;
	/* No further transaction for a caller that is gone: it defers. */
	if (r->later && deliver_gone(ctx)) {
		why_set(
		    &why, "4.3.0", "not sent: the delivery's caller is gone");
		deliver_last_set(r->last, &why, NULL);
		goto out;
	}
	/* A mark failed while this session connected or sent: no MAIL. */
	if (deliver_unsafe(ctx, g, r->out))
		goto out;
	if (deliver_session_spent(ctx, r->s)) {
		/* MAILMAX (RFC 9422) reached: a new connection for the rest. */
		msg_debug("%s: MAILMAX reached after %u transactions",
		    smtp_session_peer(r->s), smtp_session_uses(r->s));
		smtp_session_close(r->s);
		r->s = NULL;
		r->reused = false;
		if (!deliver_try_connect(r))
			goto out;
	}
	deliver_limits_get(ctx, r->s, &lim);
	pick = xcalloc(nc, sizeof(*pick));
	n = deliver_batch_pick(ctx->rcpts, cand, nc, &lim, pick);
	rc = xcalloc(n, sizeof(*rc));
	for (i = 0; i < n; i++) {
		r->offered[pick[i]] = true;
		rc[i].addr = ctx->rcpts[pick[i]];
		rc[i].orcpt = ctx->orcpts != NULL ? ctx->orcpts[pick[i]] : NULL;
	}
	why_reset(&why);
	txn.sender = ctx->sender;
	txn.envid = ctx->envid;
	txn.spool = ctx->spool;
	txn.rcpt = rc;
	txn.nrcpt = n;
	txn.wanted = ctx->wanted;
	txn.wanted_ctx = ctx->wanted_ctx;
	txn.keep_8bit = ctx->keep_8bit;
	txn.chunking = ctx->chunking;
	st = smtp_session_send(r->s, &txn, &why);
	if (r->reused && deliver_reuse_lost(r->s, st, rc, n)) {
		/* Closed while kept: nothing was sent, start afresh. */
		smtp_session_close(r->s);
		r->s = NULL;
		if (!deliver_try_connect(r))
			goto out;
		st = smtp_session_send(r->s, &txn, &why);
	}
	r->reused = false;
	r->later = true;
	more = deliver_txn_results(r, pick, rc, n, st, &why);

out:
	free(rc);
	free(pick);
	free(cand);
	return more;
}

/*
 * deliver_try - one address: connect (or take a kept connection),
 * hello, then transactions for the group's pending recipients, as
 * many as the server's limits ask. Returns false when the rest of
 * this host should be skipped (*skip_host) or nothing is pending any
 * more.
 */
bool
deliver_try(struct deliver_ctx *ctx, struct deliver_group *g,
    const struct deliver_target *t, struct deliver_outcome *out,
    struct deliver_last *last, bool *skip_host)
{
	struct deliver_peer dpeer = {t->host, t->addr, t->port, 0};
	struct deliver_try_run r;
	struct deliver_tls plan;
	struct smtp_peer peer;
	struct why why;

	memset(&r, 0, sizeof(r));
	memset(&plan, 0, sizeof(plan));
	/* Nothing more for a caller that is gone: the rest defers. */
	if (deliver_gone(ctx)) {
		why_set(
		    &why, "4.3.0", "not sent: the delivery's caller is gone");
		deliver_last_set(last, &why, NULL);
		return false;
	}
	if (deliver_unsafe(ctx, g, out))
		return false;
	deliver_smtp_peer(ctx, t, &peer);
	why_reset(&why);
	if (!deliver_tls_plan(ctx, t, g->route.domain, &peer, &plan, &why)) {
		deliver_tls_report(ctx, t, g->route.domain, &plan, NULL, false);
		deliver_judge(ctx, DELIVER_FAIL_TLS, DELIVER_STAGE_STARTTLS,
		    &dpeer, &why);
		deliver_last_set(last, &why, NULL);
		*skip_host = true;
		goto out;
	}
	r.ctx = ctx;
	r.g = g;
	r.t = t;
	r.peer = &peer;
	r.plan = &plan;
	r.out = out;
	r.last = last;
	r.skip_host = skip_host;
	r.offered = xcalloc(ctx->nrcpt, sizeof(*r.offered));
	r.s = deliver_reuse_get(ctx, &peer);
	r.reused = r.s != NULL;
	if (r.s == NULL && !deliver_try_connect(&r))
		goto out;
	if (r.reused)
		deliver_relay_log(ctx, r.s, &plan);
	while (deliver_txn(&r))
		;
	if (r.s != NULL && r.ok) {
		/* Kept for the next process, or QUIT. */
		deliver_reuse_put(ctx, &peer, r.s, g->route.domain);
		r.s = NULL;
	}

out:
	smtp_session_close(r.s);
	deliver_tls_fini(&plan);
	free(r.offered);
	return deliver_pending(g, out) && !*skip_host;
}
