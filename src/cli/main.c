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

static const cli_cmd *const commands[] = {
    &cli_parquet_write,  &cli_parquet_cat,       &cli_parquet_schema,     &cli_parquet_meta,
    &cli_table_create,   &cli_table_list,        &cli_table_describe,     &cli_table_snapshots,
    &cli_table_files,    &cli_table_scan,        &cli_table_drop,         &cli_table_rename,
    &cli_namespace_create, &cli_namespace_list,  &cli_namespace_describe, &cli_namespace_drop,
    &cli_ingest,         &cli_version,           &cli_help};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void print_overview(FILE *f) {
    fprintf(f, "usage: floe COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nThe table, namespace and ingest commands take --catalog URI and --warehouse DIR\n"
               "(before or after the command words; default $FLOE_CATALOG and $FLOE_WAREHOUSE,\n"
               "else sqlite:./warehouse/catalog.db and ./warehouse).\n"
               "Run 'floe help COMMAND' or 'floe COMMAND --help' for a command's options.\n");
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

/* Number of arguments from argv[i] on that are catalog options
 * ("--catalog URI", "--warehouse=DIR"), which may precede the command. */
static int leading_catalog_opts(int argc, char **argv, int i) {
    int start = i;
    while (i < argc) {
        if (strncmp(argv[i], "--catalog=", 10) == 0 || strncmp(argv[i], "--warehouse=", 12) == 0) i++;
        else if ((strcmp(argv[i], "--catalog") == 0 || strcmp(argv[i], "--warehouse") == 0) && i + 1 < argc) i += 2;
        else break;
    }
    return i - start;
}

int main(int argc, char **argv) {
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
