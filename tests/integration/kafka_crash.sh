#!/usr/bin/env bash
# kafka_crash.sh — exactly once through SIGKILL: `floe run` is killed at
# random moments while a clickstream is produced, restarted each time, and
# at the end every record is in the table exactly once.
#
#   - mock-kafka produces N records (ids 0..N-1, unique) into 64 partitions
#     at a limited rate while floe consumes; the last TAIL records are held
#     back until the kills are over, so that the final run has work to see;
#   - phase 1: one `floe run` at a time (commit interval 1 s, 300 ms or
#     500 ms), SIGKILLed at a random moment, restarted;
#   - phase 2: three `floe run` processes of one group, each killed once a
#     round at a moment of its own and restarted at once (the survivors
#     take the victim's partitions, with whatever it had not committed);
#   - kill moments: a random delay after start (in the group join); a
#     random delay after the partitions are assigned; right as a new data
#     or metadata file appears in the table's directory (inside a commit);
#     a random part of a second after a logged commit (in phase 2, once the
#     victim has partitions, one of the last three at random);
#   - finally one `floe run --stop-when-idle` consumes what is left.
# Then the ids are checked by `floe table scan`, by DuckDB over the files
# `floe table files` lists and by icebird; every snapshot carries
# floe.kafka.offsets.connect-crash and the last equals the partitions' ends.
#
# MODE=release: 1,000,000 records, 20 kills.  MODE=asan (slower): 200,000
# records, 12 kills.  KAFKA_CRASH_SEED fixes the random choices.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

SEED=${KAFKA_CRASH_SEED:-$$}
RANDOM=$SEED
if [ "$MODE" = asan ]; then
    N=200000 K1=3 ROUNDS=3 RATE=4000 TAIL=5000
else
    N=1000000 K1=5 ROUNDS=5 RATE=11000 TAIL=20000
fi
TOPIC=clicks
PARTS=64
TABLE=db.clicks
TDIR=$T/wh/db/clicks
note "seed $SEED; $N records over $PARTS partitions at $RATE/s; $((K1 + 3 * ROUNDS)) kills planned"

T0=$(now_ms)
# linger 200 ms: message sets of tens of records per partition (the mock
# serves about one set per partition and fetch).
start_mock --topic $TOPIC --partitions $PARTS --produce $((N - TAIL)) --rate $RATE --linger 200
CONF=$T/crash.properties
write_config "$CONF" crash $TOPIC $TABLE

KILLS=0
MIDFILE=0     # kills sent right as a table file appeared
SELF_EXITS=() # runs that ended without being killed
RUNS=0
INTERVALS=(1000 300 500 300 1000)

files_now() { ls "$TDIR/data" "$TDIR/metadata" 2>/dev/null | wc -l; }
commits_in() { cat "$1" 2>/dev/null | grep -c ' commit table='; }
changed() { [ "$(files_now)" != "$1" ]; }
more_commits() { [ "$(commits_in "$1")" -gt "$2" ]; }
any_commit() { [ "$(cat "$T"/run*.log | grep -c ' commit table=')" -gt "$1" ]; }

# launch: a new `floe run` with a commit interval from INTERVALS; sets FPID, FLOG.
launch() {
    RUNS=$((RUNS + 1))
    local iv=${INTERVALS[$((RANDOM % ${#INTERVALS[@]}))]}
    start_floe "run$RUNS" "$CONF" -o floe.commit.interval-ms=$iv
    FLOG=$T/run$RUNS.log
}

# kill_at MODE PID LOG STARTED_MS: waits for the moment MODE picks, then
# SIGKILLs PID (which must still be running).
kill_at() {
    local mode=$1 pid=$2 log=$3
    case $mode in
    0) wait_for 30 grep -q ' assigned ' "$log" && msleep $((100 + RANDOM % 2400)) ;;
    3) msleep $((300 + RANDOM % 3000)) ;;
    1) local n0
        n0=$(files_now)
        if wait_for 20 changed "$n0"; then
            msleep $((RANDOM % 20))
            MIDFILE=$((MIDFILE + 1))
        fi ;;
    2) local c0
        c0=$(commits_in "$log")
        wait_for 20 more_commits "$log" "$c0" && msleep $((RANDOM % 1000)) ;;
    4) # phase 2: once the victim has partitions, any of the other moments
        wait_for 20 grep -q ' assigned ' "$log"
        case $((RANDOM % 3)) in
        0) msleep $((100 + RANDOM % 1400)) ;;
        1) local n1
            n1=$(files_now)
            wait_for 10 changed "$n1" && msleep $((RANDOM % 20)) && MIDFILE=$((MIDFILE + 1)) ;;
        2) local c1
            c1=$(cat "$T"/run*.log | grep -c ' commit table=')
            wait_for 10 any_commit "$c1" && msleep $((RANDOM % 500)) ;;
        esac ;;
    esac
    if alive "$pid"; then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
        KILLS=$((KILLS + 1))
    else
        wait "$pid" 2>/dev/null
        local rc=$?
        SELF_EXITS+=("$(basename "$log") exit $rc: $(log_tail "$log")")
    fi
}

# ---- phase 1: one process ----------------------------------------------------------
MODES1=(3 0 1 2 1 0)
for ((i = 0; i < K1; i++)); do
    launch
    kill_at ${MODES1[$((i % ${#MODES1[@]}))]} "$FPID" "$FLOG"
done
note "phase 1: $KILLS kills of a single process after $(($(now_ms) - T0)) ms"

# ---- phase 2: three processes, each killed once a round --------------------------
# Each round, every process (all assigned in the same rebalance) is killed
# at a moment of its own and replaced at once, in a random order; the
# replacements are assigned together in the next rebalance.
P=() L=()
for s in 0 1 2; do
    launch
    P[s]=$FPID L[s]=$FLOG
done
for ((r = 1; r <= ROUNDS; r++)); do
    first=$((RANDOM % 3))
    for k in 0 1 2; do
        s=$(((first + k) % 3))
        kill_at 4 "${P[s]}" "${L[s]}"
        if ((r < ROUNDS)); then
            launch
            P[s]=$FPID L[s]=$FLOG
        fi
    done
done
note "phase 2: $KILLS kills in all after $(($(now_ms) - T0)) ms"

# ---- the final run -----------------------------------------------------------------
wait_for 300 produced $((N - TAIL))
check "mock-kafka produced the first $((N - TAIL)) records" $? "$(head -c 300 "$T/mock.err")"
mock_cmd "produce $TAIL"
T1=$(now_ms)
start_floe final "$CONF" --stop-when-idle 3000 --stats "$T/final.json"
wait_exit "$FPID" 600
T2=$(now_ms)
check "the final floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/final.log")"
wait_for 60 produced $N
check "mock-kafka produced all $N records" $? "$(tail -c 300 "$T/mock.out")"

check "at least $((K1 + 3 * ROUNDS)) SIGKILLs delivered to running floe processes" \
    $([ "$KILLS" -ge $((K1 + 3 * ROUNDS)) ]; echo $?) "only $KILLS"
check "no floe run ended on its own during the kill phase" ${#SELF_EXITS[@]} "${SELF_EXITS[*]:0:2}"

in=$(figure "$T/final.json" records_in)
committed=$(figure "$T/final.json" records_committed)
skipped=$(figure "$T/final.json" records_skipped)
[ -n "$in" ] && [ "$in" -gt 0 ] && [ "$committed" -gt 0 ]
check "the final run consumed and committed records (stats)" $? "$(head -c 400 "$T/final.json")"

# Every record the topic holds, and where each partition ends.
ends "$T/ends" $TOPIC $PARTS
total=$(awk '/offset/ {s += $NF} END {print s + 0}' "$T/ends")
check "the topic holds $N records" $([ "$total" -eq $N ]; echo $?) "its partitions end at offsets adding up to $total"

oracle ids --warehouse "$T/wh" --table $TABLE --n $N --icebird
oracle offsets --warehouse "$T/wh" --table $TABLE --group connect-crash --ends "$T/ends"

# What the killed runs left behind: data files no snapshot lists (written,
# then killed before the commit) show kills inside a commit.
listed=$("$FLOE" table files $TABLE --warehouse "$T/wh" --json 2>/dev/null | grep -c '"file-path"')
ondisk=$(find "$TDIR/data" -name '*.parquet' | wc -l)
# Each logged commit landed; a commit may land unlogged (killed right
# after it), so the logged ones add up to at most N records: no record
# was committed twice.
commits=$(cat "$T"/run*.log "$T/final.log" | grep -c ' commit table=')
logged=$(cat "$T"/run*.log "$T/final.log" | sed -n 's/.* commit table=[^ ]* records=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
check "logged commits add up to at most $N records ($commits commits, $logged records)" \
    $([ "$logged" -le $N ] && [ "$commits" -gt 0 ]; echo $?) "they add up to $logged"
seq=$("$FLOE" table snapshots $TABLE --warehouse "$T/wh" --json 2>/dev/null | jq '[.[]."sequence-number"] | max')
no_sanitizer_reports "no sanitizer reports in any floe run" "$T"/run*.log "$T/final.log"

ms=$((T2 - T0))
note "kills: $KILLS ($MIDFILE right as a table file appeared), runs: $RUNS + final, commits: $commits logged (table sequence number $seq)"
note "data files: $ondisk written, $listed in the table, $((ondisk - listed)) orphaned by kills"
note "final run: records_in $in, committed $committed, skipped (re-read, already in the table) $skipped, $((T2 - T1)) ms"
note "$N records in $ms ms end to end: $((N * 1000 / (ms > 0 ? ms : 1))) records/s (production limited to $RATE/s)"
finish
