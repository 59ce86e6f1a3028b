/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* DNS over the network: one UDP or TCP exchange; resolv.conf servers. */

#include <sys/socket.h>
#include <netdb.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dns_int.h"
#include "loop.h"
#include "mono.h"

/*
 * dns_net_wait - wait for events until deadline: 1 ready, 0 timeout, -1;
 * inside a task of the loop (loop.h) the other tasks run meanwhile
 */
static int
dns_net_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	long long left;
	int n;

	for (;;) {
		left = deadline - mono_now_ms();
		if (left <= 0)
			return 0;
		n = loop_poll(&pfd, (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* dns_net_socket - a non-blocking socket connected (or connecting) */
static int
dns_net_socket(const struct dns_server *server, int type, struct why *why)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = type;
	snprintf(port, sizeof(port), "%u", server->port);
	if ((rc = getaddrinfo(server->addr, port, &hints, &res)) != 0) {
		why_set(why, "4.4.3", "bad server address %s: %s", server->addr,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		why_set(why, "4.4.3", "socket: %m");
	} else if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 &&
	    errno != EINPROGRESS) {
		why_set(why, "4.4.3", "connect: %m");
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* dns_net_udp - one UDP exchange; datagrams with another ID are ignored */
static enum dns_send_status
dns_net_udp(int fd, const unsigned char *query, size_t query_len,
    unsigned char *reply, size_t reply_size, size_t *reply_len,
    long long deadline, struct why *why)
{
	ssize_t n;
	int w;

	if (send(fd, query, query_len, 0) != (ssize_t)query_len) {
		why_set(why, "4.4.3", "send: %m");
		return DNS_SEND_ERROR;
	}
	for (;;) {
		if ((w = dns_net_wait(fd, POLLIN, deadline)) <= 0) {
			if (w < 0)
				why_set(why, "4.4.3", "poll: %m");
			return w < 0 ? DNS_SEND_ERROR : DNS_SEND_TIMEOUT;
		}
		n = recv(fd, reply, reply_size, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			why_set(why, "4.4.3", "receive: %m");
			return DNS_SEND_ERROR;
		}
		if (n >= 2 && reply[0] == query[0] && reply[1] == query[1]) {
			*reply_len = (size_t)n;
			return DNS_SEND_OK;
		}
	}
}

/* dns_net_io - read or write exactly len bytes before deadline */
static enum dns_send_status
dns_net_io(int fd, void *buf, size_t len, bool writing, long long deadline,
    struct why *why)
{
	unsigned char *p = buf;
	ssize_t n;
	int w;

	while (len > 0) {
		w = dns_net_wait(fd, writing ? POLLOUT : POLLIN, deadline);
		if (w <= 0) {
			if (w < 0)
				why_set(why, "4.4.3", "poll: %m");
			return w < 0 ? DNS_SEND_ERROR : DNS_SEND_TIMEOUT;
		}
		n = writing ? send(fd, p, len, MSG_NOSIGNAL)
		            : recv(fd, p, len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n == 0)
				why_set(
				    why, "4.4.3", "connection closed early");
			else
				why_set(why, "4.4.3", "%s: %m",
				    writing ? "send" : "receive");
			return DNS_SEND_ERROR;
		}
		p += n;
		len -= (size_t)n;
	}
	return DNS_SEND_OK;
}

/* dns_net_tcp - one exchange over TCP, two-byte length prefixes */
static enum dns_send_status
dns_net_tcp(int fd, const unsigned char *query, size_t query_len,
    unsigned char *reply, size_t reply_size, size_t *reply_len,
    long long deadline, struct why *why)
{
	unsigned char len[2] = {
	    (unsigned char)(query_len >> 8), (unsigned char)query_len};
	enum dns_send_status st;
	socklen_t sl = sizeof(int);
	int err = 0, w;
	size_t n;

	if ((w = dns_net_wait(fd, POLLOUT, deadline)) <= 0)
		return w < 0 ? DNS_SEND_ERROR : DNS_SEND_TIMEOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0 || err != 0) {
		errno = err;
		why_set(why, "4.4.3", "connect: %m");
		return DNS_SEND_ERROR;
	}
	if ((st = dns_net_io(fd, len, 2, true, deadline, why)) != DNS_SEND_OK ||
	    (st = dns_net_io(fd, (void *)query, query_len, true, deadline,
	         why)) != DNS_SEND_OK ||
	    (st = dns_net_io(fd, len, 2, false, deadline, why)) != DNS_SEND_OK)
		return st;
	n = (size_t)len[0] << 8 | len[1];
	if (n > reply_size || n < 2) {
		why_set(why, "4.4.3", "bad TCP reply length %zu", n);
		return DNS_SEND_ERROR;
	}
	*reply_len = n;
	return dns_net_io(fd, reply, n, false, deadline, why);
}

/* dns_net_send - the network transport */
enum dns_send_status
dns_net_send(void *arg, const struct dns_server *server, bool tcp,
    const unsigned char *query, size_t query_len, unsigned char *reply,
    size_t reply_size, size_t *reply_len, int timeout_ms, struct why *why)
{
	long long deadline = mono_now_ms() + timeout_ms;
	enum dns_send_status st;
	int fd;

	(void)arg;
	fd = dns_net_socket(server, tcp ? SOCK_STREAM : SOCK_DGRAM, why);
	if (fd < 0)
		return DNS_SEND_ERROR;
	if (tcp)
		st = dns_net_tcp(fd, query, query_len, reply, reply_size,
		    reply_len, deadline, why);
	else
		st = dns_net_udp(fd, query, query_len, reply, reply_size,
		    reply_len, deadline, why);
	close(fd);
	return st;
}

/* dns_resolv_conf_read - the nameserver lines of resolv.conf */
size_t
dns_resolv_conf_read(
    const char *path, struct dns_server *out, size_t max, struct why *why)
{
	char line[512], addr[DNS_ADDR_TEXT_MAX];
	FILE *fp;
	size_t n = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		why_set(why, "4.3.5", "%s: %m", path);
		return 0;
	}
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		/* %63s: DNS_ADDR_TEXT_MAX - 1 */
		if (sscanf(line, " nameserver %63s", addr) != 1)
			continue;
		memcpy(out[n].addr, addr, sizeof(addr));
		out[n].port = DNS_PORT;
		n++;
	}
	fclose(fp);
	if (n == 0)
		why_set(why, "4.3.5", "%s: no nameserver line", path);
	return n;
}
