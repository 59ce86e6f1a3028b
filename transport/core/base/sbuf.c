/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Growable buffer. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "sbuf.h"
#include "xalloc.h"

#define SBUF_MIN 64 /* first allocation */

/* sbuf_init - empty buffer */
void
sbuf_init(struct sbuf *sb)
{
	sb->cap = SBUF_MIN;
	sb->data = xmalloc(sb->cap);
	sb->len = 0;
	sb->data[0] = '\0';
}

/* sbuf_fini - release storage */
void
sbuf_fini(struct sbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* sbuf_reset - empty, keep storage */
void
sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	sb->data[0] = '\0';
}

/* sbuf_reserve - room for n more bytes plus the NUL */
void
sbuf_reserve(struct sbuf *sb, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX - sb->len - 1)
		msg_panic("%s: size overflow", __func__);
	need = sb->len + n + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	sb->data = xrealloc(sb->data, cap);
	sb->cap = cap;
}

/* sbuf_append - append bytes */
void
sbuf_append(struct sbuf *sb, const void *p, size_t n)
{
	if (n == 0)
		return;
	sbuf_reserve(sb, n);
	memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

/* sbuf_puts - append a string */
void
sbuf_puts(struct sbuf *sb, const char *s)
{
	sbuf_append(sb, s, strlen(s));
}

/* sbuf_putc - append a byte */
void
sbuf_putc(struct sbuf *sb, int c)
{
	char ch = (char)c;

	sbuf_append(sb, &ch, 1);
}

/* sbuf_vprintf - append formatted text */
void
sbuf_vprintf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, aq);
	va_end(aq);
	if (n < 0)
		msg_panic("%s: bad format \"%s\"", __func__, fmt);
	if ((size_t)n >= sb->cap - sb->len) {
		sbuf_reserve(sb, (size_t)n);
		n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
		if (n < 0)
			msg_panic("%s: bad format \"%s\"", __func__, fmt);
	}
	sb->len += (size_t)n;
}

/* sbuf_printf - append formatted text */
void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* sbuf_truncate - cut to n bytes */
void
sbuf_truncate(struct sbuf *sb, size_t n)
{
	if (n > sb->len)
		msg_panic("%s: length %zu beyond %zu", __func__, n, sb->len);
	sb->len = n;
	sb->data[n] = '\0';
}

/* sbuf_export - hand storage to the caller */
char *
sbuf_export(struct sbuf *sb)
{
	char *p = sb->data;

	sbuf_init(sb);
	return p;
}
