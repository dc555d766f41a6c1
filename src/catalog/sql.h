/*
 * sql.h — the SQL catalog's constructor, for floe_catalog_open
 * (catalog.c).  Everything else about it is the floe_catalog interface.
 */
#ifndef FLOE_CATALOG_SQL_H
#define FLOE_CATALOG_SQL_H

#include "catalog/catalog.h"

/* `uri` is "sqlite:PATH" or "postgresql://..." (sql_db.h); `warehouse` the
 * root of new tables' locations (a path or URI; NULL = ./warehouse).
 * Properties: "catalog-name" (the catalog_name column, default "floe"),
 * "jdbc.schema-version" ("V1" adds the iceberg_type column to a catalog
 * created without it, as Java's JdbcCatalog does), and the file IO's
 * settings. */
floe_catalog *floe_catalog_sql_open(const char *uri, const char *warehouse, const floe_props *props,
                                    floe_err *err);

#endif
