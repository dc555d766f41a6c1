/*
 * cli_ingest.c — `floe ingest`: NDJSON from a file or standard input into
 * an Iceberg table, one snapshot per commit interval (floe_ingest in
 * floe/table.h does the work; this parses the options and reports).
 *
 * The report goes to standard output on success; on failure the error
 * (naming the input, line and field) goes to standard error followed by
 * what was committed before it, since those batches stay in the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_table.h"

static const char INGEST_HELP[] =
    "Reads newline-delimited JSON records from FILE (standard input for '-') and\n"
    "appends them to table NAMESPACE.NAME, committing one snapshot per commit\n"
    "interval, per --commit-bytes of input, and at the end of the input.  Values\n"
    "take the forms in docs/ndjson.md.\n"
    "\n"
    "A table that does not exist is created, with its namespace, from a schema\n"
    "inferred from the first records (every field optional; strings that are all\n"
    "dates or timestamps become dates or timestamps), partitioned by\n"
    "--partition-by.  An existing table keeps its schema; its partition spec must\n"
    "equal --partition-by when that is given.\n"
    "\n"
    "A record that does not fit the schema stops the ingest with an error naming\n"
    "its line and field (exit 1): the files of its batch are deleted, and the\n"
    "batches committed before it stay in the table.  Fields the schema does not\n"
    "name are skipped and counted.\n"
    "\n"
    "options:\n"
    "  --table NAMESPACE.NAME     the table (required)\n"
    "  --partition-by SPEC        partition terms for a table created here, e.g.\n"
    "                             'day(ts), bucket(16, id)' (see floe table create)\n"
    "  --commit-interval-ms N     commit at least this often (default 60000)\n"
    "  --commit-bytes BYTES       also commit after this much input (a number, or\n"
    "                             one ending in K, M or G; default: no limit)\n"
    "\n" CLI_CATALOG_HELP;

static int run_ingest(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_ingest = {"ingest", "append NDJSON to an Iceberg table, committing as it goes",
                            "floe ingest --table NAMESPACE.NAME [--partition-by SPEC] [--commit-interval-ms N]\n"
                            "                   [--commit-bytes BYTES] FILE|-",
                            INGEST_HELP, run_ingest};

static int run_ingest(const cli_cmd *cmd, int argc, char **argv) {
    const char *table = NULL, *partition_by = NULL, *interval = NULL, *bytes = NULL;
    cli_opt extra[] = {{"--table", "NAMESPACE.NAME", &table, NULL},
                       {"--partition-by", "SPEC", &partition_by, NULL},
                       {"--commit-interval-ms", "N", &interval, NULL},
                       {"--commit-bytes", "BYTES", &bytes, NULL}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos,
                           &status))
        return status;
    if (!table) return cli_usage_error(cmd, "--table is required");
    floe_ingest_opts o = {0};
    o.table = table;
    o.partition_by = partition_by;
    long long ms = 0;
    if (interval && cli_parse_int(interval, 1, INT64_MAX, &ms))
        return cli_usage_error(cmd, "--commit-interval-ms: '%s' is not a positive number of milliseconds", interval);
    o.commit_interval_ms = ms;
    size_t nbytes = 0;
    if (bytes && cli_parse_size(bytes, &nbytes))
        return cli_usage_error(cmd, "--commit-bytes: '%s' is not a size in bytes", bytes);
    o.commit_bytes = (int64_t)nbytes;

    int is_stdin = strcmp(pos[0], "-") == 0;
    o.input_name = is_stdin ? "stdin" : pos[0];
    o.fd = is_stdin ? STDIN_FILENO : open(pos[0], O_RDONLY | O_CLOEXEC);
    if (o.fd < 0) return cli_fail("%s: %s", pos[0], strerror(errno));
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) {
        if (!is_stdin) close(o.fd);
        return CLI_EXIT_FAIL;
    }
    floe_ingest_result r = {0};
    floe_err err = {0};
    int rc = floe_ingest(c, &o, &r, &err);
    if (!is_stdin) close(o.fd);
    if (rc) {
        status = cli_fail("%s", err.msg);
        if (r.commits > 0)
            fprintf(stderr,
                    "floe: committed before the failure: %" PRId64 " records in %" PRId64 " commit%s (%" PRId64
                    " file%s)\n",
                    r.records, r.commits, r.commits == 1 ? "" : "s", r.files, r.files == 1 ? "" : "s");
        else fprintf(stderr, "floe: nothing was committed\n");
        return cli_close_catalog(c, status);
    }
    printf("ingested %" PRId64 " records into %s%s: %" PRId64 " commit%s, %" PRId64 " file%s, %" PRId64
           " bytes of input\n",
           r.records, table, r.created ? " (created the table)" : "", r.commits, r.commits == 1 ? "" : "s", r.files,
           r.files == 1 ? "" : "s", r.bytes);
    if (r.unknown_fields > 0)
        fprintf(stderr, "floe: note: %" PRId64 " field(s) of %s matched no schema field and were skipped\n",
                r.unknown_fields, o.input_name);
    return cli_close_catalog(c, 0);
}
