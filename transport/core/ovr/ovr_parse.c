/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map parser: lines, patterns, qualifiers, committing rules. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idn.h"
#include "msg.h"
#include "ovr_int.h"
#include "xalloc.h"

#define OVR_MSG_MAX 256 /* longest parser message */

/* Qualifier names. */
enum ovr_qual {
	OVR_Q_PRIORITY, /* $priority:N */
	OVR_Q_SIZE, /* $size<op>N */
	OVR_Q_RETRIES, /* $retries<op>N */
	OVR_Q_END, /* $end */
	OVR_Q_TLS /* $tls:POLICY */
};

/* The qualifiers and options (a plain list: searched linearly). */
static const struct {
	const char *name;
	enum ovr_qual q;
} ovr_qual_table[] = {
    {"priority", OVR_Q_PRIORITY},
    {"size", OVR_Q_SIZE},
    {"retries", OVR_Q_RETRIES},
    {"end", OVR_Q_END},
    {"tls", OVR_Q_TLS},
};

/* One line being parsed: what goes into the map once the line is good. */
struct ovr_pending {
	struct ovr_rule r; /* the rule, without host and conditions */
	struct ovr_pos pos; /* token columns */
	char host[OVR_DOMAIN_MAX + 1]; /* target host, lower case */
	struct ovr_cond size[OVR_COND_MAX]; /* $size conditions */
	struct ovr_cond retries[OVR_COND_MAX]; /* $retries conditions */
	unsigned seen; /* options given, a bit per enum ovr_qual */
};

/* Target host names already stored, so that repeated relays share one. */
struct ovr_intern {
	char **slot; /* strings in the arena, NULL when empty */
	size_t mask; /* capacity - 1 */
	size_t n; /* strings stored */
};

/* State of one parse. */
struct ovr_parser {
	struct ovr_map *map; /* the map being filled */
	struct diag_list *dl; /* where problems go */
	unsigned long line; /* current line number */
	struct ovr_intern intern; /* target hosts */
	char q[OVR_QUOTE_SIZE]; /* a token quoted for a message */
};

static void ovr_parse_error(struct ovr_parser *ps, unsigned long col,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *ovr_parse_q(struct ovr_parser *ps, const struct ovr_tok *t);
static void ovr_parse_line(struct ovr_parser *ps, const struct ovr_line *ln);
static bool ovr_parse_pattern(
    struct ovr_parser *ps, const struct ovr_tok *t, struct ovr_pending *pd);
static bool ovr_parse_qual(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, struct ovr_pending *pd);
static bool ovr_parse_option(struct ovr_parser *ps, const struct ovr_tok *t,
    size_t nlen, enum ovr_qual k, struct ovr_pending *pd);
static bool ovr_parse_cond(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, size_t nlen, enum ovr_qual k,
    struct ovr_pending *pd);
static void ovr_parse_add(struct ovr_parser *ps, struct ovr_pending *pd);
static char *ovr_intern_host(struct ovr_parser *ps, const char *host);

/* ovr_parser_new - start a parse */
struct ovr_parser *
ovr_parser_new(const char *name, struct diag_list *dl)
{
	struct ovr_parser *ps = xcalloc(1, sizeof(*ps));

	ps->map = ovr_map_new(name);
	ps->dl = dl;
	ps->line = 0;
	ps->intern.mask = 63;
	ps->intern.n = 0;
	ps->intern.slot = xcalloc(ps->intern.mask + 1, sizeof(char *));
	return ps;
}

/* ovr_parser_line - parse one more line */
void
ovr_parser_line(struct ovr_parser *ps, const char *p, size_t len)
{
	struct ovr_line ln;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	ln.p = p;
	ln.len = len;
	ln.no = ++ps->line;
	ovr_parse_line(ps, &ln);
}

/* ovr_parser_long_line - a line too long to be held */
void
ovr_parser_long_line(struct ovr_parser *ps)
{
	ps->line++;
	ovr_parse_error(
	    ps, OVR_LINE_MAX + 1, "line longer than %d bytes", OVR_LINE_MAX);
}

/* ovr_parser_fail - an error about the whole input */
void
ovr_parser_fail(struct ovr_parser *ps, const char *text)
{
	diag_add(ps->dl, DIAG_ERROR, ps->map->name, 0, 0, "%s", text);
}

/* ovr_parser_finish - index the map and hand it over */
struct ovr_map *
ovr_parser_finish(struct ovr_parser *ps)
{
	struct ovr_map *map = ps->map;

	if (map->n > 0 && map->n < map->cap) {
		map->rules =
		    xreallocarray(map->rules, map->n, sizeof(*map->rules));
		map->pos = xreallocarray(map->pos, map->n, sizeof(*map->pos));
		map->cap = map->n;
	}
	ovr_index_build(map);
	free(ps->intern.slot);
	free(ps);
	return map;
}

/* ovr_parse_error - an error at a column of the current line */
static void
ovr_parse_error(struct ovr_parser *ps, unsigned long col, const char *fmt, ...)
{
	char buf[OVR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, col, "%s", buf);
}

/* ovr_parse_q - a token quoted for a message; valid until the next call */
static const char *
ovr_parse_q(struct ovr_parser *ps, const struct ovr_tok *t)
{
	return ovr_lex_quote(ps->q, sizeof(ps->q), t->p, t->len);
}

/* ovr_parse_line - one line: pattern, target, qualifiers */
static void
ovr_parse_line(struct ovr_parser *ps, const struct ovr_line *ln)
{
	struct ovr_map *map = ps->map;
	struct ovr_pending pd;
	struct ovr_lex lx;
	struct ovr_tok t;
	size_t mark;
	bool ok, more;

	if (ln->len > OVR_LINE_MAX) {
		ovr_parse_error(ps, OVR_LINE_MAX + 1,
		    "line longer than %d bytes", OVR_LINE_MAX);
		return;
	}
	ovr_lex_init(&lx, ln);
	if (!ovr_lex_next(&lx, &t))
		return;
	/* Room for every string of the line in one block, for rollback. */
	ovr_arena_reserve(map, ln->len + 64);
	mark = ovr_arena_mark(map);
	/* Only the rule is cleared: the other buffers are written first. */
	pd.r.line = ln->no;
	pd.r.pattern = NULL;
	pd.r.target.host = NULL;
	pd.r.target.kind = OVR_HOST_NAME;
	pd.r.target.port = OVR_PORT_DEFAULT;
	pd.r.target.user = pd.r.target.pass = NULL;
	pd.r.target.user_len = pd.r.target.pass_len = 0;
	pd.r.priority = OVR_PRIORITY_DEFAULT;
	pd.r.size = pd.r.retries = NULL;
	pd.r.nsize = pd.r.nretries = 0;
	pd.r.end = pd.r.has_tls = false;
	pd.r.tls = CFG_TLS_MAY;
	pd.seen = 0;
	pd.host[0] = '\0';
	pd.pos.pcol = (uint16_t)t.col;
	pd.pos.tcol = 0;
	ok = ovr_parse_pattern(ps, &t, &pd);
	more = ovr_lex_next(&lx, &t);
	if (!more || t.p[0] == '$') {
		ovr_parse_error(
		    ps, pd.pos.pcol, "missing target after the domain pattern");
		ok = false;
	} else {
		pd.pos.tcol = (uint16_t)t.col;
		if (!ovr_target_parse(
		        map, &t, ln->no, &pd.r.target, pd.host, ps->dl))
			ok = false;
		more = ovr_lex_next(&lx, &t);
	}
	for (; more; more = ovr_lex_next(&lx, &t))
		if (!ovr_parse_qual(ps, &lx, &t, &pd))
			ok = false;
	if (ok && map->n >= OVR_RULES_MAX) {
		ovr_parse_error(ps, pd.pos.pcol, "too many lines");
		ok = false;
	}
	/* Port 465 is implicit TLS (RFC 8314) unless $tls: says otherwise. */
	if (ok && !pd.r.has_tls && pd.r.target.port == OVR_PORT_IMPLICIT) {
		pd.r.has_tls = true;
		pd.r.tls = CFG_TLS_IMPLICIT;
	}
	/* A bad line is dropped, and its strings (maybe a password) wiped. */
	if (ok)
		ovr_parse_add(ps, &pd);
	else
		ovr_arena_rollback(map, mark);
}

/* ovr_parse_add - append a valid rule */
static void
ovr_parse_add(struct ovr_parser *ps, struct ovr_pending *pd)
{
	struct ovr_map *map = ps->map;
	struct ovr_cond *c;

	if (map->n == map->cap) {
		map->cap = map->cap > 0 ? map->cap * 2 : 64;
		map->rules =
		    xreallocarray(map->rules, map->cap, sizeof(*map->rules));
		map->pos = xreallocarray(map->pos, map->cap, sizeof(*map->pos));
	}
	pd->r.target.host = ovr_intern_host(ps, pd->host);
	if (pd->r.nsize + pd->r.nretries > 0) {
		c = ovr_arena_alloc(
		    map, (pd->r.nsize + pd->r.nretries) * sizeof(*c));
		memcpy(c, pd->size, pd->r.nsize * sizeof(*c));
		memcpy(
		    c + pd->r.nsize, pd->retries, pd->r.nretries * sizeof(*c));
		pd->r.size = c;
		pd->r.retries = c + pd->r.nsize;
	}
	map->rules[map->n] = pd->r;
	map->pos[map->n] = pd->pos;
	map->n++;
	if (pd->r.target.user != NULL)
		map->ncred++;
}

/* ovr_intern_host - the stored copy of a host name, adding it if new */
static char *
ovr_intern_host(struct ovr_parser *ps, const char *host)
{
	struct ovr_intern *in = &ps->intern;
	size_t len = strlen(host), at, i;
	uint64_t h = OVR_HASH_SEED;
	char **old, *s;

	for (i = 0; i < len; i++)
		h = ovr_hash_step(h, (unsigned char)host[i]);
	h = ovr_hash_mix(h);
	for (at = h & in->mask; in->slot[at] != NULL; at = (at + 1) & in->mask)
		if (strcmp(in->slot[at], host) == 0)
			return in->slot[at];
	s = ovr_arena_put(ps->map, host, len);
	in->slot[at] = s;
	if (++in->n * 2 <= in->mask)
		return s;
	/* Grow to keep the table at most half full. */
	old = in->slot;
	in->mask = in->mask * 2 + 1;
	in->slot = xcalloc(in->mask + 1, sizeof(char *));
	for (i = 0; i <= in->mask / 2; i++) {
		if (old[i] == NULL)
			continue;
		len = strlen(old[i]);
		h = OVR_HASH_SEED;
		for (at = 0; at < len; at++)
			h = ovr_hash_step(h, (unsigned char)old[i][at]);
		h = ovr_hash_mix(h);
		for (at = h & in->mask; in->slot[at] != NULL;
		     at = (at + 1) & in->mask)
			continue;
		in->slot[at] = old[i];
	}
	free(old);
	return s;
}

/* ovr_parse_pattern - validate and store a domain pattern, lower case */
static bool
ovr_parse_pattern(
    struct ovr_parser *ps, const struct ovr_tok *t, struct ovr_pending *pd)
{
	size_t i, len = t->len;
	char *s, uni[OVR_DOMAIN_MAX + 1], ascii[OVR_DOMAIN_MAX + 1];
	const char *p = t->p, *err;

	if (len > 1 && t->p[len - 1] == '.')
		len--;
	if (len <= OVR_DOMAIN_MAX) {
		memcpy(uni, t->p, len);
		uni[len] = '\0';
	}
	if (len <= OVR_DOMAIN_MAX && !idn_is_ascii(uni)) {
		/* U-labels: matched as A-labels, as route_domain_of() gives. */
		if (idn_to_ascii(uni, ascii, sizeof(ascii), &err) == IDN_BAD) {
			ovr_parse_error(ps, t->col,
			    "bad domain pattern \"%s\": not a valid "
			    "internationalised domain name (%s)",
			    ovr_parse_q(ps, t), err);
			return false;
		}
		diag_add(ps->dl, DIAG_WARNING, ps->map->name, ps->line, t->col,
		    "domain pattern \"%s\" is in Unicode (U-labels): it "
		    "matches as \"%s\"",
		    ovr_parse_q(ps, t), ascii);
		p = ascii;
		len = strlen(ascii);
	}
	if (len > OVR_DOMAIN_MAX) {
		ovr_parse_error(ps, t->col,
		    "bad domain pattern \"%s\": longer than %d characters",
		    ovr_parse_q(ps, t), OVR_DOMAIN_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!ovr_ctype_is((char)c, OVR_C_PATTERN)) {
			ovr_parse_error(ps, t->col,
			    "bad domain pattern \"%s\": character 0x%02x "
			    "not allowed",
			    ovr_parse_q(ps, t), c);
			return false;
		}
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '.' &&
		    (i == 0 || i + 1 == len || p[i + 1] == '.')) {
			/* "a..b", ".a", "a..": no domain has an empty label
			 * (and a trailing dot is taken off only once). */
			ovr_parse_error(ps, t->col,
			    "bad domain pattern \"%s\": empty label",
			    ovr_parse_q(ps, t));
			return false;
		}
	}
	s = ovr_arena_put(ps->map, p, len);
	for (i = 0; i < len; i++)
		s[i] = (char)ovr_lower((unsigned char)s[i]);
	pd->r.pattern = s;
	pd->pos.plen = (uint8_t)len;
	pd->pos.slen = (uint8_t)ovr_index_suffix_len(s, len);
	return true;
}

/* ovr_parse_qual - one $qualifier or $option token */
static bool
ovr_parse_qual(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, struct ovr_pending *pd)
{
	size_t i, nlen = 1;

	if (t->p[0] != '$') {
		ovr_parse_error(ps, t->col,
		    "unexpected \"%s\" after the target (qualifiers start "
		    "with $)",
		    ovr_parse_q(ps, t));
		return false;
	}
	while (nlen < t->len && t->p[nlen] != ':' &&
	    !ovr_lex_is_op(t->p + nlen, t->len - nlen))
		nlen++;
	for (i = 0; i < sizeof(ovr_qual_table) / sizeof(ovr_qual_table[0]);
	     i++) {
		enum ovr_qual k = ovr_qual_table[i].q;

		if (strlen(ovr_qual_table[i].name) != nlen - 1 ||
		    strncasecmp(ovr_qual_table[i].name, t->p + 1, nlen - 1) !=
		        0)
			continue;
		if (k == OVR_Q_SIZE || k == OVR_Q_RETRIES)
			return ovr_parse_cond(ps, lx, t, nlen, k, pd);
		return ovr_parse_option(ps, t, nlen, k, pd);
	}
	ovr_parse_error(ps, t->col, "unknown option %s", ovr_parse_q(ps, t));
	return false;
}

/* ovr_parse_option - $end, $priority:N, $tls:POLICY */
static bool
ovr_parse_option(struct ovr_parser *ps, const struct ovr_tok *t, size_t nlen,
    enum ovr_qual k, struct ovr_pending *pd)
{
	const char *v = t->p + nlen + 1;
	size_t vlen = t->len > nlen ? t->len - nlen - 1 : 0;
	unsigned long long n = 0;
	enum ovr_num st;

	if (k == OVR_Q_END) {
		if (nlen == t->len) {
			pd->r.end = true;
			return true;
		}
		ovr_parse_error(ps, t->col,
		    "malformed qualifier %s: $end takes no value",
		    ovr_parse_q(ps, t));
		return false;
	}
	if (nlen == t->len || t->p[nlen] != ':') {
		ovr_parse_error(ps, t->col, "malformed qualifier %s: want %s",
		    ovr_parse_q(ps, t),
		    k == OVR_Q_TLS ? "$tls:POLICY" : "$priority:N");
		return false;
	}
	if (pd->seen & (1U << k)) {
		ovr_parse_error(ps, t->col,
		    "malformed qualifier %s: %s given twice",
		    ovr_parse_q(ps, t), k == OVR_Q_TLS ? "$tls" : "$priority");
		return false;
	}
	pd->seen |= 1U << k;
	if (k == OVR_Q_TLS) {
		if (ovr_tls_parse(v, vlen, &pd->r.tls)) {
			pd->r.has_tls = true;
			return true;
		}
		ovr_parse_error(
		    ps, t->col, "unknown option %s", ovr_parse_q(ps, t));
		return false;
	}
	st = ovr_lex_uint(v, vlen, OVR_PRIORITY_MAX, &n);
	if (st == OVR_NUM_OK) {
		pd->r.priority = (unsigned)n;
		return true;
	}
	if (st == OVR_NUM_BAD)
		ovr_parse_error(
		    ps, t->col, "malformed number in %s", ovr_parse_q(ps, t));
	else
		ovr_parse_error(ps, t->col,
		    "malformed qualifier %s: priority above %d",
		    ovr_parse_q(ps, t), OVR_PRIORITY_MAX);
	return false;
}

/* ovr_parse_spaced - "$size > 10": eat the loose operator and number */
static void
ovr_parse_spaced(struct ovr_lex *lx, bool want_op)
{
	struct ovr_tok nt;
	enum ovr_op op;
	bool arrow, bad;

	if (want_op && ovr_lex_peek(lx, &nt) && ovr_lex_is_op(nt.p, nt.len)) {
		ovr_lex_next(lx, &nt);
		if (ovr_lex_op(nt.p, nt.len, &op, &arrow, &bad) < nt.len)
			return;
	}
	if (ovr_lex_peek(lx, &nt) && nt.p[0] >= '0' && nt.p[0] <= '9')
		ovr_lex_next(lx, &nt);
}

/* ovr_parse_cond - $size<op>N or $retries<op>N */
static bool
ovr_parse_cond(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, size_t nlen, enum ovr_qual k,
    struct ovr_pending *pd)
{
	const char *rest = t->p + nlen;
	size_t oplen, rlen = t->len - nlen;
	size_t *np = k == OVR_Q_SIZE ? &pd->r.nsize : &pd->r.nretries;
	struct ovr_cond c = {OVR_OP_EQ, 0};
	struct ovr_tok nt;
	bool arrow, bad;
	enum ovr_num st;

	if (rlen == 0 && ovr_lex_peek(lx, &nt) && ovr_lex_is_op(nt.p, nt.len)) {
		ovr_parse_spaced(lx, true);
		ovr_parse_error(
		    ps, t->col, "spaces must not surround the operator");
		return false;
	}
	oplen = ovr_lex_op(rest, rlen, &c.op, &arrow, &bad);
	if (oplen == 0 || bad) {
		ovr_parse_error(ps, t->col, "malformed qualifier %s: %s",
		    ovr_parse_q(ps, t),
		    oplen == 0 ? "operator expected"
		               : "operator must be <>, <, =, >, >= or <=");
		return false;
	}
	if (arrow)
		diag_add(ps->dl, DIAG_WARNING, ps->map->name, ps->line,
		    t->col + nlen, "\xe2\x87\x90 (U+21D0) taken as <=");
	if (oplen == rlen) {
		if (ovr_lex_peek(lx, &nt) && nt.p[0] >= '0' && nt.p[0] <= '9') {
			ovr_parse_spaced(lx, false);
			ovr_parse_error(ps, t->col,
			    "spaces must not surround the operator");
		} else {
			ovr_parse_error(ps, t->col,
			    "malformed qualifier %s: number expected",
			    ovr_parse_q(ps, t));
		}
		return false;
	}
	st = k == OVR_Q_SIZE
	    ? ovr_lex_size(rest + oplen, rlen - oplen, &c.n)
	    : ovr_lex_uint(rest + oplen, rlen - oplen, ~0ULL, &c.n);
	if (st != OVR_NUM_OK) {
		ovr_parse_error(ps, t->col,
		    st == OVR_NUM_BAD
		        ? "malformed number in %s"
		        : "malformed qualifier %s: number too large",
		    ovr_parse_q(ps, t));
		return false;
	}
	if (*np >= OVR_COND_MAX) {
		ovr_parse_error(ps, t->col,
		    "malformed qualifier %s: more than %d %s conditions",
		    ovr_parse_q(ps, t), OVR_COND_MAX,
		    k == OVR_Q_SIZE ? "$size" : "$retries");
		return false;
	}
	if (k == OVR_Q_SIZE)
		pd->size[(*np)++] = c;
	else
		pd->retries[(*np)++] = c;
	return true;
}
