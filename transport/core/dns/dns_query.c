/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Questions to servers with ldns: the resolver object, building queries,
 * servers in turn with tries and time-outs, TCP after truncation, every
 * reply checked against its question, CNAME chains, and the cache in
 * front of it all.
 *
 * Queries are built with ldns and sent with dns_net_send() (or a test
 * back-end), not ldns_send(): ldns draws query IDs from OpenSSL's random
 * generator, whose start-up costs about 1.5 ms in every new process, and
 * ldns_send() gives up on the first garbled or mismatched reply instead
 * of asking the next server, and accepts datagrams from any source. The
 * ID here comes from getrandom(2); sockets are connected.
 */

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns_int.h"
#include "mono.h"
#include "msg.h"
#include "xalloc.h"

/* dns_clock_default - time(2) */
static time_t
dns_clock_default(void *arg)
{
	(void)arg;
	return time(NULL);
}

/* dns_now - the resolver's wall clock */
time_t
dns_now(struct dns *dns)
{
	return dns->clock(dns->clock_arg);
}

/* dns_srv_label - "addr:port", IPv6 in brackets */
static void
dns_srv_label(struct dns_srv *srv)
{
	bool v6 = strchr(srv->pub.addr, ':') != NULL;

	snprintf(srv->label, sizeof(srv->label), "%s%s%s:%u", v6 ? "[" : "",
	    srv->pub.addr, v6 ? "]" : "", srv->pub.port);
}

/* dns_open - make a resolver */
enum dns_status
dns_open(const struct dns_opts *opts, struct dns **out, struct why *why)
{
	struct dns_server found[DNS_SERVERS_MAX];
	const struct dns_server *list = opts->servers;
	size_t n = opts->servers_n, i;
	struct dns *dns;
	struct why cwhy;

	*out = NULL;
	if (n == 0) {
		n = dns_resolv_conf_read(
		    opts->resolv_conf ? opts->resolv_conf : DNS_RESOLV_CONF,
		    found, DNS_SERVERS_MAX, why);
		if (n == 0)
			return DNS_TEMP;
		list = found;
	}
	dns = xcalloc(1, sizeof(*dns));
	for (i = 0; i < n && i < DNS_SERVERS_MAX; i++) {
		dns->servers[i].pub = list[i];
		if (dns->servers[i].pub.port == 0)
			dns->servers[i].pub.port = DNS_PORT;
		dns_srv_label(&dns->servers[i]);
	}
	dns->servers_n = i;
	dns->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DNS_TIMEOUT_MS;
	dns->tries = opts->tries ? opts->tries : DNS_TRIES;
	dns->neg_ttl_max =
	    opts->neg_ttl_max ? opts->neg_ttl_max : DNS_NEG_TTL_MAX;
	dns->family = opts->family;
	dns->prefer = opts->prefer;
	rnd_init(&dns->rnd, opts->seed);
	dns->clock = opts->clock ? opts->clock : dns_clock_default;
	dns->clock_arg = opts->clock_arg;
	dns->send = opts->send ? opts->send : dns_net_send;
	dns->send_arg = opts->send_arg;
	if (opts->cache_dir != NULL && opts->cache_size > 0) {
		why_reset(&cwhy);
		dns->cache =
		    dns_cache_open(opts->cache_dir, opts->cache_size, &cwhy);
		if (dns->cache == NULL)
			msg_warn("DNS cache disabled: %s", cwhy.text);
	}
	*out = dns;
	return DNS_OK;
}

/* dns_dup - a resolver for another thread, sharing the cache */
struct dns *
dns_dup(struct dns *dns)
{
	struct dns *d = xmalloc(sizeof(*d));

	*d = *dns;
	rnd_init(&d->rnd, rnd_next(&dns->rnd));
	d->cache = dns_cache_dup(dns->cache);
	d->deadline_ms = 0;
	d->queries = 0;
	return d;
}

/* dns_close - free */
void
dns_close(struct dns *dns)
{
	if (dns == NULL)
		return;
	dns_cache_close(dns->cache);
	free(dns);
}

/* dns_deadline_set - bound every later lookup */
void
dns_deadline_set(struct dns *dns, long long deadline_ms)
{
	dns->deadline_ms = deadline_ms;
}

/* dns_queries_sent - statistics */
unsigned long
dns_queries_sent(const struct dns *dns)
{
	return dns->queries;
}

/* dns_has_cache - is a cache in use? */
bool
dns_has_cache(const struct dns *dns)
{
	return dns->cache != NULL;
}

/* dns_time_left - milliseconds to wait for the next try; 0 when none */
static int
dns_time_left(const struct dns *dns)
{
	long long left;

	if (dns->deadline_ms <= 0)
		return (int)dns->timeout_ms;
	left = dns->deadline_ms - mono_now_ms();
	if (left <= 0)
		return 0;
	return left < dns->timeout_ms ? (int)left : (int)dns->timeout_ms;
}

/* dns_rcode_str - the name of a response code */
static const char *
dns_rcode_str(unsigned rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
	    "NOTAUTH", "NOTZONE"};

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode]
	                                                : "unknown rcode";
}

/* dns_query_build - the query in wire format; false on failure */
static bool
dns_query_build(const char *name, unsigned type, bool edns, uint16_t *id,
    uint8_t **wire, size_t *len)
{
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	ldns_pkt *pkt;
	ldns_status st;

	if (qname == NULL)
		return false;
	pkt = ldns_pkt_query_new(
	    qname, (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (pkt == NULL)
		return false;
	if (getrandom(id, sizeof(*id), 0) != sizeof(*id))
		*id = (uint16_t)(time(NULL) ^ clock());
	ldns_pkt_set_id(pkt, *id);
	/* RFC 6840 section 5.7: AD in a query asks for AD in the reply. */
	ldns_pkt_set_ad(pkt, true);
	if (edns)
		ldns_pkt_set_edns_udp_size(pkt, DNS_EDNS_SIZE);
	st = ldns_pkt2wire(wire, pkt, len);
	ldns_pkt_free(pkt);
	return st == LDNS_STATUS_OK;
}

/* dns_reply_check - does the reply answer our question? */
static bool
dns_reply_check(const ldns_pkt *reply, uint16_t id, const char *name,
    unsigned type, struct why *why)
{
	char owner[DNS_NAME_MAX + 1];
	const ldns_rr_list *q = ldns_pkt_question(reply);
	const ldns_rr *rr;
	const ldns_rdf *o;

	if (!ldns_pkt_qr(reply) ||
	    ldns_pkt_get_opcode(reply) != LDNS_PACKET_QUERY ||
	    ldns_pkt_id(reply) != id) {
		why_set(why, "4.4.3", "reply is not an answer to our query");
		return false;
	}
	if (ldns_pkt_get_rcode(reply) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(reply) != LDNS_RCODE_NXDOMAIN)
		return true; /* errors may come without a question */
	if (ldns_rr_list_rr_count(q) != 1) {
		why_set(why, "4.4.3", "reply has %zu questions",
		    ldns_rr_list_rr_count(q));
		return false;
	}
	rr = ldns_rr_list_rr(q, 0);
	o = ldns_rr_owner(rr);
	if (!dns_name_from_wire(ldns_rdf_data(o), ldns_rdf_size(o), owner) ||
	    strcmp(owner, name) != 0 || ldns_rr_get_type(rr) != type ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		why_set(why, "4.4.3", "reply is for another question");
		return false;
	}
	if (ldns_pkt_ancount(reply) > DNS_RR_MAX ||
	    ldns_pkt_nscount(reply) > DNS_RR_MAX ||
	    ldns_pkt_arcount(reply) > DNS_RR_MAX) {
		why_set(why, "4.4.3", "reply has too many records (%u/%u/%u)",
		    ldns_pkt_ancount(reply), ldns_pkt_nscount(reply),
		    ldns_pkt_arcount(reply));
		return false;
	}
	return true;
}

/* One question to one server. */
struct dns_ask {
	const char *name; /* asked */
	unsigned type;
	uint8_t *wire; /* the query */
	size_t len;
	uint16_t id;
	ldns_pkt *reply; /* the checked reply */
};

/* dns_ask_send - one exchange over UDP or TCP, then parse and check */
static bool
dns_ask_send(struct dns *dns, struct dns_srv *srv, struct dns_ask *q, bool tcp,
    struct why *why)
{
	enum dns_send_status st;
	size_t rlen = 0;
	ldns_status ls;
	int left = dns_time_left(dns);
	unsigned char *buf;
	char tbuf[16];

	if (left <= 0) {
		why_set(why, "4.4.3", "deadline reached");
		return false;
	}
	dns->queries++;
	/* The reply's own buffer: the exchange may give way to other tasks
	 * of the loop (loop.h), which may query through this resolver. */
	buf = xmalloc(DNS_MSG_MAX);
	st = dns->send(dns->send_arg, &srv->pub, tcp, q->wire, q->len, buf,
	    DNS_MSG_MAX, &rlen, left, why);
	msg_debug("query %s/%s to %s over %s: %s, %zu bytes", q->name,
	    dns_type_str(q->type, tbuf, sizeof(tbuf)), srv->label,
	    tcp ? "TCP" : "UDP",
	    st == DNS_SEND_OK            ? "reply"
	        : st == DNS_SEND_TIMEOUT ? "timed out"
	                                 : why->text,
	    rlen);
	if (st == DNS_SEND_TIMEOUT)
		why_set(why, "4.4.3", "timed out after %d ms", left);
	ls = st == DNS_SEND_OK ? ldns_wire2pkt(&q->reply, buf, rlen)
	                       : LDNS_STATUS_OK;
	free(buf);
	if (st != DNS_SEND_OK)
		return false;
	if (ls != LDNS_STATUS_OK) {
		why_set(why, "4.4.3", "malformed reply: %s",
		    ldns_get_errorstr_by_id(ls));
		q->reply = NULL;
		return false;
	}
	if (!dns_reply_check(q->reply, q->id, q->name, q->type, why)) {
		ldns_pkt_free(q->reply);
		q->reply = NULL;
		return false;
	}
	return true;
}

/* dns_ask_one - ask one server: UDP, TCP when truncated, FORMERR retry */
static bool
dns_ask_one(
    struct dns *dns, struct dns_srv *srv, struct dns_ask *q, struct why *why)
{
	unsigned rcode;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		q->reply = NULL;
		if (!dns_query_build(q->name, q->type, !srv->no_edns, &q->id,
		        &q->wire, &q->len)) {
			why_set(why, "4.4.3", "cannot build a query");
			return false;
		}
		if (dns_ask_send(dns, srv, q, false, why) &&
		    ldns_pkt_tc(q->reply)) {
			ldns_pkt_free(q->reply);
			q->reply = NULL;
			(void)dns_ask_send(dns, srv, q, true, why);
		}
		free(q->wire);
		if (q->reply == NULL)
			return false;
		rcode = ldns_pkt_get_rcode(q->reply);
		if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)
			return true;
		ldns_pkt_free(q->reply);
		q->reply = NULL;
		why_set(why, "4.4.3", "server said %s", dns_rcode_str(rcode));
		/* Some old servers refuse EDNS with FORMERR: ask without. */
		if (rcode != LDNS_RCODE_FORMERR || srv->no_edns)
			return false;
		srv->no_edns = true;
	}
	return false;
}

/* dns_exchange - ask the servers in turn until one answers */
static ldns_pkt *
dns_exchange(struct dns *dns, const char *name, unsigned type, struct why *why)
{
	struct dns_ask q = {.name = name, .type = type};
	struct why last;
	unsigned try;
	size_t i;
	char tbuf[16];

	why_set(&last, "4.4.3", "no server");
	for (try = 0; try < dns->tries; try++) {
		for (i = 0; i < dns->servers_n; i++) {
			if (dns_ask_one(dns, &dns->servers[i], &q, &last))
				return q.reply;
			why_prefix(&last, "%s", dns->servers[i].label);
			if (dns_time_left(dns) <= 0)
				break;
		}
	}
	why_set(why, "4.4.3", "lookup of %s/%s: %s", name,
	    dns_type_str(type, tbuf, sizeof(tbuf)), last.text);
	return NULL;
}

/* dns_query_run - ask, following CNAMEs across replies */
enum dns_status
dns_query_run(struct dns *dns, const char *name, unsigned type,
    struct dns_answer *ans, struct why *why)
{
	char cur[DNS_NAME_MAX + 1];
	enum dns_status st;
	ldns_pkt *reply;
	uint32_t ttl = DNS_TTL_MAX;
	bool again, ad = true;

	dns_answer_init(ans, type);
	snprintf(cur, sizeof(cur), "%s", name);
	do {
		if ((reply = dns_exchange(dns, cur, type, why)) == NULL) {
			dns_answer_fini(ans);
			ans->status = DNS_TEMP;
			return DNS_TEMP;
		}
		ad = ad && ldns_pkt_ad(reply);
		again = false;
		st = dns_reply_take(
		    reply, cur, type, dns->neg_ttl_max, ans, &ttl, &again, why);
		ldns_pkt_free(reply);
	} while (again);
	if (st == DNS_TEMP)
		dns_answer_fini(ans);
	ans->status = st;
	ans->ttl = st == DNS_TEMP ? 0 : ttl;
	ans->ad = ad;
	snprintf(ans->name, sizeof(ans->name), "%s", cur);
	return st;
}

/* dns_why_answer - the reason text of a negative answer */
static void
dns_why_answer(const struct dns_answer *ans, const char *name, struct why *why)
{
	char tbuf[16];
	const char *type = dns_type_str(ans->type, tbuf, sizeof(tbuf));
	const char *via = strcmp(ans->name, name) != 0 ? " via CNAME " : "";

	if (ans->status == DNS_NXDOMAIN)
		why_set(why, dns_status_dsn(ans->status),
		    "%s/%s: no such domain%s%s (NXDOMAIN)", name, type, via,
		    *via ? ans->name : "");
	else if (ans->status == DNS_NODATA)
		why_set(why, dns_status_dsn(ans->status),
		    "%s/%s: no %s record%s%s", name, type, type, via,
		    *via ? ans->name : "");
}

/* dns_lookup - through the cache */
enum dns_status
dns_lookup(struct dns *dns, const char *name, unsigned type,
    struct dns_answer *ans, struct why *why)
{
	char norm[DNS_NAME_MAX + 1], tbuf[16], pbuf[64];
	time_t now;

	if (!dns_name_normalise(name, norm)) {
		dns_answer_init(ans, type);
		ans->status = DNS_BADNAME;
		why_set(why, "5.1.2", "%s: not a valid domain name",
		    why_printable(pbuf, sizeof(pbuf), name, strlen(name)));
		return DNS_BADNAME;
	}
	now = dns_now(dns);
	if (dns->cache != NULL &&
	    dns_cache_get(dns->cache, norm, type, now, ans)) {
		msg_debug("cache hit %s/%s: %s, ttl %u", norm,
		    dns_type_str(type, tbuf, sizeof(tbuf)),
		    dns_status_str(ans->status), (unsigned)ans->ttl);
	} else if (dns_query_run(dns, norm, type, ans, why) != DNS_TEMP &&
	    dns->cache != NULL && ans->ttl > 0) {
		dns_cache_put(dns->cache, norm, type, ans, now);
	}
	dns_why_answer(ans, norm, why);
	return ans->status;
}
