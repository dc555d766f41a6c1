#!/usr/bin/env bash
# kafka_shutdown.sh — graceful shutdown of `floe run` during a stream.  The
# commit interval is 10 minutes, so every commit seen here is a final one.
#
#   run1  SIGTERM mid-stream: exit 0 within seconds; --stats says records
#         committed == records consumed, at least one commit; the table
#         holds exactly that many distinct ids and its offsets add up to it;
#   run2  SIGINT, the same; the table then holds run1's and run2's records,
#         no id twice (run2 resumed where run1 stopped);
#   run3  SIGTERM twice: stops at once, without a final commit;
#   run4  --stop-when-idle consumes the rest: every id 0..N-1 exactly once.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

if [ "$MODE" = asan ]; then
    N=60000 RATE=3000 TAIL=2000
else
    N=100000 RATE=5000 TAIL=5000
fi
TOPIC=stream
PARTS=16
TABLE=db.stream
start_mock --topic $TOPIC --partitions $PARTS --produce $((N - TAIL)) --rate $RATE --linger 200
CONF=$T/sd.properties
write_config "$CONF" sd $TOPIC $TABLE floe.commit.interval-ms=600000
note "$N records over $PARTS partitions at $RATE/s"

rows_distinct() { # prints "rows distinct" of the table's ids
    "$FLOE" table scan $TABLE --columns id --warehouse "$T/wh" 2>/dev/null | jq -r .id |
        awk '{n++; if (!seen[$1]++) d++} END {print n + 0, d + 0}'
}
offsets_sum() { # the sum of the current snapshot's offsets of the group
    "$FLOE" table snapshots $TABLE --warehouse "$T/wh" --json 2>/dev/null |
        jq '[.[] | select(.current) | .summary["floe.kafka.offsets.connect-sd"] | fromjson | .[] | .[]] | add // 0'
}
consuming() { grep -q ' assigned ' "$1"; }

# graceful NAME SIGNAL: starts a run, lets it consume for a while after its
# assignment, sends SIGNAL, and checks the exit and the stats.
graceful() {
    local name=$1 sig=$2 t
    start_floe "$name" "$CONF" --stats "$T/$name.json"
    local pid=$FPID
    wait_for 60 consuming "$T/$name.log"
    msleep $((1500 + RANDOM % 1500))
    t=$(now_ms)
    kill -"$sig" "$pid"
    wait_exit "$pid" 60
    t=$(($(now_ms) - t))
    check "$name: SIG$sig mid-stream: exit 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/$name.log")"
    note "$name: stopped ${t} ms after SIG$sig"
    IN=$(figure "$T/$name.json" records_in)
    COMMITTED=$(figure "$T/$name.json" records_committed)
    local commits
    commits=$(figure "$T/$name.json" commits)
    [ -n "$IN" ] && [ "$IN" -gt 0 ] && [ "$IN" = "$COMMITTED" ] && [ "${commits:-0}" -ge 1 ]
    check "$name: a final commit: records committed == records consumed ($COMMITTED of $IN, $commits commits)" $? \
        "$(head -c 300 "$T/$name.json")"
    grep -q ' commit table=' "$T/$name.log"
    check "$name: the final commit is logged" $? "$(log_tail "$T/$name.log")"
}

graceful run1 TERM
C1=${COMMITTED:-0}
read -r rows distinct < <(rows_distinct)
check "run1: the table holds exactly the $C1 committed records, no id twice" \
    $([ "$rows" = "$C1" ] && [ "$distinct" = "$C1" ]; echo $?) "$rows rows, $distinct distinct"
sum=$(offsets_sum)
check "run1: the table's offsets add up to $C1" $([ "$sum" = "$C1" ]; echo $?) "they add up to '$sum'"

graceful run2 INT
C2=${COMMITTED:-0}
read -r rows distinct < <(rows_distinct)
check "run2: resumed after run1: the table holds $((C1 + C2)) records, no id twice" \
    $([ "$rows" = $((C1 + C2)) ] && [ "$distinct" = $((C1 + C2)) ]; echo $?) "$rows rows, $distinct distinct"
sum=$(offsets_sum)
check "run2: the table's offsets add up to $((C1 + C2))" $([ "$sum" = $((C1 + C2)) ]; echo $?) "they add up to '$sum'"

# A second signal: out at once, nothing committed.
start_floe run3 "$CONF" --stats "$T/run3.json"
P3=$FPID
wait_for 60 consuming "$T/run3.log"
msleep 1500
t=$(now_ms)
kill -TERM "$P3"
msleep 30
kill -TERM "$P3"
wait_exit "$P3" 30
t=$(($(now_ms) - t))
check "run3: a second SIGTERM ends floe at once (exit $RC after $t ms)" \
    $([ "$RC" -ne 124 ] && [ "$t" -lt 5000 ]; echo $?) "exit $RC after $t ms: $(log_tail "$T/run3.log")"
read -r R3 distinct < <(rows_distinct)
note "run3: the table holds $R3 records after it ($((R3 - C1 - C2)) committed by run3)"

# The rest, with the held-back tail.
wait_for 300 produced $((N - TAIL))
check "mock-kafka produced the first $((N - TAIL)) records" $? "$(head -c 300 "$T/mock.err")"
mock_cmd "produce $TAIL"
start_floe run4 "$CONF" --stop-when-idle 4000 --stats "$T/run4.json"
wait_exit "$FPID" 600
check "run4: --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/run4.log")"
in4=$(figure "$T/run4.json" records_in)
c4=$(figure "$T/run4.json" records_committed)
check "run4: records committed == records consumed ($c4 of $in4)" $([ -n "$in4" ] && [ "$in4" = "$c4" ]; echo $?) \
    "$(head -c 300 "$T/run4.json")"
check "run4: resumed where the table's offsets stood: consumed the other $((N - R3)) records, no more" \
    $([ "$in4" = $((N - R3)) ]; echo $?) "records_in $in4"
ends "$T/ends" $TOPIC $PARTS
oracle ids --warehouse "$T/wh" --table $TABLE --n $N
oracle offsets --warehouse "$T/wh" --table $TABLE --group connect-sd --ends "$T/ends"
no_sanitizer_reports "no sanitizer reports in any floe run" "$T"/run*.log
finish
