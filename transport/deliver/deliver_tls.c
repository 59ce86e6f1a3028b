/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * deliver_tls: the TLS of one try to an MX host: DANE first, then the
 * recipient domain's MTA-STS policy, then tls_policy
 * (deliver_run_int.h).
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deliver_run_int.h"
#include "msg.h"
#include "sbuf.h"
#include "spool.h"

/* deliver_tls_sts - the MTA-STS answer that governs t, or NULL */
static const struct sts_lookup *
deliver_tls_sts(const struct deliver_target *t)
{
	const struct sts_lookup *l = t->sts;

	if (t->rule != NULL || l == NULL || l->source == STS_SRC_NONE ||
	    l->policy.mode == STS_MODE_NONE)
		return NULL;
	return l;
}

/*
 * deliver_tls_dane - RFC 7672 section 2.2: TLSA records only for a host
 * name reached through validated answers, used only when validated
 * themselves. Under tls_policy dane they go to the session whatever
 * they are (none usable: encrypt, smtp.h); under may (opportunistic
 * DANE) and for a domain with an MTA-STS policy they decide only when
 * one is usable (RFC 8461 section 2: DANE takes precedence). False
 * (why set) when the lookup failed.
 */
static bool
deliver_tls_dane(struct deliver_ctx *ctx, const struct deliver_target *t,
    bool sts, struct smtp_peer *p, struct deliver_tls *plan, struct why *why)
{
	char reason[WHY_TEXT_MAX];
	enum dns_status st;
	size_t i, usable = 0;

	if ((p->tls != CFG_TLS_DANE && p->tls != CFG_TLS_MAY && !sts) ||
	    !t->dnssec || ctx->tlsa == NULL)
		return true;
	st = ctx->tlsa(ctx->resolve_ctx, t->host, t->port, &plan->ans, why);
	if (st == DNS_TEMP) {
		plan->tlsa_failed = true;
		snprintf(reason, sizeof(reason), "%s", why->text);
		why_set(why, "4.7.5",
		    "TLSA lookup for %s port %u failed, so it is not tried: "
		    "%.300s",
		    t->host, t->port, reason);
		return false;
	}
	if (st != DNS_OK || !plan->ans.ad)
		return true;
	for (i = 0; i < plan->ans.n && i < SMTP_TLSA_MAX; i++) {
		plan->tlsa[i].usage = plan->ans.recs[i].usage;
		plan->tlsa[i].selector = plan->ans.recs[i].selector;
		plan->tlsa[i].mtype = plan->ans.recs[i].mtype;
		plan->tlsa[i].data = plan->ans.recs[i].data;
		plan->tlsa[i].len = plan->ans.recs[i].len;
		if (smtp_tlsa_usable(&plan->tlsa[i]))
			usable++;
	}
	if (p->tls != CFG_TLS_DANE && usable == 0)
		return true;
	p->tls = CFG_TLS_DANE;
	p->tlsa = plan->tlsa;
	p->ntlsa = i;
	plan->ntlsa = i;
	plan->dane = usable > 0;
	return true;
}

/* deliver_tls_required_no - the message's TLS-Required: No */
bool
deliver_tls_required_no(struct spool *sp)
{
	char val[16];
	struct why why;

	return spool_header(sp, "TLS-Required", val, sizeof(val), &why) == 1 &&
	    strcasecmp(val, "no") == 0;
}

/* deliver_tls_plan - TLS-Required: No, DANE, MTA-STS, tls_policy */
bool
deliver_tls_plan(struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, struct smtp_peer *p, struct deliver_tls *plan,
    struct why *why)
{
	const struct sts_lookup *l = deliver_tls_sts(t);

	memset(plan, 0, sizeof(*plan));
	/*
	 * RFC 8689: the sender asks that recipient-side
	 * policies be ignored; as Postfix, opportunistic TLS to the MX
	 * hosts. Override lines keep theirs: the administrator chose the
	 * relay, and credentials may go to it.
	 */
	if (ctx->tls_optional && t->rule == NULL) {
		plan->tls_optional = true;
		if (p->tls != CFG_TLS_NONE)
			p->tls = CFG_TLS_MAY;
		return true;
	}
	if (!deliver_tls_dane(ctx, t, l != NULL, p, plan, why))
		return false;
	if (l == NULL || plan->dane)
		return true;
	plan->sts = l->policy.mode;
	plan->sts_match = sts_policy_mx_match(&l->policy, t->host);
	if (plan->sts != STS_MODE_ENFORCE)
		return true;
	if (!plan->sts_match) {
		why_set(why, "4.7.5",
		    "MX host %s does not match the MTA-STS policy of %s "
		    "(mode enforce), so it is not tried",
		    t->host, domain);
		return false;
	}
	/* STARTTLS, a certificate verified for the MX name, no plaintext. */
	p->tls = CFG_TLS_VERIFY;
	p->tlsa = NULL;
	p->ntlsa = 0;
	return true;
}

/* deliver_tls_fini - release the TLSA answer */
void
deliver_tls_fini(struct deliver_tls *plan)
{
	dns_answer_fini(&plan->ans);
}

/* deliver_tls_failed - an enforced policy's TLS failure: 4.7.5 */
void
deliver_tls_failed(const struct deliver_tls *plan, const char *domain,
    const struct smtp_session *s, struct why *why)
{
	size_t n;

	if (plan->sts != STS_MODE_ENFORCE || s == NULL ||
	    smtp_session_fail_state(s) != SMTP_ST_STARTTLS)
		return;
	snprintf(why->dsn, sizeof(why->dsn), "4.7.5");
	n = strlen(why->text);
	snprintf(why->text + n, sizeof(why->text) - n,
	    " (MTA-STS policy of %s: enforce)", domain);
}

/* deliver_tls_fault_text - what went wrong with a session's TLS */
static const char *
deliver_tls_fault_text(const struct smtp_session *s)
{
	switch (smtp_session_tls_fault(s)) {
	case SMTP_TLS_FAULT_NOT_OFFERED:
		return "STARTTLS not offered";
	case SMTP_TLS_FAULT_REFUSED:
		return "STARTTLS refused";
	case SMTP_TLS_FAULT_HANDSHAKE:
		return "TLS handshake failed";
	case SMTP_TLS_FAULT_NONE:
		return NULL;
	default:
		return smtp_session_tls_fault_text(s);
	}
}

/* deliver_tls_check - testing: what enforce would have refused */
void
deliver_tls_check(const struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, const struct deliver_tls *plan,
    const struct smtp_session *s)
{
	const char *qid = ctx->queue_id[0] != '\0' ? ctx->queue_id : "NOQUEUE";
	const char *fault;

	if (plan->sts != STS_MODE_TESTING)
		return;
	if (!plan->sts_match)
		msg_warn("%s: MTA-STS policy of %s (testing): MX host %s does "
		         "not match it; delivered anyway",
		    qid, domain, t->host);
	else if ((fault = deliver_tls_fault_text(s)) != NULL)
		msg_warn("%s: MTA-STS policy of %s (testing): %s: %s; "
		         "delivered anyway",
		    qid, domain, smtp_session_peer(s), fault);
}

/* deliver_tls_explain - deliver_tls_plan() in words */
bool
deliver_tls_explain(struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, char *buf, size_t size, struct why *why)
{
	struct deliver_tls plan;
	struct smtp_peer p;
	bool ok;

	deliver_smtp_peer(ctx, t, &p);
	ok = deliver_tls_plan(ctx, t, domain, &p, &plan, why);
	if (!ok)
		snprintf(buf, size, "not tried");
	else if (plan.dane)
		snprintf(buf, size,
		    "DANE: STARTTLS, authenticated by %zu validated TLSA "
		    "record%s",
		    p.ntlsa, p.ntlsa == 1 ? "" : "s");
	else if (plan.sts == STS_MODE_ENFORCE)
		snprintf(buf, size,
		    "MTA-STS enforce: STARTTLS, certificate verified for %s",
		    t->host);
	else if (plan.sts == STS_MODE_TESTING)
		snprintf(buf, size,
		    "MTA-STS testing: tls_policy %s%s; failures logged",
		    cfg_tls_name(p.tls),
		    plan.sts_match ? "" : " (the host does not match)");
	else
		snprintf(buf, size, "tls_policy %s%s", cfg_tls_name(p.tls),
		    p.tls == CFG_TLS_DANE && p.ntlsa == 0
		        ? " (no validated TLSA records: as may)"
		        : "");
	deliver_tls_fini(&plan);
	return ok;
}

/* deliver_tls_result - a session's TLS fault as an RFC 8460 result */
static enum tlsrpt_result
deliver_tls_result(enum tlsrpt_type type, const struct smtp_session *s)
{
	switch (smtp_session_tls_fault(s)) {
	case SMTP_TLS_FAULT_NONE:
		return TLSRPT_OK;
	case SMTP_TLS_FAULT_NOT_OFFERED:
	case SMTP_TLS_FAULT_REFUSED:
		return TLSRPT_STARTTLS_NOT_SUPPORTED;
	case SMTP_TLS_FAULT_HANDSHAKE:
		return TLSRPT_VALIDATION_FAILURE;
	default:
		break;
	}
	/* No policy asks for a certificate: TLS was had, which is all. */
	if (type == TLSRPT_T_NONE)
		return TLSRPT_OK;
	if (type == TLSRPT_T_TLSA)
		return TLSRPT_TLSA_INVALID;
	switch (smtp_session_tls_fault(s)) {
	case SMTP_TLS_FAULT_NAME:
		return TLSRPT_CERT_HOST_MISMATCH;
	case SMTP_TLS_FAULT_EXPIRED:
		return TLSRPT_CERT_EXPIRED;
	case SMTP_TLS_FAULT_UNTRUSTED:
		return TLSRPT_CERT_NOT_TRUSTED;
	default:
		return TLSRPT_VALIDATION_FAILURE;
	}
}

/* deliver_tls_strings - policy-string and mx-host of the policy */
static void
deliver_tls_strings(const struct deliver_target *t,
    const struct deliver_tls *plan, struct sbuf *str, struct sbuf *mx)
{
	const struct sts_policy *p;
	size_t i, j;

	if (plan->dane || plan->tlsa_failed) {
		for (i = 0; i < plan->ntlsa; i++) {
			sbuf_printf(str, "%s%u %u %u ", i > 0 ? "\n" : "",
			    plan->tlsa[i].usage, plan->tlsa[i].selector,
			    plan->tlsa[i].mtype);
			for (j = 0; j < plan->tlsa[i].len; j++)
				sbuf_printf(str, "%02x", plan->tlsa[i].data[j]);
		}
		sbuf_puts(mx, t->host);
		return;
	}
	if (plan->sts == STS_MODE_NONE)
		return;
	p = &t->sts->policy;
	sbuf_printf(str, "version: STSv1\nmode: %s", sts_mode_name(p->mode));
	for (i = 0; i < p->mx_n; i++) {
		sbuf_printf(str, "\nmx: %s", p->mx[i]);
		sbuf_printf(mx, "%s%s", i > 0 ? "\n" : "", p->mx[i]);
	}
	sbuf_printf(str, "\nmax_age: %lu", p->max_age);
}

/* deliver_tls_report - one try's TLS result, counted */
void
deliver_tls_report(struct deliver_ctx *ctx, const struct deliver_target *t,
    const char *domain, const struct deliver_tls *plan,
    const struct smtp_session *s, bool tried)
{
	struct tlsrpt_session r;
	struct sbuf str, mx;

	/* Not under a policy; RFC 8460 section 3: nor a report's own. */
	if (ctx->tally == NULL || t->rule != NULL || plan->tls_optional ||
	    (tried && s == NULL))
		return;
	memset(&r, 0, sizeof(r));
	r.domain = domain;
	r.type = plan->dane || plan->tlsa_failed ? TLSRPT_T_TLSA
	    : plan->sts != STS_MODE_NONE         ? TLSRPT_T_STS
	                                         : TLSRPT_T_NONE;
	r.ident = r.type == TLSRPT_T_TLSA ? t->host
	    : r.type == TLSRPT_T_STS      ? t->sts->id
	                                  : "";
	r.mx = t->host;
	r.receiving_ip = t->addr;
	if (!tried) {
		r.result = plan->tlsa_failed ? TLSRPT_DNSSEC_INVALID
		                             : TLSRPT_VALIDATION_FAILURE;
		r.reason = plan->tlsa_failed ? "TLSA lookup failed"
		                             : "MX host not in the policy";
	} else {
		/* A session that failed before STARTTLS: no TLS result. */
		if (smtp_session_tls_fault(s) == SMTP_TLS_FAULT_NONE &&
		    !smtp_session_tls_active(s))
			return;
		r.result = deliver_tls_result(r.type, s);
		r.sending_ip = smtp_session_local_addr(s);
		r.reason = smtp_session_tls_fault_text(s);
	}
	sbuf_init(&str);
	sbuf_init(&mx);
	deliver_tls_strings(t, plan, &str, &mx);
	r.strings = sbuf_str(&str);
	r.mx_hosts = sbuf_str(&mx);
	tlsrpt_tally_add(ctx->tally, time(NULL), &r);
	sbuf_fini(&str);
	sbuf_fini(&mx);
}
