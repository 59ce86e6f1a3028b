/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of override matching: conditions, patterns, order, index. */

#include "unit.h"

#include <ctype.h>

#include "diag.h"
#include "ovr.h"
#include "rnd.h"
#include "sbuf.h"

/* A condition at its boundary: does "a.com h QUAL" match at value. */
static const struct cond_case {
	const char *name;
	const char *qual;
	unsigned long long value;
	bool want;
} cond_cases[] = {
    {"size<100 at 99", "$size<100", 99, true},
    {"size<100 at 100", "$size<100", 100, false},
    {"size<100 at 101", "$size<100", 101, false},
    {"size<=100 at 99", "$size<=100", 99, true},
    {"size<=100 at 100", "$size<=100", 100, true},
    {"size<=100 at 101", "$size<=100", 101, false},
    {"size=100 at 99", "$size=100", 99, false},
    {"size=100 at 100", "$size=100", 100, true},
    {"size=100 at 101", "$size=100", 101, false},
    {"size<>100 at 99", "$size<>100", 99, true},
    {"size<>100 at 100", "$size<>100", 100, false},
    {"size<>100 at 101", "$size<>100", 101, true},
    {"size>=100 at 99", "$size>=100", 99, false},
    {"size>=100 at 100", "$size>=100", 100, true},
    {"size>=100 at 101", "$size>=100", 101, true},
    {"size>100 at 99", "$size>100", 99, false},
    {"size>100 at 100", "$size>100", 100, false},
    {"size>100 at 101", "$size>100", 101, true},
    {"retries<100 at 99", "$retries<100", 99, true},
    {"retries<100 at 100", "$retries<100", 100, false},
    {"retries<100 at 101", "$retries<100", 101, false},
    {"retries<=100 at 99", "$retries<=100", 99, true},
    {"retries<=100 at 100", "$retries<=100", 100, true},
    {"retries<=100 at 101", "$retries<=100", 101, false},
    {"retries=100 at 99", "$retries=100", 99, false},
    {"retries=100 at 100", "$retries=100", 100, true},
    {"retries=100 at 101", "$retries=100", 101, false},
    {"retries<>100 at 99", "$retries<>100", 99, true},
    {"retries<>100 at 100", "$retries<>100", 100, false},
    {"retries<>100 at 101", "$retries<>100", 101, true},
    {"retries>=100 at 99", "$retries>=100", 99, false},
    {"retries>=100 at 100", "$retries>=100", 100, true},
    {"retries>=100 at 101", "$retries>=100", 101, true},
    {"retries>100 at 99", "$retries>100", 99, false},
    {"retries>100 at 100", "$retries>100", 100, false},
    {"retries>100 at 101", "$retries>100", 101, true},
    {"size>=1K at 1023", "$size>=1K", 1023, false},
    {"size>=1K at 1024", "$size>=1K", 1024, true},
    {"size<1m at 1048575", "$size<1m", 1048575, true},
    {"size<1m at 1048576", "$size<1m", 1048576, false},
    {"size>2M at 2097152", "$size>2M", 2097152, false},
    {"size>2M at 2097153", "$size>2M", 2097153, true},
    {"size=1G at 1073741824", "$size=1G", 1073741824ULL, true},
    {"size=1g at 1073741823", "$size=1g", 1073741823ULL, false},
    {"size arrow at 10",
        "$size\xe2\x87\x90"
        "10",
        10, true},
    {"size arrow at 12",
        "$size\xe2\x87\x90"
        "11",
        12, false},
};

START_TEST(test_ovr_map_match_cond_boundary)
{
	const struct cond_case *c = &cond_cases[_i];
	struct diag_list *dl = diag_list_new();
	bool is_size = strncmp(c->qual, "$size", 5) == 0;
	struct ovr_match m;
	struct ovr_map *map;
	char line[128];
	size_t n;

	snprintf(line, sizeof(line), "a.com h %s\n", c->qual);
	map = ovr_map_parse("t.map", line, strlen(line), dl);
	ck_assert_msg(
	    diag_errors(dl) == 0, "case \"%s\": does not parse", c->name);
	n = ovr_map_match(map, "a.com", is_size ? c->value : 0,
	    is_size ? 0 : (unsigned long)c->value, NULL, &m);
	ck_assert_msg((n == 1) == c->want,
	    "case \"%s\": got %zu matches, want %d", c->name, n, c->want);
	ovr_match_fini(&m);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* A lookup and the lines it must give, in file order. */
static const struct match_case {
	const char *name;
	const char *map;
	const char *domain;
	unsigned long long size;
	unsigned long retries;
	const char *want; /* matching line numbers, space-separated */
	bool ended;
} match_cases[] = {
    {"wildcard subdomain", "*.demon.co.uk h\n", "a.demon.co.uk", 0, 0, "1",
        false},
    {"wildcard deeper", "*.demon.co.uk h\n", "a.b.demon.co.uk", 0, 0, "1",
        false},
    {"wildcard not parent", "*.demon.co.uk h\n", "demon.co.uk", 0, 0, "",
        false},
    {"wildcard not sibling", "*.demon.co.uk h\n", "xdemon.co.uk", 0, 0, "",
        false},
    {"star matches all", "* h\n", "anything.example", 0, 0, "1", false},
    {"star in the middle", "mx*.example h\n", "mx1.a.example", 0, 0, "1",
        false},
    {"star at the end", "example.* h\n", "example.co.uk", 0, 0, "1", false},
    {"question one", "a?c.com h\n", "abc.com", 0, 0, "1", false},
    {"question not none", "a?c.com h\n", "ac.com", 0, 0, "", false},
    {"question not two", "a?c.com h\n", "abbc.com", 0, 0, "", false},
    {"question and star", "?*.com h\n", "a.com", 0, 0, "1", false},
    {"exact only", "a.com h\n", "b.a.com", 0, 0, "", false},
    {"case insensitive", "Example.ORG h\n", "eXAMPLE.org", 0, 0, "1", false},
    {"trailing dot", "example.org h\n", "example.org.", 0, 0, "1", false},
    {"pattern trailing dot", "example.org. h\n", "example.org", 0, 0, "1",
        false},
    {"file order across indexes", "*.com h1\na.com h2\n* h3\n?.com h4\n",
        "a.com", 0, 0, "1 2 3 4", false},
    {"end stops", "a.com h1 $end\na.com h2\n* h3\n", "a.com", 0, 0, "1", true},
    {"end keeps earlier", "* h0\na.com h1 $end\n* h2\n", "a.com", 0, 0, "1 2",
        true},
    {"end not matching size", "a.com h1 $size>100 $end\na.com h2\n", "a.com",
        50, 0, "2", false},
    {"end not matching pattern", "b.com h1 $end\na.com h2\n", "a.com", 0, 0,
        "2", false},
    {"end later wins nothing", "a.com h1\n*.com h2 $end\n* h3\n", "a.com", 0, 0,
        "1 2", true},
    {"size and retries both", "a.com h $size>10 $retries>=2\n", "a.com", 20, 2,
        "1", false},
    {"size holds retries not", "a.com h $size>10 $retries>=2\n", "a.com", 20, 1,
        "", false},
    {"retries hold size not", "a.com h $size>10 $retries>=2\n", "a.com", 5, 2,
        "", false},
    {"two size conditions", "a.com h $size>10 $size<20\n", "a.com", 15, 0, "1",
        false},
    {"two size conditions out", "a.com h $size>10 $size<20\n", "a.com", 20, 0,
        "", false},
    {"empty map", "# nothing\n", "a.com", 0, 0, "", false},
    {"domain too long", "* h\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        0, 0, "", false},
};

START_TEST(test_ovr_map_match_table)
{
	const struct match_case *c = &match_cases[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	struct ovr_match m;
	struct sbuf got;
	size_t i, n;

	map = ovr_map_parse("t.map", c->map, strlen(c->map), dl);
	ck_assert_msg(
	    diag_errors(dl) == 0, "case \"%s\": does not parse", c->name);
	n = ovr_map_match(map, c->domain, c->size, c->retries, NULL, &m);
	sbuf_init(&got);
	for (i = 0; i < n; i++)
		sbuf_printf(&got, "%s%lu", i ? " " : "", m.lines[i]->line);
	ck_assert_msg(strcmp(sbuf_str(&got), c->want) == 0 &&
	        m.ended == c->ended && m.n == n,
	    "case \"%s\": got \"%s\" ended %d, want \"%s\" ended %d", c->name,
	    sbuf_str(&got), m.ended, c->want, c->ended);
	sbuf_fini(&got);
	ovr_match_fini(&m);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* Patterns that make naive backtracking explode. */
static const struct pattern_case {
	const char *name;
	const char *pattern;
	size_t domain_len;
	char domain_char;
	bool want;
} pattern_cases[] = {
    {"star question run", "*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?b", 253,
        'a', false},
    {"many stars", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 253, 'a',
        false},
    {"many stars match", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", 253,
        'a', true},
    {"questions too many", "??????????", 9, 'x', false},
    {"questions exact", "??????????", 10, 'x', true},
    {"stars only", "***", 0, 'x', true},
};

START_TEST(test_ovr_pattern_match_pathological)
{
	const struct pattern_case *c = &pattern_cases[_i];
	char domain[OVR_DOMAIN_MAX + 1];
	bool got;

	memset(domain, c->domain_char, c->domain_len);
	domain[c->domain_len] = '\0';
	got = ovr_pattern_match(c->pattern, domain);
	ck_assert_msg(got == c->want, "case \"%s\": got %d, want %d", c->name,
	    got, c->want);
}
END_TEST

/* order_of - the delivery order as line numbers, "2 5 3 4 1" */
static void
order_of(const struct ovr_map *map, uint64_t seed, struct sbuf *sb)
{
	struct ovr_match m;
	struct rnd rng;
	size_t i, n;

	rnd_init(&rng, seed);
	n = ovr_map_match(map, "a.com", 0, 0, &rng, &m);
	sbuf_reset(sb);
	for (i = 0; i < n; i++)
		sbuf_printf(sb, "%s%lu", i ? " " : "", m.order[i]->line);
	ovr_match_fini(&m);
}

/* Priorities 20, 5, 10, 10, 5, 10: runs {2,5}, {3,4,6}, {1}. */
static const char order_map[] = "a.com h1 $priority:20\n"
                                "a.com h2 $priority:5\n"
                                "a.com h3\n"
                                "a.com h4 $priority:10\n"
                                "a.com h5 $priority:5\n"
                                "*.com h6\n";

START_TEST(test_ovr_map_match_order_by_priority)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map =
	    ovr_map_parse("t.map", order_map, strlen(order_map), dl);
	struct sbuf a, b;
	struct ovr_match m;
	uint64_t seed;
	size_t i;

	sbuf_init(&a);
	sbuf_init(&b);
	/* No random source: file order inside each priority. */
	ck_assert_uint_eq(ovr_map_match(map, "a.com", 0, 0, NULL, &m), 6);
	for (i = 0; i < m.n; i++)
		sbuf_printf(&a, "%s%lu", i ? " " : "", m.order[i]->line);
	ck_assert_str_eq(sbuf_str(&a), "2 5 3 4 6 1");
	ovr_match_fini(&m);
	for (seed = 1; seed <= 100; seed++) {
		order_of(map, seed, &a);
		order_of(map, seed, &b);
		ck_assert_msg(strcmp(sbuf_str(&a), sbuf_str(&b)) == 0,
		    "case \"seed %llu\": got %s then %s, want the same",
		    (unsigned long long)seed, sbuf_str(&a), sbuf_str(&b));
		/* Priorities never interleave. */
		ck_assert_msg(strspn(sbuf_str(&a), "25 ") == 4 &&
		        strcmp(sbuf_str(&a) + a.len - 1, "1") == 0,
		    "case \"seed %llu\": got %s, want {2,5} {3,4,6} 1",
		    (unsigned long long)seed, sbuf_str(&a));
	}
	sbuf_fini(&a);
	sbuf_fini(&b);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_match_shuffle_reaches_all_orders)
{
	static const char *const want[] = {"2 5 3 4 6 1", "2 5 3 6 4 1",
	    "2 5 4 3 6 1", "2 5 4 6 3 1", "2 5 6 3 4 1", "2 5 6 4 3 1",
	    "5 2 3 4 6 1", "5 2 3 6 4 1", "5 2 4 3 6 1", "5 2 4 6 3 1",
	    "5 2 6 3 4 1", "5 2 6 4 3 1"};
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map =
	    ovr_map_parse("t.map", order_map, strlen(order_map), dl);
	bool seen[sizeof(want) / sizeof(want[0])] = {false};
	struct sbuf a;
	uint64_t seed;
	size_t i;

	sbuf_init(&a);
	for (seed = 1; seed <= 2000; seed++) {
		order_of(map, seed, &a);
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (strcmp(sbuf_str(&a), want[i]) == 0)
				seen[i] = true;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(
		    seen[i], "case \"%s\": got never, want seen", want[i]);
	sbuf_fini(&a);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* ref_match - reference wildcard matcher by plain recursion (short input) */
static bool
ref_match(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*')
		return ref_match(p + 1, s) ||
		    (*s != '\0' && ref_match(p, s + 1));
	if (*s == '\0')
		return false;
	return (*p == '?' || *p == *s) && ref_match(p + 1, s + 1);
}

/* ref_lines - the matching lines by a linear scan, "1 5 7" */
static void
ref_lines(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries, struct sbuf *sb)
{
	char d[64];
	size_t i, j, len = strlen(domain);
	const struct ovr_rule *r;
	bool ok;

	for (i = 0; i < len; i++)
		d[i] = (char)tolower((unsigned char)domain[i]);
	if (len > 0 && d[len - 1] == '.')
		len--;
	d[len] = '\0';
	sbuf_reset(sb);
	for (i = 0; i < ovr_map_count(map); i++) {
		r = ovr_map_rule(map, i);
		ok = ref_match(r->pattern, d);
		for (j = 0; ok && j < r->nsize; j++)
			ok = ovr_cond_holds(&r->size[j], size);
		for (j = 0; ok && j < r->nretries; j++)
			ok = ovr_cond_holds(&r->retries[j], retries);
		if (!ok)
			continue;
		sbuf_printf(sb, "%s%lu", sb->len ? " " : "", r->line);
		if (r->end)
			break;
	}
}

/* rand_word - n random characters from an alphabet */
static void
rand_word(struct rnd *rng, const char *alphabet, size_t n, struct sbuf *sb)
{
	size_t i, k = strlen(alphabet);

	for (i = 0; i < n; i++)
		sbuf_putc(sb, alphabet[rnd_below(rng, k)]);
}

/* rand_map - a few thousand random short lines */
static void
rand_map(struct rnd *rng, size_t lines, struct sbuf *sb)
{
	size_t i;

	for (i = 0; i < lines; i++) {
		size_t start = sb->len, j;

		if (rnd_below(rng, 3) == 0)
			rand_word(rng, "ab.", 1 + rnd_below(rng, 6), sb);
		else
			rand_word(rng, "aab.*?", 1 + rnd_below(rng, 6), sb);
		/* No empty label: a pattern with one is an error. */
		for (j = start; j < sb->len; j++)
			if (sb->data[j] == '.' &&
			    (j == start || j + 1 == sb->len ||
			        sb->data[j - 1] == '.'))
				sb->data[j] = 'a';
		sbuf_printf(sb, " h%zu", i);
		if (rnd_below(rng, 10) == 0)
			sbuf_printf(sb, " $size>%zu", rnd_below(rng, 20));
		if (rnd_below(rng, 10) == 0)
			sbuf_printf(sb, " $retries<%zu", rnd_below(rng, 5));
		if (rnd_below(rng, 50) == 0)
			sbuf_puts(sb, " $end");
		sbuf_putc(sb, '\n');
	}
}

START_TEST(test_ovr_map_match_index_agrees_with_scan)
{
	struct diag_list *dl = diag_list_new();
	struct sbuf text, dom, got, want;
	unsigned long long size;
	unsigned long retries;
	struct ovr_map *map;
	struct ovr_match m;
	struct rnd rng;
	size_t i, j, n;

	sbuf_init(&text);
	sbuf_init(&dom);
	sbuf_init(&got);
	sbuf_init(&want);
	rnd_init(&rng, 20260101);
	rand_map(&rng, 3000, &text);
	map = ovr_map_parse("t.map", text.data, text.len, dl);
	ck_assert_uint_eq(diag_errors(dl), 0);
	for (i = 0; i < 3000; i++) {
		sbuf_reset(&dom);
		rand_word(&rng, "aab.A", rnd_below(&rng, 11), &dom);
		if (rnd_below(&rng, 20) == 0)
			sbuf_putc(&dom, '.');
		size = rnd_below(&rng, 25);
		retries = rnd_below(&rng, 6);
		ref_lines(map, dom.data, size, retries, &want);
		n = ovr_map_match(map, dom.data, size, retries, NULL, &m);
		sbuf_reset(&got);
		for (j = 0; j < n; j++)
			sbuf_printf(
			    &got, "%s%lu", j ? " " : "", m.lines[j]->line);
		ck_assert_msg(strcmp(got.data, want.data) == 0,
		    "case \"%s size %llu retries %lu\": got %s, want %s",
		    dom.data, size, retries, got.data, want.data);
		ovr_match_fini(&m);
	}
	sbuf_fini(&text);
	sbuf_fini(&dom);
	sbuf_fini(&got);
	sbuf_fini(&want);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* ovr_match_suite - matcher tests */
static Suite *
ovr_match_suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc;

	tc = tcase_create("cond");
	tcase_add_loop_test(tc, test_ovr_map_match_cond_boundary, 0,
	    sizeof(cond_cases) / sizeof(cond_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_ovr_map_match_table, 0,
	    sizeof(match_cases) / sizeof(match_cases[0]));
	tcase_add_loop_test(tc, test_ovr_pattern_match_pathological, 0,
	    sizeof(pattern_cases) / sizeof(pattern_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("order");
	tcase_add_test(tc, test_ovr_map_match_order_by_priority);
	tcase_add_test(tc, test_ovr_map_match_shuffle_reaches_all_orders);
	suite_add_tcase(s, tc);
	tc = tcase_create("index");
	tcase_add_test(tc, test_ovr_map_match_index_agrees_with_scan);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(ovr_match_suite());
}
