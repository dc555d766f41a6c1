/*
 * expire.c — snapshot expiry (Iceberg's ExpireSnapshots, as Java's
 * RemoveSnapshots decides it; see floe/expire.h for the rules) and the
 * bounded history of the commit path (expire.h).
 *
 * Deciding what goes is done on the metadata alone: every branch's
 * ancestry is walked from its head, keeping snapshots while fewer than the
 * branch's minimum are kept or while they are younger than its cutoff (the
 * first one that is neither ends the walk: older ancestors go); tag heads
 * stay; snapshots no branch or tag reaches stay while younger than the
 * default cutoff; and on main the newest snapshot carrying each progress
 * marker key stays with every snapshot between it and the head (the
 * pipeline finds its marker by walking main's parents, which a gap would
 * cut).  Ids are looked up through a sorted index, so the walk is
 * O(n log n) on any history.
 *
 * The expiry is one remove-snapshots update with a requirement that main
 * still points where it did; a lost race reloads and decides again.  An
 * unknown outcome is resolved by reloading: the expiry landed when none of
 * its snapshots is left.
 *
 * Cleanup, after the commit, by reachability as Java's ReachableFileCleanup
 * computes it: the manifests of every remaining snapshot are "reachable";
 * a manifest of a removed snapshot that is not reachable is deleted, and
 * so is every file it names (in any status) that no reachable manifest
 * lists as live (ADDED or EXISTING).  On an append-only history that
 * leaves every data file in place (each is live in the newest snapshot);
 * files whose DELETED entries were written by removed snapshots go.  Data
 * files are deleted first, then manifests, then manifest lists, so that a
 * crash in between leaves orphans, never a reachable file missing.  When a
 * remaining snapshot's manifest list or manifest cannot be read,
 * reachability is unknown and no data file or manifest is deleted.  The
 * walk from metadata to manifests and the path sets are reach.h's, shared
 * with orphan cleanup (clean.c).
 */
#include "table/expire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/metadata_internal.h"
#include "table/reach.h"
#include "util/clock.h"

#define DEFAULT_MAX_AGE_MS ((int64_t)5 * 24 * 3600 * 1000)
#define DEFAULT_MIN_KEEP 1
#define DEFAULT_RETRIES 10
#define DEFAULT_MIN_WAIT_MS 100
#define DEFAULT_MAX_WAIT_MS 60000

void floe_expire_result_free(floe_expire_result *r) {
    if (!r) return;
    free(r->expired);
    r->expired = NULL;
    r->nexpired = 0;
}

/* ---- snapshot index ------------------------------------------------------------- */

typedef struct id_ix {
    int64_t id;
    int i;
} id_ix;

static int cmp_ix(const void *a, const void *b) {
    int64_t x = ((const id_ix *)a)->id, y = ((const id_ix *)b)->id;
    return (x > y) - (x < y);
}

typedef struct snap_index {
    id_ix *v;
    int n;
} snap_index;

static void index_build(snap_index *ix, const floe_ice_metadata *m) {
    ix->n = m->nsnapshots;
    ix->v = floe_xcalloc(m->nsnapshots > 0 ? (size_t)m->nsnapshots : 1, sizeof *ix->v);
    for (int i = 0; i < m->nsnapshots; i++) ix->v[i] = (id_ix){m->snapshots[i].snapshot_id, i};
    qsort(ix->v, (size_t)ix->n, sizeof *ix->v, cmp_ix);
}

static int index_find(const snap_index *ix, int64_t id) {
    id_ix key = {id, 0};
    const id_ix *hit = bsearch(&key, ix->v, (size_t)ix->n, sizeof *ix->v, cmp_ix);
    return hit ? hit->i : -1;
}

static int parent_of(const snap_index *ix, const floe_ice_metadata *m, int i) {
    const floe_ice_snapshot *s = &m->snapshots[i];
    return s->has_parent ? index_find(ix, s->parent_id) : -1;
}

/* ---- deciding ------------------------------------------------------------------- */

typedef struct policy {
    int64_t cutoff;   /* snapshots at or after this time stay */
    int64_t min_keep; /* per branch */
} policy;

static void default_policy(const floe_ice_metadata *m, const floe_expire_opts *o, int64_t now, policy *p) {
    int64_t max_age = floe_props_get_int(&m->properties, "history.expire.max-snapshot-age-ms", DEFAULT_MAX_AGE_MS);
    p->min_keep = floe_props_get_int(&m->properties, "history.expire.min-snapshots-to-keep", DEFAULT_MIN_KEEP);
    if (o->older_than_ms > 0) p->cutoff = o->older_than_ms;
    else if (o->retain_last > 0) p->cutoff = INT64_MAX; /* no snapshot is that young: the count decides */
    else p->cutoff = now - max_age;
    if (o->retain_last > 0) p->min_keep = o->retain_last;
    if (p->min_keep < 1) p->min_keep = 1;
}

/* Marks in keep[] what stays; returns how many snapshots go. */
static int decide(const floe_ice_metadata *m, const snap_index *ix, const policy *def, int64_t now, char *keep) {
    int n = m->nsnapshots;
    char *referenced = floe_xcalloc(n > 0 ? (size_t)n : 1, 1);
    memset(keep, 0, (size_t)n);
    for (int r = 0; r < m->nrefs; r++) {
        const floe_ice_ref *ref = &m->refs[r];
        int head = index_find(ix, ref->snapshot_id);
        if (head < 0) continue;
        keep[head] = referenced[head] = 1;
        if (ref->is_tag) continue;
        int64_t cutoff = ref->max_snapshot_age_ms >= 0 ? now - ref->max_snapshot_age_ms : def->cutoff;
        int64_t min_keep = ref->min_snapshots_to_keep >= 0 ? ref->min_snapshots_to_keep : def->min_keep;
        int64_t kept = 0;
        int keeping = 1;
        /* Java stops keeping at the first ancestor that is neither among the
         * newest min_keep nor younger than the cutoff. */
        for (int i = head, steps = 0; i >= 0 && steps <= n; i = parent_of(ix, m, i), steps++) {
            referenced[i] = 1;
            if (keeping && (kept < min_keep || m->snapshots[i].timestamp_ms >= cutoff)) {
                keep[i] = 1;
                kept++;
            } else {
                keeping = 0;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (!referenced[i] && m->snapshots[i].timestamp_ms >= def->cutoff) keep[i] = 1;
    free(referenced);

    /* Progress markers on main: the newest carrier of each key, and the
     * snapshots from the head down to the deepest of them. */
    const floe_ice_ref *main_ref = floe_ice_metadata_ref(m, "main");
    if (main_ref && !main_ref->is_tag) {
        const char **keys = NULL;
        int nkeys = 0, deepest = -1, depth = 0;
        int head = index_find(ix, main_ref->snapshot_id);
        for (int i = head; i >= 0 && depth <= n; i = parent_of(ix, m, i), depth++) {
            const floe_props *sum = &m->snapshots[i].summary;
            for (int k = 0; k < sum->n; k++) {
                const char *key = sum->items[k].key;
                if (strncmp(key, FLOE_MARKER_PREFIX, strlen(FLOE_MARKER_PREFIX)) != 0) continue;
                int seen = 0;
                for (int j = 0; j < nkeys && !seen; j++) seen = strcmp(keys[j], key) == 0;
                if (seen) continue;
                keys = floe_xrealloc(keys, sizeof *keys * (size_t)(nkeys + 1));
                keys[nkeys++] = key;
                deepest = depth;
            }
        }
        depth = 0;
        for (int i = head; i >= 0 && depth <= deepest; i = parent_of(ix, m, i), depth++) keep[i] = 1;
        free(keys);
    }
    int go = 0;
    for (int i = 0; i < n; i++) go += !keep[i];
    return go;
}

/* ---- cleanup --------------------------------------------------------------------- */

typedef struct cleanup {
    floe_table *t;
    floe_expire_result *r;
} cleanup;

static void note(cleanup *c, const floe_err *e) {
    if (!c->r->cleanup_error[0]) snprintf(c->r->cleanup_error, sizeof c->r->cleanup_error, "%s", e->msg);
}

static void delete_file(cleanup *c, const char *path, int64_t *counter) {
    floe_err e = {0};
    if (c->t->io->remove(c->t->io, path, &e) == 0) (*counter)++;
    else if (e.code != FLOE_ENOTFOUND) c->r->delete_failures++;
}

/* Deletes what the removed snapshots (`gone`, copies from before the
 * commit; `base_extra` their statistics) leave unreachable from the
 * snapshots of the table's current metadata. */
static void clean(floe_table *t, const floe_ice_snapshot *gone, int ngone, const json_t *base_extra,
                  floe_expire_result *r) {
    cleanup c = {t, r};
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_err e = {0};
    floe_pathset lists = {0}, files = {0}; /* files: path -> content | 4 when reachable */
    floe_manifest_set reach = {0}, cand = {0};
    int lists_ok = 1, entries_ok = 1;
    char *readable = NULL;

    /* Reachable manifests: those of every remaining snapshot. */
    if (floe_reach_manifests(t, m, &lists, &reach, &e)) {
        note(&c, &e);
        lists_ok = 0;
    }
    /* Candidates: manifests of removed snapshots that nothing reaches. */
    for (int g = 0; g < ngone && lists_ok; g++) {
        floe_ice_manifest_file *mfs;
        int nm;
        memset(&e, 0, sizeof e);
        if (floe_reach_snapshot_manifests(t, &gone[g], &mfs, &nm, &e)) {
            /* Its manifests stay as orphans; its list still goes below. */
            if (e.code != FLOE_ENOTFOUND) note(&c, &e);
            continue;
        }
        for (int k = 0; k < nm; k++)
            if (!floe_pathset_get(&reach.paths, mfs[k].manifest_path)) floe_manifest_set_add(&cand, &mfs[k]);
        floe_table_manifests_free(mfs, nm);
    }
    /* Their files. */
    readable = floe_xcalloc(cand.n > 0 ? (size_t)cand.n : 1, 1);
    for (int k = 0; k < cand.n && lists_ok; k++) {
        floe_ice_manifest_entry *es;
        int ne;
        memset(&e, 0, sizeof e);
        if (floe_table_entries(t, &cand.v[k], &es, &ne, &e)) {
            if (e.code != FLOE_ENOTFOUND) note(&c, &e);
            continue;
        }
        readable[k] = 1;
        for (int i = 0; i < ne; i++) floe_pathset_add(&files, es[i].file.file_path, es[i].file.content);
        floe_table_entries_free(es, ne);
    }
    /* Which of them a reachable manifest lists as live. */
    size_t unmarked = files.n;
    for (int k = 0; k < reach.n && unmarked > 0 && lists_ok; k++) {
        const floe_ice_manifest_file *mf = &reach.v[k];
        if (mf->added_files_count == 0 && mf->existing_files_count == 0) continue; /* nothing live */
        floe_ice_manifest_entry *es;
        int ne;
        memset(&e, 0, sizeof e);
        if (floe_table_entries(t, mf, &es, &ne, &e)) {
            note(&c, &e);
            entries_ok = 0;
            break;
        }
        for (int i = 0; i < ne; i++) {
            if (es[i].status == FLOE_ICE_STATUS_DELETED) continue;
            int *v = floe_pathset_get(&files, es[i].file.file_path);
            if (v && !(*v & 4)) {
                *v |= 4;
                unmarked--;
            }
        }
        floe_table_entries_free(es, ne);
    }

    if (lists_ok && entries_ok)
        for (size_t i = 0; i < files.cap; i++) {
            if (!files.keys[i] || (files.vals[i] & 4)) continue;
            delete_file(&c, files.keys[i],
                        files.vals[i] == FLOE_ICE_CONTENT_DATA ? &r->deleted_data_files : &r->deleted_delete_files);
        }
    if (lists_ok && entries_ok)
        for (int k = 0; k < cand.n; k++)
            if (readable[k]) delete_file(&c, cand.v[k].manifest_path, &r->deleted_manifests);
    for (int g = 0; g < ngone; g++)
        if (gone[g].manifest_list && !floe_pathset_get(&lists, gone[g].manifest_list))
            delete_file(&c, gone[g].manifest_list, &r->deleted_manifest_lists);

    /* Statistics files of removed snapshots that no remaining entry names. */
    floe_pathset gone_ids = {0}, old_stats = {0}, live_stats = {0};
    for (int g = 0; g < ngone; g++) {
        char idtext[24];
        snprintf(idtext, sizeof idtext, "%" PRId64, gone[g].snapshot_id);
        floe_pathset_add(&gone_ids, idtext, 0);
    }
    floe_reach_stats_paths(base_extra, "statistics", &gone_ids, &old_stats);
    floe_reach_stats_paths(base_extra, "partition-statistics", &gone_ids, &old_stats);
    floe_reach_stats_paths(m->extra, "statistics", NULL, &live_stats);
    floe_reach_stats_paths(m->extra, "partition-statistics", NULL, &live_stats);
    for (size_t i = 0; i < old_stats.cap; i++)
        if (old_stats.keys[i] && !floe_pathset_get(&live_stats, old_stats.keys[i]))
            delete_file(&c, old_stats.keys[i], &r->deleted_statistics_files);
    floe_pathset_free(&gone_ids);
    floe_pathset_free(&old_stats);
    floe_pathset_free(&live_stats);

    free(readable);
    floe_pathset_free(&lists);
    floe_pathset_free(&files);
    floe_manifest_set_free(&reach);
    floe_manifest_set_free(&cand);
}

/* ---- committing ------------------------------------------------------------------ */

static int commit_removal(floe_table *t, const int64_t *ids, int n, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_ref *main_ref = floe_ice_metadata_ref(m, "main");
    floe_ice_requirement req;
    memset(&req, 0, sizeof req);
    req.kind = FLOE_REQ_ASSERT_REF_SNAPSHOT_ID;
    req.ref = floe_xstrdup("main");
    req.id = main_ref ? main_ref->snapshot_id : -1;
    floe_ice_update upd;
    memset(&upd, 0, sizeof upd);
    floe_props_init(&upd.props);
    upd.kind = FLOE_UPD_REMOVE_SNAPSHOTS;
    upd.snapshot_ids = floe_xmalloc(sizeof *upd.snapshot_ids * (size_t)n);
    memcpy(upd.snapshot_ids, ids, sizeof *ids * (size_t)n);
    upd.nsnapshot_ids = n;
    floe_table_commit tc = {t->ns, t->name, &req, 1, &upd, 1};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    int rc = t->catalog->commit_table(t->catalog, &tc, &st, err);
    if (rc == 0) floe_table_set_state(t, &st);
    floe_ice_requirement_free(&req);
    floe_ice_update_free(&upd);
    return rc;
}

/* 1 when none of ids is a snapshot of m. */
static int all_gone(const floe_ice_metadata *m, const int64_t *ids, int n) {
    snap_index ix;
    index_build(&ix, m);
    int gone = 1;
    for (int i = 0; i < n && gone; i++) gone = index_find(&ix, ids[i]) < 0;
    free(ix.v);
    return gone;
}

/* Expires as floe/expire.h says, committing only when at least min_remove
 * snapshots can go. */
static int expire(floe_table *t, const floe_expire_opts *opts, int min_remove, floe_expire_result *r,
                  floe_err *err) {
    floe_expire_opts o;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    memset(r, 0, sizeof *r);
    int64_t now = o.now_ms > 0 ? o.now_ms : floe_ice_now_ms();
    const floe_ice_metadata *m = floe_table_meta(t);
    int retries = (int)floe_props_get_int(&m->properties, "commit.retry.num-retries", DEFAULT_RETRIES);
    int64_t min_wait = floe_props_get_int(&m->properties, "commit.retry.min-wait-ms", DEFAULT_MIN_WAIT_MS);
    int64_t max_wait = floe_props_get_int(&m->properties, "commit.retry.max-wait-ms", DEFAULT_MAX_WAIT_MS);
    int attempts = o.max_attempts > 0 ? o.max_attempts : (retries > 0 ? retries : 0) + 1;

    floe_ice_snapshot *gone = NULL;
    int ngone = 0, rc = 0;
    json_t *base_extra = NULL;
    int64_t wait = min_wait > 0 ? min_wait : 1;
    for (int attempt = 1;; attempt++) {
        m = floe_table_meta(t);
        snap_index ix;
        index_build(&ix, m);
        policy def;
        default_policy(m, &o, now, &def);
        char *keep = floe_xmalloc(m->nsnapshots > 0 ? (size_t)m->nsnapshots : 1);
        int ngo = decide(m, &ix, &def, now, keep);
        free(ix.v);
        for (int i = 0; i < ngone; i++) floe_ice_snapshot_free(&gone[i]);
        free(gone);
        gone = NULL;
        ngone = 0;
        free(r->expired);
        r->expired = NULL;
        r->nexpired = 0;
        if (ngo > 0) {
            gone = floe_xcalloc((size_t)ngo, sizeof *gone);
            r->expired = floe_xcalloc((size_t)ngo, sizeof *r->expired);
            for (int i = 0; i < m->nsnapshots; i++)
                if (!keep[i]) {
                    floe_ice_snapshot_copy(&gone[ngone++], &m->snapshots[i]);
                    r->expired[r->nexpired++] = m->snapshots[i].snapshot_id;
                }
        }
        free(keep);
        r->nretained = m->nsnapshots - ngo;
        if (ngo == 0 || ngo < min_remove || o.dry_run) {
            if (ngo < min_remove && !o.dry_run) {
                free(r->expired);
                r->expired = NULL;
                r->nexpired = 0;
                r->nretained = m->nsnapshots;
            }
            goto done;
        }
        if (base_extra) json_decref(base_extra);
        base_extra = m->extra ? json_deep_copy(m->extra) : NULL;
        if (commit_removal(t, r->expired, r->nexpired, err) == 0) break;
        int code = err->code;
        if (code != FLOE_ECONFLICT && code != FLOE_EUNKNOWN) {
            rc = floe_err_prefix(err, "expiring snapshots of %s.%s", t->ns, t->name);
            goto done;
        }
        if (code == FLOE_ECONFLICT && attempt >= attempts) {
            rc = floe_err_prefix(err, "expiring snapshots of %s.%s: gave up after %d attempts", t->ns, t->name,
                                 attempt);
            goto done;
        }
        if (code == FLOE_ECONFLICT) {
            floe_sleep_ms(wait);
            wait = wait * 2 > max_wait ? max_wait : wait * 2;
        }
        floe_err reload_err = {0};
        if (floe_table_reload(t, &reload_err)) {
            *err = reload_err;
            rc = floe_err_prefix(err, "expiring snapshots of %s.%s", t->ns, t->name);
            goto done;
        }
        if (code == FLOE_EUNKNOWN && all_gone(floe_table_meta(t), r->expired, r->nexpired)) break;
        if (attempt >= attempts) {
            floe_err_set(err, FLOE_EIO, "expiring snapshots of %s.%s: gave up after %d attempts (the outcome of the "
                                        "last was unknown and it did not land)",
                         t->ns, t->name, attempt);
            rc = -1;
            goto done;
        }
    }
    r->nretained = floe_table_meta(t)->nsnapshots;
    if (!o.keep_files) clean(t, gone, ngone, base_extra, r);
done:
    for (int i = 0; i < ngone; i++) floe_ice_snapshot_free(&gone[i]);
    free(gone);
    if (base_extra) json_decref(base_extra);
    if (rc) floe_expire_result_free(r);
    return rc;
}

int floe_table_expire_snapshots(floe_table *t, const floe_expire_opts *o, floe_expire_result *r, floe_err *err) {
    return expire(t, o, 1, r, err);
}

int floe_table_bound_history(floe_table *t, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    int64_t max = floe_props_get_int(&m->properties, FLOE_HISTORY_RETAIN_LAST, FLOE_HISTORY_RETAIN_LAST_DEFAULT);
    int64_t slack = floe_props_get_int(&m->properties, FLOE_HISTORY_SLACK, FLOE_HISTORY_SLACK_DEFAULT);
    if (max <= 0) return 0;
    if (slack < 1) slack = 1;
    if (m->nsnapshots < max + slack) return 0;
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.retain_last = max;
    o.max_attempts = 1;
    floe_expire_result r;
    int rc = expire(t, &o, slack > INT32_MAX ? INT32_MAX : (int)slack, &r, err);
    floe_expire_result_free(&r);
    return rc;
}

int floe_expire(floe_catalog_handle *c, const char *table, const floe_expire_opts *opts, floe_expire_result *r,
                floe_err *err) {
    memset(r, 0, sizeof *r);
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    int rc = floe_table_expire_snapshots(t, opts, r, err);
    floe_table_free(t);
    return rc;
}
