/*
 * ndjson.c — the NDJSON fast path: JSON records shredded straight into a
 * Parquet writer's columns (see include/floe/ndjson.h for the mapping).
 *
 * How it works
 *   floe_ndjson_new compiles the Parquet schema into a tree of plan nodes:
 *   struct (with a field-name lookup), list, map or leaf (with the value
 *   kind, range and unit it accepts), each carrying the definition level to
 *   write when it is null and, for lists and maps, the levels of an empty
 *   collection and of the 2nd+ element.  An un-annotated REPEATED field is
 *   compiled as a list whose element is the same schema node.
 *
 *   A record is a single pass of a recursive-descent parser over the line
 *   that descends the plan with the JSON: values go to the writer as soon
 *   as they are read, so nothing is built per record.  Column order does not
 *   matter to the writer, only each column's own order, so a struct's fields
 *   are written in the order the JSON has them; fields that never appeared
 *   get their nulls when the object closes.  Values of unknown fields are
 *   validated and skipped by an iterative scanner with a bounded nesting
 *   stack; the shredding recursion itself is bounded by the schema's depth.
 *
 *   Speed comes from: the record template (below), which follows a record
 *   of the stream's usual shape without the general loop's bookkeeping;
 *   field lookup that first tries the field that followed the previous one
 *   last time (records of one stream keep their order) by comparing the
 *   input with that field's `name":` as two masked 8-byte words, then a
 *   hash; strings scanned eight bytes at a time for '"', '\\'
 *   and control bytes and handed to the writer in place when they hold no
 *   escapes; UTF-8 checked only for strings with high bytes; integers
 *   parsed by hand; doubles converted exactly by one multiplication or
 *   division when the digits fit 2^53 and the power of ten is at most 22
 *   (both operands are exact, so IEEE rounding of the one operation is the
 *   correct rounding), with strtod for the rest.  The common value forms
 *   (plain strings, integers, short decimals, unescaped timestamps) go to
 *   the writer without building a token.
 *
 *   Errors are collected in the parser state: the failing spot writes what
 *   is wrong and each enclosing level prepends its part of the field path
 *   while unwinding, so the happy path pays nothing for the path.
 */
#include "floe/ndjson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "floe/parquet.h"
#include "format/parquet/schema.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text.h"

#define MAX_NEST 256                    /* nesting accepted inside skipped values */
#define READ_BLOCK ((size_t)1 << 20)    /* write_fd reads this much at a time */
#define DEFAULT_MAX_LINE ((size_t)64 << 20)
#define SHOW_MAX 48                     /* bytes of a bad value quoted in a message */

/* The per-value fast paths must be inlined into the per-field loop. */
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#else
#define HOT_INLINE inline
#endif

/* ---- the plan ------------------------------------------------------------ */

enum { P_STRUCT, P_LIST, P_MAP, P_LEAF };
enum { V_BOOL, V_INT, V_FLOAT, V_DOUBLE, V_DECIMAL, V_DATE, V_TIME, V_TIMESTAMP, V_STRING, V_UUID, V_BINARY };

typedef struct plan plan;

/* The field expected after another one: its kid index (-1: none) and,
 * when klen is not 0, the bytes of its `name":` (klen of them, padded) and
 * their mask as two words, to recognise it without scanning (the name
 * fits 14 bytes and needs no escaping in JSON). */
typedef struct expect {
    uint64_t kw[2], km[2];
    int kid;
    int klen;
} expect;

struct plan {
    int kind;            /* P_* */
    int nullable;        /* null/absent allowed: writes nulls (or an empty collection) */
    int null_def;        /* definition level written when this node is null or absent */
    int empty_def;       /* P_LIST, P_MAP: definition level of an empty collection */
    int rep_level;       /* P_LIST, P_MAP: repetition level of the 2nd+ element */
    int first_leaf, nleaves;
    const char *name;    /* the schema node's name (borrowed) */
    size_t name_len;
    /* As a struct field: its expect entry (the pattern of its name) */
    expect field;
    /* P_LEAF */
    int vk;              /* V_* */
    int leaf;
    int physical;
    int32_t flen;        /* FIXED_LEN_BYTE_ARRAY width; 0 for BYTE_ARRAY */
    int32_t precision, scale;
    int unit;
    uint64_t pos_max, neg_max; /* V_INT and integer forms: magnitude bounds */
    char expect[40];     /* the type as error messages name it: "int", "decimal(9,2)" */
    /* P_STRUCT */
    plan **kids;
    int nkids;
    uint64_t *seen;      /* bit per kid, for objects of more than 64 fields */
    expect *succ;        /* succ[0]: first kid seen last time; succ[j+1]: kid that followed kid j */
    int *hash;           /* open addressing over kid names: kid index or -1 */
    uint32_t hmask;
    /* P_LIST, P_MAP */
    plan *elem;          /* list element */
    plan *key, *val;     /* map key (a leaf) and value */
};

/* A step of the record template (see "the record template" below). */
enum { S_LEAF, S_OTHER, S_OPEN, S_CLOSE };
typedef struct step {
    expect key;          /* S_LEAF, S_OTHER, S_OPEN: the field's name pattern */
    int op;              /* S_* */
    char after;          /* S_LEAF, S_OTHER, S_CLOSE: the byte after the value, ',' or '}' */
    plan *node;          /* S_LEAF, S_OTHER: the field */
} step;

struct floe_ndjson {
    floe_pq_writer *w;
    floe_arena arena;    /* the plan */
    plan *root;
    /* the record template: its steps (when tmpl_ok; built from the field
     * orders of version tmpl_version, the current one being order_version),
     * and the records left to shred without it after it missed
     * (tmpl_backoff after the last miss) */
    step *tmpl;
    int ntmpl, tmpl_cap, tmpl_ok;
    uint64_t order_version, tmpl_version;
    int tmpl_skip, tmpl_backoff;
    floe_buf kbuf;       /* a field name with escapes, decoded */
    floe_buf tbuf;       /* a string value with escapes, decoded */
    floe_buf sbuf;       /* converted bytes: base64, wide decimals, number text for strtod */
    floe_buf rbuf;       /* write_fd's read buffer */
    size_t max_line;
    int lenient;         /* Kafka Connect's conversions (floe_ndjson_set_lenient) */
    int ignore_case;     /* field names match ignoring ASCII case (floe_ndjson_set_ignore_case) */
    int strict_fields;   /* an unknown field fails the record (floe_ndjson_set_strict_fields) */
    int64_t rows, unknown, bad;
};

/* ---- parser state and errors --------------------------------------------- */

enum { E_NONE, E_JSON, E_RECORD, E_FIELD };

typedef struct cur {
    const char *start, *end;  /* the line */
    floe_ndjson *s;
    floe_pq_writer *w;
    int64_t unknown;          /* unknown fields in this record */
    int ekind;                /* E_*: set by the failing spot */
    int not_in_schema;        /* the failure is an unknown field (strict_fields) */
    char what[512];
    char path[256];           /* field path, built from the end backwards while unwinding */
    size_t ppos;
} cur;

static const char *fail(cur *c, int kind, const char *fmt, ...) FLOE_PRINTF(3, 4);
static const char *fail(cur *c, int kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    c->ekind = kind;
    return NULL;
}

static void clear_error(cur *c) {
    c->ekind = E_NONE;
    c->not_in_schema = 0;
    c->ppos = sizeof c->path - 1;
    c->path[c->ppos] = '\0';
}

/* "unexpected X" for invalid JSON at `at`. */
static const char *unexpected(cur *c, const char *at) {
    size_t off = (size_t)(at - c->start);
    if (at >= c->end) return fail(c, E_JSON, "invalid JSON at byte %zu: unexpected end of line", off);
    unsigned char ch = (unsigned char)*at;
    if (ch > 0x20 && ch < 0x7f) return fail(c, E_JSON, "invalid JSON at byte %zu: unexpected '%c'", off, ch);
    return fail(c, E_JSON, "invalid JSON at byte %zu: unexpected byte 0x%02x", off, ch);
}

static const char *bad_json(cur *c, const char *at, const char *what) {
    return fail(c, E_JSON, "invalid JSON at byte %zu: %s", (size_t)(at - c->start), what);
}

/* Prepends a path part while a field error unwinds: ".name" or "[i]". */
static void path_prepend(cur *c, const char *s, size_t n, int dot) {
    if (c->ekind != E_FIELD) return;
    size_t need = n + (dot ? 1 : 0);
    if (need > c->ppos) { /* too deep to show all: mark the cut */
        if (c->ppos >= 3) memcpy(c->path + (c->ppos -= 3), "...", 3);
        c->ppos = 0;
        return;
    }
    c->ppos -= need;
    if (dot) c->path[c->ppos] = '.';
    memcpy(c->path + c->ppos + (dot ? 1 : 0), s, n);
}

static void path_field(cur *c, const plan *n) { path_prepend(c, n->name, n->name_len, 1); }

static void path_index(cur *c, size_t i) {
    char b[32];
    int k = snprintf(b, sizeof b, "[%zu]", i);
    path_prepend(c, b, (size_t)k, 0);
}

/* ---- tokens --------------------------------------------------------------- */

enum { T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, T_OBJ, T_ARR };

typedef struct tok {
    int t;
    const char *raw, *rawend; /* the token's text (strings with their quotes) */
    const char *s;            /* T_STR: body, escapes not decoded; T_NUM: the number */
    size_t n;
    int esc;                  /* T_STR: the body has escapes */
    /* T_NUM: sign, all digits as an integer (ovf when beyond 64 bits), the
     * power of ten that scales it, and whether it had no '.' or exponent */
    int neg, is_int, ovf;
    uint64_t m;
    int e10;
} tok;

/* Names a token for "got ..." in messages. */
static const char *describe(const tok *t, char *b, size_t cap) {
    switch (t->t) {
    case T_TRUE: return "boolean true";
    case T_FALSE: return "boolean false";
    case T_NULL: return "null";
    case T_OBJ: return "object";
    case T_ARR: return "array";
    default: break;
    }
    size_t n = (size_t)(t->rawend - t->raw);
    int cut = n > SHOW_MAX;
    if (cut) {
        n = SHOW_MAX;
        while (n > 0 && ((unsigned char)t->raw[n] & 0xC0) == 0x80) n--; /* keep UTF-8 whole */
    }
    /* A map key read as a number is still quoted: name it by its spelling. */
    snprintf(b, cap, "%s %.*s%s", *t->raw == '"' ? "string" : "number", (int)n, t->raw, cut ? "..." : "");
    return b;
}

/* Compact JSON has no whitespace: one test decides, the loop is out of line. */
static const char *skip_ws_loop(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static HOT_INLINE const char *skip_ws(const char *p, const char *end) {
    return p < end && (unsigned char)*p <= ' ' ? skip_ws_loop(p, end) : p;
}

static const char *literal(cur *c, const char *p, const char *word, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p + i >= c->end || p[i] != word[i]) return unexpected(c, p + i);
    return p + n;
}

static int hex4(const char *p, const char *end, unsigned *u) {
    if (end - p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = (unsigned char)p[i];
        unsigned d;
        if (ch >= '0' && ch <= '9') d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') d = (ch | 0x20) - 'a' + 10;
        else return -1;
        v = v << 4 | d;
    }
    *u = v;
    return 0;
}

/* Validates the escape at p ('\\'); returns the byte after it.  Surrogates
 * must pair up here, so that decoding cannot fail later. */
static const char *scan_escape(cur *c, const char *p) {
    if (c->end - p < 2) return bad_json(c, p, "unterminated string");
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': return p + 2;
    case 'u': {
        unsigned u, lo;
        if (hex4(p + 2, c->end, &u)) return bad_json(c, p, "invalid \\u escape");
        if (u >= 0xDC00 && u <= 0xDFFF) return bad_json(c, p, "unpaired surrogate in \\u escape");
        if (u < 0xD800 || u > 0xDBFF) return p + 6;
        if (c->end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, c->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return bad_json(c, p, "unpaired surrogate in \\u escape");
        return p + 12;
    }
    default: return bad_json(c, p, "invalid escape in string");
    }
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Bytes that end the fast scan of a string body: '"', '\\', control bytes. */
static inline int str_special(unsigned char ch) { return ch == '"' || ch == '\\' || ch < 0x20; }

/* Scans a string body starting after its opening quote; returns the closing
 * quote.  The complete scan: escapes, control bytes, UTF-8, the line's end. */
static const char *scan_string_full(cur *c, const char *body, int *esc) {
    const char *p = body, *end = c->end;
    unsigned hi = 0;
    int e = 0;
    for (;;) {
        while (p < end && !str_special((unsigned char)*p)) hi |= (unsigned char)*p++;
        if (p >= end) return bad_json(c, body - 1, "unterminated string");
        if (*p == '"') break;
        if (*p == '\\') {
            e = 1;
            if (!(p = scan_escape(c, p))) return NULL;
            continue;
        }
        return fail(c, E_JSON, "invalid JSON at byte %zu: control byte 0x%02x in a string", (size_t)(p - c->start),
                    (unsigned char)*p);
    }
    if ((hi & 0x80) && !floe_utf8_valid((const uint8_t *)body, (size_t)(p - body)))
        return bad_json(c, body - 1, "invalid UTF-8 in a string");
    *esc = e;
    return p;
}

/* The same, fast for plain ASCII strings: 16 bytes at a time with SSE2,
 * then 8 at a time in a word (a word is flagged when any byte is '"' or
 * '\\' (zero after xor) or below 0x20; the lowest flagged byte is exact
 * because borrows only propagate upwards), then bytes.  Anything but a
 * closing quote after plain ASCII goes to the full scan. */
static HOT_INLINE const char *scan_string(cur *c, const char *p, int *esc) {
    const char *body = p, *end = c->end;
    uint64_t hi = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i sp = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                  _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        unsigned m = (unsigned)_mm_movemask_epi8(sp), h = (unsigned)_mm_movemask_epi8(x);
        if (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if (p[k] != '"' || (h & ((1u << k) - 1))) return scan_string_full(c, body, esc);
            *esc = 0;
            return p + k;
        }
        if (h) return scan_string_full(c, body, esc);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t x, q, b, m;
        memcpy(&x, p, 8);
        q = x ^ (ONES * '"');
        b = x ^ (ONES * '\\');
        m = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x)) & HIGHS;
        if (m) {
            unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
            hi |= x & ((1ULL << (k * 8)) - 1);
            p += k;
            break;
        }
        hi |= x;
        p += 8;
    }
#endif
    while (p < end && !str_special((unsigned char)*p)) hi |= (unsigned char)*p++;
    if (p < end && *p == '"' && !(hi & HIGHS)) {
        *esc = 0;
        return p;
    }
    return scan_string_full(c, body, esc);
}

/* Decodes a body that scan_string validated into out (reset first). */
static void decode_string(const char *p, size_t n, floe_buf *out) {
    const char *end = p + n;
    floe_buf_reset(out);
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) bs = end;
        floe_buf_append(out, p, (size_t)(bs - p));
        if (bs == end) break;
        unsigned u = 0, lo = 0;
        p = bs + 2;
        switch (bs[1]) {
        case 'b': floe_buf_putc(out, '\b'); break;
        case 'f': floe_buf_putc(out, '\f'); break;
        case 'n': floe_buf_putc(out, '\n'); break;
        case 'r': floe_buf_putc(out, '\r'); break;
        case 't': floe_buf_putc(out, '\t'); break;
        case 'u':
            hex4(bs + 2, end, &u);
            p = bs + 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(bs + 8, end, &lo);
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                p = bs + 12;
            }
            floe_utf8_put(out, u);
            break;
        default: floe_buf_putc(out, (uint8_t)bs[1]); break; /* '"', '\\', '/' */
        }
    }
}

/* Parses a JSON number at p into t.  Returns the byte after it, or NULL with
 * *bad at the offending byte. */
static const char *num_scan(const char *p, const char *end, tok *t, const char **bad) {
    const char *b = p;
    uint64_t m = 0;
    int ovf = 0, nfrac = 0, ex = 0, eneg = 0;
    t->neg = 0;
    t->is_int = 1;
    if (p < end && *p == '-') { t->neg = 1; p++; }
    if (p >= end || (unsigned)(*p - '0') > 9) { *bad = p; return NULL; }
#define ACC(d)                                                                         \
    do {                                                                               \
        unsigned d_ = (d);                                                             \
        if (m < 1844674407370955161ULL || (m == 1844674407370955161ULL && d_ <= 5)) m = m * 10 + d_; \
        else ovf = 1;                                                                  \
    } while (0)
    if (*p == '0') {
        p++;
    } else {
        /* 19 digits always fit: check for overflow only beyond them */
        const char *ds = p;
        while (p < end && (unsigned)(*p - '0') <= 9 && p - ds < 19) m = m * 10 + (unsigned)(*p++ - '0');
        while (p < end && (unsigned)(*p - '0') <= 9) { ACC((unsigned)(*p - '0')); p++; }
    }
    if (p < end && *p == '.') {
        t->is_int = 0;
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9) { *bad = p; return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (!ovf) { ACC((unsigned)(*p - '0')); nfrac++; }
            p++;
        }
    }
#undef ACC
    if (p < end && (*p == 'e' || *p == 'E')) {
        t->is_int = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= end || (unsigned)(*p - '0') > 9) { *bad = p; return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (ex < 100000) ex = ex * 10 + (*p - '0');
            p++;
        }
    }
    t->t = T_NUM;
    t->raw = t->s = b;
    t->rawend = p;
    t->n = (size_t)(p - b);
    t->ovf = ovf;
    t->m = m;
    t->e10 = (eneg ? -ex : ex) - nfrac;
    return p;
}

/* Reads the scalar at p (which is not whitespace) into t; objects and arrays
 * are recognised but not consumed (they are type errors wherever a scalar is
 * expected). */
static const char *scan_token(cur *c, const char *p, tok *t) {
    if (p >= c->end) return unexpected(c, p);
    t->raw = p;
    switch (*p) {
    case '"': {
        const char *q = scan_string(c, p + 1, &t->esc);
        if (!q) return NULL;
        t->t = T_STR;
        t->s = p + 1;
        t->n = (size_t)(q - p - 1);
        t->rawend = q + 1;
        return q + 1;
    }
    case 't': t->t = T_TRUE; return t->rawend = literal(c, p, "true", 4);
    case 'f': t->t = T_FALSE; return t->rawend = literal(c, p, "false", 5);
    case 'n': t->t = T_NULL; return t->rawend = literal(c, p, "null", 4);
    case '{': t->t = T_OBJ; t->rawend = p; return p;
    case '[': t->t = T_ARR; t->rawend = p; return p;
    default: {
        const char *bad, *q = num_scan(p, c->end, t, &bad);
        return q ? q : unexpected(c, bad);
    }
    }
}

/* ---- skipping values ------------------------------------------------------ */

/* A field name and its colon, for objects being skipped. */
static const char *skip_key(cur *c, const char *p) {
    int esc;
    if (p >= c->end || *p != '"') return unexpected(c, p);
    if (!(p = scan_string(c, p + 1, &esc))) return NULL;
    p = skip_ws(p + 1, c->end);
    if (p >= c->end || *p != ':') return unexpected(c, p);
    return skip_ws(p + 1, c->end);
}

/* Validates and skips the value at p, iteratively. */
static const char *skip_value(cur *c, const char *p) {
    char close[MAX_NEST];
    int d = 0;
    for (;;) {
        /* a value starts at p */
        if (p < c->end && (*p == '{' || *p == '[')) {
            if (d == MAX_NEST) return bad_json(c, p, "nested deeper than 256 levels");
            char open = *p;
            close[d++] = open == '{' ? '}' : ']';
            p = skip_ws(p + 1, c->end);
            if (p < c->end && *p == close[d - 1]) {
                p++;
                d--;
            } else {
                if (open == '{' && !(p = skip_key(c, p))) return NULL;
                continue;
            }
        } else {
            tok t;
            if (!(p = scan_token(c, p, &t))) return NULL;
        }
        /* after a value: close containers or go on to the next member */
        for (;;) {
            if (d == 0) return p;
            p = skip_ws(p, c->end);
            if (p < c->end && *p == ',') {
                p = skip_ws(p + 1, c->end);
                if (close[d - 1] == '}' && !(p = skip_key(c, p))) return NULL;
                break;
            }
            if (p < c->end && *p == close[d - 1]) {
                p++;
                d--;
                continue;
            }
            return unexpected(c, p);
        }
    }
}

/* ---- leaves --------------------------------------------------------------- */

static const char *expected(cur *c, const plan *n, const tok *t, int key) {
    char b[SHOW_MAX + 32];
    return fail(c, E_FIELD, "%sexpected %s, got %s", key ? "map key: " : "", n->expect, describe(t, b, sizeof b));
}

static const char *out_of_range(cur *c, const plan *n, const tok *t) {
    char b[SHOW_MAX + 32];
    return fail(c, E_FIELD, "%s is out of range for %s", describe(t, b, sizeof b), n->expect);
}

/* The text of a string token, with escapes decoded when it has any. */
static void tok_text(floe_ndjson *s, const tok *t, const char **p, size_t *n) {
    if (!t->esc) {
        *p = t->s;
        *n = t->n;
        return;
    }
    decode_string(t->s, t->n, &s->tbuf);
    *p = (const char *)s->tbuf.data;
    *n = s->tbuf.len;
}

/* A number spelled as a whole string (map keys): fills *nt and returns 1. */
static int text_number(const char *p, size_t n, const tok *from, tok *nt) {
    const char *bad;
    if (num_scan(p, p + n, nt, &bad) != p + n) return 0;
    nt->raw = from->raw; /* messages quote what the input said */
    nt->rawend = from->rawend;
    return 1;
}

/* An integer JSON number within the leaf's bounds, as int64 (two's
 * complement bits for the unsigned kinds).  A fraction or exponent is not
 * an integer even when the value is integral (docs/ndjson.md). */
static int int_value(cur *c, const plan *n, const tok *t, int key, int64_t *v) {
    if (!t->is_int) return expected(c, n, t, key), -1;
    if (t->ovf || t->m > (t->neg ? n->neg_max : n->pos_max)) return out_of_range(c, n, t), -1;
    *v = t->neg ? (int64_t)(~t->m + 1) : (int64_t)t->m;
    return 0;
}

static const double pow10_d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const float pow10_f[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* The number's text, NUL-terminated, for strtod/strtof. */
static const char *num_cstr(floe_ndjson *s, const tok *t) {
    floe_buf_reset(&s->sbuf);
    floe_buf_append(&s->sbuf, t->s, t->n);
    return floe_buf_cstr(&s->sbuf);
}

static int tok_double(floe_ndjson *s, const tok *t, double *out) {
    if (!t->ovf && t->m <= (1ULL << 53) && t->e10 >= -22 && t->e10 <= 22) {
        double d = (double)t->m;
        d = t->e10 < 0 ? d / pow10_d[-t->e10] : d * pow10_d[t->e10];
        *out = t->neg ? -d : d;
        return 0;
    }
    *out = strtod(num_cstr(s, t), NULL);
    return isinf(*out) ? -1 : 0;
}

static int tok_float(floe_ndjson *s, const tok *t, float *out) {
    if (!t->ovf && t->m <= (1ULL << 24) && t->e10 >= -10 && t->e10 <= 10) {
        float f = (float)t->m;
        f = t->e10 < 0 ? f / pow10_f[-t->e10] : f * pow10_f[t->e10];
        *out = t->neg ? -f : f;
        return 0;
    }
    *out = strtof(num_cstr(s, t), NULL);
    return isinf(*out) ? -1 : 0;
}

/* "NaN", "Infinity", "-Infinity": the JSON spellings of the non-finite. */
static int nonfinite(const char *p, size_t n, double *v) {
    if (n == 3 && memcmp(p, "NaN", 3) == 0) *v = NAN;
    else if (n == 8 && memcmp(p, "Infinity", 8) == 0) *v = INFINITY;
    else if (n == 9 && memcmp(p, "-Infinity", 9) == 0) *v = -INFINITY;
    else return -1;
    return 0;
}

static void write_decimal(cur *c, const plan *n, const uint8_t be[16], int rep) {
    switch (n->physical) {
    case FLOE_PQ_INT32: {
        uint32_t v = (uint32_t)be[12] << 24 | (uint32_t)be[13] << 16 | (uint32_t)be[14] << 8 | be[15];
        floe_pq_write_i32(c->w, n->leaf, (int32_t)v, rep);
        break;
    }
    case FLOE_PQ_INT64: {
        uint64_t v = 0;
        for (int i = 8; i < 16; i++) v = v << 8 | be[i];
        floe_pq_write_i64(c->w, n->leaf, (int64_t)v, rep);
        break;
    }
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY:
        if (n->flen <= 16) {
            floe_pq_write_bytes(c->w, n->leaf, be + 16 - n->flen, (uint32_t)n->flen, rep);
        } else { /* sign-extend into the wider width */
            floe_buf *b = &c->s->sbuf;
            floe_buf_reset(b);
            floe_buf_reserve(b, (size_t)n->flen);
            memset(b->data, (be[0] & 0x80) ? 0xFF : 0, (size_t)n->flen - 16);
            memcpy(b->data + n->flen - 16, be, 16);
            floe_pq_write_bytes(c->w, n->leaf, b->data, (uint32_t)n->flen, rep);
        }
        break;
    default: { /* BYTE_ARRAY: the shortest two's complement form */
        int i = 0;
        while (i < 15 && ((be[i] == 0 && !(be[i + 1] & 0x80)) || (be[i] == 0xFF && (be[i + 1] & 0x80)))) i++;
        floe_pq_write_bytes(c->w, n->leaf, be + i, (uint32_t)(16 - i), rep);
        break;
    }
    }
}

/* Writes token t to leaf n.  `key`: t is a map key (always a string), whose
 * text stands for a number, boolean, date... as the key type says. */
static int write_leaf(cur *c, const plan *n, const tok *t, int key, int rep) {
    floe_ndjson *s = c->s;
    tok nt;
    const char *p;
    size_t len;
    int64_t v;
    /* Key text that spells a number is that number for the number-like
     * kinds; so is any string in lenient mode. */
    if ((key || (s->lenient && t->t == T_STR)) && n->vk != V_STRING && n->vk != V_BOOL && n->vk != V_UUID &&
        n->vk != V_BINARY) {
        tok_text(s, t, &p, &len);
        if (text_number(p, len, t, &nt)) t = &nt;
    }
    switch (n->vk) {
    case V_BOOL:
        if (t->t == T_TRUE || t->t == T_FALSE) {
            floe_pq_write_bool(c->w, n->leaf, t->t == T_TRUE, rep);
            return 0;
        }
        if (key || (s->lenient && t->t == T_STR)) {
            tok_text(s, t, &p, &len);
            if ((len == 4 && memcmp(p, "true", 4) == 0) || (len == 5 && memcmp(p, "false", 5) == 0)) {
                floe_pq_write_bool(c->w, n->leaf, len == 4, rep);
                return 0;
            }
        }
        break;
    case V_INT:
        if (t->t != T_NUM) break;
        if (int_value(c, n, t, key, &v)) return -1;
        if (n->physical == FLOE_PQ_INT32) floe_pq_write_i32(c->w, n->leaf, (int32_t)v, rep);
        else floe_pq_write_i64(c->w, n->leaf, v, rep);
        return 0;
    case V_FLOAT:
    case V_DOUBLE: {
        double d;
        if (t->t == T_STR) {
            tok_text(s, t, &p, &len);
            if (nonfinite(p, len, &d)) break;
        } else if (t->t == T_NUM) {
            if (n->vk == V_FLOAT) {
                float f;
                if (tok_float(s, t, &f)) return out_of_range(c, n, t), -1;
                floe_pq_write_float(c->w, n->leaf, f, rep);
                return 0;
            }
            if (tok_double(s, t, &d)) return out_of_range(c, n, t), -1;
        } else {
            break;
        }
        if (n->vk == V_FLOAT) floe_pq_write_float(c->w, n->leaf, (float)d, rep);
        else floe_pq_write_double(c->w, n->leaf, d, rep);
        return 0;
    }
    case V_DECIMAL: {
        uint8_t be[16];
        if (t->t == T_NUM) { p = t->s; len = t->n; }
        else if (t->t == T_STR) tok_text(s, t, &p, &len);
        else break;
        if (floe_parse_decimal(p, len, n->precision, n->scale, be) == 0) {
            write_decimal(c, n, be, rep);
            return 0;
        }
        if (t->t == T_STR && !text_number(p, len, t, &nt)) break; /* not a number at all */
        char b[SHOW_MAX + 32];
        return fail(c, E_FIELD, "%s does not fit %s", describe(t, b, sizeof b), n->expect), -1;
    }
    case V_DATE:
        if (t->t == T_NUM) {
            if (int_value(c, n, t, key, &v)) return -1;
            floe_pq_write_i32(c->w, n->leaf, (int32_t)v, rep);
            return 0;
        }
        if (t->t == T_STR) {
            int32_t days;
            tok_text(s, t, &p, &len);
            if (floe_parse_date(p, len, &days)) break;
            floe_pq_write_i32(c->w, n->leaf, days, rep);
            return 0;
        }
        break;
    case V_TIME:
    case V_TIMESTAMP:
        if (t->t == T_NUM) {
            if (int_value(c, n, t, key, &v)) return -1;
        } else if (t->t == T_STR) {
            tok_text(s, t, &p, &len);
            if (n->vk == V_TIME ? floe_parse_time(p, len, n->unit, &v) : floe_parse_timestamp(p, len, n->unit, &v)) break;
        } else {
            break;
        }
        if (n->physical == FLOE_PQ_INT32) floe_pq_write_i32(c->w, n->leaf, (int32_t)v, rep);
        else floe_pq_write_i64(c->w, n->leaf, v, rep);
        return 0;
    case V_STRING:
        if (s->lenient && (t->t == T_NUM || t->t == T_TRUE || t->t == T_FALSE)) {
            /* the value's JSON text, as the connector's toString gives it */
            floe_pq_write_bytes(c->w, n->leaf, t->raw, (uint32_t)(t->rawend - t->raw), rep);
            return 0;
        }
        if (t->t != T_STR) break;
        tok_text(s, t, &p, &len);
        floe_pq_write_bytes(c->w, n->leaf, p, (uint32_t)len, rep);
        return 0;
    case V_UUID: {
        uint8_t u[16];
        if (t->t != T_STR) break;
        tok_text(s, t, &p, &len);
        if (floe_parse_uuid(p, len, u)) break;
        floe_pq_write_bytes(c->w, n->leaf, u, 16, rep);
        return 0;
    }
    case V_BINARY:
        if (t->t != T_STR) break;
        tok_text(s, t, &p, &len);
        floe_buf_reset(&s->sbuf);
        if (floe_base64_decode(p, len, &s->sbuf)) break;
        if (n->flen && s->sbuf.len != (size_t)n->flen)
            return fail(c, E_FIELD, "base64 value decodes to %zu bytes, expected %d", s->sbuf.len, (int)n->flen), -1;
        floe_pq_write_bytes(c->w, n->leaf, s->sbuf.data, (uint32_t)s->sbuf.len, rep);
        return 0;
    }
    return expected(c, n, t, key), -1;
}

/* ---- shredding ------------------------------------------------------------ */

static inline void write_nulls(cur *c, const plan *n, int def, int rep) {
    for (int i = n->first_leaf, e = n->first_leaf + n->nleaves; i < e; i++) floe_pq_write_null(c->w, i, def, rep);
}

static const char *shred(cur *c, plan *n, const char *p, int rep);

static const char *wrong_container(cur *c, const char *p, const char *want) {
    tok t;
    char b[SHOW_MAX + 32];
    if (!scan_token(c, p, &t)) return NULL;
    return fail(c, E_FIELD, "expected %s, got %s", want, describe(&t, b, sizeof b));
}

static uint32_t name_hash(const char *p, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int find_kid(const plan *n, const char *k, size_t kn) {
    for (uint32_t i = name_hash(k, kn) & n->hmask;; i = (i + 1) & n->hmask) {
        int j = n->hash[i];
        if (j < 0) return -1;
        if (n->kids[j]->name_len == kn && memcmp(n->kids[j]->name, k, kn) == 0) return j;
    }
}

/* A value that says nothing of a column's type: null, [] or {}.  Strict
 * fields skip such an unknown field rather than fail the record, which
 * would only send it through the caller's evolution for nothing (and a
 * stream whose records all carry an empty list would pay that for each). */
static int says_nothing(const char *p, const char *end) {
    if (end - p >= 4 && memcmp(p, "null", 4) == 0) return 1;
    if (p < end && (*p == '[' || *p == '{')) {
        const char *q = skip_ws(p + 1, end);
        return q < end && *q == (*p == '[' ? ']' : '}');
    }
    return 0;
}

/* The kid whose name equals k ignoring ASCII case, or -1.  A scan: it
 * runs only for names that differ from every field's exact spelling. */
static int find_kid_nocase(const plan *n, const char *k, size_t kn) {
    for (int j = 0; j < n->nkids; j++)
        if (n->kids[j]->name_len == kn && strncasecmp(n->kids[j]->name, k, kn) == 0) return j;
    return -1;
}

/* The kid named k: first the one that followed the previous field last time. */
static inline int lookup(floe_ndjson *s, plan *n, const char *k, size_t kn, int *slot) {
    int g = n->succ[*slot].kid;
    if (g >= 0 && n->kids[g]->name_len == kn && memcmp(n->kids[g]->name, k, kn) == 0) {
        *slot = g + 1;
        return g;
    }
    int j = find_kid(n, k, kn);
    if (j >= 0) {
        n->succ[*slot] = n->kids[j]->field;
        s->order_version++; /* the record template is out of date */
        *slot = j + 1;
    } else if (s->ignore_case && (j = find_kid_nocase(n, k, kn)) >= 0) {
        /* not learnt as the successor: its expected key is the exact
         * spelling, which this record's does not match */
        *slot = j + 1;
    }
    return j;
}

/* After a member of an object or array: the start of the next member (past
 * ',' and whitespace) with *done 0, or the byte after `close` with *done 1. */
static HOT_INLINE const char *next_member(cur *c, const char *p, char close, int *done) {
    p = skip_ws(p, c->end);
    if (p < c->end && *p == ',') {
        *done = 0;
        return skip_ws(p + 1, c->end);
    }
    if (p < c->end && *p == close) {
        *done = 1;
        return p + 1;
    }
    return unexpected(c, p);
}

static const char *shred_null(cur *c, const plan *n, const char *p, int rep) {
    if (!(p = literal(c, p, "null", 4))) return NULL;
    if (!n->nullable) return fail(c, E_FIELD, "required field is null");
    write_nulls(c, n, n->null_def, rep);
    return p;
}

/* A plain JSON number of at most 15 digits without exponent, whose double
 * is one exact division (see the top of the file); NULL for anything else. */
static HOT_INLINE const char *fast_double(const char *p, const char *end, double *out) {
    const char *q = p + (*p == '-'), *ds = q, *lim = end - ds > 15 ? ds + 15 : end;
    uint64_t m = 0;
    while (q < lim && (unsigned)(*q - '0') <= 9) m = m * 10 + (unsigned)(*q++ - '0');
    size_t ni = (size_t)(q - ds), nf = 0;
    if (ni == 0 || (ni > 1 && *ds == '0')) return NULL;
    if (q < end && *q == '.') {
        const char *fs = ++q;
        lim = (size_t)(end - fs) > 15 - ni ? fs + (15 - ni) : end;
        while (q < lim && (unsigned)(*q - '0') <= 9) m = m * 10 + (unsigned)(*q++ - '0');
        if ((nf = (size_t)(q - fs)) == 0) return NULL;
    }
    if (q < end && ((unsigned)(*q - '0') <= 9 || (*q | 0x20) == 'e')) return NULL;
    double d = nf ? (double)m / pow10_d[nf] : (double)m;
    *out = *p == '-' ? -d : d;
    return q;
}

/* A leaf value.  The common forms (plain strings, integers, simple doubles,
 * unescaped timestamps) go straight to the writer; everything else, errors
 * included, through a token and write_leaf. */
static HOT_INLINE const char *shred_leaf(cur *c, const plan *n, const char *p, int rep) {
    const char *end = c->end, *q;
    int esc;
    if (p >= end) return unexpected(c, p);
    switch (n->vk) {
    case V_STRING:
        if (*p != '"') break;
        if (!(q = scan_string(c, p + 1, &esc))) return NULL;
        if (esc) break;
        floe_pq_write_bytes(c->w, n->leaf, p + 1, (uint32_t)(q - p - 1), rep);
        return q + 1;
    case V_INT: {
        const char *ds = q = p + (*p == '-'), *lim = end - ds > 19 ? ds + 19 : end; /* 19 digits fit */
        uint64_t m = 0;
        while (q < lim && (unsigned)(*q - '0') <= 9) m = m * 10 + (unsigned)(*q++ - '0');
        if (q > ds && (q - ds == 1 || *ds != '0') &&
            (q == end || ((unsigned)(*q - '0') > 9 && *q != '.' && (*q | 0x20) != 'e')) &&
            m <= (*p == '-' ? n->neg_max : n->pos_max)) {
            int64_t v = *p == '-' ? (int64_t)(~m + 1) : (int64_t)m;
            if (n->physical == FLOE_PQ_INT32) floe_pq_write_i32(c->w, n->leaf, (int32_t)v, rep);
            else floe_pq_write_i64(c->w, n->leaf, v, rep);
            return q;
        }
        break;
    }
    case V_DOUBLE: {
        double d;
        if ((q = fast_double(p, end, &d))) {
            floe_pq_write_double(c->w, n->leaf, d, rep);
            return q;
        }
        break;
    }
    case V_TIMESTAMP: {
        int64_t v;
        if (*p != '"') break;
        if (!(q = scan_string(c, p + 1, &esc))) return NULL;
        if (esc || floe_parse_timestamp(p + 1, (size_t)(q - p - 1), n->unit, &v)) break;
        floe_pq_write_i64(c->w, n->leaf, v, rep);
        return q + 1;
    }
    default: break;
    }
    if (*p == 'n') return shred_null(c, n, p, rep);
    tok t;
    if (!(p = scan_token(c, p, &t))) return NULL;
    return write_leaf(c, n, &t, 0, rep) ? NULL : p;
}

/* Whether the field name at p (after its quote) is the expected one, colon
 * included: two masked words, or bytes near the end of the line. */
static HOT_INLINE int key_is(const char *p, const char *end, const expect *e) {
    if (end - p >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        return (((a ^ e->kw[0]) & e->km[0]) | ((b ^ e->kw[1]) & e->km[1])) == 0;
    }
    if (end - p < e->klen) return 0;
    uint8_t pat[16];
    memcpy(pat, e->kw, sizeof pat); /* the same byte order as the loads above */
    for (int i = 0; i < e->klen; i++)
        if ((uint8_t)p[i] != pat[i]) return 0;
    return 1;
}

static const char *shred_struct(cur *c, plan *n, const char *p, int rep) {
    const char *end = c->end;
    if (*p != '{') return wrong_container(c, p, "object");
    p = skip_ws(p + 1, end);
    int nseen = 0, slot = 0;
    uint64_t seen1 = 0, *seen = n->nkids <= 64 ? &seen1 : n->seen;
    if (seen != &seen1) memset(seen, 0, sizeof(uint64_t) * (size_t)((n->nkids + 63) / 64));
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            const expect *e = &n->succ[slot];
            int j;
            if (p >= end || *p != '"') return unexpected(c, p);
            if (e->klen && key_is(p + 1, end, e)) {
                /* the expected field, compact: no scan, no lookup */
                j = e->kid;
                p = skip_ws(p + 1 + e->klen, end);
                slot = j + 1;
            } else {
                int esc;
                const char *kp = p + 1, *q = scan_string(c, kp, &esc);
                if (!q) return NULL;
                size_t kn = (size_t)(q - kp);
                if (esc) {
                    decode_string(kp, kn, &c->s->kbuf);
                    kp = (const char *)c->s->kbuf.data;
                    kn = c->s->kbuf.len;
                }
                p = skip_ws(q + 1, end);
                if (p >= end || *p != ':') return unexpected(c, p);
                p = skip_ws(p + 1, end);
                if ((j = lookup(c->s, n, kp, kn, &slot)) < 0) {
                    if (c->s->strict_fields && !says_nothing(p, end)) {
                        fail(c, E_FIELD, "not in the table's schema");
                        c->not_in_schema = 1;
                        path_prepend(c, kp, kn, 1);
                        return NULL;
                    }
                    c->unknown++;
                    if (!(p = skip_value(c, p))) return NULL;
                }
            }
            if (j >= 0) {
                plan *kid = n->kids[j];
                uint64_t bit = 1ULL << (j & 63);
                if (seen[j >> 6] & bit) {
                    fail(c, E_FIELD, "field appears twice in the object");
                    path_field(c, kid);
                    return NULL;
                }
                seen[j >> 6] |= bit;
                nseen++;
                if (!(p = kid->kind == P_LEAF ? shred_leaf(c, kid, p, rep) : shred(c, kid, p, rep))) {
                    path_field(c, kid);
                    return NULL;
                }
            }
            int done;
            if (!(p = next_member(c, p, '}', &done))) return NULL;
            if (done) break;
        }
    }
    if (nseen < n->nkids) {
        for (int j = 0; j < n->nkids; j++) {
            if (seen[j >> 6] & (1ULL << (j & 63))) continue;
            plan *kid = n->kids[j];
            if (!kid->nullable) {
                fail(c, E_FIELD, "required field is missing");
                path_field(c, kid);
                return NULL;
            }
            write_nulls(c, kid, kid->null_def, rep);
        }
    }
    return p;
}

static const char *shred_list(cur *c, plan *n, const char *p, int rep) {
    const char *end = c->end;
    if (*p != '[') return wrong_container(c, p, "array");
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        write_nulls(c, n, n->empty_def, rep);
        return p + 1;
    }
    for (size_t i = 0;; i++) {
        if (!(p = shred(c, n->elem, p, i ? n->rep_level : rep))) {
            path_index(c, i);
            return NULL;
        }
        int done;
        if (!(p = next_member(c, p, ']', &done)) || done) return p;
    }
}

static const char *shred_map(cur *c, plan *n, const char *p, int rep) {
    const char *end = c->end;
    if (*p != '{') return wrong_container(c, p, "object");
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        write_nulls(c, n, n->empty_def, rep);
        return p + 1;
    }
    for (int i = 0;; i++) {
        int r = i ? n->rep_level : rep;
        tok k;
        if (p >= end || *p != '"') return unexpected(c, p);
        if (!(p = scan_token(c, p, &k))) return NULL;
        if (write_leaf(c, n->key, &k, 1, r)) {
            path_prepend(c, k.s, k.n, 1);
            return NULL;
        }
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return unexpected(c, p);
        p = skip_ws(p + 1, end);
        if (!(p = shred(c, n->val, p, r))) {
            path_prepend(c, k.s, k.n, 1);
            return NULL;
        }
        int done;
        if (!(p = next_member(c, p, '}', &done)) || done) return p;
    }
}

/* Shreds the value at p (after whitespace) into plan node n. */
static const char *shred(cur *c, plan *n, const char *p, int rep) {
    if (p >= c->end) return unexpected(c, p);
    if (n->kind == P_LEAF) return shred_leaf(c, n, p, rep);
    if (*p == 'n') return shred_null(c, n, p, rep);
    switch (n->kind) {
    case P_STRUCT: return shred_struct(c, n, p, rep);
    case P_LIST: return shred_list(c, n, p, rep);
    default: return shred_map(c, n, p, rep);
    }
}

/* ---- the record template -------------------------------------------------
 * The records of a stream nearly always have the same fields in the same
 * order, written compactly.  The field orders the structs last saw (their
 * succ chains) then spell one fixed sequence of steps: match a field's
 * name, shred its value, expect ',' or '}'; step into and out of nested
 * structs.  Following it skips the general loop's bookkeeping (which field,
 * was it seen, which are missing): a record that matches it to the end has
 * every field exactly once, in that order, so the general path would have
 * made exactly the same writes.  At the first difference (another order, a
 * missing or unknown field, whitespace, a bad value) the record's writes
 * are undone and the general path shreds it from the start; after a miss
 * the template rests for a number of records that doubles with each
 * consecutive miss (up to 1024), so that streams it does not fit pay
 * little for it.  It is rebuilt when a struct learns another field order. */

#define TMPL_MAX_BACKOFF 1024

static step *tmpl_push(floe_ndjson *s) {
    if (s->ntmpl == s->tmpl_cap) {
        s->tmpl_cap = s->tmpl_cap ? 2 * s->tmpl_cap : 32;
        s->tmpl = floe_xrealloc(s->tmpl, sizeof *s->tmpl * (size_t)s->tmpl_cap);
    }
    step *st = &s->tmpl[s->ntmpl++];
    memset(st, 0, sizeof *st);
    return st;
}

/* Appends the steps of struct n's fields in the order of its succ chain;
 * -1 when that order does not name every field once, or a name has no fast
 * pattern: such structs get no template. */
static int tmpl_struct(floe_ndjson *s, const plan *n, char after) {
    uint64_t used = 0;
    int slot = 0;
    if (n->nkids == 0) return -1;
    for (int k = 0; k < n->nkids; k++) {
        const expect *e = &n->succ[slot];
        int j = e->kid;
        if (j < 0 || !e->klen || j >= 64 || (used & (1ULL << j))) return -1;
        used |= 1ULL << j;
        plan *kid = n->kids[j];
        char sep = k + 1 < n->nkids ? ',' : '}';
        step *st = tmpl_push(s);
        st->key = *e;
        if (kid->kind == P_STRUCT) {
            st->op = S_OPEN;
            if (tmpl_struct(s, kid, sep)) return -1;
        } else {
            st->op = kid->kind == P_LEAF ? S_LEAF : S_OTHER;
            st->node = kid;
            st->after = sep;
        }
        slot = j + 1;
    }
    /* a nested struct's closing brace is its last field's `after`; then
     * comes the byte after the struct itself */
    if (after) {
        step *st = tmpl_push(s);
        st->op = S_CLOSE;
        st->after = after;
    }
    return 0;
}

static void tmpl_build(floe_ndjson *s) {
    s->ntmpl = 0;
    s->tmpl_ok = tmpl_struct(s, s->root, 0) == 0;
    s->tmpl_version = s->order_version;
}

/* Shreds the object at p by the template; the byte after it, or NULL where
 * the record leaves the template (its writes are then to be undone). */
static const char *tmpl_run(cur *c, const char *p) {
    const char *end = c->end;
    const step *st = c->s->tmpl, *last = st + c->s->ntmpl;
    if (*p++ != '{') return NULL;
    for (; st < last; st++) {
        if (st->op == S_CLOSE) {
            if (p >= end || *p != st->after) return NULL;
            p++;
            continue;
        }
        if (p >= end || *p != '"' || !key_is(p + 1, end, &st->key)) return NULL;
        p += 1 + st->key.klen;
        if (p >= end) return NULL;
        if (st->op == S_OPEN) {
            if (*p++ != '{') return NULL;
            continue;
        }
        p = st->op == S_LEAF ? shred_leaf(c, st->node, p, 0) : shred(c, st->node, p, 0);
        if (!p || p >= end || *p != st->after) return NULL;
        p++;
    }
    return p;
}

/* One line: 0 written or blank, 1 bad record (err set, row discarded), -1
 * writer failure. */
static int shred_record(floe_ndjson *s, const char *line, size_t len, int64_t lineno, floe_err *err) {
    cur c;
    c.start = line;
    c.end = line + len;
    c.s = s;
    c.w = s->w;
    c.unknown = 0;
    clear_error(&c);
    const char *p = skip_ws(line, c.end);
    if (p == c.end) return 0;
    if (*p == '{' && s->tmpl_skip) {
        s->tmpl_skip--;
    } else if (*p == '{') {
        if (s->tmpl_version != s->order_version) tmpl_build(s);
        if (s->tmpl_ok) {
            const char *q = tmpl_run(&c, p);
            if (q && skip_ws(q, c.end) == c.end) {
                s->tmpl_backoff = 0;
                if (floe_pq_writer_end_row(s->w, err)) return -1;
                s->rows++;
                return 0;
            }
            /* off the template: undo, rest it, and take the general path */
            floe_pq_writer_abort_row(s->w);
            s->tmpl_backoff = s->tmpl_backoff ? 2 * s->tmpl_backoff : 1;
            if (s->tmpl_backoff > TMPL_MAX_BACKOFF) s->tmpl_backoff = TMPL_MAX_BACKOFF;
            s->tmpl_skip = s->tmpl_backoff;
            clear_error(&c);
        }
    }
    if (*p == '{') {
        p = shred_struct(&c, s->root, p, 0);
        if (p) {
            p = skip_ws(p, c.end);
            if (p != c.end) p = unexpected(&c, p);
        }
    } else {
        tok t;
        char b[SHOW_MAX + 32];
        if (scan_token(&c, p, &t)) fail(&c, E_RECORD, "expected a JSON object, got %s", describe(&t, b, sizeof b));
        p = NULL;
    }
    if (!p) {
        floe_pq_writer_abort_row(s->w);
        if (c.ekind == E_FIELD) {
            const char *path = c.path + c.ppos;
            if (*path == '.') path++;
            floe_err_set(err, c.not_in_schema ? FLOE_ENOTFOUND : FLOE_EINVAL, "line %lld: field '%s': %s",
                         (long long)lineno, path, c.what);
        } else {
            floe_err_set(err, FLOE_EINVAL, "line %lld: %s", (long long)lineno, c.what);
        }
        return 1;
    }
    if (floe_pq_writer_end_row(s->w, err)) return -1;
    s->rows++;
    s->unknown += c.unknown;
    return 0;
}

int floe_ndjson_write(floe_ndjson *s, const char *line, size_t len, int64_t lineno, floe_err *err) {
    return shred_record(s, line, len, lineno, err) ? -1 : 0;
}

/* ---- streams -------------------------------------------------------------- */

typedef struct fd_ctx {
    floe_ndjson *s;
    const char *name;
    floe_ndjson_bad_fn on_bad;
    void *ctx;
    floe_err *err;
} fd_ctx;

/* Hands a bad record to on_bad; -1 when the read must stop (err set). */
static int bad_record(fd_ctx *f, int64_t lineno, const char *line, size_t len, const floe_err *why) {
    if (f->on_bad && f->on_bad(f->ctx, lineno, line, len, why) == 0) {
        f->s->bad++;
        return 0;
    }
    *f->err = *why;
    if (f->name) floe_err_prefix(f->err, "%s", f->name);
    return -1;
}

static int fd_line(fd_ctx *f, const char *line, size_t len, int64_t lineno) {
    floe_err why;
    floe_err_clear(&why);
    if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    int rc = shred_record(f->s, line, len, lineno, &why);
    if (rc == 0) return 0;
    if (rc > 0) return bad_record(f, lineno, line, len, &why);
    *f->err = why;
    if (f->name) floe_err_prefix(f->err, "%s", f->name);
    return -1;
}

static int too_long(fd_ctx *f, const char *line, size_t len, int64_t lineno) {
    floe_err why;
    floe_err_set(&why, FLOE_EINVAL, "line %lld: longer than %zu bytes", (long long)lineno, f->s->max_line);
    return bad_record(f, lineno, line, len, &why);
}

int floe_ndjson_write_fd(floe_ndjson *s, int fd, const char *name, floe_ndjson_bad_fn on_bad, void *ctx,
                         floe_err *err) {
    fd_ctx f = {s, name, on_bad, ctx, err};
    floe_buf *b = &s->rbuf;
    size_t have = 0, lstart = 0, scanned = 0; /* buffered bytes, current line start, bytes searched for '\n' */
    int64_t lineno = 0;
    int eof = 0, discarding = 0; /* discarding: the rest of a too-long line */
    for (;;) {
        char *data = (char *)b->data;
        for (;;) {
            char *nl = have > scanned ? memchr(data + scanned, '\n', have - scanned) : NULL;
            if (!nl) break;
            size_t len = (size_t)(nl - data) - lstart;
            lineno++;
            if (discarding) discarding = 0;
            else if (len > s->max_line ? too_long(&f, data + lstart, s->max_line, lineno)
                                       : fd_line(&f, data + lstart, len, lineno))
                return -1;
            lstart = scanned = (size_t)(nl - data) + 1;
        }
        scanned = have;
        size_t pend = have - lstart;
        if (!discarding && pend > s->max_line) {
            if (too_long(&f, data + lstart, s->max_line, lineno + 1)) return -1;
            discarding = 1;
        }
        if (discarding) pend = 0;
        if (eof) {
            if (pend && fd_line(&f, data + lstart, pend, ++lineno)) return -1;
            return 0;
        }
        if (lstart) memmove(data, data + lstart, pend);
        have = scanned = pend;
        lstart = 0;
        b->len = have;
        floe_buf_reserve(b, READ_BLOCK);
        ssize_t got;
        do got = read(fd, b->data + have, b->cap - have);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return floe_err_set(err, FLOE_EIO, "%s%sread failed after line %lld: %s", name ? name : "", name ? ": " : "",
                                (long long)lineno, strerror(errno));
        if (got == 0) eof = 1;
        have += (size_t)got;
    }
}

/* ---- compiling the schema ------------------------------------------------- */

static int schema_error(floe_err *err, int code, const floe_pq_node *nd, const char *what) {
    char path[512];
    floe_pq_node_path(nd, path, sizeof path);
    return floe_err_set(err, code, "field '%s': %s", path, what);
}

/* The field-name pattern key_is compares: name, quote, colon. */
static void key_pattern(plan *n) {
    uint8_t pat[16] = {0}, mask[16] = {0};
    n->field.kid = -1; /* set by compile_struct */
    if (n->name_len + 2 > sizeof pat) return;
    for (size_t i = 0; i < n->name_len; i++) {
        unsigned char ch = (unsigned char)n->name[i];
        if (ch < 0x20 || ch == '"' || ch == '\\') return; /* spelled with escapes in JSON */
    }
    if (!floe_utf8_valid((const uint8_t *)n->name, n->name_len)) return;
    memcpy(pat, n->name, n->name_len);
    pat[n->name_len] = '"';
    pat[n->name_len + 1] = ':';
    memset(mask, 0xFF, n->name_len + 2);
    memcpy(n->field.kw, pat, sizeof pat); /* same byte order as key_is's loads */
    memcpy(n->field.km, mask, sizeof mask);
    n->field.klen = (int)n->name_len + 2;
}

static plan *plan_new(floe_ndjson *s, const floe_pq_node *nd, int kind) {
    plan *n = floe_arena_alloc(&s->arena, sizeof *n);
    memset(n, 0, sizeof *n); /* arena memory is not zeroed */
    n->kind = kind;
    n->name = nd->name;
    n->name_len = strlen(nd->name);
    n->first_leaf = nd->first_leaf;
    n->nleaves = nd->nleaves;
    n->null_def = nd->parent ? nd->parent->max_def : 0;
    n->leaf = -1;
    key_pattern(n);
    return n;
}

/* Largest decimal precision a FIXED_LEN_BYTE_ARRAY of n bytes holds. */
static int fixed_max_precision(int32_t n) {
    static const int digits[17] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
    return n >= 16 ? 38 : digits[n];
}

static void set_int_range(plan *n, int bits, int is_signed) {
    n->vk = V_INT;
    if (is_signed) {
        n->pos_max = (1ULL << (bits - 1)) - 1;
        n->neg_max = 1ULL << (bits - 1);
        snprintf(n->expect, sizeof n->expect, "%s", bits == 32 ? "int" : bits == 64 ? "long" : bits == 16 ? "int16" : "int8");
    } else {
        n->pos_max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
        n->neg_max = 0;
        snprintf(n->expect, sizeof n->expect, "uint%d", bits);
    }
}

static int compile_leaf(plan *n, const floe_pq_node *nd, floe_err *err) {
    int lt = nd->logical.kind, ct = nd->converted, ph = nd->physical;
    n->leaf = nd->leaf_index;
    n->physical = ph;
    n->flen = ph == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ? nd->type_length : 0;
    if (lt == FLOE_PQ_LT_DECIMAL || (lt == FLOE_PQ_LT_NONE && ct == FLOE_PQ_CT_DECIMAL)) {
        n->vk = V_DECIMAL;
        n->precision = lt == FLOE_PQ_LT_DECIMAL ? nd->logical.precision : nd->precision;
        n->scale = lt == FLOE_PQ_LT_DECIMAL ? nd->logical.scale : nd->scale;
        int maxp = ph == FLOE_PQ_INT32 ? 9 : ph == FLOE_PQ_INT64 ? 18 : ph == FLOE_PQ_FIXED_LEN_BYTE_ARRAY ? fixed_max_precision(n->flen)
                 : ph == FLOE_PQ_BYTE_ARRAY ? 38 : 0;
        if (!maxp) return schema_error(err, FLOE_EINVAL, nd, "DECIMAL on a physical type that cannot hold it");
        if (n->precision < 1 || n->scale < 0 || n->scale > n->precision)
            return schema_error(err, FLOE_EINVAL, nd, "DECIMAL with an invalid precision or scale");
        if (n->precision > maxp) {
            if (maxp == 38 && ph != FLOE_PQ_INT32 && ph != FLOE_PQ_INT64)
                return schema_error(err, FLOE_EUNSUPPORTED, nd, "DECIMAL precision above 38");
            return schema_error(err, FLOE_EINVAL, nd, "DECIMAL precision too large for its physical type");
        }
        snprintf(n->expect, sizeof n->expect, "decimal(%d,%d)", (int)n->precision, (int)n->scale);
        return 0;
    }
    switch (ph) {
    case FLOE_PQ_BOOLEAN:
        n->vk = V_BOOL;
        snprintf(n->expect, sizeof n->expect, "boolean");
        return 0;
    case FLOE_PQ_INT32:
        if (lt == FLOE_PQ_LT_DATE || (lt == FLOE_PQ_LT_NONE && ct == FLOE_PQ_CT_DATE)) {
            set_int_range(n, 32, 1);
            n->vk = V_DATE;
            snprintf(n->expect, sizeof n->expect, "date");
            return 0;
        }
        if ((lt == FLOE_PQ_LT_TIME && nd->logical.unit == FLOE_PQ_UNIT_MILLIS) ||
            (lt == FLOE_PQ_LT_NONE && ct == FLOE_PQ_CT_TIME_MILLIS)) {
            n->vk = V_TIME;
            n->unit = FLOE_UNIT_MILLIS;
            n->pos_max = 86400000 - 1;
            n->neg_max = 0;
            snprintf(n->expect, sizeof n->expect, "time");
            return 0;
        }
        if (lt == FLOE_PQ_LT_INTEGER && nd->logical.bit_width <= 32 &&
            (nd->logical.bit_width == 8 || nd->logical.bit_width == 16 || nd->logical.bit_width == 32)) {
            set_int_range(n, nd->logical.bit_width, nd->logical.is_signed);
            return 0;
        }
        if (lt == FLOE_PQ_LT_NONE) {
            switch (ct) {
            case FLOE_PQ_CT_NONE: case FLOE_PQ_CT_INT_32: set_int_range(n, 32, 1); return 0;
            case FLOE_PQ_CT_INT_8: set_int_range(n, 8, 1); return 0;
            case FLOE_PQ_CT_INT_16: set_int_range(n, 16, 1); return 0;
            case FLOE_PQ_CT_UINT_8: set_int_range(n, 8, 0); return 0;
            case FLOE_PQ_CT_UINT_16: set_int_range(n, 16, 0); return 0;
            case FLOE_PQ_CT_UINT_32: set_int_range(n, 32, 0); return 0;
            default: break;
            }
        }
        break;
    case FLOE_PQ_INT64: {
        int tunit = lt == FLOE_PQ_LT_TIME || lt == FLOE_PQ_LT_TIMESTAMP ? nd->logical.unit : 0;
        if ((lt == FLOE_PQ_LT_TIME && (tunit == FLOE_PQ_UNIT_MICROS || tunit == FLOE_PQ_UNIT_NANOS)) ||
            (lt == FLOE_PQ_LT_NONE && ct == FLOE_PQ_CT_TIME_MICROS)) {
            n->vk = V_TIME;
            n->unit = lt == FLOE_PQ_LT_NONE ? FLOE_UNIT_MICROS : tunit;
            n->pos_max = (n->unit == FLOE_UNIT_NANOS ? 86400000000000ULL : 86400000000ULL) - 1;
            n->neg_max = 0;
            snprintf(n->expect, sizeof n->expect, "time");
            return 0;
        }
        if ((lt == FLOE_PQ_LT_TIMESTAMP && tunit >= FLOE_PQ_UNIT_MILLIS && tunit <= FLOE_PQ_UNIT_NANOS) ||
            (lt == FLOE_PQ_LT_NONE && (ct == FLOE_PQ_CT_TIMESTAMP_MILLIS || ct == FLOE_PQ_CT_TIMESTAMP_MICROS))) {
            set_int_range(n, 64, 1);
            n->vk = V_TIMESTAMP;
            n->unit = lt == FLOE_PQ_LT_TIMESTAMP ? tunit
                    : ct == FLOE_PQ_CT_TIMESTAMP_MILLIS ? FLOE_UNIT_MILLIS : FLOE_UNIT_MICROS;
            snprintf(n->expect, sizeof n->expect, "timestamp");
            return 0;
        }
        if (lt == FLOE_PQ_LT_INTEGER && nd->logical.bit_width == 64) {
            set_int_range(n, 64, nd->logical.is_signed);
            return 0;
        }
        if (lt == FLOE_PQ_LT_NONE && (ct == FLOE_PQ_CT_NONE || ct == FLOE_PQ_CT_INT_64 || ct == FLOE_PQ_CT_UINT_64)) {
            set_int_range(n, 64, ct != FLOE_PQ_CT_UINT_64);
            return 0;
        }
        break;
    }
    case FLOE_PQ_FLOAT:
    case FLOE_PQ_DOUBLE:
        if (lt != FLOE_PQ_LT_NONE) break;
        n->vk = ph == FLOE_PQ_FLOAT ? V_FLOAT : V_DOUBLE;
        snprintf(n->expect, sizeof n->expect, "%s", ph == FLOE_PQ_FLOAT ? "float" : "double");
        return 0;
    case FLOE_PQ_BYTE_ARRAY:
        if (lt == FLOE_PQ_LT_STRING || lt == FLOE_PQ_LT_ENUM || lt == FLOE_PQ_LT_JSON ||
            (lt == FLOE_PQ_LT_NONE && (ct == FLOE_PQ_CT_UTF8 || ct == FLOE_PQ_CT_ENUM || ct == FLOE_PQ_CT_JSON))) {
            n->vk = V_STRING;
            snprintf(n->expect, sizeof n->expect, "string");
            return 0;
        }
        if (lt == FLOE_PQ_LT_NONE || lt == FLOE_PQ_LT_BSON || lt == FLOE_PQ_LT_GEOMETRY || lt == FLOE_PQ_LT_GEOGRAPHY) {
            n->vk = V_BINARY;
            snprintf(n->expect, sizeof n->expect, "base64 binary");
            return 0;
        }
        break;
    case FLOE_PQ_FIXED_LEN_BYTE_ARRAY:
        if (lt == FLOE_PQ_LT_UUID) {
            if (n->flen != 16) return schema_error(err, FLOE_EINVAL, nd, "UUID must be FIXED_LEN_BYTE_ARRAY(16)");
            n->vk = V_UUID;
            snprintf(n->expect, sizeof n->expect, "uuid");
            return 0;
        }
        if (lt == FLOE_PQ_LT_NONE && ct == FLOE_PQ_CT_NONE) {
            n->vk = V_BINARY;
            snprintf(n->expect, sizeof n->expect, "base64 fixed[%d]", (int)n->flen);
            return 0;
        }
        break;
    default: break;
    }
    char what[128];
    snprintf(what, sizeof what, "NDJSON input cannot fill a %s column with this annotation (logical %d, converted %d)",
             floe_pq_physical_name(ph), lt, ct);
    return schema_error(err, FLOE_EUNSUPPORTED, nd, what);
}

static plan *compile(floe_ndjson *s, const floe_pq_node *nd, int as_item, floe_err *err);

static int is_list(const floe_pq_node *nd) {
    return nd->logical.kind == FLOE_PQ_LT_LIST || (nd->logical.kind == FLOE_PQ_LT_NONE && nd->converted == FLOE_PQ_CT_LIST);
}

static int is_map(const floe_pq_node *nd) {
    return nd->logical.kind == FLOE_PQ_LT_MAP ||
           (nd->logical.kind == FLOE_PQ_LT_NONE && (nd->converted == FLOE_PQ_CT_MAP || nd->converted == FLOE_PQ_CT_MAP_KEY_VALUE));
}

/* LIST: the element follows the Parquet spec's backward-compatibility rules
 * (a repeated leaf, a repeated group of several fields, or one named "array"
 * or "<list>_tuple" is itself the element; otherwise 3-level). */
static int compile_list(floe_ndjson *s, plan *n, const floe_pq_node *nd, floe_err *err) {
    if (nd->nchildren != 1 || nd->children[0]->repetition != FLOE_PQ_REPEATED)
        return schema_error(err, FLOE_EINVAL, nd, "LIST group must have exactly one repeated child");
    const floe_pq_node *r = nd->children[0], *e;
    size_t nl = strlen(nd->name);
    if (!r->is_group || r->nchildren > 1 || strcmp(r->name, "array") == 0 ||
        (strlen(r->name) == nl + 6 && strncmp(r->name, nd->name, nl) == 0 && strcmp(r->name + nl, "_tuple") == 0))
        e = r;
    else
        e = r->children[0];
    n->kind = P_LIST;
    n->empty_def = r->max_def - 1;
    n->rep_level = r->max_rep;
    n->elem = compile(s, e, e == r, err);
    return n->elem ? 0 : -1;
}

static int compile_map(floe_ndjson *s, plan *n, const floe_pq_node *nd, floe_err *err) {
    const floe_pq_node *kv = nd->nchildren == 1 ? nd->children[0] : NULL;
    if (!kv || kv->repetition != FLOE_PQ_REPEATED || !kv->is_group || kv->nchildren != 2)
        return schema_error(err, FLOE_EINVAL, nd, "MAP group must have one repeated group of key and value");
    if (kv->children[0]->is_group) return schema_error(err, FLOE_EUNSUPPORTED, kv->children[0], "map keys must be primitive");
    n->kind = P_MAP;
    n->empty_def = kv->max_def - 1;
    n->rep_level = kv->max_rep;
    n->key = plan_new(s, kv->children[0], P_LEAF);
    if (compile_leaf(n->key, kv->children[0], err)) return -1;
    n->val = compile(s, kv->children[1], 0, err);
    return n->val ? 0 : -1;
}

static int compile_struct(floe_ndjson *s, plan *n, const floe_pq_node *nd, floe_err *err) {
    n->kind = P_STRUCT;
    n->nkids = nd->nchildren;
    n->kids = floe_arena_alloc(&s->arena, sizeof(plan *) * (size_t)(n->nkids + 1));
    n->seen = floe_arena_alloc(&s->arena, sizeof(uint64_t) * (size_t)((n->nkids + 63) / 64 + 1));
    n->succ = floe_arena_alloc(&s->arena, sizeof(expect) * (size_t)(n->nkids + 1));
    uint32_t cap = 4;
    while (cap < 2 * (uint32_t)n->nkids) cap *= 2;
    n->hmask = cap - 1;
    n->hash = floe_arena_alloc(&s->arena, sizeof(int) * cap);
    for (uint32_t i = 0; i < cap; i++) n->hash[i] = -1;
    for (int j = 0; j < n->nkids; j++) {
        if (!(n->kids[j] = compile(s, nd->children[j], 0, err))) return -1;
        plan *k = n->kids[j];
        k->field.kid = j;
        uint32_t i = name_hash(k->name, k->name_len) & n->hmask;
        while (n->hash[i] >= 0) i = (i + 1) & n->hmask;
        n->hash[i] = j;
        /* Before any record, expect the schema's order. */
        n->succ[j] = k->field;
    }
    memset(&n->succ[n->nkids], 0, sizeof(expect));
    n->succ[n->nkids].kid = -1;
    return 0;
}

static plan *compile(floe_ndjson *s, const floe_pq_node *nd, int as_item, floe_err *err) {
    plan *n = plan_new(s, nd, P_LEAF);
    int rc;
    if (nd->repetition == FLOE_PQ_REPEATED && !as_item) {
        /* An un-annotated repeated field: a list of the node itself. */
        n->kind = P_LIST;
        n->nullable = 1;
        n->empty_def = nd->max_def - 1;
        n->rep_level = nd->max_rep;
        n->elem = compile(s, nd, 1, err);
        return n->elem ? n : NULL;
    }
    n->nullable = !as_item && nd->repetition == FLOE_PQ_OPTIONAL;
    if (!nd->is_group) rc = compile_leaf(n, nd, err);
    else if (is_list(nd)) rc = compile_list(s, n, nd, err);
    else if (is_map(nd)) rc = compile_map(s, n, nd, err);
    else rc = compile_struct(s, n, nd, err);
    return rc ? NULL : n;
}

/* ---- lifecycle ------------------------------------------------------------ */

floe_ndjson *floe_ndjson_new(const floe_pq_schema *schema, floe_pq_writer *w, floe_err *err) {
    floe_ndjson *s = floe_xcalloc(1, sizeof *s);
    s->w = w;
    s->max_line = DEFAULT_MAX_LINE;
    s->order_version = 1; /* the template is built with the first record */
    floe_arena_init(&s->arena, 16384);
    if (!(s->root = compile(s, schema->root, 1, err))) {
        floe_ndjson_free(s);
        return NULL;
    }
    return s;
}

void floe_ndjson_set_writer(floe_ndjson *s, floe_pq_writer *w) { s->w = w; }
void floe_ndjson_set_lenient(floe_ndjson *s, int on) { s->lenient = on != 0; }

void floe_ndjson_set_ignore_case(floe_ndjson *s, int on) { s->ignore_case = on != 0; }

void floe_ndjson_set_strict_fields(floe_ndjson *s, int on) { s->strict_fields = on != 0; }

void floe_ndjson_set_max_line(floe_ndjson *s, size_t bytes) { s->max_line = bytes ? bytes : 1; }
int64_t floe_ndjson_rows(const floe_ndjson *s) { return s->rows; }
int64_t floe_ndjson_unknown_fields(const floe_ndjson *s) { return s->unknown; }
int64_t floe_ndjson_bad_records(const floe_ndjson *s) { return s->bad; }

void floe_ndjson_free(floe_ndjson *s) {
    if (!s) return;
    floe_arena_free(&s->arena);
    floe_buf_free(&s->kbuf);
    floe_buf_free(&s->tbuf);
    floe_buf_free(&s->sbuf);
    floe_buf_free(&s->rbuf);
    free(s->tmpl);
    free(s);
}
