/*
 * thrift.h — the Thrift compact protocol, the encoding of every Parquet
 * metadata structure (footer, page headers).
 *
 * Reader: a bounded cursor over untrusted bytes.  Every read checks the bytes
 * that remain; lengths and element counts are checked against them before
 * anyone allocates for them (every element of a list, set or map takes at
 * least one byte, so a count larger than the remaining bytes is a lie).
 * Struct nesting is limited to FLOE_THRIFT_MAX_DEPTH so that hostile input
 * cannot recurse without bound.  Failures set the reader's floe_err with the
 * byte offset and return -1; meta.c prefixes the structure and field names.
 *
 * Writer: appends to a floe_buf.  Field ids are delta-encoded against the
 * previous id in the same struct, as the protocol asks; callers write fields
 * in increasing id order.
 *
 * Wire format (thrift doc/specs/thrift-compact-protocol.md):
 *   field header   dddd tttt with delta d in 1..15, or 0000 tttt + zigzag i16 id
 *   stop           0x00
 *   bool field     type 1 (true) or 2 (false), no payload
 *   i8             one byte;  i16/i32/i64: zigzag ULEB128 varint
 *   double         8 bytes little-endian
 *   binary         ULEB128 length + bytes
 *   list/set       ssss tttt with size s in 0..14, or 1111 tttt + ULEB128 size
 *   map            0x00 when empty, else ULEB128 size + kkkk vvvv
 */
#ifndef FLOE_PARQUET_THRIFT_H
#define FLOE_PARQUET_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

/* Compact-protocol type codes.  FLOE_TT_BOOL is what floe_thrift_field
 * reports for both bool field types (true and false). */
enum {
    FLOE_TT_STOP = 0,
    FLOE_TT_BOOL = 1,   /* BOOLEAN_TRUE on the wire; also the bool element type */
    FLOE_TT_FALSE = 2,  /* BOOLEAN_FALSE on the wire (fields only) */
    FLOE_TT_I8 = 3,
    FLOE_TT_I16 = 4,
    FLOE_TT_I32 = 5,
    FLOE_TT_I64 = 6,
    FLOE_TT_DOUBLE = 7,
    FLOE_TT_BINARY = 8,
    FLOE_TT_LIST = 9,
    FLOE_TT_SET = 10,
    FLOE_TT_MAP = 11,
    FLOE_TT_STRUCT = 12
};

#define FLOE_THRIFT_MAX_DEPTH 64

/* Name of a type code for messages ("i32", "struct", ...). */
const char *floe_thrift_type_name(int type);

/* ---- Reader -------------------------------------------------------------- */

typedef struct floe_thrift_reader {
    const uint8_t *buf;
    size_t len, pos;
    int depth;                               /* open structs */
    int16_t last_id[FLOE_THRIFT_MAX_DEPTH];  /* previous field id per open struct */
    int pending_bool;                        /* value of the last bool field header, -1 if none */
    floe_err *err;
} floe_thrift_reader;

void floe_thrift_reader_init(floe_thrift_reader *r, const uint8_t *buf, size_t len, floe_err *err);
static inline size_t floe_thrift_remaining(const floe_thrift_reader *r) { return r->len - r->pos; }

/* Enters a struct (checks the depth limit) / leaves it after its stop. */
int floe_thrift_struct_begin(floe_thrift_reader *r);
void floe_thrift_struct_end(floe_thrift_reader *r);
/* Reads a field header: *type is FLOE_TT_STOP at the end of the struct,
 * FLOE_TT_BOOL for either bool type (its value is then read with
 * floe_thrift_read_bool without consuming bytes). */
int floe_thrift_field(floe_thrift_reader *r, int *type, int16_t *id);

int floe_thrift_read_bool(floe_thrift_reader *r, int *v);
int floe_thrift_read_i8(floe_thrift_reader *r, int8_t *v);
int floe_thrift_read_i16(floe_thrift_reader *r, int16_t *v);
int floe_thrift_read_i32(floe_thrift_reader *r, int32_t *v);
int floe_thrift_read_i64(floe_thrift_reader *r, int64_t *v);
int floe_thrift_read_double(floe_thrift_reader *r, double *v);
/* *p points into the reader's buffer; *n is checked against the bytes left. */
int floe_thrift_read_binary(floe_thrift_reader *r, const uint8_t **p, uint32_t *n);
/* List or set header; *n is at most the remaining bytes (and INT32_MAX). */
int floe_thrift_list_begin(floe_thrift_reader *r, int *elem_type, uint32_t *n);
/* Map header; *n is at most half the remaining bytes. */
int floe_thrift_map_begin(floe_thrift_reader *r, int *key_type, int *val_type, uint32_t *n);
/* Skips one value of `type`, however nested, within the depth limit. */
int floe_thrift_skip(floe_thrift_reader *r, int type);

/* ---- Writer -------------------------------------------------------------- */

typedef struct floe_thrift_writer {
    floe_buf *out;
    int depth;
    int16_t last_id[FLOE_THRIFT_MAX_DEPTH];
} floe_thrift_writer;

void floe_thrift_writer_init(floe_thrift_writer *w, floe_buf *out);

/* Raw values (list elements, or after a field header). */
void floe_thrift_write_varint(floe_thrift_writer *w, uint64_t v);
void floe_thrift_write_i32(floe_thrift_writer *w, int32_t v);
void floe_thrift_write_i64(floe_thrift_writer *w, int64_t v);
void floe_thrift_write_binary(floe_thrift_writer *w, const void *p, uint32_t n);
void floe_thrift_write_list_begin(floe_thrift_writer *w, int elem_type, uint32_t n);
/* Opens a struct that is a list element or the top-level value. */
void floe_thrift_write_struct_begin(floe_thrift_writer *w);
/* Writes the stop byte and closes the innermost struct. */
void floe_thrift_write_struct_end(floe_thrift_writer *w);

/* Field header (ids must increase within a struct); for bool fields use
 * floe_thrift_write_field_bool, which carries the value in the type. */
void floe_thrift_write_field(floe_thrift_writer *w, int type, int16_t id);
void floe_thrift_write_field_bool(floe_thrift_writer *w, int16_t id, int v);
void floe_thrift_write_field_i8(floe_thrift_writer *w, int16_t id, int8_t v);
void floe_thrift_write_field_i16(floe_thrift_writer *w, int16_t id, int16_t v);
void floe_thrift_write_field_i32(floe_thrift_writer *w, int16_t id, int32_t v);
void floe_thrift_write_field_i64(floe_thrift_writer *w, int16_t id, int64_t v);
void floe_thrift_write_field_binary(floe_thrift_writer *w, int16_t id, const void *p, uint32_t n);
/* Field header of a struct-typed field followed by its opening. */
void floe_thrift_write_field_struct(floe_thrift_writer *w, int16_t id);
/* Field header of a list-typed field followed by the list header. */
void floe_thrift_write_field_list(floe_thrift_writer *w, int16_t id, int elem_type, uint32_t n);

#endif
