/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The RFC 3461 parameters a transaction passes on: ENVID on MAIL and
 * ORCPT on RCPT, xtext-encoded, only to a server that offers DSN.
 */

#include <stdio.h>
#include <string.h>

#include "smtp_int.h"

/* smtp_dsn_printable - only printable US-ASCII, space included */
static bool
smtp_dsn_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* smtp_dsn_xtext - encode in as xtext (RFC 3461 section 4) */
size_t
smtp_dsn_xtext(char *out, size_t size, const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	if (size == 0)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p >= '!' && *p <= '~' && *p != '+' && *p != '=') {
			if (size - n < 2)
				goto full;
			out[n++] = (char)*p;
			continue;
		}
		if (size - n < 4)
			goto full;
		out[n++] = '+';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 0x0f];
	}
	out[n] = '\0';
	return n;

full:
	out[0] = '\0';
	return 0;
}

/* smtp_dsn_envid_ok - an ENVID RFC 3461 lets us send */
bool
smtp_dsn_envid_ok(const char *envid)
{
	size_t n = envid != NULL ? strlen(envid) : 0;

	return n > 0 && n <= SMTP_DSN_ENVID_MAX && smtp_dsn_printable(envid);
}

/* smtp_dsn_orcpt_ok - an original recipient that fits ORCPT=rfc822; */
bool
smtp_dsn_orcpt_ok(const char *addr)
{
	char buf[SMTP_DSN_PARAM_MAX];
	size_t n;

	if (addr == NULL || addr[0] == '\0' || !smtp_dsn_printable(addr))
		return false;
	/* The whole parameter, "ORCPT=rfc822;" and the xtext, counts. */
	n = smtp_dsn_xtext(buf, sizeof(buf), addr);
	return n > 0 && n + sizeof("ORCPT=rfc822;") - 1 <= SMTP_DSN_ORCPT_MAX;
}

/* smtp_dsn_mail_param - " ENVID=..." for MAIL FROM, or "" */
const char *
smtp_dsn_mail_param(unsigned caps, const char *envid, char *buf, size_t size)
{
	char x[SMTP_DSN_PARAM_MAX];

	buf[0] = '\0';
	if ((caps & SMTP_CAP_DSN) != 0 && smtp_dsn_envid_ok(envid) &&
	    smtp_dsn_xtext(x, sizeof(x), envid) > 0)
		snprintf(buf, size, " ENVID=%s", x);
	return buf;
}

/* smtp_dsn_rcpt_param - " ORCPT=rfc822;..." for RCPT TO, or "" */
const char *
smtp_dsn_rcpt_param(unsigned caps, const char *orcpt, char *buf, size_t size)
{
	char x[SMTP_DSN_PARAM_MAX];

	buf[0] = '\0';
	if ((caps & SMTP_CAP_DSN) != 0 && smtp_dsn_orcpt_ok(orcpt) &&
	    smtp_dsn_xtext(x, sizeof(x), orcpt) > 0)
		snprintf(buf, size, " ORCPT=rfc822;%s", x);
	return buf;
}
