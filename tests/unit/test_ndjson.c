/*
 * test_ndjson.c — the NDJSON shredder (src/format/json/ndjson.c).
 *
 * The shredder's only output is its calls into the Parquet writer, so this
 * test links a recording writer in place of the real one: every
 * floe_pq_write_* call appends "L<leaf> <value> r<rep>" (or
 * "L<leaf> null d<def> r<rep>") to a log (bytes as 'text', x<hex>, or
 * #<length> when long), abort_row drops the record's
 * entries, and end_row can be made to fail.  The expected logs below are the
 * Dremel levels worked out by hand for each schema.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include "floe/ndjson.h"
#include "floe/parquet.h"
#include "test.h"
#include "util/err.h"
#include "util/mem.h"

/* ---- the recording writer ------------------------------------------------- */

struct floe_pq_writer {
    floe_buf log;     /* entries of the records written since the last reset */
    size_t row_start; /* log length at the last end_row */
    int aborts;
    int fail_end;     /* end_row fails with FLOE_EIO */
};

static void logf_(floe_pq_writer *w, const char *fmt, ...) FLOE_PRINTF(2, 3);
static void logf_(floe_pq_writer *w, const char *fmt, ...) {
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (w->log.len) floe_buf_puts(&w->log, " ");
    floe_buf_puts(&w->log, b);
}

void floe_pq_write_null(floe_pq_writer *w, int leaf, int def, int rep) { logf_(w, "L%d null d%d r%d", leaf, def, rep); }
void floe_pq_write_bool(floe_pq_writer *w, int leaf, int v, int rep) { logf_(w, "L%d %s r%d", leaf, v ? "true" : "false", rep); }
void floe_pq_write_i32(floe_pq_writer *w, int leaf, int32_t v, int rep) { logf_(w, "L%d %d r%d", leaf, (int)v, rep); }
void floe_pq_write_i64(floe_pq_writer *w, int leaf, int64_t v, int rep) { logf_(w, "L%d %lld r%d", leaf, (long long)v, rep); }
void floe_pq_write_float(floe_pq_writer *w, int leaf, float v, int rep) { logf_(w, "L%d f%.9g r%d", leaf, (double)v, rep); }
void floe_pq_write_double(floe_pq_writer *w, int leaf, double v, int rep) { logf_(w, "L%d %.17g r%d", leaf, v, rep); }
void floe_pq_write_bytes(floe_pq_writer *w, int leaf, const void *p, uint32_t len, int rep) {
    const uint8_t *b = p;
    int printable = 1;
    for (uint32_t i = 0; i < len; i++)
        if (b[i] < 0x20 || b[i] >= 0x7f || b[i] == '\'') printable = 0;
    char s[256];
    size_t k = 0;
    if (printable && len > 100) {
        k = (size_t)snprintf(s, sizeof s, "#%u", (unsigned)len); /* long text: its length */
    } else if (printable) {
        k = (size_t)snprintf(s, sizeof s, "'%.*s'", (int)len, (const char *)b);
    } else {
        s[k++] = 'x';
        for (uint32_t i = 0; i < len && k + 3 < sizeof s; i++) k += (size_t)snprintf(s + k, sizeof s - k, "%02x", b[i]);
    }
    logf_(w, "L%d %s r%d", leaf, s, rep);
}
int floe_pq_writer_end_row(floe_pq_writer *w, floe_err *err) {
    if (w->fail_end) return floe_err_set(err, FLOE_EIO, "disk full");
    w->row_start = w->log.len;
    return 0;
}
void floe_pq_writer_abort_row(floe_pq_writer *w) {
    w->log.len = w->row_start;
    w->aborts++;
}

/* ---- helpers --------------------------------------------------------------- */

static floe_pq_writer W;
static floe_err E;

/* Shreds one line; returns the log of that record or "ERR <code> <message>". */
static const char *shred(floe_ndjson *s, const char *json) {
    static char out[4096];
    W.log.len = W.row_start = 0;
    floe_err_clear(&E);
    if (floe_ndjson_write(s, json, strlen(json), 1, &E)) {
        snprintf(out, sizeof out, "ERR %s", E.msg);
        return out;
    }
    snprintf(out, sizeof out, "%.*s", (int)W.log.len, W.log.len ? (const char *)W.log.data : "");
    return out;
}

static floe_pq_node *leaf(floe_pq_node *p, const char *name, int rep, int phys) {
    return floe_pq_node_leaf(p, name, rep, phys, -1);
}

static floe_pq_node *str_leaf(floe_pq_node *p, const char *name, int rep) {
    floe_pq_node *n = leaf(p, name, rep, FLOE_PQ_BYTE_ARRAY);
    n->logical.kind = FLOE_PQ_LT_STRING;
    n->converted = FLOE_PQ_CT_UTF8;
    return n;
}

/* A 3-level LIST group; returns the repeated "list" group for the element. */
static floe_pq_node *list_group(floe_pq_node *p, const char *name, int rep) {
    floe_pq_node *g = floe_pq_node_group(p, name, rep, -1);
    g->logical.kind = FLOE_PQ_LT_LIST;
    g->converted = FLOE_PQ_CT_LIST;
    return floe_pq_node_group(g, "list", FLOE_PQ_REPEATED, -1);
}

/* A MAP group; returns the repeated "key_value" group for key and value. */
static floe_pq_node *map_group(floe_pq_node *p, const char *name, int rep) {
    floe_pq_node *g = floe_pq_node_group(p, name, rep, -1);
    g->logical.kind = FLOE_PQ_LT_MAP;
    g->converted = FLOE_PQ_CT_MAP;
    return floe_pq_node_group(g, "key_value", FLOE_PQ_REPEATED, -1);
}

static floe_ndjson *open_schema(floe_pq_schema *sc) {
    floe_err err;
    if (floe_pq_schema_finish(sc, &err)) {
        fprintf(stderr, "schema: %s\n", err.msg);
        abort();
    }
    floe_ndjson *s = floe_ndjson_new(sc, &W, &err);
    if (!s) {
        fprintf(stderr, "ndjson: %s\n", err.msg);
        abort();
    }
    return s;
}

/* One leaf "v" of the given type under the root; for value-form tests. */
static floe_pq_schema *one(int phys, int rep) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "v", rep, phys);
    return sc;
}

/* ---- levels ------------------------------------------------------------------ */

TEST(flat_fields_any_order_missing_and_null) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "id", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    str_leaf(sc->root, "name", FLOE_PQ_OPTIONAL);
    leaf(sc->root, "ok", FLOE_PQ_OPTIONAL, FLOE_PQ_BOOLEAN);
    leaf(sc->root, "score", FLOE_PQ_OPTIONAL, FLOE_PQ_DOUBLE);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"id\":1,\"name\":\"ab\",\"ok\":true,\"score\":12.5}"),
                 "L0 1 r0 L1 'ab' r0 L2 true r0 L3 12.5 r0");
    /* another order: written as read, each column still gets one entry */
    CHECK_EQ_STR(shred(s, "{\"score\":-0.25,\"ok\":false,\"id\":-7,\"name\":\"\"}"),
                 "L3 -0.25 r0 L2 false r0 L0 -7 r0 L1 '' r0");
    CHECK_EQ_STR(shred(s, "{\"id\":2}"), "L0 2 r0 L1 null d0 r0 L2 null d0 r0 L3 null d0 r0");
    CHECK_EQ_STR(shred(s, " { \"name\" : null , \"id\" : 3 } "), "L1 null d0 r0 L0 3 r0 L2 null d0 r0 L3 null d0 r0");
    CHECK_EQ_INT(floe_ndjson_rows(s), 4);
    CHECK_EQ_STR(shred(s, "{\"name\":\"x\"}"), "ERR line 1: field 'id': required field is missing");
    CHECK_EQ_INT(E.code, FLOE_EINVAL);
    CHECK_EQ_STR(shred(s, "{\"id\":null}"), "ERR line 1: field 'id': required field is null");
    CHECK_EQ_STR(shred(s, "{\"id\":1,\"id\":2}"), "ERR line 1: field 'id': field appears twice in the object");
    CHECK_EQ_INT(floe_ndjson_rows(s), 4);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(field_name_matching) {
    /* names that share prefixes, need escaping, or are too long for the
     * expected-field shortcut must still match exactly */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "id", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "idx", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "a\"b", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "a_rather_long_field_name", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "\xc3\xa9t\xc3\xa9", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    const char *all = "L0 1 r0 L1 2 r0 L2 3 r0 L3 4 r0 L4 5 r0";
    for (int k = 0; k < 3; k++) /* the first pass learns the order, later ones use it */
        CHECK_EQ_STR(shred(s, "{\"id\":1,\"idx\":2,\"a\\\"b\":3,\"a_rather_long_field_name\":4,\"\xc3\xa9t\xc3\xa9\":5}"), all);
    CHECK_EQ_STR(shred(s, "{\"\\u00e9t\\u00e9\":5,\"a_rather_long_field_name\" : 4 ,\"a\\u0022b\":3, \"idx\":2 , \"id\":1}"),
                 "L4 5 r0 L3 4 r0 L2 3 r0 L1 2 r0 L0 1 r0");
    CHECK_EQ_STR(shred(s, "{\"idx\":2}"), "L1 2 r0 L0 null d0 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"i\":0,\"id\":1,\"ID\":0,\"idxx\":0}"),
                 "L0 1 r0 L1 null d0 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0");
    CHECK_EQ_INT(floe_ndjson_unknown_fields(s), 3);
    /* a key at the very end of the line, and a truncated one */
    CHECK_EQ_STR(shred(s, "{\"idx\":7,\"id\":1}"), "L1 7 r0 L0 1 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"idx\":7,\"id\""), "ERR line 1: invalid JSON at byte 13: unexpected end of line");
    CHECK_EQ_STR(shred(s, "{\"idx\":7,\"id"), "ERR line 1: invalid JSON at byte 9: unterminated string");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);

    /* more than 64 fields: duplicates and missing fields are still tracked */
    sc = floe_pq_schema_new("schema");
    char name[16];
    for (int i = 0; i < 70; i++) {
        snprintf(name, sizeof name, "f%d", i);
        leaf(sc->root, name, i == 69 ? FLOE_PQ_REQUIRED : FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    }
    s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"f69\":1,\"f68\":2,\"f68\":3}"), "ERR line 1: field 'f68': field appears twice in the object");
    CHECK_EQ_STR(shred(s, "{\"f0\":1}"), "ERR line 1: field 'f69': required field is missing");
    const char *r = shred(s, "{\"f69\":1,\"f66\":2}");
    CHECK(strncmp(r, "L69 1 r0 L66 2 r0 L0 null d0 r0 ", 32) == 0);
    CHECK(strstr(r, "L66 null") == NULL && strstr(r, "L65 null d0 r0 L67 null d0 r0 L68 null d0 r0") != NULL);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(unknown_fields_are_skipped_and_counted) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "id", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_pq_node *st = floe_pq_node_group(sc->root, "st", FLOE_PQ_OPTIONAL, -1);
    leaf(st, "a", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"x\":{\"deep\":[1,{\"y\":[]},\"s\\\"}\",null,true,-1.5e3]},\"id\":5,\"z\":[],"
                          "\"st\":{\"q\":{},\"a\":1}}"),
                 "L0 5 r0 L1 1 r0");
    CHECK_EQ_INT(floe_ndjson_unknown_fields(s), 3);
    /* unknown fields of a failed record are not counted */
    CHECK(strncmp(shred(s, "{\"w\":1,\"id\":\"x\"}"), "ERR", 3) == 0);
    CHECK_EQ_INT(floe_ndjson_unknown_fields(s), 3);
    /* skipped values must still be valid JSON */
    CHECK_EQ_STR(shred(s, "{\"x\":[1,2}"), "ERR line 1: invalid JSON at byte 9: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"x\":{\"a\" 1}}"), "ERR line 1: invalid JSON at byte 10: unexpected '1'");
    CHECK_EQ_STR(shred(s, "{\"x\":tru}"), "ERR line 1: invalid JSON at byte 8: unexpected '}'");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

/* iceberg.tables.schema-case-insensitive and evolve-schema-enabled. */
TEST(ignore_case_and_strict_fields) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "id", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_pq_node *st = floe_pq_node_group(sc->root, "Geo", FLOE_PQ_OPTIONAL, -1);
    leaf(st, "city", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    /* exact by default: "ID" is unknown */
    CHECK_EQ_STR(shred(s, "{\"ID\":1,\"geo\":{\"CITY\":2}}"), "L0 null d0 r0 L1 null d0 r0");
    floe_ndjson_set_ignore_case(s, 1);
    for (int i = 0; i < 3; i++) /* again: a case-insensitive match is not learnt as the exact key */
        CHECK_EQ_STR(shred(s, "{\"ID\":1,\"geo\":{\"CITY\":2}}"), "L0 1 r0 L1 2 r0");
    CHECK_EQ_STR(shred(s, "{\"id\":3,\"Geo\":{\"city\":4}}"), "L0 3 r0 L1 4 r0");
    /* one column, two spellings: the second is a repeat */
    const char *e = shred(s, "{\"id\":1,\"Id\":2}");
    CHECK(strstr(e, "appears twice") != NULL);
    /* strict fields: an unknown field fails the record with FLOE_ENOTFOUND,
     * naming its path; its writes are undone */
    floe_ndjson_set_strict_fields(s, 1);
    floe_err err;
    int aborts = W.aborts;
    CHECK(floe_ndjson_write(s, "{\"id\":5,\"geo\":{\"city\":1,\"zip\":\"z\"}}", 37, 9, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "line 9: field 'Geo.zip': not in the table's schema");
    CHECK_EQ_INT(W.aborts, aborts + 1);
    CHECK(floe_ndjson_write(s, "{\"x\":[1]}", 9, 2, &err) == -1 && err.code == FLOE_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "line 2: field 'x': not in the table's schema");
    /* null, [] and {} say nothing of a type: still skipped */
    CHECK_EQ_STR(shred(s, "{\"id\":6,\"note\":null,\"e\":[ ],\"o\":{}}"), "L0 6 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"id\":6,\"e\":[null]}"), "ERR line 1: field 'e': not in the table's schema");
    /* other errors keep FLOE_EINVAL */
    CHECK(floe_ndjson_write(s, "{\"id\":\"x\"}", 10, 3, &err) == -1 && err.code == FLOE_EINVAL);
    floe_ndjson_set_strict_fields(s, 0);
    CHECK_EQ_STR(shred(s, "{\"id\":7,\"x\":[1]}"), "L0 7 r0 L1 null d0 r0");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(nested_structs) {
    /* optional group a { optional int32 x; required group b { optional string y } } ; optional int32 z */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    floe_pq_node *a = floe_pq_node_group(sc->root, "a", FLOE_PQ_OPTIONAL, -1);
    leaf(a, "x", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_pq_node *b = floe_pq_node_group(a, "b", FLOE_PQ_REQUIRED, -1);
    str_leaf(b, "y", FLOE_PQ_OPTIONAL);
    leaf(sc->root, "z", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"a\":{\"x\":1,\"b\":{\"y\":\"q\"}},\"z\":2}"), "L0 1 r0 L1 'q' r0 L2 2 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":null}"), "L0 null d0 r0 L1 null d0 r0 L2 null d0 r0");
    CHECK_EQ_STR(shred(s, "{}"), "L0 null d0 r0 L1 null d0 r0 L2 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":{\"b\":{}}}"), "L1 null d1 r0 L0 null d1 r0 L2 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":{\"b\":{\"y\":null},\"x\":null}}"), "L1 null d1 r0 L0 null d1 r0 L2 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":{\"x\":1}}"), "ERR line 1: field 'a.b': required field is missing");
    CHECK_EQ_STR(shred(s, "{\"a\":{\"b\":{\"y\":5}}}"), "ERR line 1: field 'a.b.y': expected string, got number 5");
    CHECK_EQ_STR(shred(s, "{\"a\":[1]}"), "ERR line 1: field 'a': expected object, got array");
    CHECK_EQ_STR(shred(s, "{\"a\":\"s\"}"), "ERR line 1: field 'a': expected object, got string \"s\"");
    CHECK_EQ_INT(W.aborts > 0, 1);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(three_level_lists) {
    /* optional group xs (LIST) { repeated group list { optional int32 element } } ; optional int32 after */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(list_group(sc->root, "xs", FLOE_PQ_OPTIONAL), "element", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "after", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"xs\":[1,null,3],\"after\":9}"), "L0 1 r0 L0 null d2 r1 L0 3 r1 L1 9 r0");
    CHECK_EQ_STR(shred(s, "{\"xs\":[]}"), "L0 null d1 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"xs\":null}"), "L0 null d0 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"after\":1}"), "L1 1 r0 L0 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"xs\":[ 7 ]}"), "L0 7 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"xs\":[1,\"b\"]}"), "ERR line 1: field 'xs[1]': expected int, got string \"b\"");
    CHECK_EQ_STR(shred(s, "{\"xs\":5}"), "ERR line 1: field 'xs': expected array, got number 5");
    CHECK_EQ_STR(shred(s, "{\"xs\":[1,]}"), "ERR line 1: invalid JSON at byte 9: unexpected ']'");
    CHECK_EQ_STR(shred(s, "{\"xs\":[1"), "ERR line 1: invalid JSON at byte 8: unexpected end of line");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(lists_of_structs_and_lists) {
    /* required group items (LIST) { repeated group list { required group element {
     *     required string k; optional group vs (LIST) { repeated group list { required int64 element } } } } } */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    floe_pq_node *el = floe_pq_node_group(list_group(sc->root, "items", FLOE_PQ_REQUIRED), "element", FLOE_PQ_REQUIRED, -1);
    str_leaf(el, "k", FLOE_PQ_REQUIRED);
    leaf(list_group(el, "vs", FLOE_PQ_OPTIONAL), "element", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    floe_ndjson *s = open_schema(sc);
    /* leaf 0 k: max_def 1 max_rep 1; leaf 1 vs.element: max_def 3 max_rep 2 */
    CHECK_EQ_STR(shred(s, "{\"items\":[{\"k\":\"a\",\"vs\":[1,2]},{\"k\":\"b\",\"vs\":[]},{\"k\":\"c\"},{\"vs\":[3],\"k\":\"d\"}]}"),
                 "L0 'a' r0 L1 1 r0 L1 2 r2 L0 'b' r1 L1 null d2 r1 L0 'c' r1 L1 null d1 r1 L1 3 r1 L0 'd' r1");
    CHECK_EQ_STR(shred(s, "{\"items\":[]}"), "L0 null d0 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"items\":[null]}"), "ERR line 1: field 'items[0]': required field is null");
    CHECK_EQ_STR(shred(s, "{\"items\":[{\"k\":\"a\"},{\"k\":\"b\",\"vs\":[1,null]}]}"),
                 "ERR line 1: field 'items[1].vs[1]': required field is null");
    CHECK_EQ_STR(shred(s, "{}"), "ERR line 1: field 'items': required field is missing");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(unannotated_repeated_and_legacy_lists) {
    /* repeated int32 r; repeated group g { required int32 a; optional int32 b };
     * optional group old (LIST) { repeated int32 array };
     * optional group two (LIST) { repeated group array { required int32 e } } */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "r", FLOE_PQ_REPEATED, FLOE_PQ_INT32);
    floe_pq_node *g = floe_pq_node_group(sc->root, "g", FLOE_PQ_REPEATED, -1);
    leaf(g, "a", FLOE_PQ_REQUIRED, FLOE_PQ_INT32);
    leaf(g, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    floe_pq_node *old = floe_pq_node_group(sc->root, "old", FLOE_PQ_OPTIONAL, -1);
    old->converted = FLOE_PQ_CT_LIST;
    leaf(old, "array", FLOE_PQ_REPEATED, FLOE_PQ_INT32);
    floe_pq_node *two = floe_pq_node_group(sc->root, "two", FLOE_PQ_OPTIONAL, -1);
    two->logical.kind = FLOE_PQ_LT_LIST;
    leaf(floe_pq_node_group(two, "array", FLOE_PQ_REPEATED, -1), "e", FLOE_PQ_REQUIRED, FLOE_PQ_INT32);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"r\":[1,2],\"g\":[{\"a\":1},{\"a\":2,\"b\":3}],\"old\":[4,5],\"two\":[{\"e\":6}]}"),
                 "L0 1 r0 L0 2 r1 L1 1 r0 L2 null d1 r0 L1 2 r1 L2 3 r1 L3 4 r0 L3 5 r1 L4 6 r0");
    CHECK_EQ_STR(shred(s, "{\"r\":[],\"g\":null,\"old\":[]}"),
                 "L0 null d0 r0 L1 null d0 r0 L2 null d0 r0 L3 null d1 r0 L4 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"r\":[null]}"), "ERR line 1: field 'r[0]': required field is null");
    CHECK_EQ_STR(shred(s, "{\"r\":1}"), "ERR line 1: field 'r': expected array, got number 1");
    CHECK_EQ_STR(shred(s, "{\"g\":[{\"b\":1}]}"), "ERR line 1: field 'g[0].a': required field is missing");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(maps) {
    /* optional group m (MAP) { repeated group key_value { required string key; optional int32 value } }
     * optional group im (MAP) { repeated group key_value { required int64 key; required group value { optional string s } } }
     * optional group dm (MAP) { repeated group key_value { required int32 key (DATE); optional boolean value } } */
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    floe_pq_node *kv = map_group(sc->root, "m", FLOE_PQ_OPTIONAL);
    str_leaf(kv, "key", FLOE_PQ_REQUIRED);
    leaf(kv, "value", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    kv = map_group(sc->root, "im", FLOE_PQ_OPTIONAL);
    leaf(kv, "key", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    str_leaf(floe_pq_node_group(kv, "value", FLOE_PQ_REQUIRED, -1), "s", FLOE_PQ_OPTIONAL);
    kv = map_group(sc->root, "dm", FLOE_PQ_OPTIONAL);
    leaf(kv, "key", FLOE_PQ_REQUIRED, FLOE_PQ_INT32)->logical.kind = FLOE_PQ_LT_DATE;
    leaf(kv, "value", FLOE_PQ_OPTIONAL, FLOE_PQ_BOOLEAN);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"m\":{\"a\":1,\"b\":null,\"c\\u00e9\":3}}"),
                 "L0 'a' r0 L1 1 r0 L0 'b' r1 L1 null d2 r1 L0 x63c3a9 r1 L1 3 r1 "
                 "L2 null d0 r0 L3 null d0 r0 L4 null d0 r0 L5 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"m\":{},\"im\":{\"-5\":{\"s\":\"x\"},\"7\":{}},\"dm\":{\"2026-01-02\":true,\"3\":false}}"),
                 "L0 null d1 r0 L1 null d1 r0 L2 -5 r0 L3 'x' r0 L2 7 r1 L3 null d2 r1 "
                 "L4 20455 r0 L5 true r0 L4 3 r1 L5 false r1");
    CHECK_EQ_STR(shred(s, "{\"im\":{\"x1\":{}}}"), "ERR line 1: field 'im.x1': map key: expected long, got string \"x1\"");
    CHECK_EQ_STR(shred(s, "{\"im\":{\"1.5\":{}}}"), "ERR line 1: field 'im.1.5': map key: expected long, got string \"1.5\"");
    CHECK_EQ_STR(shred(s, "{\"im\":{\"1\":null}}"), "ERR line 1: field 'im.1': required field is null");
    CHECK_EQ_STR(shred(s, "{\"m\":{\"a\":\"b\"}}"), "ERR line 1: field 'm.a': expected int, got string \"b\"");
    CHECK_EQ_STR(shred(s, "{\"m\":[]}"), "ERR line 1: field 'm': expected object, got array");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

/* ---- value forms ----------------------------------------------------------- */

TEST(integers) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "i", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    leaf(sc->root, "l", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    floe_pq_node *n = leaf(sc->root, "i8", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_INTEGER, .bit_width = 8, .is_signed = 1};
    n = leaf(sc->root, "u16", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->converted = FLOE_PQ_CT_UINT_16;
    n = leaf(sc->root, "u32", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_INTEGER, .bit_width = 32, .is_signed = 0};
    n = leaf(sc->root, "u64", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_INTEGER, .bit_width = 64, .is_signed = 0};
    floe_ndjson *s = open_schema(sc);
    const char *nulls_after_i = " L1 null d0 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0 L5 null d0 r0";
    char want[512];
    struct { const char *in; const char *out; } ok[] = {
        {"{\"i\":2147483647}", "L0 2147483647 r0"}, {"{\"i\":-2147483648}", "L0 -2147483648 r0"},
        {"{\"i\":0}", "L0 0 r0"}, {"{\"i\":-0}", "L0 0 r0"}, {"{\"i\": 17 }", "L0 17 r0"},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        snprintf(want, sizeof want, "%s%s", ok[k].out, nulls_after_i);
        CHECK_EQ_STR(shred(s, ok[k].in), want);
    }
    CHECK_EQ_STR(shred(s, "{\"l\":9223372036854775807,\"i\":null,\"i8\":-128,\"u16\":65535,\"u32\":4294967295,"
                          "\"u64\":18446744073709551615}"),
                 "L1 9223372036854775807 r0 L0 null d0 r0 L2 -128 r0 L3 65535 r0 L4 -1 r0 L5 -1 r0");
    CHECK_EQ_STR(shred(s, "{\"l\":-9223372036854775808}"),
                 "L1 -9223372036854775808 r0 L0 null d0 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0 L5 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"i\":1.5}"), "ERR line 1: field 'i': expected int, got number 1.5");
    CHECK_EQ_STR(shred(s, "{\"i\":1e-1}"), "ERR line 1: field 'i': expected int, got number 1e-1");
    /* integral values spelled with a fraction or exponent are not integers */
    CHECK_EQ_STR(shred(s, "{\"i\":1.0}"), "ERR line 1: field 'i': expected int, got number 1.0");
    CHECK_EQ_STR(shred(s, "{\"i\":1e3}"), "ERR line 1: field 'i': expected int, got number 1e3");
    CHECK_EQ_STR(shred(s, "{\"i\":\"1\"}"), "ERR line 1: field 'i': expected int, got string \"1\"");
    CHECK_EQ_STR(shred(s, "{\"i\":true}"), "ERR line 1: field 'i': expected int, got boolean true");
    CHECK_EQ_STR(shred(s, "{\"i\":{}}"), "ERR line 1: field 'i': expected int, got object");
    CHECK_EQ_STR(shred(s, "{\"i\":2147483648}"), "ERR line 1: field 'i': number 2147483648 is out of range for int");
    CHECK_EQ_STR(shred(s, "{\"l\":9223372036854775808}"),
                 "ERR line 1: field 'l': number 9223372036854775808 is out of range for long");
    CHECK_EQ_STR(shred(s, "{\"l\":99999999999999999999999}"),
                 "ERR line 1: field 'l': number 99999999999999999999999 is out of range for long");
    CHECK_EQ_STR(shred(s, "{\"i8\":128}"), "ERR line 1: field 'i8': number 128 is out of range for int8");
    CHECK_EQ_STR(shred(s, "{\"u16\":-1}"), "ERR line 1: field 'u16': number -1 is out of range for uint16");
    CHECK_EQ_STR(shred(s, "{\"u64\":18446744073709551616}"),
                 "ERR line 1: field 'u64': number 18446744073709551616 is out of range for uint64");
    CHECK_EQ_STR(shred(s, "{\"i\":01}"), "ERR line 1: invalid JSON at byte 6: unexpected '1'");
    CHECK_EQ_STR(shred(s, "{\"i\":-}"), "ERR line 1: invalid JSON at byte 6: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"i\":1.}"), "ERR line 1: invalid JSON at byte 7: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"i\":1e+}"), "ERR line 1: invalid JSON at byte 8: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"i\":+1}"), "ERR line 1: invalid JSON at byte 5: unexpected '+'");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(floats_and_doubles) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "d", FLOE_PQ_REQUIRED, FLOE_PQ_DOUBLE);
    floe_ndjson *s = open_schema(sc);
    /* fast path and strtod fallback must agree with the correctly rounded value */
    const char *nums[] = {"0.1", "12.5", "-3", "1e22", "1e23", "123456789012345678", "9007199254740993",
                          "2.2250738585072014e-308", "4.9e-324", "0.30000000000000004", "1.7976931348623157e308",
                          "-0.0", "1E5", "3.14159265358979323846264338327950288", "123456789012345",
                          "1234567.89012345", "0.000000000000001", "999999999999999.9", "-12.5e-3"};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        char in[128], want[128];
        snprintf(in, sizeof in, "{\"d\":%s}", nums[k]);
        snprintf(want, sizeof want, "L0 %.17g r0", strtod(nums[k], NULL));
        CHECK_EQ_STR(shred(s, in), want);
    }
    CHECK_EQ_STR(shred(s, "{\"d\":\"NaN\"}"), "L0 nan r0");
    CHECK_EQ_STR(shred(s, "{\"d\":\"Infinity\"}"), "L0 inf r0");
    CHECK_EQ_STR(shred(s, "{\"d\":\"-Infinity\"}"), "L0 -inf r0");
    CHECK_EQ_STR(shred(s, "{\"d\":\"1.5\"}"), "ERR line 1: field 'd': expected double, got string \"1.5\"");
    CHECK_EQ_STR(shred(s, "{\"d\":1e999}"), "ERR line 1: field 'd': number 1e999 is out of range for double");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);

    sc = one(FLOE_PQ_FLOAT, FLOE_PQ_REQUIRED);
    s = open_schema(sc);
    const char *fnums[] = {"0.1", "16777217", "3.4028235e38", "1.17549435e-38", "0.3", "123456.789"};
    for (size_t k = 0; k < sizeof fnums / sizeof fnums[0]; k++) {
        char in[128], want[128];
        snprintf(in, sizeof in, "{\"v\":%s}", fnums[k]);
        snprintf(want, sizeof want, "L0 f%.9g r0", (double)strtof(fnums[k], NULL));
        CHECK_EQ_STR(shred(s, in), want);
    }
    CHECK_EQ_STR(shred(s, "{\"v\":\"NaN\"}"), "L0 fnan r0");
    CHECK_EQ_STR(shred(s, "{\"v\":1e39}"), "ERR line 1: field 'v': number 1e39 is out of range for float");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(decimals) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    floe_pq_node *n = leaf(sc->root, "a", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 5, .scale = 2};
    n = leaf(sc->root, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->converted = FLOE_PQ_CT_DECIMAL;
    n->precision = 18;
    n->scale = 0;
    n = leaf(sc->root, "c", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n->type_length = 3;
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 6, .scale = 1};
    n = leaf(sc->root, "d", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 38, .scale = 3};
    n = leaf(sc->root, "e", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n->type_length = 18;
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 38, .scale = 0};
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"a\":\"14.20\",\"b\":-12,\"c\":-1.5,\"d\":\"-0.001\",\"e\":-2}"),
                 "L0 1420 r0 L1 -12 r0 L2 xfffff1 r0 L3 xff r0 L4 xfffffffffffffffffffffffffffffffffffe r0");
    CHECK_EQ_STR(shred(s, "{\"a\":1.5,\"d\":128,\"c\":\"99999.9\",\"e\":\"1e3\"}"),
                 "L0 150 r0 L3 x01f400 r0 L2 x0f423f r0 L4 x0000000000000000000000000000000003e8 r0 L1 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":\"1.230\"}"), "L0 123 r0 L1 null d0 r0 L2 null d0 r0 L3 null d0 r0 L4 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"a\":1.234}"), "ERR line 1: field 'a': number 1.234 does not fit decimal(5,2)");
    CHECK_EQ_STR(shred(s, "{\"a\":\"1000.00\"}"), "ERR line 1: field 'a': string \"1000.00\" does not fit decimal(5,2)");
    CHECK_EQ_STR(shred(s, "{\"a\":\"abc\"}"), "ERR line 1: field 'a': expected decimal(5,2), got string \"abc\"");
    CHECK_EQ_STR(shred(s, "{\"a\":false}"), "ERR line 1: field 'a': expected decimal(5,2), got boolean false");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(dates_times_timestamps) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "d", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32)->logical.kind = FLOE_PQ_LT_DATE;
    floe_pq_node *n = leaf(sc->root, "tm", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIME, .unit = FLOE_PQ_UNIT_MILLIS};
    n = leaf(sc->root, "tu", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->converted = FLOE_PQ_CT_TIME_MICROS;
    n = leaf(sc->root, "ts", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIMESTAMP, .unit = FLOE_PQ_UNIT_MICROS, .utc = 1};
    n = leaf(sc->root, "tms", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->converted = FLOE_PQ_CT_TIMESTAMP_MILLIS;
    n = leaf(sc->root, "tns", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIMESTAMP, .unit = FLOE_PQ_UNIT_NANOS, .utc = 0};
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"d\":\"2026-01-01\",\"tm\":\"01:02:03.004\",\"tu\":\"00:00:01.5\","
                          "\"ts\":\"2026-01-01T00:00:00.123456Z\",\"tms\":\"1970-01-01T01:00:00+01:00\","
                          "\"tns\":\"1969-12-31 23:59:59.999999999\"}"),
                 "L0 20454 r0 L1 3723004 r0 L2 1500000 r0 L3 1767225600123456 r0 L4 0 r0 L5 -1 r0");
    CHECK_EQ_STR(shred(s, "{\"d\":-1,\"tm\":86399999,\"tu\":0,\"ts\":-5,\"tms\":1,\"tns\":2}"),
                 "L0 -1 r0 L1 86399999 r0 L2 0 r0 L3 -5 r0 L4 1 r0 L5 2 r0");
    CHECK_EQ_STR(shred(s, "{\"d\":\"2026-02-30\"}"), "ERR line 1: field 'd': expected date, got string \"2026-02-30\"");
    CHECK_EQ_STR(shred(s, "{\"d\":1.5}"), "ERR line 1: field 'd': expected date, got number 1.5");
    CHECK_EQ_STR(shred(s, "{\"d\":2147483648}"), "ERR line 1: field 'd': number 2147483648 is out of range for date");
    CHECK_EQ_STR(shred(s, "{\"tm\":86400000}"), "ERR line 1: field 'tm': number 86400000 is out of range for time");
    CHECK_EQ_STR(shred(s, "{\"tm\":\"25:00\"}"), "ERR line 1: field 'tm': expected time, got string \"25:00\"");
    CHECK_EQ_STR(shred(s, "{\"ts\":\"2026-01-01T00:00:00.1234567Z\"}"),
                 "ERR line 1: field 'ts': expected timestamp, got string \"2026-01-01T00:00:00.1234567Z\"");
    CHECK_EQ_STR(shred(s, "{\"ts\":true}"), "ERR line 1: field 'ts': expected timestamp, got boolean true");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(strings_and_escapes) {
    floe_pq_schema *sc = one(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    sc->root->children[0]->logical.kind = FLOE_PQ_LT_STRING;
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"v\":\"plain text of some length, over eight bytes\"}"),
                 "L0 'plain text of some length, over eight bytes' r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"a\\\"b\\\\c\\/d\"}"), "L0 'a\"b\\c/d' r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\\b\\f\\n\\r\\t\"}"), "L0 x080c0a0d09 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}"), "L0 x41c3a9e282acf09f9880 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80!\"}"), "L0 x68c3a96c6c6f2077c3b6726c6420f09f988021 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\"}"), "L0 '' r0");
    /* escapes, high bytes and control bytes past the first 16 and 8 bytes */
    CHECK_EQ_STR(shred(s, "{\"v\":\"0123456789abcdef0123\\t45\"}"), "L0 x3031323334353637383961626364656630313233093435 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"0123456789abcdef01\xc3\xa9\"}"), "L0 x303132333435363738396162636465663031c3a9 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":\"0123456789abcdef0123\x01\"}"),
                 "ERR line 1: invalid JSON at byte 26: control byte 0x01 in a string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"0123456789\xff\"}"), "ERR line 1: invalid JSON at byte 5: invalid UTF-8 in a string");
    CHECK_EQ_STR(shred(s, "{\"v\":12}"), "ERR line 1: field 'v': expected string, got number 12");
    CHECK_EQ_STR(shred(s, "{\"v\":\"a\\x\"}"), "ERR line 1: invalid JSON at byte 7: invalid escape in string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\\u12G4\"}"), "ERR line 1: invalid JSON at byte 6: invalid \\u escape");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\\ud83d\"}"), "ERR line 1: invalid JSON at byte 6: unpaired surrogate in \\u escape");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\\ude00x\"}"), "ERR line 1: invalid JSON at byte 6: unpaired surrogate in \\u escape");
    CHECK_EQ_STR(shred(s, "{\"v\":\"tab\there\"}"), "ERR line 1: invalid JSON at byte 9: control byte 0x09 in a string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"bad \xc3\x28 utf8\"}"), "ERR line 1: invalid JSON at byte 5: invalid UTF-8 in a string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"\xed\xa0\x80\"}"), "ERR line 1: invalid JSON at byte 5: invalid UTF-8 in a string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"unterminated and long enough"), "ERR line 1: invalid JSON at byte 5: unterminated string");
    CHECK_EQ_STR(shred(s, "{\"v\":\"ab\\"), "ERR line 1: invalid JSON at byte 8: unterminated string");
    /* a long value is quoted shortened in the message */
    CHECK_EQ_STR(shred(s, "{\"v\":1234567890123456789012345678901234567890123456789012345678901234567890}"),
                 "ERR line 1: field 'v': expected string, got number 123456789012345678901234567890123456789012345678...");
    /* escaped field names are decoded before they are matched */
    CHECK_EQ_STR(shred(s, "{\"\\u0076\":\"x\"}"), "L0 'x' r0");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(uuid_and_binary) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    floe_pq_node *n = leaf(sc->root, "u", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n->type_length = 16;
    n->logical.kind = FLOE_PQ_LT_UUID;
    leaf(sc->root, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY);
    leaf(sc->root, "f", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY)->type_length = 2;
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, "{\"u\":\"00112233-4455-6677-8899-aabbccddeeff\",\"b\":\"AAEC/w==\",\"f\":\"aGk=\"}"),
                 "L0 x00112233445566778899aabbccddeeff r0 L1 x000102ff r0 L2 'hi' r0");
    CHECK_EQ_STR(shred(s, "{\"b\":\"\"}"), "L1 '' r0 L0 null d0 r0 L2 null d0 r0");
    CHECK_EQ_STR(shred(s, "{\"u\":\"00112233445566778899aabbccddeeff\"}"),
                 "ERR line 1: field 'u': expected uuid, got string \"00112233445566778899aabbccddeeff\"");
    CHECK_EQ_STR(shred(s, "{\"b\":\"a*b\"}"), "ERR line 1: field 'b': expected base64 binary, got string \"a*b\"");
    CHECK_EQ_STR(shred(s, "{\"f\":\"aGk/\"}"), "ERR line 1: field 'f': base64 value decodes to 3 bytes, expected 2");
    CHECK_EQ_STR(shred(s, "{\"f\":[]}"), "ERR line 1: field 'f': expected base64 fixed[2], got array");
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

/* ---- invalid JSON, line handling -------------------------------------------- */

TEST(invalid_json_and_lines) {
    floe_pq_schema *sc = one(FLOE_PQ_INT32, FLOE_PQ_OPTIONAL);
    floe_ndjson *s = open_schema(sc);
    CHECK_EQ_STR(shred(s, ""), "");
    CHECK_EQ_STR(shred(s, "  \t\r\n"), "");
    CHECK_EQ_INT(floe_ndjson_rows(s), 0);
    CHECK_EQ_STR(shred(s, "{\"v\":1}\r\n"), "L0 1 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":1}\r"), "L0 1 r0");
    CHECK_EQ_STR(shred(s, "{\"v\":1} x"), "ERR line 1: invalid JSON at byte 8: unexpected 'x'");
    CHECK_EQ_STR(shred(s, "{\"v\":1}{}"), "ERR line 1: invalid JSON at byte 7: unexpected '{'");
    CHECK_EQ_STR(shred(s, "{\"v\":1"), "ERR line 1: invalid JSON at byte 6: unexpected end of line");
    CHECK_EQ_STR(shred(s, "{\"v\""), "ERR line 1: invalid JSON at byte 4: unexpected end of line");
    CHECK_EQ_STR(shred(s, "{\"v\" 1}"), "ERR line 1: invalid JSON at byte 5: unexpected '1'");
    CHECK_EQ_STR(shred(s, "{v:1}"), "ERR line 1: invalid JSON at byte 1: unexpected 'v'");
    CHECK_EQ_STR(shred(s, "{\"v\":1,}"), "ERR line 1: invalid JSON at byte 7: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"v\":nul}"), "ERR line 1: invalid JSON at byte 8: unexpected '}'");
    CHECK_EQ_STR(shred(s, "{\"v\":1}\x01"), "ERR line 1: invalid JSON at byte 7: unexpected byte 0x01");
    CHECK_EQ_STR(shred(s, "[1,2]"), "ERR line 1: expected a JSON object, got array");
    CHECK_EQ_STR(shred(s, "\"x\""), "ERR line 1: expected a JSON object, got string \"x\"");
    CHECK_EQ_STR(shred(s, "nope"), "ERR line 1: invalid JSON at byte 1: unexpected 'o'");
    /* deep nesting inside an unknown field is bounded */
    char deep[1200];
    size_t k = (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 300; i++) deep[k++] = '[';
    for (int i = 0; i < 300; i++) deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = '\0';
    CHECK_EQ_STR(shred(s, deep), "ERR line 1: invalid JSON at byte 261: nested deeper than 256 levels");
    /* 256 levels are fine */
    k = (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 256; i++) deep[k++] = i % 2 ? '[' : '{', k += i % 2 ? 0 : (size_t)sprintf(deep + k, "\"k\":");
    for (int i = 255; i >= 0; i--) deep[k++] = i % 2 ? ']' : '}';
    deep[k++] = '}';
    deep[k] = '\0';
    CHECK_EQ_STR(shred(s, deep), "L0 null d0 r0");
    /* the line's own line number is named */
    CHECK(floe_ndjson_write(s, "{\"v\":\"x\"}", 9, 17, &E) == -1);
    CHECK_EQ_STR(E.msg, "line 17: field 'v': expected int, got string \"x\"");
    /* no NUL needed: bytes after len are never read */
    char buf[8];
    memcpy(buf, "{\"v\":42}", 8);
    W.log.len = W.row_start = 0;
    CHECK_OK(floe_ndjson_write(s, buf, 8, 1, &E), &E);
    CHECK(strncmp(buf, "{\"v\":42}", 8) == 0);
    char *heap = floe_xmalloc(7);
    memcpy(heap, "{\"v\":42", 7); /* truncated, ASan catches any read past it */
    CHECK(floe_ndjson_write(s, heap, 7, 1, &E) == -1);
    free(heap);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(writer_failure_propagates) {
    floe_pq_schema *sc = one(FLOE_PQ_INT32, FLOE_PQ_OPTIONAL);
    floe_ndjson *s = open_schema(sc);
    W.fail_end = 1;
    CHECK_EQ_STR(shred(s, "{\"v\":1}"), "ERR disk full");
    CHECK_EQ_INT(E.code, FLOE_EIO);
    W.fail_end = 0;
    CHECK_EQ_INT(floe_ndjson_rows(s), 0);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(unsupported_schemas) {
    floe_err err;
    floe_pq_schema *sc = one(FLOE_PQ_INT96, FLOE_PQ_OPTIONAL);
    CHECK_OK(floe_pq_schema_finish(sc, &err), &err);
    CHECK(floe_ndjson_new(sc, &W, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "field 'v'") != NULL);
    floe_pq_schema_free(sc);

    sc = floe_pq_schema_new("schema");
    floe_pq_node *kv = map_group(sc->root, "m", FLOE_PQ_OPTIONAL);
    leaf(floe_pq_node_group(kv, "key", FLOE_PQ_REQUIRED, -1), "k", FLOE_PQ_REQUIRED, FLOE_PQ_INT32);
    leaf(kv, "value", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    CHECK_OK(floe_pq_schema_finish(sc, &err), &err);
    CHECK(floe_ndjson_new(sc, &W, &err) == NULL);
    CHECK_EQ_STR(err.msg, "field 'm.key_value.key': map keys must be primitive");
    floe_pq_schema_free(sc);

    sc = one(FLOE_PQ_INT32, FLOE_PQ_OPTIONAL);
    sc->root->children[0]->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 12, .scale = 2};
    CHECK_OK(floe_pq_schema_finish(sc, &err), &err);
    CHECK(floe_ndjson_new(sc, &W, &err) == NULL);
    CHECK_EQ_STR(err.msg, "field 'v': DECIMAL precision too large for its physical type");
    floe_pq_schema_free(sc);
}

/* ---- streams --------------------------------------------------------------- */

typedef struct bad_log {
    int n;
    int64_t lines[8];
    char msgs[8][FLOE_ERR_MSG_MAX];
    int stop_at; /* return -1 on this call (1-based), 0 = never */
} bad_log;

static int on_bad(void *ctx, int64_t lineno, const char *line, size_t len, const floe_err *why) {
    bad_log *b = ctx;
    (void)line;
    (void)len;
    if (b->n < 8) {
        b->lines[b->n] = lineno;
        snprintf(b->msgs[b->n], sizeof b->msgs[0], "%s", why->msg);
    }
    b->n++;
    return b->stop_at && b->n == b->stop_at ? -1 : 0;
}

static int temp_fd(const char *text, size_t n) {
    char path[] = "/tmp/floe_ndjson_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) abort();
    unlink(path);
    if (write(fd, text, n) != (ssize_t)n) abort();
    lseek(fd, 0, SEEK_SET);
    return fd;
}

TEST(write_fd_lines_and_bad_records) {
    floe_pq_schema *sc = one(FLOE_PQ_INT64, FLOE_PQ_REQUIRED);
    floe_ndjson *s = open_schema(sc);
    const char *text = "\xEF\xBB\xBF{\"v\":1}\r\n\n{\"v\":\"x\"}\n  \n{\"v\":2}\n{\"q\":1}\n{\"v\":3}";
    W.log.len = W.row_start = 0;
    bad_log b = {0};
    int fd = temp_fd(text, strlen(text));
    CHECK_OK(floe_ndjson_write_fd(s, fd, "ev.json", on_bad, &b, &E), &E);
    close(fd);
    CHECK_EQ_STR(floe_buf_cstr(&W.log), "L0 1 r0 L0 2 r0 L0 3 r0");
    CHECK_EQ_INT(b.n, 2);
    CHECK_EQ_INT(b.lines[0], 3);
    CHECK_EQ_STR(b.msgs[0], "line 3: field 'v': expected long, got string \"x\"");
    CHECK_EQ_INT(b.lines[1], 6);
    CHECK_EQ_STR(b.msgs[1], "line 6: field 'v': required field is missing");
    CHECK_EQ_INT(floe_ndjson_rows(s), 3);
    CHECK_EQ_INT(floe_ndjson_bad_records(s), 2);

    /* without on_bad the first bad record stops the read, named */
    fd = temp_fd(text, strlen(text));
    CHECK(floe_ndjson_write_fd(s, fd, "ev.json", NULL, NULL, &E) == -1);
    close(fd);
    CHECK_EQ_STR(E.msg, "ev.json: line 3: field 'v': expected long, got string \"x\"");
    CHECK_EQ_INT(E.code, FLOE_EINVAL);

    /* on_bad may stop */
    bad_log stop = {.stop_at = 1};
    fd = temp_fd(text, strlen(text));
    CHECK(floe_ndjson_write_fd(s, fd, NULL, on_bad, &stop, &E) == -1);
    close(fd);
    CHECK_EQ_STR(E.msg, "line 3: field 'v': expected long, got string \"x\"");

    /* a writer failure stops even with on_bad */
    W.fail_end = 1;
    fd = temp_fd(text, strlen(text));
    bad_log none = {0};
    CHECK(floe_ndjson_write_fd(s, fd, "ev.json", on_bad, &none, &E) == -1);
    close(fd);
    W.fail_end = 0;
    CHECK_EQ_INT(E.code, FLOE_EIO);
    CHECK_EQ_STR(E.msg, "ev.json: disk full");
    CHECK_EQ_INT(none.n, 0);

    /* a bad fd is an I/O error */
    CHECK(floe_ndjson_write_fd(s, -1, "ev.json", NULL, NULL, &E) == -1);
    CHECK_EQ_INT(E.code, FLOE_EIO);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(write_fd_long_lines) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    str_leaf(sc->root, "v", FLOE_PQ_REQUIRED);
    floe_ndjson *s = open_schema(sc);
    floe_ndjson_set_max_line(s, 20);
    const char *text = "{\"v\":\"short\"}\n{\"v\":\"this one is far too long\"}\n{\"v\":\"ok\"}\n{\"v\":\"and another long one\"}";
    bad_log b = {0};
    W.log.len = W.row_start = 0;
    int fd = temp_fd(text, strlen(text));
    CHECK_OK(floe_ndjson_write_fd(s, fd, NULL, on_bad, &b, &E), &E);
    close(fd);
    CHECK_EQ_STR(floe_buf_cstr(&W.log), "L0 'short' r0 L0 'ok' r0");
    CHECK_EQ_INT(b.n, 2);
    CHECK_EQ_INT(b.lines[0], 2);
    CHECK_EQ_STR(b.msgs[0], "line 2: longer than 20 bytes");
    CHECK_EQ_INT(b.lines[1], 4);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

/* Lines that straddle the 1 MiB read blocks, written through a pipe in
 * uneven chunks by a second thread. */
typedef struct feeder {
    int fd;
    const char *p;
    size_t n;
} feeder;

static void *feed(void *arg) {
    feeder *f = arg;
    size_t off = 0, chunk = 1;
    while (off < f->n) {
        size_t k = f->n - off < chunk ? f->n - off : chunk;
        ssize_t w = write(f->fd, f->p + off, k);
        if (w <= 0) break;
        off += (size_t)w;
        chunk = chunk * 7 % 300007 + 1;
    }
    close(f->fd);
    return NULL;
}

TEST(write_fd_pipe_spanning_blocks) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    leaf(sc->root, "i", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    str_leaf(sc->root, "s", FLOE_PQ_REQUIRED);
    floe_ndjson *s = open_schema(sc);
    floe_buf text;
    floe_buf_init(&text);
    int64_t nrec = 0, sum = 0, slen = 0;
    char pad[4096];
    memset(pad, 'a', sizeof pad);
    for (int64_t i = 0; text.len < (size_t)3 << 20; i++) {
        int plen = (int)((i * 7919) % 3000);
        floe_buf_printf(&text, "{\"i\":%lld,\"s\":\"%.*s\"}%s", (long long)i, plen, pad, i % 3 ? "\n" : "\r\n");
        nrec++;
        sum += i;
        slen += plen;
    }
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    feeder f = {pfd[1], (const char *)text.data, text.len};
    pthread_t th;
    pthread_create(&th, NULL, feed, &f);
    /* count instead of logging: the log would hold every record */
    W.log.len = W.row_start = 0;
    CHECK_OK(floe_ndjson_write_fd(s, pfd[0], "pipe", NULL, NULL, &E), &E);
    pthread_join(th, NULL);
    close(pfd[0]);
    CHECK_EQ_INT(floe_ndjson_rows(s), nrec);
    /* every record's two entries were logged in order */
    int64_t got = 0, gsum = 0, glen = 0;
    const char *p = floe_buf_cstr(&W.log);
    while ((p = strstr(p, "L0 "))) {
        long long v = strtoll(p + 3, (char **)&p, 10);
        gsum += v;
        got++;
        const char *q = strstr(p, "L1 ");
        if (!q) break;
        if (q[3] == '#') {
            glen += strtol(q + 4, (char **)&p, 10);
        } else {
            p = strchr(q + 4, '\'');
            glen += p - (q + 4);
        }
    }
    CHECK_EQ_INT(got, nrec);
    CHECK_EQ_INT(gsum, sum);
    CHECK_EQ_INT(glen, slen);
    floe_buf_free(&text);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST(cleanup) { floe_buf_free(&W.log); }

/* Kafka Connect's conversions, for the streaming pipeline. */
TEST(lenient_mode) {
    floe_pq_schema *sc = floe_pq_schema_new("schema");
    str_leaf(sc->root, "s", FLOE_PQ_OPTIONAL);
    leaf(sc->root, "l", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    leaf(sc->root, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_BOOLEAN);
    leaf(sc->root, "d", FLOE_PQ_OPTIONAL, FLOE_PQ_DOUBLE);
    floe_ndjson *s = open_schema(sc);
    /* strict by default */
    CHECK(strncmp(shred(s, "{\"s\":12.5}"), "ERR", 3) == 0);
    CHECK(strncmp(shred(s, "{\"l\":\"17\"}"), "ERR", 3) == 0);
    floe_ndjson_set_lenient(s, 1);
    CHECK_EQ_STR(shred(s, "{\"s\":12.50,\"l\":\"17\",\"b\":\"true\",\"d\":\"-2.5e1\"}"),
                 "L0 '12.50' r0 L1 17 r0 L2 true r0 L3 -25 r0");
    CHECK_EQ_STR(shred(s, "{\"s\":false}"), "L0 'false' r0 L1 null d0 r0 L2 null d0 r0 L3 null d0 r0");
    /* what no conversion makes fit is still an error naming the field */
    const char *e = shred(s, "{\"l\":\"x17\"}");
    CHECK(strncmp(e, "ERR", 3) == 0 && strstr(e, "'l'") != NULL);
    CHECK(strncmp(shred(s, "{\"s\":{\"a\":1}}"), "ERR", 3) == 0);
    floe_ndjson_free(s);
    floe_pq_schema_free(sc);
}

TEST_MAIN(T(flat_fields_any_order_missing_and_null), T(field_name_matching), T(unknown_fields_are_skipped_and_counted), T(ignore_case_and_strict_fields), T(nested_structs),
          T(three_level_lists), T(lists_of_structs_and_lists), T(unannotated_repeated_and_legacy_lists), T(maps),
          T(integers), T(floats_and_doubles), T(decimals), T(dates_times_timestamps), T(strings_and_escapes),
          T(uuid_and_binary), T(invalid_json_and_lines), T(writer_failure_propagates), T(unsupported_schemas),
          T(write_fd_lines_and_bad_records), T(write_fd_long_lines), T(write_fd_pipe_spanning_blocks), T(lenient_mode), T(cleanup))
