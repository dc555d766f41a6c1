/*
 * test_append.c — fast append (src/table/append.c) against a SQLite
 * catalog in a temp dir: one, two and 150 commits (manifest count bounded
 * by merging, every file live exactly once with its own sequence number,
 * summary totals), the files an append writes and their names, a conflict
 * between two handles resolved by rebasing (the losing attempt's files
 * deleted), and unknown commit outcomes resolved through floe.commit-id (a
 * catalog wrapper whose commit applies and then reports FLOE_EUNKNOWN, and
 * one that reports it without applying).
 */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "table/append.h"
#include "table_fixture.h"
#include "test.h"

/* ---- fixtures ------------------------------------------------------------------ */

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"country\",\"required\":false,\"type\":\"string\"}]}";

/* Creates ns.t (partitioned by identity(country) when `partitioned`) with
 * fast retries, and returns a handle on it. */
static floe_table *make_table(env *e, int partitioned, const floe_props *extra_props) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    if (partitioned) CHECK_OK(floe_ice_spec_parse_terms("country", s, 0, 999, &spec, &err), &err);
    floe_props props;
    if (extra_props) floe_props_copy(&props, extra_props);
    else floe_props_init(&props);
    floe_props_set(&props, "commit.retry.min-wait-ms", "1");
    floe_props_set(&props, "commit.retry.max-wait-ms", "5");
    CHECK_OK(e->c->create_namespace(e->c, "ns", NULL, &err), &err);
    floe_table_create req = {s, partitioned ? &spec : NULL, NULL, NULL, &props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(e->c->create_table(e->c, "ns", "t", &req, &st, &err), &err);
    floe_props_free(&props);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(s);
    return floe_table_wrap(e->c, "ns", "t", &st);
}

/* A data file (never written: appends only reference paths). */
static void fake_file(floe_ice_data_file *f, const floe_table *t, int i, const char *country) {
    fixture_fake_file(f, t, i, 10 + i, 1000 + i, country);
}

static int append_one(floe_table *t, int i, const char *country, floe_err *err) {
    floe_ice_data_file f;
    fake_file(&f, t, i, country);
    int rc = floe_table_append(t, &f, 1, NULL, err);
    floe_ice_data_file_free(&f);
    return rc;
}

static int exists(const char *uri) { return access(floe_uri_local_path(uri), F_OK) == 0; }

static const char *summary(const floe_ice_snapshot *s, const char *key) {
    const char *v = floe_props_get(&s->summary, key);
    return v ? v : "(absent)";
}

/* Every live entry of the current snapshot, in manifest order. */
static int live_entries(floe_table *t, floe_ice_manifest_entry **out, int *n, int *nmanifests) {
    floe_err err = {0};
    *out = NULL;
    *n = 0;
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    if (!s) return -1;
    floe_ice_manifest_file *mfs;
    int nm;
    CHECK_OK(floe_table_manifests(t, s, &mfs, &nm, &err), &err);
    *nmanifests = nm;
    int cap = 0;
    for (int i = 0; i < nm; i++) {
        CHECK_EQ_INT(mfs[i].sequence_number >= 1, 1);
        floe_ice_manifest_entry *es;
        int ne;
        CHECK_OK(floe_table_entries(t, &mfs[i], &es, &ne, &err), &err);
        for (int k = 0; k < ne; k++) {
            if (es[k].status == FLOE_ICE_STATUS_DELETED) {
                floe_ice_manifest_entry_free(&es[k]);
                continue;
            }
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                *out = floe_xrealloc(*out, sizeof **out * (size_t)cap);
            }
            (*out)[(*n)++] = es[k];
        }
        free(es);
    }
    floe_table_manifests_free(mfs, nm);
    return 0;
}

/* ---- tests --------------------------------------------------------------------- */

TEST(test_one_commit) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    floe_table *t = make_table(&e, 1, NULL);
    floe_err err = {0};
    floe_props extra;
    floe_props_init(&extra);
    floe_props_set(&extra, FLOE_COMMIT_ID_KEY, "c0ffee00-0000-4000-8000-000000000001");
    floe_ice_data_file f;
    fake_file(&f, t, 1, "US");
    CHECK_OK(floe_table_append(t, &f, 1, &extra, &err), &err);
    floe_ice_data_file_free(&f);
    floe_props_free(&extra);

    /* the handle holds the committed state, and a fresh load agrees */
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK(s != NULL);
    CHECK_EQ_INT(m->nsnapshots, 1);
    CHECK_EQ_INT(m->last_sequence_number, 1);
    CHECK_EQ_INT(s->sequence_number, 1);
    CHECK_EQ_INT(s->has_parent, 0);
    CHECK(s->snapshot_id > 0);
    CHECK_EQ_INT(floe_ice_metadata_ref(m, "main")->snapshot_id, s->snapshot_id);
    CHECK_EQ_STR(s->summary.items[0].key, "operation");
    CHECK_EQ_STR(summary(s, "operation"), "append");
    CHECK_EQ_STR(summary(s, FLOE_COMMIT_ID_KEY), "c0ffee00-0000-4000-8000-000000000001");
    CHECK_EQ_STR(summary(s, "added-data-files"), "1");
    CHECK_EQ_STR(summary(s, "added-records"), "11");
    CHECK_EQ_STR(summary(s, "added-files-size"), "1001");
    CHECK_EQ_STR(summary(s, "changed-partition-count"), "1");
    CHECK_EQ_STR(summary(s, "total-records"), "11");
    CHECK_EQ_STR(summary(s, "total-files-size"), "1001");
    CHECK_EQ_STR(summary(s, "total-data-files"), "1");
    CHECK_EQ_STR(summary(s, "total-delete-files"), "0");
    CHECK_EQ_STR(summary(s, "total-position-deletes"), "0");
    CHECK_EQ_STR(summary(s, "total-equality-deletes"), "0");
    /* Java's names: snap-<id>-1-<uuid>.avro, <uuid>-m0.avro, same uuid */
    char want[256];
    snprintf(want, sizeof want, "%s/metadata/snap-%lld-1-", m->location, (long long)s->snapshot_id);
    CHECK(strncmp(s->manifest_list, want, strlen(want)) == 0);
    const char *uuid = s->manifest_list + strlen(want);
    CHECK(strlen(uuid) == 36 + 5 && strcmp(uuid + 36, ".avro") == 0);
    CHECK(exists(s->manifest_list));

    floe_ice_manifest_file *mfs;
    int nm;
    CHECK_OK(floe_table_manifests(t, s, &mfs, &nm, &err), &err);
    CHECK_EQ_INT(nm, 1);
    if (nm == 1) {
        snprintf(want, sizeof want, "%s/metadata/%.36s-m0.avro", m->location, uuid);
        CHECK_EQ_STR(mfs[0].manifest_path, want);
        CHECK_EQ_INT(mfs[0].added_snapshot_id, s->snapshot_id);
        CHECK_EQ_INT(mfs[0].sequence_number, 1);
        CHECK_EQ_INT(mfs[0].added_files_count, 1);
        CHECK_EQ_INT(mfs[0].added_rows_count, 11);
        CHECK_EQ_INT(mfs[0].npartitions, 1);
        floe_ice_manifest_entry *es;
        int ne;
        CHECK_OK(floe_table_entries(t, &mfs[0], &es, &ne, &err), &err);
        CHECK_EQ_INT(ne, 1);
        if (ne == 1) {
            CHECK_EQ_INT(es[0].status, FLOE_ICE_STATUS_ADDED);
            CHECK_EQ_INT(es[0].snapshot_id, s->snapshot_id);
            CHECK_EQ_INT(es[0].sequence_number, 1); /* inherited */
            CHECK(es[0].file.npartition == 1 && es[0].file.partition[0].n == 2 &&
                  memcmp(es[0].file.partition[0].p, "US", 2) == 0);
        }
        floe_table_entries_free(es, ne);
    }
    floe_table_manifests_free(mfs, nm);

    floe_table *again = floe_table_load(e.c, "ns", "t", &err);
    CHECK(again != NULL);
    if (again) CHECK_EQ_INT(floe_table_meta(again)->current_snapshot_id, s->snapshot_id);
    floe_table_free(again);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(test_two_commits) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    floe_table *t = make_table(&e, 1, NULL);
    floe_err err = {0};
    CHECK_OK(append_one(t, 1, "US", &err), &err);
    int64_t first = floe_table_meta(t)->current_snapshot_id;
    /* two files in two partitions */
    floe_ice_data_file f[2];
    fake_file(&f[0], t, 2, "DE");
    fake_file(&f[1], t, 3, "FR");
    CHECK_OK(floe_table_append(t, f, 2, NULL, &err), &err);
    floe_ice_data_file_free(&f[0]);
    floe_ice_data_file_free(&f[1]);

    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK_EQ_INT(m->nsnapshots, 2);
    CHECK_EQ_INT(s->has_parent, 1);
    CHECK_EQ_INT(s->parent_id, first);
    CHECK_EQ_INT(s->sequence_number, 2);
    CHECK_EQ_STR(summary(s, "added-data-files"), "2");
    CHECK_EQ_STR(summary(s, "changed-partition-count"), "2");
    CHECK_EQ_STR(summary(s, "total-data-files"), "3");
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-records", -1), 11 + 12 + 13);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-files-size", -1), 1001 + 1002 + 1003);
    CHECK(floe_props_get(&s->summary, FLOE_COMMIT_ID_KEY) != NULL); /* made up when not given */

    floe_ice_manifest_entry *es;
    int ne, nm;
    live_entries(t, &es, &ne, &nm);
    CHECK_EQ_INT(nm, 2);
    CHECK_EQ_INT(ne, 3);
    for (int i = 0; i < ne; i++) {
        /* the newest manifest comes first */
        int expect_seq = i < 2 ? 2 : 1;
        CHECK_EQ_INT(es[i].sequence_number, expect_seq);
        CHECK_EQ_INT(es[i].status, FLOE_ICE_STATUS_ADDED);
    }
    floe_table_entries_free(es, ne);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(test_150_commits_merge) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    /* The whole history stays (no bounded history): the checks below look
     * up the snapshot that added each file. */
    floe_props keep_all;
    floe_props_init(&keep_all);
    floe_props_set(&keep_all, "floe.history.retain-last", "0");
    floe_table *t = make_table(&e, 0, &keep_all);
    floe_props_free(&keep_all);
    floe_err err = {0};
    int max_manifests = 0;
    for (int i = 1; i <= 150; i++) {
        if (append_one(t, i, NULL, &err)) {
            CHECK_OK(-1, &err);
            break;
        }
        if (i == 99 || i == 100 || i == 150) {
            floe_ice_manifest_file *mfs;
            int nm;
            CHECK_OK(floe_table_manifests(t, floe_ice_metadata_current(floe_table_meta(t)), &mfs, &nm, &err), &err);
            /* 99 manifests stay (fewer than min-count 100); the 100th
             * commit merges all into one; 50 more are added after it */
            CHECK_EQ_INT(nm, i == 99 ? 99 : i == 100 ? 1 : 51);
            if (nm > max_manifests) max_manifests = nm;
            if (i == 100 && nm == 1) {
                CHECK_EQ_INT(mfs[0].existing_files_count, 99);
                CHECK_EQ_INT(mfs[0].added_files_count, 1);
                CHECK_EQ_INT(mfs[0].min_sequence_number, 1);
                CHECK_EQ_INT(mfs[0].sequence_number, 100);
            }
            floe_table_manifests_free(mfs, nm);
        }
    }
    CHECK(max_manifests <= 100);
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK_EQ_INT(m->nsnapshots, 150);
    CHECK_EQ_INT(s->sequence_number, 150);
    int64_t records = 0, size = 0;
    for (int i = 1; i <= 150; i++) {
        records += 10 + i;
        size += 1000 + i;
    }
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-data-files", -1), 150);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-records", -1), records);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-files-size", -1), size);

    /* every file live exactly once, with the sequence number and snapshot
     * of the commit that added it */
    floe_ice_manifest_entry *es;
    int ne, nm;
    live_entries(t, &es, &ne, &nm);
    CHECK_EQ_INT(ne, 150);
    int seen[151] = {0};
    int64_t total = 0;
    for (int i = 0; i < ne; i++) {
        const char *p = strrchr(es[i].file.file_path, '/');
        int k = p ? atoi(p + 2) : 0;
        CHECK(k >= 1 && k <= 150);
        if (k < 1 || k > 150) continue;
        seen[k]++;
        total += es[i].file.record_count;
        CHECK_EQ_INT(es[i].sequence_number, k);
        CHECK_EQ_INT(es[i].file_sequence_number, k);
        const floe_ice_snapshot *added = floe_ice_metadata_snapshot(m, es[i].snapshot_id);
        CHECK(added && added->sequence_number == k);
        CHECK_EQ_INT(es[i].status, k >= 100 ? FLOE_ICE_STATUS_ADDED : FLOE_ICE_STATUS_EXISTING);
    }
    for (int k = 1; k <= 150; k++) CHECK_EQ_INT(seen[k], 1);
    CHECK_EQ_INT(total, records);
    floe_table_entries_free(es, ne);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* The manifests of the current snapshot after `commits` one-file appends
 * to a fresh unpartitioned table with properties p; the live entries must
 * be one per commit. */
static int manifests_after(const floe_props *p, int commits) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return -1;
    floe_table *t = make_table(&e, 0, p);
    floe_err err = {0};
    for (int i = 1; i <= commits; i++) CHECK_OK(append_one(t, i, NULL, &err), &err);
    floe_ice_manifest_entry *es;
    int ne, nm = -1;
    live_entries(t, &es, &ne, &nm);
    CHECK_EQ_INT(ne, commits);
    floe_table_entries_free(es, ne);
    floe_table_free(t);
    fixture_env_free(&e);
    return nm;
}

TEST(test_merge_target_size_and_disable) {
    floe_props p;
    floe_props_init(&p);
    /* min-count 3: the 3rd commit merges */
    floe_props_set(&p, "commit.manifest.min-count-to-merge", "3");
    CHECK_EQ_INT(manifests_after(&p, 3), 1);
    CHECK_EQ_INT(manifests_after(&p, 4), 2);
    /* a target below two manifests' size keeps every bin to one manifest */
    floe_props_set(&p, "commit.manifest.target-size-bytes", "100");
    CHECK_EQ_INT(manifests_after(&p, 4), 4);
    floe_props_set(&p, "commit.manifest.target-size-bytes", "8388608");
    floe_props_set(&p, "commit.manifest-merge.enabled", "false");
    CHECK_EQ_INT(manifests_after(&p, 4), 4);
    floe_props_free(&p);
}

TEST(test_conflict_rebase) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    floe_table *a = make_table(&e, 1, NULL);
    floe_err err = {0};
    floe_table *b = floe_table_load(e.c, "ns", "t", &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK_OK(append_one(a, 1, "US", &err), &err);
    int64_t first = floe_table_meta(a)->current_snapshot_id;
    /* b still sees the empty table: its first attempt loses, it rebases */
    CHECK_OK(append_one(b, 2, "DE", &err), &err);
    const floe_ice_metadata *m = floe_table_meta(b);
    const floe_ice_snapshot *s = floe_ice_metadata_current(m);
    CHECK_EQ_INT(m->nsnapshots, 2);
    CHECK_EQ_INT(s->parent_id, first);
    CHECK_EQ_INT(s->sequence_number, 2);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-data-files", -1), 2);
    CHECK_EQ_INT(floe_props_get_int(&s->summary, "total-records", -1), 11 + 12);
    /* the committed list is the second attempt's; the first is gone */
    char *list = floe_xstrdup(s->manifest_list);
    char *one = strstr(list, "-2-");
    CHECK(one != NULL);
    if (one) {
        one[1] = '1';
        CHECK(!exists(list));
        one[1] = '2';
    }
    CHECK(exists(list));
    free(list);
    floe_ice_manifest_entry *es;
    int ne, nm;
    live_entries(b, &es, &ne, &nm);
    CHECK_EQ_INT(ne, 2);
    if (ne == 2) {
        CHECK(strstr(es[0].file.file_path, "f0002") != NULL);
        CHECK_EQ_INT(es[0].sequence_number, 2);
        CHECK(strstr(es[1].file.file_path, "f0001") != NULL);
        CHECK_EQ_INT(es[1].sequence_number, 1);
    }
    floe_table_entries_free(es, ne);
    floe_table_free(a);
    floe_table_free(b);
    fixture_env_free(&e);
}

static void unknown_case(int apply) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    floe_table *plain = make_table(&e, 0, NULL);
    floe_table_free(plain);
    fixture_flaky f;
    fixture_flaky_init(&f, e.c, apply);
    floe_err err = {0};
    floe_table *t = floe_table_load(&f.base, "ns", "t", &err);
    CHECK(t != NULL);
    if (!t) return;
    floe_props extra;
    floe_props_init(&extra);
    floe_props_set(&extra, FLOE_COMMIT_ID_KEY, "c0ffee00-0000-4000-8000-0000000000aa");
    floe_ice_data_file df;
    fake_file(&df, t, 7, NULL);
    CHECK_OK(floe_table_append(t, &df, 1, &extra, &err), &err);
    floe_ice_data_file_free(&df);
    floe_props_free(&extra);
    /* applied: found by its commit id, not committed again; not applied:
     * committed by the retry.  Exactly one snapshot either way. */
    CHECK_EQ_INT(f.commits, apply ? 1 : 2);
    floe_table *check = floe_table_load(e.c, "ns", "t", &err);
    CHECK(check != NULL);
    if (check) {
        const floe_ice_metadata *m = floe_table_meta(check);
        CHECK_EQ_INT(m->nsnapshots, 1);
        const floe_ice_snapshot *s = floe_ice_metadata_current(m);
        CHECK(s && strcmp(summary(s, FLOE_COMMIT_ID_KEY), "c0ffee00-0000-4000-8000-0000000000aa") == 0);
        CHECK(s && exists(s->manifest_list));
        floe_ice_manifest_entry *es;
        int ne, nm;
        live_entries(check, &es, &ne, &nm);
        CHECK_EQ_INT(ne, 1);
        floe_table_entries_free(es, ne);
        CHECK_EQ_INT(floe_table_meta(t)->current_snapshot_id, m->current_snapshot_id);
    }
    floe_table_free(check);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(test_unknown_outcome_applied) { unknown_case(1); }
TEST(test_unknown_outcome_not_applied) { unknown_case(0); }

TEST(test_rejects_foreign_spec) {
    env e;
    if (fixture_env_init(&e, "append", 0)) return;
    floe_table *t = make_table(&e, 1, NULL);
    floe_err err = {0};
    floe_ice_data_file f;
    fake_file(&f, t, 1, NULL); /* no partition value for a partitioned table */
    CHECK_EQ_INT(floe_table_append(t, &f, 1, NULL, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK(strstr(err.msg, "f0001.parquet") != NULL);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, 0);
    floe_ice_data_file_free(&f);
    /* an empty append still records its summary properties */
    floe_props extra;
    floe_props_init(&extra);
    floe_props_set(&extra, "floe.kafka.offsets.g", "{}");
    CHECK_OK(floe_table_append(t, NULL, 0, &extra, &err), &err);
    floe_props_free(&extra);
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_STR(summary(s, "floe.kafka.offsets.g"), "{}");
        CHECK_EQ_STR(summary(s, "total-data-files"), "0");
        CHECK_EQ_STR(summary(s, "changed-partition-count"), "0");
    }
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST_MAIN(T(test_one_commit), T(test_two_commits), T(test_150_commits_merge), T(test_merge_target_size_and_disable),
          T(test_conflict_rebase), T(test_unknown_outcome_applied), T(test_unknown_outcome_not_applied),
          T(test_rejects_foreign_spec))
