// DuckDB's side of the benchmark: NDJSON to zstd Parquet on one thread.
//   node bench/duckdb_copy.mjs IN.ndjson OUT.parquet
// Prints the seconds the COPY statement took (DuckDB's own start-up and the
// Node.js runtime's are outside it).
import { duckdb } from '../tests/oracle/index.mjs'

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: node bench/duckdb_copy.mjs IN.ndjson OUT.parquet')
  process.exit(2)
}
const q = (s) => `'${s.replace(/'/g, "''")}'`
const inst = await duckdb.DuckDBInstance.create(':memory:')
const conn = await inst.connect()
await conn.run('SET threads = 1')
await conn.run('SET preserve_insertion_order = true')
const t0 = performance.now()
await conn.run(`COPY (SELECT * FROM read_json_auto(${q(input)})) TO ${q(output)} (FORMAT parquet, COMPRESSION zstd)`)
const secs = (performance.now() - t0) / 1000
console.log(`copy_seconds ${secs.toFixed(4)}`)
