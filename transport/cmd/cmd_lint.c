/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect lint: check override maps, every problem with its place. */

#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "diag.h"
#include "msg.h"
#include "ovr.h"
#include "sdir.h"

#define LINT_OK 0 /* no errors, warnings allowed */
#define LINT_ERRORS 1 /* at least one error */
#define LINT_UNREADABLE 2 /* a file could not be read */

static int cmd_lint_file(
    const char *path, unsigned long *errors, unsigned long *warnings);

/* cmd_lint_file - check one map; returns LINT_* for it */
static int
cmd_lint_file(const char *path, unsigned long *errors, unsigned long *warnings)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;
	enum ovr_status st;
	int rc;

	st = ovr_map_load(path, &map, dl);
	if (map != NULL)
		ovr_lint(map, dl);
	diag_print(dl, stdout);
	*errors += diag_errors(dl);
	*warnings += diag_warnings(dl);
	if (st == OVR_NOFILE)
		rc = LINT_UNREADABLE;
	else
		rc = diag_errors(dl) > 0 ? LINT_ERRORS : LINT_OK;
	ovr_map_free(map);
	diag_list_free(dl);
	return rc;
}

/*
 * cmd_lint_state_dir - warn about a state_dir that other users can
 * write or that the user running lint does not own (sdir.h)
 */
static void
cmd_lint_state_dir(const struct cfg *cfg, unsigned long *warnings)
{
	struct sdir_info sd;
	char text[SDIR_TEXT_MAX];

	(void)sdir_check(cfg->state_dir, &sd);
	if (sd.trust == SDIR_OWN || sd.trust == SDIR_MISSING)
		return;
	printf("%s: warning: %s\n",
	    cfg->path != NULL ? cfg->path : "(built-in defaults)",
	    sdir_warning(cfg->state_dir, &sd, text, sizeof(text)));
	(*warnings)++;
}

/* cmd_lint - smtpdirect lint [-c FILE] [OVERRIDES_FILE...] */
int
cmd_lint(int argc, char **argv)
{
	const char *conf = NULL;
	unsigned long errors = 0, warnings = 0, files = 0;
	int ch, rc = LINT_OK, r, i;

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
	if (optind == argc) {
		const struct cfg *cfg;

		if (!cmd_cfg_load(conf, NULL))
			return MSG_EX_CONFIG;
		cfg = cfg_get();
		cmd_lint_state_dir(cfg, &warnings);
		if (cfg->dns_overrides[0] == '\0') {
			printf("lint: no override map configured "
			       "(dns_overrides is empty)\n");
			return LINT_OK;
		}
		r = cmd_lint_file(cfg->dns_overrides, &errors, &warnings);
		rc = r;
		files = 1;
	}
	for (i = optind; i < argc; i++, files++) {
		r = cmd_lint_file(argv[i], &errors, &warnings);
		if (r > rc)
			rc = r;
	}
	printf("lint: %lu error%s, %lu warning%s in %lu file%s\n", errors,
	    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s", files,
	    files == 1 ? "" : "s");
	return rc;
}
