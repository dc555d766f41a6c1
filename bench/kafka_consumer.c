/*
 * kafka_consumer.c — the source limit for bench/kafka.sh: a plain
 * librdkafka consumer that reads a topic as fast as it can and does nothing
 * with the records but count them.  What floe's pipeline does on top of
 * this (decoding, Parquet, commits) is what the benchmark weighs.
 *
 *   kafka_consumer BOOTSTRAP TOPIC RECORDS [-X key=value]... [--idle-ms MS]
 *                  [--dump FILE]
 *
 * It joins a consumer group the way floe's Kafka source does
 * (src/pipeline/kafka_source.c): a fresh group (bench-plain-<pid>-<time>
 * unless -X group.id=... names one), cooperative-sticky assignment, reading
 * from the earliest offset, no offset commits or stores; -X passes further
 * librdkafka settings (bench/kafka.sh gives it the same kafka.* settings it
 * gives floe).  Unlike floe it takes messages in batches of up to 10,000
 * with rd_kafka_consume_batch_queue: nothing here needs the per-message
 * revoke boundary that makes floe poll one message at a time, so this is
 * the cheapest way librdkafka offers to drain a topic.
 *
 * It stops once RECORDS records have been read, or fails (exit 1) when
 * none arrives for --idle-ms (default 20000) before that.  Every record's
 * value must start with {"id":N (mock-kafka's clickstream); the ids are
 * checked off in a bitmap, so a record lost by the broker shows up as a
 * missing id and a record read twice as a duplicate.
 *
 * --dump FILE also writes each record's value to FILE, one a line, in the
 * order read: the benchmark's input for encoding the same records without
 * Kafka (`floe parquet write`).  A dumping run is not a timed one.
 *
 * Prints one JSON object on stdout:
 *   {"records","bytes" (key + value, as floe's bytes_in counts them),
 *    "unique_ids","duplicates","missing","start_ms" (epoch ms at start),
 *    "first_ms","last_ms" (epoch ms of the first and last record),
 *    "seconds" (start to last record),"records_per_s","mb_per_s",
 *    "max_rss_kb"}
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int64_t epoch_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char why[512];
    if (rd_kafka_conf_set(conf, k, v, why, sizeof why) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka_consumer: %s=%s: %s\n", k, v, why);
        exit(2);
    }
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque) {
    (void)rk, (void)opaque;
    fprintf(stderr, "kafka_consumer: %s: %s\n", rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

/* The id of a mock-kafka record, or -1 when the value does not start with
 * {"id":N. */
static int64_t record_id(const char *p, size_t n) {
    static const char pre[] = "{\"id\":";
    if (n < sizeof pre || memcmp(p, pre, sizeof pre - 1) != 0) return -1;
    int64_t v = 0;
    size_t i = sizeof pre - 1, start = i;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) v = v * 10 + (p[i] - '0');
    return i > start ? v : -1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: kafka_consumer BOOTSTRAP TOPIC RECORDS [-X key=value]... [--idle-ms MS] "
                        "[--dump FILE]\n");
        return 2;
    }
    double t0 = mono_s();
    int64_t start_ms = epoch_ms();
    const char *bootstrap = argv[1], *topic = argv[2];
    long long want = atoll(argv[3]);
    if (want <= 0) {
        fprintf(stderr, "kafka_consumer: RECORDS must be > 0\n");
        return 2;
    }
    int idle_ms = 20000;
    FILE *dump = NULL;

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[96];
    snprintf(group, sizeof group, "bench-plain-%ld-%lld", (long)getpid(), (long long)start_ms);
    /* floe's settings (kafka_source.c build_conf and config.c
     * resolve_kafka), then the caller's. */
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", group);
    set(conf, "partition.assignment.strategy", "cooperative-sticky");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "-X") == 0 && i + 1 < argc) {
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "kafka_consumer: -X %s is not key=value\n", kv);
                return 2;
            }
            *eq = 0;
            set(conf, kv, eq + 1);
        } else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc) {
            idle_ms = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            const char *path = argv[++i];
            if (!(dump = fopen(path, "w"))) {
                fprintf(stderr, "kafka_consumer: %s: cannot create\n", path);
                return 2;
            }
        } else {
            fprintf(stderr, "kafka_consumer: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    rd_kafka_conf_set_error_cb(conf, on_error);

    char why[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!rk) {
        fprintf(stderr, "kafka_consumer: %s\n", why);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        fprintf(stderr, "kafka_consumer: subscribe: %s\n", rd_kafka_err2str(e));
        return 1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);

    size_t nbits = (size_t)want;
    uint8_t *seen = calloc(nbits / 8 + 1, 1);
    enum { BATCH = 10000 };
    rd_kafka_message_t **msgs = malloc(sizeof *msgs * BATCH);
    if (!seen || !msgs) return 1;
    long long records = 0, bytes = 0, unique = 0, dups = 0, bad = 0;
    int64_t first_ms = 0, last_ms = 0;
    double t_last = t0, t_got = mono_s();
    while (records < want) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, BATCH);
        if (n < 0) {
            fprintf(stderr, "kafka_consumer: consume: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
        int got = 0;
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "kafka_consumer: %s\n", rd_kafka_message_errstr(m));
            } else {
                got = 1;
                records++;
                bytes += (long long)(m->len + m->key_len);
                if (dump && (fwrite(m->payload, 1, m->len, dump) != m->len || putc('\n', dump) == EOF)) {
                    fprintf(stderr, "kafka_consumer: --dump: write failed\n");
                    return 1;
                }
                int64_t id = record_id(m->payload, m->len);
                if (id < 0 || (size_t)id >= nbits) {
                    bad++;
                } else if (seen[id >> 3] & (1u << (id & 7))) {
                    dups++;
                } else {
                    seen[id >> 3] |= (uint8_t)(1u << (id & 7));
                    unique++;
                }
            }
            rd_kafka_message_destroy(m);
        }
        double now = mono_s();
        if (got) {
            if (!first_ms) first_ms = epoch_ms();
            t_last = t_got = now;
            last_ms = epoch_ms();
        } else if ((now - t_got) * 1000 > idle_ms) {
            break;
        }
    }
    double secs = t_last - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"records\":%lld,\"bytes\":%lld,\"unique_ids\":%lld,\"duplicates\":%lld,\"missing\":%lld,"
           "\"other\":%lld,\"start_ms\":%lld,\"first_ms\":%lld,\"last_ms\":%lld,\"seconds\":%.3f,"
           "\"records_per_s\":%.0f,\"mb_per_s\":%.2f,\"max_rss_kb\":%ld}\n",
           records, bytes, unique, dups, want - unique, bad, (long long)start_ms, (long long)first_ms,
           (long long)last_ms, secs, secs > 0 ? records / secs : 0, secs > 0 ? bytes / secs / 1e6 : 0,
           ru.ru_maxrss);
    fflush(stdout);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(msgs);
    free(seen);
    if (dump && fclose(dump) != 0) {
        fprintf(stderr, "kafka_consumer: --dump: write failed\n");
        return 1;
    }
    if (records < want) {
        fprintf(stderr, "kafka_consumer: only %lld of %lld records arrived (none for %d ms)\n", records, want,
                idle_ms);
        return 1;
    }
    return unique == want ? 0 : 1;
}
