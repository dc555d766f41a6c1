/*
 * metrics.c — a data file's column metrics from the statistics of the
 * Parquet writer that wrote it (see floe_ice_metrics_from_parquet in
 * manifest.h), as Java Iceberg's ParquetMetrics derives them from a footer.
 *
 * Per Parquet leaf with a field id, by the column's metrics mode:
 *   none      nothing;
 *   counts    column size (compressed chunk bytes), value count (level
 *             entries, nulls included), null count, NaN count for float and
 *             double;
 *   truncate(N), full   the same plus lower and upper bounds in Iceberg's
 *             single-value form, strings cut to N code points and binary
 *             to N bytes (the upper bound rounded up, or dropped when no
 *             N-long value is larger).
 * Leaves inside a list or map get only their size: their level counts are
 * not counts of values, and Java writes nothing else for them either.
 * Bounds come from the writer's file-level min/max, which already exclude
 * NaN and carry -0.0/+0.0 safely; the Parquet writer keeps at most
 * stats_truncate bytes of byte-array bounds, so "full" is bounded by it.
 *
 * floe_ice_datum_from_plain, the conversion of a Parquet PLAIN value to an
 * Iceberg datum used for the bounds, also serves scan planning's row-group
 * pruning.
 *
 * Modes follow Java's MetricsConfig: write.metadata.metrics.default (an
 * unparsable value falls back to truncate(16), as Java does),
 * write.metadata.metrics.column.<dotted path> per column (falling back to
 * the default), and, when no default is set and the schema has more
 * primitive fields than write.metadata.metrics.max-inferred-column-defaults
 * (100), truncate(16) only for the first that many fields in Java's
 * breadth-first order and none for the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/parquet/stats.h"
#include "iceberg/manifest.h"

enum { MODE_NONE, MODE_COUNTS, MODE_TRUNCATE, MODE_FULL };

typedef struct metrics_mode {
    int kind;
    int32_t length; /* MODE_TRUNCATE */
} metrics_mode;

#define PROP_DEFAULT "write.metadata.metrics.default"
#define PROP_COLUMN "write.metadata.metrics.column."
#define PROP_MAX_INFERRED "write.metadata.metrics.max-inferred-column-defaults"

/* MetricsModes.fromString; -1 for anything else. */
static int parse_mode(const char *s, metrics_mode *out) {
    if (strcasecmp(s, "none") == 0) out->kind = MODE_NONE;
    else if (strcasecmp(s, "counts") == 0) out->kind = MODE_COUNTS;
    else if (strcasecmp(s, "full") == 0) out->kind = MODE_FULL;
    else {
        if (strncasecmp(s, "truncate(", 9) != 0) return -1;
        char *end;
        long n = strtol(s + 9, &end, 10);
        if (end == s + 9 || s[9] < '0' || s[9] > '9' || strcmp(end, ")") != 0 || n <= 0 || n > INT32_MAX) return -1;
        out->kind = MODE_TRUNCATE;
        out->length = (int32_t)n;
    }
    return 0;
}

static const metrics_mode DEFAULT_MODE = {MODE_TRUNCATE, 16};

/* MetricsConfig.limitFieldIds: the primitive fields of a struct first, then
 * its nested fields' in turn, a list's element and a map's key and value
 * before what is inside them, until `limit` ids are taken. */
typedef struct id_set {
    int32_t *ids;
    int n, limit;
} id_set;

static void limit_ids_type(const floe_ice_type *t, id_set *s);

static void limit_ids_struct(const floe_ice_type *st, id_set *s) {
    for (int i = 0; i < st->nfields && s->n < s->limit; i++)
        if (floe_ice_type_is_primitive(st->fields[i]->type)) s->ids[s->n++] = st->fields[i]->id;
    for (int i = 0; i < st->nfields && s->n < s->limit; i++) limit_ids_type(st->fields[i]->type, s);
}

static void limit_ids_type(const floe_ice_type *t, id_set *s) {
    if (t->kind == FLOE_ICE_STRUCT) {
        limit_ids_struct(t, s);
    } else if (t->kind == FLOE_ICE_LIST || t->kind == FLOE_ICE_MAP) {
        for (int i = 0; i < t->nfields; i++)
            if (s->n < s->limit && floe_ice_type_is_primitive(t->fields[i]->type)) s->ids[s->n++] = t->fields[i]->id;
        for (int i = 0; i < t->nfields; i++) limit_ids_type(t->fields[i]->type, s);
    }
}

typedef struct metrics_config {
    const floe_props *props;
    metrics_mode def;
    id_set inferred; /* ids with truncate(16) when the default is inferred as none */
    int limited;
} metrics_config;

static void config_init(metrics_config *c, const floe_ice_schema *schema, const floe_props *props) {
    memset(c, 0, sizeof *c);
    c->props = props;
    c->def = DEFAULT_MODE;
    const char *d = props ? floe_props_get(props, PROP_DEFAULT) : NULL;
    if (d) {
        if (parse_mode(d, &c->def)) c->def = DEFAULT_MODE;
        return;
    }
    int primitives = 0;
    for (int i = 0; i < schema->nby_id; i++) primitives += floe_ice_type_is_primitive(schema->by_id[i]->type);
    int64_t limit = props ? floe_props_get_int(props, PROP_MAX_INFERRED, 100) : 100;
    if (primitives <= limit) return;
    c->limited = 1;
    c->def.kind = MODE_NONE;
    c->inferred.limit = limit < 0 ? 0 : (int)limit;
    c->inferred.ids = floe_xcalloc((size_t)c->inferred.limit + 1, sizeof(int32_t));
    limit_ids_struct(schema->root, &c->inferred);
}

static metrics_mode column_mode(const metrics_config *c, const floe_ice_field *f) {
    metrics_mode m = c->def;
    if (!f) return m;
    if (c->limited)
        for (int i = 0; i < c->inferred.n; i++)
            if (c->inferred.ids[i] == f->id) m = DEFAULT_MODE;
    if (!c->props) return m;
    floe_buf path;
    floe_buf_init(&path);
    floe_ice_field_path(f, &path);
    const char *p = floe_buf_cstr(&path);
    size_t plen = strlen(PROP_COLUMN);
    for (int i = 0; i < c->props->n; i++) {
        const floe_prop *kv = &c->props->items[i];
        if (strncmp(kv->key, PROP_COLUMN, plen) == 0 && strcmp(kv->key + plen, p) == 0) {
            metrics_mode cm;
            m = parse_mode(kv->value, &cm) == 0 ? cm : c->def;
        }
    }
    floe_buf_free(&path);
    return m;
}

/* ---- bounds --------------------------------------------------------------- */

static int64_t le_int(const uint8_t *p, uint32_t n) {
    if (n == 4) {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return (int32_t)u;
    }
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
    return (int64_t)u;
}

/* The time unit of a Parquet time or timestamp leaf (FLOE_PQ_UNIT_*), 0 if
 * it has none. */
static int leaf_unit(const floe_pq_node *leaf) {
    if (leaf->logical.kind == FLOE_PQ_LT_TIME || leaf->logical.kind == FLOE_PQ_LT_TIMESTAMP) return leaf->logical.unit;
    switch (leaf->converted) {
    case FLOE_PQ_CT_TIME_MILLIS:
    case FLOE_PQ_CT_TIMESTAMP_MILLIS: return FLOE_PQ_UNIT_MILLIS;
    case FLOE_PQ_CT_TIME_MICROS:
    case FLOE_PQ_CT_TIMESTAMP_MICROS: return FLOE_PQ_UNIT_MICROS;
    default: return 0;
    }
}

int floe_ice_datum_from_plain(const floe_ice_type *t, const floe_pq_node *leaf, const uint8_t *p, uint32_t n,
                              uint8_t scratch[8], floe_ice_datum *d) {
    memset(d, 0, sizeof *d);
    int ph = leaf->physical;
    int ints = (ph == FLOE_PQ_INT32 && n == 4) || (ph == FLOE_PQ_INT64 && n == 8);
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN:
        if (ph != FLOE_PQ_BOOLEAN || n < 1) return 0;
        d->i = p[0] != 0;
        return 1;
    case FLOE_ICE_INT:
    case FLOE_ICE_DATE:
        if (ph != FLOE_PQ_INT32 || n != 4) return 0;
        d->i = le_int(p, 4);
        return 1;
    case FLOE_ICE_LONG:
        if (!ints) return 0;
        d->i = le_int(p, n);
        return 1;
    case FLOE_ICE_TIME:
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS: {
        int want = t->kind == FLOE_ICE_TIMESTAMP_NS || t->kind == FLOE_ICE_TIMESTAMPTZ_NS ? FLOE_PQ_UNIT_NANOS
                                                                                        : FLOE_PQ_UNIT_MICROS;
        int unit = leaf_unit(leaf);
        /* Coarser units scale up exactly; finer ones would need rounding
         * each bound outward, which no Iceberg writer's files need. */
        if (!ints || unit == 0 || unit > want) return 0;
        int64_t v = le_int(p, n);
        for (int u = unit; u < want; u++) v *= 1000;
        d->i = v;
        return 1;
    }
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE:
        if (ph == FLOE_PQ_FLOAT && n == 4) {
            float f;
            memcpy(&f, p, 4);
            d->d = f;
        } else if (ph == FLOE_PQ_DOUBLE && n == 8 && t->kind == FLOE_ICE_DOUBLE) {
            memcpy(&d->d, p, 8);
        } else {
            return 0;
        }
        return 1;
    case FLOE_ICE_DECIMAL:
        if (ints) {
            /* Little-endian unscaled integer to big-endian bytes. */
            for (uint32_t i = 0; i < n; i++) scratch[i] = p[n - 1 - i];
            d->p = scratch;
            d->n = n;
            return 1;
        }
        if ((ph != FLOE_PQ_FIXED_LEN_BYTE_ARRAY && ph != FLOE_PQ_BYTE_ARRAY) || n == 0) return 0;
        d->p = p;
        d->n = n;
        return 1;
    case FLOE_ICE_UUID:
    case FLOE_ICE_FIXED:
        if (ph != FLOE_PQ_FIXED_LEN_BYTE_ARRAY || n != (uint32_t)(t->kind == FLOE_ICE_UUID ? 16 : t->length)) return 0;
        d->p = p;
        d->n = n;
        return 1;
    case FLOE_ICE_STRING:
    case FLOE_ICE_BINARY:
        if (ph != FLOE_PQ_BYTE_ARRAY && ph != FLOE_PQ_FIXED_LEN_BYTE_ARRAY) return 0;
        d->p = p;
        d->n = n;
        return 1;
    default: return 0;
    }
}

/* Bytes of the first `cps` code points of p[0..n) (all of it if shorter). */
static uint32_t utf8_prefix(const uint8_t *p, uint32_t n, int32_t cps) {
    int32_t seen = 0;
    for (uint32_t i = 0; i < n; i++)
        if ((p[i] & 0xC0) != 0x80 && seen++ == cps) return i;
    return n;
}

static void push_bound(floe_ice_bound **arr, int *n, int32_t id, const floe_ice_type *t, const floe_ice_datum *d) {
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_value_to_bytes(t, d, &b);
    floe_ice_bound *x = &(*arr)[(*n)++];
    x->field_id = id;
    x->n = (uint32_t)b.len;
    if (b.len == 0) floe_buf_putc(&b, 0); /* an empty string bound still owns memory */
    x->p = b.data;
}

/* Lower and upper bound of one leaf in Iceberg form, truncated by mode. */
static void leaf_bounds(const floe_ice_type *t, const floe_pq_node *leaf, const floe_pq_stats *st, metrics_mode mode,
                        int32_t id, floe_ice_data_file *out) {
    uint8_t smin[8], smax[8];
    floe_ice_datum lo, hi;
    if (!floe_ice_datum_from_plain(t, leaf, st->min, st->min_len, smin, &lo) ||
        !floe_ice_datum_from_plain(t, leaf, st->max, st->max_len, smax, &hi))
        return;
    floe_buf scratch;
    floe_buf_init(&scratch);
    int has_hi = 1;
    int truncates = mode.kind == MODE_TRUNCATE && (t->kind == FLOE_ICE_STRING || t->kind == FLOE_ICE_BINARY);
    if (truncates) {
        int utf8 = t->kind == FLOE_ICE_STRING;
        uint32_t lmin = utf8 ? utf8_prefix(lo.p, (uint32_t)lo.n, mode.length)
                             : (uint32_t)(lo.n < (size_t)mode.length ? lo.n : (size_t)mode.length);
        uint32_t lmax = utf8 ? utf8_prefix(hi.p, (uint32_t)hi.n, mode.length)
                             : (uint32_t)(hi.n < (size_t)mode.length ? hi.n : (size_t)mode.length);
        /* The Parquet writer's truncation does what Java's UnicodeUtil and
         * BinaryUtil do once given the byte length of N characters. */
        floe_pq_bounds b;
        floe_pq_bounds_make(lo.p, (uint32_t)lo.n, hi.p, (uint32_t)hi.n, 1, utf8, lmin, &scratch, &b);
        lo.n = b.min_len;
        floe_pq_bounds_make(lo.p, (uint32_t)lo.n, hi.p, (uint32_t)hi.n, 1, utf8, lmax, &scratch, &b);
        has_hi = b.has_max;
        hi.p = b.max;
        hi.n = b.max_len;
    }
    push_bound(&out->lower_bounds, &out->nlower_bounds, id, t, &lo);
    if (has_hi) push_bound(&out->upper_bounds, &out->nupper_bounds, id, t, &hi);
    floe_buf_free(&scratch);
}

/* ---- the data file ---------------------------------------------------------- */

static int cmp_metric(const void *a, const void *b) {
    int32_t x = ((const floe_ice_metric *)a)->field_id, y = ((const floe_ice_metric *)b)->field_id;
    return (x > y) - (x < y);
}

static int cmp_bound(const void *a, const void *b) {
    int32_t x = ((const floe_ice_bound *)a)->field_id, y = ((const floe_ice_bound *)b)->field_id;
    return (x > y) - (x < y);
}

int floe_ice_metrics_from_parquet(const floe_ice_schema *schema, const floe_pq_schema *pq,
                                  const floe_pq_writer *w, const floe_props *props, floe_ice_data_file *out,
                                  floe_err *err) {
    if (pq->nleaves > 0 && !floe_pq_writer_stats(w, 0))
        return floe_err_set(err, FLOE_EINVAL, "metrics: the Parquet writer is not closed yet");
    floe_ice_data_file_clear_metrics(out);
    out->record_count = floe_pq_writer_rows(w);
    out->file_size_in_bytes = floe_pq_writer_bytes(w);
    int nrg;
    const int64_t *offs = floe_pq_writer_row_group_offsets(w, &nrg);
    if (nrg > 0) {
        out->split_offsets = floe_xmalloc(sizeof(int64_t) * (size_t)nrg);
        memcpy(out->split_offsets, offs, sizeof(int64_t) * (size_t)nrg);
        out->nsplit_offsets = nrg;
    }
    size_t n = (size_t)pq->nleaves + 1;
    out->column_sizes = floe_xcalloc(n, sizeof(floe_ice_metric));
    out->value_counts = floe_xcalloc(n, sizeof(floe_ice_metric));
    out->null_value_counts = floe_xcalloc(n, sizeof(floe_ice_metric));
    out->nan_value_counts = floe_xcalloc(n, sizeof(floe_ice_metric));
    out->lower_bounds = floe_xcalloc(n, sizeof(floe_ice_bound));
    out->upper_bounds = floe_xcalloc(n, sizeof(floe_ice_bound));
    metrics_config cfg;
    config_init(&cfg, schema, props);
    for (int i = 0; i < pq->nleaves; i++) {
        const floe_pq_node *leaf = pq->leaves[i];
        const floe_pq_stats *st = floe_pq_writer_stats(w, i);
        if (!leaf->has_field_id) continue;
        int32_t id = leaf->field_id;
        const floe_ice_field *f = floe_ice_schema_field_by_id(schema, id);
        metrics_mode mode = column_mode(&cfg, f);
        if (mode.kind == MODE_NONE) continue;
        out->column_sizes[out->ncolumn_sizes++] = (floe_ice_metric){id, st->compressed_size};
        if (leaf->max_rep > 0 || !f) continue;
        out->value_counts[out->nvalue_counts++] = (floe_ice_metric){id, st->num_values};
        out->null_value_counts[out->nnull_value_counts++] = (floe_ice_metric){id, st->null_count};
        if (f->type->kind == FLOE_ICE_FLOAT || f->type->kind == FLOE_ICE_DOUBLE)
            out->nan_value_counts[out->nnan_value_counts++] = (floe_ice_metric){id, st->nan_count};
        if (mode.kind != MODE_COUNTS && st->has_min_max) leaf_bounds(f->type, leaf, st, mode, id, out);
    }
    free(cfg.inferred.ids);
    qsort(out->column_sizes, (size_t)out->ncolumn_sizes, sizeof(floe_ice_metric), cmp_metric);
    qsort(out->value_counts, (size_t)out->nvalue_counts, sizeof(floe_ice_metric), cmp_metric);
    qsort(out->null_value_counts, (size_t)out->nnull_value_counts, sizeof(floe_ice_metric), cmp_metric);
    qsort(out->nan_value_counts, (size_t)out->nnan_value_counts, sizeof(floe_ice_metric), cmp_metric);
    qsort(out->lower_bounds, (size_t)out->nlower_bounds, sizeof(floe_ice_bound), cmp_bound);
    qsort(out->upper_bounds, (size_t)out->nupper_bounds, sizeof(floe_ice_bound), cmp_bound);
    return 0;
}
