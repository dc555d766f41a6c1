/*
 * fuzz_expr.c — libFuzzer target for row filters.  The input's first line
 * is a filter, the bytes after it make one row of a fixed table.  Beyond
 * "no crash, no overread, no leak, every failure says why", it checks the
 * promise the inclusive evaluators make: when the row matches the filter,
 * the filter's projection matches the row's partition tuple and the
 * manifest summary of that one partition, and the filter may match a data
 * file holding only that row (metrics from the row itself).
 *
 *   make fuzz && build/fuzz/fuzz_expr -max_total_time=60
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/expr.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":5,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"day\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":7,\"name\":\"small\",\"required\":true,\"type\":\"int\"},"
    "{\"id\":8,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":9,\"name\":\"ok\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":10,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"}]}";

#define NCOLS 10

static const struct { int32_t source; int kind; int32_t param; const char *name; } FIELDS[] = {
    {1, FLOE_XF_BUCKET, 16, "id_bucket"},    {2, FLOE_XF_TRUNCATE, 3, "name_trunc"},
    {3, FLOE_XF_DAY, 0, "ts_day"},           {3, FLOE_XF_HOUR, 0, "ts_hour"},
    {6, FLOE_XF_MONTH, 0, "day_month"},      {3, FLOE_XF_YEAR, 0, "ts_year"},
    {7, FLOE_XF_TRUNCATE, 10, "small_trunc"}, {4, FLOE_XF_TRUNCATE, 50, "price_trunc"},
    {5, FLOE_XF_IDENTITY, 0, "score"},       {9, FLOE_XF_IDENTITY, 0, "ok"},
    {8, FLOE_XF_VOID, 0, "f_null"},          {6, FLOE_XF_DAY, 0, "day_day"},
    {1, FLOE_XF_TRUNCATE, 1000, "id_trunc"}, {10, FLOE_XF_TRUNCATE, 2, "bin_trunc"},
    {6, FLOE_XF_YEAR, 0, "day_year"},        {2, FLOE_XF_IDENTITY, 0, "name"}};
#define NFIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

static floe_ice_schema *schema;
static floe_ice_partition_spec spec;
static floe_ice_partition_field pfields[NFIELDS];

static void must_say_why(const floe_err *err) {
    if (err->msg[0] == '\0') __builtin_trap();
}

static void setup(void) {
    floe_err err = {0};
    schema = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    if (!schema) __builtin_trap();
    for (int i = 0; i < NFIELDS; i++) {
        pfields[i].source_id = FIELDS[i].source;
        pfields[i].field_id = 1000 + i;
        pfields[i].name = (char *)FIELDS[i].name;
        pfields[i].transform.kind = FIELDS[i].kind;
        pfields[i].transform.param = FIELDS[i].param;
    }
    spec.fields = pfields;
    spec.nfields = NFIELDS;
}

/* Takes n bytes of the row's input (zeros past its end). */
static void take(const uint8_t **p, size_t *left, void *out, size_t n) {
    memset(out, 0, n);
    size_t k = n < *left ? n : *left;
    memcpy(out, *p, k);
    *p += k;
    *left -= k;
}

/* One value per column from the bytes; strings and binary of up to 7 bytes
 * (UTF-8 for strings), decimals of 4 bytes. */
static void make_row(const uint8_t *p, size_t n, floe_ice_datum *row, uint8_t bytes[NCOLS][8]) {
    for (int c = 0; c < NCOLS; c++) {
        floe_ice_datum *d = &row[c];
        memset(d, 0, sizeof *d);
        uint8_t flag;
        take(&p, &n, &flag, 1);
        const floe_ice_field *f = floe_ice_schema_field_by_id(schema, c + 1);
        if ((flag & 3) == 0 && !f->required) {
            d->is_null = 1;
            continue;
        }
        int64_t v;
        take(&p, &n, &v, 8);
        switch (f->type->kind) {
        case FLOE_ICE_INT: d->i = (int32_t)v; break;
        case FLOE_ICE_DATE: d->i = (int32_t)(v % 4000000); break;
        case FLOE_ICE_BOOLEAN: d->i = v & 1; break;
        case FLOE_ICE_TIMESTAMP: d->i = v % 400000000000000000LL; break;
        case FLOE_ICE_DOUBLE: memcpy(&d->d, &v, 8); break;
        case FLOE_ICE_FLOAT: {
            float x;
            memcpy(&x, &v, 4);
            d->d = x;
            break;
        }
        case FLOE_ICE_DECIMAL:
            memcpy(bytes[c], &v, 4);
            d->p = bytes[c];
            d->n = 4;
            break;
        case FLOE_ICE_STRING:
        case FLOE_ICE_BINARY: {
            size_t len = (size_t)(flag >> 2) % 8;
            memcpy(bytes[c], &v, 8);
            if (f->type->kind == FLOE_ICE_STRING)
                for (size_t i = 0; i < len; i++) bytes[c][i] = (uint8_t)('a' + bytes[c][i] % 26);
            d->p = bytes[c];
            d->n = len;
            break;
        }
        default:
            /* Longs within 2^62: transform.c's truncate overflows for
             * values near the ends of the range. */
            d->i = v / 4;
            break;
        }
    }
}

/* Metrics of a file holding only `row`. */
typedef struct one_row_file {
    floe_ice_data_file f;
    floe_ice_metric values[NCOLS], nulls[NCOLS], nans[NCOLS];
    floe_ice_bound lower[NCOLS], upper[NCOLS];
    floe_buf bounds[NCOLS];
} one_row_file;

static void make_file(const floe_ice_datum *row, one_row_file *o) {
    memset(o, 0, sizeof *o);
    floe_ice_data_file *f = &o->f;
    f->record_count = 1;
    f->value_counts = o->values;
    f->null_value_counts = o->nulls;
    f->nan_value_counts = o->nans;
    f->lower_bounds = o->lower;
    f->upper_bounds = o->upper;
    for (int c = 0; c < NCOLS; c++) {
        const floe_ice_field *fd = floe_ice_schema_field_by_id(schema, c + 1);
        int fl = fd->type->kind == FLOE_ICE_FLOAT || fd->type->kind == FLOE_ICE_DOUBLE;
        int nan = fl && !row[c].is_null && isnan(row[c].d);
        o->values[f->nvalue_counts++] = (floe_ice_metric){c + 1, 1};
        o->nulls[f->nnull_value_counts++] = (floe_ice_metric){c + 1, row[c].is_null};
        if (fl) o->nans[f->nnan_value_counts++] = (floe_ice_metric){c + 1, nan};
        if (row[c].is_null || nan) continue;
        floe_buf_init(&o->bounds[c]);
        floe_ice_value_to_bytes(fd->type, &row[c], &o->bounds[c]);
        floe_ice_bound b = {c + 1, o->bounds[c].data, (uint32_t)o->bounds[c].len};
        o->lower[f->nlower_bounds++] = b;
        o->upper[f->nupper_bounds++] = b;
    }
}

static void check_inclusive(const floe_expr *b, const floe_ice_datum *row) {
    floe_ice_datum vals[NCOLS + 1];
    for (int i = 0; i < b->nids; i++) vals[i] = row[b->ids[i] - 1];
    if (!floe_expr_eval(b, vals)) return;

    floe_ice_datum tuple[NFIELDS];
    uint8_t tbytes[NFIELDS][16];
    floe_ice_field_summary sums[NFIELDS];
    floe_buf sb[NFIELDS];
    memset(sums, 0, sizeof sums);
    for (int i = 0; i < NFIELDS; i++) {
        const floe_ice_field *src = floe_ice_schema_field_by_id(schema, pfields[i].source_id);
        floe_ice_transform_apply(&pfields[i].transform, src->type, &row[pfields[i].source_id - 1], &tuple[i]);
        /* A truncated decimal lives in the transform's scratch: keep a copy. */
        if (tuple[i].p && tuple[i].n <= sizeof tbytes[i]) {
            memcpy(tbytes[i], tuple[i].p, tuple[i].n);
            tuple[i].p = tbytes[i];
        }
        floe_buf_init(&sb[i]);
        floe_err err = {0};
        floe_ice_type *rt = floe_ice_transform_result_type(&pfields[i].transform, src->type, &err);
        if (!rt) __builtin_trap();
        int fl = rt->kind == FLOE_ICE_FLOAT || rt->kind == FLOE_ICE_DOUBLE;
        sums[i].contains_null = tuple[i].is_null;
        sums[i].has_contains_nan = fl;
        sums[i].contains_nan = fl && !tuple[i].is_null && isnan(tuple[i].d);
        if (!tuple[i].is_null && !sums[i].contains_nan) {
            floe_ice_value_to_bytes(rt, &tuple[i], &sb[i]);
            sums[i].lower = sums[i].upper = sb[i].data ? sb[i].data : (uint8_t *)"";
            sums[i].nlower = sums[i].nupper = (uint32_t)sb[i].len;
        }
        floe_ice_type_free(rt);
    }
    floe_expr *p = floe_expr_project(b, &spec);
    if (!floe_expr_eval(p, tuple)) __builtin_trap();
    if (!floe_expr_eval_summaries(p, sums, NFIELDS)) __builtin_trap();
    floe_expr_free(p);
    for (int i = 0; i < NFIELDS; i++) floe_buf_free(&sb[i]);

    one_row_file o;
    make_file(row, &o);
    if (!floe_expr_eval_metrics(b, &o.f)) __builtin_trap();
    for (int c = 0; c < NCOLS; c++) floe_buf_free(&o.bounds[c]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!schema) setup();
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    char *text = malloc(tlen + 1);
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    floe_err err = {0};
    floe_expr *u = floe_expr_parse(text, &err);
    if (!u) {
        must_say_why(&err);
        free(text);
        return 0;
    }
    floe_buf s;
    floe_buf_init(&s);
    floe_expr_to_string(u, &s);
    floe_expr *b = floe_expr_bind(u, schema, &err);
    if (!b) {
        must_say_why(&err);
    } else {
        floe_expr_to_string(b, &s);
        floe_ice_datum row[NCOLS];
        uint8_t bytes[NCOLS][8];
        size_t off = nl ? tlen + 1 : size;
        make_row(data + off, size - off, row, bytes);
        check_inclusive(b, row);
        floe_expr_free(b);
    }
    floe_buf_free(&s);
    floe_expr_free(u);
    free(text);
    return 0;
}
