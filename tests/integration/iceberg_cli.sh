#!/usr/bin/env bash
# iceberg_cli.sh — the `floe` command's table, namespace and ingest commands
# end to end: exit codes, messages and outputs.
#
#   help         every command has --help with its usage and the catalog
#                options; the overview lists them; `floe table` lists its
#                commands;
#   usage        usage errors exit 2 with "floe: ..." and the usage line, and
#                never create a warehouse;
#   catalog      --catalog/--warehouse before or after the command words,
#                FLOE_CATALOG/FLOE_WAREHOUSE from the environment, flags over
#                the environment, the defaults under the working directory;
#   namespaces   create (with properties), list, describe, drop; duplicates,
#                missing and non-empty namespaces fail with exit 1;
#   tables       create (schema file errors, bad partition terms), list,
#                describe (text and JSON), snapshots and files (empty and
#                after ingests), rename, drop with and without --purge;
#   ingest       from a file and from standard input, table auto-creation,
#                a partition spec that disagrees, missing input.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
CLI_TEST=ice-cli
. "$(dirname "$0")/lib/cli.sh"

if [ ! -x "$FLOE" ]; then
    not_ok "floe binary" "$FLOE is missing; build it first (make)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
mkdir -p "$T/work"

cat >"$T/schema.json" <<'EOF'
{"type": "struct", "fields": [
  {"id": 1, "name": "id", "required": true, "type": "long"},
  {"id": 2, "name": "ts", "required": false, "type": "timestamptz"},
  {"id": 3, "name": "kind", "required": false, "type": "string", "doc": "what happened"},
  {"id": 4, "name": "loc", "required": false, "type": {"type": "struct", "fields": [
    {"id": 5, "name": "lat", "required": false, "type": "double"}]}}]}
EOF
for i in $(seq 0 99); do
    printf '{"id":%d,"ts":"2026-01-0%dT10:00:00Z","kind":"k%d","loc":{"lat":%d.5}}\n' "$i" $((i % 3 + 1)) $((i % 4)) "$i"
done >"$T/rows.ndjson"

# ---- help -------------------------------------------------------------------
CMDS=("table create" "table list" "table describe" "table snapshots" "table files" "table scan" "table drop"
      "table rename" "namespace create" "namespace list" "namespace describe" "namespace drop" "ingest")
run help
expect_rc "help exits 0" 0
missing=""
for c in "${CMDS[@]}"; do grep -qF "  $c " "$T/out" || missing="$missing '$c'"; done
if [ -z "$missing" ]; then ok "help lists every table, namespace and ingest command"; else not_ok "help lists the commands" "missing:$missing"; fi
expect_out "help mentions the catalog options" "--catalog URI"
for c in "${CMDS[@]}"; do
    # shellcheck disable=SC2086
    run $c --help
    if [ "$RC" -eq 0 ] && grep -q "^usage: floe $c" "$T/out" && grep -qF -- "--catalog URI" "$T/out" && grep -qF -- "--warehouse DIR" "$T/out"; then
        ok "floe $c --help: usage and catalog options"
    else
        not_ok "floe $c --help" "exit $RC: $(head -c 300 "$T/out")"
    fi
done
run table
expect_rc "'floe table' alone is a usage error" 2
expect_err "'floe table' lists the table commands" "table describe"

# ---- usage errors -------------------------------------------------------------
usage_case() { # NAME MESSAGE ARGS...
    local name=$1 msg=$2
    shift 2
    run "$@" --catalog "sqlite:$T/never/catalog.db" --warehouse "$T/never"
    if [ "$RC" -eq 2 ] && grep -qF -- "floe: $msg" "$T/err" && grep -q '^usage: floe' "$T/err"; then
        ok "usage error: $name"
    else
        not_ok "usage error: $name" "exit $RC, stderr: $(head -c 400 "$T/err")"
    fi
}
usage_case "create without --schema" "--schema is required" table create db.t
usage_case "create without a name" "missing arguments" table create --schema "$T/schema.json"
usage_case "create with a bad --property" "--property 'nokey': expected KEY=VALUE" table create db.t --schema "$T/schema.json" --property nokey
usage_case "unknown option" "unknown option '--bogus'" table list --bogus
usage_case "too many arguments" "unexpected argument 'b'" table describe a.t b
usage_case "files --snapshot not a number" "--snapshot: 'x1' is not a snapshot id" table files db.t --snapshot x1
usage_case "rename with one name" "missing arguments" table rename db.t
usage_case "ingest without --table" "--table is required" ingest "$T/rows.ndjson"
usage_case "ingest without input" "missing arguments" ingest --table db.t
usage_case "ingest --commit-interval-ms 0" "--commit-interval-ms: '0' is not a positive number" ingest --table db.t --commit-interval-ms 0 -
usage_case "ingest --commit-bytes junk" "--commit-bytes: 'junk' is not a size" ingest --table db.t --commit-bytes junk -
usage_case "namespace create with a bad --property" "--property '=v': expected KEY=VALUE" namespace create ns --property =v
if [ -e "$T/never" ]; then not_ok "usage errors create no warehouse" "$T/never exists"; else ok "usage errors create no warehouse"; fi

# ---- catalog options ------------------------------------------------------------
run namespace create envns
expect_rc "with no catalog options the default catalog is used" 0
if [ -f "$T/work/warehouse/catalog.db" ]; then ok "the default catalog is ./warehouse/catalog.db"; else not_ok "default catalog" "$(ls -R "$T/work" | head)"; fi
(cd "$T/work" && FLOE_CATALOG="sqlite:$T/env/catalog.db" FLOE_WAREHOUSE="$T/env" "$FLOE" namespace create fromenv >"$T/out" 2>"$T/err")
RC=$?
expect_rc "FLOE_CATALOG and FLOE_WAREHOUSE are used" 0
if [ -f "$T/env/catalog.db" ]; then ok "FLOE_CATALOG names the catalog file"; else not_ok "FLOE_CATALOG" "no $T/env/catalog.db"; fi
(cd "$T/work" && FLOE_CATALOG="sqlite:$T/env/catalog.db" "$FLOE" namespace list --catalog "sqlite:$T/work/warehouse/catalog.db" >"$T/out" 2>"$T/err")
expect_out_is "--catalog wins over FLOE_CATALOG" "envns"
(cd "$T/work" && FLOE_WAREHOUSE="$T/env" "$FLOE" namespace list >"$T/out" 2>"$T/err")
expect_out_is "FLOE_WAREHOUSE alone puts the catalog in that warehouse" "fromenv"
run --catalog "sqlite:$T/env/catalog.db" namespace list
expect_out_is "--catalog before the command words" "fromenv"
run --warehouse="$T/env" --catalog="sqlite:$T/env/catalog.db" namespace list
expect_out_is "--warehouse=DIR --catalog=URI before the command words" "fromenv"
run namespace list --catalog "bogus:thing"
expect_rc "an unknown catalog URI fails" 1
expect_err "... naming it" "floe: bogus:thing"

# ---- namespaces ------------------------------------------------------------------
runc namespace create db --property owner=alice --property "comment=a b=c"
expect_rc "namespace create with properties" 0
expect_out "namespace create reports" "created namespace db"
runc namespace create db.inner
expect_rc "nested namespace create" 0
runc namespace create db
expect_rc "namespace create twice fails" 1
expect_err "... saying it exists" "floe: "
runc namespace list
expect_out_is "namespace list: top level only" "db"
runc namespace list db
expect_out_is "namespace list PARENT" "db.inner"
runc namespace describe db
expect_out "namespace describe shows owner" "owner=alice"
expect_out "namespace describe keeps '=' in values" "comment=a b=c"
runc namespace describe nope
expect_rc "namespace describe of a missing namespace fails" 1
runc namespace drop db.inner
expect_rc "namespace drop" 0
runc namespace list db
expect_out_is "the dropped namespace is gone" ""
runc namespace drop nope
expect_rc "namespace drop of a missing namespace fails" 1

# ---- tables ----------------------------------------------------------------------
runc table create db.t --schema "$T/nofile.json"
expect_rc "create with a missing schema file fails" 1
expect_err "... naming the file" "nofile.json"
echo '{"type": "struct", "fields": [{"id": 1, "name": "a", "required": true, "type": "lonk"}]}' >"$T/bad.json"
runc table create db.t --schema "$T/bad.json"
expect_rc "create with a bad schema fails" 1
expect_err "... naming the type" "lonk"
runc table create db.t --schema "$T/schema.json" --partition-by 'day(nope)'
expect_rc "create with a bad partition term fails" 1
expect_err "... naming the column" "nope"
runc table create nons.t --schema "$T/schema.json"
expect_rc "create in a missing namespace fails" 1
runc table list
expect_out_is "failed creates leave no table" ""

runc table create db.events --schema "$T/schema.json" --partition-by 'day(ts), bucket(4, id)' --property format-version=2 --property write.metadata.previous-versions-max=5
expect_rc "table create" 0
expect_out "table create reports" "created table db.events"
runc table create db.events --schema "$T/schema.json"
expect_rc "table create twice fails" 1
expect_err "... saying it exists" "db.events"
runc table create db.plain --schema "$T/schema.json"
runc table list
expect_out_is "table list" "$(printf 'db.events\ndb.plain')"
runc table list db
expect_out_is "table list NS" "$(printf 'db.events\ndb.plain')"
runc namespace create other
runc table list other
expect_out_is "table list of a namespace without tables" ""

runc table describe db.events
expect_rc "describe" 0
expect_out "describe: name" "db.events"
expect_out "describe: format version" "format-version:    2"
expect_out "describe: no snapshot yet" "current snapshot:  none"
expect_out "describe: a column with id, type and nullability" "long"
expect_out "describe: nested columns by path" "loc.lat"
expect_out "describe: docs" "what happened"
expect_out "describe: day partition" "ts_day = day(ts)"
expect_out "describe: bucket partition" "id_bucket = bucket[4](id)"
expect_out "describe: properties" "write.metadata.previous-versions-max=5"
runc table describe db.events --json
check_json "describe --json: name, location, format version" "out['name'] == 'db.events' and out['location'].startswith('file://') and out['format-version'] == 2"
check_json "describe --json: schema and partition spec in Iceberg JSON" "[f['name'] for f in out['schema']['fields']] == ['id','ts','kind','loc'] and [f['transform'] for f in out['partition-spec']['fields']] == ['day','bucket[4]']"
check_json "describe --json: no current snapshot" "out['current-snapshot-id'] is None and out['snapshot-count'] == 0"
runc table describe db.nope
expect_rc "describe of a missing table fails" 1
expect_err "... naming it" "db.nope"
runc table snapshots db.events --json
check_json "snapshots --json of a new table is []" "out == []"
runc table files db.events --json
check_json "files --json of a new table is []" "out == []"
runc table files db.events --snapshot 42
expect_rc "files --snapshot of a missing snapshot fails" 1
expect_err "... naming it" "42"

# ---- ingest ------------------------------------------------------------------------
runc ingest --table db.events --commit-bytes 2K "$T/rows.ndjson"
expect_rc "ingest from a file" 0
expect_out "ingest reports records and commits" "ingested 100 records into db.events:"
ncommits=$(sed -n 's/.*: \([0-9]*\) commits\{0,1\},.*/\1/p' "$T/out")
runc table snapshots db.events --json
check_json "one snapshot per reported commit ($ncommits)" "len(out) == int('$ncommits') > 1"
check_json "snapshots carry summaries and the current flag" "out[-1]['current'] and out[-1]['summary']['operation'] == 'append' and out[-1]['summary']['total-records'] == '100' and 'floe.commit-id' in out[-1]['summary']"
runc table snapshots db.events
expect_out "snapshots text: header" "snapshot-id"
if [ "$(grep -c '^\*' "$T/out")" = 1 ]; then ok "snapshots text marks one current snapshot"; else not_ok "snapshots text marks the current snapshot" "$(OUT)"; fi
runc table files db.events --json
check_json "files --json: 100 records, partitioned paths" "sum(f['record-count'] for f in out) == 100 and all('/ts_day=' in f['file-path'] and '/id_bucket=' in f['file-path'] for f in out)"
check_json "files --json: partition values" "all(set(f['partition']) == {'ts_day', 'id_bucket'} for f in out)"
runc table files db.events
expect_out "files text: header" "records"
expect_out "files text: partition" "ts_day=2026-01-01/id_bucket="
runc table describe db.events
expect_out "describe after ingest names the current snapshot" "snapshots)"
# write.metadata.previous-versions-max=5 keeps the metadata-log short
runc table describe db.events --json
mdfile=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata-location"][len("file://"):])' "$T/out")
"$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if len(m["metadata-log"]) <= 5 else 1)' "$mdfile"
if [ $? -eq 0 ]; then ok "write.metadata.previous-versions-max is honoured"; else not_ok "previous-versions-max" "$(head -c 300 "$mdfile")"; fi

(cd "$T/work" && "$FLOE" ingest --table db.plain - --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh" <"$T/rows.ndjson" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "ingest from standard input" 0
expect_out "... reports 100 records" "ingested 100 records into db.plain"
runc table scan db.plain --columns id
if [ "$(grep -c . "$T/out")" = 100 ]; then ok "scan finds the 100 records"; else not_ok "scan after stdin ingest" "$(head -c 300 "$T/out")"; fi

runc ingest --table db.events --partition-by 'day(ts)' "$T/rows.ndjson"
expect_rc "ingest with a partition spec the table does not have fails" 1
expect_err "... saying so" "partition spec"
runc ingest --table db.events "$T/none.ndjson"
expect_rc "ingest of a missing file fails" 1
expect_err "... naming it" "none.ndjson: No such file or directory"
runc ingest --table fresh.auto --partition-by 'kind' "$T/rows.ndjson"
expect_rc "ingest into a missing table creates it" 0
expect_out "... and says so" "(created the table)"
runc table describe fresh.auto --json
check_json "the created table has the inferred schema and the partition spec" "[(f['name'], f['type'] if isinstance(f['type'], str) else f['type']['type']) for f in out['schema']['fields']] == [('id','long'),('ts','timestamptz'),('kind','string'),('loc','struct')] and out['partition-spec']['fields'][0]['name'] == 'kind'"
printf '{"id":1,"extra":2}\n' >"$T/extra.ndjson"
runc ingest --table db.plain "$T/extra.ndjson"
expect_rc "ingest with an unknown field succeeds" 0
expect_err "... noting the skipped field" "matched no schema field"

# ---- rename and drop -----------------------------------------------------------------
loc=$(cd "$T/work" && "$FLOE" table describe db.plain --json --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["location"][len("file://"):])')
runc table rename db.plain other.moved
expect_rc "rename across namespaces" 0
expect_out "rename reports" "renamed table db.plain to other.moved"
runc table list
expect_out_is "the renamed table is listed under its new name" "$(printf 'db.events\nfresh.auto\nother.moved')"
runc table scan other.moved --columns id
if [ "$(grep -c . "$T/out")" = 101 ]; then ok "the renamed table keeps its rows"; else not_ok "renamed table rows" "$(grep -c . "$T/out") rows"; fi
runc table describe db.plain
expect_rc "the old name is gone" 1
runc table rename db.events other.moved
expect_rc "rename onto an existing table fails" 1
runc namespace drop other
expect_rc "dropping a namespace that holds a table fails" 1
expect_err "... saying it is not empty" "not empty"
runc table drop other.moved
expect_rc "drop" 0
if [ -d "$loc/metadata" ]; then ok "drop without --purge keeps the files"; else not_ok "drop keeps files" "$loc/metadata is gone"; fi
runc table drop other.moved
expect_rc "dropping it again fails" 1
loc=$(cd "$T/work" && "$FLOE" table describe fresh.auto --json --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["location"][len("file://"):])')
runc table drop fresh.auto --purge
expect_rc "drop --purge" 0
expect_out "drop --purge reports" "and its files"
left=$(find "$loc" -type f 2>/dev/null | head -n 3)
if [ -z "$left" ]; then ok "drop --purge deletes the table's files"; else not_ok "drop --purge" "left: $left"; fi
runc namespace drop other
expect_rc "the emptied namespace drops" 0

finish
