/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Failure policy: attempt -> next address/host, defer or bounce; outcomes
 * -> exit status and the standard-error line. The rules are in deliver.h. */

#include <stdio.h>
#include <string.h>

#include "deliver.h"
#include "msg.h"

/* Kinds of permanent failure that decide the exit status. */
enum deliver_bounce_kind {
	DELIVER_BOUNCE_USER, /* 5.1.1 unknown user: 67 */
	DELIVER_BOUNCE_HOST, /* 5.1.2 no such domain, 5.1.10 null MX, 5.4.4
				no MX and no address: 68 */
	DELIVER_BOUNCE_OTHER, /* anything else: 69 */
	DELIVER_BOUNCE_KINDS
};

#define DELIVER_NAME_MAX (DELIVER_RELAY_MAX + 16)
#define DELIVER_WORDS_MAX 72 /* longest text we put around a reply */
#define DELIVER_REPLY_MIN 64 /* reply bytes kept however long the name */

/* The command a reply answered, Postfix's "(in reply to ...)" words. */
static const char *const deliver_stage_cmd[] = {
    [DELIVER_STAGE_GREETING] = "the initial server greeting",
    [DELIVER_STAGE_EHLO] = "EHLO command",
    [DELIVER_STAGE_HELO] = "HELO command",
    [DELIVER_STAGE_STARTTLS] = "STARTTLS command",
    [DELIVER_STAGE_AUTH] = "AUTH command",
    [DELIVER_STAGE_MAIL] = "MAIL FROM command",
    [DELIVER_STAGE_RCPT] = "RCPT TO command",
    [DELIVER_STAGE_DATA] = "DATA command",
    [DELIVER_STAGE_BODY] = "end of DATA command",
    [DELIVER_STAGE_DOT] = "end of DATA command",
};

/* What we were doing, Postfix's "while ..." words. */
static const char *const deliver_stage_while[] = {
    [DELIVER_STAGE_GREETING] = "receiving the initial server greeting",
    [DELIVER_STAGE_EHLO] = "performing the EHLO handshake",
    [DELIVER_STAGE_HELO] = "performing the HELO handshake",
    [DELIVER_STAGE_STARTTLS] = "performing the STARTTLS handshake",
    [DELIVER_STAGE_AUTH] = "authenticating",
    [DELIVER_STAGE_MAIL] = "sending MAIL FROM",
    [DELIVER_STAGE_RCPT] = "sending RCPT TO",
    [DELIVER_STAGE_DATA] = "sending the DATA command",
    [DELIVER_STAGE_BODY] = "sending message body",
    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one message */
    [DELIVER_STAGE_DOT] = "sending end of data -- message may be sent "
                          "more than once",
};

static const char *deliver_status_stage_text(
    const char *const *table, enum deliver_stage stage);
static void deliver_status_peer(
    char *buf, size_t size, const struct deliver_peer *peer, bool always_port);
static void deliver_status_pick_dsn(
    char *out, size_t size, const char *dsn, char cls, const char *fallback);
static bool deliver_status_reply_dsn(
    char *out, size_t size, int code, const char *dsn);
static bool deliver_status_is_syntax(int code, bool has_dsn, const char *dsn);
static enum deliver_action deliver_status_reply(
    const struct deliver_attempt *a, struct why *why);
static enum deliver_action deliver_status_local(
    const struct deliver_attempt *a, struct why *why);
static enum deliver_bounce_kind deliver_status_bounce_kind(
    const struct deliver_outcome *o);

/* deliver_status_stage_text - look up a stage phrase, safe for any value */
static const char *
deliver_status_stage_text(const char *const *table, enum deliver_stage stage)
{
	if ((unsigned)stage > DELIVER_STAGE_DOT)
		return "talking to the server";
	return table[stage];
}

/*
 * deliver_status_peer - "host[addr]" or "host[addr]:port"; the port is
 * shown when always_port is set or it is not 25, as Postfix's
 * namaddr/namaddrport do.
 */
static void
deliver_status_peer(
    char *buf, size_t size, const struct deliver_peer *peer, bool always_port)
{
	char host[DELIVER_RELAY_MAX / 2];
	char addr[64];

	if (peer == NULL) {
		snprintf(buf, size, "unknown host");
		return;
	}
	why_printable_line(host, sizeof(host), peer->host);
	why_printable_line(addr, sizeof(addr), peer->addr);
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "%s", addr);
	if (always_port || peer->port != DELIVER_PORT_SMTP)
		snprintf(buf, size, "%s[%s]:%u", host, addr, peer->port);
	else
		snprintf(buf, size, "%s[%s]", host, addr);
}

/*
 * deliver_status_pick_dsn - use dsn when it is well formed, else
 * fallback; then force its class to cls ('4' or '5').
 */
static void
deliver_status_pick_dsn(
    char *out, size_t size, const char *dsn, char cls, const char *fallback)
{
	if (dsn != NULL && why_dsn_valid(dsn))
		snprintf(out, size, "%s", dsn);
	else
		snprintf(out, size, "%s", fallback);
	out[0] = cls;
}

/*
 * deliver_status_reply_dsn - the code of a reply: the server's enhanced
 * code when it is well formed and of the reply's class, else "C.0.0";
 * for the RFC 7504 replies without a code of their own ("5.0.0" too),
 * the code IANA lists with them: 521 5.3.2, 556 5.1.10. Returns true
 * when the server's code was used.
 */
static bool
deliver_status_reply_dsn(char *out, size_t size, int code, const char *dsn)
{
	char cls = (char)('0' + code / 100);
	bool ok = dsn != NULL && why_dsn_valid(dsn) && dsn[0] == cls;

	if ((code == 521 || code == 556) &&
	    (!ok || strcmp(dsn + 1, ".0.0") == 0)) {
		snprintf(out, size, "%s", code == 521 ? "5.3.2" : "5.1.10");
		return false;
	}
	if (ok) {
		snprintf(out, size, "%s", dsn);
		return true;
	}
	snprintf(out, size, "%c.0.0", cls);
	return false;
}

/*
 * deliver_status_is_syntax - true when a 5xx reads as a complaint about
 * our protocol use (RFC 5321 x0z replies, 555) rather than about the
 * mail: no enhanced code, or a 5.5.x one.
 */
static bool
deliver_status_is_syntax(int code, bool has_dsn, const char *dsn)
{
	if (!((code >= 500 && code <= 504) || code == 555))
		return false;
	return !has_dsn || strncmp(dsn + 1, ".5.", 3) == 0;
}

/* deliver_status_reply - decide on a refusal reply */
static enum deliver_action
deliver_status_reply(const struct deliver_attempt *a, struct why *why)
{
	char name[DELIVER_NAME_MAX];
	char reply[WHY_TEXT_MAX];
	char dsn[WHY_DSN_MAX];
	const char *cmd;
	int code = a->code;
	size_t room;
	bool has_dsn;

	/* Leave room for our words around the reply so they are not cut. */
	deliver_status_peer(name, sizeof(name), a->peer, false);
	room = WHY_TEXT_MAX - strlen(name) - DELIVER_WORDS_MAX;
	if (room < DELIVER_REPLY_MIN)
		room = DELIVER_REPLY_MIN;
	why_printable_line(reply, room, a->text);
	cmd = deliver_status_stage_text(deliver_stage_cmd, a->stage);

	/* A success or intermediate code reported as a refusal. */
	if (code < 400 || code > 599) {
		why_set_reply(why, code, "4.5.0",
		    "Protocol error: host %s said: %s (in reply to %s)", name,
		    reply, cmd);
		return DELIVER_NEXT_ADDRESS;
	}
	has_dsn = deliver_status_reply_dsn(dsn, sizeof(dsn), code, a->dsn);

	/* RFC 7504: this host accepts no mail, whoever asks. */
	if (a->stage == DELIVER_STAGE_GREETING && code == 521 && !a->skip_521) {
		why_set_reply(why, code, dsn,
		    "host %s refused to talk to me: %s", name, reply);
		return DELIVER_HOST_REFUSES;
	}

	/* Before the transaction: never the recipient's fault. */
	switch (a->stage) {
	case DELIVER_STAGE_GREETING:
	case DELIVER_STAGE_EHLO:
	case DELIVER_STAGE_HELO:
		dsn[0] = '4';
		why_set_reply(why, code, dsn,
		    "host %s refused to talk to me: %s", name, reply);
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_STAGE_STARTTLS:
		dsn[0] = '4';
		why_set_reply(why, code, dsn,
		    "TLS is required, but host %s refused to start TLS: %s",
		    name, reply);
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_STAGE_AUTH:
		dsn[0] = '4';
		why_set_reply(why, code, dsn,
		    "SASL authentication failed; server %s said: %s", name,
		    reply);
		return code == 421 ? DELIVER_NEXT_ADDRESS : DELIVER_NEXT_HOST;
	default:
		break;
	}

	/* The transaction: MAIL, RCPT, DATA, end of data. */
	if (code / 100 == 4) {
		why_set_reply(why, code, dsn,
		    "host %s said: %s (in reply to %s)", name, reply, cmd);
		return code == 421 ? DELIVER_NEXT_ADDRESS : DELIVER_NEXT_HOST;
	}
	if ((a->stage == DELIVER_STAGE_RCPT && code == 552) ||
	    deliver_status_is_syntax(code, has_dsn, dsn)) {
		if (!has_dsn)
			snprintf(dsn, sizeof(dsn), "%s",
			    code == 552 ? "4.5.3" : "4.5.0");
		dsn[0] = '4';
		why_set_reply(why, code, dsn,
		    "host %s said: %s (in reply to %s)", name, reply, cmd);
		return DELIVER_NEXT_HOST;
	}
	why_set_reply(why, code, dsn, "host %s said: %s (in reply to %s)", name,
	    reply, cmd);
	return DELIVER_BOUNCE;
}

/* deliver_status_local - decide on a failure that is not a reply */
static enum deliver_action
deliver_status_local(const struct deliver_attempt *a, struct why *why)
{
	char name[DELIVER_NAME_MAX];
	char text[WHY_TEXT_MAX / 2];
	char dsn[WHY_DSN_MAX];
	const char *during;

	why_printable_line(text, sizeof(text), a->text);
	during = deliver_status_stage_text(deliver_stage_while, a->stage);
	switch (a->fail) {
	case DELIVER_FAIL_CONNECT:
		deliver_status_peer(name, sizeof(name), a->peer, true);
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.4.1");
		why_set(why, dsn, "connect to %s: %s", name,
		    text[0] != '\0' ? text : "failed");
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_FAIL_TLS:
		deliver_status_peer(name, sizeof(name), a->peer, true);
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.7.5");
		why_set(why, dsn, "TLS with %s failed: %s", name,
		    text[0] != '\0' ? text : "handshake failure");
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_FAIL_LOST:
		deliver_status_peer(name, sizeof(name), a->peer, false);
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.4.2");
		why_set(why, dsn, "lost connection with %s while %s%s%s", name,
		    during, text[0] != '\0' ? ": " : "", text);
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_FAIL_TIMEOUT:
		deliver_status_peer(name, sizeof(name), a->peer, false);
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.4.2");
		why_set(why, dsn, "conversation with %s timed out while %s",
		    name, during);
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_FAIL_PROTOCOL:
		deliver_status_peer(name, sizeof(name), a->peer, false);
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.5.0");
		why_set(why, dsn, "protocol error with %s while %s%s%s", name,
		    during, text[0] != '\0' ? ": " : "", text);
		return DELIVER_NEXT_ADDRESS;
	case DELIVER_FAIL_CAPABILITY:
		if (a->dsn != NULL && why_dsn_valid(a->dsn) &&
		    a->dsn[0] == '5') {
			why_set(why, a->dsn, "%s", text);
			return DELIVER_BOUNCE;
		}
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.3.0");
		why_set(why, dsn, "%s", text);
		return DELIVER_NEXT_HOST;
	case DELIVER_FAIL_DNS:
		if (a->dsn != NULL && why_dsn_valid(a->dsn) &&
		    a->dsn[0] == '5') {
			why_set(why, a->dsn, "%s", text);
			return DELIVER_BOUNCE;
		}
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.4.3");
		why_set(why, dsn, "%s", text);
		return DELIVER_DEFER;
	case DELIVER_FAIL_HOST_DNS:
		deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.4.3");
		why_set(why, dsn, "%s", text);
		return DELIVER_NEXT_HOST;
	case DELIVER_FAIL_LOCAL:
	case DELIVER_FAIL_REPLY:
	default:
		break;
	}
	deliver_status_pick_dsn(dsn, sizeof(dsn), a->dsn, '4', "4.3.0");
	why_set(why, dsn, "%s", text[0] != '\0' ? text : "local error");
	return DELIVER_DEFER;
}

/* deliver_status_classify - decide what a failed attempt means */
enum deliver_action
deliver_status_classify(const struct deliver_attempt *attempt, struct why *why)
{
	if (attempt != NULL && why != NULL)
		return attempt->fail == DELIVER_FAIL_REPLY
		    ? deliver_status_reply(attempt, why)
		    : deliver_status_local(attempt, why);
	msg_panic("%s: null argument", __func__);
}

/* deliver_outcome_init - a recipient with no decision yet */
void
deliver_outcome_init(struct deliver_outcome *o, const char *rcpt)
{
	memset(o, 0, sizeof(*o));
	o->rcpt = rcpt;
	o->status = DELIVER_RCPT_PENDING;
	why_reset(&o->why);
}

/* deliver_outcome_set - record a decision for one recipient */
void
deliver_outcome_set(struct deliver_outcome *o, enum deliver_rcpt_status status,
    const struct why *why, const struct deliver_peer *peer, double delay)
{
	o->status = status;
	if (why == NULL)
		why_reset(&o->why);
	else if (why != &o->why) /* &o->why: keep the reason it has */
		o->why = *why;
	if (peer != NULL)
		deliver_status_peer(o->relay, sizeof(o->relay), peer, true);
	else
		o->relay[0] = '\0';
	o->conn_use = peer != NULL ? peer->conn_use : 0;
	o->delay = delay;
}

/* deliver_outcome_dsn - the code to report, consistent with the status */
const char *
deliver_outcome_dsn(const struct deliver_outcome *o, char *buf, size_t size)
{
	char cls;

	switch (o->status) {
	case DELIVER_RCPT_SENT:
	case DELIVER_RCPT_EARLIER:
		cls = '2';
		break;
	case DELIVER_RCPT_BOUNCED:
		cls = '5';
		break;
	case DELIVER_RCPT_PENDING:
	case DELIVER_RCPT_DEFERRED:
	default:
		cls = '4';
		break;
	}
	deliver_status_pick_dsn(buf, size, o->why.dsn, cls, "0.0.0");
	return buf;
}

/* deliver_status_bounce_kind - which exit status a bounce argues for */
static enum deliver_bounce_kind
deliver_status_bounce_kind(const struct deliver_outcome *o)
{
	char dsn[WHY_DSN_MAX];

	deliver_outcome_dsn(o, dsn, sizeof(dsn));
	if (strcmp(dsn, "5.1.1") == 0)
		return DELIVER_BOUNCE_USER;
	if (strcmp(dsn, "5.1.2") == 0 || strcmp(dsn, "5.1.10") == 0 ||
	    strcmp(dsn, "5.4.4") == 0)
		return DELIVER_BOUNCE_HOST;
	return DELIVER_BOUNCE_OTHER;
}

/* deliver_status_exit - the exit status for every recipient's outcome */
int
deliver_status_exit(const struct deliver_outcome *o, size_t n,
    const struct deliver_outcome **pick)
{
	const struct deliver_outcome *deferred = NULL, *first_bounce = NULL;
	const struct deliver_outcome *first[DELIVER_BOUNCE_KINDS] = {NULL};
	size_t i, kinds = 0;
	enum deliver_bounce_kind k;
	int status;

	for (i = 0; i < n; i++) {
		switch (o[i].status) {
		case DELIVER_RCPT_SENT:
		case DELIVER_RCPT_EARLIER:
			break;
		case DELIVER_RCPT_BOUNCED:
			k = deliver_status_bounce_kind(&o[i]);
			if (first[k] == NULL) {
				first[k] = &o[i];
				kinds++;
			}
			if (first_bounce == NULL)
				first_bounce = &o[i];
			break;
		case DELIVER_RCPT_PENDING:
		case DELIVER_RCPT_DEFERRED:
		default:
			if (deferred == NULL)
				deferred = &o[i];
			break;
		}
	}
	if (n == 0 || deferred != NULL) {
		if (pick != NULL)
			*pick = deferred;
		return MSG_EX_TEMPFAIL;
	}
	if (first_bounce == NULL) {
		if (pick != NULL)
			*pick = NULL;
		return MSG_EX_OK;
	}
	if (kinds == 1 && first[DELIVER_BOUNCE_USER] != NULL)
		status = MSG_EX_NOUSER;
	else if (kinds == 1 && first[DELIVER_BOUNCE_HOST] != NULL)
		status = MSG_EX_NOHOST;
	else
		status = MSG_EX_UNAVAILABLE;
	if (pick != NULL)
		*pick = first[DELIVER_BOUNCE_OTHER] != NULL
		    ? first[DELIVER_BOUNCE_OTHER]
		    : first_bounce;
	return status;
}

/* deliver_status_line - "DSN text" for standard error */
char *
deliver_status_line(char *buf, size_t size, const struct deliver_outcome *pick)
{
	char dsn[WHY_DSN_MAX];
	char text[WHY_TEXT_MAX];
	int r;

	if (size == 0)
		return buf;
	if (pick == NULL) {
		snprintf(buf, size, "4.3.0 no delivery status recorded");
		return buf;
	}
	deliver_outcome_dsn(pick, dsn, sizeof(dsn));
	why_printable_line(text, sizeof(text), pick->why.text);
	r = snprintf(buf, size, "%s %s", dsn,
	    text[0] != '\0' ? text : "no reason recorded");
	if (r >= 0 && (size_t)r >= size && size >= 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}
