/*
 * reach.c — path and manifest sets and the walk from a table's metadata to
 * its manifests (see reach.h).  Paths are hashed with murmur3; a set
 * doubles when half full, so lookups stay O(1) on tables of millions of
 * files.
 */
#include "table/reach.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

static size_t slot_of(const floe_pathset *s, const char *k) {
    size_t mask = s->cap - 1;
    size_t h = floe_murmur3_32(k, strlen(k), 0x5bd1e995u) & mask;
    while (s->keys[h] && strcmp(s->keys[h], k) != 0) h = (h + 1) & mask;
    return h;
}

int *floe_pathset_get(const floe_pathset *s, const char *k) {
    if (s->n == 0) return NULL;
    size_t h = slot_of(s, k);
    return s->keys[h] ? &s->vals[h] : NULL;
}

int floe_pathset_add(floe_pathset *s, const char *k, int v) {
    if ((s->n + 1) * 2 > s->cap) {
        floe_pathset old = *s;
        s->cap = old.cap ? old.cap * 2 : 64;
        s->keys = floe_xcalloc(s->cap, sizeof *s->keys);
        s->vals = floe_xcalloc(s->cap, sizeof *s->vals);
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t h = slot_of(s, old.keys[i]);
                s->keys[h] = old.keys[i];
                s->vals[h] = old.vals[i];
            }
        free(old.keys);
        free(old.vals);
    }
    size_t h = slot_of(s, k);
    if (s->keys[h]) return 0;
    s->keys[h] = floe_xstrdup(k);
    s->vals[h] = v;
    s->n++;
    return 1;
}

void floe_pathset_free(floe_pathset *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

int floe_manifest_set_add(floe_manifest_set *s, const floe_ice_manifest_file *mf) {
    if (!floe_pathset_add(&s->paths, mf->manifest_path, s->n)) return 0;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->v = floe_xrealloc(s->v, sizeof *s->v * (size_t)s->cap);
    }
    floe_ice_manifest_file_copy(&s->v[s->n++], mf);
    return 1;
}

void floe_manifest_set_free(floe_manifest_set *s) {
    floe_pathset_free(&s->paths);
    floe_table_manifests_free(s->v, s->n);
    memset(s, 0, sizeof *s);
}

int floe_reach_snapshot_manifests(floe_table *t, const floe_ice_snapshot *s, floe_ice_manifest_file **out, int *n,
                                  floe_err *err) {
    if (s->manifest_list) return floe_table_manifests(t, s, out, n, err);
    *n = s->nmanifests;
    *out = floe_xcalloc(s->nmanifests > 0 ? (size_t)s->nmanifests : 1, sizeof **out);
    for (int i = 0; i < s->nmanifests; i++) {
        (*out)[i].manifest_path = floe_xstrdup(s->manifests[i]);
        (*out)[i].added_files_count = (*out)[i].existing_files_count = (*out)[i].deleted_files_count = -1;
        (*out)[i].sequence_number = (*out)[i].min_sequence_number = 0;
    }
    return 0;
}

int floe_reach_manifests(floe_table *t, const floe_ice_metadata *m, floe_pathset *lists, floe_manifest_set *out,
                         floe_err *err) {
    for (int i = 0; i < m->nsnapshots; i++) {
        const floe_ice_snapshot *s = &m->snapshots[i];
        /* A list already seen (a snapshot walked before) adds nothing new. */
        if (s->manifest_list && lists && !floe_pathset_add(lists, s->manifest_list, 0)) continue;
        floe_ice_manifest_file *mfs;
        int nm;
        if (floe_reach_snapshot_manifests(t, s, &mfs, &nm, err)) return -1;
        for (int k = 0; k < nm; k++) floe_manifest_set_add(out, &mfs[k]);
        floe_table_manifests_free(mfs, nm);
    }
    return 0;
}

void floe_reach_stats_paths(const json_t *extra, const char *key, const floe_pathset *ids, floe_pathset *out) {
    const json_t *arr = extra ? json_object_get(extra, key) : NULL;
    for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const json_t *sid = json_object_get(e, "snapshot-id"), *p = json_object_get(e, "statistics-path");
        if (!json_is_string(p) || !json_is_integer(sid)) continue;
        char idtext[24];
        snprintf(idtext, sizeof idtext, "%" PRId64, (int64_t)json_integer_value(sid));
        if (!ids || floe_pathset_get(ids, idtext)) floe_pathset_add(out, json_string_value(p), 0);
    }
}
