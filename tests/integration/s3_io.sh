#!/usr/bin/env bash
# s3_io.sh — floe's S3 file IO against moto with SigV4 checks on: moto
# starts with INITIAL_NO_AUTH_ACTION_COUNT=4, so the IAM user, its key and
# policy and the bucket are made unsigned (s3_io.py setup) and every
# request after that must carry a valid signature.
#
#   auth        a wrong secret key is refused with a clear error that names
#               the URI and S3's code and never shows the secret; a closed
#               endpoint fails quickly with the URI named;
#   tables      every floe command on an s3:// warehouse (path-style, via
#               --s3-endpoint/--s3-path-style and the AWS_* variables):
#               namespace and table create, ingest of ~15 MB of NDJSON with
#               the multipart threshold lowered (the data file's ETag shows
#               its parts), scan equal to the input, files listing s3://
#               paths, snapshots; DuckDB reads the Parquet files (downloaded
#               with boto3); an s3a:// warehouse; drop --purge leaves no
#               object of the table;
#   io          exclusive create of an existing key fails with EEXISTS and
#               keeps the first bytes; ranged reads and sizes equal boto3's
#               bytes; a streamed 40 MiB object keeps this process's memory
#               far below its size and reads back identical; an aborted
#               multipart stream leaves neither object nor upload; listing
#               with continuation tokens (2 keys a page) sees every key;
#               credentials from properties;
#   retries     503 SlowDown answers are retried with backoff and then
#               succeed; with retries exhausted the error names the code.
#
# Needs moto_server and python3 with boto3 (the pyenv python 3.11 has both)
# and node with tests/oracle.  Uses $FLOE, else build/${MODE:-release}/floe,
# and s3-io beside it.  Prints `ok - name` or `not ok - name: reason` per
# check and ends with `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
FLOE=${FLOE:-build/${MODE:-release}/floe}
case "$FLOE" in /*) ;; *) FLOE=$ROOT/$FLOE ;; esac
S3IO=$(dirname "$FLOE")/s3-io
HELPER=$ROOT/tests/integration/s3_io.py
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-s3.XXXXXX")
MOTO_PID=
FLAKY_PID=
cleanup() {
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
    [ -n "$FLAKY_PID" ] && kill "$FLAKY_PID" 2>/dev/null && wait "$FLAKY_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit $?; }

# A python with boto3 (moto_server runs on the same one).
PY=
for p in python3.11 python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import boto3' 2>/dev/null; then PY=$p; break; fi
done
for need in "$FLOE" "$S3IO"; do
    [ -x "$need" ] || { not_ok "prerequisites" "$need is missing; build it first (make)"; finish; }
done
command -v moto_server >/dev/null || { not_ok "prerequisites" "moto_server is not installed"; finish; }
[ -n "$PY" ] || { not_ok "prerequisites" "no python3 with boto3"; finish; }

sanitizer() { grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$T/err"; }
# run ARGS...: floe with stdout in $T/out, stderr in $T/err, exit code in $RC.
run() {
    "$FLOE" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
io() {
    "$S3IO" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
expect_rc() {
    if sanitizer; then not_ok "$1" "sanitizer: $(grep -m1 -E 'ERROR:|runtime error:' "$T/err")"
    elif [ "$RC" -eq "$2" ]; then ok "$1"
    else not_ok "$1" "exit $RC, expected $2; stderr: $(head -c 600 "$T/err")"; fi
}
expect_err() {
    if grep -qF -- "$2" "$T/err"; then ok "$1"; else not_ok "$1" "stderr lacks '$2'; got: $(head -c 600 "$T/err")"; fi
}

# ---- moto with authentication ------------------------------------------------
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
INITIAL_NO_AUTH_ACTION_COUNT=4 moto_server -H 127.0.0.1 -p "$PORT" >"$T/moto.log" 2>&1 &
MOTO_PID=$!
export S3_ENDPOINT=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
BUCKET=floe-test
if ! KEYS=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PY" "$HELPER" setup "$S3_ENDPOINT" "$BUCKET" 2>"$T/err"); then
    not_ok "moto setup" "$(tail -c 600 "$T/err") $(tail -c 400 "$T/moto.log")"
    finish
fi
read -r AK SK <<<"$KEYS"
ok "moto setup: IAM user, access key, policy, bucket"
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN FLOE_S3_ENDPOINT FLOE_S3_REGION FLOE_S3_PATH_STYLE FLOE_S3_MULTIPART_SIZE \
    FLOE_S3_MULTIPART_THRESHOLD FLOE_S3_RETRIES FLOE_S3_LIST_MAX_KEYS AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

WH=s3://$BUCKET/wh
CAT=sqlite:$T/catalog.db
G=(--s3-endpoint "$S3_ENDPOINT" --s3-path-style --catalog "$CAT" --warehouse "$WH")

# ---- auth ---------------------------------------------------------------------
(cd "$T" && "$FLOE" namespace list --warehouse "$WH" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "an s3:// warehouse without --catalog is refused" 1
expect_err "an s3:// warehouse without --catalog: says why" "is not local: name the catalog"
if [ -e "$T/s3:" ]; then not_ok "no local directory named after the URI" "$T/s3: exists"; else ok "no local directory named after the URI"; fi
run namespace create db "${G[@]}" --s3-path-style=maybe
expect_rc "--s3-path-style=maybe is refused" 1
expect_err "--s3-path-style=maybe: names the setting" "s3.path-style-access"
run namespace create db "${G[@]}"
expect_rc "namespace create with an s3:// warehouse" 0
BAD=WrongSecretKey0123456789abcdefXYZ
AWS_SECRET_ACCESS_KEY=$BAD run "${G[@]}" table create db.denied --schema "$T/none.json"
printf '{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"},{"id":2,"name":"payload","required":false,"type":"string"},{"id":3,"name":"x","required":false,"type":"double"}]}' >"$T/schema.json"
AWS_SECRET_ACCESS_KEY=$BAD run "${G[@]}" table create db.denied --schema "$T/schema.json"
expect_rc "wrong secret key: table create fails" 1
expect_err "wrong secret key: S3's code is named" "SignatureDoesNotMatch"
expect_err "wrong secret key: the URI is named" "$WH/db/denied/metadata/"
if grep -qF "$BAD" "$T/err"; then not_ok "wrong secret key: the secret stays out of the message" "$(cat "$T/err")"
else ok "wrong secret key: the secret stays out of the message"; fi
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY000000 run "${G[@]}" table create db.denied --schema "$T/schema.json"
expect_rc "unknown access key: refused" 1
expect_err "unknown access key: S3's code is named" "InvalidAccessKeyId"
START=$SECONDS
FLOE_S3_RETRIES=2 run --s3-endpoint http://127.0.0.1:1 --s3-path-style --catalog "$CAT" --warehouse "$WH" \
    table create db.denied --schema "$T/schema.json"
expect_rc "closed endpoint: fails" 1
expect_err "closed endpoint: the URI is named" "$WH/db/denied/metadata/"
if [ $((SECONDS - START)) -le 10 ]; then ok "closed endpoint: gives up within 10 s"
else not_ok "closed endpoint: gives up within 10 s" "took $((SECONDS - START)) s"; fi
run "${G[@]}" table list db
if [ "$RC" -eq 0 ] && ! grep -q denied "$T/out"; then ok "refused creates left no table"
else not_ok "refused creates left no table" "rc $RC: $(cat "$T/out" "$T/err")"; fi

# ---- tables -----------------------------------------------------------------------
run "${G[@]}" table create db.big --schema "$T/schema.json"
expect_rc "table create on s3://" 0
"$PY" "$HELPER" gen-ndjson "$T/big.ndjson" 60000
FLOE_S3_MULTIPART_SIZE=5MiB FLOE_S3_MULTIPART_THRESHOLD=5MiB run "${G[@]}" ingest --table db.big "$T/big.ndjson"
expect_rc "ingest $(($(stat -c %s "$T/big.ndjson") >> 20)) MiB of NDJSON into s3://" 0
run "${G[@]}" table files db.big --json
expect_rc "table files" 0
"$PY" -c 'import json,sys; [print(f["file-path"]) for f in json.load(open(sys.argv[1]))]' "$T/out" >"$T/files" 2>/dev/null
if [ -s "$T/files" ] && ! grep -qv "^$WH/db/big/data/" "$T/files"; then ok "table files lists s3:// paths ($(wc -l <"$T/files") files)"
else not_ok "table files lists s3:// paths" "$(head -c 600 "$T/out")"; fi
MAXPARTS=0
while read -r f; do
    key=${f#s3://$BUCKET/}
    etag=$("$PY" "$HELPER" etag "$BUCKET" "$key" 2>&1)
    parts=$(echo "$etag" | sed -n 's/.*-\([0-9]*\)"$/\1/p')
    [ -n "$parts" ] && [ "$parts" -gt "$MAXPARTS" ] && MAXPARTS=$parts
done <"$T/files"
if [ "$MAXPARTS" -ge 2 ]; then ok "the data file went up in $MAXPARTS parts (multipart)"
else not_ok "the data file went up in parts" "ETags: $(while read -r f; do "$PY" "$HELPER" etag "$BUCKET" "${f#s3://$BUCKET/}"; done <"$T/files")"; fi
run "${G[@]}" table scan db.big
cp "$T/out" "$T/scan.ndjson"
expect_rc "table scan from s3://" 0
if msg=$("$PY" "$HELPER" same-rows "$T/big.ndjson" "$T/scan.ndjson" 2>&1); then ok "scan equals the input (60000 rows)"
else not_ok "scan equals the input" "$msg"; fi
run "${G[@]}" table snapshots db.big
if [ "$RC" -eq 0 ] && grep -q append "$T/out"; then ok "table snapshots"; else not_ok "table snapshots" "$(cat "$T/out" "$T/err")"; fi

# DuckDB over local copies of the data files.
mkdir -p "$T/dl"
i=0
while read -r f; do
    i=$((i + 1))
    "$PY" "$HELPER" download "$BUCKET" "${f#s3://$BUCKET/}" "$T/dl/$i.parquet" || not_ok "download $f" "boto3 failed"
done <"$T/files"
DUCK=$(cd "$ROOT/tests/oracle" && node --input-type=module -e "
const { duckdb } = await import('$ROOT/tests/oracle/index.mjs')
const inst = await duckdb.DuckDBInstance.create(':memory:')
const c = await inst.connect()
const r = await c.runAndReadAll(\"SELECT count(*)::VARCHAR AS n, sum(id)::VARCHAR AS s, count(DISTINCT payload)::VARCHAR AS d FROM read_parquet('$T/dl/*.parquet')\")
console.log(JSON.stringify(r.getRowObjectsJson()[0]))
" 2>&1)
if [ "$DUCK" = '{"n":"60000","s":"1799970000","d":"60000"}' ]; then ok "DuckDB reads the Parquet files: 60000 rows, sum(id) right"
else not_ok "DuckDB reads the Parquet files" "$DUCK"; fi

# Another scheme spelling, and the options after the command words.
run namespace create db --catalog "sqlite:$T/catalog2.db" --warehouse "s3a://$BUCKET/wh2" --s3-endpoint "$S3_ENDPOINT"
expect_rc "s3a:// warehouse: namespace create" 0
run table create db.viaa --schema "$T/schema.json" --catalog "sqlite:$T/catalog2.db" --warehouse "s3a://$BUCKET/wh2" \
    --s3-endpoint "$S3_ENDPOINT" --s3-path-style
expect_rc "s3a:// warehouse: table create" 0
head -100 "$T/big.ndjson" >"$T/small.ndjson"
FLOE_S3_ENDPOINT=$S3_ENDPOINT FLOE_S3_PATH_STYLE=true run ingest --table db.viaa "$T/small.ndjson" \
    --catalog "sqlite:$T/catalog2.db" --warehouse "s3a://$BUCKET/wh2"
expect_rc "s3a:// warehouse: ingest (FLOE_S3_* from the environment)" 0
FLOE_S3_ENDPOINT=$S3_ENDPOINT run table files db.viaa --catalog "sqlite:$T/catalog2.db" --warehouse "s3a://$BUCKET/wh2"
if grep -q "s3a://$BUCKET/wh2/db/viaa/data/" "$T/out"; then ok "s3a:// warehouse: files keep the scheme"
else not_ok "s3a:// warehouse: files keep the scheme" "$(cat "$T/out" "$T/err")"; fi

# ---- io -------------------------------------------------------------------------
export FLOE_S3_ENDPOINT=$S3_ENDPOINT
printf 'first' >"$T/first"
printf 'second' >"$T/second"
io put "s3://$BUCKET/io/x.json" "$T/first" --exclusive
expect_rc "exclusive create of a new key" 0
io put "s3://$BUCKET/io/x.json" "$T/second" --exclusive
expect_rc "exclusive create of an existing key fails" 1
expect_err "exclusive create of an existing key: EEXISTS" "EEXISTS: s3://$BUCKET/io/x.json"
io get "s3://$BUCKET/io/x.json"
if [ "$(cat "$T/out")" = first ]; then ok "exclusive create kept the first bytes"; else not_ok "exclusive create kept the first bytes" "$(cat "$T/out")"; fi
io put "s3://$BUCKET/io/x.json" "$T/second"
io get "s3://$BUCKET/io/x.json"
if [ "$(cat "$T/out")" = second ]; then ok "plain write replaces"; else not_ok "plain write replaces" "$(cat "$T/out")"; fi
# An existing metadata file of the table, too.
META=$("$PY" "$HELPER" keys "$BUCKET" | grep -m1 '^wh/db/big/metadata/.*\.metadata\.json$')
io put "s3://$BUCKET/$META" "$T/first" --exclusive
expect_err "exclusive create over a table's metadata file: EEXISTS" "EEXISTS"

F1=$(head -1 "$T/files")
SIZE=$(stat -c %s "$T/dl/1.parquet")
io size "$F1"
if [ "$(cat "$T/out")" = "$SIZE" ]; then ok "size equals boto3's ($SIZE bytes)"; else not_ok "size" "$(cat "$T/out" "$T/err") vs $SIZE"; fi
io range "$F1" 1000 70000
if cmp -s "$T/out" <(tail -c +1001 "$T/dl/1.parquet" | head -c 70000); then ok "ranged read equals the bytes boto3 read"
else not_ok "ranged read equals the bytes boto3 read" "$(head -c 300 "$T/err")"; fi
io range "$F1" $((SIZE - 10)) 20
expect_rc "ranged read past the end fails" 1
io get "s3://$BUCKET/io/absent"
expect_err "read of an absent key: ENOTFOUND" "ENOTFOUND: s3://$BUCKET/io/absent"

FLOE_S3_MULTIPART_SIZE=5MiB io gen "s3://$BUCKET/io/streamed.bin" $((40 << 20)) 100000
expect_rc "streamed 40 MiB object" 0
SUM=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$T/out")
PEAK=$(sed -n 's/.*peak_kib=\([0-9]*\).*/\1/p' "$T/out")
LIMIT=$((30 << 10))
[ "${MODE:-release}" = asan ] && LIMIT=$((90 << 10)) # shadow memory and quarantine
if [ -n "$PEAK" ] && [ "$PEAK" -lt "$LIMIT" ]; then ok "streaming kept memory bounded (peak RSS $((PEAK >> 10)) MiB for a 40 MiB object)"
else not_ok "streaming kept memory bounded" "peak $PEAK KiB (limit $LIMIT)"; fi
ETAG=$("$PY" "$HELPER" etag "$BUCKET" io/streamed.bin)
case "$ETAG" in *-8\") ok "streamed object is 8 parts of 5 MiB" ;; *) not_ok "streamed object is 8 parts of 5 MiB" "ETag $ETAG" ;; esac
"$S3IO" get "s3://$BUCKET/io/streamed.bin" 2>"$T/err" | sha256sum >"$T/sum"
if [ "$(cut -d' ' -f1 "$T/sum")" = "$SUM" ]; then ok "streamed object reads back identical"
else not_ok "streamed object reads back identical" "$(cat "$T/sum") vs $SUM"; fi
head -c $((12 << 20)) /dev/urandom >"$T/rand"
FLOE_S3_MULTIPART_SIZE=5MiB io abort "s3://$BUCKET/io/aborted.bin" "$T/rand" 1048576
expect_rc "aborted multipart stream" 0
io size "s3://$BUCKET/io/aborted.bin"
expect_err "aborted stream left no object" "ENOTFOUND"
UP=$("$PY" "$HELPER" uploads "$BUCKET" 2>&1)
if [ -z "$UP" ]; then ok "aborted stream left no multipart upload"; else not_ok "aborted stream left no multipart upload" "$UP"; fi
FLOE_S3_MULTIPART_SIZE=5MiB FLOE_S3_MULTIPART_THRESHOLD=5MiB io put "s3://$BUCKET/io/whole.bin" "$T/rand"
expect_rc "write() above the threshold" 0
"$S3IO" get "s3://$BUCKET/io/whole.bin" 2>/dev/null >"$T/whole"
ETAG=$("$PY" "$HELPER" etag "$BUCKET" io/whole.bin)
if cmp -s "$T/whole" "$T/rand"; then
    case "$ETAG" in *-3\") ok "write() above the threshold: 3 parts, bytes equal" ;; *) not_ok "write() above the threshold: multipart" "ETag $ETAG" ;; esac
else not_ok "write() above the threshold: bytes equal" "differ"; fi

FLOE_S3_LIST_MAX_KEYS=2 io ls "s3://$BUCKET/"
sed 's/^[0-9]* s3:\/\/[^/]*\///' "$T/out" | sort >"$T/ls.floe"
"$PY" "$HELPER" keys "$BUCKET" | sort >"$T/ls.boto"
if [ "$RC" -eq 0 ] && [ -s "$T/ls.boto" ] && cmp -s "$T/ls.floe" "$T/ls.boto"; then
    ok "list with 2 keys a page sees all $(wc -l <"$T/ls.boto") keys"
else not_ok "list with continuation tokens" "$(diff "$T/ls.floe" "$T/ls.boto" | head -5) $(head -c 300 "$T/err")"; fi
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$S3IO" --prop "s3.access-key-id=$AK" --prop "s3.secret-access-key=$SK" \
    get "s3://$BUCKET/io/x.json" >"$T/out" 2>"$T/err"
if [ "$(cat "$T/out")" = second ]; then ok "credentials from properties"; else not_ok "credentials from properties" "$(cat "$T/err")"; fi
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$S3IO" --prop "s3.access-key-id=$AK" --prop "s3.secret-access-key=$BAD" \
    get "s3://$BUCKET/io/x.json" >"$T/out" 2>"$T/err"
if grep -q SignatureDoesNotMatch "$T/err" && ! grep -qF "$BAD" "$T/err"; then ok "wrong secret in properties: refused, secret not shown"
else not_ok "wrong secret in properties" "$(cat "$T/err")"; fi

# ---- drop --purge ----------------------------------------------------------------------
run "${G[@]}" table drop db.big --purge
expect_rc "drop --purge" 0
LEFT=$("$PY" "$HELPER" keys "$BUCKET" | grep -c '^wh/db/big/')
if [ "$LEFT" -eq 0 ]; then ok "drop --purge deleted every object of the table"
else not_ok "drop --purge deleted every object of the table" "$LEFT left: $("$PY" "$HELPER" keys "$BUCKET" | grep '^wh/db/big/' | head -3)"; fi

# ---- retries ----------------------------------------------------------------------------
"$PY" "$HELPER" flaky "$T/flaky.port" 2 SlowDown &
FLAKY_PID=$!
for _ in $(seq 1 100); do [ -s "$T/flaky.port" ] && break; sleep 0.1; done
FP=$(cat "$T/flaky.port" 2>/dev/null)
FLOE_S3_ENDPOINT=http://127.0.0.1:$FP io get s3://b/k
if [ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = ok ]; then ok "two 503 SlowDown answers are retried, then the read succeeds"
else not_ok "503 SlowDown is retried" "$(cat "$T/err")"; fi
kill "$FLAKY_PID" 2>/dev/null; wait "$FLAKY_PID" 2>/dev/null
rm -f "$T/flaky.port"
"$PY" "$HELPER" flaky "$T/flaky.port" 100 SlowDown &
FLAKY_PID=$!
for _ in $(seq 1 100); do [ -s "$T/flaky.port" ] && break; sleep 0.1; done
FP=$(cat "$T/flaky.port" 2>/dev/null)
FLOE_S3_ENDPOINT=http://127.0.0.1:$FP FLOE_S3_RETRIES=2 io get s3://b/k
expect_rc "retries exhausted: fails" 1
expect_err "retries exhausted: names the code" "HTTP 503 SlowDown: try again (after retries)"

finish
