/*
 * transform.c — partition transforms.  See transform.h.
 *
 * Hashing (spec Appendix B): int and long hash as an 8-byte little-endian
 * long, so one value hashes alike as either; date as its day count and
 * time/timestamp as microseconds (nanosecond timestamps are brought to
 * microseconds first, so a column keeps its buckets when its precision
 * changes); strings as UTF-8 bytes; UUIDs as 16 big-endian bytes; decimals
 * as the minimal two's-complement big-endian bytes of the unscaled value.
 * Time-based transforms count whole years, months, days or hours since the
 * epoch, flooring for instants before it.
 */
#include "iceberg/transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/text.h"

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* a mod b in [0, b) for b > 0, without the overflow that a - (a/b)*b has
 * near INT64_MIN. */
static int64_t floormod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

int floe_ice_transform_parse(const char *s, floe_ice_transform *out, floe_err *err) {
    static const struct { const char *name; int kind; } plain[] = {
        {"identity", FLOE_XF_IDENTITY}, {"year", FLOE_XF_YEAR}, {"month", FLOE_XF_MONTH},
        {"day", FLOE_XF_DAY}, {"hour", FLOE_XF_HOUR}, {"void", FLOE_XF_VOID}};
    out->param = 0;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(s, plain[i].name) == 0) {
            out->kind = plain[i].kind;
            return 0;
        }
    const char *open = strchr(s, '[');
    if (open && s[strlen(s) - 1] == ']') {
        size_t nlen = (size_t)(open - s);
        char *end;
        long v = strtol(open + 1, &end, 10);
        if (end == s + strlen(s) - 1 && v > 0 && v <= INT32_MAX) {
            if (nlen == 6 && memcmp(s, "bucket", 6) == 0) out->kind = FLOE_XF_BUCKET;
            else if (nlen == 8 && memcmp(s, "truncate", 8) == 0) out->kind = FLOE_XF_TRUNCATE;
            else goto bad;
            out->param = (int32_t)v;
            return 0;
        }
    }
bad:
    return floe_err_set(err, FLOE_EINVAL,
                        "unknown partition transform '%s' (identity, bucket[N], truncate[W], year, month, day, hour, "
                        "void)",
                        s);
}

void floe_ice_transform_name(const floe_ice_transform *t, floe_buf *out) {
    switch (t->kind) {
    case FLOE_XF_IDENTITY: floe_buf_puts(out, "identity"); break;
    case FLOE_XF_BUCKET: floe_buf_printf(out, "bucket[%d]", (int)t->param); break;
    case FLOE_XF_TRUNCATE: floe_buf_printf(out, "truncate[%d]", (int)t->param); break;
    case FLOE_XF_YEAR: floe_buf_puts(out, "year"); break;
    case FLOE_XF_MONTH: floe_buf_puts(out, "month"); break;
    case FLOE_XF_DAY: floe_buf_puts(out, "day"); break;
    case FLOE_XF_HOUR: floe_buf_puts(out, "hour"); break;
    default: floe_buf_puts(out, "void"); break;
    }
}

static int is_temporal(int k, int with_time) {
    switch (k) {
    case FLOE_ICE_DATE: return 1;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS: return 1;
    default: (void)with_time; return 0;
    }
}

static floe_ice_type *copy_primitive(const floe_ice_type *t) {
    if (t->kind == FLOE_ICE_DECIMAL) return floe_ice_type_decimal(t->precision, t->scale);
    if (t->kind == FLOE_ICE_FIXED) return floe_ice_type_fixed(t->length);
    return floe_ice_type_new(t->kind);
}

floe_ice_type *floe_ice_transform_result_type(const floe_ice_transform *t, const floe_ice_type *src, floe_err *err) {
    int k = src->kind;
    floe_buf name;
    floe_buf_init(&name);
    switch (t->kind) {
    case FLOE_XF_IDENTITY:
        if (floe_ice_type_is_primitive(src)) return copy_primitive(src);
        break;
    case FLOE_XF_VOID:
        if (floe_ice_type_is_primitive(src)) return copy_primitive(src);
        break;
    case FLOE_XF_BUCKET:
        switch (k) {
        case FLOE_ICE_INT: case FLOE_ICE_LONG: case FLOE_ICE_DECIMAL: case FLOE_ICE_DATE: case FLOE_ICE_TIME:
        case FLOE_ICE_TIMESTAMP: case FLOE_ICE_TIMESTAMPTZ: case FLOE_ICE_TIMESTAMP_NS: case FLOE_ICE_TIMESTAMPTZ_NS:
        case FLOE_ICE_STRING: case FLOE_ICE_UUID: case FLOE_ICE_FIXED: case FLOE_ICE_BINARY:
            return floe_ice_type_new(FLOE_ICE_INT);
        }
        break;
    case FLOE_XF_TRUNCATE:
        switch (k) {
        case FLOE_ICE_INT: case FLOE_ICE_LONG: case FLOE_ICE_DECIMAL: case FLOE_ICE_STRING: case FLOE_ICE_BINARY:
            return copy_primitive(src);
        }
        break;
    case FLOE_XF_YEAR:
    case FLOE_XF_MONTH:
        if (is_temporal(k, 0)) return floe_ice_type_new(FLOE_ICE_INT);
        break;
    case FLOE_XF_DAY:
        if (is_temporal(k, 0)) return floe_ice_type_new(FLOE_ICE_DATE);
        break;
    case FLOE_XF_HOUR:
        if (is_temporal(k, 1) && k != FLOE_ICE_DATE) return floe_ice_type_new(FLOE_ICE_INT);
        break;
    }
    floe_ice_type_name(src, &name);
    floe_buf tn;
    floe_buf_init(&tn);
    floe_ice_transform_name(t, &tn);
    floe_err_set(err, FLOE_EINVAL, "transform %s cannot be applied to type %s", floe_buf_cstr(&tn),
                 floe_buf_cstr(&name));
    floe_buf_free(&name);
    floe_buf_free(&tn);
    return NULL;
}

static int32_t hash_long(int64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    return (int32_t)floe_murmur3_32(b, 8, 0);
}

size_t floe_ice_decimal_minimal(const uint8_t *p, size_t n, const uint8_t **out) {
    /* A leading byte that only repeats the sign of the next one carries no
     * value: 0x00 before a byte below 0x80, 0xFF before one from 0x80. */
    while (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xFF && (p[1] & 0x80)))) {
        p++;
        n--;
    }
    *out = p;
    return n;
}

int32_t floe_ice_hash(const floe_ice_type *src, const floe_ice_datum *v) {
    switch (src->kind) {
    case FLOE_ICE_INT:
    case FLOE_ICE_LONG:
    case FLOE_ICE_DATE:
    case FLOE_ICE_TIME:
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ: return hash_long(v->i);
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS: return hash_long(floordiv(v->i, 1000));
    case FLOE_ICE_DECIMAL: {
        const uint8_t *p;
        size_t n = floe_ice_decimal_minimal(v->p, v->n, &p);
        return (int32_t)floe_murmur3_32(p, n, 0);
    }
    default: return (int32_t)floe_murmur3_32(v->p, v->n, 0);
    }
}

/* Unscaled big-endian decimal bytes to/from int128 would need a wide type;
 * truncate works on up to 16 bytes with __int128 where available. */
static void truncate_decimal(const floe_ice_datum *v, int32_t w, floe_ice_datum *out, uint8_t *scratch16) {
    __int128 x = (v->n && (v->p[0] & 0x80)) ? -1 : 0;
    for (size_t i = 0; i < v->n; i++) x = (__int128)(((unsigned __int128)x << 8) | v->p[i]);
    __int128 r = x % w;
    if (r < 0) r += w;
    x -= r;
    for (int i = 15; i >= 0; i--) {
        scratch16[i] = (uint8_t)x;
        x >>= 8;
    }
    out->n = floe_ice_decimal_minimal(scratch16, 16, &out->p);
}

void floe_ice_transform_apply(const floe_ice_transform *t, const floe_ice_type *src, const floe_ice_datum *v,
                              floe_ice_datum *out) {
    static _Thread_local uint8_t scratch[16];
    memset(out, 0, sizeof *out);
    if (v->is_null || t->kind == FLOE_XF_VOID) {
        out->is_null = 1;
        return;
    }
    int k = src->kind;
    int ns = k == FLOE_ICE_TIMESTAMP_NS || k == FLOE_ICE_TIMESTAMPTZ_NS;
    int64_t per_hour = ns ? 3600000000000LL : 3600000000LL;
    switch (t->kind) {
    case FLOE_XF_IDENTITY: *out = *v; return;
    case FLOE_XF_BUCKET: out->i = (int64_t)((floe_ice_hash(src, v) & 0x7fffffff) % t->param); return;
    case FLOE_XF_TRUNCATE:
        if (k == FLOE_ICE_INT || k == FLOE_ICE_LONG)
            /* Wraps at the bottom of the range as Java's long arithmetic does. */
            out->i = (int64_t)((uint64_t)v->i - (uint64_t)floormod(v->i, t->param));
        else if (k == FLOE_ICE_DECIMAL) truncate_decimal(v, t->param, out, scratch);
        else if (k == FLOE_ICE_STRING) {
            /* W code points: count UTF-8 lead bytes. */
            size_t i = 0;
            int32_t cps = 0;
            while (i < v->n) {
                if ((v->p[i] & 0xc0) != 0x80) {
                    if (cps == t->param) break;
                    cps++;
                }
                i++;
            }
            out->p = v->p;
            out->n = i;
        } else {
            out->p = v->p;
            out->n = v->n < (size_t)t->param ? v->n : (size_t)t->param;
        }
        return;
    default: break;
    }
    int64_t days = k == FLOE_ICE_DATE ? v->i : floordiv(v->i, per_hour * 24);
    if (t->kind == FLOE_XF_HOUR) {
        out->i = floordiv(v->i, per_hour);
        return;
    }
    if (t->kind == FLOE_XF_DAY) {
        out->i = days;
        return;
    }
    int64_t y;
    unsigned m, d;
    floe_civil_from_days(days, &y, &m, &d);
    out->i = t->kind == FLOE_XF_YEAR ? y - 1970 : (y - 1970) * 12 + (int64_t)m - 1;
}
