/*
 * meta.c — Parquet footer (FileMetaData) and PageHeader decoding and
 * encoding on top of the compact protocol (thrift.c).  See meta.h.
 *
 * Decoding: each thrift struct has a field handler (a switch on the field
 * id); read_struct walks the fields, hands each to the handler and skips the
 * ones the handler does not model.  The decoder keeps the path of fields it
 * is inside ("row_groups", 2, "columns", 0, "meta_data", "codec"); when
 * anything fails the path is put in front of the message once, at the top,
 * so every error names exactly where the bytes went wrong:
 *   "FileMetaData.row_groups[2].columns[0].meta_data.codec: byte 913: ..."
 * Arrays are allocated in the caller's arena only after the thrift reader
 * has checked the element count against the bytes left.
 *
 * Encoding writes every required field and every optional field whose has_*
 * flag (or element count) says it is present.  Encryption structures are
 * only detected on read (their content is not modelled), so they are never
 * written.
 */
#include "format/parquet/meta.h"

#include <stdio.h>

#include "format/parquet/thrift.h"

/* ---- Decoding context ---------------------------------------------------- */

#define PATH_MAX_DEPTH 16

typedef struct pctx {
    floe_thrift_reader r;
    floe_arena *arena;   /* NULL for page headers, which have no arrays */
    int npath;
    /* A field name, with idx >= 0 for a list element; name NULL for a
     * skipped field known only by its id (idx). */
    struct { const char *name; long idx; } path[PATH_MAX_DEPTH];
} pctx;

static void enter(pctx *c, const char *name) {
    if (c->npath < PATH_MAX_DEPTH) {
        c->path[c->npath].name = name;
        c->path[c->npath].idx = -1;
    }
    c->npath++;
}

static void set_index(pctx *c, long idx) {
    if (c->npath > 0 && c->npath <= PATH_MAX_DEPTH) c->path[c->npath - 1].idx = idx;
}

static void leave(pctx *c) { c->npath--; }

/* Puts the path of the failure in front of the message. */
static int fail_with_path(pctx *c) {
    char p[256];
    size_t n = 0;
    int depth = c->npath < PATH_MAX_DEPTH ? c->npath : PATH_MAX_DEPTH;
    p[0] = '\0';
    for (int i = 0; i < depth && n < sizeof p; i++) {
        const char *sep = i ? "." : "", *name = c->path[i].name;
        long idx = c->path[i].idx;
        int k = !name     ? snprintf(p + n, sizeof p - n, "%s(field %ld)", sep, idx)
                : idx >= 0 ? snprintf(p + n, sizeof p - n, "%s%s[%ld]", sep, name, idx)
                           : snprintf(p + n, sizeof p - n, "%s%s", sep, name);
        if (k < 0) break;
        n += (size_t)k;
    }
    return floe_err_prefix(c->r.err, "%s", p);
}

/* ---- Generic field readers ------------------------------------------------ */

/* Reads the value of a field whose wire type is t, expected to be `want`,
 * into *out (int for bool, int8_t, int16_t, int32_t, int64_t, floe_slice).
 * With `nonneg` (counts, sizes, offsets) a negative integer is corruption.
 *
 * Returns 1 without consuming anything when the wire type is not the one
 * parquet.thrift declares: like thrift's generated code, the struct reader
 * then skips the field (so a required field read this way is reported
 * missing).  Some writers put other types at ids parquet.thrift has since
 * assigned, e.g. a list at ColumnMetaData id 15. */
static int get_value(pctx *c, int t, int want, int nonneg, const char *name, void *out) {
    if (t != want) return 1;
    enter(c, name);
    int64_t v = 0;
    int rc;
    switch (want) {
    case FLOE_TT_BOOL: rc = floe_thrift_read_bool(&c->r, out); break;
    case FLOE_TT_I8: rc = floe_thrift_read_i8(&c->r, out); v = *(int8_t *)out; break;
    case FLOE_TT_I16: rc = floe_thrift_read_i16(&c->r, out); v = *(int16_t *)out; break;
    case FLOE_TT_I32: rc = floe_thrift_read_i32(&c->r, out); v = *(int32_t *)out; break;
    case FLOE_TT_I64: rc = floe_thrift_read_i64(&c->r, out); v = *(int64_t *)out; break;
    default: {
        floe_slice *sl = out;
        rc = floe_thrift_read_binary(&c->r, &sl->ptr, &sl->len);
        break;
    }
    }
    if (rc) return -1;
    if (nonneg && v < 0)
        return floe_err_set(c->r.err, FLOE_ECORRUPT, "byte %zu: negative value %lld", c->r.pos, (long long)v);
    leave(c);
    return 0;
}

static int get_bool(pctx *c, int t, const char *name, int *v) { return get_value(c, t, FLOE_TT_BOOL, 0, name, v); }
static int get_i8(pctx *c, int t, const char *name, int8_t *v) { return get_value(c, t, FLOE_TT_I8, 0, name, v); }
static int get_i16(pctx *c, int t, const char *name, int16_t *v) { return get_value(c, t, FLOE_TT_I16, 0, name, v); }
static int get_i32(pctx *c, int t, const char *name, int32_t *v) { return get_value(c, t, FLOE_TT_I32, 0, name, v); }
static int get_i64(pctx *c, int t, const char *name, int64_t *v) { return get_value(c, t, FLOE_TT_I64, 0, name, v); }
static int get_size32(pctx *c, int t, const char *name, int32_t *v) {
    return get_value(c, t, FLOE_TT_I32, 1, name, v);
}
static int get_size64(pctx *c, int t, const char *name, int64_t *v) {
    return get_value(c, t, FLOE_TT_I64, 1, name, v);
}
static int get_binary(pctx *c, int t, const char *name, floe_slice *s) {
    return get_value(c, t, FLOE_TT_BINARY, 0, name, s);
}

/* Sets *flag when a field reader consumed its value; passes rc on. */
static int present(int rc, int *flag) {
    if (rc == 0) *flag = 1;
    return rc;
}

/* A field handler returns 0 when it consumed the value, 1 when the field
 * is not modelled (read_struct skips it), -1 on error. */
typedef int (*field_fn)(pctx *c, void *obj, int type, int16_t id);

/* Reads one struct's fields; *seen gets bit `id` for every field id 0..31
 * that occurred, for the required-field checks. */
static int read_struct(pctx *c, void *obj, field_fn fn, uint32_t *seen) {
    *seen = 0;
    if (floe_thrift_struct_begin(&c->r)) return -1;
    for (;;) {
        int t;
        int16_t id;
        if (floe_thrift_field(&c->r, &t, &id)) return -1;
        if (t == FLOE_TT_STOP) break;
        int rc = fn(c, obj, t, id);
        if (rc < 0) return -1;
        if (rc == 0 && id >= 0 && id < 32) *seen |= 1u << id;
        if (rc > 0) {
            enter(c, NULL);
            set_index(c, id);
            if (floe_thrift_skip(&c->r, t)) return -1;
            leave(c);
        }
    }
    floe_thrift_struct_end(&c->r);
    return 0;
}

static int require(pctx *c, uint32_t seen, int id, const char *name) {
    if (seen & (1u << id)) return 0;
    return floe_err_set(c->r.err, FLOE_ECORRUPT, "required field %s (id %d) is missing (struct ends at byte %zu)",
                        name, id, c->r.pos);
}

/* Reads a whole value (a struct, or one list element) into obj. */
typedef int (*parse_fn)(pctx *c, void *obj);

static int get_struct(pctx *c, int t, const char *name, parse_fn parse, void *obj) {
    if (t != FLOE_TT_STRUCT) return 1;
    enter(c, name);
    if (parse(c, obj)) return -1;
    leave(c);
    return 0;
}

/* Reads a list field whose elements have wire type elem_type into a new
 * arena array of elsize-byte elements; arrp is the address of the T* that
 * receives it (set through memcpy, as its type differs per caller). */
static int get_list(pctx *c, int t, const char *name, int elem_type, size_t elsize, parse_fn parse, void *arrp,
                    int *n) {
    int et;
    uint32_t count;
    size_t start = c->r.pos;
    if (t != FLOE_TT_LIST) return 1;
    enter(c, name);
    if (floe_thrift_list_begin(&c->r, &et, &count)) return -1;
    if (count > 0 && et != elem_type) {
        /* Not the declared element type: skip it like any mistyped field. */
        c->r.pos = start;
        leave(c);
        return 1;
    }
    /* count <= bytes left (thrift.c), so this is bounded by the input size. */
    uint8_t *a = count ? floe_arena_alloc(c->arena, (size_t)count * elsize) : NULL;
    for (uint32_t i = 0; i < count; i++) {
        set_index(c, (long)i);
        if (parse(c, a + (size_t)i * elsize)) return -1;
    }
    memcpy(arrp, &a, sizeof a);
    *n = (int)count;
    leave(c);
    return 0;
}

static int parse_i32_elem(pctx *c, void *obj) { return floe_thrift_read_i32(&c->r, obj); }

static int parse_binary_elem(pctx *c, void *obj) {
    floe_slice *s = obj;
    return floe_thrift_read_binary(&c->r, &s->ptr, &s->len);
}

/* ---- Statistics, KeyValue, PageEncodingStats, SortingColumn -------------- */

static int statistics_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_statistics *s = obj;
    switch (id) {
    case 1: return present(get_binary(c, t, "max", &s->max), &s->has_max);
    case 2: return present(get_binary(c, t, "min", &s->min), &s->has_min);
    case 3: return present(get_size64(c, t, "null_count", &s->null_count), &s->has_null_count);
    case 4: return present(get_size64(c, t, "distinct_count", &s->distinct_count), &s->has_distinct_count);
    case 5: return present(get_binary(c, t, "max_value", &s->max_value), &s->has_max_value);
    case 6: return present(get_binary(c, t, "min_value", &s->min_value), &s->has_min_value);
    case 7:
        return present(get_bool(c, t, "is_max_value_exact", &s->is_max_value_exact),
                       &s->has_is_max_value_exact);
    case 8:
        return present(get_bool(c, t, "is_min_value_exact", &s->is_min_value_exact),
                       &s->has_is_min_value_exact);
    default: return 1;
    }
}

static int parse_statistics(pctx *c, void *obj) {
    uint32_t seen;
    return read_struct(c, obj, statistics_field, &seen);
}

static int kv_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_kv *kv = obj;
    switch (id) {
    case 1: return get_binary(c, t, "key", &kv->key);
    case 2: return present(get_binary(c, t, "value", &kv->value), &kv->has_value);
    default: return 1;
    }
}

static int parse_kv(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, kv_field, &seen)) return -1;
    return require(c, seen, 1, "key");
}

static int page_encoding_stats_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_page_encoding_stats *s = obj;
    switch (id) {
    case 1: return get_i32(c, t, "page_type", &s->page_type);
    case 2: return get_i32(c, t, "encoding", &s->encoding);
    case 3: return get_size32(c, t, "count", &s->count);
    default: return 1;
    }
}

static int parse_page_encoding_stats(pctx *c, void *obj) {
    uint32_t seen;
    return read_struct(c, obj, page_encoding_stats_field, &seen);
}

static int sorting_column_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_sorting_column *s = obj;
    switch (id) {
    case 1: return get_size32(c, t, "column_idx", &s->column_idx);
    case 2: return get_bool(c, t, "descending", &s->descending);
    case 3: return get_bool(c, t, "nulls_first", &s->nulls_first);
    default: return 1;
    }
}

static int parse_sorting_column(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, sorting_column_field, &seen)) return -1;
    return require(c, seen, 1, "column_idx");
}

/* ---- LogicalType ---------------------------------------------------------- */

static int time_unit_field(pctx *c, void *obj, int t, int16_t id) {
    /* Members are empty structs; the member id is the unit.  An unknown
     * member leaves the unit 0 and is reported by the caller. */
    if (id >= FLOE_PQ_UNIT_MILLIS && id <= FLOE_PQ_UNIT_NANOS) *(int *)obj = id;
    return 1;
}

static int parse_time_unit(pctx *c, void *obj) {
    uint32_t seen;
    *(int *)obj = 0;
    if (read_struct(c, obj, time_unit_field, &seen)) return -1;
    if (*(int *)obj == 0)
        return floe_err_set(c->r.err, FLOE_EUNSUPPORTED, "byte %zu: TimeUnit has no known member", c->r.pos);
    return 0;
}

/* TimeType and TimestampType share their fields. */
static int time_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_logical *l = obj;
    switch (id) {
    case 1: return get_bool(c, t, "isAdjustedToUTC", &l->utc);
    case 2: return get_struct(c, t, "unit", parse_time_unit, &l->unit);
    default: return 1;
    }
}

static int decimal_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_logical *l = obj;
    switch (id) {
    case 1: return get_i32(c, t, "scale", &l->scale);
    case 2: return get_i32(c, t, "precision", &l->precision);
    default: return 1;
    }
}

static int integer_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_logical *l = obj;
    switch (id) {
    case 1: {
        int8_t v;
        int rc = get_i8(c, t, "bitWidth", &v);
        if (rc == 0) l->bit_width = v;
        return rc;
    }
    case 2: return get_bool(c, t, "isSigned", &l->is_signed);
    default: return 1;
    }
}

static int parse_member(pctx *c, floe_pq_logical *l, field_fn fn, const char *name1, const char *name2) {
    uint32_t seen;
    if (read_struct(c, l, fn, &seen)) return -1;
    return require(c, seen, 1, name1) || require(c, seen, 2, name2) ? -1 : 0;
}

static int parse_decimal(pctx *c, void *obj) { return parse_member(c, obj, decimal_field, "scale", "precision"); }
static int parse_time(pctx *c, void *obj) { return parse_member(c, obj, time_field, "isAdjustedToUTC", "unit"); }
static int parse_integer(pctx *c, void *obj) { return parse_member(c, obj, integer_field, "bitWidth", "isSigned"); }

/* One member of the LogicalType union; its kind is set only when the
 * member is a struct, as declared, and parsed. */
static int logical_member(pctx *c, floe_pq_logical *l, int t, int16_t id, const char *name, parse_fn parse) {
    int rc = get_struct(c, t, name, parse, l);
    if (rc == 0) l->kind = id;
    return rc;
}

static int logical_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_logical *l = obj;
    switch (id) {
    case FLOE_PQ_LT_DECIMAL: return logical_member(c, l, t, id, "DECIMAL", parse_decimal);
    case FLOE_PQ_LT_TIME: return logical_member(c, l, t, id, "TIME", parse_time);
    case FLOE_PQ_LT_TIMESTAMP: return logical_member(c, l, t, id, "TIMESTAMP", parse_time);
    case FLOE_PQ_LT_INTEGER: return logical_member(c, l, t, id, "INTEGER", parse_integer);
    case FLOE_PQ_LT_STRING: case FLOE_PQ_LT_MAP: case FLOE_PQ_LT_LIST: case FLOE_PQ_LT_ENUM:
    case FLOE_PQ_LT_DATE: case FLOE_PQ_LT_UNKNOWN: case FLOE_PQ_LT_JSON: case FLOE_PQ_LT_BSON:
    case FLOE_PQ_LT_UUID: case FLOE_PQ_LT_FLOAT16: case FLOE_PQ_LT_VARIANT: case FLOE_PQ_LT_GEOMETRY:
    case FLOE_PQ_LT_GEOGRAPHY:
        /* Modelled by kind only; their parameters (if any) are skipped. */
        if (t == FLOE_TT_STRUCT) l->kind = id;
        return 1;
    default:
        /* A member this code does not know: as if no logical type were given,
         * so the converted type (if any) still describes the column. */
        return 1;
    }
}

static int parse_logical(pctx *c, void *obj) {
    uint32_t seen;
    return read_struct(c, obj, logical_field, &seen);
}

/* ---- SchemaElement -------------------------------------------------------- */

static int schema_element_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_schema_element *e = obj;
    switch (id) {
    case 1: return present(get_i32(c, t, "type", &e->type), &e->has_type);
    case 2: return present(get_size32(c, t, "type_length", &e->type_length), &e->has_type_length);
    case 3: return present(get_i32(c, t, "repetition_type", &e->repetition), &e->has_repetition);
    case 4: return get_binary(c, t, "name", &e->name);
    case 5: return present(get_size32(c, t, "num_children", &e->num_children), &e->has_num_children);
    case 6: return present(get_i32(c, t, "converted_type", &e->converted), &e->has_converted);
    case 7: return present(get_i32(c, t, "scale", &e->scale), &e->has_scale);
    case 8: return present(get_i32(c, t, "precision", &e->precision), &e->has_precision);
    case 9: return present(get_i32(c, t, "field_id", &e->field_id), &e->has_field_id);
    case 10: return get_struct(c, t, "logicalType", parse_logical, &e->logical);
    default: return 1;
    }
}

static int parse_schema_element(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, schema_element_field, &seen)) return -1;
    return require(c, seen, 4, "name");
}

/* ---- ColumnMetaData, ColumnChunk, RowGroup -------------------------------- */

static int column_meta_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_column_meta *m = obj;
    switch (id) {
    case 1: return get_i32(c, t, "type", &m->type);
    case 2:
        return get_list(c, t, "encodings", FLOE_TT_I32, sizeof(int32_t), parse_i32_elem, &m->encodings,
                        &m->nencodings);
    case 3:
        return get_list(c, t, "path_in_schema", FLOE_TT_BINARY, sizeof(floe_slice), parse_binary_elem,
                        &m->path, &m->npath);
    case 4: return get_i32(c, t, "codec", &m->codec);
    case 5: return get_size64(c, t, "num_values", &m->num_values);
    case 6: return get_size64(c, t, "total_uncompressed_size", &m->total_uncompressed_size);
    case 7: return get_size64(c, t, "total_compressed_size", &m->total_compressed_size);
    case 8: return get_list(c, t, "key_value_metadata", FLOE_TT_STRUCT, sizeof(floe_pq_kv), parse_kv,
                            &m->kv, &m->nkv);
    case 9: return get_size64(c, t, "data_page_offset", &m->data_page_offset);
    case 10:
        return present(get_size64(c, t, "index_page_offset", &m->index_page_offset),
                       &m->has_index_page_offset);
    case 11:
        return present(get_size64(c, t, "dictionary_page_offset", &m->dictionary_page_offset),
                       &m->has_dictionary_page_offset);
    case 12:
        return present(get_struct(c, t, "statistics", parse_statistics, &m->statistics),
                       &m->has_statistics);
    case 13:
        return get_list(c, t, "encoding_stats", FLOE_TT_STRUCT, sizeof(floe_pq_page_encoding_stats),
                        parse_page_encoding_stats, &m->encoding_stats, &m->nencoding_stats);
    case 14:
        return present(get_size64(c, t, "bloom_filter_offset", &m->bloom_filter_offset),
                       &m->has_bloom_filter_offset);
    case 15:
        return present(get_size32(c, t, "bloom_filter_length", &m->bloom_filter_length),
                       &m->has_bloom_filter_length);
    default: return 1;
    }
}

static int parse_column_meta(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, column_meta_field, &seen)) return -1;
    if (require(c, seen, 1, "type") || require(c, seen, 4, "codec") || require(c, seen, 5, "num_values") ||
        require(c, seen, 9, "data_page_offset"))
        return -1;
    return 0;
}

static int column_chunk_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_column_chunk *k = obj;
    switch (id) {
    case 1: return present(get_binary(c, t, "file_path", &k->file_path), &k->has_file_path);
    case 2: return get_i64(c, t, "file_offset", &k->file_offset);
    case 3: return present(get_struct(c, t, "meta_data", parse_column_meta, &k->meta_data), &k->has_meta_data);
    case 4:
        return present(get_size64(c, t, "offset_index_offset", &k->offset_index_offset),
                       &k->has_offset_index);
    case 5: return get_size32(c, t, "offset_index_length", &k->offset_index_length);
    case 6:
        return present(get_size64(c, t, "column_index_offset", &k->column_index_offset),
                       &k->has_column_index);
    case 7: return get_size32(c, t, "column_index_length", &k->column_index_length);
    case 8: k->has_crypto_metadata = 1; return 1;
    case 9: k->has_encrypted_column_metadata = 1; return 1;
    default: return 1;
    }
}

static int parse_column_chunk(pctx *c, void *obj) {
    uint32_t seen;
    return read_struct(c, obj, column_chunk_field, &seen);
}

static int row_group_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_row_group *g = obj;
    switch (id) {
    case 1:
        return get_list(c, t, "columns", FLOE_TT_STRUCT, sizeof(floe_pq_column_chunk), parse_column_chunk,
                        &g->columns, &g->ncolumns);
    case 2: return get_size64(c, t, "total_byte_size", &g->total_byte_size);
    case 3: return get_size64(c, t, "num_rows", &g->num_rows);
    case 4:
        return get_list(c, t, "sorting_columns", FLOE_TT_STRUCT, sizeof(floe_pq_sorting_column),
                        parse_sorting_column, &g->sorting, &g->nsorting);
    case 5: return present(get_size64(c, t, "file_offset", &g->file_offset), &g->has_file_offset);
    case 6:
        return present(get_size64(c, t, "total_compressed_size", &g->total_compressed_size),
                       &g->has_total_compressed_size);
    case 7: return present(get_i16(c, t, "ordinal", &g->ordinal), &g->has_ordinal);
    default: return 1;
    }
}

static int parse_row_group(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, row_group_field, &seen)) return -1;
    return require(c, seen, 1, "columns") || require(c, seen, 3, "num_rows") ? -1 : 0;
}

/* ---- FileMetaData ----------------------------------------------------------- */

static int column_order_field(pctx *c, void *obj, int t, int16_t id) {
    /* TYPE_ORDER (an empty struct) is the only member defined so far. */
    if (id == 1) *(int32_t *)obj = 1;
    return 1;
}

static int parse_column_order(pctx *c, void *obj) {
    uint32_t seen;
    *(int32_t *)obj = 0;
    return read_struct(c, obj, column_order_field, &seen);
}

static int file_meta_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_file_meta *m = obj;
    switch (id) {
    case 1: return get_i32(c, t, "version", &m->version);
    case 2:
        return get_list(c, t, "schema", FLOE_TT_STRUCT, sizeof(floe_pq_schema_element), parse_schema_element,
                        &m->schema, &m->nschema);
    case 3: return get_size64(c, t, "num_rows", &m->num_rows);
    case 4:
        return get_list(c, t, "row_groups", FLOE_TT_STRUCT, sizeof(floe_pq_row_group), parse_row_group,
                        &m->row_groups, &m->nrow_groups);
    case 5: return get_list(c, t, "key_value_metadata", FLOE_TT_STRUCT, sizeof(floe_pq_kv), parse_kv,
                            &m->kv, &m->nkv);
    case 6: return present(get_binary(c, t, "created_by", &m->created_by), &m->has_created_by);
    case 7:
        return get_list(c, t, "column_orders", FLOE_TT_STRUCT, sizeof(int32_t), parse_column_order,
                        &m->column_orders, &m->ncolumn_orders);
    case 8: m->has_encryption_algorithm = 1; return 1;
    case 9: m->has_footer_signing_key_metadata = 1; return 1;
    default: return 1;
    }
}

static int parse_file_meta(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, file_meta_field, &seen)) return -1;
    if (require(c, seen, 2, "schema") || require(c, seen, 3, "num_rows") || require(c, seen, 4, "row_groups"))
        return -1;
    return 0;
}

int floe_pq_meta_parse(const uint8_t *buf, size_t len, floe_arena *arena, floe_pq_file_meta *out,
                       floe_err *err) {
    pctx c;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    floe_thrift_reader_init(&c.r, buf, len, err);
    c.arena = arena;
    enter(&c, "FileMetaData");
    if (parse_file_meta(&c, out)) return fail_with_path(&c);
    return 0;
}

/* ---- PageHeader ------------------------------------------------------------- */

static int data_page_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_page_header *h = obj;
    switch (id) {
    case 1: return get_size32(c, t, "num_values", &h->data.num_values);
    case 2: return get_i32(c, t, "encoding", &h->data.encoding);
    case 3: return get_i32(c, t, "definition_level_encoding", &h->data.definition_level_encoding);
    case 4: return get_i32(c, t, "repetition_level_encoding", &h->data.repetition_level_encoding);
    case 5:
        return present(get_struct(c, t, "statistics", parse_statistics, &h->data.statistics),
                       &h->data.has_statistics);
    default: return 1;
    }
}

static int parse_data_page(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, data_page_field, &seen)) return -1;
    return require(c, seen, 1, "num_values") || require(c, seen, 2, "encoding") ? -1 : 0;
}

static int dict_page_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_page_header *h = obj;
    switch (id) {
    case 1: return get_size32(c, t, "num_values", &h->dict.num_values);
    case 2: return get_i32(c, t, "encoding", &h->dict.encoding);
    case 3: return present(get_bool(c, t, "is_sorted", &h->dict.is_sorted), &h->dict.has_is_sorted);
    default: return 1;
    }
}

static int parse_dict_page(pctx *c, void *obj) {
    uint32_t seen;
    if (read_struct(c, obj, dict_page_field, &seen)) return -1;
    return require(c, seen, 1, "num_values") || require(c, seen, 2, "encoding") ? -1 : 0;
}

static int data_page_v2_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_page_header *h = obj;
    switch (id) {
    case 1: return get_size32(c, t, "num_values", &h->data_v2.num_values);
    case 2: return get_size32(c, t, "num_nulls", &h->data_v2.num_nulls);
    case 3: return get_size32(c, t, "num_rows", &h->data_v2.num_rows);
    case 4: return get_i32(c, t, "encoding", &h->data_v2.encoding);
    case 5:
        return get_size32(c, t, "definition_levels_byte_length", &h->data_v2.definition_levels_byte_length);
    case 6:
        return get_size32(c, t, "repetition_levels_byte_length", &h->data_v2.repetition_levels_byte_length);
    case 7: return get_bool(c, t, "is_compressed", &h->data_v2.is_compressed);
    case 8:
        return present(get_struct(c, t, "statistics", parse_statistics, &h->data_v2.statistics),
                       &h->data_v2.has_statistics);
    default: return 1;
    }
}

static int parse_data_page_v2(pctx *c, void *obj) {
    floe_pq_page_header *h = obj;
    uint32_t seen;
    h->data_v2.is_compressed = 1; /* the thrift default */
    if (read_struct(c, obj, data_page_v2_field, &seen)) return -1;
    static const char *const names[] = {"", "num_values", "num_nulls", "num_rows", "encoding",
                                        "definition_levels_byte_length", "repetition_levels_byte_length"};
    for (int id = 1; id <= 6; id++)
        if (require(c, seen, id, names[id])) return -1;
    return 0;
}

static int page_header_field(pctx *c, void *obj, int t, int16_t id) {
    floe_pq_page_header *h = obj;
    switch (id) {
    case 1: return get_i32(c, t, "type", &h->type);
    case 2: return get_size32(c, t, "uncompressed_page_size", &h->uncompressed_page_size);
    case 3: return get_size32(c, t, "compressed_page_size", &h->compressed_page_size);
    case 4: return present(get_i32(c, t, "crc", &h->crc), &h->has_crc);
    case 5: return present(get_struct(c, t, "data_page_header", parse_data_page, h), &h->has_data);
    case 7: return present(get_struct(c, t, "dictionary_page_header", parse_dict_page, h), &h->has_dict);
    case 8: return present(get_struct(c, t, "data_page_header_v2", parse_data_page_v2, h), &h->has_data_v2);
    default: return 1; /* 6: IndexPageHeader has no content yet */
    }
}

int floe_pq_page_header_parse(const uint8_t *buf, size_t len, floe_pq_page_header *out, size_t *consumed,
                              floe_err *err) {
    pctx c;
    uint32_t seen;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    floe_thrift_reader_init(&c.r, buf, len, err);
    enter(&c, "PageHeader");
    if (read_struct(&c, out, page_header_field, &seen) || require(&c, seen, 1, "type") ||
        require(&c, seen, 2, "uncompressed_page_size") || require(&c, seen, 3, "compressed_page_size"))
        return fail_with_path(&c);
    *consumed = c.r.pos;
    return 0;
}

/* ---- Encoding ---------------------------------------------------------------- */

static void write_slice(floe_thrift_writer *w, int16_t id, floe_slice s) {
    floe_thrift_write_field_binary(w, id, s.ptr, s.len);
}

static void write_statistics(floe_thrift_writer *w, int16_t id, const floe_pq_statistics *s) {
    floe_thrift_write_field_struct(w, id);
    if (s->has_max) write_slice(w, 1, s->max);
    if (s->has_min) write_slice(w, 2, s->min);
    if (s->has_null_count) floe_thrift_write_field_i64(w, 3, s->null_count);
    if (s->has_distinct_count) floe_thrift_write_field_i64(w, 4, s->distinct_count);
    if (s->has_max_value) write_slice(w, 5, s->max_value);
    if (s->has_min_value) write_slice(w, 6, s->min_value);
    if (s->has_is_max_value_exact) floe_thrift_write_field_bool(w, 7, s->is_max_value_exact);
    if (s->has_is_min_value_exact) floe_thrift_write_field_bool(w, 8, s->is_min_value_exact);
    floe_thrift_write_struct_end(w);
}

static void write_kvs(floe_thrift_writer *w, int16_t id, const floe_pq_kv *kv, int n) {
    floe_thrift_write_field_list(w, id, FLOE_TT_STRUCT, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        floe_thrift_write_struct_begin(w);
        write_slice(w, 1, kv[i].key);
        if (kv[i].has_value) write_slice(w, 2, kv[i].value);
        floe_thrift_write_struct_end(w);
    }
}

static void write_logical(floe_thrift_writer *w, int16_t id, const floe_pq_logical *l) {
    floe_thrift_write_field_struct(w, id);                /* LogicalType union */
    floe_thrift_write_field_struct(w, (int16_t)l->kind);  /* its one member */
    switch (l->kind) {
    case FLOE_PQ_LT_DECIMAL:
        floe_thrift_write_field_i32(w, 1, l->scale);
        floe_thrift_write_field_i32(w, 2, l->precision);
        break;
    case FLOE_PQ_LT_TIME:
    case FLOE_PQ_LT_TIMESTAMP:
        floe_thrift_write_field_bool(w, 1, l->utc);
        floe_thrift_write_field_struct(w, 2);             /* TimeUnit union */
        floe_thrift_write_field_struct(w, (int16_t)l->unit);
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        break;
    case FLOE_PQ_LT_INTEGER:
        floe_thrift_write_field_i8(w, 1, (int8_t)l->bit_width);
        floe_thrift_write_field_bool(w, 2, l->is_signed);
        break;
    default: break; /* the other members are empty structs */
    }
    floe_thrift_write_struct_end(w);
    floe_thrift_write_struct_end(w);
}

static void write_schema_element(floe_thrift_writer *w, const floe_pq_schema_element *e) {
    floe_thrift_write_struct_begin(w);
    if (e->has_type) floe_thrift_write_field_i32(w, 1, e->type);
    if (e->has_type_length) floe_thrift_write_field_i32(w, 2, e->type_length);
    if (e->has_repetition) floe_thrift_write_field_i32(w, 3, e->repetition);
    write_slice(w, 4, e->name);
    if (e->has_num_children) floe_thrift_write_field_i32(w, 5, e->num_children);
    if (e->has_converted) floe_thrift_write_field_i32(w, 6, e->converted);
    if (e->has_scale) floe_thrift_write_field_i32(w, 7, e->scale);
    if (e->has_precision) floe_thrift_write_field_i32(w, 8, e->precision);
    if (e->has_field_id) floe_thrift_write_field_i32(w, 9, e->field_id);
    if (e->logical.kind != FLOE_PQ_LT_NONE) write_logical(w, 10, &e->logical);
    floe_thrift_write_struct_end(w);
}

static void write_column_meta(floe_thrift_writer *w, int16_t id, const floe_pq_column_meta *m) {
    floe_thrift_write_field_struct(w, id);
    floe_thrift_write_field_i32(w, 1, m->type);
    floe_thrift_write_field_list(w, 2, FLOE_TT_I32, (uint32_t)m->nencodings);
    for (int i = 0; i < m->nencodings; i++) floe_thrift_write_i32(w, m->encodings[i]);
    floe_thrift_write_field_list(w, 3, FLOE_TT_BINARY, (uint32_t)m->npath);
    for (int i = 0; i < m->npath; i++) floe_thrift_write_binary(w, m->path[i].ptr, m->path[i].len);
    floe_thrift_write_field_i32(w, 4, m->codec);
    floe_thrift_write_field_i64(w, 5, m->num_values);
    floe_thrift_write_field_i64(w, 6, m->total_uncompressed_size);
    floe_thrift_write_field_i64(w, 7, m->total_compressed_size);
    if (m->nkv > 0) write_kvs(w, 8, m->kv, m->nkv);
    floe_thrift_write_field_i64(w, 9, m->data_page_offset);
    if (m->has_index_page_offset) floe_thrift_write_field_i64(w, 10, m->index_page_offset);
    if (m->has_dictionary_page_offset) floe_thrift_write_field_i64(w, 11, m->dictionary_page_offset);
    if (m->has_statistics) write_statistics(w, 12, &m->statistics);
    if (m->nencoding_stats > 0) {
        floe_thrift_write_field_list(w, 13, FLOE_TT_STRUCT, (uint32_t)m->nencoding_stats);
        for (int i = 0; i < m->nencoding_stats; i++) {
            floe_thrift_write_struct_begin(w);
            floe_thrift_write_field_i32(w, 1, m->encoding_stats[i].page_type);
            floe_thrift_write_field_i32(w, 2, m->encoding_stats[i].encoding);
            floe_thrift_write_field_i32(w, 3, m->encoding_stats[i].count);
            floe_thrift_write_struct_end(w);
        }
    }
    if (m->has_bloom_filter_offset) floe_thrift_write_field_i64(w, 14, m->bloom_filter_offset);
    if (m->has_bloom_filter_length) floe_thrift_write_field_i32(w, 15, m->bloom_filter_length);
    floe_thrift_write_struct_end(w);
}

static void write_column_chunk(floe_thrift_writer *w, const floe_pq_column_chunk *k) {
    floe_thrift_write_struct_begin(w);
    if (k->has_file_path) write_slice(w, 1, k->file_path);
    floe_thrift_write_field_i64(w, 2, k->file_offset);
    if (k->has_meta_data) write_column_meta(w, 3, &k->meta_data);
    if (k->has_offset_index) {
        floe_thrift_write_field_i64(w, 4, k->offset_index_offset);
        floe_thrift_write_field_i32(w, 5, k->offset_index_length);
    }
    if (k->has_column_index) {
        floe_thrift_write_field_i64(w, 6, k->column_index_offset);
        floe_thrift_write_field_i32(w, 7, k->column_index_length);
    }
    floe_thrift_write_struct_end(w);
}

static void write_row_group(floe_thrift_writer *w, const floe_pq_row_group *g) {
    floe_thrift_write_struct_begin(w);
    floe_thrift_write_field_list(w, 1, FLOE_TT_STRUCT, (uint32_t)g->ncolumns);
    for (int i = 0; i < g->ncolumns; i++) write_column_chunk(w, &g->columns[i]);
    floe_thrift_write_field_i64(w, 2, g->total_byte_size);
    floe_thrift_write_field_i64(w, 3, g->num_rows);
    if (g->nsorting > 0) {
        floe_thrift_write_field_list(w, 4, FLOE_TT_STRUCT, (uint32_t)g->nsorting);
        for (int i = 0; i < g->nsorting; i++) {
            floe_thrift_write_struct_begin(w);
            floe_thrift_write_field_i32(w, 1, g->sorting[i].column_idx);
            floe_thrift_write_field_bool(w, 2, g->sorting[i].descending);
            floe_thrift_write_field_bool(w, 3, g->sorting[i].nulls_first);
            floe_thrift_write_struct_end(w);
        }
    }
    if (g->has_file_offset) floe_thrift_write_field_i64(w, 5, g->file_offset);
    if (g->has_total_compressed_size) floe_thrift_write_field_i64(w, 6, g->total_compressed_size);
    if (g->has_ordinal) floe_thrift_write_field_i16(w, 7, g->ordinal);
    floe_thrift_write_struct_end(w);
}

void floe_pq_meta_write(const floe_pq_file_meta *m, floe_buf *out) {
    floe_thrift_writer w;
    floe_thrift_writer_init(&w, out);
    floe_thrift_write_struct_begin(&w);
    floe_thrift_write_field_i32(&w, 1, m->version);
    floe_thrift_write_field_list(&w, 2, FLOE_TT_STRUCT, (uint32_t)m->nschema);
    for (int i = 0; i < m->nschema; i++) write_schema_element(&w, &m->schema[i]);
    floe_thrift_write_field_i64(&w, 3, m->num_rows);
    floe_thrift_write_field_list(&w, 4, FLOE_TT_STRUCT, (uint32_t)m->nrow_groups);
    for (int i = 0; i < m->nrow_groups; i++) write_row_group(&w, &m->row_groups[i]);
    if (m->nkv > 0) write_kvs(&w, 5, m->kv, m->nkv);
    if (m->has_created_by) write_slice(&w, 6, m->created_by);
    if (m->ncolumn_orders > 0) {
        floe_thrift_write_field_list(&w, 7, FLOE_TT_STRUCT, (uint32_t)m->ncolumn_orders);
        for (int i = 0; i < m->ncolumn_orders; i++) {
            /* TYPE_ORDER is an empty struct in member 1; an entry whose member
             * was unknown on read is written as an empty union. */
            floe_thrift_write_struct_begin(&w);
            if (m->column_orders[i] == 1) {
                floe_thrift_write_field_struct(&w, 1);
                floe_thrift_write_struct_end(&w);
            }
            floe_thrift_write_struct_end(&w);
        }
    }
    floe_thrift_write_struct_end(&w);
}

void floe_pq_page_header_write(const floe_pq_page_header *h, floe_buf *out) {
    floe_thrift_writer w;
    floe_thrift_writer_init(&w, out);
    floe_thrift_write_struct_begin(&w);
    floe_thrift_write_field_i32(&w, 1, h->type);
    floe_thrift_write_field_i32(&w, 2, h->uncompressed_page_size);
    floe_thrift_write_field_i32(&w, 3, h->compressed_page_size);
    if (h->has_crc) floe_thrift_write_field_i32(&w, 4, h->crc);
    if (h->has_data) {
        floe_thrift_write_field_struct(&w, 5);
        floe_thrift_write_field_i32(&w, 1, h->data.num_values);
        floe_thrift_write_field_i32(&w, 2, h->data.encoding);
        floe_thrift_write_field_i32(&w, 3, h->data.definition_level_encoding);
        floe_thrift_write_field_i32(&w, 4, h->data.repetition_level_encoding);
        if (h->data.has_statistics) write_statistics(&w, 5, &h->data.statistics);
        floe_thrift_write_struct_end(&w);
    }
    if (h->has_dict) {
        floe_thrift_write_field_struct(&w, 7);
        floe_thrift_write_field_i32(&w, 1, h->dict.num_values);
        floe_thrift_write_field_i32(&w, 2, h->dict.encoding);
        if (h->dict.has_is_sorted) floe_thrift_write_field_bool(&w, 3, h->dict.is_sorted);
        floe_thrift_write_struct_end(&w);
    }
    if (h->has_data_v2) {
        floe_thrift_write_field_struct(&w, 8);
        floe_thrift_write_field_i32(&w, 1, h->data_v2.num_values);
        floe_thrift_write_field_i32(&w, 2, h->data_v2.num_nulls);
        floe_thrift_write_field_i32(&w, 3, h->data_v2.num_rows);
        floe_thrift_write_field_i32(&w, 4, h->data_v2.encoding);
        floe_thrift_write_field_i32(&w, 5, h->data_v2.definition_levels_byte_length);
        floe_thrift_write_field_i32(&w, 6, h->data_v2.repetition_levels_byte_length);
        floe_thrift_write_field_bool(&w, 7, h->data_v2.is_compressed);
        if (h->data_v2.has_statistics) write_statistics(&w, 8, &h->data_v2.statistics);
        floe_thrift_write_struct_end(&w);
    }
    floe_thrift_write_struct_end(&w);
}
