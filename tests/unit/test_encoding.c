/*
 * test_encoding.c — Parquet encodings (src/format/parquet/encoding.c):
 * byte vectors from parquet-format Encodings.md, round trips over random
 * data at every bit width, streaming decodes in odd-sized pieces, edge
 * cases (empty input, one value, 64-bit extremes, long runs), corrupt and
 * truncated input, and parquet-mr's delta_binary_packed.parquet from
 * parquet-testing against its expected CSV.
 */
#include <stdint.h>

#include "format/parquet/encoding.h"
#include "test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return test_xorshift64(&rng_state); }

static int bytes_eq(const floe_buf *b, const uint8_t *want, size_t n) {
    return b->len == n && (n == 0 || memcmp(b->data, want, n) == 0);
}

static int has(const floe_err *err, const char *s) { return strstr(err->msg, s) != NULL; }

/* Reference packers, one bit at a time. */
static void ref_pack_lsb(const uint64_t *v, size_t n, int bw, uint8_t *out, size_t outlen) {
    memset(out, 0, outlen);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < bw; b++, bit++)
            if ((v[i] >> b) & 1) out[bit / 8] |= (uint8_t)(1u << (bit % 8));
}
static void ref_pack_msb(const uint32_t *v, size_t n, int bw, uint8_t *out, size_t outlen) {
    memset(out, 0, outlen);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = bw - 1; b >= 0; b--, bit++)
            if ((v[i] >> b) & 1) out[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

static uint32_t mask32(int bw) { return bw >= 32 ? UINT32_MAX : (UINT32_C(1) << bw) - 1; }

TEST(test_bit_width) {
    CHECK_EQ_INT(floe_bit_width(0), 0);
    CHECK_EQ_INT(floe_bit_width(1), 1);
    CHECK_EQ_INT(floe_bit_width(2), 2);
    CHECK_EQ_INT(floe_bit_width(3), 2);
    CHECK_EQ_INT(floe_bit_width(255), 8);
    CHECK_EQ_INT(floe_bit_width(256), 9);
    CHECK_EQ_INT(floe_bit_width(UINT32_MAX), 32);
    CHECK_EQ_INT(floe_bit_width(UINT64_MAX), 64);
}

/* Encodings.md: 0..7 at width 3, LSB first -> 10001000 11000110 11111010,
 * and the deprecated MSB-first BIT_PACKED -> 00000101 00111001 01110111. */
TEST(test_bitpack_spec_vectors) {
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    floe_buf b;
    floe_buf_init(&b);
    floe_bitpack(v, 8, 3, &b);
    const uint8_t want[] = {0x88, 0xC6, 0xFA};
    CHECK(bytes_eq(&b, want, 3));
    floe_buf_free(&b);

    const uint8_t legacy[] = {0x05, 0x39, 0x77};
    uint32_t out[8];
    floe_err err = {0};
    CHECK_OK(floe_bitpacked_legacy_decode(legacy, 3, 3, out, 8, &err), &err);
    CHECK(memcmp(out, v, sizeof v) == 0);
}

TEST(test_bitpack_matches_reference) {
    for (int bw = 0; bw <= 32; bw++) {
        for (size_t n = 0; n < 70; n += 1 + n / 4) {
            uint32_t v[70];
            uint64_t v64[70];
            for (size_t i = 0; i < n; i++) v64[i] = v[i] = (uint32_t)rnd() & mask32(bw);
            uint8_t want[70 * 4 + 1];
            size_t nb = (n * (size_t)bw + 7) / 8;
            ref_pack_lsb(v64, n, bw, want, sizeof want);
            floe_buf b;
            floe_buf_init(&b);
            floe_bitpack(v, n, bw, &b);
            CHECK(bytes_eq(&b, want, nb));
            floe_buf_free(&b);
        }
    }
}

TEST(test_bitpacked_legacy_round_trip) {
    floe_err err = {0};
    for (int bw = 0; bw <= 32; bw++) {
        uint32_t v[37], out[37];
        uint8_t packed[37 * 4];
        for (size_t i = 0; i < 37; i++) v[i] = (uint32_t)rnd() & mask32(bw);
        size_t nb = (37 * (size_t)bw + 7) / 8;
        ref_pack_msb(v, 37, bw, packed, sizeof packed);
        CHECK_OK(floe_bitpacked_legacy_decode(packed, nb, bw, out, 37, &err), &err);
        CHECK(memcmp(out, v, sizeof v) == 0);
        if (bw > 0) {
            CHECK(floe_bitpacked_legacy_decode(packed, nb - 1, bw, out, 37, &err) == -1);
            CHECK(has(&err, "BIT_PACKED"));
        }
    }
    uint32_t out[1];
    CHECK(floe_bitpacked_legacy_decode((const uint8_t *)"xxxxx", 5, 33, out, 1, &err) == -1);
    CHECK(has(&err, "bit width 33"));
}

/* Hybrid runs built by hand from the grammar in Encodings.md. */
TEST(test_rle_known_bytes) {
    floe_buf b;
    floe_buf_init(&b);

    /* One bit-packed group: header (1 << 1) | 1, then the spec's bytes. */
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    floe_rle_encode(v, 8, 3, &b);
    const uint8_t want1[] = {0x03, 0x88, 0xC6, 0xFA};
    CHECK(bytes_eq(&b, want1, sizeof want1));

    /* An RLE run: header (10 << 1), value in ceil(3/8) = 1 byte. */
    uint32_t r[10];
    for (int i = 0; i < 10; i++) r[i] = 5;
    floe_buf_reset(&b);
    floe_rle_encode(r, 10, 3, &b);
    const uint8_t want2[] = {0x14, 0x05};
    CHECK(bytes_eq(&b, want2, sizeof want2));

    /* 300 ones at width 9: ULEB128(600) = D8 04, value in 2 bytes. */
    uint32_t *big = floe_xmalloc(300 * sizeof *big);
    for (int i = 0; i < 300; i++) big[i] = 1;
    floe_buf_reset(&b);
    floe_rle_encode(big, 300, 9, &b);
    const uint8_t want3[] = {0xD8, 0x04, 0x01, 0x00};
    CHECK(bytes_eq(&b, want3, sizeof want3));
    free(big);

    /* Three literals then ten repeats: five repeats complete the literal
     * group, and the five left are too few for a run, so everything is
     * two bit-packed groups, the second zero-padded. */
    uint32_t m[13] = {1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
    floe_buf_reset(&b);
    floe_rle_encode(m, 13, 3, &b);
    uint64_t m64[16] = {1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0};
    uint8_t want4[1 + 6];
    want4[0] = 0x05;
    ref_pack_lsb(m64, 16, 3, want4 + 1, 6);
    CHECK(bytes_eq(&b, want4, sizeof want4));

    /* Three literals then twenty repeats: group of 8, then a run of 15. */
    uint32_t q[23] = {1, 2, 3};
    for (int i = 3; i < 23; i++) q[i] = 6;
    floe_buf_reset(&b);
    floe_rle_encode(q, 23, 3, &b);
    uint64_t q64[8] = {1, 2, 3, 6, 6, 6, 6, 6};
    uint8_t want5[1 + 3 + 2];
    want5[0] = 0x03;
    ref_pack_lsb(q64, 8, 3, want5 + 1, 3);
    want5[4] = 15 << 1;
    want5[5] = 6;
    CHECK(bytes_eq(&b, want5, sizeof want5));

    /* Width 0: all zeros, an RLE run without a value byte. */
    uint32_t z[9] = {0};
    floe_buf_reset(&b);
    floe_rle_encode(z, 9, 0, &b);
    const uint8_t want6[] = {0x12};
    CHECK(bytes_eq(&b, want6, sizeof want6));
    floe_buf_free(&b);

    /* Decoding a hand-made stream: 8 ones (RLE, width 1), then one group
     * 0,1,0,1,0,1,0,1 (0xAA). */
    const uint8_t in[] = {0x10, 0x01, 0x03, 0xAA};
    uint32_t out[16];
    floe_rle_decoder d;
    floe_err err = {0};
    floe_rle_decoder_init(&d, in, sizeof in, 1);
    CHECK_OK(floe_rle_decode(&d, out, 16, &err), &err);
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(out[i], 1);
    for (int i = 8; i < 16; i++) CHECK_EQ_INT(out[i], i & 1);
    CHECK(floe_rle_decode(&d, out, 1, &err) == -1);
    CHECK(has(&err, "RLE/bit-packed hybrid") && has(&err, "data ends"));
}

/* Values mixing runs and noise, fitting bw bits. */
static void fill_levels(uint32_t *v, size_t n, int bw) {
    size_t i = 0;
    while (i < n) {
        uint32_t x = (uint32_t)rnd() & mask32(bw);
        size_t len = rnd() % 4 == 0 ? 1 + rnd() % 40 : 1;
        for (size_t k = 0; k < len && i < n; k++) v[i++] = (rnd() % 8 == 0) ? (uint32_t)rnd() & mask32(bw) : x;
    }
}

TEST(test_rle_round_trip_every_width) {
    static const size_t sizes[] = {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099};
    floe_err err = {0};
    for (int bw = 0; bw <= 32; bw++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            uint32_t *v = floe_xmalloc((n + 1) * sizeof *v), *out = floe_xmalloc((n + 1) * sizeof *out);
            fill_levels(v, n, bw);
            floe_buf b;
            floe_buf_init(&b);
            floe_rle_encode(v, n, bw, &b);
            floe_rle_decoder d;

            /* All at once. */
            floe_rle_decoder_init(&d, b.data, b.len, bw);
            CHECK_OK(floe_rle_decode(&d, out, n, &err), &err);
            CHECK(n == 0 || memcmp(out, v, n * sizeof *v) == 0);

            /* In odd pieces, so reads start and stop inside groups and runs. */
            memset(out, 0xff, (n + 1) * sizeof *out);
            floe_rle_decoder_init(&d, b.data, b.len, bw);
            size_t got = 0;
            while (got < n) {
                size_t k = 1 + rnd() % 13;
                if (k > n - got) k = n - got;
                if (floe_rle_decode(&d, out + got, k, &err) != 0) break;
                got += k;
            }
            CHECK_EQ_INT(got, n);
            CHECK(n == 0 || memcmp(out, v, n * sizeof *v) == 0);
            floe_buf_free(&b);
            free(v);
            free(out);
        }
    }
}

TEST(test_rle_long_runs) {
    size_t n = 100000;
    uint32_t *v = floe_xmalloc(n * sizeof *v), *out = floe_xmalloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++) v[i] = i < 60000 ? 3 : (i < 60005 ? (uint32_t)i & 7 : 1);
    floe_buf b;
    floe_buf_init(&b);
    floe_rle_encode(v, n, 3, &b);
    CHECK(b.len < 16);
    floe_rle_decoder d;
    floe_err err = {0};
    floe_rle_decoder_init(&d, b.data, b.len, 3);
    CHECK_OK(floe_rle_decode(&d, out, n, &err), &err);
    CHECK(memcmp(out, v, n * sizeof *v) == 0);
    floe_buf_free(&b);
    free(v);
    free(out);
}

TEST(test_rle_truncated_packed_run) {
    /* Header claims 4 groups of width 3 (12 bytes) but 5 bytes follow: they
     * hold 13 whole values, which decode; the 14th is an error. */
    uint64_t v[13];
    uint8_t in[1 + 5];
    for (int i = 0; i < 13; i++) v[i] = (uint64_t)(i * 5) & 7;
    in[0] = (4 << 1) | 1;
    ref_pack_lsb(v, 13, 3, in + 1, 5);
    floe_rle_decoder d;
    floe_err err = {0};
    uint32_t out[14];
    floe_rle_decoder_init(&d, in, sizeof in, 3);
    CHECK_OK(floe_rle_decode(&d, out, 10, &err), &err);
    CHECK_OK(floe_rle_decode(&d, out + 10, 3, &err), &err);
    for (int i = 0; i < 13; i++) CHECK_EQ_INT(out[i], v[i]);
    CHECK(floe_rle_decode(&d, out, 1, &err) == -1);
    CHECK(has(&err, "data ends"));

    floe_rle_decoder_init(&d, in, sizeof in, 3);
    CHECK(floe_rle_decode(&d, out, 14, &err) == -1);
}

/* Decoding n values of width bw from in[0..len) fails with `msg`. */
static int rle_fails(const uint8_t *in, size_t len, int bw, size_t n, const char *msg) {
    floe_rle_decoder d;
    floe_err err = {0};
    uint32_t out[8];
    floe_rle_decoder_init(&d, in, len, bw);
    return floe_rle_decode(&d, out, n, &err) == -1 && has(&err, "RLE/bit-packed hybrid") && has(&err, msg);
}

TEST(test_rle_corrupt) {
    CHECK(rle_fails(NULL, 0, 2, 1, "data ends with 1 more values wanted"));
    const uint8_t ok[] = {0x10, 0x01};
    CHECK(rle_fails(ok, sizeof ok, 33, 1, "bit width 33"));
    CHECK(rle_fails(ok, sizeof ok, -1, 1, "bit width -1"));
    /* An RLE value of width 12 needs 2 bytes. */
    CHECK(rle_fails(ok, sizeof ok, 12, 1, "needs 2 bytes"));
    /* RLE value 2 does not fit width 1. */
    const uint8_t wide[] = {0x10, 0x02};
    CHECK(rle_fails(wide, sizeof wide, 1, 1, "does not fit"));
    /* A header varint that never ends, and one beyond 64 bits. */
    const uint8_t endless[] = {0x80, 0x80, 0x80};
    CHECK(rle_fails(endless, sizeof endless, 1, 1, "run header"));
    const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    CHECK(rle_fails(huge, sizeof huge, 1, 1, "run header"));

    /* Nothing wanted from nothing is fine; a width-32 RLE value. */
    floe_rle_decoder d;
    floe_err err = {0};
    uint32_t out[8];
    floe_rle_decoder_init(&d, NULL, 0, 2);
    CHECK_OK(floe_rle_decode(&d, out, 0, &err), &err);
    const uint8_t w32[] = {0x10, 0xFF, 0xFF, 0xFF, 0xFF};
    floe_rle_decoder_init(&d, w32, sizeof w32, 32);
    CHECK_OK(floe_rle_decode(&d, out, 8, &err), &err);
    CHECK(out[7] == UINT32_MAX);
}

/* ---- DELTA_BINARY_PACKED ---- */

static void delta_round_trip(const int64_t *v, size_t n, int is32) {
    floe_buf b;
    floe_buf_init(&b);
    if (is32) {
        int32_t *v32 = floe_xmalloc((n + 1) * sizeof *v32);
        for (size_t i = 0; i < n; i++) v32[i] = (int32_t)v[i];
        floe_delta_encode32(v32, n, &b);
        free(v32);
    } else {
        floe_delta_encode(v, n, &b);
    }
    int64_t *out = floe_xmalloc((n + 1) * sizeof *out);
    size_t count = 12345, consumed = 0, peek = 0;
    floe_err err = {0};
    CHECK_OK(floe_delta_peek_count(b.data, b.len, &peek, &err), &err);
    CHECK_EQ_INT(peek, n);
    CHECK_OK(floe_delta_decode(b.data, b.len, is32, out, n, &count, &consumed, &err), &err);
    CHECK_EQ_INT(count, n);
    CHECK_EQ_INT(consumed, b.len);
    int same = 1;
    for (size_t i = 0; i < n; i++) same &= out[i] == v[i];
    CHECK(same);
    if (n > 0) {
        CHECK(floe_delta_decode(b.data, b.len, is32, out, n - 1, &count, &consumed, &err) == -1);
        CHECK(has(&err, "DELTA_BINARY_PACKED"));
    }
    free(out);
    floe_buf_free(&b);
}

/* Encodings.md examples with the smallest valid block (128 values in 4
 * miniblocks of 32) instead of the examples' illustrative block of 8. */
TEST(test_delta_spec_examples) {
    floe_buf b;
    floe_buf_init(&b);
    int64_t a[] = {1, 2, 3, 4, 5};
    floe_delta_encode(a, 5, &b);
    /* header 128, 4, 5, zigzag(1); block: zigzag(min 1), widths 0 0 0 0 */
    const uint8_t want1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    CHECK(bytes_eq(&b, want1, sizeof want1));

    int64_t c[] = {7, 5, 3, 1, 2, 3, 4, 5};
    floe_buf_reset(&b);
    floe_delta_encode(c, 8, &b);
    /* header 128, 4, 8, zigzag(7); block: zigzag(-2) = 3, widths 2 0 0 0,
     * then 0,0,0,3,3,3,3 (+ zero padding to 32 values) on 2 bits. */
    const uint8_t want2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00,
                             0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK(bytes_eq(&b, want2, sizeof want2));

    int64_t out[8];
    size_t count, consumed;
    floe_err err = {0};
    CHECK_OK(floe_delta_decode(want2, sizeof want2, 0, out, 8, &count, &consumed, &err), &err);
    CHECK_EQ_INT(count, 8);
    CHECK_EQ_INT(consumed, sizeof want2);
    CHECK(memcmp(out, c, sizeof c) == 0);
    CHECK_OK(floe_delta_decode(want1, sizeof want1, 1, out, 8, &count, &consumed, &err), &err);
    CHECK_EQ_INT(count, 5);
    CHECK(memcmp(out, a, sizeof a) == 0);

    /* The spec's own bytes use block size 8, which real data may not. */
    const uint8_t block8[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
    CHECK(floe_delta_decode(block8, sizeof block8, 0, out, 8, &count, &consumed, &err) == -1);
    CHECK(has(&err, "DELTA_BINARY_PACKED") && has(&err, "block size 8"));
    floe_buf_free(&b);
}

TEST(test_delta_round_trips) {
    delta_round_trip(NULL, 0, 0);
    delta_round_trip(NULL, 0, 1);
    int64_t one = -42;
    delta_round_trip(&one, 1, 0);
    delta_round_trip(&one, 1, 1);

    enum { N = 1000 };
    int64_t *v = floe_xmalloc(N * sizeof *v);
    static const size_t sizes[] = {2, 31, 32, 33, 127, 128, 129, 200, 257, N};
    /* Deltas of every magnitude: width w gives miniblocks of width ~w. */
    for (int w = 0; w <= 64; w++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            uint64_t acc = rnd();
            uint64_t m = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
            for (size_t i = 0; i < sizes[s]; i++) {
                v[i] = (int64_t)acc;
                acc += rnd() & m;
            }
            delta_round_trip(v, sizes[s], 0);
            for (size_t i = 0; i < sizes[s]; i++) v[i] = (int32_t)(uint32_t)v[i];
            delta_round_trip(v, sizes[s], 1);
        }
    }
    /* Extremes that overflow every subtraction. */
    for (size_t i = 0; i < N; i++) v[i] = (i % 3 == 0) ? INT64_MIN : (i % 3 == 1 ? INT64_MAX : 0);
    delta_round_trip(v, N, 0);
    for (size_t i = 0; i < N; i++) v[i] = (i % 2) ? INT32_MIN : INT32_MAX;
    delta_round_trip(v, N, 1);
    delta_round_trip(v, N, 0);
    /* Constant and decreasing sequences. */
    for (size_t i = 0; i < N; i++) v[i] = 77;
    delta_round_trip(v, N, 0);
    for (size_t i = 0; i < N; i++) v[i] = 1000000 - (int64_t)i * 3;
    delta_round_trip(v, N, 1);
    free(v);
}

/* INT32 data never needs more than 32 bits per delta, even from INT32_MIN
 * to INT32_MAX. */
TEST(test_delta_encode32_width) {
    int32_t v[3] = {INT32_MIN, INT32_MAX, INT32_MIN};
    floe_buf b;
    floe_buf_init(&b);
    floe_delta_encode32(v, 3, &b);
    /* 128, 4, 3, zigzag(INT32_MIN) is 5 bytes, then the min delta. */
    const uint8_t *p = b.data + 3 + 5;
    while (*p & 0x80) p++;
    p++;
    CHECK(p[0] <= 32);
    floe_buf_free(&b);
}

/* Block size 256 in 2 miniblocks of 128, not what floe writes. */
TEST(test_delta_other_block_shape) {
    floe_buf b;
    floe_buf_init(&b);
    const uint8_t hdr[] = {0x80, 0x02, 0x02, 0xAC, 0x02, 0x00}; /* 256, 2, 300, first 0 */
    floe_buf_append(&b, hdr, sizeof hdr);
    floe_buf_putc(&b, 0x00); /* min delta 0 */
    floe_buf_putc(&b, 1);    /* miniblock widths 1, 0 */
    floe_buf_putc(&b, 0);
    for (int i = 0; i < 16; i++) floe_buf_putc(&b, 0xFF); /* 128 ones */
    floe_buf_putc(&b, 0x0A);                              /* min delta 5 */
    floe_buf_putc(&b, 0);
    floe_buf_putc(&b, 0x7F); /* unneeded miniblock: any width, no data */
    int64_t out[300];
    size_t count, consumed;
    floe_err err = {0};
    CHECK_OK(floe_delta_decode(b.data, b.len, 0, out, 300, &count, &consumed, &err), &err);
    CHECK_EQ_INT(count, 300);
    CHECK_EQ_INT(consumed, b.len);
    CHECK_EQ_INT(out[0], 0);
    CHECK_EQ_INT(out[128], 128);
    CHECK_EQ_INT(out[256], 128);
    CHECK_EQ_INT(out[257], 133);
    CHECK_EQ_INT(out[299], 128 + 43 * 5);
    floe_buf_free(&b);
}

TEST(test_delta_corrupt) {
    int64_t out[300];
    size_t count, consumed;
    floe_err err = {0};
    floe_buf b;
    floe_buf_init(&b);
    int64_t v[200];
    for (int i = 0; i < 200; i++) v[i] = (int64_t)(rnd() % 100000);
    floe_delta_encode(v, 200, &b);

    /* Every truncation of the header or a needed miniblock is an error. */
    for (size_t cut = 0; cut < b.len; cut++) {
        int rc = floe_delta_decode(b.data, cut, 0, out, 300, &count, &consumed, &err);
        if (rc == 0) {
            /* Only the final miniblock's padding may be cut off. */
            int same = count == 200;
            for (int i = 0; i < 200 && same; i++) same = out[i] == v[i];
            CHECK(same);
            CHECK_EQ_INT(consumed, cut);
        } else {
            CHECK(has(&err, "DELTA_BINARY_PACKED"));
        }
    }
    CHECK(floe_delta_decode(b.data, 4, 0, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "truncated header"));

    /* Miniblock width 65 (64 max) and 33 for INT32. */
    const uint8_t w65[] = {0x80, 0x01, 0x04, 0x05, 0x00, 0x00, 65, 0, 0, 0};
    CHECK(floe_delta_decode(w65, sizeof w65, 0, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "bit width 65 > 64"));
    const uint8_t w33[] = {0x80, 0x01, 0x04, 0x05, 0x00, 0x00, 33, 0, 0, 0};
    CHECK(floe_delta_decode(w33, sizeof w33, 1, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "bit width 33 > 32"));

    /* 3 miniblocks do not divide 128; 8 miniblocks of 16 are too small. */
    const uint8_t mb3[] = {0x80, 0x01, 0x03, 0x01, 0x00};
    CHECK(floe_delta_decode(mb3, sizeof mb3, 0, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "miniblocks"));
    const uint8_t mb8[] = {0x80, 0x01, 0x08, 0x01, 0x00};
    CHECK(floe_delta_decode(mb8, sizeof mb8, 0, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "miniblocks"));

    /* Block widths missing. */
    const uint8_t nowidths[] = {0x80, 0x01, 0x04, 0x05, 0x00, 0x02, 0x00};
    CHECK(floe_delta_decode(nowidths, sizeof nowidths, 0, out, 300, &count, &consumed, &err) == -1);
    CHECK(has(&err, "miniblock widths"));

    /* A count beyond the caller's room. */
    CHECK(floe_delta_decode(b.data, b.len, 0, out, 199, &count, &consumed, &err) == -1);
    CHECK(has(&err, "200 values"));
    floe_buf_free(&b);
}

/* parquet-mr 1.10 wrote delta_binary_packed.parquet: 65 INT64 columns whose
 * miniblocks use widths 0..64 and one INT32 column, 200 values each, in
 * uncompressed pages.  Each page's data starts with the same header
 * (128, 4, 200), which locates it without parsing the footer. */
/* Reads a whole file into a NUL-terminated buffer, or NULL. */
static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    floe_buf b;
    floe_buf_init(&b);
    uint8_t chunk[1 << 16];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) floe_buf_append(&b, chunk, k);
    fclose(f);
    floe_buf_cstr(&b);
    *len = b.len;
    return b.data;
}

TEST(test_delta_parquet_testing_file) {
    const char *pq = test_shared("parquet-testing/data/delta_binary_packed.parquet");
    const char *csvpath = test_shared("parquet-testing/data/delta_binary_packed_expect.csv");
    size_t flen, clen;
    uint8_t *file = slurp(pq, &flen);
    CHECK(file != NULL); /* the corpus must be there: ../shared or $FLOE_SHARED */
    if (!file) return;
    char *csv = (char *)slurp(csvpath, &clen);
    CHECK(csv != NULL);
    if (!csv) {
        free(file);
        return;
    }

    enum { COLS = 66, ROWS = 200 };
    static int64_t want[COLS][ROWS];
    char *s = strchr(csv, '\n');
    for (int r = 0; r < ROWS && s; r++)
        for (int c = 0; c < COLS && s; c++) want[c][r] = strtoll(s + 1, &s, 10);

    const uint8_t sig[] = {0x80, 0x01, 0x04, 0xC8, 0x01};
    int col = 0;
    for (size_t at = 0; at + sizeof sig <= flen && col < COLS; at++) {
        if (memcmp(file + at, sig, sizeof sig) != 0) continue;
        int64_t out[ROWS];
        size_t count = 0, consumed = 1;
        floe_err err = {0};
        CHECK_OK(floe_delta_decode(file + at, flen - at, col == 65, out, ROWS, &count, &consumed, &err), &err);
        CHECK_EQ_INT(count, ROWS);
        int same = 1;
        for (int r = 0; r < ROWS; r++) same &= out[r] == want[col][r];
        if (!same) fprintf(stderr, "  column %d differs\n", col);
        CHECK(same);
        col++;
        at += consumed - 1;
    }
    CHECK_EQ_INT(col, COLS);
    free(file);
    free(csv);
}

/* ---- Byte arrays ---- */

static floe_pq_bytes bs(const char *s) { return (floe_pq_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

TEST(test_delta_length_byte_array) {
    floe_pq_bytes v[4] = {bs("Hello"), bs("World"), bs("Foobar"), bs("ABCDEF")};
    floe_buf b, lens;
    floe_buf_init(&b);
    floe_buf_init(&lens);
    floe_delta_length_encode(v, 4, &b);
    int32_t l[4] = {5, 5, 6, 6};
    floe_delta_encode32(l, 4, &lens);
    /* Encodings.md: DeltaEncoding(5, 5, 6, 6) then "HelloWorldFoobarABCDEF". */
    CHECK(b.len == lens.len + 22);
    CHECK(memcmp(b.data, lens.data, lens.len) == 0);
    CHECK(memcmp(b.data + lens.len, "HelloWorldFoobarABCDEF", 22) == 0);

    floe_pq_bytes out[4];
    floe_err err = {0};
    CHECK_OK(floe_delta_length_decode(b.data, b.len, out, 4, &err), &err);
    for (int i = 0; i < 4; i++) CHECK(out[i].len == v[i].len && memcmp(out[i].ptr, v[i].ptr, v[i].len) == 0);

    CHECK(floe_delta_length_decode(b.data, b.len - 1, out, 4, &err) == -1);
    CHECK(has(&err, "DELTA_LENGTH_BYTE_ARRAY") && has(&err, "value 3"));
    CHECK(floe_delta_length_decode(b.data, b.len, out, 3, &err) == -1);
    CHECK(has(&err, "4 lengths encoded for 3 values"));
    CHECK(floe_delta_length_decode(b.data, 2, out, 4, &err) == -1);
    CHECK(has(&err, "DELTA_LENGTH_BYTE_ARRAY: DELTA_BINARY_PACKED"));

    /* A negative length. */
    int32_t neg[2] = {3, -1};
    floe_buf_reset(&lens);
    floe_delta_encode32(neg, 2, &lens);
    floe_buf_append(&lens, "abc", 3);
    CHECK(floe_delta_length_decode(lens.data, lens.len, out, 2, &err) == -1);
    CHECK(has(&err, "negative length"));

    /* Empty. */
    floe_buf_reset(&b);
    floe_delta_length_encode(NULL, 0, &b);
    CHECK_OK(floe_delta_length_decode(b.data, b.len, out, 0, &err), &err);
    floe_buf_free(&b);
    floe_buf_free(&lens);
}

TEST(test_delta_byte_array) {
    floe_pq_bytes v[5] = {bs("axis"), bs("axle"), bs("babble"), bs("babyhood"), bs("")};
    floe_buf b, want;
    floe_buf_init(&b);
    floe_buf_init(&want);
    floe_delta_byte_array_encode(v, 5, &b);
    /* Encodings.md: prefixes (0, 2, 0, 3), suffix lengths (4, 2, 6, 5),
     * "axislebabbleyhood" (plus the empty fifth value). */
    int32_t prefix[5] = {0, 2, 0, 3, 0};
    floe_delta_encode32(prefix, 5, &want);
    floe_pq_bytes suf[5] = {bs("axis"), bs("le"), bs("babble"), bs("yhood"), bs("")};
    floe_delta_length_encode(suf, 5, &want);
    CHECK(b.len == want.len && memcmp(b.data, want.data, b.len) == 0);

    floe_pq_bytes out[5];
    floe_buf store;
    floe_buf_init(&store);
    floe_err err = {0};
    CHECK_OK(floe_delta_byte_array_decode(b.data, b.len, out, 5, &store, &err), &err);
    for (int i = 0; i < 5; i++) CHECK(out[i].len == v[i].len && memcmp(out[i].ptr, v[i].ptr, v[i].len) == 0);

    /* A prefix longer than the previous value. */
    floe_buf_reset(&b);
    int32_t bad[2] = {0, 5};
    floe_delta_encode32(bad, 2, &b);
    floe_pq_bytes s2[2] = {bs("abc"), bs("d")};
    floe_delta_length_encode(s2, 2, &b);
    floe_buf_reset(&store);
    CHECK(floe_delta_byte_array_decode(b.data, b.len, out, 2, &store, &err) == -1);
    CHECK(has(&err, "DELTA_BYTE_ARRAY") && has(&err, "prefix length 5 > previous length 3"));

    /* Truncated suffix data. */
    floe_buf_reset(&store);
    CHECK(floe_delta_byte_array_decode(b.data, b.len - 1, out, 2, &store, &err) == -1);
    CHECK(has(&err, "DELTA_BYTE_ARRAY suffixes"));

    /* All empty values, and none at all. */
    floe_pq_bytes e[3] = {bs(""), bs(""), bs("")};
    floe_buf_reset(&b);
    floe_delta_byte_array_encode(e, 3, &b);
    floe_buf_reset(&store);
    CHECK_OK(floe_delta_byte_array_decode(b.data, b.len, out, 3, &store, &err), &err);
    CHECK(out[2].len == 0 && out[2].ptr != NULL);
    floe_buf_reset(&b);
    floe_delta_byte_array_encode(NULL, 0, &b);
    CHECK_OK(floe_delta_byte_array_decode(b.data, b.len, out, 0, &store, &err), &err);

    /* Random sorted-ish strings round trip. */
    enum { N = 500 };
    static char pool[N][24];
    static floe_pq_bytes rv[N], ro[N];
    for (int i = 0; i < N; i++) {
        int len = (int)(rnd() % 20);
        for (int k = 0; k < len; k++) pool[i][k] = (char)('a' + (i > 0 && k < 3 ? pool[i - 1][k] - 'a' : (int)(rnd() % 3)));
        pool[i][len] = 0;
        rv[i] = bs(pool[i]);
    }
    floe_buf_reset(&b);
    floe_delta_byte_array_encode(rv, N, &b);
    floe_buf_reset(&store);
    CHECK_OK(floe_delta_byte_array_decode(b.data, b.len, ro, N, &store, &err), &err);
    int same = 1;
    for (int i = 0; i < N; i++) same &= ro[i].len == rv[i].len && memcmp(ro[i].ptr, rv[i].ptr, rv[i].len) == 0;
    CHECK(same);

    floe_buf_free(&b);
    floe_buf_free(&want);
    floe_buf_free(&store);
}

TEST(test_byte_stream_split) {
    /* Encodings.md: AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6. */
    const uint8_t vals[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    const uint8_t want[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    floe_buf b;
    floe_buf_init(&b);
    floe_bss_encode(vals, 4, 3, &b);
    CHECK(bytes_eq(&b, want, sizeof want));
    uint8_t out[64 * 16];
    floe_err err = {0};
    CHECK_OK(floe_bss_decode(want, sizeof want, 4, 3, out, &err), &err);
    CHECK(memcmp(out, vals, sizeof vals) == 0);

    for (int width = 1; width <= 16; width++) {
        for (size_t n = 0; n <= 64; n += 7) {
            uint8_t in[64 * 16];
            for (size_t i = 0; i < n * (size_t)width; i++) in[i] = (uint8_t)rnd();
            floe_buf_reset(&b);
            floe_bss_encode(in, width, n, &b);
            CHECK_EQ_INT(b.len, n * (size_t)width);
            CHECK_OK(floe_bss_decode(b.data, b.len, width, n, out, &err), &err);
            CHECK(n == 0 || memcmp(out, in, n * (size_t)width) == 0);
        }
    }
    CHECK(floe_bss_decode(want, 11, 4, 3, out, &err) == -1);
    CHECK(has(&err, "BYTE_STREAM_SPLIT") && has(&err, "11 bytes"));
    CHECK(floe_bss_decode(want, 12, 4, 4, out, &err) == -1);
    CHECK(floe_bss_decode(want, 12, 0, 4, out, &err) == -1);
    floe_buf_free(&b);
}

TEST_MAIN(T(test_bit_width), T(test_bitpack_spec_vectors), T(test_bitpack_matches_reference),
          T(test_bitpacked_legacy_round_trip), T(test_rle_known_bytes), T(test_rle_round_trip_every_width),
          T(test_rle_long_runs), T(test_rle_truncated_packed_run), T(test_rle_corrupt),
          T(test_delta_spec_examples), T(test_delta_round_trips), T(test_delta_encode32_width),
          T(test_delta_other_block_shape), T(test_delta_corrupt), T(test_delta_parquet_testing_file),
          T(test_delta_length_byte_array), T(test_delta_byte_array), T(test_byte_stream_split))
