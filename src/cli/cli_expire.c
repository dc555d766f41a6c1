/*
 * cli_expire.c — `floe expire NS.T`: expires a table's snapshots
 * (floe_expire in floe/expire.h decides, commits and deletes the files
 * nothing reaches any more) and reports what went, as text or one JSON
 * object.
 *
 * Durations are a positive number with a unit: ms, s, m, h or d ("30s",
 * "15m", "6h", "3d"); --older-than D expires what was written before
 * now - D.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_table.h"
#include "floe/expire.h"
#include "util/clock.h"

static const char EXPIRE_HELP[] =
    "Expires snapshots of table NAMESPACE.NAME and deletes the files no remaining\n"
    "snapshot reaches: manifest lists of the expired snapshots, manifests nothing\n"
    "lists any more, and data and delete files no remaining manifest lists as live.\n"
    "\n"
    "Without options the table's own settings decide (Iceberg's\n"
    "history.expire.max-snapshot-age-ms, default 5 days, and\n"
    "history.expire.min-snapshots-to-keep, default 1).  The head of every branch\n"
    "and tag always stays, branches' and tags' own min-snapshots-to-keep and\n"
    "max-snapshot-age-ms are honoured, and on main the newest snapshot carrying\n"
    "each floe.kafka.offsets.* progress marker stays, with the snapshots between\n"
    "it and the head.\n"
    "\n"
    "options:\n"
    "  --older-than DURATION   expire snapshots written more than DURATION ago\n"
    "                          (30s, 15m, 6h, 3d; also ms)\n"
    "  --retain-last N         keep the newest N snapshots of each branch; alone,\n"
    "                          everything older than those goes whatever its age;\n"
    "                          with --older-than, at least N stay\n"
    "  --dry-run               print what would be expired; change nothing\n"
    "  --json                  print one JSON object: {\"table\", \"dry-run\",\n"
    "                          \"expired-snapshot-ids\", \"retained-snapshots\",\n"
    "                          \"deleted-manifest-lists\", \"deleted-manifests\",\n"
    "                          \"deleted-data-files\", \"deleted-delete-files\",\n"
    "                          \"deleted-statistics-files\", \"delete-failures\",\n"
    "                          \"cleanup-error\" (null when cleanup finished)}\n"
    "\n" CLI_CATALOG_HELP;

static void print_json(const char *table, const floe_expire_result *r, int dry_run) {
    printf("{\"table\":");
    cli_put_json_string(stdout, table, strlen(table));
    printf(",\"dry-run\":%s,\"expired-snapshot-ids\":[", dry_run ? "true" : "false");
    for (int i = 0; i < r->nexpired; i++) printf("%s%" PRId64, i ? "," : "", r->expired[i]);
    printf("],\"retained-snapshots\":%d,\"deleted-manifest-lists\":%" PRId64 ",\"deleted-manifests\":%" PRId64
           ",\"deleted-data-files\":%" PRId64 ",\"deleted-delete-files\":%" PRId64
           ",\"deleted-statistics-files\":%" PRId64 ",\"delete-failures\":%" PRId64 ",\"cleanup-error\":",
           r->nretained, r->deleted_manifest_lists, r->deleted_manifests, r->deleted_data_files,
           r->deleted_delete_files, r->deleted_statistics_files, r->delete_failures);
    if (r->cleanup_error[0]) cli_put_json_string(stdout, r->cleanup_error, strlen(r->cleanup_error));
    else printf("null");
    printf("}\n");
}

static void print_text(const char *table, const floe_expire_result *r, int dry_run) {
    printf("%s %d snapshot%s of %s; %d remain%s\n", dry_run ? "would expire" : "expired", r->nexpired,
           r->nexpired == 1 ? "" : "s", table, r->nretained, r->nretained == 1 ? "s" : "");
    for (int i = 0; i < r->nexpired; i++) printf("  %" PRId64 "\n", r->expired[i]);
    if (dry_run) return;
    printf("deleted: %" PRId64 " manifest list%s, %" PRId64 " manifest%s, %" PRId64 " data file%s, %" PRId64
           " delete file%s, %" PRId64 " statistics file%s\n",
           r->deleted_manifest_lists, r->deleted_manifest_lists == 1 ? "" : "s", r->deleted_manifests,
           r->deleted_manifests == 1 ? "" : "s", r->deleted_data_files, r->deleted_data_files == 1 ? "" : "s",
           r->deleted_delete_files, r->deleted_delete_files == 1 ? "" : "s", r->deleted_statistics_files,
           r->deleted_statistics_files == 1 ? "" : "s");
    if (r->delete_failures) printf("could not delete %" PRId64 " file(s); they are left as orphans\n", r->delete_failures);
}

static int run_expire(const cli_cmd *cmd, int argc, char **argv) {
    const char *older = NULL, *retain = NULL;
    int json = 0, dry_run = 0;
    cli_opt extra[] = {{"--older-than", "DURATION", &older, NULL},
                       {"--retain-last", "N", &retain, NULL},
                       {"--dry-run", NULL, NULL, &dry_run},
                       {"--json", NULL, NULL, &json}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) return status;
    floe_expire_opts o;
    memset(&o, 0, sizeof o);
    o.dry_run = dry_run;
    if (older) {
        int64_t d = cli_parse_duration(older);
        if (d < 0)
            return cli_usage_error(cmd, "--older-than: '%s' is not a duration (a positive number and ms, s, m, h or d)",
                                   older);
        o.now_ms = floe_wall_ms();
        o.older_than_ms = o.now_ms - d;
        if (o.older_than_ms <= 0) o.older_than_ms = 1;
    }
    if (retain) {
        long long n;
        if (cli_parse_int(retain, 1, INT32_MAX, &n) != 0)
            return cli_usage_error(cmd, "--retain-last: '%s' is not a positive number", retain);
        o.retain_last = n;
    }
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_expire_result r;
    floe_err err = {0};
    if (floe_expire(c, pos[0], &o, &r, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) print_json(pos[0], &r, dry_run);
    else print_text(pos[0], &r, dry_run);
    if (r.cleanup_error[0] && !json)
        fprintf(stderr, "floe: warning: the snapshots are expired, but cleanup stopped: %s\n", r.cleanup_error);
    floe_expire_result_free(&r);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_expire = {"expire", "expire a table's old snapshots and delete unreachable files",
                            "floe expire NAMESPACE.NAME [--older-than DURATION] [--retain-last N] [--dry-run] "
                            "[--json]",
                            EXPIRE_HELP, run_expire};
