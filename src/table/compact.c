/*
 * compact.c — compaction of small data files (floe_compact in
 * floe/maintenance.h; Java's RewriteDataFiles with its bin-pack strategy,
 * partial progress and the starting sequence number).
 *
 * Planning: one scan plan of the current snapshot P (scan.c) gives every
 * live data file with its data sequence number and the delete files that
 * apply to it.  Files are grouped by partition (spec id and tuple); in a
 * partition, the files smaller than small_file_bytes are candidates, and
 * the partition is compacted when it has min_input_files of them or a
 * delete file applies to one.  Candidates are packed, largest first, into
 * bins of at most target_file_bytes of input (first fit); a bin of one
 * file is kept only when deletes apply to it (rewriting it drops them).
 * Each bin is a group, and each group is its own `replace` snapshot, so
 * that a conflict costs one group and a streaming writer's commit never
 * waits for a whole compaction.
 *
 * Rewriting: a group's files are read by the scan reader, which matches
 * the files' columns to the table's current schema by field id (columns a
 * file lacks read as null, dropped ones are ignored; files of other
 * engines and older schemas alike) and applies the position and equality
 * deletes of the plan.  Rows come out in floe's NDJSON forms, which floe
 * reads back unchanged (docs/ndjson.md), into the partitioned data-file
 * writer, which rolls files at the target size.  With `sort`, a group's
 * rows are held in memory and ordered by the table's default sort order
 * (transforms applied, directions and null orders honoured) first.
 *
 * Sequence numbers (spec "Sequence Numbers", "Scan Planning": a position
 * delete applies to data files of data sequence number <= its own, an
 * equality delete to those of data sequence number < its own).  The new
 * files get the data sequence number of P, the snapshot the rewrite read
 * (Java's use-starting-sequence-number), not the replace snapshot's:
 *   - every delete file in P has a sequence number <= seq(P), so none of
 *     them applies to the new files: an equality delete needs a data
 *     sequence number below its own, and a position delete names the old
 *     files' paths only.  That is right, as the rewrite applied them;
 *   - an equality delete committed after P (sequence number > seq(P))
 *     applies to the new files, as it applied to the rows they came from
 *     (whose data sequence numbers were <= seq(P)).  With the replace
 *     snapshot's own number instead, such a delete committed while the
 *     group was being rewritten would silently stop applying;
 *   - a position delete committed after P names an old file; it cannot be
 *     carried over, so a group with one that may apply to its inputs gives
 *     up (Java's validateNoNewDeletesForDataFiles, which also ignores
 *     equality deletes when the starting sequence number is used).
 *
 * Committing a group (and every retry): the group's inputs must all still
 * be live in the branch head (a concurrent compaction or delete that took
 * one means giving up the group: its files are deleted); data files a
 * concurrent append added are carried along (rebase).  Delete files that
 * applied to the group's inputs are dropped when they apply to no other
 * live data file (position deletes: by the paths they name; equality
 * deletes: by the scope rules).  Manifests holding a replaced file are
 * rewritten into one manifest per spec and content, with the replaced
 * entries DELETED and the others EXISTING (older DELETED entries are
 * dropped, as Java's merge does); the others are carried over; the new
 * files get a manifest of their own.  The commit requires main to still
 * point at the attempt's base; an unknown outcome is resolved by looking
 * for the group's floe.commit-id in main's ancestry, and its files are
 * never deleted.
 */
#include "table/compact.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/expire.h"
#include "table/reach.h"
#include "table/scan.h"
#include "table/snapshot_write.h"
#include "util/clock.h"
#include "util/text.h"

#define DEFAULT_TARGET ((int64_t)512 << 20)
#define DEFAULT_MIN_FILES 5
#define PROGRESS_ROWS 4096

/* ---- the compactor ---------------------------------------------------------------- */

typedef struct cgroup {
    int *tasks;                /* indexes into plan.tasks */
    int n;
    int64_t bytes, records;
    char *partition;           /* the partition's path ("" unpartitioned) */
} cgroup;

typedef struct compactor {
    floe_table *t;
    floe_compact_opts o;
    floe_compact_hook hook;
    void *hook_ctx;
    floe_compact_result *r;
    floe_scan_plan plan;
    int64_t start_seq;         /* the data sequence number of the plan's snapshot */
    floe_ice_metadata *wmeta;  /* the writer's metadata: the table's, with the target size */
    const floe_ice_sort_order *order; /* NULL: no sorting */
    cgroup *groups;
    int ngroups;
    int64_t total_bytes, done_bytes;
    int stopped;               /* the progress callback asked to stop */
} compactor;

static int progress(compactor *c, int64_t done) {
    if (!c->o.progress || c->stopped) return c->stopped;
    if (c->o.progress(c->o.progress_ctx, "bytes", done, c->total_bytes)) c->stopped = 1;
    return c->stopped;
}

/* ---- planning --------------------------------------------------------------------- */

/* Bytes that identify a partition: spec id and tuple. */
static void partition_key(const floe_ice_data_file *f, floe_buf *out) {
    out->len = 0;
    floe_buf_append(out, &f->spec_id, sizeof f->spec_id);
    for (int k = 0; k < f->npartition; k++) {
        const floe_ice_datum *v = &f->partition[k];
        floe_buf_putc(out, (uint8_t)!v->is_null);
        if (v->is_null) continue;
        uint64_t len = v->n;
        floe_buf_append(out, &v->i, sizeof v->i);
        floe_buf_append(out, &v->d, sizeof v->d);
        floe_buf_append(out, &len, sizeof len);
        if (v->n) floe_buf_append(out, v->p, v->n);
    }
}

typedef struct keyed {
    int task;
    floe_buf key;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = n ? memcmp(x->key.data, y->key.data, n) : 0;
    if (c) return c;
    if (x->key.len != y->key.len) return x->key.len < y->key.len ? -1 : 1;
    return x->task - y->task;
}

/* The partition's path text under its spec ("" unpartitioned, "spec-N"
 * when the spec's source columns are gone from the current schema). */
static char *partition_text(const floe_ice_metadata *m, const floe_ice_data_file *f) {
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, f->spec_id);
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_reserve(&b, 1);
    if (spec && spec->nfields > 0 && f->npartition >= spec->nfields) {
        floe_err ignored = {0};
        floe_ice_type *pt = floe_ice_spec_partition_type(spec, floe_ice_metadata_schema(m), &ignored);
        if (pt) floe_ice_spec_partition_path(spec, pt, f->partition, &b);
        else floe_buf_printf(&b, "spec-%d", (int)f->spec_id);
        floe_ice_type_free(pt);
    }
    char *s = floe_xstrndup((const char *)b.data, b.len);
    floe_buf_free(&b);
    return s;
}

typedef struct sized {
    int task;
    int64_t size;
} sized;

static int cmp_size_desc(const void *a, const void *b) {
    const sized *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->task - y->task;
}

/* Packs one partition's candidates into groups. */
static void plan_partition(compactor *c, const int *tasks, int n) {
    const floe_scan_plan *p = &c->plan;
    sized *cand = floe_xcalloc((size_t)n + 1, sizeof *cand);
    int ncand = 0, deletes = 0;
    for (int i = 0; i < n; i++) {
        const floe_scan_task *task = &p->tasks[tasks[i]];
        if (task->file.file_size_in_bytes >= c->o.small_file_bytes) continue;
        cand[ncand++] = (sized){tasks[i], task->file.file_size_in_bytes};
        deletes |= task->ndeletes > 0;
    }
    if (ncand == 0 || (ncand < c->o.min_input_files && !deletes)) {
        free(cand);
        return;
    }
    char *text = partition_text(floe_table_meta(c->t), &p->tasks[cand[0].task].file);
    if (c->o.partition_filter && !strstr(text, c->o.partition_filter)) {
        free(text);
        free(cand);
        return;
    }
    qsort(cand, (size_t)ncand, sizeof *cand, cmp_size_desc);
    /* First fit, largest first. */
    cgroup *bins = floe_xcalloc((size_t)ncand, sizeof *bins);
    int nbins = 0;
    for (int i = 0; i < ncand; i++) {
        int b = 0;
        while (b < nbins && bins[b].bytes + cand[i].size > c->o.target_file_bytes) b++;
        if (b == nbins) bins[nbins++].tasks = floe_xcalloc((size_t)ncand, sizeof *bins[b].tasks);
        bins[b].tasks[bins[b].n++] = cand[i].task;
        bins[b].bytes += cand[i].size;
        bins[b].records += p->tasks[cand[i].task].file.record_count;
    }
    for (int b = 0; b < nbins; b++) {
        int has_deletes = 0;
        for (int i = 0; i < bins[b].n; i++) has_deletes |= p->tasks[bins[b].tasks[i]].ndeletes > 0;
        if (bins[b].n < 2 && !has_deletes) {
            free(bins[b].tasks);
            continue;
        }
        c->groups = floe_xrealloc(c->groups, sizeof *c->groups * (size_t)(c->ngroups + 1));
        bins[b].partition = floe_xstrdup(text);
        c->groups[c->ngroups++] = bins[b];
    }
    free(bins);
    free(text);
    free(cand);
}

static void plan_groups(compactor *c) {
    const floe_scan_plan *p = &c->plan;
    keyed *k = floe_xcalloc((size_t)p->ntasks + 1, sizeof *k);
    for (int i = 0; i < p->ntasks; i++) {
        k[i].task = i;
        floe_buf_init(&k[i].key);
        partition_key(&p->tasks[i].file, &k[i].key);
    }
    qsort(k, (size_t)p->ntasks, sizeof *k, cmp_keyed);
    int *tasks = floe_xcalloc((size_t)p->ntasks + 1, sizeof *tasks);
    for (int i = 0; i < p->ntasks;) {
        int j = i, n = 0;
        while (j < p->ntasks && k[j].key.len == k[i].key.len && memcmp(k[j].key.data, k[i].key.data, k[i].key.len) == 0)
            tasks[n++] = k[j++].task;
        plan_partition(c, tasks, n);
        i = j;
    }
    for (int i = 0; i < p->ntasks; i++) floe_buf_free(&k[i].key);
    free(tasks);
    free(k);
}

/* ---- sorting -------------------------------------------------------------------- */

typedef struct sort_key {
    const floe_ice_field *field;   /* the source column */
    const floe_ice_sort_field *sf;
    floe_ice_type *result;         /* the transform's result type */
} sort_key;

typedef struct sorter {
    sort_key *keys;
    int nkeys;
    floe_buf rows;                 /* the rows' JSON, back to back */
    size_t *off, *len;
    floe_ice_datum *vals;          /* nkeys per row; bytes in `bytes` (offsets until sorted) */
    floe_buf bytes;
    int n, cap;
} sorter;

/* A JSON value of the rows' forms (docs/ndjson.md) as a datum of type t;
 * bytes go to out (v->p is then an offset into it).  Unreadable: null. */
static void json_datum(const floe_ice_type *t, const json_t *j, floe_buf *out, floe_ice_datum *v) {
    memset(v, 0, sizeof *v);
    v->is_null = 1;
    if (!j || json_is_null(j)) return;
    const char *s = json_is_string(j) ? json_string_value(j) : NULL;
    size_t sn = s ? json_string_length(j) : 0;
    int ok = 0;
    size_t at = out->len;
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN: ok = json_is_boolean(j); v->i = json_is_true(j); break;
    case FLOE_ICE_INT:
    case FLOE_ICE_LONG: ok = json_is_integer(j); v->i = ok ? json_integer_value(j) : 0; break;
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE:
        ok = 1;
        if (json_is_number(j)) v->d = json_number_value(j);
        else if (s && strcmp(s, "NaN") == 0) v->d = NAN;
        else if (s && strcmp(s, "Infinity") == 0) v->d = INFINITY;
        else if (s && strcmp(s, "-Infinity") == 0) v->d = -INFINITY;
        else ok = 0;
        break;
    case FLOE_ICE_DATE: {
        int32_t d = 0;
        ok = s && floe_parse_date(s, sn, &d) == 0;
        v->i = d;
        break;
    }
    case FLOE_ICE_TIME: ok = s && floe_parse_time(s, sn, FLOE_UNIT_MICROS, &v->i) == 0; break;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ: ok = s && floe_parse_timestamp(s, sn, FLOE_UNIT_MICROS, &v->i) == 0; break;
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS: ok = s && floe_parse_timestamp(s, sn, FLOE_UNIT_NANOS, &v->i) == 0; break;
    case FLOE_ICE_STRING:
        ok = s != NULL;
        if (ok) floe_buf_append(out, s, sn);
        break;
    case FLOE_ICE_UUID: {
        uint8_t u[16];
        ok = s && floe_parse_uuid(s, sn, u) == 0;
        if (ok) floe_buf_append(out, u, 16);
        break;
    }
    case FLOE_ICE_DECIMAL: {
        uint8_t u[16];
        const uint8_t *mp;
        ok = s && floe_parse_decimal(s, sn, t->precision, t->scale, u) == 0;
        if (ok) {
            size_t mn = floe_ice_decimal_minimal(u, 16, &mp);
            floe_buf_append(out, mp, mn);
        }
        break;
    }
    case FLOE_ICE_FIXED:
    case FLOE_ICE_BINARY: ok = s && floe_base64_decode(s, sn, out) == 0; break;
    default: break;
    }
    if (!ok) {
        out->len = at;
        return;
    }
    v->is_null = 0;
    v->p = (const uint8_t *)(uintptr_t)at;
    v->n = out->len - at;
}

/* The member of row object j holding field f (walking down from the
 * top-level column through structs). */
static const json_t *json_field(const json_t *j, const floe_ice_field *f) {
    if (!f) return j;
    const json_t *up = json_field(j, f->parent);
    return up && json_is_object(up) ? json_object_get(up, f->name) : NULL;
}

static int sorter_init(sorter *s, const floe_ice_metadata *m, const floe_ice_sort_order *o, floe_err *err) {
    memset(s, 0, sizeof *s);
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    s->keys = floe_xcalloc((size_t)o->nfields + 1, sizeof *s->keys);
    for (int i = 0; i < o->nfields; i++) {
        sort_key *k = &s->keys[s->nkeys];
        k->sf = &o->fields[i];
        k->field = floe_ice_schema_field_by_id(schema, k->sf->source_id);
        if (!k->field) continue; /* a dropped column: no longer orders anything */
        k->result = floe_ice_transform_result_type(&k->sf->transform, k->field->type, err);
        if (!k->result) return -1;
        s->nkeys++;
    }
    return 0;
}

static void sorter_clear(sorter *s) {
    s->rows.len = s->bytes.len = 0;
    s->n = 0;
}

static void sorter_free(sorter *s) {
    for (int i = 0; i < s->nkeys; i++) floe_ice_type_free(s->keys[i].result);
    free(s->keys);
    floe_buf_free(&s->rows);
    floe_buf_free(&s->bytes);
    free(s->off);
    free(s->len);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

static int sorter_add(sorter *s, const char *json, size_t len, floe_err *err) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->off = floe_xrealloc(s->off, sizeof *s->off * (size_t)s->cap);
        s->len = floe_xrealloc(s->len, sizeof *s->len * (size_t)s->cap);
        s->vals = floe_xrealloc(s->vals, sizeof *s->vals * (size_t)s->cap * (size_t)(s->nkeys + 1));
    }
    s->off[s->n] = s->rows.len;
    s->len[s->n] = len;
    floe_buf_append(&s->rows, json, len);
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    if (!j) return floe_err_set(err, FLOE_ECORRUPT, "sorting: a row is not JSON: %s", jerr.text);
    floe_buf scratch;
    floe_buf_init(&scratch);
    for (int k = 0; k < s->nkeys; k++) {
        const sort_key *key = &s->keys[k];
        floe_ice_datum v, t;
        scratch.len = 0;
        json_datum(key->field->type, json_field(j, key->field), &scratch, &v);
        if (!v.is_null) v.p = scratch.data + (uintptr_t)v.p;
        floe_ice_transform_apply(&key->sf->transform, key->field->type, &v, &t);
        floe_ice_datum *out = &s->vals[(size_t)s->n * (size_t)s->nkeys + (size_t)k];
        *out = t;
        if (!t.is_null && t.n) {
            size_t at = s->bytes.len;
            floe_buf_append(&s->bytes, t.p, t.n);
            out->p = (const uint8_t *)(uintptr_t)at;
        } else {
            out->p = NULL;
        }
    }
    floe_buf_free(&scratch);
    json_decref(j);
    s->n++;
    return 0;
}

static int cmp_rows(const void *a, const void *b, void *ctx) {
    const sorter *s = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    for (int k = 0; k < s->nkeys; k++) {
        const sort_key *key = &s->keys[k];
        const floe_ice_datum *u = &s->vals[(size_t)x * (size_t)s->nkeys + (size_t)k];
        const floe_ice_datum *v = &s->vals[(size_t)y * (size_t)s->nkeys + (size_t)k];
        int c;
        if (u->is_null || v->is_null) {
            if (u->is_null && v->is_null) continue;
            c = u->is_null ? -1 : 1;
            if (!key->sf->nulls_first) c = -c;
            return c; /* null placement is independent of the direction */
        }
        c = floe_ice_value_compare(key->result, u, v);
        if (key->sf->descending) c = -c;
        if (c) return c;
    }
    return (x > y) - (x < y); /* stable */
}

/* Writes the held rows, sorted, to w. */
static int sorter_flush(sorter *s, floe_datafile_writer *w, floe_err *err) {
    /* Offsets become pointers now that the byte buffer no longer moves. */
    for (size_t i = 0; i < (size_t)s->n * (size_t)s->nkeys; i++)
        if (!s->vals[i].is_null && s->vals[i].n) s->vals[i].p = s->bytes.data + (uintptr_t)s->vals[i].p;
    int *ix = floe_xcalloc((size_t)s->n + 1, sizeof *ix);
    for (int i = 0; i < s->n; i++) ix[i] = i;
    qsort_r(ix, (size_t)s->n, sizeof *ix, cmp_rows, s);
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++)
        rc = floe_datafile_writer_write(w, (const char *)s->rows.data + s->off[ix[i]], s->len[ix[i]], i + 1, err);
    free(ix);
    return rc;
}

/* ---- rewriting a group ------------------------------------------------------------- */

typedef struct rewrite {
    compactor *c;
    floe_datafile_writer *w;
    sorter *sort;
    int64_t rows;
    int64_t base_done, bytes, records; /* progress: the group's share */
} rewrite;

static int on_row(void *ctx, const char *json, size_t len, floe_err *err) {
    rewrite *rw = ctx;
    rw->rows++;
    int rc = rw->sort ? sorter_add(rw->sort, json, len, err)
                      : floe_datafile_writer_write(rw->w, json, len, rw->rows, err);
    if (rc) return -1;
    if (rw->rows % PROGRESS_ROWS == 0 && rw->records > 0) {
        int64_t part = rw->rows >= rw->records ? rw->bytes : (int64_t)((double)rw->bytes * rw->rows / rw->records);
        if (progress(rw->c, rw->base_done + part)) return 1;
    }
    return 0;
}

/* Reads group g with its deletes applied and writes it anew: *files (the
 * new data files) and the scan's counts.  *stopped when progress said so
 * (nothing is kept then). */
static int rewrite_group(compactor *c, const cgroup *g, sorter *srt, floe_ice_data_file **files, int *nfiles,
                         floe_scan_counts *counts, floe_err *err) {
    *files = NULL;
    *nfiles = 0;
    floe_datafile_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.max_open_files = 4;
    floe_datafile_writer *w = floe_datafile_writer_new(c->t->io, c->wmeta, &dopts, err);
    if (!w) return -1;
    floe_scan_plan sub = c->plan; /* the same deletes (read once, shared); the group's tasks */
    sub.tasks = floe_xcalloc((size_t)g->n, sizeof *sub.tasks);
    sub.ntasks = g->n;
    for (int i = 0; i < g->n; i++) sub.tasks[i] = c->plan.tasks[g->tasks[i]];
    rewrite rw = {c, w, srt, 0, c->done_bytes, g->bytes, g->records};
    if (srt) sorter_clear(srt);
    int rc = floe_scan_read(c->t, &sub, 0, on_row, &rw, counts, err);
    free(sub.tasks);
    if (rc == 0 && c->stopped) {
        floe_datafile_writer_free(w);
        return 0;
    }
    if (rc == 0 && srt) rc = sorter_flush(srt, w, err);
    if (rc == 0) rc = floe_datafile_writer_finish(w, files, nfiles, err);
    floe_datafile_writer_free(w); /* aborts what finish did not take */
    return rc;
}

/* ---- committing a group ----------------------------------------------------------- */

typedef struct pathv {
    char **v;
    int n;
} pathv;

static void pathv_add(pathv *p, const char *s) {
    p->v = floe_xrealloc(p->v, sizeof *p->v * (size_t)(p->n + 1));
    p->v[p->n++] = floe_xstrdup(s);
}

static void pathv_clear(pathv *p, floe_table *t) {
    for (int i = 0; i < p->n; i++) {
        if (t) {
            floe_err ignored = {0};
            t->io->remove(t->io, p->v[i], &ignored);
        }
        free(p->v[i]);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

typedef struct gcommit {
    compactor *c;
    const cgroup *g;
    const floe_ice_data_file *added;
    int nadded;
    floe_pathset inputs;       /* input path -> its index in the group */
    int *dels;                 /* plan.deletes indexes that apply to some input */
    int ndels;
    char uuid[37];             /* names the attempt's files */
    char commit_id[37];
    int attempt;
    int64_t snapshot_id;
    /* what the landed attempt did */
    int64_t removed_deletes;
} gcommit;

typedef struct mf_entries {
    floe_ice_manifest_entry *e;
    int n;
} mf_entries;

/* Writes entries as the attempt's manifest <uuid>-a<attempt>-m<k>.avro;
 * fills *mf. */
static int write_manifest(gcommit *gc, const floe_ice_partition_spec *spec, int content,
                          const floe_ice_manifest_entry *es, int n, int k, floe_ice_manifest_file *mf, pathv *written,
                          floe_err *err) {
    floe_table *t = gc->c->t;
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_buf b, path;
    floe_buf_init(&b);
    floe_buf_init(&path);
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/%s-a%d-m%d.avro", gc->uuid, gc->attempt, k);
    memset(mf, 0, sizeof *mf);
    int rc = floe_ice_manifest_write(m, spec, content, gc->snapshot_id, es, n, &b, mf, err);
    if (rc == 0) {
        mf->manifest_path = floe_xstrdup(floe_buf_cstr(&path));
        rc = t->io->write(t->io, mf->manifest_path, b.data, b.len, 1, err);
        if (rc == 0) pathv_add(written, mf->manifest_path);
    }
    if (rc) {
        floe_ice_manifest_file_free(mf);
        memset(mf, 0, sizeof *mf);
    }
    floe_buf_free(&b);
    floe_buf_free(&path);
    return rc;
}

enum { ATTEMPT_FAILED = -1, ATTEMPT_COMMITTED = 0, ATTEMPT_GIVE_UP = 1 };

/* Whether delete file d (a plan delete that applied to the group) applies
 * to a live data file that stays. */
static int delete_still_needed(gcommit *gc, const floe_scan_delete *d, const mf_entries *ents, int nm,
                               const floe_ice_manifest_file *mfs) {
    const floe_ice_metadata *m = floe_table_meta(gc->c->t);
    for (int i = 0; i < nm; i++) {
        if (mfs[i].content != FLOE_ICE_MANIFEST_DATA) continue;
        for (int k = 0; k < ents[i].n; k++) {
            const floe_ice_manifest_entry *e = &ents[i].e[k];
            if (e->status == FLOE_ICE_STATUS_DELETED || e->file.content != FLOE_ICE_CONTENT_DATA) continue;
            if (floe_pathset_get(&gc->inputs, e->file.file_path)) continue;
            int64_t seq = e->has_sequence_number ? e->sequence_number : 0;
            if (!floe_scan_delete_may_apply(m, &d->file, d->data_seq, &e->file, seq)) continue;
            if (d->file.content == FLOE_ICE_CONTENT_EQUALITY_DELETES || floe_scan_delete_names(d, e->file.file_path))
                return 1;
        }
    }
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* One attempt on the handle's current state. */
static int attempt(gcommit *gc, pathv *written, int64_t *parent_id, floe_err *err) {
    compactor *c = gc->c;
    floe_table *t = c->t;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_scan_plan *p = &c->plan;
    const floe_ice_snapshot *parent = floe_snapshot_branch_head(m, "main");
    *parent_id = parent ? parent->snapshot_id : -1;
    if (!parent) return ATTEMPT_GIVE_UP;
    if (floe_ice_metadata_snapshot(m, gc->snapshot_id)) gc->snapshot_id = floe_snapshot_new_id(m);
    int64_t seq = m->format_version >= 2 ? m->last_sequence_number + 1 : 0;

    floe_ice_manifest_file *mfs = NULL;
    int nm = 0;
    if (floe_table_manifests(t, parent, &mfs, &nm, err)) return ATTEMPT_FAILED;
    mf_entries *ents = floe_xcalloc((size_t)nm + 1, sizeof *ents);
    char *affected = floe_xcalloc((size_t)nm + 1, 1);
    char *found = floe_xcalloc((size_t)gc->g->n + 1, 1);
    char *live_del = floe_xcalloc((size_t)gc->ndels + 1, 1); /* gc->dels[d] is live in the parent */
    floe_ice_manifest_file *out = floe_xcalloc((size_t)nm + 2, sizeof *out);
    int nout = 0, rc = ATTEMPT_COMMITTED;
    floe_props summary;
    floe_props_init(&summary);
    floe_buf list, path;
    floe_buf_init(&list);
    floe_buf_init(&path);
    for (int i = 0; i < nm && rc == ATTEMPT_COMMITTED; i++)
        if (floe_table_entries(t, &mfs[i], &ents[i].e, &ents[i].n, err)) rc = ATTEMPT_FAILED;
    if (rc != ATTEMPT_COMMITTED) goto done;

    /* Validation: every input live; no position delete committed since the
     * plan that may apply to an input. */
    for (int i = 0; i < nm && rc == ATTEMPT_COMMITTED; i++) {
        for (int k = 0; k < ents[i].n && rc == ATTEMPT_COMMITTED; k++) {
            const floe_ice_manifest_entry *e = &ents[i].e[k];
            if (e->status == FLOE_ICE_STATUS_DELETED) continue;
            const floe_ice_data_file *f = &e->file;
            int64_t eseq = e->has_sequence_number ? e->sequence_number : 0;
            if (f->content == FLOE_ICE_CONTENT_DATA) {
                const int *j = floe_pathset_get(&gc->inputs, f->file_path);
                if (j) found[*j] = 1;
                continue;
            }
            for (int d = 0; d < gc->ndels; d++)
                if (strcmp(p->deletes[gc->dels[d]].file.file_path, f->file_path) == 0) live_del[d] = 1;
            if (eseq <= c->start_seq) continue;
            int applies = 0;
            for (int j = 0; j < gc->g->n && !applies; j++) {
                const floe_scan_task *task = &p->tasks[gc->g->tasks[j]];
                applies = floe_scan_delete_may_apply(m, f, eseq, &task->file, task->data_seq);
            }
            if (!applies) continue;
            if (f->content == FLOE_ICE_CONTENT_POSITION_DELETES) rc = ATTEMPT_GIVE_UP;
            /* An equality delete scoped to the inputs' partition must also
             * reach the new files (it would not across a spec change). */
            for (int a = 0; a < gc->nadded && rc == ATTEMPT_COMMITTED; a++)
                if (!floe_scan_delete_may_apply(m, f, eseq, &gc->added[a], c->start_seq)) rc = ATTEMPT_GIVE_UP;
        }
    }
    for (int j = 0; j < gc->g->n && rc == ATTEMPT_COMMITTED; j++)
        if (!found[j]) rc = ATTEMPT_GIVE_UP;
    if (rc != ATTEMPT_COMMITTED) goto done;

    /* Delete files that no remaining data file needs go with the inputs. */
    floe_pathset removed = {0}; /* paths whose entries become DELETED */
    for (int j = 0; j < gc->g->n; j++) {
        const char *fp = p->tasks[gc->g->tasks[j]].file.file_path;
        floe_pathset_add(&removed, fp, 1);
    }
    for (int d = 0; d < gc->ndels; d++) {
        const floe_scan_delete *del = &p->deletes[gc->dels[d]];
        if (!live_del[d]) continue; /* gone already */
        if (delete_still_needed(gc, del, ents, nm, mfs)) continue;
        floe_pathset_add(&removed, del->file.file_path, 1);
    }
    for (int i = 0; i < nm; i++)
        for (int k = 0; k < ents[i].n && !affected[i]; k++)
            affected[i] = ents[i].e[k].status != FLOE_ICE_STATUS_DELETED &&
                          floe_pathset_get(&removed, ents[i].e[k].file.file_path) != NULL;

    /* The new files' manifest: ADDED, with P's data sequence number. */
    int next = 0;
    if (gc->nadded > 0) {
        floe_ice_manifest_entry *es = floe_xcalloc((size_t)gc->nadded, sizeof *es);
        for (int i = 0; i < gc->nadded; i++) {
            es[i].status = FLOE_ICE_STATUS_ADDED;
            es[i].has_snapshot_id = 1;
            es[i].snapshot_id = gc->snapshot_id;
            es[i].has_sequence_number = m->format_version >= 2;
            es[i].sequence_number = c->start_seq;
            es[i].file = gc->added[i]; /* shallow */
        }
        const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, gc->added[0].spec_id);
        if (!spec) rc = floe_err_set(err, FLOE_ECONFLICT, "the table's partition spec %d is gone", (int)gc->added[0].spec_id);
        else if (write_manifest(gc, spec, FLOE_ICE_MANIFEST_DATA, es, gc->nadded, next++, &out[nout], written, err))
            rc = ATTEMPT_FAILED;
        else nout++;
        free(es);
    }
    /* Affected manifests, one rewritten manifest per (spec, content). */
    int32_t *keys = floe_xcalloc((size_t)nm + 1, sizeof *keys);
    int nkeys = 0;
    for (int i = 0; i < nm; i++)
        if (affected[i]) keys[nkeys++] = mfs[i].partition_spec_id * 2 + (mfs[i].content != FLOE_ICE_MANIFEST_DATA);
    qsort(keys, (size_t)nkeys, sizeof *keys, cmp_i32);
    int64_t del_files = 0, del_records = 0, del_size = 0, rm_pos = 0, rm_eq = 0, rm_pos_rec = 0, rm_eq_rec = 0,
            rm_del_size = 0;
    for (int kk = 0; kk < nkeys && rc == ATTEMPT_COMMITTED; kk++) {
        if (kk > 0 && keys[kk] == keys[kk - 1]) continue;
        int32_t spec_id = keys[kk] / 2;
        int content = keys[kk] % 2 ? FLOE_ICE_MANIFEST_DELETES : FLOE_ICE_MANIFEST_DATA;
        floe_ice_manifest_entry *es = NULL;
        int nes = 0, cap = 0;
        for (int i = 0; i < nm; i++) {
            if (!affected[i] || mfs[i].partition_spec_id != spec_id ||
                (mfs[i].content != FLOE_ICE_MANIFEST_DATA) != (content == FLOE_ICE_MANIFEST_DELETES))
                continue;
            for (int k = 0; k < ents[i].n; k++) {
                floe_ice_manifest_entry e = ents[i].e[k]; /* shallow */
                if (e.status == FLOE_ICE_STATUS_DELETED) continue;
                if (floe_pathset_get(&removed, e.file.file_path)) {
                    e.status = FLOE_ICE_STATUS_DELETED;
                    e.has_snapshot_id = 1;
                    e.snapshot_id = gc->snapshot_id;
                    if (e.file.content == FLOE_ICE_CONTENT_DATA) {
                        del_files++;
                        del_records += e.file.record_count;
                        del_size += e.file.file_size_in_bytes;
                    } else if (e.file.content == FLOE_ICE_CONTENT_POSITION_DELETES) {
                        rm_pos++;
                        rm_pos_rec += e.file.record_count;
                        rm_del_size += e.file.file_size_in_bytes;
                    } else {
                        rm_eq++;
                        rm_eq_rec += e.file.record_count;
                        rm_del_size += e.file.file_size_in_bytes;
                    }
                } else {
                    e.status = FLOE_ICE_STATUS_EXISTING;
                }
                if (nes == cap) {
                    cap = cap ? cap * 2 : 64;
                    es = floe_xrealloc(es, sizeof *es * (size_t)cap);
                }
                es[nes++] = e;
            }
        }
        const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, spec_id);
        if (!spec) rc = floe_err_set(err, FLOE_ECORRUPT, "a manifest of partition spec %d, which the table lacks", (int)spec_id);
        else if (write_manifest(gc, spec, content, es, nes, next++, &out[nout], written, err)) rc = ATTEMPT_FAILED;
        else nout++;
        free(es);
    }
    free(keys);
    floe_pathset_free(&removed);
    for (int i = 0; i < nm; i++)
        if (!affected[i]) floe_ice_manifest_file_copy(&out[nout++], &mfs[i]);
    if (rc != ATTEMPT_COMMITTED) goto done;

    /* Summary: Java's for a replace, and the running totals. */
    floe_snapshot_totals tot;
    if (floe_snapshot_parent_totals(t, parent, mfs, nm, &tot, err)) {
        rc = ATTEMPT_FAILED;
        goto done;
    }
    int64_t add_records = 0, add_size = 0;
    for (int i = 0; i < gc->nadded; i++) {
        add_records += gc->added[i].record_count;
        add_size += gc->added[i].file_size_in_bytes;
    }
    floe_props_set(&summary, "operation", "replace");
    floe_props_set(&summary, FLOE_COMMIT_ID_KEY, gc->commit_id);
    if (gc->nadded) {
        floe_snapshot_put_count(&summary, "added-data-files", gc->nadded);
        floe_snapshot_put_count(&summary, "added-records", add_records);
        floe_snapshot_put_count(&summary, "added-files-size", add_size);
    }
    floe_snapshot_put_count(&summary, "deleted-data-files", del_files);
    floe_snapshot_put_count(&summary, "deleted-records", del_records);
    floe_snapshot_put_count(&summary, "removed-files-size", del_size + rm_del_size);
    if (rm_pos + rm_eq) {
        floe_snapshot_put_count(&summary, "removed-delete-files", rm_pos + rm_eq);
        if (rm_pos) {
            floe_snapshot_put_count(&summary, "removed-position-delete-files", rm_pos);
            floe_snapshot_put_count(&summary, "removed-position-deletes", rm_pos_rec);
        }
        if (rm_eq) {
            floe_snapshot_put_count(&summary, "removed-equality-delete-files", rm_eq);
            floe_snapshot_put_count(&summary, "removed-equality-deletes", rm_eq_rec);
        }
    }
    {
        /* Changed partitions: the replaced files' and the new files'. */
        int nall = gc->g->n + gc->nadded;
        floe_ice_data_file *all = floe_xcalloc((size_t)nall + 1, sizeof *all);
        for (int j = 0; j < gc->g->n; j++) all[j] = p->tasks[gc->g->tasks[j]].file;
        for (int i = 0; i < gc->nadded; i++) all[gc->g->n + i] = gc->added[i];
        floe_snapshot_put_count(&summary, "changed-partition-count", floe_snapshot_changed_partitions(all, nall));
        free(all);
    }
    tot.records += add_records - del_records;
    tot.size += add_size - del_size - rm_del_size;
    tot.data_files += gc->nadded - del_files;
    tot.delete_files -= rm_pos + rm_eq;
    tot.pos_deletes -= rm_pos_rec;
    tot.eq_deletes -= rm_eq_rec;
    floe_snapshot_put_totals(&summary, &tot);

    if (floe_ice_manifest_list_write(m->format_version, gc->snapshot_id, 1, parent->snapshot_id, seq, out, nout,
                                     &list, err)) {
        rc = ATTEMPT_FAILED;
        goto done;
    }
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/snap-%lld-%d-%s.avro", (long long)gc->snapshot_id, gc->attempt, gc->uuid);
    if (t->io->write(t->io, floe_buf_cstr(&path), list.data, list.len, 1, err)) {
        rc = ATTEMPT_FAILED;
        goto done;
    }
    pathv_add(written, floe_buf_cstr(&path));
    gc->removed_deletes = rm_pos + rm_eq; /* what this attempt does, should it land */
    if (floe_snapshot_commit(t, "main", parent, gc->snapshot_id, seq, floe_buf_cstr(&path), &summary, err)) {
        rc = ATTEMPT_FAILED;
        goto done;
    }
done:
    floe_props_free(&summary);
    floe_buf_free(&list);
    floe_buf_free(&path);
    floe_table_manifests_free(out, nout);
    free(live_del);
    free(found);
    free(affected);
    for (int i = 0; i < nm; i++) floe_table_entries_free(ents[i].e, ents[i].n);
    free(ents);
    floe_table_manifests_free(mfs, nm);
    return rc;
}

/* Commits group g replacing its inputs by added[0..n).  Returns
 * ATTEMPT_COMMITTED, ATTEMPT_GIVE_UP (nothing of the group is left:
 * its data files are deleted) or ATTEMPT_FAILED (err set; the data files
 * are deleted unless an outcome was unknown). */
static int commit_group(compactor *c, const cgroup *g, const floe_ice_data_file *added, int nadded,
                        int64_t *removed_deletes, floe_err *err) {
    floe_table *t = c->t;
    gcommit gc;
    memset(&gc, 0, sizeof gc);
    gc.c = c;
    gc.g = g;
    gc.added = added;
    gc.nadded = nadded;
    floe_ice_uuid_random(gc.uuid);
    floe_ice_uuid_random(gc.commit_id);
    gc.snapshot_id = floe_snapshot_new_id(floe_table_meta(t));
    for (int j = 0; j < g->n; j++) {
        const floe_scan_task *task = &c->plan.tasks[g->tasks[j]];
        int *slot = floe_pathset_get(&gc.inputs, task->file.file_path);
        if (slot) *slot = j;
        else floe_pathset_add(&gc.inputs, task->file.file_path, j);
        for (int k = 0; k < task->ndeletes; k++) {
            int seen = 0;
            for (int d = 0; d < gc.ndels && !seen; d++) seen = gc.dels[d] == task->deletes[k];
            if (seen) continue;
            gc.dels = floe_xrealloc(gc.dels, sizeof *gc.dels * (size_t)(gc.ndels + 1));
            gc.dels[gc.ndels++] = task->deletes[k];
        }
    }
    floe_snapshot_retry retry;
    floe_snapshot_retry_read(&floe_table_meta(t)->properties, &retry);
    pathv written = {0};
    int unknown = 0, failures = 0, rc;
    int64_t unknown_from = -1;
    for (;;) {
        gc.attempt++;
        int64_t parent_id;
        rc = attempt(&gc, &written, &parent_id, err);
        if (rc == ATTEMPT_COMMITTED) {
            pathv_clear(&written, NULL);
            break;
        }
        if (rc == ATTEMPT_GIVE_UP) {
            pathv_clear(&written, t);
            break;
        }
        if (err->code == FLOE_EUNKNOWN) {
            if (!unknown) unknown_from = parent_id;
            unknown = 1;
            pathv_clear(&written, NULL); /* may be in the table now: keep */
        } else {
            pathv_clear(&written, t);
            if (err->code != FLOE_ECONFLICT) break;
        }
        int reloaded = 0;
        while (!reloaded && failures < retry.retries) {
            floe_snapshot_backoff(++failures, &retry);
            reloaded = floe_table_reload(t, err) == 0;
        }
        if (!reloaded) {
            floe_err_prefix(err, "table %s.%s: compacting %s: gave up after %d attempts", t->ns, t->name,
                            g->partition[0] ? g->partition : "the table", gc.attempt);
            rc = ATTEMPT_FAILED;
            break;
        }
        if (unknown && floe_snapshot_landed(floe_table_meta(t), "main", gc.commit_id, unknown_from)) {
            rc = ATTEMPT_COMMITTED;
            break;
        }
    }
    if (rc == ATTEMPT_FAILED && unknown) {
        err->code = FLOE_EUNKNOWN;
        floe_err_prefix(err, "an earlier attempt's outcome is unknown and its files are kept");
    } else if (rc != ATTEMPT_COMMITTED) {
        floe_datafile_delete(t->io, added, nadded);
    }
    *removed_deletes = gc.removed_deletes;
    floe_pathset_free(&gc.inputs);
    free(gc.dels);
    return rc;
}

/* ---- the operation ---------------------------------------------------------------- */

static void compactor_free(compactor *c) {
    for (int i = 0; i < c->ngroups; i++) {
        free(c->groups[i].tasks);
        free(c->groups[i].partition);
    }
    free(c->groups);
    floe_scan_plan_free(&c->plan);
    floe_ice_metadata_free(c->wmeta);
}

static int run_group(compactor *c, int gi, sorter *srt, floe_err *err) {
    cgroup *g = &c->groups[gi];
    floe_compact_result *r = c->r;
    floe_ice_data_file *files = NULL;
    int nfiles = 0;
    floe_scan_counts counts;
    memset(&counts, 0, sizeof counts);
    int rc = rewrite_group(c, g, srt, &files, &nfiles, &counts, err);
    if (rc) return floe_err_prefix(err, "table %s.%s: compacting %s", c->t->ns, c->t->name,
                                   g->partition[0] ? g->partition : "the table");
    if (c->stopped) return 0;
    /* Start from the latest state: fewer lost races. */
    floe_err ignored = {0};
    floe_table_reload(c->t, &ignored);
    if (c->hook && c->hook(c->hook_ctx, gi, err)) {
        floe_datafile_delete(c->t->io, files, nfiles);
        rc = -1;
    }
    int64_t removed = 0;
    int outcome = ATTEMPT_FAILED;
    if (rc == 0) outcome = commit_group(c, g, files, nfiles, &removed, err);
    if (outcome == ATTEMPT_COMMITTED) {
        r->groups_committed++;
        r->snapshots++;
        r->files_rewritten += g->n;
        r->delete_files_removed += removed;
        r->files_written += nfiles;
        r->bytes_read += g->bytes;
        r->rows_read += counts.rows_read;
        r->rows_written += counts.rows;
        for (int i = 0; i < nfiles; i++) r->bytes_written += files[i].file_size_in_bytes;
    } else if (outcome == ATTEMPT_GIVE_UP) {
        r->groups_skipped++;
        r->bytes_read += g->bytes;
    } else {
        rc = -1;
    }
    for (int i = 0; i < nfiles; i++) floe_ice_data_file_free(&files[i]);
    free(files);
    return rc;
}

int floe_table_compact(floe_table *t, const floe_compact_opts *opts, floe_compact_hook hook, void *hook_ctx,
                       floe_compact_result *r, floe_err *err) {
    floe_compact_result local;
    if (!r) r = &local;
    memset(r, 0, sizeof *r);
    int64_t t0 = floe_mono_ms();
    compactor c;
    memset(&c, 0, sizeof c);
    c.t = t;
    c.hook = hook;
    c.hook_ctx = hook_ctx;
    c.r = r;
    if (opts) c.o = *opts;
    const floe_ice_metadata *m = floe_table_meta(t);
    if (c.o.target_file_bytes <= 0)
        c.o.target_file_bytes = floe_props_get_int(&m->properties, "write.target-file-size-bytes", DEFAULT_TARGET);
    if (c.o.target_file_bytes <= 0) c.o.target_file_bytes = DEFAULT_TARGET;
    if (c.o.small_file_bytes <= 0) c.o.small_file_bytes = c.o.target_file_bytes / 4 * 3;
    if (c.o.min_input_files <= 0) c.o.min_input_files = DEFAULT_MIN_FILES;
    if (c.o.max_input_bytes < 0) c.o.max_input_bytes = 0;
    if (c.o.partition_filter && !*c.o.partition_filter) c.o.partition_filter = NULL;
    if (c.o.sort) {
        for (int i = 0; i < m->nsort_orders && !c.order; i++)
            if (m->sort_orders[i].order_id == m->default_sort_order_id && m->sort_orders[i].nfields > 0)
                c.order = &m->sort_orders[i];
        if (!c.order)
            return floe_err_set(err, FLOE_EINVAL, "table %s.%s has no sort order to sort by", t->ns, t->name);
    }
    const floe_ice_snapshot *s = floe_snapshot_branch_head(m, "main");
    if (!s) {
        r->elapsed_ms = floe_mono_ms() - t0;
        return 0;
    }
    c.start_seq = m->format_version >= 2 ? s->sequence_number : 0;
    floe_scan_request req;
    memset(&req, 0, sizeof req);
    req.has_snapshot_id = 1;
    req.snapshot_id = s->snapshot_id;
    if (floe_scan_plan_build(t, &req, &c.plan, err)) return floe_err_prefix(err, "table %s.%s", t->ns, t->name);
    /* The writer's settings are the table's, with the target size asked for. */
    c.wmeta = floe_ice_metadata_copy(m);
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)c.o.target_file_bytes);
    floe_props_set(&c.wmeta->properties, "write.target-file-size-bytes", v);
    plan_groups(&c);
    r->groups = c.ngroups;
    sorter srt;
    memset(&srt, 0, sizeof srt);
    int rc = 0;
    if (c.order) rc = sorter_init(&srt, c.wmeta, c.order, err);
    /* What this call will read, for progress. */
    for (int i = 0; i < c.ngroups; i++) {
        if (c.o.max_input_bytes > 0 && c.total_bytes + c.groups[i].bytes > c.o.max_input_bytes) break;
        c.total_bytes += c.groups[i].bytes;
    }
    if (c.total_bytes == 0 && c.ngroups > 0 && c.o.max_input_bytes > 0) {
        /* The first group alone is over the budget: take the part of it
         * that fits, when that is at least two files. */
        cgroup *g = &c.groups[0];
        int n = 0;
        int64_t bytes = 0, records = 0;
        while (n < g->n && bytes + c.plan.tasks[g->tasks[n]].file.file_size_in_bytes <= c.o.max_input_bytes) {
            bytes += c.plan.tasks[g->tasks[n]].file.file_size_in_bytes;
            records += c.plan.tasks[g->tasks[n]].file.record_count;
            n++;
        }
        if (n >= 2) {
            g->n = n;
            g->bytes = c.total_bytes = bytes;
            g->records = records;
        }
    }
    if (rc == 0 && c.total_bytes > 0) progress(&c, 0);
    for (int i = 0; i < c.ngroups && rc == 0 && !c.stopped; i++) {
        if (c.done_bytes + c.groups[i].bytes > c.total_bytes) break;
        rc = run_group(&c, i, c.order ? &srt : NULL, err);
        c.done_bytes += c.groups[i].bytes;
        if (rc == 0 && c.total_bytes > 0) progress(&c, c.done_bytes);
    }
    sorter_free(&srt);
    compactor_free(&c);
    if (r->snapshots > 0) {
        /* Bounded history, as after an append (best effort). */
        floe_err ignored = {0};
        floe_table_bound_history(t, &ignored);
    }
    r->elapsed_ms = floe_mono_ms() - t0;
    return rc;
}

int floe_compact(floe_catalog_handle *c, const char *table, const floe_compact_opts *opts, floe_compact_result *r,
                 floe_err *err) {
    if (r) memset(r, 0, sizeof *r);
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    int rc = floe_table_compact(t, opts, NULL, NULL, r, err);
    floe_table_free(t);
    return rc;
}
