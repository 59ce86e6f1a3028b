/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	xalloc - memory allocation that succeeds or exits 75
 * DESCRIPTION
 *	Thin wrappers around malloc(3) and friends. When memory runs out
 *	they log "4.3.0 out of memory" and exit with EX_TEMPFAIL (75), so
 *	that the MTA retries the delivery later instead of bouncing it.
 *	Sizes are checked for overflow before multiplication.
 * OWNERSHIP
 *	Every pointer returned is owned by the caller and released with
 *	free(3); xfree_secret() wipes before freeing.
 * THREADS
 *	Safe: only calls thread-safe libc functions.
 * ERRORS
 *	None returned: failure exits the process with status 75.
 * SEE ALSO
 *	msg.h (the exit path).
 */
#ifndef SMTPDIRECT_XALLOC_H
#define SMTPDIRECT_XALLOC_H

#include <stddef.h>

/* Allocate n bytes (n may be 0). Caller frees. */
void *xmalloc(size_t n);

/* Allocate nmemb * size zeroed bytes, checking the product. Caller frees. */
void *xcalloc(size_t nmemb, size_t size);

/* Resize p to n bytes. Caller frees the result. */
void *xrealloc(void *p, size_t n);

/* Resize p to nmemb * size bytes, checking the product. Caller frees. */
void *xreallocarray(void *p, size_t nmemb, size_t size);

/* Copy a NUL-terminated string. Caller frees. */
char *xstrdup(const char *s);

/* Copy at most n bytes of s and terminate the copy. Caller frees. */
char *xstrndup(const char *s, size_t n);

/* Copy n bytes of p into a new buffer with a NUL appended. Caller frees. */
char *xmemdup0(const void *p, size_t n);

/* Wipe len bytes of p with explicit_bzero and free it; NULL is ignored. */
void xfree_secret(void *p, size_t len);

#endif
