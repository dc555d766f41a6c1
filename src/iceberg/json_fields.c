/*
 * json_fields.c — reading members of parsed JSON documents (table
 * metadata, partition specs, sort orders, snapshots, REST updates) so that
 * every error says where it is ("snapshot 17: \"timestamp-ms\" must be an
 * integer, got a string"), and the few writers the metadata files share.
 *
 * Absent and null members are treated alike: Java's parsers write null for
 * some optional members (assert-ref-snapshot-id's "snapshot-id") and read
 * null as "not given" everywhere.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/metadata_internal.h"
#include "util/text.h"

const char *floe_ice_json_kind(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a fractional number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Looks o[key] up: 1 present, 0 absent and optional, -1 missing and required. */
static int member(const json_t *o, const char *key, int required, const char *ctx, const json_t **v, floe_err *err) {
    *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    if (*v && !json_is_null(*v)) return 1;
    if (required) return floe_err_set(err, FLOE_EINVAL, "%s: missing \"%s\"", ctx, key);
    return 0;
}

int floe_ice_json_int(const json_t *o, const char *key, int required, int64_t min, int64_t max, const char *ctx,
                      int64_t *out, floe_err *err) {
    const json_t *v;
    int rc = member(o, key, required, ctx, &v, err);
    if (rc <= 0) return rc;
    if (!json_is_integer(v))
        return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" must be an integer, got %s", ctx, key,
                            floe_ice_json_kind(v));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" is %" JSON_INTEGER_FORMAT ", outside %" PRId64 "..%" PRId64,
                            ctx, key, x, min, max);
    *out = (int64_t)x;
    return 1;
}

int floe_ice_json_i32(const json_t *o, const char *key, int required, const char *ctx, int32_t *out, floe_err *err) {
    int64_t v;
    int rc = floe_ice_json_int(o, key, required, INT32_MIN, INT32_MAX, ctx, &v, err);
    if (rc == 1) *out = (int32_t)v;
    return rc;
}

int floe_ice_json_str(const json_t *o, const char *key, int required, const char *ctx, const char **out,
                      floe_err *err) {
    const json_t *v;
    int rc = member(o, key, required, ctx, &v, err);
    if (rc <= 0) return rc;
    if (!json_is_string(v))
        return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" must be a string, got %s", ctx, key, floe_ice_json_kind(v));
    /* C strings end at the first NUL; a value that hides one would be read
     * as something else than what the document says. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" contains a NUL character", ctx, key);
    *out = json_string_value(v);
    return 1;
}

int floe_ice_json_props(const json_t *o, const char *key, int required, const char *ctx, floe_props *out,
                        floe_err *err) {
    const json_t *v;
    int rc = member(o, key, required, ctx, &v, err);
    if (rc <= 0) return rc;
    if (!json_is_object(v))
        return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" must be an object of strings, got %s", ctx, key,
                            floe_ice_json_kind(v));
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        if (!json_is_string(val))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\".\"%s\" must be a string, got %s", ctx, key, k,
                                floe_ice_json_kind(val));
        if (strlen(json_string_value(val)) != json_string_length(val))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\".\"%s\" contains a NUL character", ctx, key, k);
        floe_props_set(out, k, json_string_value(val));
    }
    return 1;
}

void floe_ice_json_put_str(floe_buf *out, const char *s) { floe_json_escape((const uint8_t *)s, strlen(s), out); }

void floe_ice_json_put_props(floe_buf *out, const floe_props *p) {
    floe_buf_putc(out, '{');
    for (int i = 0; i < p->n; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_json_put_str(out, p->items[i].key);
        floe_buf_putc(out, ':');
        floe_ice_json_put_str(out, p->items[i].value);
    }
    floe_buf_putc(out, '}');
}

void floe_ice_json_put_value(floe_buf *out, const json_t *v) {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    /* A value jansson parsed always dumps; failing here means memory ran
     * out, which floe treats as fatal (mem.h). */
    if (!s) abort();
    floe_buf_puts(out, s);
    free(s);
}

json_t *floe_ice_json_load(const char *json, size_t len, const char *what, floe_err *err) {
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j)
        floe_err_set(err, FLOE_EINVAL, "%s: invalid JSON at line %d column %d: %s", what, je.line, je.column,
                     je.text);
    return j;
}
