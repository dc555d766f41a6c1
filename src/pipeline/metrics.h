/*
 * metrics.h — the pipeline's Prometheus metrics: a registry of counters,
 * gauges and histograms with labels, its text exposition (format 0.0.4),
 * and the HTTP endpoint serving /metrics, /healthz and /readyz.
 *
 * Series are created at start-up (or when a partition is assigned) and
 * return a handle; updating a handle on the hot path is a few atomic
 * operations, with no allocation and no lock.  Creating the same name and
 * label values twice returns the same handle.  Labels are given as a
 * NULL-terminated array of name/value pairs:
 *     const char *const l[] = {"table", "db.events", NULL};
 *     floe_counter *c = floe_metrics_counter(m, "floe_records_in_total", "Records read.", l, err);
 *     floe_counter_add(c, n);
 * Handles live as long as the registry.  The registry starts "not ready"
 * (reason "starting") until floe_metrics_mark_ready().
 */
#ifndef FLOE_PIPELINE_METRICS_H
#define FLOE_PIPELINE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"

typedef struct floe_metrics floe_metrics;
typedef struct floe_metric_series floe_counter;
typedef struct floe_metric_series floe_gauge;
typedef struct floe_metric_series floe_histogram;

floe_metrics *floe_metrics_new(void);
/* Frees the registry and every handle; stop its server first. */
void floe_metrics_free(floe_metrics *m);

/* NULL with err set when the name or a label name is invalid, or when the
 * name was registered before with another type, help text, label names or
 * (for histograms) buckets.  Histogram bounds are finite and strictly
 * increasing; the +Inf bucket is implicit. */
floe_counter *floe_metrics_counter(floe_metrics *m, const char *name, const char *help, const char *const *labels,
                                   floe_err *err);
floe_gauge *floe_metrics_gauge(floe_metrics *m, const char *name, const char *help, const char *const *labels,
                               floe_err *err);
floe_histogram *floe_metrics_histogram(floe_metrics *m, const char *name, const char *help,
                                       const char *const *labels, const double *bounds, size_t nbounds,
                                       floe_err *err);

void floe_counter_add(floe_counter *c, uint64_t n);
uint64_t floe_counter_value(const floe_counter *c);
void floe_gauge_set(floe_gauge *g, double v);
void floe_gauge_add(floe_gauge *g, double delta);
double floe_gauge_value(const floe_gauge *g);
void floe_histogram_observe(floe_histogram *h, double v);
/* n observations of the same value at once: one bucket search and two
 * atomic updates instead of n of each (the per-record freshness of a
 * commit comes in runs of equal timestamps). */
void floe_histogram_observe_n(floe_histogram *h, double v, uint64_t n);

/* Appends the exposition of every series, families in registration order. */
void floe_metrics_expose(floe_metrics *m, floe_buf *out);

void floe_metrics_mark_ready(floe_metrics *m);
/* Back to not ready, /readyz answering 503 with the reason. */
void floe_metrics_mark_unready(floe_metrics *m, const char *reason);

/* ---- HTTP endpoint ---- */
typedef struct floe_metrics_server floe_metrics_server;

/* Serves m on addr ("host:port" or "[ipv6]:port"; port 0 picks a free
 * port) from a thread of its own.  -1 naming the address when it cannot be
 * resolved or bound. */
int floe_metrics_server_start(floe_metrics *m, const char *addr, floe_metrics_server **out, floe_err *err);
/* The port actually bound. */
int floe_metrics_server_port(const floe_metrics_server *s);
/* Stops serving, closes the socket and frees s; NULL is allowed. */
void floe_metrics_server_stop(floe_metrics_server *s);

#endif
