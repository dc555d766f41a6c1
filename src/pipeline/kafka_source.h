/*
 * kafka_source.h — the pipeline's Kafka consumer: a thin, exactly-once
 * minded wrapper over a librdkafka consumer in a consumer group.
 *
 * Progress lives in the Iceberg table, not in Kafka.  So the source never
 * decides where a partition starts: whenever the group hands this process
 * partitions, on_assign is called BEFORE they are assigned and the pipeline
 * answers with the next offset to read for each (read from the table), or
 * FLOE_KAFKA_OFFSET_RESET where the table has none.  Whenever partitions are
 * taken away, on_revoke is called BEFORE they are unassigned, so that the
 * pipeline can commit what it holds for them or abandon it.  Kafka's own
 * committed offsets are written only on request (floe_kafka_source_commit,
 * after an Iceberg commit) so that lag tools work; the source never reads
 * them.  Auto-commit and auto offset store are therefore forced off.
 *
 * Threading: poll, commit, lag and close are called from one thread;
 * on_assign and on_revoke run on that thread, inside poll or close.  on_log
 * may run on librdkafka's internal threads and must be thread-safe.
 *
 * Messages are handed out without copying: a floe_kafka_msg points into
 * librdkafka's message, which stays alive until its batch is released.  All
 * batches must be released before the source is closed or freed.
 */
#ifndef FLOE_PIPELINE_KAFKA_SOURCE_H
#define FLOE_PIPELINE_KAFKA_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"
#include "util/props.h"

/* "No progress recorded": start where auto.offset.reset says. */
#define FLOE_KAFKA_OFFSET_RESET (-1)

typedef struct floe_kafka_source floe_kafka_source;

/* One topic-partition in a rebalance callback.  topic points into
 * librdkafka's list and is valid only during the callback. */
typedef struct floe_kafka_partition {
    const char *topic;
    int32_t partition;
    /* on_assign: the pipeline sets the next offset to read (>= 0) or
     * FLOE_KAFKA_OFFSET_RESET (the value it arrives with).
     * on_revoke: the next offset the source would have handed out (one past
     * the last message delivered), or -1 when none was delivered.
     * floe_kafka_source_commit: the next offset to read. */
    int64_t offset;
} floe_kafka_partition;

typedef struct floe_kafka_callbacks {
    void *ctx;
    /* Partitions newly given to this process, before they are assigned.
     * Called at every assignment the group makes, with n = 0 when this
     * process gets nothing new (every revoke is followed by one: a caller
     * can tell "between a revoke and the group's answer" from "idle").
     * Returning -1 (with err set) fails the source for good: every later
     * poll returns that error, and the caller is expected to close.  The
     * partitions are still assigned, so that the group protocol completes,
     * and close revokes them through on_revoke like any others. */
    int (*on_assign)(void *ctx, floe_kafka_partition *parts, int n, floe_err *err);
    /* Partitions about to be taken away, before they are unassigned.  lost
     * is 1 when the group has already given them to another member (this
     * process missed its session timeout): committing them now could
     * duplicate records, so the pipeline must abandon them.  Messages of
     * these partitions collected by the poll in progress are dropped by the
     * source and never delivered. */
    void (*on_revoke)(void *ctx, const floe_kafka_partition *parts, int n, int lost);
    /* librdkafka's log lines and the consumer's non-fatal errors (broker
     * down, unknown topic, failed advisory commit).  level is a syslog level
     * (3 error, 4 warning, 6 info, 7 debug).  Any thread. */
    void (*on_log)(void *ctx, int level, const char *msg);
} floe_kafka_callbacks;

/* One consumed message.  Pointers are valid until the batch is released. */
typedef struct floe_kafka_msg {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* create or log-append time; -1 when absent */
    const void *key;      /* NULL when the message has no key */
    size_t key_len;
    const void *value;    /* NULL for a tombstone */
    size_t value_len;
    void *handle;         /* the rd_kafka_message_t, for headers */
} floe_kafka_msg;

typedef struct floe_kafka_batch {
    floe_kafka_msg *msgs;
    int n, cap;
    size_t bytes; /* sum of key and value lengths */
} floe_kafka_batch;

void floe_kafka_batch_init(floe_kafka_batch *b);
/* Gives the messages back to librdkafka; the batch can be polled into again. */
void floe_kafka_batch_release(floe_kafka_batch *b);
/* Releases and frees the batch's arrays. */
void floe_kafka_batch_free(floe_kafka_batch *b);

/* Header idx of m: sets name, value (NULL for a null header) and size and
 * returns 1, or returns 0 when m has fewer headers. */
int floe_kafka_msg_header(const floe_kafka_msg *m, size_t idx, const char **name,
                          const void **value, size_t *size);

/* Creates the consumer from librdkafka properties.  bootstrap.servers and
 * group.id are required.  Defaults floe chooses differently from
 * librdkafka: auto.offset.reset=earliest and
 * partition.assignment.strategy=cooperative-sticky (incremental rebalances:
 * a join or leave moves only the partitions that change owner; librdkafka's
 * mock cluster supports it, and eager strategies such as range work too),
 * and queued.max.messages.kbytes=16384 (librdkafka's prefetch queue, 64 MiB
 * by default, is always full behind a consumer slower than its fetcher; at
 * 16 MiB it stays a fraction of floe.memory.budget-bytes; librdkafka then
 * lowers fetch.max.bytes to match unless that is set).  A source runs one
 * thread of its own, which wakes fetchers stopped by a full queue
 * (floe_kafka_source_nudges).
 * enable.auto.commit and enable.auto.offset.store must be false if given.
 * Every other key passes through; an unknown key or bad value is an error
 * naming it.  cb is copied; its functions may be NULL. */
int floe_kafka_source_new(const floe_props *conf, const floe_kafka_callbacks *cb,
                          floe_kafka_source **out, floe_err *err);

/* Subscribes to topics and/or a regex (either may be absent: n == 0 or
 * regex NULL).  The regex is a POSIX extended regex that must match the
 * whole topic name, as Kafka Connect's topics.regex does; topics created
 * later that match are picked up at the next metadata refresh. */
int floe_kafka_source_subscribe(floe_kafka_source *s, const char *const *topics, int n,
                                const char *regex, floe_err *err);

/* Polls into the empty batch b: waits up to timeout_ms for a first message,
 * then takes what is already fetched, up to max_msgs messages or until
 * max_bytes is reached.  Rebalance callbacks run inside.  Returns the
 * number of messages (0 on timeout), or -1 when the source has failed (a
 * fatal consumer error or an on_assign failure), with b left empty. */
int floe_kafka_source_poll(floe_kafka_source *s, floe_kafka_batch *b, int max_msgs,
                           size_t max_bytes, int timeout_ms, floe_err *err);

/* Moves assigned partitions to parts[i].offset (>= 0), the next offset to
 * hand out: messages fetched but not yet handed out are discarded, and the
 * partition is fetched again from there.  For a pipeline that drops work
 * it has not committed and starts over from its tables' progress, without
 * leaving the group.  Call between polls, all batches released. */
int floe_kafka_source_seek(floe_kafka_source *s, const floe_kafka_partition *parts, int n, floe_err *err);

/* Commits next offsets to Kafka for lag tools, asynchronously; a failure
 * is reported through on_log when it arrives (inside a later poll or
 * close, which waits for commits in flight). */
int floe_kafka_source_commit(floe_kafka_source *s, const floe_kafka_partition *parts, int n,
                             floe_err *err);

typedef struct floe_kafka_lag {
    char *topic;
    int32_t partition;
    int64_t position;       /* next offset to hand out; -1 unknown */
    int64_t high_watermark; /* -1 unknown */
    int64_t lag;            /* high_watermark - position; -1 unknown */
} floe_kafka_lag;

/* Lag of every assigned partition.  timeout_ms 0 uses the watermarks from
 * the latest fetch responses (no network); > 0 asks the partition leaders,
 * one request per partition, each waiting up to timeout_ms. */
int floe_kafka_source_lag(floe_kafka_source *s, int timeout_ms, floe_kafka_lag **out, int *n,
                          floe_err *err);
void floe_kafka_lag_free(floe_kafka_lag *lag, int n);

/* How many refetch nudges were sent so far: requests that wake a fetcher
 * librdkafka stopped because the prefetch queue was full, once the
 * pipeline has drained it to half (kafka_source.c says why).  Any thread. */
int64_t floe_kafka_source_nudges(floe_kafka_source *s);

/* The rebalance protocol in force: "COOPERATIVE", "EAGER", or "NONE"
 * before the first join and after close. */
const char *floe_kafka_source_protocol(floe_kafka_source *s);

/* Leaves the group: on_revoke is called for the whole assignment, Kafka
 * commits in flight complete, then the consumer stops.  Returns -1 if
 * leaving failed; the source must still be freed. */
int floe_kafka_source_close(floe_kafka_source *s, floe_err *err);

/* Frees the source.  Without a close first it abandons the group like a
 * crashed process: no revoke, no leave; the group moves the partitions
 * after the session timeout. */
void floe_kafka_source_free(floe_kafka_source *s);

#endif
