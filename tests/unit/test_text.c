/*
 * test_text.c — textual value forms: RFC 4648 base64 vectors, the Iceberg
 * spec's date/time/timestamp examples and the calendar at its extremes,
 * shortest round-trip doubles and floats, decimals (negative, tiny, 38 and
 * 76 digits, exponents, precision and scale checks), UUIDs, JSON escaping
 * and UTF-8 validation.
 */
#include <float.h>
#include <stdint.h>

#include "test.h"
#include "util/text.h"

static floe_buf buf;

/* The buffer's text as a C string, after `fn` appended to an empty buffer. */
static const char *text(void) { return floe_buf_cstr(&buf); }
#define FMT(call) (floe_buf_reset(&buf), (call), text())

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { return test_xorshift64(&rng_state); }

TEST(base64_rfc4648) {
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_STR(FMT(floe_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), &buf)), enc[i]);
        floe_buf_reset(&buf);
        CHECK_EQ_INT(floe_base64_decode(enc[i], strlen(enc[i]), &buf), 0);
        CHECK_EQ_STR(text(), plain[i]);
        /* Padding may be left off. */
        size_t n = strlen(enc[i]);
        while (n && enc[i][n - 1] == '=') n--;
        floe_buf_reset(&buf);
        CHECK_EQ_INT(floe_base64_decode(enc[i], n, &buf), 0);
        CHECK_EQ_STR(text(), plain[i]);
    }
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    floe_buf_reset(&buf);
    floe_base64_encode(all, 256, &buf);
    CHECK(strncmp(text(), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj", 48) == 0);
    floe_buf b2;
    floe_buf_init(&b2);
    CHECK_EQ_INT(floe_base64_decode((const char *)buf.data, buf.len, &b2), 0);
    CHECK(b2.len == 256 && memcmp(b2.data, all, 256) == 0);
    /* Bad characters, impossible lengths and misplaced padding; a failed
     * decode leaves the buffer as it was. */
    const char *bad[] = {"Zm9v!", "Z", "Zm9vY", "Zg=", "Zg===", "Z=g=", "Zm 9v", "Zm9v\n"};
    for (int i = 0; i < 8; i++) {
        b2.len = 3;
        CHECK_EQ_INT(floe_base64_decode(bad[i], strlen(bad[i]), &b2), -1);
        CHECK_EQ_INT(b2.len, 3);
    }
    floe_buf_free(&b2);
}

TEST(calendar) {
    CHECK_EQ_INT(floe_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(floe_days_from_civil(2017, 11, 16), 17486); /* Iceberg spec */
    CHECK_EQ_INT(floe_days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(floe_days_from_civil(1, 1, 1), -719162);
    CHECK_EQ_INT(floe_days_from_civil(2000, 3, 1) - floe_days_from_civil(2000, 2, 28), 2);
    CHECK_EQ_INT(floe_days_from_civil(1900, 3, 1) - floe_days_from_civil(1900, 2, 28), 1);
    for (int64_t d = -3000000; d <= 3000000; d += 997) {
        int64_t y;
        unsigned m, dd;
        floe_civil_from_days(d, &y, &m, &dd);
        CHECK(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
        CHECK_EQ_INT(floe_days_from_civil(y, m, dd), d);
    }
    /* int64 extremes used by millisecond timestamps. */
    int64_t y;
    unsigned m, d;
    int64_t far = INT64_MIN / 86400000 - 1;
    floe_civil_from_days(far, &y, &m, &d);
    CHECK_EQ_INT(floe_days_from_civil(y, m, d), far);
}

TEST(dates) {
    CHECK_EQ_STR(FMT(floe_fmt_date(17486, &buf)), "2017-11-16");
    CHECK_EQ_STR(FMT(floe_fmt_date(0, &buf)), "1970-01-01");
    CHECK_EQ_STR(FMT(floe_fmt_date(-1, &buf)), "1969-12-31");
    CHECK_EQ_STR(FMT(floe_fmt_date(-719162, &buf)), "0001-01-01");
    CHECK_EQ_STR(FMT(floe_fmt_date(2932896, &buf)), "9999-12-31");
    CHECK_EQ_STR(FMT(floe_fmt_date(2932897, &buf)), "+10000-01-01");
    CHECK_EQ_STR(FMT(floe_fmt_date((int32_t)floe_days_from_civil(-1, 1, 1), &buf)), "-0001-01-01");
    CHECK_EQ_STR(FMT(floe_fmt_date((int32_t)floe_days_from_civil(0, 2, 29), &buf)), "0000-02-29");
    int32_t d;
    CHECK_EQ_INT(floe_parse_date("2017-11-16", 10, &d), 0);
    CHECK_EQ_INT(d, 17486);
    CHECK_EQ_INT(floe_parse_date("2000-02-29", 10, &d), 0);
    CHECK_EQ_INT(floe_parse_date("+10000-01-01", 12, &d), 0);
    CHECK_EQ_INT(d, 2932897);
    CHECK_EQ_INT(floe_parse_date("-0001-01-01", 11, &d), 0);
    CHECK_EQ_INT(d, floe_days_from_civil(-1, 1, 1));
    /* Every int32 day count round-trips through the text, extremes included. */
    const int32_t samples[] = {INT32_MIN, INT32_MAX, -719163, 2932897, 123456789, -98765432};
    for (int i = 0; i < 6; i++) {
        floe_buf_reset(&buf);
        floe_fmt_date(samples[i], &buf);
        CHECK_EQ_INT(floe_parse_date((const char *)buf.data, buf.len, &d), 0);
        CHECK_EQ_INT(d, samples[i]);
    }
    const char *bad[] = {"2017-02-29", "2017-13-01", "2017-00-10", "2017-11-31", "2017-11-00", "2017-1-16",
                         "17-11-16",   "2017-11-16x", "2017/11/16", "",          "2017-11-16 ", "+2017-11",
                         "+9999999999-01-01", "+999999999-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_EQ_INT(floe_parse_date(bad[i], strlen(bad[i]), &d), -1);
    /* Not NUL-terminated: only n bytes are read. */
    CHECK_EQ_INT(floe_parse_date("2017-11-16T00", 10, &d), 0);
}

TEST(times) {
    CHECK_EQ_STR(FMT(floe_fmt_time(0, FLOE_UNIT_MICROS, &buf)), "00:00:00.000000");
    CHECK_EQ_STR(FMT(floe_fmt_time(81068000000, FLOE_UNIT_MICROS, &buf)), "22:31:08.000000");
    CHECK_EQ_STR(FMT(floe_fmt_time(81068123, FLOE_UNIT_MILLIS, &buf)), "22:31:08.123");
    CHECK_EQ_STR(FMT(floe_fmt_time(86399999999999, FLOE_UNIT_NANOS, &buf)), "23:59:59.999999999");
    int64_t v;
    CHECK_EQ_INT(floe_parse_time("22:31:08", 8, FLOE_UNIT_MICROS, &v), 0);
    CHECK_EQ_INT(v, 81068000000);
    CHECK_EQ_INT(floe_parse_time("22:31", 5, FLOE_UNIT_MICROS, &v), 0);
    CHECK_EQ_INT(v, 81060000000);
    CHECK_EQ_INT(floe_parse_time("22:31:08.5", 10, FLOE_UNIT_MILLIS, &v), 0);
    CHECK_EQ_INT(v, 81068500);
    CHECK_EQ_INT(floe_parse_time("00:00:00.000000001", 18, FLOE_UNIT_NANOS, &v), 0);
    CHECK_EQ_INT(v, 1);
    CHECK_EQ_INT(floe_parse_time("00:00:00.123000000", 18, FLOE_UNIT_MILLIS, &v), 0);
    CHECK_EQ_INT(v, 123);
    CHECK_EQ_INT(floe_parse_time("00:00:00.1234", 13, FLOE_UNIT_MILLIS, &v), -1);
    const char *bad[] = {"24:00:00", "23:60:00", "23:59:60", "1:00:00", "12:00:00.", "12:00:00.1234567891",
                         "12", "12:00:00Z", "12-00-00", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(floe_parse_time(bad[i], strlen(bad[i]), FLOE_UNIT_NANOS, &v), -1);
}

static int64_t ts(const char *s, int unit) {
    int64_t v = 0x5555;
    if (floe_parse_timestamp(s, strlen(s), unit, &v) != 0) return INT64_MIN + 7;
    return v;
}

TEST(timestamps) {
    const int64_t t = 1510871468000000; /* Iceberg spec: 2017-11-16T22:31:08 */
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(t, FLOE_UNIT_MICROS, 0, &buf)), "2017-11-16T22:31:08.000000");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(t + 1, FLOE_UNIT_MICROS, 1, &buf)), "2017-11-16T22:31:08.000001+00:00");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(t / 1000, FLOE_UNIT_MILLIS, 0, &buf)), "2017-11-16T22:31:08.000");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(t * 1000 + 1, FLOE_UNIT_NANOS, 1, &buf)),
                 "2017-11-16T22:31:08.000000001+00:00");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(-1, FLOE_UNIT_MICROS, 0, &buf)), "1969-12-31T23:59:59.999999");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(-86400000000, FLOE_UNIT_MICROS, 0, &buf)), "1969-12-31T00:00:00.000000");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(-1500, FLOE_UNIT_MILLIS, 0, &buf)), "1969-12-31T23:59:58.500");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(INT64_MAX, FLOE_UNIT_NANOS, 0, &buf)), "2262-04-11T23:47:16.854775807");
    CHECK_EQ_STR(FMT(floe_fmt_timestamp(INT64_MIN, FLOE_UNIT_NANOS, 0, &buf)), "1677-09-21T00:12:43.145224192");

    CHECK_EQ_INT(ts("2017-11-16T22:31:08", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16 22:31:08", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16T22:31:08.000001+00:00", FLOE_UNIT_MICROS), t + 1);
    CHECK_EQ_INT(ts("2017-11-16T22:31:08.000001Z", FLOE_UNIT_MICROS), t + 1);
    CHECK_EQ_INT(ts("2017-11-16T22:31:08.1", FLOE_UNIT_MICROS), t + 100000);
    CHECK_EQ_INT(ts("2017-11-16T23:31:08+01:00", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16T23:31:08+0100", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16T23:31:08+01", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16T17:01:08-05:30", FLOE_UNIT_MICROS), t);
    CHECK_EQ_INT(ts("2017-11-16", FLOE_UNIT_MICROS), 17486 * 86400000000);
    CHECK_EQ_INT(ts("2017-11-16T22:31", FLOE_UNIT_MILLIS), t / 1000 - 8000);
    CHECK_EQ_INT(ts("2017-11-16T22:31:08.123456789", FLOE_UNIT_NANOS), t * 1000 + 123456789);
    CHECK_EQ_INT(ts("1969-12-31T23:59:59.999999", FLOE_UNIT_MICROS), -1);
    CHECK_EQ_INT(ts("1970-01-01T00:59:59.999999+01:00", FLOE_UNIT_MICROS), -1);
    CHECK_EQ_INT(ts("2262-04-11T23:47:16.854775807", FLOE_UNIT_NANOS), INT64_MAX);
    CHECK_EQ_INT(ts("1677-09-21T00:12:43.145224192", FLOE_UNIT_NANOS), INT64_MIN);

    const char *bad[] = {"2262-04-11T23:47:16.854775808", "1677-09-21T00:12:43.145224191", "2017-11-16T",
                         "2017-11-16T22:31:08+1", "2017-11-16T22:31:08+01:", "2017-11-16T22:31:08+24:00",
                         "2017-11-16T22:31:08 Z", "2017-11-16Z", "2017-11-16T22:31:08.000001+00:00x",
                         "2017-11-16X22:31:08", "2017-11-16T22:31:08.0000001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        int unit = i < 2 ? FLOE_UNIT_NANOS : FLOE_UNIT_MICROS;
        CHECK_EQ_INT(floe_parse_timestamp(bad[i], strlen(bad[i]), unit, &v), -1);
    }
    /* Random instants in every unit print and parse back. */
    for (int i = 0; i < 20000; i++) {
        int unit = 1 + i % 3;
        int64_t v = (int64_t)rnd();
        if (unit != FLOE_UNIT_NANOS) v /= 1000; /* keep years within 9 digits */
        floe_buf_reset(&buf);
        floe_fmt_timestamp(v, unit, i & 1, &buf);
        int64_t back;
        CHECK_EQ_INT(floe_parse_timestamp((const char *)buf.data, buf.len, unit, &back), 0);
        CHECK_EQ_INT(back, v);
    }
}

TEST(integers) {
    CHECK_EQ_STR(FMT(floe_fmt_i64(0, &buf)), "0");
    CHECK_EQ_STR(FMT(floe_fmt_i64(-42, &buf)), "-42");
    CHECK_EQ_STR(FMT(floe_fmt_i64(INT64_MIN, &buf)), "-9223372036854775808");
    CHECK_EQ_STR(FMT(floe_fmt_i64(INT64_MAX, &buf)), "9223372036854775807");
    CHECK_EQ_STR(FMT(floe_fmt_u64(UINT64_MAX, &buf)), "18446744073709551615");
}

TEST(doubles) {
    CHECK_EQ_STR(FMT(floe_fmt_double(0.1, &buf)), "0.1");
    CHECK_EQ_STR(FMT(floe_fmt_double(1e300, &buf)), "1e+300");
    CHECK_EQ_STR(FMT(floe_fmt_double(5e-324, &buf)), "5e-324");
    CHECK_EQ_STR(FMT(floe_fmt_double(-0.0, &buf)), "-0");
    CHECK_EQ_STR(FMT(floe_fmt_double(0.0, &buf)), "0");
    CHECK_EQ_STR(FMT(floe_fmt_double(3.0, &buf)), "3");
    CHECK_EQ_STR(FMT(floe_fmt_double(-14.25, &buf)), "-14.25");
    CHECK_EQ_STR(FMT(floe_fmt_double(1.0 / 3, &buf)), "0.3333333333333333");
    CHECK_EQ_STR(FMT(floe_fmt_double(0.1 + 0.2, &buf)), "0.30000000000000004");
    CHECK_EQ_STR(FMT(floe_fmt_double(DBL_MAX, &buf)), "1.7976931348623157e+308");
    CHECK_EQ_STR(FMT(floe_fmt_double(1e20, &buf)), "1e+20");
    CHECK_EQ_STR(FMT(floe_fmt_double(123456789012345.0, &buf)), "123456789012345");
    CHECK_EQ_STR(FMT(floe_fmt_double(-999999999999999.0, &buf)), "-999999999999999");
    CHECK_EQ_STR(FMT(floe_fmt_double(1e15, &buf)), "1e+15");
    CHECK_EQ_STR(FMT(floe_fmt_double(-7.0, &buf)), "-7");
    CHECK_EQ_STR(FMT(floe_fmt_double(NAN, &buf)), "\"NaN\"");
    CHECK_EQ_STR(FMT(floe_fmt_double(INFINITY, &buf)), "\"Infinity\"");
    CHECK_EQ_STR(FMT(floe_fmt_double(-INFINITY, &buf)), "\"-Infinity\"");
    for (int i = 0; i < 50000; i++) {
        uint64_t bits = rnd();
        double v;
        memcpy(&v, &bits, 8);
        if (!isfinite(v)) continue;
        if (i % 4 == 0) v = (double)(int64_t)(bits % 2000001) / 1000; /* short decimals */
        floe_buf_reset(&buf);
        floe_fmt_double(v, &buf);
        CHECK(strtod(text(), NULL) == v);
        if (i % 4 == 0) CHECK(buf.len <= 9);
    }
}

TEST(floats) {
    CHECK_EQ_STR(FMT(floe_fmt_float(0.1f, &buf)), "0.1");
    CHECK_EQ_STR(FMT(floe_fmt_float(16777216.0f, &buf)), "16777216");
    CHECK_EQ_STR(FMT(floe_fmt_float(FLT_MAX, &buf)), "3.4028235e+38");
    CHECK_EQ_STR(FMT(floe_fmt_float(FLT_TRUE_MIN, &buf)), "1e-45");
    CHECK_EQ_STR(FMT(floe_fmt_float(-2.5f, &buf)), "-2.5");
    CHECK_EQ_STR(FMT(floe_fmt_float(1.0f / 3, &buf)), "0.33333334");
    CHECK_EQ_STR(FMT(floe_fmt_float(-NAN, &buf)), "\"NaN\"");
    CHECK_EQ_STR(FMT(floe_fmt_float(-INFINITY, &buf)), "\"-Infinity\"");
    for (int i = 0; i < 50000; i++) {
        uint32_t bits = (uint32_t)rnd();
        float v;
        memcpy(&v, &bits, 4);
        if (!isfinite(v)) continue;
        floe_buf_reset(&buf);
        floe_fmt_float(v, &buf);
        CHECK(strtof(text(), NULL) == v);
    }
}

static const char *dec_be(const uint8_t *p, size_t n, int32_t scale) {
    floe_buf_reset(&buf);
    floe_fmt_decimal_be(p, n, scale, &buf);
    return text();
}

TEST(decimal_format) {
    const uint8_t m1420[] = {0xFA, 0x74}; /* -1420 */
    CHECK_EQ_STR(dec_be(m1420, 2, 2), "-14.20");
    CHECK_EQ_STR(dec_be(m1420, 2, 0), "-1420");
    CHECK_EQ_STR(dec_be(m1420, 2, 6), "-0.001420");
    const uint8_t twelve[] = {0x0C};
    CHECK_EQ_STR(dec_be(twelve, 1, 4), "0.0012");
    CHECK_EQ_STR(dec_be(twelve, 1, 2), "0.12");
    CHECK_EQ_STR(dec_be(twelve, 1, 1), "1.2");
    const uint8_t zero9[9] = {0};
    CHECK_EQ_STR(dec_be(zero9, 9, 2), "0.00");
    CHECK_EQ_STR(dec_be(zero9, 0, 0), "0");
    const uint8_t minus1_9[9] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ_STR(dec_be(minus1_9, 9, 3), "-0.001");
    /* 10^38 - 1, the largest decimal(38, s), and its negation. */
    const uint8_t max38[16] = {0x4B, 0x3B, 0x4C, 0xA8, 0x5A, 0x86, 0xC4, 0x7A,
                               0x09, 0x8A, 0x22, 0x3F, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ_STR(dec_be(max38, 16, 0), "99999999999999999999999999999999999999");
    CHECK_EQ_STR(dec_be(max38, 16, 10), "9999999999999999999999999999.9999999999");
    uint8_t min38[16];
    int carry = 1;
    for (int i = 15; i >= 0; i--) {
        int t = (uint8_t)~max38[i] + carry;
        min38[i] = (uint8_t)t;
        carry = t >> 8;
    }
    CHECK_EQ_STR(dec_be(min38, 16, 38), "-0.99999999999999999999999999999999999999");
    /* The extremes of 32 bytes: 2^255 - 1 and -2^255. */
    uint8_t big[32];
    memset(big, 0xFF, 32);
    big[0] = 0x7F;
    CHECK_EQ_STR(dec_be(big, 32, 0), "57896044618658097711785492504343953926634992332820282019728792003956564819967");
    memset(big, 0, 32);
    big[0] = 0x80;
    CHECK_EQ_STR(dec_be(big, 32, 1), "-5789604461865809771178549250434395392663499233282028201972879200395656481996.8");
    /* Odd widths (not a multiple of 4). */
    const uint8_t w11[11] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* -2^87 */
    CHECK_EQ_STR(dec_be(w11, 11, 0), "-154742504910672534362390528");
    const uint8_t w9[9] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0}; /* 2^64 */
    CHECK_EQ_STR(dec_be(w9, 9, 2), "184467440737095516.16");
    /* Redundant sign bytes are ignored; wider values are refused. */
    uint8_t wide[40];
    memset(wide, 0xFF, 40);
    wide[39] = 0x9C; /* -100 */
    CHECK_EQ_STR(dec_be(wide, 40, 1), "-10.0");
    memset(wide, 0, 40);
    wide[8] = 0x01; /* 2^248 */
    CHECK_EQ_STR(dec_be(wide, 40, 0), "452312848583266388373324160190187140051835877600158453279131187530910662656");
    wide[7] = 0x01; /* 2^256 + 2^248: 33 bytes */
    floe_buf_reset(&buf);
    floe_buf_puts(&buf, "x");
    CHECK_EQ_INT(floe_fmt_decimal_be(wide, 40, 0, &buf), -1);
    CHECK_EQ_STR(text(), "x");
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(INT64_MIN, 0, &buf)), "-9223372036854775808");
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(INT64_MAX, 18, &buf)), "9.223372036854775807");
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(-5, 3, &buf)), "-0.005");
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(0, 0, &buf)), "0");
    /* Scales no real decimal has print exactly with an exponent. */
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(12, -3, &buf)), "12e3");
    CHECK_EQ_STR(FMT(floe_fmt_decimal_i64(-12, 1000, &buf)), "-12e-1000");
}

static int dec_parse(const char *s, int32_t p, int32_t sc, const char *want) {
    uint8_t out[16];
    if (floe_parse_decimal(s, strlen(s), p, sc, out) != 0) return want == NULL;
    if (!want) return 0;
    return strcmp(dec_be(out, 16, sc), want) == 0;
}

TEST(decimal_parse) {
    CHECK(dec_parse("14.20", 4, 2, "14.20"));
    CHECK(dec_parse("14.2", 4, 2, "14.20"));
    CHECK(dec_parse("-14.2", 4, 2, "-14.20"));
    CHECK(dec_parse("+14", 4, 2, "14.00"));
    CHECK(dec_parse("14.200", 4, 2, "14.20"));
    CHECK(dec_parse("14.201", 9, 2, NULL));
    CHECK(dec_parse("140.2", 4, 2, NULL));
    CHECK(dec_parse("0.0012", 4, 4, "0.0012"));
    CHECK(dec_parse("-0", 4, 2, "0.00"));
    CHECK(dec_parse("-0.000", 1, 0, "0"));
    CHECK(dec_parse(".5", 2, 1, "0.5"));
    CHECK(dec_parse("5.", 2, 1, "5.0"));
    CHECK(dec_parse("1.5e3", 6, 2, "1500.00"));
    CHECK(dec_parse("1.5E+3", 6, 2, "1500.00"));
    CHECK(dec_parse("1e-2", 4, 2, "0.01"));
    CHECK(dec_parse("100e-4", 4, 2, "0.01"));
    CHECK(dec_parse("1e-3", 4, 2, NULL));
    CHECK(dec_parse("0e999999999999", 4, 2, "0.00"));
    CHECK(dec_parse("1e999999999999", 38, 2, NULL));
    CHECK(dec_parse("1e-999999999999", 38, 2, NULL));
    CHECK(dec_parse("99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999"));
    CHECK(dec_parse("-99999999999999999999999999999999999999", 38, 0, "-99999999999999999999999999999999999999"));
    CHECK(dec_parse("-9999999999999999999999999999.9999999999", 38, 10, "-9999999999999999999999999999.9999999999"));
    CHECK(dec_parse("999999999999999999999999999999999999999", 38, 0, NULL));
    CHECK(dec_parse("000000000000000000000000000000000000000000001.5", 2, 1, "1.5"));
    CHECK(dec_parse("1", 39, 0, "1"));
    const char *bad[] = {"", "-", "+", ".", "1e", "1e+", "abc", "1.2.3", "1,5", " 1", "1 ", "0x10", "--1", "1e5.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(dec_parse(bad[i], 10, 2, NULL));
    /* Random 16-byte values below 10^38 print and parse back. */
    for (int i = 0; i < 5000; i++) {
        uint8_t v[16], back[16];
        uint64_t hi = rnd() % 0x4B3B4CA85A86C47Aull, lo = rnd();
        for (int b = 0; b < 8; b++) {
            v[b] = (uint8_t)(hi >> (56 - 8 * b));
            v[8 + b] = (uint8_t)(lo >> (56 - 8 * b));
        }
        if (i & 1) {
            int c = 1;
            for (int b = 15; b >= 0; b--) {
                int t = (uint8_t)~v[b] + c;
                v[b] = (uint8_t)t;
                c = t >> 8;
            }
        }
        int32_t scale = i % 39;
        dec_be(v, 16, scale);
        CHECK_EQ_INT(floe_parse_decimal((const char *)buf.data, buf.len, 38, scale, back), 0);
        CHECK(memcmp(v, back, 16) == 0);
    }
}

TEST(uuid) {
    const char *s = "f79c3e09-677c-4bbd-a479-3f349cb785e7";
    const uint8_t want[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
                              0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};
    uint8_t u[16];
    CHECK_EQ_INT(floe_parse_uuid(s, 36, u), 0);
    CHECK(memcmp(u, want, 16) == 0);
    CHECK_EQ_STR(FMT(floe_fmt_uuid(u, &buf)), s);
    CHECK_EQ_INT(floe_parse_uuid("F79C3E09-677C-4BBD-A479-3F349CB785E7", 36, u), 0);
    CHECK(memcmp(u, want, 16) == 0);
    const char *bad[] = {"f79c3e09677c4bbda4793f349cb785e7", "f79c3e09-677c-4bbd-a479-3f349cb785e",
                         "f79c3e09-677c-4bbd-a479_3f349cb785e7", "g79c3e09-677c-4bbd-a479-3f349cb785e7",
                         "f79c3e0-9677c-4bbd-a479-3f349cb785e7", "{f79c3e09-677c-4bbd-a479-3f349cb785e7}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_EQ_INT(floe_parse_uuid(bad[i], strlen(bad[i]), u), -1);
}

static const char *esc(const char *s, size_t n) {
    floe_buf_reset(&buf);
    floe_json_escape((const uint8_t *)s, n, &buf);
    return text();
}

TEST(json_escape) {
    CHECK_EQ_STR(esc("", 0), "\"\"");
    CHECK_EQ_STR(esc("plain text", 10), "\"plain text\"");
    CHECK_EQ_STR(esc("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
    CHECK_EQ_STR(esc("\b\f\n\r\t", 5), "\"\\b\\f\\n\\r\\t\"");
    CHECK_EQ_STR(esc("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\"");
    CHECK_EQ_STR(esc("nul\0byte", 8), "\"nul\\u0000byte\"");
    /* Valid UTF-8 passes through untouched: 2, 3 and 4-byte sequences. */
    CHECK_EQ_STR(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* Invalid bytes become U+FFFD, one per byte. */
    CHECK_EQ_STR(esc("a\xffz", 3), "\"a\\ufffdz\"");
    CHECK_EQ_STR(esc("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");         /* overlong '/' */
    CHECK_EQ_STR(esc("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    CHECK_EQ_STR(esc("\xe2\x82", 2), "\"\\ufffd\\ufffd\"");         /* truncated */
    CHECK_EQ_STR(esc("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    CHECK_EQ_STR(esc("\xe2\x82\xac\x80", 4), "\"\xe2\x82\xac\\ufffd\"");
}

TEST(utf8_valid) {
    struct { const char *s; size_t n; int ok; } v[] = {
        {"", 0, 1},
        {"hello, world: long ascii run", 28, 1},
        {"\xc3\xa9", 2, 1},
        {"\xe2\x82\xac", 3, 1},
        {"\xef\xbf\xbf", 3, 1},
        {"\xf0\x9f\x98\x80", 4, 1},
        {"\xf4\x8f\xbf\xbf", 4, 1},
        {"\xed\x9f\xbf", 3, 1},
        {"0123456789abcde\xc3\xa9", 17, 1},
        {"\x80", 1, 0},
        {"\xc1\xbf", 2, 0},
        {"\xe0\x9f\xbf", 3, 0},
        {"\xed\xa0\x80", 3, 0},
        {"\xf0\x8f\xbf\xbf", 4, 0},
        {"\xf4\x90\x80\x80", 4, 0},
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xc3", 1, 0},
        {"0123456789abcde\xc3", 16, 0},
        {"\xf0\x9f\x98", 3, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (floe_utf8_valid((const uint8_t *)v[i].s, v[i].n) != v[i].ok) {
            fprintf(stderr, "  utf8 vector %zu\n", i);
            CHECK(0);
        }
    }
}

static void free_buf(void) { floe_buf_free(&buf); }

/* The fixed-layout fast path (with its cache of the last date and minute)
 * must agree with the general parser's rules: checked against values
 * computed from the calendar, in an order that hits and misses the cache. */
TEST(timestamp_fast_path) {
    static const struct { const char *s; int64_t days, secs, micros; } v[] = {
        {"2026-01-01T00:00:00.015074Z", 20454, 0, 15074},
        {"2026-01-01T00:00:00.016149Z", 20454, 0, 16149},
        {"2026-01-01T00:01:59.999999Z", 20454, 119, 999999},
        {"2026-01-01T00:01:59Z", 20454, 119, 0},
        {"2026-01-01T00:01:59.5+00:00", 20454, 119, 500000},
        {"2026-01-01T00:01:59.5-05:00", 20454, 119 + 5 * 3600, 500000},
        {"2026-01-01T05:01:59.5+05:30", 20454, 119 - 30 * 60, 500000},
        {"2025-12-31T23:59:59.999999Z", 20453, 86399, 999999},
        {"2026-01-01T00:00:00.015074Z", 20454, 0, 15074},
        {"2024-02-29T12:00:00Z", 19782, 43200, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int64_t got = 0;
        CHECK(floe_parse_timestamp(v[i].s, strlen(v[i].s), FLOE_UNIT_MICROS, &got) == 0);
        int64_t want = (v[i].days * 86400 + v[i].secs) * 1000000 + v[i].micros;
        if (got != want) fprintf(stderr, "  %s: %lld != %lld\n", v[i].s, (long long)got, (long long)want);
        CHECK(got == want);
    }
    /* Fractions shorter than a word (the text ends within 8 bytes of the
     * '.'), in every unit, with each ending the layout allows. */
    static const struct { const char *s; int unit; int64_t want; } f[] = {
        {"2026-01-01T00:00:01.123Z", FLOE_UNIT_MILLIS, 20454LL * 86400000 + 1123},
        {"2026-01-01T00:00:01.123Z", FLOE_UNIT_MICROS, (20454LL * 86400 + 1) * 1000000 + 123000},
        {"2026-01-01T00:00:01.123Z", FLOE_UNIT_NANOS, (20454LL * 86400 + 1) * 1000000000 + 123000000},
        {"2026-01-01T00:00:01.1", FLOE_UNIT_MILLIS, 20454LL * 86400000 + 1100},
        {"2026-01-01T00:00:01.12z", FLOE_UNIT_MICROS, (20454LL * 86400 + 1) * 1000000 + 120000},
        {"2026-01-01T00:00:01.120000", FLOE_UNIT_MILLIS, 20454LL * 86400000 + 1120},
        {"2026-01-01T00:00:01.5+01:00", FLOE_UNIT_MILLIS, 20454LL * 86400000 + 1500 - 3600000},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        int64_t got = 0;
        CHECK(floe_parse_timestamp(f[i].s, strlen(f[i].s), f[i].unit, &got) == 0);
        if (got != f[i].want) fprintf(stderr, "  %s: %lld != %lld\n", f[i].s, (long long)got, (long long)f[i].want);
        CHECK(got == f[i].want);
    }
    /* Near-misses of the layout are still judged by the general rules. */
    int64_t x;
    CHECK(floe_parse_timestamp("2026-01-01T00:00:01.1234Z", 25, FLOE_UNIT_MILLIS, &x) == -1); /* finer than millis */
    CHECK(floe_parse_timestamp("2026-01-01T00:00:01.12\0Z", 24, FLOE_UNIT_MILLIS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01T00:00:01.123", 22, FLOE_UNIT_MILLIS, &x) == 0 &&
          x == 20454LL * 86400000 + 1120); /* the length given, not the NUL, ends the text */
    CHECK(floe_parse_timestamp("2026-02-30T00:00:00Z", 20, FLOE_UNIT_MICROS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01T24:00:00Z", 20, FLOE_UNIT_MICROS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01T00:60:00Z", 20, FLOE_UNIT_MICROS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01T00:00:00.Z", 21, FLOE_UNIT_MICROS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01T00:00:00Zx", 21, FLOE_UNIT_MICROS, &x) == -1);
    CHECK(floe_parse_timestamp("2026-01-01 00:00:00", 19, FLOE_UNIT_MICROS, &x) == 0 && x == 20454LL * 86400 * 1000000);
}

TEST_MAIN(T(timestamp_fast_path), T(base64_rfc4648), T(calendar), T(dates), T(times), T(timestamps), T(integers), T(doubles), T(floats),
          T(decimal_format), T(decimal_parse), T(uuid), T(json_escape), T(utf8_valid), T(free_buf))
