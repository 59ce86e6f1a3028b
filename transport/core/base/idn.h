/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	idn - internationalised domain names as the DNS knows them
 * DESCRIPTION
 *	A domain written in Unicode (U-labels, UTF-8: bücher.example) is
 *	looked up, matched against override patterns and sent in an
 *	envelope as its A-labels (xn--bcher-kva.example). idn_to_ascii()
 *	converts each label that holds a byte above 0x7f with libidn2
 *	(IDNA2008 with the UTS #46 mapping, non-transitional, the input
 *	normalised to NFC: what browsers and Postfix's smtputf8 support
 *	do); labels in ASCII, a wildcard "*" among them, are copied as they
 *	are, so an override pattern converts as well as a domain.
 *	idn_address() does the same to the domain of an address whose
 *	local part is ASCII: such an address needs no SMTPUTF8.
 * OWNERSHIP
 *	Output goes to caller-provided buffers.
 * THREADS
 *	Safe: libidn2 keeps no state.
 * ERRORS
 *	IDN_BAD with err (libidn2's reason, static text) for a label that
 *	is not valid UTF-8 or not a valid IDNA2008 name; IDN_BAD also for a
 *	non-ASCII label that maps to plain ASCII (a byte-order mark, wide
 *	letters) and when the result does not fit in out.
 * SEE ALSO
 *	RFC 5890-5893 (IDNA2008), UTS #46, RFC 6531; libidn2.
 */
#ifndef SMTPDIRECT_IDN_H
#define SMTPDIRECT_IDN_H

#include <stdbool.h>
#include <stddef.h>

/* What idn_to_ascii() did. */
enum idn_result {
	IDN_ASCII, /* the name was ASCII: copied unchanged */
	IDN_CONVERTED, /* some label became an A-label */
	IDN_BAD /* not a valid internationalised name; err says why */
};

/* True when no byte of s has the high bit set. */
bool idn_is_ascii(const char *s);

/*
 * The ASCII form of name (a domain or a domain pattern, no trailing
 * dot needed) into out (size bytes, NUL-terminated).
 * Returns: IDN_ASCII, IDN_CONVERTED, IDN_BAD (*err set).
 */
enum idn_result idn_to_ascii(
    const char *name, char *out, size_t size, const char **err);

/*
 * addr ("local@domain") with its domain in A-labels into out when the
 * local part is ASCII and the domain is not; false (out untouched) when
 * there is nothing to convert or it cannot be: then addr goes as it is.
 */
bool idn_address(const char *addr, char *out, size_t size);

#endif
