/*
 * test_freshness.c — the pending records' timestamps (counts per
 * timestamp, merged when full, stale ones rounded) and the freshness
 * distribution, against an exact count of every record's bin.
 */
#include "pipeline/freshness.h"

#include <stdlib.h>

#include "test.h"
#include "util/clock.h"

/* The distribution of records ts[0..n) committed at now, one by one. */
static void exact_hist(floe_fresh_hist *h, const int64_t *ts, size_t n, int64_t now) {
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < n; i++) {
        h->bins[floe_fresh_bin(now - ts[i])]++;
        h->n++;
    }
}

/* The records f counts. */
static uint64_t pending_records(const floe_fresh_pending *f) {
    uint64_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->v[i].n;
    return n;
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void) { return test_xorshift64(&rnd_state); }

TEST(bins) {
    CHECK_EQ_INT(floe_fresh_bin(-5), 0);
    CHECK_EQ_INT(floe_fresh_bin(0), 0);
    CHECK_EQ_INT(floe_fresh_bin(9999), 9999);
    CHECK_EQ_INT(floe_fresh_bin(10000), 10000);
    CHECK_EQ_INT(floe_fresh_bin(10099), 10000);
    CHECK_EQ_INT(floe_fresh_bin(10100), 10001);
    CHECK_EQ_INT(floe_fresh_bin(1009899), FLOE_FRESH_BINS - 2);
    CHECK_EQ_INT(floe_fresh_bin(1009900), FLOE_FRESH_BINS - 1);
    CHECK_EQ_INT(floe_fresh_bin(INT64_C(1) << 40), FLOE_FRESH_BINS - 1);
}

/* A full-rate cycle: 1,000,000 records over 3.3 s of timestamps, 64
 * partitions interleaved in runs of 5.  The entries follow the
 * milliseconds, not the records, and nothing is rounded: the distribution
 * is exactly that of the records. */
TEST(full_rate_cycle_is_exact_and_small) {
    enum { N = 1000000, PARTS = 64 };
    int64_t base = floe_wall_ms() - 1000;
    int64_t *all = malloc(N * sizeof *all);
    floe_fresh_pending f = {0};
    size_t k = 0;
    for (int run = 0; k < N; run++) {
        int part = run % PARTS;
        for (int j = 0; j < 5 && k < N; j++, k++) {
            int64_t ts = base + (int64_t)(k / 300) + part % 3; /* partitions a little apart */
            all[k] = ts;
            floe_fresh_pending_add(&f, ts);
        }
    }
    CHECK_EQ_INT(pending_records(&f), N);
    CHECK(floe_fresh_pending_memory(&f) <= 64 * 1024 * sizeof(floe_fresh_count));
    CHECK(floe_fresh_pending_memory(&f) < N * sizeof(int64_t) / 8); /* an eighth of a timestamp a record */
    int64_t now = base + 5000;
    floe_fresh_hist got, want;
    memset(&got, 0, sizeof got);
    floe_fresh_commit(&got, NULL, &f, now);
    exact_hist(&want, all, N, now);
    CHECK_EQ_INT(got.n, N);
    CHECK(memcmp(got.bins, want.bins, sizeof got.bins) == 0);
    CHECK(floe_fresh_quantile(&got, 0.5) == floe_fresh_quantile(&want, 0.5));
    CHECK(floe_fresh_quantile(&got, 0.99) == floe_fresh_quantile(&want, 0.99));
    CHECK(floe_fresh_quantile(&got, 1.0) == floe_fresh_quantile(&want, 1.0));
    /* a cycle that grew the array far leaves nothing large behind */
    floe_fresh_pending_clear(&f);
    CHECK_EQ_INT(pending_records(&f), 0);
    CHECK_EQ_INT(f.n, 0);
    CHECK(floe_fresh_pending_memory(&f) <= 16 * 1024 * sizeof(floe_fresh_count));
    floe_fresh_pending_add(&f, base);
    CHECK_EQ_INT(pending_records(&f), 1);
    floe_fresh_pending_free(&f);
    free(all);
}

/* Replayed records, 100 s to 500 s old, each on its own millisecond: they
 * are rounded to 100 ms, so each lands at most one bin later than exact,
 * and the entries follow the span (4,000 tenths of a second), not the
 * 200,000 records. */
TEST(stale_records_round_within_a_bin) {
    enum { N = 200000 };
    int64_t wall = floe_wall_ms();
    int64_t *all = malloc(N * sizeof *all);
    floe_fresh_pending f = {0};
    for (size_t i = 0; i < N; i++) {
        all[i] = wall - 500000 + (int64_t)(rnd() % 400000);
        floe_fresh_pending_add(&f, all[i]);
    }
    CHECK(f.n <= 8192); /* 4,001 merged entries at most, plus those added since the last merge */
    CHECK(floe_fresh_pending_memory(&f) <= 16384 * sizeof(floe_fresh_count));
    int64_t now = floe_wall_ms();
    floe_fresh_hist got, want;
    memset(&got, 0, sizeof got);
    floe_fresh_commit(&got, NULL, &f, now);
    exact_hist(&want, all, N, now);
    CHECK_EQ_INT(got.n, N);
    /* cumulatively, got is want shifted by at most one bin */
    uint64_t cg = 0, cw = 0, cw_prev = 0;
    int ok = 1;
    for (int i = 0; i < FLOE_FRESH_BINS; i++) {
        cg += got.bins[i];
        cw += want.bins[i];
        if (cg > cw || cg < cw_prev) ok = 0;
        cw_prev = cw;
    }
    CHECK(ok);
    for (double q = 0.0; q <= 1.0; q += 0.125) {
        double a = floe_fresh_quantile(&got, q), b = floe_fresh_quantile(&want, q);
        CHECK(a >= b && a - b <= 100);
    }
    floe_fresh_pending_free(&f);
    free(all);
}

/* Records older than the last bin: rounded to the second, one entry per
 * second of their span, all in the last bin. */
TEST(very_old_records_share_the_last_bin) {
    int64_t wall = floe_wall_ms();
    floe_fresh_pending f = {0};
    for (int i = 0; i < 100000; i++) floe_fresh_pending_add(&f, wall - 86400000 + (int64_t)(rnd() % 3600000));
    floe_fresh_pending_compact_(&f, wall);
    CHECK(f.n <= 3601);
    floe_fresh_hist h;
    memset(&h, 0, sizeof h);
    floe_fresh_commit(&h, NULL, &f, wall);
    CHECK_EQ_INT(h.n, 100000);
    CHECK_EQ_INT(h.bins[FLOE_FRESH_BINS - 1], 100000);
    floe_fresh_pending_free(&f);
}

TEST(no_timestamp_and_empty) {
    floe_fresh_pending f = {0};
    floe_fresh_pending_add(&f, -1);
    CHECK_EQ_INT(pending_records(&f), 0);
    CHECK_EQ_INT(f.n, 0);
    floe_fresh_hist h;
    memset(&h, 0, sizeof h);
    floe_fresh_commit(&h, NULL, &f, floe_wall_ms());
    CHECK_EQ_INT(h.n, 0);
    CHECK(floe_fresh_quantile(&h, 0.5) == -1);
    /* a timestamp after the commit (clock skew) counts as 0 ms */
    int64_t now = floe_wall_ms();
    floe_fresh_pending_add(&f, now + 50);
    floe_fresh_pending_add(&f, now - 7);
    floe_fresh_commit(&h, NULL, &f, now);
    CHECK_EQ_INT(h.bins[0], 1);
    CHECK_EQ_INT(h.bins[7], 1);
    CHECK(floe_fresh_quantile(&h, 0.0) == 0);
    CHECK(floe_fresh_quantile(&h, 1.0) == 7);
    floe_fresh_pending_free(&f);
}

TEST_MAIN(T(bins), T(full_rate_cycle_is_exact_and_small), T(stale_records_round_within_a_bin),
          T(very_old_records_share_the_last_bin), T(no_timestamp_and_empty))
