#!/usr/bin/env python3
"""Validates JSON documents against a schema of the Iceberg REST catalog's
OpenAPI description (components/schemas), e.g.

    python3 tests/integration/lib/validate_openapi.py TableMetadata a.json b.json
    python3 tests/integration/lib/validate_openapi.py TableRequirement reqs.json

A file holding a JSON array is validated element by element when the schema
is not itself an array schema (a list of updates, a list of requirements).

The OpenAPI file is the one in $FLOE_SHARED/iceberg (default ../shared)
unless --spec PATH is given.  Two OpenAPI conventions are honoured on top
of plain JSON Schema 2020-12:
  - `nullable: true` admits null (the spec uses it for
    assert-ref-snapshot-id's "snapshot-id", where null means "the ref must
    not exist");
  - a `discriminator` with a `mapping` picks the subtype schema by the
    discriminating property, so a requirement is checked against
    AssertRefSnapshotId and not only against the TableRequirement base.

Prints "ok FILE" or "FAIL FILE: ..." per document and exits 0 when all
pass, 1 when one fails, 77 when the Python modules it needs are missing.
"""
import json
import os
import sys

try:
    import yaml
    from jsonschema import Draft202012Validator
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"skip: {e} (needs PyYAML and jsonschema)", file=sys.stderr)
    sys.exit(77)
try:  # jsonschema 4.18 and later resolve $refs through `referencing`
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError:  # older ones (Debian 12's 4.10) through RefResolver
    Registry = None

BASE = "urn:iceberg-rest-openapi"


def nullable_to_type(node):
    """Rewrites OpenAPI's nullable: true into a JSON Schema type list."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for v in node.values():
            nullable_to_type(v)
    elif isinstance(node, list):
        for v in node:
            nullable_to_type(v)


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    nullable_to_type(doc)
    return doc


def make_registry(doc):
    """What resolves "#/components/..." inside the OpenAPI document."""
    if Registry is not None:
        return Registry().with_resource(BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
    from jsonschema import RefResolver
    return RefResolver(base_uri=BASE, referrer=doc, store={BASE: doc})


def validator_for(registry, ref):
    schema = {"$ref": f"{BASE}#{ref}"}
    if Registry is not None:
        return Draft202012Validator(schema, registry=registry)
    return Draft202012Validator(schema, resolver=registry)


def messages(registry, ref, value):
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator_for(registry, ref).iter_errors(value)]


def chosen_branch(doc, schema, value):
    """For an anyOf/oneOf of $refs whose targets pin a property with const
    (TableUpdate's "action"), the branch the value means to be."""
    if not isinstance(value, dict):
        return None
    for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
        ref = alt.get("$ref", "")
        if not ref.startswith("#/components/schemas/"):
            continue
        target = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        consts = {k: v["const"] for k, v in target.get("properties", {}).items()
                  if isinstance(v, dict) and "const" in v}
        if consts and all(value.get(k) == c for k, c in consts.items()):
            return ref.lstrip("#")
    return None


def errors_for(doc, registry, name, value):
    """The validation messages for one value against components/schemas/name."""
    schemas = doc["components"]["schemas"]
    schema = schemas[name]
    out = messages(registry, f"/components/schemas/{name}", value)
    branch = chosen_branch(doc, schema, value)
    if out and branch:
        # "not valid under any of the given schemas" says little: say why
        # the branch the value names rejects it.
        out = messages(registry, branch, value) or out
    disc = schema.get("discriminator")
    if disc and "mapping" in disc and isinstance(value, dict):
        prop = disc["propertyName"]
        target = disc["mapping"].get(value.get(prop))
        if target is None:
            out.append(f"{prop} {value.get(prop)!r} is not one of {sorted(disc['mapping'])}")
        else:
            out += messages(registry, target.lstrip("#"), value)
    return out


def main(argv):
    shared = os.environ.get("FLOE_SHARED", os.path.join(os.path.dirname(__file__), "../../../../shared"))
    spec = os.path.join(shared, "iceberg", "rest-catalog-open-api.yaml")
    if len(argv) > 2 and argv[1] == "--spec":
        spec = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    if not os.path.exists(spec):
        print(f"skip: no OpenAPI description at {spec}", file=sys.stderr)
        return 77
    doc = load_spec(spec)
    name = argv[1]
    if name not in doc["components"]["schemas"]:
        print(f"no schema {name!r} in {spec}", file=sys.stderr)
        return 2
    registry = make_registry(doc)
    failed = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
        is_array_schema = doc["components"]["schemas"][name].get("type") == "array"
        values = value if isinstance(value, list) and not is_array_schema else [value]
        problems = []
        for i, v in enumerate(values):
            prefix = f"[{i}] " if values is value else ""
            problems += [prefix + p for p in errors_for(doc, registry, name, v)]
        if problems:
            failed += 1
            print(f"FAIL {path}: " + "; ".join(problems[:10]))
        else:
            print(f"ok {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
