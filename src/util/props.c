/*
 * props.c — ordered string map.  See props.h.
 */
#include "util/props.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void floe_props_init(floe_props *p) {
    p->items = NULL;
    p->n = p->cap = 0;
}

void floe_props_free(floe_props *p) {
    for (int i = 0; i < p->n; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    floe_props_init(p);
}

void floe_props_copy(floe_props *dst, const floe_props *src) {
    floe_props_init(dst);
    for (int i = 0; i < src->n; i++) floe_props_set(dst, src->items[i].key, src->items[i].value);
}

void floe_props_set(floe_props *p, const char *key, const char *value) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].key, key) == 0) {
            char *v = floe_xstrdup(value);
            free(p->items[i].value);
            p->items[i].value = v;
            return;
        }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = floe_xrealloc(p->items, sizeof *p->items * (size_t)p->cap);
    }
    p->items[p->n].key = floe_xstrdup(key);
    p->items[p->n].value = floe_xstrdup(value);
    p->n++;
}

int floe_props_remove(floe_props *p, const char *key) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].key, key) == 0) {
            free(p->items[i].key);
            free(p->items[i].value);
            memmove(&p->items[i], &p->items[i + 1], sizeof *p->items * (size_t)(p->n - i - 1));
            p->n--;
            return 1;
        }
    return 0;
}

const char *floe_props_get(const floe_props *p, const char *key) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].key, key) == 0) return p->items[i].value;
    return NULL;
}

int64_t floe_props_get_int(const floe_props *p, const char *key, int64_t def) {
    const char *v = floe_props_get(p, key);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end) return def;
    return (int64_t)x;
}
