/*
 * append.h — fast append: one new snapshot on branch "main" that adds data
 * files, committed through the catalog with optimistic concurrency.
 *
 * The new files go into one new manifest, written once.  Each attempt then
 * takes the table's current state as its base, carries the parent's
 * manifests forward (merging them as Iceberg's commit.manifest-merge.*
 * properties say), writes a manifest list and asks the catalog to add the
 * snapshot if "main" still points at the parent.  A lost race reloads,
 * cleans the attempt's files and rebases (commit.retry.* properties); an
 * unknown outcome is resolved by looking for the commit's floe.commit-id
 * in the ancestry of "main", so a commit is never applied twice.
 *
 * Several tables' appends can also land as one catalog transaction
 * (floe_table_append_many), all or none; a single append is the same
 * machinery with one table and the catalog's single-table commit.
 */
#ifndef FLOE_TABLE_APPEND_H
#define FLOE_TABLE_APPEND_H

#include "table/table.h"

/* Summary key carrying a commit's identity (a UUID). */
#define FLOE_COMMIT_ID_KEY "floe.commit-id"

/* Appends files[0..n) (partition tuples of the table's default spec; n may
 * be 0 for a snapshot that only records `extra`) in one snapshot.  `extra`
 * (may be NULL) adds summary properties; when it has no floe.commit-id a
 * fresh one is used.  On success t holds the committed state.  On failure
 * no snapshot was added and the files written for it are deleted — except
 * when the code is FLOE_EUNKNOWN (the outcome could not be learned): then
 * nothing is deleted, as the commit may have landed.  The data files are
 * the caller's either way. */
int floe_table_append(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                      floe_err *err);

/* Called at every attempt with the metadata the attempt builds on (the
 * table's state after the latest reload) and the attempt's summary
 * properties (the caller's `extra`, floe.commit-id included), which it may
 * change: a progress marker that merges with what the winner of a race
 * wrote is computed here.  Returning -1 (err set) gives up the append as a
 * failure with that error, no retry (a writer that finds it has been
 * fenced off, say). */
typedef int (*floe_append_summary_fn)(void *ctx, const floe_ice_metadata *base, floe_props *summary,
                                      floe_err *err);

/* floe_table_append onto branch `branch` (NULL = "main"; a branch that
 * does not exist yet is created by the commit, its first snapshot without
 * a parent, as Java's SnapshotProducer.toBranch does) with a summary
 * callback (fn may be NULL). */
int floe_table_append_ex(floe_table *t, const floe_ice_data_file *files, int n, const floe_props *extra,
                         const char *branch, floe_append_summary_fn fn, void *ctx, floe_err *err);

/* One table's part of floe_table_append_many: floe_table_append_ex's
 * arguments (each table at most once), and what became of it. */
typedef struct floe_append_part {
    floe_table *t;
    const floe_ice_data_file *files;
    int nfiles;
    const floe_props *extra;    /* may be NULL */
    const char *branch;         /* NULL = "main" */
    floe_append_summary_fn fn;  /* may be NULL */
    void *ctx;
    int committed;              /* out: 1 when the table's snapshot landed */
    floe_err err;               /* out: why not, when it did not */
} floe_append_part;

/* Appends each part's files to its table (all tables of one catalog), one
 * snapshot per table, as floe_table_append_ex does each, but committed as
 * ONE catalog transaction (commit_transaction) when the catalog has it:
 * every snapshot lands or none does.  Per attempt every part builds on its
 * table's current state (its summary callback runs on that state); a
 * transaction refused because some table changed (FLOE_ECONFLICT) reloads
 * every table, deletes the attempt's files and retries, within the
 * largest commit.retry.* budget of the tables; an unknown outcome
 * (FLOE_EUNKNOWN) is resolved by looking for the transaction's
 * floe.commit-id in the tables (parts whose `extra` names no commit id
 * share one fresh id, so the snapshots of one transaction carry the same
 * floe.commit-id); a summary callback that returns -1 fails the whole
 * transaction at once, with its error and no retry.  On success every
 * table holds its committed state (reloaded: a transaction's answer
 * carries no metadata; should those reloads keep failing, a handle stays
 * behind, and its next append loses a race and reloads).  On failure no table got a snapshot, each part's
 * err is *err, and the files written for it are deleted, except when the
 * code is FLOE_EUNKNOWN.
 *
 * Without commit_transaction (floe_table_append_atomic is 0) the parts
 * are committed one by one with floe_table_append_ex, each with its own
 * commit id, NOT atomically: some may land and others not (see each
 * part's committed and err; *err is the first failure).  Returns 0 when
 * every part committed. */
int floe_table_append_many(floe_append_part *parts, int n, floe_err *err);

/* 1 when floe_table_append_many commits atomically in catalog c. */
int floe_table_append_atomic(const floe_catalog *c);

/* The value of summary key `key` in the newest snapshot of branch `ref`'s
 * ancestry that carries it (walking parents from the branch head), or NULL
 * when none does.  *snapshot_id (may be NULL) gets that snapshot. */
const char *floe_table_ancestry_summary(const floe_ice_metadata *m, const char *ref, const char *key,
                                        int64_t *snapshot_id);

#endif
