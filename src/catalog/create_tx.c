/*
 * create_tx.c — the end of a create transaction over any catalog (see
 * catalog.h): create_table with .stage set returns the metadata a new
 * table would start with and registers nothing; the table is then created
 * by one commit_table whose requirements are [assert-create] and whose
 * updates rebuild that metadata from nothing, followed by whatever the
 * transaction did on top (a first snapshot, more properties).  The
 * updates are the ones Java's RESTSessionCatalog sends (createChanges), so
 * a REST server sees what it sees from Java, and the SQL catalog applies
 * them to an empty table as a REST server does.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "util/mem.h"

void floe_table_create_updates(const floe_ice_metadata *m, floe_ice_update **upds, int *nupds) {
    floe_ice_update *u = floe_xcalloc(10, sizeof *u);
    int n = 0; /* zeroed members are empty (props, spec, order) */

    u[n].kind = FLOE_UPD_ASSIGN_UUID;
    memcpy(u[n].uuid, m->table_uuid, sizeof u[n].uuid);
    u[n].uuid[sizeof u[n].uuid - 1] = '\0';
    n++;
    u[n].kind = FLOE_UPD_UPGRADE_FORMAT_VERSION;
    u[n++].format_version = m->format_version;

    /* The schema by a JSON round trip: the public way to copy one. */
    const floe_ice_schema *s = floe_ice_metadata_schema(m);
    if (s) {
        floe_buf b;
        floe_buf_init(&b);
        floe_ice_schema_to_json(s, &b);
        floe_err ignored = {0};
        u[n].schema = floe_ice_schema_parse((const char *)b.data, b.len, &ignored);
        floe_buf_free(&b);
        if (u[n].schema) {
            u[n].kind = FLOE_UPD_ADD_SCHEMA;
            u[n++].last_column_id = m->last_column_id;
            u[n].kind = FLOE_UPD_SET_CURRENT_SCHEMA;
            u[n++].id = -1;
        }
    }

    /* The default spec, or the unpartitioned one; likewise the order. */
    u[n].kind = FLOE_UPD_ADD_SPEC;
    const floe_ice_partition_spec *spec = floe_ice_metadata_spec(m);
    if (spec && spec->nfields > 0) floe_ice_spec_copy(&u[n].spec, spec);
    n++;
    u[n].kind = FLOE_UPD_SET_DEFAULT_SPEC;
    u[n++].id = -1;
    u[n].kind = FLOE_UPD_ADD_SORT_ORDER;
    for (int i = 0; i < m->nsort_orders; i++)
        if (m->sort_orders[i].order_id == m->default_sort_order_id && m->sort_orders[i].nfields > 0)
            floe_ice_sort_order_copy(&u[n].order, &m->sort_orders[i]);
    n++;
    u[n].kind = FLOE_UPD_SET_DEFAULT_SORT_ORDER;
    u[n++].id = -1;

    if (m->location && *m->location) {
        u[n].kind = FLOE_UPD_SET_LOCATION;
        u[n++].location = floe_xstrdup(m->location);
    }
    if (m->properties.n > 0) {
        u[n].kind = FLOE_UPD_SET_PROPERTIES;
        floe_props_copy(&u[n].props, &m->properties);
        n++;
    }
    *upds = u;
    *nupds = n;
}

int floe_catalog_commit_create(floe_catalog *c, const char *ns, const char *name, const floe_ice_metadata *staged,
                               const floe_ice_update *more, int nmore, floe_table_state *out, floe_err *err) {
    if (!staged) return floe_err_set(err, FLOE_EINVAL, "creating table %s.%s: no staged metadata", ns, name);
    floe_ice_update *base;
    int nbase;
    floe_table_create_updates(staged, &base, &nbase);
    floe_ice_update *all = floe_xcalloc((size_t)(nbase + (nmore > 0 ? nmore : 0)) + 1, sizeof *all);
    memcpy(all, base, sizeof *all * (size_t)nbase);
    if (nmore > 0) memcpy(all + nbase, more, sizeof *all * (size_t)nmore); /* shallow: owned by the caller */
    floe_ice_requirement create = {.kind = FLOE_REQ_ASSERT_CREATE};
    floe_table_commit tc = {ns, name, &create, 1, all, nbase + (nmore > 0 ? nmore : 0)};
    int rc = c->commit_table(c, &tc, out, err);
    free(all);
    for (int i = 0; i < nbase; i++) floe_ice_update_free(&base[i]);
    free(base);
    return rc;
}
