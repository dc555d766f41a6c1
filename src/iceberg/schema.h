/*
 * schema.h — internal entry points of the Iceberg schema module for other
 * Iceberg modules that hold an already-parsed JSON document (table
 * metadata lists its schemas inside one).
 */
#ifndef FLOE_ICEBERG_SCHEMA_H
#define FLOE_ICEBERG_SCHEMA_H

#include <jansson.h>

#include "floe/iceberg.h"
#include "util/err.h"

/* Builds and validates a schema from a parsed JSON value (see
 * floe_ice_schema_parse for the accepted forms). */
floe_ice_schema *floe_ice_schema_from_json(const json_t *j, floe_err *err);

#endif
