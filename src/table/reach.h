/*
 * reach.h — which files a table's metadata reaches, shared by the
 * operations that delete files (snapshot expiry's cleanup in expire.c,
 * orphan cleanup in clean.c) and those that only look (health.c): sets of
 * paths, sets of manifests, the manifests of a snapshot (manifest list or
 * v1's embedded paths), the manifests of every snapshot of a metadata, and
 * the statistics files it names.
 *
 * A path set is open addressing over copies of its keys, each with an int
 * value the caller uses as it likes (a content kind, a mark).
 */
#ifndef FLOE_TABLE_REACH_H
#define FLOE_TABLE_REACH_H

#include "table/table.h"

typedef struct floe_pathset {
    char **keys;
    int *vals;
    size_t cap, n;
} floe_pathset;

/* The value slot of k, or NULL. */
int *floe_pathset_get(const floe_pathset *s, const char *k);
/* Adds k with value v unless present; returns 1 when added. */
int floe_pathset_add(floe_pathset *s, const char *k, int v);
void floe_pathset_free(floe_pathset *s);

/* Manifests by path, each once, in the order first added. */
typedef struct floe_manifest_set {
    floe_pathset paths; /* path -> index into v */
    floe_ice_manifest_file *v;
    int n, cap;
} floe_manifest_set;

/* Adds a copy of *mf unless its path is in the set; returns 1 when added. */
int floe_manifest_set_add(floe_manifest_set *s, const floe_ice_manifest_file *mf);
void floe_manifest_set_free(floe_manifest_set *s);

/* The manifests of snapshot s: from its manifest list, or (v1) the paths
 * it embeds, described by path alone (counts -1).  Free with
 * floe_table_manifests_free. */
int floe_reach_snapshot_manifests(floe_table *t, const floe_ice_snapshot *s, floe_ice_manifest_file **out, int *n,
                                  floe_err *err);

/* Adds the manifest list of every snapshot of m to `lists` (may be NULL)
 * and its manifests to `out`.  A manifest list that cannot be read stops
 * the walk with -1 (what was added stays). */
int floe_reach_manifests(floe_table *t, const floe_ice_metadata *m, floe_pathset *lists, floe_manifest_set *out,
                         floe_err *err);

/* Adds the "statistics-path" of each entry of extra[key] ("statistics",
 * "partition-statistics") whose snapshot id (as decimal text) is in ids, or
 * of every entry when ids is NULL, to out (value 0). */
void floe_reach_stats_paths(const json_t *extra, const char *key, const floe_pathset *ids, floe_pathset *out);

#endif
