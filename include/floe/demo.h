/*
 * demo.h — a Kafka cluster and a clickstream to point the pipeline at
 * (`floe demo`): librdkafka's mock cluster running in this process (the
 * real Kafka protocol on 127.0.0.1, no broker to install), one topic, and
 * a producer thread that writes realistic web-shop events into it at a
 * given rate.  The pipeline (floe/pipeline.h) consumes it like any cluster.
 *
 * Events are JSON objects, keyed by user_id (so one user's events keep
 * their order in one partition), with the Kafka message timestamp equal to
 * `ts`, the moment the event was produced:
 *   {"event_id":1838475028283392001,"ts":"2026-01-02T03:04:05.678Z",
 *    "user_id":104211,"session_id":"9f2c4e1a7b3d5e60","event":"add_to_cart",
 *    "page":"/products/1042","referrer":"https://www.google.com/",
 *    "device":"mobile","country":"DE","price":24.99}
 * event_id is unique and increasing, also across runs: (ms << 20) + n.
 * Sessions follow a shop's funnel (landing page, category and product
 * views, searches, cart, checkout, purchase) with skewed user, product and
 * country popularity; price is the product's price on product views and
 * cart additions, the order total on purchases, null elsewhere.
 *
 * The mock cluster keeps only the newest ~5 MiB of each partition, so a
 * consumer must keep up (or the topic have enough partitions) when much
 * is produced.  Nothing here prints.
 */
#ifndef FLOE_DEMO_H
#define FLOE_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"
#include "floe/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct floe_demo floe_demo;

typedef struct floe_demo_opts {
    const char *topic;   /* NULL: "clickstream" */
    int partitions;      /* <= 0: 16 */
    int64_t records;     /* how many events the producer writes (> 0) */
    double rate;         /* events per second; <= 0: as fast as possible */
    uint64_t seed;       /* the simulation's random seed; 0: from the clock */
} floe_demo_opts;

/* Starts the mock cluster and creates the topic.  Nothing is produced
 * before floe_demo_start. */
floe_demo *floe_demo_new(const floe_demo_opts *opts, floe_err *err);

/* "127.0.0.1:PORT", valid until floe_demo_free. */
const char *floe_demo_bootstrap(const floe_demo *d);

/* Starts the producer thread.  Call once. */
int floe_demo_start(floe_demo *d, floe_err *err);

/* Asks the producer to stop early; what it has handed to librdkafka is
 * still delivered.  Thread-safe and async-signal-safe. */
void floe_demo_stop(floe_demo *d);

typedef struct floe_demo_progress {
    int64_t produced;         /* events handed to the producer */
    int64_t delivered;        /* acknowledged by the cluster */
    int64_t failed;           /* delivery failed */
    int64_t first_event_id;   /* the first event's id; -1 before it */
    int64_t last_event_id;    /* the latest event's id; -1 before the first */
    int started, done;        /* done: the producer has finished and every
                                 event is delivered or failed */
} floe_demo_progress;

/* A snapshot of the producer's counters.  Thread-safe. */
void floe_demo_get_progress(const floe_demo *d, floe_demo_progress *out);

/* Waits for the producer to finish.  -1 with err set when it could not
 * produce or some events were not delivered (the counters say how many). */
int floe_demo_wait(floe_demo *d, floe_err *err);

/* Stops and joins the producer if it still runs, then destroys the
 * cluster.  Free every consumer of the cluster first: one still connected
 * would wait for brokers that are gone. */
void floe_demo_free(floe_demo *d);

/* The events' Iceberg schema (JSON): every field optional, with the types
 * a table inferred from enough events gets (event_id, user_id long; ts
 * timestamptz; price double; the rest string).  A caller may create the
 * table with it rather than have it inferred from the first records: a
 * field null in all of those (price, referrer) would be inferred as a
 * string. */
const char *floe_demo_schema_json(void);

/* 0 if a table whose current schema has these columns (as
 * floe_table_describe gives them) takes the events: each field of the
 * events is a top-level column of the same type.  Otherwise -1 with err
 * naming the first field that does not fit. */
int floe_demo_check_columns(const floe_column_info *cols, int n, floe_err *err);

/* The event generator on its own (tests, benchmarks): a simulation state
 * seeded with `seed`, and the next event at time `now_ms` (epoch ms) as
 * JSON into out (NUL-terminated; at most FLOE_DEMO_EVENT_MAX bytes) with
 * its key (the user id, decimal) into key.  Returns the JSON's length. */
#define FLOE_DEMO_EVENT_MAX 512
typedef struct floe_demo_gen floe_demo_gen;
floe_demo_gen *floe_demo_gen_new(uint64_t seed);
size_t floe_demo_gen_next(floe_demo_gen *g, int64_t now_ms, char *out, char key[24], int64_t *event_id);
void floe_demo_gen_free(floe_demo_gen *g);

#ifdef __cplusplus
}
#endif

#endif
