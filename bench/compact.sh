#!/usr/bin/env bash
# floe's compaction benchmark, one command:
#
#   bash bench/compact.sh [ROWS]          (default 1000000)
#
# The bench clickstream (bench/gen_clickstream.c, ROWS events) is ingested
# into an unpartitioned table with bench/clickstream.schema.json as COMMITS
# small commits (default 200: `floe ingest` of COMMITS slices of the input,
# not timed), so the table holds COMMITS small data files.  Then, timed
# under GNU time (wall seconds, peak RSS), RUNS times each (default 3,
# alternating; best time, largest RSS):
#   - floe compact       the table, restored to its 200-file state before
#                        each run (one group: every file into one);
#   - floe table scan    of the same 200-file table to /dev/null: the read
#                        cost (deletes none, rows rendered as NDJSON);
#   - floe parquet write of the same NDJSON input with the same schema
#                        (zstd): the write cost.
# The issue's yardstick: compaction should cost little more than one read
# plus one write.  Input MB/s is the compacted Parquet input per second on
# one core (floe compacts on one thread).
# Writes bench/out/compact.md and prints it (progress on standard error).
# Environment: COMMITS, RUNS, FLOE (default build/release/floe).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
COMMITS=${COMMITS:-200}
RUNS=${RUNS:-3}
FLOE=${FLOE:-build/release/floe}
case "$ROWS$COMMITS$RUNS" in *[!0-9]*) echo "bench: ROWS, COMMITS and RUNS must be numbers" >&2; exit 2 ;; esac
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time (/usr/bin/time) is missing: bash scripts/deps.sh" >&2; exit 1; }
[ -x "$FLOE" ] || make -j2 MODE=release build/release/floe >/dev/null

mkdir -p bench/data bench/out
IN=bench/data/clickstream-$ROWS.ndjson
if [ ! -s "$IN" ]; then
    cc -O2 -std=c11 -Wall -Wextra -Werror -o bench/data/gen_clickstream bench/gen_clickstream.c
    bench/data/gen_clickstream "$ROWS" >"$IN.tmp"
    mv "$IN.tmp" "$IN"
fi
IN_BYTES=$(stat -c %s "$IN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-compact.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CAT="sqlite:$WORK/wh/catalog.db"
cat_args=(--catalog "$CAT" --warehouse "$WORK/wh")

# ---- the table of small files ---------------------------------------------------------
echo "bench: ingesting $ROWS events as $COMMITS commits" >&2
"$FLOE" namespace create bench "${cat_args[@]}" >/dev/null
# Bounded history off: the 200-file state must stay as it is.
"$FLOE" table create bench.clicks --schema bench/clickstream.schema.json \
    --property floe.history.retain-last=0 "${cat_args[@]}" >/dev/null
mkdir -p "$WORK/slices"
split -n "l/$COMMITS" -d -a 5 "$IN" "$WORK/slices/s"
for f in "$WORK"/slices/s*; do
    "$FLOE" ingest --table bench.clicks --commit-interval-ms 3600000 "$f" "${cat_args[@]}" >/dev/null
done
rm -rf "$WORK/slices"
FILES=$("$FLOE" table files bench.clicks --json "${cat_args[@]}" | grep -o '"file-path"' | wc -l)
SMALL_BYTES=$(find "$WORK/wh" -path '*/data/*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
cp -a "$WORK/wh" "$WORK/wh.small"
echo "bench: $FILES data files, $SMALL_BYTES bytes" >&2

declare -A BEST RSS
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
    rm -rf "$WORK/wh"
    cp -a "$WORK/wh.small" "$WORK/wh"
    timed scan "$FLOE" table scan bench.clicks --catalog "$CAT" --warehouse "$WORK/wh"
    timed compact "$FLOE" compact bench.clicks --json --catalog "$CAT" --warehouse "$WORK/wh"
    rm -f "$WORK/out.parquet"
    timed parquet "$FLOE" parquet write --schema bench/clickstream.schema.json --codec zstd "$IN" "$WORK/out.parquet"
done
RESULT=$(cat "$WORK/compact.out")
field() { echo "$RESULT" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
READ=$(field bytes-read)
WRITTEN=$(field bytes-written)
[ "$(field rows-written)" = "$ROWS" ] || { echo "bench: compaction wrote $(field rows-written) rows, not $ROWS: $RESULT" >&2; exit 1; }
[ "$(field files-rewritten)" = "$FILES" ] || { echo "bench: compaction rewrote $(field files-rewritten) of $FILES files" >&2; exit 1; }
AFTER=$("$FLOE" table files bench.clicks --json "${cat_args[@]}" | grep -o '"file-path"' | wc -l)
PQ_BYTES=$(stat -c %s "$WORK/out.parquet")

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
{
    echo "# floe compaction benchmark"
    echo
    echo "$(date -u +%Y-%m-%d), $CPU, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "$ROWS events ($IN_BYTES bytes of NDJSON) ingested as $COMMITS commits: $FILES data files," \
        "$SMALL_BYTES bytes; compacted into $AFTER file(s), $WRITTEN bytes. Best of $RUNS runs; peak RSS the largest."
    echo
    echo "| command | seconds | input MB/s | rows/s | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|"
    awk -v s="${BEST[compact]}" -v b="$READ" -v r="$ROWS" -v k="${RSS[compact]}" \
        'BEGIN { printf "| floe compact (%s small files -> 1) | %.3f | %.1f | %.0f | %.1f |\n", '"$FILES"', s, b / s / 1e6, r / s, k / 1024 }'
    awk -v s="${BEST[scan]}" -v b="$READ" -v r="$ROWS" -v k="${RSS[scan]}" \
        'BEGIN { printf "| floe table scan (the same table, read only) | %.3f | %.1f | %.0f | %.1f |\n", s, b / s / 1e6, r / s, k / 1024 }'
    awk -v s="${BEST[parquet]}" -v r="$ROWS" -v k="${RSS[parquet]}" -v o="$PQ_BYTES" \
        'BEGIN { printf "| floe parquet write (the NDJSON, zstd; %d bytes out) | %.3f | - | %.0f | %.1f |\n", o, s, r / s, k / 1024 }'
    echo
    awk -v c="${BEST[compact]}" -v s="${BEST[scan]}" -v p="${BEST[parquet]}" \
        'BEGIN { printf "- compaction / (scan + parquet write) = %.2f\n", c / (s + p) }'
} >bench/out/compact.md
cat bench/out/compact.md
