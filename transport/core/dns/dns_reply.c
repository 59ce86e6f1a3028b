/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Taking records out of a checked reply: CNAMEs, rdata bounds, RFC 2308. */

#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns_int.h"

#define DNS_SOA_RDFS 7 /* rdata fields of an SOA */
#define DNS_SOA_MINIMUM 6 /* index of its MINIMUM field */

/* dns_rr_owner_is - is the record's owner this name? */
static bool
dns_rr_owner_is(const ldns_rr *rr, const char *name)
{
	char owner[DNS_NAME_MAX + 1];
	const ldns_rdf *o = ldns_rr_owner(rr);

	return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    dns_name_from_wire(ldns_rdf_data(o), ldns_rdf_size(o), owner) &&
	    strcmp(owner, name) == 0;
}

/* dns_rdf_name - a name field as text; false when malformed */
static bool
dns_rdf_name(const ldns_rdf *rdf, char *out)
{
	return rdf != NULL && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME &&
	    dns_name_from_wire(ldns_rdf_data(rdf), ldns_rdf_size(rdf), out);
}

/* dns_rdf_is - a field of the expected wire size? */
static bool
dns_rdf_is(const ldns_rdf *rdf, size_t size)
{
	return rdf != NULL && ldns_rdf_size(rdf) == size;
}

/*
 * dns_rr_txt - a TXT record: its character-strings joined, as RFC 7208
 * section 3.3 and RFC 8461 section 3.1 read them
 */
static bool
dns_rr_txt(const ldns_rr *rr, struct dns_answer *ans)
{
	const ldns_rdf *f;
	struct sbuf buf;
	size_t i, n;
	bool ok = true;

	sbuf_init(&buf);
	for (i = 0; i < ldns_rr_rd_count(rr) && ok; i++) {
		f = ldns_rr_rdf(rr, i);
		ok = f != NULL && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR &&
		    ldns_rdf_size(f) >= 1 &&
		    (n = ldns_rdf_data(f)[0]) == ldns_rdf_size(f) - 1;
		if (ok)
			sbuf_append(&buf, ldns_rdf_data(f) + 1, n);
	}
	if (ok)
		dns_answer_add(ans, buf.data, buf.len);
	sbuf_fini(&buf);
	return ok;
}

/* dns_rr_take - add one record of the asked type; false when malformed */
static bool
dns_rr_take(const ldns_rr *rr, unsigned type, struct dns_answer *ans)
{
	char host[DNS_NAME_MAX + 1];
	const ldns_rdf *f0 = ldns_rr_rdf(rr, 0);
	struct dns_rec *rec;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (ldns_rr_rd_count(rr) != 1 ||
		    !dns_rdf_is(f0, type == DNS_T_A ? 4 : 16))
			return false;
		dns_answer_add(ans, ldns_rdf_data(f0), ldns_rdf_size(f0));
		return true;
	case DNS_T_MX:
		if (ldns_rr_rd_count(rr) != 2 || !dns_rdf_is(f0, 2) ||
		    !dns_rdf_name(ldns_rr_rdf(rr, 1), host))
			return false;
		rec = dns_answer_add(ans, host, strlen(host));
		rec->pref = ldns_rdf2native_int16(f0);
		return true;
	case DNS_T_CNAME:
		if (ldns_rr_rd_count(rr) != 1 || !dns_rdf_name(f0, host))
			return false;
		dns_answer_add(ans, host, strlen(host));
		return true;
	case DNS_T_TXT:
		return dns_rr_txt(rr, ans);
	case DNS_T_TLSA:
		if (ldns_rr_rd_count(rr) != 4 || !dns_rdf_is(f0, 1) ||
		    !dns_rdf_is(ldns_rr_rdf(rr, 1), 1) ||
		    !dns_rdf_is(ldns_rr_rdf(rr, 2), 1) ||
		    ldns_rr_rdf(rr, 3) == NULL)
			return false;
		rec = dns_answer_add(ans, ldns_rdf_data(ldns_rr_rdf(rr, 3)),
		    ldns_rdf_size(ldns_rr_rdf(rr, 3)));
		rec->usage = ldns_rdf2native_int8(f0);
		rec->selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		rec->mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		return true;
	default:
		return false;
	}
}

/* dns_ttl_lower - keep the smaller TTL */
static void
dns_ttl_lower(uint32_t *ttl, uint32_t t)
{
	if (t < *ttl)
		*ttl = t;
}

/* dns_negative_ttl - RFC 2308 section 5: min(SOA TTL, MINIMUM), capped */
static uint32_t
dns_negative_ttl(const ldns_pkt *reply, unsigned cap, bool *has_soa)
{
	const ldns_rr_list *auth = ldns_pkt_authority(reply);
	const ldns_rr *rr;
	uint32_t ttl;
	size_t i;

	*has_soa = false;
	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_rd_count(rr) != DNS_SOA_RDFS ||
		    !dns_rdf_is(ldns_rr_rdf(rr, DNS_SOA_MINIMUM), 4))
			continue;
		*has_soa = true;
		ttl = ldns_rr_ttl(rr);
		dns_ttl_lower(&ttl,
		    ldns_rdf2native_int32(ldns_rr_rdf(rr, DNS_SOA_MINIMUM)));
		dns_ttl_lower(&ttl, cap);
		return ttl;
	}
	return 0;
}

/* dns_take_step - records of name, or its CNAME target in *target */
static enum dns_status
dns_take_step(const ldns_rr_list *list, const char *name, unsigned type,
    struct dns_answer *ans, uint32_t *ttl, char *target, bool *related,
    struct why *why)
{
	const ldns_rr *rr, *cname = NULL;
	size_t i, bad = 0, before = ans->n;
	uint32_t rttl = DNS_TTL_MAX;

	*target = '\0';
	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		rr = ldns_rr_list_rr(list, i);
		if (!dns_rr_owner_is(rr, name))
			continue;
		*related = true;
		if (ldns_rr_get_type(rr) == type) {
			if (ans->n >= DNS_RR_MAX || !dns_rr_take(rr, type, ans))
				bad++;
			else
				dns_ttl_lower(&rttl, ldns_rr_ttl(rr));
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			cname = rr;
		}
	}
	if (ans->n > before) {
		/* RFC 2181 section 5.2: one TTL per RRset; use the least. */
		dns_ttl_lower(ttl, rttl);
		return DNS_OK;
	}
	if (bad > 0) {
		why_set(why, "4.4.3", "%s: malformed %s record", name,
		    type == DNS_T_MX ? "MX" : "answer");
		return DNS_TEMP;
	}
	if (cname != NULL) {
		if (ldns_rr_rd_count(cname) != 1 ||
		    !dns_rdf_name(ldns_rr_rdf(cname, 0), target) ||
		    *target == '\0') {
			why_set(why, "4.4.3", "%s: malformed CNAME", name);
			return DNS_TEMP;
		}
		dns_ttl_lower(ttl, ldns_rr_ttl(cname));
	}
	return DNS_NODATA;
}

/* dns_reply_take - the records of a reply for name/type */
enum dns_status
dns_reply_take(const ldns_pkt *reply, char *name, unsigned type,
    unsigned neg_ttl_max, struct dns_answer *ans, uint32_t *ttl, bool *again,
    struct why *why)
{
	const ldns_rr_list *list = ldns_pkt_answer(reply);
	char target[DNS_NAME_MAX + 1];
	enum dns_status st;
	unsigned hops = 0;
	bool related = false, has_soa;
	uint32_t neg;

	*again = false;
	for (;;) {
		st = dns_take_step(
		    list, name, type, ans, ttl, target, &related, why);
		if (st != DNS_NODATA || *target == '\0')
			break;
		if (++ans->cnames > DNS_CNAME_MAX) {
			why_set(why, "4.4.3",
			    "%s: CNAME chain longer than %d (loop?)", name,
			    DNS_CNAME_MAX);
			return DNS_TEMP;
		}
		memcpy(name, target, strlen(target) + 1);
		hops++;
	}
	if (st != DNS_NODATA)
		return st;
	if (!related && ldns_rr_list_rr_count(list) > 0) {
		why_set(why, "4.4.3", "%s: answer does not match the question",
		    name);
		return DNS_TEMP;
	}
	neg = dns_negative_ttl(reply, neg_ttl_max, &has_soa);
	if (ldns_pkt_get_rcode(reply) == LDNS_RCODE_NXDOMAIN) {
		dns_ttl_lower(ttl, neg);
		return DNS_NXDOMAIN;
	}
	/* A chain that leaves the server's data ends without an SOA: the
	 * rest is to be asked for; a recursive server's NODATA has one. */
	if (hops > 0 && !has_soa) {
		*again = true;
		return DNS_NODATA;
	}
	dns_ttl_lower(ttl, neg);
	return DNS_NODATA;
}

/* dns_library - the ldns in use */
const char *
dns_library(void)
{
	static char name[64];

	if (name[0] == '\0')
		snprintf(name, sizeof(name), "ldns %s", ldns_version());
	return name;
}
