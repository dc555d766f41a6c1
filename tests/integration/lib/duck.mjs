// DuckDB (an independent reader and writer) for the integration tests:
// one in-memory database per process, queries returning rows in the
// canonical form of canon.mjs, driven by DuckDB's result types (exact values:
// decimals as unscaled BigInts, timestamps as micro/nanosecond counts).
import { duckdb } from '../../oracle/index.mjs'
import { F32, canonDouble, fmtDate, fmtTimeOfDay, fmtTimestamp, fmtDecimal, b64, keyText } from './canon.mjs'

const T = duckdb.DuckDBTypeId
let conn = null

export async function duck() {
  if (!conn) {
    const inst = await duckdb.DuckDBInstance.create(':memory:')
    conn = await inst.connect()
    await conn.run("SET TimeZone = 'UTC'")
  }
  return conn
}

export async function duckRun(sql) {
  const c = await duck()
  await c.run(sql)
}

// Rows of `sql` in canonical form.  `utcNanos` names columns that DuckDB
// reads at a coarser unit than the file holds (see duckCanon).
export async function duckRows(sql) {
  const c = await duck()
  const r = await c.runAndReadAll(sql)
  const names = r.columnNames()
  const types = r.columnTypes()
  return r.getRows().map((row) => {
    const o = Object.create(null)
    names.forEach((n, i) => { o[n] = duckCanon(types[i], row[i]) })
    return o
  })
}

// Plain JSON-ish rows (for metadata queries).
export async function duckJson(sql) {
  const c = await duck()
  const r = await c.runAndReadAll(sql)
  return r.getRowObjectsJson()
}

export function duckCanon(type, v) {
  if (v === null || v === undefined) return null
  switch (type.typeId) {
    case T.BOOLEAN: return v
    case T.TINYINT: case T.SMALLINT: case T.INTEGER: case T.BIGINT:
    case T.UTINYINT: case T.USMALLINT: case T.UINTEGER: case T.UBIGINT:
    case T.HUGEINT: case T.UHUGEINT:
      return BigInt(v)
    case T.FLOAT: return Number.isFinite(v) ? new F32(v) : canonDouble(v)
    case T.DOUBLE: return canonDouble(v)
    case T.DECIMAL: return fmtDecimal(v.value, v.scale)
    case T.DATE: return fmtDate(v.days)
    case T.TIME: return fmtTimeOfDay(v.micros, 'MICROS')
    case T.TIME_NS: return fmtTimeOfDay(v.nanos, 'NANOS')
    case T.TIMESTAMP: return fmtTimestamp(v.micros, 'MICROS', false)
    case T.TIMESTAMP_TZ: return fmtTimestamp(v.micros, 'MICROS', true)
    case T.TIMESTAMP_NS: return fmtTimestamp(v.nanos, 'NANOS', false)
    case T.TIMESTAMP_MS: return fmtTimestamp(v.millis, 'MILLIS', false)
    case T.VARCHAR: case T.ENUM: return String(v)
    case T.BLOB: return b64(v.bytes)
    case T.UUID: return v.toString()
    case T.LIST: case T.ARRAY:
      return v.items.map((x) => duckCanon(type.valueType, x))
    case T.STRUCT: {
      const o = Object.create(null)
      type.entryNames.forEach((n, i) => { o[n] = duckCanon(type.entryTypes[i], v.entries[n]) })
      return o
    }
    case T.MAP: {
      const o = Object.create(null)
      for (const e of v.entries) o[keyText(duckCanon(type.keyType, e.key))] = duckCanon(type.valueType, e.value)
      return o
    }
  }
  throw new Error(`DuckDB type ${type.toString()} has no canonical form here`)
}

// SQL string literal.
export const lit = (s) => `'${String(s).replace(/'/g, "''")}'`
