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
# 3. A dead-letter table the catalog cannot open.  floe runs through
#    `floe catalog serve` (REST, SQLite store) started with
#    `--faults 500:1,match:/tables/mixed__dlq,count:20`: the first 20
#    requests on the path of db.mixed__dlq fail with 500, the rest are
#    served.  The client tries a read 5 times (rest.max-retries=4; a 500
#    is retried for reads), so 4 loads of the table fail: the lookup when
#    the group assigns the partitions (whose failure means "not there
#    yet"), then 3 opens of the dead-letter table, each a catalog error in
#    the pipeline.  db.mixed exists; the topic `mixed` (4 partitions)
#    first gets good records only, and once db.mixed has committed them,
#    rounds of good records with bad ones among them (a string for the
#    long column qty, text that is not JSON, a JSON array).  The first bad
#    record finds no dead-letter table: floe logs
#    `dead-letter-table-failed` and resets (drops what is uncommitted,
#    seeks back to db.mixed's committed offsets, reads again) until the
#    faults are used up, then creates db.mixed__dlq.  Checks: the server
#    injected exactly 20 faults, all on that path; floe logged 3 failed
#    opens of the dlq table (after db.mixed committed) and reset once for
#    each, never gave up, and exits 0; --stats count every good record
#    committed and every bad one dead once, and more records read than
#    produced (the re-reads); db.mixed holds every good id exactly once
#    (floe table scan, DuckDB, icebird), db.mixed__dlq every bad record
#    exactly once with its bytes and reason, and the offsets end at the
#    partitions' ends (lib/kafka_check.mjs ids, dlq, offsets).
# 4. A commit that fails right after the dead-letter table's first marker.
#    The topic of section 3 from the start, for a new group through a
#    second server (`--faults 500:1,match:/transactions/commit,count:2`,
#    tables that retry a commit once): the dead-letter table is created
#    while its first record is handled, the cycle commits its marker-only
#    snapshot, then the transaction over both tables fails for good with
#    an unknown outcome, and floe resets.  The record that opened the
#    dead-letter table is read again and must land in it (its floor covers
#    it): stats, and every bad record once in `__dlq`, every good id once
#    in the table (kafka_check.mjs dlq, ids).
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

# ---- 3. a dead-letter table the catalog cannot open -------------------------------------
# lib/mixed_rounds.py writes round-R-P.lines and expect.json (see there).
# Round 0 is good records only; every later round has two bad records in
# each partition.
if [ "$MODE" = asan ]; then G3=1200 ROUNDS3=6; else G3=3000 ROUNDS3=8; fi
P3=4
TRIES3=5   # one read and rest.max-retries=4 more
OPENS3=3   # failed opens of the dlq table after the lookup at assignment
K3=$((TRIES3 * (1 + OPENS3)))
mkdir -p "$T/in3"
NBAD3=$(python3 "$ROOT/tests/integration/lib/mixed_rounds.py" "$T/in3" mixed $P3 $G3 $ROUNDS3 7 --clean-first)
note "3: $G3 good records, $NBAD3 bad ones, $ROUNDS3 rounds over $P3 partitions; $K3 faults on db.mixed__dlq"
# mixed_server NAME FAULTS [TABLE-CREATE-OPTIONS...]: a server store
# $T/NAME with db.mixed, made directly before the server opens it (the
# runs create only the dead-letter table, through REST), then `floe
# catalog serve` on it with --faults FAULTS; sets URL, or ends the file.
mixed_server() {
    local name=$1 faults=$2
    shift 2
    "$FLOE" namespace create db --warehouse "$T/$name" >/dev/null 2>"$T/$name.create.err" &&
        "$FLOE" table create db.mixed --schema "$T/in3/schema.json" "$@" --warehouse "$T/$name" >/dev/null \
            2>>"$T/$name.create.err"
    check "db.mixed exists in the store of server $name" $? "$(head -c 300 "$T/$name.create.err")"
    serve "$name" catalog serve --warehouse "$T/$name" --faults "$faults"
    if [ -z "$URL" ]; then
        not_ok "floe catalog serve --faults $faults starts" "$(log_tail "$T/$name.slog")"
        finish
    fi
    ok "floe catalog serve --faults $faults listens at $URL"
}
mixed_server dsrv "500:1,match:/tables/mixed__dlq,count:$K3"
CONF3=$T/mixed.properties
write_config "$CONF3" dlqfail mixed db.mixed errors.tolerance=all floe.commit.interval-ms=500 \
    iceberg.catalog.type=rest "iceberg.catalog.uri=$URL" iceberg.catalog.rest.max-retries=$((TRIES3 - 1))
# the run names its catalog by URI only
sed -i '/^iceberg.catalog.warehouse=/d' "$CONF3"
start_floe d1 "$CONF3" --stop-when-idle 4000 --stats "$T/d1.json"
D1=$FPID
L3=$T/d1.log
wait_for 60 grep -q ' assigned' "$L3"
check "the group assigns the partitions of mixed" $? "$(log_tail "$L3")"
# send_round R: every partition's lines of round R, with kcat.
send_round() {
    local r=$1 p f rc=0
    for ((p = 0; p < P3; p++)); do
        f=$(printf '%s/in3/round-%02d-%d.lines' "$T" "$r" $p)
        timeout 60 kcat -P -b "$BOOT" -t mixed -p $p -K $'\t' -l "$f" 2>>"$T/kcat3.err" || rc=1
    done
    return $rc
}
send_round 0
check "kcat produces round 0 (good records only)" $? "$(head -c 300 "$T/kcat3.err")"
wait_for 60 grep -q ' commit table=db.mixed ' "$L3"
check "floe commits the good records of round 0 to db.mixed" $? "$(log_tail "$L3")"
sent=0
for ((r = 1; r < ROUNDS3; r++)); do
    send_round $r || sent=1
    msleep 300
done
check "kcat produces rounds 1..$((ROUNDS3 - 1)), $NBAD3 bad records among the good" $sent \
    "$(head -c 300 "$T/kcat3.err")"
wait_exit "$D1" 300
check "floe run --stop-when-idle exits 0 (no crash, no giving up)" "$RC" "exit $RC: $(log_tail "$L3")"
ends "$T/ends3" mixed $P3
check "kcat -Q: the end offsets of mixed" $? "$(head -c 300 "$T/ends3.err")"

# The server: exactly K3 faults, each a 500 on the dlq table's path (a
# request line ends with the fault's name when one was injected).
SL=$T/dsrv.slog
nf=$(grep -cE '^floe: catalog serve: [A-Z]+ [^ ]+ [0-9]+ [0-9]+ms [^ ]+$' "$SL")
nfd=$(grep -cE '^floe: catalog serve: GET /v1/namespaces/db/tables/mixed__dlq 500 [0-9]+ms 500$' "$SL")
check "the server injected $K3 faults, each a 500 on GET .../tables/mixed__dlq ($nf injected, $nfd there)" \
    "$([ "$nf" = "$K3" ] && [ "$nfd" = "$K3" ]; echo $?)" "$(grep -E 'ms [^ ]+$' "$SL" | head -n 3 | tr '\n' '|')"
grep -qE '^floe: catalog serve: POST /v1/namespaces/db/tables 200 ' "$SL" &&
    grep -q ' table-created table=db.mixed__dlq' "$L3"
check "once the faults are used up, floe creates db.mixed__dlq through the server" $? \
    "$(grep -E 'mixed__dlq|/tables ' "$SL" | tail -n 3 | tr '\n' '|')"

# floe: each failed open of the dlq table is logged and resets.  The
# lookup of the dlq table at each assignment (--stats rebalances) takes
# TRIES3 faults; the failed opens take the others.
reb=$(figure "$T/d1.json" rebalances)
want=$((K3 / TRIES3 - ${reb:-0}))
dtf=$(grep -c ' dead-letter-table-failed ' "$L3")
dtf500=$(grep ' dead-letter-table-failed ' "$L3" | grep -c 'db.mixed__dlq.*HTTP 500')
check "floe logs dead-letter-table-failed naming db.mixed__dlq and HTTP 500 $dtf times ($OPENS3 expected; $want with ${reb:-?} assignments)" \
    "$([ "$dtf" = "$want" ] && [ "$dtf" -ge 1 ] && [ "$dtf500" = "$dtf" ]; echo $?)" \
    "$(grep -m2 ' dead-letter-table-failed ' "$L3" | cut -c1-300 | tr '\n' '|')"
before=$(awk '/ commit table=db.mixed /{exit} / dead-letter-table-failed /{n++} END{print n+0}' "$L3")
check "the dlq table fails only after db.mixed has committed (resets seek back to committed offsets)" \
    "$([ "$before" = 0 ]; echo $?)" "$before failures before the first commit"
rsd=$(grep ' reset reason=' "$L3" | grep -c 'db.mixed__dlq')
rsall=$(grep -c ' reset reason=' "$L3")
check "one reset per failed open, each naming db.mixed__dlq ($rsd of $rsall resets, $dtf failures)" \
    "$([ "$rsd" = "$dtf" ] && [ "$rsall" = "$dtf" ]; echo $?)" \
    "$(grep -m2 ' reset reason=' "$L3" | cut -c1-300 | tr '\n' '|')"
n=$(grep -c 'gave up' "$L3")
check "floe never gives up" "$n" "$(grep -m1 'gave up' "$L3" | cut -c1-300)"

# --stats: every good record committed once, every bad one dead once.
S3=$T/d1.json
committed=$(figure "$S3" records_committed) dead=$(figure "$S3" records_dead) in3=$(figure "$S3" records_in)
fails3=$(figure "$S3" commit_failures) created3=$(figure "$S3" tables_created)
check "stats: records_committed $G3, records_dead $NBAD3, tables_created 1, commit_failures 0" \
    "$([ "$committed" = "$G3" ] && [ "$dead" = "$NBAD3" ] && [ "$created3" = 1 ] && [ "$fails3" = 0 ]; echo $?)" \
    "$(jq -c '{records_in, records_committed, records_dead, records_skipped, tables_created, commit_failures}' "$S3" 2>/dev/null)"
check "stats: records_in ($in3) is more than the $((G3 + NBAD3)) records: some were read again after the resets" \
    "$([ -n "$in3" ] && [ "$in3" -gt $((G3 + NBAD3)) ]; echo $?)" "records_in ${in3:-missing}"

oracle ids --warehouse "$T/dsrv" --table db.mixed --n "$G3" --icebird --label dlqfail
oracle dlq --warehouse "$T/dsrv" --table db.mixed --expect "$T/in3/expect.json" --label dlqfail
oracle offsets --warehouse "$T/dsrv" --table db.mixed --group connect-dlqfail --ends "$T/ends3" --label dlqfail

# ---- 4. a commit that fails right after the dead-letter table's first marker -------------
# The topic of section 3 again, from the start, for a new group and a new
# server store.  The dead-letter table is created when the first bad
# record is handled; the cycle that follows commits its marker-only
# snapshot (its floors) and then fails the transaction over both tables
# for good (each table retries a commit once; the server answers the first
# 2 transactions with 500, an unknown outcome), which resets.  The record
# that opened the table is read again and must not look committed to it.
mixed_server dsrv4 "500:1,match:/transactions/commit,count:2" --property commit.retry.num-retries=1
CONF4=$T/mixed4.properties
write_config "$CONF4" dlqtx mixed db.mixed errors.tolerance=all floe.commit.interval-ms=500 \
    iceberg.catalog.type=rest "iceberg.catalog.uri=$URL" \
    iceberg.tables.auto-create-props.commit.retry.num-retries=1
sed -i '/^iceberg.catalog.warehouse=/d' "$CONF4"
start_floe d4 "$CONF4" --stop-when-idle 4000 --stats "$T/d4.json"
wait_exit "$FPID" 300
L4=$T/d4.log
check "floe run --stop-when-idle exits 0" "$RC" "exit $RC: $(log_tail "$L4")"
SL4=$T/dsrv4.slog
tx500=$(grep -cE '^floe: catalog serve: POST /v1/transactions/commit 500 [0-9]+ms 500$' "$SL4")
first=$(grep -nE 'POST /v1/namespaces/db/tables/mixed__dlq 200 |POST /v1/transactions/commit ' "$SL4" | head -n 1)
check "the dead-letter table's marker lands, then 2 transactions fail with 500 ($tx500)" \
    "$([ "$tx500" = 2 ] && [[ "$first" == *tables/mixed__dlq* ]]; echo $?)" "first: $first"
grep -q ' reset reason="commit outcome unknown"' "$L4"
check "the failed transaction resets" $? "$(grep -m2 -E ' (reset|transaction-failed) ' "$L4" | cut -c1-300 | tr '\n' '|')"
S4=$T/d4.json
committed=$(figure "$S4" records_committed) dead=$(figure "$S4" records_dead)
check "stats: records_committed $G3, records_dead $NBAD3" \
    "$([ "$committed" = "$G3" ] && [ "$dead" = "$NBAD3" ]; echo $?)" \
    "$(jq -c '{records_in, records_committed, records_dead, records_skipped, commit_failures}' "$S4" 2>/dev/null)"
oracle dlq --warehouse "$T/dsrv4" --table db.mixed --expect "$T/in3/expect.json" --label dlqtx
oracle ids --warehouse "$T/dsrv4" --table db.mixed --n "$G3" --label dlqtx
no_sanitizer_reports "no sanitizer reports in any floe run or the servers" "$T"/w1.log "$T"/w2.log "$T"/f1.log \
    "$L3" "$T"/dsrv.slog "$L4" "$SL4"
finish
