#!/usr/bin/env bash
# kafka_multiprocess.sh — one consumer group, several `floe run` processes
# (the same configuration) on one 64-partition topic while it is produced:
# three start together, one is SIGKILLed mid-stream once it has committed,
# a fourth joins, and the others finish with --stop-when-idle.  Every id is
# in the table exactly once (floe table scan, DuckDB over the listed files,
# icebird), the table's offsets equal the partitions' ends, and each
# process consumed and committed records of its own (--stats; the killed
# one by its log).
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

if [ "$MODE" = asan ]; then
    N=100000 RATE=5000 TAIL=5000
else
    N=300000 RATE=15000 TAIL=10000
fi
TOPIC=events
PARTS=64
TABLE=db.events
T0=$(now_ms)
start_mock --topic $TOPIC --partitions $PARTS --produce $((N - TAIL)) --rate $RATE --linger 200
CONF=$T/multi.properties
write_config "$CONF" multi $TOPIC $TABLE floe.commit.interval-ms=500
note "$N records over $PARTS partitions at $RATE/s; three processes, one killed, one added"

commits_in() { cat "$1" 2>/dev/null | grep -c ' commit table='; }
has_commits() { [ "$(commits_in "$1")" -gt 0 ]; }
all_committed() { local l; for l in "$@"; do has_commits "$l" || return 1; done; }

declare -A PID
for p in a b c; do
    start_floe $p "$CONF" --stop-when-idle 8000 --stats "$T/$p.json"
    PID[$p]=$FPID
done
# The victim dies once all three have committed something: in the middle
# of the stream, holding uncommitted records.
wait_for 120 all_committed "$T/a.log" "$T/b.log" "$T/c.log"
check "three processes share the partitions and each commits" $? \
    "commits: a $(commits_in "$T/a.log"), b $(commits_in "$T/b.log"), c $(commits_in "$T/c.log"); $(log_tail "$T/b.log")"
msleep $((RANDOM % 500))
if alive "${PID[b]}"; then
    kill -KILL "${PID[b]}"
    wait "${PID[b]}" 2>/dev/null
    ok "b is SIGKILLed mid-stream after $(($(now_ms) - T0)) ms"
else
    not_ok "b is SIGKILLed mid-stream" "it had already exited: $(log_tail "$T/b.log")"
fi
produced $((N - TAIL))
check "the stream was still being produced when b died" $([ $? -ne 0 ]; echo $?) "production had ended"
start_floe d "$CONF" --stop-when-idle 8000 --stats "$T/d.json"
PID[d]=$FPID

wait_for 300 produced $((N - TAIL))
check "mock-kafka produced the first $((N - TAIL)) records" $? "$(head -c 300 "$T/mock.err")"
# The tail goes out once d has partitions, so that it has work to the end.
wait_for 60 grep -q ' assigned ' "$T/d.log"
check "d joins and gets partitions" $? "$(log_tail "$T/d.log")"
mock_cmd "produce $TAIL"
for p in a c d; do
    wait_exit "${PID[$p]}" 600
    check "$p: floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/$p.log")"
done
T2=$(now_ms)
wait_for 30 produced $N
check "mock-kafka produced all $N records" $? "$(tail -c 200 "$T/mock.out")"

# Each process did real work.
sum=0
for p in a c d; do
    in=$(figure "$T/$p.json" records_in)
    com=$(figure "$T/$p.json" records_committed)
    [ -n "$in" ] && [ "$in" -gt 0 ] && [ -n "$com" ] && [ "$com" -gt 0 ]
    check "$p consumed and committed records of its own (stats)" $? "stats: $(head -c 300 "$T/$p.json" 2>&1)"
    note "$p: records_in ${in:-?}, committed ${com:-?}, commits $(figure "$T/$p.json" commits), commit_failures $(figure "$T/$p.json" commit_failures), rebalances $(figure "$T/$p.json" rebalances), skipped $(figure "$T/$p.json" records_skipped)"
    sum=$((sum + ${com:-0}))
done
blogged=$(sed -n 's/.* commit table=[^ ]* records=\([0-9]*\).*/\1/p' "$T/b.log" | awk '{s += $1} END {print s + 0}')
note "b (killed): $(commits_in "$T/b.log") commits logged, $blogged records"
# What a, c and d committed plus what b committed makes N: b's logged
# commits are at most the rest (one may have landed unlogged).
rest=$((N - sum))
[ "$blogged" -gt 0 ] && [ "$rest" -ge "$blogged" ]
check "the survivors committed $sum records, b's logged commits ($blogged) fit in the other $rest" $? \
    "survivors $sum, b logged $blogged, N $N"

ends "$T/ends" $TOPIC $PARTS
oracle ids --warehouse "$T/wh" --table $TABLE --n $N --icebird
oracle offsets --warehouse "$T/wh" --table $TABLE --group connect-multi --ends "$T/ends"
no_sanitizer_reports "no sanitizer reports in any floe run" "$T"/[abcd].log
ms=$((T2 - T0))
note "$N records in $ms ms end to end: $((N * 1000 / (ms > 0 ? ms : 1))) records/s (production limited to $RATE/s)"
finish
