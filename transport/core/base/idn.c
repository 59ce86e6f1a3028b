/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Internationalised domain names to A-labels, label by label (idn.h). */

#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "idn.h"
#include "xalloc.h"

#define IDN_LABEL_MAX 255 /* bytes of one label taken to libidn2 */

/* idn_is_ascii - no byte above 0x7f */
bool
idn_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s & 0x80)
			return false;
	return true;
}

/* idn_label - one label (n bytes) appended to out at *o in ASCII form */
static enum idn_result
idn_label(const char *p, size_t n, char *out, size_t size, size_t *o,
    const char **err)
{
	char label[IDN_LABEL_MAX + 1], *a = NULL;
	enum idn_result r = IDN_ASCII;
	size_t i, alen;
	int rc;

	for (i = 0; i < n && ((unsigned char)p[i] & 0x80) == 0; i++)
		;
	if (i < n) {
		if (n > IDN_LABEL_MAX) {
			*err = "label too long";
			return IDN_BAD;
		}
		memcpy(label, p, n);
		label[n] = '\0';
		rc = idn2_to_ascii_8z(
		    label, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
		if (rc != IDN2_OK) {
			*err = idn2_strerror(rc);
			return IDN_BAD;
		}
		if (strncmp(a, "xn--", 4) != 0) {
			/* Only ignorable or width variants: not a name
			 * anyone registered, more likely a stray byte mark. */
			idn2_free(a);
			*err = "Unicode that maps to plain ASCII";
			return IDN_BAD;
		}
		p = a;
		n = strlen(a);
		r = IDN_CONVERTED;
	}
	alen = n;
	if (*o + alen + 1 > size) {
		idn2_free(a);
		*err = "name too long";
		return IDN_BAD;
	}
	memcpy(out + *o, p, alen);
	*o += alen;
	out[*o] = '\0';
	idn2_free(a);
	return r;
}

/* idn_to_ascii - every label in ASCII form */
enum idn_result
idn_to_ascii(const char *name, char *out, size_t size, const char **err)
{
	enum idn_result r = IDN_ASCII, one;
	const char *p = name, *dot;
	size_t o = 0, n;

	*err = "";
	if (size == 0) {
		*err = "no room";
		return IDN_BAD;
	}
	out[0] = '\0';
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		one = idn_label(p, n, out, size, &o, err);
		if (one == IDN_BAD)
			return IDN_BAD;
		if (one == IDN_CONVERTED)
			r = IDN_CONVERTED;
		if (dot == NULL)
			break;
		if (o + 2 > size) {
			*err = "name too long";
			return IDN_BAD;
		}
		out[o++] = '.';
		out[o] = '\0';
		p = dot + 1;
	}
	return r;
}

/* idn_address - local@U-label domain as local@A-labels */
bool
idn_address(const char *addr, char *out, size_t size)
{
	const char *at = strrchr(addr, '@'), *err;
	size_t llen;
	char *tmp;
	bool ok;

	if (at == NULL || idn_is_ascii(at + 1))
		return false;
	for (llen = 0; addr + llen < at; llen++)
		if ((unsigned char)addr[llen] & 0x80)
			return false; /* an SMTPUTF8 address: goes as it is */
	if (llen + 2 > size)
		return false;
	tmp = xmalloc(size);
	ok = idn_to_ascii(at + 1, tmp, size - llen - 1, &err) != IDN_BAD;
	if (ok) {
		memcpy(out, addr, llen + 1);
		memcpy(out + llen + 1, tmp, strlen(tmp) + 1);
	}
	free(tmp);
	return ok;
}
