/*
 * snapshot.c — snapshots and snapshot references in the JSON forms of the
 * table spec (Appendix C) as Java's SnapshotParser and SnapshotRefParser
 * write them, plus copies and comparisons for the metadata model.
 *
 * A snapshot's summary keeps "operation" first.  A summary without one is
 * read as "overwrite", as Java does, so that a damaged summary still loads
 * and writes back in a form every reader accepts.  v1 snapshots may list
 * their manifests inline ("manifests") instead of naming a manifest list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/metadata_internal.h"

void floe_ice_snapshot_free(floe_ice_snapshot *s) {
    if (!s) return;
    free(s->manifest_list);
    for (int i = 0; i < s->nmanifests; i++) free(s->manifests[i]);
    free(s->manifests);
    floe_props_free(&s->summary);
    memset(s, 0, sizeof *s);
}

void floe_ice_snapshot_copy(floe_ice_snapshot *dst, const floe_ice_snapshot *src) {
    *dst = *src;
    dst->manifest_list = src->manifest_list ? floe_xstrdup(src->manifest_list) : NULL;
    dst->manifests = NULL;
    if (src->nmanifests > 0) {
        dst->manifests = floe_xmalloc(sizeof *dst->manifests * (size_t)src->nmanifests);
        for (int i = 0; i < src->nmanifests; i++) dst->manifests[i] = floe_xstrdup(src->manifests[i]);
    }
    floe_props_copy(&dst->summary, &src->summary);
}

void floe_ice_snapshot_to_json(const floe_ice_snapshot *s, floe_buf *out) {
    floe_buf_putc(out, '{');
    if (s->sequence_number > 0) floe_buf_printf(out, "\"sequence-number\":%" PRId64 ",", s->sequence_number);
    floe_buf_printf(out, "\"snapshot-id\":%" PRId64, s->snapshot_id);
    if (s->has_parent) floe_buf_printf(out, ",\"parent-snapshot-id\":%" PRId64, s->parent_id);
    floe_buf_printf(out, ",\"timestamp-ms\":%" PRId64, s->timestamp_ms);
    if (s->summary.n > 0) {
        const char *op = floe_props_get(&s->summary, "operation");
        floe_buf_puts(out, ",\"summary\":{");
        int first = 1;
        if (op) {
            floe_buf_puts(out, "\"operation\":");
            floe_ice_json_put_str(out, op);
            first = 0;
        }
        for (int i = 0; i < s->summary.n; i++) {
            if (strcmp(s->summary.items[i].key, "operation") == 0) continue;
            if (!first) floe_buf_putc(out, ',');
            first = 0;
            floe_ice_json_put_str(out, s->summary.items[i].key);
            floe_buf_putc(out, ':');
            floe_ice_json_put_str(out, s->summary.items[i].value);
        }
        floe_buf_putc(out, '}');
    }
    if (s->manifest_list) {
        floe_buf_puts(out, ",\"manifest-list\":");
        floe_ice_json_put_str(out, s->manifest_list);
    } else {
        floe_buf_puts(out, ",\"manifests\":[");
        for (int i = 0; i < s->nmanifests; i++) {
            if (i) floe_buf_putc(out, ',');
            floe_ice_json_put_str(out, s->manifests[i]);
        }
        floe_buf_putc(out, ']');
    }
    if (s->has_schema_id) floe_buf_printf(out, ",\"schema-id\":%d", (int)s->schema_id);
    floe_buf_putc(out, '}');
}

int floe_ice_snapshot_from_json(const json_t *j, floe_ice_snapshot *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_props_init(&out->summary);
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "snapshot: must be an object, got %s", floe_ice_json_kind(j));
    if (floe_ice_json_int(j, "snapshot-id", 1, INT64_MIN, INT64_MAX, "snapshot", &out->snapshot_id, err) < 0)
        return -1;
    char ctx[96];
    snprintf(ctx, sizeof ctx, "snapshot %" PRId64, out->snapshot_id);
    const char *list;
    int rc;
    if (floe_ice_json_int(j, "sequence-number", 0, 0, INT64_MAX, ctx, &out->sequence_number, err) < 0 ||
        (rc = floe_ice_json_int(j, "parent-snapshot-id", 0, INT64_MIN, INT64_MAX, ctx, &out->parent_id, err)) < 0)
        goto fail;
    out->has_parent = rc;
    if (floe_ice_json_int(j, "timestamp-ms", 1, INT64_MIN, INT64_MAX, ctx, &out->timestamp_ms, err) < 0 ||
        (rc = floe_ice_json_i32(j, "schema-id", 0, ctx, &out->schema_id, err)) < 0)
        goto fail;
    out->has_schema_id = rc;
    floe_props summary;
    floe_props_init(&summary);
    if (floe_ice_json_props(j, "summary", 0, ctx, &summary, err) < 0) {
        floe_props_free(&summary);
        goto fail;
    }
    if (summary.n > 0) {
        const char *op = floe_props_get(&summary, "operation");
        floe_props_set(&out->summary, "operation", op ? op : "overwrite");
        for (int i = 0; i < summary.n; i++)
            if (strcmp(summary.items[i].key, "operation") != 0)
                floe_props_set(&out->summary, summary.items[i].key, summary.items[i].value);
    }
    floe_props_free(&summary);
    if ((rc = floe_ice_json_str(j, "manifest-list", 0, ctx, &list, err)) < 0) goto fail;
    if (rc) {
        out->manifest_list = floe_xstrdup(list);
        return 0;
    }
    const json_t *manifests = json_object_get(j, "manifests");
    if (!json_is_array(manifests)) {
        floe_err_set(err, FLOE_EINVAL, "%s: needs a \"manifest-list\" (or, in v1, a \"manifests\" array)", ctx);
        goto fail;
    }
    size_t n = json_array_size(manifests);
    out->manifests = floe_xcalloc(n ? n : 1, sizeof *out->manifests);
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(manifests, i);
        if (!json_is_string(m) || strlen(json_string_value(m)) != json_string_length(m)) {
            floe_err_set(err, FLOE_EINVAL, "%s: \"manifests\"[%zu] must be a string, got %s", ctx, i,
                         floe_ice_json_kind(m));
            goto fail;
        }
        out->manifests[out->nmanifests++] = floe_xstrdup(json_string_value(m));
    }
    return 0;
fail:
    floe_ice_snapshot_free(out);
    return -1;
}

/* ---- refs ------------------------------------------------------------------ */

void floe_ice_ref_free(floe_ice_ref *r) {
    if (!r) return;
    free(r->name);
    r->name = NULL;
}

void floe_ice_ref_copy(floe_ice_ref *dst, const floe_ice_ref *src) {
    *dst = *src;
    dst->name = src->name ? floe_xstrdup(src->name) : NULL;
}

int floe_ice_ref_equal(const floe_ice_ref *a, const floe_ice_ref *b) {
    return a->snapshot_id == b->snapshot_id && a->is_tag == b->is_tag &&
           a->min_snapshots_to_keep == b->min_snapshots_to_keep && a->max_snapshot_age_ms == b->max_snapshot_age_ms &&
           a->max_ref_age_ms == b->max_ref_age_ms;
}

void floe_ice_ref_put_members(const floe_ice_ref *r, floe_buf *out) {
    floe_buf_printf(out, "\"snapshot-id\":%" PRId64 ",\"type\":\"%s\"", r->snapshot_id, r->is_tag ? "tag" : "branch");
    if (r->min_snapshots_to_keep >= 0)
        floe_buf_printf(out, ",\"min-snapshots-to-keep\":%" PRId64, r->min_snapshots_to_keep);
    if (r->max_snapshot_age_ms >= 0) floe_buf_printf(out, ",\"max-snapshot-age-ms\":%" PRId64, r->max_snapshot_age_ms);
    if (r->max_ref_age_ms >= 0) floe_buf_printf(out, ",\"max-ref-age-ms\":%" PRId64, r->max_ref_age_ms);
}

int floe_ice_ref_from_json(const json_t *j, const char *name, const char *ctx, floe_ice_ref *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    out->min_snapshots_to_keep = out->max_snapshot_age_ms = out->max_ref_age_ms = -1;
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "%s: must be an object, got %s", ctx, floe_ice_json_kind(j));
    const char *type;
    /* The spec asks for positive retention values; 0 is accepted as Java
     * does, negatives would collide with "absent". */
    if (floe_ice_json_int(j, "snapshot-id", 1, INT64_MIN, INT64_MAX, ctx, &out->snapshot_id, err) < 0 ||
        floe_ice_json_str(j, "type", 1, ctx, &type, err) < 0 ||
        floe_ice_json_int(j, "min-snapshots-to-keep", 0, 0, INT32_MAX, ctx, &out->min_snapshots_to_keep, err) < 0 ||
        floe_ice_json_int(j, "max-snapshot-age-ms", 0, 0, INT64_MAX, ctx, &out->max_snapshot_age_ms, err) < 0 ||
        floe_ice_json_int(j, "max-ref-age-ms", 0, 0, INT64_MAX, ctx, &out->max_ref_age_ms, err) < 0)
        return -1;
    if (strcasecmp(type, "tag") == 0) out->is_tag = 1;
    else if (strcasecmp(type, "branch") != 0)
        return floe_err_set(err, FLOE_EINVAL, "%s: \"type\" must be \"branch\" or \"tag\", got \"%s\"", ctx, type);
    out->name = floe_xstrdup(name);
    return 0;
}
