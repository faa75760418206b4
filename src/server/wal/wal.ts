/**
 * The WAL writer: group commit into one write and one fdatasync per batch, segment cuts,
 * opening (with tail repair), release and purge of old segments. Format: doc.ts.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { encodeBatch, encodeSave, encodeSegmentHead, encodeSnapshotMarker } from './encoder.js'
import { WalError, WalExistsError, WalFailedError, WalNotFoundError } from './errors.js'
import { FilePipeline } from './file-pipeline.js'
import type { FileSystem, StoredFile } from './fs.js'
import { mkdirDurable, nodeFs, withoutSync, writeFully, writeZeros } from './fs.js'
import { LOCK_FILE, WalLock } from './lock.js'
import { readKept, readWalDir, type ScannedSegment, type WalContents } from './reader.js'
import { repairTail } from './repair.js'
import type { SegmentInfo } from './segment-name.js'
import { TMP_SUFFIX, listSegments, segmentForIndex, segmentName, segmentPath } from './segment-name.js'
import type { HardState, WalEntry, WalSnapshot } from './types.js'
import type { Logger } from '../log.js'

/** An fdatasync slower than this is logged, as etcd's WAL logs it. */
const WARN_SYNC_SECONDS = 1

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024

export interface WalOptions {
  /** File-system layer (tests count or fail calls through it). Default: node:fs/promises. */
  fs?: FileSystem
  /** Preallocated size of a segment; a cut happens once a segment has grown past it. */
  segmentSize?: number
  /**
   * `--unsafe-no-fsync`: write everything as usual but skip every fsync and fdatasync (of
   * segments, the directory, repairs). A machine crash can then lose acknowledged saves.
   */
  unsafeNoFsync?: boolean
  /** Told about slow fdatasyncs. */
  logger?: Logger
}

/** The file system the options ask for: the given one (default node:fs), without syncs if unsafe. */
function fsOf(opts: WalOptions): FileSystem {
  const fs = opts.fs ?? nodeFs
  return opts.unsafeNoFsync ? withoutSync(fs) : fs
}

export interface WalStats {
  /** save() and saveSnapshot() calls. */
  saves: number
  /** Writes (one per batch). */
  writes: number
  /** fdatasyncs of segment files (one per write; none with unsafeNoFsync). */
  fsyncs: number
  /** fsyncs of the directory (one per new segment). */
  dirSyncs: number
  bytes: number
  cuts: number
  /** Cuts that had to wait for the file pipeline's preallocation. */
  cutWaits: number
}

/**
 * What `Wal.open` read (entries after the snapshot, last hard state, markers, `lastIndex`: the
 * index the WAL ends at, and `repair` if a torn tail was cut) and the WAL, ready to append.
 */
export interface OpenedWal extends WalContents {
  wal: Wal
}

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

/** Records gathered for the next write, and who waits for them. */
interface Batch {
  parts: Buffer[]
  waiters: Waiter[]
  /** Last hard state in this batch. */
  hardState?: HardState
  /** The writer's last index once this batch is written. */
  lastIndexAfter: number
}

interface Tail {
  seg: SegmentInfo
  file: StoredFile
  offset: number
  /** The next write must start with the segment's head records. */
  needsHead: boolean
  /** The file was just renamed into place: the directory needs an fsync. */
  fresh: boolean
}

/** True if `dir` holds WAL segments. */
export async function walExists(dir: string, opts: WalOptions = {}): Promise<boolean> {
  return (await listSegments(opts.fs ?? nodeFs, dir)).length > 0
}

/** Reads a WAL without locking or repairing it (for offline tools); `repair` says what open() would discard. */
export async function readWal(dir: string, snap: WalSnapshot, opts: WalOptions = {}): Promise<WalContents> {
  const { tail: _tail, ...contents } = await readWalDir(opts.fs ?? nodeFs, dir, snap)
  return contents
}

/**
 * The snapshot markers in every segment still in the directory whose index is at or below the
 * last saved hard state's commit index, in log order: the snapshots the server may start from
 * (etcd's wal.ValidSnapshotEntries). Pair with `Snapshotter.loadNewestAvailable(markers)` and
 * open the WAL at the snapshot it returns. Works after a purge and on a log that starts from an
 * installed snapshot (entries are not read). Does not lock or repair; a torn tail is ignored,
 * corruption throws WalCorruptError.
 */
export async function walSnapshots(dir: string, opts: WalOptions = {}): Promise<WalSnapshot[]> {
  return validSnapshots(await readWalDir(opts.fs ?? nodeFs, dir, { index: 0, term: 0 }, { markersOnly: true }))
}

function validSnapshots(r: WalContents): WalSnapshot[] {
  return r.snapshots.filter((s) => s.index <= r.hardState.commit)
}

/**
 * Chooses the snapshot to open the WAL at from the markers walSnapshots() would return (the
 * zero snapshot for none).
 */
export type SnapshotChooser = (markers: WalSnapshot[]) => Promise<WalSnapshot>

/**
 * The directory read at `snap`, or at the snapshot `snap` chooses: then every segment is read
 * once, for the markers and for the log after the chosen one.
 */
async function readAt(fs: FileSystem, dir: string, snap: WalSnapshot | SnapshotChooser) {
  if (typeof snap !== 'function') return { at: snap, ...(await readWalDir(fs, dir, snap)) }
  const kept: ScannedSegment[] = []
  const all = await readWalDir(fs, dir, { index: 0, term: 0 }, { markersOnly: true, keep: kept })
  const at = await snap(validSnapshots(all))
  return { at, ...readKept(dir, kept, at) }
}

function isLeftover(name: string): boolean {
  return name.endsWith(TMP_SUFFIX) || name.startsWith(`${LOCK_FILE}.`)
}

export class Wal {
  readonly stats: WalStats = { saves: 0, writes: 0, fsyncs: 0, dirSyncs: 0, bytes: 0, cuts: 0, cutWaits: 0 }
  /** Told how long each write's fdatasync took, in seconds (not with unsafeNoFsync). */
  onSync: ((seconds: number) => void) | undefined
  private readonly segmentSize: number
  /** unsafeNoFsync: `fs` skips syncs; the stats count none. */
  private readonly noSync: boolean
  private readonly logger: Logger | undefined
  private readonly pipeline: FilePipeline
  private readonly segments: SegmentInfo[]
  private pending: Batch
  private flushing = false
  /** flushLoop is running. */
  private looping = false
  private failure: WalFailedError | undefined
  private closed = false
  /** Segments with a lower sequence are not needed to open at a persisted snapshot. */
  private releasedSeq: number
  private durableHardState: HardState | undefined
  /** Last entry index written (or later snapshot marker): names the next segment. */
  private lastIndex: number
  /** Last index once everything queued is written. */
  private queuedLastIndex: number
  private readonly retiring = new Set<Promise<void>>()
  private purging: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    private readonly lock: WalLock,
    private readonly metadata: Uint8Array,
    private readonly logId: bigint,
    private tail: Tail,
    segments: SegmentInfo[],
    startSeq: number,
    hardState: HardState | undefined,
    lastIndex: number,
    opts: WalOptions,
  ) {
    this.segmentSize = segmentSizeOf(opts)
    this.noSync = opts.unsafeNoFsync ?? false
    this.logger = opts.logger
    this.segments = segments
    this.releasedSeq = startSeq
    this.durableHardState = hardState
    this.lastIndex = this.queuedLastIndex = lastIndex
    this.pending = this.newBatch()
    this.pipeline = new FilePipeline(fs, dir, this.segmentSize)
  }

  /**
   * Bootstraps a WAL holding only `metadata`. The first segment is written in full under a
   * temporary name, fsync'ed and renamed into place: the WAL exists, complete, or not at all
   * (a crash leaves at most a temporary file, removed later). Working inside `dir` rather
   * than renaming a whole temporary directory also works when `dir` is a mount point.
   * Returns the WAL opened for appending.
   */
  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<Wal> {
    const fs = fsOf(opts)
    const size = segmentSizeOf(opts)
    dir = path.resolve(dir)
    await mkdirDurable(fs, dir)
    const lock = await WalLock.acquire(fs, dir)
    try {
      if (await walExists(dir, opts)) throw new WalExistsError(dir)
      await removeLeftovers(fs, dir)
      const tmp = path.join(dir, `create${TMP_SUFFIX}`)
      const file = await fs.open(tmp, 'w+')
      try {
        await writeZeros(file, 0, size)
        await writeFully(
          file,
          encodeBatch(randomBytes(8).readBigUInt64LE(), [encodeSegmentHead(0, 0, metadata, undefined)]),
          0,
        )
        await file.sync()
      } finally {
        await file.close()
      }
      await fs.rename(tmp, path.join(dir, segmentName(0, 0)))
      await fs.syncDir(dir)
    } catch (err) {
      await lock.release()
      throw err
    }
    return (await Wal.openLocked(fs, dir, { index: 0, term: 0 }, opts, lock)).wal
  }

  /**
   * Opens the WAL for appending: locks the directory, reads every record from the snapshot
   * marker on, repairs a torn tail (reported in `repair`) and resumes after the last valid
   * write. Throws WalCorruptError for damage that is not a torn tail. `snap` may be a
   * SnapshotChooser: the markers it chooses from are read under the lock, in the same read.
   */
  static async open(dir: string, snap: WalSnapshot | SnapshotChooser, opts: WalOptions = {}): Promise<OpenedWal> {
    const fs = fsOf(opts)
    dir = path.resolve(dir)
    if ((await listSegments(fs, dir)).length === 0) throw new WalNotFoundError(dir)
    return Wal.openLocked(fs, dir, snap, opts, await WalLock.acquire(fs, dir))
  }

  private static async openLocked(
    fs: FileSystem,
    dir: string,
    snap: WalSnapshot | SnapshotChooser,
    opts: WalOptions,
    lock: WalLock,
  ): Promise<OpenedWal> {
    let file: StoredFile | undefined
    try {
      await removeLeftovers(fs, dir)
      const { tail, at, ...contents } = await readAt(fs, dir, snap)
      if (contents.repair) await repairTail(fs, contents.repair)
      const last = tail.segments[tail.segments.length - 1]!
      file = await fs.open(segmentPath(dir, last), 'r+')
      // What a killed predecessor wrote may still be only in the page cache; we build on it,
      // so make it durable first, along with the directory entries.
      await file.datasync()
      await fs.syncDir(dir)
      const start = tail.segments[Math.max(0, segmentForIndex(tail.segments, at.index))]!
      const hs = contents.hardState
      const wal = new Wal(
        fs,
        dir,
        lock,
        contents.metadata,
        tail.logId,
        { seg: last, file, offset: tail.end, needsHead: !tail.hasHead, fresh: false },
        tail.segments,
        start.seq,
        hs.term === 0 && hs.vote === 0n && hs.commit === 0 ? undefined : hs,
        tail.lastIndex,
        opts,
      )
      return { wal, ...contents }
    } catch (err) {
      await file?.close().catch(() => undefined)
      await lock.release()
      throw err
    }
  }

  /**
   * Makes a hard state (optional) and entries durable, after everything saved before. Calls
   * made while a write is in flight are gathered into the next write (one write, one
   * fdatasync). Resolves in call order.
   */
  save(hardState: HardState | undefined, entries: readonly WalEntry[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new WalError('wal: closed'))
    let buf: Buffer | undefined
    try {
      checkContiguous(entries, this.queuedLastIndex)
      buf = hardState || entries.length > 0 ? encodeSave(hardState, entries) : undefined
    } catch (err) {
      return Promise.reject(err)
    }
    if (entries.length > 0) this.queuedLastIndex = entries[entries.length - 1]!.index
    return this.enqueue(buf, hardState)
  }

  /**
   * Records that a raft snapshot was taken or installed at this index and term. With
   * `hardState`, the marker and the hard state are written in the same write (marker first),
   * so the WAL never holds this marker with a lower commit index: walSnapshots() lists it as
   * soon as this resolves. The hard state's commit must be >= snap.index (RangeError
   * otherwise, nothing written). Without it, the marker counts for walSnapshots() only once a
   * hard state with such a commit index is saved.
   */
  saveSnapshot(snap: WalSnapshot, hardState?: HardState): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new WalError('wal: closed'))
    let buf: Buffer
    try {
      if (hardState && hardState.commit < snap.index) {
        throw new RangeError(
          `wal: snapshot marker at index ${snap.index} saved with a hard state committed only to ${hardState.commit}`,
        )
      }
      buf = encodeSnapshotMarker(snap)
      if (hardState) buf = Buffer.concat([buf, encodeSave(hardState, [])])
    } catch (err) {
      return Promise.reject(err)
    }
    this.queuedLastIndex = Math.max(this.queuedLastIndex, snap.index)
    return this.enqueue(buf, hardState)
  }

  /**
   * Declares that a snapshot at `index` is durably persisted: segments that only hold entries
   * before it (every segment before the last one whose first index is <= index) may be purged.
   */
  releaseTo(index: number): void {
    const i = segmentForIndex(this.segments, index)
    if (i > 0) this.releasedSeq = Math.max(this.releasedSeq, this.segments[i]!.seq)
  }

  /**
   * Removes the oldest released segments while more than `maxWals` remain (0: keep all).
   * Never removes a segment still needed. Returns the removed file names.
   */
  purge(maxWals: number): Promise<string[]> {
    const run = this.purging.then(() => this.purgeNow(maxWals))
    this.purging = run.catch(() => undefined)
    return run
  }

  /** Segment files currently in use, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name)
  }

  /** Waits for queued saves, then closes files and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.enqueue(undefined, undefined, false).catch(() => undefined)
    await this.purging
    await this.pipeline.close()
    await Promise.all(this.retiring)
    await this.tail.file.close().catch(() => undefined)
    await this.lock.release()
  }

  private newBatch(): Batch {
    return { parts: [], waiters: [], lastIndexAfter: this.queuedLastIndex }
  }

  private enqueue(buf: Buffer | undefined, hardState: HardState | undefined, counted = true): Promise<void> {
    const b = this.pending
    if (buf) b.parts.push(buf)
    if (hardState) b.hardState = hardState
    b.lastIndexAfter = this.queuedLastIndex
    if (counted) this.stats.saves++
    return new Promise<void>((resolve, reject) => {
      b.waiters.push({ resolve, reject })
      if (!this.flushing) {
        this.flushing = true
        // Let every save() of the current synchronous run join the first write.
        queueMicrotask(() => this.flush())
      }
    })
  }

  /**
   * Starts writing what has been saved so far now rather than at the end of the current
   * synchronous run (a caller with nothing more to save that has other work to do meanwhile).
   */
  flush(): void {
    if (this.looping || this.pending.waiters.length === 0) return
    this.flushing = this.looping = true
    void this.flushLoop()
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.waiters.length > 0) {
      const batch = this.pending
      this.pending = this.newBatch()
      try {
        if (batch.parts.length > 0) await this.write(batch)
      } catch (err) {
        this.failure = new WalFailedError(err)
        const rest = this.pending
        this.pending = this.newBatch()
        for (const w of [...batch.waiters, ...rest.waiters]) w.reject(this.failure)
        break
      }
      for (const w of batch.waiters) w.resolve()
    }
    this.flushing = this.looping = false
  }

  private async write(batch: Batch): Promise<void> {
    if (this.tail.offset >= this.segmentSize) await this.cut()
    const t = this.tail
    const parts = t.needsHead
      ? [encodeSegmentHead(t.seg.seq, t.seg.firstIndex, this.metadata, this.durableHardState), ...batch.parts]
      : batch.parts
    const buf = encodeBatch(this.logId, parts)
    // Written and made durable in one call where the file can (O_DSYNC), else write + fdatasync.
    const durable = async (): Promise<void> => {
      if (t.file.writeDurable) return t.file.writeDurable(buf, t.offset)
      await writeFully(t.file, buf, t.offset)
      await t.file.datasync()
    }
    const syncStart = performance.now()
    if (t.fresh) {
      await Promise.all([durable(), this.fs.syncDir(this.dir)])
      if (!this.noSync) this.stats.dirSyncs++
    } else {
      await durable()
    }
    this.stats.writes++
    this.stats.bytes += buf.length
    if (!this.noSync) {
      this.stats.fsyncs++
      // With O_DSYNC the write and its sync are one call: this is the time of both.
      const took = (performance.now() - syncStart) / 1000
      this.onSync?.(took)
      if (took > WARN_SYNC_SECONDS)
        this.logger?.warn('slow fdatasync', {
          took: `${Number(took.toFixed(6))}s`,
          'expected-duration': `${WARN_SYNC_SECONDS}s`,
        })
    }
    t.offset += buf.length
    t.needsHead = false
    t.fresh = false
    if (batch.hardState) this.durableHardState = batch.hardState
    this.lastIndex = batch.lastIndexAfter
  }

  /** Switches to the pipeline's prepared file, named for the next sequence and index. */
  private async cut(): Promise<void> {
    const prepared = await this.pipeline.take()
    this.stats.cutWaits = this.pipeline.waits
    const seg: SegmentInfo = {
      seq: this.tail.seg.seq + 1,
      firstIndex: this.lastIndex + 1,
      name: segmentName(this.tail.seg.seq + 1, this.lastIndex + 1),
    }
    try {
      await this.fs.rename(prepared.path, segmentPath(this.dir, seg))
    } catch (err) {
      await prepared.file.close().catch(() => undefined)
      throw err
    }
    const old = this.tail
    this.tail = { seg, file: prepared.file, offset: 0, needsHead: true, fresh: true }
    this.segments.push(seg)
    this.stats.cuts++
    this.retire(old)
  }

  /**
   * Trims the preallocated zeros off a finished segment and closes it, in the background. If
   * that fails or is lost in a crash the zeros stay, which readers take as the end of data.
   */
  private retire(old: Tail): void {
    const p = old.file
      .truncate(old.offset)
      .catch(() => undefined)
      .then(() => old.file.close())
      .catch(() => undefined)
    this.retiring.add(p)
    void p.then(() => this.retiring.delete(p))
  }

  private async purgeNow(maxWals: number): Promise<string[]> {
    const removed: string[] = []
    if (maxWals <= 0) return removed
    while (
      this.segments.length > maxWals &&
      this.segments[0]!.seq < this.releasedSeq &&
      this.segments[0] !== this.tail.seg
    ) {
      const seg = this.segments[0]!
      await this.fs.unlink(segmentPath(this.dir, seg))
      this.segments.shift()
      removed.push(seg.name)
    }
    return removed
  }
}

/**
 * Entries must follow each other and start at most one past the last index saved (lower
 * replaces a tail): a gap would make the log unreadable.
 */
function checkContiguous(entries: readonly WalEntry[], lastIndex: number): void {
  let prev = entries.length > 0 ? entries[0]!.index - 1 : 0
  if (entries.length > 0 && prev > lastIndex)
    throw new RangeError(`wal: entry ${prev + 1} would leave a gap after ${lastIndex}`)
  for (const e of entries) {
    if (e.index !== prev + 1) throw new RangeError(`wal: entry ${e.index} follows entry ${prev} in one save`)
    prev = e.index
  }
}

function segmentSizeOf(opts: WalOptions): number {
  const size = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE
  if (!Number.isSafeInteger(size) || size < 1024)
    throw new RangeError(`wal: segment size must be an integer >= 1024, got ${size}`)
  return size
}

/** Removes what a crash can leave behind: pipeline files, lock temporaries. */
async function removeLeftovers(fs: FileSystem, dir: string): Promise<void> {
  for (const name of await fs.readdir(dir))
    if (isLeftover(name)) await fs.unlink(path.join(dir, name)).catch(() => undefined)
}
