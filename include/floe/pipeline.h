/*
 * pipeline.h — floe's main job as a library call: consume Kafka topics in a
 * consumer group and land the records in Iceberg tables, exactly once
 * (`floe run CONFIG`, `floe demo`).
 *
 * The configuration is the Apache Iceberg Kafka Connect sink's (connector
 * JSON or .properties) plus floe's own `floe.*` keys; docs/config.md lists
 * every key.  Progress lives in the tables: every commit's snapshot summary
 * carries `floe.kafka.offsets.<group>` (JSON: topic -> partition -> next
 * offset to read) and the pipeline seeks there whenever the group assigns
 * it partitions.  See src/pipeline/pipeline.c for the whole story.
 *
 * Nothing here prints: log lines (plain or JSON, as floe.log.format says;
 * never a secret) go to the caller's log function.
 */
#ifndef FLOE_PIPELINE_H
#define FLOE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct floe_pipeline floe_pipeline;

/* Receives one finished log line (no newline).  level is a syslog level:
 * 3 error, 4 warning, 6 info, 7 debug.  Called from the pipeline's thread,
 * and from librdkafka's threads for the consumer's own messages. */
typedef void (*floe_pipeline_log_fn)(void *ctx, int level, const char *line);

typedef struct floe_pipeline_opts {
    floe_pipeline_log_fn log;    /* NULL: no logging */
    void *log_ctx;
    /* Stop (flushing and committing first) once no record has arrived for
     * this long after the first one did, and no rebalance is pending (the
     * clock restarts when the group answers with an assignment, since
     * partitions lost or moved may come back with records to read); <= 0:
     * run until floe_pipeline_stop. */
    int64_t stop_when_idle_ms;
    /* Stop after this many records have been committed (or dead-lettered);
     * <= 0: no limit. */
    int64_t stop_after_records;
    /* Overrides applied on top of the file's keys ("key=value"), as
     * `floe run CONFIG -o key=value` gives them. */
    const char *const *overrides;
    int noverrides;
} floe_pipeline_opts;

/* Loads the configuration at `config_path` (JSON or .properties), applies
 * overrides, validates it (an invalid value is FLOE_EINVAL naming the key
 * and what is allowed; unknown keys become warnings, logged at start),
 * opens the catalog and starts the metrics endpoint.  Nothing is consumed
 * before floe_pipeline_run. */
floe_pipeline *floe_pipeline_new(const char *config_path, const floe_pipeline_opts *opts, floe_err *err);
/* The same from a configuration text (JSON when it starts with '{'). */
floe_pipeline *floe_pipeline_new_text(const char *text, size_t len, const char *origin,
                                      const floe_pipeline_opts *opts, floe_err *err);

/* The effective configuration as .properties text, secrets masked
 * (`floe run --print-config`).  malloc'd. */
char *floe_pipeline_config_text(const floe_pipeline *p);

/* Runs until stopped (floe_pipeline_stop, or the opts' idle and record
 * limits): joins the group, consumes, writes, commits on the interval and
 * the byte, record and memory triggers; on stop it flushes, commits and
 * leaves the group.  -1 with err set when the pipeline cannot go on (the
 * broker refuses the group, a table keeps failing to commit, a bad record
 * with nowhere to go); what was committed stays committed and a restart
 * resumes from the tables' progress markers. */
int floe_pipeline_run(floe_pipeline *p, floe_err *err);

/* Asks a running pipeline to stop after a final commit.  Async-signal-safe
 * (a SIGTERM handler may call it) and callable from any thread.  A second call makes run return at once
 * without committing (uncommitted records are read again on restart). */
void floe_pipeline_stop(floe_pipeline *p);

/* Port of the metrics endpoint (useful with floe.metrics.listen=...:0), or
 * 0 when there is none. */
int floe_pipeline_metrics_port(const floe_pipeline *p);

typedef struct floe_pipeline_stats {
    int64_t records_in;          /* records consumed */
    int64_t bytes_in;            /* their key and value bytes */
    int64_t records_committed;   /* records in committed snapshots */
    int64_t records_dead;        /* records dead-lettered (table or dropped) */
    int64_t records_skipped;     /* records re-read after a restart that the table already had */
    int64_t commits;             /* snapshots committed */
    int64_t commit_failures;     /* table commits that failed (retried in the next cycle) */
    int64_t files;               /* data files committed */
    int64_t file_bytes;          /* their size */
    int64_t tables_created;
    int64_t rebalances;
    /* Produce-to-visible latency of committed records (commit time minus
     * the Kafka message timestamp), ms; -1 before the first commit. */
    double freshness_p50_ms, freshness_p99_ms, freshness_max_ms;
    size_t memory_bytes;         /* buffered in open files now */
    size_t memory_peak_bytes;
    int64_t transactions;        /* cycles committed as one catalog transaction over several tables */
    int64_t fetch_nudges;        /* requests sent to wake fetchers stopped by a full prefetch queue */
    int64_t first_record_unix_ms; /* wall time the first records were in hand, before they were handled; 0 if none */
} floe_pipeline_stats;

/* The figures so far.  Call it from the thread running floe_pipeline_run
 * (its log function runs there) or after run returned: the counters are
 * not synchronised. */
void floe_pipeline_get_stats(const floe_pipeline *p, floe_pipeline_stats *out);

/* Frees the pipeline (after run returned, or without running it). */
void floe_pipeline_free(floe_pipeline *p);

#ifdef __cplusplus
}
#endif

#endif
