/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Host-wide concurrency slots: n flock(2)ed lock files in one directory. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"
#include "rnd.h"
#include "sdir.h"
#include "slot.h"
#include "xalloc.h"

#define SLOT_NAME_MAX 32 /* "slot." and a number */

/* A held slot. */
struct slot {
	int fd; /* the locked file, O_CLOEXEC */
	unsigned long index; /* its number */
};

/* What one try at one lock file gave. */
enum slot_try {
	SLOT_TRY_HELD, /* locked: ours */
	SLOT_TRY_BUSY, /* another holder has it */
	SLOT_TRY_ERROR /* the file cannot be used; why says why */
};

static enum sd_status slot_dir_refuse(
    const char *dir, int err, struct why *why);
static int slot_dir_open(const char *dir, struct why *why);
static enum slot_try slot_try_one(
    int dirfd, const char *dir, unsigned long index, int *fdp, struct why *why);
static void slot_sleep_ms(uint64_t ms);

/* slot_dir_refuse - explain why dir cannot be used as the slot directory */
static enum sd_status
slot_dir_refuse(const char *dir, int err, struct why *why)
{
	char note[SDIR_NOTE_MAX];
	struct stat st;

	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
		why_set(
		    why, "4.3.0", "slot directory %s is a symbolic link", dir);
	else if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		why_set(
		    why, "4.3.0", "slot directory %s is not a directory", dir);
	else
		why_set(why, "4.3.0", "slot directory %s: %s%s", dir,
		    strerror(err),
		    sdir_owner_note(dir, err, note, sizeof(note)));
	return SD_TEMP;
}

/* slot_dir_create - make the slot directory unless it exists */
enum sd_status
slot_dir_create(const char *dir, mode_t mode, struct why *why)
{
	struct stat st;
	int fd;

	if (mkdir(dir, mode) < 0) {
		if (errno == EEXIST && lstat(dir, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			return SD_OK;
		return slot_dir_refuse(dir, errno, why);
	}

	/* mkdir(2) obeys the umask; set the mode asked for. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return slot_dir_refuse(dir, errno, why);
	if (fchmod(fd, mode) < 0) {
		why_set(why, "4.3.0", "slot directory %s: chmod: %s", dir,
		    strerror(errno));
		close(fd);
		return SD_TEMP;
	}
	close(fd);
	return SD_OK;
}

/* slot_dir_open - open the slot directory, creating it; -1 on error */
static int
slot_dir_open(const char *dir, struct why *why)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	fd = open(dir, flags);
	if (fd < 0 && errno == ENOENT) {
		if (slot_dir_create(dir, SLOT_DIR_MODE, why) != SD_OK)
			return -1;
		fd = open(dir, flags);
	}
	if (fd < 0)
		(void)slot_dir_refuse(dir, errno, why);
	return fd;
}

/*
 * slot_try_one - open and try to lock slot.INDEX.
 * Returns: SLOT_TRY_HELD with *fdp set, SLOT_TRY_BUSY, SLOT_TRY_ERROR.
 */
static enum slot_try
slot_try_one(
    int dirfd, const char *dir, unsigned long index, int *fdp, struct why *why)
{
	char name[SLOT_NAME_MAX];
	struct stat st;
	int fd;

	snprintf(name, sizeof(name), "slot.%lu", index);
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    SLOT_FILE_MODE);
	if (fd < 0) {
		int err = errno;
		char path[PATH_MAX], note[SDIR_NOTE_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		why_set(why, "4.3.0", "slot file %s: %s%s", path, strerror(err),
		    sdir_owner_note(path, err, note, sizeof(note)));
		return SLOT_TRY_ERROR;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		why_set(why, "4.3.0", "slot file %s/%s is not a regular file",
		    dir, name);
		close(fd);
		return SLOT_TRY_ERROR;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fdp = fd;
		return SLOT_TRY_HELD;
	}
	if (errno == EWOULDBLOCK || errno == EINTR) {
		close(fd);
		return SLOT_TRY_BUSY;
	}
	why_set(why, "4.3.0", "slot file %s/%s: flock: %s", dir, name,
	    strerror(errno));
	close(fd);
	return SLOT_TRY_ERROR;
}

/* slot_sleep_ms - pause; an interrupted pause just ends early */
static void
slot_sleep_ms(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)nanosleep(&ts, NULL);
}

/* slot_acquire - take a free slot, waiting at most wait_seconds */
enum sd_status
slot_acquire(const char *dir, unsigned long n, unsigned wait_seconds,
    struct slot **slotp, struct why *why)
{
	uint64_t start, now, deadline, pause, backoff = SLOT_BACKOFF_MIN_MS;
	enum sd_status status = SD_TEMP;
	unsigned long first, i, k;
	struct rnd rnd;
	int dirfd, fd = -1;

	if (n == 0 || n > SLOT_MAX)
		msg_panic("%s: bad slot count %lu", __func__, n);
	if ((dirfd = slot_dir_open(dir, why)) < 0)
		return SD_TEMP;
	rnd_init(&rnd, 0);
	start = (uint64_t)mono_now_ms();
	deadline = start + (uint64_t)wait_seconds * 1000;

	/* Sweep the files from a random start; pause while all are busy. */
	for (;;) {
		first = (unsigned long)rnd_below(&rnd, n);
		for (i = 0; i < n; i++) {
			k = (first + i) % n;
			switch (slot_try_one(dirfd, dir, k, &fd, why)) {
			case SLOT_TRY_HELD:
				*slotp = xmalloc(sizeof(**slotp));
				(*slotp)->fd = fd;
				(*slotp)->index = k;
				status = SD_OK;
				goto out;
			case SLOT_TRY_ERROR:
				goto out;
			case SLOT_TRY_BUSY:
			default:
				break;
			}
		}
		now = (uint64_t)mono_now_ms();
		if (now >= deadline)
			break;
		pause = backoff + rnd_below(&rnd, (size_t)backoff / 2 + 1);
		if (pause > deadline - now)
			pause = deadline - now;
		slot_sleep_ms(pause);
		backoff = backoff * 2 > SLOT_BACKOFF_MAX_MS
		    ? SLOT_BACKOFF_MAX_MS
		    : backoff * 2;
	}
	why_set(why, "4.3.2",
	    "too many concurrent deliveries (max_concurrent=%lu), waited %us",
	    n, wait_seconds);
out:
	close(dirfd);
	return status;
}

/* slot_index - which slot is held */
unsigned long
slot_index(const struct slot *slot)
{
	return slot->index;
}

/* slot_release - unlock, close and free */
void
slot_release(struct slot *slot)
{
	if (slot == NULL)
		return;
	/* Unlock first: a forked child may still hold the descriptor. */
	(void)flock(slot->fd, LOCK_UN);
	close(slot->fd);
	free(slot);
}
