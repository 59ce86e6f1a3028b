/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * AUTH PLAIN (RFC 4616, with an initial response) and LOGIN with the
 * route's credentials, after TLS unless told otherwise. Every buffer
 * that held a password is wiped; the trace shows it masked.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "msg.h"
#include "smtp_int.h"
#include "xalloc.h"

#define SMTP_AUTH_PLAIN_CMD "AUTH PLAIN " /* before the masked response */

/* smtp_auth_b64 - base64 into a bounded buffer */
size_t
smtp_auth_b64(const void *in, size_t len, char *out, size_t size)
{
	size_t need;

	if (size > 0)
		out[0] = '\0';
	if (len == 0 || len > (SIZE_MAX - 3) / 4 * 3 - 3 || len > INT32_MAX)
		return 0;
	need = (len + 2) / 3 * 4 + 1;
	if (need > size)
		return 0;
	return (size_t)EVP_EncodeBlock(
	    (unsigned char *)out, (const unsigned char *)in, (int)len);
}

/* smtp_auth_plain_arg - base64 of "\0user\0password" */
bool
smtp_auth_plain_arg(const char *user, size_t user_len, const char *pass,
    size_t pass_len, char *out, size_t size)
{
	size_t n;
	char *raw;
	bool ok;

	if (user_len > SIZE_MAX / 2 - 2 || pass_len > SIZE_MAX / 2 - 2)
		return false;
	n = user_len + pass_len + 2;
	raw = xmalloc(n);
	raw[0] = '\0';
	memcpy(raw + 1, user, user_len);
	raw[1 + user_len] = '\0';
	memcpy(raw + 2 + user_len, pass, pass_len);
	ok = smtp_auth_b64(raw, n, out, size) > 0;
	xfree_secret(raw, n);
	return ok;
}

/* smtp_auth_has - is word one of the space-separated mechanisms */
static bool
smtp_auth_has(const char *mechs, const char *word)
{
	size_t n = strlen(word);
	const char *p = mechs;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == mechs || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/* smtp_auth_pick - PLAIN, else LOGIN, else nothing */
const char *
smtp_auth_pick(const char *mechs)
{
	if (mechs == NULL)
		return NULL;
	if (smtp_auth_has(mechs, "PLAIN"))
		return "PLAIN";
	if (smtp_auth_has(mechs, "LOGIN"))
		return "LOGIN";
	return NULL;
}

/* smtp_auth_wipe - wipe and free the credentials */
void
smtp_auth_wipe(struct smtp_session *s)
{
	if (s->user != NULL)
		xfree_secret(s->user, s->user_len);
	if (s->pass != NULL)
		xfree_secret(s->pass, s->pass_len);
	s->user = s->pass = NULL;
	s->user_len = s->pass_len = 0;
}

/* smtp_auth_scrub - wipe a command buffer and the sent output */
static void
smtp_auth_scrub(struct smtp_session *s, char *buf, size_t size)
{
	explicit_bzero(buf, size);
	if (s->io.out != NULL)
		explicit_bzero(s->io.out, SMTP_IO_OUTBUF);
	s->io.out_len = 0;
}

/* smtp_auth_step - send one line (masked from mask_from), read a reply */
static enum sd_status
smtp_auth_step(struct smtp_session *s, char *cmd, size_t size, size_t mask_from,
    struct why *why)
{
	enum smtp_io_rc rc;
	enum sd_status st;

	rc = smtp_proto_put(s, cmd, mask_from);
	if (rc != SMTP_IO_OK) {
		smtp_auth_scrub(s, cmd, size);
		smtp_proto_io_why(s, rc, SMTP_ST_AUTH, why);
		return SD_TEMP;
	}
	st = smtp_proto_reply(s, SMTP_ST_AUTH, s->command_timeout_ms, why);
	smtp_auth_scrub(s, cmd, size);
	return st;
}

/* smtp_auth_refused - the server said no: a temporary failure */
static enum sd_status
smtp_auth_refused(struct smtp_session *s, const char *mech, struct why *why)
{
	char quote[WHY_TEXT_MAX], dsn[WHY_DSN_MAX];
	char cancel[2] = "*";

	/* A challenge where none belongs: cancel the exchange. */
	if (s->reply.code == 334 &&
	    smtp_auth_step(s, cancel, sizeof(cancel), SIZE_MAX, why) != SD_OK)
		return SD_TEMP;
	smtp_reply_quote(&s->reply, quote, sizeof(quote));
	smtp_reply_dsn(&s->reply, dsn, sizeof(dsn));
	if (s->reply.code == 421)
		s->broken = true;
	s->fail_state = SMTP_ST_AUTH;
	why_set_reply(why, s->reply.code, dsn,
	    "SASL %s authentication failed; server %s said: %s", mech, s->peer,
	    quote);
	return SD_TEMP;
}

/* smtp_auth_plain - AUTH PLAIN with an initial response */
static enum sd_status
smtp_auth_plain(struct smtp_session *s, struct why *why)
{
	size_t pre = sizeof(SMTP_AUTH_PLAIN_CMD) - 1;
	char cmd[SMTP_CMD_MAX];
	enum sd_status st;

	memcpy(cmd, SMTP_AUTH_PLAIN_CMD, pre);
	if (!smtp_auth_plain_arg(s->user, s->user_len, s->pass, s->pass_len,
	        cmd + pre, sizeof(cmd) - pre)) {
		explicit_bzero(cmd, sizeof(cmd));
		s->fail_state = SMTP_ST_AUTH;
		why_set(
		    why, "4.7.0", "%s: credentials too long for AUTH", s->peer);
		return SD_TEMP;
	}
	st = smtp_auth_step(s, cmd, sizeof(cmd), pre, why);
	if (st != SD_OK)
		return st;
	/* 235 per RFC 4954; any 2xx is success, as for Postfix's client. */
	return s->reply.code / 100 == 2 ? SD_OK
	                                : smtp_auth_refused(s, "PLAIN", why);
}

/* smtp_auth_login - AUTH LOGIN: user, then password, each on a 334 */
static enum sd_status
smtp_auth_login(struct smtp_session *s, struct why *why)
{
	char cmd[SMTP_CMD_MAX];
	enum sd_status st;

	snprintf(cmd, sizeof(cmd), "AUTH LOGIN");
	st = smtp_auth_step(s, cmd, sizeof(cmd), SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	if (s->reply.code != 334)
		return smtp_auth_refused(s, "LOGIN", why);
	if (smtp_auth_b64(s->user, s->user_len, cmd, sizeof(cmd)) == 0 &&
	    s->user_len > 0)
		goto too_long;
	st = smtp_auth_step(s, cmd, sizeof(cmd), SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	if (s->reply.code != 334)
		return smtp_auth_refused(s, "LOGIN", why);
	if (smtp_auth_b64(s->pass, s->pass_len, cmd, sizeof(cmd)) == 0 &&
	    s->pass_len > 0)
		goto too_long;
	st = smtp_auth_step(s, cmd, sizeof(cmd), 0, why);
	if (st != SD_OK)
		return st;
	return s->reply.code / 100 == 2 ? SD_OK
	                                : smtp_auth_refused(s, "LOGIN", why);

too_long:
	explicit_bzero(cmd, sizeof(cmd));
	/* The server waits for a line: cancel, and give up on it. */
	s->broken = true;
	s->fail_state = SMTP_ST_AUTH;
	why_set(why, "4.7.0", "%s: credentials too long for AUTH", s->peer);
	return SD_TEMP;
}

/* smtp_auth_run - AUTH with the session's credentials, if any */
enum sd_status
smtp_auth_run(struct smtp_session *s, struct why *why)
{
	char mechs[120];
	const char *mech;
	enum sd_status st;

	if (s->user == NULL)
		return SD_OK;
	if (!s->tls_active && !s->auth_without_tls) {
		s->fail_state = SMTP_ST_AUTH;
		why_set(why, "4.7.10",
		    "credentials for %s not sent without TLS (%s; "
		    "auth_requires_tls = yes)",
		    s->peer, s->tls_note[0] != '\0' ? s->tls_note : "no TLS");
		return SD_TEMP;
	}
	if ((s->caps & SMTP_CAP_AUTH) == 0) {
		s->fail_state = SMTP_ST_AUTH;
		why_set(why, "4.7.0",
		    "%s offers no AUTH, but credentials are configured for it",
		    s->peer);
		return SD_TEMP;
	}
	if ((mech = smtp_auth_pick(s->auth_mechs)) == NULL) {
		s->fail_state = SMTP_ST_AUTH;
		why_printable(
		    mechs, sizeof(mechs), s->auth_mechs, strlen(s->auth_mechs));
		why_set(why, "4.7.0",
		    "%s offers no AUTH mechanism we support (PLAIN, LOGIN): %s",
		    s->peer, mechs);
		return SD_TEMP;
	}
	s->state = SMTP_ST_AUTH;
	st = strcmp(mech, "PLAIN") == 0 ? smtp_auth_plain(s, why)
	                                : smtp_auth_login(s, why);
	if (st != SD_OK) {
		s->fail_state = SMTP_ST_AUTH;
		return st;
	}
	msg_debug("%s: authenticated with %s", s->peer, mech);
	s->authenticated = true;
	s->state = SMTP_ST_READY;
	return SD_OK;
}
