/*
 * mock_kafka.c — a throwaway Kafka cluster for tests and for trying floe
 * with kcat: librdkafka's mock cluster (the real Kafka protocol, in this
 * process, listening on 127.0.0.1 — the only address librdkafka 2.0 binds
 * it to) with topics created up front and, optionally, a generated
 * clickstream produced into them.
 *
 *   mock-kafka [--brokers N] [--topic T]... [--partitions P]
 *              [--produce N] [--start-id S] [--rate R] [--compression C]
 *              [--linger MS]
 *
 * The first stdout line is `bootstrap=127.0.0.1:PORT[,...]`; after the
 * records are produced (acknowledged by the cluster) comes `produced=N`.
 * Both are flushed at once so that a script can read them from a pipe.
 * The cluster runs until standard input reaches end of file or SIGTERM or
 * SIGINT arrives; tying its life to stdin means it dies with the script
 * that started it.
 *
 * Standard input also takes commands, one a line, run once the records of
 * --produce are out: `produce M [R]` produces M more records (ids going on
 * from the last one, at R records/s when given, else at --rate) and then
 * prints `produced=TOTAL`, the count of all records produced so far.  A
 * test can so hold back the tail of a stream until its consumer is ready.
 *
 * Records: N in all, round-robin over the topics, ids S..S+N-1 in order
 * (S is --start-id, default 0), one JSON object per record, keyed by
 * user_id:
 *   {"id":7,"ts":"2024-05-01T12:00:00.123Z","user_id":"u000123",
 *    "session_id":"s1f2e3d4","event":"page_view","page":"/products/42",
 *    "referrer":"https://www.google.com/","device":"mobile","country":"DE",
 *    "duration_ms":1234,"price":null}
 * Fields other than id and ts are a pure function of the id, so a test can
 * recompute any record.  ts is the wall clock at production.  R > 0 limits
 * the rate to R records/s.  --linger is the producer's linger.ms (default
 * 20): at a limited rate it sets how many records share a message set, and
 * the mock cluster serves a consumer about one message set per partition
 * per fetch, so tiny sets make consuming a backlog slow.
 *
 * Limits of the mock cluster in librdkafka 2.0.2: each partition keeps only
 * its newest ~5 MiB (older message sets are dropped silently), and a single
 * append above ~2.5 MiB may vanish.  Keep per-partition volume low: many
 * partitions, compression (lz4 by default here), or a consumer running
 * while the records are produced.  Transactions are accepted but not
 * honoured.
 */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static int stdin_closed;
static long delivered, failed;
/* Standard input not yet taken as command lines. */
static char inbuf[4096];
static size_t inlen;
static const char *linger_ms = "20";

static void on_signal(int sig) { stop_signal = sig; }

static int should_stop(int wait_ms) {
    if (stop_signal || stdin_closed) return 1;
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    int r = poll(&pfd, 1, wait_ms);
    if (r > 0) {
        /* A full buffer without a newline is no command: drop it. */
        if (inlen == sizeof inbuf) inlen = 0;
        ssize_t n = read(0, inbuf + inlen, sizeof inbuf - inlen);
        if (n <= 0) stdin_closed = 1;
        else inlen += (size_t)n;
    } else if (r < 0 && errno != EINTR) {
        stdin_closed = 1;
    }
    return stop_signal || stdin_closed;
}

static void usage(void) {
    fprintf(stderr,
            "usage: mock-kafka [--brokers N] [--topic T]... [--partitions P]\n"
            "                  [--produce N] [--start-id S] [--rate R]\n"
            "                  [--compression none|gzip|snappy|lz4|zstd] [--linger MS]\n"
            "stdin commands: produce M [R]\n");
    exit(2);
}

static long parse_num(const char *opt, const char *v, long min) {
    char *end;
    errno = 0;
    long x = strtol(v ? v : "", &end, 10);
    if (!v || errno || *end || end == v || x < min) {
        fprintf(stderr, "mock-kafka: %s needs an integer >= %ld, got '%s'\n", opt, min, v ? v : "");
        usage();
    }
    return x;
}

static uint64_t mix(uint64_t x) { /* splitmix64 */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* One clickstream record; returns its length and puts the key in key. */
static int make_record(long id, char *out, size_t cap, char *key, size_t keycap) {
    static const char *const events[] = {"page_view", "page_view", "page_view", "click",
                                         "add_to_cart", "search", "purchase"};
    static const char *const devices[] = {"desktop", "mobile", "tablet"};
    static const char *const countries[] = {"US", "DE", "FR", "GB", "JP", "BR", "IN", "CA"};
    static const char *const referrers[] = {"https://www.google.com/", "https://news.ycombinator.com/",
                                            "https://twitter.com/", ""};
    uint64_t h = mix((uint64_t)id);
    unsigned user = (unsigned)(h % 50000);
    const char *ev = events[(h >> 16) % 7];
    unsigned item = (unsigned)((h >> 24) % 1000);
    char page[64], price[32];
    if (strcmp(ev, "search") == 0)
        snprintf(page, sizeof page, "/search?q=item%u", item);
    else
        snprintf(page, sizeof page, "/products/%u", item);
    if (strcmp(ev, "purchase") == 0 || strcmp(ev, "add_to_cart") == 0)
        snprintf(price, sizeof price, "%u.%02u", 1 + (unsigned)((h >> 34) % 500), (unsigned)((h >> 44) % 100));
    else
        snprintf(price, sizeof price, "null");
    const char *ref = referrers[(h >> 50) % 4];

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[48];
    size_t wl = strftime(when, sizeof when - 8, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + wl, 8, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);

    snprintf(key, keycap, "u%06u", user);
    return snprintf(out, cap,
                    "{\"id\":%ld,\"ts\":\"%s\",\"user_id\":\"%s\",\"session_id\":\"s%08x\","
                    "\"event\":\"%s\",\"page\":\"%s\",\"referrer\":%s%s%s,\"device\":\"%s\","
                    "\"country\":\"%s\",\"duration_ms\":%u,\"price\":%s}",
                    id, when, key, (unsigned)(mix((uint64_t)user * 7919 + (uint64_t)id / 40) & 0xffffffffu),
                    ev, page, *ref ? "\"" : "", *ref ? ref : "null", *ref ? "\"" : "",
                    devices[(h >> 8) % 3], countries[(h >> 12) % 8], (unsigned)((h >> 40) % 30000), price);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    if (m->err) {
        if (failed++ == 0)
            fprintf(stderr, "mock-kafka: delivery to %s [%d] failed: %s\n", rd_kafka_topic_name(m->rkt),
                    (int)m->partition, rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Produces n records, ids first..first+n-1, over the topics at the given
 * rate (0: unlimited).  Returns 0 when all were acknowledged. */
static int produce(const char *bootstrap, char **topics, int ntopics, long first, long n, long rate,
                   const char *compression) {
    delivered = failed = 0;
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *settings[][2] = {{"bootstrap.servers", bootstrap}, {"compression.codec", compression},
                                 {"linger.ms", linger_ms}, {"partitioner", "murmur2_random"},
                                 {"queue.buffering.max.kbytes", "262144"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], why, sizeof why) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "mock-kafka: %s\n", why);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!p) {
        fprintf(stderr, "mock-kafka: producer: %s\n", why);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    int64_t t0 = mono_ns();
    long i;
    for (i = 0; i < n; i++) {
        long id = first + i;
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)i * 1e9 / (double)rate);
            int64_t now = mono_ns();
            if (due > now) {
                struct timespec d = {(time_t)((due - now) / 1000000000), (long)((due - now) % 1000000000)};
                nanosleep(&d, NULL);
            }
        }
        if (i % 1000 == 0 && should_stop(0)) break;
        char val[512], key[16];
        int len = make_record(id, val, sizeof val, key, sizeof key);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topics[id % ntopics]),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, (size_t)len),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 5);
        if (e) {
            fprintf(stderr, "mock-kafka: produce to %s: %s\n", topics[id % ntopics], rd_kafka_err2str(e));
            break;
        }
        rd_kafka_poll(p, 0);
    }
    while (rd_kafka_outq_len(p) > 0 && !should_stop(0)) rd_kafka_flush(p, 100);
    rd_kafka_destroy(p);
    if (i < n || delivered != n) {
        if (!stop_signal && !stdin_closed)
            fprintf(stderr, "mock-kafka: %ld of %ld records delivered, %ld failed\n", delivered, n, failed);
        return -1;
    }
    return 0;
}

/* Runs the complete command lines waiting in inbuf: `produce M [R]`. */
static void run_commands(const char *bootstrap, char **topics, int ntopics, long start_id, long *total,
                         long rate, const char *compression) {
    char *nl;
    while ((nl = memchr(inbuf, '\n', inlen)) != NULL) {
        char line[sizeof inbuf];
        size_t len = (size_t)(nl - inbuf);
        memcpy(line, inbuf, len);
        line[len] = 0;
        inlen -= len + 1;
        memmove(inbuf, nl + 1, inlen);
        long m = 0, r = rate;
        char extra;
        int got = sscanf(line, "produce %ld %ld %c", &m, &r, &extra);
        if (got < 1 || got > 2 || m < 0 || r < 0) {
            if (line[strspn(line, " \t\r")]) fprintf(stderr, "mock-kafka: unknown command '%s' (produce M [R])\n", line);
            continue;
        }
        if (ntopics == 0) {
            fprintf(stderr, "mock-kafka: produce needs a --topic\n");
            continue;
        }
        if (produce(bootstrap, topics, ntopics, start_id + *total, m, r, compression) == 0) {
            *total += m;
            printf("produced=%ld\n", *total);
            fflush(stdout);
        } else if (stop_signal || stdin_closed) {
            return;
        }
    }
}

int main(int argc, char **argv) {
    long brokers = 1, partitions = 1, nproduce = 0, rate = 0, start_id = 0;
    const char *compression = "lz4";
    char **topics = calloc((size_t)argc, sizeof *topics);
    int ntopics = 0;
    if (!topics) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--brokers") == 0) brokers = parse_num(a, v, 1), i++;
        else if (strcmp(a, "--partitions") == 0) partitions = parse_num(a, v, 1), i++;
        else if (strcmp(a, "--produce") == 0) nproduce = parse_num(a, v, 0), i++;
        else if (strcmp(a, "--rate") == 0) rate = parse_num(a, v, 0), i++;
        else if (strcmp(a, "--start-id") == 0) start_id = parse_num(a, v, 0), i++;
        else if (strcmp(a, "--linger") == 0) parse_num(a, v, 0), linger_ms = argv[++i];
        else if (strcmp(a, "--topic") == 0 && v) topics[ntopics++] = argv[++i];
        else if (strcmp(a, "--compression") == 0 && v) compression = argv[++i];
        else usage();
    }
    if (nproduce > 0 && ntopics == 0) {
        fprintf(stderr, "mock-kafka: --produce needs a --topic\n");
        usage();
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The cluster needs a client handle to live in; this one never
     * connects, so its notice about having no bootstrap.servers is muted. */
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "4", why, sizeof why);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!rk) {
        fprintf(stderr, "mock-kafka: %s\n", why);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (!mc) {
        fprintf(stderr, "mock-kafka: could not start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(mc, topics[i], (int)partitions, brokers < 3 ? (int)brokers : 3);
        if (e) {
            fprintf(stderr, "mock-kafka: creating topic %s: %s\n", topics[i], rd_kafka_err2str(e));
            rc = 1;
        }
    }
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    if (rc == 0) {
        printf("bootstrap=%s\n", bootstrap);
        fflush(stdout);
    }
    long total = 0;
    if (rc == 0 && nproduce > 0) {
        if (produce(bootstrap, topics, ntopics, start_id, nproduce, rate, compression) == 0) {
            total = nproduce;
            printf("produced=%ld\n", total);
            fflush(stdout);
        } else if (!stop_signal && !stdin_closed) {
            rc = 1;
        }
    }
    while (rc == 0 && !should_stop(200)) {
        run_commands(bootstrap, topics, ntopics, start_id, &total, rate, compression);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    free(topics);
    return rc;
}
