/*
 * test_value_format.c — floe_pq_format_value: one PLAIN value of each
 * physical type and annotation rendered as the JSON text floe prints, and
 * rejection of byte counts that do not fit the type.
 */
#include <string.h>

#include "floe/parquet.h"
#include "test.h"
#include "util/mem.h"

/* A free-standing leaf: only the type fields matter here. */
static floe_pq_node leaf(int physical) {
    floe_pq_node n;
    memset(&n, 0, sizeof n);
    n.physical = physical;
    n.converted = FLOE_PQ_CT_NONE;
    return n;
}

static void expect(const floe_pq_node *n, const void *plain, uint32_t len, const char *want) {
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_puts(&b, "<");
    int rc = floe_pq_format_value(n, plain, len, &b);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(floe_buf_cstr(&b) + 1, want);
    floe_buf_free(&b);
}

static void expect_reject(const floe_pq_node *n, const void *plain, uint32_t len) {
    floe_buf b;
    floe_buf_init(&b);
    CHECK_EQ_INT(floe_pq_format_value(n, plain, len, &b), -1);
    CHECK_EQ_INT(b.len, 0);
    floe_buf_free(&b);
}

TEST(integers) {
    floe_pq_node n = leaf(FLOE_PQ_INT32);
    const uint8_t m42[4] = {0xD6, 0xFF, 0xFF, 0xFF}; /* -42 little-endian */
    expect(&n, m42, 4, "-42");
    n.converted = FLOE_PQ_CT_UINT_32;
    expect(&n, m42, 4, "4294967254");
    n = leaf(FLOE_PQ_INT64);
    const uint8_t all1[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    expect(&n, all1, 8, "-1");
    n.logical.kind = FLOE_PQ_LT_INTEGER;
    n.logical.bit_width = 64;
    n.logical.is_signed = 0;
    expect(&n, all1, 8, "18446744073709551615");
    n = leaf(FLOE_PQ_BOOLEAN);
    const uint8_t one = 1, zero = 0;
    expect(&n, &one, 1, "true");
    expect(&n, &zero, 1, "false");
}

TEST(dates_times_timestamps) {
    floe_pq_node n = leaf(FLOE_PQ_INT32);
    n.logical.kind = FLOE_PQ_LT_DATE;
    const uint8_t d19000[4] = {0x38, 0x4A, 0, 0}; /* 19000 */
    expect(&n, d19000, 4, "\"2022-01-08\"");
    n = leaf(FLOE_PQ_INT64);
    n.logical.kind = FLOE_PQ_LT_TIME;
    n.logical.unit = FLOE_PQ_UNIT_MICROS;
    const uint8_t t[8] = {0x41, 0x6D, 0x36, 0xDA, 0, 0, 0, 0}; /* 3661000001 us = 01:01:01.000001 */
    expect(&n, t, 8, "\"01:01:01.000001\"");
    n.logical.kind = FLOE_PQ_LT_TIMESTAMP;
    n.logical.utc = 1;
    const uint8_t zero8[8] = {0};
    expect(&n, zero8, 8, "\"1970-01-01T00:00:00.000000+00:00\"");
    n.logical.utc = 0;
    n.logical.unit = FLOE_PQ_UNIT_NANOS;
    expect(&n, zero8, 8, "\"1970-01-01T00:00:00.000000000\"");
    /* Legacy annotation only: an instant in milliseconds. */
    n = leaf(FLOE_PQ_INT64);
    n.converted = FLOE_PQ_CT_TIMESTAMP_MILLIS;
    const uint8_t ms[8] = {0xE8, 0x03, 0, 0, 0, 0, 0, 0}; /* 1000 ms */
    expect(&n, ms, 8, "\"1970-01-01T00:00:01.000+00:00\"");
    /* INT96: nanoseconds of day 1 s, Julian day 2440589 (1970-01-02). */
    n = leaf(FLOE_PQ_INT96);
    const uint8_t i96[12] = {0x00, 0xCA, 0x9A, 0x3B, 0, 0, 0, 0, 0x8D, 0x3D, 0x25, 0x00};
    expect(&n, i96, 12, "\"1970-01-02T00:00:01.000000000\"");
    /* Beyond int64 nanoseconds (Spark writes 9999-12-31): still a date.
     * Julian day 5373484 = 9999-12-31, 3 h into the day. */
    const uint8_t far[12] = {0x00, 0xE0, 0x29, 0x92, 0xD2, 0x09, 0, 0, 0x2C, 0xFE, 0x51, 0x00};
    expect(&n, far, 12, "\"9999-12-31T03:00:00.000000000\"");
}

TEST(decimals) {
    floe_pq_node n = leaf(FLOE_PQ_INT32);
    n.logical.kind = FLOE_PQ_LT_DECIMAL;
    n.logical.precision = 9;
    n.logical.scale = 2;
    const uint8_t m1420[4] = {0x74, 0xFA, 0xFF, 0xFF}; /* -1420 */
    expect(&n, m1420, 4, "\"-14.20\"");
    n = leaf(FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n.type_length = 16;
    n.converted = FLOE_PQ_CT_DECIMAL;
    n.precision = 38;
    n.scale = 10;
    uint8_t m1[16];
    memset(m1, 0xFF, sizeof m1);
    expect(&n, m1, 16, "\"-0.0000000001\"");
    n = leaf(FLOE_PQ_BYTE_ARRAY);
    n.logical.kind = FLOE_PQ_LT_DECIMAL;
    n.logical.precision = 5;
    n.logical.scale = 0;
    const uint8_t be[2] = {0x30, 0x39}; /* 12345 */
    expect(&n, be, 2, "\"12345\"");
}

TEST(floats) {
    floe_pq_node n = leaf(FLOE_PQ_DOUBLE);
    double d = 0.1;
    expect(&n, &d, 8, "0.1");
    d = NAN;
    expect(&n, &d, 8, "\"NaN\"");
    n = leaf(FLOE_PQ_FLOAT);
    float f = -1.5f;
    expect(&n, &f, 4, "-1.5");
    n = leaf(FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n.type_length = 2;
    n.logical.kind = FLOE_PQ_LT_FLOAT16;
    const uint8_t h1[2] = {0x00, 0x3C}, hm2[2] = {0x00, 0xC0}, hsub[2] = {0x01, 0x00};
    expect(&n, h1, 2, "1");
    expect(&n, hm2, 2, "-2");
    /* The smallest subnormal half, 2^-24: "6e-08" is the shortest text that
     * reads back as it. */
    expect(&n, hsub, 2, "6e-08");
}

TEST(bytes) {
    floe_pq_node n = leaf(FLOE_PQ_BYTE_ARRAY);
    n.logical.kind = FLOE_PQ_LT_STRING;
    expect(&n, "a\"b\n", 4, "\"a\\\"b\\n\"");
    n = leaf(FLOE_PQ_BYTE_ARRAY);
    n.converted = FLOE_PQ_CT_UTF8;
    expect(&n, "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
    n = leaf(FLOE_PQ_BYTE_ARRAY);
    const uint8_t raw[3] = {0, 1, 2};
    expect(&n, raw, 3, "\"AAEC\"");
    expect(&n, raw, 0, "\"\"");
    n = leaf(FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n.type_length = 16;
    n.logical.kind = FLOE_PQ_LT_UUID;
    const uint8_t u[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
                           0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};
    expect(&n, u, 16, "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"");
    n.logical.kind = FLOE_PQ_LT_NONE;
    n.type_length = 3;
    expect(&n, raw, 3, "\"AAEC\"");
}

TEST(sizes_that_do_not_fit) {
    const uint8_t b[40] = {0};
    floe_pq_node n = leaf(FLOE_PQ_INT32);
    expect_reject(&n, b, 3);
    n = leaf(FLOE_PQ_INT64);
    expect_reject(&n, b, 4);
    n = leaf(FLOE_PQ_DOUBLE);
    expect_reject(&n, b, 0);
    n = leaf(FLOE_PQ_INT96);
    expect_reject(&n, b, 8);
    n = leaf(FLOE_PQ_BOOLEAN);
    expect_reject(&n, b, 0);
    n = leaf(FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n.type_length = 16;
    expect_reject(&n, b, 15);
    n = leaf(FLOE_PQ_BYTE_ARRAY);
    n.logical.kind = FLOE_PQ_LT_DECIMAL;
    expect_reject(&n, b, 33);
}

TEST_MAIN(T(integers), T(dates_times_timestamps), T(decimals), T(floats), T(bytes), T(sizes_that_do_not_fit))
