/*
 * rest_server.c — the Iceberg REST catalog server (see floe/catalog_server.h).
 *
 * Requests: libmicrohttpd runs one thread per connection and calls
 * handle() as the request arrives; the body is gathered into a `request`,
 * and when it is complete serve() routes it and fills a `reply` (status,
 * JSON body, headers) that handle() queues.  The path is taken raw (the
 * unescape callback is a no-op) and split at '/' before each segment is
 * percent-decoded, so that a table name may hold an encoded '/'; a
 * namespace segment is split at the unit separator 0x1F into levels.
 * floe's catalogs name namespaces with dots, so a level holding '.' is
 * refused (400) rather than silently turned into two levels.
 *
 * The store: each request borrows a floe_catalog from a pool (opening one
 * when none is idle) and gives it back, so that no two threads share a
 * database connection; the SQL catalog's compare-and-swap of
 * metadata_location then decides races between commits as it does
 * between processes.
 *
 * Commits: a table's requirements and updates are parsed by the commit
 * model's JSON readers (iceberg/updates.c) and handed to commit_table.
 * stage-create and its create transaction are the catalog's own (catalog.h
 * floe_table_create.stage; a commit with assert-create applies the updates
 * to nothing and registers the table in one step, sql.c); a create
 * transaction inside POST /v1/transactions/commit is not supported (404).
 *
 * Errors: {"error":{"message","type","code"}} with the spec's codes and
 * Java's exception names (NoSuchTableException, CommitFailedException,
 * ...), so that Java's ErrorHandlers raise the right exception.  A commit
 * that fails for a reason other than a failed requirement is a 500
 * CommitStateUnknownException: the client must reload before retrying.
 *
 * Auth: none, a static bearer token, or OAuth2 client credentials (tokens
 * are 32 random bytes in hex, kept in memory with their expiry; RFC 8693
 * token exchange of a live token refreshes it).  Secrets and tokens are
 * compared in constant time and never logged.
 *
 * Faults (testing aid): per request, one uniform draw picks at most one of
 * the configured faults by their shares.  500 and 503 answer without doing
 * anything; 409 (commits only) answers CommitFailedException without
 * committing; after-commit-500 (commits only) commits and then answers
 * 500 CommitStateUnknownException; timeout holds the request for
 * timeout-ms and then carries it out (its answer usually reaches nobody,
 * and a commit may land after the client gave up).  /v1/config and the
 * token endpoint are never faulted.  Two settings make faults
 * deterministic for a test that needs one path hit a known number of
 * times: match:SUBSTR lets only requests whose raw path contains SUBSTR
 * draw (e.g. one table's loads and commits), and count:N ends fault
 * injection after N injected faults in all (with a share of 1, exactly the
 * first N matching requests fail).
 */
#include "floe/catalog_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "iceberg/metadata.h"
#include "iceberg/schema.h"
#include "util/net.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text.h"

#define DEFAULT_LISTEN "127.0.0.1:8181"
#define DEFAULT_WAREHOUSE "./warehouse"
#define DEFAULT_TOKEN_TTL_S 3600
#define DEFAULT_FAULT_TIMEOUT_MS 30000
#define MAX_BODY (64u << 20)
#define MAX_IDLE_CATALOGS 16
#define TOKEN_BYTES 32

/* ---- the server ------------------------------------------------------------------ */

enum auth_mode { AUTH_NONE, AUTH_TOKEN, AUTH_OAUTH2 };

typedef struct client {
    char *id, *secret;
    int read_only;
} client;

typedef struct token {
    char value[2 * TOKEN_BYTES + 1];
    int64_t expires_ms;
    int client; /* index into clients */
} token;

enum fault { F_NONE, F_500, F_503, F_409, F_TIMEOUT, F_AFTER_COMMIT_500, NFAULTS };
static const char *const FAULT_NAMES[NFAULTS] = {"", "500", "503", "409", "timeout", "after-commit-500"};

struct floe_rest_server {
    char *uri, *warehouse, *warehouse_uri, *prefix, *host;
    int port;
    struct MHD_Daemon *daemon;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;

    pthread_mutex_t lock; /* the pool, the tokens, the random state, stopping */
    pthread_cond_t wake;  /* stopping, for requests held by the timeout fault */
    floe_catalog *idle[MAX_IDLE_CATALOGS];
    int nidle;
    int stopping;

    enum auth_mode auth;
    char *secret;          /* AUTH_TOKEN */
    client *clients;       /* AUTH_OAUTH2 */
    int nclients;
    token *tokens;
    int ntokens, captokens;
    int64_t token_ttl_s;

    double share[NFAULTS];
    int any_fault;
    int64_t fault_timeout_ms;
    char *fault_match;     /* only paths containing this draw; NULL = all */
    int64_t faults_left;   /* count:N, how many may still be injected; -1 = no limit */
    uint64_t rng;
};

FLOE_PRINTF(2, 3)
static void logf_(floe_rest_server *s, const char *fmt, ...) {
    if (!s->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, line);
}

/* xorshift64*: the fault draws need no more than that. */
static double draw(floe_rest_server *s) {
    pthread_mutex_lock(&s->lock);
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    pthread_mutex_unlock(&s->lock);
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static int random_bytes(void *p, size_t n) {
    uint8_t *b = p;
    while (n > 0) {
        ssize_t got = getrandom(b, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += got;
        n -= (size_t)got;
    }
    return 0;
}

/* Equal strings, in time that depends only on their lengths. */
static int same_secret(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = na != nb;
    for (size_t i = 0; i < na; i++) d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
    return d == 0;
}

/* ---- the catalog pool --------------------------------------------------------------- */

static floe_catalog *pool_get(floe_rest_server *s, floe_err *err) {
    pthread_mutex_lock(&s->lock);
    floe_catalog *c = s->nidle > 0 ? s->idle[--s->nidle] : NULL;
    pthread_mutex_unlock(&s->lock);
    if (c) return c;
    return floe_catalog_open(s->uri, s->warehouse, NULL, err);
}

static void pool_put(floe_rest_server *s, floe_catalog *c) {
    if (!c) return;
    pthread_mutex_lock(&s->lock);
    if (s->nidle < MAX_IDLE_CATALOGS) {
        s->idle[s->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    floe_catalog_free(c);
}

/* ---- replies ------------------------------------------------------------------------ */

typedef struct reply {
    unsigned status;
    floe_buf body;
    const char *type; /* content type; NULL = application/json */
    char etag[40];
    const char *allow;
    int challenge;    /* add WWW-Authenticate */
    int committed;    /* a commit was applied (for after-commit-500) */
    const char *note; /* for the log line */
} reply;

static void put_str(floe_buf *b, const char *s) { floe_json_escape((const uint8_t *)s, strlen(s), b); }

FLOE_PRINTF(4, 5)
static void fail(reply *rp, unsigned status, const char *type, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rp->status = status;
    rp->type = NULL;
    floe_buf_reset(&rp->body);
    floe_buf_puts(&rp->body, "{\"error\":{\"message\":");
    put_str(&rp->body, msg);
    floe_buf_puts(&rp->body, ",\"type\":");
    put_str(&rp->body, type);
    floe_buf_printf(&rp->body, ",\"code\":%u}}", status);
}

/* What a failed catalog call means for the client. */
enum what { W_NAMESPACE, W_TABLE, W_CREATE, W_COMMIT };

static void fail_err(reply *rp, const floe_err *e, enum what w) {
    switch (e->code) {
    case FLOE_EINVAL: fail(rp, 400, "BadRequestException", "%s", e->msg); return;
    case FLOE_EUNSUPPORTED:
        if (w == W_COMMIT) fail(rp, 400, "BadRequestException", "%s", e->msg);
        else fail(rp, 406, "UnsupportedOperationException", "%s", e->msg);
        return;
    case FLOE_ENOTFOUND:
        fail(rp, 404, w == W_NAMESPACE || w == W_CREATE ? "NoSuchNamespaceException" : "NoSuchTableException", "%s",
             e->msg);
        return;
    case FLOE_EEXISTS: fail(rp, 409, "AlreadyExistsException", "%s", e->msg); return;
    case FLOE_ECONFLICT:
        fail(rp, 409,
             w == W_COMMIT ? "CommitFailedException"
             : w == W_NAMESPACE ? "NamespaceNotEmptyException"
                                : "CommitFailedException",
             "%s", e->msg);
        return;
    default:
        fail(rp, 500, w == W_COMMIT ? "CommitStateUnknownException" : "InternalServerError", "%s", e->msg);
        return;
    }
}

/* ---- text helpers ---------------------------------------------------------------------- */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) (and '+' as space when `plus`); NULL when a
 * '%' is not followed by two hex digits or the result holds a NUL. */
static char *pct_decode(const char *s, size_t n, int plus) {
    char *out = floe_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int a = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int b = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            int h = a < 0 || b < 0 ? -1 : a * 16 + b;
            if (h <= 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)h;
            i += 2;
        } else {
            *o++ = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = 0;
    return out;
}

/* A query argument, percent-decoded (the unescape callback leaves them
 * raw); NULL when absent.  *bad is set when it cannot be decoded. */
static char *query_arg(struct MHD_Connection *conn, const char *key, int *bad) {
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
    if (!v) return NULL;
    char *d = pct_decode(v, strlen(v), 1);
    if (!d) *bad = 1;
    return d;
}

/* A namespace from its URL form (levels separated by 0x1F) to floe's
 * dotted form; NULL after filling rp. */
static char *ns_from_url(const char *seg, reply *rp) {
    if (!*seg) {
        fail(rp, 400, "BadRequestException", "empty namespace");
        return NULL;
    }
    char *out = floe_xstrdup(seg);
    for (char *p = out; *p; p++) {
        if (*p == '.') {
            fail(rp, 400, "BadRequestException",
                 "namespace level \"%s\": floe's catalog cannot hold a namespace level containing '.'", seg);
            free(out);
            return NULL;
        }
        if (*p == 0x1f) *p = '.';
    }
    /* Empty levels: leading, trailing or doubled separators. */
    size_t n = strlen(out);
    if (out[0] == '.' || out[n - 1] == '.' || strstr(out, "..")) {
        fail(rp, 400, "BadRequestException", "namespace has an empty level");
        free(out);
        return NULL;
    }
    return out;
}

/* A namespace from its JSON form (an array of levels) to the dotted form. */
static char *ns_from_json(const json_t *a, const char *what, reply *rp) {
    if (!json_is_array(a) || json_array_size(a) == 0) {
        fail(rp, 400, "BadRequestException", "%s: a namespace must be a non-empty array of strings", what);
        return NULL;
    }
    floe_buf b;
    floe_buf_init(&b);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *l = json_array_get(a, i);
        const char *s = json_string_value(l);
        if (!s || !*s || strchr(s, '.') || strchr(s, 0x1f) || strlen(s) != json_string_length(l)) {
            fail(rp, 400, "BadRequestException",
                 "%s: namespace level %zu must be a non-empty string without '.' (floe's catalog separates levels "
                 "with dots)",
                 what, i);
            floe_buf_free(&b);
            return NULL;
        }
        if (i) floe_buf_putc(&b, '.');
        floe_buf_puts(&b, s);
    }
    char *out = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return out;
}

/* ["a","b"] for "a.b". */
static void put_ns(floe_buf *b, const char *ns) {
    floe_buf_putc(b, '[');
    const char *p = ns;
    for (int first = 1;; first = 0) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!first) floe_buf_putc(b, ',');
        floe_json_escape((const uint8_t *)p, n, b);
        if (!dot) break;
        p = dot + 1;
    }
    floe_buf_putc(b, ']');
}

static void put_props(floe_buf *b, const floe_props *p) {
    floe_buf_putc(b, '{');
    for (int i = 0; i < p->n; i++) {
        if (i) floe_buf_putc(b, ',');
        put_str(b, p->items[i].key);
        floe_buf_putc(b, ':');
        put_str(b, p->items[i].value);
    }
    floe_buf_putc(b, '}');
}

/* An object of strings into props; -1 after filling rp. */
static int props_from_json(const json_t *o, const char *what, floe_props *out, reply *rp) {
    floe_props_init(out);
    if (!o || json_is_null(o)) return 0;
    if (!json_is_object(o)) {
        fail(rp, 400, "BadRequestException", "%s must be an object of strings", what);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (!json_is_string(v)) {
            fail(rp, 400, "BadRequestException", "%s: the value of \"%s\" must be a string", what, k);
            floe_props_free(out);
            return -1;
        }
        floe_props_set(out, k, json_string_value(v));
    }
    return 0;
}

/* The parsed JSON body, which must be an object; NULL after filling rp. */
static json_t *body_json(const floe_buf *body, reply *rp) {
    json_error_t je;
    json_t *j = body->len ? json_loadb((const char *)body->data, body->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!body->len) {
        fail(rp, 400, "BadRequestException", "the request needs a JSON body");
        return NULL;
    }
    if (!j) {
        fail(rp, 400, "BadRequestException", "malformed JSON body: line %d column %d: %s", je.line, je.column,
             je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        fail(rp, 400, "BadRequestException", "the request body must be a JSON object");
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- pagination ---------------------------------------------------------------------- */

/* Which of n results to return: all when the client sent no pageToken
 * (the spec's rule), else pageSize of them from the offset the token
 * names.  *next is -1 on the last page.  -1 after filling rp. */
static int page(struct MHD_Connection *conn, int n, int *from, int *to, long *next, int *paged, reply *rp) {
    int bad = 0;
    char *tok = query_arg(conn, "pageToken", &bad), *size = query_arg(conn, "pageSize", &bad);
    int rc = 0;
    long off = 0, lim = n;
    char *end;
    *paged = tok != NULL;
    if (bad) {
        rc = -1;
        fail(rp, 400, "BadRequestException", "malformed pageToken or pageSize");
    } else if (size) {
        errno = 0;
        lim = strtol(size, &end, 10);
        if (errno || *end || end == size || lim < 1) {
            rc = -1;
            fail(rp, 400, "BadRequestException", "pageSize must be a positive integer, not \"%s\"", size);
        }
    }
    if (rc == 0 && tok && *tok) {
        errno = 0;
        off = strtol(tok, &end, 10);
        if (errno || *end || off < 0) {
            rc = -1;
            fail(rp, 400, "BadRequestException", "pageToken \"%s\" is not one this server gave", tok);
        }
    }
    if (rc == 0) {
        if (!tok) lim = n;
        if (off > n) off = n;
        *from = (int)off;
        *to = lim >= n - off ? n : (int)(off + lim);
        *next = *to < n ? *to : -1;
    }
    free(tok);
    free(size);
    return rc;
}

static void put_next_token(floe_buf *b, int paged, long next) {
    if (!paged) return;
    if (next < 0) floe_buf_puts(b, ",\"next-page-token\":null");
    else floe_buf_printf(b, ",\"next-page-token\":\"%ld\"", next);
}

/* ---- config and auth -------------------------------------------------------------------- */

static const char *const ENDPOINTS[] = {
    "GET /v1/{prefix}/namespaces",
    "POST /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "DELETE /v1/{prefix}/namespaces/{namespace}",
    "POST /v1/{prefix}/namespaces/{namespace}/properties",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/tables",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
    "POST /v1/{prefix}/tables/rename",
    "POST /v1/{prefix}/transactions/commit",
};

static void get_config(floe_rest_server *s, reply *rp) {
    floe_buf *b = &rp->body;
    floe_buf_puts(b, "{\"defaults\":{},\"overrides\":{\"warehouse\":");
    put_str(b, s->warehouse_uri);
    if (s->prefix) {
        floe_buf_puts(b, ",\"prefix\":");
        put_str(b, s->prefix);
    }
    floe_buf_puts(b, "},\"endpoints\":[");
    for (size_t i = 0; i < sizeof ENDPOINTS / sizeof ENDPOINTS[0]; i++) {
        if (i) floe_buf_putc(b, ',');
        put_str(b, ENDPOINTS[i]);
    }
    floe_buf_puts(b, "]}");
    rp->status = 200;
}

/* The bearer token of the request, or NULL. */
static const char *bearer(struct MHD_Connection *conn) {
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    return *h ? h : NULL;
}

/* Drops expired tokens; the lock is held. */
static void prune_tokens(floe_rest_server *s, int64_t now) {
    int kept = 0;
    for (int i = 0; i < s->ntokens; i++)
        if (s->tokens[i].expires_ms > now) s->tokens[kept++] = s->tokens[i];
    s->ntokens = kept;
}

/* The client owning a live token: its index, -1 unknown, -2 expired. */
static int token_client(floe_rest_server *s, const char *t) {
    int64_t now = floe_wall_ms();
    int found = -1;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->ntokens; i++)
        if (same_secret(t, s->tokens[i].value)) found = s->tokens[i].expires_ms > now ? s->tokens[i].client : -2;
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* 0 when the request may go on, else -1 with rp filled (401 or 403). */
static int authorize(floe_rest_server *s, struct MHD_Connection *conn, const char *method, reply *rp) {
    if (s->auth == AUTH_NONE) return 0;
    const char *t = bearer(conn);
    if (!t) {
        rp->challenge = 1;
        fail(rp, 401, "NotAuthorizedException", "missing bearer token (Authorization: Bearer ...)");
        return -1;
    }
    if (s->auth == AUTH_TOKEN) {
        if (same_secret(t, s->secret)) return 0;
        rp->challenge = 1;
        fail(rp, 401, "NotAuthorizedException", "the bearer token is not valid");
        return -1;
    }
    int c = token_client(s, t);
    if (c < 0) {
        rp->challenge = 1;
        fail(rp, 401, "NotAuthorizedException", c == -2 ? "the bearer token has expired" : "unknown bearer token");
        return -1;
    }
    if (s->clients[c].read_only && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        fail(rp, 403, "ForbiddenException", "client %s may only read", s->clients[c].id);
        return -1;
    }
    return 0;
}

/* ---- OAuth2 tokens --------------------------------------------------------------------- */

static void oauth_fail(reply *rp, unsigned status, const char *error, const char *desc) {
    rp->status = status;
    floe_buf_reset(&rp->body);
    floe_buf_puts(&rp->body, "{\"error\":");
    put_str(&rp->body, error);
    floe_buf_puts(&rp->body, ",\"error_description\":");
    put_str(&rp->body, desc);
    floe_buf_putc(&rp->body, '}');
}

/* The value of `key` in a form-encoded body, decoded; NULL when absent. */
static char *form_value(const floe_buf *body, const char *key) {
    const char *p = (const char *)body->data, *end = p + body->len;
    size_t klen = strlen(key);
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq) {
            char *k = pct_decode(p, (size_t)(eq - p), 1);
            int match = k && strlen(k) == klen && strcmp(k, key) == 0;
            free(k);
            if (match) return pct_decode(eq + 1, (size_t)(stop - eq - 1), 1);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* client_id and client_secret from an HTTP Basic header, if any. */
static void basic_credentials(struct MHD_Connection *conn, char **id, char **secret) {
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return;
    floe_buf dec;
    floe_buf_init(&dec);
    const char *v = h + 6;
    if (floe_base64_decode(v, strlen(v), &dec) == 0) {
        const char *t = floe_buf_cstr(&dec);
        const char *colon = strchr(t, ':');
        if (colon) {
            /* RFC 6749 2.3.1: both parts are form-encoded. */
            *id = pct_decode(t, (size_t)(colon - t), 1);
            *secret = pct_decode(colon + 1, strlen(colon + 1), 1);
        }
    }
    floe_buf_free(&dec);
}

static void issue_token(floe_rest_server *s, int client_ix, const char *scope, reply *rp) {
    uint8_t raw[TOKEN_BYTES];
    if (random_bytes(raw, sizeof raw)) {
        oauth_fail(rp, 500, "invalid_request", "no randomness for a token");
        return;
    }
    token t;
    for (int i = 0; i < TOKEN_BYTES; i++) snprintf(t.value + 2 * i, 3, "%02x", raw[i]);
    int64_t now = floe_wall_ms();
    t.expires_ms = now + s->token_ttl_s * 1000;
    t.client = client_ix;
    pthread_mutex_lock(&s->lock);
    prune_tokens(s, now);
    if (s->ntokens == s->captokens) {
        s->captokens = s->captokens ? 2 * s->captokens : 16;
        s->tokens = floe_xrealloc(s->tokens, sizeof *s->tokens * (size_t)s->captokens);
    }
    s->tokens[s->ntokens++] = t;
    pthread_mutex_unlock(&s->lock);
    rp->status = 200;
    floe_buf *b = &rp->body;
    floe_buf_printf(b, "{\"access_token\":\"%s\",\"token_type\":\"bearer\",\"expires_in\":%" PRId64
                       ",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\",\"scope\":",
                    t.value, s->token_ttl_s);
    put_str(b, scope && *scope ? scope : "catalog");
    floe_buf_putc(b, '}');
}

static void post_token(floe_rest_server *s, struct MHD_Connection *conn, const floe_buf *body, reply *rp) {
    rp->note = "token";
    if (s->auth != AUTH_OAUTH2) {
        oauth_fail(rp, 400, "unsupported_grant_type",
                   "this server does not issue tokens (it runs without --auth oauth2)");
        return;
    }
    char *grant = form_value(body, "grant_type"), *id = form_value(body, "client_id"),
         *secret = form_value(body, "client_secret"), *scope = form_value(body, "scope"),
         *subject = form_value(body, "subject_token");
    if (!id && !secret) basic_credentials(conn, &id, &secret);
    if (!grant) {
        oauth_fail(rp, 400, "invalid_request", "missing grant_type");
    } else if (strcmp(grant, "client_credentials") == 0) {
        int found = -1;
        if (id && secret)
            for (int i = 0; i < s->nclients; i++)
                if (strcmp(s->clients[i].id, id) == 0 && same_secret(secret, s->clients[i].secret)) found = i;
        if (!id || !secret)
            oauth_fail(rp, 400, "invalid_request", "client_credentials needs client_id and client_secret");
        else if (found < 0) oauth_fail(rp, 401, "invalid_client", "unknown client or wrong secret");
        else issue_token(s, found, scope, rp);
    } else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:token-exchange") == 0) {
        /* Refreshing: a live token of ours buys a new one for its client. */
        int c = subject ? token_client(s, subject) : -1;
        if (!subject) oauth_fail(rp, 400, "invalid_request", "token exchange needs subject_token");
        else if (c < 0)
            oauth_fail(rp, 401, "invalid_client",
                       c == -2 ? "the subject token has expired" : "unknown subject token");
        else issue_token(s, c, scope, rp);
    } else {
        oauth_fail(rp, 400, "unsupported_grant_type", "grant_type must be client_credentials or token exchange");
    }
    free(grant);
    free(id);
    free(secret);
    free(scope);
    free(subject);
}

/* ---- namespaces ---------------------------------------------------------------------- */

static void list_namespaces(floe_catalog *c, struct MHD_Connection *conn, reply *rp) {
    int bad = 0;
    char *parent_raw = query_arg(conn, "parent", &bad), *parent = NULL;
    if (bad) {
        fail(rp, 400, "BadRequestException", "malformed parent");
        free(parent_raw);
        return;
    }
    if (parent_raw && *parent_raw && !(parent = ns_from_url(parent_raw, rp))) {
        free(parent_raw);
        return;
    }
    free(parent_raw);
    char **names = NULL;
    int n = 0;
    floe_err err = {0};
    if (c->list_namespaces(c, parent, &names, &n, &err)) {
        fail_err(rp, &err, W_NAMESPACE);
    } else {
        int from, to, paged;
        long next;
        if (page(conn, n, &from, &to, &next, &paged, rp) == 0) {
            floe_buf *b = &rp->body;
            floe_buf_puts(b, "{\"namespaces\":[");
            for (int i = from; i < to; i++) {
                if (i > from) floe_buf_putc(b, ',');
                put_ns(b, names[i]);
            }
            floe_buf_putc(b, ']');
            put_next_token(b, paged, next);
            floe_buf_putc(b, '}');
            rp->status = 200;
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    free(parent);
}

static void create_namespace(floe_catalog *c, const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    floe_props props;
    char *ns = ns_from_json(json_object_get(j, "namespace"), "namespace", rp);
    if (ns && props_from_json(json_object_get(j, "properties"), "properties", &props, rp) == 0) {
        floe_err err = {0};
        if (c->create_namespace(c, ns, &props, &err)) {
            if (err.code == FLOE_EEXISTS) fail(rp, 409, "AlreadyExistsException", "%s", err.msg);
            else fail_err(rp, &err, W_NAMESPACE);
        } else {
            floe_buf *b = &rp->body;
            floe_buf_puts(b, "{\"namespace\":");
            put_ns(b, ns);
            floe_buf_puts(b, ",\"properties\":");
            put_props(b, &props);
            floe_buf_putc(b, '}');
            rp->status = 200;
        }
        floe_props_free(&props);
    }
    free(ns);
    json_decref(j);
}

static void load_namespace(floe_catalog *c, const char *ns, int head, reply *rp) {
    floe_props props;
    floe_err err = {0};
    if (c->load_namespace(c, ns, &props, &err)) {
        fail_err(rp, &err, W_NAMESPACE);
        return;
    }
    if (head) {
        rp->status = 204;
    } else {
        floe_buf *b = &rp->body;
        floe_buf_puts(b, "{\"namespace\":");
        put_ns(b, ns);
        floe_buf_puts(b, ",\"properties\":");
        put_props(b, &props);
        floe_buf_putc(b, '}');
        rp->status = 200;
    }
    floe_props_free(&props);
}

static void drop_namespace(floe_catalog *c, const char *ns, reply *rp) {
    floe_err err = {0};
    if (c->drop_namespace(c, ns, &err)) fail_err(rp, &err, W_NAMESPACE);
    else rp->status = 204;
}

static void update_namespace(floe_catalog *c, const char *ns, const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    floe_props set, cur;
    const json_t *rem = json_object_get(j, "removals");
    size_t nrem = json_array_size(rem);
    char **removals = floe_xcalloc(nrem + 1, sizeof *removals);
    if (props_from_json(json_object_get(j, "updates"), "updates", &set, rp)) goto out_removals;
    if (rem && !json_is_null(rem) && !json_is_array(rem)) {
        fail(rp, 400, "BadRequestException", "removals must be an array of strings");
        goto out_set;
    }
    for (size_t i = 0; i < nrem; i++) {
        const char *k = json_string_value(json_array_get(rem, i));
        if (!k) {
            fail(rp, 400, "BadRequestException", "removals[%zu] must be a string", i);
            goto out_set;
        }
        if (floe_props_get(&set, k)) {
            fail(rp, 422, "UnprocessableEntityException", "property %s is both updated and removed", k);
            goto out_set;
        }
        removals[i] = floe_xstrdup(k);
    }
    floe_err err = {0};
    /* What was there decides "removed" against "missing". */
    if (c->load_namespace(c, ns, &cur, &err)) {
        fail_err(rp, &err, W_NAMESPACE);
        goto out_set;
    }
    if (c->update_namespace(c, ns, &set, removals, (int)nrem, &err)) {
        fail_err(rp, &err, W_NAMESPACE);
    } else {
        floe_buf *b = &rp->body;
        floe_buf_puts(b, "{\"updated\":[");
        for (int i = 0; i < set.n; i++) {
            if (i) floe_buf_putc(b, ',');
            put_str(b, set.items[i].key);
        }
        for (int pass = 0; pass < 2; pass++) {
            floe_buf_puts(b, pass == 0 ? "],\"removed\":[" : "],\"missing\":[");
            int first = 1;
            for (size_t i = 0; i < nrem; i++) {
                int had = floe_props_get(&cur, removals[i]) != NULL;
                if (had != (pass == 0)) continue;
                if (!first) floe_buf_putc(b, ',');
                first = 0;
                put_str(b, removals[i]);
            }
        }
        floe_buf_puts(b, "]}");
        rp->status = 200;
    }
    floe_props_free(&cur);
out_set:
    floe_props_free(&set);
out_removals:
    for (size_t i = 0; i < nrem; i++) free(removals[i]);
    free(removals);
    json_decref(j);
}

/* ---- tables ------------------------------------------------------------------------ */

/* FNV-1a over the metadata location and the snapshots mode: a new
 * location is a new version, and the two modes are different bodies. */
static void make_etag(const char *loc, int refs_only, char out[40]) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = loc; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ (uint8_t)(refs_only ? 'r' : 'a')) * 0x100000001b3ULL;
    snprintf(out, 40, "\"%016" PRIx64 "\"", h);
}

/* Appends the metadata JSON, keeping only the snapshots refs point at when
 * refs_only. */
static void put_metadata(floe_buf *b, const floe_ice_metadata *m, int refs_only) {
    if (!refs_only) {
        floe_ice_metadata_to_json(m, b);
        return;
    }
    floe_buf full;
    floe_buf_init(&full);
    floe_ice_metadata_to_json(m, &full);
    json_t *j = json_loadb((const char *)full.data, full.len, 0, NULL);
    json_t *snaps = j ? json_object_get(j, "snapshots") : NULL;
    if (json_is_array(snaps)) {
        for (size_t i = json_array_size(snaps); i-- > 0;) {
            json_int_t id = json_integer_value(json_object_get(json_array_get(snaps, i), "snapshot-id"));
            int referenced = 0;
            for (int r = 0; r < m->nrefs; r++) referenced |= m->refs[r].snapshot_id == id;
            if (!referenced) json_array_remove(snaps, i);
        }
        char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        floe_buf_puts(b, text);
        free(text);
    } else {
        floe_buf_append(b, full.data, full.len);
    }
    json_decref(j);
    floe_buf_free(&full);
}

/* A LoadTableResult (also CommitTableResponse's members) for a state;
 * `loc` NULL for staged metadata. */
static void table_result(reply *rp, const floe_ice_metadata *m, const char *loc, int refs_only) {
    floe_buf *b = &rp->body;
    floe_buf_puts(b, "{\"metadata-location\":");
    if (loc) put_str(b, loc);
    else floe_buf_puts(b, "null");
    floe_buf_puts(b, ",\"metadata\":");
    put_metadata(b, m, refs_only);
    floe_buf_puts(b, ",\"config\":{}}");
    if (loc) make_etag(loc, refs_only, rp->etag);
    rp->status = 200;
}

static int namespace_exists(floe_catalog *c, const char *ns, reply *rp) {
    floe_props p;
    floe_err err = {0};
    int rc = c->load_namespace(c, ns, &p, &err);
    floe_props_free(&p);
    if (rc) fail_err(rp, &err, W_NAMESPACE);
    return rc == 0;
}

static void list_tables(floe_catalog *c, struct MHD_Connection *conn, const char *ns, reply *rp) {
    if (!namespace_exists(c, ns, rp)) return;
    char **names = NULL;
    int n = 0;
    floe_err err = {0};
    if (c->list_tables(c, ns, &names, &n, &err)) {
        fail_err(rp, &err, W_NAMESPACE);
    } else {
        int from, to, paged;
        long next;
        if (page(conn, n, &from, &to, &next, &paged, rp) == 0) {
            floe_buf *b = &rp->body;
            floe_buf_puts(b, "{\"identifiers\":[");
            for (int i = from; i < to; i++) {
                if (i > from) floe_buf_putc(b, ',');
                floe_buf_puts(b, "{\"namespace\":");
                put_ns(b, ns);
                floe_buf_puts(b, ",\"name\":");
                put_str(b, names[i]);
                floe_buf_putc(b, '}');
            }
            floe_buf_putc(b, ']');
            put_next_token(b, paged, next);
            floe_buf_putc(b, '}');
            rp->status = 200;
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void create_table(floe_rest_server *s, floe_catalog *c, const char *ns, const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    floe_err err = {0};
    floe_ice_schema *schema = NULL;
    floe_ice_partition_spec spec = {0};
    floe_ice_sort_order order = {0};
    int has_spec = 0, has_order = 0;
    floe_props props;
    floe_props_init(&props);
    const char *name = json_string_value(json_object_get(j, "name"));
    const json_t *loc_j = json_object_get(j, "location"), *spec_j = json_object_get(j, "partition-spec"),
                 *order_j = json_object_get(j, "write-order"), *stage_j = json_object_get(j, "stage-create");
    if (!name || !*name) {
        fail(rp, 400, "BadRequestException", "create table: \"name\" must be a non-empty string");
        goto out;
    }
    if (loc_j && !json_is_null(loc_j) && !json_is_string(loc_j)) {
        fail(rp, 400, "BadRequestException", "create table %s: \"location\" must be a string", name);
        goto out;
    }
    if (stage_j && !json_is_null(stage_j) && !json_is_boolean(stage_j)) {
        fail(rp, 400, "BadRequestException", "create table %s: \"stage-create\" must be a boolean", name);
        goto out;
    }
    const json_t *schema_j = json_object_get(j, "schema");
    if (!schema_j) {
        fail(rp, 400, "BadRequestException", "create table %s: missing \"schema\"", name);
        goto out;
    }
    if (!(schema = floe_ice_schema_from_json(schema_j, &err))) {
        floe_err_prefix(&err, "create table %s: schema", name);
        fail_err(rp, &err, W_CREATE);
        goto out;
    }
    if (spec_j && !json_is_null(spec_j)) {
        /* A new table's spec id is the server's to assign: the request may
         * leave it out. */
        json_t *copy = json_is_object(spec_j) ? json_copy((json_t *)spec_j) : json_incref((json_t *)spec_j);
        if (json_is_object(copy) && !json_object_get(copy, "spec-id"))
            json_object_set_new(copy, "spec-id", json_integer(0));
        int rc = floe_ice_spec_from_json(copy, &spec, &err);
        json_decref(copy);
        if (rc) {
            floe_err_prefix(&err, "create table %s", name);
            fail_err(rp, &err, W_CREATE);
            goto out;
        }
        has_spec = spec.nfields > 0;
    }
    if (order_j && !json_is_null(order_j)) {
        if (floe_ice_sort_order_from_json(order_j, &order, &err)) {
            floe_err_prefix(&err, "create table %s", name);
            fail_err(rp, &err, W_CREATE);
            goto out;
        }
        has_order = order.nfields > 0;
    }
    if (props_from_json(json_object_get(j, "properties"), "properties", &props, rp)) goto out;
    floe_table_create req = {.schema = schema,
                             .spec = has_spec ? &spec : NULL,
                             .order = has_order ? &order : NULL,
                             .location = json_string_value(loc_j),
                             .props = &props,
                             /* Staged: nothing is written; the catalog's
                              * commit with assert-create creates it. */
                             .stage = json_is_true(stage_j)};
    floe_table_state st = {0};
    if (c->create_table(c, ns, name, &req, &st, &err)) {
        fail_err(rp, &err, W_CREATE);
        goto out;
    }
    table_result(rp, st.metadata, st.metadata_location, 0);
    if (req.stage) rp->note = "staged";
    floe_table_state_free(&st);
out:
    floe_ice_schema_free(schema);
    floe_ice_spec_free(&spec);
    floe_ice_sort_order_free(&order);
    floe_props_free(&props);
    json_decref(j);
}

static void load_table(floe_catalog *c, struct MHD_Connection *conn, const char *ns, const char *name, int head,
                       reply *rp) {
    int bad = 0, refs_only = 0;
    char *mode = head ? NULL : query_arg(conn, "snapshots", &bad);
    if (bad || (mode && strcmp(mode, "all") != 0 && strcmp(mode, "refs") != 0)) {
        fail(rp, 400, "BadRequestException", "snapshots must be \"all\" or \"refs\"");
        free(mode);
        return;
    }
    refs_only = mode && strcmp(mode, "refs") == 0;
    free(mode);
    floe_table_state st = {0};
    floe_err err = {0};
    if (c->load_table(c, ns, name, &st, &err)) {
        fail_err(rp, &err, W_TABLE);
        return;
    }
    if (head) {
        rp->status = 204;
    } else {
        char etag[40];
        make_etag(st.metadata_location, refs_only, etag);
        const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm && strstr(inm, etag)) {
            rp->status = 304;
            memcpy(rp->etag, etag, sizeof etag);
        } else {
            table_result(rp, st.metadata, st.metadata_location, refs_only);
        }
    }
    floe_table_state_free(&st);
}

static void drop_table(floe_catalog *c, struct MHD_Connection *conn, const char *ns, const char *name, reply *rp) {
    int bad = 0, purge = 0;
    char *p = query_arg(conn, "purgeRequested", &bad);
    if (p && strcasecmp(p, "true") == 0) purge = 1;
    else if (bad || (p && strcasecmp(p, "false") != 0)) bad = 1;
    free(p);
    if (bad) {
        fail(rp, 400, "BadRequestException", "purgeRequested must be true or false");
        return;
    }
    floe_err err = {0};
    if (c->drop_table(c, ns, name, purge, &err)) fail_err(rp, &err, W_TABLE);
    else rp->status = 204;
}

/* A TableIdentifier object into (ns, name); -1 after filling rp. */
static int identifier(const json_t *j, const char *what, char **ns, char **name, reply *rp) {
    *ns = *name = NULL;
    const char *n = json_string_value(json_object_get(j, "name"));
    if (!json_is_object(j) || !n || !*n) {
        fail(rp, 400, "BadRequestException", "%s: a table identifier needs \"namespace\" and a non-empty \"name\"",
             what);
        return -1;
    }
    if (!(*ns = ns_from_json(json_object_get(j, "namespace"), what, rp))) return -1;
    *name = floe_xstrdup(n);
    return 0;
}

static void rename_table(floe_catalog *c, const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    char *ns = NULL, *name = NULL, *to_ns = NULL, *to_name = NULL;
    if (identifier(json_object_get(j, "source"), "source", &ns, &name, rp) == 0 &&
        identifier(json_object_get(j, "destination"), "destination", &to_ns, &to_name, rp) == 0) {
        floe_err err = {0};
        if (c->rename_table(c, ns, name, to_ns, to_name, &err) == 0) {
            rp->status = 204;
        } else if (err.code == FLOE_ENOTFOUND) {
            /* Which one is missing: the table or the target namespace. */
            floe_props p;
            floe_err e2 = {0};
            int ns_missing = c->load_namespace(c, to_ns, &p, &e2) != 0 && e2.code == FLOE_ENOTFOUND;
            floe_props_free(&p);
            if (ns_missing) fail(rp, 404, "NoSuchNamespaceException", "namespace %s does not exist", to_ns);
            else fail(rp, 404, "NoSuchTableException", "%s", err.msg);
        } else {
            fail_err(rp, &err, W_TABLE);
        }
    }
    free(ns);
    free(name);
    free(to_ns);
    free(to_name);
    json_decref(j);
}

/* ---- commits ------------------------------------------------------------------------- */

/* One table's parsed commit. */
typedef struct change {
    char *ns, *name;
    floe_ice_requirement *reqs;
    int nreqs;
    floe_ice_update *upds;
    int nupds;
} change;

static void change_free(change *ch) {
    for (int i = 0; i < ch->nreqs; i++) floe_ice_requirement_free(&ch->reqs[i]);
    for (int i = 0; i < ch->nupds; i++) floe_ice_update_free(&ch->upds[i]);
    free(ch->reqs);
    free(ch->upds);
    free(ch->ns);
    free(ch->name);
    memset(ch, 0, sizeof *ch);
}

/* A CommitTableRequest into ch (whose ns and name are set, from the path
 * or from "identifier"); -1 after filling rp. */
static int parse_change(const json_t *j, const char *what, change *ch, reply *rp) {
    const json_t *reqs = json_object_get(j, "requirements"), *upds = json_object_get(j, "updates");
    if ((reqs && !json_is_array(reqs)) || !json_is_array(upds)) {
        fail(rp, 400, "BadRequestException", "%s: \"requirements\" and \"updates\" must be arrays", what);
        return -1;
    }
    size_t nr = json_array_size(reqs), nu = json_array_size(upds);
    ch->reqs = floe_xcalloc(nr + 1, sizeof *ch->reqs);
    ch->upds = floe_xcalloc(nu + 1, sizeof *ch->upds);
    floe_err err = {0};
    for (size_t i = 0; i < nr; i++) {
        if (floe_ice_requirement_from_json(json_array_get(reqs, i), &ch->reqs[i], &err)) {
            floe_ice_requirement_free(&ch->reqs[i]);
            fail(rp, 400, "BadRequestException", "%s: requirements[%zu]: %s", what, i, err.msg);
            return -1;
        }
        ch->nreqs++;
    }
    for (size_t i = 0; i < nu; i++) {
        if (floe_ice_update_from_json(json_array_get(upds, i), &ch->upds[i], &err)) {
            fail(rp, 400, "BadRequestException", "%s: updates[%zu]: %s", what, i, err.msg);
            return -1;
        }
        ch->nupds++;
    }
    return 0;
}

static void commit_result(reply *rp, const floe_table_state *st) {
    floe_buf *b = &rp->body;
    floe_buf_puts(b, "{\"metadata-location\":");
    put_str(b, st->metadata_location);
    floe_buf_puts(b, ",\"metadata\":");
    floe_ice_metadata_to_json(st->metadata, b);
    floe_buf_putc(b, '}');
    make_etag(st->metadata_location, 0, rp->etag);
    rp->status = 200;
}

static void commit_table(floe_rest_server *s, floe_catalog *c, const char *ns, const char *name,
                         const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    change ch = {0};
    const json_t *id = json_object_get(j, "identifier");
    if (id && !json_is_null(id)) {
        char *ins, *iname;
        if (identifier(id, "identifier", &ins, &iname, rp)) goto out;
        int same = strcmp(ins, ns) == 0 && strcmp(iname, name) == 0;
        free(ins);
        free(iname);
        if (!same) {
            fail(rp, 400, "BadRequestException", "the identifier in the body names another table than the path");
            goto out;
        }
    }
    if (parse_change(j, "commit", &ch, rp)) goto out;
    ch.ns = floe_xstrdup(ns);
    ch.name = floe_xstrdup(name);
    int creates = 0;
    for (int i = 0; i < ch.nreqs; i++) creates |= ch.reqs[i].kind == FLOE_REQ_ASSERT_CREATE;
    floe_table_commit tc = {ns, name, ch.reqs, ch.nreqs, ch.upds, ch.nupds};
    floe_table_state st = {0};
    floe_err err = {0};
    if (c->commit_table(c, &tc, &st, &err) == 0) {
        commit_result(rp, &st);
        rp->committed = 1;
        if (creates) rp->note = "created";
        floe_table_state_free(&st);
    } else {
        fail_err(rp, &err, W_COMMIT);
    }
out:
    change_free(&ch);
    json_decref(j);
}

static void commit_transaction(floe_catalog *c, const floe_buf *body, reply *rp) {
    json_t *j = body_json(body, rp);
    if (!j) return;
    const json_t *changes = json_object_get(j, "table-changes");
    size_t n = json_array_size(changes);
    change *chs = floe_xcalloc(n + 1, sizeof *chs);
    floe_table_commit *tcs = floe_xcalloc(n + 1, sizeof *tcs);
    if (!json_is_array(changes) || n == 0) {
        fail(rp, 400, "BadRequestException", "\"table-changes\" must be a non-empty array");
        goto out;
    }
    if (!c->commit_transaction) {
        fail(rp, 406, "UnsupportedOperationException", "this catalog cannot commit several tables atomically");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(changes, i);
        char what[48];
        snprintf(what, sizeof what, "table-changes[%zu]", i);
        if (!json_is_object(e) || identifier(json_object_get(e, "identifier"), what, &chs[i].ns, &chs[i].name, rp) ||
            parse_change(e, what, &chs[i], rp)) {
            if (rp->status == 0) fail(rp, 400, "BadRequestException", "%s must be an object", what);
            goto out;
        }
        tcs[i] = (floe_table_commit){chs[i].ns, chs[i].name, chs[i].reqs, chs[i].nreqs, chs[i].upds, chs[i].nupds};
    }
    floe_err err = {0};
    if (c->commit_transaction(c, tcs, (int)n, &err)) {
        fail_err(rp, &err, W_COMMIT);
    } else {
        rp->status = 204;
        rp->committed = 1;
    }
out:
    for (size_t i = 0; i < n; i++) change_free(&chs[i]);
    free(chs);
    free(tcs);
    json_decref(j);
}

/* ---- routing ------------------------------------------------------------------------ */

typedef struct request {
    floe_buf body;
    int too_big;
    int64_t t0;
} request;

#define MAX_SEGS 8

/* Splits the raw path after "/v1/" into decoded segments; -1 when it has
 * too many or one does not decode. */
static int split_path(const char *path, char **segs, int *n) {
    *n = 0;
    const char *p = path;
    while (1) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (*n == MAX_SEGS) return -1;
        char *d = pct_decode(p, len, 0);
        if (!d) return -1;
        segs[(*n)++] = d;
        if (!slash) return 0;
        p = slash + 1;
    }
}

static int is_method(const char *m, const char *want) { return strcmp(m, want) == 0; }

static int is_keyword(const char *s) {
    return strcmp(s, "namespaces") == 0 || strcmp(s, "tables") == 0 || strcmp(s, "transactions") == 0 ||
           strcmp(s, "config") == 0 || strcmp(s, "oauth") == 0;
}

static void not_allowed(reply *rp, const char *method, const char *allow) {
    rp->allow = allow;
    fail(rp, 405, "MethodNotAllowedException", "method %s is not allowed here (allowed: %s)", method, allow);
}

/* Which routes a fault may hit: 1 for a commit, 0 for another catalog
 * route, -1 for none (config, tokens). */
static int route_kind(char **segs, int n, const char *method) {
    int at = 0;
    if (n >= 1 && (strcmp(segs[0], "config") == 0 || strcmp(segs[0], "oauth") == 0)) return -1;
    if (n >= 1 && !is_keyword(segs[0])) at = 1;
    if (!is_method(method, "POST")) return 0;
    if (n - at == 4 && strcmp(segs[at], "namespaces") == 0 && strcmp(segs[at + 2], "tables") == 0) return 1;
    if (n - at == 2 && strcmp(segs[at], "transactions") == 0 && strcmp(segs[at + 1], "commit") == 0) return 1;
    return 0;
}

static void route(floe_rest_server *s, struct MHD_Connection *conn, const char *method, char **segs, int n,
                  const request *r, reply *rp) {
    if (n == 1 && strcmp(segs[0], "config") == 0) {
        if (!is_method(method, "GET")) return not_allowed(rp, method, "GET");
        if (authorize(s, conn, method, rp)) return;
        return get_config(s, rp);
    }
    if (n == 2 && strcmp(segs[0], "oauth") == 0 && strcmp(segs[1], "tokens") == 0) {
        if (!is_method(method, "POST")) return not_allowed(rp, method, "POST");
        return post_token(s, conn, &r->body, rp);
    }
    if (authorize(s, conn, method, rp)) return;
    int at = 0;
    if (n >= 1 && !is_keyword(segs[0])) {
        if (!s->prefix || strcmp(segs[0], s->prefix) != 0) {
            fail(rp, 404, "NotFoundException", "no catalog prefix \"%s\" here%s%s", segs[0],
                 s->prefix ? "; the prefix is " : " (this server has no prefix)", s->prefix ? s->prefix : "");
            return;
        }
        at = 1;
    }
    char **g = segs + at;
    int m = n - at;
    floe_err err = {0};
    floe_catalog *c = pool_get(s, &err);
    if (!c) {
        fail(rp, 503, "ServiceUnavailableException", "the catalog is not available: %s", err.msg);
        return;
    }
    char *ns = NULL;
    if (m >= 2 && strcmp(g[0], "namespaces") == 0 && !(ns = ns_from_url(g[1], rp))) goto done;
    if (m == 1 && strcmp(g[0], "namespaces") == 0) {
        if (is_method(method, "GET")) list_namespaces(c, conn, rp);
        else if (is_method(method, "POST")) create_namespace(c, &r->body, rp);
        else not_allowed(rp, method, "GET, POST");
    } else if (m == 2 && ns) {
        if (is_method(method, "GET") || is_method(method, "HEAD")) load_namespace(c, ns, is_method(method, "HEAD"), rp);
        else if (is_method(method, "DELETE")) drop_namespace(c, ns, rp);
        else not_allowed(rp, method, "GET, HEAD, DELETE");
    } else if (m == 3 && ns && strcmp(g[2], "properties") == 0) {
        if (is_method(method, "POST")) update_namespace(c, ns, &r->body, rp);
        else not_allowed(rp, method, "POST");
    } else if (m == 3 && ns && strcmp(g[2], "tables") == 0) {
        if (is_method(method, "GET")) list_tables(c, conn, ns, rp);
        else if (is_method(method, "POST")) create_table(s, c, ns, &r->body, rp);
        else not_allowed(rp, method, "GET, POST");
    } else if (m == 3 && ns && strcmp(g[2], "register") == 0) {
        fail(rp, 406, "UnsupportedOperationException", "registering tables is not supported by this server");
    } else if (m == 4 && ns && strcmp(g[2], "tables") == 0) {
        const char *t = g[3];
        if (!*t) fail(rp, 400, "BadRequestException", "empty table name");
        else if (is_method(method, "GET") || is_method(method, "HEAD"))
            load_table(c, conn, ns, t, is_method(method, "HEAD"), rp);
        else if (is_method(method, "POST")) commit_table(s, c, ns, t, &r->body, rp);
        else if (is_method(method, "DELETE")) drop_table(c, conn, ns, t, rp);
        else not_allowed(rp, method, "GET, HEAD, POST, DELETE");
    } else if (m == 5 && ns && strcmp(g[2], "tables") == 0 && strcmp(g[4], "metrics") == 0) {
        /* Clients report scan and commit metrics; this server keeps none. */
        if (!is_method(method, "POST")) {
            not_allowed(rp, method, "POST");
        } else {
            json_t *j = body_json(&r->body, rp);
            if (j) rp->status = 204;
            json_decref(j);
        }
    } else if (m == 2 && strcmp(g[0], "tables") == 0 && strcmp(g[1], "rename") == 0) {
        if (is_method(method, "POST")) rename_table(c, &r->body, rp);
        else not_allowed(rp, method, "POST");
    } else if (m == 2 && strcmp(g[0], "transactions") == 0 && strcmp(g[1], "commit") == 0) {
        if (is_method(method, "POST")) commit_transaction(c, &r->body, rp);
        else not_allowed(rp, method, "POST");
    } else if (rp->status == 0) {
        fail(rp, 404, "NotFoundException", "no such endpoint");
    }
done:
    free(ns);
    pool_put(s, c);
}

/* Waits up to ms, less when the server stops. */
static void hold(floe_rest_server *s, int64_t ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&s->lock);
}

static void serve(floe_rest_server *s, struct MHD_Connection *conn, const char *method, const char *url,
                  const request *r, reply *rp) {
    if (r->too_big) {
        fail(rp, 413, "BadRequestException", "request body larger than %u bytes", MAX_BODY);
        return;
    }
    if (strncmp(url, "/v1/", 4) != 0) {
        fail(rp, 404, "NotFoundException", "no such endpoint (the catalog is under /v1/)");
        return;
    }
    char *segs[MAX_SEGS];
    int n = 0;
    if (split_path(url + 4, segs, &n)) {
        fail(rp, 400, "BadRequestException", "malformed path");
    } else {
        enum fault f = F_NONE;
        int kind = route_kind(segs, n, method);
        if (s->any_fault && kind >= 0 && (!s->fault_match || strstr(url, s->fault_match))) {
            double x = draw(s), acc = 0;
            for (int k = F_500; k < NFAULTS && f == F_NONE; k++) {
                acc += s->share[k];
                if (x < acc) f = (enum fault)k;
            }
            if ((f == F_409 || f == F_AFTER_COMMIT_500) && kind != 1) f = F_NONE;
            if (f != F_NONE && s->faults_left >= 0) {
                pthread_mutex_lock(&s->lock);
                if (s->faults_left == 0) f = F_NONE;
                else s->faults_left--;
                pthread_mutex_unlock(&s->lock);
            }
        }
        if (f == F_500) {
            fail(rp, 500, "InternalServerError", "injected fault: 500");
        } else if (f == F_503) {
            fail(rp, 503, "ServiceUnavailableException", "injected fault: 503");
        } else if (f == F_409) {
            fail(rp, 409, "CommitFailedException", "injected fault: commit conflict");
        } else {
            if (f == F_TIMEOUT) hold(s, s->fault_timeout_ms);
            route(s, conn, method, segs, n, r, rp);
            if (f == F_AFTER_COMMIT_500 && rp->committed) {
                rp->etag[0] = 0;
                fail(rp, 500, "CommitStateUnknownException", "injected fault: the commit was applied, then this 500");
            }
        }
        if (f != F_NONE) rp->note = FAULT_NAMES[f];
    }
    for (int i = 0; i < n; i++) free(segs[i]);
}

/* ---- libmicrohttpd glue --------------------------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
    floe_rest_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        r = floe_xcalloc(1, sizeof *r);
        floe_buf_init(&r->body);
        r->t0 = floe_mono_ms();
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->body.len + *upload_data_size > MAX_BODY) r->too_big = 1;
        else floe_buf_append(&r->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    reply rp = {0};
    floe_buf_init(&rp.body);
    serve(s, conn, method, url, r, &rp);
    if (rp.status == 0) fail(&rp, 500, "InternalServerError", "no answer");
    int empty = rp.status == 204 || rp.status == 304;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(empty ? 0 : rp.body.len, empty ? NULL : rp.body.data, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_NO;
    if (resp) {
        if (!empty) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp.type ? rp.type : "application/json");
        if (rp.etag[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rp.etag);
        if (rp.allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp.allow);
        if (rp.challenge) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"floe\"");
        ret = MHD_queue_response(conn, rp.status, resp);
        MHD_destroy_response(resp);
    }
    logf_(s, "%s %s %u %" PRId64 "ms%s%s", method, url, rp.status, floe_mono_ms() - r->t0, rp.note ? " " : "",
          rp.note ? rp.note : "");
    floe_buf_free(&rp.body);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    request *r = *con_cls;
    if (!r) return;
    floe_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* Leaves the path and the query raw: segments are decoded after the
 * path is split (see split_path) and arguments when read (query_arg). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) { return strlen(s); }

/* ---- start and stop -------------------------------------------------------------------- */


/* "token:SECRET" / "oauth2:FILE" / "none". */
static int parse_auth(floe_rest_server *s, const char *auth, floe_err *err) {
    if (!auth || !*auth || strcmp(auth, "none") == 0) return 0;
    if (strncmp(auth, "token:", 6) == 0) {
        if (!auth[6]) return floe_err_set(err, FLOE_EINVAL, "--auth token: the secret is empty");
        s->auth = AUTH_TOKEN;
        if (auth[6] != '@') {
            s->secret = floe_xstrdup(auth + 6);
            return 0;
        }
        /* token:@FILE keeps the secret out of the process list. */
        FILE *f = fopen(auth + 7, "r");
        if (!f) return floe_err_set(err, FLOE_EIO, "%s: cannot open the token file: %s", auth + 7, strerror(errno));
        char line[4096] = "";
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        fclose(f);
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
        if (!n) return floe_err_set(err, FLOE_EINVAL, "%s: the token file is empty", auth + 7);
        s->secret = floe_xstrdup(line);
        return 0;
    }
    if (strncmp(auth, "oauth2:", 7) != 0)
        return floe_err_set(err, FLOE_EINVAL, "--auth must be none, token:SECRET or oauth2:CLIENTS_FILE");
    const char *path = auth + 7;
    FILE *f = fopen(path, "r");
    if (!f) return floe_err_set(err, FLOE_EIO, "%s: cannot open the clients file: %s", path, strerror(errno));
    s->auth = AUTH_OAUTH2;
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        char *colon = strchr(p, ':');
        if (!colon || colon == p || !colon[1]) {
            /* The line may hold a secret: say where, not what. */
            rc = floe_err_set(err, FLOE_EINVAL, "%s: line %d: expected id:secret", path, lineno);
            break;
        }
        *colon = 0;
        char *secret = colon + 1;
        int ro = 0;
        size_t sl = strlen(secret);
        if (sl > 5 && strcmp(secret + sl - 5, ":read") == 0) {
            secret[sl - 5] = 0;
            ro = 1;
        }
        s->clients = floe_xrealloc(s->clients, sizeof *s->clients * (size_t)(s->nclients + 1));
        s->clients[s->nclients++] = (client){floe_xstrdup(p), floe_xstrdup(secret), ro};
    }
    fclose(f);
    if (rc == 0 && s->nclients == 0)
        rc = floe_err_set(err, FLOE_EINVAL, "%s: no clients (expected id:secret lines)", path);
    return rc;
}

/* "500:0.1,503:0.1,409:0.05,timeout:0.05,after-commit-500:0.1,timeout-ms:2000,seed:7",
 * plus "match:SUBSTR" and "count:N". */
static int parse_faults(floe_rest_server *s, const char *spec, floe_err *err) {
    s->fault_timeout_ms = DEFAULT_FAULT_TIMEOUT_MS;
    s->faults_left = -1;
    uint64_t seed = 0;
    if (random_bytes(&seed, sizeof seed)) seed = (uint64_t)floe_wall_ms();
    if (spec && *spec) {
        char *copy = floe_xstrdup(spec), *save = NULL;
        double total = 0;
        int rc = 0;
        for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
            while (*item == ' ') item++;
            if (strncmp(item, "match:", 6) == 0) {
                /* the substring may hold ':' itself */
                if (!item[6]) {
                    rc = floe_err_set(err, FLOE_EINVAL, "--faults: match needs a path substring");
                    break;
                }
                free(s->fault_match);
                s->fault_match = floe_xstrdup(item + 6);
                continue;
            }
            char *colon = strrchr(item, ':');
            char *end;
            if (!colon) {
                rc = floe_err_set(err, FLOE_EINVAL, "--faults: '%s' is not KIND:SHARE", item);
                break;
            }
            *colon = 0;
            const char *v = colon + 1;
            errno = 0;
            if (strcmp(item, "timeout-ms") == 0 || strcmp(item, "seed") == 0 || strcmp(item, "count") == 0) {
                unsigned long long x = strtoull(v, &end, 10);
                if (errno || *end || end == v || *v == '-' || x > INT64_MAX)
                    rc = floe_err_set(err, FLOE_EINVAL, "--faults: %s needs a whole number, not '%s'", item, v);
                else if (item[0] == 's') seed = x;
                else if (item[0] == 'c') s->faults_left = (int64_t)x;
                else s->fault_timeout_ms = (int64_t)x;
                continue;
            }
            double share = strtod(v, &end);
            if (errno || *end || end == v || share < 0 || share > 1) {
                rc = floe_err_set(err, FLOE_EINVAL, "--faults: the share of %s must be between 0 and 1, not '%s'",
                                  item, v);
                break;
            }
            int k = F_NONE;
            for (int i = F_500; i < NFAULTS; i++)
                if (strcmp(item, FAULT_NAMES[i]) == 0) k = i;
            if (k == F_NONE) {
                rc = floe_err_set(err, FLOE_EINVAL,
                                  "--faults: unknown fault '%s' (500, 503, 409, timeout, after-commit-500, "
                                  "timeout-ms, seed, match, count)",
                                  item);
                break;
            }
            s->share[k] = share;
            total += share;
            s->any_fault |= share > 0;
        }
        free(copy);
        if (rc == 0 && total > 1.0 + 1e-9)
            rc = floe_err_set(err, FLOE_EINVAL, "--faults: the shares add up to more than 1");
        if (rc) return -1;
    }
    s->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    return 0;
}

static void server_free(floe_rest_server *s) {
    for (int i = 0; i < s->nidle; i++) floe_catalog_free(s->idle[i]);
    for (int i = 0; i < s->nclients; i++) {
        free(s->clients[i].id);
        free(s->clients[i].secret);
    }
    free(s->clients);
    free(s->tokens);
    free(s->secret);
    free(s->uri);
    free(s->warehouse);
    free(s->warehouse_uri);
    free(s->fault_match);
    free(s->prefix);
    free(s->host);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}

int floe_rest_server_start(const floe_rest_server_opts *o, floe_rest_server **out, floe_err *err) {
    *out = NULL;
    floe_rest_server *s = floe_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->log = o->log;
    s->log_ctx = o->log_ctx;
    s->token_ttl_s = o->token_ttl_s > 0 ? o->token_ttl_s : DEFAULT_TOKEN_TTL_S;
    if (o->prefix && *o->prefix) {
        if (strchr(o->prefix, '/') || is_keyword(o->prefix)) {
            floe_err_set(err, FLOE_EINVAL, "prefix '%s' must be one path segment and not a route name", o->prefix);
            goto fail;
        }
        s->prefix = floe_xstrdup(o->prefix);
    }
    /* The store, resolved as floe_open_catalog resolves it. */
    const char *wh = o->warehouse && *o->warehouse ? o->warehouse : getenv("FLOE_WAREHOUSE");
    const char *uri = o->catalog_uri && *o->catalog_uri ? o->catalog_uri : getenv("FLOE_CATALOG");
    if (!wh || !*wh) wh = DEFAULT_WAREHOUSE;
    s->warehouse = floe_xstrdup(wh);
    floe_buf b;
    floe_buf_init(&b);
    if (uri && *uri) {
        s->uri = floe_xstrdup(uri);
    } else {
        floe_buf_printf(&b, "sqlite:%s/catalog.db", floe_uri_local_path(wh));
        s->uri = floe_xstrdup(floe_buf_cstr(&b));
        floe_buf_reset(&b);
    }
    floe_uri_from_path(wh, &b);
    while (b.len > 0 && b.data[b.len - 1] == '/') b.len--;
    s->warehouse_uri = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    if (parse_auth(s, o->auth, err) || parse_faults(s, o->faults, err)) goto fail;
    floe_catalog *first = floe_catalog_open(s->uri, s->warehouse, NULL, err);
    if (!first) goto fail;
    s->idle[s->nidle++] = first;

    const char *addr = o->listen && *o->listen ? o->listen : DEFAULT_LISTEN;
    char host[256], port[6];
    if (floe_listen_split("listen address", addr, host, sizeof host, port, err)) goto fail;
    s->host = floe_xstrdup(host);
    int fd = floe_listen_socket("listen address", addr, host, port, 128, &s->port, err);
    if (fd < 0) goto fail;
    /* libmicrohttpd owns fd from here, also when it fails to start. */
    s->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                 handle, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                 MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
    if (!s->daemon) {
        floe_err_set(err, FLOE_EIO, "listen address %s: the HTTP server did not start", addr);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    server_free(s);
    return -1;
}

int floe_rest_server_port(const floe_rest_server *s) { return s->port; }
const char *floe_rest_server_host(const floe_rest_server *s) { return s->host; }

void floe_rest_server_stop(floe_rest_server *s) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
