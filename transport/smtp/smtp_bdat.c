/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The message in BDAT commands (RFC 3030, CHUNKING): pieces of
 * SMTP_BDAT_CHUNK bytes, not dot-stuffed, pipelined with PIPELINING
 * (at most SMTP_BDAT_INFLIGHT replies awaited), and the last piece
 * only once every earlier one was accepted and the message is still
 * wanted. A refused piece ends the transaction; RSET is then owed.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "smtp_int.h"
#include "xalloc.h"

/* The pieces of one message. */
struct smtp_bdat {
	struct smtp_session *s; /* the session */
	char *buf; /* SMTP_BDAT_CHUNK bytes: the piece being filled */
	size_t len; /* bytes in buf */
	unsigned long sent; /* BDAT commands sent */
	unsigned long answered; /* their replies read */
	unsigned long inflight; /* most replies awaited at once */
	bool refused; /* a piece was refused (or a reply was no 2xx) */
};

/* smtp_bdat_new - pieces for s; freed with smtp_bdat_free() */
struct smtp_bdat *
smtp_bdat_new(struct smtp_session *s)
{
	struct smtp_bdat *b = xcalloc(1, sizeof(*b));

	b->s = s;
	b->buf = xmalloc(SMTP_BDAT_CHUNK);
	/* RFC 3030 section 4.2: pipelined only where PIPELINING is. */
	b->inflight =
	    (s->caps & SMTP_CAP_PIPELINING) != 0 ? SMTP_BDAT_INFLIGHT : 1;
	return b;
}

/* smtp_bdat_free - release the pieces; NULL is fine */
void
smtp_bdat_free(struct smtp_bdat *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

/*
 * smtp_bdat_reply - read the reply to the oldest BDAT awaiting one, in
 * state st (SMTP_ST_BODY, or SMTP_ST_DOT for the last piece)
 */
static enum sd_status
smtp_bdat_reply(struct smtp_bdat *b, enum smtp_state st, struct why *why)
{
	struct smtp_session *s = b->s;
	enum sd_status rc;

	s->state = st;
	rc = smtp_proto_reply(s, st, s->data_timeout_ms, why);
	if (rc != SD_OK)
		return rc;
	b->answered++;
	rc = smtp_proto_reply_why(
	    s, st == SMTP_ST_DOT ? "BDAT LAST command" : "BDAT command", why);
	if (rc == SD_OK && s->reply.code / 100 == 2)
		return SD_OK;
	b->refused = true;
	return rc == SD_OK ? SD_TEMP : rc;
}

/* smtp_bdat_send - send the piece in buf: "BDAT n[ LAST]", its bytes */
static enum sd_status
smtp_bdat_send(struct smtp_bdat *b, bool last, struct why *why)
{
	struct smtp_session *s = b->s;
	char cmd[64];
	enum smtp_io_rc rc;

	s->state = last ? SMTP_ST_DOT : SMTP_ST_BODY;
	snprintf(cmd, sizeof(cmd), "BDAT %zu%s", b->len, last ? " LAST" : "");
	rc = smtp_proto_put(s, cmd, SIZE_MAX);
	if (rc == SMTP_IO_OK && b->len > 0)
		rc = smtp_io_write(&s->io, b->buf, b->len, s->data_timeout_ms);
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, s->state, why);
		return SD_TEMP;
	}
	b->sent++;
	b->len = 0;
	return SD_OK;
}

/* smtp_bdat_write - spool writer: fill pieces, send each full one */
enum sd_status
smtp_bdat_write(void *ctx, const char *buf, size_t len, struct why *why)
{
	struct smtp_bdat *b = ctx;
	enum sd_status st;
	size_t n;

	while (len > 0) {
		/* A full piece goes once more follows: the last has bytes. */
		if (b->len == SMTP_BDAT_CHUNK) {
			while (b->sent - b->answered >= b->inflight)
				if ((st = smtp_bdat_reply(
				         b, SMTP_ST_BODY, why)) != SD_OK)
					return st;
			if ((st = smtp_bdat_send(b, false, why)) != SD_OK)
				return st;
		}
		n = SMTP_BDAT_CHUNK - b->len;
		if (n > len)
			n = len;
		memcpy(b->buf + b->len, buf, n);
		b->len += n;
		buf += n;
		len -= n;
	}
	return SD_OK;
}

/* smtp_bdat_last - every piece accepted? then the last, and its reply */
enum sd_status
smtp_bdat_last(struct smtp_bdat *b, smtp_wanted_fn wanted, void *wanted_ctx,
    struct why *why)
{
	struct smtp_session *s = b->s;
	enum sd_status st;

	/* Never a last piece after a refused one: no part of a message. */
	while (b->answered < b->sent)
		if ((st = smtp_bdat_reply(b, SMTP_ST_BODY, why)) != SD_OK)
			return st;
	s->state = SMTP_ST_DOT;
	if (wanted != NULL && !wanted(wanted_ctx)) {
		/* Closed without the last piece: the server discards it. */
		s->broken = true;
		why_set(why, "4.3.0",
		    "end of data not sent to %s: the delivery's caller is "
		    "gone",
		    s->peer);
		return SD_TEMP;
	}
	if ((st = smtp_bdat_send(b, true, why)) != SD_OK)
		return st;
	return smtp_bdat_reply(b, SMTP_ST_DOT, why);
}

/*
 * smtp_bdat_abort - after a failure: read the replies still owed to a
 * refused transaction (the server answers every BDAT sent, RFC 3030
 * section 2) so that RSET finds the session in step; anything else
 * (lost, timed out, our own trouble mid-message) breaks the session
 */
void
smtp_bdat_abort(struct smtp_bdat *b)
{
	struct why w;

	if (b->s->broken)
		return;
	if (!b->refused) {
		b->s->broken = true;
		return;
	}
	while (b->answered < b->sent && !b->s->broken) {
		b->s->state = SMTP_ST_BODY;
		if (smtp_proto_reply(
		        b->s, SMTP_ST_BODY, b->s->data_timeout_ms, &w) != SD_OK)
			return;
		b->answered++;
		if (b->s->reply.code == 421)
			b->s->broken = true;
	}
}
