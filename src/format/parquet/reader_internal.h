/*
 * reader_internal.h — what the three parts of the Parquet reader share:
 * reader.c (footer, metadata accessors), column_reader.c (pages to leaf
 * batches) and assemble.c (leaf batches to JSON rows).
 *
 * A reader, its column readers and its row readers are used from one thread
 * at a time: they share the reader's decompression contexts.
 */
#ifndef FLOE_PARQUET_READER_INTERNAL_H
#define FLOE_PARQUET_READER_INTERNAL_H

#include "format/parquet/codec.h"
#include "format/parquet/meta.h"

/* Limits on sizes that come from file bytes, checked before allocating. */
#define FLOE_PQ_MAX_PAGE_BYTES ((size_t)1 << 30)   /* a page's uncompressed size */

struct floe_pq_reader {
    floe_pq_read_fn fn;
    void *ctx;
    uint64_t size;
    char *name;                /* for messages */
    int fd;                    /* owned descriptor of open_file, else -1 */
    uint64_t footer_start;     /* offset of the footer's first byte: chunks end before it */
    uint8_t *footer;           /* the thrift bytes; meta's slices point into them */
    floe_arena arena;          /* meta's arrays, kv strings */
    floe_pq_file_meta meta;
    floe_pq_schema *schema;
    const char *created_by;    /* NUL-terminated copy, NULL when absent */
    const char **keys, **values;
    floe_codec_ctx *codec;
};

/* Reads len bytes at offset through the caller's callback; checks the range
 * lies in the file. */
int floe_pq_reader_read(floe_pq_reader *r, uint64_t offset, void *buf, size_t len, floe_err *err);

/* Prefixes err with "<file>: row group <rg>, column '<path>'"; returns -1. */
int floe_pq_reader_err_column(const floe_pq_reader *r, int rg, int leaf, floe_err *err);

#endif
