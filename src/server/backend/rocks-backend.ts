/**
 * RocksDB backend (@nxtedition/rocksdb). Lives at `<data-dir>/member/db/`.
 *
 * Writes are synchronous on the event loop: `write({ sync: true })` returns after RocksDB's
 * WAL is fsynced, which is what makes "applied index stored with the applied data" durable.
 * Point reads in the write path use the synchronous MultiGet; range reads and scans run on
 * the threadpool.
 */
import path from 'node:path'
import type { Backend, BackendWriteBatch, Entry, IterateOptions, WriteOptions } from './backend.js'
import { RocksLevel, type RocksChainedBatch, type RocksLevelDb } from './rocks-binding.js'

const NO_OPTIONS = {}
const SYNC = { sync: true }
const NO_SYNC = { sync: false }

class RocksWriteBatch implements BackendWriteBatch {
  private done = false

  constructor(private readonly native: RocksChainedBatch) {}

  get length(): number {
    return this.native.length
  }

  put(key: Buffer, value: Buffer): void {
    this.check()
    this.native._put(key, value, NO_OPTIONS)
  }

  del(key: Buffer): void {
    this.check()
    this.native._del(key, NO_OPTIONS)
  }

  write(options?: WriteOptions): void {
    this.check()
    this.done = true
    try {
      this.native._writeSync(options?.sync === true ? SYNC : NO_SYNC)
    } finally {
      this.release()
    }
  }

  discard(): void {
    if (this.done) return
    this.done = true
    this.release()
  }

  private release(): void {
    this.native.close().catch(() => {})
  }

  private check(): void {
    if (this.done) throw new Error('backend: write batch already written or discarded')
  }
}

export class RocksBackend implements Backend {
  private constructor(
    private readonly db: RocksLevelDb,
    readonly location: string,
  ) {}

  /** Where the database of a member lives inside its data dir. */
  static dbDir(dataDir: string): string {
    return path.join(dataDir, 'member', 'db')
  }

  /** Opens (creating if missing) the database in directory `location`. */
  static async open(location: string): Promise<RocksBackend> {
    const db = new RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open({ createIfMissing: true })
    return new RocksBackend(db, location)
  }

  getSync(keys: readonly Buffer[]): (Buffer | undefined)[] {
    const rows = this.db._getManySync(keys)
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === null) throw new Error('backend: read aborted')
    }
    return rows as (Buffer | undefined)[]
  }

  get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return this.db.getMany(keys)
  }

  async *iterate(gte: Buffer, lt: Buffer, options?: IterateOptions): AsyncIterable<Entry[]> {
    const chunkSize = options?.chunkSize ?? 1000
    const it = this.db.iterator(
      options?.maxChunkBytes === undefined ? { gte, lt } : { gte, lt, highWaterMarkBytes: options.maxChunkBytes },
    )
    try {
      for (;;) {
        const chunk = await it.nextv(chunkSize)
        if (chunk.length === 0) return
        yield chunk
      }
    } finally {
      await it.close()
    }
  }

  batch(): BackendWriteBatch {
    return new RocksWriteBatch(this.db.batch())
  }

  size(): number {
    const sst = Number(this.db.getProperty('rocksdb.total-sst-files-size')) || 0
    const mem = Number(this.db.getProperty('rocksdb.cur-size-all-mem-tables')) || 0
    return sst + mem
  }

  close(): Promise<void> {
    return this.db.close()
  }
}
