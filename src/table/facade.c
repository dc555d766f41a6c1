/*
 * facade.c — the public table API of floe/table.h over the catalog
 * interface and table handles: settings resolution for opening a catalog,
 * "key=value" parsing, and the conversion of table metadata into the plain
 * structs and JSON the command line prints.  (floe_ingest is in ingest.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"
#include "util/text.h"

#define DEFAULT_WAREHOUSE "./warehouse"

static int parse_kvs(const char *const *kv, int n, floe_props *out, floe_err *err);

floe_catalog_handle *floe_open_catalog(const char *uri, const char *warehouse, floe_err *err) {
    return floe_open_catalog_props(uri, warehouse, NULL, 0, err);
}

static int is_rest_uri(const char *uri) {
    return uri && (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0);
}

floe_catalog_handle *floe_open_catalog_props(const char *uri, const char *warehouse, const char *const *props,
                                             int nprops, floe_err *err) {
    floe_props p;
    if (parse_kvs(props, nprops, &p, err)) return NULL;
    if (!uri || !*uri) uri = getenv("FLOE_CATALOG");
    floe_buf b;
    floe_buf_init(&b);
    if (is_rest_uri(uri)) {
        /* The REST catalog's settings the command line and the environment
         * give; the server decides where tables go. */
        static const char *const env[][2] = {
            {"token", "FLOE_CATALOG_TOKEN"}, {"credential", "FLOE_CATALOG_CREDENTIAL"},
            {"warehouse", "FLOE_CATALOG_WAREHOUSE"}};
        for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
            const char *v = getenv(env[i][1]);
            if (v && *v && !floe_props_get(&p, env[i][0])) floe_props_set(&p, env[i][0], v);
        }
        const char *wh = floe_props_get(&p, "warehouse");
        if (wh) warehouse = wh;
        if (warehouse && !*warehouse) warehouse = NULL;
    } else {
        if (!warehouse || !*warehouse) warehouse = getenv("FLOE_WAREHOUSE");
        if (!warehouse || !*warehouse) warehouse = DEFAULT_WAREHOUSE;
        if ((!uri || !*uri) && strstr(warehouse, "://") && strncmp(warehouse, "file://", 7) != 0) {
            /* A SQLite database cannot live in object storage. */
            floe_props_free(&p);
            floe_err_set(err, FLOE_EINVAL, "warehouse %s is not local: name the catalog (--catalog sqlite:PATH, "
                         "postgresql://... or a REST catalog)", warehouse);
            return NULL;
        }
        if (!uri || !*uri) {
            /* The catalog database lives in the warehouse unless told otherwise. */
            floe_buf_printf(&b, "sqlite:%s/catalog.db", floe_uri_local_path(warehouse));
            uri = floe_buf_cstr(&b);
        }
    }
    floe_catalog *c = floe_catalog_open(uri, warehouse, &p, err);
    floe_buf_free(&b);
    floe_props_free(&p);
    if (!c) return NULL;
    floe_catalog_handle *h = floe_xcalloc(1, sizeof *h);
    h->catalog = c;
    return h;
}

void floe_close_catalog(floe_catalog_handle *c) {
    if (!c) return;
    floe_catalog_free(c->catalog);
    free(c);
}

void floe_kvs_free(floe_kv *kv, int n) {
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void floe_strv_free(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int parse_kvs(const char *const *kv, int n, floe_props *out, floe_err *err) {
    floe_props_init(out);
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        if (!eq || eq == kv[i]) {
            floe_props_free(out);
            return floe_err_set(err, FLOE_EINVAL, "property '%s': expected KEY=VALUE", kv[i]);
        }
        char *key = floe_xstrndup(kv[i], (size_t)(eq - kv[i]));
        floe_props_set(out, key, eq + 1);
        free(key);
    }
    return 0;
}

static floe_kv *kvs_from_props(const floe_props *p, const char *skip, int *n) {
    floe_kv *kv = floe_xcalloc((size_t)p->n + 1, sizeof *kv);
    int k = 0;
    for (int i = 0; i < p->n; i++) {
        if (skip && strcmp(p->items[i].key, skip) == 0) continue;
        kv[k].key = floe_xstrdup(p->items[i].key);
        kv[k++].value = floe_xstrdup(p->items[i].value);
    }
    *n = k;
    return kv;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- namespaces ----------------------------------------------------------------- */

int floe_namespace_create(floe_catalog_handle *h, const char *ns, const char *const *props, int nprops,
                          floe_err *err) {
    floe_props p;
    if (parse_kvs(props, nprops, &p, err)) return -1;
    int rc = h->catalog->create_namespace(h->catalog, ns, &p, err);
    floe_props_free(&p);
    return rc;
}

int floe_namespace_list(floe_catalog_handle *h, const char *parent, char ***out, int *n, floe_err *err) {
    *out = NULL;
    *n = 0;
    if (h->catalog->list_namespaces(h->catalog, parent, out, n, err)) return -1;
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, cmp_str);
    return 0;
}

int floe_namespace_properties(floe_catalog_handle *h, const char *ns, floe_kv **out, int *n, floe_err *err) {
    floe_props p;
    floe_props_init(&p);
    *out = NULL;
    *n = 0;
    if (h->catalog->load_namespace(h->catalog, ns, &p, err)) {
        floe_props_free(&p);
        return -1;
    }
    *out = kvs_from_props(&p, NULL, n);
    floe_props_free(&p);
    return 0;
}

int floe_namespace_drop(floe_catalog_handle *h, const char *ns, floe_err *err) {
    return h->catalog->drop_namespace(h->catalog, ns, err);
}

/* ---- tables --------------------------------------------------------------------- */

int floe_create_table(floe_catalog_handle *h, const char *table, const floe_table_create_opts *opts,
                      floe_err *err) {
    char *ns, *name;
    if (floe_table_ident_split(table, &ns, &name, err)) return -1;
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    floe_props props;
    floe_props_init(&props);
    int rc = -1;
    const char *sj = opts->schema_json ? opts->schema_json : "";
    floe_ice_schema *schema = floe_ice_schema_parse(sj, strlen(sj), err);
    if (!schema) goto done;
    int partitioned = opts->partition_by && *opts->partition_by;
    if (partitioned && floe_ice_spec_parse_terms(opts->partition_by, schema, 0,
                                                 FLOE_ICE_PARTITION_FIELD_ID_START - 1, &spec, err)) {
        floe_err_prefix(err, "--partition-by");
        goto done;
    }
    floe_props_free(&props);
    if (parse_kvs(opts->props, opts->nprops, &props, err)) goto done;
    floe_table_create req = {schema, partitioned ? &spec : NULL, NULL, opts->location, &props, 0};
    rc = h->catalog->create_table(h->catalog, ns, name, &req, NULL, err);
done:
    floe_props_free(&props);
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(schema);
    free(ns);
    free(name);
    return rc;
}

typedef struct strv {
    char **v;
    int n, cap;
} strv;

static void strv_take(strv *s, char *x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = floe_xrealloc(s->v, sizeof *s->v * (size_t)s->cap);
    }
    s->v[s->n++] = x;
}

/* Adds "ns.table" for the tables of ns and, when deep, of every namespace
 * below it. */
static int collect_tables(floe_catalog *c, const char *ns, int deep, strv *out, floe_err *err) {
    char **names;
    int n;
    if (ns) {
        if (c->list_tables(c, ns, &names, &n, err)) return -1;
        for (int i = 0; i < n; i++) {
            floe_buf b;
            floe_buf_init(&b);
            floe_buf_printf(&b, "%s.%s", ns, names[i]);
            strv_take(out, floe_buf_cstr(&b));
        }
        floe_strv_free(names, n);
    }
    if (!deep) return 0;
    if (c->list_namespaces(c, ns, &names, &n, err)) return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = collect_tables(c, names[i], 1, out, err);
    floe_strv_free(names, n);
    return rc;
}

int floe_table_list(floe_catalog_handle *h, const char *ns, char ***out, int *n, floe_err *err) {
    strv s = {0};
    *out = NULL;
    *n = 0;
    if (collect_tables(h->catalog, ns, ns == NULL, &s, err)) {
        floe_strv_free(s.v, s.n);
        return -1;
    }
    if (s.n > 1) qsort(s.v, (size_t)s.n, sizeof *s.v, cmp_str);
    *out = s.v;
    *n = s.n;
    return 0;
}

int floe_table_drop(floe_catalog_handle *h, const char *table, int purge, floe_err *err) {
    char *ns, *name;
    if (floe_table_ident_split(table, &ns, &name, err)) return -1;
    int rc = h->catalog->drop_table(h->catalog, ns, name, purge, err);
    free(ns);
    free(name);
    return rc;
}

int floe_table_rename(floe_catalog_handle *h, const char *from, const char *to, floe_err *err) {
    char *ns, *name, *to_ns = NULL, *to_name = NULL;
    if (floe_table_ident_split(from, &ns, &name, err)) return -1;
    int rc = floe_table_ident_split(to, &to_ns, &to_name, err);
    if (rc == 0) rc = h->catalog->rename_table(h->catalog, ns, name, to_ns, to_name, err);
    free(ns);
    free(name);
    free(to_ns);
    free(to_name);
    return rc;
}

/* ---- describe ------------------------------------------------------------------- */

static char *take_cstr(floe_buf *b) {
    char *s = floe_xstrdup(floe_buf_cstr(b));
    floe_buf_reset(b);
    return s;
}

static char *field_path(const floe_ice_schema *s, int32_t id) {
    const floe_ice_field *f = floe_ice_schema_field_by_id(s, id);
    floe_buf b;
    floe_buf_init(&b);
    if (f) floe_ice_field_path(f, &b);
    else floe_buf_printf(&b, "(field %d)", (int)id);
    char *r = take_cstr(&b);
    floe_buf_free(&b);
    return r;
}

typedef struct colv {
    floe_column_info *v;
    int n, cap;
} colv;

static void add_columns(const floe_ice_type *t, int depth, colv *out) {
    for (int i = 0; i < t->nfields; i++) {
        const floe_ice_field *f = t->fields[i];
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 16;
            out->v = floe_xrealloc(out->v, sizeof *out->v * (size_t)out->cap);
        }
        floe_column_info *c = &out->v[out->n++];
        floe_buf b;
        floe_buf_init(&b);
        c->id = f->id;
        floe_ice_field_path(f, &b);
        c->path = take_cstr(&b);
        floe_ice_type_name(f->type, &b);
        c->type = take_cstr(&b);
        floe_buf_free(&b);
        c->required = f->required;
        c->depth = depth;
        c->doc = f->doc ? floe_xstrdup(f->doc) : NULL;
        add_columns(f->type, depth + 1, out);
    }
}

static void put_str(floe_buf *b, const char *s) { floe_json_escape((const uint8_t *)s, strlen(s), b); }

static void describe_json(const floe_table *t, const floe_ice_sort_order *order, floe_buf *b) {
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_buf_puts(b, "{\"name\":");
    floe_buf ident;
    floe_buf_init(&ident);
    floe_buf_printf(&ident, "%s.%s", t->ns, t->name);
    put_str(b, floe_buf_cstr(&ident));
    floe_buf_free(&ident);
    floe_buf_puts(b, ",\"location\":");
    put_str(b, m->location);
    floe_buf_puts(b, ",\"metadata-location\":");
    put_str(b, t->state.metadata_location ? t->state.metadata_location : "");
    floe_buf_printf(b, ",\"table-uuid\":\"%s\",\"format-version\":%d,\"last-updated-ms\":%lld", m->table_uuid,
                    m->format_version, (long long)m->last_updated_ms);
    floe_buf_printf(b, ",\"last-sequence-number\":%lld,\"schema\":", (long long)m->last_sequence_number);
    floe_ice_schema_to_json(floe_ice_metadata_schema(m), b);
    floe_buf_puts(b, ",\"partition-spec\":");
    floe_ice_spec_to_json(floe_ice_metadata_spec(m), b);
    floe_buf_puts(b, ",\"sort-order\":");
    if (order) floe_ice_sort_order_to_json(order, b);
    else floe_buf_puts(b, "null");
    floe_buf_puts(b, ",\"properties\":{");
    for (int i = 0; i < m->properties.n; i++) {
        if (i) floe_buf_putc(b, ',');
        put_str(b, m->properties.items[i].key);
        floe_buf_putc(b, ':');
        put_str(b, m->properties.items[i].value);
    }
    floe_buf_puts(b, "},\"current-snapshot-id\":");
    if (m->current_snapshot_id >= 0) floe_buf_printf(b, "%lld", (long long)m->current_snapshot_id);
    else floe_buf_puts(b, "null");
    floe_buf_printf(b, ",\"snapshot-count\":%d}", m->nsnapshots);
}

int floe_table_describe(floe_catalog_handle *h, const char *table, floe_table_info *out, floe_err *err) {
    memset(out, 0, sizeof *out);
    floe_table *t = floe_table_load_ident(h->catalog, table, err);
    if (!t) return -1;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_schema *schema = floe_ice_metadata_schema(m);
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec(m);
    const floe_ice_sort_order *order = NULL;
    for (int i = 0; i < m->nsort_orders; i++)
        if (m->sort_orders[i].order_id == m->default_sort_order_id) order = &m->sort_orders[i];
    floe_buf b;
    floe_buf_init(&b);
    floe_buf_printf(&b, "%s.%s", t->ns, t->name);
    out->name = take_cstr(&b);
    out->location = floe_xstrdup(m->location);
    out->metadata_location = floe_xstrdup(t->state.metadata_location ? t->state.metadata_location : "");
    out->uuid = floe_xstrdup(m->table_uuid);
    out->format_version = m->format_version;
    out->last_updated_ms = m->last_updated_ms;
    out->last_sequence_number = m->last_sequence_number;
    out->schema_id = schema->schema_id;
    colv cols = {0};
    add_columns(schema->root, 0, &cols);
    out->columns = cols.v;
    out->ncolumns = cols.n;
    out->spec_id = spec->spec_id;
    out->partition = floe_xcalloc((size_t)spec->nfields + 1, sizeof *out->partition);
    out->npartition = spec->nfields;
    for (int i = 0; i < spec->nfields; i++) {
        const floe_ice_partition_field *f = &spec->fields[i];
        floe_partition_field_info *p = &out->partition[i];
        p->field_id = f->field_id;
        p->name = floe_xstrdup(f->name);
        floe_ice_transform_name(&f->transform, &b);
        p->transform = take_cstr(&b);
        p->source_id = f->source_id;
        p->source = field_path(schema, f->source_id);
    }
    out->sort_order_id = m->default_sort_order_id;
    int nsort = order ? order->nfields : 0;
    out->sort = floe_xcalloc((size_t)nsort + 1, sizeof *out->sort);
    out->nsort = nsort;
    for (int i = 0; i < nsort; i++) {
        const floe_ice_sort_field *f = &order->fields[i];
        floe_sort_field_info *s = &out->sort[i];
        floe_ice_transform_name(&f->transform, &b);
        s->transform = take_cstr(&b);
        s->source_id = f->source_id;
        s->source = field_path(schema, f->source_id);
        s->descending = f->descending;
        s->nulls_first = f->nulls_first;
    }
    out->props = kvs_from_props(&m->properties, NULL, &out->nprops);
    out->has_current_snapshot = m->current_snapshot_id >= 0;
    out->current_snapshot_id = m->current_snapshot_id;
    out->nsnapshots = m->nsnapshots;
    describe_json(t, order, &b);
    out->json = take_cstr(&b);
    floe_buf_free(&b);
    floe_table_free(t);
    return 0;
}

void floe_table_info_free(floe_table_info *t) {
    if (!t) return;
    free(t->name);
    free(t->location);
    free(t->metadata_location);
    free(t->uuid);
    for (int i = 0; i < t->ncolumns; i++) {
        free(t->columns[i].path);
        free(t->columns[i].type);
        free(t->columns[i].doc);
    }
    free(t->columns);
    for (int i = 0; i < t->npartition; i++) {
        free(t->partition[i].name);
        free(t->partition[i].transform);
        free(t->partition[i].source);
    }
    free(t->partition);
    for (int i = 0; i < t->nsort; i++) {
        free(t->sort[i].transform);
        free(t->sort[i].source);
    }
    free(t->sort);
    floe_kvs_free(t->props, t->nprops);
    free(t->json);
    memset(t, 0, sizeof *t);
}

/* ---- snapshots ------------------------------------------------------------------ */

int floe_table_snapshots(floe_catalog_handle *h, const char *table, floe_snapshot_info **out, int *n,
                         floe_err *err) {
    *out = NULL;
    *n = 0;
    floe_table *t = floe_table_load_ident(h->catalog, table, err);
    if (!t) return -1;
    const floe_ice_metadata *m = floe_table_meta(t);
    floe_snapshot_info *v = floe_xcalloc((size_t)m->nsnapshots + 1, sizeof *v);
    for (int i = 0; i < m->nsnapshots; i++) {
        const floe_ice_snapshot *s = &m->snapshots[i];
        floe_snapshot_info *o = &v[i];
        o->snapshot_id = s->snapshot_id;
        o->has_parent = s->has_parent;
        o->parent_id = s->parent_id;
        o->sequence_number = s->sequence_number;
        o->timestamp_ms = s->timestamp_ms;
        const char *op = floe_props_get(&s->summary, "operation");
        o->operation = op ? floe_xstrdup(op) : NULL;
        o->manifest_list = s->manifest_list ? floe_xstrdup(s->manifest_list) : NULL;
        o->summary = kvs_from_props(&s->summary, "operation", &o->nsummary);
        o->is_current = s->snapshot_id == m->current_snapshot_id;
    }
    *out = v;
    *n = m->nsnapshots;
    floe_table_free(t);
    return 0;
}

void floe_snapshot_infos_free(floe_snapshot_info *s, int n) {
    for (int i = 0; i < n; i++) {
        free(s[i].operation);
        free(s[i].manifest_list);
        floe_kvs_free(s[i].summary, s[i].nsummary);
    }
    free(s);
}

/* ---- files ---------------------------------------------------------------------- */

/* A partition value as JSON: numbers for numeric types, strings in the
 * human form otherwise (dates "2017-11-16"). */
static void partition_value_json(const floe_ice_type *t, const floe_ice_datum *v, floe_buf *out) {
    if (v->is_null) {
        floe_buf_puts(out, "null");
        return;
    }
    floe_buf s;
    floe_buf_init(&s);
    floe_ice_value_to_string(t, v, &s);
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN:
    case FLOE_ICE_INT:
    case FLOE_ICE_LONG: floe_buf_append(out, s.data, s.len); break;
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE: floe_fmt_double(v->d, out); break;
    default: floe_json_escape(s.data, s.len, out); break;
    }
    floe_buf_free(&s);
}

typedef struct filev {
    floe_data_file_info *v;
    int n, cap;
} filev;

/* Adds the live entries of one manifest. */
static int add_files(floe_table *t, const floe_ice_manifest_file *mf, filev *out, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec_by_id(m, mf->partition_spec_id);
    if (!spec)
        return floe_err_set(err, FLOE_ECORRUPT, "manifest %s: partition spec %d is not in the table metadata",
                            mf->manifest_path, (int)mf->partition_spec_id);
    floe_ice_type *ptype = floe_ice_spec_partition_type(spec, floe_ice_metadata_schema(m), err);
    if (!ptype) return floe_err_prefix(err, "manifest %s", mf->manifest_path);
    floe_ice_manifest_entry *es;
    int ne;
    if (floe_table_entries(t, mf, &es, &ne, err)) {
        floe_ice_type_free(ptype);
        return -1;
    }
    floe_buf b;
    floe_buf_init(&b);
    for (int i = 0; i < ne; i++) {
        const floe_ice_manifest_entry *e = &es[i];
        const floe_ice_data_file *f = &e->file;
        if (e->status == FLOE_ICE_STATUS_DELETED) continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->v = floe_xrealloc(out->v, sizeof *out->v * (size_t)out->cap);
        }
        floe_data_file_info *o = &out->v[out->n++];
        memset(o, 0, sizeof *o);
        o->path = floe_xstrdup(f->file_path);
        o->format = floe_xstrdup(f->file_format ? f->file_format : "");
        o->content = f->content;
        o->spec_id = f->spec_id;
        int np = f->npartition < spec->nfields ? f->npartition : spec->nfields;
        if (np == spec->nfields) floe_ice_spec_partition_path(spec, ptype, f->partition, &b);
        o->partition = take_cstr(&b);
        floe_buf_putc(&b, '{');
        for (int k = 0; k < np; k++) {
            if (k) floe_buf_putc(&b, ',');
            put_str(&b, spec->fields[k].name);
            floe_buf_putc(&b, ':');
            partition_value_json(ptype->fields[k]->type, &f->partition[k], &b);
        }
        floe_buf_putc(&b, '}');
        o->partition_json = take_cstr(&b);
        o->record_count = f->record_count;
        o->file_size = f->file_size_in_bytes;
        o->snapshot_id = e->has_snapshot_id ? e->snapshot_id : -1;
        o->sequence_number = e->has_sequence_number ? e->sequence_number : -1;
    }
    floe_buf_free(&b);
    floe_table_entries_free(es, ne);
    floe_ice_type_free(ptype);
    return 0;
}

int floe_table_files(floe_catalog_handle *h, const char *table, int has_snapshot, int64_t snapshot_id,
                     floe_data_file_info **out, int *n, floe_err *err) {
    *out = NULL;
    *n = 0;
    floe_table *t = floe_table_load_ident(h->catalog, table, err);
    if (!t) return -1;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_snapshot *s = has_snapshot ? floe_ice_metadata_snapshot(m, snapshot_id)
                                              : floe_ice_metadata_current(m);
    int rc = 0;
    filev files = {0};
    if (!s && has_snapshot) {
        rc = floe_err_set(err, FLOE_ENOTFOUND, "table %s: no snapshot %lld", table, (long long)snapshot_id);
    } else if (s) {
        floe_ice_manifest_file *mfs;
        int nm;
        rc = floe_table_manifests(t, s, &mfs, &nm, err);
        for (int i = 0; i < nm && rc == 0; i++) rc = add_files(t, &mfs[i], &files, err);
        floe_table_manifests_free(mfs, nm);
    }
    if (rc) {
        floe_data_file_infos_free(files.v, files.n);
    } else {
        *out = files.v;
        *n = files.n;
    }
    floe_table_free(t);
    return rc;
}

void floe_data_file_infos_free(floe_data_file_info *f, int n) {
    for (int i = 0; i < n; i++) {
        free(f[i].path);
        free(f[i].format);
        free(f[i].partition);
        free(f[i].partition_json);
    }
    free(f);
}
