/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtpdirect check: the owners and modes of an installation, as
 * smtpdirect(8) FILES lists them, checked on the live system; each
 * problem is printed with the command that fixes it.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "diag.h"
#include "cmd.h"
#include "msg.h"
#include "ovr.h"
#include "sdir.h"

#define CHECK_USER_DEFAULT "smtpdirect" /* make install's user */
#define CHECK_FILES_MAX 10000 /* state_dir entries looked at */
#define CHECK_GROUPS_MAX 64 /* the user's groups considered */

/* The user the transport runs as, and what was found. */
struct check_run {
	const char *user; /* its name */
	uid_t uid; /* its uid */
	gid_t groups[CHECK_GROUPS_MAX]; /* its groups */
	int ngroups; /* entries in groups */
	unsigned problems; /* lines printed with "change:" */
};

/* check_change - one problem and its fix */
static void
check_change(
    struct check_run *c, const char *path, const char *what, const char *fix)
{
	printf("change: %s: %s; run: %s\n", path, what, fix);
	c->problems++;
}

/* check_in_groups - the user is in group g */
static bool
check_in_groups(const struct check_run *c, gid_t g)
{
	int i;

	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

/* check_can_read - the user may read a file of this owner and mode */
static bool
check_can_read(const struct check_run *c, const struct stat *st)
{
	if (c->uid == 0)
		return true;
	if (st->st_uid == c->uid)
		return (st->st_mode & S_IRUSR) != 0;
	if (check_in_groups(c, st->st_gid))
		return (st->st_mode & S_IRGRP) != 0;
	return (st->st_mode & S_IROTH) != 0;
}

/* check_not_writable - no one but the owner may write path */
static void
check_not_writable(struct check_run *c, const char *path, const struct stat *st)
{
	char fix[4200];

	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return;
	snprintf(fix, sizeof(fix), "chmod go-w %s", path);
	check_change(c, path,
	    (st->st_mode & S_IWOTH) ? "every user may write it"
	                            : "its group may write it",
	    fix);
}

/* check_conf - the configuration: readable by the user, written by few */
static void
check_conf(struct check_run *c, const char *path)
{
	struct stat st;
	char fix[4200];

	if (stat(path, &st) < 0) {
		printf("ok: %s: not there (built-in defaults)\n", path);
		return;
	}
	check_not_writable(c, path, &st);
	if (st.st_uid != 0 && st.st_uid != c->uid) {
		snprintf(fix, sizeof(fix), "chown root %s", path);
		check_change(c, path, "owned by another user", fix);
	}
	if (!check_can_read(c, &st)) {
		snprintf(fix, sizeof(fix), "chmod a+r %s", path);
		check_change(
		    c, path, "the transport's user cannot read it", fix);
	}
	if (c->problems == 0)
		printf("ok: %s (configuration)\n", path);
}

/* check_map - the override map: the user's, 0600 when it holds passwords */
static void
check_map(struct check_run *c, const struct cfg *cfg)
{
	const char *path = cfg->dns_overrides;
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = NULL;
	struct stat st;
	unsigned before = c->problems;
	bool creds = false;
	size_t i;
	char fix[4200];

	if (path == NULL || path[0] == '\0' || stat(path, &st) < 0) {
		printf("ok: %s: no override map\n",
		    path != NULL && path[0] != '\0' ? path : "dns_overrides");
		diag_list_free(dl);
		return;
	}
	/* The text itself: a check writes nothing (no compiled map). */
	if (ovr_map_load(path, &map, dl) != OVR_NOFILE) {
		for (i = 0; i < ovr_map_count(map) && !creds; i++)
			creds = ovr_map_rule(map, i)->target.user != NULL;
		ovr_map_free(map);
	}
	diag_list_free(dl);
	check_not_writable(c, path, &st);
	if (!check_can_read(c, &st)) {
		snprintf(fix, sizeof(fix), "chown %s %s && chmod 0600 %s",
		    c->user, path, path);
		check_change(
		    c, path, "the transport's user cannot read it", fix);
	} else if (creds && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(fix, sizeof(fix), "chown %s %s && chmod 0600 %s",
		    c->user, path, path);
		check_change(c, path,
		    "it holds passwords and other users can read it", fix);
	}
	if (c->problems == before)
		printf("ok: %s (override map%s)\n", path,
		    creds ? ", with passwords" : "");
}

/* check_entry - one file or directory inside state_dir */
static void
check_entry(struct check_run *c, const char *path, const struct stat *st)
{
	char fix[4200], owner[SDIR_NAME_MAX], what[200];

	if (st->st_uid != c->uid) {
		snprintf(what, sizeof(what),
		    "owned by %s: the transport's user cannot use it",
		    sdir_user_name(st->st_uid, owner, sizeof(owner)));
		snprintf(fix, sizeof(fix), "chown -R %s %s", c->user, path);
		check_change(c, path, what, fix);
	}
	check_not_writable(c, path, st);
}

/* check_tree - state_dir's entries, two levels down, bounded */
static void
check_tree(struct check_run *c, const char *dir, int depth, unsigned *seen)
{
	struct dirent *e;
	struct stat st;
	char path[4200];
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && *seen < CHECK_FILES_MAX) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		        (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		(*seen)++;
		check_entry(c, path, &st);
		if (S_ISDIR(st.st_mode) && depth < 2)
			check_tree(c, path, depth + 1, seen);
	}
	closedir(d);
}

/* check_state - state_dir: the user's, 0750 at most, all inside it too */
static void
check_state(struct check_run *c, const char *dir)
{
	unsigned before = c->problems, seen = 0;
	struct stat st;
	char fix[4200];

	if (lstat(dir, &st) < 0) {
		snprintf(fix, sizeof(fix), "install -d -o %s -m 0700 %s",
		    c->user, dir);
		check_change(c, dir, strerror(errno), fix);
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		printf("note: %s is a symbolic link; checking what it names\n",
		    dir);
		if (stat(dir, &st) < 0)
			return;
	}
	if (!S_ISDIR(st.st_mode)) {
		check_change(c, dir, "not a directory", "fix state_dir");
		return;
	}
	check_entry(c, dir, &st);
	if ((st.st_mode & S_IRWXO) != 0) {
		snprintf(fix, sizeof(fix), "chmod o-rwx %s", dir);
		check_change(c, dir, "other users can enter it", fix);
	}
	check_tree(c, dir, 1, &seen);
	if (c->problems == before)
		printf("ok: %s (state_dir, %u entries)\n", dir, seen);
}

/* check_user - the transport's user: uid and groups */
static bool
check_user(struct check_run *c)
{
	struct passwd *pw = getpwnam(c->user);

	if (pw == NULL) {
		fprintf(stderr, "smtpdirect: check: no user %s\n", c->user);
		return false;
	}
	c->uid = pw->pw_uid;
	c->ngroups = CHECK_GROUPS_MAX;
	if (getgrouplist(c->user, pw->pw_gid, c->groups, &c->ngroups) < 0)
		c->ngroups = CHECK_GROUPS_MAX;
	return true;
}

/* cmd_check - parse arguments, check, say what to change */
int
cmd_check(int argc, char **argv)
{
	struct check_run c;
	const char *conf = NULL, *path;
	bool must_exist;
	struct why why;
	int ch;

	memset(&c, 0, sizeof(c));
	c.user = CHECK_USER_DEFAULT;
	optind = 1;
	while ((ch = getopt(argc, argv, "c:u:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'u':
			c.user = optarg;
			break;
		default:
			cmd_usage_print(stderr);
			return MSG_EX_USAGE;
		}
	}
	if (argc != optind) {
		cmd_usage_print(stderr);
		return MSG_EX_USAGE;
	}
	if (!check_user(&c))
		return MSG_EX_USAGE;
	path = cfg_path_choose(conf, &must_exist);
	check_conf(&c, path);
	if (!cmd_cfg_load(conf, &why))
		return MSG_EX_CONFIG;
	check_map(&c, cfg_get());
	check_state(&c, cfg_get()->state_dir);
	if (c.problems > 0) {
		printf("check: %u thing%s to change for user %s\n", c.problems,
		    c.problems == 1 ? "" : "s", c.user);
		return 1;
	}
	printf("check: nothing to change for user %s\n", c.user);
	return MSG_EX_OK;
}
