/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map lexer: lines, tokens, numbers, operators, %XX escapes. */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "msg.h"
#include "ovr_int.h"

static int ovr_lex_hex(unsigned char c);

/*
 * Character classes of bytes: OVR_C_SPACE separates tokens, OVR_C_PATTERN
 * may appear in a domain pattern, OVR_C_LABEL in a host name label.
 */
/* clang-format off */
const unsigned char ovr_ctype[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
	1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 6, 2, 0, /* 0x20 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0, 2, /* 0x30 */
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* 0x40 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 2, /* 0x50 */
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* 0x60 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0, /* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};
/* clang-format on */

/* The $tls: policies (a plain list: it is searched linearly). */
static const struct {
	const char *name;
	enum cfg_tls tls;
} ovr_tls_table[] = {
    {"none", CFG_TLS_NONE},
    {"may", CFG_TLS_MAY},
    {"encrypt", CFG_TLS_ENCRYPT},
    {"verify", CFG_TLS_VERIFY},
    {"dane", CFG_TLS_DANE},
    {"implicit", CFG_TLS_IMPLICIT},
};

/* The operators; a run of operator characters must be one of them. */
static const struct {
	const char *text;
	enum ovr_op op;
} ovr_op_table[] = {
    {"<", OVR_OP_LT},
    {"<=", OVR_OP_LE},
    {"=", OVR_OP_EQ},
    {"<>", OVR_OP_NE},
    {">=", OVR_OP_GE},
    {">", OVR_OP_GT},
};

/* U+21D0 LEFTWARDS DOUBLE ARROW, taken as <= with a warning. */
static const char ovr_arrow[] = "\xe2\x87\x90";

/* ovr_lex_line - next line of the buffer, without its LF */
bool
ovr_lex_line(const char *buf, size_t len, size_t *pos, struct ovr_line *ln)
{
	const char *p, *nl;
	size_t n;

	if (*pos >= len)
		return false;
	p = buf + *pos;
	nl = memchr(p, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - p) : len - *pos;
	*pos += n + (nl != NULL);
	ln->p = p;
	ln->len = n;
	return true;
}

/* ovr_lex_init - token cursor at the start of a line */
void
ovr_lex_init(struct ovr_lex *lx, const struct ovr_line *ln)
{
	lx->p = ln->p;
	lx->len = ln->len;
	lx->pos = 0;
	if (ln->no == 1 && ln->len >= 3 &&
	    memcmp(ln->p, "\xef\xbb\xbf", 3) == 0)
		lx->pos = 3;
}

/* ovr_lex_next - next token, stopping at a comment */
bool
ovr_lex_next(struct ovr_lex *lx, struct ovr_tok *t)
{
	size_t start;

	while (lx->pos < lx->len && ovr_ctype_is(lx->p[lx->pos], OVR_C_SPACE))
		lx->pos++;
	if (lx->pos >= lx->len || lx->p[lx->pos] == '#') {
		lx->pos = lx->len;
		return false;
	}
	start = lx->pos;
	while (lx->pos < lx->len && !ovr_ctype_is(lx->p[lx->pos], OVR_C_SPACE))
		lx->pos++;
	t->p = lx->p + start;
	t->len = lx->pos - start;
	t->col = start + 1;
	return true;
}

/* ovr_lex_peek - next token without moving the cursor */
bool
ovr_lex_peek(const struct ovr_lex *lx, struct ovr_tok *t)
{
	struct ovr_lex copy = *lx;

	return ovr_lex_next(&copy, t);
}

/*
 * ovr_lex_quote - printable, bounded copy of untrusted bytes
 * What looks like USER:PASSWORD@ (a ':' before the last '@') is shown
 * as USER:********@, so that no message ever carries a password.
 */
const char *
ovr_lex_quote(char *buf, size_t size, const char *p, size_t len)
{
	const char *at = memrchr(p, '@', len);
	const char *colon =
	    at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
	size_t i, o = 0;

	if (size < OVR_QUOTE_SIZE)
		msg_panic("%s: bad buffer size %zu", __func__, size);
	for (i = 0; i < len && o < OVR_QUOTE_MAX; i++) {
		unsigned char c;

		if (colon != NULL && p + i == colon + 1) {
			/* Skip the password: on at the '@'. */
			memcpy(buf + o, "********", 8);
			o += 8;
			i = (size_t)(at - p);
			colon = NULL;
			if (o >= OVR_QUOTE_MAX)
				break;
		}
		c = (unsigned char)p[i];
		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* ovr_lex_uint - decimal number with a range check */
enum ovr_num
ovr_lex_uint(
    const char *p, size_t len, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;
	bool big = false;

	if (len == 0)
		return OVR_NUM_BAD;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return OVR_NUM_BAD;
		d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (big)
		return OVR_NUM_RANGE;
	*out = v;
	return OVR_NUM_OK;
}

/* ovr_lex_size - number with an optional K, M or G suffix */
enum ovr_num
ovr_lex_size(const char *p, size_t len, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	enum ovr_num st;

	if (len > 0) {
		switch (p[len - 1]) {
		case 'k':
		case 'K':
			mul = 1024ULL;
			break;
		case 'm':
		case 'M':
			mul = 1024ULL * 1024;
			break;
		case 'g':
		case 'G':
			mul = 1024ULL * 1024 * 1024;
			break;
		default:
			break;
		}
		if (mul != 1)
			len--;
	}
	if ((st = ovr_lex_uint(p, len, ~0ULL, &v)) != OVR_NUM_OK)
		return st;
	if (v > ~0ULL / mul)
		return OVR_NUM_RANGE;
	*out = v * mul;
	return OVR_NUM_OK;
}

/* ovr_size_parse - public form of ovr_lex_size for NUL-terminated text */
bool
ovr_size_parse(const char *s, unsigned long long *out)
{
	return ovr_lex_size(s, strlen(s), out) == OVR_NUM_OK;
}

/* ovr_lex_is_op - does an operator start here */
bool
ovr_lex_is_op(const char *p, size_t len)
{
	if (len >= 3 && memcmp(p, ovr_arrow, 3) == 0)
		return true;
	return len > 0 && (p[0] == '<' || p[0] == '>' || p[0] == '=');
}

/* ovr_lex_op - read an operator */
size_t
ovr_lex_op(const char *p, size_t len, enum ovr_op *op, bool *arrow, bool *bad)
{
	size_t i, n = 0;

	*arrow = false;
	*bad = false;
	if (len >= 3 && memcmp(p, ovr_arrow, 3) == 0) {
		*op = OVR_OP_LE;
		*arrow = true;
		return 3;
	}
	while (n < len && (p[n] == '<' || p[n] == '>' || p[n] == '='))
		n++;
	if (n == 0)
		return 0;
	for (i = 0; i < sizeof(ovr_op_table) / sizeof(ovr_op_table[0]); i++) {
		if (strlen(ovr_op_table[i].text) == n &&
		    memcmp(ovr_op_table[i].text, p, n) == 0) {
			*op = ovr_op_table[i].op;
			return n;
		}
	}
	*bad = true;
	return n;
}

/* ovr_op_name - an operator as written */
const char *
ovr_op_name(enum ovr_op op)
{
	size_t i;

	for (i = 0; i < sizeof(ovr_op_table) / sizeof(ovr_op_table[0]); i++)
		if (ovr_op_table[i].op == op)
			return ovr_op_table[i].text;
	return "?";
}

/* ovr_lex_hex - value of a hex digit, -1 when none */
static int
ovr_lex_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ovr_lex_unescape - decode %XX escapes */
bool
ovr_lex_unescape(const char *p, size_t len, char *out, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (p[i] != '%') {
			out[o++] = p[i];
			continue;
		}
		if (len - i < 3)
			return false;
		hi = ovr_lex_hex((unsigned char)p[i + 1]);
		lo = ovr_lex_hex((unsigned char)p[i + 2]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	*outlen = o;
	return true;
}

/* ovr_tls_parse - look up a $tls: policy */
bool
ovr_tls_parse(const char *p, size_t len, enum cfg_tls *out)
{
	size_t i;

	for (i = 0; i < sizeof(ovr_tls_table) / sizeof(ovr_tls_table[0]); i++)
		if (strlen(ovr_tls_table[i].name) == len &&
		    strncasecmp(ovr_tls_table[i].name, p, len) == 0) {
			*out = ovr_tls_table[i].tls;
			return true;
		}
	return false;
}

/* ovr_tls_name - name of a $tls: policy */
const char *
ovr_tls_name(enum cfg_tls tls)
{
	size_t i;

	for (i = 0; i < sizeof(ovr_tls_table) / sizeof(ovr_tls_table[0]); i++)
		if (ovr_tls_table[i].tls == tls)
			return ovr_tls_table[i].name;
	return "?";
}
