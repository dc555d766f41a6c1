#!/usr/bin/env python3
"""Checks over the request log of tests/integration/lib/fake_rest_catalog.py
for rest_client.sh.  Each subcommand prints one line and exits 0 when the
check holds, 1 when it does not:

  keys LOG            every mutation (POST/DELETE other than the token
                      request) carries an Idempotency-Key in UUIDv7 form,
                      reads carry none, and no two different mutations
                      share a key
  retried-keys LOG    every mutation answered 429/503/5xx-after-apply or
                      cut off and then sent again (same method and path,
                      next such request) was sent again with the same key
  bodies LOG DIR      writes the JSON bodies the client sent, by OpenAPI
                      schema, to DIR/<Schema>.json (arrays), prints the
                      schema names written
  count LOG METHOD|ANY REGEX [STATUS]   prints how many requests match
  delegation LOG      loads and creates of tables asked for vended
                      credentials
"""
import json
import os
import re
import sys

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def is_mutation(r):
    return r["method"] in ("POST", "DELETE") and not r["path"].endswith("/oauth/tokens")


def keys(log):
    seen = {}
    for i, r in enumerate(log):
        k = r.get("idempotency_key")
        if is_mutation(r):
            if not k or not UUID7.match(k):
                return f"request {i} {r['method']} {r['path']} has key {k!r}"
            sig = (r["method"], r["path"], json.dumps(r.get("body"), sort_keys=True))
            if k in seen and seen[k] != sig:
                return f"key {k} used by two different mutations"
            seen[k] = sig
        elif k:
            return f"read {r['method']} {r['path']} has an Idempotency-Key"
    return None if seen else "no mutations in the log"


def retried_keys(log):
    n = 0
    for i, r in enumerate(log):
        st = r.get("status")
        if not is_mutation(r) or not (st in (429, 500, 502, 503, 504) or st == "closed"):
            continue
        nxt = next((x for x in log[i + 1:] if x["method"] == r["method"] and x["path"] == r["path"]), None)
        if nxt is None:
            continue
        if st in (429, 503) and nxt["idempotency_key"] != r["idempotency_key"]:
            return f"{r['method']} {r['path']} retried after {st} with another key"
        n += 1
    return None if n else "no retried mutation in the log"


SCHEMAS = [
    ("POST", r"/namespaces$", "CreateNamespaceRequest"),
    ("POST", r"/namespaces/[^/]+/properties$", "UpdateNamespacePropertiesRequest"),
    ("POST", r"/namespaces/[^/]+/tables$", "CreateTableRequest"),
    ("POST", r"/namespaces/[^/]+/tables/[^/]+$", "CommitTableRequest"),
    ("POST", r"/tables/rename$", "RenameTableRequest"),
    ("POST", r"/transactions/commit$", "CommitTransactionRequest"),
]


def bodies(log, out):
    by = {}
    for r in log:
        if r.get("body") is None:
            continue
        for m, rx, name in SCHEMAS:
            if r["method"] == m and re.search(rx, r["path"]):
                by.setdefault(name, []).append(r["body"])
                break
    os.makedirs(out, exist_ok=True)
    for name, v in by.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(v, f)
    print(" ".join(sorted(by)))
    return None


def main(argv):
    cmd, log = argv[1], load(argv[2])
    if cmd == "keys":
        why = keys(log)
    elif cmd == "retried-keys":
        why = retried_keys(log)
    elif cmd == "bodies":
        return 0 if bodies(log, argv[3]) is None else 1
    elif cmd == "count":
        st = argv[5] if len(argv) > 5 else None
        print(sum(1 for r in log if argv[3] in ("ANY", r["method"]) and re.search(argv[4], r["path"])
                  and (st is None or str(r.get("status")) == st)))
        return 0
    elif cmd == "delegation":
        bad = [r for r in log if re.search(r"/tables(/[^/]+)?$", r["path"]) and
               ((r["method"] == "GET" and re.search(r"/tables/[^/]+$", r["path"])) or
                (r["method"] == "POST" and r["path"].endswith("/tables")))
               and r.get("delegation") != "vended-credentials"]
        why = f"{bad[0]['method']} {bad[0]['path']} without it" if bad else None
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(why or "ok")
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
