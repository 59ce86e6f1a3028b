/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* sts_fetch: an MTA-STS policy over HTTPS (RFC 8461 section 3.3). */

#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "sts_int.h"

#define STS_URL_MAX (DNS_NAME_MAX + 64) /* the policy's URL, bytes */

/*
 * sts_fetch_addrs - the addresses of the policy host, as text, into
 * bufs (HTTP_ADDRS_MAX of DNS_ADDR_TEXT_MAX bytes); how many
 */
static size_t
sts_fetch_addrs(struct dns *dns, const char *host,
    char bufs[][DNS_ADDR_TEXT_MAX], const char **addrs, struct why *why)
{
	struct dns_host h;
	size_t i, n = 0;

	if (dns_host_lookup(dns, host, &h, why) == DNS_OK) {
		for (i = 0; i < h.addrs_n && n < HTTP_ADDRS_MAX; i++, n++)
			addrs[n] = dns_addr_str(
			    &h.addrs[i], bufs[n], DNS_ADDR_TEXT_MAX);
	}
	dns_host_fini(&h);
	return n;
}

/* sts_fetch - section 3.3: GET, no redirects, 200, text/plain, parse */
enum sts_fetch_result
sts_fetch(struct http *h, struct dns *dns, const char *domain,
    const char *ca_file, unsigned long timeout_ms, struct sts_policy *out,
    struct why *why)
{
	char host[DNS_NAME_MAX + 16], url[STS_URL_MAX];
	char bufs[HTTP_ADDRS_MAX][DNS_ADDR_TEXT_MAX];
	const char *addrs[HTTP_ADDRS_MAX];
	struct http_opts o;
	struct http_resp r;
	enum http_status hs;
	enum sts_fetch_result res = STS_FETCH_ERROR;
	struct why w;

	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
	memset(&o, 0, sizeof(o));
	o.ca_file = ca_file;
	o.timeout_ms = timeout_ms;
	o.addrs = addrs;
	o.body_max = STS_POLICY_MAX;
	why_reset(&w);
	if ((o.addrs_n = sts_fetch_addrs(dns, host, bufs, addrs, &w)) == 0) {
		why_set(why, "4.4.3", "MTA-STS policy host %s: no address: %s",
		    host, w.text);
		return STS_FETCH_ERROR;
	}
	http_resp_init(&r);
	hs = http_get(h, url, &o, &r, &w);
	if (hs == HTTP_CERT) {
		why_set(
		    why, "4.7.5", "MTA-STS policy of %s: %s", domain, w.text);
		res = STS_FETCH_WEBPKI;
	} else if (hs != HTTP_OK) {
		why_set(why, w.dsn, "MTA-STS policy of %s: %s", domain, w.text);
	} else if (r.code >= 300 && r.code < 400) {
		why_set(why, "4.7.0",
		    "MTA-STS policy of %s: %s answered with a redirect (HTTP "
		    "%ld), which is not followed",
		    domain, url, r.code);
	} else if (r.code != 200) {
		why_set(why, "4.7.0",
		    "MTA-STS policy of %s: %s: HTTP status %ld", domain, url,
		    r.code);
	} else if (!http_type_is(r.type, "text/plain")) {
		why_set(why, "4.7.0",
		    "MTA-STS policy of %s: %s: Content-Type \"%.60s\", not "
		    "text/plain",
		    domain, url, r.type);
	} else if (sts_policy_parse(r.body.data, r.body.len, out, &w) !=
	    STS_OK) {
		why_set(
		    why, "4.7.0", "MTA-STS policy of %s: %s", domain, w.text);
		res = STS_FETCH_INVALID;
	} else {
		res = STS_FETCH_OK;
	}
	http_resp_fini(&r);
	msg_debug("%s: MTA-STS fetch: %s%s%s", domain, sts_fetch_name(res),
	    res != STS_FETCH_OK ? ": " : "",
	    res != STS_FETCH_OK ? why->text : "");
	return res;
}
