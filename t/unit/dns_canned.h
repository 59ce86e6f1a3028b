/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	dns_canned - a canned DNS back-end for the dns unit tests
 * DESCRIPTION
 *	canned_send() is a dns_send_fn: it decodes the query, finds the
 *	first entry of a table matching the name, type and server port,
 *	and builds the reply from the entry's zone-file lines (answer and
 *	authority, separated by '|'), rcode and fault flags. Names without
 *	an entry get NXDOMAIN with an SOA. It counts the exchanges.
 * OWNERSHIP
 *	Tables and contexts belong to the test.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	A malformed table line fails the test.
 * SEE ALSO
 *	dns.h (dns_send_fn), ldns-testns(1) for the same idea on the wire.
 */
#ifndef SMTPDIRECT_DNS_CANNED_H
#define SMTPDIRECT_DNS_CANNED_H

#include <string.h>

#include <ldns/ldns.h>

#include "unit.h"

#include "dns_int.h"

#define CANNED_TC 0x01 /* truncated over UDP, full over TCP */
#define CANNED_TIMEOUT 0x02 /* no reply */
#define CANNED_GARBAGE 0x04 /* bytes that are not a DNS message */
#define CANNED_BADID 0x08 /* another query ID */
#define CANNED_OTHERNAME 0x10 /* question section for another name */
#define CANNED_NOQR 0x20 /* QR bit clear */
#define CANNED_AD 0x40 /* AD bit set */
#define CANNED_ERROR 0x80 /* the exchange fails */
#define CANNED_EDNS_FORMERR 0x100 /* FORMERR when the query has EDNS */
#define CANNED_HUGE_COUNT 0x200 /* header claims 65535 answers */
#define CANNED_SOA "test. 3600 IN SOA ns.test. h.test. 1 1 1 1 60"

/* One canned reply. */
struct canned {
	const char *qname; /* lower case, no dot; NULL ends the table */
	unsigned qtype; /* DNS_T_*, 0 = any */
	unsigned port; /* server port, 0 = any */
	int rcode; /* LDNS_RCODE_* */
	unsigned flags; /* CANNED_* */
	const char *answer; /* RRs separated by '|', or NULL */
	const char *authority; /* RRs separated by '|', or NULL */
};

/* A back-end instance. */
struct canned_ctx {
	const struct canned *table; /* entries */
	unsigned udp, tcp; /* exchanges seen */
	unsigned edns; /* queries that carried EDNS */
};

/* canned_push - parse '|'-separated RRs into a section */
static inline void
canned_push(ldns_pkt *pkt, ldns_pkt_section sec, const char *text)
{
	char *buf, *line, *save = NULL;
	ldns_rr *rr;
	ldns_status st;

	if (text == NULL)
		return;
	buf = strdup(text);
	ck_assert_ptr_nonnull(buf);
	for (line = strtok_r(buf, "|", &save); line != NULL;
	     line = strtok_r(NULL, "|", &save)) {
		if (sec == LDNS_SECTION_QUESTION)
			st =
			    ldns_rr_new_question_frm_str(&rr, line, NULL, NULL);
		else
			st = ldns_rr_new_frm_str(&rr, line, 300, NULL, NULL);
		ck_assert_msg(st == LDNS_STATUS_OK, "bad canned RR: %s", line);
		ldns_pkt_push_rr(pkt, sec, rr);
	}
	free(buf);
}

/* canned_find - the entry for a question */
static inline const struct canned *
canned_find(
    const struct canned_ctx *cx, const char *name, unsigned type, unsigned port)
{
	const struct canned *c;

	for (c = cx->table; c->qname != NULL; c++)
		if (strcmp(c->qname, name) == 0 &&
		    (c->qtype == 0 || c->qtype == type) &&
		    (c->port == 0 || c->port == port))
			return c;
	return NULL;
}

/* canned_send - the dns_send_fn */
static inline enum dns_send_status
canned_send(void *arg, const struct dns_server *server, bool tcp,
    const unsigned char *query, size_t query_len, unsigned char *reply,
    size_t reply_size, size_t *reply_len, int timeout_ms, struct why *why)
{
	static const struct canned nx = {
	    "", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, CANNED_SOA};
	struct canned_ctx *cx = arg;
	const struct canned *c;
	ldns_pkt *q, *r;
	ldns_rr *qrr;
	const ldns_rdf *o;
	char name[DNS_NAME_MAX + 1];
	uint8_t *wire;
	size_t len;

	(void)timeout_ms;
	tcp ? cx->tcp++ : cx->udp++;
	ck_assert_int_eq(ldns_wire2pkt(&q, query, query_len), LDNS_STATUS_OK);
	cx->edns += ldns_pkt_edns(q);
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	o = ldns_rr_owner(qrr);
	ck_assert(dns_name_from_wire(ldns_rdf_data(o), ldns_rdf_size(o), name));
	c = canned_find(cx, name, ldns_rr_get_type(qrr), server->port);
	if (c == NULL)
		c = &nx;
	if (c->flags & (CANNED_TIMEOUT | CANNED_ERROR)) {
		ldns_pkt_free(q);
		why_set(why, "4.4.3", "canned failure");
		return c->flags & CANNED_TIMEOUT ? DNS_SEND_TIMEOUT
		                                 : DNS_SEND_ERROR;
	}
	if (c->flags & CANNED_GARBAGE) {
		ldns_pkt_free(q);
		memcpy(reply, query, 2);
		memset(reply + 2, 0xc0, 30);
		*reply_len = 32;
		return DNS_SEND_OK;
	}
	r = ldns_pkt_new();
	ldns_pkt_set_id(r, ldns_pkt_id(q) ^ (c->flags & CANNED_BADID ? 1 : 0));
	ldns_pkt_set_qr(r, !(c->flags & CANNED_NOQR));
	ldns_pkt_set_aa(r, true);
	ldns_pkt_set_ad(r, (c->flags & CANNED_AD) != 0);
	if ((c->flags & CANNED_EDNS_FORMERR) && ldns_pkt_edns(q))
		ldns_pkt_set_rcode(r, LDNS_RCODE_FORMERR);
	else
		ldns_pkt_set_rcode(r, (uint8_t)c->rcode);
	if (c->flags & CANNED_OTHERNAME)
		canned_push(r, LDNS_SECTION_QUESTION, "other.test. IN A");
	else
		ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	if ((c->flags & CANNED_TC) && !tcp) {
		ldns_pkt_set_tc(r, true);
	} else {
		canned_push(r, LDNS_SECTION_ANSWER, c->answer);
		canned_push(r, LDNS_SECTION_AUTHORITY, c->authority);
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, r, &len), LDNS_STATUS_OK);
	ck_assert_uint_le(len, reply_size);
	memcpy(reply, wire, len);
	if (c->flags & CANNED_HUGE_COUNT) {
		reply[6] = 0xff;
		reply[7] = 0xff;
	}
	*reply_len = len;
	free(wire);
	ldns_pkt_free(r);
	ldns_pkt_free(q);
	return DNS_SEND_OK;
}

/* canned_open - a resolver on a canned table, one server (port 53) */
static inline struct dns *
canned_open(
    struct canned_ctx *cx, const struct canned *table, struct dns_opts *opts)
{
	static const struct dns_server one = {"192.0.2.53", 53};
	struct dns_opts o = {0};
	struct dns *dns;
	struct why why;

	if (opts != NULL)
		o = *opts;
	memset(cx, 0, sizeof(*cx));
	cx->table = table;
	if (o.servers_n == 0) {
		o.servers = &one;
		o.servers_n = 1;
	}
	o.send = canned_send;
	o.send_arg = cx;
	if (o.seed == 0)
		o.seed = 1;
	ck_assert_int_eq(dns_open(&o, &dns, &why), DNS_OK);
	return dns;
}

#endif
