/*
 * compact.h — compaction on a table handle (floe_compact in
 * floe/maintenance.h is this over a freshly loaded table), with a hook
 * for tests that need something to happen between a group's rewrite and
 * its commit.
 */
#ifndef FLOE_TABLE_COMPACT_H
#define FLOE_TABLE_COMPACT_H

#include "floe/maintenance.h"
#include "table/table.h"

/* Called once per group after its files are written and before its first
 * commit attempt (index: the group's number, from 0).  Returning -1 (err
 * set) fails the compaction. */
typedef int (*floe_compact_hook)(void *ctx, int group, floe_err *err);

/* Compacts t as floe_compact says; on return t holds the table's state as
 * this call last saw it.  hook may be NULL. */
int floe_table_compact(floe_table *t, const floe_compact_opts *opts, floe_compact_hook hook, void *hook_ctx,
                       floe_compact_result *r, floe_err *err);

#endif
