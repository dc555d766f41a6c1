// floe's Parquet against independent readers and writers.
// (a) floe writes: an Iceberg schema with every primitive type and nested
//     structs, lists and maps; generated NDJSON rows (nulls, empty lists,
//     unicode, NaN, -0.0, extreme values) written with every codec and with
//     small pages and row groups.  DuckDB and hyparquet must read back the
//     input, and so must `floe parquet cat`; DuckDB's parquet_schema() must
//     show the Iceberg field id of every field, and parquet_metadata() exact
//     null counts and min/max per row group.
// (b) floe reads: DuckDB (COPY ... TO parquet) and parquet-wasm (the Rust
//     parquet writer) write a table of many types with several codecs,
//     encodings, page versions and row-group sizes; `floe parquet cat` must
//     print what DuckDB and hyparquet read.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { floe, describeFailure, haveFloe, FLOE } from './lib/proc.mjs'
import { parseNdjson, stringifyBig } from './lib/json.mjs'
import { diffRows, F32, fmtDate, fmtTimestamp, fmtTimeOfDay, fmtDecimal } from './lib/canon.mjs'
import { hypRead } from './lib/hyp.mjs'
import { duckRows, duckRun, duckJson, lit } from './lib/duck.mjs'
import { parquetWasm } from '../oracle/index.mjs'
import { ok, notOk, note, finish } from './lib/tap.mjs'

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-oracles-'))
const NROWS = 1500

// ---- A deterministic generator ------------------------------------------------
let seed = 0x2545f491
function rnd() { // xorshift32, uniform in [0, 1)
  seed ^= seed << 13; seed >>>= 0
  seed ^= seed >>> 17
  seed ^= seed << 5; seed >>>= 0
  return seed / 4294967296
}
const rint = (n) => Math.floor(rnd() * n)
const pick = (a) => a[rint(a.length)]
const maybe = (p, f) => (rnd() < p ? null : f())
function rbig(bits) { // uniform signed BigInt of `bits` bits
  let v = 0n
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(rint(65536))
  v &= (1n << BigInt(bits)) - 1n
  return v - (1n << BigInt(bits - 1))
}

const WORDS = ['', 'a', 'floe', 'héllo wörld', '日本語テキスト', '🚀 rocket', 'tab\there', 'quote"back\\slash',
  'new\nline', 'nul\u0000byte', 'e\u0301 combining', 'zzzz', 'Ω≈ç√', '\u007f\u0080\u07ff\u0800\uffff']
const I32 = [-2147483648, 2147483647, 0, -1, 1]
const I64 = [-9223372036854775808n, 9223372036854775807n, 0n, -1n, 9007199254740993n]
const F32S = [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, -0, 0, 0.5]
const F64S = [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, -0, 0, 1e300, 0.1]
const SPECIAL = ['NaN', 'Infinity', '-Infinity']

// ---- (a) the schema, every type -----------------------------------------------
let nextId = 1
const fld = (name, required, type) => ({ id: nextId++, name, required, type })
const FIELDS = [
  fld('id', true, 'long'),
  fld('b', false, 'boolean'),
  fld('i', false, 'int'),
  fld('l', true, 'long'),
  fld('f', false, 'float'),
  fld('d', false, 'double'),
  fld('dec9', false, 'decimal(9, 2)'),
  fld('dec18', false, 'decimal(18, 4)'),
  fld('dec38', false, 'decimal(38, 10)'),
  fld('dt', false, 'date'),
  fld('t', false, 'time'),
  fld('ts', false, 'timestamp'),
  fld('tstz', false, 'timestamptz'),
  fld('tsns', false, 'timestamp_ns'),
  fld('tstzns', false, 'timestamptz_ns'),
  fld('s', false, 'string'),
  fld('name', true, 'string'),
  fld('u', false, 'uuid'),
  fld('fx', false, 'fixed[4]'),
  fld('bin', false, 'binary'),
]
{
  const a = fld('st', false, null)
  a.type = { type: 'struct', fields: [fld('a', true, 'int'), fld('b', false, 'string'), null] }
  const inner = fld('inner', false, null)
  inner.type = { type: 'struct', fields: [fld('x', false, 'double')] }
  a.type.fields[2] = inner
  FIELDS.push(a)
  const pts = fld('pts', false, null)
  const elId = nextId++
  pts.type = { type: 'list', 'element-id': elId, 'element-required': true,
    element: { type: 'struct', fields: [fld('x', true, 'long'), fld('y', false, 'string')] } }
  FIELDS.push(pts)
  const li = fld('li', true, null)
  li.type = { type: 'list', 'element-id': nextId++, 'element-required': false, element: 'int' }
  FIELDS.push(li)
  const m = fld('m', false, null)
  m.type = { type: 'map', 'key-id': nextId++, key: 'string', 'value-id': nextId++, 'value-required': false, value: 'long' }
  FIELDS.push(m)
  const mli = fld('mli', false, null)
  const k = nextId++
  const v = nextId++
  mli.type = { type: 'map', 'key-id': k, key: 'int', 'value-id': v, 'value-required': true,
    value: { type: 'list', 'element-id': nextId++, 'element-required': false, element: 'string' } }
  FIELDS.push(mli)
}
const SCHEMA = { type: 'struct', 'schema-id': 0, fields: FIELDS }

// Every Parquet path with the field id it must carry (lists' repeated
// "list" and maps' "key_value" groups carry none).
function expectedIds() {
  const out = new Map()
  const walk = (type, prefix) => {
    if (typeof type === 'string') return
    if (type.type === 'struct') {
      for (const f of type.fields) { out.set(prefix + f.name, f.id); walk(f.type, prefix + f.name + '.') }
    } else if (type.type === 'list') {
      out.set(prefix + 'list.element', type['element-id'])
      walk(type.element, prefix + 'list.element.')
    } else if (type.type === 'map') {
      out.set(prefix + 'key_value.key', type['key-id'])
      out.set(prefix + 'key_value.value', type['value-id'])
      walk(type.key, prefix + 'key_value.key.')
      walk(type.value, prefix + 'key_value.value.')
    }
  }
  walk(SCHEMA, '')
  return out
}

// Canonical text of values (identical to what floe must print back).
const f32text = (x) => (Object.is(x, -0) ? '-0.0' : String(x))
const days = (y, m, d) => Math.round(Date.UTC(y, m - 1, d) / 86400000)
function genRow(n) {
  // Row 0: extremes; row 1: every optional null, empty collections; then random.
  const hex = () => Array.from({ length: 16 }, () => rint(256).toString(16).padStart(2, '0')).join('')
  const uuidOf = (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
  const bytes = (len) => Buffer.from(Array.from({ length: len }, () => rint(256))).toString('base64')
  if (n === 1) {
    const r = { id: BigInt(n), l: 0n, name: '', li: [] }
    for (const f of FIELDS) if (!(f.name in r)) r[f.name] = null
    return r
  }
  const ext = n === 0
  const fl = ext ? 3.4028234663852886e38 : pick([...F32S, Math.fround(rnd() * 1000 - 500)])
  const db = ext ? -0 : rnd() < 0.05 ? pick(SPECIAL) : pick([...F64S, rnd() * 1e6 - 5e5, -rnd() * 1e-300])
  const fs32 = rnd() < 0.05 ? pick(SPECIAL) : fl
  const dayN = ext ? days(9999, 12, 31) : pick([days(1, 1, 1), -1, 0, 19000 + rint(2000), -rint(700000)])
  const micros = ext ? 253402300799999999n : BigInt(rint(2 ** 31)) * 1000003n * (rnd() < 0.3 ? -1n : 1n)
  const nanos = ext ? 9223372036854775807n : rbig(63)
  const row = {
    id: BigInt(n),
    b: maybe(0.1, () => rnd() < 0.5),
    i: maybe(0.1, () => (ext ? 2147483647 : rnd() < 0.1 ? pick(I32) : rint(2000) - 1000)),
    l: ext ? -9223372036854775808n : rnd() < 0.1 ? pick(I64) : rbig(64),
    f: maybe(0.1, () => fs32),
    d: maybe(0.1, () => db),
    dec9: maybe(0.1, () => fmtDecimal(ext ? 999999999n : BigInt(rint(2e9)) - 1000000000n + 1n, 2)),
    dec18: maybe(0.1, () => fmtDecimal(ext ? -999999999999999999n : rbig(59), 4)),
    dec38: maybe(0.1, () => fmtDecimal(ext ? -(10n ** 38n - 1n) : rbig(120), 10)),
    dt: maybe(0.1, () => fmtDate(dayN)),
    t: maybe(0.1, () => fmtTimeOfDay(ext ? 86399999999n : BigInt(rint(86400)) * 1000000n + BigInt(rint(1000000)), 'MICROS')),
    ts: maybe(0.1, () => fmtTimestamp(micros, 'MICROS', false)),
    tstz: maybe(0.1, () => fmtTimestamp(ext ? -62135596800000000n : micros, 'MICROS', true)),
    tsns: maybe(0.1, () => fmtTimestamp(nanos, 'NANOS', false)),
    tstzns: maybe(0.1, () => fmtTimestamp(ext ? -9223372036854775808n : nanos, 'NANOS', true)),
    s: maybe(0.1, () => pick(WORDS) + (rnd() < 0.5 ? String(rint(100)) : '')),
    name: ext ? 'x'.repeat(300) + '🚀'.repeat(10) : pick(WORDS).repeat(1 + rint(8)),
    u: maybe(0.1, () => uuidOf(ext ? 'ff'.repeat(16) : hex())),
    fx: maybe(0.1, () => bytes(4)),
    bin: maybe(0.1, () => bytes(rint(40))),
    st: maybe(0.15, () => ({ a: ext ? -2147483648 : rint(100), b: maybe(0.3, () => pick(WORDS)),
      inner: maybe(0.3, () => ({ x: maybe(0.3, () => rnd()) })) })),
    pts: maybe(0.15, () => Array.from({ length: rint(4) }, () => ({ x: rbig(64), y: maybe(0.3, () => pick(WORDS)) }))),
    li: Array.from({ length: rint(5) }, () => maybe(0.25, () => rint(1e6) - 5e5)),
    m: maybe(0.15, () => {
      const o = {}
      for (let j = rint(4); j > 0; j--) o[pick(WORDS) + j] = maybe(0.2, () => rbig(64))
      return o
    }),
    mli: maybe(0.15, () => {
      const o = {}
      for (let j = rint(3); j > 0; j--) o[String(rint(1000) - 500)] = Array.from({ length: rint(3) }, () => maybe(0.3, () => pick(WORDS)))
      return o
    }),
  }
  return row
}

// What readers return for a row written from `row`: floats become F32.
function expectOf(row) {
  const e = JSON.parse(JSON.stringify(row, (k, v) => (typeof v === 'bigint' ? `__big:${v}` : Object.is(v, -0) ? '__negzero' : v)),
    (k, v) => (typeof v === 'string' && v.startsWith('__big:') ? BigInt(v.slice(6)) : v === '__negzero' ? -0 : v))
  if (typeof e.f === 'number') e.f = new F32(e.f)
  for (const k of Object.keys(e)) if (typeof e[k] === 'number' && k !== 'd' && k !== 'f') e[k] = BigInt(e[k])
  if (e.st) { e.st.a = BigInt(e.st.a); if (e.st.inner && e.st.inner.x === undefined) e.st.inner.x = null }
  if (Array.isArray(e.li)) e.li = e.li.map((x) => (x === null ? null : BigInt(x)))
  return e
}

// Text of a row as floe's NDJSON input.
function ndjson(row) {
  return stringifyBig(row).replace(/"f":(-?[0-9.e+-]+)/, (m, x) => `"f":${f32text(Number(x))}`)
}

const ROWS = Array.from({ length: NROWS }, (_, n) => genRow(n))
const EXPECT = ROWS.map(expectOf)

// ---- (a) checks ------------------------------------------------------------------
function floeCat(file) {
  const r = floe(['parquet', 'cat', file], { timeout: 120 })
  const f = describeFailure(r)
  if (f) return { fail: `floe parquet cat: ${f}` }
  try { return { rows: parseNdjson(r.stdout) } } catch (e) { return { fail: `floe parquet cat output: ${e.message}` } }
}

async function checkReaders(label, file, expected, { skipDuck = false } = {}) {
  const c = floeCat(file)
  if (c.fail) notOk(`${label}: floe cat`, c.fail)
  else { const d = diffRows(expected, c.rows, 3); d ? notOk(`${label}: floe cat`, d) : ok(`${label}: floe cat`) }
  try {
    const h = (await hypRead(file)).rows
    const d = diffRows(expected, h, 3)
    d ? notOk(`${label}: hyparquet`, d) : ok(`${label}: hyparquet`)
  } catch (e) { notOk(`${label}: hyparquet`, `cannot read: ${e.message}`) }
  if (!skipDuck) {
    // DuckDB has no nanosecond timestamp with time zone: it reads
    // timestamptz_ns columns as microsecond TIMESTAMPTZ, rounding, so that
    // column is left out of its comparison.
    try {
      const rows = await duckRows(`SELECT * EXCLUDE (tstzns) FROM read_parquet(${lit(file)})`)
      const exp = expected.map((r) => { const o = { ...r }; delete o.tstzns; return o })
      const d = diffRows(exp, rows, 3)
      d ? notOk(`${label}: DuckDB`, d) : ok(`${label}: DuckDB`)
    } catch (e) { notOk(`${label}: DuckDB`, `cannot read: ${e.message}`) }
  }
}

async function checkFieldIds(label, file) {
  const rows = await duckJson(`SELECT name, field_id, num_children FROM parquet_schema(${lit(file)})`)
  const want = expectedIds()
  // Rebuild dotted paths from the depth-first listing.
  const stack = []
  const problems = []
  const seen = new Set()
  for (const [i, r] of rows.entries()) {
    while (stack.length && stack[stack.length - 1].left === 0) stack.pop()
    const p = [...stack.slice(1).map((s) => s.name), r.name].join('.')
    if (stack.length) stack[stack.length - 1].left--
    const kids = Number(r.num_children || 0)
    if (kids) stack.push({ name: r.name, left: kids })
    if (i === 0) continue
    // A list's repeated "list" group and a map's "key_value" group carry no id.
    const isWrapper = want.has(p + '.element') || want.has(p + '.key')
    if (want.has(p)) {
      seen.add(p)
      if (String(r.field_id) !== String(want.get(p))) problems.push(`${p}: field_id ${r.field_id}, expected ${want.get(p)}`)
    } else if (!isWrapper) problems.push(`${p}: unexpected node`)
  }
  for (const p of want.keys()) if (!seen.has(p)) problems.push(`${p}: missing`)
  problems.length ? notOk(`${label}: field ids`, problems.slice(0, 5).join('; ')) : ok(`${label}: field ids (${seen.size} fields)`)
}

// Per row group: null counts of some columns and exact min/max of `l`, `i`
// and `s` (strings ordered by their UTF-8 bytes).
async function checkStats(label, file) {
  const md = await duckJson(`SELECT row_group_id, row_group_num_rows, path_in_schema, stats_null_count,
      stats_min_value, stats_max_value FROM parquet_metadata(${lit(file)})
      WHERE path_in_schema IN ('l', 'i', 's', 'dt') ORDER BY row_group_id, column_id`)
  const groups = new Map()
  for (const r of md) {
    if (!groups.has(r.row_group_id)) groups.set(r.row_group_id, { n: Number(r.row_group_num_rows), cols: {} })
    groups.get(r.row_group_id).cols[r.path_in_schema] = r
  }
  const problems = []
  let start = 0
  for (const [g, { n, cols }] of [...groups.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const rows = ROWS.slice(start, start + n)
    start += n
    for (const col of ['l', 'i', 's', 'dt']) {
      const st = cols[col]
      if (!st) { problems.push(`group ${g} ${col}: no metadata`); continue }
      const vals = rows.map((r) => r[col]).filter((v) => v !== null)
      const nulls = n - vals.length
      if (String(st.stats_null_count) !== String(nulls)) problems.push(`group ${g} ${col}: null_count ${st.stats_null_count}, expected ${nulls}`)
      if (!vals.length) continue
      let min, max
      if (col === 's') {
        const bs = vals.map((v) => Buffer.from(v, 'utf8')).sort(Buffer.compare)
        min = bs[0].toString('utf8'); max = bs[bs.length - 1].toString('utf8')
      } else if (col === 'dt') {
        const sorted = [...vals].sort((a, b) => (a.replace(/^\+/, '') < b.replace(/^\+/, '') ? -1 : 1))
        min = sorted[0]; max = sorted[sorted.length - 1]
      } else {
        const bs = vals.map((v) => BigInt(v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        min = String(bs[0]); max = String(bs[bs.length - 1])
      }
      if (st.stats_min_value !== min) problems.push(`group ${g} ${col}: min ${JSON.stringify(st.stats_min_value)}, expected ${JSON.stringify(min)}`)
      if (st.stats_max_value !== max) problems.push(`group ${g} ${col}: max ${JSON.stringify(st.stats_max_value)}, expected ${JSON.stringify(max)}`)
    }
  }
  if (start !== ROWS.length) problems.push(`row groups hold ${start} rows, expected ${ROWS.length}`)
  problems.length ? notOk(`${label}: statistics`, problems.slice(0, 5).join('; '))
    : ok(`${label}: statistics (${groups.size} row groups)`)
}

async function partA() {
  const schemaPath = path.join(TMP, 'all.schema.json')
  fs.writeFileSync(schemaPath, JSON.stringify(SCHEMA, null, 1))
  const input = path.join(TMP, 'all.ndjson')
  fs.writeFileSync(input, ROWS.map(ndjson).join('\n') + '\n')
  const runs = [
    { codec: 'zstd' }, { codec: 'snappy' }, { codec: 'gzip' }, { codec: 'lz4_raw' }, { codec: 'uncompressed' },
    { codec: 'zstd', page: '2K', group: '64K' },
    { codec: 'snappy', page: '512', group: '16K' },
  ]
  for (const run of runs) {
    const label = `floe write ${run.codec}${run.page ? ` page ${run.page} group ${run.group}` : ''}`
    const out = path.join(TMP, `all-${run.codec}-${run.page || 'default'}.parquet`)
    const args = ['parquet', 'write', '--schema', schemaPath, '--codec', run.codec]
    if (run.page) args.push('--page-size', run.page, '--row-group-size', run.group)
    const r = floe([...args, input, out], { timeout: 120 })
    const f = describeFailure(r)
    if (f) { notOk(label, f); continue }
    ok(`${label}: wrote ${fs.statSync(out).size} bytes`)
    await checkReaders(label, out, EXPECT)
    await checkFieldIds(label, out)
    await checkStats(label, out)
  }
}

// ---- (b) foreign writers -----------------------------------------------------------
const DUCK_TABLE = `
  SELECT i::INTEGER AS id,
    CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 104729 % 1000003)::BIGINT * 9223372036 END AS big,
    CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 30000)::SMALLINT END AS small,
    (i % 100 - 50)::TINYINT AS tiny,
    (i * 3)::UINTEGER AS uint,
    (i::UBIGINT * 4294967311) AS ubig,
    i % 3 = 0 AS flag,
    CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 1.25 - 100)::FLOAT END AS f,
    CASE WHEN i % 13 = 0 THEN 'nan'::DOUBLE WHEN i % 17 = 0 THEN NULL ELSE i / 7.0 END AS d,
    (i * 12.34)::DECIMAL(9, 2) AS dec_small,
    (i * 98765.4321 - 1e6)::DECIMAL(18, 4) AS dec_mid,
    (i * 123456789.0123456789)::DECIMAL(38, 10) AS dec_big,
    CASE WHEN i % 9 = 0 THEN NULL ELSE 'str-' || (i % 50) || repeat('é', i % 4) END AS s,
    DATE '1969-12-25' + (i * 37 % 20000)::INTEGER AS dt,
    TIME '00:00:00' + INTERVAL (i * 7919 % 86400) SECOND AS tm,
    TIMESTAMP '1960-01-01 00:00:00' + INTERVAL (i * 7919) SECOND + INTERVAL (i) MICROSECOND AS ts,
    TIMESTAMPTZ '2020-06-01 00:00:00+00' + INTERVAL (i * 61) SECOND AS tstz,
    ('2001-02-03 04:05:06.' || lpad((i * 7)::VARCHAR, 9, '0'))::TIMESTAMP_NS AS tsns,
    ('0000000' || (i % 10) || '-1111-4222-8333-' || lpad(i::VARCHAR, 12, '0'))::UUID AS u,
    CASE WHEN i % 4 = 0 THEN NULL ELSE ('\\x' || lpad(to_hex(i), 8, '0'))::BLOB END AS blob,
    CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN [] ELSE [i, NULL, i + 1] END AS li,
    [[i % 3, i % 5], [], NULL] AS lli,
    CASE WHEN i % 8 = 0 THEN NULL ELSE {'a': i, 'b': 'x' || i, 'c': {'d': i * 2.5}} END AS st,
    CASE WHEN i % 10 = 0 THEN NULL ELSE [{'x': i, 'y': 'p' || i}, {'x': -i, 'y': NULL}] END AS lst,
    CASE WHEN i % 12 = 0 THEN NULL ELSE MAP {'k' || (i % 3): i, 'z': NULL} END AS m,
    MAP {i % 100: ['v' || i, NULL]} AS mil
  FROM range(0, 3000) t(i)`

async function partB() {
  await duckRun(`CREATE TABLE t AS ${DUCK_TABLE}`)
  const duckFiles = []
  // PARQUET_VERSION v2: v2 data pages with DELTA_BINARY_PACKED,
  // DELTA_LENGTH_BYTE_ARRAY and BYTE_STREAM_SPLIT encodings.
  for (const [codec, rg, v2] of [['zstd', null, false], ['snappy', 500, false], ['gzip', null, false],
    ['uncompressed', 250, false], ['zstd', 1000, true], ['snappy', null, true]]) {
    const name = `${codec}${rg ? `-rg${rg}` : ''}${v2 ? '-v2' : ''}`
    const file = path.join(TMP, `duck-${name}.parquet`)
    await duckRun(`COPY t TO ${lit(file)} (FORMAT parquet, COMPRESSION ${codec}${rg ? `, ROW_GROUP_SIZE ${rg}` : ''}${v2 ? ', PARQUET_VERSION v2' : ''})`)
    duckFiles.push(file)
    await checkForeign(`DuckDB ${codec}${rg ? ` row groups of ${rg}` : ''}${v2 ? ' parquet v2' : ''}`, file)
  }
  // parquet-wasm rewrites DuckDB's data through Arrow with the Rust writer.
  const W = parquetWasm
  const src = W.readParquet(new Uint8Array(fs.readFileSync(duckFiles[0])))
  const variants = [
    ['snappy, dictionary, v1', (b) => b.setCompression(W.Compression.SNAPPY).setDictionaryEnabled(true)],
    ['zstd, no dictionary, v2 pages', (b) => b.setCompression(W.Compression.ZSTD).setDictionaryEnabled(false).setWriterVersion(W.WriterVersion.V2)],
    ['gzip, v2 pages, dictionary, small pages', (b) => b.setCompression(W.Compression.GZIP).setWriterVersion(W.WriterVersion.V2).setDataPageSizeLimit(1024).setMaxRowGroupSize(700)],
    ['lz4_raw, no dictionary', (b) => b.setCompression(W.Compression.LZ4_RAW).setDictionaryEnabled(false)],
    ['brotli, v1', (b) => b.setCompression(W.Compression.BROTLI)],
    ['uncompressed, delta encodings, v2', (b) => b.setCompression(W.Compression.UNCOMPRESSED).setDictionaryEnabled(false)
      .setWriterVersion(W.WriterVersion.V2)
      .setColumnEncoding('id', W.Encoding.DELTA_BINARY_PACKED).setColumnEncoding('big', W.Encoding.DELTA_BINARY_PACKED)
      .setColumnEncoding('s', W.Encoding.DELTA_BYTE_ARRAY).setColumnEncoding('blob', W.Encoding.DELTA_LENGTH_BYTE_ARRAY)
      .setColumnEncoding('f', W.Encoding.BYTE_STREAM_SPLIT).setColumnEncoding('d', W.Encoding.BYTE_STREAM_SPLIT)],
  ]
  for (const [name, configure] of variants) {
    const file = path.join(TMP, `wasm-${name.replace(/[^a-z0-9]+/g, '_')}.parquet`)
    try {
      const props = configure(new W.WriterPropertiesBuilder()).build()
      const table = W.readParquet(new Uint8Array(fs.readFileSync(duckFiles[0])))
      fs.writeFileSync(file, W.writeParquet(table, props))
    } catch (e) {
      notOk(`parquet-wasm ${name}`, `the writer failed: ${e.message || e}`)
      continue
    }
    await checkForeign(`parquet-wasm ${name}`, file)
  }
  src.free?.()
}

// floe must print what both oracles read; the oracles must agree first.
async function checkForeign(label, file) {
  let h, d
  try { h = (await hypRead(file)).rows } catch (e) { return notOk(`${label}: hyparquet`, `cannot read: ${e.message}`) }
  try { d = await duckRows(`SELECT * FROM read_parquet(${lit(file)})`) } catch (e) { return notOk(`${label}: DuckDB`, `cannot read: ${e.message}`) }
  const agree = diffRows(d, h, 3)
  if (agree) note(`${label}: DuckDB and hyparquet differ: ${agree} (floe is judged by hyparquet, which reads through the file's annotations)`)
  const c = floeCat(file)
  if (c.fail) return notOk(`${label}: floe cat`, c.fail)
  const x = diffRows(h, c.rows, 3)
  if (x) return notOk(`${label}: floe cat vs hyparquet`, x)
  if (!agree) {
    const y = diffRows(d, c.rows, 3)
    if (y) return notOk(`${label}: floe cat vs DuckDB`, y)
  }
  ok(`${label}: floe cat (${c.rows.length} rows)`)
}

async function main() {
  if (!haveFloe()) {
    notOk('floe binary', `${FLOE} is not built`)
    return finish()
  }
  try {
    await partA()
    await partB()
  } catch (e) {
    notOk('oracle run', e.stack || e.message)
  } finally {
    if (!process.env.KEEP_TMP) fs.rmSync(TMP, { recursive: true, force: true })
    else note(`files kept in ${TMP}`)
  }
  finish()
}

await main()
