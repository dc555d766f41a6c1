/*
 * ndjson.h — the NDJSON fast path: newline-delimited JSON records shredded
 * straight into a Parquet writer's columns, with no tree per record.
 *
 * A floe_ndjson compiles a Parquet schema (floe_pq_schema) once into a plan
 * and then, per record, walks the JSON text and the plan together, calling
 * floe_pq_write_<type>() with Dremel definition and repetition levels and
 * floe_pq_writer_end_row() at the end.  A record that does not fit the
 * schema is discarded from the writer (floe_pq_writer_abort_row) and
 * reported; the writer stays usable.
 *
 * Mapping (the value forms are those of docs/ndjson.md):
 *   struct group          JSON object; fields matched by name, in any order;
 *                         unknown fields are skipped and counted (but see
 *                         floe_ndjson_set_strict_fields)
 *   LIST (3-level, and    JSON array; an un-annotated REPEATED field is also
 *   the legacy forms)     a JSON array
 *   MAP                   JSON object; keys converted to the key type (string
 *                         keys verbatim, numbers/dates/... parsed from the key)
 *   BOOLEAN               true / false
 *   INT32/INT64/INTEGER   integral JSON numbers, range-checked
 *   FLOAT/DOUBLE          JSON numbers, or "NaN", "Infinity", "-Infinity"
 *   DECIMAL               "14.20" or 14.20, at most `scale` non-zero fraction
 *                         digits and `precision` digits
 *   DATE, TIME, TIMESTAMP ISO-8601 strings (offsets applied) or integers in
 *                         the column's unit (days for DATE)
 *   STRING/ENUM/JSON      JSON strings (escapes decoded, UTF-8 validated)
 *   UUID                  "8-4-4-4-12"
 *   other binary/FIXED    base64 strings
 *   null or absent        nulls for every column below, at the parent's level;
 *                         an error for REQUIRED fields
 *
 * Errors are FLOE_EINVAL with a message naming the line and the field:
 *   line 17: field 'tags.a': expected int, got string "x"
 *   line 3: field 'id': required field is missing
 *   line 9: invalid JSON at byte 42: unexpected '}'
 * ("byte" counts from 0 at the start of the line.)  A failure of the writer
 * itself keeps the writer's code (FLOE_EIO, ...).
 *
 * A floe_ndjson is not thread-safe; use one per thread.
 */
#ifndef FLOE_NDJSON_H
#define FLOE_NDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "floe/floe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct floe_ndjson floe_ndjson;

/* Compiles `schema` for shredding into `w`.  Borrows both: they must outlive
 * the floe_ndjson.  Fails, naming the field, with FLOE_EUNSUPPORTED for
 * columns NDJSON cannot fill (INT96, FLOAT16, INTERVAL, map keys that are
 * groups) and FLOE_EINVAL for malformed LIST, MAP or DECIMAL annotations. */
floe_ndjson *floe_ndjson_new(const floe_pq_schema *schema, floe_pq_writer *w, floe_err *err);

/* Points the shredder at another writer of the same schema (a rolled file). */
void floe_ndjson_set_writer(floe_ndjson *s, floe_pq_writer *w);

/* Lenient mode converts values the way the Apache Iceberg Kafka Connect
 * sink does: a number or boolean written to a string column is its JSON
 * text ("12.5", "true"); a string spelling a number fills a number column
 * (int, long, float, double, decimal, date and time as numbers); "true" and
 * "false" fill a boolean column.  Off by default: floe parquet write and
 * floe ingest stay strict (docs/ndjson.md). */
void floe_ndjson_set_lenient(floe_ndjson *s, int on);

/* Field names match the schema's ignoring ASCII case ("ID" fills column
 * "id"), as the Kafka Connect sink's iceberg.tables.schema-case-insensitive
 * does; an exact match is still preferred.  Off by default. */
void floe_ndjson_set_ignore_case(floe_ndjson *s, int on);

/* With strict fields, a record with a field the schema does not have fails
 * with FLOE_ENOTFOUND ("line 4: field 'geo.city': not in the table's
 * schema") instead of the field being skipped, so that the caller can add
 * the column and write the record again.  An unknown field whose value is
 * null, [] or {} is still skipped: it says nothing of a column's type.  Off
 * by default. */
void floe_ndjson_set_strict_fields(floe_ndjson *s, int on);

/* Longest line floe_ndjson_write_fd accepts, in bytes; default 64 MiB. */
void floe_ndjson_set_max_line(floe_ndjson *s, size_t bytes);

/* Shreds one record from line[0..len) (no NUL terminator needed; a trailing
 * "\r" or "\n" is whitespace).  A blank line writes nothing and returns 0.
 * `lineno` only names the line in error messages.  Returns 0 or -1. */
int floe_ndjson_write(floe_ndjson *s, const char *line, size_t len, int64_t lineno, floe_err *err);

/* Called for a record that does not fit (FLOE_EINVAL); `why` says which line
 * and field.  Return 0 to skip the record and go on, -1 to stop. */
typedef int (*floe_ndjson_bad_fn)(void *ctx, int64_t lineno, const char *line, size_t len,
                                  const floe_err *why);

/* Reads NDJSON from `fd` until end of file, in large blocks, and shreds every
 * line (the last one may lack its newline; a UTF-8 byte order mark at the
 * start is skipped).  Bad records go to on_bad; with on_bad NULL the first
 * bad record stops the read with its error.  A line longer than the maximum
 * is a bad record too (on_bad sees its first max-line bytes).  Read and
 * writer failures always stop.  Errors are prefixed with `name` when it is
 * not NULL ("events.json: line 3: ..."). */
int floe_ndjson_write_fd(floe_ndjson *s, int fd, const char *name, floe_ndjson_bad_fn on_bad, void *ctx,
                         floe_err *err);

/* Records written (ended rows). */
int64_t floe_ndjson_rows(const floe_ndjson *s);
/* Fields of written records that matched no schema field (at any depth). */
int64_t floe_ndjson_unknown_fields(const floe_ndjson *s);
/* Records handed to on_bad and skipped by floe_ndjson_write_fd. */
int64_t floe_ndjson_bad_records(const floe_ndjson *s);

void floe_ndjson_free(floe_ndjson *s);

#ifdef __cplusplus
}
#endif

#endif
