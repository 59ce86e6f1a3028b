/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	fileid - has a file changed since it was read?
 * DESCRIPTION
 *	A long-lived process (a delivery worker) keeps what it loaded from
 *	a file (the configuration, the override map, a CA bundle) and reads
 *	it again when the file changed: another inode (replaced by rename),
 *	another size, mtime or ctime (written in place). fileid_same() is
 *	one stat(2). Take the identity before reading the file, so that a
 *	change while it is read is seen the next time.
 * OWNERSHIP
 *	Nothing allocated.
 * THREADS
 *	Safe on distinct structs.
 * ERRORS
 *	A file that cannot be stat'ed has no identity: never the same.
 * SEE ALSO
 *	stat(2).
 */
#ifndef SMTPDIRECT_FILEID_H
#define SMTPDIRECT_FILEID_H

#include <sys/types.h>

#include <stdbool.h>
#include <time.h>

/* What identifies one state of a file. */
struct fileid {
	dev_t dev; /* device */
	ino_t ino; /* inode */
	off_t size; /* bytes */
	struct timespec mtime, ctime; /* last changes */
	bool known; /* stat() succeeded: the rest is set */
};

/* Take path's identity into *id (known false when stat fails). */
void fileid_get(const char *path, struct fileid *id);

/*
 * True when path is still the file *id was taken of, unchanged; *id
 * becomes path's identity now either way.
 */
bool fileid_same(const char *path, struct fileid *id);

#endif
