/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The resident processes' argument vector, environment and
 * dumpability (proc.h).
 */

#include <sys/prctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* The environment a keeper or worker gets. */
struct proc_env {
	char *envp[PROC_ENV_MAX + 1]; /* NULL-terminated */
	char buf[PROC_ENV_SIZE]; /* the strings */
	size_t n, used; /* variables, bytes of buf */
};

/* proc_env_add - append "name=value" (value NULL: name is the whole) */
static void
proc_env_add(struct proc_env *e, const char *name, const char *value)
{
	size_t room = sizeof(e->buf) - e->used;
	int len;

	if (e->n == PROC_ENV_MAX)
		return;
	len = value != NULL
	    ? snprintf(e->buf + e->used, room, "%s=%s", name, value)
	    : snprintf(e->buf + e->used, room, "%s", name);
	if (len < 0 || (size_t)len >= room)
		return; /* too long: dropped, not cut */
	e->envp[e->n++] = e->buf + e->used;
	e->used += (size_t)len + 1;
}

/* proc_exec - this program file anew, titled, with a clean environment */
void
proc_exec(const char *title, const char *extra)
{
	static const char *const keep[] = PROC_ENV_KEEP;
	struct proc_env e;
	char *argv[2];
	const char *v;
	size_t i;

	e.n = 0;
	e.used = 0;
	proc_env_add(&e, "PATH", PROC_PATH);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = getenv(keep[i])) != NULL)
			proc_env_add(&e, keep[i], v);
	if (extra != NULL)
		proc_env_add(&e, extra, NULL);
	e.envp[e.n] = NULL;
	argv[0] = (char *)title;
	argv[1] = NULL;
	execve("/proc/self/exe", argv, e.envp);
}

/* proc_nodump - PR_SET_DUMPABLE 0 */
void
proc_nodump(void)
{
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* proc_name - PR_SET_NAME */
void
proc_name(const char *name)
{
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
}
