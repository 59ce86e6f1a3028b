/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The client side of the connection keeper: ask for a connection, hand
 * one over, start the keeper when none runs (scache.h).
 */

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "mono.h"
#include "msg.h"
#include "proc.h"
#include "scache_int.h"
#include "sdir.h"

static int scache_chan = -1; /* scache_channel(): a worker's socket */

/*
 * scache_answer - the keeper's answer to a GET for key on s, within
 * SCACHE_WAIT_MS: true with the message in buf and *got its descriptor
 * (or -1). On a worker's channel an answer may come after the wait
 * gave up on it: one for another key is such a late answer (its
 * descriptor closed), skipped.
 */
static bool
scache_answer(int s, const char *key, char *buf, struct scache_hdr *h, int *got)
{
	long long end = mono_now_ms() + SCACHE_WAIT_MS, left;
	size_t klen = strlen(key);
	struct pollfd pfd;

	for (;;) {
		*got = -1;
		left = end - mono_now_ms();
		pfd.fd = s;
		pfd.events = POLLIN;
		if (left <= 0 || loop_poll(&pfd, (int)left) != 1 ||
		    !scache_recv(s, buf, h, got))
			return false;
		if (h->key_len == klen &&
		    memcmp(buf + sizeof(*h), key, klen) == 0)
			return true;
		if (*got >= 0)
			close(*got);
	}
}

/* scache_get - take a kept connection back from the keeper */
bool
scache_get(const char *dir, const char *key, int *fd, void *blob, size_t size,
    size_t *blob_len)
{
	char buf[SCACHE_MSG_MAX];
	struct scache_hdr h;
	int s, got = -1;
	bool ok;

	*fd = -1;
	if ((s = scache_chan) < 0 && (s = scache_connect(dir)) < 0)
		return false;
	ok = scache_send(s, SCACHE_OP_GET, key, "", 0, -1) &&
	    scache_answer(s, key, buf, &h, &got) && h.op == SCACHE_OP_HIT &&
	    got >= 0 && h.blob_len <= size;
	if (s != scache_chan)
		close(s);
	if (!ok) {
		if (got >= 0)
			close(got);
		return false;
	}
	memcpy(blob, buf + sizeof(h) + h.key_len, h.blob_len);
	*blob_len = h.blob_len;
	*fd = got;
	return true;
}

/*
 * scache_become_keeper - in the second child: no terminal, no MTA
 * pipes, no inherited locks or files (the concurrency slot above all),
 * then the keeper, run anew (proc.h): its own title, a clean
 * environment, nothing of this process's memory (the override map)
 */
static void
scache_become_keeper(int lfd, int lock_fd, const char *dir,
    unsigned long keep_ms, unsigned long linger_ms)
{
	char title[sizeof(PROC_KEEPER_TITLE) + SCACHE_DIR_MAX];
	char extra[sizeof(SCACHE_KEEPER_ENV) + 48];
	int nul, i;

	/* Both above the numbers they get, so neither dup2() clobbers the
	 * other. */
	lfd = fcntl(lfd, F_DUPFD_CLOEXEC, SCACHE_KEEPER_LOCK_FD + 1);
	lock_fd = fcntl(lock_fd, F_DUPFD_CLOEXEC, SCACHE_KEEPER_LOCK_FD + 1);
	if (lfd < 0 || lock_fd < 0 || dup2(lfd, SCACHE_KEEPER_LFD) < 0 ||
	    dup2(lock_fd, SCACHE_KEEPER_LOCK_FD) < 0)
		return;
	if ((nul = open("/dev/null", O_RDWR)) >= 0) {
		for (i = 0; i < 3; i++)
			if (nul != i)
				dup2(nul, i);
		if (nul > 2)
			close(nul);
	}
	/* The lock stays open (descriptor 4): one keeper per state_dir
	 * until it exits. */
	close_range(SCACHE_KEEPER_LOCK_FD + 1, ~0U, 0);
	if (chdir("/") < 0)
		return;
	(void)snprintf(title, sizeof(title), "%s%s", PROC_KEEPER_TITLE, dir);
	(void)snprintf(extra, sizeof(extra), "%s=%lu %lu", SCACHE_KEEPER_ENV,
	    keep_ms, linger_ms);
	proc_exec(title, extra);
}

/*
 * scache_refused - warn that path (of the keeper of dir) could not be
 * used as err says, when another user's file is the reason
 */
static void
scache_refused(const char *what, const char *path, int err)
{
	char note[SDIR_NOTE_MAX];

	if (err == EACCES || err == EPERM)
		msg_warn("connection cache: cannot %s %s: %s%s", what, path,
		    strerror(err),
		    sdir_owner_note(path, err, note, sizeof(note)));
}

/* scache_sock_refused - warn when another user's keeper socket is in dir */
static void
scache_sock_refused(const char *dir, int err)
{
	struct sockaddr_un sun;

	if (scache_path(dir, SCACHE_SOCKET, &sun))
		scache_refused("connect to", sun.sun_path, err);
}

/*
 * scache_start - no keeper runs: become the one that starts it, under
 * the lock, holding nothing. False when another one is starting or
 * running, or anything fails.
 */
static bool
scache_start(const char *dir, unsigned long keep_ms, unsigned long linger_ms)
{
	struct sockaddr_un sun, lock;
	struct sdir_info sd;
	char text[SDIR_TEXT_MAX];
	mode_t mask;
	pid_t pid;
	int lock_fd, lfd = -1, status;

	/* Set in a keeper run anew, removed by scache_keeper_main(): here,
	 * a program that did not know its keeper's title ran as a whole
	 * again. It must not start another, and that one another... */
	if (getenv(SCACHE_KEEPER_ENV) != NULL)
		return false;
	/* Nothing made in another user's or everybody's directory. */
	if (!sdir_keeper_ok(sdir_check(dir, &sd)) ||
	    strlen(dir) >= SCACHE_DIR_MAX ||
	    !scache_path(dir, SCACHE_SOCKET, &sun) ||
	    !scache_path(dir, SCACHE_LOCK, &lock))
		return false;
	lock_fd = open(
	    lock.sun_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		scache_refused("open", lock.sun_path, errno);
		return false;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		goto fail;
	/* Whoever made the socket is gone: the lock was free. */
	(void)unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		goto fail;
	mask = umask(077);
	status = bind(lfd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (status < 0 || listen(lfd, SCACHE_MAX) < 0)
		goto fail;
	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0) {
		/* A new session, then a grandchild that init adopts. */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		scache_become_keeper(lfd, lock_fd, dir, keep_ms, linger_ms);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	msg_debug("scache: keeper started for %s", dir);
	if (sd.trust == SDIR_GROUP_WRITABLE)
		msg_warn("%s", sdir_warning(dir, &sd, text, sizeof(text)));
	close(lfd);
	close(lock_fd);
	return true;

fail:
	if (lfd >= 0) {
		(void)unlink(sun.sun_path);
		close(lfd);
	}
	close(lock_fd);
	return false;
}

/* scache_put - hand a connection to the keeper (started if need be) */
bool
scache_put(const char *dir, const char *key, int fd, const void *blob,
    size_t blob_len, unsigned long keep_ms)
{
	int s = scache_chan >= 0 ? scache_chan : scache_connect(dir);

	/* None runs: start one, then hand it fd like any other client. */
	if (s < 0 && (errno == ENOENT || errno == ECONNREFUSED)) {
		if (scache_start(dir, keep_ms, 0))
			s = scache_connect(dir);
	} else if (s < 0) {
		scache_sock_refused(dir, errno);
	}
	if (s >= 0) {
		bool ok =
		    scache_send(s, SCACHE_OP_PUT, key, blob, blob_len, fd);

		if (s != scache_chan)
			close(s);
		if (ok) {
			close(fd);
			return true;
		}
	}
	scache_quit(fd);
	return false;
}

/* scache_channel - talk over fd instead of connecting */
void
scache_channel(int fd)
{
	scache_chan = fd;
}

/* scache_ensure - a keeper for the delivery workers, started if none runs */
void
scache_ensure(const char *dir, unsigned long keep_ms, unsigned long linger_ms)
{
	int s = scache_connect(dir);

	if (s >= 0)
		close(s);
	else if (errno == ENOENT || errno == ECONNREFUSED)
		(void)scache_start(dir, keep_ms, linger_ms);
	else
		scache_sock_refused(dir, errno);
}
