/*
 * s3.c — the S3 file IO (s3.h has the configuration and semantics).
 *
 * Every operation is one or more HTTP requests made by s3_perform(): it
 * builds the URL (path-style or virtual-hosted), adds the headers SigV4
 * needs (x-amz-content-sha256 = SHA-256 of the body, computed here because
 * libcurl hashes only POST fields and would otherwise sign an empty body for
 * a PUT; x-amz-security-token), lets libcurl sign the request
 * (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3"), and retries with jittered
 * exponential backoff what is worth retrying.  Bodies are always in memory
 * (a whole small object, or one part of a multipart upload), so a retry
 * simply sends them again.
 *
 * Query strings are built in SigV4's canonical form (parameters sorted, all
 * values escaped) because the libcurl versions in use sign the query as
 * given.  Keys are escaped the same way, '/' kept.
 *
 * Easy handles are pooled per IO (a few idle ones kept) so that consecutive
 * requests reuse connections; the pool is mutex-guarded, so an IO may be
 * used from several threads.  Response XML (errors, ListObjectsV2, multipart
 * upload ids) is read with a minimal scanner that finds elements by name and
 * decodes the five XML entities and numeric character references; anything
 * else is an error, never a guess.
 */
#include "io/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/sha256.h"

#define DEFAULT_PART (8u << 20)
#define MAX_ERR_BODY (64u << 10)
#define MAX_LIST_BODY (64u << 20)
#define IDLE_HANDLES 4
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- configuration ---------------------------------------------------------------- */

/* The first of: the property, then the environment variables (NULL-ended). */
static const char *setting(const floe_props *props, const char *key, const char *const *env) {
    const char *v = props && key ? floe_props_get(props, key) : NULL;
    if (v && *v) return v;
    for (; env && *env; env++) {
        v = getenv(*env);
        if (v && *v) return v;
    }
    return NULL;
}

static int parse_bool(const char *s, int *out) {
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) *out = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) *out = 0;
    else return -1;
    return 0;
}

/* "8388608", "8M", "8MiB", "64k" -> bytes. */
static int parse_bytes(const char *s, uint64_t *out) {
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE) return -1;
    int shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && *end && strcasecmp(end, "b") && strcasecmp(end, "ib")) return -1;
    if (!shift && *end && strcasecmp(end, "b")) return -1;
    if (v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_int_setting(const char *name, const char *s, long lo, long hi, int *out, floe_err *err) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not an integer in [%ld, %ld]", name, s, lo, hi);
    *out = (int)v;
    return 0;
}

void floe_s3_config_free(floe_s3_config *cfg) {
    free(cfg->endpoint);
    free(cfg->region);
    free(cfg->access_key);
    free(cfg->secret_key);
    free(cfg->session_token);
    memset(cfg, 0, sizeof *cfg);
}

/* Whether the endpoint's host is an IP literal or localhost. */
static int host_is_literal(const char *endpoint) {
    const char *h = strstr(endpoint, "://");
    h = h ? h + 3 : endpoint;
    if (*h == '[') return 1;
    size_t n = strcspn(h, ":/");
    if (n == 9 && strncasecmp(h, "localhost", 9) == 0) return 1;
    for (size_t i = 0; i < n; i++)
        if (!(h[i] == '.' || (h[i] >= '0' && h[i] <= '9'))) return 0;
    return n > 0;
}

int floe_s3_config_load(const floe_props *props, floe_s3_config *cfg, floe_err *err) {
    memset(cfg, 0, sizeof *cfg);
    static const char *const env_region[] = {"FLOE_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", NULL};
    static const char *const env_endpoint[] = {"FLOE_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", NULL};
    static const char *const env_path[] = {"FLOE_S3_PATH_STYLE", NULL};
    static const char *const env_part[] = {"FLOE_S3_MULTIPART_SIZE", NULL};
    static const char *const env_threshold[] = {"FLOE_S3_MULTIPART_THRESHOLD", NULL};
    static const char *const env_retries[] = {"FLOE_S3_RETRIES", NULL};

    const char *region = setting(props, "s3.region", NULL);
    if (!region) region = setting(props, "client.region", env_region);
    if (!region) region = "us-east-1";
    for (const char *p = region; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-') ||
            p - region > 60)
            return floe_err_set(err, FLOE_EINVAL, "s3.region: '%s' is not a region name", region);
    cfg->region = floe_xstrdup(region);

    const char *ep = setting(props, "s3.endpoint", env_endpoint);
    floe_buf b;
    floe_buf_init(&b);
    if (ep) {
        if (strncasecmp(ep, "http://", 7) != 0 && strncasecmp(ep, "https://", 8) != 0) {
            if (strstr(ep, "://")) {
                floe_s3_config_free(cfg);
                return floe_err_set(err, FLOE_EINVAL, "s3.endpoint: '%s' is not an http(s) URL", ep);
            }
            floe_buf_puts(&b, "https://");
        }
        floe_buf_puts(&b, ep);
        while (b.len > 0 && b.data[b.len - 1] == '/') b.len--;
        for (size_t i = 0; i < b.len; i++)
            if (b.data[i] <= ' ' || b.data[i] == '?' || b.data[i] == '#' || b.data[i] == '@' || b.data[i] >= 0x7f) {
                floe_buf_free(&b);
                floe_s3_config_free(cfg);
                return floe_err_set(err, FLOE_EINVAL, "s3.endpoint: '%s' is not a plain http(s) URL", ep);
            }
    } else {
        floe_buf_printf(&b, "https://s3.%s.amazonaws.com", cfg->region);
    }
    cfg->endpoint = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);

    const char *ps = setting(props, "s3.path-style-access", env_path);
    if (ps) {
        if (parse_bool(ps, &cfg->path_style)) {
            floe_s3_config_free(cfg);
            return floe_err_set(err, FLOE_EINVAL, "s3.path-style-access: '%s' is not true or false", ps);
        }
    } else {
        cfg->path_style = host_is_literal(cfg->endpoint);
    }

    /* Credentials come as a set: the properties' or the environment's. */
    const char *ak = setting(props, "s3.access-key-id", NULL);
    const char *sk, *tok;
    if (ak) {
        sk = setting(props, "s3.secret-access-key", NULL);
        tok = setting(props, "s3.session-token", NULL);
        if (!sk) {
            floe_s3_config_free(cfg);
            return floe_err_set(err, FLOE_EINVAL, "s3.access-key-id is set but s3.secret-access-key is not");
        }
    } else {
        ak = getenv("AWS_ACCESS_KEY_ID");
        sk = getenv("AWS_SECRET_ACCESS_KEY");
        tok = getenv("AWS_SESSION_TOKEN");
        if (ak && !*ak) ak = NULL;
        if (ak && (!sk || !*sk)) {
            floe_s3_config_free(cfg);
            return floe_err_set(err, FLOE_EINVAL, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
        }
    }
    if (ak) {
        /* They travel in headers: a line break would split the request. */
        const char *all[3] = {ak, sk, tok};
        for (int i = 0; i < 3; i++)
            for (const char *p = all[i]; p && *p; p++)
                if ((unsigned char)*p < ' ' || *p == 0x7f) {
                    floe_s3_config_free(cfg);
                    return floe_err_set(err, FLOE_EINVAL, "S3 credentials contain a control character");
                }
        cfg->access_key = floe_xstrdup(ak);
        cfg->secret_key = floe_xstrdup(sk);
        cfg->session_token = tok && *tok ? floe_xstrdup(tok) : NULL;
    }

    uint64_t part = DEFAULT_PART;
    const char *s = setting(props, "s3.multipart.size", env_part);
    if (s && (parse_bytes(s, &part) || part < FLOE_S3_MIN_PART || part > (5ull << 30))) {
        floe_s3_config_free(cfg);
        return floe_err_set(err, FLOE_EINVAL, "s3.multipart.size: '%s' is not a size from 5 MiB to 5 GiB", s);
    }
    cfg->part_size = (size_t)part;
    uint64_t threshold = part;
    s = setting(props, "s3.multipart.threshold", env_threshold);
    if (s) {
        char *end;
        double f = strchr(s, '.') ? strtod(s, &end) : 0;
        if (strchr(s, '.') && !*end && f >= 1.0 && f < 100) {
            threshold = (uint64_t)(f * (double)part);
        } else if (parse_bytes(s, &threshold) || threshold == 0) {
            floe_s3_config_free(cfg);
            return floe_err_set(err, FLOE_EINVAL, "s3.multipart.threshold: '%s' is not a size in bytes", s);
        }
    }
    if (threshold > (5ull << 30)) threshold = 5ull << 30; /* the largest single PUT */
    cfg->threshold = (size_t)threshold;

    cfg->retries = 5;
    cfg->min_wait_ms = 100;
    cfg->max_wait_ms = 5000;
    if ((s = setting(props, "s3.retry.num-retries", env_retries)) &&
        parse_int_setting("s3.retry.num-retries", s, 0, 100, &cfg->retries, err))
        goto fail;
    if ((s = setting(props, "s3.retry.min-wait-ms", NULL)) &&
        parse_int_setting("s3.retry.min-wait-ms", s, 0, 600000, &cfg->min_wait_ms, err))
        goto fail;
    if ((s = setting(props, "s3.retry.max-wait-ms", NULL)) &&
        parse_int_setting("s3.retry.max-wait-ms", s, 0, 600000, &cfg->max_wait_ms, err))
        goto fail;
    static const char *const env_keys[] = {"FLOE_S3_LIST_MAX_KEYS", NULL};
    if ((s = setting(props, "s3.list.max-keys", env_keys)) &&
        parse_int_setting("s3.list.max-keys", s, 1, 1000, &cfg->list_max_keys, err))
        goto fail;
    if (cfg->max_wait_ms < cfg->min_wait_ms) cfg->max_wait_ms = cfg->min_wait_ms;
    return 0;
fail:
    floe_s3_config_free(cfg);
    return -1;
}

/* ---- URIs and URLs ------------------------------------------------------------------ */

static size_t scheme_len_of(const char *uri) {
    if (strncmp(uri, "s3://", 5) == 0) return 5;
    if (strncmp(uri, "s3a://", 6) == 0 || strncmp(uri, "s3n://", 6) == 0) return 6;
    return 0;
}

int floe_s3_is_uri(const char *uri) { return scheme_len_of(uri) != 0; }

int floe_s3_split(const char *uri, char **bucket, const char **key, size_t *scheme_len, floe_err *err) {
    size_t sl = scheme_len_of(uri);
    if (!sl) return floe_err_set(err, FLOE_EINVAL, "%s: not an s3:// URI", uri);
    const char *b = uri + sl;
    size_t n = strcspn(b, "/");
    if (n == 0 || n > 255) return floe_err_set(err, FLOE_EINVAL, "%s: no bucket name", uri);
    /* Bucket names are DNS labels (plus legacy upper case and '_'); anything
     * else could change the URL's meaning. */
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return floe_err_set(err, FLOE_EINVAL, "%s: '%.*s' is not a bucket name", uri, (int)n, b);
    }
    *bucket = floe_xstrndup(b, n);
    *key = b[n] == '/' ? b + n + 1 : b + n;
    if (scheme_len) *scheme_len = sl;
    return 0;
}

void floe_s3_escape(const char *s, int keep_slash, floe_buf *out) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || (c == '/' && keep_slash)) {
            floe_buf_putc(out, c);
        } else {
            floe_buf_putc(out, '%');
            floe_buf_putc(out, (uint8_t)hex[c >> 4]);
            floe_buf_putc(out, (uint8_t)hex[c & 15]);
        }
    }
}

void floe_s3_url(const floe_s3_config *cfg, const char *bucket, const char *key, const char *query, floe_buf *out) {
    const char *ep = cfg->endpoint;
    const char *host = strstr(ep, "://");
    host = host ? host + 3 : ep;
    size_t hostlen = strcspn(host, "/"); /* host[:port] */
    const char *base = host + hostlen;   /* "" or "/base" */
    floe_buf_append(out, ep, (size_t)(host - ep));
    if (cfg->path_style) {
        floe_buf_append(out, host, hostlen);
        floe_buf_puts(out, base);
        floe_buf_putc(out, '/');
        floe_buf_puts(out, bucket);
        if (*key) floe_buf_putc(out, '/');
    } else {
        floe_buf_puts(out, bucket);
        floe_buf_putc(out, '.');
        floe_buf_append(out, host, hostlen);
        floe_buf_puts(out, base);
        floe_buf_putc(out, '/');
    }
    floe_s3_escape(key, 1, out);
    if (query && *query) {
        floe_buf_putc(out, '?');
        floe_buf_puts(out, query);
    }
    floe_buf_cstr(out);
}

/* ---- minimal XML ------------------------------------------------------------------------ */

/* Decodes entities of text[0..n) into out. */
static int xml_unescape(const char *t, size_t n, floe_buf *out) {
    for (size_t i = 0; i < n;) {
        char c = t[i];
        if (c == '<') return -1;
        if (c != '&') {
            floe_buf_putc(out, (uint8_t)c);
            i++;
            continue;
        }
        const char *semi = memchr(t + i, ';', n - i);
        if (!semi || semi - (t + i) > 12) return -1;
        const char *e = t + i + 1;
        size_t elen = (size_t)(semi - e);
        if (elen == 3 && !memcmp(e, "amp", 3)) floe_buf_putc(out, '&');
        else if (elen == 2 && !memcmp(e, "lt", 2)) floe_buf_putc(out, '<');
        else if (elen == 2 && !memcmp(e, "gt", 2)) floe_buf_putc(out, '>');
        else if (elen == 4 && !memcmp(e, "quot", 4)) floe_buf_putc(out, '"');
        else if (elen == 4 && !memcmp(e, "apos", 4)) floe_buf_putc(out, '\'');
        else if (elen >= 2 && e[0] == '#') {
            int hexa = e[1] == 'x' || e[1] == 'X';
            uint32_t cp = 0;
            size_t j = hexa ? 2 : 1;
            if (j >= elen) return -1;
            for (; j < elen; j++) {
                char d = e[j];
                int v = d >= '0' && d <= '9' ? d - '0'
                        : hexa && d >= 'a' && d <= 'f' ? d - 'a' + 10
                        : hexa && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                       : -1;
                if (v < 0) return -1;
                cp = cp * (hexa ? 16u : 10u) + (uint32_t)v;
                if (cp > 0x10FFFF) return -1;
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
            if (cp < 0x80) {
                floe_buf_putc(out, (uint8_t)cp);
            } else if (cp < 0x800) {
                floe_buf_putc(out, (uint8_t)(0xC0 | cp >> 6));
                floe_buf_putc(out, (uint8_t)(0x80 | (cp & 0x3F)));
            } else if (cp < 0x10000) {
                floe_buf_putc(out, (uint8_t)(0xE0 | cp >> 12));
                floe_buf_putc(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
                floe_buf_putc(out, (uint8_t)(0x80 | (cp & 0x3F)));
            } else {
                floe_buf_putc(out, (uint8_t)(0xF0 | cp >> 18));
                floe_buf_putc(out, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
                floe_buf_putc(out, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
                floe_buf_putc(out, (uint8_t)(0x80 | (cp & 0x3F)));
            }
        } else {
            return -1;
        }
        i = (size_t)(semi - t) + 1;
    }
    return 0;
}

static const char *find_mem(const char *p, const char *end, const char *s) {
    size_t n = strlen(s);
    while (p && (size_t)(end - p) >= n) {
        const char *q = memchr(p, s[0], (size_t)(end - p) - n + 1);
        if (!q) return NULL;
        if (memcmp(q, s, n) == 0) return q;
        p = q + 1;
    }
    return NULL;
}

/* The raw content of the first <name> element in [p, end), or NULL; a
 * self-closing <name/> has empty content.  *next is past its end tag. */
static const char *xml_elem(const char *p, const char *end, const char *name, size_t *len, const char **next) {
    char open[80], close[84], empty[84];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    snprintf(empty, sizeof empty, "<%s/>", name);
    const char *a = find_mem(p, end, open);
    const char *e = find_mem(p, end, empty);
    if (e && (!a || e < a)) {
        *len = 0;
        if (next) *next = e + strlen(empty);
        return e;
    }
    if (!a) return NULL;
    const char *c = a + strlen(open);
    const char *z = find_mem(c, end, close);
    if (!z) return NULL;
    *len = (size_t)(z - c);
    if (next) *next = z + strlen(close);
    return c;
}

int floe_s3_xml_text(const char *xml, size_t len, const char *name, floe_buf *out) {
    size_t n;
    const char *t = xml_elem(xml, xml + len, name, &n, NULL);
    if (!t) return -1;
    return xml_unescape(t, n, out);
}

/* "2024-05-01T12:34:56.789Z" -> epoch ms; 0 when it is not that form. */
static int64_t parse_iso_ms(const char *s, size_t n) {
    int y, mo, d, h, mi, sec, ms = 0;
    char tmp[40];
    if (n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
    const char *dot = strchr(tmp, '.');
    if (dot) {
        int k = 0;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++)
            if (k++ < 3) ms = ms * 10 + (*p - '0');
        while (k++ < 3) ms *= 10;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

void floe_s3_list_page_free(floe_s3_list_page *p) {
    for (int i = 0; i < p->n; i++) free(p->items[i].key);
    free(p->items);
    free(p->next_token);
    memset(p, 0, sizeof *p);
}

int floe_s3_list_parse(const char *xml, size_t len, floe_s3_list_page *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    const char *end = xml + len;
    if (!find_mem(xml, end, "<ListBucketResult"))
        return floe_err_set(err, FLOE_ECORRUPT, "not a ListObjectsV2 answer (no ListBucketResult element)");
    int cap = 0;
    floe_buf t;
    floe_buf_init(&t);
    const char *p = xml, *next;
    size_t n;
    const char *c;
    while ((c = xml_elem(p, end, "Contents", &n, &next))) {
        const char *ce = c + n;
        size_t kn, sn, mn;
        const char *k = xml_elem(c, ce, "Key", &kn, NULL);
        const char *sz = xml_elem(c, ce, "Size", &sn, NULL);
        const char *mt = xml_elem(c, ce, "LastModified", &mn, NULL);
        floe_buf_reset(&t);
        if (!k || kn == 0 || xml_unescape(k, kn, &t) || memchr(t.data, 0, t.len)) {
            floe_buf_free(&t);
            floe_s3_list_page_free(out);
            return floe_err_set(err, FLOE_ECORRUPT, "ListObjectsV2 answer: an entry without a valid Key");
        }
        int64_t size = 0;
        if (sz) {
            for (size_t i = 0; i < sn; i++) {
                if (sz[i] < '0' || sz[i] > '9' || size > (INT64_MAX - (sz[i] - '0')) / 10) {
                    floe_buf_free(&t);
                    floe_s3_list_page_free(out);
                    return floe_err_set(err, FLOE_ECORRUPT, "ListObjectsV2 answer: Size '%.*s' is not a number",
                                        (int)(sn > 40 ? 40 : sn), sz);
                }
                size = size * 10 + (sz[i] - '0');
            }
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->items = floe_xrealloc(out->items, sizeof *out->items * (size_t)cap);
        }
        floe_s3_object *o = &out->items[out->n++];
        o->key = floe_xstrndup((const char *)t.data, t.len);
        o->size = size;
        o->mtime_ms = mt ? parse_iso_ms(mt, mn) : 0;
        p = next;
    }
    if (find_mem(p, end, "<Contents>")) { /* one that never ends */
        floe_buf_free(&t);
        floe_s3_list_page_free(out);
        return floe_err_set(err, FLOE_ECORRUPT, "ListObjectsV2 answer: an unterminated Contents element");
    }
    /* The top-level flags come after the contents in S3's answers but not
     * necessarily in others': look outside the Contents elements. */
    const char *tr = NULL;
    size_t trn = 0;
    const char *tok = NULL;
    size_t tokn = 0;
    for (p = xml; p < end;) {
        const char *cs = find_mem(p, end, "<Contents>");
        const char *seg_end = cs ? cs : end;
        if (!tr) tr = xml_elem(p, seg_end, "IsTruncated", &trn, NULL);
        if (!tok) tok = xml_elem(p, seg_end, "NextContinuationToken", &tokn, NULL);
        if (!cs) break;
        const char *ce = find_mem(cs, end, "</Contents>");
        if (!ce) break;
        p = ce + 11;
    }
    out->truncated = tr && trn == 4 && memcmp(tr, "true", 4) == 0;
    if (tok) {
        floe_buf_reset(&t);
        if (xml_unescape(tok, tokn, &t)) {
            floe_buf_free(&t);
            floe_s3_list_page_free(out);
            return floe_err_set(err, FLOE_ECORRUPT, "ListObjectsV2 answer: malformed NextContinuationToken");
        }
        out->next_token = floe_xstrndup((const char *)t.data, t.len);
    }
    floe_buf_free(&t);
    if (out->truncated && (!out->next_token || !*out->next_token)) {
        floe_s3_list_page_free(out);
        return floe_err_set(err, FLOE_ECORRUPT, "ListObjectsV2 answer: truncated without a NextContinuationToken");
    }
    return 0;
}

/* ---- HTTP -------------------------------------------------------------------------------- */

typedef struct s3_io {
    floe_fileio base;
    floe_s3_config cfg;
    char sigv4[96]; /* "aws:amz:REGION:s3" */
    pthread_mutex_t mu;
    CURL *idle[IDLE_HANDLES];
    int nidle;
    atomic_int no_conditional; /* the store answered 501 to If-None-Match */
} s3_io;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }

static CURL *take_handle(s3_io *io) {
    CURL *h = NULL;
    pthread_mutex_lock(&io->mu);
    if (io->nidle) h = io->idle[--io->nidle];
    pthread_mutex_unlock(&io->mu);
    if (!h) h = curl_easy_init(); /* s3_perform resets it; the connections stay */
    return h;
}

static void give_handle(s3_io *io, CURL *h) {
    pthread_mutex_lock(&io->mu);
    if (io->nidle < IDLE_HANDLES) {
        io->idle[io->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&io->mu);
    if (h) curl_easy_cleanup(h);
}

/* One request and its response. */
typedef struct s3_call {
    const char *op;  /* for messages: "GET", "PUT", "upload part 3", ... */
    const char *uri; /* for messages */
    const char *method;
    const char *bucket, *key, *query;
    const void *body; /* PUT or POST body */
    size_t body_len;
    char range[64];
    int if_none_match;
    floe_buf *out;      /* a 2xx body goes here (GET, POST answers) */
    size_t out_max;     /* 0 = unbounded */
    uint8_t *dst;       /* or here: a ranged read */
    size_t dst_len;
    uint64_t skip;      /* bytes to drop first when the store ignores Range */
    /* response */
    long status;
    char etag[200];
    int64_t content_length; /* -1 when absent */
    floe_buf errbody;
    size_t got;
    size_t body_pos;   /* upload cursor */
    int overflow;
    int maybe_applied; /* an earlier attempt may have reached the store */
} s3_call;

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx) {
    s3_call *c = ctx;
    size_t n = size * nmemb;
    if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', n);
        c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        c->etag[0] = '\0';
        c->content_length = -1;
    } else if (n > 15 && strncasecmp(p, "content-length:", 15) == 0) {
        char tmp[32];
        size_t len = n - 15 < sizeof tmp - 1 ? n - 15 : sizeof tmp - 1;
        memcpy(tmp, p + 15, len);
        tmp[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        while (*end == ' ' || *end == '\r' || *end == '\n') end++;
        c->content_length = end != tmp && !*end && !errno && v >= 0 ? v : -1;
    } else if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
        size_t i = 5;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        size_t j = n;
        while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' ')) j--;
        size_t len = j - i < sizeof c->etag - 1 ? j - i : sizeof c->etag - 1;
        memcpy(c->etag, p + i, len);
        c->etag[len] = '\0';
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx) {
    s3_call *c = ctx;
    size_t n = size * nmemb;
    if (c->status < 200 || c->status >= 300) {
        if (c->errbody.len < MAX_ERR_BODY)
            floe_buf_append(&c->errbody, p, n < MAX_ERR_BODY - c->errbody.len ? n : MAX_ERR_BODY - c->errbody.len);
        return n;
    }
    if (c->dst) {
        size_t off = 0;
        if (c->status == 200 && c->skip) { /* a whole object: drop what precedes the range */
            off = c->skip < n ? (size_t)c->skip : n;
            c->skip -= off;
        }
        size_t take = n - off;
        if (take > c->dst_len - c->got) take = c->dst_len - c->got;
        memcpy(c->dst + c->got, p + off, take);
        c->got += take;
        if (off + take < n) {
            /* More than was asked for: the rest of a whole object is not
             * needed; from a 206 it is a broken answer. */
            c->overflow = c->status != 200;
            return 0;
        }
        return n;
    }
    if (c->out) {
        if (c->out_max && c->got + n > c->out_max) {
            c->overflow = 1;
            return 0;
        }
        floe_buf_append(c->out, p, n);
        c->got += n;
    }
    return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ctx) {
    s3_call *c = ctx;
    size_t n = size * nmemb, left = c->body_len - c->body_pos;
    if (n > left) n = left;
    if (n) memcpy(p, (const char *)c->body + c->body_pos, n);
    c->body_pos += n;
    return n;
}

static int on_seek(void *ctx, curl_off_t off, int origin) {
    s3_call *c = ctx;
    if (origin != SEEK_SET || off < 0 || (uint64_t)off > c->body_len) return CURL_SEEKFUNC_FAIL;
    c->body_pos = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

static int retryable_curl(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Whether a curl failure happened before any byte could reach the store. */
static int surely_unsent(CURLcode rc) {
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR;
}

static void error_code_of(const s3_call *c, char *code, size_t ncode, char *msg, size_t nmsg) {
    code[0] = msg[0] = '\0';
    floe_buf t;
    floe_buf_init(&t);
    const char *x = (const char *)c->errbody.data;
    if (x && floe_s3_xml_text(x, c->errbody.len, "Code", &t) == 0)
        snprintf(code, ncode, "%.*s", (int)t.len, (const char *)t.data);
    floe_buf_reset(&t);
    if (x && floe_s3_xml_text(x, c->errbody.len, "Message", &t) == 0)
        snprintf(msg, nmsg, "%.*s", (int)t.len, (const char *)t.data);
    floe_buf_free(&t);
}

static int retryable_status(long status, const char *code) {
    return status >= 500 || status == 429 || !strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout") ||
           !strcmp(code, "InternalError");
}

/* Replaces every occurrence of secret in s (in place) with "***". */
static void redact(char *s, const char *secret) {
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4) return;
    char *p;
    while ((p = strstr(s, secret))) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

static int fail(s3_io *io, floe_err *err, int code, const char *fmt, ...) FLOE_PRINTF(4, 5);
static int fail(s3_io *io, floe_err *err, int code, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    redact(msg, io->cfg.secret_key);
    redact(msg, io->cfg.session_token);
    return floe_err_set(err, code, "%s", msg);
}

static uint64_t jitter_rand(void) {
    static _Thread_local uint64_t s;
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)&s;
        if (!s) s = 0x9E3779B97F4A7C15ull;
    }
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

/* Sleeps between half and all of min_wait * 2^attempt (capped). */
static void backoff(const floe_s3_config *cfg, int attempt) {
    uint64_t d = (uint64_t)cfg->min_wait_ms;
    for (int i = 0; i < attempt && d < (uint64_t)cfg->max_wait_ms; i++) d *= 2;
    if (d > (uint64_t)cfg->max_wait_ms) d = (uint64_t)cfg->max_wait_ms;
    uint64_t ms = d / 2 + (d ? jitter_rand() % (d / 2 + 1) : 0);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void call_reset(s3_call *c) {
    c->status = 0;
    c->etag[0] = '\0';
    c->content_length = -1;
    floe_buf_reset(&c->errbody);
    c->got = 0;
    c->body_pos = 0;
    c->overflow = 0;
    if (c->out) floe_buf_reset(c->out);
}

/* Runs the call with retries.  Returns 0 on a 2xx answer; otherwise -1 with
 * err set (FLOE_ENOTFOUND for 404, FLOE_EEXISTS for 412) and c->status
 * holding the last status (0 when no answer came). */
static int s3_perform(s3_io *io, s3_call *c, floe_err *err) {
    const floe_s3_config *cfg = &io->cfg;
    floe_buf url;
    floe_buf_init(&url);
    floe_s3_url(cfg, c->bucket, c->key, c->query, &url);
    char hash[65];
    if (c->body) floe_sha256_hex(c->body, c->body_len, hash);
    else memcpy(hash, EMPTY_SHA256, sizeof hash);

    struct curl_slist *hdrs = NULL;
    char line[256];
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", hash);
    hdrs = curl_slist_append(hdrs, line);
    /* No "Expect:" to turn 100-continue off: libcurl 7.88 signs a header
     * meant to remove one as if it were sent.  No Content-Type on a PUT
     * (S3 needs none, and moto checks a signed one against a different
     * value); a POST names its XML, or libcurl would call it a form and a
     * server could parse the body away. */
    if (!strcmp(c->method, "POST")) hdrs = curl_slist_append(hdrs, "Content-Type: application/xml");
    if (c->range[0]) {
        snprintf(line, sizeof line, "Range: %s", c->range);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (c->if_none_match) hdrs = curl_slist_append(hdrs, "If-None-Match: *");
    if (cfg->session_token) {
        floe_buf t;
        floe_buf_init(&t);
        floe_buf_printf(&t, "x-amz-security-token: %s", cfg->session_token);
        hdrs = curl_slist_append(hdrs, floe_buf_cstr(&t));
        floe_buf_free(&t);
    }

    CURL *h = take_handle(io);
    if (!h) {
        curl_slist_free_all(hdrs);
        floe_buf_free(&url);
        return floe_err_set(err, FLOE_EIO, "%s: %s: libcurl could not make a handle", c->uri, c->op);
    }
    int rc = -1;
    char cerr[CURL_ERROR_SIZE];
    for (int attempt = 0;; attempt++) {
        call_reset(c);
        cerr[0] = '\0';
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, floe_buf_cstr(&url));
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        /* No overall timeout (objects can be large): a stalled transfer is cut
         * off when it moves less than a byte a second for a minute. */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
        if (cfg->access_key) {
            curl_easy_setopt(h, CURLOPT_AWS_SIGV4, io->sigv4);
            curl_easy_setopt(h, CURLOPT_USERNAME, cfg->access_key);
            curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->secret_key);
        }
        if (!strcmp(c->method, "HEAD")) {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (!strcmp(c->method, "PUT")) {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(h, CURLOPT_READDATA, c);
            curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
            curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->body_len);
        } else if (!strcmp(c->method, "POST")) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? (const char *)c->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
        } else if (strcmp(c->method, "GET") != 0) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
        }
        CURLcode cr = curl_easy_perform(h);
        /* A ranged read that stopped early on purpose (whole object sent). */
        if (cr == CURLE_WRITE_ERROR && c->dst && !c->overflow && c->got == c->dst_len && c->status == 200)
            cr = CURLE_OK;
        if (cr != CURLE_OK) {
            if (c->overflow) {
                rc = fail(io, err, FLOE_EIO, "%s: %s: the answer is larger than expected", c->uri, c->op);
                break;
            }
            if (retryable_curl(cr) && attempt < cfg->retries) {
                if (!surely_unsent(cr)) c->maybe_applied = 1;
                backoff(cfg, attempt);
                continue;
            }
            rc = fail(io, err, FLOE_EIO, "%s: %s %s: %s%s", c->uri, c->op, floe_buf_cstr(&url),
                      cerr[0] ? cerr : curl_easy_strerror(cr),
                      attempt ? " (after retries)" : "");
            if (!surely_unsent(cr)) c->maybe_applied = 1;
            break;
        }
        if (c->status >= 200 && c->status < 300) {
            rc = 0;
            break;
        }
        char code[128], msg[512];
        error_code_of(c, code, sizeof code, msg, sizeof msg);
        if (retryable_status(c->status, code) && attempt < cfg->retries) {
            c->maybe_applied = 1;
            backoff(cfg, attempt);
            continue;
        }
        int ecode = c->status == 404 ? FLOE_ENOTFOUND : c->status == 412 ? FLOE_EEXISTS : FLOE_EIO;
        if (c->status == 404 && !code[0]) snprintf(code, sizeof code, "NotFound");
        const char *hint = "";
        if (!strcmp(code, "SignatureDoesNotMatch"))
            hint = " (check the secret key: s3.secret-access-key or AWS_SECRET_ACCESS_KEY)";
        else if (!strcmp(code, "InvalidAccessKeyId"))
            hint = " (check the access key: s3.access-key-id or AWS_ACCESS_KEY_ID)";
        else if (!strcmp(code, "AuthorizationHeaderMalformed") || !strcmp(code, "PermanentRedirect"))
            hint = " (check s3.region and s3.endpoint)";
        else if (c->status == 403 && !code[0])
            hint = " (access denied: check the credentials and the bucket policy)";
        rc = fail(io, err, ecode, "%s: %s: HTTP %ld%s%s%s%s%s%s", c->uri, c->op, c->status, code[0] ? " " : "", code,
                  msg[0] ? ": " : "", msg, hint, attempt ? " (after retries)" : "");
        break;
    }
    give_handle(io, h);
    curl_slist_free_all(hdrs);
    floe_buf_free(&url);
    return rc;
}

/* ---- the file IO ----------------------------------------------------------------------- */

/* A call on uri's bucket and key; *bucket must be freed. */
static int call_for(const char *uri, s3_call *c, char **bucket, floe_err *err) {
    memset(c, 0, sizeof *c);
    const char *key;
    if (floe_s3_split(uri, bucket, &key, NULL, err)) return -1;
    c->uri = uri;
    c->bucket = *bucket;
    c->key = key;
    return 0;
}

static int need_key(const char *uri, const s3_call *c, floe_err *err) {
    if (!*c->key) return floe_err_set(err, FLOE_EINVAL, "%s: names a bucket, not an object", uri);
    return 0;
}

static s3_io *S(floe_fileio *io) { return (s3_io *)io; }

static int s3_read(floe_fileio *base, const char *uri, floe_buf *out, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->read(floe_fileio_local(), uri, out, err);
    s3_call c;
    char *bucket = NULL;
    if (call_for(uri, &c, &bucket, err) || need_key(uri, &c, err)) {
        free(bucket);
        return -1;
    }
    floe_buf body;
    floe_buf_init(&body);
    c.op = "GET";
    c.method = "GET";
    c.out = &body;
    int rc = s3_perform(S(base), &c, err);
    floe_buf_free(&c.errbody);
    if (rc == 0) floe_buf_append(out, body.data, body.len);
    floe_buf_free(&body);
    free(bucket);
    return rc;
}

static int s3_read_range(floe_fileio *base, const char *uri, uint64_t off, void *buf, size_t n, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->read_range(floe_fileio_local(), uri, off, buf, n, err);
    if (n == 0) return 0;
    s3_call c;
    char *bucket = NULL;
    if (call_for(uri, &c, &bucket, err) || need_key(uri, &c, err)) {
        free(bucket);
        return -1;
    }
    c.op = "GET (range)";
    c.method = "GET";
    snprintf(c.range, sizeof c.range, "bytes=%" PRIu64 "-%" PRIu64, off, off + n - 1);
    c.dst = buf;
    c.dst_len = n;
    c.skip = off;
    int rc = s3_perform(S(base), &c, err);
    if (rc == 0 && c.got != n)
        rc = floe_err_set(err, FLOE_EIO, "%s: short read at offset %" PRIu64 " (%zu of %zu bytes)", uri, off, c.got,
                          n);
    else if (rc != 0 && c.status == 416)
        floe_err_set(err, FLOE_EIO, "%s: short read at offset %" PRIu64 ": the range is past the end", uri, off);
    floe_buf_free(&c.errbody);
    free(bucket);
    return rc;
}

static int s3_size(floe_fileio *base, const char *uri, uint64_t *size, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->size(floe_fileio_local(), uri, size, err);
    s3_call c;
    char *bucket = NULL;
    if (call_for(uri, &c, &bucket, err) || need_key(uri, &c, err)) {
        free(bucket);
        return -1;
    }
    c.op = "HEAD";
    c.method = "HEAD";
    int rc = s3_perform(S(base), &c, err);
    if (rc == 0 && c.content_length < 0)
        rc = floe_err_set(err, FLOE_EIO, "%s: HEAD: the answer has no Content-Length", uri);
    if (rc == 0) *size = (uint64_t)c.content_length;
    floe_buf_free(&c.errbody);
    free(bucket);
    return rc;
}

/* One PUT of a whole object. */
static int put_object(s3_io *io, const char *uri, const char *bucket, const char *key, const void *p, size_t n,
                      int exclusive, floe_err *err) {
    s3_call c;
    int conditional = exclusive && !atomic_load(&io->no_conditional);
    if (exclusive && !conditional) {
        /* Without conditional writes: look, then put (racy; see s3.h). */
        memset(&c, 0, sizeof c);
        c.uri = uri;
        c.bucket = bucket;
        c.key = key;
        c.op = "HEAD";
        c.method = "HEAD";
        int rc = s3_perform(io, &c, err);
        floe_buf_free(&c.errbody);
        if (rc == 0) return floe_err_set(err, FLOE_EEXISTS, "%s: already exists", uri);
        if (c.status != 404) return -1;
        floe_err_clear(err);
    }
    memset(&c, 0, sizeof c);
    c.uri = uri;
    c.bucket = bucket;
    c.key = key;
    c.op = exclusive ? "PUT (if absent)" : "PUT";
    c.method = "PUT";
    c.body = p ? p : "";
    c.body_len = n;
    c.if_none_match = conditional;
    int rc = s3_perform(io, &c, err);
    if (rc != 0 && conditional && c.status == 501) {
        /* The store does not do conditional writes: look first, then put. */
        atomic_store(&io->no_conditional, 1);
        floe_buf_free(&c.errbody);
        return put_object(io, uri, bucket, key, p, n, exclusive, err);
    }
    if (rc != 0 && c.status == 412) {
        if (c.maybe_applied)
            rc = floe_err_set(err, FLOE_EUNKNOWN,
                              "%s: exists after a retried write: the earlier attempt may have written it", uri);
        else
            rc = floe_err_set(err, FLOE_EEXISTS, "%s: already exists", uri);
    }
    floe_buf_free(&c.errbody);
    return rc;
}

/* ---- multipart uploads ----------------------------------------------------------------- */

typedef struct s3_upload {
    s3_io *io;
    const char *uri, *bucket, *key;
    char *upload_id;
    floe_buf parts; /* the CompleteMultipartUpload body so far */
    int nparts;
} s3_upload;

static void upload_query(const s3_upload *u, int part, floe_buf *q) {
    floe_buf_reset(q);
    if (part) floe_buf_printf(q, "partNumber=%d&", part);
    floe_buf_puts(q, "uploadId=");
    floe_s3_escape(u->upload_id, 0, q);
    floe_buf_cstr(q);
}

static int upload_begin(s3_upload *u, floe_err *err) {
    s3_call c;
    memset(&c, 0, sizeof c);
    floe_buf body;
    floe_buf_init(&body);
    c.uri = u->uri;
    c.bucket = u->bucket;
    c.key = u->key;
    c.op = "start multipart upload";
    c.method = "POST";
    c.query = "uploads=";
    c.out = &body;
    c.out_max = 1 << 20;
    int rc = s3_perform(u->io, &c, err);
    floe_buf id;
    floe_buf_init(&id);
    if (rc == 0 && (floe_s3_xml_text((const char *)body.data, body.len, "UploadId", &id) || id.len == 0))
        rc = floe_err_set(err, FLOE_EIO, "%s: start multipart upload: the answer has no UploadId", u->uri);
    if (rc == 0) u->upload_id = floe_xstrndup((const char *)id.data, id.len);
    floe_buf_init(&u->parts);
    floe_buf_puts(&u->parts, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    floe_buf_free(&id);
    floe_buf_free(&body);
    floe_buf_free(&c.errbody);
    return rc;
}

static void xml_escape(const char *s, floe_buf *out) {
    for (; *s; s++) {
        switch (*s) {
        case '&': floe_buf_puts(out, "&amp;"); break;
        case '<': floe_buf_puts(out, "&lt;"); break;
        case '>': floe_buf_puts(out, "&gt;"); break;
        case '"': floe_buf_puts(out, "&quot;"); break;
        default: floe_buf_putc(out, (uint8_t)*s);
        }
    }
}

static int upload_part(s3_upload *u, const void *p, size_t n, floe_err *err) {
    if (u->nparts == FLOE_S3_MAX_PARTS)
        return floe_err_set(err, FLOE_EINVAL, "%s: more than %d parts; raise s3.multipart.size", u->uri,
                            FLOE_S3_MAX_PARTS);
    int part = u->nparts + 1;
    char op[48];
    snprintf(op, sizeof op, "upload part %d", part);
    floe_buf q;
    floe_buf_init(&q);
    upload_query(u, part, &q);
    s3_call c;
    memset(&c, 0, sizeof c);
    c.uri = u->uri;
    c.bucket = u->bucket;
    c.key = u->key;
    c.op = op;
    c.method = "PUT";
    c.query = (const char *)q.data;
    c.body = p;
    c.body_len = n;
    int rc = s3_perform(u->io, &c, err);
    if (rc == 0 && !c.etag[0]) rc = floe_err_set(err, FLOE_EIO, "%s: %s: the answer has no ETag", u->uri, op);
    if (rc == 0) {
        floe_buf_printf(&u->parts, "<Part><PartNumber>%d</PartNumber><ETag>", part);
        xml_escape(c.etag, &u->parts);
        floe_buf_puts(&u->parts, "</ETag></Part>");
        u->nparts = part;
    }
    floe_buf_free(&c.errbody);
    floe_buf_free(&q);
    return rc;
}

static int upload_complete(s3_upload *u, floe_err *err) {
    floe_buf_puts(&u->parts, "</CompleteMultipartUpload>");
    floe_buf q, body;
    floe_buf_init(&q);
    floe_buf_init(&body);
    upload_query(u, 0, &q);
    s3_call c;
    memset(&c, 0, sizeof c);
    c.uri = u->uri;
    c.bucket = u->bucket;
    c.key = u->key;
    c.op = "complete multipart upload";
    c.method = "POST";
    c.query = (const char *)q.data;
    c.body = u->parts.data;
    c.body_len = u->parts.len;
    c.out = &body;
    c.out_max = 1 << 20;
    int rc = s3_perform(u->io, &c, err);
    /* S3 may answer 200 and then report a failure in the body. */
    if (rc == 0 && find_mem((const char *)body.data, (const char *)body.data + body.len, "<Error>")) {
        floe_buf_reset(&c.errbody);
        floe_buf_append(&c.errbody, body.data, body.len);
        char code[128], msg[512];
        error_code_of(&c, code, sizeof code, msg, sizeof msg);
        rc = fail(u->io, err, FLOE_EIO, "%s: complete multipart upload: %s: %s", u->uri, code, msg);
    }
    floe_buf_free(&c.errbody);
    floe_buf_free(&body);
    floe_buf_free(&q);
    return rc;
}

/* Best effort: parts of an abandoned upload are billed until aborted. */
static void upload_abort(s3_upload *u) {
    if (!u->upload_id) return;
    floe_buf q;
    floe_buf_init(&q);
    upload_query(u, 0, &q);
    s3_call c;
    memset(&c, 0, sizeof c);
    c.uri = u->uri;
    c.bucket = u->bucket;
    c.key = u->key;
    c.op = "abort multipart upload";
    c.method = "DELETE";
    c.query = (const char *)q.data;
    floe_err ignored = {0};
    s3_perform(u->io, &c, &ignored);
    floe_buf_free(&c.errbody);
    floe_buf_free(&q);
}

static void upload_free(s3_upload *u) {
    free(u->upload_id);
    u->upload_id = NULL;
    floe_buf_free(&u->parts);
}

/* A whole buffer in parts. */
static int put_multipart(s3_io *io, const char *uri, const char *bucket, const char *key, const void *p, size_t n,
                         floe_err *err) {
    s3_upload u = {.io = io, .uri = uri, .bucket = bucket, .key = key};
    int rc = upload_begin(&u, err);
    for (size_t off = 0; rc == 0 && off < n; off += io->cfg.part_size) {
        size_t len = n - off < io->cfg.part_size ? n - off : io->cfg.part_size;
        rc = upload_part(&u, (const char *)p + off, len, err);
    }
    if (rc == 0) rc = upload_complete(&u, err);
    if (rc != 0) upload_abort(&u);
    upload_free(&u);
    return rc;
}

static int s3_write(floe_fileio *base, const char *uri, const void *p, size_t n, int exclusive, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->write(floe_fileio_local(), uri, p, n, exclusive, err);
    s3_io *io = S(base);
    s3_call c;
    char *bucket = NULL;
    if (call_for(uri, &c, &bucket, err) || need_key(uri, &c, err)) {
        free(bucket);
        return -1;
    }
    int rc;
    if (exclusive && n > (5ull << 30))
        rc = floe_err_set(err, FLOE_EINVAL, "%s: an exclusive write is one PUT, at most 5 GiB", uri);
    else if (!exclusive && n > io->cfg.threshold)
        rc = put_multipart(io, uri, bucket, c.key, p, n, err);
    else
        rc = put_object(io, uri, bucket, c.key, p, n, exclusive, err);
    free(bucket);
    return rc;
}

/* ---- streaming output ------------------------------------------------------------------ */

typedef struct s3_out {
    floe_outfile base;
    s3_io *io;
    char *uri, *bucket;
    const char *key; /* into uri */
    floe_buf buf;    /* at most max(threshold, part size) bytes */
    s3_upload up;
    int started, failed;
} s3_out;

static void out_free(s3_out *o) {
    upload_free(&o->up);
    floe_buf_free(&o->buf);
    free(o->uri);
    free(o->bucket);
    free(o);
}

/* Uploads every full part at the front of the buffer. */
static int out_flush_parts(s3_out *o, floe_err *err) {
    size_t part = o->io->cfg.part_size, off = 0;
    while (o->buf.len - off >= part) {
        if (upload_part(&o->up, o->buf.data + off, part, err)) return -1;
        off += part;
    }
    if (off) {
        memmove(o->buf.data, o->buf.data + off, o->buf.len - off);
        o->buf.len -= off;
    }
    return 0;
}

static int out_write(floe_outfile *base, const void *p, size_t n, floe_err *err) {
    s3_out *o = (s3_out *)base;
    if (o->failed) return floe_err_set(err, FLOE_EIO, "%s: an earlier write failed", o->uri);
    const char *c = p;
    size_t left = n;
    while (left) {
        size_t cap = o->started ? o->io->cfg.part_size : o->io->cfg.threshold;
        if (o->buf.len >= cap) {
            /* Past the threshold with more to come: this is a multipart
             * object; the buffer is emptied part by part from here on. */
            if (!o->started) {
                if (upload_begin(&o->up, err)) goto fail;
                o->started = 1;
            }
            if (out_flush_parts(o, err)) goto fail;
            continue;
        }
        size_t take = cap - o->buf.len < left ? cap - o->buf.len : left;
        floe_buf_append(&o->buf, c, take);
        c += take;
        left -= take;
    }
    base->written += (int64_t)n;
    return 0;
fail:
    o->failed = 1;
    upload_abort(&o->up);
    upload_free(&o->up);
    return -1;
}

static void out_abort(floe_outfile *base) {
    s3_out *o = (s3_out *)base;
    if (o->started) upload_abort(&o->up);
    out_free(o);
}

static int out_close(floe_outfile *base, floe_err *err) {
    s3_out *o = (s3_out *)base;
    int rc;
    if (o->failed) {
        rc = floe_err_set(err, FLOE_EIO, "%s: not written: an earlier write failed", o->uri);
    } else if (!o->started) {
        rc = put_object(o->io, o->uri, o->bucket, o->key, o->buf.data, o->buf.len, 0, err);
    } else {
        rc = out_flush_parts(o, err);
        if (rc == 0 && o->buf.len) rc = upload_part(&o->up, o->buf.data, o->buf.len, err);
        if (rc == 0) rc = upload_complete(&o->up, err);
        if (rc != 0) upload_abort(&o->up);
    }
    out_free(o);
    return rc;
}

static floe_outfile *s3_create(floe_fileio *base, const char *uri, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->create(floe_fileio_local(), uri, err);
    s3_io *io = S(base);
    char *bucket;
    const char *key;
    if (floe_s3_split(uri, &bucket, &key, NULL, err)) return NULL;
    if (!*key) {
        free(bucket);
        floe_err_set(err, FLOE_EINVAL, "%s: names a bucket, not an object", uri);
        return NULL;
    }
    s3_out *o = floe_xcalloc(1, sizeof *o);
    o->io = io;
    o->uri = floe_xstrdup(uri);
    o->bucket = bucket;
    o->key = o->uri + (key - uri);
    floe_buf_init(&o->buf);
    o->up.io = io;
    o->up.uri = o->uri;
    o->up.bucket = o->bucket;
    o->up.key = o->key;
    o->base.write = out_write;
    o->base.close = out_close;
    o->base.abort = out_abort;
    return &o->base;
}

/* ---- remove, list ------------------------------------------------------------------------ */

static int s3_remove(floe_fileio *base, const char *uri, floe_err *err) {
    if (!floe_s3_is_uri(uri)) return floe_fileio_local()->remove(floe_fileio_local(), uri, err);
    s3_call c;
    char *bucket = NULL;
    if (call_for(uri, &c, &bucket, err) || need_key(uri, &c, err)) {
        free(bucket);
        return -1;
    }
    c.op = "DELETE";
    c.method = "DELETE";
    int rc = s3_perform(S(base), &c, err);
    floe_buf_free(&c.errbody);
    free(bucket);
    return rc;
}

static int s3_list(floe_fileio *base, const char *prefix, floe_fileio_list_fn fn, void *ctx, floe_err *err) {
    if (!floe_s3_is_uri(prefix)) return floe_fileio_local()->list(floe_fileio_local(), prefix, fn, ctx, err);
    s3_io *io = S(base);
    char *bucket;
    const char *key;
    size_t sl;
    if (floe_s3_split(prefix, &bucket, &key, &sl, err)) return -1;
    /* Directory semantics, as the local IO: "wh/t" lists "wh/t/...". */
    floe_buf pfx, q, body, uri;
    floe_buf_init(&pfx);
    floe_buf_init(&q);
    floe_buf_init(&body);
    floe_buf_init(&uri);
    floe_buf_puts(&pfx, key);
    if (pfx.len && pfx.data[pfx.len - 1] != '/') floe_buf_putc(&pfx, '/');
    floe_buf_cstr(&pfx);
    char *token = NULL;
    int rc = 0;
    for (int page = 0; rc == 0; page++) {
        floe_buf_reset(&q);
        if (token) {
            floe_buf_puts(&q, "continuation-token=");
            floe_s3_escape(token, 0, &q);
            floe_buf_putc(&q, '&');
        }
        floe_buf_puts(&q, "list-type=2&");
        if (io->cfg.list_max_keys) floe_buf_printf(&q, "max-keys=%d&", io->cfg.list_max_keys);
        floe_buf_puts(&q, "prefix=");
        floe_s3_escape((const char *)pfx.data, 0, &q);
        floe_buf_cstr(&q);
        s3_call c;
        memset(&c, 0, sizeof c);
        c.uri = prefix;
        c.bucket = bucket;
        c.key = "";
        c.op = "list";
        c.method = "GET";
        c.query = (const char *)q.data;
        c.out = &body;
        c.out_max = MAX_LIST_BODY;
        rc = s3_perform(io, &c, err);
        floe_buf_free(&c.errbody);
        if (rc) break;
        floe_s3_list_page pg;
        if (floe_s3_list_parse((const char *)body.data, body.len, &pg, err)) {
            rc = floe_err_prefix(err, "%s: list", prefix);
            break;
        }
        for (int i = 0; rc == 0 && i < pg.n; i++) {
            floe_buf_reset(&uri);
            floe_buf_append(&uri, prefix, sl);
            floe_buf_printf(&uri, "%s/", bucket);
            floe_buf_puts(&uri, pg.items[i].key);
            floe_file_info info = {floe_buf_cstr(&uri), pg.items[i].size, pg.items[i].mtime_ms};
            if (fn(ctx, &info) != 0) rc = floe_err_set(err, FLOE_EIO, "listing %s stopped", prefix);
        }
        free(token);
        token = pg.truncated ? floe_xstrdup(pg.next_token) : NULL;
        floe_s3_list_page_free(&pg);
        if (!token) break;
    }
    free(token);
    floe_buf_free(&pfx);
    floe_buf_free(&q);
    floe_buf_free(&body);
    floe_buf_free(&uri);
    free(bucket);
    return rc;
}

static void s3_free(floe_fileio *base) {
    s3_io *io = S(base);
    for (int i = 0; i < io->nidle; i++) curl_easy_cleanup(io->idle[i]);
    pthread_mutex_destroy(&io->mu);
    floe_s3_config_free(&io->cfg);
    free(io);
}

floe_fileio *floe_fileio_s3(const floe_props *props, floe_err *err) {
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc) {
        floe_err_set(err, FLOE_EIO, "libcurl could not be initialised");
        return NULL;
    }
    s3_io *io = floe_xcalloc(1, sizeof *io);
    if (floe_s3_config_load(props, &io->cfg, err)) {
        free(io);
        return NULL;
    }
    snprintf(io->sigv4, sizeof io->sigv4, "aws:amz:%s:s3", io->cfg.region);
    pthread_mutex_init(&io->mu, NULL);
    io->base.scheme = "s3";
    io->base.read = s3_read;
    io->base.read_range = s3_read_range;
    io->base.size = s3_size;
    io->base.write = s3_write;
    io->base.create = s3_create;
    io->base.remove = s3_remove;
    io->base.list = s3_list;
    io->base.free = s3_free;
    return &io->base;
}
