/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtpdirect worker: a delivery worker, started by the keeper with its
 * socket as WORKER_FD. It delivers one request at a time, as
 * `smtpdirect deliver` would, with the caller's descriptors as its own
 * 0-2 (worker.h).
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver_run.h"
#include "fileid.h"
#include "mono.h"
#include "msg.h"
#include "scache.h"
#include "scache_int.h"
#include "spool.h"
#include "worker.h"
#include "worker_int.h"
#include "xalloc.h"

/* What the worker keeps loaded between messages. */
struct worker_state {
	char *conf; /* configuration path loaded, or NULL */
	struct fileid conf_file; /* it, as loaded */
	struct ovr_map *map; /* override map, or NULL for none */
	struct fileid map_file; /* its file, as loaded */
	bool map_loaded; /* map is the one conf names */
	struct deliver_keep *keep; /* sessions kept between messages */
};

/* worker_unload - forget the configuration and the map */
static void
worker_unload(struct worker_state *ws)
{
	cfg_unload();
	free(ws->conf);
	ws->conf = NULL;
	ovr_map_free(ws->map);
	ws->map = NULL;
	ws->map_loaded = false;
}

/*
 * worker_load - configuration conf and its map, loaded anew when their
 * files changed; false when they cannot be (the caller then delivers by
 * itself and reports why)
 */
static bool
worker_load(struct worker_state *ws, const char *conf)
{
	const struct cfg *cfg;
	struct why why;
	bool conf_same;

	conf_same = ws->conf != NULL && strcmp(ws->conf, conf) == 0;
	if (!fileid_same(conf, &ws->conf_file) || !conf_same) {
		worker_unload(ws);
		if (!cmd_cfg_load(conf, &why))
			return false;
		ws->conf = xstrdup(conf);
	}
	/* The configuration names the map: only its file can have changed. */
	cfg = cfg_get();
	if (ws->map_loaded &&
	    (cfg->dns_overrides[0] == '\0' ||
	        fileid_same(cfg->dns_overrides, &ws->map_file)))
		return true;
	ovr_map_free(ws->map);
	ws->map = NULL;
	/* Taken before the load: a change while loading means a reload. */
	fileid_get(cfg->dns_overrides, &ws->map_file);
	ws->map_loaded = cmd_map_load(cfg, &ws->map, &why);
	return ws->map_loaded;
}

/* worker_stdio - point 0-2 at fds[0..2], or at /dev/null when fds is NULL */
static void
worker_stdio(const int *fds)
{
	int i, nul = -1;

	fflush(stdout);
	fflush(stderr);
	if (fds == NULL && (nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return;
	for (i = 0; i < 3; i++)
		(void)dup2(fds != NULL ? fds[i] : nul, i);
	if (nul >= 0)
		close(nul);
}

/* The caller of the request being delivered (struct cmd_caller). */
struct worker_caller {
	int fds[4]; /* its socket, standard input, output, error; -1 once
		       closed */
	const char *queue_id; /* for log lines */
	struct deliver_keep *keep; /* this worker's kept sessions */
	unsigned char op; /* what to tell the keeper: idle, or retiring */
	bool keeper; /* the keeper heard it */
	bool gone; /* the caller hung up */
};

/* worker_caller_hup - whether poll() saw the caller hang up */
static bool
worker_caller_hup(struct worker_caller *c, int ms)
{
	struct pollfd pfd;

	pfd.fd = c->fds[0];
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, ms) == 1 &&
	    (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0)
		c->gone = true;
	return c->gone;
}

/* worker_caller_get - wait for op from the caller; false for anything
 * else, a hang-up or no answer in WORKER_CALLER_MS */
static bool
worker_caller_get(struct worker_caller *c, unsigned char op)
{
	char buf[SCACHE_MSG_MAX];
	struct scache_hdr h;
	struct pollfd pfd;
	int fd;

	pfd.fd = c->fds[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, WORKER_CALLER_MS) != 1 ||
	    !scache_recv(c->fds[0], buf, &h, &fd)) {
		c->gone = true;
		return false;
	}
	if (fd >= 0)
		close(fd);
	return h.op == op;
}

/* worker_caller_read - the message ended: is its caller still there? */
static bool
worker_caller_read(void *arg)
{
	struct worker_caller *c = arg;

	if (c->gone || !scache_send(c->fds[0], SCACHE_OP_PING, "", "", 0, -1) ||
	    !worker_caller_get(c, SCACHE_OP_PONG)) {
		c->gone = true;
		msg_warn("%s: the caller of this delivery was gone when "
		         "its input ended: nothing is sent",
		    c->queue_id);
	}
	return !c->gone;
}

/* worker_caller_wanted - before an end of data: not when it hung up */
static bool
worker_caller_wanted(void *arg)
{
	struct worker_caller *c = arg;

	if (!c->gone && worker_caller_hup(c, 0))
		msg_warn("%s: the caller of this delivery is gone: the "
		         "end of data is not sent",
		    c->queue_id);
	return !c->gone;
}

/*
 * worker_caller_close - the caller's pipes closed before it hears the
 * answer (an MTA waiting for the end of its output must not wait),
 * then the keeper told this worker is free, with the recipient domains
 * its kept sessions served (the keeper gives the next message for one
 * of them to this worker)
 */
static void
worker_caller_close(struct worker_caller *c)
{
	char domains[SCACHE_BLOB_MAX];
	size_t len = 0;
	int i;

	worker_stdio(NULL);
	for (i = 1; i < 4; i++) {
		if (c->fds[i] >= 0)
			close(c->fds[i]);
		c->fds[i] = -1;
	}
	if (c->op == SCACHE_OP_IDLE)
		len = deliver_keep_domains(c->keep, domains, sizeof(domains));
	c->keeper = scache_send(WORKER_FD, c->op, "", domains, len, -1);
}

/* worker_caller_answer - the exit status; true when the caller took it */
static bool
worker_caller_answer(void *arg, int rc)
{
	struct worker_caller *c = arg;
	unsigned char st = (unsigned char)rc;

	worker_caller_close(c);
	if (c->gone ||
	    !scache_send(c->fds[0], SCACHE_OP_RESULT, "", &st, 1, -1) ||
	    !worker_caller_get(c, SCACHE_OP_ACK)) {
		msg_warn("%s: the caller of this delivery did not take its "
		         "result (exit %d): what was delivered is recorded",
		    c->queue_id, rc);
		return false;
	}
	return true;
}

/*
 * worker_one - one request: fds[0] the client's socket, fds[1..3] its
 * standard input, output and error (all closed here). Tells the keeper
 * op (idle, or retiring) before the client its answer, so that the
 * client's MTA finds this worker free for its next message. Returns
 * false when the keeper is gone.
 */
static bool
worker_one(struct worker_state *ws, const char *blob, size_t len, int fds[4],
    unsigned char op)
{
	struct worker_caller c;
	struct cmd_caller hooks = {worker_caller_read, worker_caller_wanted,
	    worker_caller_answer, &c, ws->keep};
	struct deliver_args a;

	memcpy(c.fds, fds, sizeof(c.fds));
	c.queue_id = "-";
	c.keep = ws->keep;
	c.op = op;
	c.keeper = false;
	c.gone = false;
	/* Not decoded or not loaded, nothing read: "deliver by yourself",
	 * and the caller tells what is wrong. */
	if (worker_req_decode(blob, len, &a) && worker_load(ws, a.conf)) {
		if (a.queue_id[0] != '\0')
			c.queue_id = a.queue_id;
		worker_stdio(fds + 1);
		msg_init("smtpdirect", MSG_TO_SYSLOG);
		msg_verbose = a.verbose;
		(void)cmd_deliver_run(&a, ws->map, true, &hooks);
	} else {
		worker_caller_close(&c);
		(void)scache_send(c.fds[0], SCACHE_OP_NO, "", "", 0, -1);
	}
	worker_req_free(&a);
	close(c.fds[0]);
	return c.keeper;
}

/*
 * worker_wait - until the keeper says something: meanwhile QUIT kept
 * sessions as they expire and close those the servers close. False
 * when poll(2) fails.
 */
static bool
worker_wait(struct deliver_keep *keep)
{
	struct pollfd pfd[1 + DELIVER_KEEP_MAX];
	long long next;
	size_t i, n;

	for (;;) {
		next = deliver_keep_expire(keep, mono_now_ms());
		pfd[0].fd = WORKER_FD;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1 + deliver_keep_pollfds(keep, pfd + 1, DELIVER_KEEP_MAX);
		if (poll(pfd, n, next < 0 ? -1 : (int)next + 1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (pfd[0].revents != 0)
			return true;
		for (i = 1; i < n && pfd[i].revents == 0; i++)
			;
		if (i < n)
			deliver_keep_check(keep);
	}
}

/* cmd_worker - serve the keeper until it closes our socket */
int
cmd_worker(int argc, char **argv)
{
	static char buf[SCACHE_BIG_MAX];
	struct worker_state ws;
	struct scache_hdr h;
	struct stat sb;
	int fds[SCACHE_FDS_MAX];
	size_t nfd, used;

	(void)argv;
	if (argc != 1 || fstat(WORKER_FD, &sb) < 0 || !S_ISSOCK(sb.st_mode)) {
		fprintf(stderr,
		    "smtpdirect: worker is started by smtpdirect deliver "
		    "only\n");
		return MSG_EX_USAGE;
	}
	(void)fcntl(WORKER_FD, F_SETFD, FD_CLOEXEC);
	prctl(PR_SET_NAME, "smtpdirect-work", 0, 0, 0);
	signal(SIGHUP, SIG_IGN);
	msg_init("smtpdirect", MSG_TO_SYSLOG);
	msg_set_fatal_status(MSG_EX_TEMPFAIL);
	memset(&ws, 0, sizeof(ws));
	if (!scache_send(WORKER_FD, SCACHE_OP_IDLE, "", "", 0, -1))
		return MSG_EX_OK;
	ws.keep = deliver_keep_new();
	spool_reuse_files();
	/* Kept connections come and go over the socket we have. */
	scache_channel(WORKER_FD);
	for (used = 0; used < WORKER_MAX_USE;) {
		if (!worker_wait(ws.keep) ||
		    !scache_recvv(WORKER_FD, buf, sizeof(buf), &h, fds, &nfd))
			break; /* the keeper closed our socket, or is broken */
		if (h.op == SCACHE_OP_DELIVER && nfd == 4) {
			used++;
			if (!worker_one(&ws, buf + sizeof(h) + h.key_len,
			        h.blob_len, fds,
			        used < WORKER_MAX_USE ? SCACHE_OP_IDLE
			                              : SCACHE_OP_RETIRE))
				break;
			continue;
		}
		while (nfd > 0)
			close(fds[--nfd]);
		/* A kept connection's late answer (scache_get gave up on
		 * it) has nothing to do with the next request. */
		if (h.op != SCACHE_OP_HIT && h.op != SCACHE_OP_MISS)
			break;
	}
	/* Idle, worn out, or the keeper gone: QUIT what is kept. */
	deliver_keep_free(ws.keep);
	worker_unload(&ws);
	return MSG_EX_OK;
}
