/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The one table of configuration parameters, and lookups in it. */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

#define CFG_DAY 86400UL /* seconds; the longest timeout we accept */

/*
 * Every key of SPEC section 3, sorted by name (a unit test checks the
 * order, cfg_table_find() relies on it). Defaults are written as an
 * administrator would write them; cfg_defaults() parses them.
 */
static const struct cfg_param cfg_table[] = {
    {"auth_requires_tls", "yes", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, auth_requires_tls),
        "never send credentials over an unencrypted connection"},
    {"command_timeout", "300s", CFG_T_DURATION, 1, CFG_DAY,
        offsetof(struct cfg, command_timeout),
        "time limit for each SMTP command reply"},
    {"connect_timeout", "30s", CFG_T_DURATION, 1, CFG_DAY,
        offsetof(struct cfg, connect_timeout),
        "time limit for a TCP connection and the server greeting"},
    {"data_timeout", "600s", CFG_T_DURATION, 1, CFG_DAY,
        offsetof(struct cfg, data_timeout),
        "time limit for the reply after the end of the message data"},
    {"deliver_time_limit", "900s", CFG_T_DURATION, 1, CFG_DAY,
        offsetof(struct cfg, deliver_time_limit),
        "whole-run deadline of deliver; past it, defer (exit 75)"},
    {"dns_address_family", "any", CFG_T_FAMILY, 0, 0,
        offsetof(struct cfg, dns_address_family),
        "address families looked up and used: any, ipv4 or ipv6"},
    {"dns_address_preference", "any", CFG_T_FAMILY, 0, 0,
        offsetof(struct cfg, dns_address_preference),
        "family tried first for each host: any (random), ipv4 or ipv6"},
    {"dns_cache_size", "1000", CFG_T_UINT, 0, 1000000,
        offsetof(struct cfg, dns_cache_size),
        "DNS results cached host-wide; 0 disables the cache"},
    {"dns_overrides", SMTPDIRECT_SYSCONFDIR "/smtpdirect/overrides", CFG_T_PATH,
        0, CFG_PATH_MAX, offsetof(struct cfg, dns_overrides),
        "the override map; empty = none"},
    {"dns_servers", "", CFG_T_SERVERS, 0, CFG_SERVERS_MAX,
        offsetof(struct cfg, dns_servers),
        "DNS servers, comma-separated; empty = those of /etc/resolv.conf"},
    {"dns_timeout", "5s", CFG_T_DURATION, 1, 60,
        offsetof(struct cfg, dns_timeout),
        "time limit for one DNS query to one server"},
    {"dns_tries", "2", CFG_T_UINT, 1, 10, offsetof(struct cfg, dns_tries),
        "how many times each DNS server is asked"},
    {"downgrade_8bit", "yes", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, downgrade_8bit),
        "make 8-bit MIME content 7-bit for a server without 8BITMIME"},
    {"greeting_521_bounces", "yes", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, greeting_521_bounces),
        "a 521 greeting (RFC 7504) refuses for good; no: skipped as 5xx"},
    {"helo_name", "", CFG_T_STRING, 0, CFG_HOST_MAX,
        offsetof(struct cfg, helo_name),
        "name sent in EHLO/HELO; empty = the host's FQDN"},
    {"log_file", "", CFG_T_PATH, 0, CFG_PATH_MAX,
        offsetof(struct cfg, log_file),
        "file deliver appends its log lines to; empty = syslog (mail)"},
    {"max_concurrent", "10", CFG_T_UINT, 1, 10000,
        offsetof(struct cfg, max_concurrent),
        "messages sent at once, host-wide, across all processes"},
    {"milter_dns_time_limit", "10s", CFG_T_DURATION, 1, 60,
        offsetof(struct cfg, milter_dns_time_limit),
        "how long smtpdirect-milter waits for DNS about one recipient; "
        "then it accepts"},
    {"milter_reject_null_mx", "no", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, milter_reject_null_mx),
        "smtpdirect-milter rejects at RCPT a domain with a null MX "
        "(556 5.1.10) or none (550 5.1.2)"},
    {"milter_transport", "smtpdirect:", CFG_T_STRING, 1, 255,
        offsetof(struct cfg, milter_transport),
        "Postfix transport smtpdirect-milter names when an override applies"},
    {"mta_sts", "yes", CFG_T_BOOL, 0, 1, offsetof(struct cfg, mta_sts),
        "honour the MTA-STS policies (RFC 8461) of recipient domains"},
    {"mta_sts_fetch_timeout", "10s", CFG_T_DURATION, 1, 60,
        offsetof(struct cfg, mta_sts_fetch_timeout),
        "time limit for fetching one MTA-STS policy over HTTPS"},
    {"mx_port", "25", CFG_T_PORT, 1, 65535, offsetof(struct cfg, mx_port),
        "port for direct MX delivery"},
    {"retry_max_age", "7d", CFG_T_DURATION, 3600, 365 * CFG_DAY,
        offsetof(struct cfg, retry_max_age),
        "how long retry records of a message are kept"},
    {"session_cache_time", "2s", CFG_T_DURATION, 0, 300,
        offsetof(struct cfg, session_cache_time),
        "how long an idle plaintext connection is kept for the next "
        "message; 0 = none"},
    {"smtp_chunking", "yes", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, smtp_chunking),
        "send with BDAT where the server offers CHUNKING (RFC 3030)"},
    {"smtp_limits", "yes", CFG_T_BOOL, 0, 1, offsetof(struct cfg, smtp_limits),
        "keep to the limits a server announces with LIMITS (RFC 9422)"},
    {"smtp_recipient_limit", "0", CFG_T_UINT, 0, 100000,
        offsetof(struct cfg, smtp_recipient_limit),
        "most recipients in one transaction; 0 = no limit of our own"},
    {"state_dir", SMTPDIRECT_STATEDIR, CFG_T_PATH, 1, CFG_PATH_MAX,
        offsetof(struct cfg, state_dir),
        "directory of the DNS cache, retry state and concurrency slots"},
    {"tls_ca_file", "", CFG_T_PATH, 0, CFG_PATH_MAX,
        offsetof(struct cfg, tls_ca_file),
        "CA bundle for tls_policy verify; empty = the system store"},
    {"tls_min_version", "TLSv1.2", CFG_T_STRING, 1, 16,
        offsetof(struct cfg, tls_min_version),
        "lowest TLS protocol version: TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3"},
    {"tls_policy", "may", CFG_T_TLS, 0, 0, offsetof(struct cfg, tls_policy),
        "STARTTLS policy: none, may, encrypt, verify or dane"},
    {"tls_required_header", "yes", CFG_T_BOOL, 0, 1,
        offsetof(struct cfg, tls_required_header),
        "honour TLS-Required: No (RFC 8689): opportunistic TLS to MX hosts "
        "for such a message"},
    {"tlsrpt", "yes", CFG_T_BOOL, 0, 1, offsetof(struct cfg, tlsrpt),
        "count TLS results per recipient domain and day for TLS reports "
        "(RFC 8460)"},
    {"tlsrpt_contact", "", CFG_T_STRING, 0, 255,
        offsetof(struct cfg, tlsrpt_contact),
        "contact address in TLS reports and their From:; empty = "
        "postmaster@ the helo name"},
    {"tlsrpt_organization", "", CFG_T_STRING, 0, 255,
        offsetof(struct cfg, tlsrpt_organization),
        "organization name in TLS reports; empty = the helo name"},
    {"tlsrpt_sendmail", "/usr/sbin/sendmail", CFG_T_PATH, 1, CFG_PATH_MAX,
        offsetof(struct cfg, tlsrpt_sendmail),
        "the local MTA's sendmail(1), which mails TLS reports"},
    {"worker_idle_time", "10s", CFG_T_DURATION, 0, 3600,
        offsetof(struct cfg, worker_idle_time),
        "how long an idle delivery worker waits for the next message; "
        "0 = none"},
};

#define CFG_TABLE_N (sizeof(cfg_table) / sizeof(cfg_table[0]))

static int cfg_table_cmp(const void *key, const void *elem);

/* cfg_table_get - the whole table and its length */
const struct cfg_param *
cfg_table_get(size_t *n)
{
	*n = CFG_TABLE_N;
	return cfg_table;
}

/* cfg_table_cmp - bsearch comparison of a name with a row */
static int
cfg_table_cmp(const void *key, const void *elem)
{
	const struct cfg_param *p = elem;

	return strcmp(key, p->name);
}

/* cfg_table_find - binary search by name */
const struct cfg_param *
cfg_table_find(const char *name)
{
	if (name == NULL)
		return NULL;
	return bsearch(
	    name, cfg_table, CFG_TABLE_N, sizeof(cfg_table[0]), cfg_table_cmp);
}
