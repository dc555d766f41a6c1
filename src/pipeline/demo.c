/*
 * demo.c — the in-process Kafka cluster and clickstream producer behind
 * `floe demo` (floe/demo.h).
 *
 * The cluster is librdkafka's mock cluster: it needs a client handle to
 * live in (one that never connects) and serves the Kafka protocol on an
 * ephemeral 127.0.0.1 port from librdkafka's own threads.  The producer is
 * an ordinary librdkafka producer on its own thread, paced to the asked
 * rate against the monotonic clock (record i is due at t0 + i/rate, so a
 * late wake-up catches up rather than drifting).  Both handles get a log
 * callback that drops librdkafka's log lines, since the library never
 * prints; delivery failures are counted and the first one is kept for the
 * error floe_demo_wait returns.
 *
 * The generator simulates a few hundred concurrent shop sessions.  Each
 * event advances one randomly chosen session through a funnel (a small
 * Markov chain over page kinds: home, category, search, product, cart,
 * checkout, purchase, leave); a session that leaves is replaced by a new
 * one (user, device, country and referrer drawn then).  Users and products
 * are drawn with a power-law skew, prices are log-normal and end in .99.
 * The sessions are warmed up before the first event, so that the first
 * records already look like the steady state (and carry prices: a table
 * created from them infers a double column, not a string one).
 */
#include "floe/demo.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/err.h"

/* ---- the generator ------------------------------------------------------- */

#define NSESSIONS 384
#define NUSERS 200000
#define NPRODUCTS 5000
#define FIRST_USER_ID 100000

enum { P_NEW, P_HOME, P_CATEGORY, P_SEARCH, P_PRODUCT, P_ADDED, P_CART, P_CHECKOUT, P_PURCHASED };

typedef struct session {
    char id[17];
    int64_t user;
    const char *device, *country, *referrer;
    int state;       /* the page kind of its last event */
    int product;     /* the product last looked at */
    int category;
    double cart;     /* the cart's total */
} session;

struct floe_demo_gen {
    uint64_t rng;
    int64_t last_id;
    session s[NSESSIONS];
};

/* One event before formatting. */
typedef struct event {
    const char *kind;
    char page[64];
    double price;    /* < 0: null */
    const session *s;
} event;

static const char *const CATEGORIES[] = {"shoes", "electronics", "books", "home", "toys",
                                         "beauty", "sports", "garden", "fashion", "grocery"};
static const char *const SEARCHES[] = {"running+shoes", "headphones", "usb-c+cable", "coffee+maker", "lego",
                                       "yoga+mat", "phone+case", "desk+lamp", "backpack", "sneakers",
                                       "air+fryer", "kindle", "water+bottle", "gift+ideas", "sunglasses"};

typedef struct weighted {
    const char *value;
    int weight;
} weighted;

static const weighted COUNTRIES[] = {{"US", 34}, {"DE", 10}, {"GB", 10}, {"FR", 8}, {"IN", 8}, {"BR", 7},
                                     {"JP", 6},  {"CA", 5},  {"NL", 4},  {"ES", 4}, {"AU", 3}, {"SE", 1}};
static const weighted DEVICES[] = {{"mobile", 58}, {"desktop", 36}, {"tablet", 6}};
/* NULL: direct traffic (no referrer). */
static const weighted REFERRERS[] = {{"https://www.google.com/", 38},   {NULL, 27},
                                     {"https://www.facebook.com/", 8},  {"https://www.instagram.com/", 6},
                                     {"https://www.bing.com/", 5},      {"https://t.co/", 4},
                                     {"https://www.youtube.com/", 4},   {"https://duckduckgo.com/", 3},
                                     {"https://news.ycombinator.com/", 2}, {"https://www.reddit.com/", 3}};
#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static uint64_t mix64(uint64_t x) { /* splitmix64's finalizer */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t next_u64(floe_demo_gen *g) { return mix64(g->rng += 0x9e3779b97f4a7c15ULL); }

/* Uniform in [0, 1). */
static double uniform(floe_demo_gen *g) { return (double)(next_u64(g) >> 11) * (1.0 / 9007199254740992.0); }

static int below(floe_demo_gen *g, int n) { return (int)(uniform(g) * n); }

static const char *pick_weighted(const weighted *w, int n, double u) {
    int total = 0;
    for (int i = 0; i < n; i++) total += w[i].weight;
    double x = u * total;
    for (int i = 0; i < n; i++) {
        if (x < w[i].weight) return w[i].value;
        x -= w[i].weight;
    }
    return w[n - 1].value;
}

/* A power-law pick of one of n things (index 0 the most popular), spread
 * over the range by a fixed permutation so that popular ids are not all
 * small. */
static int skewed(floe_demo_gen *g, int n, double power, uint64_t salt) {
    int rank = (int)(pow(uniform(g), power) * n);
    if (rank >= n) rank = n - 1;
    return (int)(mix64((uint64_t)rank ^ salt) % (uint64_t)n);
}

/* A product's price: log-normal around 25, ending in .99. */
static double product_price(int product) {
    uint64_t h = mix64((uint64_t)product * 0x51ed27u + 17);
    double u1 = ((double)(h >> 40) + 1.0) / 16777217.0, u2 = (double)(h & 0xffffff) / 16777216.0;
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double p = exp(log(25.0) + 0.9 * z);
    if (p > 2000) p = 2000;
    return floor(p) + 0.99;
}

static void new_session(floe_demo_gen *g, session *s) {
    s->user = FIRST_USER_ID + skewed(g, NUSERS, 2.0, 0x75736572);
    uint64_t uh = mix64((uint64_t)s->user);
    /* Country is the user's; the device usually is. */
    s->country = pick_weighted(COUNTRIES, NELEM(COUNTRIES), (double)(uh >> 11) * (1.0 / 9007199254740992.0));
    double du = uniform(g) < 0.8 ? (double)(mix64(uh) >> 11) * (1.0 / 9007199254740992.0) : uniform(g);
    s->device = pick_weighted(DEVICES, NELEM(DEVICES), du);
    s->referrer = pick_weighted(REFERRERS, NELEM(REFERRERS), uniform(g));
    snprintf(s->id, sizeof s->id, "%016llx", (unsigned long long)next_u64(g));
    s->state = P_NEW;
    s->product = -1;
    s->category = below(g, NELEM(CATEGORIES));
    s->cart = 0;
}

static int pick_product(floe_demo_gen *g) { return skewed(g, NPRODUCTS, 3.0, 0x70726f64); }

/* Chooses the session's next page kind from its current one. */
static int next_state(floe_demo_gen *g, const session *s) {
    /* Weights over: home, category, search, product, added, cart, checkout,
     * purchased, leave. */
    static const int T[][9] = {
        [P_NEW] = {30, 20, 10, 40, 0, 0, 0, 0, 0},
        [P_HOME] = {0, 35, 20, 30, 0, 0, 0, 0, 15},
        [P_CATEGORY] = {5, 15, 10, 55, 0, 0, 0, 0, 15},
        [P_SEARCH] = {0, 5, 15, 60, 0, 0, 0, 0, 20},
        [P_PRODUCT] = {2, 13, 10, 35, 15, 5, 0, 0, 20},
        [P_ADDED] = {0, 10, 5, 30, 0, 35, 10, 0, 10},
        [P_CART] = {0, 0, 0, 20, 0, 0, 50, 0, 30},
        [P_CHECKOUT] = {0, 0, 0, 0, 0, 10, 0, 65, 25},
        [P_PURCHASED] = {25, 0, 0, 0, 0, 0, 0, 0, 75},
    };
    static const int to[9] = {P_HOME, P_CATEGORY, P_SEARCH, P_PRODUCT, P_ADDED, P_CART, P_CHECKOUT, P_PURCHASED,
                              P_NEW};
    const int *w = T[s->state];
    int total = 0;
    for (int i = 0; i < 9; i++) total += w[i];
    int x = below(g, total);
    int i = 0;
    while (x >= w[i]) x -= w[i++];
    int st = to[i];
    /* Nothing to check out or pay for with an empty cart. */
    if ((st == P_CART || st == P_CHECKOUT || st == P_PURCHASED) && s->cart <= 0) st = P_PRODUCT;
    if (st == P_ADDED && s->product < 0) st = P_PRODUCT;
    return st;
}

/* Advances one session by one event. */
static void step(floe_demo_gen *g, event *ev) {
    session *s = &g->s[below(g, NSESSIONS)];
    int st = next_state(g, s);
    if (st == P_NEW) { /* it left; a new visitor arrives in its place */
        new_session(g, s);
        st = next_state(g, s);
    }
    ev->s = s;
    ev->price = -1;
    ev->kind = "page_view";
    switch (st) {
    case P_HOME:
        snprintf(ev->page, sizeof ev->page, "/");
        break;
    case P_CATEGORY:
        if (uniform(g) < 0.4) s->category = below(g, NELEM(CATEGORIES));
        snprintf(ev->page, sizeof ev->page, "/c/%s", CATEGORIES[s->category]);
        break;
    case P_SEARCH:
        ev->kind = "search";
        snprintf(ev->page, sizeof ev->page, "/search?q=%s", SEARCHES[below(g, NELEM(SEARCHES))]);
        break;
    case P_PRODUCT:
        s->product = pick_product(g);
        snprintf(ev->page, sizeof ev->page, "/products/%d", s->product);
        ev->price = product_price(s->product);
        break;
    case P_ADDED:
        ev->kind = "add_to_cart";
        snprintf(ev->page, sizeof ev->page, "/products/%d", s->product);
        ev->price = product_price(s->product);
        s->cart += ev->price;
        break;
    case P_CART:
        snprintf(ev->page, sizeof ev->page, "/cart");
        break;
    case P_CHECKOUT:
        ev->kind = "begin_checkout";
        snprintf(ev->page, sizeof ev->page, "/checkout");
        ev->price = s->cart;
        break;
    default: /* P_PURCHASED */
        ev->kind = "purchase";
        snprintf(ev->page, sizeof ev->page, "/checkout/complete");
        ev->price = s->cart;
        s->cart = 0;
        break;
    }
    s->state = st;
}

floe_demo_gen *floe_demo_gen_new(uint64_t seed) {
    floe_demo_gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->rng = seed;
    for (int i = 0; i < NSESSIONS; i++) new_session(g, &g->s[i]);
    /* Warm up: a few events per session, so that the first records come
     * from sessions at every stage of the funnel. */
    event ev;
    for (int i = 0; i < NSESSIONS * 4; i++) step(g, &ev);
    return g;
}

void floe_demo_gen_free(floe_demo_gen *g) { free(g); }

size_t floe_demo_gen_next(floe_demo_gen *g, int64_t now_ms, char *out, char key[24], int64_t *event_id) {
    event ev;
    step(g, &ev);
    /* Unique and increasing, also across runs that do not overlap: the
     * production millisecond above 20 bits of sequence. */
    int64_t id = now_ms * ((int64_t)1 << 20);
    if (id <= g->last_id) id = g->last_id + 1;
    g->last_id = id;
    if (event_id) *event_id = id;

    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40];
    size_t wl = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + wl, sizeof when - wl, ".%03dZ", (int)(now_ms % 1000));

    char price[32], referrer[64];
    if (ev.price < 0) snprintf(price, sizeof price, "null");
    else snprintf(price, sizeof price, "%.2f", ev.price);
    if (ev.s->referrer) snprintf(referrer, sizeof referrer, "\"%s\"", ev.s->referrer);
    else snprintf(referrer, sizeof referrer, "null");
    snprintf(key, 24, "%lld", (long long)ev.s->user);
    int n = snprintf(out, FLOE_DEMO_EVENT_MAX,
                     "{\"event_id\":%lld,\"ts\":\"%s\",\"user_id\":%lld,\"session_id\":\"%s\",\"event\":\"%s\","
                     "\"page\":\"%s\",\"referrer\":%s,\"device\":\"%s\",\"country\":\"%s\",\"price\":%s}",
                     (long long)id, when, (long long)ev.s->user, ev.s->id, ev.kind, ev.page, referrer,
                     ev.s->device, ev.s->country, price);
    return n < 0 ? 0 : (size_t)n < FLOE_DEMO_EVENT_MAX ? (size_t)n : FLOE_DEMO_EVENT_MAX - 1;
}

/* ---- the events' schema -------------------------------------------------- */

static const struct {
    const char *name, *type, *doc;
} FIELDS[] = {
    {"event_id", "long", "unique and increasing: the production millisecond << 20, plus a sequence"},
    {"ts", "timestamptz", "when the event was produced (also its Kafka timestamp)"},
    {"user_id", "long", "the visitor, also the Kafka key"},
    {"session_id", "string", "one visit"},
    {"event", "string", "page_view, search, add_to_cart, begin_checkout or purchase"},
    {"page", "string", "the page's path"},
    {"referrer", "string", "where the visit came from; null for direct traffic"},
    {"device", "string", "mobile, desktop or tablet"},
    {"country", "string", "ISO 3166 alpha-2 code"},
    {"price", "double", "product price on product views and cart additions, cart total on checkout and purchase"},
};

static char schema_json[2048];
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static void build_schema(void) {
    size_t n = (size_t)snprintf(schema_json, sizeof schema_json, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[");
    for (int i = 0; i < NELEM(FIELDS); i++)
        n += (size_t)snprintf(schema_json + n, sizeof schema_json - n,
                              "%s{\"id\":%d,\"name\":\"%s\",\"required\":false,\"type\":\"%s\",\"doc\":\"%s\"}",
                              i ? "," : "", i + 1, FIELDS[i].name, FIELDS[i].type, FIELDS[i].doc);
    snprintf(schema_json + n, sizeof schema_json - n, "]}");
}

const char *floe_demo_schema_json(void) {
    pthread_once(&schema_once, build_schema);
    return schema_json;
}

int floe_demo_check_columns(const floe_column_info *cols, int n, floe_err *err) {
    for (int i = 0; i < NELEM(FIELDS); i++) {
        const floe_column_info *c = NULL;
        for (int k = 0; k < n && !c; k++)
            if (cols[k].depth == 0 && strcmp(cols[k].path, FIELDS[i].name) == 0) c = &cols[k];
        if (!c) return floe_err_set(err, FLOE_EINVAL, "it has no column %s (%s)", FIELDS[i].name, FIELDS[i].type);
        if (strcmp(c->type, FIELDS[i].type) != 0)
            return floe_err_set(err, FLOE_EINVAL, "its column %s is %s, not %s", FIELDS[i].name, c->type,
                                FIELDS[i].type);
    }
    return 0;
}

/* ---- the cluster and the producer ---------------------------------------- */

struct floe_demo {
    char *topic;
    int partitions;
    int64_t records;
    double rate;
    uint64_t seed;
    rd_kafka_t *host; /* the handle the mock cluster lives in */
    rd_kafka_mock_cluster_t *cluster;
    char *bootstrap;

    pthread_t thread;
    int thread_started;
    atomic_int stop; /* lock-free, so a signal handler may set it */
    atomic_llong produced, delivered, failed, first_id, last_id;
    atomic_int started, done;
    /* Written by the producer thread only, read after it is joined. */
    floe_err perr;
    char first_delivery_error[256];
};

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac, (void)buf;
}

floe_demo *floe_demo_new(const floe_demo_opts *opts, floe_err *err) {
    if (!opts || opts->records <= 0) {
        floe_err_set(err, FLOE_EINVAL, "demo: the number of records to produce must be positive");
        return NULL;
    }
    floe_demo *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->topic = strdup(opts->topic ? opts->topic : "clickstream");
    d->partitions = opts->partitions > 0 ? opts->partitions : 16;
    d->records = opts->records;
    d->rate = opts->rate;
    if (opts->seed) {
        d->seed = opts->seed;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        d->seed = mix64((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    }
    atomic_init(&d->first_id, -1);
    atomic_init(&d->last_id, -1);
    if (!d->topic) abort();

    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    d->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!d->host) {
        rd_kafka_conf_destroy(conf);
        floe_err_set(err, FLOE_EIO, "demo: creating the mock cluster's client: %s", why);
        floe_demo_free(d);
        return NULL;
    }
    d->cluster = rd_kafka_mock_cluster_new(d->host, 1);
    if (!d->cluster) {
        floe_err_set(err, FLOE_EIO, "demo: could not start librdkafka's mock cluster");
        floe_demo_free(d);
        return NULL;
    }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(d->cluster, d->topic, d->partitions, 1);
    if (e) {
        floe_err_set(err, FLOE_EIO, "demo: creating topic %s: %s", d->topic, rd_kafka_err2str(e));
        floe_demo_free(d);
        return NULL;
    }
    d->bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(d->cluster));
    if (!d->bootstrap) abort();
    return d;
}

const char *floe_demo_bootstrap(const floe_demo *d) { return d->bootstrap; }

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    floe_demo *d = opaque;
    if (m->err) {
        if (atomic_fetch_add(&d->failed, 1) == 0)
            snprintf(d->first_delivery_error, sizeof d->first_delivery_error, "%s [%d]: %s",
                     rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_err2str(m->err));
    } else {
        atomic_fetch_add(&d->delivered, 1);
    }
}

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns) {
    struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static void produce_all(floe_demo *d, rd_kafka_t *p) {
    floe_demo_gen *g = floe_demo_gen_new(d->seed);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p, d->topic, NULL);
    if (!rkt) abort();
    int64_t t0 = mono_ns();
    for (int64_t i = 0; i < d->records && !atomic_load(&d->stop); i++) {
        if (d->rate > 0) {
            /* Record i is due at t0 + i/rate; sleep in short slices so
             * that a stop request and delivery reports are served. */
            for (;;) {
                int64_t wait = t0 + (int64_t)((double)i * 1e9 / d->rate) - mono_ns();
                if (wait <= 0 || atomic_load(&d->stop)) break;
                rd_kafka_poll(p, 0);
                sleep_ns(wait < 20000000 ? wait : 20000000);
            }
            if (atomic_load(&d->stop)) break;
        }
        char val[FLOE_DEMO_EVENT_MAX], key[24];
        int64_t now = floe_wall_ms(), id;
        size_t len = floe_demo_gen_next(g, now, val, key, &id);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(p, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, len),
                                      RD_KAFKA_V_TIMESTAMP(now), RD_KAFKA_V_END)) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL &&
               !atomic_load(&d->stop))
            rd_kafka_poll(p, 5);
        if (e) {
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                floe_err_set(&d->perr, FLOE_EIO, "demo: producing to %s: %s", d->topic, rd_kafka_err2str(e));
            break;
        }
        atomic_store(&d->last_id, id);
        if (i == 0) atomic_store(&d->first_id, id);
        atomic_fetch_add(&d->produced, 1);
        rd_kafka_poll(p, 0);
    }
    /* Everything handed over is delivered or has failed before done is
     * set; the mock cluster answers in milliseconds, so a minute means it
     * is gone. */
    int64_t deadline = mono_ns() + (int64_t)60 * 1000000000;
    while (rd_kafka_outq_len(p) > 0 && mono_ns() < deadline) rd_kafka_flush(p, 100);
    if (rd_kafka_outq_len(p) > 0) {
        rd_kafka_purge(p, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(p, 1000);
    }
    rd_kafka_topic_destroy(rkt);
    floe_demo_gen_free(g);
}

static void *producer_main(void *arg) {
    floe_demo *d = arg;
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* linger.ms: a record's freshness starts when it is produced, so the
     * wait is short; but not shorter, since the mock cluster serves a
     * partition's log as a list of the produced message sets, and many
     * tiny sets slow its fetches down until a consumer falls behind (at
     * 20000 events/s, with 5 ms the pipeline fell ever further behind;
     * with 25 ms it keeps up).  lz4 keeps the per-partition log (~5 MiB kept) small. */
    const char *settings[][2] = {{"bootstrap.servers", d->bootstrap}, {"linger.ms", "25"},
                                 {"compression.codec", "lz4"},       {"partitioner", "murmur2_random"},
                                 {"queue.buffering.max.kbytes", "262144"}};
    for (int i = 0; i < NELEM(settings); i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], why, sizeof why) != RD_KAFKA_CONF_OK) {
            floe_err_set(&d->perr, FLOE_EINVAL, "demo: producer setting %s: %s", settings[i][0], why);
            rd_kafka_conf_destroy(conf);
            atomic_store(&d->done, 1);
            return NULL;
        }
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, d);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!p) {
        floe_err_set(&d->perr, FLOE_EIO, "demo: creating the producer: %s", why);
        rd_kafka_conf_destroy(conf);
        atomic_store(&d->done, 1);
        return NULL;
    }
    produce_all(d, p);
    rd_kafka_destroy(p);
    atomic_store(&d->done, 1);
    return NULL;
}

int floe_demo_start(floe_demo *d, floe_err *err) {
    if (d->thread_started) return floe_err_set(err, FLOE_EINVAL, "demo: the producer was already started");
    int rc = pthread_create(&d->thread, NULL, producer_main, d);
    if (rc) return floe_err_set(err, FLOE_EIO, "demo: starting the producer thread: %s", strerror(rc));
    d->thread_started = 1;
    atomic_store(&d->started, 1);
    return 0;
}

void floe_demo_stop(floe_demo *d) { atomic_store(&d->stop, 1); }

void floe_demo_get_progress(const floe_demo *d, floe_demo_progress *out) {
    floe_demo *m = (floe_demo *)d; /* the atomics' loads take non-const pointers in C11 */
    memset(out, 0, sizeof *out);
    out->done = atomic_load(&m->done);
    out->produced = atomic_load(&m->produced);
    out->delivered = atomic_load(&m->delivered);
    out->failed = atomic_load(&m->failed);
    out->first_event_id = atomic_load(&m->first_id);
    out->last_event_id = atomic_load(&m->last_id);
    out->started = atomic_load(&m->started);
}

int floe_demo_wait(floe_demo *d, floe_err *err) {
    if (!d->thread_started) return floe_err_set(err, FLOE_EINVAL, "demo: the producer was not started");
    pthread_join(d->thread, NULL);
    d->thread_started = 0;
    if (d->perr.code) {
        *err = d->perr;
        return -1;
    }
    long long failed = atomic_load(&d->failed);
    if (failed > 0)
        return floe_err_set(err, FLOE_EIO, "demo: %lld of %lld events were not delivered (first: %s)", failed,
                            (long long)atomic_load(&d->produced), d->first_delivery_error);
    return 0;
}

void floe_demo_free(floe_demo *d) {
    if (!d) return;
    if (d->thread_started) {
        atomic_store(&d->stop, 1);
        pthread_join(d->thread, NULL);
    }
    if (d->cluster) rd_kafka_mock_cluster_destroy(d->cluster);
    if (d->host) rd_kafka_destroy(d->host);
    free(d->bootstrap);
    free(d->topic);
    free(d);
}
