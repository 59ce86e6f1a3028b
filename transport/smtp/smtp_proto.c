/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The command/reply helpers with the protocol trace that every step of
 * a session goes through (smtp_session.c, STARTTLS, AUTH, the
 * transactions), and EHLO/HELO with the capabilities they announce.
 */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "smtp_int.h"
#include "xalloc.h"

/* Names and "while ..." phrases of the states, indexed by state. */
static const struct {
	const char *name; /* smtp_state_name() */
	const char *doing; /* for "lost connection ... while %s" */
} smtp_states[] = {
    [SMTP_ST_CONNECT] = {"connect", "connecting"},
    [SMTP_ST_GREETING] = {"greeting", "receiving the initial server greeting"},
    [SMTP_ST_EHLO] = {"EHLO", "performing the EHLO handshake"},
    [SMTP_ST_HELO] = {"HELO", "performing the HELO handshake"},
    [SMTP_ST_STARTTLS] = {"STARTTLS", "performing the STARTTLS handshake"},
    [SMTP_ST_AUTH] = {"AUTH", "performing SASL authentication"},
    [SMTP_ST_READY] = {"ready", "idle"},
    [SMTP_ST_MAIL] = {"MAIL FROM", "sending MAIL FROM"},
    [SMTP_ST_RCPT] = {"RCPT TO", "sending RCPT TO"},
    [SMTP_ST_DATA] = {"DATA", "sending DATA command"},
    [SMTP_ST_BODY] = {"message body", "sending message body"},
    [SMTP_ST_DOT] = {"end of data",
        "sending end of data -- message may be sent more than once"},
    [SMTP_ST_RSET] = {"RSET", "sending RSET"},
    [SMTP_ST_QUIT] = {"QUIT", "sending QUIT"},
    [SMTP_ST_BROKEN] = {"broken", "after the connection broke"},
    [SMTP_ST_CLOSED] = {"closed", "after QUIT"},
};

/* smtp_state_name - name of a state for logs */
const char *
smtp_state_name(enum smtp_state st)
{
	if ((size_t)st >= sizeof(smtp_states) / sizeof(smtp_states[0]))
		return "unknown";
	return smtp_states[st].name;
}

/* smtp_proto_doing - the "while ..." phrase of a state */
static const char *
smtp_proto_doing(enum smtp_state st)
{
	if ((size_t)st >= sizeof(smtp_states) / sizeof(smtp_states[0]))
		return "in an unknown state";
	return smtp_states[st].doing;
}

/* smtp_proto_put - queue one command and trace it */
enum smtp_io_rc
smtp_proto_put(struct smtp_session *s, const char *cmd, size_t mask_from)
{
	size_t len = strlen(cmd);
	enum smtp_io_rc rc;

	if (msg_verbose > 0) {
		if (mask_from < len)
			msg_debug("%s: > %.*s%s", s->peer, (int)mask_from, cmd,
			    SMTP_TRACE_MASK);
		else
			msg_debug("%s: > %s", s->peer, cmd);
	}
	rc = smtp_io_write(&s->io, cmd, len, s->command_timeout_ms);
	if (rc == SMTP_IO_OK)
		rc = smtp_io_write(&s->io, "\r\n", 2, s->command_timeout_ms);
	return rc;
}

/* smtp_proto_trace - trace a reply, one line at a time */
static void
smtp_proto_trace(const struct smtp_session *s)
{
	const struct smtp_reply *r = &s->reply;
	const char *p = r->text, *nl;
	char clean[256];
	size_t i, n;

	for (i = 0; i < r->nlines; i++) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		why_printable(clean, sizeof(clean), p, n);
		msg_debug("%s: < %03d%c%s%s%s", s->peer, r->code,
		    i + 1 < r->nlines ? '-' : ' ', r->dsn,
		    r->dsn[0] != '\0' ? " " : "", clean);
		p = nl != NULL ? nl + 1 : p + n;
	}
}

/* smtp_proto_io_why - describe an I/O failure; the session is broken */
void
smtp_proto_io_why(struct smtp_session *s, enum smtp_io_rc rc,
    enum smtp_state st, struct why *why)
{
	char old[WHY_TEXT_MAX];
	const char *doing = smtp_proto_doing(st);

	s->broken = true;
	s->fail_state = st;
	switch (rc) {
	case SMTP_IO_TIMEOUT:
		why_set(why, "4.4.2", "conversation with %s timed out while %s",
		    s->peer, doing);
		break;
	case SMTP_IO_DEADLINE:
		why_set(why, "4.4.7",
		    "conversation with %s: delivery time limit exceeded "
		    "while %s",
		    s->peer, doing);
		break;
	case SMTP_IO_EOF:
		why_set(why, "4.4.2", "lost connection with %s while %s",
		    s->peer, doing);
		break;
	case SMTP_IO_BAD:
		snprintf(old, sizeof(old), "%s", why->text);
		why_set(why, "4.5.0", "%s sent a bad reply while %s: %s",
		    s->peer, doing, old);
		break;
	default:
		why_set(why, "4.4.2", "error talking to %s while %s: %s",
		    s->peer, doing, strerror(s->io.err));
		break;
	}
}

/* smtp_proto_reply - flush, then read the next reply */
enum sd_status
smtp_proto_reply(struct smtp_session *s, enum smtp_state st,
    unsigned long timeout_ms, struct why *why)
{
	enum smtp_io_rc rc;

	rc = smtp_io_flush(&s->io, timeout_ms);
	if (rc == SMTP_IO_OK) {
		smtp_reply_init(&s->reply,
		    (s->caps & SMTP_CAP_ESMTP) == 0 ||
		        (s->caps & SMTP_CAP_ENHANCEDSTATUSCODES) != 0);
		rc = smtp_io_reply(&s->io, &s->reply, timeout_ms, why);
	}
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, st, why);
		return SD_TEMP;
	}
	if (msg_verbose > 0)
		smtp_proto_trace(s);
	return SD_OK;
}

/* smtp_proto_command - enter a state, send a command, read its reply */
enum sd_status
smtp_proto_command(struct smtp_session *s, enum smtp_state st, const char *cmd,
    size_t mask_from, struct why *why)
{
	enum smtp_io_rc rc;

	s->state = st;
	rc = smtp_proto_put(s, cmd, mask_from);
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, s->state, why);
		return SD_TEMP;
	}
	return smtp_proto_reply(s, s->state, s->command_timeout_ms, why);
}

/* smtp_proto_reply_why - quote the last reply */
enum sd_status
smtp_proto_reply_why(struct smtp_session *s, const char *what, struct why *why)
{
	char quote[WHY_TEXT_MAX], dsn[WHY_DSN_MAX];
	int cls = s->reply.code / 100;

	smtp_reply_quote(&s->reply, quote, sizeof(quote));
	smtp_reply_dsn(&s->reply, dsn, sizeof(dsn));
	if (s->reply.code == 421)
		s->broken = true;
	if (cls == 2 || cls == 3) {
		why_set_reply(why, s->reply.code, dsn, "%s", quote);
		return SD_OK;
	}
	s->fail_state = s->state;
	why_set_reply(why, s->reply.code, dsn, "%s said: %s (in reply to %s)",
	    s->peer, quote, what);
	return cls == 4 ? SD_TEMP : SD_PERM;
}

/* smtp_proto_cap - take one EHLO keyword line */
static void
smtp_proto_cap(struct smtp_session *s, const char *p, size_t n)
{
	size_t k, used;
	char word[32];

	for (k = 0; k < n && k < sizeof(word) - 1 && p[k] != ' ' && p[k] != '=';
	     k++)
		word[k] = p[k];
	word[k] = '\0';
	if (strcasecmp(word, "PIPELINING") == 0)
		s->caps |= SMTP_CAP_PIPELINING;
	else if (strcasecmp(word, "8BITMIME") == 0)
		s->caps |= SMTP_CAP_8BITMIME;
	else if (strcasecmp(word, "SMTPUTF8") == 0)
		s->caps |= SMTP_CAP_SMTPUTF8;
	else if (strcasecmp(word, "ENHANCEDSTATUSCODES") == 0)
		s->caps |= SMTP_CAP_ENHANCEDSTATUSCODES;
	else if (strcasecmp(word, "DSN") == 0)
		s->caps |= SMTP_CAP_DSN;
	else if (strcasecmp(word, "STARTTLS") == 0)
		s->caps |= SMTP_CAP_STARTTLS;
	else if (strcasecmp(word, "CHUNKING") == 0)
		s->caps |= SMTP_CAP_CHUNKING;
	else if (strcasecmp(word, "LIMITS") == 0) {
		s->caps |= SMTP_CAP_LIMITS;
		if (k < n && p[k] == ' ')
			smtp_limits_parse(p + k + 1, n - k - 1, &s->limits);
	} else if (strcasecmp(word, "SIZE") == 0) {
		s->caps |= SMTP_CAP_SIZE;
		if (k < n && p[k] == ' ')
			s->size_max = strtoull(p + k + 1, NULL, 10);
	} else if (strcasecmp(word, "AUTH") == 0 && k < n) {
		s->caps |= SMTP_CAP_AUTH;
		used = strlen(s->auth_mechs);
		for (k++; k < n && used < sizeof(s->auth_mechs) - 2; k++) {
			if (used > 0 && p[k] == ' ' &&
			    s->auth_mechs[used - 1] == ' ')
				continue;
			s->auth_mechs[used++] =
			    (char)toupper((unsigned char)p[k]);
		}
		if (used > 0 && s->auth_mechs[used - 1] != ' ')
			s->auth_mechs[used++] = ' ';
		s->auth_mechs[used] = '\0';
	}
}

/* smtp_proto_caps - parse the EHLO reply's keyword lines */
static void
smtp_proto_caps(struct smtp_session *s)
{
	const char *p = s->reply.text, *nl;
	size_t i, n;

	s->caps = SMTP_CAP_ESMTP;
	for (i = 0; i < s->reply.nlines; i++) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (i > 0)
			smtp_proto_cap(s, p, n);
		p = nl != NULL ? nl + 1 : p + n;
	}
	n = strlen(s->auth_mechs);
	if (n > 0 && s->auth_mechs[n - 1] == ' ')
		s->auth_mechs[n - 1] = '\0';
	if ((s->caps & SMTP_CAP_SIZE) == 0)
		s->size_max = 0;
}

/* smtp_proto_helo - say HELO after EHLO was refused */
static enum sd_status
smtp_proto_helo(struct smtp_session *s, struct why *why)
{
	char cmd[SMTP_CMD_MAX];
	enum sd_status st;

	snprintf(cmd, sizeof(cmd), "HELO %s", s->helo_name);
	st = smtp_proto_command(s, SMTP_ST_HELO, cmd, SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	st = smtp_proto_reply_why(s, "HELO command", why);
	if (st == SD_OK)
		s->state = SMTP_ST_READY;
	return st;
}

/* smtp_proto_ehlo - say EHLO, fall back to HELO, learn capabilities */
enum sd_status
smtp_proto_ehlo(struct smtp_session *s, struct why *why)
{
	char cmd[SMTP_CMD_MAX];
	enum sd_status st;

	s->caps = 0;
	s->size_max = 0;
	memset(&s->limits, 0, sizeof(s->limits));
	s->auth_mechs[0] = '\0';
	snprintf(cmd, sizeof(cmd), "EHLO %s", s->helo_name);
	st = smtp_proto_command(s, SMTP_ST_EHLO, cmd, SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	st = smtp_proto_reply_why(s, "EHLO command", why);
	if (st == SD_OK && s->reply.code / 100 == 2) {
		smtp_proto_caps(s);
		s->state = SMTP_ST_READY;
		return SD_OK;
	}
	if (st == SD_PERM)
		return smtp_proto_helo(s, why);
	return st == SD_OK ? SD_TEMP : st;
}
