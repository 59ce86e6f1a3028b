/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the override map on hostile input, and of loading files. */

#include "unit.h"

#include <sys/stat.h>

#include "diag.h"
#include "ovr.h"
#include "rnd.h"
#include "sbuf.h"

/* Bytes the random input favours, so that it reaches deep paths. */
static const char syntax[] = "ab.*?$<>=:@%[]#019 \t\n\rKMG-"
                             "\xe2\x87\x90sizeretriespriorityendtls";

/* exercise - parse, lint, match and format whatever came out */
static void
exercise(const char *buf, size_t len, struct rnd *rng)
{
	static const char *const domains[] = {
	    "a.b", "", "ab.ab", "b", ".", "A.B."};
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = ovr_map_parse("r.map", buf, len, dl);
	const struct ovr_rule *r;
	struct ovr_match m;
	struct sbuf sb;
	size_t i;

	ovr_lint(map, dl);
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		ovr_map_match(map, domains[i], rnd_below(rng, 100),
		    rnd_below(rng, 5), rng, &m);
		ovr_match_fini(&m);
	}
	sbuf_init(&sb);
	for (i = 0; i < ovr_map_count(map); i++) {
		r = ovr_map_rule(map, i);
		ck_assert(r->pattern != NULL && r->target.host != NULL);
		ck_assert(r->nsize <= OVR_COND_MAX);
		ck_assert(r->nretries <= OVR_COND_MAX);
		ovr_rule_format(r, &sb);
	}
	sbuf_fini(&sb);
	ovr_map_free(map);
	diag_list_free(dl);
}

START_TEST(test_ovr_map_parse_random_bytes)
{
	char buf[8192];
	struct rnd rng;
	size_t i, len, round;

	rnd_init(&rng, 77);
	for (round = 0; round < 400; round++) {
		len = rnd_below(&rng, sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = round % 4 == 0
			    ? (char)rnd_below(&rng, 256)
			    : syntax[rnd_below(&rng, sizeof(syntax) - 1)];
		exercise(buf, len, &rng);
	}
}
END_TEST

/* A hostile line and whether a good line after it still counts. */
static const struct hostile_case {
	const char *name;
	const char *text;
	size_t len;
	unsigned long errors;
	size_t rules;
} hostile_cases[] = {
#define HOSTILE(name, text, errors, rules) \
	{ \
		name, text, sizeof(text) - 1, errors, rules \
	}
    HOSTILE("nul in pattern", "a.c\0m h\nb.com h\n", 1, 1),
    HOSTILE("nul in host", "a.com h\0x\nb.com h\n", 1, 1),
    HOSTILE("nul in password", "a.com u:p\0w@h\nb.com h\n", 1, 1),
    HOSTILE("nul after qualifier", "a.com h $end\0\nb.com h\n", 1, 1),
    HOSTILE("nul alone", "\0\nb.com h\n", 2, 1),
    HOSTILE("latin1 pattern", "caf\xe9.com h\nb.com h\n", 1, 1),
    HOSTILE("latin1 host", "a.com caf\xe9.example\nb.com h\n", 1, 1),
    HOSTILE(
        "raw high bytes in password", "a.com u:p\xff\xfe@h\nb.com h\n", 0, 2),
    HOSTILE("broken utf-8 arrow",
        "a.com h $size\xe2\x87"
        "5\nb.com h\n",
        1, 1),
    HOSTILE("control character", "a.com h\x01\nb.com h\n", 1, 1),
    HOSTILE("lone cr", "a.com\rh\nb.com h\n", 0, 2),
    HOSTILE("only spaces and tabs", " \t \t\nb.com h\n", 0, 1),
#undef HOSTILE
};

START_TEST(test_ovr_map_parse_hostile_table)
{
	const struct hostile_case *c = &hostile_cases[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = ovr_map_parse("h.map", c->text, c->len, dl);

	ck_assert_msg(
	    diag_errors(dl) == c->errors && ovr_map_count(map) == c->rules,
	    "case \"%s\": got %lu errors %zu rules, want %lu %zu", c->name,
	    diag_errors(dl), ovr_map_count(map), c->errors, c->rules);
	ck_assert_msg(ovr_map_rule(map, c->rules - 1)->line == 2,
	    "case \"%s\": got the last rule on line %lu, want 2", c->name,
	    ovr_map_rule(map, c->rules - 1)->line);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_parse_100k_line)
{
	size_t len = 100 * 1024;
	char *buf = malloc(len + 32);
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "a.com ", 6);
	memset(buf + 6, 'x', len - 6);
	memcpy(buf + len, "\nb.com h\n", 9);
	map = ovr_map_parse("l.map", buf, len + 9, dl);
	ck_assert_uint_eq(diag_errors(dl), 1);
	ck_assert_uint_eq(diag_get(dl, 0)->line, 1);
	ck_assert_uint_eq(diag_get(dl, 0)->column, OVR_LINE_MAX + 1);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ck_assert_uint_eq(ovr_map_rule(map, 0)->line, 2);
	ovr_map_free(map);
	diag_list_free(dl);
	free(buf);
}
END_TEST

START_TEST(test_ovr_map_parse_many_dollars)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb);
	sbuf_puts(&sb, "a.com h");
	for (i = 0; i < 2040; i++)
		sbuf_puts(&sb, " $");
	sbuf_puts(&sb, "\nb.com h");
	for (i = 0; i < 800; i++)
		sbuf_puts(&sb, " $end");
	sbuf_puts(&sb, "\n");
	map = ovr_map_parse("d.map", sb.data, sb.len, dl);
	ck_assert_uint_eq(diag_errors(dl), 2040);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ck_assert(ovr_map_rule(map, 0)->end);
	ovr_map_free(map);
	diag_list_free(dl);
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_ovr_map_match_pathological_pattern)
{
	static const char text[] = "*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?"
	                           "*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?"
	                           "b h\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = ovr_map_parse("p.map", text, strlen(text), dl);
	char domain[OVR_DOMAIN_MAX + 1];
	struct ovr_match m;

	memset(domain, 'a', OVR_DOMAIN_MAX);
	domain[OVR_DOMAIN_MAX] = '\0';
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ck_assert_uint_eq(ovr_map_match(map, domain, 0, 0, NULL, &m), 0);
	ovr_match_fini(&m);
	domain[OVR_DOMAIN_MAX - 1] = 'b';
	ck_assert_uint_eq(ovr_map_match(map, domain, 0, 0, NULL, &m), 1);
	ovr_match_fini(&m);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

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

/* load_text - write text to a fresh file with a mode and load it */
static enum ovr_status
load_text(const char *text, size_t len, mode_t mode, struct ovr_map **map,
    struct diag_list *dl)
{
	static unsigned serial;
	enum ovr_status st;
	char name[32], *path;

	snprintf(name, sizeof(name), "o%u.map", serial++);
	path = unit_write_file(tmpdir, name, text, len);
	ck_assert_int_eq(chmod(path, mode), 0);
	st = ovr_map_load(path, map, dl);
	free(path);
	return st;
}

START_TEST(test_ovr_map_load_missing_file)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;

	ck_assert_int_eq(
	    ovr_map_load("/nonexistent/o.map", &map, dl), OVR_NOFILE);
	ck_assert_ptr_null(map);
	ck_assert_uint_eq(diag_errors(dl), 1);
	ck_assert_int_eq(ovr_map_load("/", &map, dl), OVR_NOFILE);
	ck_assert_ptr_null(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_load_status)
{
	static const char good[] = "a.com h\r\nb.com h2 $end\r\n";
	static const char bad[] = "a.com h\nb.com\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;

	ck_assert_int_eq(load_text(good, strlen(good), 0600, &map, dl), OVR_OK);
	ck_assert_uint_eq(ovr_map_count(map), 2);
	ck_assert_str_eq(ovr_map_rule(map, 1)->target.host, "h2");
	ovr_map_free(map);
	map = NULL;
	ck_assert_int_eq(
	    load_text(bad, strlen(bad), 0600, &map, dl), OVR_INVALID);
	ck_assert_ptr_nonnull(map);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_load_huge_line)
{
	size_t len = 3 * 1024 * 1024 + 17;
	char *buf = malloc(len + 32);
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;

	/* Longer than the read buffer, then a good line, then one more. */
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', len);
	memcpy(buf + len, "\nb.com h\n", 9);
	memset(buf + len + 9, 'y', 20);
	ck_assert_int_eq(load_text(buf, len + 29, 0600, &map, dl), OVR_INVALID);
	ck_assert_uint_eq(diag_errors(dl), 2);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ck_assert_uint_eq(ovr_map_rule(map, 0)->line, 2);
	ovr_map_free(map);
	map = NULL;
	/* The long line alone, without a line end. */
	ck_assert_int_eq(load_text(buf, len, 0600, &map, dl), OVR_INVALID);
	ck_assert_uint_eq(ovr_map_count(map), 0);
	ovr_map_free(map);
	diag_list_free(dl);
	free(buf);
}
END_TEST

/* mode_warnings - lint warnings of a map with credentials at a mode */
static unsigned long
mode_warnings(mode_t mode)
{
	static const char text[] = "a.com h\nb.com u:p@h\nc.com v:q@h\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;
	unsigned long n;

	ck_assert_int_eq(load_text(text, strlen(text), mode, &map, dl), OVR_OK);
	ovr_lint(map, dl);
	n = diag_warnings(dl);
	if (n > 0) {
		ck_assert_uint_eq(diag_get(dl, 0)->line, 2);
		ck_assert_uint_eq(diag_get(dl, 0)->column, 7);
	}
	ovr_map_free(map);
	diag_list_free(dl);
	return n;
}

START_TEST(test_ovr_lint_credentials_mode)
{
	static const char text[] = "b.com u:p@h\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;

	ck_assert_uint_eq(mode_warnings(0600), 0);
	ck_assert_uint_eq(mode_warnings(0400), 0);
	ck_assert_uint_eq(mode_warnings(0640), 1);
	ck_assert_uint_eq(mode_warnings(0604), 1);
	/* Text from memory has no file mode to judge. */
	map = ovr_map_parse("m.map", text, strlen(text), dl);
	ovr_lint(map, dl);
	ck_assert_uint_eq(diag_warnings(dl), 0);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* ovr_limits_suite - hostile input and files */
static Suite *
ovr_limits_suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc;

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ovr_map_parse_random_bytes);
	tcase_add_loop_test(tc, test_ovr_map_parse_hostile_table, 0,
	    sizeof(hostile_cases) / sizeof(hostile_cases[0]));
	tcase_add_test(tc, test_ovr_map_parse_100k_line);
	tcase_add_test(tc, test_ovr_map_parse_many_dollars);
	tcase_add_test(tc, test_ovr_map_match_pathological_pattern);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_ovr_map_load_missing_file);
	tcase_add_test(tc, test_ovr_map_load_status);
	tcase_add_test(tc, test_ovr_map_load_huge_line);
	tcase_add_test(tc, test_ovr_lint_credentials_mode);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(ovr_limits_suite());
}
