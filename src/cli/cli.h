/*
 * cli.h — what the floe command's source files share: the command table
 * entry, the option parser, and the two ways a command reports failure.
 *
 * Exit codes: 0 success, 1 a failure (message on stderr as "floe: ..."),
 * 2 a usage error (message, then the command's usage line).  The CLI calls
 * only the public API (include/floe/); it parses arguments and prints.
 */
#ifndef FLOE_CLI_H
#define FLOE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "floe/floe.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

typedef struct cli_cmd cli_cmd;
struct cli_cmd {
    const char *name;    /* words after "floe": "parquet write" */
    const char *summary; /* one line for the command list */
    const char *usage;   /* "floe parquet cat FILE [--columns A,B.C] [--limit N]" */
    const char *help;    /* what it does and its options, printed after the usage */
    /* Runs with the arguments after the command words; returns the exit code. */
    int (*run)(const cli_cmd *cmd, int argc, char **argv);
};

extern const cli_cmd cli_parquet_write, cli_parquet_cat, cli_parquet_schema, cli_parquet_meta;
extern const cli_cmd cli_demo;
extern const cli_cmd cli_run;

/* One option: "--name VALUE" / "--name=VALUE" when metavar is set (the
 * value is stored in *value), a flag otherwise (*flag becomes 1).  An
 * option with both metavar and flag may be repeated: its values go to
 * value[0], value[1], ... (an array with room for argc entries) and *flag
 * counts them. */
typedef struct cli_opt {
    const char *name;
    const char *metavar;
    const char **value;
    int *flag;
} cli_opt;

/* Parses argv[0..argc) into options and between min_pos and max_pos
 * positional arguments ("-" is positional; "--" ends options).  Returns 1
 * to go on; 0 when the command is done, with *status set: 0 after printing
 * help for -h/--help, CLI_EXIT_USAGE after reporting a usage error. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts, int nopts, char **pos, int min_pos,
              int max_pos, int *npos, int *status);

/* Prints "floe: <message>" to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints "floe: <message>", the command's usage line and a pointer to its
 * help to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints the command's usage and help to stdout. */
void cli_print_help(const cli_cmd *cmd);

/* "1048576", "1M", "64k", "2GiB" (binary multiples) -> bytes; -1 if not a
 * size or zero. */
int cli_parse_size(const char *s, size_t *out);
/* A decimal integer in [min, max]; -1 otherwise. */
int cli_parse_int(const char *s, long long min, long long max, long long *out);
/* "30s", "15m", "6h", "3d", "250ms" (a positive number and ms, s, m, h or
 * d) -> milliseconds; -1 when not one. */
int64_t cli_parse_duration(const char *s);

/* Reads a whole small file (a schema: at most 16 MiB) into a malloc'd,
 * NUL-terminated buffer; 0, or an exit code after reporting why not. */
int cli_read_small_file(const char *path, char **data, size_t *len);

/* Writes s[0..n) to f as a quoted JSON string. */
void cli_put_json_string(FILE *f, const char *s, size_t n);

/* A progress bar redrawn in place (\r) on stderr while a long command runs;
 * the command draws it only when stderr is a terminal.  Zero-initialise. */
typedef struct cli_progress {
    int shown;       /* drawn at least once: erase it before the report */
    int64_t last_ms; /* when it was last drawn (monotonic) */
} cli_progress;

/* Draws "\r<label> [######......] 42%  <detail>" (detail printf-formatted),
 * at most every 100 ms but always once done reaches total. */
void cli_progress_draw(cli_progress *p, const char *label, int64_t done, int64_t total, const char *detail_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* Erases the bar (width columns), when one was drawn. */
void cli_progress_clear(cli_progress *p, int width);

/* Flushes stdout; on a write error reports it and returns CLI_EXIT_FAIL,
 * else returns `status`. */
int cli_finish_stdout(int status);

#endif
