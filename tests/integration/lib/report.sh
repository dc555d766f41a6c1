# report.sh — the report every shell test prints, sourced by the test
# libraries (lib/cli.sh, lib/kafka.sh): one `ok - NAME` or
# `not ok - NAME: REASON` line per check, and a closing
# `N passed, N failed` that tests/run.sh adds up.

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
check() { # check NAME STATUS REASON
    if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi
}
note() { echo "# $*"; }
# Prints the closing line and exits: 0 when nothing failed.
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}
