/*
 * maintain.h — background maintenance of the tables a streaming pipeline
 * writes (`floe run`): a thread of its own, with a catalog connection of
 * its own, that every interval asks each table it was told about for its
 * health (floe_table_health_get) and does what the report calls for:
 * compaction of small files (bounded in bytes per pass), manifest
 * rewrites, snapshot expiry past the table's bounded history, and, at most
 * once per clean interval, deletion of orphan files.
 *
 * Ingestion never waits for it: the writer's only contact is
 * floe_maintainer_note_table (a mutex held for a string copy), and every
 * maintenance commit validates against concurrent appends and gives up its
 * own work on a conflict (floe/maintenance.h).  A failure is logged and
 * counted, never returned to the pipeline.  Stopping is prompt: a long
 * compaction is interrupted through its progress callback (what it
 * committed stays committed).
 */
#ifndef FLOE_PIPELINE_MAINTAIN_H
#define FLOE_PIPELINE_MAINTAIN_H

#include <stdint.h>

#include "floe/expire.h"
#include "floe/maintenance.h"
#include "floe/pipeline.h"
#include "pipeline/config.h"
#include "pipeline/metrics.h"
#include "util/props.h"

typedef struct floe_maintainer floe_maintainer;

/* What one maintenance step did, for an observer (tests, tools).  Exactly
 * one of the result pointers is set, as `action` says; they are valid only
 * during the call. */
typedef struct floe_maintenance_event {
    const char *table;
    const char *action;          /* "health", "compact", "rewrite-manifests", "expire", "clean" */
    int failed;                  /* the step failed: err says why (results may be partial) */
    const floe_err *err;
    int64_t ms;
    const floe_table_health *health;
    const floe_compact_result *compact;
    const floe_rewrite_manifests_result *rewrite;
    const floe_expire_result *expire;
    const floe_clean_result *clean;
} floe_maintenance_event;

typedef void (*floe_maintenance_observer)(void *ctx, const floe_maintenance_event *ev);

typedef struct floe_maintainer_opts {
    /* The catalog, as the pipeline opens it (copied). */
    const char *catalog_uri;
    const char *warehouse;
    const floe_props *catalog_props;
    int64_t interval_ms;          /* between passes; <= 0: 60 s */
    int64_t max_bytes_per_run;    /* compaction input per table per pass; <= 0: 256 MiB */
    int64_t clean_interval_ms;    /* between orphan cleanups of a table; <= 0: 1 h */
    int64_t clean_window_ms;      /* orphans must be older than this; <= 0: the library's 3 days */
    /* Fraction of wall time a compaction may work before it pauses (0..1];
     * <= 0: 0.5 on a machine of 2 cores or fewer, else 1 (no pause). */
    double duty;
    floe_metrics *metrics;        /* NULL: no metrics */
    floe_pipeline_log_fn log;     /* NULL: no logging */
    void *log_ctx;
    int log_json;
    floe_maintenance_observer observer; /* NULL: none */
    void *observer_ctx;
} floe_maintainer_opts;

/* The options `floe run` uses for configuration cfg (borrowed strings:
 * cfg must outlive the start call). */
void floe_maintainer_opts_from_config(const floe_config *cfg, floe_maintainer_opts *o);

/* Opens the catalog and starts the thread.  NULL with err when the catalog
 * cannot be opened or the thread not started. */
floe_maintainer *floe_maintainer_start(const floe_maintainer_opts *o, floe_err *err);

/* Adds table "NS.NAME" to the tables maintained (once; thread-safe, cheap). */
void floe_maintainer_note_table(floe_maintainer *mt, const char *table);

/* Runs a pass now instead of at the end of the current interval. */
void floe_maintainer_kick(floe_maintainer *mt);

/* Passes completed so far. */
int64_t floe_maintainer_passes(floe_maintainer *mt);

/* Stops the thread (interrupting a compaction in progress), closes the
 * catalog and frees mt.  NULL is allowed. */
void floe_maintainer_stop(floe_maintainer *mt);

#endif
