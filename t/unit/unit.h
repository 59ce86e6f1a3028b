/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	unit - helpers shared by the Check unit tests
 * DESCRIPTION
 *	unit_run() runs a suite and returns main()'s status; unit_tmpdir()
 *	makes a private directory for tests that touch disk and
 *	unit_write_file() fills a file in it.
 * OWNERSHIP
 *	unit_tmpdir() returns a malloc'd path; unit_rmtree() removes the
 *	directory and frees nothing.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	Helpers fail the current test with ck_abort_msg.
 * SEE ALSO
 *	Check documentation, "Checked vs Unchecked Fixtures".
 */
#ifndef SMTPDIRECT_UNIT_H
#define SMTPDIRECT_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run the suite, print the summary, return 0 when nothing failed. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Make a private temporary directory; caller frees the path. */
static inline char *
unit_tmpdir(void)
{
	char tmpl[] = "/tmp/smtpdirect-unit.XXXXXX";
	char *p = mkdtemp(tmpl);

	ck_assert_msg(p != NULL, "mkdtemp failed");
	return strdup(p);
}

/* Write len bytes to dir/name; returns the malloc'd path. */
static inline char *
unit_write_file(const char *dir, const char *name, const char *data, size_t len)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *fp;

	ck_assert_ptr_nonnull(path);
	snprintf(path, n, "%s/%s", dir, name);
	fp = fopen(path, "wb");
	ck_assert_msg(fp != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
	return path;
}

/* Remove a directory tree made by unit_tmpdir (bounded: rm -rf). */
static inline void
unit_rmtree(const char *dir)
{
	char cmd[512];

	if (strncmp(dir, "/tmp/smtpdirect-unit.", 21) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
