/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Collected diagnostics with file positions. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sbuf.h"
#include "xalloc.h"

struct diag_rec {
	struct diag d; /* the public part */
	unsigned long fileno; /* order of first appearance of the file */
	unsigned long seq; /* insertion order, for a stable sort */
};

struct diag_list {
	struct diag_rec *recs; /* records */
	unsigned long n; /* records kept */
	unsigned long cap; /* records allocated */
	unsigned long errors; /* errors seen */
	unsigned long warnings; /* warnings seen */
	char **files; /* distinct file names in order seen */
	unsigned long nfiles; /* entries in files */
};

static unsigned long diag_file_index(struct diag_list *dl, const char *file);
static int diag_rec_cmp(const void *a, const void *b);

/* diag_list_new - empty list */
struct diag_list *
diag_list_new(void)
{
	struct diag_list *dl = xcalloc(1, sizeof(*dl));

	dl->recs = NULL;
	dl->files = NULL;
	return dl;
}

/* diag_list_free - release everything */
void
diag_list_free(struct diag_list *dl)
{
	unsigned long i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->n; i++) {
		free(dl->recs[i].d.text);
		free(dl->recs[i].d.file);
	}
	free(dl->recs);
	for (i = 0; i < dl->nfiles; i++)
		free(dl->files[i]);
	free(dl->files);
	free(dl);
}

/* diag_file_index - number files by first appearance */
static unsigned long
diag_file_index(struct diag_list *dl, const char *file)
{
	unsigned long i;

	for (i = 0; i < dl->nfiles; i++)
		if (strcmp(dl->files[i], file) == 0)
			return i;
	dl->files =
	    xreallocarray(dl->files, dl->nfiles + 1, sizeof(*dl->files));
	dl->files[dl->nfiles] = xstrdup(file);
	return dl->nfiles++;
}

/* diag_add - add a record */
void
diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
    unsigned long line, unsigned long column, const char *fmt, ...)
{
	struct diag_rec *r;
	struct sbuf sb;
	va_list ap;

	if (sev == DIAG_ERROR)
		dl->errors++;
	else
		dl->warnings++;
	if (dl->n >= DIAG_MAX)
		return;
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 16;
		dl->recs = xreallocarray(dl->recs, dl->cap, sizeof(*dl->recs));
	}
	r = &dl->recs[dl->n];
	sbuf_init(&sb);
	va_start(ap, fmt);
	sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	r->d.severity = sev;
	r->d.file = xstrdup(file ? file : "");
	r->d.line = line;
	r->d.column = column;
	r->d.text = sbuf_export(&sb);
	sbuf_fini(&sb);
	r->fileno = diag_file_index(dl, r->d.file);
	r->seq = dl->n;
	dl->n++;
}

/* diag_errors - error count */
unsigned long
diag_errors(const struct diag_list *dl)
{
	return dl->errors;
}

/* diag_warnings - warning count */
unsigned long
diag_warnings(const struct diag_list *dl)
{
	return dl->warnings;
}

/* diag_count - records kept */
unsigned long
diag_count(const struct diag_list *dl)
{
	return dl->n;
}

/* diag_get - i-th record */
const struct diag *
diag_get(const struct diag_list *dl, unsigned long i)
{
	return i < dl->n ? &dl->recs[i].d : NULL;
}

/* diag_rec_cmp - order by file, line, column, insertion */
static int
diag_rec_cmp(const void *a, const void *b)
{
	const struct diag_rec *x = a, *y = b;

	if (x->fileno != y->fileno)
		return x->fileno < y->fileno ? -1 : 1;
	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	if (x->d.column != y->d.column)
		return x->d.column < y->d.column ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* diag_sort - file order */
void
diag_sort(struct diag_list *dl)
{
	if (dl->n > 1)
		qsort(dl->recs, dl->n, sizeof(*dl->recs), diag_rec_cmp);
}

/* diag_first_error - first error in file order */
const struct diag *
diag_first_error(struct diag_list *dl)
{
	unsigned long i;

	diag_sort(dl);
	for (i = 0; i < dl->n; i++)
		if (dl->recs[i].d.severity == DIAG_ERROR)
			return &dl->recs[i].d;
	return NULL;
}

/* diag_format - one line of text */
void
diag_format(const struct diag *d, char *buf, size_t size)
{
	const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";

	if (d->line && d->column)
		snprintf(buf, size, "%s:%lu:%lu: %s: %s", d->file, d->line,
		    d->column, sev, d->text);
	else if (d->line)
		snprintf(buf, size, "%s:%lu: %s: %s", d->file, d->line, sev,
		    d->text);
	else
		snprintf(buf, size, "%s: %s: %s", d->file, sev, d->text);
}

/* diag_print - all records in file order */
void
diag_print(struct diag_list *dl, FILE *fp)
{
	char buf[1024];
	unsigned long i;

	diag_sort(dl);
	for (i = 0; i < dl->n; i++) {
		diag_format(&dl->recs[i].d, buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
}
