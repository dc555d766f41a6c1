/*
 * cli_run.c — `floe run CONFIG`: the streaming pipeline as a daemon
 * (floe_pipeline in floe/pipeline.h does the work; this parses options,
 * wires signals to floe_pipeline_stop, sends log lines to standard error
 * and writes the --stats file at exit).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "floe/pipeline.h"
#include "util/clock.h"

static const char RUN_HELP[] =
    "Consumes Kafka topics in a consumer group and lands the records in Iceberg\n"
    "tables, exactly once: each commit's snapshot summary records the next offset\n"
    "of every partition (floe.kafka.offsets.<group>), and floe resumes from there\n"
    "after a crash or a rebalance.  CONFIG is the Apache Iceberg Kafka Connect\n"
    "sink's configuration, as connector JSON ({\"name\":..., \"config\":{...}}) or a\n"
    ".properties file, plus floe's own floe.* keys: docs/config.md lists them all.\n"
    "\n"
    "Records that cannot be written (not a JSON object, wrong types, too large)\n"
    "go to the table <table>__dlq with the reason, or are only counted\n"
    "(floe.dlq.mode=drop); they never stop the good records.\n"
    "\n"
    "SIGTERM or SIGINT stops after a final commit; a second one stops at once\n"
    "(what was not committed is read again on restart).\n"
    "\n"
    "options:\n"
    "  -o, --set KEY=VALUE        override a configuration key (repeatable)\n"
    "  --stop-when-idle MS        stop (after a final commit) once no record has\n"
    "                             arrived for MS milliseconds after the first one\n"
    "                             (the clock waits while a rebalance is pending)\n"
    "  --stop-after-records N     stop once N records are committed or dead-lettered\n"
    "  --stats FILE               write the run's figures as JSON to FILE at exit\n"
    "  --print-config             print the effective configuration (secrets\n"
    "                             masked) and exit\n"
    "  --verbose                  also log debug events (marker-only commits)\n";

static int run_run(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_run = {"run", "stream Kafka topics into Iceberg tables (the Kafka Connect sink's config)",
                         "floe run CONFIG [-o KEY=VALUE]... [--stop-when-idle MS] [--stop-after-records N]\n"
                         "                [--stats FILE] [--print-config] [--verbose]",
                         RUN_HELP, run_run};

static floe_pipeline *volatile running;

static void on_signal(int sig) {
    (void)sig;
    floe_pipeline *p = running;
    if (p) floe_pipeline_stop(p);
}

static void log_line(void *ctx, int level, const char *line) {
    int verbose = *(const int *)ctx;
    if (level >= 7 && !verbose) return;
    fprintf(stderr, "%s\n", line);
}

static int write_stats(const char *path, const floe_pipeline_stats *s, long long elapsed_ms) {
    FILE *f = fopen(path, "w");
    if (!f) return cli_fail("--stats %s: %s", path, strerror(errno));
    fprintf(f,
            "{\"records_in\":%lld,\"bytes_in\":%lld,\"records_committed\":%lld,\"records_dead\":%lld,"
            "\"records_skipped\":%lld,\"commits\":%lld,\"transactions\":%lld,\"commit_failures\":%lld,\"files\":%lld,\"file_bytes\":%lld,"
            "\"tables_created\":%lld,\"rebalances\":%lld,\"freshness_p50_ms\":%.0f,\"freshness_p99_ms\":%.0f,"
            "\"freshness_max_ms\":%.0f,\"memory_peak_bytes\":%zu,\"fetch_nudges\":%lld,\"first_record_unix_ms\":%lld,"
            "\"elapsed_ms\":%lld}\n",
            (long long)s->records_in, (long long)s->bytes_in, (long long)s->records_committed,
            (long long)s->records_dead, (long long)s->records_skipped, (long long)s->commits,
            (long long)s->transactions, (long long)s->commit_failures, (long long)s->files, (long long)s->file_bytes,
            (long long)s->tables_created, (long long)s->rebalances, s->freshness_p50_ms, s->freshness_p99_ms,
            s->freshness_max_ms, s->memory_peak_bytes, (long long)s->fetch_nudges, (long long)s->first_record_unix_ms,
            elapsed_ms);
    if (fclose(f)) return cli_fail("--stats %s: %s", path, strerror(errno));
    return 0;
}

static int run_run(const cli_cmd *cmd, int argc, char **argv) {
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    const char **sets2 = calloc((size_t)argc + 1, sizeof *sets2);
    int nsets = 0, nsets2 = 0, print_config = 0, verbose = 0;
    const char *idle = NULL, *limit = NULL, *stats = NULL;
    cli_opt opts[] = {{"-o", "KEY=VALUE", sets, &nsets},
                      {"--set", "KEY=VALUE", sets2, &nsets2},
                      {"--stop-when-idle", "MS", &idle, NULL},
                      {"--stop-after-records", "N", &limit, NULL},
                      {"--stats", "FILE", &stats, NULL},
                      {"--print-config", NULL, NULL, &print_config},
                      {"--verbose", NULL, NULL, &verbose}};
    char *pos[1];
    int npos, status;
    if (!cli_parse(cmd, argc, argv, opts, 7, pos, 1, 1, &npos, &status)) {
        free(sets);
        free(sets2);
        return status;
    }
    for (int i = 0; i < nsets2; i++) sets[nsets++] = sets2[i];
    free(sets2);
    floe_pipeline_opts o;
    memset(&o, 0, sizeof o);
    o.log = log_line;
    o.log_ctx = &verbose;
    o.overrides = sets;
    o.noverrides = nsets;
    long long v;
    if (idle) {
        if (cli_parse_int(idle, 1, INT64_MAX, &v)) {
            free(sets);
            return cli_usage_error(cmd, "--stop-when-idle: '%s' is not a positive number of milliseconds", idle);
        }
        o.stop_when_idle_ms = v;
    }
    if (limit) {
        if (cli_parse_int(limit, 1, INT64_MAX, &v)) {
            free(sets);
            return cli_usage_error(cmd, "--stop-after-records: '%s' is not a positive number", limit);
        }
        o.stop_after_records = v;
    }
    floe_err err;
    memset(&err, 0, sizeof err);
    floe_pipeline *p = floe_pipeline_new(pos[0], &o, &err);
    free(sets);
    if (!p) {
        fprintf(stderr, "floe: %s\n", err.msg);
        return err.code == FLOE_EINVAL || err.code == FLOE_ENOTFOUND ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    if (print_config) {
        char *text = floe_pipeline_config_text(p);
        fputs(text, stdout);
        free(text);
        floe_pipeline_free(p);
        return 0;
    }
    running = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int64_t t0 = floe_mono_ms();
    int rc = floe_pipeline_run(p, &err);
    running = NULL;
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    floe_pipeline_stats s;
    floe_pipeline_get_stats(p, &s);
    status = rc ? cli_fail("%s", err.msg) : 0;
    if (stats && write_stats(stats, &s, floe_mono_ms() - t0)) status = CLI_EXIT_FAIL;
    floe_pipeline_free(p);
    return status;
}
