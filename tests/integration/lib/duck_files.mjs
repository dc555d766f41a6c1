// duck_files.mjs — the DuckDB check of a table's listed data files, shared
// by the S3 tests (lib/rest_streaming_duck.mjs, lib/s3_partitioned_duck.mjs):
// DuckDB reads the local copies of the files a table lists; the rows must be
// exactly the ids FIRST..FIRST+N-1 once each, and each file must hold the
// record count the table lists for it.
import { duckJson, lit } from './duck.mjs'
import { check } from './tap.mjs'

// entries: [{ p: local path, c: listed record count, name: how a failure
// names the file }].  `perFile` adds columns to the per-file query (SQL
// aggregates over one file's rows, aliased).  Returns the per-file rows by
// local path ({ f, n, ...perFile columns }).
export async function checkListedFiles(entries, first, n, L, perFile = '') {
  if (!entries.length) throw new Error('no data files')
  const list = `[${entries.map((e) => lit(e.p)).join(', ')}]`
  const [r] = await duckJson(`SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS d,
    min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM read_parquet(${list})`)
  const got = { n: Number(r.n), d: Number(r.d), lo: Number(r.lo), hi: Number(r.hi) }
  check(`${L}DuckDB over ${entries.length} data files: ${n} rows, ${n} distinct ids ${first}..${first + n - 1}`,
    got.n === n && got.d === n && got.lo === first && got.hi === first + n - 1 ? null
      : `count ${got.n}, distinct ${got.d}, min ${got.lo}, max ${got.hi}`)
  const per = await duckJson(`SELECT filename AS f, count(*)::BIGINT AS n${perFile ? `, ${perFile}` : ''}
    FROM read_parquet(${list}, filename = true) GROUP BY filename`)
  const byPath = new Map(per.map((x) => [x.f, x]))
  const wrong = entries.find((e) => Number(byPath.get(e.p)?.n ?? 0) !== e.c)
  check(`${L}DuckDB: every file holds the record count the table lists for it`,
    wrong ? `${wrong.name}: listed ${wrong.c}, DuckDB reads ${byPath.get(wrong.p)?.n}` : null)
  return byPath
}
