/*
 * schema.c — Iceberg types and schemas: construction, the spec's validity
 * rules and the id index, lookup by id and by path, and the JSON form of
 * the table spec's Appendix C (parsed with jansson, written by hand so the
 * key order and number spelling are exactly ours).
 *
 * Every nested value is a floe_ice_field, so one walk over fields visits
 * struct members, list elements and map keys and values alike; `parent`
 * links let any error name the full path of the field it is about.
 * Default values are stored as compact JSON text: they are checked to have
 * the JSON kind the spec's single-value serialization gives their type, and
 * written back verbatim.
 */
#include "iceberg/schema.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/text.h"

/* Nested types deeper than this are refused: the Parquet mapping doubles
 * the depth for lists and maps, and Parquet's schema tree stops at 64. */
#define MAX_NESTING 30

/* Indexed by floe_ice_kind; DECIMAL and FIXED are spelled with parameters. */
static const char *const kind_names[] = {
    "boolean",     "int",          "long",           "float",  "double", "decimal", "date",
    "time",        "timestamp",    "timestamptz",    "timestamp_ns",     "timestamptz_ns",
    "string",      "uuid",         "fixed",          "binary", "struct", "list",    "map"};

/* ---- construction -------------------------------------------------------- */

floe_ice_type *floe_ice_type_new(int kind) {
    floe_ice_type *t = floe_xcalloc(1, sizeof *t);
    t->kind = kind;
    return t;
}

floe_ice_type *floe_ice_type_decimal(int32_t precision, int32_t scale) {
    floe_ice_type *t = floe_ice_type_new(FLOE_ICE_DECIMAL);
    t->precision = precision;
    t->scale = scale;
    return t;
}

floe_ice_type *floe_ice_type_fixed(int32_t length) {
    floe_ice_type *t = floe_ice_type_new(FLOE_ICE_FIXED);
    t->length = length;
    return t;
}

static floe_ice_field *type_push(floe_ice_type *t, int32_t id, const char *name, int required,
                                 floe_ice_type *type) {
    floe_ice_field *f = floe_xcalloc(1, sizeof *f);
    f->id = id;
    f->name = floe_xstrdup(name);
    f->required = required ? 1 : 0;
    f->type = type;
    t->fields = floe_xrealloc(t->fields, sizeof(floe_ice_field *) * (size_t)(t->nfields + 1));
    t->fields[t->nfields++] = f;
    return f;
}

floe_ice_type *floe_ice_type_list(int32_t element_id, int element_required, floe_ice_type *element) {
    floe_ice_type *t = floe_ice_type_new(FLOE_ICE_LIST);
    type_push(t, element_id, "element", element_required, element);
    return t;
}

floe_ice_type *floe_ice_type_map(int32_t key_id, floe_ice_type *key, int32_t value_id, int value_required,
                                 floe_ice_type *value) {
    floe_ice_type *t = floe_ice_type_new(FLOE_ICE_MAP);
    type_push(t, key_id, "key", 1, key);
    type_push(t, value_id, "value", value_required, value);
    return t;
}

floe_ice_field *floe_ice_struct_add(floe_ice_type *st, int32_t id, const char *name, int required,
                                    floe_ice_type *type) {
    return type_push(st, id, name, required, type);
}

static void field_free(floe_ice_field *f) {
    floe_ice_type_free(f->type);
    free(f->name);
    free(f->doc);
    free(f->initial_default);
    free(f->write_default);
    free(f);
}

void floe_ice_type_free(floe_ice_type *t) {
    if (!t) return;
    for (int i = 0; i < t->nfields; i++) field_free(t->fields[i]);
    free(t->fields);
    free(t);
}

floe_ice_schema *floe_ice_schema_new(int32_t schema_id, floe_ice_type *root) {
    floe_ice_schema *s = floe_xcalloc(1, sizeof *s);
    s->schema_id = schema_id;
    s->root = root;
    return s;
}

void floe_ice_schema_set_identifiers(floe_ice_schema *s, const int32_t *ids, int n) {
    free(s->identifier_ids);
    s->identifier_ids = n > 0 ? floe_xmalloc(sizeof(int32_t) * (size_t)n) : NULL;
    if (n > 0) memcpy(s->identifier_ids, ids, sizeof(int32_t) * (size_t)n);
    s->nidentifier = n > 0 ? n : 0;
}

void floe_ice_schema_free(floe_ice_schema *s) {
    if (!s) return;
    floe_ice_type_free(s->root);
    free(s->identifier_ids);
    free(s->by_id);
    free(s);
}

/* ---- names and paths ----------------------------------------------------- */

void floe_ice_type_name(const floe_ice_type *t, floe_buf *out) {
    if (t->kind == FLOE_ICE_DECIMAL)
        floe_buf_printf(out, "decimal(%d, %d)", (int)t->precision, (int)t->scale);
    else if (t->kind == FLOE_ICE_FIXED)
        floe_buf_printf(out, "fixed[%d]", (int)t->length);
    else if (t->kind >= 0 && t->kind <= FLOE_ICE_MAP)
        floe_buf_puts(out, kind_names[t->kind]);
    else
        floe_buf_printf(out, "unknown(%d)", t->kind);
}

/* Reads decimal digits at *p into *v (saturating at INT32_MAX so that an
 * absurd precision is reported as out of range, not wrapped). */
static int scan_uint(const char **p, int32_t *v) {
    const char *s = *p;
    int64_t acc = 0;
    if (*s < '0' || *s > '9') return -1;
    while (*s >= '0' && *s <= '9') {
        acc = acc * 10 + (*s - '0');
        if (acc > INT32_MAX) acc = INT32_MAX;
        s++;
    }
    *v = (int32_t)acc;
    *p = s;
    return 0;
}

static void skip_spaces(const char **p) {
    while (**p == ' ' || **p == '\t') (*p)++;
}

floe_ice_type *floe_ice_type_parse_primitive(const char *s) {
    for (int k = 0; k < FLOE_ICE_STRUCT; k++)
        if (k != FLOE_ICE_DECIMAL && k != FLOE_ICE_FIXED && strcasecmp(s, kind_names[k]) == 0)
            return floe_ice_type_new(k);
    const char *p = s;
    if (strncasecmp(p, "decimal(", 8) == 0) {
        int32_t prec, scale;
        p += 8;
        skip_spaces(&p);
        if (scan_uint(&p, &prec)) return NULL;
        skip_spaces(&p);
        if (*p++ != ',') return NULL;
        skip_spaces(&p);
        if (scan_uint(&p, &scale)) return NULL;
        skip_spaces(&p);
        if (*p++ != ')' || *p) return NULL;
        return floe_ice_type_decimal(prec, scale);
    }
    if (strncasecmp(p, "fixed[", 6) == 0) {
        int32_t len;
        p += 6;
        skip_spaces(&p);
        if (scan_uint(&p, &len)) return NULL;
        skip_spaces(&p);
        if (*p++ != ']' || *p) return NULL;
        return floe_ice_type_fixed(len);
    }
    return NULL;
}

void floe_ice_field_path(const floe_ice_field *f, floe_buf *out) {
    if (f->parent) {
        floe_ice_field_path(f->parent, out);
        floe_buf_putc(out, '.');
    }
    floe_buf_puts(out, f->name);
}

/* Sets err to "schema field '<path>': <message>", or "schema: <message>"
 * when the problem is not inside a field. */
FLOE_PRINTF(4, 5)
static int field_err(floe_err *err, int code, const floe_ice_field *f, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!f) return floe_err_set(err, code, "schema: %s", msg);
    floe_buf path;
    floe_buf_init(&path);
    floe_ice_field_path(f, &path);
    floe_err_set(err, code, "schema field '%s': %s", floe_buf_cstr(&path), msg);
    floe_buf_free(&path);
    return -1;
}

/* ---- validation and the id index ----------------------------------------- */

typedef struct field_vec {
    floe_ice_field **v;
    int n, cap;
} field_vec;

static void vec_push(field_vec *fv, floe_ice_field *f) {
    if (fv->n == fv->cap) {
        fv->cap = fv->cap ? fv->cap * 2 : 32;
        fv->v = floe_xrealloc(fv->v, sizeof(floe_ice_field *) * (size_t)fv->cap);
    }
    fv->v[fv->n++] = f;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(floe_ice_field *const *)a)->name, (*(floe_ice_field *const *)b)->name);
}

/* A field and its position in the schema's depth-first order, so that of
 * two fields sharing an id the later one is the one reported. */
typedef struct ranked_field {
    floe_ice_field *f;
    int ord;
} ranked_field;

static int cmp_id(const void *a, const void *b) {
    const ranked_field *x = a, *y = b;
    if (x->f->id != y->f->id) return x->f->id < y->f->id ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int check_struct_names(floe_ice_type *t, floe_err *err) {
    if (t->nfields < 2) return 0;
    floe_ice_field **sorted = floe_xmalloc(sizeof *sorted * (size_t)t->nfields);
    memcpy(sorted, t->fields, sizeof *sorted * (size_t)t->nfields);
    qsort(sorted, (size_t)t->nfields, sizeof *sorted, cmp_name);
    int rc = 0;
    for (int i = 1; i < t->nfields && !rc; i++)
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            rc = field_err(err, FLOE_EINVAL, sorted[i], "the struct has two fields with this name");
    free(sorted);
    return rc;
}

/* Checks one type and, below it, every field; links parents and collects
 * the fields.  `owner` is the field whose type `t` is (NULL for the root). */
static int validate_type(floe_ice_type *t, floe_ice_field *owner, int depth, field_vec *all, floe_err *err) {
    if (depth > MAX_NESTING)
        return field_err(err, FLOE_EUNSUPPORTED, owner, "types nest deeper than %d levels", MAX_NESTING);
    switch (t->kind) {
    case FLOE_ICE_DECIMAL:
        if (t->precision < 1 || t->precision > FLOE_ICE_DECIMAL_MAX_PRECISION)
            return field_err(err, FLOE_EINVAL, owner, "decimal precision %d is outside 1..%d", (int)t->precision,
                             FLOE_ICE_DECIMAL_MAX_PRECISION);
        if (t->scale < 0 || t->scale > t->precision)
            return field_err(err, FLOE_EINVAL, owner, "decimal scale %d is outside 0..%d (the precision)",
                             (int)t->scale, (int)t->precision);
        return 0;
    case FLOE_ICE_FIXED:
        if (t->length < 1)
            return field_err(err, FLOE_EINVAL, owner, "fixed length %d must be at least 1", (int)t->length);
        return 0;
    case FLOE_ICE_STRUCT:
        if (check_struct_names(t, err)) return -1;
        break;
    case FLOE_ICE_LIST:
        if (t->nfields != 1 || strcmp(t->fields[0]->name, "element") != 0)
            return field_err(err, FLOE_EINVAL, owner, "a list must have exactly one field, named 'element'");
        break;
    case FLOE_ICE_MAP:
        if (t->nfields != 2 || strcmp(t->fields[0]->name, "key") != 0 || strcmp(t->fields[1]->name, "value") != 0)
            return field_err(err, FLOE_EINVAL, owner, "a map must have exactly two fields, 'key' and 'value'");
        if (!t->fields[0]->required) return field_err(err, FLOE_EINVAL, owner, "a map's key must be required");
        break;
    default:
        if (t->kind < 0 || t->kind > FLOE_ICE_MAP)
            return field_err(err, FLOE_EINVAL, owner, "unknown type kind %d", t->kind);
        return 0;
    }
    for (int i = 0; i < t->nfields; i++) {
        floe_ice_field *f = t->fields[i];
        f->parent = owner;
        if (!f->name[0]) return field_err(err, FLOE_EINVAL, owner, "field %d has an empty name", i);
        if (f->id < 0) return field_err(err, FLOE_EINVAL, f, "id %d is negative", (int)f->id);
        if (!f->type) return field_err(err, FLOE_EINVAL, f, "has no type");
        vec_push(all, f);
        if (validate_type(f->type, f, depth + 1, all, err)) return -1;
    }
    return 0;
}

static int validate_identifier(const floe_ice_schema *s, int32_t id, floe_err *err) {
    const floe_ice_field *f = floe_ice_schema_field_by_id(s, id);
    if (!f) return field_err(err, FLOE_EINVAL, NULL, "identifier field id %d does not exist", (int)id);
    if (!floe_ice_type_is_primitive(f->type))
        return field_err(err, FLOE_EINVAL, f, "an identifier field must be of a primitive type");
    if (f->type->kind == FLOE_ICE_FLOAT || f->type->kind == FLOE_ICE_DOUBLE)
        return field_err(err, FLOE_EINVAL, f, "an identifier field must not be a float or double");
    if (!f->required) return field_err(err, FLOE_EINVAL, f, "an identifier field must be required");
    /* Its value must exist in every row, so every enclosing field must be
     * a required struct (not an optional one, not a list or map). */
    for (const floe_ice_field *p = f->parent; p; p = p->parent) {
        if (p->type->kind != FLOE_ICE_STRUCT)
            return field_err(err, FLOE_EINVAL, f, "an identifier field must not be inside a list or map");
        if (!p->required)
            return field_err(err, FLOE_EINVAL, f, "an identifier field must not be inside an optional struct");
    }
    return 0;
}

int floe_ice_schema_validate(floe_ice_schema *s, floe_err *err) {
    free(s->by_id);
    s->by_id = NULL;
    s->nby_id = 0;
    s->highest_field_id = 0;
    if (!s->root || s->root->kind != FLOE_ICE_STRUCT)
        return field_err(err, FLOE_EINVAL, NULL, "a schema must be a struct");
    field_vec all = {0};
    if (validate_type(s->root, NULL, 0, &all, err)) {
        free(all.v);
        return -1;
    }
    ranked_field *ranked = floe_xmalloc(sizeof *ranked * (size_t)(all.n ? all.n : 1));
    for (int i = 0; i < all.n; i++) ranked[i] = (ranked_field){all.v[i], i};
    qsort(ranked, (size_t)all.n, sizeof *ranked, cmp_id);
    for (int i = 0; i < all.n; i++) all.v[i] = ranked[i].f;
    free(ranked);
    for (int i = 1; i < all.n; i++)
        if (all.v[i - 1]->id == all.v[i]->id) {
            floe_buf other;
            floe_buf_init(&other);
            floe_ice_field_path(all.v[i - 1], &other);
            field_err(err, FLOE_EINVAL, all.v[i], "id %d is also used by '%s'", (int)all.v[i]->id,
                      floe_buf_cstr(&other));
            floe_buf_free(&other);
            free(all.v);
            return -1;
        }
    s->by_id = all.v;
    s->nby_id = all.n;
    s->highest_field_id = all.n ? all.v[all.n - 1]->id : 0;
    for (int i = 0; i < s->nidentifier; i++) {
        for (int j = 0; j < i; j++)
            if (s->identifier_ids[j] == s->identifier_ids[i])
                return field_err(err, FLOE_EINVAL, NULL, "identifier field id %d is listed twice",
                                 (int)s->identifier_ids[i]);
        if (validate_identifier(s, s->identifier_ids[i], err)) return -1;
    }
    return 0;
}

/* ---- lookup ---------------------------------------------------------------- */

const floe_ice_field *floe_ice_schema_field_by_id(const floe_ice_schema *s, int32_t id) {
    int lo = 0, hi = s->nby_id;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int32_t m = s->by_id[mid]->id;
        if (m == id) return s->by_id[mid];
        if (m < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Names may contain '.', so each field whose name is a prefix of the path
 * ending at a '.' (or the end) is tried. */
static const floe_ice_field *find_in(const floe_ice_type *t, const char *path, int ignore_case) {
    for (int i = 0; i < t->nfields; i++) {
        const floe_ice_field *f = t->fields[i];
        size_t n = strlen(f->name);
        int same = ignore_case ? strncasecmp(f->name, path, n) == 0 : strncmp(f->name, path, n) == 0;
        if (!same) continue;
        if (path[n] == '\0') return f;
        if (path[n] == '.' && !floe_ice_type_is_primitive(f->type)) {
            const floe_ice_field *r = find_in(f->type, path + n + 1, ignore_case);
            if (r) return r;
        }
    }
    return NULL;
}

const floe_ice_field *floe_ice_schema_find(const floe_ice_schema *s, const char *path, int ignore_case) {
    return find_in(s->root, path, ignore_case);
}

/* ---- JSON out -------------------------------------------------------------- */

static void put_string(floe_buf *out, const char *s) {
    floe_json_escape((const uint8_t *)s, strlen(s), out);
}

static void write_fields(const floe_ice_type *st, floe_buf *out) {
    floe_buf_puts(out, "\"fields\":[");
    for (int i = 0; i < st->nfields; i++) {
        const floe_ice_field *f = st->fields[i];
        if (i) floe_buf_putc(out, ',');
        floe_buf_printf(out, "{\"id\":%d,\"name\":", (int)f->id);
        put_string(out, f->name);
        floe_buf_printf(out, ",\"required\":%s,\"type\":", f->required ? "true" : "false");
        floe_ice_type_to_json(f->type, out);
        if (f->doc) {
            floe_buf_puts(out, ",\"doc\":");
            put_string(out, f->doc);
        }
        if (f->initial_default) floe_buf_printf(out, ",\"initial-default\":%s", f->initial_default);
        if (f->write_default) floe_buf_printf(out, ",\"write-default\":%s", f->write_default);
        floe_buf_putc(out, '}');
    }
    floe_buf_putc(out, ']');
}

void floe_ice_type_to_json(const floe_ice_type *t, floe_buf *out) {
    switch (t->kind) {
    case FLOE_ICE_STRUCT:
        floe_buf_puts(out, "{\"type\":\"struct\",");
        write_fields(t, out);
        floe_buf_putc(out, '}');
        return;
    case FLOE_ICE_LIST:
        floe_buf_printf(out, "{\"type\":\"list\",\"element-id\":%d,\"element\":", (int)t->fields[0]->id);
        floe_ice_type_to_json(t->fields[0]->type, out);
        floe_buf_printf(out, ",\"element-required\":%s}", t->fields[0]->required ? "true" : "false");
        return;
    case FLOE_ICE_MAP:
        floe_buf_printf(out, "{\"type\":\"map\",\"key-id\":%d,\"key\":", (int)t->fields[0]->id);
        floe_ice_type_to_json(t->fields[0]->type, out);
        floe_buf_printf(out, ",\"value-id\":%d,\"value\":", (int)t->fields[1]->id);
        floe_ice_type_to_json(t->fields[1]->type, out);
        floe_buf_printf(out, ",\"value-required\":%s}", t->fields[1]->required ? "true" : "false");
        return;
    default:
        floe_buf_putc(out, '"');
        floe_ice_type_name(t, out);
        floe_buf_putc(out, '"');
    }
}

void floe_ice_schema_to_json(const floe_ice_schema *s, floe_buf *out) {
    floe_buf_printf(out, "{\"type\":\"struct\",\"schema-id\":%d,", (int)s->schema_id);
    if (s->nidentifier) {
        floe_buf_puts(out, "\"identifier-field-ids\":[");
        for (int i = 0; i < s->nidentifier; i++) floe_buf_printf(out, "%s%d", i ? "," : "", (int)s->identifier_ids[i]);
        floe_buf_puts(out, "],");
    }
    write_fields(s->root, out);
    floe_buf_putc(out, '}');
}

/* Compact JSON text of a parsed value; reals in their shortest round-trip
 * spelling (jansson's own dump would print 0.1 as 0.10000000000000001). */
static void dump_json(const json_t *j, floe_buf *out) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        int first = 1;
        floe_buf_putc(out, '{');
        json_object_foreach((json_t *)j, key, v) {
            if (!first) floe_buf_putc(out, ',');
            first = 0;
            put_string(out, key);
            floe_buf_putc(out, ':');
            dump_json(v, out);
        }
        floe_buf_putc(out, '}');
        return;
    }
    case JSON_ARRAY:
        floe_buf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i) floe_buf_putc(out, ',');
            dump_json(json_array_get(j, i), out);
        }
        floe_buf_putc(out, ']');
        return;
    case JSON_STRING:
        floe_json_escape((const uint8_t *)json_string_value(j), json_string_length(j), out);
        return;
    case JSON_INTEGER:
        floe_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return;
    case JSON_REAL:
        floe_fmt_double(json_real_value(j), out);
        return;
    case JSON_TRUE: floe_buf_puts(out, "true"); return;
    case JSON_FALSE: floe_buf_puts(out, "false"); return;
    case JSON_NULL: floe_buf_puts(out, "null"); return;
    }
}

/* ---- JSON in --------------------------------------------------------------- */

static const char *json_kind_name(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int get_int32(const json_t *obj, const char *key, const floe_ice_field *f, int32_t *out, floe_err *err) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return field_err(err, FLOE_EINVAL, f, "missing \"%s\"", key);
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
        return field_err(err, FLOE_EINVAL, f, "\"%s\" must be a 32-bit integer, got %s", key, json_kind_name(v));
    *out = (int32_t)json_integer_value(v);
    return 0;
}

static int get_bool(const json_t *obj, const char *key, const floe_ice_field *f, int *out, floe_err *err) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return field_err(err, FLOE_EINVAL, f, "missing \"%s\"", key);
    if (!json_is_boolean(v))
        return field_err(err, FLOE_EINVAL, f, "\"%s\" must be true or false, got %s", key, json_kind_name(v));
    *out = json_is_true(v);
    return 0;
}

/* The JSON kind the spec's single-value serialization uses for a type. */
static int default_fits(const floe_ice_type *t, const json_t *v, const char **want) {
    if (json_is_null(v)) return 1;
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN: *want = "true or false"; return json_is_boolean(v);
    case FLOE_ICE_INT:
        *want = "a 32-bit integer";
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX;
    case FLOE_ICE_LONG: *want = "an integer"; return json_is_integer(v);
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE: *want = "a number"; return json_is_number(v);
    case FLOE_ICE_STRUCT: *want = "an object"; return json_is_object(v);
    case FLOE_ICE_LIST: *want = "an array"; return json_is_array(v);
    case FLOE_ICE_MAP:
        *want = "an object with \"keys\" and \"values\" arrays";
        return json_is_object(v) && json_is_array(json_object_get(v, "keys")) &&
               json_is_array(json_object_get(v, "values"));
    default: *want = "a string"; return json_is_string(v); /* decimals, dates, times, uuids, hex bytes */
    }
}

static int parse_default(const json_t *obj, const char *key, floe_ice_field *f, char **out, floe_err *err) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    const char *want = "";
    if (!default_fits(f->type, v, &want)) {
        floe_buf tn;
        floe_buf_init(&tn);
        floe_ice_type_name(f->type, &tn);
        field_err(err, FLOE_EINVAL, f, "\"%s\" of a %s must be %s, got %s", key, floe_buf_cstr(&tn), want,
                  json_kind_name(v));
        floe_buf_free(&tn);
        return -1;
    }
    floe_buf text;
    floe_buf_init(&text);
    dump_json(v, &text);
    *out = floe_xstrdup(floe_buf_cstr(&text));
    floe_buf_free(&text);
    return 0;
}

static floe_ice_type *parse_type(const json_t *j, floe_ice_field *owner, int depth, floe_err *err);

/* Parses the type of `f` from j[key] and attaches it. */
static int parse_child_type(const json_t *j, const char *key, floe_ice_field *f, int depth, floe_err *err) {
    const json_t *tj = json_object_get(j, key);
    if (!tj) return field_err(err, FLOE_EINVAL, f->parent, "missing \"%s\"", key);
    f->type = parse_type(tj, f, depth + 1, err);
    return f->type ? 0 : -1;
}

static int parse_field(const json_t *j, floe_ice_type *st, floe_ice_field *owner, size_t index, int depth,
                       floe_err *err) {
    if (!json_is_object(j))
        return field_err(err, FLOE_EINVAL, owner, "fields[%zu] must be an object, got %s", index, json_kind_name(j));
    const json_t *name = json_object_get(j, "name");
    if (!json_is_string(name))
        return field_err(err, FLOE_EINVAL, owner, "fields[%zu] needs a string \"name\"", index);
    floe_ice_field *f = type_push(st, 0, json_string_value(name), 0, NULL);
    f->parent = owner;
    if (get_int32(j, "id", f, &f->id, err) || get_bool(j, "required", f, &f->required, err)) return -1;
    const json_t *tj = json_object_get(j, "type");
    if (!tj) return field_err(err, FLOE_EINVAL, f, "missing \"type\"");
    f->type = parse_type(tj, f, depth + 1, err);
    if (!f->type) return -1;
    const json_t *doc = json_object_get(j, "doc");
    if (doc && !json_is_null(doc)) {
        if (!json_is_string(doc))
            return field_err(err, FLOE_EINVAL, f, "\"doc\" must be a string, got %s", json_kind_name(doc));
        f->doc = floe_xstrdup(json_string_value(doc));
    }
    return parse_default(j, "initial-default", f, &f->initial_default, err) ||
                   parse_default(j, "write-default", f, &f->write_default, err)
               ? -1
               : 0;
}

static floe_ice_type *parse_nested(const json_t *j, const char *kind, floe_ice_field *owner, int depth,
                                   floe_err *err) {
    floe_ice_type *t = NULL;
    int32_t id1, id2;
    int req;
    if (strcmp(kind, "struct") == 0) {
        const json_t *fields = json_object_get(j, "fields");
        if (!json_is_array(fields)) {
            field_err(err, FLOE_EINVAL, owner, "a struct needs a \"fields\" array");
            return NULL;
        }
        t = floe_ice_type_new(FLOE_ICE_STRUCT);
        for (size_t i = 0; i < json_array_size(fields); i++)
            if (parse_field(json_array_get(fields, i), t, owner, i, depth, err)) goto fail;
        return t;
    }
    if (strcmp(kind, "list") == 0) {
        if (get_int32(j, "element-id", owner, &id1, err) || get_bool(j, "element-required", owner, &req, err))
            return NULL;
        t = floe_ice_type_list(id1, req, NULL);
        t->fields[0]->parent = owner;
        if (parse_child_type(j, "element", t->fields[0], depth, err)) goto fail;
        return t;
    }
    if (strcmp(kind, "map") == 0) {
        if (get_int32(j, "key-id", owner, &id1, err) || get_int32(j, "value-id", owner, &id2, err) ||
            get_bool(j, "value-required", owner, &req, err))
            return NULL;
        t = floe_ice_type_map(id1, NULL, id2, req, NULL);
        t->fields[0]->parent = t->fields[1]->parent = owner;
        if (parse_child_type(j, "key", t->fields[0], depth, err) || parse_child_type(j, "value", t->fields[1], depth, err))
            goto fail;
        return t;
    }
    field_err(err, FLOE_EINVAL, owner, "unknown nested type \"%s\" (expected struct, list or map)", kind);
    return NULL;
fail:
    floe_ice_type_free(t);
    return NULL;
}

static floe_ice_type *parse_type(const json_t *j, floe_ice_field *owner, int depth, floe_err *err) {
    if (depth > MAX_NESTING) {
        field_err(err, FLOE_EUNSUPPORTED, owner, "types nest deeper than %d levels", MAX_NESTING);
        return NULL;
    }
    if (json_is_string(j)) {
        const char *name = json_string_value(j);
        floe_ice_type *t = floe_ice_type_parse_primitive(name);
        if (t) return t;
        /* Format version 3 types floe does not write yet. */
        static const char *const v3[] = {"unknown", "variant", "geometry", "geography"};
        for (size_t i = 0; i < sizeof v3 / sizeof v3[0]; i++)
            if (strncasecmp(name, v3[i], strlen(v3[i])) == 0) {
                field_err(err, FLOE_EUNSUPPORTED, owner, "type \"%s\" is not supported", name);
                return NULL;
            }
        field_err(err, FLOE_EINVAL, owner, "unknown type \"%s\"", name);
        return NULL;
    }
    if (!json_is_object(j)) {
        field_err(err, FLOE_EINVAL, owner, "\"type\" must be a string or an object, got %s", json_kind_name(j));
        return NULL;
    }
    const json_t *kind = json_object_get(j, "type");
    if (!json_is_string(kind)) {
        field_err(err, FLOE_EINVAL, owner, "a nested type needs a string \"type\"");
        return NULL;
    }
    return parse_nested(j, json_string_value(kind), owner, depth, err);
}

floe_ice_schema *floe_ice_schema_from_json(const json_t *j, floe_err *err) {
    floe_ice_type *root;
    int32_t schema_id = 0;
    if (json_is_array(j)) {
        /* A bare list of fields: wrap it as the struct it stands for. */
        json_t *wrap = json_pack("{s:s, s:O}", "type", "struct", "fields", (json_t *)j);
        root = parse_type(wrap, NULL, 0, err);
        json_decref(wrap);
    } else if (json_is_object(j)) {
        const json_t *kind = json_object_get(j, "type");
        if (!json_is_string(kind) || strcmp(json_string_value(kind), "struct") != 0) {
            field_err(err, FLOE_EINVAL, NULL, "the top level must be {\"type\": \"struct\", \"fields\": [...]}");
            return NULL;
        }
        if (json_object_get(j, "schema-id") && get_int32(j, "schema-id", NULL, &schema_id, err)) return NULL;
        root = parse_type(j, NULL, 0, err);
    } else {
        field_err(err, FLOE_EINVAL, NULL, "expected a JSON object or an array of fields, got %s", json_kind_name(j));
        return NULL;
    }
    if (!root) return NULL;
    floe_ice_schema *s = floe_ice_schema_new(schema_id, root);
    const json_t *ids = json_is_object(j) ? json_object_get(j, "identifier-field-ids") : NULL;
    if (ids && !json_is_null(ids)) {
        if (!json_is_array(ids)) {
            field_err(err, FLOE_EINVAL, NULL, "\"identifier-field-ids\" must be an array of ids");
            goto fail;
        }
        size_t n = json_array_size(ids);
        s->identifier_ids = floe_xmalloc(sizeof(int32_t) * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(ids, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
                field_err(err, FLOE_EINVAL, NULL, "\"identifier-field-ids\"[%zu] is not a field id", i);
                goto fail;
            }
            s->identifier_ids[s->nidentifier++] = (int32_t)json_integer_value(v);
        }
    }
    if (floe_ice_schema_validate(s, err)) goto fail;
    return s;
fail:
    floe_ice_schema_free(s);
    return NULL;
}

floe_ice_schema *floe_ice_schema_parse(const char *json, size_t len, floe_err *err) {
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        floe_err_set(err, FLOE_EINVAL, "schema: invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    floe_ice_schema *s = floe_ice_schema_from_json(j, err);
    json_decref(j);
    return s;
}
