"""mixed_rounds.py — a Kafka topic's records in rounds, good ones with bad
ones among them, for the dead-letter tests (kafka_transaction.sh,
kafka_failures.sh).

usage: python3 mixed_rounds.py OUT TOPIC PARTS G ROUNDS SEED [--clean-first | --bad-first]

Writes OUT/round-RR-P.lines (`key<TAB>value` lines for partition P in
round R, to be sent in that order, e.g. with kcat -K '\\t' -l) and
OUT/expect.json for lib/kafka_check.mjs dlq and OUT/schema.json (the
Iceberg schema of the good records, for `floe table create --schema`), and
prints the number of bad records.  Good records are {"id": i, "name": "n<i>", "qty": 3i} for ids
0..G-1, id i in partition i % PARTS, spread over the rounds.  Every round
has two bad records in each partition (a string for the long column qty,
text that is not JSON, a JSON array, in turn), never a chunk's first or
last record; with --clean-first round 0 has none.  With --bad-first the
only bad records are one at the very start of every partition (so that a
consumer's first record of each partition is bad).
"""
import base64, json, os, random, sys

out, topic, parts, G, rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
clean_first = "--clean-first" in sys.argv[7:]
bad_first = "--bad-first" in sys.argv[7:]
rnd = random.Random(seed)
b64 = lambda b: base64.b64encode(b).decode()


def good(i):
    return json.dumps({"id": i, "name": "n%d" % i, "qty": i * 3}, separators=(",", ":")).encode()


bads = [
    ("string for long qty", lambda n: b'{"id":%d,"name":"x","qty":"seven"}' % (900000 + n), ["qty"]),
    ("not JSON", lambda n: b"not json %d" % n, ["JSON"]),
    ("array", lambda n: b"[%d,2,3]" % n, ["JSON"]),
]
exp = {"good": list(range(G)), "bad": [], "absent": []}
nbad = 0
for p in range(parts):
    ids = [i for i in range(G) if i % parts == p]
    per = (len(ids) + rounds - 1) // rounds
    off = 0
    for r in range(rounds):
        chunk = [(b"k%d" % i, good(i), None) for i in ids[r * per:(r + 1) * per]]
        if bad_first:
            nb = 1 if r == 0 else 0
        else:
            nb = 0 if clean_first and r == 0 else 2
        for _ in range(nb):
            what, make, reason = bads[nbad % len(bads)]
            at = 0 if bad_first else rnd.randrange(1, len(chunk))
            chunk.insert(at, (b"bad-%d" % nbad, make(nbad), (what, reason)))
            nbad += 1
        with open(os.path.join(out, "round-%02d-%d.lines" % (r, p)), "wb") as f:
            for key, value, info in chunk:
                f.write(key + b"\t" + value + b"\n")
                if info:
                    exp["bad"].append({"topic": topic, "partition": p, "offset": off, "key": b64(key),
                                       "value": b64(value), "what": info[0], "reason": info[1],
                                       "show": nbad <= 3})
                off += 1
with open(os.path.join(out, "expect.json"), "w") as f:
    json.dump(exp, f)
with open(os.path.join(out, "schema.json"), "w") as f:
    json.dump({"type": "struct", "schema-id": 0, "fields": [
        {"id": 1, "name": "id", "required": True, "type": "long"},
        {"id": 2, "name": "name", "required": False, "type": "string"},
        {"id": 3, "name": "qty", "required": False, "type": "long"}]}, f)
print(len(exp["bad"]))
