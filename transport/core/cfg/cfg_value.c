/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Configuration values: numbers, durations, booleans, TLS, server lists. */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "msg.h"
#include "xalloc.h"

/* Names of enum cfg_tls, in enum order. */
static const char *const cfg_tls_names[] = {
    "none", "may", "encrypt", "verify", "dane", "implicit"};

#define CFG_TLS_N (sizeof(cfg_tls_names) / sizeof(cfg_tls_names[0]))

/* Names of enum cfg_family, in enum order. */
static const char *const cfg_family_names[] = {"any", "ipv4", "ipv6"};

#define CFG_FAMILY_N (sizeof(cfg_family_names) / sizeof(cfg_family_names[0]))

/* Boolean spellings and their values. */
static const struct {
	const char *name;
	bool value;
} cfg_bool_names[] = {
    {"yes", true},
    {"no", false},
    {"true", true},
    {"false", false},
    {"on", true},
    {"off", false},
    {"1", true},
    {"0", false},
};

static void cfg_err_set(struct cfg_err *err, size_t offset, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static bool cfg_value_ulong(const char *s, size_t len, unsigned long *out);
static bool cfg_value_number(const struct cfg_param *p, const char *value,
    unsigned long *out, struct cfg_err *err);
static bool cfg_value_text(
    const struct cfg_param *p, const char *value, struct cfg_err *err);
static bool cfg_value_bool(const char *value, bool *out, struct cfg_err *err);
static bool cfg_server_parse(const char *s, size_t len, size_t base,
    struct cfg_server *srv, struct cfg_err *err);
static bool cfg_value_servers(
    struct cfg *cfg, const char *value, struct cfg_err *err);

/* cfg_err_set - fill a value error */
static void
cfg_err_set(struct cfg_err *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

/* cfg_value_ulong - exactly len decimal digits, overflow checked */
static bool
cfg_value_ulong(const char *s, size_t len, unsigned long *out)
{
	char buf[32];
	char *end;
	unsigned long long v;
	size_t i;

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v > ULONG_MAX)
		return false;
	*out = (unsigned long)v;
	return true;
}

/* cfg_parse_duration - digits and an optional unit s, m, h or d */
bool
cfg_parse_duration(const char *s, unsigned long *out)
{
	size_t len = strlen(s);
	unsigned long n, mult = 1;

	if (len > 0) {
		switch (s[len - 1]) {
		case 's':
			mult = 1;
			len--;
			break;
		case 'm':
			mult = 60;
			len--;
			break;
		case 'h':
			mult = 3600;
			len--;
			break;
		case 'd':
			mult = 86400;
			len--;
			break;
		default:
			break;
		}
	}
	if (!cfg_value_ulong(s, len, &n) || n > ULONG_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

/* cfg_tls_name - the name of a policy */
const char *
cfg_tls_name(enum cfg_tls tls)
{
	if ((unsigned)tls >= CFG_TLS_N)
		msg_panic("%s: bad policy %d", __func__, (int)tls);
	return cfg_tls_names[tls];
}

/* cfg_family_name - the name of an address family setting */
const char *
cfg_family_name(enum cfg_family family)
{
	if ((unsigned)family >= CFG_FAMILY_N)
		msg_panic("%s: bad family %d", __func__, (int)family);
	return cfg_family_names[family];
}

/* cfg_family_parse - an address family setting by name */
bool
cfg_family_parse(const char *s, enum cfg_family *out)
{
	size_t i;

	for (i = 0; i < CFG_FAMILY_N; i++) {
		if (strcmp(s, cfg_family_names[i]) == 0) {
			*out = (enum cfg_family)i;
			return true;
		}
	}
	return false;
}

/* cfg_tls_parse - a policy by name */
bool
cfg_tls_parse(const char *s, enum cfg_tls *out)
{
	size_t i;

	for (i = 0; i < CFG_TLS_N; i++) {
		if (strcmp(s, cfg_tls_names[i]) == 0) {
			*out = (enum cfg_tls)i;
			return true;
		}
	}
	return false;
}

/* cfg_value_number - an integer, port or duration within the row's range */
static bool
cfg_value_number(const struct cfg_param *p, const char *value,
    unsigned long *out, struct cfg_err *err)
{
	unsigned long n;

	if (p->type == CFG_T_DURATION) {
		if (!cfg_parse_duration(value, &n)) {
			cfg_err_set(err, 0,
			    "bad duration \"%s\" for %s: want a number with "
			    "an optional unit s, m, h or d",
			    value, p->name);
			return false;
		}
	} else if (!cfg_value_ulong(value, strlen(value), &n)) {
		cfg_err_set(err, 0, "bad number \"%s\" for %s", value, p->name);
		return false;
	}
	if (n < p->min || n > p->max) {
		cfg_err_set(err, 0, "%s = %s is out of range %lu-%lu%s",
		    p->name, value, p->min, p->max,
		    p->type == CFG_T_DURATION ? " seconds" : "");
		return false;
	}
	*out = n;
	return true;
}

/* cfg_value_text - check a string or path value */
static bool
cfg_value_text(
    const struct cfg_param *p, const char *value, struct cfg_err *err)
{
	size_t i, len = strlen(value);

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f ||
		    (p->type == CFG_T_STRING && c == ' ')) {
			cfg_err_set(err, i, "%s: %s not allowed in the value",
			    p->name, c == ' ' ? "space" : "control character");
			return false;
		}
	}
	if (len < p->min) {
		cfg_err_set(err, 0, "%s must not be empty", p->name);
		return false;
	}
	if (len > p->max) {
		cfg_err_set(
		    err, 0, "%s: value longer than %lu bytes", p->name, p->max);
		return false;
	}
	if (p->type == CFG_T_PATH && len > 0 && value[0] != '/') {
		cfg_err_set(err, 0, "%s: \"%s\" is not an absolute path",
		    p->name, value);
		return false;
	}
	return true;
}

/* cfg_value_bool - yes/no and friends */
static bool
cfg_value_bool(const char *value, bool *out, struct cfg_err *err)
{
	size_t i;

	for (i = 0; i < sizeof(cfg_bool_names) / sizeof(cfg_bool_names[0]);
	     i++) {
		if (strcmp(value, cfg_bool_names[i].name) == 0) {
			*out = cfg_bool_names[i].value;
			return true;
		}
	}
	cfg_err_set(err, 0,
	    "bad boolean \"%s\": want yes, no, true, false, on, off, 1 or 0",
	    value);
	return false;
}

/*
 * cfg_server_parse - one dns_servers entry: a.b.c.d[:port], [v6][:port]
 * or a bare v6 address without port.
 * Arguments: s and len, the entry without surrounding blanks; base, its
 * offset in the value (for error positions).
 */
static bool
cfg_server_parse(const char *s, size_t len, size_t base, struct cfg_server *srv,
    struct cfg_err *err)
{
	const char *host = s, *port = NULL, *rb, *colon;
	size_t hostlen = len, portlen = 0;
	unsigned char bin[sizeof(struct in6_addr)];
	char text[CFG_HOST_MAX + 1];
	unsigned long n = CFG_DNS_PORT;
	bool ip6 = false;

	if (len == 0) {
		cfg_err_set(err, base, "dns_servers: empty entry");
		return false;
	}
	colon = memchr(s, ':', len);
	if (s[0] == '[') {
		rb = memchr(s, ']', len);
		if (rb == NULL) {
			cfg_err_set(err, base,
			    "dns_servers: missing ']' in "
			    "\"%.*s\"",
			    (int)len, s);
			return false;
		}
		host = s + 1;
		hostlen = (size_t)(rb - host);
		ip6 = true;
		if (rb + 1 < s + len) {
			if (rb[1] != ':') {
				cfg_err_set(err, base + (size_t)(rb + 1 - s),
				    "dns_servers: expected ':' and a port "
				    "after ']'");
				return false;
			}
			port = rb + 2;
			portlen = len - (size_t)(port - s);
		}
	} else if (colon != NULL &&
	    memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL) {
		ip6 = true;
	} else if (colon != NULL) {
		hostlen = (size_t)(colon - s);
		port = colon + 1;
		portlen = len - hostlen - 1;
	}

	/* The address must be numeric: we need servers before DNS works. */
	if (hostlen == 0 || hostlen > CFG_HOST_MAX)
		goto bad_addr;
	memcpy(text, host, hostlen);
	text[hostlen] = '\0';
	if (inet_pton(ip6 ? AF_INET6 : AF_INET, text, bin) != 1)
		goto bad_addr;
	if (port != NULL &&
	    (!cfg_value_ulong(port, portlen, &n) || n < 1 || n > 65535)) {
		cfg_err_set(err, base + (size_t)(port - s),
		    "dns_servers: bad port \"%.*s\": want 1-65535",
		    (int)portlen, port);
		return false;
	}
	if (inet_ntop(ip6 ? AF_INET6 : AF_INET, bin, srv->addr,
	        sizeof(srv->addr)) == NULL)
		goto bad_addr;
	srv->port = (unsigned)n;
	srv->is_ip6 = ip6;
	return true;

bad_addr:
	cfg_err_set(err, base + (size_t)(host - s),
	    "dns_servers: \"%.*s\" is not a numeric IPv%c address",
	    (int)(hostlen > CFG_HOST_MAX ? CFG_HOST_MAX : hostlen), host,
	    ip6 ? '6' : '4');
	return false;
}

/* cfg_value_servers - the comma-separated dns_servers list */
static bool
cfg_value_servers(struct cfg *cfg, const char *value, struct cfg_err *err)
{
	struct cfg_server tmp[CFG_SERVERS_MAX];
	size_t n = 0, pos = 0, start, end, vlen = strlen(value);
	const char *comma;

	memset(tmp, 0, sizeof(tmp));
	while (vlen > 0) {
		comma = strchr(value + pos, ',');
		start = pos;
		end = comma != NULL ? (size_t)(comma - value) : vlen;
		while (start < end &&
		    (value[start] == ' ' || value[start] == '\t'))
			start++;
		while (end > start &&
		    (value[end - 1] == ' ' || value[end - 1] == '\t'))
			end--;
		if (n == CFG_SERVERS_MAX) {
			cfg_err_set(err, start,
			    "dns_servers: more than %d servers",
			    CFG_SERVERS_MAX);
			return false;
		}
		if (!cfg_server_parse(
		        value + start, end - start, start, &tmp[n], err))
			return false;
		n++;
		if (comma == NULL)
			break;
		pos = (size_t)(comma - value) + 1;
	}
	memcpy(cfg->dns_servers, tmp, n * sizeof(tmp[0]));
	cfg->dns_servers_n = n;
	return true;
}

/* cfg_value_set - convert and store one value by its table row */
bool
cfg_value_set(struct cfg *cfg, const struct cfg_param *p, const char *value,
    struct cfg_err *err)
{
	void *field = (char *)cfg + p->offset;
	unsigned long n;
	enum cfg_family fam;
	enum cfg_tls tls;
	bool b;

	switch (p->type) {
	case CFG_T_STRING:
	case CFG_T_PATH:
		if (!cfg_value_text(p, value, err))
			return false;
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return true;
	case CFG_T_UINT:
	case CFG_T_DURATION:
		if (!cfg_value_number(p, value, &n, err))
			return false;
		*(unsigned long *)field = n;
		return true;
	case CFG_T_PORT:
		if (!cfg_value_number(p, value, &n, err))
			return false;
		*(unsigned *)field = (unsigned)n;
		return true;
	case CFG_T_BOOL:
		if (!cfg_value_bool(value, &b, err))
			return false;
		*(bool *)field = b;
		return true;
	case CFG_T_TLS:
		/* implicit: a relay's port, never the MX's (override lines). */
		if (!cfg_tls_parse(value, &tls) || tls == CFG_TLS_IMPLICIT) {
			cfg_err_set(err, 0,
			    "unknown TLS policy \"%s\": want none, may, "
			    "encrypt, verify or dane",
			    value);
			return false;
		}
		*(enum cfg_tls *)field = tls;
		return true;
	case CFG_T_FAMILY:
		if (!cfg_family_parse(value, &fam)) {
			cfg_err_set(err, 0,
			    "unknown address family \"%s\": want any, ipv4 "
			    "or ipv6",
			    value);
			return false;
		}
		*(enum cfg_family *)field = fam;
		return true;
	case CFG_T_SERVERS:
		return cfg_value_servers(cfg, value, err);
	}
	msg_panic("%s: %s has bad type %d", __func__, p->name, (int)p->type);
}
