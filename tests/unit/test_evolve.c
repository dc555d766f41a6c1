/*
 * test_evolve.c — schema evolution from records (src/table/evolve.c)
 * against a SQLite catalog in a temp dir: which columns a record adds, at
 * what depth, with which ids and types; what it leaves out; names matched
 * ignoring case; and two writers adding columns at once, the loser
 * reloading and adding only what is still missing.
 */
#include <string.h>

#include "floe/catalog_server.h"
#include "iceberg/metadata_internal.h"
#include "table/evolve.h"
#include "table_fixture.h"
#include "test.h"

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"geo\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":3,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}},"
    "{\"id\":4,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":5,"
    "\"element-required\":false,\"element\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":6,\"name\":\"k\",\"required\":false,\"type\":\"string\"}]}}},"
    "{\"id\":7,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":8,\"key\":\"string\","
    "\"value-id\":9,\"value-required\":false,\"value\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":10,\"name\":\"n\",\"required\":false,\"type\":\"long\"}]}}}]}";

static floe_table *create_in(floe_catalog *c) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_table_create req = {s, NULL, NULL, NULL, NULL, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    CHECK_OK(c->create_table(c, "ns", "t", &req, &st, &err), &err);
    floe_ice_schema_free(s);
    return floe_table_wrap(c, "ns", "t", &st);
}

static floe_table *make_table(env *e) { return create_in(e->c); }

/* The field at path in t's current schema, or NULL. */
static const floe_ice_field *field(const floe_table *t, const char *path) {
    return floe_ice_schema_find(floe_ice_metadata_schema(floe_table_meta(t)), path, 0);
}

static const char *type_of(const floe_ice_field *f) {
    static char out[512];
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_type_to_json(f->type, &b);
    snprintf(out, sizeof out, "%s", floe_buf_cstr(&b));
    floe_buf_free(&b);
    return out;
}

static int evolve(floe_table *t, const char *rec, int ignore_case, floe_buf *added, floe_err *err) {
    int n = -1;
    added->len = 0;
    if (floe_table_evolve_for_record(t, rec, strlen(rec), ignore_case, &n, added, err)) return -1;
    return n;
}

TEST(adds_missing_fields_at_every_depth) {
    env e;
    if (fixture_env_init(&e, "evolve-depth", 1)) return;
    floe_table *t = make_table(&e);
    floe_err err = {0};
    floe_buf added;
    floe_buf_init(&added);
    /* nothing missing: no commit */
    int32_t sid = floe_table_meta(t)->current_schema_id;
    CHECK_EQ_INT(evolve(t, "{\"id\":1,\"geo\":{\"city\":\"x\"},\"tags\":[{\"k\":\"a\"}]}", 0, &added, &err), 0);
    CHECK_EQ_INT(floe_table_meta(t)->current_schema_id, sid);
    CHECK_EQ_INT(floe_table_meta(t)->nschemas, 1);
    /* a top-level scalar, a nested struct field, a field of a list's struct
     * element, of a map value's struct, and a new struct with a list */
    const char *rec = "{\"id\":2,\"qty\":3,\"geo\":{\"city\":\"x\",\"zip\":\"z1\"},"
                      "\"tags\":[{\"k\":\"a\"},{\"k\":\"b\",\"w\":1.5}],\"attrs\":{\"a\":{\"n\":1,\"on\":true}},"
                      "\"dev\":{\"os\":\"linux\",\"seen\":[\"2024-01-02\"]},\"nothing\":null,\"empty\":[],\"hollow\":{}}";
    CHECK_EQ_INT(evolve(t, rec, 0, &added, &err), 5);
    CHECK_EQ_STR(floe_buf_cstr(&added), "qty,geo.zip,tags.w,attrs.on,dev");
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nschemas, 2);
    CHECK_EQ_INT(m->current_schema_id, 1);
    CHECK(field(t, "qty") && field(t, "qty")->id == 11 && !field(t, "qty")->required);
    CHECK_EQ_STR(type_of(field(t, "qty")), "\"long\"");
    CHECK(field(t, "geo.zip") && field(t, "geo.zip")->id == 12);
    CHECK_EQ_STR(type_of(field(t, "geo.zip")), "\"string\"");
    const floe_ice_field *tags = field(t, "tags");
    const floe_ice_type *el = tags->type->fields[0]->type;
    CHECK_EQ_INT(el->nfields, 2);
    CHECK(strcmp(el->fields[1]->name, "w") == 0 && el->fields[1]->id == 13 && !el->fields[1]->required);
    CHECK_EQ_STR(type_of(el->fields[1]), "\"double\"");
    const floe_ice_type *mv = field(t, "attrs")->type->fields[1]->type;
    CHECK(mv->nfields == 2 && strcmp(mv->fields[1]->name, "on") == 0 && mv->fields[1]->id == 14);
    CHECK_EQ_STR(type_of(mv->fields[1]), "\"boolean\"");
    /* a new struct: its own id first, then its fields', in pre-order */
    const floe_ice_field *dev = field(t, "dev");
    CHECK(dev && dev->id == 15);
    CHECK_EQ_STR(type_of(dev), "{\"type\":\"struct\",\"fields\":["
                               "{\"id\":16,\"name\":\"os\",\"required\":false,\"type\":\"string\"},"
                               "{\"id\":17,\"name\":\"seen\",\"required\":false,\"type\":{\"type\":\"list\","
                               "\"element-id\":18,\"element\":\"date\",\"element-required\":false}}]}");
    CHECK(!field(t, "nothing") && !field(t, "empty") && !field(t, "hollow"));
    CHECK_EQ_INT(m->last_column_id, 18);
    /* the identifier field stays as it was */
    const floe_ice_schema *s = floe_ice_metadata_schema(m);
    CHECK(s->nidentifier == 1 && s->identifier_ids[0] == 1 && field(t, "id")->required);
    /* the catalog has it: a fresh load sees the same schema */
    floe_table *again = floe_table_load(e.c, "ns", "t", &err);
    CHECK(again != NULL);
    if (again) {
        CHECK_EQ_INT(floe_table_meta(again)->current_schema_id, 1);
        CHECK(field(again, "dev.seen") != NULL);
        floe_table_free(again);
    }
    /* a field once null, now with a value, is added then */
    CHECK_EQ_INT(evolve(t, "{\"nothing\":\"now\"}", 0, &added, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&added), "nothing");
    CHECK(field(t, "nothing") && field(t, "nothing")->id == 19);
    CHECK_EQ_INT(floe_table_meta(t)->current_schema_id, 2);
    /* not an object */
    CHECK_EQ_INT(evolve(t, "[1]", 0, &added, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    /* a field no column may be (an empty name): nothing is committed */
    int32_t before = floe_table_meta(t)->current_schema_id;
    CHECK_EQ_INT(evolve(t, "{\"ok\":1,\"\":2}", 0, &added, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK(strstr(err.msg, "evolved schema") && strstr(err.msg, "empty name"));
    CHECK_EQ_INT(floe_table_meta(t)->current_schema_id, before);
    CHECK(!field(t, "ok"));
    floe_buf_free(&added);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(ignore_case_matches_existing_columns) {
    env e;
    if (fixture_env_init(&e, "evolve-case", 1)) return;
    floe_table *t = make_table(&e);
    floe_err err = {0};
    floe_buf added;
    floe_buf_init(&added);
    const char *rec = "{\"ID\":1,\"Geo\":{\"CITY\":\"x\",\"Zip\":\"z\"}}";
    CHECK_EQ_INT(evolve(t, rec, 1, &added, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&added), "Geo.Zip");
    CHECK(field(t, "geo.Zip") != NULL && !field(t, "ID"));
    /* exact: ID and Geo are new columns (Geo's CITY and Zip inside it) */
    CHECK_EQ_INT(evolve(t, rec, 0, &added, &err), 2);
    CHECK_EQ_STR(floe_buf_cstr(&added), "ID,Geo");
    floe_buf_free(&added);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* Two handles on one table of catalog c race to add columns. */
static void race(floe_catalog *c) {
    floe_table *a = create_in(c);
    floe_err err = {0};
    floe_table *b = floe_table_load(c, "ns", "t", &err);
    CHECK(b != NULL);
    if (!b) return;
    floe_buf added;
    floe_buf_init(&added);
    /* a adds qty; b, still on the old schema, then adds qty and note: it
     * loses the race, reloads, and adds only note, after a's column */
    CHECK_EQ_INT(evolve(a, "{\"qty\":1}", 0, &added, &err), 1);
    CHECK_EQ_INT(evolve(b, "{\"qty\":2,\"note\":\"n\"}", 0, &added, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&added), "note");
    CHECK_EQ_INT(field(b, "qty")->id, 11);
    CHECK_EQ_INT(field(b, "note")->id, 12);
    CHECK_EQ_INT(floe_table_meta(b)->current_schema_id, 2);
    CHECK_EQ_INT(floe_table_meta(b)->nschemas, 3);
    /* b lost with a column a had already added: nothing left to commit */
    CHECK_EQ_INT(evolve(a, "{\"note\":\"m\"}", 0, &added, &err), 0);
    CHECK(field(a, "note") && field(a, "note")->id == 12);
    CHECK_EQ_INT(floe_table_meta(a)->nschemas, 3);
    floe_buf_free(&added);
    floe_table_free(a);
    floe_table_free(b);
}

TEST(concurrent_writers_converge) {
    env e;
    if (fixture_env_init(&e, "evolve-race", 1)) return;
    race(e.c);
    fixture_env_free(&e);
}

/* The same through floe's REST catalog server: the requirements and
 * updates travel as the REST spec's JSON, and a lost race is its 409. */
TEST(concurrent_writers_converge_over_rest) {
    env e;
    if (fixture_env_init(&e, "evolve-rest", 0)) return;
    floe_err err = {0};
    floe_rest_server_opts o = {.catalog_uri = e.uri, .warehouse = e.wh, .listen = "127.0.0.1:0"};
    floe_rest_server *srv = NULL;
    CHECK_OK(floe_rest_server_start(&o, &srv, &err), &err);
    if (srv) {
        char uri[64];
        snprintf(uri, sizeof uri, "http://127.0.0.1:%d", floe_rest_server_port(srv));
        floe_catalog *c = floe_catalog_open(uri, e.wh, NULL, &err);
        CHECK(c != NULL);
        if (c) {
            CHECK_OK(c->create_namespace(c, "ns", NULL, &err), &err);
            race(c);
            floe_catalog_free(c);
        }
        floe_rest_server_stop(srv);
    }
    fixture_env_free(&e);
}

TEST_MAIN(T(adds_missing_fields_at_every_depth), T(ignore_case_matches_existing_columns),
          T(concurrent_writers_converge), T(concurrent_writers_converge_over_rest))
