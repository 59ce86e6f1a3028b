/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The keeper's pool of delivery workers: start them, pass requests to
 * idle ones, tell them to exit (worker.h, worker_int.h).
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"
#include "proc.h"
#include "scache_int.h"
#include "worker.h"
#include "worker_int.h"

/* Where a worker is. */
enum worker_state {
	WORKER_STARTING, /* started, not yet ready */
	WORKER_IDLE, /* ready for a request */
	WORKER_BUSY /* delivering */
};

/* One worker. */
struct worker_proc {
	pid_t pid; /* the process */
	int fd; /* our end of its socket */
	enum worker_state state; /* see above */
	long long since_ms; /* when it entered state */
	size_t domains_len; /* bytes in domains */
	char domains[SCACHE_BLOB_MAX]; /* recipient domains of the sessions
					  it keeps (NUL-terminated names) */
};

/* The pool. */
struct worker_pool {
	struct worker_proc w[WORKER_MAX]; /* n in use */
	size_t n; /* workers */
	unsigned long max; /* pool size last asked for */
	unsigned long idle_ms; /* idle time last asked for */
	uint64_t exe_dev, exe_ino; /* our program file */
	bool exe_known; /* exe_dev and exe_ino are set */
	size_t unreaped; /* dropped workers not yet waited for */
};

/* worker_pool_new - an empty pool */
struct worker_pool *
worker_pool_new(void)
{
	struct worker_pool *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->exe_known =
		    worker_exe_id("/proc/self/exe", &p->exe_dev, &p->exe_ino);
	return p;
}

/* worker_drop - close worker i's socket (it exits) and forget it */
static void
worker_drop(struct worker_pool *p, size_t i)
{
	close(p->w[i].fd);
	p->unreaped++;
	if (i != p->n - 1)
		p->w[i] = p->w[p->n - 1];
	p->n--;
}

/* worker_pool_free - every worker told to exit */
void
worker_pool_free(struct worker_pool *p)
{
	if (p == NULL)
		return;
	while (p->n > 0)
		worker_drop(p, p->n - 1);
	free(p);
}

/* worker_pool_count - workers running or starting */
size_t
worker_pool_count(const struct worker_pool *p)
{
	return p->n;
}

/* worker_pool_idle - is a worker ready for a request? */
bool
worker_pool_idle(const struct worker_pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->w[i].state == WORKER_IDLE)
			return true;
	return false;
}

/*
 * worker_spawn - start one worker: the program file we run, titled
 * and with a clean environment (proc.h), its socket as WORKER_FD and
 * nothing else open but /dev/null as 0-2 (the keeper's own)
 */
static void
worker_spawn(struct worker_pool *p)
{
	int sv[2];
	pid_t pid;

	if (p->n == WORKER_MAX ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		if (sv[1] == WORKER_FD)
			(void)fcntl(sv[1], F_SETFD, 0);
		else if (dup2(sv[1], WORKER_FD) < 0)
			_exit(MSG_EX_TEMPFAIL);
		close_range(WORKER_FD + 1, ~0U, 0);
		proc_exec(PROC_WORKER_TITLE, NULL);
		_exit(MSG_EX_TEMPFAIL);
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	p->w[p->n].pid = pid;
	p->w[p->n].fd = sv[0];
	p->w[p->n].state = WORKER_STARTING;
	p->w[p->n].since_ms = mono_now_ms();
	p->w[p->n].domains_len = 0;
	p->n++;
}

/*
 * worker_pick - the idle worker to take request blob: one that keeps a
 * session for a recipient's domain, else the idle one that keeps the
 * fewest (the others stay free for their own domains); p->n when
 * none is idle. *busy_holder: no idle worker keeps such a session, a
 * busy one does (its domains are those it reported when last idle).
 */
static size_t
worker_pick(const struct worker_pool *p, const void *blob, size_t len,
    bool *busy_holder)
{
	size_t i, any = p->n;
	bool serves;

	*busy_holder = false;
	for (i = p->n; i-- > 0;) {
		if (p->w[i].state == WORKER_STARTING)
			continue;
		serves = worker_req_serves(
		    blob, len, p->w[i].domains, p->w[i].domains_len);
		if (p->w[i].state == WORKER_BUSY) {
			*busy_holder = *busy_holder || serves;
			continue;
		}
		if (serves) {
			*busy_holder = false;
			return i;
		}
		if (any == p->n || p->w[i].domains_len < p->w[any].domains_len)
			any = i;
	}
	return any;
}

/* worker_pool_dispatch - to an idle worker, or "deliver by yourself" */
bool
worker_pool_dispatch(struct worker_pool *p, int c, const void *blob, size_t len,
    const int fds[3])
{
	struct worker_hint hint;
	int pass[4];
	size_t i;
	bool sent = false;
	bool known, same, busy_holder = false;

	pass[0] = c;
	memcpy(pass + 1, fds, 3 * sizeof(int));
	known = worker_req_hint(blob, len, &hint);
	same = known && p->exe_known && hint.exe_dev == p->exe_dev &&
	    hint.exe_ino == p->exe_ino;
	if (same) {
		p->max = hint.max_workers < WORKER_MAX ? hint.max_workers
		                                       : WORKER_MAX;
		p->idle_ms = hint.idle_ms;
		while (!sent &&
		    (i = worker_pick(p, blob, len, &busy_holder)) < p->n) {
			if (scache_sendv(p->w[i].fd, SCACHE_OP_DELIVER, "",
			        blob, len, pass, 4)) {
				p->w[i].state = WORKER_BUSY;
				p->w[i].since_ms = mono_now_ms();
				sent = true;
			} else {
				worker_drop(p, i); /* gone: never took it */
			}
		}
	}
	if (!sent)
		(void)scache_send(c, SCACHE_OP_NO, "", "", 0, -1);
	/*
	 * One more worker when none was idle, or when only busy ones keep
	 * a session for the request's destination: with spare workers
	 * idle, the next request for a busy destination finds one of
	 * them holding a session to it (worker.h, WORKER_SPARE).
	 */
	if ((!sent || busy_holder) && same && p->n < p->max)
		worker_spawn(p);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	/* Retire only for a well-formed request of another program file. */
	return same || !known;
}

/* worker_pool_pollfds - the workers' sockets */
size_t
worker_pool_pollfds(const struct worker_pool *p, struct pollfd *pfd)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		pfd[i].fd = p->w[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return p->n;
}

/* worker_pool_events - ready, asking for a connection, retiring, or gone */
void
worker_pool_events(struct worker_pool *p, const struct pollfd *pfd, size_t n,
    worker_pool_req_fn *req, void *ctx)
{
	char buf[SCACHE_MSG_MAX];
	struct scache_hdr h;
	size_t i, j;
	int fd;

	for (i = n; i-- > 0;) {
		if (pfd[i].revents == 0)
			continue;
		for (j = 0; j < p->n && p->w[j].fd != pfd[i].fd; j++)
			;
		if (j == p->n)
			continue;
		if ((pfd[i].revents & POLLIN) &&
		    scache_recv(p->w[j].fd, buf, &h, &fd)) {
			if (p->w[j].state == WORKER_BUSY &&
			    (h.op == SCACHE_OP_GET || h.op == SCACHE_OP_PUT)) {
				req(ctx, p->w[j].fd, buf, &h, fd);
				continue;
			}
			if (fd >= 0)
				close(fd);
			if (h.op == SCACHE_OP_IDLE) {
				p->w[j].state = WORKER_IDLE;
				p->w[j].since_ms = mono_now_ms();
				/* The domains of its kept sessions. */
				p->w[j].domains_len = h.blob_len;
				memcpy(p->w[j].domains,
				    buf + sizeof(h) + h.key_len, h.blob_len);
				continue;
			}
		}
		worker_drop(p, j); /* retiring, hung up, or talking nonsense */
	}
}

/* worker_pool_expire - idle ones told to exit; reap what exited */
long long
worker_pool_expire(struct worker_pool *p, long long now)
{
	long long next = -1, left;
	size_t i;
	int status;

	/* Only after a drop: not a system call on every wake-up. */
	while (p->unreaped > 0 && waitpid(-1, &status, WNOHANG) > 0)
		p->unreaped--;
	for (i = p->n; i-- > 0;) {
		if (p->w[i].state == WORKER_IDLE)
			left = p->w[i].since_ms + (long long)p->idle_ms - now;
		else if (p->w[i].state == WORKER_STARTING)
			left = p->w[i].since_ms + WORKER_START_MS - now;
		else
			continue;
		if (left <= 0)
			worker_drop(p, i);
		else if (next < 0 || left < next)
			next = left;
	}
	return next;
}
