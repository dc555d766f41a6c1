/*
 * iceberg.h — floe's Iceberg table model.  This part: types and schemas
 * (Iceberg table spec, "Schemas and Data Types" and Appendix C), and the
 * mapping of a schema onto a Parquet schema (spec Appendix "Parquet").
 *
 * Model
 *   A schema is a STRUCT type whose fields form a tree.  Every nested value
 *   is a field with an id: struct members, a list's element (named
 *   "element"), a map's key and value (named "key" and "value").  A type
 *   owns its fields, a field owns its type; floe_ice_schema_free releases
 *   the whole tree.
 *
 *   Build a schema either by parsing JSON (floe_ice_schema_parse) or with
 *   the constructors below followed by floe_ice_schema_validate, which
 *   checks the spec's rules (unique ids, unique names per struct, decimal
 *   and fixed bounds, identifier fields) and indexes fields by id.  Lookups
 *   are valid only on a validated schema.
 *
 * Names and paths
 *   A field's path joins the names from the top-level column down with '.':
 *   "tags.a", "points.element.x", "attrs.key", "attrs.value".  Names may
 *   themselves contain '.'; lookups try every split.
 *
 * JSON
 *   floe_ice_schema_to_json writes the form Iceberg's reference
 *   implementation writes (keys in its order: a field is id, name, required,
 *   type, doc, initial-default, write-default; decimals "decimal(P, S)").
 *   Default values are kept as compact JSON text and written back verbatim.
 */
#ifndef FLOE_ICEBERG_H
#define FLOE_ICEBERG_H

#include <stddef.h>
#include <stdint.h>

#include "floe/parquet.h"

#ifdef __cplusplus
extern "C" {
#endif

struct floe_err;
struct floe_buf;

typedef enum floe_ice_kind {
    FLOE_ICE_BOOLEAN = 0,
    FLOE_ICE_INT,
    FLOE_ICE_LONG,
    FLOE_ICE_FLOAT,
    FLOE_ICE_DOUBLE,
    FLOE_ICE_DECIMAL,        /* precision, scale */
    FLOE_ICE_DATE,
    FLOE_ICE_TIME,           /* microseconds since midnight */
    FLOE_ICE_TIMESTAMP,      /* microseconds, no zone */
    FLOE_ICE_TIMESTAMPTZ,    /* microseconds, UTC */
    FLOE_ICE_TIMESTAMP_NS,   /* nanoseconds, no zone */
    FLOE_ICE_TIMESTAMPTZ_NS, /* nanoseconds, UTC */
    FLOE_ICE_STRING,
    FLOE_ICE_UUID,
    FLOE_ICE_FIXED,          /* length */
    FLOE_ICE_BINARY,
    FLOE_ICE_STRUCT,         /* fields */
    FLOE_ICE_LIST,           /* fields[0] is the element */
    FLOE_ICE_MAP             /* fields[0] is the key, fields[1] the value */
} floe_ice_kind;

#define FLOE_ICE_DECIMAL_MAX_PRECISION 38

typedef struct floe_ice_type floe_ice_type;
typedef struct floe_ice_field floe_ice_field;

struct floe_ice_field {
    int32_t id;
    char *name;
    int required;
    floe_ice_type *type;
    char *doc;              /* NULL when absent */
    char *initial_default;  /* compact JSON text of the value; NULL when absent */
    char *write_default;    /* likewise */
    floe_ice_field *parent; /* the field whose type holds this one; NULL for top-level
                               columns (set by parse and validate) */
};

struct floe_ice_type {
    int kind;               /* floe_ice_kind */
    int32_t precision;      /* DECIMAL */
    int32_t scale;          /* DECIMAL */
    int32_t length;         /* FIXED */
    floe_ice_field **fields;
    int nfields;
};

typedef struct floe_ice_schema {
    int32_t schema_id;
    floe_ice_type *root;        /* a STRUCT: the table's columns */
    int32_t *identifier_ids;    /* identifier-field-ids, may be empty */
    int nidentifier;
    int32_t highest_field_id;   /* filled by validate; 0 for an empty schema */
    /* Filled by validate: every field, sorted by id. */
    floe_ice_field **by_id;
    int nby_id;
} floe_ice_schema;

/* ---- construction -------------------------------------------------------- */

/* A primitive type (any kind below STRUCT except DECIMAL and FIXED) or an
 * empty STRUCT. */
floe_ice_type *floe_ice_type_new(int kind);
floe_ice_type *floe_ice_type_decimal(int32_t precision, int32_t scale);
floe_ice_type *floe_ice_type_fixed(int32_t length);
/* Takes ownership of the element/key/value types. */
floe_ice_type *floe_ice_type_list(int32_t element_id, int element_required, floe_ice_type *element);
floe_ice_type *floe_ice_type_map(int32_t key_id, floe_ice_type *key, int32_t value_id, int value_required,
                                 floe_ice_type *value);
/* Appends a field to a STRUCT, taking ownership of `type`; returns the
 * field (owned by the struct) so the caller can set doc or defaults
 * (malloc'd strings the field then owns). */
floe_ice_field *floe_ice_struct_add(floe_ice_type *st, int32_t id, const char *name, int required,
                                    floe_ice_type *type);
void floe_ice_type_free(floe_ice_type *t);

/* Takes ownership of `root` (a STRUCT); the schema is not validated yet. */
floe_ice_schema *floe_ice_schema_new(int32_t schema_id, floe_ice_type *root);
void floe_ice_schema_set_identifiers(floe_ice_schema *s, const int32_t *ids, int n);
/* Checks the spec's rules and indexes the fields; errors name the field
 * path ("schema field 'tags.a': ...").  Call again after changing the tree. */
int floe_ice_schema_validate(floe_ice_schema *s, struct floe_err *err);
void floe_ice_schema_free(floe_ice_schema *s);

/* ---- JSON ---------------------------------------------------------------- */

/* Parses a schema: {"type":"struct", "schema-id":N, "identifier-field-ids":
 * [...], "fields":[...]} (schema-id optional, default 0), or a bare array
 * of fields.  Validates.  Errors name the field path and the key. */
floe_ice_schema *floe_ice_schema_parse(const char *json, size_t len, struct floe_err *err);
/* Appends the schema's compact JSON. */
void floe_ice_schema_to_json(const floe_ice_schema *s, struct floe_buf *out);
/* Appends a type's JSON: a string for primitives, an object for nested. */
void floe_ice_type_to_json(const floe_ice_type *t, struct floe_buf *out);
/* Appends a type's name as the spec spells it: "int", "decimal(9, 2)",
 * "fixed[16]", and "struct", "list", "map" for nested types. */
void floe_ice_type_name(const floe_ice_type *t, struct floe_buf *out);
/* The kind named by a primitive type string ("timestamptz"), parameters
 * parsed for "decimal(P, S)" and "fixed[L]"; NULL if unknown.  Case is
 * ignored, as Iceberg's parser does. */
floe_ice_type *floe_ice_type_parse_primitive(const char *s);

/* ---- lookup (validated schemas) ----------------------------------------- */

static inline int floe_ice_type_is_primitive(const floe_ice_type *t) { return t->kind < FLOE_ICE_STRUCT; }
const floe_ice_field *floe_ice_schema_field_by_id(const floe_ice_schema *s, int32_t id);
/* The field at a dotted path, comparing names exactly or ignoring ASCII
 * case; NULL when absent. */
const floe_ice_field *floe_ice_schema_find(const floe_ice_schema *s, const char *path, int ignore_case);
/* Appends the field's dotted path. */
void floe_ice_field_path(const floe_ice_field *f, struct floe_buf *out);

/* ---- Parquet ------------------------------------------------------------- */

/* The Parquet schema Iceberg writes for a validated `s` (root "table",
 * field ids on every node, 3-level lists, MAP key_value groups); finished
 * and ready for a writer.  NULL with err set if the result cannot be built. */
floe_pq_schema *floe_ice_schema_to_parquet(const floe_ice_schema *s, struct floe_err *err);
/* The Iceberg schema of a Parquet file written with field ids (by Iceberg or
 * any writer following the spec): lists in the 3-level or legacy 2-level
 * forms, maps, and the primitive annotations Iceberg reads.  Validated,
 * schema-id 0.  NULL with err naming the column that has no field id or no
 * Iceberg type. */
floe_ice_schema *floe_ice_schema_from_parquet(const floe_pq_schema *ps, struct floe_err *err);

#ifdef __cplusplus
}
#endif

#endif
