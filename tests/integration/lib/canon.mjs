// One canonical form for row values, so that floe's NDJSON output and what
// independent readers return can be compared.  The canonical form is floe's
// documented NDJSON form (docs/ndjson.md) as parsed by lib/json.mjs:
//   integers            BigInt (or number; the comparison is numeric and exact)
//   double              number; NaN / Infinity / -Infinity as those strings
//   float, float16      F32 / F16 wrappers: the reader's exact value, matched
//                       by any text that rounds to it in that width
//   decimal             string with exactly `scale` fraction digits
//   date                "YYYY-MM-DD"
//   time                "HH:MM:SS.fff" / ".ffffff" / ".fffffffff" by unit
//   timestamp           "YYYY-MM-DDTHH:MM:SS.<3|6|9 digits>", "+00:00" appended
//                       when adjusted to UTC; INT96 as nanoseconds, no zone
//   string, enum, json  the text
//   uuid                "8-4-4-4-12" lowercase hex
//   other binary/fixed  base64
//   list, repeated      array;  map: object keyed by the key's text;
//   struct              object;  null: null
// The functions here format raw physical values through a Parquet schema
// element's annotations; they share no code with floe.

const MS_PER_DAY = 86400000n

export class F32 {
  constructor(v) { this.v = v }
  toJSONText() { return `f32(${Object.is(this.v, -0) ? "-0" : this.v})` }
}
export class F16 {
  constructor(v) { this.v = v }
  toJSONText() { return `f16(${Object.is(this.v, -0) ? "-0" : this.v})` }
}

const pad = (n, w) => String(n).padStart(w, '0')

// Proleptic Gregorian date of a day number (days since 1970-01-01).
export function civil(days) {
  let z = BigInt(days) + 719468n
  const era = (z >= 0n ? z : z - 146096n) / 146097n
  const doe = z - era * 146097n
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n
  let y = yoe + era * 400n
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n)
  const mp = (5n * doy + 2n) / 153n
  const d = doy - (153n * mp + 2n) / 5n + 1n
  const m = mp < 10n ? mp + 3n : mp - 9n
  if (m <= 2n) y += 1n
  return [y, Number(m), Number(d)]
}

export function fmtDate(days) {
  const [y, m, d] = civil(days)
  // ISO 8601 expanded years outside 0..9999, as docs/ndjson.md specifies.
  const ys = y < 0n ? '-' + pad(-y, 4) : y > 9999n ? '+' + y : pad(y, 4)
  return `${ys}-${pad(m, 2)}-${pad(d, 2)}`
}

const UNIT = { MILLIS: [1000n, 3], MICROS: [1000000n, 6], NANOS: [1000000000n, 9] }

// Floor division for BigInt.
const fdiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b))

export function fmtTimeOfDay(v, unit) {
  const [per, digits] = UNIT[unit]
  v = BigInt(v)
  const secs = v / per
  const frac = v % per
  const h = secs / 3600n
  const mi = (secs / 60n) % 60n
  const s = secs % 60n
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(frac, digits)}`
}

export function fmtTimestamp(v, unit, utc) {
  const [per, digits] = UNIT[unit]
  v = BigInt(v)
  const secs = fdiv(v, per)
  const frac = v - secs * per
  const days = fdiv(secs, 86400n)
  const sod = secs - days * 86400n
  const t = fmtTimeOfDay(sod * per + frac, unit)
  return `${fmtDate(days)}T${t}${utc ? '+00:00' : ''}`
}

export function fmtDecimal(unscaled, scale) {
  unscaled = BigInt(unscaled)
  const neg = unscaled < 0n
  let digits = (neg ? -unscaled : unscaled).toString()
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale)
  digits = digits.padStart(scale + 1, '0')
  return (neg ? '-' : '') + digits.slice(0, -scale) + '.' + digits.slice(-scale)
}

// Big-endian two's complement bytes as a BigInt.
export function beSigned(bytes) {
  if (!bytes.length) return 0n
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  if (bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8)
  return v
}

export const b64 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

export function fmtUuid(bytes) {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

export function canonDouble(x) {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  return x
}

export function halfToNumber(bytes) {
  const h = bytes[0] | (bytes[1] << 8)
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}

const utf8 = new TextDecoder('utf-8', { fatal: false })

// The annotation of a schema element in one shape: {kind, ...} or null.
export function annotation(el) {
  const lt = el.logical_type
  if (lt) {
    switch (lt.type) {
      case 'STRING': case 'ENUM': case 'JSON': return { kind: 'STRING' }
      case 'DECIMAL': return { kind: 'DECIMAL', scale: lt.scale ?? el.scale ?? 0 }
      case 'DATE': return { kind: 'DATE' }
      case 'TIME': return { kind: 'TIME', unit: lt.unit, utc: lt.isAdjustedToUTC }
      case 'TIMESTAMP': return { kind: 'TIMESTAMP', unit: lt.unit, utc: lt.isAdjustedToUTC }
      case 'INTEGER': return { kind: 'INTEGER', bits: lt.bitWidth, signed: lt.isSigned }
      case 'UUID': return { kind: 'UUID' }
      case 'FLOAT16': return { kind: 'FLOAT16' }
      case 'UNKNOWN': return { kind: 'UNKNOWN' }
      case 'BSON': return null
      // A logical type this reader does not know (a newer writer's): the
      // value is read as its physical type, as the format asks.
      case undefined: return null
      default: return { kind: 'UNSUPPORTED', what: String(lt.type) }
    }
  }
  switch (el.converted_type) {
    case 'UTF8': case 'ENUM': case 'JSON': return { kind: 'STRING' }
    case 'DECIMAL': return { kind: 'DECIMAL', scale: el.scale ?? 0 }
    case 'DATE': return { kind: 'DATE' }
    case 'TIME_MILLIS': return { kind: 'TIME', unit: 'MILLIS', utc: true }
    case 'TIME_MICROS': return { kind: 'TIME', unit: 'MICROS', utc: true }
    case 'TIMESTAMP_MILLIS': return { kind: 'TIMESTAMP', unit: 'MILLIS', utc: true }
    case 'TIMESTAMP_MICROS': return { kind: 'TIMESTAMP', unit: 'MICROS', utc: true }
    case 'INT_8': return { kind: 'INTEGER', bits: 8, signed: true }
    case 'INT_16': return { kind: 'INTEGER', bits: 16, signed: true }
    case 'INT_32': return { kind: 'INTEGER', bits: 32, signed: true }
    case 'INT_64': return { kind: 'INTEGER', bits: 64, signed: true }
    case 'UINT_8': return { kind: 'INTEGER', bits: 8, signed: false }
    case 'UINT_16': return { kind: 'INTEGER', bits: 16, signed: false }
    case 'UINT_32': return { kind: 'INTEGER', bits: 32, signed: false }
    case 'UINT_64': return { kind: 'INTEGER', bits: 64, signed: false }
    case 'INTERVAL': return { kind: 'UNSUPPORTED', what: 'INTERVAL' }
    default: return null
  }
}

// Any one of several canonical values is right (for values whose meaning
// the format leaves open).
export class OneOf {
  constructor(...alts) { this.alts = alts }
  toJSONText() { return `one of ${this.alts.map((a) => JSON.stringify(a)).join(', ')}` }
}

// Int96 values as a reader hands them over: nanoseconds since the epoch.
export class Int96 {
  constructor(nanos) { this.nanos = nanos }
}

// Canonical form of one raw physical value of leaf element `el`.
export function canonLeaf(el, v) {
  if (v === null || v === undefined) return null
  const a = annotation(el)
  if (a?.kind === 'UNKNOWN') return null
  if (el.type === 'INT96') {
    const nanos = v instanceof Int96 ? v.nanos : int96Nanos(v)
    return fmtTimestamp(nanos, 'NANOS', false)
  }
  if (a) {
    switch (a.kind) {
      case 'STRING': return utf8.decode(v)
      case 'DECIMAL': {
        const unscaled = v instanceof Uint8Array ? beSigned(v) : BigInt(v)
        return fmtDecimal(unscaled, a.scale)
      }
      case 'DATE': return fmtDate(v)
      case 'TIME': return fmtTimeOfDay(v, a.unit)
      case 'TIMESTAMP': return fmtTimestamp(v, a.unit, a.utc)
      case 'INTEGER': {
        let x = BigInt(v)
        if (!a.signed && x < 0n) x += 1n << BigInt(el.type === 'INT64' ? 64 : 32)
        return x
      }
      case 'UUID': return fmtUuid(v)
      case 'FLOAT16': {
        const h = halfToNumber(v)
        return Number.isFinite(h) ? new F16(h) : canonDouble(h)
      }
      case 'UNSUPPORTED': throw new Error(`annotation ${a.what} has no canonical form`)
    }
  }
  switch (el.type) {
    case 'BOOLEAN': return Boolean(v)
    case 'INT32': return BigInt(v)
    case 'INT64': return BigInt(v)
    case 'FLOAT': return Number.isFinite(v) ? new F32(v) : canonDouble(v)
    case 'DOUBLE': return canonDouble(v)
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      return b64(v)
  }
  throw new Error(`unknown physical type ${el.type}`)
}

// INT96 as 12 little-endian bytes: nanoseconds of the day, then Julian day.
export function int96Nanos(v) {
  if (typeof v === 'bigint') {
    const days = (v >> 64n) - 2440588n
    return days * 86400000000000n + (v & 0xffffffffffffffffn)
  }
  const dv = new DataView(v.buffer, v.byteOffset, 12)
  const nanos = dv.getBigUint64(0, true)
  const jd = BigInt(dv.getInt32(8, true))
  return (jd - 2440588n) * 86400000000000n + nanos
}

// The text a canonical value takes as a map key.
export function keyText(v) {
  if (typeof v === 'string') return v
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (v instanceof F32) return shortestF32(v.v)
  if (v instanceof F16) return String(v.v)
  throw new Error(`no key text for ${typeof v}`)
}

function shortestF32(x) {
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p)
    if (Math.fround(Number(s)) === x) return String(Number(s))
  }
  return String(x)
}

// First difference between canonical `exp` and floe's parsed `act`, as a
// string naming the path, or null when they are equal.
export function diff(exp, act, path = '') {
  const show = (v) => {
    if (v === undefined) return 'missing'
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof F32 || v instanceof F16 || v instanceof OneOf) return v.toJSONText()
    if (typeof v === 'number' && Object.is(v, -0)) return '-0'
    try { return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x)) } catch { return String(v) }
  }
  const bad = () => `${path || '<row>'}: expected ${show(exp)}, got ${show(act)}`
  if (exp === null || exp === undefined) return act === null ? null : bad()
  if (exp instanceof OneOf) return exp.alts.some((a) => diff(a, act, path) === null) ? null : bad()
  // Two readers' values (not floe's text) may both be wrapped.
  if ((act instanceof F32 || act instanceof F16) && !(exp instanceof F32 || exp instanceof F16)) act = act.v
  if (exp instanceof F32 || exp instanceof F16) {
    if (act instanceof F32 || act instanceof F16) act = act.v
    if (typeof act !== 'number' && typeof act !== 'bigint') return bad()
    const x = Number(act)
    if (Object.is(x, exp.v)) return null
    if (exp instanceof F32) return Object.is(Math.fround(x), exp.v) ? null : bad()
    // A float16 printed in its shortest text is within half a float16 ulp.
    const e = exp.v === 0 ? -24 : Math.max(Math.floor(Math.log2(Math.abs(exp.v))) - 10, -24)
    return Math.abs(x - exp.v) <= 2 ** (e - 1) && Math.sign(x) === Math.sign(exp.v) ? null : bad()
  }
  if (typeof exp === 'bigint' || typeof exp === 'number') {
    if (typeof act === 'bigint' && typeof exp === 'bigint') return act === exp ? null : bad()
    if (typeof act === 'number' && typeof exp === 'number') return Object.is(act, exp) ? null : bad()
    if (typeof act === 'bigint' && typeof exp === 'number') {
      return Number.isInteger(exp) && !Object.is(exp, -0) && BigInt(exp) === act ? null : bad()
    }
    if (typeof act === 'number' && typeof exp === 'bigint') {
      return Number.isInteger(act) && !Object.is(act, -0) && BigInt(act) === exp ? null : bad()
    }
    return bad()
  }
  if (typeof exp === 'string' || typeof exp === 'boolean') return act === exp ? null : bad()
  if (Array.isArray(exp)) {
    if (!Array.isArray(act)) return bad()
    if (act.length !== exp.length) return `${path || '<row>'}: expected ${exp.length} elements, got ${act.length}: expected ${show(exp).slice(0, 300)}, got ${show(act).slice(0, 300)}`
    for (let i = 0; i < exp.length; i++) {
      const d = diff(exp[i], act[i], `${path}[${i}]`)
      if (d) return d
    }
    return null
  }
  if (typeof exp === 'object') {
    if (act === null || typeof act !== 'object' || Array.isArray(act)) return bad()
    const ek = Object.keys(exp)
    const ak = Object.keys(act)
    for (const k of ek) {
      if (!Object.prototype.hasOwnProperty.call(act, k)) return `${path}.${k}: missing in floe's output (expected ${show(exp[k])})`
      const d = diff(exp[k], act[k], `${path}.${k}`)
      if (d) return d
    }
    for (const k of ak) {
      if (!Object.prototype.hasOwnProperty.call(exp, k)) return `${path}.${k}: unexpected key in floe's output (${show(act[k])})`
    }
    return null
  }
  return bad()
}

// Compares row lists; returns the first difference (with the row number) or null.
export function diffRows(expRows, actRows, limit = 1) {
  const out = []
  if (expRows.length !== actRows.length) out.push(`expected ${expRows.length} rows, got ${actRows.length}`)
  const n = Math.min(expRows.length, actRows.length)
  for (let i = 0; i < n && out.length < limit; i++) {
    const d = diff(expRows[i], actRows[i])
    if (d) out.push(`row ${i}, ${d}`)
  }
  return out.length ? out.join('; ') : null
}
