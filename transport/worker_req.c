/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The delivery request's wire format, and the client side: hand a run
 * to a worker through the keeper (worker.h, worker_int.h).
 */

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "mono.h"
#include "msg.h"
#include "scache_int.h"
#include "worker.h"
#include "worker_int.h"
#include "xalloc.h"

/* The fixed fields after the hint. */
struct worker_fixed {
	int64_t start_ms; /* a->start_ms */
	int64_t retries; /* a->retries */
	int32_t verbose; /* a->verbose */
	uint32_t nrcpt; /* strings after conf, sender and queue id */
};

/* worker_exe_id - the identity of a program file */
bool
worker_exe_id(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return false;
	*dev = (uint64_t)sb.st_dev;
	*ino = (uint64_t)sb.st_ino;
	return true;
}

/* worker_put - append len bytes at *off; false when they do not fit */
static bool
worker_put(char *buf, size_t size, size_t *off, const void *p, size_t len)
{
	if (len > size - *off)
		return false;
	memcpy(buf + *off, p, len);
	*off += len;
	return true;
}

/* worker_req_encode - hint, fixed fields, then the strings */
size_t
worker_req_encode(void *out, size_t size, const struct worker_hint *hint,
    const struct cmd_deliver_args *a)
{
	struct worker_fixed f;
	char *buf = out;
	size_t off = 0, i;
	bool ok;

	if (a->nrcpt == 0 || a->nrcpt > WORKER_RCPT_MAX)
		return 0;
	memset(&f, 0, sizeof(f));
	f.start_ms = a->start_ms;
	f.retries = a->retries;
	f.verbose = a->verbose;
	f.nrcpt = (uint32_t)a->nrcpt;
	ok = worker_put(buf, size, &off, hint, sizeof(*hint)) &&
	    worker_put(buf, size, &off, &f, sizeof(f)) &&
	    worker_put(buf, size, &off, a->conf, strlen(a->conf) + 1) &&
	    worker_put(buf, size, &off, a->sender, strlen(a->sender) + 1) &&
	    worker_put(buf, size, &off, a->queue_id, strlen(a->queue_id) + 1);
	for (i = 0; ok && i < a->nrcpt; i++)
		ok = worker_put(
		    buf, size, &off, a->rcpts[i], strlen(a->rcpts[i]) + 1);
	return ok ? off : 0;
}

/* worker_req_hint - the keeper's part */
bool
worker_req_hint(const void *buf, size_t len, struct worker_hint *hint)
{
	if (len < sizeof(*hint))
		return false;
	memcpy(hint, buf, sizeof(*hint));
	return true;
}

/* worker_req_decode - the worker's part; every string must end inside */
bool
worker_req_decode(const void *in, size_t len, struct cmd_deliver_args *a)
{
	const size_t head =
	    sizeof(struct worker_hint) + sizeof(struct worker_fixed);
	const char *buf = in, *p, *end = buf + len, *nul;
	const char *str[3] = {NULL, NULL, NULL};
	struct worker_fixed f;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (len < head)
		return false;
	memcpy(&f, buf + sizeof(struct worker_hint), sizeof(f));
	if (f.nrcpt == 0 || f.nrcpt > WORKER_RCPT_MAX || f.verbose < 0 ||
	    f.verbose > 10)
		return false;
	p = buf + head;
	a->rcpts = xcalloc(f.nrcpt, sizeof(char *));
	for (i = 0; i < 3 + (size_t)f.nrcpt; i++) {
		if (p >= end ||
		    (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			goto bad;
		if (i < 3)
			str[i] = p;
		else
			a->rcpts[i - 3] = (char *)p;
		p = nul + 1;
	}
	if (p != end || str[0][0] != '/')
		goto bad;
	a->conf = str[0];
	a->sender = str[1];
	a->queue_id = str[2];
	a->nrcpt = f.nrcpt;
	a->retries = (long)f.retries;
	a->verbose = f.verbose;
	a->start_ms = f.start_ms;
	return true;

bad:
	worker_req_free(a);
	return false;
}

/* worker_req_free - the rcpts array (the strings are the buffer's) */
void
worker_req_free(struct cmd_deliver_args *a)
{
	free(a->rcpts);
	a->rcpts = NULL;
	a->nrcpt = 0;
}

/* worker_answer - wait for the one answer on s */
static enum worker_submit
worker_answer(int s, long long wait_ms, int *rc)
{
	char buf[SCACHE_MSG_MAX];
	struct scache_hdr h;
	struct pollfd pfd;
	long long end = mono_now_ms() + wait_ms, left;
	int fd;

	for (;;) {
		left = end - mono_now_ms();
		if (left <= 0)
			return WORKER_SUBMIT_LOST;
		pfd.fd = s;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (loop_poll(&pfd, left > 60000 ? 60000 : (int)left) == 1)
			break;
	}
	if (!scache_recv(s, buf, &h, &fd))
		return WORKER_SUBMIT_LOST;
	if (fd >= 0)
		close(fd);
	if (h.op == SCACHE_OP_NO)
		return WORKER_SUBMIT_INLINE;
	if (h.op != SCACHE_OP_RESULT || h.blob_len != 1)
		return WORKER_SUBMIT_LOST;
	*rc = (unsigned char)buf[sizeof(h) + h.key_len];
	return WORKER_SUBMIT_DONE;
}

/* worker_submit - hand the run to a worker, or say why not */
enum worker_submit
worker_submit(const char *dir, const char *exe,
    const struct cmd_deliver_args *a, unsigned long max_workers,
    unsigned long idle_ms, long long wait_ms, int *rc)
{
	static char buf[SCACHE_REQ_MAX];
	static const int fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	struct worker_hint hint;
	enum worker_submit st;
	size_t len;
	int s;

	memset(&hint, 0, sizeof(hint));
	if (!worker_exe_id(exe, &hint.exe_dev, &hint.exe_ino))
		return WORKER_SUBMIT_INLINE;
	hint.max_workers =
	    (uint32_t)(max_workers < WORKER_MAX ? max_workers : WORKER_MAX);
	hint.idle_ms = (uint32_t)(idle_ms > UINT32_MAX ? UINT32_MAX : idle_ms);
	if ((len = worker_req_encode(buf, sizeof(buf), &hint, a)) == 0)
		return WORKER_SUBMIT_INLINE;
	if ((s = scache_connect(dir)) < 0)
		return errno == ENOENT || errno == ECONNREFUSED
		    ? WORKER_SUBMIT_NOKEEPER
		    : WORKER_SUBMIT_INLINE;
	/* Not sent (the keeper went away): nothing of ours left here. */
	if (!scache_sendv(s, SCACHE_OP_DELIVER, "", buf, len, fds, 3)) {
		close(s);
		return WORKER_SUBMIT_INLINE;
	}
	st = worker_answer(s, wait_ms, rc);
	close(s);
	msg_debug("worker: %s",
	    st == WORKER_SUBMIT_DONE         ? "delivered by a worker"
	        : st == WORKER_SUBMIT_INLINE ? "no worker free"
	                                     : "no answer");
	return st;
}
