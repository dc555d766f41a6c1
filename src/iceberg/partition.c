/*
 * partition.c — partition specs (spec "Partitioning", Appendix C
 * "Partition Specs"): the CLI / Kafka Connect term syntax, the spec JSON in
 * both directions, the partition tuple's type, and the partition path
 * segment of data file locations.
 *
 * Names and checks follow Java's PartitionSpec.Builder, so a table created
 * by floe has the spec Spark or Kafka Connect would have given it: default
 * names "<column>_bucket", "_trunc", "_year", "_month", "_day", "_hour",
 * "_null" (the column's full dotted path for nested columns), a name used
 * once, a derived name never equal to a column's name, no two time
 * transforms of one column, and transforms only on primitive columns
 * outside lists and maps.
 *
 * Partition paths are Java's PartitionSpec.partitionToPath: each value in
 * its transform's "human string" (hours yyyy-MM-dd-HH, months yyyy-MM,
 * years yyyy, other values as floe_ice_value_to_string prints them: dates
 * yyyy-MM-dd, timestamps ISO-8601, binary base64, ...) and names and
 * values escaped as java.net.URLEncoder does.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/manifest.h"
#include "iceberg/metadata_internal.h"
#include "util/text.h"

/* ---- the model ------------------------------------------------------------ */

void floe_ice_spec_free(floe_ice_partition_spec *s) {
    if (!s) return;
    for (int i = 0; i < s->nfields; i++) free(s->fields[i].name);
    free(s->fields);
    s->fields = NULL;
    s->nfields = 0;
}


void floe_ice_spec_copy(floe_ice_partition_spec *dst, const floe_ice_partition_spec *src) {
    dst->spec_id = src->spec_id;
    dst->nfields = 0;
    dst->fields = NULL;
    for (int i = 0; i < src->nfields; i++) {
        floe_ice_partition_field *f = FLOE_ICE_GROW(dst->fields, dst->nfields);
        *f = src->fields[i];
        f->name = floe_xstrdup(src->fields[i].name);
    }
}

int32_t floe_ice_spec_last_field_id(const floe_ice_partition_spec *s) {
    int32_t last = FLOE_ICE_PARTITION_FIELD_ID_START - 1;
    for (int i = 0; i < s->nfields; i++)
        if (s->fields[i].field_id > last) last = s->fields[i].field_id;
    return last;
}

int floe_ice_spec_same(const floe_ice_partition_spec *a, const floe_ice_partition_spec *b) {
    if (a->nfields != b->nfields) return 0;
    for (int i = 0; i < a->nfields; i++) {
        const floe_ice_partition_field *x = &a->fields[i], *y = &b->fields[i];
        if (x->source_id != y->source_id || x->transform.kind != y->transform.kind ||
            x->transform.param != y->transform.param || strcmp(x->name, y->name) != 0)
            return 0;
    }
    return 1;
}

/* ---- checks against a schema ----------------------------------------------- */

int floe_ice_check_source(const floe_ice_schema *schema, int32_t source_id, const floe_ice_transform *t,
                          const char *ctx, floe_err *err) {
    const floe_ice_field *f = floe_ice_schema_field_by_id(schema, source_id);
    if (!f) return floe_err_set(err, FLOE_EINVAL, "%s: source column id %d is not in the schema", ctx, (int)source_id);
    floe_buf path;
    floe_buf_init(&path);
    floe_ice_field_path(f, &path);
    int rc = 0;
    for (const floe_ice_field *p = f->parent; p && !rc; p = p->parent)
        if (p->type->kind != FLOE_ICE_STRUCT)
            rc = floe_err_set(err, FLOE_EINVAL, "%s: column '%s' is inside a list or map", ctx, floe_buf_cstr(&path));
    if (!rc) {
        floe_ice_type *rt = floe_ice_transform_result_type(t, f->type, err);
        if (rt) floe_ice_type_free(rt);
        else rc = floe_err_prefix(err, "%s: column '%s'", ctx, floe_buf_cstr(&path));
    }
    floe_buf_free(&path);
    return rc;
}

int floe_ice_spec_check(const floe_ice_partition_spec *s, const floe_ice_schema *schema, floe_err *err) {
    for (int i = 0; i < s->nfields; i++) {
        const floe_ice_partition_field *f = &s->fields[i];
        char ctx[96];
        snprintf(ctx, sizeof ctx, "partition spec %d field '%.40s'", (int)s->spec_id, f->name);
        /* A void field may outlive its column: v1 tables replace a dropped
         * partition field with void of the same source. */
        if (f->transform.kind == FLOE_XF_VOID && !floe_ice_schema_field_by_id(schema, f->source_id)) continue;
        if (floe_ice_check_source(schema, f->source_id, &f->transform, ctx, err)) return -1;
    }
    return 0;
}

/* Names and ids unique within the spec; shared by JSON parsing. */
static int check_unique(const floe_ice_partition_spec *s, floe_err *err) {
    for (int i = 0; i < s->nfields; i++)
        for (int j = 0; j < i; j++) {
            if (strcmp(s->fields[i].name, s->fields[j].name) == 0)
                return floe_err_set(err, FLOE_EINVAL, "partition spec %d: the name '%s' is used twice",
                                    (int)s->spec_id, s->fields[i].name);
            if (s->fields[i].field_id == s->fields[j].field_id)
                return floe_err_set(err, FLOE_EINVAL, "partition spec %d: field id %d is used twice",
                                    (int)s->spec_id, (int)s->fields[i].field_id);
        }
    return 0;
}

/* ---- the term syntax ------------------------------------------------------- */

/* Term names and their transforms; the plural forms are Spark's and Kafka
 * Connect's spellings. */
static const struct {
    const char *name;
    int kind;
    const char *suffix;
} term_kinds[] = {
    {"identity", FLOE_XF_IDENTITY, ""}, {"year", FLOE_XF_YEAR, "_year"},    {"years", FLOE_XF_YEAR, "_year"},
    {"month", FLOE_XF_MONTH, "_month"}, {"months", FLOE_XF_MONTH, "_month"}, {"day", FLOE_XF_DAY, "_day"},
    {"days", FLOE_XF_DAY, "_day"},      {"hour", FLOE_XF_HOUR, "_hour"},
    {"hours", FLOE_XF_HOUR, "_hour"},   {"bucket", FLOE_XF_BUCKET, "_bucket"}, {"truncate", FLOE_XF_TRUNCATE, "_trunc"},
    {"void", FLOE_XF_VOID, "_null"},
};

static void trim(const char **s, size_t *n) {
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

/* A positive decimal integer filling s[0..n). */
static int parse_width(const char *s, size_t n, int32_t *out) {
    if (n == 0 || n > 10) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > INT32_MAX) return -1;
    *out = (int32_t)v;
    return 0;
}

/* Time transforms share one dedup name, as in Java: day(ts) and hour(ts)
 * together are redundant. */
static int redundant(const floe_ice_transform *a, const floe_ice_transform *b) {
    int ta = a->kind >= FLOE_XF_YEAR && a->kind <= FLOE_XF_HOUR;
    int tb = b->kind >= FLOE_XF_YEAR && b->kind <= FLOE_XF_HOUR;
    if (ta || tb) return ta && tb;
    return a->kind == b->kind && a->param == b->param;
}

static int add_term(const char *term, size_t tn, const floe_ice_schema *schema, int32_t *last_id,
                    floe_ice_partition_spec *out, floe_err *err) {
    char *text = floe_xstrndup(term, tn);
    const char *col = text;
    size_t coln = tn;
    int k = 0; /* identity */
    floe_ice_transform t = {FLOE_XF_IDENTITY, 0};
    int rc = -1;
    const char *open = memchr(text, '(', tn);
    if (open) {
        const char *fn = text;
        size_t fnn = (size_t)(open - text);
        trim(&fn, &fnn);
        if (text[tn - 1] != ')') {
            floe_err_set(err, FLOE_EINVAL, "partition term '%s': expected ')' at the end", text);
            goto done;
        }
        k = -1;
        for (size_t i = 0; i < sizeof term_kinds / sizeof term_kinds[0]; i++)
            if (strlen(term_kinds[i].name) == fnn && strncasecmp(fn, term_kinds[i].name, fnn) == 0) k = (int)i;
        if (k < 0) {
            floe_err_set(err, FLOE_EINVAL,
                         "partition term '%s': unknown transform '%.*s' (identity, year, month, day, hour, "
                         "bucket, truncate, void)",
                         text, (int)fnn, fn);
            goto done;
        }
        t.kind = term_kinds[k].kind;
        const char *args = open + 1;
        size_t argn = (size_t)(text + tn - 1 - args);
        const char *comma = memchr(args, ',', argn);
        if (t.kind == FLOE_XF_BUCKET || t.kind == FLOE_XF_TRUNCATE) {
            if (!comma) {
                floe_err_set(err, FLOE_EINVAL, "partition term '%s': %s takes a column and a %s", text,
                             term_kinds[k].name, t.kind == FLOE_XF_BUCKET ? "number of buckets" : "width");
                goto done;
            }
            /* Spark writes bucket(16, id), Kafka Connect bucket(id, 16). */
            const char *a = args, *b = comma + 1;
            size_t an = (size_t)(comma - args), bn = argn - an - 1;
            trim(&a, &an);
            trim(&b, &bn);
            if (parse_width(a, an, &t.param) == 0) col = b, coln = bn;
            else if (parse_width(b, bn, &t.param) == 0) col = a, coln = an;
            else {
                floe_err_set(err, FLOE_EINVAL, "partition term '%s': %s needs a positive integer %s", text,
                             term_kinds[k].name, t.kind == FLOE_XF_BUCKET ? "number of buckets" : "width");
                goto done;
            }
        } else {
            if (comma) {
                floe_err_set(err, FLOE_EINVAL, "partition term '%s': %s takes one column", text, term_kinds[k].name);
                goto done;
            }
            col = args;
            coln = argn;
        }
    }
    trim(&col, &coln);
    if (coln == 0 || memchr(col, '(', coln) || memchr(col, ')', coln)) {
        floe_err_set(err, FLOE_EINVAL, "partition term '%s': expected a column name", text);
        goto done;
    }
    char *colname = floe_xstrndup(col, coln);
    const floe_ice_field *f = floe_ice_schema_find(schema, colname, 0);
    if (!f) f = floe_ice_schema_find(schema, colname, 1);
    if (!f) {
        floe_err_set(err, FLOE_EINVAL, "partition term '%s': no column '%s' in the schema", text, colname);
        free(colname);
        goto done;
    }
    free(colname);
    char ctx[160];
    snprintf(ctx, sizeof ctx, "partition term '%.120s'", text);
    if (floe_ice_check_source(schema, f->id, &t, ctx, err)) goto done;
    floe_buf name;
    floe_buf_init(&name);
    floe_ice_field_path(f, &name);
    floe_buf_puts(&name, term_kinds[k].suffix);
    const char *nm = floe_buf_cstr(&name);
    for (int i = 0; i < out->nfields; i++) {
        if (out->fields[i].source_id == f->id && redundant(&out->fields[i].transform, &t)) {
            floe_err_set(err, FLOE_EINVAL, "partition term '%s': redundant with partition field '%s'", text,
                         out->fields[i].name);
            goto name_done;
        }
        if (strcmp(out->fields[i].name, nm) == 0) {
            floe_err_set(err, FLOE_EINVAL, "partition term '%s': the partition name '%s' is used twice", text, nm);
            goto name_done;
        }
    }
    /* A derived name must not shadow a column: readers would not know
     * which one "ts_day" means. */
    if (t.kind != FLOE_XF_IDENTITY && t.kind != FLOE_XF_VOID && floe_ice_schema_find(schema, nm, 0)) {
        floe_err_set(err, FLOE_EINVAL, "partition term '%s': the partition name '%s' is also a column's name", text,
                     nm);
        goto name_done;
    }
    if (*last_id == INT32_MAX) {
        floe_err_set(err, FLOE_EINVAL, "partition term '%s': no partition field id is left", text);
        goto name_done;
    }
    floe_ice_partition_field *pf = FLOE_ICE_GROW(out->fields, out->nfields);
    pf->source_id = f->id;
    pf->field_id = ++*last_id;
    pf->name = floe_xstrdup(nm);
    pf->transform = t;
    rc = 0;
name_done:
    floe_buf_free(&name);
done:
    free(text);
    return rc;
}

int floe_ice_spec_parse_terms(const char *terms, const floe_ice_schema *schema, int32_t spec_id,
                              int32_t last_partition_id, floe_ice_partition_spec *out, floe_err *err) {
    out->spec_id = spec_id;
    out->fields = NULL;
    out->nfields = 0;
    int32_t last = last_partition_id;
    size_t n = strlen(terms);
    const char *all = terms;
    size_t alln = n;
    trim(&all, &alln);
    if (alln == 0) return 0; /* no terms: the unpartitioned spec */
    size_t start = 0;
    int depth = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? terms[i] : ',';
        if (c == '(') depth++;
        else if (c == ')' && --depth < 0) break;
        if (c != ',' || (depth > 0 && i < n)) continue;
        const char *term = terms + start;
        size_t tn = i - start;
        trim(&term, &tn);
        if (depth > 0) break;
        if (tn == 0) {
            floe_ice_spec_free(out);
            return floe_err_set(err, FLOE_EINVAL, "partition terms '%s': empty term at offset %zu", terms, start);
        }
        if (add_term(term, tn, schema, &last, out, err)) {
            floe_ice_spec_free(out);
            return -1;
        }
        start = i + 1;
    }
    if (depth != 0) {
        floe_ice_spec_free(out);
        return floe_err_set(err, FLOE_EINVAL, "partition terms '%s': unbalanced parentheses", terms);
    }
    return 0;
}

/* ---- the partition type ---------------------------------------------------- */

floe_ice_type *floe_ice_spec_partition_type(const floe_ice_partition_spec *s, const floe_ice_schema *schema,
                                            floe_err *err) {
    floe_ice_type *st = floe_ice_type_new(FLOE_ICE_STRUCT);
    for (int i = 0; i < s->nfields; i++) {
        const floe_ice_partition_field *pf = &s->fields[i];
        const floe_ice_field *src = floe_ice_schema_field_by_id(schema, pf->source_id);
        if (!src) {
            floe_err_set(err, FLOE_EINVAL, "partition field '%s': source column id %d is not in the schema", pf->name,
                         (int)pf->source_id);
            floe_ice_type_free(st);
            return NULL;
        }
        floe_ice_type *rt = floe_ice_transform_result_type(&pf->transform, src->type, err);
        if (!rt) {
            floe_err_prefix(err, "partition field '%s'", pf->name);
            floe_ice_type_free(st);
            return NULL;
        }
        floe_ice_struct_add(st, pf->field_id, pf->name, 0, rt);
    }
    return st;
}

/* ---- JSON ------------------------------------------------------------------ */

void floe_ice_spec_fields_to_json(const floe_ice_partition_spec *s, floe_buf *out) {
    floe_buf_putc(out, '[');
    for (int i = 0; i < s->nfields; i++) {
        const floe_ice_partition_field *f = &s->fields[i];
        if (i) floe_buf_putc(out, ',');
        floe_buf_puts(out, "{\"name\":");
        floe_ice_json_put_str(out, f->name);
        floe_buf_puts(out, ",\"transform\":\"");
        floe_ice_transform_name(&f->transform, out);
        floe_buf_printf(out, "\",\"source-id\":%d,\"field-id\":%d}", (int)f->source_id, (int)f->field_id);
    }
    floe_buf_putc(out, ']');
}

void floe_ice_spec_to_json(const floe_ice_partition_spec *s, floe_buf *out) {
    floe_buf_printf(out, "{\"spec-id\":%d,\"fields\":", (int)s->spec_id);
    floe_ice_spec_fields_to_json(s, out);
    floe_buf_putc(out, '}');
}

int floe_ice_spec_fields_from_json(const json_t *fields, int32_t spec_id, floe_ice_partition_spec *out,
                                   floe_err *err) {
    out->spec_id = spec_id;
    out->fields = NULL;
    out->nfields = 0;
    if (!json_is_array(fields))
        return floe_err_set(err, FLOE_EINVAL, "partition spec %d: \"fields\" must be an array, got %s", (int)spec_id,
                            fields ? floe_ice_json_kind(fields) : "nothing");
    size_t n = json_array_size(fields), with_ids = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(fields, i);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "partition spec %d field %zu", (int)spec_id, i);
        const char *name, *transform;
        int32_t source_id, field_id = 0;
        int has_id = 0;
        if (!json_is_object(e)) {
            floe_err_set(err, FLOE_EINVAL, "%s: must be an object, got %s", ctx, floe_ice_json_kind(e));
            goto fail;
        }
        if (floe_ice_json_str(e, "name", 1, ctx, &name, err) < 0 ||
            floe_ice_json_str(e, "transform", 1, ctx, &transform, err) < 0 ||
            floe_ice_json_i32(e, "source-id", 1, ctx, &source_id, err) < 0 ||
            (has_id = floe_ice_json_i32(e, "field-id", 0, ctx, &field_id, err)) < 0)
            goto fail;
        floe_ice_transform t;
        if (floe_ice_transform_parse(transform, &t, err)) {
            /* v3 readers skip unknown transforms; floe cannot write with
             * them, so it says so rather than misread the table. */
            err->code = FLOE_EUNSUPPORTED;
            floe_err_prefix(err, "%s", ctx);
            goto fail;
        }
        if (!name[0]) {
            floe_err_set(err, FLOE_EINVAL, "%s: empty \"name\"", ctx);
            goto fail;
        }
        /* Specs written before v2 have no field ids: Java numbers them
         * from 1000 in order. */
        with_ids += has_id == 1;
        floe_ice_partition_field *f = FLOE_ICE_GROW(out->fields, out->nfields);
        f->source_id = source_id;
        f->field_id = has_id == 1 ? field_id : FLOE_ICE_PARTITION_FIELD_ID_START + (int32_t)i;
        f->name = floe_xstrdup(name);
        f->transform = t;
    }
    if (with_ids != 0 && with_ids != n) {
        floe_err_set(err, FLOE_EINVAL, "partition spec %d: %zu of %zu fields have no \"field-id\"", (int)spec_id,
                     n - with_ids, n);
        goto fail;
    }
    if (check_unique(out, err)) goto fail;
    return 0;
fail:
    floe_ice_spec_free(out);
    return -1;
}

int floe_ice_spec_from_json(const json_t *j, floe_ice_partition_spec *out, floe_err *err) {
    int32_t spec_id;
    out->fields = NULL;
    out->nfields = 0;
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "partition spec: must be an object, got %s", floe_ice_json_kind(j));
    if (floe_ice_json_i32(j, "spec-id", 1, "partition spec", &spec_id, err) < 0) return -1;
    return floe_ice_spec_fields_from_json(json_object_get(j, "fields"), spec_id, out, err);
}

/* ---- partition paths ------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Transform.toHumanString of a partition value of type `type`: the
 * ordinal transforms print calendar units (TransformUtil.humanYear,
 * humanMonth, humanHour); every other value prints as its type's human
 * string (floe_ice_value_to_string), which is what Java's transforms
 * defer to. */
static void human_string(const floe_ice_transform *t, const floe_ice_type *type, const floe_ice_datum *v,
                         floe_buf *out) {
    if (v->is_null || t->kind == FLOE_XF_VOID) {
        floe_buf_puts(out, "null");
        return;
    }
    switch (t->kind) {
    case FLOE_XF_YEAR: floe_buf_printf(out, "%04" PRId64, 1970 + v->i); return;
    case FLOE_XF_MONTH: {
        int64_t years = floordiv(v->i, 12);
        floe_buf_printf(out, "%04" PRId64 "-%02d", 1970 + years, (int)(v->i - years * 12) + 1);
        return;
    }
    case FLOE_XF_HOUR: {
        floe_ice_type date = {0};
        date.kind = FLOE_ICE_DATE;
        floe_ice_datum day = {0};
        day.i = floordiv(v->i, 24);
        floe_ice_value_to_string(&date, &day, out);
        floe_buf_printf(out, "-%02d", (int)(v->i - day.i * 24));
        return;
    }
    default: floe_ice_value_to_string(type, v, out); return;
    }
}

/* java.net.URLEncoder with UTF-8: letters, digits and ".-*_" stay, space
 * becomes '+', every other byte %XX. */
static void url_escape(const uint8_t *p, size_t n, floe_buf *out) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '*' || c == '_';
        if (plain) floe_buf_putc(out, c);
        else if (c == ' ') floe_buf_putc(out, '+');
        else {
            floe_buf_putc(out, '%');
            floe_buf_putc(out, (uint8_t)hex[c >> 4]);
            floe_buf_putc(out, (uint8_t)hex[c & 15]);
        }
    }
}

void floe_ice_spec_partition_path(const floe_ice_partition_spec *s, const floe_ice_type *partition_type,
                                  const floe_ice_datum *values, floe_buf *out) {
    floe_buf text;
    floe_buf_init(&text);
    for (int i = 0; i < s->nfields; i++) {
        const floe_ice_partition_field *f = &s->fields[i];
        if (i) floe_buf_putc(out, '/');
        url_escape((const uint8_t *)f->name, strlen(f->name), out);
        floe_buf_putc(out, '=');
        floe_buf_reset(&text);
        human_string(&f->transform, partition_type->fields[i]->type, &values[i], &text);
        url_escape(text.data, text.len, out);
    }
    floe_buf_free(&text);
}
