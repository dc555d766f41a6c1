#!/usr/bin/env bash
# floe's Iceberg benchmarks (bench/run.sh runs them after the Parquet one):
#
#  1. commit cost against history: bench/iceberg_commits.c (linked with
#     libfloe) appends one tiny data file per commit to one table, COMMITS
#     times (default 10000), timing each commit and counting the metadata
#     bytes it writes; reported for the 10 commits ending at 10, 100, 1,000
#     and 10,000 commits, with the ratio of the last to the first (target:
#     within 2x).
#  2. Iceberg bookkeeping: `floe ingest` of the bench input into an
#     unpartitioned table with the bench schema, one commit at the end,
#     against `floe parquet write` of the same input with the same schema
#     (target: ingest under 5% slower).  RUNS runs each (default 3),
#     alternating; the best wall time counts; peak RSS is the largest.
#
#   usage: bash bench/iceberg.sh INPUT.ndjson
# Writes bench/out/iceberg.md and prints it (progress goes to standard
# error).  Environment: COMMITS, RUNS, FLOE (default build/release/floe).
set -euo pipefail
cd "$(dirname "$0")/.."
IN=${1:?usage: bash bench/iceberg.sh INPUT.ndjson (bench/run.sh makes one)}
COMMITS=${COMMITS:-10000}
RUNS=${RUNS:-3}
FLOE=${FLOE:-build/release/floe}
case "$COMMITS" in ''|*[!0-9]*) echo "bench: COMMITS must be a number" >&2; exit 2 ;; esac
[ -s "$IN" ] || { echo "bench: $IN is missing or empty" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time (/usr/bin/time) is missing: bash scripts/deps.sh" >&2; exit 1; }

make -j2 MODE=release build/release/libfloe.a >/dev/null
[ -x "$FLOE" ] || make -j2 MODE=release build/release/floe >/dev/null
# The libraries libfloe links against (the Makefile's list; those pkg-config knows).
PKGS=""
for p in libzstd snappy liblz4 zlib libbrotlidec libbrotlienc jansson sqlite3 libpq rdkafka libmicrohttpd libcurl; do
    pkg-config --exists "$p" && PKGS="$PKGS $p"
done
mkdir -p bench/data bench/out
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wvla -Iinclude -Isrc \
    $(pkg-config --cflags $PKGS) -o bench/data/iceberg_commits bench/iceberg_commits.c build/release/libfloe.a \
    $(pkg-config --libs $PKGS) -lm -lpthread

WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-iceberg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- 1. commit cost ----------------------------------------------------------------
echo "bench: $COMMITS commits to one table (this takes a while)" >&2
t0=$EPOCHREALTIME
bench/data/iceberg_commits "$WORK/commits" "$COMMITS" >bench/out/iceberg_commits.md
COMMIT_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
cp "$WORK/commits/commits.csv" bench/out/iceberg_commits.csv

# ---- 2. ingest vs parquet write ---------------------------------------------------
ROWS=$(wc -l <"$IN")
IN_BYTES=$(stat -c %s "$IN")
CAT="sqlite:$WORK/wh/catalog.db"
declare -A BEST RSS
# timed NAME CMD...: runs CMD under GNU time; keeps the best wall time and
# the largest peak RSS.
timed() {
    local name=$1; shift
    local t1 secs kb
    t1=$EPOCHREALTIME
    if ! timeout 1800 "$TIME" -f %M -o "$WORK/$name.rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
        echo "bench: $name failed:" >&2
        tail -n 20 "$WORK/$name.err" >&2
        exit 1
    fi
    secs=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
    kb=$(tail -n 1 "$WORK/$name.rss")
    [ "${RSS[$name]:-0}" -lt "$kb" ] && RSS[$name]=$kb
    if [ -z "${BEST[$name]:-}" ] || awk -v a="$secs" -v b="${BEST[$name]}" 'BEGIN { exit !(a < b) }'; then BEST[$name]=$secs; fi
    echo "bench: $name: ${secs}s, ${kb} kB" >&2
}
for i in $(seq "$RUNS"); do
    rm -f "$WORK/out.parquet"
    timed parquet "$FLOE" parquet write --schema bench/clickstream.schema.json --codec zstd "$IN" "$WORK/out.parquet"
    rm -rf "$WORK/wh"
    "$FLOE" namespace create bench --catalog "$CAT" --warehouse "$WORK/wh" >/dev/null
    "$FLOE" table create bench.clickstream --schema bench/clickstream.schema.json --catalog "$CAT" --warehouse "$WORK/wh" >/dev/null
    timed ingest "$FLOE" ingest --table bench.clickstream --commit-interval-ms 3600000 "$IN" --catalog "$CAT" --warehouse "$WORK/wh"
done
grep -q "^ingested $ROWS records" "$WORK/ingest.out" || { echo "bench: ingest did not commit $ROWS records: $(cat "$WORK/ingest.out")" >&2; exit 1; }
PQ_BYTES=$(stat -c %s "$WORK/out.parquet")
ICE_BYTES=$(find "$WORK/wh" -path '*/data/*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
META_BYTES=$(find "$WORK/wh" -path '*/metadata/*' -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
OVER=$(awk -v a="${BEST[ingest]}" -v b="${BEST[parquet]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
{
    echo "# floe Iceberg benchmarks"
    echo
    echo "$(date -u +%Y-%m-%d), $CPU, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "## Commit cost against history"
    echo
    echo "$COMMITS commits of one 1-record data file each to one unpartitioned table, table properties at"
    echo "floe's defaults (bounded history: docs/tables.md); medians over the 10 commits ending at each count"
    echo "(${COMMIT_SECS}s in all)."
    echo
    cat bench/out/iceberg_commits.md
    echo
    echo "Target: latency and bytes per commit within 2x from 10 to 10,000 commits:" \
        "$(awk '/^ratio/ { gsub(/x,?/, "", $7); gsub(/x,?/, "", $10); print ($7 <= 2 && $10 <= 2) ? "met" : "NOT met" }' bench/out/iceberg_commits.md)" \
        "(CPU time per commit: $(awk '/^ratio/ { gsub(/x/, "", $12); print ($12 <= 2) ? "within 2x" : "NOT within 2x" }' bench/out/iceberg_commits.md))."
    echo
    echo "## Iceberg bookkeeping in ingest"
    echo
    echo "$ROWS events, $IN_BYTES bytes of NDJSON; best of $RUNS runs, peak RSS the largest."
    echo
    echo "| command | seconds | rows/s | Parquet bytes | metadata bytes | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    awk -v s="${BEST[parquet]}" -v r="$ROWS" -v o="$PQ_BYTES" -v k="${RSS[parquet]}" \
        'BEGIN { printf "| floe parquet write (zstd) | %.3f | %.0f | %d | - | %.1f |\n", s, r / s, o, k / 1024 }'
    awk -v s="${BEST[ingest]}" -v r="$ROWS" -v o="$ICE_BYTES" -v m="$META_BYTES" -v k="${RSS[ingest]}" \
        'BEGIN { printf "| floe ingest (one commit) | %.3f | %.0f | %d | %d | %.1f |\n", s, r / s, o, m, k / 1024 }'
    echo
    echo "- Iceberg bookkeeping: ingest takes ${OVER}% longer than parquet write (target < 5%:" \
        "$(awk -v v="$OVER" 'BEGIN { print v < 5 ? "met" : "NOT met" }'))"
} >bench/out/iceberg.md
cat bench/out/iceberg.md
