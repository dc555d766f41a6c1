/*
 * fuzz_metadata.c — libFuzzer target for the table metadata parsers.  The
 * input is read
 *   - as a table metadata file: whatever parses must write JSON that
 *     parses again and writes the same text (write(parse(write(parse(x))))
 *     == write(parse(x))), and copies must write the same text;
 *   - as a JSON array of REST updates and requirements: each one that
 *     parses must survive the same round trip, the requirements are
 *     checked against a fixed table, and the updates are applied to it;
 *     metadata an apply returns must be a valid file (it parses again);
 *   - as partition terms against a fixed schema.
 * Beyond "no crash, no overread, no leak", every failure must say why.
 *
 *   make fuzz && build/fuzz/fuzz_metadata -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/metadata.h"
#include "iceberg/schema.h"

static void must_say_why(const floe_err *err) {
    if (err->msg[0] == '\0') __builtin_trap();
}

static void check_same(const floe_buf *a, const floe_buf *b) {
    if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0) __builtin_trap();
}

/* write(m) parses again and writes the same text; so does a copy. */
static void check_stable(const floe_ice_metadata *m) {
    floe_buf once, twice, copied;
    floe_buf_init(&once);
    floe_buf_init(&twice);
    floe_buf_init(&copied);
    floe_ice_metadata_to_json(m, &once);
    floe_err err = {0};
    floe_ice_metadata *again = floe_ice_metadata_parse((const char *)once.data, once.len, &err);
    if (!again) __builtin_trap();
    floe_ice_metadata_to_json(again, &twice);
    check_same(&once, &twice);
    floe_ice_metadata *copy = floe_ice_metadata_copy(again);
    floe_ice_metadata_to_json(copy, &copied);
    check_same(&once, &copied);
    floe_ice_metadata_free(copy);
    floe_ice_metadata_free(again);
    floe_buf_free(&once);
    floe_buf_free(&twice);
    floe_buf_free(&copied);
}

static void fuzz_metadata(const uint8_t *data, size_t size) {
    floe_err err = {0};
    floe_ice_metadata *m = floe_ice_metadata_parse((const char *)data, size, &err);
    if (!m) {
        must_say_why(&err);
        return;
    }
    floe_buf once;
    floe_buf_init(&once);
    floe_ice_metadata_to_json(m, &once);
    floe_ice_metadata *again = floe_ice_metadata_parse((const char *)once.data, once.len, &err);
    if (!again) __builtin_trap();
    check_stable(again);
    floe_ice_metadata_free(again);
    floe_buf_free(&once);
    floe_ice_metadata_free(m);
}

/* A v2 table with two snapshots, refs, a partition spec and a sort order. */
static const char BASE[] =
    "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"s3://b/t\","
    "\"last-sequence-number\":2,\"last-updated-ms\":1000,\"last-column-id\":3,\"current-schema-id\":0,\"schemas\":["
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"y\",\"required\":false,\"type\":\"string\"},{\"id\":3,\"name\":\"ts\",\"required\":false,"
    "\"type\":\"timestamptz\"}]}],\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":["
    "{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":3,\"field-id\":1000}]}],\"last-partition-id\":1000,"
    "\"default-sort-order-id\":1,\"sort-orders\":[{\"order-id\":0,\"fields\":[]},{\"order-id\":1,\"fields\":["
    "{\"transform\":\"identity\",\"source-id\":1,\"direction\":\"asc\",\"null-order\":\"nulls-first\"}]}],"
    "\"properties\":{\"write.metadata.previous-versions-max\":\"2\"},\"current-snapshot-id\":12,\"refs\":{"
    "\"main\":{\"snapshot-id\":12,\"type\":\"branch\"},\"t\":{\"snapshot-id\":11,\"type\":\"tag\"}},\"snapshots\":["
    "{\"sequence-number\":1,\"snapshot-id\":11,\"timestamp-ms\":900,\"summary\":{\"operation\":\"append\"},"
    "\"manifest-list\":\"s3://b/t/m1.avro\",\"schema-id\":0},{\"sequence-number\":2,\"snapshot-id\":12,"
    "\"parent-snapshot-id\":11,\"timestamp-ms\":950,\"summary\":{\"operation\":\"append\"},"
    "\"manifest-list\":\"s3://b/t/m2.avro\",\"schema-id\":0}],\"statistics\":[{\"snapshot-id\":11}],"
    "\"snapshot-log\":[{\"timestamp-ms\":900,\"snapshot-id\":11},{\"timestamp-ms\":950,\"snapshot-id\":12}],"
    "\"metadata-log\":[{\"timestamp-ms\":800,\"metadata-file\":\"s3://b/t/metadata/00000-a.metadata.json\"}]}";

static floe_ice_metadata *base_table(void) {
    static floe_ice_metadata *base;
    if (!base) {
        floe_err err = {0};
        base = floe_ice_metadata_parse(BASE, sizeof BASE - 1, &err);
        if (!base) __builtin_trap();
    }
    return base;
}

static void fuzz_commit(const uint8_t *data, size_t size) {
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!json_is_array(j) || json_array_size(j) > 64) {
        if (j) json_decref(j);
        return;
    }
    size_t n = json_array_size(j);
    floe_ice_update *upds = calloc(n ? n : 1, sizeof *upds);
    floe_ice_requirement *reqs = calloc(n ? n : 1, sizeof *reqs);
    int nupds = 0, nreqs = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(j, i);
        floe_err err = {0};
        floe_buf once, twice;
        floe_buf_init(&once);
        floe_buf_init(&twice);
        if (floe_ice_update_from_json(e, &upds[nupds], &err) == 0) {
            floe_ice_update_to_json(&upds[nupds], &once);
            json_t *back = json_loadb((const char *)once.data, once.len, 0, &je);
            floe_ice_update u2;
            if (!back || floe_ice_update_from_json(back, &u2, &err) != 0) __builtin_trap();
            floe_ice_update_to_json(&u2, &twice);
            check_same(&once, &twice);
            floe_ice_update_free(&u2);
            json_decref(back);
            nupds++;
        } else {
            must_say_why(&err);
        }
        floe_buf_reset(&once);
        floe_buf_reset(&twice);
        err.msg[0] = '\0';
        if (floe_ice_requirement_from_json(e, &reqs[nreqs], &err) == 0) {
            floe_ice_requirement_to_json(&reqs[nreqs], &once);
            json_t *back = json_loadb((const char *)once.data, once.len, 0, &je);
            floe_ice_requirement r2;
            if (!back || floe_ice_requirement_from_json(back, &r2, &err) != 0) __builtin_trap();
            floe_ice_requirement_to_json(&r2, &twice);
            check_same(&once, &twice);
            floe_ice_requirement_free(&r2);
            json_decref(back);
            nreqs++;
        } else {
            must_say_why(&err);
        }
        floe_buf_free(&once);
        floe_buf_free(&twice);
    }
    floe_err err = {0};
    if (floe_ice_requirements_check(base_table(), reqs, nreqs, &err) != 0) must_say_why(&err);
    for (int pass = 0; pass < 2; pass++) {
        /* Against the table, and as a create transaction from nothing. */
        floe_ice_metadata *m = floe_ice_updates_apply(pass ? NULL : base_table(), upds, nupds, 2000, &err);
        if (!m) {
            must_say_why(&err);
            continue;
        }
        floe_ice_metadata_log_previous(m, "s3://b/t/metadata/00001-b.metadata.json", 1000);
        check_stable(m);
        floe_ice_metadata_free(m);
    }
    for (int i = 0; i < nupds; i++) floe_ice_update_free(&upds[i]);
    for (int i = 0; i < nreqs; i++) floe_ice_requirement_free(&reqs[i]);
    free(upds);
    free(reqs);
    json_decref(j);
}

static void fuzz_terms(const uint8_t *data, size_t size) {
    if (size > 512) return;
    char *terms = malloc(size + 1);
    memcpy(terms, data, size);
    terms[size] = '\0';
    const floe_ice_metadata *base = base_table();
    const floe_ice_schema *schema = floe_ice_metadata_schema(base);
    floe_ice_partition_spec spec;
    floe_err err = {0};
    if (floe_ice_spec_parse_terms(terms, schema, 1, base->last_partition_id, &spec, &err) == 0) {
        floe_ice_type *pt = floe_ice_spec_partition_type(&spec, schema, &err);
        if (!pt) __builtin_trap(); /* parsed terms always have a type */
        floe_buf b;
        floe_buf_init(&b);
        floe_ice_spec_to_json(&spec, &b);
        floe_buf_free(&b);
        floe_ice_type_free(pt);
        floe_ice_spec_free(&spec);
    } else {
        must_say_why(&err);
    }
    free(terms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_metadata(data, size);
    fuzz_commit(data, size);
    fuzz_terms(data, size);
    return 0;
}
