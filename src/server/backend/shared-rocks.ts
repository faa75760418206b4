/**
 * Reading a RocksBackend's database from another thread (a worker) while the backend lends it
 * (RocksBackend.share()): the worker attaches to the handle and iterates; it never closes the
 * database, which stays the backend's.
 */
import type { Entry } from './backend.js'
import { RocksLevel, type RocksLevelDb } from './rocks-binding.js'

export class SharedRocksReader {
  private constructor(private readonly db: RocksLevelDb) {}

  static async attach(handle: bigint): Promise<SharedRocksReader> {
    const db = new RocksLevel(handle, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open({ createIfMissing: false })
    return new SharedRocksReader(db)
  }

  /**
   * Entries with gte <= key < lt in ascending key order, in chunks of `chunkSize`. The next
   * chunk is read (on the threadpool) while the caller handles this one.
   */
  async *iterate(gte: Buffer, lt: Buffer, chunkSize: number): AsyncIterable<Entry[]> {
    const it = this.db.iterator({ gte, lt })
    let next: Promise<Entry[]> | undefined = it.nextv(chunkSize)
    try {
      for (;;) {
        const chunk: Entry[] = await next
        next = undefined
        if (chunk.length === 0) return
        next = it.nextv(chunkSize)
        // Awaited before the iterator closes; a failure there is reported by that await.
        next.catch(() => undefined)
        yield chunk
      }
    } finally {
      if (next !== undefined) await next.catch(() => undefined)
      await it.close().catch(() => undefined)
    }
  }
}
