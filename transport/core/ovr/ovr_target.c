/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map targets: [USER:PASSWORD@]HOST[:PORT]. */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <string.h>

#include "ovr_int.h"

static bool ovr_target_creds(struct ovr_map *map, const struct ovr_tok *t,
    size_t clen, unsigned long line, struct ovr_target *tg,
    struct diag_list *dl);
static bool ovr_target_cred(struct ovr_map *map, const char *p, size_t len,
    bool is_user, char **out, size_t *outlen, const char **err);
static bool ovr_target_hostport(struct ovr_map *map, const struct ovr_tok *t,
    const char *hp, size_t hlen, unsigned long line, struct ovr_target *tg,
    char *hostbuf, struct diag_list *dl);
static const char *ovr_target_host(
    const char *p, size_t *lenp, enum ovr_host_kind *kind);

/* ovr_target_parse - split and check a target token */
bool
ovr_target_parse(struct ovr_map *map, const struct ovr_tok *t,
    unsigned long line, struct ovr_target *tg, char *host, struct diag_list *dl)
{
	const char *at = memrchr(t->p, '@', t->len);
	size_t clen;
	bool ok = true;

	if (at == NULL)
		return ovr_target_hostport(
		    map, t, t->p, t->len, line, tg, host, dl);
	clen = (size_t)(at - t->p);
	if (!ovr_target_creds(map, t, clen, line, tg, dl))
		ok = false;
	if (!ovr_target_hostport(
	        map, t, at + 1, t->len - clen - 1, line, tg, host, dl))
		ok = false;
	return ok;
}

/* ovr_target_creds - USER:PASSWORD before the last @ */
static bool
ovr_target_creds(struct ovr_map *map, const struct ovr_tok *t, size_t clen,
    unsigned long line, struct ovr_target *tg, struct diag_list *dl)
{
	const char *colon = memchr(t->p, ':', clen), *err = NULL;
	size_t ulen;

	if (colon == NULL) {
		diag_add(dl, DIAG_ERROR, map->name, line, t->col,
		    "malformed target: USER:PASSWORD expected before @");
		return false;
	}
	ulen = (size_t)(colon - t->p);
	if (!ovr_target_cred(
	        map, t->p, ulen, true, &tg->user, &tg->user_len, &err) ||
	    !ovr_target_cred(map, colon + 1, clen - ulen - 1, false, &tg->pass,
	        &tg->pass_len, &err)) {
		/* The message never quotes the credentials. */
		diag_add(dl, DIAG_ERROR, map->name, line, t->col,
		    "malformed target: %s", err);
		tg->user = tg->pass = NULL;
		tg->user_len = tg->pass_len = 0;
		return false;
	}
	return true;
}

/* ovr_target_cred - decode the user name or the password into the arena */
static bool
ovr_target_cred(struct ovr_map *map, const char *p, size_t len, bool is_user,
    char **out, size_t *outlen, const char **err)
{
	size_t i, n;
	char *s;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f) {
			*err = "control character in the credentials (write "
			       "it as %XX)";
			return false;
		}
	}
	s = ovr_arena_put(map, p, len);
	if (!ovr_lex_unescape(p, len, s, &n)) {
		*err = is_user ? "bad %XX escape in the user name"
		               : "bad %XX escape in the password";
		return false;
	}
	s[n] = '\0';
	if (n == 0) {
		*err = is_user ? "empty user name" : "empty password";
		return false;
	}
	if (n > OVR_CRED_MAX) {
		*err = is_user ? "user name longer than 255 bytes"
		               : "password longer than 255 bytes";
		return false;
	}
	*out = s;
	*outlen = n;
	return true;
}

/*
 * ovr_target_host - classify and check a host without brackets
 * Arguments: *lenp is the length, shortened by a trailing dot.
 * Returns: NULL when the host is good, else what is wrong.
 */
static const char *
ovr_target_host(const char *p, size_t *lenp, enum ovr_host_kind *kind)
{
	size_t i, len = *lenp, label = 0;
	char a[INET_ADDRSTRLEN];
	struct in_addr in4;
	bool numeric = true;

	if (len > 1 && p[len - 1] == '.')
		len--;
	*lenp = len;
	for (i = 0; i < len; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != '.')
			numeric = false;
	if (numeric) {
		*kind = OVR_HOST_IP4;
		if (len >= sizeof(a))
			return "malformed IPv4 address";
		memcpy(a, p, len);
		a[len] = '\0';
		return inet_pton(AF_INET, a, &in4) == 1
		    ? NULL
		    : "malformed IPv4 address";
	}
	*kind = OVR_HOST_NAME;
	if (len > OVR_DOMAIN_MAX)
		return "host name longer than 253 characters";
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			if (label == 0 || label > 63)
				return "malformed host name";
			if (p[i - 1] == '-' || p[i - label] == '-')
				return "malformed host name";
			label = 0;
		} else if (ovr_ctype_is(p[i], OVR_C_LABEL)) {
			label++;
		} else {
			return "malformed host name";
		}
	}
	return NULL;
}

/* ovr_target_hostport - HOST[:PORT] or [IPV6][:PORT] */
static bool
ovr_target_hostport(struct ovr_map *map, const struct ovr_tok *t,
    const char *hp, size_t hlen, unsigned long line, struct ovr_target *tg,
    char *hostbuf, struct diag_list *dl)
{
	char q[OVR_QUOTE_SIZE], a[INET6_ADDRSTRLEN];
	const char *host = hp, *port = NULL, *err = NULL, *close;
	size_t i, len = hlen, plen = 0;
	unsigned long long n;
	struct in6_addr in6;

	if (hlen > 0 && hp[0] == '[') {
		close = memchr(hp, ']', hlen);
		host = hp + 1;
		len = close != NULL ? (size_t)(close - host) : 0;
		tg->kind = OVR_HOST_IP6;
		if (close == NULL)
			err = "] expected";
		else if (len == 0 || len >= sizeof(a))
			err = "malformed IPv6 address";
		if (err == NULL) {
			memcpy(a, host, len);
			a[len] = '\0';
			if (inet_pton(AF_INET6, a, &in6) != 1)
				err = "malformed IPv6 address";
			else if (close + 1 < hp + hlen && close[1] != ':')
				err = "':' or the end expected after ]";
			else if (close + 1 < hp + hlen)
				port = close + 2;
		}
	} else {
		port = memchr(hp, ':', hlen);
		if (port != NULL) {
			len = (size_t)(port - hp);
			port++;
		}
		if (port != NULL && memchr(port, ':', hlen - len - 1) != NULL)
			err = "IPv6 addresses must be written in brackets";
		else if (len == 0)
			err = "host expected";
		else
			err = ovr_target_host(hp, &len, &tg->kind);
	}
	if (err == NULL && port != NULL) {
		plen = (size_t)(hp + hlen - port);
		if (ovr_lex_uint(port, plen, 65535, &n) != OVR_NUM_OK || n == 0)
			err = "port must be a number from 1 to 65535";
		else
			tg->port = (unsigned)n;
	}
	if (err != NULL) {
		diag_add(dl, DIAG_ERROR, map->name, line, t->col,
		    "malformed target \"%s\": %s",
		    ovr_lex_quote(q, sizeof(q), hp, hlen), err);
		return false;
	}
	for (i = 0; i < len; i++)
		hostbuf[i] = (char)ovr_lower((unsigned char)host[i]);
	hostbuf[len] = '\0';
	return true;
}
