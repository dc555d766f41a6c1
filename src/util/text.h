/*
 * text.h — the textual forms of values: base64, ISO-8601 dates, times and
 * timestamps (proleptic Gregorian, UTC), shortest round-trip floats,
 * decimals, UUIDs and JSON string escaping.  Shared by the NDJSON scanner
 * (parsing) and every printer (formatting), so one value has one spelling
 * everywhere (docs/ndjson.md).
 *
 * Parsers take (s, n) without requiring NUL termination and return 0, or -1
 * when the text is not of the form (they set no floe_err: the caller knows
 * the line and field to name).
 */
#ifndef FLOE_UTIL_TEXT_H
#define FLOE_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

/* Time units, equal to floe_pq_time_unit. */
enum { FLOE_UNIT_MILLIS = 1, FLOE_UNIT_MICROS = 2, FLOE_UNIT_NANOS = 3 };

/* ---- base64 (RFC 4648, with padding) ---- */
void floe_base64_encode(const uint8_t *p, size_t n, floe_buf *out);
/* Appends decoded bytes; accepts missing padding; -1 on a bad character. */
int floe_base64_decode(const char *s, size_t n, floe_buf *out);

/* ---- calendar ---- */
int64_t floe_days_from_civil(int64_t y, unsigned m, unsigned d);
void floe_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* "YYYY-MM-DD" (years outside 0..9999 as "+YYYYY"/"-YYYY"). */
void floe_fmt_date(int32_t days, floe_buf *out);
/* "HH:MM:SS.fff" / ".ffffff" / ".fffffffff" by unit (always all digits). */
void floe_fmt_time(int64_t v, int unit, floe_buf *out);
/* "YYYY-MM-DDTHH:MM:SS.ffffff" (digits by unit), plus "+00:00" when utc. */
void floe_fmt_timestamp(int64_t v, int unit, int utc, floe_buf *out);
/* The same from a day number and a time of day in the unit (which may be
 * outside one day: it is carried into the days).  For values whose total
 * would not fit in 64 bits, such as INT96 timestamps far from 1970. */
void floe_fmt_day_time(int64_t days, int64_t tod, int unit, int utc, floe_buf *out);

int floe_parse_date(const char *s, size_t n, int32_t *days);
/* "HH:MM[:SS[.f{1,9}]]" to the unit; extra fraction digits beyond the unit
 * are an error unless they are zeros. */
int floe_parse_time(const char *s, size_t n, int unit, int64_t *v);
/* "YYYY-MM-DD", or that + ('T'|' ') + time + optional "Z" | "+HH:MM" | "-HH:MM"
 * | "+HHMM" | "+HH"; an offset is applied to give UTC. */
int floe_parse_timestamp(const char *s, size_t n, int unit, int64_t *v);

/* ---- numbers ---- */
/* Decimal text of an integer (a JSON number). */
void floe_fmt_i64(int64_t v, floe_buf *out);
void floe_fmt_u64(uint64_t v, floe_buf *out);
/* Shortest text that reads back as the same double/float; NaN and infinities
 * as the JSON strings "NaN", "Infinity", "-Infinity" (quotes included). */
void floe_fmt_double(double v, floe_buf *out);
void floe_fmt_float(float v, floe_buf *out);
/* Decimal text of an unscaled two's-complement big-endian integer of n
 * bytes with `scale`, e.g. ("-1420", scale 2) -> "-14.20".  Redundant sign
 * bytes are ignored; -1 (appending nothing) if the value needs more than 32
 * bytes, which no decimal type allows (bytes from a damaged file). */
int floe_fmt_decimal_be(const uint8_t *p, size_t n, int32_t scale, floe_buf *out);
void floe_fmt_decimal_i64(int64_t unscaled, int32_t scale, floe_buf *out);
/* Parses "[-+]digits[.digits][e[-+]digits]" into a 16-byte big-endian
 * unscaled value at `scale`; -1 if it has more fraction digits than scale
 * (non-zero ones), more than `precision` digits, or is not a number. */
int floe_parse_decimal(const char *s, size_t n, int32_t precision, int32_t scale, uint8_t out[16]);

/* ---- UUID ---- */
void floe_fmt_uuid(const uint8_t b[16], floe_buf *out);     /* 8-4-4-4-12 lower hex */
int floe_parse_uuid(const char *s, size_t n, uint8_t out[16]);

/* ---- JSON ---- */
/* Appends a quoted JSON string; invalid UTF-8 bytes become U+FFFD. */
void floe_json_escape(const uint8_t *p, size_t n, floe_buf *out);
/* Appends the UTF-8 encoding of code point cp (cp <= 0x10FFFF). */
void floe_utf8_put(floe_buf *out, uint32_t cp);
/* 1 if p[0..n) is valid UTF-8. */
int floe_utf8_valid(const uint8_t *p, size_t n);

#endif
