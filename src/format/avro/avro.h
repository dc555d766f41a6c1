/*
 * avro.h — Avro binary encoding and object container files, as far as
 * Iceberg needs them: manifests and manifest lists are container files whose
 * schema travels in the header.
 *
 * Writing is schema-directed by the caller: it encodes each record's fields
 * in schema order with floe_avro_put_* into the record buffer, then calls
 * floe_avro_writer_end_record().  Reading is generic: the writer's schema is
 * parsed from the header and each record decodes into a floe_avro_value tree
 * in an arena, so files written by any engine read, and fields are looked up
 * by name.
 *
 * Everything read is untrusted: lengths and counts are checked against the
 * bytes present, nesting is bounded, errors name the file and the field.
 */
#ifndef FLOE_FORMAT_AVRO_H
#define FLOE_FORMAT_AVRO_H

#include "util/err.h"
#include "util/mem.h"

/* ---- Binary encoding ---------------------------------------------------- */

void floe_avro_put_long(floe_buf *b, int64_t v);        /* zigzag varint; also int */
void floe_avro_put_bool(floe_buf *b, int v);
void floe_avro_put_float(floe_buf *b, float v);
void floe_avro_put_double(floe_buf *b, double v);
void floe_avro_put_bytes(floe_buf *b, const void *p, size_t n); /* length + bytes; also string */
void floe_avro_put_string(floe_buf *b, const char *s);
void floe_avro_put_fixed(floe_buf *b, const void *p, size_t n); /* raw bytes */

/* ---- Container writer --------------------------------------------------- */

enum { FLOE_AVRO_CODEC_NULL = 0, FLOE_AVRO_CODEC_DEFLATE = 1 };

typedef struct floe_avro_writer {
    floe_buf out;     /* the file so far */
    floe_buf block;   /* encoded records of the open block */
    floe_buf record;  /* the record being encoded: callers put fields here */
    int64_t block_count, total_count;
    uint8_t sync[16];
    int codec;
} floe_avro_writer;

/* meta holds nmeta key/value string pairs written to the header after
 * avro.schema and avro.codec. */
void floe_avro_writer_init(floe_avro_writer *w, const char *schema_json, const char *const *meta, int nmeta,
                           int codec);
/* Appends w->record as one record and clears it. */
int floe_avro_writer_end_record(floe_avro_writer *w, floe_err *err);
/* Flushes the last block; the file is then w->out. */
int floe_avro_writer_finish(floe_avro_writer *w, floe_err *err);
void floe_avro_writer_free(floe_avro_writer *w);

/* ---- Schema and values (reading) ---------------------------------------- */

typedef enum {
    FLOE_AVRO_NULL, FLOE_AVRO_BOOLEAN, FLOE_AVRO_INT, FLOE_AVRO_LONG, FLOE_AVRO_FLOAT, FLOE_AVRO_DOUBLE,
    FLOE_AVRO_BYTES, FLOE_AVRO_STRING, FLOE_AVRO_RECORD, FLOE_AVRO_ENUM, FLOE_AVRO_ARRAY, FLOE_AVRO_MAP,
    FLOE_AVRO_UNION, FLOE_AVRO_FIXED
} floe_avro_kind;

typedef struct floe_avro_schema floe_avro_schema;
struct floe_avro_schema {
    int kind;                      /* floe_avro_kind */
    const char *name;              /* record, enum, fixed */
    const floe_avro_schema **children; /* record fields, union branches, array items / map values (1) */
    const char **field_names;      /* record */
    int32_t *field_ids;            /* record: the "field-id" attribute, -1 if absent */
    int nchildren;
    const char **symbols;          /* enum */
    int nsymbols;
    int64_t size;                  /* fixed */
};

typedef struct floe_avro_value floe_avro_value;
struct floe_avro_value {
    int kind;                      /* floe_avro_kind of the value (unions are resolved) */
    const floe_avro_schema *schema;
    int branch;                    /* the union branch taken, or -1 */
    union {
        int b;
        int64_t l;                 /* int and long */
        double d;                  /* float and double */
        struct { const uint8_t *p; size_t n; } bytes; /* bytes, string, fixed */
        int32_t symbol;            /* enum */
        struct { floe_avro_value *items; size_t n; } arr; /* array items; record fields */
        struct { floe_avro_value *keys, *values; size_t n; } map;
    } u;
};

typedef struct floe_avro_reader floe_avro_reader;

/* Opens a container file held in memory (borrowed: keep data alive). */
floe_avro_reader *floe_avro_reader_open(const uint8_t *data, size_t len, const char *name, floe_err *err);
void floe_avro_reader_free(floe_avro_reader *r);
/* The writer's schema: valid while r is open; readers of files with a
 * byte-identical schema text may share it (avro.c). */
const floe_avro_schema *floe_avro_reader_schema(const floe_avro_reader *r);
/* A header metadata value (NUL-terminated copy), or NULL. */
const char *floe_avro_reader_meta(const floe_avro_reader *r, const char *key);
/* Decodes the next record into *out, allocating in `arena`.  Returns 1 for a
 * record, 0 at the end, -1 on error. */
int floe_avro_reader_next(floe_avro_reader *r, floe_arena *arena, floe_avro_value *out, floe_err *err);

/* The value of record field `name`, or NULL if the record has no such field
 * or it is null. */
const floe_avro_value *floe_avro_get(const floe_avro_value *rec, const char *name);

#endif
