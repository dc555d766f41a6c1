/*
 * updates.c — the commit model: requirements (TableRequirement) checked
 * against the base metadata and updates (TableUpdate) applied to a copy of
 * it, in the REST catalog's JSON forms both ways.
 *
 * Semantics are those of Java's UpdateRequirement and TableMetadata.Builder,
 * which a REST server applies, so that floe's catalogs and Java's agree on
 * what a commit means:
 *  - add-schema reuses an identical schema's id, else takes one past the
 *    highest; last-column-id becomes the largest of the table's, the
 *    schema's highest field id and the one the update names.  add-spec and
 *    add-sort-order likewise reuse an equal spec/order or take the next id
 *    (sort orders from 1; the unsorted order is always 0).  The set-current
 *    / set-default updates take -1 for "the one added last in this commit".
 *  - add-snapshot refuses a known id, an unknown parent and (v2) a
 *    sequence number not above last-sequence-number; that last case is a
 *    conflict (another commit got there first), the others are invalid.
 *  - set-snapshot-ref on "main" moves current-snapshot-id and logs the
 *    change (at the snapshot's own time when it was added in this commit,
 *    else at the commit's time); remove-snapshots drops refs left dangling
 *    and the snapshot log before any removed snapshot, as Java does, and
 *    the statistics files of removed snapshots.
 *  - snapshots added and then replaced as main within one commit leave no
 *    snapshot-log entry (Java's intermediate snapshots).
 * The result is checked as a whole (floe_ice_metadata_check) before it is
 * returned.  With no base, updates build a new table from nothing, as a
 * REST create transaction does.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/metadata_internal.h"
#include "iceberg/schema.h"
#include "util/text.h"

/* ---- names ----------------------------------------------------------------- */

static const char *const req_names[] = {
    "assert-create",           "assert-table-uuid",        "assert-ref-snapshot-id",
    "assert-last-assigned-field-id", "assert-current-schema-id", "assert-last-assigned-partition-id",
    "assert-default-spec-id",  "assert-default-sort-order-id"};
/* The member holding the asserted id, by kind (NULL: none or special). */
static const char *const req_keys[] = {NULL,
                                       NULL,
                                       NULL,
                                       "last-assigned-field-id",
                                       "current-schema-id",
                                       "last-assigned-partition-id",
                                       "default-spec-id",
                                       "default-sort-order-id"};
#define NREQ ((int)(sizeof req_names / sizeof req_names[0]))

static const char *const upd_names[] = {
    "assign-uuid",    "upgrade-format-version", "add-schema",       "set-current-schema",  "add-spec",
    "set-default-spec", "add-sort-order",       "set-default-sort-order", "add-snapshot", "set-snapshot-ref",
    "remove-snapshots", "remove-snapshot-ref",  "set-location",     "set-properties",      "remove-properties"};
#define NUPD ((int)(sizeof upd_names / sizeof upd_names[0]))

/* REST updates floe knows of but does not implement: refused as
 * unsupported rather than as unknown. */
static const char *const upd_unsupported[] = {
    "set-statistics",         "remove-statistics",     "set-partition-statistics", "remove-partition-statistics",
    "remove-partition-specs", "remove-schemas",        "add-encryption-key",       "remove-encryption-key",
    "add-view-version",       "set-current-view-version"};

static const char *req_name(int kind) { return kind >= 0 && kind < NREQ ? req_names[kind] : "unknown requirement"; }
static const char *upd_name(int kind) { return kind >= 0 && kind < NUPD ? upd_names[kind] : "unknown update"; }

/* ---- requirements ------------------------------------------------------------ */

void floe_ice_requirement_free(floe_ice_requirement *r) {
    if (!r) return;
    free(r->ref);
    r->ref = NULL;
}

void floe_ice_requirement_to_json(const floe_ice_requirement *r, floe_buf *out) {
    floe_buf_printf(out, "{\"type\":\"%s\"", req_name(r->kind));
    switch (r->kind) {
    case FLOE_REQ_ASSERT_CREATE: break;
    case FLOE_REQ_ASSERT_TABLE_UUID:
        floe_buf_puts(out, ",\"uuid\":");
        floe_ice_json_put_str(out, r->uuid);
        break;
    case FLOE_REQ_ASSERT_REF_SNAPSHOT_ID:
        floe_buf_puts(out, ",\"ref\":");
        floe_ice_json_put_str(out, r->ref ? r->ref : "");
        /* Java writes null for "the ref must not exist". */
        if (r->id == -1) floe_buf_puts(out, ",\"snapshot-id\":null");
        else floe_buf_printf(out, ",\"snapshot-id\":%" PRId64, r->id);
        break;
    default:
        if (r->kind > 0 && r->kind < NREQ) floe_buf_printf(out, ",\"%s\":%" PRId64, req_keys[r->kind], r->id);
        break;
    }
    floe_buf_putc(out, '}');
}

int floe_ice_requirement_from_json(const json_t *j, floe_ice_requirement *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    const char *type, *s;
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "requirement: must be an object, got %s", floe_ice_json_kind(j));
    if (floe_ice_json_str(j, "type", 1, "requirement", &type, err) < 0) return -1;
    out->kind = -1;
    for (int k = 0; k < NREQ; k++)
        if (strcasecmp(type, req_names[k]) == 0) out->kind = k;
    char ctx[96];
    snprintf(ctx, sizeof ctx, "requirement %.60s", type);
    switch (out->kind) {
    case -1:
        return floe_err_set(err, FLOE_EUNSUPPORTED, "requirement: unknown type \"%.60s\"", type);
    case FLOE_REQ_ASSERT_CREATE: return 0;
    case FLOE_REQ_ASSERT_TABLE_UUID: {
        uint8_t u[16];
        if (floe_ice_json_str(j, "uuid", 1, ctx, &s, err) < 0) return -1;
        if (floe_parse_uuid(s, strlen(s), u))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"uuid\" is not a UUID: \"%.60s\"", ctx, s);
        memcpy(out->uuid, s, 36);
        return 0;
    }
    case FLOE_REQ_ASSERT_REF_SNAPSHOT_ID: {
        if (floe_ice_json_str(j, "ref", 1, ctx, &s, err) < 0) return -1;
        /* -1 is this model's "must not exist"; a real snapshot id never is. */
        int rc = floe_ice_json_int(j, "snapshot-id", 0, INT64_MIN, INT64_MAX, ctx, &out->id, err);
        if (rc < 0) return -1;
        if (rc == 0) out->id = -1;
        out->ref = floe_xstrdup(s);
        return 0;
    }
    default: {
        int32_t v;
        if (floe_ice_json_i32(j, req_keys[out->kind], 1, ctx, &v, err) < 0) return -1;
        out->id = v;
        return 0;
    }
    }
}

/* "requirement <type> failed: ..." as a commit conflict. */
FLOE_PRINTF(3, 4)
static int req_failed(floe_err *err, const floe_ice_requirement *r, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return floe_err_set(err, FLOE_ECONFLICT, "requirement %s failed: %s", req_name(r->kind), msg);
}

static int check_one(const floe_ice_metadata *base, const floe_ice_requirement *r, floe_err *err) {
    int64_t actual;
    switch (r->kind) {
    case FLOE_REQ_ASSERT_CREATE:
        return base ? req_failed(err, r, "the table already exists") : 0;
    case FLOE_REQ_ASSERT_TABLE_UUID:
        if (!base) return req_failed(err, r, "the table does not exist");
        if (strcasecmp(r->uuid, base->table_uuid) != 0)
            return req_failed(err, r, "the table's UUID is %s, not %s",
                              base->table_uuid[0] ? base->table_uuid : "unset", r->uuid);
        return 0;
    case FLOE_REQ_ASSERT_REF_SNAPSHOT_ID: {
        const char *name = r->ref ? r->ref : "";
        const floe_ice_ref *ref = base ? floe_ice_metadata_ref(base, name) : NULL;
        if (ref) {
            const char *type = ref->is_tag ? "tag" : "branch";
            if (r->id == -1) return req_failed(err, r, "%s %s was created concurrently (at snapshot %" PRId64 ")", type,
                                               name, ref->snapshot_id);
            if (r->id != ref->snapshot_id)
                return req_failed(err, r, "%s %s has changed: expected snapshot %" PRId64 ", found %" PRId64, type,
                                  name, r->id, ref->snapshot_id);
        } else if (r->id != -1) {
            return req_failed(err, r, "branch or tag %s is missing, expected snapshot %" PRId64, name, r->id);
        }
        return 0;
    }
    case FLOE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID:
    case FLOE_REQ_ASSERT_LAST_ASSIGNED_PARTITION_ID:
        /* Java lets these pass on a table that does not exist yet. */
        if (!base) return 0;
        actual = r->kind == FLOE_REQ_ASSERT_LAST_ASSIGNED_FIELD_ID ? base->last_column_id : base->last_partition_id;
        break;
    case FLOE_REQ_ASSERT_CURRENT_SCHEMA_ID:
    case FLOE_REQ_ASSERT_DEFAULT_SPEC_ID:
    case FLOE_REQ_ASSERT_DEFAULT_SORT_ORDER_ID:
        if (!base) return req_failed(err, r, "the table does not exist");
        actual = r->kind == FLOE_REQ_ASSERT_CURRENT_SCHEMA_ID ? base->current_schema_id
                 : r->kind == FLOE_REQ_ASSERT_DEFAULT_SPEC_ID ? base->default_spec_id
                                                              : base->default_sort_order_id;
        break;
    default: return floe_err_set(err, FLOE_EINVAL, "requirement: unknown kind %d", r->kind);
    }
    if (actual != r->id)
        return req_failed(err, r, "%s changed: expected %" PRId64 ", found %" PRId64, req_keys[r->kind], r->id, actual);
    return 0;
}

int floe_ice_requirements_check(const floe_ice_metadata *base, const floe_ice_requirement *reqs, int nreqs,
                                floe_err *err) {
    for (int i = 0; i < nreqs; i++)
        if (check_one(base, &reqs[i], err)) return -1;
    return 0;
}

/* ---- updates: the model and JSON ------------------------------------------------ */

void floe_ice_update_free(floe_ice_update *u) {
    if (!u) return;
    floe_ice_schema_free(u->schema);
    floe_ice_spec_free(&u->spec);
    floe_ice_sort_order_free(&u->order);
    floe_ice_snapshot_free(&u->snapshot);
    floe_ice_ref_free(&u->ref);
    free(u->snapshot_ids);
    free(u->location);
    floe_props_free(&u->props);
    for (int i = 0; i < u->nremovals; i++) free(u->removals[i]);
    free(u->removals);
    memset(u, 0, sizeof *u);
}

void floe_ice_update_to_json(const floe_ice_update *u, floe_buf *out) {
    floe_buf_printf(out, "{\"action\":\"%s\"", upd_name(u->kind));
    switch (u->kind) {
    case FLOE_UPD_ASSIGN_UUID:
        floe_buf_puts(out, ",\"uuid\":");
        floe_ice_json_put_str(out, u->uuid);
        break;
    case FLOE_UPD_UPGRADE_FORMAT_VERSION: floe_buf_printf(out, ",\"format-version\":%d", u->format_version); break;
    case FLOE_UPD_ADD_SCHEMA:
        floe_buf_puts(out, ",\"schema\":");
        floe_ice_schema_to_json(u->schema, out);
        floe_buf_printf(out, ",\"last-column-id\":%d", (int)u->last_column_id);
        break;
    case FLOE_UPD_SET_CURRENT_SCHEMA: floe_buf_printf(out, ",\"schema-id\":%d", (int)u->id); break;
    case FLOE_UPD_ADD_SPEC:
        floe_buf_puts(out, ",\"spec\":");
        floe_ice_spec_to_json(&u->spec, out);
        break;
    case FLOE_UPD_SET_DEFAULT_SPEC: floe_buf_printf(out, ",\"spec-id\":%d", (int)u->id); break;
    case FLOE_UPD_ADD_SORT_ORDER:
        floe_buf_puts(out, ",\"sort-order\":");
        floe_ice_sort_order_to_json(&u->order, out);
        break;
    case FLOE_UPD_SET_DEFAULT_SORT_ORDER: floe_buf_printf(out, ",\"sort-order-id\":%d", (int)u->id); break;
    case FLOE_UPD_ADD_SNAPSHOT:
        floe_buf_puts(out, ",\"snapshot\":");
        floe_ice_snapshot_to_json(&u->snapshot, out);
        break;
    case FLOE_UPD_SET_SNAPSHOT_REF:
        floe_buf_puts(out, ",\"ref-name\":");
        floe_ice_json_put_str(out, u->ref.name ? u->ref.name : "");
        floe_buf_putc(out, ',');
        floe_ice_ref_put_members(&u->ref, out);
        break;
    case FLOE_UPD_REMOVE_SNAPSHOTS:
        floe_buf_puts(out, ",\"snapshot-ids\":[");
        for (int i = 0; i < u->nsnapshot_ids; i++) floe_buf_printf(out, "%s%" PRId64, i ? "," : "", u->snapshot_ids[i]);
        floe_buf_putc(out, ']');
        break;
    case FLOE_UPD_REMOVE_SNAPSHOT_REF:
        floe_buf_puts(out, ",\"ref-name\":");
        floe_ice_json_put_str(out, u->ref.name ? u->ref.name : "");
        break;
    case FLOE_UPD_SET_LOCATION:
        floe_buf_puts(out, ",\"location\":");
        floe_ice_json_put_str(out, u->location ? u->location : "");
        break;
    case FLOE_UPD_SET_PROPERTIES:
        floe_buf_puts(out, ",\"updates\":");
        floe_ice_json_put_props(out, &u->props);
        break;
    case FLOE_UPD_REMOVE_PROPERTIES:
        floe_buf_puts(out, ",\"removals\":[");
        for (int i = 0; i < u->nremovals; i++) {
            if (i) floe_buf_putc(out, ',');
            floe_ice_json_put_str(out, u->removals[i]);
        }
        floe_buf_putc(out, ']');
        break;
    default: break;
    }
    floe_buf_putc(out, '}');
}

/* The member `key`, or Java's early spelling `legacy` when only that is
 * there ("updated" for "updates", "removed" for "removals"). */
static const char *key_or_legacy(const json_t *j, const char *key, const char *legacy) {
    return !json_object_get(j, key) && json_object_get(j, legacy) ? legacy : key;
}

static int parse_update(const json_t *j, const char *ctx, floe_ice_update *u, floe_err *err) {
    const char *s;
    int32_t v;
    switch (u->kind) {
    case FLOE_UPD_ASSIGN_UUID: {
        uint8_t b[16];
        if (floe_ice_json_str(j, "uuid", 1, ctx, &s, err) < 0) return -1;
        if (floe_parse_uuid(s, strlen(s), b))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"uuid\" is not a UUID: \"%.60s\"", ctx, s);
        memcpy(u->uuid, s, 36);
        return 0;
    }
    case FLOE_UPD_UPGRADE_FORMAT_VERSION:
        if (floe_ice_json_i32(j, "format-version", 1, ctx, &v, err) < 0) return -1;
        u->format_version = v;
        return 0;
    case FLOE_UPD_ADD_SCHEMA: {
        const json_t *sj = json_object_get(j, "schema");
        if (!sj) return floe_err_set(err, FLOE_EINVAL, "%s: missing \"schema\"", ctx);
        u->schema = floe_ice_schema_from_json(sj, err);
        if (!u->schema) return floe_err_prefix(err, "%s", ctx);
        return floe_ice_json_i32(j, "last-column-id", 0, ctx, &u->last_column_id, err) < 0 ? -1 : 0;
    }
    case FLOE_UPD_SET_CURRENT_SCHEMA: return floe_ice_json_i32(j, "schema-id", 1, ctx, &u->id, err) < 0 ? -1 : 0;
    case FLOE_UPD_SET_DEFAULT_SPEC: return floe_ice_json_i32(j, "spec-id", 1, ctx, &u->id, err) < 0 ? -1 : 0;
    case FLOE_UPD_SET_DEFAULT_SORT_ORDER:
        return floe_ice_json_i32(j, "sort-order-id", 1, ctx, &u->id, err) < 0 ? -1 : 0;
    case FLOE_UPD_ADD_SPEC: {
        const json_t *sj = json_object_get(j, "spec");
        if (!sj) return floe_err_set(err, FLOE_EINVAL, "%s: missing \"spec\"", ctx);
        return floe_ice_spec_from_json(sj, &u->spec, err) ? floe_err_prefix(err, "%s", ctx) : 0;
    }
    case FLOE_UPD_ADD_SORT_ORDER: {
        const json_t *oj = json_object_get(j, "sort-order");
        if (!oj) return floe_err_set(err, FLOE_EINVAL, "%s: missing \"sort-order\"", ctx);
        return floe_ice_sort_order_from_json(oj, &u->order, err) ? floe_err_prefix(err, "%s", ctx) : 0;
    }
    case FLOE_UPD_ADD_SNAPSHOT: {
        const json_t *sj = json_object_get(j, "snapshot");
        if (!sj) return floe_err_set(err, FLOE_EINVAL, "%s: missing \"snapshot\"", ctx);
        return floe_ice_snapshot_from_json(sj, &u->snapshot, err) ? floe_err_prefix(err, "%s", ctx) : 0;
    }
    case FLOE_UPD_SET_SNAPSHOT_REF:
        if (floe_ice_json_str(j, "ref-name", 1, ctx, &s, err) < 0) return -1;
        return floe_ice_ref_from_json(j, s, ctx, &u->ref, err);
    case FLOE_UPD_REMOVE_SNAPSHOT_REF:
        if (floe_ice_json_str(j, "ref-name", 1, ctx, &s, err) < 0) return -1;
        u->ref.name = floe_xstrdup(s);
        return 0;
    case FLOE_UPD_REMOVE_SNAPSHOTS: {
        const json_t *ids = json_object_get(j, "snapshot-ids");
        if (!json_is_array(ids))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"snapshot-ids\" must be an array of ids, got %s", ctx,
                                ids ? floe_ice_json_kind(ids) : "nothing");
        size_t n = json_array_size(ids);
        u->snapshot_ids = floe_xcalloc(n ? n : 1, sizeof *u->snapshot_ids);
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(ids, i);
            if (!json_is_integer(e))
                return floe_err_set(err, FLOE_EINVAL, "%s: \"snapshot-ids\"[%zu] must be an integer, got %s", ctx, i,
                                    floe_ice_json_kind(e));
            u->snapshot_ids[u->nsnapshot_ids++] = json_integer_value(e);
        }
        return 0;
    }
    case FLOE_UPD_SET_LOCATION:
        if (floe_ice_json_str(j, "location", 1, ctx, &s, err) < 0) return -1;
        u->location = floe_xstrdup(s);
        return 0;
    case FLOE_UPD_SET_PROPERTIES:
        return floe_ice_json_props(j, key_or_legacy(j, "updates", "updated"), 1, ctx, &u->props, err) < 0 ? -1 : 0;
    case FLOE_UPD_REMOVE_PROPERTIES: {
        const char *key = key_or_legacy(j, "removals", "removed");
        const json_t *arr = json_object_get(j, key);
        if (!json_is_array(arr))
            return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\" must be an array of names, got %s", ctx, key,
                                arr ? floe_ice_json_kind(arr) : "nothing");
        size_t n = json_array_size(arr);
        u->removals = floe_xcalloc(n ? n : 1, sizeof *u->removals);
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(arr, i);
            if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
                return floe_err_set(err, FLOE_EINVAL, "%s: \"%s\"[%zu] must be a string, got %s", ctx, key, i,
                                    floe_ice_json_kind(e));
            u->removals[u->nremovals++] = floe_xstrdup(json_string_value(e));
        }
        return 0;
    }
    default: return floe_err_set(err, FLOE_EINVAL, "%s: unknown kind %d", ctx, u->kind);
    }
}

int floe_ice_update_from_json(const json_t *j, floe_ice_update *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_props_init(&out->props);
    out->ref.min_snapshots_to_keep = out->ref.max_snapshot_age_ms = out->ref.max_ref_age_ms = -1;
    const char *action;
    if (!json_is_object(j))
        return floe_err_set(err, FLOE_EINVAL, "update: must be an object, got %s", floe_ice_json_kind(j));
    if (floe_ice_json_str(j, "action", 1, "update", &action, err) < 0) return -1;
    out->kind = -1;
    for (int k = 0; k < NUPD; k++)
        if (strcasecmp(action, upd_names[k]) == 0) out->kind = k;
    if (out->kind < 0) {
        for (size_t i = 0; i < sizeof upd_unsupported / sizeof upd_unsupported[0]; i++)
            if (strcasecmp(action, upd_unsupported[i]) == 0)
                return floe_err_set(err, FLOE_EUNSUPPORTED, "update: action \"%s\" is not supported", action);
        return floe_err_set(err, FLOE_EINVAL, "update: unknown action \"%.60s\"", action);
    }
    char ctx[64];
    snprintf(ctx, sizeof ctx, "update %s", upd_names[out->kind]);
    if (parse_update(j, ctx, out, err)) {
        floe_ice_update_free(out);
        return -1;
    }
    return 0;
}

/* ---- updates: applying ------------------------------------------------------------ */

/* Ids seen during one commit. */
typedef struct id_list {
    int64_t *v;
    int n, cap;
} id_list;

static void ids_push(id_list *l, int64_t id) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = floe_xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    l->v[l->n++] = id;
}

static int ids_has(const id_list *l, int64_t id) {
    for (int i = 0; i < l->n; i++)
        if (l->v[i] == id) return 1;
    return 0;
}

typedef struct apply_state {
    floe_ice_metadata *m;
    int64_t now_ms;
    /* "last added" for the -1 of set-current-schema / set-default-*: -1 none. */
    int64_t last_schema, last_spec, last_order;
    id_list added_schemas, added_specs, added_orders, added_snapshots, main_sets, removed;
} apply_state;


static int fail(floe_err *err, const floe_ice_update *u, int code, const char *fmt, ...) FLOE_PRINTF(4, 5);
static int fail(floe_err *err, const floe_ice_update *u, int code, const char *fmt, ...) {
    char msg[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return floe_err_set(err, code, "update %s: %s", upd_name(u->kind), msg);
}

static int apply_add_schema(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    const floe_ice_schema *s = u->schema;
    if (!s) return fail(err, u, FLOE_EINVAL, "no schema");
    if (floe_ice_schema_check_version(s, m->format_version, err)) return floe_err_prefix(err, "update add-schema");
    int32_t last = m->last_column_id;
    if (s->highest_field_id > last) last = s->highest_field_id;
    if (u->last_column_id > last) last = u->last_column_id;
    int32_t id = m->current_schema_id;
    int found = 0;
    for (int i = 0; i < m->nschemas && !found; i++) {
        if (floe_ice_schema_same(m->schemas[i], s)) {
            id = m->schemas[i]->schema_id;
            found = 1;
        } else if (m->schemas[i]->schema_id >= id) {
            id = m->schemas[i]->schema_id + 1;
        }
    }
    if (found && last == m->last_column_id) {
        st->last_schema = ids_has(&st->added_schemas, id) ? id : -1;
        return 0;
    }
    m->last_column_id = last;
    if (!found) {
        floe_ice_schema *c = floe_ice_schema_copy(s);
        c->schema_id = id;
        floe_ice_schema **slot = FLOE_ICE_GROW(m->schemas, m->nschemas);
        *slot = c;
        ids_push(&st->added_schemas, id);
    }
    st->last_schema = id;
    return 0;
}

/* Resolves the -1 of set-current-schema / set-default-spec /
 * set-default-sort-order to the id added last in this commit. */
static int resolve_last(const floe_ice_update *u, int64_t last, const char *what, int32_t *id, floe_err *err) {
    *id = u->id;
    if (u->id != -1) return 0;
    if (last < 0) return fail(err, u, FLOE_EINVAL, "-1 means the %s added last, but this commit added none", what);
    *id = (int32_t)last;
    return 0;
}

static int apply_add_spec(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    const floe_ice_partition_spec *s = &u->spec;
    int32_t id = 0;
    int found = 0;
    for (int i = 0; i < m->nspecs && !found; i++) {
        if (floe_ice_spec_same(&m->specs[i], s)) {
            id = m->specs[i].spec_id;
            found = 1;
        } else if (m->specs[i].spec_id >= id) {
            id = m->specs[i].spec_id + 1;
        }
    }
    if (found) {
        st->last_spec = ids_has(&st->added_specs, id) ? id : -1;
        return 0;
    }
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    if (!schema) return fail(err, u, FLOE_EINVAL, "the table has no current schema yet");
    if (floe_ice_spec_check(s, schema, err)) return floe_err_prefix(err, "update add-spec");
    if (m->format_version == 1)
        for (int i = 0; i < s->nfields; i++)
            if (s->fields[i].field_id != FLOE_ICE_PARTITION_FIELD_ID_START + i)
                return fail(err, u, FLOE_EINVAL, "v1 tables need partition field ids numbered from %d in order",
                            FLOE_ICE_PARTITION_FIELD_ID_START);
    floe_ice_partition_spec *slot = FLOE_ICE_GROW(m->specs, m->nspecs);
    floe_ice_spec_copy(slot, s);
    slot->spec_id = id;
    int32_t last = floe_ice_spec_last_field_id(s);
    if (last > m->last_partition_id) m->last_partition_id = last;
    ids_push(&st->added_specs, id);
    st->last_spec = id;
    return 0;
}

static int apply_add_sort_order(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    const floe_ice_sort_order *o = &u->order;
    int32_t id = 0;
    int found = 0;
    if (o->nfields == 0) {
        for (int i = 0; i < m->nsort_orders; i++) found |= m->sort_orders[i].order_id == 0;
    } else {
        id = 1;
        for (int i = 0; i < m->nsort_orders && !found; i++) {
            if (floe_ice_sort_order_same(&m->sort_orders[i], o)) {
                id = m->sort_orders[i].order_id;
                found = 1;
            } else if (m->sort_orders[i].order_id >= id) {
                id = m->sort_orders[i].order_id + 1;
            }
        }
    }
    if (found) {
        st->last_order = ids_has(&st->added_orders, id) ? id : -1;
        return 0;
    }
    if (o->nfields > 0) {
        const floe_ice_schema *schema = floe_ice_metadata_schema(m);
        if (!schema) return fail(err, u, FLOE_EINVAL, "the table has no current schema yet");
        if (floe_ice_sort_order_check(o, schema, err)) return floe_err_prefix(err, "update add-sort-order");
    }
    floe_ice_sort_order *slot = FLOE_ICE_GROW(m->sort_orders, m->nsort_orders);
    floe_ice_sort_order_copy(slot, o);
    slot->order_id = id;
    ids_push(&st->added_orders, id);
    st->last_order = id;
    return 0;
}

static int apply_add_snapshot(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    const floe_ice_snapshot *s = &u->snapshot;
    if (floe_ice_metadata_snapshot(m, s->snapshot_id))
        return fail(err, u, FLOE_EINVAL, "snapshot %" PRId64 " already exists", s->snapshot_id);
    if (s->has_parent && !floe_ice_metadata_snapshot(m, s->parent_id))
        return fail(err, u, FLOE_EINVAL, "snapshot %" PRId64 ": parent snapshot %" PRId64 " does not exist",
                    s->snapshot_id, s->parent_id);
    if (m->format_version == 1) {
        if (s->sequence_number != 0)
            return fail(err, u, FLOE_EINVAL, "snapshot %" PRId64 ": v1 snapshots have sequence number 0, not %" PRId64,
                        s->snapshot_id, s->sequence_number);
    } else {
        if (!s->manifest_list)
            return fail(err, u, FLOE_EINVAL, "snapshot %" PRId64 ": v%d snapshots need a manifest list", s->snapshot_id,
                        m->format_version);
        /* Another commit took this sequence number: retrying on fresh
         * metadata resolves it, so it is a conflict. */
        if (s->sequence_number <= m->last_sequence_number)
            return fail(err, u, FLOE_ECONFLICT,
                        "snapshot %" PRId64 ": sequence number %" PRId64 " is not above last-sequence-number %" PRId64,
                        s->snapshot_id, s->sequence_number, m->last_sequence_number);
        m->last_sequence_number = s->sequence_number;
    }
    floe_ice_snapshot *slot = FLOE_ICE_GROW(m->snapshots, m->nsnapshots);
    floe_ice_snapshot_copy(slot, s);
    ids_push(&st->added_snapshots, s->snapshot_id);
    return 0;
}

static int ref_index(const floe_ice_metadata *m, const char *name) {
    for (int i = 0; i < m->nrefs; i++)
        if (strcmp(m->refs[i].name, name) == 0) return i;
    return -1;
}

static void remove_ref_at(floe_ice_metadata *m, int i) {
    if (strcmp(m->refs[i].name, "main") == 0) m->current_snapshot_id = -1;
    floe_ice_ref_free(&m->refs[i]);
    memmove(&m->refs[i], &m->refs[i + 1], sizeof *m->refs * (size_t)(m->nrefs - i - 1));
    m->nrefs--;
}

static int apply_set_ref(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    const floe_ice_ref *r = &u->ref;
    if (!r->name || !r->name[0]) return fail(err, u, FLOE_EINVAL, "no ref name");
    int i = ref_index(m, r->name);
    if (i >= 0 && floe_ice_ref_equal(&m->refs[i], r)) return 0;
    const floe_ice_snapshot *s = floe_ice_metadata_snapshot(m, r->snapshot_id);
    if (!s) return fail(err, u, FLOE_EINVAL, "cannot set %s to unknown snapshot %" PRId64, r->name, r->snapshot_id);
    int is_main = strcmp(r->name, "main") == 0;
    if (is_main && r->is_tag) return fail(err, u, FLOE_EINVAL, "main must be a branch, not a tag");
    if (is_main) {
        m->current_snapshot_id = r->snapshot_id;
        floe_ice_log_entry *le = FLOE_ICE_GROW(m->snapshot_log, m->nsnapshot_log);
        le->snapshot_id = r->snapshot_id;
        /* A rollback to an older snapshot happens now, not when that
         * snapshot was written. */
        le->timestamp_ms = ids_has(&st->added_snapshots, r->snapshot_id) ? s->timestamp_ms : st->now_ms;
        ids_push(&st->main_sets, r->snapshot_id);
    }
    if (i < 0) {
        floe_ice_ref *slot = FLOE_ICE_GROW(m->refs, m->nrefs);
        floe_ice_ref_copy(slot, r);
    } else {
        floe_ice_ref_free(&m->refs[i]);
        floe_ice_ref_copy(&m->refs[i], r);
    }
    return 0;
}

/* Drops the statistics entries (table or partition) of removed snapshots. */
static void drop_statistics(json_t *extra, const char *key, const id_list *removed) {
    json_t *arr = extra ? json_object_get(extra, key) : NULL;
    if (!json_is_array(arr)) return;
    for (size_t i = json_array_size(arr); i-- > 0;) {
        const json_t *sid = json_object_get(json_array_get(arr, i), "snapshot-id");
        if (json_is_integer(sid) && ids_has(removed, json_integer_value(sid))) json_array_remove(arr, i);
    }
}

static void apply_remove_snapshots(apply_state *st, const floe_ice_update *u) {
    floe_ice_metadata *m = st->m;
    int kept = 0;
    for (int i = 0; i < m->nsnapshots; i++) {
        int drop = 0;
        for (int k = 0; k < u->nsnapshot_ids && !drop; k++) drop = u->snapshot_ids[k] == m->snapshots[i].snapshot_id;
        if (drop) {
            ids_push(&st->removed, m->snapshots[i].snapshot_id);
            floe_ice_snapshot_free(&m->snapshots[i]);
        } else {
            m->snapshots[kept++] = m->snapshots[i];
        }
    }
    m->nsnapshots = kept;
    drop_statistics(m->extra, "statistics", &st->removed);
    drop_statistics(m->extra, "partition-statistics", &st->removed);
    for (int i = m->nrefs - 1; i >= 0; i--)
        if (!floe_ice_metadata_snapshot(m, m->refs[i].snapshot_id)) remove_ref_at(m, i);
}

static int apply_one(apply_state *st, const floe_ice_update *u, floe_err *err) {
    floe_ice_metadata *m = st->m;
    int32_t id;
    switch (u->kind) {
    case FLOE_UPD_ASSIGN_UUID: {
        uint8_t b[16];
        if (floe_parse_uuid(u->uuid, strlen(u->uuid), b))
            return fail(err, u, FLOE_EINVAL, "\"%s\" is not a UUID", u->uuid);
        memcpy(m->table_uuid, u->uuid, 37);
        return 0;
    }
    case FLOE_UPD_UPGRADE_FORMAT_VERSION:
        if (u->format_version > 2)
            return fail(err, u, FLOE_EUNSUPPORTED, "format version %d is not supported (floe writes 1 and 2)",
                        u->format_version);
        if (u->format_version < m->format_version)
            return fail(err, u, FLOE_EINVAL, "cannot downgrade a v%d table to v%d", m->format_version,
                        u->format_version);
        m->format_version = u->format_version;
        return 0;
    case FLOE_UPD_ADD_SCHEMA: return apply_add_schema(st, u, err);
    case FLOE_UPD_SET_CURRENT_SCHEMA:
        if (resolve_last(u, st->last_schema, "schema", &id, err)) return -1;
        if (!floe_ice_metadata_schema_by_id(m, id)) return fail(err, u, FLOE_EINVAL, "no schema with id %d", (int)id);
        m->current_schema_id = id;
        return 0;
    case FLOE_UPD_ADD_SPEC: return apply_add_spec(st, u, err);
    case FLOE_UPD_SET_DEFAULT_SPEC:
        if (resolve_last(u, st->last_spec, "partition spec", &id, err)) return -1;
        if (!floe_ice_metadata_spec_by_id(m, id))
            return fail(err, u, FLOE_EINVAL, "no partition spec with id %d", (int)id);
        m->default_spec_id = id;
        return 0;
    case FLOE_UPD_ADD_SORT_ORDER: return apply_add_sort_order(st, u, err);
    case FLOE_UPD_SET_DEFAULT_SORT_ORDER: {
        if (resolve_last(u, st->last_order, "sort order", &id, err)) return -1;
        int found = 0;
        for (int i = 0; i < m->nsort_orders; i++) found |= m->sort_orders[i].order_id == id;
        if (!found) return fail(err, u, FLOE_EINVAL, "no sort order with id %d", (int)id);
        m->default_sort_order_id = id;
        return 0;
    }
    case FLOE_UPD_ADD_SNAPSHOT: return apply_add_snapshot(st, u, err);
    case FLOE_UPD_SET_SNAPSHOT_REF: return apply_set_ref(st, u, err);
    case FLOE_UPD_REMOVE_SNAPSHOTS: apply_remove_snapshots(st, u); return 0;
    case FLOE_UPD_REMOVE_SNAPSHOT_REF: {
        if (!u->ref.name) return fail(err, u, FLOE_EINVAL, "no ref name");
        int i = ref_index(m, u->ref.name);
        if (i >= 0) remove_ref_at(m, i);
        else if (strcmp(u->ref.name, "main") == 0) m->current_snapshot_id = -1;
        return 0;
    }
    case FLOE_UPD_SET_LOCATION:
        if (!u->location || !u->location[0]) return fail(err, u, FLOE_EINVAL, "empty location");
        free(m->location);
        m->location = floe_ice_location_strip(u->location);
        return 0;
    case FLOE_UPD_SET_PROPERTIES:
        for (int i = 0; i < u->props.n; i++)
            floe_props_set(&m->properties, u->props.items[i].key, u->props.items[i].value);
        return 0;
    case FLOE_UPD_REMOVE_PROPERTIES:
        for (int i = 0; i < u->nremovals; i++) floe_props_remove(&m->properties, u->removals[i]);
        return 0;
    default: return floe_err_set(err, FLOE_EINVAL, "update: unknown kind %d", u->kind);
    }
}

/* Java's updateSnapshotLog: entries of snapshots added and then replaced
 * as main within this commit go; after a removal, an entry whose snapshot
 * is gone drops everything before it (a gap would make time travel name
 * the wrong snapshot). */
static int fix_snapshot_log(apply_state *st, floe_err *err) {
    floe_ice_metadata *m = st->m;
    id_list intermediate = {0};
    for (int i = 0; i < st->main_sets.n; i++) {
        int64_t id = st->main_sets.v[i];
        if (ids_has(&st->added_snapshots, id) && id != m->current_snapshot_id) ids_push(&intermediate, id);
    }
    int rc = 0;
    if (intermediate.n > 0 || st->removed.n > 0) {
        int kept = 0;
        for (int i = 0; i < m->nsnapshot_log; i++) {
            floe_ice_log_entry e = m->snapshot_log[i];
            if (floe_ice_metadata_snapshot(m, e.snapshot_id)) {
                if (!ids_has(&intermediate, e.snapshot_id)) m->snapshot_log[kept++] = e;
            } else if (st->removed.n > 0) {
                kept = 0;
            }
        }
        m->nsnapshot_log = kept;
        if (floe_ice_metadata_current(m) &&
            (kept == 0 || m->snapshot_log[kept - 1].snapshot_id != m->current_snapshot_id))
            rc = floe_err_set(err, FLOE_EINVAL,
                              "updates: the snapshot log would not end with the current snapshot %" PRId64,
                              m->current_snapshot_id);
    }
    free(intermediate.v);
    return rc;
}

/* The metadata a create transaction starts from (Java's buildFromEmpty):
 * the format version of the first upgrade-format-version update, or 2. */
static floe_ice_metadata *empty_metadata(const floe_ice_update *upds, int nupds) {
    floe_ice_metadata *m = floe_xcalloc(1, sizeof *m);
    m->format_version = 2;
    for (int i = 0; i < nupds; i++)
        if (upds[i].kind == FLOE_UPD_UPGRADE_FORMAT_VERSION) {
            m->format_version = upds[i].format_version;
            break;
        }
    floe_props_init(&m->properties);
    m->current_snapshot_id = -1;
    floe_ice_uuid_random(m->table_uuid);
    return m;
}

floe_ice_metadata *floe_ice_updates_apply(const floe_ice_metadata *base, const floe_ice_update *upds, int nupds,
                                          int64_t now_ms, floe_err *err) {
    apply_state st = {0};
    st.m = base ? floe_ice_metadata_copy(base) : empty_metadata(upds, nupds);
    st.now_ms = now_ms;
    st.last_schema = st.last_spec = st.last_order = -1;
    int rc = 0;
    for (int i = 0; i < nupds && !rc; i++) rc = apply_one(&st, &upds[i], err);
    if (!rc) {
        st.m->last_updated_ms = now_ms;
        rc = fix_snapshot_log(&st, err);
    }
    if (!rc && floe_ice_metadata_check(st.m, err)) rc = floe_err_prefix(err, "updates");
    free(st.added_schemas.v);
    free(st.added_specs.v);
    free(st.added_orders.v);
    free(st.added_snapshots.v);
    free(st.main_sets.v);
    free(st.removed.v);
    if (rc) {
        floe_ice_metadata_free(st.m);
        return NULL;
    }
    return st.m;
}
