/*
 * codec.c — page compression and decompression for every Parquet codec
 * floe meets.  See codec.h.
 *
 * Writing: UNCOMPRESSED, SNAPPY, GZIP (gzip wrapper), BROTLI, ZSTD and
 * LZ4_RAW.  The deprecated LZ4 codec (5) is read but never written, because
 * its framing was never specified and readers disagree about it.
 *
 * Reading is defensive about what other writers produced:
 *   - GZIP pages may hold several concatenated gzip members, or a zlib
 *     stream; inflate auto-detects the wrapper and is reset per member.
 *   - ZSTD frames may omit the content size, and a page may hold several
 *     frames, so decompression streams into the caller's buffer.
 *   - LZ4 (5) is, in the wild, Hadoop's framing (repeated 4-byte big-endian
 *     uncompressed and compressed lengths followed by a raw block), the LZ4
 *     frame format, or a bare raw block (older parquet-cpp).  The frame
 *     format has a magic number; Hadoop framing is tried next and the raw
 *     block last, as parquet-cpp does.
 * Every path checks that the output is exactly the size the page header
 * states and says so, naming the codec, when it is not.
 *
 * A floe_codec_ctx keeps the zstd compression and decompression contexts and
 * a zlib stream for each direction, so a column writer or reader allocates
 * them once rather than per page.
 */
#include "format/parquet/codec.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <limits.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <stdlib.h>

/* Default levels for "level 0": zstd level 1, zlib's default, and the
 * brotli quality parquet-cpp uses (11, brotli's default, is far too slow for
 * a streaming writer).
 * zstd's own default (and parquet-mr's, Iceberg's and DuckDB's) is level 3.
 * floe writes level 1 instead, deliberately: on Parquet pages (dictionary
 * indices, PLAIN numbers, short strings) level 3 costs about twice the time
 * of level 1 for a file about 3% smaller (bench/README.md), and compression
 * was half of floe's ingest time at level 3.  --level and the table
 * property write.parquet.compression-level still choose any level. */
#define ZSTD_DEFAULT_LEVEL 1
#define BROTLI_DEFAULT_QUALITY_FLOE 8

struct floe_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream def; /* deflate, gzip wrapper, at def_level */
    int def_init, def_level;
    z_stream inf; /* inflate, wrapper auto-detected */
    int inf_init;
};

floe_codec_ctx *floe_codec_ctx_new(void) { return floe_xcalloc(1, sizeof(floe_codec_ctx)); }

void floe_codec_ctx_free(floe_codec_ctx *c) {
    if (!c) return;
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    if (c->def_init) deflateEnd(&c->def);
    if (c->inf_init) inflateEnd(&c->inf);
    free(c);
}

int floe_codec_can_write(int codec) {
    switch (codec) {
    case FLOE_PQ_CODEC_UNCOMPRESSED:
    case FLOE_PQ_CODEC_SNAPPY:
    case FLOE_PQ_CODEC_GZIP:
    case FLOE_PQ_CODEC_BROTLI:
    case FLOE_PQ_CODEC_ZSTD:
    case FLOE_PQ_CODEC_LZ4_RAW:
        return 1;
    default:
        return 0;
    }
}

/* ---- compression ---------------------------------------------------------- */

static int compress_gzip(floe_codec_ctx *c, int level, const uint8_t *src, size_t n, floe_buf *out,
                         floe_err *err) {
    if (level == 0) level = Z_DEFAULT_COMPRESSION;
    else if (level < 1 || level > 9)
        return floe_err_set(err, FLOE_EINVAL, "GZIP: compression level %d is outside 1..9", level);
    if (c->def_init && c->def_level != level) {
        deflateEnd(&c->def);
        c->def_init = 0;
    }
    if (!c->def_init) {
        memset(&c->def, 0, sizeof c->def);
        /* windowBits 15 + 16 asks zlib for a gzip header and trailer. */
        if (deflateInit2(&c->def, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return floe_err_set(err, FLOE_EINVAL, "GZIP: cannot initialise deflate at level %d", level);
        c->def_init = 1;
        c->def_level = level;
    } else if (deflateReset(&c->def) != Z_OK) {
        return floe_err_set(err, FLOE_EINVAL, "GZIP: cannot reset deflate");
    }
    /* deflateBound covers the gzip wrapper; zlib counts in uInt. */
    if (n > UINT_MAX / 2) return floe_err_set(err, FLOE_EINVAL, "GZIP: page of %zu bytes is too large", n);
    size_t bound = deflateBound(&c->def, (uLong)n);
    floe_buf_reserve(out, bound);
    c->def.next_in = (Bytef *)src;
    c->def.avail_in = (uInt)n;
    c->def.next_out = out->data + out->len;
    c->def.avail_out = (uInt)bound;
    int rc = deflate(&c->def, Z_FINISH);
    if (rc != Z_STREAM_END)
        return floe_err_set(err, FLOE_EINVAL, "GZIP: deflate failed (%s)", c->def.msg ? c->def.msg : "no room");
    out->len += bound - c->def.avail_out;
    return 0;
}

static int compress_zstd(floe_codec_ctx *c, int level, const uint8_t *src, size_t n, floe_buf *out,
                         floe_err *err) {
    if (level == 0) level = ZSTD_DEFAULT_LEVEL;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return floe_err_set(err, FLOE_EINVAL, "ZSTD: compression level %d is outside %d..%d", level,
                            ZSTD_minCLevel(), ZSTD_maxCLevel());
    if (!c->zc) {
        c->zc = ZSTD_createCCtx();
        if (!c->zc) return floe_err_set(err, FLOE_EINVAL, "ZSTD: cannot create a compression context");
    }
    size_t bound = ZSTD_compressBound(n);
    floe_buf_reserve(out, bound);
    size_t r = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, src, n, level);
    if (ZSTD_isError(r)) return floe_err_set(err, FLOE_EINVAL, "ZSTD: %s", ZSTD_getErrorName(r));
    out->len += r;
    return 0;
}

int floe_codec_compress(floe_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n,
                        floe_buf *out, floe_err *err) {
    switch (codec) {
    case FLOE_PQ_CODEC_UNCOMPRESSED:
        floe_buf_append(out, src, n);
        return 0;
    case FLOE_PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        floe_buf_reserve(out, cap);
        if (snappy_compress((const char *)src, n, (char *)out->data + out->len, &cap) != SNAPPY_OK)
            return floe_err_set(err, FLOE_EINVAL, "SNAPPY: compression of %zu bytes failed", n);
        out->len += cap;
        return 0;
    }
    case FLOE_PQ_CODEC_GZIP:
        return compress_gzip(c, level, src, n, out, err);
    case FLOE_PQ_CODEC_ZSTD:
        return compress_zstd(c, level, src, n, out, err);
    case FLOE_PQ_CODEC_BROTLI: {
        if (level == 0) level = BROTLI_DEFAULT_QUALITY_FLOE;
        if (level < BROTLI_MIN_QUALITY || level > BROTLI_MAX_QUALITY)
            return floe_err_set(err, FLOE_EINVAL, "BROTLI: compression level %d is outside %d..%d", level,
                                BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY);
        size_t cap = BrotliEncoderMaxCompressedSize(n);
        if (cap == 0) return floe_err_set(err, FLOE_EINVAL, "BROTLI: page of %zu bytes is too large", n);
        floe_buf_reserve(out, cap);
        if (!BrotliEncoderCompress(level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, src, &cap,
                                   out->data + out->len))
            return floe_err_set(err, FLOE_EINVAL, "BROTLI: compression of %zu bytes failed", n);
        out->len += cap;
        return 0;
    }
    case FLOE_PQ_CODEC_LZ4_RAW: {
        if (n > LZ4_MAX_INPUT_SIZE)
            return floe_err_set(err, FLOE_EINVAL, "LZ4_RAW: page of %zu bytes is too large", n);
        int cap = LZ4_compressBound((int)n);
        floe_buf_reserve(out, (size_t)cap);
        int r = LZ4_compress_default((const char *)src, (char *)out->data + out->len, (int)n, cap);
        if (r <= 0) return floe_err_set(err, FLOE_EINVAL, "LZ4_RAW: compression of %zu bytes failed", n);
        out->len += (size_t)r;
        return 0;
    }
    default:
        return floe_err_set(err, FLOE_EUNSUPPORTED, "floe cannot write %s compression",
                            floe_pq_codec_name(codec));
    }
}

/* ---- decompression -------------------------------------------------------- */

static int size_mismatch(floe_err *err, const char *codec, size_t got, size_t want) {
    return floe_err_set(err, FLOE_ECORRUPT, "%s: page decompressed to %zu bytes, header says %zu", codec,
                        got, want);
}

static int too_large(floe_err *err, const char *codec, size_t want) {
    return floe_err_set(err, FLOE_ECORRUPT, "%s: page decompresses to more than the %zu bytes its header says",
                        codec, want);
}

static int decompress_snappy(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, floe_err *err) {
    size_t len;
    if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK)
        return floe_err_set(err, FLOE_ECORRUPT, "SNAPPY: corrupt page (bad length preamble)");
    if (len != dst_len) return size_mismatch(err, "SNAPPY", len, dst_len);
    if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK)
        return floe_err_set(err, FLOE_ECORRUPT, "SNAPPY: corrupt page of %zu bytes", n);
    if (len != dst_len) return size_mismatch(err, "SNAPPY", len, dst_len);
    return 0;
}

static int decompress_gzip(floe_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                           floe_err *err) {
    if (n > UINT_MAX || dst_len > UINT_MAX)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "GZIP: page of %zu bytes is too large", n > dst_len ? n : dst_len);
    if (!c->inf_init) {
        memset(&c->inf, 0, sizeof c->inf);
        /* 15 + 32: accept either a gzip or a zlib wrapper. */
        if (inflateInit2(&c->inf, 15 + 32) != Z_OK)
            return floe_err_set(err, FLOE_EINVAL, "GZIP: cannot initialise inflate");
        c->inf_init = 1;
    } else if (inflateReset(&c->inf) != Z_OK) {
        return floe_err_set(err, FLOE_EINVAL, "GZIP: cannot reset inflate");
    }
    z_stream *z = &c->inf;
    uint8_t spill[64]; /* catches output beyond dst_len */
    z->next_in = (Bytef *)src;
    z->avail_in = (uInt)n;
    z->next_out = dst;
    z->avail_out = (uInt)dst_len;
    int spilling = 0;
    for (;;) {
        int rc = inflate(z, Z_NO_FLUSH);
        if (spilling && z->avail_out < sizeof spill) return too_large(err, "GZIP", dst_len);
        if (rc == Z_STREAM_END) {
            /* A member ended; another may follow (concatenated gzip). */
            if (z->avail_in == 0) break;
            if (inflateReset(z) != Z_OK) return floe_err_set(err, FLOE_EINVAL, "GZIP: cannot reset inflate");
            continue;
        }
        if (rc == Z_BUF_ERROR && z->avail_out != 0)
            return floe_err_set(err, FLOE_ECORRUPT, "GZIP: truncated stream after %zu of %zu bytes",
                                dst_len - (spilling ? 0 : z->avail_out), dst_len);
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return floe_err_set(err, FLOE_ECORRUPT, "GZIP: corrupt stream (%s)", z->msg ? z->msg : "inflate failed");
        if (z->avail_out == 0 && !spilling) {
            spilling = 1;
            z->next_out = spill;
            z->avail_out = sizeof spill;
        }
    }
    size_t got = spilling ? dst_len : dst_len - z->avail_out;
    if (got != dst_len) return size_mismatch(err, "GZIP", got, dst_len);
    return 0;
}

static int decompress_zstd(floe_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                           floe_err *err) {
    if (!c->zd) {
        c->zd = ZSTD_createDCtx();
        if (!c->zd) return floe_err_set(err, FLOE_EINVAL, "ZSTD: cannot create a decompression context");
    } else {
        ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
    }
    uint8_t spill[64];
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer out = {dst, dst_len, 0};
    int spilling = 0;
    for (;;) {
        size_t in_before = in.pos, out_before = out.pos;
        size_t r = ZSTD_decompressStream(c->zd, &out, &in);
        if (ZSTD_isError(r)) return floe_err_set(err, FLOE_ECORRUPT, "ZSTD: %s", ZSTD_getErrorName(r));
        if (spilling && out.pos > 0) return too_large(err, "ZSTD", dst_len);
        /* r == 0: a frame ended; more input means another frame follows. */
        if (r == 0 && in.pos == in.size) break;
        if (!spilling && out.pos == out.size) {
            spilling = 1;
            out.dst = spill;
            out.size = sizeof spill;
            out.pos = 0;
        } else if (in.pos == in_before && out.pos == out_before) {
            return floe_err_set(err, FLOE_ECORRUPT, "ZSTD: truncated frame after %zu of %zu bytes",
                                spilling ? dst_len : out.pos, dst_len);
        }
    }
    size_t got = spilling ? dst_len : out.pos;
    if (got != dst_len) return size_mismatch(err, "ZSTD", got, dst_len);
    return 0;
}

static int decompress_brotli(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, floe_err *err) {
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s) return floe_err_set(err, FLOE_EINVAL, "BROTLI: cannot create a decoder");
    size_t avail_in = n, avail_out = dst_len;
    const uint8_t *next_in = src;
    uint8_t *next_out = dst;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
    int rc = 0;
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
        rc = too_large(err, "BROTLI", dst_len);
    else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
        rc = floe_err_set(err, FLOE_ECORRUPT, "BROTLI: truncated stream after %zu of %zu bytes",
                          dst_len - avail_out, dst_len);
    else if (r != BROTLI_DECODER_RESULT_SUCCESS)
        rc = floe_err_set(err, FLOE_ECORRUPT, "BROTLI: corrupt stream (%s)",
                          BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
    else if (avail_out != 0)
        rc = size_mismatch(err, "BROTLI", dst_len - avail_out, dst_len);
    BrotliDecoderDestroyInstance(s);
    return rc;
}

/* One raw LZ4 block into exactly dst_len bytes; -1 (without an error) if it
 * is not that. */
static int lz4_block(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
    if (n > INT_MAX || dst_len > INT_MAX) return -1;
    int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
    return r >= 0 && (size_t)r == dst_len ? 0 : -1;
}

static int decompress_lz4_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, floe_err *err) {
    if (n > INT_MAX || dst_len > INT_MAX)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "LZ4_RAW: page of %zu bytes is too large", n > dst_len ? n : dst_len);
    int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
    if (r < 0)
        return floe_err_set(err, FLOE_ECORRUPT,
                            "LZ4_RAW: corrupt block, or one that decompresses to more than the %zu bytes its header says",
                            dst_len);
    if ((size_t)r != dst_len) return size_mismatch(err, "LZ4_RAW", (size_t)r, dst_len);
    return 0;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop framing: repeated [BE32 uncompressed][BE32 compressed][block].
 * Returns 0 when the whole input parses that way into exactly dst_len bytes. */
static int lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
    size_t pos = 0, out = 0;
    while (pos < n) {
        if (n - pos < 8) return -1;
        size_t ulen = be32(src + pos), clen = be32(src + pos + 4);
        pos += 8;
        if (clen > n - pos || ulen > dst_len - out) return -1;
        if (lz4_block(src + pos, clen, dst + out, ulen) != 0) return -1;
        pos += clen;
        out += ulen;
    }
    return out == dst_len ? 0 : -1;
}

#define LZ4_FRAME_MAGIC 0x184D2204u

static int lz4_frame(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, floe_err *err) {
    LZ4F_dctx *d;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return floe_err_set(err, FLOE_EINVAL, "LZ4: cannot create a frame decompression context");
    uint8_t spill[64];
    size_t in = 0, out = 0;
    int spilling = 0, rc = 0;
    for (;;) {
        size_t src_size = n - in;
        size_t dst_size = spilling ? sizeof spill : dst_len - out;
        size_t r = LZ4F_decompress(d, spilling ? spill : dst + out, &dst_size, src + in, &src_size, NULL);
        if (LZ4F_isError(r)) {
            rc = floe_err_set(err, FLOE_ECORRUPT, "LZ4: corrupt frame (%s)", LZ4F_getErrorName(r));
            break;
        }
        if (spilling && dst_size > 0) {
            rc = too_large(err, "LZ4", dst_len);
            break;
        }
        in += src_size;
        if (!spilling) out += dst_size;
        /* r == 0: the frame ended; the context is ready for a following one. */
        if (r == 0 && in == n) break;
        if (!spilling && out == dst_len) {
            spilling = 1;
        } else if (src_size == 0 && dst_size == 0) {
            rc = floe_err_set(err, FLOE_ECORRUPT, "LZ4: truncated frame after %zu of %zu bytes", out, dst_len);
            break;
        }
    }
    LZ4F_freeDecompressionContext(d);
    if (rc == 0 && out != dst_len) rc = size_mismatch(err, "LZ4", out, dst_len);
    return rc;
}

static int decompress_lz4(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, floe_err *err) {
    if (n >= 4 && (src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24) == LZ4_FRAME_MAGIC)
        return lz4_frame(src, n, dst, dst_len, err);
    if (lz4_hadoop(src, n, dst, dst_len) == 0) return 0;
    if (lz4_block(src, n, dst, dst_len) == 0) return 0;
    return floe_err_set(err, FLOE_ECORRUPT,
                        "LZ4: page of %zu bytes is neither Hadoop-framed nor a raw block of %zu bytes", n, dst_len);
}

int floe_codec_decompress(floe_codec_ctx *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t dst_len, floe_err *err) {
    /* Some writers store an empty page (data page v2 with only nulls) as no
     * bytes at all whatever the codec; nothing to inflate, nothing missing. */
    if (n == 0 && dst_len == 0 && codec != FLOE_PQ_CODEC_LZO) return 0;
    switch (codec) {
    case FLOE_PQ_CODEC_UNCOMPRESSED:
        if (n != dst_len) return size_mismatch(err, "UNCOMPRESSED", n, dst_len);
        if (n) memcpy(dst, src, n);
        return 0;
    case FLOE_PQ_CODEC_SNAPPY:
        return decompress_snappy(src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_GZIP:
        return decompress_gzip(c, src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_BROTLI:
        return decompress_brotli(src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_ZSTD:
        return decompress_zstd(c, src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_LZ4_RAW:
        return decompress_lz4_raw(src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_LZ4:
        return decompress_lz4(src, n, dst, dst_len, err);
    case FLOE_PQ_CODEC_LZO:
        return floe_err_set(err, FLOE_EUNSUPPORTED, "LZO compression is not supported");
    default:
        return floe_err_set(err, FLOE_ECORRUPT, "unknown compression codec %d", codec);
    }
}
