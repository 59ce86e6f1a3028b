/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Helpers shared by the fuzz targets (fuzz.h). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "xalloc.h"

/* fuzz_fail - report wrong output and abort */
void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* fuzz_split - cut an input into pieces at a separator */
struct fuzz_piece *
fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t len,
    size_t max, size_t *n)
{
	struct fuzz_piece *v = xcalloc(max > 0 ? max : 1, sizeof(*v));
	size_t start = 0, i = 0;

	*n = 0;
	while (max > 0 && *n + 1 < max && len > 0 && i + len <= size) {
		if (memcmp(data + i, sep, len) == 0) {
			v[*n].p = data + start;
			v[(*n)++].n = i - start;
			i += len;
			start = i;
		} else {
			i++;
		}
	}
	if (max > 0) {
		v[*n].p = data + start;
		v[(*n)++].n = size - start;
	}
	return v;
}

/* fuzz_memfd - the input as a readable file */
int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;
	ssize_t w;

	if (fd < 0)
		fuzz_fail("memfd_create failed");
	while (off < size) {
		w = write(fd, data + off, size - off);
		if (w <= 0)
			fuzz_fail("write to memfd failed");
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("lseek failed");
	return fd;
}
