/*
 * fuzz_ndjson.c — libFuzzer target for the NDJSON shredder: the input is
 * NDJSON, shredded line by line into a real Parquet writer (small pages and
 * row groups, so flushing runs too).  The schema is fixed and nested so that
 * every kind of plan node is exercised: structs, 3-level lists of structs
 * with inner lists, maps with converted keys, an un-annotated repeated
 * field, and leaves of every value kind.
 *
 * Oracle: the file must read back with as many rows as were accepted, and
 * the rows printed as NDJSON must shred and print again to the same text
 * (what floe prints, floe reads back unchanged: docs/ndjson.md).
 *
 * Each input line is copied into a buffer of exactly its length, so ASan
 * catches any read past the end of a line.
 *   build/fuzz/fuzz_ndjson -max_len=4096 corpus/
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "floe/floe.h"
#include "floe/ndjson.h"
#include "util/mem.h"

static int to_buf(void *ctx, const void *data, size_t len, floe_err *err) {
    (void)err;
    floe_buf_append(ctx, data, len);
    return 0;
}

static int from_buf(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    (void)err;
    memcpy(buf, ((const floe_buf *)ctx)->data + off, len); /* the reader checks ranges first */
    return 0;
}

static floe_pq_node *leaf(floe_pq_node *p, const char *name, int rep, int phys) {
    return floe_pq_node_leaf(p, name, rep, phys, -1);
}

static floe_pq_node *annotated(floe_pq_node *n, int kind) {
    n->logical.kind = kind;
    return n;
}

static floe_pq_schema *build_schema(void) {
    floe_pq_schema *s = floe_pq_schema_new("schema");
    floe_pq_node *r = s->root, *n, *g, *kv;
    leaf(r, "id", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    annotated(leaf(r, "s", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY), FLOE_PQ_LT_STRING);
    leaf(r, "f", FLOE_PQ_OPTIONAL, FLOE_PQ_FLOAT);
    leaf(r, "d", FLOE_PQ_OPTIONAL, FLOE_PQ_DOUBLE);
    leaf(r, "ok", FLOE_PQ_OPTIONAL, FLOE_PQ_BOOLEAN);
    n = leaf(r, "i8", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_INTEGER, .bit_width = 8, .is_signed = 1};
    n = leaf(r, "ts", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIMESTAMP, .unit = FLOE_PQ_UNIT_MICROS, .utc = 1};
    n = leaf(r, "tm", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_TIME, .unit = FLOE_PQ_UNIT_MILLIS};
    annotated(leaf(r, "day", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32), FLOE_PQ_LT_DATE);
    n = leaf(r, "dec", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n->type_length = 9;
    n->logical = (floe_pq_logical){.kind = FLOE_PQ_LT_DECIMAL, .precision = 20, .scale = 3};
    n = leaf(r, "u", FLOE_PQ_OPTIONAL, FLOE_PQ_FIXED_LEN_BYTE_ARRAY);
    n->type_length = 16;
    n->logical.kind = FLOE_PQ_LT_UUID;
    leaf(r, "bin", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY);
    leaf(r, "r", FLOE_PQ_REPEATED, FLOE_PQ_INT32);
    /* items: list<struct<k: string, vs: list<long>>> */
    g = annotated(floe_pq_node_group(r, "items", FLOE_PQ_OPTIONAL, -1), FLOE_PQ_LT_LIST);
    g = floe_pq_node_group(floe_pq_node_group(g, "list", FLOE_PQ_REPEATED, -1), "element", FLOE_PQ_OPTIONAL, -1);
    annotated(leaf(g, "k", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY), FLOE_PQ_LT_STRING);
    g = annotated(floe_pq_node_group(g, "vs", FLOE_PQ_OPTIONAL, -1), FLOE_PQ_LT_LIST);
    leaf(floe_pq_node_group(g, "list", FLOE_PQ_REPEATED, -1), "element", FLOE_PQ_REQUIRED, FLOE_PQ_INT64);
    /* m: map<string, map<int, boolean>> */
    g = annotated(floe_pq_node_group(r, "m", FLOE_PQ_OPTIONAL, -1), FLOE_PQ_LT_MAP);
    kv = floe_pq_node_group(g, "key_value", FLOE_PQ_REPEATED, -1);
    annotated(leaf(kv, "key", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY), FLOE_PQ_LT_STRING);
    g = annotated(floe_pq_node_group(kv, "value", FLOE_PQ_OPTIONAL, -1), FLOE_PQ_LT_MAP);
    kv = floe_pq_node_group(g, "key_value", FLOE_PQ_REPEATED, -1);
    leaf(kv, "key", FLOE_PQ_REQUIRED, FLOE_PQ_INT32);
    leaf(kv, "value", FLOE_PQ_OPTIONAL, FLOE_PQ_BOOLEAN);
    /* st: struct<a: int, inner: struct<b: string>> */
    g = floe_pq_node_group(r, "st", FLOE_PQ_OPTIONAL, -1);
    leaf(g, "a", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32);
    annotated(leaf(floe_pq_node_group(g, "inner", FLOE_PQ_REQUIRED, -1), "b", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY),
              FLOE_PQ_LT_STRING);
    floe_err err;
    if (floe_pq_schema_finish(s, &err)) abort();
    return s;
}

/* Shreds NDJSON text into a Parquet file in *file; returns the rows written. */
static int64_t shred(const floe_pq_schema *schema, const char *p, size_t size, floe_buf *file) {
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.codec = FLOE_PQ_CODEC_UNCOMPRESSED;
    o.page_size = 512;
    o.row_group_size = 4096;
    floe_err err = {0};
    floe_pq_writer *w = floe_pq_writer_new(schema, &o, to_buf, file, &err);
    if (!w) abort();
    floe_ndjson *nd = floe_ndjson_new(schema, w, &err);
    if (!nd) abort();
    /* The streaming modes, chosen by the input's length: names matched
     * ignoring case; unknown fields failing the record (FLOE_ENOTFOUND). */
    floe_ndjson_set_ignore_case(nd, size & 1);
    floe_ndjson_set_strict_fields(nd, (size >> 1) & 1);
    const char *end = p + size;
    int64_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = floe_xmalloc(len);
        memcpy(line, p, len);
        if (floe_ndjson_write(nd, line, len, ++lineno, &err) && err.code != FLOE_EINVAL &&
            !(err.code == FLOE_ENOTFOUND && ((size >> 1) & 1)))
            abort();
        free(line);
        p += len + (nl ? 1 : 0);
    }
    if (floe_pq_writer_close(w, &err)) abort();
    int64_t rows = floe_ndjson_rows(nd);
    floe_ndjson_free(nd);
    floe_pq_writer_free(w);
    return rows;
}

/* Prints every row of the file as NDJSON into *out; returns the row count. */
static int64_t print(floe_buf *file, floe_buf *out) {
    floe_err err = {0};
    floe_pq_reader *r = floe_pq_reader_open(from_buf, file, file->len, "fuzz.parquet", &err);
    if (!r) abort();
    floe_pq_row_reader *rr = floe_pq_rows_open(r, NULL, 0, &err);
    if (!rr) abort();
    int64_t rows = 0;
    int rc;
    while ((rc = floe_pq_rows_next_json(rr, out, &err)) == 1) {
        floe_buf_putc(out, '\n');
        rows++;
    }
    if (rc < 0 || rows != floe_pq_reader_num_rows(r)) abort();
    floe_pq_rows_free(rr);
    floe_pq_reader_free(r);
    return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static floe_pq_schema *schema;
    if (!schema) schema = build_schema();
    floe_buf f1, f2, j1, j2;
    floe_buf_init(&f1);
    floe_buf_init(&f2);
    floe_buf_init(&j1);
    floe_buf_init(&j2);
    int64_t rows = shred(schema, (const char *)data, size, &f1);
    if (print(&f1, &j1) != rows) abort();
    /* printed rows must all read back */
    if (shred(schema, j1.len ? (const char *)j1.data : "", j1.len, &f2) != rows) abort();
    if (print(&f2, &j2) != rows || j1.len != j2.len || (j1.len && memcmp(j1.data, j2.data, j1.len) != 0)) abort();
    floe_buf_free(&f1);
    floe_buf_free(&f2);
    floe_buf_free(&j1);
    floe_buf_free(&j2);
    return 0;
}
