// Concurrent commits: 2, then 4 `floe ingest` processes append to one table
// at the same time through one SQLite catalog, each committing many
// snapshots (--commit-bytes cuts its input into batches; the input trickles
// in through standard input so that the processes overlap).  Every commit must
// land exactly once:
//   - every process succeeds, and the table has exactly as many snapshots as
//     the processes reported commits, each with its own floe.commit-id;
//   - the history is one line: each snapshot's parent is the one before it,
//     sequence numbers count 1..n, total-records adds up;
//   - no data file is listed twice, and the files are the ones reported;
//   - DuckDB reading every live data file finds every input id exactly once,
//     and icebird reads rows equal to the union of the inputs.
// Ends with `N passed, N failed`.
import fs from 'node:fs'
import path from 'node:path'
import { haveFloe, FLOE } from './lib/proc.mjs'
import { duckJson, lit } from './lib/duck.mjs'
import { notOk, check, note, finish } from './lib/tap.mjs'
import { warehouse, events, toNdjson, EVENT_SCHEMA, multisetDiff, icebirdRead, localPath, spawnFed } from './lib/iceberg.mjs'

if (!haveFloe()) {
  notOk('floe binary', `${FLOE} is missing; build it first (make)`)
  finish()
  process.exit()
}

const ROWS = 600          // per process
const COMMIT_BYTES = '12K' // about 65 records per commit: about 9 commits per process
const INGEST_RE = /^ingested (\d+) records into \S+.*: (\d+) commits?, (\d+) files?/m

const W = warehouse('floe-ice-concurrency-')
fs.writeFileSync(path.join(W.dir, 'schema.json'), JSON.stringify(EVENT_SCHEMA))
W.must(['namespace', 'create', 'db'])

let nextId = 0
for (const N of [2, 4]) {
  const table = `db.c${N}`
  // Java's retry waits (100 ms, doubling) let one writer win many rounds
  // in a row; shorter waits make the writers take turns, which is the
  // contention this test is after.
  W.must(['table', 'create', table, '--schema', path.join(W.dir, 'schema.json'), '--partition-by', 'bucket(4, id)',
    '--property', 'commit.retry.min-wait-ms=5', '--property', 'commit.retry.max-wait-ms=100',
    // every snapshot kept (floe's bounded history off): the test reads the whole history
    '--property', 'floe.history.retain-last=0'])
  const inputs = []
  for (let i = 0; i < N; i++) {
    const rows = events(nextId, ROWS)
    nextId += ROWS
    inputs.push({ rows })
  }
  const results = await Promise.all(inputs.map((inp) =>
    spawnFed(W.args(['ingest', '--table', table, '--commit-bytes', COMMIT_BYTES, '-']), toNdjson(inp.rows), 20, 15)))

  let commits = 0
  let files = 0
  const bad = []
  results.forEach((r, i) => {
    const m = INGEST_RE.exec(r.stdout)
    const sanitizer = /ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error: /.test(r.stderr)
    if (r.status !== 0 || !m || sanitizer) { bad.push(`process ${i}: exit ${r.status} ${r.signal || ''}: ${r.stderr.trim().slice(0, 300)}`); return }
    if (Number(m[1]) !== ROWS) bad.push(`process ${i} committed ${m[1]} records, not ${ROWS}`)
    commits += Number(m[2])
    files += Number(m[3])
  })
  check(`${N} processes: every ingest succeeds (${commits} commits in all)`, bad.join('\n') || null)
  if (bad.length) continue

  const snaps = W.snapshots(table)
  const problems = []
  if (snaps.length !== commits) problems.push(`${snaps.length} snapshots for ${commits} commits`)
  const ids = new Set()
  let total = 0n
  snaps.forEach((s, i) => {
    if (BigInt(s['sequence-number']) !== BigInt(i + 1)) problems.push(`snapshot ${i}: sequence number ${s['sequence-number']}`)
    if (i > 0 && s['parent-snapshot-id'] !== snaps[i - 1]['snapshot-id']) problems.push(`snapshot ${i}: parent is not the snapshot before it`)
    if (i === 0 && s['parent-snapshot-id'] !== undefined) problems.push('the first snapshot has a parent')
    const cid = s.summary['floe.commit-id']
    if (!cid) problems.push(`snapshot ${i} has no floe.commit-id`)
    else if (ids.has(cid)) problems.push(`commit ${cid} landed twice`)
    ids.add(cid)
    total += BigInt(s.summary['added-records'])
    if (BigInt(s.summary['total-records']) !== total) problems.push(`snapshot ${i}: total-records ${s.summary['total-records']}, expected ${total}`)
  })
  check(`${N} processes: ${snaps.length} snapshots, one per commit, one linear history`, problems.slice(0, 5).join('\n') || null)

  const list = W.files(table)
  const paths = new Set(list.map((f) => f['file-path']))
  check(`${N} processes: ${list.length} data files, none listed twice, as many as reported`,
    paths.size !== list.length ? `${list.length - paths.size} duplicates` : list.length !== files ? `${list.length} listed, ${files} reported` : null)

  // Which process wrote each snapshot (ids of process i start at base +
  // i * ROWS): one process per snapshot, and the processes' commits
  // interleave, or the run did not test concurrency at all.
  const base = inputs[0].rows[0].id
  try {
    const mins = await duckJson(`SELECT filename, min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM read_parquet([${list.map((f) => lit(localPath(f['file-path']))).join(',')}], filename = true) GROUP BY filename`)
    const proc = new Map(mins.map((r) => [r.filename, [Math.floor((Number(r.lo) - base) / ROWS), Math.floor((Number(r.hi) - base) / ROWS)]]))
    const bySnap = new Map()
    const mixed = []
    for (const f of list) {
      const [a, b] = proc.get(localPath(f['file-path'])) || [-1, -2]
      const sid = String(f['snapshot-id'])
      if (a !== b || (bySnap.has(sid) && bySnap.get(sid) !== a)) mixed.push(sid)
      bySnap.set(sid, a)
    }
    const order = snaps.map((s) => bySnap.get(String(s['snapshot-id'])))
    const switches = order.filter((p, i) => i > 0 && p !== order[i - 1]).length
    check(`${N} processes: each snapshot holds one process's records`, mixed.length ? `snapshots ${mixed.slice(0, 3).join(', ')} mix processes` : null)
    check(`${N} processes: their commits interleave (${switches} switches between processes in ${order.length} snapshots)`,
      switches >= N ? null : `history by process: ${order.join(' ')}`)
  } catch (e) {
    notOk(`${N} processes: DuckDB reads the data files' ids`, e.message)
  }

  const expected = inputs.flatMap((x) => x.rows)
  try {
    const got = await duckJson(`SELECT id::VARCHAR AS id, count(*)::BIGINT AS n FROM read_parquet([${list.map((f) => lit(localPath(f['file-path']))).join(',')}]) GROUP BY id`)
    const seen = new Map(got.map((r) => [String(r.id), Number(r.n)]))
    const dup = got.filter((r) => Number(r.n) !== 1)
    const missing = expected.filter((r) => !seen.has(String(r.id)))
    check(`${N} processes: DuckDB finds each of the ${expected.length} ids exactly once`,
      dup.length || missing.length || seen.size !== expected.length
        ? `${dup.length} ids more than once, ${missing.length} missing, ${seen.size} distinct` : null)
  } catch (e) {
    notOk(`${N} processes: DuckDB reads the data files`, e.message)
  }
  try {
    const info = W.describe(table)
    check(`${N} processes: icebird reads the union of the inputs`, multisetDiff(expected, await icebirdRead(info.location, info['metadata-location'])))
  } catch (e) {
    notOk(`${N} processes: icebird reads the table`, e.stack || e)
  }
}

note(`warehouse: ${W.wh}`)
if (!process.env.KEEP) W.cleanup()
finish()
