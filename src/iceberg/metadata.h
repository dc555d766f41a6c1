/*
 * metadata.h — Iceberg table metadata (spec "Table Metadata"): partition
 * specs, sort orders, snapshots, refs, logs, and the metadata JSON file,
 * plus the commit model shared by every catalog: a commit is a list of
 * requirements (assertions about the base metadata) and a list of updates
 * (changes), exactly the REST catalog's TableRequirement and TableUpdate.
 * The SQL catalog applies them locally; the REST client sends them; the
 * REST server applies them with this same code.
 *
 * JSON: floe_ice_metadata_parse reads format versions 1 and 2 (v1's
 * "schema", "partition-spec" and missing sequence numbers are upgraded in
 * memory); floe_ice_metadata_to_json writes every field of the spec in the
 * format version the table has.  Unknown top-level keys (statistics,
 * partition-statistics, ...) are kept verbatim and written back.
 */
#ifndef FLOE_ICEBERG_METADATA_H
#define FLOE_ICEBERG_METADATA_H

#include <jansson.h>

#include "floe/iceberg.h"
#include "iceberg/transform.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/props.h"

/* ---- partition specs ----------------------------------------------------- */

#define FLOE_ICE_PARTITION_FIELD_ID_START 1000

typedef struct floe_ice_partition_field {
    int32_t source_id;
    int32_t field_id;
    char *name;
    floe_ice_transform transform;
} floe_ice_partition_field;

typedef struct floe_ice_partition_spec {
    int32_t spec_id;
    floe_ice_partition_field *fields;
    int nfields;
} floe_ice_partition_spec;

void floe_ice_spec_free(floe_ice_partition_spec *s);
void floe_ice_spec_copy(floe_ice_partition_spec *dst, const floe_ice_partition_spec *src);
/* Parses the CLI / Kafka Connect form "day(ts), bucket(16, id), truncate(4,
 * name), identity_col, month(ts)" against `schema`, assigning field ids from
 * last_partition_id + 1 and the spec's default names ("ts_day", "id_bucket",
 * "name_trunc", "col", "ts_month", "ts_year", "ts_hour").  Errors name the
 * term and the column. */
int floe_ice_spec_parse_terms(const char *terms, const floe_ice_schema *schema, int32_t spec_id,
                              int32_t last_partition_id, floe_ice_partition_spec *out, floe_err *err);
/* The partition tuple's struct type: one field per partition field (id =
 * partition field id, optional, type = transform result type). */
floe_ice_type *floe_ice_spec_partition_type(const floe_ice_partition_spec *s, const floe_ice_schema *schema,
                                            floe_err *err);
/* The spec's JSON: {"spec-id":N,"fields":[{"name","transform","source-id","field-id"}]} */
void floe_ice_spec_to_json(const floe_ice_partition_spec *s, floe_buf *out);
int floe_ice_spec_from_json(const json_t *j, floe_ice_partition_spec *out, floe_err *err);
/* A partition's path segment as Java Iceberg writes it: "ts_day=2017-11-16/
 * id_bucket=3" (values in their human string form, URL-escaped; null as
 * "null"). */
void floe_ice_spec_partition_path(const floe_ice_partition_spec *s, const floe_ice_type *partition_type,
                                  const floe_ice_datum *values, floe_buf *out);

/* ---- sort orders --------------------------------------------------------- */

typedef struct floe_ice_sort_field {
    int32_t source_id;
    floe_ice_transform transform;
    int descending;   /* direction "desc" */
    int nulls_first;  /* null-order "nulls-first" */
} floe_ice_sort_field;

typedef struct floe_ice_sort_order {
    int32_t order_id;  /* 0 is the unsorted order */
    floe_ice_sort_field *fields;
    int nfields;
} floe_ice_sort_order;

void floe_ice_sort_order_free(floe_ice_sort_order *o);
void floe_ice_sort_order_copy(floe_ice_sort_order *dst, const floe_ice_sort_order *src);
/* {"order-id":N,"fields":[{"transform","source-id","direction":"asc"|"desc",
 * "null-order":"nulls-first"|"nulls-last"}]} */
void floe_ice_sort_order_to_json(const floe_ice_sort_order *o, floe_buf *out);
int floe_ice_sort_order_from_json(const json_t *j, floe_ice_sort_order *out, floe_err *err);

/* ---- snapshots and refs -------------------------------------------------- */

typedef struct floe_ice_snapshot {
    int64_t snapshot_id;
    int has_parent;
    int64_t parent_id;
    int64_t sequence_number;     /* 0 in v1 */
    int64_t timestamp_ms;
    char *manifest_list;         /* NULL for v1 snapshots with an embedded "manifests" list */
    char **manifests;            /* v1 only: the embedded manifest paths */
    int nmanifests;
    floe_props summary;          /* "operation" first, then counters and floe's keys */
    int has_schema_id;
    int32_t schema_id;
} floe_ice_snapshot;

typedef struct floe_ice_ref {
    char *name;
    int64_t snapshot_id;
    int is_tag;                    /* type "tag", else "branch" */
    int64_t min_snapshots_to_keep; /* -1 when absent */
    int64_t max_snapshot_age_ms;   /* -1 when absent */
    int64_t max_ref_age_ms;        /* -1 when absent */
} floe_ice_ref;

typedef struct floe_ice_log_entry {
    int64_t timestamp_ms;
    int64_t snapshot_id;  /* snapshot-log */
    char *file;           /* metadata-log: metadata-file */
} floe_ice_log_entry;

/* ---- table metadata ------------------------------------------------------ */

typedef struct floe_ice_metadata {
    int format_version;           /* 1 or 2 */
    char table_uuid[37];
    char *location;
    int64_t last_sequence_number;
    int64_t last_updated_ms;
    int32_t last_column_id;
    floe_ice_schema **schemas;
    int nschemas;
    int32_t current_schema_id;
    floe_ice_partition_spec *specs;
    int nspecs;
    int32_t default_spec_id;
    int32_t last_partition_id;
    floe_props properties;
    int64_t current_snapshot_id;  /* -1 when the table has no snapshot */
    floe_ice_snapshot *snapshots;
    int nsnapshots;
    floe_ice_log_entry *snapshot_log;
    int nsnapshot_log;
    floe_ice_log_entry *metadata_log;
    int nmetadata_log;
    floe_ice_sort_order *sort_orders;
    int nsort_orders;
    int32_t default_sort_order_id;
    floe_ice_ref *refs;           /* "main" is present whenever a current snapshot is */
    int nrefs;
    json_t *extra;                /* unknown top-level keys, written back verbatim (may be NULL) */
} floe_ice_metadata;

floe_ice_metadata *floe_ice_metadata_parse(const char *json, size_t len, floe_err *err);
floe_ice_metadata *floe_ice_metadata_from_json(const json_t *j, floe_err *err);
void floe_ice_metadata_to_json(const floe_ice_metadata *m, floe_buf *out);
floe_ice_metadata *floe_ice_metadata_copy(const floe_ice_metadata *m);
void floe_ice_metadata_free(floe_ice_metadata *m);

/* Metadata for a new table, as Iceberg's TableMetadata.newTableMetadata
 * builds it: field ids of `schema` reassigned from 1 in pre-order (the
 * spec's and order's source ids are remapped to follow), spec id 0 with
 * partition field ids from 1000, a random table UUID, format version from
 * properties ("format-version", default 2; the property itself is not
 * stored).  `spec` and `order` may be NULL (unpartitioned, unsorted); their
 * source ids refer to `schema` as given. */
floe_ice_metadata *floe_ice_metadata_new_table(const char *location, const floe_ice_schema *schema,
                                               const floe_ice_partition_spec *spec,
                                               const floe_ice_sort_order *order, const floe_props *props,
                                               floe_err *err);

const floe_ice_schema *floe_ice_metadata_schema(const floe_ice_metadata *m);  /* current */
const floe_ice_schema *floe_ice_metadata_schema_by_id(const floe_ice_metadata *m, int32_t id);
const floe_ice_partition_spec *floe_ice_metadata_spec(const floe_ice_metadata *m); /* default */
const floe_ice_partition_spec *floe_ice_metadata_spec_by_id(const floe_ice_metadata *m, int32_t id);
const floe_ice_snapshot *floe_ice_metadata_snapshot(const floe_ice_metadata *m, int64_t id);
const floe_ice_snapshot *floe_ice_metadata_current(const floe_ice_metadata *m); /* NULL if none */
const floe_ice_ref *floe_ice_metadata_ref(const floe_ice_metadata *m, const char *name);
/* The snapshot that was current at time t (snapshot-log), or NULL. */
const floe_ice_snapshot *floe_ice_metadata_snapshot_as_of(const floe_ice_metadata *m, int64_t t_ms);

/* ---- commits: requirements and updates ------------------------------------ */

typedef enum {
    FLOE_REQ_ASSERT_CREATE, FLOE_REQ_ASSERT_TABLE_UUID, FLOE_REQ_ASSERT_REF_SNAPSHOT_ID,
    FLOE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID, FLOE_REQ_ASSERT_CURRENT_SCHEMA_ID,
    FLOE_REQ_ASSERT_LAST_ASSIGNED_PARTITION_ID, FLOE_REQ_ASSERT_DEFAULT_SPEC_ID,
    FLOE_REQ_ASSERT_DEFAULT_SORT_ORDER_ID
} floe_ice_requirement_kind;

typedef struct floe_ice_requirement {
    int kind;
    char *ref;          /* ASSERT_REF_SNAPSHOT_ID */
    int64_t id;         /* the asserted id; for ASSERT_REF_SNAPSHOT_ID -1 means "ref must not exist" */
    char uuid[37];      /* ASSERT_TABLE_UUID */
} floe_ice_requirement;

typedef enum {
    FLOE_UPD_ASSIGN_UUID, FLOE_UPD_UPGRADE_FORMAT_VERSION, FLOE_UPD_ADD_SCHEMA, FLOE_UPD_SET_CURRENT_SCHEMA,
    FLOE_UPD_ADD_SPEC, FLOE_UPD_SET_DEFAULT_SPEC, FLOE_UPD_ADD_SORT_ORDER, FLOE_UPD_SET_DEFAULT_SORT_ORDER,
    FLOE_UPD_ADD_SNAPSHOT, FLOE_UPD_SET_SNAPSHOT_REF, FLOE_UPD_REMOVE_SNAPSHOTS, FLOE_UPD_REMOVE_SNAPSHOT_REF,
    FLOE_UPD_SET_LOCATION, FLOE_UPD_SET_PROPERTIES, FLOE_UPD_REMOVE_PROPERTIES
} floe_ice_update_kind;

typedef struct floe_ice_update {
    int kind;
    char uuid[37];                   /* ASSIGN_UUID */
    int format_version;              /* UPGRADE_FORMAT_VERSION */
    floe_ice_schema *schema;         /* ADD_SCHEMA (owned) */
    int32_t last_column_id;          /* ADD_SCHEMA */
    int32_t id;                      /* SET_CURRENT_SCHEMA / SET_DEFAULT_SPEC / SET_DEFAULT_SORT_ORDER: -1 = last added */
    floe_ice_partition_spec spec;    /* ADD_SPEC */
    floe_ice_sort_order order;       /* ADD_SORT_ORDER */
    floe_ice_snapshot snapshot;      /* ADD_SNAPSHOT */
    floe_ice_ref ref;                /* SET_SNAPSHOT_REF (ref.name) / REMOVE_SNAPSHOT_REF (ref.name) */
    int64_t *snapshot_ids;           /* REMOVE_SNAPSHOTS */
    int nsnapshot_ids;
    char *location;                  /* SET_LOCATION */
    floe_props props;                /* SET_PROPERTIES (updates) */
    char **removals;                 /* REMOVE_PROPERTIES */
    int nremovals;
} floe_ice_update;

void floe_ice_requirement_free(floe_ice_requirement *r);
void floe_ice_update_free(floe_ice_update *u);

/* Checks every requirement against `base` (NULL for a table that does not
 * exist yet); FLOE_ECONFLICT with a message naming the failed assertion. */
int floe_ice_requirements_check(const floe_ice_metadata *base, const floe_ice_requirement *reqs, int nreqs,
                                floe_err *err);
/* Applies updates to a copy of base, producing the new metadata with
 * last-updated-ms = now_ms, snapshot-log entries for ref "main" changes,
 * and validation as the spec requires (sequence numbers increase, parents
 * exist, ids unique).  FLOE_EINVAL for an update that cannot apply;
 * FLOE_ECONFLICT when an added snapshot's sequence number is no longer
 * above last-sequence-number (another commit won: rebase and retry).
 * With base NULL the updates build a new table (a REST create
 * transaction).  The metadata log is not touched: see
 * floe_ice_metadata_log_previous. */
floe_ice_metadata *floe_ice_updates_apply(const floe_ice_metadata *base, const floe_ice_update *upds, int nupds,
                                          int64_t now_ms, floe_err *err);
/* REST JSON forms ({"type":"assert-ref-snapshot-id",...}, {"action":
 * "add-snapshot",...}) in both directions. */
void floe_ice_requirement_to_json(const floe_ice_requirement *r, floe_buf *out);
void floe_ice_update_to_json(const floe_ice_update *u, floe_buf *out);
int floe_ice_requirement_from_json(const json_t *j, floe_ice_requirement *out, floe_err *err);
int floe_ice_update_from_json(const json_t *j, floe_ice_update *out, floe_err *err);

/* After a commit: appends `previous_file` to the metadata log (if not NULL)
 * and trims it to write.metadata.previous-versions-max (default 100). */
void floe_ice_metadata_log_previous(floe_ice_metadata *m, const char *previous_file, int64_t ts_ms);
/* The next metadata file name as Java Iceberg names it:
 * "<location>/metadata/<NNNNN>-<uuid>.metadata.json", NNNNN one more than
 * the version in `previous` (or 00000). */
void floe_ice_metadata_file_name(const floe_ice_metadata *m, const char *previous, floe_buf *out);

#endif
