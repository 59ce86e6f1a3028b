/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the SMTP I/O layer: reads, writes, timeouts, layers. */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>

#include "unit.h"

#include "sbuf.h"
#include "smtp_int.h"

/* A scripted layer: input handed out in pieces, output collected. */
struct fake {
	const char *in; /* bytes to receive */
	size_t inlen; /* bytes in in */
	size_t inoff; /* bytes handed out */
	size_t piece; /* most bytes per receive or send */
	bool stall; /* every other call returns EAGAIN */
	int calls; /* send or receive calls */
	struct sbuf out; /* bytes sent */
};

/* fake_recv - hand out at most piece bytes */
static ssize_t
fake_recv(struct smtp_io *io, void *buf, size_t len, short *want)
{
	struct fake *f = io->layer;
	size_t n = f->inlen - f->inoff;

	if (f->stall && f->calls++ % 2 == 0) {
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	}
	if (n > f->piece)
		n = f->piece;
	if (n > len)
		n = len;
	memcpy(buf, f->in + f->inoff, n);
	f->inoff += n;
	return (ssize_t)n;
}

/* fake_send - take at most piece bytes */
static ssize_t
fake_send(struct smtp_io *io, const void *buf, size_t len, short *want)
{
	struct fake *f = io->layer;

	if (f->stall && f->calls % 2 == 0) {
		f->calls++;
		*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	}
	f->calls++;
	if (len > f->piece)
		len = f->piece;
	sbuf_append(&f->out, buf, len);
	return (ssize_t)len;
}

/* fake_io - io over a fake layer, on a socketpair end for poll */
static void
fake_io(struct smtp_io *io, struct fake *f, int *peer)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	smtp_io_init(io, sv[0], 0);
	*peer = sv[1];
	io->recv = fake_recv;
	io->send = fake_send;
	io->layer = f;
	sbuf_init(&f->out);
}

START_TEST(test_smtp_io_reply_split_and_pipelined)
{
	struct fake f = {
	    "250-a\r\n250 b\r\n354 go\r\n", 22, 0, 1, false, 0, {0}};
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	int peer;

	fake_io(&io, &f, &peer);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 1000, &why), SMTP_IO_OK);
	ck_assert_int_eq(r.code, 250);
	ck_assert_str_eq(r.text, "a\nb");
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 1000, &why), SMTP_IO_OK);
	ck_assert_int_eq(r.code, 354);
	ck_assert_uint_eq(smtp_io_pending(&io), 0);
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_reply_waits_on_eagain)
{
	struct fake f = {"220 hi\r\n", 8, 0, 3, true, 0, {0}};
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	int peer;

	fake_io(&io, &f, &peer);
	ck_assert_int_eq(write(peer, "x", 1), 1);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 1000, &why), SMTP_IO_OK);
	ck_assert_int_eq(r.code, 220);
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_reply_eof)
{
	struct fake f = {"250-a\r\n", 7, 0, 100, false, 0, {0}};
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	int peer;

	fake_io(&io, &f, &peer);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 1000, &why), SMTP_IO_EOF);
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_reply_bad)
{
	struct fake f = {"HTTP/1.0 200 OK\r\n", 17, 0, 100, false, 0, {0}};
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	int peer;

	fake_io(&io, &f, &peer);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 1000, &why), SMTP_IO_BAD);
	ck_assert_str_eq(why.dsn, "4.5.0");
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_reply_timeout)
{
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	long long t0;
	int sv[2];

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	smtp_io_init(&io, sv[0], 0);
	smtp_reply_init(&r, false);
	t0 = mono_now_ms();
	ck_assert_int_eq(smtp_io_reply(&io, &r, 100, &why), SMTP_IO_TIMEOUT);
	ck_assert_int_ge(mono_now_ms() - t0, 90);
	ck_assert_int_lt(mono_now_ms() - t0, 2000);
	smtp_io_fini(&io);
	close(sv[1]);
}
END_TEST

START_TEST(test_smtp_io_reply_deadline_first)
{
	struct smtp_reply r;
	struct smtp_io io;
	struct why why;
	long long t0;
	int sv[2];

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	t0 = mono_now_ms();
	smtp_io_init(&io, sv[0], t0 + 100);
	smtp_reply_init(&r, false);
	ck_assert_int_eq(smtp_io_reply(&io, &r, 60000, &why), SMTP_IO_DEADLINE);
	ck_assert_int_lt(mono_now_ms() - t0, 2000);
	smtp_io_fini(&io);
	close(sv[1]);
}
END_TEST

START_TEST(test_smtp_io_write_large_buffers)
{
	struct fake f = {"", 0, 0, SIZE_MAX, false, 0, {0}};
	char line[1000];
	struct smtp_io io;
	int i, peer;

	fake_io(&io, &f, &peer);
	memset(line, 'l', sizeof(line));
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(
		    smtp_io_write(&io, line, sizeof(line), 1000), SMTP_IO_OK);
	ck_assert_int_eq(smtp_io_flush(&io, 1000), SMTP_IO_OK);
	ck_assert_uint_eq(f.out.len, 200 * sizeof(line));
	ck_assert_int_eq(
	    f.calls, (int)((f.out.len + SMTP_IO_OUTBUF - 1) / SMTP_IO_OUTBUF));
	ck_assert_int_eq(smtp_io_flush(&io, 1000), SMTP_IO_OK);
	ck_assert_int_eq(f.calls, 4);
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_write_partial_sends)
{
	struct fake f = {"", 0, 0, 7, true, 0, {0}};
	const char *msg = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
	struct smtp_io io;
	int peer;

	fake_io(&io, &f, &peer);
	ck_assert_int_eq(
	    smtp_io_write(&io, msg, strlen(msg), 1000), SMTP_IO_OK);
	ck_assert_int_eq(smtp_io_flush(&io, 1000), SMTP_IO_OK);
	ck_assert_str_eq(sbuf_str(&f.out), msg);
	sbuf_fini(&f.out);
	smtp_io_fini(&io);
	close(peer);
}
END_TEST

START_TEST(test_smtp_io_flush_timeout_when_peer_stalls)
{
	size_t n = 8 << 20;
	char *big = malloc(n);
	struct smtp_io io;
	enum smtp_io_rc rc;
	int sv[2];

	ck_assert_ptr_nonnull(big);
	memset(big, 'b', n);
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	smtp_io_init(&io, sv[0], 0);
	rc = smtp_io_write(&io, big, n, 100);
	if (rc == SMTP_IO_OK)
		rc = smtp_io_flush(&io, 100);
	ck_assert_int_eq(rc, SMTP_IO_TIMEOUT);
	smtp_io_fini(&io);
	close(sv[1]);
	free(big);
}
END_TEST

START_TEST(test_smtp_io_flush_peer_closed)
{
	struct smtp_io io;
	int sv[2];

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	close(sv[1]);
	smtp_io_init(&io, sv[0], 0);
	ck_assert_int_eq(smtp_io_write(&io, "QUIT\r\n", 6, 100), SMTP_IO_OK);
	ck_assert_int_eq(smtp_io_flush(&io, 100), SMTP_IO_EOF);
	smtp_io_fini(&io);
}
END_TEST

START_TEST(test_smtp_io_wait_deadline_passed)
{
	int err = 0, sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(
	    smtp_io_wait(sv[0], POLLIN, 1000, mono_now_ms() - 1, &err),
	    SMTP_IO_DEADLINE);
	ck_assert_int_eq(
	    smtp_io_wait(sv[0], POLLOUT, 1000, 0, &err), SMTP_IO_OK);
	ck_assert_int_eq(
	    smtp_io_wait(sv[0], POLLIN, 0, 0, &err), SMTP_IO_TIMEOUT);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* smtp_io_suite - the suite */
static Suite *
smtp_io_suite(void)
{
	Suite *s = suite_create("smtp_io");
	TCase *tc = tcase_create("reply");

	tcase_add_test(tc, test_smtp_io_reply_split_and_pipelined);
	tcase_add_test(tc, test_smtp_io_reply_waits_on_eagain);
	tcase_add_test(tc, test_smtp_io_reply_eof);
	tcase_add_test(tc, test_smtp_io_reply_bad);
	tcase_add_test(tc, test_smtp_io_reply_timeout);
	tcase_add_test(tc, test_smtp_io_reply_deadline_first);
	suite_add_tcase(s, tc);
	tc = tcase_create("write");
	tcase_add_test(tc, test_smtp_io_write_large_buffers);
	tcase_add_test(tc, test_smtp_io_write_partial_sends);
	tcase_add_test(tc, test_smtp_io_flush_timeout_when_peer_stalls);
	tcase_add_test(tc, test_smtp_io_flush_peer_closed);
	tcase_add_test(tc, test_smtp_io_wait_deadline_passed);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(smtp_io_suite());
}
