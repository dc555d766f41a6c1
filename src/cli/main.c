/*
 * main.c — the floe command: finds the command named by the leading words
 * of argv in the command table and runs it; "help", "version" and the
 * general usage live here, and the catalog options that may come before
 * the command words.  Commands are table entries (cli_cmd) defined
 * next to their code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_table.h"

static int run_version(const cli_cmd *cmd, int argc, char **argv);
static int run_help(const cli_cmd *cmd, int argc, char **argv);

static const cli_cmd cli_version = {
    "version", "print floe's version", "floe version", "Prints the version of floe, e.g. \"floe 0.1.0\".\n",
    run_version};

static const cli_cmd cli_help = {
    "help", "show help for a command", "floe help [COMMAND...]",
    "Without a command, lists the commands; with one (\"floe help parquet write\"),\n"
    "shows its usage and options.  \"floe COMMAND --help\" does the same.\n",
    run_help};

extern const cli_cmd cli_catalog_serve; /* cli_catalog_serve.c */
extern const cli_cmd cli_expire;        /* cli_expire.c */
extern const cli_cmd cli_compact;       /* cli_compact.c */
extern const cli_cmd cli_clean, cli_rewrite_manifests, cli_table_health; /* cli_maintenance.c */

static const cli_cmd *const commands[] = {
    &cli_parquet_write,  &cli_parquet_cat,       &cli_parquet_schema,     &cli_parquet_meta,
    &cli_table_create,   &cli_table_list,        &cli_table_describe,     &cli_table_snapshots,
    &cli_table_files,    &cli_table_scan,        &cli_table_drop,         &cli_table_rename,
    &cli_table_health,
    &cli_namespace_create, &cli_namespace_list,  &cli_namespace_describe, &cli_namespace_drop,
    &cli_run,            &cli_ingest,         &cli_expire,         &cli_compact,        &cli_clean,          &cli_rewrite_manifests, &cli_catalog_serve,  &cli_demo,              &cli_version,            &cli_help};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void print_overview(FILE *f) {
    fprintf(f, "usage: floe COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nThe table, namespace and ingest commands take --catalog URI and --warehouse DIR\n"
               "(before or after the command words; default $FLOE_CATALOG and $FLOE_WAREHOUSE,\n"
               "else sqlite:./warehouse/catalog.db and ./warehouse); a REST catalog\n"
               "(--catalog http(s)://HOST:PORT[/PATH]) also takes --catalog-token,\n"
               "--catalog-credential and --catalog-warehouse.\n"
               "Run 'floe help COMMAND' or 'floe COMMAND --help' for a command's options.\n");
    fprintf(f, "\nAn s3:// warehouse (with --catalog) is reached with the AWS_* credentials and\n"
               "region, and the global options --s3-endpoint URL, --s3-region R and\n"
               "--s3-path-style (or $FLOE_S3_ENDPOINT, $FLOE_S3_REGION, $FLOE_S3_PATH_STYLE).\n");
}

/* Number of leading words of argv that spell `name` ("parquet write" is 2),
 * or 0 when they do not. */
static int match_words(const char *name, int argc, char **argv) {
    int words = 0;
    const char *p = name;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], p, len) != 0) return 0;
        words++;
        p = sp ? sp + 1 : p + len;
    }
    return words;
}

/* The command named by argv's leading words; *used gets their count. */
static const cli_cmd *find_command(int argc, char **argv, int *used) {
    for (int i = 0; i < NCOMMANDS; i++) {
        int w = match_words(commands[i]->name, argc, argv);
        if (w) {
            *used = w;
            return commands[i];
        }
    }
    return NULL;
}

/* Lists the commands of a group word ("parquet") to f (or only checks, when
 * f is NULL); 0 if the word names no group. */
static int print_group(const char *group, FILE *f) {
    size_t len = strlen(group);
    int found = 0;
    for (int i = 0; i < NCOMMANDS; i++)
        if (strncmp(commands[i]->name, group, len) == 0 && commands[i]->name[len] == ' ') {
            if (f && !found) fprintf(f, "'%s' commands:\n", group);
            if (f) fprintf(f, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
            found = 1;
        }
    return found;
}

static int run_version(const cli_cmd *cmd, int argc, char **argv) {
    char *pos[1];
    int npos, status;
    if (!cli_parse(cmd, argc, argv, NULL, 0, pos, 0, 0, &npos, &status)) return status;
    printf("floe %s\n", floe_version());
    return cli_finish_stdout(0);
}

static int run_help(const cli_cmd *cmd, int argc, char **argv) {
    if (argc == 0) {
        print_overview(stdout);
        return cli_finish_stdout(0);
    }
    int used;
    const cli_cmd *c = find_command(argc, argv, &used);
    if (c && used == argc) {
        cli_print_help(c);
        return cli_finish_stdout(0);
    }
    if (argc == 1 && print_group(argv[0], stdout)) return cli_finish_stdout(0);
    return cli_usage_error(cmd, "no command named '%s'", argv[0]);
}

/* Runs the command argv names. */
static int dispatch(int argc, char **argv) {
    if (argc < 2) {
        fputs("floe: missing command\n", stderr);
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return cli_finish_stdout(0);
    }
    if (strcmp(argv[1], "--version") == 0) return run_version(&cli_version, 0, NULL);
    int used;
    const cli_cmd *c = find_command(argc - 1, argv + 1, &used);
    if (c) return c->run(c, argc - 1 - used, argv + 1 + used);
    if (print_group(argv[1], NULL)) {
        if (argc == 2) fprintf(stderr, "floe: '%s' needs a command\n", argv[1]);
        else fprintf(stderr, "floe: unknown command '%s %s'\n", argv[1], argv[2]);
        print_group(argv[1], stderr);
    } else {
        fprintf(stderr, "floe: unknown command '%s'\n", argv[1]);
        print_overview(stderr);
    }
    return CLI_EXIT_USAGE;
}

/* The catalog options, which may precede the command words. */
static const char *const catalog_opts[] = {"--catalog", "--warehouse", "--catalog-token", "--catalog-credential",
                                           "--catalog-warehouse"};

/* 1 if a is "--name=..." for a catalog option, 2 if it is "--name" (its
 * value follows), else 0. */
static int catalog_opt(const char *a) {
    for (size_t k = 0; k < sizeof catalog_opts / sizeof catalog_opts[0]; k++) {
        size_t n = strlen(catalog_opts[k]);
        if (strncmp(a, catalog_opts[k], n) == 0 && a[n] == '=') return 1;
        if (strcmp(a, catalog_opts[k]) == 0) return 2;
    }
    return 0;
}

/* Number of arguments from argv[i] on that are catalog options
 * ("--catalog URI", "--warehouse=DIR", ...), which may precede the command. */
static int leading_catalog_opts(int argc, char **argv, int i) {
    int start = i;
    while (i < argc) {
        int k = catalog_opt(argv[i]);
        if (k == 1) i++;
        else if (k == 2 && i + 1 < argc) i += 2;
        else break;
    }
    return i - start;
}

/* The S3 options (--s3-endpoint URL, --s3-region R, --s3-path-style[=BOOL])
 * are global and accepted anywhere before "--": they become the
 * environment the S3 file IO reads (FLOE_S3_ENDPOINT, FLOE_S3_REGION,
 * FLOE_S3_PATH_STYLE; io/s3.h), so every command that opens storage sees
 * them.  Removes them from argv; returns the new argc, or -1 after a usage
 * error. */
static int take_s3_opts(int argc, char **argv) {
    static const char *const opt[][2] = {
        {"--s3-endpoint", "FLOE_S3_ENDPOINT"}, {"--s3-region", "FLOE_S3_REGION"}, {"--s3-path-style", "FLOE_S3_PATH_STYLE"}};
    int n = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int hit = 0;
        for (size_t k = 0; !hit && strcmp(a, "--") != 0 && k < sizeof opt / sizeof opt[0]; k++) {
            size_t len = strlen(opt[k][0]);
            if (strncmp(a, opt[k][0], len) != 0 || (a[len] != '=' && a[len] != '\0')) continue;
            hit = 1;
            const char *v = a[len] == '=' ? a + len + 1 : k == 2 ? "true" : i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                fprintf(stderr, "floe: option '%s' needs a value\n", opt[k][0]);
                return -1;
            }
            setenv(opt[k][1], v, 1);
        }
        if (!hit && strcmp(a, "--") == 0) {
            while (i < argc) argv[n++] = argv[i++];
            break;
        }
        if (!hit) argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv) {
    if ((argc = take_s3_opts(argc, argv)) < 0) return CLI_EXIT_USAGE;
    int lead = leading_catalog_opts(argc, argv, 1);
    if (!lead) return dispatch(argc, argv);
    /* "floe --catalog URI table list": the catalog options move to just
     * after the command words, where the command's parser takes them.
     * Without a command they are dropped, so that the report names the
     * words that follow. */
    char **moved = malloc(sizeof *moved * (size_t)(argc + 1));
    if (!moved) {
        fputs("floe: out of memory\n", stderr);
        return CLI_EXIT_FAIL;
    }
    int used = 0, n = 0;
    if (!find_command(argc - 1 - lead, argv + 1 + lead, &used)) used = 0;
    moved[n++] = argv[0];
    for (int i = 0; i < used; i++) moved[n++] = argv[1 + lead + i];
    for (int i = 0; used && i < lead; i++) moved[n++] = argv[1 + i];
    for (int i = 1 + lead + used; i < argc; i++) moved[n++] = argv[i];
    moved[n] = NULL;
    int status = dispatch(n, moved);
    free(moved);
    return status;
}
