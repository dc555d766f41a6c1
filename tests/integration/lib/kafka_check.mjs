// The oracle checks of the Kafka pipeline tests (tests/integration/kafka_*.sh),
// run as a command so that the shell scripts driving brokers and floe
// processes can ask them.  Each prints `ok - ...` / `not ok - ...` lines and
// ends with `N passed, N failed` (the calling script adds these up).
//
//   node kafka_check.mjs ids --warehouse WH --table NS.T --n N [--first F]
//                            [--icebird] [--label L]
//     The table holds exactly the ids F..F+N-1, each once, as seen by
//     (a) `floe table scan`, (b) DuckDB over the data files that
//     `floe table files` lists (also: no file listed twice, each file's row
//     count equals its listed record count), and with --icebird (c) icebird
//     reading the table's current metadata file, in slices of rows.
//
//   node kafka_check.mjs offsets --warehouse WH --table NS.T --group G --ends FILE
//                                [--label L]
//     Every snapshot's summary carries `floe.kafka.offsets.G` (JSON topic ->
//     partition -> next offset) and a `floe.commit-id`, commit ids are
//     unique, offsets never go back from one snapshot to the next, and the
//     last snapshot's map equals the partitions' end offsets in FILE (the
//     output of `kcat -Q -t topic:p:-1 ...`: lines `topic [p] offset N`).
//
//   node kafka_check.mjs dlq --warehouse WH --table NS.T --expect FILE [--label L]
//     FILE is JSON {"good": [ids], "bad": [{topic, partition, offset,
//     key (base64 or null), value (base64), reason: [substrings]}],
//     "absent": [{topic, partition, offset}]}: the table holds exactly the
//     good ids, `NS.T__dlq` holds exactly the bad records once each with
//     their raw key and value bytes and an error naming the reason, and no
//     record of "absent" (tombstones) is in either table.
//
//   node kafka_check.mjs rows --warehouse WH --table NS.T --expect FILE [--label L]
//     FILE is a JSON array of rows (objects keyed by column, each with an
//     `id`): icebird, reading the table's current metadata (columns by
//     field id, so files written before a column was added give nulls),
//     returns exactly these rows, nested values included; DuckDB over the
//     listed data files (columns by name, union_by_name) counts the rows,
//     the distinct ids and the non-null values of each top-level scalar
//     column of the rows.
//
// floe is build/$MODE/floe (or $FLOE); the catalog is the warehouse's
// embedded SQLite catalog.
import fs from 'node:fs'
import { floe, describeFailure } from './proc.mjs'
import { parseJsonBig, parseNdjson } from './json.mjs'
import { duckJson, lit } from './duck.mjs'
import { localPath } from './iceberg.mjs'
import { icebird } from '../../oracle/index.mjs'
import { ok, notOk, check, note, finish } from './tap.mjs'

const [cmd, ...rest] = process.argv.slice(2)
const opt = {}
for (let i = 0; i < rest.length; i++) {
  const a = rest[i]
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
  if (a === '--icebird') opt.icebird = true
  else opt[a.slice(2)] = rest[++i]
}
const L = opt.label ? `${opt.label}: ` : ''

function floeMust(args, what) {
  const r = floe([...args, '--warehouse', opt.warehouse], { timeout: 600 })
  const bad = describeFailure(r)
  if (bad) throw new Error(`${what}: floe ${args.join(' ')}: ${bad}`)
  return r.stdout
}

// Marks each id of `ids` (an iterable of numbers or BigInts) in a count
// array; the first problem (out of range, duplicate, missing) or null.
function exactlyOnce(ids, first, n) {
  const seen = new Uint8Array(n)
  let total = 0, dup = 0, out = 0, firstDup = null, firstOut = null
  for (const v of ids) {
    total++
    const k = Number(v) - first
    if (!Number.isInteger(k) || k < 0 || k >= n) { out++; firstOut ??= v; continue }
    if (seen[k]) { dup++; firstDup ??= v } else seen[k] = 1
  }
  let missing = 0, firstMissing = null
  for (let k = 0; k < n; k++) if (!seen[k]) { missing++; firstMissing ??= first + k }
  if (!dup && !out && !missing && total === n) return null
  return `${total} rows for ${n} ids: ${missing} missing` + (missing ? ` (e.g. ${firstMissing})` : '') +
    `, ${dup} duplicates` + (dup ? ` (e.g. ${firstDup})` : '') +
    `, ${out} out of range` + (out ? ` (e.g. ${firstOut})` : '')
}

async function checkIds() {
  const first = Number(opt.first || 0)
  const n = Number(opt.n)
  // (a) floe's own scan.
  try {
    const t0 = Date.now()
    const text = floeMust(['table', 'scan', opt.table, '--columns', 'id'], 'scan')
    const ids = []
    const re = /^\{"id":(-?\d+)\}$/
    let bad = null
    for (const line of text.split('\n')) {
      if (!line) continue
      const m = re.exec(line)
      if (!m) { bad ??= line; continue }
      ids.push(Number(m[1]))
    }
    check(`${L}floe table scan: ids ${first}..${first + n - 1} each exactly once`,
      bad ? `unexpected line ${bad.slice(0, 200)}` : exactlyOnce(ids, first, n))
    note(`${L}floe scan read ${ids.length} rows in ${Date.now() - t0} ms`)
  } catch (e) {
    notOk(`${L}floe table scan`, e.message)
  }
  // (b) DuckDB over the listed data files.
  try {
    const files = parseJsonBig(floeMust(['table', 'files', opt.table, '--json'], 'files'))
    const data = files.filter((f) => Number(f.content) === 0)
    const paths = data.map((f) => localPath(f['file-path']))
    const uniq = new Set(paths)
    check(`${L}floe table files: ${data.length} data files, none listed twice, all exist, no delete files`,
      uniq.size !== paths.length ? `${paths.length - uniq.size} listed twice`
        : data.length !== files.length ? `${files.length - data.length} delete files`
          : paths.find((p) => !fs.existsSync(p)) ? `missing file ${paths.find((p) => !fs.existsSync(p))}`
            : data.length === 0 ? 'no data files' : null)
    if (data.length) {
      const list = `[${paths.map(lit).join(', ')}]`
      const [r] = await duckJson(`SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS d,
        min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM read_parquet(${list})`)
      const got = { n: Number(r.n), d: Number(r.d), lo: Number(r.lo), hi: Number(r.hi) }
      check(`${L}DuckDB over the listed files: ${n} rows, ${n} distinct ids ${first}..${first + n - 1}`,
        got.n === n && got.d === n && got.lo === first && got.hi === first + n - 1 ? null
          : `count ${got.n}, distinct ${got.d}, min ${got.lo}, max ${got.hi}`)
      const per = await duckJson(`SELECT filename AS f, count(*)::BIGINT AS n FROM read_parquet(${list}, filename = true) GROUP BY filename`)
      const byPath = new Map(per.map((x) => [x.f, Number(x.n)]))
      const wrong = data.find((f) => (byPath.get(localPath(f['file-path'])) ?? 0) !== Number(f['record-count']))
      check(`${L}DuckDB: every file's rows equal its listed record count`,
        wrong ? `${localPath(wrong['file-path'])}: listed ${wrong['record-count']}, DuckDB reads ${byPath.get(localPath(wrong['file-path']))}` : null)
      const listed = data.reduce((s, f) => s + Number(f['record-count']), 0)
      check(`${L}listed record counts add up to ${n}`, listed === n ? null : `they add up to ${listed}`)
    }
  } catch (e) {
    notOk(`${L}DuckDB over the listed files`, e.message)
  }
  // (c) icebird, from the table's current metadata file.
  if (opt.icebird) {
    try {
      const t0 = Date.now()
      const info = parseJsonBig(floeMust(['table', 'describe', opt.table, '--json'], 'describe'))
      const location = info.location
      const metaLoc = info['metadata-location']
      // The metadata once; then slices of rows, so that a million rows of
      // objects are never all alive at once.
      fileFetch()
      const metadata = await icebird.icebergMetadata({ tableUrl: location, metadataFileName: metaLoc.split('/').pop() })
      const ids = []
      const SLICE = 200000
      for (let start = 0; ; start += SLICE) {
        const rows = await icebird.icebergRead({ tableUrl: location, metadata, rowStart: start, rowEnd: start + SLICE })
        for (const r of rows) ids.push(r.id)
        if (rows.length < SLICE) break
      }
      check(`${L}icebird reads ids ${first}..${first + n - 1} each exactly once`, exactlyOnce(ids, first, n))
      note(`${L}icebird read ${ids.length} rows in ${Date.now() - t0} ms`)
    } catch (e) {
      notOk(`${L}icebird reads the table`, e.stack || e.message)
    }
  }
}

// icebird fetches every path with fetch(): file:// URLs are answered from
// the local disk (as iceberg.mjs does for icebirdRead, which reads all rows
// at once).
let fetchShimmed = false
function fileFetch() {
  if (fetchShimmed) return
  fetchShimmed = true
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

// Deep equality where an absent value equals null; BigInts compare as numbers.
function sameValue(a, b) {
  if (a === undefined) a = null
  if (b === undefined) b = null
  if (typeof a === 'bigint') a = Number(a)
  if (typeof b === 'bigint') b = Number(b)
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].every((k) => sameValue(a[k], b[k]))
}

const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? Number(x) : x))

async function checkRows() {
  const want = JSON.parse(fs.readFileSync(opt.expect, 'utf8'))
  const byId = new Map(want.map((r) => [r.id, r]))
  try {
    const info = parseJsonBig(floeMust(['table', 'describe', opt.table, '--json'], 'describe'))
    fileFetch()
    const metadata = await icebird.icebergMetadata({ tableUrl: info.location,
      metadataFileName: info['metadata-location'].split('/').pop() })
    const rows = await icebird.icebergRead({ tableUrl: info.location, metadata })
    const seen = new Set()
    let bad = null
    for (const r of rows) {
      const id = Number(r.id)
      const w = byId.get(id)
      if (!w) { bad ??= `unexpected row ${show(r)}`; continue }
      if (seen.has(id)) { bad ??= `id ${id} twice`; continue }
      seen.add(id)
      if (!sameValue(r, w)) bad ??= `id ${id}: read ${show(r)}, expected ${show(w)}`
    }
    if (!bad && seen.size !== want.length) bad = `${want.length - seen.size} rows missing, e.g. id ${want.find((r) => !seen.has(r.id))?.id}`
    check(`${L}icebird reads exactly the ${want.length} expected rows, new columns included`, bad)
  } catch (e) {
    notOk(`${L}icebird reads the rows`, e.stack || e.message)
  }
  try {
    const files = parseJsonBig(floeMust(['table', 'files', opt.table, '--json'], 'files'))
    const list = `[${files.map((f) => lit(localPath(f['file-path']))).join(', ')}]`
    const cols = Object.keys(want[0] || {}).filter((k) =>
      want.some((r) => r[k] !== null && r[k] !== undefined && typeof r[k] !== 'object'))
    const [r] = await duckJson(`SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS d,
      ${cols.map((c, i) => `count(${JSON.stringify(c)})::BIGINT AS c${i}`).join(', ')}
      FROM read_parquet(${list}, union_by_name = true)`)
    const exp = { n: want.length, d: want.length }
    const got = { n: Number(r.n), d: Number(r.d) }
    cols.forEach((c, i) => {
      exp[c] = want.filter((x) => x[c] !== null && x[c] !== undefined).length
      got[c] = Number(r[`c${i}`])
    })
    check(`${L}DuckDB over the ${files.length} listed files: rows, distinct ids and values per column`,
      sameValue(got, exp) ? null : `got ${show(got)}, expected ${show(exp)}`)
  } catch (e) {
    notOk(`${L}DuckDB over the listed files`, e.message)
  }
}

async function checkOffsets() {
  const group = opt.group
  const key = `floe.kafka.offsets.${group}`
  let ends
  try {
    ends = {}
    for (const line of fs.readFileSync(opt.ends, 'utf8').split('\n')) {
      const m = /^(\S+) \[(\d+)\] offset (-?\d+)$/.exec(line.trim())
      if (!m) continue
      ;(ends[m[1]] ??= {})[m[2]] = Number(m[3])
    }
    if (!Object.keys(ends).length) throw new Error(`no offsets in ${opt.ends}`)
  } catch (e) {
    notOk(`${L}partition end offsets`, e.message)
    return
  }
  let snaps
  try {
    snaps = parseJsonBig(floeMust(['table', 'snapshots', opt.table, '--json'], 'snapshots'))
  } catch (e) {
    notOk(`${L}floe table snapshots`, e.message)
    return
  }
  note(`${L}${snaps.length} snapshots (commits) in ${opt.table}`)
  let problem = null
  const commitIds = new Set()
  let prev = null
  let last = null
  for (const s of snaps) {
    const sum = s.summary || {}
    const id = s['snapshot-id']
    if (!(key in sum)) { problem ??= `snapshot ${id} has no ${key} (summary keys: ${Object.keys(sum).join(', ')})`; continue }
    if (!sum['floe.commit-id']) problem ??= `snapshot ${id} has no floe.commit-id`
    else if (commitIds.has(sum['floe.commit-id'])) problem ??= `commit id ${sum['floe.commit-id']} appears twice`
    else commitIds.add(sum['floe.commit-id'])
    let map
    try { map = JSON.parse(sum[key]) } catch (e) { problem ??= `snapshot ${id}: ${key} is not JSON: ${sum[key].slice(0, 200)}`; continue }
    if (prev) {
      for (const [t, parts] of Object.entries(prev)) {
        for (const [p, o] of Object.entries(parts)) {
          const now = map[t]?.[p]
          if (now === undefined) problem ??= `snapshot ${id} dropped ${t}[${p}] (was ${o})`
          else if (Number(now) < Number(o)) problem ??= `snapshot ${id}: ${t}[${p}] went back from ${o} to ${now}`
        }
      }
    }
    prev = map
    last = map
  }
  check(`${L}every snapshot carries ${key} and a unique floe.commit-id; offsets never go back`,
    snaps.length === 0 ? 'no snapshots' : problem)
  let diff = null
  if (!last) diff = 'no offsets map'
  else {
    for (const [t, parts] of Object.entries(ends)) {
      for (const [p, e] of Object.entries(parts)) {
        const got = last[t]?.[p]
        if (e === 0 && got === undefined) continue // an empty partition needs no entry
        if (Number(got) !== e) { diff ??= `${t}[${p}]: table says ${got}, partition ends at ${e}`; }
      }
    }
    for (const [t, parts] of Object.entries(last)) {
      for (const p of Object.keys(parts)) if (ends[t]?.[p] === undefined) diff ??= `unexpected ${t}[${p}] in the offsets`
    }
  }
  const total = Object.values(ends).flatMap((x) => Object.values(x)).reduce((a, b) => a + b, 0)
  check(`${L}the last snapshot's offsets equal the partitions' ends (${total} records)`, diff)
}

async function checkDlq() {
  const exp = JSON.parse(fs.readFileSync(opt.expect, 'utf8'))
  const dlqName = `${opt.table}__dlq`
  // Good records: exactly the expected ids.
  try {
    const rows = parseNdjson(floeMust(['table', 'scan', opt.table, '--columns', 'id'], 'scan'))
    const want = [...exp.good].sort((a, b) => a - b)
    const got = rows.map((r) => Number(r.id)).sort((a, b) => a - b)
    const same = want.length === got.length && want.every((v, i) => v === got[i])
    check(`${L}${opt.table} holds exactly the ${want.length} good records`,
      same ? null : `expected ${want.length} ids, got ${got.length}: ` +
        `missing ${want.filter((v) => !got.includes(v)).slice(0, 10)}, unexpected ${got.filter((v) => !want.includes(v)).slice(0, 10)}`)
  } catch (e) {
    notOk(`${L}${opt.table} holds the good records`, e.message)
  }
  let rows
  try {
    rows = parseNdjson(floeMust(['table', 'scan', dlqName], 'scan dlq'))
  } catch (e) {
    notOk(`${L}${dlqName} can be scanned`, e.message)
    return
  }
  const k = (t, p, o) => `${t}/${p}/${o}`
  const byKey = new Map()
  let dups = 0
  for (const r of rows) {
    const key = k(r.topic, Number(r.partition), Number(r.offset))
    if (byKey.has(key)) dups++
    byKey.set(key, r)
  }
  check(`${L}${dlqName} has ${exp.bad.length} rows, one per bad record`,
    rows.length === exp.bad.length && dups === 0 ? null : `${rows.length} rows, ${dups} duplicated positions`)
  const missing = exp.bad.filter((b) => !byKey.has(k(b.topic, b.partition, b.offset)))
  const wanted = new Set(exp.bad.map((b) => k(b.topic, b.partition, b.offset)))
  const extra = rows.filter((r) => !wanted.has(k(r.topic, Number(r.partition), Number(r.offset))))
  check(`${L}every bad record is in ${dlqName} at its topic/partition/offset`,
    missing.length || extra.length ? `${missing.length} missing (e.g. ${JSON.stringify(missing[0] && { ...missing[0], value: undefined })}), ` +
      `${extra.length} unexpected (e.g. ${JSON.stringify(extra[0])?.slice(0, 300)})` : null)
  let badValue = null, badKey = null, badReason = null, badTime = null
  for (const b of exp.bad) {
    const r = byKey.get(k(b.topic, b.partition, b.offset))
    if (!r) continue
    const where = `${b.topic}[${b.partition}]@${b.offset}`
    if ((r.value ?? null) !== b.value) {
      const got = r.value == null ? 'null' : `${Buffer.from(r.value, 'base64').length} bytes ${Buffer.from(r.value, 'base64').subarray(0, 60)}`
      badValue ??= `${where}: value is ${got}, produced ${Buffer.from(b.value, 'base64').length} bytes ${Buffer.from(b.value, 'base64').subarray(0, 60)}`
    }
    if ((r.key ?? null) !== (b.key ?? null)) badKey ??= `${where}: key ${r.key}, produced ${b.key}`
    const err = String(r.error ?? '')
    for (const want of b.reason || []) {
      const ok = want.startsWith('/') ? new RegExp(want.slice(1, -1), 'i').test(err) : err.toLowerCase().includes(want.toLowerCase())
      if (!ok) badReason ??= `${where} (${b.what}): error ${JSON.stringify(err)} does not mention ${want}`
    }
    if (!err) badReason ??= `${where} (${b.what}): empty error`
    if (r.time == null) badTime ??= `${where}: no time`
  }
  check(`${L}dead letters keep the raw value bytes`, badValue)
  check(`${L}dead letters keep the raw key bytes`, badKey)
  check(`${L}dead letters name the reason (field, JSON, max-bytes)`, badReason)
  check(`${L}dead letters have a time`, badTime)
  const absentHit = (exp.absent || []).filter((a) => byKey.has(k(a.topic, a.partition, a.offset)))
  check(`${L}tombstones are not dead letters`, absentHit.length ? `${absentHit.length} in ${dlqName}` : null)
  const sample = exp.bad.filter((b) => b.show).map((b) => byKey.get(k(b.topic, b.partition, b.offset))?.error)
  for (const s of sample) if (s) note(`${L}dead letter error: ${s}`)
}

try {
  if (cmd === 'ids') await checkIds()
  else if (cmd === 'offsets') await checkOffsets()
  else if (cmd === 'dlq') await checkDlq()
  else if (cmd === 'rows') await checkRows()
  else notOk('kafka_check usage', `unknown command ${cmd}`)
} catch (e) {
  notOk(`${L}${cmd}`, e.stack || e.message)
}
finish()
