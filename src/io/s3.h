/*
 * s3.h — file IO on Amazon S3 and S3-compatible stores (MinIO, moto, ...)
 * through libcurl, with SigV4 request signing.
 *
 * Locations are "s3://bucket/key" ("s3a://" and "s3n://" are the same
 * thing); a listing reports URIs with the scheme of the prefix it was given.
 * The IO also serves file:// URIs and plain paths (through the local IO), so
 * that a catalog whose warehouse is in S3 can still name local files.
 *
 * Configuration: properties first (the Iceberg FileIO names, which is also
 * what a REST catalog vends in a table's config), then the environment:
 *
 *   s3.endpoint             FLOE_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
 *                           (default https://s3.REGION.amazonaws.com)
 *   s3.region, client.region  FLOE_S3_REGION, AWS_REGION, AWS_DEFAULT_REGION
 *                           (default us-east-1)
 *   s3.path-style-access    FLOE_S3_PATH_STYLE (true/false; default false, but
 *                           true for an endpoint that is an IP address or
 *                           localhost, where bucket.host cannot resolve)
 *   s3.access-key-id, s3.secret-access-key, s3.session-token
 *                           AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *                           AWS_SESSION_TOKEN (all three from the same place:
 *                           a key from the properties never pairs with a token
 *                           from the environment); none = unsigned requests
 *   s3.multipart.size       FLOE_S3_MULTIPART_SIZE: part size, bytes (k/M/G
 *                           suffixes), at least 5 MiB (default 8 MiB)
 *   s3.multipart.threshold  FLOE_S3_MULTIPART_THRESHOLD: objects larger than
 *                           this many bytes are uploaded in parts (default the
 *                           part size); a number below 100 with a decimal
 *                           point is Iceberg's factor of the part size ("1.5")
 *   s3.retry.num-retries    FLOE_S3_RETRIES (default 5), s3.retry.min-wait-ms
 *                           (default 100), s3.retry.max-wait-ms (default 5000)
 *   s3.list.max-keys        FLOE_S3_LIST_MAX_KEYS: keys per ListObjectsV2 page
 *                           (1 to 1000; default the store's, 1000)
 *
 * Semantics against the fileio interface:
 *   - write(exclusive) is a PUT with "If-None-Match: *": 412 is FLOE_EEXISTS.
 *     A store that answers 501 NotImplemented to the header gets a HEAD then
 *     an unconditional PUT from then on (a race window remains; the catalog's
 *     compare-and-swap is what makes commits safe, and metadata file names are
 *     unique).  A store that silently ignores the header cannot be detected.
 *     An exclusive PUT is never multipart.
 *   - create() buffers at most max(threshold, part size) bytes: below the
 *     threshold close() does one PUT; past it a multipart upload starts and
 *     each full part is uploaded as it fills.  abort(), or any failure, aborts
 *     the multipart upload so that no parts are left billed.
 *   - remove() of an absent key succeeds (S3's DELETE cannot tell).
 *   - list(prefix) lists the keys below "prefix/" (directory semantics, as
 *     the local IO), following continuation tokens.
 *   - Requests are retried with jittered exponential backoff on connection
 *     errors, 5xx, 429, SlowDown and RequestTimeout.  An exclusive PUT that
 *     is refused with 412 after an attempt whose outcome was unknown reports
 *     FLOE_EUNKNOWN (the first attempt may have written it).
 *   - Errors name the URI, the HTTP status and S3's error code and message;
 *     secret keys and session tokens never appear in them.
 *   - Every request body is hashed (x-amz-content-sha256 is its SHA-256), so
 *     the signature covers the bytes as well as the headers.
 */
#ifndef FLOE_IO_S3_H
#define FLOE_IO_S3_H

#include <stddef.h>
#include <stdint.h>

#include "io/fileio.h"

#define FLOE_S3_MIN_PART (5u << 20)
#define FLOE_S3_MAX_PARTS 10000

typedef struct floe_s3_config {
    char *endpoint; /* "http(s)://host[:port][/base]", no trailing slash */
    char *region;
    int path_style;
    char *access_key, *secret_key, *session_token; /* NULL: unsigned requests */
    size_t part_size, threshold;
    int retries, min_wait_ms, max_wait_ms;
    int list_max_keys; /* 0 = the store's default page size */
} floe_s3_config;

/* Resolves the configuration from props (may be NULL) and the environment. */
int floe_s3_config_load(const floe_props *props, floe_s3_config *cfg, floe_err *err);
void floe_s3_config_free(floe_s3_config *cfg);

/* The S3 IO; owns a copy of the configuration.  Free with io->free. */
floe_fileio *floe_fileio_s3(const floe_props *props, floe_err *err);

/* 1 for "s3://", "s3a://" and "s3n://" URIs. */
int floe_s3_is_uri(const char *uri);

/* Splits "s3://bucket/key": *bucket is malloc'd, *key points into uri (""
 * for the bucket itself), *scheme_len is the length of "s3://" etc. */
int floe_s3_split(const char *uri, char **bucket, const char **key, size_t *scheme_len, floe_err *err);

/* The request URL of an object (key "" = the bucket), path-style or
 * virtual-hosted as cfg says; query ("a=1&b=2", already in SigV4's
 * canonical form) may be NULL. */
void floe_s3_url(const floe_s3_config *cfg, const char *bucket, const char *key, const char *query, floe_buf *out);

/* SigV4's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX
 * (upper-case hex); '/' too unless keep_slash. */
void floe_s3_escape(const char *s, int keep_slash, floe_buf *out);

/* One page of a ListObjectsV2 answer. */
typedef struct floe_s3_object {
    char *key;
    int64_t size;
    int64_t mtime_ms;
} floe_s3_object;

typedef struct floe_s3_list_page {
    floe_s3_object *items;
    int n;
    int truncated;
    char *next_token; /* NULL when absent */
} floe_s3_list_page;

/* Parses a ListBucketResult document (entities decoded); an <Error>
 * document or malformed XML is an error. */
int floe_s3_list_parse(const char *xml, size_t len, floe_s3_list_page *out, floe_err *err);
void floe_s3_list_page_free(floe_s3_list_page *p);

/* The text of the first <name> element in xml[0..len), entities decoded,
 * into out; 0 if found, -1 if absent or malformed. */
int floe_s3_xml_text(const char *xml, size_t len, const char *name, floe_buf *out);

#endif
