/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map lint warnings, and rules written back in canonical form. */

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ovr_int.h"
#include "xalloc.h"

static bool ovr_lint_satisfiable(
    const struct ovr_cond *c, size_t n, unsigned long long max);
static void ovr_lint_never(const struct ovr_map *map, struct diag_list *dl);
static void ovr_lint_unreachable(
    const struct ovr_map *map, struct diag_list *dl);
static void ovr_lint_duplicates(
    const struct ovr_map *map, struct diag_list *dl);
static void ovr_lint_mode(const struct ovr_map *map, struct diag_list *dl);
static uint64_t ovr_rule_hash(const struct ovr_rule *r);
static bool ovr_rule_same(const struct ovr_rule *a, const struct ovr_rule *b);
static void ovr_conds_sort(
    struct ovr_cond *dst, const struct ovr_cond *src, size_t n);

/* ovr_lint - every lint warning of a parsed map */
void
ovr_lint(const struct ovr_map *map, struct diag_list *dl)
{
	/* A compiled map carries the warnings of its text instead. */
	if (map->cmap != NULL)
		return;
	ovr_lint_never(map, dl);
	ovr_lint_unreachable(map, dl);
	ovr_lint_duplicates(map, dl);
	ovr_lint_mode(map, dl);
}

/*
 * ovr_lint_satisfiable - can some value in [0, max] meet all conditions
 * The conditions narrow an interval; "<>" values then remove single
 * points, so the set is empty when they cover the whole interval.
 */
static bool
ovr_lint_satisfiable(const struct ovr_cond *c, size_t n, unsigned long long max)
{
	unsigned long long lo = 0, hi = max, ne[OVR_COND_MAX];
	size_t i, j, nne = 0, distinct = 0;

	for (i = 0; i < n; i++) {
		unsigned long long v = c[i].n;

		switch (c[i].op) {
		case OVR_OP_LT:
			if (v == 0)
				return false;
			hi = hi < v - 1 ? hi : v - 1;
			break;
		case OVR_OP_LE:
			hi = hi < v ? hi : v;
			break;
		case OVR_OP_EQ:
			lo = lo > v ? lo : v;
			hi = hi < v ? hi : v;
			break;
		case OVR_OP_NE:
			if (nne < OVR_COND_MAX)
				ne[nne++] = v;
			break;
		case OVR_OP_GE:
			lo = lo > v ? lo : v;
			break;
		case OVR_OP_GT:
			if (v >= max)
				return false;
			lo = lo > v + 1 ? lo : v + 1;
			break;
		}
	}
	if (lo > hi)
		return false;
	for (i = 0; i < nne; i++) {
		if (ne[i] < lo || ne[i] > hi)
			continue;
		for (j = 0; j < i && ne[j] != ne[i]; j++)
			continue;
		if (j == i)
			distinct++;
	}
	return hi - lo >= distinct;
}

/* ovr_lint_never - lines whose conditions no message can meet */
static void
ovr_lint_never(const struct ovr_map *map, struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		const struct ovr_rule *r = &map->rules[i];

		if (!ovr_lint_satisfiable(r->size, r->nsize, ULLONG_MAX))
			diag_add(dl, DIAG_WARNING, map->name, r->line,
			    map->pos[i].pcol,
			    "line can never match: no message size meets "
			    "its $size conditions");
		else if (!ovr_lint_satisfiable(
		             r->retries, r->nretries, ULONG_MAX))
			diag_add(dl, DIAG_WARNING, map->name, r->line,
			    map->pos[i].pcol,
			    "line can never match: no retry count meets its "
			    "$retries conditions");
	}
}

/* ovr_lint_unreachable - lines after an unconditional "* ... $end" */
static void
ovr_lint_unreachable(const struct ovr_map *map, struct diag_list *dl)
{
	const struct ovr_rule *r;
	size_t i, first;

	for (first = 0; first < map->n; first++) {
		r = &map->rules[first];
		if (r->end && r->nsize == 0 && r->nretries == 0 &&
		    strspn(r->pattern, "*") == strlen(r->pattern))
			break;
	}
	for (i = first + 1; i < map->n; i++)
		diag_add(dl, DIAG_WARNING, map->name, map->rules[i].line,
		    map->pos[i].pcol,
		    "line can never be reached: line %lu matches every "
		    "domain and ends the lookup ($end)",
		    map->rules[first].line);
}

/* ovr_conds_sort - copy conditions in a canonical order */
static void
ovr_conds_sort(struct ovr_cond *dst, const struct ovr_cond *src, size_t n)
{
	struct ovr_cond tmp;
	size_t i, j;

	if (n == 0)
		return;
	memcpy(dst, src, n * sizeof(*dst));
	for (i = 1; i < n; i++)
		for (j = i; j > 0 &&
		     (dst[j].op < dst[j - 1].op ||
		         (dst[j].op == dst[j - 1].op &&
		             dst[j].n < dst[j - 1].n));
		     j--) {
			tmp = dst[j];
			dst[j] = dst[j - 1];
			dst[j - 1] = tmp;
		}
}

/* ovr_hash_bytes - extend a hash by n bytes */
static uint64_t
ovr_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = ovr_hash_step(h, b[i]);
	return ovr_hash_step(h, 0xff);
}

/* ovr_rule_hash - hash of everything a duplicate shares */
static uint64_t
ovr_rule_hash(const struct ovr_rule *r)
{
	const struct ovr_target *tg = &r->target;
	uint64_t h = OVR_HASH_SEED, v[6] = {0};
	size_t i;

	h = ovr_hash_bytes(h, r->pattern, strlen(r->pattern));
	h = ovr_hash_bytes(h, tg->host, strlen(tg->host));
	if (tg->user != NULL) {
		h = ovr_hash_bytes(h, tg->user, tg->user_len);
		h = ovr_hash_bytes(h, tg->pass, tg->pass_len);
	}
	v[0] = tg->port;
	v[1] = r->priority;
	v[2] = r->end;
	v[3] = r->has_tls ? (uint64_t)r->tls + 1 : 0;
	v[4] = r->nsize;
	v[5] = r->nretries;
	h = ovr_hash_bytes(h, v, sizeof(v));
	/* Conditions in any order: add their hashes up. */
	for (i = 0; i < r->nsize; i++)
		h += ovr_hash_mix(r->size[i].n * 8 + r->size[i].op);
	for (i = 0; i < r->nretries; i++)
		h += ovr_hash_mix(~(r->retries[i].n * 8 + r->retries[i].op));
	return ovr_hash_mix(h);
}

/* ovr_conds_same - equal condition sets */
static bool
ovr_conds_same(const struct ovr_cond *a, const struct ovr_cond *b, size_t n)
{
	struct ovr_cond x[OVR_COND_MAX], y[OVR_COND_MAX];
	size_t i;

	ovr_conds_sort(x, a, n);
	ovr_conds_sort(y, b, n);
	for (i = 0; i < n; i++)
		if (x[i].op != y[i].op || x[i].n != y[i].n)
			return false;
	return true;
}

/* ovr_rule_same - two lines that say the same */
static bool
ovr_rule_same(const struct ovr_rule *a, const struct ovr_rule *b)
{
	const struct ovr_target *x = &a->target, *y = &b->target;

	if (strcmp(a->pattern, b->pattern) != 0 ||
	    strcmp(x->host, y->host) != 0 || x->port != y->port ||
	    a->priority != b->priority || a->end != b->end ||
	    a->has_tls != b->has_tls || (a->has_tls && a->tls != b->tls) ||
	    a->nsize != b->nsize || a->nretries != b->nretries)
		return false;
	if ((x->user == NULL) != (y->user == NULL))
		return false;
	if (x->user != NULL &&
	    (x->user_len != y->user_len || x->pass_len != y->pass_len ||
	        memcmp(x->user, y->user, x->user_len) != 0 ||
	        memcmp(x->pass, y->pass, x->pass_len) != 0))
		return false;
	return ovr_conds_same(a->size, b->size, a->nsize) &&
	    ovr_conds_same(a->retries, b->retries, a->nretries);
}

/* ovr_lint_duplicates - lines equal to an earlier line */
static void
ovr_lint_duplicates(const struct ovr_map *map, struct diag_list *dl)
{
	uint64_t *hash;
	uint32_t *slot;
	size_t cap = 16, mask, i, at;

	if (map->n < 2)
		return;
	while (cap < map->n * 2)
		cap *= 2;
	mask = cap - 1;
	hash = xreallocarray(NULL, map->n, sizeof(*hash));
	slot = xreallocarray(NULL, cap, sizeof(*slot));
	memset(slot, 0xff, cap * sizeof(*slot));
	for (i = 0; i < map->n; i++) {
		hash[i] = ovr_rule_hash(&map->rules[i]);
		for (at = hash[i] & mask; slot[at] != OVR_NONE;
		     at = (at + 1) & mask) {
			if (hash[slot[at]] == hash[i] &&
			    ovr_rule_same(
			        &map->rules[slot[at]], &map->rules[i]))
				break;
		}
		if (slot[at] == OVR_NONE)
			slot[at] = (uint32_t)i;
		else
			diag_add(dl, DIAG_WARNING, map->name,
			    map->rules[i].line, map->pos[i].pcol,
			    "duplicate of line %lu", map->rules[slot[at]].line);
	}
	free(slot);
	free(hash);
}

/* ovr_lint_mode - credentials in a file others can read */
static void
ovr_lint_mode(const struct ovr_map *map, struct diag_list *dl)
{
	size_t i;

	if (!map->has_mode || (map->mode & 044) == 0 || map->ncred == 0)
		return;
	for (i = 0; i < map->n; i++) {
		if (map->rules[i].target.user == NULL)
			continue;
		diag_add(dl, DIAG_WARNING, map->name, map->rules[i].line,
		    map->pos[i].tcol,
		    "credentials in a file that users other than its owner "
		    "can read (mode %04o)",
		    (unsigned)(map->mode & 07777));
		return;
	}
}

/* ovr_format_cred - a user name with %XX escapes where needed */
static void
ovr_format_cred(struct sbuf *sb, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f || c == '%' || c == ':' ||
		    c == '@' || c == '#')
			sbuf_printf(sb, "%%%02X", c);
		else
			sbuf_putc(sb, c);
	}
}

/* ovr_format_size - bytes with the largest exact K, M or G suffix */
static void
ovr_format_size(struct sbuf *sb, unsigned long long n)
{
	static const char suffix[] = "GMK";
	unsigned long long unit = 1024ULL * 1024 * 1024;
	size_t i;

	for (i = 0; n > 0 && i < 3; i++, unit /= 1024) {
		if (n % unit == 0) {
			sbuf_printf(sb, "%llu%c", n / unit, suffix[i]);
			return;
		}
	}
	sbuf_printf(sb, "%llu", n);
}

/* ovr_rule_format - canonical text of a rule, password hidden */
void
ovr_rule_format(const struct ovr_rule *r, struct sbuf *sb)
{
	const struct ovr_target *tg = &r->target;
	size_t i;

	sbuf_printf(sb, "%s ", r->pattern);
	if (tg->user != NULL) {
		ovr_format_cred(sb, tg->user, tg->user_len);
		sbuf_puts(sb, ":********@");
	}
	sbuf_printf(sb, tg->kind == OVR_HOST_IP6 ? "[%s]" : "%s", tg->host);
	if (tg->port != OVR_PORT_DEFAULT)
		sbuf_printf(sb, ":%u", tg->port);
	if (r->priority != OVR_PRIORITY_DEFAULT)
		sbuf_printf(sb, " $priority:%u", r->priority);
	for (i = 0; i < r->nsize; i++) {
		sbuf_printf(sb, " $size%s", ovr_op_name(r->size[i].op));
		ovr_format_size(sb, r->size[i].n);
	}
	for (i = 0; i < r->nretries; i++)
		sbuf_printf(sb, " $retries%s%llu",
		    ovr_op_name(r->retries[i].op), r->retries[i].n);
	if (r->has_tls)
		sbuf_printf(sb, " $tls:%s", ovr_tls_name(r->tls));
	if (r->end)
		sbuf_puts(sb, " $end");
}
