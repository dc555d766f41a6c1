/*
 * freshness.h — produce-to-visible freshness: how long after its Kafka
 * timestamp a record was in a committed snapshot.
 *
 * A table's records wait for their commit in a floe_fresh_pending: counts
 * per timestamp, not a timestamp per record, so that its memory follows
 * the time the records span rather than their number (at full rate a few
 * hundred records share a millisecond; a commit cycle of minutes at
 * 100,000 records/s would otherwise hold tens of millions of timestamps).
 * When it fills, it is sorted and equal timestamps are merged; before that,
 * timestamps old enough that their freshness can only fall in the coarse
 * part of the distribution are rounded down to its resolution (see
 * freshness.c), which bounds the entries by the span of the stale records'
 * timestamps too.  Appending stays a compare and an increment while
 * records come in runs of one timestamp, as they do per partition.
 *
 * At commit, floe_fresh_commit counts the pending records into the run's
 * distribution (floe_fresh_hist: 1 ms bins to 10 s, then 100 ms bins, the
 * last one, from 1,009.9 s, holding everything older) and into the Prometheus
 * histogram, and floe_fresh_quantile reads quantiles back for --stats.
 */
#ifndef FLOE_PIPELINE_FRESHNESS_H
#define FLOE_PIPELINE_FRESHNESS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/metrics.h"

typedef struct floe_fresh_count {
    int64_t ts; /* Kafka timestamp, epoch ms (rounded down when stale) */
    uint64_t n; /* records with it */
} floe_fresh_count;

typedef struct floe_fresh_pending {
    floe_fresh_count *v;
    size_t n, cap;
} floe_fresh_pending;

/* Makes room: merges equal timestamps, or grows when that is not enough. */
void floe_fresh_pending_compact_(floe_fresh_pending *f, int64_t now_ms);

/* Counts one record of Kafka timestamp ts (epoch ms; < 0, none: ignored). */
static inline void floe_fresh_pending_add(floe_fresh_pending *f, int64_t ts) {
    if (ts < 0) return;
    if (f->n && f->v[f->n - 1].ts == ts) {
        f->v[f->n - 1].n++;
        return;
    }
    if (f->n == f->cap) floe_fresh_pending_compact_(f, -1);
    f->v[f->n++] = (floe_fresh_count){ts, 1};
}

/* Forgets the counted records (their commit is done or dropped). */
void floe_fresh_pending_clear(floe_fresh_pending *f);
void floe_fresh_pending_free(floe_fresh_pending *f);
/* Bytes held. */
size_t floe_fresh_pending_memory(const floe_fresh_pending *f);

#define FLOE_FRESH_BINS 20000 /* 0..9999 ms by 1 ms, then by 100 ms from 10 s; the last from 1,009.9 s */

typedef struct floe_fresh_hist {
    uint64_t bins[FLOE_FRESH_BINS];
    uint64_t n;
} floe_fresh_hist;

/* The bin of a freshness of d ms. */
int floe_fresh_bin(int64_t d);

/* f's records became visible at now (epoch ms): counts them into h and,
 * unless NULL, into the Prometheus histogram m (in seconds). */
void floe_fresh_commit(floe_fresh_hist *h, floe_histogram *m, const floe_fresh_pending *f, int64_t now);

/* The q-quantile (0..1) in ms, at the bins' resolution; -1 when empty. */
double floe_fresh_quantile(const floe_fresh_hist *h, double q);

#endif
