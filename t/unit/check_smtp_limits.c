/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the EHLO keywords of RFC 9422 (LIMITS) and RFC 3030
 * (CHUNKING): the LIMITS parameters read robustly (smtp_limits.c),
 * and an EHLO reply read through a session over a socketpair.
 */

#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include "unit.h"

#include "smtp_int.h"

/* One LIMITS line: its parameters and the limits wanted. */
static const struct {
	const char *name; /* case */
	const char *param; /* the text after "LIMITS " */
	unsigned long mail, rcpt, dom; /* wanted; 0 = none */
} lim_cases[] = {
    {"all three", "MAILMAX=1000 RCPTMAX=100 RCPTDOMAINMAX=10", 1000, 100, 10},
    {"one", "RCPTMAX=2", 0, 2, 0},
    {"lower case names", "rcptmax=5 mailmax=7", 7, 5, 0},
    {"mixed case", "RcptMax=9", 0, 9, 0},
    {"unknown limits ignored", "FUTURE=4 RCPTMAX=3 FLAG X-Y_Z=a=b", 0, 3, 0},
    {"name without value", "RCPTMAX MAILMAX=4", 4, 0, 0},
    {"empty value", "RCPTMAX= MAILMAX=4", 4, 0, 0},
    {"zero", "RCPTMAX=0", 0, 0, 0},
    {"zeros", "RCPTMAX=000", 0, 0, 0},
    {"leading zeros", "RCPTMAX=007", 0, 7, 0},
    {"not a number", "RCPTMAX=ten", 0, 0, 0},
    {"number then letters", "RCPTMAX=10x", 0, 0, 0},
    {"signed", "RCPTMAX=+10 MAILMAX=-1", 0, 0, 0},
    {"fraction", "RCPTMAX=1.5", 0, 0, 0},
    {"seven digits", "RCPTMAX=9999999", 0, 9999999, 0},
    {"eight digits", "RCPTMAX=10000000", 0, 0, 0},
    {"huge", "RCPTMAX=99999999999999999999999999", 0, 0, 0},
    {"spaces around =", "RCPTMAX = 5", 0, 0, 0},
    {"separated by ;", "RCPTMAX=5;MAILMAX=2", 0, 0, 0},
    {"runs of spaces and tabs", "  RCPTMAX=5 \t MAILMAX=2  ", 2, 5, 0},
    {"given twice: the lower", "RCPTMAX=50 RCPTMAX=20 RCPTMAX=30", 0, 20, 0},
    {"twice, once garbled", "RCPTMAX=50 RCPTMAX=x", 0, 50, 0},
    {"prefix of a name", "RCPT=5 RCPTMAXX=6 MAIL=1", 0, 0, 0},
    {"a bare =", "= =5 RCPTMAX=4", 0, 4, 0},
    {"nothing", "", 0, 0, 0},
    {"8-bit bytes", "RCPTMAX=\3019 MAILMAX=\377", 0, 0, 0},
};

START_TEST(test_smtp_limits_parse_cases)
{
	struct smtp_limits lim;

	memset(&lim, 0, sizeof(lim));
	smtp_limits_parse(
	    lim_cases[_i].param, strlen(lim_cases[_i].param), &lim);
	ck_assert_msg(lim.mail_max == lim_cases[_i].mail &&
	        lim.rcpt_max == lim_cases[_i].rcpt &&
	        lim.rcpt_domain_max == lim_cases[_i].dom,
	    "case \"%s\": got MAILMAX %lu RCPTMAX %lu RCPTDOMAINMAX %lu, "
	    "want %lu %lu %lu",
	    lim_cases[_i].name, lim.mail_max, lim.rcpt_max, lim.rcpt_domain_max,
	    lim_cases[_i].mail, lim_cases[_i].rcpt, lim_cases[_i].dom);
}
END_TEST

START_TEST(test_smtp_limits_parse_stops_at_len)
{
	struct smtp_limits lim;
	const char *p = "RCPTMAX=12345";

	memset(&lim, 0, sizeof(lim));
	smtp_limits_parse(p, 10, &lim); /* "RCPTMAX=12" */
	ck_assert_uint_eq(lim.rcpt_max, 12);
}
END_TEST

/* lim_session - a session over a socketpair, waiting for the greeting */
static struct smtp_session *
lim_session(int *peer)
{
	struct smtp_peer p;
	struct smtp_opts o;
	struct smtp_session *s;
	int sv[2];

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	p.host = "mx.example.test";
	p.addr = "192.0.2.1";
	p.port = 25;
	o.helo_name = "client.example.test";
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	s = smtp_session_new(&p, &o);
	smtp_io_init(&s->io, sv[0], 0);
	s->state = SMTP_ST_GREETING;
	*peer = sv[1];
	return s;
}

/* lim_hello - greet s with the EHLO reply ehlo; returns the status */
static enum sd_status
lim_hello(struct smtp_session *s, int peer, const char *ehlo)
{
	const char *greet = "220 mx.example.test ESMTP\r\n";
	struct why why;

	ck_assert(write(peer, greet, strlen(greet)) == (ssize_t)strlen(greet));
	ck_assert(write(peer, ehlo, strlen(ehlo)) == (ssize_t)strlen(ehlo));
	return smtp_session_hello(s, &why);
}

START_TEST(test_smtp_limits_ehlo_read)
{
	struct smtp_session *s;
	int peer;

	s = lim_session(&peer);
	ck_assert_int_eq(lim_hello(s, peer,
	                     "250-mx.example.test\r\n"
	                     "250-PIPELINING\r\n"
	                     "250-LIMITS MAILMAX=3 RCPTMAX=2 RCPTDOMAINMAX=1 "
	                     "FUTURE=x\r\n"
	                     "250-CHUNKING\r\n"
	                     "250 8BITMIME\r\n"),
	    SD_OK);
	ck_assert(smtp_session_caps(s) & SMTP_CAP_LIMITS);
	ck_assert(smtp_session_caps(s) & SMTP_CAP_CHUNKING);
	ck_assert(smtp_session_caps(s) & SMTP_CAP_PIPELINING);
	ck_assert_uint_eq(smtp_session_limits(s)->mail_max, 3);
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_max, 2);
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_domain_max, 1);
	s->broken = true; /* no QUIT */
	smtp_session_close(s);
	close(peer);
}
END_TEST

START_TEST(test_smtp_limits_ehlo_none)
{
	struct smtp_session *s;
	int peer;

	s = lim_session(&peer);
	/* LIMITS without parameters, and "LIMITSX" is another keyword. */
	ck_assert_int_eq(lim_hello(s, peer,
	                     "250-mx.example.test\r\n"
	                     "250-LIMITSX RCPTMAX=1\r\n"
	                     "250-CHUNKINGX\r\n"
	                     "250 LIMITS\r\n"),
	    SD_OK);
	ck_assert(smtp_session_caps(s) & SMTP_CAP_LIMITS);
	ck_assert(!(smtp_session_caps(s) & SMTP_CAP_CHUNKING));
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_max, 0);
	ck_assert_uint_eq(smtp_session_limits(s)->mail_max, 0);
	s->broken = true;
	smtp_session_close(s);
	close(peer);
}
END_TEST

START_TEST(test_smtp_limits_ehlo_greeting_line_ignored)
{
	struct smtp_session *s;
	int peer;

	s = lim_session(&peer);
	/* The first line is the server's name, whatever it reads. */
	ck_assert_int_eq(lim_hello(s, peer,
	                     "250-LIMITS RCPTMAX=1\r\n"
	                     "250 SIZE 1000\r\n"),
	    SD_OK);
	ck_assert(!(smtp_session_caps(s) & SMTP_CAP_LIMITS));
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_max, 0);
	s->broken = true;
	smtp_session_close(s);
	close(peer);
}
END_TEST

START_TEST(test_smtp_limits_ehlo_again_forgets)
{
	struct smtp_session *s;
	struct why why;
	const char *again = "250-mx.example.test\r\n250 RCPTMAX=1\r\n";
	int peer;

	s = lim_session(&peer);
	ck_assert_int_eq(lim_hello(s, peer,
	                     "250-mx.example.test\r\n"
	                     "250 LIMITS RCPTMAX=4\r\n"),
	    SD_OK);
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_max, 4);
	/* A new EHLO (after STARTTLS) starts from nothing. */
	ck_assert(write(peer, again, strlen(again)) == (ssize_t)strlen(again));
	ck_assert_int_eq(smtp_proto_ehlo(s, &why), SD_OK);
	ck_assert(!(smtp_session_caps(s) & SMTP_CAP_LIMITS));
	ck_assert_uint_eq(smtp_session_limits(s)->rcpt_max, 0);
	s->broken = true;
	smtp_session_close(s);
	close(peer);
}
END_TEST

/* smtp_limits_suite - LIMITS and CHUNKING in EHLO */
static Suite *
smtp_limits_suite(void)
{
	Suite *s = suite_create("smtp_limits");
	TCase *tp = tcase_create("parse");
	TCase *te = tcase_create("ehlo");

	tcase_add_loop_test(tp, test_smtp_limits_parse_cases, 0,
	    (int)(sizeof(lim_cases) / sizeof(lim_cases[0])));
	tcase_add_test(tp, test_smtp_limits_parse_stops_at_len);
	tcase_add_test(te, test_smtp_limits_ehlo_read);
	tcase_add_test(te, test_smtp_limits_ehlo_none);
	tcase_add_test(te, test_smtp_limits_ehlo_greeting_line_ignored);
	tcase_add_test(te, test_smtp_limits_ehlo_again_forgets);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	return unit_run(smtp_limits_suite());
}
