/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mlt_rcpt - the milter's optional recipient check at RCPT
 * DESCRIPTION
 *	With milter_reject_null_mx, smtpdirect-milter asks the resolver
 *	about each recipient's domain at RCPT: a null MX (RFC 7505) is
 *	rejected with 556 5.1.10, a domain that does not exist (NXDOMAIN)
 *	with 550 5.1.2. Anything else is accepted: records found, no MX
 *	(the domain exists), and every DNS failure (SERVFAIL, time-out,
 *	garbled answer, no server): a DNS failure never rejects. Not
 *	looked up at all: a local address (no @), a domain literal
 *	([192.0.2.1]), an unqualified domain (no dot), a domain in
 *	U-labels that is not valid IDNA2008 (a valid one is looked up as
 *	its A-labels, idn.h), and a domain the override map routes for this
 *	message
 *	at $retries 0 (at the size MAIL FROM declared, or, with none, at
 *	the smallest and the largest size): the administrator routes it.
 *	Each lookup is bounded by a time limit across all its tries, and
 *	a domain whose lookup failed is not asked again on the same
 *	connection. Mail that did not come over SMTP (mlt_rcpt_over_smtp)
 *	is left to the caller not to check.
 *	No libmilter here (mlt_cb.c answers the MTA), so that the unit
 *	tests call it with canned DNS answers.
 * OWNERSHIP
 *	mlt_rcpt_new() allocates the checker (options copied), freed by
 *	mlt_rcpt_free() after every resolver it gave is closed.
 *	mlt_rcpt_resolver() allocates a resolver for one connection,
 *	released with dns_close(); mlt_rcpt_judge() keeps the one it opens
 *	in the caller's struct mlt_rcpt_conn, released with
 *	mlt_rcpt_conn_fini(). Results are caller-owned structs.
 * THREADS
 *	The checker is shared: mlt_rcpt_resolver() is locked (the first
 *	call opens the resolver and its cache, later ones dns_dup() it,
 *	as dns.h requires). A resolver it gave is used by one thread at a
 *	time (one connection's). mlt_rcpt_judge() on distinct
 *	connections and results is safe; the map is read-only. The cache is opened by
 *	the first lookup, so as the user the milter runs as (after -u),
 *	and only in a state_dir that user may trust (sdir.h: not another
 *	user's, not one everybody may write), as the smtpdirect commands
 *	decide.
 * ERRORS
 *	None returned: a DNS failure is MLT_RCPT_ACCEPT with dns_failed
 *	set and the reason in text, for the log.
 * SEE ALSO
 *	RFC 7505; dns.h; mlt_cb.h; smtpdirect-milter(8),
 *	smtpdirect.conf(5) (milter_reject_null_mx, milter_dns_time_limit).
 */
#ifndef SMTPDIRECT_MLT_RCPT_H
#define SMTPDIRECT_MLT_RCPT_H

#include <sys/socket.h>

#include <stdbool.h>

#include "dns.h"
#include "ovr.h"
#include "why.h"

#define MLT_RCPT_TEXT_MAX 384 /* reply text or reason, with NUL */

/* What becomes of a recipient at RCPT. */
enum mlt_rcpt_verdict {
	MLT_RCPT_SKIP, /* not looked up (local, literal, routed...) */
	MLT_RCPT_ACCEPT, /* looked up: takes mail, or DNS failed */
	MLT_RCPT_NULLMX, /* null MX: reject 556 5.1.10 */
	MLT_RCPT_NXDOMAIN /* no such domain: reject 550 5.1.2 */
};

/* The answer for one recipient. */
struct mlt_rcpt_result {
	enum mlt_rcpt_verdict verdict;
	bool dns_failed; /* accepted because DNS failed */
	char domain[DNS_NAME_MAX + 1]; /* the domain, "" when none */
	const char *code; /* "556" or "550" for a rejection, else NULL */
	const char *dsn; /* "5.1.10" or "5.1.2", else NULL */
	char text[MLT_RCPT_TEXT_MAX]; /* reply text when rejected; else
					 why it was skipped or accepted */
};

/*
 * One connection's part: its resolver, and the last domain whose lookup
 * failed, so that more recipients there do not wait for DNS again.
 * Zero it to start; mlt_rcpt_conn_fini() closes the resolver.
 */
struct mlt_rcpt_conn {
	struct dns *dns; /* opened at need, NULL before */
	char failed[DNS_NAME_MAX + 1]; /* "" when none */
	char failed_why[MLT_RCPT_TEXT_MAX]; /* why it failed */
};

struct mlt_rcpt;

/*
 * A checker that asks with opts (copied; servers, resolv_conf and
 * cache_dir included), each lookup bounded by time_limit_ms. Nothing
 * is opened yet. Free with mlt_rcpt_free().
 */
struct mlt_rcpt *mlt_rcpt_new(
    const struct dns_opts *opts, unsigned long time_limit_ms);

/* Free the checker and its resolver; NULL is ignored. */
void mlt_rcpt_free(struct mlt_rcpt *rc);

/*
 * A resolver for one connection: the first call opens one (a cache
 * that cannot be opened is logged and left out), later calls dns_dup()
 * it; after a failed open the next call tries again. Free with
 * dns_close() before mlt_rcpt_free().
 * Returns: the resolver, or NULL with why filled (no DNS server).
 */
struct dns *mlt_rcpt_resolver(struct mlt_rcpt *rc, struct why *why);

/*
 * Is there a DNS server to ask (the configured ones, else those of
 * resolv.conf)? Opens nothing in state_dir, keeps nothing open.
 * Returns: true, or false with why filled.
 */
bool mlt_rcpt_probe(struct mlt_rcpt *rc, struct why *why);

/*
 * The size a MAIL FROM's ESMTP parameters declare (argv as libmilter
 * gives it: argv[0] the sender, then "SIZE=1234" and the like).
 * Returns: true and *size when a valid SIZE= is among them.
 */
bool mlt_rcpt_size_arg(char *const *argv, unsigned long long *size);

/*
 * Judge the recipient rcpt ("<u@example.org>" or without brackets) of
 * a connection: skip it, or look its domain up with conn's resolver
 * (opened by mlt_rcpt_resolver() at need). A domain whose lookup failed
 * just before in this connection is accepted as failed without asking
 * again. map (NULL: none) exempts the domains it routes; size_known
 * says whether size is what MAIL FROM declared. res is always filled.
 */
void mlt_rcpt_judge(struct mlt_rcpt *rc, struct mlt_rcpt_conn *conn,
    const struct ovr_map *map, const char *rcpt, unsigned long long size,
    bool size_known, struct mlt_rcpt_result *res);

/* Close the connection's resolver; conn may be zeroed and reused. */
void mlt_rcpt_conn_fini(struct mlt_rcpt_conn *conn);

/*
 * Did the connection come over SMTP: a client address with a port?
 * Postfix's cleanup(8) connects for non_smtpd_milters with port 0 and
 * reports a milter that rejects a recipient there as a configuration
 * error (the mail stays queued); Sendmail gives no address for local
 * mail. Those are not checked.
 */
bool mlt_rcpt_over_smtp(const struct sockaddr *sa);

#endif
