#!/usr/bin/env bash
# kafka_failures.sh — failure paths of `floe run` that end with every
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
# 6. A table the catalog fails to auto-create.  Auto-create is on, the
#    table does not exist, and the loads of its path fail with 500 (its
#    store is served without faults until the group has assigned the
#    partitions, since floe looks a configured table up then, and a
#    catalog error there stops it; then by a server at the same URL with
#    `--faults 500:1,match:/tables/NAME[,count:N]`).  The records wait
#    for the table; each create attempt begins with a load, which the
#    client tries twice (rest.max-retries=1), so a failed attempt takes 2
#    faults and is logged as `table-create-failed` with its attempt
#    number.  (a) db.late, count:6: attempts 1..3 fail, floe neither
#    resets nor gives up, creates the table and exits 0; the server
#    injected exactly 6 faults, all on the load; --stats: every record
#    read once and committed, none dead, one table created; db.late holds
#    every id once (floe table scan, DuckDB, icebird) and its offsets end
#    at the partitions' ends.  (b) db.never, no count: floe gives up after
#    attempt 8 with exit 1 and the error "auto-creating table db.never
#    failed 8 times in a row"; a run that failed commits nothing more when
#    it leaves the group, so the attempts are exactly 1..8, none after the
#    `revoked` line, and the server injected exactly 16 faults and was
#    asked for no create; it committed nothing.  The store served again at
#    the same URL without faults, floe run for the same group creates the
#    table at once and it holds every id once, offsets at the ends.
# 7. A routed table the catalog fails to open mid-stream.  The setup of
#    section 5 (db.a and db.b in a REST store, routing by the field tbl,
#    the same records on the topic `routed7`), but the server fails the
#    loads of db.b with 500 from the start
#    (`--faults 500:1,match:/tables/b,count:8`, rest.max-retries=1: one
#    failed load takes 2 faults).  The lookup of db.b when the group
#    assigns the partitions takes the first 2 (a table that cannot be
#    looked up there is not opened); the first record for db.b then finds
#    the table failing: floe logs `table-open-failed` and resets (the
#    record is read again, never dead-lettered), 3 times, then opens it.
#    Checks: the server injected exactly 8 faults, all on db.b's loads;
#    3 `table-open-failed` lines naming db.b and HTTP 500, after db.a's
#    first commit, each followed by a reset naming db.b; exit 0; --stats
#    (every record committed, none dead or skipped, more read than
#    produced); no `__dlq` table in the store; each table holds its ids
#    exactly once (floe table scan, DuckDB, icebird) and its offsets end
#    at the partitions' ends.
# 8. A reset in the middle of a poll batch, before every partition's first
#    record is handled.  db.first8 exists without a marker; the topic
#    `first8` (4 partitions) gets, while floe runs, a bad record first in
#    every partition and then good records (lib/mixed_rounds.py
#    --bad-first); the loads of db.first8__dlq fail with 500
#    (`--faults 500:1,match:/tables/first8__dlq,count:5`,
#    rest.max-retries=0).  The lookup at the assignment takes one fault;
#    then each batch's first record is a bad one that finds no dead-letter
#    table: floe resets 4 times, and each time the rest of the batch is
#    dropped unhandled.  Partitions none of whose records had been handled
#    yet, with nothing committed, must be sought back to their first
#    dropped record too; they were not sought at all before, and their
#    records in the batch were lost (114 of 2,400 good records in a
#    kafka_transaction.sh run).  Checks: exactly 5 faults, 4 resets naming
#    db.first8__dlq before the first commit, exit 0, --stats, every good id
#    once in db.first8 (floe table scan, DuckDB, icebird), every bad record
#    once in db.first8__dlq, offsets at the partitions' ends.
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
    check "the store of server $name holds namespace db${tables:+ and $tables}" $rc \
        "$(head -c 300 "$T/$name.create.err")"
    serve_store "$name" "$name" "$faults"
}
# serve_store NAME LOG FAULTS: `floe catalog serve` on the store $T/NAME
# (with --faults FAULTS unless empty), its log $T/LOG.slog, at the port
# $SERVE_PORT (see serve); sets URL, or ends the file.
serve_store() {
    local name=$1 log=$2 faults=() what="floe catalog serve${3:+ --faults $3}"
    [ -n "$3" ] && faults=(--faults "$3")
    serve "$log" catalog serve --warehouse "$T/$name" "${faults[@]}"
    if [ -z "$URL" ]; then
        not_ok "$what starts on the store $name" "$(log_tail "$T/$log.slog")"
        finish
    fi
    ok "$what listens at $URL on the store $name"
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

# failed_opens LOG EVENT TABLE K TRIES WANT STATS FIRST: LOG holds an
# EVENT line for each failed open of TABLE, each naming it and HTTP 500:
# as many as the K faults on its loads leave after the lookups at the
# assignments (TRIES faults each; --stats STATS counts the rebalances),
# WANT when the group assigns once; at least one, and none before the
# first commit of FIRST (resets seek back to committed offsets).  Sets
# OPENS to their number.
failed_opens() {
    local reb want n500 before
    reb=$(figure "$7" rebalances)
    want=$(($4 / $5 - ${reb:-0}))
    OPENS=$(grep -c " $2 " "$1")
    n500=$(grep " $2 " "$1" | grep -c "$3.*HTTP 500")
    check "floe logs $2 naming $3 and HTTP 500 $OPENS times ($6 expected; $want with ${reb:-?} assignments)" \
        "$([ "$OPENS" = "$want" ] && [ "$OPENS" -ge 1 ] && [ "$n500" = "$OPENS" ]; echo $?)" \
        "$(grep -m2 " $2 " "$1" | cut -c1-300 | tr '\n' '|')"
    before=$(awk -v c=" commit table=$8 " -v e=" $2 " 'index($0, c) { exit } index($0, e) { n++ } END { print n + 0 }' "$1")
    check "$3 fails to open only after $8 has committed (resets seek back to committed offsets)" \
        "$([ "$before" = 0 ]; echo $?)" "$before failures before the first commit"
}
# floe: each failed open of the dlq table is logged and resets.  The
# lookup of the dlq table at each assignment takes TRIES3 faults; the
# failed opens take the others.
failed_opens "$L3" dead-letter-table-failed db.mixed__dlq $K3 $TRIES3 $OPENS3 "$T/d1.json" db.mixed
rsd=$(grep ' reset reason=' "$L3" | grep -c 'db.mixed__dlq')
rsall=$(grep -c ' reset reason=' "$L3")
check "one reset per failed open, each naming db.mixed__dlq ($rsd of $rsall resets, $OPENS failures)" \
    "$([ "$rsd" = "$OPENS" ] && [ "$rsall" = "$OPENS" ]; echo $?)" \
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
# routed_run NAME TOPIC FAULTS [KEY=VALUE...]: the store $T/NAME with db.a
# and db.b (tables that retry a commit once) served with --faults FAULTS
# (see store_server), and `floe run --stop-when-idle` (group
# connect-NAME, config $T/NAME.properties with KEY=VALUE... added, log
# $T/NAME.log, --stats $T/NAME.json) routing TOPIC by the field tbl: round
# 0 of $T/in5, once db.a has committed it rounds 1..ROUNDS5, once db.a
# holds all its records but the last the last pair; then the run exits 0
# (checked) and the end offsets of TOPIC are in $T/NAME.ends.
routed_run() {
    local name=$1 topic=$2 faults=$3 log=$T/$1.log pid
    shift 3
    store_server "$name" "$faults" "$T/in3/schema.json" "db.a db.b" --property commit.retry.num-retries=1
    write_config "$T/$name.properties" "$name" "$topic" - floe.commit.interval-ms=500 iceberg.catalog.type=rest \
        "iceberg.catalog.uri=$URL" iceberg.tables.dynamic-enabled=true iceberg.tables.route-field=tbl "$@"
    sed -i '/^iceberg.catalog.warehouse=/d; /^iceberg.tables=/d' "$T/$name.properties"
    start_floe "$name" "$T/$name.properties" --stop-when-idle 4000 --stats "$T/$name.json"
    pid=$FPID
    wait_for 60 grep -q ' assigned' "$log"
    check "the group assigns the partitions of $topic" $? "$(log_tail "$log")"
    send_round "$T/in5" "$topic" $P5 0
    check "kcat produces round 0 of $topic (db.a only)" $? "$(head -c 300 "$T/kcat.err")"
    wait_for 60 grep -q ' commit table=db.a ' "$log"
    check "floe commits round 0 of $topic to db.a" $? "$(log_tail "$log")"
    send_rounds "$T/in5" "$topic" $P5 1 $ROUNDS5
    check "kcat produces rounds 1..$ROUNDS5 of $topic (db.a and db.b in turn)" $? "$(head -c 300 "$T/kcat.err")"
    wait_for 120 eval '[ "$(committed_to "$log" db.a)" = $((NA5 - 1)) ]'
    check "floe commits the $((NA5 - 1)) records of db.a before the last pair ($(committed_to "$log" db.a))" $? \
        "$(log_tail "$log")"
    send_round "$T/in5" "$topic" 1 $((ROUNDS5 + 1))
    check "kcat produces the last pair of $topic" $? "$(head -c 300 "$T/kcat.err")"
    run_ends "$pid" "$log" "$topic" $P5 "$T/$name.ends"
}
# committed_to LOG TABLE: the records the commits of TABLE logged.
committed_to() { grep " commit table=$2 " "$1" | sed -n 's/.* records=\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'; }
# routed_checks NAME FAILS: the --stats of routed_run NAME count every
# record committed, none dead or skipped, no table created, FAILS commit
# failures, and more records read than produced (the re-reads after the
# resets); db.a and db.b hold their ids exactly once (floe table scan,
# DuckDB, icebird) and their offsets end at the partitions' ends.
routed_checks() {
    local s=$T/$1.json in committed dead skipped created fails
    committed=$(figure "$s" records_committed) dead=$(figure "$s" records_dead) in=$(figure "$s" records_in)
    created=$(figure "$s" tables_created) skipped=$(figure "$s" records_skipped) fails=$(figure "$s" commit_failures)
    # A record is skipped for a table whose marker is past it (the loss
    # section 5 is about): every record read again after a reset is at or
    # above the markers of the tables it goes to.
    check "stats of $1: records_committed $((NA5 + NB5)), records_dead 0, records_skipped 0, tables_created 0, commit_failures $2" \
        "$([ "$committed" = $((NA5 + NB5)) ] && [ "$dead" = 0 ] && [ "$skipped" = 0 ] && [ "$created" = 0 ] &&
            [ "$fails" = "$2" ]; echo $?)" \
        "$(jq -c '{records_in, records_committed, records_dead, records_skipped, tables_created, commit_failures}' "$s" 2>/dev/null)"
    check "stats of $1: records_in ($in) is more than the $((NA5 + NB5)) records: some were read again after a reset" \
        "$([ -n "$in" ] && [ "$in" -gt $((NA5 + NB5)) ]; echo $?)" "records_in ${in:-missing}"
    oracle ids --warehouse "$T/$1" --table db.a --n "$NA5" --icebird --label "$1"
    oracle ids --warehouse "$T/$1" --table db.b --first "$NA5" --n "$NB5" --icebird --label "$1"
    oracle offsets --warehouse "$T/$1" --table db.a --group "connect-$1" --ends "$T/$1.ends" --label "$1"
    oracle offsets --warehouse "$T/$1" --table db.b --group "connect-$1" --ends "$T/$1.ends" --label "$1"
}
note "5: $NA5 records for db.a, $NB5 for db.b over $P5 partitions; 2 faults on the transaction"
routed_run routedtx routed "500:1,match:/transactions/commit,count:2"
L5=$T/routedtx.log SL5=$T/routedtx.slog
# The path: db.b's first request that writes is its marker, after db.a's
# first commit and before the first transaction; the server fails the
# first 2 transactions (no other faults); floe resets once for it, and
# db.b commits no records before that.
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

routed_checks routedtx 2

# ---- 6. a table the catalog fails to auto-create ---------------------------------------
# db.late (case a) and db.never (case b) do not exist; each has a store of
# its own (namespace db only) and a topic named after it.  A configured
# table is looked up when the group assigns the partitions, and a catalog
# error there stops floe: so the store is first served without faults,
# and once floe has found the table missing (assigned), that server stops
# and another serves the store at the same URL with the faults, only then
# are the records produced.  The faults match the table's path
# (/tables/late, /tables/never): the only requests on it after the
# assignment are the loads with which each create attempt begins, until
# one answers 404 and the table is created (POST .../namespaces/db/tables,
# not matched).  A load is a read: the client tries it TRIES6 times (once
# and rest.max-retries=1 more) before the attempt fails, so one failed
# attempt takes exactly TRIES6 faults.
if [ "$MODE" = asan ]; then N6=1500; else N6=4000; fi
P6=4 TRIES6=2 K6=3
GIVEUP6=8 # MAX_FAIL_STREAK in src/pipeline/pipeline.c
mkdir -p "$T/in6"
awk -v dir="$T/in6" -v P=$P6 -v N=$N6 'BEGIN {
    for (i = 0; i < N; i++)
        printf "k%d\t{\"id\":%d,\"name\":\"n%d\"}\n", i, i, i >(sprintf("%s/round-00-%d.lines", dir, i % P)) }'
check "the records of section 6 are written" $? ""
# reserve NAME LOG FAULTS: the server $SPID of the store $T/NAME stops
# (SIGTERM) and another serves the store at the same URL (FAULTS and LOG
# as for serve_store).
reserve() {
    local url=$URL
    kill -TERM "$SPID"
    wait_exit "$SPID" 30
    check "the server of $1 stops on SIGTERM with exit 0" "$RC" "exit $RC: $(log_tail "$T/$1.slog")"
    SERVE_PORT=${url##*:} serve_store "$@"
    [ "$URL" = "$url" ] || { not_ok "the store $1 is served again at $url" "now at $URL"; finish; }
}
# late_run NAME TABLE FAULTS: the store $T/NAME served without faults,
# `floe run --stop-when-idle` for TABLE from topic NAME (group
# connect-NAME, config $T/NAME.properties, log $T/NAME.log, --stats
# $T/NAME.json); once the group has assigned the partitions, the store
# served at the same URL with --faults FAULTS (log $T/NAME.f.slog), then
# the N6 records of $T/in6 to topic NAME.  Sets FPID.
late_run() {
    store_server "$1" "" - ""
    write_config "$T/$1.properties" "$1" "$1" "$2" floe.commit.interval-ms=500 iceberg.catalog.type=rest \
        "iceberg.catalog.uri=$URL" iceberg.catalog.rest.max-retries=$((TRIES6 - 1))
    sed -i '/^iceberg.catalog.warehouse=/d' "$T/$1.properties"
    start_floe "$1" "$T/$1.properties" --stop-when-idle 4000 --stats "$T/$1.json"
    wait_for 60 grep -q ' assigned' "$T/$1.log"
    check "the group assigns the partitions of $1" $? "$(log_tail "$T/$1.log")"
    grep -qE "^floe: catalog serve: GET /v1/namespaces/db/tables/${2#db.} 404 " "$T/$1.slog"
    check "floe looks $2 up at the assignment and finds it missing" $? "$(tail -n 3 "$T/$1.slog" | tr '\n' '|')"
    reserve "$1" "$1.f" "$3"
    send_round "$T/in6" "$1" $P6 0
    check "kcat produces the $N6 records to $1" $? "$(head -c 300 "$T/kcat.err")"
}
# injected SLOG [REQUEST]: how many requests in the server log SLOG got an
# injected fault (their line ends with its name); with REQUEST ("GET
# /v1/... 500"), only those.
injected() { grep -cE "^floe: catalog serve: ${2:-[A-Z]+ [^ ]+ [0-9]+} [0-9]+ms [^ ]+\$" "$1"; }
# create_failures LOG TABLE: the attempt numbers of the table-create-failed
# lines of LOG that name TABLE and HTTP 500, on one line.
create_failures() {
    grep " table-create-failed table=$2 " "$1" | grep 'HTTP 500' | sed -n 's/.* attempt=\([0-9]*\).*/\1/p' |
        paste -sd ' '
}
# created_once S SLOG N WHAT: the --stats file S counts N records read and
# committed, none dead, and the table created once, and the server log
# SLOG holds the create (POST .../namespaces/db/tables 200).
created_once() {
    local in=$(figure "$1" records_in) com=$(figure "$1" records_committed) dead=$(figure "$1" records_dead)
    local made=$(figure "$1" tables_created)
    check "stats$4: records_in $3 (none read twice), records_committed $3, records_dead 0, tables_created 1" \
        "$([ "$in" = "$3" ] && [ "$com" = "$3" ] && [ "$dead" = 0 ] && [ "$made" = 1 ]; echo $?)" \
        "$(jq -c '{records_in, records_committed, records_dead, records_skipped, tables_created}' "$1" 2>/dev/null)"
    grep -qE '^floe: catalog serve: POST /v1/namespaces/db/tables 200 ' "$2"
    check "the server creates the table$4" $? "$(grep -E ' /v1/namespaces/db/tables' "$2" | tail -n 3 | tr '\n' '|')"
}

# (a) K6 failed attempts, then the table is created.
KF6=$((K6 * TRIES6))
note "6a: $N6 records for db.late over $P6 partitions; $KF6 faults on its path ($K6 attempts)"
late_run late db.late "500:1,match:/tables/late,count:$KF6"
LA=$FPID
run_ends "$LA" "$T/late.log" late $P6 "$T/ends6a"
SLA=$T/late.f.slog
nf=$(injected "$SLA") nfl=$(injected "$SLA" 'GET /v1/namespaces/db/tables/late 500')
check "the server injected $KF6 faults, each a 500 on GET .../tables/late ($nf injected, $nfl there)" \
    "$([ "$nf" = "$KF6" ] && [ "$nfl" = "$KF6" ]; echo $?)" "$(grep -E 'ms [^ ]+$' "$SLA" | head -n 3 | tr '\n' '|')"
want=$(seq -s ' ' 1 $K6)
got=$(create_failures "$T/late.log" db.late)
all=$(grep -c ' table-create-failed ' "$T/late.log")
check "floe logs table-create-failed for db.late with HTTP 500 $K6 times, attempts $want ($all lines; attempts ${got:-none})" \
    "$([ "$got" = "$want" ] && [ "$all" = "$K6" ]; echo $?)" \
    "$(grep -m2 ' table-create-failed ' "$T/late.log" | cut -c1-300 | tr '\n' '|')"
grep -q ' table-created table=db.late' "$T/late.log" &&
    [ "$(awk '/ table-created table=db.late/ { exit } / table-create-failed / { n++ } END { print n + 0 }' "$T/late.log")" = "$K6" ]
check "floe creates db.late after the failed attempts" $? "$(log_tail "$T/late.log")"
n=$(grep -cE ' reset reason=|times in a row|gave up' "$T/late.log")
check "floe neither resets nor gives up" "$n" "$(grep -m1 -E ' reset reason=|times in a row|gave up' "$T/late.log" | cut -c1-300)"
created_once "$T/late.json" "$SLA" "$N6" " (a)"
oracle ids --warehouse "$T/late" --table db.late --n "$N6" --icebird --label late
oracle offsets --warehouse "$T/late" --table db.late --group connect-late --ends "$T/ends6a" --label late

# (b) faults without end: floe gives up, and a run after them creates the
# table with every record once (the first run committed nothing).
note "6b: $N6 records for db.never over $P6 partitions; every load of it fails"
late_run never db.never "500:1,match:/tables/never"
wait_exit "$FPID" 120
LN=$T/never.log
check "floe stops with exit 1 after $GIVEUP6 failed attempts" "$([ "$RC" = 1 ]; echo $?)" "exit $RC: $(log_tail "$LN")"
grep -q "auto-creating table db.never failed $GIVEUP6 times in a row: .*HTTP 500" "$LN"
check "the error names db.never, '$GIVEUP6 times in a row' and the HTTP 500" $? "$(log_tail "$LN")"
# The give-up breaks the loop; leaving the group then revokes the
# partitions, and a run that failed commits nothing more then: no attempt
# after the `revoked` line (a commit cycle there would be attempt
# GIVEUP6+1, TRIES6 faults more).
want=$(seq -s ' ' 1 $GIVEUP6)
got=$(awk '/ revoked / { exit } { print }' "$LN" | create_failures /dev/stdin db.never)
late=$(awk '/ revoked / { r = 1 } r' "$LN" | create_failures /dev/stdin db.never)
all=$(grep -c ' table-create-failed ' "$LN") rv=$(grep -c ' revoked ' "$LN")
check "floe logs table-create-failed for db.never with HTTP 500, attempts $want before it gives up (${got:-none}), none on leaving the group (${late:-none} after $rv revoked lines; $all lines)" \
    "$([ "$got" = "$want" ] && [ -z "$late" ] && [ "$rv" -ge 1 ] && [ "$all" = $GIVEUP6 ]; echo $?)" \
    "$(grep -E ' (table-create-failed|revoked) ' "$LN" | tail -n 3 | cut -c1-300 | tr '\n' '|')"
FN6=$((GIVEUP6 * TRIES6))
SLN=$T/never.f.slog
nf=$(injected "$SLN") nfn=$(injected "$SLN" 'GET /v1/namespaces/db/tables/never 500')
mk=$(grep -cE ' /v1/namespaces/db/tables [0-9]+ ' "$SLN")
check "the server injected $FN6 faults, each a 500 on GET .../tables/never ($nf, $nfn there), and was asked for no create ($mk)" \
    "$([ "$nf" = $FN6 ] && [ "$nfn" = "$nf" ] && [ "$mk" = 0 ]; echo $?)" \
    "$(grep -E 'ms [^ ]+$' "$SLN" | tail -n 3 | tr '\n' '|')"
in=$(figure "$T/never.json" records_in) com=$(figure "$T/never.json" records_committed)
made=$(figure "$T/never.json" tables_created)
check "stats of the failed run: records_in $N6, records_committed 0, tables_created 0" \
    "$([ "$in" = "$N6" ] && [ "$com" = 0 ] && [ "$made" = 0 ]; echo $?)" \
    "$(jq -c '{records_in, records_committed, records_dead, tables_created}' "$T/never.json" 2>/dev/null)"
reserve never never.ok ""
start_floe never2 "$T/never.properties" --stop-when-idle 4000 --stats "$T/never2.json"
run_ends "$FPID" "$T/never2.log" never $P6 "$T/ends6b"
n=$(grep -c ' table-create-failed ' "$T/never2.log")
check "the run after the faults creates db.never at once" "$n" "$(grep -m1 ' table-create-failed ' "$T/never2.log")"
created_once "$T/never2.json" "$T/never.ok.slog" "$N6" " (b, the run after the faults)"
oracle ids --warehouse "$T/never" --table db.never --n "$N6" --icebird --label never
oracle offsets --warehouse "$T/never" --table db.never --group connect-never --ends "$T/ends6b" --label never

# ---- 7. a routed table the catalog fails to open mid-stream --------------------------------
# Section 5's records and tables, the loads of db.b failing from the
# start.  At each assignment floe lists the tables and loads each one
# (dynamic routing opens those with the group's marker): that lookup of
# db.b takes TRIES7 faults and its failure only means "not opened".  Each
# later failed open (the first record for db.b) is a catalog error, not
# the record's: it must be read again after a reset, not dead-lettered.
TRIES7=2 F7=3 # one load and rest.max-retries=1 more; failed opens after the lookup
K7=$((TRIES7 * (1 + F7)))
note "7: section 5's records on routed7; $K7 faults on the loads of db.b ($F7 failed opens after the lookup)"
routed_run openfail routed7 "500:1,match:/tables/b,count:$K7" iceberg.catalog.rest.max-retries=$((TRIES7 - 1))
L7=$T/openfail.log SL7=$T/openfail.slog
nf=$(injected "$SL7") nfb=$(injected "$SL7" 'GET /v1/namespaces/db/tables/b 500')
check "the server injected $K7 faults, each a 500 on GET .../tables/b ($nf injected, $nfb there)" \
    "$([ "$nf" = "$K7" ] && [ "$nfb" = "$K7" ]; echo $?)" "$(grep -E 'ms [^ ]+$' "$SL7" | head -n 3 | tr '\n' '|')"
# Every assignment's lookup takes TRIES7 faults, the failed opens the
# rest (db.b's first record is in round 1, after db.a's first commit).
failed_opens "$L7" table-open-failed db.b $K7 $TRIES7 $F7 "$T/openfail.json" db.a
# Each failure is followed by its reset, before anything else fails.
seq7=$(awk '/ table-open-failed / { printf "o" } / reset reason=/ { printf "r" }' "$L7")
rsb=$(grep ' reset reason=' "$L7" | grep -c 'db.b.*HTTP 500')
check "each table-open-failed is followed by a reset naming db.b, and there is no other reset ($seq7; $rsb naming db.b)" \
    "$([ "$seq7" = "$(printf 'or%.0s' $(seq "$OPENS"))" ] && [ "$rsb" = "$OPENS" ]; echo $?)" \
    "$(grep -m4 -E ' (reset|table-open-failed) ' "$L7" | cut -c1-300 | tr '\n' '|')"
n=$(grep -cE 'gave up|dead-letter' "$L7")
check "floe never gives up and writes no dead letter" "$n" "$(grep -m1 -E 'gave up|dead-letter' "$L7" | cut -c1-300)"
"$FLOE" table list --warehouse "$T/openfail" >"$T/openfail.tables" 2>&1
tl=$(paste -sd ' ' "$T/openfail.tables")
check "the store holds db.a and db.b and no __dlq table ($tl)" "$([ "$tl" = "db.a db.b" ]; echo $?)" "tables: $tl"
routed_checks openfail 0

# ---- 8. a reset in the middle of a poll batch --------------------------------------------
# Every partition starts with a bad record, so every batch read after a
# reset starts with one, and resets again while the dead-letter table
# fails: the rest of each such batch, other partitions' records among
# them, is dropped unhandled.
if [ "$MODE" = asan ]; then G8=800; else G8=2400; fi
P8=4 F8=4 # failed opens of the dlq table after the lookup at the assignment
K8=$((1 + F8))
mkdir -p "$T/in8"
NBAD8=$(python3 "$ROOT/tests/integration/lib/mixed_rounds.py" "$T/in8" first8 $P8 $G8 1 11 --bad-first)
note "8: $G8 good records after a bad one in each of $P8 partitions; $K8 faults on db.first8__dlq"
store_server first8 "500:1,match:/tables/first8__dlq,count:$K8" "$T/in8/schema.json" db.first8
CONF8=$T/first8.properties
write_config "$CONF8" first8 first8 db.first8 errors.tolerance=all floe.commit.interval-ms=500 \
    iceberg.catalog.type=rest "iceberg.catalog.uri=$URL" iceberg.catalog.rest.max-retries=0
sed -i '/^iceberg.catalog.warehouse=/d' "$CONF8"
start_floe first8run "$CONF8" --stop-when-idle 4000 --stats "$T/first8.json"
F8PID=$FPID L8=$T/first8run.log SL8=$T/first8.slog
wait_for 60 grep -q ' assigned' "$L8"
check "the group assigns the partitions of first8" $? "$(log_tail "$L8")"
send_round "$T/in8" first8 $P8 0
check "kcat produces the records of section 8" $? "$(head -c 300 "$T/kcat.err")"
run_ends "$F8PID" "$L8" first8 $P8 "$T/ends8"
nf=$(injected "$SL8") nfd=$(injected "$SL8" 'GET /v1/namespaces/db/tables/first8__dlq 500')
check "the server injected $K8 faults, each a 500 on GET .../tables/first8__dlq ($nf injected, $nfd there)" \
    "$([ "$nf" = "$K8" ] && [ "$nfd" = "$K8" ]; echo $?)" "$(grep -E 'ms [^ ]+$' "$SL8" | head -n 3 | tr '\n' '|')"
rs8=$(grep ' reset reason=' "$L8" | grep -c 'first8__dlq')
rsall8=$(grep -c ' reset reason=' "$L8")
bc8=$(awk '/ commit table=/ { exit } / reset reason=/ { n++ } END { print n + 0 }' "$L8")
check "$F8 resets, each naming db.first8__dlq, all before anything was committed ($rs8 of $rsall8; $bc8 before the first commit)" \
    "$([ "$rs8" = "$F8" ] && [ "$rsall8" = "$F8" ] && [ "$bc8" = "$F8" ]; echo $?)" \
    "$(grep -m3 -E ' (reset|commit) ' "$L8" | cut -c1-300 | tr '\n' '|')"
S8=$T/first8.json
committed=$(figure "$S8" records_committed) dead=$(figure "$S8" records_dead)
check "stats: records_committed $G8, records_dead $NBAD8" \
    "$([ "$committed" = "$G8" ] && [ "$dead" = "$NBAD8" ]; echo $?)" \
    "$(jq -c '{records_in, records_committed, records_dead, records_skipped}' "$S8" 2>/dev/null)"
oracle ids --warehouse "$T/first8" --table db.first8 --n "$G8" --icebird --label first8
oracle dlq --warehouse "$T/first8" --table db.first8 --expect "$T/in8/expect.json" --label first8
oracle offsets --warehouse "$T/first8" --table db.first8 --group connect-first8 --ends "$T/ends8" --label first8

no_sanitizer_reports "no sanitizer reports in any floe run or the servers" "$T"/w1.log "$T"/w2.log "$T"/f1.log \
    "$L3" "$T"/dsrv.slog "$L4" "$SL4" "$L5" "$SL5" "$T"/late*.log "$T"/late*.slog "$T"/never*.log "$T"/never*.slog \
    "$L7" "$SL7" "$L8" "$SL8"
finish
