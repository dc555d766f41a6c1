/*
 * fuzz_parquet_reader.c — libFuzzer target for the Parquet reader: the input
 * bytes are a file read through a memory callback; every column chunk of
 * every row group is read in batches and every row rendered as JSON.  Work
 * per input is capped (batches, rows, JSON bytes) so that a file that
 * legitimately holds a lot does not read as a hang.
 *
 * Seed with the parquet-testing corpus:
 *   build/fuzz/fuzz_parquet_reader -max_len=65536 corpus/ /work/shared/parquet-testing/data
 */
#include <stdint.h>
#include <string.h>

#include "floe/floe.h"
#include "util/mem.h"

#define MAX_BATCHES 4096
#define MAX_ROWS 20000
#define MAX_JSON ((size_t)16 << 20)

typedef struct { const uint8_t *p; size_t n; } mem;

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    const mem *m = ctx;
    (void)err;
    memcpy(buf, m->p + off, len); /* the reader checks ranges against the size first */
    return 0;
}

static void read_columns(floe_pq_reader *r) {
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    int batches = 0;
    for (int g = 0; g < floe_pq_reader_num_row_groups(r); g++)
        for (int c = 0; c < s->nleaves; c++) {
            floe_err err = {0};
            floe_pq_chunk_info ci;
            floe_pq_reader_chunk_info(r, g, c, &ci);
            floe_pq_column_reader *cr = floe_pq_column_open(r, g, c, &err);
            if (!cr) continue;
            floe_pq_batch b;
            while (batches++ < MAX_BATCHES && floe_pq_column_next(cr, 257, &b, &err) == 1) {
                /* Touch what the batch claims to hold. */
                volatile unsigned sink = 0;
                for (size_t i = 0; i < b.n; i++) sink += (unsigned)(b.def ? b.def[i] : 0) + (unsigned)(b.rep ? b.rep[i] : 0);
                if (b.nvalues && (b.physical == FLOE_PQ_BYTE_ARRAY || b.physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ||
                                  b.physical == FLOE_PQ_INT96))
                    for (size_t i = 0; i < b.nvalues; i++)
                        sink += b.v.bytes[i].len ? b.v.bytes[i].ptr[b.v.bytes[i].len - 1] : 0;
                (void)sink;
            }
            floe_pq_column_free(cr);
        }
}

static void read_rows(floe_pq_reader *r) {
    floe_err err = {0};
    floe_pq_row_reader *rr = floe_pq_rows_open(r, NULL, 0, &err);
    if (!rr) return;
    floe_buf out;
    floe_buf_init(&out);
    for (int n = 0; n < MAX_ROWS && out.len < MAX_JSON; n++)
        if (floe_pq_rows_next_json(rr, &out, &err) != 1) break;
    floe_buf_free(&out);
    floe_pq_rows_free(rr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mem m = {data, size};
    floe_err err = {0};
    floe_pq_reader *r = floe_pq_reader_open(mem_read, &m, size, "fuzz", &err);
    if (!r) return 0;
    const char *const *keys, *const *values;
    int nkv = floe_pq_reader_kv(r, &keys, &values);
    for (int i = 0; i < nkv; i++) (void)(strlen(keys[i]) + strlen(values[i]));
    read_columns(r);
    read_rows(r);
    floe_pq_reader_free(r);
    return 0;
}
