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

#endif
