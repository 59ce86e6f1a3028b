/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mlt_hdr - the milter's headers: which to remove, what to write
 * DESCRIPTION
 *	Pure helpers of smtpdirect-milter, no libmilter here. A message's
 *	X-SMTPDirect-* headers (any case, folded or not: libmilter hands
 *	over the name) are counted per name in a struct mlt_hdr_seen, so
 *	that end of message can delete every instance by name and index.
 *	mlt_hdr_route_format() writes the X-SMTPDirect-Route value of one
 *	recipient: one header per recipient, never folded, at most
 *	MLT_HDR_VALUE_MAX bytes (hosts past the cap are cut with " ...").
 *	Recipient text is cleaned: bytes outside printable ASCII become
 *	'?'. Passwords are never written; a target with credentials is
 *	marked "(auth)".
 * OWNERSHIP
 *	mlt_hdr_seen_init/_fini bracket a caller-owned struct; names are
 *	copied in. Formatting appends to a caller's sbuf.
 * THREADS
 *	Safe for concurrent use of distinct objects.
 * ERRORS
 *	mlt_hdr_seen_add() returns false when MLT_HDR_NAMES_MAX distinct
 *	names are held already (the caller tempfails the message).
 * SEE ALSO
 *	SPEC section 7; mlt_cb.h; route.h; smtpdirect-milter(8).
 */
#ifndef SMTPDIRECT_MLT_HDR_H
#define SMTPDIRECT_MLT_HDR_H

#include <stdbool.h>
#include <stddef.h>

#include "route.h"
#include "sbuf.h"

#define MLT_HDR_PREFIX "X-SMTPDirect-" /* every header of ours */
#define MLT_HDR_ROUTE "X-SMTPDirect-Route" /* one per recipient */
#define MLT_HDR_TRANSPORT "X-SMTPDirect-Transport" /* when overridden */
#define MLT_HDR_VALUE_MAX \
	900 /* bytes of a value we write (RFC 5322: a
				 line is at most 998) */
#define MLT_HDR_RCPT_MAX 320 /* bytes of a recipient shown, cleaned */
#define MLT_HDR_NAMES_MAX 1000 /* distinct X-SMTPDirect-* names kept */

/* One X-SMTPDirect-* header name and how many times it came. */
struct mlt_hdr_name {
	char *name; /* as first seen, owned */
	size_t count; /* instances, case-insensitive name */
};

/* The X-SMTPDirect-* headers of one message. */
struct mlt_hdr_seen {
	struct mlt_hdr_name *v; /* names, first-seen order */
	size_t n; /* entries used */
	size_t cap; /* entries allocated */
};

/* True when name starts with X-SMTPDirect- (ASCII case-insensitive). */
bool mlt_hdr_is_ours(const char *name);

/* Start an empty record. */
void mlt_hdr_seen_init(struct mlt_hdr_seen *s);

/* Release the names; the record may be initialised again. */
void mlt_hdr_seen_fini(struct mlt_hdr_seen *s);

/*
 * Count one instance of name (the caller checked mlt_hdr_is_ours()).
 * Returns false, changing nothing, when the name is new and
 * MLT_HDR_NAMES_MAX names are held.
 */
bool mlt_hdr_seen_add(struct mlt_hdr_seen *s, const char *name);

/*
 * Append rcpt to sb cleaned: at most MLT_HDR_RCPT_MAX bytes, any byte
 * outside printable ASCII as '?', angle brackets added when missing.
 */
void mlt_hdr_rcpt_clean(const char *rcpt, struct sbuf *sb);

/*
 * Append the X-SMTPDirect-Route value for rcpt to sb (reset first):
 * "<a@b.test>; override; lines=1,4; hosts=relay.test:2525,r2.test"
 * with the hosts in the order tried (the host[:port], port left out
 * when 25, "(auth)" after one with credentials), or
 * "<a@c.test>; mx; domain=c.test" when the domain's MX records decide,
 * or "<x>; invalid-domain" when r is NULL. At most MLT_HDR_VALUE_MAX
 * bytes.
 */
void mlt_hdr_route_format(
    const char *rcpt, const struct route *r, struct sbuf *sb);

#endif
