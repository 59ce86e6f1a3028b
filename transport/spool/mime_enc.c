/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The encodings of the 8-bit downgrade (mime.h): quoted-printable body
 * lines (RFC 2045 section 6.7) and RFC 2047 encoded-words for header
 * fields, and the reading of Content-Type and Content-Transfer-Encoding
 * values.
 */

#include <string.h>
#include <strings.h>

#include "mime_int.h"

static const char mime_hex[] = "0123456789ABCDEF";

/* mime_qp_token - one byte as it appears in quoted-printable text */
static size_t
mime_qp_token(unsigned char c, char tok[3])
{
	if (c >= 33 && c <= 126 && c != '=') {
		tok[0] = (char)c;
		return 1;
	}
	tok[0] = '=';
	tok[1] = mime_hex[c >> 4];
	tok[2] = mime_hex[c & 15];
	return 3;
}

/* mime_qp_put - one output token, after a soft line break if needed */
static void
mime_qp_put(struct mime_qp *q, struct sbuf *out, const char *tok, size_t n)
{
	if (q->col + n > MIME_QP_LINE - 1) {
		sbuf_append(out, "=\r\n", 3);
		q->col = 0;
	}
	sbuf_append(out, tok, n);
	q->col += n;
}

/* mime_qp_feed - encode n bytes of a line; white space waits for more */
void
mime_qp_feed(struct mime_qp *q, struct sbuf *out, const char *p, size_t n)
{
	char tok[3];
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (q->ws != 0) {
			tok[0] = q->ws;
			mime_qp_put(q, out, tok, 1);
			q->ws = 0;
		}
		if (c == ' ' || c == '\t')
			q->ws = (char)c;
		else
			mime_qp_put(q, out, tok, mime_qp_token(c, tok));
	}
}

/* mime_qp_eol - the end of a line: trailing white space encoded */
void
mime_qp_eol(struct mime_qp *q, struct sbuf *out)
{
	char tok[3];

	if (q->ws != 0) {
		mime_qp_put(
		    q, out, tok, mime_qp_token((unsigned char)q->ws, tok));
		q->ws = 0;
	}
	sbuf_append(out, "\r\n", 2);
	q->col = 0;
}

/* mime_qp_line - a whole line, for the tests (mime.h) */
enum sd_status
mime_qp_line(
    const char *line, size_t len, mime_out_fn out, void *ctx, struct why *why)
{
	struct mime_qp q = {0, 0};
	struct sbuf sb;
	enum sd_status st;

	sbuf_init(&sb);
	mime_qp_feed(&q, &sb, line, len);
	mime_qp_eol(&q, &sb);
	st = out(ctx, sb.data, sb.len, why);
	sbuf_fini(&sb);
	return st;
}

/* mime_utf8_len - bytes of the UTF-8 character at p, 0 if not one */
static size_t
mime_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three-byte forms, surrogates, past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* mime_is_utf8 - the bytes are UTF-8 */
static bool
mime_is_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = mime_utf8_len(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

/* mime_2047_char - encoded form of one byte inside an encoded-word */
static size_t
mime_2047_char(unsigned char c, char tok[3])
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!*+-/", c) != NULL) {
		tok[0] = (char)c;
		return 1;
	}
	if (c == ' ') {
		tok[0] = '_';
		return 1;
	}
	tok[0] = '=';
	tok[1] = mime_hex[c >> 4];
	tok[2] = mime_hex[c & 15];
	return 3;
}

/*
 * mime_2047_field - "Name: " and value (unfolded, n bytes) as encoded-
 * words of at most 75 characters, folded between words, ending in CRLF
 */
void
mime_2047_field(const char *name, size_t nlen, const char *value, size_t n,
    struct sbuf *out)
{
	const unsigned char *v = (const unsigned char *)value;
	bool utf8 = mime_is_utf8(v, n);
	const char *cs = utf8 ? "UTF-8" : "unknown-8bit";
	size_t head = strlen("=?") + strlen(cs) + strlen("?Q?"), i = 0, k, j;
	size_t room, used, tl;
	char tok[4 * 3];

	sbuf_append(out, name, nlen);
	sbuf_puts(out, ":");
	while (i < n) {
		sbuf_printf(out, " =?%s?Q?", cs);
		used = head;
		room = 75 - 2; /* "?=" closes the word */
		do {
			/* A whole character: one UTF-8 sequence together. */
			k = utf8 ? mime_utf8_len(v + i, n - i) : 1;
			for (j = 0, tl = 0; j < k; j++)
				tl += mime_2047_char(v[i + j], tok + tl);
			if (used + tl > room && used > head)
				break;
			sbuf_append(out, tok, tl);
			used += tl;
			i += k;
		} while (i < n);
		sbuf_puts(out, "?=");
		if (i < n)
			sbuf_puts(out, "\r\n");
	}
	sbuf_puts(out, "\r\n");
}

/* mime_skip_cfws - past white space and (nested) comments */
static const char *
mime_skip_cfws(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (*p == '\\' && depth > 0 && p + 1 < end) {
			p++;
		} else if (depth == 0 && *p != ' ' && *p != '\t' &&
		    *p != '\r' && *p != '\n') {
			break;
		}
		p++;
	}
	return p;
}

/* mime_token_char - a character of an RFC 2045 token */
static bool
mime_token_char(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* mime_token - a token at p: its end (p itself when none) */
static const char *
mime_token(const char *p, const char *end)
{
	while (p < end && mime_token_char(*p))
		p++;
	return p;
}

/* mime_is - the n bytes at p are word, ignoring case */
static bool
mime_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* mime_param_value - a token or quoted string into out; past it */
static const char *
mime_param_value(
    const char *p, const char *end, char *out, size_t size, bool *fits)
{
	const char *t;
	size_t o = 0;

	*fits = true;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (*p == '\r' || *p == '\n')
				continue; /* folded inside the quotes */
			if (o + 1 < size)
				out[o++] = *p;
			else
				*fits = false;
		}
		if (p < end)
			p++;
	} else {
		t = mime_token(p, end);
		if ((size_t)(t - p) + 1 > size)
			*fits = false;
		else
			memcpy(out, p, (size_t)(t - p)), o = (size_t)(t - p);
		p = t;
	}
	out[o] = '\0';
	return p;
}

/* mime_content_type - read a Content-Type value into *e */
void
mime_content_type(const char *p, const char *end, struct mime_entity *e)
{
	const char *t, *s, *st;
	char value[MIME_BOUNDARY_MAX + 2];
	bool fits;

	e->ctype = MIME_CT_OTHER;
	e->stype = MIME_ST_OTHER;
	e->boundary[0] = '\0';
	p = mime_skip_cfws(p, end);
	t = mime_token(p, end);
	if (mime_is(p, (size_t)(t - p), "text"))
		e->ctype = MIME_CT_TEXT;
	else if (mime_is(p, (size_t)(t - p), "multipart"))
		e->ctype = MIME_CT_MULTIPART;
	else if (mime_is(p, (size_t)(t - p), "message"))
		e->ctype = MIME_CT_MESSAGE;
	p = mime_skip_cfws(t, end);
	if (p < end && *p == '/') {
		s = mime_skip_cfws(p + 1, end);
		st = mime_token(s, end);
		if (mime_is(s, (size_t)(st - s), "rfc822"))
			e->stype = MIME_ST_RFC822;
		else if (mime_is(s, (size_t)(st - s), "digest"))
			e->stype = MIME_ST_DIGEST;
		p = st;
	}
	for (;;) {
		p = mime_skip_cfws(p, end);
		if (p >= end || *p != ';')
			break;
		p = mime_skip_cfws(p + 1, end);
		t = mime_token(p, end);
		s = mime_skip_cfws(t, end);
		if (t == p || s >= end || *s != '=')
			break;
		st = mime_param_value(mime_skip_cfws(s + 1, end), end, value,
		    sizeof(value), &fits);
		if (mime_is(p, (size_t)(t - p), "boundary") && fits &&
		    value[0] != '\0' && strlen(value) <= MIME_BOUNDARY_MAX)
			memcpy(e->boundary, value, strlen(value) + 1);
		p = st;
	}
}

/* mime_encoding - read a Content-Transfer-Encoding value */
enum mime_enc
mime_encoding(const char *p, const char *end)
{
	const char *t;

	p = mime_skip_cfws(p, end);
	t = mime_token(p, end);
	if (mime_is(p, (size_t)(t - p), "7bit"))
		return MIME_ENC_7BIT;
	if (mime_is(p, (size_t)(t - p), "8bit"))
		return MIME_ENC_8BIT;
	if (mime_is(p, (size_t)(t - p), "binary"))
		return MIME_ENC_BINARY;
	return MIME_ENC_OTHER; /* quoted-printable, base64, unknown */
}
