/*
 * scan.c — scan planning and reading (see scan.h), and floe_table_scan.
 *
 * Planning projects the bound filter once per partition spec (manifests
 * are pruned with their own spec's projection, as the spec requires) and
 * keeps every live delete file; after all manifests are read, each delete
 * file is assigned to the data files it applies to.
 *
 * Reading a data file goes through the Parquet row reader with a shape:
 * the file's nodes are matched to the table's fields by field id, so each
 * object's members come out in the table's order under its current names,
 * with null for fields the file does not have.  The leaves selected are
 * those of projected fields plus those the filter and the equality
 * deletes need; those are not repeated (binding refuses columns inside
 * lists and maps), so their values in the current row can be peeked
 * before the row is rendered or skipped.  A row's position in the file
 * (for position deletes) is the reader's row index.  Row groups whose
 * Parquet statistics rule the filter out are skipped: their statistics are
 * turned into the metrics of a file holding only that group, for the same
 * evaluator that prunes data files.
 *
 * Delete files are read once, on first use: a position delete file into
 * runs of (data file path, positions), an equality delete file into a set
 * of encoded rows of its equality columns (a null matches a null, as the
 * spec says).  A data file's positions are gathered from the position
 * deletes that apply to it, sorted, and walked alongside its rows.
 */
#include "table/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hash.h"
#include "util/text.h"

#define FIELD_FILE_PATH 2147483546
#define FIELD_POS 2147483545

/* ---- small helpers ------------------------------------------------------- */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Room for one more element in an array of n with capacity *cap. */
static void *grow(void *arr, int n, int *cap, size_t size) {
    if (n < *cap) return arr;
    *cap = *cap ? *cap * 2 : 16;
    return floe_xrealloc(arr, size * (size_t)*cap);
}

static int has_id(const int32_t *ids, int n, int32_t id) {
    return n > 0 && bsearch(&id, ids, (size_t)n, sizeof *ids, cmp_i32) != NULL;
}

/* The position delete columns (spec "Position Delete Files"). */
static floe_ice_type string_type = {FLOE_ICE_STRING, 0, 0, 0, NULL, 0};
static floe_ice_type long_type = {FLOE_ICE_LONG, 0, 0, 0, NULL, 0};
static const floe_ice_field file_path_field = {FIELD_FILE_PATH, (char *)"file_path", 1, &string_type, NULL, NULL, NULL, NULL};
static const floe_ice_field pos_field = {FIELD_POS, (char *)"pos", 1, &long_type, NULL, NULL, NULL, NULL};

/* A field's type by id in the current schema, else in an older one (an
 * equality delete column may have been dropped since). */
static const floe_ice_field *field_any(const floe_ice_metadata *m, int32_t id) {
    if (id == FIELD_FILE_PATH) return &file_path_field;
    if (id == FIELD_POS) return &pos_field;
    const floe_ice_field *f = floe_ice_schema_field_by_id(floe_ice_metadata_schema(m), id);
    for (int i = m->nschemas - 1; !f && i >= 0; i--) f = floe_ice_schema_field_by_id(m->schemas[i], id);
    return f;
}

/* Projected: the field or one of its ancestors was asked for. */
static int included(const floe_scan_plan *p, const floe_ice_field *f) {
    for (; f; f = f->parent)
        if (has_id(p->columns, p->ncolumns, f->id)) return 1;
    return 0;
}

/* Shown in output: projected, or on the way to a projected field. */
static int shown(const floe_ice_schema *s, const floe_scan_plan *p, const floe_ice_field *f) {
    if (included(p, f)) return 1;
    for (int i = 0; i < p->ncolumns; i++) {
        const floe_ice_field *g = floe_ice_schema_field_by_id(s, p->columns[i]);
        for (const floe_ice_field *a = g ? g->parent : NULL; a; a = a->parent)
            if (a == f) return 1;
    }
    return 0;
}

/* Partition tuples are equal when every value is, floats by bits (NaNs
 * alike), as the spec's scope rules compare them. */
static int datum_same(const floe_ice_datum *a, const floe_ice_datum *b) {
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    if (a->i != b->i || a->n != b->n) return 0;
    if (!(isnan(a->d) && isnan(b->d)) && memcmp(&a->d, &b->d, sizeof a->d) != 0) return 0;
    return a->n == 0 || memcmp(a->p, b->p, a->n) == 0;
}

static int same_partition(const floe_ice_data_file *a, const floe_ice_data_file *b) {
    if (a->spec_id != b->spec_id || a->npartition != b->npartition) return 0;
    for (int i = 0; i < a->npartition; i++)
        if (!datum_same(&a->partition[i], &b->partition[i])) return 0;
    return 1;
}

static int spec_unpartitioned(const floe_ice_partition_spec *s) {
    for (int i = 0; s && i < s->nfields; i++)
        if (s->fields[i].transform.kind != FLOE_XF_VOID) return 0;
    return s != NULL;
}

/* ---- planning --------------------------------------------------------------- */

static void table_name(const floe_table *t, floe_buf *out) { floe_buf_printf(out, "%s.%s", t->ns, t->name); }

static int pick_snapshot(floe_table *t, const floe_scan_request *req, const floe_ice_snapshot **out, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_buf name;
    floe_buf_init(&name);
    table_name(t, &name);
    int rc = 0;
    if (req->has_snapshot_id) {
        *out = floe_ice_metadata_snapshot(m, req->snapshot_id);
        if (!*out)
            rc = floe_err_set(err, FLOE_ENOTFOUND, "--snapshot: table %s has no snapshot %lld", floe_buf_cstr(&name),
                              (long long)req->snapshot_id);
    } else if (req->has_as_of) {
        *out = floe_ice_metadata_snapshot_as_of(m, req->as_of_ms);
        if (!*out) {
            floe_buf when;
            floe_buf_init(&when);
            floe_fmt_timestamp(req->as_of_ms, FLOE_UNIT_MILLIS, 1, &when);
            rc = floe_err_set(err, FLOE_ENOTFOUND, "--as-of: table %s had no snapshot at %s", floe_buf_cstr(&name),
                              floe_buf_cstr(&when));
            floe_buf_free(&when);
        }
    } else {
        *out = floe_ice_metadata_current(m);
    }
    floe_buf_free(&name);
    return rc;
}

static int project_columns(const floe_ice_schema *s, const floe_scan_request *req, floe_scan_plan *p, floe_err *err) {
    int n = req->columns && req->ncolumns > 0 ? req->ncolumns : s->root->nfields;
    p->columns = floe_xcalloc((size_t)n + 1, sizeof *p->columns);
    for (int i = 0; i < n; i++) {
        if (!(req->columns && req->ncolumns > 0)) {
            p->columns[p->ncolumns++] = s->root->fields[i]->id;
            continue;
        }
        const floe_ice_field *f = floe_ice_schema_find(s, req->columns[i], 0);
        if (!f) f = floe_ice_schema_find(s, req->columns[i], 1);
        if (!f) return floe_err_set(err, FLOE_EINVAL, "--columns: unknown column '%s'", req->columns[i]);
        p->columns[p->ncolumns++] = f->id;
    }
    qsort(p->columns, (size_t)p->ncolumns, sizeof *p->columns, cmp_i32);
    int k = 0;
    for (int i = 0; i < p->ncolumns; i++)
        if (k == 0 || p->columns[k - 1] != p->columns[i]) p->columns[k++] = p->columns[i];
    p->ncolumns = k;
    return 0;
}

/* The filter's projection onto each spec, made on first need. */
typedef struct projections {
    int32_t *spec_ids;
    floe_expr **exprs;
    int n;
} projections;

static const floe_expr *projection(projections *pr, const floe_expr *filter, const floe_ice_partition_spec *spec) {
    for (int i = 0; i < pr->n; i++)
        if (pr->spec_ids[i] == spec->spec_id) return pr->exprs[i];
    pr->spec_ids = floe_xrealloc(pr->spec_ids, sizeof *pr->spec_ids * (size_t)(pr->n + 1));
    pr->exprs = floe_xrealloc(pr->exprs, sizeof *pr->exprs * (size_t)(pr->n + 1));
    pr->spec_ids[pr->n] = spec->spec_id;
    pr->exprs[pr->n] = floe_expr_project(filter, spec);
    return pr->exprs[pr->n++];
}

static void projections_free(projections *pr) {
    for (int i = 0; i < pr->n; i++) floe_expr_free(pr->exprs[i]);
    free(pr->spec_ids);
    free(pr->exprs);
}

static int plan_manifest(floe_table *t, const floe_ice_manifest_file *mf, projections *pr, floe_scan_plan *p,
                         int *cap_tasks, int *cap_deletes, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, mf->partition_spec_id);
    const floe_expr *proj = p->filter && spec ? projection(pr, p->filter, spec) : NULL;
    p->manifests++;
    if (proj && !floe_expr_eval_summaries(proj, mf->partitions, mf->npartitions)) {
        p->manifests_skipped++;
        return 0;
    }
    floe_ice_manifest_entry *es;
    int n;
    if (floe_table_entries(t, mf, &es, &n, err)) return -1;
    for (int i = 0; i < n; i++) {
        const floe_ice_manifest_entry *e = &es[i];
        const floe_ice_data_file *f = &e->file;
        if (e->status == FLOE_ICE_STATUS_DELETED) continue;
        int64_t seq = e->has_sequence_number ? e->sequence_number : 0;
        if (f->content != FLOE_ICE_CONTENT_DATA) {
            p->deletes = grow(p->deletes, p->ndeletes, cap_deletes, sizeof *p->deletes);
            floe_scan_delete *d = &p->deletes[p->ndeletes++];
            memset(d, 0, sizeof *d);
            floe_ice_data_file_copy(&d->file, f);
            d->data_seq = seq;
            continue;
        }
        if (proj && spec && f->npartition >= spec->nfields && !floe_expr_eval(proj, f->partition)) {
            p->files_skipped_partition++;
            continue;
        }
        if (p->filter && !floe_expr_eval_metrics(p->filter, f)) {
            p->files_skipped_metrics++;
            continue;
        }
        p->tasks = grow(p->tasks, p->ntasks, cap_tasks, sizeof *p->tasks);
        floe_scan_task *task = &p->tasks[p->ntasks++];
        memset(task, 0, sizeof *task);
        floe_ice_data_file_copy(&task->file, f);
        task->data_seq = seq;
    }
    floe_table_entries_free(es, n);
    return 0;
}

static const floe_ice_bound *bound_of(const floe_ice_bound *b, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (b[i].field_id == id) return &b[i];
    return NULL;
}

static int bytes_cmp(const char *s, const floe_ice_bound *b) {
    size_t n = strlen(s), k = n < b->n ? n : b->n;
    int c = k ? memcmp(s, b->p, k) : 0;
    if (c) return c;
    return (n > b->n) - (n < b->n);
}

int floe_scan_delete_may_apply(const floe_ice_metadata *m, const floe_ice_data_file *del, int64_t del_seq,
                               const floe_ice_data_file *data, int64_t data_seq) {
    if (del->content == FLOE_ICE_CONTENT_POSITION_DELETES) {
        if (data_seq > del_seq || !same_partition(data, del)) return 0;
        /* The file_path bounds say which data files the deletes name. */
        const floe_ice_bound *lo = bound_of(del->lower_bounds, del->nlower_bounds, FIELD_FILE_PATH);
        const floe_ice_bound *hi = bound_of(del->upper_bounds, del->nupper_bounds, FIELD_FILE_PATH);
        if (lo && bytes_cmp(data->file_path, lo) < 0) return 0;
        if (hi && bytes_cmp(data->file_path, hi) > 0) return 0;
        return 1;
    }
    if (data_seq >= del_seq) return 0;
    return spec_unpartitioned(floe_ice_metadata_spec_by_id(m, del->spec_id)) || same_partition(data, del);
}

/* The spec's scope rules for delete file d and a data file. */
static int delete_applies(const floe_ice_metadata *m, const floe_scan_delete *d, const floe_scan_task *task) {
    return floe_scan_delete_may_apply(m, &d->file, d->data_seq, &task->file, task->data_seq);
}

int floe_scan_plan_build(floe_table *t, const floe_scan_request *req, floe_scan_plan *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    out->snapshot_id = -1;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    if (project_columns(schema, req, out, err)) goto fail;
    if (req->where) {
        floe_expr *u = floe_expr_parse(req->where, err);
        if (u) out->filter = floe_expr_bind(u, schema, err);
        floe_expr_free(u);
        if (!out->filter) {
            floe_err_prefix(err, "--where");
            goto fail;
        }
    }
    const floe_ice_snapshot *s;
    if (pick_snapshot(t, req, &s, err)) goto fail;
    if (!s) return 0;
    out->snapshot_id = s->snapshot_id;
    floe_ice_manifest_file *mfs;
    int nm, cap_tasks = 0, cap_deletes = 0, rc = 0;
    if (floe_table_manifests(t, s, &mfs, &nm, err)) goto fail;
    projections pr = {0};
    for (int i = 0; i < nm && rc == 0; i++) rc = plan_manifest(t, &mfs[i], &pr, out, &cap_tasks, &cap_deletes, err);
    projections_free(&pr);
    floe_table_manifests_free(mfs, nm);
    if (rc) goto fail;
    for (int i = 0; i < out->ntasks; i++) {
        floe_scan_task *task = &out->tasks[i];
        for (int j = 0; j < out->ndeletes; j++) {
            if (!delete_applies(m, &out->deletes[j], task)) continue;
            task->deletes = floe_xrealloc(task->deletes, sizeof *task->deletes * (size_t)(task->ndeletes + 1));
            task->deletes[task->ndeletes++] = j;
        }
    }
    return 0;
fail:
    floe_scan_plan_free(out);
    return -1;
}

/* ---- delete files ------------------------------------------------------------- */

/* A set of byte strings (encoded equality rows), open addressing. */
typedef struct key_slot {
    size_t off;
    uint32_t len, hash;
    int used;
} key_slot;

typedef struct keyset {
    floe_buf bytes;
    key_slot *slots;
    size_t cap, n;
} keyset;

static int keyset_find(const keyset *k, const uint8_t *p, size_t n, uint32_t h, size_t *at) {
    size_t i = h & (k->cap - 1);
    for (;; i = (i + 1) & (k->cap - 1)) {
        const key_slot *s = &k->slots[i];
        if (!s->used) break;
        if (s->hash == h && s->len == n && (n == 0 || memcmp(k->bytes.data + s->off, p, n) == 0)) {
            *at = i;
            return 1;
        }
    }
    *at = i;
    return 0;
}

static void keyset_add(keyset *k, const uint8_t *p, size_t n) {
    if (2 * (k->n + 1) > k->cap) {
        keyset old = *k;
        k->cap = old.cap ? old.cap * 2 : 64;
        k->slots = floe_xcalloc(k->cap, sizeof *k->slots);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.slots[i].used) continue;
            size_t at;
            keyset_find(k, old.bytes.data + old.slots[i].off, old.slots[i].len, old.slots[i].hash, &at);
            k->slots[at] = old.slots[i];
        }
        free(old.slots);
    }
    uint32_t h = floe_murmur3_32(p, n, 0);
    size_t at;
    if (keyset_find(k, p, n, h, &at)) return;
    k->slots[at] = (key_slot){k->bytes.len, (uint32_t)n, h, 1};
    floe_buf_append(&k->bytes, p, n);
    k->n++;
}

static int keyset_has(const keyset *k, const uint8_t *p, size_t n) {
    size_t at;
    return k->cap > 0 && keyset_find(k, p, n, floe_murmur3_32(p, n, 0), &at);
}

/* Appends one value of an equality row: a null mark, or a length and the
 * single-value bytes. */
static void key_put(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *key) {
    if (v->is_null) {
        floe_buf_putc(key, 0);
        return;
    }
    floe_buf_putc(key, 1);
    size_t at = key->len;
    floe_buf_append(key, "\0\0\0\0", 4);
    floe_ice_value_to_bytes(t, v, key);
    uint32_t n = (uint32_t)(key->len - at - 4);
    memcpy(key->data + at, &n, 4);
}

typedef struct pos_run {
    char *path;
    int64_t *pos;
    int n, cap;
} pos_run;

struct delete_rows {
    pos_run *runs; /* position deletes */
    int nruns;
    keyset keys;   /* equality deletes */
};

static void delete_rows_free(struct delete_rows *d) {
    if (!d) return;
    for (int i = 0; i < d->nruns; i++) {
        free(d->runs[i].path);
        free(d->runs[i].pos);
    }
    free(d->runs);
    floe_buf_free(&d->keys.bytes);
    free(d->keys.slots);
    free(d);
}

int floe_scan_delete_names(const floe_scan_delete *d, const char *path) {
    if (d->file.content != FLOE_ICE_CONTENT_POSITION_DELETES) return 0;
    if (!d->rows) return 1;
    for (int i = 0; i < d->rows->nruns; i++)
        if (strcmp(d->rows->runs[i].path, path) == 0) return 1;
    return 0;
}

void floe_scan_plan_free(floe_scan_plan *p) {
    floe_expr_free(p->filter);
    free(p->columns);
    for (int i = 0; i < p->ntasks; i++) {
        floe_ice_data_file_free(&p->tasks[i].file);
        free(p->tasks[i].deletes);
    }
    free(p->tasks);
    for (int i = 0; i < p->ndeletes; i++) {
        floe_ice_data_file_free(&p->deletes[i].file);
        delete_rows_free(p->deletes[i].rows);
    }
    free(p->deletes);
    memset(p, 0, sizeof *p);
    p->snapshot_id = -1;
}

/* ---- opening files --------------------------------------------------------------- */

typedef struct io_src {
    floe_fileio *io;
    const char *uri;
} io_src;

static int io_read(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    io_src *s = ctx;
    return s->io->read_range(s->io, s->uri, off, buf, len, err);
}

static floe_pq_reader *open_file(floe_table *t, const floe_ice_data_file *f, io_src *src, floe_err *err) {
    if (!f->file_format || strcasecmp(f->file_format, "PARQUET") != 0) {
        floe_err_set(err, FLOE_EUNSUPPORTED, "%s: a %s file (floe reads Parquet data and delete files only)",
                     f->file_path, f->file_format ? f->file_format : "format-less");
        return NULL;
    }
    src->io = t->io;
    src->uri = f->file_path;
    uint64_t size = f->file_size_in_bytes > 0 ? (uint64_t)f->file_size_in_bytes : 0;
    if (!size && t->io->size(t->io, f->file_path, &size, err)) return NULL;
    floe_pq_reader *r = floe_pq_reader_open(io_read, src, size, f->file_path, err);
    if (!r) return NULL;
    /* Matching is by field id: a file without any cannot be read. */
    const floe_pq_schema *ps = floe_pq_reader_schema(r);
    for (int i = 0; i < ps->nleaves; i++)
        if (ps->leaves[i]->has_field_id) return r;
    if (ps->nleaves == 0) return r;
    floe_pq_reader_free(r);
    floe_err_set(err, FLOE_EUNSUPPORTED, "%s: the file's columns have no field ids (a name mapping would be needed)",
                 f->file_path);
    return NULL;
}

/* A column a reader needs values of: its leaf (-1 when the file lacks it)
 * and type. */
typedef struct value_col {
    int32_t id;
    int leaf;
    const floe_ice_field *field;
    uint8_t scratch[8];
} value_col;

static int value_col_init(value_col *c, const floe_ice_metadata *m, const floe_pq_schema *ps, int32_t id,
                          const char *file, floe_err *err) {
    memset(c, 0, sizeof *c);
    c->id = id;
    c->field = field_any(m, id);
    const floe_pq_node *leaf = floe_pq_schema_leaf_by_id(ps, id);
    c->leaf = leaf ? leaf->leaf_index : -1;
    if (!c->field) return floe_err_set(err, FLOE_ECORRUPT, "%s: no schema of the table has field id %d", file, (int)id);
    if (leaf && leaf->max_rep != 0)
        return floe_err_set(err, FLOE_ECORRUPT, "%s: column '%s' (field id %d) is repeated in the file but not in the table",
                            file, leaf->name, (int)id);
    return 0;
}

/* The current row's value of column c. */
static int value_get(floe_pq_row_reader *rr, const floe_pq_schema *ps, value_col *c, floe_ice_datum *out,
                     const char *file, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_pq_value v;
    if (c->leaf < 0 || floe_pq_rows_peek(rr, c->leaf, &v) != 0 || v.is_null) {
        out->is_null = 1;
        return 0;
    }
    const floe_pq_node *leaf = ps->leaves[c->leaf];
    if (floe_ice_datum_from_plain(c->field->type, leaf, v.plain, v.len, c->scratch, out)) return 0;
    floe_buf tn;
    floe_buf_init(&tn);
    floe_ice_type_name(c->field->type, &tn);
    floe_err_set(err, FLOE_EUNSUPPORTED, "%s: column '%s' holds Parquet %s values, which floe cannot read as %s", file,
                 leaf->name, floe_pq_physical_name(leaf->physical), floe_buf_cstr(&tn));
    floe_buf_free(&tn);
    return -1;
}

/* Reads columns `ids` of every row of a delete file, calling fn with their
 * values in that order. */
typedef int (*row_values_fn)(void *ctx, const value_col *cols, const floe_ice_datum *vals, floe_err *err);

static int read_values(floe_table *t, const floe_ice_data_file *f, const int32_t *ids, int n, row_values_fn fn,
                       void *ctx, floe_err *err) {
    io_src src;
    floe_pq_reader *r = open_file(t, f, &src, err);
    if (!r) return -1;
    const floe_pq_schema *ps = floe_pq_reader_schema(r);
    value_col *cols = floe_xcalloc((size_t)n + 1, sizeof *cols);
    floe_ice_datum *vals = floe_xcalloc((size_t)n + 1, sizeof *vals);
    int *leaves = floe_xcalloc((size_t)n + 1, sizeof *leaves), nleaves = 0, rc = 0;
    floe_pq_row_reader *rr = NULL;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = value_col_init(&cols[i], floe_table_meta(t), ps, ids[i], f->file_path, err);
        if (rc == 0 && cols[i].leaf >= 0) leaves[nleaves++] = cols[i].leaf;
    }
    if (rc == 0 && !(rr = floe_pq_rows_open(r, leaves, nleaves, err))) rc = -1;
    while (rc == 0) {
        int got = floe_pq_rows_peek_row(rr, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        for (int i = 0; i < n && rc == 0; i++) rc = value_get(rr, ps, &cols[i], &vals[i], f->file_path, err);
        if (rc == 0) rc = fn(ctx, cols, vals, err);
        if (rc == 0 && floe_pq_rows_skip(rr, err) < 0) rc = -1;
    }
    floe_pq_rows_free(rr);
    free(leaves);
    free(vals);
    free(cols);
    floe_pq_reader_free(r);
    return rc;
}

static int add_position(void *ctx, const value_col *cols, const floe_ice_datum *v, floe_err *err) {
    struct delete_rows *d = ctx;
    (void)cols;
    if (v[0].is_null || v[1].is_null)
        return floe_err_set(err, FLOE_ECORRUPT, "a position delete has a null file_path or pos");
    pos_run *r = d->nruns ? &d->runs[d->nruns - 1] : NULL;
    if (!r || strlen(r->path) != v[0].n || memcmp(r->path, v[0].p, v[0].n) != 0) {
        d->runs = floe_xrealloc(d->runs, sizeof *d->runs * (size_t)(d->nruns + 1));
        r = &d->runs[d->nruns++];
        memset(r, 0, sizeof *r);
        r->path = floe_xstrndup((const char *)v[0].p, v[0].n);
    }
    r->pos = grow(r->pos, r->n, &r->cap, sizeof *r->pos);
    r->pos[r->n++] = v[1].i;
    return 0;
}

typedef struct eq_load {
    struct delete_rows *d;
    int n;
    floe_buf key;
} eq_load;

static int add_equality(void *ctx, const value_col *cols, const floe_ice_datum *v, floe_err *err) {
    eq_load *l = ctx;
    l->key.len = 0;
    for (int i = 0; i < l->n; i++) key_put(cols[i].field->type, &v[i], &l->key);
    keyset_add(&l->d->keys, l->key.data, l->key.len);
    (void)err;
    return 0;
}

static int load_delete(floe_table *t, floe_scan_delete *d, floe_err *err) {
    if (d->rows) return 0;
    struct delete_rows *rows = floe_xcalloc(1, sizeof *rows);
    int rc;
    if (d->file.content == FLOE_ICE_CONTENT_POSITION_DELETES) {
        static const int32_t ids[2] = {FIELD_FILE_PATH, FIELD_POS};
        rc = read_values(t, &d->file, ids, 2, add_position, rows, err);
    } else if (d->file.nequality_ids == 0) {
        rc = floe_err_set(err, FLOE_ECORRUPT, "%s: an equality delete file without equality_ids", d->file.file_path);
    } else {
        eq_load l = {rows, d->file.nequality_ids, {0}};
        rc = read_values(t, &d->file, d->file.equality_ids, d->file.nequality_ids, add_equality, &l, err);
        floe_buf_free(&l.key);
    }
    if (rc) {
        delete_rows_free(rows);
        return -1;
    }
    d->rows = rows;
    return 0;
}

/* ---- reading data files ------------------------------------------------------------ */

typedef struct shape_ctx {
    const floe_ice_schema *schema;
    const floe_scan_plan *plan;
    floe_arena *arena;
} shape_ctx;

/* A struct's members in the table's order and names, matched by field id. */
static int shape(void *ctx, const floe_pq_node *g, const floe_pq_member **out) {
    shape_ctx *sc = ctx;
    const floe_ice_type *st = sc->schema->root;
    if (g->parent) {
        const floe_ice_field *f = g->has_field_id ? floe_ice_schema_field_by_id(sc->schema, g->field_id) : NULL;
        if (!f || f->type->kind != FLOE_ICE_STRUCT) return -1;
        st = f->type;
    }
    floe_pq_member *m = floe_arena_alloc(sc->arena, sizeof *m * (size_t)(st->nfields + 1));
    int n = 0;
    for (int i = 0; i < st->nfields; i++) {
        const floe_ice_field *f = st->fields[i];
        if (!shown(sc->schema, sc->plan, f)) continue;
        m[n].name = f->name;
        m[n].child = -1;
        for (int c = 0; c < g->nchildren; c++)
            if (g->children[c]->has_field_id && g->children[c]->field_id == f->id) m[n].child = c;
        n++;
    }
    *out = m;
    return n;
}

typedef struct read_state {
    floe_table *t;
    floe_scan_plan *plan;
    int64_t limit;
    floe_scan_row_fn fn;
    void *ctx;
    floe_scan_counts *counts;
    int stop;
    floe_buf row, key;
} read_state;

/* The positions the position deletes of a task remove, sorted. */
static int task_positions(read_state *st, const floe_scan_task *task, int64_t **out, int *nout, floe_err *err) {
    int64_t *pos = NULL;
    int n = 0;
    for (int i = 0; i < task->ndeletes; i++) {
        floe_scan_delete *d = &st->plan->deletes[task->deletes[i]];
        if (d->file.content != FLOE_ICE_CONTENT_POSITION_DELETES) continue;
        if (load_delete(st->t, d, err)) {
            free(pos);
            return -1;
        }
        for (int r = 0; r < d->rows->nruns; r++) {
            const pos_run *run = &d->rows->runs[r];
            if (strcmp(run->path, task->file.file_path) != 0) continue;
            pos = floe_xrealloc(pos, sizeof *pos * (size_t)(n + run->n + 1));
            memcpy(pos + n, run->pos, sizeof *pos * (size_t)run->n);
            n += run->n;
        }
    }
    if (n) qsort(pos, (size_t)n, sizeof *pos, cmp_i64);
    *out = pos;
    *nout = n;
    return 0;
}

/* Whether an applicable equality delete removes the current row. */
static int equality_deleted(read_state *st, const floe_scan_task *task, const value_col *cols,
                            const floe_ice_datum *vals, int ncols) {
    for (int i = 0; i < task->ndeletes; i++) {
        const floe_scan_delete *d = &st->plan->deletes[task->deletes[i]];
        if (d->file.content != FLOE_ICE_CONTENT_EQUALITY_DELETES) continue;
        st->key.len = 0;
        for (int k = 0; k < d->file.nequality_ids; k++)
            for (int c = 0; c < ncols; c++)
                if (cols[c].id == d->file.equality_ids[k]) key_put(cols[c].field->type, &vals[c], &st->key);
        if (keyset_has(&d->rows->keys, st->key.data, st->key.len)) return 1;
    }
    return 0;
}

/* Row group pruning: the filter's columns' Parquet statistics, as the
 * metrics of a data file holding just that row group. */
typedef struct rg_ctx {
    const floe_expr *filter;
    const floe_pq_schema *ps;
    value_col *cols;                    /* the filter's slots */
    int n;
    floe_ice_metric *values, *nulls;
    floe_ice_bound *lower, *upper;
    floe_buf *bytes;                    /* 2 per slot: lower, upper */
} rg_ctx;

static int rg_may_match(void *ctx, const floe_pq_reader *r, int rg) {
    rg_ctx *c = ctx;
    floe_ice_data_file f;
    memset(&f, 0, sizeof f);
    f.record_count = floe_pq_reader_row_group_rows(r, rg);
    f.value_counts = c->values;
    f.null_value_counts = c->nulls;
    f.lower_bounds = c->lower;
    f.upper_bounds = c->upper;
    for (int i = 0; i < c->n; i++) {
        value_col *col = &c->cols[i];
        floe_pq_chunk_info ci;
        if (col->leaf < 0) {
            /* A column the file lacks is null in every row. */
            c->values[f.nvalue_counts++] = (floe_ice_metric){col->id, f.record_count};
            c->nulls[f.nnull_value_counts++] = (floe_ice_metric){col->id, f.record_count};
            continue;
        }
        if (floe_pq_reader_chunk_info(r, rg, col->leaf, &ci)) continue;
        c->values[f.nvalue_counts++] = (floe_ice_metric){col->id, ci.num_values};
        if (ci.has_null_count) c->nulls[f.nnull_value_counts++] = (floe_ice_metric){col->id, ci.stats.null_count};
        const floe_pq_node *leaf = c->ps->leaves[col->leaf];
        uint8_t lo_scratch[8], hi_scratch[8];
        floe_ice_datum lo, hi;
        if (!ci.stats.has_min_max ||
            !floe_ice_datum_from_plain(col->field->type, leaf, ci.stats.min, ci.stats.min_len, lo_scratch, &lo) ||
            !floe_ice_datum_from_plain(col->field->type, leaf, ci.stats.max, ci.stats.max_len, hi_scratch, &hi))
            continue;
        floe_buf *lb = &c->bytes[2 * i], *hb = &c->bytes[2 * i + 1];
        lb->len = hb->len = 0;
        floe_ice_value_to_bytes(col->field->type, &lo, lb);
        floe_ice_value_to_bytes(col->field->type, &hi, hb);
        c->lower[f.nlower_bounds++] = (floe_ice_bound){col->id, lb->data, (uint32_t)lb->len};
        c->upper[f.nupper_bounds++] = (floe_ice_bound){col->id, hb->data, (uint32_t)hb->len};
    }
    return floe_expr_eval_metrics(c->filter, &f);
}

static void rg_ctx_init(rg_ctx *c, const floe_expr *filter, const floe_pq_schema *ps, value_col *cols, int n) {
    c->filter = filter;
    c->ps = ps;
    c->cols = cols;
    c->n = n;
    c->values = floe_xcalloc((size_t)n + 1, sizeof *c->values);
    c->nulls = floe_xcalloc((size_t)n + 1, sizeof *c->nulls);
    c->lower = floe_xcalloc((size_t)n + 1, sizeof *c->lower);
    c->upper = floe_xcalloc((size_t)n + 1, sizeof *c->upper);
    c->bytes = floe_xcalloc(2 * (size_t)n + 1, sizeof *c->bytes);
}

static void rg_ctx_free(rg_ctx *c) {
    for (int i = 0; i < 2 * c->n; i++) floe_buf_free(&c->bytes[i]);
    free(c->bytes);
    free(c->values);
    free(c->nulls);
    free(c->lower);
    free(c->upper);
}

static int read_task(read_state *st, const floe_scan_task *task, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(st->t);
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    const char *file = task->file.file_path;
    for (int i = 0; i < task->ndeletes; i++)
        if (load_delete(st->t, &st->plan->deletes[task->deletes[i]], err)) return -1;
    int64_t *pos = NULL;
    int npos = 0, pi = 0;
    if (task_positions(st, task, &pos, &npos, err)) return -1;

    io_src src;
    floe_pq_reader *r = open_file(st->t, &task->file, &src, err);
    if (!r) {
        free(pos);
        return -1;
    }
    const floe_pq_schema *ps = floe_pq_reader_schema(r);
    /* Value columns: the filter's slots first (so vals is its value array),
     * then the equality delete columns. */
    int nslots = st->plan->filter ? st->plan->filter->nids : 0, ncols = 0, rc = 0;
    int maxcols = nslots;
    for (int i = 0; i < task->ndeletes; i++) maxcols += st->plan->deletes[task->deletes[i]].file.nequality_ids;
    value_col *cols = floe_xcalloc((size_t)maxcols + 1, sizeof *cols);
    floe_ice_datum *vals = floe_xcalloc((size_t)maxcols + 1, sizeof *vals);
    for (int i = 0; i < nslots && rc == 0; i++) rc = value_col_init(&cols[ncols++], m, ps, st->plan->filter->ids[i], file, err);
    for (int i = 0; i < task->ndeletes && rc == 0; i++) {
        const floe_ice_data_file *d = &st->plan->deletes[task->deletes[i]].file;
        for (int k = 0; k < d->nequality_ids && rc == 0; k++) {
            int seen = 0;
            for (int c = 0; c < ncols; c++) seen |= cols[c].id == d->equality_ids[k];
            if (!seen) rc = value_col_init(&cols[ncols++], m, ps, d->equality_ids[k], file, err);
        }
    }
    uint8_t *sel = floe_xcalloc((size_t)ps->nleaves + 1, 1);
    for (int i = 0; i < ps->nleaves; i++) {
        const floe_pq_node *leaf = ps->leaves[i];
        const floe_ice_field *f = leaf->has_field_id ? floe_ice_schema_field_by_id(schema, leaf->field_id) : NULL;
        sel[i] = f && included(st->plan, f);
    }
    for (int c = 0; c < ncols; c++)
        if (cols[c].leaf >= 0) sel[cols[c].leaf] = 1;
    int *leaves = floe_xcalloc((size_t)ps->nleaves + 1, sizeof *leaves), nleaves = 0;
    for (int i = 0; i < ps->nleaves; i++)
        if (sel[i]) leaves[nleaves++] = i;
    floe_arena arena;
    floe_arena_init(&arena, 4096);
    shape_ctx sc = {schema, st->plan, &arena};
    floe_pq_row_reader *rr = rc ? NULL : floe_pq_rows_open_shaped(r, leaves, nleaves, shape, &sc, err);
    if (!rr) rc = -1;
    rg_ctx rgc;
    rg_ctx_init(&rgc, st->plan->filter, ps, cols, rc ? 0 : nslots);
    if (rr && st->plan->filter) floe_pq_rows_set_filter(rr, rg_may_match, &rgc);
    st->counts->files_read += rc == 0;
    while (rc == 0 && !st->stop) {
        int got = floe_pq_rows_peek_row(rr, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        st->counts->rows_read++;
        int64_t idx = floe_pq_rows_index(rr);
        while (pi < npos && pos[pi] < idx) pi++;
        int deleted = pi < npos && pos[pi] == idx, keep = !deleted;
        for (int c = 0; c < ncols && keep && rc == 0; c++) rc = value_get(rr, ps, &cols[c], &vals[c], file, err);
        if (rc) break;
        if (keep && equality_deleted(st, task, cols, vals, ncols)) deleted = 1, keep = 0;
        if (keep && st->plan->filter) keep = floe_expr_eval(st->plan->filter, vals);
        st->counts->rows_deleted += deleted;
        if (!keep) {
            if (floe_pq_rows_skip(rr, err) < 0) rc = -1;
            continue;
        }
        st->row.len = 0;
        if (floe_pq_rows_next_json(rr, &st->row, err) < 0) {
            rc = -1;
            break;
        }
        int r2 = st->fn(st->ctx, (const char *)st->row.data, st->row.len, err);
        if (r2 < 0) {
            rc = -1;
            break;
        }
        st->counts->rows++;
        if (r2 > 0 || (st->limit > 0 && st->counts->rows >= st->limit)) st->stop = 1;
    }
    floe_pq_rows_free(rr);
    rg_ctx_free(&rgc);
    floe_arena_free(&arena);
    free(leaves);
    free(sel);
    free(vals);
    free(cols);
    floe_pq_reader_free(r);
    free(pos);
    return rc;
}

int floe_scan_read(floe_table *t, floe_scan_plan *p, int64_t limit, floe_scan_row_fn fn, void *ctx,
                   floe_scan_counts *counts, floe_err *err) {
    floe_scan_counts local;
    if (!counts) counts = &local;
    memset(counts, 0, sizeof *counts);
    read_state st = {t, p, limit, fn, ctx, counts, 0, {0}, {0}};
    int rc = 0;
    for (int i = 0; i < p->ntasks && rc == 0 && !st.stop; i++) rc = read_task(&st, &p->tasks[i], err);
    floe_buf_free(&st.row);
    floe_buf_free(&st.key);
    return rc;
}

/* ---- the public scan ----------------------------------------------------------------- */

/* "--as-of" text: milliseconds since the epoch, or an ISO date/timestamp. */
static int parse_as_of(const char *s, int64_t *ms, floe_err *err) {
    size_t n = strlen(s), i = s[0] == '-';
    int digits = n > i;
    for (size_t k = i; k < n; k++) digits &= s[k] >= '0' && s[k] <= '9';
    if (digits && n < 19) {
        *ms = strtoll(s, NULL, 10);
        return 0;
    }
    if (floe_parse_timestamp(s, n, FLOE_UNIT_MILLIS, ms) == 0) return 0;
    return floe_err_set(err, FLOE_EINVAL,
                        "--as-of: '%s' is not a time (2017-11-16T10:00:00, with an optional offset, a date, or "
                        "milliseconds since the epoch)",
                        s);
}

int floe_table_scan(floe_catalog_handle *c, const char *table, const floe_scan_opts *opts, floe_scan_row_fn fn,
                    void *ctx, floe_scan_result *res, floe_err *err) {
    floe_scan_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->snapshot_id = -1;
    floe_scan_request req;
    memset(&req, 0, sizeof req);
    req.where = opts->where;
    req.has_snapshot_id = opts->has_snapshot;
    req.snapshot_id = opts->snapshot_id;
    req.columns = opts->columns;
    req.ncolumns = opts->ncolumns;
    if (opts->as_of) {
        if (opts->has_snapshot)
            return floe_err_set(err, FLOE_EINVAL, "--as-of: give a snapshot id or a time, not both");
        if (parse_as_of(opts->as_of, &req.as_of_ms, err)) return -1;
        req.has_as_of = 1;
    }
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    floe_scan_plan plan;
    floe_scan_counts counts;
    memset(&counts, 0, sizeof counts);
    int rc = floe_scan_plan_build(t, &req, &plan, err);
    if (rc == 0) {
        rc = floe_scan_read(t, &plan, opts->limit, fn, ctx, &counts, err);
        res->snapshot_id = plan.snapshot_id;
        res->manifests = plan.manifests;
        res->manifests_skipped = plan.manifests_skipped;
        res->files = plan.ntasks;
        res->files_skipped = plan.files_skipped_partition + plan.files_skipped_metrics;
        res->delete_files = plan.ndeletes;
        res->files_read = counts.files_read;
        res->rows_read = counts.rows_read;
        res->rows_deleted = counts.rows_deleted;
        res->rows = counts.rows;
        floe_scan_plan_free(&plan);
    }
    floe_table_free(t);
    return rc;
}
