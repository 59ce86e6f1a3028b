/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Status records: code, reply code and bounded reason text. */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "why.h"

static void why_vset(struct why *why, const char *dsn, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
static void why_append(char *dst, size_t size, size_t off, const char *src);
static char *why_clean(
    char *dst, size_t dstsize, const char *src, size_t len, bool one_line);

/* why_reset - clear */
void
why_reset(struct why *why)
{
	why->dsn[0] = '\0';
	why->smtp_code = 0;
	why->text[0] = '\0';
}

/* why_vset - set the code and format the text */
static void
why_vset(struct why *why, const char *dsn, const char *fmt, va_list ap)
{
	snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
	if (vsnprintf(why->text, sizeof(why->text), fmt, ap) < 0)
		snprintf(why->text, sizeof(why->text), "(no text)");
}

/* why_set - set code and text */
void
why_set(struct why *why, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	why->smtp_code = 0;
	va_start(ap, fmt);
	why_vset(why, dsn, fmt, ap);
	va_end(ap);
}

/* why_set_reply - set code, reply code and text */
void
why_set_reply(
    struct why *why, int smtp_code, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	why->smtp_code = smtp_code;
	va_start(ap, fmt);
	why_vset(why, dsn, fmt, ap);
	va_end(ap);
}

/* why_prefix - put context in front of the reason */
void
why_prefix(struct why *why, const char *fmt, ...)
{
	char old[WHY_TEXT_MAX];
	size_t n;
	va_list ap;
	int r;

	memcpy(old, why->text, sizeof(old));
	va_start(ap, fmt);
	r = vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	n = (size_t)r;
	why_append(why->text, sizeof(why->text), n, ": ");
	why_append(why->text, sizeof(why->text), n + 2, old);
}

/* why_append - copy src at offset off of dst, cutting at size - 1 */
static void
why_append(char *dst, size_t size, size_t off, const char *src)
{
	size_t len = strlen(src);

	if (off >= size - 1)
		return;
	if (len > size - 1 - off)
		len = size - 1 - off;
	memcpy(dst + off, src, len);
	dst[off + len] = '\0';
}

/* why_is_temp - temporary unless the code says 5.x.x */
bool
why_is_temp(const struct why *why)
{
	return why->dsn[0] != '5';
}

/* why_status - class of the code */
enum sd_status
why_status(const struct why *why)
{
	return why_is_temp(why) ? SD_TEMP : SD_PERM;
}

/* why_dsn_valid - check "C.SSS.DDD" syntax, RFC 3463 section 2 */
bool
why_dsn_valid(const char *s)
{
	size_t n;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	if (s[1] != '.')
		return false;
	s += 2;
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (n < 1 || n > 3 || s[n] != '.')
		return false;
	s += n + 1;
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	return n >= 1 && n <= 3 && s[n] == '\0';
}

/*
 * why_clean - the cleaning of why_printable and why_printable_line:
 * bytes that are not printable ASCII become '?'; with one_line, CR LF
 * and lone CR or LF become one space and trailing blanks go. Text that
 * does not fit ends with "...".
 */
static char *
why_clean(char *dst, size_t dstsize, const char *src, size_t len, bool one_line)
{
	size_t i, o = 0, room;

	if (dstsize == 0)
		return dst;
	room = dstsize - 1;
	for (i = 0; i < len && o < room; i++) {
		unsigned char c = (unsigned char)src[i];

		if (one_line && c == '\r' && i + 1 < len && src[i + 1] == '\n')
			continue;
		if (one_line && (c == '\r' || c == '\n'))
			c = ' ';
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		dst[o] = '\0';
		if (room >= 3)
			memcpy(dst + room - 3, "...", 4);
		return dst;
	}
	while (one_line && o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	return dst;
}

/* why_printable - clean remote text for logs */
char *
why_printable(char *dst, size_t dstsize, const char *src, size_t len)
{
	return why_clean(dst, dstsize, src, len, false);
}

/* why_printable_line - clean remote text into one line */
char *
why_printable_line(char *dst, size_t dstsize, const char *src)
{
	return why_clean(dst, dstsize, src != NULL ? src : "",
	    src != NULL ? strlen(src) : 0, true);
}
