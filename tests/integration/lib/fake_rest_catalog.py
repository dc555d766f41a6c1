#!/usr/bin/env python3
"""A small Iceberg REST catalog for testing REST clients, with fault injection.

    python3 fake_rest_catalog.py --warehouse DIR --port-file F [options]

Serves the routes of the REST catalog's OpenAPI description that a table
client uses (config, OAuth2 tokens, namespaces, tables, commits, renames,
transactions), keeping namespaces and tables in memory and writing each
table's metadata JSON under its location (DIR/<ns>/<table>/metadata/), so
that the metadata-location it answers with is a real file.  Commits check
requirements and apply updates (the subset a writer of appends, schema and
property changes needs; anything else is 400, as the spec says).

Options:
  --auth none | token:SECRET | oauth2:ID:SECRET
  --token-ttl SECONDS      lifetime of issued OAuth2 tokens (expires_in);
                           an expired token is answered with 401 (or 419
                           with --expired-status 419)
  --prefix P               advertise and serve the prefix P
  --warehouse-name NAME    require ?warehouse=NAME on /v1/config
  --no-tx-endpoint         advertise endpoints without transactions/commit
  --idempotency            advertise idempotency-key-lifetime and replay
                           finalised mutations by their Idempotency-Key
  --defaults JSON          extra config defaults (client settings)
  --vended JSON            config returned with load/create when the client
                           sends X-Iceberg-Access-Delegation
  --sigv4 REGION:SERVICE   verify AWS SigV4 signatures (keys from AWS_* env)
  --tls CERT:KEY           serve HTTPS
  --log FILE               one JSON line per request: method, path, query,
                           selected headers (Authorization only as a flag),
                           body, status

Faults come through POST /_control (JSON), e.g.
  {"faults":[{"method":"POST","path":"/tables/[^/]+$","status":503,"times":2}]}
A fault matches on method and a regex searched in the path; it fires
`times` times (default 1) after skipping `skip` matches.  Kinds:
  "status": N            answer N without doing anything
  "status": N, "after": true   do the work, then answer N (commit state unknown)
  "close": true [, "after": true]   close the connection without an answer
  "delay": SECONDS       sleep first (a client timeout)
  "retry_after": S       add Retry-After: S
Other controls: {"expire_tokens": true} makes every issued token expire now;
{"token_faults": N, "token_status": 503, "token_skip": K} fails the next N
token requests after letting K through;
GET /_stats gives counters (requests, tokens issued, per-path counts).
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

LOCK = threading.RLock()
STATE = {
    "namespaces": {},   # tuple(levels) -> props
    "tables": {},       # (tuple(ns), name) -> {"metadata":..., "location": metadata file}
    "faults": [],
    "tokens": {},       # token -> expiry time
    "token_faults": 0,
    "token_skip": 0,
    "token_status": 503,
    "idem": {},         # key -> (status, body)
    "stats": {"requests": 0, "tokens_issued": 0, "token_requests": 0, "paths": {}},
}
ARGS = None
SEP = "\x1f"


def now_ms():
    return int(time.time() * 1000)


def err_body(code, typ, msg):
    return {"error": {"message": msg, "type": typ, "code": code}}


class Fail(Exception):
    def __init__(self, code, typ, msg):
        super().__init__(msg)
        self.code, self.typ, self.msg = code, typ, msg


def ns_of(seg):
    return tuple(urllib.parse.unquote(seg).replace("%1F", SEP).split(SEP))


# ---- metadata ---------------------------------------------------------------------------

def max_field_id(t):
    m = 0
    if isinstance(t, dict):
        for f in t.get("fields", []):
            m = max(m, f.get("id", 0), max_field_id(f.get("type")))
        for k in ("element-id", "key-id", "value-id"):
            if k in t:
                m = max(m, t[k])
        for k in ("element", "key", "value"):
            if k in t:
                m = max(m, max_field_id(t[k]))
    return m


def new_metadata(location, schema, spec, order, props):
    schema = dict(schema)
    schema["schema-id"] = 0
    spec = dict(spec or {"fields": []})
    spec["spec-id"] = 0
    fields = []
    next_id = 1000
    for f in spec.get("fields", []):
        f = dict(f)
        if "field-id" not in f:
            f["field-id"] = next_id
        next_id = max(next_id, f["field-id"] + 1)
        fields.append(f)
    spec["fields"] = fields
    order = dict(order or {"order-id": 0, "fields": []})
    props = {k: v for k, v in (props or {}).items() if k != "format-version"}
    return {
        "format-version": 2, "table-uuid": str(uuid.uuid4()), "location": location,
        "last-sequence-number": 0, "last-updated-ms": now_ms(), "last-column-id": max_field_id(schema),
        "current-schema-id": 0, "schemas": [schema], "default-spec-id": 0, "partition-specs": [spec],
        "last-partition-id": max([f["field-id"] for f in fields] + [999]),
        "default-sort-order-id": order.get("order-id", 0), "sort-orders": [order], "properties": props,
        "current-snapshot-id": -1, "refs": {}, "snapshots": [], "snapshot-log": [], "metadata-log": [],
    }


def check_requirements(md, reqs):
    for r in reqs:
        t = r.get("type")
        if t == "assert-create":
            if md is not None:
                raise Fail(409, "CommitFailedException", "Requirement failed: table already exists")
            continue
        if md is None:
            raise Fail(404, "NoSuchTableException", "Table does not exist")
        if t == "assert-table-uuid":
            if md["table-uuid"] != r["uuid"]:
                raise Fail(409, "CommitFailedException", "Requirement failed: UUID does not match")
        elif t == "assert-ref-snapshot-id":
            ref = md["refs"].get(r["ref"])
            want = r.get("snapshot-id")
            have = ref["snapshot-id"] if ref else None
            if want != have:
                raise Fail(409, "CommitFailedException",
                           f"Requirement failed: branch {r['ref']} has changed: expected id {want} != {have}")
        elif t in ("assert-current-schema-id", "assert-last-assigned-field-id", "assert-default-spec-id",
                   "assert-last-assigned-partition-id", "assert-default-sort-order-id"):
            key = {"assert-current-schema-id": ("current-schema-id", "current-schema-id"),
                   "assert-last-assigned-field-id": ("last-column-id", "last-assigned-field-id"),
                   "assert-default-spec-id": ("default-spec-id", "default-spec-id"),
                   "assert-last-assigned-partition-id": ("last-partition-id", "last-assigned-partition-id"),
                   "assert-default-sort-order-id": ("default-sort-order-id", "default-sort-order-id")}[t]
            if md[key[0]] != r[key[1]]:
                raise Fail(409, "CommitFailedException", f"Requirement failed: {key[1]} changed")
        else:
            raise Fail(400, "BadRequestException", f"unknown requirement type {t!r}")


def empty_metadata(upds):
    # What a create transaction (assert-create) builds on, as Java's
    # TableMetadata.buildFromEmpty: the updates fill in the rest.
    fv = next((u["format-version"] for u in upds if u.get("action") == "upgrade-format-version"), 2)
    return {
        "format-version": fv, "table-uuid": str(uuid.uuid4()), "location": None,
        "last-sequence-number": 0, "last-updated-ms": now_ms(), "last-column-id": 0,
        "current-schema-id": -1, "schemas": [], "default-spec-id": -1, "partition-specs": [],
        "last-partition-id": 999, "default-sort-order-id": -1, "sort-orders": [], "properties": {},
        "current-snapshot-id": -1, "refs": {}, "snapshots": [], "snapshot-log": [], "metadata-log": [],
    }


def apply_updates(md, upds):
    created = md is None
    md = empty_metadata(upds) if created else json.loads(json.dumps(md))
    last = {"schema": None, "spec": None, "order": None}
    for u in upds:
        a = u.get("action")
        if a == "assign-uuid":
            md["table-uuid"] = u["uuid"]
        elif a == "upgrade-format-version":
            md["format-version"] = u["format-version"]
        elif a == "add-schema":
            s = dict(u["schema"])
            ids = [x["schema-id"] for x in md["schemas"]]
            s["schema-id"] = max(ids) + 1 if ids else 0
            md["schemas"].append(s)
            md["last-column-id"] = max(md["last-column-id"], u.get("last-column-id", 0), max_field_id(s))
            last["schema"] = s["schema-id"]
        elif a == "set-current-schema":
            sid = u["schema-id"]
            md["current-schema-id"] = last["schema"] if sid == -1 else sid
        elif a == "add-spec":
            s = dict(u["spec"])
            s["spec-id"] = max([x["spec-id"] for x in md["partition-specs"]], default=-1) + 1
            md["partition-specs"].append(s)
            md["last-partition-id"] = max([md["last-partition-id"]] + [f["field-id"] for f in s["fields"]])
            last["spec"] = s["spec-id"]
        elif a == "set-default-spec":
            sid = u["spec-id"]
            md["default-spec-id"] = last["spec"] if sid == -1 else sid
        elif a == "add-sort-order":
            o = dict(u["sort-order"])
            o["order-id"] = (max([x["order-id"] for x in md["sort-orders"]], default=0) + 1) if o.get("fields") else 0
            md["sort-orders"].append(o)
            last["order"] = o["order-id"]
        elif a == "set-default-sort-order":
            oid = u["sort-order-id"]
            md["default-sort-order-id"] = last["order"] if oid == -1 else oid
        elif a == "add-snapshot":
            s = u["snapshot"]
            if any(x["snapshot-id"] == s["snapshot-id"] for x in md["snapshots"]):
                raise Fail(400, "BadRequestException", "snapshot id already exists")
            if s.get("sequence-number", 0) <= md["last-sequence-number"]:
                raise Fail(409, "CommitFailedException", "sequence number is not above last-sequence-number")
            md["snapshots"].append(s)
            md["last-sequence-number"] = s.get("sequence-number", md["last-sequence-number"])
        elif a == "set-snapshot-ref":
            ref = {"snapshot-id": u["snapshot-id"], "type": u["type"]}
            for k in ("min-snapshots-to-keep", "max-snapshot-age-ms", "max-ref-age-ms"):
                if k in u:
                    ref[k] = u[k]
            md["refs"][u["ref-name"]] = ref
            if u["ref-name"] == "main":
                md["current-snapshot-id"] = u["snapshot-id"]
                md["snapshot-log"].append({"timestamp-ms": now_ms(), "snapshot-id": u["snapshot-id"]})
        elif a == "remove-snapshot-ref":
            md["refs"].pop(u["ref-name"], None)
            if u["ref-name"] == "main":
                md["current-snapshot-id"] = -1
        elif a == "remove-snapshots":
            gone = set(u["snapshot-ids"])
            md["snapshots"] = [x for x in md["snapshots"] if x["snapshot-id"] not in gone]
        elif a == "set-location":
            md["location"] = u["location"]
        elif a == "set-properties":
            md["properties"].update(u["updates"])
        elif a == "remove-properties":
            for k in u["removals"]:
                md["properties"].pop(k, None)
        else:
            raise Fail(400, "BadRequestException", f"unknown update action {a!r}")
    md["last-updated-ms"] = now_ms()
    if created and (not md["location"] or not md["schemas"] or not md["partition-specs"] or not md["sort-orders"]):
        raise Fail(400, "BadRequestException", "create transaction: the updates leave the table incomplete")
    return md


def write_metadata(md, previous):
    loc = md["location"]
    path = loc[7:] if loc.startswith("file://") else loc
    d = os.path.join(path, "metadata")
    os.makedirs(d, exist_ok=True)
    version = 0
    if previous:
        m = re.match(r"(\d+)-", os.path.basename(previous))
        version = int(m.group(1)) + 1 if m else 1
        md["metadata-log"].append({"timestamp-ms": now_ms(), "metadata-file": previous})
    f = os.path.join(d, f"{version:05d}-{uuid.uuid4()}.metadata.json")
    with open(f, "w") as fh:
        json.dump(md, fh)
    return ("file://" + f) if loc.startswith("file://") else f


# ---- SigV4 ------------------------------------------------------------------------------------

def sigv4_check(method, raw_path, query, headers, body):
    auth = headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m:
        return "no SigV4 Authorization header"
    key_id, day, region, service, signed, sig = m.groups()
    want_region, want_service = ARGS.sigv4.split(":")
    if key_id != os.environ.get("AWS_ACCESS_KEY_ID") or region != want_region or service != want_service:
        return f"wrong credential scope {key_id}/{region}/{service}"
    names = signed.split(";")
    canon_headers = "".join(f"{n}:{' '.join(headers.get(n, '').split())}\n" for n in names)
    q = urllib.parse.parse_qsl(query, keep_blank_values=True)
    canon_query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                           for k, v in sorted(q))
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = "\n".join([method, raw_path, canon_query, canon_headers, signed, payload])
    amz_date = headers.get("x-amz-date", "")
    scope = f"{day}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])

    def h(k, msg):
        return hmac.new(k, msg.encode(), hashlib.sha256).digest()
    k = h(("AWS4" + os.environ.get("AWS_SECRET_ACCESS_KEY", "")).encode(), day)
    k = h(h(h(k, region), service), "aws4_request")
    good = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if good != sig:
        return "signature mismatch"
    tok = os.environ.get("AWS_SESSION_TOKEN")
    if tok and headers.get("x-amz-security-token") != tok:
        return "session token missing"
    return None


# ---- HTTP ---------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def send(self, status, body=None, extra=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (extra or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else 0))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)
        self.status = status

    def handle_any(self, method):
        self.status = None
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        self._raw = raw
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, url.query
        qs = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        rec = {"method": method, "path": path, "query": qs,
               "idempotency_key": self.headers.get("Idempotency-Key"),
               "delegation": self.headers.get("X-Iceberg-Access-Delegation"),
               "authorization": bool(self.headers.get("Authorization")),
               "content_type": self.headers.get("Content-Type"),
               "user_agent": self.headers.get("User-Agent")}
        try:
            rec["body"] = json.loads(raw) if raw and not path.endswith("/oauth/tokens") else None
        except ValueError:
            rec["body"] = "<not json>"
        if path.endswith("/oauth/tokens"):
            form = dict(urllib.parse.parse_qsl(raw.decode()))
            rec["form_keys"] = sorted(form)
            rec["grant_type"] = form.get("grant_type")
            rec["scope"] = form.get("scope")
        try:
            self.route(method, path, qs, raw, rec)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            rec["status"] = self.status
            with LOCK:
                STATE["stats"]["requests"] += 1
                key = f"{method} {path}"
                STATE["stats"]["paths"][key] = STATE["stats"]["paths"].get(key, 0) + 1
                if ARGS.log and not path.startswith("/_"):
                    with open(ARGS.log, "a") as f:
                        f.write(json.dumps(rec) + "\n")

    def take_fault(self, method, path):
        with LOCK:
            for f in STATE["faults"]:
                if f.get("method", method) != method or not re.search(f.get("path", ""), path):
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                if f.get("times", 1) <= 0:
                    continue
                f["times"] = f.get("times", 1) - 1
                return dict(f)
        return None

    def close_now(self):
        self.close_connection = True
        self.status = "closed"
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def route(self, method, path, qs, raw, rec):
        if path == "/_control":
            c = json.loads(raw or b"{}")
            with LOCK:
                if "faults" in c:
                    STATE["faults"] = c["faults"]
                if c.get("expire_tokens"):
                    for t in STATE["tokens"]:
                        STATE["tokens"][t] = 0
                if "token_faults" in c:
                    STATE["token_faults"] = c["token_faults"]
                    STATE["token_skip"] = c.get("token_skip", 0)
                    STATE["token_status"] = c.get("token_status", 503)
            return self.send(200, {"ok": True})
        if path == "/_stats":
            with LOCK:
                return self.send(200, STATE["stats"])
        if path == "/v1/oauth/tokens" and method == "POST":
            return self.token(raw)
        fault = self.take_fault(method, path)
        if fault and fault.get("delay"):
            time.sleep(fault["delay"])
        if fault and not fault.get("after") and (fault.get("status") or fault.get("close")):
            if fault.get("close"):
                return self.close_now()
            extra = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else None
            return self.send(fault["status"], err_body(fault["status"], fault.get("type", "ServiceFailureException"),
                                                       fault.get("message", "injected failure")), extra)
        problem = self.auth_problem(method, path, qs)
        if problem:
            return self.send(problem[0], err_body(problem[0], "NotAuthorizedException", problem[1]))
        key = self.headers.get("Idempotency-Key")
        if ARGS.idempotency and key and method in ("POST", "DELETE"):
            with LOCK:
                if key in STATE["idem"]:
                    st, body = STATE["idem"][key]
                    return self.send(st, body)
        try:
            with LOCK:
                status, body = self.dispatch(method, path, qs, raw)
        except Fail as e:
            status, body = e.code, err_body(e.code, e.typ, e.msg)
        if ARGS.idempotency and key and method in ("POST", "DELETE") and status < 500:
            with LOCK:
                STATE["idem"][key] = (status, body)
        if fault and fault.get("after"):
            if fault.get("close"):
                return self.close_now()
            return self.send(fault["status"], err_body(fault["status"], "CommitStateUnknownException",
                                                       "injected failure after the commit applied"))
        extra = {}
        if body is not None and isinstance(body, dict) and "metadata" in body:
            extra["ETag"] = '"' + hashlib.sha1(json.dumps(body["metadata"]).encode()).hexdigest() + '"'
        self.send(status, body, extra)

    def token(self, raw):
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        with LOCK:
            STATE["stats"]["token_requests"] += 1
            if STATE["token_skip"] > 0:
                STATE["token_skip"] -= 1
            elif STATE["token_faults"] > 0:
                STATE["token_faults"] -= 1
                return self.send(STATE["token_status"], {"error": "temporarily_unavailable",
                                                         "error_description": "injected token failure"})
        if not ARGS.auth.startswith("oauth2:"):
            return self.send(400, {"error": "unsupported_grant_type"})
        _, cid, secret = ARGS.auth.split(":", 2)
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != cid or \
                form.get("client_secret") != secret:
            return self.send(401, {"error": "invalid_client", "error_description": "unknown client or bad secret"})
        tok = "tok-" + uuid.uuid4().hex
        with LOCK:
            STATE["tokens"][tok] = time.time() + ARGS.token_ttl
            STATE["stats"]["tokens_issued"] += 1
        return self.send(200, {"access_token": tok, "token_type": "bearer", "expires_in": ARGS.token_ttl,
                               "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})

    def auth_problem(self, method, path, qs):
        if ARGS.sigv4:
            if path == "/v1/config":
                return None  # the client signs once it has the merged settings
            url = urllib.parse.urlsplit(self.path)
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            hdrs["Authorization"] = self.headers.get("Authorization", "")
            why = sigv4_check(method, url.path, url.query, hdrs, self._raw)
            if why:
                return (403, f"SigV4: {why}")
            return None
        if ARGS.auth == "none":
            return None
        h = self.headers.get("Authorization", "")
        if not h.startswith("Bearer "):
            return (401, "missing bearer token")
        tok = h[7:]
        if ARGS.auth.startswith("token:"):
            return None if tok == ARGS.auth[6:] else (401, "invalid token")
        with LOCK:
            exp = STATE["tokens"].get(tok)
        if exp is None:
            return (401, "unknown token")
        if exp < time.time():
            return (ARGS.expired_status, "token expired")
        return None

    # ---- the catalog ----------------------------------------------------------------------

    def dispatch(self, method, path, qs, raw):
        body = json.loads(raw) if raw else None
        if path == "/v1/config" and method == "GET":
            if ARGS.warehouse_name and qs.get("warehouse") != ARGS.warehouse_name:
                raise Fail(404, "NoSuchWarehouseException", f"warehouse {qs.get('warehouse')!r} not found")
            return 200, config()
        prefix = "/v1/" + (ARGS.prefix + "/" if ARGS.prefix else "")
        if not path.startswith(prefix):
            raise Fail(404, "NotFoundException", f"no route {path}")
        parts = path[len(prefix):].split("/")
        st = STATE
        if parts == ["namespaces"]:
            if method == "GET":
                parent = ns_of(qs["parent"]) if qs.get("parent") else ()
                if parent and parent not in st["namespaces"]:
                    raise Fail(404, "NoSuchNamespaceException", f"Namespace does not exist: {'.'.join(parent)}")
                kids = sorted({ns[:len(parent) + 1] for ns in st["namespaces"]
                               if len(ns) > len(parent) and ns[:len(parent)] == parent})
                return page(qs, [list(k) for k in kids], "namespaces")
            if method == "POST":
                ns = tuple(body["namespace"])
                if ns in st["namespaces"]:
                    raise Fail(409, "AlreadyExistsException", f"Namespace already exists: {'.'.join(ns)}")
                st["namespaces"][ns] = dict(body.get("properties") or {})
                return 200, {"namespace": list(ns), "properties": st["namespaces"][ns]}
        if len(parts) >= 2 and parts[0] == "namespaces":
            ns = ns_of(parts[1])
            if ns not in st["namespaces"]:
                raise Fail(404, "NoSuchNamespaceException", f"Namespace does not exist: {'.'.join(ns)}")
            if len(parts) == 2:
                if method == "GET":
                    return 200, {"namespace": list(ns), "properties": st["namespaces"][ns]}
                if method == "HEAD":
                    return 204, None
                if method == "DELETE":
                    if any(k[0] == ns for k in st["tables"]) or \
                            any(len(o) > len(ns) and o[:len(ns)] == ns for o in st["namespaces"]):
                        raise Fail(409, "NamespaceNotEmptyException", f"Namespace {'.'.join(ns)} is not empty")
                    del st["namespaces"][ns]
                    return 204, None
            if len(parts) == 3 and parts[2] == "properties" and method == "POST":
                props = st["namespaces"][ns]
                upd, rem = body.get("updates") or {}, body.get("removals") or []
                if set(upd) & set(rem):
                    raise Fail(422, "UnprocessableEntityException", "a key is both updated and removed")
                missing = [k for k in rem if k not in props]
                for k in rem:
                    props.pop(k, None)
                props.update(upd)
                return 200, {"updated": sorted(upd), "removed": [k for k in rem if k not in missing],
                             "missing": missing or None}
            if len(parts) == 3 and parts[2] == "tables":
                if method == "GET":
                    names = sorted(n for (tns, n) in st["tables"] if tns == ns)
                    return page(qs, [{"namespace": list(ns), "name": n} for n in names], "identifiers")
                if method == "POST":
                    return self.create_table(ns, body)
            if len(parts) == 4 and parts[2] == "tables":
                name = urllib.parse.unquote(parts[3])
                key = (ns, name)
                if method == "POST":
                    return self.commit(key, body)
                if key not in st["tables"]:
                    raise Fail(404, "NoSuchTableException", f"Table does not exist: {'.'.join(ns)}.{name}")
                t = st["tables"][key]
                if method == "HEAD":
                    return 204, None
                if method == "GET":
                    return 200, self.load_result(t)
                if method == "DELETE":
                    del st["tables"][key]
                    return 204, None
        if parts == ["tables", "rename"] and method == "POST":
            src = (tuple(body["source"]["namespace"]), body["source"]["name"])
            dst = (tuple(body["destination"]["namespace"]), body["destination"]["name"])
            if src not in st["tables"]:
                raise Fail(404, "NoSuchTableException", "Table does not exist")
            if dst[0] not in st["namespaces"]:
                raise Fail(404, "NoSuchNamespaceException", "Namespace does not exist")
            if dst in st["tables"]:
                raise Fail(409, "AlreadyExistsException", "Table already exists")
            st["tables"][dst] = st["tables"].pop(src)
            return 204, None
        if parts == ["transactions", "commit"] and method == "POST" and not ARGS.no_tx_endpoint:
            staged = {}
            for ch in body["table-changes"]:
                key = (tuple(ch["identifier"]["namespace"]), ch["identifier"]["name"])
                t = st["tables"].get(key)
                md = t["metadata"] if t else None
                check_requirements(md, ch["requirements"])
                staged[key] = apply_updates(md, ch["updates"])
            for key, md in staged.items():
                prev = st["tables"][key]["location"] if key in st["tables"] else None
                st["tables"][key] = {"metadata": md, "location": write_metadata(md, prev)}
            return 204, None
        raise Fail(404, "NotFoundException", f"no route {method} {path}")

    def load_result(self, t):
        r = {"metadata-location": t["location"], "metadata": t["metadata"]}
        if ARGS.vended and self.headers.get("X-Iceberg-Access-Delegation") == "vended-credentials":
            r["config"] = json.loads(ARGS.vended)
            r["storage-credentials"] = [{"prefix": t["metadata"]["location"],
                                         "config": {"floe.test.storage-credential": "yes"}}]
        return r

    def create_table(self, ns, body):
        key = (ns, body["name"])
        if key in STATE["tables"]:
            raise Fail(409, "AlreadyExistsException", f"Table already exists: {'.'.join(ns)}.{body['name']}")
        loc = body.get("location") or "file://" + os.path.join(os.path.abspath(ARGS.warehouse), *ns, body["name"])
        md = new_metadata(loc, body["schema"], body.get("partition-spec"), body.get("write-order"),
                          body.get("properties"))
        if body.get("stage-create"):
            return 200, {"metadata-location": None, "metadata": md}
        t = {"metadata": md, "location": write_metadata(md, None)}
        STATE["tables"][key] = t
        return 200, self.load_result(t)

    def commit(self, key, body):
        t = STATE["tables"].get(key)
        if key[0] not in STATE["namespaces"]:
            raise Fail(404, "NoSuchNamespaceException", "Namespace does not exist")
        md = t["metadata"] if t else None
        check_requirements(md, body.get("requirements", []))
        new = apply_updates(md, body.get("updates", []))
        t = {"metadata": new, "location": write_metadata(new, t["location"] if t else None)}
        STATE["tables"][key] = t
        return 200, {"metadata-location": t["location"], "metadata": new}


def page(qs, items, key):
    size = int(qs.get("pageSize") or ARGS.page_size)
    start = int(qs.get("pageToken") or 0)
    chunk = items[start:start + size]
    nxt = str(start + size) if start + size < len(items) else None
    return 200, {key: chunk, "next-page-token": nxt}


def config():
    eps = ["GET /v1/{prefix}/namespaces", "POST /v1/{prefix}/namespaces",
           "GET /v1/{prefix}/namespaces/{namespace}", "HEAD /v1/{prefix}/namespaces/{namespace}",
           "DELETE /v1/{prefix}/namespaces/{namespace}", "POST /v1/{prefix}/namespaces/{namespace}/properties",
           "GET /v1/{prefix}/namespaces/{namespace}/tables", "POST /v1/{prefix}/namespaces/{namespace}/tables",
           "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
           "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
           "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
           "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/tables/rename"]
    if not ARGS.no_tx_endpoint:
        eps.append("POST /v1/{prefix}/transactions/commit")
    defaults = {"rest.retry-min-wait-ms": "20", "rest.retry-max-wait-ms": "200"}
    defaults.update(json.loads(ARGS.defaults or "{}"))
    overrides = {}
    if ARGS.prefix:
        overrides["prefix"] = ARGS.prefix
    c = {"defaults": defaults, "overrides": overrides, "endpoints": eps}
    if ARGS.idempotency:
        c["idempotency-key-lifetime"] = "PT30M"
    return c


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--warehouse", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--auth", default="none")
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--expired-status", type=int, default=401)
    p.add_argument("--prefix", default="")
    p.add_argument("--warehouse-name", default="")
    p.add_argument("--no-tx-endpoint", action="store_true")
    p.add_argument("--idempotency", action="store_true")
    p.add_argument("--defaults", default="")
    p.add_argument("--vended", default="")
    p.add_argument("--sigv4", default="")
    p.add_argument("--tls", default="")
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--log", default="")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if ARGS.tls:
        cert, key = ARGS.tls.split(":")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
