/**
 * etcd's JSON mapping of its messages, as its gateway marshals them (golang/protobuf's jsonpb
 * with the .proto field names and default values left out): bytes in standard base64, 64-bit
 * integers as strings, enums by name, sub-messages present when set (`{}` when empty).
 * Reading accepts what jsonpb accepts: the .proto or the camelCase name, numbers as numbers
 * or strings, enums by name or number, null for "not set", unknown fields ignored; and fails
 * with jsonpb's and encoding/json's words.
 */
import type { FieldInfo } from '../../../proto/wire.js'
import { GoJsonError, parseWhole, type JsonNode } from './gojson.js'

/** A decoded message as the generated code shapes it. */
type Message = Record<string, unknown>

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/** Go's json.Marshal of a string (HTML-safe escapes, U+2028/2029 escaped). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function scalarJson(f: FieldInfo, v: unknown): string {
  switch (f.type) {
    case 'bytes':
      return `"${(v as Buffer).toString('base64')}"`
    case 'string':
      return goQuote(v as string)
    case 'bool':
      return v ? 'true' : 'false'
    case 'enum': {
      const name = Object.entries(f.values ?? {}).find(([, n]) => n === v)?.[0]
      return name === undefined ? String(v) : `"${name}"`
    }
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return `"${String(v)}"`
    default:
      return String(v)
  }
}

function isDefault(f: FieldInfo, v: unknown): boolean {
  if (v === undefined || v === null) return true
  if (f.repeated) return (v as unknown[]).length === 0
  if (f.kind === 'message') return false
  if (f.oneof !== undefined) return false
  switch (f.type) {
    case 'bytes':
      return (v as Buffer).length === 0
    case 'string':
      return v === ''
    case 'bool':
      return v === false
    default:
      return v === 0 || v === 0n
  }
}

/** The message's JSON, fields in .proto order. */
export function marshal(fields: FieldInfo[], m: Message): string {
  const out: string[] = []
  for (const f of fields) {
    const v = m[f.name]
    if (isDefault(f, v)) continue
    let text: string
    if (f.kind === 'message') {
      const sub = f.fields!()
      text = f.repeated ? `[${(v as Message[]).map((x) => marshal(sub, x)).join(',')}]` : marshal(sub, v as Message)
    } else if (f.repeated) text = `[${(v as unknown[]).map((x) => scalarJson(f, x)).join(',')}]`
    else text = scalarJson(f, v)
    out.push(`"${f.name}":${text}`)
  }
  return `{${out.join(',')}}`
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function nodeKind(n: JsonNode): string {
  return n.t === 'bool' ? 'bool' : n.t
}

/** encoding/json's UnmarshalTypeError. */
function typeError(what: string, goType: string): GoJsonError {
  return new GoJsonError(`json: cannot unmarshal ${what} into Go value of type ${goType}`)
}

const GO_INT_TYPES: Record<string, string> = {
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
}

/** A JSON number into a Go integer of `goType` (encoding/json: plain integers in range only). */
function integer(raw: string, goType: string): bigint {
  if (!/^-?(0|[1-9][0-9]*)$/.test(raw)) throw typeError(`number ${raw}`, goType)
  const v = BigInt(raw)
  const [lo, hi] =
    goType === 'int64'
      ? [INT64_MIN, INT64_MAX]
      : goType === 'uint64'
        ? [0n, UINT64_MAX]
        : goType === 'int32'
          ? [-(2n ** 31n), 2n ** 31n - 1n]
          : [0n, 2n ** 32n - 1n]
  if (v < lo || v > hi) throw typeError(`number ${raw}`, goType)
  return v
}

/** Go's base64.StdEncoding.DecodeString, with its CorruptInputError offsets. */
export function goBase64(s: string): Buffer {
  const src = Buffer.from(s, 'utf8')
  const isB64 = (c: number) =>
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f
  const corrupt = (at: number) => new GoJsonError(`illegal base64 data at input byte ${at}`)
  const clean: number[] = []
  let si = 0
  for (;;) {
    let j = 0
    let end = false
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(Buffer.from(clean).toString('latin1'), 'base64')
        throw corrupt(si - j)
      }
      const c = src[si++]
      if (isB64(c)) {
        clean.push(c)
        continue
      }
      if (c === 0x0a || c === 0x0d) {
        j--
        continue
      }
      if (c !== 0x3d) throw corrupt(si - 1)
      // Padding: the end of the input.
      if (j === 0 || j === 1) throw corrupt(si - 1)
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++
        if (si === src.length) throw corrupt(src.length)
        if (src[si] !== 0x3d) throw corrupt(si - 1)
        si++
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++
      if (si < src.length) throw corrupt(si)
      end = true
      break
    }
    if (end) return Buffer.from(Buffer.from(clean).toString('latin1'), 'base64')
  }
}

function scalarFrom(f: FieldInfo, n: JsonNode): unknown {
  const t = f.type ?? ''
  if (t === 'enum' && n.t === 'string') {
    const name = n.raw.slice(1, -1)
    const v = f.values?.[name]
    if (v === undefined) throw new GoJsonError(`unknown value ${goQuote(name)} for enum ${f.enumName}`)
    return v
  }
  const goInt = t === 'enum' ? f.enumName! : GO_INT_TYPES[t]
  if (goInt !== undefined) {
    // jsonpb drops a quoted number's quotes and reads what is between them as JSON.
    const inner = t !== 'enum' && n.t === 'string' ? parseWhole(n.raw.slice(1, -1)) : n
    if (inner.t === 'null') return undefined
    if (inner.t !== 'number') throw typeError(nodeKind(inner), goInt)
    const v = integer(inner.raw, t === 'enum' ? 'int32' : goInt)
    if (f.kind === 'bigint') return v
    return Number(v)
  }
  if (t === 'double' || t === 'float') {
    if (n.t === 'null') return undefined
    if (n.t === 'number') return Number(n.raw)
    throw typeError(nodeKind(n), t === 'double' ? 'float64' : 'float32')
  }
  if (n.t === 'null') return undefined
  if (t === 'bool') {
    if (n.t !== 'bool') throw typeError(nodeKind(n), 'bool')
    return n.value
  }
  if (t === 'string') {
    if (n.t !== 'string') throw typeError(nodeKind(n), 'string')
    return n.value
  }
  if (t === 'bytes') {
    if (n.t !== 'string') throw typeError(nodeKind(n), '[]uint8')
    return goBase64(n.value)
  }
  throw new GoJsonError(`unsupported field type ${t}`)
}

function zero(f: FieldInfo): unknown {
  if (f.type === 'bytes') return Buffer.alloc(0)
  if (f.type === 'string') return ''
  if (f.type === 'bool') return false
  return f.kind === 'bigint' ? 0n : 0
}

/** A message from its JSON object, as jsonpb's Unmarshaler (unknown fields allowed) reads it. */
export function unmarshal(fields: FieldInfo[], n: JsonNode): Message {
  const m: Message = {}
  if (n.t === 'null') return m
  if (n.t !== 'object') throw typeError(nodeKind(n), 'map[string]json.RawMessage')
  for (const f of fields) {
    const v = n.fields.get(f.name) ?? n.fields.get(camel(f.name))
    if (v === undefined) continue
    if (f.repeated) {
      if (v.t === 'null') continue
      if (v.t !== 'array') throw typeError(nodeKind(v), '[]json.RawMessage')
      m[f.name] = v.items.map((x) => (f.kind === 'message' ? unmarshal(f.fields!(), x) : (scalarFrom(f, x) ?? zero(f))))
    } else if (f.kind === 'message') {
      if (v.t === 'null') continue
      m[f.name] = unmarshal(f.fields!(), v)
    } else {
      const x = scalarFrom(f, v)
      if (x !== undefined) m[f.name] = x
    }
  }
  return m
}
