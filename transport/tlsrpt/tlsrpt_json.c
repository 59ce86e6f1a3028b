/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* tlsrpt_json: the aggregate report of RFC 8460 section 4. */

#include <stdio.h>
#include <string.h>

#include "tlsrpt.h"

/* tlsrpt_json_str - a JSON string (bytes outside printable ASCII: ?) */
static void
tlsrpt_json_str(struct sbuf *out, const char *s, size_t n)
{
	size_t i;

	sbuf_putc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			sbuf_putc(out, '\\');
			sbuf_putc(out, ch);
		} else if (ch < 0x20) {
			sbuf_printf(out, "\\u%04x", ch);
		} else if (ch >= 0x7f) {
			sbuf_putc(out, '?');
		} else {
			sbuf_putc(out, ch);
		}
	}
	sbuf_putc(out, '"');
}

/* tlsrpt_json_member - "name":"value" after a comma when not first */
static void
tlsrpt_json_member(
    struct sbuf *out, const char *name, const char *value, bool first)
{
	if (!first)
		sbuf_putc(out, ',');
	tlsrpt_json_str(out, name, strlen(name));
	sbuf_putc(out, ':');
	tlsrpt_json_str(out, value, strlen(value));
}

/* tlsrpt_json_lines - "name":["line",...] from '\n'-separated lines */
static void
tlsrpt_json_lines(struct sbuf *out, const char *name, const char *lines)
{
	const char *p = lines, *nl;
	bool first = true;

	sbuf_putc(out, ',');
	tlsrpt_json_str(out, name, strlen(name));
	sbuf_puts(out, ":[");
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (!first)
			sbuf_putc(out, ',');
		tlsrpt_json_str(
		    out, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		first = false;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	sbuf_putc(out, ']');
}

/* tlsrpt_json_failure - one failure-details entry */
static void
tlsrpt_json_failure(struct sbuf *out, const struct tlsrpt_failure *f)
{
	sbuf_putc(out, '{');
	tlsrpt_json_member(
	    out, "result-type", tlsrpt_result_name(f->result), true);
	if (f->sending_ip[0] != '\0')
		tlsrpt_json_member(out, "sending-mta-ip", f->sending_ip, false);
	if (f->mx[0] != '\0')
		tlsrpt_json_member(out, "receiving-mx-hostname", f->mx, false);
	if (f->receiving_ip[0] != '\0')
		tlsrpt_json_member(out, "receiving-ip", f->receiving_ip, false);
	sbuf_printf(out, ",\"failed-session-count\":%llu", f->count);
	if (f->reason[0] != '\0')
		tlsrpt_json_member(
		    out, "failure-reason-code", f->reason, false);
	sbuf_putc(out, '}');
}

/* tlsrpt_json_policy - one entry of "policies" */
static void
tlsrpt_json_policy(
    struct sbuf *out, const struct tlsrpt_rec *r, const struct tlsrpt_policy *p)
{
	size_t i;

	sbuf_puts(out, "{\"policy\":{");
	tlsrpt_json_member(out, "policy-type", tlsrpt_type_name(p->type), true);
	if (p->strings[0] != '\0')
		tlsrpt_json_lines(out, "policy-string", p->strings);
	tlsrpt_json_member(out, "policy-domain", r->domain, false);
	if (p->mx_hosts[0] != '\0')
		tlsrpt_json_lines(out, "mx-host", p->mx_hosts);
	sbuf_printf(out,
	    "},\"summary\":{\"total-successful-session-count\":%llu,"
	    "\"total-failure-session-count\":%llu},\"failure-details\":[",
	    p->ok, p->failed);
	for (i = 0; i < p->nfail; i++) {
		if (i > 0)
			sbuf_putc(out, ',');
		tlsrpt_json_failure(out, &p->fail[i]);
	}
	sbuf_puts(out, "]}");
}

/* tlsrpt_json - the report */
void
tlsrpt_json(const struct tlsrpt_rec *r, const struct tlsrpt_org *org,
    const char *id, struct sbuf *out)
{
	char t[40];
	size_t i;

	sbuf_reset(out);
	sbuf_putc(out, '{');
	tlsrpt_json_member(out, "organization-name", org->organization, true);
	sbuf_puts(out, ",\"date-range\":{");
	snprintf(t, sizeof(t), "%sT00:00:00Z", r->day);
	tlsrpt_json_member(out, "start-datetime", t, true);
	snprintf(t, sizeof(t), "%sT23:59:59Z", r->day);
	tlsrpt_json_member(out, "end-datetime", t, false);
	sbuf_putc(out, '}');
	tlsrpt_json_member(out, "contact-info", org->contact, false);
	tlsrpt_json_member(out, "report-id", id, false);
	sbuf_puts(out, ",\"policies\":[");
	for (i = 0; i < r->npol; i++) {
		if (i > 0)
			sbuf_putc(out, ',');
		tlsrpt_json_policy(out, r, &r->pol[i]);
	}
	sbuf_puts(out, "]}\n");
}
