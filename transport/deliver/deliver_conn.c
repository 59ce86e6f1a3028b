/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* deliver_conn: one address: its peer, connect and hello, and the
 * failure policy run on what went wrong (deliver_run_int.h). */

#include <stdio.h>
#include <string.h>

#include "deliver_run_int.h"
#include "msg.h"

/* deliver_last_set - a try failed for every recipient in it */
void
deliver_last_set(struct deliver_last *last, const struct why *why,
    const struct deliver_target *peer)
{
	last->why = *why;
	last->peer = peer;
	last->rcpt = false;
	last->refused = false;
}

/* deliver_judge - run the policy; keep the module's text, take its code */
enum deliver_action
deliver_judge(const struct deliver_ctx *ctx, enum deliver_fail fail,
    enum deliver_stage stage, const struct deliver_peer *peer, struct why *why)
{
	struct deliver_attempt a;
	struct why verdict;
	enum deliver_action act;

	memset(&a, 0, sizeof(a));
	a.fail = fail;
	a.stage = stage;
	a.peer = peer;
	a.code = why->smtp_code;
	a.dsn = why->dsn[0] != '\0' ? why->dsn : NULL;
	a.text = why->text;
	a.skip_521 = ctx->skip_521;
	why_reset(&verdict);
	act = deliver_status_classify(&a, &verdict);
	/* The smtp module already quoted the reply with the peer's name. */
	if (verdict.dsn[0] != '\0')
		memcpy(why->dsn, verdict.dsn, sizeof(why->dsn));
	if (fail != DELIVER_FAIL_REPLY && why->text[0] == '\0')
		memcpy(why->text, verdict.text, sizeof(why->text));
	return act;
}

/*
 * deliver_fail_of - the kind of a session failure: a refusal when the
 * server replied; a TLS or AUTH failure at those steps; without a reply,
 * SD_PERM is a definite finding of the module (5.3.4 SIZE, 5.6.7
 * SMTPUTF8) and anything else a broken session (lost, timed out,
 * garbled: the module's code says which).
 */
enum deliver_fail
deliver_fail_of(
    const struct smtp_session *s, enum sd_status st, const struct why *why)
{
	if (why->smtp_code != 0)
		return DELIVER_FAIL_REPLY;
	switch (s != NULL ? smtp_session_fail_state(s) : SMTP_ST_CONNECT) {
	case SMTP_ST_STARTTLS:
	case SMTP_ST_AUTH:
		return DELIVER_FAIL_TLS;
	default:
		return st == SD_PERM ? DELIVER_FAIL_CAPABILITY
		                     : DELIVER_FAIL_LOST;
	}
}

/* deliver_stage_of - the step at which the session last failed */
enum deliver_stage
deliver_stage_of(const struct smtp_session *s)
{
	switch (s != NULL ? smtp_session_fail_state(s) : SMTP_ST_CONNECT) {
	case SMTP_ST_MAIL:
		return DELIVER_STAGE_MAIL;
	case SMTP_ST_RCPT:
		return DELIVER_STAGE_RCPT;
	case SMTP_ST_DATA:
		return DELIVER_STAGE_DATA;
	case SMTP_ST_BODY:
		return DELIVER_STAGE_BODY;
	case SMTP_ST_DOT:
		return DELIVER_STAGE_DOT;
	case SMTP_ST_EHLO:
		return DELIVER_STAGE_EHLO;
	case SMTP_ST_HELO:
		return DELIVER_STAGE_HELO;
	case SMTP_ST_STARTTLS:
		return DELIVER_STAGE_STARTTLS;
	case SMTP_ST_AUTH:
		return DELIVER_STAGE_AUTH;
	default:
		return DELIVER_STAGE_GREETING;
	}
}

/* deliver_smtp_peer - address, TLS policy and credentials of a target */
void
deliver_smtp_peer(const struct deliver_ctx *ctx, const struct deliver_target *t,
    struct smtp_peer *p)
{
	const struct ovr_rule *r = t->rule;

	memset(p, 0, sizeof(*p));
	p->host = t->host;
	p->addr = t->addr;
	p->port = t->port;
	p->tls = r != NULL && r->has_tls ? r->tls : ctx->tls_policy;
	if (r != NULL && r->target.user != NULL) {
		p->user = r->target.user;
		p->user_len = r->target.user_len;
		p->pass = r->target.pass;
		p->pass_len = r->target.pass_len;
	}
}

/*
 * deliver_relay_log - "QID: relay=host[addr]:port, tls=...", with
 * "conn_use=N, " before tls= when the session carried N-1 messages
 * before (kept), as on the recipients' lines, and ", mta-sts=MODE"
 * when a policy governs the session (", tls-required=no" when the
 * message's TLS-Required: No set policies aside)
 */
void
deliver_relay_log(const struct deliver_ctx *ctx, const struct smtp_session *s,
    const struct deliver_tls *plan)
{
	char tls[SMTP_TLS_TEXT_MAX], use[32] = "", sts[32] = "";
	unsigned n = smtp_session_uses(s);

	if (n > 0)
		snprintf(use, sizeof(use), "conn_use=%u, ", n + 1);
	if (plan->sts != STS_MODE_NONE)
		snprintf(
		    sts, sizeof(sts), ", mta-sts=%s", sts_mode_name(plan->sts));
	else if (plan->tls_optional)
		snprintf(sts, sizeof(sts), ", tls-required=no");
	msg_info("%s: relay=%s, %s%s%s",
	    ctx->queue_id[0] != '\0' ? ctx->queue_id : "NOQUEUE",
	    smtp_session_peer(s), use,
	    smtp_session_tls_text(s, tls, sizeof(tls)), sts);
}

/*
 * deliver_connect - a new session to t, greeted and ready; false when
 * it failed (judged, last set; *skip_host when the host's other
 * addresses would fail alike)
 */
bool
deliver_connect(struct deliver_ctx *ctx, const struct deliver_target *t,
    const struct smtp_peer *peer, const struct deliver_tls *plan,
    struct deliver_last *last, bool *skip_host, struct smtp_session **sp)
{
	struct deliver_peer dpeer = {t->host, t->addr, t->port, 0};
	enum deliver_action act;
	enum sd_status st;
	struct why why;

	why_reset(&why);
	if (smtp_session_open(sp, peer, &ctx->smtp, &why) != SD_OK) {
		deliver_judge(ctx, DELIVER_FAIL_CONNECT, DELIVER_STAGE_GREETING,
		    &dpeer, &why);
		deliver_last_set(last, &why, NULL);
		return false;
	}
	if ((st = smtp_session_hello(*sp, &why)) != SD_OK) {
		act = deliver_judge(ctx, deliver_fail_of(*sp, st, &why),
		    deliver_stage_of(*sp), &dpeer, &why);
		deliver_last_set(last, &why, t);
		last->refused = act == DELIVER_HOST_REFUSES;
		/* A refused AUTH: the host's other addresses would refuse too. */
		if (act == DELIVER_NEXT_HOST)
			*skip_host = true;
		return false;
	}
	deliver_relay_log(ctx, *sp, plan);
	return true;
}
