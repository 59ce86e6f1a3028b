/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of sessions kept in a process (smtp_keep.c): a kept
 * session fits only a peer and options exactly like its own (policy,
 * names, TLSA records, CA bundle, credentials), and one the server
 * closed or spoke on is not alive.
 */

#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "smtp_int.h"

static const unsigned char kp_data[32] = {1, 2, 3};
static const unsigned char kp_other[32] = {9, 9, 9};

/* kp_base - the peer and options a kept session was made with */
static void
kp_base(struct smtp_peer *p, struct smtp_opts *o, struct smtp_tlsa *t)
{
	memset(p, 0, sizeof(*p));
	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(*t));
	t->usage = 3;
	t->selector = 1;
	t->mtype = 1;
	t->data = kp_data;
	t->len = sizeof(kp_data);
	p->host = "mx.example.test";
	p->addr = "192.0.2.1";
	p->port = 25;
	p->tls = CFG_TLS_DANE;
	p->tlsa = t;
	p->ntlsa = 1;
	p->user = "alice";
	p->user_len = 5;
	p->pass = "secret";
	p->pass_len = 6;
	o->helo_name = "client.example.test";
	o->tls_min_version = SMTP_TLSV1_2;
}

/* One change to the peer or options, and whether the session fits. */
static const struct {
	const char *name; /* case */
	int change; /* what kp_change() does */
	bool want; /* smtp_session_fits() */
} kp_cases[] = {
    {"the same", 0, true},
    {"another policy (verify)", 1, false},
    {"another host name (SNI)", 2, false},
    {"another address", 3, false},
    {"another port", 4, false},
    {"another EHLO name", 5, false},
    {"another user", 6, false},
    {"no user", 7, false},
    {"another password", 8, false},
    {"other TLSA data", 9, false},
    {"no TLSA records", 10, false},
    {"a CA bundle", 11, false},
    {"another TLS floor", 12, false},
    {"auth_without_tls", 13, false},
    {"the address in brackets", 14, true},
    {"timeouts and deadline do not matter", 15, true},
};

/* kp_change - apply change c */
static void
kp_change(int c, struct smtp_peer *p, struct smtp_opts *o, struct smtp_tlsa *t)
{
	switch (c) {
	case 1:
		p->tls = CFG_TLS_VERIFY;
		break;
	case 2:
		p->host = "mx2.example.test";
		break;
	case 3:
		p->addr = "192.0.2.2";
		break;
	case 4:
		p->port = 587;
		break;
	case 5:
		o->helo_name = "other.example.test";
		break;
	case 6:
		p->user = "bobby";
		break;
	case 7:
		p->user = NULL;
		p->user_len = 0;
		p->pass = NULL;
		p->pass_len = 0;
		break;
	case 8:
		p->pass = "secreT";
		break;
	case 9:
		t->data = kp_other;
		break;
	case 10:
		p->ntlsa = 0;
		break;
	case 11:
		o->tls_ca_file = "/nonexistent/ca.crt";
		break;
	case 12:
		o->tls_min_version = SMTP_TLSV1_3;
		break;
	case 13:
		o->auth_without_tls = true;
		break;
	case 14:
		p->addr = "[192.0.2.1]";
		p->host = NULL;
		break;
	case 15:
		o->command_timeout_ms = 1234;
		o->deadline_ms = 99999;
		break;
	default:
		break;
	}
}

START_TEST(test_smtp_session_fits_exactly)
{
	struct smtp_peer p;
	struct smtp_opts o;
	struct smtp_tlsa t;
	struct smtp_session *s;
	bool got;

	kp_base(&p, &o, &t);
	if (kp_cases[_i].change == 14)
		p.host = NULL; /* made for the address alone */
	s = smtp_session_new(&p, &o);
	kp_change(kp_cases[_i].change, &p, &o, &t);
	got = smtp_session_fits(s, &p, &o);
	ck_assert_msg(got == kp_cases[_i].want, "case \"%s\": got %d, want %d",
	    kp_cases[_i].name, got, kp_cases[_i].want);
	smtp_session_free(s);
}
END_TEST

/* kp_ready - a session ready between transactions on socket fd */
static struct smtp_session *
kp_ready(int fd)
{
	struct smtp_peer p;
	struct smtp_opts o;
	struct smtp_tlsa t;
	struct smtp_session *s;

	kp_base(&p, &o, &t);
	s = smtp_session_new(&p, &o);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	smtp_io_init(&s->io, fd, 0);
	s->state = SMTP_ST_READY;
	s->greeted = true;
	return s;
}

START_TEST(test_smtp_session_alive_until_the_server_speaks)
{
	struct smtp_session *s;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = kp_ready(sv[0]);
	ck_assert(smtp_session_keepable(s));
	ck_assert(smtp_session_alive(s));
	ck_assert_int_eq(smtp_session_fd(s), sv[0]);
	/* A 421 at the server's idle timeout. */
	ck_assert_int_eq(write(sv[1], "421 4.4.2 bye\r\n", 15), 15);
	ck_assert(!smtp_session_alive(s));
	ck_assert_int_eq(smtp_session_state(s), SMTP_ST_BROKEN);
	ck_assert(!smtp_session_keepable(s));
	smtp_session_close(s); /* no QUIT: broken */
	close(sv[1]);
}
END_TEST

START_TEST(test_smtp_session_alive_not_after_close)
{
	struct smtp_session *s;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = kp_ready(sv[0]);
	close(sv[1]);
	ck_assert(!smtp_session_alive(s));
	smtp_session_close(s);
}
END_TEST

START_TEST(test_smtp_session_keepable_not_with_rset_owed)
{
	struct smtp_session *s;
	struct smtp_opts o;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = kp_ready(sv[0]);
	s->need_rset = true;
	ck_assert(smtp_session_rset_owed(s));
	ck_assert(!smtp_session_keepable(s));
	ck_assert(!smtp_session_alive(s));
	/* Renewed: the new message's deadline, the step reset. */
	s->need_rset = false;
	s->broken = false;
	memset(&o, 0, sizeof(o));
	o.deadline_ms = 4242;
	smtp_session_renew(s, &o);
	ck_assert(s->io.deadline_ms == 4242);
	ck_assert_int_eq(smtp_session_fail_state(s), SMTP_ST_READY);
	s->broken = true;
	smtp_session_close(s);
	close(sv[1]);
}
END_TEST

/* smtp_keep_suite - fitting and liveness */
static Suite *
smtp_keep_suite(void)
{
	Suite *s = suite_create("smtp_keep");
	TCase *tc = tcase_create("fits");
	TCase *ta = tcase_create("alive");

	tcase_add_loop_test(tc, test_smtp_session_fits_exactly, 0,
	    (int)(sizeof(kp_cases) / sizeof(kp_cases[0])));
	suite_add_tcase(s, tc);
	tcase_add_test(ta, test_smtp_session_alive_until_the_server_speaks);
	tcase_add_test(ta, test_smtp_session_alive_not_after_close);
	tcase_add_test(ta, test_smtp_session_keepable_not_with_rset_owed);
	suite_add_tcase(s, ta);
	return s;
}

int
main(void)
{
	return unit_run(smtp_keep_suite());
}
