/*
 * datafile_writer.c — the partitioned data-file writer (see
 * datafile_writer.h).
 *
 * Routing: before a record is shredded, a small scanner walks its JSON
 * object once and picks out the values of the partition source columns
 * (each a path of names from a top-level column down through structs).
 * Each value is converted by its column's Iceberg type with the text forms
 * of util/text.h (the forms the shredder accepts; a missing value or null
 * is a null), the spec's transforms turn the values into the partition
 * tuple, and the tuple's bytes find the partition in a hash table.  An
 * unpartitioned spec skips all of that: its one partition is remembered.
 *
 * Files: a partition owns at most one open Parquet file (an outfile of the
 * table's IO, so nothing is visible at its final name before it closes).
 * One NDJSON shredder serves every file, pointed at the record's writer
 * before each record: the schema is compiled once and the shredder's
 * field-order learning carries across partitions.  A file rolls over at
 * write.target-file-size-bytes; when max_open_files are open and another
 * is needed, the least recently used one is closed.  Names follow Java's
 * OutputFileFactory: <data>/<partition path>/<00000 partition seq>-<task>-
 * <writer uuid>-<00001 file seq>.parquet.
 *
 * With floe_datafile_writer_set_encoder every file's Parquet writer hands
 * its full pages to an encoder thread the caller owns (one per pipeline,
 * shared by its tables' writers), so that shredding and compression
 * overlap.
 */
#include "table/datafile_writer.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/ndjson.h"
#include "iceberg/metadata_internal.h"
#include "util/hash.h"
#include "util/text.h"

#define DEFAULT_MAX_OPEN 64
#define DEFAULT_TARGET_FILE_SIZE ((int64_t)512 << 20)
#define SHOW_MAX 48 /* bytes of a bad value quoted in a message */
#define MAX_SOURCES 32 /* partition fields: the scanner tracks sources in a 32-bit mask */

/* A partition source column: its path of names and type. */
typedef struct source {
    int32_t id;
    const char **parts; /* borrowed from the schema */
    size_t *lens;       /* their lengths */
    int nparts;
    const floe_ice_type *type;
    const char *tok;    /* this record's value token, NULL when absent */
    size_t toklen;
    floe_buf scratch;   /* its converted bytes */
} source;

typedef struct part {
    uint8_t *key;
    size_t keylen;
    uint32_t hash;
    floe_ice_datum *tuple; /* owned bytes */
    char *dir;             /* data directory of the partition */
    int seq;
    floe_outfile *out;     /* the open file, or NULL */
    floe_pq_writer *w;
    char *uri;
    uint64_t used;
    int64_t rows;          /* rows in the open file */
    int64_t next_check;    /* row count at which to compare the file's size with the target */
} part;

struct floe_datafile_writer {
    floe_fileio *io;
    floe_ice_metadata *m;            /* own copy: the caller's may be replaced by a commit */
    const floe_ice_schema *schema;
    const floe_ice_partition_spec *spec;
    floe_ice_type *ptype;
    floe_pq_schema *pq;
    char *schema_json;
    floe_pq_writer_opts popts;
    int64_t target_size;
    int max_open;
    int task_id;
    char uuid[37];
    char *data_dir;
    int64_t file_seq;
    source *sources;
    int nsources;
    int *field_source;               /* partition field -> source index */
    floe_ndjson *shred;
    /* the batch */
    part **table;                    /* open addressing, capacity a power of two */
    size_t cap, nparts;
    int nopen;
    uint64_t clock;
    int64_t rows;
    floe_ice_data_file *files;
    int nfiles, files_cap;
    floe_buf key;                    /* scratch */
    floe_ice_datum *values;          /* scratch: the record's partition tuple */
    part *single;                    /* an unpartitioned spec's one partition, once it exists */
    floe_pq_writer *target;          /* the writer the shredder points at (NULL: none yet) */
};

/* ---- settings ------------------------------------------------------------------- */

static int prop_size(const floe_props *p, const char *key, int64_t min, int64_t *out, floe_err *err) {
    const char *v = floe_props_get(p, key);
    if (!v) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < min)
        return floe_err_set(err, FLOE_EINVAL, "table property %s=%s: expected an integer of at least %lld", key, v,
                            (long long)min);
    *out = x;
    return 0;
}

static int read_settings(floe_datafile_writer *w, floe_err *err) {
    const floe_props *p = &w->m->properties;
    floe_pq_writer_opts *o = &w->popts;
    floe_pq_writer_opts_default(o);
    const char *codec = floe_props_get(p, "write.parquet.compression-codec");
    if (codec) {
        int c = floe_pq_codec_parse(codec);
        if (c < 0) return floe_err_set(err, FLOE_EINVAL, "table property write.parquet.compression-codec=%s: "
                                                         "unknown codec", codec);
        o->codec = c;
    }
    int64_t level = o->level, rg = (int64_t)o->row_group_size, page = (int64_t)o->page_size;
    int64_t rows = (int64_t)o->page_row_limit, dict = (int64_t)o->dict_size_limit;
    w->target_size = DEFAULT_TARGET_FILE_SIZE;
    if (prop_size(p, "write.parquet.compression-level", INT32_MIN, &level, err) ||
        prop_size(p, "write.parquet.row-group-size-bytes", 1, &rg, err) ||
        prop_size(p, "write.parquet.page-size-bytes", 1, &page, err) ||
        prop_size(p, "write.parquet.page-row-limit", 1, &rows, err) ||
        prop_size(p, "write.parquet.dict-size-bytes", 0, &dict, err) ||
        prop_size(p, "write.target-file-size-bytes", 1, &w->target_size, err))
        return -1;
    if (level > INT32_MAX)
        return floe_err_set(err, FLOE_EINVAL, "table property write.parquet.compression-level: %lld is too large",
                            (long long)level);
    o->level = (int)level;
    o->row_group_size = (size_t)rg;
    o->page_size = (size_t)page;
    o->page_row_limit = (size_t)rows;
    o->dict_size_limit = (size_t)dict;
    return 0;
}

/* The names from the top-level column down to f. */
static void source_init(source *s, const floe_ice_field *f) {
    int n = 0;
    for (const floe_ice_field *x = f; x; x = x->parent) n++;
    s->parts = floe_xmalloc(sizeof *s->parts * (size_t)n);
    s->lens = floe_xmalloc(sizeof *s->lens * (size_t)n);
    s->nparts = n;
    for (const floe_ice_field *x = f; x; x = x->parent) {
        s->parts[--n] = x->name;
        s->lens[n] = strlen(x->name);
    }
    s->id = f->id;
    s->type = f->type;
    floe_buf_init(&s->scratch);
}

floe_datafile_writer *floe_datafile_writer_new(floe_fileio *io, const floe_ice_metadata *m,
                                               const floe_datafile_opts *opts, floe_err *err) {
    floe_datafile_writer *w = floe_xcalloc(1, sizeof *w);
    w->io = io;
    w->m = floe_ice_metadata_copy(m);
    w->schema = floe_ice_metadata_schema(w->m);
    w->spec = floe_ice_metadata_spec(w->m);
    w->max_open = opts && opts->max_open_files > 0 ? opts->max_open_files : DEFAULT_MAX_OPEN;
    w->task_id = opts ? opts->task_id : 0;
    floe_ice_uuid_random(w->uuid);
    floe_buf_init(&w->key);
    if (read_settings(w, err)) goto fail;
    w->ptype = floe_ice_spec_partition_type(w->spec, w->schema, err);
    if (!w->ptype) goto fail;
    w->pq = floe_ice_schema_to_parquet(w->schema, err);
    if (!w->pq) goto fail;
    w->shred = floe_ndjson_new(w->pq, NULL, err);
    if (!w->shred) goto fail;
    floe_ndjson_set_lenient(w->shred, opts && opts->lenient);
    floe_ndjson_set_ignore_case(w->shred, opts && opts->ignore_case);
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_schema_to_json(w->schema, &b);
    w->schema_json = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_reset(&b);
    const char *dd = floe_props_get(&w->m->properties, "write.data.path");
    if (dd && *dd) floe_buf_puts(&b, dd);
    else floe_buf_printf(&b, "%s/data", w->m->location);
    while (b.len > 0 && b.data[b.len - 1] == '/') b.len--;
    w->data_dir = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);

    int nf = w->spec->nfields;
    if (nf > MAX_SOURCES) {
        floe_err_set(err, FLOE_EUNSUPPORTED, "partition spec %d: more than %d fields", (int)w->spec->spec_id,
                     MAX_SOURCES);
        goto fail;
    }
    w->field_source = floe_xcalloc((size_t)nf + 1, sizeof *w->field_source);
    w->sources = floe_xcalloc((size_t)nf + 1, sizeof *w->sources);
    w->values = floe_xcalloc((size_t)nf + 1, sizeof *w->values);
    for (int k = 0; k < nf; k++) {
        int32_t sid = w->spec->fields[k].source_id;
        const floe_ice_field *f = floe_ice_schema_field_by_id(w->schema, sid);
        if (!f) {
            floe_err_set(err, FLOE_EINVAL, "partition field '%s': source column %d is not in the schema",
                         w->spec->fields[k].name, (int)sid);
            goto fail;
        }
        int s = 0;
        while (s < w->nsources && w->sources[s].id != sid) s++;
        if (s == w->nsources) source_init(&w->sources[w->nsources++], f);
        w->field_source[k] = s;
    }
    w->cap = 16;
    w->table = floe_xcalloc(w->cap, sizeof *w->table);
    return w;
fail:
    floe_datafile_writer_free(w);
    return NULL;
}

/* ---- picking the partition values out of a record ------------------------------- */

typedef struct scan {
    const char *line, *end;
    int64_t lineno;
    floe_err *err;
} scan;

static const char *ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

static const char *bad_json(scan *s, const char *at) {
    floe_err_set(s->err, FLOE_EINVAL, "line %lld: invalid JSON at byte %zu", (long long)s->lineno,
                 (size_t)(at - s->line));
    return NULL;
}

/* p at '"'; returns the byte after the closing quote. */
static const char *skip_string(scan *s, const char *p) {
    for (const char *q = p + 1;;) {
        const char *e = memchr(q, '"', (size_t)(s->end - q));
        if (!e) return bad_json(s, s->end);
        const char *b = e;
        while (b > q && b[-1] == '\\') b--;
        if ((e - b) % 2 == 0) return e + 1; /* not escaped */
        q = e + 1;
    }
}

/* Skips any value (nested ones by counting brackets outside strings; the
 * shredder checks the record fully afterwards). */
static const char *skip_value(scan *s, const char *p) {
    if (p >= s->end) return bad_json(s, p);
    if (*p == '"') return skip_string(s, p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < s->end) {
            if (*p == '"') {
                if (!(p = skip_string(s, p))) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') depth--;
            p++;
            if (depth == 0) return p;
        }
        return bad_json(s, p);
    }
    const char *q = p;
    while (q < s->end && *q != ',' && *q != '}' && *q != ']' && *q != ' ' && *q != '\t' && *q != '\r' &&
           *q != '\n')
        q++;
    return q == p ? bad_json(s, p) : q;
}

/* Appends the text of the JSON string token tok[0..n) (quotes included).
 * Escapes are rare in keys and partition values, so jansson decodes them;
 * -1 on a bad escape. */
static int decode_string(const char *tok, size_t n, floe_buf *out) {
    if (!memchr(tok + 1, '\\', n - 2)) {
        floe_buf_append(out, tok + 1, n - 2);
        return 0;
    }
    json_error_t jerr;
    json_t *v = json_loadb(tok, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!v || !json_is_string(v)) {
        json_decref(v);
        return -1;
    }
    floe_buf_append(out, json_string_value(v), json_string_length(v));
    json_decref(v);
    return 0;
}

/* Walks the object at p, recording the tokens of the sources in `mask`
 * whose first `depth` names led here.  Returns NULL on malformed JSON, else
 * non-NULL; it stops as soon as every source of the mask is settled (the
 * shredder checks the whole record, and rejects a field that appears
 * twice, so no later key can change the answer). */
static const char *scan_object(floe_datafile_writer *w, scan *s, const char *p, int depth, uint32_t mask) {
    floe_buf key;
    floe_buf_init(&key);
    p = ws(p + 1, s->end);
    if (p < s->end && *p == '}') goto done;
    for (;;) {
        if (p >= s->end || *p != '"') goto bad;
        const char *kend = skip_string(s, p);
        if (!kend) goto fail;
        const char *k = p + 1;
        size_t kn = (size_t)(kend - 1 - k);
        if (memchr(k, '\\', kn)) {
            floe_buf_reset(&key);
            if (decode_string(p, (size_t)(kend - p), &key)) goto bad;
            k = (const char *)key.data;
            kn = key.len;
        }
        p = ws(kend, s->end);
        if (p >= s->end || *p != ':') goto bad;
        p = ws(p + 1, s->end);
        uint32_t here = 0, deeper = 0;
        for (int i = 0; i < w->nsources; i++) {
            const source *src = &w->sources[i];
            if ((mask >> i & 1) && src->lens[depth] == kn && memcmp(src->parts[depth], k, kn) == 0)
                *(src->nparts == depth + 1 ? &here : &deeper) |= 1u << i;
        }
        const char *vend = NULL;
        if (here) {
            if (!(vend = skip_value(s, p))) goto fail;
            for (int i = 0; i < w->nsources; i++)
                if (here >> i & 1) {
                    w->sources[i].tok = p;
                    w->sources[i].toklen = (size_t)(vend - p);
                }
        }
        if (deeper && *p == '{' && !scan_object(w, s, p, depth + 1, deeper)) goto fail;
        mask &= ~(here | deeper);
        if (!mask) goto done;
        if (!vend && !(vend = skip_value(s, p))) goto fail;
        p = ws(vend, s->end);
        if (p < s->end && *p == ',') {
            p = ws(p + 1, s->end);
            continue;
        }
        if (p < s->end && *p == '}') goto done;
        goto bad;
    }
done:
    floe_buf_free(&key);
    return p;
bad:
    bad_json(s, p);
fail:
    floe_buf_free(&key);
    return NULL;
}

/* "line N: field 'a.b': expected T, got string "x"" (tokens named as the
 * shredder names them). */
static int mismatch(scan *s, const source *src, const char *tok, size_t n) {
    floe_buf path, type;
    floe_buf_init(&path);
    floe_buf_init(&type);
    for (int i = 0; i < src->nparts; i++) {
        if (i) floe_buf_putc(&path, '.');
        floe_buf_puts(&path, src->parts[i]);
    }
    floe_ice_type_name(src->type, &type);
    const char *kind = *tok == '"' ? "string " : *tok == '{' ? "object" : *tok == '[' ? "array"
                     : *tok == 't' || *tok == 'f' ? "boolean " : "number ";
    int show = *tok != '{' && *tok != '[';
    size_t cut = n > SHOW_MAX ? SHOW_MAX : n;
    while (cut > 0 && cut < n && ((unsigned char)tok[cut] & 0xC0) == 0x80) cut--; /* keep UTF-8 whole */
    floe_err_set(s->err, FLOE_EINVAL, "line %lld: field '%s': expected %s, got %s%.*s%s", (long long)s->lineno,
                 floe_buf_cstr(&path), floe_buf_cstr(&type), kind, show ? (int)cut : 0, tok,
                 show && cut < n ? "..." : "");
    floe_buf_free(&path);
    floe_buf_free(&type);
    return -1;
}

/* A JSON integer token within [min, max] (no fraction, no exponent, as the
 * shredder requires for integer columns). */
static int parse_i64(const char *t, size_t n, int64_t min, int64_t max, int64_t *out) {
    int neg = n > 0 && t[0] == '-';
    size_t i = (size_t)neg;
    if (i >= n) return -1;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(t[i] - '0');
        if (d > 9 || v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    int64_t x = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    if (x < min || x > max) return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *t, size_t n, double *out) {
    if (n == 0 || n > 400 || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) return -1;
    char b[416];
    memcpy(b, t, n);
    b[n] = '\0';
    char *end;
    *out = strtod(b, &end);
    return *end ? -1 : 0;
}

static int time_unit(int kind) {
    return kind == FLOE_ICE_TIMESTAMP_NS || kind == FLOE_ICE_TIMESTAMPTZ_NS ? FLOE_UNIT_NANOS : FLOE_UNIT_MICROS;
}

/* The source's value as a datum of its type (bytes in src->scratch). */
static int convert(scan *s, source *src, floe_ice_datum *v) {
    memset(v, 0, sizeof *v);
    const char *t = src->tok;
    size_t n = src->toklen;
    if (!t || (n == 4 && memcmp(t, "null", 4) == 0)) {
        v->is_null = 1;
        return 0;
    }
    int kind = src->type->kind;
    int quoted = t[0] == '"';
    floe_buf *b = &src->scratch;
    floe_buf_reset(b);
    if (quoted && decode_string(t, n, b)) return mismatch(s, src, t, n);
    const char *str = (const char *)b->data;
    size_t sn = b->len;
    int ok = 0;
    switch (kind) {
    case FLOE_ICE_BOOLEAN:
        ok = !quoted && ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0));
        v->i = t[0] == 't';
        break;
    case FLOE_ICE_INT: ok = !quoted && parse_i64(t, n, INT32_MIN, INT32_MAX, &v->i) == 0; break;
    case FLOE_ICE_LONG: ok = !quoted && parse_i64(t, n, INT64_MIN, INT64_MAX, &v->i) == 0; break;
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE:
        if (quoted) {
            ok = 1;
            if (sn == 3 && memcmp(str, "NaN", 3) == 0) v->d = NAN;
            else if (sn == 8 && memcmp(str, "Infinity", 8) == 0) v->d = INFINITY;
            else if (sn == 9 && memcmp(str, "-Infinity", 9) == 0) v->d = -INFINITY;
            else ok = 0;
        } else {
            ok = parse_double(t, n, &v->d) == 0;
        }
        if (kind == FLOE_ICE_FLOAT) v->d = (double)(float)v->d;
        break;
    case FLOE_ICE_DECIMAL: {
        uint8_t u[16];
        const uint8_t *mp;
        ok = floe_parse_decimal(quoted ? str : t, quoted ? sn : n, src->type->precision, src->type->scale, u) == 0;
        if (ok) {
            size_t mn = floe_ice_decimal_minimal(u, 16, &mp);
            floe_buf_reset(b);
            floe_buf_append(b, mp, mn);
        }
        break;
    }
    case FLOE_ICE_DATE: {
        int32_t d;
        ok = quoted ? floe_parse_date(str, sn, &d) == 0 : parse_i64(t, n, INT32_MIN, INT32_MAX, &v->i) == 0;
        if (quoted && ok) v->i = d;
        break;
    }
    case FLOE_ICE_TIME:
        ok = quoted ? floe_parse_time(str, sn, FLOE_UNIT_MICROS, &v->i) == 0
                    : parse_i64(t, n, 0, 86400000000LL - 1, &v->i) == 0;
        break;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS:
        ok = quoted ? floe_parse_timestamp(str, sn, time_unit(kind), &v->i) == 0
                    : parse_i64(t, n, INT64_MIN, INT64_MAX, &v->i) == 0;
        break;
    case FLOE_ICE_STRING: ok = quoted && floe_utf8_valid(b->data, b->len); break;
    case FLOE_ICE_UUID: {
        uint8_t u[16];
        ok = quoted && floe_parse_uuid(str, sn, u) == 0;
        if (ok) {
            floe_buf_reset(b);
            floe_buf_append(b, u, 16);
        }
        break;
    }
    case FLOE_ICE_FIXED:
    case FLOE_ICE_BINARY: {
        floe_buf dec;
        floe_buf_init(&dec);
        ok = quoted && floe_base64_decode(str, sn, &dec) == 0 &&
             (kind == FLOE_ICE_BINARY || dec.len == (size_t)src->type->length);
        floe_buf_reset(b);
        floe_buf_append(b, dec.data, dec.len);
        floe_buf_free(&dec);
        break;
    }
    default: break;
    }
    if (!ok) return mismatch(s, src, t, n);
    v->p = b->data;
    v->n = b->len;
    return 0;
}

/* ---- partitions ------------------------------------------------------------------ */

/* Bytes that identify a partition tuple. */
static void tuple_key(const floe_ice_datum *v, int n, floe_buf *out) {
    floe_buf_reset(out);
    floe_buf_reserve(out, 1); /* data is never NULL, even for the unpartitioned tuple */
    for (int k = 0; k < n; k++) {
        floe_buf_putc(out, (uint8_t)!v[k].is_null);
        if (v[k].is_null) continue;
        uint64_t len = v[k].n;
        floe_buf_append(out, &v[k].i, sizeof v[k].i);
        floe_buf_append(out, &v[k].d, sizeof v[k].d);
        floe_buf_append(out, &len, sizeof len);
        floe_buf_append(out, v[k].p, v[k].n);
    }
}

static void part_free(part *p, int n) {
    for (int k = 0; k < n; k++) free((void *)p->tuple[k].p);
    free(p->tuple);
    free(p->key);
    free(p->dir);
    free(p->uri);
    free(p);
}

static void table_grow(floe_datafile_writer *w) {
    size_t cap = w->cap * 2;
    part **t = floe_xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < w->cap; i++) {
        part *p = w->table[i];
        if (!p) continue;
        size_t j = p->hash & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = p;
    }
    free(w->table);
    w->table = t;
    w->cap = cap;
}

/* The partition of tuple w->values, created on first sight. */
static part *find_part(floe_datafile_writer *w) {
    int nf = w->spec->nfields;
    tuple_key(w->values, nf, &w->key);
    uint32_t h = floe_murmur3_32(w->key.data, w->key.len, 0);
    size_t j = h & (w->cap - 1);
    for (part *p; (p = w->table[j]) != NULL; j = (j + 1) & (w->cap - 1))
        if (p->hash == h && p->keylen == w->key.len && memcmp(p->key, w->key.data, p->keylen) == 0) return p;
    part *p = floe_xcalloc(1, sizeof *p);
    p->hash = h;
    p->keylen = w->key.len;
    p->key = floe_xmalloc(p->keylen + 1);
    memcpy(p->key, w->key.data, p->keylen);
    p->tuple = floe_xcalloc((size_t)nf + 1, sizeof *p->tuple);
    for (int k = 0; k < nf; k++) {
        p->tuple[k] = w->values[k];
        p->tuple[k].p = NULL;
        if (!w->values[k].is_null && w->values[k].n) {
            uint8_t *c = floe_xmalloc(w->values[k].n);
            memcpy(c, w->values[k].p, w->values[k].n);
            p->tuple[k].p = c;
        }
    }
    floe_buf dir;
    floe_buf_init(&dir);
    floe_buf_puts(&dir, w->data_dir);
    if (nf > 0) {
        floe_buf_putc(&dir, '/');
        floe_ice_spec_partition_path(w->spec, w->ptype, p->tuple, &dir);
    }
    p->dir = floe_xstrdup(floe_buf_cstr(&dir));
    floe_buf_free(&dir);
    p->seq = (int)w->nparts;
    w->table[j] = p;
    if (++w->nparts * 2 > w->cap) table_grow(w);
    return p;
}

/* ---- files ----------------------------------------------------------------------- */

static int out_write(void *ctx, const void *data, size_t len, floe_err *err) {
    floe_outfile *o = ctx;
    return o->write(o, data, len, err);
}

static void drop_open(floe_datafile_writer *w, part *p) {
    if (w->target == p->w) w->target = NULL;
    floe_pq_writer_free(p->w);
    p->out->abort(p->out);
    p->w = NULL;
    p->out = NULL;
    free(p->uri);
    p->uri = NULL;
    w->nopen--;
}

/* Closes p's open file; a file with rows becomes a data file of the batch. */
static int close_file(floe_datafile_writer *w, part *p, floe_err *err) {
    if (floe_pq_writer_rows(p->w) == 0) {
        drop_open(w, p);
        return 0;
    }
    if (floe_pq_writer_close(p->w, err)) {
        floe_err_prefix(err, "%s", p->uri);
        drop_open(w, p);
        return -1;
    }
    floe_ice_data_file df;
    memset(&df, 0, sizeof df);
    int rc = floe_ice_metrics_from_parquet(w->schema, w->pq, p->w, &w->m->properties, &df, err);
    floe_outfile *out = p->out;
    p->out = NULL;
    if (rc) {
        out->abort(out);
    } else if (out->close(out, err)) {
        rc = -1;
    }
    if (w->target == p->w) w->target = NULL;
    floe_pq_writer_free(p->w);
    p->w = NULL;
    w->nopen--;
    if (rc) {
        floe_ice_data_file_free(&df);
        floe_err_prefix(err, "%s", p->uri);
        free(p->uri);
        p->uri = NULL;
        return -1;
    }
    df.content = FLOE_ICE_CONTENT_DATA;
    df.file_path = p->uri;
    p->uri = NULL;
    df.file_format = floe_xstrdup("PARQUET");
    df.spec_id = w->spec->spec_id;
    df.npartition = w->spec->nfields;
    df.partition = floe_xcalloc((size_t)df.npartition + 1, sizeof *df.partition);
    for (int k = 0; k < df.npartition; k++) {
        df.partition[k] = p->tuple[k];
        if (p->tuple[k].p) {
            uint8_t *c = floe_xmalloc(p->tuple[k].n + 1);
            memcpy(c, p->tuple[k].p, p->tuple[k].n);
            df.partition[k].p = c;
        }
    }
    if (w->nfiles == w->files_cap) {
        w->files_cap = w->files_cap ? w->files_cap * 2 : 16;
        w->files = floe_xrealloc(w->files, sizeof *w->files * (size_t)w->files_cap);
    }
    w->files[w->nfiles++] = df;
    return 0;
}

static int close_lru(floe_datafile_writer *w, floe_err *err) {
    part *lru = NULL;
    for (size_t i = 0; i < w->cap; i++) {
        part *p = w->table[i];
        if (p && p->w && (!lru || p->used < lru->used)) lru = p;
    }
    return lru ? close_file(w, lru, err) : 0;
}

static int open_file(floe_datafile_writer *w, part *p, floe_err *err) {
    if (w->nopen >= w->max_open && close_lru(w, err)) return -1;
    floe_buf uri;
    floe_buf_init(&uri);
    floe_buf_printf(&uri, "%s/%05d-%d-%s-%05lld.parquet", p->dir, p->seq, w->task_id, w->uuid,
                    (long long)++w->file_seq);
    p->uri = floe_xstrdup(floe_buf_cstr(&uri));
    floe_buf_free(&uri);
    p->out = w->io->create(w->io, p->uri, err);
    if (!p->out) goto fail;
    p->w = floe_pq_writer_new(w->pq, &w->popts, out_write, p->out, err);
    if (!p->w) {
        p->out->abort(p->out);
        p->out = NULL;
        goto fail;
    }
    floe_pq_writer_add_kv(p->w, "iceberg.schema", w->schema_json);
    p->rows = 0;
    p->next_check = 0;
    w->nopen++;
    return 0;
fail:
    floe_err_prefix(err, "%s", p->uri);
    free(p->uri);
    p->uri = NULL;
    return -1;
}

/* Closes p's file once it reaches the target size.  The size estimate sums
 * over every column, so it is redone only when the rows written since the
 * last one could, at the average row size so far, have covered half the
 * remaining distance. */
static int roll_check(floe_datafile_writer *w, part *p, floe_err *err) {
    int64_t rows = p->rows;
    int64_t size = floe_pq_writer_estimated_size(p->w);
    if (size >= w->target_size) return close_file(w, p, err);
    int64_t per_row = size / rows > 0 ? size / rows : 1;
    p->next_check = rows + (w->target_size - size) / per_row / 2 + 1;
    return 0;
}

int floe_datafile_writer_write(floe_datafile_writer *w, const char *line, size_t len, int64_t lineno,
                               floe_err *err) {
    scan s = {line, line + len, lineno, err};
    const char *p = ws(line, s.end);
    if (p == s.end) return 0;
    int nf = w->spec->nfields;
    part *pt;
    if (nf == 0) {
        /* Unpartitioned: every record goes to the one partition, so there
         * is nothing to scan, convert or look up per record. */
        pt = w->single ? w->single : (w->single = find_part(w));
    } else {
        for (int i = 0; i < w->nsources; i++) w->sources[i].tok = NULL;
        if (*p != '{')
            return floe_err_set(err, FLOE_EINVAL, "line %lld: expected a JSON object", (long long)lineno);
        if (!scan_object(w, &s, p, 0, (1u << w->nsources) - 1)) return -1;
        for (int k = 0; k < nf; k++) {
            source *src = &w->sources[w->field_source[k]];
            floe_ice_datum v;
            if (convert(&s, src, &v)) return -1;
            floe_ice_transform_apply(&w->spec->fields[k].transform, src->type, &v, &w->values[k]);
        }
        pt = find_part(w);
    }
    if (!pt->w && open_file(w, pt, err)) return -1;
    pt->used = ++w->clock;
    if (w->target != pt->w) {
        floe_ndjson_set_writer(w->shred, pt->w);
        w->target = pt->w;
    }
    if (floe_ndjson_write(w->shred, line, len, lineno, err)) return -1;
    w->rows++;
    /* The size check itself is rare (see roll_check). */
    if (++pt->rows < pt->next_check) return 0;
    return roll_check(w, pt, err);
}

void floe_datafile_writer_set_encoder(floe_datafile_writer *w, floe_pq_encoder *e) { w->popts.encoder = e; }

int64_t floe_datafile_writer_rows(const floe_datafile_writer *w) { return w->rows; }

void floe_datafile_writer_set_strict_fields(floe_datafile_writer *w, int on) {
    floe_ndjson_set_strict_fields(w->shred, on);
}

int32_t floe_datafile_writer_schema_id(const floe_datafile_writer *w) { return w->schema->schema_id; }

int64_t floe_datafile_writer_unknown_fields(const floe_datafile_writer *w) {
    return floe_ndjson_unknown_fields(w->shred);
}
int floe_datafile_writer_open_files(const floe_datafile_writer *w) { return w->nopen; }

size_t floe_datafile_writer_memory(const floe_datafile_writer *w) {
    size_t total = 0;
    for (size_t i = 0; i < w->cap; i++)
        if (w->table[i] && w->table[i]->w) total += floe_pq_writer_memory(w->table[i]->w);
    return total;
}

/* Forgets the batch's partitions (their files closed or dropped). */
static void reset_parts(floe_datafile_writer *w) {
    for (size_t i = 0; i < w->cap; i++) {
        part *p = w->table[i];
        if (!p) continue;
        if (p->w) drop_open(w, p);
        part_free(p, w->spec->nfields);
        w->table[i] = NULL;
    }
    w->nparts = 0;
    w->rows = 0;
    w->single = NULL;
    w->target = NULL;
}

int floe_datafile_writer_finish(floe_datafile_writer *w, floe_ice_data_file **files, int *n, floe_err *err) {
    for (size_t i = 0; i < w->cap; i++) {
        part *p = w->table[i];
        if (p && p->w && close_file(w, p, err)) return -1;
    }
    reset_parts(w);
    *files = w->files;
    *n = w->nfiles;
    w->files = NULL;
    w->nfiles = w->files_cap = 0;
    return 0;
}

void floe_datafile_delete(floe_fileio *io, const floe_ice_data_file *files, int n) {
    for (int i = 0; i < n; i++) {
        floe_err ignored = {0};
        io->remove(io, files[i].file_path, &ignored);
    }
}

void floe_datafile_writer_abort(floe_datafile_writer *w) {
    reset_parts(w);
    floe_datafile_delete(w->io, w->files, w->nfiles);
    for (int i = 0; i < w->nfiles; i++) floe_ice_data_file_free(&w->files[i]);
    free(w->files);
    w->files = NULL;
    w->nfiles = w->files_cap = 0;
}

void floe_datafile_writer_free(floe_datafile_writer *w) {
    if (!w) return;
    if (w->table) floe_datafile_writer_abort(w);
    for (int i = 0; i < w->nsources; i++) {
        free(w->sources[i].parts);
        free(w->sources[i].lens);
        floe_buf_free(&w->sources[i].scratch);
    }
    free(w->sources);
    free(w->field_source);
    free(w->values);
    free(w->table);
    floe_buf_free(&w->key);
    floe_ndjson_free(w->shred);
    free(w->schema_json);
    free(w->data_dir);
    floe_pq_schema_free(w->pq);
    floe_ice_type_free(w->ptype);
    floe_ice_metadata_free(w->m);
    free(w);
}
