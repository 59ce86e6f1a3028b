/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	sbuf - growable byte and string buffer
 * DESCRIPTION
 *	A buffer that grows as bytes are appended and is always kept
 *	NUL-terminated, so sbuf_str() can be used as a C string when the
 *	content has no NUL bytes. Growth is checked for overflow.
 * OWNERSHIP
 *	The caller owns the struct (usually on the stack or embedded);
 *	sbuf_init() prepares it and sbuf_fini() frees its storage.
 *	sbuf_export() hands the storage to the caller (free with free(3))
 *	and leaves the buffer empty.
 * THREADS
 *	Safe for concurrent use of distinct buffers.
 * ERRORS
 *	None: allocation failure exits 75 (xalloc.h).
 * SEE ALSO
 *	xalloc.h.
 */
#ifndef SMTPDIRECT_SBUF_H
#define SMTPDIRECT_SBUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable buffer. */
struct sbuf {
	char *data; /* storage, NUL-terminated, never NULL after init */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
};

/* Prepare an empty buffer. */
void sbuf_init(struct sbuf *sb);

/* Release the storage; the buffer must be initialised again to reuse. */
void sbuf_fini(struct sbuf *sb);

/* Empty the buffer, keeping its storage. */
void sbuf_reset(struct sbuf *sb);

/* Make room for at least n more bytes. */
void sbuf_reserve(struct sbuf *sb, size_t n);

/* Append n bytes. */
void sbuf_append(struct sbuf *sb, const void *p, size_t n);

/* Append a C string. */
void sbuf_puts(struct sbuf *sb, const char *s);

/* Append one byte. */
void sbuf_putc(struct sbuf *sb, int c);

/* Append formatted text. */
void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append formatted text from a va_list. */
void sbuf_vprintf(struct sbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Cut the content to n bytes (n <= len). */
void sbuf_truncate(struct sbuf *sb, size_t n);

/* The content as a C string; valid until the next change. */
static inline const char *
sbuf_str(const struct sbuf *sb)
{
	return sb->data;
}

/* Hand the storage to the caller (free with free(3)); sb becomes empty. */
char *sbuf_export(struct sbuf *sb);

#endif
