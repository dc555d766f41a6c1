/*
 * test_expr.c — row filters: parsing and its errors, binding (columns,
 * literal conversion, NOT push-down, folding) and its errors, evaluation on
 * rows, inclusive projection through every transform, and the inclusive
 * evaluators on manifest summaries and file metrics.
 */
#include <math.h>

#include "iceberg/expr.h"
#include "test.h"
#include "util/text.h"

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":5,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"day\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":7,\"name\":\"small\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":8,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":9,\"name\":\"info\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":10,\"name\":\"city\",\"required\":true,\"type\":\"string\"}]}},"
    "{\"id\":11,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":12,"
    "\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":13,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":14,\"name\":\"ok\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":15,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"}]}";

static floe_ice_schema *schema(void) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    if (!s) fprintf(stderr, "schema: %s\n", err.msg);
    return s;
}

static floe_expr *bind(const char *text, floe_err *err) {
    floe_ice_schema *s = schema();
    floe_expr *u = floe_expr_parse(text, err);
    floe_expr *b = u ? floe_expr_bind(u, s, err) : NULL;
    floe_expr_free(u);
    floe_ice_schema_free(s);
    return b;
}

/* The text of filter `text` bound, and projected onto `spec` unless it is
 * NULL; or "error: <message>". */
static const char *expr_text(const char *text, const floe_ice_partition_spec *spec) {
    static char out[4][1100];
    static int k;
    char *o = out[k++ & 3];
    floe_err err = {0};
    floe_expr *b = bind(text, &err);
    if (!b) {
        snprintf(o, sizeof out[0], "error: %s", err.msg);
        return o;
    }
    floe_expr *p = spec ? floe_expr_project(b, spec) : NULL;
    floe_buf buf;
    floe_buf_init(&buf);
    floe_expr_to_string(p ? p : b, &buf);
    snprintf(o, sizeof out[0], "%s", floe_buf_cstr(&buf));
    floe_buf_free(&buf);
    floe_expr_free(p);
    floe_expr_free(b);
    return o;
}

static const char *bound_text(const char *text) { return expr_text(text, NULL); }

static const char *parse_error(const char *text) {
    static char o[1100];
    floe_err err = {0};
    floe_expr *e = floe_expr_parse(text, &err);
    if (e) {
        floe_expr_free(e);
        return "(parsed)";
    }
    snprintf(o, sizeof o, "%s", err.msg);
    return o;
}

TEST(parse_errors) {
    CHECK_EQ_STR(parse_error(""), "the filter is empty");
    CHECK_EQ_STR(parse_error("id >"), "expected a literal (a number, a 'string', true or false) at the end of the filter");
    CHECK_EQ_STR(parse_error("id ~ 3"), "unexpected character at position 4");
    CHECK_EQ_STR(parse_error("name = 'abc"), "unterminated string at position 8");
    CHECK_EQ_STR(parse_error("id = 1 id = 2"), "expected AND, OR or the end of the filter at position 8, found 'id'");
    CHECK_EQ_STR(parse_error("(id = 1"), "expected ')' at the end of the filter");
    CHECK_EQ_STR(parse_error("id = NULL"), "NULL at position 6 is not a value to compare with: use IS NULL or IS NOT NULL");
    CHECK_EQ_STR(parse_error("id IS 3"), "expected NULL or NAN after IS at position 7, found '3'");
    CHECK_EQ_STR(parse_error("id IN 1, 2"), "expected '(' after IN at position 7, found '1'");
    CHECK_EQ_STR(parse_error("id IN (1 2)"), "expected ',' or ')' in the IN list at position 10, found '2'");
    CHECK_EQ_STR(parse_error("id NOT 3"), "expected IN after NOT at position 8, found '3'");
    CHECK_EQ_STR(parse_error("= 3"), "expected a column name at position 1, found '='");
    CHECK_EQ_STR(parse_error("info. = 3"), "expected a name after '.' at position 7, found '='");
    CHECK_EQ_STR(parse_error("id = 12abc"), "a number runs into a name at position 6");
    CHECK_EQ_STR(parse_error("id = 1e"), "a number's exponent needs digits at position 6");
    /* Nesting is bounded (the parser recurses). */
    char deep[1200];
    memset(deep, '(', 1000);
    strcpy(deep + 1000, "id = 1");
    CHECK_EQ_STR(parse_error(deep), "the filter nests deeper than 200 levels");
}

TEST(parse_forms) {
    floe_err err = {0};
    floe_expr *e = floe_expr_parse("NOT (a.b >= -1.5e2 or \"we\"\"ird\" in ('x''y', 2)) AND c IS NOT NAN", &err);
    CHECK(e != NULL);
    if (e) {
        floe_buf b;
        floe_buf_init(&b);
        floe_expr_to_string(e, &b);
        CHECK_EQ_STR(floe_buf_cstr(&b), "(NOT (a.b >= -1.5e2 OR we\"ird IN ('x''y', 2)) AND c IS NOT NAN)");
        floe_buf_free(&b);
        floe_expr_free(e);
    }
    /* Keywords in any case, == and <> spellings, backquoted names. */
    CHECK_EQ_STR(bound_text("`id` == 3 or ID <> 4"), "(id = 3 OR id != 4)");
}

TEST(bind_errors) {
    CHECK_EQ_STR(bound_text("x = 1"), "error: unknown column 'x'");
    CHECK_EQ_STR(bound_text("id = 'abc'"), "error: cannot compare long column 'id' with 'abc'");
    CHECK_EQ_STR(bound_text("id = 1.5"), "error: cannot compare long column 'id' with '1.5'");
    CHECK_EQ_STR(bound_text("price < 1.005"), "error: cannot compare decimal(9, 2) column 'price' with '1.005'");
    CHECK_EQ_STR(bound_text("day = '2017-13-01'"), "error: cannot compare date column 'day' with '2017-13-01'");
    CHECK_EQ_STR(bound_text("u = 'nope'"), "error: cannot compare uuid column 'u' with 'nope'");
    CHECK_EQ_STR(bound_text("name = 5"), "error: cannot compare string column 'name' with '5'");
    CHECK_EQ_STR(bound_text("info = 'x'"), "error: column 'info' is a struct: only primitive columns can be compared");
    CHECK_EQ_STR(bound_text("tags.element = 'x'"), "error: column 'tags.element' is inside a list: rows cannot be filtered on it");
    CHECK_EQ_STR(bound_text("id IS NAN"), "error: IS NAN needs a float or double column, and 'id' is not one");
    CHECK_EQ_STR(bound_text("score < 'NaN'"), "error: column 'score' cannot be ordered against NaN: use IS NAN or IS NOT NAN");
    CHECK_EQ_STR(bound_text("ok = 3"), "error: cannot compare boolean column 'ok' with '3'");
}

TEST(bind_rewrites) {
    /* NOT disappears: De Morgan and the opposite operators. */
    CHECK_EQ_STR(bound_text("NOT (id < 5 OR name IS NULL)"), "(id >= 5 AND name IS NOT NULL)");
    CHECK_EQ_STR(bound_text("NOT NOT small IN (3, 1)"), "small IN (1, 3)");
    CHECK_EQ_STR(bound_text("NOT (small IN (3, 1, 3) AND score IS NAN)"), "(small NOT IN (1, 3) OR score IS NOT NAN)");
    /* IN lists are sorted and deduplicated; one value is an equality. */
    CHECK_EQ_STR(bound_text("small in (7, 7)"), "small = 7");
    CHECK_EQ_STR(bound_text("small not in (7)"), "small != 7");
    /* Null tests on columns that can never be null fold. */
    CHECK_EQ_STR(bound_text("id IS NULL"), "false");
    CHECK_EQ_STR(bound_text("id IS NOT NULL AND small = 1"), "small = 1");
    /* info.city is required but inside an optional struct: it can be null. */
    CHECK_EQ_STR(bound_text("info.city IS NULL"), "info.city IS NULL");
    /* Literals beyond the type's range. */
    CHECK_EQ_STR(bound_text("small < 3000000000"), "small IS NOT NULL");
    CHECK_EQ_STR(bound_text("small > 3000000000"), "false");
    CHECK_EQ_STR(bound_text("small != -3000000000"), "small IS NOT NULL");
    CHECK_EQ_STR(bound_text("id < 99999999999999999999"), "true");
    CHECK_EQ_STR(bound_text("small IN (3000000000, 5)"), "small = 5");
    CHECK_EQ_STR(bound_text("small IN (3000000000)"), "false");
    CHECK_EQ_STR(bound_text("small NOT IN (3000000000)"), "small IS NOT NULL");
    CHECK_EQ_STR(bound_text("TRUE AND NOT FALSE"), "true");
    CHECK_EQ_STR(bound_text("FALSE OR small = 2"), "small = 2");
    /* NaN literals become NaN tests. */
    CHECK_EQ_STR(bound_text("score = 'NaN'"), "score IS NAN");
    CHECK_EQ_STR(bound_text("NOT score = 'nan'"), "score IS NOT NAN");
    /* Literals take the column's type; columns resolve ignoring case. */
    CHECK_EQ_STR(bound_text("TS >= '2017-11-16 10:00:00'"), "ts >= '2017-11-16T10:00:00'");
    CHECK_EQ_STR(bound_text("tstz < '2017-11-16T10:00:00+02:00'"), "tstz < '2017-11-16T08:00:00+00:00'");
    CHECK_EQ_STR(bound_text("day = '2017-11-16'"), "day = '2017-11-16'");
    CHECK_EQ_STR(bound_text("price > 3"), "price > 3.00");
    CHECK_EQ_STR(bound_text("price in ('1.5', 2.25)"), "price IN (1.50, 2.25)");
    CHECK_EQ_STR(bound_text("id = '42'"), "id = 42");
    CHECK_EQ_STR(bound_text("f = 0.1 AND ok = 'TRUE'"), "(f = 0.1 AND ok = true)");
    CHECK_EQ_STR(bound_text("u = 'F79C3E09-677C-4D6E-A2AB-7B0CAB6CB4C3'"), "u = 'f79c3e09-677c-4d6e-a2ab-7b0cab6cb4c3'");
    CHECK_EQ_STR(bound_text("info.city = 'Paris'"), "info.city = 'Paris'");
    CHECK_EQ_STR(bound_text("name = 'it''s'"), "name = 'it''s'");
}

TEST(bind_slots) {
    floe_err err = {0};
    floe_expr *b = bind("small = 1 OR (name = 'a' AND small > 5) OR id < 3", &err);
    CHECK(b != NULL);
    if (!b) return;
    CHECK_EQ_INT(b->nids, 3);
    CHECK_EQ_INT(b->ids[0], 7);
    CHECK_EQ_INT(b->ids[1], 2);
    CHECK_EQ_INT(b->ids[2], 1);
    floe_expr_free(b);
}

/* ---- rows ---------------------------------------------------------------- */

static floe_ice_datum num(int64_t i) {
    floe_ice_datum d = {0};
    d.i = i;
    return d;
}
static floe_ice_datum dbl(double v) {
    floe_ice_datum d = {0};
    d.d = v;
    return d;
}
static floe_ice_datum str(const char *s) {
    floe_ice_datum d = {0};
    d.p = (const uint8_t *)s;
    d.n = strlen(s);
    return d;
}
static const floe_ice_datum NUL = {1, 0, 0, NULL, 0};

/* Evaluates a filter over one column (slot 0) on value v. */
static int eval1(const char *text, floe_ice_datum v) {
    floe_err err = {0};
    floe_expr *b = bind(text, &err);
    if (!b) {
        fprintf(stderr, "  bind %s: %s\n", text, err.msg);
        return -1;
    }
    int r = floe_expr_eval(b, &v);
    floe_expr_free(b);
    return r;
}

TEST(eval_rows) {
    CHECK_EQ_INT(eval1("small < 5", num(4)), 1);
    CHECK_EQ_INT(eval1("small < 5", num(5)), 0);
    CHECK_EQ_INT(eval1("small <= 5", num(5)), 1);
    CHECK_EQ_INT(eval1("small > 5", num(6)), 1);
    CHECK_EQ_INT(eval1("small >= 6", num(5)), 0);
    CHECK_EQ_INT(eval1("small != 5", num(6)), 1);
    CHECK_EQ_INT(eval1("small IN (1, 9, 4)", num(4)), 1);
    CHECK_EQ_INT(eval1("small IN (1, 9, 4)", num(5)), 0);
    CHECK_EQ_INT(eval1("small NOT IN (1, 9, 4)", num(5)), 1);
    /* SQL nulls: no comparison holds, under NOT either. */
    CHECK_EQ_INT(eval1("small = 5", NUL), 0);
    CHECK_EQ_INT(eval1("small != 5", NUL), 0);
    CHECK_EQ_INT(eval1("NOT small = 5", NUL), 0);
    CHECK_EQ_INT(eval1("small NOT IN (1)", NUL), 0);
    CHECK_EQ_INT(eval1("NOT (small < 3 AND small > 8)", NUL), 0);
    CHECK_EQ_INT(eval1("small IS NULL", NUL), 1);
    CHECK_EQ_INT(eval1("NOT small IS NULL", num(1)), 1);
    CHECK_EQ_INT(eval1("small < 3000000000", NUL), 0);
    CHECK_EQ_INT(eval1("small < 3000000000", num(INT32_MAX)), 1);
    /* NaN: false in every comparison, true in != and NOT IN. */
    CHECK_EQ_INT(eval1("score > 1", dbl(NAN)), 0);
    CHECK_EQ_INT(eval1("score < 1", dbl(NAN)), 0);
    CHECK_EQ_INT(eval1("score = 1", dbl(NAN)), 0);
    CHECK_EQ_INT(eval1("score != 1", dbl(NAN)), 1);
    CHECK_EQ_INT(eval1("score IN (1, 2)", dbl(NAN)), 0);
    CHECK_EQ_INT(eval1("score NOT IN (1, 2)", dbl(NAN)), 1);
    CHECK_EQ_INT(eval1("score = 'NaN'", dbl(NAN)), 1);
    CHECK_EQ_INT(eval1("score IS NOT NAN", dbl(1)), 1);
    CHECK_EQ_INT(eval1("score IS NOT NAN", NUL), 1);
    CHECK_EQ_INT(eval1("score IS NAN", NUL), 0);
    CHECK_EQ_INT(eval1("score = 0", dbl(-0.0)), 1);
    CHECK_EQ_INT(eval1("score >= 1e300", dbl(INFINITY)), 1);
    CHECK_EQ_INT(eval1("f = 0.1", dbl((float)0.1)), 1);
    /* Strings compare by bytes (code points). */
    CHECK_EQ_INT(eval1("name < 'b'", str("abc")), 1);
    CHECK_EQ_INT(eval1("name < 'abc'", str("ab")), 1);
    CHECK_EQ_INT(eval1("name > 'z'", str("\xc3\xa9")), 1);
    CHECK_EQ_INT(eval1("name = 'it''s'", str("it's")), 1);
    CHECK_EQ_INT(eval1("name IN ('x', 'it''s')", str("it's")), 1);
    CHECK_EQ_INT(eval1("name = ''", str("")), 1);
    /* Timestamps against their text. */
    int64_t ts;
    CHECK_OK(floe_parse_timestamp("2017-11-16T10:00:00", 19, FLOE_UNIT_MICROS, &ts), &(floe_err){0});
    CHECK_EQ_INT(eval1("ts > '2017-11-16T10:00:00'", num(ts)), 0);
    CHECK_EQ_INT(eval1("ts > '2017-11-16T10:00:00'", num(ts + 1)), 1);
    CHECK_EQ_INT(eval1("ts >= '2017-11-16'", num(ts)), 1);
    /* Decimals compare numerically whatever their byte lengths. */
    uint8_t d150[2] = {0x00, 0x96}; /* 150 = 1.50 */
    floe_ice_datum dec = {0, 0, 0, d150, 2};
    CHECK_EQ_INT(eval1("price = 1.5", dec), 1);
    CHECK_EQ_INT(eval1("price < '1.51'", dec), 1);
    CHECK_EQ_INT(eval1("price > -1", dec), 1);
}

TEST(eval_rows_several_columns) {
    floe_err err = {0};
    floe_expr *b = bind("(small = 1 OR name = 'a') AND NOT ts IS NULL", &err);
    CHECK(b != NULL);
    if (!b) return;
    /* slots: small, name, ts */
    floe_ice_datum row[3] = {num(2), str("a"), num(5)};
    CHECK_EQ_INT(floe_expr_eval(b, row), 1);
    row[2] = NUL;
    CHECK_EQ_INT(floe_expr_eval(b, row), 0);
    row[2] = num(5);
    row[1] = str("b");
    CHECK_EQ_INT(floe_expr_eval(b, row), 0);
    row[0] = num(1);
    CHECK_EQ_INT(floe_expr_eval(b, row), 1);
    floe_expr_free(b);
}

/* ---- projection ------------------------------------------------------------ */

static floe_ice_partition_field pfield(int32_t source, int32_t id, const char *name, int kind, int32_t param) {
    floe_ice_partition_field f;
    memset(&f, 0, sizeof f);
    f.source_id = source;
    f.field_id = id;
    f.name = (char *)name;
    f.transform.kind = kind;
    f.transform.param = param;
    return f;
}

/* The projection of text onto a one-field spec, as text. */
static const char *projected(const char *text, floe_ice_partition_field f) {
    floe_ice_partition_spec spec = {0, &f, 1};
    return expr_text(text, &spec);
}

TEST(project_identity) {
    floe_ice_partition_field f = pfield(7, 1000, "small", FLOE_XF_IDENTITY, 0);
    CHECK_EQ_STR(projected("small < 5", f), "small < 5");
    CHECK_EQ_STR(projected("small != 5", f), "small != 5");
    CHECK_EQ_STR(projected("small NOT IN (1, 2)", f), "small NOT IN (1, 2)");
    CHECK_EQ_STR(projected("small IS NULL", f), "small IS NULL");
    CHECK_EQ_STR(projected("small = 1 AND name = 'x'", f), "small = 1");
    CHECK_EQ_STR(projected("small = 1 OR name = 'x'", f), "true");
    floe_ice_partition_field g = pfield(5, 1000, "score", FLOE_XF_IDENTITY, 0);
    CHECK_EQ_STR(projected("score IS NAN", g), "score IS NAN");
}

TEST(project_bucket) {
    floe_ice_partition_field f = pfield(1, 1000, "id_bucket", FLOE_XF_BUCKET, 16);
    /* Spec appendix B: hash(34L) = 2017239379, bucket[16] = 3. */
    CHECK_EQ_STR(projected("id = 34", f), "id_bucket = 3");
    CHECK_EQ_STR(projected("id IN (34, 1, 7, 100)", f), "id_bucket IN (0, 3, 4)");
    CHECK_EQ_STR(projected("id < 34", f), "true");
    CHECK_EQ_STR(projected("id != 34", f), "true");
    CHECK_EQ_STR(projected("id NOT IN (34, 1)", f), "true");
    floe_ice_partition_field g = pfield(2, 1000, "name_bucket", FLOE_XF_BUCKET, 16);
    CHECK_EQ_STR(projected("name IS NOT NULL", g), "name_bucket IS NOT NULL");
}

TEST(project_truncate) {
    floe_ice_partition_field f = pfield(7, 1000, "small_trunc", FLOE_XF_TRUNCATE, 10);
    CHECK_EQ_STR(projected("small < 100", f), "small_trunc <= 90");
    CHECK_EQ_STR(projected("small <= 100", f), "small_trunc <= 100");
    CHECK_EQ_STR(projected("small > 100", f), "small_trunc >= 100");
    CHECK_EQ_STR(projected("small > 99", f), "small_trunc >= 100");
    CHECK_EQ_STR(projected("small >= 99", f), "small_trunc >= 90");
    CHECK_EQ_STR(projected("small = -1", f), "small_trunc = -10");
    CHECK_EQ_STR(projected("small IN (5, 15, 7)", f), "small_trunc IN (0, 10)");
    CHECK_EQ_STR(projected("small != 5", f), "true");
    /* At the edge of the type the boundary cannot move: no projection. */
    CHECK_EQ_STR(projected("small > 2147483647", f), "true");
    CHECK_EQ_STR(projected("small < -2147483648", f), "true");
    floe_ice_partition_field s = pfield(2, 1000, "name_trunc", FLOE_XF_TRUNCATE, 3);
    CHECK_EQ_STR(projected("name < 'abcdef'", s), "name_trunc <= 'abc'");
    CHECK_EQ_STR(projected("name >= 'abcdef'", s), "name_trunc >= 'abc'");
    CHECK_EQ_STR(projected("name = 'ab'", s), "name_trunc = 'ab'");
    CHECK_EQ_STR(projected("name IN ('abcd', 'abce', 'x')", s), "name_trunc IN ('abc', 'x')");
    CHECK_EQ_STR(projected("name != 'abc'", s), "true");
    floe_ice_partition_field d = pfield(4, 1000, "price_trunc", FLOE_XF_TRUNCATE, 50);
    /* price < 10.00 is unscaled < 1000: trunc(999, 50) = 950 = 9.50 */
    CHECK_EQ_STR(projected("price < 10", d), "price_trunc <= 9.50");
    CHECK_EQ_STR(projected("price > 10", d), "price_trunc >= 10.00");
    CHECK_EQ_STR(projected("price > '-0.01'", d), "price_trunc >= 0.00");
}

TEST(project_time) {
    floe_ice_partition_field day = pfield(3, 1000, "ts_day", FLOE_XF_DAY, 0);
    /* The spec's example: ts > X projects to ts_day >= day(X). */
    floe_err err = {0};
    floe_expr *b = bind("ts > '2017-11-16T10:00:00'", &err);
    CHECK(b != NULL);
    if (b) {
        floe_ice_partition_spec spec = {0, &day, 1};
        floe_expr *p = floe_expr_project(b, &spec);
        CHECK_EQ_INT(p->root->kind, FLOE_EXPR_PRED);
        CHECK_EQ_INT(p->root->op, FLOE_OP_GT_EQ);
        CHECK_EQ_INT(p->root->field_id, 1000);
        CHECK_EQ_INT(p->root->type->kind, FLOE_ICE_DATE);
        CHECK_EQ_INT(p->root->values[0].i, 17486);
        floe_expr_free(p);
        floe_expr_free(b);
    }
    CHECK_EQ_STR(projected("ts > '2017-11-16T10:00:00'", day), "ts_day >= '2017-11-16'");
    /* < X closes to <= X - 1us: midnight excludes its own day. */
    CHECK_EQ_STR(projected("ts < '2017-11-16T00:00:00'", day), "ts_day <= '2017-11-15'");
    CHECK_EQ_STR(projected("ts < '2017-11-16T00:00:01'", day), "ts_day <= '2017-11-16'");
    CHECK_EQ_STR(projected("ts <= '2017-11-16T00:00:00'", day), "ts_day <= '2017-11-16'");
    CHECK_EQ_STR(projected("ts = '2017-11-16T23:59:59'", day), "ts_day = '2017-11-16'");
    CHECK_EQ_STR(projected("ts IN ('2017-11-16T01:00:00', '2017-11-16T02:00:00')", day), "ts_day = '2017-11-16'");
    CHECK_EQ_STR(projected("ts != '2017-11-16T01:00:00'", day), "true");
    CHECK_EQ_STR(projected("ts IS NULL", day), "ts_day IS NULL");
    /* Before 1970 old writers stored one too high: admit that value too. */
    CHECK_EQ_STR(projected("ts = '1969-12-31T10:00:00'", day), "ts_day IN ('1969-12-31', '1970-01-01')");
    CHECK_EQ_STR(projected("ts < '1969-12-31T10:00:00'", day), "ts_day <= '1970-01-01'");
    CHECK_EQ_STR(projected("ts > '1969-12-31T10:00:00'", day), "ts_day >= '1969-12-31'");
    floe_ice_partition_field hour = pfield(3, 1000, "ts_hour", FLOE_XF_HOUR, 0);
    CHECK_EQ_STR(projected("ts >= '1970-01-01T05:30:00'", hour), "ts_hour >= 5");
    floe_ice_partition_field month = pfield(3, 1000, "ts_month", FLOE_XF_MONTH, 0);
    CHECK_EQ_STR(projected("ts < '2017-11-01'", month), "ts_month <= 573");
    floe_ice_partition_field year = pfield(3, 1000, "ts_year", FLOE_XF_YEAR, 0);
    CHECK_EQ_STR(projected("ts >= '2017-11-01'", year), "ts_year >= 47");
    /* Dates: day is the identity, no widening for negative days. */
    floe_ice_partition_field dday = pfield(6, 1000, "day_day", FLOE_XF_DAY, 0);
    CHECK_EQ_STR(projected("day < '1969-12-31'", dday), "day_day <= '1969-12-30'");
    floe_ice_partition_field dmonth = pfield(6, 1000, "day_month", FLOE_XF_MONTH, 0);
    CHECK_EQ_STR(projected("day = '1969-11-05'", dmonth), "day_month IN (-2, -1)");
    floe_ice_partition_field tzday = pfield(15, 1000, "tstz_day", FLOE_XF_DAY, 0);
    CHECK_EQ_STR(projected("tstz >= '2017-11-16T01:00:00+02:00'", tzday), "tstz_day >= '2017-11-15'");
}

TEST(project_void_and_several_fields) {
    floe_ice_partition_field v = pfield(7, 1000, "small_null", FLOE_XF_VOID, 0);
    CHECK_EQ_STR(projected("small = 3", v), "true");
    CHECK_EQ_STR(projected("small IS NULL", v), "true");
    floe_ice_partition_field fs[2] = {pfield(3, 1000, "ts_day", FLOE_XF_DAY, 0), pfield(3, 1001, "ts_hour", FLOE_XF_HOUR, 0)};
    floe_ice_partition_spec spec = {1, fs, 2};
    floe_err err = {0};
    floe_expr *b = bind("ts >= '1970-01-02T01:00:00' OR small = 1", &err);
    floe_expr *c = bind("ts >= '1970-01-02T01:00:00'", &err);
    CHECK(b && c);
    if (b && c) {
        floe_expr *p = floe_expr_project(b, &spec), *q = floe_expr_project(c, &spec);
        floe_buf t;
        floe_buf_init(&t);
        floe_expr_to_string(p, &t);
        CHECK_EQ_STR(floe_buf_cstr(&t), "true");
        t.len = 0;
        floe_expr_to_string(q, &t);
        CHECK_EQ_STR(floe_buf_cstr(&t), "(ts_day >= '1970-01-02' AND ts_hour >= 25)");
        /* Slots are the spec's field positions: a tuple is the value array. */
        CHECK_EQ_INT(q->root->right->slot, 1);
        floe_ice_datum tuple[2] = {num(1), num(24)};
        CHECK_EQ_INT(floe_expr_eval(q, tuple), 0);
        tuple[1] = num(25);
        CHECK_EQ_INT(floe_expr_eval(q, tuple), 1);
        tuple[1] = NUL;
        CHECK_EQ_INT(floe_expr_eval(q, tuple), 0);
        floe_buf_free(&t);
        floe_expr_free(p);
        floe_expr_free(q);
    }
    floe_expr_free(b);
    floe_expr_free(c);
}

/* ---- manifest summaries ---------------------------------------------------------- */

static uint8_t le4[8][4];

static floe_ice_field_summary summary(int has_bounds, int32_t lo, int32_t hi, int contains_null) {
    static int k;
    floe_ice_field_summary s;
    memset(&s, 0, sizeof s);
    s.contains_null = contains_null;
    if (has_bounds) {
        uint8_t *a = le4[k++ & 7], *b = le4[k++ & 7];
        for (int i = 0; i < 4; i++) {
            a[i] = (uint8_t)((uint32_t)lo >> (8 * i));
            b[i] = (uint8_t)((uint32_t)hi >> (8 * i));
        }
        s.lower = a;
        s.nlower = 4;
        s.upper = b;
        s.nupper = 4;
    }
    return s;
}

static int eval_summary(const char *text, floe_ice_partition_field f, floe_ice_field_summary s) {
    floe_ice_partition_spec spec = {0, &f, 1};
    floe_err err = {0};
    floe_expr *b = bind(text, &err);
    if (!b) {
        fprintf(stderr, "  bind %s: %s\n", text, err.msg);
        return -1;
    }
    floe_expr *p = floe_expr_project(b, &spec);
    int r = floe_expr_eval_summaries(p, &s, 1);
    floe_expr_free(p);
    floe_expr_free(b);
    return r;
}

TEST(eval_summaries) {
    floe_ice_partition_field day = pfield(3, 1000, "ts_day", FLOE_XF_DAY, 0);
    floe_ice_field_summary nov = summary(1, 17480, 17490, 0); /* 2017-11-10 .. 2017-11-20 */
    CHECK_EQ_INT(eval_summary("ts > '2017-11-16T10:00:00'", day, nov), 1);
    CHECK_EQ_INT(eval_summary("ts > '2017-11-20T10:00:00'", day, nov), 1);
    CHECK_EQ_INT(eval_summary("ts >= '2017-11-21'", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts < '2017-11-10'", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts < '2017-11-10T00:00:01'", day, nov), 1);
    CHECK_EQ_INT(eval_summary("ts = '2017-12-01T00:00:00'", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts IN ('2017-12-01', '2017-11-01')", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts IN ('2017-12-01', '2017-11-11')", day, nov), 1);
    CHECK_EQ_INT(eval_summary("ts IS NULL", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts IS NOT NULL", day, nov), 1);
    CHECK_EQ_INT(eval_summary("ts = '2017-12-01' OR ts IS NULL", day, nov), 0);
    CHECK_EQ_INT(eval_summary("ts = '2017-12-01' OR small = 2", day, nov), 1);
    /* All null: no bounds. */
    floe_ice_field_summary nulls = summary(0, 0, 0, 1);
    CHECK_EQ_INT(eval_summary("ts IS NULL", day, nulls), 1);
    CHECK_EQ_INT(eval_summary("ts IS NOT NULL", day, nulls), 0);
    CHECK_EQ_INT(eval_summary("ts < '2017-11-16'", day, nulls), 0);
    /* != excludes only a manifest holding that single value and no null. */
    floe_ice_partition_field ident = pfield(7, 1000, "small", FLOE_XF_IDENTITY, 0);
    CHECK_EQ_INT(eval_summary("small != 5", ident, summary(1, 5, 5, 0)), 0);
    CHECK_EQ_INT(eval_summary("small != 5", ident, summary(1, 5, 5, 1)), 1);
    CHECK_EQ_INT(eval_summary("small != 5", ident, summary(1, 4, 5, 0)), 1);
    CHECK_EQ_INT(eval_summary("small NOT IN (4, 5)", ident, summary(1, 5, 5, 0)), 0);
    /* Fields past the summaries the manifest has say nothing. */
    floe_ice_partition_spec spec = {0, &ident, 1};
    floe_err err = {0};
    floe_expr *b = bind("small = 9", &err), *p = floe_expr_project(b, &spec);
    CHECK_EQ_INT(floe_expr_eval_summaries(p, NULL, 0), 1);
    floe_expr_free(p);
    floe_expr_free(b);
}

/* ---- file metrics ------------------------------------------------------------------ */

typedef struct metrics_file {
    floe_ice_data_file f;
    floe_ice_metric values[4], nulls[4], nans[4];
    floe_ice_bound lower[4], upper[4];
} metrics_file;

static void mf_init(metrics_file *m, int64_t records) {
    memset(m, 0, sizeof *m);
    m->f.record_count = records;
    m->f.value_counts = m->values;
    m->f.null_value_counts = m->nulls;
    m->f.nan_value_counts = m->nans;
    m->f.lower_bounds = m->lower;
    m->f.upper_bounds = m->upper;
}

static void mf_counts(metrics_file *m, int32_t id, int64_t values, int64_t nulls, int64_t nans) {
    m->values[m->f.nvalue_counts++] = (floe_ice_metric){id, values};
    m->nulls[m->f.nnull_value_counts++] = (floe_ice_metric){id, nulls};
    if (nans >= 0) m->nans[m->f.nnan_value_counts++] = (floe_ice_metric){id, nans};
}

static void mf_bounds(metrics_file *m, int32_t id, const void *lo, uint32_t nlo, const void *hi, uint32_t nhi) {
    if (lo) m->lower[m->f.nlower_bounds++] = (floe_ice_bound){id, (uint8_t *)lo, nlo};
    if (hi) m->upper[m->f.nupper_bounds++] = (floe_ice_bound){id, (uint8_t *)hi, nhi};
}

static int eval_metrics(const char *text, const metrics_file *m) {
    floe_err err = {0};
    floe_expr *b = bind(text, &err);
    if (!b) {
        fprintf(stderr, "  bind %s: %s\n", text, err.msg);
        return -1;
    }
    int r = floe_expr_eval_metrics(b, &m->f);
    floe_expr_free(b);
    return r;
}

TEST(metrics_ranges) {
    metrics_file m;
    mf_init(&m, 10);
    uint8_t lo[8] = {10}, hi[8] = {20}; /* id in [10, 20] */
    mf_counts(&m, 1, 10, 0, -1);
    mf_bounds(&m, 1, lo, 8, hi, 8);
    CHECK_EQ_INT(eval_metrics("id < 10", &m), 0);
    CHECK_EQ_INT(eval_metrics("id < 11", &m), 1);
    CHECK_EQ_INT(eval_metrics("id <= 10", &m), 1);
    CHECK_EQ_INT(eval_metrics("id > 20", &m), 0);
    CHECK_EQ_INT(eval_metrics("id >= 20", &m), 1);
    CHECK_EQ_INT(eval_metrics("id = 21", &m), 0);
    CHECK_EQ_INT(eval_metrics("id = 9", &m), 0);
    CHECK_EQ_INT(eval_metrics("id = 15", &m), 1);
    CHECK_EQ_INT(eval_metrics("id IN (1, 2, 30)", &m), 0);
    CHECK_EQ_INT(eval_metrics("id IN (1, 12)", &m), 1);
    CHECK_EQ_INT(eval_metrics("id != 15", &m), 1);
    CHECK_EQ_INT(eval_metrics("id = 21 OR id = 3", &m), 0);
    CHECK_EQ_INT(eval_metrics("NOT (id >= 10)", &m), 0);
    /* Columns without metrics may match anything; empty files nothing. */
    CHECK_EQ_INT(eval_metrics("small = 3", &m), 1);
    m.f.record_count = 0;
    CHECK_EQ_INT(eval_metrics("small = 3", &m), 0);
    m.f.record_count = -1;
    CHECK_EQ_INT(eval_metrics("id = 99", &m), 1);
    /* Over 200 IN values are not checked. */
    m.f.record_count = 10;
    floe_buf big;
    floe_buf_init(&big);
    floe_buf_puts(&big, "id IN (100");
    for (int i = 101; i < 302; i++) floe_buf_printf(&big, ", %d", i);
    floe_buf_putc(&big, ')');
    CHECK_EQ_INT(eval_metrics(floe_buf_cstr(&big), &m), 1);
    floe_buf_free(&big);
}

TEST(metrics_single_value_and_nulls) {
    metrics_file m;
    mf_init(&m, 5);
    uint8_t seven[4] = {7};
    mf_counts(&m, 7, 5, 0, -1);
    mf_bounds(&m, 7, seven, 4, seven, 4);
    CHECK_EQ_INT(eval_metrics("small != 7", &m), 0);
    CHECK_EQ_INT(eval_metrics("small NOT IN (1, 7)", &m), 0);
    CHECK_EQ_INT(eval_metrics("small != 8", &m), 1);
    CHECK_EQ_INT(eval_metrics("small IS NULL", &m), 0);
    m.nulls[0].value = 1;
    CHECK_EQ_INT(eval_metrics("small != 7", &m), 1);
    CHECK_EQ_INT(eval_metrics("small IS NULL", &m), 1);
    /* An all-null column: no comparison can match, IS NULL can. */
    metrics_file n;
    mf_init(&n, 4);
    mf_counts(&n, 2, 4, 4, -1);
    CHECK_EQ_INT(eval_metrics("name = 'a'", &n), 0);
    CHECK_EQ_INT(eval_metrics("name < 'a'", &n), 0);
    CHECK_EQ_INT(eval_metrics("name IN ('a', 'b')", &n), 0);
    CHECK_EQ_INT(eval_metrics("name IS NOT NULL", &n), 0);
    CHECK_EQ_INT(eval_metrics("name IS NULL", &n), 1);
    CHECK_EQ_INT(eval_metrics("name != 'a'", &n), 1);
}

TEST(metrics_truncated_strings) {
    /* Values "abcdefghijklmnopqrstuvwxyz" and "abd": bounds truncated to 4
     * code points, the upper one rounded up ("abd" is exact). */
    metrics_file m;
    mf_init(&m, 2);
    mf_counts(&m, 2, 2, 0, -1);
    mf_bounds(&m, 2, "abcd", 4, "abd", 3);
    CHECK_EQ_INT(eval_metrics("name = 'abcdefghijklmnopqrstuvwxyz'", &m), 1);
    CHECK_EQ_INT(eval_metrics("name = 'abc'", &m), 0);
    CHECK_EQ_INT(eval_metrics("name > 'abcz'", &m), 1);
    CHECK_EQ_INT(eval_metrics("name > 'abd'", &m), 0);
    CHECK_EQ_INT(eval_metrics("name < 'abcd'", &m), 0);
    CHECK_EQ_INT(eval_metrics("name <= 'abcd'", &m), 1);
    /* A truncated upper bound rounded up: values up to "abcdzzzz..." */
    metrics_file t;
    mf_init(&t, 2);
    mf_counts(&t, 2, 2, 0, -1);
    mf_bounds(&t, 2, "abca", 4, "abce", 4);
    CHECK_EQ_INT(eval_metrics("name = 'abcdzzzzzzzz'", &t), 1);
    CHECK_EQ_INT(eval_metrics("name >= 'abce'", &t), 1);
    CHECK_EQ_INT(eval_metrics("name > 'abce'", &t), 0);
    /* A unique value needs exact bounds; truncated ones never prune !=. */
    CHECK_EQ_INT(eval_metrics("name != 'abca'", &t), 1);
    /* Bytes that are not UTF-8 are no usable bound. */
    metrics_file bad;
    mf_init(&bad, 2);
    mf_bounds(&bad, 2, "\xff\xfe", 2, "\xff\xff", 2);
    CHECK_EQ_INT(eval_metrics("name = 'a'", &bad), 1);
}

TEST(metrics_nan) {
    double one = 1.0, two = 2.0, nan = NAN;
    /* score in [1, 2] plus NaNs: bounds exclude NaN. */
    metrics_file m;
    mf_init(&m, 5);
    mf_counts(&m, 5, 5, 0, 2);
    mf_bounds(&m, 5, &one, 8, &two, 8);
    CHECK_EQ_INT(eval_metrics("score > 2", &m), 0);
    CHECK_EQ_INT(eval_metrics("score IS NAN", &m), 1);
    CHECK_EQ_INT(eval_metrics("score IS NOT NAN", &m), 1);
    CHECK_EQ_INT(eval_metrics("score != 1", &m), 1);
    /* Only NaN values: nothing compares, NOT NAN cannot match. */
    metrics_file n;
    mf_init(&n, 3);
    mf_counts(&n, 5, 3, 0, 3);
    CHECK_EQ_INT(eval_metrics("score < 5", &n), 0);
    CHECK_EQ_INT(eval_metrics("score IS NOT NAN", &n), 0);
    CHECK_EQ_INT(eval_metrics("score IS NAN", &n), 1);
    /* No NaN counted: IS NAN cannot match. */
    metrics_file z;
    mf_init(&z, 3);
    mf_counts(&z, 5, 3, 0, 0);
    mf_bounds(&z, 5, &one, 8, &two, 8);
    CHECK_EQ_INT(eval_metrics("score IS NAN", &z), 0);
    CHECK_EQ_INT(eval_metrics("score != 1", &z), 1);
    /* A NaN lower bound (writers that let NaN in) bounds nothing. */
    metrics_file w;
    mf_init(&w, 3);
    mf_bounds(&w, 5, &nan, 8, &nan, 8);
    CHECK_EQ_INT(eval_metrics("score < 0", &w), 1);
    CHECK_EQ_INT(eval_metrics("score = 0", &w), 1);
    CHECK_EQ_INT(eval_metrics("score > 0", &w), 1);
    /* -0.0 and 0.0 bound each other. */
    double pz = 0.0, nz = -0.0;
    metrics_file s;
    mf_init(&s, 1);
    mf_bounds(&s, 5, &pz, 8, &pz, 8);
    CHECK_EQ_INT(eval_metrics("score = -0.0", &s), 1);
    mf_init(&s, 1);
    mf_bounds(&s, 5, &nz, 8, &nz, 8);
    CHECK_EQ_INT(eval_metrics("score = 0", &s), 1);
    /* float bounds for a float column promoted to double read as 4 bytes */
    float f1 = 1.5f;
    metrics_file p;
    mf_init(&p, 1);
    mf_bounds(&p, 5, &f1, 4, &f1, 4);
    CHECK_EQ_INT(eval_metrics("score = 1.5", &p), 1);
    CHECK_EQ_INT(eval_metrics("score > 1.5", &p), 0);
}

TEST_MAIN(T(parse_errors), T(parse_forms), T(bind_errors), T(bind_rewrites), T(bind_slots), T(eval_rows),
          T(eval_rows_several_columns), T(project_identity), T(project_bucket), T(project_truncate), T(project_time),
          T(project_void_and_several_fields), T(eval_summaries), T(metrics_ranges), T(metrics_single_value_and_nulls),
          T(metrics_truncated_strings), T(metrics_nan))
