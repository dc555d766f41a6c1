/*
 * json_scan.h — looking into a JSON text without building a tree: the span
 * of one member's value (by a dotted path of object keys) and the text of
 * a JSON string.  The streaming pipeline uses it to find a record's route
 * field and the payload of a {"schema":..., "payload":...} envelope before
 * the record is shredded into columns.
 *
 * The scanner checks structure only as far as it walks: it never reads
 * past `len`, and it rejects what it cannot step over, but a span it
 * returns may hold text that a full parser would reject (the shredder that
 * later reads the span reports that).
 */
#ifndef FLOE_FORMAT_JSON_SCAN_H
#define FLOE_FORMAT_JSON_SCAN_H

#include <stddef.h>

#include "util/mem.h"

/* Finds the value of `path` ("user.id": key "id" of the object under key
 * "user") in the JSON object text[0..len).  Returns 1 with *val and *vlen the
 * value's span (leading and trailing blanks excluded), 0 when a key on
 * the path is missing or a value on the path is not an object, -1 when
 * text is not a JSON object or is malformed where the walk went. */
int floe_json_member(const char *text, size_t len, const char *path, const char **val, size_t *vlen);

/* Appends the characters of the JSON string literal s[0..n) (quotes
 * included) to out, escapes decoded (\uXXXX pairs to UTF-8).  -1 when s is
 * not a well-formed string literal. */
int floe_json_string_text(const char *s, size_t n, floe_buf *out);

/* 1 if s[0..n), blanks aside, is a JSON object ("{" ... "}"), else 0. */
int floe_json_is_object(const char *s, size_t n);

#endif
