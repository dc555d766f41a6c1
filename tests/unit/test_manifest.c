/*
 * test_manifest.c — single-value serialization, order and human strings
 * against the spec's Appendix D examples; manifests and manifest lists
 * written here and read back (both format versions, inheritance of snapshot
 * ids and sequence numbers), read by Debian's python3-avro with their
 * header keys, field ids and values checked, the exact Avro schema Java
 * writes for a partition type, and files that python3-avro writes with
 * Java's schemas (including v1 lists with the old count names) read here.
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "format/avro/avro.h"
#include "iceberg/manifest.h"
#include "test.h"
#include "util/text.h"

/* ---- helpers -------------------------------------------------------------- */

static floe_ice_datum lng(int64_t v) { floe_ice_datum d = {0}; d.i = v; return d; }
static floe_ice_datum dbl(double v) { floe_ice_datum d = {0}; d.d = v; return d; }
static floe_ice_datum bytes(const void *p, size_t n) { floe_ice_datum d = {0}; d.p = p; d.n = n; return d; }
static floe_ice_datum null_datum(void) { floe_ice_datum d = {0}; d.is_null = 1; return d; }

static floe_ice_type *prim(const char *name) { return floe_ice_type_parse_primitive(name); }

static int bytes_are(const floe_buf *b, const char *hex) {
    size_t n = strlen(hex) / 2;
    if (b->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned x;
        sscanf(hex + 2 * i, "%2x", &x);
        if (b->data[i] != x) return 0;
    }
    return 1;
}

static int ser_is(const char *type, floe_ice_datum v, const char *hex) {
    floe_ice_type *t = prim(type);
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_value_to_bytes(t, &v, &b);
    int ok = bytes_are(&b, hex);
    if (!ok) {
        fprintf(stderr, "  %s serialized as ", type);
        for (size_t i = 0; i < b.len; i++) fprintf(stderr, "%02x", b.data[i]);
        fprintf(stderr, ", want %s\n", hex);
    }
    floe_buf_free(&b);
    floe_ice_type_free(t);
    return ok;
}

static char *str_of(const char *type, floe_ice_datum v) {
    static char out[4][128];
    static int k;
    floe_ice_type *t = prim(type);
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_value_to_string(t, &v, &b);
    char *o = out[k++ & 3];
    snprintf(o, sizeof out[0], "%s", floe_buf_cstr(&b));
    floe_buf_free(&b);
    floe_ice_type_free(t);
    return o;
}

static int cmp_of(const char *type, floe_ice_datum a, floe_ice_datum b) {
    floe_ice_type *t = prim(type);
    int c = floe_ice_value_compare(t, &a, &b);
    floe_ice_type_free(t);
    return c;
}

/* Writes data to a temp file, runs python3 on `script` with the file as
 * argv[1], and returns its stdout (malloc'd). */
static char *run_python(const char *script, const uint8_t *data, size_t len) {
    char path[] = "/tmp/floe-manifest-XXXXXX", spath[] = "/tmp/floe-manifest-py-XXXXXX";
    int fd = mkstemp(path), sfd = mkstemp(spath);
    if (fd < 0 || sfd < 0) return NULL;
    if (write(fd, data, len) != (ssize_t)len || write(sfd, script, strlen(script)) != (ssize_t)strlen(script)) {
        close(fd);
        close(sfd);
        return NULL;
    }
    close(fd);
    close(sfd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore %s %s 2>&1", spath, path);
    FILE *p = popen(cmd, "r");
    floe_buf out;
    floe_buf_init(&out);
    char chunk[4096];
    size_t n;
    while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0) floe_buf_append(&out, chunk, n);
    if (p) pclose(p);
    unlink(path);
    unlink(spath);
    return floe_buf_cstr(&out);
}

/* Runs a python script that writes an Avro file to argv[1]; returns its bytes. */
static int python_writes(const char *script, floe_buf *file) {
    char path[] = "/tmp/floe-manifest-XXXXXX", spath[] = "/tmp/floe-manifest-py-XXXXXX";
    int fd = mkstemp(path), sfd = mkstemp(spath);
    if (fd < 0 || sfd < 0) return -1;
    close(fd);
    if (write(sfd, script, strlen(script)) != (ssize_t)strlen(script)) return -1;
    close(sfd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore %s %s", spath, path);
    int rc = system(cmd);
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) floe_buf_append(file, chunk, n);
    if (f) fclose(f);
    unlink(path);
    unlink(spath);
    return rc == 0 && file->len > 0 ? 0 : -1;
}

/* ---- single values ---------------------------------------------------------- */

TEST(serializes_appendix_d_forms) {
    CHECK(ser_is("boolean", lng(1), "01"));
    CHECK(ser_is("boolean", lng(0), "00"));
    CHECK(ser_is("int", lng(34), "22000000"));
    CHECK(ser_is("int", lng(-1), "ffffffff"));
    CHECK(ser_is("long", lng(34), "2200000000000000"));
    CHECK(ser_is("float", dbl(1.0), "0000803f"));
    CHECK(ser_is("double", dbl(1.0), "000000000000f03f"));
    CHECK(ser_is("date", lng(17486), "4e440000"));
    CHECK(ser_is("time", lng(81068123456LL), "406509e012000000"));
    CHECK(ser_is("timestamptz", lng(1510871468123456LL), "40a5282d215e0500"));
    CHECK(ser_is("string", bytes("iceberg", 7), "69636562657267"));
    uint8_t u[16];
    CHECK(floe_parse_uuid("f79c3e09-677c-4bbd-a479-3f349cb785e7", 36, u) == 0);
    CHECK(ser_is("uuid", bytes(u, 16), "f79c3e09677c4bbda4793f349cb785e7"));
    CHECK(ser_is("binary", bytes("\x00\x01\x02\xff", 4), "000102ff"));
    /* Decimals: the minimal two's-complement bytes of the unscaled value. */
    CHECK(ser_is("decimal(9, 2)", bytes("\x00\x00\x05\x8c", 4), "058c")); /* 14.20 */
    CHECK(ser_is("decimal(9, 2)", bytes("\xff\xff\xff\xff", 4), "ff"));   /* -0.01 */
    CHECK(ser_is("decimal(9, 2)", bytes("\x00\x00\x00\x80", 4), "0080")); /* 1.28 */
    CHECK(ser_is("decimal(9, 2)", bytes("\xff\xff\xff\x7f", 4), "ff7f")); /* -1.29 */
    CHECK(ser_is("decimal(9, 2)", bytes("\x00\x00\x00\x00", 4), "00"));
}

TEST(reads_and_validates_single_values) {
    floe_err err = {0};
    floe_ice_datum d;
    floe_ice_type *t = prim("int");
    CHECK_OK(floe_ice_value_from_bytes(t, (const uint8_t *)"\xfe\xff\xff\xff", 4, &d, &err), &err);
    CHECK_EQ_INT(d.i, -2);
    CHECK(floe_ice_value_from_bytes(t, (const uint8_t *)"\x01\x02\x03", 3, &d, &err) == -1);
    CHECK(strstr(err.msg, "int value must be 4 bytes, not 3") != NULL);
    floe_ice_type_free(t);
    /* A long bound of 4 bytes was written before the column was promoted. */
    t = prim("long");
    CHECK_OK(floe_ice_value_from_bytes(t, (const uint8_t *)"\xff\xff\xff\xff", 4, &d, &err), &err);
    CHECK_EQ_INT(d.i, -1);
    CHECK(floe_ice_value_from_bytes(t, (const uint8_t *)"\x01\x02\x03\x04\x05", 5, &d, &err) == -1);
    floe_ice_type_free(t);
    t = prim("double");
    CHECK_OK(floe_ice_value_from_bytes(t, (const uint8_t *)"\x00\x00\xc0\x3f", 4, &d, &err), &err);
    CHECK(d.d == 1.5);
    floe_ice_type_free(t);
    t = prim("string");
    CHECK(floe_ice_value_from_bytes(t, (const uint8_t *)"a\xc3", 2, &d, &err) == -1);
    CHECK(strstr(err.msg, "not valid UTF-8") != NULL);
    CHECK_OK(floe_ice_value_from_bytes(t, (const uint8_t *)"h\xc3\xa9", 3, &d, &err), &err);
    CHECK(d.n == 3 && memcmp(d.p, "h\xc3\xa9", 3) == 0);
    floe_ice_type_free(t);
    t = prim("decimal(38, 0)");
    uint8_t big[17] = {0x01};
    CHECK(floe_ice_value_from_bytes(t, big, 17, &d, &err) == -1);
    CHECK(strstr(err.msg, "decimal(38, 0)") != NULL);
    CHECK(floe_ice_value_from_bytes(t, big, 0, &d, &err) == -1);
    floe_ice_type_free(t);
    t = prim("uuid");
    CHECK(floe_ice_value_from_bytes(t, big, 15, &d, &err) == -1);
    floe_ice_type_free(t);
    t = prim("fixed[3]");
    CHECK_OK(floe_ice_value_from_bytes(t, big, 3, &d, &err), &err);
    CHECK(floe_ice_value_from_bytes(t, big, 4, &d, &err) == -1);
    CHECK(strstr(err.msg, "fixed[3] value must be 3 bytes, not 4") != NULL);
    floe_ice_type_free(t);
    /* Every type round-trips through its bytes. */
    const char *types[] = {"boolean", "int", "long", "float", "double", "date", "time", "timestamp", "timestamptz"};
    floe_ice_datum vals[] = {lng(1), lng(-7), lng(-(1LL << 40)), dbl(-2.5), dbl(1e300), lng(-3), lng(5), lng(-9),
                             lng(1LL << 50)};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        t = prim(types[i]);
        floe_buf b;
        floe_buf_init(&b);
        floe_ice_value_to_bytes(t, &vals[i], &b);
        CHECK_OK(floe_ice_value_from_bytes(t, b.data, b.len, &d, &err), &err);
        CHECK(floe_ice_value_compare(t, &d, &vals[i]) == 0);
        floe_buf_free(&b);
        floe_ice_type_free(t);
    }
}

TEST(compares_in_iceberg_order) {
    CHECK(cmp_of("string", bytes("a", 1), bytes("b", 1)) < 0);
    CHECK(cmp_of("string", bytes("ab", 2), bytes("a", 1)) > 0);
    /* Unsigned bytes: U+00E9 after 'z', U+1F600 after U+FFFD (code point order). */
    CHECK(cmp_of("string", bytes("z", 1), bytes("\xc3\xa9", 2)) < 0);
    CHECK(cmp_of("string", bytes("\xef\xbf\xbd", 3), bytes("\xf0\x9f\x98\x80", 4)) < 0);
    /* Decimals numerically, whatever their width. */
    CHECK(cmp_of("decimal(9, 2)", bytes("\x00\xff", 2), bytes("\x7f", 1)) > 0);
    CHECK(cmp_of("decimal(9, 2)", bytes("\xff", 1), bytes("\xff\x00", 2)) > 0);
    CHECK(cmp_of("decimal(9, 2)", bytes("\xff\xff\x85", 3), bytes("\x85", 1)) == 0);
    CHECK(cmp_of("decimal(9, 2)", bytes("\x80", 1), bytes("\x01", 1)) < 0);
    CHECK(cmp_of("double", dbl(-0.0), dbl(0.0)) < 0);
    CHECK(cmp_of("double", dbl(NAN), dbl(INFINITY)) > 0);
    CHECK(cmp_of("double", dbl(NAN), dbl(NAN)) == 0);
    CHECK(cmp_of("float", dbl(-1), dbl(2)) < 0);
    CHECK(cmp_of("long", lng(-5), lng(3)) < 0);
    CHECK(cmp_of("long", null_datum(), lng(-5)) < 0);
    CHECK(cmp_of("long", null_datum(), null_datum()) == 0);
    CHECK(cmp_of("binary", bytes("\x80", 1), bytes("\x7f", 1)) > 0);
}

TEST(human_strings_as_java_prints_them) {
    CHECK_EQ_STR(str_of("date", lng(17486)), "2017-11-16");
    CHECK_EQ_STR(str_of("date", lng(-1)), "1969-12-31");
    CHECK_EQ_STR(str_of("time", lng(81068123456LL)), "22:31:08.123456");
    CHECK_EQ_STR(str_of("time", lng(3600000000LL)), "01:00");
    CHECK_EQ_STR(str_of("time", lng(3601000000LL)), "01:00:01");
    CHECK_EQ_STR(str_of("time", lng(3601500000LL)), "01:00:01.500");
    CHECK_EQ_STR(str_of("timestamp", lng(1510871468123456LL)), "2017-11-16T22:31:08.123456");
    CHECK_EQ_STR(str_of("timestamp", lng(1510871460000000LL)), "2017-11-16T22:31:00");
    CHECK_EQ_STR(str_of("timestamptz", lng(1510871468100000LL)), "2017-11-16T22:31:08.1+00:00");
    CHECK_EQ_STR(str_of("timestamp_ns", lng(1510871468123456789LL)), "2017-11-16T22:31:08.123456789");
    CHECK_EQ_STR(str_of("timestamptz", lng(-1)), "1969-12-31T23:59:59.999999+00:00");
    CHECK_EQ_STR(str_of("decimal(9, 2)", bytes("\x05\x8c", 2)), "14.20");
    CHECK_EQ_STR(str_of("decimal(9, 2)", bytes("\xff", 1)), "-0.01");
    CHECK_EQ_STR(str_of("decimal(20, 10)", bytes("\x01", 1)), "1E-10");
    CHECK_EQ_STR(str_of("decimal(20, 10)", bytes("\x0f", 1)), "1.5E-9");
    CHECK_EQ_STR(str_of("double", dbl(1.0)), "1.0");
    CHECK_EQ_STR(str_of("double", dbl(1e10)), "1.0E10");
    CHECK_EQ_STR(str_of("double", dbl(0.001)), "0.001");
    CHECK_EQ_STR(str_of("double", dbl(1e-4)), "1.0E-4");
    CHECK_EQ_STR(str_of("double", dbl(-123.25)), "-123.25");
    CHECK_EQ_STR(str_of("double", dbl(1234567.0)), "1234567.0");
    CHECK_EQ_STR(str_of("double", dbl(12345678.0)), "1.2345678E7");
    CHECK_EQ_STR(str_of("double", dbl(-0.0)), "-0.0");
    CHECK_EQ_STR(str_of("double", dbl(NAN)), "NaN");
    CHECK_EQ_STR(str_of("float", dbl((double)0.1f)), "0.1");
    CHECK_EQ_STR(str_of("boolean", lng(1)), "true");
    CHECK_EQ_STR(str_of("long", lng(-42)), "-42");
    CHECK_EQ_STR(str_of("string", bytes("a b", 3)), "a b");
    CHECK_EQ_STR(str_of("binary", bytes("\x00\x01\x02\xff", 4)), "AAEC/w==");
    uint8_t u[16];
    CHECK(floe_parse_uuid("f79c3e09-677c-4bbd-a479-3f349cb785e7", 36, u) == 0);
    CHECK_EQ_STR(str_of("uuid", bytes(u, 16)), "f79c3e09-677c-4bbd-a479-3f349cb785e7");
    CHECK_EQ_STR(str_of("int", null_datum()), "null");
}

/* ---- a table to write manifests for ------------------------------------------- */

static const char SCHEMA_JSON[] =
    "{\"type\":\"struct\",\"schema-id\":3,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":5,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":6,\"name\":\"amount\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":7,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":8,\"name\":\"cost\",\"required\":false,\"type\":\"decimal(9, 2)\"}]}";

typedef struct table {
    floe_ice_metadata m;
    floe_ice_schema *schema;
    floe_ice_partition_spec spec;
} table;

static void add_pf(floe_ice_partition_spec *s, int32_t src, const char *name, const char *xf) {
    floe_err err = {0};
    floe_ice_partition_field *f = &s->fields[s->nfields++];
    f->source_id = src;
    f->field_id = 1000 + s->nfields - 1;
    f->name = floe_xstrdup(name);
    CHECK_OK(floe_ice_transform_parse(xf, &f->transform, &err), &err);
}

static void table_init(table *t, int version, int partitioned) {
    floe_err err = {0};
    memset(t, 0, sizeof *t);
    t->schema = floe_ice_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &err);
    CHECK(t->schema != NULL);
    t->m.format_version = version;
    t->m.schemas = &t->schema;
    t->m.nschemas = 1;
    t->m.current_schema_id = 3;
    t->spec.spec_id = 2;
    t->spec.fields = floe_xcalloc(9, sizeof *t->spec.fields);
    if (!partitioned) return;
    add_pf(&t->spec, 2, "ts_day", "day");
    add_pf(&t->spec, 1, "id_bucket", "bucket[16]");
    add_pf(&t->spec, 3, "name_trunc", "truncate[4]");
    add_pf(&t->spec, 4, "price", "identity");
    add_pf(&t->spec, 5, "u", "identity");
    add_pf(&t->spec, 6, "amount", "identity");
    add_pf(&t->spec, 7, "d-day", "identity");
    add_pf(&t->spec, 8, "cost", "identity");
    add_pf(&t->spec, 1, "1x", "void");
}

static void table_free(table *t) {
    floe_ice_spec_free(&t->spec);
    floe_ice_schema_free(t->schema);
}

static const uint8_t UUID1[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
                                  0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};

static void metric(floe_ice_metric **a, int *n, int32_t id, int64_t v) {
    *a = floe_xrealloc(*a, sizeof **a * (size_t)(*n + 1));
    (*a)[(*n)++] = (floe_ice_metric){id, v};
}

static void bound(floe_ice_bound **a, int *n, int32_t id, const void *p, uint32_t len) {
    *a = floe_xrealloc(*a, sizeof **a * (size_t)(*n + 1));
    uint8_t *c = floe_xmalloc(len ? len : 1);
    memcpy(c, p, len);
    (*a)[(*n)++] = (floe_ice_bound){id, c, len};
}

static const uint8_t *dupb(const void *p, size_t n) {
    uint8_t *c = floe_xmalloc(n);
    memcpy(c, p, n);
    return c;
}

/* Entry k of a test manifest: ADDED (k = 0, 1), EXISTING (2), DELETED (3). */
static void make_entry(const table *t, int k, floe_ice_manifest_entry *e) {
    memset(e, 0, sizeof *e);
    floe_ice_data_file *f = &e->file;
    char path[64];
    snprintf(path, sizeof path, "file:///w/t/data/f%d.parquet", k);
    f->file_path = floe_xstrdup(path);
    f->file_format = floe_xstrdup("PARQUET");
    f->record_count = 100 + k;
    f->file_size_in_bytes = 4096 + k;
    e->status = k < 2 ? FLOE_ICE_STATUS_ADDED : k == 2 ? FLOE_ICE_STATUS_EXISTING : FLOE_ICE_STATUS_DELETED;
    if (k >= 2) {
        e->has_snapshot_id = 1;
        e->snapshot_id = 11;
        e->has_sequence_number = e->has_file_sequence_number = 1;
        e->sequence_number = 3 + k;
        e->file_sequence_number = 4 + k;
    }
    metric(&f->column_sizes, &f->ncolumn_sizes, 1, 50 + k);
    metric(&f->column_sizes, &f->ncolumn_sizes, 3, 70);
    metric(&f->value_counts, &f->nvalue_counts, 1, 100 + k);
    metric(&f->null_value_counts, &f->nnull_value_counts, 1, 0);
    metric(&f->nan_value_counts, &f->nnan_value_counts, 6, k);
    bound(&f->lower_bounds, &f->nlower_bounds, 1, "\x01\0\0\0\0\0\0\0", 8);
    bound(&f->upper_bounds, &f->nupper_bounds, 1, "\x64\0\0\0\0\0\0\0", 8);
    bound(&f->upper_bounds, &f->nupper_bounds, 3, "", 0);
    f->split_offsets = floe_xmalloc(2 * sizeof(int64_t));
    f->split_offsets[0] = 4;
    f->split_offsets[1] = 2000 + k;
    f->nsplit_offsets = 2;
    f->has_sort_order_id = k == 1;
    f->sort_order_id = 0;
    f->npartition = t->spec.nfields;
    f->partition = floe_xcalloc((size_t)f->npartition + 1, sizeof *f->partition);
    if (!f->npartition) return;
    static const uint8_t price[2][2] = {{0x05, 0x8c}, {0xff, 0x85}}; /* 14.20, -1.23 */
    f->partition[0] = lng(17486 + k);
    f->partition[1] = lng(k * 5);
    f->partition[2] = k == 3 ? null_datum() : bytes(dupb(k == 1 ? "abc" : "abcd", k == 1 ? 3 : 4), k == 1 ? 3 : 4);
    f->partition[3] = bytes(dupb(price[k & 1], 2), 2);
    f->partition[4] = bytes(dupb(UUID1, 16), 16);
    f->partition[5] = dbl(k == 2 ? NAN : 1.5 * k);
    f->partition[6] = lng(-k);
    f->partition[7] = null_datum();
    f->partition[8] = null_datum();
}

static void free_entries(floe_ice_manifest_entry *es, int n) {
    for (int i = 0; i < n; i++) floe_ice_manifest_entry_free(&es[i]);
    free(es);
}

/* Writes the 4-entry test manifest; returns 0 on success. */
static int write_test_manifest(const table *t, floe_buf *out, floe_ice_manifest_file *mf) {
    floe_ice_manifest_entry es[4];
    for (int k = 0; k < 4; k++) make_entry(t, k, &es[k]);
    floe_err err = {0};
    int rc = floe_ice_manifest_write(&t->m, &t->spec, FLOE_ICE_MANIFEST_DATA, 42, es, 4, out, mf, &err);
    if (rc) fprintf(stderr, "  manifest write: %s\n", err.msg);
    for (int k = 0; k < 4; k++) floe_ice_manifest_entry_free(&es[k]);
    return rc;
}

/* A table and its 4-entry test manifest. */
typedef struct fixture {
    table t;
    floe_buf file;
    floe_ice_manifest_file mf;
} fixture;

static void fixture_init(fixture *x, int version) {
    table_init(&x->t, version, 1);
    floe_buf_init(&x->file);
    CHECK(write_test_manifest(&x->t, &x->file, &x->mf) == 0);
}

static void fixture_free(fixture *x) {
    floe_ice_manifest_file_free(&x->mf);
    floe_buf_free(&x->file);
    table_free(&x->t);
}

/* ---- manifests: round trips ------------------------------------------------- */

TEST(manifest_round_trip_v2) {
    fixture x;
    fixture_init(&x, 2);
    CHECK_EQ_INT(x.mf.manifest_length, x.file.len);
    CHECK_EQ_INT(x.mf.partition_spec_id, 2);
    CHECK_EQ_INT(x.mf.added_snapshot_id, 42);
    CHECK_EQ_INT(x.mf.sequence_number, -1);
    CHECK_EQ_INT(x.mf.min_sequence_number, 5); /* the EXISTING entry's; DELETED ones do not count */
    CHECK_EQ_INT(x.mf.added_files_count, 2);
    CHECK_EQ_INT(x.mf.existing_files_count, 1);
    CHECK_EQ_INT(x.mf.deleted_files_count, 1);
    CHECK_EQ_INT(x.mf.added_rows_count, 201);
    CHECK_EQ_INT(x.mf.existing_rows_count, 102);
    CHECK_EQ_INT(x.mf.deleted_rows_count, 103);
    CHECK_EQ_INT(x.mf.npartitions, 9);
    if (x.mf.npartitions == 9) {
        /* ts_day: days 17486..17489 */
        CHECK(!x.mf.partitions[0].contains_null && x.mf.partitions[0].has_contains_nan &&
              !x.mf.partitions[0].contains_nan);
        CHECK(x.mf.partitions[0].nlower == 4 && memcmp(x.mf.partitions[0].lower, "\x4e\x44\0\0", 4) == 0);
        CHECK(x.mf.partitions[0].nupper == 4 && memcmp(x.mf.partitions[0].upper, "\x51\x44\0\0", 4) == 0);
        /* name_trunc: "abc" < "abcd", one null */
        CHECK(x.mf.partitions[2].contains_null);
        CHECK(x.mf.partitions[2].nlower == 3 && memcmp(x.mf.partitions[2].lower, "abc", 3) == 0);
        CHECK(x.mf.partitions[2].nupper == 4 && memcmp(x.mf.partitions[2].upper, "abcd", 4) == 0);
        /* price: -1.23 .. 14.20, minimal bytes */
        CHECK(x.mf.partitions[3].nlower == 1 && x.mf.partitions[3].lower[0] == 0x85);
        CHECK(x.mf.partitions[3].nupper == 2 && memcmp(x.mf.partitions[3].upper, "\x05\x8c", 2) == 0);
        /* amount: a NaN, bounds 0.0 .. 4.5 */
        CHECK(x.mf.partitions[5].contains_nan);
        CHECK(x.mf.partitions[5].nupper == 8 && memcmp(x.mf.partitions[5].upper, "\0\0\0\0\0\0\x12\x40", 8) == 0);
        /* d-day: 0, -1, -2, -3 */
        CHECK(x.mf.partitions[6].nlower == 4 && memcmp(x.mf.partitions[6].lower, "\xfd\xff\xff\xff", 4) == 0);
        /* all null: no bounds */
        CHECK(x.mf.partitions[7].contains_null && !x.mf.partitions[7].lower && !x.mf.partitions[7].upper);
    }
    /* Read back as the manifest list would describe it after the commit. */
    x.mf.manifest_path = floe_xstrdup("file:///w/t/metadata/m0.avro");
    x.mf.sequence_number = 9;
    x.mf.min_sequence_number = 5;
    floe_err err = {0};
    floe_ice_manifest_entry *es;
    int n;
    CHECK_OK(floe_ice_manifest_read(x.file.data, x.file.len, x.mf.manifest_path, &x.mf, &es, &n, &err), &err);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        for (int k = 0; k < 4; k++) {
            floe_ice_manifest_entry *e = &es[k];
            char path[64];
            snprintf(path, sizeof path, "file:///w/t/data/f%d.parquet", k);
            CHECK_EQ_STR(e->file.file_path, path);
            CHECK_EQ_STR(e->file.file_format, "PARQUET");
            CHECK_EQ_INT(e->file.record_count, 100 + k);
            CHECK_EQ_INT(e->file.file_size_in_bytes, 4096 + k);
            CHECK_EQ_INT(e->file.spec_id, 2);
            CHECK(e->has_snapshot_id && e->has_sequence_number && e->has_file_sequence_number);
            CHECK_EQ_INT(e->snapshot_id, k < 2 ? 42 : 11);
            CHECK_EQ_INT(e->sequence_number, k < 2 ? 9 : 3 + k);
            CHECK_EQ_INT(e->file_sequence_number, k < 2 ? 9 : 4 + k);
            CHECK_EQ_INT(e->file.ncolumn_sizes, 2);
            CHECK(e->file.ncolumn_sizes == 2 && e->file.column_sizes[0].value == 50 + k);
            CHECK(e->file.nnan_value_counts == 1 && e->file.nan_value_counts[0].field_id == 6 &&
                  e->file.nan_value_counts[0].value == k);
            CHECK(e->file.nupper_bounds == 2 && e->file.upper_bounds[1].n == 0);
            CHECK(e->file.nsplit_offsets == 2 && e->file.split_offsets[1] == 2000 + k);
            CHECK_EQ_INT(e->file.has_sort_order_id, k == 1);
            CHECK_EQ_INT(e->file.npartition, 9);
            if (e->file.npartition != 9) continue;
            CHECK_EQ_INT(e->file.partition[0].i, 17486 + k);
            CHECK_EQ_INT(e->file.partition[1].i, 5 * k);
            CHECK_EQ_INT(e->file.partition[2].is_null, k == 3);
            /* decimal(9,2) travels as a 4-byte fixed: sign-extended */
            CHECK(e->file.partition[3].n == 4 &&
                  memcmp(e->file.partition[3].p, k & 1 ? "\xff\xff\xff\x85" : "\0\0\x05\x8c", 4) == 0);
            CHECK(e->file.partition[4].n == 16 && memcmp(e->file.partition[4].p, UUID1, 16) == 0);
            CHECK(k == 2 ? isnan(e->file.partition[5].d) : e->file.partition[5].d == 1.5 * k);
            CHECK_EQ_INT(e->file.partition[6].i, -k);
            CHECK(e->file.partition[7].is_null && e->file.partition[8].is_null);
        }
        /* Copies are deep. */
        floe_ice_data_file c;
        floe_ice_data_file_copy(&c, &es[0].file);
        floe_ice_manifest_file mc;
        floe_ice_manifest_file_copy(&mc, &x.mf);
        free_entries(es, n);
        CHECK_EQ_STR(c.file_path, "file:///w/t/data/f0.parquet");
        CHECK(c.partition[2].n == 4 && memcmp(c.partition[2].p, "abcd", 4) == 0);
        CHECK(mc.partitions[2].nupper == 4 && memcmp(mc.partitions[2].upper, "abcd", 4) == 0);
        floe_ice_data_file_free(&c);
        floe_ice_manifest_file_free(&mc);
    }
    /* Without a manifest list entry, what was written is what is read. */
    CHECK_OK(floe_ice_manifest_read(x.file.data, x.file.len, "m0.avro", NULL, &es, &n, &err), &err);
    CHECK(n == 4 && !es[0].has_sequence_number && es[0].has_snapshot_id && es[0].snapshot_id == 42 &&
          es[0].file.spec_id == 2);
    free_entries(es, n);
    fixture_free(&x);
}

TEST(manifest_write_rejects_bad_entries) {
    table t;
    table_init(&t, 2, 1);
    floe_ice_manifest_entry e;
    make_entry(&t, 2, &e);
    e.has_sequence_number = 0;
    floe_buf out;
    floe_buf_init(&out);
    floe_ice_manifest_file mf;
    floe_err err = {0};
    CHECK(floe_ice_manifest_write(&t.m, &t.spec, FLOE_ICE_MANIFEST_DATA, 1, &e, 1, &out, &mf, &err) == -1);
    CHECK(strstr(err.msg, "f2.parquet") && strstr(err.msg, "EXISTING entry must carry its data sequence number"));
    e.has_sequence_number = 1;
    e.file.npartition = 3;
    CHECK(floe_ice_manifest_write(&t.m, &t.spec, FLOE_ICE_MANIFEST_DATA, 1, &e, 1, &out, &mf, &err) == -1);
    CHECK(strstr(err.msg, "3 partition values for a spec of 9 fields") != NULL);
    e.file.npartition = 9;
    CHECK(floe_ice_manifest_write(&t.m, &t.spec, FLOE_ICE_MANIFEST_DELETES, 1, &e, 1, &out, &mf, &err) == -1);
    CHECK(strstr(err.msg, "does not belong in a delete manifest") != NULL);
    /* A decimal value wider than its precision allows. */
    free((void *)e.file.partition[3].p);
    e.file.partition[3] = bytes(dupb("\x01\x00\x00\x00\x00", 5), 5);
    CHECK(floe_ice_manifest_write(&t.m, &t.spec, FLOE_ICE_MANIFEST_DATA, 1, &e, 1, &out, &mf, &err) == -1);
    CHECK(strstr(err.msg, "partition field price: decimal value does not fit precision 9") != NULL);
    CHECK_EQ_INT(out.len, 0);
    t.m.format_version = 1;
    CHECK(floe_ice_manifest_write(&t.m, &t.spec, FLOE_ICE_MANIFEST_DELETES, 1, &e, 1, &out, &mf, &err) == -1);
    CHECK(strstr(err.msg, "content 1 is not allowed in format version 1") != NULL);
    floe_ice_manifest_entry_free(&e);
    floe_buf_free(&out);
    table_free(&t);
}

/* The Avro schema exactly as Java's AvroSchemaUtil spells it for this
 * partition type: logical types, named fixed types defined once, sanitized
 * names with iceberg-field-name. */
TEST(partition_schema_spelled_as_java) {
    fixture x;
    fixture_init(&x, 2);
    floe_err err = {0};
    floe_avro_reader *r = floe_avro_reader_open(x.file.data, x.file.len, "m", &err);
    CHECK(r != NULL);
    if (r) {
        const char *s = floe_avro_reader_meta(r, "avro.schema");
        static const char want_part[] =
            "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
            "{\"name\":\"ts_day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null,"
            "\"field-id\":1000},"
            "{\"name\":\"id_bucket\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":1001},"
            "{\"name\":\"name_trunc\",\"type\":[\"null\",\"string\"],\"default\":null,\"field-id\":1002},"
            "{\"name\":\"price\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"decimal_9_2\",\"size\":4,"
            "\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2}],\"default\":null,\"field-id\":1003},"
            "{\"name\":\"u\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16,"
            "\"logicalType\":\"uuid\"}],\"default\":null,\"field-id\":1004},"
            "{\"name\":\"amount\",\"type\":[\"null\",\"double\"],\"default\":null,\"field-id\":1005},"
            "{\"name\":\"d_x2Dday\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null,"
            "\"iceberg-field-name\":\"d-day\",\"field-id\":1006},"
            "{\"name\":\"cost\",\"type\":[\"null\",\"decimal_9_2\"],\"default\":null,\"field-id\":1007},"
            "{\"name\":\"_1x\",\"type\":[\"null\",\"long\"],\"default\":null,\"iceberg-field-name\":\"1x\","
            "\"field-id\":1008}]},"
            "\"doc\":\"Partition data tuple, schema based on the partition spec\",\"field-id\":102}";
        CHECK(s && strstr(s, want_part) != NULL);
        static const char want_head[] =
            "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
            "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
            "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
            "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
            "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":4},"
            "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
            "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the file: 0=data, 1=position deletes, "
            "2=equality deletes\",\"field-id\":134},"
            "{\"name\":\"file_path\",\"type\":\"string\",\"doc\":\"Location URI with FS scheme\",\"field-id\":100},";
        CHECK(s && strncmp(s, want_head, strlen(want_head)) == 0);
        static const char want_map[] =
            "{\"name\":\"column_sizes\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
            "\"name\":\"k117_v118\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":117},"
            "{\"name\":\"value\",\"type\":\"long\",\"field-id\":118}]},\"logicalType\":\"map\"}],"
            "\"doc\":\"Map of column id to total size on disk\",\"default\":null,\"field-id\":108}";
        CHECK(s && strstr(s, want_map) != NULL);
        CHECK_EQ_STR(floe_avro_reader_meta(r, "partition-spec-id"), "2");
        CHECK_EQ_STR(floe_avro_reader_meta(r, "schema-id"), "3");
        CHECK_EQ_STR(floe_avro_reader_meta(r, "format-version"), "2");
        CHECK_EQ_STR(floe_avro_reader_meta(r, "content"), "data");
        CHECK_EQ_STR(floe_avro_reader_meta(r, "avro.codec"), "deflate");
        const char *ps = floe_avro_reader_meta(r, "partition-spec");
        static const char want_spec[] = "[{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":2,\"field-id\":1000},";
        CHECK(ps && strncmp(ps, want_spec, strlen(want_spec)) == 0);
        floe_avro_reader_free(r);
    }
    fixture_free(&x);
}

/* ---- python3-avro reads what floe writes ---------------------------------- */

/* Collects every field-id and element-id of an Avro schema into `ids`. */
#define PY_WALK_IDS                                                  \
    "ids = []\n" \
    "def walk(t):\n" \
    "    if isinstance(t, list):\n" \
    "        for x in t: walk(x)\n" \
    "    elif isinstance(t, dict):\n" \
    "        if t.get('type') == 'record':\n" \
    "            for f in t['fields']:\n" \
    "                ids.append(f['field-id'])\n" \
    "                walk(f['type'])\n" \
    "        elif t.get('type') == 'array':\n" \
    "            if 'element-id' in t: ids.append(t['element-id'])\n" \
    "            walk(t['items'])\n"

/* Prints the header keys, the embedded schema's field and element ids and
 * every entry of a manifest. */
static const char PY_READ_MANIFEST[] =
    "import sys, json, avro.datafile as d, avro.io as i\n"
    "r = d.DataFileReader(open(sys.argv[1], 'rb'), i.DatumReader())\n"
    "meta = {k: r.get_meta(k) for k in ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content']}\n"
    "print(' '.join('%s=%s' % (k, 'missing' if v is None else 'ok') for k, v in meta.items()))\n"
    "print(json.loads(meta['schema'])['type'], json.loads(meta['schema'])['schema-id'], meta['schema-id'].decode(),\n"
    "      meta['partition-spec-id'].decode(), meta['format-version'].decode(), (meta['content'] or b'-').decode())\n"
    "print(json.dumps(json.loads(meta['partition-spec'])))\n"
    PY_WALK_IDS
    "walk(json.loads(r.get_meta('avro.schema')))\n"
    "print(' '.join(map(str, sorted(ids))))\n"
    "for e in r:\n"
    "    f = e['data_file']\n"
    "    p = f['partition']\n"
    "    print(e['status'], e['snapshot_id'], e.get('sequence_number', '-'), e.get('file_sequence_number', '-'),\n"
    "          f.get('content', '-'), f['file_path'], f['file_format'], f['record_count'], f['file_size_in_bytes'],\n"
    "          f.get('block_size_in_bytes', '-'),\n"
    "          sorted((x['key'], x['value']) for x in f['column_sizes']), f['split_offsets'], f['sort_order_id'],\n"
    "          [(x['key'], x['value'].hex()) for x in f['upper_bounds']],\n"
    "          ' '.join('%s=%s' % (k, v if not isinstance(v, bytes) else v.hex()) for k, v in p.items()))\n";

static const char WANT_IDS_V2[] =
    "0 1 2 3 4 100 101 102 103 104 108 109 110 117 118 119 120 121 122 125 126 127 128 129 130 131 132 133 134 135 "
    "136 137 138 139 140 143 1000 1001 1002 1003 1004 1005 1006 1007 1008\n";
static const char WANT_IDS_V1[] =
    "0 1 2 100 101 102 103 104 105 108 109 110 117 118 119 120 121 122 125 126 127 128 129 130 131 132 133 137 138 "
    "139 140 1000 1001 1002 1003 1004 1005 1006 1007 1008\n";

TEST(python_reads_floe_manifests) {
    static const char spec_json[] =
        "[{\"name\": \"ts_day\", \"transform\": \"day\", \"source-id\": 2, \"field-id\": 1000}, "
        "{\"name\": \"id_bucket\", \"transform\": \"bucket[16]\", \"source-id\": 1, \"field-id\": 1001}, "
        "{\"name\": \"name_trunc\", \"transform\": \"truncate[4]\", \"source-id\": 3, \"field-id\": 1002}, "
        "{\"name\": \"price\", \"transform\": \"identity\", \"source-id\": 4, \"field-id\": 1003}, "
        "{\"name\": \"u\", \"transform\": \"identity\", \"source-id\": 5, \"field-id\": 1004}, "
        "{\"name\": \"amount\", \"transform\": \"identity\", \"source-id\": 6, \"field-id\": 1005}, "
        "{\"name\": \"d-day\", \"transform\": \"identity\", \"source-id\": 7, \"field-id\": 1006}, "
        "{\"name\": \"cost\", \"transform\": \"identity\", \"source-id\": 8, \"field-id\": 1007}, "
        "{\"name\": \"1x\", \"transform\": \"void\", \"source-id\": 1, \"field-id\": 1008}]\n";
    static const char *rows[4] = {
        "file:///w/t/data/f0.parquet PARQUET 100 4096 %s [(1, 50), (3, 70)] [4, 2000] None "
        "[(1, '6400000000000000'), (3, '')] ts_day=2017-11-16 id_bucket=0 name_trunc=abcd price=14.20 "
        "u=f79c3e09677c4bbda4793f349cb785e7 amount=0.0 d_x2Dday=1970-01-01 cost=None _1x=None\n",
        "file:///w/t/data/f1.parquet PARQUET 101 4097 %s [(1, 51), (3, 70)] [4, 2001] 0 "
        "[(1, '6400000000000000'), (3, '')] ts_day=2017-11-17 id_bucket=5 name_trunc=abc price=-1.23 "
        "u=f79c3e09677c4bbda4793f349cb785e7 amount=1.5 d_x2Dday=1969-12-31 cost=None _1x=None\n",
        "file:///w/t/data/f2.parquet PARQUET 102 4098 %s [(1, 52), (3, 70)] [4, 2002] None "
        "[(1, '6400000000000000'), (3, '')] ts_day=2017-11-18 id_bucket=10 name_trunc=abcd price=14.20 "
        "u=f79c3e09677c4bbda4793f349cb785e7 amount=nan d_x2Dday=1969-12-30 cost=None _1x=None\n",
        "file:///w/t/data/f3.parquet PARQUET 103 4099 %s [(1, 53), (3, 70)] [4, 2003] None "
        "[(1, '6400000000000000'), (3, '')] ts_day=2017-11-19 id_bucket=15 name_trunc=None price=-1.23 "
        "u=f79c3e09677c4bbda4793f349cb785e7 amount=4.5 d_x2Dday=1969-12-29 cost=None _1x=None\n"};
    static const char *heads[2][4] = {{"1 42 - - - ", "1 42 - - - ", "0 11 - - - ", "2 11 - - - "},
                                      {"1 42 None None 0 ", "1 42 None None 0 ", "0 11 5 6 0 ", "2 11 6 7 0 "}};
    for (int v = 1; v <= 2; v++) {
        fixture x;
        fixture_init(&x, v);
        floe_buf want;
        floe_buf_init(&want);
        floe_buf_printf(&want, "schema=ok schema-id=ok partition-spec=ok partition-spec-id=ok format-version=ok "
                               "content=%s\nstruct 3 3 2 %d %s\n",
                        v == 2 ? "ok" : "missing", v, v == 2 ? "data" : "-");
        floe_buf_puts(&want, spec_json);
        floe_buf_puts(&want, v == 2 ? WANT_IDS_V2 : WANT_IDS_V1);
        for (int k = 0; k < 4; k++) {
            floe_buf_puts(&want, heads[v - 1][k]);
            floe_buf_printf(&want, rows[k], v == 1 ? "67108864" : "-");
        }
        char *got = run_python(PY_READ_MANIFEST, x.file.data, x.file.len);
        CHECK_EQ_STR(got, floe_buf_cstr(&want));
        free(got);
        floe_buf_free(&want);
        fixture_free(&x);
    }
}

/* ---- manifest lists ---------------------------------------------------------- */

static const char PY_READ_LIST[] =
    "import sys, json, avro.datafile as d, avro.io as i\n"
    "r = d.DataFileReader(open(sys.argv[1], 'rb'), i.DatumReader())\n"
    "print(' '.join('%s=%s' % (k, (r.get_meta(k) or b'missing').decode()) for k in ['snapshot-id', 'parent-snapshot-id', 'sequence-number', 'format-version']))\n"
    PY_WALK_IDS
    "s = json.loads(r.get_meta('avro.schema'))\n"
    "walk(s)\n"
    "print(s['name'], ' '.join(map(str, sorted(ids))))\n"
    "for m in r:\n"
    "    print(m['manifest_path'], m['manifest_length'], m['partition_spec_id'], m.get('content', '-'), m.get('sequence_number', '-'),\n"
    "          m.get('min_sequence_number', '-'), m['added_snapshot_id'], m['added_files_count'], m['existing_files_count'],\n"
    "          m['deleted_files_count'], m['added_rows_count'], m['existing_rows_count'], m['deleted_rows_count'],\n"
    "          [(p['contains_null'], p['contains_nan'], p['lower_bound'] and p['lower_bound'].hex(), p['upper_bound'] and p['upper_bound'].hex()) for p in m['partitions']])\n";

static void list_files(floe_ice_manifest_file fs[2]) {
    memset(fs, 0, 2 * sizeof *fs);
    fs[0].manifest_path = floe_xstrdup("file:///w/t/metadata/new-m0.avro");
    fs[0].manifest_length = 5000;
    fs[0].partition_spec_id = 2;
    fs[0].sequence_number = fs[0].min_sequence_number = -1; /* written by this commit */
    fs[0].added_snapshot_id = 42;
    fs[0].added_files_count = 3;
    fs[0].added_rows_count = 300;
    fs[0].npartitions = 2;
    fs[0].partitions = floe_xcalloc(2, sizeof *fs[0].partitions);
    fs[0].partitions[0].lower = (uint8_t *)dupb("\x4e\x44\0\0", 4);
    fs[0].partitions[0].nlower = 4;
    fs[0].partitions[0].upper = (uint8_t *)dupb("\x51\x44\0\0", 4);
    fs[0].partitions[0].nupper = 4;
    fs[0].partitions[0].has_contains_nan = 1;
    fs[0].partitions[1].contains_null = 1;
    fs[1].manifest_path = floe_xstrdup("file:///w/t/metadata/old-m1.avro");
    fs[1].manifest_length = 6000;
    fs[1].partition_spec_id = 0;
    fs[1].content = FLOE_ICE_MANIFEST_DELETES;
    fs[1].sequence_number = 3;
    fs[1].min_sequence_number = 2;
    fs[1].added_snapshot_id = 11;
    fs[1].existing_files_count = 4;
    fs[1].deleted_files_count = 1;
    fs[1].existing_rows_count = 40;
    fs[1].deleted_rows_count = 10;
}

TEST(manifest_list_round_trip_v2) {
    floe_ice_manifest_file fs[2];
    list_files(fs);
    floe_buf out;
    floe_buf_init(&out);
    floe_err err = {0};
    CHECK_OK(floe_ice_manifest_list_write(2, 42, 1, 11, 9, fs, 2, &out, &err), &err);
    floe_ice_manifest_file *rd;
    int n;
    CHECK_OK(floe_ice_manifest_list_read(out.data, out.len, "snap-42.avro", &rd, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(rd[0].manifest_path, "file:///w/t/metadata/new-m0.avro");
        CHECK_EQ_INT(rd[0].sequence_number, 9);
        CHECK_EQ_INT(rd[0].min_sequence_number, 9);
        CHECK_EQ_INT(rd[0].added_files_count, 3);
        CHECK_EQ_INT(rd[0].added_rows_count, 300);
        CHECK_EQ_INT(rd[0].npartitions, 2);
        CHECK(rd[0].npartitions == 2 && rd[0].partitions[0].nlower == 4 && rd[0].partitions[0].has_contains_nan &&
              !rd[0].partitions[0].contains_nan && rd[0].partitions[1].contains_null && !rd[0].partitions[1].lower &&
              !rd[0].partitions[1].has_contains_nan);
        CHECK_EQ_INT(rd[1].content, FLOE_ICE_MANIFEST_DELETES);
        CHECK_EQ_INT(rd[1].sequence_number, 3);
        CHECK_EQ_INT(rd[1].min_sequence_number, 2);
        CHECK_EQ_INT(rd[1].added_snapshot_id, 11);
        CHECK_EQ_INT(rd[1].existing_files_count, 4);
        CHECK_EQ_INT(rd[1].deleted_rows_count, 10);
        CHECK_EQ_INT(rd[1].npartitions, 0);
    }
    for (int i = 0; i < n; i++) floe_ice_manifest_file_free(&rd[i]);
    free(rd);
    char *got = run_python(PY_READ_LIST, out.data, out.len);
    CHECK_EQ_STR(got,
                 "snapshot-id=42 parent-snapshot-id=11 sequence-number=9 format-version=2\n"
                 "manifest_file 500 501 502 503 504 505 506 507 508 509 510 511 512 513 514 515 516 517 518 519\n"
                 "file:///w/t/metadata/new-m0.avro 5000 2 0 9 9 42 3 0 0 300 0 0 "
                 "[(False, False, '4e440000', '51440000'), (True, None, None, None)]\n"
                 "file:///w/t/metadata/old-m1.avro 6000 0 1 3 2 11 0 4 1 0 40 10 []\n");
    free(got);
    floe_buf_free(&out);
    for (int i = 0; i < 2; i++) floe_ice_manifest_file_free(&fs[i]);
}

TEST(manifest_list_v1_and_errors) {
    floe_ice_manifest_file fs[2];
    list_files(fs);
    floe_buf out;
    floe_buf_init(&out);
    floe_err err = {0};
    /* v1 lists know no delete manifests. */
    CHECK(floe_ice_manifest_list_write(1, 42, 0, 0, 0, fs, 2, &out, &err) == -1);
    CHECK(strstr(err.msg, "old-m1.avro") && strstr(err.msg, "content 1 in format version 1"));
    fs[1].content = FLOE_ICE_MANIFEST_DATA;
    fs[1].added_files_count = -1; /* unknown: null in v1 */
    CHECK_OK(floe_ice_manifest_list_write(1, 42, 0, 0, 0, fs, 2, &out, &err), &err);
    char *got = run_python(PY_READ_LIST, out.data, out.len);
    CHECK_EQ_STR(got,
                 "snapshot-id=42 parent-snapshot-id=null sequence-number=missing format-version=1\n"
                 "manifest_file 500 501 502 503 504 505 506 507 508 509 510 511 512 513 514 518 519\n"
                 "file:///w/t/metadata/new-m0.avro 5000 2 - - - 42 3 0 0 300 0 0 "
                 "[(False, False, '4e440000', '51440000'), (True, None, None, None)]\n"
                 "file:///w/t/metadata/old-m1.avro 6000 0 - - - 11 None 4 1 0 40 10 []\n");
    free(got);
    floe_ice_manifest_file *rd;
    int n;
    CHECK_OK(floe_ice_manifest_list_read(out.data, out.len, "v1.avro", &rd, &n, &err), &err);
    CHECK(n == 2 && rd[0].sequence_number == 0 && rd[0].min_sequence_number == 0 && rd[1].added_files_count == -1 &&
          rd[1].existing_files_count == 4);
    for (int i = 0; i < n; i++) floe_ice_manifest_file_free(&rd[i]);
    free(rd);
    /* v2 needs every count. */
    out.len = 0;
    CHECK(floe_ice_manifest_list_write(2, 42, 0, 0, 9, fs, 2, &out, &err) == -1);
    CHECK(strstr(err.msg, "needs every file and row count") != NULL);
    fs[1].added_files_count = 0;
    /* An unassigned sequence number belongs to this commit's manifests only. */
    fs[0].added_snapshot_id = 41;
    CHECK(floe_ice_manifest_list_write(2, 42, 0, 0, 9, fs, 2, &out, &err) == -1);
    CHECK(strstr(err.msg, "unassigned sequence number in a manifest of snapshot 41") != NULL);
    CHECK_EQ_INT(out.len, 0);
    floe_buf_free(&out);
    for (int i = 0; i < 2; i++) floe_ice_manifest_file_free(&fs[i]);
}

/* ---- files other writers wrote ------------------------------------------------ */

/* A v2 manifest with Java's schema (plus the deprecated distinct_counts) as
 * python3-avro writes it; NOSEQ drops the EXISTING entry's sequence number. */
static const char PY_WRITE_MANIFEST[] =
    "import sys, json, avro.schema, avro.datafile as d, avro.io as i\n"
    "def opt(name, t, fid, doc=None):\n"
    "    f = {'name': name, 'type': ['null', t], 'default': None, 'field-id': fid}\n"
    "    if doc: f['doc'] = doc\n"
    "    return f\n"
    "def kv(k, v, vt):\n"
    "    return {'type': 'array', 'logicalType': 'map', 'items': {'type': 'record', 'name': 'k%d_v%d' % (k, v),\n"
    "            'fields': [{'name': 'key', 'type': 'int', 'field-id': k}, {'name': 'value', 'type': vt, 'field-id': v}]}}\n"
    "part = {'type': 'record', 'name': 'r102', 'fields': [opt('x', 'int', 1000), opt('s', 'string', 1001)]}\n"
    "data_file = {'type': 'record', 'name': 'r2', 'fields': [\n"
    "    {'name': 'content', 'type': 'int', 'field-id': 134},\n"
    "    {'name': 'file_path', 'type': 'string', 'field-id': 100},\n"
    "    {'name': 'file_format', 'type': 'string', 'field-id': 101},\n"
    "    {'name': 'partition', 'type': part, 'field-id': 102},\n"
    "    {'name': 'record_count', 'type': 'long', 'field-id': 103},\n"
    "    {'name': 'file_size_in_bytes', 'type': 'long', 'field-id': 104},\n"
    "    opt('column_sizes', kv(117, 118, 'long'), 108), opt('value_counts', kv(119, 120, 'long'), 109),\n"
    "    opt('null_value_counts', kv(121, 122, 'long'), 110), opt('nan_value_counts', kv(138, 139, 'long'), 137),\n"
    "    opt('distinct_counts', kv(123, 124, 'long'), 111),\n"
    "    opt('lower_bounds', kv(126, 127, 'bytes'), 125), opt('upper_bounds', kv(129, 130, 'bytes'), 128),\n"
    "    opt('key_metadata', 'bytes', 131), opt('split_offsets', {'type': 'array', 'items': 'long', 'element-id': 133}, 132),\n"
    "    opt('equality_ids', {'type': 'array', 'items': 'int', 'element-id': 136}, 135), opt('sort_order_id', 'int', 140)]}\n"
    "entry = {'type': 'record', 'name': 'manifest_entry', 'fields': [\n"
    "    {'name': 'status', 'type': 'int', 'field-id': 0}, opt('snapshot_id', 'long', 1), opt('sequence_number', 'long', 3),\n"
    "    opt('file_sequence_number', 'long', 4), {'name': 'data_file', 'type': data_file, 'field-id': 2}]}\n"
    "w = d.DataFileWriter(open(sys.argv[1], 'wb'), i.DatumWriter(), avro.schema.parse(json.dumps(entry)), codec='deflate')\n"
    "w.set_meta('schema', b'{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":false,\"type\":\"int\"},{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"}]}')\n"
    "w.set_meta('schema-id', b'0')\n"
    "w.set_meta('partition-spec', b'[{\"name\":\"x\",\"transform\":\"identity\",\"source-id\":1,\"field-id\":1000},{\"name\":\"s\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1001}]')\n"
    "w.set_meta('partition-spec-id', b'4')\n"
    "w.set_meta('format-version', b'2')\n"
    "w.set_meta('content', b'data')\n"
    "def df(path, x, s):\n"
    "    return {'content': 0, 'file_path': path, 'file_format': 'PARQUET', 'partition': {'x': x, 's': s},\n"
    "            'record_count': 10, 'file_size_in_bytes': 1000, 'column_sizes': [{'key': 1, 'value': 5}],\n"
    "            'value_counts': None, 'null_value_counts': [{'key': 1, 'value': 0}, {'key': 2, 'value': 3}],\n"
    "            'nan_value_counts': None, 'distinct_counts': [{'key': 1, 'value': 9}],\n"
    "            'lower_bounds': [{'key': 1, 'value': b'\\x01\\x00\\x00\\x00'}], 'upper_bounds': None,\n"
    "            'key_metadata': None, 'split_offsets': [4], 'equality_ids': None, 'sort_order_id': 0}\n"
    "w.append({'status': 1, 'snapshot_id': None, 'sequence_number': None, 'file_sequence_number': None, 'data_file': df('p0', 7, 'a')})\n"
    "w.append({'status': 0, 'snapshot_id': 5, 'sequence_number': None if NOSEQ else 3, 'file_sequence_number': 3, 'data_file': df('p1', None, 'b')})\n"
    "w.append({'status': 2, 'snapshot_id': 6, 'sequence_number': 2, 'file_sequence_number': None, 'data_file': df('p2', -1, None)})\n"
    "w.append({'status': 1, 'snapshot_id': None, 'sequence_number': 4, 'file_sequence_number': None, 'data_file': df('p3', 8, 'é')})\n"
    "w.close()\n";

/* A v1 manifest list with the old count names, or a v1 manifest (KIND). */
static const char PY_WRITE_V1[] =
    "import sys, json, avro.schema, avro.datafile as d, avro.io as i\n"
    "def opt(name, t, fid):\n"
    "    return {'name': name, 'type': ['null', t], 'default': None, 'field-id': fid}\n"
    "if KIND == 'list':\n"
    "    summary = {'type': 'array', 'element-id': 508, 'items': {'type': 'record', 'name': 'r508', 'fields': [\n"
    "        {'name': 'contains_null', 'type': 'boolean', 'field-id': 509},\n"
    "        opt('lower_bound', 'bytes', 510), opt('upper_bound', 'bytes', 511)]}}\n"
    "    schema = {'type': 'record', 'name': 'manifest_file', 'fields': [\n"
    "        {'name': 'manifest_path', 'type': 'string', 'field-id': 500},\n"
    "        {'name': 'manifest_length', 'type': 'long', 'field-id': 501},\n"
    "        {'name': 'partition_spec_id', 'type': 'int', 'field-id': 502},\n"
    "        opt('added_snapshot_id', 'long', 503), opt('added_data_files_count', 'int', 504),\n"
    "        opt('existing_data_files_count', 'int', 505), opt('deleted_data_files_count', 'int', 506),\n"
    "        opt('partitions', summary, 507), opt('added_rows_count', 'long', 512),\n"
    "        opt('existing_rows_count', 'long', 513), opt('deleted_rows_count', 'long', 514)]}\n"
    "    rows = [{'manifest_path': 'm0', 'manifest_length': 100, 'partition_spec_id': 0, 'added_snapshot_id': 5,\n"
    "             'added_data_files_count': 1, 'existing_data_files_count': 2, 'deleted_data_files_count': 0,\n"
    "             'partitions': [{'contains_null': True, 'lower_bound': b'\\x01\\x00\\x00\\x00', 'upper_bound': None}],\n"
    "             'added_rows_count': 10, 'existing_rows_count': 20, 'deleted_rows_count': 0},\n"
    "            {'manifest_path': 'm1', 'manifest_length': 200, 'partition_spec_id': 1, 'added_snapshot_id': None,\n"
    "             'added_data_files_count': None, 'existing_data_files_count': None, 'deleted_data_files_count': None,\n"
    "             'partitions': None, 'added_rows_count': None, 'existing_rows_count': None, 'deleted_rows_count': None}]\n"
    "    meta = {'snapshot-id': b'5', 'format-version': b'1'}\n"
    "else:\n"
    "    part = {'type': 'record', 'name': 'r102', 'fields': [opt('x', 'int', 1000)]}\n"
    "    data_file = {'type': 'record', 'name': 'r2', 'fields': [\n"
    "        {'name': 'file_path', 'type': 'string', 'field-id': 100},\n"
    "        {'name': 'file_format', 'type': 'string', 'field-id': 101},\n"
    "        {'name': 'partition', 'type': part, 'field-id': 102},\n"
    "        {'name': 'record_count', 'type': 'long', 'field-id': 103},\n"
    "        {'name': 'file_size_in_bytes', 'type': 'long', 'field-id': 104},\n"
    "        {'name': 'block_size_in_bytes', 'type': 'long', 'field-id': 105}]}\n"
    "    schema = {'type': 'record', 'name': 'manifest_entry', 'fields': [\n"
    "        {'name': 'status', 'type': 'int', 'field-id': 0}, {'name': 'snapshot_id', 'type': 'long', 'field-id': 1},\n"
    "        {'name': 'data_file', 'type': data_file, 'field-id': 2}]}\n"
    "    rows = [{'status': s, 'snapshot_id': 5 + s, 'data_file': {'file_path': 'v1-%d' % s, 'file_format': 'PARQUET',\n"
    "             'partition': {'x': s}, 'record_count': s, 'file_size_in_bytes': 9, 'block_size_in_bytes': 67108864}}\n"
    "            for s in (1, 0, 2)]\n"
    "    meta = {'schema': b'[]', 'partition-spec': b'[]'}\n"
    "w = d.DataFileWriter(open(sys.argv[1], 'wb'), i.DatumWriter(), avro.schema.parse(json.dumps(schema)))\n"
    "for k, v in meta.items(): w.set_meta(k, v)\n"
    "for r in rows: w.append(r)\n"
    "w.close()\n";

static int python_file(const char *prefix, const char *body, floe_buf *file) {
    floe_buf s;
    floe_buf_init(&s);
    floe_buf_puts(&s, prefix);
    floe_buf_puts(&s, body);
    int rc = python_writes(floe_buf_cstr(&s), file);
    floe_buf_free(&s);
    return rc;
}

TEST(reads_java_schema_manifest_with_inheritance) {
    floe_buf file;
    floe_buf_init(&file);
    CHECK(python_file("NOSEQ = False\n", PY_WRITE_MANIFEST, &file) == 0);
    floe_ice_manifest_file mf = {0};
    mf.partition_spec_id = 4;
    mf.sequence_number = 9;
    mf.min_sequence_number = 2;
    mf.added_snapshot_id = 77;
    floe_err err = {0};
    floe_ice_manifest_entry *es;
    int n;
    CHECK_OK(floe_ice_manifest_read(file.data, file.len, "py.avro", &mf, &es, &n, &err), &err);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        /* ADDED with nulls: everything inherited. */
        CHECK(es[0].status == 1 && es[0].snapshot_id == 77 && es[0].sequence_number == 9 &&
              es[0].file_sequence_number == 9);
        /* EXISTING: explicit values kept. */
        CHECK(es[1].status == 0 && es[1].snapshot_id == 5 && es[1].sequence_number == 3 &&
              es[1].file_sequence_number == 3);
        /* DELETED without a file sequence number: left unknown, as Java does. */
        CHECK(es[2].status == 2 && es[2].snapshot_id == 6 && es[2].sequence_number == 2 &&
              !es[2].has_file_sequence_number);
        /* ADDED with an explicit data sequence number keeps it. */
        CHECK(es[3].sequence_number == 4 && es[3].file_sequence_number == 9 && es[3].snapshot_id == 77);
        CHECK_EQ_STR(es[0].file.file_path, "p0");
        CHECK(es[0].file.npartition == 2 && es[0].file.partition[0].i == 7 && es[0].file.partition[1].n == 1 &&
              es[0].file.partition[1].p[0] == 'a');
        CHECK(es[1].file.partition[0].is_null && es[2].file.partition[1].is_null && es[2].file.partition[0].i == -1);
        CHECK(es[3].file.partition[1].n == 2 && memcmp(es[3].file.partition[1].p, "\xc3\xa9", 2) == 0);
        CHECK(es[0].file.nnull_value_counts == 2 && es[0].file.null_value_counts[1].field_id == 2 &&
              es[0].file.null_value_counts[1].value == 3);
        CHECK(es[0].file.nvalue_counts == 0 && es[0].file.nupper_bounds == 0);
        CHECK(es[0].file.nlower_bounds == 1 && es[0].file.lower_bounds[0].n == 4);
        CHECK(es[0].file.has_sort_order_id && es[0].file.sort_order_id == 0 && es[0].file.spec_id == 4);
    }
    free_entries(es, n);
    /* A manifest list that says sequence number 0 (a v1 list) gives 0 to every entry. */
    mf.sequence_number = 0;
    floe_buf_free(&file);
    floe_buf_init(&file);
    CHECK(python_file("NOSEQ = True\n", PY_WRITE_MANIFEST, &file) == 0);
    CHECK_OK(floe_ice_manifest_read(file.data, file.len, "py.avro", &mf, &es, &n, &err), &err);
    CHECK(n == 4 && es[1].sequence_number == 0 && es[0].sequence_number == 0);
    free_entries(es, n);
    /* An EXISTING entry must say its data sequence number. */
    mf.sequence_number = 9;
    CHECK(floe_ice_manifest_read(file.data, file.len, "py.avro", &mf, &es, &n, &err) == -1);
    CHECK(strstr(err.msg, "py.avro: manifest entry 1: EXISTING entry for p1 has no data sequence number") != NULL);
    floe_buf_free(&file);
}

TEST(reads_v1_manifest_and_old_list) {
    floe_buf file;
    floe_buf_init(&file);
    CHECK(python_file("KIND = 'manifest'\n", PY_WRITE_V1, &file) == 0);
    floe_ice_manifest_file mf = {0};
    mf.added_snapshot_id = 3;
    floe_err err = {0};
    floe_ice_manifest_entry *es;
    int n;
    CHECK_OK(floe_ice_manifest_read(file.data, file.len, "v1.avro", &mf, &es, &n, &err), &err);
    CHECK_EQ_INT(n, 3);
    for (int i = 0; i < n; i++) {
        CHECK(es[i].has_sequence_number && es[i].sequence_number == 0);
        CHECK(es[i].has_file_sequence_number && es[i].file_sequence_number == 0);
        CHECK_EQ_INT(es[i].file.content, FLOE_ICE_CONTENT_DATA);
        CHECK_EQ_INT(es[i].snapshot_id, 5 + es[i].status);
    }
    free_entries(es, n);
    floe_buf_free(&file);
    floe_buf_init(&file);
    CHECK(python_file("KIND = 'list'\n", PY_WRITE_V1, &file) == 0);
    floe_ice_manifest_file *rd;
    CHECK_OK(floe_ice_manifest_list_read(file.data, file.len, "list.avro", &rd, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(rd[0].added_files_count == 1 && rd[0].existing_files_count == 2 && rd[0].deleted_files_count == 0);
        CHECK(rd[0].added_rows_count == 10 && rd[0].added_snapshot_id == 5 && rd[0].sequence_number == 0);
        CHECK(rd[0].npartitions == 1 && rd[0].partitions[0].contains_null && !rd[0].partitions[0].has_contains_nan &&
              rd[0].partitions[0].nlower == 4 && !rd[0].partitions[0].upper);
        CHECK(rd[1].added_files_count == -1 && rd[1].deleted_rows_count == -1 && rd[1].added_snapshot_id == -1);
        CHECK(rd[1].partition_spec_id == 1 && rd[1].npartitions == 0);
    }
    for (int i = 0; i < n; i++) floe_ice_manifest_file_free(&rd[i]);
    free(rd);
    floe_buf_free(&file);
}

/* Every truncation and many byte flips end in a clean error or a clean read. */
TEST(damaged_files_fail_cleanly) {
    fixture x;
    fixture_init(&x, 2);
    floe_buf list;
    floe_buf_init(&list);
    x.mf.manifest_path = floe_xstrdup("m.avro");
    floe_err err = {0};
    CHECK_OK(floe_ice_manifest_list_write(2, 42, 0, 0, 1, &x.mf, 1, &list, &err), &err);
    int failures = 0;
    for (size_t cut = 0; cut < x.file.len; cut++) {
        floe_ice_manifest_entry *es;
        int n;
        err.msg[0] = 0;
        if (floe_ice_manifest_read(x.file.data, cut, "cut", &x.mf, &es, &n, &err)) {
            failures++;
            CHECK(err.msg[0] != 0);
        } else {
            free_entries(es, n);
        }
    }
    CHECK(failures > 0);
    for (size_t i = 0; i < list.len; i++) {
        floe_buf copy;
        floe_buf_init(&copy);
        floe_buf_append(&copy, list.data, list.len);
        copy.data[i] ^= 0x21;
        floe_ice_manifest_file *rd;
        int n;
        if (floe_ice_manifest_list_read(copy.data, copy.len, "flip", &rd, &n, &err) == 0) {
            for (int k = 0; k < n; k++) floe_ice_manifest_file_free(&rd[k]);
            free(rd);
        }
        floe_buf_free(&copy);
    }
    /* A manifest list is not a manifest. */
    floe_ice_manifest_entry *es;
    int n;
    CHECK(floe_ice_manifest_read(list.data, list.len, "list-as-manifest.avro", NULL, &es, &n, &err) == -1);
    CHECK(strstr(err.msg, "list-as-manifest.avro: manifest entry 0: required field status is missing") != NULL);
    floe_buf_free(&list);
    fixture_free(&x);
}

TEST_MAIN(T(serializes_appendix_d_forms), T(reads_and_validates_single_values), T(compares_in_iceberg_order),
          T(human_strings_as_java_prints_them), T(manifest_round_trip_v2), T(manifest_write_rejects_bad_entries),
          T(partition_schema_spelled_as_java), T(python_reads_floe_manifests), T(manifest_list_round_trip_v2),
          T(manifest_list_v1_and_errors), T(reads_java_schema_manifest_with_inheritance),
          T(reads_v1_manifest_and_old_list), T(damaged_files_fail_cleanly))
