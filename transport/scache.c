/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The client side of the connection keeper: ask for a connection, hand
 * one over, start the keeper when none runs (scache.h).
 */

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "mono.h"
#include "msg.h"
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

/* scache_close_others - close every descriptor above 2 but keep[] */
static void
scache_close_others(int keep[3])
{
	unsigned lo = 3;
	int i, j, t;

	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < 3; i++) {
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/*
 * scache_become_keeper - in the second child: no terminal, no MTA
 * pipes, no inherited locks or files (the concurrency slot above all),
 * then serve
 */
static void
scache_become_keeper(int lfd, int lock_fd, const char *path, int fd,
    const char *key, const void *blob, size_t blob_len, unsigned long keep_ms,
    unsigned long linger_ms)
{
	int keep[3], nul, i;

	/* Our three above 2, so that stdio can be pointed at /dev/null;
	 * without a first connection, the lock stands in for it. */
	keep[0] = lfd < 3 ? fcntl(lfd, F_DUPFD_CLOEXEC, 3) : lfd;
	keep[1] = lock_fd < 3 ? fcntl(lock_fd, F_DUPFD_CLOEXEC, 3) : lock_fd;
	keep[2] = fd < 0 ? keep[1]
	    : fd < 3     ? fcntl(fd, F_DUPFD_CLOEXEC, 3)
	                 : fd;
	lfd = keep[0];
	lock_fd = keep[1];
	if (fd >= 0)
		fd = keep[2];
	if (lfd < 0 || lock_fd < 0 || keep[2] < 0)
		return;
	if ((nul = open("/dev/null", O_RDWR)) >= 0) {
		for (i = 0; i < 3; i++)
			if (nul != i)
				dup2(nul, i);
		if (nul > 2)
			close(nul);
	}
	scache_close_others(keep);
	if (chdir("/") < 0)
		return;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "smtpdirect-keep", 0, 0, 0);
	/* lock_fd stays open: one keeper per state_dir until it exits. */
	scache_keeper(lfd, path, fd, key, blob, blob_len, keep_ms, linger_ms);
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
 * the lock, with fd its first connection (or none: -1). False when
 * another one is starting or running, or anything fails (fd then still
 * ours).
 */
static bool
scache_start(const char *dir, const char *key, int fd, const void *blob,
    size_t blob_len, unsigned long keep_ms, unsigned long linger_ms)
{
	struct sockaddr_un sun, lock;
	struct sdir_info sd;
	char text[SDIR_TEXT_MAX];
	mode_t mask;
	pid_t pid;
	int lock_fd, lfd = -1, status;

	/* Nothing made in another user's or everybody's directory. */
	if (!sdir_keeper_ok(sdir_check(dir, &sd)) ||
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
		scache_become_keeper(lfd, lock_fd, sun.sun_path, fd, key, blob,
		    blob_len, keep_ms, linger_ms);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	msg_debug("scache: keeper started for %s", dir);
	if (sd.trust == SDIR_GROUP_WRITABLE)
		msg_warn("%s", sdir_warning(dir, &sd, text, sizeof(text)));
	close(lfd);
	close(lock_fd);
	if (fd >= 0)
		close(fd);
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

	if (s >= 0) {
		bool ok =
		    scache_send(s, SCACHE_OP_PUT, key, blob, blob_len, fd);

		if (s != scache_chan)
			close(s);
		if (ok) {
			close(fd);
			return true;
		}
	} else if (errno == ENOENT || errno == ECONNREFUSED) {
		if (scache_start(dir, key, fd, blob, blob_len, keep_ms, 0))
			return true;
	} else {
		scache_sock_refused(dir, errno);
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
		(void)scache_start(dir, "", -1, "", 0, keep_ms, linger_ms);
	else
		scache_sock_refused(dir, errno);
}
