/*
 * mem.h — allocation, growable byte buffers and arenas.
 *
 * floe_xmalloc and friends abort on exhaustion: callers never check for
 * NULL.  Untrusted sizes must be bounded before they reach these.
 *
 * floe_buf is a growable byte vector (data, len, cap); append functions
 * grow it geometrically.  floe_arena hands out memory that is freed all at
 * once (parsed metadata, per-batch scratch).
 */
#ifndef FLOE_UTIL_MEM_H
#define FLOE_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *floe_xmalloc(size_t n);
void *floe_xcalloc(size_t n, size_t size);
void *floe_xrealloc(void *p, size_t n);
char *floe_xstrdup(const char *s);
char *floe_xstrndup(const char *s, size_t n);

#include "floe/floe.h" /* floe_buf */

void floe_buf_init(floe_buf *b);
/* Ensures room for `extra` more bytes past len. */
void floe_buf_grow(floe_buf *b, size_t extra);
static inline void floe_buf_reserve(floe_buf *b, size_t extra) {
    if (b->cap - b->len < extra) floe_buf_grow(b, extra);
}
static inline void floe_buf_append(floe_buf *b, const void *p, size_t n) {
    floe_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}
static inline void floe_buf_putc(floe_buf *b, uint8_t c) {
    floe_buf_reserve(b, 1);
    b->data[b->len++] = c;
}
static inline void floe_buf_puts(floe_buf *b, const char *s) { floe_buf_append(b, s, strlen(s)); }
void floe_buf_printf(floe_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static inline void floe_buf_reset(floe_buf *b) { b->len = 0; }
/* NUL-terminates without counting the NUL in len; returns data as char*. */
char *floe_buf_cstr(floe_buf *b);

typedef struct floe_arena_block floe_arena_block;
typedef struct floe_arena {
    floe_arena_block *head;
    size_t block_size;
} floe_arena;

void floe_arena_init(floe_arena *a, size_t block_size);
void *floe_arena_alloc(floe_arena *a, size_t n);      /* 16-byte aligned, zeroed */
char *floe_arena_strndup(floe_arena *a, const char *s, size_t n);
void floe_arena_free(floe_arena *a);

#endif
