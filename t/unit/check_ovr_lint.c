/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of override map diagnostics: every t/data/ovr/NAME.in is
 * loaded and linted, and what diag_print() says must equal NAME.ref.
 * Run with the top of the tree as the working directory.
 */

#include "unit.h"

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>

#include "diag.h"
#include "ovr.h"

#define GOLDEN_DIR "t/data/ovr" /* golden files, from the top */
#define GOLDEN_MAX 100 /* golden files at most */

static char golden_top[PATH_MAX]; /* the directory tests start in */
static char *golden_names[GOLDEN_MAX]; /* NAME.in, sorted */
static size_t ngolden; /* entries in golden_names */
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

/* golden_cmp - names in byte order */
static int
golden_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* golden_scan - list the .in files (before the suite runs) */
static void
golden_scan(void)
{
	struct dirent *de;
	size_t len;
	DIR *d;

	if (getcwd(golden_top, sizeof(golden_top)) == NULL)
		return;
	if ((d = opendir(GOLDEN_DIR)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && ngolden < GOLDEN_MAX) {
		len = strlen(de->d_name);
		if (len > 3 && strcmp(de->d_name + len - 3, ".in") == 0)
			golden_names[ngolden++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(golden_names, ngolden, sizeof(golden_names[0]), golden_cmp);
}

/* slurp - a whole file as a NUL-terminated string; NULL if unreadable */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			nbuf = realloc(buf, cap);
			ck_assert_ptr_nonnull(nbuf);
			buf = nbuf;
		}
		got = fread(buf + len, 1, 4096, fp);
		len += got;
	} while (got > 0);
	fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* first_diff - the first line where got and want differ */
static void
first_diff(const char *got, const char *want, char *g, char *w, size_t size)
{
	size_t i = 0, gl, wl;

	while (got[i] != '\0' && got[i] == want[i])
		i++;
	while (i > 0 && got[i - 1] != '\n')
		i--;
	gl = strcspn(got + i, "\n");
	wl = strcspn(want + i, "\n");
	snprintf(g, size, "%.*s", (int)gl, got + i);
	snprintf(w, size, "%.*s", (int)wl, want + i);
}

START_TEST(test_ovr_lint_golden_files)
{
	const char *name = golden_names[_i];
	struct diag_list *dl = diag_list_new();
	char path[PATH_MAX + 64], g[512], w[512];
	char *in, *ref, *copy, *out = NULL;
	struct ovr_map *map = NULL;
	size_t inlen, reflen, outlen = 0;
	enum ovr_status st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/%s", golden_top, GOLDEN_DIR, name);
	in = slurp(path, &inlen);
	ck_assert_msg(in != NULL, "case \"%s\": cannot read", name);
	strcpy(path + strlen(path) - 3, ".ref");
	ref = slurp(path, &reflen);
	ck_assert_msg(ref != NULL, "case \"%s\": no .ref file", name);
	/* A private copy readable by all, loaded by its bare name. */
	copy = unit_write_file(tmpdir, name, in, inlen);
	ck_assert_int_eq(chmod(copy, 0644), 0);
	ck_assert_int_eq(chdir(tmpdir), 0);
	st = ovr_map_load(name, &map, dl);
	ck_assert_int_eq(chdir(golden_top), 0);
	ck_assert_int_ne(st, OVR_NOFILE);
	ovr_lint(map, dl);
	fp = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(fp);
	diag_print(dl, fp);
	fclose(fp);
	first_diff(out, ref, g, w, sizeof(g));
	ck_assert_msg(strcmp(out, ref) == 0,
	    "case \"%s\": got \"%s\", want \"%s\"", name, g, w);
	free(out);
	ovr_map_free(map);
	diag_list_free(dl);
	free(copy);
	free(ref);
	free(in);
}
END_TEST

START_TEST(test_ovr_lint_golden_files_found)
{
	size_t i;
	bool good = false;

	ck_assert_msg(ngolden >= 10, "got %zu golden files in %s/%s, want 10+",
	    ngolden, golden_top, GOLDEN_DIR);
	for (i = 0; i < ngolden; i++)
		if (strcmp(golden_names[i], "good.in") == 0)
			good = true;
	ck_assert_msg(good, "got no good.in, want one");
}
END_TEST

/* Conditions and whether lint calls the line one that can never match. */
static const struct never_case {
	const char *quals;
	bool warn;
} never_cases[] = {
    {"$size<10 $size>20", true},
    {"$size<10 $size>=9", false},
    {"$size<0", true},
    {"$size<=0", false},
    {"$size>18446744073709551615", true},
    {"$size>18446744073709551614", false},
    {"$size<1 $size<>0", true},
    {"$size=5 $size=6", true},
    {"$size=5 $size=5", false},
    {"$size>=5 $size<=6 $size<>5 $size<>6", true},
    {"$size>=5 $size<=7 $size<>5 $size<>6", false},
    {"$size<>5 $size<>5 $size>=5 $size<=6", false},
    {"$retries<0", true},
    {"$retries=3 $retries<>3", true},
    {"$retries>18446744073709551615", true},
    {"$retries<>0 $retries<>1 $retries<>2 $retries<>3", false},
    {"$size<10 $retries>=1", false},
};

START_TEST(test_ovr_lint_never_match_table)
{
	const struct never_case *c = &never_cases[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map;
	char line[256];

	snprintf(line, sizeof(line), "a.com h %s\n", c->quals);
	map = ovr_map_parse("n.map", line, strlen(line), dl);
	ck_assert_msg(diag_errors(dl) == 0 && ovr_map_count(map) == 1,
	    "case \"%s\": does not parse", c->quals);
	ovr_lint(map, dl);
	ck_assert_msg((diag_warnings(dl) == 1) == c->warn,
	    "case \"%s\": got %lu warnings, want %d", c->quals,
	    diag_warnings(dl), c->warn);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_lint_star_end_first_only)
{
	static const char text[] = "* a $end\n"
	                           "* b $end\n"
	                           "x.com c\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = ovr_map_parse("s.map", text, strlen(text), dl);

	ovr_lint(map, dl);
	ck_assert_uint_eq(diag_warnings(dl), 2);
	ck_assert_uint_eq(diag_get(dl, 0)->line, 2);
	ck_assert_uint_eq(diag_get(dl, 1)->line, 3);
	ck_assert_ptr_nonnull(strstr(diag_get(dl, 1)->text, "line 1 "));
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* ovr_lint_suite - lint and diagnostics */
static Suite *
ovr_lint_suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_ovr_lint_golden_files_found);
	tcase_add_loop_test(tc, test_ovr_lint_golden_files, 0, (int)ngolden);
	suite_add_tcase(s, tc);
	tc = tcase_create("lint");
	tcase_add_loop_test(tc, test_ovr_lint_never_match_table, 0,
	    sizeof(never_cases) / sizeof(never_cases[0]));
	tcase_add_test(tc, test_ovr_lint_star_end_first_only);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	size_t i;
	int rc;

	golden_scan();
	rc = unit_run(ovr_lint_suite());
	for (i = 0; i < ngolden; i++)
		free(golden_names[i]);
	return rc;
}
