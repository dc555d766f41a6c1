/*
 * sql_db.c — one SQL connection over SQLite or PostgreSQL.  See sql_db.h.
 *
 * Statements are prepared per call: the catalog runs a handful per
 * operation, and a statement cache would only add state that a reconnect
 * (PostgreSQL) must invalidate.  Results are copied into text cells so that
 * callers see one shape whatever the database.
 */
#include "catalog/sql_db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "io/fileio.h"
#include "util/clock.h"
#include "util/mem.h"

/* SQLite: how long a statement waits for another process's write lock. */
#define SQLITE_BUSY_MS 30000
/* PostgreSQL: the advisory lock key that exclusive transactions take
 * ("floe" in ASCII). */
#define PG_EXCLUSIVE_KEY "1718382437"

struct floe_sqldb {
    floe_sql_dialect dialect;
    sqlite3 *lite;
    PGconn *pg;
    char *path;  /* SQLite: the database file, for messages */
    int in_txn;  /* PostgreSQL: a lost connection inside a transaction is not reopened */
};

void floe_sql_rows_free(floe_sql_rows *r) {
    if (!r->cells) return;
    for (size_t i = 0; i < (size_t)r->nrows * (size_t)r->ncols; i++) free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->nrows = r->ncols = 0;
}

void floe_sql_strv_free(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Appends one row's cells to r (ncols already set). */
static void rows_add(floe_sql_rows *r, char **row) {
    size_t nc = (size_t)r->ncols;
    r->cells = floe_xrealloc(r->cells, sizeof *r->cells * nc * ((size_t)r->nrows + 1));
    memcpy(r->cells + (size_t)r->nrows * nc, row, sizeof *row * nc);
    r->nrows++;
}

floe_sql_dialect floe_sqldb_dialect(const floe_sqldb *db) { return db->dialect; }

/* ---- SQLite ------------------------------------------------------------------ */

static int lite_fail(floe_sqldb *db, const char *what, floe_err *err) {
    int ext = sqlite3_extended_errcode(db->lite);
    int code = FLOE_EIO;
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) code = FLOE_EEXISTS;
    if ((ext & 0xff) == SQLITE_BUSY)
        return floe_err_set(err, code, "%s: %s: %s (waited %d s for other writers)", what, db->path,
                            sqlite3_errmsg(db->lite), SQLITE_BUSY_MS / 1000);
    return floe_err_set(err, code, "%s: %s: %s", what, db->path, sqlite3_errmsg(db->lite));
}

static int lite_exec(floe_sqldb *db, const char *what, const char *sql, const char *const *params, int nparams,
                     floe_sql_rows *rows, int64_t *changes, floe_err *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL) != SQLITE_OK) return lite_fail(db, what, err);
    int want = sqlite3_bind_parameter_count(st);
    if (want != nparams) {
        sqlite3_finalize(st);
        return floe_err_set(err, FLOE_EINVAL, "%s: statement has %d parameters, %d given", what, want, nparams);
    }
    for (int i = 0; i < nparams; i++) {
        int rc = params[i] ? sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC)
                           : sqlite3_bind_null(st, i + 1);
        if (rc != SQLITE_OK) {
            lite_fail(db, what, err);
            sqlite3_finalize(st);
            return -1;
        }
    }
    if (rows) {
        rows->nrows = 0;
        rows->ncols = sqlite3_column_count(st);
        rows->cells = NULL;
    }
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            lite_fail(db, what, err);
            sqlite3_finalize(st);
            if (rows) floe_sql_rows_free(rows);
            return -1;
        }
        if (!rows || rows->ncols == 0) continue;
        char **row = floe_xmalloc(sizeof *row * (size_t)rows->ncols);
        for (int c = 0; c < rows->ncols; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            row[c] = t ? floe_xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, c)) : NULL;
        }
        rows_add(rows, row);
        free(row);
    }
    if (changes) *changes = sqlite3_changes(db->lite);
    sqlite3_finalize(st);
    return 0;
}

static floe_sqldb *lite_open(const char *path, floe_err *err) {
    if (!*path) {
        floe_err_set(err, FLOE_EINVAL, "sqlite catalog URI names no database file");
        return NULL;
    }
    if (floe_local_mkparent(path, err)) {
        floe_err_prefix(err, "opening SQLite database %s", path);
        return NULL;
    }
    floe_sqldb *db = floe_xcalloc(1, sizeof *db);
    db->dialect = FLOE_SQL_SQLITE;
    db->path = floe_xstrdup(path);
    if (sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        floe_err_set(err, FLOE_EIO, "opening SQLite database %s: %s", path,
                     db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
        floe_sqldb_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db->lite, 1);
    sqlite3_busy_timeout(db->lite, SQLITE_BUSY_MS);
    /* WAL lets readers (table loads) run while another process commits.
     * The switch takes an exclusive lock: processes opening a fresh
     * catalog at the same moment can each hold the shared lock another
     * waits on, and SQLite then answers SQLITE_BUSY at once instead of
     * calling the busy handler (waiting could deadlock).  So the switch is
     * retried here, for as long as the busy timeout. */
    int64_t t0 = floe_mono_ms();
    for (;;) {
        floe_sql_rows r = {0};
        if (lite_exec(db, "switching the catalog database to WAL", "PRAGMA journal_mode=WAL", NULL, 0, &r, NULL,
                      err) == 0) {
            floe_sql_rows_free(&r);
            return db;
        }
        int primary = sqlite3_extended_errcode(db->lite) & 0xff;
        if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || floe_mono_ms() - t0 >= SQLITE_BUSY_MS) break;
        floe_sleep_ms(20);
    }
    floe_sqldb_close(db);
    return NULL;
}

/* ---- PostgreSQL -------------------------------------------------------------- */

/* libpq prints server notices ("relation ... already exists, skipping") to
 * stderr by default; the library never prints. */
static void pg_quiet(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static floe_sqldb *pg_open(const char *uri, floe_err *err) {
    floe_sqldb *db = floe_xcalloc(1, sizeof *db);
    db->dialect = FLOE_SQL_POSTGRES;
    db->pg = PQconnectdb(uri);
    if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
        /* The URI may carry a password: the message names the server only
         * through libpq's own text. */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", db->pg ? PQerrorMessage(db->pg) : "out of memory");
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
        floe_err_set(err, FLOE_EIO, "connecting to PostgreSQL: %s", msg);
        floe_sqldb_close(db);
        return NULL;
    }
    PQsetNoticeProcessor(db->pg, pg_quiet, NULL);
    return db;
}

/* '?' placeholders to $1, $2, ...; quoted literals and identifiers are
 * copied as they are. */
static void pg_placeholders(const char *sql, floe_buf *out) {
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?') {
            floe_buf_printf(out, "$%d", ++n);
            continue;
        }
        floe_buf_putc(out, (uint8_t)*p);
    }
    floe_buf_cstr(out);
}

static int pg_fail(floe_sqldb *db, PGresult *res, const char *what, floe_err *err) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(db->pg));
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
    int code = FLOE_EIO;
    if (PQstatus(db->pg) != CONNECTION_OK) code = FLOE_EUNKNOWN;
    else if (state && strcmp(state, "23505") == 0) code = FLOE_EEXISTS;
    else if (state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)) code = FLOE_ECONFLICT;
    return floe_err_set(err, code, "%s: PostgreSQL: %s", what, msg);
}

static int pg_exec(floe_sqldb *db, const char *what, const char *sql, const char *const *params, int nparams,
                   floe_sql_rows *rows, int64_t *changes, floe_err *err) {
    if (PQstatus(db->pg) != CONNECTION_OK) {
        /* Reopening inside a transaction would silently run the rest of it
         * outside one. */
        if (db->in_txn)
            return floe_err_set(err, FLOE_EIO, "%s: PostgreSQL: the connection was lost during a transaction",
                                what);
        PQreset(db->pg);
        if (PQstatus(db->pg) != CONNECTION_OK) return pg_fail(db, NULL, what, err);
    }
    floe_buf q;
    floe_buf_init(&q);
    pg_placeholders(sql, &q);
    PGresult *res = PQexecParams(db->pg, (const char *)q.data, nparams, NULL, params, NULL, NULL, 0);
    floe_buf_free(&q);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_fail(db, res, what, err);
        PQclear(res);
        return -1;
    }
    if (rows) {
        rows->nrows = 0;
        rows->ncols = PQnfields(res);
        rows->cells = NULL;
        int nr = PQntuples(res);
        for (int i = 0; i < nr && rows->ncols > 0; i++) {
            char **row = floe_xmalloc(sizeof *row * (size_t)rows->ncols);
            for (int c = 0; c < rows->ncols; c++)
                row[c] = PQgetisnull(res, i, c)
                             ? NULL
                             : floe_xstrndup(PQgetvalue(res, i, c), (size_t)PQgetlength(res, i, c));
            rows_add(rows, row);
            free(row);
        }
    }
    if (changes) {
        const char *t = PQcmdTuples(res);
        *changes = *t ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(res);
    return 0;
}

/* ---- the interface ----------------------------------------------------------- */

floe_sqldb *floe_sqldb_open(const char *uri, floe_err *err) {
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) return pg_open(uri, err);
    if (strncmp(uri, "sqlite:", 7) == 0) {
        const char *path = uri + 7;
        /* "sqlite:///abs/path" and "sqlite://rel/path" as well as "sqlite:path". */
        if (strncmp(path, "//", 2) == 0) path += 2;
        return lite_open(path, err);
    }
    floe_err_set(err, FLOE_EINVAL, "%s: not a SQL catalog URI (sqlite:PATH or postgresql://...)", uri);
    return NULL;
}

void floe_sqldb_close(floe_sqldb *db) {
    if (!db) return;
    if (db->lite) sqlite3_close(db->lite);
    if (db->pg) PQfinish(db->pg);
    free(db->path);
    free(db);
}

int floe_sqldb_exec(floe_sqldb *db, const char *what, const char *sql, const char *const *params, int nparams,
                    floe_sql_rows *rows, int64_t *changes, floe_err *err) {
    if (db->dialect == FLOE_SQL_SQLITE) return lite_exec(db, what, sql, params, nparams, rows, changes, err);
    return pg_exec(db, what, sql, params, nparams, rows, changes, err);
}

int floe_sqldb_begin(floe_sqldb *db, int exclusive, floe_err *err) {
    if (db->dialect == FLOE_SQL_SQLITE)
        return lite_exec(db, "starting a write transaction", "BEGIN IMMEDIATE", NULL, 0, NULL, NULL, err);
    if (pg_exec(db, "starting a transaction", "BEGIN", NULL, 0, NULL, NULL, err)) return -1;
    db->in_txn = 1;
    if (exclusive && pg_exec(db, "taking the catalog's exclusive lock",
                             "SELECT pg_advisory_xact_lock(" PG_EXCLUSIVE_KEY ")", NULL, 0, NULL, NULL, err)) {
        floe_sqldb_rollback(db);
        return -1;
    }
    return 0;
}

int floe_sqldb_commit(floe_sqldb *db, floe_err *err) {
    if (db->dialect == FLOE_SQL_SQLITE) {
        if (lite_exec(db, "committing", "COMMIT", NULL, 0, NULL, NULL, err) == 0) return 0;
        floe_sqldb_rollback(db);
        return -1;
    }
    /* PostgreSQL answers COMMIT of a transaction that already failed with
     * the tag ROLLBACK and no error. */
    PGresult *res = PQexec(db->pg, "COMMIT");
    int rc = 0;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) rc = pg_fail(db, res, "committing", err);
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = floe_err_set(err, FLOE_EIO, "committing: PostgreSQL rolled the transaction back");
    PQclear(res);
    db->in_txn = 0;
    return rc;
}

void floe_sqldb_rollback(floe_sqldb *db) {
    if (db->dialect == FLOE_SQL_SQLITE) {
        if (!sqlite3_get_autocommit(db->lite)) sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
        return;
    }
    if (PQstatus(db->pg) == CONNECTION_OK) PQclear(PQexec(db->pg, "ROLLBACK"));
    db->in_txn = 0;
}

int floe_sqldb_columns(floe_sqldb *db, const char *table, char ***out, int *n, floe_err *err) {
    const char *sql = db->dialect == FLOE_SQL_SQLITE
                          ? "SELECT name FROM pragma_table_info(?) ORDER BY cid"
                          : "SELECT column_name FROM information_schema.columns"
                            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position";
    floe_sql_rows r = {0};
    floe_buf what;
    floe_buf_init(&what);
    floe_buf_printf(&what, "reading the columns of %s", table);
    int rc = floe_sqldb_exec(db, floe_buf_cstr(&what), sql, &table, 1, &r, NULL, err);
    floe_buf_free(&what);
    if (rc) return -1;
    *out = floe_xcalloc((size_t)r.nrows + 1, sizeof **out);
    for (int i = 0; i < r.nrows; i++) (*out)[i] = floe_xstrdup(floe_sql_cell(&r, i, 0));
    *n = r.nrows;
    floe_sql_rows_free(&r);
    return 0;
}
