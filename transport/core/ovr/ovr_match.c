/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map matching: patterns, conditions, lookups and ordering. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ovr_int.h"
#include "xalloc.h"

static bool ovr_rule_holds(
    const struct ovr_rule *r, unsigned long long size, unsigned long retries);
static int ovr_index_cmp(const void *a, const void *b);
static int ovr_priority_cmp(const void *a, const void *b);
static void ovr_match_order(struct ovr_match *m, struct rnd *rng);
static const struct ovr_rule *ovr_match_rule(const struct ovr_map *map,
    uint32_t i, struct ovr_rule *tmp, struct ovr_cond *conds);
static size_t ovr_match_own(const struct ovr_map *map, const uint32_t *v,
    size_t n, struct ovr_match *out);

/*
 * ovr_pattern_match - wildcard match, * any run and ? one character
 * The classic greedy algorithm: on a mismatch, let the last * take one
 * more character and retry from there. Earlier stars never need to be
 * revisited, so the work is at most pattern length times domain length.
 */
bool
ovr_pattern_match(const char *pattern, const char *domain)
{
	const char *p = pattern, *s = domain, *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p != '\0' &&
		    (*p == '?' ||
		        ovr_lower((unsigned char)*p) ==
		            ovr_lower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ovr_cond_holds - compare a value with a condition */
bool
ovr_cond_holds(const struct ovr_cond *c, unsigned long long value)
{
	switch (c->op) {
	case OVR_OP_LT:
		return value < c->n;
	case OVR_OP_LE:
		return value <= c->n;
	case OVR_OP_EQ:
		return value == c->n;
	case OVR_OP_NE:
		return value != c->n;
	case OVR_OP_GE:
		return value >= c->n;
	case OVR_OP_GT:
		return value > c->n;
	}
	return false;
}

/* ovr_rule_holds - every $size and $retries condition holds */
static bool
ovr_rule_holds(
    const struct ovr_rule *r, unsigned long long size, unsigned long retries)
{
	size_t i;

	for (i = 0; i < r->nsize; i++)
		if (!ovr_cond_holds(&r->size[i], size))
			return false;
	for (i = 0; i < r->nretries; i++)
		if (!ovr_cond_holds(&r->retries[i], retries))
			return false;
	return true;
}

/* ovr_index_cmp - rule indices ascending */
static int
ovr_index_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ovr_priority_cmp - priority ascending, then line order */
static int
ovr_priority_cmp(const void *a, const void *b)
{
	const struct ovr_rule *x = *(const struct ovr_rule *const *)a;
	const struct ovr_rule *y = *(const struct ovr_rule *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* ovr_match_order - sort by priority, shuffle each run of equals */
static void
ovr_match_order(struct ovr_match *m, struct rnd *rng)
{
	const struct ovr_rule *tmp;
	size_t start, end, i, j;

	memcpy(m->order, m->lines, m->n * sizeof(const struct ovr_rule *));
	if (m->n < 2)
		return;
	qsort(
	    m->order, m->n, sizeof(const struct ovr_rule *), ovr_priority_cmp);
	if (rng == NULL)
		return;
	for (start = 0; start < m->n; start = end) {
		end = start + 1;
		while (end < m->n &&
		    m->order[end]->priority == m->order[start]->priority)
			end++;
		for (i = end - 1; i > start; i--) {
			j = start + rnd_below(rng, i - start + 1);
			tmp = m->order[i];
			m->order[i] = m->order[j];
			m->order[j] = tmp;
		}
	}
}

/*
 * ovr_match_rule - rule i of the map: the map's own, or for a compiled
 * map decoded into *tmp with its conditions in conds; NULL when the
 * compiled entry is damaged
 */
static const struct ovr_rule *
ovr_match_rule(const struct ovr_map *map, uint32_t i, struct ovr_rule *tmp,
    struct ovr_cond *conds)
{
	if (map->cmap == NULL)
		return &map->rules[i];
	return ovr_cmap_rule(map->cmap, i, tmp, conds) ? tmp : NULL;
}

/*
 * ovr_match_own - copy the n matching rules of a compiled map into
 * memory the result owns (their strings stay in the mapping)
 * Returns: the rules copied; one that no longer decodes (the file was
 * written in place since: never by smtpdirect) is left out.
 */
static size_t
ovr_match_own(const struct ovr_map *map, const uint32_t *v, size_t n,
    struct ovr_match *out)
{
	struct ovr_cond conds[2 * OVR_COND_MAX];
	size_t i, k = 0;

	out->own = xreallocarray(NULL, n, sizeof(*out->own));
	out->own_conds =
	    xreallocarray(NULL, n * 2 * OVR_COND_MAX, sizeof(*out->own_conds));
	for (i = 0; i < n; i++) {
		struct ovr_cond *c = &out->own_conds[k * 2 * OVR_COND_MAX];

		if (!ovr_cmap_rule(map->cmap, v[i], &out->own[k], conds))
			continue;
		memcpy(c, conds, sizeof(conds));
		out->own[k].size = c;
		out->own[k].retries = c + out->own[k].nsize;
		out->lines[k] = &out->own[k];
		k++;
	}
	return k;
}

/* ovr_map_match - the matching lines and the delivery order */
size_t
ovr_map_match(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries, struct rnd *rng,
    struct ovr_match *out)
{
	char d[OVR_DOMAIN_MAX + 3];
	struct ovr_vec cand = {NULL, 0, 0};
	struct ovr_cond conds[2 * OVR_COND_MAX];
	const struct ovr_rule *r;
	struct ovr_rule tmp;
	size_t i, n = 0, len;

	memset(out, 0, sizeof(*out));
	if (map == NULL || domain == NULL)
		return 0;
	len = strnlen(domain, OVR_DOMAIN_MAX + 2);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len > OVR_DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		d[i] = (char)ovr_lower((unsigned char)domain[i]);
	d[len] = '\0';
	ovr_index_candidates(map, d, len, &cand);
	for (i = 0; i < cand.n; i++) {
		r = ovr_match_rule(map, cand.v[i], &tmp, conds);
		if (r != NULL && ovr_rule_holds(r, size, retries) &&
		    ovr_pattern_match(r->pattern, d))
			cand.v[n++] = cand.v[i];
	}
	if (n > 1)
		qsort(cand.v, n, sizeof(*cand.v), ovr_index_cmp);
	for (i = 0; i < n; i++) {
		/* Every rule left decoded above. */
		r = ovr_match_rule(map, cand.v[i], &tmp, conds);
		if (r != NULL && r->end) {
			n = i + 1;
			out->ended = true;
			break;
		}
	}
	if (n > 0) {
		out->lines =
		    xreallocarray(NULL, n, sizeof(const struct ovr_rule *));
		out->order =
		    xreallocarray(NULL, n, sizeof(const struct ovr_rule *));
		if (map->cmap != NULL)
			n = ovr_match_own(map, cand.v, n, out);
		else
			for (i = 0; i < n; i++)
				out->lines[i] = &map->rules[cand.v[i]];
		out->n = n;
		ovr_match_order(out, rng);
	}
	free(cand.v);
	return n;
}

/* ovr_match_fini - release the arrays of a result */
void
ovr_match_fini(struct ovr_match *m)
{
	if (m == NULL)
		return;
	free(m->lines);
	free(m->order);
	free(m->own);
	free(m->own_conds);
	memset(m, 0, sizeof(*m));
}
