/*
 * test_metrics.c — data file metrics from a real Parquet file written by
 * floe_pq_writer for an Iceberg schema: sizes and counts per field id,
 * NaN counts, bounds in single-value form for every primitive type
 * (decimals of all three physical forms to minimal bytes), string bounds
 * truncated by code points with the upper one rounded up, binary upper
 * bounds dropped when they cannot be rounded up, nothing but sizes for
 * list elements, and the metrics modes of the table properties.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "iceberg/manifest.h"
#include "test.h"

static int mem_write(void *ctx, const void *data, size_t len, floe_err *err) {
    (void)err;
    floe_buf_append(ctx, data, len);
    return 0;
}

static const char SCHEMA_JSON[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":4,\"name\":\"big\",\"required\":false,\"type\":\"decimal(20, 2)\"},"
    "{\"id\":5,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":6,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":7,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":8,"
    "\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":9,\"name\":\"b\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":10,\"name\":\"flag\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":11,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":12,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":13,\"name\":\"mid\",\"required\":false,\"type\":\"decimal(18, 2)\"},"
    "{\"id\":14,\"name\":\"st\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":15,\"name\":\"x\",\"required\":false,\"type\":\"int\"}]}}]}";

enum { L_ID, L_NAME, L_PRICE, L_BIG, L_F, L_TS, L_TAG, L_B, L_FLAG, L_D, L_U, L_MID, L_X, NLEAVES };

static const uint8_t UUID1[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
                                  0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};
static const uint8_t UUID2[16] = {0x01, 0x02};

typedef struct file {
    floe_ice_schema *schema;
    floe_pq_schema *pq;
    floe_pq_writer *w;
    floe_buf bytes;
} file;

/* Repeats the UTF-8 character c n times. */
static void rep(floe_buf *b, const char *c, int n) {
    for (int i = 0; i < n; i++) floe_buf_puts(b, c);
}

/* Three rows exercising every column (see the expectations below). */
static int write_file(file *f) {
    floe_err err = {0};
    memset(f, 0, sizeof *f);
    f->schema = floe_ice_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &err);
    if (!f->schema) return fprintf(stderr, "  schema: %s\n", err.msg), -1;
    f->pq = floe_ice_schema_to_parquet(f->schema, &err);
    if (!f->pq || f->pq->nleaves != NLEAVES) return fprintf(stderr, "  parquet schema: %s\n", err.msg), -1;
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    floe_buf_init(&f->bytes);
    f->w = floe_pq_writer_new(f->pq, &o, mem_write, &f->bytes, &err);
    if (!f->w) return fprintf(stderr, "  writer: %s\n", err.msg), -1;
    floe_pq_writer *w = f->w;
    floe_buf emoji, zs, ff;
    floe_buf_init(&emoji);
    floe_buf_init(&zs);
    floe_buf_init(&ff);
    rep(&emoji, "\xf0\x9f\x98\x80", 20); /* 20 x U+1F600, 80 bytes */
    rep(&zs, "z", 21);
    for (int i = 0; i < 20; i++) floe_buf_putc(&ff, 0xFF);
    static const uint8_t big[3][9] = {
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x0c}, {0}, {0, 0, 0, 0, 0, 0, 0, 0x02, 0xbc}};

    /* row 0 */
    floe_pq_write_i64(w, L_ID, 1, 0);
    floe_pq_write_bytes(w, L_NAME, "apple", 5, 0);
    floe_pq_write_i32(w, L_PRICE, 150, 0);
    floe_pq_write_bytes(w, L_BIG, big[0], 9, 0); /* -5.00 */
    floe_pq_write_float(w, L_F, NAN, 0);
    floe_pq_write_i64(w, L_TS, 1510871468123456LL, 0);
    floe_pq_write_bytes(w, L_TAG, "x", 1, 0);
    floe_pq_write_bytes(w, L_TAG, "y", 1, 1);
    floe_pq_write_bytes(w, L_B, "\x00\x01", 2, 0);
    floe_pq_write_bool(w, L_FLAG, 1, 0);
    floe_pq_write_i32(w, L_D, 17486, 0);
    floe_pq_write_bytes(w, L_U, UUID1, 16, 0);
    floe_pq_write_i64(w, L_MID, 100, 0);
    floe_pq_write_i32(w, L_X, 7, 0);
    if (floe_pq_writer_end_row(w, &err)) return -1;
    /* row 1 */
    floe_pq_write_i64(w, L_ID, 5, 0);
    floe_pq_write_bytes(w, L_NAME, emoji.data, (uint32_t)emoji.len, 0);
    floe_pq_write_i32(w, L_PRICE, -225, 0);
    floe_pq_write_null(w, L_BIG, 0, 0);
    floe_pq_write_float(w, L_F, 2.5f, 0);
    floe_pq_write_null(w, L_TS, 0, 0);
    floe_pq_write_null(w, L_TAG, 0, 0);
    floe_pq_write_bytes(w, L_B, ff.data, (uint32_t)ff.len, 0);
    floe_pq_write_bool(w, L_FLAG, 0, 0);
    floe_pq_write_null(w, L_D, 0, 0);
    floe_pq_write_null(w, L_U, 0, 0);
    floe_pq_write_i64(w, L_MID, -100, 0);
    floe_pq_write_null(w, L_X, 0, 0);
    if (floe_pq_writer_end_row(w, &err)) return -1;
    /* row 2 */
    floe_pq_write_i64(w, L_ID, -3, 0);
    floe_pq_write_bytes(w, L_NAME, zs.data, (uint32_t)zs.len, 0);
    floe_pq_write_null(w, L_PRICE, 0, 0);
    floe_pq_write_bytes(w, L_BIG, big[2], 9, 0); /* 7.00 */
    floe_pq_write_float(w, L_F, -0.0f, 0);
    floe_pq_write_i64(w, L_TS, 1, 0);
    floe_pq_write_null(w, L_TAG, 1, 0); /* an empty list */
    floe_pq_write_null(w, L_B, 0, 0);
    floe_pq_write_null(w, L_FLAG, 0, 0);
    floe_pq_write_i32(w, L_D, 0, 0);
    floe_pq_write_bytes(w, L_U, UUID2, 16, 0);
    floe_pq_write_null(w, L_MID, 0, 0);
    floe_pq_write_null(w, L_X, 1, 0);
    if (floe_pq_writer_end_row(w, &err)) return -1;
    floe_buf_free(&emoji);
    floe_buf_free(&zs);
    floe_buf_free(&ff);
    if (floe_pq_writer_close(w, &err)) return fprintf(stderr, "  close: %s\n", err.msg), -1;
    return 0;
}

static void file_free(file *f) {
    floe_pq_writer_free(f->w);
    floe_pq_schema_free(f->pq);
    floe_ice_schema_free(f->schema);
    floe_buf_free(&f->bytes);
}

static const floe_ice_metric *find_metric(const floe_ice_metric *m, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (m[i].field_id == id) return &m[i];
    return NULL;
}

static int64_t count(const floe_ice_metric *m, int n, int32_t id) {
    const floe_ice_metric *x = find_metric(m, n, id);
    return x ? x->value : -1;
}

static const floe_ice_bound *find_bound(const floe_ice_bound *b, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (b[i].field_id == id) return &b[i];
    return NULL;
}

static int bound_is(const floe_ice_bound *b, int n, int32_t id, const void *want, uint32_t len) {
    const floe_ice_bound *x = find_bound(b, n, id);
    if (!x) {
        fprintf(stderr, "  no bound for field %d\n", (int)id);
        return 0;
    }
    if (x->n != len || memcmp(x->p, want, len) != 0) {
        fprintf(stderr, "  bound for field %d is ", (int)id);
        for (uint32_t i = 0; i < x->n; i++) fprintf(stderr, "%02x", x->p[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

static int metrics_with(file *f, const char *const *kv, int nkv, floe_ice_data_file *out) {
    floe_props props;
    floe_props_init(&props);
    for (int i = 0; i < nkv; i++) floe_props_set(&props, kv[2 * i], kv[2 * i + 1]);
    floe_err err = {0};
    memset(out, 0, sizeof *out);
    int rc = floe_ice_metrics_from_parquet(f->schema, f->pq, f->w, nkv ? &props : NULL, out, &err);
    if (rc) fprintf(stderr, "  metrics: %s\n", err.msg);
    floe_props_free(&props);
    return rc;
}

#define LO(id, lit) CHECK(bound_is(m.lower_bounds, m.nlower_bounds, id, lit, sizeof lit - 1))
#define HI(id, lit) CHECK(bound_is(m.upper_bounds, m.nupper_bounds, id, lit, sizeof lit - 1))

TEST(default_metrics_truncate_16) {
    file f;
    CHECK(write_file(&f) == 0);
    floe_ice_data_file m;
    CHECK(metrics_with(&f, NULL, 0, &m) == 0);
    CHECK_EQ_INT(m.record_count, 3);
    CHECK_EQ_INT(m.file_size_in_bytes, (int64_t)f.bytes.len);
    CHECK(m.nsplit_offsets == 1 && m.split_offsets[0] == 4);
    /* Sizes for every leaf, list elements included. */
    CHECK_EQ_INT(m.ncolumn_sizes, NLEAVES);
    for (int i = 0; i < f.pq->nleaves; i++)
        CHECK_EQ_INT(count(m.column_sizes, m.ncolumn_sizes, f.pq->leaves[i]->field_id),
                     floe_pq_writer_stats(f.w, i)->compressed_size);
    CHECK(m.ncolumn_sizes > 0 && m.column_sizes[0].field_id == 1 && m.column_sizes[NLEAVES - 1].field_id == 15);
    /* Counts for all but the list element. */
    CHECK_EQ_INT(m.nvalue_counts, NLEAVES - 1);
    CHECK_EQ_INT(count(m.value_counts, m.nvalue_counts, 8), -1);
    CHECK_EQ_INT(count(m.value_counts, m.nvalue_counts, 1), 3);
    CHECK_EQ_INT(count(m.value_counts, m.nvalue_counts, 15), 3);
    CHECK_EQ_INT(count(m.null_value_counts, m.nnull_value_counts, 1), 0);
    CHECK_EQ_INT(count(m.null_value_counts, m.nnull_value_counts, 5), 0); /* NaN is not null */
    CHECK_EQ_INT(count(m.null_value_counts, m.nnull_value_counts, 3), 1);
    CHECK_EQ_INT(count(m.null_value_counts, m.nnull_value_counts, 15), 2);
    CHECK_EQ_INT(count(m.null_value_counts, m.nnull_value_counts, 8), -1);
    CHECK_EQ_INT(m.nnan_value_counts, 1);
    CHECK_EQ_INT(count(m.nan_value_counts, m.nnan_value_counts, 5), 1);
    /* Bounds. */
    LO(1, "\xfd\xff\xff\xff\xff\xff\xff\xff");
    HI(1, "\x05\0\0\0\0\0\0\0");
    LO(2, "apple");
    /* 20 x U+1F600 -> 16 code points, the last one incremented. */
    floe_buf want;
    floe_buf_init(&want);
    rep(&want, "\xf0\x9f\x98\x80", 15);
    floe_buf_puts(&want, "\xf0\x9f\x98\x81");
    CHECK(bound_is(m.upper_bounds, m.nupper_bounds, 2, want.data, (uint32_t)want.len));
    LO(3, "\xff\x1f"); /* -2.25 */
    HI(3, "\x00\x96"); /* 1.50 */
    LO(4, "\xfe\x0c"); /* -5.00 from a 9-byte fixed */
    HI(4, "\x02\xbc"); /* 7.00 */
    LO(5, "\x00\x00\x00\x80"); /* -0.0: NaN is no bound */
    HI(5, "\x00\x00\x20\x40"); /* 2.5 */
    LO(6, "\x01\0\0\0\0\0\0\0");
    HI(6, "\x40\xa5\x28\x2d\x21\x5e\x05\x00");
    CHECK(!find_bound(m.lower_bounds, m.nlower_bounds, 8) && !find_bound(m.upper_bounds, m.nupper_bounds, 8));
    LO(9, "\x00\x01");
    /* 20 x 0xFF has no 16-byte upper bound. */
    CHECK(find_bound(m.upper_bounds, m.nupper_bounds, 9) == NULL);
    LO(10, "\x00");
    HI(10, "\x01");
    LO(11, "\x00\x00\x00\x00");
    HI(11, "\x4e\x44\x00\x00");
    CHECK(bound_is(m.lower_bounds, m.nlower_bounds, 12, UUID2, 16));
    CHECK(bound_is(m.upper_bounds, m.nupper_bounds, 12, UUID1, 16));
    LO(13, "\x9c"); /* -1.00 from INT64 */
    HI(13, "\x64");
    LO(15, "\x07\x00\x00\x00");
    HI(15, "\x07\x00\x00\x00");
    /* Every bound reads back as a value of its field's type. */
    for (int i = 0; i < m.nlower_bounds; i++) {
        floe_err err = {0};
        floe_ice_datum d;
        const floe_ice_field *fld = floe_ice_schema_field_by_id(f.schema, m.lower_bounds[i].field_id);
        CHECK_OK(floe_ice_value_from_bytes(fld->type, m.lower_bounds[i].p, m.lower_bounds[i].n, &d, &err), &err);
    }
    floe_buf_free(&want);
    floe_ice_data_file_free(&m);
    file_free(&f);
}

TEST(metrics_modes_from_properties) {
    file f;
    CHECK(write_file(&f) == 0);
    floe_ice_data_file m;
    const char *counts[] = {"write.metadata.metrics.default", "counts"};
    CHECK(metrics_with(&f, counts, 1, &m) == 0);
    CHECK(m.ncolumn_sizes == NLEAVES && m.nvalue_counts == NLEAVES - 1 && m.nnan_value_counts == 1);
    CHECK(m.nlower_bounds == 0 && m.nupper_bounds == 0);
    floe_ice_data_file_free(&m);

    const char *none[] = {"write.metadata.metrics.default", "None"};
    CHECK(metrics_with(&f, none, 1, &m) == 0);
    CHECK(m.ncolumn_sizes == 0 && m.nvalue_counts == 0 && m.nlower_bounds == 0 && m.record_count == 3);
    floe_ice_data_file_free(&m);

    const char *trunc2[] = {"write.metadata.metrics.default", "truncate(2)"};
    CHECK(metrics_with(&f, trunc2, 1, &m) == 0);
    LO(2, "ap");
    HI(2, "\xf0\x9f\x98\x80\xf0\x9f\x98\x81");
    LO(9, "\x00\x01");
    CHECK(find_bound(m.upper_bounds, m.nupper_bounds, 9) == NULL);
    LO(3, "\xff\x1f"); /* other types are never truncated */
    floe_ice_data_file_free(&m);

    /* full: no truncation beyond what the Parquet writer kept (64 bytes). */
    const char *full[] = {"write.metadata.metrics.default", "full", "write.metadata.metrics.column.st.x", "counts",
                          "write.metadata.metrics.column.name", "none"};
    CHECK(metrics_with(&f, full, 3, &m) == 0);
    CHECK(find_bound(m.lower_bounds, m.nlower_bounds, 2) == NULL && count(m.column_sizes, m.ncolumn_sizes, 2) == -1);
    CHECK(count(m.value_counts, m.nvalue_counts, 15) == 3 && !find_bound(m.lower_bounds, m.nlower_bounds, 15));
    const floe_ice_bound *b = find_bound(m.upper_bounds, m.nupper_bounds, 9);
    CHECK(b && b->n == 20); /* 20 x 0xFF kept whole */
    floe_ice_data_file_free(&m);

    /* An unparsable mode falls back to the default, as Java does. */
    const char *bogus[] = {"write.metadata.metrics.default", "truncate(0)"};
    CHECK(metrics_with(&f, bogus, 1, &m) == 0);
    HI(2, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
          "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
          "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x81");
    floe_ice_data_file_free(&m);

    /* More primitive columns than the inferred limit: the first ones in
     * Java's order (top-level primitives first) keep truncate(16). */
    const char *limit[] = {"write.metadata.metrics.max-inferred-column-defaults", "3"};
    CHECK(metrics_with(&f, limit, 1, &m) == 0);
    CHECK_EQ_INT(m.ncolumn_sizes, 3);
    CHECK(count(m.column_sizes, m.ncolumn_sizes, 1) > 0 && count(m.column_sizes, m.ncolumn_sizes, 2) > 0 &&
          count(m.column_sizes, m.ncolumn_sizes, 3) > 0);
    LO(3, "\xff\x1f");
    floe_ice_data_file_free(&m);
    const char *limit_with_column[] = {"write.metadata.metrics.max-inferred-column-defaults", "3",
                                       "write.metadata.metrics.column.tags.element", "full"};
    CHECK(metrics_with(&f, limit_with_column, 2, &m) == 0);
    CHECK_EQ_INT(m.ncolumn_sizes, 4);
    CHECK(count(m.column_sizes, m.ncolumn_sizes, 8) > 0);
    floe_ice_data_file_free(&m);
    file_free(&f);
}

TEST(metrics_need_a_closed_writer) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &err);
    floe_pq_schema *pq = floe_ice_schema_to_parquet(s, &err);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    floe_buf bytes;
    floe_buf_init(&bytes);
    floe_pq_writer *w = floe_pq_writer_new(pq, &o, mem_write, &bytes, &err);
    floe_ice_data_file m = {0};
    CHECK(floe_ice_metrics_from_parquet(s, pq, w, NULL, &m, &err) == -1);
    CHECK(strstr(err.msg, "not closed") != NULL);
    floe_pq_writer_free(w);
    floe_pq_schema_free(pq);
    floe_ice_schema_free(s);
    floe_buf_free(&bytes);
}

TEST_MAIN(T(default_metrics_truncate_16), T(metrics_modes_from_properties), T(metrics_need_a_closed_writer))
