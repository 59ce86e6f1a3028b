/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	ovr - the DNS override map: parse, index, match, lint
 * DESCRIPTION
 *	An override line names a domain pattern, a target server and
 *	qualifiers ($priority:N, $size<op>N, $retries<op>N, $end, $tls:P).
 *	ovr_map_load() reads a map, collecting every problem with
 *	FILE:LINE:COLUMN; ovr_map_match() gives, for (domain, size,
 *	retries), the matching lines in file order and the targets in
 *	delivery order (priority ascending, equal priorities shuffled).
 *	Exact patterns are indexed in a hash, wildcard patterns by their
 *	literal suffix, so a lookup never scans the whole map. Given a
 *	directory (state_dir), ovr_map_load_conf() uses a compiled map
 *	there (OVR_CMAP_NAME), rebuilt when the text map's identity
 *	changed: an indexed, position-independent file mapped read-only,
 *	so that processes share its pages and loading costs no parse.
 *	Its answers are those of the parsed map. ovr_lint()
 *	adds the warnings of SPEC section 2 (lint). DNS is not consulted
 *	here: route.h combines matches with the resolver.
 *	Syntax details: a # that starts a token starts a comment (inside
 *	a token it is an ordinary byte, so a password may hold one); a
 *	CR before the LF and a UTF-8 BOM at the start are ignored;
 *	qualifier names and $tls: policies are case-insensitive.
 * OWNERSHIP
 *	ovr_map_load() and ovr_map_parse() allocate a map; ovr_map_free()
 *	releases it and every rule (passwords are wiped). Rules and
 *	targets are borrowed from the map. ovr_map_match() fills a
 *	caller-provided struct ovr_match whose arrays it allocates;
 *	ovr_match_fini() releases them (the rules stay the map's; a
 *	compiled map's rules are decoded into the result, which owns
 *	them, while their strings stay in the map's mapping: every
 *	pointer is valid until ovr_match_fini() or ovr_map_free(),
 *	whichever comes first).
 * THREADS
 *	A loaded map is read-only: concurrent ovr_map_match() calls on one
 *	map are safe when each thread has its own struct rnd and result.
 * ERRORS
 *	OVR_OK; OVR_NOFILE (the file could not be read: local, temporary;
 *	deliver defers); OVR_INVALID (at least one error in the diag list:
 *	a bad configuration, deliver defers with 4.3.5 and never routes by
 *	part of a map); OVR_TEMP (ovr_map_compile() only: the compiled
 *	map could not be written, or another process held the lock too
 *	long; local, temporary). A compiled map that is missing, stale or
 *	damaged is never an error: it is rebuilt, or the text is parsed.
 * SEE ALSO
 *	SPEC section 4; smtpdirect.conf(5); route.h; diag.h.
 */
#ifndef SMTPDIRECT_OVR_H
#define SMTPDIRECT_OVR_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "diag.h"
#include "rnd.h"
#include "sbuf.h"

#define OVR_LINE_MAX 4096 /* longest line; longer is an error */
#define OVR_COND_MAX 4 /* most $size (or $retries) on a line */
#define OVR_PRIORITY_DEFAULT 10 /* $priority when none is given */
#define OVR_PRIORITY_MAX 65535 /* like an MX preference */
#define OVR_PORT_DEFAULT 25 /* port when the target names none */
#define OVR_PORT_IMPLICIT \
	465 /* a target port with $tls:implicit unless
				 another $tls: is given (RFC 8314) */
#define OVR_CRED_MAX 255 /* longest decoded user or password */
#define OVR_DOMAIN_MAX 253 /* longest domain or pattern */
#define OVR_FILE_MAX (64UL * 1024 * 1024) /* largest map, bytes (64 MiB) */
#define OVR_CMAP_NAME "ovr.cmap" /* the compiled map, in state_dir */
#define OVR_CMAP_LOCK "ovr.cmap.lock" /* held while it is rebuilt */
#define OVR_CMAP_WAIT_MS 20000 /* longest wait for that lock, then parse */
#define OVR_CMAP_PATH_MAX 4096 /* longest path of the compiled map */

/* Results of loading a map. */
enum ovr_status {
	OVR_OK = 0, /* loaded, no errors (warnings allowed) */
	OVR_NOFILE, /* cannot open or read the file */
	OVR_INVALID, /* errors in the diag list */
	OVR_TEMP /* compiling: cannot write the compiled map now */
};

/* Comparison operators of $size and $retries. */
enum ovr_op {
	OVR_OP_LT, /* < */
	OVR_OP_LE, /* <= (also written as U+21D0, with a warning) */
	OVR_OP_EQ, /* = */
	OVR_OP_NE, /* <> */
	OVR_OP_GE, /* >= */
	OVR_OP_GT /* > */
};

/* One condition: the value compares by op to n. */
struct ovr_cond {
	enum ovr_op op; /* operator */
	unsigned long long n; /* bytes for $size (K/M/G applied), count */
};

/* Kinds of target host. */
enum ovr_host_kind {
	OVR_HOST_NAME, /* a host name, resolved to A/AAAA */
	OVR_HOST_IP4, /* an IPv4 literal */
	OVR_HOST_IP6 /* an IPv6 literal, written in brackets */
};

/* A target server [user:password@]host[:port]. */
struct ovr_target {
	char *host; /* lower case; IPv6 without brackets */
	enum ovr_host_kind kind; /* name or literal */
	unsigned port; /* 1-65535, OVR_PORT_DEFAULT if not given */
	char *user; /* decoded user, NULL without credentials */
	size_t user_len; /* bytes in user (may contain %00 bytes) */
	char *pass; /* decoded password, NULL without; wiped */
	size_t pass_len; /* bytes in pass */
};

/* One override line. */
struct ovr_rule {
	unsigned long line; /* 1-based line number in the file */
	char *pattern; /* domain pattern, lower case */
	struct ovr_target target; /* where to send */
	unsigned priority; /* $priority, OVR_PRIORITY_DEFAULT */
	const struct ovr_cond *size; /* nsize $size conditions, the map's */
	size_t nsize; /* entries in size, at most OVR_COND_MAX */
	const struct ovr_cond *retries; /* nretries $retries conditions */
	size_t nretries; /* entries in retries, at most OVR_COND_MAX */
	bool end; /* $end: stop at this line when it matches */
	bool has_tls; /* a $tls: option was given */
	enum cfg_tls tls; /* the $tls: policy when has_tls */
};

/* The result of a match. */
struct ovr_match {
	const struct ovr_rule **lines; /* matching rules, file order */
	const struct ovr_rule **order; /* same rules, delivery order */
	size_t n; /* entries in each array */
	bool ended; /* a $end line stopped the scan */
	struct ovr_rule *own; /* compiled map: the rules lines points to */
	struct ovr_cond *own_conds; /* compiled map: their conditions */
};

/* What ovr_map_compile() wrote. */
struct ovr_compile_info {
	char path[OVR_CMAP_PATH_MAX]; /* the compiled map */
	size_t rules; /* rules in it */
	unsigned long long bytes; /* its size */
	long long ms; /* milliseconds taken */
};

struct ovr_map;

/*
 * Read the map at path ("-" is standard input, named "-" in messages)
 * and index it. On OVR_OK and OVR_INVALID *out receives a map (for
 * OVR_INVALID it holds the lines that parsed, so lint can still check
 * them; never route mail by it). The file's mode is recorded for
 * ovr_lint(). On OVR_NOFILE *out is untouched and dl names the file
 * and the reason (a record without line number): it cannot be opened
 * or read, it is not a regular file (a FIFO, a device: refused before
 * any read; standard input may be a pipe), or it is larger than
 * OVR_FILE_MAX bytes.
 * Returns: OVR_OK, OVR_NOFILE, OVR_INVALID.
 */
enum ovr_status ovr_map_load(
    const char *path, struct ovr_map **out, struct diag_list *dl);

/*
 * Load the map a configuration names, as every program does: an empty
 * (or NULL) path means no map, and so does a missing file when
 * missing_ok (the path is the built-in default, which need not
 * exist). With lint, ovr_lint() warnings are added to dl as well. On
 * OVR_OK *out receives the map, or NULL for none; otherwise *out is
 * untouched and dl holds the reasons (never route by part of a map).
 * cmap_dir is a directory the caller trusts (state_dir, sdir.h) or
 * NULL: with it the compiled map there is used when it records the
 * text's identity (device, inode, size, mtime, mode), else rebuilt
 * first, once, under a lock that other processes wait for (at most
 * OVR_CMAP_WAIT_MS, then they parse the text themselves). With lint
 * the warnings are those recorded from the text, lint's included: a
 * compiled map built without lint (lint costs a third of a build) is
 * rebuilt once for the first caller that lints. A map with errors is
 * never compiled: the result is the parse's, as without cmap_dir.
 * Returns: OVR_OK, OVR_NOFILE, OVR_INVALID.
 */
enum ovr_status ovr_map_load_conf(const char *path, bool missing_ok, bool lint,
    const char *cmap_dir, struct ovr_map **out, struct diag_list *dl);

/*
 * Compile the map at path into cmap_dir now, whether or not the
 * compiled map there is up to date (smtpdirect compile), and fill
 * *info. Errors and warnings of the text go to dl.
 * Returns: OVR_OK, OVR_NOFILE, OVR_INVALID (nothing written),
 * OVR_TEMP (dl says why).
 */
enum ovr_status ovr_map_compile(const char *path, const char *cmap_dir,
    struct ovr_compile_info *info, struct diag_list *dl);

/* True for a map read from a compiled file. */
bool ovr_map_compiled(const struct ovr_map *map);

/*
 * Parse len bytes of map text; name is used in diagnostics. Always
 * returns a map (free with ovr_map_free); errors go to dl (not NULL).
 * Text from memory has no file mode, so lint does not judge it.
 */
struct ovr_map *ovr_map_parse(
    const char *name, const char *buf, size_t len, struct diag_list *dl);

/* Release a map and its rules, wiping passwords. NULL is ignored. */
void ovr_map_free(struct ovr_map *map);

/* Number of rules (valid lines) in the map. */
size_t ovr_map_count(const struct ovr_map *map);

/*
 * The i-th rule in file order; borrowed until ovr_map_free. NULL past
 * the end, and for a compiled map (whose rules ovr_map_match() gives).
 */
const struct ovr_rule *ovr_map_rule(const struct ovr_map *map, size_t i);

/* The name the map was loaded under. */
const char *ovr_map_name(const struct ovr_map *map);

/*
 * Match domain (case-insensitive, a trailing dot ignored) with the
 * message size in bytes and the recipient's earlier temporary failures.
 * Always fills *out (release with ovr_match_fini); rng shuffles equal
 * priorities (NULL: file order among equals). A domain longer than
 * OVR_DOMAIN_MAX matches nothing.
 * Returns the number of matching lines (0: use DNS).
 */
size_t ovr_map_match(const struct ovr_map *map, const char *domain,
    unsigned long long size, unsigned long retries, struct rnd *rng,
    struct ovr_match *out);

/* Release the arrays of a match result. */
void ovr_match_fini(struct ovr_match *m);

/*
 * True when the pattern matches the domain (ASCII case-insensitive).
 * Work is bounded by pattern length times domain length.
 */
bool ovr_pattern_match(const char *pattern, const char *domain);

/* True when value compares to the condition. */
bool ovr_cond_holds(const struct ovr_cond *c, unsigned long long value);

/* The operator as written ("<="). */
const char *ovr_op_name(enum ovr_op op);

/*
 * Append the rule in canonical form to sb, the password replaced by
 * "********": "*.example.org fred:********@relay:587 $priority:5 $end".
 * Defaults (port 25, priority 10) are left out; the user name is
 * written with %XX escapes where needed; $size, $retries, $tls, $end
 * come in that order.
 */
void ovr_rule_format(const struct ovr_rule *rule, struct sbuf *sb);

/*
 * Add lint warnings to dl: lines that can never match, lines after an
 * unconditional "* ... $end", duplicate lines, and credentials in a
 * file that users other than its owner can read. Nothing for a
 * compiled map: ovr_map_load_conf() gives the warnings it recorded.
 */
void ovr_lint(const struct ovr_map *map, struct diag_list *dl);

/*
 * Parse a size with an optional K, M or G suffix (x1024, x1024^2,
 * x1024^3) as $size and route -s take it. False on bad syntax or
 * overflow.
 */
bool ovr_size_parse(const char *s, unsigned long long *out);

#endif
