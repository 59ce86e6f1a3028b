/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the 8-bit downgrade (mime.h): structure, encodings. */

#include "unit.h"

#include "mime_int.h"
#include "sbuf.h"

/* t_collect - a writer that keeps everything */
static enum sd_status
t_collect(void *ctx, const char *buf, size_t len, struct why *why)
{
	(void)why;
	sbuf_append(ctx, buf, len);
	return SD_OK;
}

/* t_down - convert in pieces of step bytes (0: at once) into out */
static void
t_down(const char *in, size_t step, struct sbuf *out,
    struct mime_down_stats *stats)
{
	struct mime_down *m = mime_down_new(t_collect, out);
	size_t len = strlen(in), i, n;
	struct why why;

	for (i = 0; i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		ck_assert_int_eq(mime_down_feed(m, in + i, n, &why), SD_OK);
	}
	ck_assert_int_eq(mime_down_end(m, &why), SD_OK);
	if (stats != NULL)
		mime_down_get_stats(m, stats);
	mime_down_free(m);
}

/* t_check - the conversion of in is want, fed whole and a byte a time */
static void
t_check(const char *in, const char *want, struct mime_down_stats *stats)
{
	struct sbuf a, b;

	sbuf_init(&a);
	sbuf_init(&b);
	t_down(in, 0, &a, stats);
	t_down(in, 1, &b, NULL);
	ck_assert_str_eq(sbuf_str(&a), want);
	ck_assert_str_eq(sbuf_str(&b), want);
	sbuf_fini(&a);
	sbuf_fini(&b);
}

/* t_unhex - value of a hex digit, -1 if none */
static int
t_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* t_qp_decode - decode quoted-printable text (CRLF lines) into out */
static void
t_qp_decode(const char *p, struct sbuf *out)
{
	const char *eol;
	size_t n, i;

	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(eol);
		n = (size_t)(eol - p);
		ck_assert_msg(n <= MIME_QP_LINE, "encoded line of %zu", n);
		for (i = 0; i < n; i++) {
			ck_assert_msg((unsigned char)p[i] < 0x80, "8-bit out");
			if (p[i] != '=') {
				sbuf_putc(out, p[i]);
			} else if (i + 1 == n) {
				break; /* soft line break */
			} else {
				ck_assert_uint_ge(n, i + 3);
				sbuf_putc(out,
				    t_unhex(p[i + 1]) * 16 + t_unhex(p[i + 2]));
				i += 2;
			}
		}
		if (n == 0 || p[n - 1] != '=')
			sbuf_puts(out, "\r\n");
		p = eol + 2;
	}
}

START_TEST(test_mime_qp_line)
{
	struct sbuf sb;
	struct why why;

	sbuf_init(&sb);
	ck_assert_int_eq(
	    mime_qp_line("h\xc3\xa9 = w\tend \t", 13, t_collect, &sb, &why),
	    SD_OK);
	ck_assert_str_eq(sbuf_str(&sb), "h=C3=A9 =3D w\tend =09\r\n");
	sbuf_fini(&sb);
}
END_TEST

START_TEST(test_mime_qp_long_lines_decode_back)
{
	struct sbuf in, enc, dec;
	struct why why;
	size_t i;

	sbuf_init(&in);
	sbuf_init(&enc);
	sbuf_init(&dec);
	for (i = 0; i < 20000; i++)
		sbuf_putc(&in,
		    (char)(i % 7 == 0    ? 0xe9
		            : i % 5 == 0 ? ' '
		                         : 'a'));
	ck_assert_int_eq(
	    mime_qp_line(in.data, in.len, t_collect, &enc, &why), SD_OK);
	t_qp_decode(enc.data, &dec);
	sbuf_puts(&in, "\r\n");
	ck_assert_uint_eq(dec.len, in.len);
	ck_assert_mem_eq(dec.data, in.data, in.len);
	sbuf_fini(&in);
	sbuf_fini(&enc);
	sbuf_fini(&dec);
}
END_TEST

START_TEST(test_mime_leaf_8bit_becomes_qp)
{
	struct mime_down_stats st;

	t_check("Subject: plain\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "\r\n"
	        "gr\xc3\xbc\xc3\x9f dich\r\n"
	        ".dot stays for the stuffer\r\n",
	    "Subject: plain\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "gr=C3=BC=C3=9F dich\r\n"
	    ".dot stays for the stuffer\r\n",
	    &st);
	ck_assert_uint_eq(st.parts_qp, 1);
	ck_assert_uint_eq(st.fields_2047, 0);
	ck_assert_uint_eq(st.lines_8bit_kept, 0);
}
END_TEST

START_TEST(test_mime_multipart)
{
	struct mime_down_stats st;

	t_check("Content-Type: multipart/mixed;\r\n"
	        "\tboundary=\"=_b1\"\r\n"
	        "Content-Transfer-Encoding: 8BIT\r\n"
	        "\r\n"
	        "pre\xe9mble\r\n"
	        "--=_b1\r\n"
	        "Content-Transfer-Encoding: binary\r\n"
	        "\r\n"
	        "caf\xc3\xa9\r\n"
	        "--=_b1 \r\n"
	        "Content-Type: application/octet-stream\r\n"
	        "Content-Transfer-Encoding: base64\r\n"
	        "\r\n"
	        "AAAA\r\n"
	        "--=_b1\r\n"
	        "\r\n"
	        "7bit part \xff kept\r\n"
	        "--=_b1--\r\n"
	        "epilogue\r\n",
	    "Content-Type: multipart/mixed;\r\n"
	    "\tboundary=\"=_b1\"\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "pre\xe9mble\r\n"
	    "--=_b1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9\r\n"
	    "--=_b1 \r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "AAAA\r\n"
	    "--=_b1\r\n"
	    "\r\n"
	    "7bit part \xff kept\r\n"
	    "--=_b1--\r\n"
	    "epilogue\r\n",
	    &st);
	ck_assert_uint_eq(st.parts_qp, 1);
	ck_assert_uint_eq(st.lines_8bit_kept, 2);
}
END_TEST

START_TEST(test_mime_nested_message_and_digest)
{
	t_check("Content-Type: multipart/digest; boundary=d\r\n"
	        "\r\n"
	        "--d\r\n"
	        "\r\n"
	        "Subject: inner\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n"
	        "\r\n"
	        "\xe4\r\n"
	        "--d\r\n"
	        "Content-Type: message/rfc822\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n"
	        "\r\n"
	        "Content-Type: text/plain\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n"
	        "\r\n"
	        "\xf6\r\n"
	        "--d--\r\n",
	    "Content-Type: multipart/digest; boundary=d\r\n"
	    "\r\n"
	    "--d\r\n"
	    "\r\n"
	    "Subject: inner\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=E4\r\n"
	    "--d\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=F6\r\n"
	    "--d--\r\n",
	    NULL);
}
END_TEST

START_TEST(test_mime_not_mime_is_kept)
{
	struct mime_down_stats st;

	t_check("From: J\xc3\xb6rg <j@example.org>\r\n"
	        "\r\n"
	        "body \xe9\r\n",
	    "From: J\xc3\xb6rg <j@example.org>\r\n"
	    "\r\n"
	    "body \xe9\r\n",
	    &st);
	ck_assert_uint_eq(st.parts_qp, 0);
	ck_assert_uint_eq(st.lines_8bit_kept, 2);
}
END_TEST

START_TEST(test_mime_subject_2047)
{
	struct mime_down_stats st;

	t_check("Subject: Gr\xc3\xbc\xc3\x9f\r\n"
	        " Gott\r\n"
	        "Comments: caf\xe9\r\n"
	        "\r\n"
	        "x\r\n",
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9F_Gott?=\r\n"
	    "Comments: =?unknown-8bit?Q?caf=E9?=\r\n"
	    "\r\n"
	    "x\r\n",
	    &st);
	ck_assert_uint_eq(st.fields_2047, 2);
}
END_TEST

START_TEST(test_mime_subject_2047_long_splits_whole_characters)
{
	struct sbuf in, out;
	const char *p, *q;
	size_t i;

	sbuf_init(&in);
	sbuf_init(&out);
	sbuf_puts(&in, "Subject: ");
	for (i = 0; i < 60; i++)
		sbuf_puts(&in, "\xe2\x82\xac"); /* U+20AC, 9 encoded chars */
	sbuf_puts(&in, "\r\n\r\nx\r\n");
	t_down(in.data, 0, &out, NULL);
	/* Every word opens and closes on its own line, at most 75 long. */
	for (p = out.data; (q = strstr(p, "=?UTF-8?Q?")) != NULL; p = q + 1) {
		const char *end = strstr(q + 10, "?=");

		ck_assert_ptr_nonnull(end);
		ck_assert_uint_le((size_t)(end + 2 - q), 75);
		ck_assert_uint_eq((size_t)(end - q - 10) % 9, 0);
	}
	sbuf_fini(&in);
	sbuf_fini(&out);
}
END_TEST

START_TEST(test_mime_plain_7bit_is_identity)
{
	const char *in = "Content-Type: multipart/alternative; boundary=x\r\n"
	                 "\r\n"
	                 "--x\r\n"
	                 "Content-Type: text/plain\r\n"
	                 "\r\n"
	                 "hello\r\n"
	                 "--x--\r\n";

	t_check(in, in, NULL);
}
END_TEST

START_TEST(test_mime_long_body_line_in_pieces)
{
	struct sbuf in, out, dec;
	const char *body;
	size_t i;

	sbuf_init(&in);
	sbuf_init(&out);
	sbuf_init(&dec);
	sbuf_puts(&in, "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (i = 0; i < 30000; i++)
		sbuf_putc(&in, i % 3 == 0 ? '\r' : (char)0xe9);
	sbuf_puts(&in, "\r\n");
	t_down(in.data, 4093, &out, NULL);
	body = strstr(out.data, "\r\n\r\n") + 4;
	t_qp_decode(body, &dec);
	ck_assert_uint_eq(dec.len, 30002);
	ck_assert_mem_eq(dec.data, strstr(in.data, "\r\n\r\n") + 4, 30002);
	sbuf_fini(&in);
	sbuf_fini(&out);
	sbuf_fini(&dec);
}
END_TEST

START_TEST(test_mime_content_type_values)
{
	struct mime_entity e;
	const char *v = " (c) Multipart / Mixed ; charset=x; "
	                "BOUNDARY = \"a\\\"b\" (more)";

	mime_content_type(v, v + strlen(v), &e);
	ck_assert_int_eq(e.ctype, MIME_CT_MULTIPART);
	ck_assert_str_eq(e.boundary, "a\"b");
	v = "message/rfc822";
	mime_content_type(v, v + strlen(v), &e);
	ck_assert_int_eq(e.stype, MIME_ST_RFC822);
	ck_assert_int_eq(
	    mime_encoding(" 8Bit (x)", " 8Bit (x)" + 9), MIME_ENC_8BIT);
	ck_assert_int_eq(mime_encoding("base64", "base64" + 6), MIME_ENC_OTHER);
}
END_TEST

/* mime_suite - the tests */
static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("encode");

	tcase_add_test(tc, test_mime_qp_line);
	tcase_add_test(tc, test_mime_qp_long_lines_decode_back);
	tcase_add_test(tc, test_mime_subject_2047);
	tcase_add_test(tc, test_mime_subject_2047_long_splits_whole_characters);
	tcase_add_test(tc, test_mime_content_type_values);
	suite_add_tcase(s, tc);
	tc = tcase_create("structure");
	tcase_add_test(tc, test_mime_leaf_8bit_becomes_qp);
	tcase_add_test(tc, test_mime_multipart);
	tcase_add_test(tc, test_mime_nested_message_and_digest);
	tcase_add_test(tc, test_mime_not_mime_is_kept);
	tcase_add_test(tc, test_mime_plain_7bit_is_identity);
	tcase_add_test(tc, test_mime_long_body_line_in_pieces);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(mime_suite());
}
