/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * dns_resolve - drive the dns module without a configuration file, for
 * the integration tests:
 *
 *   dns_resolve [-v] [-s ADDR[:PORT]]... [-t MS] [-r TRIES] [-d DIR]
 *               [-n SIZE] [-N NEGMAX] [-4|-6] [-p any|ipv4|ipv6] [-S SEED]
 *               [-q TYPE | -T PORT | -H] NAME...
 *
 * Default: the MX set of each NAME (as smtpdirect resolve prints it);
 * -q TYPE: a plain lookup (A, AAAA, MX, CNAME, TLSA); -T PORT: TLSA at
 * _PORT._tcp.NAME; -H: addresses of a host. -c prints the queries sent
 * at the end ("queries N"). Exit 0 found, 75 temporary, 68 permanent.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "msg.h"
#include "sbuf.h"

/* tool_server - parse ADDR, ADDR:PORT or [V6]:PORT */
static void
tool_server(const char *arg, struct dns_server *s)
{
	const char *colon = strrchr(arg, ':');
	size_t len = strlen(arg);

	s->port = 53;
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (end == NULL)
			msg_fatal_status(64, "bad server %s", arg);
		len = (size_t)(end - arg - 1);
		arg++;
		if (end[1] == ':')
			s->port = (unsigned)atoi(end + 2);
	} else if (colon != NULL && strchr(arg, ':') == colon) {
		len = (size_t)(colon - arg);
		s->port = (unsigned)atoi(colon + 1);
	}
	if (len >= sizeof(s->addr))
		msg_fatal_status(64, "bad server %s", arg);
	memcpy(s->addr, arg, len);
	s->addr[len] = '\0';
}

/* tool_type - a type name */
static unsigned
tool_type(const char *s)
{
	if (strcasecmp(s, "A") == 0)
		return DNS_T_A;
	if (strcasecmp(s, "AAAA") == 0)
		return DNS_T_AAAA;
	if (strcasecmp(s, "MX") == 0)
		return DNS_T_MX;
	if (strcasecmp(s, "CNAME") == 0)
		return DNS_T_CNAME;
	if (strcasecmp(s, "TLSA") == 0)
		return DNS_T_TLSA;
	msg_fatal_status(64, "unknown type %s", s);
}

/* tool_exit - exit status of a lookup */
static int
tool_exit(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return 0;
	case DNS_TEMP:
		return 75;
	case DNS_BADNAME:
		return 64;
	default:
		return 68;
	}
}

/* main - look each name up */
int
main(int argc, char **argv)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	struct dns_opts opts = {.servers = servers};
	struct dns *dns;
	struct sbuf out;
	struct why why;
	unsigned type = 0, tlsa_port = 0;
	int c, i, rc = 0, hosts = 0, count = 0;

	msg_init("dns_resolve", MSG_TO_STDERR);
	while ((c = getopt(argc, argv, "46cd:Hn:N:p:q:r:s:S:t:T:v")) != -1) {
		switch (c) {
		case '4':
			opts.family = DNS_FAMILY_IPV4;
			break;
		case '6':
			opts.family = DNS_FAMILY_IPV6;
			break;
		case 'c':
			count = 1;
			break;
		case 'd':
			opts.cache_dir = optarg;
			break;
		case 'H':
			hosts = 1;
			break;
		case 'n':
			opts.cache_size = strtoul(optarg, NULL, 10);
			break;
		case 'N':
			opts.neg_ttl_max = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			opts.prefer = strcmp(optarg, "ipv4") == 0
			    ? DNS_PREFER_IPV4
			    : strcmp(optarg, "ipv6") == 0 ? DNS_PREFER_IPV6
			                                  : DNS_PREFER_ANY;
			break;
		case 'q':
			type = tool_type(optarg);
			break;
		case 'r':
			opts.tries = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			if (opts.servers_n == DNS_SERVERS_MAX)
				msg_fatal_status(64, "too many servers");
			tool_server(optarg, &servers[opts.servers_n++]);
			break;
		case 'S':
			opts.seed = strtoull(optarg, NULL, 10);
			break;
		case 't':
			opts.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'T':
			tlsa_port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			return 64;
		}
	}
	if (optind >= argc)
		msg_fatal_status(64, "usage: dns_resolve [options] NAME...");
	if (dns_open(&opts, &dns, &why) != DNS_OK)
		msg_fatal_status(75, "%s", why.text);
	sbuf_init(&out);
	for (i = optind; i < argc; i++) {
		enum dns_status st;
		struct dns_answer ans;
		struct dns_mxset set;
		struct dns_host host;

		why_reset(&why);
		sbuf_reset(&out);
		if (type != 0 || tlsa_port != 0) {
			st = tlsa_port
			    ? dns_tlsa_lookup(
			          dns, argv[i], tlsa_port, &ans, &why)
			    : dns_lookup(dns, argv[i], type, &ans, &why);
			dns_answer_format(&ans, &out);
			dns_answer_fini(&ans);
		} else if (hosts) {
			st = dns_host_lookup(dns, argv[i], &host, &why);
			sbuf_printf(&out, "%s: %s, %zu addresses\n", host.name,
			    dns_status_str(st), host.addrs_n);
			dns_host_fini(&host);
		} else {
			st = dns_mx_lookup(dns, argv[i], &set, &why);
			if (st == DNS_OK)
				dns_mxset_format(&set, &out);
			dns_mxset_fini(&set);
		}
		fputs(sbuf_str(&out), stdout);
		if (st != DNS_OK)
			printf("%s: %s %s\n", argv[i], why.dsn, why.text);
		if (tool_exit(st) > rc)
			rc = tool_exit(st);
	}
	if (count)
		printf("queries %lu\n", dns_queries_sent(dns));
	sbuf_fini(&out);
	dns_close(dns);
	return rc;
}
