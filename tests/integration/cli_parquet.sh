#!/usr/bin/env bash
# cli_parquet.sh — the `floe` command's Parquet commands end to end: exit
# codes, error messages, and outputs.
#
#   write + cat  every Iceberg type (tests/integration/data/all_types.*),
#                written in floe's canonical NDJSON output forms, must come
#                back byte for byte, with every codec, with many pages and
#                row groups, and from standard input;
#   failures     a bad record names its line and field, exits 1 and leaves
#                neither OUT nor a temporary file (nor clobbers an old OUT);
#                an interrupted write leaves nothing either;
#   usage        usage errors exit 2 with "floe: ..." and the usage line;
#   schema/meta  the outputs carry the names, types, ids and statistics.
#
# Uses $FLOE, else build/${MODE:-release}/floe.  Prints `ok - name` or
# `not ok - name: reason` per check and ends with `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/${MODE:-release}/floe}
DATA=tests/integration/data
T=$(mktemp -d "${TMPDIR:-/tmp}/floe-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1: $2"; }

# run ARGS...: runs floe, leaving stdout in $T/out, stderr in $T/err and the
# exit code in $RC.
run() {
    "$FLOE" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
OUT() { cat "$T/out"; }
ERR() { cat "$T/err"; }

# expect_rc NAME CODE: checks $RC, showing stderr when it differs.
expect_rc() {
    if [ "$RC" -eq "$2" ]; then ok "$1"; else not_ok "$1" "exit $RC, expected $2; stderr: $(head -c 600 "$T/err")"; fi
}
# expect_out NAME TEXT: checks stdout contains TEXT (a fixed string).
expect_out() {
    if grep -qF -- "$2" "$T/out"; then ok "$1"; else not_ok "$1" "stdout lacks '$2'; got: $(head -c 600 "$T/out")"; fi
}
expect_err() {
    if grep -qF -- "$2" "$T/err"; then ok "$1"; else not_ok "$1" "stderr lacks '$2'; got: $(head -c 600 "$T/err")"; fi
}
# expect_err_is NAME TEXT: stderr is exactly TEXT (one line).
expect_err_is() {
    if [ "$(ERR)" = "$2" ]; then ok "$1"; else not_ok "$1" "stderr is '$(ERR)', expected '$2'"; fi
}
# expect_same NAME FILE1 FILE2
expect_same() {
    if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3" | head -c 800)"; fi
}
# expect_no_files NAME GLOB-PREFIX: nothing named PREFIX* exists.
expect_no_files() {
    local left
    left=$(ls -d "$2"* 2>/dev/null)
    if [ -z "$left" ]; then ok "$1"; else not_ok "$1" "left behind: $left"; fi
}

if [ ! -x "$FLOE" ]; then
    not_ok "floe binary" "$FLOE is missing; build it first (make)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

SCHEMA=$DATA/all_types.schema.json
ROWS=$DATA/all_types.ndjson

# ---- version and help -------------------------------------------------------
run version
expect_rc "version exits 0" 0
if grep -qE '^floe [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"; then ok "version prints 'floe X.Y.Z'"; else not_ok "version prints 'floe X.Y.Z'" "$(OUT)"; fi
run help
expect_rc "help exits 0" 0
expect_out "help lists parquet write" "parquet write"
expect_out "help lists parquet meta" "parquet meta"
run parquet write --help
expect_rc "parquet write --help exits 0" 0
expect_out "parquet write --help shows usage" "usage: floe parquet write --schema SCHEMA.json"
expect_out "parquet write --help lists --codec" "--codec NAME"
run help parquet cat
expect_rc "help parquet cat exits 0" 0
expect_out "help parquet cat shows usage" "usage: floe parquet cat FILE"
for c in schema meta; do
    run parquet "$c" -h
    expect_rc "parquet $c -h exits 0" 0
    expect_out "parquet $c -h shows usage" "usage: floe parquet $c FILE"
done

# ---- usage errors exit 2 ----------------------------------------------------
usage_case() { # NAME EXPECTED-STDERR ARGS...
    local name=$1 want=$2
    shift 2
    run "$@"
    if [ "$RC" -ne 2 ]; then
        not_ok "usage: $name" "exit $RC, expected 2; stderr: $(ERR)"
    elif ! grep -qF -- "$want" "$T/err"; then
        not_ok "usage: $name" "stderr lacks '$want': $(ERR)"
    elif [ -s "$T/out" ]; then
        not_ok "usage: $name" "wrote to stdout: $(OUT)"
    else
        ok "usage: $name"
    fi
}
usage_case "no command" "floe: missing command"
usage_case "unknown command" "floe: unknown command 'frobnicate'" frobnicate
usage_case "group without command" "floe: 'parquet' needs a command" parquet
usage_case "unknown parquet command" "floe: unknown command 'parquet frob'" parquet frob
usage_case "cat without a file" "floe: missing arguments" parquet cat
usage_case "cat with two files" "floe: unexpected argument 'b'" parquet cat a b
usage_case "unknown option" "floe: unknown option '--bogus'" parquet cat --bogus x
usage_case "option without value" "floe: option '--limit' needs a value" parquet cat x --limit
usage_case "bad --limit" "floe: --limit: '-1' is not a row count" parquet cat x --limit -1
usage_case "flag with a value" "floe: option '--json' takes no value" parquet meta --json=yes x
usage_case "write without --schema" "floe: --schema is required" parquet write in.ndjson out.parquet
usage_case "write with one file" "floe: missing arguments" parquet write --schema "$SCHEMA" in.ndjson
usage_case "unknown codec" "floe: unknown codec 'zip'" parquet write --schema "$SCHEMA" --codec zip "$ROWS" "$T/x.parquet"
usage_case "bad page size" "floe: --page-size: '0' is not a size in bytes" parquet write --schema "$SCHEMA" --page-size 0 "$ROWS" "$T/x.parquet"
usage_case "bad row group size" "floe: --row-group-size: '12Q' is not a size in bytes" parquet write --schema "$SCHEMA" --row-group-size 12Q "$ROWS" "$T/x.parquet"
usage_case "bad level" "floe: --level: 'high' is not an integer" parquet write --schema "$SCHEMA" --level high "$ROWS" "$T/x.parquet"
usage_case "usage line after the error" "usage: floe parquet cat FILE" parquet cat
expect_no_files "usage errors create no output" "$T/x.parquet"

# ---- write + cat: every type, byte for byte -----------------------------------
run parquet write --schema "$SCHEMA" "$ROWS" "$T/all.parquet"
expect_rc "write all types" 0
if [ -s "$T/err" ]; then not_ok "write all types is quiet" "$(ERR)"; else ok "write all types is quiet"; fi
run parquet cat "$T/all.parquet"
expect_rc "cat all types" 0
expect_same "cat gives back every value as written" "$ROWS" "$T/out"

for codec in zstd snappy gzip lz4_raw brotli uncompressed; do
    run parquet write --schema "$SCHEMA" --codec "$codec" "$ROWS" "$T/c-$codec.parquet"
    expect_rc "write --codec $codec" 0
    run parquet cat "$T/c-$codec.parquet"
    expect_same "cat after --codec $codec" "$ROWS" "$T/out"
    run parquet meta "$T/c-$codec.parquet"
    want=$(echo "$codec" | tr 'a-z' 'A-Z')
    expect_out "meta names codec $want" "id: INT64 $want "
done
run parquet write --schema "$SCHEMA" --codec zstd --level 19 "$ROWS" "$T/z19.parquet"
expect_rc "write --level 19" 0
run parquet cat "$T/z19.parquet"
expect_same "cat after --level 19" "$ROWS" "$T/out"

"$FLOE" parquet write --schema "$SCHEMA" - "$T/stdin.parquet" <"$ROWS" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "write from stdin (-)" 0
run parquet cat "$T/stdin.parquet"
expect_same "cat after writing from stdin" "$ROWS" "$T/out"

# Many pages and row groups: 3000 records, 1 KiB pages, 8 KiB row groups.
awk 'BEGIN { for (i = 0; i < 3000; i++)
    printf "{\"id\":%d,\"ts\":\"2024-05-01T00:%02d:%02d.000000+00:00\",\"user\":\"u-%d\",\"event\":\"view\",\"amount\":%d.5,\"country\":\"DE\",\"tags\":{\"a\":%d,\"b\":\"t%d\"}}\n",
        i, int(i / 60) % 60, i % 60, i % 97, i, i % 7, i % 13 }' >"$T/many.ndjson"
run parquet write --schema examples/clickstream.schema.json --page-size 1K --row-group-size 8K "$T/many.ndjson" "$T/many.parquet"
expect_rc "write 3000 rows in small pages and row groups" 0
run parquet cat "$T/many.parquet"
expect_same "cat 3000 rows back" "$T/many.ndjson" "$T/out"
run parquet meta "$T/many.parquet"
groups=$(sed -n 's/^row_groups: //p' "$T/out")
if [ -n "$groups" ] && [ "$groups" -gt 1 ]; then ok "small row groups make several ($groups)"; else not_ok "small row groups make several" "row_groups: '$groups'"; fi
expect_out "meta counts 3000 rows" "num_rows: 3000"

# ---- other input spellings come out in the canonical forms ------------------
cat >"$T/forms.schema.json" <<'EOF'
{"type":"struct","fields":[
 {"id":1,"name":"tz","required":true,"type":"timestamptz"},
 {"id":2,"name":"day","required":false,"type":"date"},
 {"id":3,"name":"dec","required":false,"type":"decimal(9, 2)"},
 {"id":4,"name":"t","required":false,"type":"time"},
 {"id":5,"name":"s","required":false,"type":"string"}]}
EOF
printf '%s\n' \
    '{"s":"caf\u00e9","tz":"2017-11-16T23:31:08+01:00","day":17486,"dec":14.2,"t":"22:31"}' \
    '{"tz":1510871468000001,"dec":"-0.5","extra":{"x":[1,2]}}' \
    '' \
    '{"tz":"2017-11-16 22:31:08Z"}' >"$T/forms.ndjson"
printf '%s\n' \
    '{"tz":"2017-11-16T22:31:08.000000+00:00","day":"2017-11-16","dec":"14.20","t":"22:31:00.000000","s":"café"}' \
    '{"tz":"2017-11-16T22:31:08.000001+00:00","day":null,"dec":"-0.50","t":null,"s":null}' \
    '{"tz":"2017-11-16T22:31:08.000000+00:00","day":null,"dec":null,"t":null,"s":null}' >"$T/forms.expected"
run parquet write --schema "$T/forms.schema.json" "$T/forms.ndjson" "$T/forms.parquet"
expect_rc "write other input spellings" 0
expect_err "skipped fields are noted" "floe: note: 1 field(s) of $T/forms.ndjson matched no schema field"
run parquet cat "$T/forms.parquet"
expect_same "other spellings print canonically" "$T/forms.expected" "$T/out"

# ---- cat options ---------------------------------------------------------------
run parquet cat "$T/all.parquet" --columns id,tags.b --limit 2
expect_rc "cat --columns --limit" 0
printf '%s\n' '{"id":1,"tags":{"b":"x"}}' '{"id":2,"tags":null}' >"$T/cols.expected"
expect_same "cat --columns id,tags.b --limit 2" "$T/cols.expected" "$T/out"
run parquet cat --columns=mm --limit=1 "$T/all.parquet"
printf '%s\n' '{"mm":{"1":["a","b"],"-5":[]}}' >"$T/mm.expected"
expect_same "cat --columns=mm (a map) --limit=1" "$T/mm.expected" "$T/out"
run parquet cat --limit 0 "$T/all.parquet"
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ]; then ok "cat --limit 0 prints nothing"; else not_ok "cat --limit 0 prints nothing" "exit $RC: $(OUT)"; fi
run parquet cat --columns id,nope "$T/all.parquet"
expect_rc "cat --columns with an unknown column exits 1" 1
expect_err "unknown column is named" "floe: $T/all.parquet: no column 'nope'"

# ---- failures exit 1 and leave no output -------------------------------------
printf '%s\n' '{"id":1}' '{"id":2,"tags":{"a":"x","b":"y"}}' '{"id":3}' >"$T/bad.ndjson"
run parquet write --schema "$SCHEMA" "$T/bad.ndjson" "$T/bad.parquet"
expect_rc "bad record exits 1" 1
expect_err_is "bad record error names the line and field" \
    "floe: $T/bad.ndjson: line 2: field 'tags.a': expected int, got string \"x\""
expect_no_files "bad record leaves no output or temporary file" "$T/bad.parquet"

echo "not parquet" >"$T/keep.parquet"
run parquet write --schema "$SCHEMA" "$T/bad.ndjson" "$T/keep.parquet"
expect_rc "bad record over an existing file exits 1" 1
if [ "$(cat "$T/keep.parquet")" = "not parquet" ]; then ok "existing OUT is untouched by a failed write"; else not_ok "existing OUT is untouched by a failed write" "it changed"; fi
expect_no_files "failed write over an existing file leaves no temporary file" "$T/keep.parquet.tmp"

printf '%s\n' '{"id":1}' '{"b":true}' >"$T/noid.ndjson"
run parquet write --schema "$SCHEMA" "$T/noid.ndjson" "$T/noid.parquet"
expect_rc "missing required field exits 1" 1
expect_err "missing required field is named" "line 2: field 'id'"
expect_no_files "missing required field leaves no output" "$T/noid.parquet"

printf '{"id":1}\n{"id":2,\n' >"$T/trunc.ndjson"
run parquet write --schema "$SCHEMA" "$T/trunc.ndjson" "$T/trunc.parquet"
expect_rc "invalid JSON exits 1" 1
expect_err "invalid JSON names the line" "floe: $T/trunc.ndjson: line 2: "
expect_no_files "invalid JSON leaves no output" "$T/trunc.parquet"

cat >"$T/badschema.json" <<'EOF'
{"type":"struct","fields":[{"id":1,"name":"a","required":true,"type":{"type":"struct","fields":[
  {"id":2,"name":"p","required":false,"type":"decimal(40, 2)"}]}}]}
EOF
run parquet write --schema "$T/badschema.json" "$ROWS" "$T/bs.parquet"
expect_rc "invalid schema exits 1" 1
expect_err_is "invalid schema error names the field path" \
    "floe: $T/badschema.json: schema field 'a.p': decimal precision 40 is outside 1..38"
expect_no_files "invalid schema creates no output" "$T/bs.parquet"
echo '{"type":"struct","fields":[' >"$T/broken.json"
run parquet write --schema "$T/broken.json" "$ROWS" "$T/bs.parquet"
expect_rc "schema that is not JSON exits 1" 1
expect_err "schema that is not JSON is reported" "floe: $T/broken.json: schema: invalid JSON at line"
run parquet write --schema "$T/nonexistent.json" "$ROWS" "$T/bs.parquet"
expect_rc "missing schema file exits 1" 1
expect_err "missing schema file is named" "floe: $T/nonexistent.json: No such file or directory"
run parquet write --schema "$SCHEMA" "$T/nonexistent.ndjson" "$T/bs.parquet"
expect_rc "missing input exits 1" 1
expect_err "missing input is named" "floe: $T/nonexistent.ndjson: No such file or directory"
run parquet write --schema "$SCHEMA" "$ROWS" "$T/no/such/dir/out.parquet"
expect_rc "unwritable output exits 1" 1
expect_err "unwritable output is named" "floe: cannot create $T/no/such/dir/out.parquet.tmp-"

for c in cat schema meta; do
    run parquet "$c" "$T/nonexistent.parquet"
    expect_rc "$c of a missing file exits 1" 1
    expect_err "$c of a missing file says so" "floe: "
    run parquet "$c" "$T/keep.parquet"
    expect_rc "$c of a file that is not Parquet exits 1" 1
    if grep -q '^floe: .*keep.parquet' "$T/err"; then ok "$c of a non-Parquet file names it"; else not_ok "$c of a non-Parquet file names it" "$(ERR)"; fi
done

# An interrupted write removes its temporary file.
mkfifo "$T/fifo"
"$FLOE" parquet write --schema "$SCHEMA" "$T/fifo" "$T/int.parquet" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
head -n 2 "$ROWS" >&3
for _ in 1 2 3 4 5 6 7 8 9 10; do
    ls "$T"/int.parquet.tmp-* >/dev/null 2>&1 && break
    sleep 0.2
done
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exec 3>&-
expect_no_files "an interrupted write leaves no output or temporary file" "$T/int.parquet"

# ---- schema ----------------------------------------------------------------------
run parquet schema "$T/all.parquet"
expect_rc "schema exits 0" 0
expect_out "schema: root message" "message table {"
expect_out "schema: required long with id" "  required int64 id = 1;"
expect_out "schema: decimal annotation" "  optional int32 dec (DECIMAL(9,2)) = 7;"
expect_out "schema: wide decimal storage" "  optional fixed_len_byte_array(16) dec38 (DECIMAL(38,10)) = 9;"
expect_out "schema: timestamptz" "  optional int64 tstz (TIMESTAMP(MICROS,true)) = 13;"
expect_out "schema: timestamp_ns" "  optional int64 tsn (TIMESTAMP(NANOS,false)) = 14;"
expect_out "schema: uuid" "  optional fixed_len_byte_array(16) u (UUID) = 17;"
expect_out "schema: nested struct field" "    required binary b (STRING) = 22;"
expect_out "schema: list wrapper" "  optional group nums (LIST) = 23 {"
expect_out "schema: list element" "      optional int32 element = 24;"
expect_out "schema: map key" "      required binary key (STRING) = 30;"
run parquet schema --json "$T/all.parquet"
expect_rc "schema --json exits 0" 0
expect_out "schema --json is the Iceberg schema" '{"type":"struct","schema-id":1,"identifier-field-ids":[1],"fields":[{"id":1,"name":"id","required":true,"type":"long"}'
expect_out "schema --json spells decimals as Iceberg does" '"type":"decimal(9, 2)"'

# ---- meta ------------------------------------------------------------------------
run parquet meta "$T/all.parquet"
expect_rc "meta exits 0" 0
expect_out "meta: created_by" "created_by: floe version "
expect_out "meta: num_rows" "num_rows: 4"
expect_out "meta: key-value metadata abbreviated" "  iceberg.schema: {\"type\":\"struct\",\"schema-id\":1,"
expect_out "meta: abbreviation gives the size" "... ("
expect_out "meta: row group line" "row group 0: 4 rows, "
expect_out "meta: long column stats" "id: INT64 ZSTD encodings="
expect_out "meta: long min/max" "min=-9223372036854775808 max=4"
expect_out "meta: null count" "tags.a: INT32 ZSTD"
expect_out "meta: decimal bounds as decimals" 'min="-0.01" max="14.20"'
expect_out "meta: date bounds as dates" 'min="1969-12-31" max="+10000-01-01"'
expect_out "meta: timestamptz bounds" 'max="2017-11-16T22:31:08.000001+00:00"'
expect_out "meta: double bounds" 'min="-Infinity" max=5e-324'
expect_out "meta: nested leaf path" "pts.list.element.x: DOUBLE"
run parquet meta --json "$T/all.parquet"
expect_rc "meta --json exits 0" 0
if command -v python3 >/dev/null 2>&1; then
    if python3 - "$T/out" >"$T/py" 2>&1 <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["num_rows"] == 4, m["num_rows"]
assert m["created_by"].startswith("floe version"), m["created_by"]
assert json.loads(m["key_value_metadata"]["iceberg.schema"])["schema-id"] == 1
rg = m["row_groups"][0]
assert rg["num_rows"] == 4 and rg["compressed_size"] > 0
cols = {c["path"]: c for c in rg["columns"]}
assert len(cols) == 28, len(cols)
assert cols["id"]["min"] == -9223372036854775808 and cols["id"]["max"] == 4
assert cols["dec"]["min"] == "-0.01" and cols["dec"]["physical_type"] == "INT32"
assert cols["tags.a"]["null_count"] == 2, cols["tags.a"]
assert cols["s"]["max"] == "\u00ff\U0001F600", cols["s"]["max"]
assert "PLAIN" in cols["id"]["encodings"] and cols["id"]["codec"] == "ZSTD"
EOF
    then ok "meta --json is JSON with the footer's facts"; else not_ok "meta --json is JSON with the footer's facts" "$(tail -n 1 "$T/py")"; fi
else
    ok "meta --json is JSON with the footer's facts # skip: no python3"
fi

# ---- the example in the README -------------------------------------------------
run parquet write --schema examples/clickstream.schema.json examples/clickstream.ndjson "$T/click.parquet"
expect_rc "write the clickstream example" 0
run parquet cat "$T/click.parquet"
n=$(wc -l <"$T/out")
if [ "$n" -eq 20 ]; then ok "the example has 20 rows"; else not_ok "the example has 20 rows" "$n rows"; fi
expect_out "the example's offsets are applied" '{"id":3,"ts":"2024-05-01T07:00:05.000000+00:00","user":"u-2040"'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
