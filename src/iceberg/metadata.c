/*
 * metadata.c — table metadata (spec "Table Metadata", Appendix C): the
 * model's copies and lookups, the metadata JSON file in both directions,
 * the metadata of a new table, and the metadata log and file names of
 * commits.  Requirements and updates are in updates.c.
 *
 * Reading follows Java's TableMetadataParser: format versions 1 and 2
 * (3 and later are refused as unsupported); v1's single "schema" and
 * "partition-spec" stand in for the lists when those are missing, its
 * sort orders default to the unsorted order, last-partition-id to the
 * highest partition field id, and refs to a "main" branch at the current
 * snapshot.  Keys the model does not hold ("statistics",
 * "partition-statistics", vendor keys) are kept as parsed JSON in `extra`.
 *
 * Writing is Java's TableMetadataParser.toJson, key for key and in its
 * order, compact: v1 files also carry "schema" and "partition-spec" for
 * old readers, current-snapshot-id is -1 when there is none (what Java
 * writes before v3), "statistics" and "partition-statistics" are always
 * present, and other kept keys follow at the end.
 *
 * A new table is Java's TableMetadata.newTableMetadata: field ids assigned
 * afresh the way TypeUtil.assignFreshIds does (a struct's own fields take
 * consecutive ids first, then each field's nested type in order; a list's
 * element id before its contents; a map's key and value ids before
 * theirs), the spec and sort order remapped to follow, partition field
 * ids from 1000, and reserved properties (format-version, ...) dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "iceberg/metadata_internal.h"
#include "iceberg/schema.h"
#include "util/text.h"

#define METADATA_PREVIOUS_VERSIONS_MAX "write.metadata.previous-versions-max"
#define METADATA_PREVIOUS_VERSIONS_DEFAULT 100
#define METADATA_PATH "write.metadata.path"

/* Table properties that describe the metadata itself; Java never stores
 * them (TableProperties.RESERVED_PROPERTIES). */
static const char *const reserved_props[] = {
    "format-version",         "uuid",           "snapshot-count",       "current-snapshot-id",
    "current-snapshot-summary", "current-snapshot-timestamp-ms", "current-schema", "default-partition-spec",
    "default-sort-order"};

/* ---- model ----------------------------------------------------------------- */

void floe_ice_metadata_free(floe_ice_metadata *m) {
    if (!m) return;
    free(m->location);
    for (int i = 0; i < m->nschemas; i++) floe_ice_schema_free(m->schemas[i]);
    free(m->schemas);
    for (int i = 0; i < m->nspecs; i++) floe_ice_spec_free(&m->specs[i]);
    free(m->specs);
    floe_props_free(&m->properties);
    for (int i = 0; i < m->nsnapshots; i++) floe_ice_snapshot_free(&m->snapshots[i]);
    free(m->snapshots);
    free(m->snapshot_log);
    for (int i = 0; i < m->nmetadata_log; i++) free(m->metadata_log[i].file);
    free(m->metadata_log);
    for (int i = 0; i < m->nsort_orders; i++) floe_ice_sort_order_free(&m->sort_orders[i]);
    free(m->sort_orders);
    for (int i = 0; i < m->nrefs; i++) floe_ice_ref_free(&m->refs[i]);
    free(m->refs);
    if (m->extra) json_decref(m->extra);
    free(m);
}

/* calloc for n elements that tolerates n == 0 (and never returns NULL). */
static void *array_new(int n, size_t size) { return floe_xcalloc(n > 0 ? (size_t)n : 1, size); }

floe_ice_metadata *floe_ice_metadata_copy(const floe_ice_metadata *m) {
    floe_ice_metadata *c = floe_xmalloc(sizeof *c);
    *c = *m;
    c->location = m->location ? floe_xstrdup(m->location) : NULL;
    c->schemas = array_new(m->nschemas, sizeof *c->schemas);
    for (int i = 0; i < m->nschemas; i++) c->schemas[i] = floe_ice_schema_copy(m->schemas[i]);
    c->specs = array_new(m->nspecs, sizeof *c->specs);
    for (int i = 0; i < m->nspecs; i++) floe_ice_spec_copy(&c->specs[i], &m->specs[i]);
    floe_props_copy(&c->properties, &m->properties);
    c->snapshots = array_new(m->nsnapshots, sizeof *c->snapshots);
    for (int i = 0; i < m->nsnapshots; i++) floe_ice_snapshot_copy(&c->snapshots[i], &m->snapshots[i]);
    c->snapshot_log = array_new(m->nsnapshot_log, sizeof *c->snapshot_log);
    if (m->nsnapshot_log > 0)
        memcpy(c->snapshot_log, m->snapshot_log, sizeof *c->snapshot_log * (size_t)m->nsnapshot_log);
    c->metadata_log = array_new(m->nmetadata_log, sizeof *c->metadata_log);
    for (int i = 0; i < m->nmetadata_log; i++) {
        c->metadata_log[i] = m->metadata_log[i];
        c->metadata_log[i].file = floe_xstrdup(m->metadata_log[i].file);
    }
    c->sort_orders = array_new(m->nsort_orders, sizeof *c->sort_orders);
    for (int i = 0; i < m->nsort_orders; i++) floe_ice_sort_order_copy(&c->sort_orders[i], &m->sort_orders[i]);
    c->refs = array_new(m->nrefs, sizeof *c->refs);
    for (int i = 0; i < m->nrefs; i++) floe_ice_ref_copy(&c->refs[i], &m->refs[i]);
    c->extra = m->extra ? json_deep_copy(m->extra) : NULL;
    return c;
}

const floe_ice_schema *floe_ice_metadata_schema_by_id(const floe_ice_metadata *m, int32_t id) {
    for (int i = 0; i < m->nschemas; i++)
        if (m->schemas[i]->schema_id == id) return m->schemas[i];
    return NULL;
}

const floe_ice_schema *floe_ice_metadata_schema(const floe_ice_metadata *m) {
    return floe_ice_metadata_schema_by_id(m, m->current_schema_id);
}

const floe_ice_partition_spec *floe_ice_metadata_spec_by_id(const floe_ice_metadata *m, int32_t id) {
    for (int i = 0; i < m->nspecs; i++)
        if (m->specs[i].spec_id == id) return &m->specs[i];
    return NULL;
}

const floe_ice_partition_spec *floe_ice_metadata_spec(const floe_ice_metadata *m) {
    return floe_ice_metadata_spec_by_id(m, m->default_spec_id);
}

const floe_ice_snapshot *floe_ice_metadata_snapshot(const floe_ice_metadata *m, int64_t id) {
    /* Newest first: lookups are mostly of recent snapshots. */
    for (int i = m->nsnapshots - 1; i >= 0; i--)
        if (m->snapshots[i].snapshot_id == id) return &m->snapshots[i];
    return NULL;
}

const floe_ice_snapshot *floe_ice_metadata_current(const floe_ice_metadata *m) {
    return m->current_snapshot_id == -1 ? NULL : floe_ice_metadata_snapshot(m, m->current_snapshot_id);
}

const floe_ice_ref *floe_ice_metadata_ref(const floe_ice_metadata *m, const char *name) {
    for (int i = 0; i < m->nrefs; i++)
        if (strcmp(m->refs[i].name, name) == 0) return &m->refs[i];
    return NULL;
}

const floe_ice_snapshot *floe_ice_metadata_snapshot_as_of(const floe_ice_metadata *m, int64_t t_ms) {
    /* Java's SnapshotUtil.snapshotIdAsOfTime: the last log entry at or
     * before t. */
    const floe_ice_log_entry *hit = NULL;
    for (int i = 0; i < m->nsnapshot_log; i++)
        if (m->snapshot_log[i].timestamp_ms <= t_ms) hit = &m->snapshot_log[i];
    return hit ? floe_ice_metadata_snapshot(m, hit->snapshot_id) : NULL;
}

/* ---- schemas ---------------------------------------------------------------- */

/* Field ids of a copied type: kept, or assigned afresh (then recorded so
 * that identifier ids, specs and orders can follow). */
typedef struct id_map {
    int fresh;
    int32_t next;
    int32_t *from, *to;
    int n, cap;
} id_map;

static int32_t map_id(id_map *m, int32_t old) {
    if (!m->fresh) return old;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->from = floe_xrealloc(m->from, sizeof *m->from * (size_t)m->cap);
        m->to = floe_xrealloc(m->to, sizeof *m->to * (size_t)m->cap);
    }
    m->from[m->n] = old;
    m->to[m->n] = ++m->next;
    return m->to[m->n++];
}

static int32_t mapped_id(const id_map *m, int32_t old) {
    if (!m->fresh) return old;
    for (int i = 0; i < m->n; i++)
        if (m->from[i] == old) return m->to[i];
    return -1;
}

static void copy_field_extras(floe_ice_field *dst, const floe_ice_field *src) {
    dst->doc = src->doc ? floe_xstrdup(src->doc) : NULL;
    dst->initial_default = src->initial_default ? floe_xstrdup(src->initial_default) : NULL;
    dst->write_default = src->write_default ? floe_xstrdup(src->write_default) : NULL;
}

static floe_ice_type *copy_type(const floe_ice_type *t, id_map *ids) {
    switch (t->kind) {
    case FLOE_ICE_STRUCT: {
        floe_ice_type *st = floe_ice_type_new(FLOE_ICE_STRUCT);
        int32_t *fid = array_new(t->nfields, sizeof *fid);
        for (int i = 0; i < t->nfields; i++) fid[i] = map_id(ids, t->fields[i]->id);
        for (int i = 0; i < t->nfields; i++) {
            const floe_ice_field *f = t->fields[i];
            floe_ice_field *nf = floe_ice_struct_add(st, fid[i], f->name, f->required, copy_type(f->type, ids));
            copy_field_extras(nf, f);
        }
        free(fid);
        return st;
    }
    case FLOE_ICE_LIST: {
        const floe_ice_field *e = t->fields[0];
        int32_t id = map_id(ids, e->id);
        floe_ice_type *lt = floe_ice_type_list(id, e->required, copy_type(e->type, ids));
        copy_field_extras(lt->fields[0], e);
        return lt;
    }
    case FLOE_ICE_MAP: {
        const floe_ice_field *k = t->fields[0], *v = t->fields[1];
        int32_t kid = map_id(ids, k->id), vid = map_id(ids, v->id);
        floe_ice_type *kt = copy_type(k->type, ids);
        floe_ice_type *mt = floe_ice_type_map(kid, kt, vid, v->required, copy_type(v->type, ids));
        copy_field_extras(mt->fields[0], k);
        copy_field_extras(mt->fields[1], v);
        return mt;
    }
    case FLOE_ICE_DECIMAL: return floe_ice_type_decimal(t->precision, t->scale);
    case FLOE_ICE_FIXED: return floe_ice_type_fixed(t->length);
    default: return floe_ice_type_new(t->kind);
    }
}

/* Copies `s` with ids kept or assigned afresh (identifier ids follow) and
 * validates the copy. */
static floe_ice_schema *copy_schema(const floe_ice_schema *s, int32_t schema_id, id_map *ids, floe_err *err) {
    floe_ice_schema *c = floe_ice_schema_new(schema_id, copy_type(s->root, ids));
    int32_t *idents = array_new(s->nidentifier, sizeof *idents);
    for (int i = 0; i < s->nidentifier; i++) idents[i] = mapped_id(ids, s->identifier_ids[i]);
    floe_ice_schema_set_identifiers(c, idents, s->nidentifier);
    free(idents);
    if (floe_ice_schema_validate(c, err)) {
        floe_ice_schema_free(c);
        return NULL;
    }
    return c;
}

floe_ice_schema *floe_ice_schema_copy(const floe_ice_schema *s) {
    id_map keep = {0};
    floe_err err = {0};
    floe_ice_schema *c = copy_schema(s, s->schema_id, &keep, &err);
    /* Metadata holds validated schemas only, and a copy of a valid schema
     * is valid: failing here is a broken invariant, not bad input. */
    if (!c) abort();
    return c;
}

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static int same_type(const floe_ice_type *a, const floe_ice_type *b) {
    if (a->kind != b->kind || a->precision != b->precision || a->scale != b->scale || a->length != b->length ||
        a->nfields != b->nfields)
        return 0;
    for (int i = 0; i < a->nfields; i++) {
        const floe_ice_field *x = a->fields[i], *y = b->fields[i];
        if (x->id != y->id || x->required != y->required || strcmp(x->name, y->name) != 0 ||
            !same_text(x->doc, y->doc) || !same_text(x->initial_default, y->initial_default) ||
            !same_text(x->write_default, y->write_default) || !same_type(x->type, y->type))
            return 0;
    }
    return 1;
}

int floe_ice_schema_same(const floe_ice_schema *a, const floe_ice_schema *b) {
    if (a->nidentifier != b->nidentifier || !same_type(a->root, b->root)) return 0;
    for (int i = 0; i < a->nidentifier; i++) {
        int found = 0;
        for (int j = 0; j < b->nidentifier && !found; j++) found = a->identifier_ids[i] == b->identifier_ids[j];
        if (!found) return 0;
    }
    return 1;
}

int floe_ice_schema_check_version(const floe_ice_schema *s, int format_version, floe_err *err) {
    if (format_version >= 3) return 0;
    for (int i = 0; i < s->nby_id; i++) {
        const floe_ice_field *f = s->by_id[i];
        const char *what = NULL;
        if (f->type->kind == FLOE_ICE_TIMESTAMP_NS || f->type->kind == FLOE_ICE_TIMESTAMPTZ_NS)
            what = f->type->kind == FLOE_ICE_TIMESTAMP_NS ? "type timestamp_ns" : "type timestamptz_ns";
        else if (f->initial_default && strcmp(f->initial_default, "null") != 0)
            what = "a non-null initial-default";
        if (what) {
            floe_buf path;
            floe_buf_init(&path);
            floe_ice_field_path(f, &path);
            floe_err_set(err, FLOE_EUNSUPPORTED, "schema %d field '%s': %s needs format version 3 (the table is v%d)",
                         (int)s->schema_id, floe_buf_cstr(&path), what, format_version);
            floe_buf_free(&path);
            return -1;
        }
    }
    return 0;
}

/* ---- ids and time ----------------------------------------------------------- */

void floe_ice_uuid_random(char out[37]) {
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r > 0) got += (size_t)r;
        else if (r < 0 && errno != EINTR) break;
    }
    if (got < sizeof b) {
        /* No kernel randomness: time, pid and a counter still give names
         * that do not collide within this process or across processes. */
        static uint64_t counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 48) ^ ++counter;
        for (size_t i = 0; i < sizeof b; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = (uint8_t)x;
        }
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    floe_buf t;
    floe_buf_init(&t);
    floe_fmt_uuid(b, &t);
    memcpy(out, t.data, 36);
    out[36] = '\0';
    floe_buf_free(&t);
}

int64_t floe_ice_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- validation ------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int floe_ice_metadata_check(const floe_ice_metadata *m, floe_err *err) {
    const char *ctx = "table metadata";
    if (m->format_version < 1 || m->format_version > 2)
        return floe_err_set(err, FLOE_EUNSUPPORTED, "%s: format version %d is not supported (floe handles 1 and 2)",
                            ctx, m->format_version);
    if (!m->location) return floe_err_set(err, FLOE_EINVAL, "%s: no table location", ctx);
    if (m->format_version >= 2 && !m->table_uuid[0])
        return floe_err_set(err, FLOE_EINVAL, "%s: a v%d table needs a table-uuid", ctx, m->format_version);
    if (m->format_version == 1 && m->last_sequence_number != 0)
        return floe_err_set(err, FLOE_EINVAL, "%s: sequence numbers must be 0 in v1, got %" PRId64, ctx,
                            m->last_sequence_number);
    for (int i = 0; i < m->nschemas; i++)
        for (int j = 0; j < i; j++)
            if (m->schemas[i]->schema_id == m->schemas[j]->schema_id)
                return floe_err_set(err, FLOE_EINVAL, "%s: schema id %d is used twice", ctx,
                                    (int)m->schemas[i]->schema_id);
    if (!floe_ice_metadata_schema(m))
        return floe_err_set(err, FLOE_EINVAL, "%s: current-schema-id %d is not among the schemas", ctx,
                            (int)m->current_schema_id);
    for (int i = 0; i < m->nspecs; i++)
        for (int j = 0; j < i; j++)
            if (m->specs[i].spec_id == m->specs[j].spec_id)
                return floe_err_set(err, FLOE_EINVAL, "%s: partition spec id %d is used twice", ctx,
                                    (int)m->specs[i].spec_id);
    if (!floe_ice_metadata_spec(m))
        return floe_err_set(err, FLOE_EINVAL, "%s: default-spec-id %d is not among the partition specs", ctx,
                            (int)m->default_spec_id);
    int has_order = 0;
    for (int i = 0; i < m->nsort_orders; i++) {
        has_order |= m->sort_orders[i].order_id == m->default_sort_order_id;
        for (int j = 0; j < i; j++)
            if (m->sort_orders[i].order_id == m->sort_orders[j].order_id)
                return floe_err_set(err, FLOE_EINVAL, "%s: sort order id %d is used twice", ctx,
                                    (int)m->sort_orders[i].order_id);
    }
    if (!has_order)
        return floe_err_set(err, FLOE_EINVAL, "%s: default-sort-order-id %d is not among the sort orders", ctx,
                            (int)m->default_sort_order_id);
    int64_t *ids = array_new(m->nsnapshots, sizeof *ids);
    int rc = 0;
    for (int i = 0; i < m->nsnapshots && !rc; i++) {
        ids[i] = m->snapshots[i].snapshot_id;
        if (m->snapshots[i].sequence_number > m->last_sequence_number)
            rc = floe_err_set(err, FLOE_EINVAL,
                              "%s: snapshot %" PRId64 " has sequence number %" PRId64
                              ", above last-sequence-number %" PRId64,
                              ctx, ids[i], m->snapshots[i].sequence_number, m->last_sequence_number);
    }
    if (!rc) qsort(ids, (size_t)m->nsnapshots, sizeof *ids, cmp_i64);
    for (int i = 1; i < m->nsnapshots && !rc; i++)
        if (ids[i] == ids[i - 1])
            rc = floe_err_set(err, FLOE_EINVAL, "%s: snapshot id %" PRId64 " is used twice", ctx, ids[i]);
    const floe_ice_ref *main_ref = NULL;
    for (int i = 0; i < m->nrefs && !rc; i++) {
        const floe_ice_ref *r = &m->refs[i];
        for (int j = 0; j < i && !rc; j++)
            if (strcmp(r->name, m->refs[j].name) == 0)
                rc = floe_err_set(err, FLOE_EINVAL, "%s: ref '%s' appears twice", ctx, r->name);
        if (!rc && !bsearch(&r->snapshot_id, ids, (size_t)m->nsnapshots, sizeof *ids, cmp_i64))
            rc = floe_err_set(err, FLOE_EINVAL, "%s: ref '%s' points at snapshot %" PRId64 ", which does not exist",
                              ctx, r->name, r->snapshot_id);
        if (strcmp(r->name, "main") == 0) main_ref = r;
    }
    if (!rc && m->current_snapshot_id != -1) {
        if (!bsearch(&m->current_snapshot_id, ids, (size_t)m->nsnapshots, sizeof *ids, cmp_i64))
            rc = floe_err_set(err, FLOE_EINVAL, "%s: current-snapshot-id %" PRId64 " is not among the snapshots", ctx,
                              m->current_snapshot_id);
        else if (!main_ref || main_ref->snapshot_id != m->current_snapshot_id)
            rc = floe_err_set(err, FLOE_EINVAL, "%s: current-snapshot-id %" PRId64 " does not match ref 'main' (%s)",
                              ctx, m->current_snapshot_id, main_ref ? "another snapshot" : "absent");
    } else if (!rc && main_ref) {
        rc = floe_err_set(err, FLOE_EINVAL, "%s: ref 'main' exists but there is no current snapshot", ctx);
    }
    free(ids);
    return rc;
}

/* ---- JSON in ---------------------------------------------------------------- */

char *floe_ice_location_strip(const char *loc) {
    size_t n = strlen(loc);
    while (n > 0 && loc[n - 1] == '/' && !(n >= 3 && memcmp(loc + n - 3, "://", 3) == 0)) n--;
    return floe_xstrndup(loc, n);
}

static const char *const known_keys[] = {
    "format-version", "table-uuid",     "location",      "last-sequence-number", "last-updated-ms",
    "last-column-id", "schema",         "schemas",       "current-schema-id",    "partition-spec",
    "partition-specs", "default-spec-id", "last-partition-id", "default-sort-order-id", "sort-orders",
    "properties",     "current-snapshot-id", "refs",     "snapshots",            "snapshot-log",
    "metadata-log"};

static int is_known_key(const char *k) {
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
        if (strcmp(k, known_keys[i]) == 0) return 1;
    return 0;
}

/* An array member: NULL (and 0) when absent or null, -1 when not an array. */
static int get_array(const json_t *j, const char *key, const json_t **out, floe_err *err) {
    *out = json_object_get(j, key);
    if (!*out || json_is_null(*out)) {
        *out = NULL;
        return 0;
    }
    if (!json_is_array(*out))
        return floe_err_set(err, FLOE_EINVAL, "table metadata: \"%s\" must be an array, got %s", key,
                            floe_ice_json_kind(*out));
    return 1;
}

static int parse_schemas(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const json_t *arr;
    int rc = get_array(j, "schemas", &arr, err);
    if (rc < 0) return -1;
    if (rc) {
        if (floe_ice_json_i32(j, "current-schema-id", 1, "table metadata", &m->current_schema_id, err) < 0) return -1;
        size_t n = json_array_size(arr);
        m->schemas = array_new((int)n, sizeof *m->schemas);
        for (size_t i = 0; i < n; i++) {
            floe_ice_schema *s = floe_ice_schema_from_json(json_array_get(arr, i), err);
            if (!s) return floe_err_prefix(err, "table metadata: schemas[%zu]", i);
            m->schemas[m->nschemas++] = s;
        }
        return 0;
    }
    if (m->format_version > 1)
        return floe_err_set(err, FLOE_EINVAL, "table metadata: missing \"schemas\" (required in v%d)",
                            m->format_version);
    const json_t *sj = json_object_get(j, "schema");
    if (!sj) return floe_err_set(err, FLOE_EINVAL, "table metadata: missing \"schemas\" and \"schema\"");
    floe_ice_schema *s = floe_ice_schema_from_json(sj, err);
    if (!s) return floe_err_prefix(err, "table metadata: schema");
    m->schemas = array_new(1, sizeof *m->schemas);
    m->schemas[m->nschemas++] = s;
    m->current_schema_id = s->schema_id;
    return 0;
}

static int parse_specs(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const json_t *arr;
    int rc = get_array(j, "partition-specs", &arr, err);
    if (rc < 0) return -1;
    if (rc) {
        if (floe_ice_json_i32(j, "default-spec-id", 1, "table metadata", &m->default_spec_id, err) < 0) return -1;
        size_t n = json_array_size(arr);
        m->specs = array_new((int)n, sizeof *m->specs);
        for (size_t i = 0; i < n; i++) {
            if (floe_ice_spec_from_json(json_array_get(arr, i), &m->specs[m->nspecs], err))
                return floe_err_prefix(err, "table metadata: partition-specs[%zu]", i);
            m->nspecs++;
        }
    } else {
        if (m->format_version > 1)
            return floe_err_set(err, FLOE_EINVAL, "table metadata: missing \"partition-specs\" (required in v%d)",
                                m->format_version);
        /* v1: the default spec's fields alone, as spec 0. */
        m->specs = array_new(1, sizeof *m->specs);
        if (floe_ice_spec_fields_from_json(json_object_get(j, "partition-spec"), 0, &m->specs[0], err))
            return floe_err_prefix(err, "table metadata: partition-spec");
        m->nspecs = 1;
        m->default_spec_id = 0;
    }
    rc = floe_ice_json_i32(j, "last-partition-id", m->format_version > 1, "table metadata", &m->last_partition_id, err);
    if (rc < 0) return -1;
    if (rc == 0) {
        m->last_partition_id = FLOE_ICE_PARTITION_FIELD_ID_START - 1;
        for (int i = 0; i < m->nspecs; i++) {
            int32_t last = floe_ice_spec_last_field_id(&m->specs[i]);
            if (last > m->last_partition_id) m->last_partition_id = last;
        }
    }
    return 0;
}

static int parse_sort_orders(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const json_t *arr;
    int rc = get_array(j, "sort-orders", &arr, err);
    if (rc < 0) return -1;
    if (!rc) {
        if (m->format_version > 1)
            return floe_err_set(err, FLOE_EINVAL, "table metadata: missing \"sort-orders\" (required in v%d)",
                                m->format_version);
        m->sort_orders = array_new(1, sizeof *m->sort_orders);
        m->nsort_orders = 1; /* the unsorted order, id 0 */
        m->default_sort_order_id = 0;
        return 0;
    }
    if (floe_ice_json_i32(j, "default-sort-order-id", 1, "table metadata", &m->default_sort_order_id, err) < 0)
        return -1;
    size_t n = json_array_size(arr);
    m->sort_orders = array_new((int)n, sizeof *m->sort_orders);
    for (size_t i = 0; i < n; i++) {
        if (floe_ice_sort_order_from_json(json_array_get(arr, i), &m->sort_orders[m->nsort_orders], err))
            return floe_err_prefix(err, "table metadata: sort-orders[%zu]", i);
        m->nsort_orders++;
    }
    return 0;
}


static int parse_snapshots_and_refs(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const json_t *arr;
    int rc = get_array(j, "snapshots", &arr, err);
    if (rc < 0) return -1;
    if (rc) {
        size_t n = json_array_size(arr);
        m->snapshots = array_new((int)n, sizeof *m->snapshots);
        for (size_t i = 0; i < n; i++) {
            if (floe_ice_snapshot_from_json(json_array_get(arr, i), &m->snapshots[m->nsnapshots], err))
                return floe_err_prefix(err, "table metadata: snapshots[%zu]", i);
            m->nsnapshots++;
        }
    }
    const json_t *refs = json_object_get(j, "refs");
    if (refs && !json_is_null(refs)) {
        if (!json_is_object(refs))
            return floe_err_set(err, FLOE_EINVAL, "table metadata: \"refs\" must be an object, got %s",
                                floe_ice_json_kind(refs));
        const char *name;
        json_t *rj;
        json_object_foreach((json_t *)refs, name, rj) {
            char ctx[96];
            snprintf(ctx, sizeof ctx, "table metadata: ref '%.60s'", name);
            floe_ice_ref r;
            if (floe_ice_ref_from_json(rj, name, ctx, &r, err)) return -1;
            *FLOE_ICE_GROW(m->refs, m->nrefs) = r;
        }
    }
    /* The spec: there is always a main branch at the current snapshot,
     * even when refs are missing. */
    if (m->current_snapshot_id != -1 && !floe_ice_metadata_ref(m, "main")) {
        floe_ice_ref r = {floe_xstrdup("main"), m->current_snapshot_id, 0, -1, -1, -1};
        *FLOE_ICE_GROW(m->refs, m->nrefs) = r;
    }
    return 0;
}

static int parse_logs(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const json_t *arr;
    int rc = get_array(j, "snapshot-log", &arr, err);
    if (rc < 0) return -1;
    size_t n = rc ? json_array_size(arr) : 0;
    m->snapshot_log = array_new((int)n, sizeof *m->snapshot_log);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "table metadata: snapshot-log[%zu]", i);
        floe_ice_log_entry *le = &m->snapshot_log[m->nsnapshot_log];
        if (floe_ice_json_int(e, "timestamp-ms", 1, INT64_MIN, INT64_MAX, ctx, &le->timestamp_ms, err) < 0 ||
            floe_ice_json_int(e, "snapshot-id", 1, INT64_MIN, INT64_MAX, ctx, &le->snapshot_id, err) < 0)
            return -1;
        m->nsnapshot_log++;
    }
    rc = get_array(j, "metadata-log", &arr, err);
    if (rc < 0) return -1;
    n = rc ? json_array_size(arr) : 0;
    m->metadata_log = array_new((int)n, sizeof *m->metadata_log);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "table metadata: metadata-log[%zu]", i);
        floe_ice_log_entry *le = &m->metadata_log[m->nmetadata_log];
        const char *file;
        if (floe_ice_json_int(e, "timestamp-ms", 1, INT64_MIN, INT64_MAX, ctx, &le->timestamp_ms, err) < 0 ||
            floe_ice_json_str(e, "metadata-file", 1, ctx, &file, err) < 0)
            return -1;
        le->file = floe_xstrdup(file);
        m->nmetadata_log++;
    }
    return 0;
}

static int parse_extra(const json_t *j, floe_ice_metadata *m, floe_err *err) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        if (is_known_key(key)) continue;
        if ((strcmp(key, "statistics") == 0 || strcmp(key, "partition-statistics") == 0) && !json_is_array(v))
            return floe_err_set(err, FLOE_EINVAL, "table metadata: \"%s\" must be an array, got %s", key,
                                floe_ice_json_kind(v));
        if (!m->extra) m->extra = json_object();
        json_object_set(m->extra, key, v);
    }
    return 0;
}

floe_ice_metadata *floe_ice_metadata_from_json(const json_t *j, floe_err *err) {
    const char *ctx = "table metadata";
    if (!json_is_object(j)) {
        floe_err_set(err, FLOE_EINVAL, "%s: must be a JSON object, got %s", ctx, floe_ice_json_kind(j));
        return NULL;
    }
    floe_ice_metadata *m = floe_xcalloc(1, sizeof *m);
    floe_props_init(&m->properties);
    m->current_snapshot_id = -1;
    int64_t v;
    const char *s;
    int rc;
    if (floe_ice_json_int(j, "format-version", 1, 1, INT32_MAX, ctx, &v, err) < 0) goto fail;
    m->format_version = (int)v;
    if (m->format_version > 2) {
        floe_err_set(err, FLOE_EUNSUPPORTED, "%s: format version %d is not supported (floe reads 1 and 2)", ctx,
                     m->format_version);
        goto fail;
    }
    if ((rc = floe_ice_json_str(j, "table-uuid", m->format_version > 1, ctx, &s, err)) < 0) goto fail;
    if (rc) {
        uint8_t u[16];
        if (floe_parse_uuid(s, strlen(s), u)) {
            floe_err_set(err, FLOE_EINVAL, "%s: \"table-uuid\" is not a UUID: \"%.60s\"", ctx, s);
            goto fail;
        }
        memcpy(m->table_uuid, s, 36);
    }
    if (floe_ice_json_str(j, "location", 1, ctx, &s, err) < 0) goto fail;
    m->location = floe_ice_location_strip(s);
    if (m->format_version > 1 &&
        floe_ice_json_int(j, "last-sequence-number", 1, 0, INT64_MAX, ctx, &m->last_sequence_number, err) < 0)
        goto fail;
    if (floe_ice_json_int(j, "last-updated-ms", 1, INT64_MIN, INT64_MAX, ctx, &m->last_updated_ms, err) < 0 ||
        floe_ice_json_i32(j, "last-column-id", 1, ctx, &m->last_column_id, err) < 0)
        goto fail;
    if (parse_schemas(j, m, err) || parse_specs(j, m, err) || parse_sort_orders(j, m, err)) goto fail;
    if (floe_ice_json_props(j, "properties", 0, ctx, &m->properties, err) < 0 ||
        floe_ice_json_int(j, "current-snapshot-id", 0, INT64_MIN, INT64_MAX, ctx, &m->current_snapshot_id, err) < 0)
        goto fail;
    if (parse_snapshots_and_refs(j, m, err) || parse_logs(j, m, err) || parse_extra(j, m, err)) goto fail;
    if (floe_ice_metadata_check(m, err)) goto fail;
    return m;
fail:
    floe_ice_metadata_free(m);
    return NULL;
}

floe_ice_metadata *floe_ice_metadata_parse(const char *json, size_t len, floe_err *err) {
    json_t *j = floe_ice_json_load(json, len, "table metadata", err);
    if (!j) return NULL;
    floe_ice_metadata *m = floe_ice_metadata_from_json(j, err);
    json_decref(j);
    return m;
}

/* ---- JSON out --------------------------------------------------------------- */

static void put_extra_array(floe_buf *out, const floe_ice_metadata *m, const char *key) {
    const json_t *v = m->extra ? json_object_get(m->extra, key) : NULL;
    floe_buf_printf(out, ",\"%s\":", key);
    if (v) floe_ice_json_put_value(out, v);
    else floe_buf_puts(out, "[]");
}

void floe_ice_metadata_to_json(const floe_ice_metadata *m, floe_buf *out) {
    floe_buf_printf(out, "{\"format-version\":%d", m->format_version);
    if (m->table_uuid[0]) {
        floe_buf_puts(out, ",\"table-uuid\":");
        floe_ice_json_put_str(out, m->table_uuid);
    }
    floe_buf_puts(out, ",\"location\":");
    floe_ice_json_put_str(out, m->location);
    if (m->format_version > 1) floe_buf_printf(out, ",\"last-sequence-number\":%" PRId64, m->last_sequence_number);
    floe_buf_printf(out, ",\"last-updated-ms\":%" PRId64 ",\"last-column-id\":%d", m->last_updated_ms,
                    (int)m->last_column_id);
    if (m->format_version == 1) {
        floe_buf_puts(out, ",\"schema\":");
        floe_ice_schema_to_json(floe_ice_metadata_schema(m), out);
    }
    floe_buf_printf(out, ",\"current-schema-id\":%d,\"schemas\":[", (int)m->current_schema_id);
    for (int i = 0; i < m->nschemas; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_schema_to_json(m->schemas[i], out);
    }
    floe_buf_putc(out, ']');
    if (m->format_version == 1) {
        floe_buf_puts(out, ",\"partition-spec\":");
        floe_ice_spec_fields_to_json(floe_ice_metadata_spec(m), out);
    }
    floe_buf_printf(out, ",\"default-spec-id\":%d,\"partition-specs\":[", (int)m->default_spec_id);
    for (int i = 0; i < m->nspecs; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_spec_to_json(&m->specs[i], out);
    }
    floe_buf_printf(out, "],\"last-partition-id\":%d,\"default-sort-order-id\":%d,\"sort-orders\":[",
                    (int)m->last_partition_id, (int)m->default_sort_order_id);
    for (int i = 0; i < m->nsort_orders; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_sort_order_to_json(&m->sort_orders[i], out);
    }
    floe_buf_puts(out, "],\"properties\":");
    floe_ice_json_put_props(out, &m->properties);
    floe_buf_printf(out, ",\"current-snapshot-id\":%" PRId64 ",\"refs\":{", m->current_snapshot_id);
    for (int i = 0; i < m->nrefs; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_json_put_str(out, m->refs[i].name);
        floe_buf_puts(out, ":{");
        floe_ice_ref_put_members(&m->refs[i], out);
        floe_buf_putc(out, '}');
    }
    floe_buf_puts(out, "},\"snapshots\":[");
    for (int i = 0; i < m->nsnapshots; i++) {
        if (i) floe_buf_putc(out, ',');
        floe_ice_snapshot_to_json(&m->snapshots[i], out);
    }
    floe_buf_putc(out, ']');
    put_extra_array(out, m, "statistics");
    put_extra_array(out, m, "partition-statistics");
    floe_buf_puts(out, ",\"snapshot-log\":[");
    for (int i = 0; i < m->nsnapshot_log; i++)
        floe_buf_printf(out, "%s{\"timestamp-ms\":%" PRId64 ",\"snapshot-id\":%" PRId64 "}", i ? "," : "",
                        m->snapshot_log[i].timestamp_ms, m->snapshot_log[i].snapshot_id);
    floe_buf_puts(out, "],\"metadata-log\":[");
    for (int i = 0; i < m->nmetadata_log; i++) {
        floe_buf_printf(out, "%s{\"timestamp-ms\":%" PRId64 ",\"metadata-file\":", i ? "," : "",
                        m->metadata_log[i].timestamp_ms);
        floe_ice_json_put_str(out, m->metadata_log[i].file);
        floe_buf_putc(out, '}');
    }
    floe_buf_putc(out, ']');
    if (m->extra) {
        const char *key;
        json_t *v;
        json_object_foreach(m->extra, key, v) {
            if (strcmp(key, "statistics") == 0 || strcmp(key, "partition-statistics") == 0) continue;
            floe_buf_putc(out, ',');
            floe_ice_json_put_str(out, key);
            floe_buf_putc(out, ':');
            floe_ice_json_put_value(out, v);
        }
    }
    floe_buf_putc(out, '}');
}

/* ---- new tables ------------------------------------------------------------- */

floe_ice_metadata *floe_ice_metadata_new_table(const char *location, const floe_ice_schema *schema,
                                               const floe_ice_partition_spec *spec,
                                               const floe_ice_sort_order *order, const floe_props *props,
                                               floe_err *err) {
    int format_version = 2;
    const char *fv = props ? floe_props_get(props, "format-version") : NULL;
    if (fv) {
        char *end;
        long x = strtol(fv, &end, 10);
        if (!*fv || *end || x < 1) {
            floe_err_set(err, FLOE_EINVAL, "new table: property format-version must be 1 or 2, got \"%s\"", fv);
            return NULL;
        }
        if (x > 2) {
            floe_err_set(err, FLOE_EUNSUPPORTED, "new table: format version %ld is not supported (floe writes 1 and 2)",
                         x);
            return NULL;
        }
        format_version = (int)x;
    }
    floe_ice_metadata *m = floe_xcalloc(1, sizeof *m);
    floe_props_init(&m->properties);
    m->format_version = format_version;
    m->current_snapshot_id = -1;
    m->location = floe_ice_location_strip(location);
    m->last_updated_ms = floe_ice_now_ms();
    floe_ice_uuid_random(m->table_uuid);

    id_map ids = {.fresh = 1};
    m->schemas = array_new(1, sizeof *m->schemas);
    floe_ice_schema *fresh = copy_schema(schema, 0, &ids, err);
    if (!fresh) {
        floe_err_prefix(err, "new table");
        goto fail;
    }
    m->schemas[m->nschemas++] = fresh;
    m->last_column_id = ids.next;
    if (floe_ice_schema_check_version(fresh, format_version, err)) goto fail;

    m->specs = array_new(1, sizeof *m->specs);
    m->nspecs = 1;
    floe_ice_partition_spec *ns = &m->specs[0];
    if (spec) floe_ice_spec_copy(ns, spec);
    ns->spec_id = 0;
    for (int i = 0; i < ns->nfields; i++) {
        int32_t src = mapped_id(&ids, ns->fields[i].source_id);
        if (src < 0) {
            floe_err_set(err, FLOE_EINVAL, "new table: partition field '%s': source column id %d is not in the schema",
                         ns->fields[i].name, (int)ns->fields[i].source_id);
            goto fail;
        }
        ns->fields[i].source_id = src;
        ns->fields[i].field_id = FLOE_ICE_PARTITION_FIELD_ID_START + i;
    }
    if (floe_ice_spec_check(ns, fresh, err)) goto fail;
    m->last_partition_id = floe_ice_spec_last_field_id(ns);

    /* A sorted order becomes order 1 and is the table's only order; the
     * unsorted order keeps id 0 (Java's INITIAL_SORT_ORDER_ID). */
    m->sort_orders = array_new(1, sizeof *m->sort_orders);
    m->nsort_orders = 1;
    floe_ice_sort_order *no = &m->sort_orders[0];
    if (order && order->nfields > 0) {
        floe_ice_sort_order_copy(no, order);
        no->order_id = 1;
        for (int i = 0; i < no->nfields; i++) {
            int32_t src = mapped_id(&ids, no->fields[i].source_id);
            if (src < 0) {
                floe_err_set(err, FLOE_EINVAL, "new table: sort field %d: source column id %d is not in the schema", i,
                             (int)no->fields[i].source_id);
                goto fail;
            }
            no->fields[i].source_id = src;
        }
        if (floe_ice_sort_order_check(no, fresh, err)) goto fail;
    }
    m->default_sort_order_id = no->order_id;

    if (props)
        for (int i = 0; i < props->n; i++) {
            int reserved = 0;
            for (size_t r = 0; r < sizeof reserved_props / sizeof reserved_props[0]; r++)
                reserved |= strcmp(props->items[i].key, reserved_props[r]) == 0;
            if (!reserved) floe_props_set(&m->properties, props->items[i].key, props->items[i].value);
        }
    m->snapshot_log = array_new(0, sizeof *m->snapshot_log);
    m->metadata_log = array_new(0, sizeof *m->metadata_log);
    free(ids.from);
    free(ids.to);
    return m;
fail:
    free(ids.from);
    free(ids.to);
    floe_ice_metadata_free(m);
    return NULL;
}

/* ---- commits: metadata log and file names ------------------------------------ */

void floe_ice_metadata_log_previous(floe_ice_metadata *m, const char *previous_file, int64_t ts_ms) {
    int64_t max =
        floe_props_get_int(&m->properties, METADATA_PREVIOUS_VERSIONS_MAX, METADATA_PREVIOUS_VERSIONS_DEFAULT);
    if (max < 1) max = 1;
    /* Keep room for the entry being added, as Java's addPreviousFile. */
    int64_t keep = previous_file ? max - 1 : max;
    if (m->nmetadata_log > keep) {
        int drop = m->nmetadata_log - (int)keep;
        for (int i = 0; i < drop; i++) free(m->metadata_log[i].file);
        memmove(m->metadata_log, m->metadata_log + drop, sizeof *m->metadata_log * (size_t)(m->nmetadata_log - drop));
        m->nmetadata_log -= drop;
    }
    if (!previous_file) return;
    floe_ice_log_entry *e = FLOE_ICE_GROW(m->metadata_log, m->nmetadata_log);
    e->timestamp_ms = ts_ms;
    e->file = floe_xstrdup(previous_file);
}

/* BaseMetastoreTableOperations.parseVersion: the integer before the first
 * '-' of the file name, or -1. */
static int64_t parse_version(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dash = strchr(base, '-');
    if (!dash || dash == base) return -1;
    const char *p = base;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    if (p == dash) return -1;
    int64_t v = 0;
    for (; p < dash; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX) return -1;
    }
    return neg ? -v : v;
}

void floe_ice_metadata_file_name(const floe_ice_metadata *m, const char *previous, floe_buf *out) {
    int64_t version = previous ? parse_version(previous) + 1 : 0;
    char uuid[37];
    floe_ice_uuid_random(uuid);
    const char *dir = floe_props_get(&m->properties, METADATA_PATH);
    if (dir) {
        char *d = floe_ice_location_strip(dir);
        floe_buf_puts(out, d);
        free(d);
    } else {
        floe_buf_puts(out, m->location);
        floe_buf_puts(out, "/metadata");
    }
    floe_buf_printf(out, "/%05" PRId64 "-%s.metadata.json", version, uuid);
}
