/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	diag - collected FILE:LINE:COLUMN diagnostics
 * DESCRIPTION
 *	Parsers of the configuration and the override map do not stop at
 *	the first problem: they add every error and warning to a diag
 *	list, carry on, and fail at the end. lint prints the list; deliver
 *	reports the first error as its 4.3.5 reason. Records keep their
 *	file, line and column so they can be printed in file order.
 * OWNERSHIP
 *	diag_list_new() allocates; diag_list_free() releases the list and
 *	every record. File names are copied. Records returned by
 *	diag_first_error() are borrowed until the list changes.
 * THREADS
 *	Safe for concurrent use of distinct lists.
 * ERRORS
 *	None.
 * SEE ALSO
 *	cfg.h, ovr.h, cmd_lint.c.
 */
#ifndef SMTPDIRECT_DIAG_H
#define SMTPDIRECT_DIAG_H

#include <stdio.h>

#define DIAG_MAX 10000 /* records kept; later ones are only counted */

/* Severity of a record. */
enum diag_severity {
	DIAG_WARNING, /* suspicious but usable */
	DIAG_ERROR /* the file cannot be used */
};

/* One record. */
struct diag {
	enum diag_severity severity; /* error or warning */
	char *file; /* file name as given, owned */
	unsigned long line; /* 1-based; 0 when none */
	unsigned long column; /* 1-based; 0 when none */
	char *text; /* message, owned */
};

struct diag_list;

/* Allocate an empty list; free with diag_list_free(). */
struct diag_list *diag_list_new(void);

/* Release the list and its records; NULL is ignored. */
void diag_list_free(struct diag_list *dl);

/* Add a record (file is copied; line and column may be 0). */
void diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
    unsigned long line, unsigned long column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Number of errors added, including those beyond DIAG_MAX. */
unsigned long diag_errors(const struct diag_list *dl);

/* Number of warnings added, including those beyond DIAG_MAX. */
unsigned long diag_warnings(const struct diag_list *dl);

/* Number of records kept. */
unsigned long diag_count(const struct diag_list *dl);

/* The i-th record in the current order; borrowed. */
const struct diag *diag_get(const struct diag_list *dl, unsigned long i);

/* Sort stably by file (first appearance), line and column. */
void diag_sort(struct diag_list *dl);

/* The first error in file order, or NULL; borrowed. */
const struct diag *diag_first_error(struct diag_list *dl);

/* Format a record as "FILE:LINE:COLUMN: error|warning: text" into buf. */
void diag_format(const struct diag *d, char *buf, size_t size);

/* Print every record, one line each, in file order. */
void diag_print(struct diag_list *dl, FILE *fp);

#endif
