/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	dns_int - private declarations of the dns module
 * DESCRIPTION
 *	The resolver object, and the parts the files of the module share:
 *	dns_query.c (questions to servers, answer checks, CNAMEs, the
 *	cache in front), dns_answer.c (records, names, texts), dns_net.c
 *	(UDP and TCP exchanges, resolv.conf), dns_cache.c (the shared LRU
 *	cache over the state store) and dns_mx.c (MX, hosts, TLSA). Unit
 *	tests include this header to reach the cache and the parsers.
 * OWNERSHIP
 *	As dns.h. dns_cache_open() allocates, dns_cache_close() frees.
 * THREADS
 *	As dns.h: one resolver, one thread.
 * ERRORS
 *	As dns.h. Cache functions never fail a lookup: trouble is logged
 *	and reported as a miss.
 * SEE ALSO
 *	dns.h, state.h.
 */
#ifndef SMTPDIRECT_DNS_INT_H
#define SMTPDIRECT_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "rnd.h"
#include "why.h"

#define DNS_MSG_MAX 65535 /* largest DNS message */
#define DNS_EDNS_SIZE 1232 /* UDP payload size we advertise */
#define DNS_RESOLV_CONF "/etc/resolv.conf" /* default server list */
#define DNS_CACHE_MAP_MIN (16UL << 20) /* smallest cache map, bytes */
#define DNS_CACHE_ENTRY_BYTES 2048UL /* map bytes allowed per entry */

/* A server as the resolver keeps it. */
struct dns_srv {
	struct dns_server pub; /* address and port */
	char label[DNS_ADDR_TEXT_MAX + 16]; /* "addr:port" or "[v6]:port" */
	bool no_edns; /* it answered FORMERR to EDNS: ask without */
};

struct dns_cache;

/* The resolver. */
struct dns {
	struct dns_srv servers[DNS_SERVERS_MAX]; /* in the order to ask */
	size_t servers_n; /* at least 1 */
	unsigned timeout_ms; /* per try */
	unsigned tries; /* per server */
	unsigned neg_ttl_max; /* cap on negative TTLs, seconds */
	enum dns_family family; /* families looked up */
	enum dns_prefer prefer; /* family tried first */
	struct rnd rnd; /* shuffles */
	dns_clock_fn clock; /* wall clock */
	void *clock_arg;
	dns_send_fn send; /* transport */
	void *send_arg;
	struct dns_cache *cache; /* NULL = none */
	long long deadline_ms; /* mono_now_ms() time; 0 = none */
	unsigned long queries; /* sent to servers */
};

/* dns_answer.c */

/* Prepare an empty answer for type. */
void dns_answer_init(struct dns_answer *ans, unsigned type);

/* Append a record with a copy of data (NUL added); returns it. */
struct dns_rec *dns_answer_add(
    struct dns_answer *ans, const void *data, size_t len);

/* Move the records of src into dst (emptied first); src becomes empty. */
void dns_answer_move(struct dns_answer *dst, struct dns_answer *src);

/*
 * Text of a wire-format name (len bytes at wire, uncompressed, ending
 * with the root label) into out (DNS_NAME_MAX + 1 bytes), lower case,
 * without the trailing dot; "" for the root. False when it is not a
 * valid host name (see dns_name_normalise).
 */
bool dns_name_from_wire(const unsigned char *wire, size_t len, char *out);

/* The enhanced status code for a lookup status ("4.4.3"). */
const char *dns_status_dsn(enum dns_status status);

/* dns_query.c */

/* Seconds since the epoch from the resolver's clock. */
time_t dns_now(struct dns *dns);

/*
 * Ask the servers (no cache), following CNAMEs. ans is initialised.
 * Returns: DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP.
 */
enum dns_status dns_query_run(struct dns *dns, const char *name, unsigned type,
    struct dns_answer *ans, struct why *why);

/* dns_reply.c */

/*
 * Take the records for name/type from a checked reply (rcode NOERROR or
 * NXDOMAIN), following the CNAMEs in it: name (DNS_NAME_MAX + 1 bytes)
 * becomes the owner reached and ans->cnames counts them. Records go to
 * ans; *ttl is lowered to the smallest TTL used (for negative answers,
 * the RFC 2308 SOA TTL capped at neg_ttl_max, 0 without SOA). *again is
 * set when the chain leaves the reply without a negative answer: ask
 * again for the new name.
 * Returns: DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP (malformed, or a
 * CNAME chain longer than DNS_CNAME_MAX).
 */
enum dns_status dns_reply_take(const ldns_pkt *reply, char *name, unsigned type,
    unsigned neg_ttl_max, struct dns_answer *ans, uint32_t *ttl, bool *again,
    struct why *why);

/* dns_net.c */

/* The network transport (the default dns_send_fn). */
enum dns_send_status dns_net_send(void *arg, const struct dns_server *server,
    bool tcp, const unsigned char *query, size_t query_len,
    unsigned char *reply, size_t reply_size, size_t *reply_len, int timeout_ms,
    struct why *why);

/*
 * Read "nameserver" lines of a resolv.conf into out[max].
 * Returns the number found (0 when none or unreadable, reason in why).
 */
size_t dns_resolv_conf_read(
    const char *path, struct dns_server *out, size_t max, struct why *why);

/* dns_cache.c */

/*
 * Open the shared cache of at most size entries in dir. NULL when size
 * is 0 or the store cannot be opened (reason in why).
 */
struct dns_cache *dns_cache_open(const char *dir, size_t size, struct why *why);

/*
 * Another cache on the store of orig, for a resolver of another thread
 * (LMDB allows one handle per file and process). orig must be closed
 * last. NULL when orig has no store.
 */
struct dns_cache *dns_cache_dup(struct dns_cache *orig);

/* Close the cache; NULL is ignored. */
void dns_cache_close(struct dns_cache *cache);

/*
 * Look name/type up as of now; on a hit fill ans (initialised here,
 * from_cache set, ttl the remaining seconds) and return true.
 */
bool dns_cache_get(struct dns_cache *cache, const char *name, unsigned type,
    time_t now, struct dns_answer *ans);

/* Store an answer (OK, NODATA or NXDOMAIN with a TTL) as of now. */
void dns_cache_put(struct dns_cache *cache, const char *name, unsigned type,
    const struct dns_answer *ans, time_t now);

/* Entries in the cache (tests and the benchmark). */
size_t dns_cache_count(struct dns_cache *cache);

#endif
