/*
 * parquet_inspect.c — the read-only Parquet commands: `floe parquet cat`
 * (rows as NDJSON), `floe parquet schema` (the schema tree) and
 * `floe parquet meta` (footer: row groups, column chunks, statistics).
 *
 * Everything comes from the public reader (floe/parquet.h); statistics
 * bounds are shown with floe_pq_format_value, the same spelling rows use.
 * The schema tree uses the textual form parquet-mr prints and parses
 * ("message table { required int64 id = 1; ... }").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "floe/iceberg.h"

/* Opens a Parquet file; NULL after reporting why not. */
static floe_pq_reader *open_reader(const char *path) {
    floe_err err = {0};
    floe_pq_reader *r = floe_pq_reader_open_file(path, &err);
    if (!r) cli_fail("%s", err.msg);
    return r;
}

/* Parses the arguments of a command that takes one FILE and opens it;
 * NULL when the command is done, with *status its exit code. */
static floe_pq_reader *parse_and_open(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts, int nopts,
                                      const char **path, int *status) {
    char *pos[1];
    int npos;
    if (!cli_parse(cmd, argc, argv, opts, nopts, pos, 1, 1, &npos, status)) return NULL;
    *path = pos[0];
    floe_pq_reader *r = open_reader(pos[0]);
    if (!r) *status = CLI_EXIT_FAIL;
    return r;
}

/* Dotted path of a node below the root ("tags.a"), malloc'd. */
static char *node_path(const floe_pq_node *n) {
    size_t len = 0;
    for (const floe_pq_node *p = n; p->parent; p = p->parent) len += strlen(p->name) + 1;
    char *s = malloc(len ? len : 1);
    if (!s) {
        cli_fail("out of memory");
        exit(CLI_EXIT_FAIL);
    }
    size_t end = len ? len - 1 : 0;
    s[end] = '\0';
    for (const floe_pq_node *p = n; p->parent; p = p->parent) {
        size_t k = strlen(p->name);
        end -= k;
        memcpy(s + end, p->name, k);
        if (end) s[--end] = '.';
    }
    return s;
}

/* ---- cat ------------------------------------------------------------------ */

static const char CAT_HELP[] =
    "Prints the rows of a Parquet file as NDJSON, one JSON object per line, in\n"
    "the value forms of docs/ndjson.md.\n"
    "\n"
    "options:\n"
    "  --columns A,B.C   only these columns: top-level names or dotted Parquet\n"
    "                    paths to nested ones, as `floe parquet schema` shows them\n"
    "                    (tags.a, points.list.element.x); a group selects every\n"
    "                    column below it\n"
    "  --limit N         stop after N rows\n";

static int run_cat(const cli_cmd *cmd, int argc, char **argv);
const cli_cmd cli_parquet_cat = {"parquet cat", "print a Parquet file's rows as NDJSON",
                                 "floe parquet cat FILE [--columns A,B.C] [--limit N]", CAT_HELP, run_cat};

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* The leaves selected by a comma-separated column list, sorted and unique;
 * 0 or an exit code. */
static int select_leaves(const floe_pq_schema *s, const char *path, const char *list, int **leaves, int *n) {
    int *sel = malloc(sizeof(int) * (size_t)(s->nleaves ? s->nleaves : 1));
    char *copy = strdup(list);
    int count = 0, rc = 0;
    if (!sel || !copy) {
        rc = cli_fail("out of memory");
        goto done;
    }
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const floe_pq_node *node = floe_pq_schema_find(s, name);
        if (!node || node == s->root) {
            rc = cli_fail("%s: no column '%s'", path, name);
            goto done;
        }
        for (int i = 0; i < node->nleaves; i++) {
            int leaf = node->first_leaf + i, seen = 0;
            for (int j = 0; j < count && !seen; j++) seen = sel[j] == leaf;
            if (!seen) sel[count++] = leaf;
        }
    }
    if (count == 0) {
        rc = cli_fail("--columns names no column");
        goto done;
    }
    qsort(sel, (size_t)count, sizeof(int), cmp_int);
done:
    free(copy);
    if (rc) {
        free(sel);
        return rc;
    }
    *leaves = sel;
    *n = count;
    return 0;
}

static int run_cat(const cli_cmd *cmd, int argc, char **argv) {
    const char *columns = NULL, *limit_s = NULL;
    cli_opt opts[] = {{"--columns", "A,B.C", &columns, NULL}, {"--limit", "N", &limit_s, NULL}};
    char *pos[1];
    int npos, status;
    if (!cli_parse(cmd, argc, argv, opts, 2, pos, 1, 1, &npos, &status)) return status;
    long long limit = -1;
    if (limit_s && cli_parse_int(limit_s, 0, INT64_MAX, &limit))
        return cli_usage_error(cmd, "--limit: '%s' is not a row count", limit_s);
    const char *path = pos[0];
    floe_pq_reader *r = open_reader(path);
    if (!r) return CLI_EXIT_FAIL;
    int *leaves = NULL, nleaves = 0, rc = CLI_EXIT_FAIL;
    floe_pq_row_reader *rr = NULL;
    floe_buf row = {0};
    floe_err err = {0};
    if (columns && select_leaves(floe_pq_reader_schema(r), path, columns, &leaves, &nleaves)) goto done;
    rr = floe_pq_rows_open(r, leaves, nleaves, &err);
    if (!rr) {
        cli_fail("%s", err.msg);
        goto done;
    }
    for (long long n = 0; limit < 0 || n < limit; n++) {
        row.len = 0;
        int got = floe_pq_rows_next_json(rr, &row, &err);
        if (got < 0) {
            cli_fail("%s", err.msg);
            goto done;
        }
        if (got == 0) break;
        fwrite(row.data, 1, row.len, stdout);
        if (putchar('\n') == EOF) break;
    }
    rc = 0;
done:
    floe_buf_free(&row);
    floe_pq_rows_free(rr);
    free(leaves);
    floe_pq_reader_free(r);
    return cli_finish_stdout(rc);
}

/* ---- schema ------------------------------------------------------------------ */

static const char SCHEMA_HELP[] =
    "Prints the schema of a Parquet file as an indented tree in the textual form\n"
    "parquet-mr uses: per node its repetition, physical type (or group), name,\n"
    "annotation in parentheses and \"= N\" for its field id.\n"
    "\n"
    "options:\n"
    "  --json   print the Iceberg schema instead: the one stored in the footer\n"
    "           (\"iceberg.schema\"), else one derived from the field ids\n";

static int run_schema(const cli_cmd *cmd, int argc, char **argv);
const cli_cmd cli_parquet_schema = {"parquet schema", "print a Parquet file's schema",
                                    "floe parquet schema FILE [--json]", SCHEMA_HELP, run_schema};

static const char *const time_units[] = {"?", "MILLIS", "MICROS", "NANOS"};

static const char *unit_name(int unit) { return unit >= 1 && unit <= 3 ? time_units[unit] : "?"; }

static const char *converted_name(int ct) {
    static const char *const names[] = {
        "UTF8",       "MAP",         "MAP_KEY_VALUE", "LIST",      "ENUM",   "DECIMAL",          "DATE",
        "TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
        "UINT_64",    "INT_8",       "INT_16",        "INT_32",    "INT_64", "JSON",             "BSON",
        "INTERVAL"};
    return ct >= 0 && ct < (int)(sizeof names / sizeof names[0]) ? names[ct] : NULL;
}

/* The annotation as parquet-mr spells it: the LogicalType when present,
 * else the ConvertedType. */
static void put_annotation(FILE *f, const floe_pq_node *n) {
    const floe_pq_logical *lt = &n->logical;
    switch (lt->kind) {
    case FLOE_PQ_LT_NONE: break;
    case FLOE_PQ_LT_STRING: fputs(" (STRING)", f); return;
    case FLOE_PQ_LT_MAP: fputs(" (MAP)", f); return;
    case FLOE_PQ_LT_LIST: fputs(" (LIST)", f); return;
    case FLOE_PQ_LT_ENUM: fputs(" (ENUM)", f); return;
    case FLOE_PQ_LT_DECIMAL: fprintf(f, " (DECIMAL(%d,%d))", (int)lt->precision, (int)lt->scale); return;
    case FLOE_PQ_LT_DATE: fputs(" (DATE)", f); return;
    case FLOE_PQ_LT_TIME: fprintf(f, " (TIME(%s,%s))", unit_name(lt->unit), lt->utc ? "true" : "false"); return;
    case FLOE_PQ_LT_TIMESTAMP:
        fprintf(f, " (TIMESTAMP(%s,%s))", unit_name(lt->unit), lt->utc ? "true" : "false");
        return;
    case FLOE_PQ_LT_INTEGER: fprintf(f, " (INTEGER(%d,%s))", lt->bit_width, lt->is_signed ? "true" : "false"); return;
    case FLOE_PQ_LT_UNKNOWN: fputs(" (UNKNOWN)", f); return;
    case FLOE_PQ_LT_JSON: fputs(" (JSON)", f); return;
    case FLOE_PQ_LT_BSON: fputs(" (BSON)", f); return;
    case FLOE_PQ_LT_UUID: fputs(" (UUID)", f); return;
    case FLOE_PQ_LT_FLOAT16: fputs(" (FLOAT16)", f); return;
    case FLOE_PQ_LT_VARIANT: fputs(" (VARIANT)", f); return;
    case FLOE_PQ_LT_GEOMETRY: fputs(" (GEOMETRY)", f); return;
    case FLOE_PQ_LT_GEOGRAPHY: fputs(" (GEOGRAPHY)", f); return;
    default: fprintf(f, " (LOGICAL_%d)", lt->kind); return;
    }
    const char *ct = converted_name(n->converted);
    if (!ct) return;
    if (n->converted == FLOE_PQ_CT_DECIMAL) fprintf(f, " (DECIMAL(%d,%d))", (int)n->precision, (int)n->scale);
    else fprintf(f, " (%s)", ct);
}

static void print_node(FILE *f, const floe_pq_node *n, int depth) {
    static const char *const reps[] = {"required", "optional", "repeated"};
    fprintf(f, "%*s%s ", depth * 2, "", n->repetition >= 0 && n->repetition <= 2 ? reps[n->repetition] : "?");
    if (n->is_group) {
        fputs("group", f);
    } else if (n->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY) {
        fprintf(f, "fixed_len_byte_array(%d)", (int)n->type_length);
    } else {
        /* parquet-mr's lower-case names; BYTE_ARRAY is "binary". */
        const char *p = n->physical == FLOE_PQ_BYTE_ARRAY ? "binary" : floe_pq_physical_name(n->physical);
        for (; *p; p++) fputc(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p, f);
    }
    fprintf(f, " %s", n->name);
    put_annotation(f, n);
    if (n->has_field_id) fprintf(f, " = %d", (int)n->field_id);
    if (!n->is_group) {
        fputs(";\n", f);
        return;
    }
    fputs(" {\n", f);
    for (int i = 0; i < n->nchildren; i++) print_node(f, n->children[i], depth + 1);
    fprintf(f, "%*s}\n", depth * 2, "");
}

static int run_schema(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    cli_opt opts[] = {{"--json", NULL, NULL, &json}};
    const char *path;
    int status;
    floe_pq_reader *r = parse_and_open(cmd, argc, argv, opts, 1, &path, &status);
    if (!r) return status;
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    int rc = 0;
    if (!json) {
        fprintf(stdout, "message %s {\n", s->root->name);
        for (int i = 0; i < s->root->nchildren; i++) print_node(stdout, s->root->children[i], 1);
        fputs("}\n", stdout);
    } else {
        const char *stored = floe_pq_reader_kv_get(r, "iceberg.schema");
        floe_err err = {0};
        floe_ice_schema *is = floe_ice_schema_from_parquet(s, &err);
        if (stored) {
            printf("%s\n", stored);
        } else if (is) {
            floe_buf b = {0};
            floe_ice_schema_to_json(is, &b);
            fwrite(b.data, 1, b.len, stdout);
            putchar('\n');
            floe_buf_free(&b);
        } else {
            rc = cli_fail("%s: no Iceberg schema: the footer has no \"iceberg.schema\" and %s", path, err.msg);
        }
        floe_ice_schema_free(is);
    }
    floe_pq_reader_free(r);
    return cli_finish_stdout(rc);
}

/* ---- meta ------------------------------------------------------------------ */

static const char META_HELP[] =
    "Prints a Parquet file's footer: the writer (created_by), the row count, the\n"
    "key-value metadata (long values abbreviated), and per row group its rows and\n"
    "bytes and per column chunk: path, physical type, codec, encodings, values,\n"
    "nulls, compressed and uncompressed bytes, and the min/max statistics shown as\n"
    "values of the column's type (\"~\" marks a truncated bound).\n"
    "\n"
    "options:\n"
    "  --json   print it all as one JSON object, key-value values in full\n";

static int run_meta(const cli_cmd *cmd, int argc, char **argv);
const cli_cmd cli_parquet_meta = {"parquet meta", "print a Parquet file's metadata: row groups, columns, statistics",
                                  "floe parquet meta FILE [--json]", META_HELP, run_meta};

/* Key-value values and bounds longer than this are cut in the text form. */
#define ABBREV 60

static void put_abbrev(FILE *f, const char *s, size_t n) {
    if (n <= ABBREV) {
        fwrite(s, 1, n, f);
        return;
    }
    /* Cut at a UTF-8 character boundary. */
    size_t cut = ABBREV;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    fwrite(s, 1, cut, f);
    fprintf(f, "... (%zu bytes)", n);
}

/* A statistics bound as JSON text in *b (reset first); 0, or -1 when the
 * bytes do not fit the column's type. */
static int format_bound(const floe_pq_node *leaf, const uint8_t *p, uint32_t len, floe_buf *b) {
    b->len = 0;
    return floe_pq_format_value(leaf, p, len, b);
}

/* A row group's bytes: the sums over its column chunks. */
static void row_group_bytes(const floe_pq_reader *r, int g, int64_t *compressed, int64_t *uncompressed) {
    floe_pq_chunk_info ci;
    *compressed = *uncompressed = 0;
    for (int c = 0; c < floe_pq_reader_schema(r)->nleaves; c++)
        if (floe_pq_reader_chunk_info(r, g, c, &ci) == 0) {
            *compressed += ci.stats.compressed_size;
            *uncompressed += ci.stats.uncompressed_size;
        }
}

static void meta_text(FILE *f, const char *path, floe_pq_reader *r) {
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    const char *created = floe_pq_reader_created_by(r);
    const char *const *keys, *const *values;
    int nkv = floe_pq_reader_kv(r, &keys, &values);
    fprintf(f, "file: %s\ncreated_by: %s\nnum_rows: %lld\nnum_columns: %d\nrow_groups: %d\n", path,
            created ? created : "(not set)", (long long)floe_pq_reader_num_rows(r), s->nleaves,
            floe_pq_reader_num_row_groups(r));
    fprintf(f, "key_value_metadata: %d\n", nkv);
    for (int i = 0; i < nkv; i++) {
        fprintf(f, "  %s: ", keys[i]);
        if (values[i]) put_abbrev(f, values[i], strlen(values[i]));
        else fputs("(no value)", f);
        fputc('\n', f);
    }
    floe_buf b = {0};
    for (int g = 0; g < floe_pq_reader_num_row_groups(r); g++) {
        int64_t csize, usize;
        floe_pq_chunk_info ci;
        row_group_bytes(r, g, &csize, &usize);
        fprintf(f, "row group %d: %lld rows, %lld bytes compressed, %lld uncompressed\n", g,
                (long long)floe_pq_reader_row_group_rows(r, g), (long long)csize, (long long)usize);
        for (int c = 0; c < s->nleaves; c++) {
            const floe_pq_node *leaf = s->leaves[c];
            if (floe_pq_reader_chunk_info(r, g, c, &ci) != 0) continue;
            char *lp = node_path(leaf);
            fprintf(f, "  %s: %s %s encodings=", lp, floe_pq_physical_name(leaf->physical),
                    floe_pq_codec_name(ci.codec));
            free(lp);
            for (int e = 0; e < ci.nencodings; e++)
                fprintf(f, "%s%s", e ? "," : "", floe_pq_encoding_name(ci.encodings[e]));
            fprintf(f, " values=%lld", (long long)ci.num_values);
            if (ci.has_null_count) fprintf(f, " nulls=%lld", (long long)ci.stats.null_count);
            fprintf(f, " compressed=%lld uncompressed=%lld", (long long)ci.stats.compressed_size,
                    (long long)ci.stats.uncompressed_size);
            if (ci.stats.has_min_max) {
                fputs(" min=", f);
                if (format_bound(leaf, ci.stats.min, ci.stats.min_len, &b) == 0) {
                    if (!ci.stats.min_exact) fputc('~', f);
                    put_abbrev(f, (const char *)b.data, b.len);
                } else {
                    fputs("(malformed)", f);
                }
                fputs(" max=", f);
                if (format_bound(leaf, ci.stats.max, ci.stats.max_len, &b) == 0) {
                    if (!ci.stats.max_exact) fputc('~', f);
                    put_abbrev(f, (const char *)b.data, b.len);
                } else {
                    fputs("(malformed)", f);
                }
            }
            fputc('\n', f);
        }
    }
    floe_buf_free(&b);
}

static void meta_json(FILE *f, floe_pq_reader *r) {
    const floe_pq_schema *s = floe_pq_reader_schema(r);
    const char *created = floe_pq_reader_created_by(r);
    const char *const *keys, *const *values;
    int nkv = floe_pq_reader_kv(r, &keys, &values);
    fputs("{\"created_by\":", f);
    if (created) cli_put_json_string(f, created, strlen(created));
    else fputs("null", f);
    fprintf(f, ",\"num_rows\":%lld,\"num_columns\":%d,\"key_value_metadata\":{", (long long)floe_pq_reader_num_rows(r),
            s->nleaves);
    for (int i = 0; i < nkv; i++) {
        if (i) fputc(',', f);
        cli_put_json_string(f, keys[i], strlen(keys[i]));
        fputc(':', f);
        if (values[i]) cli_put_json_string(f, values[i], strlen(values[i]));
        else fputs("null", f);
    }
    fputs("},\"row_groups\":[", f);
    floe_buf b = {0};
    for (int g = 0; g < floe_pq_reader_num_row_groups(r); g++) {
        int64_t csize, usize;
        row_group_bytes(r, g, &csize, &usize);
        fprintf(f, "%s{\"num_rows\":%lld,\"compressed_size\":%lld,\"uncompressed_size\":%lld,\"columns\":[",
                g ? "," : "", (long long)floe_pq_reader_row_group_rows(r, g), (long long)csize, (long long)usize);
        for (int c = 0; c < s->nleaves; c++) {
            const floe_pq_node *leaf = s->leaves[c];
            floe_pq_chunk_info ci;
            if (floe_pq_reader_chunk_info(r, g, c, &ci) != 0) continue;
            char *lp = node_path(leaf);
            fputs(c ? ",{\"path\":" : "{\"path\":", f);
            cli_put_json_string(f, lp, strlen(lp));
            free(lp);
            fprintf(f, ",\"physical_type\":\"%s\",\"codec\":\"%s\",\"encodings\":[", floe_pq_physical_name(leaf->physical),
                    floe_pq_codec_name(ci.codec));
            for (int e = 0; e < ci.nencodings; e++)
                fprintf(f, "%s\"%s\"", e ? "," : "", floe_pq_encoding_name(ci.encodings[e]));
            fprintf(f, "],\"num_values\":%lld,\"null_count\":", (long long)ci.num_values);
            if (ci.has_null_count) fprintf(f, "%lld", (long long)ci.stats.null_count);
            else fputs("null", f);
            fprintf(f, ",\"compressed_size\":%lld,\"uncompressed_size\":%lld", (long long)ci.stats.compressed_size,
                    (long long)ci.stats.uncompressed_size);
            if (ci.stats.has_min_max && format_bound(leaf, ci.stats.min, ci.stats.min_len, &b) == 0) {
                fputs(",\"min\":", f);
                fwrite(b.data, 1, b.len, f);
                fprintf(f, ",\"min_exact\":%s", ci.stats.min_exact ? "true" : "false");
            }
            if (ci.stats.has_min_max && format_bound(leaf, ci.stats.max, ci.stats.max_len, &b) == 0) {
                fputs(",\"max\":", f);
                fwrite(b.data, 1, b.len, f);
                fprintf(f, ",\"max_exact\":%s", ci.stats.max_exact ? "true" : "false");
            }
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]}\n", f);
    floe_buf_free(&b);
}

static int run_meta(const cli_cmd *cmd, int argc, char **argv) {
    int json = 0;
    cli_opt opts[] = {{"--json", NULL, NULL, &json}};
    const char *path;
    int status;
    floe_pq_reader *r = parse_and_open(cmd, argc, argv, opts, 1, &path, &status);
    if (!r) return status;
    if (json) meta_json(stdout, r);
    else meta_text(stdout, path, r);
    floe_pq_reader_free(r);
    return cli_finish_stdout(0);
}
