/*
 * cli_maintenance.c — `floe clean NS.T` (orphan files), `floe
 * rewrite-manifests NS.T` and `floe table health NS.T`: each parses its
 * options, makes one call into floe/maintenance.h and prints the result as
 * text for people or, with --json, as one JSON object.
 *
 * The health report draws its file-size histogram with one bar per
 * power-of-two bucket, scaled to the fullest bucket.  clean, which may
 * delete many files, redraws a progress bar in place on stderr when
 * stderr is a terminal (nothing otherwise), erased before the report.
 *
 * Durations are a positive number with a unit, as for `floe expire`:
 * ms, s, m, h or d ("30s", "6h", "3d").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_table.h"
#include "floe/maintenance.h"
#include "util/clock.h"

/* ---- shared ---------------------------------------------------------------------------- */

/* "12.3 MiB", "512 B" */
static void fmt_bytes(int64_t n, char *buf, size_t size) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0) snprintf(buf, size, "%" PRId64 " B", n);
    else snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* 2^k as "512 B", "1 KiB", "64 MiB" */
static void fmt_pow2(int k, char *buf, size_t size) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = k / 10 < 4 ? k / 10 : 4;
    snprintf(buf, size, "%lld %s", 1LL << (k - 10 * u), units[u]);
}

static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

/* ---- floe clean ------------------------------------------------------------------------- */

static const char CLEAN_HELP[] =
    "Deletes orphan files of table NAMESPACE.NAME: files under the table's location\n"
    "that no metadata reaches (not the current or a logged metadata file, no\n"
    "snapshot's manifest list, no manifest, no data, delete or statistics file any\n"
    "manifest or the metadata names) and that were last modified before the safety\n"
    "window.  The window keeps the files of commits still in flight (written, not\n"
    "yet committed): keep it longer than any commit can take.  A SQLite database\n"
    "under the location is never deleted.\n"
    "\n"
    "options:\n"
    "  --older-than DURATION   the safety window: only files older than this go\n"
    "                          (default 3d; 30s, 15m, 6h, 3d; also ms)\n"
    "  --dry-run               list what would be deleted; delete nothing\n"
    "  --json                  print one JSON object: {\"table\", \"dry-run\",\n"
    "                          \"older-than-ms\" (the cutoff, ms since the epoch),\n"
    "                          \"files-listed\", \"files-referenced\",\n"
    "                          \"young-skipped\", \"orphans\", \"orphan-bytes\",\n"
    "                          \"paths\"}\n"
    "\n" CLI_CATALOG_HELP;

typedef struct clean_progress {
    cli_progress bar;
    int dry_run;
} clean_progress;

static int on_progress(void *ctx, const char *what, int64_t done, int64_t total) {
    clean_progress *b = ctx;
    /* padded to one width, so the bar does not move between the phases */
    const char *label = strcmp(what, "files") != 0 ? "reading manifests "
                        : b->dry_run                ? "checking orphans  "
                                                    : "deleting orphans  ";
    cli_progress_draw(&b->bar, label, done, total, "%" PRId64 " / %" PRId64 " %s ", done, total, what);
    return 0;
}

static void clean_json(const char *table, const floe_clean_result *r, int dry_run, int64_t cutoff) {
    printf("{\"table\":");
    cli_put_json_string(stdout, table, strlen(table));
    printf(",\"dry-run\":%s,\"older-than-ms\":%" PRId64 ",\"files-listed\":%" PRId64 ",\"files-referenced\":%" PRId64
           ",\"young-skipped\":%" PRId64 ",\"orphans\":%" PRId64 ",\"orphan-bytes\":%" PRId64 ",\"paths\":[",
           dry_run ? "true" : "false", cutoff, r->files_listed, r->files_referenced, r->young_skipped, r->orphans,
           r->orphan_bytes);
    for (int i = 0; i < r->npaths; i++) {
        if (i) putchar(',');
        cli_put_json_string(stdout, r->paths[i], strlen(r->paths[i]));
    }
    printf("]}\n");
}

static void clean_text(const char *table, const floe_clean_result *r, int dry_run, const char *window) {
    char size[32];
    fmt_bytes(r->orphan_bytes, size, sizeof size);
    printf("%s: %" PRId64 " file%s under the location, %" PRId64 " referenced, %" PRId64
           " unreferenced but younger than %s (kept)\n",
           table, r->files_listed, plural(r->files_listed), r->files_referenced, r->young_skipped, window);
    printf("%s %" PRId64 " orphan file%s (%s)%s\n", dry_run ? "would delete" : "deleted", r->orphans,
           plural(r->orphans), size, r->npaths ? ":" : "");
    for (int i = 0; i < r->npaths; i++) printf("  %s\n", r->paths[i]);
}

static int run_clean(const cli_cmd *cmd, int argc, char **argv) {
    const char *older = NULL;
    int json = 0, dry_run = 0;
    cli_opt extra[] = {{"--older-than", "DURATION", &older, NULL},
                       {"--dry-run", NULL, NULL, &dry_run},
                       {"--json", NULL, NULL, &json}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) return status;
    int64_t window = (int64_t)3 * 24 * 3600 * 1000;
    if (older && (window = cli_parse_duration(older)) < 0)
        return cli_usage_error(cmd, "--older-than: '%s' is not a duration (a positive number and ms, s, m, h or d)",
                               older);
    floe_clean_opts o;
    memset(&o, 0, sizeof o);
    o.dry_run = dry_run;
    o.older_than_ms = floe_wall_ms() - window;
    if (o.older_than_ms <= 0) o.older_than_ms = 1;
    clean_progress b = {{0, 0}, dry_run};
    if (isatty(STDERR_FILENO)) {
        o.progress = on_progress;
        o.progress_ctx = &b;
    }
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_clean_result r;
    floe_err err = {0};
    int rc = floe_clean(c, pos[0], &o, &r, &err);
    cli_progress_clear(&b.bar, 79);
    if (rc) {
        floe_clean_result_free(&r);
        return cli_close_catalog(c, cli_fail("%s", err.msg));
    }
    if (json) clean_json(pos[0], &r, dry_run, o.older_than_ms);
    else clean_text(pos[0], &r, dry_run, older ? older : "3d");
    floe_clean_result_free(&r);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_clean = {"clean", "delete a table's orphan files (files no metadata reaches)",
                           "floe clean NAMESPACE.NAME [--older-than DURATION] [--dry-run] [--json]", CLEAN_HELP,
                           run_clean};

/* ---- floe rewrite-manifests --------------------------------------------------------------- */

static const char REWRITE_HELP[] =
    "Regroups the manifests of table NAMESPACE.NAME: the live entries of the current\n"
    "snapshot are sorted by partition and written into manifests of about\n"
    "commit.manifest.target-size-bytes (default 8 MiB) each, data and delete files\n"
    "apart, and committed as a `replace` snapshot.  No data file changes; entries\n"
    "keep their snapshot ids and sequence numbers.  Readers then open fewer\n"
    "manifests and prune whole manifests by partition.  Nothing is committed when\n"
    "the manifests are already few and clustered.  A concurrent append is kept: the\n"
    "rewrite rebases onto it.\n"
    "\n"
    "options:\n"
    "  --json   print one JSON object: {\"table\", \"manifests-before\",\n"
    "           \"manifests-after\", \"entries\", \"snapshots\"}\n"
    "\n" CLI_CATALOG_HELP;

static int run_rewrite(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    cli_opt extra[] = {{"--json", NULL, NULL, &json}};
    char *pos[1];
    int npos, status;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, extra, CLI_NOPTS(extra), pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_rewrite_manifests_result r;
    floe_err err = {0};
    if (floe_rewrite_manifests(c, pos[0], &r, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) {
        printf("{\"table\":");
        cli_put_json_string(stdout, pos[0], strlen(pos[0]));
        printf(",\"manifests-before\":%" PRId64 ",\"manifests-after\":%" PRId64 ",\"entries\":%" PRId64
               ",\"snapshots\":%" PRId64 "}\n",
               r.manifests_before, r.manifests_after, r.entries, r.snapshots);
    } else if (r.snapshots == 0) {
        printf("%s: %" PRId64 " manifest%s, already clustered; nothing to rewrite\n", pos[0], r.manifests_before,
               plural(r.manifests_before));
    } else {
        printf("%s: rewrote %" PRId64 " manifest%s into %" PRId64 " (%" PRId64 " entr%s)\n", pos[0],
               r.manifests_before, plural(r.manifests_before), r.manifests_after, r.entries,
               r.entries == 1 ? "y" : "ies");
    }
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_rewrite_manifests = {"rewrite-manifests", "regroup a table's manifests by partition",
                                       "floe rewrite-manifests NAMESPACE.NAME [--json]", REWRITE_HELP, run_rewrite};

/* ---- floe table health --------------------------------------------------------------------- */

static const char HEALTH_HELP[] =
    "Reports the health of table NAMESPACE.NAME: data and delete files of the\n"
    "current snapshot, a histogram of file sizes (power-of-two buckets), small files\n"
    "(below 75% of write.target-file-size-bytes) per partition, snapshots,\n"
    "manifests, the size of the current metadata file, and what maintenance would\n"
    "do next: compact partitions with 5 or more small files or any delete file,\n"
    "expire snapshots beyond floe's bounded history (floe.history.*, or the\n"
    "table's history.expire.* settings when the bound is off), rewrite manifests\n"
    "when a rewrite would leave at least 10 fewer.\n"
    "\n"
    "options:\n"
    "  --top N  partitions to list, most small files first (default 10; 0: all)\n"
    "  --json   print the whole report as one JSON object: {\"table\", \"data-files\",\n"
    "           \"delete-files\", \"small-files\", \"small-file-ratio\", \"bytes\",\n"
    "           \"records\" (of the data files), \"target-file-bytes\",\n"
    "           \"small-file-bytes\", \"median-file-bytes\", \"size-histogram\"\n"
    "           ([{\"min-bytes\", \"max-bytes\", \"files\"}], non-empty buckets),\n"
    "           \"partitions\" ([{\"partition\", \"data-files\", \"small-files\",\n"
    "           \"delete-files\", \"bytes\", \"records\", \"small-file-ratio\"}], every\n"
    "           partition), \"snapshots\", \"manifests\", \"metadata-bytes\",\n"
    "           \"oldest-snapshot-ms\", \"current-snapshot-ms\", \"next-actions\"}\n"
    "\n" CLI_CATALOG_HELP;

static void health_text(const char *table, const floe_table_health *h, int top) {
    char a[32], b[32], c[32];
    printf("table %s\n", table);
    fmt_bytes(h->bytes, a, sizeof a);
    fmt_bytes(h->median_file_bytes, b, sizeof b);
    printf("  data files     %" PRId64 " (%s, %" PRId64 " records; median file %s)\n", h->data_files, a, h->records,
           b);
    fmt_bytes(h->small_file_bytes, a, sizeof a);
    fmt_bytes(h->target_file_bytes, b, sizeof b);
    printf("  small files    %" PRId64 " (%.0f%%; below %s, 75%% of the %s target)\n", h->small_files,
           h->data_files ? 100.0 * (double)h->small_files / (double)h->data_files : 0.0, a, b);
    printf("  delete files   %" PRId64 "\n", h->delete_files);
    if (h->snapshots) {
        char t0[32], t1[32];
        cli_format_ms(h->oldest_snapshot_ms, t0, sizeof t0);
        cli_format_ms(h->current_snapshot_ms, t1, sizeof t1);
        printf("  snapshots      %" PRId64 " (oldest %s, current %s)\n", h->snapshots, t0, t1);
    } else {
        printf("  snapshots      0\n");
    }
    printf("  manifests      %" PRId64 "\n", h->manifests);
    fmt_bytes(h->metadata_bytes, c, sizeof c);
    printf("  metadata file  %s\n", c);

    int64_t most = 0;
    int lo = -1, hi = -1;
    for (int k = 0; k < 48; k++)
        if (h->size_hist[k]) {
            if (lo < 0) lo = k;
            hi = k;
            if (h->size_hist[k] > most) most = h->size_hist[k];
        }
    if (lo >= 0) {
        printf("\nfile sizes (data files)\n");
        for (int k = lo; k <= hi; k++) {
            if (k == 0) snprintf(a, sizeof a, "0 B");
            else fmt_pow2(k, a, sizeof a);
            fmt_pow2(k + 1, b, sizeof b);
            int width = h->size_hist[k] ? (int)((h->size_hist[k] * 40 + most - 1) / most) : 0;
            char cells[41];
            memset(cells, '#', (size_t)width);
            cells[width] = '\0';
            printf("  %9s - %-9s %-40s %" PRId64 "\n", a, b, cells, h->size_hist[k]);
        }
    }
    if (h->npartitions > 0 && !(h->npartitions == 1 && !h->partitions[0].partition[0])) {
        int n = top > 0 && top < h->npartitions ? top : h->npartitions;
        int w = 9;
        for (int i = 0; i < n; i++)
            if ((int)strlen(h->partitions[i].partition) > w) w = (int)strlen(h->partitions[i].partition);
        if (w > 60) w = 60;
        printf("\npartitions (%d of %d, most small files first)\n", n, h->npartitions);
        printf("  %-*s %8s %8s %6s %8s %11s %12s\n", w, "partition", "files", "small", "small%", "deletes", "bytes",
               "records");
        for (int i = 0; i < n; i++) {
            const floe_partition_health *p = &h->partitions[i];
            fmt_bytes(p->bytes, a, sizeof a);
            printf("  %-*s %8" PRId64 " %8" PRId64 " %5.0f%% %8" PRId64 " %11s %12" PRId64 "\n", w, p->partition,
                   p->data_files, p->small_files,
                   p->data_files ? 100.0 * (double)p->small_files / (double)p->data_files : 0.0, p->delete_files, a,
                   p->records);
        }
    }
    printf("\nnext actions\n");
    if (!h->nnext_actions) printf("  none: the table is healthy\n");
    for (int i = 0; i < h->nnext_actions; i++) printf("  %s\n", h->next_actions[i]);
}

static int run_health(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    const char *top = NULL;
    cli_opt extra[] = {{"--top", "N", &top, NULL}, {"--json", NULL, NULL, &json}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) return status;
    long long ntop = 10;
    if (top && cli_parse_int(top, 0, INT32_MAX, &ntop) != 0)
        return cli_usage_error(cmd, "--top: '%s' is not a number", top);
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_table_health h;
    floe_err err = {0};
    if (floe_table_health_get(c, pos[0], &h, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) printf("%s\n", h.json);
    else health_text(pos[0], &h, (int)ntop);
    floe_table_health_free(&h);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_health = {"table health", "report a table's files, history and what maintenance would do",
                                  "floe table health NAMESPACE.NAME [--top N] [--json]", HEALTH_HELP, run_health};
