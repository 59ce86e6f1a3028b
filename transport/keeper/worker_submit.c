/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The client side of a hand-off (worker.h): send the run to the keeper
 * for a worker and wait for its answer. The front's part: it runs no
 * loop, so it waits in poll(2) itself.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"
#include "scache_int.h"
#include "worker.h"
#include "worker_int.h"

/*
 * worker_answer - wait for the answer on s: say we are here to each
 * ping of the worker (it sends nothing for a caller that is gone), and
 * acknowledge the result (without it the worker records what it
 * delivered, as for a caller that is gone)
 */
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
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) != 1)
			continue;
		if (!scache_recv(s, buf, &h, &fd))
			return WORKER_SUBMIT_LOST;
		if (fd >= 0)
			close(fd);
		if (h.op != SCACHE_OP_PING)
			break;
		if (!scache_send(s, SCACHE_OP_PONG, "", "", 0, -1))
			return WORKER_SUBMIT_LOST;
	}
	if (h.op == SCACHE_OP_NO)
		return WORKER_SUBMIT_INLINE;
	if (h.op != SCACHE_OP_RESULT || h.blob_len != 1)
		return WORKER_SUBMIT_LOST;
	*rc = (unsigned char)buf[sizeof(h) + h.key_len];
	(void)scache_send(s, SCACHE_OP_ACK, "", "", 0, -1);
	return WORKER_SUBMIT_DONE;
}

/* worker_submit - hand the run to a worker, or say why not */
enum worker_submit
worker_submit(const char *dir, const char *exe, const struct deliver_args *a,
    unsigned long max_concurrent, unsigned long idle_ms, long long wait_ms,
    int *rc)
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
	hint.max_workers = (uint32_t)(max_concurrent < WORKER_MAX / WORKER_SPARE
	        ? max_concurrent * WORKER_SPARE
	        : WORKER_MAX);
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
