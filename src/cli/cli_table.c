/*
 * cli_table.c — the `floe table` commands: create, list, describe,
 * snapshots, files, drop and rename (scan is in cli_scan.c); plus what
 * every catalog command shares (cli_table.h): the --catalog/--warehouse
 * options (and --catalog-token/-credential/-warehouse for a REST catalog),
 * opening the catalog, checking --property values, formatting
 * timestamps.
 *
 * Each command parses its arguments, checks them before it touches the
 * catalog (a usage error never creates a warehouse), makes one call into
 * the table façade (floe/table.h) and prints what comes back: aligned text
 * for people, or with --json one JSON document (describe: the façade's
 * object; snapshots and files: an array, one element per line) whose keys
 * follow the Iceberg spec's spelling.  Snapshot ids are printed exactly; a
 * reader that needs them exact must not round them to doubles.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_table.h"

/* ---- shared by the catalog commands -------------------------------------- */

/* The REST options of the command line: cli_parse_catalog keeps them for
 * cli_open_catalog (a floe process opens one catalog). */
static cli_catalog_args rest_opts;

floe_catalog_handle *cli_open_catalog(const char *uri, const char *warehouse) {
    floe_err err = {0};
    const char *const keys[3] = {"token", "credential", "warehouse"};
    const char *vals[3] = {rest_opts.token, rest_opts.credential, rest_opts.rest_warehouse};
    char *props[3];
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (!vals[i]) continue;
        size_t len = strlen(keys[i]) + strlen(vals[i]) + 2;
        props[n] = malloc(len);
        if (!props[n]) {
            for (int k = 0; k < n; k++) free(props[k]);
            cli_fail("out of memory");
            return NULL;
        }
        snprintf(props[n++], len, "%s=%s", keys[i], vals[i]);
    }
    floe_catalog_handle *c = floe_open_catalog_props(uri, warehouse, (const char *const *)props, n, &err);
    if (!c) cli_fail("%s", err.msg);
    for (int i = 0; i < n; i++) free(props[i]);
    return c;
}

int cli_parse_catalog(const cli_cmd *cmd, int argc, char **argv, const cli_opt *extra, int nextra,
                      cli_catalog_args *ca, char **pos, int min_pos, int max_pos, int *npos, int *status) {
    cli_opt opts[CLI_CATALOG_NOPTS + CLI_MAX_EXTRA_OPTS] = {CLI_CATALOG_OPTS(ca)};
    memset(ca, 0, sizeof *ca);
    for (int i = 0; i < nextra; i++) opts[CLI_CATALOG_NOPTS + i] = extra[i];
    int go = cli_parse(cmd, argc, argv, opts, CLI_CATALOG_NOPTS + nextra, pos, min_pos, max_pos, npos, status);
    rest_opts = *ca;
    return go;
}

floe_catalog_handle *cli_start(const cli_cmd *cmd, int argc, char **argv, const cli_opt *extra, int nextra,
                               char **pos, int min_pos, int max_pos, int *npos, int *status) {
    cli_catalog_args ca;
    if (!cli_parse_catalog(cmd, argc, argv, extra, nextra, &ca, pos, min_pos, max_pos, npos, status)) return NULL;
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) *status = CLI_EXIT_FAIL;
    return c;
}

int cli_run_list(const cli_cmd *cmd, int argc, char **argv,
                 int (*list)(floe_catalog_handle *c, const char *parent, char ***out, int *n, floe_err *err)) {
    char *pos[1], **names = NULL;
    int npos, status, n = 0;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, NULL, 0, pos, 0, 1, &npos, &status);
    if (!c) return status;
    floe_err err = {0};
    if (list(c, npos ? pos[0] : NULL, &names, &n, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    for (int i = 0; i < n; i++) puts(names[i]);
    floe_strv_free(names, n);
    return cli_close_catalog(c, 0);
}

int cli_check_props(const cli_cmd *cmd, const char *const *props, int n) {
    for (int i = 0; i < n; i++)
        if (!strchr(props[i], '=') || props[i][0] == '=')
            return cli_usage_error(cmd, "--property '%s': expected KEY=VALUE", props[i]);
    return 0;
}

void cli_format_ms(int64_t ms, char *buf, size_t size) {
    /* Floor division keeps times before 1970 right (-1 ms is 23:59:59.999). */
    int64_t secs = ms / 1000 - (ms % 1000 < 0);
    int frac = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    char day[64];
    if (!gmtime_r(&t, &tm) || !strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, size, "%" PRId64 " ms", ms);
        return;
    }
    snprintf(buf, size, "%s.%03dZ", day, frac);
}

int cli_close_catalog(floe_catalog_handle *c, int status) {
    floe_close_catalog(c);
    return cli_finish_stdout(status);
}

/* ---- printing helpers -------------------------------------------------------- */

static void put_str(const char *s) { cli_put_json_string(stdout, s, strlen(s)); }

/* A JSON array of n items of `size` bytes, one element per line. */
static void put_json_array(const void *items, size_t size, int n, void (*put)(const void *item)) {
    putchar('[');
    for (int i = 0; i < n; i++) {
        printf(i ? ",\n" : "\n");
        put((const char *)items + (size_t)i * size);
    }
    printf("%s]\n", n ? "\n" : "");
}

static const char *kv_get(const floe_kv *kv, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) return kv[i].value;
    return NULL;
}

/* ---- table create ------------------------------------------------------------ */

static const char CREATE_HELP[] =
    "Creates table NAMESPACE.NAME with the Iceberg schema in SCHEMA.json (the JSON\n"
    "form of the Iceberg table spec: a struct with fields, or the array of\n"
    "fields).  The namespace must exist (floe namespace create).  The table's\n"
    "files go under <warehouse>/<namespace>/<name>.\n"
    "\n"
    "options:\n"
    "  --schema SCHEMA.json     the schema (required)\n"
    "  --partition-by SPEC      partition terms, comma-separated: a column name\n"
    "                           (identity), year(c), month(c), day(c), hour(c),\n"
    "                           bucket(N, c), truncate(W, c) or void(c); e.g.\n"
    "                           'day(ts), bucket(16, id)' (default: unpartitioned)\n"
    "  --property KEY=VALUE     a table property; repeatable.  E.g.\n"
    "                           format-version=1, or\n"
    "                           commit.manifest.min-count-to-merge=50\n"
    "\n" CLI_CATALOG_HELP;

static int run_create(const cli_cmd *cmd, int argc, char **argv) {
    const char *schema_path = NULL, *partition_by = NULL;
    const char **props = calloc((size_t)argc + 1, sizeof *props);
    if (!props) return cli_fail("out of memory");
    int nprops = 0;
    cli_opt extra[] = {{"--schema", "SCHEMA.json", &schema_path, NULL},
                       {"--partition-by", "SPEC", &partition_by, NULL},
                       {"--property", "KEY=VALUE", props, &nprops}};
    cli_catalog_args ca;
    char *pos[1], *text = NULL;
    size_t len;
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) goto out;
    if (!schema_path) {
        status = cli_usage_error(cmd, "--schema is required");
        goto out;
    }
    if ((status = cli_check_props(cmd, props, nprops)) || (status = cli_read_small_file(schema_path, &text, &len)))
        goto out;
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) {
        status = CLI_EXIT_FAIL;
        goto out;
    }
    floe_table_create_opts o = {text, partition_by, props, nprops, NULL};
    floe_err err = {0};
    if (floe_create_table(c, pos[0], &o, &err)) status = cli_fail("%s", err.msg);
    else printf("created table %s\n", pos[0]);
    status = cli_close_catalog(c, status);
out:
    free(text);
    free(props);
    return status;
}

const cli_cmd cli_table_create = {
    "table create", "create an Iceberg table",
    "floe table create NAMESPACE.NAME --schema SCHEMA.json [--partition-by SPEC]\n"
    "                         [--property KEY=VALUE]...",
    CREATE_HELP, run_create};

/* ---- table list ---------------------------------------------------------------- */

static const char LIST_HELP[] =
    "Lists the tables of NAMESPACE, or of every namespace, one NAMESPACE.NAME per\n"
    "line, sorted.\n"
    "\n" CLI_CATALOG_HELP;

static int run_list(const cli_cmd *cmd, int argc, char **argv) { return cli_run_list(cmd, argc, argv, floe_table_list); }

const cli_cmd cli_table_list = {"table list", "list tables", "floe table list [NAMESPACE]", LIST_HELP, run_list};

/* ---- table describe ------------------------------------------------------------ */

static const char DESCRIBE_HELP[] =
    "Shows a table: its location, current metadata file, format version, current\n"
    "snapshot, schema (every column with its field id, type and nullability),\n"
    "partition spec, sort order and properties.\n"
    "\n"
    "options:\n"
    "  --json   print one JSON object instead: name, location, metadata-location,\n"
    "           table-uuid, format-version, last-updated-ms,\n"
    "           last-sequence-number, schema, partition-spec and sort-order (in\n"
    "           their Iceberg JSON forms), properties, current-snapshot-id,\n"
    "           snapshot-count\n"
    "\n" CLI_CATALOG_HELP;

static void describe_text(const floe_table_info *t) {
    char when[64];
    cli_format_ms(t->last_updated_ms, when, sizeof when);
    printf("table:             %s\n", t->name);
    printf("location:          %s\n", t->location);
    printf("metadata:          %s\n", t->metadata_location);
    printf("uuid:              %s\n", t->uuid);
    printf("format-version:    %d\n", t->format_version);
    printf("last-updated:      %s\n", when);
    printf("last-sequence:     %" PRId64 "\n", t->last_sequence_number);
    if (t->has_current_snapshot)
        printf("current snapshot:  %" PRId64 " (%d snapshot%s)\n", t->current_snapshot_id, t->nsnapshots,
               t->nsnapshots == 1 ? "" : "s");
    else printf("current snapshot:  none\n");

    int wpath = 4, wtype = 4;
    for (int i = 0; i < t->ncolumns; i++) {
        int w = (int)strlen(t->columns[i].path) + 2 * t->columns[i].depth;
        if (w > wpath) wpath = w;
        if ((int)strlen(t->columns[i].type) > wtype) wtype = (int)strlen(t->columns[i].type);
    }
    printf("\nschema %d:\n  %4s  %-*s  %-*s  %s\n", (int)t->schema_id, "id", wpath, "name", wtype, "type", "null");
    for (int i = 0; i < t->ncolumns; i++) {
        const floe_column_info *col = &t->columns[i];
        int indent = 2 * col->depth;
        printf("  %4d  %*s%-*s  %-*s  %s", (int)col->id, indent, "", wpath - indent, col->path, wtype, col->type,
               col->required ? "required" : "optional");
        if (col->doc) printf("  -- %s", col->doc);
        putchar('\n');
    }

    printf("\npartition spec %d:", (int)t->spec_id);
    if (!t->npartition) printf(" unpartitioned");
    putchar('\n');
    for (int i = 0; i < t->npartition; i++) {
        const floe_partition_field_info *p = &t->partition[i];
        printf("  %4d  %s = %s(%s)\n", (int)p->field_id, p->name, p->transform, p->source);
    }

    printf("\nsort order %d:", (int)t->sort_order_id);
    if (!t->nsort) printf(" unsorted");
    putchar('\n');
    for (int i = 0; i < t->nsort; i++) {
        const floe_sort_field_info *s = &t->sort[i];
        printf("  %s(%s) %s nulls %s\n", s->transform, s->source, s->descending ? "desc" : "asc",
               s->nulls_first ? "first" : "last");
    }

    printf("\nproperties:%s\n", t->nprops ? "" : " none");
    for (int i = 0; i < t->nprops; i++) printf("  %s=%s\n", t->props[i].key, t->props[i].value);
}

static int run_describe(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    cli_opt extra[] = {{"--json", NULL, NULL, &json}};
    char *pos[1];
    int npos, status;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, extra, CLI_NOPTS(extra), pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_table_info t;
    floe_err err = {0};
    if (floe_table_describe(c, pos[0], &t, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) printf("%s\n", t.json);
    else describe_text(&t);
    floe_table_info_free(&t);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_describe = {"table describe", "show a table's schema, partitioning and state",
                                    "floe table describe NAMESPACE.NAME [--json]", DESCRIBE_HELP, run_describe};

/* ---- table snapshots ----------------------------------------------------------- */

static const char SNAPSHOTS_HELP[] =
    "Lists a table's snapshots, oldest first; '*' marks the current one.  The text\n"
    "form shows each snapshot's id, parent, sequence number, time, operation and\n"
    "the records it added and the table then held.\n"
    "\n"
    "options:\n"
    "  --json   print a JSON array instead, one snapshot per line:\n"
    "           {\"snapshot-id\", \"parent-snapshot-id\" (absent for the first),\n"
    "           \"sequence-number\", \"timestamp-ms\", \"manifest-list\", \"summary\"\n"
    "           (with \"operation\"), \"current\"}\n"
    "\n" CLI_CATALOG_HELP;

static void snapshot_json(const void *item) {
    const floe_snapshot_info *s = item;
    printf("{\"snapshot-id\":%" PRId64, s->snapshot_id);
    if (s->has_parent) printf(",\"parent-snapshot-id\":%" PRId64, s->parent_id);
    printf(",\"sequence-number\":%" PRId64 ",\"timestamp-ms\":%" PRId64, s->sequence_number, s->timestamp_ms);
    if (s->manifest_list) {
        printf(",\"manifest-list\":");
        put_str(s->manifest_list);
    }
    printf(",\"summary\":{");
    if (s->operation) {
        printf("\"operation\":");
        put_str(s->operation);
    }
    for (int i = 0; i < s->nsummary; i++) {
        if (i || s->operation) putchar(',');
        put_str(s->summary[i].key);
        putchar(':');
        put_str(s->summary[i].value);
    }
    printf("},\"current\":%s}", s->is_current ? "true" : "false");
}

static void snapshot_text(const floe_snapshot_info *s) {
    char when[64], parent[24] = "-";
    cli_format_ms(s->timestamp_ms, when, sizeof when);
    if (s->has_parent) snprintf(parent, sizeof parent, "%" PRId64, s->parent_id);
    const char *added = kv_get(s->summary, s->nsummary, "added-records");
    const char *total = kv_get(s->summary, s->nsummary, "total-records");
    printf("%c %20" PRId64 " %20s %6" PRId64 "  %-24s  %-9s %13s %13s\n", s->is_current ? '*' : ' ', s->snapshot_id,
           parent, s->sequence_number, when, s->operation ? s->operation : "-", added ? added : "-",
           total ? total : "-");
}

static int run_snapshots(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    cli_opt extra[] = {{"--json", NULL, NULL, &json}};
    char *pos[1];
    int npos, status, n = 0;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, extra, CLI_NOPTS(extra), pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_snapshot_info *s = NULL;
    floe_err err = {0};
    if (floe_table_snapshots(c, pos[0], &s, &n, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) {
        put_json_array(s, sizeof *s, n, snapshot_json);
    } else {
        printf("  %20s %20s %6s  %-24s  %-9s %13s %13s\n", "snapshot-id", "parent-id", "seq", "timestamp",
               "operation", "added-records", "total-records");
        for (int i = 0; i < n; i++) snapshot_text(&s[i]);
    }
    floe_snapshot_infos_free(s, n);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_snapshots = {"table snapshots", "list a table's snapshots",
                                     "floe table snapshots NAMESPACE.NAME [--json]", SNAPSHOTS_HELP, run_snapshots};

/* ---- table files --------------------------------------------------------------- */

static const char FILES_HELP[] =
    "Lists the live data and delete files of the current snapshot (or of snapshot\n"
    "ID), in manifest order: records, bytes, partition and path.\n"
    "\n"
    "options:\n"
    "  --snapshot ID   the files of this snapshot instead of the current one\n"
    "  --json          print a JSON array instead, one file per line:\n"
    "                  {\"content\" (0 data, 1 position deletes, 2 equality\n"
    "                  deletes), \"file-path\", \"file-format\", \"spec-id\",\n"
    "                  \"partition\" (partition field name -> value),\n"
    "                  \"record-count\", \"file-size-in-bytes\", \"snapshot-id\" (the\n"
    "                  snapshot that added it), \"sequence-number\"}\n"
    "\n" CLI_CATALOG_HELP;

static void file_json(const void *item) {
    const floe_data_file_info *f = item;
    printf("{\"content\":%d,\"file-path\":", f->content);
    put_str(f->path);
    printf(",\"file-format\":");
    put_str(f->format);
    /* partition_json is already a JSON object. */
    printf(",\"spec-id\":%d,\"partition\":%s,\"record-count\":%" PRId64 ",\"file-size-in-bytes\":%" PRId64
           ",\"snapshot-id\":%" PRId64 ",\"sequence-number\":%" PRId64 "}",
           (int)f->spec_id, f->partition_json, f->record_count, f->file_size, f->snapshot_id, f->sequence_number);
}

static int run_files(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    const char *snap = NULL;
    cli_opt extra[] = {{"--json", NULL, NULL, &json}, {"--snapshot", "ID", &snap, NULL}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status, n = 0;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status)) return status;
    long long id = 0;
    if (snap && cli_parse_int(snap, INT64_MIN, INT64_MAX, &id))
        return cli_usage_error(cmd, "--snapshot: '%s' is not a snapshot id", snap);
    floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_data_file_info *f = NULL;
    floe_err err = {0};
    if (floe_table_files(c, pos[0], snap != NULL, (int64_t)id, &f, &n, &err))
        return cli_close_catalog(c, cli_fail("%s", err.msg));
    if (json) {
        put_json_array(f, sizeof *f, n, file_json);
    } else {
        static const char *const kinds[] = {"", " (position deletes)", " (equality deletes)"};
        printf("%12s %14s  %s  %s\n", "records", "bytes", "partition", "path");
        for (int i = 0; i < n; i++)
            printf("%12" PRId64 " %14" PRId64 "  %s  %s%s\n", f[i].record_count, f[i].file_size,
                   f[i].partition[0] ? f[i].partition : "-", f[i].path,
                   f[i].content >= 0 && f[i].content <= 2 ? kinds[f[i].content] : "");
    }
    floe_data_file_infos_free(f, n);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_files = {"table files", "list a snapshot's data files",
                                 "floe table files NAMESPACE.NAME [--snapshot ID] [--json]", FILES_HELP, run_files};

/* ---- table drop, rename -------------------------------------------------------- */

static const char DROP_HELP[] =
    "Removes a table from the catalog.  Its data and metadata files stay where they\n"
    "are unless --purge is given.\n"
    "\n"
    "options:\n"
    "  --purge   also delete the table's data and metadata files\n"
    "\n" CLI_CATALOG_HELP;

static int run_drop(const cli_cmd *cmd, int argc, char **argv) {
    int purge = 0;
    cli_opt extra[] = {{"--purge", NULL, NULL, &purge}};
    char *pos[1];
    int npos, status;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, extra, CLI_NOPTS(extra), pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_err err = {0};
    if (floe_table_drop(c, pos[0], purge, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    printf("dropped table %s%s\n", pos[0], purge ? " and its files" : "");
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_drop = {"table drop", "drop a table", "floe table drop NAMESPACE.NAME [--purge]", DROP_HELP,
                                run_drop};

static const char RENAME_HELP[] =
    "Renames table FROM to TO (both NAMESPACE.NAME; TO's namespace must exist).\n"
    "The table's files do not move.\n"
    "\n" CLI_CATALOG_HELP;

static int run_rename(const cli_cmd *cmd, int argc, char **argv) {
    char *pos[2];
    int npos, status;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, NULL, 0, pos, 2, 2, &npos, &status);
    if (!c) return status;
    floe_err err = {0};
    if (floe_table_rename(c, pos[0], pos[1], &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    printf("renamed table %s to %s\n", pos[0], pos[1]);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_table_rename = {"table rename", "rename a table", "floe table rename FROM TO", RENAME_HELP,
                                  run_rename};
