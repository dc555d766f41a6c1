/*
 * maintenance.h — keeping a streamed table healthy, seen from outside the
 * library (`floe compact`, `floe clean`, `floe rewrite-manifests`,
 * `floe table health`, and the background maintenance of `floe run`):
 * compaction of small files, deletion of orphan files, regrouping of
 * manifests, and the health report that decides what to do next.
 * Snapshot expiry is in floe/expire.h.
 *
 * Every operation commits with its own validation against what was
 * committed meanwhile, so that it never makes a concurrent streaming
 * append fail: on a conflict it rebases or gives up its own work, never
 * the writer's.  Nothing here prints; long operations report progress
 * through a callback.
 */
#ifndef FLOE_MAINTENANCE_H
#define FLOE_MAINTENANCE_H

#include <stdint.h>

#include "floe/floe.h"
#include "floe/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Progress of a long operation: `done` of `total` units (bytes or files,
 * as `what` says: "bytes", "files").  Returns 0 to go on, non-zero to stop
 * early (what is committed stays committed). */
typedef int (*floe_progress_fn)(void *ctx, const char *what, int64_t done, int64_t total);

/* ---- compaction -------------------------------------------------------------------- */

typedef struct floe_compact_opts {
    /* Files smaller than this are candidates; 0: 75% of the target. */
    int64_t small_file_bytes;
    /* Size of the files written; 0: write.target-file-size-bytes. */
    int64_t target_file_bytes;
    /* A partition is compacted once it has at least this many candidate
     * files (or any delete file applying to them); 0: 5. */
    int min_input_files;
    /* Stop after reading this many bytes in one call (rate limiting for a
     * background task); 0: no limit. */
    int64_t max_input_bytes;
    /* Sort rows by the table's sort order while rewriting. */
    int sort;
    /* Only partitions whose path ("ts_day=2024-05-01") contains this; NULL: all. */
    const char *partition_filter;
    floe_progress_fn progress;
    void *progress_ctx;
} floe_compact_opts;

typedef struct floe_compact_result {
    int64_t groups;              /* partitions (bins) planned */
    int64_t groups_committed;    /* ... committed */
    int64_t groups_skipped;      /* ... given up cleanly (a conflict that could not be rebased) */
    int64_t files_rewritten;     /* data files replaced */
    int64_t delete_files_removed;
    int64_t files_written;
    int64_t bytes_read, bytes_written;
    int64_t rows_read, rows_written; /* rows_read - rows_written rows were deleted by delete files */
    int64_t snapshots;           /* replace snapshots committed */
    int64_t elapsed_ms;
} floe_compact_result;

/* Compacts table "NS.NAME" (opts may be NULL: defaults). */
int floe_compact(floe_catalog_handle *c, const char *table, const floe_compact_opts *opts, floe_compact_result *r,
                 floe_err *err);

/* ---- orphan files ------------------------------------------------------------------ */

typedef struct floe_clean_opts {
    /* Only files last modified before this (ms since the epoch); 0: now
     * minus 3 days.  Files of commits in flight are young, so they stay. */
    int64_t older_than_ms;
    int dry_run;
    floe_progress_fn progress;
    void *progress_ctx;
} floe_clean_opts;

typedef struct floe_clean_result {
    int64_t files_listed;        /* files under the table location */
    int64_t files_referenced;    /* reached from some metadata */
    int64_t orphans;             /* neither referenced nor young: deleted (or, dry run, would be) */
    int64_t orphan_bytes;
    int64_t young_skipped;       /* unreferenced but inside the safety window */
    char **paths;                /* the orphans (malloc'd) */
    int npaths;
} floe_clean_result;

int floe_clean(floe_catalog_handle *c, const char *table, const floe_clean_opts *opts, floe_clean_result *r,
               floe_err *err);
void floe_clean_result_free(floe_clean_result *r);

/* ---- manifests --------------------------------------------------------------------- */

typedef struct floe_rewrite_manifests_result {
    int64_t manifests_before, manifests_after;
    int64_t entries;
    int64_t snapshots;           /* 0 when nothing needed rewriting */
} floe_rewrite_manifests_result;

/* Regroups the live data and delete file entries of the current snapshot
 * into manifests clustered by partition, near
 * commit.manifest.target-size-bytes each, committed as a `replace`
 * snapshot of no data change. */
int floe_rewrite_manifests(floe_catalog_handle *c, const char *table, floe_rewrite_manifests_result *r,
                           floe_err *err);

/* ---- health ------------------------------------------------------------------------ */

typedef struct floe_partition_health {
    char *partition;             /* "ts_day=2024-05-01"; "" unpartitioned */
    int64_t data_files, small_files, delete_files;
    int64_t bytes, records;
} floe_partition_health;

typedef struct floe_table_health {
    int64_t data_files, delete_files, small_files;
    int64_t bytes, records;
    int64_t target_file_bytes, small_file_bytes;
    /* file sizes: counts per power-of-two bucket; size_hist[k] counts files
     * with 2^k <= size < 2^(k+1) bytes (k < 48) */
    int64_t size_hist[48];
    int64_t median_file_bytes;
    floe_partition_health *partitions; int npartitions; /* sorted by small_files, most first */
    int64_t snapshots, manifests, metadata_bytes;
    int64_t oldest_snapshot_ms, current_snapshot_ms;
    /* What maintenance would do next, one short line each:
     * "compact 3 partitions (412 small files)", "expire 12 snapshots",
     * "rewrite manifests (38 -> 4)"; empty when healthy. */
    char **next_actions; int nnext_actions;
    char *json;                  /* the whole report as one JSON object */
} floe_table_health;

int floe_table_health_get(floe_catalog_handle *c, const char *table, floe_table_health *out, floe_err *err);
void floe_table_health_free(floe_table_health *h);

#ifdef __cplusplus
}
#endif

#endif
