/*
 * pipeline.c — floe's main job (floe/pipeline.h): Kafka records into
 * Iceberg tables, exactly once, through crashes and rebalances.
 *
 * One thread does everything, in a loop: poll a batch of messages from the
 * Kafka source (kafka_source.c), decode and route each record to its
 * table(s), shred it into that table's open data files (datafile_writer.c),
 * and, when a trigger fires (interval, bytes, records, memory budget),
 * run a commit cycle: every table with new data gets one snapshot.
 *
 * EXACTLY ONCE.  The truth about progress is in the tables.  Each
 * snapshot floe commits carries `floe.kafka.offsets.<group>` in its
 * summary: a JSON map topic -> partition -> next offset, meaning "this
 * table holds every record of that partition below that offset that was
 * routed to it".  The map is the table's whole map (entries of partitions
 * other processes own are carried over from the snapshot the commit builds
 * on, recomputed at every retry by a summary callback), so the newest
 * snapshot with the key is all one needs to read.  Three rules make it
 * hold:
 *   1. Resume at the minimum.  When the group assigns a partition, every
 *      table floe knows (the configured ones and their dead-letter tables,
 *      the ones open in this process, and with dynamic routing every table
 *      of the catalog that has the key) is reloaded, and consumption starts
 *      at the smallest entry any of them has for it.  Records below a
 *      table's own entry are skipped for that table only (the dedupe
 *      filter), so a table that committed further than another does not
 *      get them twice.
 *   2. A table gets an entry before it can fall behind.  A table without an
 *      entry for a partition does not hold back rule 1, so before any table
 *      commits progress for a partition in a cycle, every open table that
 *      lacks an entry for it first commits a marker-only snapshot at its
 *      "floor": the partition's position when the table could first
 *      receive its records (assignment, table open, or the partition's
 *      first record), below which it received none ("phase 0").
 *   3. Fencing.  Every commit checks, against the snapshot it builds on,
 *      that the entries of its partitions are still the ones this process
 *      last saw.  If another process wrote one (it owns the partition now:
 *      this process missed a rebalance), the commit is refused and this
 *      process resets.
 * A cycle whose table commit fails keeps that table's files pending and
 * commits them with the next cycle (its entries stay behind, so a crash
 * meanwhile re-reads what it holds: rule 1).  Anything the process cannot
 * resolve (a commit whose outcome stays unknown, partitions lost to the
 * group, fencing, a failed commit while partitions are revoked, a file
 * that could not be written) RESETS it: uncommitted work is dropped, the
 * tables are reloaded, and every partition still assigned is sought back
 * to the smallest offset the tables record (rule 1), without leaving the
 * group.  Eight resets in a row without a commit stop the pipeline.  Files
 * written but never committed are left for orphan cleanup.
 *
 * ATOMIC CYCLES.  When the catalog commits several tables at once
 * (commit_transaction: the SQL catalogs, and REST catalogs that advertise
 * POST /v1/{prefix}/transactions/commit), the commits of a cycle that
 * touches two tables or more (data tables, their dead-letter tables,
 * dynamically routed tables) are one transaction (floe_table_append_many):
 * every table's snapshot lands, all carrying the same floe.commit-id, or
 * none does.  Each table's summary callback still applies rule 3 (one
 * fenced table fails the whole transaction, and resets), a failure keeps
 * every table's files pending, and the bookkeeping is per table as above.
 * Phase-0 marker commits stay per table.  Without transactions each table
 * commits on its own: the rules above, not atomicity, keep exactly once.
 *
 * Dead letters.  A record that is not a JSON object, does not fit its
 * table's schema, is larger than floe.record.max-bytes, or names a table
 * that cannot be created, goes to the table `<table>__dlq` (topic,
 * partition, offset, key, value, error, time), which is a table like any
 * other for the rules above, or is only counted (floe.dlq.mode=drop).
 */
#include "floe/pipeline.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/json/json_scan.h"
#include "iceberg/metadata_internal.h"
#include "pipeline/logline.h"
#include "pipeline/config.h"
#include "pipeline/freshness.h"
#include "pipeline/kafka_source.h"
#include "pipeline/maintain.h"
#include "pipeline/metrics.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/evolve.h"
#include "table/ingest.h"
#include "table/table.h"
#include "util/clock.h"
#include "util/text.h"

#define MARKER_PREFIX "floe.kafka.offsets."
#define POLL_MAX_MSGS 20000
#define POLL_MAX_BYTES ((size_t)32 << 20)
#define MAX_FAIL_STREAK 8      /* consecutive failed cycles of one table before giving up */
#define LAG_MARKER_CYCLES 10   /* a table with no data refreshes its entries this often */
#define DLQ_SUFFIX "__dlq"
#define INFER_WAIT_MS 1000     /* how long records wait for their table to be created */

/* ---- offset maps ---------------------------------------------------------------------- */

typedef struct offent {
    char *topic;
    int32_t partition;
    int64_t offset;
} offent;

typedef struct offmap {
    offent *v;
    int n, cap;
    int hint;   /* offmap_find_hot's last hit (records come in runs per partition) */
} offmap;

static void offmap_clear(offmap *m) {
    for (int i = 0; i < m->n; i++) free(m->v[i].topic);
    m->n = 0;
}

static void offmap_free(offmap *m) {
    offmap_clear(m);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static offent *offmap_find(const offmap *m, const char *topic, int32_t partition) {
    for (int i = 0; i < m->n; i++)
        if (m->v[i].partition == partition && strcmp(m->v[i].topic, topic) == 0) return &m->v[i];
    return NULL;
}

/* offmap_find for the per-record path: the last hit is tried first. */
static offent *offmap_find_hot(offmap *m, const char *topic, int32_t partition) {
    if (m->hint < m->n) {
        offent *e = &m->v[m->hint];
        if (e->partition == partition && (e->topic == topic || strcmp(e->topic, topic) == 0)) return e;
    }
    offent *e = offmap_find(m, topic, partition);
    if (e) m->hint = (int)(e - m->v);
    return e;
}

static void offmap_set(offmap *m, const char *topic, int32_t partition, int64_t offset) {
    offent *e = offmap_find(m, topic, partition);
    if (e) {
        e->offset = offset;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = floe_xrealloc(m->v, (size_t)m->cap * sizeof *m->v);
    }
    m->v[m->n++] = (offent){floe_xstrdup(topic), partition, offset};
}

static void offmap_copy(offmap *dst, const offmap *src) {
    offmap_clear(dst);
    for (int i = 0; i < src->n; i++) offmap_set(dst, src->v[i].topic, src->v[i].partition, src->v[i].offset);
}

/* Parses a marker value; a malformed one is an error naming the table. */
static int offmap_parse(offmap *m, const char *json, floe_err *err) {
    offmap_clear(m);
    json_error_t je;
    json_t *root = json_loads(json, 0, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return floe_err_set(err, FLOE_ECORRUPT, "progress marker is not a JSON object");
    }
    const char *topic;
    json_t *parts;
    json_object_foreach(root, topic, parts) {
        if (!json_is_object(parts)) continue;
        const char *pk;
        json_t *off;
        json_object_foreach(parts, pk, off) {
            char *end;
            long p = strtol(pk, &end, 10);
            if (*end || !json_is_integer(off)) {
                json_decref(root);
                return floe_err_set(err, FLOE_ECORRUPT, "progress marker: bad entry %s/%s", topic, pk);
            }
            offmap_set(m, topic, (int32_t)p, (int64_t)json_integer_value(off));
        }
    }
    json_decref(root);
    return 0;
}

static int cmp_offent(const void *a, const void *b) {
    const offent *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void offmap_to_json(offmap *m, floe_buf *out) {
    qsort(m->v, (size_t)m->n, sizeof *m->v, cmp_offent);
    floe_buf_putc(out, '{');
    for (int i = 0; i < m->n; i++) {
        int first_of_topic = i == 0 || strcmp(m->v[i - 1].topic, m->v[i].topic) != 0;
        if (first_of_topic) {
            if (i) floe_buf_puts(out, "},");
            floe_json_escape((const uint8_t *)m->v[i].topic, strlen(m->v[i].topic), out);
            floe_buf_puts(out, ":{");
        } else {
            floe_buf_putc(out, ',');
        }
        floe_buf_printf(out, "\"%d\":%lld", (int)m->v[i].partition, (long long)m->v[i].offset);
    }
    if (m->n) floe_buf_putc(out, '}');
    floe_buf_putc(out, '}');
}

/* ---- state ---------------------------------------------------------------------------- */

/* A partition assigned to this process. */
typedef struct ppart {
    char *topic;
    int32_t partition;
    int64_t next;       /* next offset to read (one past the last record seen); -1 = none seen, no start */
    int64_t base;       /* position when the current cycle began (or its first record); -1 unknown */
    int64_t max_ts_ms;  /* timestamp of the newest record seen */
    int64_t first_seen; /* offset of the first record this process saw; -1 none */
} ppart;

/* A record kept until its table exists: where its text is in `early`, and
 * its message's coordinates for a dead letter. */
struct early_rec {
    size_t off;
    int64_t ts, offset;
    int32_t partition;
    char *topic;
};

typedef struct ptable {
    char *ident, *ns, *name;
    int is_dlq;
    floe_table *t;              /* NULL while it waits to be created */
    floe_datafile_writer *dw;
    offmap known;               /* the table's marker as last read or committed */
    offmap floor;               /* partitions lacking an entry: where it could first receive records */
    floe_ice_data_file *pending; /* files of failed commits, committed with the next cycle */
    int npending, cappending;
    int64_t batch_records;      /* records waiting (written and pending) */
    int64_t batch_bytes;
    floe_fresh_pending fresh;   /* their Kafka timestamps */
    int fail_streak;
    int cycles_idle;
    /* records waiting for the table to be created (auto-create) */
    floe_buf early;
    struct early_rec *erec;
    size_t *early_len;          /* erec[k].len, as the array inference takes */
    int nearly, capearly;
    int64_t early_since;        /* floe_mono_ms() of the first waiting record */
    /* metrics */
    floe_counter *m_in, *m_in_bytes, *m_committed, *m_commits, *m_failures, *m_retries, *m_files, *m_dead;
    floe_counter *m_schema;
    floe_histogram *m_commit_s, *m_file_bytes;
} ptable;

struct floe_pipeline {
    floe_config *cfg;
    floe_pipeline_log_fn log;
    void *log_ctx;
    int64_t stop_when_idle_ms, stop_after_records;
    floe_catalog *cat;
    floe_metrics *metrics;
    floe_metrics_server *msrv;
    floe_maintainer *maint;     /* background table maintenance (maintain.c); NULL when off */
    floe_kafka_source *src;
    char *group;
    char *marker_key;
    ppart *parts;
    int nparts, capparts;
    ptable **tables;
    int ntables, captables;
    int part_hint, table_hint;  /* last hits of part_find and table_find */
    _Atomic int stop_requests;  /* lock-free: signal handlers and other threads bump it */
    int failed;                 /* the source failed for good */
    int need_reset;             /* see the file comment */
    int reset_streak;           /* resets since the last successful commit */
    char reset_reason[FLOE_ERR_MSG_MAX + 256];
    floe_err fatal;             /* a failure inside a callback that must end run */
    int has_fatal;
    int abandoning;             /* the run failed: leaving the group commits nothing more */
    int in_cycle;
    int64_t ignored;            /* tombstones and records no table takes */
    /* the current cycle */
    int64_t cycle_start;        /* floe_mono_ms() of its first record; -1 when empty */
    int64_t cycle_bytes, cycle_records;
    /* stats */
    floe_pipeline_stats st;
    floe_fresh_hist fresh;
    int64_t first_record_ms, last_record_ms;
    /* Between a revoke and the group's next assignment: partitions may be
     * on their way, so the process is not idle (--stop-when-idle waits). */
    int awaiting_assignment;
    /* scratch */
    floe_buf rec, dlq, tmp;
    /* metrics handles */
    floe_counter *m_rebalances, *m_resets, *m_skipped;
    floe_gauge *m_memory;
    floe_histogram *m_fresh;
    /* one thread encoding and compressing the pages of every table's files */
    floe_pq_encoder *encoder;
};

/* ---- logging -------------------------------------------------------------------------- */

/* One log line: an event name and key/value pairs ("key", "value", ...,
 * NULL).  Values that are integers stay numbers in JSON. */
static void plog(floe_pipeline *p, int level, const char *event, ...) {
    if (!p->log) return;
    floe_buf b;
    floe_buf_init(&b);
    va_list ap;
    va_start(ap, event);
    floe_logline_vformat(&b, p->cfg && p->cfg->log_format == FLOE_LOG_JSON, level, event, ap);
    va_end(ap);
    p->log(p->log_ctx, level, floe_buf_cstr(&b));
    floe_buf_free(&b);
}

/* Integers as strings for plog, from a small rotating pool. */
static const char *num(int64_t v) {
    static _Thread_local char pool[16][24];
    static _Thread_local int k;
    char *s = pool[k++ & 15];
    snprintf(s, 24, "%lld", (long long)v);
    return s;
}

static void source_log(void *ctx, int level, const char *msg) {
    floe_pipeline *p = ctx;
    plog(p, level, "kafka", "message", msg, NULL);
}

/* ---- partitions ----------------------------------------------------------------------- */

/* Records come in runs per partition, so the last hit is tried first. */
static ppart *part_find(floe_pipeline *p, const char *topic, int32_t partition) {
    if (p->part_hint < p->nparts) {
        ppart *h = &p->parts[p->part_hint];
        if (h->partition == partition && strcmp(h->topic, topic) == 0) return h;
    }
    for (int i = 0; i < p->nparts; i++)
        if (p->parts[i].partition == partition && strcmp(p->parts[i].topic, topic) == 0) {
            p->part_hint = i;
            return &p->parts[i];
        }
    return NULL;
}

static void part_remove(floe_pipeline *p, const char *topic, int32_t partition) {
    for (int i = 0; i < p->nparts; i++)
        if (p->parts[i].partition == partition && strcmp(p->parts[i].topic, topic) == 0) {
            free(p->parts[i].topic);
            p->parts[i] = p->parts[--p->nparts];
            return;
        }
}

/* ---- tables ----------------------------------------------------------------------------- */

static void table_metrics(floe_pipeline *p, ptable *t) {
    floe_err e;
    const char *const l[] = {"table", t->ident, NULL};
    static const double size_bounds[] = {1 << 20, 4 << 20, 16 << 20, 64 << 20, 128 << 20, 256 << 20, 512 << 20};
    static const double sec_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    t->m_in = floe_metrics_counter(p->metrics, "floe_records_in_total", "Records routed to the table.", l, &e);
    t->m_in_bytes = floe_metrics_counter(p->metrics, "floe_bytes_in_total", "Bytes of records routed to the table.",
                                         l, &e);
    t->m_committed = floe_metrics_counter(p->metrics, "floe_records_committed_total",
                                          "Records in committed snapshots.", l, &e);
    t->m_commits = floe_metrics_counter(p->metrics, "floe_commits_total", "Snapshots committed.", l, &e);
    t->m_failures = floe_metrics_counter(p->metrics, "floe_commit_failures_total",
                                         "Table commits that failed (retried with the next cycle).", l, &e);
    t->m_retries = floe_metrics_counter(p->metrics, "floe_commit_retries_total",
                                        "Commit attempts repeated after losing a race or an unknown outcome.", l, &e);
    t->m_files = floe_metrics_counter(p->metrics, "floe_files_written_total", "Data files committed.", l, &e);
    t->m_dead = floe_metrics_counter(p->metrics, "floe_dead_letters_total",
                                     "Records of this table that became dead letters.", l, &e);
    t->m_schema = floe_metrics_counter(p->metrics, "floe_schema_updates_total",
                                       "Schema changes committed to add columns for record fields "
                                       "(iceberg.tables.evolve-schema-enabled).", l, &e);
    t->m_commit_s = floe_metrics_histogram(p->metrics, "floe_commit_duration_seconds",
                                           "Time to commit one snapshot, retries included.", l, sec_bounds,
                                           sizeof sec_bounds / sizeof sec_bounds[0], &e);
    t->m_file_bytes = floe_metrics_histogram(p->metrics, "floe_file_size_bytes", "Sizes of committed data files.", l,
                                             size_bounds, sizeof size_bounds / sizeof size_bounds[0], &e);
}

static ptable *table_find(floe_pipeline *p, const char *ident) {
    if (p->table_hint < p->ntables && strcmp(p->tables[p->table_hint]->ident, ident) == 0)
        return p->tables[p->table_hint];
    for (int i = 0; i < p->ntables; i++)
        if (strcmp(p->tables[i]->ident, ident) == 0) {
            p->table_hint = i;
            return p->tables[i];
        }
    return NULL;
}

static void early_clear(ptable *t) {
    for (int k = 0; k < t->nearly; k++) free(t->erec[k].topic);
    t->nearly = 0;
    t->early.len = 0;
}

static void table_drop_pending(ptable *t, int delete_files) {
    if (delete_files && t->t && t->npending) floe_datafile_delete(t->t->io, t->pending, t->npending);
    for (int i = 0; i < t->npending; i++) floe_ice_data_file_free(&t->pending[i]);
    t->npending = 0;
}

static void table_free(ptable *t) {
    if (!t) return;
    floe_datafile_writer_free(t->dw);
    table_drop_pending(t, 0);
    free(t->pending);
    floe_table_free(t->t);
    offmap_free(&t->known);
    offmap_free(&t->floor);
    floe_fresh_pending_free(&t->fresh);
    floe_buf_free(&t->early);
    early_clear(t);
    free(t->erec);
    free(t->early_len);
    free(t->ident);
    free(t->ns);
    free(t->name);
    free(t);
}

/* The branch the table's commits go to (iceberg.table.<t>.commit-branch,
 * iceberg.tables.default-commit-branch), where its marker is read too. */
static const char *table_branch(const floe_pipeline *p, const char *ident) {
    const floe_config_table *tc = floe_config_table_get(p->cfg, ident);
    return tc && tc->commit_branch && *tc->commit_branch ? tc->commit_branch : "main";
}

/* Reads the table's marker into t->known. */
static int table_read_marker(floe_pipeline *p, ptable *t, floe_err *err) {
    offmap_clear(&t->known);
    if (!t->t) return 0;
    const char *v = floe_table_ancestry_summary(floe_table_meta(t->t), table_branch(p, t->ident), p->marker_key, NULL);
    if (v && offmap_parse(&t->known, v, err)) return floe_err_prefix(err, "table %s", t->ident);
    return 0;
}

/* Gives t a floor for every assigned partition it has no entry for, at the
 * partition's current position (rule 2). */
static void table_set_floors(floe_pipeline *p, ptable *t) {
    for (int i = 0; i < p->nparts; i++) {
        ppart *pp = &p->parts[i];
        if (pp->next < 0 || offmap_find(&t->known, pp->topic, pp->partition) ||
            offmap_find(&t->floor, pp->topic, pp->partition))
            continue;
        offmap_set(&t->floor, pp->topic, pp->partition, pp->next);
    }
}

/* t is about to receive record (topic, partition, offset): its floor there
 * may not be above it.  A table opened while the record is handled got
 * the partition's position as its floor, which is already past the
 * record; a marker-only snapshot at that floor followed by a reset (or a
 * crash) before the record's commit would make the record look committed
 * to t, and it would be skipped for t when read again. */
static void floor_cover(ptable *t, const char *topic, int32_t partition, int64_t offset) {
    offent *f = offmap_find_hot(&t->floor, topic, partition); /* per record: a scan of 64 cost ~180 instructions */
    if (f && f->offset > offset) f->offset = offset;
}

static ptable *table_add(floe_pipeline *p, const char *ident, int is_dlq) {
    ptable *t = floe_xcalloc(1, sizeof *t);
    t->ident = floe_xstrdup(ident);
    t->is_dlq = is_dlq;
    floe_buf_init(&t->early);
    if (p->ntables == p->captables) {
        p->captables = p->captables ? p->captables * 2 : 8;
        p->tables = floe_xrealloc(p->tables, (size_t)p->captables * sizeof *p->tables);
    }
    p->tables[p->ntables++] = t;
    table_metrics(p, t);
    return t;
}

static int table_open_writer(floe_pipeline *p, ptable *t, floe_err *err) {
    /* Values convert as the connector converts them (numbers into string
     * columns as text, numeric strings into number columns). */
    floe_datafile_opts o = {.lenient = 1, .max_open_files = (int)p->cfg->max_open_files,
                            .ignore_case = p->cfg->schema_case_insensitive && !t->is_dlq};
    t->dw = floe_datafile_writer_new(t->t->io, floe_table_meta(t->t), &o, err);
    if (!t->dw) return floe_err_prefix(err, "table %s", t->ident);
    /* With evolution a record's unknown field stops its write (table_write
     * then adds the column); the dead-letter tables' schema is fixed. */
    if (p->cfg->evolve_schema && !t->is_dlq) floe_datafile_writer_set_strict_fields(t->dw, 1);
    /* Page encoding and compression on a second thread: on 2 cores this
     * thread shreds while that one compresses. */
    if (!p->encoder && !(p->encoder = floe_pq_encoder_new(err))) return floe_err_prefix(err, "table %s", t->ident);
    floe_datafile_writer_set_encoder(t->dw, p->encoder);
    return 0;
}

static const char DLQ_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"topic\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"partition\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":3,\"name\":\"offset\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":4,\"name\":\"key\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":5,\"name\":\"value\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":6,\"name\":\"error\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"time\",\"required\":false,\"type\":\"timestamptz\"}]}";

static int create_dlq_table(floe_pipeline *p, ptable *t, floe_err *err) {
    floe_ice_schema *s = floe_ice_schema_parse(DLQ_SCHEMA, sizeof DLQ_SCHEMA - 1, err);
    if (!s) return -1;
    floe_catalog *c = p->cat;
    int rc = -1;
    if (c->create_namespace(c, t->ns, NULL, err) && err->code != FLOE_EEXISTS) goto done;
    floe_table_create req = {s, NULL, NULL, NULL, &p->cfg->auto_create_props, 0};
    floe_table_state stt;
    memset(&stt, 0, sizeof stt);
    if (c->create_table(c, t->ns, t->name, &req, &stt, err) == 0) {
        t->t = floe_table_wrap(c, t->ns, t->name, &stt);
        p->st.tables_created++;
        plog(p, 6, "table-created", "table", t->ident, NULL);
        rc = 0;
    } else if (err->code == FLOE_EEXISTS) {
        t->t = floe_table_load(c, t->ns, t->name, err);
        rc = t->t ? 0 : -1;
    }
done:
    floe_ice_schema_free(s);
    return rc;
}

/* Opens (loads) table `ident`, creating a dead-letter table when missing.
 * Returns the entry; *missing is set when a data table does not exist (it
 * then stays unopened, waiting for auto-create). */
static ptable *table_open(floe_pipeline *p, const char *ident, int is_dlq, int *missing, floe_err *err) {
    *missing = 0;
    ptable *t = table_find(p, ident);
    if (t) {
        if (!t->t) *missing = 1;
        return t;
    }
    char *ns, *name;
    if (floe_table_ident_split(ident, &ns, &name, err)) return NULL;
    t = table_add(p, ident, is_dlq);
    t->ns = ns;
    t->name = name;
    t->t = floe_table_load(p->cat, ns, name, err);
    if (!t->t) {
        if (err->code != FLOE_ENOTFOUND) goto fail;
        if (is_dlq) {
            if (create_dlq_table(p, t, err)) goto fail;
        } else {
            *missing = 1;
            return t;
        }
    }
    if (table_read_marker(p, t, err) || table_open_writer(p, t, err)) goto fail;
    table_set_floors(p, t);
    floe_maintainer_note_table(p->maint, ident);
    return t;
fail:
    floe_err_prefix(err, "opening table %s", ident);
    p->ntables--;
    table_free(t);
    return NULL;
}

/* ---- commits --------------------------------------------------------------------------- */

typedef struct commit_ctx {
    floe_pipeline *p;
    ptable *t;
    int phase0;           /* marker-only snapshot giving floors */
    offmap result;        /* the marker committed */
    int fenced;
    int attempts;         /* calls of the summary callback: one per attempt */
    int64_t t0;           /* floe_mono_ms() when the commit began */
} commit_ctx;

/* The summary callback (rule 3 and the merge of entries). */
static int commit_summary(void *ctx, const floe_ice_metadata *base, floe_props *summary, floe_err *err) {
    commit_ctx *cc = ctx;
    floe_pipeline *p = cc->p;
    ptable *t = cc->t;
    if (cc->attempts++ > 0) {
        floe_counter_add(t->m_retries, 1);
        plog(p, 6, "commit-retry", "table", t->ident, "attempt", num(cc->attempts), NULL);
    }
    const char *v = floe_table_ancestry_summary(base, table_branch(p, t->ident), p->marker_key, NULL);
    offmap_clear(&cc->result);
    if (v && offmap_parse(&cc->result, v, err)) return floe_err_prefix(err, "table %s", t->ident);
    for (int i = 0; i < p->nparts; i++) {
        ppart *pp = &p->parts[i];
        offent *have = offmap_find(&cc->result, pp->topic, pp->partition);
        offent *mine = offmap_find(&t->known, pp->topic, pp->partition);
        if (have && (!mine || have->offset != mine->offset)) {
            cc->fenced = 1;
            return floe_err_set(err, FLOE_ECONFLICT,
                                "table %s: partition %s/%d was committed by another process (offset %lld, this "
                                "process last saw %lld): fenced off",
                                t->ident, pp->topic, (int)pp->partition, (long long)have->offset,
                                mine ? (long long)mine->offset : -1LL);
        }
        if (cc->phase0) {
            offent *f = offmap_find(&t->floor, pp->topic, pp->partition);
            if (!mine && f) offmap_set(&cc->result, pp->topic, pp->partition, f->offset);
        } else if (pp->next >= 0) {
            offmap_set(&cc->result, pp->topic, pp->partition, pp->next);
        } else if (!mine) {
            offent *f = offmap_find(&t->floor, pp->topic, pp->partition);
            if (f) offmap_set(&cc->result, pp->topic, pp->partition, f->offset);
        }
    }
    floe_buf b;
    floe_buf_init(&b);
    offmap_to_json(&cc->result, &b);
    floe_props_set(summary, p->marker_key, floe_buf_cstr(&b));
    floe_buf_free(&b);
    return 0;
}

/* Asks for a reset (what is uncommitted is dropped and read again from the
 * tables' progress) once the current step is over; why goes to the log. */
static void want_reset(floe_pipeline *p, const char *fmt, ...) FLOE_PRINTF(2, 3);
static void want_reset(floe_pipeline *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reset_reason, sizeof p->reset_reason, fmt, ap);
    va_end(ap);
    p->need_reset = 1;
}

/* Closes t's open files; they join its pending ones, committed with its
 * next snapshot.  -1 with err when they could not be written (the batch is
 * then aborted). */
static int table_close_files(ptable *t, floe_err *err) {
    if (!t->dw || floe_datafile_writer_rows(t->dw) == 0) return 0;
    floe_ice_data_file *files;
    int n;
    if (floe_datafile_writer_finish(t->dw, &files, &n, err)) {
        floe_datafile_writer_abort(t->dw);
        return -1;
    }
    if (t->npending + n > t->cappending) {
        t->cappending = t->npending + n + 8;
        t->pending = floe_xrealloc(t->pending, (size_t)t->cappending * sizeof *t->pending);
    }
    memcpy(t->pending + t->npending, files, (size_t)n * sizeof *files);
    t->npending += n;
    free(files);
    return 0;
}

/* A data file of t could not be written (storage down, disk full, a
 * directory gone): what is uncommitted is dropped and read again (a reset;
 * eight in a row without a commit stop the pipeline), never committed
 * past. */
static void write_failed(floe_pipeline *p, ptable *t, const floe_err *e) {
    p->st.commit_failures++;
    floe_counter_add(t->m_failures, 1);
    want_reset(p, "writing the files of %s failed: %s", t->ident, e->msg);
    plog(p, 3, "write-failed", "table", t->ident, "error", e->msg, NULL);
}

/* A table's commit is three steps around the append (the table's own, or
 * a transaction's over several tables): commit_prepare, then
 * commit_succeeded or commit_failed.  Preparing: phase0 gives floors
 * only; otherwise the written files join the pending ones, committed with
 * the full marker.  Returns -1 with err when the files could not be
 * written (which resets). */
static int commit_prepare(floe_pipeline *p, ptable *t, int phase0, commit_ctx *cc, floe_err *err) {
    memset(cc, 0, sizeof *cc);
    cc->p = p;
    cc->t = t;
    cc->phase0 = phase0;
    cc->t0 = floe_mono_ms();
    if (!phase0 && table_close_files(t, err)) {
        write_failed(p, t, err);
        return floe_err_prefix(err, "table %s", t->ident);
    }
    return 0;
}

/* After the table's snapshot landed: its marker is known,
 * its floors are gone, its pending files and records are committed. */
static void commit_succeeded(floe_pipeline *p, ptable *t, commit_ctx *cc) {
    int64_t ms = floe_mono_ms() - cc->t0;
    offmap_copy(&t->known, &cc->result);
    /* entries now exist for every partition that had a floor */
    for (int i = 0; i < t->floor.n;) {
        if (offmap_find(&t->known, t->floor.v[i].topic, t->floor.v[i].partition)) {
            free(t->floor.v[i].topic);
            t->floor.v[i] = t->floor.v[--t->floor.n];
        } else {
            i++;
        }
    }
    if (!cc->phase0) {
        int64_t bytes = 0;
        for (int i = 0; i < t->npending; i++) {
            bytes += t->pending[i].file_size_in_bytes;
            floe_histogram_observe(t->m_file_bytes, (double)t->pending[i].file_size_in_bytes);
        }
        p->st.commits++;
        p->st.files += t->npending;
        p->st.file_bytes += bytes;
        if (t->is_dlq) p->st.records_dead += t->batch_records;
        else p->st.records_committed += t->batch_records;
        floe_counter_add(t->m_commits, 1);
        floe_counter_add(t->m_committed, (uint64_t)t->batch_records);
        floe_counter_add(t->m_files, (uint64_t)t->npending);
        floe_histogram_observe(t->m_commit_s, (double)ms / 1000.0);
        floe_fresh_commit(&p->fresh, p->m_fresh, &t->fresh, floe_wall_ms());
        plog(p, 6, "commit", "table", t->ident, "records", num(t->batch_records), "files", num(t->npending),
             "bytes", num(bytes), "snapshot", num(floe_table_meta(t->t)->current_snapshot_id), "ms", num(ms), NULL);
        table_drop_pending(t, 0);
        t->batch_records = t->batch_bytes = 0;
        floe_fresh_pending_clear(&t->fresh);
        t->cycles_idle = 0;
    } else {
        plog(p, 7, "marker", "table", t->ident, "ms", num(ms), NULL);
    }
    t->fail_streak = 0;
    if (!cc->phase0) p->reset_streak = 0;
    offmap_free(&cc->result);
}

/* After it did not land: the files stay pending for the next
 * cycle, unless the failure resets (fenced off, or an unknown outcome).
 * Returns -1. */
static int commit_failed(floe_pipeline *p, ptable *t, commit_ctx *cc, const floe_err *err) {
    offmap_free(&cc->result);
    p->st.commit_failures++;
    floe_counter_add(t->m_failures, 1);
    t->fail_streak++;
    plog(p, 4, "commit-failed", "table", t->ident, "error", err->msg, "attempt", num(t->fail_streak), NULL);
    if (cc->fenced || err->code == FLOE_EUNKNOWN)
        want_reset(p, "%s", cc->fenced ? "fenced off" : "commit outcome unknown");
    return -1;
}

/* Commits t on its own.  Returns 0, or -1 with err (the table's files
 * stay pending unless the failure resets). */
static int table_commit(floe_pipeline *p, ptable *t, int phase0, floe_err *err) {
    if (!t->t) return 0;
    commit_ctx cc;
    if (commit_prepare(p, t, phase0, &cc, err)) return -1;
    if (floe_table_append_ex(t->t, t->pending, phase0 ? 0 : t->npending, NULL, table_branch(p, t->ident),
                             commit_summary, &cc, err) == 0) {
        commit_succeeded(p, t, &cc);
        return 0;
    }
    return commit_failed(p, t, &cc, err);
}

/* Commits ts[0..n) (n >= 2, all open, none in phase 0) as one catalog
 * transaction: every snapshot lands or none does, each table's summary
 * callback fencing it as in table_commit.  Returns 0, or -1 with err: all
 * their files stay pending, and when the failure does not reset (fenced
 * off, or an unknown outcome), nothing is counted against the tables yet:
 * the caller commits them one by one next. */
static int tables_commit(floe_pipeline *p, ptable **ts, int n, floe_err *err) {
    commit_ctx *cc = floe_xcalloc((size_t)n, sizeof *cc);
    floe_append_part *parts = floe_xcalloc((size_t)n, sizeof *parts);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = commit_prepare(p, ts[i], 0, &cc[i], err);
        parts[i] = (floe_append_part){.t = ts[i]->t, .files = ts[i]->pending, .nfiles = ts[i]->npending,
                                      .branch = table_branch(p, ts[i]->ident), .fn = commit_summary, .ctx = &cc[i]};
    }
    if (rc == 0) {
        int64_t t0 = floe_mono_ms();
        if (floe_table_append_many(parts, n, err) == 0) {
            p->st.transactions++;
            plog(p, 6, "transaction", "tables", num(n), "ms", num(floe_mono_ms() - t0), NULL);
            for (int i = 0; i < n; i++) commit_succeeded(p, ts[i], &cc[i]);
        } else {
            int fenced = 0;
            for (int i = 0; i < n; i++) fenced |= cc[i].fenced;
            plog(p, 4, "transaction-failed", "tables", num(n), "error", err->msg, NULL);
            for (int i = 0; i < n; i++) {
                if (fenced || err->code == FLOE_EUNKNOWN) commit_failed(p, ts[i], &cc[i], err);
                else offmap_free(&cc[i].result);
            }
            rc = -1;
        }
    }
    free(parts);
    free(cc);
    return rc;
}

/* A table that needs a marker-only snapshot (rule 2): it lacks an entry
 * for an assigned partition that has a floor. */
static int needs_phase0(floe_pipeline *p, ptable *t) {
    if (!t->t) return 0;
    for (int i = 0; i < p->nparts; i++)
        if (!offmap_find(&t->known, p->parts[i].topic, p->parts[i].partition) &&
            offmap_find(&t->floor, p->parts[i].topic, p->parts[i].partition))
            return 1;
    return 0;
}

/* A table with no data whose entries lag the positions. */
static int lags(floe_pipeline *p, ptable *t) {
    if (!t->t) return 0;
    for (int i = 0; i < p->nparts; i++) {
        offent *e = offmap_find(&t->known, p->parts[i].topic, p->parts[i].partition);
        if (e && p->parts[i].next > e->offset) return 1;
    }
    return 0;
}

/* One commit cycle.  Returns 0 when every table committed, 1 when some
 * failed (they retry with the next cycle), -1 when the pipeline must stop
 * (err set). */
static int create_waiting(floe_pipeline *p, int force, floe_err *err);

static int cycle(floe_pipeline *p, floe_err *err) {
    if (p->in_cycle) return 0;
    if (create_waiting(p, 1, err)) return -1;
    if (p->need_reset) return 1;
    for (int i = 0; i < p->ntables; i++)
        if (!p->tables[i]->t && p->tables[i]->nearly) return 1; /* no table may commit past records that wait */
    p->in_cycle = 1;
    int failed = 0;
    floe_err e;
    /* phase 0 */
    for (int i = 0; i < p->ntables && !p->need_reset; i++) {
        ptable *t = p->tables[i];
        if (needs_phase0(p, t) && table_commit(p, t, 1, &e)) failed = 1;
    }
    if (!failed && !p->need_reset) {
        /* the tables to commit: those with data, and idle ones whose entries lag */
        ptable **due_t = floe_xmalloc((size_t)p->ntables * sizeof *due_t + 1);
        int ndue = 0;
        for (int i = 0; i < p->ntables; i++) {
            ptable *t = p->tables[i];
            if (!t->t) continue;
            int has_data = t->npending > 0 || (t->dw && floe_datafile_writer_rows(t->dw) > 0);
            if (!has_data) {
                if (!lags(p, t) || ++t->cycles_idle < LAG_MARKER_CYCLES) continue;
            }
            due_t[ndue++] = t;
        }
        /* Atomic across tables: one transaction.  Should it fail without
         * a reset, the tables go one by one, so that one table that cannot
         * commit does not hold back the others. */
        int one_by_one = 1;
        if (ndue >= 2 && floe_table_append_atomic(p->cat)) {
            one_by_one = tables_commit(p, due_t, ndue, &e) != 0 && !p->need_reset;
            if (p->need_reset) failed = 1;
        }
        for (int i = 0; one_by_one && i < ndue && !p->need_reset; i++)
            if (table_commit(p, due_t[i], 0, &e)) {
                failed = 1;
                if (due_t[i]->fail_streak >= MAX_FAIL_STREAK) break;
            }
        for (int i = 0; i < ndue && failed && !p->need_reset; i++) {
            ptable *t = due_t[i];
            if (t->fail_streak >= MAX_FAIL_STREAK) {
                floe_err_set(err, e.code, "table %s failed to commit %d times in a row: %s", t->ident,
                             t->fail_streak, e.msg);
                free(due_t);
                p->in_cycle = 0;
                return -1;
            }
        }
        free(due_t);
    }
    p->cycle_start = -1;
    p->cycle_bytes = p->cycle_records = 0;
    for (int i = 0; i < p->nparts; i++) p->parts[i].base = p->parts[i].next;
    if (!failed && !p->need_reset && p->src && p->nparts) {
        /* Kafka's committed offsets, for lag tools only. */
        floe_kafka_partition *kp = floe_xcalloc((size_t)p->nparts, sizeof *kp);
        int n = 0;
        for (int i = 0; i < p->nparts; i++)
            if (p->parts[i].next >= 0) kp[n++] = (floe_kafka_partition){p->parts[i].topic, p->parts[i].partition,
                                                                         p->parts[i].next};
        floe_err ke;
        if (n && floe_kafka_source_commit(p->src, kp, n, &ke))
            plog(p, 4, "kafka-commit-failed", "error", ke.msg, NULL);
        free(kp);
    }
    p->in_cycle = 0;
    return failed ? 1 : 0;
}

/* ---- reset ------------------------------------------------------------------------------ */

/* Drops everything uncommitted (reset() then seeks the partitions back). */
static void drop_uncommitted(floe_pipeline *p) {
    for (int i = 0; i < p->ntables; i++) {
        ptable *t = p->tables[i];
        if (t->dw) floe_datafile_writer_abort(t->dw);
        table_drop_pending(t, 0); /* an unknown outcome may have landed them: orphan cleanup decides */
        t->batch_records = t->batch_bytes = 0;
        floe_fresh_pending_clear(&t->fresh);
        early_clear(t);
        offmap_clear(&t->floor);
    }
    p->cycle_start = -1;
    p->cycle_bytes = p->cycle_records = 0;
}

/* ---- rebalances ------------------------------------------------------------------------- */

/* Configured tables (and their dead-letter tables) and, with dynamic
 * routing, every catalog table that has this group's marker. */
static int open_known_tables(floe_pipeline *p, floe_err *err) {
    const floe_config *c = p->cfg;
    int missing;
    for (int i = 0; i < c->table_names.n; i++) {
        if (!table_open(p, c->table_names.v[i], 0, &missing, err)) return -1;
        floe_buf b;
        floe_buf_init(&b);
        floe_buf_printf(&b, "%s%s", c->table_names.v[i], DLQ_SUFFIX);
        ptable *d = table_find(p, floe_buf_cstr(&b));
        if (!d) {
            /* an existing dead-letter table counts; a missing one is made on demand */
            char *ns, *name;
            if (floe_table_ident_split(floe_buf_cstr(&b), &ns, &name, err) == 0) {
                floe_err le;
                floe_table *ft = floe_table_load(p->cat, ns, name, &le);
                if (ft) {
                    floe_table_free(ft);
                    if (!table_open(p, floe_buf_cstr(&b), 1, &missing, err)) {
                        free(ns);
                        free(name);
                        floe_buf_free(&b);
                        return -1;
                    }
                }
                free(ns);
                free(name);
            }
        }
        floe_buf_free(&b);
    }
    if (!c->dynamic_enabled) return 0;
    /* every namespace, breadth first */
    char **queue = NULL;
    int nq = 0, head = 0;
    char **top = NULL;
    int ntop = 0;
    if (p->cat->list_namespaces(p->cat, NULL, &top, &ntop, err)) return -1;
    queue = top;
    nq = ntop;
    int rc = 0;
    while (head < nq && rc == 0) {
        char *ns = queue[head++];
        char **kids = NULL, **tabs = NULL;
        int nk = 0, nt = 0;
        if (p->cat->list_namespaces(p->cat, ns, &kids, &nk, err) == 0 && nk) {
            queue = floe_xrealloc(queue, (size_t)(nq + nk) * sizeof *queue);
            memcpy(queue + nq, kids, (size_t)nk * sizeof *kids);
            nq += nk;
        }
        free(kids);
        if (p->cat->list_tables(p->cat, ns, &tabs, &nt, err) == 0) {
            for (int i = 0; i < nt && rc == 0; i++) {
                floe_buf id;
                floe_buf_init(&id);
                floe_buf_printf(&id, "%s.%s", ns, tabs[i]);
                if (!table_find(p, floe_buf_cstr(&id))) {
                    floe_err le;
                    floe_table *ft = floe_table_load(p->cat, ns, tabs[i], &le);
                    if (ft && floe_table_ancestry_summary(floe_table_meta(ft), table_branch(p, floe_buf_cstr(&id)),
                                                          p->marker_key, NULL)) {
                        size_t l = strlen(tabs[i]);
                        int dlq = l > strlen(DLQ_SUFFIX) && strcmp(tabs[i] + l - strlen(DLQ_SUFFIX), DLQ_SUFFIX) == 0;
                        if (!table_open(p, floe_buf_cstr(&id), dlq, &missing, err)) rc = -1;
                    }
                    floe_table_free(ft);
                }
                floe_buf_free(&id);
            }
            for (int i = 0; i < nt; i++) free(tabs[i]);
            free(tabs);
        }
    }
    for (int i = 0; i < nq; i++) free(queue[i]);
    free(queue);
    return rc;
}

static int on_assign(void *ctx, floe_kafka_partition *parts, int n, floe_err *err) {
    floe_pipeline *p = ctx;
    /* The group has answered: the idle window starts again from here. */
    p->awaiting_assignment = 0;
    p->last_record_ms = floe_mono_ms();
    if (n == 0) {
        plog(p, 7, "assigned", "partitions", "0", "held", num(p->nparts), NULL);
        return 0;
    }
    p->st.rebalances++;
    floe_counter_add(p->m_rebalances, 1);
    if (open_known_tables(p, err)) return -1;
    /* fresh markers: another process may have committed since */
    for (int i = 0; i < p->ntables; i++) {
        ptable *t = p->tables[i];
        if (!t->t) continue;
        if (floe_table_reload(t->t, err) || table_read_marker(p, t, err))
            return floe_err_prefix(err, "reading progress of %s", t->ident);
    }
    floe_buf desc;
    floe_buf_init(&desc);
    for (int i = 0; i < n; i++) {
        int64_t start = -1;
        for (int k = 0; k < p->ntables; k++) {
            offent *e = offmap_find(&p->tables[k]->known, parts[i].topic, parts[i].partition);
            if (e && (start < 0 || e->offset < start)) start = e->offset;
        }
        parts[i].offset = start >= 0 ? start : FLOE_KAFKA_OFFSET_RESET;
        if (!part_find(p, parts[i].topic, parts[i].partition)) {
            if (p->nparts == p->capparts) {
                p->capparts = p->capparts ? p->capparts * 2 : 64;
                p->parts = floe_xrealloc(p->parts, (size_t)p->capparts * sizeof *p->parts);
            }
            p->parts[p->nparts++] = (ppart){floe_xstrdup(parts[i].topic), parts[i].partition, start, start, -1, -1};
        }
        if (i < 8) floe_buf_printf(&desc, "%s%s/%d@%lld", i ? "," : "", parts[i].topic, (int)parts[i].partition,
                                   (long long)start);
    }
    if (n > 8) floe_buf_printf(&desc, ",... (%d in all)", n);
    for (int k = 0; k < p->ntables; k++) table_set_floors(p, p->tables[k]);
    plog(p, 6, "assigned", "partitions", num(n), "from", floe_buf_cstr(&desc), "protocol",
         floe_kafka_source_protocol(p->src), NULL);
    floe_buf_free(&desc);
    floe_metrics_mark_ready(p->metrics);
    return 0;
}

static void on_revoke(void *ctx, const floe_kafka_partition *parts, int n, int lost) {
    floe_pipeline *p = ctx;
    plog(p, 6, "revoked", "partitions", num(n), "lost", lost ? "true" : "false", NULL);
    p->awaiting_assignment = 1;
    if (lost) {
        want_reset(p, "partitions lost to the group");
    } else if (!p->need_reset && p->stop_requests < 2 && !p->abandoning) {
        /* Commit what is held for them while they are still ours (not
         * when the run is ending on an error: what is held is abandoned,
         * and the next owner reads it again from the tables' offsets). */
        floe_err e;
        int rc = cycle(p, &e);
        if (rc != 0 || p->need_reset) {
            if (rc < 0) {
                p->fatal = e;
                p->has_fatal = 1;
            }
            want_reset(p, "commit before revocation failed");
        }
    }
    /* Going either way; with a reset pending, what is held for them is
     * dropped with the rest when the poll returns. */
    for (int i = 0; i < n; i++) {
        part_remove(p, parts[i].topic, parts[i].partition);
        for (int k = 0; k < p->ntables; k++) {
            ptable *t = p->tables[k];
            for (int j = 0; j < t->floor.n; j++)
                if (t->floor.v[j].partition == parts[i].partition && strcmp(t->floor.v[j].topic, parts[i].topic) == 0) {
                    free(t->floor.v[j].topic);
                    t->floor.v[j] = t->floor.v[--t->floor.n];
                    break;
                }
        }
    }
}

/* Frees the source, keeping its count of fetch nudges in the stats. */
static void source_free(floe_pipeline *p) {
    if (!p->src) return;
    p->st.fetch_nudges += floe_kafka_source_nudges(p->src);
    floe_kafka_source_free(p->src);
    p->src = NULL;
}

static int source_start(floe_pipeline *p, floe_err *err) {
    floe_kafka_callbacks cb = {p, on_assign, on_revoke, source_log};
    if (floe_kafka_source_new(&p->cfg->kafka, &cb, &p->src, err)) return -1;
    const floe_config *c = p->cfg;
    if (floe_kafka_source_subscribe(p->src, (const char *const *)c->topics.v, c->topics.n,
                                    c->topics_regex.text ? c->topics_regex.text : NULL, err)) {
        source_free(p);
        return -1;
    }
    return 0;
}

/* Drops what is not committed and moves every partition still assigned
 * back to where the tables say it stands, without leaving the group (a
 * consumer destroyed and made again would rejoin and move every partition;
 * and librdkafka 2.0 can assert when a cooperative consumer whose
 * assignment was lost is destroyed). */
static int reset(floe_pipeline *p, floe_err *err) {
    if (++p->reset_streak > MAX_FAIL_STREAK)
        return floe_err_set(err, FLOE_EIO, "gave up after %d resets without a commit; the last: %s",
                            MAX_FAIL_STREAK, p->reset_reason);
    plog(p, 4, "reset", "reason", p->reset_reason, "partitions", num(p->nparts), "streak", num(p->reset_streak),
         NULL);
    floe_counter_add(p->m_resets, 1);
    /* Resets in a row wait longer and longer (0.1 s doubling, at most 5 s:
     * about 16 s before giving up), so that a store or catalog that is
     * down for a few seconds is waited out; a stop request ends the wait. */
    if (p->reset_streak > 1) {
        int64_t wait = (int64_t)100 << (p->reset_streak - 2);
        if (wait > 5000) wait = 5000;
        for (int64_t end = floe_mono_ms() + wait; p->stop_requests == 0 && floe_mono_ms() < end;) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    /* what is read again is new input for --stop-when-idle */
    p->last_record_ms = floe_mono_ms();
    drop_uncommitted(p);
    p->need_reset = 0;
    if (!p->src) return source_start(p, err);
    for (int i = 0; i < p->ntables; i++) {
        ptable *t = p->tables[i];
        if (t->t && (floe_table_reload(t->t, err) || table_read_marker(p, t, err)))
            return floe_err_prefix(err, "reset: reading progress of %s", t->ident);
    }
    floe_kafka_partition *kp = floe_xcalloc((size_t)p->nparts + 1, sizeof *kp);
    int n = 0;
    for (int i = 0; i < p->nparts; i++) {
        ppart *pp = &p->parts[i];
        int64_t start = -1;
        for (int k = 0; k < p->ntables; k++) {
            offent *e = offmap_find(&p->tables[k]->known, pp->topic, pp->partition);
            if (e && (start < 0 || e->offset < start)) start = e->offset;
        }
        if (start < 0) start = pp->first_seen; /* nothing committed: from the first record seen */
        pp->next = pp->base = start;
        if (start >= 0) kp[n++] = (floe_kafka_partition){pp->topic, pp->partition, start};
    }
    int rc = floe_kafka_source_seek(p->src, kp, n, err);
    free(kp);
    if (rc) return -1;
    for (int k = 0; k < p->ntables; k++) table_set_floors(p, p->tables[k]);
    return 0;
}

/* A reset asked for in the middle of a poll batch drops the rest of the
 * batch unhandled, and librdkafka's position is already past it.  reset()
 * seeks every partition back to what the tables committed or, when they
 * committed nothing, to the first record this process saw of it; a
 * partition whose first records are among the dropped ones has not "seen"
 * any, and without this it would not be sought at all: those records
 * would be lost.  So the first dropped offset of such a partition counts
 * as seen. */
static void cover_unhandled(floe_pipeline *p, const floe_kafka_batch *b, int from) {
    for (int i = from; i < b->n; i++) {
        ppart *pp = part_find(p, b->msgs[i].topic, b->msgs[i].partition);
        if (pp && pp->first_seen < 0) pp->first_seen = b->msgs[i].offset;
    }
}

/* ---- records ---------------------------------------------------------------------------- */

static void dlq_name(floe_pipeline *p, const char *table, floe_buf *out) {
    out->len = 0;
    if (table) {
        floe_buf_printf(out, "%s%s", table, DLQ_SUFFIX);
        return;
    }
    const floe_config *c = p->cfg;
    const char *first = c->table_names.n ? c->table_names.v[0] : NULL;
    const char *dot = first ? strrchr(first, '.') : NULL;
    if (dot) floe_buf_append(out, first, (size_t)(dot - first));
    else floe_buf_puts(out, "default");
    floe_buf_printf(out, ".%s%s", c->name ? c->name : "floe", DLQ_SUFFIX);
}

/* A record's key or value for errors.log.include.messages, cut at 4 KiB;
 * a NUL byte becomes U+FFFD (the log line takes C strings, and escapes
 * the rest: control bytes, quotes, invalid UTF-8). */
static void message_text(const void *p, size_t n, floe_buf *out) {
    enum { SHOW = 4096 };
    const uint8_t *b = p;
    for (size_t i = 0; b && i < n && i < SHOW; i++) {
        if (b[i]) floe_buf_putc(out, b[i]);
        else floe_buf_puts(out, "\xEF\xBF\xBD");
    }
    if (n > SHOW) floe_buf_printf(out, "...(%zu bytes)", n);
}

/* Writes a dead letter for message m (bound for `table`, NULL when it could
 * not be routed). */
static int dead_letter(floe_pipeline *p, const floe_kafka_msg *m, const char *table, const char *why, floe_err *err) {
    if (p->cfg->errors_log_enable || p->st.records_dead < 100) {
        /* with include.messages the key and value follow; without, their
         * NULL key ends the pairs there */
        int inc = p->cfg->errors_log_enable && p->cfg->errors_log_include_messages;
        floe_buf k, v;
        floe_buf_init(&k);
        floe_buf_init(&v);
        if (inc) {
            message_text(m->key, m->key_len, &k);
            message_text(m->value, m->value_len, &v);
        }
        plog(p, 4, "dead-letter", "topic", m->topic, "partition", num(m->partition), "offset", num(m->offset),
             "table", table ? table : "", "error", why, inc ? "key" : NULL,
             m->key ? floe_buf_cstr(&k) : "(null)", "value", m->value ? floe_buf_cstr(&v) : "(null)", NULL);
        floe_buf_free(&k);
        floe_buf_free(&v);
    }
    if (p->cfg->dlq_mode == FLOE_DLQ_DROP) {
        p->st.records_dead++;
        return 0;
    }
    floe_buf name;
    floe_buf_init(&name);
    dlq_name(p, table, &name);
    int missing;
    ptable *t = table_open(p, floe_buf_cstr(&name), 1, &missing, err);
    floe_buf_free(&name);
    if (!t) {
        if (err->code == FLOE_EINVAL) return -1; /* a name that can never work */
        /* The catalog failed (a timeout, a 5xx): the record is read again
         * after a reset, like one whose data file could not be written. */
        want_reset(p, "%s", err->msg);
        plog(p, 3, "dead-letter-table-failed", "error", err->msg, NULL);
        return 0;
    }
    offent *k = offmap_find(&t->known, m->topic, m->partition);
    if (k && m->offset < k->offset) {
        p->st.records_skipped++;
        return 0;
    }
    if (!k) floor_cover(t, m->topic, m->partition, m->offset);
    floe_buf *b = &p->dlq;
    b->len = 0;
    floe_buf_puts(b, "{\"topic\":");
    floe_json_escape((const uint8_t *)m->topic, strlen(m->topic), b);
    floe_buf_printf(b, ",\"partition\":%d,\"offset\":%lld,\"key\":", (int)m->partition, (long long)m->offset);
    if (m->key) {
        floe_buf_putc(b, '"');
        floe_base64_encode(m->key, m->key_len, b);
        floe_buf_putc(b, '"');
    } else {
        floe_buf_puts(b, "null");
    }
    floe_buf_puts(b, ",\"value\":");
    if (m->value) {
        floe_buf_putc(b, '"');
        floe_base64_encode(m->value, m->value_len, b);
        floe_buf_putc(b, '"');
    } else {
        floe_buf_puts(b, "null");
    }
    floe_buf_puts(b, ",\"error\":");
    floe_json_escape((const uint8_t *)why, strlen(why), b);
    floe_buf_puts(b, ",\"time\":\"");
    floe_fmt_timestamp(floe_wall_ms() * 1000, 6, 1, b);
    floe_buf_puts(b, "\"}");
    if (floe_datafile_writer_write(t->dw, (const char *)b->data, b->len, m->offset, err))
        return floe_err_prefix(err, "writing a dead letter to %s", t->ident);
    t->batch_records++;
    t->batch_bytes += (int64_t)m->value_len;
    floe_counter_add(t->m_dead, 1);
    floe_fresh_pending_add(&t->fresh, m->timestamp_ms);
    return 0;
}

/* The record text for table writes: the value, unwrapped from a
 * JsonConverter envelope, with the Kafka metadata column added.  Returns
 * NULL with *why set when the value cannot be a record. */
static const char *record_text(floe_pipeline *p, const floe_kafka_msg *m, size_t *len, const char **why) {
    const char *v = m->value;
    size_t n = m->value_len;
    if (p->cfg->value_schemas_enable) {
        const char *pv;
        size_t pn;
        int rc = floe_json_member(v, n, "payload", &pv, &pn);
        if (rc < 0) {
            *why = "value is not a JSON object (expected a {\"schema\":..., \"payload\":...} envelope)";
            return NULL;
        }
        if (rc == 0) {
            *why = "the JSON envelope has no \"payload\" (value.converter.schemas.enable=true)";
            return NULL;
        }
        v = pv;
        n = pn;
    }
    if (!floe_json_is_object(v, n)) {
        *why = "value is not a JSON object";
        return NULL;
    }
    unsigned meta = p->cfg->metadata_columns;
    if (!meta) {
        *len = n;
        return v;
    }
    floe_buf *b = &p->rec;
    b->len = 0;
    /* everything up to the closing brace, then the metadata member */
    size_t end = n;
    while (end > 0 && v[end - 1] != '}') end--;
    floe_buf_append(b, v, end - 1);
    size_t k = b->len;
    while (k > 0 && (b->data[k - 1] == ' ' || b->data[k - 1] == '\n' || b->data[k - 1] == '\t' ||
                     b->data[k - 1] == '\r'))
        k--;
    int empty = k > 0 && b->data[k - 1] == '{';
    floe_buf_puts(b, empty ? "\"_kafka_metadata\":{" : ",\"_kafka_metadata\":{");
    int first = 1;
#define SEP() (first ? (void)(first = 0) : floe_buf_putc(b, ','))
    if (meta & FLOE_META_TOPIC) {
        SEP();
        floe_buf_puts(b, "\"topic\":");
        floe_json_escape((const uint8_t *)m->topic, strlen(m->topic), b);
    }
    if (meta & FLOE_META_PARTITION) {
        SEP();
        floe_buf_printf(b, "\"partition\":%d", (int)m->partition);
    }
    if (meta & FLOE_META_OFFSET) {
        SEP();
        floe_buf_printf(b, "\"offset\":%lld", (long long)m->offset);
    }
    if ((meta & FLOE_META_TIMESTAMP) && m->timestamp_ms >= 0) {
        SEP();
        floe_buf_puts(b, "\"timestamp\":\"");
        floe_fmt_timestamp(m->timestamp_ms * 1000, 6, 1, b);
        floe_buf_putc(b, '"');
    }
    if ((meta & FLOE_META_KEY) && m->key) {
        SEP();
        floe_buf_puts(b, "\"key\":");
        floe_json_escape(m->key, m->key_len, b);
    }
    if (meta & FLOE_META_HEADERS) {
        const char *hn;
        const void *hv;
        size_t hs;
        int any = 0;
        for (size_t i = 0; floe_kafka_msg_header(m, i, &hn, &hv, &hs); i++) {
            if (!any) {
                SEP();
                floe_buf_puts(b, "\"headers\":[");
            } else {
                floe_buf_putc(b, ',');
            }
            any = 1;
            floe_buf_puts(b, "{\"key\":");
            floe_json_escape((const uint8_t *)hn, strlen(hn), b);
            floe_buf_puts(b, ",\"value\":");
            if (hv) floe_json_escape(hv, hs, b);
            else floe_buf_puts(b, "null");
            floe_buf_putc(b, '}');
        }
        if (any) floe_buf_putc(b, ']');
    }
#undef SEP
    floe_buf_puts(b, "}}");
    *len = b->len;
    return (const char *)b->data;
}

/* The route field's value as text, or NULL (missing, null, or not a
 * scalar). */
static const char *route_value(floe_pipeline *p, const char *rec, size_t len) {
    const char *v;
    size_t vl;
    if (floe_json_member(rec, len, p->cfg->route_field, &v, &vl) != 1) return NULL;
    floe_buf *b = &p->tmp;
    b->len = 0;
    if (v[0] == '"') {
        if (floe_json_string_text(v, vl, b)) return NULL;
    } else if (v[0] == '{' || v[0] == '[' || (vl == 4 && memcmp(v, "null", 4) == 0)) {
        return NULL;
    } else {
        floe_buf_append(b, v, vl);
    }
    return floe_buf_cstr(b);
}

/* Strips the writer's "line N: " prefix: the message names the record by
 * topic, partition and offset instead. */
static const char *reason_of(const floe_err *e) {
    const char *m = e->msg;
    if (strncmp(m, "line ", 5) == 0) {
        const char *c = strstr(m, ": ");
        if (c) return c + 2;
    }
    return m;
}

static void early_add(ptable *t, const floe_kafka_msg *m, const char *rec, size_t len) {
    if (t->nearly == t->capearly) {
        t->capearly = t->capearly ? t->capearly * 2 : 64;
        t->erec = floe_xrealloc(t->erec, (size_t)t->capearly * sizeof *t->erec);
        t->early_len = floe_xrealloc(t->early_len, (size_t)t->capearly * sizeof *t->early_len);
    }
    if (t->nearly == 0) t->early_since = floe_mono_ms();
    t->erec[t->nearly] = (struct early_rec){t->early.len, m->timestamp_ms, m->offset, m->partition,
                                            floe_xstrdup(m->topic)};
    t->early_len[t->nearly] = len;
    t->nearly++;
    floe_buf_append(&t->early, rec, len);
}

static void note_written(ptable *t, size_t bytes, int64_t ts) {
    t->batch_records++;
    t->batch_bytes += (int64_t)bytes;
    floe_counter_add(t->m_in, 1);
    floe_counter_add(t->m_in_bytes, bytes);
    floe_fresh_pending_add(&t->fresh, ts);
}

/* A record has a field t's schema lacks (iceberg.tables.evolve-schema-
 * enabled): the columns are added (table/evolve.c).  When t's schema is
 * then not the writer's (this record's columns, or another writer's), the
 * files written so far close, to be committed with the next snapshot under
 * the schema they were written with, and a writer for the new schema takes
 * over.  -1 with err (the catalog's error: the caller resets). */
static int table_evolve(floe_pipeline *p, ptable *t, const char *rec, size_t len, floe_err *err) {
    int n;
    floe_buf added;
    floe_buf_init(&added);
    int rc = floe_table_evolve_for_record(t->t, rec, len, p->cfg->schema_case_insensitive, &n, &added, err);
    if (rc == 0 && n > 0) {
        floe_counter_add(t->m_schema, 1);
        plog(p, 6, "schema-evolved", "table", t->ident, "columns", floe_buf_cstr(&added), "schema",
             num(floe_table_meta(t->t)->current_schema_id), NULL);
    }
    floe_buf_free(&added);
    if (rc) return floe_err_prefix(err, "adding columns to %s", t->ident);
    if (floe_ice_metadata_schema(floe_table_meta(t->t))->schema_id == floe_datafile_writer_schema_id(t->dw))
        return 0;
    if (table_close_files(t, err)) return floe_err_prefix(err, "table %s", t->ident);
    floe_datafile_writer *old = t->dw;
    if (table_open_writer(p, t, err)) {
        t->dw = old;
        return -1;
    }
    floe_datafile_writer_free(old);
    return 0;
}

/* Writes one record into t's files: 0, or -1 with err (FLOE_EINVAL: the
 * record does not fit; anything else: the files or the catalog failed).
 * Under evolution a record with fields t lacks adds them first; fields
 * that cannot become columns (null, [], {}) are then skipped. */
static int table_write(floe_pipeline *p, ptable *t, const char *rec, size_t len, int64_t offset, floe_err *err) {
    if (floe_datafile_writer_write(t->dw, rec, len, offset, err) == 0) return 0;
    if (err->code != FLOE_ENOTFOUND) return -1;
    if (table_evolve(p, t, rec, len, err)) return -1;
    if (floe_datafile_writer_write(t->dw, rec, len, offset, err) == 0) return 0;
    if (err->code != FLOE_ENOTFOUND) return -1;
    floe_datafile_writer_set_strict_fields(t->dw, 0);
    int rc = floe_datafile_writer_write(t->dw, rec, len, offset, err);
    floe_datafile_writer_set_strict_fields(t->dw, 1);
    return rc;
}

/* Writes record rec of message m to table `ident`.  Bad records become dead
 * letters; -1 only when the pipeline cannot go on. */
static int write_to(floe_pipeline *p, const floe_kafka_msg *m, const char *ident, const char *rec, size_t len,
                    floe_err *err) {
    int missing;
    floe_err e;
    ptable *t = table_open(p, ident, 0, &missing, &e);
    if (!t && (e.code == FLOE_EIO || e.code == FLOE_EUNKNOWN || e.code == FLOE_ECONFLICT)) {
        /* The catalog failed (a timeout, a 5xx), not the record: it is read
         * again after a reset, like one whose data file could not be
         * written (eight resets in a row stop the pipeline). */
        plog(p, 3, "table-open-failed", "table", ident, "error", e.msg, NULL);
        want_reset(p, "%s", e.msg);
        return 0;
    }
    if (!t) {
        floe_buf why;
        floe_buf_init(&why);
        floe_buf_printf(&why, "table %s: %s", ident, e.msg);
        int rc = dead_letter(p, m, NULL, floe_buf_cstr(&why), err);
        floe_buf_free(&why);
        return rc;
    }
    if (missing) {
        if (!p->cfg->auto_create) return dead_letter(p, m, ident, "the table does not exist and "
                                                     "iceberg.tables.auto-create-enabled is false", err);
        /* kept until the end of the poll batch, then the table is created
         * from them; dedupe does not apply to a table that does not exist */
        early_add(t, m, rec, len);
        return 0;
    }
    offent *k = offmap_find_hot(&t->known, m->topic, m->partition);
    if (k && m->offset < k->offset) {
        p->st.records_skipped++;
        floe_counter_add(p->m_skipped, 1);
        return 0;
    }
    if (!k) floor_cover(t, m->topic, m->partition, m->offset);
    if (table_write(p, t, rec, len, m->offset, &e)) {
        if (e.code != FLOE_EINVAL) {
            write_failed(p, t, &e); /* the record is read again after the reset */
            return 0;
        }
        return dead_letter(p, m, ident, reason_of(&e), err);
    }
    note_written(t, len, m->timestamp_ms);
    return 0;
}

static int handle(floe_pipeline *p, const floe_kafka_msg *m, floe_err *err) {
    ppart *pp = part_find(p, m->topic, m->partition);
    if (!pp) return 0; /* revoked while in the batch */
    if (pp->next < 0) {
        /* the partition's first record: now tables can have floors for it */
        pp->next = pp->base = m->offset;
        for (int i = 0; i < p->ntables; i++) table_set_floors(p, p->tables[i]);
    }
    if (pp->base < 0) pp->base = m->offset;
    if (pp->first_seen < 0) pp->first_seen = m->offset;
    pp->next = m->offset + 1;
    if (m->timestamp_ms > pp->max_ts_ms) pp->max_ts_ms = m->timestamp_ms;
    p->st.records_in++;
    p->st.bytes_in += (int64_t)(m->value_len + m->key_len);
    p->cycle_records++;
    p->cycle_bytes += (int64_t)(m->value_len + m->key_len);
    if (!m->value) {
        p->ignored++; /* a tombstone deletes nothing in an append-only table */
        return 0;
    }
    const floe_config *c = p->cfg;
    if ((int64_t)m->value_len > c->record_max_bytes) {
        char why[160];
        snprintf(why, sizeof why, "value of %zu bytes exceeds floe.record.max-bytes (%lld)", m->value_len,
                 (long long)c->record_max_bytes);
        const char *target = c->table_names.n == 1 ? c->table_names.v[0] : NULL;
        return dead_letter(p, m, target, why, err);
    }
    const char *why = NULL;
    size_t len;
    const char *rec = record_text(p, m, &len, &why);
    const char *single = !c->dynamic_enabled && c->table_names.n == 1 ? c->table_names.v[0] : NULL;
    if (!rec) return dead_letter(p, m, single, why, err);
    if (c->dynamic_enabled) {
        const char *rv = c->route_field ? route_value(p, rec, len) : NULL;
        if (!rv || !*rv) {
            floe_buf w;
            floe_buf_init(&w);
            floe_buf_printf(&w, "route field '%s' is missing, null or not a scalar",
                            c->route_field ? c->route_field : "");
            int rc = dead_letter(p, m, NULL, floe_buf_cstr(&w), err);
            floe_buf_free(&w);
            return rc;
        }
        char *ident = floe_xstrdup(rv);
        for (char *q = ident; *q; q++)
            if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
        int rc = write_to(p, m, ident, rec, len, err);
        free(ident);
        return rc;
    }
    const char *rv = c->route_field ? route_value(p, rec, len) : NULL;
    char *rvcopy = rv ? floe_xstrdup(rv) : NULL;
    int rc = 0;
    int taken = 0;
    for (int i = 0; i < c->table_names.n && rc == 0; i++) {
        const char *ident = c->table_names.v[i];
        if (c->route_field) {
            const floe_config_table *tc = floe_config_table_get(c, ident);
            if (!rvcopy || !tc || !floe_config_regex_match(&tc->route_regex, rvcopy)) continue;
        }
        taken = 1;
        rc = write_to(p, m, ident, rec, len, err);
    }
    if (!taken) p->ignored++;
    free(rvcopy);
    return rc;
}

/* The message of waiting record k, as far as it was kept: its key and
 * headers are gone with its batch, and its value is the record text. */
static void early_msg(const ptable *t, int k, floe_kafka_msg *m) {
    const struct early_rec *er = &t->erec[k];
    memset(m, 0, sizeof *m);
    m->topic = er->topic;
    m->partition = er->partition;
    m->offset = er->offset;
    m->timestamp_ms = er->ts;
    m->value = (const char *)t->early.data + er->off;
    m->value_len = t->early_len[k];
}

/* Creates the tables that records are waiting for and writes them.
 * Unless forced (a commit cycle is about to run, and no table may commit
 * progress past records that wait), a table waits for FLOE_INFER_MAX_RECORDS
 * records or INFER_WAIT_MS, so that its schema is inferred from more than a
 * first handful of records (a field null in all of them would become a
 * string). */
static int create_waiting(floe_pipeline *p, int force, floe_err *err) {
    int64_t now = floe_mono_ms();
    for (int i = 0; i < p->ntables; i++) {
        ptable *t = p->tables[i];
        if (t->t || !t->nearly) continue;
        if (!force && t->nearly < FLOE_INFER_MAX_RECORDS && now - t->early_since < INFER_WAIT_MS) continue;
        const char **lines = floe_xcalloc((size_t)t->nearly, sizeof *lines);
        for (int k = 0; k < t->nearly; k++) lines[k] = (const char *)t->early.data + t->erec[k].off;
        int n = t->nearly < FLOE_INFER_MAX_RECORDS ? t->nearly : FLOE_INFER_MAX_RECORDS;
        const floe_config_table *tc = floe_config_table_get(p->cfg, t->ident);
        floe_props props;
        floe_props_copy(&props, &p->cfg->auto_create_props);
        for (int k = 0; k < p->cfg->write_props.n; k++)
            floe_props_set(&props, p->cfg->write_props.items[k].key, p->cfg->write_props.items[k].value);
        floe_table_autocreate ac = {lines, t->early_len, n, tc ? tc->partition_by : NULL,
                                    tc ? (const char *const *)tc->id_columns.v : NULL, tc ? tc->id_columns.n : 0,
                                    &props};
        int created = 0;
        floe_err e;
        /* another process may have made it meanwhile */
        t->t = floe_table_load(p->cat, t->ns, t->name, &e);
        if (!t->t && e.code == FLOE_ENOTFOUND)
            t->t = floe_table_create_inferred(p->cat, t->ns, t->name, &ac, &created, &e);
        floe_props_free(&props);
        if (!t->t) {
            free(lines);
            plog(p, 3, "table-create-failed", "table", t->ident, "error", e.msg, "attempt", num(t->fail_streak + 1),
                 NULL);
            if (e.code != FLOE_EINVAL) {
                /* The catalog failed (a timeout, a 5xx): the records wait
                 * and the next cycle tries again, eight times at most. */
                if (++t->fail_streak >= MAX_FAIL_STREAK)
                    return floe_err_set(err, e.code, "auto-creating table %s failed %d times in a row: %s", t->ident,
                                        t->fail_streak, e.msg);
                continue;
            }
            /* The records themselves are at fault (no schema can be
             * inferred from them, a partition column missing): they are
             * dead letters, and the next records try again. */
            for (int k = 0; k < t->nearly; k++) {
                floe_kafka_msg m;
                early_msg(t, k, &m);
                if (dead_letter(p, &m, t->ident, e.msg, err)) return -1;
            }
            early_clear(t);
            continue;
        }
        t->fail_streak = 0;
        floe_maintainer_note_table(p->maint, t->ident);
        if (created) {
            p->st.tables_created++;
            plog(p, 6, "table-created", "table", t->ident, NULL);
        }
        if (table_read_marker(p, t, err) || table_open_writer(p, t, err)) {
            free(lines);
            return -1;
        }
        /* Its floor is where each partition's cycle began: it received no
         * record of the partition before that. */
        for (int k = 0; k < p->nparts; k++) {
            ppart *pp = &p->parts[k];
            if (pp->base >= 0 && !offmap_find(&t->known, pp->topic, pp->partition))
                offmap_set(&t->floor, pp->topic, pp->partition, pp->base);
        }
        for (int k = 0; k < t->nearly; k++) {
            struct early_rec *er = &t->erec[k];
            if (table_write(p, t, lines[k], t->early_len[k], er->offset, &e)) {
                if (e.code != FLOE_EINVAL) {
                    /* the records are read again after the reset */
                    write_failed(p, t, &e);
                    free(lines);
                    early_clear(t);
                    return 0;
                }
                /* A record that disagrees with the schema inferred from the
                 * first records. */
                floe_kafka_msg m;
                early_msg(t, k, &m);
                if (dead_letter(p, &m, t->ident, reason_of(&e), err)) {
                    free(lines);
                    return -1;
                }
                continue;
            }
            note_written(t, t->early_len[k], er->ts);
        }
        free(lines);
        early_clear(t);
    }
    return 0;
}

/* ---- the loop --------------------------------------------------------------------------- */

static size_t memory_in_use(floe_pipeline *p) {
    size_t m = 0;
    for (int i = 0; i < p->ntables; i++) {
        if (p->tables[i]->dw) m += floe_datafile_writer_memory(p->tables[i]->dw);
        m += p->tables[i]->early.len + floe_fresh_pending_memory(&p->tables[i]->fresh);
    }
    return m;
}

static int due(floe_pipeline *p, int64_t now) {
    const floe_config *c = p->cfg;
    if (p->cycle_start < 0 && p->cycle_records == 0) {
        /* nothing new: pending retries still go on the interval */
        for (int i = 0; i < p->ntables; i++)
            if (p->tables[i]->npending) return 1;
        return 0;
    }
    if (p->cycle_start >= 0 && now - p->cycle_start >= c->commit_interval_ms) return 1;
    if (c->commit_bytes > 0 && p->cycle_bytes >= c->commit_bytes) return 1;
    if (c->commit_records > 0 && p->cycle_records >= c->commit_records) return 1;
    size_t mem = memory_in_use(p);
    p->st.memory_bytes = mem;
    if (mem > p->st.memory_peak_bytes) p->st.memory_peak_bytes = mem;
    floe_gauge_set(p->m_memory, (double)mem);
    if ((int64_t)mem >= c->memory_budget) {
        plog(p, 6, "memory-budget", "bytes", num((int64_t)mem), NULL);
        return 1;
    }
    return 0;
}

static void update_lag(floe_pipeline *p) {
    floe_kafka_lag *lag = NULL;
    int n = 0;
    floe_err e;
    if (!p->src || floe_kafka_source_lag(p->src, 0, &lag, &n, &e)) return;
    for (int i = 0; i < n; i++) {
        char part[16];
        snprintf(part, sizeof part, "%d", (int)lag[i].partition);
        const char *const l[] = {"topic", lag[i].topic, "partition", part, NULL};
        floe_gauge *g = floe_metrics_gauge(p->metrics, "floe_consumer_lag", "Records behind the partition's end.",
                                           l, &e);
        if (g && lag[i].lag >= 0) floe_gauge_set(g, (double)lag[i].lag);
    }
    floe_kafka_lag_free(lag, n);
}

/* What running needs beyond the configuration: the catalog, the metrics
 * endpoint and the maintenance thread (not opened by floe_pipeline_new, so
 * that --print-config works with the catalog down). */
static int pipeline_open(floe_pipeline *p, floe_err *err) {
    floe_err e;
    p->cat = floe_catalog_open(p->cfg->catalog_uri, p->cfg->warehouse, &p->cfg->catalog_props, err);
    if (!p->cat) return floe_err_prefix(err, "opening the catalog");
    if (p->cfg->metrics_listen) {
        if (floe_metrics_server_start(p->metrics, p->cfg->metrics_listen, &p->msrv, err))
            return floe_err_prefix(err, "floe.metrics.listen");
        plog(p, 6, "metrics", "listen", p->cfg->metrics_listen, "port", num(floe_metrics_server_port(p->msrv)), NULL);
    }
    if (p->cfg->maintenance_enabled) {
        /* its own thread and catalog connection; without it the pipeline still runs */
        floe_maintainer_opts mo;
        floe_maintainer_opts_from_config(p->cfg, &mo);
        mo.metrics = p->metrics;
        mo.log = p->log;
        mo.log_ctx = p->log_ctx;
        p->maint = floe_maintainer_start(&mo, &e);
        if (!p->maint) plog(p, 4, "maintenance-failed", "action", "start", "error", e.msg, NULL);
    }
    return 0;
}

/* The size of the next poll batch.  due() looks at the commit triggers
 * and the memory budget between batches only, so a batch never takes more
 * than the record and byte triggers have left in this cycle (a commit
 * then holds exactly floe.commit.records records, or floe.commit.bytes
 * bytes and less than one record more), nor more than an eighth of the
 * memory budget (which then cannot carry the buffers far past it).  A
 * trigger already reached (a cycle that could not finish, e.g. a table
 * still waiting to be created) does not shrink the batches: they would
 * only bring the next attempt sooner. */
static void poll_limits(const floe_pipeline *p, int *max_msgs, size_t *max_bytes) {
    const floe_config *c = p->cfg;
    int64_t msgs = POLL_MAX_MSGS, bytes = (int64_t)POLL_MAX_BYTES;
    int64_t msgs_left = c->commit_records - p->cycle_records, bytes_left = c->commit_bytes - p->cycle_bytes;
    if (c->commit_records > 0 && msgs_left > 0 && msgs_left < msgs) msgs = msgs_left;
    if (c->commit_bytes > 0 && bytes_left > 0 && bytes_left < bytes) bytes = bytes_left;
    if (c->memory_budget / 8 < bytes) bytes = c->memory_budget / 8;
    *max_msgs = (int)msgs;
    *max_bytes = (size_t)bytes;
}

int floe_pipeline_run(floe_pipeline *p, floe_err *err) {
    if (!p->cat && pipeline_open(p, err)) return -1;
    int64_t t_start = floe_mono_ms();
    if (!p->src && source_start(p, err)) return -1;
    plog(p, 6, "started", "group", p->group, "catalog", p->cfg->catalog_uri, NULL);
    floe_kafka_batch b;
    floe_kafka_batch_init(&b);
    int rc = 0;
    p->cycle_start = -1;
    int64_t last_lag = 0;
    while (p->stop_requests == 0) {
        int64_t now = floe_mono_ms();
        int timeout = 100;
        if (p->cycle_start >= 0) {
            int64_t left = p->cycle_start + p->cfg->commit_interval_ms - now;
            if (left < timeout) timeout = left > 0 ? (int)left : 0;
        }
        int max_msgs;
        size_t max_bytes;
        poll_limits(p, &max_msgs, &max_bytes);
        int n = floe_kafka_source_poll(p->src, &b, max_msgs, max_bytes, timeout, err);
        if (p->has_fatal) {
            *err = p->fatal;
            floe_kafka_batch_release(&b);
            rc = -1;
            break;
        }
        if (n < 0) { /* the source failed for good: a restart resumes from the tables */
            rc = -1;
            break;
        }
        if (n > 0 && !p->st.first_record_unix_ms) p->st.first_record_unix_ms = floe_wall_ms();
        int i = 0;
        for (; i < n && rc == 0 && !p->need_reset; i++) {
            if (p->cycle_start < 0) p->cycle_start = floe_mono_ms();
            rc = handle(p, &b.msgs[i], err);
        }
        if (p->need_reset) cover_unhandled(p, &b, i);
        floe_kafka_batch_release(&b);
        if (rc == 0 && !p->need_reset) rc = create_waiting(p, 0, err);
        if (rc) break;
        now = floe_mono_ms();
        if (n > 0) {
            p->last_record_ms = now;
            if (!p->first_record_ms) p->first_record_ms = now;
        }
        if (p->need_reset) {
            if (reset(p, err)) {
                rc = -1;
                break;
            }
            continue;
        }
        if (due(p, now)) {
            int cr = cycle(p, err);
            if (cr < 0) {
                rc = -1;
                break;
            }
            if (p->need_reset) {
                if (reset(p, err)) {
                    rc = -1;
                    break;
                }
                continue;
            }
        }
        if (now - last_lag >= 1000) {
            update_lag(p);
            last_lag = now;
        }
        /* every record asked for is in hand: the final commit below lands them */
        if (p->stop_after_records > 0 && p->st.records_in >= p->stop_after_records) break;
        if (p->stop_when_idle_ms > 0 && p->first_record_ms && !p->awaiting_assignment &&
            now - p->last_record_ms >= p->stop_when_idle_ms)
            break;
    }
    floe_kafka_batch_free(&b);
    if (p->stop_requests >= 2) {
        plog(p, 4, "stopped", "reason", "second signal: nothing more committed", NULL);
        source_free(p);
        return rc;
    }
    /* maintenance ends first: the final commit need not race a compaction */
    floe_maintainer_stop(p->maint);
    p->maint = NULL;
    /* a final commit, then leave the group (whose revoke commits nothing new) */
    if (rc == 0 && !p->need_reset) {
        int cr = cycle(p, err);
        if (cr < 0) rc = -1;
        else if (cr > 0) {
            rc = -1;
            floe_err_set(err, FLOE_EIO, "the final commit failed for some table (see the log); a restart resumes "
                                        "from the tables");
        }
    }
    floe_err ce;
    if (rc != 0 || p->has_fatal) p->abandoning = 1;
    if (p->src && floe_kafka_source_close(p->src, &ce)) plog(p, 4, "leave-failed", "error", ce.msg, NULL);
    if (p->has_fatal && rc == 0) {
        *err = p->fatal;
        rc = -1;
    }
    source_free(p);
    floe_pipeline_stats s;
    floe_pipeline_get_stats(p, &s);
    plog(p, 6, "stopped", "records_in", num(s.records_in), "committed", num(s.records_committed), "dead",
         num(s.records_dead), "commits", num(s.commits), "elapsed_ms", num(floe_mono_ms() - t_start), NULL);
    return rc;
}

/* ---- construction ------------------------------------------------------------------------ */

static floe_pipeline *pipeline_make(floe_config *cfg, const floe_pipeline_opts *o, floe_err *err) {
    floe_pipeline *p = floe_xcalloc(1, sizeof *p);
    p->cfg = cfg;
    if (o) {
        p->log = o->log;
        p->log_ctx = o->log_ctx;
        p->stop_when_idle_ms = o->stop_when_idle_ms;
        p->stop_after_records = o->stop_after_records;
    }
    floe_buf_init(&p->rec);
    floe_buf_init(&p->dlq);
    floe_buf_init(&p->tmp);
    p->cycle_start = -1;
    int nw;
    const char *const *w = floe_config_warnings(cfg, &nw);
    for (int i = 0; i < nw; i++) plog(p, 4, "config", "warning", w[i], NULL);
    p->group = floe_xstrdup(floe_props_get(&cfg->kafka, "group.id"));
    floe_buf k;
    floe_buf_init(&k);
    floe_buf_printf(&k, "%s%s", MARKER_PREFIX, p->group);
    p->marker_key = floe_xstrdup(floe_buf_cstr(&k));
    floe_buf_free(&k);
    p->metrics = floe_metrics_new();
    floe_err e;
    p->m_rebalances = floe_metrics_counter(p->metrics, "floe_rebalances_total", "Partition assignments.", NULL, &e);
    p->m_resets = floe_metrics_counter(p->metrics, "floe_resets_total",
                                       "Times uncommitted work was dropped to resume from the tables.", NULL, &e);
    p->m_skipped = floe_metrics_counter(p->metrics, "floe_records_skipped_total",
                                        "Records read again that a table already held.", NULL, &e);
    p->m_memory = floe_metrics_gauge(p->metrics, "floe_memory_bytes",
                                     "Bytes buffered in open data files and for records waiting to commit.", NULL,
                                     &e);
    static const double fb[] = {0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60};
    p->m_fresh = floe_metrics_histogram(p->metrics, "floe_freshness_seconds",
                                        "Produce-to-visible latency of committed records.", NULL, fb,
                                        sizeof fb / sizeof fb[0], &e);
    return p;
}

/* Applies "key=value" overrides to a loaded configuration's raw keys. */
static floe_config *with_overrides(floe_config *c, const floe_pipeline_opts *o, const char *origin, floe_err *err) {
    if (!c || !o || o->noverrides <= 0) return c;
    floe_props raw;
    floe_props_copy(&raw, &c->raw);
    for (int i = 0; i < o->noverrides; i++) {
        const char *eq = strchr(o->overrides[i], '=');
        if (!eq || eq == o->overrides[i]) {
            floe_props_free(&raw);
            floe_config_free(c);
            floe_err_set(err, FLOE_EINVAL, "-o %s: expected KEY=VALUE", o->overrides[i]);
            return NULL;
        }
        char *key = floe_xstrndup(o->overrides[i], (size_t)(eq - o->overrides[i]));
        floe_props_set(&raw, key, eq + 1);
        free(key);
    }
    floe_config *n = floe_config_from_props(&raw, origin, err);
    floe_props_free(&raw);
    floe_config_free(c);
    return n;
}

floe_pipeline *floe_pipeline_new(const char *config_path, const floe_pipeline_opts *opts, floe_err *err) {
    floe_config *c = floe_config_load(config_path, err);
    c = with_overrides(c, opts, config_path, err);
    return c ? pipeline_make(c, opts, err) : NULL;
}

floe_pipeline *floe_pipeline_new_text(const char *text, size_t len, const char *origin,
                                      const floe_pipeline_opts *opts, floe_err *err) {
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) i++;
    floe_config *c = i < len && text[i] == '{' ? floe_config_parse_json(text, len, origin, err)
                                               : floe_config_parse_properties(text, len, origin, err);
    c = with_overrides(c, opts, origin, err);
    return c ? pipeline_make(c, opts, err) : NULL;
}

char *floe_pipeline_config_text(const floe_pipeline *p) {
    floe_buf b;
    floe_buf_init(&b);
    floe_config_print(p->cfg, &b);
    char *text = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return text;
}

void floe_pipeline_stop(floe_pipeline *p) {
    if (atomic_load(&p->stop_requests) < 2) atomic_fetch_add(&p->stop_requests, 1);
}

int floe_pipeline_metrics_port(const floe_pipeline *p) { return p->msrv ? floe_metrics_server_port(p->msrv) : 0; }

void floe_pipeline_get_stats(const floe_pipeline *p, floe_pipeline_stats *out) {
    *out = p->st;
    out->fetch_nudges += p->src ? floe_kafka_source_nudges(p->src) : 0;
    out->freshness_p50_ms = floe_fresh_quantile(&p->fresh, 0.50);
    out->freshness_p99_ms = floe_fresh_quantile(&p->fresh, 0.99);
    out->freshness_max_ms = floe_fresh_quantile(&p->fresh, 1.0);
}

void floe_pipeline_free(floe_pipeline *p) {
    if (!p) return;
    floe_maintainer_stop(p->maint);
    floe_metrics_server_stop(p->msrv);
    source_free(p);
    for (int i = 0; i < p->ntables; i++) table_free(p->tables[i]);
    free(p->tables);
    floe_pq_encoder_free(p->encoder); /* after the writers it served */
    for (int i = 0; i < p->nparts; i++) free(p->parts[i].topic);
    free(p->parts);
    if (p->cat) floe_catalog_free(p->cat);
    floe_metrics_free(p->metrics);
    floe_config_free(p->cfg);
    free(p->group);
    free(p->marker_key);
    floe_buf_free(&p->rec);
    floe_buf_free(&p->dlq);
    floe_buf_free(&p->tmp);
    free(p);
}
