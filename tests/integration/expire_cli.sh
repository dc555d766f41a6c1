#!/usr/bin/env bash
# expire_cli.sh — `floe expire` end to end, and the bounded history of the
# commit path seen through the CLI.
#
#   usage      bad durations and counts exit 2 with the usage line; a
#              missing table exits 1;
#   expire     a table with 8 ingest commits (bounded history off):
#              --dry-run changes nothing, --retain-last 3 removes the 5
#              oldest (text and --json report the ids and the deleted
#              manifest lists), `table snapshots` shows 3, every data file
#              stays and a scan returns every row; --older-than with a
#              duration longer than the table's age removes nothing;
#   bounded    a table left at floe's defaults keeps its snapshot count
#              bounded (floe.history.retain-last + slack) over 40 commits,
#              with every row still there.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
CLI_TEST=expire-cli
. "$(dirname "$0")/lib/cli.sh"

count_snapshots() {
    (cd "$T/work" && "$FLOE" table snapshots "$1" --json --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh") |
        grep -c '"snapshot-id"'
}
count_rows() {
    (cd "$T/work" && "$FLOE" table scan "$1" --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh") | grep -c '"id"'
}

SCHEMA='{"type":"struct","fields":[{"id":1,"name":"id","required":false,"type":"long"},{"id":2,"name":"s","required":false,"type":"string"}]}'
echo "$SCHEMA" >"$T/work/schema.json"

# ---- usage ---------------------------------------------------------------------
run expire db.t --older-than 3x
expect_rc "a bad duration is a usage error" 2
expect_err "it names the option" "--older-than"
expect_err "the usage line follows" "usage: floe expire"
run expire db.t --retain-last 0
expect_rc "--retain-last 0 is a usage error" 2
if [ ! -e "$T/work/warehouse" ]; then ok "usage errors create no warehouse"; else not_ok "no warehouse" "created"; fi
run expire --help
expect_rc "--help" 0
expect_out "--help shows the options" "--retain-last N"
runc namespace create db
runc expire db.missing
expect_rc "a missing table fails" 1

# ---- expire ---------------------------------------------------------------------
runc table create db.t --schema schema.json --property floe.history.retain-last=0
expect_rc "table created" 0
for i in 1 2 3 4 5 6 7 8; do
    printf '{"id":%d,"s":"a"}\n{"id":%d,"s":"b"}\n' $((i * 10)) $((i * 10 + 1)) >"$T/work/in$i.ndjson"
    runc ingest --table db.t "in$i.ndjson"
    [ "$RC" -eq 0 ] || not_ok "ingest $i" "$(cat "$T/err")"
done
n=$(count_snapshots db.t)
if [ "$n" -eq 8 ]; then ok "8 snapshots with the bound off"; else not_ok "8 snapshots" "got $n"; fi
data_before=$(find "$T/wh/db/t/data" -name '*.parquet' | sort)

runc expire db.t --retain-last 3 --dry-run
expect_rc "dry run" 0
expect_out "dry run reports" "would expire 5 snapshots of db.t; 3 remain"
n=$(count_snapshots db.t)
if [ "$n" -eq 8 ]; then ok "a dry run changes nothing"; else not_ok "dry run" "$n snapshots"; fi

runc expire db.t --retain-last 3 --json
expect_rc "expire --retain-last 3" 0
check_json "five ids expired" "len(out['expired-snapshot-ids']) == 5 and out['retained-snapshots'] == 3"
check_json "their manifest lists deleted, no data file" \
    "out['deleted-manifest-lists'] == 5 and out['deleted-data-files'] == 0 and out['cleanup-error'] is None"
n=$(count_snapshots db.t)
if [ "$n" -eq 3 ]; then ok "table snapshots shows 3"; else not_ok "3 snapshots" "got $n"; fi
data_after=$(find "$T/wh/db/t/data" -name '*.parquet' | sort)
if [ "$data_before" = "$data_after" ]; then ok "every data file stays"; else not_ok "data files" "changed"; fi
rows=$(count_rows db.t)
if [ "$rows" -eq 16 ]; then ok "a scan returns every row"; else not_ok "rows" "got $rows"; fi

runc expire db.t --older-than 3d
expect_rc "expire --older-than 3d" 0
expect_out "nothing is that old" "expired 0 snapshots of db.t; 3 remain"
runc expire db.t --older-than 1ms --retain-last 2
expect_rc "--older-than with --retain-last" 0
expect_out "text report" "expired 1 snapshot of db.t; 2 remain"
expect_out "deleted files are counted" "deleted: 1 manifest list"

# ---- bounded history at floe's defaults --------------------------------------------
runc table create db.b --schema schema.json
max=0
for i in $(seq 1 40); do
    printf '{"id":%d,"s":"x"}\n' "$i" >"$T/work/b.ndjson"
    runc ingest --table db.b b.ndjson
    [ "$RC" -eq 0 ] || not_ok "ingest b$i" "$(cat "$T/err")"
    n=$(count_snapshots db.b)
    [ "$n" -gt "$max" ] && max=$n
done
if [ "$max" -le 15 ] && [ "$max" -ge 10 ]; then ok "the default bound holds ($max snapshots at most)"
else not_ok "default bound" "up to $max snapshots"; fi
rows=$(count_rows db.b)
if [ "$rows" -eq 40 ]; then ok "every row of the bounded table is there"; else not_ok "bounded rows" "got $rows"; fi
runc table describe db.b
expect_out "tables floe creates keep a short metadata log" "write.metadata.previous-versions-max=10"

finish
