/*
 * test_reader.c — the Parquet reader against the parquet-testing corpus
 * (values checked against the corpus' *_expect.csv files and, for nested
 * files, JSON checked by hand against the corpus docs and the hyparquet
 * reader), every bad_data file and every encrypted file (must fail cleanly),
 * and small files crafted here with meta.c's writers to reach the checks no
 * corpus file reaches (hostile counts, levels, indices, encodings).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/floe.h"
#include "format/parquet/encoding.h"
#include "format/parquet/meta.h"
#include "test.h"
#include "util/mem.h"

#define DATA "/work/shared/parquet-testing/data/"
#define BAD "/work/shared/parquet-testing/bad_data/"

/* ---- helpers ----------------------------------------------------------------- */

static floe_pq_reader *open_path(const char *path) {
    floe_err err = {0};
    floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
    if (!r) fprintf(stderr, "  open %s: %s\n", path, err.msg);
    return r;
}

/* All rows of a file (selected leaves, or all) as newline-joined JSON. */
static char *rows_json(floe_pq_reader *r, const int *leaves, int n, floe_err *err) {
    floe_pq_row_reader *rr = floe_pq_rows_open(r, leaves, n, err);
    if (!rr) return NULL;
    floe_buf b;
    floe_buf_init(&b);
    int rc;
    while ((rc = floe_pq_rows_next_json(rr, &b, err)) == 1) floe_buf_putc(&b, '\n');
    floe_pq_rows_free(rr);
    char *s = rc < 0 ? NULL : floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return s;
}

static char *file_json(const char *path) {
    floe_pq_reader *r = open_path(path);
    if (!r) return NULL;
    floe_err err = {0};
    char *s = rows_json(r, NULL, 0, &err);
    if (!s) fprintf(stderr, "  rows %s: %s\n", path, err.msg);
    floe_pq_reader_free(r);
    return s;
}

/* The first line of s (without its newline). */
static char *line(const char *s, int k) {
    for (int i = 0; i < k && s; i++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s) return floe_xstrdup("(none)");
    const char *e = strchr(s, '\n');
    return floe_xstrndup(s, e ? (size_t)(e - s) : strlen(s));
}

#define CHECK_LINE(all, k, want)            \
    do {                                    \
        char *l_ = line((all), (k));        \
        CHECK_EQ_STR(l_, (want));           \
        free(l_);                           \
    } while (0)

/* The file's rows: line k (or all of them, k < 0) must be `want`. */
static void expect_rows(const char *path, int k, const char *want) {
    char *j = file_json(path);
    CHECK(j != NULL);
    if (j && k >= 0) CHECK_LINE(j, k, want);
    if (j && k < 0) CHECK_EQ_STR(j, want);
    free(j);
}

/* Reads every column of every row group and every row; returns the first
 * error's code (FLOE_OK when the file reads). */
static int read_everything(floe_pq_reader *r, floe_err *err) {
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    for (int g = 0; g < floe_pq_reader_num_row_groups(r); g++)
        for (int c = 0; c < s->nleaves; c++) {
            floe_pq_column_reader *cr = floe_pq_column_open(r, g, c, err);
            if (!cr) return err->code;
            floe_pq_batch b;
            int rc;
            while ((rc = floe_pq_column_next(cr, 1000, &b, err)) == 1) {
            }
            floe_pq_column_free(cr);
            if (rc < 0) return err->code;
        }
    char *j = rows_json(r, NULL, 0, err);
    if (!j) return err->code;
    free(j);
    return FLOE_OK;
}

/* ---- CSV expectations ------------------------------------------------------- */

/* Splits one CSV line into fields; quoted fields may hold commas and "".
 * null[i] is set for an unquoted empty field. */
static int csv_fields(const char *s, char **out, int *null, int max) {
    int n = 0;
    while (n < max) {
        floe_buf f;
        floe_buf_init(&f);
        int quoted = *s == '"';
        if (quoted) {
            s++;
            while (*s && !(*s == '"' && s[1] != '"')) {
                if (*s == '"') s++;
                floe_buf_putc(&f, (uint8_t)*s++);
            }
            if (*s == '"') s++;
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r') floe_buf_putc(&f, (uint8_t)*s++);
        }
        null[n] = !quoted && f.len == 0;
        out[n++] = floe_xstrdup(floe_buf_cstr(&f));
        floe_buf_free(&f);
        if (*s != ',') break;
        s++;
    }
    return n;
}

/* A column's values as text (integers, raw bytes), NULL for nulls, read
 * through floe_pq_column_next in small batches. */
static char **column_text(floe_pq_reader *r, int leaf, size_t *count, floe_err *err) {
    *count = 0;
    floe_pq_column_reader *cr = floe_pq_column_open(r, 0, leaf, err);
    if (!cr) return NULL;
    size_t n = 0, cap = 16;
    char **v = floe_xmalloc(cap * sizeof *v);
    floe_pq_batch b;
    int rc;
    while ((rc = floe_pq_column_next(cr, 37, &b, err)) == 1) {
        size_t vi = 0;
        for (size_t i = 0; i < b.n; i++) {
            if (n == cap) v = floe_xrealloc(v, (cap *= 2) * sizeof *v);
            if (b.def && b.def[i] < floe_pq_reader_schema(r)->leaves[leaf]->max_def) {
                v[n++] = NULL;
                continue;
            }
            char tmp[32];
            if (b.physical == FLOE_PQ_INT32) {
                snprintf(tmp, sizeof tmp, "%d", (int)b.v.i32[vi]);
                v[n++] = floe_xstrdup(tmp);
            } else if (b.physical == FLOE_PQ_INT64) {
                snprintf(tmp, sizeof tmp, "%lld", (long long)b.v.i64[vi]);
                v[n++] = floe_xstrdup(tmp);
            } else {
                v[n++] = floe_xstrndup((const char *)b.v.bytes[vi].ptr, b.v.bytes[vi].len);
            }
            vi++;
        }
        CHECK_EQ_INT(vi, b.nvalues);
    }
    floe_pq_column_free(cr);
    *count = n;
    if (rc < 0) {
        for (size_t i = 0; i < n; i++) free(v[i]);
        free(v);
        return NULL;
    }
    return v;
}

static void check_against_csv(const char *name) {
    char path[512], csv[512];
    snprintf(path, sizeof path, DATA "%s.parquet", name);
    snprintf(csv, sizeof csv, DATA "%s_expect.csv", name);
    floe_pq_reader *r = open_path(path);
    CHECK(r != NULL);
    if (!r) return;
    FILE *f = fopen(csv, "r");
    CHECK(f != NULL);
    if (!f) {
        floe_pq_reader_free(r);
        return;
    }
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    CHECK_EQ_INT(floe_pq_reader_num_row_groups(r), 1);
    int ncol = s->nleaves;
    char ***cols = floe_xcalloc((size_t)ncol, sizeof *cols);
    size_t nrows = 0;
    floe_err err = {0};
    for (int c = 0; c < ncol; c++) {
        size_t k = 0;
        cols[c] = column_text(r, c, &k, &err);
        if (!cols[c]) fprintf(stderr, "  %s column %d: %s\n", name, c, err.msg);
        CHECK(cols[c] != NULL);
        if (c == 0) nrows = k;
        CHECK_EQ_INT(k, nrows);
    }
    CHECK_EQ_INT(nrows, floe_pq_reader_num_rows(r));
    char buf[1 << 16];
    size_t row = 0, mismatches = 0;
    CHECK(fgets(buf, sizeof buf, f) != NULL); /* header */
    while (fgets(buf, sizeof buf, f)) {
        char *fld[256];
        int isnull[256];
        int nf = csv_fields(buf, fld, isnull, 256);
        CHECK_EQ_INT(nf, ncol);
        for (int c = 0; c < nf && c < ncol && row < nrows; c++) {
            const char *got = cols[c] ? cols[c][row] : "(unread)";
            int ok = isnull[c] ? got == NULL : got != NULL && strcmp(got, fld[c]) == 0;
            if (!ok && mismatches++ < 5)
                fprintf(stderr, "  %s row %zu col %d: got %s want %s\n", name, row, c, got ? got : "null",
                        isnull[c] ? "null" : fld[c]);
        }
        for (int c = 0; c < nf; c++) free(fld[c]);
        row++;
    }
    CHECK_EQ_INT(row, nrows);
    CHECK_EQ_INT(mismatches, 0);
    fclose(f);
    for (int c = 0; c < ncol; c++) {
        for (size_t i = 0; cols[c] && i < nrows; i++) free(cols[c][i]);
        free(cols[c]);
    }
    free(cols);
    floe_pq_reader_free(r);
}

TEST(delta_binary_packed_matches_csv) { check_against_csv("delta_binary_packed"); }
TEST(delta_byte_array_matches_csv) { check_against_csv("delta_byte_array"); }
TEST(delta_optional_matches_csv) { check_against_csv("delta_encoding_optional_column"); }
TEST(delta_required_matches_csv) { check_against_csv("delta_encoding_required_column"); }

/* ---- corpus files ------------------------------------------------------------ */

TEST(alltypes_plain_footer_and_columns) {
    floe_pq_reader *r = open_path(DATA "alltypes_plain.parquet");
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_INT(floe_pq_reader_num_rows(r), 8);
    CHECK_EQ_INT(floe_pq_reader_num_row_groups(r), 1);
    CHECK_EQ_INT(floe_pq_reader_row_group_rows(r, 0), 8);
    CHECK_EQ_INT(floe_pq_reader_row_group_rows(r, 1), -1);
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    CHECK_EQ_INT(s->nleaves, 11);
    CHECK_EQ_STR(s->leaves[0]->name, "id");
    CHECK_EQ_STR(s->leaves[10]->name, "timestamp_col");
    CHECK(floe_pq_reader_created_by(r) != NULL && strstr(floe_pq_reader_created_by(r), "impala") != NULL);

    floe_err err = {0};
    floe_pq_column_reader *c = floe_pq_column_open(r, 0, 0, &err);
    CHECK(c != NULL);
    floe_pq_batch b;
    CHECK_EQ_INT(floe_pq_column_next(c, 100, &b, &err), 1);
    static const int32_t ids[] = {4, 5, 6, 7, 2, 3, 0, 1};
    CHECK_EQ_INT(b.n, 8);
    CHECK_EQ_INT(b.nvalues, 8);
    CHECK(b.def != NULL && b.rep == NULL);
    for (int i = 0; i < 8 && i < (int)b.nvalues; i++) CHECK_EQ_INT(b.v.i32[i], ids[i]);
    CHECK_EQ_INT(floe_pq_column_next(c, 100, &b, &err), 0);
    floe_pq_column_free(c);

    c = floe_pq_column_open(r, 0, 1, &err); /* bool_col: PLAIN bit-packed booleans */
    CHECK_EQ_INT(floe_pq_column_next(c, 3, &b, &err), 1);
    CHECK_EQ_INT(b.n, 3);
    CHECK(b.physical == FLOE_PQ_BOOLEAN && b.v.b[0] == 1 && b.v.b[1] == 0 && b.v.b[2] == 1);
    floe_pq_column_free(c);

    c = floe_pq_column_open(r, 0, 10, &err); /* timestamp_col: INT96 as 12-byte slices */
    CHECK_EQ_INT(floe_pq_column_next(c, 100, &b, &err), 1);
    CHECK(b.physical == FLOE_PQ_INT96 && b.v.bytes[0].len == 12);
    floe_pq_column_free(c);

    floe_pq_chunk_info ci;
    CHECK_EQ_INT(floe_pq_reader_chunk_info(r, 0, 0, &ci), 0);
    CHECK_EQ_INT(ci.num_values, 8);
    CHECK_EQ_INT(ci.codec, FLOE_PQ_CODEC_UNCOMPRESSED);
    CHECK_EQ_INT(floe_pq_reader_chunk_info(r, 1, 0, &ci), -1);

    char *j = rows_json(r, NULL, 0, &err);
    CHECK(j != NULL);
    if (j) {
        /* hyparquet agrees on every value (it prints the INT96 as a Date). */
        CHECK_LINE(j, 0,
                   "{\"id\":4,\"bool_col\":true,\"tinyint_col\":0,\"smallint_col\":0,\"int_col\":0,\"bigint_col\":0,"
                   "\"float_col\":0,\"double_col\":0,\"date_string_col\":\"MDMvMDEvMDk=\",\"string_col\":\"MA==\","
                   "\"timestamp_col\":\"2009-03-01T00:00:00.000000000\"}");
        CHECK_LINE(j, 1,
                   "{\"id\":5,\"bool_col\":false,\"tinyint_col\":1,\"smallint_col\":1,\"int_col\":1,\"bigint_col\":10,"
                   "\"float_col\":1.1,\"double_col\":10.1,\"date_string_col\":\"MDMvMDEvMDk=\",\"string_col\":\"MQ==\","
                   "\"timestamp_col\":\"2009-03-01T00:01:00.000000000\"}");
        CHECK_LINE(j, 8, "");
    }
    free(j);

    /* Projection: only the selected leaves appear, in schema order. */
    int sel[] = {9, 0};
    j = rows_json(r, sel, 2, &err);
    CHECK(j != NULL);
    if (j) CHECK_LINE(j, 7, "{\"id\":1,\"string_col\":\"MQ==\"}");
    free(j);
    int bad[] = {11};
    CHECK(floe_pq_rows_open(r, bad, 1, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    floe_pq_reader_free(r);
}

TEST(nested_lists) {
    char *j = file_json(DATA "nested_lists.snappy.parquet");
    CHECK(j != NULL);
    if (!j) return;
    CHECK_LINE(j, 0, "{\"a\":[[[\"a\",\"b\"],[\"c\"]],[null,[\"d\"]]],\"b\":1}");
    CHECK_LINE(j, 2, "{\"a\":[[[\"a\",\"b\"],[\"c\",\"d\"],[\"e\"]],[null,[\"f\"]]],\"b\":1}");
    free(j);
}

TEST(nested_maps) {
    char *j = file_json(DATA "nested_maps.snappy.parquet");
    CHECK(j != NULL);
    if (!j) return;
    /* Integer keys print as their text; a null map and an empty map differ. */
    CHECK_LINE(j, 0, "{\"a\":{\"a\":{\"1\":true,\"2\":false}},\"b\":1,\"c\":1}");
    CHECK_LINE(j, 2, "{\"a\":{\"c\":null},\"b\":1,\"c\":1}");
    CHECK_LINE(j, 3, "{\"a\":{\"d\":{}},\"b\":1,\"c\":1}");
    CHECK_LINE(j, 5, "{\"a\":{\"f\":{\"3\":true,\"4\":false,\"5\":true}},\"b\":1,\"c\":1}");
    free(j);
}

TEST(legacy_lists_and_repeated_fields) {
    /* old_list_structure.md: LIST<LIST<INT32>> in two-level form holding [[1, 2], [3, 4]]. */
    expect_rows(DATA "old_list_structure.parquet", -1, "{\"a\":[[1,2],[3,4]]}\n");
    /* A repeated group without annotation is a list of its values. */
    char *j = file_json(DATA "repeated_no_annotation.parquet");
    CHECK(j != NULL);
    if (j) {
        CHECK_LINE(j, 0, "{\"id\":1,\"phoneNumbers\":null}");
        CHECK_LINE(j, 2, "{\"id\":3,\"phoneNumbers\":{\"phone\":[]}}");
        CHECK_LINE(j, 5,
                   "{\"id\":6,\"phoneNumbers\":{\"phone\":[{\"number\":1111111111,\"kind\":\"home\"},"
                   "{\"number\":2222222222,\"kind\":null},{\"number\":3333333333,\"kind\":\"mobile\"}]}}");
    }
    free(j);
    expect_rows(DATA "repeated_primitive_no_list.parquet", 1,
                "{\"Int32_list\":[],\"String_list\":[\"three\"],\"group_of_lists\":{\"Int32_list_in_group\":[],"
                "\"String_list_in_group\":[\"three\"]}}");
    /* null_list.parquet was written from {"emptylist":[]}. */
    expect_rows(DATA "null_list.parquet", -1, "{\"emptylist\":[]}\n");
}

TEST(maps_without_values_and_optional_keys) {
    /* map_no_value.md: three rows of {k -> null}; the value-less map alike. */
    expect_rows(DATA "map_no_value.parquet", 1,
                "{\"my_map\":{\"4\":null,\"5\":null,\"6\":null},\"my_map_no_v\":{\"4\":null,\"5\":null,\"6\":null},"
                "\"my_list\":[4,5,6]}");
    expect_rows(DATA "incorrect_map_schema.parquet", -1, "{\"my_map\":{\"parent\":\"another\",\"name\":\"report\"}}\n");
}

TEST(impala_nested_nulls_and_empties) {
    char *j = file_json(DATA "nullable.impala.parquet");
    CHECK(j != NULL);
    if (!j) return;
    CHECK_LINE(j, 2,
               "{\"id\":3,\"int_array\":[],\"int_array_Array\":[null],\"int_map\":{},\"int_Map_Array\":[null,null],"
               "\"nested_struct\":{\"A\":null,\"b\":null,\"C\":{\"d\":[]},\"g\":{}}}");
    CHECK_LINE(j, 5,
               "{\"id\":6,\"int_array\":null,\"int_array_Array\":null,\"int_map\":null,\"int_Map_Array\":null,"
               "\"nested_struct\":null}");
    CHECK_LINE(j, 6,
               "{\"id\":7,\"int_array\":null,\"int_array_Array\":[null,[5,6]],\"int_map\":{\"k1\":null,\"k3\":null},"
               "\"int_Map_Array\":null,\"nested_struct\":{\"A\":7,\"b\":[2,3,null],\"C\":{\"d\":[[],[null],null]},"
               "\"g\":null}}");
    free(j);

    /* Selecting only a map's value leaf still brings its keys. */
    floe_pq_reader *r = open_path(DATA "nullable.impala.parquet");
    const floe_pq_node *v = floe_pq_schema_find(floe_pq_reader_schema(r), "int_map.map.value");
    CHECK(v != NULL);
    if (v) {
        floe_err err = {0};
        int sel = v->leaf_index;
        j = rows_json(r, &sel, 1, &err);
        CHECK(j != NULL);
        if (j) CHECK_LINE(j, 1, "{\"int_map\":{\"k1\":2,\"k2\":null}}");
        free(j);
    }
    floe_pq_reader_free(r);
}

TEST(encodings_and_codecs_in_corpus) {
    expect_rows(DATA "rle_boolean_encoding.parquet", 2, "{\"datatype_boolean\":null}");
    expect_rows(DATA "byte_stream_split.zstd.parquet", 0, "{\"f32\":1.7640524,\"f64\":-1.3065268517353166}");
    /* Dictionary-encoded page after dictionary_page_offset 0. */
    expect_rows(DATA "dict-page-offset-zero.parquet", 0, "{\"l_partkey\":1552}");
    /* Data page v2 with no bytes at all for a null value (snappy would reject them). */
    expect_rows(DATA "datapage_v2_empty_datapage.snappy.parquet", -1, "{\"value\":null}\n");
    expect_rows(DATA "datapage_v2.snappy.parquet", 3, "{\"a\":null,\"b\":4,\"c\":5,\"d\":false,\"e\":[1,2,3]}");
    static const char *const all[] = {"hadoop_lz4_compressed", "non_hadoop_lz4_compressed", "lz4_raw_compressed",
                                      "concatenated_gzip_members", "page_v2_empty_compressed", "delta_length_byte_array",
                                      "byte_stream_split_extended.gzip", "fixed_length_decimal", "int32_with_null_pages",
                                      "overflow_i16_page_cnt", "alltypes_dictionary", "nonnullable.impala"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "%s.parquet", all[i]);
        floe_pq_reader *r = open_path(path);
        CHECK(r != NULL);
        floe_err err = {0};
        int code = r ? read_everything(r, &err) : -1;
        if (code != FLOE_OK) fprintf(stderr, "  %s: %s\n", all[i], err.msg);
        CHECK_EQ_INT(code, FLOE_OK);
        floe_pq_reader_free(r);
    }
}

TEST(batches_stop_at_max_and_span_pages) {
    floe_pq_reader *r = open_path(DATA "alltypes_tiny_pages.parquet");
    CHECK(r != NULL);
    if (!r) return;
    floe_err err = {0};
    floe_pq_column_reader *c = floe_pq_column_open(r, 0, 0, &err);
    floe_pq_batch b;
    int rc, batches = 0;
    int64_t total = 0, sum = 0;
    while ((rc = floe_pq_column_next(c, 7, &b, &err)) == 1) {
        CHECK(b.n >= 1 && b.n <= 7);
        for (size_t i = 0; i < b.nvalues; i++) sum += b.v.i32[i];
        total += (int64_t)b.n;
        batches++;
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(total, 7300);
    CHECK_EQ_INT(sum, 7299LL * 7300 / 2); /* ids 0..7299, each once */
    CHECK(batches > 7300 / 7);            /* short batches at page ends */
    CHECK_EQ_INT(floe_pq_column_next(c, 0, &b, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    floe_pq_column_free(c);
    floe_pq_reader_free(r);
}

static int keep_second(void *ctx, const floe_pq_reader *r, int rg) {
    (*(int *)ctx)++;
    floe_pq_chunk_info ci;
    return floe_pq_reader_chunk_info(r, rg, 0, &ci) == 0 && rg == 1;
}

TEST(row_group_filter_and_metadata) {
    floe_pq_reader *r = open_path(DATA "sort_columns.parquet");
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_INT(floe_pq_reader_num_row_groups(r), 2);
    floe_err err = {0};
    char *all = rows_json(r, NULL, 0, &err);
    floe_pq_row_reader *rr = floe_pq_rows_open(r, NULL, 0, &err);
    int calls = 0;
    floe_pq_rows_set_filter(rr, keep_second, &calls);
    floe_buf b;
    floe_buf_init(&b);
    int n = 0;
    while (floe_pq_rows_next_json(rr, &b, &err) == 1) {
        floe_buf_putc(&b, '\n');
        n++;
    }
    CHECK_EQ_INT(calls, 2);
    CHECK_EQ_INT(n, floe_pq_reader_row_group_rows(r, 1));
    /* The kept rows are the second group's: the tail of the unfiltered read. */
    CHECK(all && strlen(all) >= b.len && strcmp(all + strlen(all) - b.len, floe_buf_cstr(&b)) == 0);
    floe_buf_free(&b);
    free(all);
    floe_pq_rows_free(rr);

    floe_pq_chunk_info ci;
    CHECK_EQ_INT(floe_pq_reader_chunk_info(r, 0, 0, &ci), 0);
    CHECK(ci.stats.has_min_max && ci.stats.min_len == 8 && ci.stats.max_len == 8);
    CHECK(ci.has_null_count && ci.stats.null_count == 1);
    floe_pq_reader_free(r);

    r = open_path(DATA "int96_from_spark.parquet");
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_STR(floe_pq_reader_kv_get(r, "org.apache.spark.version"), "3.4.3");
    CHECK(floe_pq_reader_kv_get(r, "no.such.key") == NULL);
    const char *const *keys, *const *values;
    int nkv = floe_pq_reader_kv(r, &keys, &values);
    CHECK_EQ_INT(nkv, 2);
    CHECK(nkv >= 1 && strcmp(keys[0], "org.apache.spark.version") == 0 && strcmp(values[0], "3.4.3") == 0);
    floe_pq_reader_free(r);

    /* NaN bounds (pyarrow 0.8) prove nothing and are dropped. */
    r = open_path(DATA "nan_in_stats.parquet");
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_INT(floe_pq_reader_chunk_info(r, 0, 0, &ci), 0);
    CHECK_EQ_INT(ci.stats.has_min_max, 0);
    floe_pq_reader_free(r);
}

/* ---- files that must fail ------------------------------------------------------ */

TEST(bad_data_fails_cleanly) {
    static const char *const files[] = {"ARROW-GH-41317", "ARROW-GH-41321", "ARROW-GH-45185",
                                        "ARROW-GH-47662", "ARROW-RS-GH-6229-DICTHEADER", "ARROW-RS-GH-6229-LEVELS",
                                        "PARQUET-1481"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, BAD "%s.parquet", files[i]);
        floe_err err = {0};
        floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
        int code = r ? read_everything(r, &err) : err.code;
        if (code != FLOE_ECORRUPT) fprintf(stderr, "  %s: code %d: %s\n", files[i], code, err.msg);
        CHECK_EQ_INT(code, FLOE_ECORRUPT);
        CHECK(strstr(err.msg, files[i]) != NULL); /* messages name the file */
        floe_pq_reader_free(r);
    }
    /* ARROW-GH-43605 is in bad_data for crashing a reader, but it is valid:
     * bit width 0 dictionary indices over a one-entry dictionary (Arrow's fix
     * reads it, as does hyparquet). */
    floe_pq_reader *r = open_path(BAD "ARROW-GH-43605.parquet");
    floe_err err = {0};
    CHECK(r != NULL && read_everything(r, &err) == FLOE_OK);
    floe_pq_reader_free(r);
}

TEST(encrypted_files_are_unsupported) {
    static const char *const files[] = {
        "encrypt_columns_and_footer", "encrypt_columns_and_footer_aad", "encrypt_columns_and_footer_bloom_filter",
        "encrypt_columns_and_footer_ctr", "encrypt_columns_and_footer_disable_aad_storage",
        "encrypt_columns_plaintext_footer", "external_key_material_java", "uniform_encryption",
        "aes256/encrypt_columns_and_footer", "aes256/encrypt_columns_plaintext_footer", "aes256/uniform_encryption"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "%s.parquet.encrypted", files[i]);
        floe_err err = {0};
        floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
        CHECK(r == NULL);
        CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
        CHECK(strstr(err.msg, "encryption") != NULL);
        floe_pq_reader_free(r);
    }
    floe_err err = {0};
    CHECK(floe_pq_reader_open_file(DATA "no-such-file.parquet", &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
}

/* ---- crafted files ---------------------------------------------------------------- */

typedef struct mem_file { const uint8_t *p; size_t n; } mem_file;

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    mem_file *m = ctx;
    if (off > m->n || len > m->n - off) return floe_err_set(err, FLOE_EIO, "short read");
    memcpy(buf, m->p + off, len);
    return 0;
}

/* One column "x" of `physical` (FIXED width 4) at `rep`, inside an optional
 * group "g" when `wrap`; pages appended by add_page; craft_open writes the
 * footer. */
typedef struct craft {
    floe_buf f;
    int physical, rep, codec, wrap;
    int64_t num_values, num_rows;
    int64_t total_size_delta; /* added to the true chunk size */
    const char *file_path;
} craft;

static void craft_init(craft *c, int physical, int rep) {
    memset(c, 0, sizeof *c);
    floe_buf_init(&c->f);
    floe_buf_append(&c->f, "PAR1", 4);
    c->physical = physical;
    c->rep = rep;
}

static void add_page(craft *c, floe_pq_page_header *h, const void *body, size_t n) {
    if (!h->compressed_page_size) h->compressed_page_size = (int32_t)n;
    if (!h->uncompressed_page_size) h->uncompressed_page_size = (int32_t)n;
    floe_pq_page_header_write(h, &c->f);
    floe_buf_append(&c->f, body, n);
}

static void data_page(craft *c, int32_t num_values, int encoding, const void *body, size_t n) {
    floe_pq_page_header h = {0};
    h.type = FLOE_PQ_PAGE_DATA;
    h.has_data = 1;
    h.data.num_values = num_values;
    h.data.encoding = encoding;
    h.data.definition_level_encoding = FLOE_PQ_ENC_RLE;
    h.data.repetition_level_encoding = FLOE_PQ_ENC_RLE;
    add_page(c, &h, body, n);
}

static floe_pq_reader *craft_open(craft *c, mem_file *m, floe_err *err) {
    floe_pq_schema_element els[3] = {{0}};
    els[0].name = (floe_slice){(const uint8_t *)"schema", 6};
    els[0].has_num_children = 1;
    els[0].num_children = 1;
    floe_pq_schema_element *x = &els[1 + c->wrap];
    if (c->wrap) {
        els[1].name = (floe_slice){(const uint8_t *)"g", 1};
        els[1].has_num_children = 1;
        els[1].num_children = 1;
        els[1].has_repetition = 1;
        els[1].repetition = FLOE_PQ_OPTIONAL;
    }
    x->name = (floe_slice){(const uint8_t *)"x", 1};
    x->has_type = 1;
    x->type = c->physical;
    x->has_repetition = 1;
    x->repetition = c->rep;
    if (c->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY) {
        x->has_type_length = 1;
        x->type_length = 4;
    }
    floe_slice path[2] = {{(const uint8_t *)"g", 1}, {(const uint8_t *)"x", 1}};
    int32_t enc = FLOE_PQ_ENC_PLAIN;
    floe_pq_column_chunk cc = {0};
    cc.has_meta_data = 1;
    if (c->file_path) {
        cc.has_file_path = 1;
        cc.file_path = (floe_slice){(const uint8_t *)c->file_path, (uint32_t)strlen(c->file_path)};
    }
    floe_pq_column_meta *cm = &cc.meta_data;
    cm->type = c->physical;
    cm->encodings = &enc;
    cm->nencodings = 1;
    cm->path = c->wrap ? path : path + 1;
    cm->npath = 1 + c->wrap;
    cm->codec = c->codec;
    cm->num_values = c->num_values;
    cm->total_compressed_size = cm->total_uncompressed_size = (int64_t)c->f.len - 4 + c->total_size_delta;
    cm->data_page_offset = 4;
    floe_pq_row_group rg = {0};
    rg.columns = &cc;
    rg.ncolumns = 1;
    rg.num_rows = c->num_rows;
    floe_pq_file_meta fm = {0};
    fm.version = 1;
    fm.schema = els;
    fm.nschema = 2 + c->wrap;
    fm.num_rows = c->num_rows;
    fm.row_groups = &rg;
    fm.nrow_groups = 1;
    size_t start = c->f.len;
    floe_pq_meta_write(&fm, &c->f);
    uint32_t flen = (uint32_t)(c->f.len - start);
    uint8_t tail[8] = {(uint8_t)flen, (uint8_t)(flen >> 8), (uint8_t)(flen >> 16), (uint8_t)(flen >> 24), 'P', 'A', 'R', '1'};
    floe_buf_append(&c->f, tail, 8);
    m->p = c->f.data;
    m->n = c->f.len;
    return floe_pq_reader_open(mem_read, m, m->n, "crafted.parquet", err);
}

/* Opens the crafted file and reads everything; returns the error code and
 * leaves the message in *err. */
static int craft_read(craft *c, floe_err *err) {
    mem_file m;
    floe_pq_reader *r = craft_open(c, &m, err);
    int code = r ? read_everything(r, err) : err->code;
    floe_pq_reader_free(r);
    floe_buf_free(&c->f);
    return code;
}

static void put_le32(floe_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    floe_buf_append(b, x, 4);
}

TEST(crafted_plain_v1_v2_and_legacy_levels) {
    /* Optional INT32: v1 page with RLE def levels [1,0,1], then a v2 page,
     * then a v1 page whose def levels use the old BIT_PACKED encoding. */
    craft c;
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_OPTIONAL);
    floe_buf body;
    floe_buf_init(&body);
    uint32_t defs[] = {1, 0, 1};
    floe_buf lv;
    floe_buf_init(&lv);
    floe_rle_encode(defs, 3, 1, &lv);
    put_le32(&body, (uint32_t)lv.len);
    floe_buf_append(&body, lv.data, lv.len);
    put_le32(&body, 10);
    put_le32(&body, 30);
    data_page(&c, 3, FLOE_PQ_ENC_PLAIN, body.data, body.len);

    body.len = 0;
    floe_buf_append(&body, lv.data, lv.len); /* v2: levels without a length */
    put_le32(&body, 40);
    put_le32(&body, 60);
    floe_pq_page_header h = {0};
    h.type = FLOE_PQ_PAGE_DATA_V2;
    h.has_data_v2 = 1;
    h.data_v2.num_values = 3;
    h.data_v2.num_nulls = 1;
    h.data_v2.num_rows = 3;
    h.data_v2.encoding = FLOE_PQ_ENC_PLAIN;
    h.data_v2.definition_levels_byte_length = (int32_t)lv.len;
    h.data_v2.is_compressed = 0;
    add_page(&c, &h, body.data, body.len);

    body.len = 0;
    uint8_t legacy = 0x40; /* MSB-first bits 0,1 -> def levels [0, 1] */
    floe_buf_putc(&body, legacy);
    put_le32(&body, 70);
    floe_pq_page_header h1 = {0};
    h1.type = FLOE_PQ_PAGE_DATA;
    h1.has_data = 1;
    h1.data.num_values = 2;
    h1.data.encoding = FLOE_PQ_ENC_PLAIN;
    h1.data.definition_level_encoding = FLOE_PQ_ENC_BIT_PACKED;
    h1.data.repetition_level_encoding = FLOE_PQ_ENC_RLE;
    add_page(&c, &h1, body.data, body.len);
    floe_buf_free(&body);
    floe_buf_free(&lv);
    c.num_values = c.num_rows = 8;

    mem_file m;
    floe_err err = {0};
    floe_pq_reader *r = craft_open(&c, &m, &err);
    CHECK(r != NULL);
    if (r) {
        char *j = rows_json(r, NULL, 0, &err);
        CHECK(j != NULL);
        if (j)
            CHECK_EQ_STR(j, "{\"x\":10}\n{\"x\":null}\n{\"x\":30}\n{\"x\":40}\n{\"x\":null}\n{\"x\":60}\n{\"x\":null}\n{\"x\":70}\n");
        else
            fprintf(stderr, "  %s\n", err.msg);
        free(j);
    }
    floe_pq_reader_free(r);
    floe_buf_free(&c.f);
}

TEST(crafted_dictionary_and_hostile_pages) {
    floe_err err = {0};
    craft c;
    /* Dictionary [7, 9]; indices [1, 0, 2]: index 2 is out of range. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    floe_buf body;
    floe_buf_init(&body);
    put_le32(&body, 7);
    put_le32(&body, 9);
    floe_pq_page_header h = {0};
    h.type = FLOE_PQ_PAGE_DICTIONARY;
    h.has_dict = 1;
    h.dict.num_values = 2;
    h.dict.encoding = FLOE_PQ_ENC_PLAIN;
    add_page(&c, &h, body.data, body.len);
    body.len = 0;
    uint32_t idx[] = {1, 0, 2};
    floe_buf_putc(&body, 2);
    floe_rle_encode(idx, 3, 2, &body);
    data_page(&c, 3, FLOE_PQ_ENC_RLE_DICTIONARY, body.data, body.len);
    c.num_values = c.num_rows = 3;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "dictionary index 2 out of range") != NULL);
    CHECK(strstr(err.msg, "crafted.parquet: row group 0, column 'x'") != NULL);

    /* A definition level above the column's maximum (2: g and x are
     * optional, so the levels are 2 bits wide and can spell 3). */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_OPTIONAL);
    c.wrap = 1;
    body.len = 0;
    static const uint8_t run_of_3[] = {2 << 1, 3}; /* RLE run: two 3s */
    put_le32(&body, 2);
    floe_buf_append(&body, run_of_3, 2);
    put_le32(&body, 1);
    put_le32(&body, 2);
    data_page(&c, 2, FLOE_PQ_ENC_PLAIN, body.data, body.len);
    c.num_values = c.num_rows = 2;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "definition level 3 exceeds the column's maximum 2") != NULL);
    CHECK(strstr(err.msg, "column 'g.x'") != NULL);

    /* Thousands of empty pages: read without hanging, then the chunk is
     * short of its num_values. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    for (int i = 0; i < 5000; i++) data_page(&c, 0, FLOE_PQ_ENC_PLAIN, NULL, 0);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "ends after 0 values") != NULL);

    /* Values missing from a PLAIN page. */
    craft_init(&c, FLOE_PQ_INT64, FLOE_PQ_REQUIRED);
    body.len = 0;
    put_le32(&body, 1);
    data_page(&c, 2, FLOE_PQ_ENC_PLAIN, body.data, body.len);
    c.num_values = c.num_rows = 2;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "PLAIN") != NULL);

    /* DELTA_BINARY_PACKED data whose count disagrees with the levels. */
    static const int32_t three[] = {5, 6, 7};
    for (int entries = 2; entries <= 4; entries += 2) {
        craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
        body.len = 0;
        floe_delta_encode32(three, 3, &body);
        data_page(&c, entries, FLOE_PQ_ENC_DELTA_BINARY_PACKED, body.data, body.len);
        c.num_values = c.num_rows = entries;
        CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
        CHECK(strstr(err.msg, entries == 2 ? "more than the page's 2 entries" : "holds 3 values but the levels define more") != NULL);
    }

    /* More values in the page than the chunk declares. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    body.len = 0;
    put_le32(&body, 1);
    put_le32(&body, 2);
    data_page(&c, 2, FLOE_PQ_ENC_PLAIN, body.data, body.len);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);

    /* A page that claims more bytes than the chunk holds. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    floe_pq_page_header big = {0};
    big.type = FLOE_PQ_PAGE_DATA;
    big.has_data = 1;
    big.data.num_values = 1;
    big.compressed_page_size = 1000;
    big.uncompressed_page_size = 1000;
    add_page(&c, &big, "abcd", 4);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "runs past the column chunk") != NULL);

    /* An uncompressed size beyond the page limit is refused before allocating. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    c.codec = FLOE_PQ_CODEC_ZSTD;
    big.compressed_page_size = 4;
    big.uncompressed_page_size = INT32_MAX;
    add_page(&c, &big, "abcd", 4);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "uncompressed size") != NULL);
    floe_buf_free(&body);
}

TEST(crafted_unsupported_and_inconsistent_footers) {
    floe_err err = {0};
    craft c;
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, 42, "abcd", 4);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "encoding UNKNOWN (42)") != NULL);

    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, FLOE_PQ_ENC_DELTA_BYTE_ARRAY, "abcd", 4);
    c.num_values = c.num_rows = 1;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "DELTA_BYTE_ARRAY") != NULL && strstr(err.msg, "INT32") != NULL);

    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, FLOE_PQ_ENC_PLAIN, "abcd", 4);
    c.num_values = c.num_rows = 1;
    c.codec = 99;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "codec 99") != NULL);

    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, FLOE_PQ_ENC_PLAIN, "abcd", 4);
    c.num_values = c.num_rows = 1;
    c.file_path = "other.parquet";
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "external column chunks") != NULL);

    /* The chunk's declared size runs into the footer. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, FLOE_PQ_ENC_PLAIN, "abcd", 4);
    c.num_values = c.num_rows = 1;
    c.total_size_delta = 5;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "outside the data region") != NULL);

    /* The row group has more rows than the column. */
    craft_init(&c, FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    data_page(&c, 1, FLOE_PQ_ENC_PLAIN, "abcd", 4);
    c.num_values = 1;
    c.num_rows = 2;
    CHECK_EQ_INT(craft_read(&c, &err), FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "fewer rows") != NULL);
}

TEST(truncated_and_foreign_files) {
    floe_err err = {0};
    mem_file m = {(const uint8_t *)"PAR1PAR1", 8};
    CHECK(floe_pq_reader_open(mem_read, &m, m.n, "tiny", &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_ECORRUPT);
    CHECK(strstr(err.msg, "too small") != NULL);
    m = (mem_file){(const uint8_t *)"PAR1\xff\xff\xff\x7fPAR1", 12};
    CHECK(floe_pq_reader_open(mem_read, &m, m.n, "huge-footer", &err) == NULL);
    CHECK(strstr(err.msg, "footer length") != NULL);
    m = (mem_file){(const uint8_t *)"hello, world, not parquet", 25};
    CHECK(floe_pq_reader_open(mem_read, &m, m.n, "text", &err) == NULL);
    CHECK(strstr(err.msg, "not a Parquet file") != NULL);

    /* Every prefix of a real file fails cleanly (or, cut in the data, at read time). */
    FILE *f = fopen(DATA "alltypes_plain.parquet", "rb");
    CHECK(f != NULL);
    if (!f) return;
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t cut = 0; cut < n; cut += 7) {
        m = (mem_file){buf, cut};
        floe_pq_reader *r = floe_pq_reader_open(mem_read, &m, cut, "cut", &err);
        CHECK(r == NULL);
        floe_pq_reader_free(r);
    }
    /* Flipped bytes in the data region: any outcome but a crash. */
    for (size_t at = 4; at + 400 < n; at += 3) {
        uint8_t saved = buf[at];
        buf[at] ^= 0x5a;
        m = (mem_file){buf, n};
        floe_pq_reader *r = floe_pq_reader_open(mem_read, &m, n, "flipped", &err);
        if (r) read_everything(r, &err);
        floe_pq_reader_free(r);
        buf[at] = saved;
    }
}

TEST_MAIN(T(alltypes_plain_footer_and_columns), T(delta_binary_packed_matches_csv), T(delta_byte_array_matches_csv),
          T(delta_optional_matches_csv), T(delta_required_matches_csv), T(nested_lists), T(nested_maps),
          T(legacy_lists_and_repeated_fields), T(maps_without_values_and_optional_keys),
          T(impala_nested_nulls_and_empties), T(encodings_and_codecs_in_corpus), T(batches_stop_at_max_and_span_pages),
          T(row_group_filter_and_metadata), T(bad_data_fails_cleanly), T(encrypted_files_are_unsupported),
          T(crafted_plain_v1_v2_and_legacy_levels), T(crafted_dictionary_and_hostile_pages),
          T(crafted_unsupported_and_inconsistent_footers), T(truncated_and_foreign_files))
