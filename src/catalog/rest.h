/*
 * rest.h — the Iceberg REST catalog client: the floe_catalog interface
 * (catalog.h) over HTTP with libcurl, as the REST catalog's OpenAPI
 * description says.  See rest.c for the settings it reads and how it
 * retries, authenticates and reports errors.
 */
#ifndef FLOE_CATALOG_REST_H
#define FLOE_CATALOG_REST_H

#include "catalog/catalog.h"

/* Opens the catalog at `uri` ("http(s)://host[:port][/path]"): asks the
 * server for its configuration (GET /v1/config, with ?warehouse= when
 * `warehouse`, or props' "warehouse", is set), after getting an OAuth2
 * token when a credential is configured.  `props` are the client's
 * properties in Iceberg's spelling (token, credential, scope,
 * oauth2-server-uri, prefix, rest.*, header.*, s3.*, ...).  The catalog may
 * be used from one thread at a time; its file IO from any thread. */
floe_catalog *floe_catalog_rest_open(const char *uri, const char *warehouse, const floe_props *props,
                                     floe_err *err);

/* HEAD on the table: 1 if it exists, 0 if not, -1 with err on failure.
 * `c` must be a REST catalog (kind "rest"). */
int floe_catalog_rest_table_exists(floe_catalog *c, const char *ns, const char *name, floe_err *err);

#endif
