/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * deliver_batch: the limits a session puts on its transactions (RFC
 * 9422 LIMITS, smtp_recipient_limit) and which recipients go into the
 * next transaction (deliver_run_int.h).
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver_run_int.h"
#include "xalloc.h"

/* deliver_limit_min - the lower of two limits, 0 being none */
static unsigned long
deliver_limit_min(unsigned long a, unsigned long b)
{
	if (a == 0)
		return b;
	return b != 0 && b < a ? b : a;
}

/* deliver_limits_get - the limits on s's transactions for this run */
void
deliver_limits_get(const struct deliver_ctx *ctx, const struct smtp_session *s,
    struct deliver_limits *lim)
{
	const struct smtp_limits *sl = smtp_session_limits(s);

	memset(lim, 0, sizeof(*lim));
	if (ctx->limits) {
		lim->mail_max = sl->mail_max;
		lim->rcpt_max = sl->rcpt_max;
		lim->domain_max = sl->rcpt_domain_max;
	}
	lim->rcpt_max = deliver_limit_min(lim->rcpt_max, ctx->rcpt_limit);
}

/* deliver_session_spent - MAILMAX reached: no more MAIL on s */
bool
deliver_session_spent(
    const struct deliver_ctx *ctx, const struct smtp_session *s)
{
	struct deliver_limits lim;

	deliver_limits_get(ctx, s, &lim);
	return lim.mail_max > 0 && smtp_session_uses(s) >= lim.mail_max;
}

/* deliver_batch_domain - the domain of an address ("" without one) */
static const char *
deliver_batch_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

/* deliver_batch_pick - the next transaction's recipients */
size_t
deliver_batch_pick(char *const *rcpts, const size_t *cand, size_t n,
    const struct deliver_limits *lim, size_t *pick)
{
	const char **doms;
	const char *d;
	size_t i, j, k = 0, nd = 0;

	if (n == 0)
		return 0;
	/* Without RCPTDOMAINMAX the domains need not be told apart. */
	if (lim->domain_max == 0) {
		for (k = 0; k < n && (lim->rcpt_max == 0 || k < lim->rcpt_max);
		     k++)
			pick[k] = cand[k];
		return k;
	}
	doms = xcalloc(n, sizeof(*doms));
	for (i = 0; i < n; i++) {
		if (lim->rcpt_max > 0 && k >= lim->rcpt_max)
			break;
		d = deliver_batch_domain(rcpts[cand[i]]);
		for (j = 0; j < nd && strcasecmp(doms[j], d) != 0; j++)
			;
		if (j == nd) {
			/* A domain more than allowed waits for a later one. */
			if (nd >= lim->domain_max)
				continue;
			doms[nd++] = d;
		}
		pick[k++] = cand[i];
	}
	free(doms);
	return k;
}
