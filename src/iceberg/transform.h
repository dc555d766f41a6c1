/*
 * transform.h — Iceberg partition transforms (spec "Partition Transforms"):
 * identity, bucket[N], truncate[W], year, month, day, hour, void.
 *
 * Values travel as floe_ice_datum: integers (boolean, int, long, date days,
 * time and timestamp in their unit) in `i`, floats in `d`, and byte strings
 * (UTF-8 strings, binary, fixed, UUID's 16 big-endian bytes, a decimal's
 * unscaled two's-complement big-endian bytes) in `p`/`n`.
 */
#ifndef FLOE_ICEBERG_TRANSFORM_H
#define FLOE_ICEBERG_TRANSFORM_H

#include "floe/iceberg.h"
#include "util/err.h"
#include "util/mem.h"

typedef struct floe_ice_datum {
    int is_null;
    int64_t i;
    double d;
    const uint8_t *p;
    size_t n;
} floe_ice_datum;

typedef enum {
    FLOE_XF_IDENTITY, FLOE_XF_BUCKET, FLOE_XF_TRUNCATE, FLOE_XF_YEAR, FLOE_XF_MONTH, FLOE_XF_DAY,
    FLOE_XF_HOUR, FLOE_XF_VOID
} floe_ice_transform_kind;

typedef struct floe_ice_transform {
    int kind;       /* floe_ice_transform_kind */
    int32_t param;  /* N of bucket[N], W of truncate[W] */
} floe_ice_transform;

/* Parses "identity", "bucket[16]", "truncate[4]", "year", "month", "day",
 * "hour", "void"; -1 with a message otherwise. */
int floe_ice_transform_parse(const char *s, floe_ice_transform *out, floe_err *err);
/* Appends the spec's name ("bucket[16]"). */
void floe_ice_transform_name(const floe_ice_transform *t, floe_buf *out);
/* The type a transform produces from `src`; NULL with a message when the
 * transform does not apply to that type (e.g. day of a string). */
floe_ice_type *floe_ice_transform_result_type(const floe_ice_transform *t, const floe_ice_type *src,
                                              floe_err *err);
/* Applies t to v of type src.  Byte-string results (truncate of a string)
 * point into v's bytes. */
void floe_ice_transform_apply(const floe_ice_transform *t, const floe_ice_type *src, const floe_ice_datum *v,
                              floe_ice_datum *out);
/* The minimal two's-complement big-endian form of p[0..n) (n >= 1): skips
 * leading bytes that only repeat the sign; returns its length.  Decimals
 * hash and serialize in this form. */
size_t floe_ice_decimal_minimal(const uint8_t *p, size_t n, const uint8_t **out);
/* The spec's 32-bit hash of a value (Appendix B), before bucketing. */
int32_t floe_ice_hash(const floe_ice_type *src, const floe_ice_datum *v);

#endif
