/*
 * args.c — the floe command's option parser and failure reporting, shared
 * by every command: GNU-style long options ("--name VALUE", "--name=VALUE",
 * flags), "-h"/"--help", "--" to end options, "-" as a positional (stdin),
 * and the two failure forms (exit 1 with "floe: <message>", exit 2 with the
 * message and the command's usage); and the small helpers several commands
 * share (durations, reading a schema file, printing a JSON string, the
 * progress bar of the long table commands).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "util/clock.h"

/* Schemas are small; anything past this is not one. */
#define MAX_SMALL_FILE (16u << 20)

static void vreport(const char *fmt, va_list ap) {
    fputs("floe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    fprintf(stderr, "usage: %s\nRun 'floe help %s' for details.\n", cmd->usage, cmd->name);
    return CLI_EXIT_USAGE;
}

void cli_print_help(const cli_cmd *cmd) { printf("usage: %s\n\n%s", cmd->usage, cmd->help); }

int cli_finish_stdout(int status) {
    if (fflush(stdout) != 0 || ferror(stdout)) return cli_fail("writing to standard output: %s", strerror(errno));
    return status;
}

static const cli_opt *find_opt(const cli_opt *opts, int nopts, const char *arg, size_t namelen) {
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == namelen && strncmp(opts[i].name, arg, namelen) == 0) return &opts[i];
    return NULL;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts, int nopts, char **pos, int min_pos,
              int max_pos, int *npos, int *status) {
    int n = 0, options_done = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            cli_print_help(cmd);
            *status = 0;
            return 0;
        }
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (n == max_pos) {
                *status = cli_usage_error(cmd, "unexpected argument '%s'", a);
                return 0;
            }
            pos[n++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t namelen = eq ? (size_t)(eq - a) : strlen(a);
        const cli_opt *o = find_opt(opts, nopts, a, namelen);
        if (!o) {
            *status = cli_usage_error(cmd, "unknown option '%.*s'", (int)namelen, a);
            return 0;
        }
        if (!o->metavar) {
            if (eq) {
                *status = cli_usage_error(cmd, "option '%s' takes no value", o->name);
                return 0;
            }
            *o->flag = 1;
            continue;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            *status = cli_usage_error(cmd, "option '%s' needs a value (%s %s)", o->name, o->name, o->metavar);
            return 0;
        }
        if (o->flag) o->value[(*o->flag)++] = v; /* repeatable: the caller sized value for argc */
        else *o->value = v;
    }
    if (n < min_pos) {
        *status = cli_usage_error(cmd, "missing arguments");
        return 0;
    }
    *npos = n;
    return 1;
}

int cli_parse_int(const char *s, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno == ERANGE) return -1;
    int shift = 0;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return -1;
        }
        end++;
        if (strcasecmp(end, "") != 0 && strcasecmp(end, "b") != 0 && strcasecmp(end, "ib") != 0) return -1;
    }
    if (v == 0 || v > (SIZE_MAX >> shift)) return -1;
    *out = (size_t)(v << shift);
    return 0;
}

int64_t cli_parse_duration(const char *s) {
    char *end;
    if (!s || *s < '0' || *s > '9') return -1;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0) return -1;
    int64_t unit;
    if (strcmp(end, "ms") == 0) unit = 1;
    else if (strcmp(end, "s") == 0) unit = 1000;
    else if (strcmp(end, "m") == 0) unit = 60 * 1000;
    else if (strcmp(end, "h") == 0) unit = 3600 * 1000;
    else if (strcmp(end, "d") == 0) unit = (int64_t)24 * 3600 * 1000;
    else return -1;
    if (v > INT64_MAX / unit) return -1;
    return (int64_t)v * unit;
}

int cli_read_small_file(const char *path, char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return cli_fail("%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= MAX_SMALL_FILE) {
                rc = cli_fail("%s: larger than %u bytes; not a schema", path, MAX_SMALL_FILE);
                break;
            }
            char *p = realloc(buf, cap *= 2);
            if (!p) free(buf);
            buf = p;
        }
    }
    if (!buf) rc = cli_fail("%s: out of memory", path);
    else if (!rc && ferror(f)) rc = cli_fail("%s: %s", path, strerror(errno));
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0'; /* the loop always leaves n < cap */
    *data = buf;
    *len = n;
    return 0;
}

void cli_put_json_string(FILE *f, const char *s, size_t n) {
    floe_buf b = {0};
    floe_json_escape((const uint8_t *)s, n, &b);
    fwrite(b.data, 1, b.len, f);
    floe_buf_free(&b);
}

void cli_progress_draw(cli_progress *p, const char *label, int64_t done, int64_t total, const char *detail_fmt, ...) {
    /* Redrawing more often than a person can read only costs writes. */
    int64_t t = floe_mono_ms();
    if (done < total && t - p->last_ms < 100) return;
    p->last_ms = t;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    int fill = pct * 30 / 100;
    char cells[31];
    for (int i = 0; i < 30; i++) cells[i] = i < fill ? '#' : '.';
    cells[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%%  ", label, cells, pct);
    va_list ap;
    va_start(ap, detail_fmt);
    vfprintf(stderr, detail_fmt, ap);
    va_end(ap);
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_clear(cli_progress *p, int width) {
    if (p->shown) fprintf(stderr, "\r%*s\r", width, "");
}
