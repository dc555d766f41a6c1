/*
 * table_deletes.c — adds row-level deletes to a table from the command
 * line, for tests/integration/compact_cli.mjs (floe's CLI writes no delete
 * files): one snapshot with a position delete file removing the first N
 * rows of the table's first live data file, and one equality delete file
 * per partition of the live data files removing the given values of field
 * id 1 (each applies in its own partition, as the spec's scope rules say).
 *
 *   table-deletes CATALOG-URI WAREHOUSE NS.TABLE POSITIONS ID[,ID...]
 *
 * Prints {"data-file": PATH, "positions": N, "delete-files": K}: the data
 * file the position deletes name (the test learns its rows from another
 * reader).  Exit 0 on success; 1 with "table-deletes: <message>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "io/fileio.h"
#include "table/snapshot_write.h"

static int fail(const char *what, const floe_err *err) {
    fprintf(stderr, "table-deletes: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
    return 1;
}

static void copy_partition(floe_ice_data_file *out, const floe_ice_data_file *like) {
    out->spec_id = like->spec_id;
    out->npartition = like->npartition;
    out->partition = floe_xcalloc((size_t)like->npartition + 1, sizeof *out->partition);
    for (int k = 0; k < like->npartition; k++) {
        out->partition[k] = like->partition[k];
        out->partition[k].p = NULL;
        if (like->partition[k].p && like->partition[k].n) {
            uint8_t *c = floe_xmalloc(like->partition[k].n);
            memcpy(c, like->partition[k].p, like->partition[k].n);
            out->partition[k].p = c;
        }
    }
}

/* Writes a delete file at <location>/data/<name>: positions 0..n-1 of
 * `path`, or (path NULL) the ids. */
static int write_deletes(floe_table *t, const char *name, const char *path, const int64_t *ids, int n,
                         const floe_ice_data_file *like, floe_ice_data_file *out, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    char uri[2048];
    snprintf(uri, sizeof uri, "%s/data/%s", m->location, name);
    floe_pq_schema *s = floe_pq_schema_new("table");
    if (path) {
        floe_pq_node *p = floe_pq_node_leaf(s->root, "file_path", FLOE_PQ_REQUIRED, FLOE_PQ_BYTE_ARRAY, 2147483546);
        p->logical.kind = FLOE_PQ_LT_STRING;
        p->converted = FLOE_PQ_CT_UTF8;
        floe_pq_node_leaf(s->root, "pos", FLOE_PQ_REQUIRED, FLOE_PQ_INT64, 2147483545);
    } else {
        floe_pq_node_leaf(s->root, "id", FLOE_PQ_OPTIONAL, FLOE_PQ_INT64, 1);
    }
    int rc = floe_pq_schema_finish(s, err);
    floe_pq_writer *w = rc ? NULL : floe_pq_writer_open_file(s, NULL, floe_uri_local_path(uri), err);
    if (!w) rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (path) {
            floe_pq_write_bytes(w, 0, path, (uint32_t)strlen(path), 0);
            floe_pq_write_i64(w, 1, i, 0);
        } else {
            floe_pq_write_i64(w, 0, ids[i], 0);
        }
        rc = floe_pq_writer_end_row(w, err);
    }
    if (rc == 0) rc = floe_pq_writer_close(w, err);
    memset(out, 0, sizeof *out);
    out->content = path ? FLOE_ICE_CONTENT_POSITION_DELETES : FLOE_ICE_CONTENT_EQUALITY_DELETES;
    out->file_path = floe_xstrdup(uri);
    out->file_format = floe_xstrdup("PARQUET");
    out->record_count = n;
    out->file_size_in_bytes = w ? (int64_t)floe_pq_writer_bytes(w) : 0;
    copy_partition(out, like);
    if (!path) {
        out->equality_ids = floe_xcalloc(1, sizeof *out->equality_ids);
        out->equality_ids[0] = 1;
        out->nequality_ids = 1;
    }
    floe_pq_writer_free(w);
    floe_pq_schema_free(s);
    return rc;
}

static int same_partition(const floe_ice_data_file *a, const floe_ice_data_file *b) {
    if (a->spec_id != b->spec_id || a->npartition != b->npartition) return 0;
    for (int k = 0; k < a->npartition; k++) {
        const floe_ice_datum *x = &a->partition[k], *y = &b->partition[k];
        if (x->is_null != y->is_null) return 0;
        if (x->is_null) continue;
        if (x->i != y->i || x->n != y->n || (x->n && memcmp(x->p, y->p, x->n) != 0)) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: table-deletes CATALOG-URI WAREHOUSE NS.TABLE POSITIONS ID[,ID...]\n");
        return 2;
    }
    floe_err err = {0};
    int npos = atoi(argv[4]);
    int64_t ids[64];
    int nids = 0;
    for (char *s = strtok(argv[5], ","); s && nids < 64; s = strtok(NULL, ",")) ids[nids++] = strtoll(s, NULL, 10);
    floe_catalog *c = floe_catalog_open(argv[1], argv[2], NULL, &err);
    if (!c) return fail("opening the catalog", &err);
    char *ns, *name;
    if (floe_table_ident_split(argv[3], &ns, &name, &err)) return fail("table name", &err);
    floe_table *t = floe_table_load(c, ns, name, &err);
    free(ns);
    free(name);
    if (!t) return fail("loading the table", &err);
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *parent = floe_ice_metadata_current(m);
    if (!parent) return fail("the table has no snapshot", NULL);
    floe_ice_manifest_file *mfs;
    int nm;
    if (floe_table_manifests(t, parent, &mfs, &nm, &err)) return fail("reading the manifest list", &err);
    /* The live data files. */
    floe_ice_manifest_entry *live = NULL;
    int nlive = 0;
    for (int i = 0; i < nm; i++) {
        floe_ice_manifest_entry *es;
        int ne;
        if (floe_table_entries(t, &mfs[i], &es, &ne, &err)) return fail("reading a manifest", &err);
        for (int k = 0; k < ne; k++) {
            if (es[k].status == FLOE_ICE_STATUS_DELETED || es[k].file.content != FLOE_ICE_CONTENT_DATA) {
                floe_ice_manifest_entry_free(&es[k]);
                continue;
            }
            live = floe_xrealloc(live, sizeof *live * (size_t)(nlive + 1));
            live[nlive++] = es[k];
        }
        free(es);
    }
    if (nlive == 0) return fail("the table has no data file", NULL);
    if (npos > live[0].file.record_count) npos = (int)live[0].file.record_count;
    floe_ice_data_file *dels = floe_xcalloc((size_t)nlive + 1, sizeof *dels);
    int ndels = 0;
    if (write_deletes(t, "table-deletes-pos.parquet", live[0].file.file_path, NULL, npos, &live[0].file,
                      &dels[ndels++], &err))
        return fail("writing the position deletes", &err);
    for (int i = 0; i < nlive; i++) {
        int seen = 0;
        for (int k = 0; k < i && !seen; k++) seen = same_partition(&live[k].file, &live[i].file);
        if (seen) continue;
        char fname[64];
        snprintf(fname, sizeof fname, "table-deletes-eq-%d.parquet", ndels);
        if (write_deletes(t, fname, NULL, ids, nids, &live[i].file, &dels[ndels++], &err))
            return fail("writing equality deletes", &err);
    }
    /* One delete manifest per spec would be needed with several specs;
     * the test's table has one. */
    int64_t id = floe_snapshot_new_id(m), seq = m->last_sequence_number + 1;
    floe_ice_manifest_entry *es = floe_xcalloc((size_t)ndels, sizeof *es);
    for (int i = 0; i < ndels; i++) {
        es[i].status = FLOE_ICE_STATUS_ADDED;
        es[i].file = dels[i];
    }
    mfs = floe_xrealloc(mfs, sizeof *mfs * (size_t)(nm + 1));
    memmove(mfs + 1, mfs, sizeof *mfs * (size_t)nm);
    nm++;
    floe_buf mbuf, lbuf, path;
    floe_buf_init(&mbuf);
    floe_buf_init(&lbuf);
    floe_buf_init(&path);
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, dels[0].spec_id);
    if (floe_ice_manifest_write(m, spec, FLOE_ICE_MANIFEST_DELETES, id, es, ndels, &mbuf, &mfs[0], &err))
        return fail("writing the delete manifest", &err);
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/table-deletes-%lld-m0.avro", (long long)id);
    mfs[0].manifest_path = floe_xstrdup(floe_buf_cstr(&path));
    if (t->io->write(t->io, mfs[0].manifest_path, mbuf.data, mbuf.len, 1, &err))
        return fail("writing the delete manifest", &err);
    if (floe_ice_manifest_list_write(m->format_version, id, 1, parent->snapshot_id, seq, mfs, nm, &lbuf, &err))
        return fail("writing the manifest list", &err);
    path.len = 0;
    floe_snapshot_metadata_dir(m, &path);
    floe_buf_printf(&path, "/snap-%lld-1-table-deletes.avro", (long long)id);
    if (t->io->write(t->io, floe_buf_cstr(&path), lbuf.data, lbuf.len, 1, &err))
        return fail("writing the manifest list", &err);
    floe_props summary;
    floe_props_init(&summary);
    floe_props_set(&summary, "operation", "delete");
    floe_snapshot_put_count(&summary, "added-delete-files", ndels);
    if (floe_snapshot_commit(t, "main", parent, id, seq, floe_buf_cstr(&path), &summary, &err))
        return fail("committing", &err);
    printf("{\"data-file\":\"%s\",\"positions\":%d,\"delete-files\":%d}\n", live[0].file.file_path, npos, ndels);
    floe_props_free(&summary);
    floe_buf_free(&mbuf);
    floe_buf_free(&lbuf);
    floe_buf_free(&path);
    free(es);
    for (int i = 0; i < ndels; i++) floe_ice_data_file_free(&dels[i]);
    free(dels);
    floe_table_entries_free(live, nlive);
    floe_table_manifests_free(mfs, nm);
    floe_table_free(t);
    floe_catalog_free(c);
    return 0;
}
