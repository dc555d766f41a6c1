"""rest_streaming.py — small checks for tests/integration/rest_streaming.sh.

  ids SCAN FIRST N          SCAN is `floe table scan --columns id` output
                            (NDJSON): prints nothing and exits 0 when it
                            holds exactly the ids FIRST..FIRST+N-1 once
                            each, else prints what is wrong and exits 1
  count LOG REGEX           the number of lines of LOG matching REGEX
  faults LOG                the server log's injected faults, as
                            "kind=count ..." (the note ending a request line)
  files FILES_JSON BUCKET   the s3:// data file paths of a `floe table files
                            --json` listing, one a line as "KEY RECORDS"
                            (KEY inside BUCKET); exits 1 on a path outside
                            the bucket or a delete file
  download BUCKET LIST DIR  downloads each key of LIST ("KEY RECORDS"
                            lines) with boto3 (s3_io.py's client: moto at
                            $S3_ENDPOINT, the AWS_* keys) to DIR, and prints
                            "LOCAL_PATH RECORDS" lines
"""
import json
import re
import sys
from collections import Counter


def ids(scan, first, n):
    first, n = int(first), int(n)
    seen = bytearray(n)
    total = dup = out = 0
    first_dup = first_out = None
    with open(scan) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            total += 1
            try:
                v = json.loads(line)["id"]
            except Exception:
                print(f"unexpected line {line[:200]}")
                return 1
            k = v - first if isinstance(v, int) else -1
            if k < 0 or k >= n:
                out += 1
                first_out = first_out if first_out is not None else v
            elif seen[k]:
                dup += 1
                first_dup = first_dup if first_dup is not None else v
            else:
                seen[k] = 1
    missing = n - sum(seen)
    if total == n and not dup and not out and not missing:
        return 0
    first_missing = next((first + k for k in range(n) if not seen[k]), None)
    print(f"{total} rows for {n} ids: {missing} missing (e.g. {first_missing}), "
          f"{dup} duplicates (e.g. {first_dup}), {out} out of range (e.g. {first_out})")
    return 1


def count(log, regex):
    r = re.compile(regex)
    try:
        with open(log, errors="replace") as f:
            print(sum(1 for line in f if r.search(line)))
    except FileNotFoundError:
        print(0)
    return 0


def faults(log):
    kinds = ("500", "503", "409", "timeout", "after-commit-500")
    c = Counter()
    # "floe: catalog serve: POST /v1/... 503 0ms 503"
    r = re.compile(r"^floe: catalog serve: [A-Z]+ \S+ \d+ \d+ms (\S+)$")
    with open(log, errors="replace") as f:
        for line in f:
            m = r.match(line.rstrip("\n"))
            if m and m.group(1) in kinds:
                c[m.group(1)] += 1
    print(" ".join(f"{k}={c[k]}" for k in kinds))
    return 0


def files(listing, bucket):
    data = json.load(open(listing))
    pre = f"s3://{bucket}/"
    for f in data:
        if int(f.get("content", 0)) != 0:
            print(f"delete file listed: {f['file-path']}", file=sys.stderr)
            return 1
        p = f["file-path"]
        if not p.startswith(pre):
            print(f"not in the bucket: {p}", file=sys.stderr)
            return 1
        print(p[len(pre):], f["record-count"])
    return 0


def download(bucket, listing, outdir):
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import s3_io

    s3 = s3_io.client()
    with open(listing) as f:
        for i, line in enumerate(f):
            key, records = line.split()
            local = os.path.join(outdir, f"{i}.parquet")
            s3.download_file(bucket, key, local)
            print(local, records)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"ids": ids, "count": count, "faults": faults, "files": files, "download": download}.get(cmd)
    if not fn:
        sys.exit(f"unknown command {cmd}")
    sys.exit(fn(*args))


if __name__ == "__main__":
    main()
