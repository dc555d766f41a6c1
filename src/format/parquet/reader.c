/*
 * reader.c — opening a Parquet file: the magic bytes, the footer, the schema
 * tree, and the checks that make everything after trustworthy in shape (every
 * row group has one chunk per leaf of the leaf's physical type, no
 * encryption, no chunk stored in another file).  Also the footer accessors:
 * row counts, created_by, key-value metadata and per-chunk metadata with
 * statistics.
 *
 * File layout: "PAR1" <column chunks> <footer: thrift FileMetaData>
 * <footer length: 4 bytes LE> "PAR1".  Files whose footer is encrypted end in
 * "PARE" instead.  All I/O goes through the caller's positional-read
 * callback; floe_pq_reader_open_file supplies one over pread(2).
 *
 * A key-value entry without a value reads as "".  A reader and the column
 * and row readers opened on it share decompression contexts: use them from
 * one thread at a time.
 */
#include "format/parquet/reader_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/parquet/schema.h"

int floe_pq_reader_read(floe_pq_reader *r, uint64_t offset, void *buf, size_t len, floe_err *err) {
    if (offset > r->size || len > r->size - offset)
        return floe_err_set(err, FLOE_ECORRUPT, "read of %zu bytes at offset %llu runs past the end of the %llu-byte file",
                            len, (unsigned long long)offset, (unsigned long long)r->size);
    if (len == 0) return 0;
    return r->fn(r->ctx, offset, buf, len, err);
}

int floe_pq_reader_err_column(const floe_pq_reader *r, int rg, int leaf, floe_err *err) {
    char path[512];
    floe_pq_node_path(r->schema->leaves[leaf], path, sizeof path);
    return floe_err_prefix(err, "%s: row group %d, column '%s'", r->name, rg, path);
}

static int pread_all(void *ctx, uint64_t offset, void *buf, size_t len, floe_err *err) {
    floe_pq_reader *r = ctx;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t k = pread(r->fd, p, len, (off_t)offset);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return floe_err_set(err, FLOE_EIO, "read at offset %llu: %s", (unsigned long long)offset, strerror(errno));
        if (k == 0) return floe_err_set(err, FLOE_EIO, "file ends at offset %llu (truncated while open?)", (unsigned long long)offset);
        p += k;
        len -= (size_t)k;
        offset += (uint64_t)k;
    }
    return 0;
}

/* A thrift string as a NUL-terminated copy in the arena. */
static const char *slice_str(floe_arena *a, floe_slice s) { return floe_arena_strndup(a, (const char *)s.ptr, s.len); }

/* Prefixes err with the row group and column it concerns; returns -1. */
static int chunk_err(const floe_pq_reader *r, int g, int c, floe_err *err) {
    char path[512];
    floe_pq_node_path(r->schema->leaves[c], path, sizeof path);
    return floe_err_prefix(err, "row group %d, column '%s'", g, path);
}

/* The checks that let column readers index the schema by chunk position. */
static int check_row_groups(floe_pq_reader *r, floe_err *err) {
    const floe_pq_file_meta *m = &r->meta;
    const floe_pq_schema *s = r->schema;
    if (m->num_rows < 0) return floe_err_set(err, FLOE_ECORRUPT, "footer num_rows is negative (%lld)", (long long)m->num_rows);
    for (int g = 0; g < m->nrow_groups; g++) {
        const floe_pq_row_group *rg = &m->row_groups[g];
        if (rg->num_rows < 0)
            return floe_err_set(err, FLOE_ECORRUPT, "row group %d has negative num_rows %lld", g, (long long)rg->num_rows);
        if (rg->ncolumns != s->nleaves)
            return floe_err_set(err, FLOE_ECORRUPT, "row group %d has %d column chunks but the schema has %d columns", g,
                                rg->ncolumns, s->nleaves);
        for (int c = 0; c < rg->ncolumns; c++) {
            const floe_pq_column_chunk *cc = &rg->columns[c];
            const floe_pq_column_meta *cm = &cc->meta_data;
            if (cc->has_crypto_metadata || cc->has_encrypted_column_metadata)
                floe_err_set(err, FLOE_EUNSUPPORTED, "the chunk is encrypted: Parquet modular encryption is not supported");
            else if (cc->has_file_path)
                floe_err_set(err, FLOE_EUNSUPPORTED,
                             "the chunk is stored in another file ('%.*s'): external column chunks are not supported",
                             (int)(cc->file_path.len > 200 ? 200 : cc->file_path.len), (const char *)cc->file_path.ptr);
            else if (!cc->has_meta_data)
                floe_err_set(err, FLOE_ECORRUPT, "the chunk has no ColumnMetaData");
            else if (cm->type != s->leaves[c]->physical)
                floe_err_set(err, FLOE_ECORRUPT, "the chunk holds %s values but the schema says %s",
                             floe_pq_physical_name(cm->type), floe_pq_physical_name(s->leaves[c]->physical));
            else if (cm->num_values < 0)
                floe_err_set(err, FLOE_ECORRUPT, "the chunk has negative num_values %lld", (long long)cm->num_values);
            else
                continue;
            return chunk_err(r, g, c, err);
        }
    }
    return 0;
}

static int load_footer(floe_pq_reader *r, floe_err *err) {
    uint8_t head[4], tail[8];
    if (r->size < 12)
        return floe_err_set(err, FLOE_ECORRUPT, "file is %llu bytes, too small for Parquet (at least 12)",
                            (unsigned long long)r->size);
    if (floe_pq_reader_read(r, 0, head, 4, err) || floe_pq_reader_read(r, r->size - 8, tail, 8, err)) return -1;
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "encrypted footer (PARE): Parquet modular encryption is not supported");
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return floe_err_set(err, FLOE_ECORRUPT, "not a Parquet file: the last 4 bytes are not \"PAR1\"");
    if (memcmp(head, "PAR1", 4) != 0)
        return floe_err_set(err, FLOE_ECORRUPT, "not a Parquet file: the first 4 bytes are not \"PAR1\"");
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    if (flen > r->size - 12)
        return floe_err_set(err, FLOE_ECORRUPT, "footer length %u does not fit in the %llu-byte file", flen,
                            (unsigned long long)r->size);
    r->footer_start = r->size - 8 - flen;
    r->footer = floe_xmalloc(flen ? flen : 1);
    if (floe_pq_reader_read(r, r->footer_start, r->footer, flen, err)) return -1;
    if (floe_pq_meta_parse(r->footer, flen, &r->arena, &r->meta, err))
        return floe_err_prefix(err, "footer (%u bytes at offset %llu)", flen, (unsigned long long)r->footer_start);
    if (r->meta.has_encryption_algorithm)
        return floe_err_set(err, FLOE_EUNSUPPORTED,
                            "file declares an encryption algorithm: Parquet modular encryption is not supported");
    if (floe_pq_schema_from_elements(r->meta.schema, r->meta.nschema, &r->schema, err)) return -1;
    if (check_row_groups(r, err)) return -1;
    if (r->meta.has_created_by) r->created_by = slice_str(&r->arena, r->meta.created_by);
    int nkv = r->meta.nkv;
    r->keys = floe_arena_alloc(&r->arena, sizeof(char *) * (size_t)(nkv ? nkv : 1));
    r->values = floe_arena_alloc(&r->arena, sizeof(char *) * (size_t)(nkv ? nkv : 1));
    for (int i = 0; i < nkv; i++) {
        r->keys[i] = slice_str(&r->arena, r->meta.kv[i].key);
        r->values[i] = r->meta.kv[i].has_value ? slice_str(&r->arena, r->meta.kv[i].value) : "";
    }
    return 0;
}

static floe_pq_reader *open_common(floe_pq_read_fn fn, void *ctx, int fd, uint64_t size, const char *name, floe_err *err) {
    floe_pq_reader *r = floe_xcalloc(1, sizeof *r);
    r->fn = fn;
    r->ctx = fd >= 0 ? r : ctx; /* pread_all reads the reader's own descriptor */
    r->fd = fd;
    r->size = size;
    r->name = floe_xstrdup(name ? name : "parquet");
    floe_arena_init(&r->arena, 16384);
    r->codec = floe_codec_ctx_new();
    if (load_footer(r, err)) {
        floe_err_prefix(err, "%s", r->name);
        floe_pq_reader_free(r);
        return NULL;
    }
    return r;
}

floe_pq_reader *floe_pq_reader_open(floe_pq_read_fn fn, void *ctx, uint64_t size, const char *name, floe_err *err) {
    return open_common(fn, ctx, -1, size, name, err);
}

floe_pq_reader *floe_pq_reader_open_file(const char *path, floe_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    if (!ok || !S_ISREG(st.st_mode)) {
        floe_err_set(err, FLOE_EIO, "%s: %s", path, ok ? "not a regular file" : strerror(errno));
        close(fd);
        return NULL;
    }
    return open_common(pread_all, NULL, fd, (uint64_t)st.st_size, path, err);
}

void floe_pq_reader_free(floe_pq_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    floe_pq_schema_free(r->schema);
    floe_codec_ctx_free(r->codec);
    floe_arena_free(&r->arena);
    free(r->footer);
    free(r->name);
    free(r);
}

const floe_pq_schema *floe_pq_reader_schema(const floe_pq_reader *r) { return r->schema; }
int64_t floe_pq_reader_num_rows(const floe_pq_reader *r) { return r->meta.num_rows; }
int floe_pq_reader_num_row_groups(const floe_pq_reader *r) { return r->meta.nrow_groups; }

int64_t floe_pq_reader_row_group_rows(const floe_pq_reader *r, int rg) {
    return rg >= 0 && rg < r->meta.nrow_groups ? r->meta.row_groups[rg].num_rows : -1;
}

const char *floe_pq_reader_created_by(const floe_pq_reader *r) { return r->created_by; }

int floe_pq_reader_kv(const floe_pq_reader *r, const char *const **keys, const char *const **values) {
    if (keys) *keys = r->keys;
    if (values) *values = r->values;
    return r->meta.nkv;
}

const char *floe_pq_reader_kv_get(const floe_pq_reader *r, const char *key) {
    for (int i = 0; i < r->meta.nkv; i++)
        if (strcmp(r->keys[i], key) == 0) return r->values[i];
    return NULL;
}

/* ---- chunk metadata and statistics --------------------------------------- */

/* Whether the deprecated min/max (written in signed order by old writers)
 * agree with the column's defined order: only for types whose order is
 * signed. */
static int legacy_minmax_usable(const floe_pq_node *leaf) {
    if (leaf->logical.kind == FLOE_PQ_LT_INTEGER && !leaf->logical.is_signed) return 0;
    if (leaf->converted >= FLOE_PQ_CT_UINT_8 && leaf->converted <= FLOE_PQ_CT_UINT_64) return 0;
    switch (leaf->physical) {
    case FLOE_PQ_BOOLEAN: case FLOE_PQ_INT32: case FLOE_PQ_INT64: case FLOE_PQ_FLOAT: case FLOE_PQ_DOUBLE: return 1;
    default: return 0;
    }
}

static int is_nan_value(const floe_pq_node *leaf, floe_slice v) {
    if (leaf->physical == FLOE_PQ_FLOAT && v.len == 4) {
        float f;
        memcpy(&f, v.ptr, 4);
        return isnan(f);
    }
    if (leaf->physical == FLOE_PQ_DOUBLE && v.len == 8) {
        double d;
        memcpy(&d, v.ptr, 8);
        return isnan(d);
    }
    if (leaf->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY && leaf->logical.kind == FLOE_PQ_LT_FLOAT16 && v.len == 2) {
        unsigned h = (unsigned)v.ptr[0] | (unsigned)v.ptr[1] << 8;
        return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    }
    return 0;
}

int floe_pq_reader_chunk_info(const floe_pq_reader *r, int rg, int leaf, floe_pq_chunk_info *out) {
    memset(out, 0, sizeof *out);
    if (rg < 0 || rg >= r->meta.nrow_groups || leaf < 0 || leaf >= r->schema->nleaves) return -1;
    const floe_pq_column_meta *cm = &r->meta.row_groups[rg].columns[leaf].meta_data;
    const floe_pq_node *node = r->schema->leaves[leaf];
    out->codec = cm->codec;
    out->nencodings = cm->nencodings < 16 ? cm->nencodings : 16;
    for (int i = 0; i < out->nencodings; i++) out->encodings[i] = cm->encodings[i];
    out->num_values = cm->num_values;
    out->data_page_offset = cm->data_page_offset;
    out->dictionary_page_offset = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : -1;
    out->stats.num_values = cm->num_values;
    out->stats.compressed_size = cm->total_compressed_size;
    out->stats.uncompressed_size = cm->total_uncompressed_size;
    if (!cm->has_statistics) return 0;
    const floe_pq_statistics *st = &cm->statistics;
    out->has_null_count = st->has_null_count;
    out->stats.null_count = st->has_null_count ? st->null_count : 0;
    floe_slice mn, mx;
    int have = 0, exact_min = 1, exact_max = 1;
    if (st->has_min_value && st->has_max_value) {
        mn = st->min_value;
        mx = st->max_value;
        have = 1;
        /* Absent flags mean "unknown"; only byte arrays are ever truncated. */
        int bytes = node->physical == FLOE_PQ_BYTE_ARRAY || node->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY;
        exact_min = st->has_is_min_value_exact ? st->is_min_value_exact : !bytes;
        exact_max = st->has_is_max_value_exact ? st->is_max_value_exact : !bytes;
    } else if (st->has_min && st->has_max && legacy_minmax_usable(node)) {
        mn = st->min;
        mx = st->max;
        have = 1;
    }
    /* Old writers put NaN in bounds; such bounds prove nothing. */
    if (have && !is_nan_value(node, mn) && !is_nan_value(node, mx)) {
        out->stats.has_min_max = 1;
        out->stats.min = (uint8_t *)mn.ptr;
        out->stats.min_len = mn.len;
        out->stats.max = (uint8_t *)mx.ptr;
        out->stats.max_len = mx.len;
        out->stats.min_exact = exact_min;
        out->stats.max_exact = exact_max;
    }
    return 0;
}
