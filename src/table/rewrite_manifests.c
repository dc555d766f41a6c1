/*
 * rewrite_manifests.c — regrouping the manifests of main's head by
 * partition (Iceberg's RewriteManifests; floe/maintenance.h), for tables
 * whose streaming appends left many small manifests, each spanning
 * whatever partitions one commit touched.
 *
 * Plan: the head's manifests are grouped by content (data, deletes: the
 * spec keeps them in separate manifests) and partition spec.  A group's
 * live entries (ADDED and EXISTING; DELETED entries only record what an
 * older snapshot removed and are dropped, as Java does) are weighed by the
 * bytes they take in their manifest (its length less the header every
 * manifest of the group carries, measured by writing an empty one, over
 * its entries), and the group should be ceil(weight / (target - header))
 * manifests, target being commit.manifest.target-size-bytes (8 MiB by
 * default).  Leaving the header out keeps the estimate stable: a rewrite
 * of its own output plans the same count.  A group is left as it is when it has no
 * more manifests than that and they are clustered (sorted by their
 * smallest partition tuple, each one's largest tuple is at most the
 * next one's smallest); otherwise its entries are sorted by partition
 * tuple (then path) and cut into that many manifests of about equal
 * weight.  When no group changes, nothing is committed.
 *
 * Entries keep their snapshot ids and data and file sequence numbers and
 * become EXISTING, so that readers apply delete files exactly as before;
 * no data file changes.  The new manifests are <uuid>-m<k>.avro beside
 * the others (snapshot_write.h's metadata directory).
 *
 * Commit: a `replace` snapshot on main (summary: manifests-created,
 * manifests-kept, manifests-replaced, entries-processed, Java's names, and
 * the parent's totals, which do not change) with a requirement that main
 * still points at the parent.  A lost race reloads: when every manifest
 * this rewrite replaces is still in the new head's list (a streaming
 * append carried them forward and added its own), the new list is the
 * rewritten manifests plus the new head's others, so the append's
 * manifests are kept; otherwise (an append merged some of them, or a
 * compaction replaced them) the rewrite is planned again from the new
 * head.  An unknown outcome is resolved as append.c does, by the commit's
 * floe.commit-id in main's ancestry, and its files are never deleted.
 */
#include "table/rewrite_manifests.h"

#include <stdlib.h>
#include <string.h>

#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table/reach.h"
#include "table/snapshot_write.h"

#define DEFAULT_TARGET_SIZE ((int64_t)8 << 20)

/* ---- planning ---------------------------------------------------------------------- */

typedef struct item {
    floe_ice_manifest_entry *e; /* borrowed from the input */
    int64_t weight;
} item;

typedef struct group {
    int content;
    int32_t spec_id;
    const floe_ice_partition_spec *spec;
    floe_ice_type *ptype; /* the partition tuple's type */
    int *mans;            /* indices into the input */
    int nmans;
    item *items;
    int nitems, cap;
    int64_t header; /* bytes of a manifest of this group without entries */
    int64_t weight, planned;
    int has_empty; /* a manifest without live entries */
    int rewrite;
} group;

typedef struct plan {
    group *g;
    int ng;
    int64_t target;
} plan;

static void plan_free(plan *p) {
    for (int i = 0; i < p->ng; i++) {
        floe_ice_type_free(p->g[i].ptype);
        free(p->g[i].mans);
        free(p->g[i].items);
    }
    free(p->g);
    memset(p, 0, sizeof *p);
}

static int cmp_tuple(const floe_ice_type *pt, const floe_ice_data_file *a, const floe_ice_data_file *b) {
    for (int k = 0; k < pt->nfields && k < a->npartition && k < b->npartition; k++) {
        int c = floe_ice_value_compare(pt->fields[k]->type, &a->partition[k], &b->partition[k]);
        if (c) return c;
    }
    return 0;
}

static int cmp_item(const floe_ice_type *pt, const item *a, const item *b) {
    int c = cmp_tuple(pt, &a->e->file, &b->e->file);
    return c ? c : strcmp(a->e->file.file_path, b->e->file.file_path);
}

/* A stable merge sort by partition tuple, then path (qsort has no context
 * for the tuple's type). */
static void sort_items(const floe_ice_type *pt, item *v, item *tmp, int n) {
    if (n < 2) return;
    int h = n / 2;
    sort_items(pt, v, tmp, h);
    sort_items(pt, v + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp_item(pt, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof *v * (size_t)n);
}

/* 1 when the group's manifests hold disjoint ranges of partition tuples
 * (touching at most at their ends). */
static int clustered(const group *g, const floe_manifest_entries *in) {
    if (g->nmans < 2) return 1;
    typedef struct range {
        const floe_ice_data_file *lo, *hi;
    } range;
    range *r = floe_xcalloc((size_t)g->nmans, sizeof *r);
    for (int k = 0; k < g->nmans; k++) {
        const floe_manifest_entries *me = &in[g->mans[k]];
        for (int i = 0; i < me->ne; i++) {
            const floe_ice_data_file *f = &me->es[i].file;
            if (me->es[i].status == FLOE_ICE_STATUS_DELETED) continue;
            if (!r[k].lo || cmp_tuple(g->ptype, f, r[k].lo) < 0) r[k].lo = f;
            if (!r[k].hi || cmp_tuple(g->ptype, f, r[k].hi) > 0) r[k].hi = f;
        }
    }
    /* insertion sort by lower end: manifests per group are few */
    for (int i = 1; i < g->nmans; i++)
        for (int j = i; j > 0 && cmp_tuple(g->ptype, r[j].lo, r[j - 1].lo) < 0; j--) {
            range x = r[j];
            r[j] = r[j - 1];
            r[j - 1] = x;
        }
    int ok = 1;
    for (int i = 0; i + 1 < g->nmans && ok; i++) ok = cmp_tuple(g->ptype, r[i].hi, r[i + 1].lo) <= 0;
    free(r);
    return ok;
}

static group *group_for(plan *p, const floe_ice_metadata *m, const floe_ice_manifest_file *mf, floe_err *err) {
    for (int i = 0; i < p->ng; i++)
        if (p->g[i].content == mf->content && p->g[i].spec_id == mf->partition_spec_id) return &p->g[i];
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, mf->partition_spec_id);
    if (!spec) {
        floe_err_set(err, FLOE_ECORRUPT, "manifest %s: partition spec %d is not in the table metadata",
                     mf->manifest_path, (int)mf->partition_spec_id);
        return NULL;
    }
    floe_ice_type *pt = floe_ice_spec_partition_type(spec, floe_ice_metadata_schema(m), err);
    if (!pt) {
        floe_err_prefix(err, "manifest %s", mf->manifest_path);
        return NULL;
    }
    p->g = floe_xrealloc(p->g, sizeof *p->g * (size_t)(p->ng + 1));
    group *g = &p->g[p->ng++];
    memset(g, 0, sizeof *g);
    g->content = mf->content;
    g->spec_id = mf->partition_spec_id;
    g->spec = spec;
    g->ptype = pt;
    /* What a manifest costs before its first entry (its header holds the
     * schema and the spec), measured by writing an empty one. */
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_manifest_file sum;
    memset(&sum, 0, sizeof sum);
    floe_err ignored = {0};
    if (floe_ice_manifest_write(m, spec, mf->content, 0, NULL, 0, &b, &sum, &ignored) == 0) g->header = (int64_t)b.len;
    floe_ice_manifest_file_free(&sum);
    floe_buf_free(&b);
    return g;
}

static int plan_build(const floe_ice_metadata *m, const floe_manifest_entries *in, int n, plan *p, floe_err *err) {
    memset(p, 0, sizeof *p);
    p->target = floe_props_get_int(&m->properties, "commit.manifest.target-size-bytes", DEFAULT_TARGET_SIZE);
    if (p->target < 1) p->target = DEFAULT_TARGET_SIZE;
    for (int i = 0; i < n; i++) {
        group *g = group_for(p, m, in[i].mf, err);
        if (!g) {
            plan_free(p);
            return -1;
        }
        g->mans = floe_xrealloc(g->mans, sizeof *g->mans * (size_t)(g->nmans + 1));
        g->mans[g->nmans++] = i;
        int64_t w = (in[i].mf->manifest_length - g->header) / (in[i].ne > 0 ? in[i].ne : 1);
        if (w < 1) w = 1;
        int live = 0;
        for (int k = 0; k < in[i].ne; k++) {
            if (in[i].es[k].status == FLOE_ICE_STATUS_DELETED) continue;
            if (g->nitems == g->cap) {
                g->cap = g->cap ? g->cap * 2 : 64;
                g->items = floe_xrealloc(g->items, sizeof *g->items * (size_t)g->cap);
            }
            g->items[g->nitems++] = (item){&in[i].es[k], w};
            g->weight += w;
            live++;
        }
        if (!live) g->has_empty = 1;
    }
    for (int i = 0; i < p->ng; i++) {
        group *g = &p->g[i];
        int64_t room = p->target - g->header > 0 ? p->target - g->header : 1;
        g->planned = g->nitems ? (g->weight + room - 1) / room : 0;
        if (g->planned > g->nitems) g->planned = g->nitems;
        g->rewrite = g->has_empty || g->nmans > g->planned || !clustered(g, in);
    }
    return 0;
}

static int plan_any(const plan *p, int64_t *after) {
    int any = 0;
    *after = 0;
    for (int i = 0; i < p->ng; i++) {
        any |= p->g[i].rewrite;
        *after += p->g[i].rewrite ? p->g[i].planned : p->g[i].nmans;
    }
    return any;
}

int floe_manifest_rewrite_check(const floe_ice_metadata *m, const floe_manifest_entries *in, int n, int64_t *after,
                                floe_err *err) {
    plan p;
    if (plan_build(m, in, n, &p, err)) return -1;
    int any = plan_any(&p, after);
    plan_free(&p);
    return any;
}

/* ---- the head's manifests and entries -------------------------------------------------- */

typedef struct contents {
    floe_ice_manifest_file *mfs;
    int nm;
    floe_manifest_entries *in;
} contents;

static void contents_free(contents *c) {
    for (int i = 0; c->in && i < c->nm; i++) floe_table_entries_free(c->in[i].es, c->in[i].ne);
    free(c->in);
    floe_table_manifests_free(c->mfs, c->nm);
    memset(c, 0, sizeof *c);
}

static int contents_read(floe_table *t, const floe_ice_snapshot *s, contents *c, floe_err *err) {
    memset(c, 0, sizeof *c);
    if (floe_table_manifests(t, s, &c->mfs, &c->nm, err)) return -1;
    c->in = floe_xcalloc(c->nm > 0 ? (size_t)c->nm : 1, sizeof *c->in);
    for (int i = 0; i < c->nm; i++) {
        c->in[i].mf = &c->mfs[i];
        if (floe_table_entries(t, &c->mfs[i], &c->in[i].es, &c->in[i].ne, err)) {
            contents_free(c);
            return -1;
        }
    }
    return 0;
}

/* ---- writing ----------------------------------------------------------------------- */

typedef struct rewrite {
    floe_table *t;
    char uuid[37];        /* names this rewrite's files */
    char commit_id[37];   /* floe.commit-id */
    int64_t snapshot_id;
    int next_manifest;
    /* the current plan's output */
    floe_ice_manifest_file *created;
    int ncreated;
    floe_pathset replaced;
    int64_t entries;
} rewrite;

static void drop_created(rewrite *w, int delete_files) {
    for (int i = 0; i < w->ncreated; i++) {
        if (delete_files) {
            floe_err ignored = {0};
            w->t->io->remove(w->t->io, w->created[i].manifest_path, &ignored);
        }
        floe_ice_manifest_file_free(&w->created[i]);
    }
    free(w->created);
    w->created = NULL;
    w->ncreated = 0;
    floe_pathset_free(&w->replaced);
    w->entries = 0;
}

static int write_manifest(rewrite *w, const group *g, const item *v, int n, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(w->t);
    floe_ice_manifest_entry *es = floe_xcalloc((size_t)n, sizeof *es);
    for (int i = 0; i < n; i++) {
        es[i] = *v[i].e; /* shallow: only read by the writer */
        es[i].status = FLOE_ICE_STATUS_EXISTING;
    }
    floe_buf b, path;
    floe_buf_init(&b);
    floe_buf_init(&path);
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/%s-m%d.avro", w->uuid, w->next_manifest++);
    floe_ice_manifest_file mf;
    memset(&mf, 0, sizeof mf);
    int rc = floe_ice_manifest_write(m, g->spec, g->content, w->snapshot_id, es, n, &b, &mf, err);
    if (rc == 0) {
        mf.manifest_path = floe_xstrdup(floe_buf_cstr(&path));
        rc = w->t->io->write(w->t->io, mf.manifest_path, b.data, b.len, 1, err);
        if (rc == 0) {
            w->created = floe_xrealloc(w->created, sizeof *w->created * (size_t)(w->ncreated + 1));
            w->created[w->ncreated++] = mf;
        } else {
            floe_ice_manifest_file_free(&mf);
        }
    }
    free(es);
    floe_buf_free(&b);
    floe_buf_free(&path);
    return rc;
}

/* Writes the rewritten groups' manifests and records what they replace. */
static int write_plan(rewrite *w, plan *p, const contents *c, floe_err *err) {
    for (int gi = 0; gi < p->ng; gi++) {
        group *g = &p->g[gi];
        if (!g->rewrite) continue;
        for (int k = 0; k < g->nmans; k++) floe_pathset_add(&w->replaced, c->mfs[g->mans[k]].manifest_path, 0);
        if (g->nitems == 0) continue;
        item *tmp = floe_xmalloc(sizeof *tmp * (size_t)g->nitems);
        sort_items(g->ptype, g->items, tmp, g->nitems);
        free(tmp);
        /* Item i goes to manifest floor(weight before it * planned / total):
         * manifests of about equal weight, each near the target. */
        int64_t before = 0, cur = 0;
        int start = 0;
        for (int i = 0; i < g->nitems; i++) {
            int64_t chunk = before * g->planned / g->weight;
            if (chunk != cur && i > start) {
                if (write_manifest(w, g, g->items + start, i - start, err)) return -1;
                start = i;
                cur = chunk;
            }
            before += g->items[i].weight;
        }
        if (write_manifest(w, g, g->items + start, g->nitems - start, err)) return -1;
        w->entries += g->nitems;
    }
    return 0;
}

/* ---- committing -------------------------------------------------------------------- */

/* Writes the manifest list of created + kept[0..nkept) and commits it on
 * top of `head`.  *list gets the list's path (to delete after a failure). */
static int commit_once(rewrite *w, const floe_ice_snapshot *head, const floe_ice_manifest_file *kept, int nkept,
                       int nreplaced, const floe_ice_manifest_file *head_mfs, int head_nm, int attempt,
                       floe_buf *list_path, floe_err *err) {
    floe_table *t = w->t;
    const floe_ice_metadata *m = floe_table_meta(t);
    int64_t seq = m->format_version >= 2 ? m->last_sequence_number + 1 : 0;
    int n = w->ncreated + nkept;
    floe_ice_manifest_file *all = floe_xcalloc(n > 0 ? (size_t)n : 1, sizeof *all);
    for (int i = 0; i < w->ncreated; i++) all[i] = w->created[i]; /* shallow: only read */
    for (int i = 0; i < nkept; i++) all[w->ncreated + i] = kept[i];
    floe_buf list;
    floe_buf_init(&list);
    floe_props summary;
    floe_props_init(&summary);
    floe_snapshot_totals tot;
    int rc = floe_snapshot_parent_totals(t, head, head_mfs, head_nm, &tot, err);
    if (rc == 0)
        rc = floe_ice_manifest_list_write(m->format_version, w->snapshot_id, 1, head->snapshot_id, seq, all, n,
                                          &list, err);
    if (rc == 0) {
        floe_buf_reset(list_path);
        floe_snapshot_metadata_dir(m, list_path);
        floe_buf_printf(list_path, "/snap-%lld-%d-%s.avro", (long long)w->snapshot_id, attempt, w->uuid);
        rc = t->io->write(t->io, floe_buf_cstr(list_path), list.data, list.len, 1, err);
        if (rc) floe_buf_reset(list_path);
    }
    if (rc == 0) {
        floe_props_set(&summary, "operation", "replace");
        floe_props_set(&summary, FLOE_COMMIT_ID_KEY, w->commit_id);
        floe_snapshot_put_count(&summary, "manifests-created", w->ncreated);
        floe_snapshot_put_count(&summary, "manifests-kept", nkept);
        floe_snapshot_put_count(&summary, "manifests-replaced", nreplaced);
        floe_snapshot_put_count(&summary, "entries-processed", w->entries);
        floe_snapshot_put_totals(&summary, &tot);
        rc = floe_snapshot_commit(t, "main", head, w->snapshot_id, seq, floe_buf_cstr(list_path), &summary, err);
    }
    floe_props_free(&summary);
    floe_buf_free(&list);
    free(all);
    return rc;
}

int floe_table_rewrite_manifests(floe_table *t, floe_rewrite_manifests_result *r, floe_err *err) {
    memset(r, 0, sizeof *r);
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_snapshot_retry retry;
    floe_snapshot_retry_read(&m->properties, &retry);
    rewrite w;
    memset(&w, 0, sizeof w);
    w.t = t;
    floe_ice_uuid_random(w.uuid);
    floe_ice_uuid_random(w.commit_id);
    w.snapshot_id = floe_snapshot_new_id(m);

    contents c;
    memset(&c, 0, sizeof c);
    floe_buf list_path;
    floe_buf_init(&list_path);
    plan p;
    memset(&p, 0, sizeof p);
    int rc = 0, failures = 0, attempt = 0, unknown = 0, replan = 1;
    int64_t unknown_from = -1;
    /* What the commit carries beside the new manifests: the plan's kept
     * manifests, or after a rebase the new head's others. */
    floe_ice_manifest_file *kept = NULL;
    int nkept = 0, nreplaced = 0;

    for (;;) {
        m = floe_table_meta(t);
        const floe_ice_snapshot *head = floe_snapshot_branch_head(m, "main");
        if (replan) {
            replan = 0;
            drop_created(&w, !unknown);
            floe_table_manifests_free(kept, nkept);
            kept = NULL;
            nkept = nreplaced = 0;
            contents_free(&c);
            plan_free(&p);
            if (!head) break; /* an empty table: nothing to regroup */
            if (contents_read(t, head, &c, err) || plan_build(m, c.in, c.nm, &p, err)) {
                rc = -1;
                break;
            }
            int64_t after;
            r->manifests_before = c.nm;
            if (!plan_any(&p, &after)) {
                r->manifests_after = c.nm;
                break;
            }
            if (floe_ice_metadata_snapshot(m, w.snapshot_id)) w.snapshot_id = floe_snapshot_new_id(m);
            if (write_plan(&w, &p, &c, err)) {
                rc = -1;
                break;
            }
            kept = floe_xcalloc(c.nm > 0 ? (size_t)c.nm : 1, sizeof *kept);
            for (int i = 0; i < c.nm; i++) {
                if (floe_pathset_get(&w.replaced, c.mfs[i].manifest_path)) nreplaced++;
                else floe_ice_manifest_file_copy(&kept[nkept++], &c.mfs[i]);
            }
        }
        attempt++;
        if (commit_once(&w, head, kept, nkept, nreplaced, c.mfs, c.nm, attempt, &list_path, err) == 0) {
            r->manifests_after = w.ncreated + nkept;
            r->entries = w.entries;
            r->snapshots = 1;
            break;
        }
        int code = err->code;
        if (code != FLOE_ECONFLICT && code != FLOE_EUNKNOWN) {
            rc = -1;
            break;
        }
        if (code == FLOE_EUNKNOWN) {
            if (!unknown) unknown_from = head->snapshot_id;
            unknown = 1;
        } else if (list_path.len) {
            floe_err ignored = {0};
            t->io->remove(t->io, floe_buf_cstr(&list_path), &ignored);
        }
        int reloaded = 0;
        while (!reloaded && failures < retry.retries) {
            floe_snapshot_backoff(++failures, &retry);
            reloaded = floe_table_reload(t, err) == 0;
        }
        if (!reloaded) {
            floe_err_prefix(err, "gave up after %d attempts", attempt);
            rc = -1;
            break;
        }
        m = floe_table_meta(t);
        if (unknown && floe_snapshot_landed(m, "main", w.commit_id, unknown_from)) {
            r->manifests_after = w.ncreated + nkept;
            r->entries = w.entries;
            r->snapshots = 1;
            break;
        }
        /* Rebase when the new head still lists every replaced manifest. */
        const floe_ice_snapshot *nh = floe_snapshot_branch_head(m, "main");
        floe_ice_manifest_file *hm = NULL;
        int hn = 0, found = 0;
        if (nh && !floe_ice_metadata_snapshot(m, w.snapshot_id) && floe_table_manifests(t, nh, &hm, &hn, err) == 0) {
            for (int i = 0; i < hn; i++) found += floe_pathset_get(&w.replaced, hm[i].manifest_path) != NULL;
        }
        if (nh && found == (int)w.replaced.n && (int)w.replaced.n == nreplaced) {
            floe_table_manifests_free(kept, nkept);
            kept = floe_xcalloc(hn > 0 ? (size_t)hn : 1, sizeof *kept);
            nkept = 0;
            for (int i = 0; i < hn; i++)
                if (!floe_pathset_get(&w.replaced, hm[i].manifest_path))
                    floe_ice_manifest_file_copy(&kept[nkept++], &hm[i]);
            /* the totals are the new head's */
            floe_table_manifests_free(c.mfs, c.nm);
            for (int i = 0; c.in && i < c.nm; i++) floe_table_entries_free(c.in[i].es, c.in[i].ne);
            free(c.in);
            c.in = NULL;
            c.mfs = hm;
            c.nm = hn;
            hm = NULL;
            hn = 0;
            r->manifests_before = c.nm;
        } else {
            replan = 1;
        }
        floe_table_manifests_free(hm, hn);
        memset(err, 0, sizeof *err);
    }
    drop_created(&w, rc != 0 && !unknown);
    floe_table_manifests_free(kept, nkept);
    contents_free(&c);
    plan_free(&p);
    floe_buf_free(&list_path);
    if (rc && unknown) {
        err->code = FLOE_EUNKNOWN;
        floe_err_prefix(err, "an earlier attempt's outcome is unknown and its files are kept");
    }
    return rc;
}

int floe_rewrite_manifests(floe_catalog_handle *c, const char *table, floe_rewrite_manifests_result *r,
                           floe_err *err) {
    memset(r, 0, sizeof *r);
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    int rc = floe_table_rewrite_manifests(t, r, err);
    if (rc) floe_err_prefix(err, "rewriting the manifests of %s", table);
    floe_table_free(t);
    return rc;
}
