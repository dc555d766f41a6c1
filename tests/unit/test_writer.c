/*
 * test_writer.c — the Parquet writer (writer.c, dict.c, stats.c): files
 * written for every physical type, optional/required and nested columns
 * (levels built by hand), many pages and row groups, dictionary fallback,
 * DELTA ints and every writable codec, verified by parsing the footer and
 * page headers and decoding every page here with the codec and encoding
 * functions; then statistics (orders, NaN, ±0, decimals, truncation of
 * UTF-8 and binary bounds), abort_row, misuse errors, write-callback
 * failures, and a round trip through the column reader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/parquet/codec.h"
#include "format/parquet/dict.h"
#include "format/parquet/encoding.h"
#include "format/parquet/meta.h"
#include "format/parquet/stats.h"
#include "test.h"

/* ---- output into memory --------------------------------------------------- */

typedef struct mem_out {
    floe_buf buf;
    int calls;
    int fail_at_call; /* 1-based call that fails; 0 = never */
} mem_out;

static int mem_write(void *ctx, const void *data, size_t len, floe_err *err) {
    mem_out *m = ctx;
    m->calls++;
    if (m->fail_at_call && m->calls >= m->fail_at_call)
        return floe_err_set(err, FLOE_EIO, "disk full on call %d", m->calls);
    floe_buf_append(&m->buf, data, len);
    return 0;
}

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len, floe_err *err) {
    const floe_buf *b = ctx;
    if (off > b->len || len > b->len - off) return floe_err_set(err, FLOE_EIO, "read past the end");
    memcpy(buf, b->data + off, len);
    return 0;
}

/* ---- a decoder for what the writer produces ------------------------------- */

typedef struct decoded {
    floe_pq_file_meta fm;
    floe_arena arena;
    const uint8_t *file;
    size_t file_len;
} decoded;

static int parse_file(const uint8_t *p, size_t n, decoded *d) {
    floe_err err = {0};
    memset(d, 0, sizeof *d);
    floe_arena_init(&d->arena, 0);
    d->file = p;
    d->file_len = n;
    if (n < 12 || memcmp(p, "PAR1", 4) || memcmp(p + n - 4, "PAR1", 4)) return -1;
    uint32_t flen;
    memcpy(&flen, p + n - 8, 4);
    if (flen > n - 12) return -1;
    if (floe_pq_meta_parse(p + n - 8 - flen, flen, &d->arena, &d->fm, &err)) {
        fprintf(stderr, "  footer: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* One column chunk decoded: levels, values (each value's PLAIN bytes without
 * BYTE_ARRAY length prefix; booleans as one byte), page facts. */
typedef struct chunk_data {
    uint32_t *def, *rep;
    size_t n;
    floe_buf vals;
    uint32_t *voff, *vlen;
    size_t nv;
    int data_pages, dict_pages;
    int page_enc_mask;      /* bit per data page encoding */
    int64_t page_values;    /* sum of num_values over data pages */
    int64_t page_nulls;     /* sum of page statistics null_count */
    floe_pq_statistics first_page_stats;
} chunk_data;

static void chunk_free(chunk_data *c) {
    free(c->def);
    free(c->rep);
    free(c->voff);
    free(c->vlen);
    floe_buf_free(&c->vals);
    memset(c, 0, sizeof *c);
}

static void add_value(chunk_data *c, const uint8_t *p, uint32_t len) {
    c->voff = realloc(c->voff, (c->nv + 1) * sizeof *c->voff);
    c->vlen = realloc(c->vlen, (c->nv + 1) * sizeof *c->vlen);
    c->voff[c->nv] = (uint32_t)c->vals.len;
    c->vlen[c->nv] = len;
    floe_buf_append(&c->vals, p, len);
    c->nv++;
}

static const uint8_t *val(const chunk_data *c, size_t i) { return c->vals.data + c->voff[i]; }

/* Decodes `k` PLAIN values of the leaf's type at p[0..len); returns bytes used. */
static size_t plain_decode(const floe_pq_node *leaf, const uint8_t *p, size_t len, size_t k, chunk_data *out) {
    size_t off = 0;
    for (size_t i = 0; i < k; i++) {
        switch (leaf->physical) {
        case FLOE_PQ_BOOLEAN: {
            uint8_t b = (p[i / 8] >> (i % 8)) & 1;
            add_value(out, &b, 1);
            off = (i + 8) / 8;
            break;
        }
        case FLOE_PQ_BYTE_ARRAY: {
            uint32_t l;
            memcpy(&l, p + off, 4);
            add_value(out, p + off + 4, l);
            off += 4 + l;
            break;
        }
        default: {
            size_t w = leaf->physical == FLOE_PQ_INT32 || leaf->physical == FLOE_PQ_FLOAT ? 4
                       : leaf->physical == FLOE_PQ_INT64 || leaf->physical == FLOE_PQ_DOUBLE ? 8
                                                                                             : (size_t)leaf->type_length;
            add_value(out, p + off, (uint32_t)w);
            off += w;
        }
        }
    }
    CHECK(off <= len);
    return off;
}

static void read_levels(const uint8_t **p, int max, size_t n, uint32_t *out) {
    uint32_t l;
    memcpy(&l, *p, 4);
    floe_rle_decoder d;
    floe_err err = {0};
    floe_rle_decoder_init(&d, *p + 4, l, floe_bit_width((uint64_t)max));
    CHECK_OK(floe_rle_decode(&d, out, n, &err), &err);
    *p += 4 + l;
}

static int decode_chunk(const decoded *f, const floe_pq_schema *s, int rg, int leaf, chunk_data *out) {
    memset(out, 0, sizeof *out);
    const floe_pq_node *node = s->leaves[leaf];
    const floe_pq_column_meta *m = &f->fm.row_groups[rg].columns[leaf].meta_data;
    int64_t pos = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
    int64_t end = pos + m->total_compressed_size;
    floe_codec_ctx *cc = floe_codec_ctx_new();
    floe_err err = {0};
    chunk_data dict = {0};
    int rc = 0;
    while (pos < end) {
        floe_pq_page_header h;
        size_t used;
        if (floe_pq_page_header_parse(f->file + pos, (size_t)(end - pos), &h, &used, &err)) {
            fprintf(stderr, "  page header: %s\n", err.msg);
            rc = -1;
            break;
        }
        pos += (int64_t)used;
        uint8_t *page = malloc((size_t)h.uncompressed_page_size + 1);
        if (floe_codec_decompress(cc, m->codec, f->file + pos, (size_t)h.compressed_page_size, page,
                                  (size_t)h.uncompressed_page_size, &err)) {
            fprintf(stderr, "  decompress: %s\n", err.msg);
            free(page);
            rc = -1;
            break;
        }
        pos += h.compressed_page_size;
        const uint8_t *p = page, *pend = page + h.uncompressed_page_size;
        if (h.type == FLOE_PQ_PAGE_DICTIONARY) {
            out->dict_pages++;
            CHECK(out->data_pages == 0);
            CHECK_EQ_INT(h.dict.encoding, FLOE_PQ_ENC_PLAIN);
            CHECK_EQ_INT(plain_decode(node, p, (size_t)(pend - p), (size_t)h.dict.num_values, &dict),
                         h.uncompressed_page_size);
        } else {
            CHECK_EQ_INT(h.type, FLOE_PQ_PAGE_DATA);
            size_t n = (size_t)h.data.num_values;
            if (out->data_pages == 0) out->first_page_stats = h.data.statistics;
            out->data_pages++;
            out->page_values += h.data.num_values;
            if (h.data.has_statistics && h.data.statistics.has_null_count)
                out->page_nulls += h.data.statistics.null_count;
            out->page_enc_mask |= 1 << h.data.encoding;
            out->def = realloc(out->def, (out->n + n) * sizeof *out->def);
            out->rep = realloc(out->rep, (out->n + n) * sizeof *out->rep);
            for (size_t i = 0; i < n; i++) out->def[out->n + i] = out->rep[out->n + i] = 0;
            if (node->max_rep) read_levels(&p, node->max_rep, n, out->rep + out->n);
            if (node->max_def) read_levels(&p, node->max_def, n, out->def + out->n);
            size_t k = 0;
            for (size_t i = 0; i < n; i++) k += out->def[out->n + i] == (uint32_t)node->max_def;
            out->n += n;
            if (h.data.encoding == FLOE_PQ_ENC_PLAIN) {
                CHECK_EQ_INT(plain_decode(node, p, (size_t)(pend - p), k, out), pend - p);
            } else if (h.data.encoding == FLOE_PQ_ENC_RLE_DICTIONARY) {
                CHECK(out->dict_pages == 1);
                uint32_t *ids = malloc((k + 1) * sizeof *ids);
                floe_rle_decoder d;
                floe_rle_decoder_init(&d, p + 1, (size_t)(pend - p - 1), p[0]);
                CHECK_OK(floe_rle_decode(&d, ids, k, &err), &err);
                for (size_t i = 0; i < k; i++) {
                    CHECK(ids[i] < dict.nv);
                    if (ids[i] < dict.nv) add_value(out, val(&dict, ids[i]), dict.vlen[ids[i]]);
                }
                free(ids);
            } else if (h.data.encoding == FLOE_PQ_ENC_DELTA_BINARY_PACKED) {
                int64_t *v = malloc((k + 1) * sizeof *v);
                size_t cnt, used2;
                int is32 = node->physical == FLOE_PQ_INT32;
                CHECK_OK(floe_delta_decode(p, (size_t)(pend - p), is32, v, k, &cnt, &used2, &err), &err);
                CHECK_EQ_INT(cnt, k);
                for (size_t i = 0; i < cnt; i++) {
                    if (is32) {
                        int32_t x = (int32_t)v[i];
                        add_value(out, (const uint8_t *)&x, 4);
                    } else {
                        add_value(out, (const uint8_t *)&v[i], 8);
                    }
                }
                free(v);
            } else {
                CHECK(!"unexpected encoding");
            }
        }
        free(page);
    }
    CHECK_EQ_INT(pos, end);
    CHECK_EQ_INT(out->page_values, m->num_values);
    chunk_free(&dict);
    floe_codec_ctx_free(cc);
    return rc;
}

static void decoded_free(decoded *d) { floe_arena_free(&d->arena); }

static int slice_is(floe_slice s, const char *str) { return s.len == strlen(str) && memcmp(s.ptr, str, s.len) == 0; }

static int64_t ld64(const uint8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int32_t ld32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Frees what a test case made. */
static void case_done(floe_pq_writer *w, mem_out *m, decoded *f, floe_pq_schema *s) {
    decoded_free(f);
    floe_pq_writer_free(w);
    floe_buf_free(&m->buf);
    floe_pq_schema_free(s);
}

/* ---- a flat schema with every physical type ------------------------------- */

enum { C_BOOL, C_I32, C_I64, C_FLOAT, C_DOUBLE, C_STR, C_UUID, C_I96, C_BIN, NFLAT };

static floe_pq_schema *flat_schema(void) {
    floe_err err = {0};
    floe_pq_schema *s = floe_pq_schema_new("schema");
    floe_pq_node_leaf(s->root, "b", FLOE_PQ_REQUIRED, FLOE_PQ_BOOLEAN, 1);
    floe_pq_node_leaf(s->root, "i", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32, 2);
    floe_pq_node_leaf(s->root, "l", FLOE_PQ_REQUIRED, FLOE_PQ_INT64, 3);
    floe_pq_node_leaf(s->root, "f", FLOE_PQ_OPTIONAL, FLOE_PQ_FLOAT, 4);
    floe_pq_node_leaf(s->root, "d", FLOE_PQ_OPTIONAL, FLOE_PQ_DOUBLE, 5);
    floe_pq_node *str = floe_pq_node_leaf(s->root, "s", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY, 6);
    str->converted = FLOE_PQ_CT_UTF8;
    str->logical.kind = FLOE_PQ_LT_STRING;
    floe_pq_node *u = floe_pq_node_leaf(s->root, "u", FLOE_PQ_REQUIRED, FLOE_PQ_FIXED_LEN_BYTE_ARRAY, 7);
    u->type_length = 16;
    u->logical.kind = FLOE_PQ_LT_UUID;
    floe_pq_node_leaf(s->root, "t96", FLOE_PQ_OPTIONAL, FLOE_PQ_INT96, -1);
    floe_pq_node_leaf(s->root, "bin", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY, 9);
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    return s;
}

/* Row r of the flat data set; NULL-ness by r's residues. */
static void flat_row(floe_pq_writer *w, int r) {
    floe_pq_write_bool(w, C_BOOL, r % 3 == 0, 0);
    if (r % 7 == 3) floe_pq_write_null(w, C_I32, 0, 0);
    else floe_pq_write_i32(w, C_I32, (r % 50) - 25, 0);
    floe_pq_write_i64(w, C_I64, (int64_t)r * 1000003 - 5000000000LL, 0);
    if (r % 5 == 1) floe_pq_write_null(w, C_FLOAT, 0, 0);
    else floe_pq_write_float(w, C_FLOAT, (float)r * 0.5f, 0);
    if (r % 11 == 2) floe_pq_write_null(w, C_DOUBLE, 0, 0);
    else floe_pq_write_double(w, C_DOUBLE, (double)(r % 13) / 4.0, 0);
    char s[32];
    int n = snprintf(s, sizeof s, "str-%d", r % 37);
    if (r % 4 == 2) floe_pq_write_null(w, C_STR, 0, 0);
    else floe_pq_write_bytes(w, C_STR, s, (uint32_t)n, 0);
    uint8_t u[16];
    for (int i = 0; i < 16; i++) u[i] = (uint8_t)(r * 7 + i);
    floe_pq_write_bytes(w, C_UUID, u, 16, 0);
    if (r % 2) {
        floe_pq_write_null(w, C_I96, 0, 0);
    } else {
        uint8_t t[12] = {0};
        memcpy(t, &r, sizeof r);
        floe_pq_write_bytes(w, C_I96, t, 12, 0);
    }
    uint8_t bin[3] = {(uint8_t)r, 0, (uint8_t)(r >> 8)};
    floe_pq_write_bytes(w, C_BIN, bin, (uint32_t)(r % 4), 0);
}

static void check_flat_values(const decoded *f, const floe_pq_schema *s, int nrows) {
    chunk_data c[NFLAT];
    int rows_seen = 0;
    for (int rg = 0; rg < f->fm.nrow_groups; rg++) {
        for (int k = 0; k < NFLAT; k++) CHECK_OK(decode_chunk(f, s, rg, k, &c[k]), &(floe_err){0});
        size_t vi[NFLAT] = {0};
        int rgrows = (int)f->fm.row_groups[rg].num_rows;
        for (int k = 0; k < NFLAT; k++) CHECK_EQ_INT(c[k].n, rgrows);
        for (int i = 0; i < rgrows && c[C_BIN].n == (size_t)rgrows; i++) {
            int r = rows_seen + i;
            CHECK_EQ_INT(val(&c[C_BOOL], vi[C_BOOL]++)[0], r % 3 == 0);
            if (r % 7 == 3) CHECK_EQ_INT(c[C_I32].def[i], 0);
            else CHECK_EQ_INT(ld32(val(&c[C_I32], vi[C_I32]++)), (r % 50) - 25);
            CHECK_EQ_INT(ld64(val(&c[C_I64], vi[C_I64]++)), (int64_t)r * 1000003 - 5000000000LL);
            if (r % 5 != 1) {
                float x;
                memcpy(&x, val(&c[C_FLOAT], vi[C_FLOAT]++), 4);
                CHECK(x == (float)r * 0.5f);
            }
            if (r % 11 != 2) {
                double x;
                memcpy(&x, val(&c[C_DOUBLE], vi[C_DOUBLE]++), 8);
                CHECK(x == (double)(r % 13) / 4.0);
            }
            char sb[32];
            int n = snprintf(sb, sizeof sb, "str-%d", r % 37);
            if (r % 4 == 2) {
                CHECK_EQ_INT(c[C_STR].def[i], 0);
            } else {
                CHECK_EQ_INT(c[C_STR].vlen[vi[C_STR]], n);
                CHECK(memcmp(val(&c[C_STR], vi[C_STR]++), sb, (size_t)n) == 0);
            }
            CHECK_EQ_INT(val(&c[C_UUID], vi[C_UUID]++)[15], (uint8_t)(r * 7 + 15));
            if (r % 2 == 0) CHECK_EQ_INT(ld32(val(&c[C_I96], vi[C_I96]++)), r);
            CHECK_EQ_INT(c[C_BIN].vlen[vi[C_BIN]++], r % 4);
        }
        for (int k = 0; k < NFLAT; k++) {
            CHECK_EQ_INT(vi[k], c[k].nv);
            chunk_free(&c[k]);
        }
        rows_seen += rgrows;
    }
    CHECK_EQ_INT(rows_seen, nrows);
}

static floe_pq_writer *mem_writer(const floe_pq_schema *s, const floe_pq_writer_opts *o, mem_out *m) {
    floe_err err = {0};
    memset(m, 0, sizeof *m);
    floe_pq_writer *w = floe_pq_writer_new(s, o, mem_write, m, &err);
    if (!w) fprintf(stderr, "  writer_new: %s\n", err.msg);
    return w;
}

TEST(flat_every_type_every_codec) {
    static const int codecs[] = {FLOE_PQ_CODEC_UNCOMPRESSED, FLOE_PQ_CODEC_SNAPPY, FLOE_PQ_CODEC_GZIP,
                                 FLOE_PQ_CODEC_BROTLI, FLOE_PQ_CODEC_ZSTD, FLOE_PQ_CODEC_LZ4_RAW};
    floe_pq_schema *s = flat_schema();
    for (size_t ci = 0; ci < sizeof codecs / sizeof codecs[0]; ci++) {
        floe_pq_writer_opts o;
        floe_pq_writer_opts_default(&o);
        o.codec = codecs[ci];
        mem_out m;
        floe_pq_writer *w = mem_writer(s, &o, &m);
        floe_err err = {0};
        for (int r = 0; r < 1000; r++) {
            flat_row(w, r);
            CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
        }
        floe_pq_writer_add_kv(w, "k1", "v1");
        floe_pq_writer_add_kv(w, "k2", "v2");
        floe_pq_writer_add_kv(w, "k1", "v1b");
        CHECK_OK(floe_pq_writer_close(w, &err), &err);
        CHECK_EQ_INT(floe_pq_writer_rows(w), 1000);
        CHECK_EQ_INT(floe_pq_writer_bytes(w), m.buf.len);
        decoded f;
        CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
        CHECK_EQ_INT(f.fm.version, 1);
        CHECK_EQ_INT(f.fm.num_rows, 1000);
        CHECK_EQ_INT(f.fm.nrow_groups, 1);
        CHECK(f.fm.has_created_by && slice_is(f.fm.created_by, "floe version " FLOE_VERSION " (build floe)"));
        CHECK_EQ_INT(f.fm.nkv, 2);
        CHECK(slice_is(f.fm.kv[0].key, "k1") && slice_is(f.fm.kv[0].value, "v1b"));
        CHECK(slice_is(f.fm.kv[1].key, "k2") && slice_is(f.fm.kv[1].value, "v2"));
        CHECK_EQ_INT(f.fm.ncolumn_orders, NFLAT);
        for (int i = 0; i < f.fm.ncolumn_orders; i++) CHECK_EQ_INT(f.fm.column_orders[i], 1);
        CHECK_EQ_INT(f.fm.nschema, NFLAT + 1);
        CHECK(slice_is(f.fm.schema[6].name, "s") && f.fm.schema[6].has_field_id && f.fm.schema[6].field_id == 6);
        CHECK(!f.fm.schema[8].has_field_id);
        int nrg = 0;
        const int64_t *offs = floe_pq_writer_row_group_offsets(w, &nrg);
        CHECK_EQ_INT(nrg, 1);
        CHECK_EQ_INT(offs[0], 4);
        const floe_pq_row_group *rg = &f.fm.row_groups[0];
        CHECK(rg->has_file_offset && rg->file_offset == 4);
        CHECK_EQ_INT(rg->num_rows, 1000);
        int64_t comp = 0;
        for (int k = 0; k < NFLAT; k++) {
            const floe_pq_column_meta *cm = &rg->columns[k].meta_data;
            CHECK_EQ_INT(cm->codec, codecs[ci]);
            CHECK_EQ_INT(cm->type, s->leaves[k]->physical);
            CHECK_EQ_INT(cm->num_values, 1000);
            CHECK_EQ_INT(rg->columns[k].file_offset,
                         cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset);
            comp += cm->total_compressed_size;
            const floe_pq_stats *st = floe_pq_writer_stats(w, k);
            CHECK_EQ_INT(st->compressed_size, cm->total_compressed_size);
            CHECK_EQ_INT(st->uncompressed_size, cm->total_uncompressed_size);
            CHECK_EQ_INT(st->num_values, 1000);
        }
        CHECK_EQ_INT(rg->total_compressed_size, comp);
        CHECK_EQ_INT(rg->columns[0].meta_data.data_page_offset, 4); /* booleans: no dictionary */
        CHECK(rg->columns[C_STR].meta_data.has_dictionary_page_offset);
        CHECK(!rg->columns[C_BOOL].meta_data.has_dictionary_page_offset);
        /* statistics of the chunk */
        const floe_pq_statistics *st = &rg->columns[C_I32].meta_data.statistics;
        CHECK(st->has_min_value && ld32(st->min_value.ptr) == -25 && ld32(st->max_value.ptr) == 24);
        CHECK(st->has_min && ld32(st->min.ptr) == -25); /* legacy signed order */
        CHECK_EQ_INT(st->null_count, 143);              /* r % 7 == 3 for r < 1000 */
        st = &rg->columns[C_STR].meta_data.statistics;
        CHECK(slice_is(st->min_value, "str-0") && slice_is(st->max_value, "str-9"));
        CHECK(!st->has_min && !st->has_max);
        CHECK_EQ_INT(st->null_count, 250);
        st = &rg->columns[C_I96].meta_data.statistics;
        CHECK(!st->has_min_value && !st->has_max_value && st->null_count == 500);
        st = &rg->columns[C_BOOL].meta_data.statistics;
        CHECK(st->min_value.len == 1 && st->min_value.ptr[0] == 0 && st->max_value.ptr[0] == 1);
        const floe_pq_stats *fs = floe_pq_writer_stats(w, C_I64);
        CHECK(fs->has_min_max && ld64(fs->min) == -5000000000LL && ld64(fs->max) == 999LL * 1000003 - 5000000000LL);
        CHECK(fs->min_exact && fs->max_exact);
        check_flat_values(&f, s, 1000);
        decoded_free(&f);
        floe_pq_writer_free(w);
        floe_buf_free(&m.buf);
    }
    floe_pq_schema_free(s);
}

/* ---- nested columns with hand-built levels -------------------------------- */

/* tags: optional list<optional string>; attrs: optional map<string, optional
 * int64>; st: optional struct<a: required int32, b: optional double>. */
static floe_pq_schema *nested_schema(void) {
    floe_err err = {0};
    floe_pq_schema *s = floe_pq_schema_new("schema");
    floe_pq_node *tags = floe_pq_node_group(s->root, "tags", FLOE_PQ_OPTIONAL, 1);
    tags->converted = FLOE_PQ_CT_LIST;
    tags->logical.kind = FLOE_PQ_LT_LIST;
    floe_pq_node *list = floe_pq_node_group(tags, "list", FLOE_PQ_REPEATED, -1);
    floe_pq_node *el = floe_pq_node_leaf(list, "element", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY, 2);
    el->converted = FLOE_PQ_CT_UTF8;
    el->logical.kind = FLOE_PQ_LT_STRING;
    floe_pq_node *attrs = floe_pq_node_group(s->root, "attrs", FLOE_PQ_OPTIONAL, 3);
    attrs->converted = FLOE_PQ_CT_MAP;
    attrs->logical.kind = FLOE_PQ_LT_MAP;
    floe_pq_node *kv = floe_pq_node_group(attrs, "key_value", FLOE_PQ_REPEATED, -1);
    floe_pq_node *k = floe_pq_node_leaf(kv, "key", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY, 4);
    k->converted = FLOE_PQ_CT_UTF8;
    k->logical.kind = FLOE_PQ_LT_STRING;
    floe_pq_node_leaf(kv, "value", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 5);
    floe_pq_node *st = floe_pq_node_group(s->root, "st", FLOE_PQ_OPTIONAL, 6);
    floe_pq_node_leaf(st, "a", FLOE_PQ_REQUIRED, FLOE_PQ_INT32, 7);
    floe_pq_node_leaf(st, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_DOUBLE, 8);
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    return s;
}

/* Expected (def, rep) per leaf for the four row shapes, repeated. */
static const struct { int n; int def[2], rep[2]; } nested_levels[5][4] = {
    /* element */ {{2, {3, 3}, {0, 1}}, {1, {0}, {0}}, {1, {1}, {0}}, {2, {2, 3}, {0, 1}}},
    /* key */ {{2, {2, 2}, {0, 1}}, {1, {1}, {0}}, {1, {0}, {0}}, {1, {2}, {0}}},
    /* value */ {{2, {3, 2}, {0, 1}}, {1, {1}, {0}}, {1, {0}, {0}}, {1, {3}, {0}}},
    /* a */ {{1, {1}, {0}}, {1, {0}, {0}}, {1, {1}, {0}}, {1, {1}, {0}}},
    /* b */ {{1, {2}, {0}}, {1, {0}, {0}}, {1, {1}, {0}}, {1, {2}, {0}}},
};

static void nested_row(floe_pq_writer *w, int r) {
    switch (r % 4) {
    case 0: /* tags ["a","b"], attrs {x:1, y:null}, st {a:r, b:2.5} */
        floe_pq_write_bytes(w, 0, "a", 1, 0);
        floe_pq_write_bytes(w, 0, "b", 1, 1);
        floe_pq_write_bytes(w, 1, "x", 1, 0);
        floe_pq_write_bytes(w, 1, "y", 1, 1);
        floe_pq_write_i64(w, 2, 1, 0);
        floe_pq_write_null(w, 2, 2, 1);
        floe_pq_write_i32(w, 3, r, 0);
        floe_pq_write_double(w, 4, 2.5, 0);
        break;
    case 1: /* tags null, attrs {}, st null */
        floe_pq_write_null(w, 0, 0, 0);
        floe_pq_write_null(w, 1, 1, 0);
        floe_pq_write_null(w, 2, 1, 0);
        floe_pq_write_null(w, 3, 0, 0);
        floe_pq_write_null(w, 4, 0, 0);
        break;
    case 2: /* tags [], attrs null, st {a:r, b:null} */
        floe_pq_write_null(w, 0, 1, 0);
        floe_pq_write_null(w, 1, 0, 0);
        floe_pq_write_null(w, 2, 0, 0);
        floe_pq_write_i32(w, 3, r, 0);
        floe_pq_write_null(w, 4, 1, 0);
        break;
    case 3: /* tags [null,"c"], attrs {z:7}, st {a:r, b:-1} */
        floe_pq_write_null(w, 0, 2, 0);
        floe_pq_write_bytes(w, 0, "c", 1, 1);
        floe_pq_write_bytes(w, 1, "z", 1, 0);
        floe_pq_write_i64(w, 2, 7, 0);
        floe_pq_write_i32(w, 3, r, 0);
        floe_pq_write_double(w, 4, -1.0, 0);
        break;
    }
}

TEST(nested_levels_round_trip) {
    floe_pq_schema *s = nested_schema();
    CHECK_EQ_INT(s->leaves[0]->max_def, 3);
    CHECK_EQ_INT(s->leaves[0]->max_rep, 1);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.page_row_limit = 64; /* several pages; a record never spans two */
    mem_out m;
    floe_pq_writer *w = mem_writer(s, &o, &m);
    floe_err err = {0};
    const int nrows = 1001;
    for (int r = 0; r < nrows; r++) {
        nested_row(w, r);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK_EQ_INT(f.fm.nrow_groups, 1);
    const floe_pq_column_meta *cm = &f.fm.row_groups[0].columns[0].meta_data;
    CHECK_EQ_INT(cm->npath, 3);
    CHECK(slice_is(cm->path[0], "tags") && slice_is(cm->path[1], "list") && slice_is(cm->path[2], "element"));
    for (int leaf = 0; leaf < 5; leaf++) {
        chunk_data c;
        CHECK_OK(decode_chunk(&f, s, 0, leaf, &c), &err);
        CHECK(c.data_pages > 1);
        size_t at = 0, vi = 0;
        int64_t nulls = 0;
        for (int r = 0; r < nrows && at < c.n; r++) {
            const int shape = r % 4;
            for (int j = 0; j < nested_levels[leaf][shape].n; j++, at++) {
                CHECK_EQ_INT(c.def[at], nested_levels[leaf][shape].def[j]);
                CHECK_EQ_INT(c.rep[at], nested_levels[leaf][shape].rep[j]);
                if ((int)c.def[at] < s->leaves[leaf]->max_def) {
                    nulls++;
                    continue;
                }
                if (leaf == 3) CHECK_EQ_INT(ld32(val(&c, vi)), r);
                if (leaf == 2) CHECK_EQ_INT(ld64(val(&c, vi)), shape == 0 ? 1 : 7);
                vi++;
            }
        }
        CHECK_EQ_INT(at, c.n);
        CHECK_EQ_INT(vi, c.nv);
        CHECK_EQ_INT(f.fm.row_groups[0].columns[leaf].meta_data.statistics.null_count, nulls);
        CHECK_EQ_INT(c.page_nulls, nulls);
        chunk_free(&c);
    }
    /* the column reader decodes the same levels */
    floe_pq_reader *r = floe_pq_reader_open(mem_read, &m.buf, m.buf.len, "nested.parquet", &err);
    CHECK(r != NULL);
    for (int leaf = 0; r && leaf < 5; leaf++) {
        chunk_data c;
        CHECK_OK(decode_chunk(&f, s, 0, leaf, &c), &err);
        floe_pq_column_reader *cr = floe_pq_column_open(r, 0, leaf, &err);
        CHECK(cr != NULL);
        floe_pq_batch b;
        size_t at = 0, vi = 0;
        while (cr && floe_pq_column_next(cr, 100, &b, &err) == 1) {
            for (size_t i = 0; i < b.n && at + i < c.n; i++) {
                CHECK_EQ_INT(b.def[i], c.def[at + i]); /* every leaf here is optional */
                CHECK_EQ_INT(b.rep ? b.rep[i] : 0, c.rep[at + i]);
            }
            for (size_t i = 0; i < b.nvalues && vi + i < c.nv; i++)
                if (leaf == 3) CHECK_EQ_INT(b.v.i32[i], ld32(val(&c, vi + i)));
            at += b.n;
            vi += b.nvalues;
        }
        CHECK_EQ_INT(at, c.n);
        CHECK_EQ_INT(vi, c.nv);
        floe_pq_column_free(cr);
        chunk_free(&c);
    }
    floe_pq_reader_free(r);
    const floe_pq_statistics *st = &f.fm.row_groups[0].columns[0].meta_data.statistics;
    CHECK(slice_is(st->min_value, "a") && slice_is(st->max_value, "c"));
    st = &f.fm.row_groups[0].columns[4].meta_data.statistics;
    double d;
    memcpy(&d, st->min_value.ptr, 8);
    CHECK(d == -1.0);
    case_done(w, &m, &f, s);
}

/* ---- pages and row groups ------------------------------------------------- */

TEST(many_pages_and_row_groups) {
    floe_pq_schema *s = flat_schema();
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.page_size = 512;
    o.row_group_size = 16 * 1024;
    mem_out m;
    floe_pq_writer *w = mem_writer(s, &o, &m);
    floe_err err = {0};
    const int nrows = 6000;
    int64_t last_est = 0;
    for (int r = 0; r < nrows; r++) {
        flat_row(w, r);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
        int64_t est = floe_pq_writer_estimated_size(w);
        CHECK(est >= floe_pq_writer_bytes(w));
        if (r == nrows - 1) last_est = est;
    }
    CHECK(floe_pq_writer_memory(w) > 0);
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    /* the estimate before close is near the final size (footer excluded) */
    CHECK(last_est > (int64_t)m.buf.len / 2 && last_est <= (int64_t)m.buf.len);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK(f.fm.nrow_groups > 3);
    int nrg = 0;
    const int64_t *offs = floe_pq_writer_row_group_offsets(w, &nrg);
    CHECK_EQ_INT(nrg, f.fm.nrow_groups);
    int64_t rows = 0, prev_end = 4;
    for (int g = 0; g < f.fm.nrow_groups && g < nrg; g++) {
        const floe_pq_row_group *rg = &f.fm.row_groups[g];
        CHECK_EQ_INT(rg->file_offset, offs[g]);
        CHECK_EQ_INT(rg->file_offset, prev_end); /* chunks are contiguous */
        CHECK(rg->has_ordinal && rg->ordinal == g);
        /* compressed bytes stay near the target: no row group is more than
         * a few pages past it */
        CHECK(rg->total_compressed_size < 2 * 16 * 1024);
        if (g + 1 < f.fm.nrow_groups) CHECK(rg->total_compressed_size >= 16 * 1024 * 3 / 4);
        prev_end = rg->file_offset + rg->total_compressed_size;
        rows += rg->num_rows;
        int64_t unc = 0;
        for (int k = 0; k < NFLAT; k++) unc += rg->columns[k].meta_data.total_uncompressed_size;
        CHECK_EQ_INT(rg->total_byte_size, unc);
    }
    CHECK_EQ_INT(rows, nrows);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, C_I64, &c), &err);
    CHECK(c.data_pages >= 4);
    chunk_free(&c);
    check_flat_values(&f, s, nrows);
    /* file-level statistics merge the row groups */
    const floe_pq_stats *fs = floe_pq_writer_stats(w, C_I64);
    CHECK_EQ_INT(ld64(fs->min), -5000000000LL);
    CHECK_EQ_INT(ld64(fs->max), (int64_t)(nrows - 1) * 1000003 - 5000000000LL);
    int64_t comp = 0;
    for (int g = 0; g < f.fm.nrow_groups; g++) comp += f.fm.row_groups[g].columns[C_I64].meta_data.total_compressed_size;
    CHECK_EQ_INT(fs->compressed_size, comp);
    CHECK_EQ_INT(fs->num_values, nrows);
    fs = floe_pq_writer_stats(w, C_STR);
    CHECK_EQ_INT(fs->null_count, nrows / 4);
    case_done(w, &m, &f, s);
}

/* ---- dictionary fallback --------------------------------------------------- */

/* A one-leaf schema named "c" with the given annotations (lt may be NULL). */
static floe_pq_schema *one_column_ann(int physical, int rep, int32_t type_length, const floe_pq_logical *lt, int ct) {
    floe_err err = {0};
    floe_pq_schema *s = floe_pq_schema_new("schema");
    floe_pq_node *n = floe_pq_node_leaf(s->root, "c", rep, physical, 1);
    n->type_length = type_length;
    if (lt) n->logical = *lt;
    n->converted = ct;
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    return s;
}

static floe_pq_schema *one_column(int physical, int rep) {
    return one_column_ann(physical, rep, 0, NULL, FLOE_PQ_CT_NONE);
}

static void write_strings(floe_pq_writer *w, int from, int to, int modulo) {
    floe_err err = {0};
    for (int r = from; r < to; r++) {
        char b[32];
        int n = snprintf(b, sizeof b, "value-%06d", modulo ? r % modulo : r);
        floe_pq_write_bytes(w, 0, b, (uint32_t)n, 0);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
}

static void check_strings(const chunk_data *c, int from, int to, int modulo) {
    CHECK_EQ_INT(c->nv, to - from);
    for (int r = from; r < to && (size_t)(r - from) < c->nv; r++) {
        char b[32];
        int n = snprintf(b, sizeof b, "value-%06d", modulo ? r % modulo : r);
        CHECK(c->vlen[r - from] == (uint32_t)n && memcmp(val(c, (size_t)(r - from)), b, (size_t)n) == 0);
    }
}

TEST(dictionary_falls_back_when_too_large) {
    floe_pq_schema *s = one_column(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.page_row_limit = 100;
    o.dict_size_limit = 2000;
    mem_out m;
    floe_pq_writer *w = mem_writer(s, &o, &m);
    floe_err err = {0};
    write_strings(w, 0, 300, 10);  /* 3 dictionary pages of 10 distinct values */
    write_strings(w, 300, 800, 0); /* distinct values: the dictionary overflows */
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    const floe_pq_column_meta *cm = &f.fm.row_groups[0].columns[0].meta_data;
    CHECK(cm->has_dictionary_page_offset);
    int has_plain = 0, has_dict = 0;
    for (int i = 0; i < cm->nencodings; i++) {
        has_plain |= cm->encodings[i] == FLOE_PQ_ENC_PLAIN;
        has_dict |= cm->encodings[i] == FLOE_PQ_ENC_RLE_DICTIONARY;
    }
    CHECK(has_plain && has_dict);
    int dict_pages = 0, plain_pages = 0, dict_dict = 0;
    for (int i = 0; i < cm->nencoding_stats; i++) {
        const floe_pq_page_encoding_stats *e = &cm->encoding_stats[i];
        if (e->page_type == FLOE_PQ_PAGE_DICTIONARY) dict_dict += e->count;
        else if (e->encoding == FLOE_PQ_ENC_RLE_DICTIONARY) dict_pages += e->count;
        else if (e->encoding == FLOE_PQ_ENC_PLAIN) plain_pages += e->count;
    }
    CHECK_EQ_INT(dict_dict, 1);
    CHECK(dict_pages >= 3);
    CHECK(plain_pages >= 2);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, 0, &c), &err);
    CHECK_EQ_INT(c.dict_pages, 1);
    CHECK_EQ_INT(c.data_pages, dict_pages + plain_pages);
    CHECK(c.page_enc_mask == ((1 << FLOE_PQ_ENC_PLAIN) | (1 << FLOE_PQ_ENC_RLE_DICTIONARY)));
    /* decode values: first 300 repeat, then distinct */
    chunk_data first = c;
    first.nv = 300;
    check_strings(&first, 0, 300, 10);
    for (int r = 300; r < 800; r++) {
        char b[32];
        int n = snprintf(b, sizeof b, "value-%06d", r);
        CHECK(c.vlen[r] == (uint32_t)n && memcmp(val(&c, (size_t)r), b, (size_t)n) == 0);
    }
    chunk_free(&c);
    case_done(w, &m, &f, s);
}

TEST(dictionary_dropped_when_first_page_does_not_pay) {
    floe_pq_schema *s = one_column(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.page_row_limit = 100;
    o.row_group_size = 4096;
    mem_out m;
    floe_pq_writer *w = mem_writer(s, &o, &m);
    floe_err err = {0};
    write_strings(w, 0, 250, 0);   /* all distinct: the first page rejects it */
    write_strings(w, 250, 2000, 3); /* later row groups start a new dictionary */
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK(f.fm.nrow_groups >= 2);
    const floe_pq_column_meta *cm = &f.fm.row_groups[0].columns[0].meta_data;
    CHECK(!cm->has_dictionary_page_offset);
    for (int i = 0; i < cm->nencodings; i++) CHECK(cm->encodings[i] != FLOE_PQ_ENC_RLE_DICTIONARY);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, 0, &c), &err);
    CHECK_EQ_INT(c.dict_pages, 0);
    CHECK(c.page_enc_mask == (1 << FLOE_PQ_ENC_PLAIN));
    chunk_free(&c);
    cm = &f.fm.row_groups[f.fm.nrow_groups - 1].columns[0].meta_data;
    CHECK(cm->has_dictionary_page_offset);
    CHECK_OK(decode_chunk(&f, s, f.fm.nrow_groups - 1, 0, &c), &err);
    CHECK(c.page_enc_mask == (1 << FLOE_PQ_ENC_RLE_DICTIONARY));
    chunk_free(&c);
    case_done(w, &m, &f, s);
}

TEST(delta_ints_without_dictionary) {
    floe_err err = {0};
    floe_pq_schema *s = floe_pq_schema_new("schema");
    floe_pq_node_leaf(s->root, "i", FLOE_PQ_OPTIONAL, FLOE_PQ_INT32, 1);
    floe_pq_node_leaf(s->root, "l", FLOE_PQ_REQUIRED, FLOE_PQ_INT64, 2);
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.dictionary = 0;
    o.delta_ints = 1;
    o.page_row_limit = 300;
    mem_out m;
    floe_pq_writer *w = mem_writer(s, &o, &m);
    for (int r = 0; r < 1000; r++) {
        if (r % 3 == 0) floe_pq_write_null(w, 0, 0, 0);
        else floe_pq_write_i32(w, 0, r == 1 ? INT32_MIN : r == 2 ? INT32_MAX : r * 3, 0);
        floe_pq_write_i64(w, 1, r % 2 ? INT64_MIN + r : INT64_MAX - r, 0);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, 0, &c), &err);
    CHECK(c.page_enc_mask == (1 << FLOE_PQ_ENC_DELTA_BINARY_PACKED));
    CHECK_EQ_INT(c.data_pages, 4);
    size_t vi = 0;
    for (int r = 0; r < 1000; r++)
        if (r % 3) CHECK_EQ_INT(ld32(val(&c, vi++)), r == 1 ? INT32_MIN : r == 2 ? INT32_MAX : r * 3);
    chunk_free(&c);
    CHECK_OK(decode_chunk(&f, s, 0, 1, &c), &err);
    CHECK(c.page_enc_mask == (1 << FLOE_PQ_ENC_DELTA_BINARY_PACKED));
    for (int r = 0; r < 1000; r++) CHECK(ld64(val(&c, (size_t)r)) == (r % 2 ? INT64_MIN + r : INT64_MAX - r));
    chunk_free(&c);
    const floe_pq_statistics *st = &f.fm.row_groups[0].columns[0].meta_data.statistics;
    CHECK(ld32(st->min_value.ptr) == INT32_MIN && ld32(st->max_value.ptr) == INT32_MAX);
    case_done(w, &m, &f, s);
}

/* ---- statistics ----------------------------------------------------------- */

/* Writes `n` values given as PLAIN bytes to a one-column file (NULL = null)
 * and returns the parsed chunk statistics through *f. */
static floe_pq_writer *stats_file(floe_pq_schema *s, const floe_pq_writer_opts *o, const void *const *vals,
                                  const uint32_t *lens, int n, mem_out *m, decoded *f) {
    floe_err err = {0};
    floe_pq_writer *w = mem_writer(s, o, m);
    const floe_pq_node *leaf = s->leaves[0];
    for (int i = 0; i < n; i++) {
        if (!vals[i]) {
            floe_pq_write_null(w, 0, 0, 0);
        } else {
            switch (leaf->physical) {
            case FLOE_PQ_INT32: floe_pq_write_i32(w, 0, ld32(vals[i]), 0); break;
            case FLOE_PQ_INT64: floe_pq_write_i64(w, 0, ld64(vals[i]), 0); break;
            case FLOE_PQ_FLOAT: {
                float x;
                memcpy(&x, vals[i], 4);
                floe_pq_write_float(w, 0, x, 0);
                break;
            }
            case FLOE_PQ_DOUBLE: {
                double x;
                memcpy(&x, vals[i], 8);
                floe_pq_write_double(w, 0, x, 0);
                break;
            }
            default: floe_pq_write_bytes(w, 0, vals[i], lens[i], 0);
            }
        }
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    CHECK(parse_file(m->buf.data, m->buf.len, f) == 0);
    return w;
}

static const floe_pq_statistics *chunk_stats(const decoded *f) {
    return &f->fm.row_groups[0].columns[0].meta_data.statistics;
}


TEST(stats_unsigned_ints) {
    floe_pq_logical lt = {.kind = FLOE_PQ_LT_INTEGER, .bit_width = 32, .is_signed = 0};
    floe_pq_schema *s = one_column_ann(FLOE_PQ_INT32, FLOE_PQ_OPTIONAL, 0, &lt, FLOE_PQ_CT_NONE);
    int32_t v[] = {5, -1, 7};
    const void *vals[] = {&v[0], &v[1], NULL, &v[2]};
    mem_out m;
    decoded f;
    floe_pq_writer *w = stats_file(s, NULL, vals, NULL, 4, &m, &f);
    const floe_pq_statistics *st = chunk_stats(&f);
    CHECK(ld32(st->min_value.ptr) == 5 && ld32(st->max_value.ptr) == -1); /* 0xFFFFFFFF is the largest */
    CHECK(!st->has_min && !st->has_max); /* the legacy signed order would disagree */
    CHECK_EQ_INT(st->null_count, 1);
    case_done(w, &m, &f, s);

    s = one_column_ann(FLOE_PQ_INT64, FLOE_PQ_REQUIRED, 0, NULL, FLOE_PQ_CT_UINT_64);
    int64_t l[] = {INT64_MIN, 3, -2};
    const void *lvals[] = {&l[0], &l[1], &l[2]};
    w = stats_file(s, NULL, lvals, NULL, 3, &m, &f);
    st = chunk_stats(&f);
    CHECK(ld64(st->min_value.ptr) == 3 && ld64(st->max_value.ptr) == -2);
    case_done(w, &m, &f, s);
}

TEST(stats_floats_nan_and_signed_zero) {
    floe_pq_schema *s = one_column(FLOE_PQ_DOUBLE, FLOE_PQ_OPTIONAL);
    double v[] = {NAN, 0.0, 3.5, -0.0, NAN};
    const void *vals[] = {&v[0], &v[1], &v[2], NULL, &v[3], &v[4]};
    mem_out m;
    decoded f;
    floe_pq_writer *w = stats_file(s, NULL, vals, NULL, 6, &m, &f);
    const floe_pq_statistics *st = chunk_stats(&f);
    double mn, mx;
    memcpy(&mn, st->min_value.ptr, 8);
    memcpy(&mx, st->max_value.ptr, 8);
    CHECK(mn == 0.0 && signbit(mn)); /* a zero min is written as -0.0 */
    CHECK(mx == 3.5);
    CHECK(st->has_min && st->has_max);
    const floe_pq_stats *fs = floe_pq_writer_stats(w, 0);
    CHECK_EQ_INT(fs->nan_count, 2);
    CHECK_EQ_INT(fs->null_count, 1);
    CHECK_EQ_INT(fs->num_values, 6);
    case_done(w, &m, &f, s);

    /* only zeros: min -0.0, max +0.0 */
    s = one_column(FLOE_PQ_FLOAT, FLOE_PQ_REQUIRED);
    float z[] = {0.0f, -0.0f, 0.0f};
    const void *zv[] = {&z[0], &z[1], &z[2]};
    w = stats_file(s, NULL, zv, NULL, 3, &m, &f);
    st = chunk_stats(&f);
    float fmn, fmx;
    memcpy(&fmn, st->min_value.ptr, 4);
    memcpy(&fmx, st->max_value.ptr, 4);
    CHECK(fmn == 0.0f && signbit(fmn) && fmx == 0.0f && !signbit(fmx));
    case_done(w, &m, &f, s);

    /* only NaNs: no bounds at all */
    s = one_column(FLOE_PQ_FLOAT, FLOE_PQ_REQUIRED);
    float n[] = {NAN, NAN};
    const void *nv[] = {&n[0], &n[1]};
    w = stats_file(s, NULL, nv, NULL, 2, &m, &f);
    st = chunk_stats(&f);
    CHECK(!st->has_min_value && !st->has_max_value && !st->has_min && st->has_null_count);
    fs = floe_pq_writer_stats(w, 0);
    CHECK(!fs->has_min_max && fs->nan_count == 2);
    case_done(w, &m, &f, s);
}

TEST(stats_decimal_is_signed) {
    floe_pq_logical lt = {.kind = FLOE_PQ_LT_DECIMAL, .precision = 4, .scale = 1};
    floe_pq_schema *s = one_column_ann(FLOE_PQ_FIXED_LEN_BYTE_ARRAY, FLOE_PQ_REQUIRED, 2, &lt, FLOE_PQ_CT_DECIMAL);
    static const uint8_t a[2] = {0x00, 0x05}, b[2] = {0xFF, 0xFB} /* -5 */, c[2] = {0x7F, 0x00};
    const void *vals[] = {a, b, c};
    const uint32_t lens[] = {2, 2, 2};
    mem_out m;
    decoded f;
    floe_pq_writer *w = stats_file(s, NULL, vals, lens, 3, &m, &f);
    const floe_pq_statistics *st = chunk_stats(&f);
    CHECK(st->min_value.len == 2 && memcmp(st->min_value.ptr, b, 2) == 0);
    CHECK(st->max_value.len == 2 && memcmp(st->max_value.ptr, c, 2) == 0);
    case_done(w, &m, &f, s);

    /* plain binary: unsigned order, 0xFF... is the largest */
    s = one_column(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    w = stats_file(s, NULL, vals, lens, 3, &m, &f);
    st = chunk_stats(&f);
    CHECK(memcmp(st->min_value.ptr, a, 2) == 0 && memcmp(st->max_value.ptr, b, 2) == 0);
    case_done(w, &m, &f, s);
}

TEST(stats_truncation_binary_and_utf8) {
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.stats_truncate = 8;
    /* binary: min cut to 8 bytes, max cut and its last non-0xFF byte bumped */
    floe_pq_schema *s = one_column(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    const char *lo = "aaaaaaaaaaaa", *hi = "zzzzzzz\xff\xff\xffq";
    const void *vals[] = {lo, hi, "m"};
    uint32_t lens[] = {12, 11, 1};
    mem_out m;
    decoded f;
    floe_pq_writer *w = stats_file(s, &o, vals, lens, 3, &m, &f);
    const floe_pq_statistics *st = chunk_stats(&f);
    CHECK(slice_is(st->min_value, "aaaaaaaa"));
    CHECK(slice_is(st->max_value, "zzzzzz{"));
    CHECK(st->has_is_min_value_exact && !st->is_min_value_exact);
    CHECK(st->has_is_max_value_exact && !st->is_max_value_exact);
    const floe_pq_stats *fs = floe_pq_writer_stats(w, 0);
    CHECK(fs->has_min_max && !fs->min_exact && !fs->max_exact && fs->min_len == 8 && fs->max_len == 7);
    CHECK(memcmp(fs->max, "zzzzzz{", 7) == 0);
    case_done(w, &m, &f, s);

    /* binary max of only 0xFF in the kept prefix: no upper bound */
    s = one_column(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED);
    const void *ff[] = {"\xff\xff\xff\xff\xff\xff\xff\xff\xff", "b"};
    uint32_t fl[] = {9, 1};
    w = stats_file(s, &o, ff, fl, 2, &m, &f);
    st = chunk_stats(&f);
    CHECK(slice_is(st->min_value, "b") && st->is_min_value_exact);
    CHECK(!st->has_max_value);
    CHECK(!floe_pq_writer_stats(w, 0)->has_min_max);
    case_done(w, &m, &f, s);

    /* UTF-8: never split a character; bump a code point, not a byte */
    floe_pq_logical str = {.kind = FLOE_PQ_LT_STRING};
    s = one_column_ann(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED, 0, &str, FLOE_PQ_CT_NONE);
    const char *e = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";          /* "ééééé", 10 bytes */
    const char *t = "ab\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbfzz";               /* U+10FFFF can't grow */
    const void *uv[] = {e, t};
    uint32_t ul[] = {10, 12};
    o.stats_truncate = 7;
    w = stats_file(s, &o, uv, ul, 2, &m, &f);
    st = chunk_stats(&f);
    CHECK(slice_is(st->min_value, "ab\xf4\x8f\xbf\xbf")); /* 6 bytes, not 7 */
    CHECK(slice_is(st->max_value, "\xc3\xa9\xc3\xa9\xc3\xaa")); /* "éé" + U+00EA */
    case_done(w, &m, &f, s);

    s = one_column_ann(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED, 0, NULL, FLOE_PQ_CT_UTF8);
    const char *u2 = "a\xed\x9f\xbf\xed\x9f\xbfxyz"; /* U+D7FF must skip the surrogates */
    const void *sv[] = {u2};
    uint32_t sl[] = {10};
    w = stats_file(s, &o, sv, sl, 1, &m, &f);
    st = chunk_stats(&f);
    CHECK(slice_is(st->max_value, "a\xed\x9f\xbf\xee\x80\x80")); /* U+D7FF, U+E000 */
    case_done(w, &m, &f, s);

    s = one_column_ann(FLOE_PQ_BYTE_ARRAY, FLOE_PQ_REQUIRED, 0, NULL, FLOE_PQ_CT_UTF8);
    const void *tv[] = {t};
    w = stats_file(s, &o, tv, &ul[1], 1, &m, &f);
    st = chunk_stats(&f);
    CHECK(slice_is(st->max_value, "ac")); /* U+10FFFF dropped, 'b' bumped */
    case_done(w, &m, &f, s);
}

TEST(compare_orders) {
    floe_pq_schema *s = one_column(FLOE_PQ_INT32, FLOE_PQ_REQUIRED);
    floe_pq_node *n = s->leaves[0];
    int32_t a = -1, b = 1;
    CHECK(floe_pq_compare(n, (uint8_t *)&a, 4, (uint8_t *)&b, 4) < 0);
    n->converted = FLOE_PQ_CT_UINT_32;
    CHECK(floe_pq_compare(n, (uint8_t *)&a, 4, (uint8_t *)&b, 4) > 0);
    CHECK(floe_pq_compare(n, (uint8_t *)&a, 4, (uint8_t *)&a, 4) == 0);
    n->converted = FLOE_PQ_CT_NONE;
    n->physical = FLOE_PQ_DOUBLE;
    double nz = -0.0, pz = 0.0, nan = NAN, one = 1;
    CHECK(floe_pq_compare(n, (uint8_t *)&nz, 8, (uint8_t *)&pz, 8) == 0);
    CHECK(floe_pq_compare(n, (uint8_t *)&nan, 8, (uint8_t *)&one, 8) > 0);
    CHECK(floe_pq_compare(n, (uint8_t *)&one, 8, (uint8_t *)&nan, 8) < 0);
    n->physical = FLOE_PQ_BYTE_ARRAY;
    CHECK(floe_pq_compare(n, (const uint8_t *)"ab", 2, (const uint8_t *)"abc", 3) < 0);
    CHECK(floe_pq_compare(n, (const uint8_t *)"\x80", 1, (const uint8_t *)"\x7f", 1) > 0); /* unsigned bytes */
    n->logical.kind = FLOE_PQ_LT_DECIMAL;
    static const uint8_t m1[] = {0xFF}, m1long[] = {0xFF, 0xFF, 0xFF}, p256[] = {0x01, 0x00}, m2[] = {0xFF, 0xFE};
    CHECK(floe_pq_compare(n, m1, 1, m1long, 3) == 0); /* -1 == -1 at any width */
    CHECK(floe_pq_compare(n, m1, 1, p256, 2) < 0);
    CHECK(floe_pq_compare(n, m2, 2, m1, 1) < 0);
    CHECK(floe_pq_compare(n, p256, 2, m1long, 3) > 0);
    n->logical.kind = FLOE_PQ_LT_NONE;
    n->physical = FLOE_PQ_BOOLEAN;
    uint8_t f0 = 0, t1 = 1;
    CHECK(floe_pq_compare(n, &f0, 1, &t1, 1) < 0);
    floe_pq_schema_free(s);
}

/* ---- abort, misuse and failures -------------------------------------------- */

TEST(abort_row_discards_values_and_dictionary_entries) {
    floe_pq_schema *s = nested_schema();
    mem_out m;
    floe_pq_writer *w = mem_writer(s, NULL, &m);
    floe_err err = {0};
    for (int r = 0; r < 4; r++) {
        nested_row(w, r);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    /* half a record with new strings, then abandoned */
    floe_pq_write_bytes(w, 0, "new1", 4, 0);
    floe_pq_write_bytes(w, 0, "new2", 4, 1);
    floe_pq_write_bytes(w, 1, "k-new", 5, 0);
    floe_pq_writer_abort_row(w);
    for (int r = 4; r < 8; r++) {
        nested_row(w, r);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    CHECK_EQ_INT(floe_pq_writer_rows(w), 8);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK_EQ_INT(f.fm.num_rows, 8);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, 0, &c), &err);
    CHECK_EQ_INT(c.n, 12);
    for (size_t i = 0; i < c.nv; i++) CHECK(c.vlen[i] == 1);
    chunk_free(&c);
    const floe_pq_statistics *st = chunk_stats(&f);
    CHECK(slice_is(st->max_value, "c"));
    case_done(w, &m, &f, s);
}

TEST(dictionary_truncate_restores_table) {
    floe_pq_dict d;
    floe_pq_dict_init(&d, FLOE_PQ_BYTE_ARRAY, 0);
    char b[16];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(b, sizeof b, "v%d", i);
        CHECK_EQ_INT(floe_pq_dict_put_bytes(&d, (const uint8_t *)b, (uint32_t)n), i);
    }
    size_t plain_at_100 = d.plain.len;
    for (int i = 100; i < 1000; i++) { /* grows the table several times */
        int n = snprintf(b, sizeof b, "v%d", i);
        floe_pq_dict_put_bytes(&d, (const uint8_t *)b, (uint32_t)n);
    }
    floe_pq_dict_truncate(&d, 100);
    CHECK_EQ_INT(d.count, 100);
    CHECK_EQ_INT(d.plain.len, plain_at_100);
    for (int i = 0; i < 100; i++) {
        int n = snprintf(b, sizeof b, "v%d", i);
        CHECK_EQ_INT(floe_pq_dict_put_bytes(&d, (const uint8_t *)b, (uint32_t)n), i);
    }
    CHECK_EQ_INT(floe_pq_dict_put_bytes(&d, (const uint8_t *)"v500", 4), 100); /* new again */
    floe_pq_dict_free(&d);

    floe_pq_dict_init(&d, FLOE_PQ_INT64, 0);
    for (uint64_t i = 0; i < 50; i++) CHECK_EQ_INT(floe_pq_dict_put_number(&d, i << 40), i);
    floe_pq_dict_truncate(&d, 10);
    CHECK_EQ_INT(floe_pq_dict_put_number(&d, (uint64_t)9 << 40), 9);
    CHECK_EQ_INT(floe_pq_dict_put_number(&d, (uint64_t)30 << 40), 10);
    CHECK_EQ_INT(d.plain.len, 11 * 8);
    floe_pq_dict_free(&d);
}

TEST(misuse_fails_the_record_not_the_file) {
    floe_pq_schema *s = flat_schema();
    mem_out m;
    floe_pq_writer *w = mem_writer(s, NULL, &m);
    floe_err err = {0};
    flat_row(w, 0);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);

    /* wrong type */
    flat_row(w, 1);
    floe_pq_write_i32(w, C_STR, 5, 1);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK(strstr(err.msg, "record 1") && strstr(err.msg, "column 's' is BYTE_ARRAY but got floe_pq_write_i32"));

    /* a column left out */
    for (int k = 0; k < NFLAT; k++)
        if (k != C_DOUBLE) floe_pq_write_null(w, k, 0, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "column 'b' is required but got a null")); /* the first problem wins */
    flat_row(w, 1);
    floe_pq_writer_abort_row(w);
    for (int k = 0; k < NFLAT; k++)
        if (k != C_DOUBLE) {
            if (k == C_BOOL) floe_pq_write_bool(w, k, 1, 0);
            else if (k == C_I64) floe_pq_write_i64(w, k, 1, 0);
            else if (k == C_UUID) floe_pq_write_bytes(w, k, "0123456789abcdef", 16, 0);
            else floe_pq_write_null(w, k, 0, 0);
        }
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "column 'd' got no value"));

    /* two record starts, a bad fixed length, a level out of range, a bad leaf */
    flat_row(w, 1);
    floe_pq_write_i64(w, C_I64, 3, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "column 'l' got a second value with repetition level 0"));
    floe_pq_write_bytes(w, C_UUID, "short", 5, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "of 16 bytes but got a value of 5 bytes"));
    floe_pq_write_i32(w, C_I32, 1, 1);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "column 'i' got repetition level 1, its maximum is 0"));
    floe_pq_write_null(w, C_I32, 1, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "null at definition level 1"));
    floe_pq_write_i32(w, 42, 1, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "floe_pq_write_i32: leaf 42 does not exist"));
    floe_pq_write_bytes(w, -1, "x", 1, 0);
    CHECK(floe_pq_writer_end_row(w, &err) == -1);
    CHECK(strstr(err.msg, "floe_pq_write_bytes: leaf -1 does not exist"));

    flat_row(w, 2);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    CHECK(floe_pq_writer_close(w, &err) == -1);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK_EQ_INT(f.fm.num_rows, 2);
    chunk_data c;
    CHECK_OK(decode_chunk(&f, s, 0, C_I64, &c), &err);
    CHECK_EQ_INT(c.nv, 2);
    CHECK_EQ_INT(ld64(val(&c, 1)), 2LL * 1000003 - 5000000000LL);
    chunk_free(&c);
    case_done(w, &m, &f, s);
}

TEST(write_callback_errors_propagate) {
    floe_pq_schema *s = flat_schema();
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    o.row_group_size = 2048;
    mem_out m;
    floe_err err = {0};
    memset(&m, 0, sizeof m);
    m.fail_at_call = 1;
    CHECK(floe_pq_writer_new(s, &o, mem_write, &m, &err) == NULL);
    CHECK(strstr(err.msg, "disk full on call 1"));

    memset(&m, 0, sizeof m);
    m.fail_at_call = 3;
    floe_pq_writer *w = floe_pq_writer_new(s, &o, mem_write, &m, &err);
    int failed_at = -1;
    for (int r = 0; r < 5000 && failed_at < 0; r++) {
        flat_row(w, r);
        if (floe_pq_writer_end_row(w, &err)) failed_at = r;
    }
    CHECK(failed_at > 0);
    CHECK_EQ_INT(err.code, FLOE_EIO);
    CHECK(strstr(err.msg, "disk full on call 3"));
    /* sticky: later calls say the same */
    flat_row(w, 0);
    memset(&err, 0, sizeof err);
    CHECK(floe_pq_writer_end_row(w, &err) == -1 && strstr(err.msg, "disk full"));
    memset(&err, 0, sizeof err);
    CHECK(floe_pq_writer_close(w, &err) == -1 && strstr(err.msg, "disk full"));
    floe_pq_writer_free(w);
    floe_buf_free(&m.buf);

    /* failing at the footer surfaces from close */
    memset(&m, 0, sizeof m);
    w = floe_pq_writer_new(s, NULL, mem_write, &m, &err);
    flat_row(w, 0);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    m.fail_at_call = m.calls + NFLAT + 1; /* after the one row group's chunks */
    CHECK(floe_pq_writer_close(w, &err) == -1 && strstr(err.msg, "disk full"));
    floe_pq_writer_free(w);
    floe_buf_free(&m.buf);

    /* bad options */
    floe_pq_writer_opts_default(&o);
    o.codec = FLOE_PQ_CODEC_LZO;
    CHECK(floe_pq_writer_new(s, &o, mem_write, &m, &err) == NULL);
    CHECK(strstr(err.msg, "LZO"));
    floe_pq_writer_opts_default(&o);
    o.page_size = 0;
    CHECK(floe_pq_writer_new(s, &o, mem_write, &m, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    floe_pq_schema_free(s);
}

TEST(open_file_writes_and_names_path_in_errors) {
    floe_pq_schema *s = flat_schema();
    floe_err err = {0};
    CHECK(floe_pq_writer_open_file(s, NULL, "/nonexistent-dir/x.parquet", &err) == NULL);
    CHECK(strstr(err.msg, "/nonexistent-dir/x.parquet") != NULL);
    CHECK_EQ_INT(err.code, FLOE_EIO);

    char path[] = "/tmp/floe_test_writer_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    floe_pq_writer *w = floe_pq_writer_open_file(s, NULL, path, &err);
    CHECK(w != NULL);
    for (int r = 0; r < 3000; r++) {
        flat_row(w, r);
        CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    }
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)size);
    CHECK(fread(data, 1, (size_t)size, fp) == (size_t)size);
    fclose(fp);
    CHECK_EQ_INT(size, floe_pq_writer_bytes(w));
    decoded f;
    CHECK(parse_file(data, (size_t)size, &f) == 0);
    check_flat_values(&f, s, 3000);

    /* the column reader sees the same values */
    floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(floe_pq_reader_num_rows(r), 3000);
        floe_pq_column_reader *cr = floe_pq_column_open(r, 0, C_STR, &err);
        CHECK(cr != NULL);
        floe_pq_batch b;
        size_t row = 0;
        int rc;
        while (cr && (rc = floe_pq_column_next(cr, 700, &b, &err)) == 1) {
            size_t vi = 0;
            for (size_t i = 0; i < b.n; i++, row++) {
                if (row % 4 == 2) {
                    CHECK_EQ_INT(b.def[i], 0);
                    continue;
                }
                char sb[32];
                int n = snprintf(sb, sizeof sb, "str-%d", (int)(row % 37));
                CHECK(b.v.bytes[vi].len == (uint32_t)n && memcmp(b.v.bytes[vi].ptr, sb, (size_t)n) == 0);
                vi++;
            }
            CHECK_EQ_INT(vi, b.nvalues);
        }
        CHECK_EQ_INT(row, 3000);
        floe_pq_column_free(cr);
        floe_pq_reader_free(r);
    }
    decoded_free(&f);
    free(data);
    floe_pq_writer_free(w);
    unlink(path);
    floe_pq_schema_free(s);
}

TEST(empty_file_and_unfinished_record) {
    floe_pq_schema *s = flat_schema();
    mem_out m;
    floe_err err = {0};
    floe_pq_writer *w = mem_writer(s, NULL, &m);
    flat_row(w, 0); /* never ended: not part of the file */
    CHECK(floe_pq_writer_stats(w, 0) == NULL); /* only after close */
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    decoded f;
    CHECK(parse_file(m.buf.data, m.buf.len, &f) == 0);
    CHECK_EQ_INT(f.fm.num_rows, 0);
    CHECK_EQ_INT(f.fm.nrow_groups, 0);
    CHECK_EQ_INT(f.fm.nschema, NFLAT + 1);
    int n = -1;
    floe_pq_writer_row_group_offsets(w, &n);
    CHECK_EQ_INT(n, 0);
    const floe_pq_stats *st = floe_pq_writer_stats(w, C_STR);
    CHECK(st && st->num_values == 0 && !st->has_min_max);
    case_done(w, &m, &f, s);

    floe_pq_schema *bare = floe_pq_schema_new("schema");
    CHECK_OK(floe_pq_schema_finish(bare, &err), &err);
    CHECK(floe_pq_writer_new(bare, NULL, mem_write, &m, &err) == NULL);
    CHECK(strstr(err.msg, "no leaf columns"));
    floe_pq_schema_free(bare);
}

TEST_MAIN(T(flat_every_type_every_codec), T(nested_levels_round_trip), T(many_pages_and_row_groups),
          T(dictionary_falls_back_when_too_large), T(dictionary_dropped_when_first_page_does_not_pay),
          T(delta_ints_without_dictionary), T(stats_unsigned_ints), T(stats_floats_nan_and_signed_zero),
          T(stats_decimal_is_signed), T(stats_truncation_binary_and_utf8), T(compare_orders),
          T(abort_row_discards_values_and_dictionary_entries), T(dictionary_truncate_restores_table),
          T(misuse_fails_the_record_not_the_file), T(write_callback_errors_propagate),
          T(open_file_writes_and_names_path_in_errors), T(empty_file_and_unfinished_record))
