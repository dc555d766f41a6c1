// rest_streaming_duck.mjs — the DuckDB check of tests/integration/rest_streaming.sh:
//
//   node lib/rest_streaming_duck.mjs duck LIST FIRST N LABEL
//
// LIST has one line per data file, "LOCAL_PATH RECORD_COUNT" (the files a
// table listed, downloaded from S3).  DuckDB reads them all: the rows must
// be exactly the ids FIRST..FIRST+N-1 once each, and each file must hold
// the record count the table's manifest lists for it.  Prints `ok`/`not ok`
// lines and ends with `N passed, N failed`.
import fs from 'node:fs'
import { duckJson, lit } from './duck.mjs'
import { check, notOk, finish } from './tap.mjs'

const [cmd, listFile, firstArg, nArg, label] = process.argv.slice(2)
if (cmd !== 'duck') throw new Error(`unknown command ${cmd}`)
const first = Number(firstArg)
const n = Number(nArg)
const L = label ? `${label}: ` : ''

try {
  const entries = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [p, c] = l.split(' ')
    return { p, c: Number(c) }
  })
  if (!entries.length) throw new Error('no data files')
  const list = `[${entries.map((e) => lit(e.p)).join(', ')}]`
  const [r] = await duckJson(`SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS d,
    min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM read_parquet(${list})`)
  const got = { n: Number(r.n), d: Number(r.d), lo: Number(r.lo), hi: Number(r.hi) }
  check(`${L}DuckDB over ${entries.length} data files: ${n} rows, ${n} distinct ids ${first}..${first + n - 1}`,
    got.n === n && got.d === n && got.lo === first && got.hi === first + n - 1 ? null
      : `count ${got.n}, distinct ${got.d}, min ${got.lo}, max ${got.hi}`)
  const per = await duckJson(`SELECT filename AS f, count(*)::BIGINT AS n FROM read_parquet(${list}, filename = true) GROUP BY filename`)
  const byPath = new Map(per.map((x) => [x.f, Number(x.n)]))
  const wrong = entries.find((e) => (byPath.get(e.p) ?? 0) !== e.c)
  check(`${L}DuckDB: every file holds the record count the table lists for it`,
    wrong ? `${wrong.p}: listed ${wrong.c}, DuckDB reads ${byPath.get(wrong.p)}` : null)
} catch (e) {
  notOk(`${L}DuckDB over the data files`, e.message)
}
finish()
