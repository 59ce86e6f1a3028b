/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The 8-bit downgrade's state machine (mime.h): lines into header
 * fields and body lines, header blocks into entities, multipart
 * boundaries onto a stack; encoding in mime_enc.c.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_int.h"
#include "xalloc.h"

#define MIME_PIECE 8192 /* bytes of a line held before going on */
#define MIME_OUT_FLUSH 65536 /* output bytes gathered before writing */

/* Where in an entity the converter is. */
enum mime_where {
	MIME_HEAD, /* in a header block */
	MIME_BODY /* in a body */
};

/* One open multipart. */
struct mime_level {
	char boundary[MIME_BOUNDARY_MAX + 1]; /* its boundary */
	bool digest; /* multipart/digest: parts are message/rfc822 */
};

struct mime_down {
	mime_out_fn out; /* the writer */
	void *ctx; /* its context */
	struct why *why; /* where a writer's failure goes (during a call) */
	enum sd_status st; /* SD_OK until the writer fails */
	struct sbuf obuf; /* converted output not written yet */
	char line[MIME_PIECE]; /* the line being gathered */
	size_t linelen; /* bytes in line */
	bool midline; /* pieces of the current line went on already */
	enum mime_where where; /* header or body */
	struct mime_entity cur; /* the entity being read */
	bool convert; /* its body is encoded quoted-printable */
	bool qp_line; /* the current body line is being encoded */
	bool line_8bit; /* the current unchanged line has 8-bit bytes */
	struct mime_qp qp; /* the encoder */
	struct sbuf field; /* the header field held, no final CRLF */
	bool field_open; /* field holds one */
	bool field_over; /* it grew past MIME_FIELD_MAX: passed on */
	struct mime_level stack[MIME_DEPTH_MAX]; /* open multiparts */
	size_t depth; /* entries used */
	struct mime_down_stats stats; /* what was done */
};

/* mime_flush - write what is gathered */
static void
mime_flush(struct mime_down *m)
{
	if (m->st == SD_OK && m->obuf.len > 0)
		m->st = m->out(m->ctx, m->obuf.data, m->obuf.len, m->why);
	sbuf_reset(&m->obuf);
}

/* mime_emit - output, written in large pieces */
static void
mime_emit(struct mime_down *m, const char *p, size_t n)
{
	sbuf_append(&m->obuf, p, n);
	if (m->obuf.len >= MIME_OUT_FLUSH)
		mime_flush(m);
}

/* mime_has_8bit - some byte has the high bit set */
static bool
mime_has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return true;
	return false;
}

/* mime_entity_start - the defaults of a new entity's header */
static void
mime_entity_start(struct mime_down *m, bool digest)
{
	memset(&m->cur, 0, sizeof(m->cur));
	m->cur.ctype = digest ? MIME_CT_MESSAGE : MIME_CT_TEXT;
	m->cur.stype = digest ? MIME_ST_RFC822 : MIME_ST_OTHER;
	m->cur.enc = MIME_ENC_7BIT;
	m->where = MIME_HEAD;
	m->convert = false;
}

/* mime_unstructured - a field RFC 2047 lets us encode whole */
static bool
mime_unstructured(const char *name, size_t n)
{
	static const char *const names[] = {
	    "Subject", "Comments", "Content-Description"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n &&
		    strncasecmp(name, names[i], n) == 0)
			return true;
	return false;
}

/* mime_field_8bit - an 8-bit field: encoded-words, or left as it is */
static void
mime_field_8bit(struct mime_down *m, const char *f, size_t nlen, const char *v,
    const char *end)
{
	struct sbuf un;

	if (!mime_unstructured(f, nlen)) {
		m->stats.lines_8bit_kept++;
		mime_emit(m, f, (size_t)(end - f));
		mime_emit(m, "\r\n", 2);
		return;
	}
	sbuf_init(&un);
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	for (; v < end; v++)
		if (*v != '\r' && *v != '\n')
			sbuf_putc(&un, *v);
	mime_2047_field(f, nlen, un.data, un.len, &m->obuf);
	m->stats.fields_2047++;
	sbuf_fini(&un);
}

/* mime_field_done - the held field is complete: interpret, write */
static void
mime_field_done(struct mime_down *m)
{
	const char *f = m->field.data, *end = f + m->field.len, *colon;
	size_t nlen;

	if (!m->field_open)
		return;
	m->field_open = false;
	if (m->field_over) {
		m->field_over = false;
		mime_emit(m, "\r\n", 2);
		sbuf_reset(&m->field);
		return;
	}
	colon = memchr(f, ':', m->field.len);
	for (nlen = (size_t)(colon - f);
	     nlen > 0 && (f[nlen - 1] == ' ' || f[nlen - 1] == '\t'); nlen--)
		;
	if (nlen == strlen("Content-Type") &&
	    strncasecmp(f, "Content-Type", nlen) == 0) {
		mime_content_type(colon + 1, end, &m->cur);
	} else if (nlen == strlen("Content-Transfer-Encoding") &&
	    strncasecmp(f, "Content-Transfer-Encoding", nlen) == 0) {
		m->cur.enc = mime_encoding(colon + 1, end);
		if (m->cur.enc == MIME_ENC_8BIT ||
		    m->cur.enc == MIME_ENC_BINARY) {
			sbuf_reset(&m->field); /* a new one at the end */
			return;
		}
	}
	if (mime_has_8bit(f, m->field.len)) {
		mime_field_8bit(m, f, nlen, colon + 1, end);
	} else {
		mime_emit(m, f, m->field.len);
		mime_emit(m, "\r\n", 2);
	}
	sbuf_reset(&m->field);
}

/* mime_field_add - more of the held field; past the cap, pass it on */
static void
mime_field_add(struct mime_down *m, const char *p, size_t n)
{
	if (m->field_over) {
		mime_emit(m, p, n);
		return;
	}
	sbuf_append(&m->field, p, n);
	if (m->field.len > MIME_FIELD_MAX) {
		mime_emit(m, m->field.data, m->field.len);
		sbuf_reset(&m->field);
		m->field_over = true;
	}
}

/* mime_head_end - a header block ends: the encoding, then the body */
static void
mime_head_end(struct mime_down *m, bool blank)
{
	struct mime_entity *e = &m->cur;
	bool nested, multi, eight;

	mime_field_done(m); /* the last field may be the one that counts */
	nested = e->ctype == MIME_CT_MESSAGE && e->stype == MIME_ST_RFC822;
	multi = e->ctype == MIME_CT_MULTIPART && e->boundary[0] != '\0';
	eight = e->enc == MIME_ENC_8BIT || e->enc == MIME_ENC_BINARY;
	if (eight && (nested || multi)) {
		mime_emit(m, "Content-Transfer-Encoding: 7bit\r\n", 33);
	} else if (eight) {
		mime_emit(
		    m, "Content-Transfer-Encoding: quoted-printable\r\n", 45);
		m->stats.parts_qp++;
	}
	if (blank)
		mime_emit(m, "\r\n", 2);
	if (multi && m->depth < MIME_DEPTH_MAX) {
		memcpy(m->stack[m->depth].boundary, e->boundary,
		    sizeof(e->boundary));
		m->stack[m->depth++].digest = e->stype == MIME_ST_DIGEST;
		m->where = MIME_BODY;
		m->convert = false;
	} else if (nested) {
		mime_entity_start(m, false);
	} else {
		m->where = MIME_BODY;
		m->convert = eight && !multi;
	}
}

/* mime_is_field - the line starts a header field: "name:" */
static bool
mime_is_field(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] > ' ' &&
	    (unsigned char)p[i] < 0x7f && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/*
 * mime_boundary - the whole line is a boundary of an open multipart:
 * its level, *closing for "--boundary--"; -1 when it is none
 */
static int
mime_boundary(const struct mime_down *m, const char *p, size_t n, bool *closing)
{
	size_t i, bl, k;
	const char *rest;

	if (n < 3 || p[0] != '-' || p[1] != '-')
		return -1;
	for (i = m->depth; i-- > 0;) {
		bl = strlen(m->stack[i].boundary);
		if (n < 2 + bl || memcmp(p + 2, m->stack[i].boundary, bl) != 0)
			continue;
		rest = p + 2 + bl;
		k = n - 2 - bl;
		*closing = k >= 2 && rest[0] == '-' && rest[1] == '-';
		if (*closing)
			rest += 2, k -= 2;
		while (k > 0 && (*rest == ' ' || *rest == '\t'))
			rest++, k--;
		if (k == 0)
			return (int)i;
	}
	return -1;
}

/* mime_body_piece - a piece of a body line */
static void
mime_body_piece(
    struct mime_down *m, const char *p, size_t n, bool first, bool last)
{
	bool closing = false;
	int level;

	if (first && last && (level = mime_boundary(m, p, n, &closing)) >= 0) {
		mime_emit(m, p, n);
		mime_emit(m, "\r\n", 2);
		m->depth = closing ? (size_t)level : (size_t)level + 1;
		if (closing) {
			m->where = MIME_BODY;
			m->convert = false;
		} else {
			mime_entity_start(m, m->stack[level].digest);
		}
		return;
	}
	if (first) {
		m->qp_line = m->convert;
		m->line_8bit = false;
	}
	if (m->qp_line) {
		mime_qp_feed(&m->qp, &m->obuf, p, n);
		if (last)
			mime_qp_eol(&m->qp, &m->obuf);
		if (m->obuf.len >= MIME_OUT_FLUSH)
			mime_flush(m);
		return;
	}
	m->line_8bit = m->line_8bit || mime_has_8bit(p, n);
	mime_emit(m, p, n);
	if (last) {
		mime_emit(m, "\r\n", 2);
		if (m->line_8bit)
			m->stats.lines_8bit_kept++;
	}
}

/* mime_piece - a piece of a line, without its CRLF */
static void
mime_piece(struct mime_down *m, const char *p, size_t n, bool first, bool last)
{
	if (m->where == MIME_BODY) {
		mime_body_piece(m, p, n, first, last);
		return;
	}
	if (!first) {
		mime_field_add(m, p, n);
	} else if (n == 0 && last) {
		mime_head_end(m, true);
	} else if ((p[0] == ' ' || p[0] == '\t') && m->field_open) {
		mime_field_add(m, "\r\n", 2);
		mime_field_add(m, p, n);
	} else if (mime_is_field(p, n)) {
		mime_field_done(m);
		m->field_open = true;
		mime_field_add(m, p, n);
	} else {
		/* Not a header: the block ended without its empty line. */
		mime_head_end(m, false);
		mime_piece(m, p, n, first, last);
	}
}

/* mime_down_new - a converter */
struct mime_down *
mime_down_new(mime_out_fn out, void *ctx)
{
	struct mime_down *m = xcalloc(1, sizeof(*m));

	m->out = out;
	m->ctx = ctx;
	sbuf_init(&m->obuf);
	sbuf_init(&m->field);
	mime_entity_start(m, false);
	return m;
}

/* mime_down_feed - more of the message */
enum sd_status
mime_down_feed(
    struct mime_down *m, const char *buf, size_t len, struct why *why)
{
	const char *nl;
	size_t n, take;

	m->why = why;
	while (len > 0 && m->st == SD_OK) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		take = n < sizeof(m->line) - m->linelen
		    ? n
		    : sizeof(m->line) - m->linelen;
		memcpy(m->line + m->linelen, buf, take);
		m->linelen += take;
		buf += take;
		len -= take;
		if (take == n && nl != NULL) {
			buf++, len--; /* the LF */
			if (m->linelen > 0 && m->line[m->linelen - 1] == '\r')
				m->linelen--;
			mime_piece(m, m->line, m->linelen, !m->midline, true);
			m->linelen = 0;
			m->midline = false;
		} else if (m->linelen == sizeof(m->line)) {
			/* Keep a CR back: it may be the CR of a CRLF. */
			n = m->line[m->linelen - 1] == '\r' ? 1 : 0;
			mime_piece(
			    m, m->line, m->linelen - n, !m->midline, false);
			m->midline = true;
			memmove(m->line, m->line + m->linelen - n, n);
			m->linelen = n;
		}
	}
	m->why = NULL;
	return m->st;
}

/* mime_down_end - the end of the message */
enum sd_status
mime_down_end(struct mime_down *m, struct why *why)
{
	m->why = why;
	if (m->linelen > 0 || m->midline)
		mime_piece(m, m->line, m->linelen, !m->midline, true);
	m->linelen = 0;
	m->midline = false;
	if (m->where == MIME_HEAD)
		mime_head_end(m, false);
	mime_flush(m);
	m->why = NULL;
	return m->st;
}

/* mime_down_get_stats - what was done */
void
mime_down_get_stats(const struct mime_down *m, struct mime_down_stats *out)
{
	*out = m->stats;
}

/* mime_down_free - release a converter */
void
mime_down_free(struct mime_down *m)
{
	if (m == NULL)
		return;
	sbuf_fini(&m->obuf);
	sbuf_fini(&m->field);
	free(m);
}
