/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The store's file in state_dir: the directory lock, and a bad file's end. */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "state_int.h"
#include "xalloc.h"

#define STATE_DIR_MODE 0750 /* state_dir when we create it */
#define STATE_KEEP_TRIES 100 /* names tried for a file moved aside */

/* state_file_lock - open dir (made if missing) and flock it; -1 on failure */
int
state_file_lock(const char *dir, int how, struct why *why)
{
	int fd;

	if (mkdir(dir, STATE_DIR_MODE) != 0 && errno != EEXIST) {
		why_set(why, "4.3.0", "%s: cannot create: %m", dir);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		why_set(why, "4.3.0", "%s: cannot open: %m", dir);
		return -1;
	}
	while (flock(fd, how) != 0) {
		if (errno != EINTR) {
			why_set(why, "4.3.0", "%s: cannot lock: %m", dir);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* state_file_discard - remove a bad file and its lock file (caches) */
void
state_file_discard(const char *path, const char *lockpath)
{
	msg_warn("%s: damaged or foreign state file: discarding it", path);
	if (unlink(path) != 0 && errno != ENOENT)
		msg_warn("%s: cannot remove: %m", path);
	if (unlink(lockpath) != 0 && errno != ENOENT)
		msg_warn("%s: cannot remove: %m", lockpath);
}

/*
 * state_file_rename - path to dst unless dst exists: link() refuses to
 * replace a name; where the file system has no hard links, rename()
 * after a look (the caller holds state_dir's exclusive lock, so no
 * smtpdirect process makes dst meanwhile). Returns 0 or an errno value.
 */
static int
state_file_rename(const char *path, const char *dst)
{
	struct stat sb;

	if (link(path, dst) == 0)
		return unlink(path) == 0 || errno == ENOENT ? 0 : errno;
	if (errno != EPERM && errno != ENOTSUP && errno != EMLINK)
		return errno;
	if (lstat(dst, &sb) == 0)
		return EEXIST;
	if (errno != ENOENT)
		return errno;
	return rename(path, dst) == 0 ? 0 : errno;
}

/* state_file_sync_dir - make the entries of dir durable */
static void
state_file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0)
		msg_warn("%s: cannot sync: %m", dir);
	if (fd >= 0)
		close(fd);
}

/*
 * state_file_keep - move a bad file aside as PATH.damaged.SECONDS (with
 * .N added when that name is taken), never over another file, and
 * remove LMDB's lock file; durable state is never deleted.
 * Arguments: dir, path and lockpath of the store; *moved gets the new
 * name (free() it) and *at the time just before the move.
 * Returns: true, or false with why set (the file stays where it was).
 */
bool
state_file_keep(const char *dir, const char *path, const char *lockpath,
    char **moved, struct timespec *at, struct why *why)
{
	char dst[STATE_PATH_MAX];
	int n, tries, err = EEXIST;

	clock_gettime(CLOCK_REALTIME, at);
	for (tries = 0; tries < STATE_KEEP_TRIES && err == EEXIST; tries++) {
		n = tries == 0
		    ? snprintf(dst, sizeof(dst), "%s.damaged.%lld", path,
		          (long long)at->tv_sec)
		    : snprintf(dst, sizeof(dst), "%s.damaged.%lld.%d", path,
		          (long long)at->tv_sec, tries);
		if (n < 0 || (size_t)n >= sizeof(dst)) {
			why_set(why, "4.3.0", "%s: path too long", path);
			return false;
		}
		err = state_file_rename(path, dst);
	}
	if (err != 0) {
		why_set(why, "4.3.0",
		    "%s: damaged state file, cannot move it aside: %s", path,
		    strerror(err));
		return false;
	}
	if (unlink(lockpath) != 0 && errno != ENOENT)
		msg_warn("%s: cannot remove: %m", lockpath);
	state_file_sync_dir(dir);
	*moved = xstrdup(dst);
	return true;
}
