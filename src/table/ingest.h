/*
 * ingest.h — batch ingest of NDJSON into a table (floe_ingest, declared in
 * floe/table.h and implemented in ingest.c) and the schema inference it
 * uses for tables it creates (infer.c).
 */
#ifndef FLOE_TABLE_INGEST_H
#define FLOE_TABLE_INGEST_H

#include "floe/iceberg.h"
#include "floe/table.h"
#include "table/table.h"

/* Records ingest looks at to infer a new table's schema. */
#define FLOE_INFER_MAX_RECORDS 1000

/* A schema for NDJSON records lines[0..n): every field optional, in order
 * of first appearance; JSON true/false -> boolean, integers -> long, other
 * numbers -> double, strings -> string, except that when every string seen
 * for a field is a date ("2017-11-16") it is a date, a timestamp without
 * zone a timestamp, with a zone ("...Z", "...+01:00") a timestamptz (dates
 * mixed with timestamps without zone give timestamp); objects -> struct,
 * arrays -> list of the merged element type (elements optional).  Types
 * that disagree widen: long with double gives double, anything else gives
 * string.  A field only ever null is a string, a list only ever empty a
 * list of strings; objects that never have a field are left out.  Lines that are not JSON objects
 * are skipped (writing them reports the error).  Field ids are assigned in
 * pre-order from 1.  FLOE_EINVAL when no field is found. */
floe_ice_schema *floe_infer_schema(const char *const *lines, const size_t *lens, int n, floe_err *err);
/* The type inference gives one JSON value (a column added for a field the
 * table lacks), every field optional, ids taken from *next_id (advanced);
 * NULL when the value says nothing of its type: null, [], {}, or made only
 * of those (their fields and elements left out), as the Kafka Connect sink
 * leaves such fields out. */
floe_ice_type *floe_infer_value_type(const struct json_t *v, int32_t *next_id);

/* What a table created for its first records gets. */
typedef struct floe_table_autocreate {
    const char *const *lines;        /* the first records (NDJSON objects) */
    const size_t *lens;
    int n;
    const char *partition_by;        /* spec terms; NULL or "" = unpartitioned */
    const char *const *identifier_columns; /* made required and the identifier fields */
    int nidentifier;
    const floe_props *props;         /* table properties; may be NULL */
} floe_table_autocreate;

/* Creates ns.name (and its namespace when missing) with a schema inferred
 * from o's records; when the table exists already (created meanwhile by
 * another writer) loads it instead, which must have the asked spec.
 * *created tells which happened. */
floe_table *floe_table_create_inferred(floe_catalog *c, const char *ns, const char *name,
                                       const floe_table_autocreate *o, int *created, floe_err *err);
/* FLOE_EINVAL unless t's default spec equals the one `terms` describe
 * (NULL terms: no check). */
int floe_table_check_spec(const floe_table *t, const char *terms, floe_err *err);

#endif
