#!/usr/bin/env bash
# maintenance_cli.sh — `floe table health`, `floe rewrite-manifests` and
# `floe clean` end to end on a table filled by `floe ingest`, and
# independent readers on the table afterwards.
#
#   usage      bad options exit 2 with the usage line; a missing table 1;
#   health     a table partitioned by identity(c) with 12 ingests (manifest
#              merging and the bounded history off): --json has the exact
#              file, manifest and snapshot counts, 3 partitions, and the
#              next actions (compact, rewrite manifests); the text form
#              draws the histogram;
#   rewrite    12 manifests become 1 (`replace` snapshot with Java's
#              summary keys), the rows are unchanged, a second run does
#              nothing;
#   clean      with every file aged 10 days and orphans planted (an old
#              data file, an old manifest, a young file, a file of a
#              sibling table "p2" whose location shares the prefix), a dry
#              run lists and keeps them; the real run deletes exactly the
#              old orphans and the metadata files the metadata log no
#              longer names; every file the table references is still
#              there, and the health report afterwards is unchanged;
#   readers    after rewrite and clean, floe's scan, DuckDB (reading every
#              data file `floe table files` lists) and icebird (reading the
#              table through its metadata file) all return the 360 rows.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
CLI_TEST=maint-cli
. "$(dirname "$0")/lib/cli.sh"

count_rows() {
    (cd "$T/work" && "$FLOE" table scan "$1" --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh") | grep -c '"id"'
}
# every file path the table's current snapshot lists, one a line
live_files() {
    (cd "$T/work" && "$FLOE" table files "$1" --json --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh") |
        "$PY" -c 'import json,sys
for f in json.load(sys.stdin): print(f["file-path"])'
}

SCHEMA='{"type":"struct","fields":[{"id":1,"name":"id","required":false,"type":"long"},{"id":2,"name":"c","required":false,"type":"string"}]}'
echo "$SCHEMA" >"$T/work/schema.json"

# ---- usage ---------------------------------------------------------------------
run clean db.p --older-than 3x
expect_rc "clean: a bad duration is a usage error" 2
expect_err "it names the option" "--older-than"
expect_err "the usage line follows" "usage: floe clean"
run table health db.p --top x
expect_rc "health: a bad --top is a usage error" 2
if [ ! -e "$T/work/warehouse" ]; then ok "usage errors create no warehouse"; else not_ok "no warehouse" "created"; fi
for c in "clean" "rewrite-manifests" "table health"; do
    run $c --help
    expect_rc "$c --help" 0
    expect_out "$c --help shows --json" "--json"
done
runc namespace create db
runc table health db.missing
expect_rc "health of a missing table fails" 1
runc rewrite-manifests db.missing
expect_rc "rewrite-manifests of a missing table fails" 1
runc clean db.missing
expect_rc "clean of a missing table fails" 1

# ---- a table with many small manifests ----------------------------------------------
runc table create db.p --schema schema.json --partition-by c --property floe.history.retain-last=0 \
    --property commit.manifest-merge.enabled=false
expect_rc "table created" 0
runc table create db.p2 --schema schema.json
for i in $(seq 1 12); do
    "$PY" -c "
import json
for k in range(30): print(json.dumps({'id': $i * 100 + k, 'c': 'abc'[k % 3]}))" >"$T/work/in.ndjson"
    runc ingest --table db.p in.ndjson
    [ "$RC" -eq 0 ] || not_ok "ingest $i" "$(cat "$T/err")"
done
printf '{"id":1,"c":"x"}\n' >"$T/work/p2.ndjson"
runc ingest --table db.p2 p2.ndjson
EXPECTED_SUM=$("$PY" -c "print(sum(j * 100 + k for j in range(1, 13) for k in range(30)))")

# ---- health ---------------------------------------------------------------------------
runc table health db.p --json
expect_rc "health --json" 0
check_json "36 data files, 360 records, all small" \
    "out['data-files'] == 36 and out['records'] == 360 and out['small-files'] == 36 and out['delete-files'] == 0"
check_json "12 snapshots, 12 manifests, the metadata file's size" \
    "out['snapshots'] == 12 and out['manifests'] == 12 and out['metadata-bytes'] > 0"
check_json "3 partitions of 12 files each" \
    "len(out['partitions']) == 3 and all(p['data-files'] == 12 and p['records'] == 120 for p in out['partitions'])"
check_json "the histogram counts every data file" "sum(b['files'] for b in out['size-histogram']) == 36"
check_json "next actions: compact and rewrite manifests" \
    "out['next-actions'] == ['compact 3 partitions (36 small files)', 'rewrite manifests (12 -> 1)']"
HEALTH_BEFORE=$(cat "$T/out")
runc table health db.p
expect_rc "health (text)" 0
expect_out "text: the histogram" "file sizes (data files)"
expect_out "text: bars" "####"
expect_out "text: partitions" "c=a"
expect_out "text: next actions" "rewrite manifests (12 -> 1)"

# ---- rewrite-manifests ------------------------------------------------------------------
runc rewrite-manifests db.p --json
expect_rc "rewrite-manifests" 0
check_json "12 manifests into 1, 36 entries, one snapshot" \
    "out['manifests-before'] == 12 and out['manifests-after'] == 1 and out['entries'] == 36 and out['snapshots'] == 1"
runc table snapshots db.p --json
check_json "a replace snapshot with Java's summary keys" \
    "out[-1]['summary']['operation'] == 'replace' and out[-1]['summary']['manifests-created'] == '1' and out[-1]['summary']['manifests-replaced'] == '12' and out[-1]['summary']['entries-processed'] == '36'"
rows=$(count_rows db.p)
if [ "$rows" -eq 360 ]; then ok "a scan still returns 360 rows"; else not_ok "rows after rewrite" "got $rows"; fi
runc rewrite-manifests db.p
expect_rc "rewrite-manifests again" 0
expect_out "nothing left to rewrite" "already clustered; nothing to rewrite"
runc table health db.p --json
check_json "health: 1 manifest, no rewrite due" \
    "out['manifests'] == 1 and out['next-actions'] == ['compact 3 partitions (36 small files)']"

# ---- clean ----------------------------------------------------------------------------
LOC=$T/wh/db/p
find "$T/wh" -type f -exec touch -d '10 days ago' {} +
mkdir -p "$LOC/data/c=a" "$T/wh/db/p2/data"
echo orphan >"$LOC/data/c=a/00000-0-dead.parquet"
echo orphan-manifest >"$LOC/metadata/dead-m0.avro"
echo young >"$LOC/data/young.parquet"
touch -d "1 minute ago" "$LOC/data/young.parquet"
echo sibling >"$T/wh/db/p2/data/stray.parquet"
touch -d '10 days ago' "$LOC/data/c=a/00000-0-dead.parquet" "$LOC/metadata/dead-m0.avro" "$T/wh/db/p2/data/stray.parquet"
live_files db.p >"$T/live"
n_live=$(wc -l <"$T/live")
if [ "$n_live" -eq 36 ]; then ok "36 live files listed"; else not_ok "live files" "$n_live"; fi
META_BEFORE=$(ls "$LOC/metadata" | grep -c 'metadata.json$')

runc clean db.p --dry-run --json
expect_rc "clean --dry-run" 0
check_json "dry run: the old orphans (and metadata files beyond the log) listed, the young one kept" \
    "out['dry-run'] and out['young-skipped'] == 1 and any(p.endswith('00000-0-dead.parquet') for p in out['paths']) and any(p.endswith('dead-m0.avro') for p in out['paths']) and out['orphans'] == len(out['paths'])"
check_json "dry run: nothing of the sibling table, nothing referenced" \
    "not any('/db/p2/' in p or 'young' in p for p in out['paths']) and out['files-listed'] == out['files-referenced'] + out['orphans'] + out['young-skipped']"
DRY_ORPHANS=$("$PY" -c "import json; print(json.load(open('$T/out'))['orphans'])")
if [ -e "$LOC/data/c=a/00000-0-dead.parquet" ] && [ -e "$LOC/metadata/dead-m0.avro" ]; then ok "a dry run deletes nothing"
else not_ok "dry run" "deleted files"; fi

runc clean db.p --json
expect_rc "clean" 0
check_json "the same orphans deleted" "not out['dry-run'] and out['orphans'] == $DRY_ORPHANS and out['young-skipped'] == 1"
"$PY" -c "import json; [print(p) for p in json.load(open('$T/out'))['paths']]" >"$T/deleted"
gone=1
while read -r p; do [ -e "${p#file://}" ] && gone=0; done <"$T/deleted"
if [ "$gone" -eq 1 ]; then ok "every reported orphan is gone"; else not_ok "orphans" "some still exist"; fi
if [ -e "$LOC/data/young.parquet" ] && [ -e "$T/wh/db/p2/data/stray.parquet" ] && [ -e "$T/wh/catalog.db" ]; then
    ok "the young file, the sibling table's file and the catalog stay"
else not_ok "kept files" "something was deleted"; fi
missing=0
while read -r p; do [ -e "${p#file://}" ] || missing=$((missing + 1)); done <"$T/live"
if [ "$missing" -eq 0 ]; then ok "every live data file is still there"; else not_ok "live files" "$missing missing"; fi
runc table describe db.p --json
cp "$T/out" "$T/describe.json"
"$PY" - "$T/describe.json" >"$T/metacheck" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
cur = d['metadata-location'].replace('file://', '')
m = json.load(open(cur))
missing = [e['metadata-file'] for e in m.get('metadata-log', []) if not os.path.exists(e['metadata-file'].replace('file://', ''))]
missing += [s['manifest-list'] for s in m['snapshots'] if not os.path.exists(s['manifest-list'].replace('file://', ''))]
print(len(m.get('metadata-log', [])), len(missing))
EOF
read -r nlog nmissing <"$T/metacheck"
if [ "$nmissing" = 0 ]; then ok "the metadata log's files and every manifest list are there"
else not_ok "metadata files" "$nmissing missing"; fi
META_AFTER=$(ls "$LOC/metadata" | grep -c 'metadata.json$')
if [ "$META_AFTER" -eq $((nlog + 1)) ] && [ "$META_BEFORE" -gt "$META_AFTER" ]; then
    ok "metadata files beyond the log went ($META_BEFORE -> $META_AFTER)"
else not_ok "metadata files" "$META_BEFORE -> $META_AFTER, log $nlog"; fi
runc clean db.p --json
check_json "a second clean finds nothing" "out['orphans'] == 0"
runc clean db.p --older-than 1s
expect_rc "clean --older-than 1s (text)" 0
expect_out "text report" "deleted 1 orphan file"
expect_out "the young file goes with a 1s window" "young.parquet"
runc table health db.p --json
"$PY" -c "
import json,sys
a = json.loads(sys.argv[1]); b = json.load(open('$T/out'))
keys = ['data-files', 'records', 'bytes', 'size-histogram', 'partitions']
sys.exit(0 if all(a[k] == b[k] for k in keys) else 1)" "$HEALTH_BEFORE" &&
    ok "health after rewrite and clean: the same files" || not_ok "health after" "$(head -c 400 "$T/out")"

# ---- independent readers ----------------------------------------------------------------
rows=$(count_rows db.p)
if [ "$rows" -eq 360 ]; then ok "floe scan: 360 rows"; else not_ok "floe scan" "got $rows"; fi
(cd "$T/work" && "$FLOE" table files db.p --json --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh") >"$T/files.json"
cat >"$T/readers.mjs" <<EOF
import fs from 'node:fs'
import { duckJson, lit } from '$ROOT/tests/integration/lib/duck.mjs'
import { icebirdRead, localPath } from '$ROOT/tests/integration/lib/iceberg.mjs'
const files = JSON.parse(fs.readFileSync('$T/files.json', 'utf8')).map((f) => localPath(f['file-path']))
const list = '[' + files.map(lit).join(',') + ']'
const [d] = await duckJson('SELECT count(*)::BIGINT AS n, sum(id)::BIGINT AS s, count(DISTINCT id)::BIGINT AS u FROM read_parquet(' + list + ')')
console.log('duckdb', d.n, d.s, d.u)
const desc = JSON.parse(fs.readFileSync('$T/describe.json', 'utf8'))
const rows = await icebirdRead(desc.location, desc['metadata-location'])
let s = 0n
for (const r of rows) s += BigInt(r.id)
console.log('icebird', rows.length, String(s), new Set(rows.map((r) => String(r.id))).size)
EOF
if node "$T/readers.mjs" >"$T/readers.out" 2>"$T/readers.err"; then
    if grep -qx "duckdb 360 $EXPECTED_SUM 360" "$T/readers.out"; then ok "DuckDB reads the 360 rows of the live files"
    else not_ok "DuckDB" "$(cat "$T/readers.out")"; fi
    if grep -qx "icebird 360 $EXPECTED_SUM 360" "$T/readers.out"; then ok "icebird reads the table: 360 rows"
    else not_ok "icebird" "$(cat "$T/readers.out")"; fi
else
    not_ok "readers" "$(head -c 800 "$T/readers.err")"
fi

finish
