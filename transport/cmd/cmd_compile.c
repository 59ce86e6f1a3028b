/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect compile: build the compiled override map now, as postmap. */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "diag.h"
#include "msg.h"
#include "ovr.h"
#include "sdir.h"

static bool cmd_compile_dir(const struct cfg *cfg);

/*
 * cmd_compile_dir - may the compiled map be written to state_dir (made
 * when missing, as deliver makes it)? Says why not on stderr.
 */
static bool
cmd_compile_dir(const struct cfg *cfg)
{
	struct sdir_info sd;
	char text[SDIR_TEXT_MAX];

	/* Root would make it root's: the transport's user could not use it
	 * (and postmap's habit is to run as root). */
	if (sdir_check(cfg->state_dir, &sd) == SDIR_MISSING && geteuid() == 0) {
		fprintf(stderr,
		    "smtpdirect: compile: state_dir %s does not exist; "
		    "run compile as the user smtpdirect runs as (it makes "
		    "it), or make install\n",
		    cfg->state_dir);
		return false;
	}
	if (sd.trust == SDIR_MISSING && mkdir(cfg->state_dir, 0700) < 0 &&
	    errno != EEXIST) {
		fprintf(stderr, "smtpdirect: compile: mkdir %s: %s\n",
		    cfg->state_dir, strerror(errno));
		return false;
	}
	(void)sdir_check(cfg->state_dir, &sd);
	if (sdir_keeper_ok(sd.trust))
		return true;
	if (sd.trust == SDIR_BAD)
		fprintf(stderr, "smtpdirect: compile: state_dir %s: %s\n",
		    cfg->state_dir, strerror(sd.err));
	else
		fprintf(stderr,
		    "smtpdirect: compile: %s; nothing compiled (every "
		    "process parses the map)\n",
		    sdir_warning(cfg->state_dir, &sd, text, sizeof(text)));
	return false;
}

/* cmd_compile - smtpdirect compile [-c FILE] */
int
cmd_compile(int argc, char **argv)
{
	const char *conf = NULL;
	struct ovr_compile_info info;
	const struct cfg *cfg;
	struct diag_list *dl;
	enum ovr_status st;
	int ch, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		default:
			cmd_usage_print(stderr);
			return MSG_EX_USAGE;
		}
	}
	if (optind != argc) {
		cmd_usage_print(stderr);
		return MSG_EX_USAGE;
	}
	if (!cmd_cfg_load(conf, NULL))
		return MSG_EX_CONFIG;
	cfg = cfg_get();
	if (cfg->dns_overrides[0] == '\0') {
		printf("compile: no override map configured "
		       "(dns_overrides is empty)\n");
		return MSG_EX_OK;
	}
	if (!cmd_compile_dir(cfg))
		return MSG_EX_TEMPFAIL;
	/* The build is logged (syslog) as every process's rebuild is. */
	msg_init("smtpdirect", MSG_TO_SYSLOG);
	dl = diag_list_new();
	st = ovr_map_compile(cfg->dns_overrides, cfg->state_dir, &info, dl);
	diag_print(dl, stderr);
	if (st == OVR_OK) {
		printf("compile: %s: %zu rule%s into %s (%llu bytes, %lld "
		       "ms)\n",
		    cfg->dns_overrides, info.rules, info.rules == 1 ? "" : "s",
		    info.path, info.bytes, info.ms);
		rc = MSG_EX_OK;
	} else if (st == OVR_TEMP) {
		fprintf(stderr,
		    "compile: %s: not compiled: cannot write it now\n",
		    cfg->dns_overrides);
		rc = MSG_EX_TEMPFAIL;
	} else {
		fprintf(stderr,
		    "compile: %s: not compiled: %lu error%s (deliver "
		    "defers until the map is fixed)\n",
		    cfg->dns_overrides, diag_errors(dl),
		    diag_errors(dl) == 1 ? "" : "s");
		rc = MSG_EX_CONFIG;
	}
	diag_list_free(dl);
	return rc;
}
