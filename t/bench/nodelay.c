/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * nodelay.so - an LD_PRELOAD shim for t/bench/deliver.sh: every connect()
 * of a TCP socket first sets TCP_NODELAY, so that a client that does not
 * (msmtp) is measured without Nagle's algorithm holding back its small
 * pipelined writes until the peer's delayed ACK. Built by the script:
 *
 *   cc -shared -fPIC -o nodelay.so nodelay.c
 *
 * It lives here, not in t/tools/, because the Makefile builds every C
 * file there as a program.
 */

#include <sys/socket.h>

#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>

typedef int (*nodelay_connect_fn)(int, const struct sockaddr *, socklen_t);

int connect(int fd, const struct sockaddr *sa, socklen_t len);

/* connect - set TCP_NODELAY on TCP sockets, then the real connect() */
int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static nodelay_connect_fn real;
	int type = 0, on = 1;
	socklen_t tl = sizeof(type);

	if (real == NULL)
		real = (nodelay_connect_fn)dlsym(RTLD_NEXT, "connect");
	if (sa != NULL &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return real(fd, sa, len);
}
