/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	cmd - the smtpdirect sub-commands
 * DESCRIPTION
 *	Each sub-command is a main()-like function that parses its own
 *	arguments (argv[0] is the sub-command name) and returns the exit
 *	status. They hold glue only; the work is in the core modules.
 * OWNERSHIP
 *	Arguments are borrowed.
 * THREADS
 *	Not thread-safe (they set up the process).
 * ERRORS
 *	deliver: sysexits per SPEC section 2 (75 for anything not definite);
 *	route, lint, resolve: 64 bad arguments, 78 bad configuration.
 * SEE ALSO
 *	SPEC section 2; smtpdirect(8).
 */
#ifndef SMTPDIRECT_CMD_H
#define SMTPDIRECT_CMD_H

#include <stdbool.h>

#include "cfg.h"
#include "dns.h"
#include "ovr.h"
#include "why.h"

/* smtpdirect deliver: the pipe transport. */
int cmd_deliver(int argc, char **argv);

/* smtpdirect route: explain a route; Exim and Postfix lookups. */
int cmd_route(int argc, char **argv);

/* smtpdirect lint: check override maps. */
int cmd_lint(int argc, char **argv);

/* smtpdirect resolve: show the MX set through the resolver. */
int cmd_resolve(int argc, char **argv);

/* Print the usage synopsis to fp. */
void cmd_usage_print(void *fp);

/*
 * Shared glue (cmd_util.c). Load the configuration named by -c (or NULL
 * for the default rules) and publish it. With why NULL every problem is
 * printed on stderr; else nothing is printed and, on failure, why gets
 * 4.3.5 and the first error. Returns false on failure.
 */
bool cmd_cfg_load(const char *explicit_path, struct why *why);

/*
 * Load the configured override map into *out (NULL when none is
 * configured, or the default map file does not exist). On failure fill
 * why with 4.3.5 and the first problem ("file:line:col: ...") and return
 * false; *out is untouched.
 */
bool cmd_map_load(const struct cfg *cfg, struct ovr_map **out, struct why *why);

/*
 * Resolver options from the configuration (servers, time-out, tries,
 * cache in state_dir, address families). servers must have room for
 * DNS_SERVERS_MAX entries; opts points into it.
 */
void cmd_dns_opts(
    const struct cfg *cfg, struct dns_server *servers, struct dns_opts *opts);

/* Parse a decimal count for -r; false on bad syntax or overflow. */
bool cmd_parse_count(const char *s, unsigned long *out);

#endif
