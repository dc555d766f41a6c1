#!/usr/bin/env bash
# kafka_transaction.sh — a commit cycle that touches several tables lands as
# one catalog transaction: `floe run` commits a data table and its
# `<table>__dlq` together, through the embedded SQLite catalog and through
# `floe catalog serve` (REST, POST /v1/transactions/commit, SQLite store).
#
# The topic `raw` (4 partitions) gets good records (ids 0..G-1) with bad
# ones among them (a string for the long column `qty`, text that is not
# JSON, a JSON array), sent with kcat in rounds while three groups consume
# it at once, each committing every 500 ms:
#   txsql    db.events1 in the embedded SQLite catalog ($T/wh);
#   txrest   db.events2 through the REST catalog served from $T/srv;
#   txfault  db.events3 through a second server ($T/flt) that answers
#            the first 3 transaction requests with a fault each, drawn by
#            the seed: 409, 500 after applying it (an unknown outcome), or
#            500/503 without doing it; transactions are retried and
#            resolved by their commit id, never applied twice.  (Faults
#            drawn at random over all requests missed every transaction
#            of a run in about one run in six.)
# Every round has good and bad records in every partition, so every cycle
# that dead-letters something also commits good records.  Checks:
#   - both runs exit 0 with the right stats, no failed commit, and count
#     transactions (--stats `transactions`, a `transaction` log line each);
#   - REST: the server advertises the endpoint and answered
#     POST /v1/transactions/commit with 204 once per transaction the run
#     counted, and never refused one;
#   - txfault: exactly the first 3 transaction requests were faulted,
#     the run still exits 0;
#   - each good id is in the data table exactly once (floe scan, DuckDB,
#     icebird) and each bad record in `__dlq` exactly once with its bytes
#     and reason (lib/kafka_check.mjs ids and dlq), markers end at the
#     partitions' ends (offsets);
#   - committed together: every snapshot of `__dlq` that added records has
#     a snapshot in the data table with the same floe.commit-id and the
#     same progress marker (tables committed separately get different
#     commit ids, so this fails without the transaction).
# The tables keep their whole history (floe.history.retain-last=0) so that
# every snapshot can be compared.  MODE=asan sends fewer records.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

TOPIC=raw
PARTS=4
if [ "$MODE" = asan ]; then G=800 ROUNDS=10; else G=2400 ROUNDS=16; fi
start_mock --topic $TOPIC --partitions $PARTS

# ---- the records ---------------------------------------------------------------------
# lib/mixed_rounds.py writes round-R-P.lines (`key<TAB>value` lines for
# partition P in round R, sent in that order) and expect.json for
# kafka_check.mjs dlq.
mkdir -p "$T/in"
NBAD=$(python3 "$ROOT/tests/integration/lib/mixed_rounds.py" "$T/in" $TOPIC $PARTS $G $ROUNDS 11)
note "MODE=$MODE: $G good records, $NBAD bad ones, $ROUNDS rounds over $PARTS partitions"

# ---- the catalogs and tables ------------------------------------------------------------
serve srv catalog serve --warehouse "$T/srv"
if [ -z "$URL" ]; then
    not_ok "floe catalog serve starts" "$(log_tail "$T/srv.slog")"
    finish
fi
ok "floe catalog serve listens at $URL"
SEED=${KAFKA_TRANSACTION_SEED:-$$}
SRV_URL=$URL SRV_PID=$SPID
serve flt catalog serve --warehouse "$T/flt" \
    --faults "409:0.4,after-commit-500:0.4,500:0.1,503:0.1,match:transactions/commit,count:3,seed:$SEED"
FPID_SRV=$SPID FURL=$URL
URL=$SRV_URL SPID=$SRV_PID
if [ -z "$FURL" ]; then
    not_ok "floe catalog serve --faults starts" "$(log_tail "$T/flt.slog")"
    finish
fi
ok "floe catalog serve --faults listens at $FURL (seed $SEED)"
curl -s "$URL/v1/config" >"$T/config.json"
grep -q 'transactions/commit' "$T/config.json"
check "the server advertises POST /v1/{prefix}/transactions/commit" $? "$(head -c 300 "$T/config.json")"

made=0
"$FLOE" namespace create db --warehouse "$T/wh" >/dev/null 2>"$T/create.err" || made=1
"$FLOE" table create db.events1 --schema "$T/in/schema.json" --property floe.history.retain-last=0 \
    --warehouse "$T/wh" >/dev/null 2>>"$T/create.err" || made=1
"$FLOE" namespace create db --catalog "$URL" >/dev/null 2>>"$T/create.err" || made=1
"$FLOE" table create db.events2 --schema "$T/in/schema.json" --property floe.history.retain-last=0 \
    --catalog "$URL" >/dev/null 2>>"$T/create.err" || made=1
# The faulty server's 500s and 503s may hit any route, so db.events3 is
# created in its store directly (the SQLite catalog under $T/flt), not
# through it: the faults are for the run's commits.
"$FLOE" namespace create db --warehouse "$T/flt" >/dev/null 2>>"$T/create.err" || made=1
"$FLOE" table create db.events3 --schema "$T/in/schema.json" --property floe.history.retain-last=0 \
    --warehouse "$T/flt" >/dev/null 2>>"$T/create.err" || made=1
check "the data tables exist (SQLite: db.events1; REST: db.events2, db.events3)" $made "$(head -c 300 "$T/create.err")"

# ---- two groups at once --------------------------------------------------------------------
COMMON=(errors.tolerance=all floe.commit.interval-ms=500 iceberg.tables.auto-create-props.floe.history.retain-last=0)
write_config "$T/txsql.properties" txsql $TOPIC db.events1 "${COMMON[@]}"
write_config "$T/txrest.properties" txrest $TOPIC db.events2 "${COMMON[@]}" \
    iceberg.catalog.type=rest "iceberg.catalog.uri=$URL"
write_config "$T/txfault.properties" txfault $TOPIC db.events3 "${COMMON[@]}" \
    iceberg.catalog.type=rest "iceberg.catalog.uri=$FURL"
# the REST runs name their catalog by URI only
sed -i '/^iceberg.catalog.warehouse=/d' "$T/txrest.properties" "$T/txfault.properties"
declare -A PID
for r in txsql txrest txfault; do
    start_floe $r "$T/$r.properties" --stop-when-idle 4000 --stats "$T/$r.json"
    PID[$r]=$FPID
done
for r in txsql txrest txfault; do
    wait_for 60 grep -q ' assigned' "$T/$r.log"
    check "$r: the group assigns the partitions" $? "$(log_tail "$T/$r.log")"
done

# The rounds, every partition in each, with a pause between rounds so that
# the runs commit many cycles.
sent=0
for ((r = 0; r < ROUNDS; r++)); do
    for ((p = 0; p < PARTS; p++)); do
        f=$(printf '%s/in/round-%02d-%d.lines' "$T" $r $p)
        timeout 60 kcat -P -b "$BOOT" -t $TOPIC -p $p -K $'\t' -l "$f" 2>>"$T/kcat.err" || sent=1
    done
    msleep 350
done
check "kcat produces $ROUNDS rounds" $sent "$(head -c 300 "$T/kcat.err")"

for r in txsql txrest txfault; do
    wait_exit "${PID[$r]}" 300
    check "$r: floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/$r.log")"
done
ends "$T/ends" $TOPIC $PARTS
check "kcat -Q: the partitions' end offsets" $? "$(head -c 300 "$T/ends.err")"

# ---- what the runs say ------------------------------------------------------------------------
for r in txsql txrest; do
    s=$T/$r.json
    committed=$(figure "$s" records_committed) dead=$(figure "$s" records_dead)
    fails=$(figure "$s" commit_failures) tx=$(figure "$s" transactions) commits=$(figure "$s" commits)
    check "$r: stats: records_committed $G, records_dead $NBAD, commit_failures 0" \
        "$([ "$committed" = "$G" ] && [ "$dead" = "$NBAD" ] && [ "$fails" = 0 ]; echo $?)" "$(head -c 400 "$s")"
    # every transaction commits two snapshots: at most commits / 2 of them
    check "$r: stats count $tx transactions (at least 3, at most half of $commits commits)" \
        "$([ "${tx:-0}" -ge 3 ] && [ $((2 * ${tx:-0})) -le "${commits:-0}" ]; echo $?)" "$(head -c 400 "$s")"
    n=$(grep -c ' transaction tables=2' "$T/$r.log")
    check "$r: one 'transaction tables=2' log line per transaction ($n)" \
        "$([ "$n" = "$tx" ]; echo $?)" "$n lines, stats $tx; $(grep -m1 ' transaction' "$T/$r.log")"
done
tx=$(figure "$T/txrest.json" transactions)
n=$(grep -cE '^floe: catalog serve: POST /v1/([^ ]+/)?transactions/commit 204 ' "$T/srv.slog")
check "txrest: the server committed $n transactions (POST /v1/transactions/commit 204), as many as the run counted" \
    "$([ "$n" = "$tx" ] && [ "$n" -ge 3 ]; echo $?)" "server $n, run ${tx:-?}; $(grep -m2 'transactions' "$T/srv.slog" | tr '\n' ' ')"
bad=$(grep -E '^floe: catalog serve: POST /v1/([^ ]+/)?transactions/commit ' "$T/srv.slog" | grep -vc ' 204 ')
check "txrest: no transaction was refused" "$bad" "$(grep -E 'transactions/commit' "$T/srv.slog" | grep -v ' 204 ' | head -n 2)"

# The first 3 transaction requests were faulted (every run has at least 3
# transactions, checked below); what the faulty run says about them.
f409=$(grep -cE 'transactions/commit 409 .* 409$' "$T/flt.slog")
fafter=$(grep -cE 'transactions/commit 500 .* after-commit-500$' "$T/flt.slog")
f5xx=$(grep -cE 'transactions/commit 50[03] .* 50[03]$' "$T/flt.slog")
f204=$(grep -cE 'transactions/commit 204 ' "$T/flt.slog")
check "txfault: the server faulted 3 transaction requests: $f409 refused with 409, $fafter applied then 500, $f5xx 500/503 undone" \
    "$([ $((f409 + fafter + f5xx)) -eq 3 ]; echo $?)" "$(grep 'transactions/commit' "$T/flt.slog" | head -n 6 | tr '\n' ' ')"
s=$T/txfault.json
tx=$(figure "$s" transactions)
check "txfault: stats count $tx transactions (at least 3): $f204 answered 204, $fafter applied then 500" \
    "$([ "${tx:-0}" -ge 3 ] && [ "${tx:-0}" -le $((f204 + fafter)) ]; echo $?)" "$(head -c 400 "$s")"
note "txfault: $(grep -c 'commit-retry' "$T/txfault.log") commit-retry lines, $(grep -c ' reset ' "$T/txfault.log") resets; stats $(jq -c '{records_committed, records_dead, commits, transactions, commit_failures}' "$s" 2>/dev/null)"

# ---- the tables ---------------------------------------------------------------------------------
oracle dlq --warehouse "$T/wh" --table db.events1 --expect "$T/in/expect.json" --label txsql
oracle ids --warehouse "$T/wh" --table db.events1 --n "$G" --label txsql
oracle offsets --warehouse "$T/wh" --table db.events1 --group connect-txsql --ends "$T/ends" --label txsql
oracle dlq --warehouse "$T/srv" --table db.events2 --expect "$T/in/expect.json" --label txrest
oracle ids --warehouse "$T/srv" --table db.events2 --n "$G" --label txrest
oracle offsets --warehouse "$T/srv" --table db.events2 --group connect-txrest --ends "$T/ends" --label txrest
oracle dlq --warehouse "$T/flt" --table db.events3 --expect "$T/in/expect.json" --label txfault
oracle ids --warehouse "$T/flt" --table db.events3 --n "$G" --label txfault
oracle offsets --warehouse "$T/flt" --table db.events3 --group connect-txfault --ends "$T/ends" --label txfault

# Committed together: each `__dlq` snapshot that added records has a data
# table snapshot with the same floe.commit-id and the same marker.
cat >"$T/together.py" <<'EOF'
import json, sys
data, dlq, key = sys.argv[1], sys.argv[2], "floe.kafka.offsets." + sys.argv[3]
load = lambda f: [json.loads(l) for l in open(f) if l.strip()] if open(f).read(1) != "[" else json.load(open(f))
ds, qs = load(data), load(dlq)
by_id = {}
for s in ds:
    cid = s.get("summary", {}).get("floe.commit-id")
    if cid:
        by_id.setdefault(cid, []).append(s)
n, problems = 0, []
for s in qs:
    sm = s.get("summary", {})
    if int(sm.get("added-records", "0")) == 0:
        continue
    n += 1
    mates = by_id.get(sm.get("floe.commit-id"), [])
    if len(mates) != 1:
        problems.append("dlq snapshot %s (commit %s): %d data snapshots share its commit id"
                        % (s["snapshot-id"], sm.get("floe.commit-id"), len(mates)))
    elif mates[0]["summary"].get(key) != sm.get(key):
        problems.append("dlq snapshot %s: marker %s, data snapshot %s: %s"
                        % (s["snapshot-id"], sm.get(key), mates[0]["snapshot-id"], mates[0]["summary"].get(key)))
    elif int(mates[0]["summary"].get("added-records", "0")) == 0:
        problems.append("dlq snapshot %s: its data snapshot %s added no records" % (s["snapshot-id"], mates[0]["snapshot-id"]))
print(n, len(problems), problems[0] if problems else "")
EOF
# A transaction that fails for good (409 after every retry) is followed by
# commits table by table in the same cycle (`transaction-failed` in the
# log), so each such line may leave one dlq snapshot without a mate.
together() { # together LABEL WAREHOUSE TABLE GROUP
    local label=$1 wh=$2 table=$3 group=$4 out n np first allowed
    allowed=$(grep -c ' transaction-failed ' "$T/$label.log")
    "$FLOE" table snapshots "$table" --json --warehouse "$wh" >"$T/$label.data.snaps" 2>"$T/$label.snaps.err"
    "$FLOE" table snapshots "${table}__dlq" --json --warehouse "$wh" >"$T/$label.dlq.snaps" 2>>"$T/$label.snaps.err"
    out=$(python3 "$T/together.py" "$T/$label.data.snaps" "$T/$label.dlq.snaps" "$group" 2>&1)
    read -r n np first <<<"$out"
    check "$label: each of the $n ${table}__dlq snapshots that added records has a $table snapshot with its commit id and marker (failed transactions: $allowed)" \
        "$([ -n "${np:-}" ] && [ "$np" -le "$allowed" ] && [ "${n:-0}" -ge 3 ]; echo $?)" "$out $(head -c 200 "$T/$label.snaps.err")"
}
for label in txsql txrest; do
    check "$label: no transaction failed" "$(grep -c ' transaction-failed ' "$T/$label.log")" \
        "$(grep -m1 ' transaction-failed ' "$T/$label.log")"
done
together txsql "$T/wh" db.events1 connect-txsql
together txrest "$T/srv" db.events2 connect-txrest
together txfault "$T/flt" db.events3 connect-txfault

for sp in "$SPID:srv" "$FPID_SRV:flt"; do
    kill -TERM "${sp%%:*}" 2>/dev/null
    wait_exit "${sp%%:*}" 40
    check "the server ($T/${sp#*:}) stops on SIGTERM (exit 0)" "$RC" "exit $RC: $(log_tail "$T/${sp#*:}.slog")"
done
no_sanitizer_reports "no sanitizer reports in floe run or the servers" "$T"/tx*.log "$T/srv.slog" "$T/flt.slog"
finish
