/*
 * test_meta.c — the Thrift compact protocol (thrift.c) and Parquet metadata
 * (meta.c): byte vectors from the compact-protocol spec, hand-built page
 * headers, a write->parse round trip of every modelled field, the footers
 * of the parquet-testing corpus, and hostile input (truncation, corruption,
 * deep nesting, lying counts) that must fail with a clear error.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/parquet/meta.h"
#include "format/parquet/thrift.h"
#include "test.h"

#define CORPUS test_shared("parquet-testing/data/")

static floe_slice S(const char *s) { return (floe_slice){(const uint8_t *)s, (uint32_t)strlen(s)}; }

static int slice_eq(floe_slice a, const char *s) { return a.len == strlen(s) && memcmp(a.ptr, s, a.len) == 0; }

static int slices_same(floe_slice a, floe_slice b) { return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0; }

/* Reads a whole file; NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (n < 0 || fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* The footer of a plaintext Parquet file: [footer][u32 LE length]["PAR1"]. */
static const uint8_t *footer_of(const uint8_t *file, size_t n, size_t *flen) {
    if (n < 12 || memcmp(file + n - 4, "PAR1", 4) != 0) return NULL;
    const uint8_t *t = file + n - 8;
    size_t len = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    if (len > n - 12) return NULL;
    *flen = len;
    return file + n - 8 - len;
}

/* ---- thrift.c ------------------------------------------------------------ */

TEST(thrift_varints_match_spec) {
    /* zigzag: 0->0, -1->1, 1->2, -2->3, 2147483647->4294967294 */
    floe_buf b;
    floe_buf_init(&b);
    floe_thrift_writer w;
    floe_thrift_writer_init(&w, &b);
    floe_thrift_write_i32(&w, 0);
    floe_thrift_write_i32(&w, -1);
    floe_thrift_write_i32(&w, 1);
    floe_thrift_write_i32(&w, -2);
    floe_thrift_write_i32(&w, 300);
    floe_thrift_write_i32(&w, INT32_MAX);
    floe_thrift_write_i64(&w, INT64_MIN);
    static const uint8_t want[] = {0x00, 0x01, 0x02, 0x03, 0xd8, 0x04, 0xfe, 0xff, 0xff, 0xff, 0x0f,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);

    floe_err err = {0};
    floe_thrift_reader r;
    floe_thrift_reader_init(&r, b.data, b.len, &err);
    int32_t v32;
    int64_t v64;
    static const int32_t vals[] = {0, -1, 1, -2, 300, INT32_MAX};
    for (int i = 0; i < 6; i++) {
        CHECK_OK(floe_thrift_read_i32(&r, &v32), &err);
        CHECK_EQ_INT(v32, vals[i]);
    }
    CHECK_OK(floe_thrift_read_i64(&r, &v64), &err);
    CHECK(v64 == INT64_MIN);
    CHECK_EQ_INT(floe_thrift_remaining(&r), 0);
    CHECK(floe_thrift_read_i32(&r, &v32) == -1);
    CHECK(strstr(err.msg, "past the end") != NULL);
    floe_buf_free(&b);
}

TEST(thrift_rejects_bad_varints) {
    floe_err err = {0};
    floe_thrift_reader r;
    int32_t v32;
    int64_t v64;
    /* 2^32 does not fit an i32 varint. */
    static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x10};
    floe_thrift_reader_init(&r, big, sizeof big, &err);
    CHECK(floe_thrift_read_i32(&r, &v32) == -1);
    CHECK(strstr(err.msg, "out of range") != NULL);
    /* Six continuation bytes are too long for an i32. */
    static const uint8_t longer[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    floe_thrift_reader_init(&r, longer, sizeof longer, &err);
    CHECK(floe_thrift_read_i32(&r, &v32) == -1);
    CHECK(strstr(err.msg, "longer than 5 bytes") != NULL);
    /* The tenth byte of an i64 may only carry one bit. */
    static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    floe_thrift_reader_init(&r, over, sizeof over, &err);
    CHECK(floe_thrift_read_i64(&r, &v64) == -1);
    CHECK(strstr(err.msg, "overflows 64 bits") != NULL);
}

TEST(thrift_field_headers_and_lists) {
    floe_buf b;
    floe_buf_init(&b);
    floe_thrift_writer w;
    floe_thrift_writer_init(&w, &b);
    floe_thrift_write_struct_begin(&w);
    floe_thrift_write_field_i32(&w, 1, 5);      /* short form: delta 1, type i32 -> 0x15 */
    floe_thrift_write_field_bool(&w, 3, 0);     /* delta 2, BOOLEAN_FALSE -> 0x22 */
    floe_thrift_write_field_bool(&w, 4, 1);     /* delta 1, BOOLEAN_TRUE -> 0x11 */
    floe_thrift_write_field_i64(&w, 40, -3);    /* delta 36: long form 0x06 + zigzag(40)=80 */
    floe_thrift_write_field_list(&w, 41, FLOE_TT_I32, 20); /* 0x19, long list header 0xf5 0x14 */
    for (int i = 0; i < 20; i++) floe_thrift_write_i32(&w, i);
    floe_thrift_write_field_list(&w, 42, FLOE_TT_BINARY, 2); /* 0x19, 0x28 */
    floe_thrift_write_binary(&w, "ab", 2);
    floe_thrift_write_binary(&w, "", 0);
    floe_thrift_write_struct_end(&w);
    static const uint8_t head[] = {0x15, 0x0a, 0x22, 0x11, 0x06, 0x50, 0x05, 0x19, 0xf5, 0x14};
    CHECK(memcmp(b.data, head, sizeof head) == 0);

    floe_err err = {0};
    floe_thrift_reader r;
    floe_thrift_reader_init(&r, b.data, b.len, &err);
    int t, bv, et;
    int16_t id;
    int32_t v32;
    int64_t v64;
    uint32_t n;
    CHECK_OK(floe_thrift_struct_begin(&r), &err);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_I32 && id == 1);
    CHECK_OK(floe_thrift_read_i32(&r, &v32), &err);
    CHECK_EQ_INT(v32, 5);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_BOOL && id == 3);
    CHECK_OK(floe_thrift_read_bool(&r, &bv), &err);
    CHECK_EQ_INT(bv, 0);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_BOOL && id == 4);
    CHECK_OK(floe_thrift_read_bool(&r, &bv), &err);
    CHECK_EQ_INT(bv, 1);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_I64 && id == 40);
    CHECK_OK(floe_thrift_read_i64(&r, &v64), &err);
    CHECK_EQ_INT(v64, -3);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_LIST && id == 41);
    CHECK_OK(floe_thrift_list_begin(&r, &et, &n), &err);
    CHECK(et == FLOE_TT_I32 && n == 20);
    for (uint32_t i = 0; i < n; i++) {
        CHECK_OK(floe_thrift_read_i32(&r, &v32), &err);
        CHECK_EQ_INT(v32, i);
    }
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_LIST && id == 42);
    CHECK_OK(floe_thrift_skip(&r, t), &err);
    CHECK_OK(floe_thrift_field(&r, &t, &id), &err);
    CHECK(t == FLOE_TT_STOP);
    floe_thrift_struct_end(&r);
    CHECK_EQ_INT(floe_thrift_remaining(&r), 0);
    floe_buf_free(&b);
}

TEST(thrift_rejects_lying_counts) {
    floe_err err = {0};
    floe_thrift_reader r;
    int et, kt, vt;
    uint32_t n;
    const uint8_t *p;
    /* A list of 1000 i32 in 3 bytes. */
    static const uint8_t list[] = {0xf5, 0xe8, 0x07};
    floe_thrift_reader_init(&r, list, sizeof list, &err);
    CHECK(floe_thrift_list_begin(&r, &et, &n) == -1);
    CHECK(strstr(err.msg, "list of 1000 elements exceeds the 0 bytes left") != NULL);
    /* A binary of length 10 with 2 bytes. */
    static const uint8_t bin[] = {0x0a, 'a', 'b'};
    floe_thrift_reader_init(&r, bin, sizeof bin, &err);
    CHECK(floe_thrift_read_binary(&r, &p, &n) == -1);
    CHECK(strstr(err.msg, "byte 0: binary length 10 exceeds the 2 bytes left") != NULL);
    /* A map of 3 entries with 4 bytes of payload. */
    static const uint8_t map[] = {0x03, 0x55, 1, 2, 3, 4};
    floe_thrift_reader_init(&r, map, sizeof map, &err);
    CHECK(floe_thrift_map_begin(&r, &kt, &vt, &n) == -1);
    CHECK(strstr(err.msg, "map of 3 entries") != NULL);
    /* An empty map is a single zero byte; a non-empty one is skippable. */
    static const uint8_t maps[] = {0x00, 0x02, 0x58, 0x02, 0x01, 'x', 0x04, 0x00};
    floe_thrift_reader_init(&r, maps, sizeof maps, &err);
    CHECK_OK(floe_thrift_map_begin(&r, &kt, &vt, &n), &err);
    CHECK_EQ_INT(n, 0);
    CHECK_OK(floe_thrift_skip(&r, FLOE_TT_MAP), &err);
    CHECK_EQ_INT(floe_thrift_remaining(&r), 0);
    /* An invalid type nibble in a field header. */
    static const uint8_t badtype[] = {0x1d};
    int t;
    int16_t id;
    floe_thrift_reader_init(&r, badtype, sizeof badtype, &err);
    CHECK_OK(floe_thrift_struct_begin(&r), &err);
    CHECK(floe_thrift_field(&r, &t, &id) == -1);
    CHECK(strstr(err.msg, "invalid type 13") != NULL);
}

TEST(thrift_skip_depth_is_bounded) {
    /* 200 nested struct fields (0x1c = delta 1, struct) and as many lists of
     * lists: skipping must stop at the depth limit, not recurse on. */
    uint8_t deep[400];
    memset(deep, 0x1c, 200);
    memset(deep + 200, 0, 200);
    floe_err err = {0};
    floe_thrift_reader r;
    floe_thrift_reader_init(&r, deep, sizeof deep, &err);
    CHECK(floe_thrift_skip(&r, FLOE_TT_STRUCT) == -1);
    CHECK(strstr(err.msg, "deeper than 64") != NULL);
    uint8_t lists[400];
    memset(lists, 0x19, sizeof lists); /* list of one list, ... */
    floe_thrift_reader_init(&r, lists, sizeof lists, &err);
    CHECK(floe_thrift_skip(&r, FLOE_TT_LIST) == -1);
    CHECK(strstr(err.msg, "deeper than 64") != NULL);
    /* The same through the footer parser: an unknown FileMetaData field. */
    uint8_t foot[400];
    memset(foot, 0x1c, 300);
    memset(foot + 300, 0, 100);
    foot[0] = 0xac; /* field 10, struct */
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta m;
    CHECK(floe_pq_meta_parse(foot, sizeof foot, &a, &m, &err) == -1);
    CHECK(strstr(err.msg, "FileMetaData.(field 10)") != NULL);
    floe_arena_free(&a);
}

/* ---- PageHeader ------------------------------------------------------------ */

TEST(page_header_hand_built) {
    /* DATA_PAGE, uncompressed 100, compressed 50, crc -7 (long-form id is not
     * needed: delta 1), DataPageHeader{num_values 10, PLAIN, RLE, RLE}. */
    static const uint8_t v1[] = {
        0x15, 0x00,        /* 1: type = 0 */
        0x15, 0xc8, 0x01,  /* 2: uncompressed_page_size = 100 */
        0x15, 0x64,        /* 3: compressed_page_size = 50 */
        0x15, 0x0d,        /* 4: crc = -7 */
        0x1c,              /* 5: data_page_header */
        0x15, 0x14, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00,
        0x00,              /* stop */
        0xee               /* page bytes follow */
    };
    floe_err err = {0};
    floe_pq_page_header h;
    size_t used = 0;
    CHECK_OK(floe_pq_page_header_parse(v1, sizeof v1, &h, &used, &err), &err);
    CHECK_EQ_INT(used, sizeof v1 - 1);
    CHECK_EQ_INT(h.type, FLOE_PQ_PAGE_DATA);
    CHECK_EQ_INT(h.uncompressed_page_size, 100);
    CHECK_EQ_INT(h.compressed_page_size, 50);
    CHECK(h.has_crc && h.crc == -7);
    CHECK(h.has_data && !h.has_dict && !h.has_data_v2);
    CHECK_EQ_INT(h.data.num_values, 10);
    CHECK_EQ_INT(h.data.encoding, FLOE_PQ_ENC_PLAIN);
    CHECK_EQ_INT(h.data.definition_level_encoding, FLOE_PQ_ENC_RLE);
    CHECK_EQ_INT(h.data.repetition_level_encoding, FLOE_PQ_ENC_RLE);
    CHECK(!h.data.has_statistics);
    /* Writing it back gives the same bytes. */
    floe_buf b;
    floe_buf_init(&b);
    floe_pq_page_header_write(&h, &b);
    CHECK(b.len == sizeof v1 - 1 && memcmp(b.data, v1, b.len) == 0);
    floe_buf_free(&b);

    /* DATA_PAGE_V2 without is_compressed (defaults to true), with an index
     * page header (6, skipped) and statistics {null_count 2, min_value "a"}
     * reached through a long-form field id. */
    static const uint8_t v2[] = {
        0x15, 0x06, 0x15, 0x10, 0x15, 0x08, /* type 3, sizes 8 and 4 */
        0x3c, 0x00,                         /* 6: index_page_header {} */
        0x2c,                               /* 8: data_page_header_v2 */
        0x15, 0x0a, 0x15, 0x02, 0x15, 0x08, 0x15, 0x10, 0x15, 0x04, 0x15, 0x00,
        0x0c, 0x10,                         /* field 8 (long form), struct */
        0x36, 0x04,                         /* 3: null_count = 2 */
        0x38, 0x01, 'a',                    /* 6: min_value = "a" */
        0x00, 0x00, 0x00};
    CHECK_OK(floe_pq_page_header_parse(v2, sizeof v2, &h, &used, &err), &err);
    CHECK_EQ_INT(used, sizeof v2);
    CHECK_EQ_INT(h.type, FLOE_PQ_PAGE_DATA_V2);
    CHECK(h.has_data_v2 && !h.has_data);
    CHECK_EQ_INT(h.data_v2.num_values, 5);
    CHECK_EQ_INT(h.data_v2.num_nulls, 1);
    CHECK_EQ_INT(h.data_v2.num_rows, 4);
    CHECK_EQ_INT(h.data_v2.encoding, FLOE_PQ_ENC_RLE_DICTIONARY);
    CHECK_EQ_INT(h.data_v2.definition_levels_byte_length, 2);
    CHECK_EQ_INT(h.data_v2.repetition_levels_byte_length, 0);
    CHECK_EQ_INT(h.data_v2.is_compressed, 1);
    CHECK(h.data_v2.has_statistics && h.data_v2.statistics.has_null_count);
    CHECK_EQ_INT(h.data_v2.statistics.null_count, 2);
    CHECK(h.data_v2.statistics.has_min_value && slice_eq(h.data_v2.statistics.min_value, "a"));
    CHECK(!h.data_v2.statistics.has_max_value);
}

TEST(page_header_round_trip_and_errors) {
    floe_pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = FLOE_PQ_PAGE_DICTIONARY;
    h.uncompressed_page_size = 1 << 20;
    h.compressed_page_size = 12345;
    h.has_dict = 1;
    h.dict.num_values = 77;
    h.dict.encoding = FLOE_PQ_ENC_PLAIN;
    h.dict.has_is_sorted = 1;
    h.dict.is_sorted = 0;
    floe_buf b;
    floe_buf_init(&b);
    floe_pq_page_header_write(&h, &b);
    floe_pq_page_header g;
    floe_err err = {0};
    size_t used;
    CHECK_OK(floe_pq_page_header_parse(b.data, b.len, &g, &used, &err), &err);
    CHECK_EQ_INT(used, b.len);
    CHECK(g.has_dict && g.dict.num_values == 77 && g.dict.has_is_sorted && !g.dict.is_sorted);
    CHECK_EQ_INT(g.uncompressed_page_size, 1 << 20);

    /* v2 with is_compressed false survives. */
    memset(&h, 0, sizeof h);
    h.type = FLOE_PQ_PAGE_DATA_V2;
    h.has_data_v2 = 1;
    h.data_v2.num_values = 3;
    h.data_v2.is_compressed = 0;
    h.data_v2.has_statistics = 1;
    h.data_v2.statistics.has_max_value = 1;
    h.data_v2.statistics.max_value = S("zz");
    floe_buf_reset(&b);
    floe_pq_page_header_write(&h, &b);
    CHECK_OK(floe_pq_page_header_parse(b.data, b.len, &g, &used, &err), &err);
    CHECK(g.has_data_v2 && g.data_v2.is_compressed == 0 && g.data_v2.num_values == 3);
    CHECK(g.data_v2.has_statistics && slice_eq(g.data_v2.statistics.max_value, "zz"));

    /* Every strict prefix is an error. */
    for (size_t n = 0; n < b.len; n++) {
        CHECK(floe_pq_page_header_parse(b.data, n, &g, &used, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ECORRUPT);
    }

    /* Missing compressed_page_size. */
    static const uint8_t missing[] = {0x15, 0x00, 0x15, 0x02, 0x00};
    CHECK(floe_pq_page_header_parse(missing, sizeof missing, &g, &used, &err) == -1);
    CHECK(strstr(err.msg, "PageHeader: required field compressed_page_size (id 3) is missing") != NULL);
    /* Negative uncompressed size. */
    static const uint8_t neg[] = {0x15, 0x00, 0x15, 0x03, 0x15, 0x02, 0x00};
    CHECK(floe_pq_page_header_parse(neg, sizeof neg, &g, &used, &err) == -1);
    CHECK(strstr(err.msg, "PageHeader.uncompressed_page_size: byte 4: negative value -2") != NULL);
    /* A field of another wire type than parquet.thrift declares is skipped,
     * as thrift's generated readers do: an optional one is just absent... */
    static const uint8_t crcstr[] = {0x15, 0x00, 0x15, 0x00, 0x15, 0x00, 0x18, 0x01, 'x', 0x00};
    CHECK_OK(floe_pq_page_header_parse(crcstr, sizeof crcstr, &g, &used, &err), &err);
    CHECK(!g.has_crc && used == sizeof crcstr);
    /* ...and a required one is missing. */
    static const uint8_t wrong[] = {0x18, 0x01, 'x', 0x15, 0x00, 0x15, 0x00, 0x00};
    CHECK(floe_pq_page_header_parse(wrong, sizeof wrong, &g, &used, &err) == -1);
    CHECK(strstr(err.msg, "PageHeader: required field type (id 1) is missing") != NULL);
    /* DataPageHeaderV2 missing its num_rows. */
    static const uint8_t v2miss[] = {0x15, 0x06, 0x15, 0x00, 0x15, 0x00, 0x5c, 0x15, 0x02,
                                     0x15, 0x00, 0x25, 0x00, 0x15, 0x00, 0x15, 0x00, 0x00, 0x00};
    CHECK(floe_pq_page_header_parse(v2miss, sizeof v2miss, &g, &used, &err) == -1);
    CHECK(strstr(err.msg, "PageHeader.data_page_header_v2: required field num_rows (id 3)") != NULL);
    floe_buf_free(&b);
}

/* ---- FileMetaData round trip --------------------------------------------------- */

/* Encodes *m into *b (replacing what it held) and decodes that into *p. */
static int encode_decode(const floe_pq_file_meta *m, floe_buf *b, floe_arena *a, floe_pq_file_meta *p,
                         floe_err *err) {
    floe_buf_reset(b);
    floe_pq_meta_write(m, b);
    return floe_pq_meta_parse(b->data, b->len, a, p, err);
}

static void fill_stats(floe_pq_statistics *s) {
    s->has_max = s->has_min = 1;
    s->max = S("\x09\x00\x00\x00");
    s->min = S("\x01\x00\x00\x00");
    s->has_null_count = 1;
    s->null_count = 3;
    s->has_distinct_count = 1;
    s->distinct_count = 9;
    s->has_max_value = s->has_min_value = 1;
    s->max_value = S("zebra");
    s->min_value = S("");
    s->has_is_max_value_exact = s->has_is_min_value_exact = 1;
    s->is_max_value_exact = 0;
    s->is_min_value_exact = 1;
}

static int stats_same(const floe_pq_statistics *a, const floe_pq_statistics *b) {
    return a->has_max == b->has_max && slices_same(a->max, b->max) && a->has_min == b->has_min &&
           slices_same(a->min, b->min) && a->has_null_count == b->has_null_count &&
           a->null_count == b->null_count && a->has_distinct_count == b->has_distinct_count &&
           a->distinct_count == b->distinct_count && a->has_max_value == b->has_max_value &&
           slices_same(a->max_value, b->max_value) && a->has_min_value == b->has_min_value &&
           slices_same(a->min_value, b->min_value) && a->has_is_max_value_exact == b->has_is_max_value_exact &&
           a->is_max_value_exact == b->is_max_value_exact &&
           a->has_is_min_value_exact == b->has_is_min_value_exact && a->is_min_value_exact == b->is_min_value_exact;
}

TEST(file_meta_round_trip) {
    floe_pq_schema_element els[6];
    memset(els, 0, sizeof els);
    els[0].name = S("schema");
    els[0].has_num_children = 1;
    els[0].num_children = 5;
    /* decimal(20,4) as FIXED[9], with field id */
    els[1].name = S("price");
    els[1].has_type = els[1].has_type_length = els[1].has_repetition = 1;
    els[1].type = FLOE_PQ_FIXED_LEN_BYTE_ARRAY;
    els[1].type_length = 9;
    els[1].repetition = FLOE_PQ_OPTIONAL;
    els[1].has_converted = els[1].has_scale = els[1].has_precision = els[1].has_field_id = 1;
    els[1].converted = FLOE_PQ_CT_DECIMAL;
    els[1].scale = 4;
    els[1].precision = 20;
    els[1].field_id = 1000;
    els[1].logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 20, .scale = 4};
    /* timestamp(nanos, utc) */
    els[2].name = S("ts");
    els[2].has_type = els[2].has_repetition = 1;
    els[2].type = FLOE_PQ_INT64;
    els[2].repetition = FLOE_PQ_REQUIRED;
    els[2].logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIMESTAMP, .unit = FLOE_PQ_UNIT_NANOS, .utc = 1};
    /* time(millis, local) */
    els[3].name = S("t");
    els[3].has_type = 1;
    els[3].type = FLOE_PQ_INT32;
    els[3].logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIME, .unit = FLOE_PQ_UNIT_MILLIS, .utc = 0};
    /* uint16 */
    els[4].name = S("u16");
    els[4].has_type = 1;
    els[4].type = FLOE_PQ_INT32;
    els[4].logical = (floe_pq_logical){.kind = FLOE_PQ_LT_INTEGER, .bit_width = 16, .is_signed = 0};
    /* uuid, negative field id */
    els[5].name = S("id");
    els[5].has_type = els[5].has_type_length = els[5].has_field_id = 1;
    els[5].type = FLOE_PQ_FIXED_LEN_BYTE_ARRAY;
    els[5].type_length = 16;
    els[5].field_id = -5;
    els[5].logical.kind = FLOE_PQ_LT_UUID;

    int32_t encs[3] = {FLOE_PQ_ENC_PLAIN, FLOE_PQ_ENC_RLE, FLOE_PQ_ENC_RLE_DICTIONARY};
    floe_slice path[2] = {S("a"), S("b")};
    floe_pq_kv ckv[1] = {{S("col.k"), 0, {0}}};
    floe_pq_page_encoding_stats es[2] = {{0, 8, 4}, {2, 0, 1}};
    floe_pq_column_chunk cols[2];
    memset(cols, 0, sizeof cols);
    cols[0].has_file_path = 1;
    cols[0].file_path = S("other.parquet");
    cols[0].file_offset = 4;
    cols[0].has_meta_data = 1;
    floe_pq_column_meta *cm = &cols[0].meta_data;
    cm->type = FLOE_PQ_BYTE_ARRAY;
    cm->encodings = encs;
    cm->nencodings = 3;
    cm->path = path;
    cm->npath = 2;
    cm->codec = FLOE_PQ_CODEC_ZSTD;
    cm->num_values = 1LL << 40;
    cm->total_uncompressed_size = 5000000000LL;
    cm->total_compressed_size = 123;
    cm->kv = ckv;
    cm->nkv = 1;
    cm->data_page_offset = 100;
    cm->has_index_page_offset = 1;
    cm->index_page_offset = 90;
    cm->has_dictionary_page_offset = 1;
    cm->dictionary_page_offset = 4;
    cm->has_statistics = 1;
    fill_stats(&cm->statistics);
    cm->encoding_stats = es;
    cm->nencoding_stats = 2;
    cm->has_bloom_filter_offset = cm->has_bloom_filter_length = 1;
    cm->bloom_filter_offset = 7777;
    cm->bloom_filter_length = 256;
    cols[0].has_offset_index = 1;
    cols[0].offset_index_offset = 8000;
    cols[0].offset_index_length = 30;
    cols[0].has_column_index = 1;
    cols[0].column_index_offset = 8030;
    cols[0].column_index_length = 40;
    cols[1].file_offset = 200; /* no meta_data at all */

    floe_pq_sorting_column sc[2] = {{1, 1, 0}, {0, 0, 1}};
    floe_pq_row_group rgs[2];
    memset(rgs, 0, sizeof rgs);
    rgs[0].columns = cols;
    rgs[0].ncolumns = 2;
    rgs[0].total_byte_size = 999;
    rgs[0].num_rows = 10;
    rgs[0].sorting = sc;
    rgs[0].nsorting = 2;
    rgs[0].has_file_offset = rgs[0].has_total_compressed_size = rgs[0].has_ordinal = 1;
    rgs[0].file_offset = 4;
    rgs[0].total_compressed_size = 500;
    rgs[0].ordinal = 0;
    rgs[1].num_rows = 0; /* an empty row group with no columns */
    rgs[1].has_ordinal = 1;
    rgs[1].ordinal = 1;

    floe_pq_kv kv[2] = {{S("iceberg.schema"), 1, S("{}")}, {S("novalue"), 0, {0}}};
    int32_t orders[6] = {1, 1, 0, 1, 1, 1};
    floe_pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.version = 2;
    m.schema = els;
    m.nschema = 6;
    m.num_rows = 10;
    m.row_groups = rgs;
    m.nrow_groups = 2;
    m.kv = kv;
    m.nkv = 2;
    m.has_created_by = 1;
    m.created_by = S("floe version 0.1.0");
    m.column_orders = orders;
    m.ncolumn_orders = 6;

    floe_buf b;
    floe_buf_init(&b);
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta p;
    floe_err err = {0};
    CHECK_OK(encode_decode(&m, &b, &a, &p, &err), &err);

    CHECK_EQ_INT(p.version, 2);
    CHECK_EQ_INT(p.num_rows, 10);
    CHECK_EQ_INT(p.nschema, 6);
    for (int i = 0; i < 6 && p.nschema == 6; i++) {
        const floe_pq_schema_element *x = &els[i], *y = &p.schema[i];
        CHECK(slices_same(x->name, y->name));
        CHECK(x->has_type == y->has_type && x->type == y->type);
        CHECK(x->has_type_length == y->has_type_length && x->type_length == y->type_length);
        CHECK(x->has_repetition == y->has_repetition && x->repetition == y->repetition);
        CHECK(x->has_num_children == y->has_num_children && x->num_children == y->num_children);
        CHECK(x->has_converted == y->has_converted && x->converted == y->converted);
        CHECK(x->has_scale == y->has_scale && x->scale == y->scale);
        CHECK(x->has_precision == y->has_precision && x->precision == y->precision);
        CHECK(x->has_field_id == y->has_field_id && x->field_id == y->field_id);
        CHECK(memcmp(&x->logical, &y->logical, sizeof x->logical) == 0);
    }
    CHECK_EQ_INT(p.nrow_groups, 2);
    const floe_pq_row_group *g = &p.row_groups[0];
    CHECK_EQ_INT(g->ncolumns, 2);
    CHECK_EQ_INT(g->total_byte_size, 999);
    CHECK_EQ_INT(g->num_rows, 10);
    CHECK_EQ_INT(g->nsorting, 2);
    CHECK(g->sorting[0].column_idx == 1 && g->sorting[0].descending == 1 && g->sorting[0].nulls_first == 0);
    CHECK(g->sorting[1].column_idx == 0 && g->sorting[1].descending == 0 && g->sorting[1].nulls_first == 1);
    CHECK(g->has_file_offset && g->file_offset == 4);
    CHECK(g->has_total_compressed_size && g->total_compressed_size == 500);
    CHECK(g->has_ordinal && g->ordinal == 0);
    const floe_pq_column_chunk *k = &g->columns[0];
    CHECK(k->has_file_path && slice_eq(k->file_path, "other.parquet"));
    CHECK_EQ_INT(k->file_offset, 4);
    CHECK(k->has_offset_index && k->offset_index_offset == 8000 && k->offset_index_length == 30);
    CHECK(k->has_column_index && k->column_index_offset == 8030 && k->column_index_length == 40);
    CHECK(!k->has_crypto_metadata && !k->has_encrypted_column_metadata);
    CHECK(k->has_meta_data);
    const floe_pq_column_meta *q = &k->meta_data;
    CHECK_EQ_INT(q->type, FLOE_PQ_BYTE_ARRAY);
    CHECK(q->nencodings == 3 && q->encodings[0] == 0 && q->encodings[1] == 3 && q->encodings[2] == 8);
    CHECK(q->npath == 2 && slice_eq(q->path[0], "a") && slice_eq(q->path[1], "b"));
    CHECK_EQ_INT(q->codec, FLOE_PQ_CODEC_ZSTD);
    CHECK(q->num_values == 1LL << 40);
    CHECK(q->total_uncompressed_size == 5000000000LL);
    CHECK_EQ_INT(q->total_compressed_size, 123);
    CHECK(q->nkv == 1 && slice_eq(q->kv[0].key, "col.k") && !q->kv[0].has_value);
    CHECK_EQ_INT(q->data_page_offset, 100);
    CHECK(q->has_index_page_offset && q->index_page_offset == 90);
    CHECK(q->has_dictionary_page_offset && q->dictionary_page_offset == 4);
    CHECK(q->has_statistics && stats_same(&q->statistics, &cm->statistics));
    CHECK(q->nencoding_stats == 2 && q->encoding_stats[0].page_type == 0 && q->encoding_stats[0].encoding == 8 &&
          q->encoding_stats[0].count == 4 && q->encoding_stats[1].page_type == 2);
    CHECK(q->has_bloom_filter_offset && q->bloom_filter_offset == 7777);
    CHECK(q->has_bloom_filter_length && q->bloom_filter_length == 256);
    CHECK(!g->columns[1].has_meta_data && g->columns[1].file_offset == 200 && !g->columns[1].has_file_path);
    CHECK(p.row_groups[1].ncolumns == 0 && p.row_groups[1].has_ordinal && p.row_groups[1].ordinal == 1);
    CHECK(!p.row_groups[1].has_file_offset);
    CHECK(p.nkv == 2 && slice_eq(p.kv[0].key, "iceberg.schema") && p.kv[0].has_value &&
          slice_eq(p.kv[0].value, "{}") && !p.kv[1].has_value);
    CHECK(p.has_created_by && slice_eq(p.created_by, "floe version 0.1.0"));
    CHECK_EQ_INT(p.ncolumn_orders, 6);
    for (int i = 0; i < 6 && p.ncolumn_orders == 6; i++) CHECK_EQ_INT(p.column_orders[i], orders[i]);
    CHECK(!p.has_encryption_algorithm && !p.has_footer_signing_key_metadata);

    /* Writing the parsed structure gives the same bytes. */
    floe_buf b2;
    floe_buf_init(&b2);
    floe_pq_meta_write(&p, &b2);
    CHECK(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);

    /* Every strict prefix fails cleanly. */
    for (size_t n = 0; n < b.len; n++) {
        floe_arena_free(&a);
        CHECK(floe_pq_meta_parse(b.data, n, &a, &p, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ECORRUPT);
        CHECK(strncmp(err.msg, "FileMetaData", 12) == 0);
    }
    floe_buf_free(&b);
    floe_buf_free(&b2);
    floe_arena_free(&a);
}

/* A minimal footer with one row group and one chunk whose ColumnMetaData
 * misses `codec`, to check the error names the path. */
TEST(file_meta_errors_name_the_field) {
    floe_pq_schema_element el[2];
    memset(el, 0, sizeof el);
    el[0].name = S("schema");
    el[0].has_num_children = 1;
    el[0].num_children = 1;
    el[1].name = S("x");
    el[1].has_type = 1;
    floe_pq_column_chunk col;
    memset(&col, 0, sizeof col);
    col.has_meta_data = 1;
    floe_pq_row_group rg;
    memset(&rg, 0, sizeof rg);
    rg.columns = &col;
    rg.ncolumns = 1;
    rg.num_rows = 1;
    floe_pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.schema = el;
    m.nschema = 2;
    m.num_rows = 1;
    m.row_groups = &rg;
    m.nrow_groups = 1;
    floe_buf b;
    floe_buf_init(&b);
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta p;
    floe_err err = {0};
    CHECK_OK(encode_decode(&m, &b, &a, &p, &err), &err);

    /* Locate ColumnMetaData.codec (field 4 after path_in_schema, header 0x15)
     * and turn it into an unknown field 20 of the same type: codec is gone. */
    size_t at = 0;
    for (size_t i = 0; i + 3 < b.len; i++)
        if (b.data[i] == 0x19 && b.data[i + 1] == 0x08 && b.data[i + 2] == 0x15) { /* empty path list, codec */
            at = i + 2;
            break;
        }
    CHECK(at != 0);
    if (at) {
        /* 0x15 (delta 1, i32) -> 0x05 + zigzag(20) = long-form id 20: needs one
         * more byte, so rebuild the buffer around it. */
        floe_buf c;
        floe_buf_init(&c);
        floe_buf_append(&c, b.data, at);
        floe_buf_putc(&c, 0x05);
        floe_buf_putc(&c, 40);
        floe_buf_append(&c, b.data + at + 1, b.len - at - 1);
        CHECK(floe_pq_meta_parse(c.data, c.len, &a, &p, &err) == -1);
        CHECK(strstr(err.msg, "FileMetaData.row_groups[0].columns[0].meta_data: required field codec (id 4) is "
                              "missing") != NULL);
        /* Later ids delta-encode against 20 now, so num_values (5) follows in
         * long form too: the point is only that parsing stops at codec. */
        floe_buf_free(&c);
    }

    /* Negative num_rows. */
    m.num_rows = -1;
    CHECK(encode_decode(&m, &b, &a, &p, &err) == -1);
    CHECK(strstr(err.msg, "FileMetaData.num_rows: byte") != NULL && strstr(err.msg, "negative value -1"));

    /* A schema element without a name. */
    static const uint8_t noname[] = {0x15, 0x02, 0x19, 0x1c, 0x15, 0x00, 0x00, 0x00};
    CHECK(floe_pq_meta_parse(noname, sizeof noname, &a, &p, &err) == -1);
    CHECK(strstr(err.msg, "FileMetaData.schema[0]: required field name (id 4) is missing") != NULL);

    /* row_groups missing entirely. */
    static const uint8_t norg[] = {0x15, 0x02, 0x19, 0x0c, 0x16, 0x00, 0x00};
    CHECK(floe_pq_meta_parse(norg, sizeof norg, &a, &p, &err) == -1);
    CHECK(strstr(err.msg, "FileMetaData: required field row_groups (id 4) is missing") != NULL);

    /* A schema list claiming 2^31-1 elements in a few bytes. */
    static const uint8_t huge[] = {0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00};
    CHECK(floe_pq_meta_parse(huge, sizeof huge, &a, &p, &err) == -1);
    CHECK(strstr(err.msg, "FileMetaData.schema: byte 3: list of 2147483647 elements exceeds") != NULL);

    /* A LogicalType TIME member that is not a struct is skipped: no kind. */
    static const uint8_t lt[] = {0x15, 0x02, 0x19, 0x1c, 0x48, 0x01, 'x', 0x6c, 0x7a, 0x05, 0x00, 0x00,
                                 0x16, 0x00, 0x19, 0x0c, 0x00};
    CHECK_OK(floe_pq_meta_parse(lt, sizeof lt, &a, &p, &err), &err);
    CHECK(p.nschema == 1 && p.schema[0].logical.kind == FLOE_PQ_LT_NONE);

    /* A TIMESTAMP whose TimeUnit member is unknown (id 9). */
    static const uint8_t unit[] = {0x15, 0x02, 0x19, 0x1c, 0x48, 0x01, 'x', 0x6c, /* schema[0].logicalType */
                                   0x8c, 0x11, 0x1c, 0x9c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK(floe_pq_meta_parse(unit, sizeof unit, &a, &p, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
    CHECK(strstr(err.msg, "FileMetaData.schema[0].logicalType.TIMESTAMP.unit: byte") != NULL);
    CHECK(strstr(err.msg, "TimeUnit has no known member") != NULL);
    floe_buf_free(&b);
    floe_arena_free(&a);
}

/* ---- Real footers ----------------------------------------------------------------- */

static int parse_file_footer(const char *name, floe_arena *a, floe_pq_file_meta *m, uint8_t **file,
                             const uint8_t **foot, size_t *flen) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", CORPUS, name);
    size_t n;
    *file = slurp(path, &n);
    if (!*file) {
        fprintf(stderr, "  cannot read %s\n", path);
        return -1;
    }
    *foot = footer_of(*file, n, flen);
    if (!*foot) {
        fprintf(stderr, "  %s: no plaintext footer\n", path);
        return -1;
    }
    floe_err err = {0};
    if (floe_pq_meta_parse(*foot, *flen, a, m, &err)) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
        return -1;
    }
    return 0;
}

TEST(alltypes_plain_footer) {
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta m;
    uint8_t *file = NULL;
    const uint8_t *foot;
    size_t flen;
    CHECK(parse_file_footer("alltypes_plain.parquet", &a, &m, &file, &foot, &flen) == 0);
    CHECK_EQ_INT(m.num_rows, 8);
    /* The root and 11 columns. */
    CHECK_EQ_INT(m.nschema, 12);
    static const char *names[] = {"schema",     "id",         "bool_col",   "tinyint_col",     "smallint_col",
                                  "int_col",    "bigint_col", "float_col",  "double_col",      "date_string_col",
                                  "string_col", "timestamp_col"};
    for (int i = 0; i < 12 && m.nschema == 12; i++) CHECK(slice_eq(m.schema[i].name, names[i]));
    if (m.nschema == 12) {
        CHECK(m.schema[0].has_num_children && m.schema[0].num_children == 11);
        CHECK(m.schema[11].type == FLOE_PQ_INT96);
        CHECK(m.schema[1].has_type && m.schema[1].type == FLOE_PQ_INT32);
        CHECK(m.schema[2].type == FLOE_PQ_BOOLEAN);
        CHECK(m.schema[10].type == FLOE_PQ_BYTE_ARRAY);
        CHECK(m.schema[1].has_repetition && m.schema[1].repetition == FLOE_PQ_OPTIONAL);
    }
    CHECK_EQ_INT(m.nrow_groups, 1);
    if (m.nrow_groups == 1) {
        CHECK_EQ_INT(m.row_groups[0].num_rows, 8);
        CHECK_EQ_INT(m.row_groups[0].ncolumns, 11);
        const floe_pq_column_meta *c = &m.row_groups[0].columns[0].meta_data;
        CHECK(m.row_groups[0].columns[0].has_meta_data);
        CHECK(c->npath == 1 && slice_eq(c->path[0], "id"));
        CHECK_EQ_INT(c->type, FLOE_PQ_INT32);
        CHECK_EQ_INT(c->codec, FLOE_PQ_CODEC_UNCOMPRESSED);
        CHECK_EQ_INT(c->num_values, 8);
        CHECK(c->data_page_offset > 0);
    }
    CHECK(m.has_created_by);
    /* A parsed real footer writes back to something that parses to the same. */
    floe_buf b;
    floe_buf_init(&b);
    floe_pq_file_meta m2;
    floe_err err = {0};
    CHECK_OK(encode_decode(&m, &b, &a, &m2, &err), &err);
    CHECK(m2.num_rows == 8 && m2.nschema == 12 && m2.nrow_groups == 1);
    floe_buf_free(&b);
    free(file);
    floe_arena_free(&a);
}

TEST(corpus_footers_parse) {
    static const char *must[] = {"nested_structs.rust.parquet", "datapage_v2.snappy.parquet",
                                 "delta_byte_array.parquet"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        floe_arena a;
        floe_arena_init(&a, 0);
        floe_pq_file_meta m;
        uint8_t *file = NULL;
        const uint8_t *foot;
        size_t flen;
        CHECK(parse_file_footer(must[i], &a, &m, &file, &foot, &flen) == 0);
        CHECK(m.nschema > 1);
        free(file);
        floe_arena_free(&a);
    }

    /* Every file of the corpus with a plaintext footer parses. */
    DIR *d = opendir(CORPUS);
    CHECK(d != NULL);
    int parsed = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 8 || strcmp(de->d_name + nl - 8, ".parquet") != 0) continue;
        floe_arena a;
        floe_arena_init(&a, 0);
        floe_pq_file_meta m;
        uint8_t *file = NULL;
        const uint8_t *foot;
        size_t flen;
        int rc = parse_file_footer(de->d_name, &a, &m, &file, &foot, &flen);
        CHECK(rc == 0);
        parsed += rc == 0;
        free(file);
        floe_arena_free(&a);
    }
    if (d) closedir(d);
    CHECK(parsed > 50);

    /* The plaintext-footer encrypted file announces its encryption. */
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta m;
    uint8_t *file = NULL;
    const uint8_t *foot;
    size_t flen;
    CHECK(parse_file_footer("encrypt_columns_plaintext_footer.parquet.encrypted", &a, &m, &file, &foot, &flen) ==
          0);
    CHECK(m.has_encryption_algorithm);
    int crypto = 0;
    for (int g = 0; g < m.nrow_groups; g++)
        for (int c = 0; c < m.row_groups[g].ncolumns; c++)
            crypto += m.row_groups[g].columns[c].has_crypto_metadata;
    CHECK(crypto > 0);
    free(file);
    floe_arena_free(&a);
}

TEST(corrupted_footers_fail_cleanly) {
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_pq_file_meta m;
    uint8_t *file = NULL;
    const uint8_t *foot;
    size_t flen;
    if (parse_file_footer("alltypes_plain.parquet", &a, &m, &file, &foot, &flen)) {
        CHECK(0);
        return;
    }
    floe_arena_free(&a);
    floe_err err = {0};
    /* Truncations: all fail, each with a message. */
    for (size_t n = 0; n < flen; n++) {
        CHECK(floe_pq_meta_parse(foot, n, &a, &m, &err) == -1);
        CHECK(err.msg[0] != '\0');
        floe_arena_free(&a);
    }
    /* Random byte changes: parse or fail, never crash (ASan/UBSan watch).
     * The copy is exactly flen bytes so any overread is caught. */
    uint8_t *copy = malloc(flen);
    uint32_t seed = 12345;
    int failed = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(copy, foot, flen);
        int nflips = 1 + iter % 4;
        for (int k = 0; k < nflips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % flen;
            seed = seed * 1103515245u + 12345u;
            copy[pos] = (uint8_t)(seed >> 16);
        }
        if (floe_pq_meta_parse(copy, flen, &a, &m, &err) != 0) {
            failed++;
            CHECK(err.code == FLOE_ECORRUPT || err.code == FLOE_EUNSUPPORTED);
        }
        floe_arena_free(&a);
    }
    CHECK(failed > 0);
    free(copy);
    free(file);
}

TEST_MAIN(T(thrift_varints_match_spec), T(thrift_rejects_bad_varints), T(thrift_field_headers_and_lists),
          T(thrift_rejects_lying_counts), T(thrift_skip_depth_is_bounded), T(page_header_hand_built),
          T(page_header_round_trip_and_errors), T(file_meta_round_trip), T(file_meta_errors_name_the_field),
          T(alltypes_plain_footer), T(corpus_footers_parse), T(corrupted_footers_fail_cleanly))
