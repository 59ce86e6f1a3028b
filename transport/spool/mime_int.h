/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mime_int - declarations shared by the files of the mime module
 * DESCRIPTION
 *	The converter's view of a MIME entity, the quoted-printable
 *	encoder's state, and the encoders and value readers of
 *	mime_enc.c that mime_down.c uses. Not for use outside mime_*.c
 *	and their unit tests.
 * OWNERSHIP
 *	Output goes to a caller's sbuf.
 * THREADS
 *	See mime.h.
 * ERRORS
 *	None: readers fall back to "other" on what they do not know.
 * SEE ALSO
 *	mime.h.
 */
#ifndef SMTPDIRECT_MIME_INT_H
#define SMTPDIRECT_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mime.h"
#include "sbuf.h"

/* Content types the converter tells apart. */
enum mime_ctype {
	MIME_CT_TEXT, /* text/... (the default) */
	MIME_CT_MULTIPART, /* multipart/... */
	MIME_CT_MESSAGE, /* message/... */
	MIME_CT_OTHER /* anything else */
};

/* Subtypes that matter. */
enum mime_stype {
	MIME_ST_OTHER, /* any other */
	MIME_ST_RFC822, /* message/rfc822: headers follow */
	MIME_ST_DIGEST /* multipart/digest: parts default to rfc822 */
};

/* Content-Transfer-Encoding values. */
enum mime_enc {
	MIME_ENC_7BIT, /* 7bit or none given */
	MIME_ENC_8BIT, /* 8bit */
	MIME_ENC_BINARY, /* binary */
	MIME_ENC_OTHER /* quoted-printable, base64 or unknown */
};

/* What a header block said about its entity. */
struct mime_entity {
	enum mime_ctype ctype; /* from Content-Type */
	enum mime_stype stype; /* its subtype */
	enum mime_enc enc; /* from Content-Transfer-Encoding */
	char boundary[MIME_BOUNDARY_MAX + 1]; /* multipart, "" if none */
};

/* The quoted-printable encoder of one line. */
struct mime_qp {
	size_t col; /* characters on the current output line */
	char ws; /* a space or tab not written yet (0: none) */
};

/* Encode n bytes more of a line to out. */
void mime_qp_feed(struct mime_qp *q, struct sbuf *out, const char *p, size_t n);

/* End the line: trailing white space encoded, CRLF. */
void mime_qp_eol(struct mime_qp *q, struct sbuf *out);

/*
 * Append "Name: =?CS?Q?...?=" for the unfolded value (n bytes, no line
 * ends) to out, folded between encoded-words, ending in CRLF.
 */
void mime_2047_field(const char *name, size_t nlen, const char *value, size_t n,
    struct sbuf *out);

/* Read a Content-Type value (p to end) into e's type and boundary. */
void mime_content_type(const char *p, const char *end, struct mime_entity *e);

/* Read a Content-Transfer-Encoding value. */
enum mime_enc mime_encoding(const char *p, const char *end);

#endif
