/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	worker_int - the delivery request's wire format and the keeper's
 *	pool of workers; shared by worker*.c and scache_keeper.c
 * DESCRIPTION
 *	A request (the blob of SCACHE_OP_DELIVER) is a struct worker_hint
 *	for the keeper, the fixed fields of the run, and NUL-terminated
 *	strings: the configuration path, the sender, the queue id, the
 *	ENVID ("" for none), the recipients and, when the run has them,
 *	as many original recipients (--orcpt=). worker_req_encode() and
 *	worker_req_decode() are pure.
 *
 *	The pool lives in the keeper: worker_pool_dispatch() passes a
 *	request with the client's socket in front to an idle worker, or
 *	answers SCACHE_OP_NO and starts one more; an idle worker whose
 *	kept sessions served a recipient's domain (worker_req_serves())
 *	comes first. Workers say SCACHE_OP_IDLE when ready, with those
 *	domains as blob, SCACHE_OP_RETIRE before they exit.
 * OWNERSHIP
 *	worker_req_decode() fills a with pointers into the caller's buffer
 *	and rcpts and orcpts arrays the caller frees (worker_req_free()).
 *	The pool owns its sockets; dispatch always consumes the descriptors
 *	given.
 * THREADS
 *	Not safe: the keeper is one thread.
 * ERRORS
 *	false for a malformed request.
 */
#ifndef SMTPDIRECT_WORKER_INT_H
#define SMTPDIRECT_WORKER_INT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver_args.h"
#include "scache_int.h"

#define WORKER_RCPT_MAX 10000 /* most recipients in one request */
#define WORKER_SERVES_RCPTS 100 /* recipients matched to kept sessions */

/* What the keeper reads of a request. */
struct worker_hint {
	uint64_t exe_dev; /* the core program file workers run: device */
	uint64_t exe_ino; /* and inode */
	uint32_t max_workers; /* pool size asked for */
	uint32_t idle_ms; /* idle time of a worker */
};

/* The program file path (for this process's: /proc/self/exe); false
 * when it cannot be found. */
bool worker_exe_id(const char *path, uint64_t *dev, uint64_t *ino);

/*
 * Encode hint and run a into buf (size bytes); the length, or 0 when
 * it does not fit.
 */
size_t worker_req_encode(void *buf, size_t size, const struct worker_hint *hint,
    const struct deliver_args *a);

/* The hint of request buf (len bytes); false when too short. */
bool worker_req_hint(const void *buf, size_t len, struct worker_hint *hint);

/* Decode request buf (len bytes, NUL-terminated strings inside) into a. */
bool worker_req_decode(const void *buf, size_t len, struct deliver_args *a);

/*
 * Whether a recipient of request buf (len bytes) has its domain (case
 * ignored, a trailing dot too) among domains: dlen bytes of
 * NUL-terminated names, as a worker says SCACHE_OP_IDLE. Looks at the
 * first WORKER_SERVES_RCPTS recipients only.
 */
bool worker_req_serves(
    const void *buf, size_t len, const char *domains, size_t dlen);

/* Release what worker_req_decode() allocated. */
void worker_req_free(struct deliver_args *a);

/* The keeper's workers. */
struct worker_pool;

/* A new, empty pool (malloc'd; worker_pool_free()). */
struct worker_pool *worker_pool_new(void);

/* Tell every worker to exit (their sockets closed) and free the pool. */
void worker_pool_free(struct worker_pool *p);

/* Workers running or starting. */
size_t worker_pool_count(const struct worker_pool *p);

/* Whether a worker is idle, ready for a request. */
bool worker_pool_idle(const struct worker_pool *p);

/*
 * Pass request blob (len bytes) from client c with its fds[0..2]
 * (standard input, output, error) to an idle worker, or answer
 * SCACHE_OP_NO and start a worker when there is room. Closes fds
 * (not c). Returns false when the client runs another program file:
 * the keeper should retire.
 */
bool worker_pool_dispatch(struct worker_pool *p, int c, const void *blob,
    size_t len, const int fds[3]);

/* Fill pfd (room for WORKER_MAX) with the workers' sockets; how many. */
size_t worker_pool_pollfds(const struct worker_pool *p, struct pollfd *pfd);

/*
 * A busy worker's request for a kept connection (SCACHE_OP_GET, or
 * SCACHE_OP_PUT with fd, else -1), the message in buf: answer on sock,
 * take fd.
 */
typedef void worker_pool_req_fn(
    void *ctx, int sock, const char *buf, const struct scache_hdr *h, int fd);

/*
 * Handle the events poll() gave on the n sockets worker_pool_pollfds()
 * gave: a worker ready again, a get or put passed to req(ctx, ...), or
 * a worker gone.
 */
void worker_pool_events(struct worker_pool *p, const struct pollfd *pfd,
    size_t n, worker_pool_req_fn *req, void *ctx);

/*
 * Tell workers idle for their idle time to exit, give up on those that
 * did not start, reap exited ones. Returns ms until the next expiry
 * (-1: none due).
 */
long long worker_pool_expire(struct worker_pool *p, long long now);

#endif
