/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* http: HTTPS requests through libcurl, loaded with dlopen(3). */

#include <arpa/inet.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "xalloc.h"

#define HTTP_CONNECT_MS_MAX 10000 /* longest wait for a connection */
#define HTTP_RESOLVE_MAX 1024 /* "host:port:addr,..." bytes */

/* The functions of libcurl we call, from dlsym(3). */
typedef CURLcode (*http_global_init_fn)(long flags);
typedef void (*http_global_cleanup_fn)(void);
typedef CURL *(*http_init_fn)(void);
typedef CURLcode (*http_setopt_fn)(CURL *c, CURLoption opt, ...);
typedef CURLcode (*http_perform_fn)(CURL *c);
typedef CURLcode (*http_getinfo_fn)(CURL *c, CURLINFO info, ...);
typedef void (*http_cleanup_fn)(CURL *c);
typedef const char *(*http_strerror_fn)(CURLcode e);
typedef struct curl_slist *(*http_slist_append_fn)(
    struct curl_slist *l, const char *s);
typedef void (*http_slist_free_fn)(struct curl_slist *l);

/* A loaded libcurl. */
struct http {
	void *lib; /* dlopen(3) handle */
	http_global_init_fn global_init;
	http_global_cleanup_fn global_cleanup;
	http_init_fn init;
	http_setopt_fn setopt;
	http_perform_fn perform;
	http_getinfo_fn getinfo;
	http_cleanup_fn cleanup;
	http_strerror_fn strerror;
	http_slist_append_fn slist_append;
	http_slist_free_fn slist_free;
};

/* One function to look up: its name and where its address goes. */
struct http_sym {
	const char *name; /* exported name */
	void **to; /* the member of struct http */
};

/* Where one request's body goes. */
struct http_sink {
	struct sbuf *body; /* the answer's body */
	size_t max; /* its cap */
	bool over; /* more came than the cap */
};

/* http_resp_init - an empty answer */
void
http_resp_init(struct http_resp *r)
{
	r->code = 0;
	r->type[0] = '\0';
	sbuf_init(&r->body);
}

/* http_resp_fini - release its body */
void
http_resp_fini(struct http_resp *r)
{
	sbuf_fini(&r->body);
}

/* http_open - dlopen libcurl, find its functions, initialise it */
enum http_status
http_open(struct http **out, struct why *why)
{
	struct http *h = xcalloc(1, sizeof(*h));
	const struct http_sym syms[] = {
	    {"curl_global_init", (void **)&h->global_init},
	    {"curl_global_cleanup", (void **)&h->global_cleanup},
	    {"curl_easy_init", (void **)&h->init},
	    {"curl_easy_setopt", (void **)&h->setopt},
	    {"curl_easy_perform", (void **)&h->perform},
	    {"curl_easy_getinfo", (void **)&h->getinfo},
	    {"curl_easy_cleanup", (void **)&h->cleanup},
	    {"curl_easy_strerror", (void **)&h->strerror},
	    {"curl_slist_append", (void **)&h->slist_append},
	    {"curl_slist_free_all", (void **)&h->slist_free},
	};
	const char *err;
	size_t i;

	*out = NULL;
	/* Local: its OpenSSL must not stand in for ours, nor ours for it. */
	if ((h->lib = dlopen(HTTP_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		why_set(why, "4.3.0", "cannot load %s: %.200s", HTTP_LIBRARY,
		    err != NULL ? err : "unknown error");
		free(h);
		return HTTP_NOLIB;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].to = dlsym(h->lib, syms[i].name);
		if (*syms[i].to == NULL) {
			why_set(why, "4.3.0", "%s has no %s", HTTP_LIBRARY,
			    syms[i].name);
			goto fail;
		}
	}
	if (h->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		why_set(
		    why, "4.3.0", "%s: curl_global_init failed", HTTP_LIBRARY);
		goto fail;
	}
	*out = h;
	return HTTP_OK;

fail:
	dlclose(h->lib);
	free(h);
	return HTTP_NOLIB;
}

/* http_close - clean up and unload */
void
http_close(struct http *h)
{
	if (h == NULL)
		return;
	h->global_cleanup();
	dlclose(h->lib);
	free(h);
}

/* http_on_body - libcurl's write callback: keep up to the cap */
static size_t
http_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_sink *sink = arg;
	size_t len = size * n;

	if (len > sink->max - sink->body->len) {
		sink->over = true;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
	sbuf_append(sink->body, p, len);
	return len;
}

/* http_url_host - the host and port of an https URL */
bool
http_url_host(const char *url, char *host, unsigned *port)
{
	const char *p, *e;
	unsigned long v = 443;
	char *end;
	size_t n;

	if (strncasecmp(url, "https://", 8) != 0)
		return false;
	p = url + 8;
	n = strcspn(p, ":/?#");
	if (n == 0 || n > HTTP_HOST_MAX || p[0] == '[')
		return false;
	e = p + n;
	if (*e == ':') {
		v = strtoul(e + 1, &end, 10);
		if (end == e + 1 || v == 0 || v > 65535 ||
		    (*end != '\0' && *end != '/' && *end != '?' && *end != '#'))
			return false;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	*port = (unsigned)v;
	return true;
}

/* http_type_is - media type of a Content-Type value */
bool
http_type_is(const char *value, const char *type)
{
	size_t n = strlen(type);

	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, type, n) != 0)
		return false;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';';
}

/*
 * http_pin - "host:port:addr,addr" for CURLOPT_RESOLVE, so that libcurl
 * connects where our resolver said; false when none fits
 */
static bool
http_pin(const char *url, const struct http_opts *o, char *buf, size_t size)
{
	char host[HTTP_HOST_MAX + 1];
	unsigned char bin[16];
	unsigned port;
	size_t i, len;
	int n;

	if (!http_url_host(url, host, &port) || o->addrs_n == 0)
		return false;
	n = snprintf(buf, size, "%s:%u:", host, port);
	if (n < 0 || (size_t)n >= size)
		return false;
	len = (size_t)n;
	for (i = 0; i < o->addrs_n && i < HTTP_ADDRS_MAX; i++) {
		bool v6 = inet_pton(AF_INET6, o->addrs[i], bin) == 1;

		if (!v6 && inet_pton(AF_INET, o->addrs[i], bin) != 1)
			return false;
		n = snprintf(buf + len, size - len, "%s%s%s%s",
		    i > 0 ? "," : "", v6 ? "[" : "", o->addrs[i],
		    v6 ? "]" : "");
		if (n < 0 || (size_t)n >= size - len)
			return false;
		len += (size_t)n;
	}
	return true;
}

/* http_setup - the options every request gets */
static void
http_setup(struct http *h, CURL *c, const char *url, const struct http_opts *o,
    struct curl_slist *pin, struct http_sink *sink, char *err)
{
	long connect_ms = o->timeout_ms < HTTP_CONNECT_MS_MAX
	    ? (long)o->timeout_ms
	    : HTTP_CONNECT_MS_MAX;

	h->setopt(c, CURLOPT_URL, url);
	h->setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	h->setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	h->setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	h->setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	h->setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file != NULL && o->ca_file[0] != '\0')
		h->setopt(c, CURLOPT_CAINFO, o->ca_file);
	h->setopt(c, CURLOPT_RESOLVE, pin);
	/* Not through a proxy from the environment: our addresses only. */
	h->setopt(c, CURLOPT_PROXY, "");
	h->setopt(c, CURLOPT_NOSIGNAL, 1L);
	h->setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	h->setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	h->setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->body_max);
	h->setopt(c, CURLOPT_USERAGENT, "smtpdirect/" SMTPDIRECT_VERSION);
	h->setopt(c, CURLOPT_WRITEFUNCTION, http_on_body);
	h->setopt(c, CURLOPT_WRITEDATA, sink);
	h->setopt(c, CURLOPT_ERRORBUFFER, err);
}

/* http_run - one request, set up by the caller; the answer into r */
static enum http_status
http_run(struct http *h, CURL *c, const char *url, const struct http_opts *o,
    struct http_resp *r, struct why *why)
{
	char err[CURL_ERROR_SIZE] = "", pin[HTTP_RESOLVE_MAX];
	struct http_sink sink = {&r->body, o->body_max, false};
	struct curl_slist *l = NULL;
	const char *type = NULL;
	enum http_status st = HTTP_OK;
	CURLcode e;

	sbuf_reset(&r->body);
	r->code = 0;
	r->type[0] = '\0';
	if (!http_pin(url, o, pin, sizeof(pin)) ||
	    (l = h->slist_append(NULL, pin)) == NULL) {
		why_set(why, "4.4.3", "%.200s: no address to connect to", url);
		return HTTP_FAIL;
	}
	http_setup(h, c, url, o, l, &sink, err);
	e = h->perform(c);
	if (e == CURLE_OK) {
		(void)h->getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
		if (h->getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK &&
		    type != NULL)
			snprintf(r->type, sizeof(r->type), "%s", type);
	} else if (sink.over || e == CURLE_FILESIZE_EXCEEDED) {
		why_set(why, "4.7.0", "%.200s: answer larger than %zu bytes",
		    url, o->body_max);
		st = HTTP_FAIL;
	} else {
		why_set(why, e == CURLE_OPERATION_TIMEDOUT ? "4.4.2" : "4.4.1",
		    "%.200s: %.200s", url,
		    err[0] != '\0' ? err : h->strerror(e));
		st =
		    e == CURLE_PEER_FAILED_VERIFICATION ? HTTP_CERT : HTTP_FAIL;
	}
	h->slist_free(l);
	return st;
}

/* http_get - GET */
enum http_status
http_get(struct http *h, const char *url, const struct http_opts *o,
    struct http_resp *r, struct why *why)
{
	CURL *c = h->init();
	enum http_status st;

	if (c == NULL) {
		why_set(why, "4.3.0", "curl_easy_init failed");
		return HTTP_FAIL;
	}
	h->setopt(c, CURLOPT_HTTPGET, 1L);
	st = http_run(h, c, url, o, r, why);
	h->cleanup(c);
	return st;
}

/* http_post - POST a body of the given type */
enum http_status
http_post(struct http *h, const char *url, const char *type, const void *body,
    size_t len, const struct http_opts *o, struct http_resp *r, struct why *why)
{
	CURL *c = h->init();
	struct curl_slist *hdr = NULL;
	char line[HTTP_TYPE_MAX + 16];
	enum http_status st;

	if (c == NULL) {
		why_set(why, "4.3.0", "curl_easy_init failed");
		return HTTP_FAIL;
	}
	snprintf(line, sizeof(line), "Content-Type: %s", type);
	if ((hdr = h->slist_append(NULL, line)) == NULL) {
		h->cleanup(c);
		why_set(why, "4.3.0", "out of memory");
		return HTTP_FAIL;
	}
	h->setopt(c, CURLOPT_POST, 1L);
	h->setopt(c, CURLOPT_POSTFIELDS, body);
	h->setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	h->setopt(c, CURLOPT_HTTPHEADER, hdr);
	st = http_run(h, c, url, o, r, why);
	h->cleanup(c);
	h->slist_free(hdr);
	return st;
}
