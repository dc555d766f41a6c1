/*
 * infer.c — schema inference from NDJSON records (see ingest.h for the
 * rules).
 *
 * Each record is parsed with jansson (inference looks at a bounded number
 * of records, so the cold-path parser is fine) and merged into a tree of
 * candidate types.  A field's candidate only ever widens: nothing -> a
 * kind; long -> double; date -> timestamp; any other disagreement ->
 * string, which absorbs everything after.  The tree then becomes an
 * Iceberg struct with ids in pre-order.
 */
#include "table/ingest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/text.h"

enum { K_NONE, K_BOOL, K_LONG, K_DOUBLE, K_DATE, K_TS, K_TSTZ, K_STRING, K_STRUCT, K_LIST };

typedef struct cand cand;
typedef struct cfield {
    char *name;
    cand *t;
} cfield;

struct cand {
    int kind;
    cfield *fields; /* K_STRUCT */
    int nfields, cap;
    cand *elem;     /* K_LIST */
};

static void cand_clear(cand *c) {
    for (int i = 0; i < c->nfields; i++) {
        free(c->fields[i].name);
        cand_clear(c->fields[i].t);
        free(c->fields[i].t);
    }
    free(c->fields);
    if (c->elem) {
        cand_clear(c->elem);
        free(c->elem);
    }
    memset(c, 0, sizeof *c);
}

/* K_DATE, K_TS, K_TSTZ or K_STRING for a string value. */
static int string_kind(const char *s, size_t n) {
    int32_t days;
    int64_t us;
    if (floe_parse_date(s, n, &days) == 0) return K_DATE;
    if (floe_parse_timestamp(s, n, FLOE_UNIT_MICROS, &us) != 0) return K_STRING;
    /* The date part may start with a sign (expanded years); the zone, if
     * any, follows the time part. */
    size_t i = 1;
    while (i < n && s[i] != 'T' && s[i] != 't' && s[i] != ' ') i++;
    for (; i < n; i++)
        if (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' || s[i] == '-') return K_TSTZ;
    return K_TS;
}

/* Widens a primitive candidate by kind k. */
static void join(cand *c, int k) {
    if (c->kind == k || c->kind == K_STRING) return;
    if (c->kind == K_NONE) {
        c->kind = k;
        return;
    }
    int a = c->kind < k ? c->kind : k, b = c->kind < k ? k : c->kind;
    int to = K_STRING;
    if (a == K_LONG && b == K_DOUBLE) to = K_DOUBLE;
    else if (a == K_DATE && b == K_TS) to = K_TS;
    cand_clear(c);
    c->kind = to;
}

static void merge(cand *c, const json_t *v);

static void merge_object(cand *c, const json_t *o) {
    if (c->kind == K_NONE) c->kind = K_STRUCT;
    if (c->kind != K_STRUCT) {
        join(c, K_STRUCT);
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        cfield *f = NULL;
        for (int i = 0; i < c->nfields && !f; i++)
            if (strcmp(c->fields[i].name, key) == 0) f = &c->fields[i];
        if (!f) {
            if (c->nfields == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 8;
                c->fields = floe_xrealloc(c->fields, sizeof *c->fields * (size_t)c->cap);
            }
            f = &c->fields[c->nfields++];
            f->name = floe_xstrdup(key);
            f->t = floe_xcalloc(1, sizeof *f->t);
        }
        merge(f->t, val);
    }
}

static void merge(cand *c, const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL: return;
    case JSON_TRUE:
    case JSON_FALSE: join(c, K_BOOL); return;
    case JSON_INTEGER: join(c, K_LONG); return;
    case JSON_REAL: join(c, K_DOUBLE); return;
    case JSON_STRING: join(c, string_kind(json_string_value(v), json_string_length(v))); return;
    case JSON_OBJECT: merge_object(c, v); return;
    case JSON_ARRAY:
        if (c->kind == K_NONE) {
            c->kind = K_LIST;
            c->elem = floe_xcalloc(1, sizeof *c->elem);
        }
        if (c->kind != K_LIST) {
            join(c, K_LIST);
            return;
        }
        for (size_t i = 0; i < json_array_size(v); i++) merge(c->elem, json_array_get(v, i));
        return;
    }
}

/* The Iceberg type of a candidate, or NULL for a struct without fields
 * (left out: the writer skips fields the schema does not have).  A field
 * that was only ever null is a string column, unless `skip_none`: then it
 * is left out too, and so is a list of nothing but nulls. */
static floe_ice_type *build(const cand *c, int32_t *next_id, int skip_none) {
    static const int prim[] = {[K_NONE] = FLOE_ICE_STRING,   [K_BOOL] = FLOE_ICE_BOOLEAN,
                               [K_LONG] = FLOE_ICE_LONG,     [K_DOUBLE] = FLOE_ICE_DOUBLE,
                               [K_DATE] = FLOE_ICE_DATE,     [K_TS] = FLOE_ICE_TIMESTAMP,
                               [K_TSTZ] = FLOE_ICE_TIMESTAMPTZ, [K_STRING] = FLOE_ICE_STRING};
    if (skip_none && c->kind == K_NONE) return NULL;
    if (c->kind == K_LIST) {
        int32_t id = (*next_id)++;
        floe_ice_type *e = build(c->elem, next_id, skip_none);
        return e ? floe_ice_type_list(id, 0, e) : NULL;
    }
    if (c->kind != K_STRUCT) return floe_ice_type_new(prim[c->kind]);
    floe_ice_type *st = floe_ice_type_new(FLOE_ICE_STRUCT);
    for (int i = 0; i < c->nfields; i++) {
        int32_t id = (*next_id)++;
        floe_ice_type *t = build(c->fields[i].t, next_id, skip_none);
        if (t) floe_ice_struct_add(st, id, c->fields[i].name, 0, t);
    }
    if (st->nfields == 0) {
        floe_ice_type_free(st);
        return NULL;
    }
    return st;
}

floe_ice_schema *floe_infer_schema(const char *const *lines, const size_t *lens, int n, floe_err *err) {
    cand root = {0};
    root.kind = K_STRUCT;
    int objects = 0;
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *v = json_loadb(lines[i], lens[i], JSON_ALLOW_NUL, &jerr);
        if (v && json_is_object(v)) {
            merge_object(&root, v);
            objects++;
        }
        json_decref(v);
    }
    int32_t next_id = 1;
    floe_ice_type *st = build(&root, &next_id, 0);
    cand_clear(&root);
    if (!st) {
        floe_err_set(err, FLOE_EINVAL, "cannot infer a schema: %s",
                     objects ? "the records have no fields" : "no JSON object among the records");
        return NULL;
    }
    floe_ice_schema *s = floe_ice_schema_new(0, st);
    if (floe_ice_schema_validate(s, err)) {
        floe_ice_schema_free(s);
        floe_err_prefix(err, "inferred schema");
        return NULL;
    }
    return s;
}

floe_ice_type *floe_infer_value_type(const json_t *v, int32_t *next_id) {
    cand c = {0};
    merge(&c, v);
    floe_ice_type *t = build(&c, next_id, 1);
    cand_clear(&c);
    return t;
}
