/*
 * mem.c — allocation wrappers, floe_buf and floe_arena.  See mem.h.
 */
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void oom(size_t n) {
    fprintf(stderr, "floe: out of memory allocating %zu bytes\n", n);
    abort();
}

void *floe_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *floe_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *floe_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *floe_xstrdup(const char *s) { return floe_xstrndup(s, strlen(s)); }

char *floe_xstrndup(const char *s, size_t n) {
    char *d = floe_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void floe_buf_init(floe_buf *b) {
    b->data = NULL;
    b->len = b->cap = 0;
}

void floe_buf_free(floe_buf *b) {
    free(b->data);
    floe_buf_init(b);
}

void floe_buf_grow(floe_buf *b, size_t extra) {
    size_t need = b->len + extra;
    if (need < b->len) oom(SIZE_MAX);
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap * 2 > cap ? cap * 2 : need;
    b->data = floe_xrealloc(b->data, cap);
    b->cap = cap;
}

void floe_buf_printf(floe_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        floe_buf_append(b, tmp, (size_t)n);
        return;
    }
    floe_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *floe_buf_cstr(floe_buf *b) {
    floe_buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (char *)b->data;
}

struct floe_arena_block {
    floe_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char mem[];
};

void floe_arena_init(floe_arena *a, size_t block_size) {
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
}

void *floe_arena_alloc(floe_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    floe_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t sz = n > a->block_size ? n : a->block_size;
        b = floe_xmalloc(sizeof *b + sz);
        b->next = a->head;
        b->used = 0;
        b->size = sz;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *floe_arena_strndup(floe_arena *a, const char *s, size_t n) {
    char *d = floe_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void floe_arena_free(floe_arena *a) {
    floe_arena_block *b = a->head;
    while (b) {
        floe_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}
