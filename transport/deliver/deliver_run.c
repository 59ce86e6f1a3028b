/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* deliver_run: routes, groups, and the walk over hosts and addresses. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver_run.h"
#include "deliver_run_int.h"
#include "loop.h"
#include "msg.h"
#include "xalloc.h"

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

static size_t deliver_plan(struct deliver_ctx *ctx, struct deliver_outcome *out,
    struct deliver_group **groups);
static void deliver_group(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out);
static void deliver_finish(struct deliver_ctx *ctx, struct deliver_outcome *o,
    enum deliver_rcpt_status st, const struct why *why,
    const struct deliver_peer *peer);
static bool deliver_try(struct deliver_ctx *ctx, struct deliver_group *g,
    const struct deliver_target *t, struct deliver_outcome *out,
    struct deliver_last *last, bool *skip_host);

/* deliver_msg - the retry-state key of this message */
static struct retry_msg
deliver_msg(const struct deliver_ctx *ctx)
{
	struct retry_msg m = {ctx->queue_id, spool_fingerprint(ctx->spool)};

	return m;
}

/* deliver_elapsed - seconds since the run started */
static double
deliver_elapsed(const struct deliver_ctx *ctx)
{
	return (double)(mono_now_ms() - ctx->start_ms) / 1000.0;
}

/* deliver_finish - settle one recipient and remember it */
static void
deliver_finish(struct deliver_ctx *ctx, struct deliver_outcome *o,
    enum deliver_rcpt_status st, const struct why *why,
    const struct deliver_peer *peer)
{
	deliver_outcome_set(o, st, why, peer, deliver_elapsed(ctx));
	o->unrecorded = st == DELIVER_RCPT_SENT && ctx->retry != NULL &&
	    ctx->queue_id[0] != '\0';
}

/*
 * deliver_record - mark the recipients just delivered in the retry
 * state, durably, before anything else can go wrong; called when a
 * transaction's recipients are settled. A mark is read only when the
 * MTA runs this message again, which it does on exit 75, or when it
 * lost the result (it crashed, or an admin requeued the message). So
 * when the message has no record yet and every recipient is settled
 * with none deferred (the exit is final, deliver_status_exit()),
 * nothing is written: the common case (one recipient, delivered on the
 * first attempt) is spared a synchronous disk write. A message that
 * has a record ends with every delivered recipient in it (SPEC section
 * 2), and so does one whose caller went away (all, deliver_remember()).
 */
static void
deliver_record(struct deliver_ctx *ctx, struct deliver_outcome *out, bool all)
{
	struct retry_msg m = deliver_msg(ctx);
	struct why w;
	bool final = !ctx->has_record && !all;
	size_t i;

	for (i = 0; i < ctx->nrcpt && final; i++)
		final = out[i].status != DELIVER_RCPT_PENDING &&
		    out[i].status != DELIVER_RCPT_DEFERRED;
	for (i = 0; i < ctx->nrcpt && !final; i++) {
		if (!out[i].unrecorded)
			continue;
		out[i].unrecorded = false;
		if (retry_mark_delivered(
		        ctx->retry, &m, out[i].rcpt, time(NULL), &w) == SD_OK)
			continue;
		msg_error("%s: cannot record delivery to <%s>: %s",
		    ctx->queue_id, out[i].rcpt, w.text);
		if (!ctx->record_failed)
			ctx->record_why = w;
		ctx->record_failed = true;
	}
}

/* deliver_remember - mark what was delivered, whatever the exit */
void
deliver_remember(struct deliver_ctx *ctx, struct deliver_outcome *out)
{
	deliver_record(ctx, out, true);
}

/* deliver_gone - whether the process the message is for went away */
static bool
deliver_gone(const struct deliver_ctx *ctx)
{
	return ctx->wanted != NULL && !ctx->wanted(ctx->wanted_ctx);
}

/*
 * deliver_unsafe - once a delivery could not be recorded, defer the
 * group's pending recipients rather than start another transaction:
 * the MTA's retry would not know of what it delivered, and send it
 * again. True when it did so.
 */
static bool
deliver_unsafe(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out)
{
	struct why why;
	size_t i;

	if (!ctx->record_failed)
		return false;
	why_set(&why, "4.3.0",
	    "not sent: a delivery of this message could not be recorded "
	    "(%.300s), and another could be sent twice",
	    ctx->record_why.text);
	for (i = 0; i < g->n; i++)
		if (out[g->idx[i]].status == DELIVER_RCPT_PENDING)
			deliver_finish(ctx, &out[g->idx[i]],
			    DELIVER_RCPT_DEFERRED, &why, NULL);
	return true;
}

/*
 * deliver_try - one address: connect (or take a kept connection),
 * hello, one transaction for the group's pending recipients. Returns
 * false when the rest of this host should be skipped (*skip_host) or
 * nothing is pending any more.
 */
static bool
deliver_try(struct deliver_ctx *ctx, struct deliver_group *g,
    const struct deliver_target *t, struct deliver_outcome *out,
    struct deliver_last *last, bool *skip_host)
{
	struct deliver_peer dpeer = {t->host, t->addr, t->port, 0};
	struct smtp_session *s = NULL;
	struct deliver_tls plan;
	struct smtp_peer peer;
	struct smtp_rcpt *rc;
	struct smtp_txn txn;
	enum deliver_action act;
	enum sd_status st;
	struct why why;
	size_t i, k, n = 0;
	bool reused;

	/* Nothing more for a caller that is gone: the rest defers. */
	if (deliver_gone(ctx)) {
		why_set(&last->why, "4.3.0",
		    "not sent: the delivery's caller is gone");
		last->peer = NULL;
		last->rcpt = false;
		return false;
	}
	if (deliver_unsafe(ctx, g, out))
		return false;
	deliver_smtp_peer(ctx, t, &peer);
	rc = xcalloc(g->n, sizeof(*rc));
	for (i = 0; i < g->n; i++)
		if (out[g->idx[i]].status == DELIVER_RCPT_PENDING)
			rc[n++].addr = ctx->rcpts[g->idx[i]];
	why_reset(&why);
	if (!deliver_tls_plan(ctx, t, g->route.domain, &peer, &plan, &why)) {
		deliver_tls_report(ctx, t, g->route.domain, &plan, NULL, false);
		deliver_tls_fini(&plan);
		deliver_judge(
		    DELIVER_FAIL_TLS, DELIVER_STAGE_STARTTLS, &dpeer, &why);
		deliver_last_set(last, &why, NULL);
		*skip_host = true;
		goto out;
	}
	s = deliver_reuse_get(ctx, &peer);
	reused = s != NULL;
	if (s == NULL &&
	    !deliver_connect(ctx, t, &peer, &plan, last, skip_host, &s)) {
		deliver_tls_report(ctx, t, g->route.domain, &plan, s, true);
		deliver_tls_failed(&plan, g->route.domain, s, &last->why);
		deliver_tls_fini(&plan);
		goto out;
	}
	if (reused) {
		deliver_relay_log(ctx, s, &plan);
	} else {
		deliver_tls_report(ctx, t, g->route.domain, &plan, s, true);
		deliver_tls_check(ctx, t, g->route.domain, &plan, s);
	}
	/* A mark failed while this session connected: no MAIL. */
	if (deliver_unsafe(ctx, g, out)) {
		deliver_tls_fini(&plan);
		goto out;
	}
	txn.sender = ctx->sender;
	txn.spool = ctx->spool;
	txn.rcpt = rc;
	txn.nrcpt = n;
	txn.wanted = ctx->wanted;
	txn.wanted_ctx = ctx->wanted_ctx;
	txn.keep_8bit = ctx->keep_8bit;
	st = smtp_session_send(s, &txn, &why);
	if (reused && deliver_reuse_lost(s, st, rc, n)) {
		/* Closed while kept: nothing was sent, start afresh. */
		smtp_session_close(s);
		s = NULL;
		if (!deliver_connect(
		        ctx, t, &peer, &plan, last, skip_host, &s)) {
			deliver_tls_report(
			    ctx, t, g->route.domain, &plan, s, true);
			deliver_tls_failed(
			    &plan, g->route.domain, s, &last->why);
			deliver_tls_fini(&plan);
			goto out;
		}
		deliver_tls_report(ctx, t, g->route.domain, &plan, s, true);
		deliver_tls_check(ctx, t, g->route.domain, &plan, s);
		st = smtp_session_send(s, &txn, &why);
	}
	deliver_tls_fini(&plan);
	dpeer.conn_use = smtp_session_uses(s);
	for (i = 0, k = 0; i < g->n && k < n; i++) {
		struct deliver_outcome *o = &out[g->idx[i]];

		if (o->status != DELIVER_RCPT_PENDING)
			continue;
		if (rc[k].status == SD_OK) {
			deliver_finish(
			    ctx, o, DELIVER_RCPT_SENT, &rc[k].why, &dpeer);
		} else if (!rc[k].accepted && rc[k].why.smtp_code >= 400) {
			act = deliver_judge(DELIVER_FAIL_REPLY,
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
				deliver_last_set(last, &rc[k].why, t);
				last->rcpt = true;
				*skip_host = true;
			}
		} else if (st != SD_OK) {
			/* The whole transaction failed; judged below. */
		}
		k++;
	}
	/* Before QUIT, whose reply may be slow to come. */
	deliver_record(ctx, out, false);
	if (st != SD_OK) {
		act = deliver_judge(deliver_gone(ctx)
		        ? DELIVER_FAIL_LOCAL
		        : deliver_fail_of(s, st, &why),
		    deliver_stage_of(s), &dpeer, &why);
		deliver_last_set(last, &why, t);
		if (act == DELIVER_NEXT_HOST)
			*skip_host = true;
		for (i = 0; i < g->n &&
		     (act == DELIVER_BOUNCE || act == DELIVER_DEFER);
		     i++) {
			struct deliver_outcome *o = &out[g->idx[i]];

			if (o->status == DELIVER_RCPT_PENDING)
				deliver_finish(ctx, o,
				    act == DELIVER_BOUNCE
				        ? DELIVER_RCPT_BOUNCED
				        : DELIVER_RCPT_DEFERRED,
				    &why, &dpeer);
		}
	} else {
		/* Kept for the next process, or QUIT. */
		deliver_reuse_put(ctx, &peer, s, g->route.domain);
		s = NULL;
	}

out:
	smtp_session_close(s);
	free(rc);
	for (i = 0; i < g->n; i++)
		if (out[g->idx[i]].status == DELIVER_RCPT_PENDING)
			return !*skip_host;
	return false;
}

/* deliver_resolve_group - the addresses of a group's route */
static void
deliver_resolve_group(struct deliver_ctx *ctx, struct deliver_group *g)
{
	g->t = xcalloc(DELIVER_HOSTS_MAX, sizeof(*g->t));
	why_reset(&g->why);
	g->resolved = ctx->resolve(ctx->resolve_ctx, &g->route, g->t,
	    DELIVER_HOSTS_MAX, &g->nt, &g->why);
}

/* deliver_group - walk the addresses of a resolved group */
static void
deliver_group(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out)
{
	const struct deliver_target *t = g->t;
	struct deliver_last last;
	struct deliver_peer peer = {NULL, NULL, 0, 0};
	size_t n = g->nt, i;
	unsigned skip = (unsigned)-1;
	bool skip_host;

	if (g->resolved != SD_OK) {
		for (i = 0; i < g->n; i++)
			deliver_finish(ctx, &out[g->idx[i]],
			    g->resolved == SD_PERM ? DELIVER_RCPT_BOUNCED
			                           : DELIVER_RCPT_DEFERRED,
			    &g->why, NULL);
		return;
	}
	why_set(&last.why, "4.4.0", "no server for %s could be tried",
	    g->route.domain);
	last.peer = NULL;
	last.rcpt = false;
	for (i = 0; i < n; i++) {
		if (t[i].host_index == skip)
			continue;
		if (ctx->smtp.deadline_ms > 0 &&
		    mono_now_ms() >= ctx->smtp.deadline_ms) {
			why_set(&last.why, "4.4.7",
			    "deliver_time_limit reached "
			    "before %s[%s]:%u could be tried",
			    t[i].host, t[i].addr, t[i].port);
			last.peer = NULL;
			last.rcpt = false;
			break;
		}
		skip_host = false;
		if (!deliver_try(ctx, g, &t[i], out, &last, &skip_host)) {
			if (!skip_host)
				break;
			skip = t[i].host_index;
		}
	}
	/*
	 * Hosts ran out: pending is deferred (the code reads 4.x.x then),
	 * with the relay that gave the last reason, as Postfix logs it.
	 */
	if (last.peer != NULL) {
		peer.host = last.peer->host;
		peer.addr = last.peer->addr;
		peer.port = last.peer->port;
	}
	for (i = 0; i < g->n; i++) {
		struct deliver_outcome *o = &out[g->idx[i]];

		if (o->status == DELIVER_RCPT_PENDING)
			deliver_finish(ctx, o, DELIVER_RCPT_DEFERRED,
			    last.rcpt ? &o->why : &last.why,
			    last.peer != NULL ? &peer : NULL);
	}
}

/* deliver_group_task - deliver_group() as a task of the loop */
static void
deliver_group_task(void *arg)
{
	struct deliver_group *g = arg;

	deliver_group(g->ctx, g, g->out);
}

/* deliver_plan - settle earlier deliveries, route and group the rest */
static size_t
deliver_plan(struct deliver_ctx *ctx, struct deliver_outcome *out,
    struct deliver_group **groups)
{
	struct deliver_group *gs = xcalloc(ctx->nrcpt, sizeof(*gs));
	struct retry_msg m = deliver_msg(ctx);
	struct retry_rec rec;
	struct route r;
	struct why why;
	size_t i, j, ng = 0;
	char domain[OVR_DOMAIN_MAX + 1];

	for (i = 0; i < ctx->nrcpt; i++) {
		const char *rcpt = ctx->rcpts[i];
		unsigned long retries = 0;

		deliver_outcome_init(&out[i], rcpt);
		memset(&rec, 0, sizeof(rec));
		if (ctx->retry != NULL && ctx->queue_id[0] != '\0' &&
		    retry_get(ctx->retry, &m, rcpt, &rec, &why) != SD_OK) {
			deliver_finish(
			    ctx, &out[i], DELIVER_RCPT_DEFERRED, &why, NULL);
			continue;
		}
		/* A record, even one that delivered nobody yet. */
		if (rec.first != 0 || rec.delivered || rec.temp_failures > 0)
			ctx->has_record = true;
		if (rec.delivered) {
			why_set(&why, "2.0.0",
			    "already delivered in an earlier attempt");
			deliver_finish(
			    ctx, &out[i], DELIVER_RCPT_EARLIER, &why, NULL);
			continue;
		}
		retries = ctx->retries >= 0 ? (unsigned long)ctx->retries
		                            : rec.temp_failures;
		if (!route_domain_of(rcpt, domain, sizeof(domain))) {
			why_set(&why, "4.1.3", "bad recipient address <%.200s>",
			    rcpt);
			deliver_finish(
			    ctx, &out[i], DELIVER_RCPT_DEFERRED, &why, NULL);
			continue;
		}
		route_plan(ctx->map, domain, spool_size(ctx->spool), retries,
		    ctx->mx_port, ctx->rng, &r);
		for (j = 0; j < ng && !route_same(&gs[j].route, &r); j++)
			;
		if (j == ng) {
			gs[ng].route = r;
			gs[ng].idx = xcalloc(ctx->nrcpt, sizeof(size_t));
			ng++;
		} else {
			route_fini(&r);
		}
		gs[j].idx[gs[j].n++] = i;
	}
	*groups = gs;
	return ng;
}

/* deliver_run - deliver to every recipient, log each outcome */
void
deliver_run(struct deliver_ctx *ctx, struct deliver_outcome *out)
{
	struct deliver_group *gs = NULL;
	struct retry_msg m = deliver_msg(ctx);
	struct why why;
	size_t ng, i;
	void **tasks;

	ng = deliver_plan(ctx, out, &gs);
	/* DNS first, one lookup after another (most come from the cache);
	 * then every destination at once, each a task of one event loop. */
	tasks = xcalloc(ng + 1, sizeof(*tasks));
	for (i = 0; i < ng; i++) {
		deliver_resolve_group(ctx, &gs[i]);
		gs[i].ctx = ctx;
		gs[i].out = out;
		tasks[i] = &gs[i];
	}
	loop_run(deliver_group_task, tasks, ng, DELIVER_PARALLEL_MAX);
	deliver_record(ctx, out, false);
	for (i = 0; i < ng; i++) {
		route_fini(&gs[i].route);
		free(gs[i].idx);
		free(gs[i].t);
	}
	free(tasks);
	free(gs);
	for (i = 0; i < ctx->nrcpt; i++) {
		if (out[i].status == DELIVER_RCPT_DEFERRED &&
		    ctx->retry != NULL && ctx->queue_id[0] != '\0' &&
		    retry_note_temp(
		        ctx->retry, &m, out[i].rcpt, time(NULL), &why) != SD_OK)
			msg_warn("%s: cannot count the retry of <%s>: %s",
			    ctx->queue_id, out[i].rcpt, why.text);
		deliver_log_outcome(ctx->queue_id, &out[i]);
	}
}
