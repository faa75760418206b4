/**
 * etcd's records in the `key` bucket: the key is a revision (8-byte big-endian main, '_',
 * 8-byte big-endian sub, and a trailing 't' for a tombstone: mvcc/revision.go, kvstore.go) and
 * the value an mvccpb.KeyValue, encoded here by hand (proto3, zero fields omitted) so this
 * module needs no generated code.
 */

export interface Revision {
  main: bigint
  sub: bigint
  tombstone: boolean
}

export function revisionKey(main: bigint | number, sub: bigint | number = 0n, tombstone = false): Buffer {
  const b = Buffer.alloc(tombstone ? 18 : 17)
  b.writeBigUInt64BE(BigInt(main), 0)
  b[8] = 0x5f // '_'
  b.writeBigUInt64BE(BigInt(sub), 9)
  if (tombstone) b[17] = 0x74 // 't'
  return b
}

export function parseRevisionKey(k: Buffer): Revision {
  if (k.length < 17 || k[8] !== 0x5f) throw new Error(`not an etcd revision key: ${k.toString('hex')}`)
  return { main: k.readBigInt64BE(0), sub: k.readBigInt64BE(9), tombstone: k.length === 18 && k[17] === 0x74 }
}

export interface KeyValueRecord {
  key: Buffer
  createRevision: bigint
  modRevision: bigint
  version: bigint
  value: Buffer
  lease: bigint
}

type Int = bigint | number

function varintSize(v: bigint): number {
  let x = BigInt.asUintN(64, v)
  let n = 1
  while (x >= 0x80n) {
    x >>= 7n
    n++
  }
  return n
}

function putVarint(b: Buffer, off: number, v: bigint): number {
  let x = BigInt.asUintN(64, v)
  while (x >= 0x80n) {
    b[off++] = Number(x & 0x7fn) | 0x80
    x >>= 7n
  }
  b[off++] = Number(x)
  return off
}

/** mvccpb.KeyValue: 1 key, 2 create_revision, 3 mod_revision, 4 version, 5 value, 6 lease. */
export function encodeKeyValue(kv: {
  key: Buffer | string
  value?: Buffer | string
  createRevision?: Int
  modRevision?: Int
  version?: Int
  lease?: Int
}): Buffer {
  const fields: [number, Buffer | bigint][] = []
  const bytes = (num: number, b: Buffer | string | undefined) => {
    const buf = typeof b === 'string' ? Buffer.from(b) : b
    if (buf && buf.length > 0) fields.push([num, buf])
  }
  const int = (num: number, v: Int | undefined) => {
    if (v !== undefined && BigInt(v) !== 0n) fields.push([num, BigInt(v)])
  }
  bytes(1, kv.key)
  int(2, kv.createRevision)
  int(3, kv.modRevision)
  int(4, kv.version)
  bytes(5, kv.value)
  int(6, kv.lease)
  let size = 0
  for (const [, v] of fields)
    size += 1 + (typeof v === 'bigint' ? varintSize(v) : varintSize(BigInt(v.length)) + v.length)
  const out = Buffer.allocUnsafe(size)
  let off = 0
  for (const [num, v] of fields) {
    if (typeof v === 'bigint') {
      out[off++] = num << 3
      off = putVarint(out, off, v)
    } else {
      out[off++] = (num << 3) | 2
      off = putVarint(out, off, BigInt(v.length))
      off += v.copy(out, off)
    }
  }
  return out
}

export function decodeKeyValue(b: Buffer): KeyValueRecord {
  const kv: KeyValueRecord = {
    key: Buffer.alloc(0),
    createRevision: 0n,
    modRevision: 0n,
    version: 0n,
    value: Buffer.alloc(0),
    lease: 0n,
  }
  let i = 0
  const readVarint = (): bigint => {
    let v = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (i >= b.length || shift > 63n) throw new Error('mvccpb.KeyValue: bad varint')
      const x = b[i++]
      v |= BigInt(x & 0x7f) << shift
      if (x < 0x80) return BigInt.asIntN(64, v)
    }
  }
  while (i < b.length) {
    const tag = Number(readVarint())
    const num = tag >>> 3
    const wire = tag & 7
    if (wire === 0) {
      const v = readVarint()
      if (num === 2) kv.createRevision = v
      else if (num === 3) kv.modRevision = v
      else if (num === 4) kv.version = v
      else if (num === 6) kv.lease = v
    } else if (wire === 2) {
      const n = Number(readVarint())
      if (i + n > b.length) throw new Error('mvccpb.KeyValue: truncated field')
      const v = b.subarray(i, i + n)
      i += n
      if (num === 1) kv.key = v
      else if (num === 5) kv.value = v
    } else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else throw new Error(`mvccpb.KeyValue: unsupported wire type ${wire}`)
  }
  return kv
}
