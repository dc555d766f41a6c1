/*
 * ingest.c — floe_ingest (floe/table.h): NDJSON from a file descriptor into
 * a table, in batches that each become one appended snapshot.
 *
 * Input is read in large blocks and cut into lines here (the partitioned
 * writer routes each line on its own).  A batch ends when its first record
 * is commit_interval_ms old, when it holds commit_bytes of input, or at
 * end of input; its files are closed and appended with a fresh
 * floe.commit-id.  The age is checked every CLOCK_EVERY lines while input
 * flows (a clock read per line costs more than the bookkeeping around it),
 * and whenever the buffered input runs out, by waiting for more with poll()
 * until the deadline, so that a slow or quiet pipe still commits on time.  A record that does not fit
 * aborts the batch, deleting its files, and ends the ingest.
 *
 * A table that does not exist is created (with its namespace) from a schema
 * inferred from the first FLOE_INFER_MAX_RECORDS lines (autocreate.c),
 * which are kept and then written like the rest.
 */
#include "table/ingest.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iceberg/metadata_internal.h"
#include "table/append.h"
#include "table/datafile_writer.h"
#include "util/clock.h"

#define READ_BLOCK ((size_t)1 << 20)
#define MAX_LINE ((size_t)64 << 20)
#define DEFAULT_INTERVAL_MS 60000
/* Lines between two looks at the clock while input is buffered: far below
 * a millisecond of work, so a commit is never late by more than that. */
#define CLOCK_EVERY 64

/* ---- lines ---------------------------------------------------------------------- */

typedef struct line_reader {
    int fd;
    floe_buf buf;  /* unconsumed input is buf[pos, len) */
    size_t pos;
    int eof;
    int started;   /* a byte order mark is skipped at the start only */
    int64_t lineno;
} line_reader;

/* Returns 1 with the next line (without its newline; valid until the next
 * call), 0 at the end of input, 2 when no line is complete by deadline
 * (floe_mono_coarse_ms(); < 0 = wait as long as it takes), -1 on error. */
static int next_line(line_reader *r, int64_t deadline, const char **line, size_t *len, floe_err *err) {
    for (;;) {
        const uint8_t *start = r->buf.data + r->pos;
        size_t have = r->buf.len - r->pos;
        if (!r->started && (have >= 3 || r->eof)) {
            r->started = 1;
            if (have >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
                r->pos += 3;
                continue;
            }
        }
        const uint8_t *nl = have ? memchr(start, '\n', have) : NULL;
        if (nl || (r->eof && have > 0)) {
            size_t n = nl ? (size_t)(nl - start) : have;
            if (n > MAX_LINE)
                return floe_err_set(err, FLOE_EINVAL, "line %lld: longer than %zu bytes", (long long)r->lineno + 1,
                                    MAX_LINE);
            r->pos += nl ? n + 1 : n;
            r->lineno++;
            *line = (const char *)start;
            *len = n;
            return 1;
        }
        if (r->eof) return 0;
        if (have > MAX_LINE)
            return floe_err_set(err, FLOE_EINVAL, "line %lld: longer than %zu bytes", (long long)r->lineno + 1,
                                MAX_LINE);
        if (r->pos > 0) {
            memmove(r->buf.data, start, have);
            r->buf.len = have;
            r->pos = 0;
        }
        if (deadline >= 0) {
            int64_t wait = deadline - floe_mono_coarse_ms();
            if (wait <= 0) return 2;
            struct pollfd pfd = {r->fd, POLLIN, 0};
            int pr = poll(&pfd, 1, wait > 60000 ? 60000 : (int)wait);
            if (pr == 0) continue; /* re-checks the deadline */
            if (pr < 0 && errno != EINTR) return floe_err_set(err, FLOE_EIO, "waiting for input: %s", strerror(errno));
            if (pr < 0) continue;
        }
        floe_buf_reserve(&r->buf, READ_BLOCK);
        ssize_t got = read(r->fd, r->buf.data + r->buf.len, r->buf.cap - r->buf.len);
        if (got < 0) {
            if (errno == EINTR) continue;
            return floe_err_set(err, FLOE_EIO, "reading input: %s", strerror(errno));
        }
        if (got == 0) r->eof = 1;
        r->buf.len += (size_t)got;
    }
}

/* ---- batches -------------------------------------------------------------------- */

typedef struct ingest {
    floe_table *t;
    floe_datafile_writer *dw;
    floe_ingest_result *res;
    const char *name;
    int64_t interval_ms, commit_bytes;
    int64_t batch_bytes;
    int64_t batch_start;   /* floe_mono_coarse_ms() of the batch's first line; -1 when empty */
    int until_clock;       /* lines before the next look at the clock */
} ingest;

static int commit(ingest *g, floe_err *err) {
    int64_t rows = floe_datafile_writer_rows(g->dw);
    floe_ice_data_file *files;
    int n;
    if (floe_datafile_writer_finish(g->dw, &files, &n, err)) {
        floe_datafile_writer_abort(g->dw);
        return floe_err_prefix(err, "committing %lld records of %s", (long long)rows, g->name);
    }
    int rc = 0;
    if (n > 0) {
        char id[37];
        floe_ice_uuid_random(id);
        floe_props extra;
        floe_props_init(&extra);
        floe_props_set(&extra, FLOE_COMMIT_ID_KEY, id);
        rc = floe_table_append(g->t, files, n, &extra, err);
        floe_props_free(&extra);
        if (rc) floe_err_prefix(err, "committing %lld records of %s", (long long)rows, g->name);
        if (rc == 0) {
            g->res->commits++;
            g->res->records += rows;
            g->res->files += n;
            g->res->bytes += g->batch_bytes;
            g->res->unknown_fields = floe_datafile_writer_unknown_fields(g->dw);
        } else if (err->code != FLOE_EUNKNOWN) {
            floe_datafile_delete(g->t->io, files, n);
        }
    }
    for (int i = 0; i < n; i++) floe_ice_data_file_free(&files[i]);
    free(files);
    g->batch_bytes = 0;
    g->batch_start = -1;
    return rc;
}

static int write_line(ingest *g, const char *line, size_t len, int64_t lineno, floe_err *err) {
    if (g->batch_start < 0) {
        g->batch_start = floe_mono_coarse_ms();
        g->until_clock = CLOCK_EVERY;
    }
    g->batch_bytes += (int64_t)len + 1;
    if (floe_datafile_writer_write(g->dw, line, len, lineno, err)) {
        floe_datafile_writer_abort(g->dw);
        return floe_err_prefix(err, "%s", g->name);
    }
    if (g->commit_bytes > 0 && g->batch_bytes >= g->commit_bytes) return commit(g, err);
    if (--g->until_clock > 0) return 0;
    g->until_clock = CLOCK_EVERY;
    return floe_mono_coarse_ms() - g->batch_start >= g->interval_ms ? commit(g, err) : 0;
}

static int run(ingest *g, line_reader *r, const char *const *first, const size_t *lens, int nfirst, floe_err *err) {
    for (int i = 0; i < nfirst; i++)
        if (write_line(g, first[i], lens[i], i + 1, err)) return -1;
    for (;;) {
        const char *line;
        size_t len;
        int got;
        /* A line already complete in the buffer is cut here, without the
         * bookkeeping of next_line (which handles everything else). */
        const uint8_t *start = r->buf.data + r->pos;
        size_t have = r->buf.len - r->pos;
        const uint8_t *nl = r->started && have ? memchr(start, '\n', have) : NULL;
        if (nl && (size_t)(nl - start) <= MAX_LINE) {
            line = (const char *)start;
            len = (size_t)(nl - start);
            r->pos += len + 1;
            r->lineno++;
            got = 1;
        } else {
            int64_t deadline = g->batch_start >= 0 ? g->batch_start + g->interval_ms : -1;
            got = next_line(r, deadline, &line, &len, err);
        }
        if (got < 0) {
            floe_datafile_writer_abort(g->dw);
            return floe_err_prefix(err, "%s", g->name);
        }
        if (got == 0) return commit(g, err);
        if (got == 2) {
            if (commit(g, err)) return -1;
            continue;
        }
        if (write_line(g, line, len, r->lineno, err)) return -1;
    }
}

int floe_ingest(floe_catalog_handle *h, const floe_ingest_opts *o, floe_ingest_result *res, floe_err *err) {
    memset(res, 0, sizeof *res);
    const char *input = o->input_name ? o->input_name : "input";
    const char *terms = o->partition_by && *o->partition_by ? o->partition_by : NULL;
    int64_t interval = o->commit_interval_ms > 0 ? o->commit_interval_ms : DEFAULT_INTERVAL_MS;
    char *ns, *name;
    if (floe_table_ident_split(o->table, &ns, &name, err)) return -1;
    floe_catalog *c = h->catalog;
    line_reader r;
    memset(&r, 0, sizeof r);
    r.fd = o->fd;
    floe_buf_init(&r.buf);
    /* The first lines, kept for inference when the table must be created. */
    floe_buf kept;
    floe_buf_init(&kept);
    size_t offs[FLOE_INFER_MAX_RECORDS], lens[FLOE_INFER_MAX_RECORDS];
    const char *lines[FLOE_INFER_MAX_RECORDS];
    int nkept = 0, rc = -1;
    floe_datafile_writer *dw = NULL;
    floe_table *t = floe_table_load(c, ns, name, err);
    if (t) {
        if (floe_table_check_spec(t, terms, err)) goto done;
    } else if (err->code == FLOE_ENOTFOUND) {
        /* Lines for inference: up to the maximum, the end of input, or the
         * commit interval after the first line (a slow stream still gets
         * its table and first commit on time). */
        int64_t deadline = -1;
        while (nkept < FLOE_INFER_MAX_RECORDS) {
            const char *line;
            size_t len;
            int got = next_line(&r, deadline, &line, &len, err);
            if (got < 0) {
                floe_err_prefix(err, "%s", input);
                goto done;
            }
            if (got == 0 || got == 2) break;
            if (deadline < 0) deadline = floe_mono_coarse_ms() + interval;
            offs[nkept] = kept.len;
            lens[nkept++] = len;
            floe_buf_append(&kept, line, len);
        }
        for (int i = 0; i < nkept; i++) lines[i] = (const char *)kept.data + offs[i];
        floe_table_autocreate ac = {lines, lens, nkept, terms, NULL, 0, NULL};
        t = floe_table_create_inferred(c, ns, name, &ac, &res->created, err);
        if (!t) goto done;
    } else {
        goto done;
    }
    dw = floe_datafile_writer_new(t->io, floe_table_meta(t), NULL, err);
    if (!dw) goto done;
    ingest g = {t, dw, res, input, interval, o->commit_bytes, 0, -1, CLOCK_EVERY};
    rc = run(&g, &r, lines, lens, nkept, err);
done:
    floe_datafile_writer_free(dw);
    floe_table_free(t);
    floe_buf_free(&kept);
    floe_buf_free(&r.buf);
    free(ns);
    free(name);
    return rc;
}
