/*
 * rest.c — the Iceberg REST catalog client (rest.h): every operation of
 * catalog.h as one HTTP exchange (a listing as one per page) with a server
 * that follows the REST catalog's OpenAPI description.
 *
 * Opening: an OAuth2 token first when a credential is configured, then
 * GET /v1/config[?warehouse=W].  The catalog's properties are the server's
 * "defaults", then the client's own, then the server's "overrides"; the
 * settings below are read from that merge.  "endpoints", when the server
 * lists them, say which routes exist: an operation outside the list fails
 * with FLOE_EUNSUPPORTED without a request, and commit_transaction is NULL
 * unless POST /v1/{prefix}/transactions/commit is there (the spec's default
 * list, used when the server sends none, has it).
 *
 * Requests: paths are /v1/<prefix>/...; namespace levels are
 * percent-encoded and joined by the "namespace-separator" the server
 * advertises (default %1F).  Mutations carry an Idempotency-Key (a UUIDv7),
 * the same for every retry of that mutation.  Retries (rest.max-retries,
 * default 4, with jittered exponential backoff from rest.retry-min-wait-ms
 * 100 to rest.retry-max-wait-ms 5000, or the server's Retry-After): on 429
 * and 503 (the request was not processed); on a connection that could not
 * be made (nothing was sent); on other transport failures and 502/504 for
 * reads, and for mutations only when the server advertises
 * "idempotency-key-lifetime" (it then replays, not repeats, a mutation it
 * has finalised); on 500 for reads only (a mutation's 500 may have
 * applied).
 *
 * Results: 404 is FLOE_ENOTFOUND; 409 is FLOE_EEXISTS for creates and
 * renames and FLOE_ECONFLICT for commits and for dropping a non-empty
 * namespace; a commit answered with 5xx, or cut off after it was sent, is
 * FLOE_EUNKNOWN (the caller reloads and looks for its commit marker, as
 * table/append.c does); 400/422 are FLOE_EINVAL; 401/403/419 FLOE_EINVAL
 * ("not authorized"); 406/501 FLOE_EUNSUPPORTED; other failures FLOE_EIO.
 * Messages name the operation and carry the server's error type and
 * message (control characters removed, cut to a few hundred bytes, and any
 * secret the client holds masked); no request header is ever put in one.
 *
 * Authentication, from the merged properties:
 *   token=T                       a static bearer token;
 *   credential=ID:SECRET          OAuth2 client credentials (SECRET alone:
 *                                 no client id), scope (default "catalog"),
 *                                 at oauth2-server-uri (default
 *                                 <uri>/v1/oauth/tokens).  The token is
 *                                 fetched again at 80% of its expires_in,
 *                                 and on a 401/419 (then the request is sent
 *                                 once more).  A failed refresh keeps the
 *                                 old token while it is valid and is tried
 *                                 again after a backoff, never given up for
 *                                 good.  With both, the token is used first
 *                                 and the credential renews it.
 *   rest.sigv4-enabled=true       AWS SigV4 request signing (libcurl's
 *                                 CURLOPT_AWS_SIGV4) for rest.signing-region
 *                                 (else s3.region, client.region,
 *                                 AWS_REGION) and rest.signing-name (default
 *                                 execute-api), with rest.access-key-id /
 *                                 rest.secret-access-key / rest.session-token,
 *                                 else the s3.* ones, else AWS_ACCESS_KEY_ID,
 *                                 AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
 *                                 A bearer token is then not sent.
 * Other settings: header.NAME=VALUE adds a header to every request;
 * rest.access-delegation (default "vended-credentials"; empty: none) is
 * sent as X-Iceberg-Access-Delegation when loading and creating tables;
 * rest.ca-bundle (else $FLOE_CATALOG_CA_BUNDLE) is the CA file for TLS,
 * which is always verified; rest.connect-timeout-ms (10000) and
 * rest.request-timeout-ms (60000).  Redirects are not followed (they could
 * carry the token elsewhere).
 *
 * Tables: a loaded or created table's "config" and the "storage-
 * credentials" entry with the longest prefix of its location become
 * floe_table_state.config (its FileIO settings, vended credentials
 * included).  The catalog's file IO sends each file to an IO made by
 * floe_fileio_for with the catalog's properties overlaid by the config of
 * the table whose location holds the file, so vended credentials are used
 * without the table code knowing.  IOs are kept until the catalog is
 * freed (a table's IO is replaced when its config changes; the old one is
 * kept, as a reader may still hold it).  A create with .stage set sends
 * "stage-create": true and returns the server's metadata-to-be with no
 * metadata location; the create transaction ends with an ordinary commit
 * (POST .../tables/{table}) whose requirements are [assert-create]
 * (floe_catalog_commit_create), as Java's RESTSessionCatalog does.
 */
#include "catalog/rest.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "util/clock.h"
#include "util/text.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_REQUEST_MS 60000
#define DEFAULT_RETRIES 4
#define DEFAULT_RETRY_MIN_MS 100
#define DEFAULT_RETRY_MAX_MS 5000
#define MAX_RETRY_AFTER_MS 30000
#define MAX_RESPONSE_BYTES ((size_t)512 << 20)
#define MAX_PAGES 100000
#define SERVER_MSG_MAX 400
#define DEFAULT_SEPARATOR "%1F"

enum { AUTH_NONE, AUTH_TOKEN, AUTH_OAUTH2 };

/* A table whose config came from the server, for the file IO. */
typedef struct table_cfg {
    char *ns, *name;
    char *location;   /* without trailing '/' */
    floe_props config;
    floe_fileio *io;  /* made on first use */
} table_cfg;

typedef struct scheme_io {
    char *scheme;
    floe_fileio *io;
} scheme_io;

typedef struct rest_catalog rest_catalog;

typedef struct rest_io {
    floe_fileio base;
    rest_catalog *c;
} rest_io;

struct rest_catalog {
    floe_catalog base;
    pthread_mutex_t mu;     /* the HTTP handle and the auth state */
    pthread_mutex_t io_mu;  /* the IO caches */
    CURL *curl;
    char *uri;              /* no trailing '/' */
    char *prefix;           /* NULL or the path segment(s) after /v1/ */
    char *sep;              /* URL-encoded namespace separator */
    char *warehouse;
    floe_props props;       /* defaults, client, overrides */
    /* auth */
    int auth;
    char *token;
    char *client_id, *client_secret, *scope, *oauth_uri;
    int64_t refresh_at_ms;  /* 0: no scheduled refresh */
    int64_t expires_at_ms;  /* 0: unknown */
    int64_t next_try_ms;    /* after a failed refresh */
    int refresh_failures;
    int sigv4;
    char *sigv4_param, *aws_key, *aws_secret, *aws_token;
    /* transport */
    char *ca_bundle;
    char *delegation;
    long connect_ms, request_ms;
    int max_retries;
    int64_t retry_min_ms, retry_max_ms;
    /* server */
    int has_endpoints;
    char **endpoints;
    int nendpoints;
    int idempotent;
    /* file IO */
    rest_io io;
    table_cfg *tables;
    int ntables;
    scheme_io *schemes;
    int nschemes;
    floe_fileio **retired;
    int nretired;
};

static rest_catalog *cat(floe_catalog *c) { return (rest_catalog *)c; }

/* ---- small helpers --------------------------------------------------------------- */

static uint64_t rand64(void) {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        static uint64_t counter;
        v = (uint64_t)floe_wall_ms() * 6364136223846793005ULL + ++counter * 1442695040888963407ULL;
    }
    return v;
}

/* A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits;
 * what the spec asks an Idempotency-Key to be. */
static void uuid_v7(char out[37]) {
    uint8_t b[16];
    uint64_t ms = (uint64_t)floe_wall_ms(), r1 = rand64(), r2 = rand64();
    for (int i = 0; i < 6; i++) b[i] = (uint8_t)(ms >> (40 - 8 * i));
    memcpy(b + 6, &r1, 2);
    memcpy(b + 8, &r2, 8);
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0F));
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3F));
    floe_buf s;
    floe_buf_init(&s);
    floe_fmt_uuid(b, &s);
    memcpy(out, s.data, 36);
    out[36] = '\0';
    floe_buf_free(&s);
}

static char *xdup_or_null(const char *s) { return s ? floe_xstrdup(s) : NULL; }

static void set_str(char **dst, const char *s) {
    char *v = xdup_or_null(s);
    free(*dst);
    *dst = v;
}

/* Frees a secret after overwriting it. */
static void free_secret(char *s) {
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

static int is_true(const char *v) { return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0); }

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void put_enc(floe_buf *b, const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch))
            floe_buf_putc(b, ch);
        else
            floe_buf_printf(b, "%%%02X", ch);
    }
}

static void put_str(floe_buf *b, const char *s) { floe_json_escape((const uint8_t *)s, strlen(s), b); }

static void put_props(floe_buf *b, const floe_props *p) {
    floe_buf_putc(b, '{');
    for (int i = 0; p && i < p->n; i++) {
        if (i) floe_buf_putc(b, ',');
        put_str(b, p->items[i].key);
        floe_buf_putc(b, ':');
        put_str(b, p->items[i].value);
    }
    floe_buf_putc(b, '}');
}

/* A namespace "a.b" as a JSON array ["a","b"]. */
static void put_ns_array(floe_buf *b, const char *ns) {
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

static void put_ident(floe_buf *b, const char *ns, const char *name) {
    floe_buf_puts(b, "{\"namespace\":");
    put_ns_array(b, ns);
    floe_buf_puts(b, ",\"name\":");
    put_str(b, name);
    floe_buf_putc(b, '}');
}

/* A namespace as a path segment / query value: levels percent-encoded,
 * joined by the server's separator. */
static void put_ns_enc(const rest_catalog *c, floe_buf *b, const char *ns) {
    const char *p = ns;
    for (;;) {
        const char *dot = strchr(p, '.');
        char *level = floe_xstrndup(p, dot ? (size_t)(dot - p) : strlen(p));
        put_enc(b, level);
        free(level);
        if (!dot) break;
        floe_buf_puts(b, c->sep);
        p = dot + 1;
    }
}

static int check_ns(const char *ns, floe_err *err) {
    if (!ns || !*ns) return floe_err_set(err, FLOE_EINVAL, "empty namespace name");
    for (const char *p = ns;; p++) {
        const char *dot = strchr(p, '.');
        if ((dot ? dot : p + strlen(p)) == p)
            return floe_err_set(err, FLOE_EINVAL, "namespace \"%s\" has an empty level", ns);
        if (!dot) return 0;
        p = dot;
    }
}

static int check_table(const char *ns, const char *name, floe_err *err) {
    if (check_ns(ns, err)) return -1;
    if (!name || !*name) return floe_err_set(err, FLOE_EINVAL, "empty table name in namespace %s", ns);
    return 0;
}

/* A namespace JSON array as "a.b" (malloc'd), or NULL if not one. */
static char *ns_from_json(const json_t *a) {
    if (!json_is_array(a) || json_array_size(a) == 0) return NULL;
    floe_buf b;
    floe_buf_init(&b);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s) {
            floe_buf_free(&b);
            return NULL;
        }
        if (i) floe_buf_putc(&b, '.');
        floe_buf_puts(&b, s);
    }
    char *r = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
    return r;
}

/* Object of strings into props (others skipped: a number is kept as its
 * text, null ignored). */
static void props_from_json(const json_t *o, floe_props *out) {
    const char *k;
    json_t *v;
    if (!json_is_object(o)) return;
    json_object_foreach((json_t *)o, k, v) {
        if (json_is_string(v)) floe_props_set(out, k, json_string_value(v));
        else if (json_is_integer(v)) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            floe_props_set(out, k, num);
        } else if (json_is_boolean(v)) floe_props_set(out, k, json_is_true(v) ? "true" : "false");
    }
}

typedef struct strv {
    char **v;
    int n, cap;
} strv;

static void strv_take(strv *s, char *x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = floe_xrealloc(s->v, sizeof *s->v * (size_t)s->cap);
    }
    s->v[s->n++] = x;
}

static void strv_free(strv *s) {
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- secrets out of messages --------------------------------------------------- */

static void mask(char *msg, const char *secret) {
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4) return; /* too short to find without false hits; never sent in messages anyway */
    char *p;
    while ((p = strstr(msg, secret)) != NULL) {
        memset(p, '*', 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

/* Masks every secret the catalog holds in err->msg. */
static void scrub(const rest_catalog *c, floe_err *err) {
    mask(err->msg, c->token);
    mask(err->msg, c->client_secret);
    mask(err->msg, c->aws_secret);
    mask(err->msg, c->aws_token);
}

/* The server's text made printable and short. */
static void put_server_text(floe_buf *b, const char *s) {
    size_t n = 0;
    for (; *s && n < SERVER_MSG_MAX; s++, n++) floe_buf_putc(b, (unsigned char)*s < 0x20 ? ' ' : (uint8_t)*s);
    if (*s) floe_buf_puts(b, "...");
}

/* ---- HTTP -------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct http_resp {
    long status;
    floe_buf body;
    int64_t retry_after_ms; /* -1 when absent */
    int too_big;
} http_resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    http_resp *r = ud;
    size_t len = size * n;
    if (r->body.len + len > MAX_RESPONSE_BYTES) {
        r->too_big = 1;
        return 0;
    }
    floe_buf_append(&r->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    http_resp *r = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        char *end;
        long v = strtol(p + 12, &end, 10);
        if (end != p + 12 && v >= 0) r->retry_after_ms = (int64_t)v * 1000;
    }
    return len;
}

typedef struct req {
    const char *method;   /* GET HEAD POST DELETE */
    const char *url;      /* absolute */
    const char *body;     /* NULL: none */
    const char *content_type;
    const char *idem_key; /* NULL: none */
    int delegation;       /* send X-Iceberg-Access-Delegation */
    int auth;             /* send the catalog's credentials */
} req;

/* One exchange.  Returns the curl code; the status and body go to r. */
static CURLcode perform(rest_catalog *c, const req *q, http_resp *r, char *errbuf) {
    CURL *h = c->curl;
    curl_easy_reset(h);
    r->status = 0;
    r->retry_after_ms = -1;
    r->too_big = 0;
    floe_buf_reset(&r->body);
    errbuf[0] = '\0';
    struct curl_slist *hdr = NULL;
    floe_buf line;
    floe_buf_init(&line);
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (q->body) {
        floe_buf_printf(&line, "Content-Type: %s", q->content_type ? q->content_type : "application/json");
        hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
    }
    if (q->idem_key) {
        floe_buf_reset(&line);
        floe_buf_printf(&line, "Idempotency-Key: %s", q->idem_key);
        hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
    }
    if (q->delegation && c->delegation && *c->delegation) {
        floe_buf_reset(&line);
        floe_buf_printf(&line, "X-Iceberg-Access-Delegation: %s", c->delegation);
        hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
    }
    for (int i = 0; q->auth && i < c->props.n; i++)
        if (strncmp(c->props.items[i].key, "header.", 7) == 0 && c->props.items[i].key[7]) {
            floe_buf_reset(&line);
            floe_buf_printf(&line, "%s: %s", c->props.items[i].key + 7, c->props.items[i].value);
            hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
        }
    if (q->auth && c->sigv4) {
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4_param);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->aws_key);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->aws_secret);
        if (c->aws_token) {
            floe_buf_reset(&line);
            floe_buf_printf(&line, "X-Amz-Security-Token: %s", c->aws_token);
            hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
        }
    } else if (q->auth && c->token) {
        floe_buf_reset(&line);
        floe_buf_printf(&line, "Authorization: Bearer %s", c->token);
        hdr = curl_slist_append(hdr, floe_buf_cstr(&line));
    }
    /* The line held a secret: clear it before it is freed. */
    if (line.data) memset(line.data, 0, line.cap);
    floe_buf_free(&line);

    char ua[64];
    snprintf(ua, sizeof ua, "floe/%s", floe_version());
    curl_easy_setopt(h, CURLOPT_URL, q->url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca_bundle) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(q->method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        if (q->body || strcmp(q->method, "POST") == 0) {
            const char *body = q->body ? q->body : "";
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        }
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    /* The handle keeps pointers to the header list and the credentials;
     * clear them before the list goes. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
    for (struct curl_slist *s = hdr; s; s = s->next) memset(s->data, 0, strlen(s->data));
    curl_slist_free_all(hdr);
    return cc;
}

/* Nothing reached the server. */
static int not_sent(CURLcode cc) {
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY;
}

static void backoff(const rest_catalog *c, int attempt, int64_t retry_after_ms) {
    int64_t d = c->retry_min_ms;
    for (int i = 0; i < attempt && d < c->retry_max_ms; i++) d *= 2;
    if (d > c->retry_max_ms) d = c->retry_max_ms;
    /* "equal jitter": half fixed, half random, so that clients that failed
     * together do not come back together */
    int64_t half = d / 2;
    d = half + (half > 0 ? (int64_t)(rand64() % (uint64_t)(half + 1)) : 0);
    if (retry_after_ms >= 0) d = retry_after_ms > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : retry_after_ms;
    floe_sleep_ms(d);
}

/* ---- OAuth2 -------------------------------------------------------------------------- */

/* Client credentials for a token.  Never puts the secret or the token in
 * err. */
static int fetch_token(rest_catalog *c, floe_err *err) {
    floe_buf body;
    floe_buf_init(&body);
    floe_buf_puts(&body, "grant_type=client_credentials");
    if (c->client_id) {
        floe_buf_puts(&body, "&client_id=");
        put_enc(&body, c->client_id);
    }
    floe_buf_puts(&body, "&client_secret=");
    put_enc(&body, c->client_secret);
    floe_buf_puts(&body, "&scope=");
    put_enc(&body, c->scope);
    req q = {"POST", c->oauth_uri, floe_buf_cstr(&body), "application/x-www-form-urlencoded", NULL, 0, 0};
    http_resp r;
    memset(&r, 0, sizeof r);
    floe_buf_init(&r.body);
    char eb[CURL_ERROR_SIZE];
    int rc = -1;
    CURLcode cc = CURLE_OK;
    for (int attempt = 0;; attempt++) {
        cc = perform(c, &q, &r, eb);
        int retry = cc != CURLE_OK || r.status == 429 || r.status == 503 || r.status == 502 || r.status == 504;
        if (!retry || attempt >= c->max_retries) break;
        backoff(c, attempt, cc == CURLE_OK ? r.retry_after_ms : -1);
    }
    memset(body.data, 0, body.cap);
    floe_buf_free(&body);
    if (cc != CURLE_OK) {
        floe_err_set(err, FLOE_EIO, "getting an OAuth2 token from %s: %s", c->oauth_uri,
                     eb[0] ? eb : curl_easy_strerror(cc));
        goto done;
    }
    json_error_t je;
    json_t *j = json_loadb(r.body.len ? (const char *)r.body.data : "", r.body.len, 0, &je);
    if (r.status != 200) {
        floe_buf m;
        floe_buf_init(&m);
        const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
        const char *d = j ? json_string_value(json_object_get(j, "error_description")) : NULL;
        if (e) put_server_text(&m, e);
        if (d) {
            floe_buf_puts(&m, ": ");
            put_server_text(&m, d);
        }
        floe_err_set(err, r.status >= 500 ? FLOE_EIO : FLOE_EINVAL, "getting an OAuth2 token from %s: HTTP %ld%s%s",
                     c->oauth_uri, r.status, m.len ? " " : "", m.len ? floe_buf_cstr(&m) : "");
        floe_buf_free(&m);
        json_decref(j);
        goto done;
    }
    const char *tok = j ? json_string_value(json_object_get(j, "access_token")) : NULL;
    if (!tok || !*tok) {
        floe_err_set(err, FLOE_ECORRUPT, "getting an OAuth2 token from %s: the answer has no access_token",
                     c->oauth_uri);
        json_decref(j);
        goto done;
    }
    free_secret(c->token);
    c->token = floe_xstrdup(tok);
    json_t *ex = json_object_get(j, "expires_in");
    int64_t now = floe_wall_ms();
    if (json_is_integer(ex) && json_integer_value(ex) > 0) {
        int64_t life = (int64_t)json_integer_value(ex) * 1000;
        c->expires_at_ms = now + life;
        c->refresh_at_ms = now + life * 8 / 10;
    } else {
        c->expires_at_ms = 0;
        c->refresh_at_ms = 0;
    }
    json_decref(j);
    rc = 0;
done:
    if (r.body.data) memset(r.body.data, 0, r.body.cap);
    floe_buf_free(&r.body);
    if (rc) scrub(c, err);
    return rc;
}

/* Renews the token when it is due (force: now).  A failed scheduled
 * renewal is not an error while the current token is still valid: it is
 * tried again after a backoff. */
static int ensure_token(rest_catalog *c, int force, floe_err *err) {
    if (c->auth != AUTH_OAUTH2 || !c->client_secret) return 0;
    int64_t now = floe_wall_ms();
    int valid = c->token && (c->expires_at_ms == 0 || now < c->expires_at_ms);
    if (!force) {
        if (c->token && (c->refresh_at_ms == 0 || now < c->refresh_at_ms)) return 0;
        if (valid && now < c->next_try_ms) return 0;
    }
    if (fetch_token(c, err) == 0) {
        c->refresh_failures = 0;
        c->next_try_ms = 0;
        return 0;
    }
    c->refresh_failures++;
    int64_t wait = 1000;
    for (int i = 1; i < c->refresh_failures && wait < 60000; i++) wait *= 2;
    c->next_try_ms = now + (wait > 60000 ? 60000 : wait);
    if (!force && valid) {
        floe_err_clear(err);
        return 0;
    }
    return -1;
}

/* ---- requests with retries and error mapping ------------------------------------- */

typedef struct call {
    const char *method;
    const char *path;       /* after /v1/<prefix>/ (or absolute when abs) */
    int abs;
    const char *body;
    int mutation;
    int commit;             /* 5xx or a cut-off exchange: FLOE_EUNKNOWN */
    int delegation;
    int conflict;           /* the code for 409 */
    const char *endpoint;   /* "POST /v1/{prefix}/namespaces" for the endpoint check; NULL: none */
} call;

static int endpoint_ok(const rest_catalog *c, const char *ep) {
    if (!c->has_endpoints || !ep) return 1;
    for (int i = 0; i < c->nendpoints; i++)
        if (strcmp(c->endpoints[i], ep) == 0) return 1;
    return 0;
}

static int status_code(const call *k, long st) {
    switch (st) {
    case 400: case 422: return FLOE_EINVAL;
    case 401: case 403: case 419: return FLOE_EINVAL;
    case 404: return FLOE_ENOTFOUND;
    case 406: case 501: return FLOE_EUNSUPPORTED;
    case 409: return k->conflict;
    default: break;
    }
    if (st >= 500 && k->commit) return FLOE_EUNKNOWN;
    return FLOE_EIO;
}

/* err from an HTTP error answer: "<what>: HTTP 409 (CommitFailedException):
 * message". */
static int http_error(const rest_catalog *c, const call *k, const http_resp *r, const char *what,
                      const char *route, floe_err *err) {
    floe_buf m;
    floe_buf_init(&m);
    json_error_t je;
    json_t *j = r->body.len ? json_loadb((const char *)r->body.data, r->body.len, 0, &je) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (!msg && json_is_string(e)) msg = json_string_value(e); /* OAuth-style errors */
    if (type) {
        floe_buf_puts(&m, " (");
        put_server_text(&m, type);
        floe_buf_putc(&m, ')');
    }
    if (msg) {
        floe_buf_puts(&m, ": ");
        put_server_text(&m, msg);
    } else if (r->body.len && !j) {
        floe_buf_puts(&m, ": ");
        char *t = floe_xstrndup((const char *)r->body.data, r->body.len);
        put_server_text(&m, t);
        free(t);
    }
    int code = status_code(k, r->status);
    const char *hint = "";
    if (r->status == 401 || r->status == 403 || r->status == 419) hint = " (not authorized)";
    else if (code == FLOE_EUNKNOWN) hint = " (the commit may or may not have applied)";
    floe_err_set(err, code, "%s: REST catalog answered %s with HTTP %ld%s%s", what, route, r->status,
                 floe_buf_cstr(&m), hint);
    floe_buf_free(&m);
    json_decref(j);
    scrub(c, err);
    return -1;
}

/* Sends a request (retrying as the top of this file says) and returns 0
 * with the 2xx answer's status and body in *r, or -1 with err. */
static int send_call(rest_catalog *c, const call *k, http_resp *r, const char *what, floe_err *err) {
    if (!endpoint_ok(c, k->endpoint))
        return floe_err_set(err, FLOE_EUNSUPPORTED, "%s: the REST catalog does not offer %s", what, k->endpoint);
    floe_buf url;
    floe_buf_init(&url);
    if (k->abs) floe_buf_puts(&url, k->path);
    else {
        floe_buf_printf(&url, "%s/v1/", c->uri);
        if (c->prefix && *c->prefix) floe_buf_printf(&url, "%s/", c->prefix);
        floe_buf_puts(&url, k->path);
    }
    char key[37], route[300];
    if (k->mutation) uuid_v7(key);
    /* The route as the spec names it ("POST /v1/{prefix}/..."): names
     * the operation without the URL's values. */
    if (k->endpoint) snprintf(route, sizeof route, "%s", k->endpoint);
    else snprintf(route, sizeof route, "%s %s", k->method, k->path);
    req q = {k->method, floe_buf_cstr(&url), k->body, NULL, k->mutation ? key : NULL, k->delegation, 1};
    char eb[CURL_ERROR_SIZE];
    int reauthed = 0, rc = -1;
    pthread_mutex_lock(&c->mu);
    for (int attempt = 0;; attempt++) {
        if (ensure_token(c, 0, err)) {
            floe_err_prefix(err, "%s", what);
            break;
        }
        CURLcode cc = perform(c, &q, r, eb);
        if (cc != CURLE_OK) {
            int nothing_sent = not_sent(cc);
            int may_retry = nothing_sent || !k->mutation || c->idempotent;
            if (may_retry && attempt < c->max_retries) {
                backoff(c, attempt, -1);
                continue;
            }
            const char *why = r->too_big ? "the answer is too large" : eb[0] ? eb : curl_easy_strerror(cc);
            if (k->commit && !nothing_sent)
                floe_err_set(err, FLOE_EUNKNOWN, "%s: %s: %s (the commit may or may not have applied)", what,
                             route, why);
            else
                floe_err_set(err, FLOE_EIO, "%s: %s: %s", what, route, why);
            scrub(c, err);
            break;
        }
        if ((r->status == 401 || r->status == 419) && c->auth == AUTH_OAUTH2 && c->client_secret && !reauthed) {
            reauthed = 1;
            if (ensure_token(c, 1, err)) {
                floe_err_prefix(err, "%s: the REST catalog answered HTTP %ld and the token could not be renewed",
                                what, r->status);
                break;
            }
            attempt--; /* the renewal is not one of the retries */
            continue;
        }
        int retryable = r->status == 429 || r->status == 503 ||
                        ((r->status == 502 || r->status == 504) && (!k->mutation || c->idempotent)) ||
                        (r->status == 500 && !k->mutation);
        if (retryable && attempt < c->max_retries) {
            backoff(c, attempt, r->retry_after_ms);
            continue;
        }
        if (r->status >= 200 && r->status < 300) rc = 0;
        else http_error(c, k, r, what, route, err);
        break;
    }
    pthread_mutex_unlock(&c->mu);
    floe_buf_free(&url);
    return rc;
}

/* send_call, then the answer's JSON body (*out; the caller decrefs). */
static int call_json(rest_catalog *c, const call *k, json_t **out, const char *what, floe_err *err) {
    http_resp r;
    memset(&r, 0, sizeof r);
    floe_buf_init(&r.body);
    *out = NULL;
    int rc = send_call(c, k, &r, what, err);
    if (rc == 0) {
        json_error_t je;
        *out = json_loadb(r.body.len ? (const char *)r.body.data : "", r.body.len, 0, &je);
        if (!*out || !json_is_object(*out)) {
            rc = floe_err_set(err, FLOE_ECORRUPT, "%s: the REST catalog's answer is not a JSON object (%s)", what,
                              *out ? "another JSON value" : je.text);
            json_decref(*out);
            *out = NULL;
        }
    }
    floe_buf_free(&r.body);
    return rc;
}

/* send_call when the answer's body does not matter. */
static int call_nobody(rest_catalog *c, const call *k, const char *what, floe_err *err) {
    http_resp r;
    memset(&r, 0, sizeof r);
    floe_buf_init(&r.body);
    int rc = send_call(c, k, &r, what, err);
    floe_buf_free(&r.body);
    return rc;
}

/* ---- table configs and the file IO ----------------------------------------------- */

static table_cfg *find_table(rest_catalog *c, const char *ns, const char *name) {
    for (int i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].ns, ns) == 0 && strcmp(c->tables[i].name, name) == 0) return &c->tables[i];
    return NULL;
}

static int props_equal(const floe_props *a, const floe_props *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        const char *v = floe_props_get(b, a->items[i].key);
        if (!v || strcmp(v, a->items[i].value) != 0) return 0;
    }
    return 1;
}

static void retire(rest_catalog *c, floe_fileio *io) {
    if (!io) return;
    c->retired = floe_xrealloc(c->retired, sizeof *c->retired * (size_t)(c->nretired + 1));
    c->retired[c->nretired++] = io;
}

/* Remembers a table's location and config (for the IO and for commit
 * answers, which carry no config). */
static void note_table(rest_catalog *c, const char *ns, const char *name, const char *location,
                       const floe_props *config) {
    pthread_mutex_lock(&c->io_mu);
    table_cfg *t = find_table(c, ns, name);
    if (!t) {
        c->tables = floe_xrealloc(c->tables, sizeof *c->tables * (size_t)(c->ntables + 1));
        t = &c->tables[c->ntables++];
        memset(t, 0, sizeof *t);
        t->ns = floe_xstrdup(ns);
        t->name = floe_xstrdup(name);
        floe_props_init(&t->config);
    }
    char *loc = floe_xstrdup(location ? location : "");
    size_t n = strlen(loc);
    while (n > 0 && loc[n - 1] == '/') loc[--n] = '\0';
    if (!t->location || strcmp(t->location, loc) != 0 || !props_equal(&t->config, config)) {
        retire(c, t->io);
        t->io = NULL;
        floe_props_free(&t->config);
        floe_props_copy(&t->config, config);
    }
    free(t->location);
    t->location = loc;
    pthread_mutex_unlock(&c->io_mu);
}

static void forget_table(rest_catalog *c, const char *ns, const char *name) {
    pthread_mutex_lock(&c->io_mu);
    table_cfg *t = find_table(c, ns, name);
    if (t) {
        retire(c, t->io);
        free(t->ns);
        free(t->name);
        free(t->location);
        floe_props_free(&t->config);
        *t = c->tables[--c->ntables];
    }
    pthread_mutex_unlock(&c->io_mu);
}

static int under(const char *uri, const char *loc) {
    size_t n = strlen(loc);
    return n > 0 && strncmp(uri, loc, n) == 0 && (uri[n] == '/' || uri[n] == '\0');
}

/* The IO for a file: its table's (catalog props overlaid by the table's
 * config) when a known table's location holds it, else the scheme's. */
static floe_fileio *io_for(rest_catalog *c, const char *uri, floe_err *err) {
    floe_fileio *io = NULL;
    pthread_mutex_lock(&c->io_mu);
    table_cfg *best = NULL;
    for (int i = 0; i < c->ntables; i++)
        if (c->tables[i].config.n > 0 && under(uri, c->tables[i].location) &&
            (!best || strlen(c->tables[i].location) > strlen(best->location)))
            best = &c->tables[i];
    if (best) {
        if (!best->io) {
            floe_props p;
            floe_props_copy(&p, &c->props);
            for (int i = 0; i < best->config.n; i++)
                floe_props_set(&p, best->config.items[i].key, best->config.items[i].value);
            best->io = floe_fileio_for(best->location, &p, err);
            floe_props_free(&p);
        }
        io = best->io;
    } else {
        const char *colon = strstr(uri, "://");
        char *scheme = colon ? floe_xstrndup(uri, (size_t)(colon - uri)) : floe_xstrdup("file");
        for (int i = 0; i < c->nschemes && !io; i++)
            if (strcmp(c->schemes[i].scheme, scheme) == 0) io = c->schemes[i].io;
        if (!io) {
            io = floe_fileio_for(uri, &c->props, err);
            if (io) {
                c->schemes = floe_xrealloc(c->schemes, sizeof *c->schemes * (size_t)(c->nschemes + 1));
                c->schemes[c->nschemes].scheme = scheme;
                c->schemes[c->nschemes++].io = io;
                scheme = NULL;
            }
        }
        free(scheme);
    }
    pthread_mutex_unlock(&c->io_mu);
    return io;
}

static rest_catalog *io_cat(floe_fileio *io) { return ((rest_io *)io)->c; }

static int rio_read(floe_fileio *io, const char *uri, floe_buf *out, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->read(x, uri, out, err) : -1;
}
static int rio_read_range(floe_fileio *io, const char *uri, uint64_t off, void *buf, size_t n, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->read_range(x, uri, off, buf, n, err) : -1;
}
static int rio_size(floe_fileio *io, const char *uri, uint64_t *size, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->size(x, uri, size, err) : -1;
}
static int rio_write(floe_fileio *io, const char *uri, const void *p, size_t n, int exclusive, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->write(x, uri, p, n, exclusive, err) : -1;
}
static floe_outfile *rio_create(floe_fileio *io, const char *uri, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->create(x, uri, err) : NULL;
}
static int rio_remove(floe_fileio *io, const char *uri, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), uri, err);
    return x ? x->remove(x, uri, err) : -1;
}
static int rio_list(floe_fileio *io, const char *prefix, floe_fileio_list_fn fn, void *ctx, floe_err *err) {
    floe_fileio *x = io_for(io_cat(io), prefix, err);
    return x ? x->list(x, prefix, fn, ctx, err) : -1;
}
static void rio_free(floe_fileio *io) { (void)io; /* part of the catalog */ }

/* ---- loading tables ------------------------------------------------------------------ */

/* LoadTableResult (or CommitTableResponse) into out.  `config` (may be
 * NULL): the config to use when the answer has none. */
static int read_load_result(rest_catalog *c, const char *ns, const char *name, json_t *j, int with_config,
                            floe_table_state *out, const char *what, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_props_init(&out->config);
    json_t *mj = json_object_get(j, "metadata");
    if (!json_is_object(mj))
        return floe_err_set(err, FLOE_ECORRUPT, "%s: the REST catalog's answer has no \"metadata\" object", what);
    floe_ice_metadata *m = floe_ice_metadata_from_json(mj, err);
    if (!m) return floe_err_prefix(err, "%s: the REST catalog's table metadata", what);
    const char *loc = json_string_value(json_object_get(j, "metadata-location"));
    out->metadata = m;
    out->metadata_location = xdup_or_null(loc);
    if (with_config) {
        props_from_json(json_object_get(j, "config"), &out->config);
        /* The storage credential whose prefix is the longest that the
         * table's location starts with. */
        json_t *creds = json_object_get(j, "storage-credentials"), *best = NULL;
        size_t best_len = 0, i;
        json_t *sc;
        json_array_foreach(creds, i, sc) {
            const char *p = json_string_value(json_object_get(sc, "prefix"));
            if (p && strncmp(m->location, p, strlen(p)) == 0 && (!best || strlen(p) > best_len)) {
                best = sc;
                best_len = strlen(p);
            }
        }
        if (best) props_from_json(json_object_get(best, "config"), &out->config);
        note_table(c, ns, name, m->location, &out->config);
    } else {
        pthread_mutex_lock(&c->io_mu);
        table_cfg *t = find_table(c, ns, name);
        floe_props_free(&out->config);
        if (t) floe_props_copy(&out->config, &t->config);
        else floe_props_init(&out->config);
        pthread_mutex_unlock(&c->io_mu);
    }
    return 0;
}

static void table_path(const rest_catalog *c, floe_buf *b, const char *ns, const char *name) {
    floe_buf_puts(b, "namespaces/");
    put_ns_enc(c, b, ns);
    floe_buf_puts(b, "/tables/");
    put_enc(b, name);
}

#define EP_TABLE "/v1/{prefix}/namespaces/{namespace}/tables/{table}"

static int rest_load_table(floe_catalog *base, const char *ns, const char *name, floe_table_state *out,
                           floe_err *err) {
    rest_catalog *c = cat(base);
    memset(out, 0, sizeof *out);
    if (check_table(ns, name, err)) return -1;
    floe_buf path, what;
    floe_buf_init(&path);
    floe_buf_init(&what);
    table_path(c, &path, ns, name);
    floe_buf_printf(&what, "loading table %s.%s", ns, name);
    call k = {"GET", floe_buf_cstr(&path), 0, NULL, 0, 0, 1, FLOE_ECONFLICT, "GET " EP_TABLE};
    json_t *j;
    int rc = call_json(c, &k, &j, floe_buf_cstr(&what), err);
    if (rc == 0) rc = read_load_result(c, ns, name, j, 1, out, floe_buf_cstr(&what), err);
    json_decref(j);
    floe_buf_free(&path);
    floe_buf_free(&what);
    return rc;
}

int floe_catalog_rest_table_exists(floe_catalog *base, const char *ns, const char *name, floe_err *err) {
    if (strcmp(base->kind, "rest") != 0) return floe_err_set(err, FLOE_EINVAL, "not a REST catalog");
    rest_catalog *c = cat(base);
    if (check_table(ns, name, err)) return -1;
    floe_buf path, what;
    floe_buf_init(&path);
    floe_buf_init(&what);
    table_path(c, &path, ns, name);
    floe_buf_printf(&what, "looking up table %s.%s", ns, name);
    call k = {"HEAD", floe_buf_cstr(&path), 0, NULL, 0, 0, 0, FLOE_ECONFLICT, "HEAD " EP_TABLE};
    /* Servers that predate HEAD list only GET: then ask with GET. */
    if (!endpoint_ok(c, k.endpoint)) {
        k.method = "GET";
        k.endpoint = "GET " EP_TABLE;
    }
    int rc = call_nobody(c, &k, floe_buf_cstr(&what), err);
    if (rc != 0 && err->code == FLOE_ENOTFOUND) {
        floe_err_clear(err);
        rc = 0;
    } else if (rc == 0) {
        rc = 1;
    }
    floe_buf_free(&path);
    floe_buf_free(&what);
    return rc;
}

static int rest_create_table(floe_catalog *base, const char *ns, const char *name, const floe_table_create *rq,
                             floe_table_state *out, floe_err *err) {
    rest_catalog *c = cat(base);
    if (out) memset(out, 0, sizeof *out);
    if (check_table(ns, name, err)) return -1;
    if (!rq || !rq->schema) return floe_err_set(err, FLOE_EINVAL, "creating table %s.%s: no schema", ns, name);
    floe_buf body, path, what;
    floe_buf_init(&body);
    floe_buf_init(&path);
    floe_buf_init(&what);
    floe_buf_puts(&body, "{\"name\":");
    put_str(&body, name);
    if (rq->location) {
        floe_buf_puts(&body, ",\"location\":");
        put_str(&body, rq->location);
    }
    floe_buf_puts(&body, ",\"schema\":");
    floe_ice_schema_to_json(rq->schema, &body);
    if (rq->spec) {
        floe_buf_puts(&body, ",\"partition-spec\":");
        floe_ice_spec_to_json(rq->spec, &body);
    }
    if (rq->order) {
        floe_buf_puts(&body, ",\"write-order\":");
        floe_ice_sort_order_to_json(rq->order, &body);
    }
    /* Staged: the server answers the metadata-to-be (metadata-location
     * null) and keeps nothing; floe_catalog_commit_create ends it. */
    floe_buf_puts(&body, rq->stage ? ",\"stage-create\":true" : ",\"stage-create\":false");
    floe_buf_puts(&body, ",\"properties\":");
    put_props(&body, rq->props);
    floe_buf_putc(&body, '}');
    floe_buf_puts(&path, "namespaces/");
    put_ns_enc(c, &path, ns);
    floe_buf_puts(&path, "/tables");
    floe_buf_printf(&what, "creating table %s.%s", ns, name);
    call k = {"POST", floe_buf_cstr(&path), 0, floe_buf_cstr(&body), 1, 0, 1, FLOE_EEXISTS,
              "POST /v1/{prefix}/namespaces/{namespace}/tables"};
    json_t *j;
    int rc = call_json(c, &k, &j, floe_buf_cstr(&what), err);
    if (rc == 0) {
        floe_table_state st;
        rc = read_load_result(c, ns, name, j, 1, &st, floe_buf_cstr(&what), err);
        if (rc == 0 && out) *out = st;
        else if (rc == 0) floe_table_state_free(&st);
    }
    json_decref(j);
    floe_buf_free(&body);
    floe_buf_free(&path);
    floe_buf_free(&what);
    return rc;
}

/* {"identifier":...,"requirements":[...],"updates":[...]} */
static void put_commit(floe_buf *b, const floe_table_commit *tc) {
    floe_buf_puts(b, "{\"identifier\":");
    put_ident(b, tc->ns, tc->name);
    floe_buf_puts(b, ",\"requirements\":[");
    for (int i = 0; i < tc->nreqs; i++) {
        if (i) floe_buf_putc(b, ',');
        floe_ice_requirement_to_json(&tc->reqs[i], b);
    }
    floe_buf_puts(b, "],\"updates\":[");
    for (int i = 0; i < tc->nupds; i++) {
        if (i) floe_buf_putc(b, ',');
        floe_ice_update_to_json(&tc->upds[i], b);
    }
    floe_buf_puts(b, "]}");
}

static int rest_commit_table(floe_catalog *base, const floe_table_commit *tc, floe_table_state *out,
                             floe_err *err) {
    rest_catalog *c = cat(base);
    if (out) memset(out, 0, sizeof *out);
    if (check_table(tc->ns, tc->name, err)) return -1;
    floe_buf body, path, what;
    floe_buf_init(&body);
    floe_buf_init(&path);
    floe_buf_init(&what);
    put_commit(&body, tc);
    table_path(c, &path, tc->ns, tc->name);
    floe_buf_printf(&what, "committing to table %s.%s", tc->ns, tc->name);
    call k = {"POST", floe_buf_cstr(&path), 0, floe_buf_cstr(&body), 1, 1, 0, FLOE_ECONFLICT, "POST " EP_TABLE};
    json_t *j;
    int rc = call_json(c, &k, &j, floe_buf_cstr(&what), err);
    if (rc == 0 && out) {
        rc = read_load_result(c, tc->ns, tc->name, j, 0, out, floe_buf_cstr(&what), err);
        /* The commit applied: an answer floe cannot read leaves the
         * caller to reload, not to retry. */
        if (rc) err->code = FLOE_EUNKNOWN;
    }
    json_decref(j);
    floe_buf_free(&body);
    floe_buf_free(&path);
    floe_buf_free(&what);
    return rc;
}

static int rest_commit_transaction(floe_catalog *base, const floe_table_commit *tcs, int n, floe_err *err) {
    rest_catalog *c = cat(base);
    if (n <= 0) return 0;
    floe_buf body;
    floe_buf_init(&body);
    floe_buf_puts(&body, "{\"table-changes\":[");
    for (int i = 0; i < n; i++) {
        if (check_table(tcs[i].ns, tcs[i].name, err)) {
            floe_buf_free(&body);
            return -1;
        }
        if (i) floe_buf_putc(&body, ',');
        put_commit(&body, &tcs[i]);
    }
    floe_buf_puts(&body, "]}");
    char what[160];
    snprintf(what, sizeof what, "committing a transaction over %d table%s", n, n == 1 ? "" : "s");
    call k = {"POST", "transactions/commit", 0, floe_buf_cstr(&body), 1, 1, 0, FLOE_ECONFLICT,
              "POST /v1/{prefix}/transactions/commit"};
    int rc = call_nobody(c, &k, what, err);
    floe_buf_free(&body);
    return rc;
}

static int rest_drop_table(floe_catalog *base, const char *ns, const char *name, int purge, floe_err *err) {
    rest_catalog *c = cat(base);
    if (check_table(ns, name, err)) return -1;
    floe_buf path, what;
    floe_buf_init(&path);
    floe_buf_init(&what);
    table_path(c, &path, ns, name);
    floe_buf_printf(&path, "?purgeRequested=%s", purge ? "true" : "false");
    floe_buf_printf(&what, "dropping table %s.%s", ns, name);
    call k = {"DELETE", floe_buf_cstr(&path), 0, NULL, 1, 0, 0, FLOE_ECONFLICT, "DELETE " EP_TABLE};
    int rc = call_nobody(c, &k, floe_buf_cstr(&what), err);
    if (rc == 0) forget_table(c, ns, name);
    floe_buf_free(&path);
    floe_buf_free(&what);
    return rc;
}

static int rest_rename_table(floe_catalog *base, const char *ns, const char *name, const char *to_ns,
                             const char *to_name, floe_err *err) {
    rest_catalog *c = cat(base);
    if (check_table(ns, name, err) || check_table(to_ns, to_name, err)) return -1;
    floe_buf body, what;
    floe_buf_init(&body);
    floe_buf_init(&what);
    floe_buf_puts(&body, "{\"source\":");
    put_ident(&body, ns, name);
    floe_buf_puts(&body, ",\"destination\":");
    put_ident(&body, to_ns, to_name);
    floe_buf_putc(&body, '}');
    floe_buf_printf(&what, "renaming table %s.%s to %s.%s", ns, name, to_ns, to_name);
    call k = {"POST", "tables/rename", 0, floe_buf_cstr(&body), 1, 0, 0, FLOE_EEXISTS,
              "POST /v1/{prefix}/tables/rename"};
    int rc = call_nobody(c, &k, floe_buf_cstr(&what), err);
    if (rc == 0) forget_table(c, ns, name);
    floe_buf_free(&body);
    floe_buf_free(&what);
    return rc;
}

/* Follows next-page-token: calls `take` with every page's JSON. */
static int paged(rest_catalog *c, const char *path0, const char *endpoint, const char *what,
                 int (*take)(json_t *page, strv *out), strv *out, floe_err *err) {
    char *token = NULL;
    int rc = 0;
    for (int page = 0; page < MAX_PAGES; page++) {
        floe_buf path;
        floe_buf_init(&path);
        floe_buf_puts(&path, path0);
        if (token) {
            floe_buf_printf(&path, "%spageToken=", strchr(path0, '?') ? "&" : "?");
            put_enc(&path, token);
        }
        call k = {"GET", floe_buf_cstr(&path), 0, NULL, 0, 0, 0, FLOE_ECONFLICT, endpoint};
        json_t *j;
        rc = call_json(c, &k, &j, what, err);
        floe_buf_free(&path);
        if (rc) break;
        if (take(j, out)) {
            json_decref(j);
            rc = floe_err_set(err, FLOE_ECORRUPT, "%s: the REST catalog's answer is not a listing", what);
            break;
        }
        const char *next = json_string_value(json_object_get(j, "next-page-token"));
        int more = next && *next && (!token || strcmp(next, token) != 0);
        free(token);
        token = more ? floe_xstrdup(next) : NULL;
        json_decref(j);
        if (!more) break;
    }
    free(token);
    return rc;
}

static int take_namespaces(json_t *j, strv *out) {
    json_t *a = json_object_get(j, "namespaces"), *v;
    size_t i;
    if (a && !json_is_array(a)) return -1;
    json_array_foreach(a, i, v) {
        char *ns = ns_from_json(v);
        if (!ns) return -1;
        strv_take(out, ns);
    }
    return 0;
}

static int take_tables(json_t *j, strv *out) {
    json_t *a = json_object_get(j, "identifiers"), *v;
    size_t i;
    if (a && !json_is_array(a)) return -1;
    json_array_foreach(a, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (!name) return -1;
        strv_take(out, floe_xstrdup(name));
    }
    return 0;
}

static int rest_list_tables(floe_catalog *base, const char *ns, char ***out, int *n, floe_err *err) {
    rest_catalog *c = cat(base);
    *out = NULL;
    *n = 0;
    if (check_ns(ns, err)) return -1;
    floe_buf path, what;
    floe_buf_init(&path);
    floe_buf_init(&what);
    floe_buf_puts(&path, "namespaces/");
    put_ns_enc(c, &path, ns);
    floe_buf_puts(&path, "/tables");
    floe_buf_printf(&what, "listing the tables of namespace %s", ns);
    strv s = {0};
    int rc = paged(c, floe_buf_cstr(&path), "GET /v1/{prefix}/namespaces/{namespace}/tables", floe_buf_cstr(&what),
                   take_tables, &s, err);
    floe_buf_free(&path);
    floe_buf_free(&what);
    if (rc) {
        strv_free(&s);
        return -1;
    }
    *out = s.v;
    *n = s.n;
    return 0;
}

/* ---- namespaces ----------------------------------------------------------------------- */

static int rest_create_namespace(floe_catalog *base, const char *ns, const floe_props *props, floe_err *err) {
    rest_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    floe_buf body;
    floe_buf_init(&body);
    floe_buf_puts(&body, "{\"namespace\":");
    put_ns_array(&body, ns);
    floe_buf_puts(&body, ",\"properties\":");
    put_props(&body, props);
    floe_buf_putc(&body, '}');
    char what[600];
    snprintf(what, sizeof what, "creating namespace %s", ns);
    call k = {"POST", "namespaces", 0, floe_buf_cstr(&body), 1, 0, 0, FLOE_EEXISTS, "POST /v1/{prefix}/namespaces"};
    int rc = call_nobody(c, &k, what, err);
    floe_buf_free(&body);
    return rc;
}

static int rest_list_namespaces(floe_catalog *base, const char *parent, char ***out, int *n, floe_err *err) {
    rest_catalog *c = cat(base);
    *out = NULL;
    *n = 0;
    if (parent && !*parent) parent = NULL;
    if (parent && check_ns(parent, err)) return -1;
    floe_buf path;
    floe_buf_init(&path);
    floe_buf_puts(&path, "namespaces");
    if (parent) {
        floe_buf_puts(&path, "?parent=");
        put_ns_enc(c, &path, parent);
    }
    char what[600];
    if (parent) snprintf(what, sizeof what, "listing the namespaces in %s", parent);
    else snprintf(what, sizeof what, "listing namespaces");
    strv s = {0};
    int rc = paged(c, floe_buf_cstr(&path), "GET /v1/{prefix}/namespaces", what, take_namespaces, &s, err);
    floe_buf_free(&path);
    if (rc) {
        strv_free(&s);
        return -1;
    }
    *out = s.v;
    *n = s.n;
    return 0;
}

static int rest_load_namespace(floe_catalog *base, const char *ns, floe_props *out, floe_err *err) {
    rest_catalog *c = cat(base);
    floe_props_init(out);
    if (check_ns(ns, err)) return -1;
    floe_buf path;
    floe_buf_init(&path);
    floe_buf_puts(&path, "namespaces/");
    put_ns_enc(c, &path, ns);
    char what[600];
    snprintf(what, sizeof what, "loading namespace %s", ns);
    call k = {"GET", floe_buf_cstr(&path), 0, NULL, 0, 0, 0, FLOE_ECONFLICT, "GET /v1/{prefix}/namespaces/{namespace}"};
    json_t *j;
    int rc = call_json(c, &k, &j, what, err);
    if (rc == 0) props_from_json(json_object_get(j, "properties"), out);
    json_decref(j);
    floe_buf_free(&path);
    return rc;
}

static int rest_update_namespace(floe_catalog *base, const char *ns, const floe_props *set, char *const *remove,
                                 int nremove, floe_err *err) {
    rest_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    floe_buf body, path;
    floe_buf_init(&body);
    floe_buf_init(&path);
    floe_buf_puts(&body, "{\"removals\":[");
    for (int i = 0; i < nremove; i++) {
        if (i) floe_buf_putc(&body, ',');
        put_str(&body, remove[i]);
    }
    floe_buf_puts(&body, "],\"updates\":");
    put_props(&body, set);
    floe_buf_putc(&body, '}');
    floe_buf_puts(&path, "namespaces/");
    put_ns_enc(c, &path, ns);
    floe_buf_puts(&path, "/properties");
    char what[600];
    snprintf(what, sizeof what, "updating the properties of namespace %s", ns);
    call k = {"POST", floe_buf_cstr(&path), 0, floe_buf_cstr(&body), 1, 0, 0, FLOE_ECONFLICT,
              "POST /v1/{prefix}/namespaces/{namespace}/properties"};
    int rc = call_nobody(c, &k, what, err);
    floe_buf_free(&body);
    floe_buf_free(&path);
    return rc;
}

static int rest_drop_namespace(floe_catalog *base, const char *ns, floe_err *err) {
    rest_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    floe_buf path;
    floe_buf_init(&path);
    floe_buf_puts(&path, "namespaces/");
    put_ns_enc(c, &path, ns);
    char what[600];
    snprintf(what, sizeof what, "dropping namespace %s", ns);
    call k = {"DELETE", floe_buf_cstr(&path), 0, NULL, 1, 0, 0, FLOE_ECONFLICT,
              "DELETE /v1/{prefix}/namespaces/{namespace}"};
    int rc = call_nobody(c, &k, what, err);
    floe_buf_free(&path);
    return rc;
}

/* ---- lifetime ------------------------------------------------------------------------- */

static floe_fileio *rest_fileio(floe_catalog *base) { return &cat(base)->io.base; }

static void rest_free(floe_catalog *base) {
    rest_catalog *c = cat(base);
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c->uri);
    free(c->prefix);
    free(c->sep);
    free(c->warehouse);
    floe_props_free(&c->props);
    free_secret(c->token);
    free(c->client_id);
    free_secret(c->client_secret);
    free(c->scope);
    free(c->oauth_uri);
    free(c->sigv4_param);
    free(c->aws_key);
    free_secret(c->aws_secret);
    free_secret(c->aws_token);
    free(c->ca_bundle);
    free(c->delegation);
    for (int i = 0; i < c->nendpoints; i++) free(c->endpoints[i]);
    free(c->endpoints);
    for (int i = 0; i < c->ntables; i++) {
        if (c->tables[i].io) c->tables[i].io->free(c->tables[i].io);
        free(c->tables[i].ns);
        free(c->tables[i].name);
        free(c->tables[i].location);
        floe_props_free(&c->tables[i].config);
    }
    free(c->tables);
    for (int i = 0; i < c->nschemes; i++) {
        c->schemes[i].io->free(c->schemes[i].io);
        free(c->schemes[i].scheme);
    }
    free(c->schemes);
    for (int i = 0; i < c->nretired; i++) c->retired[i]->free(c->retired[i]);
    free(c->retired);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->io_mu);
    free(c);
}

static const floe_catalog rest_vtable = {
    "rest",
    rest_create_namespace,
    rest_list_namespaces,
    rest_load_namespace,
    rest_update_namespace,
    rest_drop_namespace,
    rest_list_tables,
    rest_create_table,
    rest_load_table,
    rest_commit_table,
    rest_commit_transaction,
    rest_drop_table,
    rest_rename_table,
    rest_fileio,
    rest_free,
};

/* A non-negative integer setting in milliseconds, or def. */
static int setting_ms(const floe_props *p, const char *key, int64_t def, int64_t min, int64_t *out, floe_err *err) {
    const char *v = floe_props_get(p, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < min || x > 86400000LL)
        return floe_err_set(err, FLOE_EINVAL, "catalog property %s: '%s' is not a number of milliseconds (%lld..%lld)",
                            key, v, (long long)min, 86400000LL);
    *out = x;
    return 0;
}

static const char *first_of(const floe_props *p, const char *a, const char *b, const char *env) {
    const char *v = floe_props_get(p, a);
    if (!v && b) v = floe_props_get(p, b);
    if (!v && env) v = getenv(env);
    return v && *v ? v : NULL;
}

/* Reads the settings from c->props (the client's, then again after the
 * merge with the server's). */
static int apply_settings(rest_catalog *c, floe_err *err) {
    const floe_props *p = &c->props;
    int64_t v;
    if (setting_ms(p, "rest.connect-timeout-ms", DEFAULT_CONNECT_MS, 1, &v, err)) return -1;
    c->connect_ms = (long)v;
    if (setting_ms(p, "rest.request-timeout-ms", DEFAULT_REQUEST_MS, 1, &v, err)) return -1;
    c->request_ms = (long)v;
    if (setting_ms(p, "rest.max-retries", DEFAULT_RETRIES, 0, &v, err)) return -1;
    c->max_retries = v > 100 ? 100 : (int)v;
    if (setting_ms(p, "rest.retry-min-wait-ms", DEFAULT_RETRY_MIN_MS, 0, &c->retry_min_ms, err)) return -1;
    if (setting_ms(p, "rest.retry-max-wait-ms", DEFAULT_RETRY_MAX_MS, 0, &c->retry_max_ms, err)) return -1;
    if (c->retry_max_ms < c->retry_min_ms) c->retry_max_ms = c->retry_min_ms;
    set_str(&c->ca_bundle, first_of(p, "rest.ca-bundle", NULL, "FLOE_CATALOG_CA_BUNDLE"));
    const char *d = floe_props_get(p, "rest.access-delegation");
    set_str(&c->delegation, d ? d : "vended-credentials");
    set_str(&c->prefix, floe_props_get(p, "prefix"));
    if (c->prefix) {
        size_t n = strlen(c->prefix);
        while (n > 0 && c->prefix[n - 1] == '/') c->prefix[--n] = '\0';
        while (c->prefix[0] == '/') memmove(c->prefix, c->prefix + 1, strlen(c->prefix));
    }
    const char *sep = floe_props_get(p, "namespace-separator");
    set_str(&c->sep, sep && *sep ? sep : DEFAULT_SEPARATOR);

    /* authentication */
    const char *token = floe_props_get(p, "token");
    const char *cred = floe_props_get(p, "credential");
    if (token && *token && (!c->token || c->auth != AUTH_OAUTH2)) {
        free_secret(c->token);
        c->token = floe_xstrdup(token);
        c->auth = AUTH_TOKEN;
    }
    if (cred && *cred) {
        const char *colon = strchr(cred, ':');
        free(c->client_id);
        free_secret(c->client_secret);
        c->client_id = colon ? floe_xstrndup(cred, (size_t)(colon - cred)) : NULL;
        c->client_secret = floe_xstrdup(colon ? colon + 1 : cred);
        c->auth = AUTH_OAUTH2;
    }
    const char *scope = floe_props_get(p, "scope");
    set_str(&c->scope, scope && *scope ? scope : "catalog");
    const char *ou = floe_props_get(p, "oauth2-server-uri");
    floe_buf b;
    floe_buf_init(&b);
    if (ou && (strncmp(ou, "http://", 7) == 0 || strncmp(ou, "https://", 8) == 0)) floe_buf_puts(&b, ou);
    else if (ou && *ou) floe_buf_printf(&b, "%s/%s", c->uri, ou[0] == '/' ? ou + 1 : ou);
    else floe_buf_printf(&b, "%s/v1/oauth/tokens", c->uri);
    set_str(&c->oauth_uri, floe_buf_cstr(&b));
    floe_buf_free(&b);

    c->sigv4 = is_true(floe_props_get(p, "rest.sigv4-enabled"));
    if (c->sigv4) {
        const char *region = first_of(p, "rest.signing-region", "s3.region", NULL);
        if (!region) region = first_of(p, "client.region", NULL, "AWS_REGION");
        const char *svc = floe_props_get(p, "rest.signing-name");
        const char *key = first_of(p, "rest.access-key-id", "s3.access-key-id", "AWS_ACCESS_KEY_ID");
        const char *secret = first_of(p, "rest.secret-access-key", "s3.secret-access-key", "AWS_SECRET_ACCESS_KEY");
        const char *stok = first_of(p, "rest.session-token", "s3.session-token", "AWS_SESSION_TOKEN");
        if (!region)
            return floe_err_set(err, FLOE_EINVAL,
                                "rest.sigv4-enabled: no signing region (set rest.signing-region or AWS_REGION)");
        if (!key || !secret)
            return floe_err_set(err, FLOE_EINVAL,
                                "rest.sigv4-enabled: no AWS credentials (set rest.access-key-id and "
                                "rest.secret-access-key, s3.access-key-id and s3.secret-access-key, or "
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
        floe_buf s;
        floe_buf_init(&s);
        floe_buf_printf(&s, "aws:amz:%s:%s", region, svc && *svc ? svc : "execute-api");
        set_str(&c->sigv4_param, floe_buf_cstr(&s));
        floe_buf_free(&s);
        set_str(&c->aws_key, key);
        free_secret(c->aws_secret);
        c->aws_secret = floe_xstrdup(secret);
        free_secret(c->aws_token);
        c->aws_token = xdup_or_null(stok);
    }
    return 0;
}

/* GET /v1/config and the merge of its answer into c->props. */
static int load_config(rest_catalog *c, const floe_props *client, floe_err *err) {
    floe_buf url;
    floe_buf_init(&url);
    floe_buf_printf(&url, "%s/v1/config", c->uri);
    if (c->warehouse) {
        floe_buf_puts(&url, "?warehouse=");
        put_enc(&url, c->warehouse);
    }
    call k = {"GET", floe_buf_cstr(&url), 1, NULL, 0, 0, 0, FLOE_ECONFLICT, "GET /v1/config"};
    json_t *j;
    char what[300];
    snprintf(what, sizeof what, "opening the REST catalog at %s", c->uri);
    int rc = call_json(c, &k, &j, what, err);
    floe_buf_free(&url);
    if (rc) return -1;
    floe_props merged;
    floe_props_init(&merged);
    props_from_json(json_object_get(j, "defaults"), &merged);
    for (int i = 0; client && i < client->n; i++) floe_props_set(&merged, client->items[i].key, client->items[i].value);
    props_from_json(json_object_get(j, "overrides"), &merged);
    floe_props_free(&c->props);
    c->props = merged;
    json_t *eps = json_object_get(j, "endpoints"), *e;
    size_t i;
    if (json_is_array(eps)) {
        c->has_endpoints = 1;
        json_array_foreach(eps, i, e) {
            const char *s = json_string_value(e);
            if (!s) continue;
            /* "POST  /v1/..." with any run of spaces: keep one */
            floe_buf n;
            floe_buf_init(&n);
            for (const char *q = s; *q; q++)
                if (*q != ' ' || (n.len && n.data[n.len - 1] != ' ')) floe_buf_putc(&n, (uint8_t)*q);
            c->endpoints = floe_xrealloc(c->endpoints, sizeof *c->endpoints * (size_t)(c->nendpoints + 1));
            c->endpoints[c->nendpoints++] = floe_xstrdup(floe_buf_cstr(&n));
            floe_buf_free(&n);
        }
    }
    c->idempotent = json_is_string(json_object_get(j, "idempotency-key-lifetime"));
    json_decref(j);
    /* An override may move the catalog (Java reads "uri" after the merge). */
    const char *u = floe_props_get(&c->props, "uri");
    if (u && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)) {
        set_str(&c->uri, u);
        size_t n = strlen(c->uri);
        while (n > 0 && c->uri[n - 1] == '/') c->uri[--n] = '\0';
    }
    return apply_settings(c, err);
}

floe_catalog *floe_catalog_rest_open(const char *uri, const char *warehouse, const floe_props *props,
                                     floe_err *err) {
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        floe_err_set(err, FLOE_EIO, "%s: libcurl failed to start: %s", uri, curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0) {
        floe_err_set(err, FLOE_EINVAL, "%s: a REST catalog URI starts with http:// or https://", uri);
        return NULL;
    }
    rest_catalog *c = floe_xcalloc(1, sizeof *c);
    c->base = rest_vtable;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->io_mu, NULL);
    c->io.base = (floe_fileio){"rest", rio_read, rio_read_range, rio_size, rio_write, rio_create, rio_remove,
                               rio_list, rio_free, };
    c->io.c = c;
    c->uri = floe_xstrdup(uri);
    size_t n = strlen(c->uri);
    while (n > 0 && c->uri[n - 1] == '/') c->uri[--n] = '\0';
    if (!warehouse || !*warehouse) warehouse = props ? floe_props_get(props, "warehouse") : NULL;
    c->warehouse = warehouse && *warehouse ? floe_xstrdup(warehouse) : NULL;
    if (props) floe_props_copy(&c->props, props);
    else floe_props_init(&c->props);
    c->curl = curl_easy_init();
    if (!c->curl) {
        floe_err_set(err, FLOE_EIO, "%s: libcurl could not make a handle", uri);
        goto fail;
    }
    if (apply_settings(c, err)) goto fail;
    if (c->auth == AUTH_OAUTH2 && !c->token) {
        pthread_mutex_lock(&c->mu);
        int rc = fetch_token(c, err);
        pthread_mutex_unlock(&c->mu);
        if (rc) goto fail;
    }
    if (load_config(c, props, err)) goto fail;
    if (!endpoint_ok(c, "POST /v1/{prefix}/transactions/commit")) c->base.commit_transaction = NULL;
    return &c->base;
fail:
    scrub(c, err);
    rest_free(&c->base);
    return NULL;
}
