#!/usr/bin/env bash
# demo.sh — `floe demo` end to end: an in-process Kafka cluster, the real
# pipeline, a warehouse with the SQLite catalog, and what the demo reports
# checked against the table as `floe table ...` and DuckDB read it.
#
#   run         exits 0 and names the table; produced = rate x seconds;
#   no dead     nothing is dead-lettered (the table has the events' types);
#   rows        the rows it prints = rows `floe table scan` returns =
#               events produced = rows DuckDB reads from the data files;
#   records     event_id unique and every field of the clickstream typed;
#   snapshots   at least 2 commits; each carries floe.kafka.offsets.<group>
#               and floe.commit-id; the last marker's offsets add up to
#               the events produced (every partition read to its end);
#   read back   freshness and 5 rows of the run are printed;
#   again       a second run into the same warehouse appends exactly its
#               own events (a new group, its own marker); ids stay unique;
#   foreign     an existing demo.clickstream of another schema is refused;
#   usage       bad options (and a --partition-by the table cannot take)
#               exit 2.
#
# Uses $FLOE (default build/${MODE:-release}/floe), python3 and node with
# tests/oracle (DuckDB).  Prints `ok - name` / `not ok - name: reason` per
# check and ends with `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
FLOE=${FLOE:-build/${MODE:-release}/floe}
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
WH=$T/wh

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
check() { # check NAME STATUS REASON
    if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi
}
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}

if [ ! -x "$FLOE" ] || ! command -v python3 >/dev/null; then
    not_ok "setup" "needs $FLOE (make) and python3"
    finish
fi

# demo_run NAME SECONDS RATE: runs the demo into $WH; output in $T/NAME.out
# and .err, exit status in RC.
demo_run() {
    timeout 300 "$FLOE" demo --seconds "$2" --rate "$3" --partitions 8 --warehouse "$WH" \
        >"$T/$1.out" 2>"$T/$1.err"
    RC=$?
}
why() { echo "exit $RC; stdout: $(tail -c 600 "$T/$1.out"); stderr: $(tail -c 600 "$T/$1.err")"; }
# The number in the demo's "produced N events" line, and in the first
# "rows N (M from this run)" line (demo.clickstream, the first table listed).
produced_of() { sed -n 's/^produced \([0-9][0-9]*\) events.*/\1/p' "$T/$1.out" | head -n 1; }
rows_of() { sed -n 's/^ *rows  *\([0-9][0-9]*\) (\([0-9][0-9]*\) from this run).*/\1 \2/p' "$T/$1.out" | head -n 1; }
scan_count() { "$FLOE" table scan --warehouse "$WH" demo.clickstream | wc -l; }

# ---- the first run -----------------------------------------------------------------
demo_run one 3 2000
check "first run exits 0" $RC "$(why one)"
grep -q '^  demo\.clickstream$' "$T/one.out"
check "the report names demo.clickstream" $? "$(why one)"
P1=$(produced_of one)
[ "$P1" = 6000 ]
check "produced 6000 events (2000/s for 3 s)" $? "produced '$P1'; $(why one)"
read -r R1 R1MINE <<<"$(rows_of one)"
S1=$(scan_count)
[ -n "$R1" ] && [ "$R1" = "$S1" ] && [ "$R1" = "$P1" ] && [ "$R1MINE" = "$P1" ]
check "rows printed = rows scanned = events produced" $? "printed '$R1' ('$R1MINE' from this run), scanned $S1, produced '$P1'"

"$FLOE" table scan --warehouse "$WH" demo.clickstream >"$T/scan1" 2>"$T/scan1.err"
python3 - "$T/scan1" "$P1" >"$T/py1" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]), len(rows)
ids = [r["event_id"] for r in rows]
assert all(isinstance(i, int) for i in ids), "event_id is not an integer"
assert len(set(ids)) == len(ids), "%d duplicate event ids" % (len(ids) - len(set(ids)))
kinds = set()
for r in rows:
    assert isinstance(r["user_id"], int), r
    for f in ("ts", "session_id", "event", "page", "device", "country"):
        assert isinstance(r[f], str) and r[f], (f, r)
    assert r["referrer"] is None or isinstance(r["referrer"], str), r
    assert r["price"] is None or isinstance(r["price"], (int, float)), r
    kinds.add(r["event"])
assert {"page_view", "search", "add_to_cart"} <= kinds, kinds
assert any(r["price"] is not None for r in rows)
print("ok")
EOF
check "records: event_id unique, fields typed" $? "$(tail -c 400 "$T/py1")"

"$FLOE" table snapshots --json --warehouse "$WH" demo.clickstream >"$T/snaps1" 2>&1
python3 - "$T/snaps1" "$P1" >"$T/py2" 2>&1 <<'EOF'
import json, sys
snaps = json.load(open(sys.argv[1]))
assert len(snaps) >= 2, "%d snapshots" % len(snaps)
last = None
for s in snaps:
    summ = s["summary"]
    keys = [k for k in summ if k.startswith("floe.kafka.offsets.connect-floe-demo-")]
    assert len(keys) == 1, summ
    assert "floe.commit-id" in summ, summ
    last = json.loads(summ[keys[0]])
assert list(last) == ["clickstream"], last
total = sum(int(v) for v in last["clickstream"].values())
assert total == int(sys.argv[2]), "offsets add up to %d" % total
print(len(snaps))
EOF
check "2+ snapshots, each with floe.kafka.offsets.<group>; offsets add up to the events" $? "$(tail -c 400 "$T/py2")"
! grep -q 'dead letters' "$T/one.out" && ! "$FLOE" table list --warehouse "$WH" demo | grep -q __dlq
check "no dead letters" $? "$(why one)"
grep -q '^ *snapshots  *[0-9]' "$T/one.out" && grep -q '^ *data files  *[0-9]' "$T/one.out"
check "the report shows snapshots and data files" $? "$(why one)"
grep -Eq '^freshness .*p50 [0-9]+ ms, p99 [0-9]+ ms' "$T/one.out"
check "the report shows freshness p50/p99" $? "$(why one)"
python3 - "$T/one.out" >"$T/py3" 2>&1 <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
i = next(i for i, l in enumerate(lines) if l.startswith("rows of this run, read back"))
rows = [json.loads(l) for l in lines[i + 1:i + 6]]
assert len(rows) == 5 and all("event_id" in r for r in rows), rows
print("ok")
EOF
check "the report reads back 5 rows" $? "$(tail -c 300 "$T/py3")"

# DuckDB reads the live data files on its own.
"$FLOE" table files --json --warehouse "$WH" demo.clickstream >"$T/files1" 2>&1
if (cd "$ROOT" && node --input-type=module - "$T/files1" >"$T/duck1" 2>&1) <<'EOF'
const { readFileSync } = await import('node:fs')
const { duckJson } = await import(process.cwd() + '/tests/integration/lib/duck.mjs')
const files = JSON.parse(readFileSync(process.argv[2], 'utf8')).filter((f) => f.content === 0)
const list = files.map((f) => `'${f['file-path'].replace(/^file:(\/\/)?/, '')}'`).join(',')
const r = await duckJson(`select count(*)::varchar as n, count(distinct event_id)::varchar as d from read_parquet([${list}])`)
console.log(`${r[0].n} ${r[0].d}`)
EOF
then
    read -r DN DD <"$T/duck1"
    [ "$DN" = "$P1" ] && [ "$DD" = "$P1" ]
    check "DuckDB reads $P1 rows, $P1 distinct event ids" $? "got '$DN' rows, '$DD' distinct"
else
    not_ok "DuckDB reads the data files" "$(tail -c 400 "$T/duck1")"
fi

# ---- a second run appends ----------------------------------------------------------
demo_run two 2 1500
check "second run into the same warehouse exits 0" $RC "$(why two)"
P2=$(produced_of two)
read -r R2 R2MINE <<<"$(rows_of two)"
S2=$(scan_count)
[ "$P2" = 3000 ] && [ "$R2" = $((P1 + P2)) ] && [ "$S2" = $((P1 + P2)) ] && [ "$R2MINE" = "$P2" ]
check "second run adds exactly its events (produced1 + produced2)" $? \
    "produced '$P2', printed '$R2' ('$R2MINE' from this run), scanned $S2, first run $P1"
"$FLOE" table scan --warehouse "$WH" demo.clickstream --columns event_id >"$T/ids2" 2>&1
python3 -c '
import json, sys
ids = [json.loads(l)["event_id"] for l in open(sys.argv[1])]
assert len(ids) == len(set(ids)), "%d duplicates" % (len(ids) - len(set(ids)))
' "$T/ids2" >"$T/py4" 2>&1
check "event ids unique across both runs" $? "$(tail -c 300 "$T/py4")"
"$FLOE" table snapshots --json --warehouse "$WH" demo.clickstream >"$T/snaps2" 2>&1
python3 - "$T/snaps2" "$P2" >"$T/py5" 2>&1 <<'EOF'
import json, sys
snaps = json.load(open(sys.argv[1]))
groups = {}
for s in snaps:
    for k, v in s["summary"].items():
        if k.startswith("floe.kafka.offsets."):
            groups[k] = json.loads(v)
assert len(groups) == 2, list(groups)
# The newest snapshot's marker is the second run's: its own group, its own offsets.
newest = [k for k in snaps[-1]["summary"] if k.startswith("floe.kafka.offsets.")]
assert len(newest) == 1, newest
assert sum(int(v) for v in groups[newest[0]]["clickstream"].values()) == int(sys.argv[2])
print("ok")
EOF
check "second run commits under its own group with its own offsets" $? "$(tail -c 400 "$T/py5")"

# ---- a foreign table of the same name ----------------------------------------------
{ "$FLOE" namespace create --warehouse "$T/other" demo &&
    "$FLOE" table create --warehouse "$T/other" demo.clickstream --schema examples/clickstream.schema.json; } \
    >/dev/null 2>"$T/create.err" || not_ok "setup: create a foreign table" "$(cat "$T/create.err")"
timeout 60 "$FLOE" demo --seconds 1 --rate 10 --warehouse "$T/other" >"$T/foreign.out" 2>"$T/foreign.err"
RC=$?
[ $RC -eq 1 ] && grep -q 'event_id' "$T/foreign.err"
check "a foreign demo.clickstream is refused (exit 1, names event_id)" $? "$(why foreign)"

# ---- usage -------------------------------------------------------------------------
"$FLOE" demo --rate 0 >/dev/null 2>"$T/u1.err"
RC=$?
[ $RC -eq 2 ] && grep -q -- '--rate' "$T/u1.err"
check "--rate 0 is a usage error" $? "exit $RC: $(cat "$T/u1.err")"
"$FLOE" demo --partition-by 'month(nope)' --warehouse "$T/u3" >/dev/null 2>"$T/u3.err"
RC=$?
[ $RC -eq 2 ] && grep -q 'nope' "$T/u3.err"
check "a bad --partition-by is a usage error naming the column" $? "exit $RC: $(cat "$T/u3.err")"
"$FLOE" demo --seconds x >/dev/null 2>"$T/u2.err"
RC=$?
[ $RC -eq 2 ]
check "--seconds x is a usage error" $? "exit $RC: $(cat "$T/u2.err")"
"$FLOE" demo --help >"$T/help.out" 2>&1
RC=$?
[ $RC -eq 0 ] && grep -q 'usage: floe demo' "$T/help.out"
check "--help prints the usage" $? "exit $RC: $(head -c 200 "$T/help.out")"

finish
