/*
 * parquet_write.c — `floe parquet write`: NDJSON in, one Parquet file out,
 * typed by an Iceberg schema.
 *
 * The Iceberg schema is mapped to its Parquet schema (floe/iceberg.h), the
 * NDJSON shredder (floe/ndjson.h) feeds a streaming writer, and the schema
 * JSON goes into the footer under "iceberg.schema".  The file is written to
 * OUT.tmp-XXXXXX beside OUT and renamed over OUT only once it is complete
 * and synced, so a failure (a bad record, a full disk, an interrupt) never
 * leaves a partial OUT and never clobbers an existing one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "floe/iceberg.h"
#include "floe/ndjson.h"

static const char WRITE_HELP[] =
    "Reads newline-delimited JSON records from IN.ndjson (standard input for '-')\n"
    "and writes them to OUT.parquet, typed by the Iceberg schema in SCHEMA.json\n"
    "(the JSON form of the Iceberg table spec) and laid out as Iceberg lays out\n"
    "Parquet: field ids on every column, 3-level lists, key_value maps.  The\n"
    "schema is kept in the file's footer under the key \"iceberg.schema\".\n"
    "\n"
    "Values take the forms in docs/ndjson.md: numbers for ints and floats,\n"
    "ISO-8601 strings for dates and timestamps, \"14.20\" for decimals, base64 for\n"
    "binary.  A record that does not fit the schema stops the command with an\n"
    "error naming its line and field; OUT.parquet is then neither created nor\n"
    "replaced.  Fields the schema does not name are skipped (and counted).\n"
    "\n"
    "options:\n"
    "  --schema SCHEMA.json     the Iceberg schema (required)\n"
    "  --codec NAME             zstd (default), snappy, gzip, lz4_raw, brotli,\n"
    "                           uncompressed\n"
    "  --level N                the codec's compression level (default: 1 for zstd,\n"
    "                           not zstd's own 3, for speed; the codec's own for\n"
    "                           the others)\n"
    "  --page-size BYTES        target size of a data page before compression\n"
    "                           (default 1M)\n"
    "  --row-group-size BYTES   target size of a row group (default 128M)\n"
    "BYTES is a number of bytes, or one ending in K, M or G.\n";

static int run_write(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_parquet_write = {
    "parquet write", "convert NDJSON to Parquet, typed by an Iceberg schema",
    "floe parquet write --schema SCHEMA.json [--codec NAME] [--level N] [--page-size BYTES]\n"
    "                          [--row-group-size BYTES] IN.ndjson|- OUT.parquet",
    WRITE_HELP, run_write};

/* ---- the temporary output file ------------------------------------------ */

/* The temporary file being written, removed by the signal handler if the
 * command is interrupted. */
static char tmp_path[PATH_MAX + 16];
static volatile sig_atomic_t tmp_live;

static void on_signal(int sig) {
    if (tmp_live) unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

typedef struct out_file {
    int fd;
    const char *name; /* the final name, for messages */
} out_file;

static int write_out(void *ctx, const void *data, size_t len, floe_err *err) {
    out_file *o = ctx;
    const char *p = data;
    while (len) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            err->code = FLOE_EIO;
            snprintf(err->msg, sizeof err->msg, "writing %s: %s", o->name, strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int parse_options(const cli_cmd *cmd, const char *codec, const char *level, const char *page,
                         const char *group, floe_pq_writer_opts *wo) {
    floe_pq_writer_opts_default(wo);
    if (codec) {
        wo->codec = floe_pq_codec_parse(codec);
        if (wo->codec < 0)
            return cli_usage_error(cmd, "unknown codec '%s' (zstd, snappy, gzip, lz4_raw, brotli, uncompressed)",
                                   codec);
    }
    long long lv;
    if (level) {
        if (cli_parse_int(level, INT_MIN, INT_MAX, &lv)) return cli_usage_error(cmd, "--level: '%s' is not an integer", level);
        wo->level = (int)lv;
    }
    if (page && cli_parse_size(page, &wo->page_size))
        return cli_usage_error(cmd, "--page-size: '%s' is not a size in bytes", page);
    if (group && cli_parse_size(group, &wo->row_group_size))
        return cli_usage_error(cmd, "--row-group-size: '%s' is not a size in bytes", group);
    return 0;
}

/* Shreds the input into the open temporary file; 0 or an exit code. */
static int convert(const floe_ice_schema *is, const floe_pq_schema *ps, const floe_pq_writer_opts *wo, int in,
                   const char *in_name, out_file *out) {
    floe_err err = {0};
    int rc = CLI_EXIT_FAIL;
    floe_pq_writer *w = floe_pq_writer_new(ps, wo, write_out, out, &err);
    if (!w) return cli_fail("%s", err.msg);
    floe_ndjson *nd = floe_ndjson_new(ps, w, &err);
    if (!nd) {
        cli_fail("%s", err.msg);
        goto done;
    }
    if (floe_ndjson_write_fd(nd, in, in_name, NULL, NULL, &err)) {
        cli_fail("%s", err.msg);
        goto done;
    }
    floe_buf json = {0};
    floe_ice_schema_to_json(is, &json);
    char *value = malloc(json.len + 1);
    if (value) {
        memcpy(value, json.data, json.len);
        value[json.len] = '\0';
        floe_pq_writer_add_kv(w, "iceberg.schema", value);
    }
    free(value);
    floe_buf_free(&json);
    if (!value) {
        cli_fail("out of memory");
        goto done;
    }
    if (floe_pq_writer_close(w, &err)) {
        cli_fail("%s", err.msg);
        goto done;
    }
    if (floe_ndjson_unknown_fields(nd) > 0)
        fprintf(stderr, "floe: note: %lld field(s) of %s matched no schema field and were skipped\n",
                (long long)floe_ndjson_unknown_fields(nd), in_name);
    rc = 0;
done:
    floe_ndjson_free(nd);
    floe_pq_writer_free(w);
    return rc;
}

static int run_write(const cli_cmd *cmd, int argc, char **argv) {
    const char *schema_path = NULL, *codec = NULL, *level = NULL, *page = NULL, *group = NULL;
    cli_opt opts[] = {{"--schema", "SCHEMA.json", &schema_path, NULL},
                      {"--codec", "NAME", &codec, NULL},
                      {"--level", "N", &level, NULL},
                      {"--page-size", "BYTES", &page, NULL},
                      {"--row-group-size", "BYTES", &group, NULL}};
    char *pos[2];
    int npos, status;
    if (!cli_parse(cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 2, 2, &npos, &status))
        return status;
    if (!schema_path) return cli_usage_error(cmd, "--schema is required");
    floe_pq_writer_opts wo;
    if ((status = parse_options(cmd, codec, level, page, group, &wo))) return status;
    const char *in_path = pos[0], *out_path = pos[1];
    if (strlen(out_path) > PATH_MAX) return cli_fail("%s: path too long", out_path);

    char *text = NULL;
    size_t text_len = 0;
    floe_err err = {0};
    floe_ice_schema *is = NULL;
    floe_pq_schema *ps = NULL;
    int in = -1, rc = CLI_EXIT_FAIL;
    if (cli_read_small_file(schema_path, &text, &text_len)) goto done;
    is = floe_ice_schema_parse(text, text_len, &err);
    if (!is || !(ps = floe_ice_schema_to_parquet(is, &err))) {
        cli_fail("%s: %s", schema_path, err.msg);
        goto done;
    }
    const char *in_name = strcmp(in_path, "-") == 0 ? "stdin" : in_path;
    in = strcmp(in_path, "-") == 0 ? STDIN_FILENO : open(in_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        cli_fail("%s: %s", in_path, strerror(errno));
        goto done;
    }

    snprintf(tmp_path, sizeof tmp_path, "%s.tmp-XXXXXX", out_path);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    out_file out = {mkostemp(tmp_path, O_CLOEXEC), out_path};
    if (out.fd < 0) {
        cli_fail("cannot create %s: %s", tmp_path, strerror(errno));
        goto done;
    }
    tmp_live = 1;
    /* mkstemp makes the file private; give it the mode a plain create would. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(out.fd, 0666 & ~mask) != 0) {
        cli_fail("%s: %s", tmp_path, strerror(errno));
    } else if (convert(is, ps, &wo, in, in_name, &out) == 0) {
        /* Synced before the rename, so OUT never names a file whose bytes
         * are not on disk yet. */
        int fail_errno = fsync(out.fd) != 0 ? errno : 0;
        if (close(out.fd) != 0 && !fail_errno) fail_errno = errno;
        out.fd = -1;
        if (fail_errno) cli_fail("writing %s: %s", out_path, strerror(fail_errno));
        else if (rename(tmp_path, out_path) != 0)
            cli_fail("cannot rename %s to %s: %s", tmp_path, out_path, strerror(errno));
        else rc = 0;
    }
    if (out.fd >= 0) close(out.fd);
    if (rc != 0) unlink(tmp_path);
    tmp_live = 0;
done:
    if (in > STDIN_FILENO) close(in);
    floe_pq_schema_free(ps);
    floe_ice_schema_free(is);
    free(text);
    return rc;
}
