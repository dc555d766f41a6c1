/*
 * column_reader.c — one column chunk's pages turned into batches of
 * (repetition level, definition level, dense value) for floe_pq_column_next.
 *
 * The whole chunk is read into memory with one callback read (a chunk is a
 * row group's share of one column, bounded by the file).  Pages are then
 * walked in order: a dictionary page is decoded once and kept; an index page
 * or a page type this reader does not know is skipped; a data page (v1 or
 * v2) is decompressed if needed and its level and value streams are set up.
 *
 * Levels and PLAIN, dictionary and RLE values are decoded lazily, one batch
 * at a time, so that memory follows the caller's batch size and not the
 * page's value count (a page of a million nulls can be a few bytes).  The
 * DELTA_* and BYTE_STREAM_SPLIT encodings are decoded a page at a time
 * because their decoders work on whole streams; what they produce is bounded
 * by the page's value count and FLOE_PQ_MAX_PAGE_BYTES.
 *
 * A batch never spans two pages: floe_pq_column_next returns at most `max`
 * entries (and at most MAX_BATCH, so that a hostile page's value count and a
 * caller's "as many as there are" cannot size an allocation together) and
 * stops at the end of the current page.  Byte-array values point
 * into the chunk, the current page or the dictionary, all of which live
 * until the next call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/parquet/encoding.h"
#include "format/parquet/reader_internal.h"
#include "format/parquet/schema.h"

#define MAX_BATCH ((size_t)1 << 16)

typedef enum {
    V_PLAIN,     /* cursor over PLAIN bytes (bit cursor for BOOLEAN) */
    V_DICT,      /* hybrid-coded indices into the dictionary */
    V_RLE_BOOL,  /* hybrid-coded booleans */
    V_DECODED    /* decoded up front into dec (elements of es bytes) */
} value_mode;

struct floe_pq_column_reader {
    floe_pq_reader *r;
    int rg, leaf;
    int physical, width;   /* width: bytes of a fixed-size value (1 for BOOLEAN, 0 for BYTE_ARRAY) */
    size_t es;             /* bytes per element of a batch's value array */
    int max_def, max_rep, codec;
    uint8_t *chunk;
    size_t chunk_len, pos;
    uint64_t chunk_off;
    int64_t expected, seen; /* level entries: footer num_values, and produced so far */

    /* dictionary */
    int has_dict;
    size_t dict_n;
    floe_buf dict_page;     /* decompressed dictionary page (compressed chunks only) */
    void *dict_vals;        /* dict_n elements of es bytes */

    /* current data page */
    int in_page;
    size_t page_left;       /* level entries not yet returned */
    uint64_t page_off;      /* file offset of its header, for messages */
    floe_buf page_buf;      /* decompressed page */
    int rep_legacy, def_legacy; /* levels held decoded in legacy_* (BIT_PACKED) */
    floe_rle_decoder rep_dec, def_dec;
    uint32_t *legacy_rep, *legacy_def;
    size_t legacy_cap, legacy_pos;
    value_mode mode;
    int encoding;
    const uint8_t *vp, *vend;
    uint64_t bitpos;        /* PLAIN BOOLEAN */
    floe_rle_decoder val_dec;
    int dict_empty;         /* dictionary-encoded page with no index bytes */
    floe_buf dec, aux;      /* V_DECODED values; aux: DELTA_BYTE_ARRAY bytes, BSS raw FIXED bytes */
    size_t dec_n, dec_pos;

    /* batch output */
    size_t cap;
    int16_t *def, *rep;
    uint32_t *scratch;
    uint8_t *vals;
};

static size_t element_size(int physical) {
    switch (physical) {
    case FLOE_PQ_BOOLEAN: return 1;
    case FLOE_PQ_INT32: case FLOE_PQ_FLOAT: return 4;
    case FLOE_PQ_INT64: case FLOE_PQ_DOUBLE: return 8;
    default: return sizeof(floe_pq_bytes);
    }
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int page_err(floe_pq_column_reader *c, floe_err *err) {
    return floe_err_prefix(err, "page at offset %llu", (unsigned long long)c->page_off);
}

/* Sets a failure of the current page; returns -1. */
static int page_fail(floe_pq_column_reader *c, floe_err *err, int code, const char *fmt, ...) FLOE_PRINTF(4, 5);
static int page_fail(floe_pq_column_reader *c, floe_err *err, int code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return floe_err_set(err, code, "page at offset %llu: %s", (unsigned long long)c->page_off, msg);
}

/* ---- PLAIN ----------------------------------------------------------------- */

/* Decodes n PLAIN values from *pp (advancing it) into out (n elements). */
static int plain_decode(floe_pq_column_reader *c, const uint8_t **pp, const uint8_t *end, uint64_t *bitpos, size_t n,
                        uint8_t *out, floe_err *err) {
    const uint8_t *p = *pp;
    size_t avail = (size_t)(end - p);
    switch (c->physical) {
    case FLOE_PQ_BOOLEAN: {
        uint64_t bit = *bitpos;
        if (n > (uint64_t)avail * 8 - bit)
            return floe_err_set(err, FLOE_ECORRUPT, "PLAIN: %zu booleans wanted, %llu bits remain", n,
                                (unsigned long long)((uint64_t)avail * 8 - bit));
        for (size_t i = 0; i < n; i++, bit++) out[i] = (p[bit >> 3] >> (bit & 7)) & 1;
        *bitpos = bit;
        return 0;
    }
    case FLOE_PQ_INT32: case FLOE_PQ_FLOAT: case FLOE_PQ_INT64: case FLOE_PQ_DOUBLE: {
        size_t w = (size_t)c->width;
        if (n > avail / w)
            return floe_err_set(err, FLOE_ECORRUPT, "PLAIN: %zu values of %zu bytes wanted, %zu bytes remain", n, w, avail);
        memcpy(out, p, n * w);
        *pp = p + n * w;
        return 0;
    }
    case FLOE_PQ_INT96: case FLOE_PQ_FIXED_LEN_BYTE_ARRAY: {
        size_t w = (size_t)c->width;
        if (n > avail / w)
            return floe_err_set(err, FLOE_ECORRUPT, "PLAIN: %zu values of %zu bytes wanted, %zu bytes remain", n, w, avail);
        floe_pq_bytes *b = (floe_pq_bytes *)(void *)out;
        for (size_t i = 0; i < n; i++) {
            b[i].ptr = p + i * w;
            b[i].len = (uint32_t)w;
        }
        *pp = p + n * w;
        return 0;
    }
    default: { /* BYTE_ARRAY: 4-byte length, bytes */
        floe_pq_bytes *b = (floe_pq_bytes *)(void *)out;
        for (size_t i = 0; i < n; i++) {
            if (end - p < 4)
                return floe_err_set(err, FLOE_ECORRUPT, "PLAIN: byte array %zu of %zu has no length (data ends)", i, n);
            uint32_t len = le32(p);
            p += 4;
            if (len > (size_t)(end - p))
                return floe_err_set(err, FLOE_ECORRUPT, "PLAIN: byte array of %u bytes, only %zu remain", len,
                                    (size_t)(end - p));
            b[i].ptr = p;
            b[i].len = len;
            p += len;
        }
        *pp = p;
        return 0;
    }
    }
}

/* ---- page bodies ----------------------------------------------------------- */

/* The bytes of a page body, decompressed into buf when the chunk is. */
static int page_bytes(floe_pq_column_reader *c, int compressed, const uint8_t *src, size_t n, size_t raw_len,
                      floe_buf *buf, const uint8_t **out, size_t *out_len, floe_err *err) {
    if (!compressed || c->codec == FLOE_PQ_CODEC_UNCOMPRESSED) {
        *out = src;
        *out_len = n;
        return 0;
    }
    if (raw_len == 0) { /* nothing to inflate; some writers store no bytes at all */
        *out = src;
        *out_len = 0;
        return 0;
    }
    buf->len = 0;
    floe_buf_reserve(buf, raw_len);
    if (floe_codec_decompress(c->r->codec, c->codec, src, n, buf->data, raw_len, err)) return -1;
    *out = buf->data;
    *out_len = raw_len;
    return 0;
}

static int load_dictionary(floe_pq_column_reader *c, const floe_pq_page_header *h, const uint8_t *body, floe_err *err) {
    if (c->has_dict) return floe_err_set(err, FLOE_ECORRUPT, "a second dictionary page in the column chunk");
    if (!h->has_dict) return floe_err_set(err, FLOE_ECORRUPT, "dictionary page without a DictionaryPageHeader");
    if (h->dict.num_values < 0)
        return floe_err_set(err, FLOE_ECORRUPT, "dictionary page has negative num_values %d", (int)h->dict.num_values);
    if (h->dict.encoding != FLOE_PQ_ENC_PLAIN && h->dict.encoding != FLOE_PQ_ENC_PLAIN_DICTIONARY)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "dictionary page encoding %s (%d) is not supported",
                            floe_pq_encoding_name(h->dict.encoding), (int)h->dict.encoding);
    const uint8_t *p;
    size_t len;
    if (page_bytes(c, 1, body, (size_t)h->compressed_page_size, (size_t)h->uncompressed_page_size, &c->dict_page, &p,
                   &len, err))
        return -1;
    size_t n = (size_t)h->dict.num_values;
    /* Every PLAIN value takes at least a bit (BOOLEAN), 4 bytes (BYTE_ARRAY's
     * length) or its width: n is bounded by the bytes before allocating. */
    size_t most = c->physical == FLOE_PQ_BOOLEAN ? len * 8 : len / (c->width ? (size_t)c->width : 4);
    if (n > most) return floe_err_set(err, FLOE_ECORRUPT, "dictionary claims %zu values in %zu bytes", n, len);
    c->dict_vals = floe_xmalloc(n * c->es + 1);
    uint64_t bit = 0;
    if (plain_decode(c, &p, p + len, &bit, n, c->dict_vals, err))
        return floe_err_prefix(err, "dictionary page");
    c->dict_n = n;
    c->has_dict = 1;
    return 0;
}

/* Sets up one level stream of a v1 page at *q (advancing it). */
static int init_levels_v1(floe_pq_column_reader *c, const char *what, int encoding, int max_level, size_t n,
                          const uint8_t **q, const uint8_t *end, floe_rle_decoder *dec, int *legacy, uint32_t **legacy_vals,
                          floe_err *err) {
    int bw = floe_bit_width((uint64_t)max_level);
    size_t avail = (size_t)(end - *q);
    if (encoding == FLOE_PQ_ENC_RLE) {
        if (avail < 4) return floe_err_set(err, FLOE_ECORRUPT, "%s levels: no room for their 4-byte length", what);
        uint32_t len = le32(*q);
        if (len > avail - 4)
            return floe_err_set(err, FLOE_ECORRUPT, "%s levels claim %u bytes, only %zu remain in the page", what, len,
                                avail - 4);
        floe_rle_decoder_init(dec, *q + 4, len, bw);
        *legacy = 0;
        *q += 4 + (size_t)len;
        return 0;
    }
    if (encoding == FLOE_PQ_ENC_BIT_PACKED) {
        uint64_t bytes = ((uint64_t)n * (uint64_t)bw + 7) / 8;
        if (bytes > avail)
            return floe_err_set(err, FLOE_ECORRUPT, "%s levels: %zu BIT_PACKED values of %d bits need %llu bytes, %zu remain",
                                what, n, bw, (unsigned long long)bytes, avail);
        /* n is now bounded by the page's bytes (bw >= 1 whenever levels exist). */
        if (n > c->legacy_cap) {
            c->legacy_cap = n;
            c->legacy_rep = floe_xrealloc(c->legacy_rep, n * sizeof(uint32_t));
            c->legacy_def = floe_xrealloc(c->legacy_def, n * sizeof(uint32_t));
        }
        if (floe_bitpacked_legacy_decode(*q, (size_t)bytes, bw, *legacy_vals, n, err))
            return floe_err_prefix(err, "%s levels", what);
        *legacy = 1;
        *q += bytes;
        return 0;
    }
    return floe_err_set(err, FLOE_EUNSUPPORTED, "%s level encoding %s (%d) is not supported", what,
                        floe_pq_encoding_name(encoding), encoding);
}

static int unsupported_encoding(floe_pq_column_reader *c, int enc, floe_err *err) {
    return floe_err_set(err, FLOE_EUNSUPPORTED, "value encoding %s (%d) is not supported for %s columns",
                        floe_pq_encoding_name(enc), enc, floe_pq_physical_name(c->physical));
}

/* Checks a count from an encoded header against the page's entries and the
 * page memory limit before anything is allocated for it. */
static int check_decoded_count(floe_pq_column_reader *c, const char *enc, size_t count, size_t elem, floe_err *err) {
    if (count > c->page_left)
        return floe_err_set(err, FLOE_ECORRUPT, "%s header holds %zu values, more than the page's %zu entries", enc, count,
                            c->page_left);
    if (count > FLOE_PQ_MAX_PAGE_BYTES / elem)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "%s page decodes to more than %zu bytes", enc, FLOE_PQ_MAX_PAGE_BYTES);
    return 0;
}

/* Sets up the value stream of a data page over p[0..len). */
static int init_values(floe_pq_column_reader *c, int enc, const uint8_t *p, size_t len, floe_err *err) {
    int ph = c->physical;
    c->encoding = enc;
    c->vp = p;
    c->vend = p + len;
    c->bitpos = 0;
    c->dec_n = c->dec_pos = 0;
    switch (enc) {
    case FLOE_PQ_ENC_PLAIN:
        c->mode = V_PLAIN;
        return 0;
    case FLOE_PQ_ENC_PLAIN_DICTIONARY: case FLOE_PQ_ENC_RLE_DICTIONARY:
        if (!c->has_dict) return floe_err_set(err, FLOE_ECORRUPT, "dictionary-encoded page but the chunk has no dictionary page");
        c->mode = V_DICT;
        c->dict_empty = len == 0;
        if (len == 0) return 0;
        if (p[0] > 32) return floe_err_set(err, FLOE_ECORRUPT, "dictionary index bit width %d > 32", p[0]);
        floe_rle_decoder_init(&c->val_dec, p + 1, len - 1, p[0]);
        return 0;
    case FLOE_PQ_ENC_RLE: {
        if (ph != FLOE_PQ_BOOLEAN) return unsupported_encoding(c, enc, err);
        if (len < 4) return floe_err_set(err, FLOE_ECORRUPT, "RLE booleans: no room for their 4-byte length");
        uint32_t n = le32(p);
        if (n > len - 4) return floe_err_set(err, FLOE_ECORRUPT, "RLE booleans claim %u bytes, %zu remain", n, len - 4);
        c->mode = V_RLE_BOOL;
        floe_rle_decoder_init(&c->val_dec, p + 4, n, 1);
        return 0;
    }
    case FLOE_PQ_ENC_DELTA_BINARY_PACKED: {
        if (ph != FLOE_PQ_INT32 && ph != FLOE_PQ_INT64) return unsupported_encoding(c, enc, err);
        size_t count, used;
        if (floe_delta_peek_count(p, len, &count, err) ||
            check_decoded_count(c, "DELTA_BINARY_PACKED", count, sizeof(int64_t), err))
            return -1;
        c->dec.len = 0;
        floe_buf_reserve(&c->dec, count * sizeof(int64_t) + 1);
        int64_t *v = (int64_t *)(void *)c->dec.data;
        if (floe_delta_decode(p, len, ph == FLOE_PQ_INT32, v, count, &count, &used, err)) return -1;
        if (ph == FLOE_PQ_INT32) { /* narrow in place: element i moves down from 8i to 4i */
            int32_t *o = (int32_t *)(void *)c->dec.data;
            for (size_t i = 0; i < count; i++) o[i] = (int32_t)v[i];
        }
        c->dec_n = count;
        break;
    }
    case FLOE_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: case FLOE_PQ_ENC_DELTA_BYTE_ARRAY: {
        int dlba = enc == FLOE_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY;
        if (ph != FLOE_PQ_BYTE_ARRAY && (dlba || ph != FLOE_PQ_FIXED_LEN_BYTE_ARRAY)) return unsupported_encoding(c, enc, err);
        const char *name = floe_pq_encoding_name(enc);
        size_t count;
        if (floe_delta_peek_count(p, len, &count, err)) return floe_err_prefix(err, "%s", name);
        if (check_decoded_count(c, name, count, sizeof(floe_pq_bytes), err)) return -1;
        c->dec.len = 0;
        floe_buf_reserve(&c->dec, count * sizeof(floe_pq_bytes) + 1);
        floe_pq_bytes *b = (floe_pq_bytes *)(void *)c->dec.data;
        c->aux.len = 0;
        if (dlba ? floe_delta_length_decode(p, len, b, count, err)
                 : floe_delta_byte_array_decode(p, len, b, count, &c->aux, err))
            return -1;
        if (ph == FLOE_PQ_FIXED_LEN_BYTE_ARRAY)
            for (size_t i = 0; i < count; i++)
                if (b[i].len != (uint32_t)c->width)
                    return floe_err_set(err, FLOE_ECORRUPT, "%s value %zu is %u bytes in a FIXED_LEN_BYTE_ARRAY(%d) column",
                                        name, i, b[i].len, c->width);
        c->dec_n = count;
        break;
    }
    case FLOE_PQ_ENC_BYTE_STREAM_SPLIT: {
        if (ph == FLOE_PQ_BOOLEAN || ph == FLOE_PQ_BYTE_ARRAY || ph == FLOE_PQ_INT96) return unsupported_encoding(c, enc, err);
        size_t w = (size_t)c->width;
        if (len % w != 0)
            return floe_err_set(err, FLOE_ECORRUPT, "BYTE_STREAM_SPLIT: %zu bytes are not a multiple of the %zu-byte value", len, w);
        size_t count = len / w;
        if (check_decoded_count(c, "BYTE_STREAM_SPLIT", count, 1, err)) return -1;
        floe_buf *raw = ph == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ? &c->aux : &c->dec;
        raw->len = 0;
        floe_buf_reserve(raw, len + 1);
        if (floe_bss_decode(p, len, (int)w, count, raw->data, err)) return -1;
        if (ph == FLOE_PQ_FIXED_LEN_BYTE_ARRAY) {
            c->dec.len = 0;
            floe_buf_reserve(&c->dec, count * sizeof(floe_pq_bytes) + 1);
            floe_pq_bytes *b = (floe_pq_bytes *)(void *)c->dec.data;
            for (size_t i = 0; i < count; i++) {
                b[i].ptr = raw->data + i * w;
                b[i].len = (uint32_t)w;
            }
        }
        c->dec_n = count;
        break;
    }
    default:
        return unsupported_encoding(c, enc, err);
    }
    c->mode = V_DECODED;
    return 0;
}

/* Checks a data page's value count against what the chunk still owes. */
static int start_page(floe_pq_column_reader *c, int32_t num_values, floe_err *err) {
    if (num_values < 0) return floe_err_set(err, FLOE_ECORRUPT, "negative num_values %d", (int)num_values);
    if ((int64_t)num_values > c->expected - c->seen)
        return floe_err_set(err, FLOE_ECORRUPT,
                            "page holds %d values but only %lld of the chunk's num_values %lld remain", (int)num_values,
                            (long long)(c->expected - c->seen), (long long)c->expected);
    c->page_left = (size_t)num_values;
    c->legacy_pos = 0;
    c->rep_legacy = c->def_legacy = 0;
    return 0;
}

static int load_data_v1(floe_pq_column_reader *c, const floe_pq_page_header *h, const uint8_t *body, floe_err *err) {
    if (!h->has_data) return floe_err_set(err, FLOE_ECORRUPT, "data page without a DataPageHeader");
    if (start_page(c, h->data.num_values, err)) return -1;
    if (c->page_left == 0) return 0;
    const uint8_t *p;
    size_t len;
    if (page_bytes(c, 1, body, (size_t)h->compressed_page_size, (size_t)h->uncompressed_page_size, &c->page_buf, &p, &len,
                   err))
        return -1;
    const uint8_t *q = p, *end = p + len;
    if (c->max_rep > 0 && init_levels_v1(c, "repetition", h->data.repetition_level_encoding, c->max_rep, c->page_left, &q,
                                         end, &c->rep_dec, &c->rep_legacy, &c->legacy_rep, err))
        return -1;
    if (c->max_def > 0 && init_levels_v1(c, "definition", h->data.definition_level_encoding, c->max_def, c->page_left, &q,
                                         end, &c->def_dec, &c->def_legacy, &c->legacy_def, err))
        return -1;
    return init_values(c, h->data.encoding, q, (size_t)(end - q), err);
}

static int load_data_v2(floe_pq_column_reader *c, const floe_pq_page_header *h, const uint8_t *body, floe_err *err) {
    if (!h->has_data_v2) return floe_err_set(err, FLOE_ECORRUPT, "data page v2 without a DataPageHeaderV2");
    if (start_page(c, h->data_v2.num_values, err)) return -1;
    int32_t rl = h->data_v2.repetition_levels_byte_length, dl = h->data_v2.definition_levels_byte_length;
    if (rl < 0 || dl < 0 || (int64_t)rl + dl > h->compressed_page_size || (int64_t)rl + dl > h->uncompressed_page_size)
        return floe_err_set(err, FLOE_ECORRUPT, "level lengths %d + %d do not fit the page's sizes %d (compressed), %d",
                            (int)rl, (int)dl, (int)h->compressed_page_size, (int)h->uncompressed_page_size);
    if (c->page_left == 0) return 0;
    if (c->max_rep > 0) floe_rle_decoder_init(&c->rep_dec, body, (size_t)rl, floe_bit_width((uint64_t)c->max_rep));
    if (c->max_def > 0) floe_rle_decoder_init(&c->def_dec, body + rl, (size_t)dl, floe_bit_width((uint64_t)c->max_def));
    size_t lv = (size_t)rl + (size_t)dl;
    const uint8_t *p;
    size_t len;
    if (page_bytes(c, h->data_v2.is_compressed, body + lv, (size_t)h->compressed_page_size - lv,
                   (size_t)h->uncompressed_page_size - lv, &c->page_buf, &p, &len, err))
        return -1;
    return init_values(c, h->data_v2.encoding, p, len, err);
}

/* Moves to the next data page with entries: 1, or 0 at the end of the chunk. */
static int next_page(floe_pq_column_reader *c, floe_err *err) {
    while (c->pos < c->chunk_len) {
        floe_pq_page_header h;
        size_t hl;
        c->page_off = c->chunk_off + c->pos;
        size_t avail = c->chunk_len - c->pos;
        if (floe_pq_page_header_parse(c->chunk + c->pos, avail, &h, &hl, err)) return page_err(c, err);
        if (h.compressed_page_size < 0 || (size_t)h.compressed_page_size > avail - hl)
            return page_fail(c, err, FLOE_ECORRUPT,
                             "compressed size %d runs past the column chunk (%zu bytes remain; total_compressed_size %zu)",
                             (int)h.compressed_page_size, avail - hl, c->chunk_len);
        if (h.uncompressed_page_size < 0 || (size_t)h.uncompressed_page_size > FLOE_PQ_MAX_PAGE_BYTES)
            return page_fail(c, err, h.uncompressed_page_size < 0 ? FLOE_ECORRUPT : FLOE_EUNSUPPORTED,
                             "uncompressed size %d is outside 0..%zu", (int)h.uncompressed_page_size, FLOE_PQ_MAX_PAGE_BYTES);
        const uint8_t *body = c->chunk + c->pos + hl;
        c->pos += hl + (size_t)h.compressed_page_size;
        int rc = 0;
        switch (h.type) {
        case FLOE_PQ_PAGE_DICTIONARY: rc = load_dictionary(c, &h, body, err); break;
        case FLOE_PQ_PAGE_DATA: rc = load_data_v1(c, &h, body, err); break;
        case FLOE_PQ_PAGE_DATA_V2: rc = load_data_v2(c, &h, body, err); break;
        default: continue; /* index pages and page types added later carry no values */
        }
        if (rc) return page_err(c, err);
        if (h.type != FLOE_PQ_PAGE_DICTIONARY && c->page_left > 0) {
            c->in_page = 1;
            return 1;
        }
    }
    if (c->seen != c->expected)
        return floe_err_set(err, FLOE_ECORRUPT, "column chunk ends after %lld values but its num_values is %lld",
                            (long long)c->seen, (long long)c->expected);
    return 0;
}

/* ---- batches --------------------------------------------------------------- */

/* Decodes k levels of one stream into out, checking each against max. */
static int decode_levels(floe_pq_column_reader *c, const char *what, floe_rle_decoder *dec, int legacy,
                         const uint32_t *legacy_vals, int max, size_t k, int16_t *out, floe_err *err) {
    const uint32_t *v = c->scratch;
    if (legacy)
        v = legacy_vals + c->legacy_pos;
    else if (floe_rle_decode(dec, c->scratch, k, err))
        return floe_err_prefix(err, "%s levels", what);
    uint32_t bad = 0;
    for (size_t i = 0; i < k; i++) {
        bad |= v[i] > (uint32_t)max;
        out[i] = (int16_t)v[i];
    }
    if (bad)
        for (size_t i = 0; i < k; i++)
            if (v[i] > (uint32_t)max)
                return floe_err_set(err, FLOE_ECORRUPT, "%s level %u exceeds the column's maximum %d", what, v[i], max);
    return 0;
}

static int gather_dict(floe_pq_column_reader *c, size_t n, floe_err *err) {
    if (n == 0) return 0;
    if (c->dict_empty) return floe_err_set(err, FLOE_ECORRUPT, "dictionary-encoded page has no index data");
    if (floe_rle_decode(&c->val_dec, c->scratch, n, err)) return floe_err_prefix(err, "dictionary indices");
    const uint32_t *idx = c->scratch;
    uint32_t dn = (uint32_t)c->dict_n, bad = 0;
    for (size_t i = 0; i < n; i++) bad |= idx[i] >= dn;
    if (bad)
        for (size_t i = 0; i < n; i++)
            if (idx[i] >= c->dict_n)
                return floe_err_set(err, FLOE_ECORRUPT, "dictionary index %u out of range (dictionary has %zu values)", idx[i],
                                    c->dict_n);
    switch (c->es) {
    case 1: { const uint8_t *d = c->dict_vals; uint8_t *o = c->vals; for (size_t i = 0; i < n; i++) o[i] = d[idx[i]]; break; }
    case 4: { const uint32_t *d = c->dict_vals; uint32_t *o = (uint32_t *)(void *)c->vals; for (size_t i = 0; i < n; i++) o[i] = d[idx[i]]; break; }
    case 8: { const uint64_t *d = c->dict_vals; uint64_t *o = (uint64_t *)(void *)c->vals; for (size_t i = 0; i < n; i++) o[i] = d[idx[i]]; break; }
    default: { const floe_pq_bytes *d = c->dict_vals; floe_pq_bytes *o = (floe_pq_bytes *)(void *)c->vals; for (size_t i = 0; i < n; i++) o[i] = d[idx[i]]; break; }
    }
    return 0;
}

static int decode_values(floe_pq_column_reader *c, size_t n, floe_err *err) {
    switch (c->mode) {
    case V_PLAIN:
        return plain_decode(c, &c->vp, c->vend, &c->bitpos, n, c->vals, err);
    case V_DICT:
        return gather_dict(c, n, err);
    case V_RLE_BOOL:
        if (floe_rle_decode(&c->val_dec, c->scratch, n, err)) return floe_err_prefix(err, "RLE booleans");
        for (size_t i = 0; i < n; i++) c->vals[i] = (uint8_t)c->scratch[i];
        return 0;
    case V_DECODED:
        if (n > c->dec_n - c->dec_pos)
            return floe_err_set(err, FLOE_ECORRUPT, "%s data holds %zu values but the levels define more",
                                floe_pq_encoding_name(c->encoding), c->dec_n);
        memcpy(c->vals, c->dec.data + c->dec_pos * c->es, n * c->es);
        c->dec_pos += n;
        return 0;
    }
    return 0;
}

static void ensure_cap(floe_pq_column_reader *c, size_t max) {
    if (max <= c->cap) return;
    c->cap = max;
    c->def = floe_xrealloc(c->def, max * sizeof(int16_t));
    c->rep = floe_xrealloc(c->rep, max * sizeof(int16_t));
    c->scratch = floe_xrealloc(c->scratch, max * sizeof(uint32_t));
    c->vals = floe_xrealloc(c->vals, max * c->es);
}

static int next_batch(floe_pq_column_reader *c, size_t max, floe_pq_batch *out, floe_err *err) {
    for (;;) {
        if (!c->in_page) {
            int rc = next_page(c, err);
            if (rc <= 0) return rc;
        }
        if (c->page_left > 0) break;
        /* The page is done: values decoded up front must all have been used. */
        c->in_page = 0;
        if (c->mode == V_DECODED && c->dec_pos != c->dec_n)
            return page_fail(c, err, FLOE_ECORRUPT, "%s data holds %zu values but the levels define %zu",
                             floe_pq_encoding_name(c->encoding), c->dec_n, c->dec_pos);
    }
    size_t k = c->page_left < max ? c->page_left : max;
    if (k > MAX_BATCH) k = MAX_BATCH;
    ensure_cap(c, k);
    if (c->max_rep > 0) {
        if (decode_levels(c, "repetition", &c->rep_dec, c->rep_legacy, c->legacy_rep, c->max_rep, k, c->rep, err))
            return page_err(c, err);
        if (c->seen == 0 && c->rep[0] != 0)
            return page_fail(c, err, FLOE_ECORRUPT,
                             "the chunk's first repetition level is %d, not 0 (it must start a record)", c->rep[0]);
    }
    size_t nv = k;
    if (c->max_def > 0) {
        if (decode_levels(c, "definition", &c->def_dec, c->def_legacy, c->legacy_def, c->max_def, k, c->def, err))
            return page_err(c, err);
        nv = 0;
        for (size_t i = 0; i < k; i++) nv += c->def[i] == c->max_def;
    }
    c->legacy_pos += k;
    if (decode_values(c, nv, err)) return page_err(c, err);
    c->page_left -= k;
    c->seen += (int64_t)k;
    out->n = k;
    out->nvalues = nv;
    out->def = c->max_def > 0 ? c->def : NULL;
    out->rep = c->max_rep > 0 ? c->rep : NULL;
    out->physical = c->physical;
    out->v.b = c->vals;
    return 1;
}

int floe_pq_column_next(floe_pq_column_reader *c, size_t max, floe_pq_batch *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    if (max == 0) return floe_err_set(err, FLOE_EINVAL, "floe_pq_column_next: max must be at least 1");
    int rc = next_batch(c, max, out, err);
    if (rc < 0) floe_pq_reader_err_column(c->r, c->rg, c->leaf, err);
    return rc;
}

/* ---- open / free ----------------------------------------------------------- */

static int open_chunk(floe_pq_column_reader *c, floe_err *err) {
    floe_pq_reader *r = c->r;
    const floe_pq_column_meta *cm = &r->meta.row_groups[c->rg].columns[c->leaf].meta_data;
    c->codec = cm->codec;
    if (c->codec < FLOE_PQ_CODEC_UNCOMPRESSED || c->codec > FLOE_PQ_CODEC_LZ4_RAW)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "compression codec %d is not supported", c->codec);
    c->expected = cm->num_values;
    /* Some writers record dictionary_page_offset 0 when there is no
     * dictionary (or put the dictionary at data_page_offset): only an offset
     * before the first data page marks where the chunk starts. */
    int64_t start = cm->data_page_offset;
    if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < start)
        start = cm->dictionary_page_offset;
    int64_t size = cm->total_compressed_size;
    if (start < 4 || size < 0 || (uint64_t)start > r->footer_start || (uint64_t)size > r->footer_start - (uint64_t)start)
        return floe_err_set(err, FLOE_ECORRUPT,
                            "chunk at offset %lld with total_compressed_size %lld lies outside the data region [4, %llu)",
                            (long long)start, (long long)size, (unsigned long long)r->footer_start);
    c->chunk_off = (uint64_t)start;
    c->chunk_len = (size_t)size;
    c->chunk = floe_xmalloc(c->chunk_len ? c->chunk_len : 1);
    return floe_pq_reader_read(r, c->chunk_off, c->chunk, c->chunk_len, err);
}

floe_pq_column_reader *floe_pq_column_open(floe_pq_reader *r, int rg, int leaf, floe_err *err) {
    if (rg < 0 || rg >= r->meta.nrow_groups || leaf < 0 || leaf >= r->schema->nleaves) {
        floe_err_set(err, FLOE_EINVAL, "%s: no column %d in row group %d (%d row groups, %d columns)", r->name, leaf, rg,
                     r->meta.nrow_groups, r->schema->nleaves);
        return NULL;
    }
    floe_pq_column_reader *c = floe_xcalloc(1, sizeof *c);
    const floe_pq_node *node = r->schema->leaves[leaf];
    c->r = r;
    c->rg = rg;
    c->leaf = leaf;
    c->physical = node->physical;
    c->es = element_size(node->physical);
    c->width = node->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ? node->type_length
             : node->physical == FLOE_PQ_INT96                ? 12
             : node->physical == FLOE_PQ_BYTE_ARRAY           ? 0
                                                               : (int)c->es;
    c->max_def = node->max_def;
    c->max_rep = node->max_rep;
    if (open_chunk(c, err)) {
        floe_pq_reader_err_column(r, rg, leaf, err);
        floe_pq_column_free(c);
        return NULL;
    }
    return c;
}

void floe_pq_column_free(floe_pq_column_reader *c) {
    if (!c) return;
    free(c->chunk);
    free(c->dict_vals);
    floe_buf_free(&c->dict_page);
    floe_buf_free(&c->page_buf);
    floe_buf_free(&c->dec);
    floe_buf_free(&c->aux);
    free(c->legacy_rep);
    free(c->legacy_def);
    free(c->def);
    free(c->rep);
    free(c->scratch);
    free(c->vals);
    free(c);
}
