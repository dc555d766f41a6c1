# kafka.sh — what the Kafka pipeline tests (tests/integration/kafka_*.sh)
# share, sourced by them: the report (`ok`/`not ok` lines, the closing
# `N passed, N failed`), a private temp dir and process cleanup, the
# mock-kafka broker (tests/tools/mock_kafka.c) started with its life tied to
# a fifo, `floe run` processes started in the background and tracked by pid,
# config files, and the oracle checks of lib/kafka_check.mjs.
#
# Every process started here is remembered by pid and killed (only those,
# by pid) when the script exits; the temp dir goes with them (KAFKA_KEEP=1
# keeps it, for a look at the logs).

cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
ROOT=$(pwd)
MODE=${MODE:-release}
FLOE=${FLOE:-$ROOT/build/$MODE/floe}
MOCK=${MOCK_KAFKA:-$ROOT/build/$MODE/mock-kafka}
CHECK="$ROOT/tests/integration/lib/kafka_check.mjs"
export FLOE MODE
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-kafka.XXXXXX")
KPIDS=()
MOCK_PID=

kafka_cleanup() {
    local p
    for p in "${KPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    exec 9>&- 2>/dev/null
    if [ -n "$MOCK_PID" ]; then
        kill -TERM "$MOCK_PID" 2>/dev/null
        wait_for 10 not_alive "$MOCK_PID" || kill -KILL "$MOCK_PID" 2>/dev/null
    fi
    if [ -n "${KAFKA_KEEP:-}" ]; then
        echo "# kept $T"
    else
        rm -rf "$T"
    fi
}
trap kafka_cleanup EXIT
# A timeout's SIGTERM ends the script through its EXIT trap too.
trap 'exit 143' TERM INT

. "$ROOT/tests/integration/lib/report.sh"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# require: floe with `run`, mock-kafka, kcat, node; else one failure.
require() {
    local why=
    [ -x "$FLOE" ] || why="$FLOE is missing (make MODE=$MODE)"
    [ -z "$why" ] && ! "$FLOE" run --help >/dev/null 2>&1 && why="$FLOE has no 'run' command"
    [ -z "$why" ] && [ ! -x "$MOCK" ] && why="$MOCK is missing (make MODE=$MODE)"
    [ -z "$why" ] && ! command -v kcat >/dev/null && why="kcat is missing (Debian package kcat)"
    [ -z "$why" ] && ! command -v jq >/dev/null && why="jq is missing"
    if [ -n "$why" ]; then
        not_ok "setup" "$why"
        finish
    fi
    # A private copy: every run of the test uses the same binary even when
    # the build replaces build/$MODE/floe meanwhile.
    mkdir -p "$T/bin"
    cp "$FLOE" "$T/bin/floe" && FLOE=$T/bin/floe
}

# wait_for SECONDS CMD...: runs CMD every 0.05 s until it succeeds.
wait_for() {
    local end=$(($(now_ms) + $1 * 1000))
    shift
    while :; do
        "$@" && return 0
        [ "$(now_ms)" -ge "$end" ] && return 1
        sleep 0.05
    done
}
alive() { kill -0 "$1" 2>/dev/null; }
not_alive() { ! kill -0 "$1" 2>/dev/null; }
# msleep MS: sleeps MS milliseconds.
msleep() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }

# start_mock ARGS...: mock-kafka with stdin on a fifo held open by fd 9
# (`produce M [R]` lines go there; closing it ends the broker), stdout in
# $T/mock.out.  Sets BOOT.  Fails after 20 s without a bootstrap line.
start_mock() {
    mkfifo "$T/mock.in"
    "$MOCK" "$@" <"$T/mock.in" >"$T/mock.out" 2>"$T/mock.err" &
    MOCK_PID=$!
    exec 9>"$T/mock.in"
    BOOT=
    local i
    for i in $(seq 400); do
        BOOT=$(sed -n '1s/^bootstrap=//p' "$T/mock.out")
        [ -n "$BOOT" ] && return 0
        alive "$MOCK_PID" || break
        sleep 0.05
    done
    not_ok "mock-kafka starts" "$(head -c 300 "$T/mock.err")"
    finish
}
mock_cmd() { echo "$*" >&9; }
# produced N: whether mock-kafka has reported produced=N.
produced() { grep -qx "produced=$1" "$T/mock.out"; }

# write_config FILE NAME TOPIC TABLE [KEY=VALUE...]: a .properties config for
# the mock broker and the warehouse $T/wh.  The session timeout is as short
# as the mock's group coordinator allows (it waits 3 s before the first
# assignment of a group and evicts members silent for the timeout).
write_config() {
    local f=$1 name=$2 topic=$3 table=$4
    shift 4
    {
        echo "name=$name"
        echo "topics=$topic"
        echo "iceberg.tables=$table"
        echo "iceberg.tables.auto-create-enabled=true"
        echo "iceberg.catalog.warehouse=$T/wh"
        echo "bootstrap.servers=$BOOT"
        echo "floe.commit.interval-ms=1000"
        echo "floe.metrics.listen=off"
        echo "kafka.session.timeout.ms=4000"
        echo "kafka.heartbeat.interval.ms=300"
        echo "kafka.fetch.wait.max.ms=50"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } >"$f"
}

# start_floe NAME ARGS...: `floe run ARGS` in the background, stderr in
# $T/NAME.log.  Sets FPID.
start_floe() {
    local name=$1
    shift
    # The log exists before the process does, for whoever reads it at once.
    : >"$T/$name.log"
    "$FLOE" run "$@" >"$T/$name.out" 2>>"$T/$name.log" </dev/null &
    FPID=$!
    KPIDS+=("$FPID")
}

# wait_exit PID SECONDS: waits for the process to end; sets RC (124 when
# it was still running and was killed).
wait_exit() {
    if wait_for "$2" not_alive "$1"; then
        wait "$1" 2>/dev/null
        RC=$?
    else
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        RC=124
    fi
}

# serve NAME ARGS...: `floe ARGS` (a `catalog serve` command line) in the
# background, its log in $T/NAME.slog, on 127.0.0.1 at port $SERVE_PORT
# (default: any free one; a fixed one lets a server replace another under
# the same URL).  Sets SPID and URL (empty if it did not come up within 20 s).
serve() {
    local name=$1
    shift
    "$FLOE" "$@" --listen "127.0.0.1:${SERVE_PORT:-0}" >"$T/$name.sout" 2>"$T/$name.slog" </dev/null &
    SPID=$!
    KPIDS+=("$SPID")
    wait_for 20 grep -qs 'listening on' "$T/$name.sout"
    URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T/$name.sout" | head -1)
}

# figure FILE KEY: a figure of a --stats file (empty when missing).
figure() { jq -r ".$2 // empty" "$1" 2>/dev/null; }

# ends FILE TOPIC PARTITIONS: the partitions' end offsets (kcat -Q).
ends() {
    local f=$1 topic=$2 n=$3 args=() p
    for ((p = 0; p < n; p++)); do args+=(-t "$topic:$p:-1"); done
    timeout 60 kcat -Q -b "$BOOT" "${args[@]}" >"$f" 2>"$f.err"
}

# oracle ARGS...: node lib/kafka_check.mjs ARGS, its lines passed on and its
# counts added to this script's.
oracle() {
    local out last p f
    out=$(timeout 600 node "$CHECK" "$@" 2>&1)
    last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
    if [ -z "$last" ]; then
        not_ok "oracle $1" "no result line: $(echo "$out" | tail -n 5)"
        return
    fi
    p=${last%% passed*}
    f=${last#*passed, }
    f=${f%% failed*}
    PASS=$((PASS + p))
    FAIL=$((FAIL + f))
}

# no_sanitizer_reports NAME FILES...: no ASan/UBSan report in the logs.
no_sanitizer_reports() {
    local name=$1 hit
    shift
    hit=$(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |UndefinedBehaviorSanitizer' "$@" 2>/dev/null | head -n 1)
    if [ -n "$hit" ]; then
        not_ok "$name" "$hit: $(grep -m1 -E 'ERROR:|runtime error:' "$hit")"
    else
        ok "$name"
    fi
}

# log_tail FILE: the last lines of a log, on one line.
log_tail() { tail -n 4 "$1" 2>/dev/null | tr '\n' '|' | cut -c1-600; }
