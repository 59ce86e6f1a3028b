/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver - deliver one message to its recipients; failure policy,
 *	exit status and the per-recipient log line
 * DESCRIPTION
 *	deliver_status.c is the one place where failures become decisions:
 *	deliver_status_classify() turns what happened on one attempt into
 *	"try the next address", "try the next host", "defer" or "bounce",
 *	and fills the reason; deliver_status_exit() turns every recipient's
 *	outcome into the exit status of SPEC section 2, and
 *	deliver_status_line() formats the one standard-error line that
 *	starts with the enhanced status code. deliver_log.c formats the
 *	Postfix-style syslog line of one recipient's outcome. Protocol code
 *	reports what happened; it does not decide.
 *
 *	Policy (Postfix smtp(8), smtp_trouble.c, smtp_proto.c, with
 *	the differences SPEC asks for):
 *	- connect failure, TLS failure, timeout, lost connection, garbled
 *	  reply, any 421: next address (the session is gone); the code
 *	  the smtp module gave is kept, made 4.x.x (4.4.7 at the
 *	  deadline, 4.5.0 for a garbled reply).
 *	- greeting 4xx or 5xx, EHLO/HELO refused: next address, always
 *	  as 4.x.x. Postfix skips 5xx greetings too (smtp_skip_5xx_greeting
 *	  = yes); unlike Postfix a 5xx to HELO never bounces, as it mostly
 *	  judges our helo_name, which is the administrator's.
 *	- greeting 521 (RFC 7504: the host accepts no mail at all):
 *	  DELIVER_HOST_REFUSES, 5.x.x (the server's code, else 5.3.2, the
 *	  code IANA lists with 521): next address, as for any greeting;
 *	  when the addresses run out the route bounces if every one tried
 *	  answered so, and defers if any failed otherwise (or a host of
 *	  the route could not be tried). RFC 7504 speaks of the host, not
 *	  of the domain, and RFC 5321 section 5.1 has the client try the
 *	  other MX hosts; Postfix defers instead (5xx greetings skipped,
 *	  the last one's code made 4), and so do we with skip_521
 *	  (greeting_521_bounces = no).
 *	- STARTTLS refused while TLS is required, AUTH refused: 4.x.x (our
 *	  policy or credentials, never the recipient's fault).
 *	- 4xx to MAIL, RCPT, DATA or end of data: next host (other addresses
 *	  of one host share its policy); 552 to RCPT counts as 452 (RFC 5321
 *	  section 4.5.3.1.10).
 *	- 5xx to RCPT: bounce that recipient only; 5xx to MAIL, DATA or end
 *	  of data: bounce every recipient of the transaction. 556 (RFC 7504
 *	  section 4: a domain that accepts no mail) is one of them; with no
 *	  enhanced code or 5.0.0 it reads 5.1.10, as 521 reads 5.3.2.
 *	- a 5xx that reads as our protocol mistake (500-504 or 555 without
 *	  an enhanced code, or with a 5.5.x one): 4.5.x, next host.
 *	- a reply code that is not 4xx or 5xx where a refusal was reported:
 *	  protocol error 4.5.0, next address (Postfix bounces 5.5.0).
 *	- DNS: a permanent answer for the domain (5.1.2, null MX 5.1.10)
 *	  bounces, else defer; a host without addresses: next host. A
 *	  server capability that rules the message out (SIZE 5.3.4, no
 *	  SMTPUTF8 5.6.7) bounces when the module says 5.x.x.
 *	- local trouble: defer. Anything not a definite answer: defer.
 *	When the hosts run out, NEXT_ADDRESS and NEXT_HOST mean defer with
 *	the reason of the last attempt.
 * OWNERSHIP
 *	Outcomes borrow the recipient string; everything else is copied
 *	into fixed arrays. Nothing here allocates except into a caller's
 *	sbuf.
 * THREADS
 *	Safe for concurrent use of distinct records.
 * ERRORS
 *	No function here fails; bad reason codes are replaced by safe ones.
 * SEE ALSO
 *	SPEC sections 2 and 6; RFC 5321 sections 4.2 and 5.1, RFC 3463,
 *	RFC 2920, RFC 7504.
 */
#ifndef SMTPDIRECT_DELIVER_H
#define SMTPDIRECT_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"
#include "why.h"

/* ------------------------------------------------------------------ */
/* deliver_status.c: failure policy, outcomes, exit status.            */
/* ------------------------------------------------------------------ */

#define DELIVER_RELAY_MAX 320 /* "host[address]:port", longer is cut */
#define DELIVER_PORT_SMTP 25 /* "host said" omits the port when it is 25 */
#define DELIVER_DELAYS 4 /* the parts of delays=a/b/c/d */

/* Where in the session something went wrong. */
enum deliver_stage {
	DELIVER_STAGE_GREETING, /* waiting for the 220 banner */
	DELIVER_STAGE_EHLO, /* EHLO */
	DELIVER_STAGE_HELO, /* HELO after EHLO was refused */
	DELIVER_STAGE_STARTTLS, /* STARTTLS command or handshake */
	DELIVER_STAGE_AUTH, /* AUTH exchange */
	DELIVER_STAGE_MAIL, /* MAIL FROM */
	DELIVER_STAGE_RCPT, /* RCPT TO (one recipient) */
	DELIVER_STAGE_DATA, /* the DATA command */
	DELIVER_STAGE_BODY, /* streaming the message content */
	DELIVER_STAGE_DOT /* waiting for the reply to end of data */
};

/* What kind of failure one attempt met. */
enum deliver_fail {
	DELIVER_FAIL_CONNECT, /* connect() failed or timed out */
	DELIVER_FAIL_TLS, /* TLS handshake, verification or policy failed */
	DELIVER_FAIL_REPLY, /* the server refused: code (and dsn) given */
	DELIVER_FAIL_LOST, /* connection closed or reset by the peer */
	DELIVER_FAIL_TIMEOUT, /* a read or write timed out */
	DELIVER_FAIL_PROTOCOL, /* garbled, overlong or unexpected reply */
	DELIVER_FAIL_CAPABILITY, /* the server's EHLO rules the message out */
	DELIVER_FAIL_DNS, /* looking up the domain (MX/A) failed */
	DELIVER_FAIL_HOST_DNS, /* looking up one host's addresses failed */
	DELIVER_FAIL_LOCAL /* our own trouble: spool, memory, deadline */
};

/* What to do next. */
enum deliver_action {
	DELIVER_NEXT_ADDRESS, /* this connection is useless: next address */
	DELIVER_NEXT_HOST, /* this host refused for now: next host */
	DELIVER_DEFER, /* stop trying: defer */
	DELIVER_BOUNCE, /* stop trying: bounce */
	DELIVER_HOST_REFUSES /* this host accepts no mail at all (RFC 7504
				521 greeting): next address; the route
				bounces only if every address tried says
				so, else it defers */
};

/* The server one attempt talked to. */
struct deliver_peer {
	const char *host; /* host name, or the address when it has none */
	const char *addr; /* numeric address, no brackets */
	unsigned port; /* TCP port */
	unsigned conn_use; /* transactions on the connection, this one
			      included; 0 or 1 is not logged */
};

/* What happened on one attempt, as protocol code reports it. */
struct deliver_attempt {
	enum deliver_fail fail; /* kind of failure */
	enum deliver_stage stage; /* where it happened */
	const struct deliver_peer *peer; /* NULL when no connection */
	int code; /* DELIVER_FAIL_REPLY: the reply code */
	const char *dsn; /* the enhanced code the server or module gave,
			    NULL or "" when none */
	const char *text; /* REPLY: the reply, all lines with their codes,
			     lines separated by CRLF or LF, not cleaned;
			     others: our detail ("Connection refused") or,
			     for DNS, CAPABILITY and LOCAL, the reason */
	bool skip_521; /* policy: greeting_521_bounces = no, a 521
			  greeting is skipped as any 5xx greeting */
};

/* A recipient's delivery state; zero means not decided yet. */
enum deliver_rcpt_status {
	DELIVER_RCPT_PENDING = 0, /* no decision yet: counts as deferred */
	DELIVER_RCPT_SENT, /* accepted by a server in this attempt */
	DELIVER_RCPT_EARLIER, /* delivered in an earlier attempt */
	DELIVER_RCPT_DEFERRED, /* temporary failure */
	DELIVER_RCPT_BOUNCED /* permanent failure */
};

/* One recipient's outcome. */
struct deliver_outcome {
	const char *rcpt; /* recipient address, borrowed */
	enum deliver_rcpt_status status; /* what happened */
	struct why why; /* dsn and reason; for SENT the server's reply */
	char relay[DELIVER_RELAY_MAX]; /* "host[addr]:port", "" = none */
	unsigned conn_use; /* of the relay's connection (deliver_peer) */
	double delay; /* seconds from the start of deliver */
	bool has_delays; /* delays[] is filled */
	double delays
	    [DELIVER_DELAYS]; /* seconds: before the queue (spool), waiting
			     (slot, DNS), connection set-up, transmission */
	bool unrecorded; /* SENT, not (yet) marked in the retry state */
};

/*
 * Decide what to do after a failed attempt. When the result is
 * DELIVER_NEXT_ADDRESS or DELIVER_HOST_REFUSES the connection is of no
 * further use and the verdict concerns every recipient still pending
 * in it. Otherwise at DELIVER_STAGE_RCPT it concerns that recipient
 * only, and at other stages every recipient still pending in the
 * transaction. why receives the enhanced code (class 4 unless the
 * action is DELIVER_BOUNCE or DELIVER_HOST_REFUSES) and text such as "host mx[192.0.2.1] said: 550 5.1.1
 * <a@b>: unknown (in reply to RCPT TO command)"; remote text is
 * cleaned.
 * Returns: DELIVER_NEXT_ADDRESS, DELIVER_NEXT_HOST, DELIVER_DEFER,
 * DELIVER_BOUNCE, DELIVER_HOST_REFUSES (why then 5.x.x).
 */
enum deliver_action deliver_status_classify(
    const struct deliver_attempt *attempt, struct why *why);

/* Prepare an outcome for rcpt (borrowed): PENDING, no relay, no reason. */
void deliver_outcome_init(struct deliver_outcome *o, const char *rcpt);

/*
 * Record a decision: status, a copy of why (&o->why keeps the reason o
 * already has), the relay (peer may be NULL: relay=none) and the delay
 * in seconds.
 */
void deliver_outcome_set(struct deliver_outcome *o,
    enum deliver_rcpt_status status, const struct why *why,
    const struct deliver_peer *peer, double delay);

/*
 * The enhanced code to report for o, always consistent with its
 * status: 2.x.x for SENT and EARLIER, 4.x.x for DEFERRED and PENDING
 * (a 5 becomes 4, as Postfix soft_bounce does), 5.x.x for BOUNCED; a
 * missing or malformed code becomes X.0.0. Returns buf (size at least
 * WHY_DSN_MAX).
 */
const char *deliver_outcome_dsn(
    const struct deliver_outcome *o, char *buf, size_t size);

/*
 * The exit status for all n outcomes, SPEC section 2: 0 when every
 * recipient was SENT or EARLIER (n > 0); 75 when any is DEFERRED or
 * PENDING, even if others BOUNCED (pipe(8) takes one status for all
 * recipients: deferring loses nothing, recipients already delivered
 * are remembered by the retry state and bounced ones are refused
 * again on the retry); otherwise 67 when every bounce was 5.1.1, 68
 * when every bounce was 5.1.2 (no such domain) or 5.1.10 (null MX),
 * 69 for any other mix. n == 0 gives 75 (nothing decided is not
 * success). *pick (may be NULL) receives the outcome whose reason
 * explains the status (the first deferred one; the first bounced one
 * of the deciding kind), or NULL for 0.
 * Returns: MSG_EX_OK, MSG_EX_TEMPFAIL, MSG_EX_NOUSER, MSG_EX_NOHOST,
 * MSG_EX_UNAVAILABLE.
 */
int deliver_status_exit(const struct deliver_outcome *o, size_t n,
    const struct deliver_outcome **pick);

/*
 * Format the standard-error line for the outcome pick (may be NULL when
 * none was picked: "4.3.0 ..."): "DSN TEXT", cleaned, one line, no
 * newline, cut to size. Returns buf.
 */
char *deliver_status_line(
    char *buf, size_t size, const struct deliver_outcome *pick);

/* ------------------------------------------------------------------ */
/* deliver_log.c: the per-recipient syslog line.                       */
/* ------------------------------------------------------------------ */

#define DELIVER_LOG_QID_MAX 64 /* queue id bytes logged, longer is cut */
#define DELIVER_LOG_RCPT_MAX 300 /* recipient bytes logged, longer is cut */
#define DELIVER_LOG_TEXT_MAX 500 /* reason bytes logged, longer is cut */

/*
 * Append to sb the log line of one outcome, Postfix style:
 * "QID: to=<rcpt>, relay=host[addr]:port, conn_use=2, delay=1.2,
 * delays=0.01/0/0.1/1.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
 * (conn_use only when the connection carried an earlier transaction).
 * queue_id NULL or "" gives "NOQUEUE"; relay "" gives "relay=none";
 * delays appear only when o->has_delays. The status word is one of
 * SPEC's: sent, deferred (also PENDING) or bounced; EARLIER logs as
 * sent with relay=none and "(already delivered in an earlier attempt)"
 * unless it carries its own text. Queue id, recipient and text are
 * cleaned (non-printable bytes become '?') and bounded.
 */
void deliver_log_format(
    struct sbuf *sb, const char *queue_id, const struct deliver_outcome *o);

/* Format the line of one outcome and send it to msg_info(). */
void deliver_log_outcome(const char *queue_id, const struct deliver_outcome *o);

/*
 * Append a delay in seconds as Postfix prints it: whole seconds from
 * 10 s, one decimal from 1 s, two below, trailing zeros dropped
 * ("25", "1.2", "0.05", "0"); negative values print as 0.
 */
void deliver_log_delay(struct sbuf *sb, double seconds);

#endif
