/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The keeper of a state_dir, as scache.c starts it: run anew with its
 * title as argv[0], its listening socket and its lock as descriptors
 * SCACHE_KEEPER_LFD and SCACHE_KEEPER_LOCK_FD, and its times in
 * SCACHE_KEEPER_ENV (scache.h, scache_int.h, proc.h).
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "proc.h"
#include "scache_int.h"

/* scache_keeper_times - "KEEP_MS LINGER_MS" from the environment */
static bool
scache_keeper_times(unsigned long *keep_ms, unsigned long *linger_ms)
{
	const char *v = getenv(SCACHE_KEEPER_ENV);
	char *end;

	if (v == NULL)
		return false;
	errno = 0;
	*keep_ms = strtoul(v, &end, 10);
	if (end == v || *end != ' ' || errno != 0)
		return false;
	v = end + 1;
	*linger_ms = strtoul(v, &end, 10);
	return end != v && *end == '\0' && errno == 0;
}

/* scache_keeper_main - serve the listening socket until idle for the linger */
int
scache_keeper_main(const char *dir)
{
	struct sockaddr_un sun;
	unsigned long keep_ms, linger_ms;
	struct stat sb;

	if (fstat(SCACHE_KEEPER_LFD, &sb) < 0 || !S_ISSOCK(sb.st_mode) ||
	    fstat(SCACHE_KEEPER_LOCK_FD, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    !scache_keeper_times(&keep_ms, &linger_ms) ||
	    !scache_path(dir, SCACHE_SOCKET, &sun)) {
		fprintf(stderr,
		    "smtpdirect: the keeper is started by smtpdirect "
		    "deliver only\n");
		return MSG_EX_USAGE;
	}
	/* Nothing started from here (the workers) inherits them. */
	(void)unsetenv(SCACHE_KEEPER_ENV);
	(void)fcntl(SCACHE_KEEPER_LFD, F_SETFD, FD_CLOEXEC);
	(void)fcntl(SCACHE_KEEPER_LOCK_FD, F_SETFD, FD_CLOEXEC);
	/* It holds connections that may have authenticated. */
	proc_nodump();
	proc_name(PROC_KEEPER_NAME);
	signal(SIGHUP, SIG_IGN);
	scache_keeper(
	    SCACHE_KEEPER_LFD, sun.sun_path, -1, "", "", 0, keep_ms, linger_ms);
	return MSG_EX_OK;
}
