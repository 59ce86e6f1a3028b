/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* be: big-endian integers in byte strings (be.h). */

#include "be.h"

/* be_put64 - v, most significant byte first */
void
be_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* be_put32 - v, most significant byte first */
void
be_put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* be_get64 - the value of p[0..7] */
uint64_t
be_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* be_get32 - the value of p[0..3] */
uint32_t
be_get32(const unsigned char *p)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 8 | p[i];
	return v;
}
