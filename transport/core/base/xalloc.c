/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Allocation wrappers that exit 75 on failure. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "xalloc.h"

/* xalloc_fail - report exhaustion and exit 75 */
static _Noreturn void
xalloc_fail(size_t n)
{
	msg_fatal_status(MSG_EX_TEMPFAIL,
	    "4.3.0 out of memory allocating "
	    "%zu bytes",
	    n);
}

/* xmalloc - malloc or exit */
void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		xalloc_fail(n);
	return p;
}

/* xcalloc - calloc or exit */
void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = calloc(nmemb, size);
	if (p == NULL)
		xalloc_fail(size);
	return p;
}

/* xrealloc - realloc or exit */
void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		xalloc_fail(n);
	return q;
}

/* xreallocarray - realloc with an overflow-checked product */
void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		xalloc_fail(SIZE_MAX);
	return xrealloc(p, nmemb * size);
}

/* xstrdup - strdup or exit */
char *
xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

/* xstrndup - strndup or exit */
char *
xstrndup(const char *s, size_t n)
{
	return xmemdup0(s, strnlen(s, n));
}

/* xmemdup0 - copy bytes and terminate */
char *
xmemdup0(const void *p, size_t n)
{
	char *q;

	if (n == SIZE_MAX)
		xalloc_fail(n);
	q = xmalloc(n + 1);
	if (n > 0)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

/* xfree_secret - wipe and free */
void
xfree_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}
