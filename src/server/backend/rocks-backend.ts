/**
 * RocksDB backend (@nxtedition/rocksdb). Lives at `<data-dir>/member/db/`.
 *
 * Writes are synchronous on the event loop: `write({ sync: true })` returns after RocksDB's
 * WAL is fsynced, which is what makes "applied index stored with the applied data" durable.
 * A write without `sync` (an apply batch: its entries are already in the raft WAL) is handed
 * to RocksDB at the end of the event loop's turn (setImmediate), after the responses of the
 * turn have been written to their sockets, or before anything else touches the backend,
 * whichever comes first: every read, batch, share, defragmentation and close first writes it,
 * so no caller can tell it was deferred. A deferred write that fails ends the process (as
 * etcd panics when a backend commit fails): its batch is applied in memory and must not be
 * lost silently; the raft WAL replays it at the next start.
 * Point reads in the write path use the synchronous MultiGet; range reads and scans run on
 * the threadpool.
 *
 * Defragmentation (see defrag.ts) replaces the database under this object: the live data is
 * copied into a fresh database beside it while writes go on (they are recorded and replayed
 * into the copy), then, inside the caller's hold, the copy is swapped in. While the swap runs
 * `get` and `iterate` wait for it, a write is queued and written to the new database, and
 * `getSync` throws: its callers (the apply path) are held by the caller.
 */
import path from 'node:path'
import type { Backend, BackendWriteBatch, Entry, IterateOptions, SharedDatabase, WriteOptions } from './backend.js'
import { RocksLevel, type RocksChainedBatch, type RocksLevelDb } from './rocks-binding.js'
import { defragDirs, fsyncDir, recoverDefrag, removeDir } from './defrag.js'
import { rename } from 'node:fs/promises'

const NO_OPTIONS = {}
const SYNC = { sync: true }
const NO_SYNC = { sync: false }
const COPY_CHUNK = 1000
/** How long a size read from the database stays good while nothing is written. */
const SIZE_TTL_MS = 100

type Op = [key: Buffer, value: Buffer | undefined]

/** Writes made while a defragmentation copies the database, replayed into the copy. */
interface Capture {
  ops: Op[]
  /** A batch created before the capture started was written during it: the copy is incomplete. */
  missed: boolean
}

class RocksWriteBatch implements BackendWriteBatch {
  private done = false
  private count = 0
  /** Keys and values put or deleted, in bytes (what the batch adds to the size, about). */
  private bytes = 0

  constructor(
    private readonly owner: RocksBackend,
    private readonly native: RocksChainedBatch | undefined,
    /** The operations, kept while a defragmentation runs. */
    private readonly ops: Op[] | undefined,
  ) {}

  get length(): number {
    return this.count
  }

  put(key: Buffer, value: Buffer): void {
    this.check()
    this.native?._put(key, value, NO_OPTIONS)
    this.ops?.push([Buffer.from(key), Buffer.from(value)])
    this.count++
    this.bytes += key.length + value.length
  }

  del(key: Buffer): void {
    this.check()
    this.native?._del(key, NO_OPTIONS)
    this.ops?.push([Buffer.from(key), undefined])
    this.count++
    this.bytes += key.length
  }

  write(options?: WriteOptions): void {
    this.check()
    this.done = true
    // The backend writes and closes the native batch (now, or at the end of the turn).
    this.owner.written(this.native, this.ops, options?.sync === true, this.bytes)
  }

  discard(): void {
    if (this.done) return
    this.done = true
    this.release()
  }

  private release(): void {
    if (this.native !== undefined) closeBatch(this.native)
  }

  private check(): void {
    if (this.done) throw new Error('backend: write batch already written or discarded')
  }
}

export class RocksBackend implements Backend {
  private capture?: Capture
  /** Set while the database is being swapped; writes made meanwhile wait in `queued`. */
  private swapping?: Promise<void>
  private queued: Op[] = []
  private generation = 0
  private lastSize = 0
  /**
   * When lastSize was read (Date.now()); -1: read it at the next ask. Asked once per proposal
   * (the quota), the size is read from the database at most once per SIZE_TTL_MS; meanwhile
   * the bytes of the batches written since are added to it (`writtenSince`).
   */
  private sizeReadAt = -1
  private writtenSince = 0
  /** How many share()s are not released yet, and who waits for the last release. */
  private lent = 0
  private returned: (() => void)[] = []
  /** A batch written without sync and not yet handed to RocksDB (see the file's comment). */
  private deferred: { native: RocksChainedBatch; ops: Op[] | undefined; bytes: number } | undefined
  private deferredScheduled = false
  /** A deferred write failed: the backend refuses everything after it. */
  private failure: Error | undefined

  private constructor(
    private db: RocksLevelDb,
    readonly location: string,
  ) {}

  /** Where the database of a member lives inside its data dir. */
  static dbDir(dataDir: string): string {
    return path.join(dataDir, 'member', 'db')
  }

  /**
   * Opens (creating if missing) the database in directory `location`, first finishing or
   * undoing a defragmentation a crash interrupted.
   */
  static async open(location: string): Promise<RocksBackend> {
    await recoverDefrag(location)
    return new RocksBackend(await openLevel(location), location)
  }

  getSync(keys: readonly Buffer[]): (Buffer | undefined)[] {
    if (this.swapping) throw new Error('backend: read while the database is being swapped')
    this.writeDeferred()
    const rows = this.db._getManySync(keys)
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === null) throw new Error('backend: read aborted')
    }
    return rows as (Buffer | undefined)[]
  }

  async get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    while (this.swapping) await this.swapping
    this.writeDeferred()
    return this.db.getMany(keys)
  }

  async *iterate(gte: Buffer, lt: Buffer, options?: IterateOptions): AsyncIterable<Entry[]> {
    const chunkSize = options?.chunkSize ?? 1000
    while (this.swapping) await this.swapping
    let generation = this.generation
    this.writeDeferred()
    const bounds = (from: { gte: Buffer } | { gt: Buffer }) =>
      options?.maxChunkBytes === undefined
        ? { ...from, lt }
        : { ...from, lt, highWaterMarkBytes: options.maxChunkBytes }
    let it = this.db.iterator(bounds({ gte }))
    let last: Buffer | undefined
    try {
      for (;;) {
        let chunk: Entry[]
        try {
          chunk = await it.nextv(chunkSize)
        } catch (err) {
          // The database was swapped under the iterator: go on in the new one after the last key.
          while (this.swapping) await this.swapping
          if (generation === this.generation) throw err
          if (options?.pointInTime)
            throw new Error('backend: the database was defragmented during a point-in-time read', { cause: err })
          await it.close().catch(() => undefined)
          generation = this.generation
          this.writeDeferred()
          it = this.db.iterator(bounds(last === undefined ? { gte } : { gt: last }))
          continue
        }
        if (chunk.length === 0) return
        last = chunk[chunk.length - 1][0]
        yield chunk
      }
    } finally {
      await it.close().catch(() => undefined)
    }
  }

  share(): SharedDatabase {
    if (this.capture || this.swapping) throw new Error('backend: the database is being defragmented')
    this.writeDeferred()
    this.lent++
    let released = false
    return {
      handle: this.db.handle,
      release: () => {
        if (released) return
        released = true
        if (--this.lent === 0) for (const wake of this.returned.splice(0)) wake()
      },
    }
  }

  batch(): BackendWriteBatch {
    this.writeDeferred()
    if (this.swapping) return new RocksWriteBatch(this, undefined, [])
    return new RocksWriteBatch(this, this.db.batch(), this.capture ? [] : undefined)
  }

  /**
   * A batch's write: to the database (a write without sync at the end of the turn, see the
   * file's comment), and recorded or queued while a defragmentation runs. Closes the batch.
   */
  written(native: RocksChainedBatch | undefined, ops: Op[] | undefined, sync: boolean, bytes: number): void {
    this.writeDeferred()
    this.writtenSince += bytes
    if (native === undefined || this.swapping) {
      if (native !== undefined) closeBatch(native)
      if (ops === undefined) throw new Error('backend: write to a database that was swapped out')
      this.queued.push(...ops)
      return
    }
    if (sync) {
      this.writeNow(native, ops, true)
      return
    }
    this.deferred = { native, ops, bytes }
    if (!this.deferredScheduled) {
      this.deferredScheduled = true
      setImmediate(this.writeDeferredLater)
    }
  }

  private writeNow(native: RocksChainedBatch, ops: Op[] | undefined, sync: boolean): void {
    try {
      native._writeSync(sync ? SYNC : NO_SYNC)
    } finally {
      closeBatch(native)
    }
    if (this.capture) {
      if (ops === undefined) this.capture.missed = true
      else this.capture.ops.push(...ops)
    }
  }

  /** Hands the deferred batch, if any, to RocksDB; throws if that (or an earlier one) failed. */
  private writeDeferred(): void {
    if (this.failure !== undefined) throw this.failure
    const d = this.deferred
    if (d === undefined) return
    this.deferred = undefined
    try {
      this.writeNow(d.native, d.ops, false)
    } catch (err) {
      this.failure = new Error(`backend: a write failed: ${(err as Error)?.message ?? err}`, { cause: err })
      throw this.failure
    }
  }

  private readonly writeDeferredLater = (): void => {
    this.deferredScheduled = false
    // Thrown here, the failure ends the process (nothing may go on over a lost write).
    this.writeDeferred()
  }

  size(): number {
    if (this.swapping) return this.lastSize + this.writtenSince
    if (this.sizeReadAt >= 0) {
      const now = Date.now()
      if (now - this.sizeReadAt < SIZE_TTL_MS && now >= this.sizeReadAt) return this.lastSize + this.writtenSince
    }
    // A deferred batch is counted in writtenSince until RocksDB has it.
    const sst = Number(this.db.getProperty('rocksdb.total-sst-files-size')) || 0
    const mem = Number(this.db.getProperty('rocksdb.cur-size-all-mem-tables')) || 0
    this.lastSize = sst + mem
    this.writtenSince = this.deferred?.bytes ?? 0
    this.sizeReadAt = Date.now()
    return this.lastSize + this.writtenSince
  }

  /**
   * Rewrites the database compactly (bbolt's defrag): copies the live data into a fresh
   * database beside this one, then calls `hold` with the swap, which the caller runs while
   * nothing is applied: the writes made during the copy are replayed into it, it is made
   * durable, renamed into place (a crash at any point leaves the old or the new database,
   * see defrag.ts) and reopened. One defragmentation at a time.
   */
  async defrag(hold: (swap: () => Promise<void>) => Promise<void> = (swap) => swap()): Promise<void> {
    if (this.capture || this.swapping) throw new Error('backend: a defragmentation is already running')
    if (this.lent > 0) throw new Error('backend: the database is being read by another thread')
    const dirs = defragDirs(this.location)
    await removeDir(dirs.tmp)
    const copy = await openLevel(dirs.tmp)
    let copyOpen = true
    const capture: Capture = { ops: [], missed: false }
    this.writeDeferred()
    this.capture = capture
    try {
      const it = this.db.iterator({})
      try {
        for (;;) {
          const chunk = await it.nextv(COPY_CHUNK)
          if (chunk.length === 0) break
          const b = copy.batch()
          for (const [k, v] of chunk) b._put(k, v, NO_OPTIONS)
          b._writeSync(NO_SYNC)
          await b.close()
        }
      } finally {
        await it.close()
      }
      await hold(async () => {
        this.writeDeferred()
        this.capture = undefined
        if (capture.missed) throw new Error('backend: a write raced the defragmentation; nothing was changed')
        writeOps(copy, capture.ops, true)
        copyOpen = false
        await copy.close()
        await fsyncDir(dirs.tmp)
        await this.swap(dirs)
      })
      await removeDir(dirs.old)
    } finally {
      this.capture = undefined
      if (copyOpen) await copy.close().catch(() => undefined)
      await removeDir(dirs.tmp)
    }
  }

  private async swap(dirs: { tmp: string; old: string }): Promise<void> {
    let done!: () => void
    this.swapping = new Promise<void>((resolve) => (done = resolve))
    try {
      await this.db.close()
      try {
        await rename(this.location, dirs.old)
        await fsyncDir(path.dirname(this.location))
        await rename(dirs.tmp, this.location)
        await fsyncDir(path.dirname(this.location))
      } finally {
        // Whichever database is in place now (the new one, or the old one after a failure).
        await recoverDefrag(this.location)
        this.db = await openLevel(this.location)
        this.generation++
      }
      if (this.queued.length > 0) writeOps(this.db, this.queued, false)
    } finally {
      this.queued = []
      this.swapping = undefined
      this.sizeReadAt = -1
      done()
    }
  }

  async close(): Promise<void> {
    while (this.swapping) await this.swapping
    while (this.lent > 0) await new Promise<void>((resolve) => this.returned.push(resolve))
    this.writeDeferred()
    return this.db.close()
  }
}

/**
 * RocksDB's tuning, chosen for memory (README, "Memory"; docs/performance.md, "Memory"). None of it changes
 * what is stored or when it is durable: the format stays level-style SST files, writes stay
 * synchronous with the RocksDB WAL fsynced.
 */
export const ROCKS_OPTIONS = {
  createIfMissing: true,
  /**
   * Memtables. Left to RocksDB's defaults a memtable grows to 64 MiB before it is flushed,
   * and two may be held: up to 128 MiB of resident memory under a steady write load (after
   * 30000 puts of 256 bytes, 12 MiB). The binding's level-style preset sizes them from one
   * budget: 4 MiB write buffers (budget / 4), flushed two at a time (so usually 4 to 12 MiB
   * held, 24 MiB at most when flushes fall behind), L0 compacted into L1 at two files, L1
   * sized to the budget, files of 2 MiB, L0 and L1 stored uncompressed and L2 onwards with
   * ZSTD. Flushing and compacting run on RocksDB's background threads; small buffers flush
   * more often, which did not change the CPU time per put measurably (bench/memory.sh).
   */
  compaction: 'level' as const,
  memtableMemoryBudget: 16 * 1024 * 1024,
  /**
   * Block cache: 8 MiB (the binding's default, made explicit), decompressed data blocks of
   * the SST files; the kernel's page cache still holds the files themselves. Index and filter
   * blocks of open files are kept outside it (RocksDB keeps every file open: the binding has
   * no max_open_files), about 1% of the data size.
   */
  cacheSize: 8 * 1024 * 1024,
  /**
   * RocksDB's own WAL uncompressed. The binding compresses it with ZSTD by default, and a batch
   * is written on the event loop, so every apply batch compressed its record there (ZSTD's
   * per-record set-up: 1.8% of the event loop's time in a watch run). RocksDB reads either kind
   * of record, so a data dir whose WAL was written compressed opens as before.
   */
  walCompression: false,
}

async function openLevel(location: string): Promise<RocksLevelDb> {
  const db = new RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open(ROCKS_OPTIONS)
  return db
}

function closeBatch(native: RocksChainedBatch): void {
  native.close().catch(() => {})
}

function writeOps(db: RocksLevelDb, ops: readonly Op[], sync: boolean): void {
  const b = db.batch()
  for (const [k, v] of ops) {
    if (v === undefined) b._del(k, NO_OPTIONS)
    else b._put(k, v, NO_OPTIONS)
  }
  b._writeSync(sync ? SYNC : NO_SYNC)
  b.close().catch(() => {})
}
