// `floe catalog serve`, the Iceberg REST catalog server, driven by an
// independent client (iceberg-js) and by raw HTTP requests:
//   - iceberg-js: config and prefix, namespaces, properties, create/load/
//     commit/drop tables, ETag revalidation, bearer auth;
//   - raw HTTP: every endpoint with its error cases (400, 401, 403, 404,
//     409, 422), multi-level namespaces (%1F), pagination, stage-create and
//     its create transaction, every requirement (passing and failing) and
//     every update action, multi-table transactions, rename, drop and purge;
//   - every request sent and every response received is validated against
//     the OpenAPI description (rest_server.py), requests sent on purpose to
//     get a 400 must fail that validation;
//   - the store is floe's SQL catalog: a table appended through the server
//     (a snapshot floe wrote elsewhere, committed with add-snapshot; and
//     floe's own REST client ingesting) is read by `floe table scan`, and
//     one floe appends to is seen by the server;
//   - concurrency: clients commit add-snapshot to one table at once,
//     retrying on 409 after reloading: every commit lands exactly once, on
//     SQLite and on PostgreSQL (lib/pg.sh);
//   - faults (--faults): 500, 503, 409, timeout and after-commit-500 all
//     happen and a client that resolves unknown outcomes by reloading still
//     lands every commit exactly once;
//   - auth: static token and OAuth2 client credentials with expiring tokens;
//   - SIGTERM / SIGINT stop the servers cleanly (exit 0, no sanitizer report).
// Ends with `N passed, N failed`.
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { haveFloe, FLOE, ROOT } from './lib/proc.mjs'
import { ok, notOk, check, note, finish } from './lib/tap.mjs'
import { parseJsonBig, stringifyBig } from './lib/json.mjs'
import { warehouse, EVENT_SCHEMA, events, toNdjson, localPath } from './lib/iceberg.mjs'
import { IcebergRestCatalog } from '../oracle/node_modules/iceberg-js/dist/index.mjs'

if (!haveFloe()) {
  notOk('floe binary', `${FLOE} is missing; build it first (make)`)
  finish()
  process.exit()
}

const HERE = path.dirname(fileURLToPath(import.meta.url))
const W = warehouse('floe-rest-server-')
const servers = []

// ---- servers -----------------------------------------------------------------------

// Starts `floe catalog serve` on a free port over W's catalog; resolves
// once it printed its address.
function startServer(name, extra = [], store = { cat: W.cat, wh: W.wh }) {
  const errFile = path.join(W.dir, `${name}.stderr`)
  const errFd = fs.openSync(errFile, 'w')
  const args = ['catalog', 'serve', '--listen', '127.0.0.1:0', '--catalog', store.cat, '--warehouse', store.wh, ...extra]
  const proc = spawn(FLOE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', errFd] })
  fs.closeSync(errFd)
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })))
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${name}: no address after 30 s: ${out}`)), 30000)
    proc.stdout.on('data', (d) => {
      out += d
      const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\n/m.exec(out)
      if (m) {
        clearTimeout(timer)
        const s = {
          name, base: m[1], proc, errFile, exited,
          stderr: () => fs.readFileSync(errFile, 'utf8'),
          async stop(sig = 'SIGTERM') {
            proc.kill(sig)
            const t = setTimeout(() => proc.kill('SIGKILL'), 30000)
            const r = await exited
            clearTimeout(t)
            return r
          },
        }
        servers.push(s)
        resolve(s)
      }
    })
    exited.then((r) => reject(new Error(`${name} exited early (${r.code} ${r.signal}): ${fs.readFileSync(errFile, 'utf8')}`)))
  })
}

// ---- HTTP, recorded for validation ---------------------------------------------------

const exchanges = []

// The spec's path template for a request path.
function templateOf(pathname) {
  const segs = pathname.split('/').slice(2)
  if (segs[0] === 'config') return '/v1/config'
  if (segs[0] === 'oauth') return '/v1/oauth/tokens'
  const rest = ['namespaces', 'tables', 'transactions'].includes(segs[0]) ? segs : segs.slice(1)
  const t = ['/v1/{prefix}']
  if (rest[0] === 'namespaces') {
    t.push('namespaces')
    if (rest.length > 1) t.push('{namespace}')
    if (rest.length > 2) t.push(rest[2])
    if (rest.length > 3) t.push('{table}')
    if (rest.length > 4) t.push(rest[4])
  } else {
    t.push(...rest)
  }
  return t.join('/')
}

function record(method, url, status, request, form, response, requestValid = true) {
  const u = new URL(url)
  exchanges.push({ method, path: templateOf(u.pathname), url: u.pathname + u.search, status, request, form, response, requestValid })
}

// One request.  opts: body (object, serialized with exact int64s, or a
// string), form (object), token, headers, timeoutMs, requestValid.
// Resolves to {status, text, json, headers} or {timedOut: true}.
async function http(base, method, p, opts = {}) {
  const headers = { ...(opts.headers || {}) }
  let body
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(opts.form).toString()
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = typeof opts.body === 'string' ? opts.body : stringifyBig(opts.body)
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`
  const url = base + p
  let res
  try {
    res = await fetch(url, { method, headers, body, signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined })
  } catch (e) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { timedOut: true }
    throw e
  }
  const text = await res.text()
  record(method, url, res.status, opts.form ? null : (body ?? null), opts.form || null, text, opts.requestValid ?? true)
  let json = null
  if (text && (res.headers.get('content-type') || '').includes('json')) {
    try { json = parseJsonBig(text) } catch { json = null }
  }
  return { status: res.status, text, json, headers: res.headers }
}

// A fetch for iceberg-js that records what it sends and gets.
const recordingFetch = async (input, init = {}) => {
  const res = await fetch(input, init)
  const text = await res.clone().text()
  record(init.method || 'GET', String(input), res.status, typeof init.body === 'string' ? init.body : null, null, text)
  return res
}

// "" when the answer is as expected, else why not.
function expect(r, status, type) {
  if (r.timedOut) return 'timed out'
  if (r.status !== status) return `status ${r.status}, expected ${status}: ${r.text.slice(0, 300)}`
  if (type && r.json?.error?.type !== type) return `error type ${r.json?.error?.type}, expected ${type}: ${r.text.slice(0, 300)}`
  if (type && r.json?.error?.code !== BigInt(status)) return `error code ${r.json?.error?.code}, expected ${status}`
  return ''
}

async function step(name, fn) {
  try {
    const why = await fn()
    check(name, why || '')
  } catch (e) {
    notOk(name, e.stack || e)
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const SIMPLE_SCHEMA = {
  type: 'struct', 'schema-id': 0, fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'name', required: false, type: 'string' },
  ],
}
const sameJson = (a, b) => stringifyBig(a) === stringifyBig(b)
const noSnapshot = (md) => md['current-snapshot-id'] === undefined || md['current-snapshot-id'] === null || md['current-snapshot-id'] === -1n

// ---- the main server, with a prefix --------------------------------------------------

let S
try {
  S = await startServer('main', ['--prefix', 'cat1'])
  ok('floe catalog serve starts and prints its address')
} catch (e) {
  notOk('floe catalog serve starts and prints its address', e.message)
  finish()
  process.exit()
}
const B = S.base
const P = `${B}/v1/cat1`   // with the prefix
const V = `${B}/v1`        // without

await step('GET /v1/config: defaults, overrides with the prefix and warehouse, endpoints', async () => {
  const r = await http(B, 'GET', '/v1/config?warehouse=anything')
  if (r.status !== 200) return expect(r, 200)
  const c = r.json
  if (c.overrides.prefix !== 'cat1') return `overrides.prefix is ${c.overrides.prefix}`
  if (!c.overrides.warehouse?.startsWith('file://')) return `overrides.warehouse is ${c.overrides.warehouse}`
  for (const e of ['POST /v1/{prefix}/namespaces/{namespace}/tables/{table}', 'POST /v1/{prefix}/transactions/commit',
    'POST /v1/{prefix}/tables/rename', 'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}'])
    if (!c.endpoints.includes(e)) return `endpoints lack ${e}`
  return ''
})

// ---- iceberg-js -------------------------------------------------------------------------

await step('iceberg-js: namespaces and tables through the advertised prefix', async () => {
  const cat = new IcebergRestCatalog({ baseUrl: B, warehouse: 'wh', fetch: recordingFetch })
  const cfg = await cat.loadConfig()
  if (cfg.overrides.prefix !== 'cat1') return 'loadConfig lost the prefix'
  await cat.createNamespace({ namespace: ['ijs'] }, { properties: { owner: 'js' } })
  if (!(await cat.namespaceExists({ namespace: ['ijs'] }))) return 'namespaceExists(ijs) is false'
  if (await cat.namespaceExists({ namespace: ['nope'] })) return 'namespaceExists(nope) is true'
  const { namespaces } = await cat.listNamespaces()
  if (!namespaces.some((n) => sameJson(n.namespace, ['ijs']))) return `listNamespaces: ${JSON.stringify(namespaces)}`
  const meta = await cat.loadNamespaceMetadata({ namespace: ['ijs'] })
  if (meta.properties.owner !== 'js') return `loadNamespaceMetadata: ${JSON.stringify(meta)}`
  const upd = await cat.updateNamespaceProperties({ namespace: ['ijs'] }, { updates: { a: '1' }, removals: ['owner', 'ghost'] })
  if (!sameJson(upd, { updated: ['a'], removed: ['owner'], missing: ['ghost'] })) return `updateNamespaceProperties: ${JSON.stringify(upd)}`
  const created = await cat.createTable({ namespace: ['ijs'] }, {
    name: 'events', schema: EVENT_SCHEMA,
    'partition-spec': { fields: [{ 'source-id': 2, transform: 'day', name: 'ts_day' }] },
    'write-order': { 'order-id': 1, fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-last' }] },
    properties: { k: 'v' },
  })
  if (created['format-version'] !== 2 || created['partition-specs'][0].fields[0].name !== 'ts_day')
    return `createTable: ${JSON.stringify(created).slice(0, 300)}`
  if (created['default-sort-order-id'] !== 1) return `createTable: default-sort-order-id ${created['default-sort-order-id']}`
  const id = { namespace: ['ijs'], name: 'events' }
  if (!(await cat.tableExists(id))) return 'tableExists is false'
  const { identifiers } = await cat.listTables({ namespace: ['ijs'] })
  if (!sameJson(identifiers, [id])) return `listTables: ${JSON.stringify(identifiers)}`
  const loaded = await cat.loadTableResult(id)
  if (loaded.metadata.properties.k !== 'v' || !loaded['metadata-location']) return 'loadTableResult lacks the property or the location'
  if (!loaded.etag) return 'no ETag on load'
  const again = await cat.loadTableResult(id, { ifNoneMatch: loaded.etag })
  if (again !== null) return 'If-None-Match with the current ETag did not answer 304'
  const committed = await cat.commitTable(id, {
    requirements: [{ type: 'assert-table-uuid', uuid: loaded.metadata['table-uuid'] }, { type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    updates: [{ action: 'set-properties', updates: { x: 'y' } }, { action: 'remove-properties', removals: ['k'] }],
  })
  if (committed.metadata.properties.x !== 'y' || 'k' in committed.metadata.properties) return `commitTable: ${JSON.stringify(committed.metadata.properties)}`
  if (committed['metadata-location'] === loaded['metadata-location']) return 'the commit kept the metadata location'
  const changed = await cat.loadTableResult(id, { ifNoneMatch: loaded.etag })
  if (changed === null) return 'a stale ETag answered 304'
  let conflict = null
  try {
    await cat.commitTable(id, { requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 7 }], updates: [] })
  } catch (e) { conflict = e }
  if (!conflict || conflict.status !== 409 || conflict.icebergType !== 'CommitFailedException') return `failed requirement: ${conflict}`
  let missing = null
  try { await cat.loadTable({ namespace: ['ijs'], name: 'nope' }) } catch (e) { missing = e }
  if (!missing || missing.status !== 404 || missing.icebergType !== 'NoSuchTableException') return `missing table: ${missing}`
  await cat.dropTable(id)
  if (await cat.tableExists(id)) return 'the table exists after dropTable'
  await cat.dropNamespace({ namespace: ['ijs'] })
  if (await cat.namespaceExists({ namespace: ['ijs'] })) return 'the namespace exists after dropNamespace'
  return ''
})

await step('iceberg-js without a warehouse: the unprefixed paths', async () => {
  const cat = new IcebergRestCatalog({ baseUrl: B, fetch: recordingFetch })
  await cat.createNamespace({ namespace: ['plain', 'sub'] })
  const { namespaces } = await cat.listNamespaces({ parent: { namespace: ['plain'] } })
  if (!sameJson(namespaces.map((n) => n.namespace), [['plain', 'sub']])) return `children of plain: ${JSON.stringify(namespaces)}`
  await cat.createTable({ namespace: ['plain', 'sub'] }, { name: 't', schema: SIMPLE_SCHEMA })
  const md = await cat.loadTable({ namespace: ['plain', 'sub'], name: 't' })
  if (!md.location.endsWith('/plain/sub/t')) return `location ${md.location}`
  await cat.dropTable({ namespace: ['plain', 'sub'], name: 't' }, { purge: true })
  await cat.dropNamespace({ namespace: ['plain', 'sub'] })
  return ''
})

// ---- namespaces, raw ---------------------------------------------------------------------

await step('namespaces: create, multi-level (%1F), list with parent, load, HEAD', async () => {
  let r = await http(P, 'POST', '/namespaces', { body: { namespace: ['db'], properties: { owner: 'ops' } } })
  if (r.status !== 200 || !sameJson(r.json, { namespace: ['db'], properties: { owner: 'ops' } })) return expect(r, 200) || r.text
  r = await http(P, 'POST', '/namespaces', { body: { namespace: ['a'] } })
  if (r.status !== 200) return expect(r, 200)
  r = await http(V, 'POST', '/namespaces', { body: { namespace: ['a', 'b'] } })
  if (r.status !== 200) return expect(r, 200)
  r = await http(P, 'GET', '/namespaces')
  if (r.status !== 200) return expect(r, 200)
  const top = r.json.namespaces.map((n) => n.join('.'))
  if (!top.includes('a') || !top.includes('db') || top.includes('a.b')) return `top level: ${top}`
  if ('next-page-token' in r.json) return 'next-page-token without pageToken'
  r = await http(P, 'GET', '/namespaces?parent=a')
  if (!sameJson(r.json?.namespaces, [['a', 'b']])) return `children of a: ${r.text}`
  r = await http(P, 'GET', '/namespaces/a%1Fb')
  if (r.status !== 200 || !sameJson(r.json.namespace, ['a', 'b'])) return expect(r, 200) || r.text
  if (!r.json.properties.location?.endsWith('/a/b')) return `location of a.b: ${r.text}`
  r = await http(P, 'HEAD', '/namespaces/a%1Fb')
  if (r.status !== 204) return `HEAD a.b: ${r.status}`
  r = await http(P, 'HEAD', '/namespaces/nope')
  if (r.status !== 404) return `HEAD nope: ${r.status}`
  return ''
})

await step('namespaces: errors 400 / 404 / 409 / 422 with the spec\'s error types', async () => {
  const checks = [
    [await http(P, 'POST', '/namespaces', { body: { namespace: ['db'] } }), 409, 'AlreadyExistsException'],
    [await http(P, 'POST', '/namespaces', { body: { namespace: 'db' }, requestValid: false }), 400, 'BadRequestException'],
    [await http(P, 'POST', '/namespaces', { body: '{"namespace": ["x"', requestValid: false }), 400, 'BadRequestException'],
    [await http(P, 'POST', '/namespaces', { body: { namespace: ['has.dot'] } }), 400, 'BadRequestException'],
    [await http(P, 'GET', '/namespaces/nope'), 404, 'NoSuchNamespaceException'],
    [await http(P, 'GET', '/namespaces?parent=nope'), 404, 'NoSuchNamespaceException'],
    [await http(P, 'DELETE', '/namespaces/nope'), 404, 'NoSuchNamespaceException'],
    [await http(P, 'DELETE', '/namespaces/a'), 409, 'NamespaceNotEmptyException'],
    [await http(P, 'POST', '/namespaces/db/properties', { body: { updates: { k: '1' }, removals: ['k'] } }), 422, 'UnprocessableEntityException'],
    [await http(P, 'POST', '/namespaces/nope/properties', { body: { updates: { k: '1' } } }), 404, 'NoSuchNamespaceException'],
    [await http(B, 'GET', '/v1/other/namespaces'), 404, 'NotFoundException'],
  ]
  for (const [r, status, type] of checks) {
    const why = expect(r, status, type)
    if (why) return why
  }
  return ''
})

await step('namespaces: properties update reports updated / removed / missing; drop', async () => {
  let r = await http(P, 'POST', '/namespaces/db/properties', { body: { updates: { team: 'x', tier: '1' } } })
  if (r.status !== 200 || !sameJson(r.json, { updated: ['team', 'tier'], removed: [], missing: [] })) return expect(r, 200) || r.text
  r = await http(P, 'POST', '/namespaces/db/properties', { body: { removals: ['tier', 'ghost'] } })
  if (!sameJson(r.json, { updated: [], removed: ['tier'], missing: ['ghost'] })) return r.text
  r = await http(P, 'GET', '/namespaces/db')
  if (r.json.properties.team !== 'x' || 'tier' in r.json.properties) return r.text
  r = await http(P, 'DELETE', '/namespaces/a%1Fb')
  if (r.status !== 204) return expect(r, 204)
  r = await http(P, 'DELETE', '/namespaces/a')
  if (r.status !== 204) return expect(r, 204)
  return ''
})

await step('pagination: pageToken / pageSize / next-page-token', async () => {
  for (const n of ['p1', 'p2', 'p3']) await http(P, 'POST', '/namespaces', { body: { namespace: ['pg', n] } })
  const seen = []
  let token = ''
  for (let i = 0; i < 5; i++) {
    const r = await http(P, 'GET', `/namespaces?parent=pg&pageSize=2&pageToken=${encodeURIComponent(token)}`)
    if (r.status !== 200) return expect(r, 200)
    seen.push(...r.json.namespaces.map((x) => x.join('.')))
    if (r.json['next-page-token'] === null) break
    token = r.json['next-page-token']
  }
  if (seen.join(',') !== 'pg.p1,pg.p2,pg.p3') return `pages gave ${seen}`
  const bad = await http(P, 'GET', '/namespaces?pageToken=zz')
  return expect(bad, 400, 'BadRequestException')
})

// ---- tables, raw -----------------------------------------------------------------------

const tablePath = (ns, t) => `/namespaces/${ns}/tables/${t}`
async function load(base, ns, t, opts = {}) { return http(base, 'GET', tablePath(ns, t), opts) }

await step('tables: create, list, load (ETag, snapshots=refs), HEAD, and their errors', async () => {
  let r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 't1', schema: SIMPLE_SCHEMA, properties: { owner: 'me' } } })
  if (r.status !== 200) return expect(r, 200)
  if (!r.json['metadata-location'] || r.json.metadata.properties.owner !== 'me' || !r.headers.get('etag')) return `create: ${r.text.slice(0, 300)}`
  r = await http(P, 'GET', '/namespaces/db/tables')
  if (!sameJson(r.json?.identifiers, [{ namespace: ['db'], name: 't1' }])) return `list: ${r.text}`
  r = await load(P, 'db', 't1')
  const etag = r.headers.get('etag')
  if (r.status !== 200 || !etag || !sameJson(r.json.config, {})) return expect(r, 200) || r.text.slice(0, 200)
  r = await load(P, 'db', 't1', { headers: { 'If-None-Match': etag } })
  if (r.status !== 304 || r.text !== '') return `If-None-Match: ${r.status}`
  r = await load(P, 'db', 't1?snapshots=refs')
  if (r.status !== 200) return expect(r, 200)
  if ((r.headers.get('etag') || '') === etag) return 'snapshots=refs has the same ETag as all'
  r = await http(P, 'HEAD', tablePath('db', 't1'))
  if (r.status !== 204) return `HEAD: ${r.status}`
  const checks = [
    [await http(P, 'HEAD', tablePath('db', 'nope')), 404, null],
    [await load(P, 'db', 'nope'), 404, 'NoSuchTableException'],
    [await load(P, 'db', 't1?snapshots=some'), 400, 'BadRequestException'],
    [await http(P, 'GET', '/namespaces/nope/tables'), 404, 'NoSuchNamespaceException'],
    [await http(P, 'POST', '/namespaces/db/tables', { body: { name: 't1', schema: SIMPLE_SCHEMA } }), 409, 'AlreadyExistsException'],
    [await http(P, 'POST', '/namespaces/nope/tables', { body: { name: 't', schema: SIMPLE_SCHEMA } }), 404, 'NoSuchNamespaceException'],
    [await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'bad', schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'nonsense' }] } } }), 400, 'BadRequestException'],
    [await http(P, 'POST', '/namespaces/db/tables', { body: { schema: SIMPLE_SCHEMA }, requestValid: false }), 400, 'BadRequestException'],
    [await http(P, 'DELETE', tablePath('db', 'nope')), 404, 'NoSuchTableException'],
    [await http(P, 'POST', tablePath('db', 'nope'), { body: { requirements: [], updates: [] } }), 404, 'NoSuchTableException'],
  ]
  for (const [res, status, type] of checks) {
    const why = expect(res, status, type)
    if (why) return why
  }
  return ''
})

// Every update action and every requirement, on a v1 table upgraded to v2.
await step('commit: every update action applies (v1 table upgraded to v2)', async () => {
  let r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'all', schema: SIMPLE_SCHEMA, properties: { 'format-version': '1', drop: 'me' } } })
  if (r.status !== 200) return expect(r, 200)
  let md = r.json.metadata
  if (md['format-version'] !== 1n) return `created as v${md['format-version']}`
  const uuid = md['table-uuid']
  const newSchema = { type: 'struct', 'schema-id': 1, fields: [...SIMPLE_SCHEMA.fields, { id: 4, name: 'extra', required: false, type: 'int' }] }
  r = await http(P, 'POST', tablePath('db', 'all'), {
    body: {
      identifier: { namespace: ['db'], name: 'all' },
      requirements: [
        { type: 'assert-table-uuid', uuid },
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': md['last-column-id'] },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': md['last-partition-id'] },
        { type: 'assert-default-spec-id', 'default-spec-id': 0 },
        { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
      ],
      updates: [
        { action: 'upgrade-format-version', 'format-version': 2 },
        { action: 'add-schema', schema: newSchema, 'last-column-id': 4 },
        { action: 'set-current-schema', 'schema-id': -1 },
        { action: 'add-spec', spec: { 'spec-id': 1, fields: [{ 'source-id': 1, 'field-id': 1000, transform: 'bucket[4]', name: 'id_bucket' }] } },
        { action: 'set-default-spec', 'spec-id': -1 },
        { action: 'add-sort-order', 'sort-order': { 'order-id': 1, fields: [{ 'source-id': 3, transform: 'identity', direction: 'desc', 'null-order': 'nulls-first' }] } },
        { action: 'set-default-sort-order', 'sort-order-id': -1 },
        { action: 'set-properties', updates: { p1: 'a', p2: 'b' } },
        { action: 'remove-properties', removals: ['p2', 'drop'] },
        { action: 'set-location', location: md.location + '_moved' },
      ],
    },
  })
  if (r.status !== 200) return expect(r, 200)
  md = r.json.metadata
  const want = { 'format-version': 2n, 'current-schema-id': 1n, 'default-spec-id': 1n, 'default-sort-order-id': 1n, 'last-column-id': 4n, 'last-partition-id': 1000n }
  for (const [k, v] of Object.entries(want)) if (md[k] !== v) return `${k} is ${md[k]}, expected ${v}`
  if (md.properties.p1 !== 'a') return `properties ${stringifyBig(md.properties)}`
  if ('p2' in md.properties || 'drop' in md.properties) return `properties ${stringifyBig(md.properties)}`
  if (!md.location.endsWith('/all_moved')) return `location ${md.location}`
  // assign-uuid
  const uuid2 = '0f0e0d0c-0b0a-4908-8706-050403020100'
  r = await http(P, 'POST', tablePath('db', 'all'), { body: { requirements: [{ type: 'assert-table-uuid', uuid }], updates: [{ action: 'assign-uuid', uuid: uuid2 }] } })
  if (r.status !== 200 || r.json.metadata['table-uuid'] !== uuid2) return expect(r, 200) || `uuid ${r.json.metadata['table-uuid']}`
  // add-snapshot, set-snapshot-ref (branch main and a tag)
  const snap = (id, parent, seq) => ({
    'snapshot-id': id, ...(parent ? { 'parent-snapshot-id': parent } : {}), 'sequence-number': seq, 'timestamp-ms': BigInt(Date.now()),
    'manifest-list': `${md.location}/metadata/snap-${id}.avro`, summary: { operation: 'append' }, 'schema-id': 1,
  })
  r = await http(P, 'POST', tablePath('db', 'all'), {
    body: {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [{ action: 'add-snapshot', snapshot: snap(101n, null, 1n) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 101n }],
    },
  })
  if (r.status !== 200 || r.json.metadata['current-snapshot-id'] !== 101n) return expect(r, 200) || 'main is not 101'
  r = await http(P, 'POST', tablePath('db', 'all'), {
    body: {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 101n }],
      updates: [{ action: 'add-snapshot', snapshot: snap(102n, 101n, 2n) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 102n },
        { action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 101n, 'max-ref-age-ms': 86400000 }],
    },
  })
  if (r.status !== 200) return expect(r, 200)
  md = r.json.metadata
  if (md['current-snapshot-id'] !== 102n || md.refs.v1?.type !== 'tag' || md.refs.v1['snapshot-id'] !== 101n) return `refs ${stringifyBig(md.refs)}`
  // remove-snapshot-ref, remove-snapshots
  r = await http(P, 'POST', tablePath('db', 'all'), {
    body: { requirements: [{ type: 'assert-ref-snapshot-id', ref: 'v1', 'snapshot-id': 101n }], updates: [{ action: 'remove-snapshot-ref', 'ref-name': 'v1' }, { action: 'remove-snapshots', 'snapshot-ids': [101n] }] },
  })
  if (r.status !== 200) return expect(r, 200)
  md = r.json.metadata
  if (md.refs.v1 || md.snapshots.length !== 1 || md.snapshots[0]['snapshot-id'] !== 102n) return `after removals: refs ${stringifyBig(md.refs)}, ${md.snapshots.length} snapshots`
  // What the server answered is what a load sees, and what floe reads.
  const again = await load(P, 'db', 'all')
  if (!sameJson(again.json.metadata, md)) return 'a load after the commits differs from the commit answer'
  const desc = W.json(['table', 'describe', 'db.all'])
  if (desc['current-snapshot-id'] !== 102n || desc['table-uuid'] !== uuid2 || desc['format-version'] !== 2n)
    return `floe table describe: ${stringifyBig(desc).slice(0, 300)}`
  return ''
})

await step('commit: each requirement that does not hold answers 409 CommitFailedException', async () => {
  const md = (await load(P, 'db', 'all')).json.metadata
  const bad = [
    { type: 'assert-create' },
    { type: 'assert-table-uuid', uuid: '00000000-0000-4000-8000-000000000000' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 101n },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
    { type: 'assert-ref-snapshot-id', ref: 'nobranch', 'snapshot-id': 102n },
    { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': md['last-column-id'] + 1n },
    { type: 'assert-current-schema-id', 'current-schema-id': 0 },
    { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
    { type: 'assert-default-spec-id', 'default-spec-id': 0 },
    { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
  ]
  for (const req of bad) {
    const r = await http(P, 'POST', tablePath('db', 'all'), { body: { requirements: [req], updates: [{ action: 'set-properties', updates: { never: 'x' } }] } })
    const why = expect(r, 409, 'CommitFailedException')
    if (why) return `${req.type}: ${why}`
  }
  const after = (await load(P, 'db', 'all')).json.metadata
  if ('never' in after.properties) return 'a failed commit changed the table'
  return ''
})

await step('commit: unknown or malformed requirements and updates answer 400', async () => {
  const cases = [
    { requirements: [{ type: 'assert-nothing' }], updates: [] },
    { requirements: [], updates: [{ action: 'frobnicate' }] },
    { requirements: [], updates: [{ action: 'set-current-schema' }] },
    { requirements: [{ type: 'assert-current-schema-id' }], updates: [] },
  ]
  for (const body of cases) {
    const r = await http(P, 'POST', tablePath('db', 'all'), { body, requestValid: false })
    const why = expect(r, 400, 'BadRequestException')
    if (why) return `${stringifyBig(body)}: ${why}`
  }
  // Valid JSON the model refuses (a schema id that does not exist).
  const r = await http(P, 'POST', tablePath('db', 'all'), { body: { requirements: [], updates: [{ action: 'set-current-schema', 'schema-id': 42 }] } })
  return expect(r, 400, 'BadRequestException')
})

await step('stage-create, then the create transaction commits with assert-create', async () => {
  let r = await http(P, 'POST', '/namespaces/db/tables', {
    body: { name: 'staged', schema: SIMPLE_SCHEMA, 'partition-spec': { fields: [{ 'source-id': 2, transform: 'hour', name: 'ts_hour' }] }, 'stage-create': true, properties: { s: '1' } },
  })
  if (r.status !== 200) return expect(r, 200)
  if (r.json['metadata-location'] !== null) return `staged metadata-location is ${r.json['metadata-location']}`
  const md = r.json.metadata
  if ((await http(P, 'HEAD', tablePath('db', 'staged'))).status !== 404) return 'stage-create created the table'
  const schema = md.schemas[0]
  const spec = md['partition-specs'][0]
  const body = {
    requirements: [{ type: 'assert-create' }],
    updates: [
      { action: 'assign-uuid', uuid: md['table-uuid'] },
      { action: 'upgrade-format-version', 'format-version': md['format-version'] },
      { action: 'add-schema', schema, 'last-column-id': md['last-column-id'] },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': { 'order-id': 0, fields: [] } },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'set-location', location: md.location },
      { action: 'set-properties', updates: { ...md.properties, extra: 'in-tx' } },
      { action: 'add-snapshot', snapshot: { 'snapshot-id': 7n, 'sequence-number': 1n, 'timestamp-ms': BigInt(Date.now()), 'manifest-list': `${md.location}/metadata/snap-7.avro`, summary: { operation: 'append' }, 'schema-id': 0 } },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 7n },
    ],
  }
  r = await http(P, 'POST', tablePath('db', 'staged'), { body })
  if (r.status !== 200) return expect(r, 200)
  const got = r.json.metadata
  if (got['table-uuid'] !== md['table-uuid']) return `uuid ${got['table-uuid']} is not the staged ${md['table-uuid']}`
  if (!sameJson(got.schemas, md.schemas) || !sameJson(got['partition-specs'], md['partition-specs'])) return 'schemas or specs differ from the staged metadata'
  if (got['current-snapshot-id'] !== 7n || got.snapshots?.length !== 1) return `snapshot of the transaction: ${stringifyBig(got.snapshots)}`
  if (got.properties.extra !== 'in-tx' || got.properties.s !== '1' || got.location !== md.location) return `properties/location: ${stringifyBig(got.properties)} ${got.location}`
  if ((await http(P, 'HEAD', tablePath('db', 'staged'))).status !== 204) return 'the table does not exist after the create transaction'
  r = await http(P, 'POST', tablePath('db', 'staged'), { body })
  return expect(r, 409, 'CommitFailedException')
})

await step('POST /v1/transactions/commit: atomic across tables', async () => {
  for (const t of ['tx1', 'tx2']) {
    const r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: t, schema: SIMPLE_SCHEMA } })
    if (r.status !== 200) return expect(r, 200)
  }
  const change = (t, reqs, props) => ({ identifier: { namespace: ['db'], name: t }, requirements: reqs, updates: [{ action: 'set-properties', updates: props }] })
  let r = await http(P, 'POST', '/transactions/commit', { body: { 'table-changes': [change('tx1', [], { round: '1' }), change('tx2', [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }], { round: '1' })] } })
  if (r.status !== 204 || r.text !== '') return expect(r, 204)
  for (const t of ['tx1', 'tx2']) if ((await load(P, 'db', t)).json.metadata.properties.round !== '1') return `${t} did not get round 1`
  r = await http(P, 'POST', '/transactions/commit', { body: { 'table-changes': [change('tx1', [], { round: '2' }), change('tx2', [{ type: 'assert-current-schema-id', 'current-schema-id': 3 }], { round: '2' })] } })
  let why = expect(r, 409, 'CommitFailedException')
  if (why) return why
  for (const t of ['tx1', 'tx2']) if ((await load(P, 'db', t)).json.metadata.properties.round !== '1') return `${t} changed although the transaction failed`
  r = await http(P, 'POST', '/transactions/commit', { body: { 'table-changes': [change('tx1', [], { round: '3' }), change('missing', [], { round: '3' })] } })
  why = expect(r, 404, 'NoSuchTableException')
  if (why) return why
  r = await http(P, 'POST', '/transactions/commit', { body: { 'table-changes': [{ requirements: [], updates: [] }] }, requestValid: true })
  return expect(r, 400, 'BadRequestException')
})

await step('rename: 204, then 404 (table / namespace) and 409', async () => {
  let r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'r1', schema: SIMPLE_SCHEMA } })
  if (r.status !== 200) return expect(r, 200)
  const id = (ns, name) => ({ namespace: ns, name })
  r = await http(P, 'POST', '/tables/rename', { body: { source: id(['db'], 'r1'), destination: id(['db'], 'r2') } })
  if (r.status !== 204) return expect(r, 204)
  if ((await load(P, 'db', 'r2')).status !== 200) return 'r2 does not load after the rename'
  const checks = [
    [await load(P, 'db', 'r1'), 404, 'NoSuchTableException'],
    [await http(P, 'POST', '/tables/rename', { body: { source: id(['db'], 'r1'), destination: id(['db'], 'r3') } }), 404, 'NoSuchTableException'],
    [await http(P, 'POST', '/tables/rename', { body: { source: id(['db'], 'r2'), destination: id(['nope'], 'r2') } }), 404, 'NoSuchNamespaceException'],
    [await http(P, 'POST', '/tables/rename', { body: { source: id(['db'], 'r2'), destination: id(['db'], 't1') } }), 409, 'AlreadyExistsException'],
    [await http(P, 'POST', '/tables/rename', { body: { source: id(['db'], 'r2') }, requestValid: false }), 400, 'BadRequestException'],
  ]
  for (const [res, status, type] of checks) {
    const why = expect(res, status, type)
    if (why) return why
  }
  return ''
})

await step('drop: 204, 404 after; purgeRequested=true deletes the metadata files', async () => {
  let r = await http(P, 'DELETE', tablePath('db', 'r2'))
  if (r.status !== 204) return expect(r, 204)
  r = await http(P, 'DELETE', tablePath('db', 'r2'))
  let why = expect(r, 404, 'NoSuchTableException')
  if (why) return why
  r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'purged', schema: SIMPLE_SCHEMA } })
  const file = localPath(r.json['metadata-location'])
  if (!fs.existsSync(file)) return `no metadata file at ${file}`
  r = await http(P, 'DELETE', tablePath('db', 'purged') + '?purgeRequested=true')
  if (r.status !== 204) return expect(r, 204)
  if (fs.existsSync(file)) return 'the metadata file survived the purge'
  r = await http(P, 'DELETE', tablePath('db', 't1') + '?purgeRequested=maybe')
  return expect(r, 400, 'BadRequestException')
})

await step('metrics reports are accepted (204)', async () => {
  const r = await http(P, 'POST', tablePath('db', 't1') + '/metrics', {
    body: { 'report-type': 'commit-report', 'table-name': 'db.t1', 'snapshot-id': 1, 'sequence-number': 1, operation: 'append', metrics: {} },
  })
  return expect(r, 204)
})

await step('method not allowed answers 405 with Allow', async () => {
  const r = await fetch(`${P}/namespaces/db/properties`, { method: 'GET' })
  await r.text()
  return r.status === 405 && r.headers.get('allow') === 'POST' ? '' : `status ${r.status}, Allow ${r.headers.get('allow')}`
})

// ---- the store is floe's catalog -------------------------------------------------------

await step('a table created and appended through the server is read by floe table scan', async () => {
  // The data files, manifests and manifest list come from floe itself,
  // written into a scratch table with the same schema; the server's table
  // gets that snapshot through add-snapshot + set-snapshot-ref.
  const X = warehouse('floe-rest-scratch-')
  fs.writeFileSync(path.join(X.dir, 'schema.json'), JSON.stringify(EVENT_SCHEMA))
  X.must(['namespace', 'create', 'db'])
  X.must(['table', 'create', 'db.src', '--schema', path.join(X.dir, 'schema.json'), '--partition-by', 'bucket(4, id)'])
  const rows = events(0, 300)
  X.must(['ingest', '--table', 'db.src', '-'], { input: toNdjson(rows) })
  const srcMd = parseJsonBig(fs.readFileSync(localPath(X.describe('db.src')['metadata-location']), 'utf8'))
  const snap = srcMd.snapshots.find((s) => s['snapshot-id'] === srcMd['current-snapshot-id'])
  let r = await http(P, 'POST', '/namespaces/db/tables', {
    body: { name: 'readable', schema: EVENT_SCHEMA, 'partition-spec': { fields: [{ 'source-id': 1, transform: 'bucket[4]', name: 'id_bucket' }] } },
  })
  if (r.status !== 200) return expect(r, 200)
  if (!sameJson(r.json.metadata.schemas, srcMd.schemas) || !sameJson(r.json.metadata['partition-specs'], srcMd['partition-specs']))
    return 'the server made a different schema or spec than floe for the same request'
  r = await http(P, 'POST', tablePath('db', 'readable'), {
    body: {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [{ action: 'add-snapshot', snapshot: snap }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snap['snapshot-id'] }],
    },
  })
  if (r.status !== 200) return expect(r, 200)
  const scan = W.scan('db.readable')
  X.cleanup()
  if (scan.length !== rows.length) return `floe table scan read ${scan.length} rows, expected ${rows.length}`
  const ids = new Set(scan.map((x) => String(x.id)))
  for (const row of rows) if (!ids.has(String(row.id))) return `row ${row.id} is missing from the scan`
  return ''
})

await step('a table floe appends to (same SQL catalog) is seen through the server', async () => {
  let r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'shared', schema: SIMPLE_SCHEMA } })
  if (r.status !== 200) return expect(r, 200)
  W.must(['ingest', '--table', 'db.shared', '-'], { input: '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n' })
  r = await load(P, 'db', 'shared')
  const md = r.json.metadata
  const cur = md.snapshots?.find((s) => s['snapshot-id'] === md['current-snapshot-id'])
  if (!cur) return 'no current snapshot through the server after floe ingest'
  return cur.summary['added-records'] === '2' ? '' : `summary ${stringifyBig(cur.summary)}`
})

await step("floe's own REST client (--catalog http://...) ingests through the server; floe reads it from SQL", async () => {
  const U = `${B}`
  const cli = (args, input) => spawnSync(FLOE, args, { encoding: 'utf8', input, timeout: 120000 })
  let r = cli(['ingest', '--table', 'db.viarest', '--catalog', U, '-'], '{"id":1,"name":"x"}\n{"id":2,"name":"y"}\n{"id":3,"name":"z"}\n')
  if (r.status !== 0) return `floe ingest --catalog ${U}: exit ${r.status}: ${r.stderr.trim().slice(0, 300)}`
  const rows = W.scan('db.viarest')
  if (rows.map((x) => String(x.id)).sort().join(',') !== '1,2,3') return `floe table scan (SQL) read ${stringifyBig(rows)}`
  r = cli(['table', 'scan', 'db.viarest', '--catalog', U])
  if (r.status !== 0 || r.stdout.trim().split('\n').length !== 3) return `floe table scan --catalog ${U}: ${r.status} ${r.stderr.trim().slice(0, 200)}`
  return ''
})

// ---- concurrency ------------------------------------------------------------------------

// One client's commit of snapshot `id`: load, add it on top of main with
// assert-ref-snapshot-id, retry on 409 after reloading; an unknown outcome
// (5xx, timeout) is resolved by reloading and looking for the snapshot.
async function commitSnapshot(base, table, id, stats, timeoutMs) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const r = await load(base, 'db', table, { timeoutMs })
    if (r.timedOut) { stats.timeouts++; continue }
    if (r.status !== 200) { stats.loadErrors++; continue }
    const md = r.json.metadata
    if ((md.snapshots || []).some((s) => s['snapshot-id'] === id)) {
      if (attempt > 0) stats.foundAfterUnknown++
      return
    }
    const head = noSnapshot(md) ? null : md['current-snapshot-id']
    const snapshot = {
      'snapshot-id': id, ...(head === null ? {} : { 'parent-snapshot-id': head }), 'sequence-number': md['last-sequence-number'] + 1n,
      'timestamp-ms': BigInt(Date.now()), 'manifest-list': `${md.location}/metadata/snap-${id}-test.avro`,
      summary: { operation: 'append', 'test.commit': String(id) }, 'schema-id': 0,
    }
    const c = await http(base, 'POST', tablePath('db', table), {
      timeoutMs,
      body: {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': head }],
        updates: [{ action: 'add-snapshot', snapshot }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id }],
      },
    })
    if (c.timedOut) { stats.timeouts++; continue }
    if (c.status === 200) { stats.ok++; return }
    if (c.status === 409) {
      stats.conflicts++
      if (/injected/.test(c.json?.error?.message || '')) stats.injected409++
      continue
    }
    if (c.status >= 500) {
      stats.unknown++
      const t = c.json?.error?.type
      stats.types[`${c.status} ${t}`] = (stats.types[`${c.status} ${t}`] || 0) + 1
      continue
    }
    throw new Error(`commit of ${id}: unexpected ${c.status}: ${c.text.slice(0, 300)}`)
  }
  throw new Error(`commit of ${id}: no success after 500 attempts`)
}

// Checks a table's history holds exactly `ids`, as one line from main.
function checkHistory(md, ids) {
  const byId = new Map((md.snapshots || []).map((s) => [s['snapshot-id'], s]))
  if (byId.size !== ids.length) return `${byId.size} snapshots, expected ${ids.length}`
  const chain = []
  for (let at = md['current-snapshot-id']; at !== undefined && at !== null && byId.has(at); at = byId.get(at)['parent-snapshot-id']) {
    chain.push(at)
    if (chain.length > ids.length) return 'the parent chain loops'
  }
  if (chain.length !== ids.length) return `the chain from main has ${chain.length} snapshots, expected ${ids.length}`
  const want = new Set(ids.map(String))
  for (const id of chain) if (!want.delete(String(id))) return `snapshot ${id} appears twice or was not committed by a client`
  if (want.size) return `missing: ${[...want].slice(0, 5)}`
  const seqs = chain.map((id) => byId.get(id)['sequence-number']).reverse()
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== BigInt(i + 1)) return `sequence numbers ${seqs.slice(0, 10)}... do not count 1..n`
  return ''
}

await step('concurrency: 8 clients x 6 commits to one table, every commit lands exactly once', async () => {
  const r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'conc', schema: SIMPLE_SCHEMA } })
  if (r.status !== 200) return expect(r, 200)
  const stats = { ok: 0, conflicts: 0, injected409: 0, unknown: 0, timeouts: 0, loadErrors: 0, foundAfterUnknown: 0, types: {} }
  const ids = []
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 6; i++) {
      const id = BigInt(10000 + w * 100 + i)
      ids.push(id)
      await commitSnapshot(P, 'conc', id, stats)
    }
  }))
  note(`concurrency: ${stats.ok} commits, ${stats.conflicts} conflicts retried`)
  if (stats.ok !== 48 || stats.unknown || stats.loadErrors) return `stats ${JSON.stringify(stats)}`
  if (stats.conflicts === 0) return 'no commit ever conflicted: the clients did not race'
  return checkHistory((await load(P, 'db', 'conc')).json.metadata, ids)
})

await step('PostgreSQL store: 6 clients x 5 commits through the server, every commit lands exactly once', async () => {
  const pg = spawnSync('bash', ['-c', `source "${path.join(HERE, 'lib/pg.sh')}"; if pg_start floe_rest; then echo "$PG_DIR $PG_URI"; else echo "ERROR $PG_ERROR"; exit 1; fi`], { encoding: 'utf8', timeout: 120000 })
  const [pgDir, pgUri] = pg.stdout.trim().split(' ')
  if (pg.status !== 0 || !pgUri) return `PostgreSQL did not start: ${pg.stdout.trim()} ${pg.stderr.trim().slice(0, 300)}`
  try {
    const G = await startServer('postgres', [], { cat: pgUri, wh: path.join(W.dir, 'pg-warehouse') })
    const base = G.base + '/v1'
    let r = await http(base, 'POST', '/namespaces', { body: { namespace: ['db'] } })
    if (r.status !== 200) return expect(r, 200)
    r = await http(base, 'POST', '/namespaces/db/tables', { body: { name: 'pgconc', schema: SIMPLE_SCHEMA } })
    if (r.status !== 200) return expect(r, 200)
    const stats = { ok: 0, conflicts: 0, injected409: 0, unknown: 0, timeouts: 0, loadErrors: 0, foundAfterUnknown: 0, types: {} }
    const ids = []
    await Promise.all(Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 5; i++) {
        const id = BigInt(20000 + w * 100 + i)
        ids.push(id)
        await commitSnapshot(base, 'pgconc', id, stats)
      }
    }))
    note(`postgres: ${stats.ok} commits, ${stats.conflicts} conflicts retried`)
    if (stats.ok !== 30 || stats.unknown || stats.loadErrors) return `stats ${JSON.stringify(stats)}`
    const why = checkHistory((await load(base, 'db', 'pgconc')).json.metadata, ids)
    if (why) return why
    const stop = await G.stop()
    servers.splice(servers.indexOf(G), 1)
    const err = G.stderr()
    if (stop.code !== 0 || /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: /.test(err)) return `the server ended badly: ${stop.code}: ${err.slice(-500)}`
    return ''
  } finally {
    spawnSync('bash', ['-c', `source "${path.join(HERE, 'lib/pg.sh')}"; PG_DIR="${pgDir}"; pg_stop`], { timeout: 60000 })
  }
})

// ---- faults -----------------------------------------------------------------------------

await step('--faults: 500, 503, 409, timeout, after-commit-500 happen; a resolving client lands each commit once', async () => {
  const F = await startServer('faults', ['--faults', '500:0.1,503:0.1,409:0.05,timeout:0.05,after-commit-500:0.1,timeout-ms:1500,seed:42'])
  // Created through the main server: the store is shared (two processes, one SQLite catalog).
  const r = await http(P, 'POST', '/namespaces/db/tables', { body: { name: 'faulty', schema: SIMPLE_SCHEMA } })
  if (r.status !== 200) return expect(r, 200)
  const stats = { ok: 0, conflicts: 0, injected409: 0, unknown: 0, timeouts: 0, loadErrors: 0, foundAfterUnknown: 0, types: {} }
  const ids = []
  const seenAll = () => stats.types['500 InternalServerError'] && stats.types['503 ServiceUnavailableException'] &&
    stats.types['500 CommitStateUnknownException'] && stats.injected409 && stats.timeouts
  for (let round = 0; round < 6 && !seenAll(); round++) {
    await Promise.all(Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 5; i++) {
        const id = BigInt(50000 + round * 1000 + w * 100 + i)
        ids.push(id)
        await commitSnapshot(F.base + '/v1', 'faulty', id, stats, 1000)
      }
    }))
  }
  note(`faults: ${JSON.stringify(stats)}`)
  if (!seenAll()) return `not every fault happened: ${JSON.stringify(stats)}`
  if (!stats.foundAfterUnknown) return 'no commit was found applied after an unknown outcome'
  const final = (await load(P, 'db', 'faulty')).json.metadata
  return checkHistory(final, ids)
})

// ---- auth -------------------------------------------------------------------------------

await step('--auth token: 401 without or with a wrong token, 200 with it; iceberg-js bearer', async () => {
  const T = await startServer('token', ['--auth', 'token:s3cr3t-Value'])
  const base = T.base
  let r = await http(base, 'GET', '/v1/config')
  let why = expect(r, 401, 'NotAuthorizedException')
  if (why) return why
  if (!/^Bearer/.test(r.headers.get('www-authenticate') || '')) return 'no WWW-Authenticate: Bearer'
  r = await http(base, 'GET', '/v1/namespaces', { token: 'wrong' })
  why = expect(r, 401, 'NotAuthorizedException')
  if (why) return why
  r = await http(base, 'GET', '/v1/namespaces', { token: 's3cr3t-Value' })
  if (r.status !== 200) return expect(r, 200)
  const good = new IcebergRestCatalog({ baseUrl: base, auth: { type: 'bearer', token: 's3cr3t-Value' }, fetch: recordingFetch })
  const { namespaces } = await good.listNamespaces()
  if (!namespaces.some((n) => sameJson(n.namespace, ['db']))) return 'iceberg-js with the token does not list db'
  const bad = new IcebergRestCatalog({ baseUrl: base, auth: { type: 'bearer', token: 'nope' }, fetch: recordingFetch })
  let err = null
  try { await bad.listNamespaces() } catch (e) { err = e }
  if (err?.status !== 401) return `iceberg-js with a wrong token: ${err}`
  // token:@FILE: the secret from a file, not the command line.
  const secretFile = path.join(W.dir, 'token.txt')
  fs.writeFileSync(secretFile, 'filed-s3cr3t\n')
  const T2 = await startServer('token-file', ['--auth', `token:@${secretFile}`])
  r = await http(T2.base, 'GET', '/v1/config', { token: 'filed-s3cr3t' })
  if (r.status !== 200) return `token:@FILE: ${expect(r, 200)}`
  r = await http(T2.base, 'GET', '/v1/config', { token: `@${secretFile}` })
  return expect(r, 401, 'NotAuthorizedException')
})

await step('--auth oauth2: client credentials, refresh, read-only 403, tokens expire after --token-ttl', async () => {
  const clients = path.join(W.dir, 'clients.txt')
  fs.writeFileSync(clients, '# test clients\nalice:wonder-land\nbob:builder:read\n')
  const O = await startServer('oauth2', ['--auth', `oauth2:${clients}`, '--token-ttl', '3'])
  const base = O.base
  const tok = (form, opts = {}) => http(base, 'POST', '/v1/oauth/tokens', { form, ...opts })
  let r = await tok({ grant_type: 'client_credentials', client_id: 'alice', client_secret: 'wrong', scope: 'catalog' })
  if (r.status !== 401 || r.json?.error !== 'invalid_client') return `wrong secret: ${r.status} ${r.text}`
  r = await tok({ client_id: 'alice', client_secret: 'wonder-land' }, { requestValid: false })
  if (r.status !== 400 || r.json?.error !== 'invalid_request') return `no grant_type: ${r.status} ${r.text}`
  r = await tok({ grant_type: 'password', client_id: 'alice', client_secret: 'wonder-land' }, { requestValid: false })
  if (r.status !== 400 || r.json?.error !== 'unsupported_grant_type') return `grant_type password: ${r.status} ${r.text}`
  const t0 = Date.now()
  r = await tok({ grant_type: 'client_credentials', client_id: 'alice', client_secret: 'wonder-land', scope: 'catalog' })
  if (r.status !== 200) return `token: ${r.status} ${r.text}`
  const a = r.json
  if (a.token_type !== 'bearer' || a.expires_in !== 3n || a.issued_token_type !== 'urn:ietf:params:oauth:token-type:access_token' || !/^[0-9a-f]{64}$/.test(a.access_token))
    return `token response ${r.text}`
  r = await http(base, 'GET', '/v1/config', { token: a.access_token })
  if (r.status !== 200) return expect(r, 200)
  r = await http(base, 'GET', '/v1/namespaces', { token: 'f'.repeat(64) })
  let why = expect(r, 401, 'NotAuthorizedException')
  if (why) return `unknown token: ${why}`
  r = await http(base, 'GET', '/v1/namespaces')
  why = expect(r, 401, 'NotAuthorizedException')
  if (why) return `no token: ${why}`
  // Refresh by token exchange.
  r = await tok({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: a.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' })
  if (r.status !== 200 || r.json.access_token === a.access_token) return `token exchange: ${r.status} ${r.text}`
  // A read-only client reads but may not write; credentials by HTTP Basic.
  r = await tok({ grant_type: 'client_credentials' }, { headers: { Authorization: 'Basic ' + Buffer.from('bob:builder').toString('base64') }, requestValid: false })
  if (r.status !== 200) return `bob by Basic auth: ${r.status} ${r.text}`
  const b = r.json.access_token
  r = await http(base, 'GET', '/v1/namespaces', { token: b })
  if (r.status !== 200) return expect(r, 200)
  r = await http(base, 'POST', '/v1/namespaces', { token: b, body: { namespace: ['bobs'] } })
  why = expect(r, 403, 'ForbiddenException')
  if (why) return `read-only write: ${why}`
  // Expiry.
  const wait = t0 + 3600 - Date.now()
  if (wait > 0) await sleep(wait)
  r = await http(base, 'GET', '/v1/namespaces', { token: a.access_token })
  why = expect(r, 401, 'NotAuthorizedException')
  if (why) return `expired token: ${why}`
  if (!/expired/.test(r.json.error.message)) return `expired token message: ${r.json.error.message}`
  r = await tok({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: a.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' })
  if (r.status !== 401) return `exchange of an expired token: ${r.status}`
  return ''
})

// ---- the CLI's own checks and shutdown -----------------------------------------------

await step('catalog serve refuses bad --auth / --faults / --listen with a message', async () => {
  const cases = [
    [['--auth', 'basic:x'], 2, /--auth must be/],
    [['--faults', '500:2'], 1, /share of 500/],
    [['--faults', 'explode:0.1'], 1, /unknown fault 'explode'/],
    [['--listen', 'nonsense'], 1, /listen address/],
    [['--auth', 'oauth2:/nonexistent/clients'], 1, /clients file/],
    [['--token-ttl', '0'], 2, /--token-ttl/],
  ]
  for (const [args, status, re] of cases) {
    const r = spawnSync(FLOE, ['catalog', 'serve', '--warehouse', W.wh, ...args], { encoding: 'utf8', timeout: 30000 })
    if (r.status !== status || !re.test(r.stderr)) return `${args.join(' ')}: exit ${r.status}: ${r.stderr.trim().slice(0, 200)}`
  }
  const h = spawnSync(FLOE, ['catalog', 'serve', '--help'], { encoding: 'utf8' })
  return h.status === 0 && /--faults SPEC/.test(h.stdout) && /after-commit-500/.test(h.stdout) ? '' : 'help lacks --faults'
})

await step('every request and response body matches the OpenAPI description', async () => {
  const file = path.join(W.dir, 'exchanges.jsonl')
  fs.writeFileSync(file, exchanges.map((e) => JSON.stringify(e)).join('\n') + '\n')
  const r = spawnSync('python3', [path.join(HERE, 'rest_server.py'), file], { encoding: 'utf8', timeout: 300000 })
  note(r.stdout.trim().split('\n').slice(-1)[0] || r.stderr.trim())
  if (r.status === 77) return `validator unavailable: ${r.stderr.trim()}`
  if (r.status !== 0) return r.stdout.trim().split('\n').slice(0, 15).join('\n') + r.stderr.slice(0, 500)
  return exchanges.length > 150 ? '' : `only ${exchanges.length} exchanges recorded`
})

await step('servers stop cleanly on SIGTERM / SIGINT, without sanitizer reports or secrets in the log', async () => {
  const problems = []
  for (const [i, s] of servers.entries()) {
    const r = await s.stop(i === 0 ? 'SIGINT' : 'SIGTERM')
    const err = s.stderr()
    if (r.code !== 0) problems.push(`${s.name}: exit ${r.code} ${r.signal || ''}: ${err.trim().split('\n').slice(-3).join(' | ')}`)
    if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: /.test(err)) problems.push(`${s.name}: sanitizer report: ${err.slice(err.search(/ERROR|runtime error/), 800)}`)
    if (!/stopping on SIG(TERM|INT)/.test(err)) problems.push(`${s.name}: no stop message`)
    if (/s3cr3t|wonder-land|builder/.test(err)) problems.push(`${s.name}: a secret is in the log`)
  }
  return problems.join('\n')
})

W.cleanup()
finish()
