/*
 * json_scan.c — member spans and string text of JSON without a tree (see
 * json_scan.h).  The walker steps over values by their first character:
 * strings by their quotes and escapes, objects and arrays by bracket depth
 * (strings inside skipped whole), scalars up to the next delimiter.
 */
#include "format/json/json_scan.h"

#include <stdint.h>
#include <string.h>

#include "util/text.h"

static size_t skip_ws(const char *s, size_t i, size_t n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Index one past the string literal starting at s[i] == '"', or 0. */
static size_t skip_string(const char *s, size_t i, size_t n) {
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }
        if (s[i] == '"') return i + 1;
    }
    return 0;
}

/* Index one past the value starting at s[i], or 0 when malformed. */
static size_t skip_value(const char *s, size_t i, size_t n) {
    if (i >= n) return 0;
    if (s[i] == '"') return skip_string(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i, n);
                if (!i) return 0;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            i++;
        }
        return 0;
    }
    size_t start = i;
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
           s[i] != '\r')
        i++;
    return i > start ? i : 0;
}

/* Looks up key k[0..kn) in the object text[0..len) (starting at '{'). */
static int find_key(const char *s, size_t n, const char *k, size_t kn, const char **val, size_t *vlen) {
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{') return -1;
    i = skip_ws(s, i + 1, n);
    if (i < n && s[i] == '}') return 0;
    floe_buf tmp;
    floe_buf_init(&tmp);
    int rc = -1;
    while (i < n) {
        if (s[i] != '"') break;
        size_t kend = skip_string(s, i, n);
        if (!kend) break;
        /* Compare the key; escaped keys are decoded first (rare). */
        const char *key = s + i + 1;
        size_t klen = kend - i - 2;
        int match;
        if (memchr(key, '\\', klen)) {
            tmp.len = 0;
            if (floe_json_string_text(s + i, kend - i, &tmp)) break;
            match = tmp.len == kn && memcmp(tmp.data, k, kn) == 0;
        } else {
            match = klen == kn && memcmp(key, k, kn) == 0;
        }
        i = skip_ws(s, kend, n);
        if (i >= n || s[i] != ':') break;
        i = skip_ws(s, i + 1, n);
        size_t vend = skip_value(s, i, n);
        if (!vend) break;
        if (match) {
            *val = s + i;
            *vlen = vend - i;
            rc = 1;
            break;
        }
        i = skip_ws(s, vend, n);
        if (i < n && s[i] == ',') {
            i = skip_ws(s, i + 1, n);
            continue;
        }
        if (i < n && s[i] == '}') rc = 0;
        break;
    }
    floe_buf_free(&tmp);
    return rc;
}

int floe_json_member(const char *text, size_t len, const char *path, const char **val, size_t *vlen) {
    const char *s = text;
    size_t n = len;
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t kn = dot ? (size_t)(dot - path) : strlen(path);
        const char *v;
        size_t vl;
        int rc = find_key(s, n, path, kn, &v, &vl);
        if (rc != 1) return rc;
        if (!dot) {
            *val = v;
            *vlen = vl;
            return 1;
        }
        if (vl == 0 || v[0] != '{') return 0;
        s = v;
        n = vl;
        path = dot + 1;
    }
}

static int hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

int floe_json_string_text(const char *s, size_t n, floe_buf *out) {
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') return -1;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c != '\\') {
            if ((unsigned char)c < 0x20) return -1;
            floe_buf_putc(out, (uint8_t)c);
            continue;
        }
        if (++i >= n - 1) return -1;
        char e = s[i];
        switch (e) {
        case '"': case '\\': case '/': floe_buf_putc(out, (uint8_t)e); break;
        case 'b': floe_buf_putc(out, '\b'); break;
        case 'f': floe_buf_putc(out, '\f'); break;
        case 'n': floe_buf_putc(out, '\n'); break;
        case 'r': floe_buf_putc(out, '\r'); break;
        case 't': floe_buf_putc(out, '\t'); break;
        case 'u': {
            uint32_t cp;
            if (i + 4 >= n || hex4(s + i + 1, &cp)) return -1;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (i + 6 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' || hex4(s + i + 3, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            floe_utf8_put(out, cp);
            break;
        }
        default: return -1;
        }
    }
    return 0;
}

int floe_json_is_object(const char *s, size_t n) {
    size_t i = skip_ws(s, 0, n);
    size_t j = n;
    while (j > i && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '\n' || s[j - 1] == '\r')) j--;
    return j - i >= 2 && s[i] == '{' && s[j - 1] == '}';
}
