/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * STARTTLS: the TLS policy (none, may, encrypt, verify, dane), the
 * OpenSSL layer under smtp_io, and what the session knows of its TLS.
 * Certificate checks are OpenSSL's own (SSL_set1_host, DANE).
 */

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "msg.h"
#include "smtp_int.h"
#include "xalloc.h"

/*
 * Type of our socket BIO: a source/sink with an index below the range
 * BIO_get_new_index() hands out, which is finite and would run out in a
 * long-lived process that makes one method per session.
 */
#define SMTP_TLS_BIO_TYPE (BIO_TYPE_SOURCE_SINK | 0x7f)

/* The TLS layer of one connection (smtp_io.layer). */
struct smtp_tls_layer {
	SSL_CTX *ctx; /* a reference to the context (smtp_tls_ctx.c) */
	SSL *ssl; /* the connection */
	BIO_METHOD *meth; /* socket I/O without SIGPIPE */
	bool up; /* the handshake finished */
};

/* smtp_tls_library - the OpenSSL in use */
const char *
smtp_tls_library(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

/* smtp_tls_bio_write - send without SIGPIPE */
static int
smtp_tls_bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do {
		n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

/* smtp_tls_bio_read - receive */
static int
smtp_tls_bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do {
		n = recv(fd, buf, (size_t)len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	return (int)n;
}

/* smtp_tls_bio_ctrl - nothing to control but flushes */
static long
smtp_tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* smtp_tls_io_rc - map an SSL failure to the I/O layer's convention */
static ssize_t
smtp_tls_io_rc(struct smtp_tls_layer *t, int r, short *want)
{
	int e = SSL_get_error(t->ssl, r), saved = errno;

	ERR_clear_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		errno = saved != 0 ? saved : ECONNRESET;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* smtp_tls_recv - the I/O layer's receive over TLS */
static ssize_t
smtp_tls_recv(struct smtp_io *io, void *buf, size_t len, short *want)
{
	struct smtp_tls_layer *t = io->layer;
	size_t got = 0;
	int r;

	/* The error queue is the thread's, shared by the loop's tasks. */
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(t->ssl, buf, len, &got);
	if (r == 1)
		return (ssize_t)got;
	return smtp_tls_io_rc(t, r, want);
}

/* smtp_tls_send - the I/O layer's send over TLS */
static ssize_t
smtp_tls_send(struct smtp_io *io, const void *buf, size_t len, short *want)
{
	struct smtp_tls_layer *t = io->layer;
	size_t put = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(t->ssl, buf, len, &put);
	if (r == 1)
		return (ssize_t)put;
	return smtp_tls_io_rc(t, r, want);
}

/* smtp_tls_close - close_notify (best effort), free the layer */
static void
smtp_tls_close(struct smtp_io *io)
{
	struct smtp_tls_layer *t = io->layer;

	if (t == NULL)
		return;
	if (t->ssl != NULL && t->up)
		(void)SSL_shutdown(t->ssl);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->meth);
	ERR_clear_error();
	free(t);
}

/* smtp_tls_errtext - OpenSSL's reason for the last failure */
void
smtp_tls_errtext(char *buf, size_t size, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, size, "%s", r != NULL ? r : fallback);
	ERR_clear_error();
}

/* smtp_tls_names - SNI and the names the certificate must carry */
static bool
smtp_tls_names(struct smtp_session *s, SSL *ssl)
{
	unsigned char bin[16];
	size_t i;
	int usable = 0;

	if (inet_pton(AF_INET, s->host, bin) == 1 ||
	    inet_pton(AF_INET6, s->host, bin) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(
		           SSL_get0_param(ssl), s->host) == 1;
	if (SSL_set_tlsext_host_name(ssl, s->host) != 1)
		return false;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (!s->tls_dane)
		return SSL_set1_host(ssl, s->host) == 1;
	/* RFC 7672: the TLSA base domain is the name to match. */
	if (SSL_dane_enable(ssl, s->host) <= 0)
		return false;
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < s->ntlsa; i++)
		if (SSL_dane_tlsa_add(ssl, s->tlsa[i].usage,
		        s->tlsa[i].selector, s->tlsa[i].mtype, s->tlsa[i].data,
		        s->tlsa[i].len) > 0)
			usable++;
	ERR_clear_error();
	if (usable == 0) {
		/* None that OpenSSL can use: unauthenticated, but TLS. */
		msg_debug("%s: no usable TLSA record", s->peer);
		s->tls_dane = false;
		s->tls_policy = CFG_TLS_ENCRYPT;
	}
	return true;
}

/* smtp_tls_layer_new - context, connection and BIO on the session's fd */
static struct smtp_tls_layer *
smtp_tls_layer_new(struct smtp_session *s, struct why *why)
{
	struct smtp_tls_layer *t = xcalloc(1, sizeof(*t));
	BIO *bio;
	char err[160];

	if ((t->ctx = smtp_tls_ctx_get(s, why)) == NULL)
		goto fail;
	t->meth = BIO_meth_new(SMTP_TLS_BIO_TYPE, "smtpdirect socket");
	if (t->meth == NULL || (t->ssl = SSL_new(t->ctx)) == NULL)
		goto fail_ssl;
	BIO_meth_set_write(t->meth, smtp_tls_bio_write);
	BIO_meth_set_read(t->meth, smtp_tls_bio_read);
	BIO_meth_set_ctrl(t->meth, smtp_tls_bio_ctrl);
	if ((bio = BIO_new(t->meth)) == NULL)
		goto fail_ssl;
	BIO_set_data(bio, (void *)(intptr_t)s->io.fd);
	BIO_set_init(bio, 1);
	SSL_set_bio(t->ssl, bio, bio);
	if (!smtp_tls_names(s, t->ssl))
		goto fail_ssl;
	return t;

fail_ssl:
	smtp_tls_errtext(err, sizeof(err), "out of memory");
	why_set(why, "4.7.5", "%s: cannot set up TLS: %s", s->peer, err);
fail:
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->meth);
	free(t);
	return NULL;
}

/* smtp_tls_handshake - SSL_connect within the command timeout */
static enum smtp_io_rc
smtp_tls_handshake(
    struct smtp_session *s, struct smtp_tls_layer *t, char *err, size_t errsize)
{
	long long end = mono_now_ms() + (long long)s->command_timeout_ms;
	long long left;
	enum smtp_io_rc rc;
	short want;
	int r, e;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(t->ssl);
		if (r == 1)
			return SMTP_IO_OK;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			want = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			want = POLLOUT;
		else if (e == SSL_ERROR_SYSCALL && errno != 0) {
			snprintf(err, errsize, "%s", strerror(errno));
			ERR_clear_error();
			return SMTP_IO_ERROR;
		} else {
			smtp_tls_errtext(err, errsize,
			    e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN
			        ? "connection closed by the server"
			        : "handshake failure");
			return SMTP_IO_ERROR;
		}
		left = end - mono_now_ms();
		rc = smtp_io_wait(s->io.fd, want,
		    left > 0 ? (unsigned long)left : 0, s->deadline_ms,
		    &s->io.err);
		if (rc != SMTP_IO_OK) {
			snprintf(err, errsize, "%s",
			    rc == SMTP_IO_DEADLINE
			        ? "delivery time limit exceeded"
			        : "timed out");
			return rc;
		}
	}
}

/* smtp_tls_fault_record - the certificate's fault, for TLS reports */
static void
smtp_tls_fault_record(struct smtp_session *s, struct smtp_tls_layer *t)
{
	long v = SSL_get_verify_result(t->ssl);

	if (s->tls_trust == SMTP_TLS_VERIFIED)
		return;
	if (s->tls_trust == SMTP_TLS_ANONYMOUS) {
		s->tls_fault = SMTP_TLS_FAULT_INVALID;
		snprintf(s->tls_fault_text, sizeof(s->tls_fault_text),
		    "no server certificate");
		return;
	}
	switch (v) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		s->tls_fault = SMTP_TLS_FAULT_NAME;
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		s->tls_fault = SMTP_TLS_FAULT_EXPIRED;
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		s->tls_fault = SMTP_TLS_FAULT_UNTRUSTED;
		break;
	default:
		s->tls_fault = SMTP_TLS_FAULT_INVALID;
	}
	snprintf(s->tls_fault_text, sizeof(s->tls_fault_text), "%s",
	    X509_verify_cert_error_string(v));
}

/* smtp_tls_record - what the session now knows of its TLS */
static void
smtp_tls_record(struct smtp_session *s, struct smtp_tls_layer *t)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);

	s->tls_active = true;
	snprintf(s->tls_version, sizeof(s->tls_version), "%s",
	    SSL_get_version(t->ssl));
	snprintf(s->tls_cipher, sizeof(s->tls_cipher), "%s",
	    c != NULL ? SSL_CIPHER_get_name(c) : "unknown");
	s->tls_bits = c != NULL ? SSL_CIPHER_get_bits(c, &s->tls_alg_bits) : 0;
	if (SSL_get0_peer_certificate(t->ssl) == NULL)
		s->tls_trust = SMTP_TLS_ANONYMOUS;
	else if (SSL_get_verify_result(t->ssl) == X509_V_OK)
		s->tls_trust = SMTP_TLS_VERIFIED;
	else
		s->tls_trust = SMTP_TLS_UNTRUSTED;
	smtp_tls_fault_record(s, t);
	msg_debug("%s: %s connection: %s with cipher %s (%d/%d bits)", s->peer,
	    smtp_tls_trust_name(s->tls_trust), s->tls_version, s->tls_cipher,
	    s->tls_bits, s->tls_alg_bits);
}

/* smtp_tls_plain_again - may: reconnect and talk without TLS */
static enum sd_status
smtp_tls_plain_again(struct smtp_session *s, struct why *why)
{
	enum sd_status st;

	smtp_io_fini(&s->io);
	s->broken = false;
	s->greeted = false;
	s->state = SMTP_ST_CONNECT;
	s->tls_policy = CFG_TLS_NONE;
	st = smtp_conn_connect(s, s->deadline_ms, why);
	if (st != SD_OK) {
		s->broken = true;
		s->fail_state = SMTP_ST_CONNECT;
		return st;
	}
	s->state = SMTP_ST_GREETING;
	s->fail_state = SMTP_ST_READY;
	return smtp_proto_greet(s, why);
}

/* smtp_tls_refused - STARTTLS got a 4xx or 5xx reply */
static enum sd_status
smtp_tls_refused(struct smtp_session *s, struct why *why)
{
	char quote[WHY_TEXT_MAX], dsn[WHY_DSN_MAX];

	smtp_reply_quote(&s->reply, quote, sizeof(quote));
	s->tls_fault = SMTP_TLS_FAULT_REFUSED;
	if (s->tls_policy == CFG_TLS_MAY && s->reply.code != 421) {
		snprintf(s->tls_note, sizeof(s->tls_note),
		    "STARTTLS refused: %.200s", quote);
		s->state = SMTP_ST_READY;
		return SD_OK;
	}
	if (s->reply.code == 421)
		s->broken = true;
	s->fail_state = SMTP_ST_STARTTLS;
	smtp_reply_dsn(&s->reply, dsn, sizeof(dsn));
	why_set_reply(why, s->reply.code, dsn,
	    "TLS is required, but host %s refused to start TLS: %s", s->peer,
	    quote);
	return SD_TEMP;
}

/*
 * smtp_tls_fail - a failed handshake or check (text says which): the
 * connection is lost; under may, talk again without TLS (a certificate
 * check never fails under may).
 */
static enum sd_status
smtp_tls_fail(
    struct smtp_session *s, const char *dsn, const char *text, struct why *why)
{
	s->broken = true;
	s->fail_state = SMTP_ST_STARTTLS;
	if (s->tls_policy == CFG_TLS_MAY) {
		snprintf(s->tls_note, sizeof(s->tls_note),
		    "%.200s; retried in plaintext", text);
		msg_debug("%s: %s", s->peer, s->tls_note);
		return smtp_tls_plain_again(s, why);
	}
	why_set(why, dsn, "%s", text);
	return SD_TEMP;
}

/* smtp_tls_check - verify and dane: the certificate must have verified */
static enum sd_status
smtp_tls_check(
    struct smtp_session *s, struct smtp_tls_layer *t, struct why *why)
{
	long v = SSL_get_verify_result(t->ssl);
	const char *err = X509_verify_cert_error_string(v);
	char text[WHY_TEXT_MAX];

	if (s->tls_policy != CFG_TLS_VERIFY && !s->tls_dane)
		return SD_OK;
	if (s->tls_trust == SMTP_TLS_VERIFIED)
		return SD_OK;
	if (s->tls_trust == SMTP_TLS_ANONYMOUS)
		err = "no server certificate";
	snprintf(text, sizeof(text), "server certificate of %s not %s: %.100s",
	    s->peer, s->tls_dane ? "verified by its TLSA records" : "verified",
	    err);
	return smtp_tls_fail(s, "4.7.5", text, why);
}

/* smtp_tls_up - the handshake on the connection, and its checks */
static enum sd_status
smtp_tls_up(struct smtp_session *s, struct why *why)
{
	struct smtp_tls_layer *t;
	enum smtp_io_rc rc;
	enum sd_status st;
	char err[200], text[WHY_TEXT_MAX];

	if ((t = smtp_tls_layer_new(s, why)) == NULL) {
		s->broken = true;
		s->fail_state = SMTP_ST_STARTTLS;
		return SD_TEMP;
	}
	s->io.layer = t;
	s->io.close = smtp_tls_close;
	rc = smtp_tls_handshake(s, t, err, sizeof(err));
	if (rc != SMTP_IO_OK) {
		s->tls_fault = SMTP_TLS_FAULT_HANDSHAKE;
		snprintf(text, sizeof(text),
		    "TLS handshake with %s failed: %.120s", s->peer, err);
		return smtp_tls_fail(
		    s, rc == SMTP_IO_DEADLINE ? "4.4.7" : "4.7.5", text, why);
	}
	t->up = true;
	s->io.recv = smtp_tls_recv;
	s->io.send = smtp_tls_send;
	smtp_tls_record(s, t);
	if ((st = smtp_tls_check(s, t, why)) != SD_OK)
		return st;
	if (s->tls_implicit)
		s->state = SMTP_ST_GREETING; /* the greeting comes now */
	return SD_OK;
}

/* smtp_tls_starttls - the STARTTLS command and the handshake */
static enum sd_status
smtp_tls_starttls(struct smtp_session *s, struct why *why)
{
	enum sd_status st;
	char text[WHY_TEXT_MAX];

	st = smtp_proto_command(s, SMTP_ST_STARTTLS, "STARTTLS", SIZE_MAX, why);
	if (st != SD_OK)
		return st;
	if (s->reply.code / 100 != 2)
		return smtp_tls_refused(s, why);
	/* Bytes sent before the handshake would pass as protected ones. */
	if (smtp_io_pending(&s->io) > 0) {
		snprintf(text, sizeof(text),
		    "%s sent data after its STARTTLS reply, before the TLS "
		    "handshake",
		    s->peer);
		return smtp_tls_fail(s, "4.7.5", text, why);
	}
	if ((st = smtp_tls_up(s, why)) != SD_OK)
		return st;
	return smtp_proto_ehlo(s, why);
}

/* smtp_tls_implicit - RFC 8314: the handshake before the greeting */
enum sd_status
smtp_tls_implicit(struct smtp_session *s, struct why *why)
{
	s->state = SMTP_ST_STARTTLS;
	return smtp_tls_up(s, why);
}

/* smtp_tls_negotiate - STARTTLS as the session's policy says */
enum sd_status
smtp_tls_negotiate(struct smtp_session *s, struct why *why)
{
	if (s->tls_policy == CFG_TLS_NONE || s->tls_active)
		return SD_OK; /* no TLS, or implicit TLS already */
	if ((s->caps & SMTP_CAP_STARTTLS) == 0) {
		s->tls_fault = SMTP_TLS_FAULT_NOT_OFFERED;
		if (s->tls_policy == CFG_TLS_MAY) {
			snprintf(s->tls_note, sizeof(s->tls_note),
			    "STARTTLS not offered");
			return SD_OK;
		}
		s->fail_state = SMTP_ST_STARTTLS;
		why_set(why, "4.7.4",
		    "TLS is required, but was not offered by "
		    "host %s",
		    s->peer);
		return SD_TEMP;
	}
	return smtp_tls_starttls(s, why);
}
