/*
 * freshness.c — the pending records' timestamps and the freshness
 * distribution.  See freshness.h.
 *
 * Rounding stale timestamps.  A record's freshness is d = commit - ts and
 * its bin is d itself below 10 s, then 10,000 + (d - 10 s) / 100 ms,
 * clamped at the last bin, which starts at 1,009.9 s.  The commit comes
 * after the compaction, so a record whose age at compaction is a >= 10 s
 * will have d >= 10 s: rounding its ts down to a multiple of 100 ms raises
 * d by less than 100 ms, one bin at most.  With a >= 1,009.9 s every d
 * lands in the last bin; there ts is rounded to the second, which keeps
 * the Prometheus histogram's sum within 0.1% of the exact one.  Records
 * younger than 10 s keep their millisecond.  So the entries after a
 * compaction are at most one a millisecond of the last 10 s plus the
 * cycle, 10,000 for the 100 ms band, and one a second of the older
 * records' span.
 */
#include "pipeline/freshness.h"

#include <stdlib.h>

#include "util/clock.h"
#include "util/mem.h"

#define FIRST_CAP 1024
#define FINE_MS 10000     /* below: 1 ms bins */
/* the last bin's start: 1,009.9 s */
#define COARSE_MS (FINE_MS + (FLOE_FRESH_BINS - 1 - FINE_MS) * INT64_C(100))

static int by_ts(const void *a, const void *b) {
    int64_t x = ((const floe_fresh_count *)a)->ts, y = ((const floe_fresh_count *)b)->ts;
    return (x > y) - (x < y);
}

static int64_t round_down(int64_t ts, int64_t unit) { return ts - ts % unit; }

void floe_fresh_pending_compact_(floe_fresh_pending *f, int64_t now_ms) {
    if (f->n) {
        int64_t now = now_ms >= 0 ? now_ms : floe_wall_ms();
        for (size_t i = 0; i < f->n; i++) {
            int64_t age = now - f->v[i].ts;
            if (age >= COARSE_MS) f->v[i].ts = round_down(f->v[i].ts, 1000);
            else if (age >= FINE_MS) f->v[i].ts = round_down(f->v[i].ts, 100);
        }
        qsort(f->v, f->n, sizeof *f->v, by_ts);
        size_t k = 0;
        for (size_t i = 1; i < f->n; i++) {
            if (f->v[i].ts == f->v[k].ts) f->v[k].n += f->v[i].n;
            else f->v[++k] = f->v[i];
        }
        f->n = k + 1;
    }
    /* Half free at least, so that the next compaction is as far away as
     * this one was (a sort per append would be quadratic). */
    if (f->cap == 0 || f->n * 2 > f->cap) {
        f->cap = f->cap ? f->cap * 2 : FIRST_CAP;
        f->v = floe_xrealloc(f->v, f->cap * sizeof *f->v);
    }
}

void floe_fresh_pending_clear(floe_fresh_pending *f) {
    f->n = 0;
    /* a cycle far larger than usual leaves no large array behind */
    if (f->cap > 16 * FIRST_CAP) {
        free(f->v);
        f->v = NULL;
        f->cap = 0;
    }
}

void floe_fresh_pending_free(floe_fresh_pending *f) {
    free(f->v);
    *f = (floe_fresh_pending){0};
}

size_t floe_fresh_pending_memory(const floe_fresh_pending *f) { return f->cap * sizeof *f->v; }

int floe_fresh_bin(int64_t d) {
    if (d < 0) d = 0;
    int64_t bin = d < FINE_MS ? d : FINE_MS + (d - FINE_MS) / 100;
    return bin >= FLOE_FRESH_BINS ? FLOE_FRESH_BINS - 1 : (int)bin;
}

void floe_fresh_commit(floe_fresh_hist *h, floe_histogram *m, const floe_fresh_pending *f, int64_t now) {
    for (size_t i = 0; i < f->n; i++) {
        int64_t d = now - f->v[i].ts;
        if (d < 0) d = 0;
        h->bins[floe_fresh_bin(d)] += f->v[i].n;
        h->n += f->v[i].n;
        if (m) floe_histogram_observe_n(m, (double)d / 1000.0, f->v[i].n);
    }
}

double floe_fresh_quantile(const floe_fresh_hist *h, double q) {
    if (!h->n) return -1;
    uint64_t want = (uint64_t)(q * (double)(h->n - 1)) + 1, seen = 0;
    for (int i = 0; i < FLOE_FRESH_BINS; i++) {
        seen += h->bins[i];
        if (seen >= want) return i < FINE_MS ? (double)i : (double)FINE_MS + (double)(i - FINE_MS) * 100.0;
    }
    return -1;
}
