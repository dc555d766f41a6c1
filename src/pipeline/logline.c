/*
 * logline.c — formatting of floe run's log lines (see logline.h).
 */
#include "pipeline/logline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/text.h"

/* A value JSON may keep as a number: an integer without leading zeros. */
static int is_integer(const char *v) {
    char *end;
    errno = 0;
    (void)strtoll(v, &end, 10);
    return *v && !*end && errno == 0 && (v[0] != '0' || !v[1]) && !(v[0] == '-' && v[1] == '0');
}

/* A text-format value that must be quoted: empty, or with a space, a quote,
 * '=', a backslash, a control byte or a byte above ASCII (an invalid
 * UTF-8 sequence must not reach the log raw; valid ones stay readable
 * inside the quotes).  Keeps one event on one line whatever the value. */
static int needs_quotes(const char *v) {
    if (!*v) return 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f) return 1;
    return 0;
}

void floe_logline_vformat(floe_buf *out, int json, int level, const char *event, va_list ap) {
    floe_buf ts;
    floe_buf_init(&ts);
    floe_fmt_timestamp(floe_wall_ms() * 1000, 6, 1, &ts);
    const char *lv = level <= 3 ? "error" : level == 4 ? "warn" : level <= 6 ? "info" : "debug";
    if (json) {
        floe_buf_puts(out, "{\"ts\":");
        floe_json_escape(ts.data, ts.len, out);
        floe_buf_printf(out, ",\"level\":\"%s\",\"event\":\"%s\"", lv, event);
    } else {
        floe_buf_printf(out, "%s %-5s %s", floe_buf_cstr(&ts), lv, event);
    }
    floe_buf_free(&ts);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        if (!v) v = "";
        if (json) {
            floe_buf_putc(out, ',');
            floe_json_escape((const uint8_t *)k, strlen(k), out);
            floe_buf_putc(out, ':');
            if (is_integer(v)) floe_buf_puts(out, v);
            else floe_json_escape((const uint8_t *)v, strlen(v), out);
        } else {
            floe_buf_printf(out, " %s=", k);
            if (needs_quotes(v)) floe_json_escape((const uint8_t *)v, strlen(v), out);
            else floe_buf_puts(out, v);
        }
    }
    if (json) floe_buf_putc(out, '}');
}
