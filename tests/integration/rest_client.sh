#!/usr/bin/env bash
# rest_client.sh — floe's Iceberg REST catalog client (src/catalog/rest.c)
# end to end: real floe commands with --catalog http(s)://127.0.0.1:PORT
# against
#   (a) tests/integration/lib/fake_rest_catalog.py, which injects faults
#       and plays the auth edge cases, and logs every request:
#       basics       config with ?warehouse=, the advertised prefix,
#                    namespaces (nested, properties, list with parent, drop),
#                    tables (create, list, describe, rename, drop with purge),
#                    ingest + scan + snapshots; errors carry the server's
#                    message (404, 409);
#       requests     every body floe sent validates against the OpenAPI
#                    schema; mutations carry UUIDv7 Idempotency-Keys,
#                    distinct per mutation and kept across retries; table
#                    loads and creates ask for vended credentials;
#       faults       503/429 (Retry-After) retried; 409 rebased; 500 after
#                    the commit applied, a connection cut after it applied
#                    and a commit that outlives the request timeout are
#                    resolved through the commit marker: each commit lands
#                    exactly once (rows and snapshots counted); a commit
#                    that keeps failing fails without a snapshot;
#       auth         OAuth2 client credentials (scope, token refresh before
#                    expiry, 401 and 419 answered by a refresh and one more
#                    try, a failed refresh tried again later), static
#                    tokens (flag and environment), wrong secrets fail
#                    without showing them; SigV4-signed requests verified
#                    by the server; TLS verified, with a CA bundle;
#   (b) `floe catalog serve` (the REST server over a SQLite catalog), with
#       and without its injected faults: commits land exactly once;
#   (c) stage-create and its assert-create commit (tests/tools/stage_table.c
#       drives the client): the bodies sent to the fake validate against the
#       OpenAPI schemas and are the updates Java's create transaction sends;
#       on `floe catalog serve` the staged table is neither loadable (404)
#       nor listed until the commit, and `floe table scan` reads it after.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
CLI_TEST=rest-client
. "$(dirname "$0")/lib/cli.sh"
FAKE=$ROOT/tests/integration/lib/fake_rest_catalog.py
HELP=$ROOT/tests/integration/rest_client.py
VALIDATE=$ROOT/tests/integration/lib/validate_openapi.py
unset FLOE_CATALOG FLOE_WAREHOUSE FLOE_CATALOG_TOKEN FLOE_CATALOG_CREDENTIAL FLOE_CATALOG_WAREHOUSE \
    FLOE_CATALOG_CA_BUNDLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION

if [ ! -x "$FLOE" ]; then
    not_ok "floe binary" "$FLOE is missing; build it first (make)"
    finish
fi

# start_fake NAME ARGS...: starts the fake catalog (warehouse $T/NAME.wh,
# log $T/NAME.log); sets PORT and URL.
start_fake() {
    local name=$1
    shift
    mkdir -p "$T/$name.wh"
    "$PY" "$FAKE" --warehouse "$T/$name.wh" --port-file "$T/$name.port" --log "$T/$name.log" "$@" \
        >"$T/$name.server.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.1; done
    PORT=$(cat "$T/$name.port" 2>/dev/null)
    URL=http://127.0.0.1:$PORT
    LOG=$T/$name.log
}
# ctl JSON: sends a control message to the fake at $PORT.
ctl() {
    "$PY" - "$PORT" "$1" "${SCHEME:-http}" "${CTL_CA:-}" <<'EOF' >/dev/null
import sys, urllib.request, ssl
port, body, scheme, ca = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca) if ca else None
urllib.request.urlopen(urllib.request.Request(f"{scheme}://127.0.0.1:{port}/_control", data=body.encode(),
                                              method="POST"), context=ctx).read()
EOF
}
# stat KEY: a counter of the fake at $PORT.
stat() {
    "$PY" - "$PORT" "$1" <<'EOF'
import sys, json, urllib.request
d = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_stats"))
print(d[sys.argv[2]])
EOF
}
# rows TABLE ARGS...: number of rows `table scan` prints.
rows() {
    local t=$1
    shift
    run table scan "$t" "$@"
    [ "$RC" -eq 0 ] && wc -l <"$T/out" | tr -d ' ' || echo "scan failed: $(head -c 300 "$T/err")"
}
# nsnap TABLE ARGS...: number of snapshots.
nsnap() {
    local t=$1
    shift
    run table snapshots "$t" --json "$@"
    "$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out" 2>/dev/null || echo "snapshots failed: $(head -c 300 "$T/err")"
}
# gen N START: N NDJSON records with ids from START.
gen() {
    "$PY" -c '
import json, sys
n, s = int(sys.argv[1]), int(sys.argv[2])
for i in range(s, s + n):
    print(json.dumps({"id": i, "ts": "2026-01-0%dT10:00:00Z" % (i % 3 + 1), "country": "DE" if i % 2 else "FR"}))
' "$1" "$2"
}

cat >"$T/work/schema.json" <<'EOF'
{"type":"struct","fields":[{"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"ts","required":false,"type":"timestamptz"},
 {"id":3,"name":"country","required":false,"type":"string"}]}
EOF
gen 20 1 >"$T/work/a.ndjson"
gen 20 101 >"$T/work/b.ndjson"

# ==== (a) the fake catalog: OAuth2, prefix, warehouse name, vended credentials ====
SECRET=Sup3r-Secret-Value
start_fake main --auth "oauth2:client-1:$SECRET" --prefix pfx --warehouse-name wh1 --idempotency \
    --vended '{"s3.access-key-id":"vended-ak","s3.secret-access-key":"vended-sk"}' --page-size 2
if [ -z "$PORT" ]; then not_ok "fake catalog starts" "$(cat "$T/main.server.out")"; echo "$PASS passed, $FAIL failed"; exit 1; fi
CAT=(--catalog "$URL" --catalog-credential "client-1:$SECRET" --catalog-warehouse wh1)

run namespace create db --property owner=alice "${CAT[@]}"
expect_rc "namespace create" 0
run namespace create db "${CAT[@]}"
expect_rc "namespace create twice fails" 1
expect_err "namespace create twice: server's message" "Namespace already exists: db"
for n in db.sub1 db.sub2 db.sub3 other; do run namespace create $n "${CAT[@]}"; done
run namespace list "${CAT[@]}"
expect_eq "namespace list (two pages)" "$(tr '\n' ' ' <"$T/out")" "db other "
run namespace list db "${CAT[@]}"
expect_eq "namespace list with parent (two pages)" "$(tr '\n' ' ' <"$T/out")" "db.sub1 db.sub2 db.sub3 "
run namespace describe db "${CAT[@]}"
expect_out "namespace describe: properties" "owner"
run namespace describe nope "${CAT[@]}"
expect_rc "namespace describe missing: exit 1" 1
expect_err "namespace describe missing: NoSuchNamespaceException" "NoSuchNamespaceException"
run namespace drop db.sub3 "${CAT[@]}"
expect_rc "namespace drop" 0
run namespace drop db "${CAT[@]}"
expect_rc "namespace drop non-empty fails" 1
expect_err "namespace drop non-empty: server's message" "not empty"

# global options before the command words
run --catalog "$URL" --catalog-credential "client-1:$SECRET" --catalog-warehouse=wh1 table create db.events \
    --schema schema.json --partition-by 'day(ts), bucket(4, id)'
expect_rc "table create (catalog options before the command)" 0
run table create db.events --schema schema.json "${CAT[@]}"
expect_rc "table create twice fails" 1
expect_err "table create twice: already exists" "already exists"
run table list db "${CAT[@]}"
expect_eq "table list" "$(cat "$T/out")" "db.events"
run table describe db.events --json "${CAT[@]}"
expect_out "table describe: partition spec from the create request" '"id_bucket"'
run table describe db.nope "${CAT[@]}"
expect_rc "table describe missing: exit 1" 1
expect_err "table describe missing: NoSuchTableException" "NoSuchTableException"

run ingest --table db.events a.ndjson "${CAT[@]}"
expect_rc "ingest" 0
expect_eq "rows after ingest" "$(rows db.events "${CAT[@]}")" 20
expect_eq "snapshots after ingest" "$(nsnap db.events "${CAT[@]}")" 1
run table scan db.events --where "country = 'DE'" "${CAT[@]}"
expect_eq "scan with a filter" "$(wc -l <"$T/out" | tr -d ' ')" 10

# ingest into a new table (create from inferred schema) through REST
run ingest --table db.auto --partition-by 'day(ts)' b.ndjson "${CAT[@]}"
expect_rc "ingest creates a table" 0
expect_eq "rows of the created table" "$(rows db.auto "${CAT[@]}")" 20
run table rename db.auto db.sub1.moved "${CAT[@]}"
expect_rc "table rename" 0
expect_eq "renamed table readable" "$(rows db.sub1.moved "${CAT[@]}")" 20
run table drop db.sub1.moved --purge "${CAT[@]}"
expect_rc "table drop --purge" 0
run table describe db.sub1.moved "${CAT[@]}"
expect_rc "dropped table is gone" 1
expect_eq "drop sent purgeRequested=true" \
    "$("$PY" -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l))["method"]=="DELETE" and r["query"].get("purgeRequested")=="true"))' "$LOG")" 1

# requests as the spec says
first=$(head -2 "$LOG" | "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["method"]+" "+json.loads(l)["path"] for l in sys.stdin))')
expect_eq "token first, then config" "$first" "POST /v1/oauth/tokens GET /v1/config"
expect_eq "config asked for the warehouse" \
    "$("$PY" -c 'import json,sys; print({json.loads(l)["query"].get("warehouse") for l in open(sys.argv[1]) if json.loads(l)["path"]=="/v1/config"})' "$LOG")" "{'wh1'}"
expect_eq "every catalog path under the advertised prefix" \
    "$("$PY" "$HELP" count "$LOG" GET '^/v1/(?!pfx/|config)')$("$PY" "$HELP" count "$LOG" POST '^/v1/(?!pfx/|oauth)')" 00
expect_eq "token request: client credentials with scope catalog" \
    "$("$PY" -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["grant_type"], r["scope"], r["form_keys"])' "$LOG")" \
    "client_credentials catalog ['client_id', 'client_secret', 'grant_type', 'scope']"
out=$("$PY" "$HELP" keys "$LOG") && ok "idempotency keys: UUIDv7 on every mutation, distinct" || not_ok "idempotency keys" "$out"
out=$("$PY" "$HELP" delegation "$LOG") && ok "vended credentials asked for on load and create" || not_ok "delegation header" "$out"

# ---- faults on commits: each lands exactly once ----
before_rows=20
before_snaps=1
# commit_ingest NAME FAULTS-JSON: ingest b.ndjson (20 rows) with the faults
# armed and expect exit 0 and exactly one more snapshot and 20 more rows.
commit_ingest() {
    local name=$1
    ctl "{\"faults\": $2}"
    gen 20 $((1000 + before_rows)) >"$T/work/c.ndjson"
    run ingest --table db.events c.ndjson "${CAT[@]}"
    expect_rc "$name: ingest succeeds" 0
    ctl '{"faults": []}'
    before_rows=$((before_rows + 20))
    before_snaps=$((before_snaps + 1))
    expect_eq "$name: rows once" "$(rows db.events "${CAT[@]}")" $before_rows
    expect_eq "$name: one snapshot" "$(nsnap db.events "${CAT[@]}")" $before_snaps
}
C='/tables/events$'
commit_ingest "503 twice on commit" "[{\"method\":\"POST\",\"path\":\"$C\",\"status\":503,\"times\":2}]"
commit_ingest "429 with Retry-After on commit" "[{\"method\":\"POST\",\"path\":\"$C\",\"status\":429,\"retry_after\":1}]"
commit_ingest "409 on commit" "[{\"method\":\"POST\",\"path\":\"$C\",\"status\":409,\"type\":\"CommitFailedException\"}]"
commit_ingest "500 after the commit applied" "[{\"method\":\"POST\",\"path\":\"$C\",\"status\":500,\"after\":true}]"
commit_ingest "504 after the commit applied" "[{\"method\":\"POST\",\"path\":\"$C\",\"status\":504,\"after\":true}]"
commit_ingest "connection cut after the commit applied" "[{\"method\":\"POST\",\"path\":\"$C\",\"close\":true,\"after\":true}]"
commit_ingest "connection cut before the commit" "[{\"method\":\"POST\",\"path\":\"$C\",\"close\":true}]"
commit_ingest "503 on load, then commit" "[{\"method\":\"GET\",\"path\":\"$C\",\"status\":503,\"times\":2}]"
commit_ingest "connection cut on load" "[{\"method\":\"GET\",\"path\":\"$C\",\"close\":true}]"
out=$("$PY" "$HELP" retried-keys "$LOG") && ok "retried mutations kept their Idempotency-Key" || not_ok "retried keys" "$out"

ctl "{\"faults\": [{\"method\":\"POST\",\"path\":\"$C\",\"status\":500,\"times\":1000}]}"
run ingest --table db.events c.ndjson "${CAT[@]}"
ctl '{"faults": []}'
expect_rc "commit failing with 500 every time: ingest fails" 1
expect_err "500 on commit: outcome unknown in the message" "may or may not have applied"
expect_eq "500 on commit: no snapshot added" "$(nsnap db.events "${CAT[@]}")" $before_snaps
ctl "{\"faults\": [{\"method\":\"GET\",\"path\":\"$C\",\"status\":503,\"times\":1000}]}"
run table describe db.events "${CAT[@]}"
ctl '{"faults": []}'
expect_rc "503 every time: gives up" 1
expect_err "503 every time: message names the status" "HTTP 503"

# ---- auth edge cases ----
t0=$(stat tokens_issued)
ctl "{\"faults\": [{\"method\":\"GET\",\"path\":\"$C\",\"status\":401}]}"
run table describe db.events "${CAT[@]}"
expect_rc "401: token renewed and the request sent again" 0
expect_eq "401: the command's token and one renewal" "$(($(stat tokens_issued) - t0))" 2
t0=$(stat tokens_issued)
ctl "{\"faults\": [{\"method\":\"POST\",\"path\":\"$C\",\"status\":419}]}"
gen 20 5000 >"$T/work/d.ndjson"
run ingest --table db.events d.ndjson "${CAT[@]}"
expect_rc "419 on commit: token renewed, commit sent again" 0
expect_eq "419: the command's token and one renewal" "$(($(stat tokens_issued) - t0))" 2
before_rows=$((before_rows + 20))
before_snaps=$((before_snaps + 1))
expect_eq "419 on commit: rows once" "$(rows db.events "${CAT[@]}")" $before_rows
ctl '{"faults": [{"method":"GET","path":"/tables/events$","status":401,"times":5}]}'
run table describe db.events "${CAT[@]}"
ctl '{"faults": []}'
expect_rc "401 after renewal: fails" 1
expect_err "401: says not authorized" "not authorized"

run namespace list --catalog "$URL" --catalog-credential "client-1:wrong-$SECRET" --catalog-warehouse wh1
expect_rc "wrong client secret: exit 1" 1
expect_err "wrong client secret: OAuth2 error" "invalid_client"
expect_no_err "wrong client secret: secret not shown" "$SECRET"
run namespace list --catalog "$URL" --catalog-credential "client-1:$SECRET" --catalog-warehouse nope
expect_rc "unknown warehouse: exit 1" 1
expect_err "unknown warehouse: NoSuchWarehouseException" "NoSuchWarehouseException"
(export FLOE_CATALOG="$URL" FLOE_CATALOG_CREDENTIAL="client-1:$SECRET" FLOE_CATALOG_WAREHOUSE=wh1; run namespace list; echo $RC >"$T/rc")
expect_eq "FLOE_CATALOG, FLOE_CATALOG_CREDENTIAL, FLOE_CATALOG_WAREHOUSE" "$(cat "$T/rc") $(tr '\n' ' ' <"$T/out")" "0 db other "

# requests bodies against the OpenAPI schemas
mkdir -p "$T/bodies"
"$PY" "$HELP" bodies "$LOG" "$T/bodies" >"$T/schemas"
for s in CreateNamespaceRequest CreateTableRequest CommitTableRequest RenameTableRequest; do
    if [ ! -s "$T/bodies/$s.json" ]; then not_ok "OpenAPI $s" "floe sent none"; continue; fi
    if out=$("$PY" "$VALIDATE" "$s" "$T/bodies/$s.json" 2>&1); then ok "request bodies valid: $s"
    else not_ok "request bodies valid: $s" "$(echo "$out" | head -c 600)"; fi
done

# ---- token lifetime: refresh before expiry, failed refresh tried later ----
start_fake ttl --auth "oauth2:c2:$SECRET" --token-ttl 2
CAT2=(--catalog "$URL" --catalog-credential "c2:$SECRET")
run namespace create db "${CAT2[@]}"
run table create db.t --schema schema.json "${CAT2[@]}"
# a slow producer: 8 records over ~4 s, a commit every 0.4 s
t0=$(stat tokens_issued)
(cd "$T/work" && for i in 1 2 3 4 5 6 7 8; do echo "{\"id\":$i}"; sleep 0.5; done |
    "$FLOE" ingest --table db.t --commit-interval-ms 400 - "${CAT2[@]}" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "slow ingest across token lifetimes" 0
expect_eq "slow ingest: no request was refused" "$("$PY" "$HELP" count "$LOG" ANY '^/v1/(?!oauth)' 401)" 0
n=$(($(stat tokens_issued) - t0))
[ "$n" -ge 2 ] && ok "tokens refreshed before expiry ($n issued)" || not_ok "tokens refreshed before expiry" "$n issued"
expect_eq "slow ingest: rows" "$(rows db.t "${CAT2[@]}")" 8
ctl '{"token_faults": 1, "token_skip": 1, "token_status": 500}'
r0=$(stat token_requests)
(cd "$T/work" && for i in 1 2 3 4 5 6 7 8 9 10; do echo "{\"id\":$i}"; sleep 0.4; done |
    "$FLOE" ingest --table db.t --commit-interval-ms 300 - "${CAT2[@]}" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "a failed token refresh is tried again later" 0
n=$(($(stat token_requests) - r0))
[ "$n" -ge 3 ] && ok "refresh failed once, then renewed ($n token requests)" || not_ok "refresh retried" "$n token requests"
expect_eq "after a failed refresh: rows" "$(rows db.t "${CAT2[@]}")" 18

start_fake exp419 --auth "oauth2:c3:$SECRET" --token-ttl 3600 --expired-status 419
CAT3=(--catalog "$URL" --catalog-credential "c3:$SECRET")
run namespace create db "${CAT3[@]}"
run table create db.t --schema schema.json "${CAT3[@]}"
(cd "$T/work" && { echo '{"id":1}'; sleep 0.6; "$PY" - "$PORT" <<'EOF'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/_control", data=b'{"expire_tokens":true}', method="POST")).read()
EOF
echo '{"id":2}'; } | "$FLOE" ingest --table db.t --commit-interval-ms 200 - "${CAT3[@]}" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "server-side token expiry (419) mid-ingest" 0
expect_eq "419 answered once, then renewed" "$("$PY" "$HELP" count "$LOG" ANY . 419)" 1
expect_eq "419 mid-ingest: rows" "$(rows db.t "${CAT3[@]}")" 2

# ---- static bearer token ----
TOK=Bearer-Token-0123456789
start_fake tok --auth "token:$TOK"
run namespace create db --catalog "$URL" --catalog-token "$TOK"
expect_rc "static token" 0
run namespace list --catalog "$URL" --catalog-token "wrong-$TOK"
expect_rc "wrong static token: exit 1" 1
expect_err "wrong static token: not authorized" "not authorized"
expect_no_err "wrong static token: token not shown" "$TOK"
(export FLOE_CATALOG_TOKEN="$TOK"; run namespace list --catalog "$URL"; echo $RC >"$T/rc")
expect_eq "FLOE_CATALOG_TOKEN" "$(cat "$T/rc") $(cat "$T/out")" "0 db"
run namespace list --catalog "$URL"
expect_rc "no token: exit 1" 1

# ---- request timeout: a commit that outlives it lands once ----
start_fake slow --defaults '{"rest.request-timeout-ms":"700","rest.max-retries":"2"}'
CAT4=(--catalog "$URL")
run namespace create db "${CAT4[@]}"
run table create db.t --schema schema.json "${CAT4[@]}"
PORT_SAVE=$PORT
ctl '{"faults":[{"method":"POST","path":"/tables/t$","delay":1.5}]}'
run ingest --table db.t a.ndjson "${CAT4[@]}"
expect_rc "commit slower than the request timeout: resolved" 0
expect_eq "slow commit: rows once" "$(rows db.t "${CAT4[@]}")" 20
expect_eq "slow commit: one snapshot" "$(nsnap db.t "${CAT4[@]}")" 1
ctl '{"faults":[{"method":"GET","path":"/tables/t$","delay":1.5,"times":1}]}'
run table describe db.t "${CAT4[@]}"
expect_rc "slow load retried after its timeout" 0
ctl '{"faults":[{"method":"GET","path":"/tables/t$","delay":1.5,"times":10}]}'
run table describe db.t "${CAT4[@]}"
expect_rc "load that always times out fails" 1
expect_err "timeout named" "timed out"
ctl '{"faults":[]}'

# ---- SigV4 ----
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-example-secret AWS_SESSION_TOKEN=session-tok-1
start_fake sig --sigv4 eu-west-1:execute-api --defaults '{"rest.sigv4-enabled":"true","rest.signing-region":"eu-west-1"}'
run namespace create db --catalog "$URL"
expect_rc "SigV4: signed create verified by the server" 0
run table create db.t --schema schema.json --catalog "$URL"
run ingest --table db.t a.ndjson --catalog "$URL"
expect_rc "SigV4: signed ingest" 0
expect_eq "SigV4: rows" "$(rows db.t --catalog "$URL")" 20
AWS_SECRET_ACCESS_KEY=not-the-secret run namespace list --catalog "$URL"
expect_rc "SigV4: wrong secret refused" 1
expect_err "SigV4: refusal names the signature" "signature mismatch"
expect_no_err "SigV4: secret not shown" "not-the-secret"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

# ---- TLS ----
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1; then
    start_fake tls --tls "$T/cert.pem:$T/key.pem"
    run namespace list --catalog "https://127.0.0.1:$PORT"
    expect_rc "TLS: unknown CA refused" 1
    expect_err "TLS: certificate problem named" "certificate"
    (export FLOE_CATALOG_CA_BUNDLE="$T/cert.pem"; run namespace create db --catalog "https://127.0.0.1:$PORT"; echo $RC >"$T/rc")
    expect_eq "TLS: FLOE_CATALOG_CA_BUNDLE trusted" "$(cat "$T/rc")" 0
else
    not_ok "TLS" "openssl could not make a certificate"
fi

# ==== floe run: the pipeline's iceberg.catalog.* keys reach the client ====
MOCK=${MOCK_KAFKA:-$(dirname "$FLOE")/mock-kafka}
if "$FLOE" run --help >/dev/null 2>&1 && [ -x "$MOCK" ]; then
    start_fake run --auth "oauth2:runner:$SECRET" --warehouse-name wh9 --prefix pr
    mkfifo "$T/mock.in"
    "$MOCK" --partitions 2 --topic clicks --produce 400 <"$T/mock.in" >"$T/mock.out" 2>"$T/mock.err" &
    PIDS+=($!)
    exec 9>"$T/mock.in"
    for _ in $(seq 200); do BOOT=$(sed -n '1s/^bootstrap=//p' "$T/mock.out"); [ -n "$BOOT" ] && break; sleep 0.1; done
    for _ in $(seq 300); do grep -q '^produced=' "$T/mock.out" && break; sleep 0.1; done
    cat >"$T/run.properties" <<EOF
name=restrun
topics=clicks
iceberg.tables=db.clicks
iceberg.tables.auto-create-enabled=true
iceberg.catalog.type=rest
iceberg.catalog.uri=$URL
iceberg.catalog.credential=runner:$SECRET
iceberg.catalog.warehouse=wh9
bootstrap.servers=$BOOT
floe.commit.interval-ms=300
floe.metrics.listen=off
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=500
kafka.fetch.wait.max.ms=50
EOF
    # the second commit answers 500 after it applied; a later one 503
    ctl '{"faults":[{"method":"POST","path":"/tables/clicks$","status":500,"after":true,"skip":1},
                    {"method":"POST","path":"/tables/clicks$","status":503,"skip":3}]}'
    (cd "$T/work" && timeout 120 "$FLOE" run "$T/run.properties" --stop-after-records 400 >"$T/out" 2>"$T/err")
    RC=$?
    expect_rc "floe run through the REST catalog" 0
    expect_no_err "floe run: no secret in its log" "$SECRET"
    RUNCAT=(--catalog "$URL" --catalog-credential "runner:$SECRET" --catalog-warehouse wh9)
    expect_eq "floe run: every record once" "$(rows db.clicks "${RUNCAT[@]}")" 400
    # one config request per catalog connection: the pipeline's and its
    # maintenance thread's (and more if either reconnects); none outside the prefix
    CFGN=$("$PY" "$HELP" count "$LOG" GET '^/v1/config$' 200)
    expect_eq "floe run: asked for warehouse wh9, paths under prefix pr" \
        "$([ "$CFGN" -ge 2 ] && echo config-ok)/$("$PY" "$HELP" count "$LOG" ANY '^/v1/(?!pr/|config|oauth)')" config-ok/0
    expect_eq "floe run: a commit answered 500 after it applied" \
        "$("$PY" "$HELP" count "$LOG" POST '/tables/clicks$' 500)" 1
    exec 9>&-
else
    not_ok "floe run" "this floe has no 'run' command or $MOCK is missing"
fi

# ==== (b) floe catalog serve ====
if "$FLOE" catalog serve --help >/dev/null 2>&1; then
    # serve NAME ARGS...: starts `floe catalog serve` over $T/NAME.swh; sets URL.
    serve() {
        local name=$1
        shift
        mkdir -p "$T/$name.swh"
        "$FLOE" catalog serve --warehouse "$T/$name.swh" --listen 127.0.0.1:0 "$@" >"$T/$name.sout" 2>"$T/$name.serr" &
        PIDS+=($!)
        for _ in $(seq 100); do grep -q "listening on" "$T/$name.sout" 2>/dev/null && break; sleep 0.1; done
        URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T/$name.sout" | head -1)
    }
    serve plain --prefix p1
    if [ -z "$URL" ]; then
        not_ok "floe catalog serve starts" "$(head -c 300 "$T/plain.serr")"
    else
        S=(--catalog "$URL")
        run namespace create db "${S[@]}"
        expect_rc "serve: namespace create" 0
        run table create db.events --schema schema.json --partition-by 'day(ts)' "${S[@]}"
        expect_rc "serve: table create" 0
        run ingest --table db.events a.ndjson "${S[@]}"
        expect_rc "serve: ingest" 0
        run ingest --table db.events b.ndjson "${S[@]}"
        expect_eq "serve: rows" "$(rows db.events "${S[@]}")" 40
        expect_eq "serve: snapshots" "$(nsnap db.events "${S[@]}")" 2
        run table list db --catalog "sqlite:$T/plain.swh/catalog.db" --warehouse "$T/plain.swh"
        expect_eq "serve: the SQL catalog behind it has the table" "$(cat "$T/out")" "db.events"
        expect_eq "serve: rows through the SQL catalog" \
            "$(rows db.events --catalog "sqlite:$T/plain.swh/catalog.db" --warehouse "$T/plain.swh")" 40
        run table rename db.events db.renamed "${S[@]}"
        expect_rc "serve: rename" 0
        run namespace drop db "${S[@]}"
        expect_rc "serve: drop non-empty namespace fails" 1
        run table drop db.renamed --purge "${S[@]}"
        expect_rc "serve: drop --purge" 0
    fi
    printf 'writer:%s\n' "$SECRET" >"$T/clients"
    serve faulty --auth "oauth2:$T/clients" --token-ttl 2 --faults '500:0.1,503:0.15,409:0.05,after-commit-500:0.15,seed:7'
    if [ -z "$URL" ]; then
        not_ok "floe catalog serve with faults starts" "$(head -c 300 "$T/faulty.serr")"
    else
        S=(--catalog "$URL" --catalog-credential "writer:$SECRET")
        for i in 1 2 3 4 5; do run namespace create db "${S[@]}"; [ "$RC" -eq 0 ] && break; done
        for i in 1 2 3 4 5; do run table create db.events --schema schema.json "${S[@]}"; [ "$RC" -eq 0 ] && break; done
        okc=0
        for i in 1 2 3 4 5 6; do
            gen 10 $((i * 100)) >"$T/work/f.ndjson"
            run ingest --table db.events --commit-interval-ms 100 f.ndjson "${S[@]}"
            [ "$RC" -eq 0 ] && okc=$((okc + 1))
        done
        L=(--catalog "sqlite:$T/faulty.swh/catalog.db" --warehouse "$T/faulty.swh")
        expect_eq "serve with faults: every ingest succeeded" "$okc" 6
        expect_eq "serve with faults: rows exactly once" "$(rows db.events "${L[@]}")" 60
        expect_eq "serve with faults: one snapshot per ingest" "$(nsnap db.events "${L[@]}")" 6
    fi
else
    not_ok "floe catalog serve" "this floe has no 'catalog serve' command"
fi

# ==== (c) stage-create and the create transaction (catalog.h .stage) ====
# floe's CLI does not stage; tests/tools/stage_table.c drives the client.
STAGE=$(dirname "$FLOE")/stage-table
# stg ARGS...: runs stage-table like run runs floe.
stg() {
    (cd "$T/work" && "$STAGE" "$@" >"$T/out" 2>"$T/err" </dev/null)
    RC=$?
}
# http_status METHOD URL: the status of a bare request.
http_status() {
    "$PY" - "$1" "$2" <<'EOF'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(urllib.request.Request(sys.argv[2], method=sys.argv[1])).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}
if [ ! -x "$STAGE" ]; then
    not_ok "stage-create" "$STAGE is missing; build it first (make)"
else
    # the client's requests, as the fake logs them, against the OpenAPI schemas
    start_fake stage
    run namespace create db --catalog "$URL"
    stg stage "$URL" "$T/stage.wh" db.staged schema.json staged.json
    expect_rc "stage-create (fake): staged" 0
    expect_eq "stage-create (fake): nothing committed" "$(http_status GET "$URL/v1/namespaces/db/tables/staged")" 404
    stg commit "$URL" "$T/stage.wh" db.staged staged.json
    expect_rc "stage-create (fake): assert-create commit" 0
    expect_eq "stage-create (fake): the table exists after" \
        "$(http_status GET "$URL/v1/namespaces/db/tables/staged")" 200
    mkdir -p "$T/stage.bodies"
    "$PY" "$HELP" bodies "$LOG" "$T/stage.bodies" >/dev/null
    for s in CreateTableRequest CommitTableRequest; do
        if [ ! -s "$T/stage.bodies/$s.json" ]; then not_ok "stage-create: OpenAPI $s" "floe sent none"; continue; fi
        if out=$("$PY" "$VALIDATE" "$s" "$T/stage.bodies/$s.json" 2>&1); then ok "stage-create: request body valid: $s"
        else not_ok "stage-create: request body valid: $s" "$(echo "$out" | head -c 600)"; fi
    done
    expect_eq "stage-create: the bodies Java's create transaction sends" "$("$PY" - "$T/stage.bodies" <<'EOF'
import json, sys
d = sys.argv[1]
create = json.load(open(d + "/CreateTableRequest.json"))
commit = json.load(open(d + "/CommitTableRequest.json"))
print(create[-1].get("stage-create"), [r["type"] for r in commit[-1]["requirements"]],
      " ".join(u["action"] for u in commit[-1]["updates"]))
EOF
)" "True ['assert-create'] assign-uuid upgrade-format-version add-schema set-current-schema add-spec set-default-spec add-sort-order set-default-sort-order set-location set-properties"

    # the real server: the staged table is nobody's until the commit
    if "$FLOE" catalog serve --help >/dev/null 2>&1 && serve staged && [ -n "$URL" ]; then
        S=(--catalog "$URL")
        run namespace create db "${S[@]}"
        stg stage "$URL" "$T/staged.swh" db.st schema.json st.json
        expect_rc "stage-create (serve): staged" 0
        expect_eq "stage-create (serve): staged metadata written by the tool" \
            "$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["format-version"], len(m["schemas"]))' "$T/work/st.json" 2>&1)" "2 1"
        expect_eq "stage-create (serve): load answers 404 before the commit" \
            "$(http_status GET "$URL/v1/namespaces/db/tables/st")" 404
        run table list db "${S[@]}"
        expect_eq "stage-create (serve): not listed before the commit" "$RC:$(cat "$T/out")" "0:"
        run table scan db.st "${S[@]}"
        expect_rc "stage-create (serve): floe table scan fails before the commit" 1
        stg commit "$URL" "$T/staged.swh" db.st st.json
        expect_rc "stage-create (serve): assert-create commit" 0
        expect_eq "stage-create (serve): load answers 200 after" "$(http_status GET "$URL/v1/namespaces/db/tables/st")" 200
        run table list db "${S[@]}"
        expect_eq "stage-create (serve): listed after" "$RC:$(cat "$T/out")" "0:db.st"
        expect_eq "stage-create (serve): floe table scan reads it (empty)" "$(rows db.st "${S[@]}")" 0
        run ingest --table db.st a.ndjson "${S[@]}"
        expect_rc "stage-create (serve): ingest into it" 0
        expect_eq "stage-create (serve): floe table scan after ingest" "$(rows db.st "${S[@]}")" 20
        run table describe db.st --json "${S[@]}"
        expect_eq "stage-create (serve): the staged table's uuid and properties" \
            "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["table-uuid"] == json.load(open(sys.argv[2]))["table-uuid"], d.get("properties", {}).get("staged-by"))' "$T/out" "$T/work/st.json" 2>&1)" "True stage-table"
        stg commit "$URL" "$T/staged.swh" db.st st.json
        expect_rc "stage-create (serve): a second assert-create commit fails" 1
        expect_err "stage-create (serve): ... as a failed requirement" "assert-create"
        stg stage "$URL" "$T/staged.swh" db.st schema.json st2.json
        expect_rc "stage-create (serve): staging an existing table fails" 1
    else
        not_ok "stage-create (serve)" "floe catalog serve did not start: $(head -c 300 "$T/staged.serr" 2>/dev/null)"
    fi
fi

finish
