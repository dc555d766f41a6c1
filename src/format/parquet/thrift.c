/*
 * thrift.c — Thrift compact protocol reader and writer.  See thrift.h for
 * the wire format and the bounds every read enforces.
 */
#include "format/parquet/thrift.h"

#include <assert.h>
#include <string.h>

const char *floe_thrift_type_name(int type) {
    static const char *const names[] = {"stop", "bool", "bool", "i8",  "i16",  "i32",   "i64",
                                        "double", "binary", "list", "set", "map", "struct"};
    return type >= 0 && type <= FLOE_TT_STRUCT ? names[type] : "invalid type";
}

/* ---- Reader -------------------------------------------------------------- */

void floe_thrift_reader_init(floe_thrift_reader *r, const uint8_t *buf, size_t len, floe_err *err) {
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    r->pending_bool = -1;
    r->err = err;
}

static int truncated(floe_thrift_reader *r, const char *what) {
    return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: %s runs past the end of the %zu bytes", r->pos,
                        what, r->len);
}

static int read_byte(floe_thrift_reader *r, uint8_t *b, const char *what) {
    if (r->pos >= r->len) {
        truncated(r, what);
        return -1;  /* spelled out so compilers see *b is set on success */
    }
    *b = r->buf[r->pos++];
    return 0;
}

/* ULEB128 of at most `max_bytes` bytes whose value must not exceed `limit`;
 * overlong or oversized encodings are corruption, not something to wrap. */
static int read_uvarint(floe_thrift_reader *r, int max_bytes, uint64_t limit, const char *what, uint64_t *out) {
    size_t start = r->pos;
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        uint8_t b;
        if (read_byte(r, &b, what)) return -1;
        uint64_t bits = (uint64_t)(b & 0x7f);
        /* The 10th byte of a 64-bit varint may only hold the top bit. */
        if (i == 9 && bits > 1)
            return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: %s varint overflows 64 bits", start, what);
        v |= bits << (7 * i);
        if (!(b & 0x80)) {
            if (v > limit)
                return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: %s varint %llu is out of range", start,
                                    what, (unsigned long long)v);
            *out = v;
            return 0;
        }
    }
    return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: %s varint is longer than %d bytes", start, what,
                        max_bytes);
}

static int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

int floe_thrift_struct_begin(floe_thrift_reader *r) {
    if (r->depth >= FLOE_THRIFT_MAX_DEPTH)
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: structs nested deeper than %d", r->pos,
                            FLOE_THRIFT_MAX_DEPTH);
    r->last_id[r->depth++] = 0;
    r->pending_bool = -1;
    return 0;
}

void floe_thrift_struct_end(floe_thrift_reader *r) {
    if (r->depth > 0) r->depth--;
}

static int valid_type(int t) { return t >= FLOE_TT_BOOL && t <= FLOE_TT_STRUCT; }

int floe_thrift_field(floe_thrift_reader *r, int *type, int16_t *id) {
    size_t start = r->pos;
    uint8_t b;
    r->pending_bool = -1;
    if (read_byte(r, &b, "field header")) return -1;
    if (b == 0) {
        *type = FLOE_TT_STOP;
        *id = 0;
        return 0;
    }
    int t = b & 0x0f, delta = b >> 4;
    if (!valid_type(t))
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: field header has invalid type %d", start, t);
    int16_t *last = &r->last_id[r->depth > 0 ? r->depth - 1 : 0];
    int32_t fid;
    if (delta == 0) {
        int16_t v;
        if (floe_thrift_read_i16(r, &v)) return -1;
        fid = v;
    } else {
        fid = (int32_t)*last + delta;
        if (fid > INT16_MAX)
            return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: field id %ld overflows i16", start, (long)fid);
    }
    *last = (int16_t)fid;
    *id = (int16_t)fid;
    if (t == FLOE_TT_BOOL || t == FLOE_TT_FALSE) {
        r->pending_bool = t == FLOE_TT_BOOL;
        t = FLOE_TT_BOOL;
    }
    *type = t;
    return 0;
}

int floe_thrift_read_bool(floe_thrift_reader *r, int *v) {
    if (r->pending_bool >= 0) {
        *v = r->pending_bool;
        r->pending_bool = -1;
        return 0;
    }
    /* A list element: one byte, 1 for true; writers differ on 0 or 2 for false. */
    size_t start = r->pos;
    uint8_t b;
    if (read_byte(r, &b, "bool")) return -1;
    if (b > 2) return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: bool element has value %u", start, b);
    *v = b == 1;
    return 0;
}

int floe_thrift_read_i8(floe_thrift_reader *r, int8_t *v) {
    uint8_t b;
    if (read_byte(r, &b, "i8")) return -1;
    *v = (int8_t)b;
    return 0;
}

int floe_thrift_read_i16(floe_thrift_reader *r, int16_t *v) {
    uint64_t u;
    if (read_uvarint(r, 3, UINT16_MAX, "i16", &u)) return -1;
    *v = (int16_t)unzigzag(u);
    return 0;
}

int floe_thrift_read_i32(floe_thrift_reader *r, int32_t *v) {
    uint64_t u;
    if (read_uvarint(r, 5, UINT32_MAX, "i32", &u)) return -1;
    *v = (int32_t)unzigzag(u);
    return 0;
}

int floe_thrift_read_i64(floe_thrift_reader *r, int64_t *v) {
    uint64_t u;
    if (read_uvarint(r, 10, UINT64_MAX, "i64", &u)) return -1;
    *v = unzigzag(u);
    return 0;
}

int floe_thrift_read_double(floe_thrift_reader *r, double *v) {
    if (floe_thrift_remaining(r) < 8) return truncated(r, "double");
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)r->buf[r->pos + i] << (8 * i);
    r->pos += 8;
    memcpy(v, &u, sizeof *v);
    return 0;
}

int floe_thrift_read_binary(floe_thrift_reader *r, const uint8_t **p, uint32_t *n) {
    size_t start = r->pos;
    uint64_t u;
    if (read_uvarint(r, 5, UINT32_MAX, "binary length", &u)) return -1;
    if (u > floe_thrift_remaining(r))
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: binary length %llu exceeds the %zu bytes left",
                            start, (unsigned long long)u, floe_thrift_remaining(r));
    *p = r->buf + r->pos;
    *n = (uint32_t)u;
    r->pos += (size_t)u;
    return 0;
}

int floe_thrift_list_begin(floe_thrift_reader *r, int *elem_type, uint32_t *n) {
    size_t start = r->pos;
    uint8_t b;
    r->pending_bool = -1;
    if (read_byte(r, &b, "list header")) return -1;
    int t = b & 0x0f;
    uint64_t count = b >> 4;
    if (!valid_type(t))
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: list has invalid element type %d", start, t);
    if (count == 15 && read_uvarint(r, 5, INT32_MAX, "list size", &count)) return -1;
    /* Every element, bools included, takes at least one byte. */
    if (count > floe_thrift_remaining(r))
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: list of %llu elements exceeds the %zu bytes left",
                            start, (unsigned long long)count, floe_thrift_remaining(r));
    *elem_type = t == FLOE_TT_FALSE ? FLOE_TT_BOOL : t;
    *n = (uint32_t)count;
    return 0;
}

int floe_thrift_map_begin(floe_thrift_reader *r, int *key_type, int *val_type, uint32_t *n) {
    size_t start = r->pos;
    uint64_t count;
    r->pending_bool = -1;
    if (read_uvarint(r, 5, INT32_MAX, "map size", &count)) return -1;
    *key_type = *val_type = FLOE_TT_STOP;
    *n = 0;
    if (count == 0) return 0;
    uint8_t b;
    if (read_byte(r, &b, "map types")) return -1;
    int kt = b >> 4, vt = b & 0x0f;
    if (!valid_type(kt) || !valid_type(vt))
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: map has invalid key/value types %d/%d", start, kt,
                            vt);
    if (count > floe_thrift_remaining(r) / 2)
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: map of %llu entries exceeds the %zu bytes left",
                            start, (unsigned long long)count, floe_thrift_remaining(r));
    *key_type = kt == FLOE_TT_FALSE ? FLOE_TT_BOOL : kt;
    *val_type = vt == FLOE_TT_FALSE ? FLOE_TT_BOOL : vt;
    *n = (uint32_t)count;
    return 0;
}

/* `nest` counts the lists and maps open in this skip; structs count in
 * r->depth.  Both together bound the recursion. */
static int skip_value(floe_thrift_reader *r, int type, int nest) {
    if (r->depth + nest >= FLOE_THRIFT_MAX_DEPTH)
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: values nested deeper than %d", r->pos,
                            FLOE_THRIFT_MAX_DEPTH);
    uint64_t u;
    switch (type) {
    case FLOE_TT_BOOL: {
        int v;
        return floe_thrift_read_bool(r, &v);
    }
    case FLOE_TT_I8: {
        uint8_t b;
        return read_byte(r, &b, "i8");
    }
    case FLOE_TT_I16: return read_uvarint(r, 3, UINT16_MAX, "i16", &u);
    case FLOE_TT_I32: return read_uvarint(r, 5, UINT32_MAX, "i32", &u);
    case FLOE_TT_I64: return read_uvarint(r, 10, UINT64_MAX, "i64", &u);
    case FLOE_TT_DOUBLE:
        if (floe_thrift_remaining(r) < 8) return truncated(r, "double");
        r->pos += 8;
        return 0;
    case FLOE_TT_BINARY: {
        const uint8_t *p;
        uint32_t n;
        return floe_thrift_read_binary(r, &p, &n);
    }
    case FLOE_TT_LIST:
    case FLOE_TT_SET: {
        int et;
        uint32_t n;
        if (floe_thrift_list_begin(r, &et, &n)) return -1;
        for (uint32_t i = 0; i < n; i++)
            if (skip_value(r, et, nest + 1)) return -1;
        return 0;
    }
    case FLOE_TT_MAP: {
        int kt, vt;
        uint32_t n;
        if (floe_thrift_map_begin(r, &kt, &vt, &n)) return -1;
        for (uint32_t i = 0; i < n; i++)
            if (skip_value(r, kt, nest + 1) || skip_value(r, vt, nest + 1)) return -1;
        return 0;
    }
    case FLOE_TT_STRUCT: {
        if (floe_thrift_struct_begin(r)) return -1;
        for (;;) {
            int t;
            int16_t id;
            if (floe_thrift_field(r, &t, &id)) return -1;
            if (t == FLOE_TT_STOP) break;
            if (skip_value(r, t, nest)) return -1;
        }
        floe_thrift_struct_end(r);
        return 0;
    }
    default:
        return floe_err_set(r->err, FLOE_ECORRUPT, "byte %zu: cannot skip a value of invalid type %d", r->pos,
                            type);
    }
}

int floe_thrift_skip(floe_thrift_reader *r, int type) { return skip_value(r, type, 0); }

/* ---- Writer -------------------------------------------------------------- */

void floe_thrift_writer_init(floe_thrift_writer *w, floe_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
}

void floe_thrift_write_varint(floe_thrift_writer *w, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    floe_buf_append(w->out, tmp, n);
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void floe_thrift_write_i32(floe_thrift_writer *w, int32_t v) { floe_thrift_write_varint(w, zigzag(v)); }
void floe_thrift_write_i64(floe_thrift_writer *w, int64_t v) { floe_thrift_write_varint(w, zigzag(v)); }

void floe_thrift_write_binary(floe_thrift_writer *w, const void *p, uint32_t n) {
    floe_thrift_write_varint(w, n);
    floe_buf_append(w->out, p, n);
}

void floe_thrift_write_list_begin(floe_thrift_writer *w, int elem_type, uint32_t n) {
    if (n < 15) {
        floe_buf_putc(w->out, (uint8_t)(n << 4 | (uint32_t)elem_type));
    } else {
        floe_buf_putc(w->out, (uint8_t)(0xf0 | elem_type));
        floe_thrift_write_varint(w, n);
    }
}

/* The metadata floe writes nests a handful of levels; deeper is a bug in
 * the caller, not a property of any input. */
void floe_thrift_write_struct_begin(floe_thrift_writer *w) {
    assert(w->depth < FLOE_THRIFT_MAX_DEPTH);
    w->last_id[w->depth++] = 0;
}

void floe_thrift_write_struct_end(floe_thrift_writer *w) {
    assert(w->depth > 0);
    floe_buf_putc(w->out, 0);
    w->depth--;
}

void floe_thrift_write_field(floe_thrift_writer *w, int type, int16_t id) {
    assert(w->depth > 0);
    int16_t *last = &w->last_id[w->depth - 1];
    int delta = (int)id - (int)*last;
    if (delta > 0 && delta <= 15) {
        floe_buf_putc(w->out, (uint8_t)(delta << 4 | type));
    } else {
        floe_buf_putc(w->out, (uint8_t)type);
        floe_thrift_write_varint(w, zigzag(id));
    }
    *last = id;
}

void floe_thrift_write_field_bool(floe_thrift_writer *w, int16_t id, int v) {
    floe_thrift_write_field(w, v ? FLOE_TT_BOOL : FLOE_TT_FALSE, id);
}

void floe_thrift_write_field_i8(floe_thrift_writer *w, int16_t id, int8_t v) {
    floe_thrift_write_field(w, FLOE_TT_I8, id);
    floe_buf_putc(w->out, (uint8_t)v);
}

void floe_thrift_write_field_i16(floe_thrift_writer *w, int16_t id, int16_t v) {
    floe_thrift_write_field(w, FLOE_TT_I16, id);
    floe_thrift_write_varint(w, zigzag(v));
}

void floe_thrift_write_field_i32(floe_thrift_writer *w, int16_t id, int32_t v) {
    floe_thrift_write_field(w, FLOE_TT_I32, id);
    floe_thrift_write_i32(w, v);
}

void floe_thrift_write_field_i64(floe_thrift_writer *w, int16_t id, int64_t v) {
    floe_thrift_write_field(w, FLOE_TT_I64, id);
    floe_thrift_write_i64(w, v);
}

void floe_thrift_write_field_binary(floe_thrift_writer *w, int16_t id, const void *p, uint32_t n) {
    floe_thrift_write_field(w, FLOE_TT_BINARY, id);
    floe_thrift_write_binary(w, p, n);
}

void floe_thrift_write_field_struct(floe_thrift_writer *w, int16_t id) {
    floe_thrift_write_field(w, FLOE_TT_STRUCT, id);
    floe_thrift_write_struct_begin(w);
}

void floe_thrift_write_field_list(floe_thrift_writer *w, int16_t id, int elem_type, uint32_t n) {
    floe_thrift_write_field(w, FLOE_TT_LIST, id);
    floe_thrift_write_list_begin(w, elem_type, n);
}
