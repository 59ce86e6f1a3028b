/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* sts_parse: the MTA-STS TXT record, the policy body, MX patterns. */

#include <stdio.h>
#include <string.h>

#include "sts.h"

#define STS_VERSION "STSv1" /* the only version */
#define STS_TXT_VERSION "v=STSv1" /* how a TXT record begins */

/* A cursor over bytes that are not NUL-terminated. */
struct sts_cur {
	const char *p; /* next byte */
	const char *end; /* one past the last */
};

/* sts_is_alnum - ALPHA / DIGIT */
static bool
sts_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* sts_is_wsp - WSP: space or tab */
static bool
sts_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* sts_skip_wsp - *WSP */
static void
sts_skip_wsp(struct sts_cur *c)
{
	while (c->p < c->end && sts_is_wsp(*c->p))
		c->p++;
}

/*
 * sts_key - a key, (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
 * "."), into key (STS_KEY_MAX + 1 bytes); false when there is none
 */
static bool
sts_key(struct sts_cur *c, char *key)
{
	size_t n = 0;

	if (c->p >= c->end || !sts_is_alnum(*c->p))
		return false;
	while (c->p < c->end && n < STS_KEY_MAX &&
	    (sts_is_alnum(*c->p) || *c->p == '_' || *c->p == '-' ||
	        *c->p == '.'))
		key[n++] = *c->p++;
	key[n] = '\0';
	return true;
}

/* sts_txt_value_char - %x21-3A / %x3C / %x3E-7E (no ";", "=", space) */
static bool
sts_txt_value_char(int c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

/* sts_txt_field - one "key=value" of a TXT record */
static bool
sts_txt_field(struct sts_cur *c, struct sts_txt *out, bool *has_id)
{
	char key[STS_KEY_MAX + 1];
	const char *v;
	size_t n;

	if (!sts_key(c, key) || c->p >= c->end || *c->p != '=')
		return false;
	v = ++c->p;
	while (c->p < c->end && sts_txt_value_char(*c->p))
		c->p++;
	n = (size_t)(c->p - v);
	if (n == 0)
		return false;
	if (strcmp(key, "id") != 0)
		return true; /* an extension: ignored */
	for (size_t i = 0; i < n; i++)
		if (!sts_is_alnum(v[i]))
			return false;
	if (n > STS_ID_MAX)
		return false;
	if (!*has_id) {
		memcpy(out->id, v, n);
		out->id[n] = '\0';
		*has_id = true;
	}
	return true;
}

/* sts_txt_parse - one TXT record */
enum sts_status
sts_txt_parse(
    const char *text, size_t len, struct sts_txt *out, struct why *why)
{
	struct sts_cur c = {text, text + len};
	const size_t vl = sizeof(STS_TXT_VERSION) - 1;
	struct sts_txt t;
	bool has_id = false;

	if (len < vl || memcmp(text, STS_TXT_VERSION, vl) != 0 ||
	    (len > vl && text[vl] != ';' && !sts_is_wsp(text[vl])))
		return STS_NONE;
	memset(&t, 0, sizeof(t));
	c.p += vl;
	/* 1*(field-delim field) [field-delim], field-delim *WSP ";" *WSP */
	for (;;) {
		sts_skip_wsp(&c);
		if (c.p >= c.end)
			break;
		if (*c.p != ';')
			goto bad;
		c.p++;
		sts_skip_wsp(&c);
		if (c.p >= c.end)
			break;
		if (!sts_txt_field(&c, &t, &has_id))
			goto bad;
	}
	if (!has_id) {
		why_set(why, "4.7.0", "MTA-STS TXT record without a valid id");
		return STS_INVALID;
	}
	*out = t;
	return STS_OK;

bad:
	why_set(why, "4.7.0", "MTA-STS TXT record malformed at byte %zu",
	    (size_t)(c.p - text) + 1);
	return STS_INVALID;
}

/* sts_txt_pick - the one policy record among several */
enum sts_status
sts_txt_pick(const char *const *texts, const size_t *lens, size_t n,
    struct sts_txt *out, struct why *why)
{
	enum sts_status st, got = STS_NONE;
	struct sts_txt t;
	struct why w;
	size_t i, found = 0;

	for (i = 0; i < n; i++) {
		st = sts_txt_parse(texts[i], lens[i], &t, &w);
		if (st == STS_NONE)
			continue;
		if (++found > 1) {
			why_set(why, "4.7.0", "several MTA-STS TXT records");
			return STS_INVALID;
		}
		got = st;
		if (st == STS_OK)
			*out = t;
		else
			*why = w;
	}
	return got;
}

/*
 * sts_label - a label of a Domain (RFC 5321: Let-dig [Ldh-str]), lower
 * case into out; false when malformed
 */
static bool
sts_label(const char *s, size_t n, char *out)
{
	size_t i;

	if (n == 0 || n > 63 || !sts_is_alnum(s[0]) || !sts_is_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (!sts_is_alnum(s[i]) && s[i] != '-')
			return false;
		out[i] =
		    (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	}
	return true;
}

/*
 * sts_domain - a Domain of n bytes (one trailing dot allowed), lower
 * case into out (STS_HOST_MAX + 1 bytes); false when malformed
 */
static bool
sts_domain(const char *s, size_t n, char *out)
{
	size_t i = 0, j, len = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > STS_HOST_MAX)
		return false;
	while (i < n) {
		for (j = i; j < n && s[j] != '.'; j++)
			;
		if (!sts_label(s + i, j - i, out + len))
			return false;
		len += j - i;
		if (j < n)
			out[len++] = '.';
		i = j + 1;
		if (j < n && i == n)
			return false; /* an empty last label */
	}
	out[len] = '\0';
	return true;
}

/* sts_policy_mx - an mx value, ["*."] Domain */
static bool
sts_policy_mx(struct sts_policy *p, const char *v, size_t n)
{
	char *pat;

	if (p->mx_n >= STS_MX_MAX)
		return false;
	pat = p->mx[p->mx_n];
	if (n >= 2 && v[0] == '*' && v[1] == '.') {
		pat[0] = '*';
		pat[1] = '.';
		if (!sts_domain(v + 2, n - 2, pat + 2))
			return false;
	} else if (!sts_domain(v, n, pat)) {
		return false;
	}
	p->mx_n++;
	return true;
}

/* sts_policy_max_age - 1*10 DIGIT, capped at STS_MAX_AGE_MAX */
static bool
sts_policy_max_age(const char *v, size_t n, unsigned long *out)
{
	unsigned long long x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = x > STS_MAX_AGE_MAX ? STS_MAX_AGE_MAX : (unsigned long)x;
	return true;
}

/* Which keys were seen. */
#define STS_SEEN_VERSION 0x1
#define STS_SEEN_MODE 0x2
#define STS_SEEN_MAX_AGE 0x4

/* sts_policy_field - one "key: value" line; false when malformed */
static bool
sts_policy_field(const char *key, const char *v, size_t n, struct sts_policy *p,
    unsigned *seen)
{
	unsigned long age;
	size_t i;

	if (strcmp(key, "mx") == 0)
		return sts_policy_mx(p, v, n);
	if (strcmp(key, "version") == 0) {
		if (n != sizeof(STS_VERSION) - 1 ||
		    memcmp(v, STS_VERSION, n) != 0)
			return false;
		*seen |= STS_SEEN_VERSION;
	} else if (strcmp(key, "mode") == 0) {
		enum sts_mode m;

		if (n == 7 && memcmp(v, "enforce", 7) == 0)
			m = STS_MODE_ENFORCE;
		else if (n == 7 && memcmp(v, "testing", 7) == 0)
			m = STS_MODE_TESTING;
		else if (n == 4 && memcmp(v, "none", 4) == 0)
			m = STS_MODE_NONE;
		else
			return false;
		if ((*seen & STS_SEEN_MODE) == 0)
			p->mode = m;
		*seen |= STS_SEEN_MODE;
	} else if (strcmp(key, "max_age") == 0) {
		if (!sts_policy_max_age(v, n, &age))
			return false;
		if ((*seen & STS_SEEN_MAX_AGE) == 0)
			p->max_age = age;
		*seen |= STS_SEEN_MAX_AGE;
	} else {
		/* An extension: a value of printable characters. */
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				return false;
	}
	return true;
}

/* sts_policy_line - one line (without its end) */
static bool
sts_policy_line(const char *s, size_t n, struct sts_policy *p, unsigned *seen)
{
	struct sts_cur c = {s, s + n};
	char key[STS_KEY_MAX + 1];
	const char *v;

	if (!sts_key(&c, key) || c.p >= c.end || *c.p != ':')
		return false;
	c.p++;
	sts_skip_wsp(&c);
	v = c.p;
	/* Trailing *WSP belongs to the line, not to the value. */
	while (c.end > v && sts_is_wsp(c.end[-1]))
		c.end--;
	return sts_policy_field(key, v, (size_t)(c.end - v), p, seen);
}

/* sts_policy_parse - a whole policy body */
enum sts_status
sts_policy_parse(
    const char *body, size_t len, struct sts_policy *out, struct why *why)
{
	struct sts_policy p;
	const char *s = body, *end = body + len, *nl;
	unsigned seen = 0;
	size_t line = 0, n;

	if (len > STS_POLICY_MAX) {
		why_set(why, "4.7.0", "MTA-STS policy larger than %d bytes",
		    STS_POLICY_MAX);
		return STS_INVALID;
	}
	memset(&p, 0, sizeof(p));
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl != NULL ? nl : end) - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		/* Blank lines are let pass, as most publishers' tools do. */
		if (n > 0 && !sts_policy_line(s, n, &p, &seen)) {
			why_set(why, "4.7.0",
			    "MTA-STS policy line %zu malformed", line);
			return STS_INVALID;
		}
		s = nl != NULL ? nl + 1 : end;
	}
	if ((seen & STS_SEEN_VERSION) == 0 || (seen & STS_SEEN_MODE) == 0 ||
	    (seen & STS_SEEN_MAX_AGE) == 0) {
		why_set(why, "4.7.0", "MTA-STS policy without %s",
		    (seen & STS_SEEN_VERSION) == 0    ? "version"
		        : (seen & STS_SEEN_MODE) == 0 ? "mode"
		                                      : "max_age");
		return STS_INVALID;
	}
	if (p.mode != STS_MODE_NONE && p.mx_n == 0) {
		why_set(why, "4.7.0", "MTA-STS policy in mode %s without mx",
		    sts_mode_name(p.mode));
		return STS_INVALID;
	}
	*out = p;
	return STS_OK;
}

/* sts_policy_mx_match - section 4.1 */
bool
sts_policy_mx_match(const struct sts_policy *p, const char *host)
{
	char h[STS_HOST_MAX + 1];
	const char *rest;
	size_t i;

	if (!sts_domain(host, strlen(host), h))
		return false;
	rest = strchr(h, '.');
	for (i = 0; i < p->mx_n; i++) {
		const char *pat = p->mx[i];

		if (pat[0] == '*') {
			/* Exactly one label: "*.b.c" takes "a.b.c" only. */
			if (rest != NULL && strcmp(rest + 1, pat + 2) == 0)
				return true;
		} else if (strcmp(h, pat) == 0) {
			return true;
		}
	}
	return false;
}

/* sts_mode_name - for logs and reports */
const char *
sts_mode_name(enum sts_mode mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	default:
		return "none";
	}
}
