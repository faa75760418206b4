/**
 * Reading a RocksBackend's database from another thread (a worker) while the backend lends it
 * (RocksBackend.share()): the worker attaches to the handle and iterates; it never closes the
 * database, which stays the backend's.
 */
import { RocksLevel, type RocksIterator, type RocksLevelDb } from './rocks-binding.js'

const NO_OPTIONS = {}

export class SharedRocksReader {
  private constructor(private readonly db: RocksLevelDb) {}

  static async attach(handle: bigint): Promise<SharedRocksReader> {
    const db = new RocksLevel(handle, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open({ createIfMissing: false })
    return new SharedRocksReader(db)
  }

  /**
   * A scan of the entries with gte <= key < lt in ascending key order, read on the calling
   * thread (a worker's: nothing else waits for it there). Reading on this thread, a row's key
   * and value are copied once, into the Buffers handed out; the binding's asynchronous read
   * copies each into memory of its own on the thread pool first, then into those Buffers here.
   */
  scan(gte: Buffer, lt: Buffer): SharedScan {
    return new SharedScan(this.db.iterator({ gte, lt }))
  }
}

export class SharedScan {
  constructor(private readonly it: RocksIterator) {}

  /**
   * The next entries (up to `size`), flat: key, value, key, value…; empty once at the end
   * (the iterator remembers that it reached the end, and reads no more).
   */
  next(size: number): Buffer[] {
    return this.it._nextvSync(size, NO_OPTIONS).rows
  }

  /** Closes the iterator; the scan's reads of the database are over when this resolves. */
  close(): Promise<void> {
    return this.it.close()
  }
}
