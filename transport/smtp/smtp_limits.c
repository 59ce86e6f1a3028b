/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * RFC 9422 LIMITS: the parameters of the EHLO keyword, read so that
 * nothing a server writes there can do more than leave a limit unknown.
 */

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "smtp_int.h"

/* The limits understood, and where each goes. */
static const struct {
	const char *name; /* limit-name, compared case-insensitively */
	size_t off; /* offsetof(struct smtp_limits, ...) */
} smtp_limit_names[] = {
    {"MAILMAX", offsetof(struct smtp_limits, mail_max)},
    {"RCPTDOMAINMAX", offsetof(struct smtp_limits, rcpt_domain_max)},
    {"RCPTMAX", offsetof(struct smtp_limits, rcpt_max)},
};

/*
 * smtp_limit_value - the value of n bytes at p: 1 to
 * SMTP_LIMIT_DIGITS_MAX decimal digits, not 0; 0 for anything else
 */
static unsigned long
smtp_limit_value(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > SMTP_LIMIT_DIGITS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v;
}

/* smtp_limit_take - one "NAME=VALUE" token of n bytes */
static void
smtp_limit_take(const char *p, size_t n, struct smtp_limits *lim)
{
	const char *eq = memchr(p, '=', n);
	unsigned long v, *slot;
	size_t i, klen;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - p);
	for (i = 0; i < sizeof(smtp_limit_names) / sizeof(smtp_limit_names[0]);
	     i++) {
		if (strlen(smtp_limit_names[i].name) != klen ||
		    strncasecmp(smtp_limit_names[i].name, p, klen) != 0)
			continue;
		v = smtp_limit_value(eq + 1, n - klen - 1);
		slot = (unsigned long *)(void *)((char *)lim +
		    smtp_limit_names[i].off);
		if (v > 0 && (*slot == 0 || v < *slot))
			*slot = v;
		return;
	}
}

/* smtp_limits_parse - the parameters of a LIMITS line */
void
smtp_limits_parse(const char *text, size_t len, struct smtp_limits *lim)
{
	size_t i = 0, j;

	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		for (j = i; j < len && text[j] != ' ' && text[j] != '\t'; j++)
			;
		if (j > i)
			smtp_limit_take(text + i, j - i, lim);
		i = j;
	}
}

/* smtp_session_limits - the LIMITS of the last EHLO reply */
const struct smtp_limits *
smtp_session_limits(const struct smtp_session *s)
{
	return &s->limits;
}
