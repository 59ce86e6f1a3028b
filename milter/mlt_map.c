/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The milter's shared override map: reference counts and reloads. */

#include <pthread.h>
#include <stdlib.h>

#include "mlt_map.h"
#include "msg.h"
#include "xalloc.h"

/* A loaded map and the messages using it. */
struct mlt_map {
	struct ovr_map *ovr; /* the map; NULL when none is configured */
	unsigned long refs; /* the store's one, plus one per message */
};

/* The current map. */
struct mlt_store {
	pthread_mutex_t lock; /* covers cur and every refs */
	struct mlt_map *cur; /* current map, NULL before a load */
	char *path; /* map file, "" for none */
	bool missing_ok; /* a missing file means none */
	char *cmap_dir; /* the compiled map's directory, NULL for none */
};

static void mlt_map_free(struct mlt_map *m);

/* mlt_map_free - release a map wrapper and its map */
static void
mlt_map_free(struct mlt_map *m)
{
	if (m == NULL)
		return;
	ovr_map_free(m->ovr);
	free(m);
}

/* mlt_store_new - a store for the configured map, empty */
struct mlt_store *
mlt_store_new(const char *path, bool missing_ok, const char *cmap_dir)
{
	struct mlt_store *st = xcalloc(1, sizeof(*st));

	if (pthread_mutex_init(&st->lock, NULL) != 0)
		msg_fatal("%s: pthread_mutex_init failed", __func__);
	st->cur = NULL;
	st->path = xstrdup(path != NULL ? path : "");
	st->missing_ok = missing_ok;
	st->cmap_dir = cmap_dir != NULL ? xstrdup(cmap_dir) : NULL;
	return st;
}

/* mlt_store_free - release the store and its map */
void
mlt_store_free(struct mlt_store *st)
{
	if (st == NULL)
		return;
	mlt_map_free(st->cur);
	free(st->path);
	free(st->cmap_dir);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* mlt_store_load - load the map; make it current when it has no error */
enum ovr_status
mlt_store_load(struct mlt_store *st, struct diag_list *dl)
{
	struct mlt_map *m, *old;
	struct ovr_map *ovr = NULL;
	enum ovr_status rc;

	rc = ovr_map_load_conf(
	    st->path, st->missing_ok, true, st->cmap_dir, &ovr, dl);
	if (rc != OVR_OK)
		return rc;
	m = xmalloc(sizeof(*m));
	m->ovr = ovr;
	m->refs = 1;
	pthread_mutex_lock(&st->lock);
	old = st->cur;
	st->cur = m;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&st->lock);
	mlt_map_free(old);
	return OVR_OK;
}

/* mlt_store_get - the current map, with a reference */
struct mlt_map *
mlt_store_get(struct mlt_store *st)
{
	struct mlt_map *m;

	pthread_mutex_lock(&st->lock);
	m = st->cur;
	if (m != NULL)
		m->refs++;
	pthread_mutex_unlock(&st->lock);
	return m;
}

/* mlt_map_put - drop a reference, freeing a replaced map at the last */
void
mlt_map_put(struct mlt_store *st, struct mlt_map *m)
{
	bool last;

	if (m == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	last = --m->refs == 0;
	pthread_mutex_unlock(&st->lock);
	if (last)
		mlt_map_free(m);
}

/* mlt_map_ovr - the override map of a reference */
const struct ovr_map *
mlt_map_ovr(const struct mlt_map *m)
{
	return m->ovr;
}

/* mlt_store_rules - rules in the current map */
size_t
mlt_store_rules(struct mlt_store *st)
{
	struct mlt_map *m = mlt_store_get(st);
	size_t n = 0;

	if (m != NULL && m->ovr != NULL)
		n = ovr_map_count(m->ovr);
	mlt_map_put(st, m);
	return n;
}
