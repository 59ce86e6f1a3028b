/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	cfg_int - private interface between cfg.c and cfg_value.c
 * DESCRIPTION
 *	cfg_value_set() converts one value text by its table row and
 *	stores it in a struct cfg. It does not know about files or lines:
 *	on failure it reports the byte offset inside the value where the
 *	problem starts, and cfg.c turns that into file:line:column.
 * OWNERSHIP
 *	String fields are replaced: the old string is freed, the new one
 *	allocated with xstrdup().
 * THREADS
 *	Safe for concurrent use of distinct structs.
 * ERRORS
 *	false with err filled when the value is bad; the field is then
 *	left as it was.
 * SEE ALSO
 *	cfg.h.
 */
#ifndef SMTPDIRECT_CFG_INT_H
#define SMTPDIRECT_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

#define CFG_ERR_MAX 256 /* longest value error text */

/* Why a value was refused. */
struct cfg_err {
	size_t offset; /* byte offset in the value where the problem starts */
	char text[CFG_ERR_MAX]; /* message, without position */
};

/*
 * Convert value by p's type and range and store it in cfg.
 * Returns: true when stored; false with err filled.
 */
bool cfg_value_set(struct cfg *cfg, const struct cfg_param *p,
    const char *value, struct cfg_err *err);

#endif
