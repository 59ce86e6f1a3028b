/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Compiled override map, writing: a parsed map and its index turned into
 * the position-independent file that ovr_cmap_read.c maps.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovr_int.h"
#include "xalloc.h"

/* The distinct hosts of a map (the parser stores each name once). */
struct ovr_chosts {
	const char **slot; /* by address, open addressing; NULL: empty */
	uint32_t *off; /* per slot: the host's offset in OVR_CSEC_STRS */
	size_t mask; /* slots - 1 */
	const char **order; /* distinct hosts, first seen first */
	size_t n; /* entries in order */
	uint64_t len; /* bytes they take, NULs included */
};

static size_t ovr_chosts_slot(const struct ovr_chosts *hs, const char *host);
static void ovr_chosts_build(const struct ovr_map *map, struct ovr_chosts *hs);
static uint32_t ovr_chosts_off(const struct ovr_chosts *hs, const char *host);
static void ovr_chosts_free(struct ovr_chosts *hs);
static size_t ovr_cmap_strs_len(const struct ovr_map *map, size_t *ncond);
static size_t ovr_cmap_warn_len(const struct diag_list *warn, uint64_t *n);
static void ovr_cmap_layout(const struct ovr_map *map,
    const struct ovr_chosts *hs, const struct diag_list *warn,
    struct ovr_chdr *h);
static bool ovr_cmap_put(FILE *fp, const void *p, size_t len);
static bool ovr_cmap_pad(FILE *fp, size_t len);
static bool ovr_cmap_put_rules(
    FILE *fp, const struct ovr_map *map, const struct ovr_chosts *hs);
static bool ovr_cmap_put_strs(
    FILE *fp, const struct ovr_map *map, const struct ovr_chosts *hs);
static bool ovr_cmap_put_warn(FILE *fp, const struct diag_list *warn);

/* ovr_cid_of - the identity of a text map */
void
ovr_cid_of(const struct stat *st, struct ovr_cid *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_sec = (uint64_t)st->st_mtim.tv_sec;
	id->mtime_nsec = (uint64_t)st->st_mtim.tv_nsec;
	id->mode = (uint64_t)st->st_mode;
}

/* ovr_cmap_sum - FNV-1a of a byte range */
uint64_t
ovr_cmap_sum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = OVR_HASH_SEED;
	size_t i;

	for (i = 0; i < len; i++)
		h = ovr_hash_step(h, b[i]);
	return h;
}

/* ovr_chosts_slot - the slot of a host's address, or the empty one */
static size_t
ovr_chosts_slot(const struct ovr_chosts *hs, const char *host)
{
	size_t at = (size_t)ovr_hash_mix((uint64_t)(uintptr_t)host) & hs->mask;

	while (hs->slot[at] != NULL && hs->slot[at] != host)
		at = (at + 1) & hs->mask;
	return at;
}

/* ovr_chosts_build - every distinct host with its offset */
static void
ovr_chosts_build(const struct ovr_map *map, struct ovr_chosts *hs)
{
	size_t cap = 16, i, at;

	while (cap < map->n * 2)
		cap *= 2;
	hs->slot = xcalloc(cap, sizeof(*hs->slot));
	hs->off = xcalloc(cap, sizeof(*hs->off));
	hs->mask = cap - 1;
	hs->order = xreallocarray(NULL, map->n + 1, sizeof(*hs->order));
	hs->n = 0;
	hs->len = 0;
	for (i = 0; i < map->n; i++) {
		const char *host = map->rules[i].target.host;

		at = ovr_chosts_slot(hs, host);
		if (hs->slot[at] != NULL)
			continue;
		hs->slot[at] = host;
		hs->off[at] = (uint32_t)hs->len;
		hs->order[hs->n++] = host;
		hs->len += strlen(host) + 1;
	}
}

/* ovr_chosts_off - the offset of a host of the map */
static uint32_t
ovr_chosts_off(const struct ovr_chosts *hs, const char *host)
{
	return hs->off[ovr_chosts_slot(hs, host)];
}

/* ovr_chosts_free - release the table */
static void
ovr_chosts_free(struct ovr_chosts *hs)
{
	free(hs->slot);
	free(hs->off);
	free(hs->order);
}

/*
 * ovr_cmap_strs_len - bytes of the per-rule strings (after the hosts);
 * *ncond conditions
 */
static size_t
ovr_cmap_strs_len(const struct ovr_map *map, size_t *ncond)
{
	size_t i, len = 0;

	*ncond = 0;
	for (i = 0; i < map->n; i++) {
		const struct ovr_rule *r = &map->rules[i];

		len += strlen(r->pattern) + 1;
		if (r->target.user != NULL)
			len += r->target.user_len + 1 + r->target.pass_len + 1;
		*ncond += r->nsize + r->nretries;
	}
	return len;
}

/* ovr_cmap_warn_len - bytes of the warning section; *n records */
static size_t
ovr_cmap_warn_len(const struct diag_list *warn, uint64_t *n)
{
	unsigned long i;
	size_t len = 0;

	*n = 0;
	for (i = 0; warn != NULL && i < diag_count(warn); i++) {
		const struct diag *d = diag_get(warn, i);

		if (d->severity != DIAG_WARNING)
			continue;
		len += sizeof(struct ovr_cwarn) +
		    ((strlen(d->text) + 7) & ~(size_t)7);
		(*n)++;
	}
	return len;
}

/* ovr_cmap_layout - section offsets and lengths into the header */
static void
ovr_cmap_layout(const struct ovr_map *map, const struct ovr_chosts *hs,
    const struct diag_list *warn, struct ovr_chdr *h)
{
	const struct ovr_index *idx = &map->idx;
	uint64_t at = sizeof(*h);
	size_t ncond, i;

	h->len[OVR_CSEC_RULES] = map->n * sizeof(struct ovr_crule);
	h->len[OVR_CSEC_STRS] = hs->len + ovr_cmap_strs_len(map, &ncond);
	h->len[OVR_CSEC_CONDS] = ncond * sizeof(struct ovr_ccond);
	h->len[OVR_CSEC_EXACT] =
	    (idx->exact.mask + 1) * sizeof(struct ovr_slot);
	h->len[OVR_CSEC_SUFFIX] =
	    (idx->suffix.mask + 1) * sizeof(struct ovr_slot);
	h->len[OVR_CSEC_NEXT] = map->n * sizeof(uint32_t);
	h->len[OVR_CSEC_ALWAYS] = idx->nalways * sizeof(uint32_t);
	h->len[OVR_CSEC_FILTER] = (idx->fmask + 1) / 64 * sizeof(uint64_t);
	h->len[OVR_CSEC_WARN] = ovr_cmap_warn_len(warn, &h->nwarn);
	for (i = 0; i < OVR_CSEC_N; i++) {
		h->off[i] = at;
		at += (h->len[i] + 7) & ~(uint64_t)7;
	}
	h->file_size = at;
}

/* ovr_cmap_put - write bytes; false on an error */
static bool
ovr_cmap_put(FILE *fp, const void *p, size_t len)
{
	return len == 0 || fwrite(p, 1, len, fp) == len;
}

/* ovr_cmap_pad - zeros up to the next multiple of 8 after len bytes */
static bool
ovr_cmap_pad(FILE *fp, size_t len)
{
	static const char zero[8];

	return ovr_cmap_put(fp, zero, ((len + 7) & ~(size_t)7) - len);
}

/* ovr_cmap_put_rules - the rule and condition sections */
static bool
ovr_cmap_put_rules(
    FILE *fp, const struct ovr_map *map, const struct ovr_chosts *hs)
{
	struct ovr_crule cr;
	struct ovr_ccond cc;
	uint32_t str = (uint32_t)hs->len, cond = 0;
	size_t i, k, hlen;
	bool ok = true;

	for (i = 0; i < map->n && ok; i++) {
		const struct ovr_rule *r = &map->rules[i];

		memset(&cr, 0, sizeof(cr));
		hlen = strlen(r->target.host);
		cr.line = (uint32_t)r->line;
		cr.str = str;
		cr.host = ovr_chosts_off(hs, r->target.host);
		cr.cond = cond;
		cr.port = (uint16_t)r->target.port;
		cr.priority = (uint16_t)r->priority;
		cr.plen = (uint8_t)strlen(r->pattern);
		cr.slen = map->pos[i].slen;
		cr.hlen = (uint8_t)hlen;
		cr.kind = (uint8_t)r->target.kind;
		cr.nsize = (uint8_t)r->nsize;
		cr.nretries = (uint8_t)r->nretries;
		cr.flags = (r->end ? OVR_CRULE_END : 0) |
		    (r->has_tls ? OVR_CRULE_TLS : 0);
		cr.tls = (uint8_t)r->tls;
		str += cr.plen + 1U;
		if (r->target.user != NULL) {
			cr.flags |= OVR_CRULE_CRED;
			cr.user_len = (uint16_t)r->target.user_len;
			cr.pass_len = (uint16_t)r->target.pass_len;
			str += cr.user_len + 1U + cr.pass_len + 1U;
		}
		cond += cr.nsize + cr.nretries;
		ok = ovr_cmap_put(fp, &cr, sizeof(cr));
	}
	ok = ok && ovr_cmap_pad(fp, map->n * sizeof(cr));
	for (i = 0; i < map->n && ok; i++) {
		const struct ovr_rule *r = &map->rules[i];

		for (k = 0; k < r->nsize + r->nretries && ok; k++) {
			const struct ovr_cond *c = k < r->nsize
			    ? &r->size[k]
			    : &r->retries[k - r->nsize];

			memset(&cc, 0, sizeof(cc));
			cc.n = c->n;
			cc.op = (uint32_t)c->op;
			ok = ovr_cmap_put(fp, &cc, sizeof(cc));
		}
	}
	return ok;
}

/* ovr_cmap_put_strs - the string section: the hosts, then rule by rule */
static bool
ovr_cmap_put_strs(
    FILE *fp, const struct ovr_map *map, const struct ovr_chosts *hs)
{
	size_t i, len = hs->len;
	bool ok = true;

	for (i = 0; i < hs->n && ok; i++)
		ok = ovr_cmap_put(fp, hs->order[i], strlen(hs->order[i]) + 1);
	for (i = 0; i < map->n && ok; i++) {
		const struct ovr_rule *r = &map->rules[i];
		const struct ovr_target *t = &r->target;

		ok = ovr_cmap_put(fp, r->pattern, strlen(r->pattern) + 1);
		len += strlen(r->pattern) + 1;
		if (ok && t->user != NULL) {
			ok = ovr_cmap_put(fp, t->user, t->user_len) &&
			    ovr_cmap_put(fp, "", 1) &&
			    ovr_cmap_put(fp, t->pass, t->pass_len) &&
			    ovr_cmap_put(fp, "", 1);
			len += t->user_len + t->pass_len + 2;
		}
	}
	return ok && ovr_cmap_pad(fp, len);
}

/* ovr_cmap_put_warn - the warning records */
static bool
ovr_cmap_put_warn(FILE *fp, const struct diag_list *warn)
{
	struct ovr_cwarn w;
	unsigned long i;
	bool ok = true;

	for (i = 0; warn != NULL && i < diag_count(warn) && ok; i++) {
		const struct diag *d = diag_get(warn, i);

		if (d->severity != DIAG_WARNING)
			continue;
		memset(&w, 0, sizeof(w));
		w.line = (uint32_t)d->line;
		w.column = (uint32_t)d->column;
		w.len = (uint32_t)strlen(d->text);
		ok = ovr_cmap_put(fp, &w, sizeof(w)) &&
		    ovr_cmap_put(fp, d->text, w.len) && ovr_cmap_pad(fp, w.len);
	}
	return ok;
}

/*
 * ovr_cmap_write - write a compiled map to path (created, mode 0600)
 * The index is written as the parser built it: the slots, chains and
 * filter hold rule indices and hashes only, never addresses.
 */
bool
ovr_cmap_write(const struct ovr_map *map, const struct ovr_cid *id,
    const struct diag_list *warn, const char *path, struct diag_list *dl)
{
	const struct ovr_index *idx = &map->idx;
	struct ovr_chosts hs;
	struct ovr_chdr h;
	FILE *fp = NULL;
	bool ok = false;
	int fd;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OVR_CMAP_MAGIC, sizeof(h.magic));
	h.version = OVR_CMAP_VERSION;
	h.endian = OVR_CMAP_ENDIAN;
	h.hdr_size = sizeof(h);
	h.rule_size = sizeof(struct ovr_crule);
	h.id = *id;
	h.nrules = map->n;
	h.ncred = map->ncred;
	h.linted = warn != NULL;
	h.warn_total = warn != NULL ? diag_warnings(warn) : 0;
	memcpy(h.lens, idx->lens, sizeof(h.lens));
	ovr_chosts_build(map, &hs);
	ovr_cmap_layout(map, &hs, warn, &h);
	if (h.len[OVR_CSEC_STRS] > UINT32_MAX ||
	    h.len[OVR_CSEC_CONDS] / sizeof(struct ovr_ccond) > UINT32_MAX) {
		diag_add(dl, DIAG_ERROR, path, 0, 0,
		    "map too large to compile (%llu bytes of strings)",
		    (unsigned long long)h.len[OVR_CSEC_STRS]);
		goto out;
	}
	h.sum = ovr_cmap_sum(&h, offsetof(struct ovr_chdr, sum));
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "cannot create: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	ok = ovr_cmap_put(fp, &h, sizeof(h)) &&
	    ovr_cmap_put_rules(fp, map, &hs) &&
	    ovr_cmap_pad(fp, h.len[OVR_CSEC_CONDS]) &&
	    ovr_cmap_put_strs(fp, map, &hs) &&
	    ovr_cmap_put(fp, idx->exact.slot, h.len[OVR_CSEC_EXACT]) &&
	    ovr_cmap_put(fp, idx->suffix.slot, h.len[OVR_CSEC_SUFFIX]) &&
	    ovr_cmap_put(fp, idx->next, h.len[OVR_CSEC_NEXT]) &&
	    ovr_cmap_pad(fp, h.len[OVR_CSEC_NEXT]) &&
	    ovr_cmap_put(fp, idx->always, h.len[OVR_CSEC_ALWAYS]) &&
	    ovr_cmap_pad(fp, h.len[OVR_CSEC_ALWAYS]) &&
	    ovr_cmap_put(fp, idx->filter, h.len[OVR_CSEC_FILTER]) &&
	    ovr_cmap_put_warn(fp, warn);
	if (fclose(fp) != 0)
		ok = false;
	if (!ok) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "cannot write: %s",
		    strerror(errno != 0 ? errno : EIO));
		(void)unlink(path);
	}
out:
	ovr_chosts_free(&hs);
	return ok;
}
