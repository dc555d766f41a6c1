#!/usr/bin/env bash
# floe's streaming benchmark: Kafka topic to committed Iceberg table, next to
# the source limit, in one run against one broker.
#
#   usage: bash bench/kafka.sh [RECORDS]     (default 1000000)
#
# The broker is build/release/mock-kafka (librdkafka's mock cluster, in its
# own process on this machine): one topic of PARTITIONS partitions (default
# 64; the mock keeps only ~5 MiB per partition), RECORDS lz4-compressed
# clickstream records (about 240 bytes of key and value each) produced
# before anything reads them.  Then, RUNS times (default 3), alternating:
#
#  1. plain   bench/kafka_consumer.c: a librdkafka batch consumer in a fresh
#             group with floe's consumer settings, which only counts the
#             records (and checks every id arrived exactly once: the proof
#             that the mock dropped nothing) until it has RECORDS;
#  2. floe    `floe run CONFIG --stop-after-records RECORDS --stats FILE`
#             in a fresh group into a fresh warehouse (SQLite catalog),
#             table auto-created, committing every COMMIT_MS (default
#             10000) and as soon as all RECORDS records are in
#             (floe.commit.records), so that the final commit does not wait
#             out the interval.
#  3. encode  `floe parquet write` of the same records' values from a file
#             (dumped once, untimed, by kafka_consumer --dump) with the
#             table's schema: the encoding alone, no Kafka and no table.
#             With the plain consumer's CPU time and the broker's during
#             it, this gives a floor under any streamer's steady time on
#             this machine: (plain CPU + encoding CPU + broker CPU) / cores,
#             each the least of the runs.
#             The broker's CPU is read from /proc/PID/stat of mock-kafka.
#
# Time runs from just before the process is started (so both include
# process start and joining the group, which the mock, like a real broker's
# group.initial.rebalance.delay.ms, holds for 3 s) to the last record read
# (plain) or to the final commit (floe: the newest snapshot's timestamp-ms).
# The "steady" columns leave the start out: they run from the first record
# read to the same end.  The best run of each counts; peak RSS is GNU time's
# Maximum resident set size, the largest of the runs.
#
# 4. freshness  a second cluster: floe runs with a 1 s commit interval while
#    mock-kafka produces RATE records/s (default 30000) for FRESH_SECONDS
#    (default 30), after a 1,000-record warm-up that floe has committed
#    before the steady stream starts (so that joining the group is not
#    counted).  Reported: floe's own freshness_p50/p99_ms (commit time minus
#    the Kafka timestamp, over all committed records) and two external
#    figures over the steady stream's records: (a) the committing
#    snapshot's timestamp-ms minus the record's "ts" field (the producer's
#    wall clock); (b) the time a poller (`floe table snapshots --json`
#    every POLL_S, default 0.1 s) first saw that snapshot minus "ts".  The
#    poller also keeps each snapshot's timestamp-ms, as floe expires old
#    snapshots while it runs.
#
# Output: the tables go to standard output and bench/out/kafka.md; the raw
# figures stay in bench/out/kafka/.  Environment: PARTITIONS, RUNS,
# COMMIT_MS, RATE, FRESH_SECONDS, POLL_S, FLOE (default build/release/floe),
# FRESH=0 to skip part 4, THROUGHPUT=0 to skip parts 1-3.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-1000000}
PARTITIONS=${PARTITIONS:-64}
RUNS=${RUNS:-3}
COMMIT_MS=${COMMIT_MS:-10000}
RATE=${RATE:-30000}
FRESH_SECONDS=${FRESH_SECONDS:-30}
POLL_S=${POLL_S:-0.1}
FRESH=${FRESH:-1}
THROUGHPUT=${THROUGHPUT:-1}
WARMUP=1000
for v in RECORDS PARTITIONS RUNS COMMIT_MS RATE FRESH_SECONDS; do
    case "${!v}" in ''|*[!0-9]*) echo "bench: $v must be a number" >&2; exit 2 ;; esac
done
FLOE=${FLOE:-build/release/floe}
MOCK=build/release/mock-kafka
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time (/usr/bin/time) is missing: bash scripts/deps.sh" >&2; exit 1; }
[ -x "$FLOE" ] && [ -x "$MOCK" ] || make -j2 MODE=release "$FLOE" "$MOCK" >/dev/null
"$FLOE" run --help >/dev/null 2>&1 || { echo "bench: $FLOE has no 'run' command" >&2; exit 1; }
mkdir -p bench/data bench/out/kafka
OUT=bench/out/kafka
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wvla $(pkg-config --cflags rdkafka) \
    -o bench/data/kafka_consumer bench/kafka_consumer.c $(pkg-config --libs rdkafka)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-kafka.XXXXXX")
POLLER=
cleanup() {
    [ -n "$POLLER" ] && kill "$POLLER" 2>/dev/null || true
    [ -n "${MK_PID:-}" ] && kill "$MK_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# A private copy: a rebuild during the run must not swap the binary.
cp "$FLOE" "$WORK/floe"
FLOE=$WORK/floe
log() { echo "bench: $*" >&2; }
# CPU seconds (user + system) that mock-kafka's process has used so far.
mock_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$MK_PID/stat"; }
cpu_of() { awk -F': ' '/User time|System time/{ s += $2 } END { printf "%.2f", s }' "$1"; }
ms_now() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# The consumer settings both sides get (floe as kafka.*, the plain consumer
# as -X): the contract's test settings; everything else is librdkafka's
# default in both (max.partition.fetch.bytes 1 MB, fetch.wait.max.ms as
# below), except the prefetch queue: floe's default
# queued.max.messages.kbytes is 16 MiB (librdkafka's 64 MiB), so the plain
# consumer gets that too (PLAIN_SETTINGS; librdkafka then lowers
# fetch.max.bytes to 16 MiB in both).
KAFKA_SETTINGS=(session.timeout.ms=6000 heartbeat.interval.ms=500 fetch.wait.max.ms=50)
PLAIN_SETTINGS=(queued.max.messages.kbytes=16384)

# start_mock ARGS...: starts mock-kafka as a coprocess (its stdin is ours,
# so it lives until we close it) and sets BOOT.
start_mock() {
    coproc MK { exec "$MOCK" "$@" 2>"$OUT/mock.stderr"; }
    local line
    read -r -t 30 -u "${MK[0]}" line || { log "mock-kafka did not start"; cat "$OUT/mock.stderr" >&2; exit 1; }
    BOOT=${line#bootstrap=}
}
# wait_produced N: waits for mock-kafka's "produced=N" line.
wait_produced() {
    local line
    while read -r -t 600 -u "${MK[0]}" line; do
        [ "$line" = "produced=$1" ] && return 0
    done
    log "mock-kafka did not report produced=$1"; cat "$OUT/mock.stderr" >&2; exit 1
}
stop_mock() {
    eval "exec ${MK[1]}>&-"
    wait "$MK_PID" 2>/dev/null || true
    MK_PID=
}

# write_config FILE NAME TOPIC TABLE WAREHOUSE COMMIT_MS [COMMIT_RECORDS]
# iceberg.catalog=floe: the catalog name the floe table commands use, so
# that they see the tables floe run makes.
write_config() {
    {
        echo "name=$2"
        echo "topics=$3"
        echo "iceberg.tables=$4"
        echo "iceberg.tables.auto-create-enabled=true"
        echo "iceberg.catalog.warehouse=$5"
        echo "bootstrap.servers=$BOOT"
        echo "iceberg.catalog=floe"
        echo "floe.commit.interval-ms=$6"
        [ -n "${7:-}" ] && echo "floe.commit.records=$7"
        echo "floe.metrics.listen=off"
        for kv in "${KAFKA_SETTINGS[@]}"; do echo "kafka.$kv"; done
    } >"$1"
}

# stamp_lines: prefixes each of floe's stderr lines with the epoch ms of
# its arrival (the end of a floe run is the arrival of its last commit line).
stamp_lines() { while IFS= read -r l; do echo "$(ms_now) $l"; done; }

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
NCPU=$(nproc)
DATE=$(date -u +%Y-%m-%d)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$OUT/runs.jsonl"

# ---- 1 to 3: throughput ------------------------------------------------------
if [ "$THROUGHPUT" = 1 ]; then
    log "producing $RECORDS records into $PARTITIONS partitions"
    start_mock --partitions "$PARTITIONS" --topic clicks --produce "$RECORDS"
    wait_produced "$RECORDS"
    XARGS=()
    for kv in "${KAFKA_SETTINGS[@]}" "${PLAIN_SETTINGS[@]}"; do XARGS+=(-X "$kv"); done
    # The records themselves, for the encoding runs (not timed).
    if ! bench/data/kafka_consumer "$BOOT" clicks "$RECORDS" "${XARGS[@]}" --dump "$WORK/records.ndjson" \
        >"$OUT/dump.json" 2>"$OUT/dump.stderr"; then
        log "dumping the records failed:"; cat "$OUT/dump.json" "$OUT/dump.stderr" >&2; exit 1
    fi
    for i in $(seq "$RUNS"); do
        # plain consumer
        t0=$(ms_now)
        m0=$(mock_cpu)
        if ! "$TIME" -v -o "$OUT/plain-$i.time" bench/data/kafka_consumer "$BOOT" clicks "$RECORDS" "${XARGS[@]}" \
            >"$OUT/plain-$i.json" 2>"$OUT/plain-$i.stderr"; then
            log "plain consumer failed (run $i):"; cat "$OUT/plain-$i.json" "$OUT/plain-$i.stderr" >&2; exit 1
        fi
        m1=$(mock_cpu)
        rss=$(awk -F': ' '/Maximum resident set size/{ print $2 }' "$OUT/plain-$i.time")
        python3 - "$OUT/plain-$i.json" "$t0" "$rss" "$i" "$(cpu_of "$OUT/plain-$i.time")" "$m0" "$m1" >>"$OUT/runs.jsonl" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); t0 = int(sys.argv[2])
print(json.dumps({"who": "plain", "run": int(sys.argv[4]), "cpu_s": float(sys.argv[5]), "records": r["records"], "bytes": r["bytes"],
                  "t0": t0, "first_ms": r["first_ms"], "end_ms": r["last_ms"], "rss_kb": int(sys.argv[3]),
                  "broker_cpu_s": round(float(sys.argv[7]) - float(sys.argv[6]), 2),
                  "missing": r["missing"], "duplicates": r["duplicates"]}))
EOF
        log "plain run $i: $(tail -n 1 "$OUT/runs.jsonl")"

        # floe
        WH=$WORK/wh-$i
        rm -rf "$WH"; mkdir -p "$WH"
        write_config "$WORK/floe-$i.properties" "bench-$i-$$" clicks bench.clicks "$WH" "$COMMIT_MS" "$RECORDS"
        t0=$(ms_now)
        if ! "$TIME" -v -o "$OUT/floe-$i.time" "$FLOE" run "$WORK/floe-$i.properties" \
            --stop-after-records "$RECORDS" --stats "$OUT/floe-$i.stats.json" 2> >(stamp_lines >"$OUT/floe-$i.log"); then
            sleep 0.2; log "floe run failed (run $i):"; tail -n 20 "$OUT/floe-$i.log" >&2; exit 1
        fi
        t1=$(ms_now)
        sleep 0.2 # let the log stamper finish
        "$FLOE" table snapshots bench.clicks --json --warehouse "$WH" >"$OUT/floe-$i.snapshots.json"
        rss=$(awk -F': ' '/Maximum resident set size/{ print $2 }' "$OUT/floe-$i.time")
        python3 - "$OUT/floe-$i.stats.json" "$OUT/floe-$i.snapshots.json" "$OUT/floe-$i.log" "$t0" "$t1" "$rss" "$i" \
            "$(cpu_of "$OUT/floe-$i.time")" >>"$OUT/runs.jsonl" <<'EOF'
import json, re, sys
st = json.load(open(sys.argv[1]))
snaps = json.load(open(sys.argv[2]))
total = max(int(s["summary"].get("total-records", 0)) for s in snaps) if snaps else 0
# floe's start of records: first_record_unix_ms, taken when its first
# poll returned records, as the plain consumer takes its first_ms (before
# either has handled them).  The end: the arrival of floe's last "commit"
# line, written once the catalog has taken the snapshot (the snapshot's
# timestamp-ms is taken before its files are written and synced).
first = st.get("first_record_unix_ms") or None
end = None
for l in open(sys.argv[3]):
    ms, _, text = l.partition(" ")
    if re.search(r" commit table=", text):
        end = int(ms)
print(json.dumps({"who": "floe", "run": int(sys.argv[7]), "cpu_s": float(sys.argv[8]), "records": st["records_committed"],
                  "bytes": st["bytes_in"], "t0": int(sys.argv[4]), "first_ms": first,
                  "end_ms": end or max(s["timestamp-ms"] for s in snaps),
                  "last_snapshot_ms": max(s["timestamp-ms"] for s in snaps), "exit_ms": int(sys.argv[5]),
                  "rss_kb": int(sys.argv[6]), "table_records": total, "commits": st["commits"],
                  "files": st["files"], "elapsed_ms": st["elapsed_ms"],
                  "memory_peak_bytes": st["memory_peak_bytes"], "fetch_nudges": st.get("fetch_nudges")}))
EOF
        log "floe run $i: $(tail -n 1 "$OUT/runs.jsonl")"
        if [ "$i" = 1 ]; then
            # Every record exactly once in the table.
            got=$("$FLOE" table scan bench.clicks --columns id --warehouse "$WH" | sort -u | wc -l)
            [ "$got" = "$RECORDS" ] || { log "the table has $got distinct ids, expected $RECORDS"; exit 1; }
            log "table holds $got distinct ids"
            "$FLOE" table describe bench.clicks --json --warehouse "$WH" |
                python3 -c 'import json, sys; json.dump(json.load(sys.stdin)["schema"], sys.stdout)' >"$WORK/schema.json"
        fi
        rm -rf "$WH"

        # the same records encoded alone: from a file, no Kafka, no table
        t0=$(ms_now)
        if ! "$TIME" -v -o "$OUT/encode-$i.time" "$FLOE" parquet write --schema "$WORK/schema.json" \
            "$WORK/records.ndjson" "$WORK/encode.parquet" >"$OUT/encode-$i.log" 2>&1; then
            log "floe parquet write failed (run $i):"; cat "$OUT/encode-$i.log" >&2; exit 1
        fi
        t1=$(ms_now)
        rss=$(awk -F': ' '/Maximum resident set size/{ print $2 }' "$OUT/encode-$i.time")
        python3 - "$i" "$RECORDS" "$(stat -c %s "$WORK/records.ndjson")" "$t0" "$t1" \
            "$(cpu_of "$OUT/encode-$i.time")" "$rss" >>"$OUT/runs.jsonl" <<'EOF'
import json, sys
print(json.dumps({"who": "encode", "run": int(sys.argv[1]), "records": int(sys.argv[2]), "file_bytes": int(sys.argv[3]),
                  "wall_s": (int(sys.argv[5]) - int(sys.argv[4])) / 1000, "cpu_s": float(sys.argv[6]),
                  "rss_kb": int(sys.argv[7])}))
EOF
        rm -f "$WORK/encode.parquet"
        log "encode run $i: $(tail -n 1 "$OUT/runs.jsonl")"
    done
    rm -f "$WORK/records.ndjson"
    stop_mock
fi

# ---- 4: freshness ---------------------------------------------------------------
if [ "$FRESH" = 1 ]; then
    N=$((RATE * FRESH_SECONDS))
    log "freshness: warm-up of $WARMUP records, then $N at $RATE/s"
    start_mock --partitions "$PARTITIONS" --topic fresh --produce "$WARMUP"
    wait_produced "$WARMUP"
    WH=$WORK/wh-fresh
    mkdir -p "$WH"
    write_config "$WORK/fresh.properties" "bench-fresh-$$" fresh bench.fresh "$WH" 1000
    "$TIME" -v -o "$OUT/fresh.time" "$FLOE" run "$WORK/fresh.properties" --stop-after-records $((WARMUP + N)) \
        --stats "$OUT/fresh.stats.json" 2>"$OUT/fresh.log" &
    FLOE_PID=$!
    # Wait for the warm-up's commit: floe is then in the group and caught up.
    for _ in $(seq 300); do
        "$FLOE" table snapshots bench.fresh --json --warehouse "$WH" 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    # The poller: each line is the epoch ms at which a `floe table snapshots`
    # call started, then the snapshot ids it listed.
    (
        set +e +o pipefail
        while :; do
            t=$(ms_now)
            ids=$("$FLOE" table snapshots bench.fresh --json --warehouse "$WH" 2>>"$OUT/fresh.poll.stderr" |
                sed -n 's/.*"snapshot-id":\([0-9]*\),.*"timestamp-ms":\([0-9]*\).*/\1:\2/p' | tr '\n' ' ')
            echo "$t $ids"
            sleep "$POLL_S"
        done
    ) >"$OUT/fresh.poll" &
    POLLER=$!
    echo "produce $N $RATE" >&"${MK[1]}"
    wait_produced $((WARMUP + N))
    if ! wait "$FLOE_PID"; then log "floe run (freshness) failed:"; tail -n 20 "$OUT/fresh.log" >&2; exit 1; fi
    sleep 0.5
    kill "$POLLER"; wait "$POLLER" 2>/dev/null || true; POLLER=
    stop_mock
    "$FLOE" table snapshots bench.fresh --json --warehouse "$WH" >"$OUT/fresh.snapshots.json"
    "$FLOE" table files bench.fresh --json --warehouse "$WH" >"$OUT/fresh.files.json"
    # Every data file's ids and produce times.
    : >"$OUT/fresh.rows"
    python3 -c 'import json,sys
for f in json.load(open(sys.argv[1])):
    if f["content"] == 0: print(f["snapshot-id"], f["file-path"].removeprefix("file://"))' "$OUT/fresh.files.json" |
    while read -r sid path; do
        "$FLOE" parquet cat "$path" --columns id,ts | sed "s/^/$sid /" >>"$OUT/fresh.rows"
    done
    rss=$(awk -F': ' '/Maximum resident set size/{ print $2 }' "$OUT/fresh.time")
    python3 - "$OUT" "$WARMUP" "$N" "$RATE" "$rss" >"$OUT/fresh.json" <<'EOF'
import datetime, json, sys
out, warm, n, rate, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
st = json.load(open(f"{out}/fresh.stats.json"))
snap_ts = {}
for s in json.load(open(f"{out}/fresh.snapshots.json")):
    snap_ts[s["snapshot-id"]] = s["timestamp-ms"]
# Snapshots expire as the table goes on; the poller saw every one, with
# its timestamp-ms.
seen = {}
for l in open(f"{out}/fresh.poll"):
    parts = l.split()
    for p in parts[1:]:
        sid, _, ts = p.partition(":")
        seen.setdefault(int(sid), int(parts[0]))
        snap_ts.setdefault(int(sid), int(ts))
def epoch_ms(v):
    if isinstance(v, (int, float)): return v / 1000  # microseconds
    d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if d.tzinfo is None: d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp() * 1000
by_commit, by_poll, ids = [], [], set()
for l in open(f"{out}/fresh.rows"):
    sid, _, row = l.partition(" ")
    r = json.loads(row); sid = int(sid)
    ids.add(r["id"])
    if r["id"] < warm: continue
    ts = epoch_ms(r["ts"])
    if sid in snap_ts: by_commit.append(snap_ts[sid] - ts)
    if sid in seen: by_poll.append(seen[sid] - ts)
def pct(xs, p):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100 * len(xs)))], 1) if xs else None
print(json.dumps({"rate": rate, "records": n, "warmup": warm, "distinct_ids": len(ids),
                  "floe_p50_ms": st["freshness_p50_ms"], "floe_p99_ms": st["freshness_p99_ms"],
                  "floe_max_ms": st["freshness_max_ms"], "commits": st["commits"],
                  "commit_p50_ms": pct(by_commit, 50), "commit_p99_ms": pct(by_commit, 99),
                  "commit_max_ms": pct(by_commit, 100),
                  "poll_p50_ms": pct(by_poll, 50), "poll_p99_ms": pct(by_poll, 99),
                  "commit_records": len(by_commit), "poll_records": len(by_poll), "rss_kb": rss,
                  "memory_peak_bytes": st["memory_peak_bytes"]}))
EOF
    log "freshness: $(cat "$OUT/fresh.json")"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ---------------------------------------------------------------------
python3 - "$OUT" "$RECORDS" "$PARTITIONS" "$RUNS" "$COMMIT_MS" "$THROUGHPUT" "$FRESH" \
    "$DATE" "$CPU" "$NCPU" "$LOAD_BEFORE" "$LOAD_AFTER" "$POLL_S" <<'EOF' | tee bench/out/kafka.md
import json, sys
from statistics import median
(out, records, parts, runs, commit_ms, thr, fresh, date, cpu, ncpu, lb, la, poll) = sys.argv[1:]
print(f"Streaming benchmark, {date}, {cpu}, {ncpu} cores, load average {lb} before and {la} after.\n")
if thr == "1":
    rows = [json.loads(l) for l in open(f"{out}/runs.jsonl") if l.strip()]
    best = {}
    for who in ("plain", "floe"):
        rs = [r for r in rows if r["who"] == who]
        b = min(rs, key=lambda r: r["end_ms"] - r["t0"])
        b["rss_max"] = max(r["rss_kb"] for r in rs)
        b["cpu_s"] = min(r["cpu_s"] for r in rs)  # least disturbed by other load
        b["all"] = [round((r["end_ms"] - r["t0"]) / 1000, 3) for r in rs]
        best[who] = b
    print(f"{records} records ({best['plain']['bytes']:,} bytes of key and value), {parts} partitions, "
          f"best of {runs}; floe commit interval {commit_ms} ms.\n")
    print("| consumer | seconds | records/s | MB/s | steady seconds | steady records/s | steady MB/s | CPU seconds | peak RSS MB | runs (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for who, name in (("plain", "plain librdkafka batch consumer (count only)"),
                      ("floe", "floe run into committed Iceberg table")):
        b = best[who]
        s = (b["end_ms"] - b["t0"]) / 1000
        ss = (b["end_ms"] - b["first_ms"]) / 1000 if b.get("first_ms") else None
        print(f"| {name} | {s:.3f} | {b['records'] / s:,.0f} | {b['bytes'] / s / 1e6:.1f} | "
              f"{'%.3f' % ss if ss else '-'} | {'{:,.0f}'.format(b['records'] / ss) if ss else '-'} | "
              f"{'%.1f' % (b['bytes'] / ss / 1e6) if ss else '-'} | {b['cpu_s']:.2f} | "
              f"{b['rss_max'] / 1024:.1f} | {', '.join(map(str, b['all']))} |")
    p, f = best["plain"], best["floe"]
    r = (p["end_ms"] - p["t0"]) / (f["end_ms"] - f["t0"])
    line = f"\nfloe / plain consumer: {r * 100:.1f}% of the records/s from process start"
    if f.get("first_ms") and p.get("first_ms"):
        rs = (p["end_ms"] - p["first_ms"]) / (f["end_ms"] - f["first_ms"])
        line += f", {rs * 100:.1f}% steady (first record to end)"
    rc = p["cpu_s"] / f["cpu_s"]
    line += f"; by CPU time (records per CPU second, all threads) {rc * 100:.1f}%"
    print(line + ". Target: at least 80%.")
    # Each alternating pair of runs met the same machine at about the same
    # moment, so the median of the pairs' steady ratios is the figure least
    # moved by other tenants.
    by_run = {(r["who"], r["run"]): r for r in rows}
    pairs = []
    for i in range(1, int(runs) + 1):
        a, b = by_run.get(("plain", i)), by_run.get(("floe", i))
        if a and b and a.get("first_ms") and b.get("first_ms"):
            pairs.append((a["end_ms"] - a["first_ms"]) / (b["end_ms"] - b["first_ms"]) * 100)
    if pairs:
        print(f"Steady ratio of each alternating pair (plain run i, floe run i): "
              f"{', '.join('%.1f%%' % x for x in pairs)}; median {median(pairs):.1f}%.")
    print(f"Checks: plain consumer read every id once (missing {p['missing']}, duplicates {p['duplicates']}); "
          f"floe committed {f['records']} records, table total-records {f['table_records']}, "
          f"{f['commits']} commit(s), {f['files']} file(s); floe's fetch nudges (wake-ups of a fetcher "
          f"stopped by a full prefetch queue): {f.get('fetch_nudges')}.")
    enc = [r for r in rows if r["who"] == "encode"]
    if enc:
        e = min(enc, key=lambda r: r["wall_s"])
        e_cpu = min(r["cpu_s"] for r in enc)
        print(f"\nThe same records encoded alone (`floe parquet write` of their values, read from a "
              f"{e['file_bytes']:,}-byte file: no Kafka, no table), best of {runs}:\n")
        print("| encoding alone | seconds | records/s | CPU seconds | peak RSS MB | runs (s) |")
        print("|---|---:|---:|---:|---:|---|")
        print(f"| floe parquet write, zstd | {e['wall_s']:.3f} | {e['records'] / e['wall_s']:,.0f} | {e_cpu:.2f} | "
              f"{max(r['rss_kb'] for r in enc) / 1024:.1f} | {', '.join('%.3f' % r['wall_s'] for r in enc)} |")
        # A floor under any streamer's steady time on this machine: the
        # source's work and the encoding's, next to the broker's, spread
        # over every core with none idle.  The least CPU each took in any
        # run: the work at least needed (CPU seconds of identical work vary
        # by half from run to run here, upwards).
        plain = [r for r in rows if r["who"] == "plain"]
        floes = [r for r in rows if r["who"] == "floe" and r.get("first_ms")]
        p_cpu = min(r["cpu_s"] for r in plain)
        broker = min(r.get("broker_cpu_s", 0.0) for r in plain)
        n = int(ncpu)
        floor = (p_cpu + e_cpu + broker) / n
        ps = median((r["end_ms"] - r["first_ms"]) / 1000 for r in plain)
        print(f"\nFloor on {n} cores: streaming these records into Parquet takes at least the plain consumer's "
              f"CPU ({p_cpu:.2f} s, its least; start and join included) and the encoding's ({e_cpu:.2f} s, its "
              f"least), beside the broker's ({broker:.2f} s during a plain run, its least): ({p_cpu:.2f} + "
              f"{e_cpu:.2f} + {broker:.2f}) / {n} = {floor:.3f} s steady, with every core busy throughout and "
              f"nothing else done; the plain consumer's median steady run took {ps:.3f} s.", end="")
        if floes:
            fb = min((r["end_ms"] - r["first_ms"]) / 1000 for r in floes)
            fm = median((r["end_ms"] - r["first_ms"]) / 1000 for r in floes)
            print(f" floe's best steady run, {fb:.3f} s, is at {floor / fb * 100:.1f}% of the floor, its median, "
                  f"{fm:.3f} s, at {floor / fm * 100:.1f}%.")
        else:
            print()
if fresh == "1":
    x = json.load(open(f"{out}/fresh.json"))
    print(f"\nFreshness at {x['rate']:,} records/s for {x['records'] // x['rate']} s "
          f"({x['records']:,} records after a {x['warmup']}-record warm-up), commit interval 1000 ms, "
          f"{x['commits']} commits:\n")
    print("| measure | p50 ms | p99 ms | peak RSS MB |")
    print("|---|---:|---:|---:|")
    print(f"| floe --stats (commit time - Kafka timestamp, all records) | {x['floe_p50_ms']} | {x['floe_p99_ms']} | "
          f"{x['rss_kb'] / 1024:.1f} |")
    print(f"| external: snapshot timestamp-ms - record ts (steady records) | {x['commit_p50_ms']} | "
          f"{x['commit_p99_ms']} | |")
    print(f"| external: first seen by a {poll} s poller - record ts | {x['poll_p50_ms']} | {x['poll_p99_ms']} | |")
    print(f"\nThe table holds {x['distinct_ids']:,} distinct ids (expected {x['records'] + x['warmup']:,}); "
          f"the external figures cover {x['commit_records']:,} and {x['poll_records']:,} of the {x['records']:,} "
          f"steady records. floe's own max: {x['floe_max_ms']} ms (a warm-up record).")
EOF
