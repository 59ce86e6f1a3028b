/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The keeper's socket protocol (scache_int.h): the socket's address,
 * one message sent or received with its descriptors, a connection to
 * the keeper. No keeper, no loop: the front links this alone.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scache_int.h"

/* scache_path - dir/name into a socket address; false if too long */
bool
scache_path(const char *dir, const char *name, struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof(sun->sun_path);
}

/* scache_blob_max - the longest blob an op may carry */
static size_t
scache_blob_max(unsigned char op)
{
	return op == SCACHE_OP_DELIVER ? SCACHE_REQ_MAX : SCACHE_BLOB_MAX;
}

/* scache_sendv - one message, nfd descriptors attached */
bool
scache_sendv(int sock, unsigned char op, const char *key, const void *blob,
    size_t blob_len, const int *fds, size_t nfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SCACHE_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct scache_hdr h;
	struct msghdr mh;
	struct iovec iov[3];
	size_t key_len = strlen(key);

	if (key_len > SCACHE_KEY_MAX || blob_len > scache_blob_max(op) ||
	    nfd > SCACHE_FDS_MAX) {
		errno = EMSGSIZE;
		return false;
	}
	memset(&h, 0, sizeof(h));
	h.magic = SCACHE_MAGIC;
	h.op = op;
	h.key_len = (unsigned short)key_len;
	h.blob_len = (unsigned short)blob_len;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)key;
	iov[1].iov_len = key_len;
	iov[2].iov_base = (void *)blob;
	iov[2].iov_len = blob_len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 3;
	if (nfd > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) ==
	    (ssize_t)(sizeof(h) + key_len + blob_len);
}

/* scache_send - one message, one descriptor attached or none (-1) */
bool
scache_send(int sock, unsigned char op, const char *key, const void *blob,
    size_t blob_len, int fd)
{
	return scache_sendv(sock, op, key, blob, blob_len, &fd, fd >= 0);
}

/* scache_close_fds - close what a refused message carried */
static void
scache_close_fds(int *fds, size_t *nfd)
{
	while (*nfd > 0)
		close(fds[--*nfd]);
}

/* scache_recvv - one message of at most size bytes; anything odd refused */
bool
scache_recvv(int sock, void *buf, size_t size, struct scache_hdr *h,
    int fds[SCACHE_FDS_MAX], size_t *nfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (SCACHE_FDS_MAX + 1))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	ssize_t n;
	size_t i, got;
	bool ok;

	*nfd = 0;
	iov.iov_base = buf;
	iov.iov_len = size;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return false;
	ok = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < got; i++) {
			int one;

			memcpy(
			    &one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfd < SCACHE_FDS_MAX) {
				fds[(*nfd)++] = one;
			} else {
				close(one);
				ok = false;
			}
		}
	}
	ok = ok && (size_t)n >= sizeof(*h);
	if (ok) {
		memcpy(h, buf, sizeof(*h));
		ok = h->magic == SCACHE_MAGIC && h->key_len <= SCACHE_KEY_MAX &&
		    h->blob_len <= scache_blob_max(h->op) &&
		    (size_t)n == sizeof(*h) + h->key_len + h->blob_len;
	}
	if (!ok) {
		scache_close_fds(fds, nfd);
		errno = EPROTO;
	}
	return ok;
}

/* scache_recv - one cache message (SCACHE_MSG_MAX), one descriptor or none */
bool
scache_recv(int sock, void *buf, struct scache_hdr *h, int *fd)
{
	int fds[SCACHE_FDS_MAX];
	size_t nfd;

	*fd = -1;
	if (!scache_recvv(sock, buf, SCACHE_MSG_MAX, h, fds, &nfd))
		return false;
	if (nfd > 1) {
		scache_close_fds(fds, &nfd);
		errno = EPROTO;
		return false;
	}
	if (nfd == 1)
		*fd = fds[0];
	return true;
}

/* scache_connect - a socket to the keeper of dir, or -1 (errno kept) */
int
scache_connect(const char *dir)
{
	struct sockaddr_un sun;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int s, err;

	if (!scache_path(dir, SCACHE_SOCKET, &sun)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		err = errno;
		goto fail;
	}
	/* Another user's keeper: refused, as by the socket's mode. */
	if (cred.uid != geteuid()) {
		err = EPERM;
		goto fail;
	}
	return s;

fail:
	close(s);
	errno = err;
	return -1;
}

/* scache_quit - close a connection nobody keeps, politely */
void
scache_quit(int fd)
{
	(void)send(fd, SCACHE_QUIT, sizeof(SCACHE_QUIT) - 1,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}
