/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the sessions a delivery worker keeps (deliver_keep.c):
 * taken back only by the peer they were made for, not once idle for
 * their keep time or closed by the server, QUIT when they expire, and
 * the recipient domains they served said once each.
 */

#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "deliver_run.h"
#include "smtp_int.h"

#define DK_KEEP_MS 2000 /* keep time used */

/* dk_peer - the peer a session is made for, on port */
static void
dk_peer(struct smtp_peer *p, struct smtp_opts *o, unsigned port)
{
	memset(p, 0, sizeof(*p));
	memset(o, 0, sizeof(*o));
	p->host = "mx.example.test";
	p->addr = "192.0.2.1";
	p->port = port;
	p->tls = CFG_TLS_MAY;
	o->helo_name = "client.example.test";
}

/*
 * dk_session - a session ready between transactions for port, on one
 * end of a socket pair; *srv is the server's end
 */
static struct smtp_session *
dk_session(unsigned port, int *srv)
{
	struct smtp_peer p;
	struct smtp_opts o;
	struct smtp_session *s;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	dk_peer(&p, &o, port);
	s = smtp_session_new(&p, &o);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	smtp_io_init(&s->io, sv[0], 0);
	s->state = SMTP_ST_READY;
	s->greeted = true;
	*srv = sv[1];
	return s;
}

/* dk_saw_quit - whether the server's end got QUIT */
static bool
dk_saw_quit(int srv)
{
	char buf[64];
	ssize_t n = read(srv, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "QUIT\r\n") != NULL;
}

START_TEST(test_deliver_keep_take_only_for_its_peer)
{
	struct deliver_keep *k = deliver_keep_new();
	struct smtp_session *s, *got;
	struct smtp_peer p;
	struct smtp_opts o;
	int srv;

	s = dk_session(25, &srv);
	deliver_keep_put(k, s, "a.example", DK_KEEP_MS, 1000);
	ck_assert_uint_eq(deliver_keep_count(k), 1);
	dk_peer(&p, &o, 587);
	ck_assert_ptr_null(deliver_keep_take(k, &p, &o, 1001));
	p.port = 25;
	p.tls = CFG_TLS_VERIFY;
	ck_assert_ptr_null(deliver_keep_take(k, &p, &o, 1001));
	p.tls = CFG_TLS_MAY;
	o.deadline_ms = 777;
	got = deliver_keep_take(k, &p, &o, 1001);
	ck_assert_ptr_eq(got, s);
	ck_assert(s->io.deadline_ms == 777);
	ck_assert_uint_eq(deliver_keep_count(k), 0);
	ck_assert_ptr_null(deliver_keep_take(k, &p, &o, 1002));
	deliver_keep_free(k);
	s->broken = true; /* no QUIT to wait for */
	smtp_session_close(s);
	close(srv);
}
END_TEST

START_TEST(test_deliver_keep_take_not_when_gone_or_stale)
{
	struct deliver_keep *k = deliver_keep_new();
	struct smtp_peer p;
	struct smtp_opts o;
	int srv1, srv2;

	dk_peer(&p, &o, 25);
	/* Closed by the server while idle: ended, not given. */
	deliver_keep_put(k, dk_session(25, &srv1), "a.example", DK_KEEP_MS, 0);
	close(srv1);
	ck_assert_ptr_null(deliver_keep_take(k, &p, &o, 10));
	ck_assert_uint_eq(deliver_keep_count(k), 0);
	/* Idle for its keep time: QUIT, not given. */
	deliver_keep_put(k, dk_session(25, &srv2), "a.example", DK_KEEP_MS, 0);
	ck_assert_int_eq(write(srv2, "221 2.0.0 Bye\r\n", 15), 15);
	ck_assert_ptr_null(deliver_keep_take(k, &p, &o, DK_KEEP_MS));
	ck_assert_uint_eq(deliver_keep_count(k), 0);
	ck_assert(dk_saw_quit(srv2));
	deliver_keep_free(k);
	close(srv2);
}
END_TEST

START_TEST(test_deliver_keep_expire_quits_and_says_when_next)
{
	struct deliver_keep *k = deliver_keep_new();
	struct pollfd pfd[DELIVER_KEEP_MAX];
	int srv1, srv2;

	ck_assert(deliver_keep_expire(k, 0) == -1);
	deliver_keep_put(k, dk_session(25, &srv1), "a.example", 1000, 0);
	deliver_keep_put(k, dk_session(26, &srv2), "b.example", 3000, 0);
	ck_assert_uint_eq(deliver_keep_pollfds(k, pfd, DELIVER_KEEP_MAX), 2);
	ck_assert(deliver_keep_expire(k, 500) == 500);
	ck_assert_int_eq(write(srv1, "221 2.0.0 Bye\r\n", 15), 15);
	ck_assert(deliver_keep_expire(k, 1000) == 2000);
	ck_assert(dk_saw_quit(srv1));
	ck_assert_uint_eq(deliver_keep_count(k), 1);
	/* The server of the other one goes: check ends it. */
	close(srv2);
	deliver_keep_check(k);
	ck_assert_uint_eq(deliver_keep_count(k), 0);
	deliver_keep_free(k);
	close(srv1);
}
END_TEST

START_TEST(test_deliver_keep_domains_once_each)
{
	struct deliver_keep *k = deliver_keep_new();
	char buf[64];
	int srv[3], i;
	size_t n;

	deliver_keep_put(k, dk_session(25, &srv[0]), "a.example", 9000, 0);
	deliver_keep_put(k, dk_session(26, &srv[1]), "b.example", 9000, 0);
	deliver_keep_put(k, dk_session(27, &srv[2]), "a.example", 9000, 0);
	n = deliver_keep_domains(k, buf, sizeof(buf));
	ck_assert_uint_eq(n, 20);
	ck_assert(memcmp(buf, "a.example\0b.example\0", 20) == 0);
	/* What does not fit is left out. */
	ck_assert_uint_eq(deliver_keep_domains(k, buf, 12), 10);
	for (i = 0; i < 3; i++)
		close(srv[i]);
	deliver_keep_check(k);
	ck_assert_uint_eq(deliver_keep_count(k), 0);
	deliver_keep_free(k);
}
END_TEST

/* deliver_keep_suite - the worker's kept sessions */
static Suite *
deliver_keep_suite(void)
{
	Suite *s = suite_create("deliver_keep");
	TCase *tc = tcase_create("keep");

	tcase_add_test(tc, test_deliver_keep_take_only_for_its_peer);
	tcase_add_test(tc, test_deliver_keep_take_not_when_gone_or_stale);
	tcase_add_test(tc, test_deliver_keep_expire_quits_and_says_when_next);
	tcase_add_test(tc, test_deliver_keep_domains_once_each);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(deliver_keep_suite());
}
