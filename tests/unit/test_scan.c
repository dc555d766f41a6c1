/*
 * test_scan.c — table reads: the Parquet row reader's shaped rows, peeking
 * and skipping (what a scan reads through), then scans of tables built in
 * a temp dir with a SQLite catalog: every row back, partition and metrics
 * pruning counted in files read, filters on rows, column projection, time
 * travel by snapshot id and by time, columns matched by field id after a
 * rename and an added column, position and equality deletes with their
 * sequence-number rules, and the errors naming the option at fault.
 */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "table/scan.h"
#include "table_fixture.h"
#include "test.h"
#include "util/text.h"

/* ---- the row reader's shapes, peeks and skips ---------------------------------- */

/* a (int64, id 1), b (string, id 2), s (group id 3: x int64 id 4, y int64 id
 * 5); rows (1, "p", {10, 20}), (2, null, null), (3, "r", {30, null}); one
 * row group per row when tiny_groups. */
static const char *write_abc(int tiny_groups) {
    static char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/floe-scan-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/abc.parquet", dir);
    floe_err err = {0};
    floe_pq_schema *s = floe_pq_schema_new("table");
    floe_pq_node_leaf(s->root, "a", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 1);
    floe_pq_node *b = floe_pq_node_leaf(s->root, "b", FLOE_PQ_OPTIONAL, FLOE_PQ_BYTE_ARRAY, 2);
    b->logical.kind = FLOE_PQ_LT_STRING;
    b->converted = FLOE_PQ_CT_UTF8;
    floe_pq_node *g = floe_pq_node_group(s->root, "s", FLOE_PQ_OPTIONAL, 3);
    floe_pq_node_leaf(g, "x", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 4);
    floe_pq_node_leaf(g, "y", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 5);
    CHECK_OK(floe_pq_schema_finish(s, &err), &err);
    floe_pq_writer_opts o;
    floe_pq_writer_opts_default(&o);
    if (tiny_groups) o.row_group_size = 1;
    floe_pq_writer *w = floe_pq_writer_open_file(s, &o, path, &err);
    CHECK(w != NULL);
    if (!w) return path;
    floe_pq_write_i64(w, 0, 1, 0);
    floe_pq_write_bytes(w, 1, "p", 1, 0);
    floe_pq_write_i64(w, 2, 10, 0);
    floe_pq_write_i64(w, 3, 20, 0);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    floe_pq_write_i64(w, 0, 2, 0);
    floe_pq_write_null(w, 1, 0, 0);
    floe_pq_write_null(w, 2, 0, 0);
    floe_pq_write_null(w, 3, 0, 0);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    floe_pq_write_i64(w, 0, 3, 0);
    floe_pq_write_bytes(w, 1, "r", 1, 0);
    floe_pq_write_i64(w, 2, 30, 0);
    floe_pq_write_null(w, 3, 1, 0);
    CHECK_OK(floe_pq_writer_end_row(w, &err), &err);
    CHECK_OK(floe_pq_writer_close(w, &err), &err);
    floe_pq_writer_free(w);
    floe_pq_schema_free(s);
    return path;
}

/* Removes write_abc's file and its directory. */
static void drop_abc(const char *path) {
    remove(path);
    char dir[128];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
}

static int abc_shape(void *ctx, const floe_pq_node *g, const floe_pq_member **out) {
    static const floe_pq_member root[] = {{"B", 1}, {"gone", -1}, {"A", 0}, {"S", 2}, {"again", 0}};
    static const floe_pq_member s[] = {{"Y", 1}};
    (void)ctx;
    if (!g->parent) {
        *out = root;
        return 5;
    }
    if (strcmp(g->name, "s") == 0) {
        *out = s;
        return 1;
    }
    return -1;
}

TEST(shaped_rows) {
    floe_err err = {0};
    const char *path = write_abc(0);
    floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
    drop_abc(path); /* the reader keeps its descriptor */
    CHECK(r != NULL);
    if (!r) return;
    /* Every leaf selected: s.x is read (its cursor keeps pace) but not shown;
     * a child named twice is null the second time. */
    floe_pq_row_reader *rr = floe_pq_rows_open_shaped(r, NULL, 0, abc_shape, NULL, &err);
    floe_buf b;
    floe_buf_init(&b);
    const char *want[] = {"{\"B\":\"p\",\"gone\":null,\"A\":1,\"S\":{\"Y\":20},\"again\":null}",
                          "{\"B\":null,\"gone\":null,\"A\":2,\"S\":null,\"again\":null}",
                          "{\"B\":\"r\",\"gone\":null,\"A\":3,\"S\":{\"Y\":null},\"again\":null}"};
    for (int i = 0; i < 3; i++) {
        b.len = 0;
        CHECK_EQ_INT(floe_pq_rows_next_json(rr, &b, &err), 1);
        CHECK_EQ_STR(floe_buf_cstr(&b), want[i]);
    }
    CHECK_EQ_INT(floe_pq_rows_next_json(rr, &b, &err), 0);
    floe_pq_rows_free(rr);
    /* Only b and s.y selected: members whose leaves are not selected are null. */
    int leaves[2] = {1, 3};
    rr = floe_pq_rows_open_shaped(r, leaves, 2, abc_shape, NULL, &err);
    b.len = 0;
    CHECK_EQ_INT(floe_pq_rows_next_json(rr, &b, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&b), "{\"B\":\"p\",\"gone\":null,\"A\":null,\"S\":{\"Y\":20},\"again\":null}");
    floe_pq_rows_free(rr);
    floe_buf_free(&b);
    floe_pq_reader_free(r);
}

static int skip_group_1(void *ctx, const floe_pq_reader *r, int rg) {
    (void)ctx;
    (void)r;
    return rg != 1;
}

TEST(peek_skip_index) {
    floe_err err = {0};
    const char *path = write_abc(1);
    floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
    drop_abc(path); /* the reader keeps its descriptor */
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ_INT(floe_pq_reader_num_row_groups(r), 3);
    floe_pq_row_reader *rr = floe_pq_rows_open(r, NULL, 0, &err);
    floe_pq_value v;
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 0, &v), -1); /* no current row yet */
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 1); /* still the same row */
    CHECK_EQ_INT(floe_pq_rows_index(rr), 0);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 0, &v), 0);
    int64_t a;
    CHECK(!v.is_null && v.len == 8);
    memcpy(&a, v.plain, 8);
    CHECK_EQ_INT(a, 1);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 1, &v), 0);
    CHECK(!v.is_null && v.len == 1 && v.plain[0] == 'p');
    CHECK_EQ_INT(floe_pq_rows_skip(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 0, &v), -1); /* consumed */
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_index(rr), 1);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 1, &v), 0);
    CHECK(v.is_null);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 2, &v), 0); /* s is null: so is s.x */
    CHECK(v.is_null);
    floe_buf b;
    floe_buf_init(&b);
    CHECK_EQ_INT(floe_pq_rows_next_json(rr, &b, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&b), "{\"a\":2,\"b\":null,\"s\":null}");
    CHECK_EQ_INT(floe_pq_rows_skip(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_skip(rr, &err), 0);
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 0);
    floe_pq_rows_free(rr);
    /* Row groups the filter skips still count in the index. */
    rr = floe_pq_rows_open(r, NULL, 0, &err);
    floe_pq_rows_set_filter(rr, skip_group_1, NULL);
    CHECK_EQ_INT(floe_pq_rows_skip(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_index(rr), 2);
    b.len = 0;
    CHECK_EQ_INT(floe_pq_rows_next_json(rr, &b, &err), 1);
    CHECK_EQ_STR(floe_buf_cstr(&b), "{\"a\":3,\"b\":\"r\",\"s\":{\"x\":30,\"y\":null}}");
    floe_pq_rows_free(rr);
    /* A repeated or unselected leaf cannot be peeked. */
    int one = 0;
    rr = floe_pq_rows_open(r, &one, 1, &err);
    CHECK_EQ_INT(floe_pq_rows_peek_row(rr, &err), 1);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 1, &v), -1);
    CHECK_EQ_INT(floe_pq_rows_peek(rr, 0, &v), 0);
    floe_pq_rows_free(rr);
    floe_buf_free(&b);
    floe_pq_reader_free(r);
}

/* ---- tables ---------------------------------------------------------------------- */

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":4,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":5,\"name\":\"info\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":6,\"name\":\"city\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"zip\",\"required\":false,\"type\":\"int\"}]}}]}";

static floe_table *make_table_props(env *e, const char *name, const char *terms, const floe_props *props) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    if (terms) CHECK_OK(floe_ice_spec_parse_terms(terms, s, 0, 999, &spec, &err), &err);
    floe_table_create req = {s, terms ? &spec : NULL, NULL, NULL, props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    int rc = e->h.catalog->create_table(e->h.catalog, "ns", name, &req, &st, &err);
    CHECK_OK(rc, &err);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(s);
    return rc ? NULL : floe_table_wrap(e->h.catalog, "ns", name, &st);
}

static floe_table *make_table(env *e, const char *name, const char *terms) {
    return make_table_props(e, name, terms, NULL);
}

/* A fresh catalog with table ns.<name>; NULL (everything released) when
 * that fails. */
static floe_table *setup(env *e, const char *name, const char *terms) {
    if (fixture_env_init(e, "scan", 1)) return NULL;
    floe_table *t = make_table(e, name, terms);
    if (!t) fixture_env_free(e);
    return t;
}

/* Writes the lines as data files of t's default spec and appends them in one
 * snapshot, whose id it returns; the files written are kept in *paths. */
static int64_t append_lines(floe_table *t, const char *const *lines, int n, char ***paths, int *npaths) {
    floe_err err = {0};
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &err);
    CHECK(w != NULL);
    if (!w) return -1;
    for (int i = 0; i < n; i++) CHECK_OK(floe_datafile_writer_write(w, lines[i], strlen(lines[i]), i + 1, &err), &err);
    floe_ice_data_file *files = NULL;
    int nf = 0;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &nf, &err), &err);
    floe_datafile_writer_free(w);
    CHECK_OK(floe_table_append(t, files, nf, NULL, &err), &err);
    for (int i = 0; i < nf; i++) {
        if (paths) {
            *paths = floe_xrealloc(*paths, sizeof **paths * (size_t)(*npaths + 1));
            (*paths)[(*npaths)++] = floe_xstrdup(files[i].file_path);
        }
        floe_ice_data_file_free(&files[i]);
    }
    free(files);
    /* Snapshot-log times have millisecond resolution: keep commits apart. */
    usleep(3000);
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    return s ? s->snapshot_id : -1;
}

/* Sorts b's lines: files are read in manifest order, rows compare as a set. */
static void sort_lines(floe_buf *b) {
    if (b->len == 0) return;
    char *text = floe_xstrndup((const char *)b->data, b->len);
    char *lines[512];
    int n = 0;
    for (char *s = strtok(text, "\n"); s && n < 512; s = strtok(NULL, "\n")) lines[n++] = s;
    qsort(lines, (size_t)n, sizeof *lines, fixture_cmp_str);
    b->len = 0;
    for (int i = 0; i < n; i++) {
        floe_buf_puts(b, lines[i]);
        floe_buf_putc(b, '\n');
    }
    free(text);
}

/* The scan's rows sorted, one per line, or "error: <message>". */
static const char *scan(env *e, const char *table, const floe_scan_opts *o, floe_scan_result *res) {
    static floe_buf out;
    floe_err err = {0};
    out.len = 0;
    floe_scan_opts none;
    memset(&none, 0, sizeof none);
    if (floe_table_scan(&e->h, table, o ? o : &none, fixture_collect, &out, res, &err)) {
        out.len = 0;
        floe_buf_printf(&out, "error: %s", err.msg);
    } else {
        sort_lines(&out);
    }
    return floe_buf_cstr(&out);
}

static const char *scan_where(env *e, const char *table, const char *where, floe_scan_result *res) {
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    o.where = where;
    return scan(e, table, &o, res);
}

static const char *const EVENTS_1[] = {
    "{\"id\":1,\"name\":\"a\",\"ts\":\"2017-11-15T10:00:00\",\"score\":1.5,\"info\":{\"city\":\"Paris\",\"zip\":75001}}",
    "{\"id\":2,\"name\":\"b\",\"ts\":\"2017-11-16T09:00:00\",\"score\":\"NaN\"}",
    "{\"id\":3,\"name\":null,\"ts\":\"2017-11-16T11:00:00\",\"score\":-2,\"info\":{\"city\":\"Lyon\"}}"};
static const char *const EVENTS_2[] = {
    "{\"id\":10,\"name\":\"c\",\"ts\":\"2017-11-17T00:00:00\",\"score\":3}",
    "{\"id\":11,\"name\":\"d\",\"ts\":\"2017-11-18T00:00:00\"}"};

TEST(scan_partitioned) {
    env e;
    floe_table *t = setup(&e, "ev", "day(ts)");
    if (!t) return;
    floe_scan_result res;
    /* No snapshot yet: no rows. */
    CHECK_EQ_STR(scan(&e, "ns.ev", NULL, &res), "");
    CHECK_EQ_INT(res.snapshot_id, -1);
    append_lines(t, EVENTS_1, 3, NULL, NULL);
    append_lines(t, EVENTS_2, 2, NULL, NULL);

    CHECK_EQ_STR(scan(&e, "ns.ev", NULL, &res),
                 "{\"id\":1,\"name\":\"a\",\"ts\":\"2017-11-15T10:00:00.000000\",\"score\":1.5,"
                 "\"info\":{\"city\":\"Paris\",\"zip\":75001}}\n"
                 "{\"id\":10,\"name\":\"c\",\"ts\":\"2017-11-17T00:00:00.000000\",\"score\":3,\"info\":null}\n"
                 "{\"id\":11,\"name\":\"d\",\"ts\":\"2017-11-18T00:00:00.000000\",\"score\":null,\"info\":null}\n"
                 "{\"id\":2,\"name\":\"b\",\"ts\":\"2017-11-16T09:00:00.000000\",\"score\":\"NaN\",\"info\":null}\n"
                 "{\"id\":3,\"name\":null,\"ts\":\"2017-11-16T11:00:00.000000\",\"score\":-2,"
                 "\"info\":{\"city\":\"Lyon\",\"zip\":null}}\n");
    /* One file per day: 4 files in 2 manifests. */
    CHECK_EQ_INT(res.files, 4);
    CHECK_EQ_INT(res.files_read, 4);
    CHECK_EQ_INT(res.manifests, 2);
    CHECK_EQ_INT(res.rows, 5);

    /* The spec's example: ts > X reads only files of day(X) and after. */
    CHECK_EQ_STR(scan_where(&e, "ns.ev", "ts > '2017-11-16T10:00:00'", &res),
                 "{\"id\":10,\"name\":\"c\",\"ts\":\"2017-11-17T00:00:00.000000\",\"score\":3,\"info\":null}\n"
                 "{\"id\":11,\"name\":\"d\",\"ts\":\"2017-11-18T00:00:00.000000\",\"score\":null,\"info\":null}\n"
                 "{\"id\":3,\"name\":null,\"ts\":\"2017-11-16T11:00:00.000000\",\"score\":-2,"
                 "\"info\":{\"city\":\"Lyon\",\"zip\":null}}\n");
    CHECK_EQ_INT(res.files_read, 3);
    CHECK_EQ_INT(res.files_skipped, 1);
    CHECK_EQ_INT(res.rows_read, 4); /* the 2017-11-16 file holds a row before X */
    /* A whole manifest pruned by its partition summary. */
    scan_where(&e, "ns.ev", "ts >= '2017-11-17'", &res);
    CHECK_EQ_INT(res.manifests_skipped, 1);
    CHECK_EQ_INT(res.files_read, 2);
    CHECK_EQ_INT(res.rows, 2);
    /* Metrics prune within a partition: no id above 3 on 2017-11-16. */
    scan_where(&e, "ns.ev", "id > 3 AND ts < '2017-11-17'", &res);
    CHECK_EQ_INT(res.files_read, 0);
    CHECK_EQ_INT(res.rows, 0);
    /* Rows: SQL nulls, NaN, nested fields, IN, NOT. */
    CHECK_EQ_STR(scan_where(&e, "ns.ev", "name != 'a' AND id < 5", &res),
                 "{\"id\":2,\"name\":\"b\",\"ts\":\"2017-11-16T09:00:00.000000\",\"score\":\"NaN\",\"info\":null}\n");
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"id"};
    o.columns = cols;
    o.ncolumns = 1;
    o.where = "score IS NAN OR info.city = 'Lyon' OR id IN (11, 12)";
    CHECK_EQ_STR(scan(&e, "ns.ev", &o, &res), "{\"id\":11}\n{\"id\":2}\n{\"id\":3}\n");
    o.where = "NOT (score > 0)";
    CHECK_EQ_STR(scan(&e, "ns.ev", &o, &res), "{\"id\":3}\n");
    o.where = "name IS NULL OR score IS NULL";
    CHECK_EQ_STR(scan(&e, "ns.ev", &o, &res), "{\"id\":11}\n{\"id\":3}\n");
    /* Projection: schema order whatever the order asked, nested paths. */
    const char *cols2[] = {"info.zip", "ID"};
    o.columns = cols2;
    o.ncolumns = 2;
    o.where = "id <= 3";
    CHECK_EQ_STR(scan(&e, "ns.ev", &o, &res),
                 "{\"id\":1,\"info\":{\"zip\":75001}}\n{\"id\":2,\"info\":null}\n{\"id\":3,\"info\":{\"zip\":null}}\n");
    /* A filter on a struct member left out of the projection. */
    o.columns = cols2;
    o.ncolumns = 1;
    o.where = "info.city = 'Lyon'";
    CHECK_EQ_STR(scan(&e, "ns.ev", &o, &res), "{\"info\":{\"zip\":null}}\n");
    /* Limit stops early. */
    memset(&o, 0, sizeof o);
    o.limit = 2;
    scan(&e, "ns.ev", &o, &res);
    CHECK_EQ_INT(res.rows, 2);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(scan_time_travel) {
    env e;
    floe_table *t = setup(&e, "tt", NULL);
    if (!t) return;
    int64_t s1 = append_lines(t, EVENTS_1, 3, NULL, NULL);
    int64_t s2 = append_lines(t, EVENTS_2, 2, NULL, NULL);
    const floe_ice_metadata *m = floe_table_meta(t);
    CHECK_EQ_INT(m->nsnapshot_log, 2);
    int64_t t1 = m->snapshot_log[0].timestamp_ms, t2 = m->snapshot_log[1].timestamp_ms;
    CHECK(t1 < t2);
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"id"};
    o.columns = cols;
    o.ncolumns = 1;
    floe_scan_result res;
    CHECK_EQ_STR(scan(&e, "ns.tt", &o, &res), "{\"id\":10}\n{\"id\":11}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
    CHECK_EQ_INT(res.snapshot_id, s2);
    o.has_snapshot = 1;
    o.snapshot_id = s1;
    CHECK_EQ_STR(scan(&e, "ns.tt", &o, &res), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
    CHECK_EQ_INT(res.snapshot_id, s1);
    o.has_snapshot = 0;
    char when[64];
    snprintf(when, sizeof when, "%lld", (long long)(t2 - 1));
    o.as_of = when;
    CHECK_EQ_STR(scan(&e, "ns.tt", &o, &res), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
    /* As text, with an offset: the same instant. */
    floe_buf iso;
    floe_buf_init(&iso);
    floe_fmt_timestamp((t2 - 1) + 3600000, FLOE_UNIT_MILLIS, 0, &iso);
    floe_buf_puts(&iso, "+01:00");
    o.as_of = floe_buf_cstr(&iso);
    scan(&e, "ns.tt", &o, &res);
    CHECK_EQ_INT(res.snapshot_id, s1);
    snprintf(when, sizeof when, "%lld", (long long)t2);
    o.as_of = when;
    scan(&e, "ns.tt", &o, &res);
    CHECK_EQ_INT(res.snapshot_id, s2);
    /* Before the first snapshot, a snapshot that does not exist, bad text. */
    snprintf(when, sizeof when, "%lld", (long long)(t1 - 1));
    o.as_of = when;
    const char *r = scan(&e, "ns.tt", &o, &res);
    CHECK(strncmp(r, "error: --as-of: table ns.tt had no snapshot at ", 47) == 0);
    o.as_of = "yesterday";
    CHECK_EQ_STR(scan(&e, "ns.tt", &o, &res),
                 "error: --as-of: 'yesterday' is not a time (2017-11-16T10:00:00, with an optional offset, a date, or "
                 "milliseconds since the epoch)");
    o.as_of = NULL;
    o.has_snapshot = 1;
    o.snapshot_id = 12345;
    CHECK_EQ_STR(scan(&e, "ns.tt", &o, &res), "error: --snapshot: table ns.tt has no snapshot 12345");
    floe_buf_free(&iso);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(scan_errors) {
    env e;
    floe_table *t = setup(&e, "er", NULL);
    if (!t) return;
    append_lines(t, EVENTS_2, 2, NULL, NULL);
    CHECK_EQ_STR(scan_where(&e, "ns.er", "x = 1", NULL), "error: --where: unknown column 'x'");
    CHECK_EQ_STR(scan_where(&e, "ns.er", "id = 'abc'", NULL),
                 "error: --where: cannot compare long column 'id' with 'abc'");
    CHECK_EQ_STR(scan_where(&e, "ns.er", "id = ", NULL),
                 "error: --where: expected a literal (a number, a 'string', true or false) at the end of the filter");
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"id", "nope"};
    o.columns = cols;
    o.ncolumns = 2;
    CHECK_EQ_STR(scan(&e, "ns.er", &o, NULL), "error: --columns: unknown column 'nope'");
    CHECK(strncmp(scan(&e, "ns.missing", NULL, NULL), "error: ", 7) == 0);
    CHECK_EQ_STR(scan(&e, "nodot", NULL, NULL), "error: table name 'nodot': expected NAMESPACE.TABLE");
    /* A callback's failure and stop. */
    floe_table_free(t);
    fixture_env_free(&e);
}

static int fail_second(void *ctx, const char *json, size_t len, floe_err *err) {
    int *n = ctx;
    (void)json;
    (void)len;
    if (++*n == 2) return floe_err_set(err, FLOE_EIO, "the consumer went away");
    return 0;
}

static int stop_first(void *ctx, const char *json, size_t len, floe_err *err) {
    int *n = ctx;
    (void)json;
    (void)len;
    (void)err;
    ++*n;
    return 1;
}

TEST(scan_callback) {
    env e;
    floe_table *t = setup(&e, "cb", NULL);
    if (!t) return;
    append_lines(t, EVENTS_1, 3, NULL, NULL);
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    floe_err err = {0};
    int n = 0;
    CHECK_EQ_INT(floe_table_scan(&e.h, "ns.cb", &o, fail_second, &n, NULL, &err), -1);
    CHECK_EQ_STR(err.msg, "the consumer went away");
    n = 0;
    floe_scan_result res;
    CHECK_OK(floe_table_scan(&e.h, "ns.cb", &o, stop_first, &n, &res, &err), &err);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(res.rows, 1);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(scan_row_groups) {
    env e;
    if (fixture_env_init(&e, "scan", 1)) return;
    /* One row group per row: the filter's column statistics skip groups. */
    floe_props props;
    floe_props_init(&props);
    floe_props_set(&props, "write.parquet.row-group-size-bytes", "1");
    floe_table *t = make_table_props(&e, "rg", NULL, &props);
    floe_props_free(&props);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    char lines[40][64];
    const char *ls[40];
    for (int i = 0; i < 40; i++) {
        snprintf(lines[i], sizeof lines[i], "{\"id\":%d,\"name\":%s}", i, i % 2 ? "\"odd\"" : "null");
        ls[i] = lines[i];
    }
    append_lines(t, ls, 40, NULL, NULL);
    floe_scan_result res;
    CHECK_EQ_STR(scan_where(&e, "ns.rg", "id >= 37", &res),
                 "{\"id\":37,\"name\":\"odd\",\"ts\":null,\"score\":null,\"info\":null}\n"
                 "{\"id\":38,\"name\":null,\"ts\":null,\"score\":null,\"info\":null}\n"
                 "{\"id\":39,\"name\":\"odd\",\"ts\":null,\"score\":null,\"info\":null}\n");
    CHECK_EQ_INT(res.files_read, 1);
    CHECK_EQ_INT(res.rows_read, 3);
    scan_where(&e, "ns.rg", "name IS NULL AND id < 6", &res);
    CHECK_EQ_INT(res.rows, 3);
    CHECK_EQ_INT(res.rows_read, 3);
    /* Columns holding only nulls rule out every group. */
    scan_where(&e, "ns.rg", "ts IS NOT NULL OR score > 1", &res);
    CHECK_EQ_INT(res.rows_read, 0);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- schema evolution ----------------------------------------------------------------- */

TEST(scan_by_field_id) {
    env e;
    floe_table *t = setup(&e, "ev2", "identity(name)");
    if (!t) return;
    append_lines(t, EVENTS_1, 3, NULL, NULL);
    /* Rename name -> label and info.city -> town, move score first, drop
     * ts, add "extra": old files keep their names; rows follow the table. */
    fixture_evolve(t,
           "{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
           "{\"id\":4,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
           "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
           "{\"id\":2,\"name\":\"label\",\"required\":false,\"type\":\"string\"},"
           "{\"id\":5,\"name\":\"info\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
           "{\"id\":7,\"name\":\"zip\",\"required\":false,\"type\":\"int\"},"
           "{\"id\":6,\"name\":\"town\",\"required\":false,\"type\":\"string\"}]}},"
           "{\"id\":8,\"name\":\"extra\",\"required\":false,\"type\":\"long\"}]}",
           8);
    floe_scan_result res;
    CHECK_EQ_STR(scan(&e, "ns.ev2", NULL, &res),
                 "{\"score\":\"NaN\",\"id\":2,\"label\":\"b\",\"info\":null,\"extra\":null}\n"
                 "{\"score\":-2,\"id\":3,\"label\":null,\"info\":{\"zip\":null,\"town\":\"Lyon\"},\"extra\":null}\n"
                 "{\"score\":1.5,\"id\":1,\"label\":\"a\",\"info\":{\"zip\":75001,\"town\":\"Paris\"},\"extra\":null}\n");
    /* Filters and partition pruning follow the field ids too. */
    CHECK_EQ_STR(scan_where(&e, "ns.ev2", "label = 'b' OR info.town = 'Lyon'", &res),
                 "{\"score\":\"NaN\",\"id\":2,\"label\":\"b\",\"info\":null,\"extra\":null}\n"
                 "{\"score\":-2,\"id\":3,\"label\":null,\"info\":{\"zip\":null,\"town\":\"Lyon\"},\"extra\":null}\n");
    scan_where(&e, "ns.ev2", "label = 'b'", &res);
    CHECK_EQ_INT(res.files_read, 1);
    CHECK_EQ_INT(res.files_skipped, 2);
    CHECK_EQ_STR(scan_where(&e, "ns.ev2", "extra IS NULL AND id = 1", &res),
                 "{\"score\":1.5,\"id\":1,\"label\":\"a\",\"info\":{\"zip\":75001,\"town\":\"Paris\"},\"extra\":null}\n");
    CHECK_EQ_STR(scan_where(&e, "ns.ev2", "extra = 1", &res), "");
    CHECK_EQ_STR(scan_where(&e, "ns.ev2", "ts IS NULL", &res), "error: --where: unknown column 'ts'");
    /* New rows written with the new schema read alongside. */
    const char *more[] = {"{\"id\":20,\"label\":\"a\",\"extra\":7,\"info\":{\"town\":\"Nice\"}}"};
    append_lines(t, more, 1, NULL, NULL);
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"extra", "info.town"};
    o.columns = cols;
    o.ncolumns = 2;
    o.where = "label = 'a'";
    CHECK_EQ_STR(scan(&e, "ns.ev2", &o, &res), "{\"info\":{\"town\":\"Nice\"},\"extra\":7}\n"
                                                "{\"info\":{\"town\":\"Paris\"},\"extra\":null}\n");
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- deletes ----------------------------------------------------------------------------- */

TEST(scan_deletes) {
    env e;
    floe_table *t = setup(&e, "del", NULL);
    if (!t) return;
    char **paths = NULL;
    int npaths = 0;
    const char *a[] = {"{\"id\":1}", "{\"id\":2}", "{\"id\":3}", "{\"id\":4}", "{\"id\":5}"};
    const char *b[] = {"{\"id\":5}", "{\"id\":6}", "{\"id\":7}", "{\"id\":8}"};
    append_lines(t, a, 5, &paths, &npaths);             /* sequence number 1 */
    int64_t before = append_lines(t, b, 4, &paths, &npaths); /* 2 */
    CHECK_EQ_INT(npaths, 2);
    if (npaths != 2) {
        floe_table_free(t);
        fixture_env_free(&e);
        return;
    }
    /* Sequence number 3: positions 0 and 3 of A (ids 1, 4), 1 of B (id 6),
     * and a position in a file the table does not have; id 5 everywhere. */
    floe_ice_data_file d[2];
    const char *pp[] = {paths[0], paths[0], paths[1], "file:///elsewhere.parquet"};
    int64_t pos[] = {0, 3, 1, 0};
    fixture_write_delete_file(t, "pos.parquet", pp, pos, 4, NULL, &d[0]);
    int64_t five = 5;
    fixture_write_delete_file(t, "eq.parquet", NULL, &five, 1, NULL, &d[1]);
    fixture_commit_deletes(t, d, 2);
    /* Sequence number 4: a newer id 5 is not deleted by the older delete. */
    const char *c[] = {"{\"id\":5}", "{\"id\":9}"};
    append_lines(t, c, 2, &paths, &npaths);

    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"id"};
    o.columns = cols;
    o.ncolumns = 1;
    floe_scan_result res;
    CHECK_EQ_STR(scan(&e, "ns.del", &o, &res), "{\"id\":2}\n{\"id\":3}\n{\"id\":5}\n{\"id\":7}\n{\"id\":8}\n{\"id\":9}\n");
    CHECK_EQ_INT(res.delete_files, 2);
    CHECK_EQ_INT(res.rows_read, 11);
    CHECK_EQ_INT(res.rows_deleted, 5);
    /* Filters combine with deletes; the equality column need not be projected. */
    const char *cols2[] = {"name"};
    o.columns = cols2;
    o.where = "id >= 5";
    scan(&e, "ns.del", &o, &res);
    CHECK_EQ_INT(res.rows, 4);
    /* Before the deletes, every row. */
    o.columns = cols;
    o.where = NULL;
    o.has_snapshot = 1;
    o.snapshot_id = before;
    CHECK_EQ_STR(scan(&e, "ns.del", &o, &res),
                 "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n{\"id\":5}\n{\"id\":6}\n{\"id\":7}\n{\"id\":8}\n");
    /* The plan assigns the deletes by the scope rules. */
    floe_scan_request req;
    memset(&req, 0, sizeof req);
    floe_scan_plan plan;
    floe_err err = {0};
    CHECK_OK(floe_table_reload(t, &err), &err);
    CHECK_OK(floe_scan_plan_build(t, &req, &plan, &err), &err);
    CHECK_EQ_INT(plan.ntasks, 3);
    CHECK_EQ_INT(plan.ndeletes, 2);
    for (int i = 0; i < plan.ntasks; i++)
        CHECK_EQ_INT(plan.tasks[i].ndeletes, plan.tasks[i].data_seq < 3 ? 2 : 0);
    floe_scan_plan_free(&plan);
    floe_strv_free(paths, npaths);
    floe_ice_data_file_free(&d[0]);
    floe_ice_data_file_free(&d[1]);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(scan_delete_partition_scope) {
    env e;
    floe_table *t = setup(&e, "pdel", "identity(name)");
    if (!t) return;
    const char *a[] = {"{\"id\":1,\"name\":\"x\"}", "{\"id\":1,\"name\":\"y\"}"};
    append_lines(t, a, 2, NULL, NULL);
    /* An equality delete of id 1 in partition name=x only. */
    floe_ice_data_file d;
    int64_t one = 1;
    fixture_write_delete_file(t, "eqx.parquet", NULL, &one, 1, NULL, &d);
    d.npartition = 1;
    d.partition[0].p = (const uint8_t *)floe_xstrdup("x");
    d.partition[0].n = 1;
    fixture_commit_deletes(t, &d, 1);
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    const char *cols[] = {"name"};
    o.columns = cols;
    o.ncolumns = 1;
    CHECK_EQ_STR(scan(&e, "ns.pdel", &o, NULL), "{\"name\":\"y\"}\n");
    floe_ice_data_file_free(&d);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST_MAIN(T(shaped_rows), T(peek_skip_index), T(scan_partitioned), T(scan_time_travel), T(scan_errors), T(scan_callback),
          T(scan_row_groups), T(scan_by_field_id), T(scan_deletes), T(scan_delete_partition_scope))
