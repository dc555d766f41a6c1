#!/usr/bin/env bash
# kafka_evolve.sh — schema evolution in `floe run`
# (iceberg.tables.evolve-schema-enabled, schema-case-insensitive): records
# whose fields the table lacks add columns mid-stream, by two processes of
# one group at once, and every record lands once with its new fields.
#
# The topic `evo` (4 partitions) gets 1,800 records in three phases, in
# order on each partition:
#   A  ids 0..599     {"id", "name"}: the table's own columns;
#   B  ids 600..1199  adds "qty" (long), "geo" {"city"} (a struct),
#                     "tags" [{"k","v"}] (a list of structs), "note": null
#                     and "empty": [] (no type to infer: no column);
#   C  ids 1200..1799 "ID" and "NAME" in capitals (the columns id and name,
#                     ignoring case), "geo" gains "zip" (a nested column),
#                     "note" now has text (the column arrives).
# Amid phase B, one record per partition (ids 5000..5003) carries a field
# with an empty name, which no Iceberg column may have: under evolution it
# is a dead letter naming why; without, the field is skipped.
# Tables db.evo and db.plain are created first with columns id and name.
# Group `evo` runs two processes (the partitions split between them; both
# meet the new fields, so their schema commits race) with evolution and
# case-insensitive names; group `plain` one process with neither.
# Checks: both runs exit 0; db.evo's schema has exactly the columns the
# records brought, with unique ids and none for
# "empty" or the capitalised names; icebird (by field id) reads exactly the
# expected 1,800 rows, nested values included, nulls where a record had no
# value, and DuckDB over the listed files agrees on counts per column; the
# logs name the added columns; db.plain keeps its schema and all 1,800
# records, the unknown fields skipped.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

TOPIC=evo
PARTS=4
start_mock --topic $TOPIC --partitions $PARTS

mkdir -p "$T/in"
python3 - "$T/in" $PARTS <<'EOF'
import base64, json, os, sys
out, parts = sys.argv[1], int(sys.argv[2])
segs = {p: [] for p in range(parts)}
want, bad = [], []
for i in range(1800):
    if i < 600:
        rec = {"id": i, "name": "n%d" % i}
        row = dict(rec, qty=None, geo=None, tags=None, note=None)
    elif i < 1200:
        rec = {"id": i, "name": "n%d" % i, "qty": i * 2, "geo": {"city": "c%d" % (i % 7)},
               "tags": [{"k": "a", "v": i}, {"k": "b", "v": -i}], "note": None, "empty": []}
        row = {"id": i, "name": rec["name"], "qty": i * 2, "geo": {"city": rec["geo"]["city"], "zip": None},
               "tags": rec["tags"], "note": None}
    else:
        rec = {"ID": i, "NAME": "N%d" % i, "qty": i, "geo": {"city": "c%d" % (i % 7), "zip": "z%d" % i},
               "note": "text %d" % i}
        row = {"id": i, "name": rec["NAME"], "qty": i, "geo": {"city": rec["geo"]["city"], "zip": rec["geo"]["zip"]},
               "tags": None, "note": rec["note"]}
    segs[i % parts].append("k%d\t%s" % (i, json.dumps(rec, separators=(",", ":"))))
    want.append(row)
    if i == 900 + i % parts:  # the 226th record of each partition, in phase B
        p = i % parts
        value = json.dumps({"id": 5000 + p, "name": "bad", "": 1}, separators=(",", ":"))
        bad.append({"topic": "evo", "partition": p, "offset": len(segs[p]), "key": base64.b64encode(b"bad%d" % p).decode(),
                    "value": base64.b64encode(value.encode()).decode(), "what": "empty field name",
                    "reason": ["empty name"], "show": True})
        segs[p].append("bad%d\t%s" % (p, value))
for p, lines in segs.items():
    with open(os.path.join(out, "p%d.lines" % p), "w") as f:
        f.write("\n".join(lines) + "\n")
with open(os.path.join(out, "expect.json"), "w") as f:
    json.dump(want, f)
with open(os.path.join(out, "expect-dlq.json"), "w") as f:
    json.dump({"good": [r["id"] for r in want], "bad": bad, "absent": []}, f)
EOF
sent=0
for ((p = 0; p < PARTS; p++)); do
    timeout 60 kcat -P -b "$BOOT" -t $TOPIC -p $p -K $'\t' -l "$T/in/p$p.lines" 2>>"$T/kcat.err" || sent=1
done
check "kcat produces 1804 records in three phases" $sent "$(head -c 300 "$T/kcat.err")"

cat >"$T/schema.json" <<'EOF'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":false,"type":"long"},
 {"id":2,"name":"name","required":false,"type":"string"}]}
EOF
"$FLOE" namespace create db --warehouse "$T/wh" >/dev/null 2>"$T/create.err"
made=0
for t in evo plain; do
    "$FLOE" table create db.$t --schema "$T/schema.json" --warehouse "$T/wh" >/dev/null 2>>"$T/create.err" || made=1
done
check "floe table create: db.evo and db.plain with columns id, name" $made "$(head -c 300 "$T/create.err")"

write_config "$T/evo.properties" evo $TOPIC db.evo iceberg.tables.evolve-schema-enabled=true \
    iceberg.tables.schema-case-insensitive=true floe.commit.interval-ms=300
write_config "$T/plain.properties" plain $TOPIC db.plain
start_floe evo1 "$T/evo.properties" --stop-when-idle 4000 --stats "$T/evo1.json"
P1=$FPID
start_floe evo2 "$T/evo.properties" --stop-when-idle 4000 --stats "$T/evo2.json"
P2=$FPID
start_floe plain "$T/plain.properties" --stop-when-idle 3000 --stats "$T/plain.json"
P3=$FPID
for r in evo1:$P1 evo2:$P2 plain:$P3; do
    wait_exit "${r#*:}" 300
    check "${r%%:*}: floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) \
        "exit $RC: $(log_tail "$T/${r%%:*}.log")"
done
c1=$(figure "$T/evo1.json" records_committed)
c2=$(figure "$T/evo2.json" records_committed)
check "group evo: the two processes committed 1800 records between them" \
    $([ $((${c1:-0} + ${c2:-0})) -eq 1800 ]; echo $?) "evo1 $c1, evo2 $c2"
note "evo1 committed $c1, evo2 $c2"
d1=$(figure "$T/evo1.json" records_dead)
d2=$(figure "$T/evo2.json" records_dead)
check "group evo: the 4 records with an empty field name are dead letters" \
    $([ $((${d1:-0} + ${d2:-0})) -eq 4 ]; echo $?) "evo1 $d1, evo2 $d2"
oracle dlq --warehouse "$T/wh" --table db.evo --expect "$T/in/expect-dlq.json" --label evo

# ---- db.evo's schema ----------------------------------------------------------------
"$FLOE" table describe db.evo --warehouse "$T/wh" --json >"$T/evo.desc" 2>"$T/desc.err"
cols=$(jq -c '[.schema.fields[] | {n: .name, t: (if (.type|type) == "string" then .type else .type.type end), r: .required}]' "$T/evo.desc" 2>/dev/null)
# (in the order the process that added them met them: partitions interleave)
top=$(echo "$cols" | jq -r '[.[] | "\(.n):\(.t)"] | sort | join(",")' 2>/dev/null)
want="geo:struct,id:long,name:string,note:string,qty:long,tags:list"
check "db.evo's columns are $want" $([ "$top" = "$want" ]; echo $?) "they are '$top' $(head -c 200 "$T/desc.err")"
geo=$(jq -r '[.schema.fields[] | select(.name == "geo") | .type.fields[] | "\(.name):\(.type)"] | join(",")' "$T/evo.desc" 2>/dev/null)
check "geo gained the nested column zip" $([ "$geo" = "city:string,zip:string" ]; echo $?) "geo is '$geo'"
tags=$(jq -r '[.schema.fields[] | select(.name == "tags") | .type.element.fields[] | "\(.name):\(.type)"] | join(",")' "$T/evo.desc" 2>/dev/null)
check "tags is a list of struct<k string, v long>" $([ "$tags" = "k:string,v:long" ]; echo $?) "its element has '$tags'"
opt=$(echo "$cols" | jq -r '[.[] | select(.r)] | length' 2>/dev/null)
check "every added column is optional" $([ "$opt" = 0 ]; echo $?) "$opt required columns"
ids=$(jq -r '[.. | objects | select(has("id") and has("name")) | .id] | sort | (length == (unique | length))' "$T/evo.desc" 2>/dev/null)
check "field ids are unique" $([ "$ids" = true ]; echo $?) "ids unique: '$ids'"
note "db.evo: $(jq -c '.schema' "$T/evo.desc" 2>/dev/null | head -c 600)"

# ---- the rows, by readers floe did not write --------------------------------------------
oracle rows --warehouse "$T/wh" --table db.evo --expect "$T/in/expect.json" --label evo

# ---- the logs ---------------------------------------------------------------------------
cat "$T/evo1.log" "$T/evo2.log" >"$T/evo.logs"
n=$(grep -c 'schema-evolved' "$T/evo.logs")
check "the logs record the schema changes" $([ "${n:-0}" -ge 2 ]; echo $?) "$n schema-evolved lines"
# (zip comes as geo.zip, or inside geo when a phase C record was the first
# of its process to bring geo)
for c in qty geo tags note; do
    grep -E "schema-evolved .*columns=([^ ]*,)?$c(,| |$)" "$T/evo.logs" >/dev/null
    check "a schema-evolved line names column $c" $? "$(grep schema-evolved "$T/evo.logs" | head -n 4 | tr '\n' '|')"
done
grep schema-evolved "$T/evo.logs" | head -n 6 | sed 's/^/# /'

# ---- db.plain: no evolution -----------------------------------------------------------
"$FLOE" table describe db.plain --warehouse "$T/wh" --json >"$T/plain.desc" 2>/dev/null
pcols=$(jq -r '[.schema.fields[].name] | join(",")' "$T/plain.desc" 2>/dev/null)
check "db.plain keeps its columns id,name" $([ "$pcols" = "id,name" ]; echo $?) "it has '$pcols'"
pc=$(figure "$T/plain.json" records_committed)
check "db.plain: 1804 records committed, unknown fields skipped" $([ "$pc" = 1804 ]; echo $?) "committed '$pc'"
rows=$("$FLOE" table scan db.plain --columns id --warehouse "$T/wh" 2>/dev/null | jq -r '.id // "null"' | sort | uniq -c |
    awk '$2 == "null" {n += $1} $2 != "null" {m++} END {print m + 0, n + 0}')
check "db.plain: ids 0..1199 and 5000..5003 once, the capitalised ids null (no case-insensitive match)" \
    $([ "$rows" = "1204 600" ]; echo $?) "distinct ids, nulls: '$rows'"
finish
