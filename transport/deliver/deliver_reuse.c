/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Connections kept between deliver processes: which ones may be kept
 * and under what key, taken back as ready sessions (deliver_run.h,
 * scache.h, smtp.h).
 */

#include <stdio.h>
#include <unistd.h>

#include "deliver_run.h"
#include "deliver_run_int.h"
#include "mono.h"
#include "msg.h"
#include "scache.h"

/*
 * deliver_reuse_key - the key of what a connection can serve: address,
 * port, EHLO name and TLS policy; false when it may not be kept
 */
static bool
deliver_reuse_key(const struct deliver_ctx *ctx, const struct smtp_peer *peer,
    char *key, size_t size)
{
	int n;

	if (ctx->scache_dir == NULL || ctx->scache_keep_ms == 0 ||
	    peer->user != NULL ||
	    (peer->tls != CFG_TLS_NONE && peer->tls != CFG_TLS_MAY))
		return false;
	/* peer->addr is a target's: numeric, no brackets (deliver_run.h). */
	n = snprintf(key, size, "smtp %s %u %s %s", peer->addr, peer->port,
	    ctx->smtp.helo_name != NULL ? ctx->smtp.helo_name : "",
	    peer->tls == CFG_TLS_NONE ? "none" : "may");
	return n > 0 && (size_t)n < size;
}

/* deliver_reuse_get - a kept connection as a ready session, or NULL */
struct smtp_session *
deliver_reuse_get(const struct deliver_ctx *ctx, const struct smtp_peer *peer)
{
	struct smtp_session *s = NULL;
	struct smtp_reuse r;
	struct why why;
	size_t len = 0;
	char key[SCACHE_KEY_MAX + 1];
	int fd;

	/* This worker's own first: TLS and AUTH sessions are only there. */
	if (ctx->keep != NULL &&
	    (s = deliver_keep_take(
	         ctx->keep, peer, &ctx->smtp, mono_now_ms())) != NULL)
		return s;
	if (!deliver_reuse_key(ctx, peer, key, sizeof(key)) ||
	    !scache_get(ctx->scache_dir, key, &fd, &r, sizeof(r), &len))
		return NULL;
	if (len != sizeof(r)) {
		close(fd); /* not ours to speak on: another build's */
		return NULL;
	}
	if (smtp_session_adopt(&s, fd, &r, peer, &ctx->smtp, &why) != SD_OK) {
		msg_debug("%s", why.text);
		return NULL;
	}
	return s;
}

/* deliver_reuse_lost - gone before anything was accepted? */
bool
deliver_reuse_lost(const struct smtp_session *s, enum sd_status st,
    const struct smtp_rcpt *rc, size_t n)
{
	size_t i;

	if (st == SD_OK || smtp_session_state(s) != SMTP_ST_BROKEN)
		return false;
	switch (smtp_session_fail_state(s)) {
	case SMTP_ST_MAIL:
	case SMTP_ST_RCPT:
	case SMTP_ST_DATA:
		break;
	default:
		return false;
	}
	for (i = 0; i < n; i++)
		if (rc[i].accepted)
			return false;
	msg_debug(
	    "%s: kept connection lost; connecting again", smtp_session_peer(s));
	return true;
}

/*
 * deliver_reuse_young - whether s may carry another transaction: not
 * too old, not too worn, not at its server's MAILMAX (RFC 9422)
 */
static bool
deliver_reuse_young(const struct deliver_ctx *ctx, const struct smtp_session *s)
{
	return mono_now_ms() - smtp_session_born(s) < DELIVER_REUSE_AGE_MS &&
	    smtp_session_uses(s) < DELIVER_REUSE_USES_MAX &&
	    !deliver_session_spent(ctx, s);
}

/*
 * deliver_reuse_keep - keep s in this worker (the keeper cannot take a
 * TLS or AUTH session), RSET first when owed; true when kept
 */
static bool
deliver_reuse_keep(
    const struct deliver_ctx *ctx, struct smtp_session *s, const char *domain)
{
	struct why why;

	if (ctx->keep == NULL || ctx->scache_keep_ms == 0 ||
	    smtp_session_state(s) != SMTP_ST_READY)
		return false;
	/* A failed RSET ends it (smtp_session_reset() breaks it then). */
	if (smtp_session_rset_owed(s) && smtp_session_reset(s, &why) != SD_OK) {
		msg_debug("%s", why.text);
		return false;
	}
	if (!smtp_session_keepable(s))
		return false;
	deliver_keep_put(
	    ctx->keep, s, domain, ctx->scache_keep_ms, mono_now_ms());
	return true;
}

/* deliver_reuse_put - keep s for the next process or message, or QUIT */
void
deliver_reuse_put(const struct deliver_ctx *ctx, const struct smtp_peer *peer,
    struct smtp_session *s, const char *domain)
{
	struct smtp_reuse r;
	struct why why;
	char key[SCACHE_KEY_MAX + 1];
	int fd;

	if (deliver_reuse_young(ctx, s)) {
		if (smtp_session_reusable(s) &&
		    deliver_reuse_key(ctx, peer, key, sizeof(key)) &&
		    (fd = smtp_session_detach(s, &r)) >= 0) {
			scache_put(ctx->scache_dir, key, fd, &r, sizeof(r),
			    ctx->scache_keep_ms);
			return;
		}
		/* Plaintext without credentials stays the keeper's. */
		if ((smtp_session_tls_active(s) || peer->user != NULL) &&
		    deliver_reuse_keep(ctx, s, domain))
			return;
	}
	smtp_session_quit(s, &why);
	smtp_session_close(s);
}
