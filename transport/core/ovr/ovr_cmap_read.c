/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Compiled override map, reading: map the file read-only, check its
 * header and sections, and decode rules. The file is input like any
 * other: every offset and index is checked before it is followed.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovr_int.h"
#include "xalloc.h"

static bool ovr_cmap_check(const struct ovr_chdr *h, size_t size,
    const struct ovr_cid *id, const char **why);
static bool ovr_cmap_sections(const struct ovr_chdr *h, size_t size);
static bool ovr_cmap_pow2(uint64_t n);
static const char *ovr_cmap_str(
    const struct ovr_cmap *cm, size_t at, size_t len);
static struct ovr_map *ovr_cmap_attach(struct ovr_cmap *cm, const char *name);

/* ovr_cmap_pow2 - a power of two, at least 1 */
static bool
ovr_cmap_pow2(uint64_t n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

/* ovr_cmap_sections - every section inside the file, sized as said */
static bool
ovr_cmap_sections(const struct ovr_chdr *h, size_t size)
{
	size_t i;

	for (i = 0; i < OVR_CSEC_N; i++)
		if (h->off[i] % 8 != 0 || h->off[i] < sizeof(*h) ||
		    h->off[i] > size || h->len[i] > size - h->off[i])
			return false;
	if (h->nrules > OVR_RULES_MAX ||
	    h->len[OVR_CSEC_RULES] != h->nrules * sizeof(struct ovr_crule) ||
	    h->len[OVR_CSEC_NEXT] != h->nrules * sizeof(uint32_t) ||
	    h->len[OVR_CSEC_ALWAYS] % sizeof(uint32_t) != 0 ||
	    h->len[OVR_CSEC_ALWAYS] / sizeof(uint32_t) > h->nrules ||
	    h->len[OVR_CSEC_CONDS] % sizeof(struct ovr_ccond) != 0 ||
	    h->len[OVR_CSEC_STRS] > UINT32_MAX ||
	    h->len[OVR_CSEC_EXACT] % sizeof(struct ovr_slot) != 0 ||
	    h->len[OVR_CSEC_SUFFIX] % sizeof(struct ovr_slot) != 0 ||
	    h->len[OVR_CSEC_FILTER] % sizeof(uint64_t) != 0)
		return false;
	return ovr_cmap_pow2(
	           h->len[OVR_CSEC_EXACT] / sizeof(struct ovr_slot)) &&
	    ovr_cmap_pow2(h->len[OVR_CSEC_SUFFIX] / sizeof(struct ovr_slot)) &&
	    ovr_cmap_pow2(h->len[OVR_CSEC_FILTER] / sizeof(uint64_t));
}

/*
 * ovr_cmap_check - is the header one we wrote, for this text map
 * Returns: false with *why saying what is wrong.
 */
static bool
ovr_cmap_check(const struct ovr_chdr *h, size_t size, const struct ovr_cid *id,
    const char **why)
{
	*why = NULL;
	if (size < sizeof(*h) ||
	    memcmp(h->magic, OVR_CMAP_MAGIC, sizeof(h->magic)) != 0)
		*why = "not a compiled map";
	else if (h->version != OVR_CMAP_VERSION ||
	    h->endian != OVR_CMAP_ENDIAN || h->hdr_size != sizeof(*h) ||
	    h->rule_size != sizeof(struct ovr_crule))
		*why = "another version or machine";
	else if (h->sum != ovr_cmap_sum(h, offsetof(struct ovr_chdr, sum)))
		*why = "damaged header";
	else if (h->file_size != size)
		*why = "truncated or extended";
	else if (!ovr_cmap_sections(h, size))
		*why = "damaged section table";
	else if (id != NULL && memcmp(&h->id, id, sizeof(*id)) != 0)
		*why = "the map has changed";
	return *why == NULL;
}

/* ovr_cmap_attach - a map whose lookups read the checked mapping */
static struct ovr_map *
ovr_cmap_attach(struct ovr_cmap *cm, const char *name)
{
	const struct ovr_chdr *h = cm->hdr;
	struct ovr_map *map = ovr_map_new(name);
	struct ovr_index *idx = &map->idx;
	unsigned char *b = (unsigned char *)cm->base;

	cm->rules =
	    (const struct ovr_crule *)(cm->base + h->off[OVR_CSEC_RULES]);
	cm->conds =
	    (const struct ovr_ccond *)(cm->base + h->off[OVR_CSEC_CONDS]);
	cm->ncond = h->len[OVR_CSEC_CONDS] / sizeof(struct ovr_ccond);
	cm->strs = (const char *)cm->base + h->off[OVR_CSEC_STRS];
	cm->nstrs = h->len[OVR_CSEC_STRS];
	/* The index structs are shared with parsed maps; never written. */
	idx->exact.slot = (struct ovr_slot *)(b + h->off[OVR_CSEC_EXACT]);
	idx->exact.mask = h->len[OVR_CSEC_EXACT] / sizeof(struct ovr_slot) - 1;
	idx->suffix.slot = (struct ovr_slot *)(b + h->off[OVR_CSEC_SUFFIX]);
	idx->suffix.mask =
	    h->len[OVR_CSEC_SUFFIX] / sizeof(struct ovr_slot) - 1;
	idx->next = (uint32_t *)(b + h->off[OVR_CSEC_NEXT]);
	idx->always = (uint32_t *)(b + h->off[OVR_CSEC_ALWAYS]);
	idx->nalways = h->len[OVR_CSEC_ALWAYS] / sizeof(uint32_t);
	memcpy(idx->lens, h->lens, sizeof(idx->lens));
	idx->filter = (uint64_t *)(b + h->off[OVR_CSEC_FILTER]);
	idx->fmask = h->len[OVR_CSEC_FILTER] / sizeof(uint64_t) * 64 - 1;
	map->n = h->nrules;
	map->ncred = h->ncred;
	map->has_mode = true;
	map->mode = (mode_t)h->id.mode;
	map->cmap = cm;
	return map;
}

/* ovr_cmap_open - map and check a compiled map */
struct ovr_map *
ovr_cmap_open(const char *path, const char *name, const struct ovr_cid *id,
    char *why, size_t whysize)
{
	struct ovr_cmap *cm;
	const char *bad = NULL;
	struct stat st;
	void *base;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		bad = "open";
	} else if (fstat(fd, &st) < 0) {
		err = errno;
		bad = "fstat";
	} else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		bad = "not a regular file of ours that only we may write";
	} else if ((unsigned long long)st.st_size < sizeof(struct ovr_chdr) ||
	    (unsigned long long)st.st_size > SIZE_MAX / 2) {
		bad = "not a compiled map";
	}
	if (bad != NULL) {
		if (why != NULL)
			snprintf(why, whysize, "%s: %s%s%s", path, bad,
			    err != 0 ? ": " : "",
			    err != 0 ? strerror(err) : "");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (base == MAP_FAILED) {
		if (why != NULL)
			snprintf(
			    why, whysize, "%s: mmap: %s", path, strerror(err));
		return NULL;
	}
	if (!ovr_cmap_check(base, (size_t)st.st_size, id, &bad)) {
		if (why != NULL)
			snprintf(why, whysize, "%s: %s", path, bad);
		(void)munmap(base, (size_t)st.st_size);
		return NULL;
	}
	/* Lookups touch a few pages anywhere: no read-ahead around them. */
	(void)madvise(base, (size_t)st.st_size, MADV_RANDOM);
	cm = xcalloc(1, sizeof(*cm));
	cm->base = base;
	cm->size = (size_t)st.st_size;
	cm->hdr = base;
	return ovr_cmap_attach(cm, name);
}

/* ovr_cmap_close - unmap */
void
ovr_cmap_close(struct ovr_cmap *cm)
{
	if (cm == NULL)
		return;
	(void)munmap((void *)cm->base, cm->size);
	free(cm);
}

/* ovr_cmap_str - len bytes at at in the strings and their NUL, or NULL */
static const char *
ovr_cmap_str(const struct ovr_cmap *cm, size_t at, size_t len)
{
	if (at >= cm->nstrs || len >= cm->nstrs - at ||
	    cm->strs[at + len] != '\0')
		return NULL;
	return cm->strs + at;
}

/* ovr_map_key - the pattern of rule i, checked on a compiled map */
const char *
ovr_map_key(const struct ovr_map *map, uint32_t i, size_t *plen)
{
	const struct ovr_crule *cr;

	if (map->cmap == NULL) {
		*plen = map->pos[i].plen;
		return map->rules[i].pattern;
	}
	if (i >= map->n)
		return NULL;
	cr = &map->cmap->rules[i];
	*plen = cr->plen;
	return ovr_cmap_str(map->cmap, cr->str, cr->plen);
}

/* ovr_cmap_rule - decode rule i, checking every field */
bool
ovr_cmap_rule(const struct ovr_cmap *cm, uint32_t i, struct ovr_rule *r,
    struct ovr_cond *conds)
{
	const struct ovr_crule *cr;
	size_t at, k, nc;

	if (i >= cm->hdr->nrules)
		return false;
	cr = &cm->rules[i];
	nc = (size_t)cr->nsize + cr->nretries;
	if (cr->nsize > OVR_COND_MAX || cr->nretries > OVR_COND_MAX ||
	    cr->cond > cm->ncond || nc > cm->ncond - cr->cond ||
	    cr->kind > OVR_HOST_IP6 || cr->tls > CFG_TLS_IMPLICIT ||
	    cr->port == 0 || cr->slen > cr->plen || cr->plen > OVR_DOMAIN_MAX)
		return false;
	memset(r, 0, sizeof(*r));
	at = cr->str;
	if ((r->pattern = (char *)ovr_cmap_str(cm, at, cr->plen)) == NULL ||
	    (r->target.host = (char *)ovr_cmap_str(cm, cr->host, cr->hlen)) ==
	        NULL)
		return false;
	at += cr->plen + 1U;
	if ((cr->flags & OVR_CRULE_CRED) != 0) {
		r->target.user = (char *)ovr_cmap_str(cm, at, cr->user_len);
		at += cr->user_len + 1U;
		r->target.pass = (char *)ovr_cmap_str(cm, at, cr->pass_len);
		if (r->target.user == NULL || r->target.pass == NULL)
			return false;
		r->target.user_len = cr->user_len;
		r->target.pass_len = cr->pass_len;
	}
	for (k = 0; k < nc; k++) {
		const struct ovr_ccond *cc = &cm->conds[cr->cond + k];

		if (cc->op > OVR_OP_GT)
			return false;
		conds[k].op = (enum ovr_op)cc->op;
		conds[k].n = cc->n;
	}
	r->line = cr->line;
	r->target.kind = (enum ovr_host_kind)cr->kind;
	r->target.port = cr->port;
	r->priority = cr->priority;
	r->size = conds;
	r->nsize = cr->nsize;
	r->retries = conds + cr->nsize;
	r->nretries = cr->nretries;
	r->end = (cr->flags & OVR_CRULE_END) != 0;
	r->has_tls = (cr->flags & OVR_CRULE_TLS) != 0;
	r->tls = (enum cfg_tls)cr->tls;
	return true;
}

/* ovr_cmap_warnings - replay the recorded warnings */
void
ovr_cmap_warnings(
    const struct ovr_cmap *cm, const char *name, struct diag_list *dl)
{
	const struct ovr_chdr *h = cm->hdr;
	const unsigned char *p = cm->base + h->off[OVR_CSEC_WARN];
	size_t left = h->len[OVR_CSEC_WARN], step;
	uint64_t i, done = 0;
	struct ovr_cwarn w;

	for (i = 0; i < h->nwarn && left >= sizeof(w); i++) {
		memcpy(&w, p, sizeof(w));
		step = sizeof(w) + ((w.len + 7ULL) & ~7ULL);
		if (w.len > OVR_LINE_MAX || step > left)
			break;
		diag_add(dl, DIAG_WARNING, name, w.line, w.column, "%.*s",
		    (int)w.len, (const char *)p + sizeof(w));
		p += step;
		left -= step;
		done++;
	}
	/* Warnings past DIAG_MAX were only counted when the map was read
	 * (a map has fewer lines than bytes: the count is bounded). */
	for (; done < h->warn_total && done <= OVR_FILE_MAX; done++)
		diag_add(dl, DIAG_WARNING, name, 0, 0, "(not kept)");
}
