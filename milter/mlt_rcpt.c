/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The optional check at RCPT: a recipient domain with a null MX, or one
 * that does not exist, is rejected; a DNS failure never rejects. */

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idn.h"
#include "mlt_rcpt.h"
#include "mono.h"
#include "msg.h"
#include "sdir.h"
#include "xalloc.h"

/* The checker: options, and the resolver every connection dups. */
struct mlt_rcpt {
	pthread_mutex_t lock; /* guards dns */
	struct dns_opts opts; /* pointers below are ours */
	struct dns_server servers[DNS_SERVERS_MAX];
	char *resolv_conf; /* NULL: the default */
	char *cache_dir; /* NULL: no cache */
	unsigned long limit_ms; /* one lookup, all tries */
	struct dns *dns; /* opened at first use, NULL before */
};

static void mlt_rcpt_cache_check(struct mlt_rcpt *rc);
static bool mlt_rcpt_domain(const char *rcpt, struct mlt_rcpt_result *res);
static bool mlt_rcpt_routed(const struct ovr_map *map, const char *domain,
    unsigned long long size, bool size_known);
static void mlt_rcpt_lookup(
    struct mlt_rcpt *rc, struct dns *dns, struct mlt_rcpt_result *res);

/* mlt_rcpt_new - a checker; nothing opened yet */
struct mlt_rcpt *
mlt_rcpt_new(const struct dns_opts *opts, unsigned long time_limit_ms)
{
	struct mlt_rcpt *rc = xcalloc(1, sizeof(*rc));
	size_t i;

	if (pthread_mutex_init(&rc->lock, NULL) != 0)
		msg_panic("%s: pthread_mutex_init failed", __func__);
	rc->opts = *opts;
	for (i = 0; i < opts->servers_n && i < DNS_SERVERS_MAX; i++)
		rc->servers[i] = opts->servers[i];
	rc->opts.servers = rc->servers;
	rc->opts.servers_n = i;
	if (opts->resolv_conf != NULL)
		rc->resolv_conf = xstrdup(opts->resolv_conf);
	rc->opts.resolv_conf = rc->resolv_conf;
	if (opts->cache_dir != NULL)
		rc->cache_dir = xstrdup(opts->cache_dir);
	rc->opts.cache_dir = rc->cache_dir;
	rc->limit_ms = time_limit_ms;
	return rc;
}

/* mlt_rcpt_free - release; the resolvers given out are closed already */
void
mlt_rcpt_free(struct mlt_rcpt *rc)
{
	if (rc == NULL)
		return;
	dns_close(rc->dns);
	free(rc->resolv_conf);
	free(rc->cache_dir);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/*
 * mlt_rcpt_cache_check - no cache in another user's state_dir (nothing
 * there may end up ours), nor in one every user may write (anybody
 * could forge answers): as the smtpdirect commands decide
 */
static void
mlt_rcpt_cache_check(struct mlt_rcpt *rc)
{
	struct sdir_info sd;

	if (rc->opts.cache_dir == NULL)
		return;
	sdir_check(rc->opts.cache_dir, &sd);
	if (sd.trust == SDIR_FOREIGN || sd.trust == SDIR_WORLD_WRITABLE) {
		msg_warn("DNS cache off: state_dir %s: owner uid %lu, mode "
		         "%04o",
		    rc->opts.cache_dir, (unsigned long)sd.owner,
		    (unsigned)(sd.mode & 07777));
		rc->opts.cache_dir = NULL;
	}
}

/* mlt_rcpt_resolver - a resolver for one connection */
struct dns *
mlt_rcpt_resolver(struct mlt_rcpt *rc, struct why *why)
{
	struct dns *d = NULL;

	pthread_mutex_lock(&rc->lock);
	if (rc->dns == NULL) {
		mlt_rcpt_cache_check(rc);
		if (dns_open(&rc->opts, &rc->dns, why) != DNS_OK)
			rc->dns = NULL;
	}
	if (rc->dns != NULL)
		d = dns_dup(rc->dns);
	pthread_mutex_unlock(&rc->lock);
	return d;
}

/* mlt_rcpt_probe - is there a server to ask? */
bool
mlt_rcpt_probe(struct mlt_rcpt *rc, struct why *why)
{
	struct dns_opts o = rc->opts;
	struct dns *d;

	why_reset(why);
	o.cache_dir = NULL;
	if (dns_open(&o, &d, why) != DNS_OK)
		return false;
	dns_close(d);
	return true;
}

/* mlt_rcpt_size_arg - SIZE= among the ESMTP parameters of MAIL FROM */
bool
mlt_rcpt_size_arg(char *const *argv, unsigned long long *size)
{
	unsigned long long v;
	const char *p;
	char *end;
	size_t i;

	if (argv == NULL || argv[0] == NULL)
		return false;
	for (i = 1; argv[i] != NULL; i++) {
		if (strncasecmp(argv[i], "SIZE=", 5) != 0)
			continue;
		p = argv[i] + 5;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0 || *end != '\0')
			return false;
		*size = v;
		return true;
	}
	return false;
}

/*
 * mlt_rcpt_domain - the domain to look up into res->domain; false with
 * the reason in res->text when the recipient is not looked up
 */
static bool
mlt_rcpt_domain(const char *rcpt, struct mlt_rcpt_result *res)
{
	char buf[DNS_NAME_MAX + 2], ascii[DNS_NAME_MAX + 2];
	const char *at = strrchr(rcpt, '@'), *err;
	size_t n;

	if (at == NULL) {
		snprintf(res->text, sizeof(res->text), "local address");
		return false;
	}
	n = strlen(at + 1);
	if (n > 0 && at[n] == '>')
		n--;
	if (n > 0 && at[n] == '.')
		n--;
	if (n == 0 || n >= sizeof(buf)) {
		snprintf(res->text, sizeof(res->text), "no domain name");
		return false;
	}
	memcpy(buf, at + 1, n);
	buf[n] = '\0';
	if (buf[0] == '[') {
		snprintf(res->text, sizeof(res->text), "address literal");
		return false;
	}
	/* U-labels: looked up as their A-labels, as delivery does. */
	if (!idn_is_ascii(buf)) {
		if (idn_to_ascii(buf, ascii, sizeof(ascii), &err) == IDN_BAD) {
			snprintf(res->text, sizeof(res->text),
			    "not a valid internationalised domain name: %s",
			    err);
			return false;
		}
		snprintf(buf, sizeof(buf), "%s", ascii);
	}
	if (!dns_name_normalise(buf, res->domain)) {
		res->domain[0] = '\0';
		snprintf(res->text, sizeof(res->text), "not a domain name");
		return false;
	}
	if (strchr(res->domain, '.') == NULL) {
		snprintf(res->text, sizeof(res->text), "unqualified domain");
		return false;
	}
	return true;
}

/*
 * mlt_rcpt_routed - does an override line route domain at $retries 0:
 * at the declared size, and at the smallest and the largest
 */
static bool
mlt_rcpt_routed(const struct ovr_map *map, const char *domain,
    unsigned long long size, bool size_known)
{
	unsigned long long sizes[3] = {0, ULLONG_MAX, size};
	struct ovr_match m;
	size_t i, n = size_known ? 3 : 2, hits;

	if (map == NULL)
		return false;
	for (i = 0; i < n; i++) {
		hits = ovr_map_match(map, domain, sizes[i], 0, NULL, &m);
		ovr_match_fini(&m);
		if (hits > 0)
			return true;
	}
	return false;
}

/* mlt_rcpt_lookup - the MX question of res->domain, within the limit */
static void
mlt_rcpt_lookup(
    struct mlt_rcpt *rc, struct dns *dns, struct mlt_rcpt_result *res)
{
	struct dns_answer ans;
	enum dns_status st;
	struct why why;

	why_reset(&why);
	dns_deadline_set(dns, mono_now_ms() + (long long)rc->limit_ms);
	st = dns_lookup(dns, res->domain, DNS_T_MX, &ans, &why);
	dns_deadline_set(dns, 0);
	res->verdict = MLT_RCPT_ACCEPT;
	if (st == DNS_OK && ans.n == 1 && ans.recs[0].data != NULL &&
	    ans.recs[0].data[0] == '\0') {
		res->verdict = MLT_RCPT_NULLMX;
		res->code = "556";
		res->dsn = "5.1.10";
		snprintf(res->text, sizeof(res->text),
		    "Recipient address rejected: %s: domain does not accept "
		    "mail (null MX, RFC 7505)",
		    res->domain);
	} else if (st == DNS_NXDOMAIN) {
		res->verdict = MLT_RCPT_NXDOMAIN;
		res->code = "550";
		res->dsn = "5.1.2";
		snprintf(res->text, sizeof(res->text),
		    "Recipient address rejected: %s: domain not found "
		    "(NXDOMAIN)",
		    res->domain);
	} else if (st == DNS_OK || st == DNS_NODATA) {
		snprintf(res->text, sizeof(res->text), "%s",
		    st == DNS_OK ? "MX found" : "no MX, the domain exists");
	} else {
		res->dns_failed = true;
		snprintf(res->text, sizeof(res->text), "DNS %s: %.300s",
		    dns_status_str(st), why.text);
	}
	dns_answer_fini(&ans);
}

/* mlt_rcpt_over_smtp - a client address with a port */
bool
mlt_rcpt_over_smtp(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)
		           ->sin_port != 0;
	if (sa->sa_family == AF_INET6)
		return ((const struct sockaddr_in6 *)(const void *)sa)
		           ->sin6_port != 0;
	return false;
}

/* mlt_rcpt_conn_fini - close the connection's resolver */
void
mlt_rcpt_conn_fini(struct mlt_rcpt_conn *conn)
{
	dns_close(conn->dns);
	memset(conn, 0, sizeof(*conn));
}

/* mlt_rcpt_judge - skip, accept or reject one recipient */
void
mlt_rcpt_judge(struct mlt_rcpt *rc, struct mlt_rcpt_conn *conn,
    const struct ovr_map *map, const char *rcpt, unsigned long long size,
    bool size_known, struct mlt_rcpt_result *res)
{
	struct why why;

	memset(res, 0, sizeof(*res));
	res->verdict = MLT_RCPT_SKIP;
	if (!mlt_rcpt_domain(rcpt, res))
		return;
	if (mlt_rcpt_routed(map, res->domain, size, size_known)) {
		snprintf(
		    res->text, sizeof(res->text), "routed by the override map");
		return;
	}
	res->verdict = MLT_RCPT_ACCEPT;
	if (strcmp(conn->failed, res->domain) == 0) {
		res->dns_failed = true;
		snprintf(res->text, sizeof(res->text),
		    "failed before in this connection: %.300s",
		    conn->failed_why);
		return;
	}
	if (conn->dns == NULL) {
		why_reset(&why);
		conn->dns = mlt_rcpt_resolver(rc, &why);
		if (conn->dns == NULL) {
			res->dns_failed = true;
			snprintf(res->text, sizeof(res->text),
			    "no DNS resolver: %.300s", why.text);
			return;
		}
	}
	mlt_rcpt_lookup(rc, conn->dns, res);
	if (res->dns_failed) {
		snprintf(conn->failed, sizeof(conn->failed), "%s", res->domain);
		snprintf(conn->failed_why, sizeof(conn->failed_why), "%s",
		    res->text);
	}
}
