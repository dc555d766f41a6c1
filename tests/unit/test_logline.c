/*
 * test_logline.c — floe run's log line format (src/pipeline/logline.c):
 * plain values stay bare, anything that could split or confuse a line is
 * quoted and escaped, JSON keeps integers as numbers.
 */
#include <stdarg.h>
#include <string.h>

#include "pipeline/logline.h"
#include "test.h"

/* The line for event "ev" at level 4 and the pairs given, past its
 * timestamp (the text after the first space). */
static const char *line(int json, ...) {
    static char out[1024];
    floe_buf b;
    floe_buf_init(&b);
    va_list ap;
    va_start(ap, json);
    floe_logline_vformat(&b, json, 4, "ev", ap);
    va_end(ap);
    const char *s = floe_buf_cstr(&b);
    const char *rest = json ? strstr(s, ",\"level\"") : strchr(s, ' ');
    snprintf(out, sizeof out, "%s", rest ? rest + 1 : s);
    floe_buf_free(&b);
    return out;
}

TEST(text_values) {
    CHECK_EQ_STR(line(0, "table", "db.t", "records", "12", NULL), "warn  ev table=db.t records=12");
    CHECK_EQ_STR(line(0, "error", "bad value", "empty", "", NULL), "warn  ev error=\"bad value\" empty=\"\"");
    /* a newline, a tab, a backslash, '=' and quotes: one quoted, escaped value */
    CHECK_EQ_STR(line(0, "value", "a\nb\tc\\d=\"e\"", NULL), "warn  ev value=\"a\\nb\\tc\\\\d=\\\"e\\\"\"");
    /* valid UTF-8 stays readable inside quotes; an invalid byte is \ufffd */
    CHECK_EQ_STR(line(0, "name", "caf\xc3\xa9", NULL), "warn  ev name=\"caf\xc3\xa9\"");
    CHECK_EQ_STR(line(0, "key", "x\xffy", NULL), "warn  ev key=\"x\\ufffdy\"");
    CHECK_EQ_STR(line(0, "none", NULL, NULL), "warn  ev none=\"\"");
}

TEST(json_values) {
    CHECK_EQ_STR(line(1, "table", "db.t", "records", "12", "lead", "012", "neg", "-3", NULL),
                 "\"level\":\"warn\",\"event\":\"ev\",\"table\":\"db.t\",\"records\":12,\"lead\":\"012\",\"neg\":-3}");
    CHECK_EQ_STR(line(1, "value", "a\nb", NULL), "\"level\":\"warn\",\"event\":\"ev\",\"value\":\"a\\nb\"}");
}

TEST_MAIN(T(text_values), T(json_values))
