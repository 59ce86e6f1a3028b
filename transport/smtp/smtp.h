/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	smtp - one SMTP client session to one address
 * DESCRIPTION
 *	smtp_session_open() connects (non-blocking, connect timeout,
 *	TCP_NODELAY); smtp_session_hello() reads the greeting and sends
 *	EHLO (HELO when EHLO is refused with 5xx) and records the
 *	capabilities (LIMITS of RFC 9422 in smtp_session_limits(); the
 *	caller keeps to them); smtp_session_send() runs one mail
 *	transaction (MAIL, RCPTs, DATA pipelined per RFC 2920 where
 *	offered, then the spooled message dot-stuffed in large writes,
 *	then end of data; or, with CHUNKING and smtp_txn.chunking, MAIL
 *	and RCPTs, then the message in BDAT pieces, RFC 3030, pipelined
 *	where PIPELINING is offered) and reports per recipient;
 *	smtp_session_quit() and _close() end it.
 *	Hello also runs STARTTLS per the peer's TLS policy and AUTH with
 *	the peer's credentials (smtp_tls.c, smtp_auth.c): none; may
 *	(opportunistic: a refused STARTTLS continues in plaintext, a
 *	failed handshake reconnects once in plaintext, as Postfix does);
 *	encrypt; verify (chain and name checked by OpenSSL, SNI sent);
 *	dane (RFC 7672 with the TLSA records the caller found secure;
 *	none given: may; none usable: encrypt). TLS below
 *	smtp_opts.tls_min_version (default TLS 1.2) is never negotiated.
 *	Credentials are sent only over TLS unless auth_without_tls; AUTH
 *	PLAIN is preferred to LOGIN. Passwords are never logged or traced.
 *	To a server that offers DSN, a transaction's ENVID goes on MAIL
 *	and each recipient's original address as ORCPT=rfc822;... on its
 *	RCPT, xtext-encoded (RFC 3461, smtp_dsn.c); a value RFC 3461 does
 *	not allow (not printable US-ASCII, too long) is left out.
 *	Every wait is bounded by its step timeout and by the session's
 *	overall deadline. The module reports; it decides no policy (no
 *	exit codes, no "try the next host"): that is deliver's job.
 *	Peers are named host[address]:port; server text is cleaned before
 *	it is quoted. With msg_verbose >= 1 every command and reply line is
 *	traced with msg_debug (secrets masked; the body is not traced).
 *	Between transactions a plaintext session can leave the process
 *	(smtp_session_detach(), _adopt()); any session can stay open in
 *	it for a later peer it fits exactly (smtp_session_fits(),
 *	_alive(), _renew(); smtp_keep.c).
 * OWNERSHIP
 *	smtp_session_open() returns a session the caller ends with
 *	smtp_session_close(). Strings in the options and peer are copied
 *	(credentials too; they are wiped when the session ends);
 *	a transaction's sender, recipients and spool are borrowed for the
 *	call. Strings returned by accessors live as long as the session.
 * THREADS
 *	Safe for concurrent use of distinct sessions.
 * ERRORS
 *	SD_OK; SD_TEMP (connect failure, timeout, lost connection, 4xx
 *	reply, malformed or overlong reply: try later or elsewhere);
 *	SD_PERM (5xx reply, or a definite local finding: 5.3.4 message
 *	larger than the server's SIZE, 5.6.7 SMTPUTF8 needed but not
 *	offered). why names the peer and quotes the reply, e.g.
 *	"mx[192.0.2.1]:25 said: 550 5.1.1 <x@y>: user unknown (in reply
 *	to RCPT TO command)"; why.smtp_code is the reply code and why.dsn
 *	the server's enhanced code (read before EHLO and where
 *	ENHANCEDSTATUSCODES is offered), else "C.0.0" from the reply class.
 *	TLS and AUTH failures are always SD_TEMP: 4.7.4 (TLS required, not
 *	offered), 4.7.5 (handshake or certificate failure), 4.7.10
 *	(credentials would travel without TLS), 4.7.0 (no AUTH or no
 *	usable mechanism); a refused STARTTLS or AUTH (535 too) gives the
 *	server's reply as it came (why.smtp_code, why.dsn; deliver makes
 *	the class 4).
 * SEE ALSO
 *	RFC 5321 (4.2 replies, 4.5.2 transparency, 4.5.3.2 timeouts),
 *	RFC 2920, 1870, 6152, 6531, 2034, 3463, 3461, 3030 (BDAT), 9422
 *	(LIMITS); RFC 3207 (STARTTLS), 4954
 *	and 4616 (AUTH, PLAIN), 7672 (DANE for SMTP); spool.h; why.h.
 */
#ifndef SMTPDIRECT_SMTP_H
#define SMTPDIRECT_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "mono.h"
#include "spool.h"
#include "why.h"

#define SMTP_HOST_MAX 255 /* longest host name kept, bytes */
#define SMTP_PEER_MAX 352 /* "host[address]:port" buffer, bytes */
#define SMTP_AUTH_MECHS_MAX 256 /* AUTH mechanism list kept, bytes */
#define SMTP_PIPELINE_MAX 100 /* most commands sent in one flight */
#define SMTP_QUIT_TIMEOUT_MS 5000 /* longest wait for the QUIT reply */
#define SMTP_TLSA_MAX 16 /* most TLSA records used for one peer */
#define SMTP_TLS_TEXT_MAX 160 /* smtp_session_tls_text() buffer, bytes */
#define SMTP_TLS_NOTE_MAX 240 /* why a session that wanted TLS has none */
#define SMTP_REUSE_VERSION 2 /* layout of struct smtp_reuse */
#define SMTP_DSN_ENVID_MAX 100 /* longest ENVID, before xtext (RFC 3461) */
#define SMTP_DSN_ORCPT_MAX 500 /* longest ORCPT parameter, "ORCPT=" on */
#define SMTP_LIMIT_DIGITS_MAX 7 /* longest LIMITS value taken, digits */
#define SMTP_BDAT_CHUNK (256 * 1024) /* bytes of message per BDAT */
#define SMTP_BDAT_INFLIGHT 4 /* BDAT replies awaited at most, pipelined */

/* Capabilities, from the EHLO reply (smtp_session_caps). */
#define SMTP_CAP_ESMTP 0x01 /* EHLO was accepted */
#define SMTP_CAP_PIPELINING 0x02 /* RFC 2920 */
#define SMTP_CAP_SIZE 0x04 /* RFC 1870; limit in smtp_session_size_max */
#define SMTP_CAP_8BITMIME 0x08 /* RFC 6152 */
#define SMTP_CAP_SMTPUTF8 0x10 /* RFC 6531 */
#define SMTP_CAP_ENHANCEDSTATUSCODES 0x20 /* RFC 2034 */
#define SMTP_CAP_STARTTLS 0x40 /* RFC 3207 */
#define SMTP_CAP_AUTH 0x80 /* RFC 4954; smtp_session_auth_mechs */
#define SMTP_CAP_CHUNKING 0x100 /* RFC 3030: BDAT */
#define SMTP_CAP_LIMITS 0x200 /* RFC 9422; smtp_session_limits */
#define SMTP_CAP_DSN 0x1000 /* RFC 3461 */

/* Session states, for logs (smtp_state_name) and reuse decisions. */
enum smtp_state {
	SMTP_ST_CONNECT, /* connecting */
	SMTP_ST_GREETING, /* waiting for the 220 greeting */
	SMTP_ST_EHLO, /* EHLO sent */
	SMTP_ST_HELO, /* HELO sent (EHLO refused) */
	SMTP_ST_STARTTLS, /* STARTTLS and handshake */
	SMTP_ST_AUTH, /* AUTH exchange */
	SMTP_ST_READY, /* between transactions: send, quit */
	SMTP_ST_MAIL, /* MAIL FROM sent */
	SMTP_ST_RCPT, /* RCPT TO sent */
	SMTP_ST_DATA, /* DATA sent */
	SMTP_ST_BODY, /* sending the message */
	SMTP_ST_DOT, /* end of data sent, waiting for the reply */
	SMTP_ST_RSET, /* RSET sent */
	SMTP_ST_QUIT, /* QUIT sent */
	SMTP_ST_BROKEN, /* lost, timed out, 421 or out of sync: close */
	SMTP_ST_CLOSED /* QUIT done */
};

/* Lowest TLS protocol version negotiated (smtp_opts.tls_min_version). */
enum smtp_tls_version {
	SMTP_TLSV_DEFAULT, /* TLSv1.2 */
	SMTP_TLSV1_0, /* TLSv1 (also lowers OpenSSL's security level) */
	SMTP_TLSV1_1, /* TLSv1.1 (likewise) */
	SMTP_TLSV1_2, /* TLSv1.2 */
	SMTP_TLSV1_3 /* TLSv1.3 */
};

/* How far the server's certificate was checked (Postfix's words). */
enum smtp_tls_trust {
	SMTP_TLS_ANONYMOUS, /* no certificate */
	SMTP_TLS_UNTRUSTED, /* a certificate that did not verify */
	SMTP_TLS_VERIFIED /* chain and name verified, or a DANE match */
};

/*
 * What kept a session's TLS from being all it could be, for TLS reports
 * (RFC 8460): recorded whatever the policy made of it.
 */
enum smtp_tls_fault {
	SMTP_TLS_FAULT_NONE, /* none (TLS up, certificate verified), or
				no TLS was asked for */
	SMTP_TLS_FAULT_NOT_OFFERED, /* no STARTTLS in the EHLO reply */
	SMTP_TLS_FAULT_REFUSED, /* STARTTLS answered with 4xx or 5xx */
	SMTP_TLS_FAULT_HANDSHAKE, /* the TLS handshake failed */
	SMTP_TLS_FAULT_NAME, /* the certificate is not for the host */
	SMTP_TLS_FAULT_EXPIRED, /* expired or not yet valid */
	SMTP_TLS_FAULT_UNTRUSTED, /* no chain to a trusted CA */
	SMTP_TLS_FAULT_INVALID /* any other certificate fault: none sent,
				  no DANE match, a bad chain */
};

/* One TLSA record (RFC 6698), borrowed for smtp_session_open(). */
struct smtp_tlsa {
	unsigned char usage; /* 2 DANE-TA, 3 DANE-EE; 0, 1 are unusable */
	unsigned char selector; /* 0 full certificate, 1 public key */
	unsigned char mtype; /* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	const unsigned char *data; /* association data */
	size_t len; /* bytes in data */
};

/* The address to connect to, and how to secure the session. */
struct smtp_peer {
	const char *host; /* host name for logs, SNI and verification */
	const char *addr; /* numeric IPv4 or IPv6 address, [] allowed */
	unsigned port; /* TCP port, 1-65535 */
	enum cfg_tls tls; /* TLS policy; zero is CFG_TLS_NONE */
	const struct smtp_tlsa *tlsa; /* dane: secure TLSA records, or NULL */
	size_t ntlsa; /* entries in tlsa (at most SMTP_TLSA_MAX used) */
	const char *user; /* AUTH user (any bytes), NULL = no AUTH */
	size_t user_len; /* bytes in user */
	const char *pass; /* AUTH password (any bytes) */
	size_t pass_len; /* bytes in pass */
};

/* Session options; times in milliseconds. */
struct smtp_opts {
	const char *helo_name; /* EHLO/HELO argument */
	unsigned long connect_timeout_ms; /* TCP connect */
	unsigned long command_timeout_ms; /* each command reply, greeting */
	unsigned long data_timeout_ms; /* each body write, end-of-data reply */
	long long deadline_ms; /* absolute mono_now_ms() time; 0 = none */
	const char *tls_ca_file; /* CA bundle; NULL or "" = system store */
	enum smtp_tls_version tls_min_version; /* lowest protocol */
	bool auth_without_tls; /* send credentials in plaintext too */
};

/* One recipient of a transaction. */
struct smtp_rcpt {
	const char *addr; /* in: address without <> (borrowed) */
	const char *orcpt; /* in: the original recipient address for
			      ORCPT (RFC 3461), without type or xtext;
			      NULL or "": none (borrowed) */
	bool accepted; /* out: RCPT TO got a 2xx reply */
	enum sd_status status; /* out: SD_OK delivered, SD_TEMP, SD_PERM */
	struct why why; /* out: the reply (also on success) or reason */
};

/*
 * Asked just before the end of data is sent: false when the message
 * must not be sent after all (the process it is delivered for is gone).
 */
typedef bool (*smtp_wanted_fn)(void *ctx);

/* One mail transaction. */
struct smtp_txn {
	const char *sender; /* address without <>, "" = null sender */
	const char *envid; /* RFC 3461 ENVID, not encoded; NULL or "":
			      none (borrowed) */
	struct spool *spool; /* the message (borrowed) */
	struct smtp_rcpt *rcpt; /* recipients (borrowed, results written) */
	size_t nrcpt; /* entries in rcpt, at least 1 */
	smtp_wanted_fn wanted; /* NULL: always; false: the end of data is
				  not sent, the connection is closed (the
				  server discards the transaction), 4.3.0 */
	void *wanted_ctx; /* its argument */
	bool keep_8bit; /* to a server without 8BITMIME, 8-bit content
			   goes unchanged (downgrade_8bit = no), not made
			   7-bit (spool_stream_7bit) */
	bool chunking; /* BDAT (RFC 3030) where the server offers
			  CHUNKING, instead of DATA */
};

/*
 * What a server announced with LIMITS (RFC 9422) in its last EHLO
 * reply; 0 where it announced nothing usable.
 */
struct smtp_limits {
	unsigned long mail_max; /* MAILMAX: transactions in one session */
	unsigned long rcpt_max; /* RCPTMAX: RCPT commands in one transaction */
	unsigned long rcpt_domain_max; /* RCPTDOMAINMAX: distinct recipient
					  domains in one transaction */
};

/* An opaque session. */
struct smtp_session;

/*
 * What a connection kept between transactions (and processes) carries
 * besides its socket: what its EHLO said, and how it is worn.
 */
struct smtp_reuse {
	unsigned version; /* SMTP_REUSE_VERSION */
	unsigned caps; /* SMTP_CAP_* of the EHLO reply */
	unsigned long long size_max; /* SIZE limit, 0 = none */
	struct smtp_limits limits; /* LIMITS of the EHLO reply */
	unsigned uses; /* transactions run on it so far */
	long long born_ms; /* mono_now_ms() when it was connected */
	char tls_note[SMTP_TLS_NOTE_MAX]; /* why plaintext, for logs */
};

/*
 * Whether envid may go as ENVID (RFC 3461 section 4.4): 1 to
 * SMTP_DSN_ENVID_MAX printable US-ASCII characters.
 */
bool smtp_dsn_envid_ok(const char *envid);

/*
 * Whether addr may go as ORCPT=rfc822;addr (RFC 3461 section 4.2):
 * printable US-ASCII, the parameter at most SMTP_DSN_ORCPT_MAX long.
 * A non-ASCII address may not: no ORCPT goes for it (the utf-8 type
 * of RFC 6533 is not implemented).
 */
bool smtp_dsn_orcpt_ok(const char *addr);

/* Short name of a state for logs ("RCPT TO", "message body"). */
const char *smtp_state_name(enum smtp_state st);

/*
 * Connect to peer. On SD_OK *sp is a new session in SMTP_ST_GREETING
 * owned by the caller; on failure *sp is NULL and why says
 * "connect to host[addr]:port: ..." (4.4.1; 4.4.7 at the deadline).
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status smtp_session_open(struct smtp_session **sp,
    const struct smtp_peer *peer, const struct smtp_opts *opts,
    struct why *why);

/*
 * Read the greeting and say EHLO (HELO if EHLO gets 5xx), then STARTTLS
 * and EHLO again per the peer's policy, then AUTH when the peer has
 * credentials. On SD_OK the session is SMTP_ST_READY. A refused
 * greeting is reported as "host[addr]:port refused to talk to me: 554
 * ..."; it concerns the host, not the recipients. A TLS or AUTH
 * failure leaves smtp_session_fail_state() at SMTP_ST_STARTTLS or
 * SMTP_ST_AUTH.
 * Returns: SD_OK, SD_TEMP, SD_PERM (greeting or EHLO/HELO refused).
 */
enum sd_status smtp_session_hello(struct smtp_session *s, struct why *why);

/*
 * Run one transaction on a ready session (RSET first if an earlier one
 * failed half-way). Every recipient gets status and why: SD_OK with
 * the end-of-data reply when delivered, else the RCPT reply or the
 * transaction's failure. The return is SD_OK when the transaction ran
 * to its end (recipients may still have been refused one by one), or
 * the status of a failure of the whole transaction, which is then
 * also in why and in every recipient not refused at RCPT. Checks done
 * before MAIL: 5.6.7 (SMTPUTF8), 5.3.4 (SIZE). A session that is not
 * ready gives SD_TEMP 4.3.0. With BDAT, the last piece goes only once
 * every earlier one was accepted; a refused piece is reported as a
 * refused end of data would be ("(in reply to BDAT command)", fail
 * state SMTP_ST_BODY; SMTP_ST_DOT for the last piece) and leaves
 * RSET owed, done before the next transaction.
 * Returns: SD_OK, SD_TEMP, SD_PERM.
 */
enum sd_status smtp_session_send(
    struct smtp_session *s, struct smtp_txn *t, struct why *why);

/*
 * Send RSET. Rarely needed: smtp_session_send() resets by itself.
 * Returns: SD_OK, SD_TEMP, SD_PERM.
 */
enum sd_status smtp_session_reset(struct smtp_session *s, struct why *why);

/*
 * Send QUIT and wait (at most SMTP_QUIT_TIMEOUT_MS) for the reply;
 * the session becomes SMTP_ST_CLOSED whatever the answer.
 * Returns: SD_OK, SD_TEMP, SD_PERM.
 */
enum sd_status smtp_session_quit(struct smtp_session *s, struct why *why);

/* QUIT if the session is still in step, close the socket, free; NULL ok. */
void smtp_session_close(struct smtp_session *s);

/*
 * Whether the connection can carry another transaction for somebody
 * else: ready, in step, nothing unread, plaintext, not authenticated
 * (a TLS state or credentials cannot leave the process).
 */
bool smtp_session_reusable(const struct smtp_session *s);

/*
 * End a reusable session without QUIT: its socket is returned (the
 * caller owns it) and r describes it; the session is freed. A session
 * that is not reusable is left as it was and -1 returned.
 */
int smtp_session_detach(struct smtp_session *s, struct smtp_reuse *r);

/*
 * A ready session on fd, a connection to peer that an earlier
 * smtp_session_detach() returned with r; fd belongs to the session
 * from then on (on failure it is closed). The peer must ask for no
 * more than r gives: TLS policy none or may, no credentials.
 * Returns: SD_OK, SD_TEMP (why set).
 */
enum sd_status smtp_session_adopt(struct smtp_session **sp, int fd,
    const struct smtp_reuse *r, const struct smtp_peer *peer,
    const struct smtp_opts *opts, struct why *why);

/*
 * Whether s, between transactions, can stay open in this process for a
 * later transaction (smtp_keep.c): ready, in step, nothing unread or
 * unsent, no RSET owed. TLS and AUTH are no obstacle: nothing leaves
 * the process.
 */
bool smtp_session_keepable(const struct smtp_session *s);

/* Whether a transaction stopped half-way and RSET is owed. */
bool smtp_session_rset_owed(const struct smtp_session *s);

/*
 * Whether kept session s was made for exactly peer and opts, as a new
 * one would be: address, port, host name (SNI and the name verified),
 * EHLO name, TLS policy as asked, usable TLSA records, CA bundle,
 * lowest TLS version, auth_without_tls, user and password (or none for
 * both). So a session of one policy never serves another, nor one
 * authenticated as one user another user or none.
 */
bool smtp_session_fits(const struct smtp_session *s,
    const struct smtp_peer *peer, const struct smtp_opts *opts);

/*
 * Whether idle session s is still there: nothing came from the server
 * since its last reply (TLS records that carry no data, such as TLS 1.3
 * session tickets, are taken in). One the server closed or spoke on (a
 * 421 at its idle timeout) becomes SMTP_ST_BROKEN: close it (no QUIT).
 */
bool smtp_session_alive(struct smtp_session *s);

/*
 * Give kept session s the timeouts and overall deadline of opts, for
 * the message it serves next.
 */
void smtp_session_renew(struct smtp_session *s, const struct smtp_opts *opts);

/* The connection's socket, for poll(2) while s is idle; -1 when none. */
int smtp_session_fd(const struct smtp_session *s);

/* Transactions begun on the connection, in this process and before. */
unsigned smtp_session_uses(const struct smtp_session *s);

/* When the connection was made, mono_now_ms() time. */
long long smtp_session_born(const struct smtp_session *s);

/* The state; SMTP_ST_BROKEN once the connection is unusable. */
enum smtp_state smtp_session_state(const struct smtp_session *s);

/*
 * The step at which the last failure of the session happened (an I/O
 * failure, a 4xx/5xx reply, or SMTP_ST_MAIL for the 5.3.4 and 5.6.7
 * checks made before MAIL); SMTP_ST_READY when nothing failed.
 */
enum smtp_state smtp_session_fail_state(const struct smtp_session *s);

/* The peer as "host[address]:port". */
const char *smtp_session_peer(const struct smtp_session *s);

/* The SMTP_CAP_* bits of the last EHLO reply. */
unsigned smtp_session_caps(const struct smtp_session *s);

/* The SIZE limit in bytes; 0 when none was announced. */
unsigned long long smtp_session_size_max(const struct smtp_session *s);

/*
 * The LIMITS of the last EHLO reply (RFC 9422): all 0 when none were
 * announced; a value that is not 1 to SMTP_LIMIT_DIGITS_MAX decimal
 * digits, or is 0, is ignored, and so are limits of other names.
 * Valid as long as the session.
 */
const struct smtp_limits *smtp_session_limits(const struct smtp_session *s);

/* AUTH mechanisms announced, upper case, space-separated; "" if none. */
const char *smtp_session_auth_mechs(const struct smtp_session *s);

/* True when the session runs over TLS. */
bool smtp_session_tls_active(const struct smtp_session *s);

/* How far the server's certificate was checked (when TLS is active). */
enum smtp_tls_trust smtp_session_tls_trust(const struct smtp_session *s);

/*
 * The session's TLS for logs: "tls=TLSv1.3 cipher TLS_AES_256_GCM_SHA384
 * (256/256 bits) trust=verified", or "tls=none" with the reason in
 * parentheses when TLS was wanted (not offered, refused, handshake
 * failed and retried in plaintext). Writes at most size bytes
 * (SMTP_TLS_TEXT_MAX is enough); returns buf.
 */
char *smtp_session_tls_text(
    const struct smtp_session *s, char *buf, size_t size);

/*
 * What kept the session's TLS from being all it could be (set by the
 * STARTTLS step, also when the policy let the session go on).
 */
enum smtp_tls_fault smtp_session_tls_fault(const struct smtp_session *s);

/*
 * The certificate verification error of the session, as OpenSSL words
 * it ("certificate has expired"); "" when there was none.
 */
const char *smtp_session_tls_fault_text(const struct smtp_session *s);

/* Our address on the connection, as text; "" when unknown. */
const char *smtp_session_local_addr(const struct smtp_session *s);

/*
 * Whether a TLSA record is one RFC 7672 lets SMTP use: usage DANE-TA(2)
 * or DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2 with data
 * of its length.
 */
bool smtp_tlsa_usable(const struct smtp_tlsa *t);

/* The name of a trust level ("verified"). */
const char *smtp_tls_trust_name(enum smtp_tls_trust trust);

/*
 * Parse a tls_min_version value: "TLSv1", "TLSv1.1", "TLSv1.2",
 * "TLSv1.3" (case-insensitive). Returns false for anything else.
 */
bool smtp_tls_version_parse(const char *name, enum smtp_tls_version *out);

/* The OpenSSL in use, as it names itself ("OpenSSL 3.0.17 1 Jul 2025"). */
const char *smtp_tls_library(void);

#endif
