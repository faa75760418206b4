/**
 * The `.snap` file format. All integers little-endian.
 *
 * ```
 *  offset  size  field
 *  0       4     magic "TSNP"
 *  4       4     format version (1)
 *  8       4     CRC-32 (zlib.crc32) of the body
 *  12      4     body length
 *  16      ...   body:
 *                  u64 index, u64 term,
 *                  4 member-ID lists (voters, learners, voters outgoing, learners next),
 *                    each u32 count + u64 IDs,
 *                  u8 auto leave,
 *                  u64 data length, data bytes
 * ```
 * The file must end exactly where the body does.
 */
import { crc32 } from 'node:zlib'
import type { RaftSnapshot } from './types.js'

const MAGIC = 0x504e5354 // "TSNP" read as u32 LE
const VERSION = 1
const HEAD = 16
const TWO_32 = 4294967296

export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(`snap: ${message}`)
    this.name = 'SnapshotFormatError'
  }
}

function checkU64(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`snap: ${what} must be a non-negative safe integer, got ${n}`)
}

export function encodeSnapshotFile(s: RaftSnapshot): Buffer {
  const m = s.metadata
  checkU64('index', m.index)
  checkU64('term', m.term)
  const lists = [
    m.confState.voters,
    m.confState.learners,
    m.confState.votersOutgoing ?? [],
    m.confState.learnersNext ?? [],
  ]
  const bodyLen = 16 + lists.reduce((n, l) => n + 4 + 8 * l.length, 0) + 1 + 8 + s.data.length
  const buf = Buffer.allocUnsafe(HEAD + bodyLen)
  let off = HEAD
  const u64 = (n: number) => {
    buf.writeUInt32LE(n >>> 0, off)
    buf.writeUInt32LE(Math.floor(n / TWO_32), off + 4)
    off += 8
  }
  u64(m.index)
  u64(m.term)
  for (const list of lists) {
    buf.writeUInt32LE(list.length, off)
    off += 4
    for (const id of list) {
      buf.writeBigUInt64LE(BigInt.asUintN(64, id), off)
      off += 8
    }
  }
  buf[off++] = m.confState.autoLeave ? 1 : 0
  u64(s.data.length)
  buf.set(s.data, off)
  buf.writeUInt32LE(MAGIC, 0)
  buf.writeUInt32LE(VERSION, 4)
  buf.writeUInt32LE(crc32(buf.subarray(HEAD)), 8)
  buf.writeUInt32LE(bodyLen, 12)
  return buf
}

export function decodeSnapshotFile(buf: Buffer): RaftSnapshot {
  if (buf.length < HEAD) throw new SnapshotFormatError(`file of ${buf.length} bytes is too short`)
  if (buf.readUInt32LE(0) !== MAGIC) throw new SnapshotFormatError('bad magic')
  if (buf.readUInt32LE(4) !== VERSION) throw new SnapshotFormatError(`unknown format version ${buf.readUInt32LE(4)}`)
  if (buf.readUInt32LE(12) !== buf.length - HEAD)
    throw new SnapshotFormatError(`body length ${buf.readUInt32LE(12)} does not match the file size ${buf.length}`)
  if (crc32(buf.subarray(HEAD)) !== buf.readUInt32LE(8)) throw new SnapshotFormatError('CRC mismatch')
  let off = HEAD
  const need = (n: number) => {
    if (off + n > buf.length) throw new SnapshotFormatError('truncated body')
  }
  const u64 = () => {
    need(8)
    const hi = buf.readUInt32LE(off + 4)
    if (hi > 0x1fffff) throw new SnapshotFormatError('integer out of range')
    const v = hi * TWO_32 + buf.readUInt32LE(off)
    off += 8
    return v
  }
  const ids = () => {
    need(4)
    const n = buf.readUInt32LE(off)
    off += 4
    need(8 * n)
    const out: bigint[] = []
    for (let i = 0; i < n; i++, off += 8) out.push(buf.readBigUInt64LE(off))
    return out
  }
  const index = u64()
  const term = u64()
  const voters = ids()
  const learners = ids()
  const votersOutgoing = ids()
  const learnersNext = ids()
  need(1)
  const autoLeave = buf[off++] === 1
  const len = u64()
  if (off + len !== buf.length) throw new SnapshotFormatError('data length does not match the file size')
  return {
    metadata: { index, term, confState: { voters, learners, votersOutgoing, learnersNext, autoLeave } },
    data: new Uint8Array(buf.subarray(off)),
  }
}
