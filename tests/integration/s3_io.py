"""s3_io.py — boto3 and moto helpers for tests/integration/s3_io.sh.

  setup ENDPOINT BUCKET        create an IAM user with an access key and an
                               s3:* policy, and the bucket: exactly four
                               actions, the ones moto lets through unsigned
                               (INITIAL_NO_AUTH_ACTION_COUNT=4); prints
                               "KEY SECRET"
  keys BUCKET                  every key of the bucket, one a line
  download BUCKET KEY FILE     one object to a local file
  etag BUCKET KEY              the object's ETag (a multipart upload's ends
                               in -N, N the number of parts)
  uploads BUCKET               multipart uploads in progress, one a line
  gen-ndjson FILE N            N records with incompressible strings
  same-rows INPUT SCAN         the scan's rows equal the input's (by id)
  flaky PORTFILE FAILS CODE    an HTTP server on 127.0.0.1 that answers the
                               first FAILS requests with 503 and an S3 error
                               CODE, then GETs with "ok"; writes its port to
                               PORTFILE, serves until killed

The boto3 client signs with the credentials in AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY against $S3_ENDPOINT.
"""
import base64
import json
import os
import random
import sys


def client(service="s3"):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=os.environ["S3_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "setup"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "setup"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def setup(endpoint, bucket):
    os.environ["S3_ENDPOINT"] = endpoint
    iam = client("iam")
    iam.create_user(UserName="floe")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="floe", PolicyName="s3-all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="floe")["AccessKey"]
    client().create_bucket(Bucket=bucket)
    print(key["AccessKeyId"], key["SecretAccessKey"])


def keys(bucket):
    # No prefix: moto checks the signature of a prefix with '/' against its
    # decoded form and refuses botocore's (and floe's) correct one.
    s3 = client()
    token = None
    while True:
        kw = {"Bucket": bucket}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(**kw)
        for o in page.get("Contents", []):
            print(o["Key"])
        if not page.get("IsTruncated"):
            break
        token = page["NextContinuationToken"]


def gen_ndjson(path, n):
    rnd = random.Random(7)
    with open(path, "w") as f:
        for i in range(n):
            payload = base64.b64encode(rnd.randbytes(192)).decode()
            f.write(json.dumps({"id": i, "payload": payload, "x": i * 0.5}) + "\n")


def same_rows(inp, scan):
    want = {}
    for line in open(inp):
        r = json.loads(line)
        want[r["id"]] = r
    got = {}
    for line in open(scan):
        r = json.loads(line)
        got[r["id"]] = r
    if len(got) != len(want):
        print(f"{len(got)} rows scanned, {len(want)} ingested")
        return 1
    for k, r in want.items():
        g = got.get(k)
        if g is None or g["payload"] != r["payload"] or float(g["x"]) != r["x"]:
            print(f"row {k} differs: {g} != {r}")
            return 1
    return 0


def flaky(portfile, fails, code):
    from http.server import BaseHTTPRequestHandler, HTTPServer

    state = {"left": int(fails)}

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            if state["left"] > 0:
                state["left"] -= 1
                body = f"<Error><Code>{code}</Code><Message>try again</Message></Error>".encode()
                self.send_response(503)
            else:
                body = b"ok"
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(*args)
    elif cmd == "keys":
        keys(*args)
    elif cmd == "download":
        client().download_file(args[0], args[1], args[2])
    elif cmd == "etag":
        print(client().head_object(Bucket=args[0], Key=args[1])["ETag"])
    elif cmd == "uploads":
        for u in client().list_multipart_uploads(Bucket=args[0]).get("Uploads", []):
            print(u["Key"], u["UploadId"])
    elif cmd == "gen-ndjson":
        gen_ndjson(args[0], int(args[1]))
    elif cmd == "same-rows":
        sys.exit(same_rows(*args))
    elif cmd == "flaky":
        flaky(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
