/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Retry state lost: a damaged store moved aside, reported, and the
 * messages whose records went with it kept from being sent again.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "retry_int.h"

/* retry_lost_path - state_dir/retry.lost into buf */
static bool
retry_lost_path(const struct retry_db *r, char *buf)
{
	return retry_mark_path(r, buf, RETRY_LOST_FILE, -1, NULL);
}

/* retry_lost_since - when records were last lost; false when never */
bool
retry_lost_since(const struct retry_db *r, struct timespec *at)
{
	char path[RETRY_PATH_MAX];
	struct stat sb;

	if (!retry_lost_path(r, path) || stat(path, &sb) != 0)
		return false;
	*at = sb.st_mtim;
	return true;
}

/* retry_lost_before - is a no later than b? */
bool
retry_lost_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* retry_lost_count - markers in retry.d made no later than at */
static unsigned long
retry_lost_count(const struct retry_db *r, const struct timespec *at)
{
	char path[RETRY_PATH_MAX];
	unsigned long n = 0;
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int shard;

	for (shard = 0; shard < RETRY_MARK_SHARDS; shard++) {
		if (!retry_mark_path(r, path, RETRY_MARK_DIR, shard, NULL) ||
		    (d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' &&
			    fstatat(dirfd(d), e->d_name, &sb, 0) == 0 &&
			    retry_lost_before(&sb.st_mtim, at))
				n++;
		closedir(d);
	}
	return n;
}

/*
 * retry_lost_stamp - retry.lost, its time at (never moved back), made
 * durable: an empty file, so that a full disk does not stop it
 */
static bool
retry_lost_stamp(const struct retry_db *r, const struct timespec *at)
{
	char path[RETRY_PATH_MAX];
	struct timespec times[2], had;
	bool ok;
	int fd;

	if (!retry_lost_path(r, path))
		return false;
	if (retry_lost_since(r, &had) && retry_lost_before(at, &had))
		return true;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return false;
	times[0] = *at;
	times[1] = *at;
	ok = futimens(fd, times) == 0 && fsync(fd) == 0;
	close(fd);
	if (ok) {
		fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ok = fd >= 0 && fsync(fd) == 0;
		if (fd >= 0)
			close(fd);
	}
	return ok;
}

/*
 * retry_lost_note - after the store was opened or rebuilt: when it
 * moved a damaged file aside, stamp the time (retry_lost_check() then
 * holds back the messages recorded before), count the markers of the
 * messages whose records went with it, and say so at error level.
 * Returns: SD_OK, SD_TEMP when the stamp could not be made (why set).
 */
enum sd_status
retry_lost_note(struct retry_db *r, struct why *why)
{
	struct timespec at;
	const char *moved = state_db_moved(r->db, &at);
	unsigned long n;

	if (moved == NULL)
		return SD_OK;
	n = retry_lost_count(r, &at);
	if (!retry_lost_stamp(r, &at)) {
		msg_error("%s: damaged retry state moved aside to %s, records "
		          "of %lu message(s) lost; cannot write %s/%s: %m: "
		          "they may be sent again to recipients delivered "
		          "before",
		    state_db_path(r->db), moved, n, r->dir, RETRY_LOST_FILE);
		why_set(why, "4.3.0",
		    "retry state: %s/%s: cannot record the loss of %s", r->dir,
		    RETRY_LOST_FILE, moved);
		return SD_TEMP;
	}
	msg_error("%s: damaged retry state moved aside to %s; records of "
	          "%lu message(s) lost (markers in %s/%s): those messages "
	          "are deferred, never sent again on an empty record",
	    state_db_path(r->db), moved, n, r->dir, RETRY_MARK_DIR);
	return SD_OK;
}

/*
 * retry_lost_rebuild - after a failure: when the store was found
 * damaged, move it aside and start a new one (or give it up)
 */
void
retry_lost_rebuild(struct retry_db *r)
{
	struct why w;

	if (r->db == NULL || !state_db_damaged(r->db))
		return;
	why_reset(&w);
	if (state_db_rebuild(r->db, &w) != STATE_OK) {
		msg_error("retry state: %s", w.text);
		state_db_close(r->db);
		r->db = NULL;
		return;
	}
	(void)retry_lost_note(r, &w);
}

/* retry_lost_has_records - does the store hold any record of m? */
static enum sd_status
retry_lost_has_records(
    struct retry_db *r, const struct retry_msg *m, bool *has, struct why *why)
{
	struct state_txn *txn = NULL;
	struct state_cursor *cur = NULL;
	enum state_status st = STATE_FAIL;
	struct sbuf prefix, key;

	sbuf_init(&prefix);
	sbuf_init(&key);
	sbuf_append(&prefix, m->queue_id, strlen(m->queue_id) + 1);
	sbuf_append(&prefix, m->fingerprint, strlen(m->fingerprint) + 1);
	if (state_txn_begin(r->db, false, &txn, why) == STATE_OK &&
	    state_cursor_open(txn, 0, &cur, why) == STATE_OK)
		st = state_cursor_seek(
		    cur, prefix.data, prefix.len, &key, NULL, why);
	*has = st == STATE_OK && key.len >= prefix.len &&
	    memcmp(key.data, prefix.data, prefix.len) == 0;
	state_cursor_close(cur);
	state_txn_abort(txn);
	sbuf_fini(&key);
	sbuf_fini(&prefix);
	return st == STATE_OK || st == STATE_NOTFOUND ? SD_OK : SD_TEMP;
}

/*
 * retry_lost_check - for a message with a marker (retry_mark_check()
 * or retry_mark_touch() just looked at it) and the store open: were its
 * records lost with a damaged store? So when its marker is no younger
 * than the loss, this handle did not make it, and the new store holds
 * no record of it. Nothing is then known of which recipients were
 * delivered: it is not to be sent, nor recorded.
 * Returns: SD_OK (not lost), SD_TEMP (lost, or cannot tell; why set).
 */
enum sd_status
retry_lost_check(struct retry_db *r, const struct retry_msg *m, struct why *why)
{
	char path[RETRY_PATH_MAX], name[RETRY_MARK_NAME_MAX + 1];
	struct timespec at;
	unsigned shard;
	bool has;

	if (r->seen_made || !retry_lost_since(r, &at) ||
	    !retry_lost_before(&r->seen_mtime, &at))
		return SD_OK;
	if (retry_lost_has_records(r, m, &has, why) != SD_OK) {
		retry_lost_rebuild(r);
		return SD_TEMP;
	}
	if (has)
		return SD_OK;
	if (!retry_mark_name(m, name, &shard) ||
	    !retry_mark_path(r, path, RETRY_MARK_DIR, (int)shard, name))
		snprintf(path, sizeof(path), "its marker");
	why_set(why, "4.3.0",
	    "retry state: the records of this message were lost with a "
	    "damaged %s/%s (moved aside as %s.damaged.*, see the log); not "
	    "sent, so that no recipient gets it twice; remove %.300s to "
	    "send it again to every recipient",
	    r->dir, RETRY_FILE, RETRY_FILE, path);
	return SD_TEMP;
}
