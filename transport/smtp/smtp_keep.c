/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Sessions kept open inside one process between messages, TLS and
 * AUTH included: whether one can be kept, whether it serves a peer
 * exactly as a new one would, and whether the server is still there.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "smtp_int.h"

#define SMTP_KEEP_PROBES 4 /* TLS records without data taken in at most */

/* smtp_session_keepable - could it stay open for a later transaction? */
bool
smtp_session_keepable(const struct smtp_session *s)
{
	return s != NULL && !s->broken && s->state == SMTP_ST_READY &&
	    !s->need_rset && s->io.fd >= 0 && s->io.out_len == 0 &&
	    smtp_io_pending(&s->io) == 0;
}

/* smtp_session_rset_owed - did a transaction stop half-way? */
bool
smtp_session_rset_owed(const struct smtp_session *s)
{
	return s->need_rset;
}

/* smtp_keep_str_same - two optional strings ("" is none) alike */
static bool
smtp_keep_str_same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* smtp_keep_creds_same - the same user and password, or none for both */
static bool
smtp_keep_creds_same(const struct smtp_session *s, const struct smtp_peer *peer)
{
	const char *pass = peer->pass != NULL ? peer->pass : "";
	size_t plen = peer->pass != NULL ? peer->pass_len : 0;

	if (peer->user == NULL || s->user == NULL)
		return peer->user == NULL && s->user == NULL;
	return peer->user_len == s->user_len &&
	    memcmp(peer->user, s->user, s->user_len) == 0 &&
	    plen == s->pass_len && memcmp(pass, s->pass, plen) == 0;
}

/* smtp_keep_tlsa_same - the usable records of peer are s's, in order */
static bool
smtp_keep_tlsa_same(const struct smtp_session *s, const struct smtp_peer *peer)
{
	const struct smtp_tlsa *a, *b;
	size_t i, n = 0;

	if (peer->tls != CFG_TLS_DANE)
		return s->ntlsa == 0;
	for (i = 0; peer->tlsa != NULL && i < peer->ntlsa && n < SMTP_TLSA_MAX;
	     i++) {
		a = &peer->tlsa[i];
		if (!smtp_tls_tlsa_usable(a))
			continue;
		if (n == s->ntlsa)
			return false;
		b = &s->tlsa[n++];
		if (a->usage != b->usage || a->selector != b->selector ||
		    a->mtype != b->mtype || a->len != b->len ||
		    memcmp(a->data, b->data, a->len) != 0)
			return false;
	}
	return n == s->ntlsa;
}

/* smtp_keep_ca_same - the CA bundle is still the one the session used */
static bool
smtp_keep_ca_same(const struct smtp_session *s)
{
	struct fileid id = s->tls_ca_id;

	return s->tls_ca_file == NULL || !s->tls_active ||
	    fileid_same(s->tls_ca_file, &id);
}

/* smtp_session_fits - made for exactly this peer and these options? */
bool
smtp_session_fits(const struct smtp_session *s, const struct smtp_peer *peer,
    const struct smtp_opts *opts)
{
	char host[SMTP_HOST_MAX + 1], addr[sizeof(s->addr)];
	const char *helo = opts->helo_name != NULL && *opts->helo_name != '\0'
	    ? opts->helo_name
	    : "localhost";

	smtp_session_names(peer, host, sizeof(host), addr, sizeof(addr));
	return strcmp(host, s->host) == 0 && strcmp(addr, s->addr) == 0 &&
	    peer->port == s->port && strcmp(helo, s->helo_name) == 0 &&
	    peer->tls == s->tls_asked && smtp_keep_tlsa_same(s, peer) &&
	    smtp_keep_str_same(opts->tls_ca_file, s->tls_ca_file) &&
	    smtp_keep_ca_same(s) &&
	    opts->tls_min_version == s->tls_min_version &&
	    opts->auth_without_tls == s->auth_without_tls &&
	    smtp_keep_creds_same(s, peer);
}

/*
 * smtp_session_alive - nothing came while it was idle. Over TLS a
 * readable socket may carry records without data (a TLS 1.3 session
 * ticket): those are taken in, and the session stays alive. Anything
 * else (data such as a 421, end of file, an error) breaks it.
 */
bool
smtp_session_alive(struct smtp_session *s)
{
	struct pollfd pfd;
	char buf[256];
	short want = 0;
	ssize_t n;
	int i;

	if (!smtp_session_keepable(s))
		return false;
	for (i = 0; i < SMTP_KEEP_PROBES; i++) {
		pfd.fd = s->io.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, 0);
		if (n == 0)
			return true;
		if (n < 0 || pfd.revents != POLLIN || s->io.layer == NULL)
			break;
		want = 0;
		n = s->io.recv(&s->io, buf, sizeof(buf), &want);
		if (n >= 0 || errno != EAGAIN || want != POLLIN)
			break;
	}
	s->broken = true;
	s->fail_state = SMTP_ST_READY;
	return false;
}

/* smtp_session_renew - the timeouts and deadline of a new message */
void
smtp_session_renew(struct smtp_session *s, const struct smtp_opts *opts)
{
	if (opts->connect_timeout_ms != 0)
		s->connect_timeout_ms = opts->connect_timeout_ms;
	if (opts->command_timeout_ms != 0)
		s->command_timeout_ms = opts->command_timeout_ms;
	if (opts->data_timeout_ms != 0)
		s->data_timeout_ms = opts->data_timeout_ms;
	s->deadline_ms = opts->deadline_ms;
	s->io.deadline_ms = opts->deadline_ms;
	s->fail_state = SMTP_ST_READY;
}

/* smtp_session_fd - the socket, for poll(2) while idle */
int
smtp_session_fd(const struct smtp_session *s)
{
	return s->io.fd;
}
