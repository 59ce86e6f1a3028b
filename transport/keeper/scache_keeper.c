/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The connection keeper: one process per state_dir holding idle SMTP
 * connections for the deliver processes that follow (scache.h). It
 * never logs: its descriptors are gone, and a lost connection costs
 * only a new one.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mono.h"
#include "scache_int.h"
#include "worker.h"
#include "worker_int.h"

#define SCACHE_IO_MS 100 /* longest wait on a client */
#define SCACHE_ACCEPT_MAX 32 /* clients served per wake-up */

/* One kept connection. */
struct scache_entry {
	int fd; /* the connection */
	long long stored_ms; /* when it was handed over */
	size_t blob_len; /* bytes in blob */
	char key[SCACHE_KEY_MAX + 1]; /* what it is kept for */
	unsigned char blob[SCACHE_BLOB_MAX]; /* its description */
};

/* The keeper's table. */
struct scache_keep {
	struct scache_entry *e; /* SCACHE_MAX entries */
	size_t n; /* in use */
	unsigned long keep_ms; /* idle time allowed */
	uid_t uid; /* the only user served */
	struct worker_pool *pool; /* delivery workers; NULL if none */
	bool retire; /* a client of another program file came */
};

/* scache_drop - close entry i (QUIT first when asked) and forget it */
static void
scache_drop(struct scache_keep *k, size_t i, bool quit)
{
	if (quit)
		scache_quit(k->e[i].fd);
	else
		close(k->e[i].fd);
	if (i != k->n - 1)
		k->e[i] = k->e[k->n - 1];
	k->n--;
}

/* scache_add - keep fd; false (fd untouched) when full */
static bool
scache_add(struct scache_keep *k, int fd, const char *key, size_t key_len,
    const void *blob, size_t blob_len)
{
	struct scache_entry *e;

	if (k->n == SCACHE_MAX || key_len == 0 || key_len > SCACHE_KEY_MAX ||
	    blob_len > SCACHE_BLOB_MAX)
		return false;
	e = &k->e[k->n++];
	e->fd = fd;
	e->stored_ms = mono_now_ms();
	memcpy(e->key, key, key_len);
	e->key[key_len] = '\0';
	memcpy(e->blob, blob, blob_len);
	e->blob_len = blob_len;
	return true;
}

/*
 * scache_request - a PUT (fd the connection) or GET on socket c, the
 * message in buf; closing: keep nothing more. Takes fd.
 */
static void
scache_request(struct scache_keep *k, int c, const char *buf,
    const struct scache_hdr *h, int fd, bool closing)
{
	char key[SCACHE_KEY_MAX + 1];
	size_t i;

	memcpy(key, buf + sizeof(*h), h->key_len);
	key[h->key_len] = '\0';
	if (h->op == SCACHE_OP_PUT && fd >= 0) {
		if (closing ||
		    !scache_add(k, fd, key, h->key_len,
		        buf + sizeof(*h) + h->key_len, h->blob_len))
			scache_quit(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (h->op != SCACHE_OP_GET)
		return;
	/* The freshest first: the likeliest to be alive still. */
	for (i = k->n; i-- > 0;) {
		if (strcmp(k->e[i].key, key) != 0)
			continue;
		if (scache_send(c, SCACHE_OP_HIT, key, k->e[i].blob,
		        k->e[i].blob_len, k->e[i].fd))
			scache_drop(k, i, false);
		return;
	}
	(void)scache_send(c, SCACHE_OP_MISS, key, "", 0, -1);
}

/* scache_worker_request - a worker's get or put, over its own socket */
static void
scache_worker_request(
    void *ctx, int sock, const char *buf, const struct scache_hdr *h, int fd)
{
	scache_request(ctx, sock, buf, h, fd, false);
}

/*
 * scache_workers_now - what the workers said since the last poll: the
 * keeper serves up to SCACHE_ACCEPT_MAX clients per wake-up, and a
 * worker's "idle" sent meanwhile must not be missed
 */
static void
scache_workers_now(struct scache_keep *k)
{
	struct pollfd pfd[WORKER_MAX];
	size_t n = worker_pool_pollfds(k->pool, pfd);

	if (n > 0 && poll(pfd, n, 0) > 0)
		worker_pool_events(k->pool, pfd, n, scache_worker_request, k);
}

/* scache_deliver - a delivery request: to a worker, or answered "no" */
static void
scache_deliver(struct scache_keep *k, int c, const char *buf,
    const struct scache_hdr *h, int *fds, size_t nfd, bool closing)
{
	size_t i;

	if (!closing && k->pool != NULL && !worker_pool_idle(k->pool))
		scache_workers_now(k);
	if (nfd != 3 || closing || k->pool == NULL || k->retire) {
		(void)scache_send(c, SCACHE_OP_NO, "", "", 0, -1);
		for (i = 0; i < nfd; i++)
			close(fds[i]);
		return;
	}
	if (!worker_pool_dispatch(
	        k->pool, c, buf + sizeof(*h) + h->key_len, h->blob_len, fds))
		k->retire = true;
}

/* scache_serve - one client, one request; closing: keep nothing more */
static void
scache_serve(struct scache_keep *k, int c, bool closing)
{
	static char buf[SCACHE_BIG_MAX];
	struct timeval tv = {0, SCACHE_IO_MS * 1000};
	struct scache_hdr h;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fds[SCACHE_FDS_MAX];
	size_t i, nfd;
	int fd = -1;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != k->uid)
		return;
	(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!scache_recvv(c, buf, sizeof(buf), &h, fds, &nfd))
		return;
	if (h.op == SCACHE_OP_DELIVER) {
		scache_deliver(k, c, buf, &h, fds, nfd, closing);
		return;
	}
	if (nfd == 1)
		fd = fds[0];
	else
		for (i = 0; i < nfd; i++)
			close(fds[i]);
	scache_request(k, c, buf, &h, fd, closing);
}

/* scache_accept - serve the clients waiting on lfd */
static void
scache_accept(struct scache_keep *k, int lfd, bool closing)
{
	int i, c;

	for (i = 0; i < SCACHE_ACCEPT_MAX; i++) {
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return;
		scache_serve(k, c, closing);
		close(c);
	}
}

/*
 * scache_expire - drop what was idle too long; ms until the next one,
 * -1 when nothing is held
 */
static long long
scache_expire(struct scache_keep *k, long long now)
{
	long long next = -1, left;
	size_t i;

	for (i = k->n; i-- > 0;) {
		left = k->e[i].stored_ms + (long long)k->keep_ms - now;
		if (left <= 0)
			scache_drop(k, i, true);
		else if (next < 0 || left < next)
			next = left;
	}
	return next;
}

/* scache_keeper - serve until nothing held and no worker for the linger */
void
scache_keeper(int lfd, const char *sock_path, int fd, const char *key,
    const void *blob, size_t blob_len, unsigned long keep_ms,
    unsigned long linger_ms)
{
	struct pollfd pfd[1 + SCACHE_MAX + WORKER_MAX];
	struct scache_keep k;
	long long now, idle_since = 0, wait, linger, w;
	size_t i, n, nw;

	k.e = calloc(SCACHE_MAX, sizeof(*k.e));
	k.n = 0;
	k.keep_ms = keep_ms;
	k.uid = geteuid();
	k.pool = worker_pool_new();
	k.retire = false;
	if (fd >= 0 &&
	    (k.e == NULL ||
	        !scache_add(&k, fd, key, strlen(key), blob, blob_len)))
		close(fd);
	linger = (long long)(keep_ms > linger_ms ? keep_ms : linger_ms);
	while (!k.retire) {
		now = mono_now_ms();
		wait = scache_expire(&k, now);
		if (k.pool != NULL &&
		    (w = worker_pool_expire(k.pool, now)) >= 0 &&
		    (wait < 0 || w < wait))
			wait = w;
		if (k.n == 0 &&
		    (k.pool == NULL || worker_pool_count(k.pool) == 0)) {
			if (idle_since == 0)
				idle_since = now;
			wait = idle_since + linger - now;
			if (wait <= 0)
				break;
		} else {
			idle_since = 0;
		}
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < k.n; i++) {
			pfd[i + 1].fd = k.e[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		n = k.n;
		nw = k.pool != NULL ? worker_pool_pollfds(k.pool, pfd + 1 + n)
		                    : 0;
		if (poll(pfd, 1 + n + nw, wait < 0 ? -1 : (int)wait + 1) < 0 &&
		    errno != EINTR)
			break;
		/* The server spoke (a 421 at its idle timeout) or hung up.
		 * First: the workers' gets and puts below change the table. */
		for (i = n; i-- > 0;)
			if (pfd[i + 1].revents != 0)
				scache_drop(&k, i, false);
		if (nw > 0)
			worker_pool_events(
			    k.pool, pfd + 1 + n, nw, scache_worker_request, &k);
		if (pfd[0].revents & POLLIN)
			scache_accept(&k, lfd, false);
	}
	/* No new clients from now on; answer those already queued. */
	(void)unlink(sock_path);
	scache_accept(&k, lfd, true);
	while (k.n > 0)
		scache_drop(&k, k.n - 1, true);
	worker_pool_free(k.pool);
	close(lfd);
	free(k.e);
}
