/*
 * expire.h — snapshot expiry on a table handle (Iceberg's ExpireSnapshots;
 * the rules are in floe/expire.h) and the bounded history the commit path
 * keeps with it.
 *
 * Bounded history: after every successful append (append.c), when at
 * least floe.history.slack snapshots lie beyond the newest
 * floe.history.retain-last of each branch (whatever their age), floe
 * expires them, keeping refs' heads and progress markers as every expiry
 * does.  The slack batches the work: one expiry (a metadata commit and its
 * cleanup) every `slack` commits instead of one per commit.  A property
 * absent from the table means floe's default; retain-last 0 turns the
 * bound off.  docs/tables.md has the
 * defaults and what they cost in time-travel depth.
 */
#ifndef FLOE_TABLE_EXPIRE_H
#define FLOE_TABLE_EXPIRE_H

#include "floe/expire.h"
#include "table/table.h"

#define FLOE_HISTORY_RETAIN_LAST "floe.history.retain-last"
#define FLOE_HISTORY_SLACK "floe.history.slack"
#define FLOE_HISTORY_RETAIN_LAST_DEFAULT 10
#define FLOE_HISTORY_SLACK_DEFAULT 5

/* Summary keys with this prefix are progress markers (kept by expiry). */
#define FLOE_MARKER_PREFIX "floe.kafka.offsets."

/* Expires t's snapshots as floe/expire.h says; on return t holds the
 * table's latest state as this call saw it. */
int floe_table_expire_snapshots(floe_table *t, const floe_expire_opts *o, floe_expire_result *r, floe_err *err);

/* The bounded-history step of the commit path: expires when at least
 * `slack` snapshots lie beyond the bound (one attempt: a lost race is left
 * to the next commit).  Best effort: returns -1 with err when something
 * failed, which never undoes the commit before it. */
int floe_table_bound_history(floe_table *t, floe_err *err);

#endif
