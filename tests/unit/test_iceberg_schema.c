/*
 * test_iceberg_schema.c — Iceberg schemas: JSON parse and serialize round
 * trips over every type, the accepted spellings, validation errors naming
 * the field path, lookups, and the Parquet schema each type maps to.
 */
#include <string.h>

#include "floe/iceberg.h"
#include "test.h"
#include "util/err.h"
#include "util/mem.h"

/* Every type, in the exact form (key order, spacing) floe writes, which is
 * the form Iceberg's reference implementation writes. */
static const char *ALL_TYPES =
    "{\"type\":\"struct\",\"schema-id\":7,\"identifier-field-ids\":[1,25],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\",\"doc\":\"row \\\"key\\\"\"},"
    "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":3,\"name\":\"i\",\"required\":false,\"type\":\"int\",\"initial-default\":34,\"write-default\":-1},"
    "{\"id\":4,\"name\":\"f\",\"required\":false,\"type\":\"float\",\"write-default\":0.1},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"dec9\",\"required\":false,\"type\":\"decimal(9, 2)\",\"initial-default\":\"14.20\"},"
    "{\"id\":7,\"name\":\"dec18\",\"required\":false,\"type\":\"decimal(18, 0)\"},"
    "{\"id\":8,\"name\":\"dec38\",\"required\":false,\"type\":\"decimal(38, 10)\"},"
    "{\"id\":9,\"name\":\"day\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":10,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":11,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":12,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":13,\"name\":\"tsn\",\"required\":false,\"type\":\"timestamp_ns\"},"
    "{\"id\":14,\"name\":\"tstzn\",\"required\":false,\"type\":\"timestamptz_ns\"},"
    "{\"id\":15,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":16,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":17,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[3]\"},"
    "{\"id\":18,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":19,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":20,\"name\":\"a\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":21,\"name\":\"b\",\"required\":true,\"type\":\"string\"}]},"
    "\"initial-default\":{\"20\":1,\"21\":\"x\"}},"
    "{\"id\":22,\"name\":\"points\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":23,"
    "\"element\":{\"type\":\"struct\",\"fields\":[{\"id\":26,\"name\":\"x\",\"required\":true,\"type\":\"double\"}]},"
    "\"element-required\":true}},"
    "{\"id\":24,\"name\":\"req\",\"required\":true,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":25,\"name\":\"k\",\"required\":true,\"type\":\"string\"}]}},"
    "{\"id\":27,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":28,\"key\":\"string\","
    "\"value-id\":29,\"value\":{\"type\":\"list\",\"element-id\":30,\"element\":\"int\",\"element-required\":false},"
    "\"value-required\":false}}"
    "]}";

static floe_ice_schema *parse(const char *json, floe_err *err) {
    return floe_ice_schema_parse(json, strlen(json), err);
}

static char *to_json(const floe_ice_schema *s) {
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_schema_to_json(s, &b);
    char *r = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return r;
}

TEST(round_trip_every_type) {
    floe_err err = {0};
    floe_ice_schema *s = parse(ALL_TYPES, &err);
    CHECK_EQ_STR(err.msg, "");
    if (!s) return;
    char *out = to_json(s);
    CHECK_EQ_STR(out, ALL_TYPES);
    free(out);
    CHECK_EQ_INT(s->schema_id, 7);
    CHECK_EQ_INT(s->highest_field_id, 30);
    CHECK_EQ_INT(s->nby_id, 30);
    CHECK_EQ_INT(s->root->nfields, 22);
    const floe_ice_field *dec = floe_ice_schema_field_by_id(s, 8);
    CHECK(dec && dec->type->kind == FLOE_ICE_DECIMAL && dec->type->precision == 38 && dec->type->scale == 10);
    const floe_ice_field *fx = floe_ice_schema_field_by_id(s, 17);
    CHECK(fx && fx->type->kind == FLOE_ICE_FIXED && fx->type->length == 3);
    const floe_ice_field *id = floe_ice_schema_field_by_id(s, 1);
    CHECK(id && id->required && strcmp(id->doc, "row \"key\"") == 0);
    const floe_ice_field *i = floe_ice_schema_field_by_id(s, 3);
    CHECK(i && strcmp(i->initial_default, "34") == 0 && strcmp(i->write_default, "-1") == 0);
    floe_ice_schema_free(s);
}

TEST(accepted_spellings) {
    floe_err err = {0};
    /* No schema-id (0), loose spacing and case in parameterized types, a
     * null doc; and the bare-array form. */
    floe_ice_schema *s = parse("{\"type\":\"struct\",\"fields\":["
                               "{\"id\":1,\"name\":\"a\",\"required\":true,\"type\":\"DECIMAL( 10 ,3)\",\"doc\":null},"
                               "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"Fixed[ 16 ]\"},"
                               "{\"id\":3,\"name\":\"c\",\"required\":false,\"type\":\"TimestampTz\"}]}",
                               &err);
    CHECK_EQ_STR(err.msg, "");
    if (s) {
        char *out = to_json(s);
        CHECK_EQ_STR(out, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                          "{\"id\":1,\"name\":\"a\",\"required\":true,\"type\":\"decimal(10, 3)\"},"
                          "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"fixed[16]\"},"
                          "{\"id\":3,\"name\":\"c\",\"required\":false,\"type\":\"timestamptz\"}]}");
        free(out);
        floe_ice_schema_free(s);
    }
    s = parse("[{\"id\":5,\"name\":\"x\",\"required\":false,\"type\":\"uuid\"}]", &err);
    CHECK(s != NULL);
    if (s) {
        char *out = to_json(s);
        CHECK_EQ_STR(out, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                          "{\"id\":5,\"name\":\"x\",\"required\":false,\"type\":\"uuid\"}]}");
        free(out);
        floe_ice_schema_free(s);
    }
}

TEST(defaults_are_kept_as_compact_json) {
    floe_err err = {0};
    floe_ice_schema *s = parse("{\"type\":\"struct\",\"fields\":["
                               "{\"id\":1,\"name\":\"d\",\"required\":false,\"type\":\"double\","
                               "\"initial-default\": 0.1, \"write-default\": 1e300},"
                               "{\"id\":2,\"name\":\"m\",\"required\":false,"
                               "\"type\":{\"type\":\"map\",\"key-id\":3,\"key\":\"string\",\"value-id\":4,"
                               "\"value\":\"int\",\"value-required\":true},"
                               "\"initial-default\": { \"keys\" : [\"a\", \"\\u00e9\"], \"values\" : [1, 2] }}]}",
                               &err);
    CHECK_EQ_STR(err.msg, "");
    if (!s) return;
    CHECK_EQ_STR(s->root->fields[0]->initial_default, "0.1");
    CHECK_EQ_STR(s->root->fields[0]->write_default, "1e+300");
    CHECK_EQ_STR(s->root->fields[1]->initial_default, "{\"keys\":[\"a\",\"\xc3\xa9\"],\"values\":[1,2]}");
    floe_ice_schema_free(s);
}

/* Parses `json`, expecting failure with exactly `msg`. */
static void expect_error(const char *json, const char *msg) {
    floe_err err = {0};
    floe_ice_schema *s = parse(json, &err);
    CHECK(s == NULL);
    CHECK_EQ_STR(err.msg, msg);
    floe_ice_schema_free(s);
}

#define F(id, name, req, type) "{\"id\":" #id ",\"name\":\"" name "\",\"required\":" #req ",\"type\":" type "}"
#define SCHEMA(fields) "{\"type\":\"struct\",\"fields\":[" fields "]}"
#define STRUCT(fields) "{\"type\":\"struct\",\"fields\":[" fields "]}"

TEST(errors_name_the_field_path) {
    expect_error(SCHEMA(F(1, "a", true, "\"int\"") "," F(1, "b", true, "\"int\"")),
                 "schema field 'b': id 1 is also used by 'a'");
    expect_error(SCHEMA(F(1, "tags", false, STRUCT(F(2, "a", true, "\"int\"") "," F(3, "a", true, "\"long\"")))),
                 "schema field 'tags.a': the struct has two fields with this name");
    expect_error(SCHEMA(F(1, "p", true, "\"decimal(39, 2)\"")),
                 "schema field 'p': decimal precision 39 is outside 1..38");
    expect_error(SCHEMA(F(1, "p", true, "\"decimal(0, 0)\"")),
                 "schema field 'p': decimal precision 0 is outside 1..38");
    expect_error(SCHEMA(F(1, "p", true, "\"decimal(4, 5)\"")),
                 "schema field 'p': decimal scale 5 is outside 0..4 (the precision)");
    expect_error(SCHEMA(F(1, "f", true, "\"fixed[0]\"")), "schema field 'f': fixed length 0 must be at least 1");
    expect_error(SCHEMA(F(1, "x", true, "\"int32\"")), "schema field 'x': unknown type \"int32\"");
    expect_error(SCHEMA(F(1, "v", true, "\"variant\"")), "schema field 'v': type \"variant\" is not supported");
    expect_error(SCHEMA(F(1, "x", true, "\"decimal(9,2\"")), "schema field 'x': unknown type \"decimal(9,2\"");
    expect_error(SCHEMA("{\"id\":1,\"name\":\"x\",\"type\":\"int\"}"), "schema field 'x': missing \"required\"");
    expect_error(SCHEMA("{\"id\":\"1\",\"name\":\"x\",\"required\":true,\"type\":\"int\"}"),
                 "schema field 'x': \"id\" must be a 32-bit integer, got a string");
    expect_error(SCHEMA("{\"id\":1,\"required\":true,\"type\":\"int\"}"),
                 "schema: fields[0] needs a string \"name\"");
    expect_error(SCHEMA(F(1, "s", true, STRUCT("{\"id\":2,\"name\":\"x\",\"required\":1,\"type\":\"int\"}"))),
                 "schema field 's.x': \"required\" must be true or false, got a number");
    expect_error(SCHEMA(F(1, "s", true, STRUCT("3"))), "schema field 's': fields[0] must be an object, got a number");
    expect_error(SCHEMA(F(1, "x", true, "{\"type\":\"set\"}")),
                 "schema field 'x': unknown nested type \"set\" (expected struct, list or map)");
    expect_error(SCHEMA(F(1, "x", true, "7")), "schema field 'x': \"type\" must be a string or an object, got a number");
    expect_error(SCHEMA(F(1, "l", true, "{\"type\":\"list\",\"element-id\":2,\"element-required\":true}")),
                 "schema field 'l': missing \"element\"");
    expect_error(SCHEMA(F(1, "l", true,
                          "{\"type\":\"list\",\"element-id\":2,\"element\":\"decimal(50, 1)\",\"element-required\":true}")),
                 "schema field 'l.element': decimal precision 50 is outside 1..38");
    expect_error(SCHEMA(F(1, "m", true,
                          "{\"type\":\"map\",\"key-id\":2,\"key\":\"string\",\"value-id\":3,"
                          "\"value\":" STRUCT(F(4, "q", true, "\"fixed[-1]\"")) ",\"value-required\":true}")),
                 "schema field 'm.value.q': unknown type \"fixed[-1]\"");
    expect_error(SCHEMA(F(1, "m", true,
                          "{\"type\":\"map\",\"key-id\":2,\"key\":\"string\",\"value-id\":1,\"value\":\"int\","
                          "\"value-required\":true}")),
                 "schema field 'm.value': id 1 is also used by 'm'");
    expect_error(SCHEMA(F(-3, "n", true, "\"int\"")), "schema field 'n': id -3 is negative");
    expect_error(SCHEMA("{\"id\":1,\"name\":\"\",\"required\":true,\"type\":\"int\"}"),
                 "schema: field 0 has an empty name");
    expect_error("{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"i\",\"required\":false,\"type\":\"int\","
                 "\"initial-default\":\"3\"}]}",
                 "schema field 'i': \"initial-default\" of a int must be a 32-bit integer, got a string");
    expect_error("{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"d\",\"required\":false,\"type\":\"decimal(9, 2)\","
                 "\"write-default\":1.5}]}",
                 "schema field 'd': \"write-default\" of a decimal(9, 2) must be a string, got a number");
    expect_error("{\"type\":\"record\",\"fields\":[]}",
                 "schema: the top level must be {\"type\": \"struct\", \"fields\": [...]}");
    expect_error("{\"type\":\"struct\",\"schema-id\":1.5,\"fields\":[]}",
                 "schema: \"schema-id\" must be a 32-bit integer, got a number");
    expect_error("{\"type\":\"struct\",\"fields\":[}", "schema: invalid JSON at line 1 column 28: unexpected token near '}'");
    expect_error("{\"type\":\"struct\",\"fields\":[],\"fields\":[]}",
                 "schema: invalid JSON at line 1 column 37: duplicate object key near '\"fields\"'");
    expect_error("\"int\"", "schema: expected a JSON object or an array of fields, got a string");
}

TEST(deep_nesting_is_refused) {
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_puts(&b, "[");
    int depth = 40;
    for (int i = 0; i < depth; i++)
        floe_buf_printf(&b, "{\"id\":%d,\"name\":\"n\",\"required\":true,\"type\":{\"type\":\"struct\",\"fields\":[", i);
    floe_buf_puts(&b, "{\"id\":999,\"name\":\"leaf\",\"required\":true,\"type\":\"int\"}");
    for (int i = 0; i < depth; i++) floe_buf_puts(&b, "]}}");
    floe_buf_puts(&b, "]");
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse((const char *)b.data, b.len, &err);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "types nest deeper than 30 levels") != NULL);
    CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
    floe_buf_free(&b);
}

TEST(identifier_fields) {
    const char *fields = F(1, "id", true, "\"long\"") "," F(2, "opt", false, "\"long\"") "," F(3, "dbl", true, "\"double\"")
        "," F(4, "l", true, "{\"type\":\"list\",\"element-id\":5,\"element\":\"int\",\"element-required\":true}")
        "," F(6, "os", false, STRUCT(F(7, "k", true, "\"string\"")))
        "," F(8, "rs", true, STRUCT(F(9, "k", true, "\"string\"")))
        "," F(10, "st", true, STRUCT(F(11, "k", true, "\"string\"")));
    char json[4096];
#define WITH_IDS(ids) (snprintf(json, sizeof json, "{\"type\":\"struct\",\"identifier-field-ids\":" ids ",\"fields\":[%s]}", fields), json)
    floe_err err = {0};
    floe_ice_schema *s = parse(WITH_IDS("[1,9]"), &err);
    CHECK_EQ_STR(err.msg, "");
    floe_ice_schema_free(s);
    expect_error(WITH_IDS("[2]"), "schema field 'opt': an identifier field must be required");
    expect_error(WITH_IDS("[3]"), "schema field 'dbl': an identifier field must not be a float or double");
    expect_error(WITH_IDS("[5]"), "schema field 'l.element': an identifier field must not be inside a list or map");
    expect_error(WITH_IDS("[7]"), "schema field 'os.k': an identifier field must not be inside an optional struct");
    expect_error(WITH_IDS("[10]"), "schema field 'st': an identifier field must be of a primitive type");
    expect_error(WITH_IDS("[99]"), "schema: identifier field id 99 does not exist");
    expect_error(WITH_IDS("[1,1]"), "schema: identifier field id 1 is listed twice");
    expect_error(WITH_IDS("[\"1\"]"), "schema: \"identifier-field-ids\"[0] is not a field id");
#undef WITH_IDS
}

TEST(lookup_by_id_and_path) {
    floe_err err = {0};
    floe_ice_schema *s = parse(ALL_TYPES, &err);
    if (!s) {
        CHECK_EQ_STR(err.msg, "");
        return;
    }
    const floe_ice_field *f = floe_ice_schema_find(s, "tags.a", 0);
    CHECK(f && f->id == 20);
    CHECK(floe_ice_schema_find(s, "TAGS.A", 0) == NULL);
    f = floe_ice_schema_find(s, "TAGS.A", 1);
    CHECK(f && f->id == 20);
    f = floe_ice_schema_find(s, "points.element.x", 0);
    CHECK(f && f->id == 26);
    f = floe_ice_schema_find(s, "attrs.value.element", 0);
    CHECK(f && f->id == 30);
    f = floe_ice_schema_find(s, "attrs.key", 0);
    CHECK(f && f->id == 28 && f->required);
    CHECK(floe_ice_schema_find(s, "tags", 0) == floe_ice_schema_field_by_id(s, 19));
    CHECK(floe_ice_schema_find(s, "tags.", 0) == NULL);
    CHECK(floe_ice_schema_find(s, "id.x", 0) == NULL);
    CHECK(floe_ice_schema_find(s, "nope", 0) == NULL);
    CHECK(floe_ice_schema_field_by_id(s, 0) == NULL);
    CHECK(floe_ice_schema_field_by_id(s, 31) == NULL);
    for (int32_t id = 1; id <= 30; id++) {
        f = floe_ice_schema_field_by_id(s, id);
        CHECK(f && f->id == id);
        /* Every field's path leads back to it. */
        floe_buf p;
        floe_buf_init(&p);
        if (f) floe_ice_field_path(f, &p);
        CHECK(f && floe_ice_schema_find(s, floe_buf_cstr(&p), 0) == f);
        floe_buf_free(&p);
    }
    floe_ice_schema_free(s);

    /* A name with a dot next to a struct with the same prefix. */
    s = parse(SCHEMA(F(1, "a.b", true, "\"int\"") "," F(2, "a", true, STRUCT(F(3, "b", true, "\"long\"")))), &err);
    CHECK(s != NULL);
    if (s) {
        f = floe_ice_schema_find(s, "a.b", 0);
        CHECK(f && f->id == 1);
        floe_ice_schema_free(s);
    }
}

TEST(built_with_constructors) {
    floe_ice_type *tags = floe_ice_type_new(FLOE_ICE_STRUCT);
    floe_ice_struct_add(tags, 4, "a", 0, floe_ice_type_new(FLOE_ICE_INT));
    floe_ice_type *root = floe_ice_type_new(FLOE_ICE_STRUCT);
    floe_ice_field *id = floe_ice_struct_add(root, 1, "id", 1, floe_ice_type_new(FLOE_ICE_LONG));
    id->doc = floe_xstrdup("key");
    floe_ice_struct_add(root, 2, "amount", 0, floe_ice_type_decimal(12, 2));
    floe_ice_struct_add(root, 3, "tags", 0, tags);
    floe_ice_struct_add(root, 5, "m", 0,
                        floe_ice_type_map(6, floe_ice_type_new(FLOE_ICE_STRING), 7, 0,
                                          floe_ice_type_list(8, 1, floe_ice_type_fixed(2))));
    floe_ice_schema *s = floe_ice_schema_new(2, root);
    int32_t ids[] = {1};
    floe_ice_schema_set_identifiers(s, ids, 1);
    floe_err err = {0};
    CHECK_OK(floe_ice_schema_validate(s, &err), &err);
    char *out = to_json(s);
    CHECK_EQ_STR(out, "{\"type\":\"struct\",\"schema-id\":2,\"identifier-field-ids\":[1],\"fields\":["
                      "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\",\"doc\":\"key\"},"
                      "{\"id\":2,\"name\":\"amount\",\"required\":false,\"type\":\"decimal(12, 2)\"},"
                      "{\"id\":3,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
                      "{\"id\":4,\"name\":\"a\",\"required\":false,\"type\":\"int\"}]}},"
                      "{\"id\":5,\"name\":\"m\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":6,"
                      "\"key\":\"string\",\"value-id\":7,\"value\":{\"type\":\"list\",\"element-id\":8,"
                      "\"element\":\"fixed[2]\",\"element-required\":true},\"value-required\":false}}]}");
    free(out);
    const floe_ice_field *el = floe_ice_schema_field_by_id(s, 8);
    CHECK(el && el->parent && el->parent->id == 7 && el->parent->parent && el->parent->parent->id == 5);
    CHECK_EQ_INT(s->highest_field_id, 8);
    /* Breaking a rule after the fact is caught by validating again. */
    floe_ice_struct_add(tags, 2, "b", 0, floe_ice_type_new(FLOE_ICE_DATE));
    CHECK(floe_ice_schema_validate(s, &err) == -1);
    CHECK_EQ_STR(err.msg, "schema field 'tags.b': id 2 is also used by 'amount'");
    floe_ice_schema_free(s);
}

TEST(type_names) {
    static const char *names[] = {"boolean", "int", "long", "float", "double", "decimal(38, 0)", "date", "time",
                                  "timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns", "string", "uuid",
                                  "fixed[12]", "binary"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        floe_ice_type *t = floe_ice_type_parse_primitive(names[i]);
        CHECK(t != NULL);
        if (!t) continue;
        CHECK_EQ_INT(t->kind, (int)i);
        floe_buf b;
        floe_buf_init(&b);
        floe_ice_type_name(t, &b);
        CHECK_EQ_STR(floe_buf_cstr(&b), names[i]);
        floe_buf_free(&b);
        floe_ice_type_free(t);
    }
    CHECK(floe_ice_type_parse_primitive("struct") == NULL);
    CHECK(floe_ice_type_parse_primitive("decimal(1,2,3)") == NULL);
    CHECK(floe_ice_type_parse_primitive("fixed[]") == NULL);
    CHECK(floe_ice_type_parse_primitive("intx") == NULL);
}

/* ---- Parquet mapping ---------------------------------------------------- */

static const floe_pq_node *child(const floe_pq_node *n, const char *name) {
    for (int i = 0; n && i < n->nchildren; i++)
        if (strcmp(n->children[i]->name, name) == 0) return n->children[i];
    return NULL;
}

/* Checks a leaf's physical type, repetition, field id and levels. */
static void check_leaf(const floe_pq_schema *ps, const char *path, int physical, int rep, int id, int def, int maxrep) {
    const floe_pq_node *n = floe_pq_schema_find(ps, path);
    CHECK(n != NULL);
    if (!n) {
        fprintf(stderr, "  missing node %s\n", path);
        return;
    }
    if (n->is_group || n->physical != physical || n->repetition != rep || !n->has_field_id || n->field_id != id ||
        n->max_def != def || n->max_rep != maxrep) {
        fprintf(stderr, "  node %s: group %d physical %d rep %d id %d def %d rep %d\n", path, n->is_group, n->physical,
                n->repetition, n->field_id, n->max_def, n->max_rep);
        CHECK(0);
    }
}

TEST(parquet_mapping_of_every_type) {
    floe_err err = {0};
    floe_ice_schema *s = parse(ALL_TYPES, &err);
    if (!s) {
        CHECK_EQ_STR(err.msg, "");
        return;
    }
    floe_pq_schema *ps = floe_ice_schema_to_parquet(s, &err);
    CHECK(ps != NULL);
    if (!ps) {
        fprintf(stderr, "  %s\n", err.msg);
        floe_ice_schema_free(s);
        return;
    }
    CHECK_EQ_STR(ps->root->name, "table");
    CHECK(!ps->root->has_field_id);
    CHECK_EQ_INT(ps->root->nchildren, 22);
    CHECK_EQ_INT(ps->nleaves, 24);
    const int O = FLOE_PQ_OPTIONAL, R = FLOE_PQ_REQUIRED;
    check_leaf(ps, "id", FLOE_PQ_INT64, R, 1, 0, 0);
    check_leaf(ps, "b", FLOE_PQ_BOOLEAN, O, 2, 1, 0);
    check_leaf(ps, "i", FLOE_PQ_INT32, O, 3, 1, 0);
    check_leaf(ps, "f", FLOE_PQ_FLOAT, O, 4, 1, 0);
    check_leaf(ps, "d", FLOE_PQ_DOUBLE, O, 5, 1, 0);
    check_leaf(ps, "dec9", FLOE_PQ_INT32, O, 6, 1, 0);
    check_leaf(ps, "dec18", FLOE_PQ_INT64, O, 7, 1, 0);
    check_leaf(ps, "dec38", FLOE_PQ_FIXED_LEN_BYTE_ARRAY, O, 8, 1, 0);
    check_leaf(ps, "day", FLOE_PQ_INT32, O, 9, 1, 0);
    check_leaf(ps, "t", FLOE_PQ_INT64, O, 10, 1, 0);
    check_leaf(ps, "ts", FLOE_PQ_INT64, O, 11, 1, 0);
    check_leaf(ps, "tstz", FLOE_PQ_INT64, O, 12, 1, 0);
    check_leaf(ps, "tsn", FLOE_PQ_INT64, O, 13, 1, 0);
    check_leaf(ps, "tstzn", FLOE_PQ_INT64, O, 14, 1, 0);
    check_leaf(ps, "s", FLOE_PQ_BYTE_ARRAY, O, 15, 1, 0);
    check_leaf(ps, "u", FLOE_PQ_FIXED_LEN_BYTE_ARRAY, O, 16, 1, 0);
    check_leaf(ps, "fx", FLOE_PQ_FIXED_LEN_BYTE_ARRAY, O, 17, 1, 0);
    check_leaf(ps, "bin", FLOE_PQ_BYTE_ARRAY, O, 18, 1, 0);
    check_leaf(ps, "tags.a", FLOE_PQ_INT32, O, 20, 2, 0);
    check_leaf(ps, "tags.b", FLOE_PQ_BYTE_ARRAY, R, 21, 1, 0);
    check_leaf(ps, "points.list.element.x", FLOE_PQ_DOUBLE, R, 26, 2, 1);
    check_leaf(ps, "req.k", FLOE_PQ_BYTE_ARRAY, R, 25, 0, 0);
    check_leaf(ps, "attrs.key_value.key", FLOE_PQ_BYTE_ARRAY, R, 28, 2, 1);
    check_leaf(ps, "attrs.key_value.value.list.element", FLOE_PQ_INT32, O, 30, 5, 2);

    const floe_pq_node *n;
    /* Annotations. */
    n = floe_pq_schema_find(ps, "id");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_NONE && n->converted == FLOE_PQ_CT_NONE);
    n = floe_pq_schema_find(ps, "dec9");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_DECIMAL && n->logical.precision == 9 && n->logical.scale == 2 &&
          n->converted == FLOE_PQ_CT_DECIMAL && n->precision == 9 && n->scale == 2);
    n = floe_pq_schema_find(ps, "dec18");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_DECIMAL && n->logical.precision == 18 && n->logical.scale == 0);
    n = floe_pq_schema_find(ps, "dec38");
    CHECK(n && n->type_length == 16 && n->logical.precision == 38 && n->logical.scale == 10 &&
          n->converted == FLOE_PQ_CT_DECIMAL);
    n = floe_pq_schema_find(ps, "day");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_DATE && n->converted == FLOE_PQ_CT_DATE);
    n = floe_pq_schema_find(ps, "t");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_TIME && n->logical.unit == FLOE_PQ_UNIT_MICROS && !n->logical.utc &&
          n->converted == FLOE_PQ_CT_TIME_MICROS);
    n = floe_pq_schema_find(ps, "ts");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_TIMESTAMP && n->logical.unit == FLOE_PQ_UNIT_MICROS && !n->logical.utc &&
          n->converted == FLOE_PQ_CT_NONE);
    n = floe_pq_schema_find(ps, "tstz");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_TIMESTAMP && n->logical.unit == FLOE_PQ_UNIT_MICROS && n->logical.utc &&
          n->converted == FLOE_PQ_CT_TIMESTAMP_MICROS);
    n = floe_pq_schema_find(ps, "tsn");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_TIMESTAMP && n->logical.unit == FLOE_PQ_UNIT_NANOS && !n->logical.utc &&
          n->converted == FLOE_PQ_CT_NONE);
    n = floe_pq_schema_find(ps, "tstzn");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_TIMESTAMP && n->logical.unit == FLOE_PQ_UNIT_NANOS && n->logical.utc &&
          n->converted == FLOE_PQ_CT_NONE);
    n = floe_pq_schema_find(ps, "s");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_STRING && n->converted == FLOE_PQ_CT_UTF8);
    n = floe_pq_schema_find(ps, "u");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_UUID && n->type_length == 16 && n->converted == FLOE_PQ_CT_NONE);
    n = floe_pq_schema_find(ps, "fx");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_NONE && n->type_length == 3);
    n = floe_pq_schema_find(ps, "bin");
    CHECK(n && n->logical.kind == FLOE_PQ_LT_NONE && n->converted == FLOE_PQ_CT_NONE);

    /* Groups: struct, 3-level list, map. */
    n = floe_pq_schema_find(ps, "tags");
    CHECK(n && n->is_group && n->repetition == O && n->field_id == 19 && n->logical.kind == FLOE_PQ_LT_NONE &&
          n->nchildren == 2);
    n = floe_pq_schema_find(ps, "points");
    CHECK(n && n->is_group && n->repetition == O && n->field_id == 22 && n->logical.kind == FLOE_PQ_LT_LIST &&
          n->converted == FLOE_PQ_CT_LIST && n->nchildren == 1);
    n = child(n, "list");
    CHECK(n && n->is_group && n->repetition == FLOE_PQ_REPEATED && !n->has_field_id && n->nchildren == 1 &&
          n->max_def == 2 && n->max_rep == 1);
    n = child(n, "element");
    CHECK(n && n->is_group && n->repetition == R && n->field_id == 23);
    n = floe_pq_schema_find(ps, "attrs");
    CHECK(n && n->is_group && n->field_id == 27 && n->logical.kind == FLOE_PQ_LT_MAP && n->converted == FLOE_PQ_CT_MAP);
    n = child(n, "key_value");
    CHECK(n && n->repetition == FLOE_PQ_REPEATED && !n->has_field_id && n->nchildren == 2 &&
          n->converted == FLOE_PQ_CT_NONE && strcmp(n->children[0]->name, "key") == 0 &&
          strcmp(n->children[1]->name, "value") == 0);
    n = floe_pq_schema_find(ps, "attrs.key_value.value");
    CHECK(n && n->is_group && n->repetition == O && n->field_id == 29 && n->logical.kind == FLOE_PQ_LT_LIST);
    CHECK(floe_pq_schema_leaf_by_id(ps, 30) == floe_pq_schema_find(ps, "attrs.key_value.value.list.element"));
    floe_pq_schema_free(ps);
    floe_ice_schema_free(s);
}

TEST(parquet_decimal_widths) {
    /* FIXED width for every precision past 18: the smallest two's-complement
     * width that holds 10^p - 1 (checked against exact 128-bit powers). */
    for (int p = 1; p <= 38; p++) {
        floe_ice_type *root = floe_ice_type_new(FLOE_ICE_STRUCT);
        floe_ice_struct_add(root, 1, "x", 1, floe_ice_type_decimal(p, 0));
        floe_ice_schema *s = floe_ice_schema_new(0, root);
        floe_err err = {0};
        CHECK_OK(floe_ice_schema_validate(s, &err), &err);
        floe_pq_schema *ps = floe_ice_schema_to_parquet(s, &err);
        CHECK(ps != NULL);
        if (ps) {
            const floe_pq_node *n = ps->leaves[0];
            unsigned __int128 max = 1;
            for (int i = 0; i < p; i++) max *= 10;
            max -= 1;
            if (p <= 9) {
                CHECK(n->physical == FLOE_PQ_INT32);
            } else if (p <= 18) {
                CHECK(n->physical == FLOE_PQ_INT64);
            } else {
                int len = n->type_length;
                CHECK(n->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
                unsigned __int128 fits = ((unsigned __int128)1 << (8 * len - 1)) - 1;
                unsigned __int128 fits_less = ((unsigned __int128)1 << (8 * (len - 1) - 1)) - 1;
                CHECK(max <= fits);
                CHECK(max > fits_less);
            }
            floe_pq_schema_free(ps);
        }
        floe_ice_schema_free(s);
    }
}

TEST(parquet_mapping_refuses_empty_structs) {
    floe_err err = {0};
    floe_ice_schema *s = parse(SCHEMA(F(1, "a", true, STRUCT(F(2, "e", false, STRUCT(""))))), &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(floe_ice_schema_to_parquet(s, &err) == NULL);
    CHECK_EQ_STR(err.msg, "schema field 'a.e': an empty struct cannot be written to Parquet");
    floe_ice_schema_free(s);
    s = parse(SCHEMA(""), &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(floe_ice_schema_to_parquet(s, &err) == NULL);
    CHECK_EQ_STR(err.msg, "schema: a schema without columns cannot be written to Parquet");
    floe_ice_schema_free(s);
}

TEST(parquet_round_trip_back_to_iceberg) {
    floe_err err = {0};
    /* Without docs, defaults and identifiers (Parquet does not carry them). */
    const char *json =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        F(1, "id", true, "\"long\"") "," F(2, "b", false, "\"boolean\"") "," F(3, "i", false, "\"int\"") ","
        F(4, "f", false, "\"float\"") "," F(5, "d", false, "\"double\"") "," F(6, "p", false, "\"decimal(9, 2)\"") ","
        F(7, "q", false, "\"decimal(18, 3)\"") "," F(8, "r", false, "\"decimal(38, 0)\"") ","
        F(9, "day", false, "\"date\"") "," F(10, "t", true, "\"time\"") "," F(11, "ts", false, "\"timestamp\"") ","
        F(12, "tz", false, "\"timestamptz\"") "," F(13, "tn", false, "\"timestamp_ns\"") ","
        F(14, "tzn", false, "\"timestamptz_ns\"") "," F(15, "s", false, "\"string\"") ","
        F(16, "u", false, "\"uuid\"") "," F(17, "fx", false, "\"fixed[5]\"") "," F(18, "bin", false, "\"binary\"") ","
        F(19, "l", false, "{\"type\":\"list\",\"element-id\":20,\"element\":" STRUCT(F(21, "x", false, "\"int\""))
                          ",\"element-required\":false}") ","
        F(22, "m", true, "{\"type\":\"map\",\"key-id\":23,\"key\":\"string\",\"value-id\":24,"
                         "\"value\":{\"type\":\"map\",\"key-id\":25,\"key\":\"int\",\"value-id\":26,"
                         "\"value\":\"date\",\"value-required\":true},\"value-required\":false}") "]}";
    floe_ice_schema *s = parse(json, &err);
    CHECK_EQ_STR(err.msg, "");
    if (!s) return;
    floe_pq_schema *ps = floe_ice_schema_to_parquet(s, &err);
    CHECK(ps != NULL);
    floe_ice_schema *back = ps ? floe_ice_schema_from_parquet(ps, &err) : NULL;
    CHECK_EQ_STR(err.msg, "");
    if (back) {
        char *out = to_json(back);
        CHECK_EQ_STR(out, json);
        free(out);
    }
    floe_ice_schema_free(back);
    floe_pq_schema_free(ps);
    floe_ice_schema_free(s);
}

TEST(parquet_legacy_lists_and_missing_ids) {
    floe_err err = {0};
    /* 2-level lists: a repeated primitive, a repeated group of two fields,
     * and a repeated group of one field named "array". */
    floe_pq_schema *ps = floe_pq_schema_new("spark_schema");
    floe_pq_node *a = floe_pq_node_group(ps->root, "a", FLOE_PQ_OPTIONAL, 1);
    a->converted = FLOE_PQ_CT_LIST;
    floe_pq_node_leaf(a, "item", FLOE_PQ_REPEATED, FLOE_PQ_INT32, 2);
    floe_pq_node *b = floe_pq_node_group(ps->root, "b", FLOE_PQ_REQUIRED, 3);
    b->logical.kind = FLOE_PQ_LT_LIST;
    floe_pq_node *bt = floe_pq_node_group(b, "b_tuple", FLOE_PQ_REPEATED, 4);
    floe_pq_node *s1 = floe_pq_node_leaf(bt, "s", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY, 5);
    s1->converted = FLOE_PQ_CT_UTF8;
    floe_pq_node *old = floe_pq_node_leaf(bt, "ts", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 6);
    old->converted = FLOE_PQ_CT_TIMESTAMP_MILLIS;
    floe_pq_node *c = floe_pq_node_group(ps->root, "c", FLOE_PQ_OPTIONAL, 7);
    c->logical.kind = FLOE_PQ_LT_LIST;
    floe_pq_node *arr = floe_pq_node_group(c, "array", FLOE_PQ_REPEATED, 8);
    floe_pq_node_leaf(arr, "v", FLOE_PQ_OPTIONAL, FLOE_PQ_INT96, 9);
    CHECK_OK(floe_pq_schema_finish(ps, &err), &err);
    floe_ice_schema *s = floe_ice_schema_from_parquet(ps, &err);
    CHECK_EQ_STR(err.msg, "");
    if (s) {
        char *out = to_json(s);
        CHECK_EQ_STR(out, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                          F(1, "a", false, "{\"type\":\"list\",\"element-id\":2,\"element\":\"int\",\"element-required\":true}") ","
                          F(3, "b", true, "{\"type\":\"list\",\"element-id\":4,\"element\":"
                                          STRUCT(F(5, "s", true, "\"string\"") "," F(6, "ts", false, "\"timestamptz\""))
                                          ",\"element-required\":true}") ","
                          F(7, "c", false, "{\"type\":\"list\",\"element-id\":8,\"element\":"
                                           STRUCT(F(9, "v", false, "\"timestamptz\"")) ",\"element-required\":true}") "]}");
        free(out);
        floe_ice_schema_free(s);
    }
    floe_pq_schema_free(ps);

    ps = floe_pq_schema_new("schema");
    floe_pq_node *g = floe_pq_node_group(ps->root, "g", FLOE_PQ_OPTIONAL, 1);
    floe_pq_node_leaf(g, "noid", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32, -1);
    CHECK_OK(floe_pq_schema_finish(ps, &err), &err);
    CHECK(floe_ice_schema_from_parquet(ps, &err) == NULL);
    CHECK_EQ_STR(err.msg, "column 'g.noid': has no field id");
    floe_pq_schema_free(ps);

    ps = floe_pq_schema_new("schema");
    floe_pq_node *u = floe_pq_node_leaf(ps->root, "u64", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 1);
    u->converted = FLOE_PQ_CT_UINT_64;
    CHECK_OK(floe_pq_schema_finish(ps, &err), &err);
    CHECK(floe_ice_schema_from_parquet(ps, &err) == NULL);
    CHECK_EQ_STR(err.msg, "column 'u64': INT64 column with this annotation has no Iceberg type");
    floe_pq_schema_free(ps);
}

TEST_MAIN(T(round_trip_every_type), T(accepted_spellings), T(defaults_are_kept_as_compact_json),
          T(errors_name_the_field_path), T(deep_nesting_is_refused), T(identifier_fields), T(lookup_by_id_and_path),
          T(built_with_constructors), T(type_names), T(parquet_mapping_of_every_type), T(parquet_decimal_widths),
          T(parquet_mapping_refuses_empty_structs),
          T(parquet_round_trip_back_to_iceberg), T(parquet_legacy_lists_and_missing_ids))
