/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	spool_unit - helpers shared by the spool unit tests
 * DESCRIPTION
 *	spool_unit_from() spools a message given as bytes, as the MTA
 *	would pipe it, through a file in a test's directory.
 * OWNERSHIP
 *	The spool returned is the caller's (spool_close()).
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	Fails the current test when the spool cannot be made.
 * SEE ALSO
 *	check_spool.c, check_spool_hdr.c.
 */
#ifndef SMTPDIRECT_SPOOL_UNIT_H
#define SMTPDIRECT_SPOOL_UNIT_H

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "spool.h"

/* spool_unit_from - spool len bytes of data, the spool file in dir */
static inline struct spool *
spool_unit_from(const char *dir, const char *data, size_t len)
{
	char *path = unit_write_file(dir, "in", data, len);
	struct spool *sp;
	struct why why;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(spool_open(&sp, fd, dir, &why) == SD_OK, "%s %s", why.dsn,
	    why.text);
	close(fd);
	free(path);
	return sp;
}

#endif
