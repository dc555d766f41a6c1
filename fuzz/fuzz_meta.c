/*
 * fuzz_meta.c — libFuzzer target for the Parquet metadata decoders: the
 * input is parsed as a FileMetaData (a footer) and as a PageHeader.  Beyond
 * "no crash, no overread, no leak" it checks that whatever parses is stable
 * under re-encoding: write(parse(write(parse(x)))) == write(parse(x)).
 *
 *   make fuzz && build/fuzz/fuzz_meta -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/parquet/meta.h"

static void check_same(const floe_buf *a, const floe_buf *b) {
    if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0) __builtin_trap();
}

static void fuzz_footer(const uint8_t *data, size_t size) {
    floe_arena arena;
    floe_arena_init(&arena, 0);
    floe_err err = {0};
    floe_pq_file_meta m, m2;
    if (floe_pq_meta_parse(data, size, &arena, &m, &err) == 0) {
        floe_buf once, twice;
        floe_buf_init(&once);
        floe_buf_init(&twice);
        floe_pq_meta_write(&m, &once);
        if (floe_pq_meta_parse(once.data, once.len, &arena, &m2, &err) != 0) __builtin_trap();
        floe_pq_meta_write(&m2, &twice);
        check_same(&once, &twice);
        floe_buf_free(&once);
        floe_buf_free(&twice);
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* a failure must say why */
    }
    floe_arena_free(&arena);
}

static void fuzz_page_header(const uint8_t *data, size_t size) {
    floe_err err = {0};
    floe_pq_page_header h, h2;
    size_t used;
    if (floe_pq_page_header_parse(data, size, &h, &used, &err) == 0) {
        if (used > size) __builtin_trap();
        floe_buf once, twice;
        floe_buf_init(&once);
        floe_buf_init(&twice);
        floe_pq_page_header_write(&h, &once);
        if (floe_pq_page_header_parse(once.data, once.len, &h2, &used, &err) != 0 || used != once.len)
            __builtin_trap();
        floe_pq_page_header_write(&h2, &twice);
        check_same(&once, &twice);
        floe_buf_free(&once);
        floe_buf_free(&twice);
    } else if (err.msg[0] == '\0') {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_footer(data, size);
    fuzz_page_header(data, size);
    return 0;
}
