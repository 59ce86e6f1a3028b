/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * TLS client contexts: the protocol floor, the CA store, DANE; made
 * once and shared by the sessions of a process for a while. Making one
 * (OpenSSL 3's SSL_CTX_new and loading the CA certificates) costs
 * milliseconds, more than the handshake: a delivery worker delivers
 * many messages, and one message may go to several hosts.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fileid.h"
#include "mono.h"
#include "smtp_int.h"
#include "xalloc.h"

#define SMTP_TLS_CTX_MAX 4 /* contexts kept: settings in use at once */
#define SMTP_TLS_CTX_TTL_MS 60000 /* a context is reused this long at most */

/* One context kept, and what it was made for. */
struct smtp_tls_ctx_kept {
	SSL_CTX *ctx; /* our reference, or NULL for a free place */
	enum smtp_tls_version version; /* the protocol floor */
	bool dane; /* DANE enabled */
	char *ca_file; /* CA bundle (malloc'd), NULL = system store */
	struct fileid ca_id; /* the bundle when it was loaded */
	long long made_ms; /* when */
};

static struct smtp_tls_ctx_kept smtp_tls_ctx_kept[SMTP_TLS_CTX_MAX];

/* Protocol versions by enum smtp_tls_version. */
static const struct {
	const char *name; /* as tls_min_version takes it */
	int version; /* OpenSSL's constant */
} smtp_tls_versions[] = {
    [SMTP_TLSV_DEFAULT] = {"TLSv1.2", TLS1_2_VERSION},
    [SMTP_TLSV1_0] = {"TLSv1", TLS1_VERSION},
    [SMTP_TLSV1_1] = {"TLSv1.1", TLS1_1_VERSION},
    [SMTP_TLSV1_2] = {"TLSv1.2", TLS1_2_VERSION},
    [SMTP_TLSV1_3] = {"TLSv1.3", TLS1_3_VERSION},
};

#define SMTP_TLS_NVERSIONS \
	(sizeof(smtp_tls_versions) / sizeof(smtp_tls_versions[0]))

/* smtp_tls_version_parse - a tls_min_version value */
bool
smtp_tls_version_parse(const char *name, enum smtp_tls_version *out)
{
	size_t i;

	for (i = 1; name != NULL && i < SMTP_TLS_NVERSIONS; i++)
		if (strcasecmp(name, smtp_tls_versions[i].name) == 0) {
			*out = (enum smtp_tls_version)i;
			return true;
		}
	return false;
}

/* smtp_tls_ctx_new - a client context with the protocol floor and CA store */
static SSL_CTX *
smtp_tls_ctx_new(const struct smtp_session *s, struct why *why)
{
	enum smtp_tls_version v = s->tls_min_version;
	SSL_CTX *ctx;
	char err[160];

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		smtp_tls_errtext(err, sizeof(err), "out of memory");
		why_set(why, "4.7.5", "%s: cannot make a TLS context: %s",
		    s->peer, err);
		return NULL;
	}
	if ((size_t)v >= SMTP_TLS_NVERSIONS)
		v = SMTP_TLSV_DEFAULT;
	SSL_CTX_set_min_proto_version(ctx, smtp_tls_versions[v].version);
	/* OpenSSL 3 refuses TLS below 1.2 at security level 1 and up. */
	if (smtp_tls_versions[v].version < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx,
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	        SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Verified after the handshake, so that may and encrypt log it. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (s->tls_ca_file != NULL
	        ? SSL_CTX_load_verify_locations(ctx, s->tls_ca_file, NULL) != 1
	        : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		smtp_tls_errtext(err, sizeof(err), "unknown error");
		why_set(why, "4.3.5", "cannot load the CA certificates %s: %s",
		    s->tls_ca_file != NULL ? s->tls_ca_file : "(system store)",
		    err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (s->tls_dane && SSL_CTX_dane_enable(ctx) <= 0) {
		smtp_tls_errtext(err, sizeof(err), "unknown error");
		why_set(
		    why, "4.7.5", "%s: cannot enable DANE: %s", s->peer, err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* smtp_tls_ctx_drop - forget kept context k */
static void
smtp_tls_ctx_drop(struct smtp_tls_ctx_kept *k)
{
	SSL_CTX_free(k->ctx);
	free(k->ca_file);
	memset(k, 0, sizeof(*k));
}

/* smtp_tls_ctx_get - a kept context for s's settings, or a new one */
SSL_CTX *
smtp_tls_ctx_get(struct smtp_session *s, struct why *why)
{
	struct smtp_tls_ctx_kept *k, *place = NULL;
	long long now = mono_now_ms();
	SSL_CTX *ctx;
	size_t i;

	for (i = 0; i < SMTP_TLS_CTX_MAX; i++) {
		k = &smtp_tls_ctx_kept[i];
		if (k->ctx != NULL && now - k->made_ms >= SMTP_TLS_CTX_TTL_MS)
			smtp_tls_ctx_drop(k);
		if (k->ctx == NULL) {
			if (place == NULL)
				place = k;
			continue;
		}
		if (k->version != s->tls_min_version ||
		    k->dane != s->tls_dane ||
		    (k->ca_file == NULL) != (s->tls_ca_file == NULL) ||
		    (k->ca_file != NULL &&
		        strcmp(k->ca_file, s->tls_ca_file) != 0))
			continue;
		/* The system store: the time limit only. */
		if (k->ca_file != NULL && !fileid_same(k->ca_file, &k->ca_id)) {
			smtp_tls_ctx_drop(k);
			place = k;
			break;
		}
		SSL_CTX_up_ref(k->ctx);
		return k->ctx;
	}
	if (place == NULL) { /* all taken: the oldest goes */
		place = &smtp_tls_ctx_kept[0];
		for (i = 1; i < SMTP_TLS_CTX_MAX; i++)
			if (smtp_tls_ctx_kept[i].made_ms < place->made_ms)
				place = &smtp_tls_ctx_kept[i];
		smtp_tls_ctx_drop(place);
	}
	/* Seen before the load: a change while loading means a new one. */
	if (s->tls_ca_file != NULL)
		fileid_get(s->tls_ca_file, &place->ca_id);
	if ((ctx = smtp_tls_ctx_new(s, why)) == NULL)
		return NULL;
	place->ctx = ctx;
	SSL_CTX_up_ref(ctx);
	place->version = s->tls_min_version;
	place->dane = s->tls_dane;
	place->ca_file =
	    s->tls_ca_file != NULL ? xstrdup(s->tls_ca_file) : NULL;
	place->made_ms = now;
	return ctx;
}
