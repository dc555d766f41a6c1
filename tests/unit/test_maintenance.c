/*
 * test_maintenance.c — orphan cleanup (src/table/clean.c), manifest
 * rewrites (src/table/rewrite_manifests.c) and the health report
 * (src/table/health.c) on tables built with the real append path and real
 * Parquet data files in a temp SQLite warehouse.
 *
 *   clean: planted orphans older than the window go (dry run first:
 *     reported, nothing deleted), young ones stay, every referenced file
 *     stays whatever its age, a SQLite database under the table and a
 *     sibling table's directory are never touched; the table still loads
 *     and scans to the same rows.
 *   rewrite: 12 appends without merging leave 12 manifests spanning every
 *     partition; a rewrite leaves the planned number, clustered by
 *     partition, entries EXISTING with their snapshot ids and sequence
 *     numbers, the same rows, a `replace` snapshot with Java's summary
 *     keys; a second rewrite does nothing.  A streaming append landing
 *     during the commit is rebased onto (its manifest kept); another
 *     rewrite landing first makes this one replan and find nothing to do.
 *   health: exact counts, bytes, histogram, median, partitions and next
 *     actions for a constructed table, checked against the files on disk.
 */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "floe/maintenance.h"
#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/expire.h"
#include "table/rewrite_manifests.h"
#include "table/scan.h"
#include "table_fixture.h"
#include "test.h"

/* ---- fixtures ------------------------------------------------------------------ */

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"country\",\"required\":false,\"type\":\"string\"}]}";

/* Creates ns.<name> (partitioned by identity(country) when `partitioned`)
 * with fast retries, bounded history and manifest merging off, and the
 * given "key", "value" pairs (NULL ended). */
static floe_table *make_table(env *e, const char *name, int partitioned, const char *const *kv) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    if (partitioned) CHECK_OK(floe_ice_spec_parse_terms("country", s, 0, 999, &spec, &err), &err);
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "commit.retry.min-wait-ms", "1");
    floe_props_set(&props, "commit.retry.max-wait-ms", "5");
    floe_props_set(&props, FLOE_HISTORY_RETAIN_LAST, "0");
    floe_props_set(&props, "commit.manifest-merge.enabled", "false");
    for (int i = 0; kv && kv[i]; i += 2) floe_props_set(&props, kv[i], kv[i + 1]);
    floe_props nsp;
    floe_props_init(&nsp);
    e->c->create_namespace(e->c, "ns", &nsp, &err); /* may exist */
    floe_props_free(&nsp);
    floe_table_create req = {s, partitioned ? &spec : NULL, NULL, NULL, &props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(e->c->create_table(e->c, "ns", name, &req, &st, &err), &err);
    floe_props_free(&props);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(s);
    return floe_table_wrap(e->c, "ns", name, &st);
}

/* Appends ids [first, first + n) with country `country`, or "c<id % 3>"
 * when NULL: one real data file per partition touched. */
static void append_rows(floe_table *t, int first, int n, const char *country) {
    floe_err err = {0};
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &err);
    CHECK(w != NULL);
    if (!w) return;
    for (int i = first; i < first + n; i++) {
        char line[96];
        int len = country ? snprintf(line, sizeof line, "{\"id\":%d,\"country\":\"%s\"}", i, country)
                          : snprintf(line, sizeof line, "{\"id\":%d,\"country\":\"c%d\"}", i, i % 3);
        CHECK_OK(floe_datafile_writer_write(w, line, (size_t)len, i, &err), &err);
    }
    floe_ice_data_file *files = NULL;
    int nf = 0;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &nf, &err), &err);
    floe_datafile_writer_free(w);
    CHECK_OK(floe_table_append(t, files, nf, NULL, &err), &err);
    for (int i = 0; i < nf; i++) floe_ice_data_file_free(&files[i]);
    free(files);
}

static void set_props(floe_table *t, const char *const *kv) {
    floe_err err = {0};
    floe_ice_update u;
    memset(&u, 0, sizeof u);
    floe_props_init(&u.props);
    u.kind = FLOE_UPD_SET_PROPERTIES;
    for (int i = 0; kv[i]; i += 2) floe_props_set(&u.props, kv[i], kv[i + 1]);
    floe_table_commit tc = {t->ns, t->name, NULL, 0, &u, 1};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_update_free(&u);
}

/* The current snapshot's manifests and entries. */
typedef struct snap_view {
    floe_ice_manifest_file *mfs;
    int nm;
    floe_ice_manifest_entry **es;
    int *ne;
} snap_view;

static void view_read(floe_table *t, snap_view *v) {
    floe_err err = {0};
    memset(v, 0, sizeof *v);
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    if (!s) return;
    CHECK_OK(floe_table_manifests(t, s, &v->mfs, &v->nm, &err), &err);
    v->es = floe_xcalloc((size_t)v->nm + 1, sizeof *v->es);
    v->ne = floe_xcalloc((size_t)v->nm + 1, sizeof *v->ne);
    for (int i = 0; i < v->nm; i++) CHECK_OK(floe_table_entries(t, &v->mfs[i], &v->es[i], &v->ne[i], &err), &err);
}

static void view_free(snap_view *v) {
    for (int i = 0; i < v->nm; i++) floe_table_entries_free(v->es[i], v->ne[i]);
    free(v->es);
    free(v->ne);
    floe_table_manifests_free(v->mfs, v->nm);
}

/* Sets the modification time of every file below dir to `age_s` ago. */
static time_t age_target;
static int age_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb;
    (void)f;
    if (flag == FTW_F) {
        struct timespec ts[2] = {{age_target, 0}, {age_target, 0}};
        utimensat(AT_FDCWD, p, ts, 0);
    }
    return 0;
}
static void age_tree(const char *dir, int64_t age_s) {
    age_target = time(NULL) - (time_t)age_s;
    nftw(dir, age_one, 16, FTW_PHYS);
}

static void plant(const char *path, const char *content, int64_t age_s) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    CHECK(system(cmd) == 0);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite(content, 1, strlen(content) + 1, f);
    fclose(f);
    time_t when = time(NULL) - (time_t)age_s;
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static int count_files(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -type f | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1) n = -1;
        pclose(f);
    }
    return n;
}

#define DAY ((int64_t)24 * 3600)

/* ---- clean ----------------------------------------------------------------------- */

TEST(clean_deletes_old_orphans_only) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t = make_table(&e, "t", 1, NULL);
    for (int i = 0; i < 3; i++) append_rows(t, i * 30, 30, NULL);
    /* A sibling table "t2": its directory shares the prefix ".../t". */
    floe_table *t2 = make_table(&e, "t2", 0, NULL);
    append_rows(t2, 0, 5, NULL);
    fixture_sums before = fixture_scan_sums(t);
    const char *loc = floe_uri_local_path(floe_table_meta(t)->location);
    const char *loc2 = floe_uri_local_path(floe_table_meta(t2)->location);
    /* Every referenced file is old: age must not save an orphan nor doom a
     * referenced file. */
    age_tree(e.wh, 30 * DAY);
    int referenced = count_files(loc);
    char p[4][600];
    snprintf(p[0], sizeof p[0], "%s/data/country=c1/00000-9-orphan.parquet", loc);
    snprintf(p[1], sizeof p[1], "%s/metadata/snap-1-1-orphan.avro", loc);
    snprintf(p[2], sizeof p[2], "%s/data/young.parquet", loc);
    snprintf(p[3], sizeof p[3], "%s/data/stray.parquet", loc2);
    plant(p[0], "old orphan", 10 * DAY);
    plant(p[1], "old orphan manifest", 4 * DAY);
    plant(p[2], "young orphan", 3600);
    plant(p[3], "another table's file", 10 * DAY);
    char db[600], dbx[600];
    snprintf(db, sizeof db, "%s/catalog.db", loc);
    snprintf(dbx, sizeof dbx, "%s/data/state.bin", loc);
    plant(db, "not really sqlite, protected by name", 10 * DAY);
    plant(dbx, "SQLite format 3", 10 * DAY); /* the header, NUL included */

    floe_catalog_handle h = {e.c};
    floe_clean_result r;
    floe_err err = {0};
    floe_clean_opts o;
    memset(&o, 0, sizeof o);
    o.dry_run = 1;
    CHECK_OK(floe_clean(&h, "ns.t", &o, &r, &err), &err);
    CHECK_EQ_INT(r.orphans, 2);
    CHECK_EQ_INT(r.npaths, 2);
    CHECK_EQ_INT(r.young_skipped, 1);
    CHECK_EQ_INT(r.files_referenced, referenced);
    CHECK_EQ_INT(r.files_listed, referenced + 5);
    CHECK_EQ_INT(r.orphan_bytes, (int64_t)strlen("old orphan") + 1 + (int64_t)strlen("old orphan manifest") + 1);
    if (r.npaths == 2) {
        /* sorted: data before metadata */
        CHECK(strstr(r.paths[0], "orphan.parquet") != NULL);
        CHECK(strstr(r.paths[1], "snap-1-1-orphan.avro") != NULL);
    }
    floe_clean_result_free(&r);
    CHECK(access(p[0], F_OK) == 0);
    CHECK(access(p[1], F_OK) == 0);

    /* A window of 5 days spares the 4-day-old manifest. */
    memset(&o, 0, sizeof o);
    o.older_than_ms = floe_ice_now_ms() - 5 * DAY * 1000;
    CHECK_OK(floe_clean(&h, "ns.t", &o, &r, &err), &err);
    CHECK_EQ_INT(r.orphans, 1);
    CHECK_EQ_INT(r.young_skipped, 2);
    floe_clean_result_free(&r);
    CHECK(access(p[0], F_OK) != 0);
    CHECK(access(p[1], F_OK) == 0);

    /* The default window (3 days). */
    CHECK_OK(floe_clean(&h, "ns.t", NULL, &r, &err), &err);
    CHECK_EQ_INT(r.orphans, 1);
    CHECK_EQ_INT(r.young_skipped, 1);
    CHECK_EQ_INT(r.files_referenced, referenced);
    floe_clean_result_free(&r);
    CHECK(access(p[1], F_OK) != 0);
    CHECK(access(p[2], F_OK) == 0);
    CHECK(access(p[3], F_OK) == 0);
    CHECK(access(db, F_OK) == 0);
    CHECK(access(dbx, F_OK) == 0);
    CHECK_EQ_INT(count_files(loc), referenced + 3);

    /* The table still loads and reads the same rows. */
    floe_table *again = floe_table_load(e.c, "ns", "t", &err);
    CHECK(again != NULL);
    if (again) {
        fixture_sums after = fixture_scan_sums(again);
        CHECK_EQ_INT(after.rows, before.rows);
        CHECK_EQ_INT(after.ids, before.ids);
        CHECK_EQ_INT(after.rows, 90);
        floe_table_free(again);
    }
    CHECK_EQ_INT(fixture_scan_sums(t2).rows, 5);
    floe_table_free(t);
    floe_table_free(t2);
    fixture_env_free(&e);
}

/* Files of expired snapshots that expiry leaves (its cleanup turned off)
 * are orphans to clean, and after cleaning, the metadata log's files and
 * every remaining snapshot's lists are still there. */
TEST(clean_after_expiry_without_cleanup) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t = make_table(&e, "t", 0, NULL);
    for (int i = 0; i < 5; i++) append_rows(t, i * 10, 10, NULL);
    floe_expire_opts xo;
    memset(&xo, 0, sizeof xo);
    xo.retain_last = 2;
    xo.keep_files = 1;
    floe_expire_result xr;
    floe_err err = {0};
    CHECK_OK(floe_table_expire_snapshots(t, &xo, &xr, &err), &err);
    CHECK_EQ_INT(xr.nexpired, 3);
    floe_expire_result_free(&xr);
    age_tree(e.wh, 30 * DAY);
    floe_catalog_handle h = {e.c};
    floe_clean_result r;
    CHECK_OK(floe_clean(&h, "ns.t", NULL, &r, &err), &err);
    /* the 3 expired snapshots' manifest lists; their manifests are still
     * listed by the remaining snapshots (merging is off), data files live */
    CHECK_EQ_INT(r.orphans, 3);
    for (int i = 0; i < r.npaths; i++) CHECK(strstr(r.paths[i], "/metadata/snap-") != NULL);
    floe_clean_result_free(&r);
    floe_table *again = floe_table_load(e.c, "ns", "t", &err);
    CHECK(again != NULL);
    if (again) {
        const floe_ice_metadata *m = floe_table_meta(again);
        for (int i = 0; i < m->nmetadata_log; i++) CHECK(fixture_exists(m->metadata_log[i].file));
        for (int i = 0; i < m->nsnapshots; i++) CHECK(fixture_exists(m->snapshots[i].manifest_list));
        CHECK_EQ_INT(fixture_scan_sums(again).rows, 50);
        floe_table_free(again);
    }
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- rewrite manifests ------------------------------------------------------------- */

typedef struct entry_id {
    char *path;
    int64_t snapshot_id, seq, file_seq;
} entry_id;

static int cmp_entry_id(const void *a, const void *b) {
    return strcmp(((const entry_id *)a)->path, ((const entry_id *)b)->path);
}

/* The live entries of the current snapshot, sorted by path. */
static entry_id *entry_ids(floe_table *t, int *n) {
    snap_view v;
    view_read(t, &v);
    entry_id *out = NULL;
    *n = 0;
    for (int i = 0; i < v.nm; i++)
        for (int k = 0; k < v.ne[i]; k++) {
            const floe_ice_manifest_entry *x = &v.es[i][k];
            if (x->status == FLOE_ICE_STATUS_DELETED) continue;
            out = floe_xrealloc(out, sizeof *out * (size_t)(*n + 1));
            out[(*n)++] = (entry_id){floe_xstrdup(x->file.file_path), x->snapshot_id, x->sequence_number,
                                     x->file_sequence_number};
        }
    view_free(&v);
    if (*n > 1) qsort(out, (size_t)*n, sizeof *out, cmp_entry_id);
    return out;
}

static void entry_ids_free(entry_id *v, int n) {
    for (int i = 0; i < n; i++) free(v[i].path);
    free(v);
}

/* Checks the current snapshot's manifests: every entry EXISTING, and the
 * partition ranges of the data manifests disjoint (touching at most). */
static void check_clustered(floe_table *t) {
    snap_view v;
    view_read(t, &v);
    char lo[16][8], hi[16][8];
    int nr = 0;
    for (int i = 0; i < v.nm && nr < 16; i++) {
        CHECK_EQ_INT(v.mfs[i].content, FLOE_ICE_MANIFEST_DATA);
        lo[nr][0] = hi[nr][0] = '\0';
        for (int k = 0; k < v.ne[i]; k++) {
            const floe_ice_data_file *f = &v.es[i][k].file;
            CHECK_EQ_INT(v.es[i][k].status, FLOE_ICE_STATUS_EXISTING);
            char c[8];
            snprintf(c, sizeof c, "%.*s", (int)f->partition[0].n, (const char *)f->partition[0].p);
            if (!lo[nr][0] || strcmp(c, lo[nr]) < 0) snprintf(lo[nr], sizeof lo[nr], "%s", c);
            if (!hi[nr][0] || strcmp(c, hi[nr]) > 0) snprintf(hi[nr], sizeof hi[nr], "%s", c);
        }
        nr++;
    }
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nr; j++)
            if (i != j && strcmp(lo[i], lo[j]) <= 0) CHECK(strcmp(hi[i], lo[j]) <= 0 || strcmp(lo[i], lo[j]) == 0);
    view_free(&v);
}

static void check_same_entries(const entry_id *a, int na, const entry_id *b, int nb) {
    CHECK_EQ_INT(na, nb);
    for (int i = 0; i < na && i < nb; i++) {
        CHECK_EQ_STR(a[i].path, b[i].path);
        CHECK_EQ_INT(a[i].snapshot_id, b[i].snapshot_id);
        CHECK_EQ_INT(a[i].seq, b[i].seq);
        CHECK_EQ_INT(a[i].file_seq, b[i].file_seq);
    }
}

TEST(rewrite_regroups_by_partition) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t = make_table(&e, "t", 1, NULL);
    for (int i = 0; i < 12; i++) append_rows(t, i * 9, 9, NULL);
    snap_view v;
    view_read(t, &v);
    CHECK_EQ_INT(v.nm, 12);
    /* A target that makes 3 manifests of the 36 entries: a third of
     * their bytes beyond the header each manifest repeats. */
    const floe_ice_metadata *m0 = floe_table_meta(t);
    floe_buf hb;
    floe_buf_init(&hb);
    floe_ice_manifest_file hs;
    floe_err herr = {0};
    CHECK_OK(floe_ice_manifest_write(m0, floe_ice_metadata_spec(m0), FLOE_ICE_MANIFEST_DATA, 0, NULL, 0, &hb, &hs,
                                     &herr),
             &herr);
    int64_t header = (int64_t)hb.len, total = 0;
    floe_ice_manifest_file_free(&hs);
    floe_buf_free(&hb);
    for (int i = 0; i < v.nm; i++) total += v.mfs[i].manifest_length - header;
    view_free(&v);
    char target[32];
    snprintf(target, sizeof target, "%lld", (long long)(header + total / 3 + 1));
    const char *kv[] = {"commit.manifest.target-size-bytes", target, NULL};
    set_props(t, kv);
    int nbefore;
    entry_id *before = entry_ids(t, &nbefore);
    CHECK_EQ_INT(nbefore, 36);
    fixture_sums s0 = fixture_scan_sums(t);
    const floe_ice_snapshot *parent = floe_ice_metadata_current(floe_table_meta(t));
    int64_t parent_id = parent->snapshot_id;
    int64_t parent_records = floe_props_get_int(&parent->summary, "total-records", -1);

    floe_rewrite_manifests_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_rewrite_manifests(t, &r, &err), &err);
    CHECK_EQ_INT(r.snapshots, 1);
    CHECK_EQ_INT(r.manifests_before, 12);
    CHECK_EQ_INT(r.manifests_after, 3);
    CHECK_EQ_INT(r.entries, 36);
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK_EQ_INT(s->parent_id, parent_id);
    CHECK_EQ_STR(floe_props_get(&s->summary, "operation"), "replace");
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "manifests-created", -1), 3);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "manifests-kept", -1), 0);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "manifests-replaced", -1), 12);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "entries-processed", -1), 36);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-records", -1), parent_records);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-data-files", -1), 36);
    int nafter;
    entry_id *after = entry_ids(t, &nafter);
    check_same_entries(before, nbefore, after, nafter);
    entry_ids_free(after, nafter);
    check_clustered(t);
    fixture_sums s1 = fixture_scan_sums(t);
    CHECK_EQ_INT(s1.rows, s0.rows);
    CHECK_EQ_INT(s1.ids, s0.ids);
    CHECK_EQ_INT(s1.rows, 108);

    /* Already clustered and few: nothing to do. */
    CHECK_OK(floe_table_rewrite_manifests(t, &r, &err), &err);
    CHECK_EQ_INT(r.snapshots, 0);
    CHECK_EQ_INT(r.manifests_before, 3);
    CHECK_EQ_INT(r.manifests_after, 3);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 13);

    /* The default target (8 MiB): one manifest, through the public API. */
    const char *kv2[] = {"commit.manifest.target-size-bytes", "8388608", NULL};
    set_props(t, kv2);
    floe_catalog_handle h = {e.c};
    CHECK_OK(floe_rewrite_manifests(&h, "ns.t", &r, &err), &err);
    CHECK_EQ_INT(r.snapshots, 1);
    CHECK_EQ_INT(r.manifests_before, 3);
    CHECK_EQ_INT(r.manifests_after, 1);
    floe_table_reload(t, &err);
    after = entry_ids(t, &nafter);
    check_same_entries(before, nbefore, after, nafter);
    entry_ids_free(after, nafter);
    CHECK_EQ_INT(fixture_scan_sums(t).ids, s0.ids);
    entry_ids_free(before, nbefore);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* A catalog whose first commit lets `race` run first (another writer's
 * commit through the inner catalog), so the commit loses. */
typedef struct racing {
    floe_catalog base;
    floe_catalog *inner;
    void (*race)(struct racing *);
    int commits;
    env *e;
} racing;

static int racing_load(floe_catalog *c, const char *ns, const char *name, floe_table_state *out, floe_err *err) {
    floe_catalog *in = ((racing *)c)->inner;
    return in->load_table(in, ns, name, out, err);
}

static int racing_commit(floe_catalog *c, const floe_table_commit *tc, floe_table_state *out, floe_err *err) {
    racing *r = (racing *)c;
    if (r->commits++ == 0) r->race(r);
    return r->inner->commit_table(r->inner, tc, out, err);
}

static floe_fileio *racing_io(floe_catalog *c) {
    floe_catalog *in = ((racing *)c)->inner;
    return in->fileio(in);
}

static void race_append(racing *r) {
    floe_err err = {0};
    floe_table *o = floe_table_load(r->inner, "ns", "t", &err);
    CHECK(o != NULL);
    if (!o) return;
    append_rows(o, 1000, 6, NULL);
    floe_table_free(o);
}

static void race_rewrite(racing *r) {
    floe_err err = {0};
    floe_table *o = floe_table_load(r->inner, "ns", "t", &err);
    CHECK(o != NULL);
    if (!o) return;
    floe_rewrite_manifests_result res;
    CHECK_OK(floe_table_rewrite_manifests(o, &res, &err), &err);
    CHECK_EQ_INT(res.snapshots, 1);
    floe_table_free(o);
}

static floe_table *racing_table(env *e, racing *rc, void (*race)(racing *)) {
    memset(rc, 0, sizeof *rc);
    rc->base.kind = "racing";
    rc->base.load_table = racing_load;
    rc->base.commit_table = racing_commit;
    rc->base.fileio = racing_io;
    rc->inner = e->c;
    rc->race = race;
    floe_err err = {0};
    floe_table *t = floe_table_load(&rc->base, "ns", "t", &err);
    CHECK(t != NULL);
    return t;
}

TEST(rewrite_rebases_onto_a_concurrent_append) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t0 = make_table(&e, "t", 1, NULL);
    for (int i = 0; i < 6; i++) append_rows(t0, i * 9, 9, NULL);
    floe_table_free(t0);
    racing rc;
    floe_table *t = racing_table(&e, &rc, race_append);
    if (!t) return;
    floe_rewrite_manifests_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_rewrite_manifests(t, &r, &err), &err);
    CHECK_EQ_INT(rc.commits, 2);
    CHECK_EQ_INT(r.snapshots, 1);
    /* one rewritten manifest plus the append's own */
    CHECK_EQ_INT(r.manifests_before, 7);
    CHECK_EQ_INT(r.manifests_after, 2);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 8);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK_EQ_STR(floe_props_get(&s->summary, "operation"), "replace");
    const floe_ice_snapshot *p = floe_ice_metadata_snapshot(m, s->parent_id);
    CHECK(p != NULL && strcmp(floe_props_get(&p->summary, "operation"), "append") == 0);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "manifests-kept", -1), 1);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-records", -1), 60);
    fixture_sums sm = fixture_scan_sums(t);
    CHECK_EQ_INT(sm.rows, 60);
    CHECK_EQ_INT(sm.ids, 53 * 54 / 2 + (1000 + 1005) * 6 / 2);
    /* only the winning attempt's manifest list is left */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/metadata", floe_uri_local_path(m->location));
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^snap-%lld-'", dir, (long long)s->snapshot_id);
    FILE *f = popen(cmd, "r");
    int lists = -1;
    if (f) {
        if (fscanf(f, "%d", &lists) != 1) lists = -1;
        pclose(f);
    }
    CHECK_EQ_INT(lists, 1);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(rewrite_replans_after_a_concurrent_rewrite) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t0 = make_table(&e, "t", 1, NULL);
    for (int i = 0; i < 5; i++) append_rows(t0, i * 9, 9, NULL);
    floe_table_free(t0);
    racing rc;
    floe_table *t = racing_table(&e, &rc, race_rewrite);
    if (!t) return;
    char mdir[600];
    snprintf(mdir, sizeof mdir, "%s/metadata", floe_uri_local_path(floe_table_meta(t)->location));
    int files_before_race = count_files(mdir);
    floe_rewrite_manifests_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_rewrite_manifests(t, &r, &err), &err);
    /* the other rewrite replaced our inputs: planned again, nothing left
     * to do, so no second commit */
    CHECK_EQ_INT(rc.commits, 1);
    CHECK_EQ_INT(r.snapshots, 0);
    CHECK_EQ_INT(r.manifests_after, 1);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 6);
    CHECK_EQ_INT(fixture_scan_sums(t).rows, 45);
    /* our abandoned manifests and list are deleted: the other rewrite added
     * one manifest, one list and one metadata file */
    CHECK_EQ_INT(count_files(mdir), files_before_race + 3);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- health ------------------------------------------------------------------------ */

static int64_t file_size(const char *uri) {
    struct stat st;
    return stat(floe_uri_local_path(uri), &st) == 0 ? (int64_t)st.st_size : -1;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

TEST(health_numbers_are_exact) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    const char *kv[] = {"write.target-file-size-bytes", "1000000", NULL};
    floe_table *t = make_table(&e, "t", 1, kv);
    /* c0: 10 files; c1: 2 files; every file far below 750000 bytes */
    for (int i = 0; i < 10; i++) append_rows(t, i * 10, 10, "c0");
    append_rows(t, 100, 7, "c1");
    append_rows(t, 107, 5, "c1");
    floe_catalog_handle h = {e.c};
    floe_table_health hl;
    floe_err err = {0};
    CHECK_OK(floe_table_health_get(&h, "ns.t", &hl, &err), &err);

    /* the expected numbers, from the files on disk */
    int nfiles;
    entry_id *ids = entry_ids(t, &nfiles);
    CHECK_EQ_INT(nfiles, 12);
    int64_t sizes[12], bytes = 0, c0bytes = 0, hist[48] = {0};
    for (int i = 0; i < nfiles && i < 12; i++) {
        sizes[i] = file_size(ids[i].path);
        bytes += sizes[i];
        if (strstr(ids[i].path, "country=c0")) c0bytes += sizes[i];
        int k = 0;
        while (((int64_t)2 << k) <= sizes[i]) k++;
        hist[k]++;
    }
    qsort(sizes, 12, sizeof sizes[0], cmp_i64);
    entry_ids_free(ids, nfiles);
    const floe_ice_metadata *m = floe_table_meta(t);

    CHECK_EQ_INT(hl.data_files, 12);
    CHECK_EQ_INT(hl.delete_files, 0);
    CHECK_EQ_INT(hl.small_files, 12);
    CHECK_EQ_INT(hl.records, 112);
    CHECK_EQ_INT(hl.bytes, bytes);
    CHECK_EQ_INT(hl.target_file_bytes, 1000000);
    CHECK_EQ_INT(hl.small_file_bytes, 750000);
    for (int k = 0; k < 48; k++) CHECK_EQ_INT(hl.size_hist[k], hist[k]);
    CHECK_EQ_INT(hl.median_file_bytes, (sizes[5] + sizes[6]) / 2);
    CHECK_EQ_INT(hl.npartitions, 2);
    if (hl.npartitions == 2) {
        CHECK_EQ_STR(hl.partitions[0].partition, "country=c0");
        CHECK_EQ_INT(hl.partitions[0].data_files, 10);
        CHECK_EQ_INT(hl.partitions[0].small_files, 10);
        CHECK_EQ_INT(hl.partitions[0].records, 100);
        CHECK_EQ_INT(hl.partitions[0].bytes, c0bytes);
        CHECK_EQ_STR(hl.partitions[1].partition, "country=c1");
        CHECK_EQ_INT(hl.partitions[1].data_files, 2);
        CHECK_EQ_INT(hl.partitions[1].records, 12);
    }
    CHECK_EQ_INT(hl.snapshots, 12);
    CHECK_EQ_INT(hl.manifests, 12);
    CHECK_EQ_INT(hl.metadata_bytes, file_size(t->state.metadata_location));
    CHECK_EQ_INT(hl.oldest_snapshot_ms, m->snapshots[0].timestamp_ms);
    CHECK_EQ_INT(hl.current_snapshot_ms, floe_ice_metadata_current(m)->timestamp_ms);
    /* c1's 2 small files are too few to compact; bound off and nothing 5
     * days old: no expiry; 12 manifests would become 1 */
    CHECK_EQ_INT(hl.nnext_actions, 2);
    if (hl.nnext_actions == 2) {
        CHECK_EQ_STR(hl.next_actions[0], "compact 1 partition (10 small files)");
        CHECK_EQ_STR(hl.next_actions[1], "rewrite manifests (12 -> 1)");
    }
    json_error_t je;
    json_t *j = json_loads(hl.json, 0, &je);
    CHECK(j != NULL);
    if (j) {
        CHECK_EQ_INT(json_integer_value(json_object_get(j, "data-files")), 12);
        CHECK_EQ_INT(json_integer_value(json_object_get(j, "bytes")), bytes);
        CHECK_EQ_INT(json_array_size(json_object_get(j, "partitions")), 2);
        CHECK_EQ_INT(json_array_size(json_object_get(j, "next-actions")), 2);
        CHECK(json_number_value(json_object_get(j, "small-file-ratio")) == 1.0);
        int64_t n = 0;
        json_t *hj = json_object_get(j, "size-histogram");
        for (size_t i = 0; i < json_array_size(hj); i++)
            n += json_integer_value(json_object_get(json_array_get(hj, i), "files"));
        CHECK_EQ_INT(n, 12);
        json_decref(j);
    }
    floe_table_health_free(&hl);

    /* Bound on (retain 3, slack 2): 12 snapshots, 9 beyond the bound. */
    const char *kv2[] = {FLOE_HISTORY_RETAIN_LAST, "3", FLOE_HISTORY_SLACK, "2", "write.target-file-size-bytes",
                         "100", NULL};
    set_props(t, kv2);
    CHECK_OK(floe_table_health_get(&h, "ns.t", &hl, &err), &err);
    CHECK_EQ_INT(hl.small_files, 0); /* every file is above 75 bytes */
    CHECK_EQ_INT(hl.small_file_bytes, 75);
    CHECK_EQ_INT(hl.nnext_actions, 2);
    if (hl.nnext_actions == 2) {
        CHECK_EQ_STR(hl.next_actions[0], "expire 9 snapshots");
        CHECK_EQ_STR(hl.next_actions[1], "rewrite manifests (12 -> 1)");
    }
    floe_table_health_free(&hl);

    /* After the rewrite and an expiry: healthy. */
    floe_rewrite_manifests_result rr;
    CHECK_OK(floe_table_rewrite_manifests(t, &rr, &err), &err);
    floe_expire_opts xo;
    memset(&xo, 0, sizeof xo);
    xo.retain_last = 3;
    floe_expire_result xr;
    CHECK_OK(floe_table_expire_snapshots(t, &xo, &xr, &err), &err);
    floe_expire_result_free(&xr);
    CHECK_OK(floe_table_health_get(&h, "ns.t", &hl, &err), &err);
    CHECK_EQ_INT(hl.manifests, 1);
    CHECK_EQ_INT(hl.snapshots, 3);
    CHECK_EQ_INT(hl.nnext_actions, 0);
    CHECK_EQ_INT(hl.data_files, 12);
    floe_table_health_free(&hl);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(health_of_an_empty_table) {
    env e;
    if (fixture_env_init(&e, "maint", 0)) return;
    floe_table *t = make_table(&e, "t", 0, NULL);
    floe_catalog_handle h = {e.c};
    floe_table_health hl;
    floe_err err = {0};
    CHECK_OK(floe_table_health_get(&h, "ns.t", &hl, &err), &err);
    CHECK_EQ_INT(hl.data_files, 0);
    CHECK_EQ_INT(hl.snapshots, 0);
    CHECK_EQ_INT(hl.manifests, 0);
    CHECK_EQ_INT(hl.nnext_actions, 0);
    CHECK(hl.metadata_bytes > 0);
    CHECK(hl.json && strstr(hl.json, "\"oldest-snapshot-ms\":null") != NULL);
    floe_table_health_free(&hl);
    CHECK(floe_table_health_get(&h, "ns.missing", &hl, &err) != 0);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    floe_rewrite_manifests_result r;
    CHECK_OK(floe_rewrite_manifests(&h, "ns.t", &r, &err), &err);
    CHECK_EQ_INT(r.snapshots, 0);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST_MAIN(T(clean_deletes_old_orphans_only), T(clean_after_expiry_without_cleanup),
          T(rewrite_regroups_by_partition), T(rewrite_rebases_onto_a_concurrent_append),
          T(rewrite_replans_after_a_concurrent_rewrite), T(health_numbers_are_exact), T(health_of_an_empty_table))
