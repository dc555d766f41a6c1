/*
 * value_format.c — one PLAIN-encoded Parquet value as JSON text, by the
 * leaf's physical type and annotation (LogicalType first, then the legacy
 * ConvertedType).  Used wherever a single value is shown to a person or
 * written as NDJSON: statistics bounds in `floe parquet meta`, rows.
 * The spellings come from util/text.h so a value reads the same everywhere.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/parquet.h"
#include "util/text.h"

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static int32_t decimal_scale(const floe_pq_node *leaf) {
    return leaf->logical.kind == FLOE_PQ_LT_DECIMAL ? leaf->logical.scale : leaf->scale;
}

static int is_decimal(const floe_pq_node *leaf) {
    return leaf->logical.kind == FLOE_PQ_LT_DECIMAL || leaf->converted == FLOE_PQ_CT_DECIMAL;
}

static int is_unsigned(const floe_pq_node *leaf) {
    if (leaf->logical.kind == FLOE_PQ_LT_INTEGER) return !leaf->logical.is_signed;
    return leaf->converted >= FLOE_PQ_CT_UINT_8 && leaf->converted <= FLOE_PQ_CT_UINT_64;
}

static void quoted_decimal(const uint8_t *be, size_t n, int32_t scale, floe_buf *out) {
    floe_buf_putc(out, '"');
    floe_fmt_decimal_be(be, n, scale, out);
    floe_buf_putc(out, '"');
}

static void quoted_decimal_i64(int64_t v, int32_t scale, floe_buf *out) {
    floe_buf_putc(out, '"');
    floe_fmt_decimal_i64(v, scale, out);
    floe_buf_putc(out, '"');
}

static void format_int32(const floe_pq_node *leaf, int32_t v, floe_buf *out) {
    const floe_pq_logical *lt = &leaf->logical;
    if (lt->kind == FLOE_PQ_LT_DATE || leaf->converted == FLOE_PQ_CT_DATE) {
        floe_buf_putc(out, '"');
        floe_fmt_date(v, out);
        floe_buf_putc(out, '"');
    } else if (is_decimal(leaf)) {
        quoted_decimal_i64(v, decimal_scale(leaf), out);
    } else if ((lt->kind == FLOE_PQ_LT_TIME && lt->unit == FLOE_PQ_UNIT_MILLIS) ||
               leaf->converted == FLOE_PQ_CT_TIME_MILLIS) {
        floe_buf_putc(out, '"');
        floe_fmt_time(v, FLOE_UNIT_MILLIS, out);
        floe_buf_putc(out, '"');
    } else if (is_unsigned(leaf)) {
        floe_buf_printf(out, "%u", (unsigned)(uint32_t)v);
    } else {
        floe_buf_printf(out, "%d", (int)v);
    }
}

static void format_int64(const floe_pq_node *leaf, int64_t v, floe_buf *out) {
    const floe_pq_logical *lt = &leaf->logical;
    int ct = leaf->converted;
    if (lt->kind == FLOE_PQ_LT_TIMESTAMP || ct == FLOE_PQ_CT_TIMESTAMP_MILLIS || ct == FLOE_PQ_CT_TIMESTAMP_MICROS) {
        /* The legacy annotations mean instants (adjusted to UTC). */
        int unit = lt->kind == FLOE_PQ_LT_TIMESTAMP ? lt->unit
                   : ct == FLOE_PQ_CT_TIMESTAMP_MILLIS ? FLOE_UNIT_MILLIS
                                                       : FLOE_UNIT_MICROS;
        int utc = lt->kind == FLOE_PQ_LT_TIMESTAMP ? lt->utc : 1;
        floe_buf_putc(out, '"');
        floe_fmt_timestamp(v, unit, utc, out);
        floe_buf_putc(out, '"');
    } else if (lt->kind == FLOE_PQ_LT_TIME || ct == FLOE_PQ_CT_TIME_MICROS) {
        floe_buf_putc(out, '"');
        floe_fmt_time(v, lt->kind == FLOE_PQ_LT_TIME ? lt->unit : FLOE_UNIT_MICROS, out);
        floe_buf_putc(out, '"');
    } else if (is_decimal(leaf)) {
        quoted_decimal_i64(v, decimal_scale(leaf), out);
    } else if (is_unsigned(leaf)) {
        floe_buf_printf(out, "%llu", (unsigned long long)(uint64_t)v);
    } else {
        floe_buf_printf(out, "%lld", (long long)v);
    }
}

/* IEEE 754 half precision to float (exact: every half is a float). */
static float half_to_float(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = ldexpf((float)(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

/* float to half precision, rounding to nearest even (as IEEE conversion
 * does), for checking that a printed half reads back as itself. */
static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
    int32_t fexp = (int32_t)((x >> 23) & 0xff);
    if (fexp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int32_t exp = fexp - 127 + 15;
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000;
        int shift = 14 - exp;
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* a carry into the exponent is still right */
    return (uint16_t)(sign | h);
}

/* The shortest decimal text that reads back as the same half-precision
 * value (at most 5 significant digits are ever needed). */
static void format_half(uint16_t h, floe_buf *out) {
    float v = half_to_float(h);
    if (isnan(v) || isinf(v)) {
        floe_fmt_float(v, out);
        return;
    }
    char b[32];
    for (int prec = 1; prec <= 5; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, (double)v);
        if (float_to_half(strtof(b, NULL)) == h) break;
    }
    floe_buf_puts(out, b);
}

/* INT96 timestamps (Impala, old Spark): nanoseconds of the day, then the
 * Julian day number, little-endian.  Formatted from the day and the time of
 * day, so dates far from 1970 (Spark writes 9999-12-31 and years before 0)
 * print as dates too. */
static void format_int96(const uint8_t *p, floe_buf *out) {
    const int64_t julian_epoch = 2440588;
    int64_t nanos = (int64_t)le64(p), day = (int64_t)(int32_t)le32(p + 8) - julian_epoch;
    floe_buf_putc(out, '"');
    floe_fmt_day_time(day, nanos, FLOE_UNIT_NANOS, 0, out);
    floe_buf_putc(out, '"');
}

static int is_text(const floe_pq_node *leaf) {
    int lk = leaf->logical.kind, ct = leaf->converted;
    return lk == FLOE_PQ_LT_STRING || lk == FLOE_PQ_LT_ENUM || lk == FLOE_PQ_LT_JSON || ct == FLOE_PQ_CT_UTF8 ||
           ct == FLOE_PQ_CT_ENUM || ct == FLOE_PQ_CT_JSON;
}

static void base64_string(const uint8_t *p, size_t n, floe_buf *out) {
    floe_buf_putc(out, '"');
    floe_base64_encode(p, n, out);
    floe_buf_putc(out, '"');
}

int floe_pq_format_value(const floe_pq_node *leaf, const uint8_t *plain, uint32_t len, floe_buf *out) {
    float f;
    double d;
    switch (leaf->physical) {
    case FLOE_PQ_BOOLEAN:
        if (len < 1) return -1;
        floe_buf_puts(out, plain[0] & 1 ? "true" : "false");
        return 0;
    case FLOE_PQ_INT32:
        if (len != 4) return -1;
        format_int32(leaf, (int32_t)le32(plain), out);
        return 0;
    case FLOE_PQ_INT64:
        if (len != 8) return -1;
        format_int64(leaf, (int64_t)le64(plain), out);
        return 0;
    case FLOE_PQ_INT96:
        if (len != 12) return -1;
        format_int96(plain, out);
        return 0;
    case FLOE_PQ_FLOAT:
        if (len != 4) return -1;
        memcpy(&f, plain, 4);
        floe_fmt_float(f, out);
        return 0;
    case FLOE_PQ_DOUBLE:
        if (len != 8) return -1;
        memcpy(&d, plain, 8);
        floe_fmt_double(d, out);
        return 0;
    case FLOE_PQ_BYTE_ARRAY:
        if (is_decimal(leaf)) {
            if (len > 32) return -1;
            quoted_decimal(plain, len, decimal_scale(leaf), out);
        } else if (is_text(leaf)) {
            floe_json_escape(plain, len, out);
        } else {
            base64_string(plain, len, out);
        }
        return 0;
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY:
        if (leaf->type_length > 0 && len != (uint32_t)leaf->type_length) return -1;
        if (leaf->logical.kind == FLOE_PQ_LT_UUID && len == 16) {
            floe_buf_putc(out, '"');
            floe_fmt_uuid(plain, out);
            floe_buf_putc(out, '"');
        } else if (is_decimal(leaf)) {
            if (len > 32) return -1;
            quoted_decimal(plain, len, decimal_scale(leaf), out);
        } else if (leaf->logical.kind == FLOE_PQ_LT_FLOAT16 && len == 2) {
            format_half((uint16_t)(plain[0] | plain[1] << 8), out);
        } else if (is_text(leaf)) {
            floe_json_escape(plain, len, out);
        } else {
            base64_string(plain, len, out);
        }
        return 0;
    default:
        return -1;
    }
}
