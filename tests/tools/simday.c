/*
 * simday.c — the "simulated day" of table maintenance: one streaming
 * writer committing once per simulated second while the background
 * maintainer of `floe run` (src/pipeline/maintain.c, the same API, its own
 * thread and catalog connection) compacts, rewrites manifests, expires and
 * cleans concurrently.  tests/integration/maintenance_day.sh runs it and
 * checks the rows with independent readers.
 *
 *   usage: simday DIR COMMITS [--step S] [--records N] [--target BYTES] [--interval-ms MS]
 *                 [--max-bytes B] [--clean-interval-ms MS] [--clean-window-ms MS]
 *                 [--orphan-every N] [--drain-ms MS] [--files-bound N]
 *                 [--manifests-bound N] [--snapshots-bound N] [--no-fsync]
 *
 * DIR becomes a fresh warehouse with a SQLite catalog (DIR/catalog.db) and
 * table sim.clicks (clickstream-like columns), partitioned by hour(ts),
 * with write.target-file-size-bytes = --target.  COMMITS commits follow,
 * each one small data file of --records rows whose ts is the commit's
 * simulated second (2026-01-01T00:00:00Z + i * --step s; with step 1 a day
 * is 86,400 commits and 24 hour partitions), committed with floe_table_append exactly as the
 * pipeline does (its bounded history included).  Every --orphan-every
 * commits a data file is written and never committed (a crash between
 * write and commit), for orphan cleanup to find.  Time is compressed: the
 * commits run back to back and the maintainer's intervals are real time.
 *
 * Measured, and checked at the end (`ok - ...` / `not ok - ...` lines):
 *   - no append failed;
 *   - the most live data files any partition held (seen by every health
 *     report of the maintainer, and by the writer sampling the table's
 *     health every 500 commits) stays below --files-bound (an hour holds
 *     3,600 files without compaction);
 *   - the most manifests and snapshots the table held stay below their
 *     bounds;
 *   - after a drain (the maintainer goes on for up to --drain-ms once the
 *     writer is done, as it would in a running `floe run`), the median
 *     size of the live files of the closed-out hours (all but the last) is
 *     at least half the target, and none of them holds more than 4 files;
 *   - every file deleted during the run (by the writer's bounded history,
 *     by expiry, compaction or cleanup: every unlink(2) of the process is
 *     recorded) is unreachable: not the current metadata file, not the
 *     manifest list or a manifest of a retained snapshot, not a data file
 *     live in one; and every file that is reachable exists;
 *   - the orphan paths cleanup reported are among the files planted as
 *     orphans (and it found some), and compaction rewrote files.
 * DIR/expected.ndjson receives every committed row, for the row checks;
 * DIR/figures.json the figures.
 *
 * --no-fsync makes fsync(2) and fdatasync(2) of this process (floe's file
 * IO and SQLite's commits) return at once: 86,400 commits with each of
 * their ~8 fsyncs would take hours on a slow disk.  UNSAFE, for this test
 * only: a crash would lose committed data.  The functions are overridden
 * here by definition (the executable's symbols win over libc's, for the
 * static library and for libsqlite3 alike); no library code changes.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "floe/maintenance.h"
#include "floe/table.h"
#include "io/fileio.h"
#include "pipeline/maintain.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/table.h"

/* ---- fsync and unlink ------------------------------------------------------------- */

static atomic_int no_fsync;

int fsync(int fd) {
    if (atomic_load(&no_fsync)) return 0;
    return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd) {
    if (atomic_load(&no_fsync)) return 0;
    return (int)syscall(SYS_fdatasync, fd);
}

static pthread_mutex_t unlinked_lock = PTHREAD_MUTEX_INITIALIZER;
static char **unlinked;
static size_t nunlinked, capunlinked;

int unlink(const char *path) {
    int rc = (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (rc == 0 && !strstr(base, ".tmp-")) {
        pthread_mutex_lock(&unlinked_lock);
        if (nunlinked == capunlinked) {
            capunlinked = capunlinked ? capunlinked * 2 : 4096;
            unlinked = realloc(unlinked, capunlinked * sizeof *unlinked);
            if (!unlinked) abort();
        }
        unlinked[nunlinked++] = strdup(path);
        pthread_mutex_unlock(&unlinked_lock);
    }
    return rc;
}

/* ---- reporting ----------------------------------------------------------------------- */

static int passed, failed;

static void check(int cond, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(int cond, const char *name, const char *fmt, ...) {
    if (cond) {
        passed++;
        printf("ok - simday: %s\n", name);
    } else {
        failed++;
        printf("not ok - simday: %s: ", name);
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
    fflush(stdout);
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, const floe_err *e) {
    fprintf(stderr, "simday: %s: %s\n", what, e->msg);
    exit(2);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---- what the run saw ------------------------------------------------------------------ */

typedef struct seen {
    pthread_mutex_t lock;
    int64_t max_part_files;          /* live data files of one partition */
    char max_part_name[128];
    int64_t max_manifests, max_snapshots;
    int64_t health_passes;
    int64_t compactions, files_rewritten, files_written, bytes_read, groups_skipped, compact_snapshots;
    int64_t rewrites, expiries, expired_snapshots, cleans, orphans_removed;
    int64_t failures;
    char last_failure[FLOE_ERR_MSG_MAX + 64];
    char **clean_paths;
    int nclean_paths, capclean_paths;
    int last_pass_compacted;          /* the latest health report asked for compaction */
    char unrecovered[8][32];          /* actions whose latest run failed */
    int nunrecovered;
} seen;

/* Records whether an action's latest run failed. */
static void seen_outcome(seen *s, const char *action, int fail) {
    int i = 0;
    while (i < s->nunrecovered && strcmp(s->unrecovered[i] + 1, action) != 0) i++;
    if (i == s->nunrecovered) {
        if (i == 8) return;
        snprintf(s->unrecovered[i] + 1, 31, "%s", action);
        s->nunrecovered++;
    }
    s->unrecovered[i][0] = fail ? 'F' : 'S'; /* the latest outcome, then the action's name */
}

static void seen_health(seen *s, const floe_table_health *h) {
    for (int i = 0; i < h->npartitions; i++)
        if (h->partitions[i].data_files > s->max_part_files) {
            s->max_part_files = h->partitions[i].data_files;
            snprintf(s->max_part_name, sizeof s->max_part_name, "%s", h->partitions[i].partition);
        }
    if (h->manifests > s->max_manifests) s->max_manifests = h->manifests;
    if (h->snapshots > s->max_snapshots) s->max_snapshots = h->snapshots;
}

static void on_event(void *ctx, const floe_maintenance_event *ev) {
    seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    seen_outcome(s, ev->action, ev->failed);
    if (ev->failed) {
        s->failures++;
        snprintf(s->last_failure, sizeof s->last_failure, "%s: %s", ev->action, ev->err ? ev->err->msg : "?");
    } else if (ev->health) {
        seen_health(s, ev->health);
        s->health_passes++;
        s->last_pass_compacted = 0;
        for (int i = 0; i < ev->health->nnext_actions; i++)
            if (strncmp(ev->health->next_actions[i], "compact", 7) == 0) s->last_pass_compacted = 1;
    } else if (ev->compact) {
        s->compactions++;
        s->files_rewritten += ev->compact->files_rewritten;
        s->files_written += ev->compact->files_written;
        s->bytes_read += ev->compact->bytes_read;
        s->groups_skipped += ev->compact->groups_skipped;
        s->compact_snapshots += ev->compact->snapshots;
    } else if (ev->rewrite) {
        s->rewrites++;
    } else if (ev->expire) {
        s->expiries++;
        s->expired_snapshots += ev->expire->nexpired;
    } else if (ev->clean) {
        s->cleans++;
        s->orphans_removed += ev->clean->orphans;
        for (int i = 0; i < ev->clean->npaths; i++) {
            if (s->nclean_paths == s->capclean_paths) {
                s->capclean_paths = s->capclean_paths ? s->capclean_paths * 2 : 64;
                s->clean_paths = floe_xrealloc(s->clean_paths, (size_t)s->capclean_paths * sizeof *s->clean_paths);
            }
            s->clean_paths[s->nclean_paths++] = floe_xstrdup(floe_uri_local_path(ev->clean->paths[i]));
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void log_line(void *ctx, int level, const char *line) {
    (void)ctx;
    if (level <= 6) fprintf(stderr, "%s\n", line);
}

/* ---- rows ---------------------------------------------------------------------------- */

static const char *const EVENTS[] = {"view", "view", "view", "click", "add_to_cart", "purchase", "signup", "search"};
static const char *const COUNTRIES[] = {"DE", "FR", "US", "JP", "BR", "IN", "NO", "ES", "GB", "CA"};
static const char *const DEVICES[] = {"desktop", "mobile", "mobile", "tablet"};

static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

#define T0_S 1767225600LL /* 2026-01-01T00:00:00Z */

/* Row `id` of second `sec` (its j-th row): ts at whole milliseconds. */
static void row(floe_buf *b, int64_t id, int64_t sec, int j) {
    uint64_t r = mix((uint64_t)id);
    time_t t = (time_t)(T0_S + sec);
    struct tm tm;
    gmtime_r(&t, &tm);
    floe_buf_printf(b,
                    "{\"id\":%" PRId64 ",\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"user\":\"u%u\","
                    "\"session\":\"%016" PRIx64 "\",\"event\":\"%s\",\"url\":\"/p/%u\",\"amount\":%u.%02u,"
                    "\"country\":\"%s\",\"device\":\"%s\"}",
                    id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    (j * 37) % 1000, (unsigned)(r % 20000), mix(r / 20000 + (uint64_t)(id / 50)),
                    EVENTS[(r >> 20) % 8], (unsigned)((r >> 24) % 5000), (unsigned)((r >> 36) % 500),
                    (unsigned)((r >> 44) % 100), COUNTRIES[(r >> 52) % 10], DEVICES[(r >> 58) % 4]);
}

/* Writes the rows of second `sec` (ids from `first`, descending when
 * first is negative) to the writer and to `batch` as NDJSON. */
static void write_batch(floe_datafile_writer *dw, floe_buf *line, floe_buf *batch, int64_t first, int64_t sec,
                        int64_t records) {
    floe_err e;
    batch->len = 0;
    for (int j = 0; j < records; j++) {
        line->len = 0;
        row(line, first < 0 ? first - j : first + j, sec, j);
        if (floe_datafile_writer_write(dw, (const char *)line->data, line->len, j + 1, &e)) die("writing", &e);
        floe_buf_append(batch, line->data, line->len);
        floe_buf_putc(batch, '\n');
    }
}

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"user\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"session\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"event\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":6,\"name\":\"url\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"amount\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":8,\"name\":\"country\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"device\",\"required\":false,\"type\":\"string\"}]}";

/* ---- reachability ---------------------------------------------------------------------- */

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

static void strset_add(strset *s, const char *uri) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = floe_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = floe_xstrdup(floe_uri_local_path(uri));
}

static int strset_has(const strset *s, const char *path) {
    if (!s->n) return 0;
    return bsearch(&path, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

/* Every file the table's current metadata reaches: itself, and for each
 * retained snapshot its manifest list, manifests and live data files. */
static int reachable(floe_table *t, strset *out, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    strset_add(out, t->state.metadata_location);
    for (int i = 0; i < m->nsnapshots; i++) {
        const floe_ice_snapshot *s = &m->snapshots[i];
        if (s->manifest_list) strset_add(out, s->manifest_list);
        floe_ice_manifest_file *mf;
        int nmf;
        if (floe_table_manifests(t, s, &mf, &nmf, err)) return -1;
        for (int k = 0; k < nmf; k++) {
            strset_add(out, mf[k].manifest_path);
            floe_ice_manifest_entry *e;
            int ne;
            if (floe_table_entries(t, &mf[k], &e, &ne, err)) {
                floe_table_manifests_free(mf, nmf);
                return -1;
            }
            for (int j = 0; j < ne; j++)
                if (e[j].status != FLOE_ICE_STATUS_DELETED) strset_add(out, e[j].file.file_path);
            floe_table_entries_free(e, ne);
        }
        floe_table_manifests_free(mf, nmf);
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (k && strcmp(out->v[k - 1], out->v[i]) == 0) free(out->v[i]);
        else out->v[k++] = out->v[i];
    }
    out->n = k;
    return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

static int64_t opt_i64(const char *s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == 'k' || *end == 'K') v <<= 10, end++;
    else if (*end == 'm' || *end == 'M') v <<= 20, end++;
    if (*end) {
        fprintf(stderr, "simday: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: simday DIR SECONDS [options]\n");
        return 2;
    }
    const char *dir = argv[1];
    int64_t seconds = opt_i64(argv[2]);
    int64_t records = 8, target = 1 << 20, interval_ms = 1000, max_bytes = 64 << 20, clean_interval_ms = 15000,
            clean_window_ms = 20000, orphan_every = 2000, drain_ms = 60000, files_bound = 600, manifests_bound = 64,
            snapshots_bound = 40, rate = 0, step = 1;
    enum { MAX_PROPS = 16 };
    const char *props[MAX_PROPS + 1];
    int nprops = 0;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--no-fsync") == 0) {
            atomic_store(&no_fsync, 1);
            continue;
        }
        if (strcmp(a, "--table-prop") == 0 && i + 1 < argc && nprops < MAX_PROPS) {
            props[nprops++] = argv[++i];
            continue;
        }
        int64_t *dst = strcmp(a, "--records") == 0             ? &records
                       : strcmp(a, "--target") == 0            ? &target
                       : strcmp(a, "--interval-ms") == 0       ? &interval_ms
                       : strcmp(a, "--max-bytes") == 0         ? &max_bytes
                       : strcmp(a, "--clean-interval-ms") == 0 ? &clean_interval_ms
                       : strcmp(a, "--clean-window-ms") == 0   ? &clean_window_ms
                       : strcmp(a, "--orphan-every") == 0      ? &orphan_every
                       : strcmp(a, "--drain-ms") == 0          ? &drain_ms
                       : strcmp(a, "--files-bound") == 0       ? &files_bound
                       : strcmp(a, "--manifests-bound") == 0   ? &manifests_bound
                       : strcmp(a, "--snapshots-bound") == 0   ? &snapshots_bound
                       : strcmp(a, "--rate") == 0              ? &rate
                       : strcmp(a, "--step") == 0              ? &step
                                                               : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "simday: unknown option %s\n", a);
            return 2;
        }
        *dst = opt_i64(v);
        i++;
    }

    floe_err e;
    floe_buf b;
    floe_buf_init(&b);
    mkdir(dir, 0755);
    floe_buf_printf(&b, "sqlite:%s/catalog.db", dir);
    char *uri = floe_xstrdup(floe_buf_cstr(&b));
    floe_catalog_handle *h = floe_open_catalog(uri, dir, &e);
    if (!h) die("opening the catalog", &e);
    if (floe_namespace_create(h, "sim", NULL, 0, &e) && e.code != FLOE_EEXISTS) die("creating namespace", &e);
    char prop[64];
    snprintf(prop, sizeof prop, "write.target-file-size-bytes=%" PRId64, target);
    props[nprops++] = prop;
    floe_table_create_opts co = {SCHEMA, "hour(ts)", props, nprops, NULL};
    if (floe_create_table(h, "sim.clicks", &co, &e)) die("creating sim.clicks", &e);
    floe_table *t = floe_table_load(h->catalog, "sim", "clicks", &e);
    if (!t) die("loading sim.clicks", &e);

    seen s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    floe_maintainer_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.catalog_uri = uri;
    mo.warehouse = dir;
    mo.interval_ms = interval_ms;
    mo.max_bytes_per_run = max_bytes;
    mo.clean_interval_ms = clean_interval_ms;
    mo.clean_window_ms = clean_window_ms;
    mo.log = log_line;
    mo.observer = on_event;
    mo.observer_ctx = &s;
    floe_maintainer *mt = floe_maintainer_start(&mo, &e);
    if (!mt) die("starting the maintainer", &e);
    floe_maintainer_note_table(mt, "sim.clicks");

    floe_buf_reset(&b);
    floe_buf_printf(&b, "%s/expected.ndjson", dir);
    FILE *expected = fopen(floe_buf_cstr(&b), "w");
    if (!expected) {
        perror("expected.ndjson");
        return 2;
    }
    floe_datafile_writer *dw = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &e);
    if (!dw) die("data file writer", &e);

    int64_t append_failures = 0, commits = 0, rows = 0, orphans_planted = 0, writer_max_snapshots = 0;
    int64_t sampled_max_files = 0, sampled_max_manifests = 0;
    char first_failure[FLOE_ERR_MSG_MAX + 64] = "";
    strset planted = {0};
    floe_buf line, batch;
    floe_buf_init(&line);
    floe_buf_init(&batch);
    int64_t t_start = mono_ms();
    int64_t next_id = 0;
    for (int64_t sec = 0; sec < seconds; sec++) {
        if (rate > 0) {
            /* the pace of the compressed clock: commit `sec` not before sec/rate s */
            int64_t due = t_start + sec * 1000 / rate, now = mono_ms();
            if (due > now) usleep((useconds_t)(due - now) * 1000);
        }
        floe_ice_data_file *files;
        int n;
        if (orphan_every > 0 && sec % orphan_every == orphan_every / 2) {
            /* a data file written and never committed; its rows have
             * negative ids, so that the row checks would see any of them
             * appearing in the table */
            write_batch(dw, &line, &batch, -1 - sec * records, sec * step, records);
            if (floe_datafile_writer_finish(dw, &files, &n, &e)) die("closing the data file", &e);
            for (int k = 0; k < n; k++) {
                strset_add(&planted, files[k].file_path);
                floe_ice_data_file_free(&files[k]);
            }
            free(files);
            orphans_planted += n;
        }
        write_batch(dw, &line, &batch, next_id, sec * step, records);
        if (floe_datafile_writer_finish(dw, &files, &n, &e)) die("closing the data file", &e);
        if (floe_table_append(t, files, n, NULL, &e)) {
            if (!append_failures) snprintf(first_failure, sizeof first_failure, "second %" PRId64 ": %s", sec, e.msg);
            append_failures++;
        } else {
            commits++;
            rows += records;
            next_id += records;
            fwrite(batch.data, 1, batch.len, expected);
        }
        for (int k = 0; k < n; k++) floe_ice_data_file_free(&files[k]);
        free(files);
        int64_t ns = floe_table_meta(t)->nsnapshots;
        if (ns > writer_max_snapshots) writer_max_snapshots = ns;
        if (sec % 500 == 499) {
            floe_table_health hh;
            if (floe_table_health_get(h, "sim.clicks", &hh, &e) == 0) {
                for (int i = 0; i < hh.npartitions; i++)
                    if (hh.partitions[i].data_files > sampled_max_files) sampled_max_files = hh.partitions[i].data_files;
                if (hh.manifests > sampled_max_manifests) sampled_max_manifests = hh.manifests;
                if (hh.snapshots > writer_max_snapshots) writer_max_snapshots = hh.snapshots;
                floe_table_health_free(&hh);
            }
        }
        if ((sec * step) % 3600 + step >= 3600) {
            int64_t el = mono_ms() - t_start;
            pthread_mutex_lock(&s.lock);
            fprintf(stderr,
                    "simday: hour %" PRId64 " done: %" PRId64 " commits in %.1f s (%.0f/s); max files/partition %" PRId64
                    ", compactions %" PRId64 ", files rewritten %" PRId64 "\n",
                    sec * step / 3600 + 1, commits, el / 1000.0, commits * 1000.0 / (el ? el : 1), s.max_part_files,
                    s.compactions, s.files_rewritten);
            pthread_mutex_unlock(&s.lock);
        }
    }
    int64_t elapsed_ms = mono_ms() - t_start;
    fclose(expected);
    floe_datafile_writer_free(dw);

    /* The drain: the maintainer goes on until a health report asks for no
     * compaction (or the drain time is up), as in a `floe run` that keeps
     * running. */
    int64_t drain_start = mono_ms();
    int64_t p0 = floe_maintainer_passes(mt);
    for (;;) {
        floe_maintainer_kick(mt);
        int64_t p = floe_maintainer_passes(mt);
        while (floe_maintainer_passes(mt) == p && mono_ms() - drain_start < drain_ms) usleep(20000);
        pthread_mutex_lock(&s.lock);
        int more = s.last_pass_compacted;
        pthread_mutex_unlock(&s.lock);
        if ((!more && floe_maintainer_passes(mt) >= p0 + 2) || mono_ms() - drain_start >= drain_ms) break;
    }
    int64_t drain_elapsed = mono_ms() - drain_start;
    floe_maintainer_stop(mt);

    /* ---- the figures and the checks ---- */
    if (floe_table_reload(t, &e)) die("reloading", &e);
    floe_data_file_info *fi;
    int nfi;
    if (floe_table_files(h, "sim.clicks", 0, 0, &fi, &nfi, &e)) die("listing files", &e);
    /* closed-out hours: every partition but the last hour's */
    char last_hour[64];
    {
        time_t tl = (time_t)(T0_S + (seconds - 1) * step);
        struct tm tm;
        gmtime_r(&tl, &tm);
        snprintf(last_hour, sizeof last_hour, "%04d-%02d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour);
    }
    int64_t *sizes = floe_xcalloc((size_t)nfi + 1, sizeof *sizes);
    int nsizes = 0, closed_parts = 0;
    int64_t live_rows = 0, max_final_files = 0, max_closed_files = 0;
    char prev[128] = "";
    int64_t in_part = 0;
    for (int i = 0; i < nfi; i++) {
        live_rows += fi[i].record_count;
        if (!strstr(fi[i].partition, last_hour)) sizes[nsizes++] = fi[i].file_size;
    }
    /* files per partition at the end */
    {
        char **parts = floe_xcalloc((size_t)nfi + 1, sizeof *parts);
        for (int i = 0; i < nfi; i++) parts[i] = fi[i].partition;
        qsort(parts, (size_t)nfi, sizeof *parts, cmp_str);
        for (int i = 0; i < nfi; i++) {
            if (strcmp(prev, parts[i]) != 0) {
                snprintf(prev, sizeof prev, "%s", parts[i]);
                in_part = 0;
                if (!strstr(parts[i], last_hour)) closed_parts++;
            }
            if (++in_part > max_final_files) max_final_files = in_part;
            if (!strstr(parts[i], last_hour) && in_part > max_closed_files) max_closed_files = in_part;
        }
        free(parts);
    }
    qsort(sizes, (size_t)nsizes, sizeof *sizes, cmp_i64);
    int64_t median = nsizes ? sizes[nsizes / 2] : 0;

    strset reach = {0};
    if (reachable(t, &reach, &e)) die("walking the retained snapshots", &e);
    int64_t removed_reachable = 0, reachable_missing = 0;
    char example[600] = "";
    for (size_t i = 0; i < nunlinked; i++)
        if (strset_has(&reach, unlinked[i])) {
            if (!removed_reachable) snprintf(example, sizeof example, "%s", unlinked[i]);
            removed_reachable++;
        }
    char missing_ex[600] = "";
    for (size_t i = 0; i < reach.n; i++) {
        struct stat st;
        if (stat(reach.v[i], &st) != 0) {
            if (!reachable_missing) snprintf(missing_ex, sizeof missing_ex, "%s", reach.v[i]);
            reachable_missing++;
        }
    }
    if (planted.n) qsort(planted.v, planted.n, sizeof *planted.v, cmp_str);
    /* Cleanup also removes old metadata files (no metadata lists them any
     * more); the data files it removes must be the planted ones: no commit
     * of this run failed, and compaction deletes the files of a group it
     * gives up. */
    int64_t clean_unplanted = 0, clean_planted = 0, clean_reachable = 0;
    char clean_ex[600] = "";
    for (int i = 0; i < s.nclean_paths; i++) {
        if (strset_has(&planted, s.clean_paths[i])) clean_planted++;
        else if (strstr(s.clean_paths[i], "/data/")) {
            if (!clean_unplanted) snprintf(clean_ex, sizeof clean_ex, "%s", s.clean_paths[i]);
            clean_unplanted++;
        }
        if (strset_has(&reach, s.clean_paths[i])) clean_reachable++;
    }
    int64_t max_files = s.max_part_files > sampled_max_files ? s.max_part_files : sampled_max_files;
    int64_t max_manifests = s.max_manifests > sampled_max_manifests ? s.max_manifests : sampled_max_manifests;
    int64_t max_snapshots = s.max_snapshots > writer_max_snapshots ? s.max_snapshots : writer_max_snapshots;
    double cps = commits * 1000.0 / (elapsed_ms ? elapsed_ms : 1);

    printf("# simulated %" PRId64 " s: %" PRId64 " commits of %" PRId64 " rows in %.1f s (%.1f commits/s)%s\n",
           seconds * step, commits, records, elapsed_ms / 1000.0, cps, atomic_load(&no_fsync) ? ", fsync off" : "");
    printf("# max live files in one partition %" PRId64 " (%s; writer samples %" PRId64 "), at the end %" PRId64
           " (bound %" PRId64 ")\n",
           max_files, s.max_part_name, sampled_max_files, max_final_files, files_bound);
    printf("# median live file size of %d closed-out hours: %" PRId64 " bytes over %d files (target %" PRId64 ")\n",
           closed_parts, median, nsizes, target);
    printf("# max manifests %" PRId64 " (bound %" PRId64 "), max snapshots %" PRId64 " (bound %" PRId64
           "), at the end %d snapshots\n",
           max_manifests, manifests_bound, max_snapshots, snapshots_bound, floe_table_meta(t)->nsnapshots);
    printf("# maintenance: %" PRId64 " health reports, %" PRId64 " compactions (%" PRId64 " files rewritten into %" PRId64
           ", %" PRId64 " bytes read, %" PRId64 " groups skipped), %" PRId64 " manifest rewrites, %" PRId64
           " expiries (%" PRId64 " snapshots), %" PRId64 " cleanups (%" PRId64 " files), %" PRId64
           " failures; drain %.1f s\n",
           s.health_passes, s.compactions, s.files_rewritten, s.files_written, s.bytes_read, s.groups_skipped,
           s.rewrites, s.expiries, s.expired_snapshots, s.cleans, s.orphans_removed, s.failures,
           drain_elapsed / 1000.0);
    printf("# files deleted during the run %zu, reachable at the end %zu; orphans planted %" PRId64
           ", removed by cleanup %" PRId64 "\n",
           nunlinked, reach.n, orphans_planted, clean_planted);

    check(append_failures == 0, "no streaming commit failed", "%" PRId64 " appends failed, first: %s", append_failures,
          first_failure);
    check(live_rows == rows, "the live files hold every committed row", "%" PRId64 " rows live, %" PRId64 " committed",
          live_rows, rows);
    check(max_files < files_bound, "live files per partition stay bounded",
          "max %" PRId64 " files in %s, bound %" PRId64, max_files, s.max_part_name, files_bound);
    check(closed_parts == 0 || median * 2 >= target, "median live file size of closed-out hours >= target/2",
          "median %" PRId64 " bytes, target %" PRId64, median, target);
    check(max_closed_files <= 4, "closed-out hours end compacted (at most 4 files each)",
          "a closed-out hour holds %" PRId64 " files", max_closed_files);
    check(max_manifests < manifests_bound, "manifests stay bounded", "max %" PRId64 ", bound %" PRId64, max_manifests,
          manifests_bound);
    check(max_snapshots < snapshots_bound, "snapshots stay bounded", "max %" PRId64 ", bound %" PRId64, max_snapshots,
          snapshots_bound);
    check(s.files_rewritten > 0 && s.compactions > 0, "compaction ran and rewrote files",
          "%" PRId64 " compactions, %" PRId64 " files rewritten", s.compactions, s.files_rewritten);
    check(removed_reachable == 0, "every deleted file was unreachable",
          "%" PRId64 " deleted files are referenced by the final metadata or a retained snapshot, e.g. %s",
          removed_reachable, example);
    check(reachable_missing == 0, "every reachable file exists", "%" PRId64 " missing, e.g. %s", reachable_missing,
          missing_ex);
    check(clean_reachable == 0 && clean_unplanted == 0 && (orphans_planted == 0 || clean_planted > 0),
          "orphan cleanup removed unreachable files only, the planted orphans among them",
          "%" PRId64 " of its files reachable; %" PRId64 " planted removed, %" PRId64
          " other data files removed (e.g. %s)",
          clean_reachable, clean_planted, clean_unplanted, clean_ex);
    {
        /* A step may fail on a race with the writer's expiry (a manifest of
         * the snapshot it read deleted meanwhile): the pipeline goes on and
         * the next pass does it; what must not be is a step that keeps
         * failing. */
        char bad[300] = "";
        for (int i = 0; i < s.nunrecovered; i++)
            if (s.unrecovered[i][0] == 'F')
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s", s.unrecovered[i] + 1);
        check(!bad[0], "every maintenance step that failed succeeded on a later pass",
              "still failing:%s; %" PRId64 " failures, last: %s", bad, s.failures, s.last_failure);
    }

    floe_buf_reset(&b);
    floe_buf_printf(&b, "%s/figures.json", dir);
    FILE *fj = fopen(floe_buf_cstr(&b), "w");
    if (fj) {
        fprintf(fj,
                "{\"seconds\":%" PRId64 ",\"commits\":%" PRId64 ",\"rows\":%" PRId64 ",\"elapsed_ms\":%" PRId64
                ",\"commits_per_s\":%.1f,\"max_files_per_partition\":%" PRId64 ",\"median_file_bytes\":%" PRId64
                ",\"max_manifests\":%" PRId64 ",\"max_snapshots\":%" PRId64 ",\"files_rewritten\":%" PRId64
                ",\"deleted_files\":%zu,\"orphans_removed\":%" PRId64 "}\n",
                seconds * step, commits, rows, elapsed_ms, cps, max_files, median, max_manifests, max_snapshots,
                s.files_rewritten, nunlinked, clean_planted);
        fclose(fj);
    }

    floe_data_file_infos_free(fi, nfi);
    free(sizes);
    for (size_t i = 0; i < reach.n; i++) free(reach.v[i]);
    free(reach.v);
    for (size_t i = 0; i < planted.n; i++) free(planted.v[i]);
    free(planted.v);
    for (int i = 0; i < s.nclean_paths; i++) free(s.clean_paths[i]);
    free(s.clean_paths);
    floe_buf_free(&line);
    floe_buf_free(&batch);
    floe_buf_free(&b);
    floe_table_free(t);
    floe_close_catalog(h); /* SQLite unlinks its WAL here: the record of unlinks is freed after */
    free(uri);
    for (size_t i = 0; i < nunlinked; i++) free(unlinked[i]);
    free(unlinked);
    pthread_mutex_destroy(&s.lock);
    return failed ? 1 : 0;
}
