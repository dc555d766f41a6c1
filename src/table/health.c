/*
 * health.c — the table health report (floe_table_health_get in
 * floe/maintenance.h): what the current snapshot holds (data and delete
 * files, their sizes as a power-of-two histogram and a median, small files
 * per partition), how much history and metadata the table carries, and
 * what maintenance would do next.
 *
 * Small means below 75% of write.target-file-size-bytes (512 MiB by
 * default), floe_compact's default.  The next actions apply the rules the
 * operations themselves follow, so that the report never promises what
 * they would not do:
 *   - compact: partitions with at least 5 small data files
 *     (floe_compact's min_input_files) or any delete file;
 *   - expire: what an expiry would remove now, decided by expire.c in a
 *     dry run — with floe's bounded history on (floe.history.retain-last
 *     > 0), once at least floe.history.slack snapshots lie beyond the
 *     newest retain-last, as the commit path does; with it off, what
 *     `floe expire` with the table's history.expire.* settings removes;
 *   - rewrite manifests: when rewrite_manifests.c's plan would leave at
 *     least 10 fewer manifests (a streaming table always carries a few
 *     fresh ones that appends merge in time; fewer extra ones cost a
 *     reader only a few small reads).
 *
 * Sizes, counts and records are those of live entries (ADDED, EXISTING)
 * of the current snapshot's manifests; `bytes` and `records` are the data
 * files' (delete files are counted apart).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/maintenance.h"
#include "table/expire.h"
#include "table/reach.h"
#include "table/rewrite_manifests.h"
#include "util/text.h"

#define DEFAULT_TARGET_FILE_SIZE ((int64_t)512 << 20)
#define COMPACT_MIN_FILES 5
#define MANIFEST_SLACK 10
#define NBUCKETS 48

void floe_table_health_free(floe_table_health *h) {
    if (!h) return;
    for (int i = 0; i < h->npartitions; i++) free(h->partitions[i].partition);
    free(h->partitions);
    floe_strv_free(h->next_actions, h->nnext_actions);
    free(h->json);
    memset(h, 0, sizeof *h);
}

static int bucket_of(int64_t size) {
    int k = 0;
    while (k + 1 < NBUCKETS && size >= ((int64_t)2 << k)) k++;
    return k;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_partition(const void *a, const void *b) {
    const floe_partition_health *x = a, *y = b;
    if (x->small_files != y->small_files) return x->small_files > y->small_files ? -1 : 1;
    return strcmp(x->partition, y->partition);
}

static void add_action(floe_table_health *h, const char *fmt, ...) FLOE_PRINTF(2, 3);
static void add_action(floe_table_health *h, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    h->next_actions = floe_xrealloc(h->next_actions, sizeof *h->next_actions * (size_t)(h->nnext_actions + 1));
    h->next_actions[h->nnext_actions++] = floe_xstrdup(line);
}

static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

/* ---- the current snapshot's files -------------------------------------------------------- */

typedef struct tally {
    floe_table_health *h;
    floe_pathset index; /* partition path -> index into h->partitions */
    int cap;
    int64_t *sizes;
    int nsizes, capsizes;
} tally;

static floe_partition_health *partition(tally *ty, const char *path) {
    floe_table_health *h = ty->h;
    int *at = floe_pathset_get(&ty->index, path);
    if (at) return &h->partitions[*at];
    if (h->npartitions == ty->cap) {
        ty->cap = ty->cap ? ty->cap * 2 : 16;
        h->partitions = floe_xrealloc(h->partitions, sizeof *h->partitions * (size_t)ty->cap);
    }
    floe_pathset_add(&ty->index, path, h->npartitions);
    floe_partition_health *p = &h->partitions[h->npartitions++];
    memset(p, 0, sizeof *p);
    p->partition = floe_xstrdup(path);
    return p;
}

static int tally_manifest(tally *ty, const floe_ice_metadata *m, const floe_manifest_entries *me, floe_err *err) {
    floe_table_health *h = ty->h;
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, me->mf->partition_spec_id);
    if (!spec)
        return floe_err_set(err, FLOE_ECORRUPT, "manifest %s: partition spec %d is not in the table metadata",
                            me->mf->manifest_path, (int)me->mf->partition_spec_id);
    floe_ice_type *pt = floe_ice_spec_partition_type(spec, floe_ice_metadata_schema(m), err);
    if (!pt) return floe_err_prefix(err, "manifest %s", me->mf->manifest_path);
    floe_buf path;
    floe_buf_init(&path);
    for (int i = 0; i < me->ne; i++) {
        const floe_ice_manifest_entry *e = &me->es[i];
        const floe_ice_data_file *f = &e->file;
        if (e->status == FLOE_ICE_STATUS_DELETED) continue;
        floe_buf_reset(&path);
        if (f->npartition == spec->nfields) floe_ice_spec_partition_path(spec, pt, f->partition, &path);
        floe_partition_health *p = partition(ty, floe_buf_cstr(&path));
        if (f->content != FLOE_ICE_CONTENT_DATA) {
            h->delete_files++;
            p->delete_files++;
            continue;
        }
        int small = f->file_size_in_bytes < h->small_file_bytes;
        h->data_files++;
        h->small_files += small;
        h->bytes += f->file_size_in_bytes;
        h->records += f->record_count;
        h->size_hist[bucket_of(f->file_size_in_bytes)]++;
        p->data_files++;
        p->small_files += small;
        p->bytes += f->file_size_in_bytes;
        p->records += f->record_count;
        if (ty->nsizes == ty->capsizes) {
            ty->capsizes = ty->capsizes ? ty->capsizes * 2 : 256;
            ty->sizes = floe_xrealloc(ty->sizes, sizeof *ty->sizes * (size_t)ty->capsizes);
        }
        ty->sizes[ty->nsizes++] = f->file_size_in_bytes;
    }
    floe_buf_free(&path);
    floe_ice_type_free(pt);
    return 0;
}

/* ---- next actions ----------------------------------------------------------------------- */

static void compact_action(floe_table_health *h) {
    int64_t parts = 0, small = 0, deletes = 0;
    for (int i = 0; i < h->npartitions; i++) {
        const floe_partition_health *p = &h->partitions[i];
        if (p->small_files < COMPACT_MIN_FILES && p->delete_files == 0) continue;
        parts++;
        small += p->small_files;
        deletes += p->delete_files;
    }
    if (!parts) return;
    if (deletes)
        add_action(h, "compact %" PRId64 " partition%s (%" PRId64 " small file%s, %" PRId64 " delete file%s)", parts,
                   plural(parts), small, plural(small), deletes, plural(deletes));
    else
        add_action(h, "compact %" PRId64 " partition%s (%" PRId64 " small file%s)", parts, plural(parts), small,
                   plural(small));
}

static int expire_action(floe_table *t, floe_table_health *h, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    int64_t retain = floe_props_get_int(&m->properties, FLOE_HISTORY_RETAIN_LAST, FLOE_HISTORY_RETAIN_LAST_DEFAULT);
    int64_t slack = floe_props_get_int(&m->properties, FLOE_HISTORY_SLACK, FLOE_HISTORY_SLACK_DEFAULT);
    if (slack < 1) slack = 1;
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.dry_run = 1;
    if (retain > 0) o.retain_last = retain;
    floe_expire_result r;
    if (floe_table_expire_snapshots(t, &o, &r, err)) return -1;
    int64_t n = r.nexpired;
    floe_expire_result_free(&r);
    if (n > 0 && (retain <= 0 || n >= slack)) add_action(h, "expire %" PRId64 " snapshot%s", n, plural(n));
    return 0;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void put_str(floe_buf *b, const char *s) { floe_json_escape((const uint8_t *)s, strlen(s), b); }

static void put_ratio(floe_buf *b, int64_t num, int64_t den) {
    if (den == 0) floe_buf_puts(b, "0");
    else floe_fmt_double((double)num / (double)den, b);
}

static char *to_json(const char *table, const floe_table_health *h) {
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_puts(&b, "{\"table\":");
    put_str(&b, table);
    floe_buf_printf(&b,
                    ",\"data-files\":%" PRId64 ",\"delete-files\":%" PRId64 ",\"small-files\":%" PRId64
                    ",\"small-file-ratio\":",
                    h->data_files, h->delete_files, h->small_files);
    put_ratio(&b, h->small_files, h->data_files);
    floe_buf_printf(&b,
                    ",\"bytes\":%" PRId64 ",\"records\":%" PRId64 ",\"target-file-bytes\":%" PRId64
                    ",\"small-file-bytes\":%" PRId64 ",\"median-file-bytes\":%" PRId64 ",\"size-histogram\":[",
                    h->bytes, h->records, h->target_file_bytes, h->small_file_bytes, h->median_file_bytes);
    int first = 1;
    for (int k = 0; k < NBUCKETS; k++) {
        if (!h->size_hist[k]) continue;
        floe_buf_printf(&b, "%s{\"min-bytes\":%" PRId64 ",\"max-bytes\":%" PRId64 ",\"files\":%" PRId64 "}",
                        first ? "" : ",", k == 0 ? 0 : (int64_t)1 << k, ((int64_t)2 << k) - 1, h->size_hist[k]);
        first = 0;
    }
    floe_buf_puts(&b, "],\"partitions\":[");
    for (int i = 0; i < h->npartitions; i++) {
        const floe_partition_health *p = &h->partitions[i];
        floe_buf_puts(&b, i ? ",{\"partition\":" : "{\"partition\":");
        put_str(&b, p->partition);
        floe_buf_printf(&b,
                        ",\"data-files\":%" PRId64 ",\"small-files\":%" PRId64 ",\"delete-files\":%" PRId64
                        ",\"bytes\":%" PRId64 ",\"records\":%" PRId64 ",\"small-file-ratio\":",
                        p->data_files, p->small_files, p->delete_files, p->bytes, p->records);
        put_ratio(&b, p->small_files, p->data_files);
        floe_buf_putc(&b, '}');
    }
    floe_buf_printf(&b,
                    "],\"snapshots\":%" PRId64 ",\"manifests\":%" PRId64 ",\"metadata-bytes\":%" PRId64
                    ",\"oldest-snapshot-ms\":",
                    h->snapshots, h->manifests, h->metadata_bytes);
    if (h->snapshots) floe_buf_printf(&b, "%" PRId64 ",\"current-snapshot-ms\":", h->oldest_snapshot_ms);
    else floe_buf_puts(&b, "null,\"current-snapshot-ms\":");
    if (h->current_snapshot_ms) floe_buf_printf(&b, "%" PRId64, h->current_snapshot_ms);
    else floe_buf_puts(&b, "null");
    floe_buf_puts(&b, ",\"next-actions\":[");
    for (int i = 0; i < h->nnext_actions; i++) {
        if (i) floe_buf_putc(&b, ',');
        put_str(&b, h->next_actions[i]);
    }
    floe_buf_puts(&b, "]}");
    char *s = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return s;
}

/* ---- the report ------------------------------------------------------------------------- */

static int health(floe_table *t, const char *table, floe_table_health *h, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    h->target_file_bytes =
        floe_props_get_int(&m->properties, "write.target-file-size-bytes", DEFAULT_TARGET_FILE_SIZE);
    if (h->target_file_bytes < 1) h->target_file_bytes = DEFAULT_TARGET_FILE_SIZE;
    h->small_file_bytes = h->target_file_bytes / 4 * 3 + h->target_file_bytes % 4 * 3 / 4;
    h->snapshots = m->nsnapshots;
    for (int i = 0; i < m->nsnapshots; i++)
        if (i == 0 || m->snapshots[i].timestamp_ms < h->oldest_snapshot_ms)
            h->oldest_snapshot_ms = m->snapshots[i].timestamp_ms;
    const floe_ice_snapshot *cur = floe_ice_metadata_current(m);
    if (cur) h->current_snapshot_ms = cur->timestamp_ms;
    uint64_t msize = 0;
    if (t->state.metadata_location && t->io->size(t->io, t->state.metadata_location, &msize, err))
        return floe_err_prefix(err, "the current metadata file");
    h->metadata_bytes = (int64_t)msize;

    tally ty;
    memset(&ty, 0, sizeof ty);
    ty.h = h;
    floe_ice_manifest_file *mfs = NULL;
    floe_manifest_entries *in = NULL;
    int nm = 0, rc = 0;
    if (cur) {
        rc = floe_table_manifests(t, cur, &mfs, &nm, err);
        in = floe_xcalloc(nm > 0 ? (size_t)nm : 1, sizeof *in);
        for (int i = 0; i < nm && rc == 0; i++) {
            in[i].mf = &mfs[i];
            rc = floe_table_entries(t, &mfs[i], &in[i].es, &in[i].ne, err);
            if (rc == 0) rc = tally_manifest(&ty, m, &in[i], err);
        }
    }
    h->manifests = nm;
    if (rc == 0 && ty.nsizes > 0) {
        qsort(ty.sizes, (size_t)ty.nsizes, sizeof *ty.sizes, cmp_i64);
        int mid = ty.nsizes / 2;
        h->median_file_bytes = ty.nsizes % 2 ? ty.sizes[mid] : (ty.sizes[mid - 1] + ty.sizes[mid]) / 2;
    }
    if (rc == 0 && h->npartitions > 1)
        qsort(h->partitions, (size_t)h->npartitions, sizeof *h->partitions, cmp_partition);

    if (rc == 0) compact_action(h);
    if (rc == 0) rc = expire_action(t, h, err);
    int64_t after = 0;
    int needed = rc == 0 && nm > 0 ? floe_manifest_rewrite_check(m, in, nm, &after, err) : 0;
    if (needed < 0) rc = -1;
    else if (needed && nm - after >= MANIFEST_SLACK)
        add_action(h, "rewrite manifests (%d -> %" PRId64 ")", nm, after);
    if (rc == 0) h->json = to_json(table, h);

    for (int i = 0; in && i < nm; i++) floe_table_entries_free(in[i].es, in[i].ne);
    free(in);
    floe_table_manifests_free(mfs, nm);
    floe_pathset_free(&ty.index);
    free(ty.sizes);
    return rc;
}

int floe_table_health_get(floe_catalog_handle *c, const char *table, floe_table_health *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    int rc = health(t, table, out, err);
    if (rc) {
        floe_err_prefix(err, "table %s", table);
        floe_table_health_free(out);
    }
    floe_table_free(t);
    return rc;
}
