/*
 * cli_scan.c — `floe table scan`: a table's rows as NDJSON, optionally
 * filtered (--where, which also prunes files), projected (--columns),
 * limited (--limit) and read as of an earlier snapshot (--snapshot,
 * --as-of).  floe_table_scan (floe/table.h) plans and reads; rows go to
 * standard output as they come, and with --stats what the planner read and
 * pruned goes to standard error.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_table.h"

static const char SCAN_HELP[] =
    "Prints the rows of a table as newline-delimited JSON, one object per row with\n"
    "the columns in schema order, values in the forms of docs/ndjson.md.  Delete\n"
    "files are applied.\n"
    "\n"
    "options:\n"
    "  --where EXPR       only rows matching EXPR, e.g.\n"
    "                       \"id > 5 AND country IN ('DE', 'FR')\"\n"
    "                       \"ts >= '2026-01-02T00:00:00Z' OR loc.lat IS NULL\"\n"
    "                     with =, !=, <>, <, <=, >, >=, IS [NOT] NULL, IS [NOT] NAN,\n"
    "                     [NOT] IN (...), NOT, AND, OR and parentheses; a 'string'\n"
    "                     takes its column's type (dates, timestamps, decimals, UUIDs).\n"
    "                     Data files whose partitions or column bounds rule out a\n"
    "                     match are not read.\n"
    "  --snapshot ID      read snapshot ID instead of the current one\n"
    "  --as-of TIME       read the snapshot that was current at TIME: an ISO time\n"
    "                     (UTC unless it has an offset), a date, or epoch milliseconds\n"
    "  --columns A,B.C    only these columns (dotted paths for struct fields)\n"
    "  --limit N          stop after N rows\n"
    "  --stats            print what was read and pruned to standard error\n"
    "\n" CLI_CATALOG_HELP;

static int run_scan(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_table_scan = {"table scan", "print a table's rows as NDJSON",
                                "floe table scan NAMESPACE.NAME [--where EXPR] [--snapshot ID | --as-of TIME]\n"
                                "                       [--columns A,B.C] [--limit N] [--stats]",
                                SCAN_HELP, run_scan};

static int put_row(void *ctx, const char *json, size_t len, floe_err *err) {
    fwrite(json, 1, len, stdout);
    putchar('\n');
    return 0;
}

/* Splits "a, b.c" into its names, blanks around them dropped (copies in
 * *buf, pointers in *names); the count, or -1 when a name is empty. */
static int split_columns(const char *list, char **buf, const char ***names) {
    size_t n = 1;
    for (const char *p = list; *p; p++) n += *p == ',';
    *buf = strdup(list);
    *names = calloc(n, sizeof **names);
    if (!*buf || !*names) return -1;
    int k = 0;
    for (char *p = *buf, *save = NULL;; p = NULL) {
        char *tok = strtok_r(p, ",", &save);
        if (!tok) break;
        while (*tok == ' ') tok++;
        for (char *end = tok + strlen(tok); end > tok && end[-1] == ' ';) *--end = '\0';
        if (!*tok) return -1;
        (*names)[k++] = tok;
    }
    /* strtok_r skips empty fields; a list with one ("a,,b", "a,") is a mistake. */
    return (size_t)k == n ? k : -1;
}

static int run_scan(const cli_cmd *cmd, int argc, char **argv) {
    const char *where = NULL, *snap = NULL, *as_of = NULL, *columns = NULL, *limit = NULL;
    int stats = 0;
    cli_opt extra[] = {{"--where", "EXPR", &where, NULL},   {"--snapshot", "ID", &snap, NULL},
                       {"--as-of", "TIME", &as_of, NULL},   {"--columns", "A,B.C", &columns, NULL},
                       {"--limit", "N", &limit, NULL},      {"--stats", NULL, NULL, &stats}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos,
                           &status))
        return status;
    floe_scan_opts o = {0};
    o.where = where;
    o.as_of = as_of;
    long long v;
    if (snap && as_of) return cli_usage_error(cmd, "--snapshot and --as-of exclude each other");
    if (snap) {
        if (cli_parse_int(snap, INT64_MIN, INT64_MAX, &v))
            return cli_usage_error(cmd, "--snapshot: '%s' is not a snapshot id", snap);
        o.has_snapshot = 1;
        o.snapshot_id = (int64_t)v;
    }
    if (limit) {
        if (cli_parse_int(limit, 1, INT64_MAX, &v))
            return cli_usage_error(cmd, "--limit: '%s' is not a positive number of rows", limit);
        o.limit = (int64_t)v;
    }
    char *colbuf = NULL;
    const char **names = NULL;
    if (columns) {
        int n = split_columns(columns, &colbuf, &names);
        if (n < 0) {
            free(colbuf);
            free(names);
            return cli_usage_error(cmd, "--columns: '%s' is not a comma-separated list of columns", columns);
        }
        o.columns = names;
        o.ncolumns = n;
    }
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) {
        status = CLI_EXIT_FAIL;
    } else {
        floe_scan_result r;
        floe_err err = {0};
        if (floe_table_scan(c, pos[0], &o, put_row, NULL, &r, &err)) {
            fflush(stdout);
            status = cli_fail("%s", err.msg);
        } else {
            status = 0;
            if (stats)
                fprintf(stderr,
                        "floe: scan of snapshot %" PRId64 ": manifests %" PRId64 " (%" PRId64
                        " skipped), data files %" PRId64 " (%" PRId64 " skipped), delete files %" PRId64
                        ", files read %" PRId64 ", rows read %" PRId64 ", rows deleted %" PRId64
                        ", rows returned %" PRId64 "\n",
                        r.snapshot_id, r.manifests, r.manifests_skipped, r.files, r.files_skipped, r.delete_files,
                        r.files_read, r.rows_read, r.rows_deleted, r.rows);
        }
        status = cli_close_catalog(c, status);
    }
    free(colbuf);
    free(names);
    return status;
}
