/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	smtp_int - declarations shared by the files of the smtp module
 * DESCRIPTION
 *	The reply parser (smtp_reply.c), a pure function of the bytes fed
 *	to it; the I/O layer (smtp_io.c): buffered reads and writes over a
 *	pair of function pointers, plain TCP by default, so that a TLS
 *	layer can be put under the line reader; the connection
 *	(smtp_conn.c); the session record (smtp_session.c) and the
 *	command helpers with EHLO (smtp_proto.c); STARTTLS and the TLS layer (smtp_tls.c, and its
 *	contexts in smtp_tls_ctx.c: the only files that see OpenSSL's SSL
 *	objects) and what a session knows of
 *	its TLS (smtp_tls_info.c); AUTH (smtp_auth.c); the RFC 3461
 *	parameters (smtp_dsn.c); LIMITS (smtp_limits.c); BDAT
 *	(smtp_bdat.c).
 *	Not for use outside smtp_*.c and their unit tests.
 * OWNERSHIP
 *	struct smtp_io and struct smtp_reply are embedded in the session;
 *	smtp_io_init/smtp_io_fini manage the output buffer and the
 *	layer (smtp_io_fini calls its close function). The session owns
 *	copies of the credentials (wiped by smtp_auth_wipe) and of the
 *	TLSA records.
 * THREADS
 *	Safe for concurrent use of distinct objects.
 * ERRORS
 *	enum smtp_io_rc for the I/O layer; enum smtp_reply_rc for the
 *	parser; enum sd_status plus struct why elsewhere.
 * SEE ALSO
 *	smtp.h; RFC 5321 section 4.2.
 */
#ifndef SMTPDIRECT_SMTP_INT_H
#define SMTPDIRECT_SMTP_INT_H

#include <sys/types.h>

#include <arpa/inet.h>

#include <stdbool.h>
#include <stddef.h>

#include "fileid.h"
#include "smtp.h"
#include "why.h"

#define SMTP_REPLY_LINE_MAX 2048 /* longest reply line, without CRLF */
#define SMTP_REPLY_LINES_MAX 100 /* most lines in one reply */
#define SMTP_REPLY_TEXT_MAX 8192 /* most text bytes kept for one reply */
#define SMTP_IO_INBUF 8192 /* bytes read at once */
#define SMTP_IO_OUTBUF 65536 /* bytes written at once (at most) */
#define SMTP_CMD_MAX 2048 /* longest command we build, bytes */
#define SMTP_TRACE_MASK "********" /* what a masked secret looks like */

/* Result of feeding bytes to the reply parser. */
enum smtp_reply_rc {
	SMTP_REPLY_MORE, /* the reply is not complete yet */
	SMTP_REPLY_DONE, /* a complete, well-formed reply */
	SMTP_REPLY_BAD /* malformed or too long; why is set (4.5.0) */
};

/* A reply and the parser state that builds it. */
struct smtp_reply {
	int code; /* reply code (200-559), 0 before the first line */
	char dsn[WHY_DSN_MAX]; /* enhanced code of the first line, or "" */
	char text[SMTP_REPLY_TEXT_MAX]; /* line texts, '\n'-separated */
	size_t textlen; /* bytes used in text */
	size_t nlines; /* complete lines so far */
	bool esc; /* extract enhanced status codes */
	bool done; /* the last line was seen */
	char line[SMTP_REPLY_LINE_MAX + 1]; /* the line being read, CR too */
	size_t linelen; /* bytes in line */
};

/* Result of an I/O operation. */
enum smtp_io_rc {
	SMTP_IO_OK, /* done */
	SMTP_IO_TIMEOUT, /* the step timeout expired */
	SMTP_IO_DEADLINE, /* the overall deadline passed */
	SMTP_IO_EOF, /* the peer closed the connection */
	SMTP_IO_ERROR, /* a system error; see err */
	SMTP_IO_BAD /* a malformed reply; why is set */
};

struct smtp_io;

/*
 * Transfer functions of an I/O layer, both non-blocking: return the
 * bytes moved (> 0), 0 at end of file (receive only), or -1 with errno;
 * EAGAIN means "poll for *want (POLLIN or POLLOUT) and call again".
 */
typedef ssize_t (*smtp_io_recv_fn)(
    struct smtp_io *io, void *buf, size_t len, short *want);
typedef ssize_t (*smtp_io_send_fn)(
    struct smtp_io *io, const void *buf, size_t len, short *want);

/* Release a layer's state (called by smtp_io_fini before close). */
typedef void (*smtp_io_close_fn)(struct smtp_io *io);

/* Buffered I/O on one connection. */
struct smtp_io {
	int fd; /* the non-blocking socket */
	smtp_io_recv_fn recv; /* receive layer (plain TCP or TLS) */
	smtp_io_send_fn send; /* send layer */
	smtp_io_close_fn close; /* layer cleanup, NULL for TCP */
	void *layer; /* the layer's state (smtp_tls.c), NULL for TCP */
	long long deadline_ms; /* overall deadline, 0 = none */
	int err; /* errno of the last SMTP_IO_ERROR */
	char in[SMTP_IO_INBUF]; /* received, not yet parsed */
	size_t in_off; /* first unparsed byte in in */
	size_t in_len; /* end of received bytes in in */
	char *out; /* SMTP_IO_OUTBUF bytes to send */
	size_t out_len; /* bytes waiting in out */
};

/* A session (the public type of smtp.h). */
struct smtp_session {
	struct smtp_io io; /* the connection */
	enum smtp_state state; /* the step in progress or last done */
	enum smtp_state fail_state; /* step of the last failure, or READY */
	bool broken; /* connection unusable: do not even QUIT */
	bool greeted; /* the greeting was read */
	bool need_rset; /* a transaction stopped half-way */
	unsigned uses; /* transactions begun on the connection, reuse too */
	long long born_ms; /* mono_now_ms() when connected */
	char host[SMTP_HOST_MAX + 1]; /* peer name */
	char addr[64]; /* peer address, no brackets */
	unsigned port; /* peer port */
	char peer[SMTP_PEER_MAX]; /* "host[addr]:port" */
	char *helo_name; /* EHLO argument (owned) */
	unsigned long connect_timeout_ms; /* see smtp_opts */
	unsigned long command_timeout_ms; /* see smtp_opts */
	unsigned long data_timeout_ms; /* see smtp_opts */
	long long deadline_ms; /* see smtp_opts */
	enum cfg_tls tls_policy; /* policy in force (dane resolved) */
	enum cfg_tls tls_asked; /* the peer's policy as given (reuse) */
	bool tls_dane; /* DANE authentication with usable TLSA records */
	bool tls_implicit; /* TLS from the first byte (CFG_TLS_IMPLICIT) */
	struct smtp_tlsa *tlsa; /* copies of the usable TLSA records */
	size_t ntlsa; /* entries in tlsa */
	char *tls_ca_file; /* CA bundle, NULL = system store */
	struct fileid tls_ca_id; /* the bundle when the session began */
	enum smtp_tls_version tls_min_version; /* see smtp_opts */
	bool tls_active; /* the connection runs over TLS */
	enum smtp_tls_trust tls_trust; /* when tls_active */
	char tls_version[16]; /* "TLSv1.3" */
	char tls_cipher[64]; /* "TLS_AES_256_GCM_SHA384" */
	int tls_bits, tls_alg_bits; /* cipher strength */
	char tls_note[SMTP_TLS_NOTE_MAX]; /* TLS wanted, plaintext: why */
	enum smtp_tls_fault tls_fault; /* for TLS reports */
	char local[INET6_ADDRSTRLEN]; /* our address, "" when unknown */
	char tls_fault_text[96]; /* OpenSSL's verification error */
	char *user; /* AUTH user (owned, wiped), NULL = no AUTH */
	size_t user_len; /* bytes in user */
	char *pass; /* AUTH password (owned, wiped) */
	size_t pass_len; /* bytes in pass */
	bool auth_without_tls; /* see smtp_opts */
	bool authenticated; /* AUTH succeeded */
	unsigned caps; /* SMTP_CAP_* */
	unsigned long long size_max; /* SIZE limit, 0 = none */
	struct smtp_limits limits; /* LIMITS of the EHLO reply (RFC 9422) */
	char auth_mechs[SMTP_AUTH_MECHS_MAX]; /* "PLAIN LOGIN" */
	struct smtp_reply reply; /* the last reply */
};

/* Reply parser (smtp_reply.c). */

/* Prepare r for a new reply; esc: strip and keep enhanced codes. */
void smtp_reply_init(struct smtp_reply *r, bool esc);

/*
 * Feed len bytes; *used is how many belong to this reply (the rest is
 * the next reply's). Accepts CRLF and bare LF line ends.
 * Returns: SMTP_REPLY_MORE, SMTP_REPLY_DONE, SMTP_REPLY_BAD.
 */
enum smtp_reply_rc smtp_reply_parse(struct smtp_reply *r, const char *buf,
    size_t len, size_t *used, struct why *why);

/* Format "550 5.1.1 text of all lines" cleaned into buf; returns buf. */
char *smtp_reply_quote(const struct smtp_reply *r, char *buf, size_t size);

/* The enhanced code to report: the server's, else "C.0.0". */
const char *smtp_reply_dsn(const struct smtp_reply *r, char *buf, size_t size);

/* I/O layer (smtp_io.c). */

/* Prepare io on a connected non-blocking socket (plain TCP layer). */
void smtp_io_init(struct smtp_io *io, int fd, long long deadline_ms);

/* Release the layer (io->close), close the socket, free the buffer. */
void smtp_io_fini(struct smtp_io *io);

/*
 * Wait until fd is ready for events, at most timeout_ms and never past
 * deadline_ms (0 = none).
 * Returns: SMTP_IO_OK, SMTP_IO_TIMEOUT, SMTP_IO_DEADLINE, SMTP_IO_ERROR.
 */
enum smtp_io_rc smtp_io_wait(int fd, short events, unsigned long timeout_ms,
    long long deadline_ms, int *err);

/*
 * Read one reply into r (prepared by smtp_reply_init), waiting at most
 * timeout_ms in all.
 * Returns: SMTP_IO_OK, SMTP_IO_TIMEOUT, SMTP_IO_DEADLINE, SMTP_IO_EOF,
 * SMTP_IO_ERROR, SMTP_IO_BAD.
 */
enum smtp_io_rc smtp_io_reply(struct smtp_io *io, struct smtp_reply *r,
    unsigned long timeout_ms, struct why *why);

/*
 * Queue len bytes, sending full buffers as they fill; each send waits at
 * most timeout_ms.
 * Returns: SMTP_IO_OK, SMTP_IO_TIMEOUT, SMTP_IO_DEADLINE, SMTP_IO_EOF,
 * SMTP_IO_ERROR.
 */
enum smtp_io_rc smtp_io_write(
    struct smtp_io *io, const void *buf, size_t len, unsigned long timeout_ms);

/* Send everything queued, at most timeout_ms. Returns: as smtp_io_write. */
enum smtp_io_rc smtp_io_flush(struct smtp_io *io, unsigned long timeout_ms);

/* Bytes received but not yet parsed (STARTTLS must find none). */
size_t smtp_io_pending(const struct smtp_io *io);

/* Session records (smtp_session.c). */

/* A session for peer with opts, not connected (SMTP_ST_CONNECT). */
struct smtp_session *smtp_session_new(
    const struct smtp_peer *peer, const struct smtp_opts *opts);

/*
 * The host name (peer->host, else the address) and the address
 * without brackets of peer, as a session records them.
 */
void smtp_session_names(const struct smtp_peer *peer, char *host, size_t hsize,
    char *addr, size_t asize);

/* Free a session's memory (not its connection: smtp_io_fini). */
void smtp_session_free(struct smtp_session *s);

/* Connection (smtp_conn.c). */

/*
 * Connect s->io to s->addr:s->port within s->connect_timeout_ms.
 * Returns: SD_OK, SD_TEMP (why set).
 */
enum sd_status smtp_conn_connect(
    struct smtp_session *s, long long deadline_ms, struct why *why);

/* Protocol helpers (smtp_proto.c), also for STARTTLS and AUTH. */

/*
 * Queue one command line (CRLF is added) and trace it; bytes from
 * mask_from on are shown as SMTP_TRACE_MASK (SIZE_MAX: no mask).
 * Returns: SMTP_IO_OK or as smtp_io_write.
 */
enum smtp_io_rc smtp_proto_put(
    struct smtp_session *s, const char *cmd, size_t mask_from);

/*
 * Flush and read the next reply into s->reply, timeout_ms; on I/O
 * failure why says what happened while in state st and the session
 * is broken.
 * Returns: SD_OK (a reply, of any code, is in s->reply), SD_TEMP.
 */
enum sd_status smtp_proto_reply(struct smtp_session *s, enum smtp_state st,
    unsigned long timeout_ms, struct why *why);

/*
 * Enter state st, send cmd (traced masked from mask_from, SIZE_MAX for
 * nothing masked) and read its reply within the command timeout.
 * Returns: SD_OK (a reply, of any code, is in s->reply), SD_TEMP.
 */
enum sd_status smtp_proto_command(struct smtp_session *s, enum smtp_state st,
    const char *cmd, size_t mask_from, struct why *why);

/*
 * Fill why from s->reply: "peer said: CODE DSN text (in reply to WHAT
 * command)"; a 421 reply breaks the session.
 * Returns: SD_OK (2xx/3xx), SD_TEMP (4xx), SD_PERM (5xx).
 */
enum sd_status smtp_proto_reply_why(
    struct smtp_session *s, const char *what, struct why *why);

/* Fill why for an I/O failure in state st; the session becomes broken. */
void smtp_proto_io_why(struct smtp_session *s, enum smtp_io_rc rc,
    enum smtp_state st, struct why *why);

/* Say EHLO (or HELO) again and reparse capabilities (after STARTTLS). */
enum sd_status smtp_proto_ehlo(struct smtp_session *s, struct why *why);

/*
 * Read the greeting of a new connection and say EHLO (or HELO).
 * Returns: SD_OK, SD_TEMP, SD_PERM.
 */
enum sd_status smtp_proto_greet(struct smtp_session *s, struct why *why);

/* LIMITS (smtp_limits.c). */

/*
 * Take the parameters of an EHLO LIMITS line (len bytes after the
 * keyword and its space, RFC 9422 section 4) into lim: MAILMAX, RCPTMAX
 * and RCPTDOMAINMAX with a value of 1 to SMTP_LIMIT_DIGITS_MAX digits,
 * not 0; any other name, or a value not so written, is ignored. A
 * limit given twice keeps its lower value; a limit lim already has
 * is kept when not given.
 */
void smtp_limits_parse(const char *text, size_t len, struct smtp_limits *lim);

/* BDAT (smtp_bdat.c), RFC 3030. */

struct smtp_bdat;

/* The pieces of one message on s; the caller frees with smtp_bdat_free. */
struct smtp_bdat *smtp_bdat_new(struct smtp_session *s);

/* Release b; NULL is fine. */
void smtp_bdat_free(struct smtp_bdat *b);

/*
 * A spool_write_fn (ctx: the struct smtp_bdat): content into pieces of
 * SMTP_BDAT_CHUNK bytes, each full one sent as "BDAT n" once more
 * content follows, with at most SMTP_BDAT_INFLIGHT replies awaited (1
 * without PIPELINING).
 * Returns: SD_OK; SD_TEMP (lost, timed out: the session is broken; or
 * a piece refused with 4xx, or answered with no 2xx), SD_PERM (a piece
 * refused with 5xx); why quotes the reply "(in reply to BDAT command)".
 */
enum sd_status smtp_bdat_write(
    void *ctx, const char *buf, size_t len, struct why *why);

/*
 * After the content: wait for the replies to every piece sent; if all
 * were accepted and wanted (NULL: always) says the message is still
 * wanted, send the rest as "BDAT n LAST" and read its reply into
 * s->reply. Not wanted: the session is broken (closed without the
 * last piece: the server discards the message), 4.3.0.
 * Returns: SD_OK (the message was accepted), SD_TEMP, SD_PERM.
 */
enum sd_status smtp_bdat_last(struct smtp_bdat *b, smtp_wanted_fn wanted,
    void *wanted_ctx, struct why *why);

/*
 * After a failure of smtp_bdat_write() or _last(): when a piece was
 * refused, read the replies still owed so that RSET can follow; after
 * any other failure the session is broken.
 */
void smtp_bdat_abort(struct smtp_bdat *b);

/* STARTTLS (smtp_tls.c). */

/*
 * After EHLO: STARTTLS, handshake, certificate checks and EHLO again as
 * s->tls_policy says; under may a refused STARTTLS continues in
 * plaintext and a failed handshake reconnects once without TLS.
 * Returns: SD_OK, SD_TEMP (4.7.x, or the reconnect's failure), SD_PERM
 * (the EHLO that follows was refused).
 */
enum sd_status smtp_tls_negotiate(struct smtp_session *s, struct why *why);

/* Implicit TLS (RFC 8314): the handshake before the greeting. */
enum sd_status smtp_tls_implicit(struct smtp_session *s, struct why *why);

/*
 * Check a TLSA record's fields the way RFC 7672 counts records usable
 * for SMTP: usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching
 * type 0 (data not empty), 1 (32 bytes) or 2 (64 bytes).
 */
bool smtp_tls_tlsa_usable(const struct smtp_tlsa *t);

/*
 * A TLS client context for s's protocol floor, CA bundle and DANE
 * (smtp_tls_ctx.c): a reference the caller releases with
 * SSL_CTX_free(). Contexts are kept and shared within the process for
 * up to a minute, and made anew when the CA bundle file changes. NULL
 * with why set on failure.
 */
struct ssl_ctx_st *smtp_tls_ctx_get(struct smtp_session *s, struct why *why);

/* OpenSSL's reason for its last failure, or fallback; clears the queue. */
void smtp_tls_errtext(char *buf, size_t size, const char *fallback);

/* RFC 3461 parameters (smtp_dsn.c). */

#define SMTP_DSN_PARAM_MAX 512 /* one parameter with its space and NUL */

/*
 * xtext of the string in (RFC 3461 section 4: "+" and "=" and every
 * byte outside "!" to "~" as "+HH") into out, size bytes. Returns its
 * length, or 0 (out "") when in is empty or the text does not fit.
 */
size_t smtp_dsn_xtext(char *out, size_t size, const char *in);

/*
 * " ENVID=xtext" into buf (size bytes, SMTP_DSN_PARAM_MAX is enough)
 * when caps include SMTP_CAP_DSN and envid may go; else "". Returns
 * buf.
 */
const char *smtp_dsn_mail_param(
    unsigned caps, const char *envid, char *buf, size_t size);

/* " ORCPT=rfc822;xtext" into buf, or "", likewise. Returns buf. */
const char *smtp_dsn_rcpt_param(
    unsigned caps, const char *orcpt, char *buf, size_t size);

/* AUTH (smtp_auth.c). */

/*
 * After TLS: AUTH with the session's credentials (none: nothing to
 * do), refusing to send them without TLS unless auth_without_tls.
 * Returns: SD_OK, SD_TEMP (every failure, 535 included).
 */
enum sd_status smtp_auth_run(struct smtp_session *s, struct why *why);

/*
 * Base64 of len bytes into out (size bytes, NUL-terminated).
 * Returns the text length, or 0 when it does not fit (or len is 0).
 */
size_t smtp_auth_b64(const void *in, size_t len, char *out, size_t size);

/*
 * The AUTH PLAIN initial response (RFC 4616): base64 of
 * "\0user\0password" into out. Returns false when it does not fit.
 */
bool smtp_auth_plain_arg(const char *user, size_t user_len, const char *pass,
    size_t pass_len, char *out, size_t size);

/*
 * The mechanism to use from the announced list: "PLAIN" if offered,
 * else "LOGIN", else NULL.
 */
const char *smtp_auth_pick(const char *mechs);

/* Wipe and free the session's credentials. */
void smtp_auth_wipe(struct smtp_session *s);

#endif
