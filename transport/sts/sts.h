/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	sts - MTA-STS (RFC 8461): the TXT record, the policy and its MX
 *	patterns
 * DESCRIPTION
 *	sts_txt_parse() reads one "_mta-sts" TXT record (section 3.1:
 *	"v=STSv1; id=...", extensions allowed); sts_txt_pick() applies
 *	the rule for several records: those that do not begin with
 *	v=STSv1 are left out, and anything but exactly one valid record
 *	left means no policy is announced. sts_policy_parse() reads a
 *	policy body (section 3.2: version, mode, max_age, mx lines; LF or
 *	CRLF line ends; unknown keys ignored; the first of a repeated
 *	key other than mx counts; mx required unless the mode is none;
 *	max_age of at most STS_MAX_AGE_MAX, larger values capped).
 *	sts_policy_mx_match() matches an MX host name against the
 *	policy's patterns (section 4.1: "*." stands for exactly one
 *	label). Pure functions: no I/O, no clock.
 * OWNERSHIP
 *	Results go to caller-owned structs; nothing is allocated.
 * THREADS
 *	Safe.
 * ERRORS
 *	STS_OK; STS_NONE (no record that announces a policy); STS_INVALID
 *	(a record or body that does not parse: treated as no policy,
 *	section 3.1 and 3.2). The reason is in why ("4.7.0" and text
 *	naming what is wrong and where).
 * SEE ALSO
 *	RFC 8461 sections 3.1, 3.2, 4.1; RFC 5321 section 4.1.2 (Domain).
 */
#ifndef SMTPDIRECT_STS_H
#define SMTPDIRECT_STS_H

#include <stdbool.h>
#include <stddef.h>

#include "why.h"

#define STS_ID_MAX 32 /* longest id of a TXT record, characters */
#define STS_MX_MAX 64 /* most mx lines a policy may have */
#define STS_HOST_MAX 253 /* longest MX host name or pattern's domain */
#define STS_POLICY_MAX (64 * 1024) /* largest policy body, bytes */
#define STS_MAX_AGE_MAX 31557600UL /* longest max_age, seconds (a year) */
#define STS_KEY_MAX 32 /* longest key of a policy line or TXT field */

/* The mode of a policy (section 5). */
enum sts_mode {
	STS_MODE_NONE, /* as without a policy */
	STS_MODE_TESTING, /* deliver as without one; report failures */
	STS_MODE_ENFORCE /* only matching MX hosts, verified TLS */
};

/* Results of the parsers. */
enum sts_status {
	STS_OK = 0, /* parsed */
	STS_NONE, /* no record announces a policy */
	STS_INVALID /* malformed: as no policy */
};

/* What a "_mta-sts" TXT record says. */
struct sts_txt {
	char id[STS_ID_MAX + 1]; /* the policy's id (1-32 letters, digits) */
};

/* A parsed policy. */
struct sts_policy {
	enum sts_mode mode; /* mode: */
	unsigned long max_age; /* max_age:, seconds, capped */
	size_t mx_n; /* mx: lines */
	char mx[STS_MX_MAX][STS_HOST_MAX + 3]; /* lower case, "*." kept */
};

/*
 * Parse one TXT record's text (its strings joined, len bytes, not
 * NUL-terminated) into *out.
 * Returns: STS_OK; STS_NONE (it does not begin with v=STSv1);
 * STS_INVALID (why set).
 */
enum sts_status sts_txt_parse(
    const char *text, size_t len, struct sts_txt *out, struct why *why);

/*
 * Of n TXT records (texts[i] of lens[i] bytes), the one policy record:
 * STS_OK with *out when exactly one begins with v=STSv1 and parses;
 * STS_NONE when none begins so; STS_INVALID when several do, or the
 * one does not parse (why set).
 */
enum sts_status sts_txt_pick(const char *const *texts, const size_t *lens,
    size_t n, struct sts_txt *out, struct why *why);

/*
 * Parse a policy body of len bytes into *out.
 * Returns: STS_OK; STS_INVALID (why names the line).
 */
enum sts_status sts_policy_parse(
    const char *body, size_t len, struct sts_policy *out, struct why *why);

/*
 * Whether MX host name host (any case, one trailing dot allowed) is
 * one the policy allows.
 */
bool sts_policy_mx_match(const struct sts_policy *p, const char *host);

/* The name of a mode ("enforce"). */
const char *sts_mode_name(enum sts_mode mode);

#endif
