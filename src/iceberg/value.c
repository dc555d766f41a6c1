/*
 * value.c — single values of Iceberg primitive types: the binary
 * single-value serialization of spec Appendix D (bounds in manifests and
 * partition summaries), the order Iceberg compares values in, and the
 * human string form Java Iceberg's Transform.toHumanString gives them
 * (partition directory names, CLI output).
 *
 * Binary forms: boolean one byte; int and date 4-byte little-endian; long,
 * time and timestamps 8-byte little-endian; float and double little-endian
 * IEEE 754; string UTF-8; uuid 16 big-endian bytes; fixed and binary the
 * bytes; decimal the unscaled value as minimal two's-complement big-endian.
 * Reading validates lengths and content; long/timestamp and double bounds of
 * 4 bytes are accepted because Java writes them for columns promoted from
 * int and float.  Byte-string datums read point into the input bytes.
 *
 * Order: numbers numerically, floats with -0.0 before +0.0 and NaN after
 * everything (Java's Float.compare), decimals numerically whatever their
 * byte length, byte strings (string, binary, fixed, uuid) unsigned
 * lexicographically, which for UTF-8 is code point order; null first.
 * UUIDs thus order as their Parquet statistics do (Java's UUID.compareTo
 * compares signed halves instead; bounds from floe's files follow bytes).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/parquet/stats.h"
#include "iceberg/manifest.h"
#include "util/text.h"

int32_t floe_ice_decimal_required_bytes(int32_t precision) {
    /* The n-byte two's-complement range holds floor(log10(2^(8n-1) - 1))
     * digits; Iceberg's TypeUtil.decimalRequiredBytes is the same table. */
    static const int8_t max_digits[17] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
    for (int32_t n = 1; n <= 16; n++)
        if (max_digits[n] >= precision) return n;
    return 16;
}

static void put_le(floe_buf *out, uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    floe_buf_append(out, b, (size_t)n);
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

void floe_ice_value_to_bytes(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *out) {
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN: floe_buf_putc(out, v->i ? 1 : 0); return;
    case FLOE_ICE_INT:
    case FLOE_ICE_DATE: put_le(out, (uint64_t)v->i, 4); return;
    case FLOE_ICE_LONG:
    case FLOE_ICE_TIME:
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS: put_le(out, (uint64_t)v->i, 8); return;
    case FLOE_ICE_FLOAT: {
        float f = (float)v->d;
        uint32_t u;
        memcpy(&u, &f, 4);
        put_le(out, u, 4);
        return;
    }
    case FLOE_ICE_DOUBLE: {
        uint64_t u;
        memcpy(&u, &v->d, 8);
        put_le(out, u, 8);
        return;
    }
    case FLOE_ICE_DECIMAL: {
        const uint8_t *p;
        size_t n = v->n ? floe_ice_decimal_minimal(v->p, v->n, &p) : 0;
        if (n) floe_buf_append(out, p, n);
        else floe_buf_putc(out, 0); /* an empty unscaled value is zero */
        return;
    }
    default: /* string, uuid, fixed, binary: the bytes themselves */
        floe_buf_append(out, v->p, v->n);
        return;
    }
}

int floe_ice_value_from_bytes(const floe_ice_type *t, const uint8_t *p, size_t n, floe_ice_datum *out,
                              floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_buf name;
    floe_buf_init(&name);
    int want = -1; /* the exact length the type needs, when it has one */
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN:
        if (n != 1) { want = 1; break; }
        out->i = p[0] != 0;
        return 0;
    case FLOE_ICE_INT:
    case FLOE_ICE_DATE:
        if (n != 4) { want = 4; break; }
        out->i = (int32_t)(uint32_t)get_le(p, 4);
        return 0;
    case FLOE_ICE_LONG:
    case FLOE_ICE_TIME:
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS:
        if (n == 8) out->i = (int64_t)get_le(p, 8);
        else if (n == 4) out->i = (int32_t)(uint32_t)get_le(p, 4); /* written before a promotion from int */
        else { want = 8; break; }
        return 0;
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE:
        if (n == 4) {
            uint32_t u = (uint32_t)get_le(p, 4);
            float f;
            memcpy(&f, &u, 4);
            out->d = f;
        } else if (n == 8 && t->kind == FLOE_ICE_DOUBLE) {
            uint64_t u = get_le(p, 8);
            memcpy(&out->d, &u, 8);
        } else {
            want = t->kind == FLOE_ICE_FLOAT ? 4 : 8;
            break;
        }
        return 0;
    case FLOE_ICE_DECIMAL: {
        const uint8_t *m;
        if (n == 0 || floe_ice_decimal_minimal(p, n, &m) > 16) {
            floe_ice_type_name(t, &name);
            floe_err_set(err, FLOE_ECORRUPT, "a %s value of %zu bytes is not a 1 to 16 byte unscaled decimal",
                         floe_buf_cstr(&name), n);
            floe_buf_free(&name);
            return -1;
        }
        out->p = p;
        out->n = n;
        return 0;
    }
    case FLOE_ICE_STRING:
        if (!floe_utf8_valid(p, n))
            return floe_err_set(err, FLOE_ECORRUPT, "a string value of %zu bytes is not valid UTF-8", n);
        out->p = p;
        out->n = n;
        return 0;
    case FLOE_ICE_UUID:
        if (n != 16) { want = 16; break; }
        out->p = p;
        out->n = n;
        return 0;
    case FLOE_ICE_FIXED:
        if (n != (size_t)t->length) { want = t->length; break; }
        out->p = p;
        out->n = n;
        return 0;
    case FLOE_ICE_BINARY:
        out->p = p;
        out->n = n;
        return 0;
    default:
        floe_ice_type_name(t, &name);
        floe_err_set(err, FLOE_EUNSUPPORTED, "type %s has no single-value serialization", floe_buf_cstr(&name));
        floe_buf_free(&name);
        return -1;
    }
    floe_ice_type_name(t, &name);
    floe_err_set(err, FLOE_ECORRUPT, "a %s value must be %d bytes, not %zu", floe_buf_cstr(&name), want, n);
    floe_buf_free(&name);
    return -1;
}

/* ---- order --------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

/* Java's Double.compare: a total order with -0.0 < +0.0 and NaN last. */
static int cmp_double(double a, double b) {
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    if (a < b) return -1;
    if (a > b) return 1;
    return (signbit(b) != 0) - (signbit(a) != 0);
}

int floe_ice_value_compare(const floe_ice_type *t, const floe_ice_datum *a, const floe_ice_datum *b) {
    if (a->is_null || b->is_null) return a->is_null && b->is_null ? 0 : a->is_null ? -1 : 1;
    switch (t->kind) {
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE: return cmp_double(a->d, b->d);
    /* Parquet's orders for decimals and byte arrays are Iceberg's. */
    case FLOE_ICE_DECIMAL:
        return floe_pq_order_compare(FLOE_PQ_ORD_DECIMAL, a->p, (uint32_t)a->n, b->p, (uint32_t)b->n);
    case FLOE_ICE_STRING:
    case FLOE_ICE_UUID:
    case FLOE_ICE_FIXED:
    case FLOE_ICE_BINARY: return floe_pq_order_compare(FLOE_PQ_ORD_BYTES, a->p, (uint32_t)a->n, b->p, (uint32_t)b->n);
    default: return cmp_i64(a->i, b->i);
    }
}

/* ---- human strings ------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* A date's year: TransformUtil.humanDay prints dates "%04d-%02d-%02d";
 * timestamps go through ISO_LOCAL_DATE, which signs years beyond four
 * digits ("+10000") and pads negative ones to four ("-0001"). */
static void put_date(int64_t days, int iso, floe_buf *out) {
    int64_t y;
    unsigned m, d;
    floe_civil_from_days(days, &y, &m, &d);
    if (iso && y > 9999) floe_buf_printf(out, "+%lld", (long long)y);
    else if (iso && y < 0) floe_buf_printf(out, "-%04lld", -(long long)y);
    else floe_buf_printf(out, "%04lld", (long long)y);
    floe_buf_printf(out, "-%02u-%02u", m, d);
}

/* ISO_LOCAL_DATE_TIME as Java formats it: seconds always, the fraction with
 * its trailing zeros dropped (none at all when zero). */
static void put_timestamp(int64_t v, int64_t per_sec, int digits, int utc, floe_buf *out) {
    int64_t per_day = per_sec * 86400;
    int64_t days = floordiv(v, per_day);
    int64_t rem = v - days * per_day;
    put_date(days, 1, out);
    int64_t secs = rem / per_sec, frac = rem % per_sec;
    floe_buf_printf(out, "T%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac) {
        char f[16];
        snprintf(f, sizeof f, "%0*lld", digits, (long long)frac);
        int n = digits;
        while (n > 0 && f[n - 1] == '0') n--;
        floe_buf_putc(out, '.');
        floe_buf_append(out, f, (size_t)n);
    }
    if (utc) floe_buf_puts(out, "+00:00");
}

/* LocalTime.toString: "HH:mm", then ":ss" unless seconds and fraction are
 * zero, then the fraction in groups of three digits. */
static void put_time(int64_t micros, floe_buf *out) {
    int64_t secs = floordiv(micros, 1000000), us = micros - secs * 1000000;
    floe_buf_printf(out, "%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
    if (secs % 60 == 0 && us == 0) return;
    floe_buf_printf(out, ":%02d", (int)(secs % 60));
    if (us == 0) return;
    if (us % 1000 == 0) floe_buf_printf(out, ".%03d", (int)(us / 1000));
    else floe_buf_printf(out, ".%06d", (int)us);
}

/* Java's Float/Double.toString: the shortest digits that read back, plain
 * for 10^-3 <= |v| < 10^7 (at least one fraction digit), otherwise
 * "d.dddE[-]n". */
static void put_java_double(double v, int is_float, floe_buf *out) {
    if (isnan(v)) { floe_buf_puts(out, "NaN"); return; }
    if (isinf(v)) { floe_buf_puts(out, v < 0 ? "-Infinity" : "Infinity"); return; }
    if (v == 0) { floe_buf_puts(out, signbit(v) ? "-0.0" : "0.0"); return; }
    char b[40];
    for (int p = 0; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*e", p, v);
        if (is_float ? strtof(b, NULL) == (float)v : strtod(b, NULL) == v) break;
    }
    /* b is "[-]d[.ddd]e[+-]XX": collect the digits and the exponent. */
    char digits[24];
    int nd = 0;
    const char *s = b;
    if (*s == '-') {
        floe_buf_putc(out, '-');
        s++;
    }
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    if (exp >= -3 && exp < 7) {
        if (exp < 0) {
            floe_buf_puts(out, "0.");
            for (int i = 0; i < -exp - 1; i++) floe_buf_putc(out, '0');
            floe_buf_append(out, digits, (size_t)nd);
        } else {
            for (int i = 0; i <= exp; i++) floe_buf_putc(out, i < nd ? (uint8_t)digits[i] : '0');
            floe_buf_putc(out, '.');
            if (nd > exp + 1) floe_buf_append(out, digits + exp + 1, (size_t)(nd - exp - 1));
            else floe_buf_putc(out, '0');
        }
    } else {
        floe_buf_putc(out, (uint8_t)digits[0]);
        floe_buf_putc(out, '.');
        if (nd > 1) floe_buf_append(out, digits + 1, (size_t)(nd - 1));
        else floe_buf_putc(out, '0');
        floe_buf_printf(out, "E%d", exp);
    }
}

/* BigDecimal.toString: plain when the scale is not negative and the
 * adjusted exponent is at least -6, otherwise scientific ("1.5E-7"). */
static void put_java_decimal(const uint8_t *p, size_t n, int32_t scale, floe_buf *out) {
    floe_buf coef;
    floe_buf_init(&coef);
    if (floe_fmt_decimal_be(p, n, 0, &coef) != 0) {
        /* Over 32 bytes: no decimal type holds such a value, so show the
         * bytes as binary values are shown rather than invent a number. */
        floe_buf_free(&coef);
        floe_base64_encode(p, n, out);
        return;
    }
    const char *d = floe_buf_cstr(&coef);
    int neg = d[0] == '-';
    d += neg;
    long nd = (long)strlen(d);
    long adjusted = nd - 1 - (long)scale;
    if (scale >= 0 && adjusted >= -6) {
        floe_fmt_decimal_be(p, n, scale, out);
    } else {
        if (neg) floe_buf_putc(out, '-');
        floe_buf_putc(out, (uint8_t)d[0]);
        if (nd > 1) {
            floe_buf_putc(out, '.');
            floe_buf_append(out, d + 1, (size_t)(nd - 1));
        }
        floe_buf_printf(out, "E%s%ld", adjusted > 0 ? "+" : "", adjusted);
    }
    floe_buf_free(&coef);
}

void floe_ice_value_to_string(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *out) {
    if (v->is_null) {
        floe_buf_puts(out, "null");
        return;
    }
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN: floe_buf_puts(out, v->i ? "true" : "false"); return;
    case FLOE_ICE_INT:
    case FLOE_ICE_LONG: floe_fmt_i64(v->i, out); return;
    case FLOE_ICE_FLOAT: put_java_double(v->d, 1, out); return;
    case FLOE_ICE_DOUBLE: put_java_double(v->d, 0, out); return;
    case FLOE_ICE_DECIMAL: put_java_decimal(v->p, v->n, t->scale, out); return;
    case FLOE_ICE_DATE: put_date(v->i, 0, out); return;
    case FLOE_ICE_TIME: put_time(v->i, out); return;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ: put_timestamp(v->i, 1000000, 6, t->kind == FLOE_ICE_TIMESTAMPTZ, out); return;
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS:
        put_timestamp(v->i, 1000000000, 9, t->kind == FLOE_ICE_TIMESTAMPTZ_NS, out);
        return;
    case FLOE_ICE_STRING: floe_buf_append(out, v->p, v->n); return;
    case FLOE_ICE_UUID:
        if (v->n == 16) {
            floe_fmt_uuid(v->p, out);
            return;
        }
        /* Bytes that are no UUID show as binary. */
        floe_base64_encode(v->p, v->n, out);
        return;
    default: /* fixed, binary: base64, as Java's TransformUtil.base64encode */
        floe_base64_encode(v->p, v->n, out);
        return;
    }
}
