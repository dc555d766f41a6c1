/*
 * catalog.c — floe_catalog_open: the catalog implementation a URI names
 * (see catalog.h): the SQL catalog for sqlite:/postgresql:, the REST client
 * (rest.c) for http(s): with the properties in Iceberg's spelling (uri,
 * warehouse, credential, token, scope, oauth2-server-uri, prefix, rest.*,
 * s3.*), as Kafka Connect's iceberg.catalog.* keys give them; and the table
 * state every implementation returns.
 */
#include "catalog/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/rest.h"
#include "catalog/sql.h"

#define DEFAULT_CATALOG_URI "sqlite:./warehouse/catalog.db"

void floe_table_state_free(floe_table_state *s) {
    if (!s) return;
    floe_ice_metadata_free(s->metadata);
    free(s->metadata_location);
    floe_props_free(&s->config);
    s->metadata = NULL;
    s->metadata_location = NULL;
}

floe_catalog *floe_catalog_open(const char *uri, const char *warehouse, const floe_props *props, floe_err *err) {
    if (!uri || !*uri) uri = DEFAULT_CATALOG_URI;
    if (strncmp(uri, "sqlite:", 7) == 0 || strncmp(uri, "postgresql://", 13) == 0 ||
        strncmp(uri, "postgres://", 11) == 0)
        return floe_catalog_sql_open(uri, warehouse, props, err);
    if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0)
        return floe_catalog_rest_open(uri, warehouse, props, err);
    floe_err_set(err, FLOE_EINVAL,
                 "%s: unknown catalog URI (expected sqlite:PATH, postgresql://... or http(s)://...)", uri);
    return NULL;
}
