/*
 * cli_demo.c — `floe demo`: the whole pipeline on embedded defaults.  It
 * starts a Kafka cluster in this process (floe/demo.h: librdkafka's mock
 * cluster and a clickstream producer thread), runs the real pipeline
 * (floe/pipeline.h) against it into demo.clickstream in the warehouse with
 * the embedded SQLite catalog, and then shows what landed, read back
 * through floe/table.h.
 *
 * Threads: the pipeline runs in the main thread (floe_pipeline_run blocks);
 * a monitor thread starts the producer once the pipeline holds the topic's
 * partitions (so that freshness measures streaming, not the group join),
 * prints a progress line a second, and stops the pipeline once every
 * delivered event is committed (floe_pipeline_stop: a final commit, then
 * run returns).  SIGINT/SIGTERM stop both early; a second one stops at once.
 *
 * Every run consumes as a new consumer group (floe-demo-<ms>): the topic is
 * new each time, at offset 0, while the table keeps earlier runs' progress
 * markers under their own groups, so runs append to the same table without
 * mistaking one run's offsets for another's.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_table.h"
#include "floe/demo.h"
#include "floe/pipeline.h"
#include "util/clock.h"

#define DEMO_TABLE "demo.clickstream"
#define DEMO_TOPIC "clickstream"

static const char DEMO_HELP[] =
    "Runs floe's main job end to end with nothing to set up: starts a Kafka\n"
    "broker inside this process (librdkafka's mock cluster, the real Kafka\n"
    "protocol on 127.0.0.1), creates the topic 'clickstream', produces web-shop\n"
    "events into it (page views, searches, cart additions, checkouts,\n"
    "purchases) at --rate for --seconds, and runs the pipeline of 'floe run' on\n"
    "it: the records land in the Iceberg table demo.clickstream in the\n"
    "warehouse, through the embedded SQLite catalog (<warehouse>/catalog.db),\n"
    "one snapshot per commit interval.  The first run creates the table (with\n"
    "the events' schema, partitioned by --partition-by); later runs append to it.\n"
    "\n"
    "Then it prints what landed: the warehouse's tables with their snapshots,\n"
    "data files, partitions and rows, the freshness of the records (Kafka\n"
    "message timestamp to committed snapshot), and rows read back.  Exits 1 if\n"
    "a produced event did not land.\n"
    "\n"
    "options:\n"
    "  --seconds N               how long to produce (default 10)\n"
    "  --rate R                  events per second (default 5000)\n"
    "  --warehouse DIR           the warehouse (default $FLOE_WAREHOUSE, else\n"
    "                            ./warehouse); created if missing\n"
    "  --partitions P            partitions of the topic (default 16)\n"
    "  --commit-interval-ms MS   commit this often (default 1000)\n"
    "  --partition-by SPEC       partition spec of the table when it is created\n"
    "                            (default 'hour(ts)'; e.g. 'day(ts), bucket(8, user_id)')\n"
    "  --metrics ADDR            serve Prometheus metrics on ADDR (host:port;\n"
    "                            default off)\n"
    "  --verbose                 print the pipeline's log lines (default: only its\n"
    "                            warnings and errors)\n"
    "\n"
    "The mock broker keeps only the newest ~5 MiB of each partition: for long\n"
    "or fast runs, give the topic more partitions.\n";

static int run_demo(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_demo = {"demo", "stream a generated clickstream through Kafka into an Iceberg table",
                          "floe demo [--seconds N] [--rate R] [--warehouse DIR] [--partitions P]\n"
                          "                 [--commit-interval-ms MS] [--partition-by SPEC] [--metrics ADDR] "
                          "[--verbose]",
                          DEMO_HELP, run_demo};

/* ---- signals ----------------------------------------------------------------- */

static floe_pipeline *volatile sig_pipeline;
static floe_demo *volatile sig_demo;
static volatile sig_atomic_t sig_count;

static void on_signal(int sig) {
    (void)sig;
    sig_count++;
    if (sig_demo) floe_demo_stop(sig_demo);
    if (sig_pipeline) floe_pipeline_stop(sig_pipeline); /* the second call returns at once */
}

/* ---- the pipeline's log and its counters -------------------------------------- */

/* What the log callback and the monitor share.  floe_pipeline_get_stats
 * reads the pipeline's counters without synchronisation, so it is called
 * only on the thread that runs the pipeline: from the log callback, which
 * the pipeline calls right after a commit or an assignment, on that thread
 * (librdkafka's threads call it too, for the consumer's messages; those
 * are told apart by thread).  The monitor reads the copy made there. */
typedef struct monitor {
    floe_pipeline *p;     /* NULL until floe_pipeline_new_text returned */
    floe_demo *d;
    int verbose;
    pthread_t run_thread;
    pthread_mutex_t lock; /* guards stats */
    floe_pipeline_stats stats;
    atomic_int run_returned;
    /* Results, read after the join. */
    int stalled;          /* stopped because nothing more got committed */
    int producer_error;   /* could not start the producer */
    floe_err err;
} monitor;

static void on_log(void *ctx, int level, const char *line) {
    monitor *m = ctx;
    if (level <= 4 || m->verbose) fprintf(stderr, "  [floe] %s\n", line);
    if (pthread_equal(pthread_self(), m->run_thread) && m->p) {
        floe_pipeline_stats st;
        floe_pipeline_get_stats(m->p, &st);
        pthread_mutex_lock(&m->lock);
        m->stats = st;
        pthread_mutex_unlock(&m->lock);
    }
}

/* ---- the monitor thread ------------------------------------------------------ */

static void *monitor_main(void *arg) {
    monitor *m = arg;
    int64_t t0 = floe_mono_ms(), produce_t0 = 0, last_print = 0, last_change = 0;
    int64_t prev_produced = 0, prev_committed = 0, last_committed = -1;
    int stop_sent = 0;
    /* Records produced before the pipeline holds its partitions would wait
     * for the group to form, which is startup, not freshness; but do not
     * wait forever for an assignment that never comes. */
    const int64_t max_assign_wait_ms = 15000;
    while (!atomic_load(&m->run_returned)) {
        struct timespec tick = {0, 100000000};
        nanosleep(&tick, NULL);
        int64_t now = floe_mono_ms();
        floe_pipeline_stats st;
        pthread_mutex_lock(&m->lock);
        st = m->stats;
        pthread_mutex_unlock(&m->lock);
        floe_demo_progress pr;
        floe_demo_get_progress(m->d, &pr);
        if (!pr.started && !sig_count && (st.rebalances > 0 || now - t0 >= max_assign_wait_ms)) {
            if (floe_demo_start(m->d, &m->err)) {
                m->producer_error = 1;
                floe_pipeline_stop(m->p);
                continue;
            }
            produce_t0 = last_print = last_change = now;
            printf("%8s  %22s  %22s  %7s  %5s\n", "time", "produced", "committed", "commits", "files");
            fflush(stdout);
            continue;
        }
        if (!pr.started) continue;
        if (now - last_print >= 1000) {
            double dt = (double)(now - last_print) / 1000.0;
            char a[32], b[32];
            snprintf(a, sizeof a, "%" PRId64 " (%.0f/s)", pr.produced, (double)(pr.produced - prev_produced) / dt);
            snprintf(b, sizeof b, "%" PRId64 " (%.0f/s)", st.records_committed,
                     (double)(st.records_committed - prev_committed) / dt);
            printf("%7.1fs  %22s  %22s  %7" PRId64 "  %5" PRId64 "\n", (double)(now - produce_t0) / 1000.0, a, b,
                   st.commits, st.files);
            fflush(stdout);
            prev_produced = pr.produced;
            prev_committed = st.records_committed;
            last_print = now;
        }
        if (st.records_committed + st.records_dead != last_committed) {
            last_committed = st.records_committed + st.records_dead;
            last_change = now;
        }
        if (!pr.done || stop_sent) continue;
        /* Every delivered event committed (or dead-lettered): a final
         * commit (with nothing in it) and the pipeline returns. */
        if (st.records_committed + st.records_dead >= pr.delivered) {
            floe_pipeline_stop(m->p);
            stop_sent = 1;
        } else if (now - last_change > 60000) {
            m->stalled = 1;
            floe_pipeline_stop(m->p);
            stop_sent = 1;
        }
    }
    return NULL;
}

/* ---- printing what landed ---------------------------------------------------- */

static int count_row(void *ctx, const char *json, size_t len, floe_err *err);

static void put_size(char *buf, size_t n, int64_t bytes) {
    if (bytes >= 10 * 1024 * 1024) snprintf(buf, n, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
    else if (bytes >= 10 * 1024) snprintf(buf, n, "%.1f KiB", (double)bytes / 1024.0);
    else snprintf(buf, n, "%" PRId64 " bytes", bytes);
}

typedef struct part_sum {
    const char *name;
    int files;
    int64_t rows, bytes;
} part_sum;

/* Prints one table's snapshots, files, partitions and rows; the run's own
 * snapshots are those whose progress marker is the run's group's, its own
 * rows `rows_mine` (< 0: not known). */
static int print_table(floe_catalog_handle *c, const char *table, const char *group, int64_t rows_mine) {
    floe_err err = {0};
    floe_snapshot_info *snaps = NULL;
    int nsnaps = 0;
    if (floe_table_snapshots(c, table, &snaps, &nsnaps, &err)) return cli_fail("%s", err.msg);
    char key[256];
    snprintf(key, sizeof key, "floe.kafka.offsets.%s", group);
    int mine = 0;
    for (int i = 0; i < nsnaps; i++)
        for (int k = 0; k < snaps[i].nsummary; k++)
            if (strcmp(snaps[i].summary[k].key, key) == 0) {
                mine++;
                break;
            }

    floe_data_file_info *files = NULL;
    int nfiles = 0;
    if (floe_table_files(c, table, 0, 0, &files, &nfiles, &err)) {
        floe_snapshot_infos_free(snaps, nsnaps);
        return cli_fail("%s", err.msg);
    }
    int64_t rows = 0, bytes = 0;
    int ndata = 0, nparts = 0;
    part_sum *parts = calloc((size_t)nfiles + 1, sizeof *parts);
    if (!parts) abort();
    for (int i = 0; i < nfiles; i++) {
        const floe_data_file_info *f = &files[i];
        if (f->content != 0) continue;
        ndata++;
        rows += f->record_count;
        bytes += f->file_size;
        int j = 0;
        while (j < nparts && strcmp(parts[j].name, f->partition) != 0) j++;
        if (j == nparts) parts[nparts++].name = f->partition;
        parts[j].files++;
        parts[j].rows += f->record_count;
        parts[j].bytes += f->file_size;
    }
    char size[32];
    put_size(size, sizeof size, bytes);
    printf("  %s\n", table);
    printf("    snapshots   %d (%d from this run)\n", nsnaps, mine);
    printf("    data files  %d, %s\n", ndata, size);
    if (rows_mine >= 0) printf("    rows        %" PRId64 " (%" PRId64 " from this run)\n", rows, rows_mine);
    else printf("    rows        %" PRId64 "\n", rows);
    if (nparts > 1 || (nparts == 1 && parts[0].name[0])) {
        printf("    partitions  %d\n", nparts);
        for (int j = 0; j < nparts && j < 8; j++) {
            put_size(size, sizeof size, parts[j].bytes);
            printf("      %-40s %4d file%s %9" PRId64 " rows  %s\n", parts[j].name, parts[j].files,
                   parts[j].files == 1 ? " " : "s", parts[j].rows, size);
        }
        if (nparts > 8) printf("      ... and %d more\n", nparts - 8);
    }
    free(parts);
    floe_data_file_infos_free(files, nfiles);
    floe_snapshot_infos_free(snaps, nsnaps);
    return 0;
}

/* The rows of the run in the demo table: those from its first event id on
 * (ids increase across runs).  Reads only that column, and only the files
 * whose bounds can hold such ids.  -1 when the scan fails (reported). */
static int64_t count_run_rows(floe_catalog_handle *c, int64_t first_event_id) {
    char where[64];
    snprintf(where, sizeof where, "event_id >= %" PRId64, first_event_id);
    const char *const cols[] = {"event_id"};
    floe_scan_opts so = {.where = where, .columns = cols, .ncolumns = 1};
    floe_scan_result sr;
    floe_err err = {0};
    if (floe_table_scan(c, DEMO_TABLE, &so, count_row, NULL, &sr, &err)) {
        cli_fail("%s", err.msg);
        return -1;
    }
    return sr.rows;
}

static int count_row(void *ctx, const char *json, size_t len, floe_err *err) {
    (void)ctx, (void)json, (void)len, (void)err;
    return 0;
}

static int print_row(void *ctx, const char *json, size_t len, floe_err *err) {
    (void)ctx, (void)err;
    printf("  %.*s\n", (int)len, json);
    return 0;
}

/* ---- the command ------------------------------------------------------------- */

/* mkdir -p */
static int make_dirs(const char *path) {
    char *p = strdup(path);
    if (!p) abort();
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    int rc = mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static void put_kv(FILE *f, const char *k, const char *v, int last) {
    fputs("    ", f);
    cli_put_json_string(f, k, strlen(k));
    fputs(": ", f);
    cli_put_json_string(f, v, strlen(v));
    fputs(last ? "\n" : ",\n", f);
}

/* The connector configuration the demo runs, as connector JSON. */
static char *build_config(const char *name, const char *bootstrap, const char *warehouse, const char *partition_by,
                          long long interval_ms, const char *metrics) {
    char *text = NULL, interval[32];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) abort();
    snprintf(interval, sizeof interval, "%lld", interval_ms);
    fputs("{\n  \"name\": ", f);
    cli_put_json_string(f, name, strlen(name));
    fputs(",\n  \"config\": {\n", f);
    put_kv(f, "connector.class", "org.apache.iceberg.connect.IcebergSinkConnector", 0);
    put_kv(f, "topics", DEMO_TOPIC, 0);
    put_kv(f, "iceberg.tables", DEMO_TABLE, 0);
    put_kv(f, "iceberg.tables.auto-create-enabled", "true", 0);
    put_kv(f, "iceberg.table." DEMO_TABLE ".partition-by", partition_by, 0);
    put_kv(f, "iceberg.catalog.warehouse", warehouse, 0);
    put_kv(f, "bootstrap.servers", bootstrap, 0);
    put_kv(f, "floe.commit.interval-ms", interval, 0);
    put_kv(f, "floe.metrics.listen", metrics ? metrics : "off", 0);
    put_kv(f, "kafka.auto.offset.reset", "earliest", 0);
    put_kv(f, "kafka.session.timeout.ms", "6000", 0);
    put_kv(f, "kafka.heartbeat.interval.ms", "500", 0);
    put_kv(f, "kafka.fetch.wait.max.ms", "50", 1);
    fputs("  }\n}\n", f);
    fclose(f);
    return text;
}

/* Creates demo.clickstream with the events' schema if it is missing, or
 * checks that the existing one takes them (an earlier version of the demo
 * made one with another schema).  The table is not left to the pipeline's
 * schema inference: that looks at the first records polled, which may be
 * few, and a field null in all of them (price) would become a string
 * column that every later priced event fails.  0, or the exit code. */
static int prepare_table(const cli_cmd *cmd, const char *uri, const char *warehouse, const char *partition_by,
                         int *created) {
    floe_err err = {0};
    floe_catalog_handle *c = cli_open_catalog(uri, warehouse);
    if (!c) return CLI_EXIT_FAIL;
    floe_table_info t;
    memset(&t, 0, sizeof t);
    int rc = 0;
    *created = 0;
    if (floe_table_describe(c, DEMO_TABLE, &t, &err) == 0) {
        floe_err why = {0};
        if (floe_demo_check_columns(t.columns, t.ncolumns, &why))
            rc = cli_fail("%s already has a table %s that the demo's events do not fit (%s): drop it with "
                          "'floe table drop %s --purge --warehouse %s' or give the demo another --warehouse",
                          warehouse, DEMO_TABLE, why.msg, DEMO_TABLE, warehouse);
        floe_table_info_free(&t);
    } else if (err.code != FLOE_ENOTFOUND) {
        rc = cli_fail("%s", err.msg);
    } else {
        int made_ns = floe_namespace_create(c, "demo", NULL, 0, &err) == 0;
        floe_table_create_opts o = {.schema_json = floe_demo_schema_json(), .partition_by = partition_by};
        if (!made_ns && err.code != FLOE_EEXISTS) {
            rc = cli_fail("%s", err.msg);
        } else if (floe_create_table(c, DEMO_TABLE, &o, &err)) {
            /* The library's message names --partition-by already. */
            rc = err.code == FLOE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail("%s", err.msg);
            floe_err ignored;
            if (made_ns) floe_namespace_drop(c, "demo", &ignored);
        } else {
            *created = 1;
        }
    }
    floe_close_catalog(c);
    return rc;
}

static int run_demo(const cli_cmd *cmd, int argc, char **argv) {
    const char *seconds_s = NULL, *rate_s = NULL, *warehouse_s = NULL, *partitions_s = NULL, *interval_s = NULL,
               *partition_by = "hour(ts)", *metrics = NULL;
    int verbose = 0;
    cli_opt opts[] = {{"--seconds", "N", &seconds_s, NULL},
                      {"--rate", "R", &rate_s, NULL},
                      {"--warehouse", "DIR", &warehouse_s, NULL},
                      {"--partitions", "P", &partitions_s, NULL},
                      {"--commit-interval-ms", "MS", &interval_s, NULL},
                      {"--partition-by", "SPEC", &partition_by, NULL},
                      {"--metrics", "ADDR", &metrics, NULL},
                      {"--verbose", NULL, NULL, &verbose}};
    char *pos[1];
    int npos, status;
    if (!cli_parse(cmd, argc, argv, opts, CLI_NOPTS(opts), pos, 0, 0, &npos, &status)) return status;
    long long seconds = 10, rate = 5000, partitions = 16, interval = 1000;
    if (seconds_s && cli_parse_int(seconds_s, 1, 86400, &seconds))
        return cli_usage_error(cmd, "--seconds: '%s' is not a number of seconds from 1 to 86400", seconds_s);
    if (rate_s && cli_parse_int(rate_s, 1, 1000000, &rate))
        return cli_usage_error(cmd, "--rate: '%s' is not a number of events per second from 1 to 1000000", rate_s);
    if (partitions_s && cli_parse_int(partitions_s, 1, 1000, &partitions))
        return cli_usage_error(cmd, "--partitions: '%s' is not a number from 1 to 1000", partitions_s);
    if (interval_s && cli_parse_int(interval_s, 1, 86400000, &interval))
        return cli_usage_error(cmd, "--commit-interval-ms: '%s' is not a positive number of milliseconds",
                               interval_s);
    if (!warehouse_s) warehouse_s = getenv("FLOE_WAREHOUSE");
    if (!warehouse_s || !*warehouse_s) warehouse_s = "./warehouse";
    if (make_dirs(warehouse_s)) return cli_fail("creating the warehouse %s: %s", warehouse_s, strerror(errno));
    char warehouse[PATH_MAX];
    if (!realpath(warehouse_s, warehouse)) return cli_fail("%s: %s", warehouse_s, strerror(errno));
    char uri[PATH_MAX + 32];
    snprintf(uri, sizeof uri, "sqlite:%s/catalog.db", warehouse);
    int created = 0;
    if ((status = prepare_table(cmd, uri, warehouse, partition_by, &created))) return status;

    /* The cluster and its topic. */
    floe_err err = {0};
    int64_t records = (int64_t)seconds * rate;
    floe_demo_opts dopts = {.topic = DEMO_TOPIC, .partitions = (int)partitions, .records = records,
                            .rate = (double)rate};
    floe_demo *d = floe_demo_new(&dopts, &err);
    if (!d) return cli_fail("%s", err.msg);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char name[64], group[80];
    snprintf(name, sizeof name, "floe-demo-%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    snprintf(group, sizeof group, "connect-%s", name);
    char *config = build_config(name, floe_demo_bootstrap(d), warehouse, partition_by, interval, metrics);
    monitor m;
    memset(&m, 0, sizeof m);
    m.d = d;
    m.verbose = verbose;
    m.run_thread = pthread_self();
    m.stats.freshness_p50_ms = m.stats.freshness_p99_ms = m.stats.freshness_max_ms = -1;
    pthread_mutex_init(&m.lock, NULL);
    atomic_init(&m.run_returned, 0);
    floe_pipeline_opts popts = {.log = on_log, .log_ctx = &m};
    floe_pipeline *p = floe_pipeline_new_text(config, strlen(config), "floe demo", &popts, &err);
    free(config);
    if (!p) {
        floe_demo_free(d);
        pthread_mutex_destroy(&m.lock);
        return cli_fail("%s", err.msg);
    }
    m.p = p; /* from here on the log callback reads the pipeline's counters */
    printf("Kafka: librdkafka's mock cluster in this process at %s, topic %s with %lld partition%s\n",
           floe_demo_bootstrap(d), DEMO_TOPIC, partitions, partitions == 1 ? "" : "s");
    printf("events: %" PRId64 " (%lld/s for %lld s), consumed by floe as group %s\n", records, rate, seconds, group);
    printf("table: %s in %s (catalog %s)%s, a commit every %lld ms\n", DEMO_TABLE, warehouse, uri,
           created ? ", created now" : "", interval);
    if (metrics) printf("metrics: http://%s/metrics\n", metrics);
    fflush(stdout);

    sig_pipeline = p;
    sig_demo = d;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    pthread_t mt;
    int mrc = pthread_create(&mt, NULL, monitor_main, &m);
    if (mrc) {
        floe_pipeline_free(p);
        floe_demo_free(d);
        pthread_mutex_destroy(&m.lock);
        return cli_fail("starting a thread: %s", strerror(mrc));
    }
    int64_t t0 = floe_mono_ms();
    floe_err run_err = {0};
    int run_rc = floe_pipeline_run(p, &run_err);
    int64_t elapsed = floe_mono_ms() - t0;
    atomic_store(&m.run_returned, 1);
    pthread_join(mt, NULL);

    /* The producer has finished unless the run ended early. */
    floe_demo_stop(d);
    floe_err perr = {0};
    floe_demo_progress pr;
    floe_demo_get_progress(d, &pr);
    int prod_rc = pr.started ? floe_demo_wait(d, &perr) : 0;
    floe_demo_get_progress(d, &pr);
    floe_pipeline_stats st;
    floe_pipeline_get_stats(p, &st);
    /* The consumer leaves its group before the cluster goes away. */
    sig_pipeline = NULL;
    sig_demo = NULL;
    m.p = NULL; /* no more counters from the log callback */
    floe_pipeline_free(p);
    floe_demo_free(d);
    pthread_mutex_destroy(&m.lock);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    status = 0;
    if (m.producer_error) status = cli_fail("%s", m.err.msg);
    if (run_rc) status = cli_fail("the pipeline stopped: %s", run_err.msg);
    if (prod_rc) status = cli_fail("%s", perr.msg);

    char size[32];
    put_size(size, sizeof size, st.file_bytes);
    printf("\nproduced %" PRId64 " events; floe committed %" PRId64 " records in %" PRId64 " commit%s (%" PRId64
           " data file%s, %s) in %.1f s",
           pr.delivered, st.records_committed, st.commits, st.commits == 1 ? "" : "s", st.files,
           st.files == 1 ? "" : "s", size, (double)elapsed / 1000.0);
    if (st.records_dead) printf("; %" PRId64 " dead letters", st.records_dead);
    if (st.tables_created)
        printf("; created %" PRId64 " table%s", st.tables_created, st.tables_created == 1 ? "" : "s");
    printf("\n");
    if (st.freshness_p50_ms >= 0)
        printf("freshness (Kafka timestamp to committed snapshot): p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
               st.freshness_p50_ms, st.freshness_p99_ms, st.freshness_max_ms);

    /* What landed, read back from the catalog. */
    floe_catalog_handle *c = cli_open_catalog(uri, warehouse);
    if (!c) return CLI_EXIT_FAIL;
    char **tables = NULL;
    int ntables = 0;
    if (floe_table_list(c, NULL, &tables, &ntables, &err)) {
        cli_fail("%s", err.msg);
        return cli_close_catalog(c, CLI_EXIT_FAIL);
    }
    printf("\ntables in %s:\n", warehouse);
    for (int i = 0; i < ntables; i++) {
        int64_t mine = -1;
        if (strcmp(tables[i], DEMO_TABLE) == 0)
            mine = pr.first_event_id >= 0 ? count_run_rows(c, pr.first_event_id) : 0;
        if (print_table(c, tables[i], group, mine)) status = CLI_EXIT_FAIL;
    }
    floe_strv_free(tables, ntables);

    if (pr.first_event_id >= 0) {
        char where[64];
        snprintf(where, sizeof where, "event_id >= %" PRId64, pr.first_event_id);
        printf("\nrows of this run, read back (floe table scan %s --where '%s' --limit 5):\n", DEMO_TABLE, where);
        floe_scan_opts so = {.where = where, .limit = 5};
        floe_scan_result sr;
        if (floe_table_scan(c, DEMO_TABLE, &so, print_row, NULL, &sr, &err)) status = cli_fail("%s", err.msg);
    }
    printf("\nlook further:\n"
           "  floe table snapshots %s --warehouse %s\n"
           "  floe table files %s --warehouse %s\n"
           "  floe table scan %s --warehouse %s --where \"event = 'purchase'\" --limit 10\n",
           DEMO_TABLE, warehouse, DEMO_TABLE, warehouse, DEMO_TABLE, warehouse);

    if (m.stalled)
        status = cli_fail("nothing more was committed for 60 s: %" PRId64 " of %" PRId64 " events landed",
                          st.records_committed, pr.delivered);
    else if (sig_count && st.records_committed + st.records_dead < pr.delivered)
        printf("\ninterrupted: the last %" PRId64 " events produced were not committed (they were on their "
               "way; the broker ends with the demo)\n",
               pr.delivered - st.records_committed - st.records_dead);
    else if (!status && !sig_count && st.records_committed != pr.delivered)
        status = cli_fail("%" PRId64 " events were produced but %" PRId64 " records committed (%" PRId64
                          " dead letters)",
                          pr.delivered, st.records_committed, st.records_dead);
    return cli_close_catalog(c, status);
}
