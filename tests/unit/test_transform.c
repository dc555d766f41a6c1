/*
 * test_transform.c — murmur3 and the partition transforms against the
 * Iceberg spec's Appendix B vectors and its transform examples.
 */
#include "iceberg/transform.h"
#include "test.h"
#include "util/hash.h"
#include "util/text.h"

static floe_ice_datum lng(int64_t v) { floe_ice_datum d = {0}; d.i = v; return d; }
static floe_ice_datum bytes(const void *p, size_t n) { floe_ice_datum d = {0}; d.p = p; d.n = n; return d; }

static int32_t hash_of(int kind, floe_ice_datum d) {
    floe_ice_type *t = floe_ice_type_new(kind);
    int32_t h = floe_ice_hash(t, &d);
    floe_ice_type_free(t);
    return h;
}

TEST(murmur3_reference) {
    CHECK_EQ_INT((int32_t)floe_murmur3_32("", 0, 0), 0);
    CHECK_EQ_INT((int32_t)floe_murmur3_32("iceberg", 7, 0), 1210000089);
}

TEST(spec_hash_vectors) {
    CHECK_EQ_INT(hash_of(FLOE_ICE_INT, lng(34)), 2017239379);
    CHECK_EQ_INT(hash_of(FLOE_ICE_LONG, lng(34)), 2017239379);
    int32_t days;
    CHECK(floe_parse_date("2017-11-16", 10, &days) == 0);
    CHECK_EQ_INT(hash_of(FLOE_ICE_DATE, lng(days)), -653330422);
    CHECK_EQ_INT(hash_of(FLOE_ICE_TIME, lng((22 * 3600 + 31 * 60 + 8) * 1000000LL)), -662762989);
    int64_t ts;
    CHECK(floe_parse_timestamp("2017-11-16T22:31:08", 19, FLOE_UNIT_MICROS, &ts) == 0);
    CHECK_EQ_INT(hash_of(FLOE_ICE_TIMESTAMP, lng(ts)), -2047944441);
    CHECK(floe_parse_timestamp("2017-11-16T14:31:08-08:00", 25, FLOE_UNIT_MICROS, &ts) == 0);
    CHECK_EQ_INT(hash_of(FLOE_ICE_TIMESTAMPTZ, lng(ts)), -2047944441);
    CHECK(floe_parse_timestamp("2017-11-16T22:31:08", 19, FLOE_UNIT_NANOS, &ts) == 0);
    CHECK_EQ_INT(hash_of(FLOE_ICE_TIMESTAMP_NS, lng(ts)), -2047944441);
    CHECK_EQ_INT(hash_of(FLOE_ICE_STRING, bytes("iceberg", 7)), 1210000089);
    uint8_t uuid[16];
    CHECK(floe_parse_uuid("f79c3e09-677c-4bbd-a479-3f349cb785e7", 36, uuid) == 0);
    CHECK_EQ_INT(hash_of(FLOE_ICE_UUID, bytes(uuid, 16)), 1488055340);
    CHECK_EQ_INT(hash_of(FLOE_ICE_BINARY, bytes("\x00\x01\x02\x03", 4)), -188683207);
    /* decimal(9,2) 14.20: unscaled 1420; the hash uses the minimal bytes even
     * when handed a wider encoding. */
    uint8_t dec[16];
    CHECK(floe_parse_decimal("14.20", 5, 9, 2, dec) == 0);
    floe_ice_type *dt = floe_ice_type_decimal(9, 2);
    floe_ice_datum d = bytes(dec, 16);
    CHECK_EQ_INT(floe_ice_hash(dt, &d), -500754589);
    floe_ice_type_free(dt);
}

static floe_ice_datum apply(const char *xf, floe_ice_type *t, floe_ice_datum in) {
    floe_ice_transform x;
    floe_err err = {0};
    CHECK_OK(floe_ice_transform_parse(xf, &x, &err), &err);
    floe_ice_datum out;
    floe_ice_transform_apply(&x, t, &in, &out);
    return out;
}

TEST(bucket_and_truncate) {
    floe_ice_type *l = floe_ice_type_new(FLOE_ICE_LONG);
    CHECK_EQ_INT(apply("bucket[100]", l, lng(34)).i, 79);
    CHECK_EQ_INT(apply("truncate[10]", l, lng(1)).i, 0);
    CHECK_EQ_INT(apply("truncate[10]", l, lng(-1)).i, -10);
    CHECK_EQ_INT(apply("truncate[10]", l, lng(-10)).i, -10);
    CHECK_EQ_INT(apply("identity", l, lng(-7)).i, -7);
    /* Near the ends of the range: no overflow (the sanitizer build checks). */
    CHECK_EQ_INT(apply("truncate[10]", l, lng(INT64_MAX)).i, INT64_MAX - 7);
    CHECK_EQ_INT(apply("truncate[10]", l, lng(INT64_MIN + 1)).i, INT64_MAX - 1); /* wraps, as in Java */
    floe_ice_datum nul = {1, 0, 0, NULL, 0};
    CHECK(apply("bucket[16]", l, nul).is_null);
    CHECK(apply("void", l, lng(3)).is_null);
    floe_ice_type_free(l);
    floe_ice_type *s = floe_ice_type_new(FLOE_ICE_STRING);
    floe_ice_datum r = apply("truncate[3]", s, bytes("iceberg", 7));
    CHECK(r.n == 3 && memcmp(r.p, "ice", 3) == 0);
    /* Code points, not bytes: "é" is two bytes. */
    r = apply("truncate[2]", s, bytes("\xc3\xa9t\xc3\xa9", 6));
    CHECK_EQ_INT(r.n, 3);
    floe_ice_type_free(s);
    floe_ice_type *dt = floe_ice_type_decimal(9, 2);
    uint8_t dec[16];
    CHECK(floe_parse_decimal("10.65", 5, 9, 2, dec) == 0);
    r = apply("truncate[50]", dt, bytes(dec, 16));
    floe_buf b;
    floe_buf_init(&b);
    floe_fmt_decimal_be(r.p, r.n, 2, &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "10.50");
    floe_buf_free(&b);
    floe_ice_type_free(dt);
}

TEST(time_transforms) {
    floe_ice_type *t = floe_ice_type_new(FLOE_ICE_TIMESTAMP);
    int64_t ts;
    CHECK(floe_parse_timestamp("2017-11-16T22:31:08", 19, FLOE_UNIT_MICROS, &ts) == 0);
    CHECK_EQ_INT(apply("year", t, lng(ts)).i, 47);
    CHECK_EQ_INT(apply("month", t, lng(ts)).i, 574);
    CHECK_EQ_INT(apply("day", t, lng(ts)).i, 17486);
    CHECK_EQ_INT(apply("hour", t, lng(ts)).i, 419686);
    CHECK(floe_parse_timestamp("1969-12-31T23:59:58.999999", 26, FLOE_UNIT_MICROS, &ts) == 0);
    CHECK_EQ_INT(apply("hour", t, lng(ts)).i, -1);
    CHECK_EQ_INT(apply("day", t, lng(ts)).i, -1);
    CHECK_EQ_INT(apply("month", t, lng(ts)).i, -1);
    CHECK_EQ_INT(apply("year", t, lng(ts)).i, -1);
    floe_ice_type_free(t);
    floe_ice_type *d = floe_ice_type_new(FLOE_ICE_DATE);
    CHECK_EQ_INT(apply("month", d, lng(17486)).i, 574);
    floe_ice_type_free(d);
}

TEST(result_types_and_errors) {
    floe_err err = {0};
    floe_ice_transform x;
    CHECK(floe_ice_transform_parse("bucket[0]", &x, &err) == -1);
    CHECK(strstr(err.msg, "bucket[0]") != NULL);
    CHECK(floe_ice_transform_parse("days", &x, &err) == -1);
    CHECK_OK(floe_ice_transform_parse("day", &x, &err), &err);
    floe_ice_type *s = floe_ice_type_new(FLOE_ICE_STRING);
    CHECK(floe_ice_transform_result_type(&x, s, &err) == NULL);
    CHECK(strstr(err.msg, "day cannot be applied to type string") != NULL);
    floe_ice_type_free(s);
    floe_ice_type *ts = floe_ice_type_new(FLOE_ICE_TIMESTAMPTZ);
    floe_ice_type *r = floe_ice_transform_result_type(&x, ts, &err);
    CHECK(r && r->kind == FLOE_ICE_DATE);
    floe_ice_type_free(r);
    CHECK_OK(floe_ice_transform_parse("bucket[16]", &x, &err), &err);
    r = floe_ice_transform_result_type(&x, ts, &err);
    CHECK(r && r->kind == FLOE_ICE_INT);
    floe_ice_type_free(r);
    floe_ice_type_free(ts);
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_transform_name(&x, &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "bucket[16]");
    floe_buf_free(&b);
}

TEST_MAIN(T(murmur3_reference), T(spec_hash_vectors), T(bucket_and_truncate), T(time_transforms),
          T(result_types_and_errors))
