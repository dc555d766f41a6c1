/*
 * kafka_source.c — the pipeline's Kafka consumer.  See kafka_source.h for
 * the contract; this file owns how it is kept with librdkafka.
 *
 * Messages are taken one at a time with rd_kafka_consumer_poll rather than
 * rd_kafka_consume_batch_queue.  The reason is the revoke guarantee: the
 * rebalance callback runs inside the poll call, and with one message per
 * call the source knows exactly which collected messages predate a revoke
 * (all those already in the batch) and drops the revoked partitions' ones
 * before the batch is handed out.  Messages fetched but not yet polled are
 * discarded by librdkafka itself: when it schedules a rebalance callback
 * it pauses the assignment, and pausing or unassigning bumps a partition's
 * op version, which makes the poll drop the older queued messages (a
 * partition that stays is refetched from the application's position).
 * The batch API keeps filling its array across the callback, so there the
 * boundary would be unknown; worse, in librdkafka 2.0 it can lose
 * messages: it moves a partition's application position past each
 * message as it goes into the array, while the pause that precedes every
 * rebalance saves that position as the refetch point and queues a version
 * barrier that then purges the partition's messages already in the array
 * (rd_kafka_q_serve_rkmessages, rd_kafka_purge_outdated_messages: the
 * "batch API messaging guarantees" known issue).  Those records would be
 * skipped for good, of partitions that stay too.  rd_kafka_consume_callback_
 * queue (one queue lock for many messages) cannot serve the rebalance
 * events that share the consumer queue.  So the per-message call stays;
 * it costs about 600 instructions a message on this thread, and releasing
 * (rd_kafka_message_destroy, which frees memory the fetch thread
 * allocated) about 300.
 *
 * Prefetch: librdkafka fetches ahead into its queue until it holds
 * queued.max.messages.kbytes (64 MiB by default), overshooting by up to
 * one fetch response (fetch.max.bytes, which librdkafka lowers to the
 * queue size unless it is set).  floe consumes slower than the fetcher,
 * so the queue stays full, and that memory comes on top of floe's own
 * budget (floe.memory.budget-bytes).  Unless the properties set it, floe
 * makes it DEFAULT_QUEUED_KBYTES (16 MiB): some 70,000 records
 * of 240 bytes ahead of the pipeline (tens of milliseconds of work), and
 * with the overshoot at most 32 MiB, an eighth of the default budget.  It
 * is not scaled down with a small budget: a queue of 4 MiB made floe read
 * 4 KB records 6 times slower (refills wait on round trips).  Measured on the
 * streaming benchmark's 1,000,000 records: floe's peak RSS 109 MB with
 * librdkafka's default, 100 MB with this one (the rest is mostly the open
 * file's buffered row group), throughput unchanged within the noise.
 *
 * Refetch after a full queue (the "nudge"): once the prefetch queue holds
 * queued.max.messages.kbytes or queued.min.messages, a fetcher (librdkafka's
 * broker thread) stops fetching and only looks at the queue again when
 * something else wakes it: a request or response of its own, or at most
 * 1 s later (librdkafka 2.0 has no fetch.queue.backoff.ms and no wake-up
 * when the application drains the queue).  With the group coordinator's
 * heartbeats as the only traffic, a consumer catching up on a backlog
 * drained its queue in tens of milliseconds and then sat idle for up to
 * a heartbeat interval or a second, again and again: the streaming
 * benchmark showed every thread idle 40-60% of the time.  So the poll
 * thread watches the queue: once it has been nearly full and the pipeline
 * has drained it to half, it asks the nudge thread to send the partition
 * leaders a request (ListOffsets for the assigned partitions, the latest
 * offsets: read-only, answered by any broker, the same request as
 * rd_kafka_query_watermark_offsets).  Each leader's broker thread wakes to
 * send it, decides again, and fetches.  The request goes from a thread of
 * its own because librdkafka's call waits for the answer.  A consumer that
 * keeps up never fills its queue and sends none.
 *
 * Topic handles are held from subscribe (named topics, and the topics a
 * regex matches then) or from their first assignment (a topic a regex
 * matches later) until the source is freed.  The reason is a race in
 * librdkafka 2.0: without a handle, the topic's partitions are created and
 * handed to their leaders' broker threads only when an assignment arrives,
 * asynchronously, while the assignment starts their fetchers at once.  A
 * partition starting at a logical offset (BEGINNING or END: every partition
 * the table has no offset for) whose broker thread has not taken it yet
 * finds "no current leader" and waits for the offset-query retry timer, 500
 * ms.  It struck about 1 first assignment in 5 on the streaming benchmark's
 * 64 partitions, stalling most of them for half a second.  With a handle
 * held since subscribe, the leaders are known from the join's metadata long
 * before the assignment.  For a regex subscription, subscribe asks the
 * cluster for its topics (one metadata request) and holds those the regex
 * matches; a topic created later gets its handle at the top of the
 * rebalance callback, before floe reads the table's offsets, which leaves
 * the broker threads that time.
 *
 * The consumer's main queue is forwarded to the consumer queue
 * (rd_kafka_poll_set_consumer), so error, commit and rebalance callbacks
 * all run on the polling thread; only librdkafka's log lines arrive on its
 * own threads.
 */
#include "pipeline/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "util/err.h"
#include "util/mem.h"

/* How long subscribe waits for the cluster's topic list to hold the
 * handles of the topics a regex matches (see the top comment). */
#define REGEX_METADATA_MS 5000

/* floe's prefetch default (see the top comment). */
#define DEFAULT_QUEUED_KBYTES "16384"

struct floe_kafka_source {
    rd_kafka_t *rk;
    floe_kafka_callbacks cb;
    char *group;            /* for messages */
    int64_t reset_offset;   /* RD_KAFKA_OFFSET_BEGINNING or _END */
    /* Start offsets of the current assignment as on_assign gave them
     * (FLOE_KAFKA_OFFSET_RESET kept as is), for lag before any delivery. */
    rd_kafka_topic_partition_list_t *starts;
    floe_kafka_partition *view; /* scratch for callbacks */
    int view_cap;
    floe_kafka_batch *cur;  /* the batch being filled by a poll, or NULL */
    int failed;             /* sticky: fail_err says why */
    floe_err fail_err;
    int closed;

    /* The nudge (see the top comment).  The poll thread owns the first
     * group; the mutex guards the second. */
    rd_kafka_queue_t *cq;      /* the consumer queue, for its length */
    rd_kafka_topic_t **held;   /* topic handles held (see the top comment) */
    int nheld, held_cap;
    int64_t full_msgs;         /* queued.min.messages */
    int64_t full_bytes;        /* queued.max.messages.kbytes, in bytes */
    int64_t seen_msgs, seen_bytes; /* delivered so far: the mean message size */
    int was_full;              /* the queue was nearly full since the last nudge */
    pthread_mutex_t nudge_mu;
    pthread_cond_t nudge_cv;
    pthread_t nudge_thread;
    int nudge_started;
    int nudge_wanted;          /* a nudge is asked for and not yet sent */
    int nudge_stop;
    int64_t nudges_sent;
};

static void nudge_start(floe_kafka_source *s);
static void nudge_stop(floe_kafka_source *s);
static void watch_queue(floe_kafka_source *s, const floe_kafka_batch *b);

/* ---- messages and batches ---------------------------------------------------- */

void floe_kafka_batch_init(floe_kafka_batch *b) { memset(b, 0, sizeof *b); }

void floe_kafka_batch_release(floe_kafka_batch *b) {
    for (int i = 0; i < b->n; i++) rd_kafka_message_destroy(b->msgs[i].handle);
    b->n = 0;
    b->bytes = 0;
}

void floe_kafka_batch_free(floe_kafka_batch *b) {
    floe_kafka_batch_release(b);
    free(b->msgs);
    floe_kafka_batch_init(b);
}

static void batch_push(floe_kafka_batch *b, rd_kafka_message_t *m) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->msgs = floe_xrealloc(b->msgs, sizeof *b->msgs * (size_t)b->cap);
    }
    floe_kafka_msg *o = &b->msgs[b->n++];
    o->topic = rd_kafka_topic_name(m->rkt);
    o->partition = m->partition;
    o->offset = m->offset;
    o->timestamp_ms = rd_kafka_message_timestamp(m, NULL);
    o->key = m->key;
    o->key_len = m->key_len;
    o->value = m->payload;
    o->value_len = m->len;
    o->handle = m;
    b->bytes += m->key_len + m->len;
}

int floe_kafka_msg_header(const floe_kafka_msg *m, size_t idx, const char **name,
                          const void **value, size_t *size) {
    rd_kafka_headers_t *hdrs;
    if (rd_kafka_message_headers(m->handle, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    return rd_kafka_header_get_all(hdrs, idx, name, value, size) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* ---- callbacks from librdkafka ------------------------------------------------- */

static void source_log(floe_kafka_source *s, int level, const char *fmt, ...) FLOE_PRINTF(3, 4);
static void source_log(floe_kafka_source *s, int level, const char *fmt, ...) {
    if (!s->cb.on_log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->cb.on_log(s->cb.ctx, level, line);
}

static void source_fail(floe_kafka_source *s, const floe_err *e) {
    if (s->failed) return; /* the first cause is the one worth reporting */
    s->failed = 1;
    s->fail_err = *e;
}

static void on_rd_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    floe_kafka_source *s = rd_kafka_opaque(rk);
    source_log(s, level, "kafka %s: %s", fac, buf);
}

static void on_rd_error(rd_kafka_t *rk, int code, const char *reason, void *opaque) {
    floe_kafka_source *s = opaque;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
        floe_err e;
        floe_err_set(&e, FLOE_EIO, "kafka group '%s': fatal consumer error %s: %s", s->group,
                     rd_kafka_err2name(orig), why);
        source_fail(s, &e);
        source_log(s, LOG_ERR, "%s", e.msg);
        return;
    }
    source_log(s, LOG_WARNING, "kafka group '%s': %s: %s", s->group,
               rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

static void on_rd_commit(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *offsets, void *opaque) {
    floe_kafka_source *s = opaque;
    if (code && code != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        source_log(s, LOG_WARNING, "kafka group '%s': advisory offset commit failed: %s", s->group,
                   rd_kafka_err2str(code));
        return;
    }
    for (int i = 0; offsets && i < offsets->cnt; i++)
        if (offsets->elems[i].err)
            source_log(s, LOG_WARNING,
                       "kafka group '%s': advisory offset commit of %s [%d] at %lld failed: %s",
                       s->group, offsets->elems[i].topic, (int)offsets->elems[i].partition,
                       (long long)offsets->elems[i].offset,
                       rd_kafka_err2str(offsets->elems[i].err));
}

/* Holds a handle on topic (see the top comment) unless one is held. */
static void hold_topic(floe_kafka_source *s, const char *topic) {
    for (int i = 0; i < s->nheld; i++)
        if (strcmp(rd_kafka_topic_name(s->held[i]), topic) == 0) return;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(s->rk, topic, NULL);
    if (!rkt) return; /* only a fetch that may start late */
    if (s->nheld == s->held_cap) {
        s->held_cap = s->held_cap ? s->held_cap * 2 : 8;
        s->held = floe_xrealloc(s->held, sizeof *s->held * (size_t)s->held_cap);
    }
    s->held[s->nheld++] = rkt;
}

static floe_kafka_partition *view_of(floe_kafka_source *s, const rd_kafka_topic_partition_list_t *pl,
                                     int64_t offset) {
    if (pl->cnt > s->view_cap) {
        s->view_cap = pl->cnt;
        s->view = floe_xrealloc(s->view, sizeof *s->view * (size_t)s->view_cap);
    }
    for (int i = 0; i < pl->cnt; i++) {
        s->view[i].topic = pl->elems[i].topic;
        s->view[i].partition = pl->elems[i].partition;
        s->view[i].offset = offset;
    }
    return s->view;
}

/* Reports a failed rd_kafka_*assign call: the consumer's state is then
 * unknown, so the source fails. */
static void assign_result(floe_kafka_source *s, const char *what, rd_kafka_error_t *error,
                          rd_kafka_resp_err_t code) {
    if (!error && !code) return;
    floe_err e;
    floe_err_set(&e, FLOE_EIO, "kafka group '%s': %s failed: %s", s->group, what,
                 error ? rd_kafka_error_string(error) : rd_kafka_err2str(code));
    if (error) rd_kafka_error_destroy(error);
    source_fail(s, &e);
}

static void assign_partitions(floe_kafka_source *s, rd_kafka_topic_partition_list_t *pl, int coop) {
    for (int i = 0; i < pl->cnt; i++) hold_topic(s, pl->elems[i].topic);
    floe_kafka_partition *v = view_of(s, pl, FLOE_KAFKA_OFFSET_RESET);
    if (!s->failed && s->cb.on_assign) {
        floe_err e = {0};
        if (s->cb.on_assign(s->cb.ctx, v, pl->cnt, &e) != 0) {
            floe_err_prefix(&e, "kafka group '%s': assigning %d partition(s)", s->group, pl->cnt);
            source_fail(s, &e);
        }
    }
    for (int i = 0; i < pl->cnt; i++) {
        int64_t off = v[i].offset;
        if (off < 0 && off != FLOE_KAFKA_OFFSET_RESET) {
            floe_err e;
            floe_err_set(&e, FLOE_EINVAL, "kafka group '%s': start offset %lld for %s [%d] is negative",
                         s->group, (long long)off, pl->elems[i].topic, (int)pl->elems[i].partition);
            source_fail(s, &e);
            off = FLOE_KAFKA_OFFSET_RESET;
        }
        pl->elems[i].offset = off == FLOE_KAFKA_OFFSET_RESET ? s->reset_offset : off;
        rd_kafka_topic_partition_list_add(s->starts, pl->elems[i].topic, pl->elems[i].partition)
            ->offset = off;
    }
    /* Assigned even when the source has failed: librdkafka's group protocol
     * waits for the call, and a failed source delivers nothing anyway. */
    if (coop)
        assign_result(s, "incremental assign", rd_kafka_incremental_assign(s->rk, pl), 0);
    else
        assign_result(s, "assign", NULL, rd_kafka_assign(s->rk, pl));
}

/* Drops the messages of revoked partitions from the batch being filled;
 * lowers pos (rd_kafka_position's values, which count those messages as
 * consumed) to the first dropped offset so that it says what was really
 * delivered. */
static void drop_revoked(floe_kafka_source *s, rd_kafka_topic_partition_list_t *pos) {
    floe_kafka_batch *b = s->cur;
    if (!b) return;
    int keep = 0;
    for (int i = 0; i < b->n; i++) {
        floe_kafka_msg *m = &b->msgs[i];
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(pos, m->topic, m->partition);
        if (!p) {
            b->msgs[keep++] = *m;
            continue;
        }
        if (p->offset < 0 || m->offset < p->offset) p->offset = m->offset;
        b->bytes -= m->key_len + m->value_len;
        rd_kafka_message_destroy(m->handle);
    }
    b->n = keep;
}

static void revoke_partitions(floe_kafka_source *s, rd_kafka_topic_partition_list_t *pl, int coop,
                              int lost) {
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(pl);
    rd_kafka_position(s->rk, pos);
    drop_revoked(s, pos);
    floe_kafka_partition *v = view_of(s, pl, -1);
    for (int i = 0; i < pl->cnt; i++) v[i].offset = pos->elems[i].offset >= 0 ? pos->elems[i].offset : -1;
    rd_kafka_topic_partition_list_destroy(pos);
    if (s->cb.on_revoke && pl->cnt > 0) s->cb.on_revoke(s->cb.ctx, v, pl->cnt, lost);
    for (int i = 0; i < pl->cnt; i++)
        rd_kafka_topic_partition_list_del(s->starts, pl->elems[i].topic, pl->elems[i].partition);
    if (coop)
        assign_result(s, "incremental unassign", rd_kafka_incremental_unassign(s->rk, pl), 0);
    else
        assign_result(s, "unassign", NULL, rd_kafka_assign(s->rk, NULL));
}

static void on_rd_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                            rd_kafka_topic_partition_list_t *pl, void *opaque) {
    floe_kafka_source *s = opaque;
    /* NULL once the group handle is shutting down, where librdkafka takes
     * any assign call as an unassign. */
    const char *proto = rd_kafka_rebalance_protocol(rk);
    int coop = proto && strcmp(proto, "COOPERATIVE") == 0;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign_partitions(s, pl, coop);
    } else if (code == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoke_partitions(s, pl, coop, rd_kafka_assignment_lost(rk));
    } else {
        /* librdkafka documents no other codes here; should one come, the
         * group's view of this member is unknown, so the whole assignment
         * is given up as lost. */
        source_log(s, LOG_ERR, "kafka group '%s': rebalance error: %s", s->group,
                   rd_kafka_err2str(code));
        rd_kafka_topic_partition_list_t *all = NULL;
        if (rd_kafka_assignment(rk, &all) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            revoke_partitions(s, all, coop, 1);
            rd_kafka_topic_partition_list_destroy(all);
        }
    }
}

/* ---- configuration --------------------------------------------------------------- */

static int reset_of(const char *v, int64_t *out) {
    static const char *const early[] = {"earliest", "smallest", "beginning"};
    static const char *const late[] = {"latest", "largest", "end"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, early[i]) == 0) { *out = RD_KAFKA_OFFSET_BEGINNING; return 0; }
        if (strcasecmp(v, late[i]) == 0) { *out = RD_KAFKA_OFFSET_END; return 0; }
    }
    return -1;
}

static int conf_put(rd_kafka_conf_t *conf, const char *key, const char *value, floe_err *err) {
    char why[512];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof why) != RD_KAFKA_CONF_OK)
        return floe_err_set(err, FLOE_EINVAL, "kafka property '%s': %s", key, why);
    return 0;
}

static int build_conf(floe_kafka_source *s, const floe_props *props, rd_kafka_conf_t *conf,
                      floe_err *err) {
    const char *group = floe_props_get(props, "group.id");
    if (!group || !*group) return floe_err_set(err, FLOE_EINVAL, "kafka property 'group.id' is not set");
    const char *boot = floe_props_get(props, "bootstrap.servers");
    if (!boot) boot = floe_props_get(props, "metadata.broker.list");
    if (!boot || !*boot)
        return floe_err_set(err, FLOE_EINVAL, "kafka property 'bootstrap.servers' is not set");
    s->group = floe_xstrdup(group);

    const char *reset = floe_props_get(props, "auto.offset.reset");
    if (!reset) reset = "earliest";
    if (reset_of(reset, &s->reset_offset) != 0)
        return floe_err_set(err, FLOE_EINVAL,
                            "kafka property 'auto.offset.reset': '%s' is not one of earliest, latest",
                            reset);

    /* floe's defaults, overridable by the properties set after them. */
    if (conf_put(conf, "partition.assignment.strategy", "cooperative-sticky", err) != 0 ||
        conf_put(conf, "queued.max.messages.kbytes", DEFAULT_QUEUED_KBYTES, err) != 0)
        return -1;
    for (int i = 0; i < props->n; i++) {
        const char *k = props->items[i].key, *v = props->items[i].value;
        if ((strcmp(k, "enable.auto.commit") == 0 || strcmp(k, "enable.auto.offset.store") == 0) &&
            strcasecmp(v, "false") != 0)
            return floe_err_set(err, FLOE_EINVAL,
                                "kafka property '%s': must be false; progress is committed with the "
                                "Iceberg snapshot, not by the consumer", k);
        if (conf_put(conf, k, v, err) != 0) return -1;
    }
    /* What exactly-once needs, whatever the properties say. */
    if (conf_put(conf, "auto.offset.reset", s->reset_offset == RD_KAFKA_OFFSET_BEGINNING ? "earliest" : "latest",
                 err) != 0 ||
        conf_put(conf, "enable.auto.commit", "false", err) != 0 ||
        conf_put(conf, "enable.auto.offset.store", "false", err) != 0)
        return -1;
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_log_cb(conf, on_rd_log);
    rd_kafka_conf_set_error_cb(conf, on_rd_error);
    rd_kafka_conf_set_rebalance_cb(conf, on_rd_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_rd_commit);
    return 0;
}

/* A numeric property as the configuration holds it (0 when unreadable). */
static int64_t conf_number(const rd_kafka_conf_t *conf, const char *key) {
    char v[64];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK) return 0;
    return strtoll(v, NULL, 10);
}

int floe_kafka_source_new(const floe_props *props, const floe_kafka_callbacks *cb,
                          floe_kafka_source **out, floe_err *err) {
    *out = NULL;
    floe_kafka_source *s = floe_xcalloc(1, sizeof *s);
    if (cb) s->cb = *cb;
    pthread_mutex_init(&s->nudge_mu, NULL);
    pthread_cond_init(&s->nudge_cv, NULL);
    s->starts = rd_kafka_topic_partition_list_new(16);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (build_conf(s, props, conf, err) != 0) {
        rd_kafka_conf_destroy(conf);
        floe_kafka_source_free(s);
        return -1;
    }
    s->full_msgs = conf_number(conf, "queued.min.messages");
    s->full_bytes = conf_number(conf, "queued.max.messages.kbytes") * 1024;
    char why[512];
    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        floe_err_set(err, FLOE_EINVAL, "kafka group '%s': creating the consumer: %s", s->group, why);
        floe_kafka_source_free(s);
        return -1;
    }
    rd_kafka_poll_set_consumer(s->rk);
    s->cq = rd_kafka_queue_get_consumer(s->rk);
    if (s->cq && s->full_msgs > 0 && s->full_bytes > 0) nudge_start(s);
    *out = s;
    return 0;
}

int floe_kafka_source_subscribe(floe_kafka_source *s, const char *const *topics, int n,
                                const char *regex, floe_err *err) {
    if (n <= 0 && !regex)
        return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': no topics or regex to subscribe to",
                            s->group);
    rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(n + 1);
    regex_t re;
    for (int i = 0; i < n; i++) {
        /* librdkafka reads a name starting with '^' as a regex. */
        if (!topics[i][0] || topics[i][0] == '^') {
            rd_kafka_topic_partition_list_destroy(pl);
            return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': '%s' is not a topic name",
                                s->group, topics[i]);
        }
        rd_kafka_topic_partition_list_add(pl, topics[i], RD_KAFKA_PARTITION_UA);
    }
    if (regex) {
        /* Anchored at both ends for a whole-name match; checked here with
         * the flags librdkafka compiles it with, so that a bad pattern is
         * an error now instead of a log line later. */
        floe_buf full;
        floe_buf_init(&full);
        floe_buf_printf(&full, "^(%s)$", regex);
        int rc = regcomp(&re, floe_buf_cstr(&full), REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            free(full.data);
            rd_kafka_topic_partition_list_destroy(pl);
            return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': topic regex '%s': %s", s->group,
                                regex, why);
        }
        rd_kafka_topic_partition_list_add(pl, floe_buf_cstr(&full), RD_KAFKA_PARTITION_UA);
        free(full.data);
    }
    rd_kafka_resp_err_t code = rd_kafka_subscribe(s->rk, pl);
    rd_kafka_topic_partition_list_destroy(pl);
    if (code) {
        if (regex) regfree(&re);
        return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': subscribing: %s", s->group,
                            rd_kafka_err2str(code));
    }
    for (int i = 0; i < n; i++) hold_topic(s, topics[i]);
    if (regex) {
        /* The topics the regex matches now (see the top comment); without
         * an answer they get their handles at their first assignment. */
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(s->rk, 1, NULL, &md, REGEX_METADATA_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int i = 0; i < md->topic_cnt; i++)
                if (!md->topics[i].err && regexec(&re, md->topics[i].topic, 0, NULL, 0) == 0)
                    hold_topic(s, md->topics[i].topic);
            rd_kafka_metadata_destroy(md);
        }
        regfree(&re);
    }
    return 0;
}

/* ---- polling --------------------------------------------------------------------- */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the nudge ------------------------------------------------------------------ */

/* How often, in messages, the poll thread looks at the queue's length. */
#define NUDGE_CHECK_EVERY 1024

static void *nudge_main(void *arg) {
    floe_kafka_source *s = arg;
    pthread_mutex_lock(&s->nudge_mu);
    for (;;) {
        while (!s->nudge_wanted && !s->nudge_stop) pthread_cond_wait(&s->nudge_cv, &s->nudge_mu);
        if (s->nudge_stop) break;
        s->nudge_wanted = 0;
        pthread_mutex_unlock(&s->nudge_mu);
        /* The assigned partitions' latest offsets: one ListOffsets request
         * per leader.  The answer does not matter, only that each leader's
         * broker thread wakes; a failure (a leader moving, a rebalance)
         * is covered by librdkafka's own 1 s re-decision. */
        rd_kafka_topic_partition_list_t *pl = NULL;
        if (rd_kafka_assignment(s->rk, &pl) == RD_KAFKA_RESP_ERR_NO_ERROR && pl->cnt > 0) {
            for (int i = 0; i < pl->cnt; i++) pl->elems[i].offset = -1; /* -1: the latest */
            (void)rd_kafka_offsets_for_times(s->rk, pl, 1000);
        }
        if (pl) rd_kafka_topic_partition_list_destroy(pl);
        pthread_mutex_lock(&s->nudge_mu);
        s->nudges_sent++;
    }
    pthread_mutex_unlock(&s->nudge_mu);
    return NULL;
}

/* Starts the nudge thread; without it (it could not start) the consumer
 * still works, only slower behind a full queue, which the log says. */
static void nudge_start(floe_kafka_source *s) {
    int rc = pthread_create(&s->nudge_thread, NULL, nudge_main, s);
    if (rc) {
        source_log(s, LOG_WARNING, "kafka group '%s': cannot start the refetch thread: %s", s->group,
                   strerror(rc));
        return;
    }
    s->nudge_started = 1;
}

static void nudge_stop(floe_kafka_source *s) {
    if (!s->nudge_started) return;
    pthread_mutex_lock(&s->nudge_mu);
    s->nudge_stop = 1;
    pthread_cond_signal(&s->nudge_cv);
    pthread_mutex_unlock(&s->nudge_mu);
    pthread_join(s->nudge_thread, NULL);
    s->nudge_started = 0;
}

/* Called by the poll thread every NUDGE_CHECK_EVERY messages: marks the
 * queue nearly full (3/4 of either limit), and once a nearly full queue
 * is down to half of both, asks for a nudge.  The queue's byte size is
 * not public; its length times the mean size delivered is near enough. */
static void watch_queue(floe_kafka_source *s, const floe_kafka_batch *b) {
    if (!s->nudge_started || b->n == 0) return;
    int64_t len = (int64_t)rd_kafka_queue_length(s->cq);
    int64_t msgs = s->seen_msgs + b->n;
    int64_t mean = msgs > 0 ? (s->seen_bytes + (int64_t)b->bytes) / msgs : 0;
    int64_t bytes = len * mean;
    if (len * 4 >= s->full_msgs * 3 || bytes * 4 >= s->full_bytes * 3) {
        s->was_full = 1;
    } else if (s->was_full && len * 2 <= s->full_msgs && bytes * 2 <= s->full_bytes) {
        s->was_full = 0;
        pthread_mutex_lock(&s->nudge_mu);
        s->nudge_wanted = 1;
        pthread_cond_signal(&s->nudge_cv);
        pthread_mutex_unlock(&s->nudge_mu);
    }
}

/* A message carrying an error instead of data: end of partition (when
 * enable.partition.eof is on) is not news; a fatal error fails the source;
 * anything else is logged and the consumer carries on. */
static void message_error(floe_kafka_source *s, const rd_kafka_message_t *m) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        on_rd_error(s->rk, RD_KAFKA_RESP_ERR__FATAL, rd_kafka_message_errstr(m), s);
        return;
    }
    if (m->rkt)
        source_log(s, LOG_WARNING, "kafka group '%s': %s [%d]: %s", s->group,
                   rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_message_errstr(m));
    else
        source_log(s, LOG_WARNING, "kafka group '%s': %s", s->group, rd_kafka_message_errstr(m));
}

int floe_kafka_source_poll(floe_kafka_source *s, floe_kafka_batch *b, int max_msgs,
                           size_t max_bytes, int timeout_ms, floe_err *err) {
    if (b->n != 0)
        return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': poll into a batch that was not released",
                            s->group);
    if (s->closed)
        return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': poll after close", s->group);
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    s->cur = b;
    while (!s->failed && b->n < max_msgs && b->bytes < max_bytes) {
        int64_t left = b->n > 0 ? 0 : deadline - now_ms();
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, left > 0 ? (int)left : 0);
        if (!m) {
            if (b->n > 0 || now_ms() >= deadline) break;
            continue; /* a revoke emptied the batch: wait out the time left */
        }
        if (m->err) {
            message_error(s, m);
            rd_kafka_message_destroy(m);
            continue;
        }
        batch_push(b, m);
        if ((b->n & (NUDGE_CHECK_EVERY - 1)) == 0) watch_queue(s, b);
    }
    watch_queue(s, b);
    s->cur = NULL;
    if (s->failed) {
        floe_kafka_batch_release(b);
        *err = s->fail_err;
        return -1;
    }
    s->seen_msgs += b->n;
    s->seen_bytes += (int64_t)b->bytes;
    return b->n;
}

/* ---- offsets and lag ----------------------------------------------------------- */

int floe_kafka_source_seek(floe_kafka_source *s, const floe_kafka_partition *parts, int n, floe_err *err) {
    if (n <= 0) return 0;
    rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(pl, parts[i].topic, parts[i].partition)->offset = parts[i].offset;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(s->rk, pl, 10000);
    int rc = 0;
    if (e) {
        rc = floe_err_set(err, FLOE_EIO, "kafka group '%s': seek: %s", s->group, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    for (int i = 0; rc == 0 && i < pl->cnt; i++)
        if (pl->elems[i].err)
            rc = floe_err_set(err, FLOE_EIO, "kafka group '%s': seek %s/%d to %lld: %s", s->group, pl->elems[i].topic,
                              (int)pl->elems[i].partition, (long long)pl->elems[i].offset,
                              rd_kafka_err2str(pl->elems[i].err));
    rd_kafka_topic_partition_list_destroy(pl);
    return rc;
}

int floe_kafka_source_commit(floe_kafka_source *s, const floe_kafka_partition *parts, int n,
                             floe_err *err) {
    if (n <= 0) return 0;
    rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++) {
        if (parts[i].offset < 0) {
            rd_kafka_topic_partition_list_destroy(pl);
            return floe_err_set(err, FLOE_EINVAL, "kafka group '%s': commit offset %lld for %s [%d] is negative",
                                s->group, (long long)parts[i].offset, parts[i].topic,
                                (int)parts[i].partition);
        }
        rd_kafka_topic_partition_list_add(pl, parts[i].topic, parts[i].partition)->offset = parts[i].offset;
    }
    rd_kafka_resp_err_t code = rd_kafka_commit(s->rk, pl, 1);
    rd_kafka_topic_partition_list_destroy(pl);
    if (code)
        return floe_err_set(err, FLOE_EIO, "kafka group '%s': committing offsets: %s", s->group,
                            rd_kafka_err2str(code));
    return 0;
}

/* Where a partition with nothing delivered yet will start: its start
 * offset, or for a reset start the watermark the policy points at. */
static int64_t start_position(floe_kafka_source *s, const char *topic, int32_t partition, int64_t lo,
                              int64_t hi) {
    rd_kafka_topic_partition_t *st = rd_kafka_topic_partition_list_find(s->starts, topic, partition);
    if (st && st->offset >= 0) return st->offset;
    return s->reset_offset == RD_KAFKA_OFFSET_BEGINNING ? lo : hi;
}

int floe_kafka_source_lag(floe_kafka_source *s, int timeout_ms, floe_kafka_lag **out, int *n,
                          floe_err *err) {
    *out = NULL;
    *n = 0;
    rd_kafka_topic_partition_list_t *pl = NULL;
    rd_kafka_resp_err_t code = rd_kafka_assignment(s->rk, &pl);
    if (code)
        return floe_err_set(err, FLOE_EIO, "kafka group '%s': reading the assignment: %s", s->group,
                            rd_kafka_err2str(code));
    rd_kafka_position(s->rk, pl);
    floe_kafka_lag *lag = floe_xcalloc(pl->cnt ? (size_t)pl->cnt : 1, sizeof *lag);
    for (int i = 0; i < pl->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &pl->elems[i];
        int64_t lo = -1, hi = -1;
        code = timeout_ms > 0
                   ? rd_kafka_query_watermark_offsets(s->rk, p->topic, p->partition, &lo, &hi, timeout_ms)
                   : rd_kafka_get_watermark_offsets(s->rk, p->topic, p->partition, &lo, &hi);
        if (code || lo < 0 || hi < 0) lo = hi = -1;
        int64_t pos = p->offset >= 0 ? p->offset : start_position(s, p->topic, p->partition, lo, hi);
        lag[i].topic = floe_xstrdup(p->topic);
        lag[i].partition = p->partition;
        lag[i].position = pos >= 0 ? pos : -1;
        lag[i].high_watermark = hi;
        lag[i].lag = pos >= 0 && hi >= 0 ? (hi > pos ? hi - pos : 0) : -1;
    }
    *n = pl->cnt;
    *out = lag;
    rd_kafka_topic_partition_list_destroy(pl);
    return 0;
}

void floe_kafka_lag_free(floe_kafka_lag *lag, int n) {
    for (int i = 0; i < n; i++) free(lag[i].topic);
    free(lag);
}

int64_t floe_kafka_source_nudges(floe_kafka_source *s) {
    pthread_mutex_lock(&s->nudge_mu);
    int64_t n = s->nudges_sent;
    pthread_mutex_unlock(&s->nudge_mu);
    return n;
}

const char *floe_kafka_source_protocol(floe_kafka_source *s) {
    const char *proto = rd_kafka_rebalance_protocol(s->rk);
    return proto ? proto : "NONE";
}

/* ---- shutdown ------------------------------------------------------------------ */

int floe_kafka_source_close(floe_kafka_source *s, floe_err *err) {
    if (s->closed) return 0;
    s->closed = 1;
    nudge_stop(s);
    rd_kafka_resp_err_t code = rd_kafka_consumer_close(s->rk);
    if (code)
        return floe_err_set(err, FLOE_EIO, "kafka group '%s': leaving the group: %s", s->group,
                            rd_kafka_err2str(code));
    return 0;
}

void floe_kafka_source_free(floe_kafka_source *s) {
    if (!s) return;
    nudge_stop(s);
    if (s->cq) rd_kafka_queue_destroy(s->cq);
    for (int i = 0; i < s->nheld; i++) rd_kafka_topic_destroy(s->held[i]);
    free(s->held);
    if (s->rk) {
        if (s->closed)
            rd_kafka_destroy(s->rk);
        else
            rd_kafka_destroy_flags(s->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    rd_kafka_topic_partition_list_destroy(s->starts);
    pthread_cond_destroy(&s->nudge_cv);
    pthread_mutex_destroy(&s->nudge_mu);
    free(s->view);
    free(s->group);
    free(s);
}
