/*
 * test_catalog_sql.c — the SQL catalog.  By default on SQLite (a fresh
 * database file in a temp dir per test); when FLOE_TEST_CATALOG names a
 * database URI (tests/integration/catalog_postgres.sh passes a throwaway
 * PostgreSQL) the same tests run there, each with its own catalog_name.
 *
 * Covered: the JDBC catalog's table layout and the rows it holds, a
 * database created without iceberg_type (Java's V0) and its upgrade;
 * namespaces (nesting, namespaces implied by tables, LIKE wildcards in
 * names, properties, drop rules); tables (create, load, list, rename, drop,
 * purge); commits with requirements, the compare-and-swap when two commits
 * race from the same base (forced: a raw connection holds the row until
 * both have written their metadata), multi-table transactions, many
 * processes opening one fresh catalog at once, and many
 * processes committing to one table at once with reload-and-retry; the
 * metadata a catalog object keeps between calls, used only while the row
 * names the file it came from.
 */
#include <dirent.h>
#include <ftw.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/sql_db.h"
#include "iceberg/manifest.h"
#include "test.h"

/* ---- fixtures ------------------------------------------------------------------ */

typedef struct env {
    char dir[64];
    char wh[96];
    char uri[1024];
    char name[64];
    floe_props props;
    int sqlite;
} env;

static int env_seq;

static void env_init(env *e) {
    snprintf(e->dir, sizeof e->dir, "/tmp/floe-catalog-XXXXXX");
    if (!mkdtemp(e->dir)) abort();
    snprintf(e->wh, sizeof e->wh, "%s/warehouse", e->dir);
    const char *ext = getenv("FLOE_TEST_CATALOG");
    e->sqlite = !(ext && *ext);
    if (e->sqlite) snprintf(e->uri, sizeof e->uri, "sqlite:%s/catalog.db", e->dir);
    else snprintf(e->uri, sizeof e->uri, "%s", ext);
    /* A shared server database keeps tests apart by catalog_name. */
    snprintf(e->name, sizeof e->name, "test_%d_%d", (int)getpid(), env_seq++);
    floe_props_init(&e->props);
    floe_props_set(&e->props, "catalog-name", e->name);
}

static floe_catalog *env_open(env *e) {
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(e->uri, e->wh, &e->props, &err);
    if (!c) fprintf(stderr, "  opening %s: %s\n", e->uri, err.msg);
    return c;
}

static void env_free(env *e) {
    test_rmtree(e->dir);
    floe_props_free(&e->props);
}

/* A fresh catalog, or NULL (the failure counted, the env freed). */
static floe_catalog *setup(env *e) {
    env_init(e);
    floe_catalog *c = env_open(e);
    CHECK(c != NULL);
    if (!c) env_free(e);
    return c;
}

static void teardown(env *e, floe_catalog *c) {
    floe_catalog_free(c);
    env_free(e);
}

static floe_ice_schema *test_schema(void) {
    static const char j[] = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                            "{\"id\":2,\"name\":\"msg\",\"required\":false,\"type\":\"string\"}]}";
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(j, strlen(j), &err);
    if (!s) {
        fprintf(stderr, "  schema: %s\n", err.msg);
        abort();
    }
    return s;
}

/* Creates ns.name with the test schema and optional properties. */
static int make_table(floe_catalog *c, const char *ns, const char *name, const floe_props *props,
                      floe_table_state *out, floe_err *err) {
    floe_ice_schema *s = test_schema();
    floe_table_create req = {.schema = s, .props = props};
    floe_table_state st = {0};
    int rc = c->create_table(c, ns, name, &req, out ? out : &st, err);
    if (!out && rc == 0) floe_table_state_free(&st);
    floe_ice_schema_free(s);
    return rc;
}

static int make_ns(floe_catalog *c, const char *ns) {
    floe_err err = {0};
    int rc = c->create_namespace(c, ns, NULL, &err);
    if (rc) fprintf(stderr, "  create namespace %s: %s\n", ns, err.msg);
    return rc;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Requirement "main is at the table's current snapshot" and updates
 * ADD_SNAPSHOT(id, parent = current) + SET_SNAPSHOT_REF main, on the
 * metadata m; `list` is the snapshot's manifest list (a fake path when the
 * test never reads it).  Free with commit_parts_free. */
typedef struct commit_parts {
    floe_ice_requirement req;
    floe_ice_update upd[2];
} commit_parts;

static char main_name[] = "main";

static void commit_parts_init(commit_parts *p, const floe_ice_metadata *m, int64_t id, const char *list) {
    memset(p, 0, sizeof *p);
    const floe_ice_ref *cur = floe_ice_metadata_ref(m, "main");
    p->req.kind = FLOE_REQ_ASSERT_REF_SNAPSHOT_ID;
    p->req.ref = main_name;
    p->req.id = cur ? cur->snapshot_id : -1;
    floe_ice_snapshot *s = &p->upd[0].snapshot;
    p->upd[0].kind = FLOE_UPD_ADD_SNAPSHOT;
    s->snapshot_id = id;
    s->has_parent = cur != NULL;
    s->parent_id = cur ? cur->snapshot_id : 0;
    s->sequence_number = m->last_sequence_number + 1;
    s->timestamp_ms = now_ms();
    s->manifest_list = (char *)list;
    floe_props_init(&s->summary);
    floe_props_set(&s->summary, "operation", "append");
    p->upd[1].kind = FLOE_UPD_SET_SNAPSHOT_REF;
    p->upd[1].ref.name = main_name;
    p->upd[1].ref.snapshot_id = id;
    p->upd[1].ref.min_snapshots_to_keep = p->upd[1].ref.max_snapshot_age_ms = p->upd[1].ref.max_ref_age_ms = -1;
}

static void commit_parts_free(commit_parts *p) { floe_props_free(&p->upd[0].snapshot.summary); }

/* Loads ns.name and commits snapshot `id` on top of its current state. */
static int commit_snapshot(floe_catalog *c, const char *ns, const char *name, int64_t id, const char *list,
                           floe_table_state *out, floe_err *err) {
    floe_table_state st = {0};
    if (c->load_table(c, ns, name, &st, err)) return -1;
    char fake[128];
    snprintf(fake, sizeof fake, "file:///nonexistent/snap-%lld.avro", (long long)id);
    commit_parts p;
    commit_parts_init(&p, st.metadata, id, list ? list : fake);
    floe_table_commit tc = {ns, name, &p.req, 1, p.upd, 2};
    int rc = c->commit_table(c, &tc, out, err);
    commit_parts_free(&p);
    floe_table_state_free(&st);
    return rc;
}

/* Files under a local directory (recursively) whose names end in suffix. */
static int count_files(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0) continue;
        size_t l = strlen(de->d_name), s = strlen(suffix);
        if (S_ISDIR(sb.st_mode)) n += count_files(p, suffix);
        else if (l >= s && strcmp(de->d_name + l - s, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

/* The local metadata directory of a table state. */
static const char *metadata_dir(const floe_table_state *st) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/metadata", floe_uri_local_path(st->metadata->location));
    return buf;
}

static int file_exists(const char *uri) {
    struct stat sb;
    return stat(floe_uri_local_path(uri), &sb) == 0;
}

static int strv_is(char **v, int n, const char *const *want, int nwant) {
    if (n != nwant) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], want[i]) != 0) return 0;
    return 1;
}

/* Runs a query on the catalog's database through a second connection. */
static int raw_query(const env *e, const char *sql, const char *const *p, int np, floe_sql_rows *rows) {
    floe_err err = {0};
    floe_sqldb *db = floe_sqldb_open(e->uri, &err);
    if (!db) {
        fprintf(stderr, "  raw open: %s\n", err.msg);
        return -1;
    }
    int rc = floe_sqldb_exec(db, "test query", sql, p, np, rows, NULL, &err);
    if (rc) fprintf(stderr, "  raw query: %s\n", err.msg);
    floe_sqldb_close(db);
    return rc;
}

/* ---- layout --------------------------------------------------------------------- */

TEST(jdbc_layout_and_rows) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    floe_sqldb *db = floe_sqldb_open(e.uri, &err);
    char **cols;
    int n;
    CHECK_OK(floe_sqldb_columns(db, "iceberg_tables", &cols, &n, &err), &err);
    static const char *const tcols[] = {"catalog_name", "table_namespace", "table_name", "metadata_location",
                                        "previous_metadata_location", "iceberg_type"};
    CHECK(strv_is(cols, n, tcols, 6));
    floe_sql_strv_free(cols, n);
    CHECK_OK(floe_sqldb_columns(db, "iceberg_namespace_properties", &cols, &n, &err), &err);
    static const char *const ncols[] = {"catalog_name", "namespace", "property_key", "property_value"};
    CHECK(strv_is(cols, n, ncols, 4));
    floe_sql_strv_free(cols, n);
    floe_sqldb_close(db);

    if (e.sqlite) {
        /* Declared types, NOT NULL and primary key positions, as JdbcUtil
         * creates them (PRAGMA table_info: cid, name, type, notnull, dflt, pk). */
        sqlite3 *lite;
        char path[128];
        snprintf(path, sizeof path, "%s/catalog.db", e.dir);
        CHECK(sqlite3_open(path, &lite) == SQLITE_OK);
        static const char *const want[] = {
            "catalog_name VARCHAR(255) 1 1", "table_namespace VARCHAR(255) 1 2",
            "table_name VARCHAR(255) 1 3", "metadata_location VARCHAR(1000) 0 0",
            "previous_metadata_location VARCHAR(1000) 0 0", "iceberg_type VARCHAR(5) 0 0",
            "catalog_name VARCHAR(255) 1 1", "namespace VARCHAR(255) 1 2", "property_key VARCHAR(255) 0 3",
            "property_value VARCHAR(1000) 0 0"};
        int k = 0;
        const char *tables[] = {"iceberg_tables", "iceberg_namespace_properties"};
        for (int t = 0; t < 2; t++) {
            char q[128];
            snprintf(q, sizeof q, "PRAGMA table_info(%s)", tables[t]);
            sqlite3_stmt *st;
            CHECK(sqlite3_prepare_v2(lite, q, -1, &st, NULL) == SQLITE_OK);
            while (sqlite3_step(st) == SQLITE_ROW) {
                char got[256];
                snprintf(got, sizeof got, "%s %s %d %d", sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                         sqlite3_column_int(st, 3), sqlite3_column_int(st, 5));
                CHECK(k < 10);
                if (k < 10) CHECK_EQ_STR(got, want[k]);
                k++;
            }
            sqlite3_finalize(st);
        }
        CHECK_EQ_INT(k, 10);
        /* WAL journal, so table loads never wait for a committer. */
        sqlite3_stmt *st;
        CHECK(sqlite3_prepare_v2(lite, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(lite);
    }

    floe_props np;
    floe_props_init(&np);
    floe_props_set(&np, "owner", "alice");
    CHECK_OK(c->create_namespace(c, "db", &np, &err), &err);
    floe_props_free(&np);
    floe_table_state st = {0};
    CHECK_OK(make_table(c, "db", "t", NULL, &st, &err), &err);
    floe_sql_rows r = {0};
    const char *p[1] = {e.name};
    CHECK_OK(raw_query(&e,
                       "SELECT catalog_name, table_namespace, table_name, metadata_location,"
                       " previous_metadata_location, iceberg_type FROM iceberg_tables WHERE catalog_name = ?",
                       p, 1, &r),
             &err);
    CHECK_EQ_INT(r.nrows, 1);
    if (r.nrows == 1) {
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 0), e.name);
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 1), "db");
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 2), "t");
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 3), st.metadata_location);
        CHECK(floe_sql_cell(&r, 0, 4) == NULL);
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 5), "TABLE");
    }
    floe_sql_rows_free(&r);
    CHECK_OK(raw_query(&e,
                       "SELECT namespace, property_key, property_value FROM iceberg_namespace_properties"
                       " WHERE catalog_name = ? ORDER BY property_key",
                       p, 1, &r),
             &err);
    CHECK_EQ_INT(r.nrows, 2);
    if (r.nrows == 2) {
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 0), "db");
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 1), "exists");
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 2), "true");
        CHECK_EQ_STR(floe_sql_cell(&r, 1, 1), "owner");
        CHECK_EQ_STR(floe_sql_cell(&r, 1, 2), "alice");
    }
    floe_sql_rows_free(&r);

    /* A commit moves the old location to previous_metadata_location. */
    char *first = floe_xstrdup(st.metadata_location);
    floe_table_state_free(&st);
    CHECK_OK(commit_snapshot(c, "db", "t", 7, NULL, &st, &err), &err);
    CHECK_OK(raw_query(&e,
                       "SELECT metadata_location, previous_metadata_location FROM iceberg_tables"
                       " WHERE catalog_name = ?",
                       p, 1, &r),
             &err);
    if (r.nrows == 1) {
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 0), st.metadata_location);
        CHECK_EQ_STR(floe_sql_cell(&r, 0, 1), first);
    }
    floe_sql_rows_free(&r);
    free(first);
    floe_table_state_free(&st);
    teardown(&e, c);
}

/* A database that Java's JdbcCatalog created without iceberg_type (schema
 * V0) is used as it is, and upgraded only when jdbc.schema-version=V1. */
TEST(v0_database_and_upgrade) {
    env e;
    env_init(&e);
    e.sqlite = 1;
    snprintf(e.uri, sizeof e.uri, "sqlite:%s/v0.db", e.dir);
    floe_err err = {0};
    floe_sqldb *db = floe_sqldb_open(e.uri, &err);
    CHECK(db != NULL);
    if (!db) {
        env_free(&e);
        return;
    }
    CHECK_OK(floe_sqldb_exec(db, "v0", "CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,"
                             "table_namespace VARCHAR(255) NOT NULL,table_name VARCHAR(255) NOT NULL,"
                             "metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),"
                             "PRIMARY KEY (catalog_name, table_namespace, table_name))",
                             NULL, 0, NULL, NULL, &err),
             &err);
    CHECK_OK(floe_sqldb_exec(db, "v0", "CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,"
                             "namespace VARCHAR(255) NOT NULL,property_key VARCHAR(255),property_value VARCHAR(1000),"
                             "PRIMARY KEY (catalog_name, namespace, property_key))",
                             NULL, 0, NULL, NULL, &err),
             &err);
    floe_catalog *c = env_open(&e);
    CHECK(c != NULL);
    if (c) {
        CHECK(make_ns(c, "db") == 0);
        CHECK_OK(make_table(c, "db", "old", NULL, NULL, &err), &err);
        floe_catalog_free(c);
    }
    char **cols;
    int n;
    CHECK_OK(floe_sqldb_columns(db, "iceberg_tables", &cols, &n, &err), &err);
    CHECK_EQ_INT(n, 5);
    floe_sql_strv_free(cols, n);

    floe_props_set(&e.props, "jdbc.schema-version", "V1");
    c = env_open(&e);
    CHECK(c != NULL);
    if (c) {
        CHECK_OK(floe_sqldb_columns(db, "iceberg_tables", &cols, &n, &err), &err);
        CHECK_EQ_INT(n, 6);
        floe_sql_strv_free(cols, n);
        CHECK_OK(make_table(c, "db", "new", NULL, NULL, &err), &err);
        char **names = NULL;
        int nn = 0;
        CHECK_OK(c->list_tables(c, "db", &names, &nn, &err), &err);
        static const char *const want[] = {"new", "old"};
        CHECK(strv_is(names, nn, want, 2));
        floe_sql_strv_free(names, nn);
        floe_table_state st = {0};
        CHECK_OK(c->load_table(c, "db", "old", &st, &err), &err); /* iceberg_type NULL: a table */
        floe_table_state_free(&st);
        floe_sql_rows r = {0};
        CHECK_OK(floe_sqldb_exec(db, "q", "SELECT table_name, iceberg_type FROM iceberg_tables ORDER BY table_name",
                                 NULL, 0, &r, NULL, &err),
                 &err);
        CHECK_EQ_INT(r.nrows, 2);
        if (r.nrows == 2) {
            CHECK_EQ_STR(floe_sql_cell(&r, 0, 1), "TABLE");
            CHECK(floe_sql_cell(&r, 1, 1) == NULL);
        }
        floe_sql_rows_free(&r);
        floe_catalog_free(c);
    }
    floe_sqldb_close(db);
    env_free(&e);
}

/* Two catalog names in one database see nothing of each other. */
TEST(catalog_names_isolate) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    CHECK(make_ns(c, "db") == 0);
    CHECK_OK(make_table(c, "db", "t", NULL, NULL, &err), &err);
    floe_props other;
    floe_props_init(&other);
    char name[80];
    snprintf(name, sizeof name, "%s_other", e.name);
    floe_props_set(&other, "catalog-name", name);
    floe_catalog *c2 = floe_catalog_open(e.uri, e.wh, &other, &err);
    CHECK(c2 != NULL);
    if (c2) {
        char **v = NULL;
        int n = -1;
        CHECK_OK(c2->list_namespaces(c2, NULL, &v, &n, &err), &err);
        CHECK_EQ_INT(n, 0);
        floe_sql_strv_free(v, n);
        floe_table_state st = {0};
        CHECK(c2->load_table(c2, "db", "t", &st, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
        CHECK(make_ns(c2, "db") == 0);
        CHECK_OK(make_table(c2, "db", "t2", NULL, NULL, &err), &err);
        CHECK_OK(c->list_tables(c, "db", &v, &n, &err), &err);
        static const char *const only_t[] = {"t"};
        CHECK(strv_is(v, n, only_t, 1));
        floe_sql_strv_free(v, n);
        floe_catalog_free(c2);
    }
    floe_props_free(&other);
    teardown(&e, c);
}

/* A failing statement: the error names what was being done and carries
 * the database's own message (a private SQLite file: the catalog's tables
 * are dropped under it). */
TEST(sql_error_messages) {
    env e;
    env_init(&e);
    e.sqlite = 1;
    snprintf(e.uri, sizeof e.uri, "sqlite:%s/broken.db", e.dir);
    floe_catalog *c = env_open(&e);
    CHECK(c != NULL);
    if (!c) {
        env_free(&e);
        return;
    }
    floe_err err = {0};
    CHECK(make_ns(c, "db") == 0);
    floe_sql_rows r = {0};
    CHECK_OK(raw_query(&e, "DROP TABLE iceberg_tables", NULL, 0, &r), &err);
    floe_sql_rows_free(&r);
    char **v = NULL;
    int n = 0;
    CHECK(c->list_tables(c, "db", &v, &n, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EIO);
    char want[256];
    snprintf(want, sizeof want, "looking up namespace db: %s/broken.db: no such table: iceberg_tables", e.dir);
    CHECK_EQ_STR(err.msg, want);
    teardown(&e, c);
}

/* ---- namespaces -------------------------------------------------------------------- */

TEST(namespaces) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    char **v = NULL;
    int n = -1;
    CHECK_OK(c->list_namespaces(c, NULL, &v, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    floe_sql_strv_free(v, n);

    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "owner", "bob");
    floe_props_set(&props, "comment", "raw events");
    CHECK_OK(c->create_namespace(c, "a", NULL, &err), &err);
    CHECK_OK(c->create_namespace(c, "a.b", NULL, &err), &err);
    CHECK_OK(c->create_namespace(c, "a.b.c", &props, &err), &err);
    CHECK_OK(c->create_namespace(c, "x", NULL, &err), &err);
    CHECK(c->create_namespace(c, "a.b", NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    CHECK_EQ_STR(err.msg, "namespace a.b already exists");
    /* As in Java, a namespace exists when one below it does. */
    CHECK_OK(c->create_namespace(c, "p.q", NULL, &err), &err);
    CHECK(c->create_namespace(c, "p", NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    /* LIKE wildcards and (SQLite's) case-insensitive LIKE decide nothing. */
    CHECK_OK(c->create_namespace(c, "axb.c", NULL, &err), &err);
    CHECK_OK(c->create_namespace(c, "a_b", NULL, &err), &err);
    CHECK_OK(c->create_namespace(c, "A", NULL, &err), &err);
    CHECK(c->create_namespace(c, "", NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK(c->create_namespace(c, "a..b", NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "namespace \"a..b\" has an empty level");
    floe_props bad;
    floe_props_init(&bad);
    floe_props_set(&bad, "exists", "false");
    CHECK(c->create_namespace(c, "y", &bad, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "namespace y: property \"exists\" is reserved");

    CHECK_OK(c->list_namespaces(c, NULL, &v, &n, &err), &err);
    static const char *const top[] = {"A", "a", "a_b", "axb", "p", "x"};
    CHECK(strv_is(v, n, top, 6));
    floe_sql_strv_free(v, n);
    CHECK_OK(c->list_namespaces(c, "a", &v, &n, &err), &err);
    static const char *const under_a[] = {"a.b"};
    CHECK(strv_is(v, n, under_a, 1));
    floe_sql_strv_free(v, n);
    CHECK_OK(c->list_namespaces(c, "a.b", &v, &n, &err), &err);
    static const char *const under_ab[] = {"a.b.c"};
    CHECK(strv_is(v, n, under_ab, 1));
    floe_sql_strv_free(v, n);
    CHECK_OK(c->list_namespaces(c, "a_b", &v, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    floe_sql_strv_free(v, n);
    CHECK(c->list_namespaces(c, "nope", &v, &n, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "namespace nope does not exist");

    floe_props got;
    CHECK_OK(c->load_namespace(c, "a.b.c", &got, &err), &err);
    CHECK_EQ_INT(got.n, 3); /* comment, owner, location; never "exists" */
    CHECK_EQ_STR(floe_props_get(&got, "owner"), "bob");
    CHECK_EQ_STR(floe_props_get(&got, "comment"), "raw events");
    CHECK(floe_props_get(&got, "exists") == NULL);
    char loc[256];
    snprintf(loc, sizeof loc, "file://%s/a/b/c", e.wh);
    CHECK_EQ_STR(floe_props_get(&got, "location"), loc);
    floe_props_free(&got);
    CHECK(c->load_namespace(c, "nope", &got, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    floe_props_free(&got);

    /* Update: set one existing and one new key, remove one. */
    floe_props set;
    floe_props_init(&set);
    floe_props_set(&set, "owner", "carol");
    floe_props_set(&set, "location", "file:///elsewhere");
    char *rm[] = {"comment", "never-set"};
    CHECK_OK(c->update_namespace(c, "a.b.c", &set, rm, 2, &err), &err);
    CHECK_OK(c->load_namespace(c, "a.b.c", &got, &err), &err);
    CHECK_EQ_INT(got.n, 2);
    CHECK_EQ_STR(floe_props_get(&got, "owner"), "carol");
    CHECK_EQ_STR(floe_props_get(&got, "location"), "file:///elsewhere");
    floe_props_free(&got);
    CHECK(c->update_namespace(c, "a.b.c", &bad, NULL, 0, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    char *rm_exists[] = {"exists"};
    CHECK(c->update_namespace(c, "a.b.c", NULL, rm_exists, 1, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    char *rm_owner[] = {"owner"};
    CHECK(c->update_namespace(c, "a.b.c", &set, rm_owner, 1, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "namespace a.b.c: property owner is both set and removed");
    CHECK(c->update_namespace(c, "nope", &set, NULL, 0, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);

    /* Drop: not while something lives below or inside. */
    CHECK(c->drop_namespace(c, "a", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
    CHECK_EQ_STR(err.msg, "namespace a is not empty: it holds namespace a.b");
    CHECK_OK(make_table(c, "x", "t", NULL, NULL, &err), &err);
    CHECK(c->drop_namespace(c, "x", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
    CHECK_EQ_STR(err.msg, "namespace x is not empty: it holds 1 table (x.t, ...)");
    CHECK_OK(c->drop_namespace(c, "a.b.c", &err), &err);
    CHECK_OK(c->drop_namespace(c, "a.b", &err), &err);
    CHECK_OK(c->drop_namespace(c, "a", &err), &err);
    CHECK(c->drop_namespace(c, "a", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "namespace a does not exist");

    /* A namespace implied by a table alone (its property rows deleted, as
     * a catalog written by another engine may have it) still exists. */
    CHECK_OK(c->create_namespace(c, "imp.lied", NULL, &err), &err);
    CHECK_OK(make_table(c, "imp.lied", "t", NULL, NULL, &err), &err);
    floe_sql_rows r = {0};
    const char *p[1] = {e.name};
    CHECK_OK(raw_query(&e, "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = 'imp.lied'",
                       p, 1, &r),
             &err);
    floe_sql_rows_free(&r);
    CHECK_OK(c->list_namespaces(c, "imp", &v, &n, &err), &err);
    static const char *const under_imp[] = {"imp.lied"};
    CHECK(strv_is(v, n, under_imp, 1));
    floe_sql_strv_free(v, n);
    CHECK_OK(c->load_namespace(c, "imp.lied", &got, &err), &err);
    CHECK_EQ_INT(got.n, 1); /* the default location only */
    floe_props_free(&got);

    floe_props_free(&props);
    floe_props_free(&bad);
    floe_props_free(&set);
    teardown(&e, c);
}

/* ---- tables -------------------------------------------------------------------------- */

TEST(tables) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    CHECK_EQ_STR(c->kind, "sql");
    floe_err err = {0};
    CHECK(make_table(c, "db", "t1", NULL, NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "namespace db does not exist");
    CHECK(make_ns(c, "db") == 0);

    floe_props tp;
    floe_props_init(&tp);
    floe_props_set(&tp, "write.format.default", "parquet");
    floe_table_state st = {0};
    CHECK_OK(make_table(c, "db", "t1", &tp, &st, &err), &err);
    floe_props_free(&tp);
    char want[512];
    snprintf(want, sizeof want, "file://%s/db/t1", e.wh);
    CHECK_EQ_STR(st.metadata->location, want);
    snprintf(want, sizeof want, "file://%s/db/t1/metadata/00000-", e.wh);
    CHECK(strncmp(st.metadata_location, want, strlen(want)) == 0);
    CHECK(strstr(st.metadata_location, ".metadata.json") != NULL);
    CHECK(file_exists(st.metadata_location));
    CHECK_EQ_INT(st.metadata->format_version, 2);
    CHECK_EQ_STR(floe_props_get(&st.metadata->properties, "write.format.default"), "parquet");
    CHECK_EQ_INT(st.config.n, 0);
    char uuid[37];
    memcpy(uuid, st.metadata->table_uuid, sizeof uuid);
    char *loc1 = floe_xstrdup(st.metadata_location);
    floe_table_state_free(&st);

    CHECK(make_table(c, "db", "t1", NULL, NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    CHECK_EQ_STR(err.msg, "table db.t1 already exists");

    /* An explicit location, a plain path made a URI. */
    floe_ice_schema *s = test_schema();
    char custom[256];
    snprintf(custom, sizeof custom, "%s/elsewhere/t2/", e.dir);
    floe_table_create req = {.schema = s, .location = custom};
    CHECK_OK(c->create_table(c, "db", "t2", &req, &st, &err), &err);
    snprintf(want, sizeof want, "file://%s/elsewhere/t2", e.dir);
    CHECK_EQ_STR(st.metadata->location, want);
    floe_table_state_free(&st);
    floe_ice_schema_free(s);

    char **v = NULL;
    int n = 0;
    CHECK_OK(c->list_tables(c, "db", &v, &n, &err), &err);
    static const char *const both[] = {"t1", "t2"};
    CHECK(strv_is(v, n, both, 2));
    floe_sql_strv_free(v, n);
    CHECK(c->list_tables(c, "nope", &v, &n, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);

    CHECK_OK(c->load_table(c, "db", "t1", &st, &err), &err);
    CHECK_EQ_STR(st.metadata_location, loc1);
    CHECK_EQ_STR(st.metadata->table_uuid, uuid);
    floe_table_state_free(&st);
    CHECK(c->load_table(c, "db", "zz", &st, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "table db.zz does not exist");

    /* Rename across namespaces: the target namespace must exist and the
     * name be free; the files stay where they are. */
    CHECK(c->rename_table(c, "db", "t1", "db2", "t1", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "namespace db2 does not exist");
    CHECK(make_ns(c, "db2") == 0);
    CHECK(c->rename_table(c, "db", "t1", "db", "t2", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    CHECK_EQ_STR(err.msg, "cannot rename db.t1: table db.t2 already exists");
    CHECK(c->rename_table(c, "db", "nope", "db2", "x", &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_OK(c->rename_table(c, "db", "t1", "db2", "moved", &err), &err);
    CHECK_OK(c->rename_table(c, "db2", "moved", "db2", "moved", &err), &err);
    CHECK(c->load_table(c, "db", "t1", &st, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_OK(c->load_table(c, "db2", "moved", &st, &err), &err);
    CHECK_EQ_STR(st.metadata_location, loc1);
    floe_table_state_free(&st);

    /* Drop without purge: the row goes, the files stay. */
    CHECK_OK(c->drop_table(c, "db2", "moved", 0, &err), &err);
    CHECK(file_exists(loc1));
    CHECK(c->drop_table(c, "db2", "moved", 0, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK(c->drop_table(c, "db2", "moved", 1, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_OK(c->drop_namespace(c, "db2", &err), &err);

    CHECK(c->load_table(c, "db", "", &st, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    free(loc1);
    teardown(&e, c);
}

/* ---- commits ------------------------------------------------------------------------- */

TEST(commit_table) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    CHECK(make_ns(c, "db") == 0);
    floe_table_state st0 = {0}, st1 = {0}, st2 = {0};
    CHECK_OK(make_table(c, "db", "t", NULL, &st0, &err), &err);
    CHECK_OK(commit_snapshot(c, "db", "t", 101, NULL, &st1, &err), &err);
    if (!st1.metadata) {
        floe_table_state_free(&st0);
        teardown(&e, c);
        return;
    }
    CHECK(strstr(st1.metadata_location, "/metadata/00001-") != NULL);
    CHECK_EQ_INT(st1.metadata->current_snapshot_id, 101);
    CHECK_EQ_INT(st1.metadata->last_sequence_number, 1);
    CHECK_EQ_INT(st1.metadata->nmetadata_log, 1);
    if (st1.metadata->nmetadata_log == 1) {
        CHECK_EQ_STR(st1.metadata->metadata_log[0].file, st0.metadata_location);
        CHECK_EQ_INT(st1.metadata->metadata_log[0].timestamp_ms, st0.metadata->last_updated_ms);
    }
    CHECK_OK(commit_snapshot(c, "db", "t", 102, NULL, &st2, &err), &err);
    CHECK(strstr(st2.metadata_location, "/metadata/00002-") != NULL);
    CHECK_EQ_INT(st2.metadata->nsnapshots, 2);
    CHECK_EQ_INT(st2.metadata->nmetadata_log, 2);
    floe_table_state cur = {0};
    CHECK_OK(c->load_table(c, "db", "t", &cur, &err), &err);
    CHECK_EQ_STR(cur.metadata_location, st2.metadata_location);
    CHECK_EQ_INT(cur.metadata->current_snapshot_id, 102);
    floe_table_state_free(&cur);
    const char *mdir = metadata_dir(&st0);
    CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 3);

    /* A failed requirement: FLOE_ECONFLICT and no file written. */
    commit_parts p;
    commit_parts_init(&p, st1.metadata, 103, "file:///x/snap.avro"); /* based on the stale st1 */
    floe_table_commit tc = {"db", "t", &p.req, 1, p.upd, 2};
    CHECK(c->commit_table(c, &tc, NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
    CHECK(strstr(err.msg, "committing to db.t: ") == err.msg);
    CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 3);
    /* An update that cannot apply (a ref to an unknown snapshot). */
    floe_ice_update bad = {0};
    bad.kind = FLOE_UPD_SET_SNAPSHOT_REF;
    bad.ref.name = main_name;
    bad.ref.snapshot_id = 999;
    bad.ref.min_snapshots_to_keep = bad.ref.max_snapshot_age_ms = bad.ref.max_ref_age_ms = -1;
    floe_table_commit tb = {"db", "t", NULL, 0, &bad, 1};
    CHECK(c->commit_table(c, &tb, NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 3);
    tc.ns = "db";
    tc.name = "missing";
    CHECK(c->commit_table(c, &tc, NULL, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    commit_parts_free(&p);
    /* No updates: requirements checked, nothing written. */
    floe_table_commit none = {"db", "t", NULL, 0, NULL, 0};
    CHECK_OK(c->commit_table(c, &none, &cur, &err), &err);
    CHECK_EQ_STR(cur.metadata_location, st2.metadata_location);
    floe_table_state_free(&cur);
    CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 3);

    floe_table_state_free(&st0);
    floe_table_state_free(&st1);
    floe_table_state_free(&st2);
    teardown(&e, c);
}

TEST(commit_transaction) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    CHECK(make_ns(c, "db") == 0);
    floe_table_state a = {0}, b = {0};
    CHECK_OK(make_table(c, "db", "a", NULL, &a, &err), &err);
    CHECK_OK(make_table(c, "db", "b", NULL, &b, &err), &err);
    if (!a.metadata || !b.metadata) {
        teardown(&e, c);
        return;
    }
    CHECK(c->commit_transaction != NULL);

    commit_parts pa, pb;
    commit_parts_init(&pa, a.metadata, 11, "file:///x/a.avro");
    commit_parts_init(&pb, b.metadata, 22, "file:///x/b.avro");
    floe_table_commit tcs[2] = {{"db", "b", &pb.req, 1, pb.upd, 2}, {"db", "a", &pa.req, 1, pa.upd, 2}};
    CHECK_OK(c->commit_transaction(c, tcs, 2, &err), &err);
    floe_table_state cur = {0};
    CHECK_OK(c->load_table(c, "db", "a", &cur, &err), &err);
    CHECK_EQ_INT(cur.metadata->current_snapshot_id, 11);
    floe_table_state_free(&cur);
    CHECK_OK(c->load_table(c, "db", "b", &cur, &err), &err);
    CHECK_EQ_INT(cur.metadata->current_snapshot_id, 22);
    char *b_loc = floe_xstrdup(cur.metadata_location);
    floe_table_state_free(&cur);

    /* All or nothing: b's requirement is stale now, so a stays as it is
     * and neither keeps a new metadata file. */
    commit_parts pa2;
    CHECK_OK(c->load_table(c, "db", "a", &cur, &err), &err);
    commit_parts_init(&pa2, cur.metadata, 12, "file:///x/a2.avro");
    char *a_loc = floe_xstrdup(cur.metadata_location);
    floe_table_state_free(&cur);
    floe_table_commit stale[2] = {{"db", "a", &pa2.req, 1, pa2.upd, 2}, {"db", "b", &pb.req, 1, pb.upd, 2}};
    CHECK(c->commit_transaction(c, stale, 2, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
    CHECK_OK(c->load_table(c, "db", "a", &cur, &err), &err);
    CHECK_EQ_STR(cur.metadata_location, a_loc);
    floe_table_state_free(&cur);
    CHECK_EQ_INT(count_files(metadata_dir(&a), ".metadata.json"), 2);
    CHECK_EQ_INT(count_files(metadata_dir(&b), ".metadata.json"), 2);

    /* A table with requirements only takes part without a new file. */
    floe_table_commit mixed[2] = {{"db", "a", &pa2.req, 1, pa2.upd, 2}, {"db", "b", NULL, 0, NULL, 0}};
    CHECK_OK(c->commit_transaction(c, mixed, 2, &err), &err);
    CHECK_OK(c->load_table(c, "db", "b", &cur, &err), &err);
    CHECK_EQ_STR(cur.metadata_location, b_loc);
    floe_table_state_free(&cur);
    CHECK_EQ_INT(count_files(metadata_dir(&a), ".metadata.json"), 3);

    floe_table_commit dup[2] = {{"db", "a", NULL, 0, NULL, 0}, {"db", "a", NULL, 0, NULL, 0}};
    CHECK(c->commit_transaction(c, dup, 2, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "table db.a appears twice in one transaction");
    floe_table_commit missing[1] = {{"db", "zz", NULL, 0, NULL, 0}};
    CHECK(c->commit_transaction(c, missing, 1, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);

    commit_parts_free(&pa);
    commit_parts_free(&pb);
    commit_parts_free(&pa2);
    free(a_loc);
    free(b_loc);
    floe_table_state_free(&a);
    floe_table_state_free(&b);
    teardown(&e, c);
}

/* Child processes.  SQLite connections must not cross fork() (a child
 * would inherit the parent's view of its file locks), so children are
 * forked while this process has none open and wait for the parent's go (a
 * byte on a pipe) before they start; a closed pipe sends them home. */
typedef int (*child_fn)(env *e, int arg);
typedef struct child {
    pid_t pid;
    int go;
} child;

static child spawn(env *e, child_fn fn, int arg) {
    int fds[2];
    if (pipe(fds) != 0) abort();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        close(fds[1]);
        char x;
        _exit(read(fds[0], &x, 1) == 1 ? fn(e, arg) : 3);
    }
    close(fds[0]);
    return (child){pid, fds[1]};
}

static void child_go(child *k, int go) {
    if (go && write(k->go, "g", 1) != 1) abort();
    close(k->go);
}

static int child_wait(child *k) {
    int status = 0;
    waitpid(k->pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* 0: committed, 1: FLOE_ECONFLICT, 2: another error. */
static int race_child(env *e, int k) {
    floe_catalog *c = env_open(e);
    floe_err err = {0};
    int rc = c ? commit_snapshot(c, "db", "t", 1000 + k, NULL, NULL, &err) : -1;
    if (rc && err.code != FLOE_ECONFLICT) fprintf(stderr, "  child %d: %s\n", k, err.msg);
    floe_catalog_free(c);
    return rc == 0 ? 0 : err.code == FLOE_ECONFLICT ? 1 : 2;
}

/* Two catalog handles commit against the same base at the same moment.  A
 * raw connection holds the table's row (SQLite: the write lock) until both
 * have loaded the base and written their new metadata file, so both reach
 * the compare-and-swap with the same expected location: exactly one wins,
 * the other gets FLOE_ECONFLICT and deletes its file. */
TEST(cas_race_one_winner) {
    env e;
    env_init(&e);
    child kids[2] = {spawn(&e, race_child, 0), spawn(&e, race_child, 1)};
    floe_catalog *c = env_open(&e);
    floe_err err = {0};
    floe_table_state base = {0};
    floe_sqldb *hold = NULL;
    const char *p[1] = {e.name};
    int ready = c && make_ns(c, "db") == 0 && make_table(c, "db", "t", NULL, &base, &err) == 0 &&
                (hold = floe_sqldb_open(e.uri, &err)) != NULL && floe_sqldb_begin(hold, 0, &err) == 0 &&
                floe_sqldb_exec(hold, "holding the row",
                                "UPDATE iceberg_tables SET metadata_location = metadata_location"
                                " WHERE catalog_name = ? AND table_namespace = 'db' AND table_name = 't'",
                                p, 1, NULL, NULL, &err) == 0;
    CHECK(ready);
    if (!ready) fprintf(stderr, "  setup: %s\n", err.msg);
    for (int k = 0; k < 2; k++) child_go(&kids[k], ready);
    if (ready) {
        char mdir[1024];
        snprintf(mdir, sizeof mdir, "%s", metadata_dir(&base));
        /* Both new files written: both loaded the base before either swapped. */
        for (int i = 0; i < 400 && count_files(mdir, ".metadata.json") < 3; i++) usleep(50000);
        CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 3);
        usleep(300000);
        CHECK_OK(floe_sqldb_commit(hold, &err), &err);
        int wins = 0, conflicts = 0;
        for (int k = 0; k < 2; k++) {
            int code = child_wait(&kids[k]);
            wins += code == 0;
            conflicts += code == 1;
        }
        CHECK_EQ_INT(wins, 1);
        CHECK_EQ_INT(conflicts, 1);
        CHECK_EQ_INT(count_files(mdir, ".metadata.json"), 2); /* no orphan */
        floe_table_state cur = {0};
        CHECK_OK(c->load_table(c, "db", "t", &cur, &err), &err);
        if (cur.metadata) {
            CHECK(cur.metadata->current_snapshot_id == 1000 || cur.metadata->current_snapshot_id == 1001);
            CHECK_EQ_INT(cur.metadata->nsnapshots, 1);
        }
        floe_table_state_free(&cur);
    } else {
        for (int k = 0; k < 2; k++) child_wait(&kids[k]);
    }
    floe_sqldb_close(hold);
    floe_table_state_free(&base);
    teardown(&e, c);
}

/* Opens the catalog (on SQLite: the switch to WAL and the schema) and
 * lists namespaces; 0 when both worked. */
static int open_child(env *e, int k) {
    floe_catalog *c = env_open(e);
    if (!c) return 1;
    floe_err err = {0};
    char **ns = NULL;
    int n = 0;
    int rc = c->list_namespaces(c, NULL, &ns, &n, &err);
    if (rc) fprintf(stderr, "  child %d: listing namespaces: %s\n", k, err.msg);
    for (int i = 0; i < n; i++) free(ns[i]);
    free(ns);
    floe_catalog_free(c);
    return rc ? 2 : 0;
}

enum { OPEN_ROUNDS = 40, OPENERS = 6 };

/* Several processes open one fresh catalog at the same moment (floe run
 * processes of one group started together).  On SQLite two of them can
 * each hold the shared lock the other needs to switch the file to WAL, and
 * SQLite answers SQLITE_BUSY at once, without the busy handler: about one
 * opener in forty failed so before the switch was retried.  Every one
 * must open it. */
TEST(fresh_catalog_opened_at_once) {
    int failed = 0;
    for (int r = 0; r < OPEN_ROUNDS; r++) {
        env e;
        env_init(&e);
        child kids[OPENERS];
        for (int k = 0; k < OPENERS; k++) kids[k] = spawn(&e, open_child, k);
        for (int k = 0; k < OPENERS; k++) child_go(&kids[k], 1);
        for (int k = 0; k < OPENERS; k++) failed += child_wait(&kids[k]) != 0;
        env_free(&e);
    }
    CHECK_EQ_INT(failed, 0);
}

enum { WORKERS = 4, COMMITS = 10 };

/* Commits COMMITS snapshots, reloading and retrying on FLOE_ECONFLICT. */
static int commit_worker(env *e, int w) {
    floe_catalog *c = env_open(e);
    if (!c) return 2;
    srand((unsigned)getpid());
    for (int k = 0; k < COMMITS; k++) {
        int64_t id = ((int64_t)(w + 1) << 32) | (k + 1);
        for (;;) {
            floe_err err = {0};
            if (commit_snapshot(c, "db", "t", id, NULL, NULL, &err) == 0) break;
            if (err.code != FLOE_ECONFLICT) {
                fprintf(stderr, "  worker %d: %s\n", w, err.msg);
                floe_catalog_free(c);
                return 2;
            }
            usleep((useconds_t)(rand() % 5000));
        }
    }
    floe_catalog_free(c);
    return 0;
}

/* WORKERS processes each commit COMMITS snapshots to one table: every
 * snapshot lands once, in one unbroken chain, and no metadata file is left
 * over from a lost attempt. */
TEST(concurrent_processes) {
    env e;
    env_init(&e);
    child kids[WORKERS];
    for (int w = 0; w < WORKERS; w++) kids[w] = spawn(&e, commit_worker, w);
    floe_catalog *c = env_open(&e);
    floe_err err = {0};
    floe_table_state base = {0};
    int ready = c && make_ns(c, "db") == 0 && make_table(c, "db", "t", NULL, &base, &err) == 0;
    CHECK(ready);
    for (int w = 0; w < WORKERS; w++) child_go(&kids[w], ready);
    for (int w = 0; w < WORKERS; w++) CHECK_EQ_INT(child_wait(&kids[w]), ready ? 0 : 3);
    floe_table_state cur = {0};
    if (ready) CHECK_OK(c->load_table(c, "db", "t", &cur, &err), &err);
    if (cur.metadata) {
        const floe_ice_metadata *m = cur.metadata;
        CHECK_EQ_INT(m->nsnapshots, WORKERS * COMMITS);
        CHECK_EQ_INT(m->last_sequence_number, WORKERS * COMMITS);
        for (int i = 0; i < m->nsnapshots; i++)
            for (int j = i + 1; j < m->nsnapshots; j++)
                CHECK(m->snapshots[i].snapshot_id != m->snapshots[j].snapshot_id);
        /* Walk main back to the first snapshot. */
        int chain = 0;
        const floe_ice_snapshot *s = floe_ice_metadata_current(m);
        int64_t seq = INT64_MAX;
        while (s && chain <= WORKERS * COMMITS) {
            chain++;
            CHECK(s->sequence_number < seq);
            seq = s->sequence_number;
            s = s->has_parent ? floe_ice_metadata_snapshot(m, s->parent_id) : NULL;
        }
        CHECK_EQ_INT(chain, WORKERS * COMMITS);
        CHECK_EQ_INT(count_files(metadata_dir(&base), ".metadata.json"), 1 + WORKERS * COMMITS);
    }
    floe_table_state_free(&cur);
    floe_table_state_free(&base);
    teardown(&e, c);
}

/* ---- drop with purge -------------------------------------------------------------------- */

/* Writes a data file, a manifest naming it and a manifest list with that
 * manifest plus `carry` (the previous snapshot's), then commits the
 * snapshot.  Returns 0 on success. */
static int commit_with_files(floe_catalog *c, const char *ns, const char *name, int64_t id,
                             floe_ice_manifest_file *carry, int ncarry, floe_ice_manifest_file *made,
                             floe_err *err) {
    floe_table_state st = {0};
    if (c->load_table(c, ns, name, &st, err)) return -1;
    const floe_ice_metadata *m = st.metadata;
    floe_fileio *io = c->fileio(c);
    char data[512], man[512], list[512];
    snprintf(data, sizeof data, "%s/data/f%lld.parquet", m->location, (long long)id);
    snprintf(man, sizeof man, "%s/metadata/m%lld.avro", m->location, (long long)id);
    snprintf(list, sizeof list, "%s/metadata/snap-%lld.avro", m->location, (long long)id);
    int rc = io->write(io, data, "PAR1", 4, 1, err);
    floe_ice_manifest_entry ent = {0};
    ent.status = FLOE_ICE_STATUS_ADDED;
    ent.file.content = FLOE_ICE_CONTENT_DATA;
    ent.file.file_path = floe_xstrdup(data);
    ent.file.file_format = floe_xstrdup("PARQUET");
    ent.file.partition = floe_xcalloc(1, sizeof *ent.file.partition);
    ent.file.record_count = 1;
    ent.file.file_size_in_bytes = 4;
    floe_buf b;
    floe_buf_init(&b);
    if (rc == 0)
        rc = floe_ice_manifest_write(m, floe_ice_metadata_spec(m), FLOE_ICE_MANIFEST_DATA, id, &ent, 1, &b, made,
                                     err);
    floe_ice_manifest_entry_free(&ent);
    if (rc == 0) {
        made->manifest_path = floe_xstrdup(man);
        rc = io->write(io, man, b.data, b.len, 1, err);
    }
    floe_ice_manifest_file files[4];
    int nfiles = 0;
    if (rc == 0) {
        files[nfiles++] = *made;
        for (int i = 0; i < ncarry && nfiles < 4; i++) files[nfiles++] = carry[i];
        floe_buf_reset(&b);
        const floe_ice_ref *cur = floe_ice_metadata_ref(m, "main");
        rc = floe_ice_manifest_list_write(2, id, cur != NULL, cur ? cur->snapshot_id : 0,
                                          m->last_sequence_number + 1, files, nfiles, &b, err);
    }
    if (rc == 0) rc = io->write(io, list, b.data, b.len, 1, err);
    /* Carried into the next list, the manifest has its sequence numbers. */
    made->sequence_number = m->last_sequence_number + 1;
    if (made->min_sequence_number < 0) made->min_sequence_number = made->sequence_number;
    floe_buf_free(&b);
    floe_table_state_free(&st);
    if (rc == 0) rc = commit_snapshot(c, ns, name, id, list, NULL, err);
    return rc;
}

TEST(drop_with_purge) {
    env e;
    floe_catalog *c = setup(&e);
    if (!c) return;
    floe_err err = {0};
    CHECK(make_ns(c, "db") == 0);
    floe_table_state st = {0};
    CHECK_OK(make_table(c, "db", "t", NULL, &st, &err), &err);
    floe_ice_manifest_file m1 = {0}, m2 = {0};
    CHECK_OK(commit_with_files(c, "db", "t", 1, NULL, 0, &m1, &err), &err);
    CHECK_OK(commit_with_files(c, "db", "t", 2, &m1, 1, &m2, &err), &err);
    char tdir[512];
    snprintf(tdir, sizeof tdir, "%s/db/t", e.wh);
    CHECK_EQ_INT(count_files(tdir, ".parquet"), 2);
    CHECK_EQ_INT(count_files(tdir, ".avro"), 4);
    CHECK_EQ_INT(count_files(tdir, ".metadata.json"), 3);
    /* A stray file purge does not know about stays. */
    char stray[600];
    snprintf(stray, sizeof stray, "file://%s/data/stray.parquet", tdir);
    floe_fileio *io = c->fileio(c);
    CHECK_OK(io->write(io, stray, "x", 1, 1, &err), &err);
    CHECK_OK(c->drop_table(c, "db", "t", 1, &err), &err);
    CHECK_EQ_INT(count_files(tdir, ""), 1);
    CHECK(file_exists(stray));
    CHECK(c->load_table(c, "db", "t", &st, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);

    /* gc.enabled=false: data files may be shared, so they stay. */
    floe_props tp;
    floe_props_init(&tp);
    floe_props_set(&tp, "gc.enabled", "false");
    CHECK_OK(make_table(c, "db", "g", &tp, NULL, &err), &err);
    floe_props_free(&tp);
    floe_ice_manifest_file_free(&m1);
    CHECK_OK(commit_with_files(c, "db", "g", 5, NULL, 0, &m1, &err), &err);
    snprintf(tdir, sizeof tdir, "%s/db/g", e.wh);
    CHECK_OK(c->drop_table(c, "db", "g", 1, &err), &err);
    CHECK_EQ_INT(count_files(tdir, ".parquet"), 1);
    CHECK_EQ_INT(count_files(tdir, ""), 1);

    floe_ice_manifest_file_free(&m1);
    floe_ice_manifest_file_free(&m2);
    floe_table_state_free(&st);
    teardown(&e, c);
}

/* ---- opening ------------------------------------------------------------------------------ */

TEST(open_errors) {
    floe_err err = {0};
    CHECK(floe_catalog_open("mysql://x", NULL, NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    /* a REST catalog that does not answer: opening fails, naming it */
    CHECK(floe_catalog_open("http://127.0.0.1:1", NULL, NULL, &err) == NULL);
    CHECK(strstr(err.msg, "127.0.0.1:1") != NULL);
    CHECK(floe_catalog_open("sqlite:/proc/floe/x/catalog.db", NULL, NULL, &err) == NULL);
    CHECK(err.code == FLOE_EIO || err.code == FLOE_EINVAL);
    CHECK(strstr(err.msg, "/proc/floe/x") != NULL);
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "catalog-name", "");
    CHECK(floe_catalog_open("sqlite:/tmp/never.db", NULL, &p, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    floe_props_free(&p);
    CHECK(floe_catalog_open("postgresql://127.0.0.1:1/none?connect_timeout=2", NULL, NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EIO);
    CHECK(strstr(err.msg, "connecting to PostgreSQL: ") == err.msg);

    /* The default location: sqlite:./warehouse/catalog.db under the cwd. */
    char cwd[1024], dir[] = "/tmp/floe-catalog-cwd-XXXXXX";
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(mkdtemp(dir) != NULL);
    CHECK(chdir(dir) == 0);
    floe_catalog *c = floe_catalog_open(NULL, NULL, NULL, &err);
    CHECK(c != NULL);
    if (c) {
        CHECK(make_ns(c, "db") == 0);
        floe_table_state st = {0};
        CHECK_OK(make_table(c, "db", "t", NULL, &st, &err), &err);
        char want[1200];
        snprintf(want, sizeof want, "file://%s/warehouse/db/t", dir);
        if (st.metadata) CHECK_EQ_STR(st.metadata->location, want);
        floe_table_state_free(&st);
        floe_catalog_free(c);
        struct stat sb;
        CHECK(stat("warehouse/catalog.db", &sb) == 0);
    }
    CHECK(chdir(cwd) == 0);
    test_rmtree(dir);
}

/* ---- the metadata a catalog object keeps ---------------------------------------------- */

static char *metadata_json(const floe_ice_metadata *m) {
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_metadata_to_json(m, &b);
    char *s = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return s;
}

/* What c holds for db.t equals what the file reads as: the JSON of the
 * metadata c loads and of the metadata a fresh catalog parses match. */
static void check_same_as_file(env *e, floe_catalog *c) {
    floe_catalog *fresh = env_open(e);
    CHECK(fresh != NULL);
    if (!fresh) return;
    floe_err err = {0};
    floe_table_state kept = {0}, read = {0};
    CHECK_OK(c->load_table(c, "db", "t", &kept, &err), &err);
    CHECK_OK(fresh->load_table(fresh, "db", "t", &read, &err), &err);
    if (kept.metadata && read.metadata) {
        CHECK_EQ_STR(kept.metadata_location, read.metadata_location);
        char *a = metadata_json(kept.metadata), *b = metadata_json(read.metadata);
        CHECK_EQ_STR(a, b);
        free(a);
        free(b);
    }
    floe_table_state_free(&kept);
    floe_table_state_free(&read);
    floe_catalog_free(fresh);
}

/* A catalog object reuses the metadata it last wrote or read for a table
 * only while the row still names that file: commits by another catalog
 * object in between are seen, a commit based on a stale state conflicts,
 * and what is kept reads as the file does. */
TEST(kept_metadata_guarded_by_location) {
    env e;
    floe_catalog *c1 = setup(&e);
    if (!c1) return;
    floe_catalog *c2 = env_open(&e);
    CHECK(c2 != NULL);
    if (!c2) {
        teardown(&e, c1);
        return;
    }
    floe_err err = {0};
    CHECK(make_ns(c1, "db") == 0);
    CHECK_OK(make_table(c1, "db", "t", NULL, NULL, &err), &err);
    check_same_as_file(&e, c1);
    floe_table_state s1 = {0}, cur = {0};
    CHECK_OK(commit_snapshot(c1, "db", "t", 101, NULL, &s1, &err), &err);
    check_same_as_file(&e, c1);
    /* Another catalog object commits: c1's kept file is no longer current. */
    CHECK_OK(commit_snapshot(c2, "db", "t", 102, NULL, NULL, &err), &err);
    CHECK_OK(c1->load_table(c1, "db", "t", &cur, &err), &err);
    if (cur.metadata) {
        CHECK_EQ_INT(cur.metadata->current_snapshot_id, 102);
        CHECK_EQ_INT(cur.metadata->nsnapshots, 2);
    }
    floe_table_state_free(&cur);
    /* A commit from c1's stale state (main at 101) conflicts. */
    if (s1.metadata) {
        commit_parts p;
        commit_parts_init(&p, s1.metadata, 103, "file:///x/snap-103.avro");
        floe_table_commit tc = {"db", "t", &p.req, 1, p.upd, 2};
        CHECK(c1->commit_table(c1, &tc, NULL, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
        commit_parts_free(&p);
    }
    /* Alternating writers, each on what the row names: all land in order. */
    for (int k = 0; k < 6; k++)
        CHECK_OK(commit_snapshot(k % 2 ? c2 : c1, "db", "t", 104 + k, NULL, NULL, &err), &err);
    /* A multi-table commit through c2, then a commit through c1. */
    CHECK_OK(c2->load_table(c2, "db", "t", &cur, &err), &err);
    if (cur.metadata) {
        commit_parts p;
        commit_parts_init(&p, cur.metadata, 110, "file:///x/snap-110.avro");
        floe_table_commit tc = {"db", "t", &p.req, 1, p.upd, 2};
        CHECK_OK(c2->commit_transaction(c2, &tc, 1, &err), &err);
        commit_parts_free(&p);
    }
    floe_table_state_free(&cur);
    CHECK_OK(commit_snapshot(c1, "db", "t", 111, NULL, NULL, &err), &err);
    /* Properties changed through c1, then read back from c1 and a fresh catalog. */
    floe_ice_update upd;
    memset(&upd, 0, sizeof upd);
    upd.kind = FLOE_UPD_SET_PROPERTIES;
    floe_props_init(&upd.props);
    floe_props_set(&upd.props, "k", "v");
    floe_table_commit tp = {"db", "t", NULL, 0, &upd, 1};
    CHECK_OK(c1->commit_table(c1, &tp, NULL, &err), &err);
    floe_props_free(&upd.props);
    check_same_as_file(&e, c1);
    CHECK_OK(c1->load_table(c1, "db", "t", &cur, &err), &err);
    if (cur.metadata) {
        static const int64_t want[] = {101, 102, 104, 105, 106, 107, 108, 109, 110, 111};
        CHECK_EQ_INT(cur.metadata->nsnapshots, 10);
        for (int i = 0; i < cur.metadata->nsnapshots && i < 10; i++)
            CHECK_EQ_INT(cur.metadata->snapshots[i].snapshot_id, want[i]);
        CHECK_EQ_INT(cur.metadata->current_snapshot_id, 111);
        CHECK_EQ_STR(floe_props_get(&cur.metadata->properties, "k"), "v");
    }
    /* The kept metadata is used without reading the file: with the file
     * replaced by garbage (never done to a real table), c1 still loads it,
     * while a catalog object that holds nothing fails to parse it. */
    if (cur.metadata_location && e.sqlite) {
        FILE *f = fopen(floe_uri_local_path(cur.metadata_location), "w");
        CHECK(f != NULL);
        if (f) {
            fputs("{}", f);
            fclose(f);
        }
        floe_table_state again = {0};
        CHECK_OK(c1->load_table(c1, "db", "t", &again, &err), &err);
        if (again.metadata) CHECK_EQ_INT(again.metadata->current_snapshot_id, 111);
        floe_table_state_free(&again);
        floe_catalog *fresh = env_open(&e);
        CHECK(fresh && fresh->load_table(fresh, "db", "t", &again, &err) == -1);
        floe_table_state_free(&again);
        floe_catalog_free(fresh);
    }
    floe_table_state_free(&cur);
    floe_table_state_free(&s1);
    floe_catalog_free(c2);
    teardown(&e, c1);
}

TEST_MAIN(T(jdbc_layout_and_rows), T(v0_database_and_upgrade), T(catalog_names_isolate), T(sql_error_messages), T(namespaces), T(tables), T(commit_table),
          T(commit_transaction), T(cas_race_one_winner), T(fresh_catalog_opened_at_once), T(concurrent_processes), T(drop_with_purge),
          T(open_errors), T(kept_metadata_guarded_by_location))
