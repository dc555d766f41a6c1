/*
 * test_demo.c — floe/demo.h: the clickstream generator's records (every
 * field present and typed, ids unique and increasing, plausible mixes),
 * the events' schema and the check of an existing table's columns, and the
 * in-process cluster and producer (every event delivered, read back with a
 * plain consumer, message timestamp equal to the event's ts).
 */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <string.h>
#include <time.h>

#include "floe/demo.h"
#include "test.h"
#include "util/text.h"

static int64_t parse_ts_ms(const char *s) {
    int64_t us = 0;
    if (floe_parse_timestamp(s, strlen(s), FLOE_UNIT_MICROS, &us) != 0) return -1;
    return us / 1000;
}

TEST(generator_records) {
    floe_demo_gen *g = floe_demo_gen_new(42);
    char buf[FLOE_DEMO_EVENT_MAX], key[24];
    int64_t prev = -1, now = 1767225600123; /* 2026-01-01T00:00:00.123Z */
    int n = 5000, priced_in_first_100 = 0, purchases = 0, page_views = 0, null_referrers = 0, mobile = 0;
    for (int i = 0; i < n; i++) {
        int64_t id;
        size_t len = floe_demo_gen_next(g, now + i / 7, buf, key, &id);
        CHECK(len > 0 && len < sizeof buf && strlen(buf) == len);
        json_error_t je;
        json_t *o = json_loadb(buf, len, 0, &je);
        CHECK(o && json_is_object(o));
        if (!o) {
            fprintf(stderr, "  not JSON: %s\n", buf);
            break;
        }
        CHECK(json_is_integer(json_object_get(o, "event_id")));
        CHECK_EQ_INT(json_integer_value(json_object_get(o, "event_id")), id);
        CHECK(id > prev);
        CHECK(id >= (now + i / 7) * (1 << 20));
        prev = id;
        const char *ts = json_string_value(json_object_get(o, "ts"));
        CHECK(ts && ts[strlen(ts) - 1] == 'Z');
        CHECK_EQ_INT(ts ? parse_ts_ms(ts) : -1, now + i / 7);
        json_t *user = json_object_get(o, "user_id");
        CHECK(json_is_integer(user));
        char k[24];
        snprintf(k, sizeof k, "%lld", (long long)json_integer_value(user));
        CHECK_EQ_STR(key, k);
        const char *sid = json_string_value(json_object_get(o, "session_id"));
        CHECK(sid && strlen(sid) == 16);
        const char *ev = json_string_value(json_object_get(o, "event"));
        CHECK(ev != NULL);
        const char *page = json_string_value(json_object_get(o, "page"));
        CHECK(page && page[0] == '/');
        json_t *ref = json_object_get(o, "referrer");
        CHECK(json_is_string(ref) || json_is_null(ref));
        null_referrers += json_is_null(ref);
        const char *dev = json_string_value(json_object_get(o, "device"));
        CHECK(dev != NULL);
        mobile += dev && strcmp(dev, "mobile") == 0;
        const char *country = json_string_value(json_object_get(o, "country"));
        CHECK(country && strlen(country) == 2);
        json_t *price = json_object_get(o, "price");
        CHECK(json_is_real(price) || json_is_null(price));
        if (ev && (strcmp(ev, "purchase") == 0 || strcmp(ev, "add_to_cart") == 0)) CHECK(json_is_real(price));
        if (i < 100 && json_is_real(price)) priced_in_first_100++;
        if (ev && strcmp(ev, "purchase") == 0) purchases++;
        if (ev && strcmp(ev, "page_view") == 0) page_views++;
        json_decref(o);
    }
    /* A shop's mix: mostly page views, a few purchases, some direct traffic. */
    CHECK(page_views > n / 2 && page_views < n * 9 / 10);
    CHECK(purchases > 0 && purchases < n / 20);
    CHECK(null_referrers > n / 10 && null_referrers < n / 2);
    CHECK(mobile > n / 3 && mobile < n * 3 / 4);
    /* The first records already carry prices, so that a table inferred from
     * them gets a double column. */
    CHECK(priced_in_first_100 >= 10);
    /* The same clock in a later run still gives larger ids. */
    int64_t id2;
    floe_demo_gen_next(g, now, buf, key, &id2);
    CHECK(id2 > prev);
    floe_demo_gen_free(g);
}

TEST(generator_is_seeded) {
    floe_demo_gen *a = floe_demo_gen_new(7), *b = floe_demo_gen_new(7), *c = floe_demo_gen_new(8);
    char x[FLOE_DEMO_EVENT_MAX], y[FLOE_DEMO_EVENT_MAX], z[FLOE_DEMO_EVENT_MAX], key[24];
    int differ = 0;
    for (int i = 0; i < 50; i++) {
        floe_demo_gen_next(a, 1000 + i, x, key, NULL);
        floe_demo_gen_next(b, 1000 + i, y, key, NULL);
        floe_demo_gen_next(c, 1000 + i, z, key, NULL);
        CHECK_EQ_STR(x, y);
        differ += strcmp(x, z) != 0;
    }
    CHECK(differ > 40);
    floe_demo_gen_free(a);
    floe_demo_gen_free(b);
    floe_demo_gen_free(c);
}

TEST(schema_and_column_check) {
    json_error_t je;
    json_t *s = json_loads(floe_demo_schema_json(), 0, &je);
    CHECK(s && json_is_array(json_object_get(s, "fields")));
    if (!s) return;
    json_t *fields = json_object_get(s, "fields");
    CHECK_EQ_INT(json_array_size(fields), 10);
    /* Every field of an event is in the schema, optional. */
    floe_demo_gen *g = floe_demo_gen_new(5);
    char buf[FLOE_DEMO_EVENT_MAX], key[24];
    floe_demo_gen_next(g, 1000, buf, key, NULL);
    json_t *ev = json_loads(buf, 0, &je);
    CHECK_EQ_INT(json_object_size(ev), json_array_size(fields));
    floe_column_info cols[10];
    memset(cols, 0, sizeof cols);
    for (size_t i = 0; i < json_array_size(fields) && i < 10; i++) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        CHECK(json_object_get(ev, name) != NULL);
        CHECK(json_is_false(json_object_get(f, "required")));
        cols[i].path = (char *)name;
        cols[i].type = (char *)json_string_value(json_object_get(f, "type"));
    }
    floe_err err = {0};
    CHECK_OK(floe_demo_check_columns(cols, 10, &err), &err);
    cols[9].type = "string"; /* price, as inference from null-only samples makes it */
    CHECK(floe_demo_check_columns(cols, 10, &err) == -1 && strstr(err.msg, "price") != NULL);
    CHECK(floe_demo_check_columns(cols + 1, 9, &err) == -1 && strstr(err.msg, "event_id") != NULL);
    json_decref(ev);
    json_decref(s);
    floe_demo_gen_free(g);
}

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac, (void)buf;
}

TEST(cluster_produces_every_event) {
    floe_err err = {0};
    floe_demo_opts o = {.topic = "clicks", .partitions = 4, .records = 3000, .rate = 0, .seed = 1};
    floe_demo *d = floe_demo_new(&o, &err);
    CHECK(d != NULL);
    if (!d) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(strncmp(floe_demo_bootstrap(d), "127.0.0.1:", 10) == 0);
    floe_demo_progress pr;
    floe_demo_get_progress(d, &pr);
    CHECK(!pr.started && !pr.done && pr.produced == 0 && pr.first_event_id == -1);
    CHECK_OK(floe_demo_start(d, &err), &err);
    CHECK(floe_demo_start(d, &err) == -1);
    CHECK_OK(floe_demo_wait(d, &err), &err);
    floe_demo_get_progress(d, &pr);
    CHECK(pr.started && pr.done);
    CHECK_EQ_INT(pr.produced, 3000);
    CHECK_EQ_INT(pr.delivered, 3000);
    CHECK_EQ_INT(pr.failed, 0);
    CHECK(pr.first_event_id > 0 && pr.last_event_id > pr.first_event_id);

    /* Read everything back with a plain consumer. */
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", floe_demo_bootstrap(d), why, sizeof why);
    rd_kafka_conf_set(conf, "group.id", "test-demo", why, sizeof why);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", why, sizeof why);
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    CHECK(c != NULL);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(4);
    for (int p = 0; p < 4; p++)
        rd_kafka_topic_partition_list_add(parts, "clicks", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    CHECK_EQ_INT(rd_kafka_assign(c, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    int got = 0, ts_match = 0, in_range = 0, partitions_used = 0;
    int per_part[4] = {0};
    time_t until = time(NULL) + 30;
    while (got < 3000 && time(NULL) < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m) continue;
        if (!m->err) {
            got++;
            if (m->partition >= 0 && m->partition < 4) per_part[m->partition]++;
            json_error_t je;
            json_t *o2 = json_loadb(m->payload, m->len, 0, &je);
            rd_kafka_timestamp_type_t tt;
            int64_t mts = rd_kafka_message_timestamp(m, &tt);
            const char *ts = o2 ? json_string_value(json_object_get(o2, "ts")) : NULL;
            if (ts && tt == RD_KAFKA_TIMESTAMP_CREATE_TIME && parse_ts_ms(ts) == mts) ts_match++;
            int64_t id = o2 ? json_integer_value(json_object_get(o2, "event_id")) : -1;
            if (id >= pr.first_event_id && id <= pr.last_event_id) in_range++;
            json_decref(o2);
        }
        rd_kafka_message_destroy(m);
    }
    for (int p = 0; p < 4; p++) partitions_used += per_part[p] > 0;
    CHECK_EQ_INT(got, 3000);
    CHECK_EQ_INT(ts_match, 3000);
    CHECK_EQ_INT(in_range, 3000);
    CHECK_EQ_INT(partitions_used, 4);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    floe_demo_free(d);
}

TEST(cluster_paces_and_stops) {
    floe_err err = {0};
    /* 100 events/s for what would be 100 s: stopped after about half a
     * second, it has produced about 50 and delivered them all. */
    floe_demo_opts o = {.partitions = 2, .records = 10000, .rate = 100};
    floe_demo *d = floe_demo_new(&o, &err);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_OK(floe_demo_start(d, &err), &err);
    struct timespec half = {0, 500000000};
    nanosleep(&half, NULL);
    floe_demo_stop(d);
    CHECK_OK(floe_demo_wait(d, &err), &err);
    floe_demo_progress pr;
    floe_demo_get_progress(d, &pr);
    CHECK(pr.produced >= 20 && pr.produced <= 150);
    CHECK_EQ_INT(pr.delivered, pr.produced);
    floe_demo_free(d);

    /* Freeing a running producer stops it. */
    d = floe_demo_new(&o, &err);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_OK(floe_demo_start(d, &err), &err);
    floe_demo_free(d);

    o.records = 0;
    CHECK(floe_demo_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
}

TEST_MAIN(T(generator_records), T(generator_is_seeded), T(schema_and_column_check), T(cluster_produces_every_event), T(cluster_paces_and_stops))
