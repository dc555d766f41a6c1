/*
 * parquet.h — floe's Parquet engine: a schema model, a streaming writer and
 * a reader.  Knows nothing of Iceberg: the Iceberg layer maps its types onto
 * this model (field ids included).
 *
 * Schema model
 *   A schema is a tree of floe_pq_node: groups (struct, list, map wrappers)
 *   and leaves (primitive columns).  Build it with floe_pq_schema_new /
 *   floe_pq_node_group / floe_pq_node_leaf, then floe_pq_schema_finish, which
 *   validates it and fills each node's max definition and repetition levels
 *   and each leaf's column index.  Reading a file yields the same model.
 *
 * Writer
 *   Shredded input: the caller (the NDJSON scanner, compaction, ...) walks
 *   its records and calls, per leaf column, floe_pq_write_<type>(w, leaf,
 *   value, rep) for a present value (its definition level is the leaf's
 *   max_def) or floe_pq_write_null(w, leaf, def, rep) for a value absent at
 *   definition level `def`, then floe_pq_writer_end_row() after each record.
 *   Rows are cut into pages at opts.page_size and into row groups at
 *   opts.row_group_size; memory is bounded by one row group's compressed
 *   pages plus dictionaries, never by the file.
 *
 * Reader
 *   Opens a file through a positional-read callback (or a path), exposes the
 *   footer, and reads either leaf columns as (def, rep, value) batches or
 *   whole rows rendered as JSON objects (the NDJSON forms documented in
 *   docs/ndjson.md).
 */
#ifndef FLOE_PARQUET_H
#define FLOE_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct floe_err;
struct floe_buf;

/* ---- Enumerations (values are the Parquet thrift values) ---------------- */

typedef enum {
    FLOE_PQ_BOOLEAN = 0,
    FLOE_PQ_INT32 = 1,
    FLOE_PQ_INT64 = 2,
    FLOE_PQ_INT96 = 3,
    FLOE_PQ_FLOAT = 4,
    FLOE_PQ_DOUBLE = 5,
    FLOE_PQ_BYTE_ARRAY = 6,
    FLOE_PQ_FIXED_LEN_BYTE_ARRAY = 7
} floe_pq_physical;

typedef enum { FLOE_PQ_REQUIRED = 0, FLOE_PQ_OPTIONAL = 1, FLOE_PQ_REPEATED = 2 } floe_pq_repetition;

/* ConvertedType (legacy annotations); -1 when absent. */
typedef enum {
    FLOE_PQ_CT_NONE = -1,
    FLOE_PQ_CT_UTF8 = 0, FLOE_PQ_CT_MAP = 1, FLOE_PQ_CT_MAP_KEY_VALUE = 2, FLOE_PQ_CT_LIST = 3,
    FLOE_PQ_CT_ENUM = 4, FLOE_PQ_CT_DECIMAL = 5, FLOE_PQ_CT_DATE = 6, FLOE_PQ_CT_TIME_MILLIS = 7,
    FLOE_PQ_CT_TIME_MICROS = 8, FLOE_PQ_CT_TIMESTAMP_MILLIS = 9, FLOE_PQ_CT_TIMESTAMP_MICROS = 10,
    FLOE_PQ_CT_UINT_8 = 11, FLOE_PQ_CT_UINT_16 = 12, FLOE_PQ_CT_UINT_32 = 13, FLOE_PQ_CT_UINT_64 = 14,
    FLOE_PQ_CT_INT_8 = 15, FLOE_PQ_CT_INT_16 = 16, FLOE_PQ_CT_INT_32 = 17, FLOE_PQ_CT_INT_64 = 18,
    FLOE_PQ_CT_JSON = 19, FLOE_PQ_CT_BSON = 20, FLOE_PQ_CT_INTERVAL = 21
} floe_pq_converted;

/* LogicalType union member ids; FLOE_PQ_LT_NONE when absent. */
typedef enum {
    FLOE_PQ_LT_NONE = 0,
    FLOE_PQ_LT_STRING = 1, FLOE_PQ_LT_MAP = 2, FLOE_PQ_LT_LIST = 3, FLOE_PQ_LT_ENUM = 4,
    FLOE_PQ_LT_DECIMAL = 5, FLOE_PQ_LT_DATE = 6, FLOE_PQ_LT_TIME = 7, FLOE_PQ_LT_TIMESTAMP = 8,
    FLOE_PQ_LT_INTEGER = 10, FLOE_PQ_LT_UNKNOWN = 11, FLOE_PQ_LT_JSON = 12, FLOE_PQ_LT_BSON = 13,
    FLOE_PQ_LT_UUID = 14, FLOE_PQ_LT_FLOAT16 = 15, FLOE_PQ_LT_VARIANT = 16,
    FLOE_PQ_LT_GEOMETRY = 17, FLOE_PQ_LT_GEOGRAPHY = 18
} floe_pq_logical_kind;

typedef enum { FLOE_PQ_UNIT_MILLIS = 1, FLOE_PQ_UNIT_MICROS = 2, FLOE_PQ_UNIT_NANOS = 3 } floe_pq_time_unit;

typedef struct floe_pq_logical {
    int kind;           /* floe_pq_logical_kind */
    int32_t precision;  /* DECIMAL */
    int32_t scale;      /* DECIMAL */
    int unit;           /* TIME, TIMESTAMP: floe_pq_time_unit */
    int utc;            /* TIME, TIMESTAMP: isAdjustedToUTC */
    int bit_width;      /* INTEGER: 8, 16, 32, 64 */
    int is_signed;      /* INTEGER */
} floe_pq_logical;

typedef enum {
    FLOE_PQ_ENC_PLAIN = 0, FLOE_PQ_ENC_PLAIN_DICTIONARY = 2, FLOE_PQ_ENC_RLE = 3,
    FLOE_PQ_ENC_BIT_PACKED = 4, FLOE_PQ_ENC_DELTA_BINARY_PACKED = 5,
    FLOE_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6, FLOE_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    FLOE_PQ_ENC_RLE_DICTIONARY = 8, FLOE_PQ_ENC_BYTE_STREAM_SPLIT = 9
} floe_pq_encoding;

typedef enum {
    FLOE_PQ_CODEC_UNCOMPRESSED = 0, FLOE_PQ_CODEC_SNAPPY = 1, FLOE_PQ_CODEC_GZIP = 2,
    FLOE_PQ_CODEC_LZO = 3, FLOE_PQ_CODEC_BROTLI = 4, FLOE_PQ_CODEC_LZ4 = 5,
    FLOE_PQ_CODEC_ZSTD = 6, FLOE_PQ_CODEC_LZ4_RAW = 7
} floe_pq_codec;

const char *floe_pq_physical_name(int physical);
const char *floe_pq_encoding_name(int encoding);
const char *floe_pq_codec_name(int codec);
/* Parses "zstd", "snappy", "gzip", "lz4_raw", "uncompressed" (also "none",
 * "brotli", "lz4"); returns the codec or -1. */
int floe_pq_codec_parse(const char *name);

/* ---- Schema -------------------------------------------------------------- */

typedef struct floe_pq_node floe_pq_node;
struct floe_pq_node {
    char *name;
    int repetition;        /* floe_pq_repetition */
    int is_group;
    int physical;          /* leaves: floe_pq_physical */
    int32_t type_length;   /* FIXED_LEN_BYTE_ARRAY width */
    int converted;         /* floe_pq_converted, FLOE_PQ_CT_NONE if absent */
    floe_pq_logical logical;
    int32_t precision, scale; /* legacy DECIMAL fields (mirrors logical when set) */
    int has_field_id;
    int32_t field_id;
    floe_pq_node **children;
    int nchildren;
    floe_pq_node *parent;
    /* Filled by floe_pq_schema_finish: */
    int max_def, max_rep;  /* levels of this node (a leaf's are its column's) */
    int leaf_index;        /* column index for leaves, -1 for groups */
    int first_leaf, nleaves; /* the leaves below this node are [first_leaf, first_leaf+nleaves) */
};

typedef struct floe_pq_schema {
    floe_pq_node *root;    /* a REQUIRED group named "schema" (or as read) */
    floe_pq_node **leaves; /* in column order */
    int nleaves;
} floe_pq_schema;

floe_pq_schema *floe_pq_schema_new(const char *root_name);
/* Adds a group child; field_id < 0 means none. */
floe_pq_node *floe_pq_node_group(floe_pq_node *parent, const char *name, int repetition, int32_t field_id);
/* Adds a leaf child with a physical type; set converted/logical/type_length after. */
floe_pq_node *floe_pq_node_leaf(floe_pq_node *parent, const char *name, int repetition,
                                int physical, int32_t field_id);
/* Validates and computes levels and leaf indexes.  Call after building. */
int floe_pq_schema_finish(floe_pq_schema *s, struct floe_err *err);
void floe_pq_schema_free(floe_pq_schema *s);
/* The leaf whose field id is `id`, or NULL. */
const floe_pq_node *floe_pq_schema_leaf_by_id(const floe_pq_schema *s, int32_t id);
/* The node at a dotted path of names ("tags.a"), or NULL. */
const floe_pq_node *floe_pq_schema_find(const floe_pq_schema *s, const char *dotted);

/* ---- Statistics (writer results and reader metadata) --------------------- */

/* Min/max are in Parquet's PLAIN form for the physical type (little-endian
 * ints/floats, raw bytes for BYTE_ARRAY and FIXED), compared in the order the
 * column's logical type defines.  Long byte-array bounds are truncated:
 * min to a prefix, max to a prefix rounded up; *_exact says whether they are. */
typedef struct floe_pq_stats {
    int64_t num_values;    /* level entries, nulls included */
    int64_t null_count;
    int64_t nan_count;     /* FLOAT/DOUBLE only */
    int has_min_max;       /* 0 when every value was null or NaN */
    uint8_t *min, *max;    /* owned by whoever returned the struct */
    uint32_t min_len, max_len;
    int min_exact, max_exact;
    int64_t compressed_size;   /* column chunk bytes in the file */
    int64_t uncompressed_size;
} floe_pq_stats;

/* Compares two PLAIN-encoded values of `leaf` in its defined sort order:
 * <0, 0, >0. */
int floe_pq_compare(const floe_pq_node *leaf, const uint8_t *a, uint32_t alen,
                    const uint8_t *b, uint32_t blen);

/* Appends one PLAIN-encoded value of `leaf` as a JSON value in the NDJSON
 * forms of the leaf's type: numbers for integers and floats ("NaN",
 * "Infinity", "-Infinity" as strings), strings for decimals ("14.20"),
 * dates, times and timestamps (ISO-8601, "+00:00" when adjusted to UTC),
 * UUIDs and text, base64 strings for other bytes.  Returns -1, appending
 * nothing, when `len` does not fit the physical type. */
int floe_pq_format_value(const floe_pq_node *leaf, const uint8_t *plain, uint32_t len,
                         struct floe_buf *out);

/* ---- Writer -------------------------------------------------------------- */

typedef int (*floe_pq_write_fn)(void *ctx, const void *data, size_t len, struct floe_err *err);

typedef struct floe_pq_writer_opts {
    int codec;               /* floe_pq_codec; default ZSTD */
    int level;               /* codec level; 0 = floe's default (zstd 1, see codec.c) */
    size_t page_size;        /* target uncompressed data page bytes; default 1 MiB */
    size_t page_row_limit;   /* max level entries per page; default 20000 */
    size_t row_group_size;   /* target row group bytes (compressed); default 128 MiB */
    size_t dict_size_limit;  /* dictionary bytes before falling back to PLAIN; default 1 MiB */
    int dictionary;          /* 1 (default) to try dictionary encoding */
    int delta_ints;          /* 1 to use DELTA_BINARY_PACKED for non-dictionary ints */
    size_t stats_truncate;   /* bytes kept of byte-array min/max; default 64 */
    const char *created_by;  /* default "floe version X (build Y)" */
    /* NULL (default): pages are encoded and compressed inside the write
     * calls.  Otherwise full pages are handed to this encoder's thread,
     * which encodes and compresses them while the caller goes on writing
     * records; the file's bytes are the same either way. */
    struct floe_pq_encoder *encoder;
} floe_pq_writer_opts;

/* A background page encoder: one thread that encodes and compresses the
 * full pages of the writers given it in their opts, in the order each
 * writer cut them.  Writers may share one; each still has one caller
 * thread.  Free it after every writer that uses it. */
typedef struct floe_pq_encoder floe_pq_encoder;
floe_pq_encoder *floe_pq_encoder_new(struct floe_err *err);
void floe_pq_encoder_free(floe_pq_encoder *e);

void floe_pq_writer_opts_default(floe_pq_writer_opts *o);

typedef struct floe_pq_writer floe_pq_writer;

/* The writer borrows `schema` (it must outlive the writer) and writes through
 * fn(ctx, ...).  Writes "PAR1" at once. */
floe_pq_writer *floe_pq_writer_new(const floe_pq_schema *schema, const floe_pq_writer_opts *opts,
                                   floe_pq_write_fn fn, void *ctx, struct floe_err *err);
/* Convenience: a writer onto a local file (created/truncated). */
floe_pq_writer *floe_pq_writer_open_file(const floe_pq_schema *schema, const floe_pq_writer_opts *opts,
                                         const char *path, struct floe_err *err);

void floe_pq_write_null(floe_pq_writer *w, int leaf, int def, int rep);
void floe_pq_write_bool(floe_pq_writer *w, int leaf, int v, int rep);
void floe_pq_write_i32(floe_pq_writer *w, int leaf, int32_t v, int rep);
void floe_pq_write_i64(floe_pq_writer *w, int leaf, int64_t v, int rep);
void floe_pq_write_float(floe_pq_writer *w, int leaf, float v, int rep);
void floe_pq_write_double(floe_pq_writer *w, int leaf, double v, int rep);
/* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (len must equal type_length) and INT96 (len 12). */
void floe_pq_write_bytes(floe_pq_writer *w, int leaf, const void *p, uint32_t len, int rep);

/* Marks the end of a record; may flush pages or a row group. */
int floe_pq_writer_end_row(floe_pq_writer *w, struct floe_err *err);
/* Discards the values written since the last end_row (a record that failed
 * half-way through shredding). */
void floe_pq_writer_abort_row(floe_pq_writer *w);
/* Adds footer key-value metadata (copied). */
void floe_pq_writer_add_kv(floe_pq_writer *w, const char *key, const char *value);
/* Flushes everything and writes the footer. */
int floe_pq_writer_close(floe_pq_writer *w, struct floe_err *err);
int64_t floe_pq_writer_rows(const floe_pq_writer *w);
/* Bytes handed to the write callback so far (the file size after close). */
int64_t floe_pq_writer_bytes(const floe_pq_writer *w);
/* Estimated bytes the open file will have if closed now (for rolling). */
int64_t floe_pq_writer_estimated_size(const floe_pq_writer *w);
/* Bytes of memory held by buffered pages and dictionaries. */
size_t floe_pq_writer_memory(const floe_pq_writer *w);
/* File-level statistics of a leaf, valid after close; borrowed. */
const floe_pq_stats *floe_pq_writer_stats(const floe_pq_writer *w, int leaf);
/* Offsets of the row groups (Iceberg's split_offsets), valid after close. */
const int64_t *floe_pq_writer_row_group_offsets(const floe_pq_writer *w, int *count);
void floe_pq_writer_free(floe_pq_writer *w);

/* ---- Reader -------------------------------------------------------------- */

typedef int (*floe_pq_read_fn)(void *ctx, uint64_t offset, void *buf, size_t len, struct floe_err *err);

typedef struct floe_pq_reader floe_pq_reader;

/* `name` is used in error messages (a path). */
floe_pq_reader *floe_pq_reader_open(floe_pq_read_fn fn, void *ctx, uint64_t size, const char *name,
                                    struct floe_err *err);
floe_pq_reader *floe_pq_reader_open_file(const char *path, struct floe_err *err);
void floe_pq_reader_free(floe_pq_reader *r);

const floe_pq_schema *floe_pq_reader_schema(const floe_pq_reader *r);
int64_t floe_pq_reader_num_rows(const floe_pq_reader *r);
int floe_pq_reader_num_row_groups(const floe_pq_reader *r);
int64_t floe_pq_reader_row_group_rows(const floe_pq_reader *r, int rg);
const char *floe_pq_reader_created_by(const floe_pq_reader *r);
/* Footer key-value metadata; returns the count, fills keys and values (borrowed). */
int floe_pq_reader_kv(const floe_pq_reader *r, const char *const **keys, const char *const **values);
/* The value of footer key `key`, or NULL. */
const char *floe_pq_reader_kv_get(const floe_pq_reader *r, const char *key);

/* Column chunk metadata of (row group, leaf). */
typedef struct floe_pq_chunk_info {
    int codec;
    int nencodings;
    int encodings[16];
    int64_t num_values;
    int64_t data_page_offset, dictionary_page_offset; /* -1 when absent */
    floe_pq_stats stats;  /* min/max borrowed from the footer; has_min_max 0 if absent */
    int has_null_count;
} floe_pq_chunk_info;
int floe_pq_reader_chunk_info(const floe_pq_reader *r, int rg, int leaf, floe_pq_chunk_info *out);

/* Leaf column batches.  Values are dense: only entries with def == max_def
 * have a value, in order.  Byte arrays are (ptr,len) pairs valid until the
 * next call. */
typedef struct floe_pq_bytes { const uint8_t *ptr; uint32_t len; } floe_pq_bytes;
typedef struct floe_pq_batch {
    size_t n;              /* level entries in this batch */
    size_t nvalues;        /* values (entries at max_def) */
    const int16_t *def;    /* NULL when max_def == 0 */
    const int16_t *rep;    /* NULL when max_rep == 0 */
    int physical;
    union {
        const uint8_t *b;       /* BOOLEAN: one byte per value, 0 or 1 */
        const int32_t *i32;
        const int64_t *i64;
        const float *f32;
        const double *f64;
        const floe_pq_bytes *bytes; /* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 */
    } v;
} floe_pq_batch;

typedef struct floe_pq_column_reader floe_pq_column_reader;
floe_pq_column_reader *floe_pq_column_open(floe_pq_reader *r, int rg, int leaf, struct floe_err *err);
/* Reads up to `max` level entries; returns 1 with a batch, 0 at the end of
 * the chunk, -1 on error. */
int floe_pq_column_next(floe_pq_column_reader *c, size_t max, floe_pq_batch *out, struct floe_err *err);
void floe_pq_column_free(floe_pq_column_reader *c);

/* Row-wise reading as JSON objects (docs/ndjson.md).  `leaves` selects
 * columns (NULL = all); a group is emitted when any leaf under it is. */
typedef struct floe_pq_row_reader floe_pq_row_reader;
floe_pq_row_reader *floe_pq_rows_open(floe_pq_reader *r, const int *leaves, int nleaves,
                                      struct floe_err *err);
/* Skips row groups whose statistics prove no row can match.  `keep` is
 * called per row group with its chunk infos; return 0 to skip. */
typedef int (*floe_pq_rg_filter_fn)(void *ctx, const floe_pq_reader *r, int rg);
void floe_pq_rows_set_filter(floe_pq_row_reader *rr, floe_pq_rg_filter_fn fn, void *ctx);
/* Appends one row as a JSON object (no newline) to *out (a floe_buf*).
 * Returns 1 for a row, 0 at the end, -1 on error. */
int floe_pq_rows_next_json(floe_pq_row_reader *rr, struct floe_buf *out, struct floe_err *err);

/* Shaped rows, for readers that map a file's columns onto another schema
 * (an Iceberg scan matches them by field id): for each group rendered as a
 * JSON object (the root first), `fn` may name the object's members in
 * output order, each one of the group's children rendered under the
 * member's name, or no child (-1, or a child with no selected leaf, or one
 * named before) rendered as null.  It returns the count and points
 * *members at them (read during the call), or returns -1 to keep the
 * group's own children and names.  Children with selected leaves that no
 * member names are read but not rendered. */
typedef struct floe_pq_member {
    const char *name;
    int child;           /* index into group->children, or -1 */
} floe_pq_member;
typedef int (*floe_pq_shape_fn)(void *ctx, const floe_pq_node *group, const floe_pq_member **members);
floe_pq_row_reader *floe_pq_rows_open_shaped(floe_pq_reader *r, const int *leaves, int nleaves,
                                             floe_pq_shape_fn fn, void *ctx, struct floe_err *err);
/* Moves to the next row without consuming it: 1 when there is one, 0 at
 * the end, -1 on error.  Until the row is consumed (next_json or skip),
 * floe_pq_rows_index gives its position in the file (counting the rows of
 * row groups the filter skipped) and floe_pq_rows_peek the values of its
 * selected leaves that are not repeated. */
int floe_pq_rows_peek_row(floe_pq_row_reader *rr, struct floe_err *err);
int64_t floe_pq_rows_index(const floe_pq_row_reader *rr);
/* A leaf's value in the current row: null, or its PLAIN bytes (numbers
 * little-endian, booleans one byte 0 or 1), valid until the row is
 * consumed.  -1 when no row is current or the leaf is not selected or is
 * repeated. */
typedef struct floe_pq_value {
    int is_null;
    const uint8_t *plain;
    uint32_t len;
} floe_pq_value;
int floe_pq_rows_peek(const floe_pq_row_reader *rr, int leaf, floe_pq_value *out);
/* Consumes the next row without rendering it: 1, 0 at the end, -1 on error. */
int floe_pq_rows_skip(floe_pq_row_reader *rr, struct floe_err *err);
void floe_pq_rows_free(floe_pq_row_reader *rr);

#ifdef __cplusplus
}
#endif

#endif
