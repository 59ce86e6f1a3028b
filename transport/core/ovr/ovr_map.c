/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Override map storage: the string arena, reading a file, freeing. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "ovr_int.h"
#include "xalloc.h"

/*
 * Arena blocks start small and double up to OVR_ARENA_BLOCK; the read
 * buffer starts at the file's size and doubles up to OVR_READ_SIZE, the
 * longest line. A map of a few lines then costs a few pages, not two
 * 1 MiB mappings (mmap, page faults, munmap) in every deliver process.
 */
#define OVR_ARENA_FIRST (16 * 1024) /* bytes of the first arena block */
#define OVR_ARENA_BLOCK (1024 * 1024) /* bytes of later arena blocks, at most */
#define OVR_READ_FIRST (4 * 1024) /* smallest read buffer */
#define OVR_READ_SIZE (1024 * 1024) /* largest read buffer: longest line */

static bool ovr_map_read(int fd, size_t hint, struct ovr_parser *ps,
    const char *path, struct diag_list *dl);
static size_t ovr_map_lines(
    struct ovr_parser *ps, const char *buf, size_t have, bool *skipping);
static bool ovr_map_check(int fd, bool is_stdin, const char *path,
    struct stat *st, struct diag_list *dl);

/* ovr_map_new - an empty map */
struct ovr_map *
ovr_map_new(const char *name)
{
	struct ovr_map *map = xcalloc(1, sizeof(*map));

	map->name = xstrdup(name);
	map->rules = NULL;
	map->pos = NULL;
	map->arena = NULL;
	return map;
}

/* ovr_arena_reserve - room for n bytes in the current block */
void
ovr_arena_reserve(struct ovr_map *map, size_t n)
{
	struct ovr_arena *a = map->arena;
	size_t cap = OVR_ARENA_FIRST;

	if (a != NULL && a->cap - a->used >= n + 8)
		return;
	if (a != NULL)
		cap = a->cap >= OVR_ARENA_BLOCK / 2 ? OVR_ARENA_BLOCK
		                                    : a->cap * 2;
	if (cap < n + 8)
		cap = n + 8;
	a = xmalloc(sizeof(*a) + cap);
	a->next = map->arena;
	a->used = 0;
	a->cap = cap;
	map->arena = a;
}

/* ovr_arena_alloc - n bytes, 8-aligned */
void *
ovr_arena_alloc(struct ovr_map *map, size_t n)
{
	struct ovr_arena *a;
	void *p;

	ovr_arena_reserve(map, n);
	a = map->arena;
	a->used = (a->used + 7) & ~(size_t)7;
	if (n > a->cap - a->used)
		ovr_arena_reserve(map, n + 8);
	a = map->arena;
	p = a->data + a->used;
	a->used += n;
	return p;
}

/* ovr_arena_put - copy n bytes and a NUL */
char *
ovr_arena_put(struct ovr_map *map, const char *p, size_t n)
{
	struct ovr_arena *a;
	char *s;

	ovr_arena_reserve(map, n + 1);
	a = map->arena;
	s = a->data + a->used;
	memcpy(s, p, n);
	s[n] = '\0';
	a->used += n + 1;
	return s;
}

/* ovr_arena_mark - where the current block stands */
size_t
ovr_arena_mark(const struct ovr_map *map)
{
	return map->arena != NULL ? map->arena->used : 0;
}

/* ovr_arena_rollback - wipe and forget bytes past the mark */
void
ovr_arena_rollback(struct ovr_map *map, size_t mark)
{
	struct ovr_arena *a = map->arena;

	if (a != NULL && mark <= a->used) {
		explicit_bzero(a->data + mark, a->used - mark);
		a->used = mark;
		return;
	}
	msg_panic("%s: bad mark %zu", __func__, mark);
}

/* ovr_map_parse - parse map text in memory */
struct ovr_map *
ovr_map_parse(
    const char *name, const char *buf, size_t len, struct diag_list *dl)
{
	struct ovr_parser *ps = ovr_parser_new(name, dl);
	struct ovr_line ln;
	size_t pos = 0;

	if (len > OVR_FILE_MAX)
		ovr_parser_fail(ps, "map too large");
	else
		while (ovr_lex_line(buf, len, &pos, &ln))
			ovr_parser_line(ps, ln.p, ln.len);
	return ovr_parser_finish(ps);
}

/*
 * ovr_map_lines - parse the complete lines of a buffer
 * Arguments: *skipping says that the buffer starts inside a line that
 * was too long and has been reported already.
 * Returns: bytes consumed (the tail is an incomplete line).
 */
static size_t
ovr_map_lines(
    struct ovr_parser *ps, const char *buf, size_t have, bool *skipping)
{
	const char *p = buf, *end = buf + have, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (*skipping)
			*skipping = false;
		else
			ovr_parser_line(ps, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

/*
 * ovr_map_read - feed a file to the parser a block at a time; hint is
 * the file's size when known (0: a pipe), for the first buffer
 */
static bool
ovr_map_read(int fd, size_t hint, struct ovr_parser *ps, const char *path,
    struct diag_list *dl)
{
	size_t size = hint < OVR_READ_FIRST ? OVR_READ_FIRST : hint + 1;
	size_t have = 0, used, total = 0, seen = 0;
	bool skipping = false, ok = false;
	ssize_t got;
	char *buf;

	if (hint == 0 || size > OVR_READ_SIZE)
		size = OVR_READ_SIZE;
	buf = xmalloc(size);
	for (;;) {
		if (have == size && size < OVR_READ_SIZE) {
			/* A longer line than the file had at fstat(). */
			char *bigger;

			size =
			    size * 2 > OVR_READ_SIZE ? OVR_READ_SIZE : size * 2;
			bigger = xmalloc(size);
			memcpy(bigger, buf, have);
			xfree_secret(buf, seen);
			buf = bigger;
		}
		got = read(fd, buf + have, size - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			diag_add(dl, DIAG_ERROR, path, 0, 0, "read: %s",
			    strerror(errno));
			break;
		}
		if (got == 0) {
			if (have > 0 && !skipping)
				ovr_parser_line(ps, buf, have);
			ok = true;
			break;
		}
		if ((total += (size_t)got) > OVR_FILE_MAX) {
			diag_add(dl, DIAG_ERROR, path, 0, 0,
			    "larger than %lu bytes (%lu MiB), the largest map",
			    (unsigned long)OVR_FILE_MAX,
			    (unsigned long)(OVR_FILE_MAX >> 20));
			break;
		}
		have += (size_t)got;
		if (have > seen)
			seen = have;
		used = ovr_map_lines(ps, buf, have, &skipping);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (have == OVR_READ_SIZE) {
			/* A line longer than the buffer: report, then skip. */
			if (!skipping)
				ovr_parser_long_line(ps);
			skipping = true;
			have = 0;
		}
	}
	/*
	 * The file's bytes never went past the largest fill: wipe those,
	 * not the whole buffer (1 MiB of page faults and zeroing, about a
	 * millisecond of every run, for a map of a few lines).
	 */
	xfree_secret(buf, seen);
	return ok;
}

/*
 * ovr_map_check - may the open file fd be read as a map? A regular
 * file of at most OVR_FILE_MAX bytes, or standard input (a pipe is
 * capped while it is read); *st gets its fstat()
 */
static bool
ovr_map_check(int fd, bool is_stdin, const char *path, struct stat *st,
    struct diag_list *dl)
{
	int flags;

	if (fstat(fd, st) < 0) {
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "fstat: %s", strerror(errno));
		return false;
	}
	if (!is_stdin && !S_ISREG(st->st_mode)) {
		diag_add(dl, DIAG_ERROR, path, 0, 0,
		    "not a regular file: a map must be one");
		return false;
	}
	if (S_ISREG(st->st_mode) &&
	    (unsigned long long)st->st_size >
	        (unsigned long long)OVR_FILE_MAX) {
		diag_add(dl, DIAG_ERROR, path, 0, 0,
		    "larger than %lu bytes (%lu MiB), the largest map",
		    (unsigned long)OVR_FILE_MAX,
		    (unsigned long)(OVR_FILE_MAX >> 20));
		return false;
	}
	/* The reads that follow may wait (a pipe on standard input). */
	if (!is_stdin &&
	    ((flags = fcntl(fd, F_GETFL)) < 0 ||
	        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)) {
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "fcntl: %s", strerror(errno));
		return false;
	}
	return true;
}

/* ovr_map_load - read, parse and index a map file */
enum ovr_status
ovr_map_load(const char *path, struct ovr_map **out, struct diag_list *dl)
{
	unsigned long before = diag_errors(dl);
	bool is_stdin = strcmp(path, "-") == 0;
	struct ovr_parser *ps;
	struct ovr_map *map;
	struct stat st;
	bool ok;
	int fd;

	/* O_NONBLOCK: a FIFO is refused below, not waited on. */
	fd = is_stdin
	    ? STDIN_FILENO
	    : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diag_add(
		    dl, DIAG_ERROR, path, 0, 0, "open: %s", strerror(errno));
		return OVR_NOFILE;
	}
	if (!ovr_map_check(fd, is_stdin, path, &st, dl)) {
		if (!is_stdin)
			close(fd);
		return OVR_NOFILE;
	}
	ps = ovr_parser_new(path, dl);
	ok = ovr_map_read(fd,
	    S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0, ps,
	    path, dl);
	if (!is_stdin)
		close(fd);
	map = ovr_parser_finish(ps);
	if (!ok) {
		ovr_map_free(map);
		return OVR_NOFILE;
	}
	if (S_ISREG(st.st_mode)) {
		map->has_mode = true;
		map->mode = st.st_mode;
	}
	*out = map;
	return diag_errors(dl) > before ? OVR_INVALID : OVR_OK;
}

/* ovr_map_free - release a map, wiping credentials */
void
ovr_map_free(struct ovr_map *map)
{
	struct ovr_arena *a, *next;
	size_t i;

	if (map == NULL)
		return;
	if (map->cmap != NULL) {
		/* Rules, index and strings are the mapping's. */
		ovr_cmap_close(map->cmap);
		free(map->name);
		free(map);
		return;
	}
	ovr_index_free(&map->idx);
	for (i = 0; map->ncred > 0 && i < map->n; i++) {
		struct ovr_target *tg = &map->rules[i].target;

		if (tg->user != NULL)
			explicit_bzero(tg->user, tg->user_len);
		if (tg->pass != NULL)
			explicit_bzero(tg->pass, tg->pass_len);
	}
	for (a = map->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(map->pos);
	free(map->rules);
	free(map->name);
	free(map);
}

/* ovr_map_count - number of rules */
size_t
ovr_map_count(const struct ovr_map *map)
{
	return map->n;
}

/* ovr_map_rule - i-th rule, NULL past the end or for a compiled map */
const struct ovr_rule *
ovr_map_rule(const struct ovr_map *map, size_t i)
{
	return map->cmap == NULL && i < map->n ? &map->rules[i] : NULL;
}

/* ovr_map_compiled - is the map read from a compiled file */
bool
ovr_map_compiled(const struct ovr_map *map)
{
	return map->cmap != NULL;
}

/* ovr_map_name - the map's file name */
const char *
ovr_map_name(const struct ovr_map *map)
{
	return map->name;
}
