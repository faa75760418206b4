/** Decodes records from a segment held in memory (format in doc.ts). */
import { crc32 } from 'node:zlib'
import {
  BATCH_FRAME,
  BATCH_PAYLOAD,
  ENTRY_HEAD,
  HEADER_SIZE,
  RecordType,
  fixedPayload,
  frameSize,
  getU64,
  isRecordType,
} from './record.js'
import type { HardState, WalEntry, WalSnapshot } from './types.js'

export type Frame =
  | { ok: true; type: RecordType; payload: Buffer; next: number }
  /** `zero`: the header is all zero bytes, where data ends in a preallocated file. */
  | { ok: false; zero: boolean; reason: string }

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false
  return true
}

/** Reads and checks the record at `off`; nothing of it may lie at or past `limit`. */
export function readFrame(buf: Buffer, off: number, limit: number = buf.length): Frame {
  if (off + HEADER_SIZE > limit) {
    return { ok: false, zero: isZero(buf, off, Math.min(limit, buf.length)), reason: 'truncated record header' }
  }
  const n = buf.readUInt32LE(off)
  const type = buf[off + 4]!
  if (n === 0 && type === 0 && isZero(buf, off, off + HEADER_SIZE))
    return { ok: false, zero: true, reason: 'zeros where a record was expected' }
  if (!isRecordType(type)) return { ok: false, zero: false, reason: `unknown record type ${type}` }
  if (buf[off + 6] !== 0 || buf[off + 7] !== 0)
    return { ok: false, zero: false, reason: 'reserved header bytes are not zero' }
  const fixed = fixedPayload(type)
  if (fixed !== undefined && n !== fixed)
    return { ok: false, zero: false, reason: `record type ${type} with payload length ${n}` }
  if (type === RecordType.Entry && n < ENTRY_HEAD)
    return { ok: false, zero: false, reason: `entry record with payload length ${n}` }
  const size = frameSize(n)
  if (buf[off + 5] !== size - HEADER_SIZE - n) return { ok: false, zero: false, reason: 'bad padding length' }
  if (off + size > limit) return { ok: false, zero: false, reason: `record of ${size} bytes runs past the end` }
  const payload = buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + n)
  const want = buf.readUInt32LE(off + 8)
  if (crc32(payload, crc32(buf.subarray(off, off + 8))) !== want)
    return { ok: false, zero: false, reason: 'CRC mismatch' }
  if (!isZero(buf, off + HEADER_SIZE + n, off + size)) return { ok: false, zero: false, reason: 'non-zero padding' }
  return { ok: true, type, payload, next: off + size }
}

/**
 * Offset of the first valid batch record of log `logId` (any log if undefined) at an 8-byte
 * aligned offset in [from, buf.length), or -1. Cheap checks first: most offsets fail on the
 * type byte.
 */
export function findBatchRecord(buf: Buffer, from: number, logId: bigint | undefined): number {
  for (let off = Math.ceil(from / 8) * 8; off + BATCH_FRAME <= buf.length; off += 8) {
    if (buf[off + 4] !== RecordType.Batch || buf[off] !== BATCH_PAYLOAD) continue
    const f = readFrame(buf, off)
    if (f.ok && f.type === RecordType.Batch && (logId === undefined || decodeBatch(f.payload).logId === logId))
      return off
  }
  return -1
}

/** Field decoders return undefined for values out of range (treated as corruption). */

export function decodeBatch(payload: Buffer): { length: number; logId: bigint } {
  return { length: payload.readUInt32LE(0), logId: payload.readBigUInt64LE(8) }
}

export function decodeSegment(payload: Buffer): { seq: number; firstIndex: number } | undefined {
  const seq = getU64(payload, 0)
  const firstIndex = getU64(payload, 8)
  return seq === undefined || firstIndex === undefined ? undefined : { seq, firstIndex }
}

export function decodeHardState(payload: Buffer): HardState | undefined {
  const term = getU64(payload, 0)
  const commit = getU64(payload, 16)
  if (term === undefined || commit === undefined) return undefined
  return { term, vote: payload.readBigUInt64LE(8), commit }
}

export function decodeSnapshot(payload: Buffer): WalSnapshot | undefined {
  const index = getU64(payload, 0)
  const term = getU64(payload, 8)
  return index === undefined || term === undefined ? undefined : { index, term }
}

/**
 * The entry's data is a view into `payload`, not a copy: the segment buffer read stays
 * allocated while any of its entries is kept (it is mostly entries anyway), and must not be
 * changed afterwards (readFile hands out a buffer of the caller's own).
 */
export function decodeEntry(payload: Buffer): WalEntry | undefined {
  const index = getU64(payload, 0)
  const term = getU64(payload, 8)
  if (index === undefined || term === undefined) return undefined
  return {
    index,
    term,
    type: payload[16]!,
    data: new Uint8Array(payload.buffer, payload.byteOffset + ENTRY_HEAD, payload.length - ENTRY_HEAD),
  }
}
