/*
 * table.h — floe's Iceberg tables seen from outside the library (the floe
 * command, embedders): open a catalog, manage namespaces and tables, look
 * at a table's schema, snapshots and files, and ingest NDJSON into it.
 *
 * Everything here returns data; nothing prints.  Handles are opaque.
 * Tables are named "NS.NAME" where NS may itself be dotted ("a.b.events"
 * is table "events" in namespace "a.b").  Strings and arrays the library
 * returns are malloc'd and released with the matching _free function.
 *
 * Errors follow floe.h: -1 (or NULL) and a floe_err whose code is the
 * class (FLOE_ENOTFOUND for a missing table, FLOE_EEXISTS, FLOE_EINVAL for
 * bad input naming the line and field, ...).
 */
#ifndef FLOE_TABLE_H
#define FLOE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- catalogs -------------------------------------------------------------- */

typedef struct floe_catalog_handle floe_catalog_handle;

/* Opens the catalog at `uri` ("sqlite:PATH", "postgresql://...") whose new
 * tables go under `warehouse` (a directory or URI).  NULL arguments are
 * taken from the environment (FLOE_CATALOG, FLOE_WAREHOUSE), then from the
 * defaults: warehouse "./warehouse", catalog "sqlite:<warehouse>/catalog.db"
 * (so "sqlite:./warehouse/catalog.db" when neither is set). */
floe_catalog_handle *floe_open_catalog(const char *uri, const char *warehouse, floe_err *err);
/* floe_open_catalog with catalog properties: "key=value" strings in
 * Iceberg's spelling, for a REST catalog ("http(s)://HOST:PORT[/PATH]")
 * token, credential (OAuth2 "id:secret"), warehouse (the name the REST
 * catalog is asked for), scope, oauth2-server-uri, rest.*, s3.*.  Missing
 * token, credential and warehouse come from FLOE_CATALOG_TOKEN,
 * FLOE_CATALOG_CREDENTIAL and FLOE_CATALOG_WAREHOUSE.  A REST catalog keeps
 * the tables where the server says: `warehouse` is then sent as the
 * warehouse name only when the "warehouse" property is not given (and
 * FLOE_WAREHOUSE and ./warehouse are not used). */
floe_catalog_handle *floe_open_catalog_props(const char *uri, const char *warehouse, const char *const *props,
                                             int nprops, floe_err *err);
void floe_close_catalog(floe_catalog_handle *c);

/* A key and a value (properties, snapshot summaries). */
typedef struct floe_kv {
    char *key;
    char *value;
} floe_kv;
void floe_kvs_free(floe_kv *kv, int n);
/* A malloc'd array of malloc'd strings. */
void floe_strv_free(char **v, int n);

/* ---- namespaces ------------------------------------------------------------ */

/* `props` are "key=value" strings (may be NULL when nprops is 0). */
int floe_namespace_create(floe_catalog_handle *c, const char *ns, const char *const *props, int nprops,
                          floe_err *err);
/* The namespaces directly below `parent` (NULL = top level), sorted. */
int floe_namespace_list(floe_catalog_handle *c, const char *parent, char ***out, int *n, floe_err *err);
int floe_namespace_properties(floe_catalog_handle *c, const char *ns, floe_kv **out, int *n, floe_err *err);
/* FLOE_ECONFLICT while the namespace holds tables. */
int floe_namespace_drop(floe_catalog_handle *c, const char *ns, floe_err *err);

/* ---- tables ---------------------------------------------------------------- */

typedef struct floe_table_create_opts {
    const char *schema_json;        /* an Iceberg schema (JSON object or array of fields) */
    const char *partition_by;       /* "day(ts), bucket(16, id)"; NULL or "" = unpartitioned */
    const char *const *props;       /* "key=value" table properties ("format-version=1") */
    int nprops;
    const char *location;           /* NULL = <warehouse>/<ns>/<name> */
} floe_table_create_opts;

int floe_create_table(floe_catalog_handle *c, const char *table, const floe_table_create_opts *opts,
                      floe_err *err);
/* Tables of namespace `ns` as "NS.NAME"; with ns NULL, the tables of every
 * namespace.  Sorted. */
int floe_table_list(floe_catalog_handle *c, const char *ns, char ***out, int *n, floe_err *err);
/* purge: also delete the table's data and metadata files. */
int floe_table_drop(floe_catalog_handle *c, const char *table, int purge, floe_err *err);
int floe_table_rename(floe_catalog_handle *c, const char *from, const char *to, floe_err *err);

/* One column of the current schema, in pre-order (a struct before its
 * fields, a list before its element, a map before its key and value). */
typedef struct floe_column_info {
    int32_t id;
    char *path;          /* "loc.lat", "tags.element", "attrs.key" */
    char *type;          /* "long", "decimal(9, 2)", "struct", "list", "map" */
    int required;
    int depth;           /* 0 for top-level columns */
    char *doc;           /* NULL when absent */
} floe_column_info;

typedef struct floe_partition_field_info {
    int32_t field_id;
    char *name;          /* "ts_day" */
    char *transform;     /* "day", "bucket[16]" */
    int32_t source_id;
    char *source;        /* the source column's path */
} floe_partition_field_info;

typedef struct floe_sort_field_info {
    char *transform;
    int32_t source_id;
    char *source;
    int descending;
    int nulls_first;
} floe_sort_field_info;

typedef struct floe_table_info {
    char *name;                      /* "NS.NAME" */
    char *location;
    char *metadata_location;
    char *uuid;
    int format_version;
    int64_t last_updated_ms;
    int64_t last_sequence_number;
    int32_t schema_id;
    floe_column_info *columns; int ncolumns;
    int32_t spec_id;
    floe_partition_field_info *partition; int npartition;   /* empty = unpartitioned */
    int32_t sort_order_id;
    floe_sort_field_info *sort; int nsort;                   /* empty = unsorted */
    floe_kv *props; int nprops;
    int has_current_snapshot;
    int64_t current_snapshot_id;
    int nsnapshots;
    /* The same description as one JSON object: {"name", "location",
     * "metadata-location", "table-uuid", "format-version",
     * "last-updated-ms", "last-sequence-number", "schema" (Iceberg schema
     * JSON), "partition-spec" and "sort-order" (Iceberg JSON),
     * "properties", "current-snapshot-id" (null when none),
     * "snapshot-count"}. */
    char *json;
} floe_table_info;

int floe_table_describe(floe_catalog_handle *c, const char *table, floe_table_info *out, floe_err *err);
void floe_table_info_free(floe_table_info *t);

typedef struct floe_snapshot_info {
    int64_t snapshot_id;
    int has_parent;
    int64_t parent_id;
    int64_t sequence_number;
    int64_t timestamp_ms;
    char *operation;                 /* NULL when the summary has none */
    char *manifest_list;             /* NULL for v1 snapshots that embed their manifests */
    floe_kv *summary; int nsummary;  /* every key but "operation", in order */
    int is_current;
} floe_snapshot_info;

/* Every snapshot of the table in the order of its metadata (oldest first). */
int floe_table_snapshots(floe_catalog_handle *c, const char *table, floe_snapshot_info **out, int *n,
                         floe_err *err);
void floe_snapshot_infos_free(floe_snapshot_info *s, int n);

typedef struct floe_data_file_info {
    char *path;
    char *format;                    /* "PARQUET" */
    int content;                     /* 0 data, 1 position deletes, 2 equality deletes */
    int32_t spec_id;
    char *partition;                 /* "ts_day=2017-11-16/id_bucket=3"; "" when unpartitioned */
    char *partition_json;            /* {"ts_day":"2017-11-16","id_bucket":3} */
    int64_t record_count;
    int64_t file_size;
    int64_t snapshot_id;             /* the snapshot that added it */
    int64_t sequence_number;         /* its data sequence number */
} floe_data_file_info;

/* The live files (data and delete) of snapshot `snapshot_id`, or of the
 * current snapshot when has_snapshot is 0 (none for a table without
 * snapshots), in manifest order. */
int floe_table_files(floe_catalog_handle *c, const char *table, int has_snapshot, int64_t snapshot_id,
                     floe_data_file_info **out, int *n, floe_err *err);
void floe_data_file_infos_free(floe_data_file_info *f, int n);

/* ---- ingest ---------------------------------------------------------------- */

typedef struct floe_ingest_opts {
    const char *table;               /* "NS.NAME"; created (and its namespace) when missing */
    const char *partition_by;        /* spec terms for a table created here; an existing
                                        table's spec must equal it */
    int64_t commit_interval_ms;      /* commit this often (wall clock); <= 0: 60000 */
    int64_t commit_bytes;            /* also commit after this much input; <= 0: no limit */
    int fd;                          /* NDJSON input */
    const char *input_name;          /* names the input in messages ("events.json", "stdin") */
} floe_ingest_opts;

typedef struct floe_ingest_result {
    int created;                     /* the table was created */
    int64_t records;                 /* records committed */
    int64_t commits;                 /* snapshots committed */
    int64_t files;                   /* data files committed */
    int64_t bytes;                   /* input bytes committed */
    int64_t unknown_fields;          /* fields of committed records not in the schema */
} floe_ingest_result;

/* Reads NDJSON from opts->fd to its end, committing a snapshot every
 * interval, every commit_bytes of input and at the end.  A record that
 * does not fit the schema fails the ingest with FLOE_EINVAL naming the
 * input, line and field ("events.json: line 17: field 'id': expected long,
 * got string \"x\""); the files of the batch it was in are deleted, while
 * batches committed before it stay (*res counts those). */
int floe_ingest(floe_catalog_handle *c, const floe_ingest_opts *opts, floe_ingest_result *res, floe_err *err);

/* ---- scan ------------------------------------------------------------------ */

/* What to read.  `where` is a filter over the table's columns:
 *   id > 5 AND (name = 'it''s' OR name IS NULL)
 *   ts >= '2017-11-16T10:00:00' AND country NOT IN ('FR', 'DE')
 * with =, !=, <>, <, <=, >, >=, IS [NOT] NULL, IS [NOT] NAN, [NOT] IN (...),
 * NOT, AND, OR, parentheses; literals are numbers, 'strings' ('' for a
 * quote) and true/false, and a string takes its column's type (dates,
 * timestamps, UUIDs, decimals); struct fields are named by dotted paths.
 * Comparisons with null are not true (SQL's rule).  The filter also
 * prunes: manifests and data files whose partitions or column bounds show
 * they hold no matching row are not read. */
typedef struct floe_scan_opts {
    const char *where;               /* NULL: every row */
    int has_snapshot;                /* read snapshot `snapshot_id` ... */
    int64_t snapshot_id;
    const char *as_of;               /* ... or the one current at this time: "2017-11-16T10:00:00"
                                        (UTC unless it has an offset), a date, or milliseconds since
                                        the epoch; neither: the current snapshot */
    const char *const *columns;      /* column paths to return ("id", "loc.lat"); NULL: all */
    int ncolumns;
    int64_t limit;                   /* stop after this many rows; <= 0: no limit */
} floe_scan_opts;

/* Receives one row: a JSON object (no newline) of the projected columns in
 * the schema's order and current names, each value in the NDJSON forms of
 * docs/ndjson.md (null for a column a data file does not have).  Returns 0
 * to go on, 1 to stop the scan (it then succeeds), -1 to fail it (err set). */
typedef int (*floe_scan_row_fn)(void *ctx, const char *json, size_t len, floe_err *err);

typedef struct floe_scan_result {
    int64_t snapshot_id;             /* the snapshot read; -1 when the table has none */
    int64_t manifests, manifests_skipped;
    int64_t files, files_skipped;    /* data files planned / pruned by partition or bounds */
    int64_t delete_files;
    int64_t files_read;
    int64_t rows_read, rows_deleted; /* rows of the files read; removed by delete files */
    int64_t rows;                    /* rows handed to the callback */
} floe_scan_result;

/* Reads the rows of `table` (position and equality delete files applied).
 * Errors name the option at fault: "--where: unknown column 'x'",
 * "--where: cannot compare long column 'id' with 'abc'", "--snapshot: table
 * a.t has no snapshot 12", "--as-of: ...", "--columns: unknown column 'x'".
 * `res` may be NULL. */
int floe_table_scan(floe_catalog_handle *c, const char *table, const floe_scan_opts *opts, floe_scan_row_fn fn,
                    void *ctx, floe_scan_result *res, floe_err *err);

/* ---- end of scan ----------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif
