/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Copyright (c) 2026 The smtpdirect authors
 * Documentation tests of the configuration module: every key of the
 * table is in the example file and the manual page, with its default,
 * and they name no other keys. Run with the repository top as cwd.
 */

#include "unit.h"

#include "cfg.h"
#include "cfg_unit.h"
#include "diag.h"

#define DOC_EXAMPLE "conf-examples/smtpdirect.conf"
#define DOC_MAN "man/smtpdirect.conf.5"
#define DOC_NAME_MAX 64 /* longest key we look for */
#define DOC_VALUE_MAX 512 /* longest documented value */

/* A text file split into lines. */
struct doc {
	char *buf; /* file contents, NULs at line ends */
	char **lines; /* lines, borrowed from buf */
	size_t n; /* number of lines */
};

/* doc_read - read path and split it into lines */
static void
doc_read(const char *path, struct doc *doc)
{
	FILE *fp = fopen(path, "r");
	size_t cap = 0, len = 0, got, i;
	char *p;

	ck_assert_msg(fp != NULL, "cannot open %s (cwd must be the top)", path);
	doc->buf = NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 4096 + 1;
			doc->buf = realloc(doc->buf, cap);
			ck_assert_ptr_nonnull(doc->buf);
		}
		got = fread(doc->buf + len, 1, 4096, fp);
		len += got;
	} while (got > 0);
	fclose(fp);
	doc->buf[len] = '\0';
	doc->n = 0;
	for (i = 0; i < len; i++)
		doc->n += doc->buf[i] == '\n';
	doc->lines = calloc(doc->n + 1, sizeof(doc->lines[0]));
	ck_assert_ptr_nonnull(doc->lines);
	doc->n = 0;
	for (p = doc->buf; *p != '\0';) {
		char *nl = strchr(p, '\n');

		doc->lines[doc->n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

/* doc_free - release a read file */
static void
doc_free(struct doc *doc)
{
	free(doc->lines);
	free(doc->buf);
}

/*
 * doc_assignment - true when line is "name = value", commented out or
 * not; name and value (blanks trimmed) are copied out.
 */
static bool
doc_assignment(const char *line, char *name, char *value)
{
	const char *p = line, *end;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	while (
	    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') {
		if (n + 1 < DOC_NAME_MAX)
			name[n++] = *p;
		p++;
	}
	name[n] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (n == 0 || *p != '=')
		return false;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(value, DOC_VALUE_MAX, "%.*s", (int)(end - p), p);
	return true;
}

/*
 * doc_default_checked - whether the documented default of p can be
 * compared: the docs show the standard /etc and /var/lib directories,
 * so a build with other directories only skips path defaults.
 */
static bool
doc_default_checked(const struct cfg_param *p)
{
	return p->type != CFG_T_PATH ||
	    (strcmp(SMTPDIRECT_SYSCONFDIR, "/etc") == 0 &&
	        strcmp(SMTPDIRECT_STATEDIR, "/var/lib/smtpdirect") == 0);
}

START_TEST(test_cfg_table_every_key_in_example_with_default)
{
	const struct cfg_param *tab;
	struct doc doc;
	char name[DOC_NAME_MAX], value[DOC_VALUE_MAX];
	size_t i, j, n, found;

	doc_read(DOC_EXAMPLE, &doc);
	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++) {
		found = 0;
		for (j = 0; j < doc.n; j++) {
			if (!doc_assignment(doc.lines[j], name, value) ||
			    strcmp(name, tab[i].name) != 0)
				continue;
			found++;
			if (doc_default_checked(&tab[i]))
				ck_assert_msg(strcmp(value, tab[i].def) == 0,
				    "%s:%zu: %s: got default \"%s\", want "
				    "\"%s\"",
				    DOC_EXAMPLE, j + 1, name, value,
				    tab[i].def);
		}
		ck_assert_msg(found == 1, "%s: %s shown %zu times, want once",
		    DOC_EXAMPLE, tab[i].name, found);
	}
	doc_free(&doc);
}
END_TEST

START_TEST(test_cfg_table_example_names_only_keys)
{
	struct doc doc;
	char name[DOC_NAME_MAX], value[DOC_VALUE_MAX];
	size_t j, seen = 0;

	doc_read(DOC_EXAMPLE, &doc);
	for (j = 0; j < doc.n; j++) {
		if (!doc_assignment(doc.lines[j], name, value))
			continue;
		seen++;
		ck_assert_msg(cfg_table_find(name) != NULL,
		    "%s:%zu: \"%s\" is not a parameter", DOC_EXAMPLE, j + 1,
		    name);
	}
	ck_assert_uint_gt(seen, 0);
	doc_free(&doc);
}
END_TEST

START_TEST(test_cfg_read_example_loads_clean)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char buf[1024];

	if (cfg_read(DOC_EXAMPLE, true, &cfg, dl) != CFG_OK ||
	    diag_count(dl) != 0) {
		diag_format(diag_get(dl, 0), buf, sizeof(buf));
		ck_abort_msg("%s", buf);
	}
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_example_uncommented_gives_defaults)
{
	struct diag_list *dl = diag_list_new();
	const struct cfg_param *tab;
	struct cfg cfg, def;
	struct doc doc;
	char name[DOC_NAME_MAX], value[DOC_VALUE_MAX], got[1024], want[1024];
	char *dir, *path;
	FILE *fp;
	size_t i, n;

	doc_read(DOC_EXAMPLE, &doc);
	dir = unit_tmpdir();
	path = unit_write_file(dir, "smtpdirect.conf", "", 0);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	for (i = 0; i < doc.n; i++)
		if (doc_assignment(doc.lines[i], name, value))
			fprintf(fp, "%s = %s\n", name, value);
	fclose(fp);
	ck_assert_int_eq(cfg_read(path, true, &cfg, dl), CFG_OK);
	ck_assert_uint_eq(diag_count(dl), 0);
	cfg_defaults(&def);
	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++) {
		if (!doc_default_checked(&tab[i]))
			continue;
		cfg_test_show(&cfg, tab[i].name, got, sizeof(got));
		cfg_test_show(&def, tab[i].name, want, sizeof(want));
		ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s",
		    tab[i].name, got, want);
	}
	cfg_fini(&def);
	cfg_fini(&cfg);
	unit_rmtree(dir);
	free(dir);
	free(path);
	doc_free(&doc);
	diag_list_free(dl);
}
END_TEST

/*
 * doc_man_entry - the first line of key's entry (a top-level ".It Cm
 * key" inside ".Ss Parameters"), and its end in *end; 0 when absent.
 * With key NULL, checks that every top-level entry names a table key.
 */
static size_t
doc_man_entry(const struct doc *doc, const char *key, size_t *end)
{
	size_t i, first = 0, len, depth = 0;
	bool inside = false;
	char name[DOC_NAME_MAX];

	for (i = 0; i < doc->n; i++) {
		const char *l = doc->lines[i];

		if (strcmp(l, ".Ss Parameters") == 0) {
			inside = true;
			continue;
		}
		if (!inside)
			continue;
		if (strncmp(l, ".Ss ", 4) == 0 || strncmp(l, ".Sh ", 4) == 0)
			break;
		if (strncmp(l, ".Bl ", 4) == 0)
			depth++;
		else if (strcmp(l, ".El") == 0 && depth > 0)
			depth--;
		if (depth != 1 || strncmp(l, ".It Cm ", 7) != 0)
			continue;
		if (first != 0 && *end == 0)
			*end = i;
		len = strcspn(l + 7, " ");
		snprintf(name, sizeof(name), "%.*s", (int)len, l + 7);
		ck_assert_msg(cfg_table_find(name) != NULL,
		    "%s:%zu: \"%s\" is not a parameter", DOC_MAN, i + 1, name);
		if (key != NULL && strcmp(name, key) == 0) {
			first = i + 1;
			*end = 0;
		}
	}
	if (first != 0 && *end == 0)
		*end = i;
	return first;
}

START_TEST(test_cfg_table_every_key_in_man_with_default)
{
	const struct cfg_param *tab;
	struct doc doc;
	char want[DOC_VALUE_MAX];
	size_t i, j, n, first, end, wlen;
	bool ok;

	doc_read(DOC_MAN, &doc);
	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++) {
		end = 0;
		first = doc_man_entry(&doc, tab[i].name, &end);
		ck_assert_msg(
		    first != 0, "%s: no entry for %s", DOC_MAN, tab[i].name);
		if (!doc_default_checked(&tab[i]))
			continue;
		if (tab[i].def[0] == '\0')
			snprintf(want, sizeof(want), "Default: empty");
		else
			snprintf(want, sizeof(want), ".Ql %s", tab[i].def);
		wlen = strlen(want);
		ok = false;
		for (j = first; j < end && !ok; j++)
			ok = strncmp(doc.lines[j], want, wlen) == 0 &&
			    (doc.lines[j][wlen] == ' ' ||
			        doc.lines[j][wlen] == ',' ||
			        doc.lines[j][wlen] == '\0');
		ck_assert_msg(ok, "%s:%zu: %s: no line \"%s\"", DOC_MAN, first,
		    tab[i].name, want);
	}
	doc_free(&doc);
}
END_TEST

START_TEST(test_cfg_table_man_names_only_keys)
{
	struct doc doc;
	size_t end = 0;

	doc_read(DOC_MAN, &doc);
	doc_man_entry(&doc, NULL, &end);
	doc_free(&doc);
}
END_TEST

/* cfg_doc_suite - the docs agree with the table */
static Suite *
cfg_doc_suite(void)
{
	Suite *s = suite_create("cfg_doc");
	TCase *tc = tcase_create("doc");

	tcase_add_test(tc, test_cfg_table_every_key_in_example_with_default);
	tcase_add_test(tc, test_cfg_table_example_names_only_keys);
	tcase_add_test(tc, test_cfg_read_example_loads_clean);
	tcase_add_test(tc, test_cfg_read_example_uncommented_gives_defaults);
	tcase_add_test(tc, test_cfg_table_every_key_in_man_with_default);
	tcase_add_test(tc, test_cfg_table_man_names_only_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(cfg_doc_suite());
}
