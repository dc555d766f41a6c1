#!/usr/bin/env bash
# mock_kafka.sh — the mock-kafka test tool (tests/tools/mock_kafka.c)
# against a real Kafka client, kcat:
#
#   startup     the first stdout line is bootstrap=127.0.0.1:PORT, then
#               produced=N once the records are acknowledged;
#   metadata    the topics have the asked partition count, on N brokers;
#   records     kcat reads back exactly N records: valid JSON, ids 0..N-1
#               each once, keyed by user_id, spread over every partition;
#   produce     what kcat produces into a topic comes back byte for byte;
#   volume      200k records over 64 partitions all survive the mock
#               cluster's per-partition retention;
#   rate        --rate R holds production to about R records/s;
#   lifetime    the tool exits when its stdin closes and on SIGTERM;
#   usage       bad options exit 2 with the usage line.
#
# Uses build/${MODE:-release}/mock-kafka.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
MOCK=${MOCK_KAFKA:-build/${MODE:-release}/mock-kafka}
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-mock-kafka.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
check() { # check NAME CONDITION-STATUS REASON
    if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi
}

if [ ! -x "$MOCK" ] || ! command -v kcat >/dev/null; then
    not_ok "setup" "needs $MOCK (make) and kcat (Debian package kcat)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# start NAME ARGS...: starts the tool with stdin on a fifo held open by fd
# 9 (closing it ends the tool), stdout in $T/NAME.out.  Sets PID and
# BOOT (the bootstrap servers), waiting up to 20 s for the first line.
start() {
    local name=$1; shift
    rm -f "$T/$name.in"
    mkfifo "$T/$name.in"
    "$MOCK" "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
    PID=$!
    PIDS+=("$PID")
    exec 9>"$T/$name.in"
    BOOT=
    local i
    for i in $(seq 200); do
        BOOT=$(sed -n '1s/^bootstrap=//p' "$T/$name.out")
        [ -n "$BOOT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds.
wait_for() {
    local i n=$(($1 * 10))
    shift
    for i in $(seq "$n"); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
# wait_line NAME TEXT SECONDS: waits for a stdout line equal to TEXT.
wait_line() { wait_for "$3" grep -qx -- "$2" "$T/$1.out"; }
# gone PID SECONDS: waits for the process to exit.
not_running() { ! kill -0 "$1" 2>/dev/null; }
gone() { wait_for "$2" not_running "$1"; }

# ---- startup, metadata and records ----------------------------------------------
N=5000
if start main --brokers 3 --topic clicks --topic notes --partitions 8 --produce $N; then
    ok "startup prints bootstrap= first"
else
    not_ok "startup prints bootstrap= first" "got: $(head -c 300 "$T/main.out") $(head -c 300 "$T/main.err")"
fi
case "$BOOT" in
    127.0.0.1:*,127.0.0.1:*,127.0.0.1:*) ok "three brokers on 127.0.0.1" ;;
    *) not_ok "three brokers on 127.0.0.1" "bootstrap is '$BOOT'" ;;
esac
wait_line main "produced=$N" 60
check "produced=$N reported" $? "stdout: $(head -c 300 "$T/main.out"); stderr: $(head -c 300 "$T/main.err")"

kcat -L -b "$BOOT" >"$T/meta" 2>&1
grep -q ' 3 brokers:' "$T/meta"
check "metadata lists 3 brokers" $? "$(head -c 400 "$T/meta")"
grep -q 'topic "clicks" with 8 partitions' "$T/meta" && grep -q 'topic "notes" with 8 partitions' "$T/meta"
check "topics have 8 partitions" $? "$(head -c 400 "$T/meta")"

# Records alternate between the two topics: clicks holds the even ids.
timeout 60 kcat -C -b "$BOOT" -t clicks -e -q -f '%p\t%k\t%s\n' >"$T/clicks" 2>"$T/kcat.err"
check "kcat reads clicks to the end" $? "$(head -c 300 "$T/kcat.err")"
timeout 60 kcat -C -b "$BOOT" -t notes -e -q -c $((N / 2)) -f '%p\t%k\t%s\n' >"$T/notes" 2>>"$T/kcat.err"
check "kcat -c $((N / 2)) reads notes" $? "$(head -c 300 "$T/kcat.err")"
got=$(cat "$T/clicks" "$T/notes" | wc -l)
[ "$got" -eq $N ]
check "kcat reads back $N records" $? "got $got"
python3 - "$T/clicks" "$T/notes" $N >"$T/py" 2>&1 <<'EOF'
import json, sys
n = int(sys.argv[3])
ids, parts = [], set()
for topic, path in (("clicks", sys.argv[1]), ("notes", sys.argv[2])):
    for line in open(path):
        p, key, value = line.rstrip("\n").split("\t", 2)
        r = json.loads(value)
        assert r["user_id"] == key, (key, r)
        assert r["id"] % 2 == (0 if topic == "clicks" else 1), (topic, r["id"])
        for f in ("ts", "session_id", "event", "page", "referrer", "device", "country", "duration_ms", "price"):
            assert f in r, (f, r)
        ids.append(r["id"])
        parts.add((topic, int(p)))
assert sorted(ids) == list(range(n)), "ids are not 0..n-1 each once"
assert len(parts) == 16, sorted(parts)
print("ok")
EOF
check "records: JSON, ids 0..$((N - 1)) once, keyed, all partitions" $? "$(tail -c 400 "$T/py")"

# ---- kcat as producer --------------------------------------------------------------
seq 1 300 | sed 's/^/line-/' >"$T/sent"
kcat -P -b "$BOOT" -t notes -p 5 -l "$T/sent" 2>"$T/kcatp.err"
check "kcat produces into the mock" $? "$(head -c 300 "$T/kcatp.err")"
timeout 60 kcat -C -b "$BOOT" -t notes -p 5 -o -300 -e -q >"$T/back" 2>&1
cmp -s "$T/sent" "$T/back"
check "kcat's records come back byte for byte" $? "$(diff "$T/sent" "$T/back" | head -c 300)"

# ---- lifetime: stdin ---------------------------------------------------------------
exec 9>&-
gone "$PID" 30
check "exits when stdin closes" $? "pid $PID still running"
wait "$PID"
check "exit status 0 after stdin closes" $? "$(head -c 300 "$T/main.err")"

# ---- volume ------------------------------------------------------------------------
N=200000
start vol --topic big --partitions 64 --produce $N
wait_line vol "produced=$N" 180
check "produced $N over 64 partitions" $? "$(head -c 300 "$T/vol.err")"
got=$(timeout 120 kcat -C -b "$BOOT" -t big -e -q -f '%o\n' 2>"$T/kcatv.err" | wc -l)
[ "$got" -eq $N ]
check "all $N records kept by the mock cluster" $? "got $got; $(head -c 300 "$T/kcatv.err")"

# ---- lifetime: SIGTERM -------------------------------------------------------------
kill -TERM "$PID"
gone "$PID" 30
check "exits on SIGTERM" $? "pid $PID still running"
exec 9>&-

# ---- rate --------------------------------------------------------------------------
t0=$(date +%s%N)
start rate --topic slow --produce 300 --rate 200
wait_line rate "produced=300" 30
check "rate-limited production finishes" $? "$(head -c 300 "$T/rate.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1300 ] && [ "$ms" -lt 10000 ]
check "300 records at 200/s take about 1.5 s" $? "took ${ms} ms"
exec 9>&-
gone "$PID" 30

# ---- usage -------------------------------------------------------------------------
"$MOCK" --bogus </dev/null >/dev/null 2>"$T/usage.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q '^usage: mock-kafka' "$T/usage.err"
check "unknown option exits 2 with usage" $? "exit $rc: $(head -c 200 "$T/usage.err")"
"$MOCK" --produce 10 </dev/null >/dev/null 2>"$T/usage.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--produce needs a --topic' "$T/usage.err"
check "--produce without --topic exits 2" $? "exit $rc: $(head -c 200 "$T/usage.err")"
"$MOCK" --partitions 0 </dev/null >/dev/null 2>"$T/usage.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--partitions needs an integer >= 1' "$T/usage.err"
check "--partitions 0 exits 2" $? "exit $rc: $(head -c 200 "$T/usage.err")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
