/*
 * test_metrics_http.c — the Prometheus registry's exposition text (exact,
 * with labels, escaping and histograms), exact sums under concurrent
 * updates, and the HTTP endpoint queried over a plain socket: /metrics,
 * /healthz, /readyz before and after ready, 404, 405, and a bind failure
 * on a port already in use.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline/metrics.h"
#include "test.h"
#include "util/mem.h"

static char *expose(floe_metrics *m) {
    floe_buf b;
    floe_buf_init(&b);
    floe_metrics_expose(m, &b);
    floe_buf_cstr(&b);
    return (char *)b.data;
}

TEST(counter_and_gauge_text) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    const char *const a[] = {"table", "db.events", NULL};
    const char *const b[] = {"table", "we\"ird\\name\nx", NULL};
    floe_counter *c1 = floe_metrics_counter(m, "floe_records_in_total", "Records read.\nPer \\ table.", a, &err);
    floe_counter *c2 = floe_metrics_counter(m, "floe_records_in_total", "Records read.\nPer \\ table.", b, &err);
    CHECK(c1 && c2 && c1 != c2);
    CHECK(floe_metrics_counter(m, "floe_records_in_total", "Records read.\nPer \\ table.", a, &err) == c1);
    floe_counter_add(c1, 41);
    floe_counter_add(c1, 1);
    floe_counter_add(c2, 7);
    CHECK_EQ_INT(floe_counter_value(c1), 42);
    const char *const lag[] = {"topic", "clicks", "partition", "3", NULL};
    floe_gauge *g = floe_metrics_gauge(m, "floe_consumer_lag", "Records behind.", lag, &err);
    floe_gauge *mem = floe_metrics_gauge(m, "floe_memory_bytes", "Memory in use.", NULL, &err);
    CHECK(g && mem);
    floe_gauge_set(g, 100);
    floe_gauge_add(g, -0.5);
    floe_gauge_set(mem, 1048576);
    CHECK(floe_gauge_value(g) == 99.5);
    char *text = expose(m);
    CHECK_EQ_STR(text, "# HELP floe_records_in_total Records read.\\nPer \\\\ table.\n"
                       "# TYPE floe_records_in_total counter\n"
                       "floe_records_in_total{table=\"db.events\"} 42\n"
                       "floe_records_in_total{table=\"we\\\"ird\\\\name\\nx\"} 7\n"
                       "# HELP floe_consumer_lag Records behind.\n"
                       "# TYPE floe_consumer_lag gauge\n"
                       "floe_consumer_lag{topic=\"clicks\",partition=\"3\"} 99.5\n"
                       "# HELP floe_memory_bytes Memory in use.\n"
                       "# TYPE floe_memory_bytes gauge\n"
                       "floe_memory_bytes 1048576\n");
    free(text);
    floe_metrics_free(m);
}

TEST(histogram_text) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    const double secs[] = {0.1, 0.5, 2.5};
    const char *const l[] = {"table", "db.events", NULL};
    floe_histogram *h = floe_metrics_histogram(m, "floe_commit_seconds", "Commit duration.", l, secs, 3, &err);
    CHECK(h);
    floe_histogram_observe(h, 0.1); /* on a bound: counted in that bucket (le) */
    floe_histogram_observe_n(h, 0.25, 2); /* as two observations */
    floe_histogram_observe_n(h, 99, 0);   /* none */
    floe_histogram_observe(h, 7);
    const double bytes[] = {1024, 1048576};
    floe_histogram *f = floe_metrics_histogram(m, "floe_file_bytes", "File sizes.", NULL, bytes, 2, &err);
    floe_histogram_observe(f, 2048);
    char *text = expose(m);
    CHECK_EQ_STR(text, "# HELP floe_commit_seconds Commit duration.\n"
                       "# TYPE floe_commit_seconds histogram\n"
                       "floe_commit_seconds_bucket{table=\"db.events\",le=\"0.1\"} 1\n"
                       "floe_commit_seconds_bucket{table=\"db.events\",le=\"0.5\"} 3\n"
                       "floe_commit_seconds_bucket{table=\"db.events\",le=\"2.5\"} 3\n"
                       "floe_commit_seconds_bucket{table=\"db.events\",le=\"+Inf\"} 4\n"
                       "floe_commit_seconds_sum{table=\"db.events\"} 7.6\n"
                       "floe_commit_seconds_count{table=\"db.events\"} 4\n"
                       "# HELP floe_file_bytes File sizes.\n"
                       "# TYPE floe_file_bytes histogram\n"
                       "floe_file_bytes_bucket{le=\"1024\"} 0\n"
                       "floe_file_bytes_bucket{le=\"1048576\"} 1\n"
                       "floe_file_bytes_bucket{le=\"+Inf\"} 1\n"
                       "floe_file_bytes_sum 2048\n"
                       "floe_file_bytes_count 1\n");
    free(text);
    floe_metrics_free(m);
}

TEST(registration_errors) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    CHECK(!floe_metrics_counter(m, "9lives", "h", NULL, &err));
    CHECK(strstr(err.msg, "'9lives' is not a metric name") != NULL);
    CHECK(!floe_metrics_counter(m, "a-b", "h", NULL, &err));
    const char *const bad_label[] = {"my:label", "x", NULL};
    CHECK(!floe_metrics_counter(m, "ok", "h", bad_label, &err));
    CHECK(strstr(err.msg, "'my:label' is not a label name") != NULL);
    const char *const reserved[] = {"__name__", "x", NULL};
    CHECK(!floe_metrics_counter(m, "ok", "h", reserved, &err));
    const char *const le[] = {"le", "1", NULL};
    const double bounds[] = {1, 2};
    CHECK(!floe_metrics_histogram(m, "h", "h", le, bounds, 2, &err));
    CHECK(strstr(err.msg, "label named le") != NULL);
    const double unsorted[] = {2, 1};
    CHECK(!floe_metrics_histogram(m, "h", "h", NULL, unsorted, 2, &err));
    CHECK(strstr(err.msg, "not strictly increasing") != NULL);
    CHECK(floe_metrics_counter(m, "ns:ok_total", "h", NULL, &err) != NULL);
    CHECK(!floe_metrics_gauge(m, "ns:ok_total", "h", NULL, &err));
    CHECK_EQ_STR(err.msg, "metric ns:ok_total: registered as a counter, now as a gauge");
    const char *const other[] = {"topic", "t", NULL};
    CHECK(!floe_metrics_counter(m, "ns:ok_total", "h", other, &err));
    CHECK(strstr(err.msg, "other label names") != NULL);
    floe_metrics_free(m);
}

enum { THREADS = 8, ROUNDS = 100000 };

typedef struct {
    floe_counter *c;
    floe_gauge *g;
    floe_histogram *h;
} hot;

static void *hammer(void *arg) {
    hot *x = arg;
    for (int i = 0; i < ROUNDS; i++) {
        floe_counter_add(x->c, 1);
        floe_gauge_add(x->g, 1);
        floe_histogram_observe(x->h, (i & 1) ? 0.5 : 2.0);
    }
    return NULL;
}

TEST(concurrent_updates_sum_exactly) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    const double b[] = {1};
    hot x = {floe_metrics_counter(m, "c_total", "c", NULL, &err), floe_metrics_gauge(m, "g", "g", NULL, &err),
             floe_metrics_histogram(m, "h", "h", NULL, b, 1, &err)};
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, hammer, &x);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ_INT(floe_counter_value(x.c), THREADS * ROUNDS);
    CHECK(floe_gauge_value(x.g) == THREADS * ROUNDS);
    char *text = expose(m);
    /* Halves and twos sum exactly in a double. */
    CHECK(strstr(text, "h_bucket{le=\"1\"} 400000\nh_bucket{le=\"+Inf\"} 800000\nh_sum 1000000\nh_count 800000\n"));
    free(text);
    floe_metrics_free(m);
}

/* ---- HTTP over a plain socket ---- */

typedef struct {
    int status;
    char head[2048];
    char body[8192];
} reply;

static int http(int port, const char *method, const char *path, reply *r) {
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", method, path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    static char all[16384];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof all - 1 && (got = read(fd, all + len, sizeof all - 1 - len)) > 0) len += (size_t)got;
    all[len] = 0;
    close(fd);
    char *sep = strstr(all, "\r\n\r\n");
    if (!sep || sscanf(all, "HTTP/1.1 %d", &r->status) != 1) return -1;
    snprintf(r->head, sizeof r->head, "%.*s", (int)(sep - all), all);
    snprintf(r->body, sizeof r->body, "%s", sep + 4);
    return 0;
}

TEST(http_endpoints) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    const char *const l[] = {"table", "db.events", NULL};
    floe_counter *c = floe_metrics_counter(m, "floe_commits_total", "Commits.", l, &err);
    floe_counter_add(c, 3);
    floe_metrics_server *s = NULL;
    CHECK_OK(floe_metrics_server_start(m, "127.0.0.1:0", &s, &err), &err);
    if (!s) {
        floe_metrics_free(m);
        return;
    }
    int port = floe_metrics_server_port(s);
    CHECK(port > 0);
    reply r;

    CHECK_OK(http(port, "GET", "/metrics", &r), &err);
    CHECK_EQ_INT(r.status, 200);
    CHECK(strstr(r.head, "Content-Type: text/plain; version=0.0.4; charset=utf-8") != NULL);
    CHECK_EQ_STR(r.body, "# HELP floe_commits_total Commits.\n# TYPE floe_commits_total counter\n"
                         "floe_commits_total{table=\"db.events\"} 3\n");

    CHECK_OK(http(port, "GET", "/healthz", &r), &err);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "ok\n");

    CHECK_OK(http(port, "GET", "/readyz", &r), &err);
    CHECK_EQ_INT(r.status, 503);
    CHECK_EQ_STR(r.body, "not ready: starting\n");
    floe_metrics_mark_ready(m);
    CHECK_OK(http(port, "GET", "/readyz", &r), &err);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "ready\n");
    floe_metrics_mark_unready(m, "catalog unreachable");
    CHECK_OK(http(port, "GET", "/readyz", &r), &err);
    CHECK_EQ_INT(r.status, 503);
    CHECK_EQ_STR(r.body, "not ready: catalog unreachable\n");

    CHECK_OK(http(port, "GET", "/nope", &r), &err);
    CHECK_EQ_INT(r.status, 404);
    CHECK_OK(http(port, "POST", "/metrics", &r), &err);
    CHECK_EQ_INT(r.status, 405);
    CHECK(strstr(r.head, "Allow: GET, HEAD") != NULL);
    CHECK_OK(http(port, "HEAD", "/healthz", &r), &err);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "");

    /* The port is taken now: a second server on it must fail, naming it. */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    floe_metrics_server *s2 = NULL;
    CHECK(floe_metrics_server_start(m, addr, &s2, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EIO);
    char want[160];
    snprintf(want, sizeof want, "metrics listen address %s: bind failed: Address already in use", addr);
    CHECK_EQ_STR(err.msg, want);

    floe_metrics_server_stop(s);
    floe_metrics_free(m);
}

TEST(listen_address_errors) {
    floe_err err = {0};
    floe_metrics *m = floe_metrics_new();
    floe_metrics_server *s = NULL;
    CHECK(floe_metrics_server_start(m, "localhost", &s, &err) == -1);
    CHECK_EQ_STR(err.msg, "metrics listen address 'localhost' is not host:port or [ipv6]:port");
    CHECK(floe_metrics_server_start(m, "127.0.0.1:70000", &s, &err) == -1);
    CHECK(floe_metrics_server_start(m, "[::1:80", &s, &err) == -1);
    CHECK(floe_metrics_server_start(m, "no.such.host.invalid:9464", &s, &err) == -1);
    CHECK(strstr(err.msg, "cannot resolve no.such.host.invalid") != NULL);
    CHECK(s == NULL);
    floe_metrics_free(m);
}

TEST_MAIN(T(counter_and_gauge_text), T(histogram_text), T(registration_errors), T(concurrent_updates_sum_exactly),
          T(http_endpoints), T(listen_address_errors))
