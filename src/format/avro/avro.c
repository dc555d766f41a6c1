/*
 * avro.c — Avro binary encoding, container file writer and generic reader.
 * See avro.h.
 *
 * Container layout (Avro 1.11 spec): magic "Obj\x01", a map<bytes> of file
 * metadata (avro.schema, avro.codec, ...), a 16-byte sync marker, then blocks
 * of (record count, byte size, records, sync).  The deflate codec is raw
 * deflate (RFC 1951) without a zlib header.
 *
 * Parsed writer schemas are shared: every manifest and manifest list of a
 * table carries one of a few schema texts, and parsing that JSON was most
 * of the cost of opening one.  A small process-wide cache (SCHEMA_SLOTS
 * entries, least recently used replaced; texts over SCHEMA_MAX_TEXT are
 * not kept) maps the exact bytes of a schema text to its parsed schema;
 * only a byte-identical text reuses one.  An entry is reference-counted
 * (the cache holds one reference, each reader using it another) and freed
 * when the last goes, so a reader's schema stays valid however the cache
 * changes.  A mutex guards the cache: readers run on several threads (the
 * pipeline and its maintenance thread).
 */
#include "format/avro/avro.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define AVRO_BLOCK_TARGET (64 * 1024)
#define AVRO_MAX_DEPTH 64
#define SCHEMA_SLOTS 8
#define SCHEMA_MAX_TEXT (256 * 1024)

/* ---- encoding ------------------------------------------------------------ */

void floe_avro_put_long(floe_buf *b, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    floe_buf_reserve(b, 10);
    while (z >= 0x80) {
        b->data[b->len++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    b->data[b->len++] = (uint8_t)z;
}

void floe_avro_put_bool(floe_buf *b, int v) { floe_buf_putc(b, v ? 1 : 0); }

void floe_avro_put_float(floe_buf *b, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    floe_buf_append(b, le, 4);
}

void floe_avro_put_double(floe_buf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(u >> (8 * i));
    floe_buf_append(b, le, 8);
}

void floe_avro_put_bytes(floe_buf *b, const void *p, size_t n) {
    floe_avro_put_long(b, (int64_t)n);
    floe_buf_append(b, p, n);
}

void floe_avro_put_string(floe_buf *b, const char *s) { floe_avro_put_bytes(b, s, strlen(s)); }

void floe_avro_put_fixed(floe_buf *b, const void *p, size_t n) { floe_buf_append(b, p, n); }

/* ---- writer -------------------------------------------------------------- */

static void random_sync(uint8_t sync[16]) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, sync, 16) : -1;
    if (fd >= 0) close(fd);
    if (got != 16) {
        /* Without urandom a time-derived marker still works: it only has to
         * be unlikely to occur inside the data. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            sync[i] = (uint8_t)x;
        }
    }
}

void floe_avro_writer_init(floe_avro_writer *w, const char *schema_json, const char *const *meta, int nmeta,
                           int codec) {
    memset(w, 0, sizeof *w);
    w->codec = codec;
    random_sync(w->sync);
    floe_buf_append(&w->out, "Obj\x01", 4);
    floe_avro_put_long(&w->out, 2 + nmeta);
    floe_avro_put_string(&w->out, "avro.schema");
    floe_avro_put_string(&w->out, schema_json);
    floe_avro_put_string(&w->out, "avro.codec");
    floe_avro_put_string(&w->out, codec == FLOE_AVRO_CODEC_DEFLATE ? "deflate" : "null");
    for (int i = 0; i < nmeta; i++) {
        floe_avro_put_string(&w->out, meta[2 * i]);
        floe_avro_put_string(&w->out, meta[2 * i + 1]);
    }
    floe_avro_put_long(&w->out, 0);
    floe_buf_append(&w->out, w->sync, 16);
}

static int flush_block(floe_avro_writer *w, floe_err *err) {
    if (w->block_count == 0) return 0;
    floe_avro_put_long(&w->out, w->block_count);
    if (w->codec == FLOE_AVRO_CODEC_DEFLATE) {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return floe_err_set(err, FLOE_EIO, "avro: deflateInit2 failed");
        uLong bound = deflateBound(&zs, (uLong)w->block.len);
        floe_buf tmp;
        floe_buf_init(&tmp);
        floe_buf_reserve(&tmp, bound);
        zs.next_in = w->block.data;
        zs.avail_in = (uInt)w->block.len;
        zs.next_out = tmp.data;
        zs.avail_out = (uInt)bound;
        int rc = deflate(&zs, Z_FINISH);
        size_t n = bound - zs.avail_out;
        deflateEnd(&zs);
        if (rc != Z_STREAM_END) {
            floe_buf_free(&tmp);
            return floe_err_set(err, FLOE_EIO, "avro: deflate failed (%d)", rc);
        }
        floe_avro_put_bytes(&w->out, tmp.data, n);
        floe_buf_free(&tmp);
    } else {
        floe_avro_put_bytes(&w->out, w->block.data, w->block.len);
    }
    floe_buf_append(&w->out, w->sync, 16);
    w->block.len = 0;
    w->block_count = 0;
    return 0;
}

int floe_avro_writer_end_record(floe_avro_writer *w, floe_err *err) {
    floe_buf_append(&w->block, w->record.data, w->record.len);
    w->record.len = 0;
    w->block_count++;
    w->total_count++;
    if (w->block.len >= AVRO_BLOCK_TARGET) return flush_block(w, err);
    return 0;
}

int floe_avro_writer_finish(floe_avro_writer *w, floe_err *err) { return flush_block(w, err); }

void floe_avro_writer_free(floe_avro_writer *w) {
    floe_buf_free(&w->out);
    floe_buf_free(&w->block);
    floe_buf_free(&w->record);
}

/* ---- schema parsing -------------------------------------------------------- */

typedef struct named_type {
    const char *name;
    const floe_avro_schema *schema;
} named_type;

typedef struct schema_ctx {
    floe_arena *arena;
    named_type *named;
    int nnamed, cap;
    const char *file;
    floe_err *err;
} schema_ctx;

static const floe_avro_schema *parse_schema(schema_ctx *c, json_t *j, int depth);

static const char *adup(floe_arena *a, const char *s) { return floe_arena_strndup(a, s, strlen(s)); }

static void add_named(schema_ctx *c, const char *name, const floe_avro_schema *s) {
    if (c->nnamed == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->named = floe_xrealloc(c->named, sizeof *c->named * (size_t)c->cap);
    }
    c->named[c->nnamed].name = name;
    c->named[c->nnamed].schema = s;
    c->nnamed++;
}

static const floe_avro_schema *primitive(schema_ctx *c, const char *t) {
    static const struct { const char *n; int k; } prims[] = {
        {"null", FLOE_AVRO_NULL}, {"boolean", FLOE_AVRO_BOOLEAN}, {"int", FLOE_AVRO_INT},
        {"long", FLOE_AVRO_LONG}, {"float", FLOE_AVRO_FLOAT}, {"double", FLOE_AVRO_DOUBLE},
        {"bytes", FLOE_AVRO_BYTES}, {"string", FLOE_AVRO_STRING}};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (strcmp(t, prims[i].n) == 0) {
            floe_avro_schema *s = floe_arena_alloc(c->arena, sizeof *s);
            s->kind = prims[i].k;
            return s;
        }
    for (int i = 0; i < c->nnamed; i++) {
        const char *n = c->named[i].name;
        const char *dot = strrchr(n, '.');
        if (strcmp(n, t) == 0 || (dot && strcmp(dot + 1, t) == 0)) return c->named[i].schema;
    }
    floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: unknown type '%s'", c->file, t);
    return NULL;
}

static const floe_avro_schema *parse_schema(schema_ctx *c, json_t *j, int depth) {
    if (depth > AVRO_MAX_DEPTH) {
        floe_err_set(c->err, FLOE_EUNSUPPORTED, "%s: avro schema nests deeper than %d", c->file, AVRO_MAX_DEPTH);
        return NULL;
    }
    if (json_is_string(j)) return primitive(c, json_string_value(j));
    if (json_is_array(j)) {
        floe_avro_schema *s = floe_arena_alloc(c->arena, sizeof *s);
        s->kind = FLOE_AVRO_UNION;
        s->nchildren = (int)json_array_size(j);
        s->children = floe_arena_alloc(c->arena, sizeof(void *) * (size_t)(s->nchildren + 1));
        for (int i = 0; i < s->nchildren; i++)
            if (!(s->children[i] = parse_schema(c, json_array_get(j, (size_t)i), depth + 1))) return NULL;
        return s;
    }
    if (!json_is_object(j)) {
        floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: a type must be a string, array or object", c->file);
        return NULL;
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: object without a string \"type\"", c->file);
        return NULL;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    floe_avro_schema *s = floe_arena_alloc(c->arena, sizeof *s);
    if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
        json_t *fields = json_object_get(j, "fields");
        if (!name || !json_is_array(fields)) {
            floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: record needs a name and fields", c->file);
            return NULL;
        }
        s->kind = FLOE_AVRO_RECORD;
        s->name = adup(c->arena, name);
        add_named(c, s->name, s); /* before the fields: records may refer to themselves */
        s->nchildren = (int)json_array_size(fields);
        s->children = floe_arena_alloc(c->arena, sizeof(void *) * (size_t)(s->nchildren + 1));
        s->field_names = floe_arena_alloc(c->arena, sizeof(char *) * (size_t)(s->nchildren + 1));
        s->field_ids = floe_arena_alloc(c->arena, sizeof(int32_t) * (size_t)(s->nchildren + 1));
        for (int i = 0; i < s->nchildren; i++) {
            json_t *f = json_array_get(fields, (size_t)i);
            const char *fname = json_string_value(json_object_get(f, "name"));
            if (!fname) {
                floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: field %d of record %s has no name", c->file, i,
                             name);
                return NULL;
            }
            s->field_names[i] = adup(c->arena, fname);
            json_t *fid = json_object_get(f, "field-id");
            s->field_ids[i] = json_is_integer(fid) ? (int32_t)json_integer_value(fid) : -1;
            if (!(s->children[i] = parse_schema(c, json_object_get(f, "type"), depth + 1))) return NULL;
        }
        return s;
    }
    if (strcmp(type, "enum") == 0) {
        json_t *syms = json_object_get(j, "symbols");
        if (!name || !json_is_array(syms)) {
            floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: enum needs a name and symbols", c->file);
            return NULL;
        }
        s->kind = FLOE_AVRO_ENUM;
        s->name = adup(c->arena, name);
        s->nsymbols = (int)json_array_size(syms);
        s->symbols = floe_arena_alloc(c->arena, sizeof(char *) * (size_t)(s->nsymbols + 1));
        for (int i = 0; i < s->nsymbols; i++) {
            const char *sym = json_string_value(json_array_get(syms, (size_t)i));
            s->symbols[i] = adup(c->arena, sym ? sym : "");
        }
        add_named(c, s->name, s);
        return s;
    }
    if (strcmp(type, "fixed") == 0) {
        json_t *size = json_object_get(j, "size");
        if (!name || !json_is_integer(size) || json_integer_value(size) < 0) {
            floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro schema: fixed needs a name and a size", c->file);
            return NULL;
        }
        s->kind = FLOE_AVRO_FIXED;
        s->name = adup(c->arena, name);
        s->size = json_integer_value(size);
        add_named(c, s->name, s);
        return s;
    }
    if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
        int is_array = type[0] == 'a';
        s->kind = is_array ? FLOE_AVRO_ARRAY : FLOE_AVRO_MAP;
        s->nchildren = 1;
        s->children = floe_arena_alloc(c->arena, sizeof(void *));
        if (!(s->children[0] = parse_schema(c, json_object_get(j, is_array ? "items" : "values"), depth + 1)))
            return NULL;
        return s;
    }
    /* {"type": "long", "logicalType": ...} and the like. */
    return primitive(c, type);
}

/* ---- shared parsed schemas -------------------------------------------------- */

typedef struct shared_schema {
    char *text;            /* the exact schema bytes (not NUL-terminated) */
    size_t len;
    floe_arena arena;      /* the parsed schema */
    const floe_avro_schema *schema;
    int refs;              /* the cache's one, if cached, + one per reader */
    uint64_t used;
} shared_schema;

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_schema *schema_cache[SCHEMA_SLOTS];
static uint64_t schema_tick;

/* Drops one reference (lock held). */
static void schema_unref_locked(shared_schema *e) {
    if (--e->refs > 0) return;
    floe_arena_free(&e->arena);
    free(e->text);
    free(e);
}

static void schema_release(shared_schema *e) {
    if (!e) return;
    pthread_mutex_lock(&schema_lock);
    schema_unref_locked(e);
    pthread_mutex_unlock(&schema_lock);
}

/* The cached schema of exactly text[0..len), with a reference for the
 * caller, or NULL. */
static shared_schema *schema_lookup(const char *text, size_t len) {
    shared_schema *hit = NULL;
    pthread_mutex_lock(&schema_lock);
    for (int i = 0; i < SCHEMA_SLOTS && !hit; i++) {
        shared_schema *e = schema_cache[i];
        if (e && e->len == len && memcmp(e->text, text, len) == 0) hit = e;
    }
    if (hit) {
        hit->refs++;
        hit->used = ++schema_tick;
    }
    pthread_mutex_unlock(&schema_lock);
    return hit;
}

/* Caches e (which holds the caller's reference), unless its text is too
 * long or another thread cached the same text meanwhile. */
static void schema_insert(shared_schema *e) {
    if (e->len > SCHEMA_MAX_TEXT) return;
    pthread_mutex_lock(&schema_lock);
    int slot = 0;
    for (int i = 0; i < SCHEMA_SLOTS; i++) {
        shared_schema *o = schema_cache[i];
        if (o && o->len == e->len && memcmp(o->text, e->text, e->len) == 0) {
            slot = -1;
            break;
        }
        if (!o) {
            if (schema_cache[slot]) slot = i;
        } else if (schema_cache[slot] && o->used < schema_cache[slot]->used) {
            slot = i;
        }
    }
    if (slot >= 0) {
        if (schema_cache[slot]) schema_unref_locked(schema_cache[slot]);
        e->refs++;
        e->used = ++schema_tick;
        schema_cache[slot] = e;
    }
    pthread_mutex_unlock(&schema_lock);
}

/* Parses schema text[0..len) of file `file` (uncached). */
static shared_schema *schema_parse(const char *text, size_t len, const char *file, floe_err *err) {
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!j) {
        floe_err_set(err, FLOE_ECORRUPT, "%s: avro.schema is not JSON: %s", file, jerr.text);
        return NULL;
    }
    shared_schema *e = floe_xcalloc(1, sizeof *e);
    floe_arena_init(&e->arena, 4 * 1024);
    schema_ctx sc = {&e->arena, NULL, 0, 0, file, err};
    e->schema = parse_schema(&sc, j, 0);
    free(sc.named);
    json_decref(j);
    if (!e->schema) {
        floe_arena_free(&e->arena);
        free(e);
        return NULL;
    }
    e->text = floe_xmalloc(len ? len : 1);
    memcpy(e->text, text, len);
    e->len = len;
    e->refs = 1;
    return e;
}

/* ---- reader ---------------------------------------------------------------- */

struct floe_avro_reader {
    const uint8_t *data, *end, *p;
    char *name;
    floe_arena arena;        /* metadata */
    shared_schema *shared;   /* the parsed schema (a reference) */
    const floe_avro_schema *schema;
    char **meta_keys, **meta_vals;
    int nmeta;
    uint8_t sync[16];
    int codec;
    /* the current block */
    int64_t block_left;
    const uint8_t *bp, *bend;
    floe_buf inflated;
};

typedef struct cursor {
    const uint8_t *p, *end;
    const char *file;
    floe_err *err;
} cursor;

static int get_long(cursor *c, int64_t *v) {
    uint64_t z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: truncated varint", c->file);
        uint8_t b = *c->p++;
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return 0;
        }
    }
    return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: varint longer than 10 bytes", c->file);
}

static int get_len(cursor *c, size_t *n, const char *what) {
    int64_t v;
    if (get_long(c, &v)) return -1;
    if (v < 0 || (uint64_t)v > (uint64_t)(c->end - c->p))
        return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: %s length %lld exceeds the %zu bytes left", c->file, what,
                            (long long)v, (size_t)(c->end - c->p));
    *n = (size_t)v;
    return 0;
}

static int decode(cursor *c, const floe_avro_schema *s, floe_arena *a, floe_avro_value *out, int depth) {
    if (depth > AVRO_MAX_DEPTH) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: value nests too deep", c->file);
    out->schema = s;
    out->kind = s->kind;
    out->branch = -1;
    switch (s->kind) {
    case FLOE_AVRO_NULL: return 0;
    case FLOE_AVRO_BOOLEAN:
        if (c->p >= c->end) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: truncated boolean", c->file);
        out->u.b = *c->p++ != 0;
        return 0;
    case FLOE_AVRO_INT:
    case FLOE_AVRO_LONG: return get_long(c, &out->u.l);
    case FLOE_AVRO_FLOAT: {
        if (c->end - c->p < 4) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: truncated float", c->file);
        uint32_t u = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
        float f;
        memcpy(&f, &u, 4);
        out->u.d = f;
        c->p += 4;
        return 0;
    }
    case FLOE_AVRO_DOUBLE: {
        if (c->end - c->p < 8) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: truncated double", c->file);
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u |= (uint64_t)c->p[i] << (8 * i);
        memcpy(&out->u.d, &u, 8);
        c->p += 8;
        return 0;
    }
    case FLOE_AVRO_BYTES:
    case FLOE_AVRO_STRING: {
        size_t n;
        if (get_len(c, &n, "bytes")) return -1;
        out->u.bytes.p = c->p;
        out->u.bytes.n = n;
        c->p += n;
        return 0;
    }
    case FLOE_AVRO_FIXED:
        if ((uint64_t)(c->end - c->p) < (uint64_t)s->size)
            return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: truncated fixed %s", c->file, s->name);
        out->u.bytes.p = c->p;
        out->u.bytes.n = (size_t)s->size;
        c->p += s->size;
        return 0;
    case FLOE_AVRO_ENUM: {
        int64_t v;
        if (get_long(c, &v)) return -1;
        if (v < 0 || v >= s->nsymbols)
            return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: enum %s index %lld out of range", c->file, s->name,
                                (long long)v);
        out->u.symbol = (int32_t)v;
        return 0;
    }
    case FLOE_AVRO_UNION: {
        int64_t v;
        if (get_long(c, &v)) return -1;
        if (v < 0 || v >= s->nchildren)
            return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: union branch %lld out of range", c->file,
                                (long long)v);
        if (decode(c, s->children[v], a, out, depth + 1)) return -1;
        out->branch = (int)v;
        return 0;
    }
    case FLOE_AVRO_RECORD:
        out->u.arr.n = (size_t)s->nchildren;
        out->u.arr.items = floe_arena_alloc(a, sizeof(floe_avro_value) * (size_t)(s->nchildren + 1));
        for (int i = 0; i < s->nchildren; i++)
            if (decode(c, s->children[i], a, &out->u.arr.items[i], depth + 1))
                return floe_err_prefix(c->err, "field %s", s->field_names[i]);
        return 0;
    case FLOE_AVRO_ARRAY:
    case FLOE_AVRO_MAP: {
        int is_map = s->kind == FLOE_AVRO_MAP;
        floe_avro_value *items = NULL, *keys = NULL;
        size_t n = 0, cap = 0;
        for (;;) {
            int64_t count;
            if (get_long(c, &count)) return -1;
            if (count == 0) break;
            if (count < 0) {
                int64_t bytes;
                if (get_long(c, &bytes)) return -1;
                if (count == INT64_MIN) return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: bad block count", c->file);
                count = -count;
            }
            /* Every item takes at least one byte, except nulls: bound the
             * allocation by what the bytes can hold, and by a sane cap. */
            if ((uint64_t)count > (uint64_t)(c->end - c->p) + 1 && s->children[0]->kind != FLOE_AVRO_NULL)
                return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: block of %lld items exceeds the data", c->file,
                                    (long long)count);
            if ((uint64_t)count > (1u << 24))
                return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: block of %lld items", c->file, (long long)count);
            if (n + (size_t)count > cap) {
                size_t ncap = (n + (size_t)count) * 2;
                floe_avro_value *ni = floe_arena_alloc(a, sizeof *ni * ncap);
                if (n) memcpy(ni, items, sizeof *ni * n);
                items = ni;
                if (is_map) {
                    floe_avro_value *nk = floe_arena_alloc(a, sizeof *nk * ncap);
                    if (n) memcpy(nk, keys, sizeof *nk * n);
                    keys = nk;
                }
                cap = ncap;
            }
            for (int64_t i = 0; i < count; i++, n++) {
                if (is_map) {
                    size_t kl;
                    if (get_len(c, &kl, "map key")) return -1;
                    keys[n].kind = FLOE_AVRO_STRING;
                    keys[n].branch = -1;
                    keys[n].u.bytes.p = c->p;
                    keys[n].u.bytes.n = kl;
                    c->p += kl;
                }
                if (decode(c, s->children[0], a, &items[n], depth + 1)) return -1;
            }
        }
        if (is_map) {
            out->u.map.keys = keys;
            out->u.map.values = items;
            out->u.map.n = n;
        } else {
            out->u.arr.items = items;
            out->u.arr.n = n;
        }
        return 0;
    }
    }
    return floe_err_set(c->err, FLOE_ECORRUPT, "%s: avro: unknown schema kind", c->file);
}

floe_avro_reader *floe_avro_reader_open(const uint8_t *data, size_t len, const char *name, floe_err *err) {
    const char *file = name ? name : "avro";
    if (len < 4 || memcmp(data, "Obj\x01", 4) != 0) {
        floe_err_set(err, FLOE_ECORRUPT, "%s: not an Avro object container file (bad magic)", file);
        return NULL;
    }
    floe_avro_reader *r = floe_xcalloc(1, sizeof *r);
    r->data = data;
    r->end = data + len;
    r->name = floe_xstrdup(file);
    floe_arena_init(&r->arena, 16 * 1024);
    cursor c = {data + 4, data + len, r->name, err};
    const char *schema_json = NULL;
    size_t schema_len = 0;
    const char *codec = "null";
    size_t codec_len = 4;
    for (;;) {
        int64_t count;
        if (get_long(&c, &count)) goto fail;
        if (count == 0) break;
        if (count < 0) {
            int64_t bytes;
            if (get_long(&c, &bytes)) goto fail;
            count = count == INT64_MIN ? 0 : -count;
        }
        if ((uint64_t)count > (uint64_t)(c.end - c.p) / 2) {
            floe_err_set(err, FLOE_ECORRUPT, "%s: avro header claims %lld metadata entries", file, (long long)count);
            goto fail;
        }
        r->meta_keys = floe_xrealloc(r->meta_keys, sizeof(char *) * (size_t)(r->nmeta + count));
        r->meta_vals = floe_xrealloc(r->meta_vals, sizeof(char *) * (size_t)(r->nmeta + count));
        for (int64_t i = 0; i < count; i++) {
            size_t kl, vl;
            if (get_len(&c, &kl, "metadata key")) goto fail;
            const char *k = (const char *)c.p;
            c.p += kl;
            if (get_len(&c, &vl, "metadata value")) goto fail;
            const char *v = (const char *)c.p;
            c.p += vl;
            r->meta_keys[r->nmeta] = floe_arena_strndup(&r->arena, k, kl);
            r->meta_vals[r->nmeta] = floe_arena_strndup(&r->arena, v, vl);
            r->nmeta++;
            if (kl == 11 && memcmp(k, "avro.schema", 11) == 0) { schema_json = v; schema_len = vl; }
            if (kl == 10 && memcmp(k, "avro.codec", 10) == 0) { codec = v; codec_len = vl; }
        }
    }
    if (c.end - c.p < 16) {
        floe_err_set(err, FLOE_ECORRUPT, "%s: avro header ends before the sync marker", file);
        goto fail;
    }
    memcpy(r->sync, c.p, 16);
    c.p += 16;
    r->p = c.p;
    if (codec_len == 4 && memcmp(codec, "null", 4) == 0) r->codec = FLOE_AVRO_CODEC_NULL;
    else if (codec_len == 7 && memcmp(codec, "deflate", 7) == 0) r->codec = FLOE_AVRO_CODEC_DEFLATE;
    else {
        floe_err_set(err, FLOE_EUNSUPPORTED, "%s: avro codec '%.*s' is not supported (null, deflate are)", file,
                     (int)codec_len, codec);
        goto fail;
    }
    if (!schema_json) {
        floe_err_set(err, FLOE_ECORRUPT, "%s: avro header has no avro.schema", file);
        goto fail;
    }
    r->shared = schema_lookup(schema_json, schema_len);
    if (!r->shared) {
        r->shared = schema_parse(schema_json, schema_len, file, err);
        if (!r->shared) goto fail;
        schema_insert(r->shared);
    }
    r->schema = r->shared->schema;
    return r;
fail:
    floe_avro_reader_free(r);
    return NULL;
}

void floe_avro_reader_free(floe_avro_reader *r) {
    if (!r) return;
    schema_release(r->shared);
    floe_arena_free(&r->arena);
    free(r->meta_keys);
    free(r->meta_vals);
    floe_buf_free(&r->inflated);
    free(r->name);
    free(r);
}

const floe_avro_schema *floe_avro_reader_schema(const floe_avro_reader *r) { return r->schema; }

const char *floe_avro_reader_meta(const floe_avro_reader *r, const char *key) {
    for (int i = 0; i < r->nmeta; i++)
        if (strcmp(r->meta_keys[i], key) == 0) return r->meta_vals[i];
    return NULL;
}

static int inflate_block(floe_avro_reader *r, const uint8_t *p, size_t n, floe_err *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK) return floe_err_set(err, FLOE_EIO, "%s: avro: inflateInit2 failed", r->name);
    r->inflated.len = 0;
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    int rc;
    do {
        floe_buf_reserve(&r->inflated, n * 4 + 4096);
        zs.next_out = r->inflated.data + r->inflated.len;
        zs.avail_out = (uInt)(r->inflated.cap - r->inflated.len);
        size_t before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        r->inflated.len += before - zs.avail_out;
        if (r->inflated.len > ((size_t)1 << 30)) rc = Z_MEM_ERROR;
    } while (rc == Z_OK);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return floe_err_set(err, FLOE_ECORRUPT, "%s: avro: deflate block does not inflate (%d)", r->name, rc);
    return 0;
}

int floe_avro_reader_next(floe_avro_reader *r, floe_arena *arena, floe_avro_value *out, floe_err *err) {
    while (r->block_left == 0) {
        if (r->bp && r->bp != r->bend)
            return floe_err_set(err, FLOE_ECORRUPT, "%s: avro: block has %zu bytes left after its records", r->name,
                                (size_t)(r->bend - r->bp));
        if (r->p >= r->end) return 0;
        cursor c = {r->p, r->end, r->name, err};
        int64_t count;
        size_t size;
        if (get_long(&c, &count) || get_len(&c, &size, "block")) return -1;
        if (count < 0) return floe_err_set(err, FLOE_ECORRUPT, "%s: avro: negative block count", r->name);
        const uint8_t *blk = c.p;
        c.p += size;
        if (c.end - c.p < 16 || memcmp(c.p, r->sync, 16) != 0)
            return floe_err_set(err, FLOE_ECORRUPT, "%s: avro: sync marker mismatch after a block", r->name);
        r->p = c.p + 16;
        if (r->codec == FLOE_AVRO_CODEC_DEFLATE) {
            if (inflate_block(r, blk, size, err)) return -1;
            r->bp = r->inflated.data;
            r->bend = r->inflated.data + r->inflated.len;
        } else {
            r->bp = blk;
            r->bend = blk + size;
        }
        r->block_left = count;
    }
    cursor c = {r->bp, r->bend, r->name, err};
    if (decode(&c, r->schema, arena, out, 0)) return -1;
    r->bp = c.p;
    r->block_left--;
    return 1;
}

const floe_avro_value *floe_avro_get(const floe_avro_value *rec, const char *name) {
    if (!rec || rec->kind != FLOE_AVRO_RECORD) return NULL;
    const floe_avro_schema *s = rec->schema;
    /* Manifests are read field by field through here: the first byte
     * rules out most names without a call. */
    for (int i = 0; i < s->nchildren; i++)
        if (s->field_names[i][0] == name[0] && strcmp(s->field_names[i], name) == 0) {
            const floe_avro_value *v = &rec->u.arr.items[i];
            return v->kind == FLOE_AVRO_NULL ? NULL : v;
        }
    return NULL;
}
