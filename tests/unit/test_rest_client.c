/*
 * test_rest_client.c — the REST catalog client (catalog/rest.c) through the
 * catalog interface, against tests/integration/lib/fake_rest_catalog.py
 * started per test (python3; tests run from the repository root): what the
 * command line cannot reach — commit_transaction (present when advertised,
 * NULL when not), vended config in floe_table_state.config, HEAD for table
 * existence, namespace property updates, error codes and messages, paged
 * listings, stage-create and the assert-create commit that ends it (also
 * against the SQL catalog, which must mean the same by the flag).  rest_client.sh covers the commands, faults and auth.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/rest.h"
#include "test.h"

typedef struct fake {
    pid_t pid;
    char dir[256];
    char url[64];
} fake;

/* Starts the fake with extra arguments (NULL-terminated). */
static int fake_start(fake *f, const char *const *extra) {
    snprintf(f->dir, sizeof f->dir, "/tmp/floe-rest-unit.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char port_file[300], wh[300];
    snprintf(port_file, sizeof port_file, "%s/port", f->dir);
    snprintf(wh, sizeof wh, "%s/wh", f->dir);
    mkdir(wh, 0755);
    const char *argv[32] = {"python3", "tests/integration/lib/fake_rest_catalog.py", "--warehouse", wh,
                            "--port-file", port_file};
    int n = 6;
    for (int i = 0; extra && extra[i] && n < 30; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    f->pid = fork();
    if (f->pid < 0) return -1;
    if (f->pid == 0) {
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *p = fopen(port_file, "r");
        int port = 0;
        if (p) {
            if (fscanf(p, "%d", &port) != 1) port = 0;
            fclose(p);
        }
        if (port > 0) {
            snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", port);
            return 0;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void fake_stop(fake *f) {
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    test_rmtree(f->dir);
}

static floe_ice_schema *schema(void) {
    const char *j = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                    "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"}]}";
    floe_err err = {0};
    return floe_ice_schema_parse(j, strlen(j), &err);
}

static int create(floe_catalog *c, const char *ns, const char *name, floe_table_state *out, floe_err *err) {
    floe_ice_schema *s = schema();
    floe_table_create req = {s, NULL, NULL, NULL, NULL, 0};
    int rc = c->create_table(c, ns, name, &req, out, err);
    floe_ice_schema_free(s);
    return rc;
}

/* A commit setting property k=v on main's table, asserting its uuid. */
static void prop_commit(floe_table_commit *tc, floe_ice_requirement *req, floe_ice_update *upd, const char *ns,
                        const char *name, const char *uuid, const char *k, const char *v) {
    memset(req, 0, sizeof *req);
    memset(upd, 0, sizeof *upd);
    req->kind = FLOE_REQ_ASSERT_TABLE_UUID;
    memcpy(req->uuid, uuid, 37);
    upd->kind = FLOE_UPD_SET_PROPERTIES;
    floe_props_init(&upd->props);
    floe_props_set(&upd->props, k, v);
    *tc = (floe_table_commit){ns, name, req, 1, upd, 1};
}

TEST(tables_and_transactions) {
    fake f;
    const char *extra[] = {"--vended", "{\"s3.access-key-id\":\"AK\",\"client.region\":\"r1\"}", "--page-size", "1",
                           NULL};
    CHECK(fake_start(&f, extra) == 0);
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(f.url, NULL, NULL, &err);
    CHECK(c != NULL);
    if (!c) {
        fprintf(stderr, "  open: %s\n", err.msg);
        fake_stop(&f);
        return;
    }
    CHECK_EQ_STR(c->kind, "rest");
    CHECK(c->commit_transaction != NULL);
    CHECK_OK(c->create_namespace(c, "db", NULL, &err), &err);
    CHECK(c->create_namespace(c, "db", NULL, &err) == -1 && err.code == FLOE_EEXISTS);

    floe_table_state a, b;
    CHECK_OK(create(c, "db", "a", &a, &err), &err);
    CHECK_OK(create(c, "db", "b", &b, &err), &err);
    CHECK(create(c, "db", "a", NULL, &err) == -1 && err.code == FLOE_EEXISTS);
    /* vended config and the storage credential for the table's location */
    CHECK_EQ_STR(floe_props_get(&a.config, "s3.access-key-id"), "AK");
    CHECK_EQ_STR(floe_props_get(&a.config, "floe.test.storage-credential"), "yes");
    CHECK(a.metadata_location != NULL);

    CHECK_EQ_INT(floe_catalog_rest_table_exists(c, "db", "a", &err), 1);
    CHECK_EQ_INT(floe_catalog_rest_table_exists(c, "db", "zz", &err), 0);

    /* listings over pages of one */
    char **names = NULL;
    int n = 0;
    CHECK_OK(c->list_tables(c, "db", &names, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(names[0], "a");
        CHECK_EQ_STR(names[1], "b");
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);

    /* a commit keeps the table's config (the answer has none) */
    floe_ice_requirement req[2];
    floe_ice_update upd[2];
    floe_table_commit tc[2];
    prop_commit(&tc[0], &req[0], &upd[0], "db", "a", a.metadata->table_uuid, "k", "1");
    floe_table_state st;
    CHECK_OK(c->commit_table(c, &tc[0], &st, &err), &err);
    CHECK_EQ_STR(floe_props_get(&st.metadata->properties, "k"), "1");
    CHECK_EQ_STR(floe_props_get(&st.config, "s3.access-key-id"), "AK");
    floe_table_state_free(&st);
    floe_ice_update_free(&upd[0]);

    /* a failed requirement is a conflict, with the server's message */
    prop_commit(&tc[0], &req[0], &upd[0], "db", "a", b.metadata->table_uuid, "k", "2");
    CHECK(c->commit_table(c, &tc[0], NULL, &err) == -1 && err.code == FLOE_ECONFLICT);
    CHECK(strstr(err.msg, "UUID does not match") != NULL);
    floe_ice_update_free(&upd[0]);

    /* two tables at once; then all-or-nothing when one requirement fails */
    prop_commit(&tc[0], &req[0], &upd[0], "db", "a", a.metadata->table_uuid, "t", "x");
    prop_commit(&tc[1], &req[1], &upd[1], "db", "b", b.metadata->table_uuid, "t", "x");
    CHECK_OK(c->commit_transaction(c, tc, 2, &err), &err);
    floe_ice_update_free(&upd[0]);
    floe_ice_update_free(&upd[1]);
    prop_commit(&tc[0], &req[0], &upd[0], "db", "a", a.metadata->table_uuid, "t", "y");
    prop_commit(&tc[1], &req[1], &upd[1], "db", "b", a.metadata->table_uuid, "t", "y");
    CHECK(c->commit_transaction(c, tc, 2, &err) == -1 && err.code == FLOE_ECONFLICT);
    floe_ice_update_free(&upd[0]);
    floe_ice_update_free(&upd[1]);
    CHECK_OK(c->load_table(c, "db", "a", &st, &err), &err);
    CHECK_EQ_STR(floe_props_get(&st.metadata->properties, "t"), "x");
    floe_table_state_free(&st);

    CHECK(c->load_table(c, "db", "zz", &st, &err) == -1 && err.code == FLOE_ENOTFOUND);
    CHECK(strstr(err.msg, "NoSuchTableException") != NULL);
    CHECK(c->drop_namespace(c, "db", &err) == -1 && err.code == FLOE_ECONFLICT);
    CHECK_OK(c->rename_table(c, "db", "b", "db", "c", &err), &err);
    CHECK(c->rename_table(c, "db", "a", "db", "c", &err) == -1 && err.code == FLOE_EEXISTS);
    CHECK_OK(c->drop_table(c, "db", "a", 0, &err), &err);
    CHECK(c->drop_table(c, "db", "a", 0, &err) == -1 && err.code == FLOE_ENOTFOUND);

    floe_table_state_free(&a);
    floe_table_state_free(&b);
    floe_catalog_free(c);
    fake_stop(&f);
}

/* stage-create and its create transaction through the catalog interface:
 * the staged table is invisible until the assert-create commit, which
 * brings it in whole (uuid, schema and properties of the staged metadata
 * plus the transaction's own update).  The same for any catalog. */
static void check_stage(floe_catalog *c) {
    floe_err err = {0};
    CHECK_OK(c->create_namespace(c, "st", NULL, &err), &err);
    floe_ice_schema *s = schema();
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "p", "1");
    floe_table_create req = {.schema = s, .props = &props, .stage = 1};
    floe_table_state staged = {0}, st = {0};
    CHECK_OK(c->create_table(c, "st", "t", &req, &staged, &err), &err);
    CHECK(staged.metadata != NULL && staged.metadata_location == NULL);
    if (!staged.metadata) goto out;
    CHECK_EQ_STR(floe_props_get(&staged.metadata->properties, "p"), "1");
    /* nothing committed: not loadable, not listed, and staging again is fine */
    CHECK(c->load_table(c, "st", "t", &st, &err) == -1 && err.code == FLOE_ENOTFOUND);
    char **names = NULL;
    int n = -1;
    CHECK_OK(c->list_tables(c, "st", &names, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    floe_table_state again = {0};
    CHECK_OK(c->create_table(c, "st", "t", &req, &again, &err), &err);
    floe_table_state_free(&again);
    CHECK(c->create_table(c, "nons", "t", &req, NULL, &err) == -1 && err.code == FLOE_ENOTFOUND);

    /* the create transaction, with one more update of its own */
    floe_ice_update more = {.kind = FLOE_UPD_SET_PROPERTIES};
    floe_props_init(&more.props);
    floe_props_set(&more.props, "extra", "in-tx");
    CHECK_OK(floe_catalog_commit_create(c, "st", "t", staged.metadata, &more, 1, &st, &err), &err);
    if (st.metadata) {
        CHECK(st.metadata_location != NULL);
        CHECK_EQ_STR(st.metadata->table_uuid, staged.metadata->table_uuid);
        CHECK_EQ_STR(st.metadata->location, staged.metadata->location);
        CHECK_EQ_INT(st.metadata->last_column_id, staged.metadata->last_column_id);
        CHECK_EQ_STR(floe_props_get(&st.metadata->properties, "p"), "1");
        CHECK_EQ_STR(floe_props_get(&st.metadata->properties, "extra"), "in-tx");
        CHECK(floe_ice_metadata_schema(st.metadata) != NULL &&
              floe_ice_metadata_schema(st.metadata)->highest_field_id == 2);
    }
    floe_table_state_free(&st);
    CHECK_OK(c->load_table(c, "st", "t", &st, &err), &err);
    if (st.metadata) CHECK_EQ_STR(st.metadata->table_uuid, staged.metadata->table_uuid);
    floe_table_state_free(&st);
    CHECK_OK(c->list_tables(c, "st", &names, &n, &err), &err);
    CHECK_EQ_INT(n, 1);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    /* now the name is taken: staging is refused, a second create conflicts */
    CHECK(c->create_table(c, "st", "t", &req, NULL, &err) == -1 && err.code == FLOE_EEXISTS);
    CHECK(floe_catalog_commit_create(c, "st", "t", staged.metadata, NULL, 0, NULL, &err) == -1 &&
          err.code == FLOE_ECONFLICT);
    floe_ice_update_free(&more);
out:
    floe_table_state_free(&staged);
    floe_props_free(&props);
    floe_ice_schema_free(s);
}

/* Whether the fake's request log holds `needle`. */
static int log_has(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[16384];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

TEST(stage_create) {
    fake f;
    char log[300];
    snprintf(log, sizeof log, "/tmp/floe-rest-unit-log.%d", (int)getpid());
    unlink(log);
    const char *extra[] = {"--log", log, NULL};
    CHECK(fake_start(&f, extra) == 0);
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(f.url, NULL, NULL, &err);
    CHECK(c != NULL);
    if (c) check_stage(c);
    floe_catalog_free(c);
    /* what went over the wire: Java's stage-create and create transaction */
    CHECK(log_has(log, "\"stage-create\": true"));
    CHECK(log_has(log, "{\"type\": \"assert-create\"}"));
    CHECK(log_has(log, "\"action\": \"add-schema\""));
    CHECK(log_has(log, "\"action\": \"set-default-sort-order\""));
    unlink(log);
    fake_stop(&f);

    /* the SQL catalog means the same by the flag */
    char dir[] = "/tmp/floe-stage-sql.XXXXXX", uri[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(uri, sizeof uri, "sqlite:%s/catalog.db", dir);
    c = floe_catalog_open(uri, dir, NULL, &err);
    CHECK(c != NULL);
    if (c) check_stage(c);
    floe_catalog_free(c);
    test_rmtree(dir);
}

TEST(namespaces) {
    fake f;
    const char *extra[] = {"--prefix", "cat/one", NULL};
    CHECK(fake_start(&f, extra) == 0);
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(f.url, NULL, NULL, &err);
    CHECK(c != NULL);
    if (!c) {
        fake_stop(&f);
        return;
    }
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "owner", "me");
    floe_props_set(&p, "gone", "soon");
    CHECK_OK(c->create_namespace(c, "a", &p, &err), &err);
    CHECK_OK(c->create_namespace(c, "a.b c", NULL, &err), &err);
    CHECK_OK(c->create_namespace(c, "a.d", NULL, &err), &err);
    floe_props_free(&p);
    char **names = NULL;
    int n = 0;
    CHECK_OK(c->list_namespaces(c, "a", &names, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(names[0], "a.b c");
        CHECK_EQ_STR(names[1], "a.d");
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    floe_props set;
    floe_props_init(&set);
    floe_props_set(&set, "owner", "you");
    char *rm[] = {"gone"};
    CHECK_OK(c->update_namespace(c, "a", &set, rm, 1, &err), &err);
    floe_props_free(&set);
    floe_props got;
    CHECK_OK(c->load_namespace(c, "a", &got, &err), &err);
    CHECK_EQ_STR(floe_props_get(&got, "owner"), "you");
    CHECK(floe_props_get(&got, "gone") == NULL);
    floe_props_free(&got);
    CHECK(c->load_namespace(c, "nope", &got, &err) == -1 && err.code == FLOE_ENOTFOUND);
    floe_props_free(&got);
    CHECK_OK(c->drop_namespace(c, "a.d", &err), &err);
    floe_catalog_free(c);
    fake_stop(&f);
}

TEST(no_transaction_endpoint) {
    fake f;
    const char *extra[] = {"--no-tx-endpoint", NULL};
    CHECK(fake_start(&f, extra) == 0);
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(f.url, NULL, NULL, &err);
    CHECK(c != NULL);
    if (c) CHECK(c->commit_transaction == NULL);
    floe_catalog_free(c);
    fake_stop(&f);
}

TEST(open_errors_hide_secrets) {
    fake f;
    const char *extra[] = {"--auth", "oauth2:id:right-secret-42", NULL};
    CHECK(fake_start(&f, extra) == 0);
    floe_err err = {0};
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "credential", "id:wrong-secret-42");
    floe_catalog *c = floe_catalog_open(f.url, NULL, &p, &err);
    CHECK(c == NULL);
    CHECK(strstr(err.msg, "invalid_client") != NULL);
    CHECK(strstr(err.msg, "wrong-secret-42") == NULL);
    floe_props_set(&p, "credential", "id:right-secret-42");
    floe_props_set(&p, "rest.connect-timeout-ms", "soon");
    c = floe_catalog_open(f.url, NULL, &p, &err);
    CHECK(c == NULL && err.code == FLOE_EINVAL && strstr(err.msg, "rest.connect-timeout-ms") != NULL);
    floe_props_remove(&p, "rest.connect-timeout-ms");
    c = floe_catalog_open(f.url, NULL, &p, &err);
    CHECK(c != NULL);
    floe_catalog_free(c);
    floe_props_free(&p);
    fake_stop(&f);
    /* nothing listening */
    c = floe_catalog_open("http://127.0.0.1:1", NULL, NULL, &err);
    CHECK(c == NULL && err.code == FLOE_EIO);
}

TEST_MAIN(T(tables_and_transactions), T(stage_create), T(namespaces), T(no_transaction_endpoint), T(open_errors_hide_secrets))
