/*
 * err.h — building floe_err values where a failure is understood.
 *
 * floe_err_set() formats a message and returns -1 so that a failing
 * function can `return floe_err_set(err, FLOE_ECORRUPT, "...", ...)`.
 * floe_err_prefix() adds outer context ("file.parquet: column x: ") to a
 * message set deeper down, so that the final text reads outermost first.
 */
#ifndef FLOE_UTIL_ERR_H
#define FLOE_UTIL_ERR_H

#include "floe/floe.h"

#if defined(__GNUC__)
#define FLOE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FLOE_PRINTF(a, b)
#endif

int floe_err_set(floe_err *err, int code, const char *fmt, ...) FLOE_PRINTF(3, 4);
/* Prepends "<formatted>: " to err->msg; returns -1. */
int floe_err_prefix(floe_err *err, const char *fmt, ...) FLOE_PRINTF(2, 3);
void floe_err_clear(floe_err *err);

#endif
