/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	why - a status class plus the reason, passed between modules
 * DESCRIPTION
 *	struct why carries an RFC 3463 enhanced status code ("4.4.1"), the
 *	SMTP reply code when a server gave one, and bounded text that names
 *	the place (host[ip]:port, file:line:column). It is a fixed-size
 *	record so error paths never allocate. Callers own it and pass it as
 *	the last argument; a callee fills it only when it returns non-OK.
 *	enum sd_status is the shared result for modules whose callers only
 *	need the class.
 * OWNERSHIP
 *	Caller-allocated; nothing inside needs freeing.
 * THREADS
 *	Safe for concurrent use of distinct records.
 * ERRORS
 *	SD_OK success; SD_TEMP temporary (defer, try later or elsewhere);
 *	SD_PERM permanent (a definite answer: bounce that recipient).
 * SEE ALSO
 *	RFC 3463 (enhanced status codes), RFC 5321 section 4.2.
 */
#ifndef SMTPDIRECT_WHY_H
#define SMTPDIRECT_WHY_H

#include <stdbool.h>
#include <stddef.h>

#define WHY_DSN_MAX 16 /* "5.1.10" and room to spare */
#define WHY_TEXT_MAX 512 /* reason text, longer text is cut */

/* The shared result class. */
enum sd_status {
	SD_OK = 0, /* success */
	SD_TEMP, /* temporary failure: defer */
	SD_PERM /* permanent failure: bounce */
};

/* A status record. */
struct why {
	char dsn[WHY_DSN_MAX]; /* enhanced status code, "" when none */
	int smtp_code; /* SMTP reply code, 0 when none */
	char text[WHY_TEXT_MAX]; /* human text, NUL-terminated */
};

/* Clear the record. */
void why_reset(struct why *why);

/* Set the code and text; the smtp_code is cleared. */
void why_set(struct why *why, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like why_set, also recording the server's reply code. */
void why_set_reply(struct why *why, int smtp_code, const char *dsn,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix text to the existing reason ("prefix: old text"). */
void why_prefix(struct why *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when the code is a 4.x.x code or none was set. */
bool why_is_temp(const struct why *why);

/* The status class implied by the code: SD_TEMP or SD_PERM. */
enum sd_status why_status(const struct why *why);

/* True when s is a well-formed enhanced status code (class 2, 4 or 5). */
bool why_dsn_valid(const char *s);

/*
 * Copy at most len bytes of remote text into dst (size dstsize),
 * replacing bytes that are not printable ASCII with '?', and ending
 * with "..." when it had to be cut. Returns dst.
 */
char *why_printable(char *dst, size_t dstsize, const char *src, size_t len);

/*
 * Like why_printable for a C string (NULL reads as ""), and on one line:
 * CR LF, CR and LF become a space and trailing blanks are dropped.
 * Returns dst.
 */
char *why_printable_line(char *dst, size_t dstsize, const char *src);

#endif
