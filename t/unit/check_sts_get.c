/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the MTA-STS policy cache and of sts_get(): which policy
 * is in force from the TXT record and the cache, and when a fetch is
 * made (sts_int.h). DNS answers are canned; no policy host has an
 * address, so every fetch fails before any HTTPS (sts-policy-fetch-
 * error), which is what the fetch paths here need.
 */

#include "unit.h"

#include "dns_canned.h"
#include "sts_int.h"

#define T_NOW ((time_t)1700000000)

/* The TXT answers; entry 0's record is changed by tests. */
static struct canned t_zone[] = {
    {"_mta-sts.a.test", DNS_T_TXT, 0, 0, 0,
        "_mta-sts.a.test. 300 IN TXT \"v=STSv1; id=one\"", NULL},
    {"_mta-sts.two.test", DNS_T_TXT, 0, 0, 0,
        "_mta-sts.two.test. 300 IN TXT \"v=STSv1; id=a\"|"
        "_mta-sts.two.test. 300 IN TXT \"v=STSv1; id=b\"",
        NULL},
    {NULL, 0, 0, LDNS_RCODE_NXDOMAIN, 0, NULL, CANNED_SOA},
};

static char *t_dir; /* the test's state_dir */

/* t_setup - a fresh directory and the record of a.test reset */
static void
t_setup(void)
{
	t_dir = unit_tmpdir();
	t_zone[0].answer = "_mta-sts.a.test. 300 IN TXT \"v=STSv1; id=one\"";
}

/* t_teardown - remove it */
static void
t_teardown(void)
{
	unit_rmtree(t_dir);
	free(t_dir);
}

/* t_entry - a cached enforce policy for id, fetched at fetched */
static void
t_entry(
    struct sts_entry *e, const char *id, time_t fetched, unsigned long max_age)
{
	memset(e, 0, sizeof(*e));
	e->has_policy = true;
	e->policy.mode = STS_MODE_ENFORCE;
	e->policy.max_age = max_age;
	e->policy.mx_n = 2;
	snprintf(e->policy.mx[0], sizeof(e->policy.mx[0]), "mx.a.test");
	snprintf(e->policy.mx[1], sizeof(e->policy.mx[1]), "*.b.test");
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->fetched = fetched;
	e->expires = fetched + (time_t)max_age;
	e->tried = fetched;
	e->last = STS_FETCH_OK;
}

/* t_store - put e for domain in the cache of t_dir */
static void
t_store(const char *domain, const struct sts_entry *e)
{
	struct why why;
	struct sts_cache *c = sts_cache_open(t_dir, &why);

	ck_assert_ptr_nonnull(c);
	ck_assert(sts_cache_put(c, domain, e));
	sts_cache_close(c);
}

/* t_get - sts_get() at now; *queries the DNS questions it asked */
static void
t_get(struct sts *s, const char *domain, time_t now, struct sts_lookup *l,
    unsigned *queries)
{
	struct canned_ctx cx;
	struct dns *dns = canned_open(&cx, t_zone, NULL);

	sts_get(s, dns, domain, now, 0, l);
	if (queries != NULL)
		*queries = cx.udp;
	dns_close(dns);
}

/* t_sts - a context on t_dir */
static struct sts *
t_sts(void)
{
	struct sts_opts o = {t_dir, NULL, 1000};

	return sts_new(&o);
}

START_TEST(test_sts_cache_put_get_round_trip)
{
	struct sts_entry e, got;
	struct why why;
	struct sts_cache *c;

	t_entry(&e, "abc123", T_NOW, 86400);
	t_store("a.test", &e);
	c = sts_cache_open(t_dir, &why);
	ck_assert_ptr_nonnull(c);
	ck_assert(sts_cache_get(c, "a.test", &got));
	ck_assert(got.has_policy);
	ck_assert_str_eq(got.id, "abc123");
	ck_assert_int_eq(got.policy.mode, STS_MODE_ENFORCE);
	ck_assert_uint_eq(got.policy.max_age, 86400);
	ck_assert_uint_eq(got.policy.mx_n, 2);
	ck_assert_str_eq(got.policy.mx[1], "*.b.test");
	ck_assert(got.fetched == T_NOW && got.expires == T_NOW + 86400);
	ck_assert_int_eq(got.last, STS_FETCH_OK);
	ck_assert(!sts_cache_get(c, "b.test", &got));
	sts_cache_close(c);
}
END_TEST

START_TEST(test_sts_cache_claim_once_per_interval)
{
	struct why why;
	struct sts_cache *c = sts_cache_open(t_dir, &why);
	struct sts_entry e;

	ck_assert_ptr_nonnull(c);
	ck_assert(sts_cache_claim(c, "a.test", T_NOW));
	ck_assert(!sts_cache_claim(c, "a.test", T_NOW + 1));
	ck_assert(!sts_cache_claim(c, "a.test", T_NOW + STS_RETRY_SECS - 1));
	ck_assert(sts_cache_claim(c, "a.test", T_NOW + STS_RETRY_SECS));
	ck_assert(sts_cache_claim(c, "b.test", T_NOW + 1));
	/* After a good fetch at once, keeping the policy it finds. */
	t_entry(&e, "x", T_NOW, 86400);
	ck_assert(sts_cache_put(c, "c.test", &e));
	ck_assert(sts_cache_claim(c, "c.test", T_NOW + 1));
	ck_assert(sts_cache_get(c, "c.test", &e));
	ck_assert(e.has_policy);
	ck_assert(e.tried == T_NOW + 1);
	ck_assert_int_eq(e.last, STS_FETCH_NONE);
	/* But not while that one is under way. */
	ck_assert(!sts_cache_claim(c, "c.test", T_NOW + 2));
	/* Nor soon after a failed one. */
	e.last = STS_FETCH_ERROR;
	ck_assert(sts_cache_put(c, "c.test", &e));
	ck_assert(!sts_cache_claim(c, "c.test", T_NOW + 3));
	sts_cache_close(c);
}
END_TEST

START_TEST(test_sts_cache_damaged_file_is_discarded)
{
	char *path = unit_write_file(t_dir, STS_FILE, "garbage", 7);
	struct sts_entry e;
	struct why why;
	struct sts_cache *c = sts_cache_open(t_dir, &why);

	ck_assert_ptr_nonnull(c);
	ck_assert(!sts_cache_get(c, "a.test", &e));
	t_entry(&e, "x", T_NOW, 60);
	ck_assert(sts_cache_put(c, "a.test", &e));
	sts_cache_close(c);
	free(path);
}
END_TEST

START_TEST(test_sts_get_no_record_no_cache_is_none)
{
	struct sts *s = t_sts();
	struct sts_lookup l;

	t_get(s, "none.test", T_NOW, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	ck_assert(!l.announced);
	ck_assert_int_eq(l.fetch, STS_FETCH_NONE);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_several_records_is_none)
{
	struct sts *s = t_sts();
	struct sts_lookup l;

	t_get(s, "two.test", T_NOW, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	ck_assert(!l.announced);
	ck_assert_int_eq(l.fetch, STS_FETCH_NONE);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_cache_with_same_id_no_fetch)
{
	struct sts *s = t_sts();
	struct sts_entry e;
	struct sts_lookup l;
	unsigned q;

	t_entry(&e, "one", T_NOW - 100, 86400 * 7);
	t_store("a.test", &e);
	t_get(s, "a.test", T_NOW, &l, &q);
	ck_assert_int_eq(l.source, STS_SRC_CACHE);
	ck_assert(l.announced);
	ck_assert(!l.queued);
	ck_assert_int_eq(l.fetch, STS_FETCH_NONE);
	ck_assert_str_eq(l.id, "one");
	ck_assert_int_eq(l.policy.mode, STS_MODE_ENFORCE);
	ck_assert(l.expires == T_NOW - 100 + 86400 * 7);
	ck_assert_uint_eq(q, 1); /* the TXT record only */
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_new_id_uses_cache_and_queues)
{
	struct sts *s = t_sts();
	struct sts_entry e;
	struct sts_lookup l;
	unsigned q;

	t_entry(&e, "old", T_NOW - 1000, 86400 * 7);
	t_store("a.test", &e);
	t_get(s, "a.test", T_NOW, &l, &q);
	ck_assert_int_eq(l.source, STS_SRC_CACHE);
	ck_assert_str_eq(l.id, "old");
	ck_assert(l.queued);
	ck_assert_int_eq(l.fetch, STS_FETCH_NONE);
	ck_assert_uint_eq(q, 1); /* no fetch on the message's path */
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_old_policy_queues_refresh)
{
	struct sts *s = t_sts();
	struct sts_entry e;
	struct sts_lookup l;

	t_entry(&e, "one", T_NOW - STS_REFRESH_SECS - 1, 86400 * 30);
	t_store("a.test", &e);
	t_get(s, "a.test", T_NOW, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_CACHE);
	ck_assert(l.queued);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_record_gone_cache_applies)
{
	struct sts *s = t_sts();
	struct sts_entry e;
	struct sts_lookup l;

	t_zone[0].answer = "_mta-sts.a.test. 300 IN TXT \"v=spf1 -all\"";
	t_entry(&e, "one", T_NOW - 10, 3600);
	t_store("a.test", &e);
	t_get(s, "a.test", T_NOW, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_CACHE);
	ck_assert(!l.announced);
	ck_assert(!l.queued);
	/* Expired: gone with the record. */
	t_get(s, "a.test", T_NOW + 3600, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_failed_fetch_not_retried_soon)
{
	struct sts *s = t_sts();
	struct sts_lookup l;
	unsigned q;

	t_get(s, "a.test", T_NOW, &l, &q);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	ck_assert(l.announced);
	ck_assert_int_eq(l.fetch, STS_FETCH_ERROR);
	ck_assert_ptr_nonnull(strstr(l.fetch_why.text, "mta-sts.a.test"));
	ck_assert_uint_ge(q, 2); /* the TXT record, the policy host */
	t_get(s, "a.test", T_NOW + 10, &l, &q);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	ck_assert_int_eq(l.fetch, STS_FETCH_ERROR);
	ck_assert_ptr_nonnull(strstr(l.fetch_why.text, "last fetch failed"));
	ck_assert_uint_eq(q, 1);
	t_get(s, "a.test", T_NOW + STS_RETRY_SECS, &l, &q);
	ck_assert_int_eq(l.fetch, STS_FETCH_ERROR);
	ck_assert_uint_ge(q, 2);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_refresh_failure_keeps_policy)
{
	struct sts *s = t_sts();
	struct canned_ctx cx;
	struct sts_entry e;
	struct sts_lookup l;
	struct dns *dns;

	t_entry(&e, "old", T_NOW - 1000, 86400 * 7);
	t_store("a.test", &e);
	t_get(s, "a.test", T_NOW, &l, NULL);
	ck_assert(l.queued);
	dns = canned_open(&cx, t_zone, NULL);
	sts_refresh(s, dns, T_NOW, 0);
	ck_assert_uint_ge(cx.udp, 1); /* the policy host was asked for */
	dns_close(dns);
	t_get(s, "a.test", T_NOW + 1, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_CACHE);
	ck_assert_str_eq(l.id, "old");
	/* Claimed a second ago: another refresh now fetches nothing. */
	ck_assert(l.queued == false);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_get_without_cache_dir)
{
	struct sts_opts o = {NULL, NULL, 1000};
	struct sts *s = sts_new(&o);
	struct sts_lookup l;

	t_get(s, "a.test", T_NOW, &l, NULL);
	ck_assert_int_eq(l.source, STS_SRC_NONE);
	ck_assert_int_eq(l.fetch, STS_FETCH_ERROR);
	sts_free(s);
}
END_TEST

START_TEST(test_sts_names)
{
	ck_assert_str_eq(
	    sts_fetch_name(STS_FETCH_ERROR), "sts-policy-fetch-error");
	ck_assert_str_eq(
	    sts_fetch_name(STS_FETCH_INVALID), "sts-policy-invalid");
	ck_assert_str_eq(
	    sts_fetch_name(STS_FETCH_WEBPKI), "sts-webpki-invalid");
	ck_assert_str_eq(sts_source_name(STS_SRC_CACHE), "cache");
	ck_assert_str_eq(sts_source_name(STS_SRC_FETCHED), "fetched");
	ck_assert_str_eq(sts_source_name(STS_SRC_NONE), "none");
}
END_TEST

/* sts_get_suite - the suite */
static Suite *
sts_get_suite(void)
{
	Suite *s = suite_create("sts_get");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_sts_cache_put_get_round_trip);
	tcase_add_test(tc, test_sts_cache_claim_once_per_interval);
	tcase_add_test(tc, test_sts_cache_damaged_file_is_discarded);
	suite_add_tcase(s, tc);
	tc = tcase_create("get");
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_add_test(tc, test_sts_get_no_record_no_cache_is_none);
	tcase_add_test(tc, test_sts_get_several_records_is_none);
	tcase_add_test(tc, test_sts_get_cache_with_same_id_no_fetch);
	tcase_add_test(tc, test_sts_get_new_id_uses_cache_and_queues);
	tcase_add_test(tc, test_sts_get_old_policy_queues_refresh);
	tcase_add_test(tc, test_sts_get_record_gone_cache_applies);
	tcase_add_test(tc, test_sts_get_failed_fetch_not_retried_soon);
	tcase_add_test(tc, test_sts_refresh_failure_keeps_policy);
	tcase_add_test(tc, test_sts_get_without_cache_dir);
	tcase_add_test(tc, test_sts_names);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(sts_get_suite());
}
