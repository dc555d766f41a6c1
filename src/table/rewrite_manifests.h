/*
 * rewrite_manifests.h — regrouping a snapshot's manifests by partition
 * (floe_rewrite_manifests in floe/maintenance.h) on a table handle, and
 * the plan alone, which the health report uses to say whether a rewrite
 * is due.
 */
#ifndef FLOE_TABLE_REWRITE_MANIFESTS_H
#define FLOE_TABLE_REWRITE_MANIFESTS_H

#include "floe/maintenance.h"
#include "table/table.h"

/* One manifest of a snapshot and its entries (as floe_table_entries reads
 * them: inherited snapshot ids and sequence numbers filled in). */
typedef struct floe_manifest_entries {
    const floe_ice_manifest_file *mf;
    floe_ice_manifest_entry *es;
    int ne;
} floe_manifest_entries;

/* Plans a rewrite of manifests in[0..n) of a table with metadata m:
 * returns 1 when it would change something (and *after is the number of
 * manifests it would leave), 0 when the manifests are already few and
 * clustered (*after = n), -1 on error (a manifest of an unknown spec). */
int floe_manifest_rewrite_check(const floe_ice_metadata *m, const floe_manifest_entries *in, int n, int64_t *after,
                                floe_err *err);

/* Rewrites the manifests of main's head as floe/maintenance.h says; on
 * return t holds the latest state this call saw. */
int floe_table_rewrite_manifests(floe_table *t, floe_rewrite_manifests_result *r, floe_err *err);

#endif
