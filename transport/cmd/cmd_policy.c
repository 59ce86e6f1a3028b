/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtpdirect policy: the MTA-STS policy in force for a domain, where it
 * came from, when it expires, and what deliver would do at each MX host.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver_resolve.h"
#include "msg.h"
#include "route.h"
#include "xalloc.h"

/* cmd_policy_time - a time as "2026-01-02 03:04:05 UTC" */
static const char *
cmd_policy_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/* cmd_policy_print - the answer of sts_get() */
static void
cmd_policy_print(const char *domain, const struct sts_lookup *l, time_t now)
{
	char t1[64], t2[64];
	size_t i;

	printf("domain: %s\n", domain);
	printf("record: %s\n",
	    l->announced ? "_mta-sts TXT announces a policy"
	                 : "no valid _mta-sts TXT record");
	if (l->source == STS_SRC_NONE) {
		printf("policy: none\n");
	} else {
		printf("policy: id %s, mode %s, max_age %lu\n", l->id,
		    sts_mode_name(l->policy.mode), l->policy.max_age);
		for (i = 0; i < l->policy.mx_n; i++)
			printf("  mx: %s\n", l->policy.mx[i]);
		printf("source: %s, fetched %s, expires %s (in %lld s)\n",
		    sts_source_name(l->source),
		    cmd_policy_time(l->fetched, t1, sizeof(t1)),
		    cmd_policy_time(l->expires, t2, sizeof(t2)),
		    (long long)(l->expires - now));
	}
	if (l->fetch != STS_FETCH_NONE && l->fetch != STS_FETCH_OK)
		printf("fetch: %s: %s\n", sts_fetch_name(l->fetch),
		    l->fetch_why.text);
}

/* cmd_policy_hosts - what deliver would do at each MX address */
static void
cmd_policy_hosts(
    const struct cfg *cfg, struct deliver_resolver *res, const struct route *r)
{
	struct deliver_target *t = xcalloc(DELIVER_HOSTS_MAX, sizeof(*t));
	struct deliver_ctx ctx;
	char what[WHY_TEXT_MAX];
	struct why why;
	enum sd_status st;
	size_t i, n = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.tls_policy = cfg->tls_policy;
	ctx.tlsa = deliver_resolve_tlsa;
	ctx.resolve_ctx = res;
	why_reset(&why);
	st = deliver_resolve(res, r, t, DELIVER_HOSTS_MAX, &n, &why);
	if (st != SD_OK) {
		printf("deliver: would %s: %s %s\n",
		    st == SD_PERM ? "bounce" : "defer", why.dsn, why.text);
		n = 0;
	} else {
		printf("deliver, in the order tried:\n");
	}
	for (i = 0; i < n; i++) {
		why_reset(&why);
		if (deliver_tls_explain(
		        &ctx, &t[i], r->domain, what, sizeof(what), &why))
			printf("  %s[%s]:%u: %s\n", t[i].host, t[i].addr,
			    t[i].port, what);
		else
			printf("  %s[%s]:%u: not tried: %s %s\n", t[i].host,
			    t[i].addr, t[i].port, why.dsn, why.text);
	}
	free(t);
}

/* cmd_policy_run - route the domain, look its policy up, explain */
static int
cmd_policy_run(const struct cfg *cfg, const struct route *r)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	struct deliver_resolver res;
	struct dns_opts opts;
	struct sdir_info sd;
	struct sts_lookup l;
	struct dns *dns;
	struct why why;
	time_t now = time(NULL);

	(void)sdir_check(cfg->state_dir, &sd);
	cmd_dns_opts(cfg, &sd, servers, &opts);
	deliver_resolver_init(&res, &opts, 0);
	res.sts = cmd_sts_new(cfg, &sd);
	if (res.sts == NULL)
		printf("mta_sts = no: no policy is looked up\n");
	if (r->kind != ROUTE_MX)
		printf("route: override line %lu: MTA-STS does not apply to "
		       "it\n",
		    r->hops[0].rule->line);
	if (res.sts != NULL && r->kind == ROUTE_MX && r->domain[0] != '[') {
		why_reset(&why);
		if (dns_open(&opts, &dns, &why) != DNS_OK) {
			fprintf(stderr, "%s %s\n", why.dsn, why.text);
			deliver_resolver_fini(&res);
			sts_free(res.sts);
			return MSG_EX_TEMPFAIL;
		}
		sts_get(res.sts, dns, r->domain, now, 0, &l);
		if (l.queued) {
			/* As deliver would once a message is done. */
			printf("refetch: due, made now\n");
			sts_refresh(res.sts, dns, now, 0);
			sts_get(res.sts, dns, r->domain, now, 0, &l);
		}
		cmd_policy_print(r->domain, &l, now);
		dns_close(dns);
	}
	cmd_policy_hosts(cfg, &res, r);
	deliver_resolver_fini(&res);
	sts_free(res.sts);
	return MSG_EX_OK;
}

/* cmd_policy - smtpdirect policy [-v] [-c FILE] DOMAIN */
int
cmd_policy(int argc, char **argv)
{
	const char *conf = NULL;
	struct ovr_map *map = NULL;
	struct route r;
	int rc;

	if ((rc = cmd_args_one(argc, argv, &conf)) != MSG_EX_OK)
		return rc;
	rc = cmd_route_plan("policy", conf, argv[optind], 0, 0, &map, &r);
	if (rc != MSG_EX_OK)
		return rc;
	rc = cmd_policy_run(cfg_get(), &r);
	route_fini(&r);
	ovr_map_free(map);
	return rc;
}
