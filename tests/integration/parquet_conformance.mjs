// Reader conformance against the parquet-testing corpus (../shared, or
// $FLOE_SHARED):
//   data/**/*.parquet       `floe parquet cat FILE` must print the same rows
//                           as hyparquet reads (both in canon.mjs's form),
//                           and the *_expect.csv values where they exist;
//   data/**/*.encrypted     must be refused with a message about encryption;
//   bad_data/*              must fail with exit 1 and a `floe: ` message.
// No file may crash floe, hang it (60 s), or make a sanitizer report.
// Files handled otherwise are listed below, each with its reason.
import fs from 'node:fs'
import path from 'node:path'
import { floe, describeFailure, haveFloe, SHARED, FLOE } from './lib/proc.mjs'
import { parseNdjson } from './lib/json.mjs'
import { diffRows, OneOf } from './lib/canon.mjs'
import { hypRead } from './lib/hyp.mjs'
import { ok, notOk, note, finish } from './lib/tap.mjs'

const DATA = path.join(SHARED, 'parquet-testing/data')
const BAD = path.join(SHARED, 'parquet-testing/bad_data')
const TIMEOUT = 60

// Files whose values are not compared, only that floe reads them without
// crashing (exit 0, or exit 1 with a `floe: ` message).
// A key ending in '/' covers a directory.
const ROBUST_ONLY = {
  // GEOMETRY/GEOGRAPHY logical types: outside the types floe renders.
  'geospatial/': 'geospatial logical types are outside floe\'s type list',
  // Two rows whose one map column holds over 2 GiB of uncompressed strings:
  // more than a JavaScript string (hyparquet) can hold, and far more output
  // than a test should compare.  floe may stream it or refuse it cleanly.
  'large_string_map.brotli.parquet': 'over 2 GiB of values; beyond the oracle\'s string limit',
}

// Files the oracle reads wrongly or not at all, with their rows.
const EXPECTED = {
  // hyparquet's snappy decoder rejects the zero-length compressed block of
  // the empty v2 data page; DuckDB reads one null.
  'datapage_v2_empty_datapage.snappy.parquet': [{ value: null }],
  // hyparquet reads INT96's nanosecond field as signed and sign-extends it
  // over the day number.  The values, from the file's int96_from_spark.md
  // (microseconds since the epoch), in UTC.  The last one's fields are a
  // day number of -105862232 (as a signed 32-bit value) and a nanosecond-of-
  // day of -32646 s (signed 64-bit); only wrapping 64-bit arithmetic makes
  // them into the md's year 290000.  No reading of it is the right one: the
  // md's value, the exact value of the signed fields, or the raw bytes in
  // base64 are all accepted.
  'int96_from_spark.parquet': [
    { a: '2024-01-01T20:34:56.123456000' },
    { a: '2024-01-01T01:00:00.000000000' },
    { a: '9999-12-31T03:00:00.000000000' },
    { a: '2024-12-30T23:00:00.000000000' },
    { a: null },
    { a: new OneOf('+290000-12-30T23:00:00.000000000', '-294554-12-13T14:58:10.448384000', 'AGC5x27i//+oq7D5') },
  ],
}

// Files with a deliberately wrong CRC: a reader that checks page CRCs
// refuses them (naming the checksum), one that does not reads the values.
const CORRUPT_CRC = new Set([
  'datapage_v1-corrupt-checksum.parquet',
  'rle-dict-uncompressed-corrupt-checksum.parquet',
])

// A dictionary page whose header disagrees with its contents (Arrow C++
// rejects the file, hyparquet fails on it, DuckDB reads 25 rows).  floe may
// refuse it cleanly or read those 25 rows.
const MALFORMED = 'nation.dict-malformed.parquet'

// bad_data files that every reader at hand reads alike: floe may refuse them
// or print those rows (compared with hyparquet).
const BAD_READABLE = {
  // RLE_DICTIONARY indices with bit width 0: each index is 0; DuckDB and
  // hyparquet both read 21186 zeros.
  'ARROW-GH-43605.parquet': 'bit width 0 decodes as all-zero indices',
}

function listFiles(dir, pred, rel = '') {
  const out = []
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...listFiles(dir, pred, r))
    else if (pred(r)) out.push(r)
  }
  return out.sort()
}

// Runs `floe parquet cat`; returns {rows} or {fail}.
function floeCat(file, { discard = false } = {}) {
  const r = floe(['parquet', 'cat', file], { timeout: TIMEOUT, stdout: discard ? 'ignore' : 'pipe' })
  const f = describeFailure(r)
  if (f) return { fail: f, r }
  if (discard) return { rows: null, r }
  try {
    return { rows: parseNdjson(r.stdout), r }
  } catch (e) {
    return { fail: `output is not NDJSON: ${e.message}`, r }
  }
}

// A clean refusal: exit 1, a `floe: ` line, nothing worse.
function cleanRefusal(r) {
  if (r.error) return `could not run: ${r.error.message}`
  if (r.timedOut) return 'timed out'
  if (r.signal) return `killed by ${r.signal}`
  if (r.sanitizer) return 'sanitizer report'
  if (r.status === 0) return 'exit 0, expected a refusal'
  if (r.status !== 1) return `exit ${r.status}, expected 1`
  if (!/^floe: /m.test(r.stderr)) return `no "floe: " message on stderr: ${r.stderr.slice(0, 200)}`
  return null
}

// Minimal RFC 4180 CSV: returns rows of fields; an unquoted empty field is
// null, a quoted one the empty string.
function parseCsv(text) {
  const rows = []
  let row = []
  let i = 0
  while (i < text.length) {
    let v
    if (text[i] === '"') {
      let j = i + 1
      v = ''
      for (;;) {
        const k = text.indexOf('"', j)
        if (k < 0) throw new Error('unterminated quoted CSV field')
        v += text.slice(j, k)
        if (text[k + 1] === '"') { v += '"'; j = k + 2; continue }
        i = k + 1
        break
      }
    } else {
      let j = i
      while (j < text.length && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++
      v = j === i ? null : text.slice(i, j)
      i = j
    }
    row.push(v)
    if (text[i] === ',') { i++; continue }
    if (text[i] === '\r') i++
    if (text[i] === '\n' || i >= text.length) { rows.push(row); row = []; i++ }
  }
  return rows
}

function checkExpectCsv(name, csvPath, rows) {
  const [header, ...body] = parseCsv(fs.readFileSync(csvPath, 'utf8'))
  if (body.length !== rows.length) return `${path.basename(csvPath)}: ${body.length} rows, floe printed ${rows.length}`
  for (let i = 0; i < body.length; i++) {
    const keys = Object.keys(rows[i])
    if (keys.length !== header.length) return `row ${i}: ${keys.length} columns, the CSV has ${header.length}`
    for (let j = 0; j < header.length; j++) {
      const got = rows[i][keys[j]]
      const text = got === null ? null : typeof got === 'string' ? got : String(got)
      if (text !== body[i][j]) {
        return `row ${i}, column ${keys[j]}: ${path.basename(csvPath)} has ${JSON.stringify(body[i][j])}, floe printed ${JSON.stringify(text)}`
      }
    }
  }
  return null
}

async function checkData(rel) {
  const file = path.join(DATA, rel)
  const robust = Object.keys(ROBUST_ONLY).find((k) => (k.endsWith('/') ? rel.startsWith(k) : rel === k))
  if (robust) {
    const { fail, r } = floeCat(file, { discard: true })
    if (fail && (r.status !== 1 || cleanRefusal(r))) return notOk(rel, fail)
    return ok(`${rel} (${fail ? 'refused cleanly' : 'read'}; values not compared: ${ROBUST_ONLY[robust]})`)
  }
  const { rows, fail, r } = floeCat(file)
  if (rel === MALFORMED) {
    if (fail) {
      const why = cleanRefusal(r)
      return why ? notOk(rel, why) : ok(`${rel} (refused: ${r.stderr.trim().split('\n')[0]})`)
    }
    const names = rows.map((x) => (x.name == null ? null : Buffer.from(x.name, 'base64').toString()))
    if (rows.length !== 25 || names[0] !== 'ALGERIA' || rows[24].nation_key !== 24n) {
      return notOk(rel, `read ${rows.length} rows, first name ${names[0]}: expected a refusal or 25 nations`)
    }
    return ok(`${rel} (read leniently)`)
  }
  if (fail) {
    if (CORRUPT_CRC.has(rel) && !cleanRefusal(r) && /checksum|crc/i.test(r.stderr)) {
      return ok(`${rel} (refused: ${r.stderr.trim().split('\n')[0]})`)
    }
    return notOk(rel, fail)
  }
  let expected
  let oracle = 'hyparquet'
  if (EXPECTED[rel]) {
    expected = EXPECTED[rel]
    oracle = 'the listed rows'
  } else {
    try {
      expected = (await hypRead(file)).rows
    } catch (e) {
      return notOk(rel, `hyparquet cannot read it (${e.message}); add it to a list with a reason`)
    }
  }
  const d = diffRows(expected, rows, 3)
  if (d) return notOk(rel, `floe vs ${oracle}: ${d}`)
  const csv = file.replace(/\.parquet$/, '_expect.csv')
  if (fs.existsSync(csv)) {
    const c = checkExpectCsv(rel, csv, rows)
    if (c) return notOk(rel, c)
    return ok(`${rel} (${rows.length} rows, also matches ${path.basename(csv)})`)
  }
  ok(`${rel} (${rows.length} rows)`)
}

function checkEncrypted(rel) {
  const r = floe(['parquet', 'cat', path.join(DATA, rel)], { timeout: TIMEOUT })
  const why = cleanRefusal(r)
  if (why) return notOk(rel, why)
  if (!/encrypt/i.test(r.stderr)) return notOk(rel, `refused without naming encryption: ${r.stderr.trim()}`)
  ok(`${rel} (refused: ${r.stderr.trim().split('\n')[0]})`)
}

async function checkBad(rel) {
  const r = floe(['parquet', 'cat', path.join(BAD, rel)], { timeout: TIMEOUT })
  if (BAD_READABLE[rel] && r.status === 0 && !describeFailure(r)) {
    let d
    try {
      d = diffRows((await hypRead(path.join(BAD, rel))).rows, parseNdjson(r.stdout), 3)
    } catch (e) {
      d = e.message
    }
    if (d) return notOk(`bad_data/${rel}`, `read, but not as hyparquet reads it: ${d}`)
    return ok(`bad_data/${rel} (read as the other readers read it: ${BAD_READABLE[rel]})`)
  }
  const why = cleanRefusal(r)
  if (why) return notOk(`bad_data/${rel}`, why)
  ok(`bad_data/${rel} (refused: ${r.stderr.trim().split('\n')[0].slice(0, 160)})`)
}

async function main() {
  if (!fs.existsSync(DATA)) {
    if (process.env.CI === 'true') notOk('parquet-testing', `${DATA} is missing`)
    else note(`skipped: ${DATA} is missing`)
    return finish()
  }
  if (!haveFloe()) {
    notOk('floe binary', `${FLOE} is not built`)
    return finish()
  }
  for (const rel of listFiles(DATA, (r) => r.endsWith('.parquet'))) await checkData(rel)
  for (const rel of listFiles(DATA, (r) => r.endsWith('.parquet.encrypted'))) checkEncrypted(rel)
  if (fs.existsSync(BAD)) {
    for (const rel of listFiles(BAD, (r) => !r.endsWith('.md'))) await checkBad(rel)
  } else if (process.env.CI === 'true') {
    notOk('bad_data', `${BAD} is missing`)
  }
  finish()
}

await main()
