/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: what the resolver does with the answers it gets
 * (dns.h): MX, implicit MX and null MX, A/AAAA, CNAME chains, TLSA,
 * TXT, truncation, compression pointers. The resolver runs over a
 * dns_send_fn that answers each query with the next piece of the input
 * (pieces are cut at "\xde\xad"; none left: a timeout). The first byte
 * of the input chooses the lookup. The first byte of a piece chooses
 * its form: even, the piece is the whole reply with the query's ID
 * written over its first two bytes; odd, the reply is the query's
 * header and question with QR set, the next 6 bytes give the second
 * flag byte, ANCOUNT and NSCOUNT, and the rest are the records.
 * Checked: an answer that is not DNS_OK holds no records, and every
 * record has the size of its type.
 */

#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"
#include "sbuf.h"

#define FUZZ_DNS_PIECES 16 /* most replies one input stands for */

/* The replies of one input. */
struct fuzz_dns {
	struct fuzz_piece *pc; /* pieces */
	size_t n, next; /* pieces, the next to give */
};

/* fuzz_dns_question - bytes of header and question in a query */
static size_t
fuzz_dns_question(const unsigned char *q, size_t len)
{
	size_t i = 12;

	while (i < len && q[i] != 0 && (q[i] & 0xc0) == 0)
		i += 1 + q[i];
	return i + 5 <= len ? i + 5 : len;
}

/* fuzz_dns_send - the next piece as the reply */
static enum dns_send_status
fuzz_dns_send(void *arg, const struct dns_server *server, bool tcp,
    const unsigned char *query, size_t query_len, unsigned char *reply,
    size_t reply_size, size_t *reply_len, int timeout_ms, struct why *why)
{
	struct fuzz_dns *f = arg;
	const struct fuzz_piece *p;
	size_t qlen, n;

	(void)server, (void)tcp, (void)timeout_ms, (void)why;
	if (f->next >= f->n || f->pc[f->next].n == 0)
		return DNS_SEND_TIMEOUT;
	p = &f->pc[f->next++];
	if ((p->p[0] & 1) == 0) {
		n = p->n - 1 < reply_size ? p->n - 1 : reply_size;
		memcpy(reply, p->p + 1, n);
		if (n >= 2 && query_len >= 2)
			memcpy(reply, query, 2);
		*reply_len = n;
		return DNS_SEND_OK;
	}
	qlen = fuzz_dns_question(query, query_len);
	if (qlen < 12 || p->n < 7 || qlen + p->n - 7 > reply_size)
		return DNS_SEND_TIMEOUT;
	memcpy(reply, query, qlen);
	reply[2] = (unsigned char)(0x80 | (query[2] & 0x01)); /* QR, RD */
	reply[3] = p->p[1];
	memcpy(reply + 6, p->p + 2, 4); /* ANCOUNT, NSCOUNT */
	reply[10] = reply[11] = 0; /* no ARCOUNT: the OPT of the query */
	reply[4] = 0, reply[5] = 1; /* QDCOUNT 1 */
	memcpy(reply + qlen, p->p + 7, p->n - 7);
	*reply_len = qlen + p->n - 7;
	return DNS_SEND_OK;
}

/* fuzz_dns_clock - a fixed time */
static time_t
fuzz_dns_clock(void *arg)
{
	(void)arg;
	return 1800000000;
}

/* fuzz_dns_answer_check - records fit their type */
static void
fuzz_dns_answer_check(const struct dns_answer *a)
{
	size_t i;

	if (a->status != DNS_OK && a->n != 0)
		fuzz_fail("answer %s with %zu records",
		    dns_status_str(a->status), a->n);
	for (i = 0; i < a->n; i++) {
		if ((a->type == DNS_T_A && a->recs[i].len != 4) ||
		    (a->type == DNS_T_AAAA && a->recs[i].len != 16) ||
		    (a->type == DNS_T_MX &&
		        strlen((const char *)a->recs[i].data) !=
		            a->recs[i].len))
			fuzz_fail("record %zu of type %u has %zu bytes", i,
			    a->type, a->recs[i].len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dns_server server = {"127.0.0.1", 53};
	struct dns_opts o;
	struct fuzz_dns f;
	struct dns *dns = NULL;
	struct dns_answer ans;
	struct dns_mxset set;
	struct dns_host host;
	struct sbuf sb;
	struct why why;

	if (size < 1)
		return 0;
	f.pc = fuzz_split(
	    data + 1, size - 1, "\xde\xad", 2, FUZZ_DNS_PIECES, &f.n);
	f.next = 0;
	memset(&o, 0, sizeof(o));
	o.servers = &server;
	o.servers_n = 1;
	o.tries = 1;
	o.timeout_ms = 10;
	o.seed = 1;
	o.clock = fuzz_dns_clock;
	o.send = fuzz_dns_send;
	o.send_arg = &f;
	if (dns_open(&o, &dns, &why) != DNS_OK)
		fuzz_fail("dns_open: %s", why.text);
	sbuf_init(&sb);
	switch (data[0] % 5) {
	case 0:
		(void)dns_mx_lookup(dns, "fuzz.test", &set, &why);
		dns_mxset_format(&set, &sb);
		dns_mxset_fini(&set);
		break;
	case 1:
		(void)dns_host_lookup(dns, "mx.fuzz.test", &host, &why);
		dns_host_fini(&host);
		break;
	case 2:
		(void)dns_tlsa_lookup(dns, "mx.fuzz.test", 25, &ans, &why);
		fuzz_dns_answer_check(&ans);
		dns_answer_format(&ans, &sb);
		dns_answer_fini(&ans);
		break;
	case 3:
		(void)dns_lookup(dns, "fuzz.test", DNS_T_MX, &ans, &why);
		fuzz_dns_answer_check(&ans);
		dns_answer_format(&ans, &sb);
		dns_answer_fini(&ans);
		break;
	default:
		/* A first byte of 128 or more: TXT (MTA-STS, TLS reports). */
		(void)dns_lookup(dns, "fuzz.test",
		    data[0] & 0x80 ? DNS_T_TXT : DNS_T_AAAA, &ans, &why);
		fuzz_dns_answer_check(&ans);
		dns_answer_format(&ans, &sb);
		dns_answer_fini(&ans);
		break;
	}
	sbuf_fini(&sb);
	dns_close(dns);
	free(f.pc);
	return 0;
}
