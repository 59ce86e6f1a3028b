/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mlt_map - the milter's override map, shared and reloadable
 * DESCRIPTION
 *	A struct mlt_store holds the current override map behind a mutex.
 *	Each message takes a reference at end of message (mlt_store_get),
 *	routes its recipients with it and drops it (mlt_map_put); a reload
 *	(mlt_store_load, on SIGHUP) swaps in a new map without stopping
 *	the traffic, and the old one is freed when its last message is
 *	done. A map with errors is refused and the old one stays.
 *	Loading is ovr_map_load_conf(): the same map, the same lint
 *	diagnostics as "smtpdirect lint"; with a state_dir it may trust,
 *	the compiled map there, whose pages the milter shares with every
 *	other process that uses it.
 * OWNERSHIP
 *	mlt_store_new/_free; the store owns the current map. A reference
 *	from mlt_store_get() is the caller's until mlt_map_put().
 *	mlt_map_ovr() is borrowed for as long as the reference is held.
 * THREADS
 *	Safe; internal lock. The ovr_map itself is read-only (ovr.h).
 * ERRORS
 *	mlt_store_load(): OVR_OK (now current), OVR_NOFILE, OVR_INVALID
 *	(refused: the old map stays, dl says why).
 * SEE ALSO
 *	ovr.h; mlt_cb.h; smtpdirect-milter(8), SIGNALS.
 */
#ifndef SMTPDIRECT_MLT_MAP_H
#define SMTPDIRECT_MLT_MAP_H

#include <stdbool.h>

#include "diag.h"
#include "ovr.h"

struct mlt_store;
struct mlt_map;

/*
 * A store for the map at path (NULL or "" = none); missing_ok: a
 * missing file means no map (the built-in default path); cmap_dir is
 * where the compiled map is (a trusted state_dir) or NULL (ovr.h,
 * ovr_map_load_conf). Holds no map
 * until mlt_store_load() succeeds. Free with mlt_store_free().
 */
struct mlt_store *mlt_store_new(
    const char *path, bool missing_ok, const char *cmap_dir);

/* Release the store and its map; no reference may be held. NULL ok. */
void mlt_store_free(struct mlt_store *st);

/*
 * Load the map anew; lint warnings and errors go to dl. On OVR_OK the
 * new map is current; otherwise the old one stays.
 * Returns: OVR_OK, OVR_NOFILE, OVR_INVALID.
 */
enum ovr_status mlt_store_load(struct mlt_store *st, struct diag_list *dl);

/* The current map with a reference taken; NULL before a load. */
struct mlt_map *mlt_store_get(struct mlt_store *st);

/* Drop a reference; the last one of a replaced map frees it. NULL ok. */
void mlt_map_put(struct mlt_store *st, struct mlt_map *m);

/* The override map (NULL: none configured); borrowed. */
const struct ovr_map *mlt_map_ovr(const struct mlt_map *m);

/* Number of rules in the current map (0 for none). */
size_t mlt_store_rules(struct mlt_store *st);

#endif
