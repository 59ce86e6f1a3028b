/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* tlsrpt_txt: the "_smtp._tls" TXT record (RFC 8460 section 3). */

#include <string.h>
#include <strings.h>

#include "tlsrpt.h"

#define TLSRPT_TXT_VERSION "v=TLSRPTv1" /* how a record begins */
#define TLSRPT_KEY_MAX 32 /* longest field name */

/* A cursor over bytes that are not NUL-terminated. */
struct tlsrpt_cur {
	const char *p; /* next byte */
	const char *end; /* one past the last */
};

/* tlsrpt_wsp - skip *WSP */
static void
tlsrpt_wsp(struct tlsrpt_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* tlsrpt_alnum - ALPHA / DIGIT */
static bool
tlsrpt_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

/* tlsrpt_uri_char - a URI character that is no delimiter here */
static bool
tlsrpt_uri_char(int ch)
{
	return ch >= 0x21 && ch <= 0x7e && ch != ',' && ch != ';';
}

/* tlsrpt_rua - rua= URI *(*WSP "," *WSP URI); the usable ones kept */
static bool
tlsrpt_rua(struct tlsrpt_cur *c, struct tlsrpt_txt *out)
{
	const char *u;
	size_t n;

	for (;;) {
		u = c->p;
		while (c->p < c->end && tlsrpt_uri_char(*c->p))
			c->p++;
		n = (size_t)(c->p - u);
		if (n == 0)
			return false;
		if (((n > 7 && strncasecmp(u, "mailto:", 7) == 0) ||
		        (n > 8 && strncasecmp(u, "https://", 8) == 0)) &&
		    n <= TLSRPT_URI_MAX && out->n < TLSRPT_RUA_MAX) {
			memcpy(out->uri[out->n], u, n);
			out->uri[out->n++][n] = '\0';
		}
		tlsrpt_wsp(c);
		if (c->p >= c->end || *c->p != ',')
			return true;
		c->p++;
		tlsrpt_wsp(c);
	}
}

/* tlsrpt_field - one field: rua, or an extension (ignored) */
static bool
tlsrpt_field(struct tlsrpt_cur *c, struct tlsrpt_txt *out, bool *has_rua)
{
	char key[TLSRPT_KEY_MAX + 1];
	size_t n = 0;
	const char *v;

	if (c->p >= c->end || !tlsrpt_alnum(*c->p))
		return false;
	while (c->p < c->end && n < TLSRPT_KEY_MAX &&
	    (tlsrpt_alnum(*c->p) || *c->p == '_' || *c->p == '-' ||
	        *c->p == '.'))
		key[n++] = *c->p++;
	key[n] = '\0';
	if (c->p >= c->end || *c->p != '=')
		return false;
	c->p++;
	if (strcmp(key, "rua") == 0) {
		if (*has_rua)
			return false;
		*has_rua = true;
		return tlsrpt_rua(c, out);
	}
	v = c->p;
	while (c->p < c->end && *c->p >= 0x21 && *c->p <= 0x7e &&
	    *c->p != '=' && *c->p != ';')
		c->p++;
	return c->p > v;
}

/* tlsrpt_txt_parse - one record; NONE when not v=TLSRPTv1 */
static enum tlsrpt_txt_status
tlsrpt_txt_parse(const char *text, size_t len, struct tlsrpt_txt *out)
{
	struct tlsrpt_cur c = {text, text + len};
	const size_t vl = sizeof(TLSRPT_TXT_VERSION) - 1;
	bool has_rua = false;

	if (len < vl || memcmp(text, TLSRPT_TXT_VERSION, vl) != 0 ||
	    (len > vl && text[vl] != ';' && text[vl] != ' ' &&
	        text[vl] != '\t'))
		return TLSRPT_TXT_NONE;
	memset(out, 0, sizeof(*out));
	c.p += vl;
	for (;;) {
		tlsrpt_wsp(&c);
		if (c.p >= c.end)
			break;
		if (*c.p != ';')
			return TLSRPT_TXT_INVALID;
		c.p++;
		tlsrpt_wsp(&c);
		if (c.p >= c.end)
			break;
		if (!tlsrpt_field(&c, out, &has_rua))
			return TLSRPT_TXT_INVALID;
	}
	return has_rua ? TLSRPT_TXT_OK : TLSRPT_TXT_INVALID;
}

/* tlsrpt_txt_pick - the one v=TLSRPTv1 record */
enum tlsrpt_txt_status
tlsrpt_txt_pick(const char *const *texts, const size_t *lens, size_t n,
    struct tlsrpt_txt *out, struct why *why)
{
	enum tlsrpt_txt_status st, got = TLSRPT_TXT_NONE;
	struct tlsrpt_txt t;
	size_t i, found = 0;

	for (i = 0; i < n; i++) {
		st = tlsrpt_txt_parse(texts[i], lens[i], &t);
		if (st == TLSRPT_TXT_NONE)
			continue;
		if (++found > 1) {
			why_set(why, "4.7.0", "several TLSRPT TXT records");
			return TLSRPT_TXT_INVALID;
		}
		got = st;
		if (st == TLSRPT_TXT_OK)
			*out = t;
		else
			why_set(why, "4.7.0", "malformed TLSRPT TXT record");
	}
	return got;
}
