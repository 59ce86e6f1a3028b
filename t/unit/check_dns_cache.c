/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the shared DNS cache, with an injected clock. */

#include <sys/wait.h>

#include <pthread.h>

#include "dns_canned.h"

#include "state.h"

static const struct canned t_zone[] = {
    {"a.test", DNS_T_A, 0, 0, 0,
        "a.test. 300 IN A 192.0.2.1|a.test. 200 IN A 192.0.2.2", NULL},
    {"b.test", DNS_T_A, 0, 0, 0, "b.test. 300 IN A 192.0.2.3", NULL},
    {"nx.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL,
        "test. 30 IN SOA ns.test. h.test. 1 1 1 1 120"},
    {"nodata.test", 0, 0, 0, 0, NULL,
        "test. 3600 IN SOA ns.test. h.test. 1 1 1 1 45"},
    {"nxnosoa.test", 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, NULL},
    {"zero.test", 0, 0, 0, 0, "zero.test. 0 IN A 192.0.2.4", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static char *t_dir;
static time_t t_now;

/* t_clock - the injected clock */
static time_t
t_clock(void *arg)
{
	(void)arg;
	return t_now;
}

/* t_setup - a private state_dir and a fixed time */
static void
t_setup(void)
{
	t_dir = unit_tmpdir();
	t_now = 1000000;
}

/* t_teardown - remove it */
static void
t_teardown(void)
{
	unit_rmtree(t_dir);
	free(t_dir);
}

/* t_open - a caching resolver on the canned zone */
static struct dns *
t_open(struct canned_ctx *cx, size_t size)
{
	struct dns_opts o = {
	    .cache_dir = t_dir, .cache_size = size, .clock = t_clock};

	return canned_open(cx, t_zone, &o);
}

/* t_look - look name/A up; the status, *cached set from the answer */
static enum dns_status
t_look(struct dns *dns, const char *name, bool *cached, uint32_t *ttl)
{
	struct dns_answer ans;
	struct why why;
	enum dns_status st = dns_lookup(dns, name, DNS_T_A, &ans, &why);

	*cached = ans.from_cache;
	if (ttl != NULL)
		*ttl = ans.ttl;
	dns_answer_fini(&ans);
	return st;
}

START_TEST(test_dns_cache_get_hits_after_lookup)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 10);
	struct dns_answer ans;
	struct why why;
	bool cached;

	ck_assert(dns_has_cache(dns));
	ck_assert_int_eq(t_look(dns, "a.test", &cached, NULL), DNS_OK);
	ck_assert(!cached);
	t_now += 50;
	ck_assert_int_eq(
	    dns_lookup(dns, "A.TEST.", DNS_T_A, &ans, &why), DNS_OK);
	ck_assert(ans.from_cache);
	ck_assert_uint_eq(ans.n, 2);
	ck_assert_uint_eq(ans.ttl, 150);
	ck_assert_str_eq(ans.name, "a.test");
	ck_assert_uint_eq(cx.udp, 1);
	dns_answer_fini(&ans);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_expires_at_ttl)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 10);
	uint32_t ttl;
	bool cached;

	t_look(dns, "a.test", &cached, NULL);
	t_now += 199;
	ck_assert_int_eq(t_look(dns, "a.test", &cached, &ttl), DNS_OK);
	ck_assert(cached);
	ck_assert_uint_eq(ttl, 1);
	t_now += 1;
	ck_assert_int_eq(t_look(dns, "a.test", &cached, &ttl), DNS_OK);
	ck_assert(!cached);
	ck_assert_uint_eq(cx.udp, 2);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_put_evicts_least_recently_used)
{
	struct why why;
	struct dns_answer ans, got;
	struct dns_cache *c = dns_cache_open(t_dir, 3, &why);
	const char *names[] = {"a.test", "b.test", "c.test", "d.test"};
	size_t i;

	ck_assert_ptr_nonnull(c);
	dns_answer_init(&ans, DNS_T_A);
	ans.status = DNS_OK;
	ans.ttl = 600;
	dns_answer_add(&ans, "\xc0\x00\x02\x01", 4);
	for (i = 0; i < 3; i++)
		dns_cache_put(c, names[i], DNS_T_A, &ans, t_now);
	/* Using a.test makes b.test the least recently used. */
	ck_assert(dns_cache_get(c, "a.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	dns_cache_put(c, names[3], DNS_T_A, &ans, t_now);
	ck_assert_uint_eq(dns_cache_count(c), 3);
	ck_assert(!dns_cache_get(c, "b.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		ck_assert_msg(dns_cache_get(c, names[i], DNS_T_A, t_now, &got),
		    "%s evicted", names[i]);
		dns_answer_fini(&got);
	}
	dns_answer_fini(&ans);
	dns_cache_close(c);
}
END_TEST

START_TEST(test_dns_cache_close_writes_uses)
{
	struct why why;
	struct dns_answer ans, got;
	struct dns_cache *c = dns_cache_open(t_dir, 3, &why);
	const char *names[] = {"a.test", "b.test", "c.test", "d.test"};
	size_t i;

	dns_answer_init(&ans, DNS_T_A);
	ans.status = DNS_NODATA;
	ans.ttl = 600;
	for (i = 0; i < 3; i++)
		dns_cache_put(c, names[i], DNS_T_A, &ans, t_now);
	dns_cache_close(c);
	/* A hit in one process, written when it closes its cache... */
	c = dns_cache_open(t_dir, 3, &why);
	ck_assert(dns_cache_get(c, "a.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	dns_cache_close(c);
	/* ...decides what the next process evicts. */
	c = dns_cache_open(t_dir, 3, &why);
	dns_cache_put(c, names[3], DNS_T_A, &ans, t_now);
	ck_assert(dns_cache_get(c, "a.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	ck_assert(!dns_cache_get(c, "b.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	dns_cache_close(c);
}
END_TEST

START_TEST(test_dns_cache_put_keeps_size_bound)
{
	struct why why;
	struct dns_answer ans, got;
	struct dns_cache *c = dns_cache_open(t_dir, 20, &why);
	char name[32];
	int i;

	dns_answer_init(&ans, DNS_T_A);
	ans.status = DNS_NXDOMAIN;
	ans.ttl = 600;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "n%02d.test", i);
		dns_cache_put(c, name, DNS_T_A, &ans, t_now);
	}
	ck_assert_uint_eq(dns_cache_count(c), 20);
	ck_assert(dns_cache_get(c, "n49.test", DNS_T_A, t_now, &got));
	ck_assert_int_eq(got.status, DNS_NXDOMAIN);
	dns_answer_fini(&got);
	ck_assert(!dns_cache_get(c, "n29.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	dns_cache_close(c);
}
END_TEST

START_TEST(test_dns_cache_keeps_negative_answers_per_soa)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 10);
	uint32_t ttl;
	bool cached;

	ck_assert_int_eq(t_look(dns, "nx.test", &cached, NULL), DNS_NXDOMAIN);
	ck_assert_int_eq(t_look(dns, "nodata.test", &cached, NULL), DNS_NODATA);
	ck_assert_int_eq(
	    t_look(dns, "nxnosoa.test", &cached, NULL), DNS_NXDOMAIN);
	t_now += 29;
	ck_assert_int_eq(t_look(dns, "nx.test", &cached, &ttl), DNS_NXDOMAIN);
	ck_assert(cached);
	ck_assert_uint_eq(ttl, 1);
	ck_assert_int_eq(t_look(dns, "nodata.test", &cached, &ttl), DNS_NODATA);
	ck_assert(cached);
	ck_assert_uint_eq(ttl, 16);
	/* Without SOA, RFC 2308 says not to cache. */
	ck_assert_int_eq(
	    t_look(dns, "nxnosoa.test", &cached, NULL), DNS_NXDOMAIN);
	ck_assert(!cached);
	t_now += 1;
	ck_assert_int_eq(t_look(dns, "nx.test", &cached, NULL), DNS_NXDOMAIN);
	ck_assert(!cached);
	ck_assert_uint_eq(cx.udp, 5);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_size_zero_disables)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 0);
	bool cached;

	ck_assert(!dns_has_cache(dns));
	t_look(dns, "a.test", &cached, NULL);
	t_look(dns, "a.test", &cached, NULL);
	ck_assert(!cached);
	ck_assert_uint_eq(cx.udp, 2);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_skips_zero_ttl)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 10);
	bool cached;

	t_look(dns, "zero.test", &cached, NULL);
	t_look(dns, "zero.test", &cached, NULL);
	ck_assert(!cached);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_shared_by_processes)
{
	struct canned_ctx cx;
	struct dns *dns;
	pid_t pid;
	int status;
	bool cached;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dns = t_open(&cx, 10);
		t_look(dns, "b.test", &cached, NULL);
		dns_close(dns);
		_exit(cached ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	dns = t_open(&cx, 10);
	ck_assert_int_eq(t_look(dns, "b.test", &cached, NULL), DNS_OK);
	ck_assert(cached);
	ck_assert_uint_eq(cx.udp, 0);
	dns_close(dns);
}
END_TEST

/* t_thread_hits - 200 lookups that must all be cache hits */
static void *
t_thread_hits(void *arg)
{
	struct dns *dns = arg;
	bool cached;
	int i;

	for (i = 0; i < 200; i++) {
		if (t_look(dns, i % 2 ? "a.test" : "b.test", &cached, NULL) !=
		        DNS_OK ||
		    !cached)
			return arg;
	}
	return NULL;
}

START_TEST(test_dns_dup_shares_cache_across_threads)
{
	struct canned_ctx cx;
	struct dns *dns = t_open(&cx, 10), *dups[4];
	pthread_t th[4];
	void *res;
	bool cached;
	int i;

	t_look(dns, "a.test", &cached, NULL);
	t_look(dns, "b.test", &cached, NULL);
	for (i = 0; i < 4; i++) {
		dups[i] = dns_dup(dns);
		ck_assert(dns_has_cache(dups[i]));
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, t_thread_hits, dups[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_ptr_null(res);
		dns_close(dups[i]);
	}
	ck_assert_uint_eq(cx.udp, 2);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_open_rebuilds_garbage_file)
{
	static const char junk[] = "this is not an LMDB file at all";
	struct canned_ctx cx;
	struct dns *dns;
	bool cached;

	free(unit_write_file(t_dir, DNS_CACHE_FILE, junk, sizeof(junk)));
	dns = t_open(&cx, 10);
	ck_assert(dns_has_cache(dns));
	ck_assert_int_eq(t_look(dns, "a.test", &cached, NULL), DNS_OK);
	ck_assert_int_eq(t_look(dns, "a.test", &cached, NULL), DNS_OK);
	ck_assert(cached);
	dns_close(dns);
}
END_TEST

START_TEST(test_dns_cache_get_ignores_malformed_value)
{
	static const char *const tables[] = {"answers", "lru"};
	struct state_opts so = {.format = "smtpdirect-dns-cache 1",
	    .tables = tables,
	    .tables_n = 2,
	    .map_size = 1 << 24};
	struct state_db *db;
	struct state_txn *txn;
	struct dns_answer got;
	struct dns_cache *c;
	struct why why;
	unsigned char bad[40];
	static const char key[] = "\x00\x01"
	                          "a.test";

	memset(bad, 0xff, sizeof(bad));
	bad[0] = 1;
	ck_assert_int_eq(
	    state_db_open(t_dir, DNS_CACHE_FILE, &so, &db, &why), STATE_OK);
	ck_assert_int_eq(state_txn_begin(db, true, &txn, &why), STATE_OK);
	ck_assert_int_eq(
	    state_put(txn, 0, key, sizeof(key) - 1, bad, sizeof(bad), &why),
	    STATE_OK);
	ck_assert_int_eq(state_txn_commit(txn, &why), STATE_OK);
	state_db_close(db);
	c = dns_cache_open(t_dir, 10, &why);
	ck_assert_ptr_nonnull(c);
	ck_assert(!dns_cache_get(c, "a.test", DNS_T_A, t_now, &got));
	dns_answer_fini(&got);
	dns_cache_close(c);
}
END_TEST

/* dns_cache_suite - the tests */
static Suite *
dns_cache_suite(void)
{
	Suite *s = suite_create("dns_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_dns_cache_get_hits_after_lookup);
	tcase_add_test(tc, test_dns_cache_expires_at_ttl);
	tcase_add_test(tc, test_dns_cache_put_evicts_least_recently_used);
	tcase_add_test(tc, test_dns_cache_close_writes_uses);
	tcase_add_test(tc, test_dns_cache_put_keeps_size_bound);
	tcase_add_test(tc, test_dns_cache_keeps_negative_answers_per_soa);
	tcase_add_test(tc, test_dns_cache_size_zero_disables);
	tcase_add_test(tc, test_dns_cache_skips_zero_ttl);
	tcase_add_test(tc, test_dns_cache_shared_by_processes);
	tcase_add_test(tc, test_dns_dup_shares_cache_across_threads);
	tcase_add_test(tc, test_dns_cache_open_rebuilds_garbage_file);
	tcase_add_test(tc, test_dns_cache_get_ignores_malformed_value);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run */
int
main(void)
{
	return unit_run(dns_cache_suite());
}
