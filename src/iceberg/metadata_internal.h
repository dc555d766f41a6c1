/*
 * metadata_internal.h — what the files behind metadata.h share among
 * themselves: readers for members of parsed JSON documents that name the
 * member and its context in their errors (json_fields.c), snapshots and
 * refs (snapshot.c), schema copies and comparisons, whole-metadata
 * validation and random UUIDs (metadata.c), and the checks that a
 * partition or sort field fits a schema (partition.c).
 *
 * Nothing here is part of the contract with other modules.
 */
#ifndef FLOE_ICEBERG_METADATA_INTERNAL_H
#define FLOE_ICEBERG_METADATA_INTERNAL_H

#include <jansson.h>
#include <string.h>

#include "iceberg/metadata.h"

/* Grows array `arr` of `n` elements by one zeroed element (n is
 * incremented); evaluates to a pointer to the new element. */
#define FLOE_ICE_GROW(arr, n)                                              \
    ((arr) = floe_xrealloc((arr), sizeof *(arr) * (size_t)((n) + 1)),      \
     memset(&(arr)[n], 0, sizeof *(arr)), &(arr)[(n)++])

/* ---- JSON members (json_fields.c) ------------------------------------------ */

/* "an object", "a string", ... for messages. */
const char *floe_ice_json_kind(const json_t *j);
/* Reads the integer o[key] into *out, checking min <= v <= max.  Returns 1
 * when the member is there, 0 when it is absent or null and not required,
 * and -1 with err ("<ctx>: missing \"key\"", "<ctx>: \"key\" must be ...")
 * otherwise. */
int floe_ice_json_int(const json_t *o, const char *key, int required, int64_t min, int64_t max, const char *ctx,
                      int64_t *out, floe_err *err);
int floe_ice_json_i32(const json_t *o, const char *key, int required, const char *ctx, int32_t *out, floe_err *err);
/* As floe_ice_json_int for a string member; *out borrows from o. */
int floe_ice_json_str(const json_t *o, const char *key, int required, const char *ctx, const char **out,
                      floe_err *err);
/* An object of string values into `out` (set in document order). */
int floe_ice_json_props(const json_t *o, const char *key, int required, const char *ctx, floe_props *out,
                        floe_err *err);
/* Appends a JSON string / a JSON object of the props. */
void floe_ice_json_put_str(floe_buf *out, const char *s);
void floe_ice_json_put_props(floe_buf *out, const floe_props *p);
/* Appends a parsed value's compact JSON text. */
void floe_ice_json_put_value(floe_buf *out, const json_t *v);
/* Parses a whole document; errors name `what`. */
json_t *floe_ice_json_load(const char *json, size_t len, const char *what, floe_err *err);

/* ---- snapshots and refs (snapshot.c) --------------------------------------- */

void floe_ice_snapshot_free(floe_ice_snapshot *s);
void floe_ice_snapshot_copy(floe_ice_snapshot *dst, const floe_ice_snapshot *src);
/* The object Java's SnapshotParser writes: sequence-number (when > 0),
 * snapshot-id, parent-snapshot-id, timestamp-ms, summary (operation
 * first), manifest-list or v1's manifests, schema-id. */
void floe_ice_snapshot_to_json(const floe_ice_snapshot *s, floe_buf *out);
int floe_ice_snapshot_from_json(const json_t *j, floe_ice_snapshot *out, floe_err *err);

void floe_ice_ref_free(floe_ice_ref *r);
void floe_ice_ref_copy(floe_ice_ref *dst, const floe_ice_ref *src);
int floe_ice_ref_equal(const floe_ice_ref *a, const floe_ice_ref *b);
/* The ref's members without its name and without braces:
 * "snapshot-id":N,"type":"branch",... (shared by refs and set-snapshot-ref). */
void floe_ice_ref_put_members(const floe_ice_ref *r, floe_buf *out);
/* Reads those members from `j`; the name is copied from `name`. */
int floe_ice_ref_from_json(const json_t *j, const char *name, const char *ctx, floe_ice_ref *out, floe_err *err);

/* ---- partition and sort fields (partition.c) -------------------------------- */

/* The highest partition field id of a spec, at least 999 (Java's value for
 * the unpartitioned spec). */
int32_t floe_ice_spec_last_field_id(const floe_ice_partition_spec *s);
/* Checks that `source_id` names a primitive column of `schema`, outside
 * lists and maps, to which `t` applies; errors start with `ctx`. */
int floe_ice_check_source(const floe_ice_schema *schema, int32_t source_id, const floe_ice_transform *t,
                          const char *ctx, floe_err *err);
/* Every field of the spec against the schema (floe_ice_check_source). */
int floe_ice_spec_check(const floe_ice_partition_spec *s, const floe_ice_schema *schema, floe_err *err);
int floe_ice_sort_order_check(const floe_ice_sort_order *o, const floe_ice_schema *schema, floe_err *err);
/* Same fields, names, sources and transforms; field ids ignored (Java's
 * PartitionSpec.compatibleWith). */
int floe_ice_spec_same(const floe_ice_partition_spec *a, const floe_ice_partition_spec *b);
int floe_ice_sort_order_same(const floe_ice_sort_order *a, const floe_ice_sort_order *b);
/* The v1 "partition-spec" form: the fields array alone. */
void floe_ice_spec_fields_to_json(const floe_ice_partition_spec *s, floe_buf *out);
int floe_ice_spec_fields_from_json(const json_t *fields, int32_t spec_id, floe_ice_partition_spec *out,
                                   floe_err *err);

/* ---- schemas, validation, ids (metadata.c) ---------------------------------- */

/* A deep copy of a validated schema, validated. */
floe_ice_schema *floe_ice_schema_copy(const floe_ice_schema *s);
/* Java's Schema.sameSchema: equal field trees and identifier ids; schema
 * ids ignored. */
int floe_ice_schema_same(const floe_ice_schema *a, const floe_ice_schema *b);
/* Rejects what the format version cannot hold (nanosecond timestamps and
 * initial defaults need v3). */
int floe_ice_schema_check_version(const floe_ice_schema *s, int format_version, floe_err *err);
/* The invariants Java's TableMetadata constructor checks: the current
 * schema, default spec and default sort order exist, ids are unique,
 * sequence numbers do not pass last-sequence-number, refs point at
 * snapshots and "main" agrees with current-snapshot-id. */
int floe_ice_metadata_check(const floe_ice_metadata *m, floe_err *err);
/* A malloc'd copy of a table location without trailing '/' (but keeping
 * "scheme://"), as Java's LocationUtil.stripTrailingSlash. */
char *floe_ice_location_strip(const char *loc);
/* A random (version 4) UUID in its 36-character text form. */
void floe_ice_uuid_random(char out[37]);
/* Milliseconds since the epoch, from the real-time clock. */
int64_t floe_ice_now_ms(void);

#endif
