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
# 5. A routed table opened mid-stream whose first data commit fails.
#    Dynamic routing by the field tbl (iceberg.tables.dynamic-enabled)
#    into db.a and db.b, both made in a third server's store beforehand
#    without a marker (`--faults 500:1,match:/transactions/commit,count:2`,
#    tables that retry a commit once).  The topic `routed` (4 partitions)
#    first gets records for db.a only; once they are committed, rounds of
#    pairs for db.a and db.b, so db.b is opened while its first record is
#    handled.  The cycle commits db.b's marker-only snapshot, then the
#    transaction over both tables fails for good with an unknown outcome,
#    and floe resets; the record that opened db.b is read again and must
#    land in it (its floor covers it).  Checks: the server's order of
#    writes (db.a, db.b's marker, the transaction) and its 2 faults; one
#    reset, for the unknown outcome, with no commit of db.b before it;
#    exit 0; --stats (every record committed, none skipped); each table
#    holds its ids exactly once (floe table scan, DuckDB, icebird) and its
#    offsets end at the partitions' ends (a last pair for both tables is
#    sent once db.a holds all the rest).
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
# store_server NAME FAULTS SCHEMA TABLES [TABLE-CREATE-OPTIONS...]: a
# server store $T/NAME with the tables TABLES (space-separated, in
# namespace db, each of schema SCHEMA), made directly before the server
# opens it (the runs create tables only through REST), then `floe catalog
# serve` on it with --faults FAULTS; sets URL, or ends the file.
store_server() {
    local name=$1 faults=$2 schema=$3 tables=$4 tb
    shift 4
    "$FLOE" namespace create db --warehouse "$T/$name" >/dev/null 2>"$T/$name.create.err"
    local rc=$?
    for tb in $tables; do
        [ "$rc" = 0 ] || break
        "$FLOE" table create "$tb" --schema "$schema" "$@" --warehouse "$T/$name" >/dev/null \
            2>>"$T/$name.create.err"
        rc=$?
    done
    check "the store of server $name holds $tables" $rc "$(head -c 300 "$T/$name.create.err")"
    serve "$name" catalog serve --warehouse "$T/$name" --faults "$faults"
    if [ -z "$URL" ]; then
        not_ok "floe catalog serve --faults $faults starts" "$(log_tail "$T/$name.slog")"
        finish
    fi
    ok "floe catalog serve --faults $faults listens at $URL"
}
store_server dsrv "500:1,match:/tables/mixed__dlq,count:$K3" "$T/in3/schema.json" db.mixed
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
# send_round DIR TOPIC PARTS R: every partition's lines of round R
# (DIR/round-RR-P.lines), with kcat.
send_round() {
    local dir=$1 topic=$2 parts=$3 r=$4 p f rc=0
    for ((p = 0; p < parts; p++)); do
        f=$(printf '%s/round-%02d-%d.lines' "$dir" "$r" $p)
        timeout 60 kcat -P -b "$BOOT" -t "$topic" -p $p -K $'\t' -l "$f" 2>>"$T/kcat.err" || rc=1
    done
    return $rc
}
# send_rounds DIR TOPIC PARTS FIRST LAST: rounds FIRST..LAST, 0.3 s apart.
send_rounds() {
    local r rc=0
    for ((r = $4; r <= $5; r++)); do
        send_round "$1" "$2" "$3" $r || rc=1
        msleep 300
    done
    return $rc
}
# run_ends PID LOG TOPIC PARTS FILE: floe run PID (its log LOG) exits 0
# (checked), then the end offsets of TOPIC's PARTS partitions in FILE.
run_ends() {
    wait_exit "$1" 300
    check "floe run --stop-when-idle exits 0 (no crash, no giving up)" "$RC" "exit $RC: $(log_tail "$2")"
    ends "$5" "$3" "$4"
    check "kcat -Q: the end offsets of $3" $? "$(head -c 300 "$5.err")"
}
send_round "$T/in3" mixed $P3 0
check "kcat produces round 0 (good records only)" $? "$(head -c 300 "$T/kcat.err")"
wait_for 60 grep -q ' commit table=db.mixed ' "$L3"
check "floe commits the good records of round 0 to db.mixed" $? "$(log_tail "$L3")"
send_rounds "$T/in3" mixed $P3 1 $((ROUNDS3 - 1))
check "kcat produces rounds 1..$((ROUNDS3 - 1)), $NBAD3 bad records among the good" $? \
    "$(head -c 300 "$T/kcat.err")"
run_ends "$D1" "$L3" mixed $P3 "$T/ends3"

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
store_server dsrv4 "500:1,match:/transactions/commit,count:2" "$T/in3/schema.json" db.mixed \
    --property commit.retry.num-retries=1
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

# ---- 5. a routed table opened mid-stream, whose first data commit fails ------------------
# Dynamic routing by the field tbl into db.a and db.b, both made in the
# store beforehand (no marker, so neither is opened at assignment).  Round
# 0 routes to db.a only; once db.a has committed it, every partition gets
# rounds of pairs (a record for db.a, then one for db.b), so db.b is first
# opened by a record of round 1, its floors at the positions past that
# record.  The cycle commits db.b's marker-only snapshot, then the
# transaction over db.a and db.b fails for good with an unknown outcome
# and floe resets: the record that opened db.b is read again and must not
# look committed to db.b.  A last pair in partition 0, sent once db.a has
# committed all the rest, ends both tables' markers at the partitions'
# ends.
if [ "$MODE" = asan ]; then A5=800 PAIRS5=40; else A5=2000 PAIRS5=100; fi
P5=4 ROUNDS5=6
NB5=$((ROUNDS5 * P5 * PAIRS5 + 1)) # db.b's ids follow db.a's
NA5=$((A5 + NB5))
mkdir -p "$T/in5"
# round-00-P: db.a ids 0..A5-1, id i in partition i % P5; rounds
# 1..ROUNDS5: PAIRS5 pairs in each partition; round ROUNDS5+1: the last pair,
# in partition 0 only.
awk -v dir="$T/in5" -v P=$P5 -v A=$A5 -v R=$ROUNDS5 -v K=$PAIRS5 -v B=$NA5 '
    function rec(f, t, i) { printf "%s%d\t{\"id\":%d,\"tbl\":\"db.%s\"}\n", t, i, i, t >f }
    function name(r, p) { return sprintf("%s/round-%02d-%d.lines", dir, r, p) }
    BEGIN {
        for (i = 0; i < A; i++) rec(name(0, i % P), "a", i)
        a = A; b = B
        for (r = 1; r <= R + 1; r++)
            for (p = 0; p < (r <= R ? P : 1); p++)
                for (k = 0; k < (r <= R ? K : 1); k++) { rec(name(r, p), "a", a++); rec(name(r, p), "b", b++) }
    }'
check "the records of section 5 are written" $? ""
store_server rsrv "500:1,match:/transactions/commit,count:2" "$T/in3/schema.json" "db.a db.b" \
    --property commit.retry.num-retries=1
CONF5=$T/routed.properties
write_config "$CONF5" routedtx routed - floe.commit.interval-ms=500 iceberg.catalog.type=rest \
    "iceberg.catalog.uri=$URL" iceberg.tables.dynamic-enabled=true iceberg.tables.route-field=tbl
sed -i '/^iceberg.catalog.warehouse=/d; /^iceberg.tables=/d' "$CONF5"
note "5: $NA5 records for db.a, $NB5 for db.b over $P5 partitions; 2 faults on the transaction"
start_floe r5 "$CONF5" --stop-when-idle 4000 --stats "$T/r5.json"
R5=$FPID
L5=$T/r5.log
wait_for 60 grep -q ' assigned' "$L5"
check "the group assigns the partitions of routed" $? "$(log_tail "$L5")"
send_round "$T/in5" routed $P5 0
check "kcat produces round 0 (db.a only)" $? "$(head -c 300 "$T/kcat.err")"
wait_for 60 grep -q ' commit table=db.a ' "$L5"
check "floe commits round 0 to db.a" $? "$(log_tail "$L5")"
send_rounds "$T/in5" routed $P5 1 $ROUNDS5
check "kcat produces rounds 1..$ROUNDS5 (db.a and db.b in turn)" $? "$(head -c 300 "$T/kcat.err")"
# committed_to LOG TABLE: the records the commits of TABLE logged.
committed_to() { grep " commit table=$2 " "$1" | sed -n 's/.* records=\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'; }
wait_for 120 eval '[ "$(committed_to "$L5" db.a)" = $((NA5 - 1)) ]'
check "floe commits the $((NA5 - 1)) records of db.a before the last pair ($(committed_to "$L5" db.a))" $? \
    "$(log_tail "$L5")"
send_round "$T/in5" routed 1 $((ROUNDS5 + 1))
check "kcat produces the last pair" $? "$(head -c 300 "$T/kcat.err")"
run_ends "$R5" "$L5" routed $P5 "$T/ends5"

# The path: db.b's first request that writes is its marker, after db.a's
# first commit and before the first transaction; the server fails the
# first 2 transactions (no other faults); floe resets once for it, and
# db.b commits no records before that.
SL5=$T/rsrv.slog
nf=$(grep -cE '^floe: catalog serve: [A-Z]+ [^ ]+ [0-9]+ [0-9]+ms [^ ]+$' "$SL5")
tx500=$(grep -cE '^floe: catalog serve: POST /v1/transactions/commit 500 [0-9]+ms 500$' "$SL5")
check "the server fails 2 transactions with 500, no other request ($tx500 of $nf faults)" \
    "$([ "$tx500" = 2 ] && [ "$nf" = 2 ]; echo $?)" "$(grep -E 'ms [^ ]+$' "$SL5" | head -n 3 | tr '\n' '|')"
order=$(grep -oE 'POST /v1/(namespaces/db/tables/[ab]|transactions/commit) [0-9]+' "$SL5" | awk '!seen[$2]++ { print $2 }' |
    tr '\n' ' ')
check "the first writes: db.a, then db.b (its marker), then the transaction" \
    "$([ "$order" = "/v1/namespaces/db/tables/a /v1/namespaces/db/tables/b /v1/transactions/commit " ]; echo $?)" \
    "first writes: $order"
grep -q ' transaction-failed ' "$L5"
check "the transaction over db.a and db.b fails" $? "$(log_tail "$L5")"
rs=$(grep -c ' reset reason=' "$L5")
rsu=$(grep -c ' reset reason="commit outcome unknown"' "$L5")
check "floe resets once, for the unknown outcome ($rsu of $rs resets)" "$([ "$rs" = 1 ] && [ "$rsu" = 1 ]; echo $?)" \
    "$(grep -m2 -E ' (reset|transaction-failed) ' "$L5" | cut -c1-300 | tr '\n' '|')"
early=$(awk '/ reset reason=/ { exit } / commit table=db.b / { n++ } END { print n + 0 }' "$L5")
check "db.b commits no records before the reset" "$([ "$early" = 0 ]; echo $?)" "$early commits of db.b before it"
n=$(grep -cE 'gave up after [0-9]+ resets' "$L5")
check "floe never gives up" "$n" "$(grep -m1 -E 'gave up after [0-9]+ resets' "$L5" | cut -c1-300)"

S5=$T/r5.json
committed=$(figure "$S5" records_committed) dead=$(figure "$S5" records_dead) in5=$(figure "$S5" records_in)
created5=$(figure "$S5" tables_created) skipped5=$(figure "$S5" records_skipped) fails5=$(figure "$S5" commit_failures)
# A record is skipped for a table whose marker is past it (the loss this
# section is about): every record read again after the reset is at or
# above the markers of the tables it goes to.
check "stats: records_committed $((NA5 + NB5)), records_dead 0, records_skipped 0, tables_created 0, commit_failures 2 (the transaction, for each table)" \
    "$([ "$committed" = $((NA5 + NB5)) ] && [ "$dead" = 0 ] && [ "$skipped5" = 0 ] && [ "$created5" = 0 ] &&
        [ "$fails5" = 2 ]; echo $?)" \
    "$(jq -c '{records_in, records_committed, records_dead, records_skipped, tables_created, commit_failures}' "$S5" 2>/dev/null)"
check "stats: records_in ($in5) is more than the $((NA5 + NB5)) records: some were read again after the reset" \
    "$([ -n "$in5" ] && [ "$in5" -gt $((NA5 + NB5)) ]; echo $?)" "records_in ${in5:-missing}"
oracle ids --warehouse "$T/rsrv" --table db.a --n "$NA5" --icebird --label routed
oracle ids --warehouse "$T/rsrv" --table db.b --first "$NA5" --n "$NB5" --icebird --label routed
oracle offsets --warehouse "$T/rsrv" --table db.a --group connect-routedtx --ends "$T/ends5" --label routed
oracle offsets --warehouse "$T/rsrv" --table db.b --group connect-routedtx --ends "$T/ends5" --label routed
no_sanitizer_reports "no sanitizer reports in any floe run or the servers" "$T"/w1.log "$T"/w2.log "$T"/f1.log \
    "$L3" "$T"/dsrv.slog "$L4" "$SL4" "$L5" "$SL5"
finish
