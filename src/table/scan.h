/*
 * scan.h — reading a table: planning (which data files of a snapshot can
 * hold rows matching a filter, and which delete files apply to each) and
 * reading the planned files into JSON rows of the table's current schema.
 * floe_table_scan (floe/table.h) is both over a loaded table.
 *
 * Planning: snapshot (current, by id, or current as of a time by the
 * snapshot log) -> its manifest list -> manifests whose partition
 * summaries may match the filter's projection onto their spec -> live
 * entries (ADDED, EXISTING) -> data files whose partition tuple and column
 * metrics may match; delete files are all kept and assigned to the data
 * files they apply to by the spec's scope rules (position deletes: same
 * partition, data sequence number <= the delete's; equality deletes: data
 * sequence number < the delete's, same partition or an unpartitioned
 * delete).
 *
 * Reading: each data file is opened through the table's file IO and its
 * columns matched to the table's by field id (columns the file lacks read
 * as null, columns the table dropped are ignored); row groups whose
 * statistics rule the filter out, rows the delete files remove and rows
 * the filter rejects are skipped; every other row is a
 * JSON object of the projected columns, in the schema's order and names.
 */
#ifndef FLOE_TABLE_SCAN_H
#define FLOE_TABLE_SCAN_H

#include "iceberg/expr.h"
#include "table/table.h"

typedef struct floe_scan_request {
    const char *where;                  /* NULL: every row */
    int has_snapshot_id;
    int64_t snapshot_id;
    int has_as_of;
    int64_t as_of_ms;
    const char *const *columns;         /* paths of the columns to return; NULL: all */
    int ncolumns;
} floe_scan_request;

typedef struct floe_scan_delete floe_scan_delete;

typedef struct floe_scan_task {
    floe_ice_data_file file;
    int64_t data_seq;                   /* the data file's data sequence number */
    int *deletes;                       /* indexes into plan->deletes that apply */
    int ndeletes;
} floe_scan_task;

struct floe_scan_delete {
    floe_ice_data_file file;
    int64_t data_seq;
    struct delete_rows *rows;           /* read on first use */
};

typedef struct floe_scan_plan {
    int64_t snapshot_id;                /* -1: the table has no snapshot (nothing to read) */
    floe_expr *filter;                  /* bound to the current schema; NULL: every row */
    int32_t *columns;                   /* the projected field ids, sorted */
    int ncolumns;
    floe_scan_task *tasks;
    int ntasks;
    floe_scan_delete *deletes;
    int ndeletes;
    /* what pruning did */
    int64_t manifests, manifests_skipped;
    int64_t files_skipped_partition, files_skipped_metrics;
} floe_scan_plan;

/* Plans a scan of t's table.  Errors name the option: "--where: unknown
 * column 'x'", "--snapshot: ...", "--as-of: ...", "--columns: ...". */
int floe_scan_plan_build(floe_table *t, const floe_scan_request *req, floe_scan_plan *out, floe_err *err);
void floe_scan_plan_free(floe_scan_plan *p);

/* The spec's scope rules: whether delete file `del` (data sequence number
 * del_seq) may apply to data file `data` (data sequence number data_seq).
 * Position deletes are narrowed by their file_path bounds only; which
 * files they really name is floe_scan_delete_names. */
int floe_scan_delete_may_apply(const floe_ice_metadata *m, const floe_ice_data_file *del, int64_t del_seq,
                               const floe_ice_data_file *data, int64_t data_seq);
/* Whether position delete file d names data file `path`: 0 or 1; 1 when d
 * has not been read yet (nothing is known); 0 for an equality delete. */
int floe_scan_delete_names(const floe_scan_delete *d, const char *path);

typedef struct floe_scan_counts {
    int64_t files_read;
    int64_t rows_read;                  /* rows of the files read (until a stop) */
    int64_t rows_deleted;               /* removed by delete files */
    int64_t rows;                       /* handed to the callback */
} floe_scan_counts;

/* Reads the planned files, calling fn with each row's JSON (0: go on, 1:
 * stop, -1: fail with err set) until `limit` rows (<= 0: no limit). */
int floe_scan_read(floe_table *t, floe_scan_plan *p, int64_t limit, floe_scan_row_fn fn, void *ctx,
                   floe_scan_counts *counts, floe_err *err);

#endif
