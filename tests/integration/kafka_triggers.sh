#!/usr/bin/env bash
# kafka_triggers.sh — the early commit triggers of `floe run`, on real
# streams from the mock Kafka cluster (tests/tools/mock_kafka.c), each run
# with floe.commit.interval-ms=600000 so that any commit before the end of
# the run is the trigger's doing:
#
#   records   floe.commit.records=N: a cycle commits once N records came in
#   bytes     floe.commit.bytes=B: once B bytes (key + value) came in
#   memory    floe.memory.budget-bytes=16MiB: buffered records and open
#             files never grow past the budget; floe logs `memory-budget`
#             and commits early instead (backpressure, not growth)
#
# The triggers are checked between poll batches (pipeline.c, due()), and
# a batch takes no more than the triggers have left in the cycle
# (poll_limits()): a commit holds exactly N records, or B bytes and less
# than one record more (kafka_source.c stops filling a batch once it holds
# the bytes asked for).
#
# records, bytes: the topic `fixed` holds R records of exactly L bytes each
# (no key), produced with kcat; two groups read it at once.  Oracles: the
# table's snapshots (`floe table snapshots --json`, summary added-records):
# every data commit but the last adds exactly N records (resp. B bytes to
# B + L - 1 bytes, added-records x L), there are as many as the run logged
# `commit` lines and counted in --stats, and ceil(R / N) of them (resp.
# at least R x L / (B + L)); every id is in the table exactly once (floe scan,
# DuckDB, icebird: lib/kafka_check.mjs ids) and the last marker is at the
# partitions' ends (kafka_check.mjs offsets).
#
# memory: the topic `big` (64 partitions: librdkafka's mock keeps about
# 5 MiB per partition) holds S bytes of 4 KB records of random base64,
# which no encoding shrinks much.  Two groups read it: `budget` with
# floe.memory.budget-bytes=16MiB and `control` with the default (256 MiB),
# each under GNU time.  Checks: budget logs `memory-budget` and commits at
# least S / budget - 1 times, its --stats memory_peak_bytes stays under
# 2 x (budget + budget / 8) (why: at the memory checks below), its peak RSS
# under 128 MiB (why: at the checks); the control commits once, and its peak memory and RSS go
# past those bounds (the checks can fail); both tables hold every id exactly
# once (kafka_check.mjs ids, offsets).  Peak RSS is checked in release
# only: under ASan the allocator's quarantine keeps freed memory.
#
# MODE=asan uses smaller streams.  Uses build/${MODE:-release}/{floe,mock-kafka};
# ends `N passed, N failed`.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require
if [ ! -x /usr/bin/time ]; then
    not_ok setup "/usr/bin/time (GNU time) is missing"
    finish
fi

PARTS=64
FIRST=1000000 # ids FIRST.. have 7 digits: every record of `fixed` has the same length
if [ "$MODE" = asan ]; then
    R=50000 L=200 N=22000 B=4400000 BIGN=16000
else
    R=100000 L=200 N=30000 B=$((6 << 20)) BIGN=60000
fi
BLOB=4096
BUDGET=$((16 << 20))
start_mock --topic fixed --topic big --partitions $PARTS

# ---- the streams -----------------------------------------------------------------------
cat >"$T/gen.py" <<'EOF'
import base64, os, sys
# gen.py fixed OUT N FIRST LEN: N records of exactly LEN bytes, ids FIRST..
# gen.py big OUT N FIRST BLOB: N records with BLOB characters of random base64
kind, out, n, first, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
with open(out, "w") as f:
    for i in range(first, first + n):
        if kind == "fixed":
            head = '{"id":%d,"pad":"' % i
            f.write(head + "x" * (size - len(head) - 2) + '"}\n')
        else:
            f.write('{"id":%d,"blob":"%s"}\n' % (i, base64.b64encode(os.urandom(size * 3 // 4)).decode()))
EOF
python3 "$T/gen.py" fixed "$T/fixed.lines" $R $FIRST $L
python3 "$T/gen.py" big "$T/big.lines" $BIGN 0 $BLOB
S=$(stat -c %s "$T/big.lines")
same=$(awk -v l=$L 'length($0) != l' "$T/fixed.lines" | wc -l)
check "the records of 'fixed' are $L bytes each" "$same" "$same lines of another length"
note "MODE=$MODE: fixed: $R records of $L bytes; big: $BIGN records, $S bytes; $PARTS partitions"

# Partition by partition (record i to partition i % PARTS), so that each
# holds an even share: a null key would let the producer stick to one
# partition for a while, past what the mock keeps of it.
sent=0
for topic in fixed big; do
    mkdir -p "$T/$topic"
    awk -v d="$T/$topic" -v n=$PARTS '{ print > (d "/" ((NR - 1) % n)) }' "$T/$topic.lines"
    for ((p = 0; p < PARTS; p++)); do
        timeout 60 kcat -P -b "$BOOT" -t $topic -p $p -l "$T/$topic/$p" 2>>"$T/kcat.err" || sent=1
    done
done
check "kcat produces both streams" $sent "$(head -c 300 "$T/kcat.err")"
ends "$T/ends.fixed" fixed $PARTS
ends "$T/ends.big" big $PARTS
n1=$(awk '{s += $4} END {print s + 0}' "$T/ends.fixed")
n2=$(awk '{s += $4} END {print s + 0}' "$T/ends.big")
check "kcat -Q: the partitions end at $R and $BIGN records" "$([ "$n1" = $R ] && [ "$n2" = $BIGN ]; echo $?)" \
    "fixed $n1, big $n2: $(head -c 300 "$T/ends.fixed.err")"

# ---- the runs ------------------------------------------------------------------------------
COMMON=(floe.commit.interval-ms=600000 floe.log.format=json iceberg.tables.auto-create-props.floe.history.retain-last=0)
write_config "$T/recs.properties" recs fixed db.recs "${COMMON[@]}" floe.commit.records=$N
write_config "$T/bytes.properties" bytes fixed db.bytes "${COMMON[@]}" floe.commit.bytes=$B
write_config "$T/budget.properties" budget big db.budget "${COMMON[@]}" floe.memory.budget-bytes=$BUDGET
write_config "$T/control.properties" control big db.control "${COMMON[@]}"
declare -A PID
for r in recs bytes; do
    start_floe $r "$T/$r.properties" --stop-when-idle 3000 --stats "$T/$r.json"
    PID[$r]=$FPID
done
# GNU time reports the peak RSS of the process it runs.
for r in budget control; do
    : >"$T/$r.log"
    /usr/bin/time -v -o "$T/$r.time" "$FLOE" run "$T/$r.properties" --stop-when-idle 3000 --stats "$T/$r.json" \
        >"$T/$r.out" 2>>"$T/$r.log" </dev/null &
    PID[$r]=$!
    KPIDS+=("$!")
    # floe itself too, so that the cleanup ends it whatever happens to time
    wait_for 10 pgrep -P "${PID[$r]}" >/dev/null
    KPIDS+=($(pgrep -P "${PID[$r]}"))
done
for r in recs bytes budget control; do
    wait_exit "${PID[$r]}" 300
    check "$r: floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/$r.log")"
done

# ---- records and bytes ------------------------------------------------------------------------
# trig.py SNAPSHOTS LOG STATS TABLE UNIT LIMIT L: checks the data commits
# (snapshots that added records) of a trigger's run; UNIT is records or
# bytes.  Prints `ok` or the problem, then the figures.
cat >"$T/trig.py" <<'EOF'
import json, sys
snaps_f, log_f, stats_f, table, unit, limit, size = sys.argv[1:8]
limit, size = int(limit), int(size)
text = open(snaps_f).read()
snaps = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
snaps.sort(key=lambda s: (s.get("sequence-number", 0), s["timestamp-ms"]))
added = [int(s["summary"].get("added-records", "0")) for s in snaps]
data = [a for a in added if a > 0]
amount = [a if unit == "records" else a * size for a in data]
# the overshoot allowed: none by records, less than one record by bytes
batch = 1 if unit == "records" else size
logs = [json.loads(l) for l in open(log_f) if l.startswith("{")]
logged = [l["records"] for l in logs if l.get("event") == "commit" and l.get("table") == table and l.get("records", 0) > 0]
stats = json.load(open(stats_f))
problems = []
if len(data) < 2:
    problems.append("%d data commits: the trigger never fired" % len(data))
for i, a in enumerate(amount[:-1]):
    if not (limit <= a <= limit - 1 + batch):
        problems.append("commit %d holds %d %s, not in [%d, %d]" % (i + 1, a, unit, limit, limit - 1 + batch))
if amount and not (0 < amount[-1] <= limit - 1 + batch):
    problems.append("the last commit holds %d %s" % (amount[-1], unit))
total = sum(amount)
if len(data) < -(-total // (limit - 1 + batch)):
    problems.append("%d commits for %d %s: fewer than %d" % (len(data), total, unit, -(-total // (limit - 1 + batch))))
if len(data) > total // limit + 1:
    problems.append("%d commits for %d %s: more than %d" % (len(data), total, unit, total // limit + 1))
if logged != data:
    problems.append("the log's commit lines say %s, the snapshots %s" % (logged, data))
if stats.get("commits") != len(data):
    problems.append("--stats counts %s commits, the snapshots %d" % (stats.get("commits"), len(data)))
print(problems[0] if problems else "ok")
print("%d snapshots, %d data commits of %s %s (limit %d, up to %d)" % (len(snaps), len(data), amount, unit, limit, limit - 1 + batch))
EOF
trig() { # trig RUN TABLE UNIT LIMIT
    local r=$1 table=$2 unit=$3 limit=$4 out
    "$FLOE" table snapshots "$table" --json --warehouse "$T/wh" >"$T/$r.snaps" 2>"$T/$r.snaps.err"
    out=$(python3 "$T/trig.py" "$T/$r.snaps" "$T/$r.log" "$T/$r.json" "$table" "$unit" "$limit" $L 2>&1)
    check "$r: every commit but the last holds $limit $unit (bytes: less than one record more), the number of commits matches" \
        "$([ "$(echo "$out" | head -n 1)" = ok ]; echo $?)" "$(echo "$out" | tr '\n' ' ') $(head -c 200 "$T/$r.snaps.err")"
    note "$r: $(echo "$out" | tail -n 1)"
}
trig recs db.recs records $N
trig bytes db.bytes bytes $B
for r in recs bytes; do
    oracle ids --warehouse "$T/wh" --table db.$r --n $R --first $FIRST --icebird --label $r
    oracle offsets --warehouse "$T/wh" --table db.$r --group connect-$r --ends "$T/ends.fixed" --label $r
done

# ---- memory budget -----------------------------------------------------------------------------
# memory_in_use() (pipeline.c) adds up the capacities of the writers'
# buffers, which grow by doubling, and due() looks at it between poll
# batches, which hold at most budget / 8 bytes: below the budget before a
# batch, the batch's bytes on top, and a buffer that doubles can add as
# much as it held, so the figure stays under 2 x (budget + budget / 8).
BOUND=$((2 * (BUDGET + BUDGET / 8)))
rss() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
datacommits() { # datacommits TABLE: snapshots of TABLE that added records
    "$FLOE" table snapshots "$1" --json --warehouse "$T/wh" 2>/dev/null |
        jq '[.[] | select((.summary["added-records"] // "0") != "0")] | length'
}
declare -A PEAK KB NC NB
for r in budget control; do
    PEAK[$r]=$(figure "$T/$r.json" memory_peak_bytes)
    KB[$r]=$(rss "$T/$r.time")
    NC[$r]=$(datacommits db.$r)
    NB[$r]=$(grep -c '"event":"memory-budget"' "$T/$r.log")
    note "$r: ${NC[$r]} data commits, ${NB[$r]} memory-budget lines, memory_peak_bytes ${PEAK[$r]}," \
        "peak RSS $((${KB[$r]:-0} / 1024)) MiB; stats $(jq -c '{records_in, bytes_in, commits, elapsed_ms}' "$T/$r.json" 2>/dev/null)"
done
MIN=$((S / BUDGET - 1))
check "budget: logs memory-budget and commits at least S / budget - 1 = $MIN times before the interval (${NC[budget]} commits)" \
    "$([ "${NB[budget]}" -ge 1 ] && [ "${NC[budget]:-0}" -ge "$MIN" ] && [ "${NC[budget]:-0}" -ge 2 ]; echo $?)" \
    "${NB[budget]} memory-budget lines, ${NC[budget]} data commits"
check "budget: memory_peak_bytes ${PEAK[budget]} stays under 2 x (budget + one batch of budget / 8) = $BOUND" \
    "$([ -n "${PEAK[budget]}" ] && [ "${PEAK[budget]}" -ge 1 ] && [ "${PEAK[budget]}" -le $BOUND ]; echo $?)" \
    "memory_peak_bytes ${PEAK[budget]:-missing}: $(grep -m3 '"memory-budget"' "$T/budget.log" | tr '\n' ' ')"
check "control (default budget): memory_peak_bytes ${PEAK[control]} goes past that bound, in one commit, no memory-budget line" \
    "$([ "${PEAK[control]:-0}" -gt $BOUND ] && [ "${NC[control]}" = 1 ] && [ "${NB[control]}" = 0 ]; echo $?)" \
    "memory_peak_bytes ${PEAK[control]:-missing}, ${NC[control]} commits, ${NB[control]} memory-budget lines"
# Peak RSS: floe's buffers stay under BOUND (38 MB), librdkafka holds its
# 16 MiB prefetch queue and up to one fetch response of as much again,
# the process's base is about 30 MB, and the allocator keeps some freed
# memory (up to about 30 MB seen here, varying with the load): 128 MiB,
# half the stream, whatever its size.  The control buffers its whole file
# (about 146 MB) and must go past it, and past the budget run by 64 MiB.
RSS_BOUND=$((128 << 10)) # KiB
if [ "$MODE" = release ]; then
    check "budget: peak RSS $((${KB[budget]:-0} / 1024)) MiB stays under $((RSS_BOUND >> 10)) MiB (the stream: $((S >> 20)) MiB)" \
        "$([ -n "${KB[budget]}" ] && [ "${KB[budget]}" -lt $RSS_BOUND ]; echo $?)" "$(head -c 300 "$T/budget.time")"
    check "control: peak RSS $((${KB[control]:-0} / 1024)) MiB is past $((RSS_BOUND >> 10)) MiB and the budget run's by 64 MiB" \
        "$([ -n "${KB[control]}" ] && [ "${KB[control]}" -gt $RSS_BOUND ] && [ "${KB[control]}" -gt $((${KB[budget]:-0} + (64 << 10))) ]; echo $?)" \
        "$(grep -m1 'Maximum resident' "$T/control.time")"
fi
for r in budget control; do
    oracle ids --warehouse "$T/wh" --table db.$r --n $BIGN --icebird --label $r
    oracle offsets --warehouse "$T/wh" --table db.$r --group connect-$r --ends "$T/ends.big" --label $r
done

no_sanitizer_reports "no sanitizer reports in floe run" "$T"/{recs,bytes,budget,control}.log
finish
