/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The driver `make check` links a fuzz target with: every file named
 * on the command line, and every regular file of every directory named,
 * goes through LLVMFuzzerTestOneInput() once. Prints how many; a
 * crash, a sanitizer report or fuzz_fail() ends it with a failure.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "xalloc.h"

/* replay_file - one input */
static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long len;
	size_t got;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	buf = xmalloc((size_t)len + 1);
	got = fread(buf, 1, (size_t)len, fp);
	fclose(fp);
	if (got != (size_t)len) {
		fprintf(stderr, "replay: short read of %s\n", path);
		free(buf);
		return -1;
	}
	/* A copy of exactly len bytes, so ASan sees a read past its end. */
	{
		unsigned char *exact = xmalloc(got > 0 ? got : 1);

		memcpy(exact, buf, got);
		free(buf);
		(void)LLVMFuzzerTestOneInput(exact, got);
		free(exact);
	}
	return 1;
}

/* replay_dir - every regular file of a directory, in name order */
static int
replay_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int n, i, done = 0, r;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = snprintf(
		    path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (r > 0 && (size_t)r < sizeof(path) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, r;
	long total = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such input: %s\n", argv[i]);
			return 1;
		}
		r = S_ISDIR(st.st_mode) ? replay_dir(argv[i])
		                        : replay_file(argv[i]);
		if (r < 0)
			return 1;
		total += r;
	}
	printf("replayed %ld inputs\n", total);
	return 0;
}
