/*
 * dict.h — a column writer's dictionary: maps each distinct value of a
 * column chunk to its dictionary index, and keeps the dictionary page's
 * PLAIN bytes as it grows.
 *
 * How it works: an open-addressing hash table with linear probing, kept at
 * most half full.  A lookup runs once per written value and, on large
 * dictionaries, is bound by cache misses, so a 16-byte slot carries what a
 * probe needs to decide without another dependent load:
 *   - numbers (INT32/FLOAT as 4 bytes, INT64/DOUBLE as 8): the value's bits
 *     and its index, so a probe touches nothing but the slot;
 *   - byte strings (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96): a 64-bit key
 *     made of the value's bytes (all of them when it has at most 8, which
 *     is the common case of codes, countries and ids, else its first 8), its
 *     index, and a tag of 24 bits of its hash and its length (capped at
 *     255).  Equal tag and key decide equality for values of up to 8 bytes;
 *     only longer ones are compared with their bytes in the PLAIN buffer.
 * Numbers hash by one multiplication (Fibonacci hashing: the high bits of
 * v * K depend on every bit of v); byte strings of up to 8 bytes by mixing
 * their key, longer ones 8 bytes at a time.  A slot's home is the high bits
 * of the hash (numbers) or of the tag (byte strings), so a rehash finds it
 * again from the slot alone.
 * Floating-point values are keyed by their bits, so -0.0 and 0.0 (and NaNs
 * with different payloads) are distinct entries, as PLAIN needs them to be.
 *
 * Entries are only ever appended, and a rehash reinserts them in index
 * order, so the table always equals the one built by inserting entries
 * 0..count-1 in turn.  Removing the newest entry therefore only has to
 * empty its slot, which is how floe_pq_dict_truncate rolls back the entries
 * of an aborted record.
 */
#ifndef FLOE_PARQUET_DICT_H
#define FLOE_PARQUET_DICT_H

#include "floe/parquet.h"
#include "util/mem.h"

#define FLOE_PQ_HASH_K 0x9E3779B97F4A7C15ull

typedef struct floe_pq_dict_slot {
    uint64_t key;  /* numbers: the value's bits; byte strings: see floe_pq_str_key */
    uint32_t idx1; /* index + 1; 0 when the slot is empty */
    uint32_t tag;  /* byte strings: 24 hash bits and the length (see above) */
} floe_pq_dict_slot;

typedef struct floe_pq_dict {
    int width;               /* 4 or 8: numbers; 0: byte strings */
    int prefixed;            /* BYTE_ARRAY: PLAIN values carry a 4-byte length */
    uint32_t fixed_len;      /* FIXED_LEN_BYTE_ARRAY / INT96 value length */
    int bits;                /* log2 of the slot count */
    uint32_t count;          /* entries */
    floe_pq_dict_slot *slots;
    floe_buf plain;          /* the dictionary page's PLAIN bytes */
    size_t *offs;            /* byte strings: entry -> offset of its bytes in plain */
    size_t offs_cap;
    /* While floe_pq_dict_encode runs: its size limit.  Beyond it the encode
     * stops within a block, so the table is not doubled for those last few
     * entries (it stays under 3/4 full); the doubling would only touch
     * fresh memory for a dictionary about to be given up. */
    size_t grow_limit;
} floe_pq_dict;

/* physical selects how values are keyed (BOOLEAN has no dictionary);
 * type_length is FIXED_LEN_BYTE_ARRAY's width. */
void floe_pq_dict_init(floe_pq_dict *d, int physical, int32_t type_length);
void floe_pq_dict_free(floe_pq_dict *d);
/* Forgets every entry, keeping the memory for the next column chunk. */
void floe_pq_dict_reset(floe_pq_dict *d);
/* Removes the entries with index >= count (the newest ones). */
void floe_pq_dict_truncate(floe_pq_dict *d, uint32_t count);
/* Bytes of memory held. */
size_t floe_pq_dict_memory(const floe_pq_dict *d);

/* Entry idx of a byte-string dictionary: its bytes and length. */
static inline const uint8_t *floe_pq_dict_bytes(const floe_pq_dict *d, uint32_t idx, uint32_t *len) {
    const uint8_t *p = d->plain.data + d->offs[idx];
    if (d->prefixed) memcpy(len, p - 4, 4);
    else *len = d->fixed_len;
    return p;
}

/* The writer's path: the indices of a page's n values, given in PLAIN form
 * (numbers of the dictionary's width; BYTE_ARRAY values with their length
 * prefix; fixed-length ones back to back), into ids, inserting new values.
 * Returns n, or less when the dictionary's PLAIN bytes went beyond `limit`
 * (it then stops soon after, leaving ids incomplete).  A page at a time,
 * the slots of values some places ahead are prefetched while the current
 * ones are looked up, so that on a dictionary too large for the caches the
 * misses overlap instead of costing one full memory latency per value; a
 * value equal to the one before it reuses its index. */
size_t floe_pq_dict_encode(floe_pq_dict *d, const uint8_t *plain, size_t n, uint32_t *ids, size_t limit);

/* Inserts a value known to be absent at `slot`; out of line (rarer). */
uint32_t floe_pq_dict_add_number(floe_pq_dict *d, size_t slot, uint64_t bits);
uint32_t floe_pq_dict_add_bytes(floe_pq_dict *d, size_t slot, const uint8_t *p, uint32_t len, uint64_t key,
                                uint32_t tag);

static inline uint64_t floe_pq_load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t floe_pq_load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Folding the high half down first lets values that differ only in their
 * high bits (timestamps at coarse steps) land far apart. */
static inline uint64_t floe_pq_hash_number(uint64_t v) { return (v ^ (v >> 32)) * FLOE_PQ_HASH_K; }

/* Hashes a byte string: 8-byte words folded in by multiply and xor-shift
 * (the shift carries high bits down so the next multiply spreads them), the
 * tail read as one overlapping word; the length seeds the state so that
 * overlapping tails of different lengths differ.  The final multiply leaves
 * the high bits, which pick the slot, depending on every input bit. */
static inline uint64_t floe_pq_hash_bytes(const uint8_t *p, uint32_t n) {
    uint64_t h = FLOE_PQ_HASH_K ^ ((uint64_t)n * 0xBF58476D1CE4E5B9ull);
    uint64_t w;
    if (n >= 8) {
        const uint8_t *end = p + n;
        while ((size_t)(end - p) > 8) {
            h = (h ^ floe_pq_load64(p)) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 31;
            p += 8;
        }
        w = floe_pq_load64(end - 8);
    } else if (n >= 4) {
        w = floe_pq_load32(p) | (floe_pq_load32(p + n - 4) << 32);
    } else if (n) {
        w = (uint64_t)p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
    } else {
        w = 0;
    }
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h * 0x94D049BB133111EBull;
}

/* Equality of two n-byte strings with word loads that stay inside both
 * (short keys are the common case, where a memcmp call costs more than the
 * comparison). */
static inline int floe_pq_bytes_equal(const uint8_t *a, const uint8_t *b, uint32_t n) {
    if (n >= 8) {
        for (uint32_t i = 0; i + 8 < n; i += 8)
            if (floe_pq_load64(a + i) != floe_pq_load64(b + i)) return 0;
        return floe_pq_load64(a + n - 8) == floe_pq_load64(b + n - 8);
    }
    if (n >= 4) return floe_pq_load32(a) == floe_pq_load32(b) && floe_pq_load32(a + n - 4) == floe_pq_load32(b + n - 4);
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* Index of a number whose hash (floe_pq_hash_number) is known, inserting
 * it if new. */
static inline uint32_t floe_pq_dict_put_hashed(floe_pq_dict *d, uint64_t bits, uint64_t hash) {
    size_t mask = ((size_t)1 << d->bits) - 1;
    size_t s = (size_t)(hash >> (64 - d->bits));
    for (;;) {
        const floe_pq_dict_slot *sl = &d->slots[s];
        if (!sl->idx1) return floe_pq_dict_add_number(d, s, bits);
        if (sl->key == bits) return sl->idx1 - 1;
        s = (s + 1) & mask;
    }
}

/* Index of a number (INT32/FLOAT bits zero-extended, INT64/DOUBLE bits),
 * inserting it if new. */
static inline uint32_t floe_pq_dict_put_number(floe_pq_dict *d, uint64_t bits) {
    return floe_pq_dict_put_hashed(d, bits, floe_pq_hash_number(bits));
}

/* A byte string's slot key and tag.  Up to 8 bytes the key holds every
 * byte: two overlapping 4-byte words, or bytes 0, n/2 and n-1 below 4, which
 * for a given length (it is in the tag) is one key per string. */
static inline uint32_t floe_pq_str_key(const uint8_t *p, uint32_t n, uint64_t *key) {
    uint64_t k, h;
    if (n > 8) {
        k = floe_pq_load64(p);
        h = floe_pq_hash_bytes(p, n);
    } else {
        if (n >= 4) k = floe_pq_load32(p) | (floe_pq_load32(p + n - 4) << 32);
        else if (n) k = (uint64_t)p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
        else k = 0;
        h = (k ^ ((uint64_t)n << 59)) * FLOE_PQ_HASH_K;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
    }
    *key = k;
    return (uint32_t)(h >> 32 & 0xFFFFFF00u) | (n < 255 ? n : 255);
}

/* Index of a byte string whose key and tag are known, inserting it if new. */
static inline uint32_t floe_pq_dict_put_keyed(floe_pq_dict *d, const uint8_t *p, uint32_t len, uint64_t key,
                                              uint32_t tag) {
    size_t mask = ((size_t)1 << d->bits) - 1;
    size_t s = (size_t)(tag >> (32 - d->bits));
    for (;;) {
        const floe_pq_dict_slot *sl = &d->slots[s];
        if (!sl->idx1) return floe_pq_dict_add_bytes(d, s, p, len, key, tag);
        if (sl->tag == tag && sl->key == key) {
            if (len <= 8) return sl->idx1 - 1;
            uint32_t vlen;
            const uint8_t *v = floe_pq_dict_bytes(d, sl->idx1 - 1, &vlen);
            if (vlen == len && floe_pq_bytes_equal(v + 8, p + 8, len - 8)) return sl->idx1 - 1;
        }
        s = (s + 1) & mask;
    }
}

/* Index of a byte string, inserting it if new. */
static inline uint32_t floe_pq_dict_put_bytes(floe_pq_dict *d, const uint8_t *p, uint32_t len) {
    uint64_t key;
    uint32_t tag = floe_pq_str_key(p, len, &key);
    return floe_pq_dict_put_keyed(d, p, len, key, tag);
}

#endif
