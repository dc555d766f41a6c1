#!/usr/bin/env bash
# kafka_run.sh — `floe run` features against the mock Kafka cluster
# (tests/tools/mock_kafka.c) with kcat producing hand-made records:
#
#   config        --print-config masks secrets; an invalid value exits 2
#                 naming the key; an unknown key is a warning naming it;
#                 the connector JSON form runs like .properties
#   basic         a clickstream lands whole, with the _kafka_metadata
#                 column (topic, partition, offset) right for every row,
#                 JSON log lines, the progress marker in the summary
#   metrics       /metrics, /healthz and /readyz answer while it runs
#   dynamic       iceberg.tables.dynamic-enabled routes by a field's
#                 value; a record without it becomes a dead letter
#   route-regex   static tables take the records their regex matches
#   envelope      JsonConverter {"schema","payload"} values are unwrapped
#   resume        a second run over the same topic adds nothing
#
# Uses build/${MODE:-release}/{floe,mock-kafka}; ends `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
MODE=${MODE:-release}
FLOE=${FLOE:-build/$MODE/floe}
MOCK=${MOCK_KAFKA:-build/$MODE/mock-kafka}
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-kafka-run.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    exec 9>&- 2>/dev/null
    exec 8>&- 2>/dev/null
    if [ -n "${KAFKA_KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi; }

if [ ! -x "$MOCK" ] || [ ! -x "$FLOE" ] || ! command -v kcat >/dev/null; then
    not_ok setup "needs $FLOE, $MOCK (make) and kcat"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# Two brokers, alive while fds 9 and 8 are open: one with a generated
# clickstream (topic clicks), one with empty topics for kcat.
mkfifo "$T/mock.in" "$T/mock2.in"
"$MOCK" --partitions 4 --topic clicks --produce 3000 <"$T/mock.in" >"$T/mock.out" 2>"$T/mock.err" &
PIDS+=($!)
exec 9>"$T/mock.in"
"$MOCK" --partitions 4 --topic routed --topic byregex --topic env --topic runs <"$T/mock2.in" >"$T/mock2.out" 2>"$T/mock2.err" &
PIDS+=($!)
exec 8>"$T/mock2.in"
for _ in $(seq 200); do
    BOOT=$(sed -n '1s/^bootstrap=//p' "$T/mock.out")
    BOOT2=$(sed -n '1s/^bootstrap=//p' "$T/mock2.out")
    [ -n "$BOOT" ] && [ -n "$BOOT2" ] && break
    sleep 0.1
done
if [ -z "$BOOT" ] || [ -z "$BOOT2" ]; then
    not_ok setup "mock-kafka did not start: $(cat "$T/mock.err" "$T/mock2.err")"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
for _ in $(seq 300); do grep -q '^produced=' "$T/mock.out" && break; sleep 0.1; done

WH=$T/wh
# conf NAME EXTRA-LINES: a .properties config in $T/NAME.properties.
conf() {
    cat >"$T/$1.properties" <<EOF
name=$1
bootstrap.servers=${3:-$BOOT}
iceberg.catalog.warehouse=$WH
iceberg.tables.auto-create-enabled=true
floe.commit.interval-ms=500
floe.metrics.listen=off
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=500
kafka.fetch.wait.max.ms=50
$2
EOF
}
run() { # run NAME [ARGS...]: runs floe to idleness, log in $T/NAME.log
    local name=$1
    shift
    timeout 120 "$FLOE" run "$T/$name.properties" --stop-when-idle 2500 --stats "$T/$name.stats" "$@" \
        2>"$T/$name.log"
}
scan() { "$FLOE" table scan --warehouse "$WH" "$@"; }
stat() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/$1.stats" "$2"; }

# ---- config ---------------------------------------------------------------------------------
conf cfg "topics=clicks
iceberg.tables=db.clicks
iceberg.catalog.token=sekrit-token-123"
out=$("$FLOE" run "$T/cfg.properties" --print-config 2>&1)
check "config: --print-config masks secrets" \
    "$( [[ $out != *sekrit-token-123* && $out == *"iceberg.catalog.token=****"* ]]; echo $?)" "$out"
"$FLOE" run "$T/cfg.properties" -o floe.commit.interval-ms=soon --print-config >"$T/bad.out" 2>&1
rc=$?
check "config: an invalid value exits 2 naming the key" \
    "$( [ $rc -eq 2 ] && grep -q "floe.commit.interval-ms" "$T/bad.out"; echo $?)" "rc=$rc $(cat "$T/bad.out")"

# ---- basic: clickstream with metadata columns and JSON logs -----------------------------------
conf basic "topics=clicks
iceberg.tables=db.clicks
floe.kafka.metadata-columns=all
floe.log.format=json
floe.no-such-key=1"
basic_t0=$(date +%s%3N)
run basic
rc=$?
basic_t1=$(date +%s%3N)
check "basic: run exits 0" "$rc" "$(tail -5 "$T/basic.log")"
check "basic: an unknown key is a warning naming it" "$(grep -q 'floe.no-such-key' "$T/basic.log"; echo $?)" \
    "$(head -3 "$T/basic.log")"
scan db.clicks --columns id,_kafka_metadata >"$T/basic.rows" 2>"$T/basic.scan.err"
python3 - "$T/basic.rows" "$T/basic.log" >"$T/basic.check" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = sorted(r["id"] for r in rows)
assert ids == list(range(3000)), f"ids: {len(ids)} rows, {len(set(ids))} distinct"
seen = set()
for r in rows:
    m = r["_kafka_metadata"]
    assert m["topic"] == "clicks", m
    key = (m["partition"], m["offset"])
    assert key not in seen, key
    seen.add(key)
    assert m["timestamp"], m
# offsets of each partition are 0..n-1
per = {}
for p, o in seen:
    per.setdefault(p, []).append(o)
for p, offs in per.items():
    assert sorted(offs) == list(range(len(offs))), (p, len(offs))
logs = [json.loads(l) for l in open(sys.argv[2])]
commits = [l for l in logs if l["event"] == "commit"]
assert commits and all(l["table"] == "db.clicks" and isinstance(l["records"], int) for l in commits), logs[:3]
assert sum(l["records"] for l in commits) == 3000
print("ok")
EOF
check "basic: every record once, metadata columns right, JSON log lines" \
    "$(grep -qx ok "$T/basic.check"; echo $?)" "$(tail -3 "$T/basic.check") $(cat "$T/basic.scan.err")"
"$FLOE" table snapshots --warehouse "$WH" db.clicks --json >"$T/basic.snaps" 2>&1
python3 - "$T/basic.snaps" >"$T/basic.marker" 2>&1 <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
snaps = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
last = snaps[-1]
summary = last.get("summary", last)
marker = json.loads(summary["floe.kafka.offsets.connect-basic"])
assert sum(marker["clicks"].values()) == 3000, marker
assert summary.get("floe.commit-id"), summary
print("ok")
EOF
check "basic: the last snapshot's marker holds every partition's end" \
    "$(grep -qx ok "$T/basic.marker"; echo $?)" "$(tail -3 "$T/basic.marker")"
# --stats: the wall time the first records were in hand lies within the run
# and before the snapshot that committed them
python3 - "$T/basic.snaps" "$T/basic.stats" "$basic_t0" "$basic_t1" >"$T/basic.first" 2>&1 <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
snaps = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
st = json.load(open(sys.argv[2]))
first, t0, t1 = st["first_record_unix_ms"], int(sys.argv[3]), int(sys.argv[4])
oldest = min(s["timestamp-ms"] for s in snaps)
assert t0 <= first <= oldest <= t1, (t0, first, oldest, t1)
assert st["records_in"] == 3000 and st["records_committed"] == 3000, st
print("ok")
EOF
check "basic: --stats gives the first records' arrival, within the run and before the first snapshot" \
    "$(grep -qx ok "$T/basic.first"; echo $?)" "$(tail -3 "$T/basic.first")"

# ---- resume: the same group over the same topic adds nothing ---------------------------------
conf basic "topics=clicks
iceberg.tables=db.clicks
floe.kafka.metadata-columns=all"
timeout 60 "$FLOE" run "$T/basic.properties" --stop-when-idle 1 --stop-after-records 1 --stats "$T/resume.stats" \
    2>"$T/resume.log" &
rp=$!
sleep 12
kill -TERM $rp 2>/dev/null
wait $rp
rc=$?
n=$(scan db.clicks --columns id | wc -l)
check "resume: a restart of the group reads nothing twice (SIGTERM exits 0)" \
    "$( [ "$n" -eq 3000 ] && [ $rc -eq 0 ]; echo $?)" "rows=$n rc=$rc $(tail -3 "$T/resume.log")"

# ---- metrics ---------------------------------------------------------------------------------
conf met "topics=clicks
iceberg.tables=db.met
floe.metrics.listen=127.0.0.1:0"
timeout 60 "$FLOE" run "$T/met.properties" --stats "$T/met.stats" 2>"$T/met.log" &
mp=$!
PIDS+=($mp)
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.* metrics .*port=\([0-9]*\).*/\1/p' "$T/met.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
for _ in $(seq 200); do
    n=$(scan db.met --columns id 2>/dev/null | wc -l)
    [ "$n" -eq 3000 ] && break
    sleep 0.1
done
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/metrics.txt"
hz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz")
rz=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/readyz")
kill -TERM $mp
wait $mp
rc=$?
check "metrics: /healthz and /readyz answer 200 while running" "$( [ "$hz" = 200 ] && [ "$rz" = 200 ]; echo $?)" \
    "port=$port healthz=$hz readyz=$rz"
for series in 'floe_records_in_total{table="db.met"} 3000' 'floe_records_committed_total{table="db.met"} 3000' \
    'floe_commits_total{table="db.met"}' 'floe_commit_duration_seconds_bucket{table="db.met"' \
    'floe_file_size_bytes_count{table="db.met"}' 'floe_freshness_seconds_count' 'floe_consumer_lag{topic="clicks"' \
    'floe_memory_bytes'; do
    check "metrics: exposes $series" "$(grep -qF "$series" "$T/metrics.txt"; echo $?)" \
        "$(grep -c . "$T/metrics.txt") lines"
done
check "metrics: SIGTERM exits 0" "$rc" "$(tail -3 "$T/met.log")"
# Every committed record counts once in the freshness histogram, and the
# --stats quantiles read back from it are ordered and plausible (the
# records were produced at the start of this test).
fc=$(sed -n 's/^floe_freshness_seconds_count \([0-9]*\)$/\1/p' "$T/metrics.txt")
fq=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["freshness_p50_ms"], s["freshness_p99_ms"], s["freshness_max_ms"])' "$T/met.stats")
check "metrics: freshness counts the 3000 committed records once; --stats p50 <= p99 <= max < 10 min" \
    "$(echo "$fq" | { read -r a b c; [ "$fc" = 3000 ] && awk -v a="$a" -v b="$b" -v c="$c" \
        'BEGIN { exit !(a >= 0 && a <= b && b <= c && c < 600000) }'; }; echo $?)" "count=$fc p50/p99/max=$fq"

# ---- dynamic routing -------------------------------------------------------------------------
{
    for i in $(seq 0 29); do
        case $((i % 3)) in
        0) echo "{\"n\":$i,\"tbl\":\"db.Alpha\"}" ;;
        1) echo "{\"n\":$i,\"tbl\":\"db.beta\"}" ;;
        2) echo "{\"n\":$i}" ;;
        esac
    done
} >"$T/routed.ndjson"
kcat -b "$BOOT2" -P -t routed -p 0 <"$T/routed.ndjson" 2>"$T/kcat.err"
conf dyn "topics=routed
iceberg.tables.dynamic-enabled=true
iceberg.tables.route-field=tbl" "$BOOT2"
run dyn
rc=$?
a=$(scan db.alpha --columns n 2>&1 | wc -l)
b=$(scan db.beta --columns n 2>&1 | wc -l)
d=$(scan default.dyn__dlq --columns offset,error 2>&1)
check "dynamic: route values name tables (lower-cased)" "$( [ $rc -eq 0 ] && [ "$a" -eq 10 ] && [ "$b" -eq 10 ]; echo $?)" \
    "rc=$rc alpha=$a beta=$b $(tail -3 "$T/dyn.log")"
check "dynamic: records without the route field are dead letters with the reason" \
    "$( [ "$(echo "$d" | grep -c "route field 'tbl'")" -eq 10 ]; echo $?)" "$d"

# ---- static routing with route-regex ---------------------------------------------------------
{
    for i in $(seq 0 19); do
        case $((i % 4)) in
        0 | 1) echo "{\"n\":$i,\"kind\":\"click-$i\"}" ;;
        2) echo "{\"n\":$i,\"kind\":\"view-$i\"}" ;;
        3) echo "{\"n\":$i,\"kind\":\"other\"}" ;;
        esac
    done
} >"$T/byregex.ndjson"
kcat -b "$BOOT2" -P -t byregex -p 1 <"$T/byregex.ndjson" 2>>"$T/kcat.err"
conf rx "topics=byregex
iceberg.tables=db.clicks_only,db.views_only
iceberg.tables.route-field=kind
iceberg.table.db.clicks_only.route-regex=click-.*
iceberg.table.db.views_only.route-regex=view-.*" "$BOOT2"
run rx
rc=$?
c=$(scan db.clicks_only --columns n 2>&1 | wc -l)
v=$(scan db.views_only --columns n 2>&1 | wc -l)
check "route-regex: each table takes the records its regex matches" \
    "$( [ $rc -eq 0 ] && [ "$c" -eq 10 ] && [ "$v" -eq 5 ]; echo $?)" "rc=$rc clicks=$c views=$v"

# ---- JsonConverter envelope, connector JSON config ---------------------------------------------
for i in 1 2 3; do
    echo "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"n\",\"type\":\"int64\"}]},\"payload\":{\"n\":$i,\"s\":\"x$i\"}}"
done >"$T/env.ndjson"
kcat -b "$BOOT2" -P -t env -p 2 <"$T/env.ndjson" 2>>"$T/kcat.err"
cat >"$T/env.json" <<EOF
{"name": "env", "config": {
  "connector.class": "org.apache.iceberg.connect.IcebergSinkConnector",
  "topics": "env", "iceberg.tables": "db.env",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true",
  "iceberg.tables.auto-create-enabled": "true",
  "iceberg.catalog.warehouse": "$WH", "bootstrap.servers": "$BOOT2",
  "floe.commit.interval-ms": "500", "floe.metrics.listen": "off",
  "kafka.session.timeout.ms": "6000", "kafka.heartbeat.interval.ms": "500"}}
EOF
timeout 120 "$FLOE" run "$T/env.json" --stop-when-idle 2500 2>"$T/env.log"
rc=$?
rows=$(scan db.env --columns n,s 2>&1 | sort)
check "envelope: payloads are unwrapped (connector JSON config)" \
    "$( [ $rc -eq 0 ] && [ "$rows" = "$(printf '{"n":1,"s":"x1"}\n{"n":2,"s":"x2"}\n{"n":3,"s":"x3"}')" ]; echo $?)" \
    "rc=$rc rows=$rows $(tail -3 "$T/env.log")"

# ---- commit branch: commits go to the configured branch, main stays empty ----------------------
conf br "topics=env
iceberg.tables=db.branched
value.converter.schemas.enable=true
iceberg.tables.default-commit-branch=staging" "$BOOT2"
run br
rc=$?
meta=$(sqlite3 "$WH/catalog.db" "SELECT metadata_location FROM iceberg_tables WHERE table_name='branched'" | sed 's|^file://||')
python3 - "$meta" >"$T/br.check" 2>&1 <<'EOF2'
import json, sys
m = json.load(open(sys.argv[1]))
refs = m.get("refs", {})
assert "staging" in refs and "main" not in refs, refs
assert m.get("current-snapshot-id") in (None, -1), m.get("current-snapshot-id")
head = [s for s in m["snapshots"] if s["snapshot-id"] == refs["staging"]["snapshot-id"]][0]
assert head["summary"]["total-records"] == "3", head["summary"]
assert "floe.kafka.offsets.connect-br" in head["summary"]
print("ok")
EOF2
check "commit-branch: snapshots and the marker go to the branch" \
    "$( [ $rc -eq 0 ] && grep -qx ok "$T/br.check"; echo $?)" "rc=$rc $(tail -3 "$T/br.check") $(tail -2 "$T/br.log")"

# ---- open files: floe.write.max-open-files bounds a table's open data files ---------------------
# 400 records in one Kafka partition, partition values in runs of 100:
# a, b, c, a.  With two files open, c closes a's (the least recently
# written) and the second run of a closes b's: 4 files.  With the default
# bound all three stay open: 3 files.
python3 -c "
for i, k in enumerate('abca'):
    for j in range(100): print('{\"n\":%d,\"k\":\"%s\"}' % (i * 100 + j, k))" >"$T/runs.ndjson"
kcat -b "$BOOT2" -P -t runs -p 0 <"$T/runs.ndjson" 2>"$T/kcat.err"
for lim in 2 default; do
    extra="iceberg.tables.default-partition-by=k"
    [ $lim = default ] || extra="$extra
floe.write.max-open-files=$lim"
    conf "open$lim" "topics=runs
iceberg.tables=db.open$lim
$extra" "$BOOT2"
    run "open$lim" -o floe.commit.interval-ms=60000 -o floe.commit.records=400
    rc=$?
    "$FLOE" table files --warehouse "$WH" "db.open$lim" --json >"$T/open$lim.files" 2>&1
    scan "db.open$lim" --columns n >"$T/open$lim.rows" 2>&1
    python3 - "$T/open$lim.files" "$T/open$lim.rows" "$lim" >"$T/open$lim.check" 2>&1 <<'EOF2'
import json, sys
files = json.load(open(sys.argv[1]))
per = {}
for f in files:
    per.setdefault(f["partition"]["k"], []).append(f["record-count"])
want = {"a": [100, 100], "b": [100], "c": [100]} if sys.argv[3] == "2" else {"a": [200], "b": [100], "c": [100]}
assert {k: sorted(v) for k, v in per.items()} == want, per
ns = sorted(json.loads(l)["n"] for l in open(sys.argv[2]))
assert ns == list(range(400)), (len(ns), len(set(ns)))
print("ok")
EOF2
    check "open files: max-open-files=$lim gives $( [ $lim = 2 ] && echo 4 || echo 3) files, every record once" \
        "$( [ $rc -eq 0 ] && grep -qx ok "$T/open$lim.check"; echo $?)" \
        "rc=$rc $(tail -3 "$T/open$lim.check") $(tail -2 "$T/open$lim.log")"
done
"$FLOE" run "$T/open2.properties" -o floe.write.max-open-files=0 --print-config >"$T/open0.out" 2>&1
rc=$?
check "open files: max-open-files=0 exits 2 naming the key" \
    "$( [ $rc -eq 2 ] && grep -q "floe.write.max-open-files" "$T/open0.out"; echo $?)" "rc=$rc $(cat "$T/open0.out")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
