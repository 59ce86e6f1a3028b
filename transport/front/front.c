/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtpdirect: the program an MTA starts for each message (front.h).
 * Hands deliver to a worker when one is free; runs the core program
 * for everything else. Links no library but the C library.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "deliver_args.h"
#include "diag.h"
#include "front.h"
#include "mono.h"
#include "msg.h"
#include "sdir.h"
#include "worker.h"
#include "xalloc.h"

/*
 * front_core - the core program's path, beside this program file (the
 * link /proc/self/exe names it, whatever link the MTA started); false
 * with errno set when that cannot be found
 */
static bool
front_core(char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size);
	char *slash;

	if (n < 0)
		return false;
	if ((size_t)n >= size ||
	    (slash = memrchr(path, '/', (size_t)n)) == NULL ||
	    (size_t)(slash + 1 - path) + sizeof(FRONT_CORE_NAME) > size) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(slash + 1, FRONT_CORE_NAME, sizeof(FRONT_CORE_NAME));
	return true;
}

/*
 * front_abs - the configuration path made absolute, for a worker
 * whose working directory is not ours (malloc'd; caller frees), or NULL
 */
static char *
front_abs(const char *path)
{
	char cwd[4096];
	size_t n;
	char *p;

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	p = xmalloc(n);
	snprintf(p, n, "%s/%s", cwd, path);
	return p;
}

/*
 * front_deliver - hand smtpdirect deliver's run to a worker: true with
 * *rc when a worker delivered it; false to run the core, with *handoff
 * saying what it must know. Anything wrong with the arguments or the
 * configuration is left to the core to report.
 */
static bool
front_deliver(int argc, char **argv, const char *core, int *rc,
    enum front_handoff *handoff)
{
	struct deliver_args a;
	struct diag_list *dl;
	const struct cfg *cfg;
	enum worker_submit st = WORKER_SUBMIT_INLINE;
	enum cfg_status cst;
	struct sdir_info sd;
	struct why why;
	char *abs;

	why_reset(&why);
	if (!deliver_args_parse(argc, argv, &a, &why))
		goto out;
	a.start_ms = mono_now_ms();
	dl = diag_list_new();
	cst = cfg_load(a.conf, dl);
	diag_list_free(dl);
	if (cst != CFG_OK)
		goto out;
	cfg = cfg_get();
	/* No workers in another user's or everybody's state_dir (sdir.h). */
	if (cfg->worker_idle_time == 0 || cfg->path == NULL ||
	    !sdir_keeper_ok(sdir_check(cfg->state_dir, &sd)) ||
	    (abs = front_abs(cfg->path)) == NULL)
		goto out;
	a.conf = abs;
	st = worker_submit(cfg->state_dir, core, &a, cfg->max_concurrent,
	    cfg->worker_idle_time * 1000,
	    (long long)cfg->deliver_time_limit * 1000 + WORKER_ANSWER_SLACK_MS,
	    rc);
	free(abs);
	if (st == WORKER_SUBMIT_LOST)
		*handoff = FRONT_HANDOFF_LOST;
	else if (st == WORKER_SUBMIT_NOKEEPER)
		*handoff = FRONT_HANDOFF_NOKEEPER;
out:
	deliver_args_free(&a);
	return st == WORKER_SUBMIT_DONE;
}

/*
 * front_fail - the core cannot be run: for deliver the final line and
 * 75 (the MTA tries again later), else a message and 71
 */
static int
front_fail(bool deliver, const char *core, int err)
{
	if (deliver) {
		fprintf(
		    stderr, "4.3.0 cannot run %s: %s\n", core, strerror(err));
		return MSG_EX_TEMPFAIL;
	}
	fprintf(stderr, "smtpdirect: cannot run %s: %s\n", core, strerror(err));
	return MSG_EX_OSERR;
}

/* main - deliver through a worker, or run the core */
int
main(int argc, char **argv)
{
	enum front_handoff handoff = FRONT_HANDOFF_NONE;
	bool deliver = argc >= 2 && strcmp(argv[1], "deliver") == 0;
	char core[PATH_MAX];
	int rc = MSG_EX_TEMPFAIL;

	/* Nothing here prints but the failures below; a failed allocation
	 * exits with msg's default status, 75: "try later". Every send
	 * is MSG_NOSIGNAL: SIGPIPE stays as the MTA left it. */
	if (!front_core(core, sizeof(core)))
		return front_fail(deliver, FRONT_CORE_NAME, errno);
	if (deliver && front_deliver(argc - 1, argv + 1, core, &rc, &handoff))
		return rc;
	if (handoff == FRONT_HANDOFF_LOST)
		(void)setenv(FRONT_HANDOFF_ENV, FRONT_HANDOFF_LOST_TEXT, 1);
	else if (handoff == FRONT_HANDOFF_NOKEEPER)
		(void)setenv(FRONT_HANDOFF_ENV, FRONT_HANDOFF_NOKEEPER_TEXT, 1);
	else
		(void)unsetenv(FRONT_HANDOFF_ENV);
	execv(core, argv);
	return front_fail(deliver, core, errno);
}
