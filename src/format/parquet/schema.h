/*
 * schema.h — conversion between the schema tree (floe_pq_schema, public) and
 * the footer's flat, depth-first list of SchemaElements.
 */
#ifndef FLOE_PARQUET_SCHEMA_H
#define FLOE_PARQUET_SCHEMA_H

#include "format/parquet/meta.h"

/* Builds a tree from a footer's elements, validating counts, types and
 * nesting depth; errors name the element. */
int floe_pq_schema_from_elements(const floe_pq_schema_element *els, int n, floe_pq_schema **out,
                                 floe_err *err);
/* Flattens a finished schema into elements allocated in *arena (names point
 * into the schema's nodes). */
int floe_pq_schema_to_elements(const floe_pq_schema *s, floe_arena *arena, floe_pq_schema_element **out,
                               int *n);
/* Dotted path of a node below the root ("a.list.element"), into buf. */
void floe_pq_node_path(const floe_pq_node *n, char *buf, size_t cap);

#endif
