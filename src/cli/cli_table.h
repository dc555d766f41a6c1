/*
 * cli_table.h — what the catalog-backed commands (`floe table ...`,
 * `floe namespace ...`, `floe ingest`) share: their command table entries,
 * the global catalog options every one of them takes, and the printing
 * helpers for their text and JSON output.  Defined in cli_table.c.
 */
#ifndef FLOE_CLI_TABLE_H
#define FLOE_CLI_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "floe/table.h"

extern const cli_cmd cli_table_create, cli_table_list, cli_table_describe, cli_table_snapshots, cli_table_files,
    cli_table_scan, cli_table_drop, cli_table_rename;
extern const cli_cmd cli_namespace_create, cli_namespace_list, cli_namespace_describe, cli_namespace_drop;
extern const cli_cmd cli_ingest;

/* The number of entries of an option array. */
#define CLI_NOPTS(a) (int)(sizeof(a) / sizeof((a)[0]))

/* The catalog options, first in every catalog command's option array
 * (ca: a cli_catalog_args *). */
#define CLI_CATALOG_OPTS(ca)                                                                               \
    {"--catalog", "URI", &(ca)->uri, NULL}, {"--warehouse", "DIR", &(ca)->warehouse, NULL},                \
        {"--catalog-token", "TOKEN", &(ca)->token, NULL},                                                 \
        {"--catalog-credential", "ID:SECRET", &(ca)->credential, NULL},                                   \
        {"--catalog-warehouse", "NAME", &(ca)->rest_warehouse, NULL}
#define CLI_CATALOG_NOPTS 5
/* The most options a catalog command has besides those. */
#define CLI_MAX_EXTRA_OPTS 8

/* Their help, the last lines of every catalog command's help. */
#define CLI_CATALOG_HELP                                                                      \
    "catalog options:\n"                                                                       \
    "  --catalog URI            the catalog: sqlite:PATH, postgresql://... or an Iceberg\n"    \
    "                           REST catalog http(s)://HOST:PORT[/PATH] (default\n"           \
    "                           $FLOE_CATALOG, else sqlite:<warehouse>/catalog.db)\n"          \
    "  --warehouse DIR          where new tables go (default $FLOE_WAREHOUSE, else\n"          \
    "                           ./warehouse; for a REST catalog: the warehouse name)\n"        \
    "  --catalog-token TOKEN    REST: a bearer token (default $FLOE_CATALOG_TOKEN)\n"         \
    "  --catalog-credential ID:SECRET\n"                                                       \
    "                           REST: OAuth2 client credentials (default\n"                   \
    "                           $FLOE_CATALOG_CREDENTIAL; the environment keeps secrets\n"     \
    "                           out of the process list)\n"                                    \
    "  --catalog-warehouse NAME REST: the warehouse to ask the catalog for (default\n"        \
    "                           $FLOE_CATALOG_WAREHOUSE)\n"

/* The catalog options' values (NULL when not given). */
typedef struct cli_catalog_args {
    const char *uri, *warehouse;
    const char *token, *credential, *rest_warehouse; /* REST catalogs */
} cli_catalog_args;

/* cli_parse with the catalog options added before `extra` (at most
 * CLI_MAX_EXTRA_OPTS); same results. */
int cli_parse_catalog(const cli_cmd *cmd, int argc, char **argv, const cli_opt *extra, int nextra,
                      cli_catalog_args *ca, char **pos, int min_pos, int max_pos, int *npos, int *status);

/* Opens the catalog the options name (NULL: the environment's, then the
 * defaults), with the REST options of the last cli_parse_catalog; NULL
 * after reporting why not. */
floe_catalog_handle *cli_open_catalog(const char *uri, const char *warehouse);

/* cli_parse_catalog, then cli_open_catalog: the start of a command that has
 * nothing to check before it opens the catalog.  NULL when the command is
 * done, with *status its exit code. */
floe_catalog_handle *cli_start(const cli_cmd *cmd, int argc, char **argv, const cli_opt *extra, int nextra,
                               char **pos, int min_pos, int max_pos, int *npos, int *status);

/* Runs a list command ("table list [NS]", "namespace list [PARENT]"):
 * prints the names `list` returns for the optional argument, one a line. */
int cli_run_list(const cli_cmd *cmd, int argc, char **argv,
                 int (*list)(floe_catalog_handle *c, const char *parent, char ***out, int *n, floe_err *err));

/* Closes the catalog and flushes standard output; returns `status`, or
 * CLI_EXIT_FAIL when the output could not be written. */
int cli_close_catalog(floe_catalog_handle *c, int status);

/* Checks that every value of a repeated --property option is "key=value";
 * 0, or a usage error's exit code. */
int cli_check_props(const cli_cmd *cmd, const char *const *props, int n);

/* Epoch milliseconds as "2026-01-02T03:04:05.678Z" into buf (>= 32 bytes). */
void cli_format_ms(int64_t ms, char *buf, size_t size);

#endif
