/*
 * sql.c — the SQL catalog: namespaces and tables kept in the two tables of
 * Iceberg's JDBC catalog (JdbcUtil), on SQLite or PostgreSQL through
 * sql_db.h, so that Java's JdbcCatalog, pyiceberg's SqlCatalog and floe can
 * open the same database.
 *
 *   iceberg_tables(catalog_name, table_namespace, table_name,
 *                  metadata_location, previous_metadata_location,
 *                  iceberg_type)            -- one row per table (or view)
 *   iceberg_namespace_properties(catalog_name, namespace, property_key,
 *                                property_value)
 *
 * A new database gets the current layout (Java's V0 CREATE TABLE, then its
 * V1 ALTER adding iceberg_type); a database created without iceberg_type
 * is used as it is (rows of tables only), unless the property
 * jdbc.schema-version=V1 asks for the upgrade.  As in Java, a namespace
 * exists when a property row or a table names it or a namespace below it;
 * creating one writes the reserved property "exists"="true".
 *
 * A commit loads the table's current metadata, checks the requirements,
 * applies the updates, writes the next metadata file (exclusively: never
 * over another) and swaps metadata_location with
 *   UPDATE ... SET metadata_location = new, previous_metadata_location = old
 *   WHERE <table> AND metadata_location = old
 * Zero rows means another commit won: the new file is deleted and the
 * caller gets FLOE_ECONFLICT to reload and rebase.  A create with .stage
 * set writes nothing; a commit with assert-create (the end of that create
 * transaction) applies its updates to nothing and inserts the row, so the
 * table appears whole or not at all.  A multi-table commit
 * does the same for every table inside one database transaction, in a
 * fixed order (namespace, name) so that two of them cannot deadlock.
 *
 * Parsing the metadata JSON was most of a commit's CPU, so the catalog
 * object keeps, for the last few tables it touched, the metadata it last
 * read or wrote with that file's location.  It is used only when the row
 * names exactly that location: metadata files are written exclusively
 * under a fresh UUID name and never changed, so the same location means
 * the same content, and a commit by anyone else (another process, another
 * catalog object) moves the row to a location this object does not hold
 * and the file is read as before.  What is kept for a written file is the
 * metadata it was serialized from, which reads back the same
 * (floe_ice_metadata_to_json of either is the same text).
 */
#include "catalog/sql.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog/sql_db.h"
#include "iceberg/manifest.h"
#include "util/clock.h"

/* Column widths of the JDBC layout: VARCHAR(255) names, VARCHAR(1000)
 * locations and property values.  SQLite does not enforce them; checking
 * here gives the same answer on both databases. */
#define NAME_MAX_BYTES 255
#define VALUE_MAX_BYTES 1000
#define NS_EXISTS_KEY "exists"
#define NEW_TABLE_PREVIOUS_VERSIONS_MAX "10"
/* Tables whose current metadata a catalog object keeps (see the top). */
#define META_CACHE_SLOTS 4

/* One table's metadata as of `loc`, the file last read or written for it. */
typedef struct meta_slot {
    char *ns, *name, *loc; /* NULL ns: empty slot */
    floe_ice_metadata *m;
    uint64_t used;         /* for least-recently-used replacement */
} meta_slot;

typedef struct sql_catalog {
    floe_catalog base;
    floe_sqldb *db;
    char *name;      /* the catalog_name column */
    char *warehouse; /* URI, no trailing slash */
    floe_fileio *io;
    int typed;       /* iceberg_tables has iceberg_type */
    meta_slot meta[META_CACHE_SLOTS];
    uint64_t meta_tick;
} sql_catalog;

static sql_catalog *cat(floe_catalog *c) { return (sql_catalog *)c; }

/* ---- statements (JdbcUtil's, [typed] = without / with iceberg_type) ----------- */

#define TABLE_KEY "catalog_name = ? AND table_namespace = ? AND table_name = ?"
#define IS_TABLE " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)"

static const char SQL_CREATE_TABLES[] =
    "CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,table_namespace VARCHAR(255) NOT NULL,"
    "table_name VARCHAR(255) NOT NULL,metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),"
    "PRIMARY KEY (catalog_name, table_namespace, table_name))";
static const char SQL_ADD_TYPE[] = "ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)";
static const char SQL_CREATE_NS[] =
    "CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,namespace VARCHAR(255) NOT NULL,"
    "property_key VARCHAR(255),property_value VARCHAR(1000),PRIMARY KEY (catalog_name, namespace, property_key))";

static const char *const SQL_GET_TABLE[2] = {
    "SELECT metadata_location FROM iceberg_tables WHERE " TABLE_KEY,
    "SELECT metadata_location FROM iceberg_tables WHERE " TABLE_KEY IS_TABLE,
};
static const char *const SQL_LIST_TABLES[2] = {
    "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? ORDER BY table_name",
    "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?" IS_TABLE
    " ORDER BY table_name",
};
static const char *const SQL_INSERT_TABLE[2] = {
    "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,"
    " previous_metadata_location) VALUES (?,?,?,?,null)",
    "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,"
    " previous_metadata_location, iceberg_type) VALUES (?,?,?,?,null,'TABLE')",
};
static const char *const SQL_SWAP[2] = {
    "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE " TABLE_KEY
    " AND metadata_location = ?",
    "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE " TABLE_KEY
    " AND metadata_location = ?" IS_TABLE,
};
/* Inside a multi-table commit, a table with requirements but no updates
 * keeps its metadata; this asserts (and on PostgreSQL locks) that. */
static const char SQL_HOLD[] =
    "UPDATE iceberg_tables SET metadata_location = ? WHERE " TABLE_KEY " AND metadata_location = ?";
static const char *const SQL_RENAME[2] = {
    "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE " TABLE_KEY,
    "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE " TABLE_KEY IS_TABLE,
};
static const char *const SQL_DROP[2] = {
    "DELETE FROM iceberg_tables WHERE " TABLE_KEY,
    "DELETE FROM iceberg_tables WHERE " TABLE_KEY IS_TABLE,
};
static const char *const SQL_DROP_AT[2] = {
    "DELETE FROM iceberg_tables WHERE " TABLE_KEY " AND metadata_location = ?",
    "DELETE FROM iceberg_tables WHERE " TABLE_KEY " AND metadata_location = ?" IS_TABLE,
};

/* Namespaces named by tables and properties: all, or one and those below. */
static const char SQL_NS_ALL[] =
    "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?"
    " UNION SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?";
static const char SQL_NS_UNDER[] =
    "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?"
    " AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!')"
    " UNION SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?"
    " AND (namespace = ? OR namespace LIKE ? ESCAPE '!')";
static const char SQL_NS_PROPS[] =
    "SELECT property_key, property_value FROM iceberg_namespace_properties"
    " WHERE catalog_name = ? AND namespace = ? ORDER BY property_key";
static const char SQL_NS_INSERT[] =
    "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)"
    " VALUES (?,?,?,?)";
static const char SQL_NS_UPDATE[] =
    "UPDATE iceberg_namespace_properties SET property_value = ?"
    " WHERE catalog_name = ? AND namespace = ? AND property_key = ?";
static const char SQL_NS_DELETE[] =
    "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND property_key = ?";
static const char SQL_NS_DELETE_ALL[] =
    "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?";

/* Runs a statement; `what` (printf-style) names its purpose in errors. */
static int run(sql_catalog *c, const char *sql, const char *const *p, int np, floe_sql_rows *rows,
               int64_t *changes, floe_err *err, const char *fmt, ...) FLOE_PRINTF(8, 9);
static int run(sql_catalog *c, const char *sql, const char *const *p, int np, floe_sql_rows *rows,
               int64_t *changes, floe_err *err, const char *fmt, ...) {
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return floe_sqldb_exec(c->db, what, sql, p, np, rows, changes, err);
}

/* ---- small helpers ------------------------------------------------------------ */

/* A growable array of malloc'd strings. */
typedef struct strv {
    char **v;
    int n, cap;
} strv;

static void strv_push_n(strv *s, const char *p, size_t n) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = floe_xrealloc(s->v, sizeof *s->v * (size_t)s->cap);
    }
    s->v[s->n++] = floe_xstrndup(p, n);
}

static void strv_push(strv *s, const char *p) { strv_push_n(s, p, strlen(p)); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void strv_sort_unique(strv *s) {
    if (s->n == 0) return;
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_str);
    int k = 1;
    for (int i = 1; i < s->n; i++) {
        if (strcmp(s->v[k - 1], s->v[i]) != 0) s->v[k++] = s->v[i];
        else free(s->v[i]);
    }
    s->n = k;
}

static void strv_free(strv *s) {
    floe_sql_strv_free(s->v, s->n);
    memset(s, 0, sizeof *s);
}

static int check_ns(const char *ns, floe_err *err) {
    if (!ns || !*ns) return floe_err_set(err, FLOE_EINVAL, "empty namespace name");
    if (strlen(ns) > NAME_MAX_BYTES)
        return floe_err_set(err, FLOE_EINVAL, "namespace %.40s...: longer than %d bytes", ns, NAME_MAX_BYTES);
    for (const char *p = ns;; p++) {
        const char *dot = strchr(p, '.');
        if ((dot ? dot : p + strlen(p)) == p)
            return floe_err_set(err, FLOE_EINVAL, "namespace \"%s\" has an empty level", ns);
        if (!dot) return 0;
        p = dot;
    }
}

static int check_table(const char *ns, const char *name, floe_err *err) {
    if (check_ns(ns, err)) return -1;
    if (!name || !*name) return floe_err_set(err, FLOE_EINVAL, "empty table name in namespace %s", ns);
    if (strlen(name) > NAME_MAX_BYTES)
        return floe_err_set(err, FLOE_EINVAL, "table %s.%.40s...: name longer than %d bytes", ns, name,
                            NAME_MAX_BYTES);
    return 0;
}

static int check_prop(const char *ns, const char *key, const char *value, floe_err *err) {
    if (strcmp(key, NS_EXISTS_KEY) == 0)
        return floe_err_set(err, FLOE_EINVAL, "namespace %s: property \"%s\" is reserved", ns, NS_EXISTS_KEY);
    if (!*key || strlen(key) > NAME_MAX_BYTES)
        return floe_err_set(err, FLOE_EINVAL, "namespace %s: property key must be 1 to %d bytes", ns,
                            NAME_MAX_BYTES);
    if (value && strlen(value) > VALUE_MAX_BYTES)
        return floe_err_set(err, FLOE_EINVAL, "namespace %s: value of property %s is longer than %d bytes", ns,
                            key, VALUE_MAX_BYTES);
    return 0;
}

/* "<warehouse>/<level>/<level>" for a namespace. */
static void ns_location(const sql_catalog *c, const char *ns, floe_buf *out) {
    floe_buf_printf(out, "%s/", c->warehouse);
    for (const char *p = ns; *p; p++) floe_buf_putc(out, *p == '.' ? '/' : (uint8_t)*p);
}

/* s is ns or a namespace below it. */
static int ns_within(const char *s, const char *ns) {
    size_t n = strlen(ns);
    return strncmp(s, ns, n) == 0 && (s[n] == '\0' || s[n] == '.');
}

/* Every namespace named by a table or a property row, or (ns != NULL) only
 * ns and those below it; sorted, distinct.  LIKE is only a prefilter
 * (SQLite's is case-insensitive): the prefix is checked here. */
static int ns_family(sql_catalog *c, const char *ns, strv *out, floe_err *err) {
    floe_sql_rows r = {0};
    int rc;
    if (!ns) {
        const char *p[2] = {c->name, c->name};
        rc = run(c, SQL_NS_ALL, p, 2, &r, NULL, err, "listing namespaces");
    } else {
        floe_buf pat;
        floe_buf_init(&pat);
        for (const char *s = ns; *s; s++) {
            if (*s == '!' || *s == '%' || *s == '_') floe_buf_putc(&pat, '!');
            floe_buf_putc(&pat, (uint8_t)*s);
        }
        floe_buf_puts(&pat, ".%");
        const char *like = floe_buf_cstr(&pat);
        const char *p[6] = {c->name, ns, like, c->name, ns, like};
        rc = run(c, SQL_NS_UNDER, p, 6, &r, NULL, err, "looking up namespace %s", ns);
        floe_buf_free(&pat);
    }
    if (rc) return -1;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < r.nrows; i++) {
        const char *s = floe_sql_cell(&r, i, 0);
        if (s && *s && (!ns || ns_within(s, ns))) strv_push(out, s);
    }
    floe_sql_rows_free(&r);
    strv_sort_unique(out);
    return 0;
}

static int require_ns(sql_catalog *c, const char *ns, floe_err *err) {
    strv fam;
    if (ns_family(c, ns, &fam, err)) return -1;
    int n = fam.n;
    strv_free(&fam);
    return n ? 0 : floe_err_set(err, FLOE_ENOTFOUND, "namespace %s does not exist", ns);
}

static int ns_put(sql_catalog *c, const char *ns, const char *key, const char *value, floe_err *err) {
    const char *p[4] = {c->name, ns, key, value};
    if (run(c, SQL_NS_INSERT, p, 4, NULL, NULL, err, "setting property %s of namespace %s", key, ns) == 0)
        return 0;
    if (err->code == FLOE_EEXISTS && strcmp(key, NS_EXISTS_KEY) == 0)
        floe_err_set(err, FLOE_EEXISTS, "namespace %s already exists", ns);
    return -1;
}

/* ---- namespaces ------------------------------------------------------------------ */

static int sql_create_namespace(floe_catalog *base, const char *ns, const floe_props *props, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    for (int i = 0; props && i < props->n; i++)
        if (check_prop(ns, props->items[i].key, props->items[i].value, err)) return -1;
    if (floe_sqldb_begin(c->db, 0, err)) return -1;
    strv fam;
    if (ns_family(c, ns, &fam, err)) goto fail;
    int exists = fam.n > 0;
    strv_free(&fam);
    if (exists) {
        floe_err_set(err, FLOE_EEXISTS, "namespace %s already exists", ns);
        goto fail;
    }
    for (int i = 0; props && i < props->n; i++)
        if (ns_put(c, ns, props->items[i].key, props->items[i].value, err)) goto fail;
    if (ns_put(c, ns, NS_EXISTS_KEY, "true", err)) goto fail;
    return floe_sqldb_commit(c->db, err);
fail:
    floe_sqldb_rollback(c->db);
    return -1;
}

static int sql_list_namespaces(floe_catalog *base, const char *parent, char ***out, int *n, floe_err *err) {
    sql_catalog *c = cat(base);
    *out = NULL;
    *n = 0;
    if (parent && !*parent) parent = NULL;
    if (parent && check_ns(parent, err)) return -1;
    strv fam;
    if (ns_family(c, parent, &fam, err)) return -1;
    if (parent && fam.n == 0) {
        strv_free(&fam);
        return floe_err_set(err, FLOE_ENOTFOUND, "namespace %s does not exist", parent);
    }
    /* Each namespace below parent, cut to one level more than parent. */
    size_t skip = parent ? strlen(parent) + 1 : 0;
    strv kids = {0};
    for (int i = 0; i < fam.n; i++) {
        const char *s = fam.v[i];
        if (strlen(s) < skip) continue; /* parent itself */
        const char *dot = strchr(s + skip, '.');
        strv_push_n(&kids, s, dot ? (size_t)(dot - s) : strlen(s));
    }
    strv_free(&fam);
    strv_sort_unique(&kids);
    *out = kids.v;
    *n = kids.n;
    return 0;
}

static int sql_load_namespace(floe_catalog *base, const char *ns, floe_props *out, floe_err *err) {
    sql_catalog *c = cat(base);
    floe_props_init(out);
    if (check_ns(ns, err) || require_ns(c, ns, err)) return -1;
    const char *p[2] = {c->name, ns};
    floe_sql_rows r = {0};
    if (run(c, SQL_NS_PROPS, p, 2, &r, NULL, err, "reading the properties of namespace %s", ns)) return -1;
    for (int i = 0; i < r.nrows; i++) {
        const char *k = floe_sql_cell(&r, i, 0), *v = floe_sql_cell(&r, i, 1);
        if (k && strcmp(k, NS_EXISTS_KEY) != 0) floe_props_set(out, k, v ? v : "");
    }
    floe_sql_rows_free(&r);
    /* As Java's loadNamespaceMetadata: the default location when none is set. */
    if (!floe_props_get(out, "location")) {
        floe_buf loc;
        floe_buf_init(&loc);
        ns_location(c, ns, &loc);
        floe_props_set(out, "location", floe_buf_cstr(&loc));
        floe_buf_free(&loc);
    }
    return 0;
}

static int sql_update_namespace(floe_catalog *base, const char *ns, const floe_props *set, char *const *remove,
                                int nremove, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    for (int i = 0; set && i < set->n; i++) {
        if (check_prop(ns, set->items[i].key, set->items[i].value, err)) return -1;
        for (int j = 0; j < nremove; j++)
            if (strcmp(remove[j], set->items[i].key) == 0)
                return floe_err_set(err, FLOE_EINVAL, "namespace %s: property %s is both set and removed", ns,
                                    remove[j]);
    }
    for (int j = 0; j < nremove; j++)
        if (check_prop(ns, remove[j], NULL, err)) return -1;
    if (floe_sqldb_begin(c->db, 0, err)) return -1;
    if (require_ns(c, ns, err)) goto fail;
    for (int i = 0; set && i < set->n; i++) {
        const char *k = set->items[i].key, *v = set->items[i].value;
        const char *p[4] = {v, c->name, ns, k};
        int64_t changed = 0;
        if (run(c, SQL_NS_UPDATE, p, 4, NULL, &changed, err, "setting property %s of namespace %s", k, ns))
            goto fail;
        if (changed == 0 && ns_put(c, ns, k, v, err)) goto fail;
    }
    for (int j = 0; j < nremove; j++) {
        const char *p[3] = {c->name, ns, remove[j]};
        if (run(c, SQL_NS_DELETE, p, 3, NULL, NULL, err, "removing property %s of namespace %s", remove[j], ns))
            goto fail;
    }
    return floe_sqldb_commit(c->db, err);
fail:
    floe_sqldb_rollback(c->db);
    return -1;
}

static int sql_drop_namespace(floe_catalog *base, const char *ns, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_ns(ns, err)) return -1;
    if (floe_sqldb_begin(c->db, 0, err)) return -1;
    strv fam = {0};
    floe_sql_rows r = {0};
    const char *p[2] = {c->name, ns};
    if (ns_family(c, ns, &fam, err)) goto fail;
    if (fam.n == 0) {
        floe_err_set(err, FLOE_ENOTFOUND, "namespace %s does not exist", ns);
        goto fail;
    }
    /* Views as well as tables: a namespace holding either is not empty. */
    if (run(c, SQL_LIST_TABLES[0], p, 2, &r, NULL, err, "listing the tables of namespace %s", ns)) goto fail;
    if (r.nrows > 0) {
        floe_err_set(err, FLOE_ECONFLICT, "namespace %s is not empty: it holds %d table%s (%s.%s, ...)", ns,
                     r.nrows, r.nrows == 1 ? "" : "s", ns, floe_sql_cell(&r, 0, 0));
        goto fail;
    }
    for (int i = 0; i < fam.n; i++)
        if (strcmp(fam.v[i], ns) != 0) {
            floe_err_set(err, FLOE_ECONFLICT, "namespace %s is not empty: it holds namespace %s", ns, fam.v[i]);
            goto fail;
        }
    if (run(c, SQL_NS_DELETE_ALL, p, 2, NULL, NULL, err, "dropping namespace %s", ns)) goto fail;
    strv_free(&fam);
    return floe_sqldb_commit(c->db, err);
fail:
    strv_free(&fam);
    floe_sql_rows_free(&r);
    floe_sqldb_rollback(c->db);
    return -1;
}

/* ---- tables ---------------------------------------------------------------------- */

static int sql_list_tables(floe_catalog *base, const char *ns, char ***out, int *n, floe_err *err) {
    sql_catalog *c = cat(base);
    *out = NULL;
    *n = 0;
    if (check_ns(ns, err) || require_ns(c, ns, err)) return -1;
    const char *p[2] = {c->name, ns};
    floe_sql_rows r = {0};
    if (run(c, SQL_LIST_TABLES[c->typed], p, 2, &r, NULL, err, "listing the tables of namespace %s", ns))
        return -1;
    strv names = {0};
    for (int i = 0; i < r.nrows; i++) strv_push(&names, floe_sql_cell(&r, i, 0));
    floe_sql_rows_free(&r);
    *out = names.v;
    *n = names.n;
    return 0;
}

/* The table's metadata location (*loc, malloc'd); *found = 0 when no row
 * names it.  `any` also finds views (for "is the name taken"). */
static int table_row(sql_catalog *c, const char *ns, const char *name, int any, char **loc, int *found,
                     floe_err *err) {
    const char *p[3] = {c->name, ns, name};
    floe_sql_rows r = {0};
    *loc = NULL;
    *found = 0;
    if (run(c, SQL_GET_TABLE[any ? 0 : c->typed], p, 3, &r, NULL, err, "looking up table %s.%s", ns, name))
        return -1;
    if (r.nrows > 0) {
        const char *l = floe_sql_cell(&r, 0, 0);
        *found = 1;
        if (l) *loc = floe_xstrdup(l);
    }
    floe_sql_rows_free(&r);
    if (*found && !*loc && !any)
        return floe_err_set(err, FLOE_ECORRUPT, "table %s.%s has no metadata location in the catalog", ns, name);
    return 0;
}

/* ---- the metadata kept per table ----------------------------------------------- */

static meta_slot *meta_find(sql_catalog *c, const char *ns, const char *name) {
    for (int i = 0; i < META_CACHE_SLOTS; i++)
        if (c->meta[i].ns && strcmp(c->meta[i].ns, ns) == 0 && strcmp(c->meta[i].name, name) == 0)
            return &c->meta[i];
    return NULL;
}

static void meta_clear(meta_slot *s) {
    free(s->ns);
    free(s->name);
    free(s->loc);
    floe_ice_metadata_free(s->m);
    memset(s, 0, sizeof *s);
}

/* The metadata kept for ns.name if it is that of `loc`, else NULL. */
static const floe_ice_metadata *meta_get(sql_catalog *c, const char *ns, const char *name, const char *loc) {
    meta_slot *s = meta_find(c, ns, name);
    if (!s || strcmp(s->loc, loc) != 0) return NULL;
    s->used = ++c->meta_tick;
    return s->m;
}

/* Keeps `take` as ns.name's metadata at `loc` (replacing what the table
 * had, else the least recently used table's); returns it. */
static const floe_ice_metadata *meta_put(sql_catalog *c, const char *ns, const char *name, const char *loc,
                                         floe_ice_metadata *take) {
    meta_slot *s = meta_find(c, ns, name);
    if (!s) {
        s = &c->meta[0];
        for (int i = 1; i < META_CACHE_SLOTS && s->ns; i++)
            if (!c->meta[i].ns || c->meta[i].used < s->used) s = &c->meta[i];
    }
    meta_clear(s);
    s->ns = floe_xstrdup(ns);
    s->name = floe_xstrdup(name);
    s->loc = floe_xstrdup(loc);
    s->m = take;
    s->used = ++c->meta_tick;
    return take;
}

static void meta_drop(sql_catalog *c, const char *ns, const char *name) {
    meta_slot *s = meta_find(c, ns, name);
    if (s) meta_clear(s);
}

static floe_ice_metadata *read_metadata(sql_catalog *c, const char *loc, floe_err *err) {
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_metadata *m = NULL;
    if (c->io->read(c->io, loc, &b, err) == 0) {
        m = floe_ice_metadata_parse((const char *)b.data, b.len, err);
        if (!m) floe_err_prefix(err, "%s", loc);
    }
    floe_buf_free(&b);
    return m;
}

/* The table's current metadata (*m, borrowed from the kept metadata: valid
 * until the next call on this catalog) and its location.  The file is read
 * only when the row names another location than the one kept. */
static int current_metadata(sql_catalog *c, const char *ns, const char *name, const floe_ice_metadata **m,
                            char **loc, floe_err *err) {
    int found;
    *m = NULL;
    if (table_row(c, ns, name, 0, loc, &found, err)) return -1;
    if (!found) return floe_err_set(err, FLOE_ENOTFOUND, "table %s.%s does not exist", ns, name);
    if ((*m = meta_get(c, ns, name, *loc)) != NULL) return 0;
    floe_ice_metadata *read = read_metadata(c, *loc, err);
    if (read) {
        *m = meta_put(c, ns, name, *loc, read);
        return 0;
    }
    floe_err_prefix(err, "loading table %s.%s", ns, name);
    free(*loc);
    *loc = NULL;
    return -1;
}

/* current_metadata, with *m a copy of the caller's. */
static int load_current(sql_catalog *c, const char *ns, const char *name, floe_ice_metadata **m, char **loc,
                        floe_err *err) {
    const floe_ice_metadata *cur;
    *m = NULL;
    if (current_metadata(c, ns, name, &cur, loc, err)) return -1;
    *m = floe_ice_metadata_copy(cur);
    return 0;
}

static void state_set(floe_table_state *out, floe_ice_metadata *m, char *loc) {
    out->metadata = m;
    out->metadata_location = loc;
    floe_props_init(&out->config);
}

static int sql_load_table(floe_catalog *base, const char *ns, const char *name, floe_table_state *out,
                          floe_err *err) {
    sql_catalog *c = cat(base);
    floe_ice_metadata *m;
    char *loc;
    if (check_table(ns, name, err) || load_current(c, ns, name, &m, &loc, err)) return -1;
    state_set(out, m, loc);
    return 0;
}

/* Writes m as the table's next metadata file after `previous` (NULL for a
 * new table); never replaces an existing file.  *loc is malloc'd. */
static int write_metadata(sql_catalog *c, const floe_ice_metadata *m, const char *previous, char **loc,
                          floe_err *err) {
    floe_buf name, json;
    floe_buf_init(&name);
    floe_buf_init(&json);
    floe_ice_metadata_file_name(m, previous, &name);
    int rc;
    if (name.len > VALUE_MAX_BYTES) {
        rc = floe_err_set(err, FLOE_EINVAL, "metadata location %.60s...: longer than %d bytes",
                          floe_buf_cstr(&name), VALUE_MAX_BYTES);
    } else {
        floe_ice_metadata_to_json(m, &json);
        rc = c->io->write(c->io, floe_buf_cstr(&name), json.data, json.len, 1, err);
    }
    *loc = rc == 0 ? floe_xstrdup((const char *)name.data) : NULL;
    floe_buf_free(&name);
    floe_buf_free(&json);
    return rc;
}

/* Deletes a metadata file this catalog wrote but did not commit. */
static void discard(sql_catalog *c, const char *loc) {
    floe_err ignored = {0};
    c->io->remove(c->io, loc, &ignored);
}

static int sql_create_table(floe_catalog *base, const char *ns, const char *name, const floe_table_create *req,
                            floe_table_state *out, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_table(ns, name, err)) return -1;
    if (!req || !req->schema) return floe_err_set(err, FLOE_EINVAL, "creating table %s.%s: no schema", ns, name);
    if (require_ns(c, ns, err)) return -1;
    char *loc = NULL;
    int found;
    if (table_row(c, ns, name, 1, &loc, &found, err)) return -1;
    free(loc);
    if (found) return floe_err_set(err, FLOE_EEXISTS, "table %s.%s already exists", ns, name);

    floe_buf where;
    floe_buf_init(&where);
    if (req->location) {
        floe_uri_from_path(req->location, &where);
        while (where.len > 0 && where.data[where.len - 1] == '/') where.len--;
    } else {
        ns_location(c, ns, &where);
        floe_buf_printf(&where, "/%s", name);
    }
    floe_ice_metadata *m = floe_ice_metadata_new_table(floe_buf_cstr(&where), req->schema, req->spec, req->order,
                                                      req->props, err);
    floe_buf_free(&where);
    if (!m) return floe_err_prefix(err, "creating table %s.%s", ns, name);
    /* floe's default for the tables it creates (docs/tables.md): a short
     * metadata log, as every commit rewrites it (Java keeps 100). */
    if (!floe_props_get(&m->properties, "write.metadata.previous-versions-max"))
        floe_props_set(&m->properties, "write.metadata.previous-versions-max", NEW_TABLE_PREVIOUS_VERSIONS_MAX);
    if (req->stage) {
        /* Staged: no file, no row; commit_create makes the table. */
        if (out) state_set(out, m, NULL);
        else floe_ice_metadata_free(m);
        return 0;
    }
    if (write_metadata(c, m, NULL, &loc, err)) {
        floe_ice_metadata_free(m);
        return floe_err_prefix(err, "creating table %s.%s", ns, name);
    }
    const char *p[4] = {c->name, ns, name, loc};
    if (run(c, SQL_INSERT_TABLE[c->typed], p, 4, NULL, NULL, err, "creating table %s.%s", ns, name)) {
        discard(c, loc);
        free(loc);
        floe_ice_metadata_free(m);
        if (err->code == FLOE_EEXISTS) floe_err_set(err, FLOE_EEXISTS, "table %s.%s already exists", ns, name);
        return -1;
    }
    if (out) {
        meta_put(c, ns, name, loc, floe_ice_metadata_copy(m));
        state_set(out, m, loc);
    } else {
        meta_put(c, ns, name, loc, m);
        free(loc);
    }
    return 0;
}

/* ---- commits ----------------------------------------------------------------------- */

/* One table's commit between "loaded and checked" and "swapped". */
typedef struct staged {
    const floe_table_commit *tc;
    floe_ice_metadata *m; /* the new metadata (the current one when there are no updates) */
    char *old_loc;
    char *new_loc;        /* NULL when there are no updates: nothing is written */
} staged;

static void unstage(sql_catalog *c, staged *st, int delete_file) {
    if (delete_file && st->new_loc) discard(c, st->new_loc);
    floe_ice_metadata_free(st->m);
    free(st->old_loc);
    free(st->new_loc);
    memset(st, 0, sizeof *st);
}

/* Loads the current metadata, checks the requirements, applies the updates
 * and writes the new metadata file. */
static int stage(sql_catalog *c, const floe_table_commit *tc, staged *st, floe_err *err) {
    memset(st, 0, sizeof *st);
    st->tc = tc;
    const floe_ice_metadata *cur; /* borrowed: the catalog's kept metadata */
    if (check_table(tc->ns, tc->name, err) || current_metadata(c, tc->ns, tc->name, &cur, &st->old_loc, err))
        return -1;
    if (floe_ice_requirements_check(cur, tc->reqs, tc->nreqs, err)) {
        unstage(c, st, 0);
        return floe_err_prefix(err, "committing to %s.%s", tc->ns, tc->name);
    }
    if (tc->nupds == 0) {
        st->m = floe_ice_metadata_copy(cur);
        return 0;
    }
    st->m = floe_ice_updates_apply(cur, tc->upds, tc->nupds, floe_wall_ms(), err);
    int64_t cur_updated = cur->last_updated_ms;
    if (!st->m) {
        unstage(c, st, 0);
        return floe_err_prefix(err, "committing to %s.%s", tc->ns, tc->name);
    }
    /* Java's metadata-log entry: the replaced file with its last-updated-ms. */
    floe_ice_metadata_log_previous(st->m, st->old_loc, cur_updated);
    if (write_metadata(c, st->m, st->old_loc, &st->new_loc, err)) {
        unstage(c, st, 0);
        return floe_err_prefix(err, "committing to %s.%s", tc->ns, tc->name);
    }
    return 0;
}

/* The compare-and-swap of metadata_location (or, without updates, the
 * assertion that it is unchanged). */
static int swap(sql_catalog *c, const staged *st, floe_err *err) {
    const floe_table_commit *tc = st->tc;
    int64_t changed = 0;
    int rc;
    if (st->new_loc) {
        const char *p[6] = {st->new_loc, st->old_loc, c->name, tc->ns, tc->name, st->old_loc};
        rc = run(c, SQL_SWAP[c->typed], p, 6, NULL, &changed, err, "committing to %s.%s", tc->ns, tc->name);
    } else {
        const char *p[5] = {st->old_loc, c->name, tc->ns, tc->name, st->old_loc};
        rc = run(c, SQL_HOLD, p, 5, NULL, &changed, err, "committing to %s.%s", tc->ns, tc->name);
    }
    if (rc) return -1;
    if (changed == 0)
        return floe_err_set(err, FLOE_ECONFLICT,
                            "committing to %s.%s: the table changed meanwhile (its metadata is no longer %s)",
                            tc->ns, tc->name, st->old_loc);
    return 0;
}

/* A commit with assert-create: the end of a create transaction (see
 * create_tx.c).  The updates are applied to nothing and the result is
 * written as the table's first metadata file and inserted as its row, in
 * one step: the INSERT's primary key decides a race between two creates. */
static int commit_create(sql_catalog *c, const floe_table_commit *tc, floe_table_state *out, floe_err *err) {
    if (check_table(tc->ns, tc->name, err) || require_ns(c, tc->ns, err)) return -1;
    char *loc = NULL;
    int found;
    if (table_row(c, tc->ns, tc->name, 1, &loc, &found, err)) return -1;
    free(loc);
    loc = NULL;
    if (found)
        return floe_err_set(err, FLOE_ECONFLICT,
                            "committing to %s.%s: requirement assert-create failed: the table already exists",
                            tc->ns, tc->name);
    if (floe_ice_requirements_check(NULL, tc->reqs, tc->nreqs, err))
        return floe_err_prefix(err, "committing to %s.%s", tc->ns, tc->name);
    floe_ice_metadata *m = floe_ice_updates_apply(NULL, tc->upds, tc->nupds, floe_wall_ms(), err);
    if (!m) return floe_err_prefix(err, "creating table %s.%s", tc->ns, tc->name);
    if (!floe_ice_metadata_schema(m)) {
        floe_ice_metadata_free(m);
        return floe_err_set(err, FLOE_EINVAL, "creating table %s.%s: the updates set no schema", tc->ns, tc->name);
    }
    floe_buf where;
    floe_buf_init(&where);
    if (m->location && *m->location) {
        floe_uri_from_path(m->location, &where);
        while (where.len > 0 && where.data[where.len - 1] == '/') where.len--;
    } else {
        ns_location(c, tc->ns, &where);
        floe_buf_printf(&where, "/%s", tc->name);
    }
    free(m->location);
    m->location = floe_xstrdup(floe_buf_cstr(&where));
    floe_buf_free(&where);
    if (!floe_props_get(&m->properties, "write.metadata.previous-versions-max"))
        floe_props_set(&m->properties, "write.metadata.previous-versions-max", NEW_TABLE_PREVIOUS_VERSIONS_MAX);
    if (write_metadata(c, m, NULL, &loc, err)) {
        floe_ice_metadata_free(m);
        return floe_err_prefix(err, "creating table %s.%s", tc->ns, tc->name);
    }
    const char *p[4] = {c->name, tc->ns, tc->name, loc};
    if (run(c, SQL_INSERT_TABLE[c->typed], p, 4, NULL, NULL, err, "creating table %s.%s", tc->ns, tc->name)) {
        /* After a lost connection the row may be there: the file stays. */
        if (err->code != FLOE_EUNKNOWN) discard(c, loc);
        free(loc);
        floe_ice_metadata_free(m);
        if (err->code == FLOE_EEXISTS)
            floe_err_set(err, FLOE_ECONFLICT,
                         "committing to %s.%s: requirement assert-create failed: the table already exists", tc->ns,
                         tc->name);
        return -1;
    }
    if (out) {
        meta_put(c, tc->ns, tc->name, loc, floe_ice_metadata_copy(m));
        state_set(out, m, loc);
    } else {
        meta_put(c, tc->ns, tc->name, loc, m);
        free(loc);
    }
    return 0;
}

static int sql_commit_table(floe_catalog *base, const floe_table_commit *tc, floe_table_state *out,
                            floe_err *err) {
    sql_catalog *c = cat(base);
    for (int i = 0; i < tc->nreqs; i++)
        if (tc->reqs[i].kind == FLOE_REQ_ASSERT_CREATE) return commit_create(c, tc, out, err);
    staged st;
    if (stage(c, tc, &st, err)) return -1;
    if (st.new_loc && swap(c, &st, err)) {
        /* After a lost connection the swap may have happened: the file stays. */
        unstage(c, &st, err->code != FLOE_EUNKNOWN);
        return -1;
    }
    /* The file just swapped in is the table's metadata now. */
    if (st.new_loc && out) {
        meta_put(c, tc->ns, tc->name, st.new_loc, floe_ice_metadata_copy(st.m));
    } else if (st.new_loc) {
        meta_put(c, tc->ns, tc->name, st.new_loc, st.m);
        st.m = NULL;
    }
    if (out) {
        state_set(out, st.m, st.new_loc ? st.new_loc : st.old_loc);
        if (st.new_loc) free(st.old_loc);
    } else {
        unstage(c, &st, 0);
    }
    return 0;
}

static int cmp_commit(const void *a, const void *b) {
    const floe_table_commit *x = *(const floe_table_commit *const *)a, *y = *(const floe_table_commit *const *)b;
    int r = strcmp(x->ns, y->ns);
    return r ? r : strcmp(x->name, y->name);
}

static int sql_commit_transaction(floe_catalog *base, const floe_table_commit *tcs, int n, floe_err *err) {
    sql_catalog *c = cat(base);
    if (n <= 0) return floe_err_set(err, FLOE_EINVAL, "a transaction needs at least one table");
    for (int i = 0; i < n; i++)
        if (check_table(tcs[i].ns, tcs[i].name, err)) return -1;
    const floe_table_commit **order = floe_xmalloc(sizeof *order * (size_t)n);
    for (int i = 0; i < n; i++) order[i] = &tcs[i];
    qsort(order, (size_t)n, sizeof *order, cmp_commit);
    for (int i = 1; i < n; i++)
        if (cmp_commit(&order[i - 1], &order[i]) == 0) {
            floe_err_set(err, FLOE_EINVAL, "table %s.%s appears twice in one transaction", order[i]->ns,
                         order[i]->name);
            free(order);
            return -1;
        }
    staged *st = floe_xcalloc((size_t)n, sizeof *st);
    int rc = floe_sqldb_begin(c->db, 0, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = stage(c, order[i], &st[i], err);
        if (rc == 0) rc = swap(c, &st[i], err);
    }
    int unknown = 0;
    if (rc == 0) {
        rc = floe_sqldb_commit(c->db, err);
        unknown = rc != 0 && err->code == FLOE_EUNKNOWN;
    } else {
        floe_sqldb_rollback(c->db);
    }
    for (int i = 0; i < n; i++) {
        if (rc == 0 && st[i].new_loc) {
            meta_put(c, order[i]->ns, order[i]->name, st[i].new_loc, st[i].m);
            st[i].m = NULL;
        }
        unstage(c, &st[i], rc != 0 && !unknown);
    }
    free(st);
    free(order);
    return rc;
}

/* ---- drop with purge ------------------------------------------------------------- */

/* Deletes what Java's CatalogUtil.dropTableData deletes: every data and
 * delete file named by a manifest of any snapshot (unless gc.enabled is
 * false), the manifests, the manifest lists, the previous metadata files,
 * statistics files and the metadata file itself.  Deletion goes on past
 * failures; the first is reported. */
typedef struct purge {
    sql_catalog *c;
    int failed;
    floe_err first;
} purge;

static void purge_note(purge *pg, const floe_err *e) {
    if (pg->failed++ == 0) pg->first = *e;
}

/* Reads a whole file; a missing one is not a failure (*ok = 0). */
static void purge_read(purge *pg, const char *uri, floe_buf *b, int *ok) {
    floe_err e = {0};
    floe_buf_init(b);
    *ok = pg->c->io->read(pg->c->io, uri, b, &e) == 0;
    if (!*ok && e.code != FLOE_ENOTFOUND) purge_note(pg, &e);
}

static void purge_remove_all(purge *pg, strv *files) {
    strv_sort_unique(files);
    for (int i = 0; i < files->n; i++) {
        floe_err e = {0};
        if (pg->c->io->remove(pg->c->io, files->v[i], &e) && e.code != FLOE_ENOTFOUND) purge_note(pg, &e);
    }
    strv_free(files);
}

static void purge_stats_paths(const json_t *extra, const char *key, strv *out) {
    const json_t *a = extra ? json_object_get(extra, key) : NULL;
    size_t i;
    const json_t *item;
    json_array_foreach(a, i, item) {
        const char *p = json_string_value(json_object_get(item, "statistics-path"));
        if (p) strv_push(out, p);
    }
}

static int purge_files(sql_catalog *c, const floe_ice_metadata *m, const char *loc, floe_err *err) {
    purge pg = {.c = c};
    strv lists = {0}, manifests = {0}, data = {0}, meta = {0};
    for (int i = 0; i < m->nsnapshots; i++) {
        const floe_ice_snapshot *s = &m->snapshots[i];
        for (int j = 0; j < s->nmanifests; j++) strv_push(&manifests, s->manifests[j]);
        if (!s->manifest_list) continue;
        strv_push(&lists, s->manifest_list);
        floe_buf b;
        int ok;
        purge_read(&pg, s->manifest_list, &b, &ok);
        floe_ice_manifest_file *mf = NULL;
        int nmf = 0;
        floe_err e = {0};
        if (ok && floe_ice_manifest_list_read(b.data, b.len, s->manifest_list, &mf, &nmf, &e)) purge_note(&pg, &e);
        for (int j = 0; j < nmf; j++) {
            strv_push(&manifests, mf[j].manifest_path);
            floe_ice_manifest_file_free(&mf[j]);
        }
        free(mf);
        floe_buf_free(&b);
    }
    strv_sort_unique(&manifests);
    const char *gc = floe_props_get(&m->properties, "gc.enabled");
    /* Data files may be shared with another table when gc is off. */
    if (!gc || strcasecmp(gc, "false") != 0) {
        for (int i = 0; i < manifests.n; i++) {
            floe_buf b;
            int ok;
            purge_read(&pg, manifests.v[i], &b, &ok);
            floe_ice_manifest_entry *ents = NULL;
            int nents = 0;
            floe_err e = {0};
            if (ok && floe_ice_manifest_read(b.data, b.len, manifests.v[i], NULL, &ents, &nents, &e))
                purge_note(&pg, &e);
            for (int j = 0; j < nents; j++) {
                strv_push(&data, ents[j].file.file_path);
                floe_ice_manifest_entry_free(&ents[j]);
            }
            free(ents);
            floe_buf_free(&b);
        }
    }
    for (int i = 0; i < m->nmetadata_log; i++) strv_push(&meta, m->metadata_log[i].file);
    purge_stats_paths(m->extra, "statistics", &meta);
    purge_stats_paths(m->extra, "partition-statistics", &meta);
    purge_remove_all(&pg, &data);
    purge_remove_all(&pg, &manifests);
    purge_remove_all(&pg, &lists);
    purge_remove_all(&pg, &meta);
    /* The current metadata file last: until it goes, the table's files can
     * still be found from it. */
    strv_push(&meta, loc);
    purge_remove_all(&pg, &meta);
    if (!pg.failed) return 0;
    *err = pg.first;
    err->code = FLOE_EIO;
    return floe_err_prefix(err, "the table was dropped but %d of its files could not be deleted; the first", pg.failed);
}

static int sql_drop_table(floe_catalog *base, const char *ns, const char *name, int purge_data, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_table(ns, name, err)) return -1;
    floe_ice_metadata *m = NULL;
    char *loc = NULL;
    int64_t dropped = 0;
    if (purge_data) {
        /* Purging from stale metadata would leave the newest files behind:
         * the row goes only while it still points at what was read. */
        if (load_current(c, ns, name, &m, &loc, err))
            return err->code == FLOE_ENOTFOUND ? -1 : floe_err_prefix(err, "dropping table %s.%s", ns, name);
        const char *p[4] = {c->name, ns, name, loc};
        if (run(c, SQL_DROP_AT[c->typed], p, 4, NULL, &dropped, err, "dropping table %s.%s", ns, name)) goto fail;
        if (dropped == 0) {
            floe_err_set(err, FLOE_ECONFLICT, "dropping table %s.%s: the table changed meanwhile; retry", ns, name);
            goto fail;
        }
        meta_drop(c, ns, name);
        int rc = purge_files(c, m, loc, err);
        if (rc) floe_err_prefix(err, "dropping table %s.%s", ns, name);
        floe_ice_metadata_free(m);
        free(loc);
        return rc;
    }
    meta_drop(c, ns, name);
    const char *p[3] = {c->name, ns, name};
    if (run(c, SQL_DROP[c->typed], p, 3, NULL, &dropped, err, "dropping table %s.%s", ns, name)) return -1;
    if (dropped == 0) return floe_err_set(err, FLOE_ENOTFOUND, "table %s.%s does not exist", ns, name);
    return 0;
fail:
    floe_ice_metadata_free(m);
    free(loc);
    return -1;
}

static int sql_rename_table(floe_catalog *base, const char *ns, const char *name, const char *to_ns,
                            const char *to_name, floe_err *err) {
    sql_catalog *c = cat(base);
    if (check_table(ns, name, err) || check_table(to_ns, to_name, err)) return -1;
    if (floe_sqldb_begin(c->db, 0, err)) return -1;
    char *loc = NULL;
    int found;
    int64_t changed = 0;
    if (table_row(c, ns, name, 0, &loc, &found, err)) goto fail;
    free(loc);
    if (!found) {
        floe_err_set(err, FLOE_ENOTFOUND, "table %s.%s does not exist", ns, name);
        goto fail;
    }
    if (strcmp(ns, to_ns) == 0 && strcmp(name, to_name) == 0) {
        floe_sqldb_rollback(c->db);
        return 0;
    }
    if (require_ns(c, to_ns, err) || table_row(c, to_ns, to_name, 1, &loc, &found, err)) goto fail;
    free(loc);
    if (found) {
        floe_err_set(err, FLOE_EEXISTS, "cannot rename %s.%s: table %s.%s already exists", ns, name, to_ns,
                     to_name);
        goto fail;
    }
    const char *p[5] = {to_ns, to_name, c->name, ns, name};
    if (run(c, SQL_RENAME[c->typed], p, 5, NULL, &changed, err, "renaming table %s.%s to %s.%s", ns, name, to_ns,
            to_name)) {
        if (err->code == FLOE_EEXISTS)
            floe_err_set(err, FLOE_EEXISTS, "cannot rename %s.%s: table %s.%s already exists", ns, name, to_ns,
                         to_name);
        goto fail;
    }
    if (changed == 0) {
        floe_err_set(err, FLOE_ENOTFOUND, "table %s.%s does not exist", ns, name);
        goto fail;
    }
    return floe_sqldb_commit(c->db, err);
fail:
    floe_sqldb_rollback(c->db);
    return -1;
}

/* ---- the catalog ---------------------------------------------------------------------- */

static floe_fileio *sql_fileio(floe_catalog *base) { return cat(base)->io; }

static void sql_free(floe_catalog *base) {
    sql_catalog *c = cat(base);
    for (int i = 0; i < META_CACHE_SLOTS; i++) meta_clear(&c->meta[i]);
    floe_sqldb_close(c->db);
    if (c->io) c->io->free(c->io);
    free(c->name);
    free(c->warehouse);
    free(c);
}

static const floe_catalog sql_vtable = {
    .kind = "sql",
    .create_namespace = sql_create_namespace,
    .list_namespaces = sql_list_namespaces,
    .load_namespace = sql_load_namespace,
    .update_namespace = sql_update_namespace,
    .drop_namespace = sql_drop_namespace,
    .list_tables = sql_list_tables,
    .create_table = sql_create_table,
    .load_table = sql_load_table,
    .commit_table = sql_commit_table,
    .commit_transaction = sql_commit_transaction,
    .drop_table = sql_drop_table,
    .rename_table = sql_rename_table,
    .fileio = sql_fileio,
    .free = sql_free,
};

enum { NEED_TABLES = 1, NEED_TYPE = 2, NEED_NS = 4 };

/* What the database lacks; sets c->typed from what it has. */
static int schema_needs(sql_catalog *c, int want_type, int *needs, floe_err *err) {
    char **cols;
    int n;
    *needs = 0;
    if (floe_sqldb_columns(c->db, "iceberg_tables", &cols, &n, err)) return -1;
    c->typed = 0;
    for (int i = 0; i < n; i++)
        if (strcasecmp(cols[i], "iceberg_type") == 0) c->typed = 1;
    floe_sql_strv_free(cols, n);
    if (n == 0) *needs |= NEED_TABLES | NEED_TYPE;
    else if (!c->typed && want_type) *needs |= NEED_TYPE;
    if (floe_sqldb_columns(c->db, "iceberg_namespace_properties", &cols, &n, err)) return -1;
    floe_sql_strv_free(cols, n);
    if (n == 0) *needs |= NEED_NS;
    return 0;
}

static int init_schema(sql_catalog *c, const floe_props *props, floe_err *err) {
    const char *version = props ? floe_props_get(props, "jdbc.schema-version") : NULL;
    int want_type = version && strcasecmp(version, "V1") == 0;
    int needs;
    if (schema_needs(c, want_type, &needs, err)) return -1;
    if (!needs) return 0;
    /* Exclusive, then look again: another process may be doing the same. */
    if (floe_sqldb_begin(c->db, 1, err)) return -1;
    if (schema_needs(c, want_type, &needs, err)) goto fail;
    if ((needs & NEED_TABLES) &&
        run(c, SQL_CREATE_TABLES, NULL, 0, NULL, NULL, err, "creating the catalog table iceberg_tables"))
        goto fail;
    if ((needs & NEED_TYPE) &&
        run(c, SQL_ADD_TYPE, NULL, 0, NULL, NULL, err, "adding column iceberg_type to iceberg_tables"))
        goto fail;
    if ((needs & NEED_NS) && run(c, SQL_CREATE_NS, NULL, 0, NULL, NULL, err,
                                 "creating the catalog table iceberg_namespace_properties"))
        goto fail;
    if (floe_sqldb_commit(c->db, err)) return -1;
    if (needs & NEED_TYPE) c->typed = 1;
    return 0;
fail:
    floe_sqldb_rollback(c->db);
    return -1;
}

floe_catalog *floe_catalog_sql_open(const char *uri, const char *warehouse, const floe_props *props,
                                    floe_err *err) {
    const char *name = props ? floe_props_get(props, "catalog-name") : NULL;
    if (!name) name = "floe";
    if (!*name || strlen(name) > NAME_MAX_BYTES) {
        floe_err_set(err, FLOE_EINVAL, "catalog-name must be 1 to %d bytes", NAME_MAX_BYTES);
        return NULL;
    }
    floe_sqldb *db = floe_sqldb_open(uri, err);
    if (!db) return NULL;
    sql_catalog *c = floe_xcalloc(1, sizeof *c);
    c->base = sql_vtable;
    c->db = db;
    c->name = floe_xstrdup(name);
    floe_buf w;
    floe_buf_init(&w);
    floe_uri_from_path(warehouse ? warehouse : "./warehouse", &w);
    while (w.len > 0 && w.data[w.len - 1] == '/') w.len--;
    c->warehouse = floe_xstrdup(floe_buf_cstr(&w));
    floe_buf_free(&w);
    c->io = floe_fileio_for(c->warehouse, props, err);
    if (!c->io || init_schema(c, props, err)) {
        sql_free(&c->base);
        return NULL;
    }
    return &c->base;
}
