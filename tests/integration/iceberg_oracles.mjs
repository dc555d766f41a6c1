// floe's Iceberg tables against readers floe shares no code with.
//
// Tables: unpartitioned; partitioned by day(ts), by bucket(16, id), by
// identity(country); one with 30 ingests and manifest merging forced early
// (commit.manifest.min-count-to-merge=3) under 'day(ts), bucket(4, id)';
// one that `floe ingest` creates itself with an inferred schema; and one in
// format version 1.  Each
// is filled by several `floe ingest` runs, most of them cut into several
// commits by --commit-bytes.  Then, per table:
//   - floe's own account: every reported commit is one snapshot, the parent
//     chain is linear, sequence numbers count 1..n, summaries add up, no
//     data file is listed twice, partition values appear in file paths;
//   - icebird (npm) reads the current snapshot, and the snapshot after the
//     first ingest through its metadata file: rows equal the input
//     (as multisets);
//   - python3-avro reads every manifest list and manifest of every snapshot
//     (lib/iceberg_avro_check.py): header keys, field ids, counts; its live
//     files equal `floe table files --snapshot` for every snapshot;
//   - DuckDB reads every data file: row counts equal the manifests', field
//     ids equal the table schema's, every row lies in its file's partition;
//   - every metadata JSON file validates against TableMetadata of the REST
//     catalog's OpenAPI description (python3.11 + jsonschema), is named as
//     Java Iceberg names them and its metadata-log names existing files.
// Ends with `N passed, N failed`.
import fs from 'node:fs'
import path from 'node:path'
import { run, describeFailure, haveFloe, FLOE, ROOT } from './lib/proc.mjs'
import { parseJsonBig, stringifyBig } from './lib/json.mjs'
import { duckJson, lit } from './lib/duck.mjs'
import { ok, notOk, check, note, finish } from './lib/tap.mjs'
import {
  warehouse, events, toNdjson, EVENT_SCHEMA, multisetDiff, icebirdRead, localPath,
} from './lib/iceberg.mjs'

const PY_AVRO = '/usr/bin/python3'
const PY_JSONSCHEMA = process.env.FLOE_PY_JSONSCHEMA || 'python3.11'

if (!haveFloe()) {
  notOk('floe binary', `${FLOE} is missing; build it first (make)`)
  finish()
  process.exit()
}

const W = warehouse('floe-ice-oracles-')
fs.writeFileSync(path.join(W.dir, 'schema.json'), JSON.stringify(EVENT_SCHEMA))

const TABLES = [
  { name: 'db.plain', spec: null, ingests: 3, rows: 400, bytes: '24K' },
  { name: 'db.by_day', spec: 'day(ts)', ingests: 3, rows: 400, bytes: '24K' },
  { name: 'db.by_bucket', spec: 'bucket(16, id)', ingests: 3, rows: 400, bytes: '24K' },
  { name: 'db.by_country', spec: 'country', ingests: 3, rows: 400, bytes: '24K' },
  { name: 'db.many', spec: 'day(ts), bucket(4, id)', ingests: 30, rows: 40, bytes: null,
    // every snapshot and metadata file kept (floe's bounded history off),
    // so that the whole history can be checked
    props: ['commit.manifest.min-count-to-merge=3', 'floe.history.retain-last=0',
      'write.metadata.previous-versions-max=100'] },
  { name: 'auto.inferred', spec: 'day(ts)', ingests: 2, rows: 500, bytes: '32K', infer: true },
  { name: 'db.v1', spec: 'day(ts)', ingests: 2, rows: 300, bytes: '24K', props: ['format-version=1'], version: 1 },
]

// ---- fill the tables ----------------------------------------------------------------

const INGEST_RE = /^ingested (\d+) records into \S+.*: (\d+) commits?, (\d+) files?/m

W.must(['namespace', 'create', 'db'])
let nextId = 0
for (const t of TABLES) {
  t.rows_in = []
  t.batches = []
  t.commits = 0
  t.files = 0
  t.metadataAfter = []
  if (!t.infer) {
    const args = ['table', 'create', t.name, '--schema', path.join(W.dir, 'schema.json')]
    if (t.spec) args.push('--partition-by', t.spec)
    for (const p of t.props || []) args.push('--property', p)
    const r = W.run(args)
    const bad = describeFailure(r)
    if (bad) { notOk(`${t.name}: create`, bad); t.broken = true; continue }
  }
  let failure = null
  for (let i = 0; i < t.ingests && !failure; i++) {
    const rows = events(nextId, t.rows)
    nextId += t.rows
    const file = path.join(W.dir, `${t.name}-${i}.ndjson`)
    fs.writeFileSync(file, toNdjson(rows))
    const args = ['ingest', '--table', t.name, file]
    if (t.bytes) args.push('--commit-bytes', t.bytes)
    if (t.infer && t.spec) args.push('--partition-by', t.spec)
    const r = W.run(args)
    const m = INGEST_RE.exec(r.stdout)
    failure = describeFailure(r) || (m ? null : `unexpected report: ${r.stdout}`)
    if (failure) break
    if (Number(m[1]) !== rows.length) { failure = `ingest ${i} reports ${m[1]} records, expected ${rows.length}`; break }
    t.commits += Number(m[2])
    t.files += Number(m[3])
    t.rows_in.push(...rows)
    t.batches.push({ rows, commits: Number(m[2]) })
    t.metadataAfter.push(W.describe(t.name)['metadata-location'])
  }
  check(`${t.name}: ${t.ingests} ingests of ${t.rows} records succeed`, failure)
  if (failure) t.broken = true
}

// ---- floe's own account ------------------------------------------------------------

function ownAccount(t) {
  const info = W.describe(t.name)
  const snaps = W.snapshots(t.name)
  const files = W.files(t.name)
  t.info = info
  t.snaps = snaps
  t.fileList = files
  const problems = []
  if (snaps.length !== t.commits) problems.push(`${snaps.length} snapshots for ${t.commits} reported commits`)
  let added = 0n
  snaps.forEach((s, i) => {
    // v1 has no sequence numbers: they read as 0.
    const seq = t.version === 1 ? 0 : i + 1
    if (BigInt(s['sequence-number']) !== BigInt(seq)) problems.push(`snapshot ${i} has sequence number ${s['sequence-number']}`)
    if (i === 0 && s['parent-snapshot-id'] !== undefined) problems.push('the first snapshot has a parent')
    if (i > 0 && s['parent-snapshot-id'] !== snaps[i - 1]['snapshot-id']) problems.push(`snapshot ${i}'s parent is not snapshot ${i - 1}`)
    if (i > 0 && s['timestamp-ms'] < snaps[i - 1]['timestamp-ms']) problems.push(`snapshot ${i} is older than its parent`)
    if (s.summary.operation !== 'append') problems.push(`snapshot ${i} operation ${s.summary.operation}`)
    added += BigInt(s.summary['added-records'] ?? -1)
    if (BigInt(s.summary['total-records'] ?? -1) !== added) problems.push(`snapshot ${i} total-records ${s.summary['total-records']}, added so far ${added}`)
  })
  if (snaps.length && !snaps[snaps.length - 1].current) problems.push('the last snapshot is not the current one')
  if (info['current-snapshot-id'] !== snaps[snaps.length - 1]?.['snapshot-id']) problems.push('describe names another current snapshot')
  check(`${t.name}: snapshots: one per commit, linear history, summaries add up`, problems.slice(0, 5).join('\n') || null)

  const fp = []
  const paths = new Set()
  let records = 0n
  for (const f of files) {
    if (paths.has(f['file-path'])) fp.push(`${f['file-path']} listed twice`)
    paths.add(f['file-path'])
    records += BigInt(f['record-count'])
    if (!f['file-path'].startsWith(info.location + '/data/')) fp.push(`${f['file-path']} is not under ${info.location}/data/`)
    const parts = Object.entries(f.partition)
    if (parts.length !== info['partition-spec'].fields.length) fp.push(`${f['file-path']}: partition ${stringifyBig(f.partition)}`)
    for (const [k] of parts) if (!f['file-path'].includes(`/${k}=`)) fp.push(`${f['file-path']} has no ${k}= directory`)
    if (Number(f.content) !== 0 || f['file-format'] !== 'PARQUET') fp.push(`${f['file-path']}: content ${f.content}, format ${f['file-format']}`)
  }
  if (records !== BigInt(t.rows_in.length)) fp.push(`files hold ${records} records, ${t.rows_in.length} were ingested`)
  if (files.length !== t.files) fp.push(`${files.length} files listed, ingest reported ${t.files}`)
  check(`${t.name}: files: ${files.length} distinct, ${t.rows_in.length} records, partition directories`, fp.slice(0, 5).join('\n') || null)
}

// ---- icebird -------------------------------------------------------------------------

async function icebirdChecks(t) {
  try {
    const rows = await icebirdRead(t.info.location, t.info['metadata-location'])
    check(`${t.name}: icebird reads the current snapshot: rows equal the input`, multisetDiff(t.rows_in, rows))
  } catch (e) {
    notOk(`${t.name}: icebird reads the current snapshot`, e.stack || e)
  }
  if (t.batches.length > 1) {
    try {
      const rows = await icebirdRead(t.info.location, t.metadataAfter[0])
      check(`${t.name}: icebird reads the first ingest's metadata file: its rows only`, multisetDiff(t.batches[0].rows, rows))
    } catch (e) {
      notOk(`${t.name}: icebird reads an older metadata file`, e.stack || e)
    }
  }
}

// ---- python3-avro ------------------------------------------------------------------------

// A partition value as text, whatever the reader made of it (python3-avro
// turns a date-typed day partition into a date, printed ISO).
const partText = (v) => (v === null || v === undefined ? 'null' : String(v))

function avroChecks(t) {
  if (!fs.existsSync(PY_AVRO)) { ok(`${t.name}: python3-avro # skip: ${PY_AVRO} missing`); return }
  const snapsFile = path.join(W.dir, `${t.name}.snapshots.json`)
  fs.writeFileSync(snapsFile, W.must(['table', 'snapshots', t.name, '--json']).stdout)
  const r = run(PY_AVRO, [path.join(ROOT, 'tests/integration/lib/iceberg_avro_check.py'), '--format-version', String(t.version || 2), snapsFile], { timeout: 300 })
  let out
  try { out = parseJsonBig(r.stdout) } catch (e) {
    notOk(`${t.name}: python3-avro reads the manifests`, `${describeFailure(r) || ''} ${r.stderr.slice(0, 800)} ${e.message}`)
    return
  }
  check(`${t.name}: python3-avro reads ${out.lists} manifest lists and the ${out.manifests} manifests they name: header keys and field ids as the spec says`,
    out.errors.length ? out.errors.slice(0, 5).join('\n') : null)
  check(`${t.name}: python3-avro read every snapshot`, out.live.length === t.snaps.length ? null : `${out.live.length} of ${t.snaps.length}`)

  const problems = []
  for (const live of out.live) {
    const floeFiles = W.files(t.name, live.snapshot)
    const want = new Map(floeFiles.map((f) => [f['file-path'], f]))
    if (floeFiles.length !== live.files.length) problems.push(`snapshot ${live.snapshot}: floe lists ${floeFiles.length} files, the manifests ${live.files.length}`)
    for (const f of live.files) {
      const g = want.get(f.path)
      if (!g) { problems.push(`snapshot ${live.snapshot}: ${f.path} is live in the manifests but not listed by floe`); continue }
      if (BigInt(g['record-count']) !== BigInt(f.records) || BigInt(g['file-size-in-bytes']) !== BigInt(f.size)) problems.push(`${f.path}: counts differ`)
      if (BigInt(g['snapshot-id']) !== BigInt(f.snapshot_id) || BigInt(g['sequence-number']) !== BigInt(f.sequence_number)) {
        problems.push(`${f.path}: floe says snapshot ${g['snapshot-id']} seq ${g['sequence-number']}, the manifests ${f.snapshot_id} seq ${f.sequence_number}`)
      }
      for (const [k, v] of Object.entries(g.partition)) {
        let pv = f.partition?.[k]
        if (typeof pv === 'bigint' && typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v)) pv = new Date(Number(pv) * 86400000).toISOString().slice(0, 10)
        if (partText(pv) !== partText(v)) problems.push(`${f.path}: partition ${k} is ${partText(pv)} in the manifest, ${partText(v)} in floe's listing`)
      }
    }
    if (problems.length > 5) break
  }
  check(`${t.name}: live files per python3-avro equal \`floe table files --snapshot\` for all ${out.live.length} snapshots`, problems.slice(0, 5).join('\n') || null)
  t.avro = out
}

// ---- DuckDB ------------------------------------------------------------------------------

// (path, field id) of every Parquet schema element of the Iceberg schema,
// in DuckDB's parquet_schema() order: pre-order, lists as
// name/list/element (the "list" group carries no id).
function expectedParquetIds(schema) {
  const out = []
  const walk = (type, prefix) => {
    if (typeof type === 'string') return
    if (type.type === 'struct') {
      for (const f of type.fields) { out.push([prefix + f.name, Number(f.id)]); walk(f.type, prefix + f.name + '.') }
    } else if (type.type === 'list') {
      out.push([prefix + 'list', null])
      out.push([prefix + 'list.element', Number(type['element-id'])])
      walk(type.element, prefix + 'list.element.')
    } else if (type.type === 'map') {
      out.push([prefix + 'key_value', null])
      out.push([prefix + 'key_value.key', Number(type['key-id'])])
      walk(type.key, prefix + 'key_value.key.')
      out.push([prefix + 'key_value.value', Number(type['value-id'])])
      walk(type.value, prefix + 'key_value.value.')
    }
  }
  walk(schema, '')
  return out
}

// DuckDB's parquet_schema rows as (path, field id), the root left out.
function duckParquetIds(rows) {
  const out = []
  const stack = [] // [prefix, children left]
  for (const r of rows.slice(1)) {
    while (stack.length && stack[stack.length - 1][1] === 0) stack.pop()
    const prefix = stack.length ? stack[stack.length - 1][0] : ''
    if (stack.length) stack[stack.length - 1][1]--
    const p = prefix + r.name
    out.push([p, r.field_id === null || r.field_id === undefined ? null : Number(r.field_id)])
    const kids = Number(r.num_children || 0)
    if (kids) stack.push([p + '.', kids])
  }
  return out
}

async function duckChecks(t) {
  const want = JSON.stringify(expectedParquetIds(t.info.schema))
  const specFields = t.info['partition-spec'].fields
  const problems = []
  for (const f of t.fileList) {
    const p = localPath(f['file-path'])
    try {
      const [{ n }] = await duckJson(`SELECT count(*)::BIGINT AS n FROM read_parquet(${lit(p)})`)
      if (BigInt(n) !== BigInt(f['record-count'])) problems.push(`${p}: DuckDB counts ${n} rows, the manifest ${f['record-count']}`)
      const ids = JSON.stringify(duckParquetIds(await duckJson(`SELECT name, field_id, num_children FROM parquet_schema(${lit(p)})`)))
      if (ids !== want) problems.push(`${p}: field ids ${ids}, the table schema says ${want}`)
      for (const pf of specFields) {
        const v = f.partition[pf.name]
        const col = t.info.schema.fields.find((x) => BigInt(x.id) === BigInt(pf['source-id'])).name
        let bad
        if (pf.transform === 'day') {
          const cond = v === null ? `${col} IS NOT NULL` : `${col} IS NULL OR CAST(${col} AS DATE) <> DATE ${lit(v)}`
          ;[{ bad }] = await duckJson(`SELECT count(*)::BIGINT AS bad FROM read_parquet(${lit(p)}) WHERE ${cond}`)
        } else if (pf.transform === 'identity') {
          const cond = v === null ? `${col} IS NOT NULL` : `${col} IS DISTINCT FROM ${lit(v)}`
          ;[{ bad }] = await duckJson(`SELECT count(*)::BIGINT AS bad FROM read_parquet(${lit(p)}) WHERE ${cond}`)
        } else continue // bucket: murmur3 is checked against the spec's vectors in the unit tests
        if (Number(bad) !== 0) problems.push(`${p}: ${bad} rows lie outside partition ${pf.name}=${v}`)
      }
    } catch (e) {
      problems.push(`${p}: ${e.message}`)
    }
    if (problems.length > 5) break
  }
  check(`${t.name}: DuckDB reads all ${t.fileList.length} data files: row counts, field ids, partition values`, problems.slice(0, 5).join('\n') || null)
}

// ---- metadata JSON ---------------------------------------------------------------------------

const META_NAME = /^\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.metadata\.json$/

function metadataChecks(t) {
  const dir = path.join(localPath(t.info.location), 'metadata')
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.metadata.json')).sort()
  const badNames = names.filter((n) => !META_NAME.test(n))
  check(`${t.name}: ${names.length} metadata files named NNNNN-<uuid>.metadata.json`, badNames.length ? badNames.join(', ') : null)
  const current = parseJsonBig(fs.readFileSync(localPath(t.info['metadata-location']), 'utf8'))
  const logged = (current['metadata-log'] || []).map((e) => e['metadata-file'])
  const missing = logged.filter((u) => !fs.existsSync(localPath(u)))
  const expectLogged = names.length - 1
  check(`${t.name}: the metadata-log names the ${expectLogged} earlier metadata files`,
    missing.length ? `missing: ${missing.join(', ')}` : logged.length !== expectLogged ? `${logged.length} entries` : null)

  const v = run(PY_JSONSCHEMA, [path.join(ROOT, 'tests/integration/lib/validate_openapi.py'), 'TableMetadata', ...names.map((n) => path.join(dir, n))], { timeout: 300 })
  if (v.status === 77) { ok(`${t.name}: metadata validates against TableMetadata # skip: ${v.stderr.trim()}`); return }
  const fails = String(v.stdout).split('\n').filter((l) => l.startsWith('FAIL'))
  check(`${t.name}: all ${names.length} metadata files validate against the OpenAPI TableMetadata schema`,
    v.status === 0 && !fails.length ? null : (fails.slice(0, 3).join('\n') || describeFailure(v) || v.stderr.slice(0, 500)))
}

// ---- run -------------------------------------------------------------------------------------

for (const t of TABLES) {
  if (t.broken) continue
  try {
    ownAccount(t)
    await icebirdChecks(t)
    avroChecks(t)
    await duckChecks(t)
    metadataChecks(t)
  } catch (e) {
    notOk(`${t.name}: checks ran to the end`, e.stack || e)
  }
}

const many = TABLES.find((t) => t.name === 'db.many')
if (many.avro) {
  const counts = many.avro.live.map((l) => Number(l.manifests))
  const max = Math.max(...counts)
  check(`db.many: manifest merging keeps the manifest count bounded over ${counts.length} commits (max ${max}, last ${counts[counts.length - 1]})`,
    max <= 3 ? null : `manifest counts per snapshot: ${counts.join(',')}`)
}
const inferred = TABLES.find((t) => t.name === 'auto.inferred')
if (inferred.info) {
  const types = Object.fromEntries(inferred.info.schema.fields.map((f) => [f.name, typeof f.type === 'string' ? f.type : f.type.type]))
  const want = { id: 'long', ts: 'timestamptz', event: 'string', country: 'string', amount: 'double', qty: 'long', day: 'date', tags: 'list', loc: 'struct' }
  check('auto.inferred: ingest created the namespace and table with the inferred types',
    JSON.stringify(types) === JSON.stringify(want) ? null : `got ${JSON.stringify(types)}`)
}

note(`warehouse: ${W.wh}`)
if (!process.env.KEEP) W.cleanup()
finish()
