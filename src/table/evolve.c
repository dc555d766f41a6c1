/*
 * evolve.c — schema evolution from records (see evolve.h).
 *
 * The record is parsed with jansson (this runs once per new field, not per
 * record: the shredder reports an unknown field, the caller comes here,
 * then writes the record again with the new schema) and walked together
 * with a copy of the current schema.  Field ids continue from the table's
 * last column id, the new field's own id first, then its nested ones, as
 * Java Iceberg assigns them for an added column.  The new schema takes the
 * id one past the highest the table has.
 *
 * The commit asserts the current schema id and the last column id, so two
 * writers that add columns at once cannot both win with different ids for
 * one name: the loser reloads, finds the winner's columns (a name counts as
 * present however the winner's case was), and adds only what is still
 * missing, or nothing.
 */
#include "table/evolve.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/metadata_internal.h"
#include "table/ingest.h"

#define MAX_ATTEMPTS 8

typedef struct walker {
    int ignore_case;
    int32_t next_id;
    int nadded;
    floe_buf *added; /* may be NULL */
    floe_buf path;
} walker;

static floe_ice_field *find_field(const floe_ice_type *st, const char *name, int ignore_case) {
    for (int i = 0; i < st->nfields; i++)
        if (strcmp(st->fields[i]->name, name) == 0) return st->fields[i];
    if (ignore_case)
        for (int i = 0; i < st->nfields; i++)
            if (strcasecmp(st->fields[i]->name, name) == 0) return st->fields[i];
    return NULL;
}

static void walk(walker *w, floe_ice_type *t, const json_t *v);

static void walk_object(walker *w, floe_ice_type *st, const json_t *o) {
    size_t at = w->path.len;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        w->path.len = at;
        if (at) floe_buf_putc(&w->path, '.');
        floe_buf_puts(&w->path, key);
        floe_ice_field *f = find_field(st, key, w->ignore_case);
        if (f) {
            walk(w, f->type, val);
            continue;
        }
        int32_t id = w->next_id++;
        floe_ice_type *t = floe_infer_value_type(val, &w->next_id);
        if (!t) {
            w->next_id = id; /* nothing was taken */
            continue;
        }
        floe_ice_struct_add(st, id, key, 0, t);
        w->nadded++;
        if (w->added) {
            if (w->added->len) floe_buf_putc(w->added, ',');
            floe_buf_append(w->added, w->path.data, w->path.len);
        }
    }
    w->path.len = at;
}

static void walk(walker *w, floe_ice_type *t, const json_t *v) {
    if (t->kind == FLOE_ICE_STRUCT && json_is_object(v)) {
        walk_object(w, t, v);
    } else if (t->kind == FLOE_ICE_LIST && json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) walk(w, t->fields[0]->type, json_array_get(v, i));
    } else if (t->kind == FLOE_ICE_MAP && json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) walk(w, t->fields[1]->type, val);
    }
    /* anything else: a value the shredder converts or rejects; no column to add */
}

/* *out: the current schema of m with the record's missing columns added,
 * or NULL when none is missing.  -1 with err when the result is not a
 * valid schema. */
static int evolved(const floe_ice_metadata *m, const json_t *rec, walker *w, floe_ice_schema **out, floe_err *err) {
    *out = NULL;
    const floe_ice_schema *cur = floe_ice_metadata_schema(m);
    floe_ice_schema *s = floe_ice_schema_copy(cur);
    w->next_id = (m->last_column_id > cur->highest_field_id ? m->last_column_id : cur->highest_field_id) + 1;
    w->nadded = 0;
    if (w->added) w->added->len = 0;
    w->path.len = 0;
    walk_object(w, s->root, rec);
    if (w->nadded == 0) {
        floe_ice_schema_free(s);
        return 0;
    }
    int32_t id = 0;
    for (int i = 0; i < m->nschemas; i++)
        if (m->schemas[i]->schema_id >= id) id = m->schemas[i]->schema_id + 1;
    s->schema_id = id;
    if (floe_ice_schema_validate(s, err)) {
        floe_ice_schema_free(s);
        return floe_err_prefix(err, "evolved schema");
    }
    *out = s;
    return 0;
}

static int commit_schema(floe_table *t, floe_ice_schema *s, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_ice_requirement reqs[2];
    memset(reqs, 0, sizeof reqs);
    reqs[0].kind = FLOE_REQ_ASSERT_CURRENT_SCHEMA_ID;
    reqs[0].id = m->current_schema_id;
    reqs[1].kind = FLOE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID;
    reqs[1].id = m->last_column_id;
    floe_ice_update upds[2];
    memset(upds, 0, sizeof upds);
    for (int i = 0; i < 2; i++) floe_props_init(&upds[i].props);
    upds[0].kind = FLOE_UPD_ADD_SCHEMA;
    upds[0].schema = s; /* owned by the update from here */
    upds[0].last_column_id = s->highest_field_id > m->last_column_id ? s->highest_field_id : m->last_column_id;
    upds[1].kind = FLOE_UPD_SET_CURRENT_SCHEMA;
    upds[1].id = -1;
    floe_table_commit tc = {t->ns, t->name, reqs, 2, upds, 2};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    int rc = t->catalog->commit_table(t->catalog, &tc, &st, err);
    if (rc == 0) floe_table_set_state(t, &st);
    for (int i = 0; i < 2; i++) {
        floe_ice_requirement_free(&reqs[i]);
        floe_ice_update_free(&upds[i]);
    }
    return rc;
}

int floe_table_evolve_for_record(floe_table *t, const char *rec, size_t len, int ignore_case, int *nadded,
                                 floe_buf *added, floe_err *err) {
    *nadded = 0;
    json_error_t jerr;
    json_t *v = json_loadb(rec, len, JSON_ALLOW_NUL, &jerr);
    if (!v || !json_is_object(v)) {
        json_decref(v);
        return floe_err_set(err, FLOE_EINVAL, "%s", v ? "the record is not a JSON object" : jerr.text);
    }
    walker w = {.ignore_case = ignore_case, .added = added};
    floe_buf_init(&w.path);
    int rc = -1;
    for (int attempt = 1;; attempt++) {
        floe_err e;
        floe_ice_schema *s;
        if (evolved(floe_table_meta(t), v, &w, &s, &e)) {
            *err = e;
            break;
        }
        if (!s) {
            rc = 0;
            break;
        }
        int n = w.nadded;
        if (commit_schema(t, s, &e) == 0) {
            *nadded = n;
            rc = 0;
            break;
        }
        if (e.code != FLOE_ECONFLICT || attempt == MAX_ATTEMPTS) {
            *err = e;
            if (e.code == FLOE_ECONFLICT)
                floe_err_prefix(err, "adding columns to %s.%s: %d attempts lost to other commits", t->ns, t->name,
                                attempt);
            break;
        }
        if (floe_table_reload(t, err)) break;
    }
    floe_buf_free(&w.path);
    json_decref(v);
    return rc;
}
