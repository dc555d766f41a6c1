/*
 * snapshot_write.c — the pieces shared by operations that add a snapshot
 * (see snapshot_write.h): append.c and compact.c build their manifests
 * and manifest lists themselves and use these for the rest.
 */
#include "table/snapshot_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "util/text.h"

#define DEFAULT_RETRIES 10
#define DEFAULT_MIN_WAIT_MS 100
#define DEFAULT_MAX_WAIT_MS 60000

int64_t floe_snapshot_random_id(void) {
    for (;;) {
        char text[37];
        uint8_t b[16];
        floe_ice_uuid_random(text);
        floe_parse_uuid(text, 36, b);
        uint64_t hi = 0, lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | b[i];
            lo = lo << 8 | b[8 + i];
        }
        int64_t id = (int64_t)((hi ^ lo) & (uint64_t)INT64_MAX);
        if (id != 0) return id;
    }
}

int64_t floe_snapshot_new_id(const floe_ice_metadata *m) {
    int64_t id;
    do id = floe_snapshot_random_id();
    while (floe_ice_metadata_snapshot(m, id) != NULL);
    return id;
}

void floe_snapshot_metadata_dir(const floe_ice_metadata *m, floe_buf *out) {
    const char *dir = floe_props_get(&m->properties, "write.metadata.path");
    if (dir && *dir) {
        floe_buf_puts(out, dir);
        while (out->len > 0 && out->data[out->len - 1] == '/') out->len--;
    } else {
        floe_buf_printf(out, "%s/metadata", m->location);
    }
}

const floe_ice_snapshot *floe_snapshot_branch_head(const floe_ice_metadata *m, const char *branch) {
    const floe_ice_ref *r = floe_ice_metadata_ref(m, branch);
    return r ? floe_ice_metadata_snapshot(m, r->snapshot_id) : NULL;
}

/* ---- summary ----------------------------------------------------------------------- */

static const char *const TOTAL_KEYS[6] = {"total-records",      "total-files-size",       "total-data-files",
                                          "total-delete-files", "total-position-deletes", "total-equality-deletes"};

int floe_snapshot_parent_totals(floe_table *t, const floe_ice_snapshot *parent, const floe_ice_manifest_file *mfs,
                                int n, floe_snapshot_totals *tot, floe_err *err) {
    memset(tot, 0, sizeof *tot);
    if (!parent) return 0;
    int64_t *slot[6] = {&tot->records, &tot->size, &tot->data_files, &tot->delete_files, &tot->pos_deletes,
                        &tot->eq_deletes};
    int complete = 1;
    for (int k = 0; k < 6; k++) {
        *slot[k] = floe_props_get_int(&parent->summary, TOTAL_KEYS[k], -1);
        if (*slot[k] < 0) complete = 0;
    }
    if (complete) return 0;
    memset(tot, 0, sizeof *tot);
    for (int i = 0; i < n; i++) {
        floe_ice_manifest_entry *es;
        int ne;
        if (floe_table_entries(t, &mfs[i], &es, &ne, err)) return -1;
        for (int k = 0; k < ne; k++) {
            const floe_ice_data_file *f = &es[k].file;
            if (es[k].status == FLOE_ICE_STATUS_DELETED) continue;
            if (f->content == FLOE_ICE_CONTENT_DATA) {
                tot->data_files++;
                tot->records += f->record_count;
            } else {
                tot->delete_files++;
                if (f->content == FLOE_ICE_CONTENT_POSITION_DELETES) tot->pos_deletes += f->record_count;
                else tot->eq_deletes += f->record_count;
            }
            tot->size += f->file_size_in_bytes;
        }
        floe_table_entries_free(es, ne);
    }
    return 0;
}

void floe_snapshot_put_count(floe_props *p, const char *key, int64_t v) {
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    floe_props_set(p, key, s);
}

void floe_snapshot_put_totals(floe_props *p, const floe_snapshot_totals *tot) {
    int64_t v[6] = {tot->records, tot->size, tot->data_files, tot->delete_files, tot->pos_deletes, tot->eq_deletes};
    for (int k = 0; k < 6; k++) floe_snapshot_put_count(p, TOTAL_KEYS[k], v[k]);
}

static int cmp_datum(const floe_ice_datum *x, const floe_ice_datum *y) {
    if (x->is_null != y->is_null) return x->is_null ? -1 : 1;
    if (x->is_null) return 0;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    int c = memcmp(&x->d, &y->d, sizeof x->d);
    if (c) return c;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return x->n ? memcmp(x->p, y->p, x->n) : 0;
}

static int cmp_partition(const void *x, const void *y) {
    const floe_ice_data_file *a = *(const floe_ice_data_file *const *)x, *b = *(const floe_ice_data_file *const *)y;
    if (a->spec_id != b->spec_id) return a->spec_id < b->spec_id ? -1 : 1;
    for (int k = 0; k < a->npartition && k < b->npartition; k++) {
        int c = cmp_datum(&a->partition[k], &b->partition[k]);
        if (c) return c;
    }
    return a->npartition - b->npartition;
}

int64_t floe_snapshot_changed_partitions(const floe_ice_data_file *files, int n) {
    if (n == 0) return 0;
    const floe_ice_data_file **v = floe_xmalloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = &files[i];
    qsort(v, (size_t)n, sizeof *v, cmp_partition);
    int64_t distinct = 1;
    for (int i = 1; i < n; i++)
        if (cmp_partition(&v[i - 1], &v[i]) != 0) distinct++;
    free(v);
    return distinct;
}

/* ---- retries ----------------------------------------------------------------------- */

void floe_snapshot_retry_read(const floe_props *p, floe_snapshot_retry *r) {
    r->retries = (int)floe_props_get_int(p, "commit.retry.num-retries", DEFAULT_RETRIES);
    r->min_wait_ms = floe_props_get_int(p, "commit.retry.min-wait-ms", DEFAULT_MIN_WAIT_MS);
    r->max_wait_ms = floe_props_get_int(p, "commit.retry.max-wait-ms", DEFAULT_MAX_WAIT_MS);
    if (r->retries < 0) r->retries = 0;
}

void floe_snapshot_backoff(int failures, const floe_snapshot_retry *r) {
    int64_t d = r->min_wait_ms, max_ms = r->max_wait_ms;
    for (int i = 1; i < failures && d < max_ms; i++) d *= 2;
    if (d > max_ms) d = max_ms;
    if (d < 0) d = 0;
    int64_t span = d / 10 > 1 ? d / 10 : 1;
    d += (int64_t)((uint64_t)floe_snapshot_random_id() % (uint64_t)span);
    struct timespec ts = {(time_t)(d / 1000), (long)(d % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int floe_snapshot_landed(const floe_ice_metadata *m, const char *branch, const char *commit_id, int64_t stop) {
    const floe_ice_snapshot *s = floe_snapshot_branch_head(m, branch);
    for (int steps = 0; s && s->snapshot_id != stop && steps <= m->nsnapshots; steps++) {
        const char *id = floe_props_get(&s->summary, FLOE_COMMIT_ID_KEY);
        if (id && strcmp(id, commit_id) == 0) return 1;
        s = s->has_parent ? floe_ice_metadata_snapshot(m, s->parent_id) : NULL;
    }
    return 0;
}

/* ---- the commit -------------------------------------------------------------------- */

void floe_snapshot_build(const floe_ice_metadata *m, const char *branch, const floe_ice_snapshot *parent,
                         int64_t snapshot_id, int64_t seq, const char *manifest_list, floe_props *summary,
                         floe_ice_requirement *req, floe_ice_update upd[2]) {
    memset(req, 0, sizeof *req);
    req->kind = FLOE_REQ_ASSERT_REF_SNAPSHOT_ID;
    req->ref = floe_xstrdup(branch);
    req->id = parent ? parent->snapshot_id : -1;
    memset(upd, 0, 2 * sizeof *upd);
    upd[0].kind = FLOE_UPD_ADD_SNAPSHOT;
    floe_ice_snapshot *s = &upd[0].snapshot;
    s->snapshot_id = snapshot_id;
    s->has_parent = parent != NULL;
    s->parent_id = parent ? parent->snapshot_id : 0;
    s->sequence_number = seq;
    s->timestamp_ms = floe_ice_now_ms();
    s->manifest_list = floe_xstrdup(manifest_list);
    s->summary = *summary;
    floe_props_init(summary);
    s->has_schema_id = 1;
    s->schema_id = m->current_schema_id;
    upd[1].kind = FLOE_UPD_SET_SNAPSHOT_REF;
    upd[1].ref.name = floe_xstrdup(branch);
    upd[1].ref.snapshot_id = snapshot_id;
    upd[1].ref.min_snapshots_to_keep = upd[1].ref.max_snapshot_age_ms = upd[1].ref.max_ref_age_ms = -1;
}

int floe_snapshot_commit(floe_table *t, const char *branch, const floe_ice_snapshot *parent, int64_t snapshot_id,
                         int64_t seq, const char *manifest_list, floe_props *summary, floe_err *err) {
    floe_ice_requirement req;
    floe_ice_update upd[2];
    floe_snapshot_build(floe_table_meta(t), branch, parent, snapshot_id, seq, manifest_list, summary, &req, upd);
    floe_table_commit tc = {t->ns, t->name, &req, 1, upd, 2};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    int rc = t->catalog->commit_table(t->catalog, &tc, &st, err);
    if (rc == 0) floe_table_set_state(t, &st);
    floe_ice_requirement_free(&req);
    floe_ice_update_free(&upd[0]);
    floe_ice_update_free(&upd[1]);
    return rc;
}
