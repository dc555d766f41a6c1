#!/usr/bin/env bash
# kafka_failures.sh — two failure paths of `floe run` that end with every
# record in a table exactly once or in the dead-letter table with a reason.
#
# 1. Files that cannot be written.  A stream of clickstream records (16
#    partitions, produced while floe runs); once floe has committed, the
#    table's data directory is replaced by a plain file, so that every new
#    data file fails to open (even for root, unlike a chmod).  floe must not
#    commit past what it could not write: it logs `write-failed`, resets
#    (drops what is uncommitted, seeks back to the table's offsets), and
#    after eight resets in a row without a commit stops with exit 1 and an
#    error naming the cause.  The directory is put back, floe is started
#    again, and the table ends with ids 0..N-1 exactly once and offsets at
#    the partitions' ends (floe table scan, DuckDB, icebird).
# 2. Records no schema can be inferred from.  Auto-create is on and the
#    table does not exist; the first records of the topic are `{}` and
#    objects whose only fields are empty objects (a field that is only
#    ever null becomes a string column, so it would create a table).  They cannot create the table, so
#    they become dead letters in `<table>__dlq` with the reason ("cannot
#    infer a schema"), and the good records that follow create the table
#    and land in it.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

if [ "$MODE" = asan ]; then N=20000 RATE=4000; else N=60000 RATE=12000; fi
PARTS=16
start_mock --topic events --partitions $PARTS --produce 0 --rate $RATE --linger 100

# ---- 1. data files that cannot be written ---------------------------------------------
CONF=$T/write.properties
write_config "$CONF" wfail events db.events floe.commit.interval-ms=500
note "$N records over $PARTS partitions at $RATE/s; the data directory breaks after the first commit"
mock_cmd "produce $N $RATE"
start_floe w1 "$CONF" --stats "$T/w1.json"
W1=$FPID
wait_for 120 grep -q ' commit table=db.events' "$T/w1.log"
check "floe commits to db.events" $? "$(log_tail "$T/w1.log")"
DATA=$T/wh/db/events/data
if [ -d "$DATA" ]; then
    mv "$DATA" "$DATA.moved" && : >"$DATA"
    ok "the data directory is replaced by a file"
else
    not_ok "the data directory is replaced by a file" "no $DATA: $(ls "$T/wh/db/events" 2>&1)"
fi
wait_exit "$W1" 180
check "floe stops with exit 1 when no data file can be written" "$([ "$RC" -eq 1 ]; echo $?)" \
    "exit $RC: $(log_tail "$T/w1.log")"
grep -q ' write-failed table=db.events' "$T/w1.log"
check "each failed write is logged as write-failed naming the table" $? "$(log_tail "$T/w1.log")"
resets=$(grep -c ' reset reason=' "$T/w1.log")
check "floe resets before giving up (8 resets, got $resets)" "$([ "$resets" -eq 8 ]; echo $?)" \
    "$(grep ' reset reason=' "$T/w1.log" | head -n 2 | cut -c1-300)"
grep -q 'gave up after 8 resets without a commit; the last: writing the files of db.events failed' "$T/w1.log"
check "the error names the resets and the failed write" $? "$(log_tail "$T/w1.log")"
rm -f "$DATA" && mv "$DATA.moved" "$DATA"
check "the data directory is restored" $? "$(ls -la "$T/wh/db/events" 2>&1 | head -n 5)"

wait_for 120 produced "$N"
check "mock-kafka produced all $N records" $? "$(tail -c 200 "$T/mock.out")"
start_floe w2 "$CONF" --stop-when-idle 4000 --stats "$T/w2.json"
wait_exit "$FPID" 300
check "a restarted floe run exits 0" "$RC" "exit $RC: $(log_tail "$T/w2.log")"
ends "$T/ends" events $PARTS
oracle ids --warehouse "$T/wh" --table db.events --n "$N" --icebird
oracle offsets --warehouse "$T/wh" --table db.events --group connect-wfail --ends "$T/ends"

# ---- 2. records no schema can be inferred from -----------------------------------------
# One partition so that the records come in the order they were produced.
timeout 30 kcat -P -b "$BOOT" -t fresh -p 0 -K '|' <<'EOF'
e0|{}
e1|{"b":{}}
e2|{"b":{"c":{}}}
e3|{}
EOF
check "kcat produces the records without fields" $? ""
CONF2=$T/fresh.properties
write_config "$CONF2" fresh fresh db.fresh floe.commit.interval-ms=500
start_floe f1 "$CONF2" --stats "$T/f1.json"
F1=$FPID
wait_for 60 grep -q ' commit table=db.fresh__dlq' "$T/f1.log"
check "the records without fields are committed to db.fresh__dlq" $? "$(log_tail "$T/f1.log")"
seq 0 199 | awk '{ printf "g%d|{\"id\":%d,\"name\":\"n%d\"}\n", $1, $1, $1 }' >"$T/good.lines"
timeout 30 kcat -P -b "$BOOT" -t fresh -p 0 -K '|' <"$T/good.lines"
check "kcat produces 200 good records" $? ""
wait_for 60 grep -q ' commit table=db.fresh ' "$T/f1.log"
check "the good records create db.fresh and commit" $? "$(log_tail "$T/f1.log")"
kill -TERM "$F1"
wait_exit "$F1" 60
check "floe run stops on SIGTERM with exit 0" "$RC" "exit $RC: $(log_tail "$T/f1.log")"
dead=$(figure "$T/f1.json" records_dead)
committed=$(figure "$T/f1.json" records_committed)
check "stats: 4 dead letters, 200 records committed" "$([ "$dead" = 4 ] && [ "$committed" = 200 ]; echo $?)" \
    "records_dead $dead, records_committed $committed"
SCAN=("$FLOE" table scan --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh")
"${SCAN[@]}" db.fresh --columns id 2>&1 | jq -r .id >"$T/fresh.ids"
ids=$(sort -n "$T/fresh.ids" | uniq | awk '$1 >= 0 && $1 < 200' | wc -l)
rows=$(wc -l <"$T/fresh.ids")
check "db.fresh holds ids 0..199 once each" "$([ "$ids" = 200 ] && [ "$rows" = 200 ]; echo $?)" \
    "$rows rows, $ids distinct"
"${SCAN[@]}" db.fresh__dlq --columns offset,error >"$T/dlq.json" 2>&1
check "db.fresh__dlq can be scanned" $? "$(head -c 300 "$T/dlq.json")"
got=$(jq -r .error "$T/dlq.json" | grep -c 'cannot infer a schema')
rows=$(wc -l <"$T/dlq.json")
check "db.fresh__dlq holds the 4 records, each with 'cannot infer a schema'" \
    "$([ "$got" = 4 ] && [ "$rows" = 4 ]; echo $?)" "$(head -n 6 "$T/dlq.json")"
offs=$(jq -r .offset "$T/dlq.json" | sort -n | tr '\n' ' ')
check "at offsets 0 1 2 3" "$([ "$offs" = "0 1 2 3 " ]; echo $?)" "offsets: $offs"
no_sanitizer_reports "no sanitizer reports in any floe run" "$T"/w1.log "$T"/w2.log "$T"/f1.log
finish
