/*
 * logline.h — the one form of floe run's log lines, shared by the pipeline
 * and its maintenance thread: a UTC timestamp, a level, an event name and
 * key=value pairs, as text or as one JSON object (floe.log.format).
 */
#ifndef FLOE_PIPELINE_LOGLINE_H
#define FLOE_PIPELINE_LOGLINE_H

#include <stdarg.h>

#include "util/mem.h"

/* Appends one line (no newline) to out.  level is a syslog level (3 error,
 * 4 warning, 6 info, 7 debug); ap holds "key", "value" pairs ending with a
 * NULL key (a NULL value prints as empty).  In JSON, values that spell an
 * integer stay numbers; in text, a value that is empty or has a blank, a
 * quote, '=', a backslash, a control byte or a non-ASCII byte is written
 * as a JSON string (so one event stays one line whatever its values hold;
 * invalid UTF-8 shows as \ufffd). */
void floe_logline_vformat(floe_buf *out, int json, int level, const char *event, va_list ap);

#endif
