/**
 * Reading just what the index needs from a key record (an encoded mvccpb.KeyValue) without
 * decoding it into a message: used when the whole key bucket is scanned on open.
 */
import { Reader } from '../../proto/wire.js'

export class RecordHead {
  /** The key as a latin1 string ('' when read with `keyString` false). */
  skey = ''
  /** Where the key's bytes are in the record: [keyStart, keyEnd). */
  keyStart = 0
  keyEnd = 0
  createRevision = 0
  version = 0
  lease = 0n
}

const WIRE_VARINT = 0
const WIRE_BYTES = 2

/** Reads the head of `buf` into `out`; `keyString` false leaves the key as its offsets only. */
export function readRecordHead(buf: Buffer, out: RecordHead, keyString = true): RecordHead {
  const r = new Reader(buf)
  out.skey = ''
  out.keyStart = 0
  out.keyEnd = 0
  out.createRevision = 0
  out.version = 0
  out.lease = 0n
  while (r.pos < r.len) {
    const tag = r.varint()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === WIRE_BYTES) {
      const n = r.varint()
      if (r.pos + n > r.len) throw new Error('mvcc: key record truncated')
      out.keyStart = r.pos
      out.keyEnd = r.pos + n
      if (keyString) out.skey = buf.toString('latin1', r.pos, r.pos + n)
      r.pos += n
    } else if (field === 2 && wire === WIRE_VARINT) {
      out.createRevision = r.int64()
    } else if (field === 4 && wire === WIRE_VARINT) {
      out.version = r.int64()
    } else if (field === 6 && wire === WIRE_VARINT) {
      out.lease = r.bigInt64()
    } else if (wire === WIRE_BYTES) {
      const n = r.varint()
      r.pos += n
    } else {
      r.skip(wire)
    }
  }
  return out
}
