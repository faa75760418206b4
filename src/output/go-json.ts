// Go encoding/json as etcdctl's -w json uses it on gogoproto structs: fields
// in declaration order under their proto names, all `omitempty`; int64 and
// uint64 as plain integers; []byte as standard base64; enums as numbers; a
// oneof as {"<GoOneofName>": {"<GoFieldName>": value}} (or null when unset).
import type { FieldInfo } from '../proto/wire.js'

const HEX = '0123456789abcdef'

/** A JSON string literal escaped exactly as encoding/json does (HTML-safe). */
export function jsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (c === 0x22 || c === 0x5c) out += '\\' + ch
    else if (c === 0x0a) out += '\\n'
    else if (c === 0x0d) out += '\\r'
    else if (c === 0x09) out += '\\t'
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) out += '\\u00' + HEX[c >> 4] + HEX[c & 15]
    else if (c === 0x2028 || c === 0x2029) out += '\\u202' + HEX[c & 15]
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'
    else out += ch
  }
  return out + '"'
}

export function jsonBytes(b: Uint8Array): string {
  return '"' + Buffer.from(b).toString('base64') + '"'
}

/** One encoded object member: "key":value. */
export function member(key: string, value: string): string {
  return jsonString(key) + ':' + value
}

export function jsonObject(members: string[]): string {
  return '{' + members.join(',') + '}'
}

/** protoc-gen-gogo's CamelCase for Go field names: "response_put" -> "ResponsePut". */
export function goFieldName(protoName: string): string {
  return protoName
    .split('_')
    .map((p, i) => (i > 0 && p === '' ? '_' : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('')
}

type Msg = object

function get(m: Msg, name: string): unknown {
  return (m as Record<string, unknown>)[name]
}

function scalar(f: FieldInfo, v: unknown): string {
  switch (f.kind) {
    case 'bytes':
      return jsonBytes(v as Uint8Array)
    case 'string':
      return jsonString(v as string)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'message':
      return goJson(v as Msg, f.fields!())
    default:
      return String(v)
  }
}

function isEmpty(f: FieldInfo, v: unknown): boolean {
  if (v === undefined || v === null) return true
  if (f.repeated) return (v as unknown[]).length === 0
  switch (f.kind) {
    case 'bytes':
      return (v as Uint8Array).length === 0
    case 'string':
      return v === ''
    case 'boolean':
      return v === false
    case 'number':
    case 'enum':
      return v === 0
    case 'bigint':
      return v === 0n
    default:
      return false
  }
}

function oneof(m: Msg, group: FieldInfo[]): string {
  const set = group.find((f) => get(m, f.name) !== undefined)
  if (set === undefined) return 'null'
  return jsonObject([member(goFieldName(set.name), scalar(set, get(m, set.name)))])
}

/** The encoded members of a decoded message, driven by its FieldInfo list. */
export function messageMembers(m: Msg, fields: FieldInfo[]): string[] {
  const members: string[] = []
  const seen = new Set<string>()
  for (const f of fields) {
    if (f.oneof !== undefined) {
      if (seen.has(f.oneof)) continue
      seen.add(f.oneof)
      members.push(
        member(
          goFieldName(f.oneof),
          oneof(
            m,
            fields.filter((g) => g.oneof === f.oneof),
          ),
        ),
      )
      continue
    }
    const v = get(m, f.name)
    if (isEmpty(f, v)) continue
    members.push(
      member(f.name, f.repeated ? '[' + (v as unknown[]).map((x) => scalar(f, x)).join(',') + ']' : scalar(f, v)),
    )
  }
  return members
}

/** encoding/json of a decoded message. */
export function goJson(m: Msg, fields: FieldInfo[]): string {
  return jsonObject(messageMembers(m, fields))
}
