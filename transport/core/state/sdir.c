/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* sdir: how far state_dir may be trusted, and who owns a file (sdir.h). */

#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sdir.h"

/* sdir_trust_of - the verdict for an owner and mode seen as euid */
enum sdir_trust
sdir_trust_of(uid_t owner, mode_t mode, uid_t euid)
{
	if (owner != euid)
		return SDIR_FOREIGN;
	if ((mode & S_IWOTH) != 0)
		return SDIR_WORLD_WRITABLE;
	if ((mode & S_IWGRP) != 0)
		return SDIR_GROUP_WRITABLE;
	return SDIR_OWN;
}

/* sdir_check - stat dir and judge it */
enum sdir_trust
sdir_check(const char *dir, struct sdir_info *info)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	info->euid = geteuid();
	if (stat(dir, &st) < 0) {
		info->err = errno;
		info->trust = errno == ENOENT ? SDIR_MISSING : SDIR_BAD;
		return info->trust;
	}
	info->owner = st.st_uid;
	info->group = st.st_gid;
	info->mode = st.st_mode;
	if (!S_ISDIR(st.st_mode)) {
		info->err = ENOTDIR;
		info->trust = SDIR_BAD;
		return info->trust;
	}
	info->trust = sdir_trust_of(st.st_uid, st.st_mode, info->euid);
	return info->trust;
}

/* sdir_keeper_ok - may a keeper and workers run there? */
bool
sdir_keeper_ok(enum sdir_trust trust)
{
	return trust == SDIR_OWN || trust == SDIR_GROUP_WRITABLE;
}

/* sdir_user_name - the passwd name of uid, else "uid N" */
const char *
sdir_user_name(uid_t uid, char *buf, size_t size)
{
	char pwbuf[1024];
	struct passwd pw, *found = NULL;

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 &&
	    found != NULL && found->pw_name[0] != '\0')
		snprintf(buf, size, "%s", found->pw_name);
	else
		snprintf(buf, size, "uid %lu", (unsigned long)uid);
	return buf;
}

/* sdir_warning - what is wrong with state_dir and what is done about it */
const char *
sdir_warning(
    const char *dir, const struct sdir_info *info, char *buf, size_t size)
{
	char owner[SDIR_NAME_MAX], me[SDIR_NAME_MAX];
	unsigned mode = (unsigned)(info->mode & 07777);

	buf[0] = '\0';
	switch (info->trust) {
	case SDIR_FOREIGN:
		snprintf(buf, size,
		    "state_dir %s belongs to %s, not to %s, the user running "
		    "smtpdirect: nothing is created there (no retry state, "
		    "slots, connection cache or workers; a message with a "
		    "queue id is deferred); run smtpdirect as %s",
		    dir, sdir_user_name(info->owner, owner, sizeof(owner)),
		    sdir_user_name(info->euid, me, sizeof(me)), owner);
		break;
	case SDIR_WORLD_WRITABLE:
		snprintf(buf, size,
		    "state_dir %s is writable by every user (mode %04o): no "
		    "connection keeper, delivery workers or DNS cache are "
		    "used there; make it mode 0700",
		    dir, mode);
		break;
	case SDIR_GROUP_WRITABLE:
		snprintf(buf, size,
		    "state_dir %s is writable by its group (mode %04o): other "
		    "users can change retry state and kept connections; make "
		    "it mode 0700",
		    dir, mode);
		break;
	case SDIR_BAD:
		snprintf(
		    buf, size, "state_dir %s: %s", dir, strerror(info->err));
		break;
	case SDIR_OWN:
	case SDIR_MISSING:
		break;
	}
	return buf;
}

/* sdir_parent - the directory part of path into buf; false if too long */
static bool
sdir_parent(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(buf, size, ".") == 1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return false;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return true;
}

/* sdir_owner_note - " (owned by X; running as Y)" after EACCES/EPERM */
const char *
sdir_owner_note(const char *path, int err, char *buf, size_t size)
{
	char owner[SDIR_NAME_MAX], me[SDIR_NAME_MAX], dir[4096];
	struct stat st;

	buf[0] = '\0';
	if (err != EACCES && err != EPERM)
		return buf;
	sdir_user_name(geteuid(), me, sizeof(me));
	if (lstat(path, &st) == 0) {
		snprintf(buf, size, " (owned by %s; running as %s)",
		    sdir_user_name(st.st_uid, owner, sizeof(owner)), me);
	} else if (sdir_parent(path, dir, sizeof(dir)) && stat(dir, &st) == 0) {
		snprintf(buf, size,
		    " (directory %s owned by %s; running as %s)", dir,
		    sdir_user_name(st.st_uid, owner, sizeof(owner)), me);
	}
	return buf;
}
