/*
 * test_table.c — table handles (src/table/table.c): the manifest lists a
 * handle keeps by path.  What a handle returns for a list equals what a
 * fresh handle reads from the file; a kept list is returned without
 * reading the file again (shown by deleting the file, which a fresh handle
 * then fails to read); lists of other snapshots are never confused with
 * it; and with more lists than the handle keeps, every one still reads
 * right.
 */
#include <unistd.h>

#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table_fixture.h"
#include "test.h"

typedef fixture_env env;

static const char SCHEMA[] = "{\"type\":\"struct\",\"fields\":["
                             "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"}]}";

/* ns.t with history bounded at `retain` snapshots (0: unbounded). */
static floe_table *make_table(env *e, const char *retain) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "floe.history.retain-last", retain);
    floe_table_create req = {s, NULL, NULL, NULL, &props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(e->c->create_table(e->c, "ns", "t", &req, &st, &err), &err);
    floe_props_free(&props);
    floe_ice_schema_free(s);
    return floe_table_wrap(e->c, "ns", "t", &st);
}

static int append_one(floe_table *t, int i, floe_err *err) {
    floe_ice_data_file f;
    fixture_fake_file(&f, t, i, 1 + i, 100 + i, NULL);
    int rc = floe_table_append(t, &f, 1, NULL, err);
    floe_ice_data_file_free(&f);
    return rc;
}

/* 1 when a[0..na) and b[0..nb) list the same manifests with the same
 * fields. */
static int same_manifests(const floe_ice_manifest_file *a, int na, const floe_ice_manifest_file *b, int nb) {
    if (na != nb) return 0;
    for (int i = 0; i < na; i++) {
        const floe_ice_manifest_file *x = &a[i], *y = &b[i];
        if (strcmp(x->manifest_path, y->manifest_path) != 0 || x->manifest_length != y->manifest_length ||
            x->partition_spec_id != y->partition_spec_id || x->content != y->content ||
            x->sequence_number != y->sequence_number || x->min_sequence_number != y->min_sequence_number ||
            x->added_snapshot_id != y->added_snapshot_id || x->added_files_count != y->added_files_count ||
            x->existing_files_count != y->existing_files_count || x->deleted_files_count != y->deleted_files_count ||
            x->added_rows_count != y->added_rows_count || x->existing_rows_count != y->existing_rows_count ||
            x->deleted_rows_count != y->deleted_rows_count || x->npartitions != y->npartitions)
            return 0;
    }
    return 1;
}

/* Snapshot s's manifests through t equal those a fresh handle reads. */
static int reads_as_file(env *e, floe_table *t, const floe_ice_snapshot *s) {
    floe_err err = {0};
    floe_table *fresh = floe_table_load(e->c, "ns", "t", &err);
    if (!fresh) return 0;
    floe_ice_manifest_file *a = NULL, *b = NULL;
    int na = 0, nb = 0;
    int ok = floe_table_manifests(t, s, &a, &na, &err) == 0 && floe_table_manifests(fresh, s, &b, &nb, &err) == 0 &&
             same_manifests(a, na, b, nb);
    floe_table_manifests_free(a, na);
    floe_table_manifests_free(b, nb);
    floe_table_free(fresh);
    return ok;
}

TEST(manifest_lists_kept_by_path) {
    env e;
    if (fixture_env_init(&e, "table-lists", 1)) return;
    floe_table *t = make_table(&e, "0");
    floe_err err = {0};
    for (int i = 0; i < 3; i++) CHECK_OK(append_one(t, i, &err), &err);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 3);
    if (m->nsnapshots != 3) goto out;
    /* Copies of the snapshots: t's state changes below. */
    floe_ice_snapshot s2, s3;
    floe_ice_snapshot_copy(&s2, &m->snapshots[1]);
    floe_ice_snapshot_copy(&s3, &m->snapshots[2]);
    CHECK(reads_as_file(&e, t, &s3));
    floe_ice_manifest_file *mf = NULL;
    int n = 0;
    CHECK_OK(floe_table_manifests(t, &s3, &mf, &n, &err), &err);
    CHECK_EQ_INT(n, 3);

    /* With the file gone, t answers from what it keeps; a fresh handle cannot. */
    CHECK_EQ_INT(unlink(floe_uri_local_path(s3.manifest_list)), 0);
    floe_ice_manifest_file *again = NULL;
    int nagain = 0;
    CHECK_OK(floe_table_manifests(t, &s3, &again, &nagain, &err), &err);
    CHECK(same_manifests(mf, n, again, nagain));
    floe_table_manifests_free(again, nagain);
    floe_table *fresh = floe_table_load(e.c, "ns", "t", &err);
    CHECK(fresh != NULL);
    if (fresh) {
        CHECK(floe_table_manifests(fresh, &s3, &again, &nagain, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
        floe_table_free(fresh);
    }
    /* Another path is its own list (the parent's: one manifest fewer). */
    CHECK(reads_as_file(&e, t, &s2));
    CHECK_OK(floe_table_manifests(t, &s2, &again, &nagain, &err), &err);
    CHECK_EQ_INT(nagain, 2);
    floe_table_manifests_free(again, nagain);
    /* The copies handed out are the caller's: freeing one leaves t's intact. */
    floe_table_manifests_free(mf, n);
    CHECK_OK(floe_table_manifests(t, &s3, &mf, &n, &err), &err);
    CHECK_EQ_INT(n, 3);
    floe_table_manifests_free(mf, n);
    floe_ice_snapshot_free(&s2);
    floe_ice_snapshot_free(&s3);
out:
    floe_table_free(t);
    fixture_env_free(&e);
}

/* More lists than a handle keeps (32), read in several orders: each as
 * the file reads; then the bounded history's expiry on the same handle
 * deletes exactly what a fresh handle would find unreachable. */
TEST(many_lists_and_expiry) {
    env e;
    if (fixture_env_init(&e, "table-many", 1)) return;
    floe_table *t = make_table(&e, "0");
    floe_err err = {0};
    for (int i = 0; i < 45; i++) CHECK_OK(append_one(t, i, &err), &err);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshots, 45);
    int bad = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int k = 0; k < m->nsnapshots; k++) {
            int i = pass == 1 ? m->nsnapshots - 1 - k : pass == 2 ? (k * 7) % m->nsnapshots : k;
            if (!reads_as_file(&e, t, &m->snapshots[i])) bad++;
        }
    CHECK_EQ_INT(bad, 0);
    floe_table_free(t);

    /* Bounded history on a handle that has read its parents' lists: every
     * list and manifest a remaining snapshot names is still there. */
    floe_table *b = floe_table_load(e.c, "ns", "t", &err);
    CHECK(b != NULL);
    if (b) {
        floe_ice_update upd;
        memset(&upd, 0, sizeof upd);
        upd.kind = FLOE_UPD_SET_PROPERTIES;
        floe_props_init(&upd.props);
        floe_props_set(&upd.props, "floe.history.retain-last", "5");
        floe_props_set(&upd.props, "floe.history.slack", "2");
        floe_table_commit tc = {"ns", "t", NULL, 0, &upd, 1};
        floe_table_state st;
        memset(&st, 0, sizeof st);
        CHECK_OK(e.c->commit_table(e.c, &tc, &st, &err), &err);
        floe_table_set_state(b, &st);
        floe_props_free(&upd.props);
        for (int i = 45; i < 60; i++) CHECK_OK(append_one(b, i, &err), &err);
        m = floe_table_meta(b);
        CHECK(m->nsnapshots <= 7);
        bad = 0;
        for (int k = 0; k < m->nsnapshots; k++) {
            const floe_ice_snapshot *s = &m->snapshots[k];
            if (access(floe_uri_local_path(s->manifest_list), F_OK) != 0) bad++;
            floe_table *fresh = floe_table_load(e.c, "ns", "t", &err);
            floe_ice_manifest_file *mfs = NULL;
            int nm = 0;
            if (!fresh || floe_table_manifests(fresh, s, &mfs, &nm, &err)) bad++;
            for (int i = 0; i < nm; i++)
                if (access(floe_uri_local_path(mfs[i].manifest_path), F_OK) != 0) bad++;
            floe_table_manifests_free(mfs, nm);
            floe_table_free(fresh);
        }
        CHECK_EQ_INT(bad, 0);
        floe_table_free(b);
    }
    fixture_env_free(&e);
}

TEST_MAIN(T(manifest_lists_kept_by_path), T(many_lists_and_expiry))
