/*
 * metrics.c — the Prometheus registry, its text exposition and the HTTP
 * endpoint (see metrics.h).
 *
 * A family (name, help, type, label names, histogram bounds) owns a list of
 * series, one per set of label values.  The lists only grow, under the
 * registry's mutex, which exposition also takes; a series' values are C11
 * atomics that the hot path updates without the lock:
 *   counter    an integer count (fetch_add);
 *   gauge      the bits of a double (store, or a compare-and-swap loop to add);
 *   histogram  one integer count per bucket, not cumulative (fetch_add), and
 *              the bits of the double sum (compare-and-swap loop).
 * A histogram's _count is the total of its buckets, computed at exposition,
 * so a scrape racing an observation never shows a +Inf bucket that differs
 * from _count.  Each series keeps its label pairs already escaped and
 * joined ("a=\"x\",b=\"y\""), so exposition is copying.
 *
 * The HTTP side binds its own socket (so that a bind failure can name the
 * address and errno, and port 0 can report the port chosen) and hands it
 * to libmicrohttpd, which serves from its internal polling thread.
 */
#include "pipeline/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/net.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text.h"

enum kind { K_COUNTER, K_GAUGE, K_HISTOGRAM };
static const char *const KIND_NAME[] = {"counter", "gauge", "histogram"};

typedef struct family family;

struct floe_metric_series {
    family *fam;
    char **values;            /* label values, fam->nlabels of them */
    char *labels;             /* escaped `name="value"` pairs joined by ',' */
    _Atomic uint64_t value;   /* counter count; gauge or histogram-sum double bits */
    _Atomic uint64_t *counts; /* histogram: nbounds + 1 bucket counts, the last +Inf */
    struct floe_metric_series *next;
};

struct family {
    char *name, *help;
    enum kind kind;
    char **label_names;
    size_t nlabels;
    double *bounds;
    size_t nbounds;
    struct floe_metric_series *first, *last;
    family *next;
};

struct floe_metrics {
    pthread_mutex_t lock; /* the family and series lists, the unready reason */
    family *first, *last;
    atomic_int ready;
    char *unready_reason;
};

static uint64_t bits_of(double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double double_of(uint64_t b) {
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

floe_metrics *floe_metrics_new(void) {
    floe_metrics *m = floe_xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->unready_reason = floe_xstrdup("starting");
    return m;
}

static void free_strings(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void floe_metrics_free(floe_metrics *m) {
    if (!m) return;
    for (family *f = m->first, *fn; f; f = fn) {
        fn = f->next;
        for (struct floe_metric_series *s = f->first, *sn; s; s = sn) {
            sn = s->next;
            free_strings(s->values, f->nlabels);
            free(s->labels);
            free(s->counts);
            free(s);
        }
        free_strings(f->label_names, f->nlabels);
        free(f->name);
        free(f->help);
        free(f->bounds);
        free(f);
    }
    pthread_mutex_destroy(&m->lock);
    free(m->unready_reason);
    free(m);
}

/* ---- validation ---------------------------------------------------------------- */

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names the same without ':'. */
static int valid_name(const char *s, int colon_ok) {
    if (!*s) return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':') ||
                 (p > s && c >= '0' && c <= '9');
        if (!ok) return 0;
    }
    return 1;
}

static int check_labels(const char *name, enum kind kind, const char *const *labels, size_t *nlabels,
                        floe_err *err) {
    size_t n = 0;
    for (; labels && labels[2 * n]; n++) {
        const char *ln = labels[2 * n], *lv = labels[2 * n + 1];
        if (!lv) return floe_err_set(err, FLOE_EINVAL, "metric %s: label %s has no value", name, ln);
        if (!valid_name(ln, 0) || strncmp(ln, "__", 2) == 0)
            return floe_err_set(err, FLOE_EINVAL,
                                "metric %s: '%s' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
                                name, ln);
        if (kind == K_HISTOGRAM && strcmp(ln, "le") == 0)
            return floe_err_set(err, FLOE_EINVAL, "metric %s: a histogram cannot have a label named le", name);
        if (!floe_utf8_valid((const uint8_t *)lv, strlen(lv)))
            return floe_err_set(err, FLOE_EINVAL, "metric %s: the value of label %s is not UTF-8", name, ln);
        for (size_t j = 0; j < n; j++)
            if (strcmp(labels[2 * j], ln) == 0)
                return floe_err_set(err, FLOE_EINVAL, "metric %s: label %s given twice", name, ln);
    }
    *nlabels = n;
    return 0;
}

static int check_bounds(const char *name, const double *bounds, size_t nbounds, floe_err *err) {
    for (size_t i = 0; i < nbounds; i++) {
        if (!isfinite(bounds[i]))
            return floe_err_set(err, FLOE_EINVAL, "histogram %s: bucket bound %zu is not finite (+Inf is implicit)",
                                name, i);
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return floe_err_set(err, FLOE_EINVAL, "histogram %s: bucket bounds are not strictly increasing at %zu",
                                name, i);
    }
    return 0;
}

/* An existing family must match the new registration in every respect, or
 * the exposition would mix incompatible series under one name. */
static int same_family(const family *f, enum kind kind, const char *help, const char *const *labels,
                       size_t nlabels, const double *bounds, size_t nbounds, floe_err *err) {
    if (f->kind != kind)
        return floe_err_set(err, FLOE_EINVAL, "metric %s: registered as a %s, now as a %s", f->name,
                            KIND_NAME[f->kind], KIND_NAME[kind]);
    if (strcmp(f->help, help) != 0)
        return floe_err_set(err, FLOE_EINVAL, "metric %s: registered with another help text", f->name);
    int same = f->nlabels == nlabels;
    for (size_t i = 0; same && i < nlabels; i++) same = strcmp(f->label_names[i], labels[2 * i]) == 0;
    if (!same) return floe_err_set(err, FLOE_EINVAL, "metric %s: registered with other label names", f->name);
    if (kind == K_HISTOGRAM &&
        (f->nbounds != nbounds || (nbounds && memcmp(f->bounds, bounds, nbounds * sizeof *bounds) != 0)))
        return floe_err_set(err, FLOE_EINVAL, "histogram %s: registered with other buckets", f->name);
    return 0;
}

/* ---- text ---------------------------------------------------------------------- */

/* Label values escape backslash, double quote and newline; help text only
 * backslash and newline (format 0.0.4). */
static void put_escaped(floe_buf *out, const char *s, int quote) {
    for (; *s; s++) {
        if (*s == '\\') floe_buf_puts(out, "\\\\");
        else if (*s == '\n') floe_buf_puts(out, "\\n");
        else if (quote && *s == '"') floe_buf_puts(out, "\\\"");
        else floe_buf_putc(out, (uint8_t)*s);
    }
}

/* Go's ParseFloat spellings for the non-finite values Prometheus reads. */
static void put_double(floe_buf *out, double v) {
    if (isnan(v)) floe_buf_puts(out, "NaN");
    else if (isinf(v)) floe_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else floe_fmt_double(v, out);
}

/* ---- registration -------------------------------------------------------------- */

static struct floe_metric_series *add_series(floe_metrics *m, enum kind kind, const char *name, const char *help,
                                             const char *const *labels, const double *bounds, size_t nbounds,
                                             floe_err *err) {
    size_t nlabels = 0;
    if (!valid_name(name, 1)) {
        floe_err_set(err, FLOE_EINVAL, "'%s' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", name);
        return NULL;
    }
    if (check_labels(name, kind, labels, &nlabels, err) != 0) return NULL;
    if (check_bounds(name, bounds, nbounds, err) != 0) return NULL;

    pthread_mutex_lock(&m->lock);
    family *f = m->first;
    while (f && strcmp(f->name, name) != 0) f = f->next;
    struct floe_metric_series *s = NULL;
    if (f) {
        if (same_family(f, kind, help, labels, nlabels, bounds, nbounds, err) != 0) goto out;
        for (s = f->first; s; s = s->next) {
            size_t i = 0;
            while (i < nlabels && strcmp(s->values[i], labels[2 * i + 1]) == 0) i++;
            if (i == nlabels) goto out;
        }
    } else {
        f = floe_xcalloc(1, sizeof *f);
        f->name = floe_xstrdup(name);
        f->help = floe_xstrdup(help);
        f->kind = kind;
        f->nlabels = nlabels;
        f->label_names = floe_xcalloc(nlabels ? nlabels : 1, sizeof *f->label_names);
        for (size_t i = 0; i < nlabels; i++) f->label_names[i] = floe_xstrdup(labels[2 * i]);
        if (kind == K_HISTOGRAM) {
            f->nbounds = nbounds;
            f->bounds = floe_xcalloc(nbounds ? nbounds : 1, sizeof *f->bounds);
            if (nbounds) memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
        }
        if (m->last) m->last->next = f;
        else m->first = f;
        m->last = f;
    }
    s = floe_xcalloc(1, sizeof *s);
    s->fam = f;
    s->values = floe_xcalloc(nlabels ? nlabels : 1, sizeof *s->values);
    floe_buf text;
    floe_buf_init(&text);
    for (size_t i = 0; i < nlabels; i++) {
        s->values[i] = floe_xstrdup(labels[2 * i + 1]);
        floe_buf_printf(&text, "%s%s=\"", i ? "," : "", labels[2 * i]);
        put_escaped(&text, labels[2 * i + 1], 1);
        floe_buf_putc(&text, '"');
    }
    s->labels = floe_xstrdup(floe_buf_cstr(&text));
    free(text.data);
    atomic_init(&s->value, 0); /* also the bits of 0.0 */
    if (kind == K_HISTOGRAM) {
        s->counts = floe_xcalloc(f->nbounds + 1, sizeof *s->counts);
        for (size_t i = 0; i <= f->nbounds; i++) atomic_init(&s->counts[i], 0);
    }
    if (f->last) f->last->next = s;
    else f->first = s;
    f->last = s;
out:
    pthread_mutex_unlock(&m->lock);
    return s;
}

floe_counter *floe_metrics_counter(floe_metrics *m, const char *name, const char *help, const char *const *labels,
                                   floe_err *err) {
    return add_series(m, K_COUNTER, name, help, labels, NULL, 0, err);
}

floe_gauge *floe_metrics_gauge(floe_metrics *m, const char *name, const char *help, const char *const *labels,
                               floe_err *err) {
    return add_series(m, K_GAUGE, name, help, labels, NULL, 0, err);
}

floe_histogram *floe_metrics_histogram(floe_metrics *m, const char *name, const char *help,
                                       const char *const *labels, const double *bounds, size_t nbounds,
                                       floe_err *err) {
    return add_series(m, K_HISTOGRAM, name, help, labels, bounds, nbounds, err);
}

/* ---- updates (hot path: atomics only) -------------------------------------------- */

void floe_counter_add(floe_counter *c, uint64_t n) { atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed); }

uint64_t floe_counter_value(const floe_counter *c) {
    return atomic_load_explicit(&((floe_counter *)c)->value, memory_order_relaxed);
}

void floe_gauge_set(floe_gauge *g, double v) { atomic_store_explicit(&g->value, bits_of(v), memory_order_relaxed); }

static void add_double(_Atomic uint64_t *a, double delta) {
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, bits_of(double_of(old) + delta), memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void floe_gauge_add(floe_gauge *g, double delta) { add_double(&g->value, delta); }

double floe_gauge_value(const floe_gauge *g) {
    return double_of(atomic_load_explicit(&((floe_gauge *)g)->value, memory_order_relaxed));
}

void floe_histogram_observe(floe_histogram *h, double v) { floe_histogram_observe_n(h, v, 1); }

void floe_histogram_observe_n(floe_histogram *h, double v, uint64_t n) {
    if (n == 0) return;
    const double *b = h->fam->bounds;
    size_t lo = 0, hi = h->fam->nbounds; /* first bound >= v; NaN lands in +Inf */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v <= b[mid]) hi = mid;
        else lo = mid + 1;
    }
    if (isnan(v)) lo = h->fam->nbounds;
    atomic_fetch_add_explicit(&h->counts[lo], n, memory_order_relaxed);
    add_double(&h->value, v * (double)n);
}

/* ---- exposition ------------------------------------------------------------------ */

/* name{labels[,extra]} */
static void put_sample_name(floe_buf *out, const char *name, const char *suffix, const char *labels,
                            const char *extra) {
    floe_buf_puts(out, name);
    floe_buf_puts(out, suffix);
    if (!*labels && !extra) return;
    floe_buf_putc(out, '{');
    floe_buf_puts(out, labels);
    if (extra) {
        if (*labels) floe_buf_putc(out, ',');
        floe_buf_puts(out, extra);
    }
    floe_buf_putc(out, '}');
}

static void expose_histogram(floe_buf *out, const family *f, struct floe_metric_series *s) {
    uint64_t cum = 0;
    floe_buf le;
    floe_buf_init(&le);
    for (size_t i = 0; i <= f->nbounds; i++) {
        cum += atomic_load_explicit(&s->counts[i], memory_order_relaxed);
        floe_buf_reset(&le);
        floe_buf_puts(&le, "le=\"");
        put_double(&le, i < f->nbounds ? f->bounds[i] : INFINITY);
        floe_buf_putc(&le, '"');
        put_sample_name(out, f->name, "_bucket", s->labels, floe_buf_cstr(&le));
        floe_buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
    free(le.data);
    put_sample_name(out, f->name, "_sum", s->labels, NULL);
    floe_buf_putc(out, ' ');
    put_double(out, double_of(atomic_load_explicit(&s->value, memory_order_relaxed)));
    floe_buf_putc(out, '\n');
    put_sample_name(out, f->name, "_count", s->labels, NULL);
    floe_buf_printf(out, " %llu\n", (unsigned long long)cum);
}

void floe_metrics_expose(floe_metrics *m, floe_buf *out) {
    pthread_mutex_lock(&m->lock);
    for (const family *f = m->first; f; f = f->next) {
        floe_buf_printf(out, "# HELP %s ", f->name);
        put_escaped(out, f->help, 0);
        floe_buf_printf(out, "\n# TYPE %s %s\n", f->name, KIND_NAME[f->kind]);
        for (struct floe_metric_series *s = f->first; s; s = s->next) {
            if (f->kind == K_HISTOGRAM) {
                expose_histogram(out, f, s);
                continue;
            }
            put_sample_name(out, f->name, "", s->labels, NULL);
            floe_buf_putc(out, ' ');
            uint64_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
            if (f->kind == K_COUNTER) floe_buf_printf(out, "%llu", (unsigned long long)v);
            else put_double(out, double_of(v));
            floe_buf_putc(out, '\n');
        }
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- readiness ------------------------------------------------------------------- */

void floe_metrics_mark_ready(floe_metrics *m) { atomic_store(&m->ready, 1); }

void floe_metrics_mark_unready(floe_metrics *m, const char *reason) {
    pthread_mutex_lock(&m->lock);
    free(m->unready_reason);
    m->unready_reason = floe_xstrdup(reason);
    atomic_store(&m->ready, 0);
    pthread_mutex_unlock(&m->lock);
}

/* ---- HTTP ------------------------------------------------------------------------ */

struct floe_metrics_server {
    floe_metrics *m;
    struct MHD_Daemon *daemon;
    int port;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, floe_buf *body,
                               const char *allow) {
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_COPY);
    free(body->data);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Answers on the first call for every request: none of the paths takes a
 * body, and a request with one is refused before it is read. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
    floe_metrics *m = ((floe_metrics_server *)cls)->m;
    static const char TEXT[] = "text/plain; charset=utf-8";
    floe_buf body;
    floe_buf_init(&body);
    int known = strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0;
    if (!known) {
        floe_buf_printf(&body, "not found: %s (try /metrics, /healthz or /readyz)\n", url);
        return respond(conn, MHD_HTTP_NOT_FOUND, TEXT, &body, NULL);
    }
    /* HEAD is GET without the body, which libmicrohttpd drops itself. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        floe_buf_printf(&body, "method %s not allowed on %s\n", method, url);
        return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, &body, "GET, HEAD");
    }
    if (strcmp(url, "/metrics") == 0) {
        floe_metrics_expose(m, &body);
        return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &body, NULL);
    }
    if (strcmp(url, "/healthz") == 0) {
        floe_buf_puts(&body, "ok\n");
        return respond(conn, MHD_HTTP_OK, TEXT, &body, NULL);
    }
    pthread_mutex_lock(&m->lock);
    int ready = atomic_load(&m->ready);
    if (ready) floe_buf_puts(&body, "ready\n");
    else floe_buf_printf(&body, "not ready: %s\n", m->unready_reason);
    pthread_mutex_unlock(&m->lock);
    return respond(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, &body, NULL);
}


int floe_metrics_server_start(floe_metrics *m, const char *addr, floe_metrics_server **out, floe_err *err) {
    char host[256], port[6];
    if (floe_listen_split("metrics listen address", addr, host, sizeof host, port, err) != 0) return -1;
    floe_metrics_server *s = floe_xcalloc(1, sizeof *s);
    s->m = m;
    int fd = floe_listen_socket("metrics listen address", addr, host, port, 64, &s->port, err);
    if (fd < 0) {
        free(s);
        return -1;
    }
    /* From here libmicrohttpd owns fd: it closes it when it stops, and when
     * it fails to start.  The timeout and limit keep idle or slow clients
     * from holding the endpoint. */
    s->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET,
                                 fd, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)32, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return floe_err_set(err, FLOE_EIO, "metrics listen address %s: the HTTP server did not start", addr);
    }
    *out = s;
    return 0;
}

int floe_metrics_server_port(const floe_metrics_server *s) { return s->port; }

void floe_metrics_server_stop(floe_metrics_server *s) {
    if (!s) return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
