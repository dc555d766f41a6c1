/*
 * table.h — a table handle for table operations (append, ingest, scan,
 * the façade): the catalog it lives in, its identifier, the state last
 * loaded or committed (metadata + its location), and the file IO for its
 * files; plus reading a snapshot's manifest list and a manifest's entries,
 * which every operation on the table's contents needs.
 *
 * A handle sees the table as of its last load or commit; floe_table_reload
 * refreshes it (after a conflict).  One handle is not thread-safe.
 *
 * A handle keeps the manifest lists it read lately, by path (table.c): an
 * append reads its parent's list, and the bounded history's expiry reads
 * the lists of every snapshot it keeps, which earlier appends read.
 */
#ifndef FLOE_TABLE_TABLE_H
#define FLOE_TABLE_TABLE_H

#include "catalog/catalog.h"
#include "floe/table.h"
#include "iceberg/manifest.h"

/* The public catalog handle (floe/table.h) is this. */
struct floe_catalog_handle {
    floe_catalog *catalog;
};

typedef struct floe_table_lists floe_table_lists;

typedef struct floe_table {
    floe_catalog *catalog;    /* borrowed */
    char *ns, *name;
    floe_table_state state;
    floe_fileio *io;          /* borrowed from the catalog */
    floe_table_lists *lists;  /* manifest lists read lately (table.c); NULL until one is */
} floe_table;

/* Splits "a.b.name" into namespace "a.b" and name "name" (malloc'd);
 * FLOE_EINVAL when either part is empty. */
int floe_table_ident_split(const char *ident, char **ns, char **name, floe_err *err);

/* Loads ns.name (FLOE_ENOTFOUND when it does not exist). */
floe_table *floe_table_load(floe_catalog *c, const char *ns, const char *name, floe_err *err);
/* Loads the table "NAMESPACE.NAME" names: floe_table_ident_split, then
 * floe_table_load. */
floe_table *floe_table_load_ident(floe_catalog *c, const char *ident, floe_err *err);
/* Wraps a state the catalog just returned (create_table), taking it. */
floe_table *floe_table_wrap(floe_catalog *c, const char *ns, const char *name, floe_table_state *take);
int floe_table_reload(floe_table *t, floe_err *err);
/* Replaces the handle's state with `take` (a commit's result). */
void floe_table_set_state(floe_table *t, floe_table_state *take);
void floe_table_free(floe_table *t);

static inline const floe_ice_metadata *floe_table_meta(const floe_table *t) { return t->state.metadata; }

/* The manifest files of snapshot s (read from its manifest list, or copied
 * from the handle's kept lists when it read that path before).  Free with
 * floe_table_manifests_free.  FLOE_EUNSUPPORTED for a v1 snapshot that
 * embeds manifest paths instead of a list. */
int floe_table_manifests(floe_table *t, const floe_ice_snapshot *s, floe_ice_manifest_file **out, int *n,
                         floe_err *err);
void floe_table_manifests_free(floe_ice_manifest_file *m, int n);
/* The entries of manifest mf, with snapshot ids and sequence numbers
 * inherited from it.  Free with floe_table_entries_free. */
int floe_table_entries(floe_table *t, const floe_ice_manifest_file *mf, floe_ice_manifest_entry **out, int *n,
                       floe_err *err);
void floe_table_entries_free(floe_ice_manifest_entry *e, int n);

#endif
