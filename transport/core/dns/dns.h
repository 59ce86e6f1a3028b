/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	dns - caching stub resolver: MX sets, host addresses, TLSA
 * DESCRIPTION
 *	Asks the configured servers (or /etc/resolv.conf's) in turn, with
 *	a time-out per try, a bounded number of tries, TCP after a
 *	truncated answer, and every answer checked against its question
 *	(ID, name, type, class, record counts, name syntax). CNAME chains
 *	are followed to a bounded depth. Results (negative ones per RFC
 *	2308) are kept in a cache in state_dir shared by all processes, at
 *	most cache_size of them, least recently used evicted first, each
 *	until the smallest TTL of its records. On top: dns_mx_lookup()
 *	(MX sorted by preference, equal ones shuffled; implicit MX; null
 *	MX; addresses of every host), dns_host_lookup() (addresses of one
 *	host, for override targets) and dns_tlsa_lookup() (for DANE, with
 *	the AD bit). dns_lookup() also takes TXT (for MTA-STS and TLS
 *	reporting): each record's strings joined. Sits between route and
 *	smtp; decides no policy.
 * OWNERSHIP
 *	dns_open() allocates the resolver, dns_close() frees it. Results
 *	are caller-allocated structs whose contents the call allocates;
 *	release them with dns_answer_fini() / dns_mxset_fini() /
 *	dns_host_fini(). Options are copied. The _format functions
 *	append to a caller's sbuf.
 * THREADS
 *	Safe for concurrent use of distinct resolvers. LMDB allows one
 *	handle on the cache file per process: open one resolver, and give
 *	every other thread a dns_dup() of it (they share the cache); close
 *	the opened one last.
 * ERRORS
 *	DNS_OK: records found. DNS_TEMP (4.4.3): time-outs, SERVFAIL,
 *	REFUSED, malformed answers, no MX host with an address: defer.
 *	DNS_NXDOMAIN (5.1.2): a server said the name does not exist.
 *	DNS_NODATA (5.4.4 for mail): the name exists without such records.
 *	DNS_NULLMX (5.1.10): RFC 7505 null MX. DNS_BADNAME (5.1.2): the
 *	name is not a valid domain name. The permanent ones bounce.
 * SEE ALSO
 *	RFC 1035, 2181 (TTL, CNAME), 2308 (negative caching), 5321 section
 *	5 (MX), 7505 (null MX), 7672 (DANE for SMTP); state.h; route.h.
 */
#ifndef SMTPDIRECT_DNS_H
#define SMTPDIRECT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sbuf.h"
#include "why.h"

#define DNS_NAME_MAX 253 /* longest domain name, as text without dot */
#define DNS_SERVERS_MAX 8 /* servers used */
#define DNS_ADDR_TEXT_MAX 64 /* server address text, with scope */
#define DNS_RR_MAX 100 /* records accepted in one answer section */
#define DNS_MX_MAX 32 /* MX hosts kept, lowest preferences first */
#define DNS_ADDRS_MAX 16 /* addresses kept per host and family */
#define DNS_CNAME_MAX 8 /* CNAMEs followed for one lookup */
#define DNS_TIMEOUT_MS 5000 /* default time-out of one try */
#define DNS_TRIES 2 /* default tries per server */
#define DNS_TTL_MAX 86400 /* positive answers are kept at most this */
#define DNS_NEG_TTL_MAX 900 /* negative answers are kept at most this */
#define DNS_CACHE_SIZE 1000 /* default cache size (entries) */
#define DNS_CACHE_FILE "dns-cache.lmdb" /* the cache in state_dir */
#define DNS_PORT 53 /* default server port */

/* DNS record types used here. */
#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_TLSA 52

/* Results. */
enum dns_status {
	DNS_OK = 0, /* records found */
	DNS_TEMP, /* try later: 4.4.3 */
	DNS_NXDOMAIN, /* no such domain: 5.1.2 */
	DNS_NODATA, /* no records of the type: 5.4.4 */
	DNS_NULLMX, /* the domain accepts no mail: 5.1.10 */
	DNS_BADNAME /* not a domain name: 5.1.2 */
};

/* Which address families are looked up. */
enum dns_family {
	DNS_FAMILY_ANY, /* IPv4 and IPv6 */
	DNS_FAMILY_IPV4, /* IPv4 only */
	DNS_FAMILY_IPV6 /* IPv6 only */
};

/* Which family a host's addresses begin with. */
enum dns_prefer {
	DNS_PREFER_ANY, /* chosen at random, per host */
	DNS_PREFER_IPV4, /* IPv4 first */
	DNS_PREFER_IPV6 /* IPv6 first */
};

/* A DNS server to ask. */
struct dns_server {
	char addr[DNS_ADDR_TEXT_MAX]; /* numeric IPv4 or IPv6, no brackets */
	unsigned port; /* 53 unless given */
};

/* The wall clock: seconds since the epoch (injected by tests). */
typedef time_t (*dns_clock_fn)(void *arg);

/* Outcome of one exchange with a server (see dns_send_fn). */
enum dns_send_status {
	DNS_SEND_OK, /* a reply is in the buffer */
	DNS_SEND_TIMEOUT, /* nothing came in time */
	DNS_SEND_ERROR /* the exchange failed; reason in why */
};

/*
 * The transport seam: send the wire-format query to server over UDP or
 * TCP and put one reply (at most reply_size bytes) in reply. The real
 * one is the default; unit tests give canned replies.
 */
typedef enum dns_send_status (*dns_send_fn)(void *arg,
    const struct dns_server *server, bool tcp, const unsigned char *query,
    size_t query_len, unsigned char *reply, size_t reply_size,
    size_t *reply_len, int timeout_ms, struct why *why);

/* Resolver options; zero fields take the defaults shown. */
struct dns_opts {
	const struct dns_server *servers; /* servers, or NULL */
	size_t servers_n; /* 0 = nameservers of resolv_conf */
	const char *resolv_conf; /* NULL = "/etc/resolv.conf" */
	unsigned timeout_ms; /* per try; 0 = DNS_TIMEOUT_MS */
	unsigned tries; /* per server; 0 = DNS_TRIES */
	const char *cache_dir; /* state_dir; NULL = no cache */
	size_t cache_size; /* entries; 0 = no cache */
	unsigned neg_ttl_max; /* seconds; 0 = DNS_NEG_TTL_MAX */
	enum dns_family family; /* families looked up */
	enum dns_prefer prefer; /* family tried first */
	uint64_t seed; /* shuffles; 0 = random */
	dns_clock_fn clock; /* NULL = time(2) */
	void *clock_arg; /* for clock */
	dns_send_fn send; /* NULL = the network */
	void *send_arg; /* for send */
};

/* One record of an answer. */
struct dns_rec {
	unsigned pref; /* MX preference */
	unsigned char usage, selector, mtype; /* TLSA fields */
	size_t len; /* bytes in data */
	unsigned char *data; /* A: 4 bytes, AAAA: 16, MX: host name text
				(NUL-terminated, "" for the root), TLSA:
				association data, TXT: the record's strings
				joined (any bytes; a NUL follows) */
};

/* The answer to one question. */
struct dns_answer {
	enum dns_status status; /* DNS_OK, NODATA, NXDOMAIN, TEMP, BADNAME */
	unsigned type; /* DNS_T_* asked */
	char name[DNS_NAME_MAX + 1]; /* owner of the records, after CNAMEs */
	unsigned cnames; /* CNAMEs followed */
	uint32_t ttl; /* seconds it stays valid from now */
	bool ad; /* the server marked every part authentic */
	bool from_cache; /* answered by the cache */
	size_t n; /* records */
	struct dns_rec *recs; /* [n] */
};

/* An address. */
struct dns_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char bytes[16]; /* network order; 4 used for AF_INET */
};

/* Where one host's addresses came from. */
struct dns_source {
	bool asked; /* this family was looked up */
	enum dns_status status; /* of that lookup */
	uint32_t ttl; /* remaining seconds */
	bool from_cache; /* from the cache */
	bool ad; /* AD bit */
};

/* A host with its addresses. */
struct dns_host {
	char name[DNS_NAME_MAX + 1]; /* MX exchange, domain or target */
	unsigned pref; /* MX preference (0 for implicit MX) */
	bool is_literal; /* the MX named an IP address (used as is) */
	struct dns_addr *addrs; /* in the order to try */
	size_t addrs_n;
	struct dns_source a, aaaa; /* the two lookups */
	enum dns_status status; /* DNS_OK when addrs_n > 0 */
	struct why why; /* why there is no address */
};

/* The mail servers of a domain. */
struct dns_mxset {
	char domain[DNS_NAME_MAX + 1]; /* as asked, normalised */
	bool implicit; /* no MX: the domain's own addresses */
	struct dns_source mx; /* the MX lookup */
	struct dns_host *hosts; /* in the order to try */
	size_t n;
};

struct dns;

/*
 * Make a resolver. A cache that cannot be opened is logged and left
 * out; it never fails the call.
 * Returns: DNS_OK, DNS_TEMP (no usable server).
 */
enum dns_status dns_open(
    const struct dns_opts *opts, struct dns **out, struct why *why);

/*
 * A resolver with the same options for another thread, sharing the
 * cache of dns (which must be closed after it). Free with dns_close().
 */
struct dns *dns_dup(struct dns *dns);

/* Free a resolver; NULL is ignored. */
void dns_close(struct dns *dns);

/* Stop every lookup at this mono_now_ms() time; 0 = no deadline. */
void dns_deadline_set(struct dns *dns, long long deadline_ms);

/* Queries sent to servers so far (for tests and resolve -v). */
unsigned long dns_queries_sent(const struct dns *dns);

/* True when the resolver has a working cache. */
bool dns_has_cache(const struct dns *dns);

/*
 * Look up name/type (after CNAMEs), through the cache. ans is always
 * initialised; release it with dns_answer_fini().
 * Returns: DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP, DNS_BADNAME.
 */
enum dns_status dns_lookup(struct dns *dns, const char *name, unsigned type,
    struct dns_answer *ans, struct why *why);

/* Release the records of an answer. */
void dns_answer_fini(struct dns_answer *ans);

/*
 * The mail servers of domain with their addresses. out is always
 * initialised; release with dns_mxset_fini(). Hosts without address
 * stay in the list with their status and reason.
 * Returns: DNS_OK, DNS_TEMP, DNS_NXDOMAIN, DNS_NODATA, DNS_NULLMX,
 * DNS_BADNAME.
 */
enum dns_status dns_mx_lookup(struct dns *dns, const char *domain,
    struct dns_mxset *out, struct why *why);

/* Release an MX set. */
void dns_mxset_fini(struct dns_mxset *set);

/*
 * The addresses of one host (an override target: A/AAAA, no MX); an
 * IP address is taken as is. out is always initialised; release with
 * dns_host_fini().
 * Returns: DNS_OK, DNS_TEMP, DNS_NXDOMAIN, DNS_NODATA, DNS_BADNAME.
 */
enum dns_status dns_host_lookup(
    struct dns *dns, const char *host, struct dns_host *out, struct why *why);

/* Release a host's addresses. */
void dns_host_fini(struct dns_host *host);

/*
 * TLSA records at _port._tcp.host (RFC 7672); ans->ad tells whether the
 * server vouched for them. Release with dns_answer_fini().
 * Returns: DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP, DNS_BADNAME.
 */
enum dns_status dns_tlsa_lookup(struct dns *dns, const char *host,
    unsigned port, struct dns_answer *ans, struct why *why);

/*
 * Append the MX set as text to out, one line for the MX answer, one per
 * host with where each answer came from ("cache" or "network") and its
 * remaining TTL, then the host's addresses (as smtpdirect resolve
 * prints it).
 */
void dns_mxset_format(const struct dns_mxset *set, struct sbuf *out);

/* Append an answer as text: a summary line, then one line a record. */
void dns_answer_format(const struct dns_answer *ans, struct sbuf *out);

/* Text of an address into buf (at least 46 bytes); returns buf. */
const char *dns_addr_str(const struct dns_addr *addr, char *buf, size_t size);

/* Name of a status ("NXDOMAIN"). */
const char *dns_status_str(enum dns_status status);

/* The ldns in use, as "ldns 1.8.3". */
const char *dns_library(void);

/* Name of a record type ("MX", or "TYPE99"); buf holds 16 bytes. */
const char *dns_type_str(unsigned type, char *buf, size_t size);

/*
 * Normalise a domain name into out (DNS_NAME_MAX + 1 bytes): lower
 * case, no trailing dot. False when it is not a valid host name
 * (letters, digits, hyphens inside labels, underscores; labels of 1-63
 * bytes).
 */
bool dns_name_normalise(const char *name, char *out);

#endif
