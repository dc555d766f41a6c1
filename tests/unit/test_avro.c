/*
 * test_avro.c — Avro encoding, container writer and reader, judged against
 * Debian's python3-avro both ways: a file it wrote is read here, and files
 * written here are read by it; and the cache of parsed writer schemas
 * (shared only between byte-identical texts, safe across threads and
 * evictions).
 */
#include "format/avro/avro.h"
#include "test.h"

#include "avro_python_vector.h"

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

TEST(reads_python_written_file) {
    floe_err err = {0};
    floe_avro_reader *r = floe_avro_reader_open((const uint8_t *)PY_AVRO_FILE, PY_AVRO_LEN, "py.avro", &err);
    CHECK(r != NULL);
    if (!r) { fprintf(stderr, "  %s\n", err.msg); return; }
    CHECK_EQ_STR(floe_avro_reader_meta(r, "format-version"), "2");
    const floe_avro_schema *s = floe_avro_reader_schema(r);
    CHECK_EQ_INT(s->kind, FLOE_AVRO_RECORD);
    CHECK_EQ_INT(s->nchildren, 7);
    CHECK_EQ_INT(s->field_ids[0], 1);
    CHECK_EQ_INT(s->field_ids[3], -1);
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_avro_value v;
    CHECK_EQ_INT(floe_avro_reader_next(r, &a, &v, &err), 1);
    CHECK_EQ_INT(floe_avro_get(&v, "id")->u.l, -5);
    const floe_avro_value *name = floe_avro_get(&v, "name");
    CHECK(name && name->kind == FLOE_AVRO_STRING && name->branch == 1);
    CHECK(name && name->u.bytes.n == 6 && memcmp(name->u.bytes.p, "h\xc3\xa9llo", 6) == 0);
    const floe_avro_value *vals = floe_avro_get(&v, "vals");
    CHECK(vals && vals->u.arr.n == 3 && vals->u.arr.items[2].u.l == 3);
    const floe_avro_value *m = floe_avro_get(&v, "m");
    CHECK(m && m->u.map.n == 1 && m->u.map.values[0].u.d == 1.5 && m->u.map.keys[0].u.bytes.n == 1);
    CHECK(memcmp(floe_avro_get(&v, "f")->u.bytes.p, "\x01\x02\x03\x04", 4) == 0);
    CHECK_EQ_INT(floe_avro_get(&v, "ok")->u.b, 1);
    CHECK(floe_avro_get(&v, "fl")->u.d == 2.5);
    CHECK_EQ_INT(floe_avro_reader_next(r, &a, &v, &err), 1);
    CHECK_EQ_INT(floe_avro_get(&v, "id")->u.l, (int64_t)1 << 40);
    CHECK(floe_avro_get(&v, "name") == NULL);
    CHECK_EQ_INT(floe_avro_get(&v, "vals")->u.arr.n, 0);
    CHECK(floe_avro_get(&v, "fl")->u.d == -0.5);
    CHECK_EQ_INT(floe_avro_reader_next(r, &a, &v, &err), 0);
    floe_arena_free(&a);
    floe_avro_reader_free(r);
}

static const char *SCHEMA =
    "{\"type\":\"record\",\"name\":\"t\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"field-id\":2},"
    "{\"name\":\"d\",\"type\":\"double\",\"field-id\":3},"
    "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"field-id\":4}]}";

static void write_file(int codec, int n, floe_buf *out) {
    floe_avro_writer w;
    const char *meta[] = {"content", "data"};
    floe_avro_writer_init(&w, SCHEMA, meta, 1, codec);
    floe_err err = {0};
    for (int i = 0; i < n; i++) {
        floe_avro_put_long(&w.record, (int64_t)i * 1000003 - 5000000);
        if (i % 3 == 0) floe_avro_put_long(&w.record, 0);
        else {
            floe_avro_put_long(&w.record, 1);
            char s[32];
            snprintf(s, sizeof s, "row-%d", i);
            floe_avro_put_string(&w.record, s);
        }
        floe_avro_put_double(&w.record, i * 0.5);
        floe_avro_put_long(&w.record, i % 4);
        for (int k = 0; k < i % 4; k++) floe_avro_put_long(&w.record, k);
        if (i % 4) floe_avro_put_long(&w.record, 0);
        CHECK_OK(floe_avro_writer_end_record(&w, &err), &err);
    }
    CHECK_OK(floe_avro_writer_finish(&w, &err), &err);
    *out = w.out;
    floe_buf_init(&w.out);
    floe_avro_writer_free(&w);
}

static void roundtrip(int codec) {
    floe_buf f;
    write_file(codec, 20000, &f);
    floe_err err = {0};
    floe_avro_reader *r = floe_avro_reader_open(f.data, f.len, "mem", &err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_STR(floe_avro_reader_meta(r, "content"), "data");
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_avro_value v;
    int i = 0, rc;
    while ((rc = floe_avro_reader_next(r, &a, &v, &err)) == 1) {
        if (floe_avro_get(&v, "id")->u.l != (int64_t)i * 1000003 - 5000000) break;
        const floe_avro_value *s = floe_avro_get(&v, "s");
        if ((i % 3 == 0) != (s == NULL)) break;
        if (floe_avro_get(&v, "xs")->u.arr.n != (size_t)(i % 4)) break;
        i++;
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(i, 20000);
    floe_arena_free(&a);
    floe_avro_reader_free(r);
    floe_buf_free(&f);
}

TEST(roundtrip_null_codec) { roundtrip(FLOE_AVRO_CODEC_NULL); }
TEST(roundtrip_deflate_codec) { roundtrip(FLOE_AVRO_CODEC_DEFLATE); }

/* python3-avro reads what floe wrote: count, sum of ids, nulls and metadata. */
TEST(python_reads_floe_file) {
    for (int codec = 0; codec < 2; codec++) {
        floe_buf f;
        write_file(codec, 5000, &f);
        char path[] = "/tmp/floe-avro-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        if (fd < 0) return;
        CHECK(write(fd, f.data, f.len) == (ssize_t)f.len);
        close(fd);
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import avro.datafile as d, avro.io as i, sys\n"
                 "r=d.DataFileReader(open('%s','rb'), i.DatumReader())\n"
                 "rows=list(r)\n"
                 "print(len(rows), sum(x['id'] for x in rows), sum(1 for x in rows if x['s'] is None), "
                 "sum(len(x['xs']) for x in rows), r.get_meta('content').decode())\"",
                 path);
        FILE *p = popen(cmd, "r");
        char line[256] = "";
        CHECK(p && fgets(line, sizeof line, p));
        if (p) pclose(p);
        long long sum = 0;
        int nulls = 0, items = 0;
        for (int i = 0; i < 5000; i++) {
            sum += (long long)i * 1000003 - 5000000;
            nulls += i % 3 == 0;
            items += i % 4;
        }
        char want[256];
        snprintf(want, sizeof want, "5000 %lld %d %d data\n", sum, nulls, items);
        CHECK_EQ_STR(line, want);
        unlink(path);
        floe_buf_free(&f);
    }
}

TEST(corrupt_inputs_fail_cleanly) {
    floe_err err = {0};
    int failures = 0;
    /* Every truncation and every single-byte flip must end in a clean error or
     * a clean read, never a crash (the sanitizer build checks the memory). */
    for (size_t cut = 0; cut < PY_AVRO_LEN; cut++) {
        floe_avro_reader *r = floe_avro_reader_open((const uint8_t *)PY_AVRO_FILE, cut, "cut", &err);
        if (!r) { failures++; continue; }
        floe_arena a;
        floe_arena_init(&a, 0);
        floe_avro_value v;
        int rc;
        while ((rc = floe_avro_reader_next(r, &a, &v, &err)) == 1) {}
        failures += rc < 0;
        floe_arena_free(&a);
        floe_avro_reader_free(r);
    }
    /* The only complete prefix is the header alone: a valid file of no records. */
    CHECK_EQ_INT(failures, (int)PY_AVRO_LEN - 1);
    uint8_t copy[PY_AVRO_LEN];
    for (size_t i = 0; i < PY_AVRO_LEN; i++) {
        memcpy(copy, PY_AVRO_FILE, PY_AVRO_LEN);
        copy[i] ^= 0x5a;
        floe_avro_reader *r = floe_avro_reader_open(copy, PY_AVRO_LEN, "flip", &err);
        if (!r) continue;
        floe_arena a;
        floe_arena_init(&a, 0);
        floe_avro_value v;
        while (floe_avro_reader_next(r, &a, &v, &err) == 1) {}
        floe_arena_free(&a);
        floe_avro_reader_free(r);
    }
    floe_avro_reader *r = floe_avro_reader_open((const uint8_t *)"Obj\x02", 4, "bad", &err);
    CHECK(r == NULL && strstr(err.msg, "bad magic"));
}

/* ---- the shared schema cache ------------------------------------------------------ */

/* The schema text of a record (id long, <second> long) with field ids 1 and
 * `fid`; `pad` spaces before the closing brace (same schema, other bytes). */
static void pair_schema(char *out, size_t cap, const char *second, int fid, int pad) {
    snprintf(out, cap,
             "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
             "{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
             "{\"name\":\"%s\",\"type\":\"long\",\"field-id\":%d}]%*s}",
             second, fid, pad, "");
}

/* A file of n records (i, i * 10 + fid) with that schema. */
static void pair_file(const char *second, int fid, int pad, int n, floe_buf *out) {
    char schema[512];
    pair_schema(schema, sizeof schema, second, fid, pad);
    floe_avro_writer w;
    floe_avro_writer_init(&w, schema, NULL, 0, FLOE_AVRO_CODEC_NULL);
    floe_err err = {0};
    for (int i = 0; i < n; i++) {
        floe_avro_put_long(&w.record, i);
        floe_avro_put_long(&w.record, (int64_t)i * 10 + fid);
        CHECK_OK(floe_avro_writer_end_record(&w, &err), &err);
    }
    CHECK_OK(floe_avro_writer_finish(&w, &err), &err);
    *out = w.out;
    floe_buf_init(&w.out);
    floe_avro_writer_free(&w);
}

/* 1 when r's schema names its second field `second` with field id fid
 * and its records read back as pair_file wrote n of them. */
static int pair_reads(floe_avro_reader *r, const char *second, int fid, int n) {
    const floe_avro_schema *s = floe_avro_reader_schema(r);
    if (s->kind != FLOE_AVRO_RECORD || s->nchildren != 2 || strcmp(s->field_names[1], second) != 0 ||
        s->field_ids[1] != fid)
        return 0;
    floe_err err = {0};
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_avro_value v;
    int i = 0, rc, ok = 1;
    while ((rc = floe_avro_reader_next(r, &a, &v, &err)) == 1) {
        const floe_avro_value *x = floe_avro_get(&v, second);
        if (floe_avro_get(&v, "id")->u.l != i || !x || x->u.l != (int64_t)i * 10 + fid) ok = 0;
        i++;
    }
    floe_arena_free(&a);
    return ok && rc == 0 && i == n;
}

static floe_avro_reader *open_buf(const floe_buf *f) {
    floe_err err = {0};
    floe_avro_reader *r = floe_avro_reader_open(f->data, f->len, "pair", &err);
    if (!r) fprintf(stderr, "  %s\n", err.msg);
    return r;
}

/* Byte-identical schema texts share one parsed schema; any other text,
 * however close (another field name, another field id, a space more), gets
 * its own. */
TEST(schema_cache_exact_bytes) {
    floe_buf f[5];
    pair_file("x", 2, 0, 3, &f[0]);
    pair_file("x", 2, 0, 5, &f[1]); /* same text, other records */
    pair_file("y", 2, 0, 4, &f[2]);
    pair_file("x", 3, 0, 6, &f[3]);
    pair_file("x", 2, 1, 2, &f[4]);
    floe_avro_reader *r[5];
    for (int i = 0; i < 5; i++) r[i] = open_buf(&f[i]);
    CHECK(r[0] && r[1] && r[2] && r[3] && r[4]);
    if (r[0] && r[1] && r[2] && r[3] && r[4]) {
        CHECK(floe_avro_reader_schema(r[0]) == floe_avro_reader_schema(r[1]));
        for (int i = 2; i < 5; i++) CHECK(floe_avro_reader_schema(r[i]) != floe_avro_reader_schema(r[0]));
        CHECK(floe_avro_reader_schema(r[4]) != floe_avro_reader_schema(r[2]));
        CHECK(pair_reads(r[0], "x", 2, 3));
        CHECK(pair_reads(r[1], "x", 2, 5));
        CHECK(pair_reads(r[2], "y", 2, 4));
        CHECK(pair_reads(r[3], "x", 3, 6));
        CHECK(pair_reads(r[4], "x", 2, 2));
    }
    for (int i = 0; i < 5; i++) {
        floe_avro_reader_free(r[i]);
        floe_buf_free(&f[i]);
    }
    /* Cached after its readers are gone: a new reader of the text gets it. */
    floe_buf g;
    pair_file("x", 3, 0, 1, &g);
    floe_avro_reader *a = open_buf(&g), *b = open_buf(&g);
    CHECK(a && b && floe_avro_reader_schema(a) == floe_avro_reader_schema(b));
    if (a) CHECK(pair_reads(a, "x", 3, 1));
    floe_avro_reader_free(a);
    floe_avro_reader_free(b);
    floe_buf_free(&g);
}

/* A reader keeps its schema while other texts push it out of the cache
 * (the sanitizer build would see a use after free). */
TEST(schema_cache_eviction_keeps_open_readers) {
    floe_buf keep;
    pair_file("keep", 7, 0, 50, &keep);
    floe_avro_reader *r = open_buf(&keep);
    CHECK(r != NULL);
    for (int k = 0; k < 40; k++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", k);
        floe_buf f;
        pair_file(name, 2, 0, 2, &f);
        floe_avro_reader *o = open_buf(&f);
        CHECK(o && pair_reads(o, name, 2, 2));
        floe_avro_reader_free(o);
        floe_buf_free(&f);
    }
    if (r) CHECK(pair_reads(r, "keep", 7, 50));
    floe_avro_reader *again = open_buf(&keep);
    CHECK(again && pair_reads(again, "keep", 7, 50));
    floe_avro_reader_free(again);
    floe_avro_reader_free(r);
    floe_buf_free(&keep);
}

/* Readers on several threads, over more schema texts than the cache
 * holds, each read as written. */
#define CACHE_THREADS 4
#define CACHE_TEXTS 12
static floe_buf cache_files[CACHE_TEXTS];

static void *cache_worker(void *arg) {
    int t = (int)(intptr_t)arg, bad = 0;
    for (int k = 0; k < 300; k++) {
        int i = (k * 7 + t * 5) % CACHE_TEXTS;
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        floe_avro_reader *r = open_buf(&cache_files[i]);
        if (!r || !pair_reads(r, name, 100 + i, 3 + i)) bad++;
        floe_avro_reader_free(r);
    }
    return (void *)(intptr_t)bad;
}

TEST(schema_cache_threads) {
    for (int i = 0; i < CACHE_TEXTS; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        pair_file(name, 100 + i, 0, 3 + i, &cache_files[i]);
    }
    pthread_t th[CACHE_THREADS];
    for (int t = 0; t < CACHE_THREADS; t++) CHECK(pthread_create(&th[t], NULL, cache_worker, (void *)(intptr_t)t) == 0);
    int bad = 0;
    for (int t = 0; t < CACHE_THREADS; t++) {
        void *v = NULL;
        pthread_join(th[t], &v);
        bad += (int)(intptr_t)v;
    }
    CHECK_EQ_INT(bad, 0);
    for (int i = 0; i < CACHE_TEXTS; i++) floe_buf_free(&cache_files[i]);
}

TEST_MAIN(T(reads_python_written_file), T(roundtrip_null_codec), T(roundtrip_deflate_codec),
          T(python_reads_floe_file), T(corrupt_inputs_fail_cleanly), T(schema_cache_exact_bytes),
          T(schema_cache_eviction_keeps_open_readers), T(schema_cache_threads))
