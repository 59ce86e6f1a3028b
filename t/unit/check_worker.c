/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of the delivery request's wire format (worker_int.h): a
 * round trip keeps every field, and whatever a broken or hostile peer
 * could send is refused without reading past the buffer.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "unit.h"

#include "scache_int.h"
#include "worker.h"
#include "worker_int.h"

static char wk_buf[SCACHE_REQ_MAX];

/* wk_args - a run with two recipients */
static void
wk_args(struct deliver_args *a, char **rcpts)
{
	memset(a, 0, sizeof(*a));
	a->conf = "/etc/smtpdirect/smtpdirect.conf";
	a->envid = "";
	a->sender = "alice@example.org";
	a->queue_id = "4XyZ12";
	a->retries = 3;
	a->verbose = 2;
	a->start_ms = 123456789;
	rcpts[0] = "bob@example.com";
	rcpts[1] = "carol@example.net";
	a->rcpts = rcpts;
	a->nrcpt = 2;
}

/* wk_encode - encode a with a fixed hint; the length */
static size_t
wk_encode(const struct deliver_args *a, size_t size)
{
	struct worker_hint hint = {7, 42, 10, 10000};

	return worker_req_encode(wk_buf, size, &hint, a);
}

START_TEST(test_worker_req_round_trip)
{
	struct deliver_args a, b;
	struct worker_hint hint;
	char *rcpts[2];
	size_t len;

	wk_args(&a, rcpts);
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert_uint_gt(len, 0);
	ck_assert(worker_req_hint(wk_buf, len, &hint));
	ck_assert_uint_eq(hint.exe_dev, 7);
	ck_assert_uint_eq(hint.exe_ino, 42);
	ck_assert_uint_eq(hint.max_workers, 10);
	ck_assert_uint_eq(hint.idle_ms, 10000);
	ck_assert(worker_req_decode(wk_buf, len, &b));
	ck_assert_str_eq(b.conf, a.conf);
	ck_assert_str_eq(b.sender, a.sender);
	ck_assert_str_eq(b.queue_id, a.queue_id);
	ck_assert_int_eq(b.retries, 3);
	ck_assert_int_eq(b.verbose, 2);
	ck_assert(b.start_ms == 123456789);
	ck_assert_uint_eq(b.nrcpt, 2);
	ck_assert_str_eq(b.rcpts[0], "bob@example.com");
	ck_assert_str_eq(b.rcpts[1], "carol@example.net");
	ck_assert_str_eq(b.envid, "");
	ck_assert_ptr_null(b.orcpts);
	worker_req_free(&b);
	ck_assert_ptr_null(b.rcpts);
}
END_TEST

START_TEST(test_worker_req_round_trip_dsn)
{
	struct deliver_args a, b;
	char *rcpts[2], *orcpts[2] = {"bob.alias@example.com", ""};
	size_t len;

	wk_args(&a, rcpts);
	a.envid = "QQ314159+=x";
	a.orcpts = orcpts;
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert_uint_gt(len, 0);
	ck_assert(worker_req_decode(wk_buf, len, &b));
	ck_assert_str_eq(b.envid, "QQ314159+=x");
	ck_assert_uint_eq(b.nrcpt, 2);
	ck_assert_str_eq(b.rcpts[0], "bob@example.com");
	ck_assert_str_eq(b.rcpts[1], "carol@example.net");
	ck_assert_ptr_nonnull(b.orcpts);
	ck_assert_str_eq(b.orcpts[0], "bob.alias@example.com");
	ck_assert_str_eq(b.orcpts[1], "");
	worker_req_free(&b);
	ck_assert_ptr_null(b.orcpts);
	/* The original recipients are not recipients: their domains do
	 * not draw the request to a worker. */
	orcpts[1] = "x@elsewhere.test";
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert(!worker_req_serves(wk_buf, len, "elsewhere.test", 15));
	/* Every truncation is refused, the original recipients too. */
	for (; len > 0; len--)
		ck_assert(!worker_req_decode(wk_buf, len - 1, &b));
}
END_TEST

START_TEST(test_worker_req_null_sender_and_no_queue_id)
{
	struct deliver_args a, b;
	char *rcpts[2];
	size_t len;

	wk_args(&a, rcpts);
	a.sender = "";
	a.queue_id = "";
	a.retries = -1;
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert(worker_req_decode(wk_buf, len, &b));
	ck_assert_str_eq(b.sender, "");
	ck_assert_str_eq(b.queue_id, "");
	ck_assert_int_eq(b.retries, -1);
	worker_req_free(&b);
}
END_TEST

START_TEST(test_worker_req_does_not_fit)
{
	struct deliver_args a;
	char *rcpts[2];
	size_t len;

	wk_args(&a, rcpts);
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert_uint_eq(wk_encode(&a, len - 1), 0);
	ck_assert_uint_eq(wk_encode(&a, len), len);
	a.nrcpt = 0;
	ck_assert_uint_eq(wk_encode(&a, sizeof(wk_buf)), 0);
}
END_TEST

START_TEST(test_worker_req_malformed_refused)
{
	struct deliver_args a, b;
	struct worker_hint hint;
	char *rcpts[2];
	size_t len, cut;

	wk_args(&a, rcpts);
	len = wk_encode(&a, sizeof(wk_buf));
	/* Every truncation is refused: a string then lacks its NUL, or
	 * a recipient is missing. */
	for (cut = 0; cut < len; cut++) {
		ck_assert_msg(!worker_req_decode(wk_buf, cut, &b),
		    "accepted %zu of %zu bytes", cut, len);
		ck_assert_ptr_null(b.rcpts);
	}
	ck_assert(!worker_req_hint(wk_buf, sizeof(hint) - 1, &hint));
	/* A string more than the count announces. */
	memcpy(wk_buf + len, "x", 2);
	ck_assert(!worker_req_decode(wk_buf, len + 2, &b));
	/* A relative configuration path (a worker's directory is /). */
	a.conf = "smtpdirect.conf";
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert(!worker_req_decode(wk_buf, len, &b));
	/* A count beyond the limit, written over a good request. */
	a.conf = "/c";
	len = wk_encode(&a, sizeof(wk_buf));
	memset(wk_buf + sizeof(struct worker_hint) + 20, 0xff, 4);
	ck_assert(!worker_req_decode(wk_buf, len, &b));
	/* Original recipients of another count than the recipients. */
	len = wk_encode(&a, sizeof(wk_buf));
	memset(wk_buf + sizeof(struct worker_hint) + 24, 0x01, 1);
	ck_assert(!worker_req_decode(wk_buf, len, &b));
	ck_assert_ptr_null(b.orcpts);
}
END_TEST

/* Which kept sessions' domains a request (wk_args) is for. */
static const struct {
	const char *name; /* case */
	const char *domains; /* NUL-separated, as a worker says them */
	size_t len; /* bytes of domains */
	bool want; /* worker_req_serves() */
} wk_serves_cases[] = {
    {"none kept", "", 0, false},
    {"first recipient's", "example.com", 12, true},
    {"second recipient's, after another", "x.test\0example.net", 19, true},
    {"case ignored", "EXAMPLE.Com", 12, true},
    {"the sender's domain is not a recipient's", "example.org", 12, false},
    {"a parent domain is another", "com", 4, false},
    {"a longer name is another", "example.com.au", 15, false},
    {"no terminating NUL", "example.com", 11, false},
};

START_TEST(test_worker_req_serves_domains)
{
	struct deliver_args a;
	char *rcpts[2];
	size_t len;
	bool got;

	wk_args(&a, rcpts);
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert_uint_gt(len, 0);
	got = worker_req_serves(
	    wk_buf, len, wk_serves_cases[_i].domains, wk_serves_cases[_i].len);
	ck_assert_msg(got == wk_serves_cases[_i].want,
	    "case \"%s\": got %d, want %d", wk_serves_cases[_i].name, got,
	    wk_serves_cases[_i].want);
}
END_TEST

START_TEST(test_worker_req_serves_trailing_dot_and_short_buffer)
{
	struct deliver_args a;
	char *rcpts[2];
	size_t len;

	wk_args(&a, rcpts);
	rcpts[1] = "dave@Example.NET.";
	len = wk_encode(&a, sizeof(wk_buf));
	ck_assert(worker_req_serves(wk_buf, len, "example.net", 12));
	/* Cut inside the recipients: what is there still counts, and
	 * nothing past the end is read. */
	ck_assert(!worker_req_serves(wk_buf, len - 3, "example.net", 12));
	ck_assert(!worker_req_serves(wk_buf, 10, "example.com", 12));
}
END_TEST

/* worker_suite - the request format */
static Suite *
worker_suite(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("request");

	tcase_add_test(tc, test_worker_req_round_trip);
	tcase_add_test(tc, test_worker_req_round_trip_dsn);
	tcase_add_test(tc, test_worker_req_null_sender_and_no_queue_id);
	tcase_add_test(tc, test_worker_req_does_not_fit);
	tcase_add_test(tc, test_worker_req_malformed_refused);
	tcase_add_loop_test(tc, test_worker_req_serves_domains, 0,
	    (int)(sizeof(wk_serves_cases) / sizeof(wk_serves_cases[0])));
	tcase_add_test(
	    tc, test_worker_req_serves_trailing_dot_and_short_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(worker_suite());
}
