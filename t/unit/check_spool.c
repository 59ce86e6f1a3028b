/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the spool: line ends, header removal, stuffing, size. */

#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include "unit.h"

#include "sbuf.h"
#include "spool.h"
#include "spool_unit.h"

static char *tmpdir;

/* spool_setup - a private directory per test */
static void
spool_setup(void)
{
	tmpdir = unit_tmpdir();
}

/* spool_teardown - remove it */
static void
spool_teardown(void)
{
	unit_rmtree(tmpdir);
	free(tmpdir);
}

/* spool_from - spool len bytes of data; fails the test on error */
static struct spool *
spool_from(const char *data, size_t len)
{
	return spool_unit_from(tmpdir, data, len);
}

/* spool_sbuf_write - spool writer into an sbuf, counting calls */
static enum sd_status
spool_sbuf_write(void *ctx, const char *buf, size_t len, struct why *why)
{
	(void)why;
	ck_assert_uint_gt(len, 0);
	sbuf_append(ctx, buf, len);
	return SD_OK;
}

/* spool_out - the stream of sp as a malloc'd string, length in *len */
static char *
spool_out(struct spool *sp, size_t *len)
{
	struct sbuf sb;
	struct why why;
	char *out;

	sbuf_init(&sb);
	ck_assert_int_eq(spool_stream(sp, spool_sbuf_write, &sb, &why), SD_OK);
	*len = sb.len;
	out = sbuf_export(&sb);
	sbuf_fini(&sb);
	return out;
}

/* spool_check - spool in, compare the stream; size = want less dots */
static void
spool_check(const char *in, const char *want, size_t dots)
{
	unsigned long long size = strlen(want) - dots;
	struct spool *sp = spool_from(in, strlen(in));
	size_t len;
	char *out = spool_out(sp, &len);

	ck_assert_msg(len == strlen(want) && memcmp(out, want, len) == 0,
	    "got \"%s\", want \"%s\"", out, want);
	ck_assert_uint_eq(spool_size(sp), size);
	free(out);
	spool_close(sp);
}

START_TEST(test_spool_open_lf_becomes_crlf)
{
	spool_check("A: b\n\nx\ny\n", "A: b\r\n\r\nx\r\ny\r\n", 0);
}
END_TEST

START_TEST(test_spool_open_crlf_kept)
{
	spool_check("A: b\r\n\r\nx\r\ny\r\n", "A: b\r\n\r\nx\r\ny\r\n", 0);
}
END_TEST

START_TEST(test_spool_open_mixed_line_ends)
{
	spool_check("A: b\r\n\nx\ny\r\nz", "A: b\r\n\r\nx\r\ny\r\nz\r\n", 0);
}
END_TEST

START_TEST(test_spool_open_bare_cr_kept)
{
	spool_check("A: b\n\nx\ry\n", "A: b\r\n\r\nx\ry\r\n", 0);
}
END_TEST

START_TEST(test_spool_open_no_final_newline)
{
	spool_check("A: b\n\nlast", "A: b\r\n\r\nlast\r\n", 0);
	spool_check("A: b\n\nlast\r", "A: b\r\n\r\nlast\r\n", 0);
}
END_TEST

START_TEST(test_spool_open_empty_input)
{
	spool_check("", "", 0);
}
END_TEST

START_TEST(test_spool_stream_dot_stuffing)
{
	spool_check("A: b\n\n.a\n..b\nc.\n.\n",
	    "A: b\r\n\r\n..a\r\n...b\r\nc.\r\n..\r\n", 3);
}
END_TEST

START_TEST(test_spool_stream_dot_first_line)
{
	spool_check(".\n", "..\r\n", 1);
}
END_TEST

START_TEST(test_spool_stream_dot_at_chunk_boundary)
{
	size_t n = SPOOL_CHUNK * 2 + 10, len, i, dots = 0;
	char *in = malloc(n + 1), *out;
	struct spool *sp;

	ck_assert_ptr_nonnull(in);
	memset(in, 'x', n);
	memcpy(in, "A: b\r\n\r\n", 8);
	/* Lines end exactly at a chunk end so the next chunk starts a line. */
	in[SPOOL_CHUNK - 2] = '\r';
	in[SPOOL_CHUNK - 1] = '\n';
	in[SPOOL_CHUNK] = '.';
	in[2 * SPOOL_CHUNK - 2] = '\r';
	in[2 * SPOOL_CHUNK - 1] = '\n';
	in[2 * SPOOL_CHUNK] = '.';
	in[n - 2] = '\r';
	in[n - 1] = '\n';
	sp = spool_from(in, n);
	ck_assert_uint_eq(spool_size(sp), n);
	out = spool_out(sp, &len);
	ck_assert_uint_eq(len, n + 2);
	for (i = 0; i + 1 < len; i++)
		if (out[i] == '.' && out[i + 1] == '.')
			dots++;
	ck_assert_uint_eq(dots, 2);
	free(out);
	free(in);
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_open_removes_smtpdirect_headers)
{
	spool_check("X-SMTPDirect-Route: r1\n"
	            "\tcont\n"
	            "  cont2\n"
	            "Subject: s\n"
	            " folded subject\n"
	            "x-smtpdirect-transport: t\r\n"
	            "To: a\n"
	            "X-SMTPDIRECT-Other:\n"
	            "\n"
	            "X-SMTPDirect-Route: in the body stays\n",
	    "Subject: s\r\n folded subject\r\nTo: a\r\n\r\n"
	    "X-SMTPDirect-Route: in the body stays\r\n",
	    0);
}
END_TEST

START_TEST(test_spool_open_keeps_similar_headers)
{
	spool_check("X-SMTP: a\nX-SMTPDirec: b\nX-SMTPDirectX: c\nX: d\n\nb\n",
	    "X-SMTP: a\r\nX-SMTPDirec: b\r\nX-SMTPDirectX: c\r\nX: d\r\n\r\n"
	    "b\r\n",
	    0);
}
END_TEST

START_TEST(test_spool_open_headers_only)
{
	spool_check("Subject: s\nX-SMTPDirect-A: 1", "Subject: s\r\n", 0);
}
END_TEST

START_TEST(test_spool_has_8bit_body)
{
	struct spool *sp = spool_from("A: b\n\ncaf\xc3\xa9\n", 12);

	ck_assert(spool_has_8bit(sp));
	spool_close(sp);
	sp = spool_from("A: b\n\ncafe\n", 11);
	ck_assert(!spool_has_8bit(sp));
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_has_8bit_ignores_removed_header)
{
	struct spool *sp = spool_from("X-SMTPDirect-R: \xc3\xa9\n\nx\n", 23);

	ck_assert(!spool_has_8bit(sp));
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_fingerprint_stable)
{
	struct spool *a = spool_from("A: 1\nB: 2\n\nbody\n", 16);
	struct spool *b = spool_from("A: 1\r\nB: 2\r\n\r\nother body\r\n", 26);
	struct spool *c = spool_from("A: 1\nB: 3\n\nbody\n", 16);

	ck_assert_uint_eq(strlen(spool_fingerprint(a)), SPOOL_FPR_LEN);
	ck_assert_str_eq(spool_fingerprint(a), spool_fingerprint(b));
	ck_assert_str_ne(spool_fingerprint(a), spool_fingerprint(c));
	ck_assert_uint_eq(
	    strspn(spool_fingerprint(a), "0123456789abcdef"), SPOOL_FPR_LEN);
	spool_close(a);
	spool_close(b);
	spool_close(c);
}
END_TEST

START_TEST(test_spool_stream_raw_not_stuffed)
{
	const char *in = ".\n..a\nb\n.c\n\nlast";
	const char *want = ".\r\n..a\r\nb\r\n.c\r\n\r\nlast\r\n";
	struct spool *sp = spool_from(in, strlen(in));
	struct sbuf sb;
	struct why why;

	/* BDAT: the wire form as it is, spool_size() bytes in all. */
	sbuf_init(&sb);
	ck_assert_int_eq(
	    spool_stream_raw(sp, spool_sbuf_write, &sb, &why), SD_OK);
	ck_assert_msg(
	    sb.len == strlen(want) && memcmp(sb.data, want, sb.len) == 0,
	    "got \"%s\", want \"%s\"", sb.data, want);
	ck_assert_uint_eq(spool_size(sp), sb.len);
	/* Again, after a dot-stuffed stream: the same bytes. */
	sbuf_reset(&sb);
	ck_assert_int_eq(spool_stream(sp, spool_sbuf_write, &sb, &why), SD_OK);
	sbuf_reset(&sb);
	ck_assert_int_eq(
	    spool_stream_raw(sp, spool_sbuf_write, &sb, &why), SD_OK);
	ck_assert(sb.len == strlen(want) && memcmp(sb.data, want, sb.len) == 0);
	sbuf_fini(&sb);
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_stream_raw_large_in_chunks)
{
	size_t n = SPOOL_CHUNK * 3 + 7, i;
	char *in = malloc(n);
	struct spool *sp;
	struct sbuf sb;
	struct why why;

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++)
		in[i] = i % 64 == 63 ? '\n' : (i % 64 == 0 ? '.' : 'x');
	sp = spool_from(in, n);
	sbuf_init(&sb);
	ck_assert_int_eq(
	    spool_stream_raw(sp, spool_sbuf_write, &sb, &why), SD_OK);
	ck_assert_uint_eq(sb.len, spool_size(sp));
	/* Each LF gains a CR; the last line, without one, gains CRLF. */
	ck_assert_uint_eq(spool_size(sp), n + n / 64 + (n % 64 != 0 ? 2 : 0));
	sbuf_fini(&sb);
	spool_close(sp);
	free(in);
}
END_TEST

START_TEST(test_spool_stream_twice_same)
{
	struct spool *sp = spool_from("A: b\n\n.x\ny\n", 11);
	size_t l1, l2;
	char *o1 = spool_out(sp, &l1), *o2 = spool_out(sp, &l2);

	ck_assert_uint_eq(l1, l2);
	ck_assert(memcmp(o1, o2, l1) == 0);
	free(o1);
	free(o2);
	o1 = spool_out(sp, &l1);
	ck_assert_uint_eq(l1, l2);
	free(o1);
	spool_close(sp);
}
END_TEST

/* spool_fds - descriptors open in this process */
static int
spool_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/*
 * spool_stale_max - the size of the largest unlinked file in tmpdir we
 * hold open, or -1 (Check keeps one of its own elsewhere)
 */
static long long
spool_stale_max(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat sb;
	char link[64], path[4096];
	long long max = -1;
	ssize_t n;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0)
			continue;
		path[n] = '\0';
		if (strncmp(path, tmpdir, strlen(tmpdir)) == 0 &&
		    fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_nlink == 0 && (long long)sb.st_size > max)
			max = (long long)sb.st_size;
	}
	closedir(d);
	return max;
}

START_TEST(test_spool_reused_file_holds_only_the_new_message)
{
	static char big[100000];
	struct spool *sp;
	size_t i;
	int before;

	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 100 == 99 ? '\n' : 'x';
	spool_reuse_files();
	before = spool_fds();
	sp = spool_from(big, sizeof(big));
	spool_close(sp);
	/* The file stays open for the next message... */
	ck_assert_int_eq(spool_fds(), before + 1);
	ck_assert_int_eq(spool_stale_max(), sizeof(big) + sizeof(big) / 100);
	/* ...which is written over it, and streams nothing of the bigger
	 * one before. */
	spool_check("A: b\n\nshort\n", "A: b\r\n\r\nshort\r\n", 0);
	ck_assert_int_eq(spool_fds(), before + 1);
}
END_TEST

START_TEST(test_spool_reused_file_emptied_past_1mib)
{
	size_t n = 1024 * 1024 + 100, i;
	char *big = malloc(n);
	struct spool *sp;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = i % 100 == 99 ? '\n' : 'x';
	spool_reuse_files();
	sp = spool_from(big, n);
	spool_close(sp);
	/* Kept, but not with a megabyte of an old message in it. */
	ck_assert_int_eq(spool_stale_max(), 0);
	spool_check("A: b\n\nshort\n", "A: b\r\n\r\nshort\r\n", 0);
	free(big);
}
END_TEST

START_TEST(test_spool_open_long_line_intact)
{
	size_t n = 3 * SPOOL_CHUNK + 17, len;
	char *in = malloc(n), *out;
	struct spool *sp;

	ck_assert_ptr_nonnull(in);
	memset(in, 'y', n);
	memcpy(in, "A: b\n\n", 6);
	sp = spool_from(in, n);
	out = spool_out(sp, &len);
	ck_assert_uint_eq(len, n + 4);
	ck_assert(memcmp(out + 8, in + 6, n - 6) == 0);
	ck_assert(memcmp(out + len - 2, "\r\n", 2) == 0);
	free(out);
	free(in);
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_open_long_header_intact)
{
	size_t n = 2 * SPOOL_CHUNK, len;
	char *in = malloc(n), *out;
	struct spool *sp;

	ck_assert_ptr_nonnull(in);
	memset(in, 'h', n);
	in[n - 1] = '\n';
	sp = spool_from(in, n);
	out = spool_out(sp, &len);
	ck_assert_uint_eq(len, n + 1);
	free(out);
	free(in);
	spool_close(sp);
}
END_TEST

/* spool_writer_fails - a writer that refuses */
static enum sd_status
spool_writer_fails(void *ctx, const char *buf, size_t len, struct why *why)
{
	(void)ctx;
	(void)buf;
	(void)len;
	why_set(why, "4.4.2", "lost connection");
	return SD_TEMP;
}

START_TEST(test_spool_stream_writer_error_passed_on)
{
	struct spool *sp = spool_from("A: b\n\nx\n", 8);
	struct why why;

	ck_assert_int_eq(
	    spool_stream(sp, spool_writer_fails, NULL, &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.4.2");
	spool_close(sp);
}
END_TEST

START_TEST(test_spool_open_read_error_is_temp)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	struct spool *sp;
	struct why why;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(spool_open(&sp, fd, tmpdir, &why), SD_TEMP);
	ck_assert_ptr_null(sp);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, "read message"));
	close(fd);
}
END_TEST

START_TEST(test_spool_open_missing_dir_is_temp)
{
	struct spool *sp;
	struct why why;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[1]);
	ck_assert_int_eq(
	    spool_open(&sp, fds[0], "/nonexistent/smtpdirect", &why), SD_TEMP);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_ptr_nonnull(strstr(why.text, "/nonexistent/smtpdirect"));
	close(fds[0]);
}
END_TEST

START_TEST(test_spool_open_write_error_is_temp)
{
	struct rlimit rl = {4096, 4096};
	size_t n = 3 * SPOOL_CHUNK;
	char *in = malloc(n), *path;
	struct spool *sp;
	struct why why;
	int fd;

	ck_assert_ptr_nonnull(in);
	memset(in, 'z', n);
	path = unit_write_file(tmpdir, "big", in, n);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(spool_open(&sp, fd, tmpdir, &why), SD_TEMP);
	ck_assert(why.dsn[0] == '4' && strncmp(why.dsn, "4.3.", 4) == 0);
	ck_assert_ptr_nonnull(strstr(why.text, "write spool file"));
	close(fd);
	free(path);
	free(in);
}
END_TEST

/* Address check table. */
static const struct {
	const char *name; /* case name */
	const char *addr; /* address */
	size_t len; /* bytes, 0 = strlen */
	bool sender; /* checked as sender */
	enum sd_status st; /* wanted */
	const char *dsn; /* wanted code when not OK */
} addr_cases[] = {
    {"plain", "a@b.test", 0, false, SD_OK, ""},
    {"null sender", "", 0, true, SD_OK, ""},
    {"utf8", "j\xc3\xb6rg@b.test", 0, false, SD_OK, ""},
    {"quoted space", "\"a b\"@b.test", 0, false, SD_OK, ""},
    {"CR", "a\r@b.test", 0, false, SD_TEMP, "4.1.3"},
    {"LF sender", "a\n@b.test", 0, true, SD_TEMP, "4.1.7"},
    {"CRLF injection", "a@b.test>\r\nRCPT TO:<c@d.test", 0, false, SD_TEMP,
        "4.1.3"},
    {"NUL", "a\0b@c.test", 10, false, SD_TEMP, "4.1.3"},
    {"tab", "a\tb@c.test", 0, false, SD_TEMP, "4.1.3"},
    {"DEL", "a\x7f@c.test", 0, true, SD_TEMP, "4.1.7"},
};

START_TEST(test_spool_addr_check_table)
{
	size_t len = addr_cases[_i].len ? addr_cases[_i].len
	                                : strlen(addr_cases[_i].addr);
	struct why why;
	enum sd_status st;

	why_reset(&why);
	st = spool_addr_check(
	    addr_cases[_i].addr, len, addr_cases[_i].sender, &why);
	ck_assert_msg(st == addr_cases[_i].st, "case \"%s\": got %d, want %d",
	    addr_cases[_i].name, st, addr_cases[_i].st);
	if (st != SD_OK) {
		ck_assert_msg(strcmp(why.dsn, addr_cases[_i].dsn) == 0,
		    "case \"%s\": got %s, want %s", addr_cases[_i].name,
		    why.dsn, addr_cases[_i].dsn);
		ck_assert_ptr_null(strchr(why.text, '\n'));
		ck_assert_ptr_null(strchr(why.text, '\r'));
	}
}
END_TEST

START_TEST(test_spool_addr_check_too_long)
{
	char addr[SPOOL_ADDR_MAX + 2];
	struct why why;

	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	ck_assert_int_eq(
	    spool_addr_check(addr, strlen(addr), false, &why), SD_TEMP);
	ck_assert_int_eq(
	    spool_addr_check(addr, SPOOL_ADDR_MAX, false, &why), SD_OK);
}
END_TEST

/* spool_suite - the suite */
static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, spool_setup, spool_teardown);
	tcase_add_test(tc, test_spool_open_lf_becomes_crlf);
	tcase_add_test(tc, test_spool_open_crlf_kept);
	tcase_add_test(tc, test_spool_open_mixed_line_ends);
	tcase_add_test(tc, test_spool_open_bare_cr_kept);
	tcase_add_test(tc, test_spool_open_no_final_newline);
	tcase_add_test(tc, test_spool_open_empty_input);
	tcase_add_test(tc, test_spool_open_removes_smtpdirect_headers);
	tcase_add_test(tc, test_spool_open_keeps_similar_headers);
	tcase_add_test(tc, test_spool_open_headers_only);
	tcase_add_test(tc, test_spool_open_long_line_intact);
	tcase_add_test(tc, test_spool_open_long_header_intact);
	tcase_add_test(tc, test_spool_has_8bit_body);
	tcase_add_test(tc, test_spool_has_8bit_ignores_removed_header);
	tcase_add_test(tc, test_spool_fingerprint_stable);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_checked_fixture(tc, spool_setup, spool_teardown);
	tcase_add_test(tc, test_spool_stream_dot_stuffing);
	tcase_add_test(tc, test_spool_stream_dot_first_line);
	tcase_add_test(tc, test_spool_stream_dot_at_chunk_boundary);
	tcase_add_test(tc, test_spool_stream_twice_same);
	tcase_add_test(tc, test_spool_stream_raw_not_stuffed);
	tcase_add_test(tc, test_spool_stream_raw_large_in_chunks);
	tcase_add_test(tc, test_spool_reused_file_holds_only_the_new_message);
	tcase_add_test(tc, test_spool_reused_file_emptied_past_1mib);
	tcase_add_test(tc, test_spool_stream_writer_error_passed_on);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, spool_setup, spool_teardown);
	tcase_add_test(tc, test_spool_open_read_error_is_temp);
	tcase_add_test(tc, test_spool_open_missing_dir_is_temp);
	tcase_add_test(tc, test_spool_open_write_error_is_temp);
	suite_add_tcase(s, tc);
	tc = tcase_create("addr");
	tcase_add_loop_test(tc, test_spool_addr_check_table, 0,
	    (int)(sizeof(addr_cases) / sizeof(addr_cases[0])));
	tcase_add_test(tc, test_spool_addr_check_too_long);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(spool_suite());
}
