/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Spooling: read the message once, normalise line ends to CRLF, drop
 * X-SMTPDirect-* header fields, and record size, 8-bit content and the
 * header fingerprint on the way. One pass, fixed-size buffers.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The low-level SHA-256 calls, not EVP: the first EVP digest of a process
 * loads openssl.cnf and the default provider (about 1.6 ms, a fifth of a
 * whole "deliver" run to a local server; see BENCHMARKS.md), while these
 * compute the same digest with no set-up. Deprecated in OpenSSL 3.0, not
 * removed.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "msg.h"
#include "spool_int.h"
#include "xalloc.h"

#define SPOOL_READ_TIMEOUT_MS 300000 /* wait for a non-blocking input */
#define SPOOL_HASH_BUF 4096 /* header bytes batched per digest update */
#define SPOOL_PREFIX_LEN (sizeof(SPOOL_HDR_PREFIX) - 1)

/* Where the writer is in the message. */
enum spool_hstate {
	SPOOL_H_START, /* at the start of a header line */
	SPOOL_H_NAME, /* collecting the first bytes of a field name */
	SPOOL_H_KEEP, /* in a header line that is kept */
	SPOOL_H_DROP, /* in a header line that is removed */
	SPOOL_H_BODY /* after the empty line */
};

/* The state of one spooling pass. */
struct spool_writer {
	struct spool *sp; /* the record being filled */
	char *out; /* output buffer, SPOOL_CHUNK bytes */
	size_t outlen; /* bytes waiting in out */
	SHA256_CTX md; /* header digest */
	unsigned char hbuf[SPOOL_HASH_BUF]; /* header bytes not yet hashed */
	size_t hlen; /* bytes in hbuf */
	enum spool_hstate st; /* header state */
	bool dropping; /* the current header field is being removed */
	bool cr; /* a CR was read, its meaning depends on the next byte */
	bool line_open; /* content since the last end of line */
	char name[SPOOL_PREFIX_LEN]; /* start of the current field name */
	size_t namelen; /* bytes in name */
	bool failed; /* a write failed; why is set */
	struct why *why; /* where the failure goes */
};

static void spool_emit(struct spool_writer *w, const char *p, size_t n);

/*
 * The file of the last spool, for the next one in a process that
 * delivers many messages (spool_reuse_files()): creating and freeing an
 * inode per message is most of a small message's spooling. The next
 * message is written over the old one from the start, and only
 * sp->size bytes are ever read back (spool_stream()), so the file is
 * emptied only when more than SPOOL_SPARE_MAX bytes would stay in it:
 * freeing and allocating its pages again for every small message cost
 * more than the rest of the reuse saved.
 */
#define SPOOL_SPARE_MAX (1024 * 1024)
static struct {
	bool enabled; /* spool_reuse_files() was called */
	int fd; /* an unlinked file, or -1 */
	unsigned long long len; /* bytes in it, all stale */
	char dir[4096]; /* the directory it is in */
} spool_spare = {false, -1, 0, ""};

/* spool_reuse_files - keep the file of a closed spool for the next */
void
spool_reuse_files(void)
{
	spool_spare.enabled = true;
}

/*
 * spool_tmpfile - an unlinked file in dir: the spare one (*len its
 * stale bytes), or new (*len 0)
 */
static int
spool_tmpfile(const char *dir, unsigned long long *len, struct why *why)
{
	char *path;
	size_t n;
	int fd;

	*len = 0;
	if (spool_spare.fd >= 0 && strcmp(spool_spare.dir, dir) == 0) {
		fd = spool_spare.fd;
		spool_spare.fd = -1;
		if (lseek(fd, 0, SEEK_SET) == 0) {
			*len = spool_spare.len;
			return fd;
		}
		close(fd);
	}
	if (spool_spare.enabled && strlen(dir) < sizeof(spool_spare.dir))
		snprintf(spool_spare.dir, sizeof(spool_spare.dir), "%s", dir);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC | O_EXCL, 0600);
	if (fd >= 0)
		return fd;
	n = strlen(dir) + sizeof("/smtpdirect-spool.XXXXXX");
	path = xmalloc(n);
	snprintf(path, n, "%s/smtpdirect-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		why_set(why, "4.3.0", "create spool file in %s: %s", dir,
		    strerror(errno));
	} else if (unlink(path) < 0) {
		why_set(why, "4.3.0", "unlink spool file %s: %s", path,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* spool_flush - write the output buffer to the file */
static void
spool_flush(struct spool_writer *w)
{
	size_t off = 0;
	ssize_t n;

	while (!w->failed && off < w->outlen) {
		n = write(w->sp->fd, w->out + off, w->outlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;

			why_set(w->why,
			    err == ENOSPC || err == EDQUOT ? "4.3.1" : "4.3.0",
			    "write spool file: %s", strerror(err));
			w->failed = true;
			break;
		}
		off += (size_t)n;
	}
	w->outlen = 0;
}

/* spool_emit - append n bytes to the spool file */
static void
spool_emit(struct spool_writer *w, const char *p, size_t n)
{
	size_t i, room;

	if (!w->sp->has_8bit) {
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] & 0x80)
				w->sp->has_8bit = true;
	}
	w->sp->size += n;
	while (n > 0) {
		room = SPOOL_CHUNK - w->outlen;
		if (room > n)
			room = n;
		memcpy(w->out + w->outlen, p, room);
		w->outlen += room;
		p += room;
		n -= room;
		if (w->outlen == SPOOL_CHUNK)
			spool_flush(w);
	}
}

/* spool_hash - add header bytes to the fingerprint */
static void
spool_hash(struct spool_writer *w, const char *p, size_t n)
{
	size_t room;

	while (n > 0) {
		if (w->hlen == sizeof(w->hbuf)) {
			SHA256_Update(&w->md, w->hbuf, w->hlen);
			w->hlen = 0;
		}
		room = sizeof(w->hbuf) - w->hlen;
		if (room > n)
			room = n;
		memcpy(w->hbuf + w->hlen, p, room);
		w->hlen += room;
		p += room;
		n -= room;
	}
}

/* spool_name_byte - one byte of a field name: decide keep or drop */
static void
spool_name_byte(struct spool_writer *w, char c)
{
	unsigned char lc = (unsigned char)c;

	if (lc >= 'A' && lc <= 'Z')
		lc = (unsigned char)(lc - 'A' + 'a');
	w->name[w->namelen++] = c;
	if (lc != (unsigned char)SPOOL_HDR_PREFIX[w->namelen - 1]) {
		spool_emit(w, w->name, w->namelen);
		w->st = SPOOL_H_KEEP;
	} else if (w->namelen == SPOOL_PREFIX_LEN) {
		w->st = SPOOL_H_DROP;
		w->dropping = true;
	}
}

/* spool_content - one byte of line content (not a line end) */
static void
spool_content(struct spool_writer *w, char c)
{
	w->line_open = true;
	if (w->st == SPOOL_H_BODY) {
		spool_emit(w, &c, 1);
		return;
	}
	spool_hash(w, &c, 1);
	if (w->st == SPOOL_H_START) {
		if (c == ' ' || c == '\t') {
			w->st = w->dropping ? SPOOL_H_DROP : SPOOL_H_KEEP;
		} else {
			w->dropping = false;
			w->st = SPOOL_H_NAME;
			w->namelen = 0;
		}
	}
	switch (w->st) {
	case SPOOL_H_NAME:
		spool_name_byte(w, c);
		break;
	case SPOOL_H_KEEP:
		spool_emit(w, &c, 1);
		break;
	default:
		break;
	}
}

/* spool_eol - an end of line (LF or CRLF in the input) */
static void
spool_eol(struct spool_writer *w)
{
	w->line_open = false;
	switch (w->st) {
	case SPOOL_H_START:
		w->sp->hdr_len = w->sp->size;
		spool_emit(w, "\r\n", 2);
		w->st = SPOOL_H_BODY;
		return;
	case SPOOL_H_NAME:
		spool_emit(w, w->name, w->namelen);
		/* FALLTHROUGH */
	case SPOOL_H_KEEP:
		spool_emit(w, "\r\n", 2);
		break;
	case SPOOL_H_DROP:
		break;
	case SPOOL_H_BODY:
		spool_emit(w, "\r\n", 2);
		return;
	}
	spool_hash(w, "\r\n", 2);
	w->st = SPOOL_H_START;
}

/* spool_body_run - length of a run of body bytes without CR or LF */
static size_t
spool_body_run(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n')
			break;
	return i;
}

/* spool_run - n content bytes without line ends, in a body or a header */
static void
spool_run(struct spool_writer *w, const char *p, size_t n)
{
	w->line_open = true;
	if (w->st != SPOOL_H_BODY)
		spool_hash(w, p, n);
	if (w->st != SPOOL_H_DROP)
		spool_emit(w, p, n);
}

/* spool_feed - turn input bytes into content bytes and line ends */
static void
spool_feed(struct spool_writer *w, const char *buf, size_t n)
{
	size_t i = 0, run;
	char c;

	while (i < n && !w->failed) {
		if (!w->cr &&
		    (w->st == SPOOL_H_BODY || w->st == SPOOL_H_KEEP ||
		        w->st == SPOOL_H_DROP)) {
			run = spool_body_run(buf + i, n - i);
			if (run > 0) {
				spool_run(w, buf + i, run);
				i += run;
				continue;
			}
		}
		c = buf[i++];
		if (w->cr) {
			w->cr = false;
			if (c == '\n') {
				spool_eol(w);
				continue;
			}
			spool_content(w, '\r');
		}
		if (c == '\r')
			w->cr = true;
		else if (c == '\n')
			spool_eol(w);
		else
			spool_content(w, c);
	}
}

/* spool_read - read(2) that waits, bounded, on a non-blocking input */
static ssize_t
spool_read(int fd, char *buf, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, SPOOL_READ_TIMEOUT_MS);
		if (n == 0)
			errno = ETIMEDOUT;
		if (n <= 0 && errno != EINTR)
			return -1;
	}
}

/* spool_finish - end of input: close the last line, seal the digest */
static void
spool_finish(struct spool_writer *w)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int mdlen = SHA256_DIGEST_LENGTH, i;

	if (w->cr) {
		w->cr = false;
		spool_eol(w);
	}
	if (w->line_open)
		spool_eol(w);
	if (w->st != SPOOL_H_BODY)
		w->sp->hdr_len = w->sp->size; /* no body: all header */
	spool_flush(w);
	if (w->hlen > 0)
		SHA256_Update(&w->md, w->hbuf, w->hlen);
	SHA256_Final(md, &w->md);
	for (i = 0; i < mdlen && 2 * i + 2 <= SPOOL_FPR_LEN; i++)
		snprintf(w->sp->fpr + 2 * i, 3, "%02x", md[i]);
}

/* spool_copy - the reading loop */
static enum sd_status
spool_copy(struct spool_writer *w, int fd)
{
	char *in = xmalloc(SPOOL_CHUNK);
	ssize_t n;

	while (!w->failed) {
		n = spool_read(fd, in, SPOOL_CHUNK);
		if (n < 0) {
			why_set(w->why, "4.3.0", "read message: %s",
			    strerror(errno));
			w->failed = true;
		}
		if (n <= 0)
			break;
		spool_feed(w, in, (size_t)n);
	}
	free(in);
	if (!w->failed)
		spool_finish(w);
	return w->failed ? SD_TEMP : SD_OK;
}

/* spool_open - read the message into a new spool */
enum sd_status
spool_open(struct spool **spp, int fd, const char *dir, struct why *why)
{
	struct spool_writer *w;
	struct spool *sp;
	enum sd_status st;

	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	*spp = NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->fd = spool_tmpfile(dir, &sp->file_len, why);
	if (sp->fd < 0) {
		free(sp);
		return SD_TEMP;
	}
	w = xcalloc(1, sizeof(*w));
	w->sp = sp;
	w->why = why;
	w->out = xmalloc(SPOOL_CHUNK);
	if (!SHA256_Init(&w->md)) {
		why_set(why, "4.3.0", "cannot initialise SHA-256 digest");
		w->failed = true;
		st = SD_TEMP;
	} else {
		st = spool_copy(w, fd);
	}
	free(w->out);
	free(w);
	if (st != SD_OK) {
		spool_close(sp);
		return st;
	}
	msg_debug("spool: %llu bytes, %s, fingerprint %s", sp->size,
	    sp->has_8bit ? "8bit" : "7bit", sp->fpr);
	*spp = sp;
	return SD_OK;
}

/* spool_close - release the spool */
void
spool_close(struct spool *sp)
{
	unsigned long long len;
	bool keep;

	if (sp == NULL)
		return;
	len = sp->file_len > sp->size ? sp->file_len : sp->size;
	keep = sp->fd >= 0 && spool_spare.enabled && spool_spare.fd < 0 &&
	    spool_spare.dir[0] != '\0';
	if (keep && len > SPOOL_SPARE_MAX) {
		keep = ftruncate(sp->fd, 0) == 0;
		len = 0;
	}
	if (keep) {
		spool_spare.fd = sp->fd;
		spool_spare.len = len;
	} else if (sp->fd >= 0) {
		close(sp->fd);
	}
	free(sp);
}

/* spool_size - bytes on the wire */
unsigned long long
spool_size(const struct spool *sp)
{
	return sp->size;
}

/* spool_has_8bit - 8-bit content */
bool
spool_has_8bit(const struct spool *sp)
{
	return sp->has_8bit;
}

/* spool_fingerprint - hex digest of the header block */
const char *
spool_fingerprint(const struct spool *sp)
{
	return sp->fpr;
}
