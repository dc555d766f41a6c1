/*
 * maintain.c — the background maintainer of `floe run` (maintain.h).
 *
 * One thread, one catalog connection, a list of table names.  The thread
 * sleeps on a condition variable for an interval (floe_maintainer_stop and
 * floe_maintainer_kick wake it), copies the list, and for each table:
 *   1. floe_table_health_get: the small files, snapshots and manifests the
 *      table holds now, and the actions it calls for ("compact ...",
 *      "rewrite manifests ...", "expire ..."); the gauges are set here;
 *   2. compaction, when asked, reading at most max_bytes_per_run bytes
 *      (a backlog is worked off over several passes, so the writer's
 *      commits never queue behind one huge rewrite);
 *   3. a manifest rewrite, when asked;
 *   4. expiry: when the report asks, or when the table holds more
 *      snapshots than its bounded history allows (floe.history.retain-last
 *      + floe.history.slack: the writer applies that bound after each of
 *      its appends, but compaction and manifest rewrites add snapshots of
 *      their own, and a table nobody appends to any more would keep them);
 *   5. orphan cleanup, at most once per clean interval per table, with the
 *      library's safety window (files younger than 3 days stay: they may
 *      belong to a commit in flight).
 * Every step is timed, logged as one "maintenance" line, counted in the
 * metrics and handed to the observer; a failing step is logged as
 * "maintenance-failed" and the next step runs anyway.
 *
 * On a small machine (2 cores or fewer) a compaction works at most half of
 * the wall time: its progress callback pauses as long as it has worked
 * since the last pause, so the ingesting thread keeps a core to itself
 * most of the time.  The same callback returns non-zero once a stop is
 * asked, which ends a compaction early; its committed groups stay.
 */
#include "pipeline/logline.h"
#include "pipeline/maintain.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "table/expire.h"
#include "table/table.h"
#include "util/clock.h"
#include "util/text.h"

#define DEFAULT_INTERVAL_MS 60000
#define DEFAULT_MAX_BYTES ((int64_t)256 << 20)
#define DEFAULT_CLEAN_INTERVAL_MS 3600000
#define DUTY_SLICE_MS 100 /* work at least this long before a duty-cycle pause */

struct floe_maintainer {
    floe_maintainer_opts o;
    char *uri, *warehouse;
    floe_props props;
    floe_catalog_handle h;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, kick;
    int64_t passes;
    /* the tables noted (under lock) */
    char **tables;
    int64_t *last_clean_ms; /* mono ms of the table's last cleanup; -1 never (thread-owned) */
    int ntables, captables;
    /* the step in progress (thread-owned) */
    int64_t work_start_ms;
};

/* ---- small helpers ------------------------------------------------------------------ */

/* Waits (lock held) until `ms` have passed, a stop or (with kickable) a
 * kick; returns whether to stop. */
static int wait_locked(floe_maintainer *mt, int64_t ms, int kickable) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    int64_t ns = dl.tv_nsec + (ms % 1000) * 1000000;
    dl.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    dl.tv_nsec = (long)(ns % 1000000000);
    while (!mt->stop && !(kickable && mt->kick)) {
        if (pthread_cond_timedwait(&mt->cond, &mt->lock, &dl) == ETIMEDOUT) break;
    }
    return mt->stop;
}

static int stopping(floe_maintainer *mt) {
    pthread_mutex_lock(&mt->lock);
    int s = mt->stop;
    pthread_mutex_unlock(&mt->lock);
    return s;
}

/* One log line in the pipeline's format: an event and "key", "value", ...
 * NULL; values that are integers stay numbers in JSON. */
static void mlog(floe_maintainer *mt, int level, const char *event, ...) {
    if (!mt->o.log) return;
    floe_buf b;
    floe_buf_init(&b);
    va_list ap;
    va_start(ap, event);
    floe_logline_vformat(&b, mt->o.log_json, level, event, ap);
    va_end(ap);
    mt->o.log(mt->o.log_ctx, level, floe_buf_cstr(&b));
    floe_buf_free(&b);
}

static const char *num(int64_t v) {
    static _Thread_local char pool[8][24];
    static _Thread_local int k;
    char *s = pool[k++ & 7];
    snprintf(s, 24, "%lld", (long long)v);
    return s;
}

/* ---- metrics ------------------------------------------------------------------------ */

/* Series are looked up by name and labels each time (the registry returns
 * the existing handle): a pass is rare, and tables come and go. */
static void count_run(floe_maintainer *mt, const char *table, const char *action, int failed, int64_t ms) {
    if (!mt->o.metrics) return;
    floe_err e;
    const char *const l[] = {"table", table, "action", action, NULL};
    floe_counter *c =
        failed ? floe_metrics_counter(mt->o.metrics, "floe_maintenance_failures_total",
                                      "Maintenance steps that failed (the pipeline goes on).", l, &e)
               : floe_metrics_counter(mt->o.metrics, "floe_maintenance_runs_total", "Maintenance steps run.", l, &e);
    if (c) floe_counter_add(c, 1);
    static const double bounds[] = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300};
    const char *const la[] = {"action", action, NULL};
    floe_histogram *h = floe_metrics_histogram(mt->o.metrics, "floe_maintenance_duration_seconds",
                                               "Time taken by one maintenance step.", la, bounds,
                                               sizeof bounds / sizeof bounds[0], &e);
    if (h) floe_histogram_observe(h, (double)ms / 1000.0);
}

static void count_compaction(floe_maintainer *mt, const char *table, const floe_compact_result *r) {
    if (!mt->o.metrics) return;
    floe_err e;
    const char *const l[] = {"table", table, NULL};
    floe_counter *f = floe_metrics_counter(mt->o.metrics, "floe_compaction_files_rewritten_total",
                                           "Small data files replaced by compaction.", l, &e);
    floe_counter *b = floe_metrics_counter(mt->o.metrics, "floe_compaction_bytes_total",
                                           "Bytes of data files read by compaction.", l, &e);
    if (f && r->files_rewritten > 0) floe_counter_add(f, (uint64_t)r->files_rewritten);
    if (b && r->bytes_read > 0) floe_counter_add(b, (uint64_t)r->bytes_read);
}

static void set_gauges(floe_maintainer *mt, const char *table, const floe_table_health *h) {
    if (!mt->o.metrics) return;
    floe_err e;
    const char *const l[] = {"table", table, NULL};
    floe_gauge *s = floe_metrics_gauge(mt->o.metrics, "floe_table_small_files",
                                       "Small data files waiting for compaction (compaction lag).", l, &e);
    floe_gauge *n = floe_metrics_gauge(mt->o.metrics, "floe_table_snapshots", "Snapshots the table holds.", l, &e);
    if (s) floe_gauge_set(s, (double)h->small_files);
    if (n) floe_gauge_set(n, (double)h->snapshots);
}

/* ---- steps ---------------------------------------------------------------------------- */

static void observe(floe_maintainer *mt, floe_maintenance_event *ev) {
    if (mt->o.observer) mt->o.observer(mt->o.observer_ctx, ev);
}

static void failed(floe_maintainer *mt, const char *table, const char *action, const floe_err *e, int64_t ms) {
    count_run(mt, table, action, 1, ms);
    mlog(mt, 4, "maintenance-failed", "table", table, "action", action, "error", e->msg, "ms", num(ms), NULL);
}

/* The compaction's progress callback: the duty cycle and the stop. */
static int on_progress(void *ctx, const char *what, int64_t done, int64_t total) {
    (void)what;
    (void)done;
    (void)total;
    floe_maintainer *mt = ctx;
    pthread_mutex_lock(&mt->lock);
    if (!mt->stop && mt->o.duty < 1.0) {
        int64_t worked = floe_mono_ms() - mt->work_start_ms;
        if (worked >= DUTY_SLICE_MS) {
            int64_t pause = (int64_t)((double)worked * (1.0 - mt->o.duty) / mt->o.duty);
            if (pause > 0) wait_locked(mt, pause, 0);
            mt->work_start_ms = floe_mono_ms();
        }
    }
    int s = mt->stop;
    pthread_mutex_unlock(&mt->lock);
    return s;
}

static int64_t do_compact(floe_maintainer *mt, const char *table) {
    floe_compact_opts co;
    memset(&co, 0, sizeof co);
    co.max_input_bytes = mt->o.max_bytes_per_run;
    co.progress = on_progress;
    co.progress_ctx = mt;
    floe_compact_result r;
    memset(&r, 0, sizeof r);
    floe_err e;
    memset(&e, 0, sizeof e);
    int64_t t0 = floe_mono_ms();
    mt->work_start_ms = t0;
    int rc = floe_compact(&mt->h, table, &co, &r, &e);
    int64_t ms = floe_mono_ms() - t0;
    int fail = rc != 0 && !stopping(mt);
    floe_maintenance_event ev = {.table = table, .action = "compact", .failed = fail, .err = &e, .ms = ms,
                                 .compact = &r};
    observe(mt, &ev);
    count_compaction(mt, table, &r);
    if (fail) {
        failed(mt, table, "compact", &e, ms);
    } else {
        count_run(mt, table, "compact", 0, ms);
        mlog(mt, 6, "maintenance", "table", table, "action", "compact", "files", num(r.files_rewritten), "bytes",
             num(r.bytes_read), "files_written", num(r.files_written), "bytes_written", num(r.bytes_written),
             "snapshots", num(r.snapshots), "skipped", num(r.groups_skipped), "ms", num(ms), NULL);
    }
    return r.snapshots;
}

static int64_t do_rewrite(floe_maintainer *mt, const char *table) {
    floe_rewrite_manifests_result r;
    memset(&r, 0, sizeof r);
    floe_err e;
    memset(&e, 0, sizeof e);
    int64_t t0 = floe_mono_ms();
    int rc = floe_rewrite_manifests(&mt->h, table, &r, &e);
    int64_t ms = floe_mono_ms() - t0;
    floe_maintenance_event ev = {.table = table, .action = "rewrite-manifests", .failed = rc != 0, .err = &e,
                                 .ms = ms, .rewrite = &r};
    observe(mt, &ev);
    if (rc) {
        failed(mt, table, "rewrite-manifests", &e, ms);
        return 0;
    }
    count_run(mt, table, "rewrite-manifests", 0, ms);
    mlog(mt, 6, "maintenance", "table", table, "action", "rewrite-manifests", "files", num(r.manifests_before),
         "files_written", num(r.manifests_after), "entries", num(r.entries), "ms", num(ms), NULL);
    return r.snapshots;
}

/* Expires what the table's own settings say should go: its bounded
 * history when it holds more than retain-last + slack snapshots, else,
 * when the health report asks, its history.expire.* settings. */
static void do_expire(floe_maintainer *mt, const char *table, int asked) {
    floe_err e;
    memset(&e, 0, sizeof e);
    int64_t t0 = floe_mono_ms();
    char *ns = NULL, *name = NULL;
    floe_table *t = NULL;
    floe_expire_result r;
    memset(&r, 0, sizeof r);
    int rc = -1;
    if (floe_table_ident_split(table, &ns, &name, &e) == 0) t = floe_table_load(mt->h.catalog, ns, name, &e);
    free(ns);
    free(name);
    if (t) {
        const floe_ice_metadata *m = floe_table_meta(t);
        int64_t keep = floe_props_get_int(&m->properties, FLOE_HISTORY_RETAIN_LAST, FLOE_HISTORY_RETAIN_LAST_DEFAULT);
        int64_t slack = floe_props_get_int(&m->properties, FLOE_HISTORY_SLACK, FLOE_HISTORY_SLACK_DEFAULT);
        if (slack < 1) slack = 1;
        floe_expire_opts o;
        memset(&o, 0, sizeof o);
        int over = keep > 0 && m->nsnapshots >= keep + slack;
        if (over) o.retain_last = keep;
        if (!over && !asked) {
            floe_table_free(t);
            return;
        }
        rc = floe_table_expire_snapshots(t, &o, &r, &e);
        floe_table_free(t);
    }
    int64_t ms = floe_mono_ms() - t0;
    floe_maintenance_event ev = {.table = table, .action = "expire", .failed = rc != 0, .err = &e, .ms = ms,
                                 .expire = &r};
    observe(mt, &ev);
    if (rc) {
        failed(mt, table, "expire", &e, ms);
    } else {
        count_run(mt, table, "expire", 0, ms);
        int64_t files = r.deleted_manifest_lists + r.deleted_manifests + r.deleted_data_files +
                        r.deleted_delete_files + r.deleted_statistics_files;
        mlog(mt, 6, "maintenance", "table", table, "action", "expire", "snapshots", num(r.nexpired), "retained",
             num(r.nretained), "files", num(files), "data_files", num(r.deleted_data_files), "ms", num(ms),
             r.cleanup_error[0] ? "cleanup_error" : NULL, r.cleanup_error, NULL);
    }
    floe_expire_result_free(&r);
}

static void do_clean(floe_maintainer *mt, const char *table) {
    floe_clean_opts co;
    memset(&co, 0, sizeof co);
    if (mt->o.clean_window_ms > 0) co.older_than_ms = floe_wall_ms() - mt->o.clean_window_ms;
    floe_clean_result r;
    memset(&r, 0, sizeof r);
    floe_err e;
    memset(&e, 0, sizeof e);
    int64_t t0 = floe_mono_ms();
    int rc = floe_clean(&mt->h, table, &co, &r, &e);
    int64_t ms = floe_mono_ms() - t0;
    floe_maintenance_event ev = {.table = table, .action = "clean", .failed = rc != 0, .err = &e, .ms = ms,
                                 .clean = &r};
    observe(mt, &ev);
    if (rc) {
        failed(mt, table, "clean", &e, ms);
    } else {
        count_run(mt, table, "clean", 0, ms);
        mlog(mt, 6, "maintenance", "table", table, "action", "clean", "files", num(r.orphans), "bytes",
             num(r.orphan_bytes), "listed", num(r.files_listed), "young", num(r.young_skipped), "ms", num(ms), NULL);
    }
    floe_clean_result_free(&r);
}

static int action_is(const char *line, const char *verb) {
    size_t n = strlen(verb);
    return strncmp(line, verb, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

static void maintain_table(floe_maintainer *mt, const char *table, int64_t *last_clean) {
    floe_table_health h;
    memset(&h, 0, sizeof h);
    floe_err e;
    memset(&e, 0, sizeof e);
    int64_t t0 = floe_mono_ms();
    int rc = floe_table_health_get(&mt->h, table, &h, &e);
    int64_t ms = floe_mono_ms() - t0;
    floe_maintenance_event ev = {.table = table, .action = "health", .failed = rc != 0, .err = &e, .ms = ms,
                                 .health = &h};
    observe(mt, &ev);
    int compact = 0, rewrite = 0, expire = 0;
    if (rc) {
        /* a table not created yet (auto-create waits for records) is not a failure */
        if (e.code != FLOE_ENOTFOUND) failed(mt, table, "health", &e, ms);
        floe_table_health_free(&h);
        return;
    }
    set_gauges(mt, table, &h);
    floe_buf next;
    floe_buf_init(&next);
    for (int i = 0; i < h.nnext_actions; i++) {
        const char *a = h.next_actions[i];
        if (action_is(a, "compact")) compact = 1;
        else if (action_is(a, "rewrite")) rewrite = 1;
        else if (action_is(a, "expire")) expire = 1;
        if (i) floe_buf_puts(&next, "; ");
        floe_buf_puts(&next, a);
    }
    mlog(mt, 7, "maintenance", "table", table, "action", "health", "files", num(h.data_files), "small_files",
         num(h.small_files), "snapshots", num(h.snapshots), "manifests", num(h.manifests), "next",
         floe_buf_cstr(&next), "ms", num(ms), NULL);
    floe_buf_free(&next);
    floe_table_health_free(&h);

    int64_t added = 0;
    if (compact && !stopping(mt)) added += do_compact(mt, table);
    if (rewrite && !stopping(mt)) added += do_rewrite(mt, table);
    if ((expire || added > 0) && !stopping(mt)) do_expire(mt, table, expire);
    int64_t now = floe_mono_ms();
    if (!stopping(mt) && (*last_clean < 0 || now - *last_clean >= mt->o.clean_interval_ms)) {
        do_clean(mt, table);
        *last_clean = floe_mono_ms();
    }
}

/* ---- the thread ------------------------------------------------------------------------- */

static void *run(void *arg) {
    floe_maintainer *mt = arg;
    pthread_mutex_lock(&mt->lock);
    for (;;) {
        if (wait_locked(mt, mt->o.interval_ms, 1)) break;
        mt->kick = 0;
        int n = mt->ntables;
        char **names = floe_xcalloc(n > 0 ? (size_t)n : 1, sizeof *names);
        for (int i = 0; i < n; i++) names[i] = floe_xstrdup(mt->tables[i]);
        pthread_mutex_unlock(&mt->lock);
        for (int i = 0; i < n && !stopping(mt); i++) {
            /* last_clean_ms[i] belongs to this thread; the array only grows
             * under the lock, so index i stays valid, read under it */
            pthread_mutex_lock(&mt->lock);
            int64_t lc = mt->last_clean_ms[i];
            pthread_mutex_unlock(&mt->lock);
            maintain_table(mt, names[i], &lc);
            pthread_mutex_lock(&mt->lock);
            mt->last_clean_ms[i] = lc;
            pthread_mutex_unlock(&mt->lock);
        }
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        pthread_mutex_lock(&mt->lock);
        mt->passes++;
        pthread_cond_broadcast(&mt->cond);
    }
    pthread_mutex_unlock(&mt->lock);
    return NULL;
}

/* ---- API ------------------------------------------------------------------------------------ */

void floe_maintainer_opts_from_config(const floe_config *cfg, floe_maintainer_opts *o) {
    memset(o, 0, sizeof *o);
    o->catalog_uri = cfg->catalog_uri;
    o->warehouse = cfg->warehouse;
    o->catalog_props = &cfg->catalog_props;
    o->interval_ms = cfg->maintenance_interval_ms;
    o->max_bytes_per_run = cfg->maintenance_max_bytes;
    o->clean_interval_ms = cfg->maintenance_clean_interval_ms;
    o->log_json = cfg->log_format == FLOE_LOG_JSON;
}

floe_maintainer *floe_maintainer_start(const floe_maintainer_opts *o, floe_err *err) {
    floe_maintainer *mt = floe_xcalloc(1, sizeof *mt);
    mt->o = *o;
    if (mt->o.interval_ms <= 0) mt->o.interval_ms = DEFAULT_INTERVAL_MS;
    if (mt->o.max_bytes_per_run <= 0) mt->o.max_bytes_per_run = DEFAULT_MAX_BYTES;
    if (mt->o.clean_interval_ms <= 0) mt->o.clean_interval_ms = DEFAULT_CLEAN_INTERVAL_MS;
    if (mt->o.duty <= 0) mt->o.duty = sysconf(_SC_NPROCESSORS_ONLN) <= 2 ? 0.5 : 1.0;
    if (mt->o.duty > 1) mt->o.duty = 1;
    mt->uri = o->catalog_uri ? floe_xstrdup(o->catalog_uri) : NULL;
    mt->warehouse = o->warehouse ? floe_xstrdup(o->warehouse) : NULL;
    floe_props_init(&mt->props);
    if (o->catalog_props) floe_props_copy(&mt->props, o->catalog_props);
    mt->o.catalog_uri = mt->uri;
    mt->o.warehouse = mt->warehouse;
    mt->o.catalog_props = &mt->props;
    mt->h.catalog = floe_catalog_open(mt->uri, mt->warehouse, &mt->props, err);
    if (!mt->h.catalog) {
        floe_err_prefix(err, "maintenance: opening the catalog");
        free(mt->uri);
        free(mt->warehouse);
        floe_props_free(&mt->props);
        free(mt);
        return NULL;
    }
    pthread_mutex_init(&mt->lock, NULL);
    pthread_cond_init(&mt->cond, NULL);
    int rc = pthread_create(&mt->thread, NULL, run, mt);
    if (rc) {
        floe_err_set(err, FLOE_EIO, "maintenance: cannot start a thread: %s", strerror(rc));
        pthread_mutex_destroy(&mt->lock);
        pthread_cond_destroy(&mt->cond);
        floe_catalog_free(mt->h.catalog);
        free(mt->uri);
        free(mt->warehouse);
        floe_props_free(&mt->props);
        free(mt);
        return NULL;
    }
    return mt;
}

void floe_maintainer_note_table(floe_maintainer *mt, const char *table) {
    if (!mt || !table) return;
    pthread_mutex_lock(&mt->lock);
    int found = 0;
    for (int i = 0; i < mt->ntables && !found; i++) found = strcmp(mt->tables[i], table) == 0;
    if (!found) {
        if (mt->ntables == mt->captables) {
            mt->captables = mt->captables ? mt->captables * 2 : 8;
            mt->tables = floe_xrealloc(mt->tables, (size_t)mt->captables * sizeof *mt->tables);
            mt->last_clean_ms = floe_xrealloc(mt->last_clean_ms, (size_t)mt->captables * sizeof *mt->last_clean_ms);
        }
        mt->tables[mt->ntables] = floe_xstrdup(table);
        mt->last_clean_ms[mt->ntables++] = -1;
    }
    pthread_mutex_unlock(&mt->lock);
}

void floe_maintainer_kick(floe_maintainer *mt) {
    if (!mt) return;
    pthread_mutex_lock(&mt->lock);
    mt->kick = 1;
    pthread_cond_broadcast(&mt->cond);
    pthread_mutex_unlock(&mt->lock);
}

int64_t floe_maintainer_passes(floe_maintainer *mt) {
    pthread_mutex_lock(&mt->lock);
    int64_t n = mt->passes;
    pthread_mutex_unlock(&mt->lock);
    return n;
}

void floe_maintainer_stop(floe_maintainer *mt) {
    if (!mt) return;
    pthread_mutex_lock(&mt->lock);
    mt->stop = 1;
    pthread_cond_broadcast(&mt->cond);
    pthread_mutex_unlock(&mt->lock);
    pthread_join(mt->thread, NULL);
    pthread_mutex_destroy(&mt->lock);
    pthread_cond_destroy(&mt->cond);
    floe_catalog_free(mt->h.catalog);
    for (int i = 0; i < mt->ntables; i++) free(mt->tables[i]);
    free(mt->tables);
    free(mt->last_clean_ms);
    free(mt->uri);
    free(mt->warehouse);
    floe_props_free(&mt->props);
    free(mt);
}
