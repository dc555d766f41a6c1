#!/usr/bin/env bash
# The whole test suite: builds floe in release and asan (ASan+UBSan) modes
# and the libFuzzer targets, then runs, for each mode,
#   - every unit test binary build/$MODE/tests/test_*,
#   - every tests/integration/*.sh   (env MODE, FLOE=build/$MODE/floe),
#   - every tests/integration/*.mjs  (node, same env; the oracles they use are
#     resolved from tests/oracle/node_modules through tests/oracle/index.mjs),
# and finally each build/fuzz/fuzz_* target for FUZZ_SECONDS (default 30).
#
# Counting: each program ends with a line `N passed, N failed`; the last such
# line of its output is taken.  A program that exits non-zero without one,
# dies by a signal or times out counts as 1 failed; one that exits non-zero
# with one counts its failures, at least 1.  A failed build counts 1 failed.
# A fuzz target that exits cleanly counts 1 passed, otherwise 1 failed.
# The run prints one line per program, the tail of the log of each failing
# one, and closes with exactly one line `N passed, N failed`; it exits 1 if
# anything failed.  Logs are kept in build/test-logs/.
#
# Environment: MODES (default "release asan"), FUZZ_SECONDS (default 30, 0
# skips fuzzing), TEST_TIMEOUT (seconds per program, default 2400: the simulated day of maintenance_day.sh takes about 16 minutes),
# FLOE_SHARED (default ../shared), CI=true makes missing test data a failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
MODES=${MODES:-"release asan"}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
TEST_TIMEOUT=${TEST_TIMEOUT:-2400}
SHARED=${FLOE_SHARED:-$ROOT/../shared}
export FLOE_SHARED=$SHARED
LOGS=$ROOT/build/test-logs
mkdir -p "$LOGS"

TOTAL_PASS=0
TOTAL_FAIL=0
SUMMARY=()
START=$SECONDS

# Sanitizer reports must fail the program that triggers them, loudly.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

record() { # record NAME PASS FAIL SECONDS NOTE
    TOTAL_PASS=$((TOTAL_PASS + $2))
    TOTAL_FAIL=$((TOTAL_FAIL + $3))
    local status=ok
    [ "$3" -gt 0 ] && status=FAIL
    local line
    line=$(printf '%-4s %-52s %5d passed %4d failed %5ds %s' "$status" "$1" "$2" "$3" "$4" "$5")
    SUMMARY+=("$line")
    echo "$line"
}

show_tail() { # show_tail LOG
    echo "---- last lines of $1"
    tail -n 40 "$1" | sed 's/^/    /'
    echo "----"
}

# run_prog NAME LOG CMD...: runs CMD with the timeout, counts its result.
run_prog() {
    local name=$1 log=$2; shift 2
    local t0=$SECONDS rc
    mkdir -p "$(dirname "$log")"
    timeout -k 10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
    rc=$?
    local dt=$((SECONDS - t0))
    local last p=0 f=0 note=""
    last=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$last" ]; then
        p=$(echo "$last" | sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
        f=$(echo "$last" | sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    fi
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        note="timed out after ${TEST_TIMEOUT}s"
        [ "$f" -lt 1 ] && f=1
    elif [ "$rc" -gt 128 ]; then
        note="killed by signal $((rc - 128))"
        [ "$f" -lt 1 ] && f=1
    elif [ "$rc" -ne 0 ]; then
        if [ -z "$last" ]; then note="exit $rc without a result line"; else note="exit $rc"; fi
        [ "$f" -lt 1 ] && f=1
    elif [ -z "$last" ]; then
        note="no result line"
        f=1
    fi
    record "$name" "$p" "$f" "$dt" "$note"
    [ "$f" -gt 0 ] && show_tail "$log"
    return 0
}

# build NAME CMD...: a failed build counts 1 failed.  Builds run with
# make -k, so that one file that does not compile costs only the programs
# that need it: whatever did build is still run.
build() {
    local name=$1; shift
    local log=$LOGS/build-$name.log t0=$SECONDS
    echo "== build $name: $*"
    if timeout -k 10 3600 "$@" >"$log" 2>&1 </dev/null; then
        return 0
    fi
    record "build $name" 0 1 $((SECONDS - t0)) "build failed"
    grep -E 'error|Error|undefined reference' "$log" | head -n 20 | sed 's/^/    /'
    return 1
}

# ---- Builds ---------------------------------------------------------------
for mode in $MODES; do
    build "$mode" make -k -j2 MODE="$mode" || true
done
if [ "$FUZZ_SECONDS" != 0 ] && ls fuzz/fuzz_*.c >/dev/null 2>&1; then
    if ! command -v clang >/dev/null 2>&1; then
        record "build fuzz" 0 1 0 "clang not found"
    else
        build fuzz make -k -j2 fuzz || true
    fi
fi

if [ ! -d "$SHARED/parquet-testing/data" ]; then
    if [ "${CI:-}" = true ]; then
        record "test data $SHARED/parquet-testing" 0 1 0 "missing (required when CI=true)"
    else
        echo "note: $SHARED/parquet-testing is missing; the tests that need it skip"
    fi
fi

# ---- Tests per mode ---------------------------------------------------------
for mode in $MODES; do
    echo "== tests, $mode"
    export MODE=$mode FLOE=$ROOT/build/$mode/floe
    for t in build/"$mode"/tests/test_*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        case "$t" in *.d|*.o) continue ;; esac
        run_prog "$mode/$(basename "$t")" "$LOGS/$mode/$(basename "$t").log" "$t"
    done
    for t in tests/integration/*.sh; do
        [ -f "$t" ] || continue
        run_prog "$mode/$(basename "$t")" "$LOGS/$mode/$(basename "$t").log" bash "$t"
    done
    for t in tests/integration/*.mjs; do
        [ -f "$t" ] || continue
        run_prog "$mode/$(basename "$t")" "$LOGS/$mode/$(basename "$t").log" node "$t"
    done
done
unset MODE FLOE

# ---- Fuzzing ------------------------------------------------------------------
if [ "$FUZZ_SECONDS" != 0 ]; then
    echo "== fuzz, ${FUZZ_SECONDS}s per target"
    for f in build/fuzz/fuzz_*; do
        [ -x "$f" ] && [ -f "$f" ] || continue
        name=$(basename "$f")
        corpus=build/fuzz/corpus/$name
        mkdir -p "$corpus" build/fuzz/artifacts
        seeds=()
        # Parquet parsers start from the real corpus, good and bad files.
        case "$name" in
        *parquet*|*thrift*|*page*|fuzz_meta)
            for d in "$SHARED/parquet-testing/data" "$SHARED/parquet-testing/bad_data"; do
                [ -d "$d" ] && seeds+=("$d")
            done ;;
        fuzz_metadata) [ -d tests/data/iceberg ] && seeds+=(tests/data/iceberg) ;;
        fuzz_ndjson) seeds+=(examples) ;;
        esac
        # libFuzzer writes new inputs into the first directory only; the
        # seed directories are read, never written.
        TEST_TIMEOUT=$((FUZZ_SECONDS * 3 + 120)) run_prog "fuzz/$name" "$LOGS/fuzz/$name.log" \
            bash -c '"$@" && echo "1 passed, 0 failed"' fuzz "$f" \
            -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
            -artifact_prefix="build/fuzz/artifacts/$name-" -print_final_stats=1 \
            "$corpus" "${seeds[@]}"
    done
fi

# ---- Summary ------------------------------------------------------------------
echo
echo "== summary ($((SECONDS - START))s)"
for l in "${SUMMARY[@]}"; do echo "$l"; done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
