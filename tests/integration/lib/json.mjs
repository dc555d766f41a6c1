// A small JSON parser for floe's NDJSON output that keeps integers exact:
// an integer literal becomes a BigInt (JSON.parse would round int64 values
// past 2^53), except "-0", which stays the number -0 so that a negative zero
// can be told from zero.  Every other number becomes a JS number.  Objects
// are built with a null prototype so that a key like "__proto__" is data.
// Throws SyntaxError naming the offset of the first thing that is not JSON.

const NUM = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
const WS = /[ \t\r\n]*/y

export function parseJsonBig(text) {
  let i = 0
  const fail = (what) => {
    throw new SyntaxError(`${what} at offset ${i}: ${JSON.stringify(text.slice(i, i + 30))}`)
  }
  const ws = () => { WS.lastIndex = i; WS.test(text); i = WS.lastIndex }
  const str = () => {
    // Strings have no integers inside; let JSON.parse do the escapes.
    let j = i + 1
    for (;;) {
      const c = text.charCodeAt(j)
      if (Number.isNaN(c)) fail('unterminated string')
      if (c === 34) break
      if (c === 92) j++
      else if (c < 0x20) { i = j; fail('control character in string') }
      j++
    }
    const s = JSON.parse(text.slice(i, j + 1))
    i = j + 1
    return s
  }
  const value = () => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const o = Object.create(null)
      ws()
      if (text[i] === '}') { i++; return o }
      for (;;) {
        ws()
        if (text[i] !== '"') fail('expected a key')
        const k = str()
        ws()
        if (text[i] !== ':') fail("expected ':'")
        i++
        if (Object.prototype.hasOwnProperty.call(o, k)) fail(`duplicate key ${JSON.stringify(k)}`)
        o[k] = value()
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return o }
        fail("expected ',' or '}'")
      }
    }
    if (c === '[') {
      i++
      const a = []
      ws()
      if (text[i] === ']') { i++; return a }
      for (;;) {
        a.push(value())
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return a }
        fail("expected ',' or ']'")
      }
    }
    if (c === '"') return str()
    if (text.startsWith('true', i)) { i += 4; return true }
    if (text.startsWith('false', i)) { i += 5; return false }
    if (text.startsWith('null', i)) { i += 4; return null }
    NUM.lastIndex = i
    const m = NUM.exec(text)
    if (!m) fail('unexpected character')
    i = NUM.lastIndex
    if (m[1] === undefined && m[2] === undefined) {
      return m[0] === '-0' ? -0 : BigInt(m[0])
    }
    return Number(m[0])
  }
  const v = value()
  ws()
  if (i !== text.length) fail('trailing characters')
  return v
}

// Parses NDJSON (one value per non-empty line); errors name the line.
export function parseNdjson(text) {
  const out = []
  const lines = text.split('\n')
  for (let n = 0; n < lines.length; n++) {
    if (lines[n] === '') continue
    try {
      out.push(parseJsonBig(lines[n]))
    } catch (e) {
      throw new SyntaxError(`line ${n + 1}: ${e.message}`)
    }
  }
  return out
}

// Serializes a value with BigInts as bare integer literals (for NDJSON input
// to floe and for messages).
export function stringifyBig(v) {
  if (typeof v === 'bigint') return v.toString()
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return '-0.0'
    if (!Number.isFinite(v)) return JSON.stringify(String(v))
    return String(v)
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v)
  if (Array.isArray(v)) return '[' + v.map(stringifyBig).join(',') + ']'
  if (v instanceof Uint8Array) return JSON.stringify(`<bytes ${Buffer.from(v).toString('hex')}>`)
  if (typeof v === 'object' && typeof v.toJSONText === 'function') return v.toJSONText()
  return '{' + Object.keys(v).map(k => JSON.stringify(k) + ':' + stringifyBig(v[k])).join(',') + '}'
}
