// s3_partitioned_duck.mjs — the DuckDB check of tests/integration/s3_partitioned.sh:
//
//   node lib/s3_partitioned_duck.mjs LIST FIRST N LABEL
//
// LIST has one line per data file, "LOCAL_PATH RECORD_COUNT URI": a data
// file of the table downloaded from S3, the record count the table lists for
// it and its s3:// path, which holds the Hive-style partition directories
// (.../data/ts_hour=2024-05-01-12/id_bucket=3/device=mobile/...).  DuckDB
// reads the local copies: the rows must be exactly the ids FIRST..FIRST+N-1
// once each, each file must hold its listed record count, and every row of
// a file must have the ts hour and the device its path names (the bucket
// would need Iceberg's murmur3; the scan through floe covers the rest).
// Prints `ok`/`not ok` lines and ends with `N passed, N failed`.
import fs from 'node:fs'
import { checkListedFiles } from './duck_files.mjs'
import { check, notOk, finish } from './tap.mjs'

const [listFile, firstArg, nArg, label] = process.argv.slice(2)
const first = Number(firstArg)
const n = Number(nArg)
const L = label ? `${label}: ` : ''

try {
  const entries = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [p, c, uri] = l.split(' ')
    const dirs = Object.fromEntries([...uri.matchAll(/\/([a-z_]+)=([^/]*)/g)].map((m) => [m[1], decodeURIComponent(m[2])]))
    return { p, c: Number(c), uri, name: uri, dirs }
  })
  // Per file, besides its row count: the partition values its rows hold (ts
  // is a timestamptz; duck.mjs sets the session's time zone to UTC).
  const byPath = await checkListedFiles(entries, first, n, L,
    `list_distinct(list(strftime(ts::TIMESTAMP, '%Y-%m-%d-%H'))) AS hours, list_distinct(list(device)) AS devices`)
  const noDirs = entries.find((e) => !('ts_hour' in e.dirs && 'id_bucket' in e.dirs && 'device' in e.dirs))
  const mismatch = entries.find((e) => {
    const x = byPath.get(e.p)
    return !x || JSON.stringify(x.hours) !== JSON.stringify([e.dirs.ts_hour]) ||
      JSON.stringify(x.devices) !== JSON.stringify([e.dirs.device])
  })
  check(`${L}DuckDB: every row's hour(ts) and device equal the partition directories of its file's path`,
    noDirs ? `${noDirs.uri}: no ts_hour=/id_bucket=/device= directories`
      : mismatch ? `${mismatch.uri}: rows have hours ${JSON.stringify(byPath.get(mismatch.p)?.hours)}, devices ${JSON.stringify(byPath.get(mismatch.p)?.devices)}`
        : null)
} catch (e) {
  notOk(`${L}DuckDB over the data files`, e.message)
}
finish()
