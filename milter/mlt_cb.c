/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The libmilter callbacks: collect a message's envelope, size and
 * X-SMTPDirect-* headers, and stamp the routes at end of message. */

#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mlt_cb.h"
#include "mlt_hdr.h"
#include "mlt_rcpt.h"
#include "msg.h"
#include "route.h"
#include "sbuf.h"
#include "xalloc.h"

/* One connection's state; its message part is reset per message. */
struct mlt_ctx {
	char **rcpts; /* envelope recipients as the MTA gave them */
	size_t nrcpt; /* entries used */
	size_t cap; /* entries allocated */
	unsigned long long size; /* header and body bytes shown */
	struct mlt_hdr_seen seen; /* X-SMTPDirect-* headers that came */
	bool too_many; /* beyond a limit: tempfail at end */
	bool failed; /* a step without a reply failed: tempfail at end */
	unsigned long noreply; /* SMFIP_NR_* steps the MTA sends no reply
				  for (negotiated) */
	unsigned long long declared; /* MAIL FROM SIZE=, when known */
	bool declared_known; /* MAIL FROM had a valid SIZE= */
	struct mlt_rcpt_conn rconn; /* the RCPT check's part */
	bool over_smtp; /* the client came over SMTP (RCPT check) */
};

/* Steps we never answer but at the end: asked for when the MTA offers. */
#define MLT_CB_NOREPLY \
	(SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
	    SMFIP_NR_EOH | SMFIP_NR_BODY)
/* Steps we need not see at all. */
#define MLT_CB_SKIP (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA)

/* What the callbacks share, set once before smfi_main(). */
static struct mlt_store *mlt_cb_store;
static const char *mlt_cb_transport;
static unsigned mlt_cb_mx_port;
static struct mlt_rcpt *mlt_cb_rcpt; /* the RCPT check, NULL when off */

static void mlt_ctx_reset(struct mlt_ctx *c);
static sfsistat mlt_on_negotiate(SMFICTX *, unsigned long, unsigned long,
    unsigned long, unsigned long, unsigned long *, unsigned long *,
    unsigned long *, unsigned long *);
static sfsistat mlt_on_connect(SMFICTX *, char *, _SOCK_ADDR *);
static sfsistat mlt_on_envfrom(SMFICTX *, char **);
static sfsistat mlt_on_envrcpt(SMFICTX *, char **);
static sfsistat mlt_on_header(SMFICTX *, char *, char *);
static sfsistat mlt_on_eoh(SMFICTX *);
static sfsistat mlt_on_body(SMFICTX *, unsigned char *, size_t);
static sfsistat mlt_on_eom(SMFICTX *);
static sfsistat mlt_on_abort(SMFICTX *);
static sfsistat mlt_on_close(SMFICTX *);
static sfsistat mlt_envrcpt_check(SMFICTX *, struct mlt_ctx *, const char *);
static bool mlt_eom_remove(SMFICTX *, const struct mlt_ctx *);
static bool mlt_eom_stamp(
    SMFICTX *, const struct mlt_ctx *, const struct ovr_map *, size_t *);

/* mlt_ctx_reset - forget the current message */
static void
mlt_ctx_reset(struct mlt_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nrcpt; i++)
		free(c->rcpts[i]);
	c->nrcpt = 0;
	c->size = 0;
	c->too_many = false;
	mlt_hdr_seen_fini(&c->seen);
}

/* mlt_ctx_new - a connection's context, kept as its private data */
static struct mlt_ctx *
mlt_ctx_new(SMFICTX *ctx)
{
	struct mlt_ctx *c = xcalloc(1, sizeof(*c));

	c->rcpts = NULL;
	mlt_hdr_seen_init(&c->seen);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		free(c);
		return NULL;
	}
	return c;
}

/*
 * mlt_step - the answer to a step before the end of message: none when
 * the MTA agreed to wait for none (a failure is then remembered and
 * answered at the end), else continue, or tempfail when it failed
 */
static sfsistat
mlt_step(struct mlt_ctx *c, unsigned long step, bool ok)
{
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!ok)
		c->failed = true;
	if ((c->noreply & step) != 0)
		return SMFIS_NOREPLY;
	return ok ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

/*
 * mlt_on_negotiate - ask the MTA for no reply to every step but the end
 * of message, and to skip the steps we do not look at: the MTA then
 * sends a message's header and body without waiting for us
 */
static sfsistat
mlt_on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct mlt_ctx *c;

	(void)f2;
	(void)f3;
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	        (SMFIF_ADDHDRS | SMFIF_CHGHDRS) ||
	    (c = mlt_ctx_new(ctx)) == NULL)
		return SMFIS_ALL_OPTS;
	c->noreply = f1 & MLT_CB_NOREPLY;
	/* The RCPT check answers every RCPT. */
	if (mlt_cb_rcpt != NULL)
		c->noreply &= ~(unsigned long)SMFIP_NR_RCPT;
	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	*pf1 = f1 & (c->noreply | MLT_CB_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* mlt_on_connect - a new connection: its context (made by negotiate) */
static sfsistat
mlt_on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	(void)host;
	if (c == NULL)
		c = mlt_ctx_new(ctx);
	if (c != NULL)
		c->over_smtp = mlt_rcpt_over_smtp(sa);
	return mlt_step(c, SMFIP_NR_CONN, c != NULL);
}

/* mlt_on_envfrom - a new message starts */
static sfsistat
mlt_on_envfrom(SMFICTX *ctx, char **argv)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c != NULL) {
		mlt_ctx_reset(c);
		c->failed = false;
		c->declared_known = mlt_rcpt_size_arg(argv, &c->declared);
	}
	return mlt_step(c, SMFIP_NR_MAIL, true);
}

/* mlt_on_envrcpt - note a recipient */
static sfsistat
mlt_on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c == NULL || argv == NULL || argv[0] == NULL)
		return mlt_step(c, SMFIP_NR_RCPT, false);
	if (c->nrcpt >= MLT_CB_RCPT_MAX) {
		c->too_many = true;
		return mlt_step(c, SMFIP_NR_RCPT, true);
	}
	if (mlt_cb_rcpt != NULL && c->over_smtp &&
	    mlt_envrcpt_check(ctx, c, argv[0]) == SMFIS_REJECT)
		return SMFIS_REJECT;
	if (c->nrcpt == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		c->rcpts = xreallocarray(c->rcpts, c->cap, sizeof(*c->rcpts));
	}
	c->rcpts[c->nrcpt++] = xstrdup(argv[0]);
	return mlt_step(c, SMFIP_NR_RCPT, true);
}

/*
 * mlt_envrcpt_check - the RCPT check of one recipient: SMFIS_REJECT with
 * the reply set, or SMFIS_CONTINUE; each rejection and each DNS
 * failure is logged with the queue id
 */
static sfsistat
mlt_envrcpt_check(SMFICTX *ctx, struct mlt_ctx *c, const char *rcpt)
{
	struct mlt_rcpt_result res;
	char clean[MLT_RCPT_TEXT_MAX];
	struct mlt_map *m;
	const char *qid;

	m = mlt_store_get(mlt_cb_store);
	mlt_rcpt_judge(mlt_cb_rcpt, &c->rconn,
	    m == NULL ? NULL : mlt_map_ovr(m), rcpt, c->declared,
	    c->declared_known, &res);
	mlt_map_put(mlt_cb_store, m);
	if (res.verdict == MLT_RCPT_SKIP ||
	    (res.verdict == MLT_RCPT_ACCEPT && !res.dns_failed))
		return SMFIS_CONTINUE;
	qid = smfi_getsymval(ctx, "i");
	if (qid == NULL || *qid == '\0')
		qid = "NOQUEUE";
	why_printable_line(clean, sizeof(clean), rcpt);
	if (res.verdict == MLT_RCPT_ACCEPT) {
		msg_warn("%s: to=%s: null MX check failed, accepted: %s", qid,
		    clean, res.text);
		return SMFIS_CONTINUE;
	}
	msg_info("%s: reject: RCPT to=%s: %s %s %s", qid, clean, res.code,
	    res.dsn, res.text);
	if (smfi_setreply(ctx, (char *)res.code, (char *)res.dsn, res.text) !=
	    MI_SUCCESS)
		msg_warn("%s: to=%s: cannot set the reply", qid, clean);
	return SMFIS_REJECT;
}

/* mlt_on_header - count its bytes; remember an X-SMTPDirect-* one */
static sfsistat
mlt_on_header(SMFICTX *ctx, char *name, char *value)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c != NULL) {
		/* "Name: value" CRLF */
		c->size += strlen(name) + 2 + strlen(value) + 2;
		if (mlt_hdr_is_ours(name) && !mlt_hdr_seen_add(&c->seen, name))
			c->too_many = true;
	}
	return mlt_step(c, SMFIP_NR_HDR, true);
}

/* mlt_on_eoh - the blank line after the header */
static sfsistat
mlt_on_eoh(SMFICTX *ctx)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c != NULL)
		c->size += 2;
	return mlt_step(c, SMFIP_NR_EOH, true);
}

/* mlt_on_body - count a body chunk */
static sfsistat
mlt_on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	(void)chunk;
	if (c != NULL)
		c->size += len;
	return mlt_step(c, SMFIP_NR_BODY, true);
}

/* mlt_eom_remove - delete every X-SMTPDirect-* header that came */
static bool
mlt_eom_remove(SMFICTX *ctx, const struct mlt_ctx *c)
{
	size_t i, k;

	/* Last instance first, so that no index moves under us. */
	for (i = 0; i < c->seen.n; i++)
		for (k = c->seen.v[i].count; k > 0; k--)
			if (smfi_chgheader(ctx, c->seen.v[i].name, (int)k,
			        NULL) != MI_SUCCESS)
				return false;
	return true;
}

/* mlt_eom_stamp - one route header per recipient, the transport once */
static bool
mlt_eom_stamp(SMFICTX *ctx, const struct mlt_ctx *c, const struct ovr_map *map,
    size_t *overrides)
{
	char domain[OVR_DOMAIN_MAX + 1], *p;
	bool overridden = false, ok = true;
	struct sbuf sb, addr;
	struct route r;
	size_t i, n;

	sbuf_init(&sb);
	sbuf_init(&addr);
	for (i = 0; i < c->nrcpt && ok; i++) {
		/* The address without its angle brackets. */
		sbuf_reset(&addr);
		p = c->rcpts[i];
		n = strlen(p);
		if (n >= 2 && p[0] == '<' && p[n - 1] == '>')
			sbuf_append(&addr, p + 1, n - 2);
		else
			sbuf_append(&addr, p, n);
		if (!route_domain_of(sbuf_str(&addr), domain, sizeof(domain))) {
			mlt_hdr_route_format(p, NULL, &sb);
		} else {
			route_plan(
			    map, domain, c->size, 0, mlt_cb_mx_port, NULL, &r);
			mlt_hdr_route_format(p, &r, &sb);
			if (r.kind == ROUTE_OVERRIDE) {
				overridden = true;
				(*overrides)++;
			}
			route_fini(&r);
		}
		ok = smfi_addheader(ctx, MLT_HDR_ROUTE, sb.data) == MI_SUCCESS;
	}
	if (ok && overridden)
		ok = smfi_addheader(ctx, MLT_HDR_TRANSPORT,
		         (char *)mlt_cb_transport) == MI_SUCCESS;
	sbuf_fini(&addr);
	sbuf_fini(&sb);
	return ok;
}

/* mlt_on_eom - remove forged headers, stamp the routes */
static sfsistat
mlt_on_eom(SMFICTX *ctx)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);
	struct mlt_map *m;
	sfsistat rc = SMFIS_CONTINUE;
	size_t i, removed = 0, overrides = 0;
	const char *qid;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	qid = smfi_getsymval(ctx, "i");
	if (qid == NULL)
		qid = "NOQUEUE";
	if (c->failed) {
		msg_warn("%s: an earlier step of this message failed: "
		         "tempfail",
		    qid);
		rc = SMFIS_TEMPFAIL;
		goto out;
	}
	if (c->too_many) {
		msg_warn("%s: more than %d recipients or %d X-SMTPDirect-* "
		         "header names: tempfail",
		    qid, MLT_CB_RCPT_MAX, MLT_HDR_NAMES_MAX);
		smfi_setreply(
		    ctx, "452", "4.5.3", "too many recipients or headers");
		rc = SMFIS_TEMPFAIL;
		goto out;
	}
	m = mlt_store_get(mlt_cb_store);
	if (m == NULL) {
		msg_warn("%s: no override map loaded: tempfail", qid);
		rc = SMFIS_TEMPFAIL;
		goto out;
	}
	if (!mlt_eom_remove(ctx, c) ||
	    !mlt_eom_stamp(ctx, c, mlt_map_ovr(m), &overrides)) {
		msg_warn("%s: cannot change the headers: tempfail", qid);
		rc = SMFIS_TEMPFAIL;
	} else {
		for (i = 0; i < c->seen.n; i++)
			removed += c->seen.v[i].count;
		msg_info("%s: size=%llu, nrcpt=%zu, overridden=%zu, "
		         "removed=%zu",
		    qid, c->size, c->nrcpt, overrides, removed);
	}
	mlt_map_put(mlt_cb_store, m);
out:
	mlt_ctx_reset(c);
	return rc;
}

/* mlt_on_abort - the message was given up */
static sfsistat
mlt_on_abort(SMFICTX *ctx)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c != NULL)
		mlt_ctx_reset(c);
	return SMFIS_CONTINUE;
}

/* mlt_on_close - the connection ends: its context goes */
static sfsistat
mlt_on_close(SMFICTX *ctx)
{
	struct mlt_ctx *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	mlt_ctx_reset(c);
	mlt_rcpt_conn_fini(&c->rconn);
	free(c->rcpts);
	free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/* mlt_cb_register - hand libmilter our callbacks */
bool
mlt_cb_register(struct mlt_store *store, const char *transport,
    unsigned mx_port, struct mlt_rcpt *rcpt)
{
	struct smfiDesc desc;

	mlt_cb_store = store;
	mlt_cb_rcpt = rcpt;
	mlt_cb_transport = transport;
	mlt_cb_mx_port = mx_port;
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = MLT_CB_NAME;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	desc.xxfi_connect = mlt_on_connect;
	desc.xxfi_envfrom = mlt_on_envfrom;
	desc.xxfi_envrcpt = mlt_on_envrcpt;
	desc.xxfi_header = mlt_on_header;
	desc.xxfi_eoh = mlt_on_eoh;
	desc.xxfi_body = mlt_on_body;
	desc.xxfi_eom = mlt_on_eom;
	desc.xxfi_abort = mlt_on_abort;
	desc.xxfi_close = mlt_on_close;
	desc.xxfi_negotiate = mlt_on_negotiate;
	return smfi_register(desc) == MI_SUCCESS;
}
