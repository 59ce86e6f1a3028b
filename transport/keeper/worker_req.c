/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * The delivery request's wire format (worker_int.h), and a program
 * file's identity.
 */

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "worker_int.h"
#include "xalloc.h"

/* The fixed fields after the hint. */
struct worker_fixed {
	int64_t start_ms; /* a->start_ms */
	int64_t retries; /* a->retries */
	int32_t verbose; /* a->verbose */
	uint32_t nrcpt; /* recipients after conf, sender, queue id, envid */
	uint32_t norcpt; /* original recipients after them: 0 or nrcpt */
	uint32_t spare; /* 0: no padding, so that a request has one form */
};

_Static_assert(sizeof(struct worker_fixed) == 32, "no padding in a request");

#define WORKER_REQ_HEAD_STRINGS 4 /* conf, sender, queue id, envid */

/* worker_exe_id - the identity of a program file */
bool
worker_exe_id(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return false;
	*dev = (uint64_t)sb.st_dev;
	*ino = (uint64_t)sb.st_ino;
	return true;
}

/* worker_put - append len bytes at *off; false when they do not fit */
static bool
worker_put(char *buf, size_t size, size_t *off, const void *p, size_t len)
{
	if (len > size - *off)
		return false;
	memcpy(buf + *off, p, len);
	*off += len;
	return true;
}

/* worker_req_encode - hint, fixed fields, then the strings */
size_t
worker_req_encode(void *out, size_t size, const struct worker_hint *hint,
    const struct deliver_args *a)
{
	const char *envid = a->envid != NULL ? a->envid : "";
	struct worker_fixed f;
	char *buf = out;
	size_t off = 0, i;
	bool ok;

	if (a->nrcpt == 0 || a->nrcpt > WORKER_RCPT_MAX)
		return 0;
	memset(&f, 0, sizeof(f));
	f.start_ms = a->start_ms;
	f.retries = a->retries;
	f.verbose = a->verbose;
	f.nrcpt = (uint32_t)a->nrcpt;
	f.norcpt = a->orcpts != NULL ? f.nrcpt : 0;
	ok = worker_put(buf, size, &off, hint, sizeof(*hint)) &&
	    worker_put(buf, size, &off, &f, sizeof(f)) &&
	    worker_put(buf, size, &off, a->conf, strlen(a->conf) + 1) &&
	    worker_put(buf, size, &off, a->sender, strlen(a->sender) + 1) &&
	    worker_put(buf, size, &off, a->queue_id, strlen(a->queue_id) + 1) &&
	    worker_put(buf, size, &off, envid, strlen(envid) + 1);
	for (i = 0; ok && i < a->nrcpt; i++)
		ok = worker_put(
		    buf, size, &off, a->rcpts[i], strlen(a->rcpts[i]) + 1);
	for (i = 0; ok && i < f.norcpt; i++)
		ok = worker_put(
		    buf, size, &off, a->orcpts[i], strlen(a->orcpts[i]) + 1);
	return ok ? off : 0;
}

/* worker_req_hint - the keeper's part */
bool
worker_req_hint(const void *buf, size_t len, struct worker_hint *hint)
{
	if (len < sizeof(*hint))
		return false;
	memcpy(hint, buf, sizeof(*hint));
	return true;
}

/*
 * worker_req_next - the string at *p, which must end before end; *p
 * moves past it. NULL when it does not end inside.
 */
static char *
worker_req_next(const char **p, const char *end)
{
	const char *s = *p, *nul;

	if (s >= end || (nul = memchr(s, '\0', (size_t)(end - s))) == NULL)
		return NULL;
	*p = nul + 1;
	return (char *)s;
}

/* worker_req_decode - the worker's part; every string must end inside */
bool
worker_req_decode(const void *in, size_t len, struct deliver_args *a)
{
	const size_t head =
	    sizeof(struct worker_hint) + sizeof(struct worker_fixed);
	const char *buf = in, *p, *end = buf + len;
	char *str[WORKER_REQ_HEAD_STRINGS];
	struct worker_fixed f;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (len < head)
		return false;
	memcpy(&f, buf + sizeof(struct worker_hint), sizeof(f));
	if (f.nrcpt == 0 || f.nrcpt > WORKER_RCPT_MAX || f.verbose < 0 ||
	    f.verbose > 10 || (f.norcpt != 0 && f.norcpt != f.nrcpt) ||
	    f.spare != 0)
		return false;
	p = buf + head;
	for (i = 0; i < WORKER_REQ_HEAD_STRINGS; i++)
		if ((str[i] = worker_req_next(&p, end)) == NULL)
			return false;
	a->rcpts = xcalloc(f.nrcpt, sizeof(char *));
	for (i = 0; i < f.nrcpt; i++)
		if ((a->rcpts[i] = worker_req_next(&p, end)) == NULL)
			goto bad;
	if (f.norcpt != 0) {
		a->orcpts = xcalloc(f.norcpt, sizeof(char *));
		for (i = 0; i < f.norcpt; i++)
			if ((a->orcpts[i] = worker_req_next(&p, end)) == NULL)
				goto bad;
	}
	if (p != end || str[0][0] != '/')
		goto bad;
	a->conf = str[0];
	a->sender = str[1];
	a->queue_id = str[2];
	a->envid = str[3];
	a->nrcpt = f.nrcpt;
	a->retries = (long)f.retries;
	a->verbose = f.verbose;
	a->start_ms = f.start_ms;
	return true;

bad:
	worker_req_free(a);
	return false;
}

/* worker_req_free - the arrays (the strings are the buffer's) */
void
worker_req_free(struct deliver_args *a)
{
	free(a->rcpts);
	free(a->orcpts);
	a->rcpts = NULL;
	a->orcpts = NULL;
	a->nrcpt = 0;
}

/* worker_req_domain_in - whether domain d (n bytes) is one of domains */
static bool
worker_req_domain_in(const char *d, size_t n, const char *domains, size_t dlen)
{
	const char *p = domains, *end = domains + dlen, *nul;

	for (; p < end; p = nul + 1) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return false;
		if ((size_t)(nul - p) == n && strncasecmp(p, d, n) == 0)
			return true;
	}
	return false;
}

/* worker_req_serves - a recipient's domain among domains? */
bool
worker_req_serves(const void *in, size_t len, const char *domains, size_t dlen)
{
	const size_t head =
	    sizeof(struct worker_hint) + sizeof(struct worker_fixed);
	const char *buf = in, *p, *end = buf + len, *nul, *at;
	struct worker_fixed f;
	size_t i, n, last;

	if (len < head || dlen == 0)
		return false;
	memcpy(&f, buf + sizeof(struct worker_hint), sizeof(f));
	/* The recipients, not the original recipients after them. */
	last = WORKER_REQ_HEAD_STRINGS +
	    (f.nrcpt < WORKER_SERVES_RCPTS ? f.nrcpt : WORKER_SERVES_RCPTS);
	p = buf + head;
	for (i = 0; i < last && p < end; i++, p = nul + 1) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return false;
		/* The configuration, sender, queue id, envid: skipped. */
		if (i < WORKER_REQ_HEAD_STRINGS ||
		    (at = memrchr(p, '@', (size_t)(nul - p))) == NULL)
			continue;
		n = (size_t)(nul - at - 1);
		if (n > 0 && at[n] == '.')
			n--;
		if (n > 0 && worker_req_domain_in(at + 1, n, domains, dlen))
			return true;
	}
	return false;
}
