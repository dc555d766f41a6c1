/*
 * test_pq_encoder.c — the Parquet writer's background page encoder
 * (floe_pq_encoder, opts.encoder in writer.c): files written with it must
 * be byte for byte the files written without it, through many pages and
 * row groups, dictionary fallback, nulls, lists, structs, every writable
 * codec, records the shredder rejects half-way (abort_row after a page
 * cut), writers sharing one encoder, and size and memory queries while
 * pages are out; and a writer freed with pages in flight must not leak
 * or touch freed memory (the ASan build checks that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/iceberg.h"
#include "floe/ndjson.h"
#include "floe/parquet.h"
#include "format/parquet/codec.h"
#include "test.h"
#include "util/err.h"
#include "util/mem.h"

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"user\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"event\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"amount\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"ok\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":7,\"name\":\"n\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":8,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":9,"
    "\"element-required\":false,\"element\":\"string\"}},"
    "{\"id\":10,\"name\":\"geo\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":11,\"name\":\"lat\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":12,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}}]}";

static uint64_t rng_state;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* Record i as NDJSON: low- and high-cardinality strings (user becomes
 * unique half-way, which makes its dictionary fall back), nulls, lists,
 * a struct, and every 997th record rejected by the shredder after some of
 * its columns were written. */
static void record(int i, floe_buf *b) {
    static const char *const events[] = {"view", "click", "add_to_cart", "purchase"};
    b->len = 0;
    floe_buf_printf(b, "{\"id\":%d,\"ts\":\"2024-05-01T09:%02d:%02d.%03dZ\"", i, (i / 60) % 60, i % 60, i % 1000);
    if (i % 7) floe_buf_printf(b, ",\"user\":\"u-%u\"", i < 30000 ? rnd() % 500 : rnd());
    floe_buf_printf(b, ",\"event\":\"%s\"", events[rnd() % 4]);
    if (i % 3) floe_buf_printf(b, ",\"amount\":%u.%02u", rnd() % 1000, rnd() % 100);
    if (i % 5) floe_buf_printf(b, ",\"ok\":%s", rnd() & 1 ? "true" : "false");
    if (i % 997 == 0) {
        floe_buf_puts(b, ",\"n\":\"not a number\"}");
        return;
    }
    floe_buf_printf(b, ",\"n\":%d", (int)(rnd() % 100000) - 50000);
    int nt = (int)(rnd() % 4);
    if (nt < 3) {
        floe_buf_puts(b, ",\"tags\":[");
        for (int k = 0; k < nt; k++) floe_buf_printf(b, "%s\"t%u\"", k ? "," : "", rnd() % 50);
        floe_buf_puts(b, "]");
    }
    if (i % 4) floe_buf_printf(b, ",\"geo\":{\"lat\":%u.5,\"city\":\"c%u\"}", rnd() % 90, rnd() % 300);
    floe_buf_puts(b, "}");
}

static int mem_write(void *ctx, const void *data, size_t len, floe_err *err) {
    (void)err;
    floe_buf_append(ctx, data, len);
    return 0;
}

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    const floe_buf *b = ctx;
    if (off > b->len || len > b->len - off) return floe_err_set(err, FLOE_EIO, "read past the end");
    memcpy(buf, b->data + off, len);
    return 0;
}

typedef struct fixture {
    floe_ice_schema *is;
    floe_pq_schema *ps;
} fixture;

static int fixture_open(fixture *f) {
    floe_err err = {0};
    f->is = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    f->ps = f->is ? floe_ice_schema_to_parquet(f->is, &err) : NULL;
    if (!f->ps) fprintf(stderr, "  schema: %s\n", err.msg);
    return f->ps ? 0 : -1;
}

static void fixture_close(fixture *f) {
    floe_pq_schema_free(f->ps);
    floe_ice_schema_free(f->is);
}

static void small_opts(floe_pq_writer_opts *o, int codec, floe_pq_encoder *enc) {
    floe_pq_writer_opts_default(o);
    o->codec = codec;
    o->page_row_limit = 700;           /* many pages */
    o->page_size = 6000;               /* and cuts by bytes too */
    o->row_group_size = 150 * 1024;    /* several row groups */
    o->dict_size_limit = 40 * 1024;    /* user's dictionary falls back */
    o->encoder = enc;
}

/* Writes records [0, n) into out; also returns the rows the shredder took
 * and the size estimates and memory figures seen on the way (those must
 * not depend on the encoder either, except memory, which is only read). */
static int write_file(const fixture *f, const floe_pq_writer_opts *o, int n, floe_buf *out, int64_t *rows,
                      int64_t *est_sum) {
    floe_err err = {0};
    floe_pq_writer *w = floe_pq_writer_new(f->ps, o, mem_write, out, &err);
    if (!w) return -1;
    floe_ndjson *s = floe_ndjson_new(f->ps, w, &err);
    floe_buf line;
    floe_buf_init(&line);
    rng_state = 42;
    *est_sum = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        record(i, &line);
        if (floe_ndjson_write(s, (const char *)line.data, line.len, i + 1, &err)) bad++;
        if (i % 5000 == 4999) {
            *est_sum += floe_pq_writer_estimated_size(w);
            if (floe_pq_writer_memory(w) == 0) bad += 1000000;
        }
    }
    *rows = floe_pq_writer_rows(w);
    int rc = floe_pq_writer_close(w, &err);
    if (rc) fprintf(stderr, "  close: %s\n", err.msg);
    floe_ndjson_free(s);
    floe_pq_writer_free(w);
    floe_buf_free(&line);
    return rc ? -1 : bad;
}

TEST(same_bytes_every_codec) {
    fixture f;
    if (fixture_open(&f)) {
        CHECK(0);
        return;
    }
    floe_err err = {0};
    floe_pq_encoder *enc = floe_pq_encoder_new(&err);
    CHECK(enc != NULL);
    const int codecs[] = {FLOE_PQ_CODEC_ZSTD, FLOE_PQ_CODEC_SNAPPY, FLOE_PQ_CODEC_UNCOMPRESSED, FLOE_PQ_CODEC_GZIP};
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
        if (!floe_codec_can_write(codecs[k])) continue;
        floe_pq_writer_opts o1, o2;
        small_opts(&o1, codecs[k], NULL);
        small_opts(&o2, codecs[k], enc);
        floe_buf a, b;
        floe_buf_init(&a);
        floe_buf_init(&b);
        int64_t ra = 0, rb = 0, ea = 0, eb = 0;
        int bad_a = write_file(&f, &o1, 60000, &a, &ra, &ea);
        int bad_b = write_file(&f, &o2, 60000, &b, &rb, &eb);
        CHECK(bad_a > 0);              /* the rejected records were rejected... */
        CHECK_EQ_INT(bad_a, bad_b);    /* ...the same ones */
        CHECK_EQ_INT(ra, rb);
        CHECK_EQ_INT(ra, 60000 - bad_a);
        CHECK_EQ_INT(ea, eb);
        CHECK(a.len > 100000);
        CHECK_EQ_INT(a.len, b.len);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        /* and it reads back */
        floe_pq_reader *r = floe_pq_reader_open(mem_read, &b, b.len, "b", &err);
        CHECK(r != NULL);
        if (r) {
            CHECK_EQ_INT(floe_pq_reader_num_rows(r), rb);
            CHECK(floe_pq_reader_num_row_groups(r) > 2);
            floe_pq_reader_free(r);
        }
        floe_buf_free(&a);
        floe_buf_free(&b);
    }
    floe_pq_encoder_free(enc);
    fixture_close(&f);
}

/* Two writers share one encoder, their records interleaved: each file is
 * the one it would be alone and without an encoder. */
TEST(shared_encoder_two_writers) {
    fixture f;
    if (fixture_open(&f)) {
        CHECK(0);
        return;
    }
    floe_err err = {0};
    floe_pq_writer_opts plain, async;
    small_opts(&plain, FLOE_PQ_CODEC_ZSTD, NULL);
    floe_buf want;
    floe_buf_init(&want);
    int64_t rows = 0, est = 0;
    CHECK(write_file(&f, &plain, 20000, &want, &rows, &est) >= 0);

    floe_pq_encoder *enc = floe_pq_encoder_new(&err);
    small_opts(&async, FLOE_PQ_CODEC_ZSTD, enc);
    floe_buf out[2];
    floe_pq_writer *w[2];
    floe_ndjson *s[2];
    for (int k = 0; k < 2; k++) {
        floe_buf_init(&out[k]);
        w[k] = floe_pq_writer_new(f.ps, &async, mem_write, &out[k], &err);
        s[k] = floe_ndjson_new(f.ps, w[k], &err);
    }
    floe_buf line;
    floe_buf_init(&line);
    /* the same records into both, interleaved one by one */
    rng_state = 42;
    for (int i = 0; i < 20000; i++) {
        record(i, &line);
        for (int k = 0; k < 2; k++) floe_ndjson_write(s[k], (const char *)line.data, line.len, i + 1, &err);
    }
    for (int k = 0; k < 2; k++) {
        CHECK_OK(floe_pq_writer_close(w[k], &err), &err);
        CHECK_EQ_INT(out[k].len, want.len);
        CHECK(out[k].len == want.len && memcmp(out[k].data, want.data, want.len) == 0);
        floe_ndjson_free(s[k]);
        floe_pq_writer_free(w[k]);
        floe_buf_free(&out[k]);
    }
    floe_pq_encoder_free(enc);
    floe_buf_free(&line);
    floe_buf_free(&want);
    fixture_close(&f);
}

/* Freed without close while pages are with the encoder: free waits for
 * them (ASan sees no use after free and no leak). */
TEST(free_with_pages_in_flight) {
    fixture f;
    if (fixture_open(&f)) {
        CHECK(0);
        return;
    }
    floe_err err = {0};
    floe_pq_encoder *enc = floe_pq_encoder_new(&err);
    floe_pq_writer_opts o;
    small_opts(&o, FLOE_PQ_CODEC_ZSTD, enc);
    o.page_row_limit = 50;
    floe_buf out;
    floe_buf_init(&out);
    floe_pq_writer *w = floe_pq_writer_new(f.ps, &o, mem_write, &out, &err);
    floe_ndjson *s = floe_ndjson_new(f.ps, w, &err);
    floe_buf line;
    floe_buf_init(&line);
    rng_state = 7;
    for (int i = 1; i <= 5000; i++) {
        record(i, &line);
        floe_ndjson_write(s, (const char *)line.data, line.len, i, &err);
    }
    CHECK(floe_pq_writer_memory(w) > 0);
    CHECK_EQ_INT(floe_pq_writer_rows(w), 5000 - 5); /* 997 * k for k = 1..5 */
    floe_ndjson_free(s);
    floe_pq_writer_free(w);
    floe_pq_encoder_free(enc);
    floe_buf_free(&line);
    floe_buf_free(&out);
    fixture_close(&f);
}

TEST_MAIN(T(same_bytes_every_codec), T(shared_encoder_two_writers), T(free_with_pages_in_flight))
