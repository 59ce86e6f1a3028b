/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Answers, records, domain names and the texts of statuses and types. */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "msg.h"
#include "xalloc.h"

#define DNS_LABEL_MAX 63 /* longest label */

/* dns_answer_init - an empty answer */
void
dns_answer_init(struct dns_answer *ans, unsigned type)
{
	memset(ans, 0, sizeof(*ans));
	ans->status = DNS_TEMP;
	ans->type = type;
}

/* dns_answer_add - append a record holding a copy of data */
struct dns_rec *
dns_answer_add(struct dns_answer *ans, const void *data, size_t len)
{
	struct dns_rec *rec;

	if (ans->n >= DNS_RR_MAX)
		msg_panic("%s: more than %d records", __func__, DNS_RR_MAX);
	ans->recs = xreallocarray(ans->recs, ans->n + 1, sizeof(*ans->recs));
	rec = &ans->recs[ans->n++];
	memset(rec, 0, sizeof(*rec));
	rec->data = (unsigned char *)xmemdup0(data, len);
	rec->len = len;
	return rec;
}

/* dns_answer_fini - free the records */
void
dns_answer_fini(struct dns_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->n; i++)
		free(ans->recs[i].data);
	free(ans->recs);
	ans->recs = NULL;
	ans->n = 0;
}

/* dns_answer_move - hand the records and fields of src to dst */
void
dns_answer_move(struct dns_answer *dst, struct dns_answer *src)
{
	dns_answer_fini(dst);
	*dst = *src;
	src->recs = NULL;
	src->n = 0;
}

/* dns_label_ok - is this label fit for a host name? */
static bool
dns_label_ok(const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > DNS_LABEL_MAX || p[0] == '-' || p[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* dns_name_from_wire - text of an uncompressed wire name */
bool
dns_name_from_wire(const unsigned char *wire, size_t len, char *out)
{
	size_t i = 0, o = 0, l, j;

	out[0] = '\0';
	while (i < len) {
		l = wire[i++];
		if (l == 0)
			return i == len;
		if (l > len - i || !dns_label_ok(wire + i, l) ||
		    o + l + (o > 0) > DNS_NAME_MAX)
			return false;
		if (o > 0)
			out[o++] = '.';
		for (j = 0; j < l; j++) {
			unsigned char c = wire[i + j];

			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		out[o] = '\0';
		i += l;
	}
	return false;
}

/* dns_name_normalise - validate and lower-case a name given as text */
bool
dns_name_normalise(const char *name, char *out)
{
	size_t len = strlen(name), start = 0, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (!dns_label_ok(
		        (const unsigned char *)name + start, i - start))
			return false;
		start = i + 1;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	return true;
}

/* dns_status_str - the name of a status */
const char *
dns_status_str(enum dns_status status)
{
	switch (status) {
	case DNS_OK:
		return "OK";
	case DNS_TEMP:
		return "TEMP";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_NODATA:
		return "NODATA";
	case DNS_NULLMX:
		return "NULLMX";
	case DNS_BADNAME:
		return "BADNAME";
	}
	return "?";
}

/* dns_status_dsn - the enhanced status code of a status */
const char *
dns_status_dsn(enum dns_status status)
{
	switch (status) {
	case DNS_OK:
		return "2.0.0";
	case DNS_NXDOMAIN:
	case DNS_BADNAME:
		return "5.1.2";
	case DNS_NODATA:
		return "5.4.4";
	case DNS_NULLMX:
		return "5.1.10";
	default:
		return "4.4.3";
	}
}

/* dns_type_str - the name of a record type */
const char *
dns_type_str(unsigned type, char *buf, size_t size)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_MX:
		return "MX";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_TLSA:
		return "TLSA";
	case DNS_T_TXT:
		return "TXT";
	}
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

/* dns_addr_str - the text of an address */
const char *
dns_addr_str(const struct dns_addr *addr, char *buf, size_t size)
{
	if (inet_ntop(addr->family, addr->bytes, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}
