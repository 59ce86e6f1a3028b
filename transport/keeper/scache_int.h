/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	scache_int - the keeper's protocol (scache_wire.c), shared by
 *	scache.c, scache_keeper.c and the workers
 * DESCRIPTION
 *	One SOCK_SEQPACKET message per request and per answer: a struct
 *	scache_hdr, the key, the blob, and for a put or a hit the socket
 *	as SCM_RIGHTS. A client connects, asks once, and hangs up.
 *	A delivery handed to a worker (worker.h) is one more request on
 *	the same socket: SCACHE_OP_DELIVER with the request as blob and the
 *	client's standard input, output and error attached; the keeper
 *	passes it on with the client's socket in front, and the worker
 *	answers the client with SCACHE_OP_RESULT (or SCACHE_OP_NO before
 *	it has read anything, when the client must deliver by itself).
 *	Before that, once it has read the message to its end, the worker
 *	asks SCACHE_OP_PING and the client answers SCACHE_OP_PONG: a
 *	client killed before its MTA closed the message's pipe can never
 *	answer, so a message cut by the kill is never sent. The client
 *	answers the result with SCACHE_OP_ACK before it exits; a worker
 *	that gets no ACK records what it delivered in the retry state.
 *	Not for use outside scache*.c and worker*.c.
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
#define SCACHE_OP_DELIVER 'D' /* client -> keeper -> worker */
#define SCACHE_OP_NO 'N' /* deliver by yourself (nothing was read) */
#define SCACHE_OP_RESULT 'R' /* worker -> client: the exit status */
/* worker -> keeper: ready for the next; blob: the recipient domains of
 * its kept sessions, NUL-terminated one after another */
#define SCACHE_OP_IDLE 'I'
#define SCACHE_OP_RETIRE 'X' /* worker -> keeper: done, exiting */
#define SCACHE_OP_PING 'A' /* worker -> client: still there? */
#define SCACHE_OP_PONG 'B' /* client -> worker: yes */
#define SCACHE_OP_ACK 'K' /* client -> worker: result taken */

#define SCACHE_FDS_MAX 4 /* most descriptors in one message */
#define SCACHE_REQ_MAX 60000 /* longest SCACHE_OP_DELIVER blob, bytes */

struct scache_hdr {
	unsigned magic; /* SCACHE_MAGIC */
	unsigned char op; /* SCACHE_OP_* */
	unsigned short key_len; /* bytes of key after the header */
	unsigned short blob_len; /* bytes of blob after the key */
};

/* Largest message: header, key and blob. */
#define SCACHE_MSG_MAX \
	(sizeof(struct scache_hdr) + SCACHE_KEY_MAX + SCACHE_BLOB_MAX)

/* Largest message of any op (a delivery request). */
#define SCACHE_BIG_MAX \
	(sizeof(struct scache_hdr) + SCACHE_KEY_MAX + SCACHE_REQ_MAX)

struct sockaddr_un;

/* dir/name into *sun; false when it does not fit. */
bool scache_path(const char *dir, const char *name, struct sockaddr_un *sun);

/*
 * Send one message with nfd (at most SCACHE_FDS_MAX) descriptors
 * attached. Returns false on failure (errno set).
 */
bool scache_sendv(int sock, unsigned char op, const char *key, const void *blob,
    size_t blob_len, const int *fds, size_t nfd);

/* scache_sendv() with one descriptor, or none when fd is -1. */
bool scache_send(int sock, unsigned char op, const char *key, const void *blob,
    size_t blob_len, int fd);

/*
 * Receive one message of at most size bytes into buf: header checked,
 * the descriptors attached in fds[0..*nfd). Returns false on failure or
 * a malformed message (the descriptors it carried are then closed).
 */
bool scache_recvv(int sock, void *buf, size_t size, struct scache_hdr *h,
    int fds[SCACHE_FDS_MAX], size_t *nfd);

/*
 * scache_recvv() into buf of SCACHE_MSG_MAX bytes, for the cache ops:
 * *fd the one descriptor attached, or -1.
 */
bool scache_recv(int sock, void *buf, struct scache_hdr *h, int *fd);

/*
 * How scache.c starts the keeper: the core program run anew (proc.h)
 * with argv[0] PROC_KEEPER_TITLE and the state_dir (at most
 * SCACHE_DIR_MAX - 1 bytes: a socket path must fit in sun_path), the
 * listening socket and the locked SCACHE_LOCK as these descriptors,
 * and its times in this environment variable: "KEEP_MS LINGER_MS".
 */
#define SCACHE_DIR_MAX 108
#define SCACHE_KEEPER_LFD 3
#define SCACHE_KEEPER_LOCK_FD 4
#define SCACHE_KEEPER_ENV "SMTPDIRECT_KEEPER"

/* A socket to the keeper of dir (our own user checked), or -1 (errno). */
int scache_connect(const char *dir);

/* Say QUIT (not waiting for the answer) and close fd. */
void scache_quit(int fd);

/*
 * The keeper: serve listening socket lfd, with a first connection (fd,
 * key, blob) or none (fd -1), until it has held no connection and run
 * no worker for the longer of keep_ms and linger_ms; returns when done
 * (the caller _exit()s, which releases the lock it keeps open
 * meanwhile).
 */
void scache_keeper(int lfd, const char *sock_path, int fd, const char *key,
    const void *blob, size_t blob_len, unsigned long keep_ms,
    unsigned long linger_ms);

#endif
