/*
 * append.c — fast append with manifest merging and optimistic retries (see
 * append.h), following Java Iceberg's FastAppend/MergeAppend.
 *
 * Files an append writes, under the table's metadata directory
 * (write.metadata.path, default <location>/metadata), named as Java does:
 *   <commit-uuid>-m0.avro          the new files' manifest, written once
 *   <commit-uuid>-m<k>.avro        merged manifests (k = 1, 2, ... across attempts)
 *   snap-<id>-<attempt>-<commit-uuid>.avro   one manifest list per attempt
 * The snapshot id is chosen once (Java: UUID halves xor'ed, made positive)
 * and kept across attempts, as the new manifest's entries carry it.
 *
 * Merging (Java's ManifestMergeManager): data manifests and delete
 * manifests are merged separately; within each, manifests are grouped by
 * partition spec (highest spec id first) and packed into bins of at most
 * commit.manifest.target-size-bytes, from the end of the list with a
 * lookback of 1 so that order is kept and the under-filled bin is the one
 * holding the newest manifest (which the next commit will top up).  A bin of
 * one manifest is kept; the bin holding the first (newest) manifest is kept
 * as is while it has fewer than commit.manifest.min-count-to-merge
 * manifests; every other bin is rewritten as one manifest whose entries are
 * EXISTING with explicit sequence numbers (this snapshot's ADDED entries
 * stay ADDED and inherit; DELETED entries of older snapshots are dropped).
 *
 * After a successful append the history is bounded (expire.h): once
 * floe.history.slack snapshots lie beyond the newest
 * floe.history.retain-last, they are expired in one more commit.
 *
 * Cleanup: the files of an attempt that definitely failed are deleted before
 * the next one; the files of an attempt whose outcome is unknown are never
 * deleted, since it may have landed.  Each reload after an unknown outcome
 * looks for this commit's floe.commit-id in the ancestry of "main".
 */
#include "table/append.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/metadata_internal.h"
#include "table/expire.h"
#include "table/snapshot_write.h"
#include "util/text.h"

#define DEFAULT_MIN_COUNT_TO_MERGE 100
#define DEFAULT_TARGET_SIZE ((int64_t)8 << 20)

typedef struct pathv {
    char **v;
    int n, cap;
} pathv;

static void pathv_add(pathv *p, const char *s) {
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = floe_xrealloc(p->v, sizeof *p->v * (size_t)p->cap);
    }
    p->v[p->n++] = floe_xstrdup(s);
}

static void pathv_clear(pathv *p) {
    for (int i = 0; i < p->n; i++) free(p->v[i]);
    p->n = 0;
}

static void pathv_free(pathv *p) {
    pathv_clear(p);
    free(p->v);
    p->v = NULL;
    p->cap = 0;
}

/* Deletes files this commit wrote and will not use (best effort: a file
 * left behind is an orphan for cleanup, never a correctness problem). */
static void discard(floe_table *t, pathv *p) {
    for (int i = 0; i < p->n; i++) {
        floe_err ignored = {0};
        t->io->remove(t->io, p->v[i], &ignored);
    }
    pathv_clear(p);
}

typedef struct append_ctx {
    floe_table *t;
    const floe_ice_data_file *files;
    int nfiles;
    floe_props extra;          /* summary properties, floe.commit-id included */
    char *commit_id;           /* a copy: the summary callback may change extra */
    char uuid[37];             /* names this commit's files */
    int64_t snapshot_id;
    int next_manifest;         /* k of the next <uuid>-m<k>.avro */
    int attempt;
    int has_new;               /* the new files' manifest exists */
    floe_ice_manifest_file new_mf;
    floe_buf new_bytes;        /* its content, for merging without reading it back */
    floe_append_summary_fn summary_fn;
    void *summary_ctx;
    const char *branch;        /* "main" unless the caller names another */
} append_ctx;

static int write_file(floe_table *t, const char *path, const floe_buf *b, floe_err *err) {
    return t->io->write(t->io, path, b->data, b->len, 1, err);
}

/* Writes a manifest of `entries` for `spec` at <uuid>-m<k>.avro; fills *mf
 * with its list entry; keeps the bytes in *bytes when not NULL. */
static int write_manifest(append_ctx *a, const floe_ice_partition_spec *spec, int content,
                          const floe_ice_manifest_entry *entries, int n, floe_ice_manifest_file *mf,
                          floe_buf *bytes, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(a->t);
    floe_buf b, path;
    floe_buf_init(&b);
    floe_buf_init(&path);
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/%s-m%d.avro", a->uuid, a->next_manifest++);
    int rc = floe_ice_manifest_write(m, spec, content, a->snapshot_id, entries, n, &b, mf, err);
    if (rc == 0) {
        mf->manifest_path = floe_xstrdup(floe_buf_cstr(&path));
        rc = write_file(a->t, mf->manifest_path, &b, err);
        if (rc) {
            floe_ice_manifest_file_free(mf);
            memset(mf, 0, sizeof *mf);
        }
    }
    if (rc == 0 && bytes) {
        *bytes = b;
    } else {
        floe_buf_free(&b);
    }
    floe_buf_free(&path);
    return rc;
}

static int write_new_manifest(append_ctx *a, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(a->t);
    floe_ice_manifest_entry *es = floe_xcalloc((size_t)a->nfiles, sizeof *es);
    for (int i = 0; i < a->nfiles; i++) {
        es[i].status = FLOE_ICE_STATUS_ADDED;
        es[i].has_snapshot_id = 1;
        es[i].snapshot_id = a->snapshot_id;
        es[i].file = a->files[i]; /* shallow: only read by the writer */
    }
    int rc = write_manifest(a, floe_ice_metadata_spec(m), FLOE_ICE_MANIFEST_DATA, es, a->nfiles, &a->new_mf,
                            &a->new_bytes, err);
    free(es);
    if (rc == 0) a->has_new = 1;
    return rc;
}

static void drop_new_manifest(append_ctx *a) {
    if (!a->has_new) return;
    floe_err ignored = {0};
    a->t->io->remove(a->t->io, a->new_mf.manifest_path, &ignored);
    floe_ice_manifest_file_free(&a->new_mf);
    memset(&a->new_mf, 0, sizeof a->new_mf);
    floe_buf_free(&a->new_bytes);
    a->has_new = 0;
}

/* ---- merging ----------------------------------------------------------------------- */

typedef struct merge_cfg {
    int enabled;
    int64_t min_count;
    int64_t target;
} merge_cfg;

static void merge_cfg_read(const floe_props *p, merge_cfg *c) {
    const char *en = floe_props_get(p, "commit.manifest-merge.enabled");
    c->enabled = !(en && strcasecmp(en, "false") == 0);
    c->min_count = floe_props_get_int(p, "commit.manifest.min-count-to-merge", DEFAULT_MIN_COUNT_TO_MERGE);
    c->target = floe_props_get_int(p, "commit.manifest.target-size-bytes", DEFAULT_TARGET_SIZE);
}

typedef struct mlist {
    floe_ice_manifest_file *v;
    int n, cap;
} mlist;

/* Appends a copy of *f. */
static void mlist_add(mlist *l, const floe_ice_manifest_file *f) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = floe_xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    floe_ice_manifest_file_copy(&l->v[l->n++], f);
}

static void mlist_free(mlist *l) {
    floe_table_manifests_free(l->v, l->n);
    memset(l, 0, sizeof *l);
}

/* The entries of one manifest of a bin. */
static int bin_entries(append_ctx *a, const floe_ice_manifest_file *mf, floe_ice_manifest_entry **es, int *n,
                       floe_err *err) {
    if (a->has_new && strcmp(mf->manifest_path, a->new_mf.manifest_path) == 0)
        return floe_ice_manifest_read(a->new_bytes.data, a->new_bytes.len, mf->manifest_path, mf, es, n, err);
    return floe_table_entries(a->t, mf, es, n, err);
}

/* Rewrites manifests g[0..n) (one spec, one content) as one manifest. */
static int merge_bin(append_ctx *a, const floe_ice_manifest_file *const *g, int n, mlist *out, pathv *written,
                     floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(a->t);
    int32_t spec_id = g[0]->partition_spec_id;
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, spec_id);
    if (!spec)
        return floe_err_set(err, FLOE_ECORRUPT, "manifest %s: partition spec %d is not in the table metadata",
                            g[0]->manifest_path, (int)spec_id);
    floe_ice_manifest_entry *all = NULL;
    int nall = 0, cap = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        floe_ice_manifest_entry *es;
        int ne;
        if ((rc = bin_entries(a, g[i], &es, &ne, err)) != 0) break;
        for (int k = 0; k < ne; k++) {
            floe_ice_manifest_entry *e = &es[k];
            int ours = e->has_snapshot_id && e->snapshot_id == a->snapshot_id;
            if (e->status == FLOE_ICE_STATUS_DELETED && !ours) {
                floe_ice_manifest_entry_free(e);
                continue;
            }
            if (e->status == FLOE_ICE_STATUS_ADDED && ours) {
                /* inherits this snapshot's sequence number from the list */
                e->has_sequence_number = 0;
                e->has_file_sequence_number = 0;
            } else if (e->status == FLOE_ICE_STATUS_ADDED) {
                e->status = FLOE_ICE_STATUS_EXISTING;
            }
            if (nall == cap) {
                cap = cap ? cap * 2 : 64;
                all = floe_xrealloc(all, sizeof *all * (size_t)cap);
            }
            all[nall++] = *e;
        }
        free(es);
    }
    floe_ice_manifest_file mf;
    memset(&mf, 0, sizeof mf);
    if (rc == 0) rc = write_manifest(a, spec, g[0]->content, all, nall, &mf, NULL, err);
    if (rc == 0) {
        pathv_add(written, mf.manifest_path);
        mlist_add(out, &mf);
        floe_ice_manifest_file_free(&mf);
    }
    floe_table_entries_free(all, nall);
    return rc;
}

/* Packs one spec's manifests g[0..n) (newest first; g[0] is the list's
 * first manifest when has_first) and appends the result to out. */
static int merge_group(append_ctx *a, const merge_cfg *cfg, const floe_ice_manifest_file *const *g, int n,
                       int has_first, mlist *out, pathv *written, floe_err *err) {
    /* Bins from the end, as Java's ListPacker.packEnd with lookback 1:
     * start[] collects each bin's first index, last bin first. */
    int *start = floe_xmalloc(sizeof *start * (size_t)n);
    int nbins = 0;
    int64_t weight = 0;
    for (int i = n - 1; i >= 0; i--) {
        int64_t w = g[i]->manifest_length;
        if (nbins > 0 && weight + w <= cfg->target) {
            weight += w;
            start[nbins - 1] = i;
        } else {
            start[nbins++] = i;
            weight = w;
        }
    }
    int rc = 0;
    for (int b = nbins - 1; b >= 0 && rc == 0; b--) {
        int lo = start[b], hi = b > 0 ? start[b - 1] : n; /* [lo, hi) */
        int size = hi - lo;
        if (size == 1 || (has_first && lo == 0 && size < cfg->min_count)) {
            for (int i = lo; i < hi; i++) mlist_add(out, g[i]);
        } else {
            rc = merge_bin(a, g + lo, size, out, written, err);
        }
    }
    free(start);
    return rc;
}

static int cmp_spec_desc(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a < b) - (a > b);
}

/* Merges the manifests of one content kind, in[0..n), into out. */
static int merge_content(append_ctx *a, const merge_cfg *cfg, const floe_ice_manifest_file *const *in, int n,
                         mlist *out, pathv *written, floe_err *err) {
    if (n == 0) return 0;
    if (!cfg->enabled) {
        for (int i = 0; i < n; i++) mlist_add(out, in[i]);
        return 0;
    }
    int32_t *specs = floe_xmalloc(sizeof *specs * (size_t)n);
    int nspecs = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < nspecs && !seen; k++) seen = specs[k] == in[i]->partition_spec_id;
        if (!seen) specs[nspecs++] = in[i]->partition_spec_id;
    }
    qsort(specs, (size_t)nspecs, sizeof *specs, cmp_spec_desc);
    const floe_ice_manifest_file **g = floe_xmalloc(sizeof *g * (size_t)n);
    int rc = 0;
    for (int s = 0; s < nspecs && rc == 0; s++) {
        int ng = 0;
        for (int i = 0; i < n; i++)
            if (in[i]->partition_spec_id == specs[s]) g[ng++] = in[i];
        rc = merge_group(a, cfg, g, ng, g[0] == in[0], out, written, err);
    }
    free(g);
    free(specs);
    return rc;
}

/* The new snapshot's manifests: `in` (new manifest first, then the
 * parent's) merged, data manifests before delete manifests. */
static int merge_manifests(append_ctx *a, const floe_ice_manifest_file *in, int n, mlist *out, pathv *written,
                           floe_err *err) {
    merge_cfg cfg;
    merge_cfg_read(&floe_table_meta(a->t)->properties, &cfg);
    const floe_ice_manifest_file **data = floe_xmalloc(sizeof *data * ((size_t)n + 1));
    const floe_ice_manifest_file **dels = floe_xmalloc(sizeof *dels * ((size_t)n + 1));
    int nd = 0, nx = 0;
    for (int i = 0; i < n; i++) {
        if (in[i].content == FLOE_ICE_MANIFEST_DATA) data[nd++] = &in[i];
        else dels[nx++] = &in[i];
    }
    int rc = merge_content(a, &cfg, data, nd, out, written, err);
    if (rc == 0) rc = merge_content(a, &cfg, dels, nx, out, written, err);
    free(data);
    free(dels);
    return rc;
}

/* ---- summary ----------------------------------------------------------------------- */

/* Java's summary for an append: the operation, the caller's properties,
 * what this snapshot adds, and the running totals. */
static void build_summary(append_ctx *a, const floe_snapshot_totals *base, floe_props *out) {
    floe_props_init(out);
    floe_props_set(out, "operation", "append");
    for (int i = 0; i < a->extra.n; i++) floe_props_set(out, a->extra.items[i].key, a->extra.items[i].value);
    int64_t records = 0, size = 0;
    for (int i = 0; i < a->nfiles; i++) {
        records += a->files[i].record_count;
        size += a->files[i].file_size_in_bytes;
    }
    if (a->nfiles > 0) {
        floe_snapshot_put_count(out, "added-data-files", a->nfiles);
        floe_snapshot_put_count(out, "added-records", records);
        floe_snapshot_put_count(out, "added-files-size", size);
    }
    floe_snapshot_put_count(out, "changed-partition-count", floe_snapshot_changed_partitions(a->files, a->nfiles));
    floe_snapshot_totals tot = *base;
    tot.records += records;
    tot.size += size;
    tot.data_files += a->nfiles;
    floe_snapshot_put_totals(out, &tot);
}

/* ---- attempts ---------------------------------------------------------------------- */

/* One attempt on the handle's current state.  Files it writes are added to
 * `written` (the caller decides their fate by the outcome). */
static int attempt(append_ctx *a, pathv *written, int64_t *parent_id, floe_err *err) {
    floe_table *t = a->t;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *parent = floe_snapshot_branch_head(m, a->branch);
    *parent_id = parent ? parent->snapshot_id : -1;
    int64_t seq = m->format_version >= 2 ? m->last_sequence_number + 1 : 0;

    floe_ice_manifest_file *old = NULL;
    int nold = 0;
    if (parent && floe_table_manifests(t, parent, &old, &nold, err)) return -1;
    mlist in = {0}, merged = {0};
    if (a->has_new) mlist_add(&in, &a->new_mf);
    for (int i = 0; i < nold; i++) mlist_add(&in, &old[i]);

    floe_snapshot_totals base;
    floe_props summary;
    floe_props_init(&summary);
    floe_buf list, path;
    floe_buf_init(&list);
    floe_buf_init(&path);
    int rc = a->summary_fn ? a->summary_fn(a->summary_ctx, m, &a->extra, err) : 0;
    if (rc == 0) rc = floe_snapshot_parent_totals(a->t, parent, old, nold, &base, err);
    if (rc == 0) rc = merge_manifests(a, in.v, in.n, &merged, written, err);
    if (rc == 0) {
        build_summary(a, &base, &summary);
        rc = floe_ice_manifest_list_write(m->format_version, a->snapshot_id, parent != NULL, *parent_id, seq,
                                          merged.v, merged.n, &list, err);
    }
    if (rc == 0) {
        floe_snapshot_metadata_dir(m, &path);
        floe_buf_printf(&path, "/snap-%lld-%d-%s.avro", (long long)a->snapshot_id, a->attempt, a->uuid);
        rc = write_file(t, floe_buf_cstr(&path), &list, err);
        if (rc == 0) pathv_add(written, floe_buf_cstr(&path));
    }
    if (rc == 0)
        rc = floe_snapshot_commit(t, a->branch, parent, a->snapshot_id, seq, floe_buf_cstr(&path), &summary, err);
    floe_props_free(&summary);
    floe_buf_free(&list);
    floe_buf_free(&path);
    mlist_free(&in);
    mlist_free(&merged);
    floe_table_manifests_free(old, nold);
    return rc;
}

static int check_files(const floe_ice_metadata *m, const floe_ice_data_file *files, int n, floe_err *err) {
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec(m);
    for (int i = 0; i < n; i++) {
        if (files[i].spec_id != spec->spec_id || files[i].npartition != spec->nfields)
            return floe_err_set(err, FLOE_EINVAL,
                                "appending %s: its partition tuple (spec %d, %d fields) is not of the table's "
                                "default spec %d (%d fields)",
                                files[i].file_path, (int)files[i].spec_id, files[i].npartition, (int)spec->spec_id,
                                spec->nfields);
        if (files[i].content != FLOE_ICE_CONTENT_DATA)
            return floe_err_set(err, FLOE_EINVAL, "appending %s: not a data file (content %d)", files[i].file_path,
                                files[i].content);
    }
    return 0;
}

static int snapshot_exists(const floe_ice_metadata *m, int64_t id) { return floe_ice_metadata_snapshot(m, id) != NULL; }

const char *floe_table_ancestry_summary(const floe_ice_metadata *m, const char *ref, const char *key,
                                        int64_t *snapshot_id) {
    const floe_ice_ref *r = floe_ice_metadata_ref(m, ref);
    const floe_ice_snapshot *s = r ? floe_ice_metadata_snapshot(m, r->snapshot_id) : NULL;
    for (int steps = 0; s && steps <= m->nsnapshots; steps++) {
        const char *v = floe_props_get(&s->summary, key);
        if (v) {
            if (snapshot_id) *snapshot_id = s->snapshot_id;
            return v;
        }
        s = s->has_parent ? floe_ice_metadata_snapshot(m, s->parent_id) : NULL;
    }
    return NULL;
}

int floe_table_append(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                      floe_err *err) {
    return floe_table_append_ex(t, files, n, extra, NULL, NULL, NULL, err);
}

int floe_table_append_ex(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                         const char *branch, floe_append_summary_fn fn, void *ctx, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    if (check_files(m, files, n, err)) return floe_err_prefix(err, "table %s.%s", t->ns, t->name);
    append_ctx a;
    memset(&a, 0, sizeof a);
    a.t = t;
    a.files = files;
    a.nfiles = n;
    a.summary_fn = fn;
    a.branch = branch && *branch ? branch : "main";
    a.summary_ctx = ctx;
    if (extra) floe_props_copy(&a.extra, extra);
    else floe_props_init(&a.extra);
    if (!floe_props_get(&a.extra, FLOE_COMMIT_ID_KEY)) {
        char id[37];
        floe_ice_uuid_random(id);
        floe_props_set(&a.extra, FLOE_COMMIT_ID_KEY, id);
    }
    a.commit_id = floe_xstrdup(floe_props_get(&a.extra, FLOE_COMMIT_ID_KEY));
    floe_ice_uuid_random(a.uuid);
    floe_buf_init(&a.new_bytes);
    do a.snapshot_id = floe_snapshot_random_id();
    while (snapshot_exists(m, a.snapshot_id));

    floe_snapshot_retry retry;
    floe_snapshot_retry_read(&m->properties, &retry);

    pathv written = {0};
    int unknown = 0;        /* some attempt's outcome is unknown */
    int64_t unknown_from = -1;
    int rc = n > 0 ? write_new_manifest(&a, err) : 0;
    int failures = 0;
    while (rc == 0) {
        a.attempt++;
        int64_t parent_id;
        if (attempt(&a, &written, &parent_id, err) == 0) break; /* committed */
        if (err->code == FLOE_EUNKNOWN) {
            if (!unknown) unknown_from = parent_id;
            unknown = 1;
            pathv_clear(&written); /* may be in the table now: keep */
        } else {
            discard(t, &written);
            if (err->code != FLOE_ECONFLICT) {
                rc = -1;
                break;
            }
        }
        /* Reload (retrying a failed reload within the same budget) and
         * look for this commit when an outcome was unknown. */
        int reloaded = 0;
        while (!reloaded && failures < retry.retries) {
            floe_snapshot_backoff(++failures, &retry);
            reloaded = floe_table_reload(t, err) == 0;
        }
        if (!reloaded) {
            floe_err_prefix(err, "table %s.%s: gave up after %d attempts", t->ns, t->name, a.attempt);
            rc = -1;
            break;
        }
        m = floe_table_meta(t);
        if (unknown && floe_snapshot_landed(m, a.branch, a.commit_id, unknown_from)) break;
        if (snapshot_exists(m, a.snapshot_id)) {
            /* Another writer took the id: the new manifest's entries name
             * it, so both are replaced (the old manifest only when no
             * attempt with it may have landed). */
            if (!unknown) drop_new_manifest(&a);
            else if (a.has_new) {
                floe_ice_manifest_file_free(&a.new_mf);
                floe_buf_free(&a.new_bytes);
                a.has_new = 0;
            }
            do a.snapshot_id = floe_snapshot_random_id();
            while (snapshot_exists(m, a.snapshot_id));
            if (n > 0) rc = write_new_manifest(&a, err);
        }
    }
    if (rc != 0) {
        if (unknown) {
            err->code = FLOE_EUNKNOWN;
            floe_err_prefix(err, "an earlier attempt's outcome is unknown and its files are kept");
        } else {
            drop_new_manifest(&a);
        }
    }
    pathv_free(&written);
    floe_ice_manifest_file_free(&a.new_mf);
    floe_buf_free(&a.new_bytes);
    floe_props_free(&a.extra);
    free(a.commit_id);
    /* Bounded history (expire.h): keeps the metadata, and so every later
     * commit, from growing with the table's age.  Best effort: the append
     * has landed whatever happens here, and the next commit tries again. */
    if (rc == 0) {
        floe_err ignored = {0};
        floe_table_bound_history(t, &ignored);
    }
    return rc;
}
