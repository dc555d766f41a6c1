/*
 * test_compact.c — compaction (table/compact.c) on real tables in a temp
 * SQLite warehouse, built through the real append path: rows before and
 * after compare as multisets; file counts, summaries and data sequence
 * numbers are read back from the committed metadata; concurrent appends,
 * compactions and deletes are committed from a hook between a group's
 * rewrite and its commit.
 */
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "table/append.h"
#include "table/compact.h"
#include "table/datafile_writer.h"
#include "table/scan.h"
#include "table_fixture.h"
#include "test.h"
#include "util/text.h"

typedef fixture_env env;

static const char SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"k\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":4,\"name\":\"v\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"decimal(9,2)\"}]}";

/* A table ns.<name> partitioned by `terms` (NULL: unpartitioned), sorted
 * by id descending when `sorted`. */
static floe_table *make_table(env *e, const char *name, const char *terms, int sorted) {
    floe_err err = {0};
    floe_ice_schema *s = floe_ice_schema_parse(SCHEMA, strlen(SCHEMA), &err);
    CHECK(s != NULL);
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    if (terms) CHECK_OK(floe_ice_spec_parse_terms(terms, s, 0, 999, &spec, &err), &err);
    floe_ice_sort_field sf;
    memset(&sf, 0, sizeof sf);
    sf.source_id = 1;
    sf.descending = 1;
    CHECK_OK(floe_ice_transform_parse("identity", &sf.transform, &err), &err);
    floe_ice_sort_order order = {1, &sf, 1};
    floe_table_create req = {s, terms ? &spec : NULL, sorted ? &order : NULL, NULL, NULL, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    int rc = e->h.catalog->create_table(e->h.catalog, "ns", name, &req, &st, &err);
    CHECK_OK(rc, &err);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(s);
    return rc ? NULL : floe_table_wrap(e->h.catalog, "ns", name, &st);
}

/* Paths of files written by appends (to tell them from compaction's). */
typedef struct paths {
    char **v;
    int n;
} paths;

static void paths_add(paths *p, const char *s) {
    p->v = floe_xrealloc(p->v, sizeof *p->v * (size_t)(p->n + 1));
    p->v[p->n++] = floe_xstrdup(s);
}

static void paths_free(paths *p) {
    for (int i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* Writes the lines through the data-file writer and appends them in one
 * snapshot; the files are added to *written. */
static void append_lines(floe_table *t, const char *const *lines, int n, paths *written) {
    floe_err err = {0};
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &err);
    CHECK(w != NULL);
    if (!w) return;
    for (int i = 0; i < n; i++) CHECK_OK(floe_datafile_writer_write(w, lines[i], strlen(lines[i]), i + 1, &err), &err);
    floe_ice_data_file *files = NULL;
    int nf = 0;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &nf, &err), &err);
    floe_datafile_writer_free(w);
    CHECK_OK(floe_table_append(t, files, nf, NULL, &err), &err);
    for (int i = 0; i < nf; i++) {
        if (written) paths_add(written, files[i].file_path);
        floe_ice_data_file_free(&files[i]);
    }
    free(files);
}

/* Row i of the generated data: partition k cycles a, b, c. */
static void row(int i, char *buf, size_t cap) {
    static const char *const ks[] = {"a", "b", "c"};
    snprintf(buf, cap, "{\"id\":%d,\"k\":\"%s\",\"ts\":\"2026-01-%02dT10:00:%02d\",\"v\":%d.5,\"d\":\"%d.25\"}", i,
             ks[i % 3], 1 + i % 28, i % 60, i * 3, i);
}

/* `commits` appends of `per` rows each, ids from `first`. */
static void append_rows(floe_table *t, int first, int commits, int per, paths *written) {
    char bufs[16][200];
    const char *lines[16];
    for (int c = 0; c < commits; c++) {
        for (int i = 0; i < per && i < 16; i++) {
            row(first + c * per + i, bufs[i], sizeof bufs[i]);
            lines[i] = bufs[i];
        }
        append_lines(t, lines, per < 16 ? per : 16, written);
    }
}

/* The table's rows as one sorted text (a multiset), malloc'd; rows in
 * file order when `sorted` is 0. */
static char *scan_rows(env *e, const char *table, int sorted, floe_scan_result *res) {
    floe_buf out;
    floe_buf_init(&out);
    floe_err err = {0};
    floe_scan_opts o;
    memset(&o, 0, sizeof o);
    floe_scan_result local;
    CHECK_OK(floe_table_scan(&e->h, table, &o, fixture_collect, &out, res ? res : &local, &err), &err);
    char *text = floe_xstrndup(out.data ? (const char *)out.data : "", out.len);
    floe_buf_free(&out);
    if (!sorted) return text;
    int n = 0, cap = 64;
    char **lines = floe_xmalloc(sizeof *lines * (size_t)cap);
    for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
        if (n == cap) lines = floe_xrealloc(lines, sizeof *lines * (size_t)(cap *= 2));
        lines[n++] = s;
    }
    qsort(lines, (size_t)n, sizeof *lines, fixture_cmp_str);
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_reserve(&b, 1);
    for (int i = 0; i < n; i++) {
        floe_buf_puts(&b, lines[i]);
        floe_buf_putc(&b, '\n');
    }
    free(lines);
    free(text);
    char *r = floe_xstrndup((const char *)b.data, b.len);
    floe_buf_free(&b);
    return r;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Live entries of the current snapshot. */
typedef struct live {
    floe_ice_manifest_entry *e;
    int n;
} live;

static void live_load(floe_table *t, live *l) {
    memset(l, 0, sizeof *l);
    floe_err err = {0};
    CHECK_OK(floe_table_reload(t, &err), &err);
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    if (!s) return;
    floe_ice_manifest_file *mfs;
    int nm;
    CHECK_OK(floe_table_manifests(t, s, &mfs, &nm, &err), &err);
    for (int i = 0; i < nm; i++) {
        floe_ice_manifest_entry *es;
        int ne;
        CHECK_OK(floe_table_entries(t, &mfs[i], &es, &ne, &err), &err);
        for (int k = 0; k < ne; k++) {
            if (es[k].status == FLOE_ICE_STATUS_DELETED) {
                floe_ice_manifest_entry_free(&es[k]);
                continue;
            }
            l->e = floe_xrealloc(l->e, sizeof *l->e * (size_t)(l->n + 1));
            l->e[l->n++] = es[k];
        }
        free(es);
    }
    floe_table_manifests_free(mfs, nm);
}

static void live_free(live *l) { floe_table_entries_free(l->e, l->n); }

/* Live data files whose path contains `part` ("k=a"), or all. */
static int live_data_files(const live *l, const char *part) {
    int n = 0;
    for (int i = 0; i < l->n; i++)
        n += l->e[i].file.content == FLOE_ICE_CONTENT_DATA && (!part || strstr(l->e[i].file.file_path, part));
    return n;
}

static int live_delete_files(const live *l) {
    int n = 0;
    for (int i = 0; i < l->n; i++) n += l->e[i].file.content != FLOE_ICE_CONTENT_DATA;
    return n;
}

static const char *summary(floe_table *t, const char *key) {
    const floe_ice_snapshot *s = floe_ice_metadata_current(floe_table_meta(t));
    const char *v = s ? floe_props_get(&s->summary, key) : NULL;
    return v ? v : "(none)";
}

/* Every .parquet file under dir that is neither live nor in `keep`. */
static int orphans_in(const char *dir, const live *l, const paths *keep) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            n += orphans_in(path, l, keep);
            continue;
        }
        if (!strstr(de->d_name, ".parquet")) continue;
        int known = 0;
        for (int i = 0; i < l->n && !known; i++) known = strstr(l->e[i].file.file_path, path) != NULL;
        for (int i = 0; i < keep->n && !known; i++) known = strstr(keep->v[i], path) || strstr(path, keep->v[i]);
        if (!known) {
            fprintf(stderr, "  orphan: %s\n", path);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* ---- compaction of many small appends ------------------------------------------- */

TEST(compact_small_appends) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "ev", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 12, 6, NULL); /* 12 commits, each with 2 rows in each of a, b, c */
    floe_scan_result res;
    char *before = scan_rows(&e, "ns.ev", 1, &res);
    CHECK_EQ_INT(count_lines(before), 72);
    live l;
    live_load(t, &l);
    CHECK_EQ_INT(live_data_files(&l, "k=a"), 12);
    CHECK_EQ_INT(live_data_files(&l, NULL), 36);
    live_free(&l);
    int64_t start_seq = floe_ice_metadata_current(floe_table_meta(t))->sequence_number;
    int64_t total_size_before = floe_props_get_int(&floe_ice_metadata_current(floe_table_meta(t))->summary,
                                                   "total-files-size", -1);
    CHECK(total_size_before > 0);

    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, NULL, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 3);
    CHECK_EQ_INT(r.groups_committed, 3);
    CHECK_EQ_INT(r.groups_skipped, 0);
    CHECK_EQ_INT(r.snapshots, 3);
    CHECK_EQ_INT(r.files_rewritten, 36);
    CHECK_EQ_INT(r.files_written, 3);
    CHECK_EQ_INT(r.rows_read, 72);
    CHECK_EQ_INT(r.rows_written, 72);
    CHECK(r.bytes_read > r.bytes_written);

    char *after = scan_rows(&e, "ns.ev", 1, &res);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(res.files, 3);
    live_load(t, &l);
    CHECK_EQ_INT(live_data_files(&l, "k=a"), 1);
    CHECK_EQ_INT(live_data_files(&l, "k=b"), 1);
    CHECK_EQ_INT(live_data_files(&l, NULL), 3);
    /* The new files carry the planned snapshot's data sequence number. */
    for (int i = 0; i < l.n; i++) {
        CHECK(l.e[i].has_sequence_number);
        CHECK_EQ_INT(l.e[i].sequence_number, start_seq);
        CHECK(l.e[i].file_sequence_number > start_seq);
    }
    live_free(&l);
    /* The last group's summary (one partition: 12 files of 2 rows into 1). */
    CHECK_EQ_STR(summary(t, "operation"), "replace");
    CHECK_EQ_STR(summary(t, "deleted-data-files"), "12");
    CHECK_EQ_STR(summary(t, "added-data-files"), "1");
    CHECK_EQ_STR(summary(t, "deleted-records"), "24");
    CHECK_EQ_STR(summary(t, "added-records"), "24");
    CHECK_EQ_STR(summary(t, "changed-partition-count"), "1");
    CHECK_EQ_STR(summary(t, "total-data-files"), "3");
    CHECK_EQ_STR(summary(t, "total-records"), "72");
    CHECK_EQ_STR(summary(t, "total-delete-files"), "0");
    int64_t total_size = floe_props_get_int(&floe_ice_metadata_current(floe_table_meta(t))->summary,
                                            "total-files-size", -1);
    CHECK_EQ_INT(total_size, total_size_before - r.bytes_read + r.bytes_written);
    CHECK(floe_props_get(&floe_ice_metadata_current(floe_table_meta(t))->summary, FLOE_COMMIT_ID_KEY) != NULL);

    /* A second run finds nothing to do. */
    CHECK_OK(floe_table_compact(t, NULL, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 0);
    CHECK_EQ_INT(r.snapshots, 0);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* Options: min files, partition filter, target size, max bytes, progress. */
typedef struct prog {
    int calls;
    int64_t last_done, total;
} prog;

static int on_progress(void *ctx, const char *what, int64_t done, int64_t total) {
    prog *p = ctx;
    CHECK_EQ_STR(what, "bytes");
    CHECK(done >= p->last_done);
    CHECK(done <= total);
    p->calls++;
    p->last_done = done;
    p->total = total;
    return 0;
}

TEST(compact_options) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "op", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 4, 3, NULL); /* 4 files per partition */
    char *before = scan_rows(&e, "ns.op", 1, NULL);
    floe_compact_result r;
    floe_err err = {0};
    /* Below the default minimum of 5 files: nothing. */
    CHECK_OK(floe_table_compact(t, NULL, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 0);
    /* One partition only. */
    floe_compact_opts o;
    memset(&o, 0, sizeof o);
    o.min_input_files = 2;
    o.partition_filter = "k=b";
    prog p = {0, 0, 0};
    o.progress = on_progress;
    o.progress_ctx = &p;
    CHECK_OK(floe_table_compact(t, &o, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 1);
    CHECK_EQ_INT(r.files_rewritten, 4);
    CHECK(p.calls >= 2);
    CHECK_EQ_INT(p.last_done, p.total);
    CHECK_EQ_INT(p.total, r.bytes_read);
    live l;
    live_load(t, &l);
    CHECK_EQ_INT(live_data_files(&l, "k=a"), 4);
    CHECK_EQ_INT(live_data_files(&l, "k=b"), 1);
    live_free(&l);
    /* A small target makes bins of 2 files; max bytes lets one group run. */
    o.partition_filter = "k=a";
    int64_t one = 0;
    live_load(t, &l);
    for (int i = 0; i < l.n; i++)
        if (strstr(l.e[i].file.file_path, "k=a") && l.e[i].file.file_size_in_bytes > one)
            one = l.e[i].file.file_size_in_bytes;
    live_free(&l);
    o.target_file_bytes = 2 * one + 1;
    p.calls = 0;
    p.last_done = 0;
    o.small_file_bytes = one + 1;
    o.max_input_bytes = 2 * one + 1;
    CHECK_OK(floe_table_compact(t, &o, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 2);
    CHECK_EQ_INT(r.groups_committed, 1);
    CHECK_EQ_INT(r.files_rewritten, 2);
    CHECK(r.bytes_read <= o.max_input_bytes);
    live_load(t, &l);
    CHECK_EQ_INT(live_data_files(&l, "k=a"), 3);
    live_free(&l);
    char *after = scan_rows(&e, "ns.op", 1, NULL);
    CHECK_EQ_STR(after, before);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- files of older schemas: projection by field id ----------------------------- */

TEST(compact_evolved_schema) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "evo", NULL, 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 3, 2, NULL);
    /* Rename v -> value, drop d, add "note": old files keep their names. */
    fixture_evolve(t,
           "{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
           "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
           "{\"id\":2,\"name\":\"k\",\"required\":false,\"type\":\"string\"},"
           "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
           "{\"id\":4,\"name\":\"value\",\"required\":false,\"type\":\"double\"},"
           "{\"id\":6,\"name\":\"note\",\"required\":false,\"type\":\"string\"}]}",
           6);
    const char *lines[] = {"{\"id\":100,\"k\":\"z\",\"value\":1.25,\"note\":\"new\"}",
                           "{\"id\":101,\"k\":\"z\",\"value\":-0.5}"};
    append_lines(t, lines, 2, NULL);
    append_lines(t, lines, 1, NULL);
    char *before = scan_rows(&e, "ns.evo", 1, NULL);
    CHECK(strstr(before, "{\"id\":0,\"k\":\"a\",\"ts\":\"2026-01-01T10:00:00.000000\",\"value\":0.5,\"note\":null}") != NULL);
    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, NULL, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.files_rewritten, 5);
    CHECK_EQ_INT(r.files_written, 1);
    char *after = scan_rows(&e, "ns.evo", 1, NULL);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(count_lines(after), 9);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- sorting ------------------------------------------------------------------ */

TEST(compact_sorted) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "srt", NULL, 1);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 6, 5, NULL);
    const char *nul[] = {"{\"k\":\"n\"}"};
    append_lines(t, nul, 1, NULL);
    char *before = scan_rows(&e, "ns.srt", 1, NULL);
    floe_compact_opts o;
    memset(&o, 0, sizeof o);
    o.sort = 1;
    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, &o, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.files_written, 1);
    char *after = scan_rows(&e, "ns.srt", 1, NULL);
    CHECK_EQ_STR(after, before);
    /* In file order: ids descending, the null id last (nulls-last). */
    char *ordered = scan_rows(&e, "ns.srt", 0, NULL);
    CHECK(strncmp(ordered, "{\"id\":29,", 9) == 0);
    CHECK(strstr(ordered, "{\"id\":1,") < strstr(ordered, "{\"id\":0,"));
    CHECK(strstr(ordered, "{\"id\":10,") < strstr(ordered, "{\"id\":9,"));
    CHECK(strstr(ordered, "{\"id\":null,") > strstr(ordered, "{\"id\":0,"));
    free(before);
    free(after);
    free(ordered);
    /* A table without a sort order cannot be sorted. */
    floe_table *u = make_table(&e, "uns", NULL, 0);
    if (u) {
        CHECK(floe_table_compact(u, &o, NULL, NULL, &r, &err) == -1);
        CHECK(strstr(err.msg, "no sort order") != NULL);
        floe_table_free(u);
    }
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- concurrency ------------------------------------------------------------- */

typedef struct race {
    env *e;
    const char *table;
    int at_group;
    int kind;          /* 0 append, 1 compact the same partition, 2 equality delete, 3 position delete */
    paths *written;
    const char *victim; /* kind 3: the data file to delete a row of */
    int ran;
} race;


static int racer(void *ctx, int group, floe_err *err) {
    race *rc = ctx;
    if (group != rc->at_group) return 0;
    rc->ran++;
    char *ns = NULL, *name = NULL;
    CHECK_OK(floe_table_ident_split(rc->table, &ns, &name, err), err);
    floe_table *other = floe_table_load(rc->e->h.catalog, ns, name, err);
    free(ns);
    free(name);
    CHECK(other != NULL);
    if (!other) return -1;
    if (rc->kind == 0) {
        const char *lines[] = {"{\"id\":1000,\"k\":\"a\"}", "{\"id\":1001,\"k\":\"b\"}"};
        append_lines(other, lines, 2, rc->written);
    } else if (rc->kind == 1) {
        floe_compact_opts o;
        memset(&o, 0, sizeof o);
        o.partition_filter = "k=a";
        floe_compact_result r;
        CHECK_OK(floe_table_compact(other, &o, NULL, NULL, &r, err), err);
        CHECK_EQ_INT(r.groups_committed, 1);
    } else {
        floe_ice_data_file d;
        int64_t v = rc->kind == 2 ? 7 : 0;
        /* Equality deletes go to partition k=b (id 7's); position deletes to the victim's. */
        live l;
        live_load(other, &l);
        const floe_ice_data_file *like = NULL;
        for (int i = 0; i < l.n && !like; i++)
            if (strstr(l.e[i].file.file_path, rc->kind == 2 ? "k=b" : rc->victim)) like = &l.e[i].file;
        CHECK(like != NULL);
        if (like) {
            const char *fp[] = {rc->victim};
            fixture_write_delete_file(other, rc->kind == 2 ? "race-eq.parquet" : "race-pos.parquet",
                              rc->kind == 2 ? NULL : fp, &v, 1, like, &d);
            fixture_commit_deletes(other, &d, 1);
            floe_ice_data_file_free(&d);
        }
        live_free(&l);
    }
    floe_table_free(other);
    return 0;
}

TEST(compact_concurrent_append) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "ca", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 6, 3, NULL);
    char *before = scan_rows(&e, "ns.ca", 1, NULL);
    paths extra = {0};
    race rc = {&e, "ns.ca", 0, 0, &extra, NULL, 0};
    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, NULL, racer, &rc, &r, &err), &err);
    CHECK_EQ_INT(rc.ran, 1);
    CHECK_EQ_INT(r.groups_committed, 3);
    CHECK_EQ_INT(r.groups_skipped, 0);
    char *after = scan_rows(&e, "ns.ca", 1, NULL);
    CHECK_EQ_INT(count_lines(after), count_lines(before) + 2);
    CHECK(strstr(after, "{\"id\":1000,") != NULL);
    CHECK(strstr(after, "{\"id\":1001,") != NULL);
    CHECK(strstr(after, "{\"id\":1000,") == strstr(after, "{\"id\":100")); /* once */
    live l;
    live_load(t, &l);
    /* The appended files are still there, next to one file per partition. */
    CHECK_EQ_INT(live_data_files(&l, NULL), 5);
    for (int i = 0; i < extra.n; i++) {
        int found = 0;
        for (int k = 0; k < l.n; k++) found |= strcmp(l.e[k].file.file_path, extra.v[i]) == 0;
        CHECK(found);
    }
    live_free(&l);
    CHECK_EQ_STR(summary(t, "total-records"), "20");
    paths_free(&extra);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(compact_concurrent_removal) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "cr", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    paths orig = {0};
    append_rows(t, 0, 6, 3, &orig);
    char *before = scan_rows(&e, "ns.cr", 1, NULL);
    race rc = {&e, "ns.cr", 0, 1, NULL, NULL, 0};
    floe_compact_result r;
    floe_err err = {0};
    /* Group 0 is k=a; the racer compacts k=a first. */
    CHECK_OK(floe_table_compact(t, NULL, racer, &rc, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 3);
    CHECK_EQ_INT(r.groups_skipped, 1);
    CHECK_EQ_INT(r.groups_committed, 2);
    CHECK_EQ_INT(r.snapshots, 2);
    char *after = scan_rows(&e, "ns.cr", 1, NULL);
    CHECK_EQ_STR(after, before);
    live l;
    live_load(t, &l);
    CHECK_EQ_INT(live_data_files(&l, NULL), 3);
    /* What the given-up group wrote is gone: every data file on disk is
     * live or one the appends wrote (replaced, kept until expiry). */
    char data[256];
    snprintf(data, sizeof data, "%s/data", floe_table_meta(t)->location);
    CHECK_EQ_INT(orphans_in(floe_uri_local_path(data), &l, &orig), 0);
    live_free(&l);
    paths_free(&orig);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* ---- deletes ------------------------------------------------------------------ */

/* A data file of partition `part` among the live entries (the first). */
static const floe_ice_data_file *file_of(const live *l, const char *part) {
    for (int i = 0; i < l->n; i++)
        if (l->e[i].file.content == FLOE_ICE_CONTENT_DATA && strstr(l->e[i].file.file_path, part))
            return &l->e[i].file;
    return NULL;
}

TEST(compact_applies_deletes) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "del", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 4, 6, NULL); /* ids 0..23; k=a: 0,3,6,...; k=b: 1,4,7,... */
    live l;
    live_load(t, &l);
    const floe_ice_data_file *fa = file_of(&l, "k=a"), *fb = file_of(&l, "k=b");
    CHECK(fa && fb);
    if (!fa || !fb) {
        live_free(&l);
        floe_table_free(t);
        fixture_env_free(&e);
        return;
    }
    /* Position deletes: rows 0 and 1 of one k=a file; equality deletes of
     * ids 4 and 10 in k=b. */
    floe_ice_data_file d[2];
    const char *fp[] = {fa->file_path, fa->file_path};
    int64_t pos[] = {0, 1};
    fixture_write_delete_file(t, "pos.parquet", fp, pos, 2, fa, &d[0]);
    int64_t ids[] = {4, 10};
    fixture_write_delete_file(t, "eq.parquet", NULL, ids, 2, fb, &d[1]);
    live_free(&l);
    fixture_commit_deletes(t, d, 2);
    floe_ice_data_file_free(&d[0]);
    floe_ice_data_file_free(&d[1]);
    /* Newer rows with a deleted id stay: the delete is older than them. */
    const char *newer[] = {"{\"id\":4,\"k\":\"b\",\"v\":99}"};
    append_lines(t, newer, 1, NULL);
    floe_scan_result res;
    char *before = scan_rows(&e, "ns.del", 1, &res);
    CHECK_EQ_INT(res.delete_files, 2);
    CHECK_EQ_INT(count_lines(before), 25 - 4);
    CHECK(strstr(before, "\"v\":99") != NULL);

    floe_compact_opts o;
    memset(&o, 0, sizeof o);
    o.min_input_files = 2;
    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, &o, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups_committed, 3);
    CHECK_EQ_INT(r.delete_files_removed, 2);
    CHECK_EQ_INT(r.rows_read, 25);
    CHECK_EQ_INT(r.rows_written, 21);
    char *after = scan_rows(&e, "ns.del", 1, &res);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(res.delete_files, 0);
    CHECK_EQ_INT(res.rows_deleted, 0);
    live_load(t, &l);
    CHECK_EQ_INT(live_delete_files(&l), 0);
    CHECK_EQ_INT(live_data_files(&l, NULL), 3);
    live_free(&l);
    CHECK_EQ_STR(summary(t, "total-delete-files"), "0");
    CHECK_EQ_STR(summary(t, "total-position-deletes"), "0");
    CHECK_EQ_STR(summary(t, "total-equality-deletes"), "0");
    CHECK_EQ_STR(summary(t, "total-records"), "21");
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* A delete file that still applies to a file compaction leaves alone
 * (too big to be a candidate) stays. */
TEST(compact_keeps_needed_deletes) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "keep", NULL, 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    floe_err err = {0};
    floe_datafile_writer *w = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, &err);
    CHECK(w != NULL);
    char line[200];
    for (int i = 0; w && i < 400; i++) {
        row(1000 + i, line, sizeof line);
        CHECK_OK(floe_datafile_writer_write(w, line, strlen(line), i + 1, &err), &err);
    }
    floe_ice_data_file *files = NULL;
    int nf = 0;
    CHECK_OK(floe_datafile_writer_finish(w, &files, &nf, &err), &err);
    floe_datafile_writer_free(w);
    CHECK_OK(floe_table_append(t, files, nf, NULL, &err), &err);
    int64_t bigsize = nf > 0 ? files[0].file_size_in_bytes : 0;
    for (int i = 0; i < nf; i++) floe_ice_data_file_free(&files[i]);
    free(files);
    append_rows(t, 0, 3, 4, NULL);
    live l;
    live_load(t, &l);
    CHECK_EQ_INT(l.n, 4);
    floe_ice_data_file d;
    int64_t ids[] = {1, 5, 1000};
    fixture_write_delete_file(t, "eq.parquet", NULL, ids, 3, &l.e[0].file, &d);
    live_free(&l);
    fixture_commit_deletes(t, &d, 1);
    floe_ice_data_file_free(&d);
    floe_scan_result res;
    char *before = scan_rows(&e, "ns.keep", 1, &res);
    CHECK_EQ_INT(res.rows_deleted, 3);
    floe_compact_opts o;
    memset(&o, 0, sizeof o);
    o.min_input_files = 2;
    o.small_file_bytes = bigsize;
    o.target_file_bytes = bigsize * 4;
    floe_compact_result r;
    CHECK_OK(floe_table_compact(t, &o, NULL, NULL, &r, &err), &err);
    CHECK_EQ_INT(r.files_rewritten, 3);
    CHECK_EQ_INT(r.rows_written, 10);
    CHECK_EQ_INT(r.delete_files_removed, 0);
    char *after = scan_rows(&e, "ns.keep", 1, &res);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(res.delete_files, 1);
    CHECK_EQ_INT(res.rows_deleted, 1); /* only id 1000 of the big file now */
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

/* Deletes committed while a group is rewritten: an equality delete still
 * applies to the new files (their data sequence number is the plan's); a
 * position delete naming an input makes the group give up. */
TEST(compact_concurrent_deletes) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "cd", "identity(k)", 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    paths orig = {0};
    append_rows(t, 0, 6, 3, &orig); /* id 7 is in k=b, group 1 */
    char *before = scan_rows(&e, "ns.cd", 1, NULL);
    CHECK(strstr(before, "{\"id\":7,") != NULL);
    race rc = {&e, "ns.cd", 1, 2, NULL, NULL, 0};
    floe_compact_result r;
    floe_err err = {0};
    CHECK_OK(floe_table_compact(t, NULL, racer, &rc, &r, &err), &err);
    CHECK_EQ_INT(rc.ran, 1);
    CHECK_EQ_INT(r.groups_committed, 3);
    floe_scan_result res;
    char *after = scan_rows(&e, "ns.cd", 1, &res);
    CHECK(strstr(after, "{\"id\":7,") == NULL);
    CHECK_EQ_INT(count_lines(after), count_lines(before) - 1);
    CHECK_EQ_INT(res.rows_deleted, 1);
    CHECK_EQ_INT(res.delete_files, 1);

    /* Now a position delete on an input of group 0 (k=a) while it runs. */
    append_rows(t, 100, 6, 3, &orig);
    live l;
    live_load(t, &l);
    for (int i = 0; i < l.n; i++) paths_add(&orig, l.e[i].file.file_path);
    const floe_ice_data_file *victim = NULL;
    for (int i = 0; i < l.n && !victim; i++)
        if (strstr(l.e[i].file.file_path, "k=a") && l.e[i].file.record_count == 1) victim = &l.e[i].file;
    CHECK(victim != NULL);
    char *vpath = floe_xstrdup(victim ? victim->file_path : "");
    live_free(&l);
    char *mid = scan_rows(&e, "ns.cd", 1, NULL);
    race rc2 = {&e, "ns.cd", 0, 3, NULL, vpath, 0};
    CHECK_OK(floe_table_compact(t, NULL, racer, &rc2, &r, &err), &err);
    CHECK_EQ_INT(rc2.ran, 1);
    CHECK_EQ_INT(r.groups_skipped, 1);
    CHECK_EQ_INT(r.groups_committed, 2);
    char *end = scan_rows(&e, "ns.cd", 1, NULL);
    CHECK_EQ_INT(count_lines(end), count_lines(mid) - 1);
    live_load(t, &l);
    char data[256];
    snprintf(data, sizeof data, "%s/data", floe_table_meta(t)->location);
    paths_add(&orig, "race-eq.parquet");
    paths_add(&orig, "race-pos.parquet");
    CHECK_EQ_INT(orphans_in(floe_uri_local_path(data), &l, &orig), 0);
    live_free(&l);
    free(vpath);
    free(mid);
    free(end);
    paths_free(&orig);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

static void unknown_case(int apply) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "unk", NULL, 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    append_rows(t, 0, 6, 2, NULL);
    int snaps_before = floe_table_meta(t)->nsnapshots;
    floe_table_free(t);
    char *before = scan_rows(&e, "ns.unk", 1, NULL);
    fixture_flaky f;
    fixture_flaky_init(&f, e.h.catalog, apply);
    floe_err err = {0};
    t = floe_table_load(&f.base, "ns", "unk", &err);
    CHECK(t != NULL);
    if (!t) {
        free(before);
        fixture_env_free(&e);
        return;
    }
    floe_compact_result r;
    CHECK_OK(floe_table_compact(t, NULL, NULL, NULL, &r, &err), &err);
    /* applied: found by its commit id, not committed again; not applied:
     * committed by the retry.  One replace either way. */
    CHECK_EQ_INT(f.commits, apply ? 1 : 2);
    CHECK_EQ_INT(r.groups_committed, 1);
    CHECK_EQ_INT(floe_table_meta(t)->nsnapshots, snaps_before + 1);
    CHECK_EQ_STR(summary(t, "operation"), "replace");
    char *after = scan_rows(&e, "ns.unk", 1, NULL);
    CHECK_EQ_STR(after, before);
    free(before);
    free(after);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST(compact_unknown_outcome_applied) { unknown_case(1); }
TEST(compact_unknown_outcome_not_applied) { unknown_case(0); }

TEST(compact_public_api) {
    env e;
    if (fixture_env_init(&e, "compact", 1)) return;
    floe_table *t = make_table(&e, "pub", NULL, 0);
    if (!t) {
        fixture_env_free(&e);
        return;
    }
    floe_compact_result r;
    floe_err err = {0};
    /* An empty table: nothing to do. */
    CHECK_OK(floe_compact(&e.h, "ns.pub", NULL, &r, &err), &err);
    CHECK_EQ_INT(r.groups, 0);
    append_rows(t, 0, 5, 2, NULL);
    CHECK_OK(floe_compact(&e.h, "ns.pub", NULL, &r, &err), &err);
    CHECK_EQ_INT(r.files_rewritten, 5);
    CHECK(floe_compact(&e.h, "ns.nope", NULL, &r, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    floe_table_free(t);
    fixture_env_free(&e);
}

TEST_MAIN(T(compact_small_appends), T(compact_options), T(compact_evolved_schema), T(compact_sorted),
          T(compact_concurrent_append), T(compact_concurrent_removal), T(compact_applies_deletes),
          T(compact_keeps_needed_deletes), T(compact_concurrent_deletes), T(compact_unknown_outcome_applied),
          T(compact_unknown_outcome_not_applied), T(compact_public_api))
