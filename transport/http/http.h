/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	http - HTTPS GET and POST over libcurl, loaded on first use
 * DESCRIPTION
 *	The HTTPS client of MTA-STS policy fetches (sts.h) and TLS report
 *	uploads (tlsrpt.h). HTTPS only; the server's certificate must
 *	chain to the CA bundle given (else the system store) and carry
 *	the URL's host name; TLS 1.2 or later; redirects are never
 *	followed (a 3xx answer is returned as it came, for the caller to
 *	refuse); no proxy, no cookies, no cache; the whole exchange is
 *	bounded by a time limit and the body kept by a size cap (more is
 *	a failure). The URL's host is connected to at the addresses the
 *	caller resolved (through smtpdirect's own resolver, so that
 *	dns_servers holds for it too), never through the C library's.
 *	libcurl (Debian's libcurl4, OpenSSL flavour) is opened with
 *	dlopen(3) the first time it is needed: a process that fetches
 *	nothing never loads it and the thirty libraries it brings, and
 *	its OpenSSL stays apart from the one linked into smtpdirect-core
 *	(LINK=static), which exports none of its symbols.
 * OWNERSHIP
 *	http_open() loads the library into a new handle that
 *	http_close() releases. Responses are caller-owned
 *	(http_resp_init/_fini). Options and request bodies are borrowed
 *	for the call.
 * THREADS
 *	Not thread-safe: one handle in one thread at a time
 *	(curl_global_init(3) is called by http_open()).
 * ERRORS
 *	http_open(): HTTP_OK or HTTP_NOLIB (libcurl could not be loaded,
 *	why names it). Requests: HTTP_OK: an answer came (any status code: the caller judges it).
 *	HTTP_FAIL: no usable answer (resolution, connection, TLS
 *	handshake, time limit, a body over the cap): why says which.
 *	HTTP_CERT: the server's certificate did not verify for the host.
 *	All failures are temporary.
 * SEE ALSO
 *	libcurl-easy(3), CURLOPT_RESOLVE(3); RFC 8461 section 3.3,
 *	RFC 8460 section 5.2.
 */
#ifndef SMTPDIRECT_HTTP_H
#define SMTPDIRECT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"
#include "why.h"

#define HTTP_LIBRARY "libcurl.so.4" /* the soname loaded */
#define HTTP_ADDRS_MAX 8 /* most addresses of a host connected to */
#define HTTP_TYPE_MAX 128 /* longest Content-Type kept, bytes */
#define HTTP_HOST_MAX 253 /* longest host name in a URL */

/* Results. */
enum http_status {
	HTTP_OK = 0, /* an answer came (see http_resp.code) */
	HTTP_FAIL, /* no usable answer */
	HTTP_CERT, /* the server's certificate did not verify */
	HTTP_NOLIB /* libcurl could not be loaded */
};

/* How to make one request. */
struct http_opts {
	const char *ca_file; /* CA bundle; NULL or "" = the system store */
	unsigned long timeout_ms; /* the whole exchange */
	const char *const *addrs; /* numeric addresses of the URL's host */
	size_t addrs_n; /* entries in addrs, 1..HTTP_ADDRS_MAX */
	size_t body_max; /* bytes of answer kept; more fails the call */
};

/* An answer. */
struct http_resp {
	long code; /* HTTP status code */
	char type[HTTP_TYPE_MAX]; /* Content-Type, "" when none */
	struct sbuf body; /* the body, at most body_max bytes */
};

struct http;

/*
 * Load libcurl and initialise it into *out (NULL on failure).
 * Returns: HTTP_OK, HTTP_NOLIB.
 */
enum http_status http_open(struct http **out, struct why *why);

/* Release the handle (and the library); NULL is ignored. */
void http_close(struct http *h);

/* Prepare an empty answer (release with http_resp_fini). */
void http_resp_init(struct http_resp *r);

/* Release an answer's body. */
void http_resp_fini(struct http_resp *r);

/*
 * GET url (https://HOST[:PORT]/PATH) into *r (reset first).
 * Returns: HTTP_OK, HTTP_FAIL, HTTP_CERT.
 */
enum http_status http_get(struct http *h, const char *url,
    const struct http_opts *o, struct http_resp *r, struct why *why);

/*
 * POST len bytes of body with Content-Type type to url; the answer
 * goes to *r as for http_get().
 * Returns: HTTP_OK, HTTP_FAIL, HTTP_CERT.
 */
enum http_status http_post(struct http *h, const char *url, const char *type,
    const void *body, size_t len, const struct http_opts *o,
    struct http_resp *r, struct why *why);

/*
 * The host of an https URL ("https://HOST[:PORT]/...") into host
 * (HTTP_HOST_MAX + 1 bytes) and its port (443 unless given) into
 * *port. False when url is not such a URL.
 */
bool http_url_host(const char *url, char *host, unsigned *port);

/*
 * Whether a Content-Type value names media type type/subtype (case
 * insensitive; parameters such as "; charset=utf-8" allowed).
 */
bool http_type_is(const char *value, const char *type);

#endif
