// What the Iceberg integration tests share: a private warehouse and catalog
// per test run, floe's table commands against it (JSON outputs parsed with
// exact integers), floe fed through a slow pipe, a deterministic event
// generator, the canonical row form
// rows are compared in, multiset comparison, and icebird (an independent
// Iceberg reader) reading a table straight from its local files.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { floe, describeFailure, FLOE, ROOT } from './proc.mjs'
import { parseJsonBig, parseNdjson } from './json.mjs'
import { icebird } from '../../oracle/index.mjs'

// ---- a warehouse ----------------------------------------------------------------

// A fresh warehouse directory and SQLite catalog; .run(args) runs floe with
// them (as --catalog/--warehouse), .json(args) parses its standard output.
export function warehouse(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const wh = path.join(dir, 'warehouse')
  const cat = `sqlite:${path.join(wh, 'catalog.db')}`
  const w = {
    dir, wh, cat,
    args: (args) => [...args, '--catalog', cat, '--warehouse', wh],
    run: (args, opts = {}) => floe(w.args(args), { timeout: 300, ...opts }),
    // Runs a command that must succeed; throws with its failure otherwise.
    must(args, opts = {}) {
      const r = w.run(args, opts)
      const bad = describeFailure(r)
      if (bad) throw new Error(`floe ${args.join(' ')}: ${bad}`)
      return r
    },
    json: (args) => parseJsonBig(w.must([...args, '--json']).stdout),
    describe: (table) => w.json(['table', 'describe', table]),
    snapshots: (table) => w.json(['table', 'snapshots', table]),
    files: (table, snapshot) =>
      w.json(['table', 'files', table, ...(snapshot === undefined ? [] : ['--snapshot', String(snapshot)])]),
    scan: (table, extra = []) => parseNdjson(w.must(['table', 'scan', table, ...extra]).stdout),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  }
  return w
}

// The local path of a data or metadata file's location.  Iceberg writers
// (Java's Hadoop paths, pyiceberg) put the file's name into the location
// as it is, without percent-encoding it: a partition directory that Java
// names "country=%CE%A9mega" on disk appears so in the location too.  So
// the scheme is stripped and nothing is decoded.
export const localPath = (uri) => uri.replace(/^file:(\/\/)?/, '')

// ---- floe fed slowly -------------------------------------------------------------------

// Runs floe asynchronously with `input` fed to its standard input in
// pieces of `chunk` lines, one every `pause` ms: an input that trickles in,
// so that concurrent writers overlap instead of finishing one before the
// next starts, and interval commits fire while input is still open.
// Resolves to {status, signal, stdout, stderr}.
export function spawnFed(args, input, chunk, pause) {
  return new Promise((resolve) => {
    const p = spawn(FLOE, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => { stdout += d })
    p.stderr.on('data', (d) => { stderr += d })
    p.stdin.on('error', () => {}) // a process that failed early stops reading
    const lines = input.split('\n').filter((l) => l)
    let at = 0
    const feed = () => {
      if (at >= lines.length) { p.stdin.end(); return }
      p.stdin.write(lines.slice(at, at + chunk).join('\n') + '\n')
      at += chunk
      setTimeout(feed, pause)
    }
    feed()
    const timer = setTimeout(() => p.kill('SIGKILL'), 600000)
    p.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }) })
  })
}

// ---- events -------------------------------------------------------------------------

// The schema the explicit tables are created with: scalars of several
// types (with nulls), a date, a list and a struct.
export const EVENT_SCHEMA = {
  type: 'struct', 'schema-id': 0, fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'event', required: false, type: 'string' },
    { id: 4, name: 'country', required: false, type: 'string' },
    { id: 5, name: 'amount', required: false, type: 'double' },
    { id: 6, name: 'qty', required: false, type: 'int' },
    { id: 7, name: 'day', required: false, type: 'date' },
    { id: 8, name: 'tags', required: false, type: { type: 'list', 'element-id': 9, 'element-required': false, element: 'string' } },
    { id: 10, name: 'loc', required: false, type: { type: 'struct', fields: [
      { id: 11, name: 'lat', required: false, type: 'double' },
      { id: 12, name: 'lon', required: false, type: 'double' }] } },
  ],
}

const EVENTS = ['view', 'click', 'add_to_cart', 'purchase', 'signup']
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'Ωmega', null]
const T0 = Date.UTC(2026, 0, 1)

// Deterministic events: ids from `first` on; timestamps spread over about
// five days (whole milliseconds, so that a reader that turns them into
// Dates keeps them exact); a few nulls in every optional column.
export function events(first, n, seed = first + 1) {
  let s = (seed * 2654435761) >>> 0 || 1
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 }
  const rows = []
  for (let i = 0; i < n; i++) {
    const id = first + i
    const ms = T0 + Math.floor(rnd() * 5 * 86400000)
    const r = { id }
    r.ts = rnd() < 0.03 ? null : new Date(ms).toISOString()
    r.event = EVENTS[Math.floor(rnd() * EVENTS.length)]
    r.country = COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]
    r.amount = rnd() < 0.05 ? null : Math.round(rnd() * 100000) / 100 + 0.005
    r.qty = rnd() < 0.05 ? null : Math.floor(rnd() * 20) - 5
    r.day = new Date(T0 + Math.floor(rnd() * 30) * 86400000).toISOString().slice(0, 10)
    r.tags = rnd() < 0.1 ? null : Array.from({ length: Math.floor(rnd() * 3) }, (_, k) => (k === 1 && rnd() < 0.3 ? null : `t${Math.floor(rnd() * 9)}`))
    r.loc = rnd() < 0.1 ? null : { lat: Math.round(rnd() * 18000) / 100 - 90, lon: rnd() < 0.1 ? null : Math.round(rnd() * 36000) / 100 - 180 }
    rows.push(r)
  }
  return rows
}

export const toNdjson = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n'

// ---- the canonical row ------------------------------------------------------------
// Readers disagree on representations (BigInt or number, Date or text,
// missing or null), so rows are compared as JSON text of: id a decimal
// string, ts epoch milliseconds, day "YYYY-MM-DD", numbers as numbers,
// null for absent, lists and structs as arrays and objects with the
// schema's key order.  Only the columns in `cols` are kept.

const TS_RE = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/

// Epoch microseconds (BigInt) of an ISO timestamp text, exactly.
export function tsMicros(text) {
  const m = TS_RE.exec(text)
  if (!m) throw new Error(`not a timestamp: ${text}`)
  let us = BigInt(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) * 1000n
  us += BigInt(((m[7] || '') + '000000').slice(0, 6))
  if (m[8] && m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n
    const hh = BigInt(m[8].slice(1, 3))
    const mm = BigInt(m[8].slice(-2))
    us -= sign * (hh * 3600n + mm * 60n) * 1000000n
  }
  return us
}

function canonValue(name, v) {
  if (v === undefined || v === null) return null
  switch (name) {
    case 'id': return String(v)
    case 'ts':
      if (v instanceof Date) return v.getTime()
      return Number(tsMicros(String(v)) / 1000n)
    case 'day':
      if (v instanceof Date) return v.toISOString().slice(0, 10)
      return String(v)
    case 'amount': case 'qty': case 'lat': case 'lon': return Number(v)
    case 'tags': return Array.from(v, (x) => (x === undefined ? null : x))
    case 'loc': return { lat: canonValue('lat', v.lat), lon: canonValue('lon', v.lon) }
    default: return typeof v === 'bigint' ? String(v) : v
  }
}

export const ALL_COLUMNS = ['id', 'ts', 'event', 'country', 'amount', 'qty', 'day', 'tags', 'loc']

export function canonRow(row, cols = ALL_COLUMNS) {
  const o = {}
  for (const c of cols) o[c] = canonValue(c, row[c])
  return JSON.stringify(o)
}

// The first difference between two row multisets (compared in canonical
// form), or null.
export function multisetDiff(expected, actual, cols = ALL_COLUMNS) {
  const count = new Map()
  for (const r of expected) { const k = canonRow(r, cols); count.set(k, (count.get(k) || 0) + 1) }
  const extra = []
  for (const r of actual) {
    const k = canonRow(r, cols)
    const c = count.get(k)
    if (c) count.set(k, c - 1)
    else extra.push(k)
  }
  const missing = [...count].filter(([, c]) => c > 0).map(([k]) => k)
  if (!missing.length && !extra.length) return null
  return `expected ${expected.length} rows, got ${actual.length}; ${missing.length} missing` +
    (missing.length ? ` (e.g. ${missing[0].slice(0, 300)})` : '') + `, ${extra.length} unexpected` +
    (extra.length ? ` (e.g. ${extra[0].slice(0, 300)})` : '')
}

// ---- icebird --------------------------------------------------------------------------
// icebird fetches every path with fetch(); a shim answers file:// URLs from
// the local disk (named as localPath says) (the whole file, status 200, which hyparquet accepts in
// place of a range response) and leaves every other URL to Node's fetch.

let shimmed = false
function shimFetch() {
  if (shimmed) return
  shimmed = true
  const real = globalThis.fetch
  globalThis.fetch = async (url, init) => {
    const u = String(url)
    if (!u.startsWith('file:')) return real(url, init)
    try {
      const body = fs.readFileSync(localPath(u))
      if (init?.method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(body.length) } })
      return new Response(body, { status: 200 })
    } catch (e) {
      return new Response(String(e.message), { status: 404, statusText: 'Not Found' })
    }
  }
}

// The rows icebird reads from the table at `location` as of metadata file
// `metadataLocation` (a URI under location/metadata/).
export async function icebirdRead(location, metadataLocation) {
  shimFetch()
  return icebird.icebergRead({ tableUrl: location, metadataFileName: path.posix.basename(metadataLocation) })
}
