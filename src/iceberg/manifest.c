/*
 * manifest.c — manifests and manifest lists as Avro container files (see
 * manifest.h).
 *
 * Writing: the Avro schema JSON is spelled as Java Iceberg's
 * AvroSchemaUtil.convert spells it (V1Metadata/V2Metadata schemas, record
 * names "manifest_entry", "r2", "r102", "k117_v118", "manifest_file",
 * "r508"; field keys in the order name, type, doc, default, props; optional
 * fields as ["null", T] with "default": null; partition field names
 * sanitized as AvroSchemaUtil.sanitize does with the original kept in
 * "iceberg-field-name"; named fixed types "decimal_P_S", "fixed_L",
 * "uuid_fixed" defined once and referenced by name after), so that every
 * reader resolving by field id or by name finds what Java would have
 * written.  Files are deflate-compressed, as Java's default codec.
 * Metric maps, split offsets and equality ids that are empty are written as
 * null.
 *
 * Reading is generic (floe_avro_reader) and by field name, so manifests of
 * other engines and both format versions read; the partition tuple is taken
 * in the record's field order.  Inheritance follows the spec and Java's
 * InheritableMetadataFactory: a null snapshot id takes the manifest's
 * added snapshot id; a null data or file sequence number takes the
 * manifest's sequence number when the entry is ADDED or the manifest's
 * sequence number is 0; a manifest without sequence number fields (v1)
 * gives 0.  An EXISTING or DELETED entry without a data sequence number in
 * a manifest of a later sequence number is an error.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/avro/avro.h"
#include "iceberg/manifest.h"
#include "iceberg/metadata_internal.h"

/* ---- ownership ------------------------------------------------------------ */

void floe_ice_data_file_clear_metrics(floe_ice_data_file *f) {
    free(f->column_sizes);
    free(f->value_counts);
    free(f->null_value_counts);
    free(f->nan_value_counts);
    for (int i = 0; i < f->nlower_bounds; i++) free(f->lower_bounds[i].p);
    for (int i = 0; i < f->nupper_bounds; i++) free(f->upper_bounds[i].p);
    free(f->lower_bounds);
    free(f->upper_bounds);
    free(f->split_offsets);
    f->column_sizes = f->value_counts = f->null_value_counts = f->nan_value_counts = NULL;
    f->lower_bounds = f->upper_bounds = NULL;
    f->split_offsets = NULL;
    f->ncolumn_sizes = f->nvalue_counts = f->nnull_value_counts = f->nnan_value_counts = 0;
    f->nlower_bounds = f->nupper_bounds = f->nsplit_offsets = 0;
}

void floe_ice_data_file_free(floe_ice_data_file *f) {
    floe_ice_data_file_clear_metrics(f);
    free(f->file_path);
    free(f->file_format);
    for (int i = 0; i < f->npartition; i++) free((void *)f->partition[i].p);
    free(f->partition);
    free(f->equality_ids);
    memset(f, 0, sizeof *f);
}

static void *dup_mem(const void *p, size_t n) {
    if (!p || n == 0) return NULL;
    void *d = floe_xmalloc(n);
    memcpy(d, p, n);
    return d;
}

static floe_ice_bound *dup_bounds(const floe_ice_bound *b, int n) {
    floe_ice_bound *d = dup_mem(b, sizeof *b * (size_t)n);
    for (int i = 0; i < n; i++) d[i].p = dup_mem(b[i].p, b[i].n);
    return d;
}

void floe_ice_data_file_copy(floe_ice_data_file *dst, const floe_ice_data_file *src) {
    *dst = *src;
    dst->file_path = src->file_path ? floe_xstrdup(src->file_path) : NULL;
    dst->file_format = src->file_format ? floe_xstrdup(src->file_format) : NULL;
    dst->partition = dup_mem(src->partition, sizeof *src->partition * (size_t)src->npartition);
    for (int i = 0; i < src->npartition; i++) dst->partition[i].p = dup_mem(src->partition[i].p, src->partition[i].n);
    dst->column_sizes = dup_mem(src->column_sizes, sizeof(floe_ice_metric) * (size_t)src->ncolumn_sizes);
    dst->value_counts = dup_mem(src->value_counts, sizeof(floe_ice_metric) * (size_t)src->nvalue_counts);
    dst->null_value_counts =
        dup_mem(src->null_value_counts, sizeof(floe_ice_metric) * (size_t)src->nnull_value_counts);
    dst->nan_value_counts = dup_mem(src->nan_value_counts, sizeof(floe_ice_metric) * (size_t)src->nnan_value_counts);
    dst->lower_bounds = dup_bounds(src->lower_bounds, src->nlower_bounds);
    dst->upper_bounds = dup_bounds(src->upper_bounds, src->nupper_bounds);
    dst->split_offsets = dup_mem(src->split_offsets, sizeof(int64_t) * (size_t)src->nsplit_offsets);
    dst->equality_ids = dup_mem(src->equality_ids, sizeof(int32_t) * (size_t)src->nequality_ids);
}

void floe_ice_manifest_entry_free(floe_ice_manifest_entry *e) { floe_ice_data_file_free(&e->file); }

void floe_ice_manifest_file_free(floe_ice_manifest_file *m) {
    free(m->manifest_path);
    for (int i = 0; i < m->npartitions; i++) {
        free(m->partitions[i].lower);
        free(m->partitions[i].upper);
    }
    free(m->partitions);
    memset(m, 0, sizeof *m);
}

void floe_ice_manifest_file_copy(floe_ice_manifest_file *dst, const floe_ice_manifest_file *src) {
    *dst = *src;
    dst->manifest_path = src->manifest_path ? floe_xstrdup(src->manifest_path) : NULL;
    dst->partitions = dup_mem(src->partitions, sizeof *src->partitions * (size_t)src->npartitions);
    for (int i = 0; i < src->npartitions; i++) {
        dst->partitions[i].lower = dup_mem(src->partitions[i].lower, src->partitions[i].nlower);
        dst->partitions[i].upper = dup_mem(src->partitions[i].upper, src->partitions[i].nupper);
    }
}

/* ---- Avro schema JSON as Java writes it ------------------------------------ */

/* Appends the separator a JSON array or object needs before a new member. */
static void sep(floe_buf *b) {
    if (b->len && b->data[b->len - 1] != '[' && b->data[b->len - 1] != '{') floe_buf_putc(b, ',');
}

/* One record field: name, type, doc, default, then the field id. */
static void field(floe_buf *b, const char *name, const char *type, int optional, const char *doc, int32_t id) {
    sep(b);
    floe_buf_printf(b, "{\"name\":\"%s\",\"type\":", name);
    if (optional) floe_buf_printf(b, "[\"null\",%s]", type);
    else floe_buf_puts(b, type);
    if (doc) floe_buf_printf(b, ",\"doc\":\"%s\"", doc);
    if (optional) floe_buf_puts(b, ",\"default\":null");
    floe_buf_printf(b, ",\"field-id\":%d}", (int)id);
}

/* An int-keyed map as Avro arrays of key/value records (spec Appendix A). */
static void map_field(floe_buf *b, const char *name, int32_t id, int32_t kid, int32_t vid, const char *vtype,
                      const char *doc) {
    char t[256];
    snprintf(t, sizeof t,
             "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"k%d_v%d\",\"fields\":["
             "{\"name\":\"key\",\"type\":\"int\",\"field-id\":%d},{\"name\":\"value\",\"type\":\"%s\","
             "\"field-id\":%d}]},\"logicalType\":\"map\"}",
             (int)kid, (int)vid, (int)kid, vtype, (int)vid);
    field(b, name, t, 1, doc, id);
}

static void list_field(floe_buf *b, const char *name, int32_t id, int32_t eid, const char *etype, const char *doc) {
    char t[128];
    snprintf(t, sizeof t, "{\"type\":\"array\",\"items\":\"%s\",\"element-id\":%d}", etype, (int)eid);
    field(b, name, t, 1, doc, id);
}

/* Named Avro types defined so far, NUL-separated: a second use of a name
 * must refer to it, since Avro forbids defining a name twice. */
typedef struct named_set {
    floe_buf names;
} named_set;

static int named_once(named_set *s, const char *name) {
    for (size_t i = 0; i < s->names.len; i += strlen((const char *)s->names.data + i) + 1)
        if (strcmp((const char *)s->names.data + i, name) == 0) return 0;
    floe_buf_append(&s->names, name, strlen(name) + 1);
    return 1;
}

static void fixed_type(floe_buf *t, named_set *ns, const char *name, int32_t size, const char *props) {
    if (named_once(ns, name))
        floe_buf_printf(t, "{\"type\":\"fixed\",\"name\":\"%s\",\"size\":%d%s}", name, (int)size, props);
    else
        floe_buf_printf(t, "\"%s\"", name);
}

/* The Avro type of a partition value of Iceberg type ft, as TypeToSchema
 * converts it. */
static void partition_avro_type(const floe_ice_type *ft, named_set *ns, floe_buf *t) {
    char name[32], props[96];
    switch (ft->kind) {
    case FLOE_ICE_BOOLEAN: floe_buf_puts(t, "\"boolean\""); return;
    case FLOE_ICE_INT: floe_buf_puts(t, "\"int\""); return;
    case FLOE_ICE_LONG: floe_buf_puts(t, "\"long\""); return;
    case FLOE_ICE_FLOAT: floe_buf_puts(t, "\"float\""); return;
    case FLOE_ICE_DOUBLE: floe_buf_puts(t, "\"double\""); return;
    case FLOE_ICE_DATE: floe_buf_puts(t, "{\"type\":\"int\",\"logicalType\":\"date\"}"); return;
    case FLOE_ICE_TIME: floe_buf_puts(t, "{\"type\":\"long\",\"logicalType\":\"time-micros\"}"); return;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
        floe_buf_printf(t, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":%s}",
                        ft->kind == FLOE_ICE_TIMESTAMPTZ ? "true" : "false");
        return;
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS:
        floe_buf_printf(t, "{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\",\"adjust-to-utc\":%s}",
                        ft->kind == FLOE_ICE_TIMESTAMPTZ_NS ? "true" : "false");
        return;
    case FLOE_ICE_STRING: floe_buf_puts(t, "\"string\""); return;
    case FLOE_ICE_UUID: fixed_type(t, ns, "uuid_fixed", 16, ",\"logicalType\":\"uuid\""); return;
    case FLOE_ICE_FIXED:
        snprintf(name, sizeof name, "fixed_%d", (int)ft->length);
        fixed_type(t, ns, name, ft->length, "");
        return;
    case FLOE_ICE_DECIMAL:
        snprintf(name, sizeof name, "decimal_%d_%d", (int)ft->precision, (int)ft->scale);
        snprintf(props, sizeof props, ",\"logicalType\":\"decimal\",\"precision\":%d,\"scale\":%d", (int)ft->precision,
                 (int)ft->scale);
        fixed_type(t, ns, name, floe_ice_decimal_required_bytes(ft->precision), props);
        return;
    default: floe_buf_puts(t, "\"bytes\""); return;
    }
}

/* AvroSchemaUtil.sanitize: a leading digit becomes "_d", any character
 * other than an ASCII letter, digit or '_' becomes "_x" and its UTF-16
 * code unit(s) in upper-case hex.  Returns 1 if the name had to change. */
static int sanitize_name(const char *name, floe_buf *out) {
    const uint8_t *s = (const uint8_t *)name;
    size_t n = strlen(name);
    int changed = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = c >= '0' && c <= '9';
        if (alpha || (digit && i > 0)) {
            floe_buf_putc(out, c);
            i++;
            continue;
        }
        changed = 1;
        if (digit) {
            floe_buf_putc(out, '_');
            floe_buf_putc(out, c);
            i++;
            continue;
        }
        /* Decode one UTF-8 character (a stray byte stands for itself). */
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xC0 && c < 0xE0 && i + 1 < n) cp = (uint32_t)(c & 0x1F) << 6 | (s[i + 1] & 0x3F), len = 2;
        else if (c >= 0xE0 && c < 0xF0 && i + 2 < n)
            cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F), len = 3;
        else if (c >= 0xF0 && i + 3 < n)
            cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3F) << 12 | (uint32_t)(s[i + 2] & 0x3F) << 6 |
                 (s[i + 3] & 0x3F),
            len = 4;
        i += len;
        if (cp >= 0x10000) {
            /* Java sees a surrogate pair: two characters, each escaped. */
            cp -= 0x10000;
            floe_buf_printf(out, "_x%X_x%X", (unsigned)(0xD800 + (cp >> 10)), (unsigned)(0xDC00 + (cp & 0x3FF)));
        } else {
            floe_buf_printf(out, "_x%X", (unsigned)cp);
        }
    }
    return changed;
}

static void partition_record(floe_buf *b, const floe_ice_partition_spec *spec, const floe_ice_type *ptype) {
    named_set ns;
    floe_buf_init(&ns.names);
    floe_buf_puts(b, "{\"type\":\"record\",\"name\":\"r102\",\"fields\":[");
    floe_buf t, nm;
    floe_buf_init(&t);
    floe_buf_init(&nm);
    for (int i = 0; i < spec->nfields; i++) {
        t.len = nm.len = 0;
        partition_avro_type(ptype->fields[i]->type, &ns, &t);
        int changed = sanitize_name(spec->fields[i].name, &nm);
        sep(b);
        floe_buf_puts(b, "{\"name\":\"");
        floe_buf_append(b, nm.data, nm.len);
        floe_buf_puts(b, "\",\"type\":[\"null\",");
        floe_buf_append(b, t.data, t.len);
        floe_buf_puts(b, "],\"default\":null");
        if (changed) {
            floe_buf_puts(b, ",\"iceberg-field-name\":");
            floe_json_escape((const uint8_t *)spec->fields[i].name, strlen(spec->fields[i].name), b);
        }
        floe_buf_printf(b, ",\"field-id\":%d}", (int)spec->fields[i].field_id);
    }
    floe_buf_puts(b, "]}");
    floe_buf_free(&t);
    floe_buf_free(&nm);
    floe_buf_free(&ns.names);
}

static const char DOC_PARTITION[] = "Partition data tuple, schema based on the partition spec";

static void entry_schema(floe_buf *b, int version, const floe_ice_partition_spec *spec, const floe_ice_type *ptype) {
    floe_buf_puts(b, "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":[");
    field(b, "status", "\"int\"", 0, NULL, 0);
    field(b, "snapshot_id", "\"long\"", version >= 2, NULL, 1);
    if (version >= 2) {
        field(b, "sequence_number", "\"long\"", 1, NULL, 3);
        field(b, "file_sequence_number", "\"long\"", 1, NULL, 4);
    }
    floe_buf_puts(b, ",{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":[");
    if (version >= 2)
        field(b, "content", "\"int\"", 0, "Contents of the file: 0=data, 1=position deletes, 2=equality deletes", 134);
    field(b, "file_path", "\"string\"", 0, "Location URI with FS scheme", 100);
    field(b, "file_format", "\"string\"", 0, "File format name: avro, orc, or parquet", 101);
    floe_buf part;
    floe_buf_init(&part);
    partition_record(&part, spec, ptype);
    field(b, "partition", floe_buf_cstr(&part), 0, version >= 2 ? DOC_PARTITION : NULL, 102);
    floe_buf_free(&part);
    field(b, "record_count", "\"long\"", 0, "Number of records in the file", 103);
    field(b, "file_size_in_bytes", "\"long\"", 0, "Total file size in bytes", 104);
    if (version == 1) field(b, "block_size_in_bytes", "\"long\"", 0, NULL, 105);
    map_field(b, "column_sizes", 108, 117, 118, "long", "Map of column id to total size on disk");
    map_field(b, "value_counts", 109, 119, 120, "long", "Map of column id to total count, including null and NaN");
    map_field(b, "null_value_counts", 110, 121, 122, "long", "Map of column id to null value count");
    map_field(b, "nan_value_counts", 137, 138, 139, "long", "Map of column id to number of NaN values in the column");
    map_field(b, "lower_bounds", 125, 126, 127, "bytes", "Map of column id to lower bound");
    map_field(b, "upper_bounds", 128, 129, 130, "bytes", "Map of column id to upper bound");
    field(b, "key_metadata", "\"bytes\"", 1, "Encryption key metadata blob", 131);
    list_field(b, "split_offsets", 132, 133, "long", "Splittable offsets");
    if (version >= 2) list_field(b, "equality_ids", 135, 136, "int", "Equality comparison field IDs");
    field(b, "sort_order_id", "\"int\"", 1, "Sort order ID", 140);
    if (version >= 2)
        field(b, "referenced_data_file", "\"string\"", 1,
              "Fully qualified location (URI with FS scheme) of a data file that all deletes reference", 143);
    floe_buf_puts(b, "]},\"field-id\":2}]}");
}

static void list_schema(floe_buf *b, int version) {
    static const char summary[] =
        "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"r508\",\"fields\":["
        "{\"name\":\"contains_null\",\"type\":\"boolean\",\"doc\":\"True if any file has a null partition value\","
        "\"field-id\":509},"
        "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"doc\":\"True if any file has a nan partition "
        "value\",\"default\":null,\"field-id\":518},"
        "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition lower bound for all files\","
        "\"default\":null,\"field-id\":510},"
        "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition upper bound for all files\","
        "\"default\":null,\"field-id\":511}]},\"element-id\":508}";
    int opt = version == 1; /* counts are optional in v1, required in v2 */
    floe_buf_puts(b, "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":[");
    field(b, "manifest_path", "\"string\"", 0, "Location URI with FS scheme", 500);
    field(b, "manifest_length", "\"long\"", 0, "Total file size in bytes", 501);
    field(b, "partition_spec_id", "\"int\"", 0, "Spec ID used to write", 502);
    if (version >= 2) {
        field(b, "content", "\"int\"", 0, "Contents of the manifest: 0=data, 1=deletes", 517);
        field(b, "sequence_number", "\"long\"", 0, "Sequence number when the manifest was added", 515);
        field(b, "min_sequence_number", "\"long\"", 0, "Lowest sequence number in the manifest", 516);
    }
    field(b, "added_snapshot_id", "\"long\"", 0, "Snapshot ID that added the manifest", 503);
    field(b, "added_files_count", "\"int\"", opt, "Added entry count", 504);
    field(b, "existing_files_count", "\"int\"", opt, "Existing entry count", 505);
    field(b, "deleted_files_count", "\"int\"", opt, "Deleted entry count", 506);
    if (version == 1) field(b, "partitions", summary, 1, "Summary for each partition", 507);
    field(b, "added_rows_count", "\"long\"", opt, "Added rows count", 512);
    field(b, "existing_rows_count", "\"long\"", opt, "Existing rows count", 513);
    field(b, "deleted_rows_count", "\"long\"", opt, "Deleted rows count", 514);
    if (version >= 2) field(b, "partitions", summary, 1, "Summary for each partition", 507);
    field(b, "key_metadata", "\"bytes\"", 1, "Encryption key metadata blob", 519);
    floe_buf_puts(b, "]}");
}

/* ---- writing manifests ----------------------------------------------------- */

static void put_null(floe_buf *r) { floe_avro_put_long(r, 0); }

static void put_opt_long(floe_buf *r, int has, int64_t v) {
    if (!has) {
        put_null(r);
        return;
    }
    floe_avro_put_long(r, 1);
    floe_avro_put_long(r, v);
}

/* An int-keyed map as Avro array of key/value records: metrics (long
 * values) or bounds (bytes values); null when empty. */
static void put_map(floe_buf *r, const floe_ice_metric *m, const floe_ice_bound *b, int n) {
    if (n == 0) {
        put_null(r);
        return;
    }
    floe_avro_put_long(r, 1);
    floe_avro_put_long(r, n);
    for (int i = 0; i < n; i++) {
        floe_avro_put_long(r, m ? m[i].field_id : b[i].field_id);
        if (m) floe_avro_put_long(r, m[i].value);
        else floe_avro_put_bytes(r, b[i].p, b[i].n);
    }
    floe_avro_put_long(r, 0);
}

/* An optional array of longs or of ints; null when empty. */
static void put_list(floe_buf *r, const int64_t *l, const int32_t *i32, int n) {
    if (n == 0) {
        put_null(r);
        return;
    }
    floe_avro_put_long(r, 1);
    floe_avro_put_long(r, n);
    for (int i = 0; i < n; i++) floe_avro_put_long(r, l ? l[i] : i32[i]);
    floe_avro_put_long(r, 0);
}

/* Encodes one partition value as the partition record's Avro type. */
static int put_partition_value(floe_buf *r, const floe_ice_type *t, const floe_ice_datum *v, const char *field_name,
                               floe_err *err) {
    if (v->is_null) {
        put_null(r);
        return 0;
    }
    floe_avro_put_long(r, 1);
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN: floe_avro_put_bool(r, v->i != 0); return 0;
    case FLOE_ICE_FLOAT: floe_avro_put_float(r, (float)v->d); return 0;
    case FLOE_ICE_DOUBLE: floe_avro_put_double(r, v->d); return 0;
    case FLOE_ICE_STRING:
    case FLOE_ICE_BINARY: floe_avro_put_bytes(r, v->p, v->n); return 0;
    case FLOE_ICE_UUID:
    case FLOE_ICE_FIXED: {
        size_t want = t->kind == FLOE_ICE_UUID ? 16 : (size_t)t->length;
        if (v->n != want)
            return floe_err_set(err, FLOE_EINVAL, "partition field %s: a value of %zu bytes where %zu are needed",
                                field_name, v->n, want);
        floe_avro_put_fixed(r, v->p, v->n);
        return 0;
    }
    case FLOE_ICE_DECIMAL: {
        size_t size = (size_t)floe_ice_decimal_required_bytes(t->precision);
        const uint8_t *p = v->p;
        size_t n = v->n ? floe_ice_decimal_minimal(v->p, v->n, &p) : 0;
        if (n > size)
            return floe_err_set(err, FLOE_EINVAL, "partition field %s: decimal value does not fit precision %d",
                                field_name, (int)t->precision);
        uint8_t buf[16];
        memset(buf, n && (p[0] & 0x80) ? 0xFF : 0x00, size - n);
        if (n) memcpy(buf + size - n, p, n);
        floe_avro_put_fixed(r, buf, size);
        return 0;
    }
    default: /* int, long, date, time, timestamps */ floe_avro_put_long(r, v->i); return 0;
    }
}

typedef struct part_stats {
    int contains_null, contains_nan;
    const floe_ice_datum *min, *max;
} part_stats;

static int is_float_kind(int k) { return k == FLOE_ICE_FLOAT || k == FLOE_ICE_DOUBLE; }

/* PartitionSummary.update: nulls and NaNs are flagged, not bounded. */
static void part_stats_update(part_stats *s, const floe_ice_type *t, const floe_ice_datum *v) {
    if (v->is_null) s->contains_null = 1;
    else if (is_float_kind(t->kind) && isnan(v->d)) s->contains_nan = 1;
    else {
        if (!s->min || floe_ice_value_compare(t, v, s->min) < 0) s->min = v;
        if (!s->max || floe_ice_value_compare(t, v, s->max) > 0) s->max = v;
    }
}

static uint8_t *bound_bytes(const floe_ice_type *t, const floe_ice_datum *v, uint32_t *n) {
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_value_to_bytes(t, v, &b);
    *n = (uint32_t)b.len;
    if (b.len == 0) floe_buf_putc(&b, 0); /* keep a non-NULL pointer for an empty bound */
    return b.data;
}

static const char *status_name(int s) {
    return s == FLOE_ICE_STATUS_ADDED ? "ADDED" : s == FLOE_ICE_STATUS_EXISTING ? "EXISTING" : "DELETED";
}

static int check_entry(const floe_ice_manifest_entry *e, int i, int version, int content, int nfields,
                       floe_err *err) {
    const floe_ice_data_file *f = &e->file;
    const char *path = f->file_path ? f->file_path : "(no path)";
    if (!f->file_path || !f->file_format)
        return floe_err_set(err, FLOE_EINVAL, "manifest entry %d: a data file needs a path and a format", i);
    if (e->status < FLOE_ICE_STATUS_EXISTING || e->status > FLOE_ICE_STATUS_DELETED)
        return floe_err_set(err, FLOE_EINVAL, "manifest entry %d (%s): status %d is not 0, 1 or 2", i, path, e->status);
    if (f->npartition != nfields)
        return floe_err_set(err, FLOE_EINVAL, "manifest entry %d (%s): %d partition values for a spec of %d fields", i,
                            path, f->npartition, nfields);
    if (content == FLOE_ICE_MANIFEST_DATA ? f->content != FLOE_ICE_CONTENT_DATA
                                          : f->content != FLOE_ICE_CONTENT_POSITION_DELETES &&
                                                f->content != FLOE_ICE_CONTENT_EQUALITY_DELETES)
        return floe_err_set(err, FLOE_EINVAL,
                            "manifest entry %d (%s): file content %d does not belong in a %s manifest", i, path,
                            f->content, content == FLOE_ICE_MANIFEST_DATA ? "data" : "delete");
    if (f->content == FLOE_ICE_CONTENT_EQUALITY_DELETES && f->nequality_ids == 0)
        return floe_err_set(err, FLOE_EINVAL, "manifest entry %d (%s): an equality delete file needs equality ids", i,
                            path);
    if (version >= 2 && e->status != FLOE_ICE_STATUS_ADDED && !e->has_sequence_number)
        return floe_err_set(err, FLOE_EINVAL, "manifest entry %d (%s): an %s entry must carry its data sequence number",
                            i, path, status_name(e->status));
    return 0;
}

static void put_entry(floe_buf *r, int version, const floe_ice_manifest_entry *e, int64_t snapshot_id) {
    const floe_ice_data_file *f = &e->file;
    floe_avro_put_long(r, e->status);
    int64_t sid = e->has_snapshot_id ? e->snapshot_id : snapshot_id;
    if (version >= 2) {
        put_opt_long(r, 1, sid);
        put_opt_long(r, e->has_sequence_number, e->sequence_number);
        put_opt_long(r, e->has_file_sequence_number, e->file_sequence_number);
        floe_avro_put_long(r, f->content);
    } else {
        floe_avro_put_long(r, sid);
    }
    floe_avro_put_string(r, f->file_path);
    floe_avro_put_string(r, f->file_format);
}

static void put_file_tail(floe_buf *r, int version, const floe_ice_data_file *f) {
    floe_avro_put_long(r, f->record_count);
    floe_avro_put_long(r, f->file_size_in_bytes);
    if (version == 1) floe_avro_put_long(r, 64 * 1024 * 1024); /* block_size_in_bytes: V1Metadata's default */
    put_map(r, f->column_sizes, NULL, f->ncolumn_sizes);
    put_map(r, f->value_counts, NULL, f->nvalue_counts);
    put_map(r, f->null_value_counts, NULL, f->nnull_value_counts);
    put_map(r, f->nan_value_counts, NULL, f->nnan_value_counts);
    put_map(r, NULL, f->lower_bounds, f->nlower_bounds);
    put_map(r, NULL, f->upper_bounds, f->nupper_bounds);
    put_null(r); /* key_metadata: floe does not encrypt */
    put_list(r, f->split_offsets, NULL, f->nsplit_offsets);
    if (version >= 2) put_list(r, NULL, f->equality_ids, f->nequality_ids);
    put_opt_long(r, f->has_sort_order_id, f->sort_order_id);
    if (version >= 2) put_null(r); /* referenced_data_file */
}

int floe_ice_manifest_write(const floe_ice_metadata *m, const floe_ice_partition_spec *spec, int content,
                            int64_t snapshot_id, const floe_ice_manifest_entry *entries, int nentries,
                            floe_buf *out, floe_ice_manifest_file *summary, floe_err *err) {
    int version = m->format_version;
    if (version != 1 && version != 2)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "manifest: format version %d is not 1 or 2", version);
    if (content != FLOE_ICE_MANIFEST_DATA && (content != FLOE_ICE_MANIFEST_DELETES || version < 2))
        return floe_err_set(err, FLOE_EINVAL, "manifest: content %d is not allowed in format version %d", content,
                            version);
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    if (!schema) return floe_err_set(err, FLOE_EINVAL, "manifest: the table metadata has no current schema");
    for (int i = 0; i < nentries; i++)
        if (check_entry(&entries[i], i, version, content, spec->nfields, err)) return -1;
    floe_ice_type *ptype = floe_ice_spec_partition_type(spec, schema, err);
    if (!ptype) return floe_err_prefix(err, "manifest for partition spec %d", (int)spec->spec_id);

    floe_buf sj, schema_json;
    floe_buf_init(&sj);
    floe_buf_init(&schema_json);
    entry_schema(&sj, version, spec, ptype);
    floe_ice_schema_to_json(schema, &schema_json);
    floe_buf fields_json;
    floe_buf_init(&fields_json);
    floe_ice_spec_fields_to_json(spec, &fields_json); /* the header holds only the fields array */
    char schema_id[16], spec_id[16], fv[4];
    snprintf(schema_id, sizeof schema_id, "%d", (int)schema->schema_id);
    snprintf(spec_id, sizeof spec_id, "%d", (int)spec->spec_id);
    snprintf(fv, sizeof fv, "%d", version);
    const char *meta[] = {"schema",         floe_buf_cstr(&schema_json),
                          "schema-id",      schema_id,
                          "partition-spec", floe_buf_cstr(&fields_json),
                          "partition-spec-id", spec_id,
                          "format-version", fv,
                          "content",        content == FLOE_ICE_MANIFEST_DATA ? "data" : "deletes"};
    floe_avro_writer w;
    /* v1 has no "content" key: it knows only data manifests. */
    floe_avro_writer_init(&w, floe_buf_cstr(&sj), meta, version >= 2 ? 6 : 5, FLOE_AVRO_CODEC_DEFLATE);
    floe_buf_free(&fields_json);
    floe_buf_free(&sj);
    floe_buf_free(&schema_json);

    part_stats *ps = floe_xcalloc((size_t)spec->nfields + 1, sizeof *ps);
    memset(summary, 0, sizeof *summary);
    int64_t min_seq = -1;
    int rc = 0;
    for (int i = 0; i < nentries && rc == 0; i++) {
        const floe_ice_manifest_entry *e = &entries[i];
        const floe_ice_data_file *f = &e->file;
        put_entry(&w.record, version, e, snapshot_id);
        for (int k = 0; k < spec->nfields && rc == 0; k++) {
            const floe_ice_type *ft = ptype->fields[k]->type;
            rc = put_partition_value(&w.record, ft, &f->partition[k], spec->fields[k].name, err);
            part_stats_update(&ps[k], ft, &f->partition[k]);
        }
        if (rc) {
            floe_err_prefix(err, "manifest entry %d (%s)", i, f->file_path);
            break;
        }
        put_file_tail(&w.record, version, f);
        rc = floe_avro_writer_end_record(&w, err);
        switch (e->status) {
        case FLOE_ICE_STATUS_ADDED:
            summary->added_files_count++;
            summary->added_rows_count += f->record_count;
            break;
        case FLOE_ICE_STATUS_EXISTING:
            summary->existing_files_count++;
            summary->existing_rows_count += f->record_count;
            break;
        default:
            summary->deleted_files_count++;
            summary->deleted_rows_count += f->record_count;
            break;
        }
        if (e->status != FLOE_ICE_STATUS_DELETED && e->has_sequence_number &&
            (min_seq < 0 || e->sequence_number < min_seq))
            min_seq = e->sequence_number;
    }
    if (rc == 0) rc = floe_avro_writer_finish(&w, err);
    if (rc == 0) {
        summary->manifest_length = (int64_t)w.out.len;
        floe_buf_append(out, w.out.data, w.out.len);
        summary->partition_spec_id = spec->spec_id;
        summary->content = content;
        summary->sequence_number = -1;
        summary->min_sequence_number = min_seq;
        summary->added_snapshot_id = snapshot_id;
        summary->npartitions = spec->nfields;
        summary->partitions = floe_xcalloc((size_t)spec->nfields + 1, sizeof *summary->partitions);
        for (int k = 0; k < spec->nfields; k++) {
            floe_ice_field_summary *fs = &summary->partitions[k];
            const floe_ice_type *ft = ptype->fields[k]->type;
            fs->contains_null = ps[k].contains_null;
            fs->has_contains_nan = 1;
            fs->contains_nan = ps[k].contains_nan;
            if (ps[k].min) fs->lower = bound_bytes(ft, ps[k].min, &fs->nlower);
            if (ps[k].max) fs->upper = bound_bytes(ft, ps[k].max, &fs->nupper);
        }
    } else {
        memset(summary, 0, sizeof *summary);
    }
    free(ps);
    floe_avro_writer_free(&w);
    floe_ice_type_free(ptype);
    return rc;
}

/* ---- reading: typed access to generic Avro values --------------------------- */

typedef struct rd {
    const char *file;
    const char *what; /* "manifest entry" / "manifest list entry" */
    int index;
    floe_err *err;
} rd;

FLOE_PRINTF(2, 3)
static int rd_fail(const rd *c, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return floe_err_set(c->err, FLOE_ECORRUPT, "%s: %s %d: %s", c->file, c->what, c->index, msg);
}

static int has_field(const floe_avro_value *rec, const char *name) {
    if (!rec || rec->kind != FLOE_AVRO_RECORD) return 0;
    for (int i = 0; i < rec->schema->nchildren; i++)
        if (strcmp(rec->schema->field_names[i], name) == 0) return 1;
    return 0;
}

/* Optional integer field: 1 with *v set, 0 when absent or null, -1 when it
 * has another type. */
static int get_int(const rd *c, const floe_avro_value *rec, const char *name, int64_t *v) {
    const floe_avro_value *x = floe_avro_get(rec, name);
    if (!x) return 0;
    if (x->kind != FLOE_AVRO_INT && x->kind != FLOE_AVRO_LONG) return rd_fail(c, "field %s is not an integer", name);
    *v = x->u.l;
    return 1;
}

static int need_int(const rd *c, const floe_avro_value *rec, const char *name, int64_t *v) {
    int r = get_int(c, rec, name, v);
    if (r == 0) return rd_fail(c, "required field %s is missing or null", name);
    return r < 0 ? -1 : 0;
}

static int get_int32(const rd *c, const floe_avro_value *rec, const char *name, int32_t *v) {
    int64_t l = 0;
    int r = get_int(c, rec, name, &l);
    if (r <= 0) return r;
    if (l < INT32_MIN || l > INT32_MAX)
        return rd_fail(c, "field %s value %lld does not fit an int", name, (long long)l);
    *v = (int32_t)l;
    return 1;
}

static int need_string(const rd *c, const floe_avro_value *rec, const char *name, char **out) {
    const floe_avro_value *x = floe_avro_get(rec, name);
    if (!x || (x->kind != FLOE_AVRO_STRING && x->kind != FLOE_AVRO_BYTES))
        return rd_fail(c, "required string field %s is missing", name);
    *out = floe_xstrndup((const char *)x->u.bytes.p, x->u.bytes.n);
    return 0;
}

/* An optional Avro array field; NULL items when absent or null. */
static int get_array(const rd *c, const floe_avro_value *rec, const char *name, const floe_avro_value **items,
                     size_t *n) {
    *items = NULL;
    *n = 0;
    const floe_avro_value *x = floe_avro_get(rec, name);
    if (!x) return 0;
    if (x->kind != FLOE_AVRO_ARRAY) return rd_fail(c, "field %s is not an array", name);
    *items = x->u.arr.items;
    *n = x->u.arr.n;
    return 0;
}

/* An int-keyed map field (an Avro array of key/value records) into
 * metrics (long values) or bounds (bytes values, copied). */
static int read_map(const rd *c, const floe_avro_value *df, const char *name, floe_ice_metric **metrics,
                    floe_ice_bound **bounds, int *nout) {
    const floe_avro_value *it;
    size_t n;
    if (get_array(c, df, name, &it, &n)) return -1;
    if (n == 0) return 0;
    if (metrics) *metrics = floe_xcalloc(n, sizeof **metrics);
    else *bounds = floe_xcalloc(n, sizeof **bounds);
    for (size_t i = 0; i < n; i++) {
        int32_t k = 0;
        int64_t l = 0;
        const floe_avro_value *v = floe_avro_get(&it[i], "value");
        int ok = get_int32(c, &it[i], "key", &k) == 1 &&
                 (metrics ? get_int(c, &it[i], "value", &l) == 1 : v && v->kind == FLOE_AVRO_BYTES);
        if (!ok) return rd_fail(c, "%s item %zu needs an int key and a %s value", name, i, metrics ? "long" : "bytes");
        /* Counted as it fills, so that freeing the file frees what it got. */
        (*nout)++;
        if (metrics) {
            (*metrics)[i] = (floe_ice_metric){k, l};
        } else {
            floe_ice_bound *b = &(*bounds)[i];
            b->field_id = k;
            b->n = (uint32_t)v->u.bytes.n;
            b->p = floe_xmalloc(v->u.bytes.n ? v->u.bytes.n : 1);
            if (v->u.bytes.n) memcpy(b->p, v->u.bytes.p, v->u.bytes.n);
        }
    }
    return 0;
}

/* The partition record's values, in its field order. */
static int read_partition(const rd *c, const floe_avro_value *df, floe_ice_data_file *f) {
    const floe_avro_value *p = floe_avro_get(df, "partition");
    if (!p || p->kind != FLOE_AVRO_RECORD) return rd_fail(c, "data_file.partition is missing or not a record");
    size_t n = p->u.arr.n;
    f->partition = floe_xcalloc(n + 1, sizeof *f->partition);
    f->npartition = (int)n;
    for (size_t i = 0; i < n; i++) {
        const floe_avro_value *v = &p->u.arr.items[i];
        floe_ice_datum *d = &f->partition[i];
        switch (v->kind) {
        case FLOE_AVRO_NULL: d->is_null = 1; break;
        case FLOE_AVRO_BOOLEAN: d->i = v->u.b; break;
        case FLOE_AVRO_INT:
        case FLOE_AVRO_LONG: d->i = v->u.l; break;
        case FLOE_AVRO_FLOAT:
        case FLOE_AVRO_DOUBLE: d->d = v->u.d; break;
        case FLOE_AVRO_BYTES:
        case FLOE_AVRO_STRING:
        case FLOE_AVRO_FIXED:
            d->n = v->u.bytes.n;
            d->p = floe_xmalloc(d->n ? d->n : 1);
            if (d->n) memcpy((uint8_t *)d->p, v->u.bytes.p, d->n);
            break;
        default:
            return rd_fail(c, "partition field %s has an Avro type no partition value has",
                           p->schema->field_names[i]);
        }
    }
    return 0;
}

static int read_data_file(const rd *c, const floe_avro_value *df, floe_ice_data_file *f) {
    if (!df || df->kind != FLOE_AVRO_RECORD) return rd_fail(c, "data_file is missing or not a record");
    int64_t v = 0;
    int r = get_int(c, df, "content", &v);
    if (r < 0) return -1;
    f->content = r ? (int)v : FLOE_ICE_CONTENT_DATA;
    if (f->content < FLOE_ICE_CONTENT_DATA || f->content > FLOE_ICE_CONTENT_EQUALITY_DELETES)
        return rd_fail(c, "data_file.content %lld is not 0, 1 or 2", (long long)v);
    if (need_string(c, df, "file_path", &f->file_path) || need_string(c, df, "file_format", &f->file_format) ||
        read_partition(c, df, f) || need_int(c, df, "record_count", &f->record_count) ||
        need_int(c, df, "file_size_in_bytes", &f->file_size_in_bytes) ||
        read_map(c, df, "column_sizes", &f->column_sizes, NULL, &f->ncolumn_sizes) ||
        read_map(c, df, "value_counts", &f->value_counts, NULL, &f->nvalue_counts) ||
        read_map(c, df, "null_value_counts", &f->null_value_counts, NULL, &f->nnull_value_counts) ||
        read_map(c, df, "nan_value_counts", &f->nan_value_counts, NULL, &f->nnan_value_counts) ||
        read_map(c, df, "lower_bounds", NULL, &f->lower_bounds, &f->nlower_bounds) ||
        read_map(c, df, "upper_bounds", NULL, &f->upper_bounds, &f->nupper_bounds))
        return -1;
    const floe_avro_value *it;
    size_t n;
    if (get_array(c, df, "split_offsets", &it, &n)) return -1;
    if (n) {
        f->split_offsets = floe_xcalloc(n, sizeof *f->split_offsets);
        f->nsplit_offsets = (int)n;
        for (size_t i = 0; i < n; i++) {
            if (it[i].kind != FLOE_AVRO_LONG && it[i].kind != FLOE_AVRO_INT)
                return rd_fail(c, "split_offsets item %zu is not a long", i);
            f->split_offsets[i] = it[i].u.l;
        }
    }
    if (get_array(c, df, "equality_ids", &it, &n)) return -1;
    if (n) {
        f->equality_ids = floe_xcalloc(n, sizeof *f->equality_ids);
        f->nequality_ids = (int)n;
        for (size_t i = 0; i < n; i++) {
            if ((it[i].kind != FLOE_AVRO_LONG && it[i].kind != FLOE_AVRO_INT) || it[i].u.l < INT32_MIN ||
                it[i].u.l > INT32_MAX)
                return rd_fail(c, "equality_ids item %zu is not an int", i);
            f->equality_ids[i] = (int32_t)it[i].u.l;
        }
    }
    r = get_int32(c, df, "sort_order_id", &f->sort_order_id);
    if (r < 0) return -1;
    f->has_sort_order_id = r;
    return 0;
}

/* Fills a sequence number from the entry or by inheritance; -1 when it must
 * be present and is not. */
static int inherit_seq(const rd *c, const floe_avro_value *e, const char *name, int status,
                       const floe_ice_manifest_file *mf, int *has, int64_t *v) {
    if (!has_field(e, name)) {
        /* A v1 manifest: every file's sequence numbers are 0. */
        *has = 1;
        *v = 0;
        return 0;
    }
    int r = get_int(c, e, name, v);
    if (r < 0) return -1;
    if (r) {
        *has = 1;
        return 0;
    }
    *has = 0;
    if (mf && mf->sequence_number >= 0 && (status == FLOE_ICE_STATUS_ADDED || mf->sequence_number == 0)) {
        *has = 1;
        *v = mf->sequence_number;
    }
    return 0;
}

static int read_entry(const rd *c, const floe_avro_value *e, const floe_ice_manifest_file *mf, int32_t spec_id,
                      floe_ice_manifest_entry *out) {
    int64_t v = 0;
    if (need_int(c, e, "status", &v)) return -1;
    if (v < FLOE_ICE_STATUS_EXISTING || v > FLOE_ICE_STATUS_DELETED)
        return rd_fail(c, "status %lld is not 0, 1 or 2", (long long)v);
    out->status = (int)v;
    int r = get_int(c, e, "snapshot_id", &out->snapshot_id);
    if (r < 0) return -1;
    out->has_snapshot_id = r;
    if (!r && mf && mf->added_snapshot_id >= 0) {
        out->has_snapshot_id = 1;
        out->snapshot_id = mf->added_snapshot_id;
    }
    if (inherit_seq(c, e, "sequence_number", out->status, mf, &out->has_sequence_number, &out->sequence_number) ||
        inherit_seq(c, e, "file_sequence_number", out->status, mf, &out->has_file_sequence_number,
                    &out->file_sequence_number))
        return -1;
    if (read_data_file(c, floe_avro_get(e, "data_file"), &out->file)) return -1;
    if (mf && !out->has_sequence_number && out->status != FLOE_ICE_STATUS_ADDED)
        return rd_fail(c, "%s entry for %s has no data sequence number", status_name(out->status),
                       out->file.file_path);
    out->file.spec_id = spec_id;
    return 0;
}

/* What decoding one record needs besides the record. */
typedef struct read_ctx {
    const floe_ice_manifest_file *mf; /* manifest reads */
    int32_t spec_id;
} read_ctx;

typedef int (*decode_fn)(const rd *c, const floe_avro_value *v, const read_ctx *ctx, void *item);
typedef void (*release_fn)(void *item);

/* Decodes every record of an open container file into a malloc'd array of
 * `size`-byte items; on failure nothing is left allocated. */
static int read_records(floe_avro_reader *r, const char *file, const char *what, size_t size, decode_fn decode,
                        release_fn release, const read_ctx *ctx, void **out, int *nout, floe_err *err) {
    floe_arena arena;
    floe_arena_init(&arena, 0);
    uint8_t *items = NULL;
    int n = 0, cap = 0, rc;
    rd c = {file, what, 0, err};
    floe_avro_value v;
    while ((rc = floe_avro_reader_next(r, &arena, &v, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            items = floe_xrealloc(items, size * (size_t)cap);
        }
        c.index = n;
        void *item = items + size * (size_t)n;
        memset(item, 0, size);
        if (decode(&c, &v, ctx, item)) {
            release(item);
            rc = -1;
            break;
        }
        n++;
        /* Items own copies of what they keep: the decoded tree can go. */
        floe_arena_free(&arena);
        floe_arena_init(&arena, 0);
    }
    floe_arena_free(&arena);
    if (rc < 0) {
        for (int i = 0; i < n; i++) release(items + size * (size_t)i);
        free(items);
        return -1;
    }
    *out = items;
    *nout = n;
    return 0;
}

static int decode_entry(const rd *c, const floe_avro_value *v, const read_ctx *ctx, void *item) {
    return read_entry(c, v, ctx->mf, ctx->spec_id, item);
}

static void release_entry(void *item) { floe_ice_manifest_entry_free(item); }

int floe_ice_manifest_read(const uint8_t *data, size_t len, const char *path, const floe_ice_manifest_file *mf,
                           floe_ice_manifest_entry **out, int *nout, floe_err *err) {
    *out = NULL;
    *nout = 0;
    const char *file = path ? path : "manifest";
    floe_avro_reader *r = floe_avro_reader_open(data, len, file, err);
    if (!r) return -1;
    read_ctx ctx = {mf, 0};
    if (mf) {
        ctx.spec_id = mf->partition_spec_id;
    } else {
        const char *s = floe_avro_reader_meta(r, "partition-spec-id");
        if (s) ctx.spec_id = (int32_t)strtol(s, NULL, 10);
    }
    void *items;
    int rc = read_records(r, file, "manifest entry", sizeof **out, decode_entry, release_entry, &ctx, &items, nout,
                          err);
    floe_avro_reader_free(r);
    if (rc == 0) *out = items;
    return rc;
}

/* ---- manifest lists ------------------------------------------------------- */

static int check_list_file(const floe_ice_manifest_file *f, int i, int version, int64_t snapshot_id, floe_err *err) {
    const char *path = f->manifest_path ? f->manifest_path : "(no path)";
    if (!f->manifest_path) return floe_err_set(err, FLOE_EINVAL, "manifest list entry %d: no manifest path", i);
    if (f->content != FLOE_ICE_MANIFEST_DATA && (f->content != FLOE_ICE_MANIFEST_DELETES || version < 2))
        return floe_err_set(err, FLOE_EINVAL, "manifest list entry %d (%s): content %d in format version %d", i, path,
                            f->content, version);
    if ((f->sequence_number < 0 || f->min_sequence_number < 0) && f->added_snapshot_id != snapshot_id)
        return floe_err_set(err, FLOE_EINVAL,
                            "manifest list entry %d (%s): unassigned sequence number in a manifest of snapshot %lld, "
                            "not of this snapshot %lld",
                            i, path, (long long)f->added_snapshot_id, (long long)snapshot_id);
    if (version >= 2 && (f->added_files_count < 0 || f->existing_files_count < 0 || f->deleted_files_count < 0 ||
                         f->added_rows_count < 0 || f->existing_rows_count < 0 || f->deleted_rows_count < 0))
        return floe_err_set(err, FLOE_EINVAL,
                            "manifest list entry %d (%s): format version 2 needs every file and row count", i, path);
    return 0;
}

static void put_opt_bytes(floe_buf *r, const uint8_t *p, uint32_t n) {
    if (!p) {
        put_null(r);
        return;
    }
    floe_avro_put_long(r, 1);
    floe_avro_put_bytes(r, p, n);
}

static void put_summaries(floe_buf *r, const floe_ice_manifest_file *f) {
    floe_avro_put_long(r, 1);
    if (f->npartitions) {
        floe_avro_put_long(r, f->npartitions);
        for (int k = 0; k < f->npartitions; k++) {
            const floe_ice_field_summary *s = &f->partitions[k];
            floe_avro_put_bool(r, s->contains_null);
            if (s->has_contains_nan) {
                floe_avro_put_long(r, 1);
                floe_avro_put_bool(r, s->contains_nan);
            } else {
                put_null(r);
            }
            put_opt_bytes(r, s->lower, s->nlower);
            put_opt_bytes(r, s->upper, s->nupper);
        }
    }
    floe_avro_put_long(r, 0);
}

/* A count in v1, where a negative (unknown) count is written as null. */
static void put_count(floe_buf *r, int version, int64_t v) {
    if (version >= 2) floe_avro_put_long(r, v);
    else put_opt_long(r, v >= 0, v);
}

int floe_ice_manifest_list_write(int format_version, int64_t snapshot_id, int has_parent, int64_t parent_id,
                                 int64_t sequence_number, const floe_ice_manifest_file *files, int nfiles,
                                 floe_buf *out, floe_err *err) {
    int version = format_version;
    if (version != 1 && version != 2)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "manifest list: format version %d is not 1 or 2", version);
    for (int i = 0; i < nfiles; i++)
        if (check_list_file(&files[i], i, version, snapshot_id, err)) return -1;
    char sid[24], pid[24], seq[24], fv[4];
    snprintf(sid, sizeof sid, "%lld", (long long)snapshot_id);
    /* Java writes String.valueOf(null) for a snapshot without parent. */
    if (has_parent) snprintf(pid, sizeof pid, "%lld", (long long)parent_id);
    else snprintf(pid, sizeof pid, "null");
    snprintf(seq, sizeof seq, "%lld", (long long)sequence_number);
    snprintf(fv, sizeof fv, "%d", version);
    const char *meta_v2[] = {"snapshot-id", sid, "parent-snapshot-id", pid, "sequence-number", seq,
                             "format-version", fv};
    const char *meta_v1[] = {"snapshot-id", sid, "parent-snapshot-id", pid, "format-version", fv};
    floe_buf sj;
    floe_buf_init(&sj);
    list_schema(&sj, version);
    floe_avro_writer w;
    if (version >= 2) floe_avro_writer_init(&w, floe_buf_cstr(&sj), meta_v2, 4, FLOE_AVRO_CODEC_DEFLATE);
    else floe_avro_writer_init(&w, floe_buf_cstr(&sj), meta_v1, 3, FLOE_AVRO_CODEC_DEFLATE);
    floe_buf_free(&sj);
    int rc = 0;
    for (int i = 0; i < nfiles && rc == 0; i++) {
        const floe_ice_manifest_file *f = &files[i];
        floe_buf *r = &w.record;
        floe_avro_put_string(r, f->manifest_path);
        floe_avro_put_long(r, f->manifest_length);
        floe_avro_put_long(r, f->partition_spec_id);
        if (version >= 2) {
            floe_avro_put_long(r, f->content);
            floe_avro_put_long(r, f->sequence_number < 0 ? sequence_number : f->sequence_number);
            floe_avro_put_long(r, f->min_sequence_number < 0 ? sequence_number : f->min_sequence_number);
        }
        floe_avro_put_long(r, f->added_snapshot_id);
        put_count(r, version, f->added_files_count);
        put_count(r, version, f->existing_files_count);
        put_count(r, version, f->deleted_files_count);
        if (version == 1) put_summaries(r, f);
        put_count(r, version, f->added_rows_count);
        put_count(r, version, f->existing_rows_count);
        put_count(r, version, f->deleted_rows_count);
        if (version >= 2) put_summaries(r, f);
        put_null(r); /* key_metadata */
        rc = floe_avro_writer_end_record(&w, err);
    }
    if (rc == 0) rc = floe_avro_writer_finish(&w, err);
    if (rc == 0) floe_buf_append(out, w.out.data, w.out.len);
    floe_avro_writer_free(&w);
    return rc;
}

/* A count field under its v2 name or the v1 name older writers used; -1
 * when absent or null. */
static int read_count(const rd *c, const floe_avro_value *rec, const char *name, const char *old_name, int64_t *v) {
    int r = get_int(c, rec, name, v);
    if (r == 0 && old_name) r = get_int(c, rec, old_name, v);
    if (r < 0) return -1;
    if (r == 0) *v = -1;
    return 0;
}

static int read_summaries(const rd *c, const floe_avro_value *rec, floe_ice_manifest_file *m) {
    const floe_avro_value *it;
    size_t n;
    if (get_array(c, rec, "partitions", &it, &n)) return -1;
    if (n == 0) return 0;
    m->partitions = floe_xcalloc(n, sizeof *m->partitions);
    m->npartitions = (int)n;
    for (size_t i = 0; i < n; i++) {
        floe_ice_field_summary *s = &m->partitions[i];
        const floe_avro_value *cn = floe_avro_get(&it[i], "contains_null");
        const floe_avro_value *nan = floe_avro_get(&it[i], "contains_nan");
        const floe_avro_value *lo = floe_avro_get(&it[i], "lower_bound");
        const floe_avro_value *hi = floe_avro_get(&it[i], "upper_bound");
        if (!cn || cn->kind != FLOE_AVRO_BOOLEAN || (nan && nan->kind != FLOE_AVRO_BOOLEAN) ||
            (lo && lo->kind != FLOE_AVRO_BYTES) || (hi && hi->kind != FLOE_AVRO_BYTES))
            return rd_fail(c, "partition summary %zu is not {contains_null, contains_nan, lower_bound, upper_bound}",
                           i);
        s->contains_null = cn->u.b;
        s->has_contains_nan = nan != NULL;
        s->contains_nan = nan ? nan->u.b : 0;
        if (lo) {
            s->lower = floe_xmalloc(lo->u.bytes.n ? lo->u.bytes.n : 1);
            if (lo->u.bytes.n) memcpy(s->lower, lo->u.bytes.p, lo->u.bytes.n);
            s->nlower = (uint32_t)lo->u.bytes.n;
        }
        if (hi) {
            s->upper = floe_xmalloc(hi->u.bytes.n ? hi->u.bytes.n : 1);
            if (hi->u.bytes.n) memcpy(s->upper, hi->u.bytes.p, hi->u.bytes.n);
            s->nupper = (uint32_t)hi->u.bytes.n;
        }
    }
    return 0;
}

static int read_list_entry(const rd *c, const floe_avro_value *v, floe_ice_manifest_file *m) {
    int64_t x = 0;
    int r;
    if (v->kind != FLOE_AVRO_RECORD) return rd_fail(c, "not a record");
    if (need_string(c, v, "manifest_path", &m->manifest_path) || need_int(c, v, "manifest_length", &m->manifest_length))
        return -1;
    if ((r = get_int32(c, v, "partition_spec_id", &m->partition_spec_id)) <= 0)
        return r < 0 ? -1 : rd_fail(c, "required field partition_spec_id is missing or null");
    if ((r = get_int(c, v, "content", &x)) < 0) return -1;
    m->content = r ? (int)x : FLOE_ICE_MANIFEST_DATA;
    if (m->content != FLOE_ICE_MANIFEST_DATA && m->content != FLOE_ICE_MANIFEST_DELETES)
        return rd_fail(c, "content %lld is not 0 or 1", (long long)x);
    /* v1 lists have no sequence numbers: read as 0. */
    if ((r = get_int(c, v, "sequence_number", &m->sequence_number)) < 0) return -1;
    if (!r) m->sequence_number = 0;
    if ((r = get_int(c, v, "min_sequence_number", &m->min_sequence_number)) < 0) return -1;
    if (!r) m->min_sequence_number = 0;
    if ((r = get_int(c, v, "added_snapshot_id", &m->added_snapshot_id)) < 0) return -1;
    if (!r) m->added_snapshot_id = -1;
    int64_t af, ef, df;
    if (read_count(c, v, "added_files_count", "added_data_files_count", &af) ||
        read_count(c, v, "existing_files_count", "existing_data_files_count", &ef) ||
        read_count(c, v, "deleted_files_count", "deleted_data_files_count", &df) ||
        read_count(c, v, "added_rows_count", NULL, &m->added_rows_count) ||
        read_count(c, v, "existing_rows_count", NULL, &m->existing_rows_count) ||
        read_count(c, v, "deleted_rows_count", NULL, &m->deleted_rows_count))
        return -1;
    if (af > INT32_MAX || ef > INT32_MAX || df > INT32_MAX) return rd_fail(c, "a file count does not fit an int");
    m->added_files_count = (int32_t)af;
    m->existing_files_count = (int32_t)ef;
    m->deleted_files_count = (int32_t)df;
    return read_summaries(c, v, m);
}

static int decode_list_entry(const rd *c, const floe_avro_value *v, const read_ctx *ctx, void *item) {
    (void)ctx;
    return read_list_entry(c, v, item);
}

static void release_list_entry(void *item) { floe_ice_manifest_file_free(item); }

int floe_ice_manifest_list_read(const uint8_t *data, size_t len, const char *path, floe_ice_manifest_file **out,
                                int *nout, floe_err *err) {
    *out = NULL;
    *nout = 0;
    const char *file = path ? path : "manifest list";
    floe_avro_reader *r = floe_avro_reader_open(data, len, file, err);
    if (!r) return -1;
    read_ctx ctx = {NULL, 0};
    void *items;
    int rc = read_records(r, file, "manifest list entry", sizeof **out, decode_list_entry, release_list_entry, &ctx,
                          &items, nout, err);
    floe_avro_reader_free(r);
    if (rc == 0) *out = items;
    return rc;
}
