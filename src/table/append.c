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
 * looks for this commit's floe.commit-id in the ancestry of its branch.
 *
 * One machinery for one table and for many: a table's part (append_ctx)
 * is prepared once (identity, snapshot id, the new manifest), built per
 * attempt into the table's requirements and updates (a floe_table_commit),
 * failed (files deleted, or kept when the outcome is unknown), rebased
 * after a reload and finished; run_attempts drives the parts through one
 * commit_table (floe_table_append_ex) or one commit_transaction
 * (floe_table_append_many).
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
    pathv written;             /* files of the current attempt */
    int unknown;               /* some attempt's outcome is unknown */
    int64_t unknown_from;      /* the parent of the first such attempt */
    int64_t parent_id;         /* the current attempt's parent, -1 for none */
    int refused;               /* the summary callback gave up */
    /* the current attempt's part of the commit (while built) */
    int built;
    floe_ice_requirement req;
    floe_ice_update upd[2];
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

/* ---- one table's part ---------------------------------------------------------------- */

/* Sets up a's append of files[0..n) to t: the commit's identity (`commit_id`
 * when extra names none and it is not NULL, else a fresh one), its
 * snapshot id, and the new files' manifest, written once.  On failure a
 * holds nothing (part_finish is not needed). */
static int part_prepare(append_ctx *a, floe_table *t, const floe_ice_data_file *files, int n,
                        const floe_props *extra, const char *branch, floe_append_summary_fn fn, void *ctx,
                        const char *commit_id, floe_err *err) {
    memset(a, 0, sizeof *a);
    const floe_ice_metadata *m = floe_table_meta(t);
    if (check_files(m, files, n, err)) return floe_err_prefix(err, "table %s.%s", t->ns, t->name);
    a->t = t;
    a->files = files;
    a->nfiles = n;
    a->summary_fn = fn;
    a->summary_ctx = ctx;
    a->branch = branch && *branch ? branch : "main";
    a->unknown_from = -1;
    if (extra) floe_props_copy(&a->extra, extra);
    else floe_props_init(&a->extra);
    if (!floe_props_get(&a->extra, FLOE_COMMIT_ID_KEY)) {
        char id[37];
        if (!commit_id) {
            floe_ice_uuid_random(id);
            commit_id = id;
        }
        floe_props_set(&a->extra, FLOE_COMMIT_ID_KEY, commit_id);
    }
    a->commit_id = floe_xstrdup(floe_props_get(&a->extra, FLOE_COMMIT_ID_KEY));
    floe_ice_uuid_random(a->uuid);
    floe_buf_init(&a->new_bytes);
    do a->snapshot_id = floe_snapshot_random_id();
    while (snapshot_exists(m, a->snapshot_id));
    if (n > 0 && write_new_manifest(a, err)) {
        floe_props_free(&a->extra);
        free(a->commit_id);
        floe_buf_free(&a->new_bytes);
        memset(a, 0, sizeof *a);
        return -1;
    }
    return 0;
}

static void part_unbuild(append_ctx *a) {
    if (!a->built) return;
    floe_ice_requirement_free(&a->req);
    floe_ice_update_free(&a->upd[0]);
    floe_ice_update_free(&a->upd[1]);
    a->built = 0;
}

/* Builds one attempt on the handle's current state: the summary callback
 * on that state, the merged manifests and the manifest list (their paths
 * go to a->written), and *tc, the table's part of the commit: the new
 * snapshot and the branch moved to it, if the branch still points at the
 * parent (Java's SnapshotProducer; as floe_snapshot_commit builds it).
 * A refusal of the callback sets a->refused. */
static int part_build(append_ctx *a, floe_table_commit *tc, floe_err *err) {
    floe_table *t = a->t;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *parent = floe_snapshot_branch_head(m, a->branch);
    a->attempt++;
    a->parent_id = parent ? parent->snapshot_id : -1;
    int64_t seq = m->format_version >= 2 ? m->last_sequence_number + 1 : 0;
    if (a->summary_fn && a->summary_fn(a->summary_ctx, m, &a->extra, err)) {
        a->refused = 1;
        return -1;
    }
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
    int rc = floe_snapshot_parent_totals(t, parent, old, nold, &base, err);
    if (rc == 0) rc = merge_manifests(a, in.v, in.n, &merged, &a->written, err);
    if (rc == 0) {
        build_summary(a, &base, &summary);
        rc = floe_ice_manifest_list_write(m->format_version, a->snapshot_id, parent != NULL, a->parent_id, seq,
                                          merged.v, merged.n, &list, err);
    }
    if (rc == 0) {
        floe_snapshot_metadata_dir(m, &path);
        floe_buf_printf(&path, "/snap-%lld-%d-%s.avro", (long long)a->snapshot_id, a->attempt, a->uuid);
        rc = write_file(t, floe_buf_cstr(&path), &list, err);
        if (rc == 0) pathv_add(&a->written, floe_buf_cstr(&path));
    }
    if (rc == 0) {
        floe_snapshot_build(m, a->branch, parent, a->snapshot_id, seq, floe_buf_cstr(&path), &summary, &a->req,
                            a->upd);
        a->built = 1;
        *tc = (floe_table_commit){t->ns, t->name, &a->req, 1, a->upd, 2};
    }
    floe_props_free(&summary);
    floe_buf_free(&list);
    floe_buf_free(&path);
    mlist_free(&in);
    mlist_free(&merged);
    floe_table_manifests_free(old, nold);
    return rc;
}

/* The current attempt did not land for sure (kept = 0: its files are
 * deleted) or may have (kept = 1: they are kept, and the reloads that
 * follow look for the commit from the attempt's parent on). */
static void part_failed(append_ctx *a, int kept) {
    part_unbuild(a);
    if (kept) {
        if (!a->unknown) a->unknown_from = a->parent_id;
        a->unknown = 1;
        pathv_clear(&a->written);
    } else {
        discard(a->t, &a->written);
    }
}

/* After a reload: whether an attempt whose outcome was unknown landed. */
static int part_landed(const append_ctx *a) {
    return a->unknown && floe_snapshot_landed(floe_table_meta(a->t), a->branch, a->commit_id, a->unknown_from);
}

/* After a reload, before the next attempt: another writer may have taken
 * the snapshot id, which the new manifest's entries name, so both are
 * replaced (the old manifest deleted only when no attempt with it may
 * have landed). */
static int part_rebase(append_ctx *a, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(a->t);
    if (!snapshot_exists(m, a->snapshot_id)) return 0;
    if (!a->unknown) {
        drop_new_manifest(a);
    } else if (a->has_new) {
        floe_ice_manifest_file_free(&a->new_mf);
        floe_buf_free(&a->new_bytes);
        a->has_new = 0;
    }
    do a->snapshot_id = floe_snapshot_random_id();
    while (snapshot_exists(m, a->snapshot_id));
    return a->nfiles > 0 ? write_new_manifest(a, err) : 0;
}

/* Ends a's append: on failure the new manifest is deleted unless some
 * attempt's outcome is unknown; on success the history is bounded
 * (expire.h), which keeps the metadata, and so every later commit, from
 * growing with the table's age (best effort: the append has landed
 * whatever happens there, and the next commit tries again). */
static void part_finish(append_ctx *a, int ok) {
    part_unbuild(a);
    if (!ok && !a->unknown) drop_new_manifest(a);
    pathv_free(&a->written);
    floe_ice_manifest_file_free(&a->new_mf);
    floe_buf_free(&a->new_bytes);
    floe_props_free(&a->extra);
    free(a->commit_id);
    if (ok) {
        floe_err ignored = {0};
        floe_table_bound_history(a->t, &ignored);
    }
}

/* ---- attempts ---------------------------------------------------------------------- */

/* "table ns.t" or "a transaction over ns.a, ns.b", for messages. */
static void describe(const append_ctx *a, int n, floe_buf *out) {
    if (n == 1) {
        floe_buf_printf(out, "table %s.%s", a[0].t->ns, a[0].t->name);
        return;
    }
    floe_buf_puts(out, "a transaction over ");
    for (int i = 0; i < n; i++) floe_buf_printf(out, "%s%s.%s", i ? ", " : "", a[i].t->ns, a[i].t->name);
}

static int reload_all(append_ctx *a, int n, floe_err *err) {
    for (int i = 0; i < n; i++)
        if (floe_table_reload(a[i].t, err)) return -1;
    return 0;
}

/* The attempts of the prepared parts a[0..n), all in one catalog: each
 * builds on its table's current state, then one commit_table (n == 1 and
 * !txn) or one commit_transaction carries them all.  A lost race (or a
 * transaction refused because one table changed) reloads every table,
 * deletes the attempt's files and tries again, within the most patient
 * commit.retry.* budget among the tables; an unknown outcome keeps the
 * files and each reload looks for the commit ids (a transaction lands
 * whole or not at all, so one table holding its id means all do).  A
 * refusal of a summary callback ends it at once.  On success every table
 * holds its committed state (reloaded after a transaction, whose answer
 * carries no metadata). */
static int run_attempts(append_ctx *a, int n, int txn, floe_err *err) {
    floe_catalog *c = a[0].t->catalog;
    floe_snapshot_retry retry;
    floe_snapshot_retry_read(&floe_table_meta(a[0].t)->properties, &retry);
    for (int i = 1; i < n; i++) {
        floe_snapshot_retry r;
        floe_snapshot_retry_read(&floe_table_meta(a[i].t)->properties, &r);
        if (r.retries > retry.retries) retry.retries = r.retries;
        if (r.min_wait_ms > retry.min_wait_ms) retry.min_wait_ms = r.min_wait_ms;
        if (r.max_wait_ms > retry.max_wait_ms) retry.max_wait_ms = r.max_wait_ms;
    }
    floe_table_commit *tcs = floe_xcalloc((size_t)n, sizeof *tcs);
    int rc = -1, failures = 0, attempts = 0;
    for (;;) {
        attempts++;
        int nbuilt = 0, refused = 0, crc = 0;
        for (; nbuilt < n && crc == 0; nbuilt++) {
            crc = part_build(&a[nbuilt], &tcs[nbuilt], err);
            refused |= a[nbuilt].refused;
        }
        if (crc == 0) {
            if (!txn) {
                floe_table_state st;
                memset(&st, 0, sizeof st);
                crc = c->commit_table(c, &tcs[0], &st, err);
                if (crc == 0) floe_table_set_state(a[0].t, &st);
            } else {
                crc = c->commit_transaction(c, tcs, n, err);
            }
            if (crc == 0) {
                for (int i = 0; i < n; i++) {
                    part_unbuild(&a[i]);
                    pathv_clear(&a[i].written); /* the table's files now */
                }
                if (txn) {
                    /* Committed: the state is the table's next load.  A reload
                     * that keeps failing leaves a handle behind, which the next
                     * commit (a lost race) reloads. */
                    floe_err ignored;
                    for (int i = 0; i < n; i++)
                        for (int k = 1; floe_table_reload(a[i].t, &ignored) && k <= retry.retries; k++)
                            floe_snapshot_backoff(k, &retry);
                }
                rc = 0;
                break;
            }
            /* the commit failed: unknown keeps every part's files */
            int kept = err->code == FLOE_EUNKNOWN;
            for (int i = 0; i < n; i++) part_failed(&a[i], kept);
        } else {
            /* the build of part nbuilt - 1 failed: nothing was sent */
            for (int i = 0; i < nbuilt; i++) part_failed(&a[i], 0);
        }
        if (refused || (err->code != FLOE_ECONFLICT && err->code != FLOE_EUNKNOWN)) break;
        /* Reload (retrying a failed reload within the same budget) and look
         * for the commit when an outcome was unknown. */
        int reloaded = 0;
        while (!reloaded && failures < retry.retries) {
            floe_snapshot_backoff(++failures, &retry);
            reloaded = reload_all(a, n, err) == 0;
        }
        if (!reloaded) {
            floe_buf d;
            floe_buf_init(&d);
            describe(a, n, &d);
            floe_err_prefix(err, "%s: gave up after %d attempts", floe_buf_cstr(&d), attempts);
            floe_buf_free(&d);
            break;
        }
        int landed = 0;
        for (int i = 0; i < n && !landed; i++) landed = part_landed(&a[i]);
        if (landed) {
            rc = 0;
            break;
        }
        int bad = 0;
        for (int i = 0; i < n && !bad; i++) bad = part_rebase(&a[i], err) != 0;
        if (bad) break;
    }
    free(tcs);
    int unknown = 0;
    for (int i = 0; i < n; i++) unknown |= a[i].unknown;
    if (rc != 0 && unknown) {
        err->code = FLOE_EUNKNOWN;
        floe_err_prefix(err, "an earlier attempt's outcome is unknown and its files are kept");
    }
    for (int i = 0; i < n; i++) part_finish(&a[i], rc == 0);
    return rc;
}

int floe_table_append(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                      floe_err *err) {
    return floe_table_append_ex(t, files, n, extra, NULL, NULL, NULL, err);
}

int floe_table_append_ex(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                         const char *branch, floe_append_summary_fn fn, void *ctx, floe_err *err) {
    append_ctx a;
    if (part_prepare(&a, t, files, n, extra, branch, fn, ctx, NULL, err)) return -1;
    return run_attempts(&a, 1, 0, err);
}

int floe_table_append_atomic(const floe_catalog *c) { return c && c->commit_transaction != NULL; }

int floe_table_append_many(floe_append_part *parts, int n, floe_err *err) {
    if (n <= 0) return 0;
    for (int i = 0; i < n; i++) {
        parts[i].committed = 0;
        floe_err_clear(&parts[i].err);
    }
    floe_catalog *c = parts[0].t->catalog;
    for (int i = 1; i < n; i++)
        if (parts[i].t->catalog != c)
            return floe_err_set(err, FLOE_EINVAL, "appending to %s.%s and %s.%s at once: not one catalog",
                                parts[0].t->ns, parts[0].t->name, parts[i].t->ns, parts[i].t->name);
    if (!floe_table_append_atomic(c)) {
        /* Not atomic: one commit per table.  Each goes on whatever became
         * of the others; err is the first failure. */
        int rc = 0;
        for (int i = 0; i < n; i++) {
            floe_append_part *p = &parts[i];
            if (floe_table_append_ex(p->t, p->files, p->nfiles, p->extra, p->branch, p->fn, p->ctx, &p->err) == 0) {
                p->committed = 1;
            } else if (rc == 0) {
                *err = p->err;
                rc = -1;
            }
        }
        return rc;
    }
    /* One commit id for the whole transaction: it names the cycle in every
     * table, and finding it in one table after an unknown outcome is
     * finding it in all. */
    char id[37];
    floe_ice_uuid_random(id);
    append_ctx *a = floe_xcalloc((size_t)n, sizeof *a);
    int rc = 0, nprep = 0;
    for (; nprep < n; nprep++) {
        floe_append_part *p = &parts[nprep];
        if (part_prepare(&a[nprep], p->t, p->files, p->nfiles, p->extra, p->branch, p->fn, p->ctx, id, err)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        rc = run_attempts(a, n, 1, err);
    } else {
        for (int i = 0; i < nprep; i++) part_finish(&a[i], 0);
    }
    free(a);
    for (int i = 0; i < n; i++) {
        parts[i].committed = rc == 0;
        if (rc) parts[i].err = *err;
    }
    return rc;
}
