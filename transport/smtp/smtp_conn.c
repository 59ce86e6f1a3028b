/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Connecting: one TCP connection to one address, non-blocking with the
 * connect timeout, TCP_NODELAY so that no step of the session waits for
 * a delayed ACK (the final "." in particular).
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "smtp_int.h"

/* smtp_conn_sockaddr - numeric address and port to a socket address */
static bool
smtp_conn_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

/* smtp_conn_fail - fill why for a failed connect */
static void
smtp_conn_fail(
    struct smtp_session *s, enum smtp_io_rc rc, int err, struct why *why)
{
	switch (rc) {
	case SMTP_IO_TIMEOUT:
		why_set(why, "4.4.1", "connect to %s: Connection timed out",
		    s->peer);
		break;
	case SMTP_IO_DEADLINE:
		why_set(why, "4.4.7",
		    "connect to %s: delivery time limit exceeded", s->peer);
		break;
	default:
		why_set(
		    why, "4.4.1", "connect to %s: %s", s->peer, strerror(err));
		break;
	}
}

/* smtp_conn_wait - wait for a connect in progress and fetch its result */
static enum smtp_io_rc
smtp_conn_wait(struct smtp_session *s, int fd, long long deadline_ms, int *err)
{
	enum smtp_io_rc rc;
	socklen_t len = sizeof(*err);

	rc = smtp_io_wait(fd, POLLOUT, s->connect_timeout_ms, deadline_ms, err);
	if (rc != SMTP_IO_OK)
		return rc;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
		*err = errno;
	return *err == 0 ? SMTP_IO_OK : SMTP_IO_ERROR;
}

/* smtp_conn_local - our address on the connection, for TLS reports */
static void
smtp_conn_local(struct smtp_session *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *a = NULL;

	s->local[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL ||
	    inet_ntop(ss.ss_family, a, s->local, sizeof(s->local)) == NULL)
		s->local[0] = '\0';
}

/* smtp_conn_connect - TCP connection to the session's peer */
enum sd_status
smtp_conn_connect(
    struct smtp_session *s, long long deadline_ms, struct why *why)
{
	struct sockaddr_storage ss;
	enum smtp_io_rc rc = SMTP_IO_ERROR;
	socklen_t sslen;
	int fd, on = 1, err = 0;

	if (!smtp_conn_sockaddr(s->addr, s->port, &ss, &sslen)) {
		why_set(why, "4.4.1", "connect to %s: bad address", s->peer);
		return SD_TEMP;
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		why_set(why, "4.4.1", "connect to %s: socket: %s", s->peer,
		    strerror(errno));
		return SD_TEMP;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
		msg_warn("%s: TCP_NODELAY: %s", s->peer, strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, sslen) == 0)
		rc = SMTP_IO_OK;
	else if (errno == EINPROGRESS || errno == EINTR)
		rc = smtp_conn_wait(s, fd, deadline_ms, &err);
	else
		err = errno;
	if (rc != SMTP_IO_OK) {
		smtp_conn_fail(s, rc, err, why);
		close(fd);
		return SD_TEMP;
	}
	msg_debug("%s: connected", s->peer);
	smtp_conn_local(s, fd);
	smtp_io_init(&s->io, fd, deadline_ms);
	return SD_OK;
}
