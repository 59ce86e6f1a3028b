/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the keeper's and workers' hand-off messages
 * (scache_int.h, worker_int.h). The input, cut at "\xff\xfe", is a
 * series of messages sent over a SOCK_SEQPACKET pair as a client or a
 * worker would send them; each is read with scache_recvv() and, when
 * it is a delivery request, decoded as the worker decodes it. Checked:
 * an accepted message is exactly its header, key and blob, and a
 * decoded request encodes back to the same bytes. A delivery request
 * is also matched against the next piece as a worker's list of the
 * domains its kept TLS sessions served (worker_req_serves()).
 */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "scache_int.h"
#include "spool.h"
#include "worker_int.h"
#include "xalloc.h"

#define FUZZ_WIRE_MSGS 8 /* most messages one input stands for */

/* fuzz_wire_request - decode a delivery request, encode it back */
static void
fuzz_wire_request(const char *blob, size_t len)
{
	struct deliver_args a;
	struct worker_hint hint;
	struct why why;
	char *again;
	size_t i, n;

	if (!worker_req_hint(blob, len, &hint) ||
	    !worker_req_decode(blob, len, &a))
		return;
	(void)spool_addr_check(a.sender, strlen(a.sender), true, &why);
	for (i = 0; i < a.nrcpt; i++)
		(void)spool_addr_check(
		    a.rcpts[i], strlen(a.rcpts[i]), false, &why);
	again = xmalloc(len);
	n = worker_req_encode(again, len, &hint, &a);
	if (n != len || memcmp(again, blob, len) != 0)
		fuzz_fail("request of %zu bytes encodes back to %zu other "
		          "bytes",
		    len, n);
	free(again);
	worker_req_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece *pc;
	struct scache_hdr h;
	int sv[2], fds[SCACHE_FDS_MAX];
	size_t npc, i, nfd;
	char *buf;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fuzz_fail("socketpair failed");
	buf = xmalloc(SCACHE_BIG_MAX);
	pc = fuzz_split(data, size, "\xff\xfe", 2, FUZZ_WIRE_MSGS, &npc);
	for (i = 0; i < npc; i++) {
		if (pc[i].n > SCACHE_BIG_MAX + 16 ||
		    send(sv[0], pc[i].p, pc[i].n, 0) != (ssize_t)pc[i].n)
			continue;
		if (!scache_recvv(sv[1], buf, SCACHE_BIG_MAX, &h, fds, &nfd))
			continue;
		if (nfd != 0)
			fuzz_fail("descriptors out of nowhere");
		if (pc[i].n != sizeof(h) + h.key_len + h.blob_len)
			fuzz_fail("message of %zu bytes accepted as %zu",
			    pc[i].n, sizeof(h) + h.key_len + h.blob_len);
		if (h.op == SCACHE_OP_DELIVER) {
			fuzz_wire_request(
			    buf + sizeof(h) + h.key_len, h.blob_len);
			/* The next message, as a worker's idle report of the
			 * domains its kept sessions served. */
			if (i + 1 < npc)
				(void)worker_req_serves(
				    buf + sizeof(h) + h.key_len, h.blob_len,
				    (const char *)pc[i + 1].p, pc[i + 1].n);
		}
	}
	free(pc);
	free(buf);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
