/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	be - big-endian integers in byte strings
 * DESCRIPTION
 *	The fixed-width fields of the records smtpdirect keeps in state_dir
 *	(DNS cache, MTA-STS policies, TLS report marks): stored most
 *	significant byte first, so a file reads the same on every host.
 * OWNERSHIP
 *	Nothing allocated; p has room for the width written or read.
 * THREADS
 *	Safe.
 * ERRORS
 *	None.
 */
#ifndef SMTPDIRECT_BE_H
#define SMTPDIRECT_BE_H

#include <stdint.h>

/* Store v in p[0..7] or p[0..3]. */
void be_put64(unsigned char *p, uint64_t v);
void be_put32(unsigned char *p, uint32_t v);

/* The value in p[0..7] or p[0..3]. */
uint64_t be_get64(const unsigned char *p);
uint32_t be_get32(const unsigned char *p);

#endif
