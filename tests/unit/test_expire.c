/*
 * test_expire.c — snapshot expiry (src/table/expire.c) on tables built with
 * the real append path and real Parquet data files in a temp SQLite
 * warehouse: retain-last on an append-only history (manifest lists go,
 * every data file stays, a scan returns the same rows); branch and tag
 * heads, a branch's own min-snapshots-to-keep and progress-marker
 * snapshots survive; a history with a delete (a file's DELETED entry)
 * loses exactly that file, unless a tag still reaches it; age cutoffs and
 * the table's history.expire.* defaults; dry runs; a lost race is
 * recomputed; and the bounded history of the commit path.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/expire.h"
#include "table/scan.h"
#include "table_fixture.h"
#include "test.h"

/* ---- fixtures ------------------------------------------------------------------ */

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"country\",\"required\":false,\"type\":\"string\"}]}";

/* Creates ns.t with fast retries and the given "key", "value" pairs (NULL
 * ended); bounded history off unless a pair sets it. */
static floe_table *make_table(env *e, const char *const *kv) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "commit.retry.min-wait-ms", "1");
    floe_props_set(&props, "commit.retry.max-wait-ms", "5");
    floe_props_set(&props, FLOE_HISTORY_RETAIN_LAST, "0");
    for (int i = 0; kv && kv[i]; i += 2) floe_props_set(&props, kv[i], kv[i + 1]);
    CHECK_OK(e->c->create_namespace(e->c, "ns", NULL, &err), &err);
    floe_table_create req = {s, NULL, NULL, NULL, &props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(e->c->create_table(e->c, "ns", "t", &req, &st, &err), &err);
    floe_props_free(&props);
    floe_ice_schema_free(s);
    return floe_table_wrap(e->c, "ns", "t", &st);
}

/* Appends one real data file with ids [first, first + n); `marker` (may be
 * NULL) is a summary key set to "{}".  *path (may be NULL) gets the file. */
static int append_rows(floe_table *t, int first, int n, const char *marker, char **path) {
    floe_err err = {0};
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &err);
    CHECK(w != NULL);
    if (!w) return -1;
    for (int i = first; i < first + n; i++) {
        char line[96];
        int len = snprintf(line, sizeof line, "{\"id\":%d,\"country\":\"c%d\"}", i, i % 3);
        CHECK_OK(floe_datafile_writer_write(w, line, (size_t)len, i, &err), &err);
    }
    floe_ice_data_file *files = NULL;
    int nf = 0;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &nf, &err), &err);
    floe_datafile_writer_free(w);
    CHECK_EQ_INT(nf, 1);
    floe_props extra;
    floe_props_init(&extra);
    if (marker) floe_props_set(&extra, marker, "{}");
    int rc = floe_table_append(t, files, nf, &extra, &err);
    CHECK_OK(rc, &err);
    if (path) *path = nf > 0 ? floe_xstrdup(files[0].file_path) : NULL;
    for (int i = 0; i < nf; i++) floe_ice_data_file_free(&files[i]);
    free(files);
    floe_props_free(&extra);
    return rc;
}

static int64_t snap_id(const floe_table *t, int i) { return floe_table_meta(t)->snapshots[i].snapshot_id; }

static int has_snapshot(const floe_table *t, int64_t id) {
    return floe_ice_metadata_snapshot(floe_table_meta(t), id) != NULL;
}

static int count_files(const char *dir_uri, const char *suffix) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*%s' | wc -l", floe_uri_local_path(dir_uri), suffix);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1) n = -1;
        pclose(f);
    }
    return n;
}

static void commit_ref(floe_table *t, const char *name, int is_tag, int64_t id, int64_t min_keep) {
    floe_err err = {0};
    floe_ice_update u;
    memset(&u, 0, sizeof u);
    floe_props_init(&u.props);
    u.kind = FLOE_UPD_SET_SNAPSHOT_REF;
    u.ref.name = floe_xstrdup(name);
    u.ref.snapshot_id = id;
    u.ref.is_tag = is_tag;
    u.ref.min_snapshots_to_keep = min_keep;
    u.ref.max_snapshot_age_ms = u.ref.max_ref_age_ms = -1;
    floe_table_commit tc = {t->ns, t->name, NULL, 0, &u, 1};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_update_free(&u);
}

/* Commits a snapshot on main that deletes the data file `victim`: one
 * manifest with its entry DELETED and every other live file EXISTING (an
 * overwrite as another engine would write it). */
static void commit_delete(floe_table *t, const char *victim, int64_t new_id) {
    floe_err err = {0};
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *cur = floe_ice_metadata_current(m);
    floe_ice_manifest_file *mfs;
    int nm;
    CHECK_OK(floe_table_manifests(t, cur, &mfs, &nm, &err), &err);
    floe_ice_manifest_entry *all = NULL;
    int nall = 0;
    for (int k = 0; k < nm; k++) {
        floe_ice_manifest_entry *es;
        int ne;
        CHECK_OK(floe_table_entries(t, &mfs[k], &es, &ne, &err), &err);
        all = floe_xrealloc(all, sizeof *all * (size_t)(nall + ne));
        for (int i = 0; i < ne; i++) {
            floe_ice_manifest_entry *e = &es[i];
            if (e->status == FLOE_ICE_STATUS_DELETED) {
                floe_ice_manifest_entry_free(e);
                continue;
            }
            if (strcmp(e->file.file_path, victim) == 0) {
                e->status = FLOE_ICE_STATUS_DELETED;
                e->snapshot_id = new_id;
            } else {
                e->status = FLOE_ICE_STATUS_EXISTING;
            }
            all[nall++] = *e;
        }
        free(es);
    }
    floe_table_manifests_free(mfs, nm);
    int64_t seq = m->last_sequence_number + 1;
    floe_buf b, path, list;
    floe_buf_init(&b);
    floe_buf_init(&path);
    floe_buf_init(&list);
    floe_ice_manifest_file mf;
    memset(&mf, 0, sizeof mf);
    CHECK_OK(floe_ice_manifest_write(m, floe_ice_metadata_spec(m), FLOE_ICE_MANIFEST_DATA, new_id, all, nall, &b, &mf,
                                     &err),
             &err);
    floe_buf_printf(&path, "%s/metadata/delete-%lld-m0.avro", m->location, (long long)new_id);
    mf.manifest_path = floe_xstrdup(floe_buf_cstr(&path));
    CHECK_OK(t->io->write(t->io, mf.manifest_path, b.data, b.len, 1, &err), &err);
    CHECK_OK(floe_ice_manifest_list_write(m->format_version, new_id, 1, cur->snapshot_id, seq, &mf, 1, &list, &err),
             &err);
    floe_buf_reset(&path);
    floe_buf_printf(&path, "%s/metadata/snap-%lld-1-delete.avro", m->location, (long long)new_id);
    CHECK_OK(t->io->write(t->io, floe_buf_cstr(&path), list.data, list.len, 1, &err), &err);

    floe_ice_update u[2];
    memset(u, 0, sizeof u);
    floe_props_init(&u[0].props);
    floe_props_init(&u[1].props);
    u[0].kind = FLOE_UPD_ADD_SNAPSHOT;
    u[0].snapshot.snapshot_id = new_id;
    u[0].snapshot.has_parent = 1;
    u[0].snapshot.parent_id = cur->snapshot_id;
    u[0].snapshot.sequence_number = seq;
    u[0].snapshot.timestamp_ms = floe_ice_now_ms();
    u[0].snapshot.manifest_list = floe_xstrdup(floe_buf_cstr(&path));
    floe_props_init(&u[0].snapshot.summary);
    floe_props_set(&u[0].snapshot.summary, "operation", "delete");
    u[1].kind = FLOE_UPD_SET_SNAPSHOT_REF;
    u[1].ref.name = floe_xstrdup("main");
    u[1].ref.snapshot_id = new_id;
    u[1].ref.min_snapshots_to_keep = u[1].ref.max_snapshot_age_ms = u[1].ref.max_ref_age_ms = -1;
    floe_table_commit tc = {t->ns, t->name, NULL, 0, u, 2};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_update_free(&u[0]);
    floe_ice_update_free(&u[1]);
    floe_ice_manifest_file_free(&mf);
    floe_table_entries_free(all, nall);
    floe_buf_free(&b);
    floe_buf_free(&path);
    floe_buf_free(&list);
}

/* ---- tests --------------------------------------------------------------------- */

TEST(retain_last_on_append_only_history) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, NULL);
    char *paths[6];
    for (int i = 0; i < 6; i++) append_rows(t, i * 10, 10, NULL, &paths[i]);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 6);
    char *lists[6];
    int64_t ids[6];
    for (int i = 0; i < 6; i++) {
        lists[i] = floe_xstrdup(m->snapshots[i].manifest_list);
        ids[i] = snap_id(t, i);
    }
    fixture_sums before = fixture_scan_sums(t);
    CHECK_EQ_INT(before.rows, 60);

    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.retain_last = 2;
    o.dry_run = 1;
    floe_expire_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 4);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 6); /* a dry run changes nothing */
    CHECK(fixture_exists(lists[0]));
    floe_expire_result_free(&r);

    o.dry_run = 0;
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 4);
    for (int i = 0; i < r.nexpired && i < 4; i++) CHECK(r.expired[i] == ids[i]); /* oldest first */
    CHECK_EQ_INT(r.nretained, 2);
    CHECK_EQ_INT(r.deleted_manifest_lists, 4);
    CHECK_EQ_INT(r.deleted_data_files, 0);   /* append-only: every file is live in the head */
    CHECK_EQ_INT(r.deleted_manifests, 0);    /* no merge yet: the head lists every manifest */
    CHECK_EQ_STR(r.cleanup_error, "");
    floe_expire_result_free(&r);
    m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 2);
    CHECK(has_snapshot(t, ids[4]) && has_snapshot(t, ids[5]) && !has_snapshot(t, ids[0]));
    CHECK_EQ_INT(m->nsnapshot_log, 2);
    for (int i = 0; i < 6; i++) {
        CHECK(fixture_exists(paths[i]));
        CHECK(fixture_exists(lists[i]) == (i >= 4));
    }
    fixture_sums after = fixture_scan_sums(t);
    CHECK_EQ_INT(after.rows, before.rows);
    CHECK_EQ_INT(after.ids, before.ids);

    /* A reloaded handle sees the same. */
    floe_table *t2 = floe_table_load(e.c, "ns", "t", &err);
    CHECK(t2 != NULL);
    if (t2) {
        CHECK_EQ_INT(floe_table_meta(t2)->nsnapshots, 2);
        floe_table_free(t2);
    }
    /* Nothing left to expire: no commit. */
    const char *loc_before = t->state.metadata_location;
    char *keep_loc = floe_xstrdup(loc_before);
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 0);
    CHECK_EQ_STR(t->state.metadata_location, keep_loc);
    floe_expire_result_free(&r);
    free(keep_loc);
    for (int i = 0; i < 6; i++) {
        free(paths[i]);
        free(lists[i]);
    }
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(refs_and_markers_survive) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, NULL);
    /* s0 g1, s1 g1, s2, s3 g2, s4, s5 ... s9 */
    const char *markers[10] = {FLOE_MARKER_PREFIX "g1", FLOE_MARKER_PREFIX "g1", NULL, FLOE_MARKER_PREFIX "g2"};
    for (int i = 0; i < 10; i++) append_rows(t, i * 10, 10, markers[i], NULL);
    int64_t ids[10];
    for (int i = 0; i < 10; i++) ids[i] = snap_id(t, i);
    /* On main's history with no ref of its own the markers keep s1..s9. */
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.retain_last = 1;
    floe_expire_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 1);
    CHECK(r.nexpired == 1 && r.expired[0] == ids[0]);
    floe_expire_result_free(&r);
    int64_t at = 0;
    CHECK(floe_table_ancestry_summary(floe_table_meta(t), "main", FLOE_MARKER_PREFIX "g1", &at) != NULL);
    CHECK(at == ids[1]);

    /* Once both groups commit markers again near the head, the old ones go;
     * a tag on s2 and a branch at s5 keeping 2 snapshots stay. */
    commit_ref(t, "v1", 1, ids[2], -1);
    commit_ref(t, "b", 0, ids[5], 2);
    append_rows(t, 100, 10, FLOE_MARKER_PREFIX "g1", NULL); /* s10 */
    append_rows(t, 110, 10, FLOE_MARKER_PREFIX "g2", NULL); /* s11 */
    append_rows(t, 120, 10, NULL, NULL);                     /* s12 */
    int64_t s10 = snap_id(t, floe_table_meta(t)->nsnapshots - 3);
    int64_t s11 = snap_id(t, floe_table_meta(t)->nsnapshots - 2);
    int64_t s12 = snap_id(t, floe_table_meta(t)->nsnapshots - 1);
    fixture_sums before = fixture_scan_sums(t);
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    floe_expire_result_free(&r);
    /* main keeps s12 and the chain down to s10 (g1's newest marker);
     * the tag keeps s2; branch b keeps s5 and s4. */
    CHECK(has_snapshot(t, s12) && has_snapshot(t, s11) && has_snapshot(t, s10));
    CHECK(has_snapshot(t, ids[2]));
    CHECK(has_snapshot(t, ids[5]) && has_snapshot(t, ids[4]));
    CHECK(!has_snapshot(t, ids[1]) && !has_snapshot(t, ids[3]) && !has_snapshot(t, ids[9]));
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 6);
    CHECK(floe_ice_metadata_ref(floe_table_meta(t), "v1") != NULL);
    CHECK(floe_ice_metadata_ref(floe_table_meta(t), "b") != NULL);
    CHECK(floe_table_ancestry_summary(floe_table_meta(t), "main", FLOE_MARKER_PREFIX "g2", &at) != NULL);
    CHECK(at == s11);
    fixture_sums after = fixture_scan_sums(t);
    CHECK_EQ_INT(after.rows, before.rows);
    CHECK_EQ_INT(after.ids, before.ids);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(deleted_files_go_unless_reachable) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, NULL);
    char *f[3];
    for (int i = 0; i < 3; i++) append_rows(t, i * 10, 10, NULL, &f[i]);
    int64_t s0 = snap_id(t, 0);
    commit_delete(t, f[0], 777001);
    fixture_sums live = fixture_scan_sums(t);
    CHECK_EQ_INT(live.rows, 20);
    const char *metadir_probe = floe_table_meta(t)->location;
    char metadir[512];
    snprintf(metadir, sizeof metadir, "%s/metadata", metadir_probe);
    CHECK_EQ_INT(count_files(metadir, "-m0.avro"), 4); /* three appends' manifests and the delete's */

    /* A tag on s0 still reaches f0: only manifest lists go. */
    commit_ref(t, "keep", 1, s0, -1);
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.retain_last = 1;
    floe_expire_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 2); /* s1, s2 */
    CHECK_EQ_INT(r.deleted_manifest_lists, 2);
    CHECK_EQ_INT(r.deleted_data_files, 0);
    CHECK_EQ_INT(r.deleted_manifests, 2); /* s1's and s2's own: s0's is the tag's */
    floe_expire_result_free(&r);
    CHECK(fixture_exists(f[0]) && fixture_exists(f[1]) && fixture_exists(f[2]));

    /* Without the tag, s0 goes and f0 with it; f1 and f2 stay. */
    floe_ice_update u;
    memset(&u, 0, sizeof u);
    floe_props_init(&u.props);
    u.kind = FLOE_UPD_REMOVE_SNAPSHOT_REF;
    u.ref.name = floe_xstrdup("keep");
    floe_table_commit tc = {t->ns, t->name, NULL, 0, &u, 1};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(t->catalog->commit_table(t->catalog, &tc, &st, &err), &err);
    floe_table_set_state(t, &st);
    floe_ice_update_free(&u);
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 1);
    CHECK_EQ_INT(r.deleted_manifest_lists, 1);
    CHECK_EQ_INT(r.deleted_data_files, 1);
    CHECK_EQ_INT(r.deleted_delete_files, 0);
    CHECK_EQ_INT(r.deleted_manifests, 1); /* s0's */
    CHECK_EQ_INT(r.delete_failures, 0);
    floe_expire_result_free(&r);
    CHECK(!fixture_exists(f[0]) && fixture_exists(f[1]) && fixture_exists(f[2]));
    CHECK_EQ_INT(count_files(metadir, "-m0.avro"), 1);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 1);
    fixture_sums after = fixture_scan_sums(t);
    CHECK_EQ_INT(after.rows, live.rows);
    CHECK_EQ_INT(after.ids, live.ids);
    for (int i = 0; i < 3; i++) free(f[i]);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(age_cutoff_and_table_defaults) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, (const char *const[]){"history.expire.min-snapshots-to-keep", "2", NULL});
    for (int i = 0; i < 5; i++) append_rows(t, i * 10, 10, NULL, NULL);
    int64_t newest = floe_table_meta(t)->snapshots[4].timestamp_ms;
    /* The table's 5-day default: nothing is that old. */
    floe_expire_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_expire_snapshots(t, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 0);
    floe_expire_result_free(&r);
    /* Everything older than a cutoff after the newest goes, but the
     * table's min-snapshots-to-keep (2) stays. */
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.older_than_ms = newest + 1;
    o.now_ms = newest + 10;
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 3);
    CHECK_EQ_INT(r.nretained, 2);
    floe_expire_result_free(&r);
    /* With retain_last as well, at least that many stay. */
    o.retain_last = 1;
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 1);
    floe_expire_result_free(&r);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 1);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(lost_race_is_recomputed) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, NULL);
    for (int i = 0; i < 4; i++) append_rows(t, i * 10, 10, NULL, NULL);
    /* Another handle appends: t's view is stale, so its first attempt
     * loses on main's requirement and the retry decides again. */
    floe_err err = {0};
    floe_table *other = floe_table_load(e.c, "ns", "t", &err);
    CHECK(other != NULL);
    if (!other) return;
    append_rows(other, 40, 10, NULL, NULL);
    int64_t newest = snap_id(other, 4);
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.retain_last = 2;
    floe_expire_result r;
    CHECK_OK(floe_table_expire_snapshots(t, &o, &r, &err), &err);
    CHECK_EQ_INT(r.nexpired, 3);
    CHECK_EQ_INT(r.nretained, 2);
    floe_expire_result_free(&r);
    CHECK(has_snapshot(t, newest));
    CHECK_EQ_INT(fixture_scan_sums(t).rows, 50);
    floe_table_free(other);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(bounded_history_in_the_commit_path) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(
        &e, (const char *const[]){FLOE_HISTORY_RETAIN_LAST, "3", FLOE_HISTORY_SLACK, "2", NULL});
    int max_seen = 0;
    char *paths[12];
    for (int i = 0; i < 12; i++) {
        append_rows(t, i * 10, 10, i == 0 ? FLOE_MARKER_PREFIX "g" : NULL, &paths[i]);
        int n = floe_table_meta(t)->nsnapshots;
        if (n > max_seen) max_seen = n;
    }
    /* The marker on the first snapshot holds the whole chain: no bound. */
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 12);
    /* With the marker at the head, the same commit expires down to 3. */
    append_rows(t, 120, 10, FLOE_MARKER_PREFIX "g", NULL);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 3);
    append_rows(t, 130, 10, NULL, NULL);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 4);
    max_seen = 0;
    for (int i = 14; i < 30; i++) {
        append_rows(t, i * 10, 10, FLOE_MARKER_PREFIX "g", NULL);
        int n = floe_table_meta(t)->nsnapshots;
        if (n > max_seen) max_seen = n;
    }
    CHECK(max_seen <= 4); /* expired when 3 + 2 are reached */
    CHECK(floe_table_meta(t)->nsnapshots >= 3);
    for (int i = 0; i < 12; i++) CHECK(fixture_exists(paths[i]));
    fixture_sums s = fixture_scan_sums(t);
    CHECK_EQ_INT(s.rows, 300);
    CHECK_EQ_INT(s.ids, 299 * 300 / 2);
    for (int i = 0; i < 12; i++) free(paths[i]);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(public_entry_point) {
    env e;
    if (fixture_env_init(&e, "expire", 0)) return;
    floe_table *t = make_table(&e, NULL);
    for (int i = 0; i < 3; i++) append_rows(t, i * 10, 10, NULL, NULL);
    floe_table_free(t);
    floe_err err = {0};
    floe_catalog_handle *h = floe_open_catalog(e.uri, e.wh, &err);
    CHECK(h != NULL);
    if (h) {
        floe_expire_opts o;
        memset(&o, 0, sizeof o);
        o.retain_last = 1;
        floe_expire_result r;
        CHECK_OK(floe_expire(h, "ns.t", &o, &r, &err), &err);
        CHECK_EQ_INT(r.nexpired, 2);
        floe_expire_result_free(&r);
        CHECK(floe_expire(h, "ns.missing", &o, &r, &err) != 0);
        CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
        floe_close_catalog(h);
    }
    fixture_env_free(&e);
}

TEST_MAIN(T(retain_last_on_append_only_history), T(refs_and_markers_survive), T(deleted_files_go_unless_reachable),
          T(age_cutoff_and_table_defaults), T(lost_race_is_recomputed), T(bounded_history_in_the_commit_path),
          T(public_entry_point))
