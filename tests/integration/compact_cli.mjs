// `floe compact` end to end, checked by readers floe shares no code with.
//
//   small files  a table partitioned by day(ts) filled by 40 `floe ingest`
//                runs (40 small files per partition); `floe compact --json`
//                reports every group committed and as many rows written as
//                read; afterwards each partition has one data file, the last
//                snapshot is a `replace` whose summary counters add up, and
//                the rows equal the input (as multisets) by `floe table
//                scan`, by DuckDB over the files `floe table files` lists,
//                and by icebird reading the current metadata file;
//   deletes      a second table gets a position delete file and equality
//                delete files (tests/tools/table_deletes.c: floe's CLI
//                writes none); the rows the positions name are learned from
//                DuckDB (file_row_number); after `floe compact` no delete
//                file is listed, and floe, DuckDB and icebird all read the
//                input minus the deleted rows;
//   cli          usage errors exit 2, a missing table or a table without a
//                sort order for --sort exits 1, text output, and a progress
//                bar on a terminal (through script(1)).
// Ends with `N passed, N failed`.
import fs from 'node:fs'
import path from 'node:path'
import { run, describeFailure, haveFloe, FLOE } from './lib/proc.mjs'
import { parseJsonBig } from './lib/json.mjs'
import { duckJson, lit } from './lib/duck.mjs'
import { ok, notOk, check, finish } from './lib/tap.mjs'
import { warehouse, events, toNdjson, EVENT_SCHEMA, multisetDiff, icebirdRead, localPath } from './lib/iceberg.mjs'

const TOOL = path.join(path.dirname(FLOE), 'table-deletes')

if (!haveFloe()) {
  notOk('floe binary', `${FLOE} is missing; build it first (make)`)
  finish()
  process.exit()
}

const W = warehouse('floe-compact-cli-')
process.on('exit', () => W.cleanup())
const schemaFile = path.join(W.dir, 'schema.json')
fs.writeFileSync(schemaFile, JSON.stringify(EVENT_SCHEMA))
W.must(['namespace', 'create', 'db'])

// Fills table `name` with `commits` ingests of `per` events; returns the events.
function fill(name, commits, per) {
  W.must(['table', 'create', name, '--schema', schemaFile, '--partition-by', 'day(ts)'])
  const all = []
  for (let i = 0; i < commits; i++) {
    const rows = events(i * per, per)
    const file = path.join(W.dir, `in-${name}-${i}.ndjson`)
    fs.writeFileSync(file, toNdjson(rows))
    W.must(['ingest', '--table', name, file])
    all.push(...rows)
  }
  return all
}

const partKey = (f) => JSON.stringify(f.partition)

function filesByPartition(name) {
  const m = new Map()
  for (const f of W.files(name)) {
    if (Number(f.content) !== 0) continue
    m.set(partKey(f), (m.get(partKey(f)) || 0) + 1)
  }
  return m
}

// DuckDB's reading of the data files `floe table files` lists, as rows
// icebird's and floe's canonical form accepts.
async function duckRead(name) {
  const files = W.files(name)
  const data = files.filter((f) => Number(f.content) === 0).map((f) => lit(localPath(f['file-path'])))
  const rows = await duckJson(
    `SELECT id::VARCHAR AS id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, event, country, amount, qty,
            strftime(day, '%Y-%m-%d') AS day, tags, loc
       FROM read_parquet([${data.join(',')}])`)
  return { rows, deletes: files.length - data.length }
}

async function icebirdNow(name) {
  const info = W.describe(name)
  return icebirdRead(info.location, info['metadata-location'])
}

// ---- small files -----------------------------------------------------------------------

async function smallFiles() {
  const input = fill('db.ev', 40, 50)
  const before = filesByPartition('db.ev')
  const nfiles = [...before.values()].reduce((a, b) => a + b, 0)
  check(`40 ingests leave ${nfiles} small files in ${before.size} partitions`,
    [...before.values()].every((n) => n >= 5) ? null : `files per partition: ${[...before.values()]}`)

  const r = W.json(['compact', 'db.ev'])
  const problems = []
  if (Number(r.groups) !== before.size) problems.push(`${r.groups} groups for ${before.size} partitions`)
  if (Number(r['groups-committed']) !== before.size || Number(r['groups-skipped']) !== 0) problems.push(`committed ${r['groups-committed']}, skipped ${r['groups-skipped']}`)
  if (Number(r['files-rewritten']) !== nfiles) problems.push(`rewrote ${r['files-rewritten']} of ${nfiles} files`)
  if (Number(r['files-written']) !== before.size) problems.push(`wrote ${r['files-written']} files`)
  if (Number(r['rows-read']) !== input.length || Number(r['rows-written']) !== input.length) problems.push(`rows ${r['rows-read']} -> ${r['rows-written']}`)
  if (Number(r.snapshots) !== before.size) problems.push(`${r.snapshots} snapshots`)
  if (!(Number(r['bytes-written']) < Number(r['bytes-read']))) problems.push(`bytes ${r['bytes-read']} -> ${r['bytes-written']}`)
  check('floe compact --json: every partition one group, one file, one snapshot; rows in = rows out', problems.join('; ') || null)

  const after = filesByPartition('db.ev')
  check('after compaction each partition has one data file',
    after.size === before.size && [...after.values()].every((n) => n === 1) ? null : `files per partition: ${[...after.entries()]}`)

  const snaps = W.snapshots('db.ev')
  const last = snaps[snaps.length - 1]
  const s = last.summary
  const sp = []
  // (the bounded history may have expired older snapshots meanwhile)
  const replaces = snaps.slice(-before.size)
  if (snaps.length < before.size || !replaces.every((x) => x.summary.operation === 'replace')) sp.push(`the last ${before.size} snapshots are not all replaces`)
  if (replaces.some((x, i) => i > 0 && x['parent-snapshot-id'] !== replaces[i - 1]['snapshot-id'])) sp.push('the replaces do not form a chain')
  if (s.operation !== 'replace') sp.push(`operation ${s.operation}`)
  if (Number(s['added-data-files']) !== 1) sp.push(`added-data-files ${s['added-data-files']}`)
  if (Number(s['deleted-records']) !== Number(s['added-records'])) sp.push(`deleted-records ${s['deleted-records']}, added-records ${s['added-records']}`)
  if (Number(s['total-records']) !== input.length) sp.push(`total-records ${s['total-records']}`)
  if (Number(s['total-data-files']) !== before.size) sp.push(`total-data-files ${s['total-data-files']}`)
  const lastPart = W.files('db.ev').filter((f) => BigInt(f['snapshot-id']) === BigInt(last['snapshot-id']))
  if (lastPart.length !== 1 || Number(s['deleted-data-files']) !== before.get(partKey(lastPart[0]))) sp.push(`deleted-data-files ${s['deleted-data-files']}`)
  check('the last snapshot is a replace with Iceberg summary counters that add up', sp.join('; ') || null)

  check('floe table scan after compaction: rows equal the input', multisetDiff(input, W.scan('db.ev')))
  try {
    const d = await duckRead('db.ev')
    check('DuckDB over the listed data files: rows equal the input', multisetDiff(input, d.rows))
  } catch (e) { notOk('DuckDB over the listed data files', e.stack || e) }
  try {
    check('icebird reads the compacted table: rows equal the input', multisetDiff(input, await icebirdNow('db.ev')))
  } catch (e) { notOk('icebird reads the compacted table', e.stack || e) }

  const again = W.json(['compact', 'db.ev'])
  check('a second compaction finds nothing to do', Number(again.groups) === 0 && Number(again.snapshots) === 0 ? null : JSON.stringify(again, (k, v) => (typeof v === 'bigint' ? String(v) : v)))
}

// ---- deletes ----------------------------------------------------------------------------

async function deletes() {
  if (!fs.existsSync(TOOL)) { notOk('table-deletes tool', `${TOOL} is missing (make builds it)`); return }
  const input = fill('db.del', 12, 40)
  const ids = [5, 17, 123, 401]
  const t = run(TOOL, [W.cat, W.wh, 'db.del', '3', ids.join(',')], { timeout: 120 })
  const bad = describeFailure(t)
  if (bad) { notOk('table-deletes adds delete files', `${bad} ${t.stderr}`); return }
  const info = parseJsonBig(t.stdout)
  const named = await duckJson(
    `SELECT id::VARCHAR AS id FROM read_parquet(${lit(localPath(info['data-file']))}, file_row_number = true)
      WHERE file_row_number < ${Number(info.positions)}`)
  const gone = new Set([...ids.map(String), ...named.map((r) => String(r.id))])
  const expected = input.filter((r) => !gone.has(String(r.id)))
  check(`delete files added: ${info['delete-files']} (3 positions, ${ids.length} ids per partition); ${input.length - expected.length} rows deleted`,
    input.length - expected.length === 3 + ids.length ? null : `${input.length - expected.length} rows deleted`)
  check('floe table scan with the delete files: input minus the deleted rows', multisetDiff(expected, W.scan('db.del')))

  const r = W.json(['compact', 'db.del', '--min-files', '2'])
  check('floe compact applies the deletes: rows written = rows read - deleted; every delete file removed',
    Number(r['rows-read']) === input.length && Number(r['rows-written']) === expected.length &&
      Number(r['delete-files-removed']) === Number(info['delete-files'])
      ? null : `read ${r['rows-read']}, written ${r['rows-written']}, removed ${r['delete-files-removed']} delete files`)
  const listed = W.files('db.del')
  check('no delete file is listed after compaction', listed.every((f) => Number(f.content) === 0) ? null : `${listed.filter((f) => Number(f.content) !== 0).length} delete files`)
  const s = W.snapshots('db.del').at(-1).summary
  check('summary: total-delete-files 0 and removed-delete-files counted',
    Number(s['total-delete-files']) === 0 && Number(s['total-equality-deletes']) === 0 && Number(s['total-position-deletes']) === 0 ? null : JSON.stringify(s))
  check('floe table scan after compaction: input minus the deleted rows', multisetDiff(expected, W.scan('db.del')))
  try {
    const d = await duckRead('db.del')
    check('DuckDB over the listed data files: input minus the deleted rows', d.deletes === 0 ? multisetDiff(expected, d.rows) : `${d.deletes} delete files listed`)
  } catch (e) { notOk('DuckDB over the compacted files', e.stack || e) }
  try {
    check('icebird reads the compacted table: input minus the deleted rows', multisetDiff(expected, await icebirdNow('db.del')))
  } catch (e) { notOk('icebird reads the compacted table with deletes', e.stack || e) }
}

// ---- the command line ------------------------------------------------------------------

function cli() {
  let r = W.run(['compact', 'db.ev', '--min-files', '0'])
  check('--min-files 0 is a usage error (exit 2)', r.status === 2 && r.stderr.includes('--min-files') ? null : `exit ${r.status}: ${r.stderr}`)
  r = W.run(['compact', 'db.ev', '--target-size', 'lots'])
  check('--target-size lots is a usage error (exit 2)', r.status === 2 && r.stderr.includes('usage:') ? null : `exit ${r.status}: ${r.stderr}`)
  r = W.run(['compact', 'db.nope'])
  check('a missing table exits 1', r.status === 1 && r.stderr.includes('db.nope') ? null : `exit ${r.status}: ${r.stderr}`)
  r = W.run(['compact', 'db.ev', '--sort'])
  check('--sort on a table without a sort order exits 1', r.status === 1 && r.stderr.includes('no sort order') ? null : `exit ${r.status}: ${r.stderr}`)

  fill('db.txt', 6, 30)
  r = W.run(['compact', 'db.txt', '--partition', '2026-01-0'])
  check('text output: files rewritten, rows, snapshots',
    r.status === 0 && /rewrote \d+ data files/.test(r.stdout) && /rows: (\d+) read, \1 written/.test(r.stdout) ? null : `exit ${r.status}: ${r.stdout} ${r.stderr}`)

  fill('db.tty', 6, 30)
  const cmd = [FLOE, ...W.args(['compact', 'db.tty'])].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  r = run('script', ['-qec', cmd, '/dev/null'], { timeout: 120 })
  check('on a terminal, a progress bar redrawn with \\r, then the report',
    r.status === 0 && r.stdout.includes('\rcompacting [') && r.stdout.includes('rewrote') ? null : `exit ${r.status}: ${JSON.stringify(r.stdout.slice(0, 400))}`)
}

try {
  await smallFiles()
  await deletes()
  cli()
} catch (e) {
  notOk('compact_cli', e.stack || e)
}
finish()
