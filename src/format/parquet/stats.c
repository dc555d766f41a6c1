/*
 * stats.c — sort orders, page min/max, running totals and bound truncation
 * for the writer's statistics (see stats.h), plus floe_pq_compare.
 *
 * Orders follow parquet-format's LogicalTypes.md: BOOLEAN false < true;
 * INT32/INT64 signed unless annotated unsigned (INTEGER(signed=false) or
 * UINT_*); FLOAT/DOUBLE numerically with NaN excluded from min/max (and
 * counted), -0.0 == 0.0 with a zero min written as -0.0 and a zero max as
 * +0.0 so that either sign is inside the bounds; byte arrays unsigned
 * lexicographically, except DECIMAL, which compares as a signed
 * two's-complement big-endian integer; INT96, INTERVAL and FLOAT16 have no
 * order floe implements, so they get no min/max.
 *
 * Page min/max is one pass over the page's values (or, for dictionary
 * pages, over the distinct dictionary entries the page uses), with the
 * numeric loops specialised per type.
 */
#include "format/parquet/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

static int is_unsigned(const floe_pq_node *n) {
    if (n->logical.kind == FLOE_PQ_LT_INTEGER) return !n->logical.is_signed;
    return n->converted >= FLOE_PQ_CT_UINT_8 && n->converted <= FLOE_PQ_CT_UINT_64;
}

int floe_pq_sort_order(const floe_pq_node *leaf) {
    switch (leaf->physical) {
    case FLOE_PQ_BOOLEAN: return FLOE_PQ_ORD_BOOL;
    case FLOE_PQ_INT32: return is_unsigned(leaf) ? FLOE_PQ_ORD_U32 : FLOE_PQ_ORD_S32;
    case FLOE_PQ_INT64: return is_unsigned(leaf) ? FLOE_PQ_ORD_U64 : FLOE_PQ_ORD_S64;
    case FLOE_PQ_FLOAT: return FLOE_PQ_ORD_FLOAT;
    case FLOE_PQ_DOUBLE: return FLOE_PQ_ORD_DOUBLE;
    case FLOE_PQ_BYTE_ARRAY:
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY:
        if (leaf->logical.kind == FLOE_PQ_LT_DECIMAL || leaf->converted == FLOE_PQ_CT_DECIMAL)
            return FLOE_PQ_ORD_DECIMAL;
        if (leaf->converted == FLOE_PQ_CT_INTERVAL || leaf->logical.kind == FLOE_PQ_LT_FLOAT16 ||
            leaf->logical.kind == FLOE_PQ_LT_GEOMETRY || leaf->logical.kind == FLOE_PQ_LT_GEOGRAPHY)
            return FLOE_PQ_ORD_NONE;
        return FLOE_PQ_ORD_BYTES;
    default: return FLOE_PQ_ORD_NONE;
    }
}

int floe_pq_order_legacy_ok(int order) {
    return order == FLOE_PQ_ORD_BOOL || order == FLOE_PQ_ORD_S32 || order == FLOE_PQ_ORD_S64 ||
           order == FLOE_PQ_ORD_FLOAT || order == FLOE_PQ_ORD_DOUBLE;
}

#define NUM_CMP(x, y) (((x) > (y)) - ((x) < (y)))

/* Page values mostly differ in their first bytes: those are compared in a
 * loop, memcmp (a call) only takes over after 8 equal ones. */
static inline int bytes_cmp(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    uint32_t n = alen < blen ? alen : blen, i = 0;
    for (; i < n && i < 8; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    int c = n > i ? memcmp(a + i, b + i, n - i) : 0;
    if (c) return c < 0 ? -1 : 1;
    return NUM_CMP(alen, blen);
}

/* Two's-complement big-endian integers of any lengths: different signs
 * decide at once; equal signs compare as unsigned after sign-extending the
 * shorter one. */
static int decimal_cmp(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    int na = alen && (a[0] & 0x80), nb = blen && (b[0] & 0x80);
    if (na != nb) return na ? -1 : 1;
    uint8_t pad = na ? 0xFF : 0x00;
    uint32_t n = alen > blen ? alen : blen;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t x = i < n - alen ? pad : a[i - (n - alen)];
        uint8_t y = i < n - blen ? pad : b[i - (n - blen)];
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

static inline int order_bytes_cmp(int order, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    return order == FLOE_PQ_ORD_DECIMAL ? decimal_cmp(a, alen, b, blen) : bytes_cmp(a, alen, b, blen);
}

/* NaN sorts after every number and equals itself, making the order total. */
static int double_cmp(double x, double y) {
    if (isnan(x)) return isnan(y) ? 0 : 1;
    if (isnan(y)) return -1;
    return NUM_CMP(x, y);
}

/* Compares a and b as T when both have T's width. */
#define CMP_AS(T, n, cmp)                             \
    do {                                              \
        if (alen != (n) || blen != (n)) break;        \
        T x_, y_;                                     \
        memcpy(&x_, a, n);                            \
        memcpy(&y_, b, n);                            \
        return cmp(x_, y_);                           \
    } while (0)

int floe_pq_order_compare(int order, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    switch (order) {
    case FLOE_PQ_ORD_BOOL:
        if (alen == 1 && blen == 1) return (a[0] != 0) - (b[0] != 0);
        break;
    case FLOE_PQ_ORD_S32: CMP_AS(int32_t, 4, NUM_CMP); break;
    case FLOE_PQ_ORD_U32: CMP_AS(uint32_t, 4, NUM_CMP); break;
    case FLOE_PQ_ORD_S64: CMP_AS(int64_t, 8, NUM_CMP); break;
    case FLOE_PQ_ORD_U64: CMP_AS(uint64_t, 8, NUM_CMP); break;
    case FLOE_PQ_ORD_FLOAT: CMP_AS(float, 4, double_cmp); break;
    case FLOE_PQ_ORD_DOUBLE: CMP_AS(double, 8, double_cmp); break;
    case FLOE_PQ_ORD_DECIMAL: return decimal_cmp(a, alen, b, blen);
    default: break;
    }
    /* Byte strings, undefined orders, and values of the wrong width for
     * their type: plain lexicographic order keeps the result total. */
    return bytes_cmp(a, alen, b, blen);
}

int floe_pq_compare(const floe_pq_node *leaf, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    return floe_pq_order_compare(floe_pq_sort_order(leaf), a, alen, b, blen);
}

/* ---- page min/max -------------------------------------------------------- */

#define SET_MINMAX(out, mn, mx)                      \
    do {                                             \
        memcpy((out)->min_buf, &(mn), sizeof(mn));   \
        memcpy((out)->max_buf, &(mx), sizeof(mx));   \
        (out)->min = (out)->min_buf;                 \
        (out)->max = (out)->max_buf;                 \
        (out)->min_len = (out)->max_len = sizeof(mn); \
        (out)->has = 1;                              \
    } while (0)

/* AT(i): the i-th value's bytes, sequential or through ids. */
#define MINMAX_INT(T, AT)                            \
    do {                                             \
        T mn, mx;                                    \
        memcpy(&mn, AT(0), sizeof mn);               \
        mx = mn;                                     \
        for (size_t i = 1; i < n; i++) {             \
            T v;                                     \
            memcpy(&v, AT(i), sizeof v);             \
            mn = v < mn ? v : mn;                    \
            mx = v > mx ? v : mx;                    \
        }                                            \
        SET_MINMAX(out, mn, mx);                     \
    } while (0)

#define MINMAX_FLT(T, AT)                                     \
    do {                                                      \
        T mn = 0, mx = 0;                                     \
        int any = 0;                                          \
        for (size_t i = 0; i < n; i++) {                      \
            T v;                                              \
            memcpy(&v, AT(i), sizeof v);                      \
            if (v != v) {                                     \
                out->nan_count++;                             \
                continue;                                     \
            }                                                 \
            if (!any) {                                       \
                mn = mx = v;                                  \
                any = 1;                                      \
            }                                                 \
            mn = v < mn ? v : mn;                             \
            mx = v > mx ? v : mx;                             \
        }                                                     \
        if (!any) break;                                      \
        if (mn == 0) mn = -(T)0.0;                            \
        if (mx == 0) mx = (T)0.0;                             \
        SET_MINMAX(out, mn, mx);                              \
    } while (0)

#define MINMAX_FIXED_BYTES(AT)                                                         \
    do {                                                                               \
        const uint8_t *mn = AT(0), *mx = mn;                                           \
        uint32_t w = (uint32_t)width;                                                  \
        for (size_t i = 1; i < n; i++) {                                               \
            const uint8_t *v = AT(i);                                                  \
            if (order_bytes_cmp(order, v, w, mn, w) < 0) mn = v;                       \
            else if (order_bytes_cmp(order, v, w, mx, w) > 0) mx = v;                  \
        }                                                                              \
        out->min = mn;                                                                 \
        out->max = mx;                                                                 \
        out->min_len = out->max_len = w;                                               \
        out->has = 1;                                                                  \
    } while (0)

#define DISPATCH(AT)                                                          \
    switch (order) {                                                          \
    case FLOE_PQ_ORD_S32: MINMAX_INT(int32_t, AT); break;                     \
    case FLOE_PQ_ORD_U32: MINMAX_INT(uint32_t, AT); break;                    \
    case FLOE_PQ_ORD_S64: MINMAX_INT(int64_t, AT); break;                     \
    case FLOE_PQ_ORD_U64: MINMAX_INT(uint64_t, AT); break;                    \
    case FLOE_PQ_ORD_FLOAT: MINMAX_FLT(float, AT); break;                     \
    case FLOE_PQ_ORD_DOUBLE: MINMAX_FLT(double, AT); break;                   \
    case FLOE_PQ_ORD_BYTES:                                                   \
    case FLOE_PQ_ORD_DECIMAL: MINMAX_FIXED_BYTES(AT); break;                  \
    default: break;                                                           \
    }

#define AT_SEQ(i) (base + (size_t)(i) * width)
#define AT_IDS(i) (base + (size_t)ids[i] * width)

void floe_pq_minmax_fixed(int order, const uint8_t *base, size_t width, const uint32_t *ids, size_t n,
                          floe_pq_page_minmax *out) {
    out->has = 0;
    out->nan_count = 0;
    if (n == 0 || order == FLOE_PQ_ORD_NONE) return;
    if (order == FLOE_PQ_ORD_BOOL) {
        uint32_t any_false = 0, any_true = 0;
        for (size_t i = 0; i < n; i++) {
            any_true |= base[i];
            any_false |= base[i] ^ 1u;
        }
        uint8_t mn = any_false ? 0 : 1, mx = any_true ? 1 : 0;
        SET_MINMAX(out, mn, mx);
        return;
    }
    if (ids) {
        DISPATCH(AT_IDS)
    } else {
        DISPATCH(AT_SEQ)
    }
}

/* Running min/max over variable-length byte strings. */
typedef struct bytes_mm {
    const uint8_t *mn, *mx;
    uint32_t mnl, mxl;
} bytes_mm;

static inline void bytes_mm_add(int order, bytes_mm *m, const uint8_t *v, uint32_t l) {
    if (order_bytes_cmp(order, v, l, m->mn, m->mnl) < 0) {
        m->mn = v;
        m->mnl = l;
    } else if (order_bytes_cmp(order, v, l, m->mx, m->mxl) > 0) {
        m->mx = v;
        m->mxl = l;
    }
}

static void bytes_mm_out(const bytes_mm *m, floe_pq_page_minmax *out) {
    out->min = m->mn;
    out->max = m->mx;
    out->min_len = m->mnl;
    out->max_len = m->mxl;
    out->has = 1;
}

void floe_pq_minmax_plain_bytes(int order, const uint8_t *p, size_t n, floe_pq_page_minmax *out) {
    out->has = 0;
    out->nan_count = 0;
    if (n == 0 || order == FLOE_PQ_ORD_NONE) return;
    bytes_mm m;
    m.mnl = m.mxl = (uint32_t)floe_pq_load32(p);
    m.mn = m.mx = p + 4;
    p += 4 + m.mnl;
    for (size_t i = 1; i < n; i++) {
        uint32_t l = (uint32_t)floe_pq_load32(p);
        bytes_mm_add(order, &m, p + 4, l);
        p += 4 + l;
    }
    bytes_mm_out(&m, out);
}

void floe_pq_minmax_dict_bytes(int order, const floe_pq_dict *d, const uint32_t *ids, size_t n,
                               floe_pq_page_minmax *out) {
    out->has = 0;
    out->nan_count = 0;
    if (n == 0 || order == FLOE_PQ_ORD_NONE) return;
    bytes_mm m;
    m.mn = m.mx = floe_pq_dict_bytes(d, ids[0], &m.mnl);
    m.mxl = m.mnl;
    for (size_t i = 1; i < n; i++) {
        uint32_t l;
        const uint8_t *v = floe_pq_dict_bytes(d, ids[i], &l);
        bytes_mm_add(order, &m, v, l);
    }
    bytes_mm_out(&m, out);
}

/* ---- running totals ------------------------------------------------------ */

void floe_pq_acc_merge(floe_pq_minmax_acc *a, int order, const uint8_t *min, uint32_t min_len, const uint8_t *max,
                       uint32_t max_len) {
    if (!a->has || floe_pq_order_compare(order, min, min_len, a->min.data, (uint32_t)a->min.len) < 0) {
        a->min.len = 0;
        floe_buf_append(&a->min, min, min_len);
    }
    if (!a->has || floe_pq_order_compare(order, max, max_len, a->max.data, (uint32_t)a->max.len) > 0) {
        a->max.len = 0;
        floe_buf_append(&a->max, max, max_len);
    }
    a->has = 1;
}

void floe_pq_acc_reset(floe_pq_minmax_acc *a) {
    a->has = 0;
    a->min.len = a->max.len = 0;
}

void floe_pq_acc_free(floe_pq_minmax_acc *a) {
    floe_buf_free(&a->min);
    floe_buf_free(&a->max);
    a->has = 0;
}

/* ---- truncation ---------------------------------------------------------- */

/* Decodes one UTF-8 character at p[0..n); returns its length, or 0 when the
 * bytes are not a valid, shortest-form, non-surrogate encoding. */
static int utf8_decode(const uint8_t *p, size_t n, uint32_t *cp) {
    uint8_t c = p[0];
    int len;
    uint32_t v, lo;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, lo = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, lo = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, lo = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < lo || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Longest prefix of v (len > limit) of at most `limit` bytes; for UTF-8 it
 * ends at a character boundary. */
static uint32_t prefix_len(const uint8_t *v, size_t limit, int utf8) {
    size_t l = limit;
    if (utf8)
        while (l > 0 && (v[l] & 0xC0) == 0x80) l--;
    return (uint32_t)l;
}

/* Smallest-ish value > every string with prefix v[0..l): increment the last
 * byte that is not 0xFF and drop what follows.  0 if there is none. */
static int round_up_bytes(const uint8_t *v, size_t l, floe_buf *out) {
    while (l > 0 && v[l - 1] == 0xFF) l--;
    if (l == 0) return 0;
    floe_buf_append(out, v, l);
    out->data[l - 1]++;
    return 1;
}

/* The same for UTF-8: the result stays valid UTF-8 by incrementing the last
 * code point that can be (skipping the surrogate range), and since UTF-8
 * preserves code point order in byte order it is still an upper bound.
 * Prefixes that are not valid UTF-8 fall back to bytes. */
static int round_up_utf8(const uint8_t *v, size_t l, floe_buf *out) {
    for (size_t i = 0; i < l;) {
        uint32_t cp;
        int k = utf8_decode(v + i, l - i, &cp);
        if (!k) return round_up_bytes(v, l, out);
        i += (size_t)k;
    }
    while (l > 0) {
        size_t j = l - 1;
        while (j > 0 && (v[j] & 0xC0) == 0x80) j--;
        uint32_t cp;
        utf8_decode(v + j, l - j, &cp);
        cp++;
        if (cp == 0xD800) cp = 0xE000;
        if (cp <= 0x10FFFF) {
            floe_buf_append(out, v, j);
            floe_utf8_put(out, cp);
            return 1;
        }
        l = j;
    }
    return 0;
}

void floe_pq_bounds_make(const uint8_t *min, uint32_t min_len, const uint8_t *max, uint32_t max_len, int truncate,
                         int utf8, size_t limit, floe_buf *scratch, floe_pq_bounds *out) {
    out->min = min;
    out->min_len = min_len;
    out->max = max;
    out->max_len = max_len;
    out->has_max = 1;
    out->min_exact = out->max_exact = 1;
    if (!truncate) return;
    if (min_len > limit) {
        out->min_len = prefix_len(min, limit, utf8);
        out->min_exact = 0;
    }
    if (max_len > limit) {
        out->max_exact = 0;
        scratch->len = 0;
        uint32_t l = prefix_len(max, limit, utf8);
        if (utf8 ? round_up_utf8(max, l, scratch) : round_up_bytes(max, l, scratch)) {
            out->max = scratch->data;
            out->max_len = (uint32_t)scratch->len;
        } else {
            out->has_max = 0;
        }
    }
}
