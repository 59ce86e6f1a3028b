/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	ovr_int - private declarations shared by the ovr_*.c files
 * DESCRIPTION
 *	The lexer (ovr_lex.c) cuts the map into lines and tokens and
 *	reads numbers, operators and %XX escapes; the parser (ovr_parse.c,
 *	ovr_target.c) turns lines into rules; the index (ovr_index.c) and
 *	the matcher (ovr_match.c) answer lookups; ovr_lint.c adds
 *	warnings. A map keeps its rules in one array and their strings in
 *	one arena sized from the input, so loading allocates a handful of
 *	blocks whatever the number of lines.
 * OWNERSHIP
 *	Everything hangs off struct ovr_map and is released by
 *	ovr_map_free(). Tokens and lines point into the caller's buffer.
 * THREADS
 *	A built map is read-only; see ovr.h.
 * ERRORS
 *	Lexer helpers return enum ovr_num or bool; the parser reports
 *	through the diag list.
 * SEE ALSO
 *	ovr.h.
 */
#ifndef SMTPDIRECT_OVR_INT_H
#define SMTPDIRECT_OVR_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovr.h"

#define OVR_NONE UINT32_MAX /* no rule: end of a chain, empty slot */
#define OVR_RULES_MAX (UINT32_MAX - 1) /* rule indices are 32-bit */
#define OVR_QUOTE_MAX 64 /* bytes of a token quoted in a message */
#define OVR_QUOTE_SIZE (OVR_QUOTE_MAX + 12) /* buffer for ovr_lex_quote */
#define OVR_HASH_SEED 0xcbf29ce484222325ULL /* FNV-1a offset basis */
#define OVR_HASH_MUL 0x100000001b3ULL /* FNV-1a prime */

/* One line of the map, without its line end. */
struct ovr_line {
	const char *p; /* first byte, in the caller's buffer */
	size_t len; /* bytes, CR and LF excluded */
	unsigned long no; /* 1-based line number */
};

/* A cursor over the tokens of one line. */
struct ovr_lex {
	const char *p; /* the line */
	size_t len; /* its length */
	size_t pos; /* next byte to look at */
};

/* One whitespace-separated token. */
struct ovr_tok {
	const char *p; /* first byte, in the caller's buffer */
	size_t len; /* bytes */
	unsigned long col; /* 1-based byte column */
};

/* Results of reading a number. */
enum ovr_num {
	OVR_NUM_OK, /* a number in range */
	OVR_NUM_BAD, /* not a number */
	OVR_NUM_RANGE /* too large */
};

_Static_assert(OVR_DOMAIN_MAX <= UINT8_MAX, "pattern lengths fit uint8_t");

/* A growable array of rule indices. */
struct ovr_vec {
	uint32_t *v; /* entries */
	size_t n; /* entries used */
	size_t cap; /* entries allocated */
};

/* Per rule: where its tokens were (for lint) and its pattern's shape. */
struct ovr_pos {
	uint16_t pcol; /* column of the pattern */
	uint16_t tcol; /* column of the target */
	uint8_t plen; /* length of the pattern */
	uint8_t slen; /* length of its literal suffix (plen: no wildcard) */
};

/* One slot of an open-addressing hash table. */
struct ovr_slot {
	uint32_t check; /* upper bits of the hash, for a quick reject */
	uint32_t head; /* first rule of the chain, OVR_NONE when empty */
};

/* A hash table from a key string to a chain of rules in line order. */
struct ovr_htab {
	struct ovr_slot *slot; /* mask + 1 slots */
	size_t mask; /* capacity - 1, capacity a power of two */
};

/* The lookup index of a map. */
struct ovr_index {
	struct ovr_htab exact; /* wildcard-free patterns */
	struct ovr_htab suffix; /* wildcard patterns by literal suffix */
	uint32_t *next; /* per rule: next rule of its chain */
	uint32_t *always; /* wildcard patterns with no literal suffix */
	size_t nalways; /* entries in always */
	uint64_t lens[(OVR_DOMAIN_MAX + 64) / 64]; /* suffix lengths used */
	uint64_t *filter; /* one bit per suffix key hash, checked first */
	size_t fmask; /* bits in filter - 1 */
};

/* A block of the string arena; strings never span blocks. */
struct ovr_arena {
	struct ovr_arena *next; /* the block filled before this one */
	size_t used; /* bytes used in data */
	size_t cap; /* bytes in data */
	_Alignas(8) char data[]; /* strings and conditions */
};

/* A parsed map. */
struct ovr_map {
	char *name; /* file name for messages */
	struct ovr_rule *rules; /* valid lines in file order */
	size_t n; /* entries in rules */
	size_t cap; /* entries allocated in rules and pos */
	struct ovr_pos *pos; /* per rule: token columns */
	struct ovr_arena *arena; /* current block, older ones chained */
	size_t ncred; /* rules with credentials */
	bool has_mode; /* mode was recorded from a regular file */
	mode_t mode; /* st_mode of the file when loaded */
	struct ovr_index idx; /* lookup index */
};

struct ovr_parser;

/* Character classes, bits of ovr_ctype[]. */
#define OVR_C_SPACE 0x01 /* space, tab, CR, VT, FF: token separators */
#define OVR_C_PATTERN 0x02 /* letters, digits, - . _ * ? */
#define OVR_C_LABEL 0x04 /* letters, digits, - */

extern const unsigned char ovr_ctype[256]; /* classes of each byte */

/* ovr_ctype_is - does the byte belong to one of the classes */
static inline bool
ovr_ctype_is(char c, unsigned bits)
{
	return (ovr_ctype[(unsigned char)c] & bits) != 0;
}

/* ovr_hash_step - extend a hash by one byte (keys are hashed backwards) */
static inline uint64_t
ovr_hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * OVR_HASH_MUL;
}

/* ovr_hash_mix - spread a hash over all bits (murmur3 finaliser) */
static inline uint64_t
ovr_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* ovr_lower - ASCII lower case of a byte */
static inline unsigned char
ovr_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ovr_is_wild - true for the wildcard characters of a pattern */
static inline bool
ovr_is_wild(char c)
{
	return c == '*' || c == '?';
}

/* Lexer (ovr_lex.c). */

/* Next line of buf from *pos (LF cut, no->unchanged). False at the end. */
bool ovr_lex_line(
    const char *buf, size_t len, size_t *pos, struct ovr_line *ln);

/* Start a token cursor on a line (skipping a UTF-8 BOM on line 1). */
void ovr_lex_init(struct ovr_lex *lx, const struct ovr_line *ln);

/* Next token; false at the end of the line or at a # comment. */
bool ovr_lex_next(struct ovr_lex *lx, struct ovr_tok *t);

/* The next token without consuming it. */
bool ovr_lex_peek(const struct ovr_lex *lx, struct ovr_tok *t);

/*
 * Printable copy of len bytes for a message in buf (size at least
 * OVR_QUOTE_SIZE): other bytes become '?', long text ends in "...",
 * and a password (between ':' and the last '@') becomes "********".
 */
const char *ovr_lex_quote(char *buf, size_t size, const char *p, size_t len);

/* Decimal digits only, at most max. */
enum ovr_num ovr_lex_uint(
    const char *p, size_t len, unsigned long long max, unsigned long long *out);

/* Digits with an optional K, M or G suffix (any case). */
enum ovr_num ovr_lex_size(const char *p, size_t len, unsigned long long *out);

/*
 * Read an operator at p: returns the bytes it takes (0: none there).
 * *bad is set when operator characters form no known operator, *arrow
 * when it was U+21D0.
 */
size_t ovr_lex_op(
    const char *p, size_t len, enum ovr_op *op, bool *arrow, bool *bad);

/* True when p starts with an operator character (or U+21D0). */
bool ovr_lex_is_op(const char *p, size_t len);

/* Decode %XX escapes into out (room for len bytes); false on a bad one. */
bool ovr_lex_unescape(const char *p, size_t len, char *out, size_t *outlen);

/* Look up a $tls: policy name (any case). */
bool ovr_tls_parse(const char *p, size_t len, enum cfg_tls *out);

/* The name of a $tls: policy. */
const char *ovr_tls_name(enum cfg_tls tls);

/* Map storage (ovr_map.c). */

/* An empty map named name; free with ovr_map_free(). */
struct ovr_map *ovr_map_new(const char *name);

/* Make sure the current arena block has n free bytes. */
void ovr_arena_reserve(struct ovr_map *map, size_t n);

/* n bytes of the arena, 8-aligned; valid until ovr_map_free(). */
void *ovr_arena_alloc(struct ovr_map *map, size_t n);

/* Copy n bytes plus a NUL into the arena. */
char *ovr_arena_put(struct ovr_map *map, const char *p, size_t n);

/* Bytes used in the current block: a mark to roll back to. */
size_t ovr_arena_mark(const struct ovr_map *map);

/* Wipe and drop what the current block got since the mark. */
void ovr_arena_rollback(struct ovr_map *map, size_t mark);

/* Parser (ovr_parse.c, ovr_target.c). */

/* Start parsing a map named name; problems go to dl. */
struct ovr_parser *ovr_parser_new(const char *name, struct diag_list *dl);

/* Parse the next line (len bytes, no LF; a CR before it is ignored). */
void ovr_parser_line(struct ovr_parser *ps, const char *p, size_t len);

/* Count the next line as one too long to be read. */
void ovr_parser_long_line(struct ovr_parser *ps);

/* Stop with an error about the whole input (no line number). */
void ovr_parser_fail(struct ovr_parser *ps, const char *text);

/* Index the map, release the parser and hand over the map. */
struct ovr_map *ovr_parser_finish(struct ovr_parser *ps);

/*
 * Parse a target token into *tg, the host (lower case, no brackets)
 * into host (OVR_DOMAIN_MAX + 1 bytes): tg->host is left for the caller.
 * Credentials go to the arena. Errors go to dl.
 */
bool ovr_target_parse(struct ovr_map *map, const struct ovr_tok *t,
    unsigned long line, struct ovr_target *tg, char *host,
    struct diag_list *dl);

/* Index (ovr_index.c). */

/* Build the lookup index of a parsed map. */
void ovr_index_build(struct ovr_map *map);

/* Release the index. */
void ovr_index_free(struct ovr_index *idx);

/* Length of the literal suffix of a pattern (after the last wildcard). */
size_t ovr_index_suffix_len(const char *pattern, size_t len);

/*
 * Append to out the rules whose index key fits the lower-case domain
 * (len bytes, NUL-terminated): its exact chain, the chains of its
 * suffixes and the always list. Every rule that can match is among
 * them; the caller checks patterns and conditions.
 */
void ovr_index_candidates(const struct ovr_map *map, const char *domain,
    size_t len, struct ovr_vec *out);

/* Append one index to a vector. */
void ovr_vec_push(struct ovr_vec *vec, uint32_t i);

#endif
