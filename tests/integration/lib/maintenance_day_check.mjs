// The row checks of tests/integration/maintenance_day.sh: after the
// simulated day (tests/tools/simday.c) the table must hold exactly the rows
// the writer committed (DIR/expected.ndjson), as three readers see it:
//   - floe's own scan (`floe table scan`, its NDJSON output in SCAN),
//   - DuckDB reading the Parquet files `floe table files --json` lists
//     (FILES), straight from disk,
//   - icebird (an independent Iceberg reader) reading the table from its
//     metadata file (DESCRIBE: `floe table describe --json`).
// Each comparison is a multiset one, in DuckDB: EXCEPT ALL both ways, plus
// every id exactly once.
//
//   usage: node maintenance_day_check.mjs DIR SCAN FILES DESCRIBE
import fs from 'node:fs'
import path from 'node:path'
import { duckJson, duckRun, lit } from './duck.mjs'
import { icebirdRead, localPath } from './iceberg.mjs'
import { parseJsonBig } from './json.mjs'
import { check, notOk, note, finish } from './tap.mjs'

const [dir, scanFile, filesFile, describeFile] = process.argv.slice(2)
const COLS = "{id: 'BIGINT', ts: 'TIMESTAMPTZ', user: 'VARCHAR', session: 'VARCHAR', event: 'VARCHAR', " +
  "url: 'VARCHAR', amount: 'DOUBLE', country: 'VARCHAR', device: 'VARCHAR'}"
const SELECT = 'id, ts::TIMESTAMPTZ AS ts, "user", session, event, url, amount, country, device'
const readJson = (f) => `read_json(${lit(f)}, format = 'newline_delimited', columns = ${COLS})`

async function compare(name, table) {
  const [{ missing }] = await duckJson(`SELECT count(*)::BIGINT AS missing FROM (SELECT * FROM exp EXCEPT ALL SELECT * FROM ${table})`)
  const [{ extra }] = await duckJson(`SELECT count(*)::BIGINT AS extra FROM (SELECT * FROM ${table} EXCEPT ALL SELECT * FROM exp)`)
  const [{ n, ids, lo, hi }] = await duckJson(
    `SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids, min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM ${table}`)
  const [{ en }] = await duckJson('SELECT count(*)::BIGINT AS en FROM exp')
  let why = null
  if (String(missing) !== '0' || String(extra) !== '0') {
    const ex = await duckJson(`SELECT * FROM (SELECT * FROM exp EXCEPT ALL SELECT * FROM ${table}) LIMIT 1`)
    why = `${missing} expected rows missing, ${extra} unexpected (of ${en}); e.g. missing ${JSON.stringify(ex[0])}`
  } else if (String(n) !== String(en) || String(ids) !== String(en) || String(lo) !== '0' || String(hi) !== String(BigInt(en) - 1n)) {
    why = `${n} rows, ${ids} distinct ids in [${lo}, ${hi}], expected ${en} ids 0..${BigInt(en) - 1n} once each`
  }
  check(`${name}: the rows equal the committed rows (${en} rows, every id once)`, why)
}

try {
  await duckRun(`CREATE TABLE exp AS SELECT ${SELECT} FROM ${readJson(path.join(dir, 'expected.ndjson'))}`)

  // floe's own scan
  await duckRun(`CREATE TABLE scan AS SELECT ${SELECT} FROM ${readJson(scanFile)}`)
  await compare('floe table scan', 'scan')

  // DuckDB over the live files
  const files = parseJsonBig(fs.readFileSync(filesFile, 'utf8'))
  const paths = files.map((f) => localPath(f['file-path']))
  note(`${paths.length} live data files`)
  await duckRun(`CREATE TABLE duck AS SELECT ${SELECT} FROM read_parquet([${paths.map(lit).join(', ')}])`)
  await compare('DuckDB over the files floe lists', 'duck')

  // icebird from the metadata file
  const info = parseJsonBig(fs.readFileSync(describeFile, 'utf8'))
  const rows = await icebirdRead(info.location, info['metadata-location'])
  const out = path.join(dir, 'icebird.ndjson')
  const fd = fs.openSync(out, 'w')
  let buf = []
  for (const r of rows) {
    buf.push(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v)))
    if (buf.length >= 10000) { fs.writeSync(fd, buf.join('\n') + '\n'); buf = [] }
  }
  if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n')
  fs.closeSync(fd)
  await duckRun(`CREATE TABLE ice AS SELECT ${SELECT} FROM ${readJson(out)}`)
  await compare('icebird', 'ice')
} catch (e) {
  notOk('maintenance day row checks', e.stack || e)
}
finish()
