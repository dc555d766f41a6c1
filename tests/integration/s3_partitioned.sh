#!/usr/bin/env bash
# s3_partitioned.sh — a PARTITIONED table on an s3:// warehouse, end to end:
# mock-kafka -> `floe run` -> `floe catalog serve` (a SQLite store whose
# warehouse is s3://BUCKET/wh) -> moto_server, then read back by floe and
# DuckDB and maintained with compact, expire and clean.
#
# moto_server runs WITHOUT its IAM checks here.  Moto rebuilds the SigV4
# canonical request from the *decoded* request path, so it refuses any key
# holding '=' (every Hive-style partition directory, ts_hour=.../) with
# SignatureDoesNotMatch, even when boto3 signs it: both boto3 and floe send
# and sign /ts_hour%3D.../ as the AWS spec says.  Signatures are covered by
# s3_io.sh and part 3 of rest_streaming.sh (unpartitioned tables, IAM on);
# this test covers the keys, listings and maintenance of partitioned ones.
#
#   pipeline   a rate-limited clickstream (so that `floe run` commits many
#              times and leaves several small files per partition) into
#              db.events partitioned by 'hour(ts), bucket(4, id), device',
#              created by the pipeline through the REST catalog; the run
#              exits 0 with every record committed and no failed commit;
#   read back  `floe table scan` through REST: every id exactly once;
#              `floe table files` paths are under .../data/ with the
#              partition directories equal to each file's partition tuple;
#              floe's S3 listing of data/ holds exactly the listed files;
#              each file downloaded with floe's S3 IO (s3-io get) and read by
#              DuckDB: every id once, each file's record count, and each
#              row's hour(ts) and device equal its path's directories;
#   compact    `floe compact` rewrites the small files: fewer files, rows
#              read = rows written = N, every id still once, paths still
#              partitioned;
#   expire     a second `floe run` appends a tail of records (the newest
#              progress marker, which expiry always keeps, is then past the
#              compaction); `floe expire --retain-last 1` expires every
#              snapshot but the head and deletes exactly the files
#              compaction replaced; the bucket's data/ then holds exactly
#              the live files; every id once;
#   clean      two orphan objects planted under partition directories go
#              with `floe clean --older-than 1s` (a dry run first lists them
#              and deletes nothing; the only other orphans are old metadata
#              files past the table's 10-entry metadata log), nothing the
#              table reaches goes, ids once; DuckDB over the final files as
#              above.
#
# The table is auto-created with floe.history.retain-last=0 and the run's
# background maintenance is off, so that the snapshots and files are the
# ones the CLI commands under test act on.
#
# MODE=release (default) or asan (fewer records).  Needs mock-kafka, s3-io,
# kcat, jq, curl, node with tests/oracle and moto_server.  Prints
# `ok - name` / `not ok - name: reason` per check and ends with
# `N passed, N failed`.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require
S3IO=$ROOT/build/$MODE/s3-io
HELP=$ROOT/tests/integration/rest_streaming.py
DUCKCHECK=$ROOT/tests/integration/lib/s3_partitioned_duck.mjs
unset FLOE_CATALOG FLOE_WAREHOUSE FLOE_CATALOG_TOKEN FLOE_CATALOG_CREDENTIAL FLOE_CATALOG_WAREHOUSE \
    AWS_SESSION_TOKEN FLOE_S3_ENDPOINT FLOE_S3_REGION FLOE_S3_PATH_STYLE FLOE_S3_MULTIPART_SIZE \
    FLOE_S3_MULTIPART_THRESHOLD FLOE_S3_RETRIES FLOE_S3_LIST_MAX_KEYS AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
# Moto without IAM checks takes any key, but floe signs every request.
export AWS_ACCESS_KEY_ID=AKIAFLOEPARTITIONED AWS_SECRET_ACCESS_KEY=partitioned-secret AWS_REGION=us-east-1

if [ "$MODE" = asan ]; then N=12000 RATE=2000 TAIL=1500; else N=30000 RATE=5000 TAIL=3000; fi
TOTAL=$N # the ids the table holds: 0..TOTAL-1
PARTITION_BY='hour(ts), bucket(4, id), device'
note "MODE=$MODE, $N records at $RATE/s, partition-by '$PARTITION_BY'"

for need in moto_server curl python3; do
    command -v "$need" >/dev/null || { not_ok "setup" "$need is missing"; finish; }
done
[ -x "$S3IO" ] || { not_ok "setup" "$S3IO is missing (make MODE=$MODE)"; finish; }
cp "$S3IO" "$T/bin/s3-io" && S3IO=$T/bin/s3-io

# ---- helpers ---------------------------------------------------------------------------

# floe_cmd NAME ARGS...: floe with the S3 and REST options, stdout in
# $T/NAME.out, stderr in $T/NAME.err, exit code in RC; a sanitizer report
# in its stderr is a failure of its own.
floe_cmd() {
    local name=$1
    shift
    timeout 300 "$FLOE" "${S3G[@]}" "$@" --catalog "$URL" >"$T/$name.out" 2>"$T/$name.err" </dev/null
    RC=$?
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$T/$name.err"; then
        not_ok "$name: no sanitizer report" "$(grep -m1 -E 'ERROR:|runtime error:' "$T/$name.err")"
    fi
}
s3io() { FLOE_S3_ENDPOINT=$EP FLOE_S3_PATH_STYLE=true timeout 120 "$S3IO" "$@"; }

# ids LABEL: `floe table scan` through REST holds ids 0..TOTAL-1 once each.
ids() {
    local name="$1: floe table scan through the REST catalog: ids 0..$((TOTAL - 1)) once each" msg
    floe_cmd scan table scan db.events --columns id
    if [ "$RC" -ne 0 ]; then
        not_ok "$name" "exit $RC: $(head -c 400 "$T/scan.err")"
    elif msg=$(python3 "$HELP" ids "$T/scan.out" 0 "$TOTAL"); then
        ok "$name"
    else
        not_ok "$name" "$msg"
    fi
}

# files LABEL: `floe table files --json` into $T/LABEL.files ("URI RECORDS"
# lines); checks every path is a data file of the table under the partition
# directories of its own partition tuple.  Sets NFILES (0 on failure).
files() {
    local label=$1 bad
    NFILES=0
    floe_cmd files table files db.events --json
    if [ "$RC" -ne 0 ]; then
        not_ok "$label: floe table files" "exit $RC: $(head -c 400 "$T/files.err")"
        return
    fi
    # The path a file should have: .../data/ts_hour=YYYY-MM-DD-HH/id_bucket=B/device=D/
    # (hour(ts) is kept as hours since the epoch, shown as a date-hour).
    jq -r --arg wh "$WH" '.[] | (.partition as $p |
            "\($wh)/db/events/data/ts_hour=\($p.ts_hour * 3600 | strftime("%Y-%m-%d-%H"))/id_bucket=\($p.id_bucket)/device=\($p.device)/") as $dir |
        if .content == 0 and (.["file-path"] | startswith($dir)) then "\(.["file-path"]) \(.["record-count"])"
        else "BAD \(.["file-path"]) content \(.content) partition \(.partition | tojson) (expected under \($dir))" end' \
        "$T/files.out" >"$T/$label.files" 2>"$T/jq.err"
    bad=$(grep -m1 '^BAD ' "$T/$label.files")
    if [ ! -s "$T/$label.files" ] || [ -n "$bad" ] || [ -s "$T/jq.err" ]; then
        not_ok "$label: every data file's path holds its partition directories (ts_hour=/id_bucket=/device=)" \
            "${bad:-$(head -c 300 "$T/jq.err") $(head -c 300 "$T/files.out")}"
        return
    fi
    NFILES=$(wc -l <"$T/$label.files")
    ok "$label: floe table files lists $NFILES data files, each under its partition directories (e.g. ${WH}/db/events/data/$(head -1 "$T/$label.files" | sed 's|.*/data/||; s|/[^/]*$||'))"
}

# in_bucket LABEL: floe's S3 listing of the table's data/ prefix holds every
# file of $T/LABEL.files (and, when $2 is "exactly", nothing else).
in_bucket() {
    local label=$1 how=${2:-}
    if ! s3io ls "$WH/db/events/data/" >"$T/ls.out" 2>"$T/ls.err"; then
        not_ok "$label: floe lists the data files in the bucket" "$(head -c 300 "$T/ls.err")"
        return
    fi
    sed 's/^[0-9]* //' "$T/ls.out" | sort >"$T/ls.keys"
    cut -d' ' -f1 "$T/$label.files" | sort >"$T/ls.want"
    local missing extra
    missing=$(comm -13 "$T/ls.keys" "$T/ls.want" | wc -l)
    extra=$(comm -23 "$T/ls.keys" "$T/ls.want" | wc -l)
    if [ "$missing" -eq 0 ] && { [ "$how" != exactly ] || [ "$extra" -eq 0 ]; }; then
        ok "$label: the bucket holds every listed data file under its '=' key${how:+ and nothing else} ($(wc -l <"$T/ls.keys") objects under data/)"
    else
        not_ok "$label: the bucket holds the listed data files" \
            "$missing missing (e.g. $(comm -13 "$T/ls.keys" "$T/ls.want" | head -1)), $extra extra (e.g. $(comm -23 "$T/ls.keys" "$T/ls.want" | head -1))"
    fi
}

# duck LABEL: downloads the files of $T/LABEL.files with s3-io and runs the
# DuckDB check on them.
duck() {
    local label=$1 i=0 uri recs failed= out last p f
    rm -rf "$T/dl" && mkdir -p "$T/dl"
    : >"$T/dl.list"
    while read -r uri recs; do
        i=$((i + 1))
        if ! s3io get "$uri" >"$T/dl/$i.parquet" 2>"$T/dl.err"; then
            failed="$uri: $(head -c 300 "$T/dl.err")"
            break
        fi
        echo "$T/dl/$i.parquet $recs $uri" >>"$T/dl.list"
    done <"$T/$label.files"
    if [ -n "$failed" ]; then
        not_ok "$label: floe's S3 IO downloads every listed data file" "$failed"
        return
    fi
    ok "$label: floe's S3 IO downloads the $i listed data files ($(du -sk "$T/dl" | cut -f1) KiB)"
    out=$(cd "$ROOT/tests/oracle" && timeout 300 node "$DUCKCHECK" "$T/dl.list" 0 "$TOTAL" "$label" 2>&1)
    last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
    if [ -z "$last" ]; then
        not_ok "$label: DuckDB check" "no result line: $(echo "$out" | tail -n 5)"
    else
        p=${last%% passed*} f=${last#*passed, }
        PASS=$((PASS + p)) FAIL=$((FAIL + ${f%% failed*}))
    fi
}

# ---- moto, the bucket, the REST catalog ------------------------------------------------
t0=$(now_ms)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$PORT" >"$T/moto.log" 2>&1 &
KPIDS+=($!)
EP=http://127.0.0.1:$PORT
BUCKET=floe-partitioned
WH=s3://$BUCKET/wh
S3G=(--s3-endpoint "$EP" --s3-path-style)
wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
code=$(curl -sS --max-time 20 -o "$T/mkbucket.out" -w '%{http_code}' -X PUT "$EP/$BUCKET" 2>&1)
if [ "$code" != 200 ]; then
    not_ok "moto_server starts and the bucket is created" "HTTP $code $(head -c 300 "$T/mkbucket.out") $(tail -c 300 "$T/moto.log")"
    finish
fi
ok "moto_server (no IAM checks) at $EP, bucket $BUCKET"

serve serve "${S3G[@]}" catalog serve --catalog "sqlite:$T/catalog.db" --warehouse "$WH"
if [ -z "$URL" ]; then
    not_ok "floe catalog serve over $WH starts" "$(log_tail "$T/serve.slog")"
    finish
fi
ok "floe catalog serve over $WH listens at $URL"

# ---- pipeline ---------------------------------------------------------------------------
start_mock --partitions 16 --topic events --produce "$N" --rate "$RATE"
{
    echo "name=s3part"
    echo "topics=events"
    echo "iceberg.tables=db.events"
    echo "iceberg.tables.auto-create-enabled=true"
    echo "iceberg.table.db.events.partition-by=$PARTITION_BY"
    echo "iceberg.tables.auto-create-props.floe.history.retain-last=0"
    echo "floe.maintenance.enabled=false"
    echo "iceberg.catalog.type=rest"
    echo "iceberg.catalog.uri=$URL"
    echo "iceberg.catalog.s3.endpoint=$EP"
    echo "iceberg.catalog.s3.path-style-access=true"
    echo "bootstrap.servers=$BOOT"
    echo "floe.commit.interval-ms=500"
    echo "floe.metrics.listen=off"
    echo "kafka.session.timeout.ms=4000"
    echo "kafka.heartbeat.interval.ms=300"
    echo "kafka.fetch.wait.max.ms=50"
} >"$T/run.properties"
t1=$(now_ms)
start_floe run "$T/run.properties" --stop-when-idle 3000 --stats "$T/run.json"
wait_exit "$FPID" $((N / RATE + 120))
check "pipeline: floe run --stop-when-idle through REST onto S3 exits 0 ($N records)" "$RC" "exit $RC: $(log_tail "$T/run.log")"
note "pipeline: floe run took $(($(now_ms) - t1)) ms"
wait_for 10 produced "$N"
check "pipeline: mock-kafka produced $N records" $? "$(tail -c 300 "$T/mock.out")"
fails=$(figure "$T/run.json" commit_failures)
committed=$(figure "$T/run.json" records_committed)
commits=$(figure "$T/run.json" commits)
check "pipeline: stats: records_committed $N, commit_failures 0 ($commits commits, $(figure "$T/run.json" files) files)" \
    "$([ "$fails" = 0 ] && [ "$committed" = "$N" ]; echo $?)" "$(head -c 500 "$T/run.json")"
no_sanitizer_reports "pipeline: no sanitizer report in floe run's log" "$T/run.log"

floe_cmd describe table describe db.events
if [ "$RC" -eq 0 ] && grep -q 'ts_hour = hour(ts)' "$T/describe.out" && grep -q 'id_bucket = bucket\[4\](id)' "$T/describe.out" &&
    grep -q 'device = identity(device)' "$T/describe.out" && grep -q "^location: *$WH/db/events\$" "$T/describe.out"; then
    ok "pipeline: the table was created at $WH/db/events partitioned by $PARTITION_BY"
else
    not_ok "pipeline: the table's location and partition spec" "exit $RC: $(head -c 600 "$T/describe.out") $(head -c 300 "$T/describe.err")"
fi

# ---- read back ---------------------------------------------------------------------------
ids "read back"
files run
FILES_RUN=$NFILES
if [ "$FILES_RUN" -gt 0 ]; then
    in_bucket run exactly
    duck run
    # Compaction needs partitions with several small files.
    most=$(sed 's|/[^/]*$||' "$T/run.files" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}')
    check "pipeline: $commits commits left several files per partition (up to $most)" \
        "$([ "${most:-0}" -ge 2 ]; echo $?)" "at most ${most:-0} a partition: nothing to compact"
fi

# ---- compact ------------------------------------------------------------------------------
floe_cmd compact compact db.events --min-files 2 --json
check "compact: floe compact on the partitioned s3:// table exits 0" "$RC" "exit $RC: $(head -c 400 "$T/compact.err")"
rewritten=$(jq -r '."files-rewritten" // 0' "$T/compact.out" 2>/dev/null)
written=$(jq -r '."files-written" // 0' "$T/compact.out" 2>/dev/null)
rows_in=$(jq -r '."rows-read" // 0' "$T/compact.out" 2>/dev/null)
rows_out=$(jq -r '."rows-written" // 0' "$T/compact.out" 2>/dev/null)
check "compact: $rewritten files rewritten into $written, rows read = rows written ($rows_out)" \
    "$([ "${rewritten:-0}" -gt "${written:-0}" ] && [ "${written:-0}" -gt 0 ] && [ "$rows_in" = "$rows_out" ] && [ "${rows_out:-0}" -gt 0 ]; echo $?)" \
    "$(head -c 500 "$T/compact.out")"
ids "compact"
files compact
check "compact: the file count went down ($FILES_RUN -> $NFILES)" \
    "$([ "$NFILES" -gt 0 ] && [ "$NFILES" -lt "$FILES_RUN" ]; echo $?)" "$FILES_RUN -> $NFILES"
[ "$NFILES" -gt 0 ] && in_bucket compact

# ---- expire -------------------------------------------------------------------------------
# A tail of records through a second run of the same group: its append
# carries the newest progress marker.
mock_cmd "produce $TAIL"
start_floe tail "$T/run.properties" --stop-when-idle 3000 --stats "$T/tail.json"
wait_exit "$FPID" $((TAIL / RATE + 120))
check "expire: a second floe run appends a tail of $TAIL records (exit 0)" \
    "$([ "$RC" -eq 0 ] && [ "$(figure "$T/tail.json" records_committed)" = "$TAIL" ]; echo $?)" \
    "exit $RC: $(head -c 300 "$T/tail.json") $(log_tail "$T/tail.log")"
no_sanitizer_reports "expire: no sanitizer report in the second floe run's log" "$T/tail.log"
TOTAL=$((N + TAIL))
files tail
LIVE_BEFORE=$NFILES
snapshots() { # NSNAP: the number of snapshots of db.events
    floe_cmd snapshots table snapshots db.events
    NSNAP=$(grep -cE '^[* ] +[0-9]+ ' "$T/snapshots.out")
}
snapshots
SNAPS_BEFORE=$NSNAP
floe_cmd expire expire db.events --retain-last 1 --json
check "expire: floe expire --retain-last 1 exits 0" "$RC" "exit $RC: $(head -c 400 "$T/expire.err")"
nexp=$(jq -r '."expired-snapshot-ids" | length' "$T/expire.out" 2>/dev/null)
ddel=$(jq -r '."deleted-data-files"' "$T/expire.out" 2>/dev/null)
dfail=$(jq -r '."delete-failures"' "$T/expire.out" 2>/dev/null)
cerr=$(jq -r '."cleanup-error"' "$T/expire.out" 2>/dev/null)
snapshots
SNAPS_AFTER=$NSNAP
check "expire: $nexp of $SNAPS_BEFORE snapshots expired, $SNAPS_AFTER left; $(jq -r '."deleted-manifest-lists"' "$T/expire.out" 2>/dev/null) manifest lists and $(jq -r '."deleted-manifests"' "$T/expire.out" 2>/dev/null) manifests deleted, no failure" \
    "$([ "${nexp:-0}" -gt 0 ] && [ "$SNAPS_AFTER" = 1 ] && [ "$((nexp + 1))" = "$SNAPS_BEFORE" ] && [ "$dfail" = 0 ] && [ "$cerr" = null ]; echo $?)" \
    "$SNAPS_BEFORE -> $SNAPS_AFTER snapshots: $(head -c 600 "$T/expire.out")"
check "expire: deleted exactly the $rewritten data files compaction replaced ($ddel)" \
    "$([ "$ddel" = "$rewritten" ]; echo $?)" "$(head -c 600 "$T/expire.out")"
ids "expire"
files expire
check "expire: the live files are the same ($LIVE_BEFORE)" "$([ "$NFILES" = "$LIVE_BEFORE" ]; echo $?)" "$LIVE_BEFORE -> $NFILES"
[ "$NFILES" -gt 0 ] && in_bucket expire exactly

# ---- clean --------------------------------------------------------------------------------
# Two orphans under partition directories: one beside live files, one in a
# partition no file of the table has.
first_dir=$(head -1 "$T/expire.files" | sed 's|/[^/]*$||')
ORPHANS=("$first_dir/orphan-00000.parquet" "$WH/db/events/data/ts_hour=2000-01-01-00/id_bucket=9/device=nowhere/orphan-00001.parquet")
head -c 1000 /dev/urandom >"$T/junk"
for o in "${ORPHANS[@]}"; do s3io put "$o" "$T/junk" 2>>"$T/plant.err" || not_ok "clean: plant $o" "$(cat "$T/plant.err")"; done
sleep 2.2
floe_cmd clean_dry clean db.events --older-than 1s --dry-run --json
# Besides the planted ones, only metadata files the table's metadata log
# (write.metadata.previous-versions-max, 10 on tables floe creates) no
# longer names may be orphans; never the current one.
floe_cmd describe table describe db.events
CUR=$(sed -n 's/^metadata: *//p' "$T/describe.out")
jq -r '.paths[]' "$T/clean_dry.out" 2>/dev/null | sort >"$T/orphans"
want=$(printf '%s\n' "${ORPHANS[@]}" | sort)
planted=$(grep -cF -f <(printf '%s\n' "${ORPHANS[@]}") "$T/orphans")
others=$(grep -vF -f <(printf '%s\n' "${ORPHANS[@]}") "$T/orphans")
badother=$(echo "$others" | grep -v "^$WH/db/events/metadata/[0-9]*-[0-9a-f-]*\.metadata\.json\$" | grep -v '^$' | head -1)
NORPH=$(wc -l <"$T/orphans")
check "clean: --dry-run exits 0 and names the 2 planted orphans and $((NORPH - 2)) old metadata files, not the current one" \
    "$([ "$RC" -eq 0 ] && [ "$planted" = 2 ] && [ -z "$badother" ] && [ -n "$CUR" ] && ! grep -qxF "$CUR" "$T/orphans"; echo $?)" \
    "exit $RC, current '$CUR', unexpected '$badother': $(head -c 600 "$T/clean_dry.out") $(head -c 300 "$T/clean_dry.err")"
gone=0
for o in "${ORPHANS[@]}"; do s3io size "$o" >/dev/null 2>&1 || gone=$((gone + 1)); done
check "clean: --dry-run deleted nothing" "$gone" "$gone of the orphans are gone"
floe_cmd clean clean db.events --older-than 1s --json
orphans=$(jq -r '.orphans' "$T/clean.out" 2>/dev/null)
check "clean: floe clean --older-than 1s exits 0 and deletes those $NORPH orphans ($(jq -r '."files-listed"' "$T/clean.out" 2>/dev/null) files listed, $(jq -r '."files-referenced"' "$T/clean.out" 2>/dev/null) referenced)" \
    "$([ "$RC" -eq 0 ] && [ "$orphans" = "$NORPH" ] && cmp -s "$T/orphans" <(jq -r '.paths[]' "$T/clean.out" | sort); echo $?)" "exit $RC: $(head -c 600 "$T/clean.out") $(head -c 300 "$T/clean.err")"
left=0
for o in "${ORPHANS[@]}"; do s3io size "$o" >/dev/null 2>&1 && left=$((left + 1)); done
check "clean: the planted orphans are gone from the bucket" "$left" "$left of them are still there"
ids "clean"
files clean
if [ "$NFILES" -gt 0 ]; then
    in_bucket clean exactly
    duck clean
fi

# ---- the end ------------------------------------------------------------------------------
exec 9>&-
kill -TERM "$SPID" 2>/dev/null
wait_exit "$SPID" 40
check "floe catalog serve stops on SIGTERM (exit 0)" "$RC" "exit $RC: $(log_tail "$T/serve.slog")"
no_sanitizer_reports "no sanitizer report in the server's log" "$T/serve.slog"
note "took $(($(now_ms) - t0)) ms"
finish
