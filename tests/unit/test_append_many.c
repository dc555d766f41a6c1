/*
 * test_append_many.c — several tables' appends as one catalog transaction
 * (floe_table_append_many, src/table/append.c) against a SQLite catalog in
 * a temp dir with two tables, ns.a and ns.b:
 *   - one transaction lands both snapshots, with one shared floe.commit-id,
 *     the summaries' counts and every file live once;
 *   - a real conflict: a summary callback commits to ns.a through another
 *     handle after ns.a's attempt was built, so the transaction is refused
 *     by the catalog; both tables are rebased and land exactly once, and
 *     the refused attempt's manifest lists are deleted;
 *   - a summary callback that refuses on the second table: neither table
 *     gets a snapshot and no manifest or manifest list is left behind;
 *   - an unknown outcome (a catalog whose transaction applies and then
 *     reports FLOE_EUNKNOWN) is resolved by the shared commit id: one
 *     snapshot per table;
 *   - the fallback without commit_transaction: one commit per table, each
 *     with its own commit id, and not atomic (a refusal on the second
 *     table leaves the first committed).
 */
#include <dirent.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "table/append.h"
#include "table_fixture.h"
#include "test.h"

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"country\",\"required\":false,\"type\":\"string\"}]}";

/* Creates ns.<name> (unpartitioned, fast retries) in c. */
static void make_table(floe_catalog *c, const char *name) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "commit.retry.min-wait-ms", "1");
    floe_props_set(&props, "commit.retry.max-wait-ms", "5");
    floe_table_create req = {s, NULL, NULL, NULL, &props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(c->create_table(c, "ns", name, &req, &st, &err), &err);
    floe_table_state_free(&st);
    floe_props_free(&props);
    floe_ice_schema_free(s);
}

/* A data file (never written: appends only reference paths). */
static void fake_file(floe_ice_data_file *f, const floe_table *t, int i) {
    fixture_fake_file(f, t, i, 10 + i, 1000 + i, NULL);
}

static floe_table *load(floe_catalog *c, const char *name) {
    floe_err err = {0};
    floe_table *t = floe_table_load(c, "ns", name, &err);
    if (!t) fprintf(stderr, "  loading ns.%s: %s\n", name, err.msg);
    CHECK(t != NULL);
    return t;
}

static const char *summary(const floe_ice_snapshot *s, const char *key) {
    const char *v = s ? floe_props_get(&s->summary, key) : NULL;
    return v ? v : "";
}

/* The paths of the live data files of t's current snapshot, sorted, joined
 * by spaces (file names only). */
static void live_files(floe_table *t, char *out, size_t cap) {
    out[0] = 0;
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    if (!s) return;
    floe_err err = {0};
    floe_ice_manifest_file *mfs;
    int nm;
    CHECK_OK(floe_table_manifests(t, s, &mfs, &nm, &err), &err);
    char *names[64];
    int n = 0;
    for (int i = 0; i < nm; i++) {
        floe_ice_manifest_entry *es;
        int ne;
        CHECK_OK(floe_table_entries(t, &mfs[i], &es, &ne, &err), &err);
        for (int k = 0; k < ne; k++)
            if (es[k].status != FLOE_ICE_STATUS_DELETED && n < 64)
                names[n++] = floe_xstrdup(strrchr(es[k].file.file_path, '/') + 1);
        floe_table_entries_free(es, ne);
    }
    floe_table_manifests_free(mfs, nm);
    qsort(names, (size_t)n, sizeof *names, fixture_cmp_str);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", names[i]);
        if (len >= cap) len = cap - 1;
        free(names[i]);
    }
}

/* Avro files (manifests and manifest lists) in t's metadata directory. */
static int avro_files(const floe_table *t) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/metadata", floe_uri_local_path(floe_table_meta(t)->location));
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".avro")) n++;
    closedir(d);
    return n;
}

/* ---- a catalog over the SQL one ------------------------------------------------------ */

/* Forwards to `inner`, counting transactions; the first `unknown`
 * transactions are applied and then reported as FLOE_EUNKNOWN; with
 * no_txn it has no commit_transaction at all. */
typedef struct wrap {
    floe_catalog base;
    floe_catalog *inner;
    int txns, commits, unknown;
} wrap;

static int w_load(floe_catalog *c, const char *ns, const char *name, floe_table_state *out, floe_err *err) {
    floe_catalog *in = ((wrap *)c)->inner;
    return in->load_table(in, ns, name, out, err);
}

static int w_commit(floe_catalog *c, const floe_table_commit *tc, floe_table_state *out, floe_err *err) {
    wrap *w = (wrap *)c;
    w->commits++;
    return w->inner->commit_table(w->inner, tc, out, err);
}

static int w_txn(floe_catalog *c, const floe_table_commit *tcs, int n, floe_err *err) {
    wrap *w = (wrap *)c;
    w->txns++;
    int rc = w->inner->commit_transaction(w->inner, tcs, n, err);
    if (rc == 0 && w->unknown > 0) {
        w->unknown--;
        return floe_err_set(err, FLOE_EUNKNOWN, "connection lost after the transaction was sent");
    }
    return rc;
}

static floe_fileio *w_io(floe_catalog *c) {
    floe_catalog *in = ((wrap *)c)->inner;
    return in->fileio(in);
}

static void wrap_init(wrap *w, floe_catalog *inner, int no_txn) {
    memset(w, 0, sizeof *w);
    w->base.kind = "wrap";
    w->base.load_table = w_load;
    w->base.commit_table = w_commit;
    w->base.commit_transaction = no_txn ? NULL : w_txn;
    w->base.fileio = w_io;
    w->inner = inner;
}

/* ---- a fixture: two tables, two handles, a file for each --------------------------- */

typedef struct two {
    env e;
    wrap w;
    floe_table *a, *b;
    floe_ice_data_file fa[2], fb[1];
    floe_append_part parts[2];
} two;

static int two_init(two *x, int no_txn) {
    memset(x, 0, sizeof *x);
    if (fixture_env_init(&x->e, "append-many", 1)) return -1;
    make_table(x->e.c, "a");
    make_table(x->e.c, "b");
    wrap_init(&x->w, x->e.c, no_txn);
    x->a = load(&x->w.base, "a");
    x->b = load(&x->w.base, "b");
    if (!x->a || !x->b) return -1;
    fake_file(&x->fa[0], x->a, 1);
    fake_file(&x->fa[1], x->a, 2);
    fake_file(&x->fb[0], x->b, 3);
    x->parts[0] = (floe_append_part){.t = x->a, .files = x->fa, .nfiles = 2};
    x->parts[1] = (floe_append_part){.t = x->b, .files = x->fb, .nfiles = 1};
    return 0;
}

static void two_free(two *x) {
    for (int i = 0; i < 2; i++) floe_ice_data_file_free(&x->fa[i]);
    floe_ice_data_file_free(&x->fb[0]);
    floe_table_free(x->a);
    floe_table_free(x->b);
    fixture_env_free(&x->e);
}

/* ---- tests ------------------------------------------------------------------------------ */

TEST(test_many_lands_both) {
    two x;
    if (two_init(&x, 0)) return;
    floe_err err = {0};
    CHECK(floe_table_append_atomic(&x.w.base));
    CHECK_OK(floe_table_append_many(x.parts, 2, &err), &err);
    CHECK_EQ_INT(x.w.txns, 1);
    CHECK_EQ_INT(x.w.commits, 0);
    CHECK(x.parts[0].committed && x.parts[1].committed);
    /* the handles hold the committed state, as a fresh load sees it */
    floe_table *a = load(x.e.c, "a"), *b = load(x.e.c, "b");
    if (a && b) {
        CHECK_EQ_INT(floe_table_meta(a)->nsnapshots, 1);
        CHECK_EQ_INT(floe_table_meta(b)->nsnapshots, 1);
        CHECK_EQ_INT(floe_table_meta(x.a)->current_snapshot_id, floe_table_meta(a)->current_snapshot_id);
        CHECK_EQ_INT(floe_table_meta(x.b)->current_snapshot_id, floe_table_meta(b)->current_snapshot_id);
        const floe_ice_snapshot *sa = floe_ice_metadata_current(floe_table_meta(a));
        const floe_ice_snapshot *sb = floe_ice_metadata_current(floe_table_meta(b));
        CHECK(sa && sb);
        CHECK_EQ_STR(summary(sa, "operation"), "append");
        CHECK_EQ_STR(summary(sa, "added-data-files"), "2");
        CHECK_EQ_STR(summary(sa, "added-records"), "23");
        CHECK_EQ_STR(summary(sa, "total-records"), "23");
        CHECK_EQ_STR(summary(sb, "added-data-files"), "1");
        CHECK_EQ_STR(summary(sb, "total-records"), "13");
        /* one commit id for the transaction, in both tables */
        CHECK(strlen(summary(sa, FLOE_COMMIT_ID_KEY)) == 36);
        CHECK_EQ_STR(summary(sa, FLOE_COMMIT_ID_KEY), summary(sb, FLOE_COMMIT_ID_KEY));
        char files[512];
        live_files(a, files, sizeof files);
        CHECK_EQ_STR(files, "f0001.parquet f0002.parquet");
        live_files(b, files, sizeof files);
        CHECK_EQ_STR(files, "f0003.parquet");
        /* a new manifest and a manifest list each: nothing else left behind */
        CHECK_EQ_INT(avro_files(a), 2);
        CHECK_EQ_INT(avro_files(b), 2);
        CHECK(fixture_exists(sa->manifest_list) && fixture_exists(sb->manifest_list));
    }
    floe_table_free(a);
    floe_table_free(b);
    two_free(&x);
}

/* The summary callback of ns.b commits to ns.a through another handle,
 * once: ns.a's part of the transaction was built on a state that is then
 * gone, so the catalog refuses the transaction for real. */
typedef struct race {
    floe_catalog *c;
    int calls;
    int64_t rival;     /* the rival snapshot's id */
} race;

static int race_fn(void *ctx, const floe_ice_metadata *base, floe_props *summary_props, floe_err *err) {
    race *r = ctx;
    (void)base;
    (void)summary_props;
    if (r->calls++ > 0) return 0;
    floe_table *other = floe_table_load(r->c, "ns", "a", err);
    if (!other) return -1;
    floe_ice_data_file f;
    fake_file(&f, other, 9);
    int rc = floe_table_append(other, &f, 1, NULL, err);
    r->rival = floe_table_meta(other)->current_snapshot_id;
    floe_ice_data_file_free(&f);
    floe_table_free(other);
    return rc;
}

TEST(test_many_conflict_rebases) {
    two x;
    if (two_init(&x, 0)) return;
    race r = {x.e.c, 0, 0};
    x.parts[1].fn = race_fn;
    x.parts[1].ctx = &r;
    floe_err err = {0};
    CHECK_OK(floe_table_append_many(x.parts, 2, &err), &err);
    CHECK_EQ_INT(r.calls, 2);   /* one call per attempt */
    CHECK_EQ_INT(x.w.txns, 2);  /* refused once, then committed */
    floe_table *a = load(x.e.c, "a"), *b = load(x.e.c, "b");
    if (a && b) {
        const floe_ice_metadata *ma = floe_table_meta(a), *mb = floe_table_meta(b);
        CHECK_EQ_INT(ma->nsnapshots, 2);
        CHECK_EQ_INT(mb->nsnapshots, 1);
        const floe_ice_snapshot *sa = floe_ice_metadata_current(ma), *sb = floe_ice_metadata_current(mb);
        CHECK(sa && sb);
        if (sa && sb) {
            /* rebased: ours on top of the rival */
            CHECK(sa->has_parent && sa->parent_id == r.rival);
            CHECK_EQ_INT(sa->sequence_number, 2);
            CHECK_EQ_STR(summary(sa, "total-data-files"), "3");
            CHECK_EQ_STR(summary(sa, "total-records"), "42");
            CHECK_EQ_STR(summary(sa, FLOE_COMMIT_ID_KEY), summary(sb, FLOE_COMMIT_ID_KEY));
            /* the committed lists are the second attempt's; the first's are gone */
            char files[512];
            live_files(a, files, sizeof files);
            CHECK_EQ_STR(files, "f0001.parquet f0002.parquet f0009.parquet");
            live_files(b, files, sizeof files);
            CHECK_EQ_STR(files, "f0003.parquet");
            const char *lists[2] = {sa->manifest_list, sb->manifest_list};
            for (int i = 0; i < 2; i++) {
                char *l = floe_xstrdup(lists[i]);
                char *at = strstr(l, "-2-");
                CHECK(at != NULL);
                if (at) {
                    CHECK(fixture_exists(l));
                    at[1] = '1';
                    CHECK(!fixture_exists(l));
                }
                free(l);
            }
            /* a: the rival's manifest and list, ours; b: ours */
            CHECK_EQ_INT(avro_files(a), 4);
            CHECK_EQ_INT(avro_files(b), 2);
        }
    }
    floe_table_free(a);
    floe_table_free(b);
    two_free(&x);
}

static int refuse_fn(void *ctx, const floe_ice_metadata *base, floe_props *summary_props, floe_err *err) {
    int *calls = ctx;
    (void)base;
    (void)summary_props;
    ++*calls;
    return floe_err_set(err, FLOE_ECONFLICT, "fenced off: another process wrote partition p/0");
}

TEST(test_many_refusal_fails_all) {
    two x;
    if (two_init(&x, 0)) return;
    int calls = 0;
    x.parts[1].fn = refuse_fn;
    x.parts[1].ctx = &calls;
    floe_err err = {0};
    CHECK_EQ_INT(floe_table_append_many(x.parts, 2, &err), -1);
    CHECK_EQ_INT(calls, 1);       /* no retry after a refusal */
    CHECK_EQ_INT(x.w.txns, 0);    /* nothing was sent */
    CHECK(strstr(err.msg, "fenced off") != NULL);
    CHECK(!x.parts[0].committed && !x.parts[1].committed);
    CHECK(strstr(x.parts[0].err.msg, "fenced off") != NULL);
    floe_table *a = load(x.e.c, "a"), *b = load(x.e.c, "b");
    if (a && b) {
        CHECK_EQ_INT(floe_table_meta(a)->nsnapshots, 0);
        CHECK_EQ_INT(floe_table_meta(b)->nsnapshots, 0);
        /* ns.a's new manifest and its built list, ns.b's manifest: deleted */
        CHECK_EQ_INT(avro_files(a), 0);
        CHECK_EQ_INT(avro_files(b), 0);
    }
    floe_table_free(a);
    floe_table_free(b);
    two_free(&x);
}

TEST(test_many_unknown_outcome) {
    two x;
    if (two_init(&x, 0)) return;
    x.w.unknown = 1;
    floe_err err = {0};
    CHECK_OK(floe_table_append_many(x.parts, 2, &err), &err);
    CHECK_EQ_INT(x.w.txns, 1); /* found by its commit id: not sent again */
    floe_table *a = load(x.e.c, "a"), *b = load(x.e.c, "b");
    if (a && b) {
        CHECK_EQ_INT(floe_table_meta(a)->nsnapshots, 1);
        CHECK_EQ_INT(floe_table_meta(b)->nsnapshots, 1);
        CHECK_EQ_INT(floe_table_meta(x.a)->current_snapshot_id, floe_table_meta(a)->current_snapshot_id);
        CHECK_EQ_INT(floe_table_meta(x.b)->current_snapshot_id, floe_table_meta(b)->current_snapshot_id);
        const floe_ice_snapshot *sa = floe_ice_metadata_current(floe_table_meta(a));
        CHECK(sa && fixture_exists(sa->manifest_list));
    }
    floe_table_free(a);
    floe_table_free(b);
    two_free(&x);
}

TEST(test_many_fallback_one_by_one) {
    two x;
    if (two_init(&x, 1)) return;
    floe_err err = {0};
    CHECK(!floe_table_append_atomic(&x.w.base));
    CHECK_OK(floe_table_append_many(x.parts, 2, &err), &err);
    CHECK_EQ_INT(x.w.commits, 2);
    CHECK(x.parts[0].committed && x.parts[1].committed);
    floe_table *a = load(x.e.c, "a"), *b = load(x.e.c, "b");
    if (a && b) {
        const floe_ice_snapshot *sa = floe_ice_metadata_current(floe_table_meta(a));
        const floe_ice_snapshot *sb = floe_ice_metadata_current(floe_table_meta(b));
        CHECK(sa && sb);
        CHECK_EQ_STR(summary(sa, "added-data-files"), "2");
        CHECK_EQ_STR(summary(sb, "added-data-files"), "1");
        /* separate commits: separate ids */
        CHECK(strcmp(summary(sa, FLOE_COMMIT_ID_KEY), summary(sb, FLOE_COMMIT_ID_KEY)) != 0);
    }
    floe_table_free(a);
    floe_table_free(b);
    /* not atomic: a refusal on the second table leaves the first committed */
    int calls = 0;
    x.parts[1].fn = refuse_fn;
    x.parts[1].ctx = &calls;
    CHECK_EQ_INT(floe_table_append_many(x.parts, 2, &err), -1);
    CHECK(x.parts[0].committed && !x.parts[1].committed);
    CHECK(strstr(x.parts[1].err.msg, "fenced off") != NULL);
    CHECK_EQ_INT(floe_table_meta(x.a)->nsnapshots, 2);
    CHECK_EQ_INT(floe_table_meta(x.b)->nsnapshots, 1);
    two_free(&x);
}

TEST_MAIN(T(test_many_lands_both), T(test_many_conflict_rebases), T(test_many_refusal_fails_all),
          T(test_many_unknown_outcome), T(test_many_fallback_one_by_one))
