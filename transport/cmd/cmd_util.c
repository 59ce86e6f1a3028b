/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Glue shared by the sub-commands: configuration and map loading. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "diag.h"
#include "msg.h"
#include "sdir.h"

/* cmd_args_one - "[-v] [-c FILE] OPERAND" */
int
cmd_args_one(int argc, char **argv, const char **conf)
{
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			*conf = optarg;
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
	return MSG_EX_OK;
}

/* cmd_route_plan - configuration, map and the route of one operand */
int
cmd_route_plan(const char *name, const char *conf, const char *arg,
    unsigned long long size, unsigned long retries, struct ovr_map **map,
    struct route *r)
{
	const struct cfg *cfg;
	struct rnd rng;
	struct why why;

	*map = NULL;
	if (!route_domain_of(arg, r->domain, sizeof(r->domain))) {
		fprintf(stderr,
		    "smtpdirect: %s: bad address or domain \"%s\"\n", name,
		    arg);
		return MSG_EX_USAGE;
	}
	if (!cmd_cfg_load(conf, NULL))
		return MSG_EX_CONFIG;
	cfg = cfg_get();
	if (!cmd_map_load(cfg, map, &why)) {
		fprintf(stderr, "smtpdirect: %s: %s\n", name, why.text);
		return MSG_EX_CONFIG;
	}
	rnd_init(&rng, 0);
	route_plan(*map, arg, size, retries, cfg->mx_port, &rng, r);
	return MSG_EX_OK;
}

/* cmd_cfg_load - load and publish the configuration, or say why not */
bool
cmd_cfg_load(const char *explicit_path, struct why *why)
{
	struct diag_list *dl = diag_list_new();
	const struct diag *d;
	enum cfg_status st;
	char buf[WHY_TEXT_MAX];

	st = cfg_load(explicit_path, dl);
	if (why == NULL && (st != CFG_OK || diag_count(dl) > 0))
		diag_print(dl, stderr);
	if (why != NULL && st != CFG_OK) {
		d = diag_first_error(dl);
		if (d != NULL)
			diag_format(d, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf),
			    "cannot read the "
			    "configuration");
		why_set(why, "4.3.5", "bad configuration: %s", buf);
	}
	diag_list_free(dl);
	return st == CFG_OK;
}

/* cmd_map_load - the configured override map */
bool
cmd_map_load(const struct cfg *cfg, struct ovr_map **out, struct why *why)
{
	struct diag_list *dl = diag_list_new();
	const struct diag *d;
	struct sdir_info sd;
	bool missing_ok;
	char buf[WHY_TEXT_MAX];

	/* A missing default map means none, as a missing default config. */
	missing_ok = cfg->dns_overrides != NULL &&
	    strcmp(cfg->dns_overrides, cfg_table_find("dns_overrides")->def) ==
	        0;
	/* The compiled map only in a state_dir no other user may write:
	 * anyone who can replace it could reroute the mail. */
	if (ovr_map_load_conf(cfg->dns_overrides, missing_ok, false,
	        sdir_keeper_ok(sdir_check(cfg->state_dir, &sd)) ? cfg->state_dir
	                                                        : NULL,
	        out, dl) == OVR_OK) {
		diag_list_free(dl);
		return true;
	}
	d = diag_first_error(dl);
	if (d != NULL) {
		diag_format(d, buf, sizeof(buf));
		why_set(why, "4.3.5", "bad override map: %s", buf);
	} else {
		why_set(why, "4.3.5", "cannot load override map %s",
		    cfg->dns_overrides);
	}
	diag_list_free(dl);
	return false;
}

/* cmd_dns_family - the resolver's family setting for a cfg one */
static enum dns_family
cmd_dns_family(enum cfg_family f)
{
	if (f == CFG_FAMILY_IPV4)
		return DNS_FAMILY_IPV4;
	return f == CFG_FAMILY_IPV6 ? DNS_FAMILY_IPV6 : DNS_FAMILY_ANY;
}

/* cmd_dns_prefer - the resolver's preference for a cfg family */
static enum dns_prefer
cmd_dns_prefer(enum cfg_family f)
{
	if (f == CFG_FAMILY_IPV4)
		return DNS_PREFER_IPV4;
	return f == CFG_FAMILY_IPV6 ? DNS_PREFER_IPV6 : DNS_PREFER_ANY;
}

/* cmd_dns_opts - resolver options from the configuration */
void
cmd_dns_opts(const struct cfg *cfg, const struct sdir_info *sd,
    struct dns_server *servers, struct dns_opts *opts)
{
	size_t i;

	memset(opts, 0, sizeof(*opts));
	for (i = 0; i < cfg->dns_servers_n && i < DNS_SERVERS_MAX; i++) {
		snprintf(servers[i].addr, sizeof(servers[i].addr), "%s",
		    cfg->dns_servers[i].addr);
		servers[i].port = cfg->dns_servers[i].port;
	}
	opts->servers = servers;
	opts->servers_n = i;
	opts->timeout_ms = (unsigned)cfg->dns_timeout * 1000;
	opts->tries = (unsigned)cfg->dns_tries;
	opts->cache_dir = cfg->state_dir;
	opts->cache_size = cfg->dns_cache_size;
	/* Another user's state_dir (root running route): no cache, so that
	 * no file there ends up owned by the wrong user; nor in one that
	 * every user may write, where anybody could forge answers. */
	if (sd->trust == SDIR_FOREIGN || sd->trust == SDIR_WORLD_WRITABLE) {
		msg_debug("DNS cache off: state_dir %s: owner uid %lu, "
		          "mode %04o",
		    cfg->state_dir, (unsigned long)sd->owner,
		    (unsigned)(sd->mode & 07777));
		opts->cache_dir = NULL;
	}
	opts->family = cmd_dns_family(cfg->dns_address_family);
	opts->prefer = cmd_dns_prefer(cfg->dns_address_preference);
}

/* cmd_sts_new - the MTA-STS context of the configuration, or NULL */
struct sts *
cmd_sts_new(const struct cfg *cfg, const struct sdir_info *sd)
{
	struct sts_opts o;

	if (!cfg->mta_sts)
		return NULL;
	memset(&o, 0, sizeof(o));
	/* As the DNS cache: not in another user's or everybody's state_dir. */
	o.state_dir = sd->trust == SDIR_FOREIGN ||
	        sd->trust == SDIR_WORLD_WRITABLE || sd->trust == SDIR_BAD
	    ? NULL
	    : cfg->state_dir;
	o.ca_file = cfg->tls_ca_file;
	o.timeout_ms = cfg->mta_sts_fetch_timeout * 1000;
	return sts_new(&o);
}
