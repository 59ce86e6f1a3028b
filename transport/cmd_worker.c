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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileid.h"
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
	struct cmd_deliver_args a;
	unsigned char answer = SCACHE_OP_NO, rc = 0;
	bool keeper;
	int i;

	/* Not decoded or not loaded, nothing read: "deliver by yourself",
	 * and the caller tells what is wrong. */
	if (worker_req_decode(blob, len, &a) && worker_load(ws, a.conf)) {
		worker_stdio(fds + 1);
		msg_init("smtpdirect", MSG_TO_SYSLOG);
		msg_verbose = a.verbose;
		rc = (unsigned char)cmd_deliver_run(&a, ws->map, true);
		/* The caller's pipes closed before it hears the answer: an
		 * MTA waiting for the end of its output must not wait. */
		worker_stdio(NULL);
		answer = SCACHE_OP_RESULT;
	}
	worker_req_free(&a);
	for (i = 1; i < 4; i++)
		close(fds[i]);
	keeper = scache_send(WORKER_FD, op, "", "", 0, -1);
	(void)scache_send(
	    fds[0], answer, "", &rc, answer == SCACHE_OP_RESULT ? 1 : 0, -1);
	close(fds[0]);
	return keeper;
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
	spool_reuse_files();
	/* Kept connections come and go over the socket we have. */
	scache_channel(WORKER_FD);
	for (used = 0; used < WORKER_MAX_USE;) {
		if (!scache_recvv(WORKER_FD, buf, sizeof(buf), &h, fds, &nfd))
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
	worker_unload(&ws);
	return MSG_EX_OK;
}
