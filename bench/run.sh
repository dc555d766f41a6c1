#!/usr/bin/env bash
# floe's ingest benchmark: NDJSON clickstream events to zstd Parquet, next to
# two peers measured in the same run on the same input:
#   floe     floe parquet write --schema bench/clickstream.schema.json (zstd)
#   duckdb   DuckDB on one thread: COPY (SELECT * FROM read_json_auto(IN))
#            TO OUT (FORMAT parquet, COMPRESSION zstd), timed inside Node.js
#   zstd -1  zstd -1 -T1 of the same input: the cost of merely compressing it
# Each runs 3 times; the best wall time counts, and the peak resident set
# (GNU time's "Maximum resident set size") is the largest of the runs.
# DuckDB's RSS is the Node.js process's, so it includes Node.js itself.
#   usage: bash bench/run.sh [ROWS]        (default 1000000, about 143 MB)
# Input is generated once into bench/data/ by bench/gen_clickstream.c; the
# table goes to bench/out/latest.md and to standard output, followed by the
# Iceberg benchmarks of bench/iceberg.sh on the same input (COMMITS commits,
# default 10000; ICEBERG=0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
RUNS=${RUNS:-3}
case "$ROWS" in ''|*[!0-9]*) echo "bench: ROWS must be a number" >&2; exit 2 ;; esac

FLOE=${FLOE:-build/release/floe}
[ -x "$FLOE" ] || make -j2 MODE=release build/release/floe
mkdir -p bench/data bench/out
cc -O2 -std=c11 -Wall -Wextra -Werror -o bench/data/gen_clickstream bench/gen_clickstream.c
IN=bench/data/clickstream-$ROWS.ndjson
if [ ! -s "$IN" ]; then
    echo "bench: generating $ROWS events into $IN"
    bench/data/gen_clickstream "$ROWS" >"$IN.tmp"
    mv "$IN.tmp" "$IN"
fi
IN_BYTES=$(stat -c %s "$IN")
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time (/usr/bin/time) is missing: bash scripts/deps.sh" >&2; exit 1; }

declare -A BEST RSS OUT_BYTES
# measure NAME OUTFILE CMD...: runs CMD $RUNS times under GNU time.  The
# seconds are the wall time, unless CMD prints "copy_seconds S" (DuckDB).
measure() {
    local name=$1 out=$2; shift 2
    local best="" peak=0 i
    for i in $(seq "$RUNS"); do
        rm -f "$out"
        local log=bench/out/$name.time stdout=bench/out/$name.stdout
        local t0=$EPOCHREALTIME
        if ! timeout 900 "$TIME" -v -o "$log" "$@" >"$stdout" 2>bench/out/$name.stderr; then
            echo "bench: $name failed (run $i):" >&2
            tail -n 20 bench/out/$name.stderr >&2
            exit 1
        fi
        local t1=$EPOCHREALTIME
        local secs
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        if grep -q '^copy_seconds ' "$stdout"; then secs=$(awk '/^copy_seconds /{ print $2 }' "$stdout"); fi
        local kb
        kb=$(awk -F': ' '/Maximum resident set size/{ print $2 }' "$log")
        [ "$kb" -gt "$peak" ] && peak=$kb
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$secs; fi
        echo "bench: $name run $i: ${secs}s, ${kb} kB"
    done
    BEST[$name]=$best
    RSS[$name]=$peak
    OUT_BYTES[$name]=$(stat -c %s "$out")
}

measure floe bench/out/floe.parquet \
    "$FLOE" parquet write --schema bench/clickstream.schema.json --codec zstd "$IN" bench/out/floe.parquet
measure duckdb bench/out/duckdb.parquet node bench/duckdb_copy.mjs "$IN" bench/out/duckdb.parquet
measure zstd1 bench/out/zstd1.zst zstd -1 -T1 -q -f "$IN" -o bench/out/zstd1.zst

# floe's file must hold every event.
got=$("$FLOE" parquet meta bench/out/floe.parquet | awk '/^num_rows:/{ print $2 }')
if [ "$got" != "$ROWS" ]; then echo "bench: floe's file has $got rows, expected $ROWS" >&2; exit 1; fi

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
NCPU=$(nproc)
row() { # name label
    awk -v n="$2" -v s="${BEST[$1]}" -v b="$IN_BYTES" -v r="$ROWS" -v o="${OUT_BYTES[$1]}" -v k="${RSS[$1]}" \
        'BEGIN { printf "| %s | %.3f | %.1f | %.0f | %d | %.1f |\n", n, s, b / 1e6 / s, r / s, o, k / 1024 }'
}
ratio() { awk -v a="${BEST[$2]}" -v b="${BEST[$1]}" 'BEGIN { printf "%.2f", a / b }'; }
R_DUCK=$(ratio floe duckdb)
R_ZSTD=$(ratio floe zstd1)
FLOE_MB=$(awk -v k="${RSS[floe]}" 'BEGIN { printf "%.1f", k / 1024 }')
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = dir == "ge" ? v >= t : v < t; print ok ? "met" : "NOT met" }'; }
{
    echo "# floe ingest benchmark"
    echo
    echo "$(date -u +%Y-%m-%d), $CPU, $NCPU cores; input: $ROWS clickstream events, $IN_BYTES bytes of NDJSON"
    echo "(bench/gen_clickstream.c); best of $RUNS runs; peak RSS is the largest of the runs."
    echo
    echo "| tool | seconds | MB/s of input | rows/s | output bytes | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    row floe "floe parquet write (zstd)"
    row duckdb "DuckDB 1 thread, COPY read_json_auto to Parquet zstd (RSS includes Node.js)"
    row zstd1 "zstd -1 -T1 (compression only)"
    echo
    echo "- floe vs DuckDB: ${R_DUCK}x DuckDB's rate (target >= 3x: $(verdict "$R_DUCK" 3 ge))"
    echo "- floe vs zstd -1: ${R_ZSTD}x zstd -1's rate (target >= 1x: $(verdict "$R_ZSTD" 1 ge))"
    echo "- floe peak RSS: ${FLOE_MB} MB (target < 64 MB: $(verdict "$FLOE_MB" 64 lt))"
} >bench/out/latest.md
# The Iceberg benchmarks (commit cost, ingest bookkeeping) on the same input;
# ICEBERG=0 leaves them out (the 10,000-commit run takes most of an hour).
if [ "${ICEBERG:-1}" != 0 ]; then
    bash bench/iceberg.sh "$IN" >/dev/null
    { echo; cat bench/out/iceberg.md; } >>bench/out/latest.md
fi
cat bench/out/latest.md
