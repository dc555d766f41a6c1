/*
 * test_codec.c — page codecs: round trips for every writable codec on
 * random and compressible data, decompression of framings other writers
 * produce (concatenated gzip members, zlib streams, zstd frames without a
 * content size, Hadoop-framed LZ4, LZ4 frames, raw LZ4 blocks), size
 * mismatch and corruption errors, and the codec/encoding/type names.
 */
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "format/parquet/codec.h"
#include "test.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* mode 0: random bytes; 1: text-like, highly compressible. */
static uint8_t *make_data(size_t n, int mode) {
    uint8_t *p = floe_xmalloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = mode == 0 ? (uint8_t)rnd() : (uint8_t)("event-"[i % 6] + (i / 4096) % 3);
    return p;
}

static const int writable[] = {FLOE_PQ_CODEC_UNCOMPRESSED, FLOE_PQ_CODEC_SNAPPY, FLOE_PQ_CODEC_GZIP,
                               FLOE_PQ_CODEC_BROTLI,       FLOE_PQ_CODEC_ZSTD,   FLOE_PQ_CODEC_LZ4_RAW};

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

TEST(round_trip_all_writable) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    const size_t sizes[] = {0, 1, 17, 1000, 65536, 1 << 20};
    for (size_t k = 0; k < sizeof writable / sizeof writable[0]; k++) {
        int codec = writable[k];
        CHECK(floe_codec_can_write(codec));
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int mode = 0; mode < 2; mode++) {
                size_t n = sizes[s];
                uint8_t *src = make_data(n, mode);
                floe_buf out;
                floe_buf_init(&out);
                floe_buf_puts(&out, "prefix"); /* compress appends */
                floe_err err = {0};
                CHECK_OK(floe_codec_compress(c, codec, 0, src, n, &out, &err), &err);
                CHECK(memcmp(out.data, "prefix", 6) == 0);
                if (mode == 1 && n >= 65536 && codec != FLOE_PQ_CODEC_UNCOMPRESSED) CHECK(out.len - 6 < n / 4);
                uint8_t *back = floe_xmalloc(n + 1);
                CHECK_OK(floe_codec_decompress(c, codec, out.data + 6, out.len - 6, back, n, &err), &err);
                CHECK(n == 0 || memcmp(back, src, n) == 0);
                free(back);
                free(src);
                floe_buf_free(&out);
            }
        }
    }
    floe_codec_ctx_free(c);
}

TEST(levels) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    uint8_t *src = make_data(100000, 1);
    uint8_t *back = floe_xmalloc(100000);
    struct { int codec, level; } ok[] = {{FLOE_PQ_CODEC_ZSTD, 1}, {FLOE_PQ_CODEC_ZSTD, 19}, {FLOE_PQ_CODEC_ZSTD, -5},
                                         {FLOE_PQ_CODEC_GZIP, 1}, {FLOE_PQ_CODEC_GZIP, 9}, {FLOE_PQ_CODEC_GZIP, 1},
                                         {FLOE_PQ_CODEC_BROTLI, 1}, {FLOE_PQ_CODEC_BROTLI, 11}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        floe_buf out;
        floe_buf_init(&out);
        floe_err err = {0};
        CHECK_OK(floe_codec_compress(c, ok[i].codec, ok[i].level, src, 100000, &out, &err), &err);
        CHECK_OK(floe_codec_decompress(c, ok[i].codec, out.data, out.len, back, 100000, &err), &err);
        CHECK(memcmp(back, src, 100000) == 0);
        floe_buf_free(&out);
    }
    floe_buf out;
    floe_buf_init(&out);
    floe_err err = {0};
    CHECK(floe_codec_compress(c, FLOE_PQ_CODEC_GZIP, 10, src, 10, &out, &err) == -1);
    CHECK(contains(err.msg, "GZIP: compression level 10"));
    CHECK(floe_codec_compress(c, FLOE_PQ_CODEC_ZSTD, 99, src, 10, &out, &err) == -1);
    CHECK(contains(err.msg, "ZSTD: compression level 99"));
    CHECK(floe_codec_compress(c, FLOE_PQ_CODEC_BROTLI, 12, src, 10, &out, &err) == -1);
    CHECK(contains(err.msg, "BROTLI"));
    floe_buf_free(&out);
    free(src);
    free(back);
    floe_codec_ctx_free(c);
}

TEST(cannot_write) {
    CHECK(!floe_codec_can_write(FLOE_PQ_CODEC_LZO));
    CHECK(!floe_codec_can_write(FLOE_PQ_CODEC_LZ4));
    CHECK(!floe_codec_can_write(42));
    floe_codec_ctx *c = floe_codec_ctx_new();
    floe_buf out;
    floe_buf_init(&out);
    floe_err err = {0};
    CHECK(floe_codec_compress(c, FLOE_PQ_CODEC_LZ4, 0, (const uint8_t *)"x", 1, &out, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
    CHECK_EQ_STR(err.msg, "floe cannot write LZ4 compression");
    floe_buf_free(&out);
    floe_codec_ctx_free(c);
}

/* Two gzip members, as concatenated_gzip_members.parquet holds them. */
TEST(gzip_concatenated_members_and_zlib) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    uint8_t vals[513 * 8];
    for (int i = 0; i < 513; i++)
        for (int b = 0; b < 8; b++) vals[i * 8 + b] = (uint8_t)((uint64_t)(i + 1) >> (8 * b));
    floe_buf gz;
    floe_buf_init(&gz);
    floe_err err = {0};
    CHECK_OK(floe_codec_compress(c, FLOE_PQ_CODEC_GZIP, 0, vals, 512 * 8, &gz, &err), &err);
    CHECK(gz.data[0] == 0x1f && gz.data[1] == 0x8b);
    size_t first_member = gz.len;
    CHECK_OK(floe_codec_compress(c, FLOE_PQ_CODEC_GZIP, 0, vals + 512 * 8, 8, &gz, &err), &err);
    uint8_t back[sizeof vals];
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_GZIP, gz.data, gz.len, back, sizeof vals, &err), &err);
    CHECK(memcmp(back, vals, sizeof vals) == 0);
    /* The second member missing shows as a short page. */
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_GZIP, gz.data, first_member, back, sizeof vals, &err) == -1);
    CHECK_EQ_STR(err.msg, "GZIP: page decompressed to 4096 bytes, header says 4104");

    /* A zlib-wrapped stream is accepted too. */
    uint8_t z[8192];
    uLongf zlen = sizeof z;
    CHECK(compress2(z, &zlen, vals, sizeof vals, 6) == Z_OK);
    CHECK(z[0] == 0x78);
    memset(back, 0, sizeof back);
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_GZIP, z, zlen, back, sizeof vals, &err), &err);
    CHECK(memcmp(back, vals, sizeof vals) == 0);
    floe_buf_free(&gz);
    floe_codec_ctx_free(c);
}

TEST(zstd_without_content_size_and_two_frames) {
    uint8_t *src = make_data(200000, 1);
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, 0);
    size_t cap = ZSTD_compressBound(100000) * 2;
    uint8_t *frames = floe_xmalloc(cap);
    size_t len = 0;
    for (int f = 0; f < 2; f++) {
        ZSTD_inBuffer in = {src + f * 100000, 100000, 0};
        ZSTD_outBuffer o = {frames + len, cap - len, 0};
        CHECK(ZSTD_compressStream2(zc, &o, &in, ZSTD_e_end) == 0);
        len += o.pos;
    }
    CHECK(ZSTD_getFrameContentSize(frames, len) == ZSTD_CONTENTSIZE_UNKNOWN);
    floe_codec_ctx *c = floe_codec_ctx_new();
    uint8_t *back = floe_xmalloc(200001);
    floe_err err = {0};
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, frames, len, back, 200000, &err), &err);
    CHECK(memcmp(back, src, 200000) == 0);
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, frames, len, back, 200001, &err) == -1);
    CHECK_EQ_STR(err.msg, "ZSTD: page decompressed to 200000 bytes, header says 200001");
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, frames, len, back, 199999, &err) == -1);
    CHECK_EQ_STR(err.msg, "ZSTD: page decompresses to more than the 199999 bytes its header says");
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, frames, len - 5, back, 200000, &err) == -1);
    CHECK(contains(err.msg, "ZSTD: truncated frame"));
    /* The context is still usable after errors. */
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, frames, len, back, 200000, &err), &err);
    ZSTD_freeCCtx(zc);
    free(frames);
    free(back);
    free(src);
    floe_codec_ctx_free(c);
}

/* The first page of parquet-testing's hadoop_lz4_compressed.parquet: two
 * INT64 values in one Hadoop block. */
static const uint8_t hadoop_page[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x12, 0xf0, 0x01, 0xc0, 0x7a, 0xfc,
                                      0x5e, 0x00, 0x00, 0x00, 0x00, 0xc1, 0x7a, 0xfc, 0x5e, 0x00, 0x00, 0x00, 0x00};
static const uint8_t hadoop_values[] = {0xc0, 0x7a, 0xfc, 0x5e, 0, 0, 0, 0, 0xc1, 0x7a, 0xfc, 0x5e, 0, 0, 0, 0};

TEST(lz4_hadoop_frame_and_raw) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    floe_err err = {0};
    uint8_t out[16];
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, hadoop_page, sizeof hadoop_page, out, 16, &err), &err);
    CHECK(memcmp(out, hadoop_values, 16) == 0);
    /* non_hadoop_lz4_compressed.parquet stores the same page as a bare block. */
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, hadoop_page + 8, sizeof hadoop_page - 8, out, 16, &err),
             &err);
    CHECK(memcmp(out, hadoop_values, 16) == 0);

    /* Hadoop framing with two blocks, built by hand. */
    uint8_t *src = make_data(300000, 1);
    uint8_t *buf = floe_xmalloc(2 * LZ4_compressBound(150000) + 16);
    size_t len = 0;
    for (int b = 0; b < 2; b++) {
        int clen = LZ4_compress_default((const char *)src + b * 150000, (char *)buf + len + 8, 150000,
                                        LZ4_compressBound(150000));
        uint8_t hdr[8] = {0, 0x02, 0x49, 0xf0, (uint8_t)(clen >> 24), (uint8_t)(clen >> 16), (uint8_t)(clen >> 8),
                          (uint8_t)clen}; /* 150000 = 0x0249f0 */
        memcpy(buf + len, hdr, 8);
        len += 8 + (size_t)clen;
    }
    uint8_t *back = floe_xmalloc(300000);
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, buf, len, back, 300000, &err), &err);
    CHECK(memcmp(back, src, 300000) == 0);
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, buf, len, back, 299999, &err) == -1);
    CHECK(contains(err.msg, "LZ4: page of"));

    /* Two LZ4 frames back to back. */
    size_t fcap = 2 * LZ4F_compressFrameBound(150000, NULL);
    uint8_t *fr = floe_xmalloc(fcap);
    size_t f1 = LZ4F_compressFrame(fr, fcap, src, 150000, NULL);
    CHECK(!LZ4F_isError(f1));
    size_t f2 = LZ4F_compressFrame(fr + f1, fcap - f1, src + 150000, 150000, NULL);
    CHECK(!LZ4F_isError(f2));
    memset(back, 0, 300000);
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, fr, f1 + f2, back, 300000, &err), &err);
    CHECK(memcmp(back, src, 300000) == 0);
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, fr, f1, back, 300000, &err) == -1);
    CHECK_EQ_STR(err.msg, "LZ4: page decompressed to 150000 bytes, header says 300000");
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, fr, f1 + f2, back, 299000, &err) == -1);
    CHECK_EQ_STR(err.msg, "LZ4: page decompresses to more than the 299000 bytes its header says");
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZ4, fr, f1 - 3, back, 150000, &err) == -1);
    CHECK(contains(err.msg, "LZ4: truncated frame"));
    free(fr);
    free(back);
    free(buf);
    free(src);
    floe_codec_ctx_free(c);
}

TEST(size_mismatch_every_codec) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    uint8_t *src = make_data(5000, 1);
    uint8_t back[5001];
    for (size_t k = 0; k < sizeof writable / sizeof writable[0]; k++) {
        int codec = writable[k];
        floe_buf out;
        floe_buf_init(&out);
        floe_err err = {0};
        CHECK_OK(floe_codec_compress(c, codec, 0, src, 5000, &out, &err), &err);
        char want[128];
        snprintf(want, sizeof want, "%s: page decompressed to 5000 bytes, header says 5001", floe_pq_codec_name(codec));
        CHECK(floe_codec_decompress(c, codec, out.data, out.len, back, 5001, &err) == -1);
        CHECK_EQ_INT(err.code, FLOE_ECORRUPT);
        if (codec != FLOE_PQ_CODEC_LZ4_RAW) CHECK_EQ_STR(err.msg, want);
        CHECK(floe_codec_decompress(c, codec, out.data, out.len, back, 4999, &err) == -1);
        CHECK(contains(err.msg, floe_pq_codec_name(codec)));
        /* Truncated or damaged input fails cleanly. */
        if (codec != FLOE_PQ_CODEC_UNCOMPRESSED) {
            CHECK(floe_codec_decompress(c, codec, out.data, out.len / 2, back, 5000, &err) == -1);
            CHECK(contains(err.msg, floe_pq_codec_name(codec)));
            for (size_t i = 0; i < out.len; i += 7) out.data[i] ^= 0x5a;
            if (floe_codec_decompress(c, codec, out.data, out.len, back, 5000, &err) == -1)
                CHECK(contains(err.msg, floe_pq_codec_name(codec)));
        }
        floe_buf_free(&out);
    }
    free(src);
    floe_codec_ctx_free(c);
}

TEST(unsupported_and_empty) {
    floe_codec_ctx *c = floe_codec_ctx_new();
    floe_err err = {0};
    uint8_t out[4];
    CHECK(floe_codec_decompress(c, FLOE_PQ_CODEC_LZO, (const uint8_t *)"abcd", 4, out, 4, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EUNSUPPORTED);
    CHECK_EQ_STR(err.msg, "LZO compression is not supported");
    CHECK(floe_codec_decompress(c, 9, (const uint8_t *)"abcd", 4, out, 4, &err) == -1);
    CHECK_EQ_STR(err.msg, "unknown compression codec 9");
    /* An empty page stored as no bytes at all. */
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, (const uint8_t *)"", 0, out, 0, &err), &err);
    /* page_v2_empty_compressed.parquet: a real zstd frame of nothing. */
    floe_buf z;
    floe_buf_init(&z);
    CHECK_OK(floe_codec_compress(c, FLOE_PQ_CODEC_ZSTD, 0, (const uint8_t *)"", 0, &z, &err), &err);
    CHECK(z.len > 0);
    CHECK_OK(floe_codec_decompress(c, FLOE_PQ_CODEC_ZSTD, z.data, z.len, out, 0, &err), &err);
    floe_buf_free(&z);
    floe_codec_ctx_free(c);
}

TEST(names) {
    CHECK_EQ_STR(floe_pq_codec_name(FLOE_PQ_CODEC_ZSTD), "ZSTD");
    CHECK_EQ_STR(floe_pq_codec_name(FLOE_PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    CHECK_EQ_STR(floe_pq_codec_name(8), "UNKNOWN");
    CHECK_EQ_STR(floe_pq_codec_name(-1), "UNKNOWN");
    CHECK_EQ_INT(floe_pq_codec_parse("zstd"), FLOE_PQ_CODEC_ZSTD);
    CHECK_EQ_INT(floe_pq_codec_parse("Snappy"), FLOE_PQ_CODEC_SNAPPY);
    CHECK_EQ_INT(floe_pq_codec_parse("lz4_raw"), FLOE_PQ_CODEC_LZ4_RAW);
    CHECK_EQ_INT(floe_pq_codec_parse("lz4"), FLOE_PQ_CODEC_LZ4);
    CHECK_EQ_INT(floe_pq_codec_parse("none"), FLOE_PQ_CODEC_UNCOMPRESSED);
    CHECK_EQ_INT(floe_pq_codec_parse("uncompressed"), FLOE_PQ_CODEC_UNCOMPRESSED);
    CHECK_EQ_INT(floe_pq_codec_parse("brotli"), FLOE_PQ_CODEC_BROTLI);
    CHECK_EQ_INT(floe_pq_codec_parse("gzip"), FLOE_PQ_CODEC_GZIP);
    CHECK_EQ_INT(floe_pq_codec_parse("zip"), -1);
    CHECK_EQ_INT(floe_pq_codec_parse(""), -1);
    CHECK_EQ_STR(floe_pq_physical_name(FLOE_PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
    CHECK_EQ_STR(floe_pq_physical_name(FLOE_PQ_INT96), "INT96");
    CHECK_EQ_STR(floe_pq_physical_name(8), "UNKNOWN");
    CHECK_EQ_STR(floe_pq_encoding_name(FLOE_PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY");
    CHECK_EQ_STR(floe_pq_encoding_name(FLOE_PQ_ENC_BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
    CHECK_EQ_STR(floe_pq_encoding_name(1), "UNKNOWN");
    CHECK_EQ_STR(floe_pq_encoding_name(10), "UNKNOWN");
}

TEST_MAIN(T(round_trip_all_writable), T(levels), T(cannot_write), T(gzip_concatenated_members_and_zlib),
          T(zstd_without_content_size_and_two_frames), T(lz4_hadoop_frame_and_raw), T(size_mismatch_every_codec),
          T(unsupported_and_empty), T(names))
