/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	scache_int - the keeper's protocol, shared by scache.c and
 *	scache_keeper.c
 * DESCRIPTION
 *	One SOCK_SEQPACKET message per request and per answer: a struct
 *	scache_hdr, the key, the blob, and for a put or a hit the socket
 *	as SCM_RIGHTS. A client connects, asks once, and hangs up.
 *	Not for use outside scache*.c.
 * OWNERSHIP
 *	A descriptor received belongs to the receiver.
 * THREADS
 *	Safe: no state.
 * ERRORS
 *	false with errno (EPROTO for a malformed message).
 * SEE ALSO
 *	scache.h, unix(7).
 */
#ifndef SMTPDIRECT_SCACHE_INT_H
#define SMTPDIRECT_SCACHE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "scache.h"

/* The header of every message. */
#define SCACHE_MAGIC 0x53434331u /* "SCC1" */
#define SCACHE_OP_GET 'G'
#define SCACHE_OP_PUT 'P'
#define SCACHE_OP_HIT 'H'
#define SCACHE_OP_MISS 'M'

struct scache_hdr {
	unsigned magic; /* SCACHE_MAGIC */
	unsigned char op; /* SCACHE_OP_* */
	unsigned short key_len; /* bytes of key after the header */
	unsigned short blob_len; /* bytes of blob after the key */
};

/* Largest message: header, key and blob. */
#define SCACHE_MSG_MAX \
	(sizeof(struct scache_hdr) + SCACHE_KEY_MAX + SCACHE_BLOB_MAX)

/*
 * Send one message with fd attached (-1: none).
 * Returns false on failure (errno set).
 */
bool scache_send(int sock, unsigned char op, const char *key, const void *blob,
    size_t blob_len, int fd);

/*
 * Receive one message into buf (SCACHE_MSG_MAX bytes): header checked,
 * *fd the descriptor attached or -1. Returns false on failure or a
 * malformed message (an attached descriptor is then closed).
 */
bool scache_recv(int sock, void *buf, struct scache_hdr *h, int *fd);

/* Say QUIT (not waiting for the answer) and close fd. */
void scache_quit(int fd);

/*
 * The keeper: serve listening socket lfd with the first connection
 * (fd, key, blob) until idle for keep_ms; returns when done (the caller
 * _exit()s, which releases the lock it keeps open meanwhile).
 */
void scache_keeper(int lfd, const char *sock_path, int fd, const char *key,
    const void *blob, size_t blob_len, unsigned long keep_ms);

#endif
