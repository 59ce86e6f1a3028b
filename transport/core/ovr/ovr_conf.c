/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Loading the configured map: the compiled map when it is up to date,
 * else rebuilt once under a lock, else the text parsed in-process.
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"
#include "ovr_int.h"
#include "xalloc.h"

#define OVR_CONF_POLL_MS 5 /* between tries of a held lock */

/* Where a build stands. */
struct ovr_build {
	const char *path; /* the text map */
	const char *dir; /* the directory of the compiled map */
	bool lint; /* the caller wants warnings */
	bool force; /* compile even when up to date (smtpdirect compile) */
	struct ovr_compile_info *info; /* what was written, or NULL */
};

static bool ovr_conf_join(
    char *buf, size_t size, const char *dir, const char *name);
static struct ovr_map *ovr_conf_try(
    const struct ovr_build *b, const struct ovr_cid *id, struct diag_list *dl);
static int ovr_conf_lock(const struct ovr_build *b, struct diag_list *dl);
static void ovr_conf_sweep(const char *dir);
static void ovr_conf_copy(const struct diag_list *from, struct diag_list *to);
static enum ovr_status ovr_conf_build(
    const struct ovr_build *b, struct ovr_map **out, struct diag_list *dl);
static enum ovr_status ovr_conf_load(
    const struct ovr_build *b, struct ovr_map **out, struct diag_list *dl);
static enum ovr_status ovr_conf_parse(
    const char *path, bool lint, struct ovr_map **out, struct diag_list *dl);

/* ovr_conf_join - dir/name into buf; false when it does not fit */
static bool
ovr_conf_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n > 0 && (size_t)n < size;
}

/*
 * ovr_conf_try - the compiled map when it records identity id (any
 * identity for NULL), with its warnings when the caller lints
 */
static struct ovr_map *
ovr_conf_try(
    const struct ovr_build *b, const struct ovr_cid *id, struct diag_list *dl)
{
	char cpath[OVR_CMAP_PATH_MAX], why[OVR_CMAP_PATH_MAX + 128];
	struct ovr_map *map;

	if (!ovr_conf_join(cpath, sizeof(cpath), b->dir, OVR_CMAP_NAME))
		return NULL;
	map = ovr_cmap_open(cpath, b->path, id, why, sizeof(why));
	if (map == NULL) {
		msg_debug("compiled map not used: %s", why);
		return NULL;
	}
	if (b->lint && map->cmap->hdr->linted == 0) {
		/* Built by a process that did not lint: lint's warnings are
		 * not in it. Rebuilt with them, once. */
		msg_debug("compiled map not used: %s: no lint warnings", cpath);
		ovr_map_free(map);
		return NULL;
	}
	if (b->lint)
		ovr_cmap_warnings(map->cmap, b->path, dl);
	return map;
}

/*
 * ovr_conf_lock - the rebuild lock, waited for at most OVR_CMAP_WAIT_MS
 * Returns: its descriptor (closing it unlocks), or -1 (dl says why).
 */
static int
ovr_conf_lock(const struct ovr_build *b, struct diag_list *dl)
{
	char lpath[OVR_CMAP_PATH_MAX];
	struct timespec ts = {0, OVR_CONF_POLL_MS * 1000000L};
	long long until;
	int fd;

	if (!ovr_conf_join(lpath, sizeof(lpath), b->dir, OVR_CMAP_LOCK)) {
		diag_add(dl, DIAG_ERROR, b->dir, 0, 0, "path too long");
		return -1;
	}
	fd = open(
	    lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		diag_add(
		    dl, DIAG_ERROR, lpath, 0, 0, "open: %s", strerror(errno));
		return -1;
	}
	until = mono_now_ms() + OVR_CMAP_WAIT_MS;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			diag_add(dl, DIAG_ERROR, lpath, 0, 0, "flock: %s",
			    strerror(errno));
			break;
		}
		if (mono_now_ms() >= until) {
			diag_add(dl, DIAG_ERROR, lpath, 0, 0,
			    "held by another process for %d s",
			    OVR_CMAP_WAIT_MS / 1000);
			break;
		}
		(void)nanosleep(&ts, NULL);
		continue;
	}
	if (diag_errors(dl) > 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * ovr_conf_sweep - with the lock held, remove the temporary files of
 * builders that died before their rename (nobody else writes one now)
 */
static void
ovr_conf_sweep(const char *dir)
{
	char path[OVR_CMAP_PATH_MAX];
	size_t pre = strlen(OVR_CMAP_NAME "."), len;
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > pre + 4 &&
		    strncmp(de->d_name, OVR_CMAP_NAME ".", pre) == 0 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0 &&
		    ovr_conf_join(path, sizeof(path), dir, de->d_name)) {
			msg_info(
			    "removing %s, left by a build that died", path);
			(void)unlink(path);
		}
	}
	if (d != NULL)
		closedir(d);
}

/* ovr_conf_copy - add the records of one list to another */
static void
ovr_conf_copy(const struct diag_list *from, struct diag_list *to)
{
	unsigned long i, kept[2] = {0, 0};

	for (i = 0; i < diag_count(from); i++) {
		const struct diag *d = diag_get(from, i);

		kept[d->severity == DIAG_ERROR]++;
		diag_add(to, d->severity, d->file, d->line, d->column, "%s",
		    d->text);
	}
	/* Those past DIAG_MAX were only counted. */
	for (; kept[0] < diag_warnings(from); kept[0]++)
		diag_add(to, DIAG_WARNING, "-", 0, 0, "(not kept)");
	for (; kept[1] < diag_errors(from); kept[1]++)
		diag_add(to, DIAG_ERROR, "-", 0, 0, "(not kept)");
}

/* ovr_conf_parse - the text map parsed, as without a compiled map */
static enum ovr_status
ovr_conf_parse(
    const char *path, bool lint, struct ovr_map **out, struct diag_list *dl)
{
	struct ovr_map *map = NULL;
	enum ovr_status st;

	st = ovr_map_load(path, &map, dl);
	if (lint && map != NULL)
		ovr_lint(map, dl);
	if (st == OVR_OK)
		*out = map;
	else
		ovr_map_free(map);
	return st;
}

/*
 * ovr_conf_build - with the lock held: parse the text, write the
 * compiled map under a temporary name and rename it into place, then
 * use it. A map with errors is not written. When writing fails the
 * parsed map is used, and the status is OVR_TEMP for a forced build.
 */
static enum ovr_status
ovr_conf_build(
    const struct ovr_build *b, struct ovr_map **out, struct diag_list *dl)
{
	char cpath[OVR_CMAP_PATH_MAX], tmp[OVR_CMAP_PATH_MAX + 32];
	struct diag_list *wl = diag_list_new();
	struct ovr_map *map = NULL, *cm;
	long long start = mono_now_ms();
	enum ovr_status st;
	struct ovr_cid id;
	struct stat sb;

	/* The identity before the text is read: a change while reading is
	 * seen by the next process, which rebuilds. */
	if (stat(b->path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		diag_list_free(wl);
		return ovr_conf_parse(b->path, b->lint, out, dl);
	}
	ovr_cid_of(&sb, &id);
	st = ovr_map_load(b->path, &map, wl);
	/* Lint costs a third of a rebuild: only for those who show its
	 * warnings (the milter, smtpdirect compile). */
	if (map != NULL && (b->lint || b->force))
		ovr_lint(map, wl);
	ovr_conf_copy(wl, dl);
	if (st != OVR_OK) {
		ovr_map_free(map);
		diag_list_free(wl);
		return st;
	}
	if (!ovr_conf_join(cpath, sizeof(cpath), b->dir, OVR_CMAP_NAME) ||
	    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cpath, (long)getpid()) <
	        0) {
		diag_add(wl, DIAG_ERROR, b->dir, 0, 0, "path too long");
	} else {
		ovr_conf_sweep(b->dir);
		if (ovr_cmap_write(
		        map, &id, b->lint || b->force ? wl : NULL, tmp, wl) &&
		    rename(tmp, cpath) < 0) {
			diag_add(wl, DIAG_ERROR, cpath, 0, 0, "rename: %s",
			    strerror(errno));
			(void)unlink(tmp);
		}
	}
	if (diag_errors(wl) > 0) {
		const struct diag *d = diag_first_error(wl);

		msg_warn("%s: not compiled, parsed instead: %s: %s", b->path,
		    d->file, d->text);
		if (b->force)
			ovr_conf_copy(wl, dl);
		*out = map;
		diag_list_free(wl);
		return b->force ? OVR_TEMP : OVR_OK;
	}
	diag_list_free(wl);
	cm = ovr_cmap_open(cpath, b->path, &id, NULL, 0);
	if (cm != NULL) {
		ovr_map_free(map);
		map = cm;
	}
	msg_info("%s: compiled into %s: %zu rules, %lld ms", b->path, cpath,
	    ovr_map_count(map), mono_now_ms() - start);
	if (b->info != NULL) {
		snprintf(b->info->path, sizeof(b->info->path), "%s", cpath);
		b->info->rules = ovr_map_count(map);
		b->info->bytes = cm != NULL ? cm->cmap->size : 0;
		b->info->ms = mono_now_ms() - start;
	}
	*out = map;
	return OVR_OK;
}

/*
 * ovr_conf_load - the compiled map if current, else built once: the
 * first process to take the lock rebuilds, the others find its file
 */
static enum ovr_status
ovr_conf_load(
    const struct ovr_build *b, struct ovr_map **out, struct diag_list *dl)
{
	struct diag_list *ll;
	struct ovr_map *map;
	enum ovr_status st;
	struct ovr_cid id;
	struct stat sb;
	int fd;

	if (stat(b->path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return ovr_conf_parse(b->path, b->lint, out, dl);
	ovr_cid_of(&sb, &id);
	if (!b->force && (map = ovr_conf_try(b, &id, dl)) != NULL) {
		*out = map;
		return OVR_OK;
	}
	ll = diag_list_new();
	fd = ovr_conf_lock(b, ll);
	if (fd < 0) {
		msg_warn("%s: not compiled, parsed instead: %s: %s", b->path,
		    diag_first_error(ll)->file, diag_first_error(ll)->text);
		if (b->force)
			ovr_conf_copy(ll, dl);
		diag_list_free(ll);
		if (b->force)
			return OVR_TEMP;
		return ovr_conf_parse(b->path, b->lint, out, dl);
	}
	diag_list_free(ll);
	/* Built by the process we waited for? */
	if (!b->force && stat(b->path, &sb) == 0) {
		ovr_cid_of(&sb, &id);
		if ((map = ovr_conf_try(b, &id, dl)) != NULL) {
			close(fd);
			*out = map;
			return OVR_OK;
		}
	}
	st = ovr_conf_build(b, out, dl);
	close(fd);
	return st;
}

/* ovr_map_load_conf - load the map a configuration names, or none */
enum ovr_status
ovr_map_load_conf(const char *path, bool missing_ok, bool lint,
    const char *cmap_dir, struct ovr_map **out, struct diag_list *dl)
{
	struct ovr_build b = {path, cmap_dir, lint, false, NULL};
	struct ovr_map *map = NULL;
	enum ovr_status st;
	struct stat sb;

	if (path == NULL || path[0] == '\0' ||
	    (missing_ok && stat(path, &sb) < 0 && errno == ENOENT)) {
		*out = NULL;
		return OVR_OK;
	}
	if (cmap_dir == NULL || cmap_dir[0] == '\0' || strcmp(path, "-") == 0)
		return ovr_conf_parse(path, lint, out, dl);
	st = ovr_conf_load(&b, &map, dl);
	if (st == OVR_OK)
		*out = map;
	return st;
}

/* ovr_map_compile - build the compiled map now */
enum ovr_status
ovr_map_compile(const char *path, const char *cmap_dir,
    struct ovr_compile_info *info, struct diag_list *dl)
{
	struct ovr_build b = {path, cmap_dir, true, true, info};
	struct ovr_map *map = NULL;
	enum ovr_status st;

	memset(info, 0, sizeof(*info));
	st = ovr_conf_load(&b, &map, dl);
	ovr_map_free(map);
	return st;
}
