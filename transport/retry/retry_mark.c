/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Retry markers: one empty file per message that has records, so that
 * a first attempt knows it has none without opening the store
 * (retry_int.h).
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "retry_int.h"
#include "sdir.h"

#define RETRY_MARK_TMP "retry.d.new" /* retry.d being built */

static const char retry_hex[] = "0123456789ABCDEF";

/* retry_mark_esc - append n bytes of s, escaped, to name at *off */
static bool
retry_mark_esc(char *name, size_t *off, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (*off + 3 >= RETRY_MARK_NAME_MAX)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') {
			name[(*off)++] = (char)c;
		} else {
			name[(*off)++] = '%';
			name[(*off)++] = retry_hex[c >> 4];
			name[(*off)++] = retry_hex[c & 15];
		}
	}
	name[*off] = '\0';
	return true;
}

/* retry_hex_value - an upper-case hex digit's value, -1 if none */
static int
retry_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* retry_mark_unesc - decode n bytes of an escaped name part; -1 if bad */
static int
retry_mark_unesc(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (o + 1 >= size)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		hi = retry_hex_value(s[i + 1]);
		lo = retry_hex_value(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return (int)o;
}

/* retry_mark_name - "QUEUEID.FPR", escaped, and its shard */
bool
retry_mark_name(const struct retry_msg *m, char *name, unsigned *shard)
{
	size_t off = 0, flen = strlen(m->fingerprint), i;
	uint32_t h = 2166136261u; /* FNV-1a */

	if (flen > RETRY_MARK_FPR_LEN)
		flen = RETRY_MARK_FPR_LEN;
	if (!retry_mark_esc(name, &off, m->queue_id, strlen(m->queue_id)) ||
	    off + 1 >= RETRY_MARK_NAME_MAX)
		return false;
	name[off++] = '.';
	if (!retry_mark_esc(name, &off, m->fingerprint, flen))
		return false;
	for (i = 0; i < off; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	*shard = h % RETRY_MARK_SHARDS;
	return true;
}

/* retry_mark_path - state_dir/SUB[/XX[/NAME]] into buf */
bool
retry_mark_path(const struct retry_db *r, char *buf, const char *sub, int shard,
    const char *name)
{
	int n;

	if (shard < 0)
		n = snprintf(buf, RETRY_PATH_MAX, "%s/%s", r->dir, sub);
	else if (name == NULL)
		n = snprintf(
		    buf, RETRY_PATH_MAX, "%s/%s/%02x", r->dir, sub, shard);
	else
		n = snprintf(buf, RETRY_PATH_MAX, "%s/%s/%02x/%s", r->dir, sub,
		    shard, name);
	return n > 0 && n < RETRY_PATH_MAX;
}

/* retry_mark_fail - why for a failed system call on path */
static enum sd_status
retry_mark_fail(struct why *why, const char *what, const char *path)
{
	char note[SDIR_NOTE_MAX];
	int err = errno;

	why_set(why, "4.3.0", "retry state: %s %.300s: %s%s", what, path,
	    strerror(err), sdir_owner_note(path, err, note, sizeof(note)));
	return SD_TEMP;
}

/* retry_mark_lock - take or drop the lock, opening it the first time */
bool
retry_mark_lock(struct retry_db *r, int op, struct why *why)
{
	char path[RETRY_PATH_MAX];

	if (r->lock_fd < 0) {
		if (!retry_mark_path(r, path, RETRY_MARK_LOCK, -1, NULL)) {
			why_set(why, "4.3.0", "retry state: path too long");
			return false;
		}
		r->lock_fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (r->lock_fd < 0) {
			retry_mark_fail(why, "cannot open", path);
			return false;
		}
	}
	while (flock(r->lock_fd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			why_set(why, "4.3.0", "retry state: flock %s: %s",
			    RETRY_MARK_LOCK, strerror(errno));
		return false;
	}
	return true;
}

/* retry_mark_fsync_dir - make the entries of directory path durable */
static bool
retry_mark_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/* retry_mark_create - an empty file at path; true if it exists after */
static bool
retry_mark_create(const char *path, bool *created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	*created = fd >= 0;
	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno == EEXIST;
}

/* retry_mark_clear - remove a half-built retry.d.new (two levels) */
static void
retry_mark_clear(const struct retry_db *r)
{
	char sub[RETRY_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int shard;

	for (shard = 0; shard < RETRY_MARK_SHARDS; shard++) {
		if (!retry_mark_path(r, sub, RETRY_MARK_TMP, shard, NULL) ||
		    (d = opendir(sub)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
		rmdir(sub);
	}
	if (retry_mark_path(r, sub, RETRY_MARK_TMP, -1, NULL))
		rmdir(sub);
}

/* retry_mark_backfill - a marker in tmp for every message in the store */
static enum sd_status
retry_mark_backfill(struct retry_db *r, struct why *why)
{
	struct state_txn *txn = NULL;
	struct state_cursor *cur = NULL;
	enum state_status st;
	struct retry_msg m;
	char qid[STATE_KEY_MAX + 1], fpr[STATE_KEY_MAX + 1];
	char name[RETRY_MARK_NAME_MAX + 1], path[RETRY_PATH_MAX];
	unsigned shard;
	bool created;

	if (retry_store(r, why) != SD_OK)
		return SD_TEMP;
	if (state_txn_begin(r->db, false, &txn, why) != STATE_OK ||
	    state_cursor_open(txn, 0, &cur, why) != STATE_OK)
		goto fail;
	m.queue_id = qid;
	m.fingerprint = fpr;
	for (st = state_cursor_get(cur, STATE_FIRST, &r->key, &r->val, why);
	     st == STATE_OK;
	     st = state_cursor_get(cur, STATE_NEXT, &r->key, &r->val, why)) {
		const char *k = r->key.data, *z1, *z2;

		/* "queue_id NUL fingerprint NUL recipient" */
		z1 = memchr(k, '\0', r->key.len);
		z2 = z1 != NULL
		    ? memchr(z1 + 1, '\0', r->key.len - (size_t)(z1 + 1 - k))
		    : NULL;
		if (z2 == NULL)
			continue;
		memcpy(qid, k, (size_t)(z1 - k) + 1);
		memcpy(fpr, z1 + 1, (size_t)(z2 - z1));
		if (!retry_mark_name(&m, name, &shard))
			continue;
		if (!retry_mark_path(
		        r, path, RETRY_MARK_TMP, (int)shard, name) ||
		    !retry_mark_create(path, &created)) {
			retry_mark_fail(why, "cannot create", path);
			goto fail;
		}
	}
	if (st != STATE_NOTFOUND)
		goto fail;
	state_cursor_close(cur);
	state_txn_abort(txn);
	return SD_OK;

fail:
	state_cursor_close(cur);
	state_txn_abort(txn);
	return SD_TEMP;
}

/*
 * retry_mark_build - make retry.d, under the exclusive lock: shards in
 * retry.d.new, a marker for every message already in the store, all
 * synced, then renamed into place.
 */
static enum sd_status
retry_mark_build(struct retry_db *r, struct why *why)
{
	char dir[RETRY_PATH_MAX], tmp[RETRY_PATH_MAX], store[RETRY_PATH_MAX];
	char path[RETRY_PATH_MAX];
	enum sd_status st = SD_TEMP;
	int shard;

	if (!retry_mark_path(r, dir, RETRY_MARK_DIR, -1, NULL) ||
	    !retry_mark_path(r, tmp, RETRY_MARK_TMP, -1, NULL) ||
	    !retry_mark_path(r, store, RETRY_FILE, -1, NULL)) {
		why_set(why, "4.3.0", "retry state: path too long");
		return SD_TEMP;
	}
	if (!retry_mark_lock(r, LOCK_EX, why))
		return SD_TEMP;
	if (access(dir, F_OK) == 0) {
		st = SD_OK; /* another process built it meanwhile */
		goto out;
	}
	retry_mark_clear(r);
	if (mkdir(tmp, 0700) < 0) {
		retry_mark_fail(why, "cannot create", tmp);
		goto out;
	}
	for (shard = 0; shard < RETRY_MARK_SHARDS; shard++) {
		if (!retry_mark_path(r, path, RETRY_MARK_TMP, shard, NULL) ||
		    mkdir(path, 0700) < 0) {
			retry_mark_fail(why, "cannot create", path);
			goto out;
		}
	}
	if (access(store, F_OK) == 0 && retry_mark_backfill(r, why) != SD_OK)
		goto out;
	if (syncfs(r->lock_fd) < 0) {
		retry_mark_fail(why, "cannot sync", tmp);
		goto out;
	}
	if (rename(tmp, dir) < 0) {
		retry_mark_fail(why, "cannot rename", tmp);
		goto out;
	}
	if (!retry_mark_fsync_dir(r->dir)) {
		retry_mark_fail(why, "cannot sync", r->dir);
		goto out;
	}
	st = SD_OK;

out:
	flock(r->lock_fd, LOCK_UN);
	return st;
}

/* retry_mark_ready - retry.d is there (built now if need be) */
enum sd_status
retry_mark_ready(struct retry_db *r, struct why *why)
{
	char dir[RETRY_PATH_MAX];

	if (!retry_mark_path(r, dir, RETRY_MARK_DIR, -1, NULL)) {
		why_set(why, "4.3.0", "retry state: path too long");
		return SD_TEMP;
	}
	if (access(dir, W_OK | X_OK) == 0)
		return SD_OK;
	if (errno != ENOENT)
		return retry_mark_fail(why, "cannot use", dir);
	return retry_mark_build(r, why);
}

/* retry_mark_check - one stat(): does the message have a marker? */
enum retry_mark
retry_mark_check(struct retry_db *r, const struct retry_msg *m)
{
	char name[RETRY_MARK_NAME_MAX + 1], path[RETRY_PATH_MAX];
	struct stat sb;
	unsigned shard;

	if (!retry_mark_name(m, name, &shard))
		return RETRY_MARK_UNKNOWN;
	if (strcmp(name, r->seen) == 0)
		return r->seen_mark;
	if (!retry_mark_path(r, path, RETRY_MARK_DIR, (int)shard, name))
		return RETRY_MARK_UNKNOWN;
	r->seen_made = false;
	if (stat(path, &sb) == 0) {
		r->seen_mark = RETRY_MARK_PRESENT;
		r->seen_mtime = sb.st_mtim;
	} else if (errno == ENOENT)
		r->seen_mark = RETRY_MARK_ABSENT;
	else
		return RETRY_MARK_UNKNOWN;
	memcpy(r->seen, name, sizeof(r->seen));
	return r->seen_mark;
}

/*
 * retry_mark_touch - the marker of m, durable before the caller commits
 * a record; retry.d rebuilt if somebody removed it
 */
enum sd_status
retry_mark_touch(struct retry_db *r, const struct retry_msg *m, struct why *why)
{
	char name[RETRY_MARK_NAME_MAX + 1], path[RETRY_PATH_MAX];
	struct stat sb;
	unsigned shard;
	bool created;
	int tries;

	if (!retry_mark_name(m, name, &shard))
		return SD_OK;
	if (!retry_mark_path(r, path, RETRY_MARK_DIR, (int)shard, name)) {
		why_set(why, "4.3.0", "retry state: path too long");
		return SD_TEMP;
	}
	for (tries = 0; !retry_mark_create(path, &created); tries++) {
		if (errno != ENOENT || tries > 0)
			return retry_mark_fail(why, "cannot create", path);
		/* retry.d was removed: build it again (exclusively), retry. */
		if (!retry_mark_lock(r, LOCK_UN, why) ||
		    retry_mark_ready(r, why) != SD_OK ||
		    !retry_mark_lock(r, LOCK_SH, why))
			return SD_TEMP;
	}
	if (stat(path, &sb) != 0)
		return retry_mark_fail(why, "cannot stat", path);
	if (created) {
		retry_mark_path(r, path, RETRY_MARK_DIR, (int)shard, NULL);
		if (!retry_mark_fsync_dir(path))
			return retry_mark_fail(why, "cannot sync", path);
	}
	r->seen_made = created || (r->seen_made && strcmp(name, r->seen) == 0);
	memcpy(r->seen, name, sizeof(r->seen));
	r->seen_mark = RETRY_MARK_PRESENT;
	r->seen_mtime = sb.st_mtim;
	return SD_OK;
}

/* retry_mark_needed - does the store hold a record of this marker? */
static bool
retry_mark_needed(struct retry_db *r, struct state_cursor *cur,
    const char *name, struct why *why)
{
	const char *dot = strchr(name, '.');
	char prefix[RETRY_MARK_NAME_MAX + 2];
	enum state_status st;
	size_t plen;
	int q, f;

	if (dot == NULL ||
	    (q = retry_mark_unesc(
	         name, (size_t)(dot - name), prefix, sizeof(prefix))) < 0 ||
	    (f = retry_mark_unesc(dot + 1, strlen(dot + 1), prefix + q + 1,
	         sizeof(prefix) - (size_t)q - 1)) < 0)
		return true; /* not ours: leave it */
	plen = (size_t)q + 1 + (size_t)f;
	st = state_cursor_seek(cur, prefix, plen, &r->key, &r->val, why);
	if (st != STATE_OK)
		return st != STATE_NOTFOUND; /* in doubt, keep it */
	return r->key.len >= plen && memcmp(r->key.data, prefix, plen) == 0;
}

/*
 * retry_mark_orphan - was the marker name made before records were
 * lost (at, when lost) and less than max_age before now? Then it holds
 * its message back (retry_lost_check()) and must stay.
 */
static bool
retry_mark_orphan(DIR *d, const char *name, const struct timespec *at,
    bool lost, time_t now, unsigned long max_age)
{
	struct stat sb;

	if (!lost)
		return false;
	if (fstatat(dirfd(d), name, &sb, 0) != 0)
		return true; /* in doubt, keep it */
	return retry_lost_before(&sb.st_mtim, at) &&
	    sb.st_mtim.tv_sec + (time_t)max_age >= now;
}

/* retry_mark_prune - drop the markers of shard without records */
enum sd_status
retry_mark_prune(struct retry_db *r, unsigned shard, time_t now,
    unsigned long max_age, struct why *why)
{
	char path[RETRY_PATH_MAX];
	struct state_txn *txn = NULL;
	struct state_cursor *cur = NULL;
	enum sd_status st = SD_OK;
	struct timespec at = {0, 0};
	struct dirent *e;
	unsigned long seen = 0;
	bool lost = retry_lost_since(r, &at);
	DIR *d = NULL;

	if (!retry_mark_path(r, path, RETRY_MARK_DIR, (int)shard, NULL))
		return SD_OK;
	if (!retry_mark_lock(r, LOCK_EX | LOCK_NB, why))
		return errno == EWOULDBLOCK ? SD_OK : SD_TEMP;
	if ((d = opendir(path)) == NULL) {
		st = errno == ENOENT
		    ? SD_OK
		    : retry_mark_fail(why, "cannot read", path);
		goto out;
	}
	if (state_txn_begin(r->db, false, &txn, why) != STATE_OK ||
	    state_cursor_open(txn, 0, &cur, why) != STATE_OK) {
		st = SD_TEMP;
		goto out;
	}
	while ((e = readdir(d)) != NULL && seen < RETRY_PRUNE_BATCH) {
		if (e->d_name[0] == '.')
			continue;
		seen++;
		if (!retry_mark_needed(r, cur, e->d_name, why) &&
		    !retry_mark_orphan(d, e->d_name, &at, lost, now, max_age))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	r->seen[0] = '\0';

out:
	state_cursor_close(cur);
	state_txn_abort(txn);
	if (d != NULL)
		closedir(d);
	flock(r->lock_fd, LOCK_UN);
	return st;
}
