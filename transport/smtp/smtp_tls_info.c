/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * What a session knows of its TLS, for callers and logs, and the RFC
 * 7672 usability of TLSA records: no OpenSSL here (smtp_tls.c has it).
 */

#include <stdio.h>
#include <string.h>

#include "smtp_int.h"

/* smtp_tls_trust_name - the word for a trust level */
const char *
smtp_tls_trust_name(enum smtp_tls_trust trust)
{
	switch (trust) {
	case SMTP_TLS_VERIFIED:
		return "verified";
	case SMTP_TLS_UNTRUSTED:
		return "untrusted";
	case SMTP_TLS_ANONYMOUS:
	default:
		return "anonymous";
	}
}

/* smtp_tls_tlsa_usable - a record RFC 7672 lets SMTP use */
bool
smtp_tls_tlsa_usable(const struct smtp_tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return false;
	if (t->selector > 1 || t->data == NULL)
		return false;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	default:
		return false;
	}
}

/* smtp_tlsa_usable - smtp_tls_tlsa_usable() for the callers of smtp.h */
bool
smtp_tlsa_usable(const struct smtp_tlsa *t)
{
	return smtp_tls_tlsa_usable(t);
}

/* smtp_session_tls_fault - what kept TLS from being all it could be */
enum smtp_tls_fault
smtp_session_tls_fault(const struct smtp_session *s)
{
	return s->tls_fault;
}

/* smtp_session_tls_fault_text - OpenSSL's words for it */
const char *
smtp_session_tls_fault_text(const struct smtp_session *s)
{
	return s->tls_fault_text;
}

/* smtp_session_local_addr - our end of the connection */
const char *
smtp_session_local_addr(const struct smtp_session *s)
{
	return s->local;
}

/* smtp_session_tls_active - the session runs over TLS */
bool
smtp_session_tls_active(const struct smtp_session *s)
{
	return s->tls_active;
}

/* smtp_session_tls_trust - how far the certificate was checked */
enum smtp_tls_trust
smtp_session_tls_trust(const struct smtp_session *s)
{
	return s->tls_active ? s->tls_trust : SMTP_TLS_ANONYMOUS;
}

/* smtp_session_tls_text - "tls=TLSv1.3 cipher ..." or "tls=none" */
char *
smtp_session_tls_text(const struct smtp_session *s, char *buf, size_t size)
{
	char note[SMTP_TLS_NOTE_MAX];

	if (size == 0)
		return buf;
	if (s->tls_active) {
		snprintf(buf, size, "tls=%s cipher %s (%d/%d bits) trust=%s%s",
		    s->tls_version, s->tls_cipher, s->tls_bits, s->tls_alg_bits,
		    smtp_tls_trust_name(s->tls_trust),
		    s->tls_dane ? " dane" : "");
		return buf;
	}
	why_printable(note, sizeof(note), s->tls_note, strlen(s->tls_note));
	snprintf(buf, size, "tls=none%s%s%s", note[0] != '\0' ? " (" : "", note,
	    note[0] != '\0' ? ")" : "");
	return buf;
}
