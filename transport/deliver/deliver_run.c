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

static size_t deliver_plan(struct deliver_ctx *ctx, struct deliver_outcome *out,
    struct deliver_group **groups);
static void deliver_group(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out);

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
void
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
void
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
bool
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
bool
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

/* deliver_resolve_group - the addresses of a group's route */
static void
deliver_resolve_group(struct deliver_ctx *ctx, struct deliver_group *g)
{
	g->t = xcalloc(DELIVER_HOSTS_MAX, sizeof(*g->t));
	why_reset(&g->why);
	g->resolved = ctx->resolve(ctx->resolve_ctx, &g->route, g->t,
	    DELIVER_HOSTS_MAX, &g->nt, &g->why);
}

/* deliver_pending - whether a recipient of g is still pending */
bool
deliver_pending(
    const struct deliver_group *g, const struct deliver_outcome *out)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (out[g->idx[i]].status == DELIVER_RCPT_PENDING)
			return true;
	return false;
}

/*
 * deliver_group_end - the addresses ran out with recipients pending:
 * bounce them when every address tried accepts no mail at all (RFC
 * 7504, end->refused), else defer them (the code reads 4.x.x then);
 * either with the relay that gave the reason, as Postfix logs it
 */
static void
deliver_group_end(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out, const struct deliver_last *end)
{
	struct deliver_peer peer = {NULL, NULL, 0, 0};
	size_t i;

	if (end->peer != NULL) {
		peer.host = end->peer->host;
		peer.addr = end->peer->addr;
		peer.port = end->peer->port;
	}
	for (i = 0; i < g->n; i++) {
		struct deliver_outcome *o = &out[g->idx[i]];

		if (o->status == DELIVER_RCPT_PENDING)
			deliver_finish(ctx, o,
			    end->refused ? DELIVER_RCPT_BOUNCED
			                 : DELIVER_RCPT_DEFERRED,
			    end->rcpt ? &o->why : &end->why,
			    end->peer != NULL ? &peer : NULL);
	}
}

/*
 * deliver_group - walk the addresses of a resolved group. A try that
 * leaves recipients pending ended temporarily for them (temp), or met
 * a host that accepts no mail (refusal): only refusals and nothing
 * else, no host left out by the resolver (g->why), bounce.
 */
static void
deliver_group(struct deliver_ctx *ctx, struct deliver_group *g,
    struct deliver_outcome *out)
{
	const struct deliver_target *t = g->t;
	struct deliver_last last, temp, refusal;
	size_t n = g->nt, i;
	unsigned skip = (unsigned)-1;
	bool skip_host, go, pending, temp_seen = false, refused = false;
	struct why why;

	if (g->resolved != SD_OK) {
		for (i = 0; i < g->n; i++)
			deliver_finish(ctx, &out[g->idx[i]],
			    g->resolved == SD_PERM ? DELIVER_RCPT_BOUNCED
			                           : DELIVER_RCPT_DEFERRED,
			    &g->why, NULL);
		return;
	}
	why_set(
	    &why, "4.4.0", "no server for %s could be tried", g->route.domain);
	deliver_last_set(&last, &why, NULL);
	if (g->why.text[0] != '\0') {
		deliver_last_set(&temp, &g->why, NULL);
		temp_seen = true;
	}
	for (i = 0; i < n; i++) {
		if (t[i].host_index == skip)
			continue;
		if (ctx->smtp.deadline_ms > 0 &&
		    mono_now_ms() >= ctx->smtp.deadline_ms) {
			why_set(&why, "4.4.7",
			    "deliver_time_limit reached "
			    "before %s[%s]:%u could be tried",
			    t[i].host, t[i].addr, t[i].port);
			deliver_last_set(&temp, &why, NULL);
			temp_seen = true;
			break;
		}
		skip_host = false;
		go = deliver_try(ctx, g, &t[i], out, &last, &skip_host);
		pending = deliver_pending(g, out);
		if (pending && last.refused) {
			refusal = last;
			refused = true;
			/* Skipped for now, as Postfix logs a host it skips. */
			if (i + 1 < n)
				msg_info("%s: %s",
				    ctx->queue_id[0] != '\0' ? ctx->queue_id
				                             : "NOQUEUE",
				    last.why.text);
		} else if (pending) {
			temp = last;
			temp_seen = true;
		}
		if (!go) {
			if (!skip_host)
				break;
			skip = t[i].host_index;
		}
	}
	deliver_group_end(
	    ctx, g, out, temp_seen ? &temp : (refused ? &refusal : &last));
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
