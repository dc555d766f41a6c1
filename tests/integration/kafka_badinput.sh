#!/usr/bin/env bash
# kafka_badinput.sh — dead letters: bad records mixed into good ones across
# partitions never block the good ones, and each lands in `<table>__dlq`
# once, where it was produced, with its raw bytes and the reason.
#
# The topic `raw` (4 partitions) gets, through kcat, 1200 good records
# (ids 0..1199) with bad ones in between: malformed JSON (also with bytes
# that are not UTF-8), JSON that is not an object (array, number, string,
# null), wrong types (a string for the long column `qty`, for the double
# `price`, for `id`), a 5000-byte record, a value above 1 MiB, empty values
# and tombstones.  The tables are created first with an explicit schema
# (id long, name string, qty long, price double).  Three groups consume the
# topic at once, each into its own table:
#   bad1  floe.record.max-bytes=4096: the 5000-byte record is a dead letter;
#   bad2  the default limit (1 MiB): the 5000-byte record is good, the one
#         above 1 MiB is a dead letter;
#   bad3  as bad1 with floe.dlq.mode=drop: stats count the dead letters, no
#         dead-letter table exists.
# Checks (lib/kafka_check.mjs dlq): each table holds exactly the good ids;
# `__dlq` holds each bad record once at its topic/partition/offset (read
# back with kcat), with the raw key and value bytes, an error naming the
# field / "JSON" / "max-bytes", and a time; tombstones are in neither.
set -u
source "$(dirname "$0")/lib/kafka.sh"
require

TOPIC=raw
PARTS=4
start_mock --topic $TOPIC --partitions $PARTS

# ---- the records -------------------------------------------------------------------
# gen.py writes, per partition, segments of `key<TAB>value` lines to send in
# order (seg-P-K.lines, or seg-P-K.null for tombstone segments sent with
# kcat -Z) and the expectations of each run (expect-bad1.json, ...).
cat >"$T/gen.py" <<'EOF'
import base64, json, os, random, sys
out, topic, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(7)
G = 1200
b64 = lambda b: base64.b64encode(b).decode()
def good(i, pad=0):
    r = {"id": i, "name": "n%d" % i + "x" * pad, "qty": i * 3, "price": i / 4}
    return json.dumps(r, separators=(",", ":")).encode()
# (what, value bytes or None for a tombstone, reasons by run: None = good there)
bad = [
    ("truncated JSON", b'{"id":1,"name":', ["JSON"]),
    ("not JSON", b"not json at all", ["JSON"]),
    ("not UTF-8", b'\xff\xfe{"id":\x01\x02', ["JSON"]),
    ("trailing garbage", b'{"id":5,"name":"a","qty":1,"price":1}}', ["JSON"]),
    ("array", b"[1,2,3]", ["JSON"]),
    ("array of objects", b'[{"id":1}]', ["JSON"]),
    ("number", b"42", ["JSON"]),
    ("string", b'"hello"', ["JSON"]),
    ("JSON null", b"null", ["JSON"]),
    ("string for long qty", b'{"id":900001,"name":"x","qty":"seven","price":1.5}', ["qty"]),
    ("string for double price", b'{"id":900002,"name":"x","qty":3,"price":"cheap"}', ["price"]),
    ("string for long id", b'{"id":"abc","name":"x","qty":3,"price":2.5}', ["id"]),
    ("object for long qty", b'{"id":900003,"name":"x","qty":{"n":1},"price":2.5}', ["qty"]),
    ("empty value", b"", ["/JSON|empty/"]),
]
records = {p: [] for p in range(parts)}  # p -> [(kind, key, value, info)]
ids = list(range(G))
for i in ids:
    records[i % parts].append(("good", b"k%d" % i, good(i), i))
for n, (what, value, reason) in enumerate(bad):
    p = n % parts
    records[p].insert(rnd.randrange(len(records[p]) + 1), ("bad", b"bad-%d" % n, value, (what, reason)))
    # every bad kind twice, the second time without a key
    if not value:
        continue
    q = (n + 1) % parts
    records[q].insert(rnd.randrange(len(records[q]) + 1), ("bad", None, value, (what, reason)))
# a 5000-byte good record: a dead letter where max-bytes is 4096
big = good(G, pad=5000 - len(good(G, 0)))
assert len(big) == 5000
records[1].insert(300, ("mid", b"mid", big, G))
# a value above 1 MiB, a valid object: a dead letter everywhere
huge = good(G + 1, pad=(1 << 20) + 1000)
records[2].insert(200, ("huge", b"huge", huge, G + 1))
# tombstones, in segments of their own (kcat -Z turns empty values into nulls)
for p in range(parts):
    for at in sorted(rnd.sample(range(len(records[p])), 3), reverse=True):
        records[p].insert(at, ("tomb", b"tomb-%d" % at, None, None))

exp = {r: {"good": [], "bad": [], "absent": []} for r in ("bad1", "bad2", "bad3")}
for p in range(parts):
    segs, cur, mode = [], [], None
    for off, (kind, key, value, info) in enumerate(records[p]):
        m = "null" if value is None else "lines"
        if m != mode and cur:
            segs.append((mode, cur)); cur = []
        mode = m
        # kcat -K TAB: `key<TAB>value`; no TAB: a null key.  An empty line
        # is not sent, so empty values always have a key.
        cur.append(key + b"\t" if value is None else ((key + b"\t") if key is not None else b"") + value)
        where = {"topic": topic, "partition": p, "offset": off}
        for run in exp:
            e = exp[run]
            if kind == "good":
                e["good"].append(info)
            elif kind == "tomb":
                e["absent"].append(where)
            elif kind == "mid" and run == "bad2":
                e["good"].append(info)
            else:
                if kind == "bad":
                    what, reason = info
                else:
                    what, reason = kind, ["max-bytes"]
                e["bad"].append(dict(where, key=b64(key) if key is not None else None, value=b64(value),
                                     what=what, reason=reason, show=key is not None or kind != "bad"))
    if cur:
        segs.append((mode, cur))
    for k, (mode, lines) in enumerate(segs):
        with open(os.path.join(out, "seg-%d-%02d.%s" % (p, k, mode)), "wb") as f:
            f.write(b"".join(l + b"\n" for l in lines))
    with open(os.path.join(out, "sizes-%d" % p), "w") as f:
        f.write("".join("%d\n" % (-1 if v is None else len(v)) for _, _, v, _ in records[p]))
for run, e in exp.items():
    with open(os.path.join(out, "expect-%s.json" % run), "w") as f:
        json.dump(e, f)
print(len(exp["bad1"]["bad"]), len(exp["bad2"]["bad"]), len(exp["bad1"]["absent"]))
EOF
mkdir -p "$T/in"
read -r NBAD1 NBAD2 NTOMB < <(python3 "$T/gen.py" "$T/in" $TOPIC $PARTS)
note "1200 good records, $NBAD1 bad ones (bad2: $NBAD2), $NTOMB tombstones over $PARTS partitions"

# Segments in order per partition; one kcat per segment.
sent=0
for f in "$T"/in/seg-*; do
    p=$(basename "$f" | cut -d- -f2)
    z=()
    case $f in *.null) z=(-Z) ;; esac
    timeout 60 kcat -P -b "$BOOT" -t $TOPIC -p "$p" -K $'\t' "${z[@]}" -X message.max.bytes=4000000 -l "$f" \
        2>>"$T/kcat.err" || sent=1
done
check "kcat produces the records" $sent "$(head -c 300 "$T/kcat.err")"
# What the topic holds, per partition: value sizes (-1: null) by offset.
same=0
for ((p = 0; p < PARTS; p++)); do
    timeout 60 kcat -C -b "$BOOT" -t $TOPIC -p $p -o beginning -e -q -f '%S\n' >"$T/got-$p" 2>>"$T/kcat.err"
    cmp -s "$T/got-$p" "$T/in/sizes-$p" || same=1
done
check "kcat reads back every record at the planned offset" $same "partition sizes differ: $(diff "$T/got-0" "$T/in/sizes-0" | head -n 3 | tr '\n' ' ')"

# ---- the tables ------------------------------------------------------------------
cat >"$T/schema.json" <<'EOF'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"name","required":false,"type":"string"},
 {"id":3,"name":"qty","required":false,"type":"long"},
 {"id":4,"name":"price","required":false,"type":"double"}]}
EOF
"$FLOE" namespace create db --warehouse "$T/wh" >/dev/null 2>"$T/create.err"
made=0
for t in events1 events2 events3; do
    "$FLOE" table create db.$t --schema "$T/schema.json" --warehouse "$T/wh" >/dev/null 2>>"$T/create.err" || made=1
done
check "floe table create: three tables with an explicit schema" $made "$(head -c 300 "$T/create.err")"

# ---- three groups at once ----------------------------------------------------------
write_config "$T/bad1.properties" bad1 $TOPIC db.events1 errors.tolerance=all floe.record.max-bytes=4096 \
    errors.log.enable=true errors.log.include.messages=true
write_config "$T/bad2.properties" bad2 $TOPIC db.events2 errors.tolerance=all
write_config "$T/bad3.properties" bad3 $TOPIC db.events3 errors.tolerance=all floe.record.max-bytes=4096 \
    floe.dlq.mode=drop
declare -A PID
for r in bad1 bad2 bad3; do
    start_floe $r "$T/$r.properties" --stop-when-idle 3000 --stats "$T/$r.json"
    PID[$r]=$FPID
done
for r in bad1 bad2 bad3; do
    wait_exit "${PID[$r]}" 300
    check "$r: floe run --stop-when-idle exits 0" $([ "$RC" -eq 0 ]; echo $?) "exit $RC: $(log_tail "$T/$r.log")"
done

for r in bad1 bad2 bad3; do
    nbad=$NBAD1
    [ $r = bad2 ] && nbad=$NBAD2
    dead=$(figure "$T/$r.json" records_dead)
    check "$r: stats count $nbad dead letters" $([ "$dead" = "$nbad" ]; echo $?) "records_dead is '$dead'"
    in=$(figure "$T/$r.json" records_in)
    total=$(cat "$T"/in/sizes-* | wc -l)
    check "$r: stats count $total records in" $([ "$in" = "$total" ]; echo $?) "records_in is '$in'"
done
# errors.log.include.messages (bad1 only): every dead letter's line has its
# key and value, on one line whatever the bytes; bad2 logs without them.
n=$(grep -c ' dead-letter .* key=.* value=' "$T/bad1.log")
check "bad1: each of the $NBAD1 dead-letter log lines carries key and value" $([ "$n" = "$NBAD1" ]; echo $?) \
    "$n such lines: $(grep ' dead-letter ' "$T/bad1.log" | head -n 2 | cut -c1-300 | tr '\n' '|')"
grep ' dead-letter ' "$T/bad1.log" | grep -F 'value="not json at all"' | grep -qF 'key=bad-1 '
check "bad1: the log shows the value and key of the record 'not json at all'" $? \
    "$(grep -F 'not json' "$T/bad1.log" | head -n 2 | cut -c1-300)"
grep ' dead-letter ' "$T/bad1.log" | grep -qF 'value="{\"id\":900001,\"name\":\"x\",\"qty\":\"seven\",\"price\":1.5}"'
check "bad1: a JSON value is logged as its string text" $? "$(grep -F 'seven' "$T/bad1.log" | head -n 1 | cut -c1-300)"
grep ' dead-letter ' "$T/bad1.log" | grep -q '\.\.\.(1049[0-9]* bytes)'
check "bad1: a value above 4 KiB is cut and its size given" $? "$(grep -F 'bytes)' "$T/bad1.log" | head -n 1 | cut -c1-200)"
n2=$(grep -c ' dead-letter .* value=' "$T/bad2.log")
check "bad2: without include.messages no value is logged" $([ "$n2" = 0 ]; echo $?) "$n2 lines with a value"

c1=$(figure "$T/bad1.json" records_committed)
c2=$(figure "$T/bad2.json" records_committed)
note "records_committed: bad1 $c1, bad2 $c2 (stats: $(head -c 300 "$T/bad1.json"))"

oracle dlq --warehouse "$T/wh" --table db.events1 --expect "$T/in/expect-bad1.json" --label bad1
oracle dlq --warehouse "$T/wh" --table db.events2 --expect "$T/in/expect-bad2.json" --label bad2

# The dead-letter table's columns.
"$FLOE" table describe db.events1__dlq --warehouse "$T/wh" --json >"$T/dlq.json" 2>"$T/dlq.err"
cols=$(jq -r '[.schema.fields[] | "\(.name):\(.type)"] | join(",")' "$T/dlq.json" 2>/dev/null)
want="topic:string,partition:int,offset:long,key:binary,value:binary,error:string,time:timestamptz"
check "db.events1__dlq has the columns $want" $([ "$cols" = "$want" ]; echo $?) "it has '$cols' $(head -c 200 "$T/dlq.err")"

# drop mode: the good records only, no dead-letter table.
"$FLOE" table scan db.events3 --columns id --warehouse "$T/wh" 2>"$T/scan3.err" | jq -r .id | sort -n >"$T/ids3"
python3 -c 'import json,sys; print("\n".join(map(str, sorted(json.load(open(sys.argv[1]))["good"]))))' \
    "$T/in/expect-bad3.json" >"$T/want3"
cmp -s "$T/ids3" "$T/want3"
check "bad3 (drop): db.events3 holds exactly the good records" $? "$(wc -l <"$T/ids3") rows; $(head -c 200 "$T/scan3.err")"
"$FLOE" table list db --warehouse "$T/wh" >"$T/list" 2>&1
! grep -q 'events3__dlq' "$T/list" && grep -q 'events1__dlq' "$T/list"
check "bad3 (drop): no db.events3__dlq table (db.events1__dlq exists)" $? "$(tr '\n' ' ' <"$T/list")"
grep -q 'dead-letter' "$T/bad3.log"
check "bad3 (drop): dead letters are logged" $? "$(log_tail "$T/bad3.log")"

no_sanitizer_reports "no sanitizer reports in any floe run" "$T"/bad*.log
finish
