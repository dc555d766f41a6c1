/*
 * encoding.c — Parquet's non-PLAIN encodings (see encoding.h and
 * parquet-format Encodings.md): the RLE/bit-packed hybrid, LSB-first bit
 * packing and the deprecated MSB-first BIT_PACKED, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
 *
 * How it works:
 *  - Unpacking is the hot path (levels, dictionary indices, delta
 *    miniblocks).  Values are unpacked a group of 8 at a time: a group of 8
 *    values of width w is exactly w bytes, and each value is one unaligned
 *    64-bit little-endian load, a shift and a mask.  unpack_group() is
 *    inlined into a switch over the bit width so that every offset, shift
 *    and mask is a constant; the switch is taken once per call, not per
 *    value.  The 64-bit loads read up to UNPACK_SLACK bytes past a group, so
 *    groups that close to the end of the buffer are first copied into a
 *    zeroed scratch array; bytes missing from a truncated run read as zero.
 *  - Packing is the mirror image: whole groups of 8 values of a width up to
 *    32 are packed by code specialised per width (a 64-bit accumulator
 *    stored 8 bytes at a time, every shift a constant); the rest (a last
 *    partial group, delta miniblocks) goes through one bit writer (32 bits
 *    flushed at a time).
 *  - Delta arithmetic is done in uint64 so that overflow wraps as the spec
 *    asks; INT32 data ("is32") wraps at 32 bits by truncating the 64-bit
 *    running sum, which is the same thing modulo 2^32.
 *  - Every decoder checks each length against the bytes that remain before
 *    reading or allocating, and names the encoding in its errors.
 */
#include "format/parquet/encoding.h"

#include "format/parquet/thrift.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define FLOE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FLOE_ALWAYS_INLINE inline
#endif

#define RLE_NAME "RLE/bit-packed hybrid"
#define DBP_NAME "DELTA_BINARY_PACKED"
#define DLBA_NAME "DELTA_LENGTH_BYTE_ARRAY"
#define DBA_NAME "DELTA_BYTE_ARRAY"
#define BSS_NAME "BYTE_STREAM_SPLIT"

/* The spec bounds both run kinds to 2^31 - 1 values so that readers can keep
 * run lengths in a signed 32-bit integer; the encoder splits longer runs. */
#define RLE_MAX_RUN 0x7fffffffu
/* DELTA_BYTE_ARRAY values are rebuilt from shared prefixes, so a few bytes of
 * input can describe an enormous output; refuse to materialize more than
 * this per call rather than let hostile input exhaust memory. */
#define DBA_MAX_OUTPUT ((uint64_t)1 << 30)

int floe_bit_width(uint64_t max_value) {
    return max_value ? 64 - __builtin_clzll(max_value) : 0;
}

/* ---- Little-endian loads, ULEB128 and zigzag ----------------------------- */

static FLOE_ALWAYS_INLINE uint64_t load64le(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Reads a ULEB128 varint of at most 64 bits; -1 if it is cut off by `end`
 * or overflows. */
static int read_uleb(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        uint8_t b = *p++;
        /* The 10th byte may only carry bit 63. */
        if (shift == 63 && (b & 0x7e)) return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int64_t unzigzag(uint64_t u) { return (int64_t)((u >> 1) ^ (~(u & 1) + 1)); }

/* Writing goes through the Thrift compact writer, whose varints are the same
 * ULEB128 and zigzag ULEB128 that Parquet's encodings use. */

/* ---- Unpacking (LSB first) ----------------------------------------------- */

/* Bytes a group unpack may read past the group's own w bytes: the 64-bit load
 * of value 7 starts at byte floor(7w/8) and a width above 56 needs a ninth
 * byte. */
#define UNPACK_SLACK 16

/* Value at bit offset `bit` of width bw (1..64). */
static FLOE_ALWAYS_INLINE uint64_t bits_at(const uint8_t *in, unsigned bit, int bw) {
    unsigned s = bit & 7;
    uint64_t v = load64le(in + (bit >> 3)) >> s;
    if (bw + s > 64) v |= (uint64_t)in[(bit >> 3) + 8] << (64 - s);
    return bw == 64 ? v : v & ((UINT64_C(1) << bw) - 1);
}

#define CASES_1_32(X)                                                                               \
    X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17)  \
    X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31) X(32)
#define CASES_33_64(X)                                                                              \
    X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45) X(46) X(47)     \
    X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(60) X(61) X(62)     \
    X(63) X(64)

/* unpackNN(in, avail, bw, out, ngroups): unpacks ngroups groups of 8 values
 * of width bw (0..max) starting at `in`, of which `avail` bytes may be read
 * (bytes of the groups past `avail` read as zero). */
#define DEFINE_UNPACK(NAME, T, CASES)                                                               \
    static void NAME(const uint8_t *in, size_t avail, int bw, T *out, size_t ngroups) {            \
        if (bw == 0) {                                                                             \
            memset(out, 0, ngroups * 8 * sizeof(T));                                               \
            return;                                                                                \
        }                                                                                          \
        size_t w = (size_t)bw;                                                                     \
        size_t fast = avail >= UNPACK_SLACK ? (avail - UNPACK_SLACK) / w : 0;                      \
        if (fast > ngroups) fast = ngroups;                                                        \
        switch (bw) {                                                                              \
            CASES(UNPACK_CASE_##T)                                                                 \
            default: break;                                                                        \
        }                                                                                          \
        for (size_t g = fast; g < ngroups; g++) {                                                  \
            uint8_t tmp[64 + UNPACK_SLACK] = {0};                                                  \
            size_t off = g * w;                                                                    \
            if (off < avail) memcpy(tmp, in + off, avail - off < w ? avail - off : w);             \
            NAME(tmp, sizeof tmp, bw, out + g * 8, 1);                                             \
        }                                                                                          \
    }

/* All eight loads come before the stores: out may alias in as far as the
 * compiler knows, and stores in between would force every load again. */
#define UNPACK_GROUP(B, T)                                                                          \
    case B:                                                                                        \
        for (size_t g = 0; g < fast; g++) {                                                        \
            const uint8_t *gi = in + g * B;                                                        \
            T *go = out + g * 8;                                                                   \
            uint64_t x0 = bits_at(gi, 0 * B, B), x1 = bits_at(gi, 1 * B, B);                       \
            uint64_t x2 = bits_at(gi, 2 * B, B), x3 = bits_at(gi, 3 * B, B);                       \
            uint64_t x4 = bits_at(gi, 4 * B, B), x5 = bits_at(gi, 5 * B, B);                       \
            uint64_t x6 = bits_at(gi, 6 * B, B), x7 = bits_at(gi, 7 * B, B);                       \
            go[0] = (T)x0, go[1] = (T)x1, go[2] = (T)x2, go[3] = (T)x3;                            \
            go[4] = (T)x4, go[5] = (T)x5, go[6] = (T)x6, go[7] = (T)x7;                            \
        }                                                                                          \
        break;
#define UNPACK_CASE_uint32_t(B) UNPACK_GROUP(B, uint32_t)
#define UNPACK_CASE_uint64_t(B) UNPACK_GROUP(B, uint64_t)
#define CASES_1_64(X) CASES_1_32(X) CASES_33_64(X)

DEFINE_UNPACK(unpack32, uint32_t, CASES_1_32)
DEFINE_UNPACK(unpack64, uint64_t, CASES_1_64)

/* ---- Packing (LSB first) ------------------------------------------------- */

/* Writes into space the caller reserved in `out` for exactly the bits it
 * will put (rounded up to a byte), so the per-value path has no capacity
 * checks; bw_finish() accounts the bytes in out->len. */
typedef struct bitwriter {
    floe_buf *out;
    uint8_t *p;
    uint64_t acc; /* pending bits, fewer than 32 between calls */
    unsigned bits;
} bitwriter;

static void bw_begin(bitwriter *w, floe_buf *out, uint64_t nbits) {
    /* One byte more than needed keeps data non-NULL when nothing is put. */
    floe_buf_reserve(out, (size_t)((nbits + 7) / 8) + 1);
    w->out = out;
    w->p = out->data + out->len;
    w->acc = 0;
    w->bits = 0;
}

/* Appends the low k (0..32) bits of v. */
static FLOE_ALWAYS_INLINE void bw_put(bitwriter *w, uint64_t v, unsigned k) {
    w->acc |= (v & ((UINT64_C(1) << k) - 1)) << w->bits;
    w->bits += k;
    if (w->bits >= 32) {
        w->p[0] = (uint8_t)w->acc;
        w->p[1] = (uint8_t)(w->acc >> 8);
        w->p[2] = (uint8_t)(w->acc >> 16);
        w->p[3] = (uint8_t)(w->acc >> 24);
        w->p += 4;
        w->acc >>= 32;
        w->bits -= 32;
    }
}

static FLOE_ALWAYS_INLINE void bw_put64(bitwriter *w, uint64_t v, unsigned k) {
    if (k > 32) {
        bw_put(w, v, 32);
        bw_put(w, v >> 32, k - 32);
    } else {
        bw_put(w, v, k);
    }
}

/* Flushes the pending bits, zero-padded to a byte. */
static void bw_finish(bitwriter *w) {
    for (; w->bits > 0; w->bits = w->bits > 8 ? w->bits - 8 : 0) {
        *w->p++ = (uint8_t)w->acc;
        w->acc >>= 8;
    }
    w->out->len = (size_t)(w->p - w->out->data);
}

static FLOE_ALWAYS_INLINE void store64le(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* Packs ngroups groups of 8 values at width B into out (B bytes a group).
 * Each group ends with an 8-byte store of its last bits, which may run up to
 * 8 bytes past them: the next group overwrites those, and the caller
 * leaves PACK_SLACK bytes of room after the last. */
#define PACK_SLACK 8
#define PACK_GROUP(B)                                                                   \
    case B:                                                                            \
        for (size_t g = 0; g < ngroups; g++) {                                         \
            const uint32_t *gv = vals + g * 8;                                         \
            uint8_t *o = out + g * B;                                                  \
            uint64_t acc = 0;                                                          \
            unsigned bits = 0;                                                         \
            _Pragma("GCC unroll 8")                                                    \
            for (unsigned k = 0; k < 8; k++) {                                         \
                uint64_t v = gv[k] & ((UINT64_C(1) << B) - 1);                         \
                acc |= v << bits;                                                      \
                if (bits + B >= 64) {                                                  \
                    store64le(o, acc);                                                 \
                    o += 8;                                                            \
                    acc = bits + B > 64 ? v >> (64 - bits) : 0;                        \
                    bits = bits + B - 64;                                              \
                } else {                                                               \
                    bits += B;                                                         \
                }                                                                      \
            }                                                                          \
            if (bits) store64le(o, acc);                                               \
        }                                                                              \
        break;

static void pack_groups(const uint32_t *vals, size_t ngroups, int bw, uint8_t *out) {
    switch (bw) {
        CASES_1_32(PACK_GROUP)
        default: break; /* width 0: no bytes */
    }
}

void floe_bitpack(const uint32_t *vals, size_t n, int bit_width, floe_buf *out) {
    size_t groups = n / 8;
    if (groups) {
        floe_buf_reserve(out, groups * (size_t)bit_width + PACK_SLACK);
        pack_groups(vals, groups, bit_width, out->data + out->len);
        out->len += groups * (size_t)bit_width;
    }
    bitwriter w;
    bw_begin(&w, out, (uint64_t)(n - groups * 8) * (uint64_t)bit_width);
    for (size_t i = groups * 8; i < n; i++) bw_put(&w, vals[i], (unsigned)bit_width);
    bw_finish(&w);
}

/* ---- RLE / bit-packed hybrid: encoder ------------------------------------ */

/* Emits vals[0..n) as bit-packed runs; the last group is zero-padded to 8
 * values, which a reader that knows the value count never looks at. */
static void rle_put_literals(const uint32_t *vals, size_t n, int bw, floe_thrift_writer *tw) {
    floe_buf *out = tw->out;
    const size_t max_groups = RLE_MAX_RUN / 8;
    while (n > 0) {
        size_t groups = (n + 7) / 8;
        if (groups > max_groups) groups = max_groups;
        size_t take = groups * 8 < n ? groups * 8 : n;
        floe_thrift_write_varint(tw, (uint64_t)groups << 1 | 1);
        size_t start = out->len;
        floe_bitpack(vals, take, bw, out);
        size_t want = groups * (size_t)bw;
        while (out->len - start < want) floe_buf_putc(out, 0);
        vals += take;
        n -= take;
    }
}

static void rle_put_run(uint32_t value, size_t count, int bw, floe_thrift_writer *tw) {
    size_t vbytes = ((size_t)bw + 7) / 8;
    while (count > 0) {
        size_t take = count > RLE_MAX_RUN ? RLE_MAX_RUN : count;
        floe_thrift_write_varint(tw, (uint64_t)take << 1);
        for (size_t i = 0; i < vbytes; i++) floe_buf_putc(tw->out, (uint8_t)(value >> (8 * i)));
        count -= take;
    }
}

void floe_rle_encode(const uint32_t *vals, size_t n, int bit_width, floe_buf *out) {
    if (n == 0) return;
    uint32_t mask = bit_width >= 32 ? UINT32_MAX : (UINT32_C(1) << bit_width) - 1;
    floe_thrift_writer tw;
    floe_thrift_writer_init(&tw, out);
    size_t lit = 0; /* vals[lit..i) are pending literals */
    size_t i = 0;
    while (i < n) {
        uint32_t x = vals[i];
        size_t j = i + 1;
        while (j < n && vals[j] == x) j++;
        /* Literals go out in whole groups of 8, so a repeat that follows a
         * partial group first lends it the values it needs; the rest becomes
         * an RLE run if it is still 8 or more long. */
        if (j - i >= 8) {
            size_t run = j - i, fill = (8 - (i - lit) % 8) % 8;
            if (run >= 8 + fill) {
                rle_put_literals(vals + lit, i - lit + fill, bit_width, &tw);
                rle_put_run(x & mask, run - fill, bit_width, &tw);
                lit = j;
            }
        }
        i = j;
    }
    rle_put_literals(vals + lit, n - lit, bit_width, &tw);
}

/* ---- RLE / bit-packed hybrid: decoder ------------------------------------ */

void floe_rle_decoder_init(floe_rle_decoder *d, const uint8_t *p, size_t len, int bit_width) {
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = len ? p + len : p; /* p may be NULL when len is 0 */
    d->bit_width = bit_width;
}

/* Reads the next run header.  A bit-packed run whose data the buffer cuts
 * short keeps only the values its bytes fully contain (some writers end the
 * last run early); asking for more then fails as running out of data. */
static int rle_next_run(floe_rle_decoder *d, size_t wanted, floe_err *err) {
    uint64_t h;
    if (d->p >= d->end)
        return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": data ends with %zu more values wanted", wanted);
    if (read_uleb(&d->p, d->end, &h))
        return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": truncated or overlong run header");
    size_t w = (size_t)d->bit_width;
    size_t avail = (size_t)(d->end - d->p);
    if (h & 1) {
        uint64_t groups = h >> 1;
        if (groups > UINT64_MAX / 8)
            return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": bit-packed run of %llu groups is too long",
                                (unsigned long long)groups);
        uint64_t values = groups * 8, bytes = groups * w;
        if (w > 0 && (groups > avail || bytes > avail)) {
            values = (uint64_t)avail / w * 8 + (uint64_t)avail % w * 8 / w;
            bytes = avail;
        }
        d->packed = d->p;
        d->packed_pos = 0;
        d->packed_left = values;
        d->p += bytes;
    } else {
        size_t vbytes = (w + 7) / 8;
        if (avail < vbytes)
            return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": RLE run value needs %zu bytes, %zu remain",
                                vbytes, avail);
        uint32_t v = 0;
        for (size_t i = 0; i < vbytes; i++) v |= (uint32_t)d->p[i] << (8 * i);
        d->p += vbytes;
        if (w < 32 && (v >> w) != 0)
            return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": RLE run value %u does not fit bit width %d", v,
                                d->bit_width);
        d->rle_value = v;
        d->rle_left = h >> 1;
    }
    return 0;
}

/* Copies k (<= packed_left) values of the current bit-packed run to out. */
static void rle_take_packed(floe_rle_decoder *d, uint32_t *out, size_t k) {
    const size_t w = (size_t)d->bit_width;
    const size_t run_avail = (size_t)(d->end - d->packed);
    uint64_t pos = d->packed_pos;
    d->packed_pos += k;
    d->packed_left -= k;
    while (k > 0) {
        /* pos indexes a value whose bits start inside the run's bytes, so
         * its group starts inside them too. */
        size_t g = (size_t)(pos / 8), off = (size_t)(pos % 8);
        const uint8_t *gp = d->packed + g * w;
        size_t avail = run_avail - g * w;
        if (off == 0 && k >= 8) {
            size_t ng = k / 8;
            unpack32(gp, avail, d->bit_width, out, ng);
            out += ng * 8;
            pos += ng * 8;
            k -= ng * 8;
        } else {
            uint32_t tmp[8];
            size_t m = 8 - off < k ? 8 - off : k;
            unpack32(gp, avail, d->bit_width, tmp, 1);
            memcpy(out, tmp + off, m * sizeof *out);
            out += m;
            pos += m;
            k -= m;
        }
    }
}

int floe_rle_decode(floe_rle_decoder *d, uint32_t *out, size_t n, floe_err *err) {
    if (d->bit_width < 0 || d->bit_width > 32)
        return floe_err_set(err, FLOE_ECORRUPT, RLE_NAME ": bit width %d is outside 0..32", d->bit_width);
    while (n > 0) {
        if (d->rle_left > 0) {
            size_t k = d->rle_left < n ? (size_t)d->rle_left : n;
            uint32_t v = d->rle_value;
            for (size_t i = 0; i < k; i++) out[i] = v;
            d->rle_left -= k;
            out += k;
            n -= k;
        } else if (d->packed_left > 0) {
            size_t k = d->packed_left < n ? (size_t)d->packed_left : n;
            rle_take_packed(d, out, k);
            out += k;
            n -= k;
        } else if (rle_next_run(d, n, err)) {
            return -1;
        }
    }
    return 0;
}

/* ---- Deprecated BIT_PACKED (MSB first) ----------------------------------- */

int floe_bitpacked_legacy_decode(const uint8_t *p, size_t len, int bit_width, uint32_t *out, size_t n,
                                 floe_err *err) {
    if (bit_width < 0 || bit_width > 32)
        return floe_err_set(err, FLOE_ECORRUPT, "BIT_PACKED: bit width %d is outside 0..32", bit_width);
    if (bit_width == 0) {
        memset(out, 0, n * sizeof *out);
        return 0;
    }
    size_t w = (size_t)bit_width;
    if (n > len / w * 8 + len % w * 8 / w)
        return floe_err_set(err, FLOE_ECORRUPT, "BIT_PACKED: %zu values of %d bits need more than the %zu bytes present",
                            n, bit_width, len);
    uint64_t acc = 0, mask = (UINT64_C(1) << w) - 1;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        while (bits < w) {
            acc = acc << 8 | *p++;
            bits += 8;
        }
        bits -= (unsigned)w;
        out[i] = (uint32_t)((acc >> bits) & mask);
    }
    return 0;
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------- */

#define DELTA_BLOCK 128
#define DELTA_MINIBLOCKS 4
#define DELTA_MINI (DELTA_BLOCK / DELTA_MINIBLOCKS)

/* Encodes n values read as int32 (is32) or int64 from `vals`.  INT32 data
 * computes deltas modulo 2^32 so that no miniblock needs more than 32 bits,
 * as the spec requires of writers. */
static void delta_encode(const void *vals, int is32, size_t n, floe_buf *out) {
    const int32_t *v32 = vals;
    const int64_t *v64 = vals;
#define VAL(i) (is32 ? (uint64_t)(int64_t)v32[i] : (uint64_t)v64[i])
    floe_thrift_writer tw;
    floe_thrift_writer_init(&tw, out);
    floe_thrift_write_varint(&tw, DELTA_BLOCK);
    floe_thrift_write_varint(&tw, DELTA_MINIBLOCKS);
    floe_thrift_write_varint(&tw, n);
    floe_thrift_write_i64(&tw, n ? (int64_t)VAL(0) : 0);
    uint64_t prev = n ? VAL(0) : 0;
    for (size_t i = 1; i < n; i += DELTA_BLOCK) {
        size_t k = n - i < DELTA_BLOCK ? n - i : DELTA_BLOCK;
        int64_t delta[DELTA_BLOCK];
        for (size_t j = 0; j < k; j++) {
            uint64_t cur = VAL(i + j);
            uint64_t d = cur - prev;
            delta[j] = is32 ? (int64_t)(int32_t)(uint32_t)d : (int64_t)d;
            prev = cur;
        }
        int64_t min = delta[0];
        for (size_t j = 1; j < k; j++)
            if (delta[j] < min) min = delta[j];
        /* For INT32 both are int32 values, so the difference fits 32 bits. */
        uint64_t rel[DELTA_BLOCK] = {0};
        for (size_t j = 0; j < k; j++) rel[j] = (uint64_t)delta[j] - (uint64_t)min;
        floe_thrift_write_i64(&tw, min);
        uint8_t widths[DELTA_MINIBLOCKS] = {0};
        uint64_t nbits = 0;
        for (size_t m = 0; m * DELTA_MINI < k; m++) {
            uint64_t ormask = 0;
            for (size_t j = m * DELTA_MINI; j < (m + 1) * DELTA_MINI; j++) ormask |= rel[j];
            widths[m] = (uint8_t)floe_bit_width(ormask);
            nbits += DELTA_MINI * widths[m];
        }
        floe_buf_append(out, widths, sizeof widths);
        /* Miniblocks past the last value carry no data; the last one in use
         * is padded with zeros (rel[] beyond k is zero) to a full 32. */
        bitwriter w;
        bw_begin(&w, out, nbits);
        for (size_t m = 0; m * DELTA_MINI < k; m++)
            for (size_t j = m * DELTA_MINI; j < (m + 1) * DELTA_MINI; j++) bw_put64(&w, rel[j], widths[m]);
        bw_finish(&w);
    }
#undef VAL
}

void floe_delta_encode(const int64_t *vals, size_t n, floe_buf *out) { delta_encode(vals, 0, n, out); }

void floe_delta_encode32(const int32_t *vals, size_t n, floe_buf *out) { delta_encode(vals, 1, n, out); }

typedef struct delta_header {
    uint64_t block_size, miniblocks, count;
    uint64_t first;
} delta_header;

static int delta_read_header(const uint8_t **pp, const uint8_t *end, delta_header *h, floe_err *err) {
    if (read_uleb(pp, end, &h->block_size))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": truncated header (block size)");
    if (h->block_size == 0 || h->block_size % 128 != 0 || h->block_size > (UINT64_C(1) << 31))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": block size %llu is not a positive multiple of 128",
                            (unsigned long long)h->block_size);
    if (read_uleb(pp, end, &h->miniblocks))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": truncated header (miniblock count)");
    if (h->miniblocks == 0 || h->block_size % h->miniblocks != 0 || (h->block_size / h->miniblocks) % 32 != 0)
        return floe_err_set(err, FLOE_ECORRUPT,
                            DBP_NAME ": %llu miniblocks do not split a block of %llu into multiples of 32",
                            (unsigned long long)h->miniblocks, (unsigned long long)h->block_size);
    if (read_uleb(pp, end, &h->count))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": truncated header (value count)");
    if (h->count > SIZE_MAX / sizeof(int64_t))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": value count %llu is too large",
                            (unsigned long long)h->count);
    if (read_uleb(pp, end, &h->first))
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": truncated header (first value)");
    return 0;
}

int floe_delta_peek_count(const uint8_t *p, size_t len, size_t *count, floe_err *err) {
    delta_header h;
    if (delta_read_header(&p, len ? p + len : p, &h, err)) return -1;
    *count = (size_t)h.count;
    return 0;
}

int floe_delta_decode(const uint8_t *p, size_t len, int is32, int64_t *out, size_t cap, size_t *count,
                      size_t *consumed, floe_err *err) {
    const uint8_t *start = p, *end = len ? p + len : p; /* p may be NULL when len is 0 */
    delta_header h;
    if (delta_read_header(&p, end, &h, err)) return -1;
    if (h.count > cap)
        return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": header holds %llu values, more than the %zu expected",
                            (unsigned long long)h.count, cap);
    const size_t total = (size_t)h.count, nmini = (size_t)h.miniblocks;
    const size_t mini = (size_t)(h.block_size / h.miniblocks);
    const int maxbw = is32 ? 32 : 64;
    uint64_t last = unzigzag(h.first);
    size_t i = 0;
    if (total > 0) out[i++] = is32 ? (int64_t)(int32_t)(uint32_t)last : (int64_t)last;
    while (i < total) {
        uint64_t zmin;
        if (read_uleb(&p, end, &zmin))
            return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": truncated block header (min delta) at byte %zu",
                                (size_t)(p - start));
        uint64_t min = (uint64_t)unzigzag(zmin);
        if ((size_t)(end - p) < nmini)
            return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": block at byte %zu lacks its %zu miniblock widths",
                                (size_t)(p - start), nmini);
        const uint8_t *widths = p;
        p += nmini;
        for (size_t m = 0; m < nmini && i < total; m++) {
            int bw = widths[m];
            if (bw > maxbw)
                return floe_err_set(err, FLOE_ECORRUPT, DBP_NAME ": miniblock bit width %d > %d", bw, maxbw);
            size_t need = total - i < mini ? total - i : mini;
            size_t avail = (size_t)(end - p);
            /* Only the bits of the values still wanted must be present; the
             * padding of the final miniblock may be cut off. */
            if ((uint64_t)need * (uint64_t)bw > (uint64_t)avail * 8)
                return floe_err_set(err, FLOE_ECORRUPT,
                                    DBP_NAME ": miniblock at byte %zu needs %zu values of %d bits, %zu bytes remain",
                                    (size_t)(p - start), need, bw, avail);
            for (size_t done = 0; done < need; done += 64) {
                uint64_t rel[64];
                size_t k = need - done < 64 ? need - done : 64;
                size_t off = done / 8 * (size_t)bw;
                unpack64(p + off, avail - off, bw, rel, (k + 7) / 8);
                if (is32) {
                    for (size_t j = 0; j < k; j++) {
                        last += min + rel[j];
                        out[i + j] = (int32_t)(uint32_t)last;
                    }
                } else {
                    for (size_t j = 0; j < k; j++) {
                        last += min + rel[j];
                        out[i + j] = (int64_t)last;
                    }
                }
                i += k;
            }
            size_t mbytes = mini / 8 * (size_t)bw;
            p += mbytes < avail ? mbytes : avail;
        }
    }
    *count = total;
    *consumed = (size_t)(p - start);
    return 0;
}

/* ---- DELTA_LENGTH_BYTE_ARRAY ---------------------------------------------- */

/* Decodes exactly n lengths at the front of p into a new array; *consumed
 * gets the bytes they take.  `what` names the caller's encoding. */
static int64_t *decode_lengths(const uint8_t *p, size_t len, size_t n, const char *what, size_t *consumed,
                               floe_err *err) {
    size_t count;
    if (floe_delta_peek_count(p, len, &count, err)) {
        floe_err_prefix(err, "%s", what);
        return NULL;
    }
    if (count != n) {
        floe_err_set(err, FLOE_ECORRUPT, "%s: %zu lengths encoded for %zu values", what, count, n);
        return NULL;
    }
    int64_t *lens = floe_xmalloc((n ? n : 1) * sizeof *lens);
    if (floe_delta_decode(p, len, 1, lens, n, &count, consumed, err)) {
        free(lens);
        floe_err_prefix(err, "%s", what);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (lens[i] < 0) {
            floe_err_set(err, FLOE_ECORRUPT, "%s: value %zu has negative length %lld", what, i,
                         (long long)lens[i]);
            free(lens);
            return NULL;
        }
    }
    return lens;
}

/* Lengths then bytes.  Bytes past the last value are ignored. */
static int delta_length_decode(const uint8_t *p, size_t len, floe_pq_bytes *out, size_t n, const char *what,
                               floe_err *err) {
    size_t hdr;
    int64_t *lens = decode_lengths(p, len, n, what, &hdr, err);
    if (!lens) return -1;
    size_t pos = hdr;
    for (size_t i = 0; i < n; i++) {
        if ((uint64_t)lens[i] > len - pos) {
            floe_err_set(err, FLOE_ECORRUPT, "%s: value %zu of %lld bytes at byte %zu overruns the %zu-byte data",
                         what, i, (long long)lens[i], pos, len);
            free(lens);
            return -1;
        }
        out[i].ptr = p + pos;
        out[i].len = (uint32_t)lens[i];
        pos += (size_t)lens[i];
    }
    free(lens);
    return 0;
}

int floe_delta_length_decode(const uint8_t *p, size_t len, floe_pq_bytes *out, size_t n, floe_err *err) {
    return delta_length_decode(p, len, out, n, DLBA_NAME, err);
}

/* Appends the lengths of vals[0..n) as DELTA_BINARY_PACKED INT32, as
 * parquet-mr and Arrow write them. */
static void put_lengths(const floe_pq_bytes *vals, size_t n, floe_buf *out) {
    int32_t *lens = floe_xmalloc((n ? n : 1) * sizeof *lens);
    for (size_t i = 0; i < n; i++) lens[i] = (int32_t)vals[i].len;
    floe_delta_encode32(lens, n, out);
    free(lens);
}

void floe_delta_length_encode(const floe_pq_bytes *vals, size_t n, floe_buf *out) {
    put_lengths(vals, n, out);
    for (size_t i = 0; i < n; i++) floe_buf_append(out, vals[i].ptr, vals[i].len);
}

/* ---- DELTA_BYTE_ARRAY ------------------------------------------------------ */

int floe_delta_byte_array_decode(const uint8_t *p, size_t len, floe_pq_bytes *out, size_t n, floe_buf *store,
                                 floe_err *err) {
    size_t hdr;
    int64_t *prefix = decode_lengths(p, len, n, DBA_NAME " prefix lengths", &hdr, err);
    if (!prefix) return -1;
    /* The suffixes land in out[] first; values are then rebuilt in store. */
    if (delta_length_decode(p + hdr, len - hdr, out, n, DBA_NAME " suffixes", err)) {
        free(prefix);
        return -1;
    }
    /* Size everything before allocating: each prefix may reuse at most the
     * whole previous value. */
    uint64_t total = 0, prev_len = 0;
    for (size_t i = 0; i < n; i++) {
        if ((uint64_t)prefix[i] > prev_len) {
            floe_err_set(err, FLOE_ECORRUPT, DBA_NAME ": value %zu has prefix length %lld > previous length %llu",
                         i, (long long)prefix[i], (unsigned long long)prev_len);
            free(prefix);
            return -1;
        }
        prev_len = (uint64_t)prefix[i] + out[i].len;
        total += prev_len;
        if (prev_len > UINT32_MAX || total > DBA_MAX_OUTPUT) {
            floe_err_set(err, FLOE_ECORRUPT, DBA_NAME ": values up to %zu expand to more than %llu bytes", i,
                         (unsigned long long)(prev_len > UINT32_MAX ? UINT32_MAX : DBA_MAX_OUTPUT));
            free(prefix);
            return -1;
        }
    }
    /* One more byte so that data is not NULL even when every value is empty. */
    floe_buf_reserve(store, (size_t)total + 1);
    uint8_t *base = store->data + store->len, *dst = base;
    const uint8_t *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t pl = (size_t)prefix[i];
        if (pl) memcpy(dst, prev, pl);
        if (out[i].len) memcpy(dst + pl, out[i].ptr, out[i].len);
        out[i].ptr = dst;
        out[i].len = (uint32_t)(pl + out[i].len);
        prev = dst;
        dst += out[i].len;
    }
    store->len += (size_t)total;
    free(prefix);
    return 0;
}

void floe_delta_byte_array_encode(const floe_pq_bytes *vals, size_t n, floe_buf *out) {
    int32_t *prefix = floe_xmalloc((n ? n : 1) * sizeof *prefix);
    floe_pq_bytes *suffix = floe_xmalloc((n ? n : 1) * sizeof *suffix);
    for (size_t i = 0; i < n; i++) {
        uint32_t pl = 0;
        if (i > 0) {
            uint32_t lim = vals[i].len < vals[i - 1].len ? vals[i].len : vals[i - 1].len;
            while (pl < lim && vals[i].ptr[pl] == vals[i - 1].ptr[pl]) pl++;
        }
        prefix[i] = (int32_t)pl;
        suffix[i].ptr = vals[i].ptr + pl;
        suffix[i].len = vals[i].len - pl;
    }
    floe_delta_encode32(prefix, n, out);
    floe_delta_length_encode(suffix, n, out);
    free(prefix);
    free(suffix);
}

/* ---- BYTE_STREAM_SPLIT ----------------------------------------------------- */

/* Stream k holds byte k of every value: in[k*n + i] is byte k of value i.
 * The fixed widths are spelled out so the compiler unrolls the inner loop. */
#define BSS_LOOP(W, N, BODY)                                                     \
    switch (W) {                                                                 \
        case 4:                                                                  \
            for (size_t i = 0; i < (N); i++)                                     \
                for (size_t k = 0; k < 4; k++) BODY(4);                          \
            break;                                                               \
        case 8:                                                                  \
            for (size_t i = 0; i < (N); i++)                                     \
                for (size_t k = 0; k < 8; k++) BODY(8);                          \
            break;                                                               \
        default:                                                                 \
            for (size_t i = 0; i < (N); i++)                                     \
                for (size_t k = 0; k < (size_t)(W); k++) BODY((size_t)(W));      \
            break;                                                               \
    }

int floe_bss_decode(const uint8_t *p, size_t len, int width, size_t n, uint8_t *out, floe_err *err) {
    if (width <= 0)
        return floe_err_set(err, FLOE_EINVAL, BSS_NAME ": value width %d is not positive", width);
    size_t w = (size_t)width;
    if (n > len / w || n * w != len)
        return floe_err_set(err, FLOE_ECORRUPT, BSS_NAME ": %zu bytes are not %zu values of %d bytes", len, n,
                            width);
#define BSS_GATHER(WW) out[i * (WW) + k] = p[k * n + i]
    BSS_LOOP(width, n, BSS_GATHER)
#undef BSS_GATHER
    return 0;
}

void floe_bss_encode(const uint8_t *vals, int width, size_t n, floe_buf *out) {
    size_t w = (size_t)width;
    floe_buf_reserve(out, n * w);
    uint8_t *dst = out->data + out->len;
#define BSS_SCATTER(WW) dst[k * n + i] = vals[i * (WW) + k]
    BSS_LOOP(width, n, BSS_SCATTER)
#undef BSS_SCATTER
    out->len += n * w;
}
