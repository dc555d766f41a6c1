/*
 * manifest.h — Iceberg manifests and manifest lists (spec "Manifests",
 * "Manifest Lists"): Avro container files with exactly the spec's schemas
 * and field ids, the header metadata the spec requires (schema, schema-id,
 * partition-spec, partition-spec-id, format-version, content), data file
 * column metrics, partition field summaries, and the inheritance of
 * snapshot ids and sequence numbers (null in an ADDED entry of a new
 * manifest, filled from the manifest list on read).
 *
 * Also here: the single-value binary serialization of bounds (spec
 * Appendix D) and the conversion of Parquet writer statistics into data
 * file metrics (default metrics mode truncate(16)).
 */
#ifndef FLOE_ICEBERG_MANIFEST_H
#define FLOE_ICEBERG_MANIFEST_H

#include "floe/parquet.h"
#include "iceberg/metadata.h"
#include "util/mem.h"

enum { FLOE_ICE_CONTENT_DATA = 0, FLOE_ICE_CONTENT_POSITION_DELETES = 1, FLOE_ICE_CONTENT_EQUALITY_DELETES = 2 };
enum { FLOE_ICE_STATUS_EXISTING = 0, FLOE_ICE_STATUS_ADDED = 1, FLOE_ICE_STATUS_DELETED = 2 };
enum { FLOE_ICE_MANIFEST_DATA = 0, FLOE_ICE_MANIFEST_DELETES = 1 };

/* A per-column metric: (field id, count) or (field id, bound bytes). */
typedef struct floe_ice_metric { int32_t field_id; int64_t value; } floe_ice_metric;
typedef struct floe_ice_bound { int32_t field_id; uint8_t *p; uint32_t n; } floe_ice_bound;

typedef struct floe_ice_data_file {
    int content;                  /* FLOE_ICE_CONTENT_* */
    char *file_path;
    char *file_format;            /* "PARQUET" */
    floe_ice_datum *partition;    /* one per field of the spec; byte values owned by the file */
    int npartition;
    int64_t record_count;
    int64_t file_size_in_bytes;
    floe_ice_metric *column_sizes; int ncolumn_sizes;
    floe_ice_metric *value_counts; int nvalue_counts;
    floe_ice_metric *null_value_counts; int nnull_value_counts;
    floe_ice_metric *nan_value_counts; int nnan_value_counts;
    floe_ice_bound *lower_bounds; int nlower_bounds;
    floe_ice_bound *upper_bounds; int nupper_bounds;
    int64_t *split_offsets; int nsplit_offsets;
    int32_t *equality_ids; int nequality_ids;
    int has_sort_order_id; int32_t sort_order_id;
    int32_t spec_id;              /* the spec the partition tuple belongs to (from the manifest) */
} floe_ice_data_file;

typedef struct floe_ice_manifest_entry {
    int status;                   /* FLOE_ICE_STATUS_* */
    int has_snapshot_id; int64_t snapshot_id;
    int has_sequence_number; int64_t sequence_number;
    int has_file_sequence_number; int64_t file_sequence_number;
    floe_ice_data_file file;
} floe_ice_manifest_entry;

typedef struct floe_ice_field_summary {
    int contains_null;
    int has_contains_nan; int contains_nan;
    uint8_t *lower; uint32_t nlower;   /* NULL when absent */
    uint8_t *upper; uint32_t nupper;
} floe_ice_field_summary;

typedef struct floe_ice_manifest_file {
    char *manifest_path;
    int64_t manifest_length;
    int32_t partition_spec_id;
    int content;                  /* FLOE_ICE_MANIFEST_* */
    int64_t sequence_number;      /* -1 = to be assigned at commit (written as the snapshot's) */
    int64_t min_sequence_number;
    int64_t added_snapshot_id;
    /* -1 when unknown (v1 manifest lists may leave the counts null) */
    int32_t added_files_count, existing_files_count, deleted_files_count;
    int64_t added_rows_count, existing_rows_count, deleted_rows_count;
    floe_ice_field_summary *partitions; int npartitions;
} floe_ice_manifest_file;

void floe_ice_data_file_free(floe_ice_data_file *f);
/* Frees and empties the metrics and split offsets (not path, partition, ...). */
void floe_ice_data_file_clear_metrics(floe_ice_data_file *f);
void floe_ice_data_file_copy(floe_ice_data_file *dst, const floe_ice_data_file *src);
void floe_ice_manifest_entry_free(floe_ice_manifest_entry *e);
void floe_ice_manifest_file_free(floe_ice_manifest_file *m);
void floe_ice_manifest_file_copy(floe_ice_manifest_file *dst, const floe_ice_manifest_file *src);

/* Writes a manifest of `entries` for `spec` (format version, schema and
 * properties from m) and appends the file bytes to *out; fills *summary
 * (spec id, content, snapshot id, counts, partition summaries, length, min
 * sequence number or -1 when no live entry has one, sequence number -1 =
 * assigned at commit; manifest_path is the caller's to set).  ADDED entries
 * without a snapshot id get `snapshot_id`; other entries must carry their
 * data sequence number.  Partition datums are in spec field order. */
int floe_ice_manifest_write(const floe_ice_metadata *m, const floe_ice_partition_spec *spec, int content,
                            int64_t snapshot_id, const floe_ice_manifest_entry *entries, int nentries,
                            floe_buf *out, floe_ice_manifest_file *summary, floe_err *err);
/* Reads a manifest's entries (any engine's, v1 or v2; fields by name),
 * applying inheritance from `mf` (snapshot id, sequence numbers, spec id);
 * mf may be NULL to read the entries as written.  *out is malloc'd; free
 * each entry with floe_ice_manifest_entry_free, then the array. */
int floe_ice_manifest_read(const uint8_t *data, size_t len, const char *path, const floe_ice_manifest_file *mf,
                           floe_ice_manifest_entry **out, int *nout, floe_err *err);

/* Manifest lists.  Writing substitutes sequence_number for a manifest's
 * sequence number and min sequence number of -1 (which only manifests
 * added by snapshot_id may have). */
int floe_ice_manifest_list_write(int format_version, int64_t snapshot_id, int has_parent, int64_t parent_id,
                                 int64_t sequence_number, const floe_ice_manifest_file *files, int nfiles,
                                 floe_buf *out, floe_err *err);
int floe_ice_manifest_list_read(const uint8_t *data, size_t len, const char *path, floe_ice_manifest_file **out,
                                int *nout, floe_err *err);

/* Single-value binary serialization (Appendix D) of a non-null datum of
 * type t.  from_bytes validates the length (and UTF-8 for strings); byte
 * values of the datum it fills point into p. */
void floe_ice_value_to_bytes(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *out);
int floe_ice_value_from_bytes(const floe_ice_type *t, const uint8_t *p, size_t n, floe_ice_datum *out,
                              floe_err *err);
/* Bytes of the fixed Avro/Parquet representation of decimal(precision, _). */
int32_t floe_ice_decimal_required_bytes(int32_t precision);
/* Human form used in partition paths and CLI output ("2017-11-16", "3"). */
void floe_ice_value_to_string(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *out);
/* Orders two datums of type t: <0, 0, >0. */
int floe_ice_value_compare(const floe_ice_type *t, const floe_ice_datum *a, const floe_ice_datum *b);
/* A PLAIN-encoded value of Parquet `leaf` (a bound from statistics, or a
 * value a reader peeked) as a datum of Iceberg type t, for the physical
 * and logical types Iceberg writes for t (int for long, float for double,
 * coarser time units scaled up); scratch holds converted bytes.  0 when
 * the pair has no such conversion. */
int floe_ice_datum_from_plain(const floe_ice_type *t, const floe_pq_node *leaf, const uint8_t *p, uint32_t n,
                              uint8_t scratch[8], floe_ice_datum *d);

/* Fills a data file's record count, size, split offsets and metrics from a
 * closed Parquet writer, replacing what *out held there: the Parquet
 * schema's leaves carry Iceberg field ids; leaves inside a list or map get
 * only their column size (their level counts are not value counts), as
 * Java Iceberg does; string and binary bounds are truncated (upper rounded
 * up, dropped when it cannot be).  The metrics mode per column follows the
 * table properties write.metadata.metrics.default ("none", "counts",
 * "truncate(N)", "full"; default truncate(16)),
 * write.metadata.metrics.column.<path> and
 * write.metadata.metrics.max-inferred-column-defaults (default 100) as
 * Java's MetricsConfig reads them; props may be NULL. */
int floe_ice_metrics_from_parquet(const floe_ice_schema *schema, const floe_pq_schema *pq,
                                  const floe_pq_writer *w, const floe_props *props, floe_ice_data_file *out,
                                  floe_err *err);

#endif
