/*
 * evolve.h — schema evolution from records: the columns a table lacks for
 * the fields of a JSON record, added to its schema in one catalog commit
 * (evolve.c).  What `floe run` does with
 * iceberg.tables.evolve-schema-enabled, as the Kafka Connect sink does.
 */
#ifndef FLOE_TABLE_EVOLVE_H
#define FLOE_TABLE_EVOLVE_H

#include "util/mem.h"
#include "table/table.h"

/* Adds to t's current schema a column for every field of the JSON object
 * rec[0..len) that the schema lacks, at any depth: top-level fields,
 * fields of struct columns, of structs in lists and in map values.  Each
 * new column is optional and typed by inference (floe_infer_value_type);
 * a field whose value says nothing of its type (null, [], {}) is left
 * out.  Names match exactly, or ignoring ASCII case with `ignore_case`.
 *
 * The new schema is committed with add-schema and set-current-schema,
 * asserting the current schema id and last column id; when another writer
 * changed the schema first (FLOE_ECONFLICT), the table is reloaded and the
 * columns still missing are added to its schema, up to 8 times.  On
 * success t holds the committed state, *nadded is the number of columns
 * added (0: nothing to add, no commit) and, when `added` is not NULL, their
 * dotted paths are appended to it, comma-separated.  Errors: FLOE_EINVAL
 * when rec is not a JSON object; the catalog's error otherwise
 * (FLOE_EUNKNOWN: the outcome of the commit is not known). */
int floe_table_evolve_for_record(floe_table *t, const char *rec, size_t len, int ignore_case, int *nadded,
                                 floe_buf *added, floe_err *err);

#endif
