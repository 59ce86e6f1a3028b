/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	cfg - smtpdirect.conf: parse, apply defaults, publish read-only
 * DESCRIPTION
 *	Reads "name = value" lines (# comments, blank lines ignored) into a
 *	struct cfg. One table (cfg_table.c) gives every key its name,
 *	default, type, range and description; it drives parsing, defaults,
 *	the --help listing and the documentation test. Unknown keys and
 *	bad values are errors naming file:line:column, all collected in a
 *	diag list. cfg_load() publishes the result once as the process's
 *	configuration (cfg_get()); cfg_read() fills a caller's struct and
 *	is what unit tests use. Core modules never read struct cfg: the
 *	commands pass them what they need.
 * OWNERSHIP
 *	cfg_read() fills *out with allocated strings; release them with
 *	cfg_fini(). The published configuration lives until exit.
 *	cfg_get() and cfg_table_get() return borrowed, read-only data.
 * THREADS
 *	cfg_load() before threads start; cfg_get() is then safe.
 * ERRORS
 *	CFG_OK; CFG_NOFILE (an explicitly named file is missing, or the
 *	file cannot be read: a local, temporary problem); CFG_INVALID (at
 *	least one error in the diag list).
 * SEE ALSO
 *	SPEC section 3, smtpdirect.conf(5), diag.h.
 */
#ifndef SMTPDIRECT_CFG_H
#define SMTPDIRECT_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define CFG_DEFAULT_PATH SMTPDIRECT_SYSCONFDIR "/smtpdirect/smtpdirect.conf"
#define CFG_ENV "SMTPDIRECT_CONF" /* environment override of the path */
#define CFG_LINE_MAX 4096 /* longest configuration line */
#define CFG_SERVERS_MAX 8 /* most entries in dns_servers */
#define CFG_HOST_MAX 255 /* longest host name or address text */
#define CFG_PATH_MAX 4095 /* longest path value */
#define CFG_DNS_PORT 53 /* port of a dns_servers entry without one */

/* Results of cfg_read() and cfg_load(). */
enum cfg_status {
	CFG_OK = 0, /* loaded (or built-in defaults) */
	CFG_NOFILE, /* named file missing or unreadable */
	CFG_INVALID /* errors in the diag list */
};

/* TLS policies, SPEC section 3; also used by override lines ($tls:). */
enum cfg_tls {
	CFG_TLS_NONE, /* never STARTTLS */
	CFG_TLS_MAY, /* opportunistic */
	CFG_TLS_ENCRYPT, /* STARTTLS required, any certificate */
	CFG_TLS_VERIFY, /* certificate must verify and match */
	CFG_TLS_DANE, /* RFC 7672; without usable TLSA like may */
	CFG_TLS_IMPLICIT /* override lines only: TLS from the first byte
			    (RFC 8314, port 465), certificate as verify */
};

/* Address families: dns_address_family and dns_address_preference. */
enum cfg_family {
	CFG_FAMILY_ANY, /* both (family), or no preference */
	CFG_FAMILY_IPV4, /* IPv4 only, or first */
	CFG_FAMILY_IPV6 /* IPv6 only, or first */
};

/* One DNS server address from dns_servers. */
struct cfg_server {
	char addr[CFG_HOST_MAX + 1]; /* numeric address, no brackets */
	unsigned port; /* 53 unless given */
	bool is_ip6; /* addr is IPv6 */
};

/* The configuration. Times are in seconds, sizes in bytes or entries. */
struct cfg {
	char *path; /* file read, or NULL for defaults */
	struct cfg_server dns_servers[CFG_SERVERS_MAX]; /* resolvers */
	size_t dns_servers_n; /* 0 = use /etc/resolv.conf */
	char *dns_overrides; /* override map path, "" = none */
	unsigned long dns_cache_size; /* cached results; 0 = off */
	unsigned long dns_timeout; /* seconds per DNS try */
	unsigned long dns_tries; /* tries per DNS server */
	enum cfg_family dns_address_family; /* families looked up */
	enum cfg_family dns_address_preference; /* family tried first */
	unsigned long max_concurrent; /* host-wide messages in flight */
	char *state_dir; /* cache, retry state, slots */
	char *helo_name; /* EHLO name; "" = the host's FQDN */
	char *milter_transport; /* X-SMTPDirect-Transport value */
	bool milter_reject_null_mx; /* the milter's check at RCPT */
	unsigned long milter_dns_time_limit; /* seconds, one RCPT lookup */
	bool mta_sts; /* honour recipient domains' MTA-STS policies */
	unsigned long mta_sts_fetch_timeout; /* seconds, one policy fetch */
	unsigned mx_port; /* port for direct MX delivery */
	enum cfg_tls tls_policy; /* STARTTLS policy */
	char *tls_ca_file; /* CA bundle; "" = system store */
	char
	    *tls_min_version; /* "TLSv1.2"; checked by smtp_tls_version_parse */
	bool auth_requires_tls; /* no AUTH before STARTTLS */
	bool tls_required_header; /* RFC 8689: a message's TLS-Required: No
				     lifts DANE, MTA-STS and tls_policy for
				     its MX hosts to opportunistic TLS */
	bool tlsrpt; /* count TLS results for TLS reports (RFC 8460) */
	char *tlsrpt_organization; /* organization-name; "" = helo name */
	char *tlsrpt_contact; /* contact-info and From: of mailed reports;
				 "" = postmaster@ the helo name */
	char *tlsrpt_sendmail; /* sendmail(1) for mailto: reports */
	bool downgrade_8bit; /* 8-bit MIME made 7-bit without 8BITMIME */
	bool greeting_521_bounces; /* RFC 7504: a 521 greeting refuses
				      for good (else skipped as 5xx) */
	bool smtp_chunking; /* BDAT where CHUNKING is offered */
	bool smtp_limits; /* the servers' LIMITS are kept to */
	unsigned long smtp_recipient_limit; /* recipients in a transaction,
					       0 = no limit of our own */
	unsigned long connect_timeout; /* seconds */
	unsigned long command_timeout; /* seconds */
	unsigned long data_timeout; /* seconds */
	unsigned long deliver_time_limit; /* seconds, whole deliver run */
	unsigned long retry_max_age; /* seconds a retry record is kept */
	unsigned long session_cache_time; /* seconds an idle connection is
					     kept; 0 = none */
	char *log_file; /* deliver's log file; "" = syslog */
	unsigned long worker_idle_time; /* seconds an idle delivery worker
					   is kept; 0 = none */
};

/* Types of configuration values. */
enum cfg_type {
	CFG_T_STRING, /* printable text without spaces */
	CFG_T_PATH, /* absolute file or directory name, or empty */
	CFG_T_UINT, /* decimal integer in [min, max] */
	CFG_T_PORT, /* 1-65535 */
	CFG_T_BOOL, /* yes/no/true/false/on/off/1/0 */
	CFG_T_DURATION, /* integer with optional s, m, h, d suffix */
	CFG_T_TLS, /* none, may, encrypt, verify, dane */
	CFG_T_FAMILY, /* any, ipv4, ipv6 */
	CFG_T_SERVERS /* comma list of addr[:port] / [v6]:port */
};

/* One row of the parameter table. */
struct cfg_param {
	const char *name; /* key, lower_case_with_underscores */
	const char *def; /* default, as it would be written */
	enum cfg_type type; /* value type */
	/* Range for numbers (seconds for durations), lengths for strings. */
	unsigned long min, max;
	size_t offset; /* offsetof(struct cfg, field) */
	const char *description; /* one line for --help and docs */
};

/* The parameter table, sorted by name; *n receives its length. */
const struct cfg_param *cfg_table_get(size_t *n);

/* Look a key up in the table; NULL when unknown. */
const struct cfg_param *cfg_table_find(const char *name);

/* Fill *out with the built-in defaults. Release with cfg_fini(). */
void cfg_defaults(struct cfg *out);

/*
 * Read path into *out (defaults first, then the file). When
 * must_exist is false a missing file means built-in defaults. path
 * and dl must not be NULL. Problems go to dl; CFG_NOFILE adds an
 * error with line 0 naming the file. *out is always initialised;
 * release with cfg_fini() whatever the result.
 * Returns: CFG_OK, CFG_NOFILE, CFG_INVALID.
 */
enum cfg_status cfg_read(
    const char *path, bool must_exist, struct cfg *out, struct diag_list *dl);

/* Release the strings of a configuration; the struct may be reused. */
void cfg_fini(struct cfg *cfg);

/*
 * The path to use: explicit (from -c) if not NULL, else $SMTPDIRECT_CONF
 * if set and not empty, else CFG_DEFAULT_PATH. *must_exist is set true
 * unless the default path was chosen. Returns a borrowed string.
 */
const char *cfg_path_choose(const char *explicit_path, bool *must_exist);

/*
 * Choose the path, read it and publish it for cfg_get(). Only a
 * CFG_OK result is published, and only once: a second call after a
 * CFG_OK one is a programming error (msg_panic).
 * Returns: CFG_OK, CFG_NOFILE, CFG_INVALID.
 */
enum cfg_status cfg_load(const char *explicit_path, struct diag_list *dl);

/*
 * The published configuration; msg_panic when cfg_load() has not
 * returned CFG_OK. Borrowed, valid until exit or cfg_unload().
 */
const struct cfg *cfg_get(void);

/*
 * Release the published configuration, so that cfg_load() may publish
 * another (a delivery worker whose file changed). Every pointer
 * cfg_get() gave is dead afterwards. Nothing happens when none is
 * published.
 */
void cfg_unload(void);

/*
 * Parse a duration like "30s", "5m", "1h", "2d" or "90" into seconds.
 * Returns false on bad syntax or overflow; *out is then untouched.
 */
bool cfg_parse_duration(const char *s, unsigned long *out);

/* Name of a TLS policy ("may"), and its parse; false on unknown names. */
const char *cfg_tls_name(enum cfg_tls tls);
bool cfg_tls_parse(const char *s, enum cfg_tls *out);

/* Name of an address family ("ipv4"), and its parse; false on unknown. */
const char *cfg_family_name(enum cfg_family family);
bool cfg_family_parse(const char *s, enum cfg_family *out);

#endif
