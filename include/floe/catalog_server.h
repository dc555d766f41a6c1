/*
 * catalog_server.h — an Apache Iceberg REST catalog server (the paths and
 * bodies of rest-catalog-open-api.yaml) in front of floe's SQL catalog, so
 * that any REST client (Java, pyiceberg, iceberg-js, floe's own) shares
 * tables with `floe table ...` through one catalog database.
 *
 * Served: GET /v1/config; namespaces (list, create, load, HEAD, drop,
 * properties); tables (list, create and stage-create, load, HEAD, commit
 * with requirements and updates, drop with purgeRequested); POST
 * /v1/tables/rename; POST /v1/transactions/commit (one SQL transaction);
 * metrics reports (accepted, not kept); POST /v1/oauth/tokens in oauth2
 * mode.  With a prefix, the same paths under /v1/{prefix}/.
 *
 * The server answers from libmicrohttpd's threads, one per connection;
 * each request borrows a catalog (its own database connection) from a
 * pool, so commits to one table race only at the catalog's compare-and-
 * swap of metadata_location, exactly as separate processes would.
 */
#ifndef FLOE_CATALOG_SERVER_H
#define FLOE_CATALOG_SERVER_H

#include <stdint.h>

#include "floe/floe.h"

typedef struct floe_rest_server floe_rest_server;

typedef struct floe_rest_server_opts {
    /* The store: as floe_open_catalog (NULL: $FLOE_CATALOG / $FLOE_WAREHOUSE,
     * then sqlite:<warehouse>/catalog.db and ./warehouse). */
    const char *catalog_uri;
    const char *warehouse;
    /* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one.  NULL =
     * 127.0.0.1:8181. */
    const char *listen;
    /* NULL or "none"; "token:SECRET" (every request needs "Authorization:
     * Bearer SECRET"; "token:@FILE" reads SECRET from FILE's first line);
     * "oauth2:FILE" (clients "id:secret" one a line, or "id:secret:read"
     * for a client whose tokens may only read; tokens from POST
     * /v1/oauth/tokens). */
    const char *auth;
    int64_t token_ttl_s;  /* oauth2 token lifetime; <= 0 means 3600 */
    /* Fault injection for tests of clients, NULL = none: a comma-separated
     * list of KIND:SHARE, KIND one of 500, 503, 409, timeout,
     * after-commit-500, plus the settings timeout-ms:N (how long a
     * "timeout" holds the request, default 30000), seed:N, match:SUBSTR
     * (only requests whose path contains SUBSTR may be faulted) and
     * count:N (at most N faults in all). */
    const char *faults;
    /* Serve under /v1/PREFIX/ (advertised in /v1/config) as well as /v1/. */
    const char *prefix;
    /* One line per request ("GET /v1/config 200 1ms") and notable events;
     * never headers or bodies.  NULL = silent. */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} floe_rest_server_opts;

/* Opens the catalog (failing here if it cannot), binds and starts serving. */
int floe_rest_server_start(const floe_rest_server_opts *opts, floe_rest_server **out, floe_err *err);
/* The bound port (the one picked for port 0) and host as given. */
int floe_rest_server_port(const floe_rest_server *s);
const char *floe_rest_server_host(const floe_rest_server *s);
/* Stops accepting, wakes requests held by the "timeout" fault, waits for
 * the requests in flight and frees everything. */
void floe_rest_server_stop(floe_rest_server *s);

#endif
