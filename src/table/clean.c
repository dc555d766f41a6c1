/*
 * clean.c — orphan file cleanup (floe_clean in floe/maintenance.h), as
 * Java's DeleteOrphanFiles decides it: every file under the table's
 * location that no metadata reaches and that is older than a safety window
 * is deleted.
 *
 * Reached: the current metadata file and every file of its metadata log,
 * the manifest list of every snapshot, every manifest those list (or a v1
 * snapshot embeds), every data and delete file those manifests name in any
 * status (a DELETED entry's file may still be read by an older snapshot),
 * and the statistics files the metadata names.  The walk is reach.h's,
 * shared with snapshot expiry.  A manifest list or manifest that cannot be
 * read makes reachability unknown, so the whole call fails and nothing is
 * deleted.
 *
 * Why it is safe against a concurrent writer: a commit in flight writes
 * its files before the catalog knows them, so they look like orphans; the
 * window (3 days by default) keeps them, as they are young.  On top of
 * that the table is reloaded after the listing, and whatever a commit
 * that landed meanwhile reaches is added before anything is deleted.
 *
 * Never deleted whatever the listing says: a SQLite database or its
 * journal files (a catalog database that lives under the table location
 * would otherwise look like an orphan; recognized by name and, before
 * deleting, by the SQLite header), and Hadoop tables' version-hint.text.
 *
 * Paths are compared after normalization: file:, file:// and plain paths
 * alike, s3a:// and s3n:// as s3://, repeated slashes as one — so that a
 * file named one way in a manifest and listed another is not taken for an
 * orphan.  Only the table location is listed (with a trailing slash, so
 * that table "t" never lists table "t2"); write.data.path or
 * write.metadata.path outside it may be shared by other tables and is not
 * touched.
 */
#include <stdlib.h>
#include <string.h>

#include "floe/maintenance.h"
#include "iceberg/metadata_internal.h"
#include "table/reach.h"

#define DEFAULT_WINDOW_MS ((int64_t)3 * 24 * 3600 * 1000)

void floe_clean_result_free(floe_clean_result *r) {
    if (!r) return;
    floe_strv_free(r->paths, r->npaths);
    r->paths = NULL;
    r->npaths = 0;
}

/* ---- paths ------------------------------------------------------------------------ */

/* The comparable form of a location (see the top of the file). */
static void norm(const char *uri, floe_buf *out) {
    floe_buf_reset(out);
    const char *rest = uri;
    if (strncmp(uri, "file:", 5) == 0 || !strstr(uri, "://")) {
        rest = floe_uri_local_path(uri);
    } else if (strncmp(uri, "s3a://", 6) == 0 || strncmp(uri, "s3n://", 6) == 0) {
        floe_buf_puts(out, "s3://");
        rest = uri + 6;
    } else {
        const char *sep = strstr(uri, "://");
        floe_buf_append(out, uri, (size_t)(sep + 3 - uri));
        rest = sep + 3;
    }
    for (const char *p = rest; *p; p++)
        if (!(*p == '/' && p[1] == '/')) floe_buf_putc(out, (uint8_t)*p);
    floe_buf_cstr(out);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Files that are never deleted, by name. */
static int protected_name(const char *uri) {
    const char *base = strrchr(uri, '/');
    base = base ? base + 1 : uri;
    static const char *const suffixes[] = {".db",      ".db-wal",     ".db-shm", ".db-journal", ".sqlite",
                                           ".sqlite3", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(base, suffixes[i])) return 1;
    return strcmp(base, "version-hint.text") == 0;
}

/* 1 when the file starts with the SQLite header (a database under another
 * name), or cannot be read to tell. */
static int looks_like_sqlite(floe_fileio *io, const char *uri, int64_t size) {
    static const char magic[16] = "SQLite format 3";
    if (size < (int64_t)sizeof magic) return 0;
    char head[16];
    floe_err e = {0};
    if (io->read_range(io, uri, 0, head, sizeof head, &e)) return e.code != FLOE_ENOTFOUND;
    return memcmp(head, magic, sizeof magic) == 0;
}

/* ---- what the metadata reaches ------------------------------------------------------ */

typedef struct refs {
    floe_pathset paths;     /* normalized reached paths */
    floe_pathset lists;     /* manifest lists walked (raw) */
    floe_manifest_set mans; /* manifests found (raw) */
    int read;               /* mans.v[0..read) have had their entries added */
    floe_buf scratch;
} refs;

static void reach_add(refs *R, const char *uri) {
    norm(uri, &R->scratch);
    floe_pathset_add(&R->paths, (const char *)R->scratch.data, 0);
}

typedef struct progress {
    floe_progress_fn fn;
    void *ctx;
    int stopped;
} progress;

static void report(progress *p, const char *what, int64_t done, int64_t total) {
    if (p->fn && !p->stopped && p->fn(p->ctx, what, done, total) != 0) p->stopped = 1;
}

/* Adds what state st reaches (reading only manifests not read before). */
static int reach_state(floe_table *t, const floe_table_state *st, refs *R, progress *pg, floe_err *err) {
    const floe_ice_metadata *m = st->metadata;
    if (st->metadata_location) reach_add(R, st->metadata_location);
    for (int i = 0; i < m->nmetadata_log; i++)
        if (m->metadata_log[i].file) reach_add(R, m->metadata_log[i].file);
    if (floe_reach_manifests(t, m, &R->lists, &R->mans, err)) return -1;
    for (int i = 0; i < m->nsnapshots; i++)
        if (m->snapshots[i].manifest_list) reach_add(R, m->snapshots[i].manifest_list);
    floe_pathset stats = {0};
    floe_reach_stats_paths(m->extra, "statistics", NULL, &stats);
    floe_reach_stats_paths(m->extra, "partition-statistics", NULL, &stats);
    for (size_t i = 0; i < stats.cap; i++)
        if (stats.keys && stats.keys[i]) reach_add(R, stats.keys[i]);
    floe_pathset_free(&stats);
    for (; R->read < R->mans.n; R->read++) {
        const floe_ice_manifest_file *mf = &R->mans.v[R->read];
        reach_add(R, mf->manifest_path);
        floe_ice_manifest_entry *es;
        int ne;
        if (floe_table_entries(t, mf, &es, &ne, err)) return -1;
        for (int k = 0; k < ne; k++) reach_add(R, es[k].file.file_path);
        floe_table_entries_free(es, ne);
        report(pg, "manifests", R->read + 1, R->mans.n);
    }
    return 0;
}

static void refs_free(refs *R) {
    floe_pathset_free(&R->paths);
    floe_pathset_free(&R->lists);
    floe_manifest_set_free(&R->mans);
    floe_buf_free(&R->scratch);
}

/* ---- the listing ------------------------------------------------------------------ */

typedef struct listed {
    char *uri;
    int64_t size, mtime_ms;
} listed;

typedef struct listing {
    listed *v;
    int n, cap;
    const char *prefix; /* normalized, ends with '/' */
    floe_buf scratch;
} listing;

static int on_file(void *ctx, const floe_file_info *info) {
    listing *l = ctx;
    /* Whatever the IO returns, only what lies below the location counts. */
    norm(info->uri, &l->scratch);
    if (strncmp((const char *)l->scratch.data, l->prefix, strlen(l->prefix)) != 0) return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = floe_xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    l->v[l->n++] = (listed){floe_xstrdup(info->uri), info->size, info->mtime_ms};
    return 0;
}

static int cmp_listed(const void *a, const void *b) {
    return strcmp(((const listed *)a)->uri, ((const listed *)b)->uri);
}

/* ---- cleaning --------------------------------------------------------------------- */

static int clean_table(floe_table *t, const floe_clean_opts *o, floe_clean_result *r, floe_err *err) {
    const floe_ice_metadata *m = floe_table_meta(t);
    int64_t cutoff = o->older_than_ms > 0 ? o->older_than_ms : floe_ice_now_ms() - DEFAULT_WINDOW_MS;
    progress pg = {o->progress, o->progress_ctx, 0};
    refs R;
    memset(&R, 0, sizeof R);
    floe_buf_init(&R.scratch);
    listing L;
    memset(&L, 0, sizeof L);
    floe_buf_init(&L.scratch);
    floe_buf loc, prefix_uri;
    floe_buf_init(&loc);
    floe_buf_init(&prefix_uri);
    char **orphans = NULL;
    int64_t *sizes = NULL;
    int norphans = 0, failures = 0, rc = 0;
    floe_err first = {0};

    if (!m->location || !*m->location) {
        rc = floe_err_set(err, FLOE_EINVAL, "the table has no location");
        goto done;
    }
    /* Reachability first, then the listing: a file written after the walk
     * is young, or reached by the reloaded state below. */
    if (reach_state(t, &t->state, &R, &pg, err)) {
        rc = floe_err_prefix(err, "reading the table's manifests (nothing was deleted)");
        goto done;
    }
    norm(m->location, &loc);
    while (loc.len > 0 && loc.data[loc.len - 1] == '/') loc.len--;
    floe_buf_putc(&loc, '/');
    L.prefix = floe_buf_cstr(&loc);
    floe_buf_puts(&prefix_uri, m->location);
    while (prefix_uri.len > 0 && prefix_uri.data[prefix_uri.len - 1] == '/') prefix_uri.len--;
    floe_buf_putc(&prefix_uri, '/');
    if (t->io->list(t->io, floe_buf_cstr(&prefix_uri), on_file, &L, err)) {
        rc = floe_err_prefix(err, "listing %s", floe_buf_cstr(&prefix_uri));
        goto done;
    }
    if (floe_table_reload(t, err)) {
        rc = floe_err_prefix(err, "reloading the table after listing its files");
        goto done;
    }
    if (reach_state(t, &t->state, &R, &pg, err)) {
        rc = floe_err_prefix(err, "reading the table's manifests (nothing was deleted)");
        goto done;
    }
    if (pg.stopped) goto done; /* asked to stop before anything was deleted */
    if (L.n > 1) qsort(L.v, (size_t)L.n, sizeof *L.v, cmp_listed);

    r->files_listed = L.n;
    orphans = floe_xcalloc(L.n > 0 ? (size_t)L.n : 1, sizeof *orphans);
    sizes = floe_xcalloc(L.n > 0 ? (size_t)L.n : 1, sizeof *sizes);
    for (int i = 0; i < L.n; i++) {
        const listed *f = &L.v[i];
        norm(f->uri, &R.scratch);
        if (floe_pathset_get(&R.paths, (const char *)R.scratch.data)) {
            r->files_referenced++;
        } else if (protected_name(f->uri)) {
            continue;
        } else if (f->mtime_ms >= cutoff) {
            r->young_skipped++;
        } else if (!looks_like_sqlite(t->io, f->uri, f->size)) {
            sizes[norphans] = f->size;
            orphans[norphans++] = f->uri;
        }
    }

    r->paths = floe_xcalloc(norphans > 0 ? (size_t)norphans : 1, sizeof *r->paths);
    for (int i = 0; i < norphans && !pg.stopped; i++) {
        floe_err e = {0};
        if (!o->dry_run && t->io->remove(t->io, orphans[i], &e) != 0) {
            /* Gone already (another cleaner): not ours to count. */
            if (e.code != FLOE_ENOTFOUND && failures++ == 0) first = e;
        } else {
            r->paths[r->npaths++] = floe_xstrdup(orphans[i]);
            r->orphans++;
            r->orphan_bytes += sizes[i];
        }
        report(&pg, "files", i + 1, norphans);
    }
    if (failures) {
        *err = first;
        rc = floe_err_prefix(err, "could not delete %d of %d orphan files (the others were deleted); first", failures,
                             norphans);
    }
done:
    free(orphans);
    free(sizes);
    for (int i = 0; i < L.n; i++) free(L.v[i].uri);
    free(L.v);
    floe_buf_free(&L.scratch);
    floe_buf_free(&loc);
    floe_buf_free(&prefix_uri);
    refs_free(&R);
    return rc;
}

int floe_clean(floe_catalog_handle *c, const char *table, const floe_clean_opts *opts, floe_clean_result *r,
               floe_err *err) {
    memset(r, 0, sizeof *r);
    floe_clean_opts o;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    floe_table *t = floe_table_load_ident(c->catalog, table, err);
    if (!t) return -1;
    int rc = clean_table(t, &o, r, err);
    if (rc) floe_err_prefix(err, "cleaning %s", table);
    floe_table_free(t);
    return rc;
}
