/*
 * sql_db.h — the little a catalog needs from a SQL database, over SQLite
 * (sqlite3) and PostgreSQL (libpq), so that the SQL catalog (sql.c) is
 * written once: one connection, statements with '?' placeholders bound to
 * text values (or NULL), results as text cells, write transactions, and
 * errors mapped to floe's codes.
 *
 * SQLite: WAL journal (readers never wait for the writer) and a busy
 * timeout, so concurrent processes queue for the write lock instead of
 * failing; write transactions are BEGIN IMMEDIATE, taking the write lock up
 * front (a deferred transaction that reads first cannot wait for the lock
 * later: SQLite fails it at once).  PostgreSQL: READ COMMITTED; '?' becomes
 * $1, $2, ...; a lost connection is reopened before the next statement.
 *
 * Error codes: a unique or primary key violation is FLOE_EEXISTS; a
 * deadlock or serialization failure (PostgreSQL) is FLOE_ECONFLICT; a
 * connection lost while a statement ran is FLOE_EUNKNOWN (the server may
 * have applied it); anything else is FLOE_EIO.  Messages read
 * "<what>: <database's message>".
 */
#ifndef FLOE_CATALOG_SQL_DB_H
#define FLOE_CATALOG_SQL_DB_H

#include <stdint.h>

#include "util/err.h"

typedef enum { FLOE_SQL_SQLITE, FLOE_SQL_POSTGRES } floe_sql_dialect;

typedef struct floe_sqldb floe_sqldb;

/* A query's result: nrows x ncols text cells, row-major; NULL is SQL NULL. */
typedef struct floe_sql_rows {
    int nrows, ncols;
    char **cells;
} floe_sql_rows;

void floe_sql_rows_free(floe_sql_rows *r);
static inline const char *floe_sql_cell(const floe_sql_rows *r, int row, int col) {
    return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

/* "sqlite:PATH" (also "sqlite://PATH"; the file and its directory are
 * created when missing) or "postgresql://..." / "postgres://..." (a libpq
 * connection URI). */
floe_sqldb *floe_sqldb_open(const char *uri, floe_err *err);
void floe_sqldb_close(floe_sqldb *db);
floe_sql_dialect floe_sqldb_dialect(const floe_sqldb *db);

/* Runs one statement.  params[i] binds the i-th '?' (NULL = SQL NULL).
 * rows (may be NULL) receives the result rows; changes (may be NULL) the
 * number of rows an INSERT/UPDATE/DELETE matched.  `what` names the
 * statement's purpose for errors ("creating table db.t"). */
int floe_sqldb_exec(floe_sqldb *db, const char *what, const char *sql, const char *const *params, int nparams,
                    floe_sql_rows *rows, int64_t *changes, floe_err *err);

/* Starts a write transaction.  `exclusive` also serializes it against
 * every other exclusive transaction on the database (SQLite's write lock
 * always does; on PostgreSQL a transaction-scoped advisory lock), for work
 * like creating the catalog's tables that must not interleave. */
int floe_sqldb_begin(floe_sqldb *db, int exclusive, floe_err *err);
int floe_sqldb_commit(floe_sqldb *db, floe_err *err);
/* Ends the transaction without applying it; safe when none is open. */
void floe_sqldb_rollback(floe_sqldb *db);

/* The column names of `table` in the connection's schema, in order (*n = 0
 * when the table does not exist).  *out is a malloc'd array of malloc'd
 * strings. */
int floe_sqldb_columns(floe_sqldb *db, const char *table, char ***out, int *n, floe_err *err);

/* Frees an array of n malloc'd strings and the array. */
void floe_sql_strv_free(char **v, int n);

#endif
