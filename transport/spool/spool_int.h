/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	spool_int - declarations shared by the files of the spool module
 * DESCRIPTION
 *	The spool record itself; spool.c fills it, spool_stream.c reads it.
 *	Not for use outside spool_*.c.
 * OWNERSHIP
 *	See spool.h.
 * THREADS
 *	See spool.h.
 * ERRORS
 *	See spool.h.
 * SEE ALSO
 *	spool.h.
 */
#ifndef SMTPDIRECT_SPOOL_INT_H
#define SMTPDIRECT_SPOOL_INT_H

#include <stdbool.h>

#include "spool.h"

/* A spooled message. */
struct spool {
	int fd; /* the unlinked file, wire form without dot-stuffing */
	unsigned long long size; /* bytes of the message in the file */
	unsigned long long hdr_len; /* of them the header block's, up to
				       the empty line (not included) */
	unsigned long long file_len; /* bytes in the file before, stale */
	bool has_8bit; /* some byte has the high bit set */
	char fpr[SPOOL_FPR_LEN + 1]; /* hex SHA-256 of the header block */
};

/* The dot-stuffing writer in front of a spool_write_fn (or not: raw). */
struct spool_stuffer {
	spool_write_fn fn; /* the caller's writer */
	void *ctx; /* its context */
	bool bol; /* the next byte starts a line */
	bool raw; /* pass the bytes on unchanged (BDAT): no dot-stuffing */
	char *out; /* 2 * SPOOL_CHUNK bytes */
};

/* Write len bytes of content dot-stuffed to w (a mime_out_fn). */
enum sd_status spool_stuffed(
    void *w, const char *buf, size_t len, struct why *why);

/* Every chunk of sp's content, from its start, to fn. */
enum sd_status spool_each(
    struct spool *sp, mime_out_fn fn, void *ctx, struct why *why);

#endif
