/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	scache - SMTP connections kept open between deliver processes
 * DESCRIPTION
 *	A pipe transport runs one process per message, so without help
 *	every message pays for a TCP connection, the greeting, EHLO and
 *	QUIT. scache_put() hands an idle connection (a socket and an
 *	opaque description, the caller's) to a keeper process; a later
 *	scache_get() for the same key takes it back, as Postfix's smtp(8)
 *	uses scache(8). The keeper is started by the first scache_put()
 *	that finds none: it forks twice, leaves the MTA's process group
 *	and its descriptors, runs the core program anew as
 *	"smtpdirect: keeper STATE_DIR" with a clean environment (proc.h;
 *	cmd_keeper.c), and serves SCACHE_SOCKET (a SOCK_SEQPACKET
 *	socket in state_dir, mode 0600, peers checked to be our own user)
 *	under an exclusive flock on SCACHE_LOCK, so one keeper runs per
 *	state_dir and a stale socket is recognised. It closes (QUIT first)
 *	any connection idle for the keep time, or that the server closes
 *	or speaks on, keeps at most SCACHE_MAX, and exits once it has been
 *	empty for the keep time. Losing a connection is harmless: the
 *	next process connects anew.
 * OWNERSHIP
 *	scache_get() gives the caller a socket it must close; scache_put()
 *	always takes the socket (kept, or closed).
 *
 *	A delivery worker (worker.h) already has a socket to its keeper:
 *	after scache_channel() gets and puts go over it, without a new
 *	connection to SCACHE_SOCKET each time.
 * THREADS
 *	Safe but for scache_channel(), set before threads start.
 * ERRORS
 *	None reported: a failure is a miss (get) or a connection closed
 *	(put), with a msg_debug line; a msg_warn line when another user's
 *	scache.lock or scache.sock is in the way (naming its owner). No
 *	keeper is started in a state_dir that another user owns or any
 *	user may write (sdir.h); one started in a group-writable one logs
 *	a warning, once per start.
 * SEE ALSO
 *	unix(7) (SCM_RIGHTS, SO_PEERCRED), flock(2), smtp.h (struct
 *	smtp_reuse), Postfix scache(8).
 */
#ifndef SMTPDIRECT_SCACHE_H
#define SMTPDIRECT_SCACHE_H

#include <stdbool.h>
#include <stddef.h>

#define SCACHE_SOCKET "scache.sock" /* the keeper's socket, in state_dir */
#define SCACHE_LOCK "scache.lock" /* held by the keeper while it runs */
#define SCACHE_MAX 64 /* most connections kept */
#define SCACHE_KEY_MAX 512 /* longest key, bytes */
#define SCACHE_BLOB_MAX 1024 /* longest description, bytes */
#define SCACHE_WAIT_MS 200 /* longest wait for the keeper's answer */
#define SCACHE_QUIT "QUIT\r\n" /* said before closing a kept connection */

/*
 * A connection kept under key, from the keeper of state_dir dir: true
 * with *fd and blob (*blob_len bytes, at most size) filled, or false.
 */
bool scache_get(const char *dir, const char *key, int *fd, void *blob,
    size_t size, size_t *blob_len);

/*
 * Keep connection fd under key for keep_ms with its description blob,
 * starting the keeper when none runs. Returns true when kept; fd is
 * the keeper's or closed either way.
 */
bool scache_put(const char *dir, const char *key, int fd, const void *blob,
    size_t blob_len, unsigned long keep_ms);

/*
 * From now on talk to the keeper over the connected socket fd (a
 * worker's own, which stays the caller's) for every scache_get() and
 * scache_put(), whatever their dir; -1 connects again each time.
 */
void scache_channel(int fd);

/*
 * Start the keeper of state_dir dir when none runs, holding nothing:
 * it then runs the delivery workers (worker.h) too, and exits once it
 * has held no connection and run no worker for the longer of keep_ms
 * and linger_ms.
 */
void scache_ensure(
    const char *dir, unsigned long keep_ms, unsigned long linger_ms);

/*
 * The keeper itself, in the process scache_put() or scache_ensure()
 * started: the program file of the caller run anew with argv[0]
 * PROC_KEEPER_TITLE followed by dir and no other argument (proc.h), a
 * title every program that calls them dispatches here from main().
 * Returns the exit status: 0 when done, 64 when not started so.
 */
int scache_keeper_main(const char *dir);

#endif
