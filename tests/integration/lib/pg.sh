# pg.sh — a throwaway PostgreSQL server for tests (source this file).
#
#   pg_start DB   initdb into a fresh temp dir, start the server on a free
#                 port of 127.0.0.1 and on a unix socket inside that dir
#                 (trust authentication, fsync off), create database DB and
#                 set PG_URI (postgresql://postgres@127.0.0.1:PORT/DB), PG_DIR
#                 and PG_PORT.  Returns non-zero with the reason in PG_ERROR.
#   pg_psql DB SQL  runs SQL in DB and prints the rows unaligned, '|' between
#                 columns.
#   pg_stop       stops the server and removes the dir (call it from an EXIT
#                 trap; safe when nothing was started).
#
# The server refuses to run as root: as root (CI), the cluster belongs to
# the Debian "postgres" user (created by the postgresql package) and every
# server command runs as that user through runuser.  Binaries come from
# $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else $PATH.

PG_DIR=
PG_PORT=
PG_URI=
PG_ERROR=

_pg_bin() {
    if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN/$1"; return; fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$d" ] && [ -x "$d/$1" ]; then echo "$d/$1"; else command -v "$1"; fi
}

# Runs a command as the cluster's owner, from / (the owner may not be
# allowed into the working directory: a clone under a 0700 mktemp -d
# folder, and psql then prints "could not change directory" with its rows).
_pg_as() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_start() {
    local db=$1 initdb pg_ctl
    initdb=$(_pg_bin initdb)
    pg_ctl=$(_pg_bin pg_ctl)
    if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
        PG_ERROR="initdb/pg_ctl not found (Debian package postgresql)"
        return 1
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        PG_ERROR="running as root and there is no postgres user to run the server"
        return 1
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/floe-pg.XXXXXX") || { PG_ERROR="mktemp failed"; return 1; }
    chmod 700 "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if ! _pg_as "$initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        PG_ERROR="initdb failed: $(tail -n 5 "$PG_DIR/initdb.log" | tr '\n' ' ')"
        return 1
    fi
    if ! _pg_as "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >"$PG_DIR/pg_ctl.log" 2>&1; then
        PG_ERROR="server did not start: $(tail -n 5 "$PG_DIR/server.log" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
    if ! _pg_as "$(_pg_bin createdb)" -h "$PG_DIR" -p "$PG_PORT" -U postgres "$db" >"$PG_DIR/createdb.log" 2>&1; then
        PG_ERROR="createdb $db failed: $(cat "$PG_DIR/createdb.log")"
        return 1
    fi
    PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/$db"
    return 0
}

pg_psql() {
    _pg_as "$(_pg_bin psql)" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "$1" -c "$2"
}

pg_stop() {
    [ -n "$PG_DIR" ] || return 0
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        _pg_as "$(_pg_bin pg_ctl)" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$PG_DIR"
    PG_DIR=
}
