/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Buffered, bounded I/O for the SMTP client. Reads fill a small buffer
 * that the reply parser consumes; writes collect in a large buffer that
 * goes out in as few system calls as the socket allows. Every wait is
 * a poll(2) bounded by the step timeout and the overall deadline. The
 * transfer itself goes through io->recv and io->send, so a TLS layer
 * can replace plain TCP without touching anything above.
 */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "smtp_int.h"
#include "xalloc.h"

/* smtp_io_tcp_recv - plain TCP receive */
static ssize_t
smtp_io_tcp_recv(struct smtp_io *io, void *buf, size_t len, short *want)
{
	ssize_t n;

	do {
		n = recv(io->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		errno = EAGAIN;
		*want = POLLIN;
	}
	return n;
}

/* smtp_io_tcp_send - plain TCP send, no SIGPIPE */
static ssize_t
smtp_io_tcp_send(struct smtp_io *io, const void *buf, size_t len, short *want)
{
	ssize_t n;

	do {
		n = send(io->fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		errno = EAGAIN;
		*want = POLLOUT;
	}
	return n;
}

/* smtp_io_init - plain TCP on a connected socket */
void
smtp_io_init(struct smtp_io *io, int fd, long long deadline_ms)
{
	io->fd = fd;
	io->recv = smtp_io_tcp_recv;
	io->send = smtp_io_tcp_send;
	io->close = NULL;
	io->layer = NULL;
	io->deadline_ms = deadline_ms;
	io->err = 0;
	io->in_off = io->in_len = 0;
	io->out = xmalloc(SMTP_IO_OUTBUF);
	io->out_len = 0;
}

/* smtp_io_fini - close and free */
void
smtp_io_fini(struct smtp_io *io)
{
	if (io->close != NULL)
		io->close(io);
	io->close = NULL;
	io->layer = NULL;
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	free(io->out);
	io->out = NULL;
	io->out_len = 0;
}

/* smtp_io_wait - poll for events within the step and overall limits */
enum smtp_io_rc
smtp_io_wait(int fd, short events, unsigned long timeout_ms,
    long long deadline_ms, int *err)
{
	long long now = mono_now_ms(), end, left;
	enum smtp_io_rc late = SMTP_IO_TIMEOUT;
	struct pollfd pfd;
	int n;

	end = now + (long long)timeout_ms;
	if (deadline_ms > 0 && deadline_ms <= end) {
		end = deadline_ms;
		late = SMTP_IO_DEADLINE;
	}
	for (;;) {
		left = end - now;
		if (left <= 0)
			return late;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = loop_poll(&pfd, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return SMTP_IO_OK;
		if (n < 0 && errno != EINTR) {
			*err = errno;
			return SMTP_IO_ERROR;
		}
		now = mono_now_ms();
	}
}

/* smtp_io_failed - note a failed send or receive; a reset is an EOF */
static enum smtp_io_rc
smtp_io_failed(struct smtp_io *io, int err)
{
	io->err = err;
	return err == ECONNRESET || err == EPIPE ? SMTP_IO_EOF : SMTP_IO_ERROR;
}

/* smtp_io_wait_end - wait for want until end (mono ms) or the deadline */
static enum smtp_io_rc
smtp_io_wait_end(struct smtp_io *io, short want, long long end)
{
	long long left = end - mono_now_ms();

	return smtp_io_wait(io->fd, want, left > 0 ? (unsigned long)left : 0,
	    io->deadline_ms, &io->err);
}

/* smtp_io_fill - receive more bytes into the input buffer */
static enum smtp_io_rc
smtp_io_fill(struct smtp_io *io, long long end)
{
	enum smtp_io_rc rc;
	short want;
	ssize_t n;

	if (io->in_off > 0) {
		memmove(io->in, io->in + io->in_off, io->in_len - io->in_off);
		io->in_len -= io->in_off;
		io->in_off = 0;
	}
	for (;;) {
		want = POLLIN;
		n = io->recv(io, io->in + io->in_len,
		    sizeof(io->in) - io->in_len, &want);
		if (n > 0) {
			io->in_len += (size_t)n;
			return SMTP_IO_OK;
		}
		if (n == 0)
			return SMTP_IO_EOF;
		if (errno != EAGAIN)
			return smtp_io_failed(io, errno);
		rc = smtp_io_wait_end(io, want, end);
		if (rc != SMTP_IO_OK)
			return rc;
	}
}

/* smtp_io_reply - read one complete reply */
enum smtp_io_rc
smtp_io_reply(struct smtp_io *io, struct smtp_reply *r,
    unsigned long timeout_ms, struct why *why)
{
	long long end = mono_now_ms() + (long long)timeout_ms;
	enum smtp_reply_rc prc;
	enum smtp_io_rc rc;
	size_t used;

	for (;;) {
		if (io->in_off < io->in_len) {
			prc = smtp_reply_parse(r, io->in + io->in_off,
			    io->in_len - io->in_off, &used, why);
			io->in_off += used;
			if (prc == SMTP_REPLY_DONE)
				return SMTP_IO_OK;
			if (prc == SMTP_REPLY_BAD)
				return SMTP_IO_BAD;
		}
		rc = smtp_io_fill(io, end);
		if (rc != SMTP_IO_OK)
			return rc;
	}
}

/* smtp_io_flush - send everything queued */
enum smtp_io_rc
smtp_io_flush(struct smtp_io *io, unsigned long timeout_ms)
{
	long long end = mono_now_ms() + (long long)timeout_ms;
	enum smtp_io_rc rc;
	size_t off = 0;
	short want;
	ssize_t n;

	while (off < io->out_len) {
		want = POLLOUT;
		n = io->send(io, io->out + off, io->out_len - off, &want);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			return smtp_io_failed(io, n == 0 ? EPIPE : errno);
		rc = smtp_io_wait_end(io, want, end);
		if (rc != SMTP_IO_OK)
			return rc;
	}
	io->out_len = 0;
	return SMTP_IO_OK;
}

/* smtp_io_write - queue bytes, flushing full buffers */
enum smtp_io_rc
smtp_io_write(
    struct smtp_io *io, const void *buf, size_t len, unsigned long timeout_ms)
{
	const char *p = buf;
	enum smtp_io_rc rc;
	size_t room;

	while (len > 0) {
		room = SMTP_IO_OUTBUF - io->out_len;
		if (room > len)
			room = len;
		memcpy(io->out + io->out_len, p, room);
		io->out_len += room;
		p += room;
		len -= room;
		if (io->out_len == SMTP_IO_OUTBUF) {
			rc = smtp_io_flush(io, timeout_ms);
			if (rc != SMTP_IO_OK)
				return rc;
		}
	}
	return SMTP_IO_OK;
}

/* smtp_io_pending - unparsed input */
size_t
smtp_io_pending(const struct smtp_io *io)
{
	return io->in_len - io->in_off;
}
