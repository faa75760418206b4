/**
 * Reads a WAL directory back: metadata, the last hard state and the entries after a snapshot,
 * deciding for any damage whether it is a torn tail (to repair) or corruption (an error).
 * Reading changes nothing on disk; `open()` applies the repair this returns.
 */
import path from 'node:path'
import { decodeEntry, decodeHardState, decodeSegment, decodeSnapshot } from './decoder.js'
import { WalCorruptError, WalNotFoundError, WalSnapshotNotFoundError } from './errors.js'
import type { FileSystem, StoredFile } from './fs.js'
import { RecordType } from './record.js'
import type { RawRecord } from './segment-scan.js'
import { nonZeroEnd, scanSegment, type SegmentScan } from './segment-scan.js'
import type { SegmentInfo } from './segment-name.js'
import { listSegments, segmentForIndex, segmentPath } from './segment-name.js'
import type { HardState, RepairReport, WalEntry, WalSnapshot } from './types.js'
import { EMPTY_HARD_STATE } from './types.js'

export interface WalContents {
  metadata: Uint8Array
  /** The last hard state saved (zero values if none). */
  hardState: HardState
  /** Entries after the snapshot, overwritten tails resolved; types as numbers. */
  entries: WalEntry[]
  /** Snapshot markers met while reading, in log order. */
  snapshots: WalSnapshot[]
  /**
   * Index of the last entry in the WAL, or of a snapshot marker written after it (a snapshot
   * installed past the end of the log); 0 for an empty WAL. Raft's log ends there once it is
   * loaded from this WAL: an applied index above it means the WAL lost what was applied.
   */
  lastIndex: number
  /** Set when the last segment has a torn tail; `open()` repairs it, `readWal()` does not. */
  repair?: RepairReport
}

/** What the writer needs to resume appending. */
export interface WalTail {
  /** All segments in the directory, by sequence. */
  segments: SegmentInfo[]
  /** Offset in the last segment where valid data ends. */
  end: number
  /** False when the last segment has no valid records (its first write was torn). */
  hasHead: boolean
  /** Index of the last entry written, or of a later snapshot marker (names the next segment). */
  lastIndex: number
  logId: bigint
  /** Bytes [end, dirtyEnd) of the last segment must be zeroed before appending. */
  dirtyEnd: number
}

export interface ReadOptions {
  /**
   * Only the markers and the last hard state are wanted: read every segment still in the
   * directory (whatever its first index: older ones may have been purged) and do not collect
   * or check entries (the log may start after a purge or from an installed snapshot).
   * Damage is still checked as when opening; `snap` is ignored.
   */
  markersOnly?: boolean
  /** Each segment scanned is pushed here, to be read again with readKept(). */
  keep?: ScannedSegment[]
}

class LogBuilder {
  metadata: Uint8Array | undefined
  hardState: HardState = { ...EMPTY_HARD_STATE }
  entries: WalEntry[] = []
  snapshots: WalSnapshot[] = []
  matched = false
  lastIndex: number
  private lastMarker = -1

  constructor(
    private readonly snap: WalSnapshot,
    firstIndex: number,
    private readonly markersOnly: boolean,
  ) {
    this.lastIndex = Math.max(0, firstIndex - 1)
  }

  /** The records of one segment; it must start with its segment and metadata records. */
  apply(file: string, seg: SegmentInfo, records: readonly RawRecord[]): void {
    const bad = (r: RawRecord, why: string) => new WalCorruptError(file, r.offset, why)
    if (records.length === 0) return
    const [head, meta] = records
    if (head!.type !== RecordType.Segment) throw bad(head!, 'segment does not start with a segment record')
    const s = decodeSegment(head!.payload)
    if (!s || s.seq !== seg.seq || s.firstIndex !== seg.firstIndex)
      throw bad(head!, `segment record (${s?.seq}, ${s?.firstIndex}) does not match the file name`)
    if (meta?.type !== RecordType.Metadata) throw bad(meta ?? head!, 'no metadata record after the segment record')
    if (this.metadata === undefined) this.metadata = new Uint8Array(meta.payload)
    else if (!meta.payload.equals(this.metadata)) throw bad(meta, 'metadata differs from the previous segments')
    for (let i = 2; i < records.length; i++) {
      const r = records[i]!
      switch (r.type) {
        case RecordType.Segment:
        case RecordType.Metadata:
        case RecordType.Batch:
          throw bad(r, `record type ${r.type} after the start of the segment`)
        case RecordType.HardState: {
          const hs = decodeHardState(r.payload)
          if (!hs) throw bad(r, 'hard state out of range')
          this.hardState = hs
          break
        }
        case RecordType.Snapshot: {
          const m = decodeSnapshot(r.payload)
          if (!m) throw bad(r, 'snapshot marker out of range')
          this.snapshots.push(m)
          if (m.index === this.snap.index) {
            if (m.term !== this.snap.term)
              throw new WalSnapshotNotFoundError(
                `snapshot marker at index ${m.index} has term ${m.term}, not ${this.snap.term}`,
              )
            this.matched = true
          }
          this.lastMarker = m.index
          this.lastIndex = Math.max(this.lastIndex, m.index)
          break
        }
        case RecordType.Entry:
          this.entry(r, bad)
          break
      }
    }
  }

  private entry(r: RawRecord, bad: (r: RawRecord, why: string) => WalCorruptError): void {
    const index = r.payload.length >= 8 ? decodeEntryIndex(r.payload) : undefined
    if (index === undefined) throw bad(r, 'entry index out of range')
    this.lastIndex = index
    if (index <= this.snap.index || this.markersOnly) return
    const list = this.entries
    const next = list.length > 0 ? list[list.length - 1]!.index + 1 : this.snap.index + 1
    if (index > next) {
      if (this.lastMarker + 1 === index && this.lastMarker > this.snap.index) {
        throw new WalSnapshotNotFoundError(
          `the log continues from the snapshot at index ${this.lastMarker}; open at that snapshot, not at ${this.snap.index}`,
        )
      }
      throw bad(r, `entry ${index} follows entry ${next - 1}: the indexes have a gap`)
    }
    if (index < next) list.length = index - this.snap.index - 1
    const e = decodeEntry(r.payload)
    if (!e) throw bad(r, 'entry term out of range')
    list.push(e)
  }
}

function decodeEntryIndex(payload: Buffer): number | undefined {
  const hi = payload.readUInt32LE(4)
  return hi > 0x1fffff ? undefined : hi * 4294967296 + payload.readUInt32LE(0)
}

/** One segment as scanned by a read, kept to be read again at a snapshot (readKept). */
export interface ScannedSegment {
  seg: SegmentInfo
  file: string
  scan: SegmentScan
}

export async function readWalDir(
  fs: FileSystem,
  dir: string,
  snap: WalSnapshot,
  opts: ReadOptions = {},
): Promise<WalContents & { tail: WalTail }> {
  const segments = await listSegments(fs, dir)
  if (segments.length === 0) throw new WalNotFoundError(dir)
  if (opts.markersOnly) snap = { index: 0, term: 0 }
  const start = opts.markersOnly ? 0 : startSegment(segments, snap)
  const reader = new SegmentsReader(segments, start, snap, opts.markersOnly ?? false)
  for (let i = start; i < segments.length; i++) {
    const seg = segments[i]!
    const file = segmentPath(dir, seg)
    reader.checkSequence(i, file)
    const scan = await scanSegmentFile(fs, file, reader.logId, i === segments.length - 1)
    opts.keep?.push({ seg, file, scan })
    reader.take(i, file, scan)
  }
  return reader.finish(dir)
}

/**
 * What readWalDir(dir, snap) returns, from the segments a read of the whole directory with
 * `markersOnly` kept (`keep`), without reading them again. That read checked every segment
 * (sequence, damage, log ID carried from the first) as a read from any of them would.
 */
export function readKept(
  dir: string,
  kept: readonly ScannedSegment[],
  snap: WalSnapshot,
): WalContents & { tail: WalTail } {
  const segments = kept.map((k) => k.seg)
  const start = startSegment(segments, snap)
  const reader = new SegmentsReader(segments, start, snap, false)
  for (let i = start; i < kept.length; i++) reader.take(i, kept[i]!.file, kept[i]!.scan)
  return reader.finish(dir)
}

function startSegment(segments: readonly SegmentInfo[], snap: WalSnapshot): number {
  const start = segmentForIndex(segments, snap.index)
  if (start < 0) {
    throw new WalSnapshotNotFoundError(
      `segments holding index ${snap.index} were purged; the oldest segment starts at index ${segments[0]!.firstIndex}`,
    )
  }
  return start
}

/** Takes the scans of segments[start..] in order and builds what the read returns. */
class SegmentsReader {
  private readonly log: LogBuilder
  logId: bigint | undefined
  private repair: RepairReport | undefined
  private end = 0
  private dirtyEnd = 0
  private hasHead = true

  constructor(
    private readonly segments: readonly SegmentInfo[],
    private readonly start: number,
    private readonly snap: WalSnapshot,
    markersOnly: boolean,
  ) {
    this.log = new LogBuilder(snap, segments[start]!.firstIndex, markersOnly)
  }

  checkSequence(i: number, file: string): void {
    const segments = this.segments
    if (i > this.start && segments[i]!.seq !== segments[i - 1]!.seq + 1) {
      throw new WalCorruptError(
        file,
        0,
        `segment sequence jumps from ${segments[i - 1]!.seq} to ${segments[i]!.seq}: a segment is missing`,
      )
    }
  }

  take(i: number, file: string, scan: SegmentScan): void {
    const isLast = i === this.segments.length - 1
    const d = scan.damage
    if (d) {
      if (!isLast) throw new WalCorruptError(file, d.at, `${d.reason} (not the last segment)`)
      if (d.laterBatch >= 0)
        throw new WalCorruptError(file, d.at, `${d.reason}; a valid write follows at offset ${d.laterBatch}`)
      if (!d.torn)
        throw new WalCorruptError(
          file,
          d.at,
          `${d.reason} in the last write, which spans no zeroed sector: not a torn write`,
        )
      this.repair = {
        file,
        offset: scan.end,
        detectedAt: d.at,
        discardedBytes: scan.dirtyEnd - scan.end,
        reason: d.reason,
      }
    }
    if (scan.records.length === 0) {
      if (!isLast) throw new WalCorruptError(file, 0, 'segment without valid records (not the last segment)')
      this.hasHead = false
    }
    this.logId = scan.logId ?? this.logId
    this.log.apply(file, this.segments[i]!, scan.records)
    this.end = scan.end
    this.dirtyEnd = scan.dirtyEnd
  }

  finish(dir: string): WalContents & { tail: WalTail } {
    const { log, snap, logId, repair, segments } = this
    if (snap.index !== 0 && !log.matched) {
      throw new WalSnapshotNotFoundError(
        `no snapshot marker for index ${snap.index} term ${snap.term} in ${path.resolve(dir)}`,
      )
    }
    // Only the last segment can lack its head (its first write was torn), and a segment before
    // it was read, unless it is the only one: which create() makes durable before it exists.
    if (log.metadata === undefined || logId === undefined)
      throw new WalCorruptError(segmentPath(dir, segments[this.start]!), 0, 'no segment with valid head records')
    return {
      metadata: log.metadata,
      hardState: log.hardState,
      entries: log.entries,
      snapshots: log.snapshots,
      lastIndex: log.lastIndex,
      ...(repair ? { repair } : {}),
      tail: {
        segments: [...segments],
        end: this.end,
        hasHead: this.hasHead,
        lastIndex: log.lastIndex,
        logId,
        dirtyEnd: this.dirtyEnd,
      },
    }
  }
}

/** How much of the last segment is read first; doubled until the scan is decided. */
const FIRST_READ = 1 << 20
/** Chunk in which the zeros after the end of data are read and checked. */
const ZERO_CHECK_CHUNK = 1 << 20

/**
 * `scanSegment` over the file. A segment before the last was trimmed to its data when the
 * next one was cut (unless the member stopped before the trim): it is read and scanned whole,
 * once. The last segment is preallocated to
 * 64 MiB of zeros, and its records keep the buffer they were read into alive, so it is read
 * from a prefix: when the scan stops cleanly at a zero header inside the prefix and
 * everything after it in the file is zeros, the scan of the whole file would be the same
 * (same records, same end, no damage). Otherwise the prefix is doubled, up to the whole file,
 * whose scan decides. Each longer prefix starts with the bytes of the one before (copied, not
 * read again) and its scan goes on from the last batch found valid: every record is read and
 * checked once.
 */
async function scanSegmentFile(
  fs: FileSystem,
  file: string,
  logId: bigint | undefined,
  last: boolean,
): Promise<SegmentScan> {
  const f = await fs.open(file, 'r')
  try {
    const size = (await f.stat()).size
    let buf: Buffer = Buffer.alloc(0)
    let scan: SegmentScan | undefined
    for (let len = last ? Math.min(size, FIRST_READ) : size; ; len = Math.min(size, len * 2)) {
      buf = await extend(f, buf, len)
      scan = scanSegment(buf, logId, scan)
      if (buf.length < len || len === size) return scan
      if (!scan.damage && scan.end < len && (await zerosFrom(f, len, size))) return scan
    }
  } finally {
    await f.close()
  }
}

/**
 * The first `len` bytes of the file (fewer if it is shorter), of which `head` already holds
 * the first ones: they are copied, the rest read.
 */
async function extend(f: StoredFile, head: Buffer, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len)
  let done = head.copy(buf, 0, 0, Math.min(head.length, len))
  while (done < len) {
    const { bytesRead } = await f.read(buf, done, len - done, done)
    if (bytesRead <= 0) return buf.subarray(0, done)
    done += bytesRead
  }
  return buf
}

/** Whether [from, to) of the file holds only zeros (bytes past its end count as zeros). */
async function zerosFrom(f: StoredFile, from: number, to: number): Promise<boolean> {
  const chunk = Buffer.allocUnsafe(Math.min(ZERO_CHECK_CHUNK, to - from))
  for (let pos = from; pos < to;) {
    const { bytesRead } = await f.read(chunk, 0, Math.min(chunk.length, to - pos), pos)
    if (bytesRead <= 0) return true
    if (nonZeroEnd(chunk.subarray(0, bytesRead), 0) !== 0) return false
    pos += bytesRead
  }
  return true
}
