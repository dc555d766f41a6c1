/*
 * iceberg_commits.c — the commit-cost benchmark: appends one tiny data file
 * per commit to one Iceberg table, N times, and measures each commit.
 *
 *   usage: iceberg_commits DIR N [KEY=VALUE...]
 *
 * DIR becomes a fresh warehouse with a SQLite catalog (DIR/catalog.db);
 * table bench.commits (id long, ts timestamptz; unpartitioned; the
 * KEY=VALUE table properties, else floe's defaults, which bound the
 * history: docs/tables.md) gets N commits.
 * Each commit first writes its data file (one record, through floe's
 * partitioned data-file writer; not timed), then floe_table_append runs
 * under the clock: manifest, manifest merging, manifest list, metadata JSON
 * and the catalog's compare-and-swap, each file written with fsync, and,
 * on the commits where the bounded history expires snapshots, that expiry
 * (its metadata commit and cleanup) too.
 *
 * Metadata bytes are counted by wrapping the catalog's file IO "write"
 * (every manifest, manifest list and metadata file goes through it; data
 * files go through "create" and are not counted), split by kind.
 *
 * Output: DIR/commits.csv (commit, microseconds, bytes, metadata JSON
 * bytes, manifest list bytes, manifest bytes), and on standard output a
 * Markdown table: for the 10 commits ending at commit 10, 100, 1,000 and
 * 10,000 (those <= N), the median latency, the median and mean metadata
 * bytes per commit with the median per kind; then the ratio of the medians
 * at the largest count to those at 10.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "floe/table.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/table.h"

#define WINDOW 10

/* ---- counting the catalog's metadata writes ------------------------------------- */

enum { KIND_JSON, KIND_LIST, KIND_MANIFEST, NKINDS };
static int64_t written[NKINDS];
static int (*real_write)(floe_fileio *io, const char *uri, const void *p, size_t n, int exclusive, floe_err *err);

static int counting_write(floe_fileio *io, const char *uri, const void *p, size_t n, int exclusive, floe_err *err) {
    int rc = real_write(io, uri, p, n, exclusive, err);
    if (rc == 0) {
        const char *base = strrchr(uri, '/');
        base = base ? base + 1 : uri;
        size_t len = strlen(base);
        int kind = len > 14 && strcmp(base + len - 14, ".metadata.json") == 0 ? KIND_JSON
                   : strncmp(base, "snap-", 5) == 0                          ? KIND_LIST
                                                                             : KIND_MANIFEST;
        written[kind] += (int64_t)n;
    }
    return rc;
}

/* ---- statistics ---------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts a copy). */
static double median(const int64_t *v, int n) {
    int64_t s[WINDOW];
    memcpy(s, v, sizeof *v * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_i64);
    return n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2;
}

static double mean(const int64_t *v, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)v[i];
    return sum / n;
}

static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int fail(const char *what, const floe_err *err) {
    fprintf(stderr, "iceberg_commits: %s: %s\n", what, err->msg);
    return 1;
}

/* ---- one commit ------------------------------------------------------------------------ */

/* Writes commit i's data file and appends it; *us, *cpu_us and *bytes[]
 * get the commit's wall time, the process's CPU time during it (user and
 * system: what load on a shared machine cannot stretch, where the wall
 * time also holds the waits for fsync and for the CPU) and its metadata
 * bytes. */
static int commit_one(floe_table *t, int64_t i, int64_t *us, int64_t *cpu_us, int64_t bytes[NKINDS],
                      floe_err *err) {
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, err);
    if (!w) return -1;
    char line[128];
    /* One event a minute from 2026-01-01. */
    int64_t minute = i;
    int n = snprintf(line, sizeof line, "{\"id\":%lld,\"ts\":\"2026-01-%02lldT%02lld:%02lld:00Z\"}", (long long)i,
                     (long long)(1 + minute / 1440 % 28), (long long)(minute / 60 % 24), (long long)(minute % 60));
    floe_ice_data_file *files = NULL;
    int nfiles = 0;
    int rc = floe_datafile_writer_write(w, line, (size_t)n, 1, err);
    if (rc == 0) rc = floe_datafile_writer_finish(w, &files, &nfiles, err);
    floe_datafile_writer_free(w);
    if (rc) return -1;

    int64_t before[NKINDS];
    memcpy(before, written, sizeof before);
    int64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC);
    rc = floe_table_append(t, files, nfiles, NULL, err);
    int64_t t1 = clock_ns(CLOCK_MONOTONIC), c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    *us = (t1 - t0) / 1000;
    *cpu_us = (c1 - c0) / 1000;
    for (int k = 0; k < NKINDS; k++) bytes[k] = written[k] - before[k];
    for (int k = 0; k < nfiles; k++) floe_ice_data_file_free(&files[k]);
    free(files);
    return rc;
}

/* ---- main --------------------------------------------------------------------------------- */

static const char SCHEMA[] = "{\"type\":\"struct\",\"fields\":["
                             "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                             "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"}]}";

static void print_row(const char *label, const int64_t *us, const int64_t *cpu, const int64_t *total,
                      int64_t *const kind[NKINDS], int from, int n) {
    printf("| %s | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", label, median(us + from, n) / 1000.0,
           median(cpu + from, n) / 1000.0, median(total + from, n), mean(total + from, n), median(kind[KIND_JSON] + from, n),
           median(kind[KIND_LIST] + from, n), median(kind[KIND_MANIFEST] + from, n));
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: iceberg_commits DIR N [KEY=VALUE...]\n");
        return 2;
    }
    const char *dir = argv[1];
    long long nn = atoll(argv[2]);
    if (nn < 1 || nn > 10000000) {
        fprintf(stderr, "iceberg_commits: N must be a positive number of commits\n");
        return 2;
    }
    int N = (int)nn;
    char uri[4096];
    snprintf(uri, sizeof uri, "sqlite:%s/catalog.db", dir);

    floe_err err = {0};
    floe_catalog_handle *h = floe_open_catalog(uri, dir, &err);
    if (!h) return fail("opening the catalog", &err);
    floe_table_create_opts o = {SCHEMA, NULL, (const char *const *)argv + 3, argc - 3, NULL};
    if (floe_namespace_create(h, "bench", NULL, 0, &err) || floe_create_table(h, "bench.commits", &o, &err))
        return fail("creating bench.commits", &err);
    floe_table *t = floe_table_load(h->catalog, "bench", "commits", &err);
    if (!t) return fail("loading bench.commits", &err);
    real_write = t->io->write;
    t->io->write = counting_write;

    int64_t *us = floe_xcalloc((size_t)N, sizeof *us), *total = floe_xcalloc((size_t)N, sizeof *total);
    int64_t *cpu = floe_xcalloc((size_t)N, sizeof *cpu);
    int64_t *kind[NKINDS];
    for (int k = 0; k < NKINDS; k++) kind[k] = floe_xcalloc((size_t)N, sizeof *kind[k]);
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/commits.csv", dir);
    FILE *out = fopen(csv, "w");
    if (!out) {
        perror(csv);
        return 1;
    }
    fprintf(out, "commit,us,cpu_us,bytes,json_bytes,list_bytes,manifest_bytes\n");
    for (int i = 0; i < N; i++) {
        int64_t b[NKINDS];
        if (commit_one(t, i, &us[i], &cpu[i], b, &err)) {
            fprintf(stderr, "iceberg_commits: commit %d: %s\n", i + 1, err.msg);
            return 1;
        }
        total[i] = b[KIND_JSON] + b[KIND_LIST] + b[KIND_MANIFEST];
        for (int k = 0; k < NKINDS; k++) kind[k][i] = b[k];
        fprintf(out, "%d,%lld,%lld,%lld,%lld,%lld,%lld\n", i + 1, (long long)us[i], (long long)cpu[i],
                (long long)total[i],
                (long long)b[KIND_JSON], (long long)b[KIND_LIST], (long long)b[KIND_MANIFEST]);
        if ((i + 1) % 1000 == 0) fprintf(stderr, "iceberg_commits: %d commits\n", i + 1);
    }
    if (fclose(out) != 0) {
        perror(csv);
        return 1;
    }

    printf("| after commits | median ms | median CPU ms | median bytes | mean bytes | median metadata JSON "
           "| median manifest list | median manifests |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int first = -1, last = -1;
    for (int at = 10; at <= N; at *= 10) {
        char label[32];
        snprintf(label, sizeof label, "%d", at);
        print_row(label, us, cpu, total, kind, at - WINDOW, WINDOW);
        if (first < 0) first = at - WINDOW;
        last = at - WINDOW;
    }
    if (first >= 0 && last > first)
        printf("\nratio %d vs 10 commits: latency %.2fx, metadata bytes %.2fx, CPU %.2fx\n", last + WINDOW,
               median(us + last, WINDOW) / median(us + first, WINDOW),
               median(total + last, WINDOW) / median(total + first, WINDOW),
               median(cpu + last, WINDOW) / median(cpu + first, WINDOW));
    for (int k = 0; k < NKINDS; k++) free(kind[k]);
    free(us);
    free(cpu);
    free(total);
    floe_table_free(t);
    floe_close_catalog(h);
    return 0;
}
