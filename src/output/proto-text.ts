// gogoproto's CompactTextString, which is what fmt's %v / %+v prints for a
// generated message: "name:value " per set field, nested messages as
// "name:<...> ", enums by name, strings and bytes C-escaped byte by byte.
import type { FieldInfo } from '../proto/wire.js'

export type EnumNames = Record<string, Record<number, string>>

function textString(b: Uint8Array): string {
  let out = '"'
  for (const c of b) {
    if (c === 0x0a) out += '\\n'
    else if (c === 0x0d) out += '\\r'
    else if (c === 0x09) out += '\\t'
    else if (c === 0x22) out += '\\"'
    else if (c === 0x5c) out += '\\\\'
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c)
    else out += '\\' + c.toString(8).padStart(3, '0')
  }
  return out + '"'
}

function isZero(f: FieldInfo, v: unknown): boolean {
  if (v === undefined || v === null) return true
  if (f.repeated) return (v as unknown[]).length === 0
  if (f.oneof !== undefined) return false
  if (f.kind === 'bytes') return (v as Uint8Array).length === 0
  if (f.kind === 'message') return false
  return v === '' || v === 0 || v === 0n || v === false
}

function value(f: FieldInfo, v: unknown, enums: EnumNames): string {
  switch (f.kind) {
    case 'message':
      return '<' + compactText(v as object, f.fields!(), enums) + '>'
    case 'bytes':
      return textString(v as Uint8Array)
    case 'string':
      return textString(Buffer.from(v as string, 'utf8'))
    case 'enum':
      return enums[f.name]?.[v as number] ?? String(v)
    case 'boolean':
      return v ? 'true' : 'false'
    default:
      return String(v)
  }
}

/** `enums` maps an enum field's name to its value names (e.g. { alarm: AlarmTypeNames }). */
export function compactText(m: object, fields: FieldInfo[], enums: EnumNames = {}): string {
  let out = ''
  for (const f of fields) {
    const v = (m as Record<string, unknown>)[f.name]
    if (isZero(f, v)) continue
    const items = f.repeated ? (v as unknown[]) : [v]
    for (const it of items) out += f.name + ':' + value(f, it, enums) + ' '
  }
  return out
}
