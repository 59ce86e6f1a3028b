/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of AUTH (smtp_auth.c) and the pure parts of TLS
 * (smtp_tls.c, smtp_tls_info.c): base64, the PLAIN response from
 * %XX-decoded map credentials, mechanism choice, the exchanges over a
 * scripted layer, masking in the trace, wiping, TLSA usability, the
 * tls_min_version names.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "unit.h"

#include "msg.h"
#include "ovr.h"
#include "sbuf.h"
#include "smtp_int.h"
#include "xalloc.h"

/* A scripted server: replies handed out as asked, commands collected. */
struct fake {
	const char *in; /* the server's replies */
	size_t inoff; /* bytes handed out */
	struct sbuf out; /* what the client sent */
};

/* fake_recv - hand out the replies */
static ssize_t
fake_recv(struct smtp_io *io, void *buf, size_t len, short *want)
{
	struct fake *f = io->layer;
	size_t n = strlen(f->in) - f->inoff;

	if (n == 0) {
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, f->in + f->inoff, n);
	f->inoff += n;
	return (ssize_t)n;
}

/* fake_send - collect */
static ssize_t
fake_send(struct smtp_io *io, const void *buf, size_t len, short *want)
{
	struct fake *f = io->layer;

	(void)want;
	sbuf_append(&f->out, buf, len);
	return (ssize_t)len;
}

static struct fake fk;
static struct smtp_session *ss;
static int peer_fd = -1;

/* session_new - a session over the fake layer, TLS up, credentials */
static struct smtp_session *
session_new(
    const char *replies, const char *mechs, const char *user, const char *pass)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	smtp_io_init(&s->io, sv[0], 0);
	peer_fd = sv[1];
	fk.in = replies;
	fk.inoff = 0;
	sbuf_init(&fk.out);
	s->io.recv = fake_recv;
	s->io.send = fake_send;
	s->io.layer = &fk;
	snprintf(s->peer, sizeof(s->peer), "relay.test[192.0.2.1]:587");
	s->command_timeout_ms = 2000;
	s->state = SMTP_ST_READY;
	s->fail_state = SMTP_ST_READY;
	s->caps = SMTP_CAP_ESMTP | SMTP_CAP_AUTH;
	snprintf(s->auth_mechs, sizeof(s->auth_mechs), "%s", mechs);
	s->tls_active = true;
	s->user = xstrdup(user);
	s->user_len = strlen(user);
	s->pass = xstrdup(pass);
	s->pass_len = strlen(pass);
	return s;
}

/* teardown - release the session of a test */
static void
teardown(void)
{
	if (ss != NULL) {
		smtp_auth_wipe(ss);
		ss->io.layer = NULL;
		smtp_io_fini(&ss->io);
		free(ss);
		ss = NULL;
		sbuf_fini(&fk.out);
	}
	if (peer_fd >= 0)
		close(peer_fd);
	peer_fd = -1;
}

/* b64 - base64 of a string with explicit length, for expectations */
static const char *
b64(const char *p, size_t n)
{
	static char buf[1024];

	ck_assert_uint_gt(smtp_auth_b64(p, n, buf, sizeof(buf)), 0);
	return buf;
}

/* RFC 4648 section 10 test vectors. */
static const struct {
	const char *in, *out;
} b64_cases[] = {
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

START_TEST(test_smtp_auth_b64_rfc4648_vectors)
{
	char out[32];
	size_t n = smtp_auth_b64(
	    b64_cases[_i].in, strlen(b64_cases[_i].in), out, sizeof(out));

	ck_assert_msg(n == strlen(b64_cases[_i].out) &&
	        strcmp(out, b64_cases[_i].out) == 0,
	    "case \"%s\": got \"%s\", want \"%s\"", b64_cases[_i].in, out,
	    b64_cases[_i].out);
}
END_TEST

START_TEST(test_smtp_auth_b64_too_small_gives_zero)
{
	char out[8];

	/* "foobar" needs 8 bytes plus the NUL. */
	ck_assert_uint_eq(smtp_auth_b64("foobar", 6, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(smtp_auth_b64("", 0, out, sizeof(out)), 0);
}
END_TEST

START_TEST(test_smtp_auth_plain_arg_layout)
{
	char out[128];

	ck_assert(smtp_auth_plain_arg(
	    "tim", 3, "tanstaaftanstaaf", 16, out, sizeof(out)));
	/* RFC 4616 section 4: "\0tim\0tanstaaftanstaaf". */
	ck_assert_str_eq(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}
END_TEST

START_TEST(test_smtp_auth_plain_arg_map_escapes_decoded)
{
	const char map[] = "relay.test fred%40x.test:p%3Ass%40w0rd@"
	                   "smtp.relay.test:587\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *m;
	const struct ovr_rule *r;
	char out[128];
	const char want[] = "\0fred@x.test\0p:ss@w0rd";

	m = ovr_map_parse("map", map, sizeof(map) - 1, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	ck_assert_uint_eq(ovr_map_count(m), 1);
	r = ovr_map_rule(m, 0);
	ck_assert(smtp_auth_plain_arg(r->target.user, r->target.user_len,
	    r->target.pass, r->target.pass_len, out, sizeof(out)));
	ck_assert_str_eq(out, b64(want, sizeof(want) - 1));
	ovr_map_free(m);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_smtp_auth_plain_arg_too_long_fails)
{
	char out[16];

	ck_assert(
	    !smtp_auth_plain_arg("user", 4, "password", 8, out, sizeof(out)));
}
END_TEST

/* Mechanism lists and the choice. */
static const struct {
	const char *mechs, *want;
} pick_cases[] = {
    {"PLAIN LOGIN", "PLAIN"},
    {"LOGIN PLAIN", "PLAIN"},
    {"LOGIN", "LOGIN"},
    {"CRAM-MD5 LOGIN", "LOGIN"},
    {"DIGEST-MD5 PLAIN", "PLAIN"},
    {"XPLAIN LOGINX", NULL},
    {"CRAM-MD5", NULL},
    {"", NULL},
};

START_TEST(test_smtp_auth_pick_prefers_plain)
{
	const char *got = smtp_auth_pick(pick_cases[_i].mechs);
	const char *want = pick_cases[_i].want;

	ck_assert_msg((got == NULL && want == NULL) ||
	        (got != NULL && want != NULL && strcmp(got, want) == 0),
	    "case \"%s\": got %s, want %s", pick_cases[_i].mechs,
	    got ? got : "NULL", want ? want : "NULL");
}
END_TEST

START_TEST(test_smtp_auth_run_plain_sends_initial_response)
{
	struct why why;
	char want[256];

	ss = session_new(
	    "235 2.7.0 Authentication successful\r\n", "PLAIN", "u", "pw");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
	snprintf(want, sizeof(want), "AUTH PLAIN %s\r\n", b64("\0u\0pw", 5));
	ck_assert_str_eq(sbuf_str(&fk.out), want);
	ck_assert(ss->authenticated);
	ck_assert_int_eq(ss->state, SMTP_ST_READY);
}
END_TEST

START_TEST(test_smtp_auth_run_login_answers_both_prompts)
{
	struct why why;
	char want[256];

	ss = session_new("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
	                 "235 2.7.0 Authentication successful\r\n",
	    "LOGIN", "fred@x.test", "p:ss");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
	snprintf(
	    want, sizeof(want), "AUTH LOGIN\r\n%s\r\n", b64("fred@x.test", 11));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\r\n",
	    b64("p:ss", 4));
	ck_assert_str_eq(sbuf_str(&fk.out), want);
}
END_TEST

START_TEST(test_smtp_auth_run_535_is_temporary)
{
	struct why why;

	ss = session_new("535 5.7.8 Error: authentication failed\r\n",
	    "PLAIN LOGIN", "u", "bad");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_TEMP);
	ck_assert_int_eq(why.smtp_code, 535);
	ck_assert_ptr_nonnull(strstr(why.text,
	    "SASL PLAIN authentication failed; server "
	    "relay.test[192.0.2.1]:587 said: 535 5.7.8 Error: "
	    "authentication failed"));
	ck_assert_int_eq(smtp_session_fail_state(ss), SMTP_ST_AUTH);
}
END_TEST

START_TEST(test_smtp_auth_run_without_tls_sends_nothing)
{
	struct why why;

	ss = session_new("235 2.7.0 ok\r\n", "PLAIN", "u", "pw");
	ss->tls_active = false;
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.7.10");
	ck_assert_uint_eq(strlen(sbuf_str(&fk.out)), 0);
	ck_assert_uint_eq(ss->io.out_len, 0);
}
END_TEST

START_TEST(test_smtp_auth_run_without_tls_when_allowed)
{
	struct why why;

	ss = session_new("235 2.7.0 ok\r\n", "PLAIN", "u", "pw");
	ss->tls_active = false;
	ss->auth_without_tls = true;
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
}
END_TEST

START_TEST(test_smtp_auth_run_any_2xx_is_success)
{
	struct why why;

	/* Postfix's smtp-sink answers AUTH with 250. */
	ss = session_new("250 2.0.0 Ok\r\n", "PLAIN", "u", "pw");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
}
END_TEST

START_TEST(test_smtp_auth_run_no_mechanism_is_temporary)
{
	struct why why;

	ss = session_new("", "CRAM-MD5", "u", "pw");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.7.0");
	ck_assert_ptr_nonnull(strstr(why.text, "CRAM-MD5"));
	ck_assert_uint_eq(strlen(sbuf_str(&fk.out)), 0);
}
END_TEST

START_TEST(test_smtp_auth_run_wipes_output_buffer)
{
	const char *enc;
	struct why why;
	size_t n;

	ss = session_new("235 2.7.0 ok\r\n", "PLAIN", "user", "s3cret");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
	enc = b64("\0user\0s3cret", 12);
	n = strlen(enc);
	ck_assert_ptr_null(memmem(ss->io.out, SMTP_IO_OUTBUF, enc, n));
	ck_assert_ptr_null(memmem(ss->io.out, SMTP_IO_OUTBUF, "s3cret", 6));
}
END_TEST

START_TEST(test_smtp_auth_trace_masks_password)
{
	char path[] = "/tmp/smtpdirect-unit-trace.XXXXXX";
	char log[4096];
	struct why why;
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	msg_init("check", MSG_TO_STDERR);
	msg_verbose = 1;
	ss = session_new("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
	                 "235 2.7.0 ok\r\n",
	    "LOGIN", "fred", "s3cret");
	ck_assert_int_eq(smtp_auth_run(ss, &why), SD_OK);
	n = pread(fd, log, sizeof(log) - 1, 0);
	ck_assert_int_gt(n, 0);
	log[n] = '\0';
	ck_assert_ptr_nonnull(strstr(log, "> AUTH LOGIN\n"));
	ck_assert_ptr_nonnull(strstr(log, "> " SMTP_TRACE_MASK "\n"));
	ck_assert_ptr_null(strstr(log, "s3cret"));
	ck_assert_ptr_null(strstr(log, b64("s3cret", 6)));
	close(fd);
}
END_TEST

START_TEST(test_smtp_auth_wipe_frees_credentials)
{
	ss = session_new("", "PLAIN", "u", "pw");
	smtp_auth_wipe(ss);
	ck_assert_ptr_null(ss->user);
	ck_assert_ptr_null(ss->pass);
	ck_assert_uint_eq(ss->pass_len, 0);
}
END_TEST

/* TLSA records and whether RFC 7672 lets SMTP use them. */
static const unsigned char tlsa32[64] = {1};
static const struct {
	const char *name;
	struct smtp_tlsa t;
	bool want;
} tlsa_cases[] = {
    {"DANE-EE SPKI SHA2-256", {3, 1, 1, tlsa32, 32}, true},
    {"DANE-TA cert SHA2-512", {2, 0, 2, tlsa32, 64}, true},
    {"DANE-EE full data", {3, 0, 0, tlsa32, 10}, true},
    {"PKIX-TA", {0, 0, 1, tlsa32, 32}, false},
    {"PKIX-EE", {1, 1, 1, tlsa32, 32}, false},
    {"usage 4", {4, 1, 1, tlsa32, 32}, false},
    {"selector 2", {3, 2, 1, tlsa32, 32}, false},
    {"matching type 3", {3, 1, 3, tlsa32, 32}, false},
    {"SHA2-256 of 31 bytes", {3, 1, 1, tlsa32, 31}, false},
    {"SHA2-512 of 32 bytes", {3, 1, 2, tlsa32, 32}, false},
    {"full data empty", {3, 1, 0, tlsa32, 0}, false},
};

START_TEST(test_smtp_tls_tlsa_usable_rfc7672)
{
	bool got = smtp_tls_tlsa_usable(&tlsa_cases[_i].t);

	ck_assert_msg(got == tlsa_cases[_i].want,
	    "case \"%s\": got %d, want %d", tlsa_cases[_i].name, got,
	    tlsa_cases[_i].want);
}
END_TEST

/* tls_min_version values. */
static const struct {
	const char *name;
	bool ok;
	enum smtp_tls_version want;
} ver_cases[] = {
    {"TLSv1", true, SMTP_TLSV1_0},
    {"TLSv1.1", true, SMTP_TLSV1_1},
    {"tlsv1.2", true, SMTP_TLSV1_2},
    {"TLSv1.3", true, SMTP_TLSV1_3},
    {"SSLv3", false, SMTP_TLSV_DEFAULT},
    {"TLSv1.4", false, SMTP_TLSV_DEFAULT},
    {"", false, SMTP_TLSV_DEFAULT},
};

START_TEST(test_smtp_tls_version_parse_names)
{
	enum smtp_tls_version v = SMTP_TLSV_DEFAULT;
	bool ok = smtp_tls_version_parse(ver_cases[_i].name, &v);

	ck_assert_msg(ok == ver_cases[_i].ok && v == ver_cases[_i].want,
	    "case \"%s\": got %d/%d, want %d/%d", ver_cases[_i].name, ok, v,
	    ver_cases[_i].ok, ver_cases[_i].want);
}
END_TEST

START_TEST(test_smtp_tls_trust_name_words)
{
	ck_assert_str_eq(smtp_tls_trust_name(SMTP_TLS_VERIFIED), "verified");
	ck_assert_str_eq(smtp_tls_trust_name(SMTP_TLS_UNTRUSTED), "untrusted");
	ck_assert_str_eq(smtp_tls_trust_name(SMTP_TLS_ANONYMOUS), "anonymous");
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* smtp_auth_suite - the tests */
static Suite *
smtp_auth_suite(void)
{
	Suite *s = suite_create("smtp_auth");
	TCase *tc;

	tc = tcase_create("encoding");
	tcase_add_loop_test(
	    tc, test_smtp_auth_b64_rfc4648_vectors, 0, NCASES(b64_cases));
	tcase_add_test(tc, test_smtp_auth_b64_too_small_gives_zero);
	tcase_add_test(tc, test_smtp_auth_plain_arg_layout);
	tcase_add_test(tc, test_smtp_auth_plain_arg_map_escapes_decoded);
	tcase_add_test(tc, test_smtp_auth_plain_arg_too_long_fails);
	tcase_add_loop_test(
	    tc, test_smtp_auth_pick_prefers_plain, 0, NCASES(pick_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_smtp_auth_run_plain_sends_initial_response);
	tcase_add_test(tc, test_smtp_auth_run_login_answers_both_prompts);
	tcase_add_test(tc, test_smtp_auth_run_535_is_temporary);
	tcase_add_test(tc, test_smtp_auth_run_without_tls_sends_nothing);
	tcase_add_test(tc, test_smtp_auth_run_without_tls_when_allowed);
	tcase_add_test(tc, test_smtp_auth_run_any_2xx_is_success);
	tcase_add_test(tc, test_smtp_auth_run_no_mechanism_is_temporary);
	tcase_add_test(tc, test_smtp_auth_run_wipes_output_buffer);
	tcase_add_test(tc, test_smtp_auth_trace_masks_password);
	tcase_add_test(tc, test_smtp_auth_wipe_frees_credentials);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_loop_test(
	    tc, test_smtp_tls_tlsa_usable_rfc7672, 0, NCASES(tlsa_cases));
	tcase_add_loop_test(
	    tc, test_smtp_tls_version_parse_names, 0, NCASES(ver_cases));
	tcase_add_test(tc, test_smtp_tls_trust_name_words);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(smtp_auth_suite());
}
