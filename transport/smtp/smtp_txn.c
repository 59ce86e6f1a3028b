/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * One mail transaction: checks before MAIL (addresses, SMTPUTF8, SIZE),
 * MAIL/RCPT/DATA in flights (all in one write with PIPELINING, one at a
 * time without), the message from the spool, end of data, and the
 * per-recipient results. With CHUNKING, no DATA: the message goes in
 * BDAT commands (smtp_bdat.c).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idn.h"
#include "msg.h"
#include "smtp_int.h"
#include "xalloc.h"

/* The envelope of a transaction being run. */
struct smtp_txn_run {
	struct smtp_session *s; /* the session */
	struct smtp_txn *t; /* the transaction */
	size_t *order; /* indexes of recipients to send, in order */
	size_t m; /* entries in order */
	size_t naccepted; /* recipients accepted so far */
	bool utf8; /* SMTPUTF8 needed */
	bool down; /* 8-bit content made 7-bit: no 8BITMIME offered */
	bool bdat; /* the message goes in BDAT commands (smtp_bdat.c) */
	bool over; /* the server ended the transaction (reply to ".") */
};

/* smtp_txn_fail - whole-transaction failure, for all not refused alone */
static enum sd_status
smtp_txn_fail(struct smtp_txn *t, enum sd_status st, const struct why *src,
    struct why *why)
{
	size_t i;

	if (st == SD_OK)
		st = SD_TEMP;
	for (i = 0; i < t->nrcpt; i++) {
		struct smtp_rcpt *r = &t->rcpt[i];

		if (r->accepted || r->why.text[0] == '\0') {
			r->status = st;
			r->why = *src;
		}
	}
	if (why != src)
		*why = *src;
	return st;
}

/*
 * smtp_txn_addr - the address as the envelope carries it: a domain in
 * U-labels as its A-labels when the local part is ASCII (idn.h), so
 * that only a non-ASCII local part needs SMTPUTF8 (RFC 6531)
 */
static const char *
smtp_txn_addr(const char *addr, char *buf, size_t size)
{
	return idn_address(addr, buf, size) ? buf : addr;
}

/* smtp_txn_8bit - the address needs SMTPUTF8 */
static bool
smtp_txn_8bit(const char *addr)
{
	char buf[SPOOL_ADDR_MAX + 256];

	return !idn_is_ascii(smtp_txn_addr(addr, buf, sizeof(buf)));
}

/* smtp_txn_check - refuse bad addresses, choose the recipients to send */
static enum sd_status
smtp_txn_check(struct smtp_txn_run *x, struct why *why)
{
	struct smtp_txn *t = x->t;
	struct why w;
	size_t i;

	if (spool_addr_check(t->sender, strlen(t->sender), true, &w) != SD_OK)
		return smtp_txn_fail(t, SD_TEMP, &w, why);
	x->utf8 = smtp_txn_8bit(t->sender);
	for (i = 0; i < t->nrcpt; i++) {
		struct smtp_rcpt *r = &t->rcpt[i];

		if (spool_addr_check(
		        r->addr, strlen(r->addr), false, &r->why) != SD_OK)
			continue;
		x->utf8 = x->utf8 || smtp_txn_8bit(r->addr);
		x->order[x->m++] = i;
	}
	return SD_OK;
}

/* smtp_txn_limits - SMTPUTF8 and SIZE, before anything is sent */
static enum sd_status
smtp_txn_limits(struct smtp_txn_run *x, struct why *why)
{
	struct smtp_session *s = x->s;
	unsigned long long size = spool_size(x->t->spool);
	struct why w;

	if (x->utf8 && (s->caps & SMTP_CAP_SMTPUTF8) == 0) {
		s->fail_state = SMTP_ST_MAIL;
		why_set(&w, "5.6.7",
		    "SMTPUTF8 is required, but was not offered by host %s",
		    s->peer);
		return smtp_txn_fail(x->t, SD_PERM, &w, why);
	}
	/* RFC 6152: 8-bit content only to a server that takes it. A server
	 * offering SMTPUTF8 takes it too (RFC 6531; Postfix assumes so). */
	x->down = spool_has_8bit(x->t->spool) && !x->t->keep_8bit &&
	    (s->caps & (SMTP_CAP_8BITMIME | SMTP_CAP_SMTPUTF8)) == 0;
	if ((s->caps & SMTP_CAP_SIZE) != 0 && s->size_max > 0 &&
	    size > s->size_max) {
		s->fail_state = SMTP_ST_MAIL;
		why_set(&w, "5.3.4",
		    "message size %llu exceeds size limit %llu of server %s",
		    size, s->size_max, s->peer);
		return smtp_txn_fail(x->t, SD_PERM, &w, why);
	}
	return SD_OK;
}

/* smtp_txn_put - queue command k: 0 MAIL, 1..m RCPT, m+1 DATA (not BDAT) */
static enum smtp_io_rc
smtp_txn_put(struct smtp_txn_run *x, size_t k)
{
	struct smtp_session *s = x->s;
	const char *sender = x->t->sender;
	char cmd[SMTP_CMD_MAX], size[40] = "", abuf[SPOOL_ADDR_MAX + 256];
	char dsn[SMTP_DSN_PARAM_MAX];

	if (k == 0) {
		if (strcmp(sender, "<>") == 0)
			sender = "";
		sender = smtp_txn_addr(sender, abuf, sizeof(abuf));
		/* Converted content grows: no SIZE (as Postfix does). */
		if ((s->caps & SMTP_CAP_SIZE) && !x->down)
			snprintf(size, sizeof(size), " SIZE=%llu",
			    spool_size(x->t->spool));
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>%s%s%s%s", sender,
		    size,
		    spool_has_8bit(x->t->spool) && (s->caps & SMTP_CAP_8BITMIME)
		        ? " BODY=8BITMIME"
		        : "",
		    x->utf8 ? " SMTPUTF8" : "",
		    smtp_dsn_mail_param(
		        s->caps, x->t->envid, dsn, sizeof(dsn)));
	} else if (k <= x->m) {
		const struct smtp_rcpt *r = &x->t->rcpt[x->order[k - 1]];

		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>%s",
		    smtp_txn_addr(r->addr, abuf, sizeof(abuf)),
		    smtp_dsn_rcpt_param(s->caps, r->orcpt, dsn, sizeof(dsn)));
	} else {
		snprintf(cmd, sizeof(cmd), "DATA");
	}
	return smtp_proto_put(s, cmd, SIZE_MAX);
}

/* smtp_txn_state - the state of command k */
static enum smtp_state
smtp_txn_state(const struct smtp_txn_run *x, size_t k)
{
	if (k == 0)
		return SMTP_ST_MAIL;
	return k <= x->m ? SMTP_ST_RCPT : SMTP_ST_DATA;
}

/* smtp_txn_empty_data - DATA was accepted with nobody to send to */
static void
smtp_txn_empty_data(struct smtp_txn_run *x)
{
	struct smtp_session *s = x->s;
	struct why w;

	s->state = SMTP_ST_DOT;
	if (smtp_proto_put(s, ".", SIZE_MAX) == SMTP_IO_OK &&
	    smtp_proto_reply(s, s->state, s->data_timeout_ms, &w) == SD_OK) {
		s->state = SMTP_ST_READY;
		x->over = true;
	} else
		s->broken = true;
}

/* smtp_txn_drain - read the replies of commands sent after a failed MAIL */
static void
smtp_txn_drain(struct smtp_txn_run *x, size_t from, size_t sent)
{
	struct smtp_session *s = x->s;
	struct why w;

	for (; from < sent && !s->broken; from++) {
		if (smtp_proto_reply(s, smtp_txn_state(x, from),
		        s->command_timeout_ms, &w) != SD_OK)
			return;
		if (from == x->m + 1 && s->reply.code == 354)
			smtp_txn_empty_data(x);
	}
}

/* smtp_txn_rcpt_reply - take the reply to RCPT k */
static void
smtp_txn_rcpt_reply(struct smtp_txn_run *x, size_t k)
{
	struct smtp_rcpt *r = &x->t->rcpt[x->order[k - 1]];
	enum sd_status st;

	st = smtp_proto_reply_why(x->s, "RCPT TO command", &r->why);
	if (st == SD_OK && x->s->reply.code / 100 == 2) {
		r->accepted = true;
		x->naccepted++;
		why_reset(&r->why);
	} else {
		r->status = st == SD_OK ? SD_TEMP : st;
	}
}

/*
 * smtp_txn_envelope - MAIL, RCPTs, DATA (not with BDAT) in flights;
 * *go: send the body
 */
static enum sd_status
smtp_txn_envelope(struct smtp_txn_run *x, bool *go, struct why *why)
{
	struct smtp_session *s = x->s;
	size_t sent = 0, got = 0, last = x->bdat ? x->m : x->m + 1, end;
	enum smtp_io_rc rc;
	enum sd_status st;
	struct why w;

	*go = false;
	while (got <= last) {
		if (got == sent) {
			if (!x->bdat && sent == last && x->naccepted == 0)
				return SD_OK;
			end = last + 1;
			if ((s->caps & SMTP_CAP_PIPELINING) == 0)
				end = sent + 1;
			else if (end - sent > SMTP_PIPELINE_MAX)
				end = sent + SMTP_PIPELINE_MAX;
			for (; sent < end; sent++) {
				s->state = smtp_txn_state(x, sent);
				rc = smtp_txn_put(x, sent);
				if (rc != SMTP_IO_OK) {
					smtp_proto_io_why(s, rc, s->state, &w);
					return smtp_txn_fail(
					    x->t, SD_TEMP, &w, why);
				}
			}
		}
		s->state = smtp_txn_state(x, got);
		st = smtp_proto_reply(s, s->state, s->command_timeout_ms, &w);
		if (st != SD_OK)
			return smtp_txn_fail(x->t, st, &w, why);
		if (s->reply.code == 421) {
			smtp_proto_reply_why(s, smtp_state_name(s->state), &w);
			return smtp_txn_fail(x->t, SD_TEMP, &w, why);
		}
		if (got == 0) {
			st = smtp_proto_reply_why(s, "MAIL FROM command", &w);
			if (st != SD_OK || s->reply.code / 100 != 2) {
				smtp_txn_drain(x, 1, sent);
				return smtp_txn_fail(x->t, st, &w, why);
			}
		} else if (got <= x->m) {
			smtp_txn_rcpt_reply(x, got);
		} else if (s->reply.code == 354) {
			if (x->naccepted == 0)
				smtp_txn_empty_data(x);
			*go = x->naccepted > 0;
			return SD_OK;
		} else {
			st = smtp_proto_reply_why(s, "DATA command", &w);
			if (x->naccepted == 0)
				return SD_OK;
			return smtp_txn_fail(x->t, st, &w, why);
		}
		got++;
	}
	*go = x->bdat && x->naccepted > 0;
	return SD_OK;
}

/* smtp_txn_write - spool writer: queue message bytes for the socket */
static enum sd_status
smtp_txn_write(void *ctx, const char *buf, size_t len, struct why *why)
{
	struct smtp_session *s = ctx;
	enum smtp_io_rc rc;

	rc = smtp_io_write(&s->io, buf, len, s->data_timeout_ms);
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, SMTP_ST_BODY, why);
		return SD_TEMP;
	}
	return SD_OK;
}

/*
 * smtp_txn_content - the message to writer fn (ctx), made 7-bit for a
 * server without 8BITMIME, dot-stuffed unless raw (BDAT)
 */
static enum sd_status
smtp_txn_content(struct smtp_txn_run *x, bool raw, spool_write_fn fn, void *ctx,
    struct why *why)
{
	struct smtp_session *s = x->s;
	struct mime_down_stats ds;
	enum sd_status st;

	s->state = SMTP_ST_BODY;
	msg_debug("%s: > (message content, %llu bytes)", s->peer,
	    spool_size(x->t->spool));
	if (!x->down)
		return raw ? spool_stream_raw(x->t->spool, fn, ctx, why)
		           : spool_stream(x->t->spool, fn, ctx, why);
	st = spool_stream_7bit(x->t->spool, raw, fn, ctx, &ds, why);
	msg_info("%s offers no 8BITMIME: message made 7-bit (%lu "
	         "parts quoted-printable, %lu header fields as "
	         "RFC 2047 words, %lu lines with 8-bit bytes kept "
	         "as they were)",
	    s->peer, ds.parts_qp, ds.fields_2047, ds.lines_8bit_kept);
	return st;
}

/* smtp_txn_sent - the message was accepted: every accepted recipient */
static enum sd_status
smtp_txn_sent(struct smtp_txn_run *x, const struct why *reply)
{
	size_t i;

	for (i = 0; i < x->t->nrcpt; i++) {
		if (x->t->rcpt[i].accepted) {
			x->t->rcpt[i].status = SD_OK;
			x->t->rcpt[i].why = *reply;
		}
	}
	return SD_OK;
}

/*
 * smtp_txn_bdat - the message in BDAT commands and the reply to the
 * last; a refused piece leaves RSET owed (x->over stays false)
 */
static enum sd_status
smtp_txn_bdat(struct smtp_txn_run *x, struct why *why)
{
	struct smtp_bdat *b = smtp_bdat_new(x->s);
	enum sd_status st;
	struct why w;

	st = smtp_txn_content(x, true, smtp_bdat_write, b, &w);
	if (st == SD_OK)
		st = smtp_bdat_last(b, x->t->wanted, x->t->wanted_ctx, &w);
	if (st != SD_OK)
		smtp_bdat_abort(b);
	x->over = st == SD_OK; /* the last piece was accepted */
	smtp_bdat_free(b);
	if (!x->s->broken)
		x->s->state = SMTP_ST_READY;
	if (st != SD_OK)
		return smtp_txn_fail(x->t, st, &w, why);
	return smtp_txn_sent(x, &w);
}

/* smtp_txn_body - the message, end of data, and its reply */
static enum sd_status
smtp_txn_body(struct smtp_txn_run *x, struct why *why)
{
	struct smtp_session *s = x->s;
	enum smtp_io_rc rc;
	enum sd_status st;
	struct why w;

	st = smtp_txn_content(x, false, smtp_txn_write, s, &w);
	if (st != SD_OK) {
		s->broken = true;
		return smtp_txn_fail(x->t, SD_TEMP, &w, why);
	}
	s->state = SMTP_ST_DOT;
	if (x->t->wanted != NULL && !x->t->wanted(x->t->wanted_ctx)) {
		/* Closed without the end of data: the server discards it. */
		s->broken = true;
		why_set(&w, "4.3.0",
		    "end of data not sent to %s: the delivery's caller is "
		    "gone",
		    s->peer);
		return smtp_txn_fail(x->t, SD_TEMP, &w, why);
	}
	rc = smtp_proto_put(s, ".", SIZE_MAX);
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, s->state, &w);
		return smtp_txn_fail(x->t, SD_TEMP, &w, why);
	}
	st = smtp_proto_reply(s, s->state, s->data_timeout_ms, &w);
	if (st != SD_OK)
		return smtp_txn_fail(x->t, st, &w, why);
	st = smtp_proto_reply_why(s, "end of DATA command", &w);
	x->over = true;
	if (!s->broken)
		s->state = SMTP_ST_READY;
	if (st != SD_OK || s->reply.code / 100 != 2)
		return smtp_txn_fail(x->t, st, &w, why);
	return smtp_txn_sent(x, &w);
}

/* smtp_session_send - one transaction */
enum sd_status
smtp_session_send(struct smtp_session *s, struct smtp_txn *t, struct why *why)
{
	struct smtp_txn_run x;
	enum sd_status st;
	bool go = false;
	struct why w;
	size_t i;

	if (t->nrcpt == 0 || t->sender == NULL || t->spool == NULL)
		msg_panic("%s: bad transaction", __func__);
	for (i = 0; i < t->nrcpt; i++) {
		t->rcpt[i].accepted = false;
		t->rcpt[i].status = SD_TEMP;
		why_reset(&t->rcpt[i].why);
	}
	if (s->broken || s->state != SMTP_ST_READY) {
		why_set(&w, "4.3.0", "%s: cannot send in state %s", s->peer,
		    smtp_state_name(smtp_session_state(s)));
		return smtp_txn_fail(t, SD_TEMP, &w, why);
	}
	if (s->need_rset && smtp_session_reset(s, &w) != SD_OK)
		return smtp_txn_fail(t, SD_TEMP, &w, why);
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.t = t;
	x.order = xcalloc(t->nrcpt, sizeof(*x.order));
	x.bdat = t->chunking && (s->caps & SMTP_CAP_CHUNKING) != 0;
	st = smtp_txn_check(&x, why);
	if (st == SD_OK && x.m > 0)
		st = smtp_txn_limits(&x, why);
	if (st == SD_OK && x.m > 0) {
		s->uses++;
		st = smtp_txn_envelope(&x, &go, why);
		if (go)
			st = x.bdat ? smtp_txn_bdat(&x, why)
			            : smtp_txn_body(&x, why);
		s->need_rset = !x.over;
		if (!s->broken)
			s->state = SMTP_ST_READY;
	}
	free(x.order);
	return st;
}
