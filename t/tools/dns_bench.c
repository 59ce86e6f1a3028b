/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * dns_bench - time resolver lookups for t/bench/dns.sh
 *
 *   dns_bench mx     -s SERVER [-d DIR -n SIZE] [-N RUNS] DOMAIN
 *   dns_bench single -s SERVER [-d DIR -n SIZE] [-N RUNS] NAME
 *   dns_bench fill   -d DIR -n SIZE [-N RUNS]
 *
 * mx: dns_mx_lookup(DOMAIN) (IPv4 only, so MX + A); single: one
 * dns_lookup(NAME, A). With -d and -n the cache is warmed first, so
 * every timed lookup is a hit; without, every lookup asks SERVER. fill:
 * put SIZE entries straight into a new cache, then time RUNS hits on
 * random entries, hot ones (the newest 1000) and random ones. Prints
 * "median_us=M p90_us=P per_s=R" lines (and the file size for fill).
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"
#include "msg.h"
#include "rnd.h"

/* bench_ns - CLOCK_MONOTONIC in nanoseconds */
static long long
bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* bench_cmp - order durations */
static int
bench_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* bench_report - median, 90th percentile and rate of n durations */
static void
bench_report(const char *label, long long *t, size_t n)
{
	long long total = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += t[i];
	qsort(t, n, sizeof(*t), bench_cmp);
	printf("%s median_us=%.2f p90_us=%.2f per_s=%.0f\n", label,
	    t[n / 2] / 1000.0, t[n * 9 / 10] / 1000.0,
	    total > 0 ? n * 1e9 / (double)total : 0.0);
}

/* bench_lookups - time runs lookups of name (mx or single A) */
static void
bench_lookups(struct dns *dns, bool mx, const char *name, size_t runs)
{
	long long *t = calloc(runs, sizeof(*t)), t0;
	struct dns_mxset set;
	struct dns_answer ans;
	struct why why;
	size_t i;

	if (t == NULL)
		msg_fatal("out of memory");
	for (i = 0; i < runs + 1; i++) {
		t0 = bench_ns();
		if (mx) {
			if (dns_mx_lookup(dns, name, &set, &why) != DNS_OK)
				msg_fatal("%s", why.text);
			dns_mxset_fini(&set);
		} else {
			if (dns_lookup(dns, name, DNS_T_A, &ans, &why) !=
			    DNS_OK)
				msg_fatal("%s", why.text);
			dns_answer_fini(&ans);
		}
		/* The first run warms the cache (or the server's). */
		if (i > 0)
			t[i - 1] = bench_ns() - t0;
	}
	bench_report(mx ? "mx" : "single", t, runs);
	printf("queries=%lu\n", dns_queries_sent(dns));
	free(t);
}

/* bench_fill - a cache of size entries; hits on hot and random ones */
static void
bench_fill(const char *dir, size_t size, size_t runs)
{
	struct dns_cache *c;
	struct dns_answer ans, got;
	long long *t = calloc(runs, sizeof(*t)), t0;
	unsigned char a4[4] = {192, 0, 2, 1};
	char name[64], path[512];
	struct stat sb;
	struct why why;
	struct rnd r;
	time_t now = time(NULL);
	size_t i, k, hot;

	if (t == NULL || (c = dns_cache_open(dir, size, &why)) == NULL)
		msg_fatal("cache: %s", why.text);
	dns_answer_init(&ans, DNS_T_A);
	ans.status = DNS_OK;
	ans.ttl = 86400;
	dns_answer_add(&ans, a4, 4);
	t0 = bench_ns();
	for (i = 0; i < size; i++) {
		snprintf(name, sizeof(name), "host%07zu.example.com", i);
		snprintf(ans.name, sizeof(ans.name), "%s", name);
		dns_cache_put(c, name, DNS_T_A, &ans, now);
	}
	printf("fill entries=%zu seconds=%.2f\n", dns_cache_count(c),
	    (bench_ns() - t0) / 1e9);
	rnd_init(&r, 42);
	for (k = 0; k < 2; k++) {
		hot = k == 0 ? (size < 1000 ? size : 1000) : size;
		for (i = 0; i < runs; i++) {
			snprintf(name, sizeof(name), "host%07zu.example.com",
			    size - 1 - rnd_below(&r, hot));
			t0 = bench_ns();
			if (!dns_cache_get(c, name, DNS_T_A, now, &got))
				msg_fatal("miss on %s", name);
			t[i] = bench_ns() - t0;
			dns_answer_fini(&got);
		}
		bench_report(k == 0 ? "hit_hot" : "hit_random", t, runs);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, DNS_CACHE_FILE);
	if (stat(path, &sb) == 0)
		printf("file_bytes=%lld\n", (long long)sb.st_size);
	dns_answer_fini(&ans);
	dns_cache_close(c);
	free(t);
}

/* main - parse and run */
int
main(int argc, char **argv)
{
	struct dns_server server = {"", 53};
	struct dns_opts opts = {.family = DNS_FAMILY_IPV4};
	struct dns *dns;
	struct why why;
	size_t runs = 10000;
	const char *mode, *colon;
	int c;

	msg_init("dns_bench", MSG_TO_STDERR);
	if (argc < 2)
		msg_fatal_status(64, "usage: dns_bench mx|single|fill ...");
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "d:n:N:s:")) != -1) {
		switch (c) {
		case 'd':
			opts.cache_dir = optarg;
			break;
		case 'n':
			opts.cache_size = strtoul(optarg, NULL, 10);
			break;
		case 'N':
			runs = strtoul(optarg, NULL, 10);
			break;
		case 's':
			colon = strchr(optarg, ':');
			snprintf(server.addr, sizeof(server.addr), "%.*s",
			    colon ? (int)(colon - optarg) : (int)strlen(optarg),
			    optarg);
			server.port = colon ? (unsigned)atoi(colon + 1) : 53;
			opts.servers = &server;
			opts.servers_n = 1;
			break;
		default:
			return 64;
		}
	}
	if (runs == 0)
		msg_fatal_status(64, "-N must be positive");
	if (strcmp(mode, "fill") == 0) {
		bench_fill(opts.cache_dir, opts.cache_size, runs);
		return 0;
	}
	if (optind >= argc || opts.servers_n == 0)
		msg_fatal_status(64, "a server and a name are needed");
	opts.timeout_ms = 2000;
	if (dns_open(&opts, &dns, &why) != DNS_OK)
		msg_fatal("%s", why.text);
	bench_lookups(dns, strcmp(mode, "mx") == 0, argv[optind], runs);
	dns_close(dns);
	return 0;
}
