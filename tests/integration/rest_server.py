#!/usr/bin/env python3
"""Validates the HTTP exchanges rest_server.mjs had with `floe catalog serve`
against the Iceberg REST catalog's OpenAPI description:

    python3 tests/integration/rest_server.py EXCHANGES.jsonl

Each line of EXCHANGES.jsonl is one exchange:
    {"method": "POST", "path": "/v1/{prefix}/namespaces", "status": 200,
     "request": "<body text>" | null, "form": {...} | null,
     "response": "<body text>" | null, "requestValid": true | false}
`path` is the spec's path template.  For each exchange:
  - the operation (path, method) must exist in the spec;
  - a JSON request body is validated against the operation's requestBody
    schema, a form body against its x-www-form-urlencoded schema; the
    requirements and updates of a commit also against their discriminated
    subtypes (TableRequirement's mapping, TableUpdate's action).  With
    "requestValid": false the body must FAIL validation (the test sent it
    on purpose to get a 400);
  - the status must be one the operation lists (or its 4XX/5XX range);
  - a response the spec gives content for is validated against that
    schema (IcebergErrorResponse for errors, LoadTableResult, ...); one it
    gives none for (204, 304) must have an empty body, as must any answer
    to HEAD.
Bodies are parsed here, not in JavaScript, so that int64 ids stay exact.
Prints one line per failing exchange and `validated N exchanges, M failed`;
exits 0 when all pass, 1 otherwise, 77 when the modules are missing.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import validate_openapi as vo  # noqa: E402  (exits 77 itself without PyYAML/jsonschema)


def pointer(*parts):
    """A JSON pointer (as vo.messages takes it) to parts of the document."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def str_keys(node):
    """YAML reads `200:` as an integer key; JSON pointers name it "200"."""
    if isinstance(node, dict):
        return {str(k): str_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [str_keys(v) for v in node]
    return node


def follow(doc, node, where):
    """(node, pointer parts) after following $refs from node at `where`."""
    parts = list(where)
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
        node = doc
        for p in parts:
            node = node[p]
    return node, parts


def deep_commit_errors(doc, registry, change):
    """The discriminated checks of one CommitTableRequest's members."""
    out = []
    if not isinstance(change, dict):
        return out
    for i, r in enumerate(change.get("requirements") or []):
        out += [f"requirements[{i}]: {m}" for m in vo.errors_for(doc, registry, "TableRequirement", r)]
    for i, u in enumerate(change.get("updates") or []):
        out += [f"updates[{i}]: {m}" for m in vo.errors_for(doc, registry, "TableUpdate", u)]
    return out


def check(doc, registry, ex):
    problems = []
    path, method, status = ex["path"], ex["method"].lower(), ex["status"]
    item = doc["paths"].get(path)
    op = item.get(method) if item else None
    if op is None:
        return [f"no operation {method.upper()} {path} in the spec"]

    # ---- the request
    body_problems = None
    if ex.get("request") is not None or ex.get("form") is not None:
        rb, rb_where = follow(doc, op.get("requestBody"), ["paths", path, method, "requestBody"])
        if rb is None:
            problems.append("the spec gives this operation no request body")
        else:
            ctype = "application/x-www-form-urlencoded" if ex.get("form") is not None else "application/json"
            if ctype not in rb.get("content", {}):
                problems.append(f"the spec gives no {ctype} request body")
            else:
                try:
                    value = ex["form"] if ex.get("form") is not None else json.loads(ex["request"])
                except ValueError as e:
                    value = None
                    body_problems = [f"request is not JSON: {e}"]
                if body_problems is None:
                    body_problems = vo.messages(registry, pointer(*rb_where, "content", ctype, "schema"), value)
                    if path.endswith("/tables/{table}") and method == "post":
                        body_problems += deep_commit_errors(doc, registry, value)
                    if path.endswith("/transactions/commit") and isinstance(value, dict):
                        for i, ch in enumerate(value.get("table-changes") or []):
                            body_problems += [f"table-changes[{i}].{m}" for m in deep_commit_errors(doc, registry, ch)]
    if ex.get("requestValid", True):
        if body_problems:
            problems.append("request: " + "; ".join(body_problems[:5]))
    elif not body_problems:
        problems.append("request: meant to be invalid, but the spec accepts it")

    # ---- the response
    responses = op.get("responses", {})
    key = str(status)
    if key not in responses:
        key = f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else "default"
    if key not in responses:
        problems.append(f"status {status} is not one the spec lists for {method.upper()} {path}")
        return problems
    resp, resp_where = follow(doc, responses[key], ["paths", path, method, "responses", key])
    content = resp.get("content")
    text = ex.get("response")
    if method == "head":
        # HTTP gives an answer to HEAD no body, whatever the spec lists.
        if text:
            problems.append(f"a HEAD answer came with a body: {text[:100]!r}")
        return problems
    if not content:
        if text:
            problems.append(f"status {status} has no body in the spec, but one came: {text[:100]!r}")
        return problems
    if "application/json" not in content:
        problems.append(f"the spec's {key} response is not JSON")
        return problems
    try:
        value = json.loads(text or "")
    except ValueError as e:
        return problems + [f"response is not JSON ({e}): {(text or '')[:100]!r}"]
    msgs = vo.messages(registry, pointer(*resp_where, "content", "application/json", "schema"), value)
    if msgs:
        problems.append("response: " + "; ".join(msgs[:5]))
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    shared = os.environ.get("FLOE_SHARED",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared"))
    spec = os.path.join(shared, "iceberg", "rest-catalog-open-api.yaml")
    if not os.path.exists(spec):
        print(f"skip: no OpenAPI description at {spec}", file=sys.stderr)
        return 77
    doc = str_keys(vo.load_spec(spec))
    registry = vo.make_registry(doc)
    n = failed = 0
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            ex = json.loads(line)
            n += 1
            problems = check(doc, registry, ex)
            if problems:
                failed += 1
                print(f"FAIL #{n} {ex['method']} {ex.get('url', ex['path'])} -> {ex['status']}: " + " | ".join(problems))
    print(f"validated {n} exchanges, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
