/*
 * text.c — the textual forms of values (see text.h and docs/ndjson.md).
 *
 * Dates and timestamps use Howard Hinnant's days_from_civil/civil_from_days
 * (proleptic Gregorian, any int64 day count) and are formatted and parsed
 * with hand-written digit code: `floe parquet cat` formats millions of them
 * and the NDJSON scanner parses them at input speed, where sscanf/strftime
 * and their locale and time-zone machinery would dominate.
 *
 * Doubles and floats print as the shortest %g text that reads back to the
 * same value: for normal numbers that is %.15g (%.6g for floats) whenever it
 * round-trips, since any shorter round-tripping decimal is that text with
 * its trailing zeros removed, which %g already does; otherwise 16 then 17
 * digits (7 to 9 for floats).  Subnormals have fewer significant digits, so
 * they search from 1 digit up.  The C locale is assumed (the library never
 * calls setlocale), so the radix character is '.'.
 *
 * Decimals are arbitrary-width two's-complement integers (up to 32 bytes);
 * they are converted through little-endian 32-bit limbs, dividing by 1e9 to
 * print and multiplying by 10 to parse.
 */
#include "util/text.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- base64 ------------------------------------------------------------- */

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void floe_base64_encode(const uint8_t *p, size_t n, floe_buf *out) {
    if (n == 0) return;
    floe_buf_reserve(out, (n + 2) / 3 * 4);
    char *o = (char *)out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[v >> 12 & 63];
        *o++ = b64_chars[v >> 6 & 63];
        *o++ = b64_chars[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[v >> 12 & 63];
        *o++ = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    out->len = (size_t)(o - (char *)out->data);
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int floe_base64_decode(const char *s, size_t n, floe_buf *out) {
    /* Padding is optional, but when present there are at most two '=' and
     * nothing after them. */
    size_t pad = 0;
    while (pad < 2 && n > 0 && s[n - 1] == '=') {
        n--;
        pad++;
    }
    if (n % 4 == 1 || (pad && (n + pad) % 4 != 0)) return -1;
    size_t start = out->len;
    floe_buf_reserve(out, n / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            out->len = start;
            return -1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (uint8_t)(acc >> bits);
        }
    }
    return 0;
}

/* ---- calendar ------------------------------------------------------------ */

int64_t floe_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void floe_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Units per second and fraction digits of a time unit; anything but millis
 * and nanos is micros, Iceberg's unit. */
static int64_t unit_per_sec(int unit) {
    return unit == FLOE_UNIT_MILLIS ? 1000 : unit == FLOE_UNIT_NANOS ? 1000000000 : 1000000;
}
static int unit_digits(int unit) { return unit == FLOE_UNIT_MILLIS ? 3 : unit == FLOE_UNIT_NANOS ? 9 : 6; }

/* Writes v as exactly `w` digits at p (v < 10^w). */
static void put_fixed(char *p, uint64_t v, int w) {
    for (int i = w - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Writes the decimal digits of v at p; returns how many. */
static int put_u64(char *p, uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

/* "YYYY-MM-DD"; years beyond 9999 as "+YYYYY", before 0 as "-YYYY" (ISO 8601
 * expanded form, as java.time prints them). */
static int put_date(char *p, int64_t days) {
    int64_t y;
    unsigned m, d;
    floe_civil_from_days(days, &y, &m, &d);
    int n = 0;
    if (y >= 0 && y <= 9999) {
        put_fixed(p, (uint64_t)y, 4);
        n = 4;
    } else {
        p[n++] = y < 0 ? '-' : '+';
        uint64_t a = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
        if (a < 10000) {
            put_fixed(p + n, a, 4);
            n += 4;
        } else {
            n += put_u64(p + n, a);
        }
    }
    p[n] = '-';
    put_fixed(p + n + 1, m, 2);
    p[n + 3] = '-';
    put_fixed(p + n + 4, d, 2);
    return n + 6;
}

/* "HH:MM:SS.f..." of a non-negative time of day in units; hours may pass 23
 * for out-of-range values, which are then still shown faithfully. */
static int put_time(char *p, uint64_t v, int unit) {
    uint64_t per_sec = (uint64_t)unit_per_sec(unit);
    uint64_t frac = v % per_sec, secs = v / per_sec;
    uint64_t h = secs / 3600;
    int n = 2;
    if (h < 100) put_fixed(p, h, 2);
    else n = put_u64(p, h);
    p[n] = ':';
    put_fixed(p + n + 1, secs / 60 % 60, 2);
    p[n + 3] = ':';
    put_fixed(p + n + 4, secs % 60, 2);
    p[n + 6] = '.';
    put_fixed(p + n + 7, frac, unit_digits(unit));
    return n + 7 + unit_digits(unit);
}

void floe_fmt_date(int32_t days, floe_buf *out) {
    char b[32];
    floe_buf_append(out, b, (size_t)put_date(b, days));
}

void floe_fmt_time(int64_t v, int unit, floe_buf *out) {
    char b[48];
    int n = 0;
    if (v < 0) b[n++] = '-';
    n += put_time(b + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, unit);
    floe_buf_append(out, b, (size_t)n);
}

void floe_fmt_timestamp(int64_t v, int unit, int utc, floe_buf *out) {
    int64_t per_day = unit_per_sec(unit) * 86400;
    /* Floor division without forming days * per_day, which can overflow
     * near INT64_MIN. */
    int64_t days = v / per_day, tod = v % per_day;
    if (tod < 0) {
        tod += per_day;
        days--;
    }
    floe_fmt_day_time(days, tod, unit, utc, out);
}

void floe_fmt_day_time(int64_t days, int64_t tod, int unit, int utc, floe_buf *out) {
    char b[80];
    int64_t per_day = unit_per_sec(unit) * 86400;
    days += tod / per_day;
    tod %= per_day;
    if (tod < 0) {
        tod += per_day;
        days--;
    }
    int n = put_date(b, days);
    b[n++] = 'T';
    n += put_time(b + n, (uint64_t)tod, unit);
    if (utc) {
        memcpy(b + n, "+00:00", 6);
        n += 6;
    }
    floe_buf_append(out, b, (size_t)n);
}

/* ---- date and time parsing ---------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads exactly w digits at s[*i]. */
static int take_digits(const char *s, size_t n, size_t *i, int w, int64_t *v) {
    if (n - *i < (size_t)w) return -1;
    int64_t x = 0;
    for (int k = 0; k < w; k++) {
        char c = s[*i + (size_t)k];
        if (!is_digit(c)) return -1;
        x = x * 10 + (c - '0');
    }
    *i += (size_t)w;
    *v = x;
    return 0;
}

static unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* "YYYY-MM-DD" or "+YYYYY-MM-DD"/"-YYYY-MM-DD" (4 to 9 year digits). */
static int scan_date(const char *s, size_t n, size_t *i, int64_t *days) {
    int64_t y, m, d;
    if (*i < n && (s[*i] == '+' || s[*i] == '-')) {
        int neg = s[*i] == '-';
        size_t j = ++*i;
        while (j < n && is_digit(s[j]) && j - *i < 10) j++;
        if (j - *i < 4 || j - *i > 9) return -1;
        if (take_digits(s, n, i, (int)(j - *i), &y)) return -1;
        if (neg) y = -y;
    } else if (take_digits(s, n, i, 4, &y)) {
        return -1;
    }
    if (*i >= n || s[*i] != '-') return -1;
    ++*i;
    if (take_digits(s, n, i, 2, &m) || *i >= n || s[*i] != '-') return -1;
    ++*i;
    if (take_digits(s, n, i, 2, &d)) return -1;
    if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m)) return -1;
    *days = floe_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* The digits after a '.' (1 to 9 of them) as a fraction of a second in
 * units of `unit`; digits finer than the unit must be zeros. */
static int scan_fraction(const char *s, size_t n, size_t *i, int unit, int64_t *frac) {
    int digits = unit_digits(unit), k = 0;
    int64_t f = 0;
    for (; *i < n && is_digit(s[*i]); ++*i, k++) {
        if (k >= 9) return -1;
        if (k < digits) f = f * 10 + (s[*i] - '0');
        else if (s[*i] != '0') return -1; /* finer than the unit can hold */
    }
    if (k == 0) return -1;
    for (; k < digits; k++) f *= 10;
    *frac = f;
    return 0;
}

/* "HH:MM[:SS[.f{1,9}]]" into units of `unit`. */
static int scan_time(const char *s, size_t n, size_t *i, int unit, int64_t *v) {
    int64_t h, mi, sec = 0, frac = 0;
    if (take_digits(s, n, i, 2, &h) || *i >= n || s[*i] != ':') return -1;
    ++*i;
    if (take_digits(s, n, i, 2, &mi)) return -1;
    if (*i < n && s[*i] == ':') {
        ++*i;
        if (take_digits(s, n, i, 2, &sec)) return -1;
        if (*i < n && s[*i] == '.') {
            ++*i;
            if (scan_fraction(s, n, i, unit, &frac)) return -1;
        }
    }
    if (h > 23 || mi > 59 || sec > 59) return -1;
    *v = ((h * 60 + mi) * 60 + sec) * unit_per_sec(unit) + frac;
    return 0;
}

/* ---- fast paths for the fixed layouts ------------------------------------
 * Nearly every date and timestamp an event stream carries has the fixed
 * layout "YYYY-MM-DD[THH:MM:SS[.fff...][Z|+HH:MM]]".  Those are checked and
 * converted eight bytes at a time (SWAR on little-endian words); anything
 * else (signed or 5+ digit years, missing seconds, other offset forms and
 * every invalid input) goes to the general scanner above, which gives the
 * verdict, so both paths accept exactly the same texts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FAST_LAYOUTS 1
#else
#define FAST_LAYOUTS 0
#endif

#if FAST_LAYOUTS
#define BYTES(b) (0x0101010101010101ULL * (uint64_t)(b))
/* Byte masks of the layouts: digits of "YYYY-MM-" and of "HH:MM:SS", and
 * their separators. */
#define DATE_DIGITS 0x00FFFF00FFFFFFFFULL
#define DATE_SEPS 0x2D00002D00000000ULL
#define TIME_DIGITS 0xFFFF00FFFF00FFFFULL
#define TIME_SEPS 0x00003A00003A0000ULL

static uint64_t load8(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The m bytes at p (1 <= m <= 8) in the low bytes of a word, the others
 * zero: two overlapping loads (their common bytes are the same) rather
 * than a copy of variable length, which costs a loop or a call. */
static uint64_t load_short(const char *p, size_t m) {
    if (m >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + m - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (m - 4));
    }
    uint64_t w = (unsigned char)p[0];
    if (m > 1) w |= (uint64_t)(unsigned char)p[1] << 8;
    if (m > 2) w |= (uint64_t)(unsigned char)p[2] << 16;
    return w;
}

/* 1 when the bytes of x under `digits` are ASCII digits and the others equal
 * those of `lit`.  A digit is 0x3X with X + 6 still 0x3X; a byte of 0xFA or
 * more can carry into its neighbour, but that byte already fails. */
static int swar_form(uint64_t x, uint64_t digits, uint64_t lit) {
    uint64_t hi = BYTES(0xF0) & digits, d = BYTES(0x30) & digits;
    return (((x & hi) ^ d) | (((x + BYTES(6)) & hi) ^ d) | ((x ^ lit) & ~digits)) == 0;
}

/* Byte i of the result: the two-digit number in bytes i and i+1 of x (a
 * byte's low nibble is at most 15, so neither step carries between bytes). */
static uint64_t swar_pairs(uint64_t x) {
    uint64_t t = x & BYTES(0x0F);
    return t * 10 + (t >> 8);
}

/* The day number of the last date converted: an event stream's timestamps
 * share their date, and validating and converting it is most of the work.
 * Keyed by the date's eight digits (never 0), one per thread. */
static _Thread_local uint64_t last_date_key;
static _Thread_local int64_t last_date_days;

/* "YYYY-MM-" in `a` and the day's two ASCII digits in dd (checked by the
 * caller); -1 when not a valid date. */
static int fast_date(uint64_t a, unsigned dd, int64_t *days) {
    if (!swar_form(a, DATE_DIGITS, DATE_SEPS)) return -1;
    uint64_t key = (a & DATE_DIGITS) | (uint64_t)(dd & 0xFF) << 32 | (uint64_t)(dd >> 8) << 56;
    if (key == last_date_key) {
        *days = last_date_days;
        return 0;
    }
    uint64_t p = swar_pairs(a);
    int64_t y = (int64_t)(p & 0xFF) * 100 + (int64_t)(p >> 16 & 0xFF);
    unsigned m = (unsigned)(p >> 40 & 0xFF), d = (dd & 0xF) * 10 + (dd >> 8 & 0xF);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
    *days = last_date_days = floe_days_from_civil(y, m, d);
    last_date_key = key;
    return 0;
}

/* The fraction of a second after the '.' in byte 0 of w: returns how many
 * digits follow it in bytes 1..7 (0 when none) with their value in the unit
 * in *frac, or 8 when digits beyond the unit's precision are not zeros.  The
 * digits are padded with '0' to eight and converted at once (pairs, then
 * quads, then the whole, each step one multiply). */
static size_t fraction_word(uint64_t w, int unit, int64_t *frac) {
    uint64_t g = w >> 8, t = g ^ BYTES(0x30);
    /* bit 7 of a byte: not a digit (t >= 10); byte 7 of g is 0, never one */
    uint64_t nd = (((t & BYTES(0x7F)) + BYTES(0x76)) | t) & BYTES(0x80);
    size_t k = (size_t)__builtin_ctzll(nd) / 8;
    if (k == 0) return 0;
    uint64_t keep = ((uint64_t)1 << (8 * k)) - 1;
    g = ((g & keep) | (BYTES(0x30) & ~keep)) - BYTES(0x30);
    g = g * 10 + (g >> 8);
    g = (((g & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((g >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
    /* g: the fraction in units of 10^-8 s */
    if (unit == FLOE_UNIT_NANOS) {
        *frac = (int64_t)g * 10;
    } else {
        uint64_t div = unit == FLOE_UNIT_MILLIS ? 100000 : 100;
        if (g % div) return 8;
        *frac = (int64_t)(g / div);
    }
    return k;
}

/* The instant of the last date, hour and minute converted (the first 16
 * bytes of the text, "YYYY-MM-DDTHH:MM", as two words): an event stream's
 * timestamps share them for thousands of events at a time, and checking and
 * converting them is most of a timestamp's work.  One per thread. */
typedef struct minute_cache {
    uint64_t a, b;
    int unit;
    int64_t base; /* the minute's start in the unit */
} minute_cache;
static _Thread_local minute_cache last_minute;

/* "YYYY-MM-DD(T|t| )HH:MM:SS", then optionally "." and 1 to 9 digits, then
 * nothing, "Z"/"z" or "+HH:MM"/"-HH:MM", to the instant in the unit.  -1:
 * not this layout, invalid, or out of range on the way (the general path
 * then decides, with its own care for the range's edges). */
static int fast_timestamp(const char *s, size_t n, int unit, int64_t *v) {
    int64_t per_sec = unit_per_sec(unit), base, frac = 0;
    uint64_t a = load8(s), b = load8(s + 8);
    if (a == last_minute.a && b == last_minute.b && unit == last_minute.unit) {
        base = last_minute.base;
    } else {
        /* b is "DDTHH:MM"; its separator 'T' is checked on its own */
        int64_t days;
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
            !swar_form(b | 0xFF0000, TIME_DIGITS, 0x00003A0000FF0000ULL) || fast_date(a, (unsigned)(b & 0xFFFF), &days))
            return -1;
        uint64_t p = swar_pairs(b);
        int64_t h = (int64_t)(p >> 24 & 0xFF), mi = (int64_t)(p >> 48 & 0xFF);
        if (h > 23 || mi > 59 || __builtin_mul_overflow(days, 86400 * per_sec, &base) ||
            __builtin_add_overflow(base, (h * 3600 + mi * 60) * per_sec, &base))
            return -1;
        last_minute = (minute_cache){a, b, unit, base};
    }
    if (s[16] != ':' || !is_digit(s[17]) || !is_digit(s[18])) return -1;
    int64_t sec = (s[17] - '0') * 10 + (s[18] - '0'), offset_min = 0;
    if (sec > 59) return -1;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        /* ".fff" and its suffix in one word; a text shorter than the word
         * (".123Z" ends most of them) is padded with zero bytes, which end
         * the digits like any other non-digit */
        uint64_t w = n >= 27 ? load8(s + 19) : load_short(s + 19, n - 19);
        size_t k = fraction_word(w, unit, &frac);
        if (k == 0 || (k == 7 && n > 27 && is_digit(s[27]))) {
            /* no digit (refused there), or more than 7 digits: one at a time */
            i++;
            if (scan_fraction(s, n, &i, unit, &frac)) return -1;
        } else if (k > 7) {
            return -1;
        } else {
            i += 1 + k;
        }
    }
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            /* UTC */
        } else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' && is_digit(s[i + 1]) &&
                   is_digit(s[i + 2]) && is_digit(s[i + 4]) && is_digit(s[i + 5])) {
            int64_t oh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0'), om = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
            if (oh > 23 || om > 59) return -1;
            offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        } else {
            return -1;
        }
    }
    /* local = UTC + offset, so UTC = local - offset */
    if (__builtin_add_overflow(base, sec * per_sec + frac, &base) ||
        __builtin_sub_overflow(base, offset_min * 60 * per_sec, &base))
        return -1;
    *v = base;
    return 0;
}
#endif

int floe_parse_date(const char *s, size_t n, int32_t *days) {
    size_t i = 0;
    int64_t d;
#if FAST_LAYOUTS
    if (n == 10 && is_digit(s[8]) && is_digit(s[9]) &&
        fast_date(load8(s), (unsigned char)s[8] | (unsigned)(unsigned char)s[9] << 8, &d) == 0) {
        *days = (int32_t)d;
        return 0;
    }
#endif
    if (scan_date(s, n, &i, &d) || i != n || d < INT32_MIN || d > INT32_MAX) return -1;
    *days = (int32_t)d;
    return 0;
}

int floe_parse_time(const char *s, size_t n, int unit, int64_t *v) {
    size_t i = 0;
    if (scan_time(s, n, &i, unit, v) || i != n) return -1;
    return 0;
}

int floe_parse_timestamp(const char *s, size_t n, int unit, int64_t *v) {
    size_t i = 0;
    int64_t days, tod = 0, offset_min = 0;
#if FAST_LAYOUTS
    if (n >= 19 && fast_timestamp(s, n, unit, v) == 0) return 0;
#endif
    if (scan_date(s, n, &i, &days)) return -1;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return -1;
        i++;
        if (scan_time(s, n, &i, unit, &tod)) return -1;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int neg = s[i++] == '-';
            int64_t oh, om = 0;
            if (take_digits(s, n, &i, 2, &oh)) return -1;
            if (i < n && s[i] == ':') {
                i++;
                if (take_digits(s, n, &i, 2, &om)) return -1;
            } else if (i < n && take_digits(s, n, &i, 2, &om)) {
                return -1;
            }
            if (oh > 23 || om > 59) return -1;
            offset_min = (oh * 60 + om) * (neg ? -1 : 1);
        }
        if (i != n) return -1;
    }
    /* local = UTC + offset, so UTC = local - offset.  Before 1970 the day is
     * counted from its end so that the earliest representable instant does
     * not overflow on the way. */
    int64_t per_day = unit_per_sec(unit) * 86400, r;
    if (days < 0) {
        days++;
        tod -= per_day;
    }
    if (__builtin_mul_overflow(days, per_day, &r) || __builtin_add_overflow(r, tod, &r) ||
        __builtin_sub_overflow(r, offset_min * 60 * unit_per_sec(unit), &r))
        return -1;
    *v = r;
    return 0;
}

/* ---- numbers ------------------------------------------------------------- */

void floe_fmt_u64(uint64_t v, floe_buf *out) {
    char b[20];
    floe_buf_append(out, b, (size_t)put_u64(b, v));
}

void floe_fmt_i64(int64_t v, floe_buf *out) {
    char b[21];
    int n = 0;
    if (v < 0) b[n++] = '-';
    n += put_u64(b + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    floe_buf_append(out, b, (size_t)n);
}


static int put_nonfinite(double v, floe_buf *out) {
    if (isnan(v)) floe_buf_append(out, "\"NaN\"", 5);
    else if (isinf(v)) floe_buf_puts(out, v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
    else return 0;
    return 1;
}

void floe_fmt_double(double v, floe_buf *out) {
    if (put_nonfinite(v, out)) return;
    char b[40];
    int len = 0;
    /* Integral values below 10^15 (counts, ids) skip snprintf; %.15g would
     * print them the same way. */
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
        floe_fmt_i64((int64_t)v, out);
        return;
    }
    for (int p = (v != 0 && fabs(v) < DBL_MIN) ? 1 : 15; p <= 17; p++) {
        len = snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v) break;
    }
    floe_buf_append(out, b, (size_t)len);
}

void floe_fmt_float(float v, floe_buf *out) {
    if (put_nonfinite(v, out)) return;
    char b[40];
    int len = 0;
    for (int p = (v != 0 && fabsf(v) < FLT_MIN) ? 1 : 6; p <= 9; p++) {
        len = snprintf(b, sizeof b, "%.*g", p, (double)v);
        if (strtof(b, NULL) == v) break;
    }
    floe_buf_append(out, b, (size_t)len);
}

/* ---- decimals ------------------------------------------------------------ */

/* Appends sign, digits and the decimal point for `scale`.  Scales beyond
 * what any real decimal has (negative, or past 200) come from damaged
 * metadata; they print with an exponent so the output stays small and exact. */
static void put_scaled(int neg, const char *digits, int nd, int32_t scale, floe_buf *out) {
    if (neg) floe_buf_putc(out, '-');
    if (scale < 0 || scale > 200) {
        floe_buf_append(out, digits, (size_t)nd);
        floe_buf_printf(out, "e%lld", -(long long)scale);
    } else if (scale == 0) {
        floe_buf_append(out, digits, (size_t)nd);
    } else if (nd > scale) {
        floe_buf_append(out, digits, (size_t)(nd - scale));
        floe_buf_putc(out, '.');
        floe_buf_append(out, digits + nd - scale, (size_t)scale);
    } else {
        floe_buf_reserve(out, (size_t)scale + 2);
        floe_buf_append(out, "0.", 2);
        memset(out->data + out->len, '0', (size_t)(scale - nd));
        out->len += (size_t)(scale - nd);
        floe_buf_append(out, digits, (size_t)nd);
    }
}

void floe_fmt_decimal_i64(int64_t unscaled, int32_t scale, floe_buf *out) {
    char d[24];
    int neg = unscaled < 0;
    int nd = put_u64(d, neg ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled);
    put_scaled(neg, d, nd, scale, out);
}

int floe_fmt_decimal_be(const uint8_t *p, size_t n, int32_t scale, floe_buf *out) {
    /* Drop leading bytes that only repeat the sign (0x00 before a byte below
     * 0x80, 0xFF before one from 0x80): they do not change the value. */
    while (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xFF && (p[1] & 0x80)))) {
        p++;
        n--;
    }
    if (n > 32) return -1;
    if (n <= 8) {
        /* Sign-extend into an int64: the common widths take the short path. */
        uint64_t u = n && (p[0] & 0x80) ? ~(uint64_t)0 : 0;
        for (size_t i = 0; i < n; i++) u = u << 8 | p[i];
        floe_fmt_decimal_i64((int64_t)u, scale, out);
        return 0;
    }
    int neg = (p[0] & 0x80) != 0;
    uint32_t limb[8] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t bit = (n - 1 - i) * 8;
        limb[bit / 32] |= (uint32_t)p[i] << (bit % 32);
    }
    int nl = (int)((n + 3) / 4);
    if (neg) {
        /* Magnitude of a two's-complement value: invert the n bytes, add 1. */
        uint64_t carry = 1;
        for (int i = 0; i < nl; i++) {
            uint32_t mask = (size_t)(i + 1) * 4 <= n ? 0xFFFFFFFFu : (uint32_t)((1ull << (n % 4 * 8)) - 1);
            uint64_t t = (uint64_t)(~limb[i] & mask) + carry;
            limb[i] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    /* Up to 78 digits: peel off 9 at a time, least significant first. */
    char chunks[9][9];
    int nchunks = 0;
    while (nl > 0) {
        uint64_t rem = 0;
        for (int i = nl - 1; i >= 0; i--) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        put_fixed(chunks[nchunks++], rem, 9);
        while (nl > 0 && limb[nl - 1] == 0) nl--;
    }
    char digits[81];
    int nd = 0;
    for (int c = nchunks - 1; c >= 0; c--) {
        memcpy(digits + nd, chunks[c], 9);
        nd += 9;
    }
    int lead = 0;
    while (lead < nd - 1 && digits[lead] == '0') lead++;
    put_scaled(neg, digits + lead, nd - lead, scale, out);
    return 0;
}

int floe_parse_decimal(const char *s, size_t n, int32_t precision, int32_t scale, uint8_t out[16]) {
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    size_t int0 = i;
    while (i < n && is_digit(s[i])) i++;
    size_t int1 = i, frac0 = i, frac1 = i;
    if (i < n && s[i] == '.') {
        frac0 = ++i;
        while (i < n && is_digit(s[i])) i++;
        frac1 = i;
    }
    if (int1 == int0 && frac1 == frac0) return -1;
    int64_t exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i])) return -1;
        for (; i < n && is_digit(s[i]); i++)
            if (exp < 1000000) exp = exp * 10 + (s[i] - '0'); /* far past any precision */
        if (eneg) exp = -exp;
    }
    if (i != n) return -1;

    /* The digits, integer part then fraction, as one sequence T; the value is
     * T * 10^(exp - fraction length), the unscaled value T * 10^shift. */
    size_t nint = int1 - int0, nfrac = frac1 - frac0, total = nint + nfrac;
#define DIGIT_AT(k) ((k) < nint ? s[int0 + (k)] : s[frac0 + (k) - nint])
    size_t first = 0;
    while (first < total && DIGIT_AT(first) == '0') first++;
    int64_t shift = exp - (int64_t)nfrac + scale;
    size_t keep = total; /* digits of T that survive the shift */
    if (shift < 0) {
        /* The dropped digits must all be zeros: they are below the scale. */
        uint64_t drop = (uint64_t)-shift;
        keep = drop >= total ? 0 : total - (size_t)drop;
        for (size_t k = keep; k < total; k++)
            if (DIGIT_AT(k) != '0') return -1;
        shift = 0;
    }
    int64_t ndigits = keep > first ? (int64_t)(keep - first) + shift : 0;
    int64_t maxd = precision < 38 ? precision : 38; /* 10^38 < 2^127: 16 bytes hold 38 digits */
    if (ndigits > maxd) return -1;

    uint32_t limb[4] = {0}; /* little-endian */
    for (int64_t k = (int64_t)first; ndigits > 0 && k < (int64_t)keep + shift; k++) {
        uint64_t carry = k < (int64_t)keep ? (uint64_t)(DIGIT_AT((size_t)k) - '0') : 0;
        for (int l = 0; l < 4; l++) {
            uint64_t t = (uint64_t)limb[l] * 10 + carry;
            limb[l] = (uint32_t)t;
            carry = t >> 32;
        }
    }
#undef DIGIT_AT
    if (neg) {
        uint64_t carry = 1;
        for (int l = 0; l < 4; l++) {
            uint64_t t = (uint64_t)(uint32_t)~limb[l] + carry;
            limb[l] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    for (int b = 0; b < 16; b++) out[15 - b] = (uint8_t)(limb[b / 4] >> (b % 4 * 8));
    return 0;
}

/* ---- UUID ---------------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

void floe_fmt_uuid(const uint8_t b[16], floe_buf *out) {
    char s[36];
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s[k++] = '-';
        s[k++] = hex_digits[b[i] >> 4];
        s[k++] = hex_digits[b[i] & 15];
    }
    floe_buf_append(out, s, sizeof s);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int floe_parse_uuid(const char *s, size_t n, uint8_t out[16]) {
    if (n != 36) return -1;
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (s[k++] != '-') return -1;
        }
        int hi = hex_value(s[k]), lo = hex_value(s[k + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
        k += 2;
    }
    return 0;
}

/* ---- UTF-8 and JSON ------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (1 to 4), or 0 if the bytes
 * there are not one: overlong forms, surrogates and code points past
 * U+10FFFF are rejected, as RFC 3629 requires. */
static size_t utf8_seq(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0xF0) {
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        return n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c > 0xF4) return 0;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    return n >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
}

int floe_utf8_valid(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time: most text is ASCII. */
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

void floe_json_escape(const uint8_t *p, size_t n, floe_buf *out) {
    floe_buf_reserve(out, n + 2);
    floe_buf_putc(out, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') run++;
        floe_buf_append(out, p + i, run - i);
        i = run;
        if (i == n) break;
        uint8_t c = p[i];
        if (c >= 0x80) {
            size_t k = utf8_seq(p + i, n - i);
            if (k) {
                floe_buf_append(out, p + i, k);
                i += k;
            } else {
                floe_buf_append(out, "\\ufffd", 6);
                i++;
            }
            continue;
        }
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex_digits[c >> 4];
            e[5] = hex_digits[c & 15];
            elen = 6;
        }
        floe_buf_append(out, e, elen);
        i++;
    }
    floe_buf_putc(out, '"');
}

void floe_utf8_put(floe_buf *out, uint32_t cp) {
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | (cp >> 6)), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (cp >> 12)), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (cp >> 18)), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    floe_buf_append(out, b, n);
}
