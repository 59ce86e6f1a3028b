/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * tlsrpt_send: a report compressed with gzip, and sent: by mail through
 * sendmail(1) (RFC 8460 section 5.3) or by HTTPS POST (section 5.2).
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "mono.h"
#include "msg.h"
#include "tlsrpt.h"
#include "xalloc.h"

#define TLSRPT_MAIL_WAIT_MS 60000 /* longest wait for sendmail(1) */
#define TLSRPT_B64_LINE 57 /* bytes per base64 line (76 characters) */
#define TLSRPT_ADDR_MAX 320 /* longest report address */

/* tlsrpt_gzip - gzip format (deflate, window 15, +16: gzip header) */
enum sd_status
tlsrpt_gzip(const void *data, size_t len, struct sbuf *out, struct why *why)
{
	z_stream z;
	unsigned char buf[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	sbuf_reset(out);
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK) {
		why_set(why, "4.3.0", "gzip: cannot start");
		return SD_TEMP;
	}
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		rc = deflate(&z, Z_FINISH);
		sbuf_append(out, buf, sizeof(buf) - z.avail_out);
	} while (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0));
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		why_set(why, "4.3.0", "gzip: failed (%d)", rc);
		return SD_TEMP;
	}
	return SD_OK;
}

/* tlsrpt_day_start - the epoch seconds of a day's 00:00:00 UTC */
static long long
tlsrpt_day_start(const char *day)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(day, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return (long long)timegm(&tm);
}

/* tlsrpt_mail_format - the multipart/report message of section 5.3 */
void
tlsrpt_mail_format(const struct tlsrpt_report *r, const struct tlsrpt_org *org,
    const char *address, time_t now, struct sbuf *out)
{
	char date[64], b64[TLSRPT_B64_LINE * 2];
	const unsigned char *gz = r->gz;
	long long start = tlsrpt_day_start(r->day);
	struct tm tm;
	size_t i, n;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) ==
	        0)
		snprintf(date, sizeof(date), "Thu, 01 Jan 1970 00:00:00 +0000");
	sbuf_reset(out);
	sbuf_printf(out,
	    "From: <%s>\r\nDate: %s\r\nSubject: Report Domain: %s "
	    "Submitter: %s Report-ID: <%s>\r\nTLS-Report-Domain: %s\r\n"
	    "TLS-Report-Submitter: %s\r\nTo: <%s>\r\nMessage-ID: <%s>\r\n"
	    "Auto-Submitted: auto-generated\r\nTLS-Required: No\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
	    "\tboundary=\"tlsrpt-%s\"\r\n\r\n",
	    org->contact, date, r->domain, org->submitter, r->id, r->domain,
	    org->submitter, address, r->id, r->day);
	sbuf_printf(out,
	    "--tlsrpt-%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is an aggregate TLS report (RFC 8460) from %s for %s,\r\n"
	    "%s 00:00:00 to 23:59:59 UTC.\r\n\r\n",
	    r->day, org->submitter, r->domain, r->day);
	sbuf_printf(out,
	    "--tlsrpt-%s\r\nContent-Type: " TLSRPT_MEDIA_GZIP "\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment;\r\n"
	    "\tfilename=\"%s!%s!%lld!%lld.json.gz\"\r\n\r\n",
	    r->day, org->submitter, r->domain, start, start + 86399);
	for (i = 0; i < r->gz_len; i += n) {
		n = r->gz_len - i < TLSRPT_B64_LINE ? r->gz_len - i
		                                    : TLSRPT_B64_LINE;
		EVP_EncodeBlock((unsigned char *)b64, gz + i, (int)n);
		sbuf_printf(out, "%s\r\n", b64);
	}
	sbuf_printf(out, "\r\n--tlsrpt-%s--\r\n", r->day);
}

/* tlsrpt_hex - a hex digit's value, -1 for anything else */
static int
tlsrpt_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * tlsrpt_mailto - the address of a mailto: URI (up to "?", %XX
 * decoded) into addr; false when it is not a plain address
 */
static bool
tlsrpt_mailto(const char *uri, char *addr, size_t size)
{
	const char *p = uri + 7;
	size_t n = 0;
	int hi, lo;

	for (; *p != '\0' && *p != '?'; p++) {
		int ch = (unsigned char)*p;

		if (ch == '%') {
			if ((hi = tlsrpt_hex(p[1])) < 0 ||
			    (lo = tlsrpt_hex(p[2])) < 0)
				return false;
			ch = hi * 16 + lo;
			p += 2;
		}
		if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' ||
		    n + 1 >= size)
			return false;
		addr[n++] = (char)ch;
	}
	addr[n] = '\0';
	return n > 0 && strchr(addr, '@') != NULL && addr[0] != '-';
}

/* tlsrpt_write_all - the whole buffer to fd; false on failure */
static bool
tlsrpt_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* tlsrpt_wait - the child's exit, within TLSRPT_MAIL_WAIT_MS */
static int
tlsrpt_wait(pid_t pid)
{
	long long end = mono_now_ms() + TLSRPT_MAIL_WAIT_MS;
	int status = 0;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && mono_now_ms() < end)
		(void)poll(NULL, 0, 50);
	if (r == 0) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		return -1;
	}
	return r == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* tlsrpt_sendmail - the message to address through sendmail(1) */
static enum sd_status
tlsrpt_sendmail(const char *sendmail, const char *from, const char *address,
    const struct sbuf *msg, struct why *why)
{
	int fd[2], rc;
	pid_t pid;
	bool wrote;

	if (pipe(fd) < 0) {
		why_set(why, "4.3.0", "pipe: %s", strerror(errno));
		return SD_TEMP;
	}
	if ((pid = fork()) < 0) {
		why_set(why, "4.3.0", "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return SD_TEMP;
	}
	if (pid == 0) {
		(void)dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		execl(sendmail, "sendmail", "-oi", "-f", from, "--", address,
		    (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	wrote = tlsrpt_write_all(fd[1], msg->data, msg->len);
	close(fd[1]);
	rc = tlsrpt_wait(pid);
	if (!wrote || rc != 0) {
		why_set(why, "4.3.0", "%s -f %s -- %s: %s", sendmail, from,
		    address,
		    rc == 127    ? "cannot be run"
		        : rc < 0 ? "did not end well"
		                 : "exit status not 0");
		return SD_TEMP;
	}
	return SD_OK;
}

/* tlsrpt_post - HTTPS POST of the compressed report */
static enum sd_status
tlsrpt_post(const char *uri, const struct tlsrpt_report *r,
    const struct tlsrpt_send_opts *o, struct why *why)
{
	char host[HTTP_HOST_MAX + 1], bufs[HTTP_ADDRS_MAX][DNS_ADDR_TEXT_MAX];
	const char *addrs[HTTP_ADDRS_MAX];
	struct http_opts ho;
	struct http_resp resp;
	struct dns_host h;
	enum http_status hs;
	unsigned port;
	size_t i;

	if (!http_url_host(uri, host, &port)) {
		why_set(why, "5.1.3", "%.200s: not an https URL", uri);
		return SD_PERM;
	}
	memset(&ho, 0, sizeof(ho));
	if (dns_host_lookup(o->dns, host, &h, why) == DNS_OK) {
		for (i = 0; i < h.addrs_n && i < HTTP_ADDRS_MAX; i++)
			addrs[i] = dns_addr_str(
			    &h.addrs[i], bufs[i], DNS_ADDR_TEXT_MAX);
		ho.addrs_n = i;
	}
	dns_host_fini(&h);
	if (ho.addrs_n == 0)
		return SD_TEMP;
	ho.ca_file = o->ca_file;
	ho.timeout_ms = o->timeout_ms;
	ho.addrs = addrs;
	ho.body_max = 4096;
	http_resp_init(&resp);
	hs = http_post(
	    o->http, uri, TLSRPT_MEDIA_GZIP, r->gz, r->gz_len, &ho, &resp, why);
	if (hs == HTTP_OK && (resp.code < 200 || resp.code > 299)) {
		why_set(
		    why, "4.3.0", "%.200s: HTTP status %ld", uri, resp.code);
		hs = HTTP_FAIL;
	}
	http_resp_fini(&resp);
	return hs == HTTP_OK ? SD_OK : SD_TEMP;
}

/* tlsrpt_send - by the URI's scheme */
enum sd_status
tlsrpt_send(const char *uri, const struct tlsrpt_report *r,
    const struct tlsrpt_send_opts *o, struct why *why)
{
	char addr[TLSRPT_ADDR_MAX];
	struct sbuf msg;
	enum sd_status st;

	if (strncasecmp(uri, "https://", 8) == 0) {
		if (o->http == NULL) {
			why_set(why, "4.3.0", "%.200s: no HTTPS client", uri);
			return SD_TEMP;
		}
		return tlsrpt_post(uri, r, o, why);
	}
	if (strncasecmp(uri, "mailto:", 7) != 0 ||
	    !tlsrpt_mailto(uri, addr, sizeof(addr))) {
		why_set(why, "5.1.3", "%.200s: not a usable report URI", uri);
		return SD_PERM;
	}
	sbuf_init(&msg);
	tlsrpt_mail_format(r, o->org, addr, time(NULL), &msg);
	st = tlsrpt_sendmail(o->sendmail, o->org->contact, addr, &msg, why);
	sbuf_fini(&msg);
	return st;
}
