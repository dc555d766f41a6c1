/*
 * snapshot_write.h — what every operation that adds a snapshot shares
 * (append, compaction's `replace`, manifest rewrites): snapshot ids, where
 * metadata files go, the summary's running totals, the commit of one new
 * snapshot on a branch with a compare-and-swap requirement on its head,
 * the pacing of retries, and the search for a commit whose outcome was
 * unknown.
 */
#ifndef FLOE_TABLE_SNAPSHOT_WRITE_H
#define FLOE_TABLE_SNAPSHOT_WRITE_H

#include "table/table.h"

/* A positive 63-bit id from a random UUID, as Java's
 * SnapshotIdGeneratorUtil makes it. */
int64_t floe_snapshot_random_id(void);
/* A random id no snapshot of m has. */
int64_t floe_snapshot_new_id(const floe_ice_metadata *m);

/* The table's metadata directory (write.metadata.path, default
 * <location>/metadata), without a trailing slash, appended to out. */
void floe_snapshot_metadata_dir(const floe_ice_metadata *m, floe_buf *out);

/* The snapshot `branch` points at, or NULL. */
const floe_ice_snapshot *floe_snapshot_branch_head(const floe_ice_metadata *m, const char *branch);

/* Running totals of a snapshot summary (Iceberg's total-* keys). */
typedef struct floe_snapshot_totals {
    int64_t records, size, data_files, delete_files, pos_deletes, eq_deletes;
} floe_snapshot_totals;

/* The parent's totals from its summary, or counted from its manifests
 * mfs[0..n) when the summary lacks any of them (written by an engine that
 * omits them); all zero without a parent. */
int floe_snapshot_parent_totals(floe_table *t, const floe_ice_snapshot *parent, const floe_ice_manifest_file *mfs,
                                int n, floe_snapshot_totals *tot, floe_err *err);
/* Sets the six total-* keys. */
void floe_snapshot_put_totals(floe_props *p, const floe_snapshot_totals *tot);
void floe_snapshot_put_count(floe_props *p, const char *key, int64_t v);
/* Distinct partition tuples among files[0..n) (Java counts the
 * unpartitioned tuple as one partition). */
int64_t floe_snapshot_changed_partitions(const floe_ice_data_file *files, int n);

/* commit.retry.* (Java's names; floe's default count is 10, as losing a
 * race to a streaming writer is routine). */
typedef struct floe_snapshot_retry {
    int retries;
    int64_t min_wait_ms, max_wait_ms;
} floe_snapshot_retry;
void floe_snapshot_retry_read(const floe_props *p, floe_snapshot_retry *r);
/* Sleeps before retry number `failures` (1, 2, ...): exponential, with
 * up to 10% jitter so that racing writers do not retry in step. */
void floe_snapshot_backoff(int failures, const floe_snapshot_retry *r);

/* 1 if `branch` reaches a snapshot whose summary has floe.commit-id ==
 * commit_id before reaching snapshot `stop` (the parent of the first
 * attempt whose outcome was unknown). */
int floe_snapshot_landed(const floe_ice_metadata *m, const char *branch, const char *commit_id, int64_t stop);

/* The requirement and the two updates that make snapshot `snapshot_id`
 * (sequence number seq, manifest list at `manifest_list`, summary taken
 * from *summary, which is left empty) the new head of `branch`, if the
 * branch still points at `parent` (NULL: does not exist yet): what one
 * table contributes to a commit or to a multi-table transaction.  The
 * caller frees them (floe_ice_requirement_free, floe_ice_update_free). */
void floe_snapshot_build(const floe_ice_metadata *m, const char *branch, const floe_ice_snapshot *parent,
                         int64_t snapshot_id, int64_t seq, const char *manifest_list, floe_props *summary,
                         floe_ice_requirement *req, floe_ice_update upd[2]);

/* Commits snapshot `snapshot_id` (sequence number seq, manifest list at
 * `manifest_list`, summary taken from *summary, which is left empty) as
 * the new head of `branch`, requiring the branch to still point at
 * `parent` (NULL: to not exist yet).  On success t holds the committed
 * state.  Errors are the catalog's: FLOE_ECONFLICT for a lost race,
 * FLOE_EUNKNOWN when the outcome could not be learned. */
int floe_snapshot_commit(floe_table *t, const char *branch, const floe_ice_snapshot *parent, int64_t snapshot_id,
                         int64_t seq, const char *manifest_list, floe_props *summary, floe_err *err);

#endif
