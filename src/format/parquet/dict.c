/*
 * dict.c — the column writer's dictionary: insertion, growth, rollback and
 * reset.  The lookups are inline in dict.h; see there for the design.
 */
#include "format/parquet/dict.h"

#include <stdlib.h>

#define MIN_BITS 4
#define KEEP_BITS 12     /* reset keeps tables of up to 2^KEEP_BITS slots */
#define PREFETCH_BITS 13 /* tables of 2^13 slots (128 KiB) and more are prefetched */
#define BLOCK 32         /* values floe_pq_dict_encode hashes before looking them up */

/* The home slot of a slot's entry at the current size. */
static size_t home(const floe_pq_dict *d, const floe_pq_dict_slot *sl) {
    if (d->width) return (size_t)(floe_pq_hash_number(sl->key) >> (64 - d->bits));
    return (size_t)(sl->tag >> (32 - d->bits));
}

/* Entry i's slot, rebuilt from its PLAIN bytes. */
static floe_pq_dict_slot entry_slot(const floe_pq_dict *d, uint32_t i) {
    floe_pq_dict_slot sl = {0, i + 1, 0};
    if (d->width) {
        memcpy(&sl.key, d->plain.data + (size_t)i * (size_t)d->width, (size_t)d->width); /* little-endian */
    } else {
        uint32_t len;
        const uint8_t *v = floe_pq_dict_bytes(d, i, &len);
        sl.tag = floe_pq_str_key(v, len, &sl.key);
    }
    return sl;
}

static void place(floe_pq_dict *d, const floe_pq_dict_slot *sl) {
    size_t mask = ((size_t)1 << d->bits) - 1;
    size_t s = home(d, sl);
    while (d->slots[s].idx1) s = (s + 1) & mask;
    d->slots[s] = *sl;
}

void floe_pq_dict_init(floe_pq_dict *d, int physical, int32_t type_length) {
    memset(d, 0, sizeof *d);
    switch (physical) {
    case FLOE_PQ_INT32:
    case FLOE_PQ_FLOAT: d->width = 4; break;
    case FLOE_PQ_INT64:
    case FLOE_PQ_DOUBLE: d->width = 8; break;
    default: d->width = 0; break;
    }
    d->prefixed = physical == FLOE_PQ_BYTE_ARRAY;
    d->fixed_len = physical == FLOE_PQ_INT96 ? 12 : physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ? (uint32_t)type_length : 0;
    d->bits = MIN_BITS;
    d->slots = floe_xcalloc((size_t)1 << MIN_BITS, sizeof *d->slots);
    d->grow_limit = SIZE_MAX;
}

void floe_pq_dict_free(floe_pq_dict *d) {
    free(d->slots);
    free(d->offs);
    floe_buf_free(&d->plain);
    memset(d, 0, sizeof *d);
}

void floe_pq_dict_reset(floe_pq_dict *d) {
    /* A large table (a column that gave up its dictionary, or a
     * high-cardinality one) is released rather than cleared: clearing costs
     * as much as regrowing it, and the memory may not be needed again. */
    if (d->bits > KEEP_BITS) {
        free(d->slots);
        d->bits = MIN_BITS;
        d->slots = floe_xcalloc((size_t)1 << MIN_BITS, sizeof *d->slots);
    } else {
        memset(d->slots, 0, sizeof *d->slots << d->bits);
    }
    d->count = 0;
    d->plain.len = 0;
}

size_t floe_pq_dict_memory(const floe_pq_dict *d) {
    return (sizeof *d->slots << d->bits) + d->plain.cap + d->offs_cap * sizeof *d->offs;
}

/* Doubles the table and reinserts in index order (see dict.h for why the
 * order matters), each slot rebuilt from the entry's PLAIN bytes, which are
 * in index order already.  The table is reallocated in place rather than
 * freed and allocated anew: a large one then keeps its pages and only its
 * new half is fresh memory (page faults were a visible part of the cost of
 * a dictionary growing to its limit). */
static void grow(floe_pq_dict *d) {
    d->bits++;
    d->slots = floe_xrealloc(d->slots, sizeof *d->slots << d->bits);
    memset(d->slots, 0, sizeof *d->slots << d->bits);
    for (uint32_t i = 0; i < d->count; i++) {
        floe_pq_dict_slot sl = entry_slot(d, i);
        place(d, &sl);
    }
}

static uint32_t added(floe_pq_dict *d, size_t slot, uint64_t key, uint32_t tag) {
    uint32_t idx = d->count++;
    d->slots[slot] = (floe_pq_dict_slot){key, idx + 1, tag};
    size_t nslots = (size_t)1 << d->bits;
    if ((size_t)d->count * 2 > nslots && (d->plain.len <= d->grow_limit || (size_t)d->count * 4 >= nslots * 3))
        grow(d);
    return idx;
}

uint32_t floe_pq_dict_add_number(floe_pq_dict *d, size_t slot, uint64_t bits) {
    floe_buf_append(&d->plain, &bits, (size_t)d->width); /* little-endian: the low bytes */
    return added(d, slot, bits, 0);
}

uint32_t floe_pq_dict_add_bytes(floe_pq_dict *d, size_t slot, const uint8_t *p, uint32_t len, uint64_t key,
                                uint32_t tag) {
    if (d->count == d->offs_cap) {
        d->offs_cap = d->offs_cap ? d->offs_cap * 2 : 256;
        d->offs = floe_xrealloc(d->offs, d->offs_cap * sizeof *d->offs);
    }
    if (d->prefixed) floe_buf_append(&d->plain, &len, 4);
    size_t off = d->plain.len;
    d->offs[d->count] = off;
    floe_buf_append(&d->plain, p, len);
    return added(d, slot, key, tag);
}

void floe_pq_dict_truncate(floe_pq_dict *d, uint32_t count) {
    if (count >= d->count) return;
    size_t mask = ((size_t)1 << d->bits) - 1;
    /* Newest first: each removal then restores the table as it was before
     * that entry was inserted, so emptying its slot is enough. */
    for (uint32_t i = d->count; i-- > count;) {
        floe_pq_dict_slot sl = entry_slot(d, i);
        size_t s = home(d, &sl);
        while (d->slots[s].idx1 != i + 1) s = (s + 1) & mask;
        d->slots[s].idx1 = 0;
    }
    d->plain.len = d->width ? (size_t)count * (size_t)d->width : d->offs[count] - (d->prefixed ? 4 : 0);
    d->count = count;
}

/* ---- page-at-a-time encoding -----------------------------------------------
 * Values go in blocks, hashed one block ahead of the lookups: while block b
 * is looked up, block b+1 has been hashed and (when the table is large)
 * its slots prefetched, so that they have arrived by the time they are
 * probed. */

typedef struct num_block {
    uint64_t vals[BLOCK], hashes[BLOCK];
    size_t m;
} num_block;

static void hash_numbers(const floe_pq_dict *d, const uint8_t *plain, size_t from, size_t n, num_block *blk) {
    blk->m = n - from < BLOCK ? n - from : BLOCK;
    const uint8_t *at = plain + from * (size_t)d->width;
    int pf = d->bits >= PREFETCH_BITS;
    for (size_t j = 0; j < blk->m; j++) {
        blk->vals[j] = d->width == 8 ? floe_pq_load64(at + j * 8) : floe_pq_load32(at + j * 4);
        blk->hashes[j] = floe_pq_hash_number(blk->vals[j]);
        if (pf) __builtin_prefetch(&d->slots[blk->hashes[j] >> (64 - d->bits)]);
    }
}

static size_t encode_numbers(floe_pq_dict *d, const uint8_t *plain, size_t n, uint32_t *ids, size_t limit) {
    num_block blks[2];
    uint64_t prev = 0;
    uint32_t prev_id = 0;
    hash_numbers(d, plain, 0, n, &blks[0]);
    for (size_t b = 0, k = 0; b < n; b += BLOCK, k ^= 1) {
        const num_block *blk = &blks[k];
        if (b + BLOCK < n) hash_numbers(d, plain, b + BLOCK, n, &blks[k ^ 1]);
        for (size_t j = 0; j < blk->m; j++) {
            if (b + j == 0 || blk->vals[j] != prev) {
                prev_id = floe_pq_dict_put_hashed(d, blk->vals[j], blk->hashes[j]);
                prev = blk->vals[j];
            }
            ids[b + j] = prev_id;
        }
        if (d->plain.len > limit) return b;
    }
    return n;
}

typedef struct str_block {
    const uint8_t *ptrs[BLOCK];
    uint64_t keys[BLOCK];
    uint32_t lens[BLOCK], tags[BLOCK];
    size_t m;
} str_block;

/* Hashes the block of values from `from` on, whose bytes start at *at;
 * moves *at past them. */
static void hash_strings(const floe_pq_dict *d, const uint8_t **at, size_t from, size_t n, str_block *blk) {
    blk->m = n - from < BLOCK ? n - from : BLOCK;
    const uint8_t *p = *at;
    int pf = d->bits >= PREFETCH_BITS;
    for (size_t j = 0; j < blk->m; j++) {
        uint32_t len = d->fixed_len;
        if (d->prefixed) {
            len = (uint32_t)floe_pq_load32(p);
            p += 4;
        }
        blk->ptrs[j] = p;
        blk->lens[j] = len;
        blk->tags[j] = floe_pq_str_key(p, len, &blk->keys[j]);
        if (pf) __builtin_prefetch(&d->slots[blk->tags[j] >> (32 - d->bits)]);
        p += len;
    }
    *at = p;
}

static size_t encode_strings(floe_pq_dict *d, const uint8_t *plain, size_t n, uint32_t *ids, size_t limit) {
    str_block blks[2];
    const uint8_t *at = plain;
    /* the previous value: a copy of its slot fields, and its bytes */
    const uint8_t *pp = NULL;
    uint64_t pkey = 0;
    uint32_t ptag = 0, plen = 0, prev_id = 0;
    hash_strings(d, &at, 0, n, &blks[0]);
    for (size_t b = 0, k = 0; b < n; b += BLOCK, k ^= 1) {
        const str_block *blk = &blks[k];
        if (b + BLOCK < n) hash_strings(d, &at, b + BLOCK, n, &blks[k ^ 1]);
        for (size_t j = 0; j < blk->m; j++) {
            const uint8_t *v = blk->ptrs[j];
            uint32_t len = blk->lens[j];
            if (b + j == 0 || blk->tags[j] != ptag || blk->keys[j] != pkey || len != plen ||
                (len > 8 && !floe_pq_bytes_equal(v + 8, pp + 8, len - 8))) {
                prev_id = floe_pq_dict_put_keyed(d, v, len, blk->keys[j], blk->tags[j]);
                pp = v;
                pkey = blk->keys[j];
                ptag = blk->tags[j];
                plen = len;
            }
            ids[b + j] = prev_id;
        }
        if (d->plain.len > limit) return b;
    }
    return n;
}

size_t floe_pq_dict_encode(floe_pq_dict *d, const uint8_t *plain, size_t n, uint32_t *ids, size_t limit) {
    d->grow_limit = limit;
    size_t r = d->width ? encode_numbers(d, plain, n, ids, limit) : encode_strings(d, plain, n, ids, limit);
    d->grow_limit = SIZE_MAX;
    return r;
}
