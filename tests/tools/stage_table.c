/*
 * stage_table.c — a create transaction in two steps from the command line,
 * for tests/integration/rest_client.sh (floe's CLI has no stage-create):
 *
 *   stage-table stage  CATALOG-URI WAREHOUSE NS.TABLE SCHEMA.json STAGED.json
 *   stage-table commit CATALOG-URI WAREHOUSE NS.TABLE STAGED.json
 *
 * `stage` asks the catalog for the table's metadata-to-be (create_table
 * with .stage set; property staged-by=stage-table) and writes it to STAGED.json; nothing is committed, so
 * the test can look for the table in between.  `commit` ends the
 * transaction with the assert-create commit (floe_catalog_commit_create)
 * and prints the new metadata location.  Exit 0 on success; 1 with
 * "stage-table: <message>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "util/mem.h"

static int fail(const char *what, const floe_err *err) {
    fprintf(stderr, "stage-table: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
    return 1;
}

static int read_file(const char *path, floe_buf *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) floe_buf_append(out, chunk, n);
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    int stage = argc == 7 && strcmp(argv[1], "stage") == 0, commit = argc == 6 && strcmp(argv[1], "commit") == 0;
    if (!stage && !commit) {
        fprintf(stderr, "usage: stage-table stage URI WAREHOUSE NS.TABLE SCHEMA.json STAGED.json\n"
                        "       stage-table commit URI WAREHOUSE NS.TABLE STAGED.json\n");
        return 2;
    }
    char *ident = floe_xstrdup(argv[4]), *dot = strrchr(ident, '.');
    if (!dot) return fail("the table must be NS.TABLE", NULL);
    *dot = '\0';
    const char *ns = ident, *name = dot + 1;
    floe_err err = {0};
    floe_catalog *c = floe_catalog_open(argv[2], argv[3], NULL, &err);
    if (!c) return fail("opening the catalog", &err);
    floe_buf b;
    floe_buf_init(&b);
    int rc = 1;
    if (read_file(argv[5], &b)) {
        fail(argv[5], NULL);
    } else if (stage) {
        floe_ice_schema *s = floe_ice_schema_parse((const char *)b.data, b.len, &err);
        floe_props props;
        floe_props_init(&props);
        floe_props_set(&props, "staged-by", "stage-table");
        floe_table_create req = {.schema = s, .props = &props, .stage = 1};
        floe_table_state st = {0};
        if (!s) {
            fail("the schema", &err);
        } else if (c->create_table(c, ns, name, &req, &st, &err)) {
            fail("staging", &err);
        } else if (st.metadata_location) {
            fail("the staged table has a metadata location", NULL);
        } else {
            floe_buf j;
            floe_buf_init(&j);
            floe_ice_metadata_to_json(st.metadata, &j);
            FILE *f = fopen(argv[6], "wb");
            rc = !f || fwrite(j.data, 1, j.len, f) != j.len;
            if (f && fclose(f)) rc = 1;
            if (rc) fail(argv[6], NULL);
            floe_buf_free(&j);
        }
        floe_table_state_free(&st);
        floe_props_free(&props);
        floe_ice_schema_free(s);
    } else {
        floe_ice_metadata *m = floe_ice_metadata_parse((const char *)b.data, b.len, &err);
        floe_table_state st = {0};
        if (!m) {
            fail("the staged metadata", &err);
        } else if (floe_catalog_commit_create(c, ns, name, m, NULL, 0, &st, &err)) {
            fail("committing the create", &err);
        } else {
            printf("%s\n", st.metadata_location ? st.metadata_location : "");
            rc = 0;
        }
        floe_table_state_free(&st);
        floe_ice_metadata_free(m);
    }
    floe_buf_free(&b);
    floe_catalog_free(c);
    free(ident);
    return rc;
}
