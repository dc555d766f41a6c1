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
import { checkListedFiles } from './duck_files.mjs'
import { notOk, finish } from './tap.mjs'

const [cmd, listFile, firstArg, nArg, label] = process.argv.slice(2)
if (cmd !== 'duck') throw new Error(`unknown command ${cmd}`)
const first = Number(firstArg)
const n = Number(nArg)
const L = label ? `${label}: ` : ''

try {
  const entries = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [p, c] = l.split(' ')
    return { p, c: Number(c), name: p }
  })
  await checkListedFiles(entries, first, n, L)
} catch (e) {
  notOk(`${L}DuckDB over the data files`, e.message)
}
finish()
