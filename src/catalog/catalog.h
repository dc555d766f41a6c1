/*
 * catalog.h — the catalog interface: namespaces and tables, and commits as
 * an atomic swap of a table's current metadata guarded by requirements
 * (metadata.h's commit model).  Implementations: the SQL catalog
 * (catalog/sql.c: SQLite by default, PostgreSQL) with the tables and columns
 * of Iceberg's JDBC catalog, and the REST client (catalog/rest.c, later).
 *
 * Namespaces are dotted strings ("a.b"); a table is (namespace, name).
 * Errors: FLOE_ENOTFOUND (no such namespace/table), FLOE_EEXISTS,
 * FLOE_ECONFLICT (a requirement failed or the swap lost a race: reload,
 * rebase, retry), FLOE_EUNKNOWN (the commit may or may not have applied:
 * reload and look for the commit's marker before retrying).
 */
#ifndef FLOE_CATALOG_CATALOG_H
#define FLOE_CATALOG_CATALOG_H

#include "iceberg/metadata.h"
#include "io/fileio.h"
#include "util/props.h"

typedef struct floe_table_state {
    floe_ice_metadata *metadata;
    char *metadata_location;
    floe_props config;      /* per-table IO config from the catalog (vended credentials) */
} floe_table_state;

void floe_table_state_free(floe_table_state *s);

typedef struct floe_table_create {
    const floe_ice_schema *schema;
    const floe_ice_partition_spec *spec;   /* NULL = unpartitioned */
    const floe_ice_sort_order *order;      /* NULL = unsorted */
    const char *location;                  /* NULL = <warehouse>/<ns path>/<name> */
    const floe_props *props;               /* NULL = none */
    /* Stage only (the REST catalog's stage-create): *out gets the metadata
     * the table would start with and a NULL metadata_location; nothing is
     * written or registered, so the table does not exist yet.  It is
     * created by a commit whose requirements hold assert-create and whose
     * updates build it (floe_catalog_commit_create), the end of a create
     * transaction. */
    int stage;
} floe_table_create;

/* One table's part of a multi-table commit. */
typedef struct floe_table_commit {
    const char *ns, *name;
    const floe_ice_requirement *reqs;
    int nreqs;
    const floe_ice_update *upds;
    int nupds;
} floe_table_commit;

typedef struct floe_catalog floe_catalog;
struct floe_catalog {
    const char *kind; /* "sql", "rest" */
    int (*create_namespace)(floe_catalog *c, const char *ns, const floe_props *props, floe_err *err);
    /* Child namespaces of parent (NULL = top level); *out is a malloc'd
     * array of malloc'd strings. */
    int (*list_namespaces)(floe_catalog *c, const char *parent, char ***out, int *n, floe_err *err);
    int (*load_namespace)(floe_catalog *c, const char *ns, floe_props *out, floe_err *err);
    int (*update_namespace)(floe_catalog *c, const char *ns, const floe_props *set, char *const *remove,
                            int nremove, floe_err *err);
    /* FLOE_ECONFLICT if it still holds tables. */
    int (*drop_namespace)(floe_catalog *c, const char *ns, floe_err *err);
    int (*list_tables)(floe_catalog *c, const char *ns, char ***out, int *n, floe_err *err);
    int (*create_table)(floe_catalog *c, const char *ns, const char *name, const floe_table_create *req,
                        floe_table_state *out, floe_err *err);
    int (*load_table)(floe_catalog *c, const char *ns, const char *name, floe_table_state *out, floe_err *err);
    /* On success *out (if not NULL) is the committed state. */
    int (*commit_table)(floe_catalog *c, const floe_table_commit *tc, floe_table_state *out, floe_err *err);
    /* All-or-nothing across tables; NULL when the catalog cannot. */
    int (*commit_transaction)(floe_catalog *c, const floe_table_commit *tcs, int n, floe_err *err);
    int (*drop_table)(floe_catalog *c, const char *ns, const char *name, int purge, floe_err *err);
    int (*rename_table)(floe_catalog *c, const char *ns, const char *name, const char *to_ns, const char *to_name,
                        floe_err *err);
    floe_fileio *(*fileio)(floe_catalog *c);
    void (*free)(floe_catalog *c);
};

/* Opens a catalog from a URI: "sqlite:PATH" (default
 * "sqlite:./warehouse/catalog.db"), "postgresql://..." / "postgres://...",
 * or "http(s)://..." (REST).  `warehouse` is the root for new tables'
 * locations (default ./warehouse). */
floe_catalog *floe_catalog_open(const char *uri, const char *warehouse, const floe_props *props, floe_err *err);

/* The updates that build `m` from nothing, as Java's create transaction
 * sends them (RESTSessionCatalog createChanges): assign-uuid,
 * upgrade-format-version, add-schema (current schema), set-current-schema
 * -1, add-spec (default spec), set-default-spec -1, add-sort-order
 * (default order), set-default-sort-order -1, set-location and
 * set-properties (when there are any).  *upds is malloc'd, each element
 * owned (floe_ice_update_free, then free). */
void floe_table_create_updates(const floe_ice_metadata *m, floe_ice_update **upds, int *nupds);

/* Ends a create transaction: commits `staged` (from create_table with
 * .stage set) with requirement assert-create and the updates above, then
 * `more` (e.g. a first snapshot).  The table appears only now; FLOE_ECONFLICT
 * when it already exists.  *out (if not NULL) is the committed state. */
int floe_catalog_commit_create(floe_catalog *c, const char *ns, const char *name, const floe_ice_metadata *staged,
                               const floe_ice_update *more, int nmore, floe_table_state *out, floe_err *err);

static inline void floe_catalog_free(floe_catalog *c) {
    if (c) c->free(c);
}

#endif
