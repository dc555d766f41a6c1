/*
 * test_avro.c — Avro encoding, container writer and reader, judged against
 * Debian's python3-avro both ways: a file it wrote is read here, and files
 * written here are read by it.
 */
#include "format/avro/avro.h"
#include "test.h"

#include "avro_python_vector.h"

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

TEST_MAIN(T(reads_python_written_file), T(roundtrip_null_codec), T(roundtrip_deflate_codec),
          T(python_reads_floe_file), T(corrupt_inputs_fail_cleanly))
