/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect route: explain a route; answer Exim's and Postfix's lookups. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver_resolve.h"
#include "msg.h"
#include "ovr.h"
#include "route.h"
#include "sbuf.h"
#include "xalloc.h"

/* Output formats of -o. */
enum route_fmt {
	ROUTE_FMT_TEXT, /* explanation for people */
	ROUTE_FMT_EXIM, /* queryprogram router line */
	ROUTE_FMT_POSTFIX /* transport_maps result */
};

static void cmd_route_text(const struct cfg *cfg, const struct ovr_map *map,
    const char *arg, unsigned long long size, unsigned long retries,
    const struct route *r);
static void cmd_route_addrs(const struct cfg *cfg, const struct route *r);
static void cmd_route_exim(const struct route *r);
static void cmd_route_postfix(const struct route *r);
static void cmd_route_hostport(
    struct sbuf *sb, const struct route_hop *h, const char *colon);

/* cmd_route_hostport - host:port with IPv6 in brackets */
static void
cmd_route_hostport(
    struct sbuf *sb, const struct route_hop *h, const char *colon)
{
	if (h->kind == OVR_HOST_IP6)
		sbuf_printf(sb, "[%s]%s%u", h->host, colon, h->port);
	else
		sbuf_printf(sb, "%s%s%u", h->host, colon, h->port);
}

/* cmd_route_text - the explanation */
static void
cmd_route_text(const struct cfg *cfg, const struct ovr_map *map,
    const char *arg, unsigned long long size, unsigned long retries,
    const struct route *r)
{
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb);
	printf("address: %s\n", arg);
	printf("domain: %s\n", r->domain);
	printf("size: %llu bytes\n", size);
	printf("retries: %lu\n", retries);
	if (map != NULL)
		printf("overrides: %s (%zu rules)\n", ovr_map_name(map),
		    ovr_map_count(map));
	else
		printf("overrides: none\n");
	if (r->match.n == 0)
		printf("matching lines: none\n");
	for (i = 0; i < r->match.n; i++) {
		sbuf_reset(&sb);
		ovr_rule_format(r->match.lines[i], &sb);
		printf("matching line %lu: %s\n", r->match.lines[i]->line,
		    sbuf_str(&sb));
	}
	if (r->match.ended)
		printf("$end on line %lu: later lines not read\n",
		    r->match.lines[r->match.n - 1]->line);
	if (r->kind == ROUTE_MX) {
		printf("route: no override matches; the MX records of %s "
		       "will be looked up (port %u, tls %s)\n",
		    r->domain, r->mx_port, cfg_tls_name(cfg->tls_policy));
		sbuf_fini(&sb);
		cmd_route_addrs(cfg, r);
		return;
	}
	printf("route: override, %zu host%s in the order tried\n", r->n,
	    r->n == 1 ? "" : "s");
	for (i = 0; i < r->n; i++) {
		const struct route_hop *h = &r->hops[i];
		enum cfg_tls tls =
		    h->rule->has_tls ? h->rule->tls : cfg->tls_policy;

		sbuf_reset(&sb);
		cmd_route_hostport(&sb, h, ":");
		printf("  %zu. %s priority %u, tls %s, credentials: %s, "
		       "line %lu\n",
		    i + 1, sbuf_str(&sb), h->priority, cfg_tls_name(tls),
		    h->rule->target.user ? "yes" : "no", h->rule->line);
	}
	sbuf_fini(&sb);
	cmd_route_addrs(cfg, r);
}

/* cmd_route_addrs - the addresses deliver would try, through the resolver */
static void
cmd_route_addrs(const struct cfg *cfg, const struct route *r)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	struct deliver_target *t;
	struct deliver_resolver res;
	struct dns_opts opts;
	struct sdir_info sd;
	struct why why;
	enum sd_status st;
	size_t i, n = 0;

	(void)sdir_check(cfg->state_dir, &sd);
	cmd_dns_opts(cfg, &sd, servers, &opts);
	deliver_resolver_init(&res, &opts, 0);
	t = xcalloc(DELIVER_HOSTS_MAX, sizeof(*t));
	why_reset(&why);
	st = deliver_resolve(&res, r, t, DELIVER_HOSTS_MAX, &n, &why);
	if (st != SD_OK)
		printf("addresses: none; deliver would %s: %s %s\n",
		    st == SD_PERM ? "bounce" : "defer", why.dsn, why.text);
	else
		printf("addresses, in the order tried:\n");
	for (i = 0; st == SD_OK && i < n; i++)
		printf("  %zu. %s[%s]:%u\n", i + 1, t[i].host, t[i].addr,
		    t[i].port);
	free(t);
	deliver_resolver_fini(&res);
}

/*
 * cmd_route_exim - Exim queryprogram: "ACCEPT HOSTS=... LOOKUP=byname"
 * or DECLINE so that Exim's next router does the MX lookup. The list
 * uses ";" as separator (Exim's "<;" prefix) so IPv6 and ports are safe.
 */
static void
cmd_route_exim(const struct route *r)
{
	struct sbuf sb;
	size_t i;

	if (r->kind == ROUTE_MX) {
		printf("DECLINE\n");
		return;
	}
	sbuf_init(&sb);
	sbuf_puts(&sb, "ACCEPT HOSTS=<;");
	for (i = 0; i < r->n; i++) {
		if (i > 0)
			sbuf_putc(&sb, ';');
		cmd_route_hostport(&sb, &r->hops[i], ":");
	}
	sbuf_puts(&sb, " LOOKUP=byname");
	printf("%s\n", sbuf_str(&sb));
	sbuf_fini(&sb);
}

/* cmd_route_postfix - transport_maps style "smtp:[host]:port" */
static void
cmd_route_postfix(const struct route *r)
{
	const struct route_hop *h;

	if (r->kind == ROUTE_MX || r->n == 0)
		return;
	/* Postfix takes one next-hop per transport_maps result. */
	h = &r->hops[0];
	printf("smtp:[%s]:%u\n", h->host, h->port);
}

/* cmd_route - smtpdirect route [-c F] [-s SIZE] [-r N] [-o FMT] ADDRESS */
int
cmd_route(int argc, char **argv)
{
	const char *conf = NULL;
	unsigned long long size = 0;
	unsigned long retries = 0;
	enum route_fmt fmt = ROUTE_FMT_TEXT;
	const struct cfg *cfg;
	struct ovr_map *map = NULL;
	struct route r;
	int ch, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:s:r:o:v")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			if (!ovr_size_parse(optarg, &size)) {
				fprintf(stderr,
				    "smtpdirect: route: bad size "
				    "\"%s\"\n",
				    optarg);
				return MSG_EX_USAGE;
			}
			break;
		case 'r':
			if (!deliver_args_count(optarg, &retries)) {
				fprintf(stderr,
				    "smtpdirect: route: bad retry "
				    "count \"%s\"\n",
				    optarg);
				return MSG_EX_USAGE;
			}
			break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				fmt = ROUTE_FMT_TEXT;
			else if (strcmp(optarg, "exim") == 0)
				fmt = ROUTE_FMT_EXIM;
			else if (strcmp(optarg, "postfix") == 0)
				fmt = ROUTE_FMT_POSTFIX;
			else {
				fprintf(stderr,
				    "smtpdirect: route: unknown "
				    "output format \"%s\"\n",
				    optarg);
				return MSG_EX_USAGE;
			}
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			cmd_usage_print(stderr);
			return MSG_EX_USAGE;
		}
	}
	if (argc - optind != 1) {
		cmd_usage_print(stderr);
		return MSG_EX_USAGE;
	}
	rc = cmd_route_plan(
	    "route", conf, argv[optind], size, retries, &map, &r);
	if (rc != MSG_EX_OK)
		return rc;
	cfg = cfg_get();
	if (fmt == ROUTE_FMT_EXIM)
		cmd_route_exim(&r);
	else if (fmt == ROUTE_FMT_POSTFIX)
		cmd_route_postfix(&r);
	else
		cmd_route_text(cfg, map, argv[optind], size, retries, &r);
	route_fini(&r);
	ovr_map_free(map);
	return MSG_EX_OK;
}
