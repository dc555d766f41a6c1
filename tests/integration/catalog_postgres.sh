#!/usr/bin/env bash
# catalog_postgres.sh — the SQL catalog on a real PostgreSQL server,
# started here from Debian's postgresql package (tests/integration/lib/pg.sh)
# and thrown away at the end:
#
#   unit suite    build/$MODE/tests/test_catalog_sql with FLOE_TEST_CATALOG
#                 set to the server (every test: layout and rows,
#                 namespaces, tables, commits, transactions, the forced CAS
#                 race, concurrent processes, purge);
#   cold start    two copies of the suite at once on a fresh database, so
#                 both race to create the catalog's tables;
#   layout        the columns' SQL types, nullability and primary key as
#                 PostgreSQL reports them, equal to Java JdbcCatalog's.
#
# Prints `ok - name` or `not ok - name: reason` per check and ends with
# `N passed, N failed`, counting the unit suites' tests as well.
set -u
cd "$(dirname "$0")/../.."
BIN=build/${MODE:-release}/tests/test_catalog_sql
. tests/integration/lib/pg.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-catalog-pg.XXXXXX")
trap 'pg_stop; rm -rf "$T"' EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}

# suite NAME LOG: adds the unit suite's counts from its log to the totals.
suite() {
    local last p f
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    if [ -z "$last" ]; then
        not_ok "$1" "no result line; last lines: $(tail -n 15 "$2" | tr '\n' ' ')"
        return
    fi
    p=${last%% passed*}
    f=${last#*, }
    f=${f%% failed*}
    PASS=$((PASS + p))
    FAIL=$((FAIL + f))
    if [ "$f" -eq 0 ]; then
        echo "ok - $1 ($p tests)"
    else
        echo "not ok - $1: $f of $((p + f)) tests failed"
        grep -E '^(FAIL|  )' "$2" | head -n 40
    fi
}

if [ ! -x "$BIN" ]; then
    not_ok "unit test binary" "$BIN is missing (make MODE=${MODE:-release})"
    finish
fi
if ! pg_start floe_test; then
    not_ok "start PostgreSQL" "$PG_ERROR"
    finish
fi
ok "start PostgreSQL on port $PG_PORT"

FLOE_TEST_CATALOG=$PG_URI "$BIN" >"$T/suite.log" 2>&1
suite "unit suite on PostgreSQL" "$T/suite.log"

if pg_psql postgres "CREATE DATABASE floe_cold" >"$T/create.log" 2>&1; then
    cold_uri="postgresql://postgres@127.0.0.1:$PG_PORT/floe_cold"
    FLOE_TEST_CATALOG=$cold_uri "$BIN" >"$T/cold1.log" 2>&1 &
    first=$!
    FLOE_TEST_CATALOG=$cold_uri "$BIN" >"$T/cold2.log" 2>&1
    wait "$first"
    suite "cold start, first of two at once" "$T/cold1.log"
    suite "cold start, second of two at once" "$T/cold2.log"
else
    not_ok "create database floe_cold" "$(cat "$T/create.log")"
fi

# check_columns TABLE WANT: name|type|length|nullable per column, in order.
check_columns() {
    local got
    got=$(pg_psql floe_test "SELECT column_name, data_type, character_maximum_length, is_nullable
        FROM information_schema.columns WHERE table_name = '$1' ORDER BY ordinal_position" 2>&1)
    if [ "$got" = "$2" ]; then ok "$1 columns"; else not_ok "$1 columns" "got: $got"; fi
}
# check_primary_key TABLE WANT: the key's columns in order, comma-separated.
check_primary_key() {
    local got
    got=$(pg_psql floe_test "SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indisprimary AND i.indrelid = '$1'::regclass" 2>&1)
    if [ "$got" = "$2" ]; then ok "$1 primary key"; else not_ok "$1 primary key" "got: $got"; fi
}

check_columns iceberg_tables 'catalog_name|character varying|255|NO
table_namespace|character varying|255|NO
table_name|character varying|255|NO
metadata_location|character varying|1000|YES
previous_metadata_location|character varying|1000|YES
iceberg_type|character varying|5|YES'
check_columns iceberg_namespace_properties 'catalog_name|character varying|255|NO
namespace|character varying|255|NO
property_key|character varying|255|NO
property_value|character varying|1000|YES'
check_primary_key iceberg_tables catalog_name,table_namespace,table_name
check_primary_key iceberg_namespace_properties catalog_name,namespace,property_key

finish
