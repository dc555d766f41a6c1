/*
 * meta.h — Parquet's thrift metadata (parquet.thrift) as C structs, and their
 * compact-protocol encoding and decoding.
 *
 * Only the fields floe reads or writes are modelled; unknown fields are
 * skipped on read.  Parsed structures live in a floe_arena owned by the
 * caller; byte strings (floe_slice) point into the input buffer, which the
 * caller keeps alive as long as the parsed structure.
 *
 * Optional thrift fields carry a has_* flag.  Enum values are the thrift
 * values (floe_pq_physical, floe_pq_encoding, floe_pq_codec, ...).
 */
#ifndef FLOE_PARQUET_META_H
#define FLOE_PARQUET_META_H

#include "floe/parquet.h"
#include "util/err.h"
#include "util/mem.h"

typedef struct floe_slice {
    const uint8_t *ptr;
    uint32_t len;
} floe_slice;

typedef enum {
    FLOE_PQ_PAGE_DATA = 0, FLOE_PQ_PAGE_INDEX = 1, FLOE_PQ_PAGE_DICTIONARY = 2, FLOE_PQ_PAGE_DATA_V2 = 3
} floe_pq_page_type;

typedef struct floe_pq_statistics {   /* thrift Statistics */
    int has_max, has_min;             /* 1: max, 2: min (deprecated, signed order) */
    floe_slice max, min;
    int has_null_count;               /* 3 */
    int64_t null_count;
    int has_distinct_count;           /* 4 */
    int64_t distinct_count;
    int has_max_value, has_min_value; /* 5: max_value, 6: min_value */
    floe_slice max_value, min_value;
    int has_is_max_value_exact, has_is_min_value_exact; /* 7, 8 */
    int is_max_value_exact, is_min_value_exact;
} floe_pq_statistics;

typedef struct floe_pq_kv {          /* thrift KeyValue */
    floe_slice key;                   /* 1 */
    int has_value;
    floe_slice value;                 /* 2 */
} floe_pq_kv;

typedef struct floe_pq_schema_element { /* thrift SchemaElement */
    int has_type; int32_t type;             /* 1 */
    int has_type_length; int32_t type_length; /* 2 */
    int has_repetition; int32_t repetition;   /* 3 */
    floe_slice name;                         /* 4 */
    int has_num_children; int32_t num_children; /* 5 */
    int has_converted; int32_t converted;   /* 6 */
    int has_scale; int32_t scale;           /* 7 */
    int has_precision; int32_t precision;   /* 8 */
    int has_field_id; int32_t field_id;     /* 9 */
    floe_pq_logical logical;                /* 10; kind FLOE_PQ_LT_NONE if absent */
} floe_pq_schema_element;

typedef struct floe_pq_page_encoding_stats { /* thrift PageEncodingStats */
    int32_t page_type, encoding, count;
} floe_pq_page_encoding_stats;

typedef struct floe_pq_column_meta {   /* thrift ColumnMetaData */
    int32_t type;                       /* 1 */
    int32_t *encodings; int nencodings; /* 2 */
    floe_slice *path; int npath;        /* 3 path_in_schema */
    int32_t codec;                      /* 4 */
    int64_t num_values;                 /* 5 */
    int64_t total_uncompressed_size;    /* 6 */
    int64_t total_compressed_size;      /* 7 */
    floe_pq_kv *kv; int nkv;            /* 8 */
    int64_t data_page_offset;           /* 9 */
    int has_index_page_offset; int64_t index_page_offset;           /* 10 */
    int has_dictionary_page_offset; int64_t dictionary_page_offset; /* 11 */
    int has_statistics; floe_pq_statistics statistics;              /* 12 */
    floe_pq_page_encoding_stats *encoding_stats; int nencoding_stats; /* 13 */
    int has_bloom_filter_offset; int64_t bloom_filter_offset;       /* 14 */
    int has_bloom_filter_length; int32_t bloom_filter_length;       /* 15 */
} floe_pq_column_meta;

typedef struct floe_pq_column_chunk {  /* thrift ColumnChunk */
    int has_file_path; floe_slice file_path;  /* 1 */
    int64_t file_offset;                      /* 2 */
    int has_meta_data; floe_pq_column_meta meta_data; /* 3 */
    int has_offset_index; int64_t offset_index_offset; int32_t offset_index_length; /* 4, 5 */
    int has_column_index; int64_t column_index_offset; int32_t column_index_length; /* 6, 7 */
    int has_crypto_metadata;                  /* 8 (content not modelled) */
    int has_encrypted_column_metadata;        /* 9 */
} floe_pq_column_chunk;

typedef struct floe_pq_sorting_column { int32_t column_idx; int descending, nulls_first; } floe_pq_sorting_column;

typedef struct floe_pq_row_group {     /* thrift RowGroup */
    floe_pq_column_chunk *columns; int ncolumns;  /* 1 */
    int64_t total_byte_size;                      /* 2 */
    int64_t num_rows;                             /* 3 */
    floe_pq_sorting_column *sorting; int nsorting; /* 4 */
    int has_file_offset; int64_t file_offset;     /* 5 */
    int has_total_compressed_size; int64_t total_compressed_size; /* 6 */
    int has_ordinal; int16_t ordinal;             /* 7 */
} floe_pq_row_group;

typedef struct floe_pq_file_meta {     /* thrift FileMetaData */
    int32_t version;                              /* 1 */
    floe_pq_schema_element *schema; int nschema;  /* 2 */
    int64_t num_rows;                             /* 3 */
    floe_pq_row_group *row_groups; int nrow_groups; /* 4 */
    floe_pq_kv *kv; int nkv;                      /* 5 */
    int has_created_by; floe_slice created_by;    /* 6 */
    int ncolumn_orders;                           /* 7: count of TYPE_ORDER entries */
    int32_t *column_orders;                       /*    1 = TYPE_ORDER, 0 = unknown member */
    int has_encryption_algorithm;                 /* 8 (content not modelled) */
    int has_footer_signing_key_metadata;          /* 9 */
} floe_pq_file_meta;

typedef struct floe_pq_page_header {  /* thrift PageHeader + the three page kinds */
    int32_t type;                     /* 1 floe_pq_page_type */
    int32_t uncompressed_page_size;   /* 2 */
    int32_t compressed_page_size;     /* 3 */
    int has_crc; int32_t crc;         /* 4 */
    /* 5 DataPageHeader */
    int has_data;
    struct {
        int32_t num_values, encoding, definition_level_encoding, repetition_level_encoding;
        int has_statistics; floe_pq_statistics statistics;
    } data;
    /* 7 DictionaryPageHeader */
    int has_dict;
    struct { int32_t num_values, encoding; int has_is_sorted; int is_sorted; } dict;
    /* 8 DataPageHeaderV2 */
    int has_data_v2;
    struct {
        int32_t num_values, num_nulls, num_rows, encoding;
        int32_t definition_levels_byte_length, repetition_levels_byte_length;
        int is_compressed;            /* default 1 when absent */
        int has_statistics; floe_pq_statistics statistics;
    } data_v2;
} floe_pq_page_header;

/* Parses a FileMetaData from buf[0..len).  Arrays go in *arena; slices point
 * into buf.  Errors name the struct and field that is malformed. */
int floe_pq_meta_parse(const uint8_t *buf, size_t len, floe_arena *arena, floe_pq_file_meta *out,
                       floe_err *err);
/* Appends the compact encoding of *m to out. */
void floe_pq_meta_write(const floe_pq_file_meta *m, floe_buf *out);

/* Parses a PageHeader at buf[0..len); *consumed gets its encoded size.
 * Statistics slices point into buf. */
int floe_pq_page_header_parse(const uint8_t *buf, size_t len, floe_pq_page_header *out,
                              size_t *consumed, floe_err *err);
void floe_pq_page_header_write(const floe_pq_page_header *h, floe_buf *out);

#endif
