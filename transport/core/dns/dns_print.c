/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Text of MX sets and answers, as smtpdirect resolve prints them. */

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "dns.h"

/* dns_print_source - "A ttl 300 (cache)" or "AAAA NODATA ttl 60 (network)" */
static void
dns_print_source(
    struct sbuf *out, const char *type, const struct dns_source *src)
{
	sbuf_printf(out, "%s", type);
	if (src->status != DNS_OK)
		sbuf_printf(out, " %s", dns_status_str(src->status));
	if (src->status != DNS_TEMP)
		sbuf_printf(out, " ttl %u", (unsigned)src->ttl);
	sbuf_printf(out, " (%s%s)", src->from_cache ? "cache" : "network",
	    src->ad ? ", AD" : "");
}

/* dns_print_host - one host line and its addresses */
static void
dns_print_host(struct sbuf *out, const struct dns_host *h)
{
	char buf[64];
	size_t i;
	bool comma = false;

	sbuf_printf(out, "%u %s:", h->pref, h->name);
	if (h->is_literal)
		sbuf_puts(out, " IP address, used as is");
	if (h->a.asked) {
		sbuf_putc(out, ' ');
		dns_print_source(out, "A", &h->a);
		comma = true;
	}
	if (h->aaaa.asked) {
		sbuf_puts(out, comma ? ", " : " ");
		dns_print_source(out, "AAAA", &h->aaaa);
	}
	if (h->status != DNS_OK)
		sbuf_printf(out, ": skipped: %s", h->why.text);
	sbuf_putc(out, '\n');
	for (i = 0; i < h->addrs_n; i++)
		sbuf_printf(out, "    %s\n",
		    dns_addr_str(&h->addrs[i], buf, sizeof(buf)));
}

/* dns_mxset_format - the MX set as text */
void
dns_mxset_format(const struct dns_mxset *set, struct sbuf *out)
{
	size_t i;

	sbuf_printf(out, "%s: ", set->domain);
	if (set->implicit)
		sbuf_puts(out, "no MX, implicit MX: ");
	dns_print_source(out, "MX", &set->mx);
	sbuf_putc(out, '\n');
	for (i = 0; i < set->n; i++)
		dns_print_host(out, &set->hosts[i]);
}

/* dns_answer_format - an answer as text */
void
dns_answer_format(const struct dns_answer *ans, struct sbuf *out)
{
	char tbuf[16], abuf[64];
	struct dns_addr addr;
	size_t i, j;

	sbuf_printf(out, "%s %s %s ttl %u (%s%s)", ans->name,
	    dns_type_str(ans->type, tbuf, sizeof(tbuf)),
	    dns_status_str(ans->status), (unsigned)ans->ttl,
	    ans->from_cache ? "cache" : "network", ans->ad ? ", AD" : "");
	if (ans->cnames > 0)
		sbuf_printf(out, " after %u CNAME", ans->cnames);
	sbuf_putc(out, '\n');
	for (i = 0; i < ans->n; i++) {
		const struct dns_rec *r = &ans->recs[i];

		if (ans->type == DNS_T_A || ans->type == DNS_T_AAAA) {
			memset(&addr, 0, sizeof(addr));
			addr.family = ans->type == DNS_T_A ? AF_INET : AF_INET6;
			memcpy(addr.bytes, r->data, r->len);
			sbuf_printf(out, "    %s\n",
			    dns_addr_str(&addr, abuf, sizeof(abuf)));
		} else if (ans->type == DNS_T_TLSA) {
			sbuf_printf(out, "    %u %u %u ", r->usage, r->selector,
			    r->mtype);
			for (j = 0; j < r->len; j++)
				sbuf_printf(out, "%02x", r->data[j]);
			sbuf_putc(out, '\n');
		} else if (ans->type == DNS_T_TXT) {
			char text[WHY_TEXT_MAX];

			sbuf_printf(out, "    \"%s\"\n",
			    why_printable(text, sizeof(text),
			        (const char *)r->data, r->len));
		} else if (ans->type == DNS_T_MX) {
			sbuf_printf(out, "    %u %s\n", r->pref,
			    *r->data ? (const char *)r->data : ".");
		} else {
			sbuf_printf(out, "    %s\n", (const char *)r->data);
		}
	}
}
