/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * delayproxy - a TCP relay that puts a network's latency between SMTP
 * clients and a server on loopback, for t/bench/latency.sh. One process
 * listens on many addresses (the MX hosts) and relays each connection to
 * one target. Every chunk read in either direction waits DELAY ms in a
 * queue of its direction (byte order kept), an end of stream is passed on
 * as a half-close after the same delay, and the target is connected 3 x
 * DELAY ms after the accept (the greeting comes two round trips after
 * connect(), as over a network). It counts, alike for every client, the
 * connections accepted and the TLS handshakes (a handshake record right
 * after the client's STARTTLS line) in STATSFILE, "conns=N tls=N open=N
 * overflow=N", rewritten at most every 100 ms. Built by the script:
 *   cc -std=c11 -O2 -Wall -Wextra -Werror -o delayproxy delayproxy.c
 * Usage: delayproxy [-d MS] [-m MAXCONN] [-b SOURCE_IP] -s STATSFILE
 *            -t TARGET_IP:PORT -f LISTEN_FILE   (one IPv4 IP:PORT a line)
 * Runs until SIGTERM or SIGINT.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DP_READ_MAX 16384 /* bytes read at once: one chunk */
#define DP_QUEUE_MAX (1 << 20) /* bytes held per direction at most */
#define DP_LISTEN_MAX 1024 /* listen addresses */
#define DP_EVENTS 256 /* epoll events per wait */
#define DP_STATS_EVERY_MS 100 /* the stats file is rewritten at most */
#define DP_LINE_MAX 16 /* the part of a command line kept */

#define DP_UNWATCHED UINT32_MAX /* dp_end.armed: no longer in epoll */

enum dp_kind { DP_LISTENER, DP_CLIENT, DP_SERVER };

/* One chunk of bytes (or an end of stream) waiting for its time. */
struct dp_chunk {
	struct dp_chunk *next;
	int64_t due; /* monotonic ms when it may be written */
	size_t len, off; /* bytes in data; bytes already written */
	bool eof; /* an end of stream, not bytes */
	unsigned char data[];
};

/* One direction of a relayed connection. */
struct dp_dir {
	struct dp_chunk *head, *tail;
	size_t queued; /* bytes held */
	bool rd_eof; /* the source ended its stream */
	bool wr_shut; /* the end was passed on (shutdown) */
	bool blocked; /* the last write would block */
};

/* An epoll registration: which descriptor of what. */
struct dp_end {
	enum dp_kind kind;
	int fd;
	uint32_t armed; /* the events registered */
	struct dp_conn *conn;
};

/* A relayed connection: client -> up -> server -> down -> client. */
struct dp_conn {
	struct dp_conn *prev, *next;
	struct dp_end cli, srv;
	struct dp_dir up, down;
	int64_t connect_due; /* when to connect to the target */
	bool connecting, connected;
	int tls_state; /* 0 lines, 1 after STARTTLS, 2 TLS or done */
	char line[DP_LINE_MAX];
	size_t line_len;
	bool line_long; /* the current line is longer than kept */
	bool dead; /* failed: freed by the loop, not by an event */
};

static int dp_ep = -1;
static int64_t dp_delay = 25;
static struct sockaddr_in dp_target, dp_source;
static bool dp_have_source;
static struct dp_conn *dp_conns;
static long dp_nconn, dp_maxconn = 4096;
static long dp_accepted, dp_tls, dp_overflow;
static bool dp_dirty = true;
static int64_t dp_stats_at;
static const char *dp_stats_path;
static volatile sig_atomic_t dp_stop;

/* dp_now - monotonic milliseconds */
static int64_t
dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* dp_die - report and exit 1 */
static void
dp_die(const char *what)
{
	fprintf(stderr, "delayproxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* dp_on_signal - ask the loop to stop */
static void
dp_on_signal(int sig)
{
	(void)sig;
	dp_stop = 1;
}

/* dp_parse_addr - "IP:PORT" into SA; false when malformed */
static bool
dp_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return false;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

/* dp_ctl - epoll_ctl OP for END with EVENTS; exit on failure */
static void
dp_ctl(struct dp_end *end, int op, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = end};

	if (epoll_ctl(dp_ep, op, end->fd, &ev) < 0)
		dp_die("epoll_ctl");
	end->armed = events;
}

/* dp_arm - register END for EVENTS (0: none) when that changed */
static void
dp_arm(struct dp_end *end, uint32_t events)
{
	if (end->fd >= 0 && end->armed != events && end->armed != DP_UNWATCHED)
		dp_ctl(end, EPOLL_CTL_MOD, events);
}

/* dp_dir_fini - free a direction's chunks */
static void
dp_dir_fini(struct dp_dir *d)
{
	struct dp_chunk *c, *next;

	for (c = d->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	d->head = d->tail = NULL;
	d->queued = 0;
}

/* dp_conn_free - close both descriptors and free the connection */
static void
dp_conn_free(struct dp_conn *c)
{
	if (c->cli.fd >= 0)
		close(c->cli.fd);
	if (c->srv.fd >= 0)
		close(c->srv.fd);
	dp_dir_fini(&c->up);
	dp_dir_fini(&c->down);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		dp_conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	dp_nconn--;
	dp_dirty = true;
}

/* dp_push - queue LEN bytes (or, LEN 0, an end of stream) in D */
static void
dp_push(struct dp_dir *d, const unsigned char *buf, size_t len)
{
	struct dp_chunk *c = malloc(sizeof(*c) + len);

	if (c == NULL)
		dp_die("malloc");
	c->next = NULL;
	c->due = dp_now() + dp_delay;
	c->len = len;
	c->off = 0;
	c->eof = len == 0;
	if (len > 0)
		memcpy(c->data, buf, len);
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += len;
}

/* dp_watch_tls - follow the client's command lines; count a TLS
 * handshake record sent right after a STARTTLS line */
static void
dp_watch_tls(struct dp_conn *c, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && c->tls_state != 2; i++) {
		if (c->tls_state == 1) {
			/* The server may have refused: then plain lines go on. */
			c->tls_state = p[i] == 0x16 ? 2 : 0;
			if (c->tls_state == 2) {
				dp_tls++;
				dp_dirty = true;
				break;
			}
		}
		if (p[i] == '\n') {
			if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
				c->line_len--;
			if (!c->line_long && c->line_len == 8 &&
			    strncasecmp(c->line, "STARTTLS", 8) == 0)
				c->tls_state = 1;
			c->line_len = 0;
			c->line_long = false;
		} else if (c->line_len < DP_LINE_MAX) {
			c->line[c->line_len++] = (char)p[i];
		} else {
			c->line_long = true;
		}
	}
}

/* dp_read - read what END's peer sent into direction D; false when the
 * connection failed */
static bool
dp_read(struct dp_conn *c, struct dp_end *end, struct dp_dir *d)
{
	unsigned char buf[DP_READ_MAX];
	ssize_t n = read(end->fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		d->rd_eof = true;
		dp_push(d, NULL, 0);
		return true;
	}
	if (end->kind == DP_CLIENT)
		dp_watch_tls(c, buf, (size_t)n);
	dp_push(d, buf, (size_t)n);
	return true;
}

/* dp_flush - write D's chunks that are due to FD; false when the
 * connection failed */
static bool
dp_flush(struct dp_dir *d, int fd, int64_t now)
{
	struct dp_chunk *c;
	ssize_t n;

	d->blocked = false;
	while ((c = d->head) != NULL && c->due <= now) {
		if (c->eof) {
			if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
				return false;
			d->wr_shut = true;
		} else {
			n = write(fd, c->data + c->off, c->len - c->off);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				d->blocked = true;
				return true;
			}
			if (n < 0)
				return false;
			c->off += (size_t)n;
			d->queued -= (size_t)n;
			if (c->off < c->len) {
				d->blocked = true;
				return true;
			}
		}
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	return true;
}

/* dp_connect - start the connection to the target; false on failure */
static bool
dp_connect(struct dp_conn *c)
{
	int on = 1;

	c->srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->srv.fd < 0)
		return false;
	(void)setsockopt(c->srv.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (dp_have_source &&
	    bind(c->srv.fd, (struct sockaddr *)&dp_source, sizeof(dp_source)) <
	        0)
		return false;
	dp_ctl(&c->srv, EPOLL_CTL_ADD, 0);
	c->connecting = true;
	if (connect(c->srv.fd, (struct sockaddr *)&dp_target,
	        sizeof(dp_target)) == 0) {
		c->connecting = false;
		c->connected = true;
	} else if (errno != EINPROGRESS) {
		return false;
	}
	return true;
}

/* dp_conn_step - connect, flush and rearm C at NOW; false when C is
 * finished (both ends passed on) or failed */
static bool
dp_conn_step(struct dp_conn *c, int64_t now)
{
	uint32_t ev;

	if (c->dead)
		return false;
	if (!c->connected && !c->connecting && c->connect_due <= now &&
	    !dp_connect(c))
		return false;
	if (c->connected && !dp_flush(&c->up, c->srv.fd, now))
		return false;
	if (!dp_flush(&c->down, c->cli.fd, now))
		return false;
	if (c->up.wr_shut && c->down.wr_shut)
		return false;
	ev = 0;
	if (!c->up.rd_eof && c->up.queued < DP_QUEUE_MAX)
		ev |= EPOLLIN;
	if (c->down.blocked)
		ev |= EPOLLOUT;
	dp_arm(&c->cli, ev);
	ev = 0;
	if (c->connected && !c->down.rd_eof && c->down.queued < DP_QUEUE_MAX)
		ev |= EPOLLIN;
	if (c->connecting || c->up.blocked)
		ev |= EPOLLOUT;
	dp_arm(&c->srv, ev);
	return true;
}

/* dp_accept - accept every pending connection on listener L */
static void
dp_accept(struct dp_end *l)
{
	struct dp_conn *c;
	int fd, on = 1;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		dp_accepted++;
		dp_dirty = true;
		if (dp_nconn >= dp_maxconn) {
			dp_overflow++;
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			dp_die("calloc");
		c->cli.kind = DP_CLIENT;
		c->cli.fd = fd;
		c->cli.conn = c;
		c->srv.kind = DP_SERVER;
		c->srv.fd = -1;
		c->srv.conn = c;
		c->connect_due = dp_now() + 3 * dp_delay;
		dp_ctl(&c->cli, EPOLL_CTL_ADD, 0);
		c->next = dp_conns;
		if (dp_conns != NULL)
			dp_conns->prev = c;
		dp_conns = c;
		dp_nconn++;
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		fprintf(stderr, "delayproxy: accept: %s\n", strerror(errno));
}

/* dp_stats_write - rewrite the stats file (a new file renamed over) */
static void
dp_stats_write(void)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", dp_stats_path);
	f = fopen(tmp, "w");
	if (f == NULL)
		dp_die(tmp);
	fprintf(f, "conns=%ld tls=%ld open=%ld overflow=%ld\n", dp_accepted,
	    dp_tls, dp_nconn, dp_overflow);
	if (fclose(f) != 0 || rename(tmp, dp_stats_path) != 0)
		dp_die(dp_stats_path);
	dp_dirty = false;
	dp_stats_at = dp_now();
}

/* dp_listen_all - listen on every address of FILE; returns how many */
static int
dp_listen_all(const char *file, struct dp_end *ls)
{
	char line[128];
	struct sockaddr_in sa;
	FILE *f = fopen(file, "r");
	int n = 0, on = 1;

	if (f == NULL)
		dp_die(file);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (n >= DP_LISTEN_MAX || !dp_parse_addr(line, &sa)) {
			fprintf(stderr, "delayproxy: %s: bad or too many: %s\n",
			    file, line);
			exit(1);
		}
		ls[n].kind = DP_LISTENER;
		ls[n].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (ls[n].fd < 0)
			dp_die("socket");
		(void)setsockopt(
		    ls[n].fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(ls[n].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(ls[n].fd, 128) < 0)
			dp_die(line);
		dp_ctl(&ls[n], EPOLL_CTL_ADD, EPOLLIN);
		n++;
	}
	fclose(f);
	return n;
}

/* dp_timeout - ms until the next due chunk, connect or stats write */
static int
dp_timeout(int64_t now)
{
	int64_t next = now + 1000, t;
	const struct dp_conn *c;

	if (dp_dirty && dp_stats_at + DP_STATS_EVERY_MS < next)
		next = dp_stats_at + DP_STATS_EVERY_MS;
	for (c = dp_conns; c != NULL; c = c->next) {
		if (!c->connected && !c->connecting && c->connect_due < next)
			next = c->connect_due;
		t = c->up.head != NULL && !c->up.blocked ? c->up.head->due
		                                         : next;
		if (c->connected && t < next)
			next = t;
		t = c->down.head != NULL && !c->down.blocked ? c->down.head->due
		                                             : next;
		if (t < next)
			next = t;
	}
	return next <= now ? 0 : (int)(next - now);
}

/* dp_on_event - handle one epoll event */
static void
dp_on_event(struct dp_end *end, uint32_t events)
{
	struct dp_conn *c = end->conn;
	int err = 0;
	socklen_t len = sizeof(err);

	if (end->kind == DP_LISTENER) {
		dp_accept(end);
		return;
	}
	if (c->dead)
		return;
	if (events & EPOLLERR) {
		c->dead = true;
		return;
	}
	if ((events & EPOLLHUP) && !(end->armed & EPOLLIN)) {
		/* Both halves are shut: reported whatever the mask says, so
		 * the descriptor leaves epoll; due writes still happen. */
		if (epoll_ctl(dp_ep, EPOLL_CTL_DEL, end->fd, NULL) < 0)
			dp_die("epoll_ctl");
		end->armed = DP_UNWATCHED;
		return;
	}
	if (end->kind == DP_SERVER && c->connecting &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(end->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			c->dead = true;
			return;
		}
		c->connecting = false;
		c->connected = true;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    (end->armed & EPOLLIN) &&
	    !dp_read(c, end, end->kind == DP_CLIENT ? &c->up : &c->down))
		c->dead = true;
}

int
main(int argc, char **argv)
{
	static struct dp_end ls[DP_LISTEN_MAX];
	struct epoll_event evs[DP_EVENTS];
	const char *listen_file = NULL;
	struct dp_conn *c, *next;
	int opt, i, n;
	int64_t now;

	while ((opt = getopt(argc, argv, "b:d:f:m:s:t:")) != -1) {
		switch (opt) {
		case 'b':
			dp_have_source = true;
			if (inet_pton(AF_INET, optarg, &dp_source.sin_addr) !=
			    1)
				goto usage;
			dp_source.sin_family = AF_INET;
			break;
		case 'd':
			dp_delay = atol(optarg);
			break;
		case 'f':
			listen_file = optarg;
			break;
		case 'm':
			dp_maxconn = atol(optarg);
			break;
		case 's':
			dp_stats_path = optarg;
			break;
		case 't':
			if (!dp_parse_addr(optarg, &dp_target))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (listen_file == NULL || dp_stats_path == NULL ||
	    dp_target.sin_family != AF_INET || dp_delay < 0 || optind != argc)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, dp_on_signal);
	signal(SIGINT, dp_on_signal);
	dp_ep = epoll_create1(0);
	if (dp_ep < 0)
		dp_die("epoll_create1");
	n = dp_listen_all(listen_file, ls);
	fprintf(stderr, "delayproxy: %d addresses, %lld ms each way\n", n,
	    (long long)dp_delay);
	dp_stats_write();

	while (!dp_stop) {
		n = epoll_wait(dp_ep, evs, DP_EVENTS, dp_timeout(dp_now()));
		if (n < 0 && errno != EINTR)
			dp_die("epoll_wait");
		for (i = 0; i < n; i++)
			dp_on_event(evs[i].data.ptr, evs[i].events);
		now = dp_now();
		for (c = dp_conns; c != NULL; c = next) {
			next = c->next;
			if (!dp_conn_step(c, now))
				dp_conn_free(c);
		}
		if (dp_dirty && now >= dp_stats_at + DP_STATS_EVERY_MS)
			dp_stats_write();
	}
	dp_stats_write();
	return 0;

usage:
	fprintf(stderr,
	    "usage: delayproxy [-d MS] [-m MAXCONN] "
	    "[-b SOURCE_IP] -s STATSFILE -t TARGET_IP:PORT "
	    "-f LISTEN_FILE\n");
	return 2;
}
