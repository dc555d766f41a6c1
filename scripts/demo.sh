#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds floe,
# and streams clickstream events into an Iceberg table in ./warehouse with
# the embedded SQLite catalog (./warehouse/catalog.db), committing every
# second as they arrive; then shows what landed and reads some rows back.
#
#   bash scripts/demo.sh [EVENTS]      (default 200000)
#
# Run it again and it appends to the same table.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-200000}
bash scripts/deps.sh
make -j2
FLOE=build/release/floe
TABLE=demo.clickstream

if ! "$FLOE" table describe "$TABLE" >/dev/null 2>&1; then
    "$FLOE" namespace list | grep -qx demo || "$FLOE" namespace create demo
    "$FLOE" table create "$TABLE" --schema examples/clickstream.schema.json \
        --partition-by 'day(ts), bucket(8, id)'
fi

# A deterministic event stream (bench/gen_clickstream.c), piped in the way a
# stream arrives: floe commits every second and once more at the end.
mkdir -p build/demo
cc -O2 -std=c11 -o build/demo/gen_clickstream bench/gen_clickstream.c
echo "== streaming $EVENTS events into $TABLE (a commit every second)"
build/demo/gen_clickstream "$EVENTS" | timeout 600 "$FLOE" ingest --table "$TABLE" --commit-interval-ms 1000 -
echo "== the example file too (every accepted value form, see docs/ndjson.md)"
timeout 60 "$FLOE" ingest --table "$TABLE" examples/clickstream.ndjson

echo "== snapshots"
"$FLOE" table snapshots "$TABLE" | tail -n 5
echo "== files (first 5 of $("$FLOE" table files "$TABLE" | tail -n +2 | wc -l))"
"$FLOE" table files "$TABLE" | head -n 6
echo "== rows where country = 'DE' (first 3)"
"$FLOE" table scan "$TABLE" --where "country = 'DE'" --limit 3
echo "== rows in the table: $("$FLOE" table scan "$TABLE" --columns id | wc -l)"
