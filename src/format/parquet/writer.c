/*
 * writer.c — the streaming Parquet file writer (floe_pq_writer_* in
 * parquet.h): shredded values in, a Parquet file out through a write
 * callback, with memory bounded by one row group.
 *
 * What it writes (data page v1, as Iceberg's Java writer does, for the
 * widest reader support):
 *   "PAR1", then per row group and per leaf column one column chunk:
 *   [dictionary page: PLAIN values] [data pages], then the footer
 *   (FileMetaData version 1), its 4-byte length and "PAR1".
 *   A data page is [rep levels: 4-byte length + RLE hybrid, if max_rep > 0]
 *   [def levels: the same, if max_def > 0][values], compressed as a whole,
 *   preceded by its PageHeader with the page's statistics.  Values are
 *   RLE_DICTIONARY (1 byte bit width + RLE hybrid of indices), PLAIN
 *   (booleans bit-packed) or DELTA_BINARY_PACKED (INT32/INT64 outside a
 *   dictionary when opts.delta_ints).
 *
 * How it works:
 *  - Each leaf column buffers its current page: rep and def levels (uint32,
 *    only those the column has), and its values in PLAIN form in `plain`
 *    (booleans one byte each, packed to bits when the page is encoded), so
 *    the length of `plain` is the values' PLAIN size the page limit counts.
 *    A write call is a few checks, the level stores and an append; it never
 *    looks anything up.  The common call (a record's value for a column of
 *    its type, in a page with room) is a fast path without calls, so that
 *    it needs no stack frame; everything else goes through the general
 *    path, which checks and reports every misuse.
 *  - Dictionary: every type but BOOLEAN starts each column chunk with one
 *    (dict.h).  When a page is encoded its PLAIN values are looked up in the
 *    dictionary all at once (floe_pq_dict_encode, which overlaps the cache
 *    misses of a large dictionary), giving the indices in `ids`.  The first
 *    page that has values keeps the dictionary only if it pays (dictionary
 *    bytes + encoded indices < PLAIN bytes, parquet-mr's rule); it is
 *    abandoned when it would exceed opts.dict_size_limit.  On fallback the
 *    page is written PLAIN and the entries it added are dropped; pages
 *    already encoded keep their indices and the dictionary page is still
 *    written, or, when no page used it yet, the chunk has no dictionary at
 *    all.  Later pages of the chunk are PLAIN (or DELTA).  Each row group
 *    starts a fresh dictionary.
 *  - Records: a value with repetition level 0 starts the record in its
 *    column.  That is where the column's page is cut when full (page_size
 *    bytes of values in PLAIN form, even when dictionary-encoded, as
 *    parquet-mr measures them; or page_row_limit level entries): nothing of
 *    the new record is buffered yet, so a record never spans pages, and it
 *    is where the column's buffer lengths are remembered, so
 *    floe_pq_writer_abort_row only truncates back to them.  The fast path
 *    of a record start is two comparisons against the column's limits; a
 *    dead writer zeroes them, so that its check, too, stays off that path.
 *    end_row itself is O(1): it checks that every column got its record
 *    start, and only now and then sums the columns to decide whether the
 *    row group is full (see check_row_group).
 *  - Misuse (wrong type for the column, levels out of range, a column left
 *    out of a record) cannot be reported by the void write calls: the
 *    first one is kept, the value dropped, and end_row fails with it and
 *    discards the record; close discards a record that was never ended.
 *    Failures of the output (the write callback) or of compression are
 *    sticky: every later call reports them.
 *  - Statistics are computed when a page is encoded (one pass over its
 *    values; for dictionary byte strings over the distinct entries the page
 *    uses) and merged, untruncated, into the chunk's and the file's totals.
 *    Long byte-array bounds are truncated as they are written (stats.h).
 *  - Row group: when full (or at close) every column's last page is
 *    encoded and the chunks are handed to the callback in leaf order; the
 *    footer's metadata for them is kept in an arena until close.
 *  - Encoding a full page (dictionary lookups, statistics, compression) is
 *    most of the writer's work.  With opts.encoder it runs on the encoder's
 *    thread while the caller goes on writing records (see "background
 *    encoding"); the bytes written are the same.
 *
 * Values are stored in host byte order as PLAIN bytes, so the host must be
 * little-endian (checked below).
 */
#include "format/parquet/codec.h"
#include "format/parquet/dict.h"
#include "format/parquet/encoding.h"
#include "format/parquet/meta.h"
#include "format/parquet/schema.h"
#include "format/parquet/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "the Parquet writer stores values in host order as PLAIN bytes, which needs a little-endian host"
#endif

/* For the per-value path: the write calls must not pay for calls, and
 * their general paths must stay out of their fast paths (whose frames they
 * would otherwise set up for every call). */
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#define GENERAL_PATH __attribute__((noinline))
#else
#define HOT_INLINE inline
#define GENERAL_PATH
#endif

#define CREATED_BY_DEFAULT "floe version " FLOE_VERSION " (build floe)"
#define FILE_BUF_SIZE ((size_t)1 << 20)

/* Page kinds counted for ColumnMetaData.encoding_stats. */
enum { KIND_PLAIN, KIND_DICT, KIND_DELTA, NKINDS };
static const int kind_encoding[NKINDS] = {FLOE_PQ_ENC_PLAIN, FLOE_PQ_ENC_RLE_DICTIONARY,
                                          FLOE_PQ_ENC_DELTA_BINARY_PACKED};

typedef struct col {
    /* Touched by every write call: first, to share cache lines. */
    int physical, max_def, max_rep;
    int dict_on;      /* the current page is to be dictionary-encoded */
    uint32_t width;   /* PLAIN bytes of a fixed-width value; 0 for BYTE_ARRAY, BOOLEAN */
    int64_t start_row; /* the record that started in this column, -1 if none */
    /* The fast path's two limits (fast_limits): below both, a record start
     * neither cuts the page nor needs room in the level arrays or in
     * `plain` (FAST_ROOM bytes). */
    size_t fast_nlev, fast_plain;
    /* the current page */
    size_t nlev, lev_cap;
    uint32_t *def, *rep;
    size_t nvals;     /* values (entries at max_def) */
    size_t row_limit, raw_limit; /* nlev or plain.len at which the page is full; 0 when the writer is dead */
    floe_buf plain;   /* the values in PLAIN form (booleans: a byte each) */
    size_t ids_cap;
    uint32_t *ids;    /* dictionary indices, while a page is encoded */
    floe_pq_dict dict;
    /* where the current record started in this column (abort_row) */
    size_t m_nlev, m_nvals, m_plain;
    int def_bits, rep_bits;

    char *name; /* dotted path, for messages */
    floe_slice *path_in_schema;
    int npath;
    int order;        /* floe_pq_order */
    int truncate;     /* byte-array bounds are truncated */
    int utf8;
    int legacy;       /* deprecated min/max are written too */
    int use_dict;     /* opts.dictionary and a type that has dictionaries */
    int dict_used;    /* a data page of this chunk is dictionary-encoded */
    uint32_t *seen;   /* per dictionary entry: the last page epoch that used it */
    size_t seen_cap;
    uint32_t epoch;
    uint32_t *distinct;
    size_t distinct_cap;

    /* the current column chunk */
    floe_buf chunk;   /* encoded data pages, headers included */
    int64_t chunk_uncompressed, chunk_values, chunk_nulls, chunk_nans;
    int npages[NKINDS];
    floe_pq_minmax_acc chunk_mm;

    /* With an encoder (see "Background encoding"): the page buffers the
     * column continues in while its previous page is encoded, that page's
     * job, and the encoding state's memory as of its last job. */
    uint32_t *spare_def, *spare_rep;
    size_t spare_lev_cap;
    floe_buf spare_plain;
    struct page_job *job;
    int busy;         /* a page of this column is with the encoder (encoder lock) */
    size_t enc_mem;   /* (encoder lock) */

    /* the file */
    floe_pq_minmax_acc file_mm;
    int64_t file_values, file_nulls, file_nans, file_compressed, file_uncompressed;
    floe_pq_stats stats;
} col;

typedef struct file_out {
    int fd;
    char *path;
    floe_buf buf;
} file_out;

struct floe_pq_writer {
    const floe_pq_schema *schema;
    floe_pq_writer_opts opts;
    floe_pq_write_fn fn;
    void *ctx;
    file_out *file;
    col *cols;
    int ncols;
    floe_codec_ctx *codec;
    floe_buf page, cpage, hdr, scratch;

    int64_t offset;  /* bytes handed to fn */
    int64_t rows;    /* records ended */
    int64_t rg_rows;
    int nstarted;    /* columns whose record start the current record has */
    size_t chunk_bytes; /* encoded pages buffered for the row group */
    size_t raw_total;   /* bytes written into the row group, roughly */
    size_t next_check;  /* raw_total at which to re-estimate the row group */

    int row_bad;
    floe_err row_err;
    int failed;
    floe_err fail;
    int closed;
    int dead; /* failed or closed: one test on the per-record path */

    floe_arena arena; /* footer metadata */
    floe_pq_row_group *rgs;
    int64_t *rg_offsets;
    int nrgs, rgs_cap;
    floe_pq_kv *kv;
    int nkv, kv_cap;
    char *created_by;

    floe_pq_encoder *enc; /* NULL: pages are encoded by the caller */
    int inflight;         /* pages with the encoder (encoder lock) */
    int enc_failed;       /* the encoder failed a page; w->fail says why (encoder lock) */
};

void floe_pq_writer_opts_default(floe_pq_writer_opts *o) {
    memset(o, 0, sizeof *o);
    o->codec = FLOE_PQ_CODEC_ZSTD;
    o->level = 0;
    o->page_size = (size_t)1 << 20;
    o->page_row_limit = 20000;
    o->row_group_size = (size_t)128 << 20;
    o->dict_size_limit = (size_t)1 << 20;
    o->dictionary = 1;
    o->delta_ints = 0;
    o->stats_truncate = 64;
    o->created_by = NULL;
}

/* ---- errors -------------------------------------------------------------- */

static void misuse(floe_pq_writer *w, const char *fmt, ...) FLOE_PRINTF(2, 3);
static void misuse(floe_pq_writer *w, const char *fmt, ...) {
    if (w->row_bad) return;
    w->row_bad = 1;
    w->row_err.code = FLOE_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->row_err.msg, sizeof w->row_err.msg, fmt, ap);
    va_end(ap);
}

static int report_failure(const floe_pq_writer *w, floe_err *err) {
    return floe_err_set(err, w->fail.code ? w->fail.code : FLOE_EIO, "%s", w->fail.msg);
}

static void fast_limits(col *c);

/* Marks the writer dead (failed or closed): its columns' zero limits send
 * every later record start to the slow path, which reports the misuse. */
static void set_dead(floe_pq_writer *w) {
    w->dead = 1;
    for (int i = 0; i < w->ncols; i++) {
        w->cols[i].row_limit = w->cols[i].raw_limit = 0;
        fast_limits(&w->cols[i]);
    }
}

/* A failure of the output or of the encoder: sticky. */
static void set_failed(floe_pq_writer *w) {
    w->failed = 1;
    set_dead(w);
}

/* Hands bytes to the output; a failure is sticky. */
static int emit(floe_pq_writer *w, const void *p, size_t n) {
    if (n == 0) return 0;
    if (w->fn(w->ctx, p, n, &w->fail)) {
        if (!w->fail.msg[0]) floe_err_set(&w->fail, FLOE_EIO, "write callback failed");
        set_failed(w);
        return -1;
    }
    w->offset += (int64_t)n;
    return 0;
}

/* ---- buffers ------------------------------------------------------------- */

static void grow_u32(uint32_t **a, size_t *cap, size_t need) {
    size_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    *a = floe_xrealloc(*a, n * sizeof **a);
    *cap = n;
}

/* The most `plain` bytes a fast-path write appends (a BYTE_ARRAY value of
 * up to 64 bytes and its length).  Event streams' strings (ids, URLs,
 * referrers, user agents' short forms) are mostly under 64 bytes; longer
 * ones take the general path, which reserves room first. */
#define FAST_ROOM 68

/* Folds the page limits and the buffers' room into the fast path's two
 * comparisons; redone whenever any of them changes. */
static void fast_limits(col *c) {
    c->fast_nlev = c->row_limit < c->lev_cap ? c->row_limit : c->lev_cap;
    size_t room = c->plain.cap >= FAST_ROOM ? c->plain.cap - FAST_ROOM + 1 : 0;
    c->fast_plain = c->raw_limit < room ? c->raw_limit : room;
}

static void grow_levels(col *c) {
    size_t cap = c->lev_cap ? c->lev_cap * 2 : 1024;
    if (c->max_def) c->def = floe_xrealloc(c->def, cap * sizeof *c->def);
    if (c->max_rep) c->rep = floe_xrealloc(c->rep, cap * sizeof *c->rep);
    c->lev_cap = cap;
    fast_limits(c);
}

static HOT_INLINE void push_level(col *c, int def, int rep) {
    if (c->nlev == c->lev_cap) grow_levels(c);
    if (c->max_def) c->def[c->nlev] = (uint32_t)def;
    if (c->max_rep) c->rep[c->nlev] = (uint32_t)rep;
    c->nlev++;
}

/* Copies a value's bytes: short ones (the common case) by overlapping word
 * copies instead of a memcpy call. */
static HOT_INLINE void copy_value(uint8_t *d, const uint8_t *p, uint32_t n) {
    /* up to 64 bytes: two overlapping copies of a fixed size, which the
     * compiler makes a few vector moves, instead of a memcpy call */
    if (n > 64) {
        memcpy(d, p, n);
    } else if (n > 32) {
        memcpy(d, p, 32);
        memcpy(d + n - 32, p + n - 32, 32);
    } else if (n > 16) {
        memcpy(d, p, 16);
        memcpy(d + n - 16, p + n - 16, 16);
    } else if (n >= 8) {
        uint64_t x = floe_pq_load64(p), y = floe_pq_load64(p + n - 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x = (uint32_t)floe_pq_load32(p), y = (uint32_t)floe_pq_load32(p + n - 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else if (n) {
        d[0] = p[0];
        d[n / 2] = p[n / 2];
        d[n - 1] = p[n - 1];
    }
}

/* ---- pages ---------------------------------------------------------------- */

/* Bytes of the current page's levels, roughly. */
static size_t level_bytes(const col *c) { return (c->nlev * (size_t)(c->def_bits + c->rep_bits) + 7) / 8; }

/* Encoded bytes the current page would take, roughly. */
static size_t page_estimate(const col *c) {
    if (c->physical == FLOE_PQ_BOOLEAN) return level_bytes(c) + (c->nvals + 7) / 8;
    if (c->dict_on) return level_bytes(c) + (c->nvals * (size_t)floe_bit_width(c->dict.count) + 7) / 8;
    return level_bytes(c) + c->plain.len;
}

/* Stops dictionary encoding for the rest of the chunk, from the page being
 * encoded on: the entries it added (from index `keep` on) are dropped, and
 * without an encoded page that uses it the dictionary goes altogether. */
static void dict_fallback(col *c, uint32_t keep) {
    c->dict_on = 0;
    if (c->dict_used) floe_pq_dict_truncate(&c->dict, keep);
    else floe_pq_dict_reset(&c->dict);
}

static void put_levels(floe_buf *p, const uint32_t *lv, size_t n, int bits) {
    size_t at = p->len;
    floe_buf_append(p, "\0\0\0\0", 4);
    floe_rle_encode(lv, n, bits, p);
    uint32_t len = (uint32_t)(p->len - at - 4);
    memcpy(p->data + at, &len, 4);
}

/* A full page as encode_page takes it: the column's buffers, or with an
 * encoder the buffers handed over with the page. */
typedef struct page_src {
    const uint32_t *def, *rep;
    const uint8_t *plain;
    size_t plain_len, nlev, nvals;
} page_src;

/* The distinct dictionary entries among the page's nvals indices. */
static size_t distinct_ids(col *c, size_t nvals) {
    if (c->seen_cap < c->dict.count) {
        size_t old = c->seen_cap;
        grow_u32(&c->seen, &c->seen_cap, c->dict.count);
        memset(c->seen + old, 0, (c->seen_cap - old) * sizeof *c->seen);
    }
    if (++c->epoch == 0) {
        memset(c->seen, 0, c->seen_cap * sizeof *c->seen);
        c->epoch = 1;
    }
    if (c->distinct_cap < c->dict.count) grow_u32(&c->distinct, &c->distinct_cap, c->dict.count);
    size_t k = 0;
    for (size_t i = 0; i < nvals; i++) {
        uint32_t id = c->ids[i];
        if (c->seen[id] != c->epoch) {
            c->seen[id] = c->epoch;
            c->distinct[k++] = id;
        }
    }
    return k;
}

static void page_minmax(col *c, const page_src *s, int kind, floe_pq_page_minmax *mm) {
    mm->has = 0;
    mm->nan_count = 0;
    if (s->nvals == 0 || c->order == FLOE_PQ_ORD_NONE) return;
    if (c->physical == FLOE_PQ_BOOLEAN) {
        floe_pq_minmax_fixed(FLOE_PQ_ORD_BOOL, s->plain, 1, NULL, s->nvals, mm);
    } else if (kind == KIND_DICT && !c->dict.width) {
        /* Byte strings compare each distinct entry once; numbers go through
         * their PLAIN values below, so NaNs are counted per value. */
        size_t k = distinct_ids(c, s->nvals);
        if (c->width) {
            /* fixed-length entries lie back to back in the dictionary's PLAIN bytes */
            floe_pq_minmax_fixed(c->order, c->dict.plain.data, c->width, c->distinct, k, mm);
        } else {
            floe_pq_minmax_dict_bytes(c->order, &c->dict, c->distinct, k, mm);
        }
    } else if (c->width) {
        floe_pq_minmax_fixed(c->order, s->plain, c->width, NULL, s->nvals, mm);
    } else {
        floe_pq_minmax_plain_bytes(c->order, s->plain, s->nvals, mm);
    }
}

/* Fills thrift Statistics from (possibly absent) min/max, truncating long
 * byte-array bounds; slices point into the values or w->scratch. */
static void fill_statistics(floe_pq_writer *w, const col *c, floe_pq_statistics *st, int has, const uint8_t *min,
                            uint32_t min_len, const uint8_t *max, uint32_t max_len, int64_t nulls) {
    memset(st, 0, sizeof *st);
    st->has_null_count = 1;
    st->null_count = nulls;
    if (!has) return;
    floe_pq_bounds b;
    floe_pq_bounds_make(min, min_len, max, max_len, c->truncate, c->utf8, w->opts.stats_truncate, &w->scratch, &b);
    st->has_min_value = 1;
    st->min_value = (floe_slice){b.min, b.min_len};
    if (b.has_max) {
        st->has_max_value = 1;
        st->max_value = (floe_slice){b.max, b.max_len};
    }
    if (c->legacy) {
        st->has_min = st->has_min_value;
        st->min = st->min_value;
        st->has_max = st->has_max_value;
        st->max = st->max_value;
    }
    if (c->truncate) {
        st->has_is_min_value_exact = 1;
        st->is_min_value_exact = b.min_exact;
        st->has_is_max_value_exact = b.has_max;
        st->is_max_value_exact = b.max_exact;
    }
}

/* Compresses src[0..n) and appends header + data to `out`; returns the
 * header's length, or -1 with w->fail set (the caller marks the writer
 * failed: this may run on the encoder's thread). */
static int64_t put_page(floe_pq_writer *w, col *c, floe_pq_page_header *h, const uint8_t *src, size_t n,
                        floe_buf *out) {
    const uint8_t *data = src;
    size_t dn = n;
    if (w->opts.codec != FLOE_PQ_CODEC_UNCOMPRESSED) {
        w->cpage.len = 0;
        if (floe_codec_compress(w->codec, w->opts.codec, w->opts.level, src, n, &w->cpage, &w->fail)) {
            floe_err_prefix(&w->fail, "column '%s'", c->name);
            return -1;
        }
        data = w->cpage.data;
        dn = w->cpage.len;
    }
    if (n > INT32_MAX || dn > INT32_MAX) {
        floe_err_set(&w->fail, FLOE_EUNSUPPORTED, "column '%s': a page of %zu bytes exceeds Parquet's 2 GiB limit",
                     c->name, n);
        return -1;
    }
    h->uncompressed_page_size = (int32_t)n;
    h->compressed_page_size = (int32_t)dn;
    size_t before = out->len;
    floe_pq_page_header_write(h, out);
    int64_t hlen = (int64_t)(out->len - before);
    floe_buf_append(out, data, dn);
    return hlen;
}

/* PLAIN booleans: bits, LSB first, from a byte (0 or 1) each.  Eight bytes
 * make their byte in one multiply: byte i's bit lands on bit 56 + i and no
 * two partial products meet, so nothing carries. */
static void pack_booleans(const uint8_t *v, size_t n, floe_buf *p) {
    floe_buf_reserve(p, (n + 7) / 8);
    uint8_t *o = p->data + p->len;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) *o++ = (uint8_t)((floe_pq_load64(v + i) * 0x0102040810204080ull) >> 56);
    if (i < n) {
        uint8_t b = 0;
        for (size_t k = 0; i + k < n; k++) b |= (uint8_t)(v[i + k] << k);
        *o++ = b;
    }
    p->len = (size_t)(o - p->data);
}

static void put_values(const floe_pq_writer *w, col *c, const page_src *s, floe_buf *p, int *kind) {
    *kind = KIND_PLAIN;
    if (c->physical == FLOE_PQ_BOOLEAN) {
        pack_booleans(s->plain, s->nvals, p);
    } else if (w->opts.delta_ints && s->nvals && c->physical == FLOE_PQ_INT32) {
        floe_delta_encode32((const int32_t *)(const void *)s->plain, s->nvals, p);
        *kind = KIND_DELTA;
    } else if (w->opts.delta_ints && s->nvals && c->physical == FLOE_PQ_INT64) {
        floe_delta_encode((const int64_t *)(const void *)s->plain, s->nvals, p);
        *kind = KIND_DELTA;
    } else {
        floe_buf_append(p, s->plain, s->plain_len);
    }
}

/* Encodes page s of column c into the column's chunk.  Touches only the
 * column's encoding state (dictionary, chunk, chunk statistics) and the
 * writer's encoding buffers, never the page buffers the write calls fill,
 * so that with an encoder it runs on the encoder's thread.  -1 with
 * w->fail set; the caller marks the writer failed. */
static int encode_page(floe_pq_writer *w, col *c, const page_src *s) {
    floe_buf *p = &w->page;
    p->len = 0;
    if (c->max_rep) put_levels(p, s->rep, s->nlev, c->rep_bits);
    if (c->max_def) put_levels(p, s->def, s->nlev, c->def_bits);
    size_t vstart = p->len;
    int kind = KIND_PLAIN;
    if (c->dict_on && s->nvals) {
        uint32_t before = c->dict.count;
        if (c->ids_cap < s->nvals) grow_u32(&c->ids, &c->ids_cap, s->nvals);
        if (floe_pq_dict_encode(&c->dict, s->plain, s->nvals, c->ids, w->opts.dict_size_limit) < s->nvals) {
            dict_fallback(c, before); /* the dictionary would exceed its limit */
        } else {
            int bw = floe_bit_width(c->dict.count - 1);
            floe_buf_putc(p, (uint8_t)bw);
            floe_rle_encode(c->ids, s->nvals, bw, p);
            kind = KIND_DICT;
            if (!c->dict_used && c->dict.plain.len + (p->len - vstart) >= s->plain_len) {
                p->len = vstart;
                dict_fallback(c, before);
                kind = KIND_PLAIN;
            }
        }
    }
    /* An all-null page of a dictionary column carries no values and is
     * written PLAIN, so it never needs a dictionary page. */
    if (kind == KIND_DICT) c->dict_used = 1;
    else put_values(w, c, s, p, &kind);

    floe_pq_page_minmax mm;
    page_minmax(c, s, kind, &mm);
    int64_t nulls = (int64_t)(s->nlev - s->nvals);

    floe_pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = FLOE_PQ_PAGE_DATA;
    h.has_data = 1;
    if (s->nlev > INT32_MAX) {
        floe_err_set(&w->fail, FLOE_EUNSUPPORTED, "column '%s': a page of %zu values exceeds Parquet's limit",
                     c->name, s->nlev);
        return -1;
    }
    h.data.num_values = (int32_t)s->nlev;
    h.data.encoding = kind_encoding[kind];
    h.data.definition_level_encoding = FLOE_PQ_ENC_RLE;
    h.data.repetition_level_encoding = FLOE_PQ_ENC_RLE;
    h.data.has_statistics = 1;
    fill_statistics(w, c, &h.data.statistics, mm.has, mm.min, mm.min_len, mm.max, mm.max_len, nulls);
    size_t before = c->chunk.len;
    int64_t hlen = put_page(w, c, &h, p->data, p->len, &c->chunk);
    if (hlen < 0) return -1;
    c->chunk_uncompressed += hlen + (int64_t)p->len;
    w->chunk_bytes += c->chunk.len - before;

    c->chunk_values += (int64_t)s->nlev;
    c->chunk_nulls += nulls;
    c->chunk_nans += mm.nan_count;
    c->npages[kind]++;
    if (mm.has) floe_pq_acc_merge(&c->chunk_mm, c->order, mm.min, mm.min_len, mm.max, mm.max_len);
    return 0;
}

/* ---- background encoding --------------------------------------------------- */

/*
 * With an encoder (opts.encoder), a page cut hands the column's full page
 * buffers to the encoder's thread as a job, and the column goes on in its
 * spare buffers (those of its previous page, which the encoder gives
 * back).  A column has at most one page with the encoder, so a cut first
 * waits for the column's previous page, and the pages of a column are
 * encoded in the order they were cut.  The encoder runs encode_page, which
 * touches only the column's encoding state (dictionary, chunk, chunk
 * statistics) and the writer's encoding buffers; this thread touches those
 * only after drain() has waited for every page of the writer (row group
 * flush and size checks, close, free), so every page is encoded exactly as
 * without an encoder and the file's bytes are the same.  The encoder's
 * lock guards its queue and the fields marked "encoder lock", and orders
 * every hand-over between the threads.  A failed page (compression) is
 * reported by the next cut or drain.
 */
typedef struct page_job {
    floe_pq_writer *w;
    col *c;
    uint32_t *def, *rep;
    size_t lev_cap;
    floe_buf plain;
    size_t nlev, nvals;
    struct page_job *next;
} page_job;

struct floe_pq_encoder {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t done; /* a job was finished */
    page_job *head, *tail;
    int stop;
    pthread_t thread;
};

/* Memory of the column's encoding state. */
static size_t enc_memory(const col *c) {
    return (c->ids_cap + c->seen_cap + c->distinct_cap) * 4 + c->chunk.cap + floe_pq_dict_memory(&c->dict) +
           c->chunk_mm.min.cap + c->chunk_mm.max.cap;
}

static void *encoder_main(void *arg) {
    floe_pq_encoder *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->head && !e->stop) pthread_cond_wait(&e->work, &e->mu);
        page_job *j = e->head;
        if (!j) break; /* stopped, and nothing is left */
        e->head = j->next;
        if (!e->head) e->tail = NULL;
        floe_pq_writer *w = j->w;
        col *c = j->c;
        int skip = w->enc_failed; /* the writer is failing: its pages no longer matter */
        pthread_mutex_unlock(&e->mu);
        int rc = 0;
        size_t mem = 0;
        if (!skip) {
            page_src s = {j->def, j->rep, j->plain.data, j->plain.len, j->nlev, j->nvals};
            rc = encode_page(w, c, &s);
            mem = enc_memory(c);
        }
        pthread_mutex_lock(&e->mu);
        if (rc) w->enc_failed = 1;
        if (!skip) c->enc_mem = mem;
        c->spare_def = j->def;
        c->spare_rep = j->rep;
        c->spare_lev_cap = j->lev_cap;
        c->spare_plain = j->plain;
        c->busy = 0;
        w->inflight--;
        pthread_cond_broadcast(&e->done);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

floe_pq_encoder *floe_pq_encoder_new(floe_err *err) {
    floe_pq_encoder *e = floe_xcalloc(1, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->work, NULL);
    pthread_cond_init(&e->done, NULL);
    int rc = pthread_create(&e->thread, NULL, encoder_main, e);
    if (rc) {
        pthread_cond_destroy(&e->done);
        pthread_cond_destroy(&e->work);
        pthread_mutex_destroy(&e->mu);
        free(e);
        floe_err_set(err, FLOE_EIO, "Parquet encoder: cannot start its thread: %s", strerror(rc));
        return NULL;
    }
    return e;
}

void floe_pq_encoder_free(floe_pq_encoder *e) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    pthread_cond_destroy(&e->done);
    pthread_cond_destroy(&e->work);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* Hands c's full page to the encoder; c goes on in its spare buffers. */
static int submit_page(floe_pq_writer *w, col *c) {
    floe_pq_encoder *e = w->enc;
    if (!c->job) c->job = floe_xcalloc(1, sizeof *c->job);
    page_job *j = c->job;
    pthread_mutex_lock(&e->mu);
    while (c->busy) pthread_cond_wait(&e->done, &e->mu);
    int failed = w->enc_failed;
    if (!failed) {
        *j = (page_job){w, c, c->def, c->rep, c->lev_cap, c->plain, c->nlev, c->nvals, NULL};
        c->def = c->spare_def;
        c->rep = c->spare_rep;
        c->lev_cap = c->spare_lev_cap;
        c->plain = c->spare_plain;
        c->spare_def = c->spare_rep = NULL;
        c->spare_lev_cap = 0;
        floe_buf_init(&c->spare_plain);
        c->busy = 1;
        w->inflight++;
        if (e->tail) e->tail->next = j;
        else e->head = j;
        e->tail = j;
        pthread_cond_signal(&e->work);
    }
    pthread_mutex_unlock(&e->mu);
    if (failed) {
        set_failed(w);
        return -1;
    }
    c->nlev = c->nvals = 0;
    c->plain.len = 0;
    fast_limits(c);
    return 0;
}

/* Waits until the encoder has no page of w. */
static void wait_idle(const floe_pq_writer *w) {
    floe_pq_encoder *e = w->enc;
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    while (w->inflight) pthread_cond_wait(&e->done, &e->mu);
    pthread_mutex_unlock(&e->mu);
}

/* wait_idle, then takes over a failure of the encoder: -1 when w failed. */
static int drain(floe_pq_writer *w) {
    if (!w->enc) return 0;
    wait_idle(w);
    pthread_mutex_lock(&w->enc->mu);
    int failed = w->enc_failed;
    pthread_mutex_unlock(&w->enc->mu);
    if (failed && !w->failed) set_failed(w);
    return failed ? -1 : 0;
}

/* Encodes the column's buffered page (here, or by handing it to the
 * encoder) and empties the page. */
static int cut_page(floe_pq_writer *w, col *c) {
    if (w->enc) return submit_page(w, c);
    page_src s = {c->def, c->rep, c->plain.data, c->plain.len, c->nlev, c->nvals};
    if (encode_page(w, c, &s)) {
        set_failed(w);
        return -1;
    }
    c->nlev = c->nvals = 0;
    c->plain.len = 0;
    return 0;
}

/* ---- record starts and the write calls ------------------------------------ */

/* A record start in a full page or a dead writer. */
static int row_start_slow(floe_pq_writer *w, col *c) {
    if (w->dead) {
        misuse(w, "column '%s' written after the writer %s", c->name, w->closed ? "was closed" : "failed");
        return -1;
    }
    return c->nlev ? cut_page(w, c) : 0;
}

/* Remembers where the current record starts in column c. */
static HOT_INLINE void mark_start(floe_pq_writer *w, col *c) {
    c->m_nlev = c->nlev;
    c->m_nvals = c->nvals;
    c->m_plain = c->plain.len;
    c->start_row = w->rows;
    w->nstarted++;
}

/* The first value of a record in column c: cut the page if full, remember
 * where the record starts. */
static HOT_INLINE int row_start(floe_pq_writer *w, col *c) {
    if (c->start_row == w->rows) {
        misuse(w, "column '%s' got a second value with repetition level 0 in one record", c->name);
        return -1;
    }
    if ((c->nlev >= c->row_limit || c->plain.len >= c->raw_limit) && row_start_slow(w, c)) return -1;
    mark_start(w, c);
    return 0;
}

static const char *write_fn_name(int physical) {
    switch (physical) {
    case FLOE_PQ_BOOLEAN: return "floe_pq_write_bool";
    case FLOE_PQ_INT32: return "floe_pq_write_i32";
    case FLOE_PQ_INT64: return "floe_pq_write_i64";
    case FLOE_PQ_FLOAT: return "floe_pq_write_float";
    case FLOE_PQ_DOUBLE: return "floe_pq_write_double";
    default: return "floe_pq_write_bytes";
    }
}

/* What enter() checks the column's type against besides a physical type:
 * nothing (nulls), or the byte kinds, which write_bytes checks itself. */
enum { ANY_NULL = -1, ANY_BYTES = -2 };

/* The column for a write call, or NULL (misuse recorded) when the call does
 * not fit it. */
static HOT_INLINE col *enter(floe_pq_writer *w, int leaf, int physical, int rep) {
    if ((unsigned)leaf >= (unsigned)w->ncols) {
        misuse(w, "%s: leaf %d does not exist (the schema has %d leaf columns)",
               physical == ANY_NULL ? "floe_pq_write_null" : write_fn_name(physical), leaf, w->ncols);
        return NULL;
    }
    col *c = &w->cols[leaf];
    if (physical >= 0 && c->physical != physical) {
        misuse(w, "column '%s' is %s but got %s", c->name, floe_pq_physical_name(c->physical),
               write_fn_name(physical));
        return NULL;
    }
    if ((unsigned)rep > (unsigned)c->max_rep) {
        misuse(w, "column '%s' got repetition level %d, its maximum is %d", c->name, rep, c->max_rep);
        return NULL;
    }
    if (rep == 0) {
        if (row_start(w, c)) return NULL;
    } else if (c->start_row != w->rows) {
        misuse(w, "column '%s' got repetition level %d before the record's first value (level 0)", c->name, rep);
        return NULL;
    }
    return c;
}

/* The fast path's test and record start: the leaf exists and has the
 * call's type, the value is a record's first (rep 0) and the record has not
 * reached this column yet, the page is not full and the level arrays and
 * `plain` have room for it (at most FAST_ROOM bytes).  NULL: take the
 * general path. */
static HOT_INLINE col *fast_enter(floe_pq_writer *w, int leaf, int physical, int rep) {
    if ((unsigned)leaf >= (unsigned)w->ncols || rep != 0) return NULL;
    col *c = &w->cols[leaf];
    if (c->physical != physical || c->start_row == w->rows || c->nlev >= c->fast_nlev || c->plain.len >= c->fast_plain)
        return NULL;
    mark_start(w, c);
    return c;
}

/* The levels of a record's first entry, capacity checked by fast_enter. */
static HOT_INLINE void fast_level(col *c, int def) {
    if (c->max_def) c->def[c->nlev] = (uint32_t)def;
    if (c->max_rep) c->rep[c->nlev] = 0;
    c->nlev++;
}

/* A fixed-width value's PLAIN bytes: the low `width` bytes of `bits` (the
 * host is little-endian); room for 8 is checked by the caller. */
static HOT_INLINE void fast_number(floe_pq_writer *w, col *c, uint64_t bits, size_t width) {
    fast_level(c, c->max_def);
    memcpy(c->plain.data + c->plain.len, &bits, 8);
    c->plain.len += width;
    c->nvals++;
    w->raw_total += width + 1;
}

static GENERAL_PATH void write_null_general(floe_pq_writer *w, int leaf, int def, int rep) {
    col *c = enter(w, leaf, ANY_NULL, rep);
    if (!c) return;
    if (c->max_def == 0) {
        misuse(w, "column '%s' is required but got a null", c->name);
        return;
    }
    if ((unsigned)def >= (unsigned)c->max_def) {
        misuse(w, "column '%s' got a null at definition level %d, but nulls need a level below %d", c->name, def,
               c->max_def);
        return;
    }
    push_level(c, def, rep);
    w->raw_total += 1;
}

void floe_pq_write_null(floe_pq_writer *w, int leaf, int def, int rep) {
    if ((unsigned)leaf < (unsigned)w->ncols && rep == 0) {
        const col *c = &w->cols[leaf];
        if ((unsigned)def < (unsigned)c->max_def) {
            col *f = fast_enter(w, leaf, c->physical, 0);
            if (f) {
                fast_level(f, def);
                w->raw_total += 1;
                return;
            }
        }
    }
    write_null_general(w, leaf, def, rep);
}

static GENERAL_PATH void write_bool_general(floe_pq_writer *w, int leaf, int v, int rep) {
    col *c = enter(w, leaf, FLOE_PQ_BOOLEAN, rep);
    if (!c) return;
    push_level(c, c->max_def, rep);
    floe_buf_putc(&c->plain, v != 0);
    fast_limits(c);
    c->nvals++;
    w->raw_total += 1;
}

void floe_pq_write_bool(floe_pq_writer *w, int leaf, int v, int rep) {
    col *c = fast_enter(w, leaf, FLOE_PQ_BOOLEAN, rep);
    if (!c) {
        write_bool_general(w, leaf, v, rep);
        return;
    }
    fast_level(c, c->max_def);
    c->plain.data[c->plain.len++] = v != 0;
    c->nvals++;
    w->raw_total += 1;
}

/* A number of `width` (4 or 8) bytes, given as its bits. */
static GENERAL_PATH void write_number_general(floe_pq_writer *w, int leaf, int physical, uint64_t bits, int rep, size_t width) {
    col *c = enter(w, leaf, physical, rep);
    if (!c) return;
    push_level(c, c->max_def, rep);
    floe_buf_reserve(&c->plain, 8);
    fast_limits(c);
    memcpy(c->plain.data + c->plain.len, &bits, 8); /* little-endian: the low `width` bytes count */
    c->plain.len += width;
    c->nvals++;
    w->raw_total += width + 1;
}

static HOT_INLINE void write_number(floe_pq_writer *w, int leaf, int physical, uint64_t bits, int rep, size_t width) {
    col *c = fast_enter(w, leaf, physical, rep);
    if (c) fast_number(w, c, bits, width);
    else write_number_general(w, leaf, physical, bits, rep, width);
}

void floe_pq_write_i32(floe_pq_writer *w, int leaf, int32_t v, int rep) {
    write_number(w, leaf, FLOE_PQ_INT32, (uint32_t)v, rep, 4);
}

void floe_pq_write_i64(floe_pq_writer *w, int leaf, int64_t v, int rep) {
    write_number(w, leaf, FLOE_PQ_INT64, (uint64_t)v, rep, 8);
}

void floe_pq_write_float(floe_pq_writer *w, int leaf, float v, int rep) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    write_number(w, leaf, FLOE_PQ_FLOAT, bits, rep, 4);
}

void floe_pq_write_double(floe_pq_writer *w, int leaf, double v, int rep) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    write_number(w, leaf, FLOE_PQ_DOUBLE, bits, rep, 8);
}

static GENERAL_PATH void write_bytes_general(floe_pq_writer *w, int leaf, const void *p, uint32_t len, int rep) {
    col *c = enter(w, leaf, ANY_BYTES, rep);
    if (!c) return;
    /* BYTE_ARRAY, INT96 and FIXED_LEN_BYTE_ARRAY take bytes */
    if (!((1u << c->physical) & ((1u << FLOE_PQ_BYTE_ARRAY) | (1u << FLOE_PQ_INT96) | (1u << FLOE_PQ_FIXED_LEN_BYTE_ARRAY)))) {
        misuse(w, "column '%s' is %s but got floe_pq_write_bytes", c->name, floe_pq_physical_name(c->physical));
        return;
    }
    if (c->width && len != c->width) {
        misuse(w, "column '%s' is %s of %u bytes but got a value of %u bytes", c->name,
               floe_pq_physical_name(c->physical), c->width, len);
        return;
    }
    push_level(c, c->max_def, rep);
    size_t plain_len = (size_t)len + (c->width ? 0 : 4);
    floe_buf_reserve(&c->plain, plain_len);
    fast_limits(c);
    if (!c->width) {
        memcpy(c->plain.data + c->plain.len, &len, 4);
        c->plain.len += 4;
    }
    copy_value(c->plain.data + c->plain.len, p, len);
    c->plain.len += len;
    c->nvals++;
    w->raw_total += plain_len + 1;
}

void floe_pq_write_bytes(floe_pq_writer *w, int leaf, const void *p, uint32_t len, int rep) {
    /* the fast path: BYTE_ARRAY values short enough to copy in words */
    col *c = len <= FAST_ROOM - 4 ? fast_enter(w, leaf, FLOE_PQ_BYTE_ARRAY, rep) : NULL;
    if (!c) {
        write_bytes_general(w, leaf, p, len, rep);
        return;
    }
    /* the byte stores last: they may alias anything */
    uint8_t *d = c->plain.data + c->plain.len;
    c->plain.len += (size_t)len + 4;
    c->nvals++;
    w->raw_total += (size_t)len + 5;
    fast_level(c, c->max_def);
    memcpy(d, &len, 4);
    copy_value(d + 4, p, len);
}

/* ---- row groups ----------------------------------------------------------- */

static floe_slice arena_copy(floe_pq_writer *w, const uint8_t *p, size_t n) {
    uint8_t *d = floe_arena_alloc(&w->arena, n ? n : 1);
    if (n) memcpy(d, p, n);
    return (floe_slice){d, (uint32_t)n};
}

static void copy_statistics(floe_pq_writer *w, floe_pq_statistics *st) {
    if (st->has_min_value) st->min_value = arena_copy(w, st->min_value.ptr, st->min_value.len);
    if (st->has_max_value) st->max_value = arena_copy(w, st->max_value.ptr, st->max_value.len);
    if (st->has_min) st->min = st->min_value;
    if (st->has_max) st->max = st->max_value;
}

/* Writes one column chunk (dictionary page, data pages) and fills its
 * footer entry. */
static int write_chunk(floe_pq_writer *w, col *c, floe_pq_column_chunk *cc) {
    int64_t start = w->offset;
    int64_t uncompressed = c->chunk_uncompressed;
    floe_pq_column_meta *m = &cc->meta_data;
    memset(cc, 0, sizeof *cc);
    if (c->dict_used) {
        floe_pq_page_header h;
        memset(&h, 0, sizeof h);
        h.type = FLOE_PQ_PAGE_DICTIONARY;
        h.has_dict = 1;
        h.dict.num_values = (int32_t)c->dict.count;
        h.dict.encoding = FLOE_PQ_ENC_PLAIN;
        w->hdr.len = 0;
        int64_t hlen = put_page(w, c, &h, c->dict.plain.data, c->dict.plain.len, &w->hdr);
        if (hlen < 0) {
            set_failed(w);
            return -1;
        }
        if (emit(w, w->hdr.data, w->hdr.len)) return -1;
        uncompressed += hlen + (int64_t)c->dict.plain.len;
        m->has_dictionary_page_offset = 1;
        m->dictionary_page_offset = start;
    }
    m->data_page_offset = w->offset;
    if (emit(w, c->chunk.data, c->chunk.len)) return -1;

    cc->file_offset = start;
    cc->has_meta_data = 1;
    m->type = c->physical;
    int encs[4], nenc = 0;
    if (c->dict_used || c->npages[KIND_PLAIN]) encs[nenc++] = FLOE_PQ_ENC_PLAIN;
    encs[nenc++] = FLOE_PQ_ENC_RLE;
    if (c->npages[KIND_DELTA]) encs[nenc++] = FLOE_PQ_ENC_DELTA_BINARY_PACKED;
    if (c->npages[KIND_DICT]) encs[nenc++] = FLOE_PQ_ENC_RLE_DICTIONARY;
    m->encodings = floe_arena_alloc(&w->arena, sizeof *m->encodings * (size_t)nenc);
    for (int i = 0; i < nenc; i++) m->encodings[i] = encs[i];
    m->nencodings = nenc;
    m->path = c->path_in_schema;
    m->npath = c->npath;
    m->codec = w->opts.codec;
    m->num_values = c->chunk_values;
    m->total_uncompressed_size = uncompressed;
    m->total_compressed_size = w->offset - start;
    m->has_statistics = 1;
    fill_statistics(w, c, &m->statistics, c->chunk_mm.has, c->chunk_mm.min.data, (uint32_t)c->chunk_mm.min.len,
                    c->chunk_mm.max.data, (uint32_t)c->chunk_mm.max.len, c->chunk_nulls);
    copy_statistics(w, &m->statistics);
    m->encoding_stats = floe_arena_alloc(&w->arena, sizeof *m->encoding_stats * (NKINDS + 1));
    int ns = 0;
    if (c->dict_used)
        m->encoding_stats[ns++] = (floe_pq_page_encoding_stats){FLOE_PQ_PAGE_DICTIONARY, FLOE_PQ_ENC_PLAIN, 1};
    for (int k = 0; k < NKINDS; k++)
        if (c->npages[k])
            m->encoding_stats[ns++] = (floe_pq_page_encoding_stats){FLOE_PQ_PAGE_DATA, kind_encoding[k], c->npages[k]};
    m->nencoding_stats = ns;

    c->file_values += c->chunk_values;
    c->file_nulls += c->chunk_nulls;
    c->file_nans += c->chunk_nans;
    c->file_compressed += m->total_compressed_size;
    c->file_uncompressed += uncompressed;
    if (c->chunk_mm.has)
        floe_pq_acc_merge(&c->file_mm, c->order, c->chunk_mm.min.data, (uint32_t)c->chunk_mm.min.len,
                          c->chunk_mm.max.data, (uint32_t)c->chunk_mm.max.len);

    /* The next chunk starts afresh, dictionary included. */
    c->chunk.len = 0;
    c->chunk_uncompressed = c->chunk_values = c->chunk_nulls = c->chunk_nans = 0;
    memset(c->npages, 0, sizeof c->npages);
    floe_pq_acc_reset(&c->chunk_mm);
    floe_pq_dict_reset(&c->dict);
    c->dict_on = c->use_dict;
    c->dict_used = 0;
    return 0;
}

static int flush_row_group(floe_pq_writer *w) {
    if (w->rg_rows == 0) return 0;
    for (int i = 0; i < w->ncols; i++)
        if (w->cols[i].nlev && cut_page(w, &w->cols[i])) return -1;
    if (drain(w)) return -1;
    if (w->nrgs == w->rgs_cap) {
        w->rgs_cap = w->rgs_cap ? w->rgs_cap * 2 : 8;
        w->rgs = floe_xrealloc(w->rgs, sizeof *w->rgs * (size_t)w->rgs_cap);
        w->rg_offsets = floe_xrealloc(w->rg_offsets, sizeof *w->rg_offsets * (size_t)w->rgs_cap);
    }
    floe_pq_row_group *rg = &w->rgs[w->nrgs];
    memset(rg, 0, sizeof *rg);
    int64_t start = w->offset;
    rg->columns = floe_arena_alloc(&w->arena, sizeof *rg->columns * (size_t)w->ncols);
    rg->ncolumns = w->ncols;
    for (int i = 0; i < w->ncols; i++) {
        if (write_chunk(w, &w->cols[i], &rg->columns[i])) return -1;
        rg->total_byte_size += rg->columns[i].meta_data.total_uncompressed_size;
    }
    rg->num_rows = w->rg_rows;
    rg->has_file_offset = 1;
    rg->file_offset = start;
    rg->has_total_compressed_size = 1;
    rg->total_compressed_size = w->offset - start;
    if (w->nrgs <= INT16_MAX) {
        rg->has_ordinal = 1;
        rg->ordinal = (int16_t)w->nrgs;
    }
    w->rg_offsets[w->nrgs++] = start;
    w->rg_rows = 0;
    w->chunk_bytes = 0;
    w->raw_total = 0;
    w->next_check = w->opts.row_group_size;
    return 0;
}

/* Bytes the buffered row group would take, estimated. */
static size_t row_group_estimate(const floe_pq_writer *w) {
    size_t est = w->chunk_bytes;
    for (int i = 0; i < w->ncols; i++) {
        const col *c = &w->cols[i];
        est += page_estimate(c);
        if (c->dict_on || c->dict_used) est += c->dict.plain.len;
    }
    return est;
}

/* Summing every column per record would cost more than the record, so the
 * estimate is redone only once raw_total (which grows at least as fast as
 * the estimate) has covered half the remaining distance to the target. */
static int check_row_group(floe_pq_writer *w) {
    /* the estimate counts encoded pages: those with the encoder first */
    if (drain(w)) return -1;
    size_t est = row_group_estimate(w);
    if (est >= w->opts.row_group_size) return flush_row_group(w);
    w->next_check = w->raw_total + (w->opts.row_group_size - est) / 2 + 1;
    return 0;
}

int floe_pq_writer_end_row(floe_pq_writer *w, floe_err *err) {
    if (w->failed) return report_failure(w, err);
    if (w->closed) return floe_err_set(err, FLOE_EINVAL, "floe_pq_writer_end_row called after close");
    if (!w->row_bad && w->nstarted != w->ncols) {
        for (int i = 0; i < w->ncols; i++)
            if (w->cols[i].start_row != w->rows) {
                misuse(w, "column '%s' got no value (every column needs one with repetition level 0 per record)",
                       w->cols[i].name);
                break;
            }
    }
    if (w->row_bad) {
        floe_err_set(err, w->row_err.code, "record %lld: %s (record discarded)", (long long)w->rows, w->row_err.msg);
        floe_pq_writer_abort_row(w);
        return -1;
    }
    w->nstarted = 0;
    w->rows++;
    w->rg_rows++;
    if (w->raw_total >= w->next_check && check_row_group(w)) return report_failure(w, err);
    return 0;
}

void floe_pq_writer_abort_row(floe_pq_writer *w) {
    for (int i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        if (c->start_row != w->rows) continue;
        c->nlev = c->m_nlev;
        c->nvals = c->m_nvals;
        c->plain.len = c->m_plain;
        c->start_row = -1;
    }
    w->nstarted = 0;
    w->row_bad = 0;
}

void floe_pq_writer_add_kv(floe_pq_writer *w, const char *key, const char *value) {
    floe_slice v = arena_copy(w, (const uint8_t *)value, strlen(value));
    for (int i = 0; i < w->nkv; i++)
        if (w->kv[i].key.len == strlen(key) && memcmp(w->kv[i].key.ptr, key, w->kv[i].key.len) == 0) {
            w->kv[i].value = v;
            return;
        }
    if (w->nkv == w->kv_cap) {
        w->kv_cap = w->kv_cap ? w->kv_cap * 2 : 8;
        w->kv = floe_xrealloc(w->kv, sizeof *w->kv * (size_t)w->kv_cap);
    }
    floe_pq_kv *kv = &w->kv[w->nkv++];
    kv->key = arena_copy(w, (const uint8_t *)key, strlen(key));
    kv->has_value = 1;
    kv->value = v;
}

/* ---- close ---------------------------------------------------------------- */

static void finish_stats(floe_pq_writer *w, col *c) {
    floe_pq_stats *s = &c->stats;
    s->num_values = c->file_values;
    s->null_count = c->file_nulls;
    s->nan_count = c->file_nans;
    s->compressed_size = c->file_compressed;
    s->uncompressed_size = c->file_uncompressed;
    if (!c->file_mm.has) return;
    floe_pq_bounds b;
    floe_pq_bounds_make(c->file_mm.min.data, (uint32_t)c->file_mm.min.len, c->file_mm.max.data,
                        (uint32_t)c->file_mm.max.len, c->truncate, c->utf8, w->opts.stats_truncate, &w->scratch, &b);
    /* The struct has one flag for both bounds, so a missing upper bound
     * (a prefix of only 0xFF bytes) drops both. */
    if (!b.has_max) return;
    s->has_min_max = 1;
    s->min = floe_xmalloc(b.min_len ? b.min_len : 1);
    if (b.min_len) memcpy(s->min, b.min, b.min_len);
    s->min_len = b.min_len;
    s->max = floe_xmalloc(b.max_len ? b.max_len : 1);
    if (b.max_len) memcpy(s->max, b.max, b.max_len);
    s->max_len = b.max_len;
    s->min_exact = b.min_exact;
    s->max_exact = b.max_exact;
}

static int file_flush(file_out *f, floe_err *err) {
    size_t off = 0;
    while (off < f->buf.len) {
        ssize_t k = write(f->fd, f->buf.data + off, f->buf.len - off);
        if (k < 0) {
            if (errno == EINTR) continue;
            f->buf.len = 0;
            return floe_err_set(err, FLOE_EIO, "%s: write failed: %s", f->path, strerror(errno));
        }
        off += (size_t)k;
    }
    f->buf.len = 0;
    return 0;
}

/* Makes the file durable and closes it: a table commit may refer to it as
 * soon as close returns. */
static int file_finish(file_out *f, floe_err *err) {
    int rc = file_flush(f, err);
    if (rc == 0 && fsync(f->fd) != 0)
        rc = floe_err_set(err, FLOE_EIO, "%s: fsync failed: %s", f->path, strerror(errno));
    if (close(f->fd) != 0 && rc == 0)
        rc = floe_err_set(err, FLOE_EIO, "%s: close failed: %s", f->path, strerror(errno));
    f->fd = -1;
    return rc;
}

int floe_pq_writer_close(floe_pq_writer *w, floe_err *err) {
    if (w->closed) return floe_err_set(err, FLOE_EINVAL, "floe_pq_writer_close called twice");
    if (w->failed) return report_failure(w, err);
    /* A record that was never ended is not part of the file. */
    floe_pq_writer_abort_row(w);
    if (flush_row_group(w)) return report_failure(w, err);

    floe_pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.version = 1;
    floe_pq_schema_to_elements(w->schema, &w->arena, &m.schema, &m.nschema);
    m.num_rows = w->rows;
    m.row_groups = w->rgs;
    m.nrow_groups = w->nrgs;
    m.kv = w->kv;
    m.nkv = w->nkv;
    m.has_created_by = 1;
    m.created_by = (floe_slice){(const uint8_t *)w->created_by, (uint32_t)strlen(w->created_by)};
    m.ncolumn_orders = w->ncols;
    m.column_orders = floe_arena_alloc(&w->arena, sizeof *m.column_orders * (size_t)w->ncols);
    for (int i = 0; i < w->ncols; i++) m.column_orders[i] = 1; /* TYPE_ORDER */
    w->hdr.len = 0;
    floe_pq_meta_write(&m, &w->hdr);
    if (w->hdr.len > UINT32_MAX) {
        floe_err_set(&w->fail, FLOE_EUNSUPPORTED, "footer of %zu bytes is too large", w->hdr.len);
        set_failed(w);
        return report_failure(w, err);
    }
    uint32_t flen = (uint32_t)w->hdr.len;
    floe_buf_append(&w->hdr, &flen, 4);
    floe_buf_append(&w->hdr, "PAR1", 4);
    if (emit(w, w->hdr.data, w->hdr.len)) return report_failure(w, err);
    for (int i = 0; i < w->ncols; i++) finish_stats(w, &w->cols[i]);
    w->closed = 1;
    set_dead(w);
    if (w->file && file_finish(w->file, &w->fail)) {
        set_failed(w);
        return report_failure(w, err);
    }
    return 0;
}

/* ---- construction --------------------------------------------------------- */

static int validate_opts(const floe_pq_writer_opts *o, floe_err *err) {
    if (!floe_codec_can_write(o->codec))
        return floe_err_set(err, FLOE_EUNSUPPORTED, "Parquet writer: codec %s cannot be written",
                            floe_pq_codec_name(o->codec));
    if (o->page_size == 0 || o->page_row_limit == 0 || o->row_group_size == 0)
        return floe_err_set(err, FLOE_EINVAL, "Parquet writer: page_size, page_row_limit and row_group_size must be > 0");
    if (o->stats_truncate == 0)
        return floe_err_set(err, FLOE_EINVAL, "Parquet writer: stats_truncate must be > 0");
    return 0;
}

static int is_utf8(const floe_pq_node *n) {
    return n->logical.kind == FLOE_PQ_LT_STRING || n->logical.kind == FLOE_PQ_LT_ENUM ||
           n->logical.kind == FLOE_PQ_LT_JSON || n->converted == FLOE_PQ_CT_UTF8 ||
           n->converted == FLOE_PQ_CT_ENUM || n->converted == FLOE_PQ_CT_JSON;
}

static void col_init(floe_pq_writer *w, col *c, const floe_pq_node *n) {
    memset(c, 0, sizeof *c);
    char name[1024];
    floe_pq_node_path(n, name, sizeof name);
    c->name = floe_xstrdup(name);
    for (const floe_pq_node *p = n; p->parent; p = p->parent) c->npath++;
    c->path_in_schema = floe_arena_alloc(&w->arena, sizeof *c->path_in_schema * (size_t)c->npath);
    int k = c->npath;
    for (const floe_pq_node *p = n; p->parent; p = p->parent)
        c->path_in_schema[--k] = (floe_slice){(const uint8_t *)p->name, (uint32_t)strlen(p->name)};
    c->physical = n->physical;
    c->max_def = n->max_def;
    c->max_rep = n->max_rep;
    c->def_bits = floe_bit_width((uint64_t)n->max_def);
    c->rep_bits = floe_bit_width((uint64_t)n->max_rep);
    switch (n->physical) {
    case FLOE_PQ_INT32:
    case FLOE_PQ_FLOAT: c->width = 4; break;
    case FLOE_PQ_INT64:
    case FLOE_PQ_DOUBLE: c->width = 8; break;
    case FLOE_PQ_INT96: c->width = 12; break;
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY: c->width = (uint32_t)n->type_length; break;
    default: c->width = 0; break;
    }
    c->order = floe_pq_sort_order(n);
    c->truncate = n->physical == FLOE_PQ_BYTE_ARRAY && c->order == FLOE_PQ_ORD_BYTES;
    c->utf8 = is_utf8(n);
    c->legacy = floe_pq_order_legacy_ok(c->order);
    c->use_dict = w->opts.dictionary && n->physical != FLOE_PQ_BOOLEAN;
    /* Booleans count a byte of `plain` per value but take a bit. */
    c->row_limit = w->opts.page_row_limit;
    c->raw_limit = w->opts.page_size;
    if (n->physical == FLOE_PQ_BOOLEAN)
        c->raw_limit = w->opts.page_size > SIZE_MAX / 8 ? SIZE_MAX : w->opts.page_size * 8;
    c->dict_on = c->use_dict;
    floe_pq_dict_init(&c->dict, n->physical, n->type_length);
    c->start_row = -1;
    fast_limits(c);
}

static floe_pq_writer *writer_make(const floe_pq_schema *schema, const floe_pq_writer_opts *opts, floe_err *err) {
    floe_pq_writer_opts o;
    if (opts) o = *opts;
    else floe_pq_writer_opts_default(&o);
    if (validate_opts(&o, err)) return NULL;
    if (!schema || schema->nleaves <= 0) {
        floe_err_set(err, FLOE_EINVAL, "Parquet writer: the schema has no leaf columns (was floe_pq_schema_finish called?)");
        return NULL;
    }
    floe_pq_writer *w = floe_xcalloc(1, sizeof *w);
    w->schema = schema;
    w->opts = o;
    w->enc = o.encoder;
    floe_arena_init(&w->arena, 16 * 1024);
    w->created_by = floe_xstrdup(o.created_by ? o.created_by : CREATED_BY_DEFAULT);
    w->opts.created_by = w->created_by;
    w->codec = floe_codec_ctx_new();
    w->ncols = schema->nleaves;
    w->cols = floe_xcalloc((size_t)w->ncols, sizeof *w->cols);
    for (int i = 0; i < w->ncols; i++) col_init(w, &w->cols[i], schema->leaves[i]);
    w->next_check = o.row_group_size;
    return w;
}

/* Connects the output and writes the leading magic. */
static floe_pq_writer *writer_start(floe_pq_writer *w, floe_pq_write_fn fn, void *ctx, floe_err *err) {
    w->fn = fn;
    w->ctx = ctx;
    if (emit(w, "PAR1", 4)) {
        report_failure(w, err);
        floe_pq_writer_free(w);
        return NULL;
    }
    return w;
}

floe_pq_writer *floe_pq_writer_new(const floe_pq_schema *schema, const floe_pq_writer_opts *opts, floe_pq_write_fn fn,
                                   void *ctx, floe_err *err) {
    floe_pq_writer *w = writer_make(schema, opts, err);
    return w ? writer_start(w, fn, ctx, err) : NULL;
}

static int file_write(void *ctx, const void *data, size_t len, floe_err *err) {
    file_out *f = ctx;
    if (f->buf.len + len > FILE_BUF_SIZE && file_flush(f, err)) return -1;
    if (len >= FILE_BUF_SIZE) {
        /* Large chunks go straight out instead of through the buffer. */
        const uint8_t *p = data;
        while (len) {
            ssize_t k = write(f->fd, p, len);
            if (k < 0) {
                if (errno == EINTR) continue;
                return floe_err_set(err, FLOE_EIO, "%s: write failed: %s", f->path, strerror(errno));
            }
            p += k;
            len -= (size_t)k;
        }
        return 0;
    }
    floe_buf_append(&f->buf, data, len);
    return 0;
}

floe_pq_writer *floe_pq_writer_open_file(const floe_pq_schema *schema, const floe_pq_writer_opts *opts,
                                         const char *path, floe_err *err) {
    floe_pq_writer *w = writer_make(schema, opts, err);
    if (!w) return NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        floe_err_set(err, FLOE_EIO, "%s: cannot create: %s", path, strerror(errno));
        floe_pq_writer_free(w);
        return NULL;
    }
    file_out *f = floe_xcalloc(1, sizeof *f);
    f->fd = fd;
    f->path = floe_xstrdup(path);
    floe_buf_reserve(&f->buf, FILE_BUF_SIZE);
    w->file = f;
    return writer_start(w, file_write, f, err);
}

/* ---- accessors ------------------------------------------------------------ */

int64_t floe_pq_writer_rows(const floe_pq_writer *w) { return w->rows; }

int64_t floe_pq_writer_bytes(const floe_pq_writer *w) { return w->offset; }

int64_t floe_pq_writer_estimated_size(const floe_pq_writer *w) {
    if (w->closed) return w->offset;
    wait_idle(w); /* the estimate counts encoded pages */
    return w->offset + (int64_t)row_group_estimate(w);
}

static size_t buf_mem(const floe_buf *b) { return b->cap; }

/* With an encoder this takes its lock and does not wait: a column whose
 * page is being encoded counts its encoding state as of its previous page,
 * and the writer's encoding buffers count only when no page is out. */
size_t floe_pq_writer_memory(const floe_pq_writer *w) {
    if (w->enc) pthread_mutex_lock(&w->enc->mu);
    size_t m = sizeof *w + buf_mem(&w->hdr);
    if (!w->inflight) m += buf_mem(&w->page) + buf_mem(&w->cpage) + buf_mem(&w->scratch);
    if (w->file) m += buf_mem(&w->file->buf);
    for (int i = 0; i < w->ncols; i++) {
        const col *c = &w->cols[i];
        size_t lev_arrays = (c->max_def ? 1u : 0u) + (c->max_rep ? 1u : 0u);
        m += sizeof *c + c->lev_cap * lev_arrays * 4 + buf_mem(&c->plain);
        m += buf_mem(&c->file_mm.min) + buf_mem(&c->file_mm.max);
        m += c->spare_lev_cap * lev_arrays * 4 + buf_mem(&c->spare_plain);
        if (c->busy) m += c->enc_mem + c->job->lev_cap * lev_arrays * 4 + buf_mem(&c->job->plain);
        else m += enc_memory(c);
    }
    if (w->enc) pthread_mutex_unlock(&w->enc->mu);
    return m;
}

const floe_pq_stats *floe_pq_writer_stats(const floe_pq_writer *w, int leaf) {
    if (!w->closed || leaf < 0 || leaf >= w->ncols) return NULL;
    return &w->cols[leaf].stats;
}

const int64_t *floe_pq_writer_row_group_offsets(const floe_pq_writer *w, int *count) {
    *count = w->nrgs;
    return w->rg_offsets;
}

void floe_pq_writer_free(floe_pq_writer *w) {
    if (!w) return;
    wait_idle(w);
    for (int i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        free(c->spare_def);
        free(c->spare_rep);
        floe_buf_free(&c->spare_plain);
        free(c->job);
        free(c->name);
        floe_pq_dict_free(&c->dict);
        free(c->seen);
        free(c->distinct);
        free(c->def);
        free(c->rep);
        free(c->ids);
        floe_buf_free(&c->plain);
        floe_buf_free(&c->chunk);
        floe_pq_acc_free(&c->chunk_mm);
        floe_pq_acc_free(&c->file_mm);
        free(c->stats.min);
        free(c->stats.max);
    }
    free(w->cols);
    if (w->file) {
        if (w->file->fd >= 0) close(w->file->fd);
        free(w->file->path);
        floe_buf_free(&w->file->buf);
        free(w->file);
    }
    floe_codec_ctx_free(w->codec);
    floe_buf_free(&w->page);
    floe_buf_free(&w->cpage);
    floe_buf_free(&w->hdr);
    floe_buf_free(&w->scratch);
    floe_arena_free(&w->arena);
    free(w->rgs);
    free(w->rg_offsets);
    free(w->kv);
    free(w->created_by);
    free(w);
}
