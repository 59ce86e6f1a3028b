/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * ovr_cmap_cmp - the compiled map against the parsed one, and what
 * each costs a process.
 *
 *   ovr_cmap_cmp [-l LOOKUPS] [-s SEED] -d STATE_DIR FILE
 *	parse FILE, load it as every program does with STATE_DIR (the
 *	compiled map there, built first when missing or stale), then
 *	look up LOOKUPS random domains (derived from random rules, a
 *	quarter unknown) with random sizes and retry counts in both and
 *	compare every answer: the lines, their order, $end. Prints the
 *	number of differences; exit 0 only when there are none.
 *   ovr_cmap_cmp -r parsed|compiled [-l LOOKUPS] [-d STATE_DIR] FILE
 *	load FILE one way only, do the lookups, print the load time and
 *	the process's VmRSS (and RssFile, the shared file pages).
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "ovr.h"
#include "rnd.h"
#include "sbuf.h"
#include "xalloc.h"

static double cmp_now(void);
static long cmp_status_kb(const char *field);
static void cmp_domain(
    const struct ovr_map *text, struct rnd *rng, char *buf, size_t size);
static bool cmp_rule_eq(const struct ovr_rule *a, const struct ovr_rule *b);
static bool cmp_same(const struct ovr_match *a, const struct ovr_match *b);
static int cmp_both(
    const char *path, const char *dir, unsigned long lookups, uint64_t seed);
static int cmp_rss(const char *path, const char *dir, bool compiled,
    unsigned long lookups, uint64_t seed);

/* cmp_now - monotonic seconds */
static double
cmp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cmp_status_kb - a "Name: N kB" field of /proc/self/status, -1 if none */
static long
cmp_status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return kb;
}

/* cmp_domain - a domain from a random rule's pattern, or an unknown one */
static void
cmp_domain(const struct ovr_map *text, struct rnd *rng, char *buf, size_t size)
{
	static const char *const fill[] = {"", "a", "mx.b", "Deep.Sub.C"};
	size_t n = ovr_map_count(text), i = 0;
	const char *p;

	if (n == 0 || rnd_below(rng, 4) == 0) {
		snprintf(buf, size, "nohost%zu.unknown.example.com",
		    rnd_below(rng, 100000));
		return;
	}
	for (p = ovr_map_rule(text, rnd_below(rng, n))->pattern;
	     *p != '\0' && i + 20 < size; p++) {
		if (*p == '*')
			i += (size_t)snprintf(
			    buf + i, size - i, "%s", fill[rnd_below(rng, 4)]);
		else if (*p == '?')
			buf[i++] = (char)('a' + rnd_below(rng, 26));
		else
			buf[i++] = *p;
	}
	buf[i] = '\0';
}

/* cmp_rule_eq - every field of two rules */
static bool
cmp_rule_eq(const struct ovr_rule *a, const struct ovr_rule *b)
{
	const struct ovr_target *s = &a->target, *t = &b->target;
	size_t i;

	if (a->line != b->line || strcmp(a->pattern, b->pattern) != 0 ||
	    strcmp(s->host, t->host) != 0 || s->kind != t->kind ||
	    s->port != t->port || (s->user == NULL) != (t->user == NULL) ||
	    a->priority != b->priority || a->nsize != b->nsize ||
	    a->nretries != b->nretries || a->end != b->end ||
	    a->has_tls != b->has_tls || (a->has_tls && a->tls != b->tls))
		return false;
	if (s->user != NULL &&
	    (s->user_len != t->user_len || s->pass_len != t->pass_len ||
	        memcmp(s->user, t->user, s->user_len) != 0 ||
	        memcmp(s->pass, t->pass, s->pass_len) != 0))
		return false;
	for (i = 0; i < a->nsize; i++)
		if (a->size[i].op != b->size[i].op ||
		    a->size[i].n != b->size[i].n)
			return false;
	for (i = 0; i < a->nretries; i++)
		if (a->retries[i].op != b->retries[i].op ||
		    a->retries[i].n != b->retries[i].n)
			return false;
	return true;
}

/* cmp_same - the same lines, order and $end */
static bool
cmp_same(const struct ovr_match *a, const struct ovr_match *b)
{
	size_t i;

	if (a->n != b->n || a->ended != b->ended)
		return false;
	for (i = 0; i < a->n; i++)
		if (!cmp_rule_eq(a->lines[i], b->lines[i]) ||
		    !cmp_rule_eq(a->order[i], b->order[i]))
			return false;
	return true;
}

/* cmp_both - random lookups in both maps; 0 when all answers agree */
static int
cmp_both(
    const char *path, const char *dir, unsigned long lookups, uint64_t seed)
{
	static const unsigned long long sizes[] = {
	    0, 1000, 10240, 10241, 1048576, 10485761, 1ULL << 40};
	struct diag_list *dl = diag_list_new();
	struct ovr_map *text = NULL, *comp = NULL;
	struct ovr_match a, b;
	struct rnd rng, r1, r2;
	char dom[OVR_DOMAIN_MAX * 2];
	unsigned long i, diff = 0, lines = 0, retries;
	unsigned long long size;
	double t0, parse_s, load_s;
	bool compiled;
	uint64_t s;

	t0 = cmp_now();
	if (ovr_map_load(path, &text, dl) != OVR_OK)
		goto bad;
	parse_s = cmp_now() - t0;
	t0 = cmp_now();
	if (ovr_map_load_conf(path, false, false, dir, &comp, dl) != OVR_OK ||
	    comp == NULL)
		goto bad;
	load_s = cmp_now() - t0;
	rnd_init(&rng, seed);
	for (i = 0; i < lookups; i++) {
		cmp_domain(text, &rng, dom, sizeof(dom));
		size = sizes[rnd_below(&rng, sizeof(sizes) / sizeof(sizes[0]))];
		retries = (unsigned long)rnd_below(&rng, 8);
		s = 1 + rnd_next(&rng) % 1000000000;
		rnd_init(&r1, s);
		rnd_init(&r2, s);
		ovr_map_match(text, dom, size, retries, &r1, &a);
		ovr_map_match(comp, dom, size, retries, &r2, &b);
		lines += a.n;
		if (!cmp_same(&a, &b)) {
			if (diff < 10)
				fprintf(stderr,
				    "differ: %s size %llu retries %lu\n", dom,
				    size, retries);
			diff++;
		}
		ovr_match_fini(&a);
		ovr_match_fini(&b);
	}
	compiled = ovr_map_compiled(comp);
	printf("rules=%zu compiled=%s lookups=%lu matching_lines=%lu "
	       "differences=%lu parse_s=%.3f load_conf_s=%.3f\n",
	    ovr_map_count(text), compiled ? "yes" : "no", lookups, lines, diff,
	    parse_s, load_s);
	ovr_map_free(comp);
	ovr_map_free(text);
	diag_list_free(dl);
	return diff == 0 && compiled ? 0 : 1;
bad:
	diag_print(dl, stderr);
	ovr_map_free(text);
	diag_list_free(dl);
	return 2;
}

/* cmp_rss - one way only: load time and memory after the lookups */
static int
cmp_rss(const char *path, const char *dir, bool compiled, unsigned long lookups,
    uint64_t seed)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;
	struct ovr_match m;
	struct rnd rng;
	char dom[80];
	unsigned long i;
	double t0, load_s;

	t0 = cmp_now();
	if (ovr_map_load_conf(path, false, false, compiled ? dir : NULL, &map,
	        dl) != OVR_OK ||
	    map == NULL) {
		diag_print(dl, stderr);
		diag_list_free(dl);
		return 2;
	}
	load_s = cmp_now() - t0;
	rnd_init(&rng, seed);
	for (i = 0; i < lookups; i++) {
		snprintf(dom, sizeof(dom), "d%zu.example.com",
		    rnd_below(&rng, 1000000));
		ovr_map_match(map, dom, 1000, 0, &rng, &m);
		ovr_match_fini(&m);
	}
	printf("way=%s rules=%zu load_ms=%.3f vmrss_kb=%ld rssfile_kb=%ld "
	       "rssanon_kb=%ld\n",
	    ovr_map_compiled(map) ? "compiled" : "parsed", ovr_map_count(map),
	    load_s * 1000, cmp_status_kb("VmRSS"), cmp_status_kb("RssFile"),
	    cmp_status_kb("RssAnon"));
	ovr_map_free(map);
	diag_list_free(dl);
	return 0;
}

/* main - parse options, compare or measure */
int
main(int argc, char **argv)
{
	unsigned long lookups = 100000;
	uint64_t seed = 42;
	const char *dir = NULL, *rss = NULL;
	int c;

	while ((c = getopt(argc, argv, "d:l:r:s:")) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			lookups = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rss = optarg;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || (rss == NULL && dir == NULL) ||
	    (rss != NULL && strcmp(rss, "parsed") != 0 &&
	        (strcmp(rss, "compiled") != 0 || dir == NULL)))
		goto usage;
	if (rss != NULL)
		return cmp_rss(argv[optind], dir, strcmp(rss, "compiled") == 0,
		    lookups, seed);
	return cmp_both(argv[optind], dir, lookups, seed);
usage:
	fprintf(stderr,
	    "usage: ovr_cmap_cmp [-l LOOKUPS] [-s SEED] -d STATE_DIR FILE\n"
	    "       ovr_cmap_cmp -r parsed|compiled [-l LOOKUPS] "
	    "[-d STATE_DIR] FILE\n");
	return 2;
}
