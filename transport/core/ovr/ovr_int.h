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
 *	blocks whatever the number of lines. ovr_cmap.c writes a parsed
 *	map and its index as a compiled map, ovr_cmap_read.c maps one and
 *	decodes its rules (a map with cmap set reads its index and rules
 *	there), and ovr_conf.c decides between them: up to date, rebuilt
 *	under the lock, or the text parsed.
 * OWNERSHIP
 *	Everything hangs off struct ovr_map and is released by
 *	ovr_map_free() (for a compiled map: the mapping, unmapped there).
 *	Tokens and lines point into the caller's buffer.
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

#include <sys/stat.h>
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

/*
 * The compiled map (ovr_cmap.c writes it, ovr_cmap_read.c maps it):
 * a header, then sections at 8-aligned offsets, every reference an
 * offset or an index, so that the file means the same wherever it is
 * mapped. Native byte order and sizes: the header records both, and a
 * file of another machine is simply rebuilt.
 */
#define OVR_CMAP_MAGIC "SDOVRMAP" /* 8 bytes at offset 0, no NUL */
#define OVR_CMAP_VERSION 1 /* bumped with any change of layout */
#define OVR_CMAP_ENDIAN 0x01020304U /* as the writer stored it */
#define OVR_CRULE_END 0x01 /* flags: $end */
#define OVR_CRULE_TLS 0x02 /* flags: $tls: given */
#define OVR_CRULE_CRED 0x04 /* flags: user and password follow */

/* Sections of a compiled map. */
enum ovr_csec {
	OVR_CSEC_RULES, /* struct ovr_crule per rule, file order */
	OVR_CSEC_CONDS, /* struct ovr_ccond, each rule's $size then
			   $retries */
	OVR_CSEC_STRS, /* every host once, then per rule: pattern, [user,
			  password], each with a NUL */
	OVR_CSEC_EXACT, /* struct ovr_slot: the exact-pattern table */
	OVR_CSEC_SUFFIX, /* struct ovr_slot: the suffix table */
	OVR_CSEC_NEXT, /* uint32_t per rule: next rule of its chain */
	OVR_CSEC_ALWAYS, /* uint32_t: rules without a literal suffix */
	OVR_CSEC_FILTER, /* uint64_t: the suffix filter */
	OVR_CSEC_WARN, /* struct ovr_cwarn records, text after each */
	OVR_CSEC_N /* number of sections */
};

/* What identifies the text map a compiled map was built from. */
struct ovr_cid {
	uint64_t dev; /* st_dev */
	uint64_t ino; /* st_ino */
	uint64_t size; /* st_size, bytes */
	uint64_t mtime_sec; /* st_mtim.tv_sec */
	uint64_t mtime_nsec; /* st_mtim.tv_nsec */
	uint64_t mode; /* st_mode: lint judges it */
};

/* The header of a compiled map, at offset 0. */
struct ovr_chdr {
	char magic[8]; /* OVR_CMAP_MAGIC */
	uint32_t version; /* OVR_CMAP_VERSION */
	uint32_t endian; /* OVR_CMAP_ENDIAN */
	uint32_t hdr_size; /* sizeof(struct ovr_chdr) */
	uint32_t rule_size; /* sizeof(struct ovr_crule) */
	uint64_t file_size; /* bytes in the whole file */
	struct ovr_cid id; /* the text map's identity */
	uint64_t nrules; /* rules */
	uint64_t ncred; /* rules with credentials */
	uint64_t linted; /* 1: the warnings include lint's (ovr_lint) */
	uint64_t nwarn; /* warning records in OVR_CSEC_WARN */
	uint64_t warn_total; /* warnings, counted ones included */
	uint64_t lens[(OVR_DOMAIN_MAX + 64) / 64]; /* suffix lengths used */
	uint64_t off[OVR_CSEC_N]; /* section offsets, bytes, 8-aligned */
	uint64_t len[OVR_CSEC_N]; /* section lengths, bytes */
	uint64_t sum; /* FNV-1a of every byte of the header before it */
};

/* One rule of a compiled map. */
struct ovr_crule {
	uint32_t line; /* 1-based line number */
	uint32_t str; /* offset of the pattern in OVR_CSEC_STRS */
	uint32_t host; /* offset of the host there, shared */
	uint32_t cond; /* index of its first condition */
	uint16_t user_len; /* bytes of the user name */
	uint16_t pass_len; /* bytes of the password */
	uint16_t port; /* target port */
	uint16_t priority; /* $priority */
	uint8_t plen; /* pattern length */
	uint8_t slen; /* literal suffix length */
	uint8_t hlen; /* host length */
	uint8_t kind; /* enum ovr_host_kind */
	uint8_t nsize; /* $size conditions */
	uint8_t nretries; /* $retries conditions */
	uint8_t flags; /* OVR_CRULE_* */
	uint8_t tls; /* enum cfg_tls when OVR_CRULE_TLS */
};

/* One condition of a compiled map. */
struct ovr_ccond {
	uint64_t n; /* the number compared with */
	uint32_t op; /* enum ovr_op */
	uint32_t pad; /* zero */
};

/* One warning of a compiled map; len bytes of text follow, padded to 8. */
struct ovr_cwarn {
	uint32_t line; /* line, 0 for none */
	uint32_t column; /* column, 0 for none */
	uint32_t len; /* bytes of text */
	uint32_t pad; /* zero */
};

/* A compiled map mapped into memory. */
struct ovr_cmap {
	const unsigned char *base; /* the mapping */
	size_t size; /* its bytes */
	const struct ovr_chdr *hdr; /* at base */
	const struct ovr_crule *rules; /* nrules */
	const struct ovr_ccond *conds; /* ncond */
	size_t ncond; /* entries in conds */
	const char *strs; /* the string section */
	size_t nstrs; /* its bytes */
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
	struct ovr_cmap *cmap; /* the compiled map, or NULL: then rules,
				  pos and the arena are NULL and idx points
				  into the mapping */
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

/*
 * The pattern of rule i and its length, from the rules or the
 * compiled map; NULL when a compiled map's entry is out of bounds.
 */
const char *ovr_map_key(const struct ovr_map *map, uint32_t i, size_t *plen);

/* Compiled maps (ovr_cmap.c, ovr_cmap_read.c, ovr_conf.c). */

/* The identity of a text map from its stat. */
void ovr_cid_of(const struct stat *st, struct ovr_cid *id);

/* FNV-1a of len bytes. */
uint64_t ovr_cmap_sum(const void *p, size_t len);

/*
 * Write map (parsed, without errors) with its warnings (the records
 * of warn with severity warning, lint's included; NULL when the map
 * was not linted) and the text's identity to path: a new file of mode
 * 0600 that the caller renames into place.
 * Returns: false with dl naming path and the reason.
 */
bool ovr_cmap_write(const struct ovr_map *map, const struct ovr_cid *id,
    const struct diag_list *warn, const char *path, struct diag_list *dl);

/*
 * Map the compiled map at path read-only and check it: magic,
 * version, sizes, the header's sum, every section inside the file,
 * the owner (this process's user) and mode (nobody else may write).
 * With id, the recorded identity must equal it. On success a map
 * named name whose lookups read the mapping; free with ovr_map_free().
 * Returns: the map, or NULL (missing, foreign, stale or damaged; why
 * names the reason when not NULL, in whysize bytes).
 */
struct ovr_map *ovr_cmap_open(const char *path, const char *name,
    const struct ovr_cid *id, char *why, size_t whysize);

/* Unmap a compiled map; NULL is ignored. */
void ovr_cmap_close(struct ovr_cmap *cm);

/*
 * Rule i of a compiled map as a struct ovr_rule whose strings point
 * into the mapping and whose conditions go to conds (room for
 * 2 * OVR_COND_MAX). Returns: false when the entry is damaged.
 */
bool ovr_cmap_rule(const struct ovr_cmap *cm, uint32_t i, struct ovr_rule *r,
    struct ovr_cond *conds);

/* Add the compiled map's recorded warnings to dl, under file name. */
void ovr_cmap_warnings(
    const struct ovr_cmap *cm, const char *name, struct diag_list *dl);

#endif
