/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect resolve: show the MX set the resolver gives for a domain. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cmd.h"
#include "dns.h"
#include "msg.h"
#include "sbuf.h"

/* cmd_resolve_exit - exit status of a lookup (SPEC section 2) */
static int
cmd_resolve_exit(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return MSG_EX_OK;
	case DNS_NXDOMAIN:
	case DNS_NULLMX:
	case DNS_NODATA:
		return MSG_EX_NOHOST;
	case DNS_BADNAME:
		return MSG_EX_USAGE;
	default:
		return MSG_EX_TEMPFAIL;
	}
}

/* cmd_resolve - parse arguments, look the MX set up, print it */
int
cmd_resolve(int argc, char **argv)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	const char *conf = NULL, *domain, *at;
	struct dns_opts opts;
	struct dns_mxset set;
	struct sdir_info sd;
	struct dns *dns;
	struct sbuf out;
	struct why why;
	enum dns_status st;
	int rc;

	if ((rc = cmd_args_one(argc, argv, &conf)) != MSG_EX_OK)
		return rc;
	/* An address is welcome too: its domain is what is resolved. */
	domain = argv[optind];
	if ((at = strrchr(domain, '@')) != NULL)
		domain = at + 1;
	if (!cmd_cfg_load(conf, NULL))
		return MSG_EX_CONFIG;
	(void)sdir_check(cfg_get()->state_dir, &sd);
	cmd_dns_opts(cfg_get(), &sd, servers, &opts);
	why_reset(&why);
	if (dns_open(&opts, &dns, &why) != DNS_OK) {
		fprintf(stderr, "%s %s\n", why.dsn, why.text);
		return MSG_EX_TEMPFAIL;
	}
	msg_debug("cache %s, %zu servers", dns_has_cache(dns) ? "on" : "off",
	    opts.servers_n);
	st = dns_mx_lookup(dns, domain, &set, &why);
	sbuf_init(&out);
	if (st == DNS_OK)
		dns_mxset_format(&set, &out);
	fputs(sbuf_str(&out), stdout);
	if (st != DNS_OK)
		fprintf(stderr, "%s %s\n", why.dsn, why.text);
	msg_debug("%lu queries sent", dns_queries_sent(dns));
	sbuf_fini(&out);
	dns_mxset_fini(&set);
	dns_close(dns);
	return cmd_resolve_exit(st);
}
