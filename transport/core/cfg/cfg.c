/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Configuration: defaults, reading smtpdirect.conf, the published copy. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_int.h"
#include "diag.h"
#include "msg.h"
#include "xalloc.h"

/* State of one cfg_read() while it walks the file. */
struct cfg_parse {
	struct cfg *cfg; /* being filled */
	struct diag_list *dl; /* problems */
	const char *path; /* file name for diagnostics */
	unsigned long lineno; /* current line, 1-based */
	unsigned long *seen; /* per table row: line that set it, or 0 */
};

/* The published configuration and whether cfg_load() filled it. */
static struct cfg cfg_published;
static bool cfg_is_loaded;

static bool cfg_is_blank(int c);
static bool cfg_line_read(FILE *fp, char *buf, size_t *len, bool *too_long);
static void cfg_line_parse(struct cfg_parse *ps, char *line, size_t len);
static void cfg_line_assign(struct cfg_parse *ps, const char *name,
    size_t name_col, const char *value, size_t value_col);

/* cfg_is_blank - space or tab */
static bool
cfg_is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* cfg_defaults - the built-in configuration, parsed from the table */
void
cfg_defaults(struct cfg *out)
{
	const struct cfg_param *tab;
	struct cfg_err err;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	out->path = NULL;
	out->dns_overrides = NULL;
	out->state_dir = NULL;
	out->helo_name = NULL;
	out->tls_ca_file = NULL;
	out->log_file = NULL;
	out->milter_transport = NULL;
	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++)
		if (!cfg_value_set(out, &tab[i], tab[i].def, &err))
			msg_panic("%s: default of %s: %s", __func__,
			    tab[i].name, err.text);
}

/* cfg_fini - release the strings of a configuration */
void
cfg_fini(struct cfg *cfg)
{
	const struct cfg_param *tab;
	size_t i, n;
	char **sp;

	if (cfg == NULL)
		return;
	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++) {
		if (tab[i].type != CFG_T_STRING && tab[i].type != CFG_T_PATH)
			continue;
		sp = (char **)((char *)cfg + tab[i].offset);
		free(*sp);
		*sp = NULL;
	}
	free(cfg->path);
	cfg->path = NULL;
}

/*
 * cfg_line_read - one line without its newline, at most CFG_LINE_MAX
 * bytes kept in buf (size CFG_LINE_MAX + 1); the rest of a longer line
 * is read and dropped. Returns false at end of file.
 */
static bool
cfg_line_read(FILE *fp, char *buf, size_t *len, bool *too_long)
{
	size_t n = 0;
	bool any = false;
	int c;

	*too_long = false;
	while ((c = getc(fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (n < CFG_LINE_MAX)
			buf[n++] = (char)c;
		else
			*too_long = true;
	}
	buf[n] = '\0';
	*len = n;
	return any;
}

/*
 * cfg_line_parse - one "name = value" line; comments and blank lines
 * are skipped. Columns are 1-based byte positions.
 */
static void
cfg_line_parse(struct cfg_parse *ps, char *line, size_t len)
{
	size_t i, name, name_end, val, end;
	const char *nul = memchr(line, '\0', len);

	if (nul != NULL) {
		diag_add(ps->dl, DIAG_ERROR, ps->path, ps->lineno,
		    (unsigned long)(nul - line) + 1, "NUL byte in line");
		return;
	}
	while (
	    len > 0 && (cfg_is_blank(line[len - 1]) || line[len - 1] == '\r'))
		len--;
	line[len] = '\0';
	for (i = 0; cfg_is_blank(line[i]); i++)
		;
	if (line[i] == '\0' || line[i] == '#')
		return;

	/* The name runs up to a blank or '='. */
	name = i;
	while (line[i] != '\0' && !cfg_is_blank(line[i]) && line[i] != '=')
		i++;
	name_end = i;
	if (name_end == name) {
		diag_add(ps->dl, DIAG_ERROR, ps->path, ps->lineno, i + 1,
		    "missing parameter name before '='");
		return;
	}
	while (cfg_is_blank(line[i]))
		i++;
	if (line[i] != '=') {
		diag_add(ps->dl, DIAG_ERROR, ps->path, ps->lineno, i + 1,
		    "expected '=' after \"%.*s\"", (int)(name_end - name),
		    line + name);
		return;
	}

	/* The value: '#' after a blank starts a comment; blanks trimmed. */
	for (i++; cfg_is_blank(line[i]); i++)
		;
	val = i;
	for (end = val; line[end] != '\0'; end++)
		if (line[end] == '#' && cfg_is_blank(line[end - 1]))
			break;
	while (end > val && cfg_is_blank(line[end - 1]))
		end--;
	line[end] = '\0';
	line[name_end] = '\0';
	cfg_line_assign(ps, line + name, name + 1, line + val, val + 1);
}

/* cfg_line_assign - look the name up and set its value */
static void
cfg_line_assign(struct cfg_parse *ps, const char *name, size_t name_col,
    const char *value, size_t value_col)
{
	const struct cfg_param *p = cfg_table_find(name), *tab;
	struct cfg_err err;
	size_t n, row;

	if (p == NULL) {
		diag_add(ps->dl, DIAG_ERROR, ps->path, ps->lineno, name_col,
		    "unknown parameter \"%.100s\"", name);
		return;
	}
	tab = cfg_table_get(&n);
	row = (size_t)(p - tab);
	if (ps->seen[row] != 0)
		diag_add(ps->dl, DIAG_WARNING, ps->path, ps->lineno, name_col,
		    "%s is also set on line %lu; the later value wins", p->name,
		    ps->seen[row]);
	ps->seen[row] = ps->lineno;
	if (!cfg_value_set(ps->cfg, p, value, &err))
		diag_add(ps->dl, DIAG_ERROR, ps->path, ps->lineno,
		    value_col + err.offset, "%s", err.text);
}

/* cfg_read - defaults, then the file's lines */
enum cfg_status
cfg_read(
    const char *path, bool must_exist, struct cfg *out, struct diag_list *dl)
{
	struct cfg_parse ps;
	char *buf = NULL;
	unsigned long errors;
	size_t len, n;
	bool too_long;
	FILE *fp;
	enum cfg_status status = CFG_OK;

	cfg_defaults(out);
	fp = fopen(path, "r");
	if (fp == NULL) {
		if (errno == ENOENT && !must_exist)
			return CFG_OK;
		diag_add(dl, DIAG_ERROR, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return CFG_NOFILE;
	}
	out->path = xstrdup(path);
	errors = diag_errors(dl);
	cfg_table_get(&n);
	ps.cfg = out;
	ps.dl = dl;
	ps.path = path;
	ps.lineno = 0;
	ps.seen = xcalloc(n, sizeof(ps.seen[0]));
	buf = xmalloc(CFG_LINE_MAX + 1);
	while (cfg_line_read(fp, buf, &len, &too_long)) {
		ps.lineno++;
		if (too_long)
			diag_add(dl, DIAG_ERROR, path, ps.lineno,
			    CFG_LINE_MAX + 1, "line longer than %d bytes",
			    CFG_LINE_MAX);
		else
			cfg_line_parse(&ps, buf, len);
	}
	if (ferror(fp)) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "read error: %s",
		    strerror(errno));
		status = CFG_NOFILE;
	} else if (diag_errors(dl) != errors) {
		status = CFG_INVALID;
	}
	free(buf);
	free(ps.seen);
	fclose(fp);
	return status;
}

/* cfg_path_choose - -c, else $SMTPDIRECT_CONF, else the default */
const char *
cfg_path_choose(const char *explicit_path, bool *must_exist)
{
	const char *env;

	*must_exist = true;
	if (explicit_path != NULL)
		return explicit_path;
	env = getenv(CFG_ENV);
	if (env != NULL && *env != '\0')
		return env;
	*must_exist = false;
	return CFG_DEFAULT_PATH;
}

/* cfg_load - read the chosen file and publish it */
enum cfg_status
cfg_load(const char *explicit_path, struct diag_list *dl)
{
	struct cfg tmp;
	const char *path;
	bool must_exist;
	enum cfg_status status;

	if (cfg_is_loaded)
		msg_panic("%s: configuration already published", __func__);
	path = cfg_path_choose(explicit_path, &must_exist);
	status = cfg_read(path, must_exist, &tmp, dl);
	if (status != CFG_OK) {
		cfg_fini(&tmp);
		return status;
	}
	cfg_published = tmp;
	cfg_is_loaded = true;
	return CFG_OK;
}

/* cfg_get - the published configuration */
const struct cfg *
cfg_get(void)
{
	if (!cfg_is_loaded)
		msg_panic("%s: configuration not loaded", __func__);
	return &cfg_published;
}

/* cfg_unload - forget the published configuration */
void
cfg_unload(void)
{
	if (!cfg_is_loaded)
		return;
	cfg_fini(&cfg_published);
	memset(&cfg_published, 0, sizeof(cfg_published));
	cfg_is_loaded = false;
}
