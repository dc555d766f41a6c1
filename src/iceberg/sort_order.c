/*
 * sort_order.c — sort orders (spec "Sorting", Appendix C "Sort Orders"):
 * the JSON form Java's SortOrderParser reads and writes, copies, and the
 * checks against a schema and between orders that metadata updates use.
 * Order id 0 is the unsorted order (no fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/metadata_internal.h"

void floe_ice_sort_order_free(floe_ice_sort_order *o) {
    if (!o) return;
    free(o->fields);
    o->fields = NULL;
    o->nfields = 0;
}

void floe_ice_sort_order_copy(floe_ice_sort_order *dst, const floe_ice_sort_order *src) {
    dst->order_id = src->order_id;
    dst->nfields = src->nfields;
    dst->fields = NULL;
    if (src->nfields > 0) {
        dst->fields = floe_xmalloc(sizeof *dst->fields * (size_t)src->nfields);
        memcpy(dst->fields, src->fields, sizeof *dst->fields * (size_t)src->nfields);
    }
}

int floe_ice_sort_order_same(const floe_ice_sort_order *a, const floe_ice_sort_order *b) {
    if (a->nfields != b->nfields) return 0;
    for (int i = 0; i < a->nfields; i++) {
        const floe_ice_sort_field *x = &a->fields[i], *y = &b->fields[i];
        if (x->source_id != y->source_id || x->transform.kind != y->transform.kind ||
            x->transform.param != y->transform.param || x->descending != y->descending ||
            x->nulls_first != y->nulls_first)
            return 0;
    }
    return 1;
}

int floe_ice_sort_order_check(const floe_ice_sort_order *o, const floe_ice_schema *schema, floe_err *err) {
    for (int i = 0; i < o->nfields; i++) {
        char ctx[96];
        snprintf(ctx, sizeof ctx, "sort order %d field %d", (int)o->order_id, i);
        if (floe_ice_check_source(schema, o->fields[i].source_id, &o->fields[i].transform, ctx, err)) return -1;
    }
    return 0;
}

void floe_ice_sort_order_to_json(const floe_ice_sort_order *o, floe_buf *out) {
    floe_buf_printf(out, "{\"order-id\":%d,\"fields\":[", (int)o->order_id);
    for (int i = 0; i < o->nfields; i++) {
        const floe_ice_sort_field *f = &o->fields[i];
        if (i) floe_buf_putc(out, ',');
        floe_buf_puts(out, "{\"transform\":\"");
        floe_ice_transform_name(&f->transform, out);
        floe_buf_printf(out, "\",\"source-id\":%d,\"direction\":\"%s\",\"null-order\":\"%s\"}", (int)f->source_id,
                        f->descending ? "desc" : "asc", f->nulls_first ? "nulls-first" : "nulls-last");
    }
    floe_buf_puts(out, "]}");
}

int floe_ice_sort_order_from_json(const json_t *j, floe_ice_sort_order *out, floe_err *err) {
    out->fields = NULL;
    out->nfields = 0;
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "sort order: must be an object, got %s", floe_ice_json_kind(j));
    if (floe_ice_json_i32(j, "order-id", 1, "sort order", &out->order_id, err) < 0) return -1;
    const json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields))
        return floe_err_set(err, FLOE_EINVAL, "sort order %d: \"fields\" must be an array, got %s",
                            (int)out->order_id, fields ? floe_ice_json_kind(fields) : "nothing");
    size_t n = json_array_size(fields);
    out->fields = floe_xcalloc(n ? n : 1, sizeof *out->fields);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(fields, i);
        floe_ice_sort_field *f = &out->fields[i];
        char ctx[96];
        snprintf(ctx, sizeof ctx, "sort order %d field %zu", (int)out->order_id, i);
        const char *transform, *direction, *null_order;
        if (!json_is_object(e)) {
            floe_err_set(err, FLOE_EINVAL, "%s: must be an object, got %s", ctx, floe_ice_json_kind(e));
            goto fail;
        }
        if (floe_ice_json_str(e, "transform", 1, ctx, &transform, err) < 0 ||
            floe_ice_json_i32(e, "source-id", 1, ctx, &f->source_id, err) < 0 ||
            floe_ice_json_str(e, "direction", 1, ctx, &direction, err) < 0 ||
            floe_ice_json_str(e, "null-order", 1, ctx, &null_order, err) < 0)
            goto fail;
        if (floe_ice_transform_parse(transform, &f->transform, err)) {
            err->code = FLOE_EUNSUPPORTED;
            floe_err_prefix(err, "%s", ctx);
            goto fail;
        }
        /* Java reads both enums ignoring case. */
        if (strcasecmp(direction, "asc") == 0) f->descending = 0;
        else if (strcasecmp(direction, "desc") == 0) f->descending = 1;
        else {
            floe_err_set(err, FLOE_EINVAL, "%s: \"direction\" must be \"asc\" or \"desc\", got \"%s\"", ctx, direction);
            goto fail;
        }
        if (strcasecmp(null_order, "nulls-first") == 0) f->nulls_first = 1;
        else if (strcasecmp(null_order, "nulls-last") == 0) f->nulls_first = 0;
        else {
            floe_err_set(err, FLOE_EINVAL, "%s: \"null-order\" must be \"nulls-first\" or \"nulls-last\", got \"%s\"",
                         ctx, null_order);
            goto fail;
        }
        out->nfields = (int)i + 1;
    }
    out->nfields = (int)n;
    /* Java's SortOrder.Builder: id 0 and no fields go together. */
    if ((out->order_id == 0) != (n == 0)) {
        floe_err_set(err, FLOE_EINVAL, "sort order %d: %s", (int)out->order_id,
                     n ? "id 0 is reserved for the unsorted order" : "the unsorted order must have id 0");
        goto fail;
    }
    return 0;
fail:
    floe_ice_sort_order_free(out);
    return -1;
}
