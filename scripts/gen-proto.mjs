#!/usr/bin/env node
// Generates static TypeScript encoders/decoders from proto/**/*.proto into src/gen/.
//
// protobufjs is used here, at build time, only to parse the .proto files. The generated code
// depends on nothing but src/proto/wire.ts: each message gets an interface for decoded values
// (scalars always present, sub-messages optional), an `Init` interface for values to encode
// (everything optional), and size/encode/decode functions. Field descriptors are emitted too,
// for the printers that render messages as etcdctl's JSON.
//
// 64-bit integers: uint64 fields and int64 fields that hold IDs (named `ID` or `lease`) are
// bigint, because member, cluster and lease IDs use all 64 bits. Other int64 fields
// (revisions, counts, TTLs) are numbers: they stay far below 2^53.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const protoDir = path.join(root, 'proto')
const outDir = path.join(root, 'src', 'gen')

function findProtos(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? findProtos(path.join(dir, e.name)) : e.name.endsWith('.proto') ? [path.join(dir, e.name)] : [],
    )
}

const pbRoot = new protobuf.Root()
pbRoot.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target))
pbRoot.loadSync(findProtos(protoDir), { keepCase: true })
pbRoot.resolveAll()

const BIGINT_INT64_NAMES = new Set(['ID', 'lease'])

/** TypeScript name of a type: package-relative, nested names joined by `_`. */
function tsName(type) {
  const parts = []
  for (let t = type; t && !(t instanceof protobuf.Namespace && !(t instanceof protobuf.Type)); t = t.parent)
    parts.unshift(t.name)
  return parts.join('_')
}
function pkgOf(type) {
  let t = type.parent
  while (t && t instanceof protobuf.Type) t = t.parent
  return t.fullName.replace(/^\./, '')
}

function scalarKind(field) {
  const t = field.type
  if (t === 'uint64' || t === 'fixed64') return 'bigu64'
  if (t === 'int64' || t === 'sint64' || t === 'sfixed64')
    return BIGINT_INT64_NAMES.has(field.name) ? 'bigi64' : 'num64'
  return t
}

const WIRE = { double: 1, float: 5, fixed32: 5, sfixed32: 5, fixed64: 1, sfixed64: 1, string: 2, bytes: 2 }
function wireType(field) {
  if (field.resolvedType instanceof protobuf.Type) return 2
  return WIRE[field.type] ?? 0
}

function tsScalar(field) {
  const k = scalarKind(field)
  if (field.resolvedType instanceof protobuf.Enum) return 'number'
  switch (k) {
    case 'bigu64':
    case 'bigi64':
      return 'bigint'
    case 'string':
      return 'string'
    case 'bytes':
      return 'Buffer'
    case 'bool':
      return 'boolean'
    default:
      return 'number'
  }
}
function defaultValue(field) {
  if (field.repeated) return '[]'
  if (field.resolvedType instanceof protobuf.Type) return 'undefined'
  switch (tsScalar(field)) {
    case 'bigint':
      return '0n'
    case 'string':
      return "''"
    case 'Buffer':
      return 'EMPTY'
    case 'boolean':
      return 'false'
    default:
      return '0'
  }
}
function isDefault(field, v) {
  switch (tsScalar(field)) {
    case 'bigint':
      return `${v} === undefined || ${v} === 0n`
    case 'string':
      return `${v} === undefined || ${v} === ''`
    case 'Buffer':
      return `${v} === undefined || ${v}.length === 0`
    case 'boolean':
      return `!${v}`
    default:
      return `${v} === undefined || ${v} === 0`
  }
}
/** [sizeExpr, writeStmt, readExpr] for one scalar value `v`. */
function scalarOps(field, v) {
  const t = field.resolvedType instanceof protobuf.Enum ? 'int32' : field.type
  const k = scalarKind(field)
  if (k === 'bigu64' && t === 'uint64') return [`sizeBigVarint(${v})`, `w.bigVarint(${v})`, 'r.bigUint64()']
  if (k === 'bigi64') return [`sizeBigVarint(${v})`, `w.bigVarint(${v})`, 'r.bigInt64()']
  switch (t) {
    case 'int64':
      return [`sizeInt64(${v})`, `w.int64(${v})`, `r.int64(${JSON.stringify(field.name)})`]
    case 'int32':
      return [`sizeInt32(${v})`, `w.int32(${v})`, 'r.int32()']
    case 'uint32':
      return [`sizeVarint(${v})`, `w.varint(${v})`, 'r.varint()']
    case 'bool':
      return ['1', `w.byte(${v} ? 1 : 0)`, 'r.varint() !== 0']
    case 'string':
      return [`sizeString(${v})`, `w.string(${v})`, 'r.string()']
    case 'bytes':
      return [`sizeBytes(${v})`, `w.bytes(${v})`, 'r.bytes()']
    case 'double':
      return ['8', `w.double(${v})`, 'r.double()']
    case 'fixed32':
      return ['4', `w.fixed32(${v})`, 'r.fixed32()']
    default:
      throw new Error(`unsupported scalar type ${t} in ${field.fullName}`)
  }
}
function tagBytes(field, wt) {
  return (field.id << 3) | wt
}

function collect(ns, out = { types: [], enums: [] }) {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) {
      out.types.push(n)
      collect(n, out)
    } else if (n instanceof protobuf.Enum) out.enums.push(n)
    else if (n instanceof protobuf.Namespace && !(n instanceof protobuf.Service)) collect(n, out)
  }
  return out
}

function genPackage(pkgName, ns) {
  const { types, enums } = collect(ns)
  const services = ns.nestedArray.filter((n) => n instanceof protobuf.Service)
  const imports = new Map()
  const ref = (type) => {
    const p = pkgOf(type)
    if (p === pkgName) return tsName(type)
    if (!imports.has(p)) imports.set(p, new Set())
    imports.get(p).add(tsName(type))
    imports
      .get(p)
      .add(`size${tsName(type)}`)
      .add(`encode${tsName(type)}`)
      .add(`write${tsName(type)}`)
      .add(`decode${tsName(type)}`)
      .add(`${tsName(type)}Init`)
      .add(`${tsName(type)}Fields`)
    return tsName(type)
  }
  const L = []
  for (const e of enums) {
    const name = tsName(e)
    L.push(`export const ${name} = {`)
    for (const [k, v] of Object.entries(e.values)) L.push(`  ${k}: ${v},`)
    L.push('} as const')
    L.push(
      `export const ${name}Names: Record<number, string> = {${Object.entries(e.values)
        .map(([k, v]) => ` ${v}: '${k}'`)
        .join(',')} }`,
    )
    L.push('')
  }
  for (const t of types) {
    const name = tsName(t)
    const fields = t.fieldsArray
    const isMsg = (f) => f.resolvedType instanceof protobuf.Type
    // Decoded shape
    L.push(`export interface ${name} {`)
    for (const f of fields) {
      if (isMsg(f)) L.push(`  ${f.name}${f.repeated ? '' : '?'}: ${ref(f.resolvedType)}${f.repeated ? '[]' : ''}`)
      else L.push(`  ${f.name}${f.partOf ? '?' : ''}: ${tsScalar(f)}${f.repeated ? '[]' : ''}`)
    }
    L.push('}')
    L.push(`export interface ${name}Init {`)
    for (const f of fields) {
      if (isMsg(f)) L.push(`  ${f.name}?: ${ref(f.resolvedType)}Init${f.repeated ? '[]' : ''}`)
      else L.push(`  ${f.name}?: ${tsScalar(f)}${f.repeated ? '[]' : ''}`)
    }
    L.push('}')
    // Field descriptors
    L.push(`export const ${name}Fields: FieldInfo[] = [`)
    for (const f of fields) {
      const kind = isMsg(f)
        ? 'message'
        : f.resolvedType instanceof protobuf.Enum
          ? 'enum'
          : tsScalar(f) === 'Buffer'
            ? 'bytes'
            : tsScalar(f)
      const sub = isMsg(f) ? `, fields: () => ${ref(f.resolvedType)}Fields` : ''
      const scalar = isMsg(f) ? '' : `, type: '${f.resolvedType instanceof protobuf.Enum ? 'enum' : f.type}'`
      const en =
        f.resolvedType instanceof protobuf.Enum
          ? `, enumName: '${pkgOf(f.resolvedType)}.${tsName(f.resolvedType)}', values: ${JSON.stringify(f.resolvedType.values)}`
          : ''
      const oneof = f.partOf ? `, oneof: '${f.partOf.name}'` : ''
      L.push(`  { name: '${f.name}', kind: '${kind}', repeated: ${f.repeated}${oneof}${sub}${scalar}${en} },`)
    }
    L.push(']')
    // size
    L.push(`export function size${name}(m: ${name}Init): number {`)
    L.push('  let n = 0')
    for (const f of fields) {
      const v = `m.${f.name}`
      const tag = sizeOfVarintConst(tagBytes(f, f.repeated && !isMsg(f) && packable(f) ? 2 : wireType(f)))
      if (isMsg(f)) {
        const T = ref(f.resolvedType)
        if (f.repeated)
          L.push(
            `  if (${v} !== undefined) for (const x of ${v}) { const s = size${T}(x); n += ${tag} + sizeVarint(s) + s }`,
          )
        else L.push(`  if (${v} !== undefined) { const s = size${T}(${v}); n += ${tag} + sizeVarint(s) + s }`)
      } else if (f.repeated) {
        const [sz] = scalarOps(f, 'x')
        if (packable(f))
          L.push(
            `  if (${v} !== undefined && ${v}.length > 0) { let s = 0; for (const x of ${v}) s += ${sz}; n += ${tag} + sizeVarint(s) + s }`,
          )
        else L.push(`  if (${v} !== undefined) for (const x of ${v}) n += ${tag} + ${sz}`)
      } else {
        const [sz] = scalarOps(f, v + '!')
        const cond = f.partOf ? `${v} !== undefined` : `!(${isDefault(f, v)})`
        L.push(`  if (${cond}) n += ${tag} + ${sz}`)
      }
    }
    L.push('  return n')
    L.push('}')
    // write
    L.push(`export function write${name}(w: Writer, m: ${name}Init): void {`)
    for (const f of fields) {
      const v = `m.${f.name}`
      if (isMsg(f)) {
        const T = ref(f.resolvedType)
        const tag = tagBytes(f, 2)
        if (f.repeated)
          L.push(
            `  if (${v} !== undefined) for (const x of ${v}) { w.varint(${tag}); w.varint(size${T}(x)); write${T}(w, x) }`,
          )
        else L.push(`  if (${v} !== undefined) { w.varint(${tag}); w.varint(size${T}(${v})); write${T}(w, ${v}) }`)
      } else if (f.repeated) {
        const [sz, wr] = scalarOps(f, 'x')
        if (packable(f))
          L.push(
            `  if (${v} !== undefined && ${v}.length > 0) { let s = 0; for (const x of ${v}) s += ${sz}; w.varint(${tagBytes(f, 2)}); w.varint(s); for (const x of ${v}) ${wr} }`,
          )
        else L.push(`  if (${v} !== undefined) for (const x of ${v}) { w.varint(${tagBytes(f, wireType(f))}); ${wr} }`)
      } else {
        const [, wr] = scalarOps(f, v + '!')
        const cond = f.partOf ? `${v} !== undefined` : `!(${isDefault(f, v)})`
        L.push(`  if (${cond}) { w.varint(${tagBytes(f, wireType(f))}); ${wr} }`)
      }
    }
    L.push('}')
    L.push(`export function encode${name}(m: ${name}Init): Buffer {`)
    L.push(`  const w = new Writer(size${name}(m))`)
    L.push(`  write${name}(w, m)`)
    L.push('  return w.finish()')
    L.push('}')
    // decode
    L.push(`export function decode${name}(buf: Uint8Array | Reader, length?: number): ${name} {`)
    L.push('  const r = buf instanceof Reader ? buf : new Reader(buf)')
    L.push('  const end = length === undefined ? r.len : r.pos + length')
    const init = fields
      .filter((f) => !f.partOf && !(isMsg(f) && !f.repeated))
      .map((f) => `${f.name}: ${defaultValue(f)}`)
    L.push(`  const m: ${name} = { ${init.join(', ')} }`)
    L.push('  while (r.pos < end) {')
    L.push('    const tag = r.varint()')
    L.push('    switch (tag >>> 3) {')
    for (const f of fields) {
      L.push(`      case ${f.id}:`)
      if (isMsg(f)) {
        const T = ref(f.resolvedType)
        if (f.repeated) L.push(`        m.${f.name}.push(decode${T}(r, r.varint()))`)
        else L.push(`        m.${f.name} = decode${T}(r, r.varint())`)
      } else if (f.repeated) {
        const [, , rd] = scalarOps(f, '')
        if (packable(f))
          L.push(
            `        if ((tag & 7) === 2) { const e = r.varint() + r.pos; while (r.pos < e) m.${f.name}.push(${rd}) } else m.${f.name}.push(${rd})`,
          )
        else L.push(`        m.${f.name}.push(${rd})`)
      } else {
        const [, , rd] = scalarOps(f, '')
        L.push(`        m.${f.name} = ${rd}`)
      }
      L.push('        break')
    }
    L.push('      default:')
    L.push('        r.skip(tag & 7)')
    L.push('    }')
    L.push('  }')
    L.push('  return m')
    L.push('}')
    L.push('')
  }
  // Services: method tables for grpc-js
  for (const s of services) {
    L.push(`export const ${s.name}Service = {`)
    for (const m of s.methodsArray) {
      const req = m.resolvedRequestType,
        res = m.resolvedResponseType
      L.push(`  ${m.name}: {`)
      L.push(`    path: '/${pkgName}.${s.name}/${m.name}',`)
      L.push(`    requestStream: ${!!m.requestStream},`)
      L.push(`    responseStream: ${!!m.responseStream},`)
      L.push(`    requestSerialize: (v: ${ref(req)}Init) => encode${ref(req)}(v),`)
      L.push(`    requestDeserialize: (b: Buffer) => decode${ref(req)}(b),`)
      L.push(`    responseSerialize: (v: ${ref(res)}Init) => encode${ref(res)}(v),`)
      L.push(`    responseDeserialize: (b: Buffer) => decode${ref(res)}(b),`)
      L.push('  },')
    }
    L.push('} as const')
    L.push('')
  }
  const head = [
    '// Generated by scripts/gen-proto.mjs from proto/. Do not edit.',
    '/* eslint-disable */',
    "import { Reader, Writer, EMPTY, sizeVarint, sizeInt32, sizeInt64, sizeString, sizeBytes, sizeBigVarint, type FieldInfo } from '../proto/wire.js'",
  ]
  for (const [p, names] of imports) head.push(`import { ${[...names].join(', ')} } from './${p}.js'`)
  head.push('void sizeInt32; void sizeInt64; void sizeString; void sizeBytes; void sizeBigVarint; void EMPTY')
  head.push('')
  return head.concat(L).join('\n')
}

function packable(f) {
  return f.repeated && !(f.resolvedType instanceof protobuf.Type) && f.type !== 'string' && f.type !== 'bytes'
}
function sizeOfVarintConst(v) {
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

fs.mkdirSync(outDir, { recursive: true })
const packages = []
function walk(ns) {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Namespace && !(n instanceof protobuf.Type) && !(n instanceof protobuf.Service)) {
      const hasTypes = n.nestedArray.some(
        (x) => x instanceof protobuf.Type || x instanceof protobuf.Enum || x instanceof protobuf.Service,
      )
      if (hasTypes) packages.push(n)
      else walk(n)
    }
  }
}
walk(pbRoot)
for (const ns of packages) {
  const pkgName = ns.fullName.replace(/^\./, '')
  const file = path.join(outDir, `${pkgName}.ts`)
  const text = genPackage(pkgName, ns)
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text)
}
