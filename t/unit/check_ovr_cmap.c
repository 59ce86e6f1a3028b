/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the compiled override map: its lookups give the answers
 * of the parsed map on every map in the tree and on generated ones; a
 * damaged file is never trusted; stale files are rebuilt; a map with an
 * error is never compiled.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "ovr_int.h"
#include "rnd.h"
#include "sbuf.h"
#include "unit.h"

#define SRC_MAX 200 /* source files scanned at most */
#define PROBE_SIZES 16 /* message sizes tried */
#define PROBE_RETRIES 8 /* retry counts tried */
#define PROBE_PAIRS 6 /* (size, retries) pairs per domain */

/* Files of the tree whose lines may be map lines. */
static const char *const src_dirs[][2] = {
    {"t/data/ovr", ".in"},
    {"t/unit", ".c"},
    {"t/integration", ".sh"},
    {"conf-examples", "overrides"},
};

static char top[PATH_MAX]; /* the directory tests start in */
static char *srcs[SRC_MAX]; /* paths from top, sorted */
static size_t nsrcs; /* entries in srcs */
static char *tmpdir; /* the test's own directory, from the fixture */

/* tmp_setup - a private directory for each test that touches disk */
static void
tmp_setup(void)
{
	tmpdir = unit_tmpdir();
}

/* tmp_teardown - remove it */
static void
tmp_teardown(void)
{
	unit_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

/* src_cmp - paths in byte order */
static int
src_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* src_scan - list the files (before the suite runs) */
static void
src_scan(void)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	size_t i, len, slen;
	DIR *d;

	if (getcwd(top, sizeof(top)) == NULL)
		return;
	for (i = 0; i < sizeof(src_dirs) / sizeof(src_dirs[0]); i++) {
		if ((d = opendir(src_dirs[i][0])) == NULL)
			continue;
		slen = strlen(src_dirs[i][1]);
		while ((de = readdir(d)) != NULL && nsrcs < SRC_MAX) {
			len = strlen(de->d_name);
			if (len < slen ||
			    strcmp(de->d_name + len - slen, src_dirs[i][1]) !=
			        0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", src_dirs[i][0],
			    de->d_name);
			srcs[nsrcs++] = strdup(path);
		}
		closedir(d);
	}
	qsort(srcs, nsrcs, sizeof(srcs[0]), src_cmp);
}

/*
 * src_line - the map line a source line may hold: a C string's
 * contents without its quotes and \n, a shell variable replaced by a
 * port after ':' and by an address elsewhere
 */
static void
src_line(const char *p, size_t len, struct sbuf *out)
{
	size_t i = 0, j;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < len && p[i] == '"') {
		for (j = len; j > i + 1 && p[j - 1] != '"'; j--)
			continue;
		len = j > i + 1 ? j - 1 : len;
		i++;
	}
	for (; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == 'n') {
			sbuf_append(out, "\n", 1);
			i++;
		} else if (p[i] == '\\' && i + 1 < len && p[i + 1] == 't') {
			sbuf_append(out, "\t", 1);
			i++;
		} else if (p[i] == '$' && i + 1 < len &&
		    (p[i + 1] == '{' || (p[i + 1] >= 'A' && p[i + 1] <= 'Z'))) {
			sbuf_printf(out, "%s",
			    i > 0 && p[i - 1] == ':' ? "2525" : "127.0.19.9");
			for (i++; i < len && p[i] != '}' &&
			     (p[i] == '{' || p[i] == '_' ||
			         (p[i] >= 'A' && p[i] <= 'Z') ||
			         (p[i] >= '0' && p[i] <= '9'));
			     i++)
				continue;
			if (i < len && p[i] != '}')
				i--;
		} else {
			sbuf_append(out, p + i, 1);
		}
	}
	sbuf_append(out, "\n", 1);
}

/* src_text - every line of a source file, as map text */
static void
src_text(const char *path, struct sbuf *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp = fopen(path, "r");

	ck_assert_msg(fp != NULL, "cannot read %s", path);
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		src_line(line, (size_t)n, out);
	}
	free(line);
	fclose(fp);
}

/* cond_eq - the same conditions */
static bool
cond_eq(const struct ovr_cond *a, const struct ovr_cond *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].op != b[i].op || a[i].n != b[i].n)
			return false;
	return true;
}

/* bytes_eq - equal byte strings, both absent included */
static bool
bytes_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* rule_eq - every field of two rules */
static bool
rule_eq(const struct ovr_rule *a, const struct ovr_rule *b)
{
	const struct ovr_target *s = &a->target, *t = &b->target;

	return a->line == b->line && strcmp(a->pattern, b->pattern) == 0 &&
	    strcmp(s->host, t->host) == 0 && s->kind == t->kind &&
	    s->port == t->port &&
	    bytes_eq(s->user, s->user_len, t->user, t->user_len) &&
	    bytes_eq(s->pass, s->pass_len, t->pass, t->pass_len) &&
	    a->priority == b->priority && a->nsize == b->nsize &&
	    a->nretries == b->nretries && cond_eq(a->size, b->size, a->nsize) &&
	    cond_eq(a->retries, b->retries, a->nretries) && a->end == b->end &&
	    a->has_tls == b->has_tls && (!a->has_tls || a->tls == b->tls);
}

/*
 * same_answer - match domain both ways with the same random state;
 * returns false (and says what differs) when the answers differ
 */
static bool
same_answer(const struct ovr_map *text, const struct ovr_map *comp,
    const char *domain, unsigned long long size, unsigned long retries,
    uint64_t seed)
{
	struct ovr_match a, b;
	struct rnd r1, r2;
	size_t i, na, nb;
	bool same;

	rnd_init(&r1, seed);
	rnd_init(&r2, seed);
	na = ovr_map_match(text, domain, size, retries, &r1, &a);
	nb = ovr_map_match(comp, domain, size, retries, &r2, &b);
	same = na == nb && a.n == b.n && a.ended == b.ended;
	for (i = 0; same && i < a.n; i++)
		same = rule_eq(a.lines[i], b.lines[i]) &&
		    rule_eq(a.order[i], b.order[i]);
	if (!same) {
		fprintf(stderr,
		    "differ: %s size %llu retries %lu: %zu vs %zu lines\n",
		    domain, size, retries, na, nb);
		for (i = 0; i < a.n && i < b.n; i++)
			fprintf(stderr, "  %lu/%lu %lu/%lu ended %d/%d\n",
			    a.lines[i]->line, b.lines[i]->line,
			    a.order[i]->line, b.order[i]->line, a.ended,
			    b.ended);
	}
	ovr_match_fini(&a);
	ovr_match_fini(&b);
	return same;
}

/* probe_values - interesting sizes and retry counts of a map */
static void
probe_values(const struct ovr_map *map, unsigned long long *sizes,
    unsigned long *retries)
{
	size_t i, k, ns = 2, nr = 2;

	sizes[0] = 0;
	sizes[1] = 1000;
	retries[0] = 0;
	retries[1] = 1;
	for (i = 0; i < ovr_map_count(map); i++) {
		const struct ovr_rule *r = ovr_map_rule(map, i);

		for (k = 0; k < r->nsize && ns + 3 <= PROBE_SIZES; k++) {
			sizes[ns++] = r->size[k].n - (r->size[k].n > 0);
			sizes[ns++] = r->size[k].n;
			sizes[ns++] = r->size[k].n + 1;
		}
		for (k = 0; k < r->nretries && nr + 2 <= PROBE_RETRIES; k++) {
			retries[nr++] = (unsigned long)r->retries[k].n;
			retries[nr++] = (unsigned long)r->retries[k].n + 1;
		}
	}
	for (; ns < PROBE_SIZES; ns++)
		sizes[ns] = 1ULL << (ns * 2);
	for (; nr < PROBE_RETRIES; nr++)
		retries[nr] = nr * 3;
}

/* probe_domain - a domain the pattern matches (variant v), into buf */
static void
probe_domain(const char *pattern, unsigned v, char *buf, size_t size)
{
	static const char *const stars[] = {"", "a", "b.c", "Xn--Z9"};
	struct sbuf sb;
	const char *p;

	sbuf_init(&sb);
	if (v & 4)
		sbuf_printf(&sb, "sub.");
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '*')
			sbuf_printf(&sb, "%s", stars[v & 3]);
		else if (*p == '?')
			sbuf_printf(&sb, "q");
		else if ((v & 8) && *p >= 'a' && *p <= 'z')
			sbuf_printf(&sb, "%c", *p - 'a' + 'A');
		else
			sbuf_append(&sb, p, 1);
	}
	if (v & 16)
		sbuf_printf(&sb, ".");
	snprintf(buf, size, "%s", sbuf_str(&sb));
	sbuf_fini(&sb);
}

/*
 * compare_maps - every rule's pattern made into domains, with sizes
 * and retries around its conditions: the number of lookups that differ
 */
static unsigned long
compare_maps(const struct ovr_map *text, const struct ovr_map *comp)
{
	unsigned long long sizes[PROBE_SIZES];
	unsigned long retries[PROBE_RETRIES], diff = 0;
	char dom[OVR_DOMAIN_MAX * 4];
	struct rnd pick;
	size_t i, k, s, r;
	unsigned v;

	ck_assert_uint_eq(ovr_map_count(text), ovr_map_count(comp));
	probe_values(text, sizes, retries);
	rnd_init(&pick, 7);
	for (i = 0; i < ovr_map_count(text); i++) {
		for (v = 0; v < 32; v++) {
			probe_domain(ovr_map_rule(text, i)->pattern, v, dom,
			    sizeof(dom));
			for (k = 0; k < PROBE_PAIRS; k++) {
				s = rnd_below(&pick, PROBE_SIZES);
				r = rnd_below(&pick, PROBE_RETRIES);
				/* Seed 0 would mean a random seed. */
				diff += !same_answer(text, comp, dom, sizes[s],
				    retries[r], 1 + rnd_next(&pick) % 1000000);
			}
		}
	}
	diff += !same_answer(text, comp, "nowhere.invalid", 0, 0, 1);
	diff += !same_answer(text, comp, "", 0, 0, 1);
	return diff;
}

/* compile_parsed - write a parsed map (errors or not) and map it */
static struct ovr_map *
compile_parsed(const struct ovr_map *map, const char *name)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_cid id;
	struct ovr_map *comp;
	char path[PATH_MAX], why[PATH_MAX + 128];

	memset(&id, 0, sizeof(id));
	snprintf(path, sizeof(path), "%s/%s.cmap", tmpdir, name);
	(void)unlink(path);
	ck_assert_msg(
	    ovr_cmap_write(map, &id, NULL, path, dl), "cannot write %s", path);
	comp = ovr_cmap_open(path, ovr_map_name(map), &id, why, sizeof(why));
	ck_assert_msg(comp != NULL, "%s", why);
	ck_assert(ovr_map_compiled(comp));
	diag_list_free(dl);
	return comp;
}

START_TEST(test_ovr_cmap_match_every_tree_map)
{
	const char *name = srcs[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *text, *comp;
	struct sbuf sb;
	char path[PATH_MAX + 300];

	sbuf_init(&sb);
	snprintf(path, sizeof(path), "%s/%s", top, name);
	src_text(path, &sb);
	text = ovr_map_parse(name, sb.data, sb.len, dl);
	comp = compile_parsed(text, "tree");
	ck_assert_msg(compare_maps(text, comp) == 0, "case \"%s\": %zu rules",
	    name, ovr_map_count(text));
	ovr_map_free(comp);
	ovr_map_free(text);
	sbuf_fini(&sb);
	diag_list_free(dl);
}
END_TEST

/* gen_map - a map of n lines of every shape, from seed */
static void
gen_map(unsigned long n, uint64_t seed, struct sbuf *sb)
{
	static const char *const tld[] = {"com", "net", "org", "co.uk"};
	static const char *const ops[] = {"<", "<=", "=", "<>", ">=", ">"};
	static const char *const tls[] = {
	    "none", "may", "encrypt", "verify", "dane"};
	unsigned long i;
	struct rnd rng;

	rnd_init(&rng, seed);
	for (i = 0; i < n; i++) {
		unsigned k = (unsigned)rnd_below(&rng, 10);
		unsigned d = (unsigned)rnd_below(&rng, 50);

		if (k < 4)
			sbuf_printf(sb, "d%u.%s", d, tld[d % 4]);
		else if (k < 7)
			sbuf_printf(sb, "*.d%u.%s", d, tld[d % 4]);
		else if (k == 7)
			sbuf_printf(sb, "d?%u*.%s", d % 10, tld[d % 4]);
		else if (k == 8)
			sbuf_printf(sb, "*%s", tld[d % 4]);
		else
			sbuf_printf(sb, "*");
		if (rnd_below(&rng, 5) == 0)
			sbuf_printf(
			    sb, " u%u%%40x:p#%lu@h%u.relay", d, i, d % 7);
		else if (rnd_below(&rng, 4) == 0)
			sbuf_printf(sb, " [2001:db8::%u]:%u", d, 2500 + d);
		else
			sbuf_printf(sb, " 127.0.19.%u", d % 8 + 1);
		if (rnd_below(&rng, 3) == 0)
			sbuf_printf(
			    sb, " $priority:%u", (unsigned)rnd_below(&rng, 4));
		if (rnd_below(&rng, 4) == 0)
			sbuf_printf(sb, " $size%s%uK", ops[rnd_below(&rng, 6)],
			    (unsigned)rnd_below(&rng, 20));
		if (rnd_below(&rng, 5) == 0)
			sbuf_printf(sb, " $retries%s%u",
			    ops[rnd_below(&rng, 6)],
			    (unsigned)rnd_below(&rng, 5));
		if (rnd_below(&rng, 6) == 0)
			sbuf_printf(sb, " $tls:%s", tls[rnd_below(&rng, 5)]);
		if (rnd_below(&rng, 25) == 0)
			sbuf_printf(sb, " $end");
		sbuf_printf(sb, "\n");
	}
}

START_TEST(test_ovr_cmap_match_generated_map)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *text, *comp;
	struct sbuf sb;

	sbuf_init(&sb);
	gen_map(800, 17 + (uint64_t)_i, &sb);
	text = ovr_map_parse("gen.map", sb.data, sb.len, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	comp = compile_parsed(text, "gen");
	ck_assert_uint_eq(compare_maps(text, comp), 0);
	ovr_map_free(comp);
	ovr_map_free(text);
	sbuf_fini(&sb);
	diag_list_free(dl);
}
END_TEST

/* write_map - the text as tmpdir/name, mode 0600; returns the path */
static char *
write_map(const char *name, const char *text, size_t len)
{
	char *path = unit_write_file(tmpdir, name, text, len);

	ck_assert_int_eq(chmod(path, 0600), 0);
	return path;
}

/* state_dir - tmpdir/state, made 0700 */
static const char *
state_dir(void)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	(void)mkdir(dir, 0700);
	return dir;
}

/* load_conf - the map ovr_map_load_conf gives with tmpdir/state */
static struct ovr_map *
load_conf(const char *path, bool lint, struct diag_list *dl)
{
	struct ovr_map *map = NULL;

	ck_assert_int_eq(
	    ovr_map_load_conf(path, false, lint, state_dir(), &map, dl),
	    OVR_OK);
	ck_assert_ptr_nonnull(map);
	return map;
}

/* cmap_ino - the inode of the compiled map, 0 when there is none */
static ino_t
cmap_ino(void)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", state_dir(), OVR_CMAP_NAME);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

START_TEST(test_ovr_cmap_load_conf_rebuilds_when_changed)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	struct ovr_match m;
	struct timespec ts[2];
	char *path;
	ino_t ino;

	path = write_map("o.map", "a.com h1\n", 9);
	map = load_conf(path, false, dl);
	ck_assert(ovr_map_compiled(map));
	ino = cmap_ino();
	ck_assert_uint_ne(ino, 0);
	ovr_map_free(map);
	/* Up to date: used as it is. */
	map = load_conf(path, false, dl);
	ck_assert(ovr_map_compiled(map));
	ck_assert_uint_eq(cmap_ino(), ino);
	ovr_map_free(map);
	/* The same size, another text and mtime: rebuilt, new answers. */
	free(write_map("o.map", "a.com h2\n", 9));
	ts[0].tv_sec = ts[1].tv_sec = 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 5;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	map = load_conf(path, false, dl);
	ck_assert(ovr_map_compiled(map));
	ck_assert_uint_ne(cmap_ino(), ino);
	ck_assert_uint_eq(ovr_map_match(map, "a.com", 0, 0, NULL, &m), 1);
	ck_assert_str_eq(m.lines[0]->target.host, "h2");
	ovr_match_fini(&m);
	ovr_map_free(map);
	/* Only the nanoseconds differ: rebuilt as well. */
	ino = cmap_ino();
	ts[0].tv_nsec = ts[1].tv_nsec = 6;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	map = load_conf(path, false, dl);
	ck_assert_uint_ne(cmap_ino(), ino);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ovr_map_free(map);
	ck_assert_uint_eq(diag_errors(dl), 0);
	free(path);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_cmap_load_conf_never_compiles_errors)
{
	static const char bad[] = "a.com h1\nb.com h2 $bogus\n";
	struct diag_list *d1 = diag_list_new(), *d2 = diag_list_new();
	struct ovr_map *map = NULL;
	char e1[512], e2[512];
	char *path;

	path = write_map("bad.map", bad, sizeof(bad) - 1);
	ck_assert_int_eq(
	    ovr_map_load_conf(path, false, false, NULL, &map, d1), OVR_INVALID);
	ck_assert_int_eq(
	    ovr_map_load_conf(path, false, false, state_dir(), &map, d2),
	    OVR_INVALID);
	ck_assert_ptr_null(map);
	ck_assert_uint_eq(cmap_ino(), 0);
	diag_format(diag_first_error(d1), e1, sizeof(e1));
	diag_format(diag_first_error(d2), e2, sizeof(e2));
	ck_assert_str_eq(e1, e2);
	free(path);
	diag_list_free(d1);
	diag_list_free(d2);
}
END_TEST

/* diag_text - the printed list */
static char *
diag_text(struct diag_list *dl)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(fp);
	diag_print(dl, fp);
	fclose(fp);
	return out;
}

START_TEST(test_ovr_cmap_load_conf_keeps_lint_warnings)
{
	static const char text[] = "a.com u:p@h1\na.com u:p@h1\n"
	                           "* h2 $end\nb.com h3\n";
	struct diag_list *d0 = diag_list_new(), *d1 = diag_list_new(),
	                 *d2 = diag_list_new();
	struct ovr_map *m0 = NULL, *m1, *m2;
	char *path, *t0, *t1, *t2;
	ino_t ino;

	path = write_map("w.map", text, sizeof(text) - 1);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(
	    ovr_map_load_conf(path, false, true, NULL, &m0, d0), OVR_OK);
	/* Built without lint first: lint's warnings are not in it, so
	 * the first load that wants them rebuilds it. */
	m1 = load_conf(path, false, d1);
	ck_assert(ovr_map_compiled(m1));
	ino = cmap_ino();
	ovr_map_free(m1);
	diag_list_free(d1);
	d1 = diag_list_new();
	m1 = load_conf(path, true, d1);
	ck_assert_uint_ne(cmap_ino(), ino);
	ino = cmap_ino();
	m2 = load_conf(path, true, d2);
	ck_assert(ovr_map_compiled(m2));
	ck_assert_uint_eq(cmap_ino(), ino);
	t0 = diag_text(d0);
	t1 = diag_text(d1);
	t2 = diag_text(d2);
	ck_assert_uint_gt(diag_warnings(d0), 2);
	ck_assert_str_eq(t0, t1);
	ck_assert_str_eq(t0, t2);
	ck_assert_uint_eq(diag_warnings(d0), diag_warnings(d2));
	free(t0);
	free(t1);
	free(t2);
	ovr_map_free(m0);
	ovr_map_free(m1);
	ovr_map_free(m2);
	free(path);
	diag_list_free(d0);
	diag_list_free(d1);
	diag_list_free(d2);
}
END_TEST

/* read_all - a whole file into memory */
static char *
read_all(const char *path, size_t *len)
{
	struct sbuf sb;
	char buf[8192], *data;
	size_t n;
	FILE *fp = fopen(path, "rb");

	ck_assert_ptr_nonnull(fp);
	sbuf_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sbuf_append(&sb, buf, n);
	fclose(fp);

	*len = sb.len;
	data = sbuf_export(&sb);
	sbuf_fini(&sb);
	return data;
}

START_TEST(test_ovr_cmap_open_damaged_files)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *text, *comp;
	struct ovr_match m;
	struct rnd rng;
	struct sbuf sb;
	char cpath[PATH_MAX + 32], dom[OVR_DOMAIN_MAX * 4];
	char *good, *bad;
	size_t len, cut, i, k;
	unsigned long opened = 0, refused = 0;

	sbuf_init(&sb);
	gen_map(300, 5, &sb);
	text = ovr_map_parse("d.map", sb.data, sb.len, dl);
	comp = compile_parsed(text, "d");
	ovr_map_free(comp);
	snprintf(cpath, sizeof(cpath), "%s/d.cmap", tmpdir);
	good = read_all(cpath, &len);
	bad = malloc(len);
	rnd_init(&rng, 99);
	for (i = 0; i < 400; i++) {
		memcpy(bad, good, len);
		cut = len;
		if (i % 4 == 0)
			cut = rnd_below(&rng, len);
		else
			for (k = 0; k < 1 + i % 8; k++)
				bad[sizeof(struct ovr_chdr) +
				    rnd_below(
				        &rng, len - sizeof(struct ovr_chdr))] =
				    (char)rnd_below(&rng, 256);
		if (i % 16 == 1)
			bad[rnd_below(&rng, sizeof(struct ovr_chdr))] ^= 0x40;
		(void)unlink(cpath);
		free(unit_write_file(tmpdir, "d.cmap", bad, cut));
		ck_assert_int_eq(chmod(cpath, 0600), 0);
		comp = ovr_cmap_open(cpath, "d.map", NULL, NULL, 0);
		if (comp == NULL) {
			refused++;
			continue;
		}
		opened++;
		/* Damage past the header: no crash, no read out of bounds. */
		for (k = 0; k < ovr_map_count(text); k += 7) {
			probe_domain(ovr_map_rule(text, k)->pattern,
			    (unsigned)k, dom, sizeof(dom));
			ovr_map_match(comp, dom, 5000, 1, &rng, &m);
			ovr_match_fini(&m);
		}
		ovr_map_free(comp);
	}
	ck_assert_uint_gt(refused, 100);
	ck_assert_uint_gt(opened, 100);
	free(bad);
	free(good);
	ovr_map_free(text);
	sbuf_fini(&sb);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_cmap_load_conf_rebuilds_damaged)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *text, *map;
	char cpath[PATH_MAX + 32];
	struct sbuf sb;
	char *path, *good;
	size_t len;
	ino_t ino;
	int fd;

	sbuf_init(&sb);
	gen_map(200, 8, &sb);
	path = write_map("g.map", sb.data, sb.len);
	text = ovr_map_parse(path, sb.data, sb.len, dl);
	map = load_conf(path, false, dl);
	ovr_map_free(map);
	snprintf(cpath, sizeof(cpath), "%s/%s", state_dir(), OVR_CMAP_NAME);
	good = read_all(cpath, &len);
	/* Truncated, then its header garbled: rebuilt each time. */
	ck_assert_int_eq(truncate(cpath, (off_t)(len / 2)), 0);
	ino = cmap_ino();
	map = load_conf(path, false, dl);
	ck_assert(ovr_map_compiled(map));
	ck_assert_uint_ne(cmap_ino(), ino);
	ck_assert_uint_eq(compare_maps(text, map), 0);
	ovr_map_free(map);
	fd = open(cpath, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "garbage!", 8, 40), 8);
	close(fd);
	ino = cmap_ino();
	map = load_conf(path, false, dl);
	ck_assert_uint_ne(cmap_ino(), ino);
	ck_assert_uint_eq(compare_maps(text, map), 0);
	ovr_map_free(map);
	/* Writable by others: not trusted either. */
	ck_assert_int_eq(chmod(cpath, 0622), 0);
	ino = cmap_ino();
	map = load_conf(path, false, dl);
	ck_assert_uint_ne(cmap_ino(), ino);
	ovr_map_free(map);
	ck_assert_uint_eq(diag_errors(dl), 0);
	free(good);
	free(path);
	ovr_map_free(text);
	sbuf_fini(&sb);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_cmap_map_compile_statuses)
{
	static const char good[] = "a.com h1\n*.b.com u:p@h2 $end\n";
	static const char bad[] = "a.com h1 $bogus\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_compile_info info;
	char *gpath, *bpath, missing[PATH_MAX + 16];
	struct stat st;

	gpath = write_map("good.map", good, sizeof(good) - 1);
	bpath = write_map("bad.map", bad, sizeof(bad) - 1);
	ck_assert_int_eq(
	    ovr_map_compile(gpath, state_dir(), &info, dl), OVR_OK);
	ck_assert_uint_eq(info.rules, 2);
	ck_assert_int_eq(stat(info.path, &st), 0);
	ck_assert_uint_eq(info.bytes, (unsigned long long)st.st_size);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	/* Forced: written again although it is up to date. */
	ck_assert_int_eq(
	    ovr_map_compile(gpath, state_dir(), &info, dl), OVR_OK);
	ck_assert_uint_ne(cmap_ino(), st.st_ino);
	ck_assert_uint_eq(diag_errors(dl), 0);
	ck_assert_int_eq(
	    ovr_map_compile(bpath, state_dir(), &info, dl), OVR_INVALID);
	ck_assert_uint_eq(diag_errors(dl), 1);
	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	ck_assert_int_eq(
	    ovr_map_compile(missing, state_dir(), &info, dl), OVR_NOFILE);
	ck_assert_int_eq(ovr_map_compile(gpath, missing, &info, dl), OVR_TEMP);
	free(gpath);
	free(bpath);
	diag_list_free(dl);
}
END_TEST

/* ovr_cmap_suite - compiled maps */
static Suite *
ovr_cmap_suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc;

	tc = tcase_create("cmap_equal");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(
	    tc, test_ovr_cmap_match_every_tree_map, 0, (int)nsrcs);
	tcase_add_loop_test(tc, test_ovr_cmap_match_generated_map, 0, 3);
	suite_add_tcase(s, tc);
	tc = tcase_create("cmap_load");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ovr_cmap_load_conf_rebuilds_when_changed);
	tcase_add_test(tc, test_ovr_cmap_load_conf_never_compiles_errors);
	tcase_add_test(tc, test_ovr_cmap_load_conf_keeps_lint_warnings);
	tcase_add_test(tc, test_ovr_cmap_open_damaged_files);
	tcase_add_test(tc, test_ovr_cmap_load_conf_rebuilds_damaged);
	tcase_add_test(tc, test_ovr_cmap_map_compile_statuses);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	size_t i;
	int rc;

	src_scan();
	rc = unit_run(ovr_cmap_suite());
	for (i = 0; i < nsrcs; i++)
		free(srcs[i]);
	return rc;
}
