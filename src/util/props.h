/*
 * props.h — an ordered string-to-string map: table properties, snapshot
 * summaries, namespace properties, config.  Small (tens of entries), so a
 * vector with linear lookup; insertion order is kept so that what floe
 * writes reads back in the order it was given.
 */
#ifndef FLOE_UTIL_PROPS_H
#define FLOE_UTIL_PROPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct floe_prop {
    char *key;
    char *value;
} floe_prop;

typedef struct floe_props {
    floe_prop *items;
    int n, cap;
} floe_props;

void floe_props_init(floe_props *p);
void floe_props_free(floe_props *p);
void floe_props_copy(floe_props *dst, const floe_props *src); /* dst is initialised here */
/* Sets (copying both strings), replacing an existing key in place. */
void floe_props_set(floe_props *p, const char *key, const char *value);
/* Returns 1 if the key was present. */
int floe_props_remove(floe_props *p, const char *key);
const char *floe_props_get(const floe_props *p, const char *key);
/* The value parsed as an integer, or def when absent or not an integer. */
int64_t floe_props_get_int(const floe_props *p, const char *key, int64_t def);

#endif
