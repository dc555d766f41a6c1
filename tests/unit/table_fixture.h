/*
 * table_fixture.h — table-building helpers shared by the unit tests of the
 * operations that read or rewrite a table's files (test_append.c,
 * test_append_many.c, test_table.c, test_expire.c, test_maintenance.c,
 * test_compact.c, test_scan.c): data files that are only referenced, a
 * SQLite catalog in a fresh temp dir, a schema change committed by hand, a
 * catalog whose first commit reports an unknown outcome, rows read back, a
 * Parquet delete file written next to the data, and a `delete` snapshot
 * committed by hand around it (floe writes no deletes itself, yet must
 * read and apply them).  Static inline like test.h: each test binary is
 * one translation unit.
 */
#ifndef FLOE_TABLE_FIXTURE_H
#define FLOE_TABLE_FIXTURE_H

#include <unistd.h>

#include "catalog/catalog.h"
#include "table/datafile_writer.h"
#include "table/scan.h"
#include "table/table.h"
#include "test.h"

/* ---- data files ---------------------------------------------------------------------- */

/* A data file of t's default spec that is never written (appends only
 * reference paths): <location>/data/f<i>.parquet with the given counts and
 * one string partition value `part` (NULL: unpartitioned). */
static inline void fixture_fake_file(floe_ice_data_file *f, const floe_table *t, int i, int64_t records,
                                     int64_t bytes, const char *part) {
    memset(f, 0, sizeof *f);
    char path[512];
    snprintf(path, sizeof path, "%s/data/f%04d.parquet", floe_table_meta(t)->location, i);
    f->content = FLOE_ICE_CONTENT_DATA;
    f->file_path = floe_xstrdup(path);
    f->file_format = floe_xstrdup("PARQUET");
    f->record_count = records;
    f->file_size_in_bytes = bytes;
    f->spec_id = floe_ice_metadata_spec(floe_table_meta(t))->spec_id;
    f->npartition = part ? 1 : 0;
    f->partition = floe_xcalloc(1, sizeof *f->partition);
    if (part) {
        f->partition[0].p = (const uint8_t *)floe_xstrdup(part);
        f->partition[0].n = strlen(part);
    }
}

/* ---- a catalog in a temp dir ------------------------------------------------------ */

typedef struct fixture_env {
    char dir[64];
    char wh[96];
    char uri[128];
    floe_catalog *c;        /* the catalog ... */
    floe_catalog_handle h;  /* ... and the public API's handle on it */
} fixture_env;

/* Opens a SQLite catalog in a new /tmp/floe-<tag>-XXXXXX (tag at most 40
 * characters), with namespace "ns" when with_ns; -1 (checked) on failure. */
static inline int fixture_env_init(fixture_env *e, const char *tag, int with_ns) {
    snprintf(e->dir, sizeof e->dir, "/tmp/floe-%s-XXXXXX", tag);
    if (!mkdtemp(e->dir)) abort();
    snprintf(e->wh, sizeof e->wh, "%s/warehouse", e->dir);
    snprintf(e->uri, sizeof e->uri, "sqlite:%s/catalog.db", e->dir);
    floe_err err = {0};
    e->c = e->h.catalog = floe_catalog_open(e->uri, e->wh, NULL, &err);
    if (!e->c) fprintf(stderr, "  opening %s: %s\n", e->uri, err.msg);
    CHECK(e->c != NULL);
    if (e->c && with_ns) CHECK_OK(e->c->create_namespace(e->c, "ns", NULL, &err), &err);
    return e->c ? 0 : -1;
}

static inline void fixture_env_free(fixture_env *e) {
    floe_catalog_free(e->c);
    test_rmtree(e->dir);
}

/* ---- schema evolution ------------------------------------------------------------- */

/* Commits a new current schema (JSON) to t. */
static inline void fixture_evolve(floe_table *t, const char *json, int32_t last_column_id) {
    floe_err err = {0};
    floe_ice_update upd[2];
    memset(upd, 0, sizeof upd);
    upd[0].kind = FLOE_UPD_ADD_SCHEMA;
    upd[0].schema = floe_ice_schema_parse(json, strlen(json), &err);
    CHECK(upd[0].schema != NULL);
    upd[0].last_column_id = last_column_id;
    upd[1].kind = FLOE_UPD_SET_CURRENT_SCHEMA;
    upd[1].id = -1;
    floe_table_commit tc = {t->ns, t->name, NULL, 0, upd, 2};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_update_free(&upd[0]);
    floe_ice_update_free(&upd[1]);
}

/* ---- unknown commit outcomes ------------------------------------------------------ */

/* A catalog over `inner` whose first `left` commits report FLOE_EUNKNOWN,
 * after applying them (apply = 1) or without (apply = 0). */
typedef struct fixture_flaky {
    floe_catalog base;
    floe_catalog *inner;
    int apply, left, commits;
} fixture_flaky;

static inline int fixture_flaky_load(floe_catalog *c, const char *ns, const char *name, floe_table_state *out,
                                     floe_err *err) {
    floe_catalog *in = ((fixture_flaky *)c)->inner;
    return in->load_table(in, ns, name, out, err);
}

static inline int fixture_flaky_commit(floe_catalog *c, const floe_table_commit *tc, floe_table_state *out,
                                       floe_err *err) {
    fixture_flaky *f = (fixture_flaky *)c;
    f->commits++;
    if (f->left > 0) {
        f->left--;
        if (f->apply && f->inner->commit_table(f->inner, tc, NULL, err)) return -1;
        return floe_err_set(err, FLOE_EUNKNOWN, "connection lost after the commit was sent");
    }
    return f->inner->commit_table(f->inner, tc, out, err);
}

static inline floe_fileio *fixture_flaky_io(floe_catalog *c) {
    floe_catalog *in = ((fixture_flaky *)c)->inner;
    return in->fileio(in);
}

/* Sets f up over inner: the first commit's outcome is unknown. */
static inline void fixture_flaky_init(fixture_flaky *f, floe_catalog *inner, int apply) {
    memset(f, 0, sizeof *f);
    f->base.kind = "flaky";
    f->base.load_table = fixture_flaky_load;
    f->base.commit_table = fixture_flaky_commit;
    f->base.fileio = fixture_flaky_io;
    f->inner = inner;
    f->apply = apply;
    f->left = 1;
}

/* ---- reading back ------------------------------------------------------------------ */

static inline int fixture_exists(const char *uri) { return access(floe_uri_local_path(uri), F_OK) == 0; }

/* A scan callback: appends each row and a newline to the floe_buf ctx. */
static inline int fixture_collect(void *ctx, const char *json, size_t len, floe_err *err) {
    floe_buf *b = ctx;
    (void)err;
    floe_buf_append(b, json, len);
    floe_buf_putc(b, '\n');
    return 0;
}

/* qsort's comparison of C strings (an array of char *). */
static inline int fixture_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rows of a scan and the sum of their "id"s. */
typedef struct fixture_sums {
    int64_t rows, ids;
} fixture_sums;

static inline int fixture_sum_row(void *ctx, const char *json, size_t len, floe_err *err) {
    fixture_sums *s = ctx;
    /* json is not NUL-terminated: search within len, and parse the number
     * from a terminated copy (strtoll may read to a NUL). */
    const char *p = memmem(json, len, "\"id\":", 5);
    s->rows++;
    if (p) {
        char num[32];
        size_t n = (size_t)(json + len - (p + 5));
        if (n >= sizeof num) n = sizeof num - 1;
        memcpy(num, p + 5, n);
        num[n] = 0;
        s->ids += strtoll(num, NULL, 10);
    }
    (void)err;
    return 0;
}

/* Rows and the sum of their ids in the current snapshot. */
static inline fixture_sums fixture_scan_sums(floe_table *t) {
    fixture_sums s = {0, 0};
    floe_err err = {0};
    floe_scan_request req;
    memset(&req, 0, sizeof req);
    floe_scan_plan p;
    CHECK_OK(floe_scan_plan_build(t, &req, &p, &err), &err);
    floe_scan_counts counts;
    CHECK_OK(floe_scan_read(t, &p, 0, fixture_sum_row, &s, &counts, &err), &err);
    floe_scan_plan_free(&p);
    return s;
}

/* ---- deletes ---------------------------------------------------------------------- */

/* Writes a Parquet delete file at <location>/data/<name>: position deletes
 * (fpaths[i], vals[i]) or, when fpaths is NULL, equality deletes of ids
 * vals[i]; partition and spec as `like`'s, or (like NULL) the default
 * spec's with an empty partition. */
static inline void fixture_write_delete_file(floe_table *t, const char *name, const char *const *fpaths,
                                             const int64_t *vals, int n, const floe_ice_data_file *like,
                                             floe_ice_data_file *out) {
    floe_err err = {0};
    const floe_ice_metadata *m = floe_table_meta(t);
    char uri[512];
    snprintf(uri, sizeof uri, "%s/data/%s", m->location, name);
    floe_pq_schema *s = floe_pq_schema_new("table");
    if (fpaths) {
        floe_pq_node *p = floe_pq_node_leaf(s->root, "file_path", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY, 2147483546);
        p->logical.kind = FLOE_PQ_LT_STRING;
        p->converted = FLOE_PQ_CT_UTF8;
        floe_pq_node_leaf(s->root, "pos", FLOE_PQ_REQUIRED, FLOE_PQ_INT64, 2147483545);
    } else {
        floe_pq_node_leaf(s->root, "id", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 1);
    }
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    floe_pq_writer *w = floe_pq_writer_open_file(s, NULL, floe_uri_local_path(uri), &err);
    CHECK(w != NULL);
    for (int i = 0; w && i < n; i++) {
        if (fpaths) {
            floe_pq_write_bytes(w, 0, fpaths[i], (uint32_t)strlen(fpaths[i]), 0);
            floe_pq_write_i64(w, 1, vals[i], 0);
        } else {
            floe_pq_write_i64(w, 0, vals[i], 0);
        }
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    if (w) CHECK_OK(floe_pq_writer_close(w, &err), &err);
    memset(out, 0, sizeof *out);
    out->content = fpaths ? FLOE_ICE_CONTENT_POSITION_DELETES : FLOE_ICE_CONTENT_EQUALITY_DELETES;
    out->file_path = floe_xstrdup(uri);
    out->file_format = floe_xstrdup("PARQUET");
    out->record_count = n;
    out->file_size_in_bytes = w ? floe_pq_writer_bytes(w) : 0;
    if (!like) {
        out->spec_id = floe_ice_metadata_spec(m)->spec_id;
        out->partition = floe_xcalloc(1, sizeof *out->partition);
    } else {
        out->spec_id = like->spec_id;
        out->npartition = like->npartition;
        out->partition = floe_xcalloc((size_t)like->npartition + 1, sizeof *out->partition);
    }
    for (int k = 0; like && k < like->npartition; k++) {
        out->partition[k] = like->partition[k];
        if (like->partition[k].p) {
            uint8_t *c = floe_xmalloc(like->partition[k].n + 1);
            memcpy(c, like->partition[k].p, like->partition[k].n);
            out->partition[k].p = c;
        }
    }
    if (!fpaths) {
        out->equality_ids = floe_xcalloc(1, sizeof *out->equality_ids);
        out->equality_ids[0] = 1;
        out->nequality_ids = 1;
    }
    floe_pq_writer_free(w);
    floe_pq_schema_free(s);
}

/* Commits a snapshot adding one delete manifest with `files` (of one spec)
 * on top of main, then waits a few ms so that the next snapshot's
 * timestamp differs (the as-of tests tell snapshots apart by time). */
static inline void fixture_commit_deletes(floe_table *t, floe_ice_data_file *files, int n) {
    floe_err err = {0};
    CHECK_OK(floe_table_reload(t, &err), &err);
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *parent = floe_ice_metadata_current(m);
    int64_t id = 900000 + m->nsnapshots, seq = m->last_sequence_number + 1;
    floe_ice_manifest_entry *es = floe_xcalloc((size_t)n, sizeof *es);
    for (int i = 0; i < n; i++) {
        es[i].status = FLOE_ICE_STATUS_ADDED;
        es[i].file = files[i];
    }
    floe_buf mbuf, lbuf;
    floe_buf_init(&mbuf);
    floe_buf_init(&lbuf);
    floe_ice_manifest_file *mfs = NULL;
    int nm = 0;
    CHECK_OK(floe_table_manifests(t, parent, &mfs, &nm, &err), &err);
    mfs = floe_xrealloc(mfs, sizeof *mfs * (size_t)(nm + 1));
    memmove(mfs + 1, mfs, sizeof *mfs * (size_t)nm);
    nm++;
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, files[0].spec_id);
    CHECK_OK(floe_ice_manifest_write(m, spec, FLOE_ICE_MANIFEST_DELETES, id, es, n, &mbuf, &mfs[0], &err), &err);
    char path[512], list[512];
    snprintf(path, sizeof path, "%s/metadata/deletes-%lld.avro", m->location, (long long)id);
    snprintf(list, sizeof list, "%s/metadata/snap-%lld.avro", m->location, (long long)id);
    mfs[0].manifest_path = floe_xstrdup(path);
    CHECK_OK(t->io->write(t->io, path, mbuf.data, mbuf.len, 1, &err), &err);
    CHECK_OK(floe_ice_manifest_list_write(m->format_version, id, 1, parent->snapshot_id, seq, mfs, nm, &lbuf, &err),
             &err);
    CHECK_OK(t->io->write(t->io, list, lbuf.data, lbuf.len, 1, &err), &err);
    floe_ice_update upd[2];
    memset(upd, 0, sizeof upd);
    upd[0].kind = FLOE_UPD_ADD_SNAPSHOT;
    upd[0].snapshot.snapshot_id = id;
    upd[0].snapshot.has_parent = 1;
    upd[0].snapshot.parent_id = parent->snapshot_id;
    upd[0].snapshot.sequence_number = seq;
    upd[0].snapshot.timestamp_ms = m->last_updated_ms + 1;
    upd[0].snapshot.manifest_list = floe_xstrdup(list);
    floe_props_init(&upd[0].snapshot.summary);
    floe_props_set(&upd[0].snapshot.summary, "operation", "delete");
    upd[1].kind = FLOE_UPD_SET_SNAPSHOT_REF;
    upd[1].ref.name = floe_xstrdup("main");
    upd[1].ref.snapshot_id = id;
    upd[1].ref.min_snapshots_to_keep = upd[1].ref.max_snapshot_age_ms = upd[1].ref.max_ref_age_ms = -1;
    floe_ice_requirement req;
    memset(&req, 0, sizeof req);
    req.kind = FLOE_REQ_ASSERT_REF_SNAPSHOT_ID;
    req.ref = floe_xstrdup("main");
    req.id = parent->snapshot_id;
    floe_table_commit tc = {t->ns, t->name, &req, 1, upd, 2};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_requirement_free(&req);
    floe_ice_update_free(&upd[0]);
    floe_ice_update_free(&upd[1]);
    free(es);
    floe_table_manifests_free(mfs, nm);
    floe_buf_free(&mbuf);
    floe_buf_free(&lbuf);
    usleep(3000);
}

#endif
