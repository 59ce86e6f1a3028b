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
#include "deliver_args.h"
#include "dns.h"
#include "ovr.h"
#include "route.h"
#include "sdir.h"
#include "sts.h"
#include "why.h"

/* smtpdirect deliver: the pipe transport. */
int cmd_deliver(int argc, char **argv);

struct deliver_keep;

/*
 * The process a delivery worker delivers for (worker.h), which an MTA
 * may kill at any time. The hooks are called with arg.
 */
struct cmd_caller {
	bool (*read)(void *arg); /* the message was read to its end:
				    whether its caller is still there
				    (false: nothing is sent) */
	bool (*wanted)(void *arg); /* false once the caller is gone;
				      asked before each end of data */
	bool (*answer)(void *arg, int rc); /* hand over the exit status
					      (standard input, output and
					      error are done with); false
					      when the caller did not take
					      it */
	void *arg; /* their argument */
	struct deliver_keep *keep; /* sessions kept between the caller's
				      messages (deliver_run.h), or NULL */
};

/*
 * Deliver the message on standard input as a asks, with the published
 * configuration (cfg_get()): the final line on standard error, the log
 * lines, and the exit status returned. When have_map is true, map is
 * the override map to use (borrowed; NULL for none); otherwise the
 * configured one is loaded and released here. caller is NULL when the
 * delivery is this process's own; otherwise its answer() hook is
 * called once, on every path, and when the caller did not take the
 * answer every recipient delivered is recorded in the retry state (the
 * MTA will run the message again).
 */
int cmd_deliver_run(const struct deliver_args *a, struct ovr_map *map,
    bool have_map, const struct cmd_caller *caller);

/* Refuse the run before any delivery: the final line, log lines, 75. */
int cmd_deliver_defer(const struct deliver_args *a, const struct why *why);

/* A delivery worker (argv[0] PROC_WORKER_TITLE), started by the keeper
 * only: argc 1. */
int cmd_worker(int argc, char **argv);

/* smtpdirect route: explain a route; Exim and Postfix lookups. */
int cmd_route(int argc, char **argv);

/* smtpdirect lint: check override maps. */
int cmd_lint(int argc, char **argv);

/* smtpdirect check: owners and modes of an installation; 0 or 1. */
int cmd_check(int argc, char **argv);

/* smtpdirect compile: build the compiled override map in state_dir. */
int cmd_compile(int argc, char **argv);

/* smtpdirect policy: the MTA-STS policy of a domain, and its effect. */
int cmd_policy(int argc, char **argv);

/* smtpdirect tlsrpt: send the daily TLS reports (RFC 8460). */
int cmd_tlsrpt(int argc, char **argv);

/* smtpdirect resolve: show the MX set through the resolver. */
int cmd_resolve(int argc, char **argv);

/* Print the usage synopsis to fp. */
void cmd_usage_print(void *fp);

/*
 * Shared glue (cmd_util.c). The options "-c FILE" (into *conf) and
 * "-v" and exactly one operand, argv[optind] on success: MSG_EX_OK, or
 * MSG_EX_USAGE with the synopsis printed.
 */
int cmd_args_one(int argc, char **argv, const char **conf);

/*
 * The route of arg (an address or a domain) for sub-command name, with
 * the configuration conf (-c, or NULL) loaded and its override map in
 * *map (NULL when none): MSG_EX_OK, the caller then owns *map
 * (ovr_map_free()) and *r (route_fini()); else the exit status, the
 * reason printed, nothing to free.
 */
int cmd_route_plan(const char *name, const char *conf, const char *arg,
    unsigned long long size, unsigned long retries, struct ovr_map **map,
    struct route *r);

/*
 * Load the configuration named by -c (or NULL
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
 * cache in state_dir unless sd, what sdir_check() found of it, says
 * another user owns it or any user may write it, address families).
 * servers must have room for DNS_SERVERS_MAX entries; opts points into
 * it.
 */
void cmd_dns_opts(const struct cfg *cfg, const struct sdir_info *sd,
    struct dns_server *servers, struct dns_opts *opts);

/*
 * The MTA-STS context of the configuration (its cache in state_dir
 * where sd, what sdir_check() found of it, allows a DNS cache), or
 * NULL when mta_sts = no. Free with sts_free().
 */
struct sts *cmd_sts_new(const struct cfg *cfg, const struct sdir_info *sd);

#endif
