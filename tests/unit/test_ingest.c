/*
 * test_ingest.c — the partitioned data-file writer, schema inference and
 * floe_ingest.
 *
 * Writer: records routed by day(ts), bucket(4, id) and identity(country)
 * land in files under Java's partition paths with the right partition
 * tuples (bucket values from the spec's murmur3 vector: 34 -> 2017239379,
 * bucket 3 of 4), nulls, a nested source, escaped keys and values; files
 * roll at the target size and close least-recently-used; the Parquet files
 * read back with their rows and the iceberg.schema footer key; bad records
 * name line and field and leave the writer usable; abort deletes.
 * Inference: the types and widening rules of ingest.h.  Ingest: a table
 * created from inferred data, committed in batches by size and by time (a
 * quiet pipe), appended to again, and a bad record in the second batch
 * leaving the first committed and nothing of the second.  Façade: the
 * catalog settings from the environment, namespaces with properties, and
 * tables created, described, listed, renamed and dropped.
 */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floe/table.h"
#include "table/datafile_writer.h"
#include "table/ingest.h"
#include "test.h"

static void mktemp_dir(char *dir, size_t n) {
    snprintf(dir, n, "/tmp/floe-ingest-XXXXXX");
    if (!mkdtemp(dir)) abort();
}


static int parquet_count;
static int count_parquet(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb;
    (void)f;
    size_t n = strlen(p);
    if (flag == FTW_F && n > 8 && strcmp(p + n - 8, ".parquet") == 0) parquet_count++;
    return 0;
}

/* .parquet files below dir */
static int parquet_files(const char *dir) {
    parquet_count = 0;
    nftw(dir, count_parquet, 16, FTW_PHYS);
    return parquet_count;
}

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":3,\"name\":\"country\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"meta\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":5,\"name\":\"region\",\"required\":false,\"type\":\"string\"}]}}]}";

/* Table metadata at file://<dir>/tbl partitioned by `terms`. */
static floe_ice_metadata *make_meta(const char *dir, const char *terms, const floe_props *props) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    if (terms) CHECK_OK(floe_ice_spec_parse_terms(terms, s, 0, 999, &spec, &err), &err);
    char loc[256];
    snprintf(loc, sizeof loc, "file://%s/tbl", dir);
    floe_ice_metadata *m = floe_ice_metadata_new_table(loc, s, terms ? &spec : NULL, NULL, props, &err);
    if (!m) fprintf(stderr, "  %s\n", err.msg);
    CHECK(m != NULL);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(s);
    return m;
}

static int write_lines(floe_datafile_writer *w, const char *const *lines, int n, floe_err *err) {
    for (int i = 0; i < n; i++)
        if (floe_datafile_writer_write(w, lines[i], strlen(lines[i]), i + 1, err)) return -1;
    return 0;
}

static int64_t rows_in(const char *uri) {
    floe_err err = {0};
    floe_pq_reader *r = floe_pq_reader_open_file(floe_uri_local_path(uri), &err);
    CHECK(r != NULL);
    if (!r) return -1;
    int64_t n = floe_pq_reader_num_rows(r);
    const char *sj = floe_pq_reader_kv_get(r, "iceberg.schema");
    CHECK(sj && strstr(sj, "\"timestamptz\"") != NULL);
    floe_pq_reader_free(r);
    return n;
}

static const floe_ice_data_file *find_file(const floe_ice_data_file *f, int n, const char *path_part) {
    for (int i = 0; i < n; i++)
        if (strstr(f[i].file_path, path_part)) return &f[i];
    return NULL;
}

static void free_files(floe_ice_data_file *f, int n) {
    for (int i = 0; i < n; i++) floe_ice_data_file_free(&f[i]);
    free(f);
}

/* A writer over fresh table metadata in a temp dir. */
typedef struct wfix {
    char dir[64];
    floe_ice_metadata *m;
    floe_datafile_writer *w;
} wfix;

static int wfix_open(wfix *f, const char *terms, const floe_props *props, const floe_datafile_opts *o) {
    floe_err err = {0};
    mktemp_dir(f->dir, sizeof f->dir);
    f->m = make_meta(f->dir, terms, props);
    f->w = f->m ? floe_datafile_writer_new(floe_fileio_local(), f->m, o, &err) : NULL;
    if (f->m && !f->w) fprintf(stderr, "  %s\n", err.msg);
    CHECK(f->w != NULL);
    return f->w ? 0 : -1;
}

static void wfix_close(wfix *f) {
    floe_datafile_writer_free(f->w);
    floe_ice_metadata_free(f->m);
    test_rmtree(f->dir);
}

/* ---- the writer ------------------------------------------------------------------ */

TEST(test_partitioned_writer) {
    wfix fx;
    if (wfix_open(&fx, "day(ts), bucket(4, id), country", NULL, NULL)) return;
    floe_datafile_writer *w = fx.w;
    const char *dir = fx.dir;
    floe_err err = {0};
    static const char *const lines[] = {
        "{\"id\":34,\"ts\":\"2017-11-16T22:31:08Z\",\"country\":\"US\"}",
        "{\"country\":\"US\",\"ts\":\"2017-11-16T01:00:00+00:00\",\"id\":34,\"extra\":[1,{\"x\":\"}\"}]}",
        "  {\"id\":34,\"ts\":\"2017-11-17T00:00:00Z\",\"country\":\"US\"}  ",
        "{\"id\":34,\"ts\":\"2017-11-16T23:00:00-02:00\",\"country\":\"D\\u00e9 x/y\"}",
        "{\"id\":null,\"ts\":null}",
        "",
        "{\"ts\":1510871468000000,\"id\":34,\"country\":\"US\"}",
    };
    CHECK_OK(write_lines(w, lines, 7, &err), &err);
    CHECK_EQ_INT(floe_datafile_writer_rows(w), 6);
    CHECK_EQ_INT(floe_datafile_writer_open_files(w), 4);
    CHECK(floe_datafile_writer_memory(w) > 0);
    CHECK_EQ_INT(floe_datafile_writer_unknown_fields(w), 1);
    floe_ice_data_file *files;
    int n;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &n, &err), &err);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(floe_datafile_writer_rows(w), 0);
    CHECK_EQ_INT(floe_datafile_writer_open_files(w), 0);

    char want[256];
    snprintf(want, sizeof want, "file://%s/tbl/data/ts_day=2017-11-16/id_bucket=3/country=US/00000-0-", dir);
    const floe_ice_data_file *f = find_file(files, n, "ts_day=2017-11-16/id_bucket=3/country=US/");
    CHECK(f != NULL);
    if (f) {
        CHECK(strncmp(f->file_path, want, strlen(want)) == 0);
        CHECK(strlen(f->file_path) == strlen(want) + 36 + strlen("-00001.parquet"));
        CHECK_EQ_STR(f->file_path + strlen(f->file_path) - strlen("-00001.parquet"), "-00001.parquet");
        CHECK_EQ_STR(f->file_format, "PARQUET");
        CHECK_EQ_INT(f->content, FLOE_ICE_CONTENT_DATA);
        CHECK_EQ_INT(f->record_count, 3); /* lines 1, 2 and 7 */
        CHECK_EQ_INT(f->npartition, 3);
        CHECK_EQ_INT(f->partition[0].i, 17486); /* 2017-11-16 */
        CHECK_EQ_INT(f->partition[1].i, 3);
        CHECK(f->partition[2].n == 2 && memcmp(f->partition[2].p, "US", 2) == 0);
        CHECK_EQ_INT(f->nsplit_offsets, 1);
        CHECK(f->nsplit_offsets == 1 && f->split_offsets[0] == 4);
        CHECK(f->nvalue_counts >= 3);
        CHECK(f->file_size_in_bytes > 0);
        CHECK_EQ_INT(rows_in(f->file_path), 3);
    }
    f = find_file(files, n, "ts_day=2017-11-17/id_bucket=3/country=US/00001-");
    CHECK(f && f->record_count == 1 && f->partition[0].i == 17487);
    /* 23:00 at -02:00 is the next day in UTC; the value is URL-escaped */
    f = find_file(files, n, "ts_day=2017-11-17/id_bucket=3/country=D%C3%A9+x%2Fy/00002-");
    CHECK(f != NULL);
    if (f) CHECK(f->partition[2].n == 7 && memcmp(f->partition[2].p, "D\xc3\xa9 x/y", 7) == 0);
    f = find_file(files, n, "ts_day=null/id_bucket=null/country=null/00003-");
    CHECK(f != NULL);
    if (f) {
        CHECK(f->partition[0].is_null && f->partition[1].is_null && f->partition[2].is_null);
        CHECK_EQ_INT(rows_in(f->file_path), 1);
    }
    free_files(files, n);
    wfix_close(&fx);
}

TEST(test_nested_source_and_escaped_key) {
    wfix fx;
    if (wfix_open(&fx, "truncate(2, meta.region)", NULL, NULL)) return;
    floe_datafile_writer *w = fx.w;
    floe_err err = {0};
    static const char *const lines[] = {
        "{\"meta\":{\"x\":[1,{\"region\":\"no\"}],\"re\\u0067ion\":\"eu-west\"},\"id\":1}",
        "{\"meta\":null,\"id\":2}",
        "{\"meta\":{\"region\":\"eu-central\"},\"region\":\"us\"}",
        "{\"id\":3}",
    };
    CHECK_OK(write_lines(w, lines, 4, &err), &err);
    floe_ice_data_file *files;
    int n;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    const floe_ice_data_file *f = find_file(files, n, "/data/meta.region_trunc=eu/00000-");
    CHECK(f && f->record_count == 2);
    f = find_file(files, n, "/data/meta.region_trunc=null/00001-");
    CHECK(f && f->record_count == 2 && f->partition[0].is_null);
    free_files(files, n);
    wfix_close(&fx);
}

TEST(test_roll_lru_abort) {
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "write.target-file-size-bytes", "1");
    floe_props_set(&p, "write.parquet.compression-codec", "snappy");
    wfix fx;
    if (wfix_open(&fx, "country", &p, NULL)) return;
    floe_props_free(&p);
    floe_err err = {0};
    /* every record fills a file */
    static const char *const same[] = {"{\"country\":\"A\"}", "{\"country\":\"A\"}", "{\"country\":\"A\"}"};
    CHECK_OK(write_lines(fx.w, same, 3, &err), &err);
    floe_ice_data_file *files;
    int n;
    CHECK_OK(floe_datafile_writer_finish(fx.w, &files, &n, &err), &err);
    CHECK_EQ_INT(n, 3);
    for (int i = 0; i < n; i++) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, "-%05d.parquet", i + 1);
        CHECK(strstr(files[i].file_path, "/country=A/00000-0-") != NULL);
        CHECK_EQ_STR(files[i].file_path + strlen(files[i].file_path) - strlen(suffix), suffix);
        CHECK_EQ_INT(files[i].record_count, 1);
    }
    free_files(files, n);
    wfix_close(&fx);

    /* one open file at most: alternating partitions close each other */
    floe_datafile_opts o = {.max_open_files = 1, .task_id = 7};
    if (wfix_open(&fx, "country", NULL, &o)) return;
    static const char *const alt[] = {"{\"country\":\"A\"}", "{\"country\":\"B\"}", "{\"country\":\"A\"}"};
    CHECK_OK(write_lines(fx.w, alt, 3, &err), &err);
    CHECK_EQ_INT(floe_datafile_writer_open_files(fx.w), 1);
    CHECK_OK(floe_datafile_writer_finish(fx.w, &files, &n, &err), &err);
    CHECK_EQ_INT(n, 3);
    CHECK(find_file(files, n, "/country=A/00000-7-") && find_file(files, n, "/country=B/00001-7-"));
    free_files(files, n);

    /* abort deletes closed and open files of the batch */
    int before = parquet_files(fx.dir);
    CHECK_OK(write_lines(fx.w, alt, 3, &err), &err);
    CHECK_EQ_INT(parquet_files(fx.dir), before + 2); /* two closed, one still open */
    floe_datafile_writer_abort(fx.w);
    CHECK_EQ_INT(parquet_files(fx.dir), before);
    wfix_close(&fx);
}

TEST(test_bad_records) {
    wfix fx;
    if (wfix_open(&fx, "bucket(4, id)", NULL, NULL)) return;
    floe_datafile_writer *w = fx.w;
    floe_err err = {0};
    CHECK_EQ_INT(floe_datafile_writer_write(w, "{\"id\":\"x\"}", 10, 5, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "line 5: field 'id': expected long, got string \"x\"");
    CHECK_EQ_INT(floe_datafile_writer_write(w, "{\"id\":1.5}", 10, 6, &err), -1);
    CHECK_EQ_STR(err.msg, "line 6: field 'id': expected long, got number 1.5");
    const char *bad = "{\"id\":1,\"meta\":\"s\"}";
    CHECK_EQ_INT(floe_datafile_writer_write(w, bad, strlen(bad), 7, &err), -1);
    CHECK(strncmp(err.msg, "line 7: field 'meta': expected", 30) == 0);
    bad = "{\"id\":1,";
    CHECK_EQ_INT(floe_datafile_writer_write(w, bad, strlen(bad), 8, &err), -1);
    CHECK(strstr(err.msg, "line 8: invalid JSON") != NULL);
    bad = "[1]";
    CHECK_EQ_INT(floe_datafile_writer_write(w, bad, strlen(bad), 9, &err), -1);
    CHECK(strstr(err.msg, "line 9:") != NULL);
    const char *good = "{\"id\":34}";
    CHECK_OK(floe_datafile_writer_write(w, good, strlen(good), 10, &err), &err);
    floe_ice_data_file *files;
    int n;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &n, &err), &err);
    /* the failed records left nothing behind, not even empty files */
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && files[0].record_count == 1 && strstr(files[0].file_path, "/id_bucket=3/"));
    free_files(files, n);
    CHECK_EQ_INT(parquet_files(fx.dir), 1);

    /* a bad write.* property is named */
    floe_props p;
    floe_props_init(&p);
    floe_props_set(&p, "write.parquet.row-group-size-bytes", "big");
    floe_ice_metadata *m = make_meta(fx.dir, NULL, &p);
    CHECK(floe_datafile_writer_new(floe_fileio_local(), m, NULL, &err) == NULL);
    CHECK(strstr(err.msg, "write.parquet.row-group-size-bytes=big") != NULL);
    floe_ice_metadata_free(m);
    floe_props_free(&p);
    wfix_close(&fx);
}

/* ---- inference ------------------------------------------------------------------- */

static void check_inferred(const char *const *lines, int n, const char *want) {
    size_t lens[16];
    for (int i = 0; i < n; i++) lens[i] = strlen(lines[i]);
    floe_err err = {0};
    floe_ice_schema *s = floe_infer_schema(lines, lens, n, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_schema_to_json(s, &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), want);
    floe_buf_free(&b);
    floe_ice_schema_free(s);
}

#define F(id, name, type) "{\"id\":" #id ",\"name\":\"" name "\",\"required\":false,\"type\":" type "}"

TEST(test_infer) {
    static const char *const a[] = {
        ("{\"b\":true,\"i\":1,\"d\":1.5,\"s\":\"x\",\"n\":null,\"day\":\"2017-11-16\","
         "\"tz\":\"2017-11-16T22:31:08Z\",\"ts\":\"2017-11-16 22:31:08.123\",\"mix\":1}"),
        "not json",
        "[1,2]",
        "{\"i\":2,\"mix\":2.5,\"day\":\"2017-11-17\",\"tz\":\"2017-11-16T22:31:08.5+01:00\",\"ts\":\"2017-11-16\"}",
    };
    check_inferred(a, 4,
                   "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[" F(1, "b", "\"boolean\"") "," F(2, "i", "\"long\"")
                   "," F(3, "d", "\"double\"") "," F(4, "s", "\"string\"") "," F(5, "n", "\"string\"") ","
                   F(6, "day", "\"date\"") "," F(7, "tz", "\"timestamptz\"") "," F(8, "ts", "\"timestamp\"") ","
                   F(9, "mix", "\"double\"") "]}");
    /* nesting, conflicts widening to string, empty objects left out */
    static const char *const b[] = {
        "{\"o\":{\"x\":1,\"y\":[1,2]},\"l\":[{\"k\":\"v\"},null],\"c\":1,\"e\":{},\"z\":[]}",
        "{\"o\":{\"x\":\"s\",\"w\":null},\"l\":[{\"k\":\"2017-11-16\",\"j\":false}],\"c\":true,\"t\":\"2017-11-16\"}",
        "{\"t\":\"2017-11-16T00:00:00Z\",\"q\":{\"r\":{}}}",
    };
    check_inferred(b, 3,
                   "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                   F(1, "o", "{\"type\":\"struct\",\"fields\":[" F(2, "x", "\"string\"") ","
                     F(3, "y", "{\"type\":\"list\",\"element-id\":4,\"element\":\"long\",\"element-required\":false}")
                     "," F(5, "w", "\"string\"") "]}") ","
                   F(6, "l", "{\"type\":\"list\",\"element-id\":7,\"element\":{\"type\":\"struct\",\"fields\":["
                     F(8, "k", "\"string\"") "," F(9, "j", "\"boolean\"") "]},\"element-required\":false}") ","
                   F(10, "c", "\"string\"") ","
                   F(12, "z", "{\"type\":\"list\",\"element-id\":13,\"element\":\"string\",\"element-required\":false}")
                   "," F(14, "t", "\"string\"") "]}");
    static const char *const none[] = {"[]", "{}"};
    size_t lens[2] = {2, 2};
    floe_err err = {0};
    CHECK(floe_infer_schema(none, lens, 2, &err) == NULL);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "cannot infer a schema: the records have no fields");
    CHECK(floe_infer_schema(none, lens, 1, &err) == NULL);
    CHECK_EQ_STR(err.msg, "cannot infer a schema: no JSON object among the records");
}

/* ---- ingest ---------------------------------------------------------------------- */

static int input_fd(const char *dir, const char *text) {
    char path[128];
    snprintf(path, sizeof path, "%s/input.json", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return open(path, O_RDONLY);
}

static const char EVENTS[] =
    "\xef\xbb\xbf{\"id\":1,\"ts\":\"2017-11-16T22:31:08Z\",\"name\":\"a\"}\n"
    "{\"id\":2,\"ts\":\"2017-11-16T23:31:08Z\",\"name\":\"b\"}\r\n"
    "\n"
    "{\"id\":3,\"ts\":\"2017-11-17T00:00:01Z\",\"name\":null,\"tags\":[\"x\"]}\n"
    "{\"id\":4,\"ts\":\"2017-11-18T00:00:00Z\"}";

/* A SQLite catalog in a fresh temp dir, warehouse <dir>/wh. */
static floe_catalog_handle *open_catalog(char dir[64], char wh[128]) {
    char uri[128];
    mktemp_dir(dir, 64);
    snprintf(uri, sizeof uri, "sqlite:%s/catalog.db", dir);
    snprintf(wh, 128, "%s/wh", dir);
    floe_err err = {0};
    floe_catalog_handle *c = floe_open_catalog(uri, wh, &err);
    if (!c) fprintf(stderr, "  %s\n", err.msg);
    CHECK(c != NULL);
    return c;
}

static int64_t sum_records(const floe_data_file_info *f, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += f[i].record_count;
    return s;
}

TEST(test_ingest_creates_and_appends) {
    char dir[64], wh[128];
    floe_err err = {0};
    floe_catalog_handle *c = open_catalog(dir, wh);
    if (!c) return;
    floe_ingest_opts o = {"db.events", "day(ts)", 0, 0, input_fd(dir, EVENTS), "events.json"};
    floe_ingest_result r;
    CHECK_OK(floe_ingest(c, &o, &r, &err), &err);
    close(o.fd);
    CHECK_EQ_INT(r.created, 1);
    CHECK_EQ_INT(r.records, 4);
    CHECK_EQ_INT(r.commits, 1);
    CHECK_EQ_INT(r.files, 3);
    CHECK_EQ_INT(r.bytes, (int64_t)strlen(EVENTS) - 3 + 1);

    floe_table_info info;
    CHECK_OK(floe_table_describe(c, "db.events", &info, &err), &err);
    CHECK_EQ_INT(info.ncolumns, 5);
    if (info.ncolumns == 5) {
        CHECK_EQ_STR(info.columns[0].path, "id");
        CHECK_EQ_STR(info.columns[0].type, "long");
        CHECK_EQ_STR(info.columns[1].type, "timestamptz");
        CHECK_EQ_STR(info.columns[3].path, "tags");
        CHECK_EQ_STR(info.columns[3].type, "list");
        CHECK_EQ_STR(info.columns[4].path, "tags.element");
        CHECK_EQ_INT(info.columns[4].depth, 1);
    }
    CHECK_EQ_INT(info.npartition, 1);
    if (info.npartition == 1) {
        CHECK_EQ_STR(info.partition[0].name, "ts_day");
        CHECK_EQ_STR(info.partition[0].transform, "day");
        CHECK_EQ_STR(info.partition[0].source, "ts");
    }
    CHECK(info.json && strstr(info.json, "\"name\":\"db.events\"") && strstr(info.json, "\"snapshot-count\":1}"));
    floe_table_info_free(&info);

    floe_snapshot_info *snaps;
    int ns;
    CHECK_OK(floe_table_snapshots(c, "db.events", &snaps, &ns, &err), &err);
    CHECK_EQ_INT(ns, 1);
    if (ns == 1) {
        CHECK_EQ_STR(snaps[0].operation, "append");
        CHECK(snaps[0].is_current);
        int has_id = 0;
        for (int i = 0; i < snaps[0].nsummary; i++)
            if (strcmp(snaps[0].summary[i].key, "floe.commit-id") == 0) has_id = strlen(snaps[0].summary[i].value) == 36;
        CHECK(has_id);
    }
    floe_snapshot_infos_free(snaps, ns);

    floe_data_file_info *files;
    int nf;
    CHECK_OK(floe_table_files(c, "db.events", 0, 0, &files, &nf, &err), &err);
    CHECK_EQ_INT(nf, 3);
    CHECK_EQ_INT(sum_records(files, nf), 4);
    int found = 0;
    for (int i = 0; i < nf; i++) {
        if (strcmp(files[i].partition, "ts_day=2017-11-16") == 0) {
            found = 1;
            CHECK_EQ_INT(files[i].record_count, 2);
            CHECK_EQ_STR(files[i].partition_json, "{\"ts_day\":\"2017-11-16\"}");
            CHECK_EQ_INT(rows_in(files[i].path), 2);
            CHECK_EQ_INT(files[i].sequence_number, 1);
        }
    }
    CHECK(found);
    floe_data_file_infos_free(files, nf);

    /* again, into the existing table: the spec must match */
    o.fd = input_fd(dir, "{\"id\":5,\"ts\":\"2017-11-16T10:00:00Z\",\"other\":1}\n");
    CHECK_OK(floe_ingest(c, &o, &r, &err), &err);
    close(o.fd);
    CHECK_EQ_INT(r.created, 0);
    CHECK_EQ_INT(r.records, 1);
    CHECK_EQ_INT(r.unknown_fields, 1);
    CHECK_OK(floe_table_files(c, "db.events", 0, 0, &files, &nf, &err), &err);
    CHECK_EQ_INT(nf, 4);
    CHECK_EQ_INT(sum_records(files, nf), 5);
    floe_data_file_infos_free(files, nf);
    o.partition_by = "bucket(2, id)";
    o.fd = input_fd(dir, "{\"id\":6}\n");
    CHECK_EQ_INT(floe_ingest(c, &o, &r, &err), -1);
    close(o.fd);
    CHECK(strstr(err.msg, "db.events exists with partition spec") != NULL);

    char **tables;
    int nt;
    CHECK_OK(floe_table_list(c, NULL, &tables, &nt, &err), &err);
    CHECK(nt == 1 && strcmp(tables[0], "db.events") == 0);
    floe_strv_free(tables, nt);
    floe_close_catalog(c);
    test_rmtree(dir);
}

TEST(test_ingest_bad_record_in_second_batch) {
    char dir[64], wh[128];
    floe_err err = {0};
    floe_catalog_handle *c = open_catalog(dir, wh);
    if (!c) return;
    /* the table exists (inferring from these lines would widen id to
     * string) */
    floe_table_create_opts co = {"[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                                 "{\"id\":2,\"name\":\"c\",\"required\":false,\"type\":\"string\"}]",
                                 "c", NULL, 0, NULL};
    CHECK_OK(floe_namespace_create(c, "a", NULL, 0, &err), &err);
    CHECK_OK(floe_namespace_create(c, "a.b", NULL, 0, &err), &err);
    CHECK_OK(floe_create_table(c, "a.b.t", &co, &err), &err);
    static const char in[] = "{\"id\":1,\"c\":\"a\"}\n"
                             "{\"id\":2,\"c\":\"b\"}\n" /* batch 1 ends here */
                             "{\"id\":3,\"c\":\"c\"}\n"
                             "{\"id\":\"four\",\"c\":\"a\"}\n"
                             "{\"id\":5,\"c\":\"a\"}\n";
    int64_t first_two = strchr(strchr(in, '\n') + 1, '\n') - in + 1;
    floe_ingest_opts o = {"a.b.t", "c", 0, first_two, input_fd(dir, in), "in.json"};
    floe_ingest_result r;
    CHECK_EQ_INT(floe_ingest(c, &o, &r, &err), -1);
    close(o.fd);
    CHECK_EQ_INT(err.code, FLOE_EINVAL);
    CHECK_EQ_STR(err.msg, "in.json: line 4: field 'id': expected long, got string \"four\"");
    CHECK_EQ_INT(r.created, 0);
    CHECK_EQ_INT(r.commits, 1);
    CHECK_EQ_INT(r.records, 2);
    floe_data_file_info *files;
    int nf;
    CHECK_OK(floe_table_files(c, "a.b.t", 0, 0, &files, &nf, &err), &err);
    CHECK_EQ_INT(nf, 2);
    CHECK_EQ_INT(sum_records(files, nf), 2);
    floe_data_file_infos_free(files, nf);
    /* nothing of the failed batch is left on disk */
    CHECK_EQ_INT(parquet_files(wh), 2);
    floe_snapshot_info *snaps;
    int ns;
    CHECK_OK(floe_table_snapshots(c, "a.b.t", &snaps, &ns, &err), &err);
    CHECK_EQ_INT(ns, 1);
    floe_snapshot_infos_free(snaps, ns);
    floe_close_catalog(c);
    test_rmtree(dir);
}

TEST(test_ingest_commits_on_interval) {
    char dir[64], wh[128];
    floe_err err = {0};
    floe_catalog_handle *c = open_catalog(dir, wh);
    if (!c) return;
    int fds[2];
    if (pipe(fds)) abort();
    pid_t pid = fork();
    if (pid == 0) {
        /* a quiet stream: one record, a pause well past the interval, one more */
        close(fds[0]);
        if (write(fds[1], "{\"id\":1}\n", 9) != 9) _exit(1);
        usleep(600 * 1000);
        if (write(fds[1], "{\"id\":2}\n", 9) != 9) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    floe_ingest_opts o = {"ns.t", NULL, 100, 0, fds[0], "stdin"};
    floe_ingest_result r;
    CHECK_OK(floe_ingest(c, &o, &r, &err), &err);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CHECK_EQ_INT(r.commits, 2);
    CHECK_EQ_INT(r.records, 2);
    floe_close_catalog(c);
    test_rmtree(dir);
}

TEST(test_facade_settings_namespaces_tables) {
    char dir[64], wh[128], db[160];
    mktemp_dir(dir, sizeof dir);
    snprintf(wh, sizeof wh, "%s/wh2", dir);
    snprintf(db, sizeof db, "%s/catalog.db", wh);
    /* no arguments: the warehouse from the environment, the catalog in it */
    setenv("FLOE_WAREHOUSE", wh, 1);
    unsetenv("FLOE_CATALOG");
    floe_err err = {0};
    floe_catalog_handle *c = floe_open_catalog(NULL, NULL, &err);
    unsetenv("FLOE_WAREHOUSE");
    CHECK(c != NULL);
    if (!c) return;
    CHECK(access(db, F_OK) == 0);
    const char *props[] = {"owner=ann", "note=a=b"};
    CHECK_OK(floe_namespace_create(c, "web", props, 2, &err), &err);
    const char *bad[] = {"novalue"};
    CHECK_EQ_INT(floe_namespace_create(c, "x", bad, 1, &err), -1);
    CHECK_EQ_STR(err.msg, "property 'novalue': expected KEY=VALUE");
    floe_kv *kv;
    int nkv;
    CHECK_OK(floe_namespace_properties(c, "web", &kv, &nkv, &err), &err);
    int seen = 0;
    for (int i = 0; i < nkv; i++)
        if ((strcmp(kv[i].key, "owner") == 0 && strcmp(kv[i].value, "ann") == 0) ||
            (strcmp(kv[i].key, "note") == 0 && strcmp(kv[i].value, "a=b") == 0))
            seen++;
    CHECK_EQ_INT(seen, 2);
    floe_kvs_free(kv, nkv);
    floe_table_create_opts co = {SCHEMA, "bucket(8, id)", NULL, 0, NULL};
    const char *tprops[] = {"format-version=1"};
    co.props = tprops;
    co.nprops = 1;
    CHECK_OK(floe_create_table(c, "web.clicks", &co, &err), &err);
    CHECK_EQ_INT(floe_create_table(c, "web.clicks", &co, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    CHECK_EQ_INT(floe_create_table(c, "clicks", &co, &err), -1);
    CHECK_EQ_STR(err.msg, "table name 'clicks': expected NAMESPACE.TABLE");
    floe_table_info info;
    CHECK_OK(floe_table_describe(c, "web.clicks", &info, &err), &err);
    CHECK_EQ_INT(info.format_version, 1);
    CHECK_EQ_INT(info.has_current_snapshot, 0);
    CHECK(info.npartition == 1 && strcmp(info.partition[0].transform, "bucket[8]") == 0);
    CHECK_EQ_INT(info.ncolumns, 5);
    CHECK(info.ncolumns == 5 && strcmp(info.columns[4].path, "meta.region") == 0 && info.columns[4].depth == 1);
    CHECK(strstr(info.json, "\"current-snapshot-id\":null") != NULL);
    floe_table_info_free(&info);
    floe_data_file_info *files;
    int nf;
    CHECK_OK(floe_table_files(c, "web.clicks", 0, 0, &files, &nf, &err), &err);
    CHECK_EQ_INT(nf, 0);
    floe_data_file_infos_free(files, nf);
    CHECK_EQ_INT(floe_table_files(c, "web.clicks", 1, 42, &files, &nf, &err), -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK_OK(floe_table_rename(c, "web.clicks", "web.hits", &err), &err);
    char **names;
    int n;
    CHECK_OK(floe_table_list(c, "web", &names, &n, &err), &err);
    CHECK(n == 1 && strcmp(names[0], "web.hits") == 0);
    floe_strv_free(names, n);
    CHECK_EQ_INT(floe_namespace_drop(c, "web", &err), -1);
    CHECK_EQ_INT(err.code, FLOE_ECONFLICT);
    CHECK_OK(floe_table_drop(c, "web.hits", 1, &err), &err);
    CHECK_OK(floe_namespace_drop(c, "web", &err), &err);
    CHECK_OK(floe_namespace_list(c, NULL, &names, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    floe_strv_free(names, n);
    floe_close_catalog(c);
    test_rmtree(dir);
}

TEST_MAIN(T(test_partitioned_writer), T(test_nested_source_and_escaped_key), T(test_roll_lru_abort),
          T(test_bad_records), T(test_infer), T(test_ingest_creates_and_appends),
          T(test_ingest_bad_record_in_second_batch), T(test_ingest_commits_on_interval),
          T(test_facade_settings_namespaces_tables))
