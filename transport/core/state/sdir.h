/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	sdir - may this process use state_dir, and who owns what there
 * DESCRIPTION
 *	State never locks its owner out (SPEC section 6). sdir_check()
 *	says how far a process may trust state_dir: a process whose user
 *	does not own it creates nothing there (SDIR_FOREIGN: no retry
 *	state, slots, connection cache, keeper or workers); one that
 *	every user may write uses no keeper, workers or DNS cache
 *	(SDIR_WORLD_WRITABLE); one its group may write is used with a
 *	warning (SDIR_GROUP_WRITABLE). sdir_warning() words the warning
 *	that deliver logs and lint prints. sdir_owner_note() words the
 *	"owner" part of an error about a file that could not be opened
 *	or made because another user owns it or its directory.
 *	sdir_check() and sdir_trust_of() use only the C library (the
 *	front, front.h, links them).
 * OWNERSHIP
 *	Nothing allocated: results go to caller-owned buffers.
 * THREADS
 *	Safe (getpwuid_r only).
 * ERRORS
 *	None: a directory that cannot be examined is SDIR_BAD, with errno
 *	in the info; a name that cannot be looked up is written as its
 *	number.
 * SEE ALSO
 *	stat(2), getpwuid_r(3); retry.h, slot.h, scache.h (the users).
 */
#ifndef SMTPDIRECT_SDIR_H
#define SMTPDIRECT_SDIR_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#define SDIR_NAME_MAX 64 /* longest user name written, bytes with NUL */
#define SDIR_NOTE_MAX 320 /* longest owner note, bytes with NUL */
#define SDIR_TEXT_MAX 400 /* longest warning, bytes with NUL */

/* How far state_dir may be trusted, from the best to the worst. */
enum sdir_trust {
	SDIR_OWN, /* ours, and no other user may write it */
	SDIR_GROUP_WRITABLE, /* ours, its group may write it: warn */
	SDIR_WORLD_WRITABLE, /* ours, every user may write it: no keeper */
	SDIR_FOREIGN, /* another user owns it: create nothing there */
	SDIR_MISSING, /* does not exist yet (ours once made) */
	SDIR_BAD /* not a directory, or stat(2) failed (err) */
};

/* What sdir_check() found. */
struct sdir_info {
	enum sdir_trust trust; /* the verdict */
	uid_t owner; /* the directory's owner (stat'ed states only) */
	gid_t group; /* its group */
	mode_t mode; /* its mode */
	uid_t euid; /* this process's effective user */
	int err; /* errno of stat(2) for SDIR_BAD, or 0 */
};

/*
 * The verdict for a directory of this owner and mode (the st_mode of a
 * directory) seen by a process running as euid.
 * Returns: SDIR_OWN, SDIR_GROUP_WRITABLE, SDIR_WORLD_WRITABLE,
 * SDIR_FOREIGN.
 */
enum sdir_trust sdir_trust_of(uid_t owner, mode_t mode, uid_t euid);

/*
 * stat(2) dir (following a symbolic link, as every later open does)
 * and fill *info. Returns: info->trust.
 */
enum sdir_trust sdir_check(const char *dir, struct sdir_info *info);

/* May a keeper and workers run in a state_dir so trusted? */
bool sdir_keeper_ok(enum sdir_trust trust);

/*
 * The user name of uid into buf (size bytes): the passwd name, else
 * "uid N". Returns buf.
 */
const char *sdir_user_name(uid_t uid, char *buf, size_t size);

/*
 * The warning about state_dir dir so found, into buf (size bytes,
 * SDIR_TEXT_MAX will do): what is wrong and what smtpdirect does
 * about it; "" for SDIR_OWN and SDIR_MISSING. Returns buf.
 */
const char *sdir_warning(
    const char *dir, const struct sdir_info *info, char *buf, size_t size);

/*
 * After an operation on path failed with errno err: for EACCES and
 * EPERM, " (owner USER, running as USER)" naming the owner of path,
 * or of its directory when path does not exist, into buf (size
 * bytes, SDIR_NOTE_MAX will do); "" otherwise. Returns buf.
 */
const char *sdir_owner_note(const char *path, int err, char *buf, size_t size);

#endif
