/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Sessions a resident delivery worker keeps open between its messages,
 * TLS and AUTH included (deliver_run.h): which one serves a peer, how
 * long one is kept, and which recipient domains they served.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_run.h"
#include "msg.h"
#include "xalloc.h"

/* One idle session. */
struct deliver_keep_entry {
	struct smtp_session *s; /* the session, ready */
	long long stored_ms; /* mono_now_ms() when it was kept */
	unsigned long keep_ms; /* how long it may stay idle */
	char domain[OVR_DOMAIN_MAX + 1]; /* recipient domain it served */
};

/* The worker's idle sessions, the oldest first. */
struct deliver_keep {
	struct deliver_keep_entry e[DELIVER_KEEP_MAX]; /* n in use */
	size_t n; /* sessions kept */
};

/* deliver_keep_new - an empty set */
struct deliver_keep *
deliver_keep_new(void)
{
	return xcalloc(1, sizeof(struct deliver_keep));
}

/*
 * deliver_keep_remove - forget entry i; its session is the caller's.
 * Done before anything that may give way to another task of the loop
 * (a QUIT waits for its reply), so that no index outlives a switch.
 */
static struct smtp_session *
deliver_keep_remove(struct deliver_keep *k, size_t i)
{
	struct smtp_session *s = k->e[i].s;

	memmove(&k->e[i], &k->e[i + 1], (k->n - i - 1) * sizeof(k->e[0]));
	k->n--;
	return s;
}

/* deliver_keep_drop - forget entry i, then end it (QUIT unless broken) */
static void
deliver_keep_drop(struct deliver_keep *k, size_t i)
{
	smtp_session_close(deliver_keep_remove(k, i));
}

/* deliver_keep_free - QUIT every kept session, free the set */
void
deliver_keep_free(struct deliver_keep *k)
{
	if (k == NULL)
		return;
	while (k->n > 0)
		deliver_keep_drop(k, k->n - 1);
	free(k);
}

/*
 * deliver_keep_take - the freshest kept session made for peer and opts.
 * One found idle too long or gone is ended, and the search starts over
 * (ending it may let other tasks change the set).
 */
struct smtp_session *
deliver_keep_take(struct deliver_keep *k, const struct smtp_peer *peer,
    const struct smtp_opts *opts, long long now)
{
	struct smtp_session *s;
	size_t i;
	bool stale;

	for (i = k->n; i-- > 0;) {
		if (!smtp_session_fits(k->e[i].s, peer, opts))
			continue;
		stale = now - k->e[i].stored_ms >= (long long)k->e[i].keep_ms;
		s = deliver_keep_remove(k, i);
		if (stale || !smtp_session_alive(s)) {
			msg_debug("%s: kept session %s; connecting again",
			    smtp_session_peer(s),
			    stale ? "idle too long" : "closed by the server");
			smtp_session_close(s);
			i = k->n;
			continue;
		}
		smtp_session_renew(s, opts);
		msg_debug("%s: kept session reused (%u earlier transactions)",
		    smtp_session_peer(s), smtp_session_uses(s));
		return s;
	}
	return NULL;
}

/* deliver_keep_put - keep s for keep_ms; the oldest QUIT when full */
void
deliver_keep_put(struct deliver_keep *k, struct smtp_session *s,
    const char *domain, unsigned long keep_ms, long long now)
{
	struct deliver_keep_entry *e;
	struct smtp_opts idle;

	/* No message's deadline while idle: QUIT has its own bound. */
	memset(&idle, 0, sizeof(idle));
	smtp_session_renew(s, &idle);
	while (k->n == DELIVER_KEEP_MAX)
		deliver_keep_drop(k, 0);
	e = &k->e[k->n++];
	e->s = s;
	e->stored_ms = now;
	e->keep_ms = keep_ms;
	snprintf(
	    e->domain, sizeof(e->domain), "%s", domain != NULL ? domain : "");
}

/* deliver_keep_expire - QUIT what was idle too long; ms to the next */
long long
deliver_keep_expire(struct deliver_keep *k, long long now)
{
	long long next = -1, left;
	size_t i;

	for (i = k->n; i-- > 0;) {
		left = k->e[i].stored_ms + (long long)k->e[i].keep_ms - now;
		if (left > 0) {
			if (next < 0 || left < next)
				next = left;
			continue;
		}
		deliver_keep_drop(k, i);
		/* Over again: the set may have changed meanwhile. */
		i = k->n;
		next = -1;
	}
	return next;
}

/* deliver_keep_pollfds - the kept sockets, to notice a server leaving */
size_t
deliver_keep_pollfds(
    const struct deliver_keep *k, struct pollfd *pfd, size_t max)
{
	size_t i;

	for (i = 0; i < k->n && i < max; i++) {
		pfd[i].fd = smtp_session_fd(k->e[i].s);
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return i;
}

/* deliver_keep_check - close the sessions the servers closed or spoke on */
void
deliver_keep_check(struct deliver_keep *k)
{
	size_t i;

	for (i = k->n; i-- > 0;) {
		if (smtp_session_alive(k->e[i].s))
			continue;
		deliver_keep_drop(k, i);
		i = k->n;
	}
}

/* deliver_keep_domains - "a.example\0b.example\0", each domain once */
size_t
deliver_keep_domains(const struct deliver_keep *k, char *buf, size_t size)
{
	size_t i, j, len, off = 0;
	bool seen;

	for (i = k->n; i-- > 0;) {
		len = strlen(k->e[i].domain);
		if (len == 0 || len + 1 > size - off)
			continue;
		for (j = k->n, seen = false; j-- > i + 1 && !seen;)
			seen = strcmp(k->e[j].domain, k->e[i].domain) == 0;
		if (seen)
			continue;
		memcpy(buf + off, k->e[i].domain, len + 1);
		off += len + 1;
	}
	return off;
}

/* deliver_keep_count - sessions kept */
size_t
deliver_keep_count(const struct deliver_keep *k)
{
	return k->n;
}
