/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	rnd - a small seedable random source for shuffles
 * DESCRIPTION
 *	Equal-priority override targets and equal-preference MX hosts are
 *	tried in random order. The order needs no cryptographic strength,
 *	but tests need it repeatable: rnd_init() with a non-zero seed gives
 *	a fixed sequence; seed 0 draws one from getrandom(2). The generator
 *	is splitmix64.
 * OWNERSHIP
 *	Caller-allocated state; nothing to free.
 * THREADS
 *	Safe for concurrent use of distinct states.
 * ERRORS
 *	None.
 * SEE ALSO
 *	ovr.h, route.h, dns.h.
 */
#ifndef SMTPDIRECT_RND_H
#define SMTPDIRECT_RND_H

#include <stddef.h>
#include <stdint.h>

/* Generator state. */
struct rnd {
	uint64_t state; /* splitmix64 state */
};

/* Seed the generator; 0 means "from getrandom(2)". */
void rnd_init(struct rnd *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t rnd_next(struct rnd *r);

/* A number in [0, n), n > 0, without modulo bias. */
size_t rnd_below(struct rnd *r, size_t n);

#endif
