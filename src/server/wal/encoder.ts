/**
 * Encodes records into buffers (format in doc.ts). Each function returns one buffer holding
 * whole, padded, CRC'ed records, ready to be concatenated into a write.
 */
import { crc32 } from 'node:zlib'
import {
  BATCH_FRAME,
  BATCH_PAYLOAD,
  ENTRY_HEAD,
  HARD_STATE_PAYLOAD,
  HEADER_SIZE,
  RecordType,
  SEGMENT_PAYLOAD,
  SNAPSHOT_PAYLOAD,
  frameSize,
  putU64,
} from './record.js'
import type { EntryKind, HardState, WalEntry, WalSnapshot } from './types.js'

/** Fills in the header, padding and CRC of a record whose payload is already in place. */
function seal(buf: Buffer, off: number, type: RecordType, n: number): number {
  const size = frameSize(n)
  buf.writeUInt32LE(n, off)
  buf[off + 4] = type
  buf[off + 5] = size - HEADER_SIZE - n
  buf[off + 6] = 0
  buf[off + 7] = 0
  buf.fill(0, off + HEADER_SIZE + n, off + size)
  const headCrc = crc32(buf.subarray(off, off + 8))
  buf.writeUInt32LE(crc32(buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + n), headCrc), off + 8)
  return off + size
}

function checkIndex(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`wal: ${what} must be a non-negative safe integer, got ${n}`)
}

export function entryTypeCode(type: EntryKind): number {
  if (type === 'normal') return 0
  if (type === 'confChange') return 1
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 255)
    throw new RangeError(`wal: bad entry type ${String(type)}`)
  return type
}

function putHardState(buf: Buffer, off: number, hs: HardState): number {
  checkIndex('hard state term', hs.term)
  checkIndex('hard state commit', hs.commit)
  const p = off + HEADER_SIZE
  putU64(buf, p, hs.term)
  buf.writeBigUInt64LE(BigInt.asUintN(64, hs.vote), p + 8)
  putU64(buf, p + 16, hs.commit)
  return seal(buf, off, RecordType.HardState, HARD_STATE_PAYLOAD)
}

function putEntry(buf: Buffer, off: number, e: WalEntry): number {
  checkIndex('entry index', e.index)
  checkIndex('entry term', e.term)
  const p = off + HEADER_SIZE
  putU64(buf, p, e.index)
  putU64(buf, p + 8, e.term)
  buf[p + 16] = entryTypeCode(e.type)
  buf.set(e.data, p + ENTRY_HEAD)
  return seal(buf, off, RecordType.Entry, ENTRY_HEAD + e.data.length)
}

/** The records of one `save()`: the hard state (if any) first, then the entries. */
export function encodeSave(hardState: HardState | undefined, entries: readonly WalEntry[]): Buffer {
  let size = hardState ? frameSize(HARD_STATE_PAYLOAD) : 0
  for (const e of entries) size += frameSize(ENTRY_HEAD + e.data.length)
  const buf = Buffer.allocUnsafe(size)
  let off = hardState ? putHardState(buf, 0, hardState) : 0
  for (const e of entries) off = putEntry(buf, off, e)
  return buf
}

export function encodeSnapshotMarker(s: WalSnapshot): Buffer {
  checkIndex('snapshot index', s.index)
  checkIndex('snapshot term', s.term)
  const buf = Buffer.allocUnsafe(frameSize(SNAPSHOT_PAYLOAD))
  putU64(buf, HEADER_SIZE, s.index)
  putU64(buf, HEADER_SIZE + 8, s.term)
  seal(buf, 0, RecordType.Snapshot, SNAPSHOT_PAYLOAD)
  return buf
}

/** The records that start every segment: segment, metadata, and the current hard state. */
export function encodeSegmentHead(
  seq: number,
  firstIndex: number,
  metadata: Uint8Array,
  hardState: HardState | undefined,
): Buffer {
  checkIndex('segment sequence', seq)
  checkIndex('segment first index', firstIndex)
  const size = frameSize(SEGMENT_PAYLOAD) + frameSize(metadata.length) + (hardState ? frameSize(HARD_STATE_PAYLOAD) : 0)
  const buf = Buffer.allocUnsafe(size)
  putU64(buf, HEADER_SIZE, seq)
  putU64(buf, HEADER_SIZE + 8, firstIndex)
  let off = seal(buf, 0, RecordType.Segment, SEGMENT_PAYLOAD)
  buf.set(metadata, off + HEADER_SIZE)
  off = seal(buf, off, RecordType.Metadata, metadata.length)
  if (hardState) putHardState(buf, off, hardState)
  return buf
}

/**
 * One write: a batch record stating the total length and the log's ID, then `parts` in order,
 * copied into a single buffer.
 */
export function encodeBatch(logId: bigint, parts: readonly Buffer[]): Buffer {
  let size = BATCH_FRAME
  for (const p of parts) size += p.length
  const buf = Buffer.allocUnsafe(size)
  buf.writeUInt32LE(size, HEADER_SIZE)
  buf.writeUInt32LE(0, HEADER_SIZE + 4)
  buf.writeBigUInt64LE(logId, HEADER_SIZE + 8)
  let off = seal(buf, 0, RecordType.Batch, BATCH_PAYLOAD)
  for (const p of parts) {
    buf.set(p, off)
    off += p.length
  }
  return buf
}
