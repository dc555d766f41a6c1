#!/usr/bin/python3
"""Reads Iceberg manifest lists and the manifests they name with Debian's
python3-avro (an Avro implementation floe shares no code with) and checks
them against the Iceberg table spec (format version 2, or 1):

  - the header metadata: a manifest list carries snapshot-id,
    parent-snapshot-id (when the snapshot has a parent), sequence-number and
    format-version; a manifest carries schema (a JSON struct), schema-id,
    partition-spec (a JSON array of partition fields), partition-spec-id,
    format-version and content ("data" or "deletes") (v1: schema and
    partition-spec are required, the rest optional);
  - the embedded Avro schema: every record field carries a "field-id", lists
    an "element-id", maps a key and value id, and the fields the spec names
    carry the ids the spec gives them (status 0, data_file 2, file_path 100,
    manifest_path 500, ...); the partition struct's ids are the partition
    spec's field ids;
  - the manifest list's counts agree with the entries of each manifest
    (added/existing/deleted files and rows), and its partition_spec_id and
    content with the manifest's header.

usage: iceberg_avro_check.py [--format-version N] SNAPSHOTS.json
  SNAPSHOTS.json is the output of `floe table snapshots --json`; N is the
  table's format version (default 2).  Prints one
  JSON object: {"errors": [...], "lists": N, "manifests": N, "live": [...]}
  where live holds, per snapshot, its number of manifests and the live
  (status 0 or 1) entries of those as {"snapshot": id, "manifests": n,
  "files": [{"path", "records", "size", "status", "content", "snapshot_id",
  "sequence_number", "partition"}]} (inheritance applied as
  the spec says: a null snapshot id or sequence number of an ADDED entry is
  the manifest's).  Exits 0 when errors is empty, 1 otherwise.
"""
import json
import sys
import warnings
from urllib.parse import urlparse

import avro.datafile
import avro.errors
import avro.io

# Iceberg marks its int-keyed maps (arrays of key/value records) with
# logicalType "map", which Avro readers are meant to ignore.
warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)

MANIFEST_IDS = {
    "status": 0, "snapshot_id": 1, "data_file": 2, "sequence_number": 3, "file_sequence_number": 4,
    "file_path": 100, "file_format": 101, "partition": 102, "record_count": 103, "file_size_in_bytes": 104,
    "column_sizes": 108, "value_counts": 109, "null_value_counts": 110, "lower_bounds": 125,
    "upper_bounds": 128, "key_metadata": 131, "split_offsets": 132, "content": 134, "equality_ids": 135,
    "nan_value_counts": 137, "sort_order_id": 140, "referenced_data_file": 143,
}
MANIFEST_REQUIRED = {
    2: ["status", "snapshot_id", "sequence_number", "file_sequence_number", "data_file", "content", "file_path",
        "file_format", "partition", "record_count", "file_size_in_bytes"],
    1: ["status", "snapshot_id", "data_file", "file_path", "file_format", "partition", "record_count",
        "file_size_in_bytes", "block_size_in_bytes"],
}
V1_ONLY_IDS = {"block_size_in_bytes": 105}
# map field -> (key id, value id); list field -> element id
MANIFEST_MAPS = {"column_sizes": (117, 118), "value_counts": (119, 120), "null_value_counts": (121, 122),
                 "nan_value_counts": (138, 139), "lower_bounds": (126, 127), "upper_bounds": (129, 130)}
MANIFEST_LISTS = {"split_offsets": 133, "equality_ids": 136}

LIST_IDS = {
    "manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502, "added_snapshot_id": 503,
    "added_files_count": 504, "existing_files_count": 505, "deleted_files_count": 506, "partitions": 507,
    "contains_null": 509, "lower_bound": 510, "upper_bound": 511, "added_rows_count": 512,
    "existing_rows_count": 513, "deleted_rows_count": 514, "sequence_number": 515, "min_sequence_number": 516,
    "content": 517, "contains_nan": 518, "key_metadata": 519,
}
LIST_REQUIRED = {
    2: ["manifest_path", "manifest_length", "partition_spec_id", "content", "sequence_number", "min_sequence_number",
        "added_snapshot_id", "added_files_count", "existing_files_count", "deleted_files_count", "added_rows_count",
        "existing_rows_count", "deleted_rows_count"],
    1: ["manifest_path", "manifest_length", "partition_spec_id", "added_snapshot_id"],
}
LIST_LISTS = {"partitions": 508}

errors = []
VERSION = 2


def err(where, msg):
    errors.append(f"{where}: {msg}")


def local_path(uri):
    """Iceberg locations carry file names as they are (Java's Hadoop paths
    and pyiceberg do not percent-decode them), so only the scheme goes."""
    u = urlparse(uri)
    if u.scheme == "file":
        return uri[len("file://"):] if uri.startswith("file://") else uri[len("file:"):]
    if u.scheme == "":
        return uri
    raise ValueError(f"not a local file: {uri}")


def read_avro(uri):
    """(header metadata as str -> str, embedded schema JSON, records)."""
    with open(local_path(uri), "rb") as f:
        reader = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        meta = {k: (v.decode("utf-8") if isinstance(v, bytes) else v) for k, v in reader.meta.items()}
        records = list(reader)
        reader.close()
    return meta, json.loads(meta["avro.schema"]), records


def unwrap(t):
    """The non-null branch of a ["null", T] union."""
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        return rest[0] if len(rest) == 1 else t
    return t


def walk_ids(where, t, seen):
    """Checks that every record field below t carries a field-id, every
    list an element-id, every map its key and value ids; records each
    field's id under its name in `seen` (name -> list of ids)."""
    t = unwrap(t)
    if not isinstance(t, dict):
        return
    kind = t.get("type")
    if kind == "record":
        for f in t["fields"]:
            if "field-id" not in f:
                err(where, f"field {f['name']!r} of record {t.get('name')!r} has no field-id")
            else:
                seen.setdefault(f["name"], []).append(f["field-id"])
            walk_ids(where, f["type"], seen)
    elif kind == "array":
        if t.get("logicalType") == "map":
            # Iceberg's map with non-string keys: an array of key/value records.
            items = unwrap(t["items"])
            names = [f["name"] for f in items.get("fields", [])]
            if names != ["key", "value"]:
                err(where, f"map record {items.get('name')!r} has fields {names}, expected key, value")
            walk_ids(where, items, seen)
        else:
            if "element-id" not in t:
                err(where, f"array {json.dumps(t)[:120]} has no element-id")
            else:
                seen.setdefault("<element>", []).append(t["element-id"])
            walk_ids(where, t["items"], seen)
    elif kind == "map":
        if "key-id" not in t or "value-id" not in t:
            err(where, f"map {json.dumps(t)[:120]} has no key-id/value-id")
        walk_ids(where, t["values"], seen)


def field_of(schema, name):
    """The field `name` in the record schema (searching nested records)."""
    schema = unwrap(schema)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    for f in schema["fields"]:
        if f["name"] == name:
            return f
    for f in schema["fields"]:
        got = field_of(f["type"], name)
        if got:
            return got
    return None


def check_named_ids(where, schema, ids, required, maps, lists):
    for name in required:
        if field_of(schema, name) is None:
            err(where, f"required field {name!r} is missing from the Avro schema")
    for name, fid in ids.items():
        f = field_of(schema, name)
        if f is not None and f.get("field-id") != fid:
            err(where, f"field {name!r} has field-id {f.get('field-id')}, the spec says {fid}")
    for name, (kid, vid) in maps.items():
        f = field_of(schema, name)
        if f is None:
            continue
        t = unwrap(f["type"])
        if t.get("type") == "array" and t.get("logicalType") == "map":
            kv = {x["name"]: x.get("field-id") for x in unwrap(t["items"])["fields"]}
            got = (kv.get("key"), kv.get("value"))
        else:
            got = (t.get("key-id"), t.get("value-id"))
        if got != (kid, vid):
            err(where, f"map {name!r} has key/value ids {got}, the spec says {(kid, vid)}")
    for name, eid in lists.items():
        f = field_of(schema, name)
        if f is None:
            continue
        t = unwrap(f["type"])
        if t.get("element-id") != eid:
            err(where, f"list {name!r} has element-id {t.get('element-id')}, the spec says {eid}")


def check_manifest(uri, mf, snapshot_id):
    where = uri
    meta, schema, records = read_avro(uri)
    required = ["schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"]
    for key in required if VERSION >= 2 else ["schema", "partition-spec"]:
        if key not in meta:
            err(where, f"header key {key!r} is missing")
    if meta.get("format-version", str(VERSION)) != str(VERSION):
        err(where, f"format-version is {meta.get('format-version')!r}, expected '{VERSION}'")
    content = meta.get("content", "data" if VERSION == 1 else None)
    list_content = mf.get("content") or 0
    if content not in ("data", "deletes"):
        err(where, f"content is {content!r}")
    elif (content == "deletes") != (list_content == 1):
        err(where, f"content {content!r} disagrees with the manifest list's content {list_content}")
    try:
        ischema = json.loads(meta.get("schema", "null"))
        if not isinstance(ischema, dict) or ischema.get("type") != "struct":
            err(where, "header schema is not an Iceberg struct")
        spec = json.loads(meta.get("partition-spec", "null"))
        if not isinstance(spec, list):
            err(where, "header partition-spec is not a JSON array of fields")
            spec = []
    except ValueError as e:
        err(where, f"header schema or partition-spec is not JSON: {e}")
        spec = []
    if meta.get("partition-spec-id", str(mf["partition_spec_id"])) != str(mf["partition_spec_id"]):
        err(where, f"partition-spec-id {meta.get('partition-spec-id')!r} but the manifest list says "
                   f"{mf['partition_spec_id']}")
    seen = {}
    walk_ids(where, schema, seen)
    ids = dict(MANIFEST_IDS, **V1_ONLY_IDS) if VERSION == 1 else MANIFEST_IDS
    check_named_ids(where, schema, ids, MANIFEST_REQUIRED[VERSION], MANIFEST_MAPS, MANIFEST_LISTS)
    if VERSION >= 2 and field_of(schema, "block_size_in_bytes") is not None:
        err(where, "block_size_in_bytes must not be written in v2")
    part = field_of(schema, "partition")
    if part is not None:
        pt = unwrap(part["type"])
        got = [(f["name"], f.get("field-id")) for f in pt.get("fields", [])]
        want = [(f["name"], f["field-id"]) for f in spec]
        if got != want:
            err(where, f"partition struct fields {got}, the partition spec says {want}")

    counts = {0: [0, 0], 1: [0, 0], 2: [0, 0]}  # status -> [files, rows]
    live = []
    for r in records:
        st = r["status"]
        df = r["data_file"]
        counts[st][0] += 1
        counts[st][1] += df["record_count"]
        sid = r["snapshot_id"]
        # v1: no sequence numbers; they read as 0.
        seq = r.get("sequence_number", 0 if VERSION == 1 else None)
        mseq = mf.get("sequence_number", 0 if VERSION == 1 else None)
        if st == 1:
            sid = mf["added_snapshot_id"] if sid is None else sid
            seq = mseq if seq is None else seq
        elif sid is None or seq is None:
            err(where, f"entry for {df['file_path']} (status {st}) does not carry its snapshot id and sequence number")
        if st == 1 and sid != mf["added_snapshot_id"]:
            err(where, f"ADDED entry {df['file_path']} has snapshot {sid}, the manifest was added by "
                       f"{mf['added_snapshot_id']}")
        if st != 2:
            live.append({"path": df["file_path"], "records": df["record_count"], "status": st,
                         "snapshot_id": sid, "sequence_number": seq, "content": df.get("content", 0),
                         "partition": df["partition"], "size": df["file_size_in_bytes"]})
    for st, (fc, rc), fk, rk in [(1, counts[1], "added_files_count", "added_rows_count"),
                                 (0, counts[0], "existing_files_count", "existing_rows_count"),
                                 (2, counts[2], "deleted_files_count", "deleted_rows_count")]:
        if VERSION == 1 and (mf.get(fk) is None or mf.get(rk) is None):
            continue  # optional in v1
        if mf[fk] != fc or mf[rk] != rc:
            err(where, f"manifest list says {fk}={mf[fk]} {rk}={mf[rk]}, the manifest has {fc} files, {rc} rows "
                       f"with status {st}")
    return live


def check_list(uri, snap):
    where = uri
    meta, schema, records = read_avro(uri)
    want = {"snapshot-id": str(snap["snapshot-id"]), "format-version": str(VERSION)}
    if VERSION >= 2:
        want["sequence-number"] = str(snap["sequence-number"])
    if "parent-snapshot-id" in snap:
        want["parent-snapshot-id"] = str(snap["parent-snapshot-id"])
    elif meta.get("parent-snapshot-id") not in (None, "null"):
        err(where, f"parent-snapshot-id {meta['parent-snapshot-id']!r} for a snapshot without a parent")
    for k, v in want.items():
        if meta.get(k) != v:
            err(where, f"header {k} is {meta.get(k)!r}, expected {v!r}")
    seen = {}
    walk_ids(where, schema, seen)
    check_named_ids(where, schema, LIST_IDS, LIST_REQUIRED[VERSION], {}, LIST_LISTS)
    files = []
    for mf in records:
        if VERSION >= 2 and mf["sequence_number"] > snap["sequence-number"]:
            err(where, f"manifest {mf['manifest_path']} has sequence number {mf['sequence_number']} beyond the "
                       f"snapshot's {snap['sequence-number']}")
        files += check_manifest(mf["manifest_path"], mf, snap["snapshot-id"])
    return len(records), files


def main(argv):
    global VERSION
    if len(argv) == 4 and argv[1] == "--format-version":
        VERSION = int(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 2 or VERSION not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        snapshots = json.load(f)
    out = {"lists": 0, "manifests": 0, "live": []}
    for s in snapshots:
        if "manifest-list" not in s:
            err(f"snapshot {s['snapshot-id']}", "has no manifest-list")
            continue
        try:
            n, files = check_list(s["manifest-list"], s)
        except Exception as e:  # a file python3-avro cannot read is a finding, not a crash
            err(s["manifest-list"], f"{type(e).__name__}: {e}")
            continue
        out["lists"] += 1
        out["manifests"] += n
        out["live"].append({"snapshot": s["snapshot-id"], "manifests": n, "files": files})
    out["errors"] = errors
    json.dump(out, sys.stdout, default=lambda b: b.hex() if isinstance(b, bytes) else str(b))
    print()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
