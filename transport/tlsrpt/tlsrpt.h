/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	tlsrpt - SMTP TLS reporting (RFC 8460): counting TLS results,
 *	building and sending the daily aggregate reports
 * DESCRIPTION
 *	deliver tells a tally (tlsrpt_tally_add(), in memory) the TLS
 *	result of every session to an MX host, and of every MTA-STS
 *	policy fetch that failed, under the policy that governed it
 *	(sts, tlsa or no-policy-found); once the message is done,
 *	tlsrpt_tally_flush() adds them to the counts of each policy
 *	domain and UTC day in state_dir ("tlsrpt.lmdb", one write
 *	transaction, no fsync). smtpdirect tlsrpt then reads each
 *	domain's day (tlsrpt_db_next()), asks its "_smtp._tls" TXT
 *	record for report URIs (tlsrpt_txt_pick()), writes the JSON
 *	report of section 4 (tlsrpt_json()), compresses it
 *	(tlsrpt_gzip()) and sends it to each URI (tlsrpt_send():
 *	mailto: through sendmail(1) as section 5.3 asks, https: by
 *	POST), remembering each URI it was sent to.
 *	A record of one domain and day (struct tlsrpt_rec) is kept in
 *	the store as text: a line per policy and per failure detail.
 * OWNERSHIP
 *	_new/_open allocate, _free/_close release; records own their
 *	strings (tlsrpt_rec_init/_fini). Sessions and options are
 *	borrowed for the call.
 * THREADS
 *	Not thread-safe: one tally or store per thread.
 * ERRORS
 *	SD_OK; SD_TEMP (the store, the network or sendmail failed: the
 *	reason is in why; counting never fails a delivery, a report not
 *	sent is sent the next day). Parsers return false (or
 *	TLSRPT_TXT_INVALID) on malformed input.
 * SEE ALSO
 *	RFC 8460 sections 3, 4, 5; RFC 8461; RFC 7672; state.h, http.h.
 */
#ifndef SMTPDIRECT_TLSRPT_H
#define SMTPDIRECT_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dns.h"
#include "http.h"
#include "sbuf.h"
#include "why.h"

#define TLSRPT_FILE "tlsrpt.lmdb" /* the counts in state_dir */
#define TLSRPT_DAY_MAX 10 /* "YYYY-MM-DD" */
#define TLSRPT_DAYS_KEPT 7 /* days a report may wait to be sent */
#define TLSRPT_POLICIES_MAX 32 /* policies kept per domain and day */
#define TLSRPT_FAILURES_MAX 64 /* failure details kept per policy */
#define TLSRPT_FIELD_MAX 1024 /* longest string field kept, bytes */
#define TLSRPT_RUA_MAX 8 /* report URIs used per domain */
#define TLSRPT_URI_MAX 512 /* longest report URI */
#define TLSRPT_MEDIA_GZIP "application/tlsrpt+gzip" /* RFC 8460 6.4 */

/* Policy types (section 4.4, "policy-type"). */
enum tlsrpt_type {
	TLSRPT_T_NONE, /* no-policy-found */
	TLSRPT_T_STS, /* sts */
	TLSRPT_T_TLSA /* tlsa */
};

/* Result types (section 4.3); TLSRPT_OK counts a successful session. */
enum tlsrpt_result {
	TLSRPT_OK,
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERT_HOST_MISMATCH,
	TLSRPT_CERT_EXPIRED,
	TLSRPT_CERT_NOT_TRUSTED,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_TLSA_INVALID,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_DANE_REQUIRED,
	TLSRPT_STS_POLICY_FETCH_ERROR,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID
};

/* One session's result as deliver reports it (strings borrowed). */
struct tlsrpt_session {
	const char *domain; /* the policy domain (recipient domain) */
	enum tlsrpt_type type; /* the policy that governed the session */
	const char *ident; /* which one: the sts id, the tlsa MX host */
	const char *strings; /* policy-string lines, '\n' between them */
	const char *mx_hosts; /* mx-host entries, '\n' between them */
	enum tlsrpt_result result; /* TLSRPT_OK, or the failure */
	const char *sending_ip; /* failure details; NULL: left out */
	const char *mx; /* receiving-mx-hostname */
	const char *receiving_ip; /* receiving-ip */
	const char *reason; /* failure-reason-code */
};

/* A failure detail with its count. */
struct tlsrpt_failure {
	enum tlsrpt_result result; /* result-type */
	char *sending_ip, *mx, *receiving_ip, *reason; /* "" = none */
	unsigned long long count; /* failed-session-count */
};

/* A policy applied to a domain on a day, with its counts. */
struct tlsrpt_policy {
	enum tlsrpt_type type; /* policy-type */
	char *ident; /* sts id, tlsa MX host, "" */
	char *strings; /* policy-string, '\n' between lines */
	char *mx_hosts; /* mx-host, '\n' between entries */
	unsigned long long ok; /* total-successful-session-count */
	unsigned long long failed; /* total-failure-session-count */
	struct tlsrpt_failure *fail; /* failure-details */
	size_t nfail; /* entries in fail */
};

/* What is known of one domain on one UTC day. */
struct tlsrpt_rec {
	char day[TLSRPT_DAY_MAX + 1]; /* "YYYY-MM-DD" */
	char domain[DNS_NAME_MAX + 1]; /* the policy domain */
	struct tlsrpt_policy *pol; /* policies */
	size_t npol; /* entries in pol */
};

/* The report URIs of a "_smtp._tls" TXT record. */
struct tlsrpt_txt {
	size_t n; /* URIs (mailto: and https: only) */
	char uri[TLSRPT_RUA_MAX][TLSRPT_URI_MAX + 1];
};

/* Results of tlsrpt_txt_pick(). */
enum tlsrpt_txt_status {
	TLSRPT_TXT_OK, /* one valid record */
	TLSRPT_TXT_NONE, /* none begins with v=TLSRPTv1 */
	TLSRPT_TXT_INVALID /* several, or a malformed one */
};

/* Who reports (section 4.4). */
struct tlsrpt_org {
	const char *organization; /* organization-name */
	const char *contact; /* contact-info; also From: of mailed reports */
	const char *submitter; /* the reporting domain (section 5.3) */
};

/* How reports are sent. */
struct tlsrpt_send_opts {
	const struct tlsrpt_org *org; /* who reports */
	const char *sendmail; /* sendmail(1) for mailto: */
	struct http *http; /* for https: (loaded by the caller) */
	struct dns *dns; /* resolves https: hosts */
	const char *ca_file; /* CA bundle; NULL or "": the system store */
	unsigned long timeout_ms; /* an upload's time limit */
};

/* One report, ready to send. */
struct tlsrpt_report {
	const char *domain; /* policy domain */
	const char *day; /* "YYYY-MM-DD" */
	const char *id; /* report-id */
	const void *gz; /* the gzip-compressed JSON */
	size_t gz_len; /* bytes in gz */
};

struct tlsrpt_tally;
struct tlsrpt_db;

/* tlsrpt_rec.c: records of a domain and day. */

/* An empty record of day ("YYYY-MM-DD") and domain. */
void tlsrpt_rec_init(struct tlsrpt_rec *r, const char *day, const char *domain);

/* Release its policies. */
void tlsrpt_rec_fini(struct tlsrpt_rec *r);

/*
 * Count n sessions like s (s->domain is not compared: the caller keeps
 * one record a domain). Past the caps, what does not fit is left out.
 */
void tlsrpt_rec_add(
    struct tlsrpt_rec *r, const struct tlsrpt_session *s, unsigned long long n);

/* Add every count of src to dst. */
void tlsrpt_rec_merge(struct tlsrpt_rec *dst, const struct tlsrpt_rec *src);

/* The record as the store keeps it (replacing out's content). */
void tlsrpt_rec_format(const struct tlsrpt_rec *r, struct sbuf *out);

/*
 * Read len bytes that tlsrpt_rec_format() wrote into r (initialised by
 * the caller with its day and domain). False when malformed.
 */
bool tlsrpt_rec_parse(struct tlsrpt_rec *r, const char *text, size_t len);

/* The RFC 8460 name of a result ("certificate-expired"), of a type. */
const char *tlsrpt_result_name(enum tlsrpt_result res);
const char *tlsrpt_type_name(enum tlsrpt_type type);

/* The UTC day of t as "YYYY-MM-DD" into day (TLSRPT_DAY_MAX + 1). */
void tlsrpt_day_of(time_t t, char *day);

/* tlsrpt_txt.c: the "_smtp._tls" TXT record (section 3). */

/*
 * Of n TXT records (texts[i] of lens[i] bytes), the one that begins
 * with v=TLSRPTv1: its mailto: and https: URIs into *out.
 */
enum tlsrpt_txt_status tlsrpt_txt_pick(const char *const *texts,
    const size_t *lens, size_t n, struct tlsrpt_txt *out, struct why *why);

/* tlsrpt_json.c: the report (section 4). */

/*
 * The JSON report of r from org, with report-id id, into out
 * (replacing its content).
 */
void tlsrpt_json(const struct tlsrpt_rec *r, const struct tlsrpt_org *org,
    const char *id, struct sbuf *out);

/* tlsrpt_db.c: the counts in state_dir, and the tally of a run. */

/* An empty tally. */
struct tlsrpt_tally *tlsrpt_tally_new(void);

/* Free it (unflushed counts are lost); NULL is ignored. */
void tlsrpt_tally_free(struct tlsrpt_tally *t);

/* Count one session at now. */
void tlsrpt_tally_add(
    struct tlsrpt_tally *t, time_t now, const struct tlsrpt_session *s);

/*
 * Add the tally to the store in state_dir (one write transaction, no
 * fsync) and empty it.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status tlsrpt_tally_flush(
    struct tlsrpt_tally *t, const char *state_dir, struct why *why);

/*
 * Open the store in state_dir; NULL when it cannot be (why set).
 */
struct tlsrpt_db *tlsrpt_db_open(const char *state_dir, struct why *why);

/* Close it; NULL is ignored. */
void tlsrpt_db_close(struct tlsrpt_db *db);

/*
 * The record that follows (day, domain) in the store (the first when
 * day is ""), into r (initialised here; release with tlsrpt_rec_fini()).
 * Returns: SD_OK; SD_PERM when there is none; SD_TEMP (why set).
 */
enum sd_status tlsrpt_db_next(struct tlsrpt_db *db, const char *day,
    const char *domain, struct tlsrpt_rec *r, struct why *why);

/* Whether the report of (day, domain) went to uri already. */
bool tlsrpt_db_sent(
    struct tlsrpt_db *db, const char *day, const char *domain, const char *uri);

/*
 * Remember that it went there.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status tlsrpt_db_mark(struct tlsrpt_db *db, const char *day,
    const char *domain, const char *uri, time_t now, struct why *why);

/*
 * Forget (day, domain): its counts and where its report went.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status tlsrpt_db_drop(
    struct tlsrpt_db *db, const char *day, const char *domain, struct why *why);

/* tlsrpt_send.c: compress and send. */

/*
 * Compress len bytes of data with gzip into out (replacing it).
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status tlsrpt_gzip(
    const void *data, size_t len, struct sbuf *out, struct why *why);

/*
 * Send report r to uri: mailto: as a multipart/report message through
 * o->sendmail; https: as a POST of application/tlsrpt+gzip.
 * Returns: SD_OK, SD_TEMP (why says why), SD_PERM (a URI of another
 * scheme, or a malformed one).
 */
enum sd_status tlsrpt_send(const char *uri, const struct tlsrpt_report *r,
    const struct tlsrpt_send_opts *o, struct why *why);

/*
 * The message that carries r to address (section 5.3) into out,
 * dated now. It says TLS-Required: No (RFC 8689): section 3 wants a
 * report delivered despite TLS failures, and smtpdirect deliver then
 * sets MTA-STS and DANE aside for it (and does not count its session).
 */
void tlsrpt_mail_format(const struct tlsrpt_report *r,
    const struct tlsrpt_org *org, const char *address, time_t now,
    struct sbuf *out);

#endif
