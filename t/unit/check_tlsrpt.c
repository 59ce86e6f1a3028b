/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of TLS reporting (tlsrpt.h): records and their text form,
 * the _smtp._tls TXT record, the JSON report, gzip, the report mail,
 * and the tally added to the store.
 */

#include <zlib.h>

#include "unit.h"

#include "tlsrpt.h"

#define T_DAY "2026-03-04"

static const struct tlsrpt_org t_org = {
    "Example Sender", "tlsrpt@sender.test", "sender.test"};

/* t_sts - a session under the sts policy "p1" of a.test */
static struct tlsrpt_session
t_sts(enum tlsrpt_result res, const char *mx)
{
	struct tlsrpt_session s = {"a.test", TLSRPT_T_STS, "p1",
	    "version: STSv1\nmode: testing\nmx: *.a.test\nmax_age: 86400",
	    "*.a.test", res, "192.0.2.1", mx, "198.51.100.7",
	    res == TLSRPT_OK ? NULL : "hostname mismatch"};

	return s;
}

START_TEST(test_tlsrpt_rec_add_merges_alike)
{
	struct tlsrpt_rec r;
	struct tlsrpt_session s;

	tlsrpt_rec_init(&r, T_DAY, "a.test");
	s = t_sts(TLSRPT_OK, "mx1.a.test");
	tlsrpt_rec_add(&r, &s, 3);
	s = t_sts(TLSRPT_CERT_HOST_MISMATCH, "mx1.a.test");
	tlsrpt_rec_add(&r, &s, 1);
	tlsrpt_rec_add(&r, &s, 1);
	s = t_sts(TLSRPT_CERT_HOST_MISMATCH, "mx2.a.test");
	tlsrpt_rec_add(&r, &s, 1);
	s.type = TLSRPT_T_NONE;
	s.ident = "";
	s.result = TLSRPT_STARTTLS_NOT_SUPPORTED;
	tlsrpt_rec_add(&r, &s, 2);
	ck_assert_uint_eq(r.npol, 2);
	ck_assert_uint_eq(r.pol[0].ok, 3);
	ck_assert_uint_eq(r.pol[0].failed, 3);
	ck_assert_uint_eq(r.pol[0].nfail, 2);
	ck_assert_uint_eq(r.pol[0].fail[0].count, 2);
	ck_assert_str_eq(r.pol[0].fail[1].mx, "mx2.a.test");
	ck_assert_uint_eq(r.pol[1].failed, 2);
	tlsrpt_rec_fini(&r);
}
END_TEST

START_TEST(test_tlsrpt_rec_format_parse_round_trip)
{
	struct tlsrpt_rec r, back;
	struct tlsrpt_session s = t_sts(TLSRPT_VALIDATION_FAILURE, "mx.a.test");
	struct sbuf a, b;

	s.reason = "tab\there, newline\nthere, back\\slash";
	tlsrpt_rec_init(&r, T_DAY, "a.test");
	tlsrpt_rec_add(&r, &s, 4);
	s = t_sts(TLSRPT_OK, "mx.a.test");
	tlsrpt_rec_add(&r, &s, 9);
	sbuf_init(&a);
	sbuf_init(&b);
	tlsrpt_rec_format(&r, &a);
	tlsrpt_rec_init(&back, T_DAY, "a.test");
	ck_assert(tlsrpt_rec_parse(&back, a.data, a.len));
	ck_assert_uint_eq(back.npol, 1);
	ck_assert_uint_eq(back.pol[0].ok, 9);
	ck_assert_uint_eq(back.pol[0].failed, 4);
	ck_assert_str_eq(back.pol[0].fail[0].reason,
	    "tab\there, newline\nthere, back\\slash");
	ck_assert_str_eq(back.pol[0].strings,
	    "version: STSv1\nmode: testing\nmx: *.a.test\nmax_age: 86400");
	tlsrpt_rec_format(&back, &b);
	ck_assert_str_eq(sbuf_str(&a), sbuf_str(&b));
	sbuf_fini(&a);
	sbuf_fini(&b);
	tlsrpt_rec_fini(&r);
	tlsrpt_rec_fini(&back);
}
END_TEST

START_TEST(test_tlsrpt_rec_parse_refuses_damage)
{
	static const char *const bad[] = {"", "tlsrpt 2\n", "tlsrpt 1",
	    "tlsrpt 1\nP\t1\t2\n", "tlsrpt 1\nF\t0\t1\t1\ta\tb\tc\td\n",
	    "tlsrpt 1\nP\t9\t1\t1\ta\tb\tc\n",
	    "tlsrpt 1\nP\t1\tx\t1\ta\tb\tc\n",
	    "tlsrpt 1\nP\t1\t1\t1\ta\\q\tb\tc\n",
	    "tlsrpt 1\nP\t1\t1\t1\ta\tb\tc\nF\t1\t1\t1\ta\tb\tc\td\n",
	    "tlsrpt 1\nP\t1\t1\t1\ta\tb\tc\nF\t0\t0\t1\ta\tb\tc\td\n",
	    "tlsrpt 1\nP\t1\t1\t1\ta\tb\tc"};
	struct tlsrpt_rec r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tlsrpt_rec_init(&r, T_DAY, "a.test");
		ck_assert_msg(!tlsrpt_rec_parse(&r, bad[i], strlen(bad[i])),
		    "case %zu parsed", i);
		tlsrpt_rec_fini(&r);
	}
}
END_TEST

START_TEST(test_tlsrpt_rec_caps)
{
	struct tlsrpt_rec r;
	struct tlsrpt_session s = t_sts(TLSRPT_CERT_EXPIRED, "mx.a.test");
	char ip[32];
	size_t i;

	tlsrpt_rec_init(&r, T_DAY, "a.test");
	for (i = 0; i < TLSRPT_FAILURES_MAX + 5; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%zu", i);
		s.receiving_ip = ip;
		tlsrpt_rec_add(&r, &s, 1);
	}
	ck_assert_uint_eq(r.pol[0].nfail, TLSRPT_FAILURES_MAX);
	ck_assert_uint_eq(r.pol[0].failed, TLSRPT_FAILURES_MAX + 5);
	tlsrpt_rec_fini(&r);
}
END_TEST

/* One TXT case. */
struct txt_case {
	const char *name; /* for failures */
	const char *in; /* the record */
	enum tlsrpt_txt_status st; /* wanted */
	size_t n; /* URIs kept */
	const char *uri0; /* the first, or NULL */
};

static const struct txt_case txt_cases[] = {
    {"RFC mailto", "v=TLSRPTv1; rua=mailto:reports@example.com", TLSRPT_TXT_OK,
        1, "mailto:reports@example.com"},
    {"RFC https", "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
        TLSRPT_TXT_OK, 1, "https://reporting.example.com/v1/tlsrpt"},
    {"two URIs", "v=TLSRPTv1;rua=mailto:a@x.test , https://x.test/r;",
        TLSRPT_TXT_OK, 2, "mailto:a@x.test"},
    {"other scheme left out", "v=TLSRPTv1; rua=ftp://x.test/r,mailto:a@x",
        TLSRPT_TXT_OK, 1, "mailto:a@x"},
    {"extension", "v=TLSRPTv1; ext=1; rua=mailto:a@x", TLSRPT_TXT_OK, 1,
        "mailto:a@x"},
    {"no rua", "v=TLSRPTv1; ext=1", TLSRPT_TXT_INVALID, 0, NULL},
    {"empty rua", "v=TLSRPTv1; rua=", TLSRPT_TXT_INVALID, 0, NULL},
    {"two rua", "v=TLSRPTv1; rua=mailto:a@x; rua=mailto:b@x",
        TLSRPT_TXT_INVALID, 0, NULL},
    {"no delimiter", "v=TLSRPTv1 rua=mailto:a@x", TLSRPT_TXT_INVALID, 0, NULL},
    {"other version", "v=TLSRPTv2; rua=mailto:a@x", TLSRPT_TXT_NONE, 0, NULL},
    {"SPF", "v=spf1 -all", TLSRPT_TXT_NONE, 0, NULL},
};

START_TEST(test_tlsrpt_txt_pick_table)
{
	const struct txt_case *c = &txt_cases[_i];
	const char *texts[2] = {"v=spf1 -all", c->in};
	size_t lens[2] = {11, strlen(c->in)};
	struct tlsrpt_txt t;
	struct why why;
	enum tlsrpt_txt_status st;

	memset(&t, 0, sizeof(t));
	st = tlsrpt_txt_pick(texts, lens, 2, &t, &why);
	ck_assert_msg(
	    st == c->st, "case \"%s\": got %d, want %d", c->name, st, c->st);
	if (st != TLSRPT_TXT_OK)
		return;
	ck_assert_msg(t.n == c->n, "case \"%s\": got %zu URIs, want %zu",
	    c->name, t.n, c->n);
	ck_assert_str_eq(t.uri[0], c->uri0);
}
END_TEST

START_TEST(test_tlsrpt_txt_pick_several_is_invalid)
{
	const char *texts[2] = {
	    "v=TLSRPTv1; rua=mailto:a@x", "v=TLSRPTv1; rua=mailto:b@x"};
	size_t lens[2] = {26, 26};
	struct tlsrpt_txt t;
	struct why why;

	ck_assert_int_eq(
	    tlsrpt_txt_pick(texts, lens, 2, &t, &why), TLSRPT_TXT_INVALID);
}
END_TEST

START_TEST(test_tlsrpt_json_fields)
{
	struct tlsrpt_rec r;
	struct tlsrpt_session s = t_sts(TLSRPT_CERT_HOST_MISMATCH, "mx.a.test");
	struct sbuf out;

	tlsrpt_rec_init(&r, T_DAY, "a.test");
	tlsrpt_rec_add(&r, &s, 2);
	s = t_sts(TLSRPT_OK, "mx.a.test");
	tlsrpt_rec_add(&r, &s, 5);
	sbuf_init(&out);
	tlsrpt_json(&r, &t_org, "id\"1", &out);
	ck_assert_str_eq(sbuf_str(&out),
	    "{\"organization-name\":\"Example Sender\",\"date-range\":{"
	    "\"start-datetime\":\"2026-03-04T00:00:00Z\",\"end-datetime\":"
	    "\"2026-03-04T23:59:59Z\"},\"contact-info\":\"tlsrpt@sender.test\","
	    "\"report-id\":\"id\\\"1\",\"policies\":[{\"policy\":{"
	    "\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\","
	    "\"mode: testing\",\"mx: *.a.test\",\"max_age: 86400\"],"
	    "\"policy-domain\":\"a.test\",\"mx-host\":[\"*.a.test\"]},"
	    "\"summary\":{\"total-successful-session-count\":5,"
	    "\"total-failure-session-count\":2},\"failure-details\":[{"
	    "\"result-type\":\"certificate-host-mismatch\",\"sending-mta-ip\":"
	    "\"192.0.2.1\",\"receiving-mx-hostname\":\"mx.a.test\","
	    "\"receiving-ip\":\"198.51.100.7\",\"failed-session-count\":2,"
	    "\"failure-reason-code\":\"hostname mismatch\"}]}]}\n");
	sbuf_fini(&out);
	tlsrpt_rec_fini(&r);
}
END_TEST

START_TEST(test_tlsrpt_json_no_policy_found)
{
	struct tlsrpt_rec r;
	struct tlsrpt_session s;
	struct sbuf out;

	memset(&s, 0, sizeof(s));
	s.domain = "b.test";
	s.type = TLSRPT_T_NONE;
	s.result = TLSRPT_STARTTLS_NOT_SUPPORTED;
	s.mx = "mx.b.test";
	tlsrpt_rec_init(&r, T_DAY, "b.test");
	tlsrpt_rec_add(&r, &s, 1);
	sbuf_init(&out);
	tlsrpt_json(&r, &t_org, "x", &out);
	ck_assert_ptr_nonnull(strstr(sbuf_str(&out),
	    "{\"policy\":{\"policy-type\":\"no-policy-found\","
	    "\"policy-domain\":\"b.test\"},"));
	ck_assert_ptr_nonnull(strstr(sbuf_str(&out),
	    "[{\"result-type\":\"starttls-not-supported\","
	    "\"receiving-mx-hostname\":\"mx.b.test\","
	    "\"failed-session-count\":1}]"));
	sbuf_fini(&out);
	tlsrpt_rec_fini(&r);
}
END_TEST

START_TEST(test_tlsrpt_gzip_round_trip)
{
	static const char text[] = "{\"policies\":[]}\n";
	char back[64];
	struct sbuf gz;
	struct why why;
	z_stream z;

	sbuf_init(&gz);
	ck_assert_int_eq(tlsrpt_gzip(text, sizeof(text) - 1, &gz, &why), SD_OK);
	ck_assert_uint_ge(gz.len, 18);
	ck_assert_uint_eq((unsigned char)gz.data[0], 0x1f);
	ck_assert_uint_eq((unsigned char)gz.data[1], 0x8b);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)gz.data;
	z.avail_in = (uInt)gz.len;
	z.next_out = (unsigned char *)back;
	z.avail_out = sizeof(back);
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(sizeof(back) - z.avail_out, sizeof(text) - 1);
	ck_assert(memcmp(back, text, sizeof(text) - 1) == 0);
	inflateEnd(&z);
	sbuf_fini(&gz);
}
END_TEST

START_TEST(test_tlsrpt_mail_format_section_5_3)
{
	struct tlsrpt_report r = {"a.test", T_DAY,
	    "2026-03-04_a.test@sender.test", "\x1f\x8b\x08\x00", 4};
	struct sbuf out;
	const char *m;

	sbuf_init(&out);
	tlsrpt_mail_format(&r, &t_org, "rua@a.test", 1772582400, &out);
	m = sbuf_str(&out);
	ck_assert_ptr_nonnull(strstr(m,
	    "Subject: Report Domain: a.test Submitter: sender.test "
	    "Report-ID: <2026-03-04_a.test@sender.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "\r\nTLS-Report-Domain: a.test\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(m, "\r\nTLS-Report-Submitter: sender.test\r\n"));
	ck_assert_ptr_nonnull(strstr(
	    m, "Content-Type: multipart/report; report-type=\"tlsrpt\";"));
	ck_assert_ptr_nonnull(
	    strstr(m, "Content-Type: application/tlsrpt+gzip\r\n"));
	ck_assert_ptr_nonnull(strstr(m,
	    "filename=\"sender.test!a.test!1772582400!1772668799.json.gz\""));
	ck_assert_ptr_nonnull(strstr(m, "\r\nH4sIAA==\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "From: <tlsrpt@sender.test>\r\n"));
	sbuf_fini(&out);
}
END_TEST

START_TEST(test_tlsrpt_tally_flush_adds_up)
{
	char *dir = unit_tmpdir();
	struct tlsrpt_tally *t = tlsrpt_tally_new();
	struct tlsrpt_session s = t_sts(TLSRPT_OK, "mx.a.test");
	struct tlsrpt_db *db;
	struct tlsrpt_rec r;
	struct why why;
	time_t now = 1772582400 + 3600;

	tlsrpt_tally_add(t, now, &s);
	tlsrpt_tally_add(t, now, &s);
	s.domain = "b.test";
	tlsrpt_tally_add(t, now, &s);
	ck_assert_int_eq(tlsrpt_tally_flush(t, dir, &why), SD_OK);
	s.domain = "a.test";
	tlsrpt_tally_add(t, now + 86400, &s);
	tlsrpt_tally_add(t, now, &s);
	ck_assert_int_eq(tlsrpt_tally_flush(t, dir, &why), SD_OK);
	db = tlsrpt_db_open(dir, &why);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(tlsrpt_db_next(db, "", "", &r, &why), SD_OK);
	ck_assert_str_eq(r.day, T_DAY);
	ck_assert_str_eq(r.domain, "a.test");
	ck_assert_uint_eq(r.pol[0].ok, 3);
	tlsrpt_rec_fini(&r);
	ck_assert_int_eq(tlsrpt_db_next(db, T_DAY, "a.test", &r, &why), SD_OK);
	ck_assert_str_eq(r.domain, "b.test");
	tlsrpt_rec_fini(&r);
	ck_assert_int_eq(tlsrpt_db_next(db, T_DAY, "b.test", &r, &why), SD_OK);
	ck_assert_str_eq(r.day, "2026-03-05");
	tlsrpt_rec_fini(&r);
	ck_assert_int_eq(
	    tlsrpt_db_next(db, "2026-03-05", "a.test", &r, &why), SD_PERM);
	tlsrpt_rec_fini(&r);
	/* Sent marks, and dropping a day's domain with them. */
	ck_assert(!tlsrpt_db_sent(db, T_DAY, "a.test", "mailto:x@y"));
	ck_assert_int_eq(
	    tlsrpt_db_mark(db, T_DAY, "a.test", "mailto:x@y", now, &why),
	    SD_OK);
	ck_assert(tlsrpt_db_sent(db, T_DAY, "a.test", "mailto:x@y"));
	ck_assert(!tlsrpt_db_sent(db, T_DAY, "b.test", "mailto:x@y"));
	ck_assert_int_eq(tlsrpt_db_drop(db, T_DAY, "a.test", &why), SD_OK);
	ck_assert(!tlsrpt_db_sent(db, T_DAY, "a.test", "mailto:x@y"));
	ck_assert_int_eq(tlsrpt_db_next(db, "", "", &r, &why), SD_OK);
	ck_assert_str_eq(r.domain, "b.test");
	tlsrpt_rec_fini(&r);
	tlsrpt_db_close(db);
	tlsrpt_tally_free(t);
	unit_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_tlsrpt_names)
{
	ck_assert_str_eq(tlsrpt_result_name(TLSRPT_STARTTLS_NOT_SUPPORTED),
	    "starttls-not-supported");
	ck_assert_str_eq(tlsrpt_result_name(TLSRPT_STS_WEBPKI_INVALID),
	    "sts-webpki-invalid");
	ck_assert_str_eq(
	    tlsrpt_result_name(TLSRPT_DNSSEC_INVALID), "dnssec-invalid");
	ck_assert_str_eq(tlsrpt_type_name(TLSRPT_T_TLSA), "tlsa");
	ck_assert_str_eq(tlsrpt_type_name(TLSRPT_T_NONE), "no-policy-found");
}
END_TEST

/* tlsrpt_suite - the suite */
static Suite *
tlsrpt_suite(void)
{
	Suite *s = suite_create("tlsrpt");
	TCase *tc = tcase_create("rec");

	tcase_add_test(tc, test_tlsrpt_rec_add_merges_alike);
	tcase_add_test(tc, test_tlsrpt_rec_format_parse_round_trip);
	tcase_add_test(tc, test_tlsrpt_rec_parse_refuses_damage);
	tcase_add_test(tc, test_tlsrpt_rec_caps);
	tcase_add_test(tc, test_tlsrpt_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("txt");
	tcase_add_loop_test(tc, test_tlsrpt_txt_pick_table, 0,
	    (int)(sizeof(txt_cases) / sizeof(txt_cases[0])));
	tcase_add_test(tc, test_tlsrpt_txt_pick_several_is_invalid);
	suite_add_tcase(s, tc);
	tc = tcase_create("report");
	tcase_add_test(tc, test_tlsrpt_json_fields);
	tcase_add_test(tc, test_tlsrpt_json_no_policy_found);
	tcase_add_test(tc, test_tlsrpt_gzip_round_trip);
	tcase_add_test(tc, test_tlsrpt_mail_format_section_5_3);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_tlsrpt_tally_flush_adds_up);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(tlsrpt_suite());
}
