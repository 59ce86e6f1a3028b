/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The session around the transactions: new, open, greeting and hello,
 * RSET, QUIT, close, and what a session tells of itself (smtp.h).
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

#define SMTP_DEF_CONNECT_MS 30000 /* connect timeout when 0 is given */
#define SMTP_DEF_COMMAND_MS 300000 /* command timeout when 0 is given */
#define SMTP_DEF_DATA_MS 600000 /* data timeout when 0 is given */

/* smtp_session_tlsa - copy the peer's usable TLSA records */
static void
smtp_session_tlsa(struct smtp_session *s, const struct smtp_peer *peer)
{
	size_t i, n = 0;

	s->tls_policy = peer->tls;
	s->tls_asked = peer->tls;
	if (peer->tls == CFG_TLS_IMPLICIT) {
		/* RFC 8314: TLS at once, the certificate checked as verify. */
		s->tls_implicit = true;
		s->tls_policy = CFG_TLS_VERIFY;
		return;
	}
	if (peer->tls != CFG_TLS_DANE)
		return;
	/* RFC 7672 section 2.2: no TLSA records, opportunistic TLS. */
	s->tls_policy = CFG_TLS_MAY;
	if (peer->ntlsa == 0 || peer->tlsa == NULL)
		return;
	s->tlsa = xcalloc(SMTP_TLSA_MAX, sizeof(*s->tlsa));
	for (i = 0; i < peer->ntlsa && n < SMTP_TLSA_MAX; i++) {
		if (!smtp_tls_tlsa_usable(&peer->tlsa[i]))
			continue;
		s->tlsa[n] = peer->tlsa[i];
		s->tlsa[n].data = (const unsigned char *)xmemdup0(
		    peer->tlsa[i].data, peer->tlsa[i].len);
		n++;
	}
	s->ntlsa = n;
	/* Records, none usable: TLS is a must, authentication is not. */
	s->tls_policy = n > 0 ? CFG_TLS_DANE : CFG_TLS_ENCRYPT;
	s->tls_dane = n > 0;
}

/* smtp_session_free - release everything a session owns */
void
smtp_session_free(struct smtp_session *s)
{
	size_t i;

	smtp_auth_wipe(s);
	for (i = 0; i < s->ntlsa; i++)
		free((void *)s->tlsa[i].data);
	free(s->tlsa);
	free(s->tls_ca_file);
	free(s->helo_name);
	free(s);
}

/* smtp_session_names - the host name and the bare address of peer */
void
smtp_session_names(const struct smtp_peer *peer, char *host, size_t hsize,
    char *addr, size_t asize)
{
	const char *a = peer->addr;
	size_t alen = strlen(a);

	snprintf(host, hsize, "%s",
	    peer->host != NULL && *peer->host != '\0' ? peer->host : a);
	if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') {
		a++;
		alen -= 2;
	}
	snprintf(addr, asize, "%.*s", (int)alen, a);
	if (strcmp(host, peer->addr) == 0)
		snprintf(host, hsize, "%s", addr);
}

/* smtp_session_new - a session for peer, not connected */
struct smtp_session *
smtp_session_new(const struct smtp_peer *peer, const struct smtp_opts *opts)
{
	struct smtp_session *s;

	s = xcalloc(1, sizeof(*s));
	s->io.fd = -1;
	smtp_session_names(
	    peer, s->host, sizeof(s->host), s->addr, sizeof(s->addr));
	s->port = peer->port;
	snprintf(
	    s->peer, sizeof(s->peer), "%s[%s]:%u", s->host, s->addr, s->port);
	s->helo_name = xstrdup(opts->helo_name != NULL && *opts->helo_name
	        ? opts->helo_name
	        : "localhost");
	s->connect_timeout_ms = opts->connect_timeout_ms != 0
	    ? opts->connect_timeout_ms
	    : SMTP_DEF_CONNECT_MS;
	s->command_timeout_ms = opts->command_timeout_ms != 0
	    ? opts->command_timeout_ms
	    : SMTP_DEF_COMMAND_MS;
	s->data_timeout_ms = opts->data_timeout_ms != 0 ? opts->data_timeout_ms
	                                                : SMTP_DEF_DATA_MS;
	s->deadline_ms = opts->deadline_ms;
	smtp_session_tlsa(s, peer);
	if (opts->tls_ca_file != NULL && opts->tls_ca_file[0] != '\0') {
		s->tls_ca_file = xstrdup(opts->tls_ca_file);
		/* Before any load: a kept session then fits only while
		 * the bundle it was verified with is the file's. */
		if (peer->tls != CFG_TLS_NONE)
			fileid_get(s->tls_ca_file, &s->tls_ca_id);
	}
	s->tls_min_version = opts->tls_min_version;
	s->auth_without_tls = opts->auth_without_tls;
	if (peer->user != NULL) {
		s->user = xmemdup0(peer->user, peer->user_len);
		s->user_len = peer->user_len;
		s->pass = xmemdup0(
		    peer->pass != NULL ? peer->pass : "", peer->pass_len);
		s->pass_len = peer->pass != NULL ? peer->pass_len : 0;
	}
	s->state = SMTP_ST_CONNECT;
	s->fail_state = SMTP_ST_READY;
	return s;
}

/* smtp_session_open - connect */
enum sd_status
smtp_session_open(struct smtp_session **sp, const struct smtp_peer *peer,
    const struct smtp_opts *opts, struct why *why)
{
	struct smtp_session *s = smtp_session_new(peer, opts);

	*sp = NULL;
	if (s->port == 0 || s->port > 65535) {
		why_set(why, "4.4.1", "connect to %s: bad port", s->peer);
	} else if (smtp_conn_connect(s, opts->deadline_ms, why) == SD_OK) {
		s->state = SMTP_ST_GREETING;
		s->born_ms = mono_now_ms();
		*sp = s;
		return SD_OK;
	}
	smtp_session_free(s);
	return SD_TEMP;
}

/* smtp_session_not_ready - refuse a step in the wrong state */
static enum sd_status
smtp_session_not_ready(
    struct smtp_session *s, const char *step, struct why *why)
{
	why_set(why, "4.3.0", "%s: cannot %s in state %s", s->peer, step,
	    smtp_state_name(smtp_session_state(s)));
	return SD_TEMP;
}

/* smtp_proto_greet - read the greeting, then EHLO */
enum sd_status
smtp_proto_greet(struct smtp_session *s, struct why *why)
{
	enum sd_status st;
	char quote[WHY_TEXT_MAX], dsn[WHY_DSN_MAX];

	st = smtp_proto_reply(s, s->state, s->command_timeout_ms, why);
	if (st != SD_OK)
		return st;
	s->greeted = true;
	if (s->reply.code / 100 != 2) {
		s->fail_state = SMTP_ST_GREETING;
		if (s->reply.code == 421)
			s->broken = true;
		smtp_reply_quote(&s->reply, quote, sizeof(quote));
		why_set_reply(why, s->reply.code,
		    smtp_reply_dsn(&s->reply, dsn, sizeof(dsn)),
		    "%s refused to talk to me: %s", s->peer, quote);
		return s->reply.code / 100 == 4 ? SD_TEMP : SD_PERM;
	}
	return smtp_proto_ehlo(s, why);
}

/* smtp_session_hello - greeting, EHLO, STARTTLS, AUTH */
enum sd_status
smtp_session_hello(struct smtp_session *s, struct why *why)
{
	enum sd_status st;

	if (s->broken || s->state != SMTP_ST_GREETING || s->greeted)
		return smtp_session_not_ready(s, "say hello", why);
	if (s->tls_implicit && (st = smtp_tls_implicit(s, why)) != SD_OK)
		return st;
	if ((st = smtp_proto_greet(s, why)) != SD_OK)
		return st;
	if ((st = smtp_tls_negotiate(s, why)) != SD_OK)
		return st;
	return smtp_auth_run(s, why);
}

/* smtp_session_reset - RSET */
enum sd_status
smtp_session_reset(struct smtp_session *s, struct why *why)
{
	enum sd_status st;

	if (s->broken || s->state != SMTP_ST_READY)
		return smtp_session_not_ready(s, "send RSET", why);
	st = smtp_proto_command(s, SMTP_ST_RSET, "RSET", SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	st = smtp_proto_reply_why(s, "RSET command", why);
	if (st != SD_OK) {
		s->broken = true;
		return st;
	}
	s->need_rset = false;
	s->state = SMTP_ST_READY;
	return SD_OK;
}

/* smtp_session_quit - QUIT, briefly waiting for the answer */
enum sd_status
smtp_session_quit(struct smtp_session *s, struct why *why)
{
	unsigned long t = s->command_timeout_ms;
	enum smtp_io_rc rc;
	enum sd_status st;

	if (s->broken || s->state == SMTP_ST_CLOSED ||
	    (s->state == SMTP_ST_GREETING && !s->greeted))
		return smtp_session_not_ready(s, "send QUIT", why);
	if (t > SMTP_QUIT_TIMEOUT_MS)
		t = SMTP_QUIT_TIMEOUT_MS;
	s->state = SMTP_ST_QUIT;
	rc = smtp_proto_put(s, "QUIT", SIZE_MAX);
	if (rc != SMTP_IO_OK) {
		smtp_proto_io_why(s, rc, s->state, why);
		st = SD_TEMP;
	} else {
		st = smtp_proto_reply(s, s->state, t, why);
		if (st == SD_OK)
			st = smtp_proto_reply_why(s, "QUIT command", why);
	}
	s->state = SMTP_ST_CLOSED;
	s->broken = false;
	return st;
}

/* smtp_session_close - end the session */
void
smtp_session_close(struct smtp_session *s)
{
	struct why why;

	if (s == NULL)
		return;
	if (!s->broken && s->state != SMTP_ST_CLOSED &&
	    (s->state != SMTP_ST_GREETING || s->greeted))
		(void)smtp_session_quit(s, &why);
	smtp_io_fini(&s->io);
	smtp_session_free(s);
}

/* smtp_session_state - current state, BROKEN once unusable */
enum smtp_state
smtp_session_state(const struct smtp_session *s)
{
	return s->broken ? SMTP_ST_BROKEN : s->state;
}

/* smtp_session_fail_state - where the last failure happened */
enum smtp_state
smtp_session_fail_state(const struct smtp_session *s)
{
	return s->fail_state;
}

/* smtp_session_peer - "host[addr]:port" */
const char *
smtp_session_peer(const struct smtp_session *s)
{
	return s->peer;
}

/* smtp_session_caps - capability bits */
unsigned
smtp_session_caps(const struct smtp_session *s)
{
	return s->caps;
}

/* smtp_session_size_max - announced SIZE limit */
unsigned long long
smtp_session_size_max(const struct smtp_session *s)
{
	return s->size_max;
}

/* smtp_session_auth_mechs - announced AUTH mechanisms */
const char *
smtp_session_auth_mechs(const struct smtp_session *s)
{
	return s->auth_mechs;
}
