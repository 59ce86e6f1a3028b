/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the override map's lexer, parser, index and matcher
 * (ovr.h). The input is map text. Besides "no crash", every lookup is
 * checked against a plain scan of the rules in file order (what the
 * index must agree with), the delivery order against the priorities,
 * and every rule's canonical form must parse back to the same rule.
 */

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzz.h"
#include "ovr.h"
#include "sbuf.h"

#define FUZZ_OVR_RULES 16 /* rules whose patterns are looked up */

/* fuzz_ovr_holds - all conditions of a list hold for value */
static bool
fuzz_ovr_holds(const struct ovr_cond *c, size_t n, unsigned long long v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ovr_cond_holds(&c[i], v))
			return false;
	return true;
}

/* fuzz_ovr_check - one lookup against the plain scan */
static void
fuzz_ovr_check(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries)
{
	struct ovr_match m;
	const struct ovr_rule *r;
	size_t i, k = 0, n = ovr_map_count(map), len = strlen(domain);
	bool ended = false;
	char d[2 * OVR_DOMAIN_MAX];

	(void)ovr_map_match(map, domain, size, retries, NULL, &m);
	/* As ovr_map_match() takes it: one trailing dot left out. */
	snprintf(d, sizeof(d), "%.*s",
	    (int)(len > 0 && domain[len - 1] == '.' ? len - 1 : len), domain);
	for (i = 0; i < n && !ended && strlen(d) <= OVR_DOMAIN_MAX; i++) {
		r = ovr_map_rule(map, i);
		if (!ovr_pattern_match(r->pattern, d) ||
		    !fuzz_ovr_holds(r->size, r->nsize, size) ||
		    !fuzz_ovr_holds(r->retries, r->nretries, retries))
			continue;
		if (k >= m.n || m.lines[k] != r)
			fuzz_fail("%s size %llu retries %lu: line %lu "
			          "matches by scan, not by ovr_map_match",
			    domain, size, retries, r->line);
		k++;
		ended = r->end;
	}
	if (k != m.n || ended != m.ended)
		fuzz_fail("%s: ovr_map_match found %zu lines (ended %d), the "
		          "scan %zu (ended %d)",
		    domain, m.n, m.ended, k, ended);
	for (i = 1; i < m.n; i++)
		if (m.order[i - 1]->priority > m.order[i]->priority)
			fuzz_fail("%s: delivery order not by priority", domain);
	ovr_match_fini(&m);
}

/* fuzz_ovr_conds_same - two condition lists are equal (no padding) */
static bool
fuzz_ovr_conds_same(
    const struct ovr_cond *a, const struct ovr_cond *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].op != b[i].op || a[i].n != b[i].n)
			return false;
	return true;
}

/* fuzz_ovr_same - the fields a canonical form keeps are equal */
static bool
fuzz_ovr_same(const struct ovr_rule *a, const struct ovr_rule *b)
{
	return strcmp(a->pattern, b->pattern) == 0 &&
	    strcmp(a->target.host, b->target.host) == 0 &&
	    a->target.kind == b->target.kind &&
	    a->target.port == b->target.port &&
	    (a->target.user == NULL) == (b->target.user == NULL) &&
	    (a->target.user == NULL ||
	        (a->target.user_len == b->target.user_len &&
	            memcmp(a->target.user, b->target.user,
	                a->target.user_len) == 0)) &&
	    a->priority == b->priority && a->nsize == b->nsize &&
	    a->nretries == b->nretries && a->end == b->end &&
	    a->has_tls == b->has_tls && (!a->has_tls || a->tls == b->tls) &&
	    fuzz_ovr_conds_same(a->size, b->size, a->nsize) &&
	    fuzz_ovr_conds_same(a->retries, b->retries, a->nretries);
}

/* fuzz_ovr_roundtrip - a rule's canonical form parses back to it */
static void
fuzz_ovr_roundtrip(const struct ovr_rule *r)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *back;
	struct sbuf sb;

	sbuf_init(&sb);
	ovr_rule_format(r, &sb);
	back = ovr_map_parse("canonical", sbuf_str(&sb), sb.len, dl);
	if (diag_errors(dl) != 0 || ovr_map_count(back) != 1 ||
	    !fuzz_ovr_same(r, ovr_map_rule(back, 0)))
		fuzz_fail("line %lu: canonical form \"%s\" does not parse "
		          "back to the same rule",
		    r->line, sbuf_str(&sb));
	ovr_map_free(back);
	sbuf_fini(&sb);
	diag_list_free(dl);
}

/* fuzz_ovr_domain - a domain the pattern matches, "*" made concrete */
static void
fuzz_ovr_domain(const char *pattern, const char *fill, char *out, size_t size)
{
	size_t o = 0, flen = strlen(fill);
	const char *p;

	for (p = pattern; *p != '\0' && o + flen + 1 < size; p++) {
		if (*p == '*') {
			memcpy(out + o, fill, flen);
			o += flen;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fills[] = {"a", "a.b", ""};
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	const struct ovr_rule *r;
	unsigned long long sizes[3];
	unsigned long retries[2];
	char domain[2 * OVR_DOMAIN_MAX];
	size_t i, f, s, t, n;

	map = ovr_map_parse("fuzz", (const char *)data, size, dl);
	ovr_lint(map, dl);
	n = ovr_map_count(map);
	for (i = 0; i < n && i < FUZZ_OVR_RULES; i++) {
		r = ovr_map_rule(map, i);
		fuzz_ovr_roundtrip(r);
		sizes[0] = 0;
		sizes[1] = r->nsize > 0 ? r->size[0].n : 1024;
		sizes[2] = sizes[1] + 1;
		retries[0] = 0;
		retries[1] =
		    r->nretries > 0 ? (unsigned long)r->retries[0].n : 4;
		for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
			fuzz_ovr_domain(
			    r->pattern, fills[f], domain, sizeof(domain));
			for (s = 0; s < 3; s++)
				for (t = 0; t < 2; t++)
					fuzz_ovr_check(
					    map, domain, sizes[s], retries[t]);
		}
	}
	ovr_map_free(map);
	diag_list_free(dl);
	return 0;
}
