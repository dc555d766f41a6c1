/*
 * codec.h — page compression: uncompressed, snappy, gzip, brotli, zstd,
 * lz4_raw, and LZ4 in both of its historical framings (Hadoop's
 * length-prefixed blocks, as parquet-mr wrote it, and the LZ4 frame format;
 * the decoder tells them apart).
 *
 * Decompression knows the expected size from the page header and fails with
 * a message naming the codec when the data does not inflate to exactly that
 * size.  A floe_codec_ctx caches the per-codec contexts (zstd's especially)
 * so a column writer does not allocate per page.
 */
#ifndef FLOE_PARQUET_CODEC_H
#define FLOE_PARQUET_CODEC_H

#include "floe/parquet.h"
#include "util/err.h"
#include "util/mem.h"

typedef struct floe_codec_ctx floe_codec_ctx;

floe_codec_ctx *floe_codec_ctx_new(void);
void floe_codec_ctx_free(floe_codec_ctx *c);

/* 1 if floe can write this codec, else 0. */
int floe_codec_can_write(int codec);

/* Appends the compressed form of src to out.  level 0 = codec default. */
int floe_codec_compress(floe_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n,
                        floe_buf *out, floe_err *err);

/* Decompresses src into dst, which must become exactly dst_len bytes. */
int floe_codec_decompress(floe_codec_ctx *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t dst_len, floe_err *err);

#endif
