/*
 * fuzz_manifest.c — libFuzzer target for the manifest and manifest list
 * readers: the input is read as a manifest (standalone and with a manifest
 * list entry to inherit from) and as a manifest list.  Beyond "no crash, no
 * overread, no leak" every failure must say why, and a manifest list that
 * reads and can be written again reads back the same.
 *
 *   make fuzz && build/fuzz/fuzz_manifest -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest.h"

static void fuzz_manifest(const uint8_t *data, size_t size, const floe_ice_manifest_file *mf) {
    floe_err err = {0};
    floe_ice_manifest_entry *es;
    int n;
    if (floe_ice_manifest_read(data, size, "fuzz", mf, &es, &n, &err) == 0) {
        for (int i = 0; i < n; i++) {
            /* Inheritance leaves no live entry of an inheriting read without
             * its data sequence number. */
            if (mf && es[i].status != FLOE_ICE_STATUS_ADDED && !es[i].has_sequence_number) __builtin_trap();
            floe_ice_data_file c;
            floe_ice_data_file_copy(&c, &es[i].file);
            floe_ice_data_file_free(&c);
            floe_ice_manifest_entry_free(&es[i]);
        }
        free(es);
    } else if (err.msg[0] == '\0') {
        __builtin_trap();
    }
}

static int same_file(const floe_ice_manifest_file *a, const floe_ice_manifest_file *b) {
    if (strcmp(a->manifest_path, b->manifest_path) || a->manifest_length != b->manifest_length ||
        a->partition_spec_id != b->partition_spec_id || a->content != b->content ||
        a->sequence_number != b->sequence_number || a->min_sequence_number != b->min_sequence_number ||
        a->added_snapshot_id != b->added_snapshot_id || a->added_files_count != b->added_files_count ||
        a->existing_files_count != b->existing_files_count || a->deleted_files_count != b->deleted_files_count ||
        a->added_rows_count != b->added_rows_count || a->existing_rows_count != b->existing_rows_count ||
        a->deleted_rows_count != b->deleted_rows_count || a->npartitions != b->npartitions)
        return 0;
    for (int i = 0; i < a->npartitions; i++) {
        const floe_ice_field_summary *x = &a->partitions[i], *y = &b->partitions[i];
        if (x->contains_null != y->contains_null || x->has_contains_nan != y->has_contains_nan ||
            x->contains_nan != y->contains_nan || !x->lower != !y->lower || !x->upper != !y->upper ||
            x->nlower != y->nlower || x->nupper != y->nupper || (x->lower && memcmp(x->lower, y->lower, x->nlower)) ||
            (x->upper && memcmp(x->upper, y->upper, x->nupper)))
            return 0;
    }
    return 1;
}

static void fuzz_list(const uint8_t *data, size_t size) {
    floe_err err = {0};
    floe_ice_manifest_file *fs;
    int n;
    if (floe_ice_manifest_list_read(data, size, "fuzz", &fs, &n, &err) != 0) {
        if (err.msg[0] == '\0') __builtin_trap();
        return;
    }
    /* Written again as v2 by the snapshot that added the first manifest, at
     * a sequence number no read value can have. */
    int64_t snap = n ? fs[0].added_snapshot_id : 1;
    floe_buf out;
    floe_buf_init(&out);
    if (floe_ice_manifest_list_write(2, snap, 0, 0, INT64_MAX, fs, n, &out, &err) == 0) {
        floe_ice_manifest_file *again;
        int m;
        if (floe_ice_manifest_list_read(out.data, out.len, "again", &again, &m, &err) != 0 || m != n) __builtin_trap();
        for (int i = 0; i < n; i++) {
            if (fs[i].sequence_number < 0) fs[i].sequence_number = INT64_MAX;
            if (fs[i].min_sequence_number < 0) fs[i].min_sequence_number = INT64_MAX;
            if (!same_file(&fs[i], &again[i])) __builtin_trap();
            floe_ice_manifest_file_free(&again[i]);
        }
        free(again);
    } else if (err.msg[0] == '\0') {
        __builtin_trap();
    }
    floe_buf_free(&out);
    for (int i = 0; i < n; i++) floe_ice_manifest_file_free(&fs[i]);
    free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    floe_ice_manifest_file mf = {0};
    mf.sequence_number = 7;
    mf.added_snapshot_id = 99;
    fuzz_manifest(data, size, NULL);
    fuzz_manifest(data, size, &mf);
    fuzz_list(data, size);
    return 0;
}
