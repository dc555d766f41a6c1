/*
 * fuzz_json_scan.c — libFuzzer target for the tree-less JSON scanner that
 * the streaming pipeline runs on every Kafka value before shredding it
 * (route fields, JsonConverter envelopes).  The first input byte picks a
 * path; the rest is the value, copied into a buffer of exactly its length
 * so ASan catches any read past its end.
 *
 * Oracle: a span found lies inside the input; a string span decodes or is
 * refused without overrunning; decoding the same span twice gives the
 * same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/json/json_scan.h"
#include "util/mem.h"

static const char *const PATHS[] = {"a", "payload", "a.b", "user.id.x", "", "tbl"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *path = PATHS[data[0] % (sizeof PATHS / sizeof PATHS[0])];
    size_t n = size - 1;
    char *text = malloc(n ? n : 1);
    memcpy(text, data + 1, n);
    const char *v;
    size_t vl;
    int rc = floe_json_member(text, n, path, &v, &vl);
    if (rc == 1) {
        if (v < text || v + vl > text + n) abort();
        if (vl && v[0] == '"') {
            floe_buf a, b;
            floe_buf_init(&a);
            floe_buf_init(&b);
            int r1 = floe_json_string_text(v, vl, &a), r2 = floe_json_string_text(v, vl, &b);
            if (r1 != r2 || (r1 == 0 && (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)))) abort();
            floe_buf_free(&a);
            floe_buf_free(&b);
        }
    }
    (void)floe_json_is_object(text, n);
    free(text);
    return 0;
}
