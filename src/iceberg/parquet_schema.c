/*
 * parquet_schema.c — the Parquet schema of an Iceberg schema, as the table
 * spec's Parquet appendix and Iceberg's reference writer lay it out: root
 * group "table"; every node carries its Iceberg field id; required fields
 * are REQUIRED, others OPTIONAL; lists are the 3-level form
 * <name> (LIST) > repeated group "list" > "element"; maps are
 * <name> (MAP) > repeated group "key_value" > "key", "value".  The repeated
 * middle groups have no field id: they are Parquet's encoding of
 * repetition, not Iceberg fields.
 *
 * Annotations: both the LogicalType and, where one exists with the same
 * meaning, the legacy ConvertedType, so older readers see the same types.
 * TIMESTAMP without zone gets no ConvertedType (TIMESTAMP_MICROS means
 * "adjusted to UTC"), as parquet-mr writes it.
 *
 * The way back (floe_ice_schema_from_parquet) reads any file whose fields
 * carry ids: it also accepts the legacy list layouts the Parquet spec's
 * backward-compatibility rules describe, and the types Iceberg's readers
 * accept (INT96 and legacy TIMESTAMP_* as timestamptz, TIME(MILLIS) as
 * time, small unsigned ints as int).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "floe/iceberg.h"
#include "format/parquet/schema.h"
#include "iceberg/manifest.h" /* floe_ice_decimal_required_bytes */
#include "util/err.h"
#include "util/mem.h"

/* The leaf of each primitive kind but DECIMAL and FIXED, which take their
 * parameters from the type.  Indexed by floe_ice_kind. */
static const struct leaf_shape {
    int physical;
    int32_t type_length;
    int logical, unit, utc;
    int converted;
} leaf_shapes[FLOE_ICE_STRUCT] = {
    [FLOE_ICE_BOOLEAN] = {FLOE_PQ_BOOLEAN, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_INT] = {FLOE_PQ_INT32, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_LONG] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_FLOAT] = {FLOE_PQ_FLOAT, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_DOUBLE] = {FLOE_PQ_DOUBLE, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_DATE] = {FLOE_PQ_INT32, 0, FLOE_PQ_LT_DATE, 0, 0, FLOE_PQ_CT_DATE},
    [FLOE_ICE_TIME] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_TIME, FLOE_PQ_UNIT_MICROS, 0, FLOE_PQ_CT_TIME_MICROS},
    /* TIMESTAMP_MICROS means adjusted to UTC, so only timestamptz has it. */
    [FLOE_ICE_TIMESTAMP] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_TIMESTAMP, FLOE_PQ_UNIT_MICROS, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_TIMESTAMPTZ] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_TIMESTAMP, FLOE_PQ_UNIT_MICROS, 1,
                              FLOE_PQ_CT_TIMESTAMP_MICROS},
    /* No ConvertedType has nanoseconds. */
    [FLOE_ICE_TIMESTAMP_NS] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_TIMESTAMP, FLOE_PQ_UNIT_NANOS, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_TIMESTAMPTZ_NS] = {FLOE_PQ_INT64, 0, FLOE_PQ_LT_TIMESTAMP, FLOE_PQ_UNIT_NANOS, 1, FLOE_PQ_CT_NONE},
    [FLOE_ICE_STRING] = {FLOE_PQ_BYTE_ARRAY, 0, FLOE_PQ_LT_STRING, 0, 0, FLOE_PQ_CT_UTF8},
    [FLOE_ICE_UUID] = {FLOE_PQ_FIXED_LEN_BYTE_ARRAY, 16, FLOE_PQ_LT_UUID, 0, 0, FLOE_PQ_CT_NONE},
    [FLOE_ICE_BINARY] = {FLOE_PQ_BYTE_ARRAY, 0, FLOE_PQ_LT_NONE, 0, 0, FLOE_PQ_CT_NONE},
};

static void add_primitive(floe_pq_node *parent, const floe_ice_field *f, int rep) {
    const floe_ice_type *t = f->type;
    floe_pq_node *n;
    if (t->kind == FLOE_ICE_DECIMAL) {
        if (t->precision <= 9) {
            n = floe_pq_node_leaf(parent, f->name, rep, FLOE_PQ_INT32, f->id);
        } else if (t->precision <= 18) {
            n = floe_pq_node_leaf(parent, f->name, rep, FLOE_PQ_INT64, f->id);
        } else {
            n = floe_pq_node_leaf(parent, f->name, rep, FLOE_PQ_FIXED_LEN_BYTE_ARRAY, f->id);
            n->type_length = floe_ice_decimal_required_bytes(t->precision);
        }
        n->logical.kind = FLOE_PQ_LT_DECIMAL;
        n->logical.precision = n->precision = t->precision;
        n->logical.scale = n->scale = t->scale;
        n->converted = FLOE_PQ_CT_DECIMAL;
        return;
    }
    if (t->kind == FLOE_ICE_FIXED) {
        n = floe_pq_node_leaf(parent, f->name, rep, FLOE_PQ_FIXED_LEN_BYTE_ARRAY, f->id);
        n->type_length = t->length;
        return;
    }
    const struct leaf_shape *ls = &leaf_shapes[t->kind];
    n = floe_pq_node_leaf(parent, f->name, rep, ls->physical, f->id);
    if (ls->type_length) n->type_length = ls->type_length;
    n->logical.kind = ls->logical;
    n->logical.unit = ls->unit;
    n->logical.utc = ls->utc;
    n->converted = ls->converted;
}

static void add_field(floe_pq_node *parent, const floe_ice_field *f) {
    int rep = f->required ? FLOE_PQ_REQUIRED : FLOE_PQ_OPTIONAL;
    const floe_ice_type *t = f->type;
    floe_pq_node *g, *mid;
    switch (t->kind) {
    case FLOE_ICE_STRUCT:
        g = floe_pq_node_group(parent, f->name, rep, f->id);
        for (int i = 0; i < t->nfields; i++) add_field(g, t->fields[i]);
        return;
    case FLOE_ICE_LIST:
    case FLOE_ICE_MAP: {
        /* The annotated group, the repeated middle group, then the element
         * (list) or the key and the value (map). */
        int is_list = t->kind == FLOE_ICE_LIST;
        g = floe_pq_node_group(parent, f->name, rep, f->id);
        g->logical.kind = is_list ? FLOE_PQ_LT_LIST : FLOE_PQ_LT_MAP;
        g->converted = is_list ? FLOE_PQ_CT_LIST : FLOE_PQ_CT_MAP;
        mid = floe_pq_node_group(g, is_list ? "list" : "key_value", FLOE_PQ_REPEATED, -1);
        for (int i = 0; i < t->nfields; i++) add_field(mid, t->fields[i]);
        return;
    }
    default:
        add_primitive(parent, f, rep);
    }
}

/* Parquet has no empty groups; name the first empty struct so the user
 * learns which field cannot be written. */
static const floe_ice_field *find_empty_struct(const floe_ice_type *t) {
    for (int i = 0; i < t->nfields; i++) {
        const floe_ice_type *c = t->fields[i]->type;
        if (c->kind == FLOE_ICE_STRUCT && c->nfields == 0) return t->fields[i];
        const floe_ice_field *r = find_empty_struct(c);
        if (r) return r;
    }
    return NULL;
}

floe_pq_schema *floe_ice_schema_to_parquet(const floe_ice_schema *s, floe_err *err) {
    const floe_ice_field *empty = find_empty_struct(s->root);
    if (empty) {
        floe_buf path;
        floe_buf_init(&path);
        floe_ice_field_path(empty, &path);
        floe_err_set(err, FLOE_EUNSUPPORTED, "schema field '%s': an empty struct cannot be written to Parquet",
                     floe_buf_cstr(&path));
        floe_buf_free(&path);
        return NULL;
    }
    if (s->root->nfields == 0) {
        floe_err_set(err, FLOE_EUNSUPPORTED, "schema: a schema without columns cannot be written to Parquet");
        return NULL;
    }
    floe_pq_schema *ps = floe_pq_schema_new("table");
    for (int i = 0; i < s->root->nfields; i++) add_field(ps->root, s->root->fields[i]);
    if (floe_pq_schema_finish(ps, err)) {
        floe_pq_schema_free(ps);
        return NULL;
    }
    return ps;
}

/* ---- Parquet to Iceberg ------------------------------------------------------ */

FLOE_PRINTF(3, 4)
static int column_err(floe_err *err, const floe_pq_node *n, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX], path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    floe_pq_node_path(n, path, sizeof path);
    return floe_err_set(err, FLOE_EUNSUPPORTED, "column '%s': %s", path, msg);
}

static int is_text(const floe_pq_node *n) {
    int lk = n->logical.kind, ct = n->converted;
    return lk == FLOE_PQ_LT_STRING || lk == FLOE_PQ_LT_ENUM || lk == FLOE_PQ_LT_JSON || ct == FLOE_PQ_CT_UTF8 ||
           ct == FLOE_PQ_CT_ENUM || ct == FLOE_PQ_CT_JSON;
}

/* The Iceberg type Iceberg's readers give a primitive column. */
static floe_ice_type *primitive_from(const floe_pq_node *n, floe_err *err) {
    const floe_pq_logical *lt = &n->logical;
    int ct = n->converted;
    if (lt->kind == FLOE_PQ_LT_DECIMAL || ct == FLOE_PQ_CT_DECIMAL) {
        if (n->physical == FLOE_PQ_INT32 || n->physical == FLOE_PQ_INT64 || n->physical == FLOE_PQ_BYTE_ARRAY ||
            n->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY)
            return lt->kind == FLOE_PQ_LT_DECIMAL ? floe_ice_type_decimal(lt->precision, lt->scale)
                                                  : floe_ice_type_decimal(n->precision, n->scale);
    }
    int unsigned_int = (lt->kind == FLOE_PQ_LT_INTEGER && !lt->is_signed) ||
                       (ct >= FLOE_PQ_CT_UINT_8 && ct <= FLOE_PQ_CT_UINT_64);
    int wide_unsigned = unsigned_int && ((lt->kind == FLOE_PQ_LT_INTEGER && lt->bit_width >= 32) ||
                                         ct == FLOE_PQ_CT_UINT_32 || ct == FLOE_PQ_CT_UINT_64);
    switch (n->physical) {
    case FLOE_PQ_BOOLEAN: return floe_ice_type_new(FLOE_ICE_BOOLEAN);
    case FLOE_PQ_INT32:
        if (lt->kind == FLOE_PQ_LT_DATE || ct == FLOE_PQ_CT_DATE) return floe_ice_type_new(FLOE_ICE_DATE);
        if ((lt->kind == FLOE_PQ_LT_TIME && lt->unit == FLOE_PQ_UNIT_MILLIS) || ct == FLOE_PQ_CT_TIME_MILLIS)
            return floe_ice_type_new(FLOE_ICE_TIME);
        if (wide_unsigned) break;
        return floe_ice_type_new(FLOE_ICE_INT);
    case FLOE_PQ_INT64:
        if (lt->kind == FLOE_PQ_LT_TIMESTAMP) {
            if (lt->unit == FLOE_PQ_UNIT_NANOS)
                return floe_ice_type_new(lt->utc ? FLOE_ICE_TIMESTAMPTZ_NS : FLOE_ICE_TIMESTAMP_NS);
            return floe_ice_type_new(lt->utc ? FLOE_ICE_TIMESTAMPTZ : FLOE_ICE_TIMESTAMP);
        }
        if (ct == FLOE_PQ_CT_TIMESTAMP_MILLIS || ct == FLOE_PQ_CT_TIMESTAMP_MICROS)
            return floe_ice_type_new(FLOE_ICE_TIMESTAMPTZ);
        if ((lt->kind == FLOE_PQ_LT_TIME && lt->unit == FLOE_PQ_UNIT_MICROS) || ct == FLOE_PQ_CT_TIME_MICROS)
            return floe_ice_type_new(FLOE_ICE_TIME);
        if (lt->kind == FLOE_PQ_LT_TIME || wide_unsigned) break;
        return floe_ice_type_new(FLOE_ICE_LONG);
    case FLOE_PQ_INT96: return floe_ice_type_new(FLOE_ICE_TIMESTAMPTZ);
    case FLOE_PQ_FLOAT: return floe_ice_type_new(FLOE_ICE_FLOAT);
    case FLOE_PQ_DOUBLE: return floe_ice_type_new(FLOE_ICE_DOUBLE);
    case FLOE_PQ_BYTE_ARRAY:
        return floe_ice_type_new(is_text(n) ? FLOE_ICE_STRING : FLOE_ICE_BINARY);
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY:
        if (lt->kind == FLOE_PQ_LT_UUID && n->type_length == 16) return floe_ice_type_new(FLOE_ICE_UUID);
        if (lt->kind == FLOE_PQ_LT_FLOAT16) break;
        return floe_ice_type_fixed(n->type_length);
    default: break;
    }
    column_err(err, n, "%s column with this annotation has no Iceberg type", floe_pq_physical_name(n->physical));
    return NULL;
}

static int has_annotation(const floe_pq_node *n, int logical, int converted) {
    return n->logical.kind == logical || n->converted == converted;
}

static int add_from(floe_ice_type *st, const floe_pq_node *n, floe_err *err);

/* The type of a field node (not its repetition). */
static floe_ice_type *type_from(const floe_pq_node *n, floe_err *err) {
    if (!n->is_group) return primitive_from(n, err);
    if (has_annotation(n, FLOE_PQ_LT_LIST, FLOE_PQ_CT_LIST)) {
        const floe_pq_node *rep = n->nchildren == 1 ? n->children[0] : NULL;
        if (!rep || rep->repetition != FLOE_PQ_REPEATED)
            return column_err(err, n, "a LIST must hold exactly one repeated field"), NULL;
        /* The backward-compatibility rules of the Parquet spec: a repeated
         * group of one field is the 3-level form unless it is named "array"
         * or "<list>_tuple"; otherwise the repeated node is the element. */
        char tuple[512];
        snprintf(tuple, sizeof tuple, "%s_tuple", n->name);
        const floe_pq_node *el = rep;
        int el_required = 1;
        if (rep->is_group && rep->nchildren == 1 && strcmp(rep->name, "array") != 0 && strcmp(rep->name, tuple) != 0) {
            el = rep->children[0];
            if (el->repetition == FLOE_PQ_REPEATED) return column_err(err, el, "a list element cannot be repeated"), NULL;
            el_required = el->repetition == FLOE_PQ_REQUIRED;
        }
        if (!el->has_field_id) return column_err(err, el, "has no field id"), NULL;
        /* In the 2-level forms the repeated node itself is the element;
         * type_from ignores a node's own repetition. */
        floe_ice_type *et = type_from(el, err);
        if (!et) return NULL;
        return floe_ice_type_list(el->field_id, el_required, et);
    }
    if (has_annotation(n, FLOE_PQ_LT_MAP, FLOE_PQ_CT_MAP) || n->converted == FLOE_PQ_CT_MAP_KEY_VALUE) {
        const floe_pq_node *kv = n->nchildren == 1 ? n->children[0] : NULL;
        if (!kv || kv->repetition != FLOE_PQ_REPEATED || !kv->is_group || kv->nchildren != 2)
            return column_err(err, n, "a MAP must hold one repeated group of a key and a value"), NULL;
        const floe_pq_node *k = kv->children[0], *v = kv->children[1];
        if (!k->has_field_id) return column_err(err, k, "has no field id"), NULL;
        if (!v->has_field_id) return column_err(err, v, "has no field id"), NULL;
        if (k->repetition == FLOE_PQ_REPEATED || v->repetition == FLOE_PQ_REPEATED)
            return column_err(err, kv, "a map key or value cannot be repeated"), NULL;
        floe_ice_type *kt = type_from(k, err);
        if (!kt) return NULL;
        floe_ice_type *vt = type_from(v, err);
        if (!vt) {
            floe_ice_type_free(kt);
            return NULL;
        }
        return floe_ice_type_map(k->field_id, kt, v->field_id, v->repetition == FLOE_PQ_REQUIRED, vt);
    }
    floe_ice_type *st = floe_ice_type_new(FLOE_ICE_STRUCT);
    for (int i = 0; i < n->nchildren; i++)
        if (add_from(st, n->children[i], err)) {
            floe_ice_type_free(st);
            return NULL;
        }
    return st;
}

/* Adds the field of node n to the struct st. */
static int add_from(floe_ice_type *st, const floe_pq_node *n, floe_err *err) {
    if (n->repetition == FLOE_PQ_REPEATED)
        return column_err(err, n, "a repeated field outside a LIST or MAP has no Iceberg type");
    if (!n->has_field_id) return column_err(err, n, "has no field id");
    floe_ice_type *t = type_from(n, err);
    if (!t) return -1;
    floe_ice_struct_add(st, n->field_id, n->name, n->repetition == FLOE_PQ_REQUIRED, t);
    return 0;
}

floe_ice_schema *floe_ice_schema_from_parquet(const floe_pq_schema *ps, floe_err *err) {
    floe_ice_type *root = floe_ice_type_new(FLOE_ICE_STRUCT);
    for (int i = 0; i < ps->root->nchildren; i++)
        if (add_from(root, ps->root->children[i], err)) {
            floe_ice_type_free(root);
            return NULL;
        }
    floe_ice_schema *s = floe_ice_schema_new(0, root);
    if (floe_ice_schema_validate(s, err)) {
        floe_ice_schema_free(s);
        return NULL;
    }
    return s;
}
