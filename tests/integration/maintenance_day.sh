#!/usr/bin/env bash
# maintenance_day.sh — background table maintenance (src/pipeline/maintain.c)
# keeps streamed tables healthy without ever failing a streaming commit.
#
# First, inside `floe run` against mock-kafka (6,000 records, a commit every
# 100 ms, maintenance every 500 ms): compaction runs in the pipeline, its
# log line and metrics appear, the run exits 0 and every record is there
# once.  Then the simulated day:
#
# tests/tools/simday.c (build/$MODE/simday) commits one small data file per
# simulated second into sim.clicks, partitioned by hour(ts), while the
# maintainer of `floe run` (src/pipeline/maintain.c) runs in its own thread
# with a 1 s interval, a 1 MiB target file size and 64 MiB per compaction
# pass.  MODE=release simulates the whole day (86,400 commits, 24 hour
# partitions); MODE=asan 6 hours (3,600 commits of 6 simulated seconds, 6
# partitions), with the same checks.  SIMDAY_COMMITS overrides the count.
#
# The driver checks (its `ok - simday: ...` lines): no append failed, the
# live files per partition, the manifests and the snapshots stay below their
# bounds all along, the closed-out hours end with a median file size of at
# least half the target, every file deleted during the run was unreachable
# from the final metadata and every retained snapshot, and cleanup removed
# only the orphan files the driver planted.  Then the rows: floe's scan,
# DuckDB over the files floe lists, and icebird must each return exactly
# the committed rows (lib/maintenance_day_check.mjs).
#
# Time is compressed about 100 times (the writer commits up to 120
# simulated seconds per wall second), so the maintainer sees in each 1 s
# interval the small files of 100 commits, and its commits race a writer
# that commits every ~10 ms instead of every second.  The table therefore
# gets settings a real stream would not need: the writer merges manifests
# every 8 instead of 100 (a compaction commit attempt reads every manifest
# of the table, and must fit between two appends), and a lost commit race
# is retried after 2-100 ms instead of 100 ms-60 s.  The driver also runs
# with fsync off (--no-fsync, see simday.c; UNSAFE, test only): a commit's
# fsyncs cost 5-20 ms here, which would stretch the day past a test's time.
# Durability is not what this test is about.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MODE=${MODE:-release}
FLOE=${FLOE:-build/$MODE/floe}
case "$FLOE" in /*) ;; *) FLOE=$ROOT/$FLOE ;; esac
SIMDAY=$(dirname "$FLOE")/simday
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-simday.XXXXXX")
trap 'rm -rf "$T"' EXIT

# release: the day, a commit of 8 rows per simulated second, at most 90
# commits per wall second (at 108 a second the busiest hour's partition
# once reached 1,903 files before compaction caught up).  asan (about 8 times slower): 6 hours, a commit
# of 48 rows per 6 simulated seconds (3,600 commits, the same rows per
# hour, 600 files per hour instead of 3,600, so the files bound is 300
# instead of 1,800), at most 20 commits per wall second.  The bound is half of
# what an hour's partition would hold without compaction: at 100 commits
# per wall second a pass that takes a few seconds on a loaded machine
# leaves hundreds of new files (seen: 650-1,120 over a day).
if [ "$MODE" = asan ]; then
    COMMITS=${SIMDAY_COMMITS:-3600} STEP=6 RECORDS=48 FILES_BOUND=300 RATE=20
else
    COMMITS=${SIMDAY_COMMITS:-86400} STEP=1 RECORDS=8 FILES_BOUND=1800 RATE=90
fi

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
sanitizer() { grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$1"; }

if [ ! -x "$SIMDAY" ]; then
    not_ok "simday" "$SIMDAY is not built (make MODE=$MODE)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# ---- floe run: the maintainer inside the pipeline ----
# mock-kafka produces 6,000 records over ~6 s into an unpartitioned table
# committed every 100 ms, with maintenance every 500 ms: compaction must run
# inside `floe run` (log line, metrics) and the run must stop cleanly with
# every record once.
MOCK=$(dirname "$FLOE")/mock-kafka
if [ -x "$MOCK" ]; then
    mkfifo "$T/mock.in"
    "$MOCK" --partitions 2 --topic clicks --produce 6000 --rate 1000 <"$T/mock.in" >"$T/mock.out" 2>"$T/mock.err" &
    MOCKPID=$!
    exec 9>"$T/mock.in"
    BOOT=
    for _ in $(seq 200); do
        BOOT=$(sed -n '1s/^bootstrap=//p' "$T/mock.out")
        [ -n "$BOOT" ] && break
        sleep 0.1
    done
    cat >"$T/run.properties" <<EOF
name=maint
topics=clicks
bootstrap.servers=$BOOT
iceberg.tables=db.m
iceberg.catalog.warehouse=$T/runwh
iceberg.tables.auto-create-enabled=true
iceberg.tables.default-partition-by=
floe.commit.interval-ms=100
floe.metrics.listen=127.0.0.1:0
floe.maintenance.interval-ms=500
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=500
kafka.fetch.wait.max.ms=50
EOF
    timeout 120 "$FLOE" run "$T/run.properties" --stop-when-idle 3000 2>"$T/run.log" &
    RUNPID=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.* metrics .*port=\([0-9]*\).*/\1/p' "$T/run.log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    for _ in $(seq 150); do
        curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/metrics.txt" 2>/dev/null
        grep -q 'floe_maintenance_runs_total{table="db.m",action="compact"}' "$T/metrics.txt" && break
        sleep 0.1
    done
    wait $RUNPID
    RC=$?
    exec 9>&-
    wait $MOCKPID 2>/dev/null
    if sanitizer "$T/run.log"; then not_ok "floe run: no sanitizer report" "$(grep -m1 -E 'ERROR:|runtime error:' "$T/run.log")"
    elif [ "$RC" -eq 0 ]; then ok "floe run with maintenance exits 0"
    else not_ok "floe run with maintenance exits 0" "exit $RC: $(tail -c 600 "$T/run.log")"; fi
    if grep -q 'maintenance table=db.m action=compact files=[1-9]' "$T/run.log"; then ok "floe run: compaction ran in the pipeline"
    else not_ok "floe run: compaction ran in the pipeline" "no compact line in $(grep -m3 maintenance "$T/run.log")"; fi
    miss=
    for series in 'floe_maintenance_runs_total{table="db.m",action="compact"}' \
        'floe_compaction_files_rewritten_total{table="db.m"}' 'floe_table_small_files{table="db.m"}' \
        'floe_table_snapshots{table="db.m"}' 'floe_maintenance_duration_seconds_count{action="compact"}'; do
        grep -qF "$series" "$T/metrics.txt" || miss="$miss $series"
    done
    if [ -z "$miss" ]; then ok "floe run: maintenance metrics are served"
    else not_ok "floe run: maintenance metrics are served" "missing:$miss"; fi
    ids=$("$FLOE" table scan db.m --warehouse "$T/runwh" --columns id 2>/dev/null | sort | uniq | wc -l)
    rows=$("$FLOE" table scan db.m --warehouse "$T/runwh" --columns id 2>/dev/null | wc -l)
    if [ "$ids" -eq 6000 ] && [ "$rows" -eq 6000 ]; then ok "floe run: every record once after compaction"
    else not_ok "floe run: every record once after compaction" "$rows rows, $ids distinct ids, expected 6000"; fi
else
    not_ok "floe run with maintenance" "$MOCK is not built"
fi

# ---- the day ----
"$SIMDAY" "$T/wh" "$COMMITS" --step "$STEP" --records "$RECORDS" --no-fsync --rate "$RATE" --target 1048576 \
    --interval-ms 1000 --max-bytes 67108864 --clean-interval-ms 15000 --clean-window-ms 20000 --orphan-every 1000 \
    --files-bound "$FILES_BOUND" --manifests-bound 64 --snapshots-bound 40 \
    --table-prop commit.manifest.min-count-to-merge=8 --table-prop commit.retry.min-wait-ms=2 \
    --table-prop commit.retry.max-wait-ms=100 --table-prop commit.retry.num-retries=1000 >"$T/out" 2>"$T/err"
RC=$?
grep '^# ' "$T/out"
while IFS= read -r line; do
    case "$line" in
        "ok - "*) PASS=$((PASS + 1)); echo "$line" ;;
        "not ok - "*) FAIL=$((FAIL + 1)); echo "$line" ;;
    esac
done <"$T/out"
if sanitizer "$T/err"; then not_ok "simday: no sanitizer report" "$(grep -m1 -E 'ERROR:|runtime error:' "$T/err")"
elif [ "$RC" -ne 0 ] && ! grep -q '^not ok' "$T/out"; then not_ok "simday: runs" "exit $RC: $(tail -c 600 "$T/err")"
else ok "simday: runs to the end (exit $RC)"; fi
if grep -q 'maintenance ' "$T/err"; then ok "maintenance log lines are written"
else not_ok "maintenance log lines are written" "no 'maintenance' line in $(head -c 300 "$T/err")"; fi

# ---- the rows, by three readers ----
CAT=(--catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh")
if "$FLOE" table scan sim.clicks "${CAT[@]}" >"$T/scan.ndjson" 2>"$T/scan.err" &&
    "$FLOE" table files sim.clicks --json "${CAT[@]}" >"$T/files.json" 2>>"$T/scan.err" &&
    "$FLOE" table describe sim.clicks --json "${CAT[@]}" >"$T/describe.json" 2>>"$T/scan.err"; then
    node tests/integration/lib/maintenance_day_check.mjs "$T/wh" "$T/scan.ndjson" "$T/files.json" \
        "$T/describe.json" >"$T/check" 2>&1
    while IFS= read -r line; do
        case "$line" in
            "ok - "*) PASS=$((PASS + 1)); echo "$line" ;;
            "not ok - "*) FAIL=$((FAIL + 1)); echo "$line" ;;
            "# "*) echo "$line" ;;
        esac
    done <"$T/check"
    grep -q '^ok - icebird' "$T/check" || grep -q '^not ok' "$T/check" ||
        not_ok "row checks" "$(tail -c 600 "$T/check")"
else
    not_ok "floe reads the table" "$(head -c 600 "$T/scan.err")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
