/*
 * test_json_scan.c — the tree-less JSON scanner (format/json/json_scan.h):
 * member spans by dotted path, string decoding, object detection.
 */
#include <string.h>

#include "format/json/json_scan.h"
#include "test.h"

static int member(const char *json, const char *path, char *out, size_t cap) {
    const char *v;
    size_t n;
    int rc = floe_json_member(json, strlen(json), path, &v, &n);
    if (rc == 1) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(out, v, k);
        out[k] = 0;
    }
    return rc;
}

TEST(member_spans) {
    char v[256];
    CHECK_EQ_INT(member("{\"a\":1,\"b\":\"x\"}", "b", v, sizeof v), 1);
    CHECK_EQ_STR(v, "\"x\"");
    CHECK_EQ_INT(member(" { \"a\" : [1, {\"b\":\"}\"}] , \"c\" : {\"d\": null} } ", "c.d", v, sizeof v), 1);
    CHECK_EQ_STR(v, "null");
    CHECK_EQ_INT(member("{\"a\":[1,2],\"c\":{\"d\":{\"e\":-1.5e3}}}", "c.d", v, sizeof v), 1);
    CHECK_EQ_STR(v, "{\"e\":-1.5e3}");
    CHECK_EQ_INT(member("{\"a\":{\"b\":2}}", "a.b", v, sizeof v), 1);
    CHECK_EQ_STR(v, "2");
    /* a key with escapes matches its decoded text */
    CHECK_EQ_INT(member("{\"t\\u0062l\":\"db.x\"}", "tbl", v, sizeof v), 1);
    CHECK_EQ_STR(v, "\"db.x\"");
    /* strings containing braces and escaped quotes are stepped over */
    CHECK_EQ_INT(member("{\"s\":\"a\\\"}{\",\"k\":true}", "k", v, sizeof v), 1);
    CHECK_EQ_STR(v, "true");
}

TEST(member_missing_and_malformed) {
    char v[64];
    CHECK_EQ_INT(member("{\"a\":1}", "b", v, sizeof v), 0);
    CHECK_EQ_INT(member("{}", "a", v, sizeof v), 0);
    CHECK_EQ_INT(member("{\"a\":1}", "a.b", v, sizeof v), 0);      /* not an object on the path */
    CHECK_EQ_INT(member("[1,2]", "a", v, sizeof v), -1);
    CHECK_EQ_INT(member("{\"a\" 1}", "a", v, sizeof v), -1);
    CHECK_EQ_INT(member("{\"a\":\"unterminated}", "a", v, sizeof v), -1);
    CHECK_EQ_INT(member("", "a", v, sizeof v), -1);
    /* the walk stops at the match: later garbage is the shredder's business */
    CHECK_EQ_INT(member("{\"a\":1,", "a", v, sizeof v), 1);
}

TEST(string_text) {
    floe_buf b;
    floe_buf_init(&b);
    const char *s = "\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\"";
    CHECK(floe_json_string_text(s, strlen(s), &b) == 0);
    CHECK(b.len == strlen("a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80") &&
          memcmp(b.data, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80", b.len) == 0);
    b.len = 0;
    CHECK(floe_json_string_text("\"\\ud83d\"", 8, &b) == -1);   /* lone surrogate */
    CHECK(floe_json_string_text("\"\\x\"", 4, &b) == -1);
    CHECK(floe_json_string_text("\"abc", 4, &b) == -1);
    CHECK(floe_json_string_text("\"a\\\"", 4, &b) == -1);      /* the closing quote is escaped */
    floe_buf_free(&b);
}

TEST(is_object) {
    CHECK_EQ_INT(floe_json_is_object(" {\"a\":1}\n", 9), 1);
    CHECK_EQ_INT(floe_json_is_object("{}", 2), 1);
    CHECK_EQ_INT(floe_json_is_object("[]", 2), 0);
    CHECK_EQ_INT(floe_json_is_object("42", 2), 0);
    CHECK_EQ_INT(floe_json_is_object("{", 1), 0);
    CHECK_EQ_INT(floe_json_is_object("", 0), 0);
}

TEST_MAIN(T(member_spans), T(member_missing_and_malformed), T(string_text), T(is_object))
