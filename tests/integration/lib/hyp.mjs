// Reads a Parquet file with hyparquet (an independent JavaScript reader) and
// returns its rows in the canonical form of canon.mjs.
//
// hyparquet decodes pages, levels and lists itself; its conversion of leaf
// values is lossy in places (decimals become doubles, timestamps Dates, map
// keys object keys), so leaf annotations and MAP annotations are removed from
// a copy of the footer before reading: hyparquet then returns raw physical
// values (BigInt for INT64, Uint8Array for byte arrays) and maps as plain
// repeated key/value groups, and canonLeaf() interprets values through the
// original annotations.
import fs from 'node:fs'
import { hyparquet, compressors } from '../../oracle/index.mjs'
import { canonLeaf, keyText, Int96 } from './canon.mjs'

const MAPPY = new Set(['MAP', 'MAP_KEY_VALUE'])

export function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
}

export async function hypRead(file) {
  const ab = toArrayBuffer(fs.readFileSync(file))
  const metadata = hyparquet.parquetMetadata(ab, { geoparquet: false })
  const tree = hyparquet.parquetSchema(metadata)
  const raw = structuredClone(metadata)
  for (const el of raw.schema) {
    if (el.type !== undefined || MAPPY.has(el.converted_type) || el.logical_type?.type === 'MAP') {
      delete el.converted_type
      delete el.logical_type
    }
  }
  const rows = await hyparquet.parquetReadObjects({
    file: ab,
    metadata: raw,
    compressors,
    utf8: false,
    geoparquet: false,
    parsers: { timestampFromNanoseconds: (n) => new Int96(n) },
  })
  return { metadata, tree, rows: rows.map((r) => canonStruct(tree, r)) }
}

// hyparquet's list recognition (schema.js isListLike), applied to the
// original tree: such groups arrive as arrays of their element.
function listElement(node) {
  const el = node.element
  if (el.converted_type !== 'LIST' && el.logical_type?.type !== 'LIST') return null
  if (node.children.length !== 1) return null
  const rep = node.children[0]
  if (rep.children.length > 1) return null
  if (rep.element.repetition_type !== 'REPEATED') return null
  return rep.children.length === 1 ? rep.children[0] : rep
}

// The format's MAP: one repeated key_value group holding a key and,
// optionally, a value (LogicalTypes.md).  hyparquet itself requires both.
function isMap(node) {
  const el = node.element
  if (!(MAPPY.has(el.converted_type) || el.logical_type?.type === 'MAP')) return false
  if (node.children.length !== 1) return false
  const kv = node.children[0]
  return kv.element.repetition_type === 'REPEATED' && kv.children.length >= 1 && kv.children.length <= 2
}

function canonStruct(node, v) {
  const out = Object.create(null)
  for (const c of node.children) out[c.element.name] = canonField(c, v[c.element.name])
  return out
}

// A field as it appears in its parent: a REPEATED field is an array.
function canonField(node, v) {
  if (v === undefined || v === null) {
    return node.element.repetition_type === 'REPEATED' ? [] : null
  }
  if (node.element.repetition_type === 'REPEATED') return Array.from(v, (x) => canonNode(node, x))
  return canonNode(node, v)
}

function canonNode(node, v) {
  if (v === undefined || v === null) return null
  if (!node.children.length) return canonLeaf(node.element, v)
  const elem = listElement(node)
  if (elem) {
    // A two-level list's element is the repeated field itself.
    return Array.from(v, (x) => canonField(elem, x))
  }
  if (isMap(node)) {
    const kv = node.children[0]
    const [k, val] = kv.children
    const out = Object.create(null)
    for (const e of v[kv.element.name] || []) {
      out[keyText(canonNode(k, e[k.element.name]))] = val ? canonNode(val, e[val.element.name]) : null
    }
    return out
  }
  return canonStruct(node, v)
}
