/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The milter's headers: X-SMTPDirect-* bookkeeping and route values. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlt_hdr.h"
#include "xalloc.h"

#define MLT_HDR_MORE " ..." /* marks hosts cut at the cap */

static void mlt_hdr_put_host(const struct route_hop *h, struct sbuf *sb);

/* mlt_hdr_is_ours - whether name is an X-SMTPDirect-* header */
bool
mlt_hdr_is_ours(const char *name)
{
	return strncasecmp(name, MLT_HDR_PREFIX, strlen(MLT_HDR_PREFIX)) == 0;
}

/* mlt_hdr_seen_init - start an empty record */
void
mlt_hdr_seen_init(struct mlt_hdr_seen *s)
{
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

/* mlt_hdr_seen_fini - release the names */
void
mlt_hdr_seen_fini(struct mlt_hdr_seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	mlt_hdr_seen_init(s);
}

/* mlt_hdr_seen_add - count one instance of an X-SMTPDirect-* name */
bool
mlt_hdr_seen_add(struct mlt_hdr_seen *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcasecmp(s->v[i].name, name) == 0) {
			s->v[i].count++;
			return true;
		}
	}
	if (s->n >= MLT_HDR_NAMES_MAX)
		return false;
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 4 : s->cap * 2;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].name = xstrdup(name);
	s->v[s->n].count = 1;
	s->n++;
	return true;
}

/* mlt_hdr_rcpt_clean - append a recipient, printable and bounded */
void
mlt_hdr_rcpt_clean(const char *rcpt, struct sbuf *sb)
{
	size_t i, n = strlen(rcpt);
	bool bracketed = n >= 2 && rcpt[0] == '<' && rcpt[n - 1] == '>';
	unsigned char c;

	if (!bracketed)
		sbuf_putc(sb, '<');
	for (i = 0; i < n && i < MLT_HDR_RCPT_MAX; i++) {
		c = (unsigned char)rcpt[i];
		sbuf_putc(sb, c > ' ' && c < 0x7f ? c : '?');
	}
	if (i < n)
		sbuf_puts(sb, bracketed ? "...>" : "...");
	if (!bracketed)
		sbuf_putc(sb, '>');
}

/* mlt_hdr_put_host - append one hop as host[:port], literals bracketed */
static void
mlt_hdr_put_host(const struct route_hop *h, struct sbuf *sb)
{
	if (h->kind == OVR_HOST_IP6)
		sbuf_printf(sb, "[%s]", h->host);
	else
		sbuf_puts(sb, h->host);
	if (h->port != OVR_PORT_DEFAULT)
		sbuf_printf(sb, ":%u", h->port);
	if (h->rule != NULL && h->rule->target.user != NULL)
		sbuf_puts(sb, "(auth)");
}

/* mlt_hdr_route_format - the X-SMTPDirect-Route value of a recipient */
void
mlt_hdr_route_format(const char *rcpt, const struct route *r, struct sbuf *sb)
{
	size_t i, mark;

	sbuf_reset(sb);
	mlt_hdr_rcpt_clean(rcpt, sb);
	if (r == NULL) {
		sbuf_puts(sb, "; invalid-domain");
		return;
	}
	if (r->kind == ROUTE_MX) {
		sbuf_printf(sb, "; mx; domain=%s", r->domain);
		return;
	}
	sbuf_puts(sb, "; override; lines=");
	for (i = 0; i < r->match.n; i++) {
		mark = sb->len;
		sbuf_printf(
		    sb, "%s%lu", i > 0 ? "," : "", r->match.lines[i]->line);
		/* Half the room at most, so that hosts follow. */
		if (sb->len > MLT_HDR_VALUE_MAX / 2) {
			sbuf_truncate(sb, mark);
			sbuf_puts(sb, MLT_HDR_MORE);
			break;
		}
	}
	sbuf_puts(sb, "; hosts=");
	for (i = 0; i < r->n; i++) {
		mark = sb->len;
		if (i > 0)
			sbuf_putc(sb, ',');
		mlt_hdr_put_host(&r->hops[i], sb);
		if (sb->len > MLT_HDR_VALUE_MAX - strlen(MLT_HDR_MORE)) {
			sbuf_truncate(sb, mark);
			sbuf_puts(sb, MLT_HDR_MORE);
			break;
		}
	}
}
