/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mime - 8-bit MIME content made 7-bit, for a server without
 *	8BITMIME (RFC 6152)
 * DESCRIPTION
 *	A one-pass converter of a message in wire form (every line ends in
 *	CRLF, not dot-stuffed, fed in pieces of any size), in the manner
 *	of Postfix's smtp(8): it follows the MIME structure (header
 *	blocks, multipart boundaries, message/rfc822 parts) and
 *	 - a leaf part whose Content-Transfer-Encoding is 8bit or binary
 *	   gets "Content-Transfer-Encoding: quoted-printable" in its
 *	   header and its body encoded so (RFC 2045 section 6.7: lines of
 *	   at most 76 characters, soft line breaks, trailing white space
 *	   encoded);
 *	 - a multipart or message/rfc822 entity declared 8bit or binary is
 *	   declared 7bit, and its parts are converted in turn;
 *	 - an unstructured header field (Subject, Comments,
 *	   Content-Description) with 8-bit bytes is written as RFC 2047
 *	   encoded-words, charset UTF-8 when the bytes are UTF-8,
 *	   "unknown-8bit" (RFC 1428) otherwise.
 *	What cannot be converted is passed on unchanged, as Postfix does:
 *	8-bit bytes in other header fields (addresses, Received), in a
 *	part that declares 7bit or no encoding (which includes a message
 *	without MIME headers), in a multipart preamble or epilogue, or past
 *	MIME_DEPTH_MAX nested multiparts. mime_down_stats() says how much
 *	was converted and how much 8-bit content went on as it was.
 *	Memory stays flat: a header field is held up to MIME_FIELD_MAX
 *	bytes (a longer one is passed on unchanged), body lines are
 *	encoded as they come.
 * OWNERSHIP
 *	mime_down_new() returns a converter the caller releases with
 *	mime_down_free().
 * THREADS
 *	Safe for concurrent use of distinct converters.
 * ERRORS
 *	The writer's status and reason are passed on; the converter itself
 *	does not fail.
 * SEE ALSO
 *	RFC 2045, RFC 2046, RFC 2047, RFC 6152; spool.h; Postfix's
 *	mime_state(3) (the same choices).
 */
#ifndef SMTPDIRECT_MIME_H
#define SMTPDIRECT_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "why.h"

#define MIME_FIELD_MAX 65536 /* bytes of one header field interpreted */
#define MIME_DEPTH_MAX 20 /* nested multiparts followed */
#define MIME_BOUNDARY_MAX 70 /* RFC 2046: longest boundary */
#define MIME_QP_LINE 76 /* RFC 2045: longest encoded line */

/* Takes len (> 0) bytes of converted wire-form content. */
typedef enum sd_status (*mime_out_fn)(
    void *ctx, const char *buf, size_t len, struct why *why);

/* What a conversion did. */
struct mime_down_stats {
	unsigned long parts_qp; /* leaf parts encoded quoted-printable */
	unsigned long fields_2047; /* header fields made encoded-words */
	unsigned long lines_8bit_kept; /* lines with 8-bit bytes unchanged */
};

struct mime_down;

/* A converter writing to out(ctx, ...); free with mime_down_free(). */
struct mime_down *mime_down_new(mime_out_fn out, void *ctx);

/*
 * Convert len bytes more of the message. Returns SD_OK, or the
 * writer's status (then why is the writer's and nothing more may be
 * fed).
 */
enum sd_status mime_down_feed(
    struct mime_down *m, const char *buf, size_t len, struct why *why);

/* End of the message: write what is held. Returns as mime_down_feed(). */
enum sd_status mime_down_end(struct mime_down *m, struct why *why);

/* What the conversion did so far. */
void mime_down_get_stats(
    const struct mime_down *m, struct mime_down_stats *out);

/* Release a converter; NULL is ignored. */
void mime_down_free(struct mime_down *m);

/*
 * Quoted-printable encoding of one line of len bytes (no line end) to
 * out(ctx, ...), with soft line breaks, each output line ending in
 * CRLF. For mime_down and its tests. Returns as mime_down_feed().
 */
enum sd_status mime_qp_line(
    const char *line, size_t len, mime_out_fn out, void *ctx, struct why *why);

#endif
