/**
 * Splits one segment (held in memory) into batches and finds where valid data ends. It only
 * reports what it sees; whether damage is a torn tail or corruption is decided by the reader,
 * which knows if this is the last segment.
 */
import { decodeBatch, findBatchRecord, readFrame } from './decoder.js'
import { BATCH_FRAME, HEADER_SIZE, RecordType, frameSize } from './record.js'

export interface RawRecord {
  type: RecordType
  /** Offset of the record in its segment. */
  offset: number
  payload: Buffer
}

export interface Damage {
  /** Where the problem was detected. */
  at: number
  reason: string
  /** Offset of a valid batch record after the damage, or -1 if none. */
  laterBatch: number
  /**
   * The damaged write looks torn (etcd's rule, see doc.ts): it runs past the end of the file,
   * or one of the 512-byte sectors it spans (its part of the sector) is all zeros.
   */
  torn: boolean
}

export interface SegmentScan {
  /** Records of the complete, valid batches, batch records left out. */
  records: RawRecord[]
  /** Offset just past the last valid batch: where appending resumes. */
  end: number
  damage?: Damage
  /** Offset just past the last non-zero byte at or after `end` (= end when the rest is zeros). */
  dirtyEnd: number
  /** The log ID of the batches read (the one passed in, or the first batch's). */
  logId: bigint | undefined
}

/** The smallest unit a disk writes atomically; a crash tears writes at these boundaries. */
export const SECTOR = 512
/** The shortest write: a batch record and one empty record. */
const MIN_WRITE = BATCH_FRAME + frameSize(0)

/**
 * Whether a write over [from, to) of `buf` looks torn: it runs past the end of the buffer, or
 * its part of some 512-byte sector (aligned in the file) is all zeros, a sector that never
 * reached the disk.
 */
export function looksTorn(buf: Buffer, from: number, to: number): boolean {
  if (to > buf.length) return true
  for (let lo = from; lo < to;) {
    const hi = Math.min(to, (Math.floor(lo / SECTOR) + 1) * SECTOR)
    if (nonZeroEnd(buf.subarray(0, hi), lo) === lo) return true
    lo = hi
  }
  return false
}

const CHUNK = 64 * 1024
const ZEROS = Buffer.alloc(CHUNK)

/** Offset just past the last non-zero byte in [from, buf.length), or `from`. */
export function nonZeroEnd(buf: Buffer, from: number): number {
  let hi = buf.length
  while (hi > from) {
    const lo = Math.max(from, hi - CHUNK)
    if (!buf.subarray(lo, hi).equals(ZEROS.subarray(0, hi - lo))) {
      for (let i = hi - 1; i >= lo; i--) if (buf[i] !== 0) return i + 1
    }
    hi = lo
  }
  return from
}

/**
 * `logId`: the ID every batch must carry, if already known from another segment; otherwise
 * the first batch's ID is taken.
 *
 * `prefix`: a scan of a prefix of `buf` (the same bytes, a shorter buffer). Its valid
 * batches are taken as they are (their records re-pointed into `buf`, not checked again) and
 * the scan goes on from where they end: the result is the scan of all of `buf`.
 */
export function scanSegment(buf: Buffer, logId: bigint | undefined, prefix?: SegmentScan): SegmentScan {
  const records: RawRecord[] = []
  let off = 0
  if (prefix !== undefined) {
    for (const r of prefix.records) {
      const at = r.offset + HEADER_SIZE
      records.push({ type: r.type, offset: r.offset, payload: buf.subarray(at, at + r.payload.length) })
    }
    off = prefix.end
    logId = prefix.logId ?? logId
  }
  let damage: { at: number; reason: string } | undefined
  /** Where the damaged write ends, when its batch record is intact and says so. */
  let declaredEnd: number | undefined
  while (off < buf.length) {
    const head = readFrame(buf, off)
    if (!head.ok) {
      // All zeros from here on is the normal end of data in a preallocated segment.
      if (!(head.zero && nonZeroEnd(buf, off) === off))
        damage = { at: off, reason: head.zero ? 'non-zero bytes after the end of data' : head.reason }
      break
    }
    if (head.type !== RecordType.Batch) {
      damage = { at: off, reason: `record type ${head.type} outside of a batch` }
      break
    }
    const info = decodeBatch(head.payload)
    const end = off + info.length
    if (end >= off + BATCH_FRAME) declaredEnd = end
    if (end < off + BATCH_FRAME || end > buf.length) {
      damage = { at: off, reason: end > buf.length ? 'batch runs past the end of the file' : 'bad batch length' }
      break
    }
    if (logId !== undefined && info.logId !== logId) {
      damage = { at: off, reason: `batch of another log (${info.logId.toString(16)}, expected ${logId.toString(16)})` }
      break
    }
    const batch: RawRecord[] = []
    let p = head.next
    while (p < end) {
      const f = readFrame(buf, p, end)
      if (!f.ok) {
        damage = { at: p, reason: f.zero ? 'zeros inside a batch' : f.reason }
        break
      }
      if (f.type === RecordType.Batch) {
        damage = { at: p, reason: 'batch record inside a batch' }
        break
      }
      batch.push({ type: f.type, offset: p, payload: f.payload })
      p = f.next
    }
    if (damage) break
    for (const r of batch) records.push(r)
    logId = info.logId
    off = end
    declaredEnd = undefined
  }
  if (!damage) return { records, end: off, dirtyEnd: off, logId }
  const dirtyEnd = nonZeroEnd(buf, off)
  // Without an intact batch record the write's length is unknown: it is at least MIN_WRITE
  // bytes and reaches at least the last non-zero byte.
  const writeEnd = declaredEnd ?? Math.max(dirtyEnd, off + MIN_WRITE)
  return {
    records,
    end: off,
    damage: { ...damage, laterBatch: findBatchRecord(buf, damage.at + 8, logId), torn: looksTorn(buf, off, writeEnd) },
    dirtyEnd,
    logId,
  }
}
