/*
 * test_s3.c — the parts of the S3 file IO that need no server: URI
 * splitting, SigV4 escaping, request URLs (path-style and virtual-hosted,
 * endpoints with ports and base paths, the AWS default), ListObjectsV2
 * parsing (entities, continuation, errors, malformed answers),
 * configuration precedence (properties over the environment, credentials as
 * a set, part size and threshold forms) and SHA-256 vectors.  The requests
 * themselves are tested against moto by tests/integration/s3_io.sh.
 */
#include <stdlib.h>

#include "io/s3.h"
#include "test.h"
#include "util/sha256.h"

static const char *url_of(const floe_s3_config *cfg, const char *bucket, const char *key, const char *query) {
    static char out[512];
    floe_buf b;
    floe_buf_init(&b);
    floe_s3_url(cfg, bucket, key, query, &b);
    snprintf(out, sizeof out, "%s", floe_buf_cstr(&b));
    floe_buf_free(&b);
    return out;
}

TEST(split_uris) {
    char *bucket = NULL;
    const char *key;
    size_t sl;
    floe_err err = {0};
    CHECK_OK(floe_s3_split("s3://bkt/wh/db/t/x.parquet", &bucket, &key, &sl, &err), &err);
    CHECK_EQ_STR(bucket, "bkt");
    CHECK_EQ_STR(key, "wh/db/t/x.parquet");
    CHECK_EQ_INT(sl, 5);
    free(bucket);
    CHECK_OK(floe_s3_split("s3a://my.bucket-1", &bucket, &key, &sl, &err), &err);
    CHECK_EQ_STR(bucket, "my.bucket-1");
    CHECK_EQ_STR(key, "");
    CHECK_EQ_INT(sl, 6);
    free(bucket);
    CHECK_OK(floe_s3_split("s3n://b/", &bucket, &key, NULL, &err), &err);
    CHECK_EQ_STR(key, "");
    free(bucket);
    CHECK(floe_s3_split("s3:///key", &bucket, &key, NULL, &err) == -1 && err.code == FLOE_EINVAL);
    CHECK(floe_s3_split("s3://evil@host/key", &bucket, &key, NULL, &err) == -1);
    CHECK(strstr(err.msg, "not a bucket name") != NULL);
    CHECK(floe_s3_split("s3://a:1/key", &bucket, &key, NULL, &err) == -1);
    CHECK(floe_s3_split("gs://b/k", &bucket, &key, NULL, &err) == -1);
    CHECK(floe_s3_is_uri("s3://b/k") && floe_s3_is_uri("s3a://b") && floe_s3_is_uri("s3n://b"));
    CHECK(!floe_s3_is_uri("file:///tmp") && !floe_s3_is_uri("s3:/b") && !floe_s3_is_uri("/s3://"));
}

TEST(escaping) {
    floe_buf b;
    floe_buf_init(&b);
    floe_s3_escape("data/country=DE/a b+c~d_e.f-g%h\xc3\xa9", 1, &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "data/country%3DDE/a%20b%2Bc~d_e.f-g%25h%C3%A9");
    floe_buf_reset(&b);
    floe_s3_escape("wh/db/", 0, &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "wh%2Fdb%2F");
    floe_buf_free(&b);
}

TEST(urls) {
    floe_s3_config cfg = {0};
    cfg.endpoint = "http://127.0.0.1:9000";
    cfg.path_style = 1;
    CHECK_EQ_STR(url_of(&cfg, "bkt", "wh/a=b/x y.parquet", NULL), "http://127.0.0.1:9000/bkt/wh/a%3Db/x%20y.parquet");
    CHECK_EQ_STR(url_of(&cfg, "bkt", "", "list-type=2&prefix=wh%2F"), "http://127.0.0.1:9000/bkt?list-type=2&prefix=wh%2F");
    cfg.path_style = 0;
    CHECK_EQ_STR(url_of(&cfg, "bkt", "k", NULL), "http://bkt.127.0.0.1:9000/k");
    cfg.endpoint = "https://s3.eu-west-1.amazonaws.com";
    CHECK_EQ_STR(url_of(&cfg, "bkt", "wh/x.json", "uploads="), "https://bkt.s3.eu-west-1.amazonaws.com/wh/x.json?uploads=");
    CHECK_EQ_STR(url_of(&cfg, "bkt", "", "list-type=2&prefix="), "https://bkt.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=");
    cfg.path_style = 1;
    CHECK_EQ_STR(url_of(&cfg, "bkt", "wh/x.json", NULL), "https://s3.eu-west-1.amazonaws.com/bkt/wh/x.json");
    /* An endpoint with a base path keeps it in both styles. */
    cfg.endpoint = "https://gw.example.com:8443/storage";
    CHECK_EQ_STR(url_of(&cfg, "b", "k/1", NULL), "https://gw.example.com:8443/storage/b/k/1");
    cfg.path_style = 0;
    CHECK_EQ_STR(url_of(&cfg, "b", "k/1", NULL), "https://b.gw.example.com:8443/storage/k/1");
}

static const char LIST1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name><Prefix>wh/</Prefix>"
    "<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
    "<Contents><Key>wh/a&amp;b/x&lt;1&gt;.parquet</Key><LastModified>2024-05-01T12:34:56.789Z</LastModified>"
    "<ETag>&quot;abc&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>wh/caf&#233;/&#x1F600;.json</Key><LastModified>1970-01-01T00:00:01Z</LastModified>"
    "<Size>0</Size></Contents>"
    "<Contents><Key>wh/it&apos;s</Key><Size>9223372036854775807</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x</NextContinuationToken>"
    "</ListBucketResult>";

TEST(list_parse) {
    floe_s3_list_page pg;
    floe_err err = {0};
    CHECK_OK(floe_s3_list_parse(LIST1, sizeof LIST1 - 1, &pg, &err), &err);
    CHECK_EQ_INT(pg.n, 3);
    if (pg.n == 3) {
        CHECK_EQ_STR(pg.items[0].key, "wh/a&b/x<1>.parquet");
        CHECK_EQ_INT(pg.items[0].size, 1234);
        CHECK_EQ_INT(pg.items[0].mtime_ms, 1714566896789LL);
        CHECK_EQ_STR(pg.items[1].key, "wh/caf\xc3\xa9/\xf0\x9f\x98\x80.json");
        CHECK_EQ_INT(pg.items[1].size, 0);
        CHECK_EQ_INT(pg.items[1].mtime_ms, 1000);
        CHECK_EQ_STR(pg.items[2].key, "wh/it's");
        CHECK_EQ_INT(pg.items[2].size, 9223372036854775807LL);
    }
    CHECK(pg.truncated);
    CHECK_EQ_STR(pg.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x");
    floe_s3_list_page_free(&pg);

    /* The last page: no token, not truncated; an empty one. */
    const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>5</Size>"
                       "</Contents></ListBucketResult>";
    CHECK_OK(floe_s3_list_parse(last, strlen(last), &pg, &err), &err);
    CHECK(pg.n == 1 && !pg.truncated && pg.next_token == NULL);
    floe_s3_list_page_free(&pg);
    const char *empty = "<ListBucketResult xmlns=\"x\"><Name>b</Name><KeyCount>0</KeyCount>"
                        "<IsTruncated>false</IsTruncated></ListBucketResult>";
    CHECK_OK(floe_s3_list_parse(empty, strlen(empty), &pg, &err), &err);
    CHECK(pg.n == 0 && !pg.truncated);
    floe_s3_list_page_free(&pg);
}

TEST(list_parse_rejects) {
    floe_s3_list_page pg;
    floe_err err = {0};
    const char *bad[] = {
        "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",              /* no key */
        "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",         /* entity */
        "<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",            /* NUL */
        "<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",        /* surrogate */
        "<ListBucketResult><Contents><Key>a&#x110000;</Key></Contents></ListBucketResult>",      /* too big */
        "<ListBucketResult><Contents><Key>a&amp</Key></Contents></ListBucketResult>",            /* no ';' */
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>", /* size */
        "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* truncated, no token */
        "<ListBucketResult><Contents><Key>unterminated",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = floe_s3_list_parse(bad[i], strlen(bad[i]), &pg, &err);
        if (rc != -1) fprintf(stderr, "  accepted bad listing %zu: %s\n", i, bad[i]);
        CHECK(rc == -1 && err.code == FLOE_ECORRUPT && err.msg[0]);
        if (rc == 0) floe_s3_list_page_free(&pg);
    }
    /* An unterminated Contents element yields no entries (never a read past
     * the end); the page is still not a valid listing of anything. */
}

TEST(xml_text) {
    const char *e = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                    "<Message>The request signature &amp; more</Message><Empty/></Error>";
    floe_buf b;
    floe_buf_init(&b);
    CHECK(floe_s3_xml_text(e, strlen(e), "Code", &b) == 0);
    CHECK_EQ_STR(floe_buf_cstr(&b), "SignatureDoesNotMatch");
    floe_buf_reset(&b);
    CHECK(floe_s3_xml_text(e, strlen(e), "Message", &b) == 0);
    CHECK_EQ_STR(floe_buf_cstr(&b), "The request signature & more");
    floe_buf_reset(&b);
    CHECK(floe_s3_xml_text(e, strlen(e), "Empty", &b) == 0 && b.len == 0);
    CHECK(floe_s3_xml_text(e, strlen(e), "UploadId", &b) == -1);
    /* Only the given length is read. */
    CHECK(floe_s3_xml_text(e, 40, "Code", &b) == -1);
    floe_buf_free(&b);
}

static void clear_env(void) {
    const char *vars[] = {"FLOE_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "FLOE_S3_REGION",
                          "AWS_REGION", "AWS_DEFAULT_REGION", "FLOE_S3_PATH_STYLE", "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "FLOE_S3_MULTIPART_SIZE",
                          "FLOE_S3_MULTIPART_THRESHOLD", "FLOE_S3_RETRIES", "FLOE_S3_LIST_MAX_KEYS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
}

TEST(config) {
    clear_env();
    floe_s3_config c;
    floe_err err = {0};
    CHECK_OK(floe_s3_config_load(NULL, &c, &err), &err);
    CHECK_EQ_STR(c.region, "us-east-1");
    CHECK_EQ_STR(c.endpoint, "https://s3.us-east-1.amazonaws.com");
    CHECK(!c.path_style && !c.access_key && !c.secret_key && !c.session_token);
    CHECK_EQ_INT(c.part_size, 8 << 20);
    CHECK_EQ_INT(c.threshold, 8 << 20);
    floe_s3_config_free(&c);

    /* The environment, then properties over it. */
    setenv("AWS_REGION", "eu-central-1", 1);
    setenv("FLOE_S3_ENDPOINT", "http://127.0.0.1:9000/", 1);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
    CHECK_OK(floe_s3_config_load(NULL, &c, &err), &err);
    CHECK_EQ_STR(c.region, "eu-central-1");
    CHECK_EQ_STR(c.endpoint, "http://127.0.0.1:9000");
    CHECK(c.path_style); /* an IP address cannot take a bucket label */
    CHECK_EQ_STR(c.access_key, "ENVKEY");
    CHECK_EQ_STR(c.session_token, "ENVTOKEN");
    floe_s3_config_free(&c);

    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "s3.region", "ap-south-1");
    floe_props_set(&p, "s3.endpoint", "minio.local:9000");
    floe_props_set(&p, "s3.path-style-access", "false");
    floe_props_set(&p, "s3.access-key-id", "PROPKEY");
    floe_props_set(&p, "s3.secret-access-key", "PROPSECRET");
    floe_props_set(&p, "s3.multipart.size", "16MiB");
    floe_props_set(&p, "s3.multipart.threshold", "1.5");
    CHECK_OK(floe_s3_config_load(&p, &c, &err), &err);
    CHECK_EQ_STR(c.region, "ap-south-1");
    CHECK_EQ_STR(c.endpoint, "https://minio.local:9000");
    CHECK(!c.path_style);
    CHECK_EQ_STR(c.access_key, "PROPKEY");
    CHECK_EQ_STR(c.secret_key, "PROPSECRET");
    CHECK(c.session_token == NULL); /* never the environment's token with the properties' key */
    CHECK_EQ_INT(c.part_size, 16 << 20);
    CHECK_EQ_INT(c.threshold, 24 << 20);
    floe_s3_config_free(&c);

    floe_props_set(&p, "s3.multipart.threshold", "6000000");
    floe_props_set(&p, "client.region", "ignored-when-s3.region-is-set");
    CHECK_OK(floe_s3_config_load(&p, &c, &err), &err);
    CHECK_EQ_INT(c.threshold, 6000000);
    CHECK_EQ_STR(c.region, "ap-south-1");
    floe_s3_config_free(&c);

    /* Refusals name the setting and never echo a secret. */
    floe_props_set(&p, "s3.multipart.size", "1M");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && strstr(err.msg, "s3.multipart.size"));
    floe_props_set(&p, "s3.multipart.size", "5M");
    floe_props_set(&p, "s3.path-style-access", "maybe");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && strstr(err.msg, "s3.path-style-access"));
    floe_props_set(&p, "s3.path-style-access", "true");
    floe_props_set(&p, "s3.endpoint", "ftp://x");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && strstr(err.msg, "s3.endpoint"));
    floe_props_set(&p, "s3.endpoint", "http://x");
    floe_props_remove(&p, "s3.secret-access-key");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && strstr(err.msg, "s3.secret-access-key"));
    floe_props_set(&p, "s3.secret-access-key", "PROP\nSECRET");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && !strstr(err.msg, "PROP"));
    floe_props_set(&p, "s3.secret-access-key", "PROPSECRET");
    floe_props_set(&p, "s3.region", "us-east-1/../x");
    CHECK(floe_s3_config_load(&p, &c, &err) == -1 && strstr(err.msg, "s3.region"));
    floe_props_free(&p);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK(floe_s3_config_load(NULL, &c, &err) == -1 && strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
    clear_env();
}

TEST(dispatch) {
    clear_env();
    floe_err err = {0};
    floe_fileio *io = floe_fileio_for("s3://bkt/wh", NULL, &err);
    CHECK(io != NULL && strcmp(io->scheme, "s3") == 0);
    if (io) io->free(io);
    io = floe_fileio_for("s3a://bkt/wh", NULL, &err);
    CHECK(io != NULL && strcmp(io->scheme, "s3") == 0);
    if (io) io->free(io);
    io = floe_fileio_for("/tmp/x", NULL, &err);
    CHECK(io != NULL && strcmp(io->scheme, "file") == 0);
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "s3.multipart.size", "tiny");
    CHECK(floe_fileio_for("s3://bkt/wh", &p, &err) == NULL && strstr(err.msg, "s3.multipart.size"));
    floe_props_free(&p);
}

TEST(sha256_vectors) {
    char hex[65];
    floe_sha256_hex("", 0, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    floe_sha256_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    floe_sha256_hex(m, strlen(m), hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* A million 'a's, fed in uneven pieces. */
    floe_sha256 s;
    floe_sha256_init(&s);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : (left % 7) + 990;
        floe_sha256_update(&s, a, n);
        left -= n;
    }
    uint8_t d[32];
    floe_sha256_final(&s, d);
    static const uint8_t want[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
                                     0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
                                     0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    CHECK(memcmp(d, want, 32) == 0);
}

TEST_MAIN(T(split_uris), T(escaping), T(urls), T(list_parse), T(list_parse_rejects), T(xml_text), T(config),
          T(dispatch), T(sha256_vectors))
