/*
 * stats.h — column statistics for the writer: the sort order a leaf's
 * logical type defines, min/max over a page's values, merging into chunk
 * and file totals, and the truncation of long byte-array bounds.
 *
 * Values are handled in their PLAIN form (little-endian numbers, raw bytes
 * for byte arrays), which is also what Statistics.min_value/max_value hold.
 */
#ifndef FLOE_PARQUET_STATS_H
#define FLOE_PARQUET_STATS_H

#include "format/parquet/dict.h"
#include "floe/parquet.h"
#include "util/mem.h"

/* Sort orders (parquet-format LogicalTypes.md, "Sort Order"). */
typedef enum {
    FLOE_PQ_ORD_NONE = 0, /* undefined (INT96, INTERVAL, FLOAT16, ...): no min/max */
    FLOE_PQ_ORD_BOOL,
    FLOE_PQ_ORD_S32,
    FLOE_PQ_ORD_U32,
    FLOE_PQ_ORD_S64,
    FLOE_PQ_ORD_U64,
    FLOE_PQ_ORD_FLOAT,
    FLOE_PQ_ORD_DOUBLE,
    FLOE_PQ_ORD_BYTES,  /* unsigned lexicographic */
    FLOE_PQ_ORD_DECIMAL /* signed two's-complement big-endian */
} floe_pq_order;

int floe_pq_sort_order(const floe_pq_node *leaf);
/* 1 when the deprecated Statistics.min/max (signed legacy order) agree with
 * the order, so writing them is correct. */
int floe_pq_order_legacy_ok(int order);
int floe_pq_order_compare(int order, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen);

/* Min/max of one page.  min/max point either into the page's data or into
 * min_buf/max_buf (numbers), so the struct must not be copied while used. */
typedef struct floe_pq_page_minmax {
    int has;
    const uint8_t *min, *max;
    uint32_t min_len, max_len;
    uint8_t min_buf[8], max_buf[8];
    int64_t nan_count;
} floe_pq_page_minmax;

/* Fixed-width values: base[i * width] for i < n, or base[ids[i] * width]
 * when ids is not NULL.  BOOLEAN passes its values as bytes 0/1 (width 1,
 * ids NULL). */
void floe_pq_minmax_fixed(int order, const uint8_t *base, size_t width, const uint32_t *ids, size_t n,
                          floe_pq_page_minmax *out);
/* n BYTE_ARRAY values in PLAIN form (4-byte length, bytes). */
void floe_pq_minmax_plain_bytes(int order, const uint8_t *p, size_t n, floe_pq_page_minmax *out);
/* Dictionary byte strings: entries ids[0..n). */
void floe_pq_minmax_dict_bytes(int order, const floe_pq_dict *d, const uint32_t *ids, size_t n,
                               floe_pq_page_minmax *out);

/* Running min/max (untruncated copies) over pages, chunks or a file. */
typedef struct floe_pq_minmax_acc {
    int has;
    floe_buf min, max;
} floe_pq_minmax_acc;

void floe_pq_acc_merge(floe_pq_minmax_acc *a, int order, const uint8_t *min, uint32_t min_len, const uint8_t *max,
                       uint32_t max_len);
void floe_pq_acc_reset(floe_pq_minmax_acc *a);
void floe_pq_acc_free(floe_pq_minmax_acc *a);

/* Bounds as written: possibly truncated.  min points into the value given;
 * max into the value or into *scratch.  has_max is 0 when no truncated
 * upper bound exists (a prefix of only 0xFF bytes / U+10FFFF). */
typedef struct floe_pq_bounds {
    const uint8_t *min, *max;
    uint32_t min_len, max_len;
    int has_max;
    int min_exact, max_exact;
} floe_pq_bounds;

/* Truncates min and max to `limit` bytes when `truncate` (BYTE_ARRAY columns
 * without a DECIMAL order); `utf8` cuts at character boundaries and
 * increments a code point rather than a byte. */
void floe_pq_bounds_make(const uint8_t *min, uint32_t min_len, const uint8_t *max, uint32_t max_len, int truncate,
                         int utf8, size_t limit, floe_buf *scratch, floe_pq_bounds *out);

#endif
