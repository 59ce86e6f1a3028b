/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Reuse: a plaintext session between transactions leaves the process
 * as a socket and a struct smtp_reuse, and comes back as a ready
 * session in another one (deliver and scache carry it over).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "smtp_int.h"

/* smtp_session_reusable - could another transaction use it? */
bool
smtp_session_reusable(const struct smtp_session *s)
{
	return smtp_session_keepable(s) && !s->tls_active && s->user == NULL;
}

/* smtp_session_detach - the socket and what it carries, without QUIT */
int
smtp_session_detach(struct smtp_session *s, struct smtp_reuse *r)
{
	int fd;

	if (!smtp_session_reusable(s))
		return -1;
	memset(r, 0, sizeof(*r));
	r->version = SMTP_REUSE_VERSION;
	r->caps = s->caps;
	r->size_max = s->size_max;
	r->limits = s->limits;
	r->uses = s->uses;
	r->born_ms = s->born_ms;
	snprintf(r->tls_note, sizeof(r->tls_note), "%s", s->tls_note);
	fd = s->io.fd;
	s->io.fd = -1;
	smtp_io_fini(&s->io);
	smtp_session_free(s);
	return fd;
}

/* smtp_session_adopt - a ready session on a socket handed over */
enum sd_status
smtp_session_adopt(struct smtp_session **sp, int fd, const struct smtp_reuse *r,
    const struct smtp_peer *peer, const struct smtp_opts *opts, struct why *why)
{
	struct smtp_session *s;
	int fl;

	*sp = NULL;
	if (r->version != SMTP_REUSE_VERSION || peer->user != NULL ||
	    (peer->tls != CFG_TLS_NONE && peer->tls != CFG_TLS_MAY)) {
		close(fd);
		why_set(why, "4.3.0", "%s: a kept connection cannot serve",
		    peer->addr);
		return SD_TEMP;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		why_set(why, "4.3.0", "%s: kept connection: %s", peer->addr,
		    strerror(errno));
		return SD_TEMP;
	}
	s = smtp_session_new(peer, opts);
	smtp_io_init(&s->io, fd, opts->deadline_ms);
	s->state = SMTP_ST_READY;
	s->greeted = true;
	s->caps = r->caps;
	s->size_max = r->size_max;
	s->limits = r->limits;
	s->uses = r->uses;
	s->born_ms = r->born_ms;
	snprintf(s->tls_note, sizeof(s->tls_note), "%.*s",
	    (int)sizeof(r->tls_note) - 1, r->tls_note);
	msg_debug("%s: connection reused (%u earlier transactions)", s->peer,
	    s->uses);
	*sp = s;
	return SD_OK;
}

/* smtp_session_uses - transactions begun on the connection */
unsigned
smtp_session_uses(const struct smtp_session *s)
{
	return s->uses;
}

/* smtp_session_born - connection time */
long long
smtp_session_born(const struct smtp_session *s)
{
	return s->born_ms;
}
