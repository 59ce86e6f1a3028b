/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect deliver: the pipe transport's glue. Never bounces by itself. */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver.h"
#include "deliver_resolve.h"
#include "deliver_run.h"
#include "front.h"
#include "msg.h"
#include "mono.h"
#include "retry.h"
#include "scache.h"
#include "sdir.h"
#include "slot.h"
#include "spool.h"
#include "xalloc.h"

#define DELIVER_SLOT_WAIT_MAX 60 /* seconds waiting for a slot */

/*
 * cmd_deliver_defer - before any delivery: the one stderr line, exit 75,
 * and the usual log line for each recipient when they are known (a is
 * NULL while the arguments are not)
 */
int
cmd_deliver_defer(const struct deliver_args *a, const struct why *why)
{
	struct deliver_outcome o;
	char line[WHY_TEXT_MAX + WHY_DSN_MAX + 2];
	size_t i;

	deliver_outcome_init(&o, "");
	deliver_outcome_set(&o, DELIVER_RCPT_DEFERRED, why, NULL, 0);
	deliver_status_line(line, sizeof(line), &o);
	fprintf(stderr, "%s\n", line);
	if (a == NULL) {
		msg_warn("deferred: %s", line);
		return MSG_EX_TEMPFAIL;
	}
	for (i = 0; i < a->nrcpt; i++) {
		deliver_outcome_init(&o, a->rcpts[i]);
		deliver_outcome_set(&o, DELIVER_RCPT_DEFERRED, why, NULL, 0);
		deliver_log_outcome(a->queue_id, &o);
	}
	return MSG_EX_TEMPFAIL;
}

/*
 * cmd_deliver_log_open - log to log_file when one is set (opened anew
 * for every message, so that a worker follows logrotate's rename)
 */
static void
cmd_deliver_log_open(const struct cfg *cfg)
{
	if (cfg->log_file[0] != '\0' && !msg_file_open(cfg->log_file))
		msg_warn("cannot open log_file %s: %s; logging to syslog",
		    cfg->log_file, strerror(errno));
}

/*
 * cmd_deliver_state - may this run use state_dir (made if missing)?
 * False, with why, when it must defer: state_dir cannot be used, or
 * another user owns it and the message has a queue id (its retry
 * state cannot be kept, and a retried message sent twice). *sd says
 * what the run may create there.
 */
static bool
cmd_deliver_state(const struct deliver_args *a, const struct cfg *cfg,
    struct sdir_info *sd, struct why *why)
{
	char text[SDIR_TEXT_MAX], note[SDIR_NOTE_MAX];
	char owner[SDIR_NAME_MAX], me[SDIR_NAME_MAX];
	int err;

	if (sdir_check(cfg->state_dir, sd) == SDIR_MISSING) {
		if (mkdir(cfg->state_dir, 0700) < 0 &&
		    (err = errno) != EEXIST) {
			why_set(why, "4.3.0",
			    "cannot create state_dir %s: %s%s", cfg->state_dir,
			    strerror(err),
			    sdir_owner_note(
			        cfg->state_dir, err, note, sizeof(note)));
			return false;
		}
		(void)sdir_check(cfg->state_dir, sd);
	}
	if (sd->trust == SDIR_BAD || sd->trust == SDIR_MISSING) {
		why_set(why, "4.3.0", "cannot use state_dir %s: %s%s",
		    cfg->state_dir, strerror(sd->err),
		    sdir_owner_note(
		        cfg->state_dir, sd->err, note, sizeof(note)));
		return false;
	}
	if (sd->trust == SDIR_FOREIGN || sd->trust == SDIR_WORLD_WRITABLE)
		msg_warn(
		    "%s", sdir_warning(cfg->state_dir, sd, text, sizeof(text)));
	if (sd->trust != SDIR_FOREIGN || a->queue_id[0] == '\0')
		return true;
	why_set(why, "4.3.0",
	    "state_dir %s belongs to %s, not to %s: no retry state can be "
	    "kept for this message; run smtpdirect as %s",
	    cfg->state_dir, sdir_user_name(sd->owner, owner, sizeof(owner)),
	    sdir_user_name(sd->euid, me, sizeof(me)), owner);
	return false;
}

/*
 * cmd_deliver_dsn - the RFC 3461 parameters to pass on: the ENVID, and
 * into *orcpts (one entry per recipient, NULL for none; the caller
 * frees the array) the original recipients, each only when RFC 3461
 * allows it (smtp.h); one that it does not is logged and left out,
 * never a reason to defer
 */
static void
cmd_deliver_dsn(
    const struct deliver_args *a, struct deliver_ctx *ctx, const char ***orcpts)
{
	const char *qid = a->queue_id[0] != '\0' ? a->queue_id : "NOQUEUE";
	char rcpt[DELIVER_LOG_RCPT_MAX];
	size_t i;

	if (a->envid[0] != '\0' && smtp_dsn_envid_ok(a->envid))
		ctx->envid = a->envid;
	else if (a->envid[0] != '\0')
		msg_info("%s: ENVID not passed on: not 1 to %d printable "
		         "US-ASCII characters (RFC 3461)",
		    qid, SMTP_DSN_ENVID_MAX);
	if (a->orcpts == NULL)
		return;
	*orcpts = xcalloc(a->nrcpt, sizeof(**orcpts));
	for (i = 0; i < a->nrcpt; i++) {
		if (a->orcpts[i][0] == '\0')
			continue;
		if (smtp_dsn_orcpt_ok(a->orcpts[i])) {
			(*orcpts)[i] = a->orcpts[i];
			continue;
		}
		msg_info("%s: to=<%s>: ORCPT not passed on: the original "
		         "recipient is not printable US-ASCII or longer than "
		         "RFC 3461 allows",
		    qid, why_printable_line(rcpt, sizeof(rcpt), a->rcpts[i]));
	}
	ctx->orcpts = *orcpts;
}

/* cmd_deliver_run - deliver the message on stdin as a asks */
int
cmd_deliver_run(const struct deliver_args *a, struct ovr_map *given,
    bool have_map, const struct cmd_caller *caller)
{
	const struct cfg *cfg = cfg_get();
	struct ovr_map *map = NULL;
	struct spool *spool = NULL;
	struct retry_db *retry = NULL;
	struct slot *slot = NULL;
	struct deliver_outcome *out = NULL;
	const struct deliver_outcome *pick = NULL;
	const char **orcpts = NULL;
	struct deliver_ctx ctx;
	enum smtp_tls_version tls_min;
	struct deliver_resolver res;
	struct dns_server servers[DNS_SERVERS_MAX];
	struct dns_opts dopts;
	struct rnd rng;
	struct sdir_info sd;
	struct why why;
	char line[WHY_TEXT_MAX + WHY_DSN_MAX + 2];
	char slots[4096];
	char helo[256] = "";
	unsigned wait;
	int rc = MSG_EX_TEMPFAIL;

	memset(&res, 0, sizeof(res));
	memset(&ctx, 0, sizeof(ctx));
	why_reset(&why);
	cmd_deliver_log_open(cfg);
	if (!smtp_tls_version_parse(cfg->tls_min_version, &tls_min)) {
		why_set(&why, "4.3.5",
		    "%s: tls_min_version: unknown protocol \"%.20s\"",
		    cfg->path != NULL ? cfg->path : "(defaults)",
		    cfg->tls_min_version);
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	if (geteuid() == 0)
		msg_warn("running as root; run smtpdirect as a dedicated user");
	ctx.start_ms = a->start_ms;
	ctx.smtp.deadline_ms =
	    ctx.start_ms + (long long)cfg->deliver_time_limit * 1000;
	if (have_map) {
		map = given;
	} else if (!cmd_map_load(cfg, &map, &why)) {
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	if (spool_open(&spool, STDIN_FILENO, NULL, &why) != SD_OK) {
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	/* The end of input is the end of the message only if the MTA did
	 * not kill our caller first and then close the pipe. */
	if (caller != NULL && !caller->read(caller->arg)) {
		why_set(&why, "4.3.0",
		    "not sent: the delivery's caller was gone when its "
		    "input ended (%llu bytes read)",
		    spool_size(spool));
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	if (!cmd_deliver_state(a, cfg, &sd, &why)) {
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	if (a->queue_id[0] != '\0' &&
	    retry_open(cfg->state_dir, &retry, &why) != SD_OK) {
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	/* Pruning scans the store: now and then, not for every message. */
	rnd_init(&rng, 0);
	if (retry != NULL && rnd_below(&rng, RETRY_PRUNE_ODDS) == 0 &&
	    retry_prune(retry, time(NULL), cfg->retry_max_age, &why) != SD_OK)
		msg_warn("%s", why.text);
	snprintf(slots, sizeof(slots), "%s/slots", cfg->state_dir);
	wait = cfg->deliver_time_limit / 4;
	if (wait > DELIVER_SLOT_WAIT_MAX)
		wait = DELIVER_SLOT_WAIT_MAX;
	/* In another user's state_dir: no slot, rather than a file there. */
	if (sd.trust != SDIR_FOREIGN &&
	    (slot_dir_create(slots, 0700, &why) != SD_OK ||
	        slot_acquire(slots, cfg->max_concurrent, wait, &slot, &why) !=
	            SD_OK)) {
		rc = cmd_deliver_defer(a, &why);
		goto out;
	}
	ctx.sender = a->sender;
	ctx.queue_id = a->queue_id;
	ctx.rcpts = a->rcpts;
	ctx.nrcpt = a->nrcpt;
	cmd_deliver_dsn(a, &ctx, &orcpts);
	ctx.retries = a->retries;
	ctx.map = map;
	ctx.mx_port = cfg->mx_port;
	ctx.spool = spool;
	ctx.retry = retry;
	/* RFC 8689: no MX policy for this message, so none is looked up. */
	ctx.tls_optional =
	    cfg->tls_required_header && deliver_tls_required_no(spool);
	cmd_dns_opts(cfg, &sd, servers, &dopts);
	deliver_resolver_init(&res, &dopts, ctx.smtp.deadline_ms);
	res.sts = ctx.tls_optional ? NULL : cmd_sts_new(cfg, &sd);
	/* TLS results, counted where a DNS cache may be kept. */
	if (cfg->tlsrpt && dopts.cache_dir != NULL)
		ctx.tally = tlsrpt_tally_new();
	res.tally = ctx.tally;
	ctx.resolve = deliver_resolve;
	ctx.resolve_ctx = &res;
	ctx.tlsa = deliver_resolve_tlsa;
	if (cfg->helo_name[0] != '\0')
		snprintf(helo, sizeof(helo), "%s", cfg->helo_name);
	else if (gethostname(helo, sizeof(helo) - 1) < 0 || helo[0] == '\0')
		snprintf(helo, sizeof(helo), "localhost");
	ctx.smtp.helo_name = helo;
	ctx.smtp.connect_timeout_ms = cfg->connect_timeout * 1000;
	ctx.smtp.command_timeout_ms = cfg->command_timeout * 1000;
	ctx.smtp.data_timeout_ms = cfg->data_timeout * 1000;
	ctx.smtp.tls_ca_file = cfg->tls_ca_file;
	ctx.smtp.tls_min_version = tls_min;
	ctx.smtp.auth_without_tls = !cfg->auth_requires_tls;
	ctx.tls_policy = cfg->tls_policy;
	ctx.keep_8bit = !cfg->downgrade_8bit;
	ctx.skip_521 = !cfg->greeting_521_bounces;
	ctx.chunking = cfg->smtp_chunking;
	ctx.limits = cfg->smtp_limits;
	ctx.rcpt_limit = cfg->smtp_recipient_limit;
	ctx.rng = &rng;
	ctx.scache_dir = sdir_keeper_ok(sd.trust) ? cfg->state_dir : NULL;
	ctx.scache_keep_ms = cfg->session_cache_time * 1000;
	if (caller != NULL) {
		ctx.wanted = caller->wanted;
		ctx.wanted_ctx = caller->arg;
		ctx.keep = caller->keep;
	}
	out = xcalloc(a->nrcpt, sizeof(*out));
	deliver_run(&ctx, out);
	rc = deliver_status_exit(out, a->nrcpt, &pick);
	if (rc != MSG_EX_OK && pick != NULL)
		fprintf(stderr, "%s\n",
		    deliver_status_line(line, sizeof(line), pick));

out:
	/* Answered with the retry state still open: a caller that is gone
	 * makes its MTA run the message again, so what went out is marked. */
	if (caller != NULL && !caller->answer(caller->arg, rc) && out != NULL)
		deliver_remember(&ctx, out);
	free(out);
	free(orcpts);
	/* Off the message's path: its caller has its answer. */
	deliver_resolver_refresh(&res);
	deliver_resolver_fini(&res);
	sts_free(res.sts);
	if (ctx.tally != NULL &&
	    tlsrpt_tally_flush(ctx.tally, cfg->state_dir, &why) != SD_OK)
		msg_warn("TLS report counts not kept: %s", why.text);
	tlsrpt_tally_free(ctx.tally);
	slot_release(slot);
	retry_close(retry);
	spool_close(spool);
	if (!have_map)
		ovr_map_free(map);
	return rc;
}

/*
 * cmd_deliver_handoff - what the smtpdirect program (front.h) says of
 * its hand-off attempt, from FRONT_HANDOFF_ENV: FRONT_HANDOFF_NONE when
 * unset. The variable is removed, so that nothing started from here
 * inherits it.
 */
static enum front_handoff
cmd_deliver_handoff(void)
{
	const char *v = getenv(FRONT_HANDOFF_ENV);
	enum front_handoff h = FRONT_HANDOFF_NONE;

	if (v != NULL && strcmp(v, FRONT_HANDOFF_LOST_TEXT) == 0)
		h = FRONT_HANDOFF_LOST;
	else if (v != NULL && strcmp(v, FRONT_HANDOFF_NOKEEPER_TEXT) == 0)
		h = FRONT_HANDOFF_NOKEEPER;
	(void)unsetenv(FRONT_HANDOFF_ENV);
	return h;
}

/* cmd_deliver - smtpdirect deliver: exit 0, 75, 67, 68 or 69 */
int
cmd_deliver(int argc, char **argv)
{
	struct deliver_args a;
	const struct cfg *cfg;
	struct why why;
	enum front_handoff handoff = cmd_deliver_handoff();
	struct sdir_info sd;
	int rc;

	/* In deliver mode stderr carries nothing but the final line. */
	msg_init("smtpdirect", MSG_TO_SYSLOG);
	msg_set_fatal_status(MSG_EX_TEMPFAIL);
	why_reset(&why);
	if (!deliver_args_parse(argc, argv, &a, &why)) {
		rc = cmd_deliver_defer(NULL, &why);
		goto out;
	}
	a.start_ms = mono_now_ms();
	msg_verbose += a.verbose;
	if (!cmd_cfg_load(a.conf, &why)) {
		rc = cmd_deliver_defer(&a, &why);
		goto out;
	}
	cfg = cfg_get();
	if (handoff == FRONT_HANDOFF_LOST) {
		/* A worker took the message and died: it may have been read,
		 * and perhaps sent; only the MTA's retry may send it again. */
		cmd_deliver_log_open(cfg);
		why_set(&why, "4.3.0",
		    "delivery worker of %s ended without an answer",
		    cfg->state_dir);
		rc = cmd_deliver_defer(&a, &why);
		goto out;
	}
	rc = cmd_deliver_run(&a, NULL, false, NULL);
	/* The next message finds a worker: start what runs them. */
	if (handoff == FRONT_HANDOFF_NOKEEPER && cfg->worker_idle_time > 0 &&
	    sdir_keeper_ok(sdir_check(cfg->state_dir, &sd)))
		scache_ensure(cfg->state_dir, cfg->session_cache_time * 1000,
		    cfg->worker_idle_time * 1000);

out:
	deliver_args_free(&a);
	return rc;
}
