/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	fuzz - what every fuzz target of t/fuzz defines, and its helpers
 * DESCRIPTION
 *	A target is one file fuzz_NAME.c that defines
 *	LLVMFuzzerTestOneInput(). `make fuzz` links it with libFuzzer
 *	(clang) to explore; `make check` links it with replay.c (gcc,
 *	ASan+UBSan) and runs every file of t/fuzz/corpus/NAME through it.
 *	A target that finds wrong output, not only a crash, calls
 *	fuzz_fail(), which aborts with the reason: both drivers report an
 *	abort as a failure and keep the input.
 *	fuzz_split() cuts an input into pieces at a separator, so one
 *	input can stand for several packets or chunks.
 * OWNERSHIP
 *	fuzz_split() returns an array the caller frees (pieces point into
 *	the input).
 * THREADS
 *	One input at a time.
 */
#ifndef SMTPDIRECT_FUZZ_H
#define SMTPDIRECT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A piece of an input. */
struct fuzz_piece {
	const uint8_t *p; /* into the input */
	size_t n; /* bytes */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print "fuzz: " and the message, then abort(). */
_Noreturn void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Cut data at every occurrence of the len-byte separator sep, into at
 * most max pieces (the last piece takes the rest). *n is the count.
 */
struct fuzz_piece *fuzz_split(const uint8_t *data, size_t size, const char *sep,
    size_t len, size_t max, size_t *n);

/*
 * A file descriptor open for reading positioned at the start, holding
 * size bytes of data (a memfd); the caller closes it. Aborts on error.
 */
int fuzz_memfd(const uint8_t *data, size_t size);

#endif
