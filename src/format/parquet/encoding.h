/*
 * encoding.h — Parquet's value and level encodings, as pure functions over
 * memory: the RLE/bit-packed hybrid (levels, booleans, dictionary indices),
 * bit packing, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.  PLAIN is trivial and lives with
 * the page readers and writers.
 *
 * Decoders treat their input as untrusted: every length is checked against
 * the bytes present and every error says which encoding failed and why
 * ("DELTA_BINARY_PACKED: miniblock bit width 70 > 64").  Encoders append to
 * a floe_buf.
 */
#ifndef FLOE_PARQUET_ENCODING_H
#define FLOE_PARQUET_ENCODING_H

#include "floe/parquet.h"
#include "util/err.h"
#include "util/mem.h"

/* Bits needed to represent max_value (0 for 0). */
int floe_bit_width(uint64_t max_value);

/* ---- RLE / bit-packed hybrid (no length prefix) ------------------------- */

/* Appends the hybrid encoding of vals[0..n) at bit_width (0..32).  Uses RLE
 * runs for repeats of 8+ and bit-packed groups of 8 otherwise. */
void floe_rle_encode(const uint32_t *vals, size_t n, int bit_width, floe_buf *out);

/* Streaming decoder over an encoded buffer. */
typedef struct floe_rle_decoder {
    const uint8_t *p, *end;
    int bit_width;
    uint32_t rle_value;     /* current RLE run value */
    uint64_t rle_left;      /* values left in the current RLE run */
    uint64_t packed_left;   /* values left in the current bit-packed run */
    const uint8_t *packed;  /* start of the current bit-packed group data */
    uint64_t packed_pos;    /* index within the current bit-packed run */
} floe_rle_decoder;

void floe_rle_decoder_init(floe_rle_decoder *d, const uint8_t *p, size_t len, int bit_width);
/* Decodes exactly n values into out; -1 with a message if the data runs out
 * or is malformed.  A bit-packed run that the data truncates mid-group still
 * yields the values it fully contains. */
int floe_rle_decode(floe_rle_decoder *d, uint32_t *out, size_t n, floe_err *err);

/* ---- Bit packing (LSB first, as Parquet's BIT_PACKED-in-hybrid) --------- */

/* Packs n values (n need not be a multiple of 8; the tail is zero-padded to a
 * byte). */
void floe_bitpack(const uint32_t *vals, size_t n, int bit_width, floe_buf *out);
/* Deprecated BIT_PACKED level encoding (MSB first), used by old files. */
int floe_bitpacked_legacy_decode(const uint8_t *p, size_t len, int bit_width, uint32_t *out, size_t n,
                                 floe_err *err);

/* ---- DELTA_BINARY_PACKED ------------------------------------------------ */

/* Appends the encoding of vals[0..n) (block 128, 4 miniblocks) for INT64
 * columns; arithmetic wraps at 64 bits as the spec says. */
void floe_delta_encode(const int64_t *vals, size_t n, floe_buf *out);
/* The same for INT32 columns with deltas wrapping at 32 bits, so that no
 * miniblock is wider than 32 bits (the spec forbids wider for INT32 and
 * readers decoding with 32-bit arithmetic need it). */
void floe_delta_encode32(const int32_t *vals, size_t n, floe_buf *out);
/* Decodes up to `cap` values; *count gets the number encoded in the header
 * (error if it exceeds cap), *consumed the bytes used.  `is32` makes the
 * arithmetic wrap at 32 bits (INT32 columns). */
int floe_delta_decode(const uint8_t *p, size_t len, int is32, int64_t *out, size_t cap, size_t *count,
                      size_t *consumed, floe_err *err);
/* The value count in a DELTA_BINARY_PACKED header, without decoding. */
int floe_delta_peek_count(const uint8_t *p, size_t len, size_t *count, floe_err *err);

/* ---- Byte-array encodings ----------------------------------------------- */

/* DELTA_LENGTH_BYTE_ARRAY: decodes exactly n values; out[i] points into p. */
int floe_delta_length_decode(const uint8_t *p, size_t len, floe_pq_bytes *out, size_t n, floe_err *err);
void floe_delta_length_encode(const floe_pq_bytes *vals, size_t n, floe_buf *out);
/* DELTA_BYTE_ARRAY: decodes exactly n values; the reconstructed bytes are
 * stored in *store (reset by the caller) and out[i] points into it.  Because
 * store may move while growing, pointers are fixed up before returning. */
int floe_delta_byte_array_decode(const uint8_t *p, size_t len, floe_pq_bytes *out, size_t n,
                                 floe_buf *store, floe_err *err);
void floe_delta_byte_array_encode(const floe_pq_bytes *vals, size_t n, floe_buf *out);

/* ---- BYTE_STREAM_SPLIT -------------------------------------------------- */

/* Reassembles n values of `width` bytes from len = n*width bytes of streams. */
int floe_bss_decode(const uint8_t *p, size_t len, int width, size_t n, uint8_t *out, floe_err *err);
void floe_bss_encode(const uint8_t *vals, int width, size_t n, floe_buf *out);

#endif
