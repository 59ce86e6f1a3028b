/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Seedable splitmix64 random source. */

#include <sys/random.h>

#include <time.h>
#include <unistd.h>

#include "rnd.h"

/* rnd_init - seed, or draw a seed from the kernel */
void
rnd_init(struct rnd *r, uint64_t seed)
{
	if (seed == 0 &&
	    getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	r->state = seed;
}

/* rnd_next - splitmix64 step */
uint64_t
rnd_next(struct rnd *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* rnd_below - uniform in [0, n) by rejection */
size_t
rnd_below(struct rnd *r, size_t n)
{
	uint64_t limit, x;

	if (n <= 1)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % n;
	do {
		x = rnd_next(r);
	} while (x >= limit);
	return (size_t)(x % n);
}
