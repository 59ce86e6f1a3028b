/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * tlsrpt_rec: what is known of one policy domain on one day, merged
 * from sessions, and its text form in the store: a version line, then
 * "P <tab> type <tab> ok <tab> failed <tab> ident <tab> strings <tab>
 * mx_hosts" per policy and "F <tab> policy <tab> result <tab> count
 * <tab> sending_ip <tab> mx <tab> receiving_ip <tab> reason" per
 * failure detail, fields escaped (backslash, tab, newline).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt.h"
#include "xalloc.h"

#define TLSRPT_REC_VERSION "tlsrpt 1" /* the first line */
#define TLSRPT_REC_FIELDS 8 /* most fields of a line */

static const char *const tlsrpt_results[] = {"ok", "starttls-not-supported",
    "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", "tlsa-invalid",
    "dnssec-invalid", "dane-required", "sts-policy-fetch-error",
    "sts-policy-invalid", "sts-webpki-invalid"};

static const char *const tlsrpt_types[] = {"no-policy-found", "sts", "tlsa"};

/* tlsrpt_result_name - section 4.3 */
const char *
tlsrpt_result_name(enum tlsrpt_result res)
{
	if ((size_t)res >= sizeof(tlsrpt_results) / sizeof(tlsrpt_results[0]))
		return "validation-failure";
	return tlsrpt_results[res];
}

/* tlsrpt_type_name - section 4.4 */
const char *
tlsrpt_type_name(enum tlsrpt_type type)
{
	if ((size_t)type >= sizeof(tlsrpt_types) / sizeof(tlsrpt_types[0]))
		return "no-policy-found";
	return tlsrpt_types[type];
}

/* tlsrpt_day_of - the UTC day of t */
void
tlsrpt_day_of(time_t t, char *day)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, TLSRPT_DAY_MAX + 1, "%Y-%m-%d", &tm) == 0)
		snprintf(day, TLSRPT_DAY_MAX + 1, "1970-01-01");
}

/* tlsrpt_rec_init - empty */
void
tlsrpt_rec_init(struct tlsrpt_rec *r, const char *day, const char *domain)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->day, sizeof(r->day), "%s", day);
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
}

/* tlsrpt_rec_fini - release */
void
tlsrpt_rec_fini(struct tlsrpt_rec *r)
{
	size_t i, j;

	for (i = 0; i < r->npol; i++) {
		struct tlsrpt_policy *p = &r->pol[i];

		for (j = 0; j < p->nfail; j++) {
			free(p->fail[j].sending_ip);
			free(p->fail[j].mx);
			free(p->fail[j].receiving_ip);
			free(p->fail[j].reason);
		}
		free(p->fail);
		free(p->ident);
		free(p->strings);
		free(p->mx_hosts);
	}
	free(r->pol);
	r->pol = NULL;
	r->npol = 0;
}

/* tlsrpt_dup - a field, NULL read as "", cut at TLSRPT_FIELD_MAX */
static char *
tlsrpt_dup(const char *s)
{
	size_t n = s != NULL ? strnlen(s, TLSRPT_FIELD_MAX) : 0;

	return xmemdup0(s != NULL ? s : "", n);
}

/* tlsrpt_same - a kept field equals a given one as tlsrpt_dup() keeps it */
static bool
tlsrpt_same(const char *kept, const char *s)
{
	return strncmp(kept, s != NULL ? s : "", TLSRPT_FIELD_MAX) == 0;
}

/* tlsrpt_policy_of - the policy of s in r, added when new; NULL: full */
static struct tlsrpt_policy *
tlsrpt_policy_of(struct tlsrpt_rec *r, const struct tlsrpt_session *s)
{
	struct tlsrpt_policy *p;
	size_t i;

	for (i = 0; i < r->npol; i++) {
		p = &r->pol[i];
		if (p->type == s->type && tlsrpt_same(p->ident, s->ident))
			return p;
	}
	if (r->npol == TLSRPT_POLICIES_MAX)
		return NULL;
	r->pol = xreallocarray(r->pol, r->npol + 1, sizeof(*r->pol));
	p = &r->pol[r->npol++];
	memset(p, 0, sizeof(*p));
	p->type = s->type;
	p->ident = tlsrpt_dup(s->ident);
	p->strings = tlsrpt_dup(s->strings);
	p->mx_hosts = tlsrpt_dup(s->mx_hosts);
	return p;
}

/* tlsrpt_fail_add - count n failures like s under p */
static void
tlsrpt_fail_add(struct tlsrpt_policy *p, const struct tlsrpt_session *s,
    unsigned long long n)
{
	struct tlsrpt_failure *f;
	size_t i;

	for (i = 0; i < p->nfail; i++) {
		f = &p->fail[i];
		if (f->result == s->result &&
		    tlsrpt_same(f->sending_ip, s->sending_ip) &&
		    tlsrpt_same(f->mx, s->mx) &&
		    tlsrpt_same(f->receiving_ip, s->receiving_ip) &&
		    tlsrpt_same(f->reason, s->reason)) {
			f->count += n;
			return;
		}
	}
	if (p->nfail == TLSRPT_FAILURES_MAX)
		return; /* counted in the summary, not detailed */
	p->fail = xreallocarray(p->fail, p->nfail + 1, sizeof(*p->fail));
	f = &p->fail[p->nfail++];
	f->result = s->result;
	f->sending_ip = tlsrpt_dup(s->sending_ip);
	f->mx = tlsrpt_dup(s->mx);
	f->receiving_ip = tlsrpt_dup(s->receiving_ip);
	f->reason = tlsrpt_dup(s->reason);
	f->count = n;
}

/* tlsrpt_rec_add - count n sessions like s */
void
tlsrpt_rec_add(
    struct tlsrpt_rec *r, const struct tlsrpt_session *s, unsigned long long n)
{
	struct tlsrpt_policy *p = tlsrpt_policy_of(r, s);

	if (p == NULL)
		return;
	if (s->result == TLSRPT_OK) {
		p->ok += n;
		return;
	}
	p->failed += n;
	tlsrpt_fail_add(p, s, n);
}

/* tlsrpt_rec_merge - every count of src into dst */
void
tlsrpt_rec_merge(struct tlsrpt_rec *dst, const struct tlsrpt_rec *src)
{
	struct tlsrpt_session s;
	size_t i, j;

	for (i = 0; i < src->npol; i++) {
		const struct tlsrpt_policy *p = &src->pol[i];
		unsigned long long detailed = 0;

		memset(&s, 0, sizeof(s));
		s.type = p->type;
		s.ident = p->ident;
		s.strings = p->strings;
		s.mx_hosts = p->mx_hosts;
		s.result = TLSRPT_OK;
		tlsrpt_rec_add(dst, &s, p->ok);
		for (j = 0; j < p->nfail; j++) {
			s.result = p->fail[j].result;
			s.sending_ip = p->fail[j].sending_ip;
			s.mx = p->fail[j].mx;
			s.receiving_ip = p->fail[j].receiving_ip;
			s.reason = p->fail[j].reason;
			tlsrpt_rec_add(dst, &s, p->fail[j].count);
			detailed += p->fail[j].count;
		}
		/* Failures past the cap of details: the summary only. */
		if (p->failed > detailed) {
			struct tlsrpt_policy *d = tlsrpt_policy_of(dst, &s);

			if (d != NULL)
				d->failed += p->failed - detailed;
		}
	}
}

/* tlsrpt_put - one escaped field after a tab */
static void
tlsrpt_put(struct sbuf *out, const char *s)
{
	sbuf_putc(out, '\t');
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			sbuf_puts(out, "\\\\");
		else if (*s == '\t')
			sbuf_puts(out, "\\t");
		else if (*s == '\n')
			sbuf_puts(out, "\\n");
		else
			sbuf_putc(out, *s);
	}
}

/* tlsrpt_rec_format - the text form */
void
tlsrpt_rec_format(const struct tlsrpt_rec *r, struct sbuf *out)
{
	size_t i, j;

	sbuf_reset(out);
	sbuf_puts(out, TLSRPT_REC_VERSION "\n");
	for (i = 0; i < r->npol; i++) {
		const struct tlsrpt_policy *p = &r->pol[i];

		sbuf_printf(
		    out, "P\t%d\t%llu\t%llu", (int)p->type, p->ok, p->failed);
		tlsrpt_put(out, p->ident);
		tlsrpt_put(out, p->strings);
		tlsrpt_put(out, p->mx_hosts);
		sbuf_putc(out, '\n');
		for (j = 0; j < p->nfail; j++) {
			const struct tlsrpt_failure *f = &p->fail[j];

			sbuf_printf(out, "F\t%zu\t%d\t%llu", i, (int)f->result,
			    f->count);
			tlsrpt_put(out, f->sending_ip);
			tlsrpt_put(out, f->mx);
			tlsrpt_put(out, f->receiving_ip);
			tlsrpt_put(out, f->reason);
			sbuf_putc(out, '\n');
		}
	}
}

/*
 * tlsrpt_split - a line into at most max unescaped fields (in place);
 * how many, or 0 when an escape is malformed
 */
static size_t
tlsrpt_split(char *line, char **f, size_t max)
{
	char *r = line, *w = line;
	size_t n = 1;

	f[0] = line;
	while (*r != '\0') {
		if (*r == '\t') {
			*w++ = '\0';
			r++;
			if (n == max)
				return 0;
			f[n++] = w;
		} else if (*r == '\\') {
			r++;
			if (*r == '\\')
				*w++ = '\\';
			else if (*r == 't')
				*w++ = '\t';
			else if (*r == 'n')
				*w++ = '\n';
			else
				return 0;
			r++;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return n;
}

/* tlsrpt_num - a decimal count; false when malformed */
static bool
tlsrpt_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* tlsrpt_rec_line - one line after the first */
static bool
tlsrpt_rec_line(struct tlsrpt_rec *r, char *line)
{
	char *f[TLSRPT_REC_FIELDS];
	struct tlsrpt_session s;
	unsigned long long a, b, c;
	size_t n = tlsrpt_split(line, f, TLSRPT_REC_FIELDS);

	memset(&s, 0, sizeof(s));
	if (n == 7 && strcmp(f[0], "P") == 0 &&
	    tlsrpt_num(f[1], TLSRPT_T_TLSA, &a) &&
	    tlsrpt_num(f[2], ~0ULL, &b) && tlsrpt_num(f[3], ~0ULL, &c)) {
		struct tlsrpt_policy *p;

		s.type = (enum tlsrpt_type)a;
		s.ident = f[4];
		s.strings = f[5];
		s.mx_hosts = f[6];
		s.result = TLSRPT_OK;
		if ((p = tlsrpt_policy_of(r, &s)) != NULL) {
			p->ok += b;
			p->failed += c;
		}
		return true;
	}
	if (n == 8 && strcmp(f[0], "F") == 0 &&
	    tlsrpt_num(f[1], r->npol > 0 ? r->npol - 1 : 0, &a) &&
	    r->npol > 0 && tlsrpt_num(f[2], TLSRPT_STS_WEBPKI_INVALID, &b) &&
	    b != 0 && tlsrpt_num(f[3], ~0ULL, &c)) {
		s.result = (enum tlsrpt_result)b;
		s.sending_ip = f[4];
		s.mx = f[5];
		s.receiving_ip = f[6];
		s.reason = f[7];
		/* The summary came with the policy line. */
		tlsrpt_fail_add(&r->pol[a], &s, c);
		return true;
	}
	return false;
}

/* tlsrpt_rec_parse - the text form back */
bool
tlsrpt_rec_parse(struct tlsrpt_rec *r, const char *text, size_t len)
{
	char *copy = xmemdup0(text, len), *line, *nl;
	bool ok;

	nl = strchr(copy, '\n');
	ok = nl != NULL && (size_t)(nl - copy) == strlen(TLSRPT_REC_VERSION) &&
	    memcmp(copy, TLSRPT_REC_VERSION, (size_t)(nl - copy)) == 0 &&
	    strlen(copy) == len;
	for (line = nl != NULL ? nl + 1 : NULL; ok && *line != '\0';
	     line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL) {
			ok = false;
			break;
		}
		*nl = '\0';
		ok = tlsrpt_rec_line(r, line);
	}
	free(copy);
	return ok;
}
