// `floe table scan` and `floe ingest` end to end, judged against the input
// itself: rows are compared with the input filtered in JavaScript.
//   - full scans return the input (tables partitioned by 'day(ts), country'
//     and unpartitioned, several ingests each);
//   - --where: comparisons, IN, IS NULL, NOT, AND/OR, nested and date
//     columns, SQL's null semantics; and --stats shows that partition and
//     column-bound predicates skip data files;
//   - --columns projects (nested paths too), --limit stops;
//   - time travel: --snapshot reads each snapshot, --as-of the snapshot
//     current at a time (epoch ms and ISO text), and both refuse what does
//     not exist;
//   - bad options exit 2 or 1 with messages naming the option;
//   - a record that does not fit fails the ingest (exit 1) naming the line
//     and field, and the table then holds exactly the batches committed
//     before it, no file of the failed batch is left behind;
//   - an input that trickles in is committed every --commit-interval-ms.
// Ends with `N passed, N failed`.
import fs from 'node:fs'
import path from 'node:path'
import { haveFloe, FLOE, describeFailure } from './lib/proc.mjs'
import { parseNdjson } from './lib/json.mjs'
import { notOk, check, note, finish } from './lib/tap.mjs'
import { warehouse, events, toNdjson, EVENT_SCHEMA, multisetDiff, canonRow, tsMicros, localPath, spawnFed } from './lib/iceberg.mjs'

if (!haveFloe()) {
  notOk('floe binary', `${FLOE} is missing; build it first (make)`)
  finish()
  process.exit()
}

const W = warehouse('floe-ice-scan-')
const SCHEMA_FILE = path.join(W.dir, 'schema.json')
fs.writeFileSync(SCHEMA_FILE, JSON.stringify(EVENT_SCHEMA))
W.must(['namespace', 'create', 'db'])

// ---- tables --------------------------------------------------------------------------

const TABLES = [
  { name: 'db.parted', spec: 'day(ts), country' },
  { name: 'db.flat', spec: null },
]
const INGESTS = 3
const ROWS = 500
for (const t of TABLES) {
  const args = ['table', 'create', t.name, '--schema', SCHEMA_FILE]
  if (t.spec) args.push('--partition-by', t.spec)
  W.must(args)
  t.input = []
  for (let i = 0; i < INGESTS; i++) {
    const rows = events(i * ROWS, ROWS) // the same input for both tables
    const file = path.join(W.dir, `${t.name}-${i}.ndjson`)
    fs.writeFileSync(file, toNdjson(rows))
    W.must(['ingest', '--table', t.name, '--commit-bytes', '40K', file])
    t.input.push(...rows)
  }
  t.snaps = W.snapshots(t.name)
}

// Runs a scan; {rows, stats, r} where stats holds --stats' numbers.
function scan(table, extra) {
  const r = W.run(['table', 'scan', table, '--stats', ...extra])
  const m = /manifests (\d+) \((\d+) skipped\), data files (\d+) \((\d+) skipped\).*files read (\d+), rows read (\d+).*rows returned (\d+)/.exec(r.stderr)
  const stats = m && { manifests: +m[1], manifestsSkipped: +m[2], files: +m[3], filesSkipped: +m[4], filesRead: +m[5], rowsRead: +m[6], rows: +m[7] }
  let rows = null
  if (r.status === 0) rows = parseNdjson(r.stdout)
  return { rows, stats, r }
}

for (const t of TABLES) {
  const { rows, r } = scan(t.name, [])
  check(`${t.name}: a full scan returns the ${t.input.length} input rows`, describeFailure(r) || multisetDiff(t.input, rows))
}

// ---- --where ---------------------------------------------------------------------------

const ms = (text) => Number(tsMicros(text) / 1000n)
const has = (v) => v !== null && v !== undefined
// [expression, JS predicate on an input row, must it skip files in db.parted, in db.flat]
const FILTERS = [
  ['id < 100', (r) => r.id < 100, false, true],
  ['id >= 1250 AND id < 1262', (r) => r.id >= 1250 && r.id < 1262, false, true],
  ["country = 'DE'", (r) => r.country === 'DE', true, false],
  ["country IN ('FR', 'Ωmega')", (r) => r.country === 'FR' || r.country === 'Ωmega', true, false],
  ['country IS NULL', (r) => r.country === null, true, false],
  ["country != 'DE'", (r) => has(r.country) && r.country !== 'DE', true, false],
  ["country NOT IN ('DE', 'FR', 'US')", (r) => has(r.country) && !['DE', 'FR', 'US'].includes(r.country), true, false],
  ["ts >= '2026-01-03T00:00:00Z' AND ts < '2026-01-04T00:00:00Z'",
    (r) => has(r.ts) && ms(r.ts) >= ms('2026-01-03T00:00:00Z') && ms(r.ts) < ms('2026-01-04T00:00:00Z'), true, false],
  ["ts > '2026-01-05T12:00:00+02:00'", (r) => has(r.ts) && ms(r.ts) > ms('2026-01-05T10:00:00Z'), true, false],
  ['ts IS NULL', (r) => r.ts === null, true, false],
  ['NOT (qty > 3) OR amount IS NULL', (r) => (has(r.qty) && r.qty <= 3) || r.amount === null, false, false],
  ["event = 'purchase' AND qty >= 10", (r) => r.event === 'purchase' && has(r.qty) && r.qty >= 10, false, false],
  ['loc.lat > 45', (r) => has(r.loc) && has(r.loc.lat) && r.loc.lat > 45, false, false],
  ["day = '2026-01-05'", (r) => r.day === '2026-01-05', false, false],
  ['amount <= 100.5', (r) => has(r.amount) && r.amount <= 100.5, false, false],
  ['id IN (1, 5, 1499, 999999)', (r) => [1, 5, 1499].includes(r.id), false, true],
  ["(country = 'JP' OR country = 'BR') AND id > 700", (r) => (r.country === 'JP' || r.country === 'BR') && r.id > 700, true, true],
]

for (const t of TABLES) {
  const flat = t.name === 'db.flat'
  for (const [expr, pred, pruneParted, pruneFlat] of FILTERS) {
    const { rows, stats, r } = scan(t.name, ['--where', expr])
    const bad = describeFailure(r)
    if (bad) { notOk(`${t.name}: --where "${expr}"`, bad); continue }
    let why = multisetDiff(t.input.filter(pred), rows)
    const mustPrune = flat ? pruneFlat : pruneParted
    if (!why && mustPrune && !(stats && stats.filesSkipped > 0)) why = `no data file was skipped: ${r.stderr.trim()}`
    // stats.files counts the files planned, after pruning.
    if (!why && stats && stats.filesRead > stats.files) why = `read ${stats.filesRead} files, ${stats.files} planned`
    check(`${t.name}: --where "${expr}": ${rows.length} rows as filtered in JS${mustPrune ? `, ${stats?.filesSkipped} of ${stats?.files + stats?.filesSkipped} files skipped` : ''}`, why)
  }
}

// ---- --columns, --limit ----------------------------------------------------------------

{
  const t = TABLES[0]
  const { rows, r } = scan(t.name, ['--columns', 'loc.lat, id'])
  let why = describeFailure(r)
  if (!why) {
    const shapes = new Set(rows.map((x) => Object.keys(x).join(',') + '|' + (x.loc ? Object.keys(x.loc).join(',') : 'null')))
    const expectShapes = new Set(['id,loc|lat', 'id,loc|null'])
    why = [...shapes].find((s) => !expectShapes.has(s)) ? `row shapes ${[...shapes].join(' ')}` : null
    why ||= multisetDiff(t.input.map((x) => ({ id: x.id, loc: x.loc && { lat: x.loc.lat } })), rows.map((x) => ({ id: x.id, loc: x.loc && { lat: x.loc.lat } })), ['id', 'loc'])
  }
  check(`${t.name}: --columns 'loc.lat, id' returns id and loc.lat only, in schema order`, why)

  const lim = scan(t.name, ['--limit', '7', '--where', "country = 'US'"])
  why = describeFailure(lim.r)
  if (!why) {
    const all = new Set(t.input.filter((x) => x.country === 'US').map((x) => canonRow(x)))
    why = lim.rows.length !== 7 ? `${lim.rows.length} rows` : lim.rows.find((x) => !all.has(canonRow(x))) ? 'a row that is not in the input' : null
  }
  check(`${t.name}: --limit 7 with --where returns 7 matching rows`, why)
}

// ---- time travel ---------------------------------------------------------------------------

for (const t of TABLES) {
  // Batches commit in input order, so snapshot k holds the first
  // total-records(k) input rows.
  const prefix = (s) => t.input.slice(0, Number(s.summary['total-records']))
  const problems = []
  for (const s of t.snaps) {
    const { rows, r } = scan(t.name, ['--snapshot', String(s['snapshot-id'])])
    const why = describeFailure(r) || multisetDiff(prefix(s), rows)
    if (why) problems.push(`snapshot ${s['snapshot-id']}: ${why}`)
  }
  check(`${t.name}: --snapshot reads each of the ${t.snaps.length} snapshots as it was`, problems.slice(0, 3).join('\n') || null)

  // --as-of just before the next snapshot's time names the snapshot before it.
  const asOf = []
  for (let i = 0; i + 1 < t.snaps.length; i++) {
    const at = Number(t.snaps[i + 1]['timestamp-ms']) - 1
    if (at >= Number(t.snaps[i]['timestamp-ms'])) asOf.push([t.snaps[i], at])
  }
  const last = t.snaps[t.snaps.length - 1]
  asOf.push([last, Number(last['timestamp-ms']) + 3600000])
  const bad = []
  for (const [s, at] of asOf) {
    for (const form of [String(at), new Date(at).toISOString()]) {
      const { rows, r } = scan(t.name, ['--as-of', form])
      const why = describeFailure(r) || multisetDiff(prefix(s), rows)
      if (why) bad.push(`--as-of ${form}: ${why}`)
    }
  }
  check(`${t.name}: --as-of (epoch ms and ISO) reads the snapshot current then, ${asOf.length} times`, bad.slice(0, 3).join('\n') || null)
}

// ---- errors -------------------------------------------------------------------------------------

const ERRORS = [
  [['--where', 'nope = 1'], 1, /floe: .*--where.*nope/],
  [['--where', 'id = '], 1, /floe: .*--where/],
  [['--where', "id = 'abc'"], 1, /floe: .*--where.*id/],
  [['--where', 'qty = 3.5'], 1, /floe: .*--where.*qty/],
  [['--columns', 'nope'], 1, /floe: .*--columns.*nope/],
  [['--columns', 'id,,ts'], 2, /floe: --columns/],
  [['--snapshot', '12345'], 1, /floe: .*--snapshot.*12345/],
  [['--snapshot', 'abc'], 2, /floe: --snapshot: 'abc' is not a snapshot id/],
  [['--snapshot', '1', '--as-of', '2026-01-01'], 2, /floe: --snapshot and --as-of exclude each other/],
  [['--as-of', '2000-01-01T00:00:00Z'], 1, /floe: .*--as-of/],
  [['--as-of', 'yesterday'], 1, /floe: .*--as-of/],
  [['--limit', '0'], 2, /floe: --limit: '0' is not a positive number/],
]
for (const [args, code, re] of ERRORS) {
  const r = W.run(['table', 'scan', 'db.parted', ...args])
  const why = r.sanitizer || r.signal ? describeFailure(r) : r.status !== code ? `exit ${r.status}, expected ${code}: ${r.stderr.trim()}` : re.test(r.stderr) ? null : `stderr: ${r.stderr.trim()}`
  check(`scan ${args.join(' ')}: exit ${code}, ${re}`, why)
}
{
  W.must(['table', 'create', 'db.empty', '--schema', SCHEMA_FILE])
  const r = W.run(['table', 'scan', 'db.empty'])
  check('a table without snapshots scans to no rows', describeFailure(r) || (r.stdout === '' ? null : `stdout: ${r.stdout.slice(0, 200)}`))
  const m = W.run(['table', 'scan', 'db.missing'])
  check('scanning a missing table: exit 1 naming it', m.status === 1 && /floe: .*db\.missing/.test(m.stderr) ? null : `exit ${m.status}: ${m.stderr}`)
}

// ---- a failing ingest ----------------------------------------------------------------------------

{
  const table = 'db.failing'
  W.must(['table', 'create', table, '--schema', SCHEMA_FILE, '--partition-by', 'day(ts)'])
  const good = events(100000, 700)
  const bad = 612 // 1-based line of the bad record
  const lines = toNdjson(good).split('\n')
  lines.splice(bad - 1, 0, JSON.stringify({ ...good[0], id: 'not-a-number' }))
  const file = path.join(W.dir, 'failing.ndjson')
  fs.writeFileSync(file, lines.join('\n'))
  const r = W.run(['ingest', '--table', table, '--commit-bytes', '24K', file])
  check('ingest of a bad record exits 1', r.status === 1 && !r.sanitizer ? null : `exit ${r.status}: ${describeFailure(r)}`)
  check('the error names the input, the line and the field',
    new RegExp(`^floe: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line ${bad}: field 'id': `, 'm').test(r.stderr) ? null : r.stderr)
  const m = /committed before the failure: (\d+) records in (\d+) commits?/.exec(r.stderr)
  const committed = m ? Number(m[1]) : -1
  check('it reports what was committed before the failure', m && committed > 0 && committed < bad ? null : r.stderr)
  if (m) {
    const snaps = W.snapshots(table)
    const total = snaps.length ? Number(snaps[snaps.length - 1].summary['total-records']) : 0
    check(`the table holds the ${m[2]} committed batches and nothing else`,
      snaps.length === Number(m[2]) && total === committed ? null : `${snaps.length} snapshots, total-records ${total}`)
    const rows = W.scan(table)
    check(`a scan returns exactly the first ${committed} records`, multisetDiff(good.slice(0, committed), rows))
    const listed = new Set(W.files(table).map((f) => localPath(f['file-path'])))
    const dataDir = path.join(localPath(W.describe(table).location), 'data')
    const onDisk = fs.readdirSync(dataDir, { recursive: true }).filter((n) => n.endsWith('.parquet')).map((n) => path.join(dataDir, n))
    const stray = onDisk.filter((p) => !listed.has(p))
    check("no data file of the failed batch is left on disk", stray.length ? `${stray.length} unlisted files, e.g. ${stray[0]}` : null)
  }
}

// ---- interval commits -------------------------------------------------------------------------------

{
  const table = 'db.trickle'
  W.must(['table', 'create', table, '--schema', SCHEMA_FILE])
  const rows = events(200000, 300)
  // 6 pieces of 50 lines, 300 ms apart: about 1.5 s of input.
  const r = await spawnFed(W.args(['ingest', '--table', table, '--commit-interval-ms', '250', '-']), toNdjson(rows), 50, 300)
  const m = /^ingested 300 records into db\.trickle.*: (\d+) commits?/m.exec(r.stdout)
  const commits = m ? Number(m[1]) : 0
  check('a trickling input commits every --commit-interval-ms (at least 3 commits in 1.5 s at 250 ms)',
    r.status !== 0 || !m ? `exit ${r.status}: ${r.stdout}${r.stderr}` : commits >= 3 ? null : `${commits} commits`)
  if (m) {
    check('... one snapshot per commit, holding every record',
      W.snapshots(table).length !== commits ? 'snapshot count differs' : multisetDiff(rows, W.scan(table)))
  }
}

note(`warehouse: ${W.wh}`)
if (!process.env.KEEP) W.cleanup()
finish()
