# cli.sh — what the end-to-end tests of the floe command (iceberg_cli.sh,
# expire_cli.sh, maintenance_cli.sh, rest_client.sh) share, sourced by
# them after `set -u` with CLI_TEST set to the test's short name: the
# report (lib/report.sh), the repository root as working directory, the
# floe binary ($FLOE, else build/${MODE:-release}/floe, made absolute), a
# private temp dir $T (with $T/work, where floe runs) removed at exit with
# the background processes the test listed in PIDS, and the helpers that
# run floe and check what it did.

cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
ROOT=$(pwd)
. "$ROOT/tests/integration/lib/report.sh"
FLOE=${FLOE:-build/${MODE:-release}/floe}
case "$FLOE" in /*) ;; *) FLOE=$ROOT/$FLOE ;; esac
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-$CLI_TEST.XXXXXX")
PIDS=()
cli_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cli_cleanup EXIT
mkdir -p "$T/work"

# run ARGS...: runs floe in $T/work, stdout in $T/out, stderr in $T/err,
# exit code in $RC.
run() {
    (cd "$T/work" && "$FLOE" "$@" >"$T/out" 2>"$T/err" </dev/null)
    RC=$?
}
# runc ARGS...: run with this test's SQLite catalog and warehouse ($T/wh).
runc() { run "$@" --catalog "sqlite:$T/wh/catalog.db" --warehouse "$T/wh"; }
OUT() { cat "$T/out"; }
ERR() { cat "$T/err"; }
sanitizer() { grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$T/err"; }

# expect_rc NAME CODE: the last run exited CODE (and no sanitizer spoke).
expect_rc() {
    if sanitizer; then not_ok "$1" "sanitizer: $(grep -m1 -E 'ERROR:|runtime error:' "$T/err")"
    elif [ "$RC" -eq "$2" ]; then ok "$1"
    else not_ok "$1" "exit $RC, expected $2; stderr: $(head -c 600 "$T/err")"; fi
}
expect_out() {
    if grep -qF -- "$2" "$T/out"; then ok "$1"; else not_ok "$1" "stdout lacks '$2'; got: $(head -c 600 "$T/out")"; fi
}
expect_no_out() {
    if grep -qF -- "$2" "$T/out"; then not_ok "$1" "stdout has '$2'"; else ok "$1"; fi
}
expect_out_is() {
    if [ "$(OUT)" = "$2" ]; then ok "$1"; else not_ok "$1" "stdout is '$(OUT)', expected '$2'"; fi
}
expect_err() {
    if grep -qF -- "$2" "$T/err"; then ok "$1"; else not_ok "$1" "stderr lacks '$2'; got: $(head -c 600 "$T/err")"; fi
}
expect_no_err() {
    if grep -qF -- "$2" "$T/err"; then not_ok "$1" "stderr shows '$2'"; else ok "$1"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }
# check_json NAME PYTHON-EXPR: EXPR is true with `out` bound to the parsed
# JSON of the last run's stdout.
check_json() {
    if "$PY" -c "import json,sys; out=json.load(open('$T/out')); sys.exit(0 if ($2) else 1)" 2>"$T/pyerr"; then ok "$1"
    else not_ok "$1" "$2 is false for $(head -c 800 "$T/out") $(cat "$T/pyerr")"; fi
}
