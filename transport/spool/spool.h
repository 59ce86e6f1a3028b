/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	spool - the message, read once into an unlinked temporary file
 * DESCRIPTION
 *	spool_open() reads a message (LF or CRLF line ends) from a file
 *	descriptor to its end and stores it in wire form: every line ends
 *	in CRLF, a last line without a newline gets one, and X-SMTPDirect-*
 *	header fields (with their continuation lines) are removed from the
 *	header block. Lines of any length are kept intact; memory stays
 *	flat whatever the size. While spooling it records the wire size
 *	(RFC 1870: CRLF line ends, no dot-stuffing, no final "."), whether
 *	any byte has the high bit set, and a SHA-256 fingerprint of the
 *	header block as read (line ends normalised) for the retry state.
 *	spool_stream() hands the content, dot-stuffed, to a writer in
 *	large chunks (spool_stream_raw(): not dot-stuffed, for BDAT); it
 *	may be called any number of times (a second host after a failure
 *	mid-DATA). spool_header() reads a header field back (TLS-Required,
 *	RFC 8689). spool_addr_check() refuses envelope addresses that
 *	would corrupt an SMTP command.
 * OWNERSHIP
 *	spool_open() returns a spool owned by the caller; spool_close()
 *	closes its file and frees it. spool_fingerprint() is borrowed.
 * THREADS
 *	Safe for concurrent use of distinct spools.
 * ERRORS
 *	SD_OK; SD_TEMP with a 4.3.x reason (4.3.1 when the disk or quota
 *	is full, 4.3.0 for read and other I/O errors): defer the message.
 *	spool_stream() also passes on whatever status the writer returned.
 *	spool_addr_check(): SD_TEMP 4.1.7 (sender) or 4.1.3 (recipient).
 * SEE ALSO
 *	RFC 5321 section 4.5.2 (transparency), RFC 1870 (SIZE), smtp.h.
 */
#ifndef SMTPDIRECT_SPOOL_H
#define SMTPDIRECT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "mime.h"
#include "why.h"

#define SPOOL_CHUNK 65536 /* bytes per read, write and stream chunk */
#define SPOOL_FPR_LEN 64 /* hex digits of the fingerprint (SHA-256) */
#define SPOOL_ADDR_MAX 1024 /* longest envelope address accepted, bytes */
#define SPOOL_HDR_PREFIX "x-smtpdirect-" /* removed header fields */
#define SPOOL_HDR_SCAN (1024 * 1024) /* header bytes spool_header() reads */

/* A spooled message (opaque). */
struct spool;

/*
 * Writer of spool_stream(): takes len bytes (len > 0) of content.
 * Returns SD_OK to go on, anything else (with why filled) to stop.
 */
typedef enum sd_status (*spool_write_fn)(
    void *ctx, const char *buf, size_t len, struct why *why);

/*
 * Read fd to its end into a new unlinked file in dir (NULL: $TMPDIR,
 * else /tmp). fd is not closed. On success *spp is the caller's.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status spool_open(
    struct spool **spp, int fd, const char *dir, struct why *why);

/*
 * From now on, spool_close() keeps the file of the spool for the next
 * spool_open() in the same directory (a delivery worker), instead of
 * closing it; the next message is written over it, and the file is
 * emptied only when it holds more than 1 MiB.
 */
void spool_reuse_files(void);

/* Close the file and free the spool; NULL is ignored. */
void spool_close(struct spool *sp);

/* The size on the wire in bytes (CRLF, headers removed, no stuffing). */
unsigned long long spool_size(const struct spool *sp);

/* True when the content has a byte with the high bit set. */
bool spool_has_8bit(const struct spool *sp);

/* Lower-case hex SHA-256 of the header block as read; borrowed. */
const char *spool_fingerprint(const struct spool *sp);

/*
 * Pass the whole content, from its start, dot-stuffed (RFC 5321
 * section 4.5.2) to fn in chunks of at most 2 * SPOOL_CHUNK bytes.
 * The terminating ".\r\n" is not included. Safe to call again.
 * Returns: SD_OK, SD_TEMP (read error), or the writer's status.
 */
enum sd_status spool_stream(
    struct spool *sp, spool_write_fn fn, void *ctx, struct why *why);

/*
 * spool_stream() without dot-stuffing, for BDAT (RFC 3030): the bytes
 * of the content as they are (CRLF line ends), in chunks of at most
 * SPOOL_CHUNK bytes, spool_size() in all. Returns as spool_stream().
 */
enum sd_status spool_stream_raw(
    struct spool *sp, spool_write_fn fn, void *ctx, struct why *why);

/*
 * spool_stream() for a server without 8BITMIME: the content goes
 * through the 8-bit downgrade of mime.h before it is dot-stuffed, or
 * with raw not stuffed (BDAT); its size then differs from
 * spool_size(). stats, when not NULL, receives what the downgrade did.
 * Returns as spool_stream().
 */
enum sd_status spool_stream_7bit(struct spool *sp, bool raw, spool_write_fn fn,
    void *ctx, struct mime_down_stats *stats, struct why *why);

/*
 * The header field name (case-insensitive) of sp's header block, read
 * back from the spool file (at most its first SPOOL_HDR_SCAN bytes):
 * how many fields have that name, and in val (size bytes; cut) the
 * first one's value, unfolded, without leading and trailing white
 * space ("" when there is none). Returns the count, or -1 (why set,
 * 4.3.0) when the file cannot be read.
 */
int spool_header(struct spool *sp, const char *name, char *val, size_t size,
    struct why *why);

/*
 * Check an envelope address of len bytes (without <>; len 0 is the
 * null sender) for CR, LF, NUL and other control characters, and for
 * length (SPOOL_ADDR_MAX). The reason quotes the address cleaned.
 * Returns: SD_OK, SD_TEMP.
 */
enum sd_status spool_addr_check(
    const char *addr, size_t len, bool is_sender, struct why *why);

#endif
