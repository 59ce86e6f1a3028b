/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map parser: reading the file, lines, patterns, qualifiers. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "ovr_int.h"
#include "xalloc.h"

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

/* State of one parse. */
struct ovr_parser {
	struct ovr_map *map; /* the map being filled */
	struct diag_list *dl; /* where problems go */
	size_t cap; /* rules allocated */
	unsigned long line; /* current line number */
};

static size_t ovr_count_lines(const char *buf, size_t len);
static void ovr_parse_line(struct ovr_parser *ps, const struct ovr_line *ln);
static bool ovr_parse_pattern(
    struct ovr_parser *ps, const struct ovr_tok *t, struct ovr_rule *r);
static bool ovr_parse_qual(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, struct ovr_rule *r, unsigned *seen);
static bool ovr_parse_cond(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, size_t nlen, enum ovr_qual q, struct ovr_rule *r);
static bool ovr_parse_option(struct ovr_parser *ps, const struct ovr_tok *t,
    size_t nlen, enum ovr_qual q, struct ovr_rule *r, unsigned *seen);
static void ovr_parse_add(
    struct ovr_parser *ps, const struct ovr_rule *r, struct ovr_pos pos);
static bool ovr_read_all(int fd, const struct stat *st, char **bufp,
    size_t *lenp, size_t *capp, const char *path, struct diag_list *dl);

/* ovr_arena_put - copy n bytes and a NUL into the arena */
char *
ovr_arena_put(struct ovr_map *map, const char *p, size_t n)
{
	char *s;

	if (n >= map->arena_cap - map->arena_used)
		msg_panic("%s: arena overflow (%zu bytes)", __func__, n);
	s = map->arena + map->arena_used;
	memcpy(s, p, n);
	s[n] = '\0';
	map->arena_used += n + 1;
	return s;
}

/* ovr_count_lines - number of lines in a buffer (an upper bound on rules) */
static size_t
ovr_count_lines(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n = 1;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* ovr_map_parse - parse map text and index it */
struct ovr_map *
ovr_map_parse(
    const char *name, const char *buf, size_t len, struct diag_list *dl)
{
	struct ovr_parser ps;
	struct ovr_line ln;
	size_t pos = 0, nlines;

	ps.map = xcalloc(1, sizeof(*ps.map));
	ps.map->name = xstrdup(name);
	ps.dl = dl;
	ps.line = 0;
	if (len > OVR_FILE_MAX) {
		diag_add(dl, DIAG_ERROR, name, 0, 0,
		    "map larger than %zu bytes", (size_t)OVR_FILE_MAX);
		len = 0;
	}
	nlines = ovr_count_lines(buf, len);
	ps.cap = nlines;
	ps.map->rules = xreallocarray(NULL, ps.cap, sizeof(*ps.map->rules));
	ps.map->pos = xreallocarray(NULL, ps.cap, sizeof(*ps.map->pos));
	ps.map->arena_cap = len + 4 * nlines + 1;
	ps.map->arena = xmalloc(ps.map->arena_cap);
	memset(&ln, 0, sizeof(ln));
	while (ovr_lex_line(buf, len, &pos, &ln))
		ovr_parse_line(&ps, &ln);
	if (ps.map->n < ps.cap && ps.map->n > 0) {
		ps.map->rules = xreallocarray(
		    ps.map->rules, ps.map->n, sizeof(*ps.map->rules));
		ps.map->pos =
		    xreallocarray(ps.map->pos, ps.map->n, sizeof(*ps.map->pos));
	}
	ovr_index_build(ps.map);
	return ps.map;
}

/* ovr_rule_init - a rule with every default */
static void
ovr_rule_init(struct ovr_rule *r, unsigned long line)
{
	memset(r, 0, sizeof(*r));
	r->line = line;
	r->pattern = NULL;
	r->target.host = NULL;
	r->target.kind = OVR_HOST_NAME;
	r->target.port = OVR_PORT_DEFAULT;
	r->target.user = NULL;
	r->target.pass = NULL;
	r->priority = OVR_PRIORITY_DEFAULT;
	r->tls = CFG_TLS_MAY;
}

/* ovr_parse_line - one line: pattern, target, qualifiers */
static void
ovr_parse_line(struct ovr_parser *ps, const struct ovr_line *ln)
{
	struct ovr_map *map = ps->map;
	size_t mark = map->arena_used;
	struct ovr_lex lx;
	struct ovr_tok t;
	struct ovr_rule r;
	struct ovr_pos pos;
	unsigned seen = 0;
	bool ok, more;

	ps->line = ln->no;
	if (ln->len > OVR_LINE_MAX) {
		diag_add(ps->dl, DIAG_ERROR, map->name, ln->no,
		    OVR_LINE_MAX + 1, "line longer than %d bytes",
		    OVR_LINE_MAX);
		return;
	}
	ovr_lex_init(&lx, ln);
	if (!ovr_lex_next(&lx, &t))
		return;
	ovr_rule_init(&r, ln->no);
	pos.pcol = (uint16_t)t.col;
	pos.tcol = 0;
	ok = ovr_parse_pattern(ps, &t, &r);
	more = ovr_lex_next(&lx, &t);
	if (!more || t.p[0] == '$') {
		diag_add(ps->dl, DIAG_ERROR, map->name, ln->no, pos.pcol,
		    "missing target after the domain pattern");
		ok = false;
	} else {
		pos.tcol = (uint16_t)t.col;
		if (!ovr_target_parse(map, &t, ln->no, &r.target, ps->dl))
			ok = false;
		more = ovr_lex_next(&lx, &t);
	}
	for (; more; more = ovr_lex_next(&lx, &t))
		if (!ovr_parse_qual(ps, &lx, &t, &r, &seen))
			ok = false;
	if (ok) {
		ovr_parse_add(ps, &r, pos);
	} else {
		/* Forget the line's strings; they may hold a password. */
		explicit_bzero(map->arena + mark, map->arena_used - mark);
		map->arena_used = mark;
	}
}

/* ovr_parse_add - append a valid rule */
static void
ovr_parse_add(
    struct ovr_parser *ps, const struct ovr_rule *r, struct ovr_pos pos)
{
	struct ovr_map *map = ps->map;

	if (map->n >= ps->cap)
		msg_panic("%s: more rules than lines", __func__);
	map->rules[map->n] = *r;
	map->pos[map->n] = pos;
	map->n++;
	if (r->target.user != NULL)
		map->ncred++;
}

/* ovr_pattern_char - characters allowed in a domain pattern */
static bool
ovr_pattern_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '*' || c == '?';
}

/* ovr_parse_pattern - validate and store a domain pattern, lower case */
static bool
ovr_parse_pattern(
    struct ovr_parser *ps, const struct ovr_tok *t, struct ovr_rule *r)
{
	char q[OVR_QUOTE_SIZE];
	size_t i, len = t->len;
	char *s;

	if (len > 1 && t->p[len - 1] == '.')
		len--;
	if (len > OVR_DOMAIN_MAX) {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "bad domain pattern \"%s\": longer than %d characters",
		    ovr_lex_quote(q, sizeof(q), t->p, t->len), OVR_DOMAIN_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t->p[i];

		if (!ovr_pattern_char(c)) {
			diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line,
			    t->col,
			    "bad domain pattern \"%s\": character 0x%02x not "
			    "allowed",
			    ovr_lex_quote(q, sizeof(q), t->p, t->len), c);
			return false;
		}
	}
	s = ovr_arena_put(ps->map, t->p, len);
	for (i = 0; i < len; i++)
		s[i] = (char)ovr_lower((unsigned char)s[i]);
	r->pattern = s;
	return true;
}

/* ovr_parse_qual - one $qualifier or $option token */
static bool
ovr_parse_qual(struct ovr_parser *ps, struct ovr_lex *lx,
    const struct ovr_tok *t, struct ovr_rule *r, unsigned *seen)
{
	char q[OVR_QUOTE_SIZE];
	size_t i, nlen = 1;

	if (t->p[0] != '$') {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "unexpected \"%s\" after the target (qualifiers start "
		    "with $)",
		    ovr_lex_quote(q, sizeof(q), t->p, t->len));
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
			return ovr_parse_cond(ps, lx, t, nlen, k, r);
		return ovr_parse_option(ps, t, nlen, k, r, seen);
	}
	diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
	    "unknown option %s", ovr_lex_quote(q, sizeof(q), t->p, t->len));
	return false;
}

/* ovr_parse_option - $end, $priority:N, $tls:POLICY */
static bool
ovr_parse_option(struct ovr_parser *ps, const struct ovr_tok *t, size_t nlen,
    enum ovr_qual k, struct ovr_rule *r, unsigned *seen)
{
	const char *v = t->p + nlen + 1;
	size_t vlen = t->len - nlen - (t->len > nlen);
	char q[OVR_QUOTE_SIZE];
	unsigned long long n = 0;
	enum ovr_num st;

	ovr_lex_quote(q, sizeof(q), t->p, t->len);
	if (k == OVR_Q_END) {
		if (nlen == t->len) {
			r->end = true;
			return true;
		}
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: $end takes no value", q);
		return false;
	}
	if (nlen == t->len || t->p[nlen] != ':') {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: want %s", q,
		    k == OVR_Q_TLS ? "$tls:POLICY" : "$priority:N");
		return false;
	}
	if (*seen & (1U << k)) {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: %s given twice", q,
		    k == OVR_Q_TLS ? "$tls" : "$priority");
		return false;
	}
	*seen |= 1U << k;
	if (k == OVR_Q_TLS) {
		if (ovr_tls_parse(v, vlen, &r->tls)) {
			r->has_tls = true;
			return true;
		}
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "unknown option %s", q);
		return false;
	}
	st = ovr_lex_uint(v, vlen, OVR_PRIORITY_MAX, &n);
	if (st == OVR_NUM_OK) {
		r->priority = (unsigned)n;
		return true;
	}
	if (st == OVR_NUM_BAD)
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed number in %s", q);
	else
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: priority above %d", q,
		    OVR_PRIORITY_MAX);
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
    const struct ovr_tok *t, size_t nlen, enum ovr_qual k, struct ovr_rule *r)
{
	const char *rest = t->p + nlen;
	size_t oplen, rlen = t->len - nlen;
	struct ovr_cond c = {OVR_OP_EQ, 0};
	char q[OVR_QUOTE_SIZE];
	struct ovr_tok nt;
	bool arrow, bad;
	enum ovr_num st;
	size_t *np = k == OVR_Q_SIZE ? &r->nsize : &r->nretries;

	ovr_lex_quote(q, sizeof(q), t->p, t->len);
	if (rlen == 0 && ovr_lex_peek(lx, &nt) && ovr_lex_is_op(nt.p, nt.len)) {
		ovr_parse_spaced(lx, true);
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "spaces must not surround the operator");
		return false;
	}
	oplen = ovr_lex_op(rest, rlen, &c.op, &arrow, &bad);
	if (oplen == 0 || bad) {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: %s", q,
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
			diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line,
			    t->col, "spaces must not surround the operator");
		} else {
			diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line,
			    t->col, "malformed qualifier %s: number expected",
			    q);
		}
		return false;
	}
	st = k == OVR_Q_SIZE
	    ? ovr_lex_size(rest + oplen, rlen - oplen, &c.n)
	    : ovr_lex_uint(rest + oplen, rlen - oplen, ~0ULL, &c.n);
	if (st != OVR_NUM_OK) {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    st == OVR_NUM_BAD
		        ? "malformed number in %s"
		        : "malformed qualifier %s: number too large",
		    q);
		return false;
	}
	if (*np >= OVR_COND_MAX) {
		diag_add(ps->dl, DIAG_ERROR, ps->map->name, ps->line, t->col,
		    "malformed qualifier %s: more than %d %s conditions", q,
		    OVR_COND_MAX, k == OVR_Q_SIZE ? "$size" : "$retries");
		return false;
	}
	if (k == OVR_Q_SIZE)
		r->size[(*np)++] = c;
	else
		r->retries[(*np)++] = c;
	return true;
}

/* ovr_read_all - read a whole file into one buffer */
static bool
ovr_read_all(int fd, const struct stat *st, char **bufp, size_t *lenp,
    size_t *capp, const char *path, struct diag_list *dl)
{
	size_t cap = 65536, len = 0;
	char *buf, *nbuf;
	ssize_t got;

	if (S_ISREG(st->st_mode) && st->st_size >= 0 &&
	    (unsigned long long)st->st_size < OVR_FILE_MAX)
		cap = (size_t)st->st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > OVR_FILE_MAX) {
				diag_add(dl, DIAG_ERROR, path, 0, 0,
				    "larger than %zu bytes",
				    (size_t)OVR_FILE_MAX);
				break;
			}
			/* Copy by hand so that no stale copy stays unwiped. */
			nbuf = xmalloc(cap * 2);
			memcpy(nbuf, buf, len);
			xfree_secret(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		got = read(fd, buf + len, cap - len);
		if (got > 0) {
			len += (size_t)got;
			continue;
		}
		if (got == 0) {
			*bufp = buf;
			*lenp = len;
			*capp = cap;
			return true;
		}
		if (errno == EINTR)
			continue;
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "read: %s", strerror(errno));
		break;
	}
	xfree_secret(buf, cap);
	return false;
}

/* ovr_map_load - read, parse and index a map file */
enum ovr_status
ovr_map_load(const char *path, struct ovr_map **out, struct diag_list *dl)
{
	unsigned long before = diag_errors(dl);
	bool is_stdin = strcmp(path, "-") == 0;
	size_t len = 0, cap = 0;
	struct ovr_map *map;
	char *buf = NULL;
	struct stat st;
	bool ok;
	int fd;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "open: %s", strerror(errno));
		return OVR_NOFILE;
	}
	if (fstat(fd, &st) < 0) {
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "fstat: %s", strerror(errno));
		ok = false;
	} else {
		ok = ovr_read_all(fd, &st, &buf, &len, &cap, path, dl);
	}
	if (!is_stdin)
		close(fd);
	if (!ok)
		return OVR_NOFILE;
	map = ovr_map_parse(path, buf, len, dl);
	xfree_secret(buf, cap);
	if (S_ISREG(st.st_mode)) {
		map->has_mode = true;
		map->mode = st.st_mode;
	}
	*out = map;
	return diag_errors(dl) > before ? OVR_INVALID : OVR_OK;
}

/* ovr_map_free - release a map, wiping credentials */
void
ovr_map_free(struct ovr_map *map)
{
	size_t i;

	if (map == NULL)
		return;
	ovr_index_free(&map->idx);
	for (i = 0; map->ncred > 0 && i < map->n; i++) {
		struct ovr_target *tg = &map->rules[i].target;

		if (tg->user != NULL)
			explicit_bzero(tg->user, tg->user_len);
		if (tg->pass != NULL)
			explicit_bzero(tg->pass, tg->pass_len);
	}
	free(map->arena);
	free(map->pos);
	free(map->rules);
	free(map->name);
	free(map);
}

/* ovr_map_count - number of rules */
size_t
ovr_map_count(const struct ovr_map *map)
{
	return map->n;
}

/* ovr_map_rule - i-th rule, NULL past the end */
const struct ovr_rule *
ovr_map_rule(const struct ovr_map *map, size_t i)
{
	return i < map->n ? &map->rules[i] : NULL;
}

/* ovr_map_name - the map's file name */
const char *
ovr_map_name(const struct ovr_map *map)
{
	return map->name;
}
