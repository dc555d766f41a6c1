/*
 * autocreate.c — creating a table for records that arrive before it exists
 * (floe ingest, and floe run's auto-create): the schema is inferred from
 * the first records (infer.c), the partition spec parsed from the user's
 * terms against it, the namespace created when missing.  When another
 * writer creates the same table first, that table is loaded instead and
 * must have the spec asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "table/ingest.h"
#include "iceberg/metadata_internal.h"

int floe_table_check_spec(const floe_table *t, const char *terms, floe_err *err) {
    if (!terms) return 0;
    const floe_ice_metadata *m = floe_table_meta(t);
    const floe_ice_partition_spec *have = floe_ice_metadata_spec(m);
    floe_ice_partition_spec want;
    memset(&want, 0, sizeof want);
    if (floe_ice_spec_parse_terms(terms, floe_ice_metadata_schema(m), 0, m->last_partition_id, &want, err))
        return floe_err_prefix(err, "partition spec of %s.%s", t->ns, t->name);
    int same = floe_ice_spec_same(have, &want);
    floe_ice_spec_free(&want);
    if (same) return 0;
    floe_buf b;
    floe_buf_init(&b);
    floe_ice_spec_to_json(have, &b);
    floe_err_set(err, FLOE_EINVAL, "table %s.%s exists with partition spec %s, not '%s'", t->ns, t->name,
                 floe_buf_cstr(&b), terms);
    floe_buf_free(&b);
    return -1;
}

floe_table *floe_table_create_inferred(floe_catalog *c, const char *ns, const char *name,
                                       const floe_table_autocreate *o, int *created, floe_err *err) {
    *created = 0;
    floe_ice_schema *schema = floe_infer_schema(o->lines, o->lens, o->n, err);
    if (!schema) {
        floe_err_prefix(err, "creating table %s.%s", ns, name);
        return NULL;
    }
    const char *terms = o->partition_by && *o->partition_by ? o->partition_by : NULL;
    floe_ice_partition_spec spec;
    memset(&spec, 0, sizeof spec);
    floe_table *t = NULL;
    if (terms && floe_ice_spec_parse_terms(terms, schema, 0, FLOE_ICE_PARTITION_FIELD_ID_START - 1, &spec, err)) {
        floe_err_prefix(err, "partition spec '%s' of %s.%s", terms, ns, name);
        goto done;
    }
    if (o->identifier_columns && o->nidentifier > 0) {
        int32_t *ids = floe_xcalloc((size_t)o->nidentifier, sizeof *ids);
        for (int i = 0; i < o->nidentifier; i++) {
            floe_ice_field *f = (floe_ice_field *)floe_ice_schema_find(schema, o->identifier_columns[i], 0);
            if (!f) {
                free(ids);
                floe_err_set(err, FLOE_EINVAL, "id column '%s' of %s.%s is not among the fields of its records",
                             o->identifier_columns[i], ns, name);
                goto done;
            }
            /* The spec wants identifier fields required. */
            f->required = 1;
            ids[i] = f->id;
        }
        floe_ice_schema_set_identifiers(schema, ids, o->nidentifier);
        free(ids);
    }
    if (c->create_namespace(c, ns, NULL, err) && err->code != FLOE_EEXISTS) goto done;
    floe_table_create req = {schema, terms ? &spec : NULL, NULL, NULL, o->props, 0};
    floe_table_state st;
    memset(&st, 0, sizeof st);
    if (c->create_table(c, ns, name, &req, &st, err) == 0) {
        t = floe_table_wrap(c, ns, name, &st);
        *created = 1;
    } else if (err->code == FLOE_EEXISTS) {
        t = floe_table_load(c, ns, name, err);
        if (t && floe_table_check_spec(t, terms, err)) {
            floe_table_free(t);
            t = NULL;
        }
    }
done:
    floe_ice_spec_free(&spec);
    floe_ice_schema_free(schema);
    return t;
}
