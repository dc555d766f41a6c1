/*
 * cli_compact.c — `floe compact NS.T`: rewrites a table's small data files
 * into files near the target size (floe_compact in floe/maintenance.h
 * plans, rewrites with deletes applied and commits one `replace` snapshot
 * per group) and reports what it did, as text or one JSON object.
 *
 * With a terminal on stderr a progress bar is redrawn in place (\r) while
 * the groups are rewritten; it is erased before the report.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_table.h"
#include "floe/maintenance.h"

static const char COMPACT_HELP[] =
    "Compacts table NAMESPACE.NAME: in each partition, data files smaller than the\n"
    "small-file size are packed into groups of about the target size and each group\n"
    "is rewritten as new files (columns matched by field id onto the current schema,\n"
    "position and equality deletes applied), committed as its own `replace`\n"
    "snapshot.  Delete files that no remaining data file needs are dropped.  A group\n"
    "whose input files a concurrent commit removed is given up (its files are\n"
    "deleted); concurrent appends are kept.\n"
    "\n"
    "options:\n"
    "  --target-size BYTES  size of the files written (default: the table's\n"
    "                       write.target-file-size-bytes, else 512M); 64M, 1G, ...\n"
    "  --small-size BYTES   files below this are rewritten (default 75% of the target)\n"
    "  --min-files N        compact a partition once it has N small files, or any\n"
    "                       delete file applying to them (default 5)\n"
    "  --sort               sort rows by the table's sort order while rewriting\n"
    "                       (holds a group's rows in memory)\n"
    "  --partition TEXT     only partitions whose path (ts_day=2024-05-01/...)\n"
    "                       contains TEXT\n"
    "  --max-bytes BYTES    read at most this much input in this run\n"
    "  --json               print one JSON object: {\"table\", \"groups\",\n"
    "                       \"groups-committed\", \"groups-skipped\",\n"
    "                       \"files-rewritten\", \"delete-files-removed\",\n"
    "                       \"files-written\", \"bytes-read\", \"bytes-written\",\n"
    "                       \"rows-read\", \"rows-written\", \"snapshots\",\n"
    "                       \"elapsed-ms\"}\n"
    "\n" CLI_CATALOG_HELP;

static int on_progress(void *ctx, const char *what, int64_t done, int64_t total) {
    (void)what;
    cli_progress_draw(ctx, "compacting", done, total, "%.1f / %.1f MB", (double)done / 1e6, (double)total / 1e6);
    return 0;
}

static void print_json(const char *table, const floe_compact_result *r) {
    printf("{\"table\":");
    cli_put_json_string(stdout, table, strlen(table));
    printf(",\"groups\":%" PRId64 ",\"groups-committed\":%" PRId64 ",\"groups-skipped\":%" PRId64
           ",\"files-rewritten\":%" PRId64 ",\"delete-files-removed\":%" PRId64 ",\"files-written\":%" PRId64
           ",\"bytes-read\":%" PRId64 ",\"bytes-written\":%" PRId64 ",\"rows-read\":%" PRId64
           ",\"rows-written\":%" PRId64 ",\"snapshots\":%" PRId64 ",\"elapsed-ms\":%" PRId64 "}\n",
           r->groups, r->groups_committed, r->groups_skipped, r->files_rewritten, r->delete_files_removed,
           r->files_written, r->bytes_read, r->bytes_written, r->rows_read, r->rows_written, r->snapshots,
           r->elapsed_ms);
}

static void print_text(const char *table, const floe_compact_result *r) {
    if (r->groups == 0) {
        printf("%s: nothing to compact\n", table);
        return;
    }
    double secs = (double)r->elapsed_ms / 1000.0;
    printf("%s: rewrote %" PRId64 " data file%s (%.1f MB) into %" PRId64 " (%.1f MB) in %" PRId64 " of %" PRId64
           " group%s, %.2f s (%.1f MB/s)\n",
           table, r->files_rewritten, r->files_rewritten == 1 ? "" : "s", (double)r->bytes_read / 1e6,
           r->files_written, (double)r->bytes_written / 1e6, r->groups_committed, r->groups,
           r->groups == 1 ? "" : "s", secs, secs > 0 ? (double)r->bytes_read / 1e6 / secs : 0.0);
    printf("rows: %" PRId64 " read, %" PRId64 " written", r->rows_read, r->rows_written);
    if (r->rows_read > r->rows_written) printf(" (%" PRId64 " deleted by delete files)", r->rows_read - r->rows_written);
    printf("; %" PRId64 " delete file%s removed; %" PRId64 " snapshot%s\n", r->delete_files_removed,
           r->delete_files_removed == 1 ? "" : "s", r->snapshots, r->snapshots == 1 ? "" : "s");
    if (r->groups_skipped)
        printf("%" PRId64 " group%s given up: a concurrent commit removed some of their files\n", r->groups_skipped,
               r->groups_skipped == 1 ? "" : "s");
    if (r->groups_committed + r->groups_skipped < r->groups)
        printf("%" PRId64 " group%s left for a later run (--max-bytes)\n",
               r->groups - r->groups_committed - r->groups_skipped,
               r->groups - r->groups_committed - r->groups_skipped == 1 ? "" : "s");
}

static int size_opt(const cli_cmd *cmd, const char *name, const char *v, int64_t *out) {
    size_t n;
    if (!v) return 0;
    if (cli_parse_size(v, &n) != 0 || n > (size_t)INT64_MAX)
        return cli_usage_error(cmd, "%s: '%s' is not a size (bytes, or with k, M, G)", name, v);
    *out = (int64_t)n;
    return 0;
}

static int run_compact(const cli_cmd *cmd, int argc, char **argv) {
    const char *target = NULL, *small = NULL, *min_files = NULL, *partition = NULL, *max_bytes = NULL;
    int json = 0, sort = 0;
    cli_opt extra[] = {{"--target-size", "BYTES", &target, NULL}, {"--small-size", "BYTES", &small, NULL},
                       {"--min-files", "N", &min_files, NULL},    {"--sort", NULL, NULL, &sort},
                       {"--partition", "TEXT", &partition, NULL}, {"--max-bytes", "BYTES", &max_bytes, NULL},
                       {"--json", NULL, NULL, &json}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) return status;
    floe_compact_opts o;
    memset(&o, 0, sizeof o);
    int rc;
    if ((rc = size_opt(cmd, "--target-size", target, &o.target_file_bytes)) ||
        (rc = size_opt(cmd, "--small-size", small, &o.small_file_bytes)) ||
        (rc = size_opt(cmd, "--max-bytes", max_bytes, &o.max_input_bytes)))
        return rc;
    if (min_files) {
        long long n;
        if (cli_parse_int(min_files, 1, INT32_MAX, &n) != 0)
            return cli_usage_error(cmd, "--min-files: '%s' is not a positive number", min_files);
        o.min_input_files = (int)n;
    }
    o.sort = sort;
    o.partition_filter = partition;
    cli_progress b = {0, 0};
    if (isatty(STDERR_FILENO)) {
        o.progress = on_progress;
        o.progress_ctx = &b;
    }
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_compact_result r;
    floe_err err = {0};
    rc = floe_compact(c, pos[0], &o, &r, &err);
    cli_progress_clear(&b, 70);
    if (rc) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) print_json(pos[0], &r);
    else print_text(pos[0], &r);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_compact = {"compact", "rewrite a table's small data files into larger ones",
                             "floe compact NAMESPACE.NAME [--target-size BYTES] [--small-size BYTES] "
                             "[--min-files N] [--sort] [--partition TEXT] [--max-bytes BYTES] [--json]",
                             COMPACT_HELP, run_compact};
