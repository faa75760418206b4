/**
 * Reading a RocksBackend's database from another thread (a worker) while the backend lends it
 * (RocksBackend.share()): the worker attaches to the handle and iterates; it never closes the
 * database, which stays the backend's.
 */
import { RocksLevel, type RocksLevelDb } from './rocks-binding.js'

const NO_OPTIONS = {}

export class SharedRocksReader {
  private constructor(private readonly db: RocksLevelDb) {}

  static async attach(handle: bigint): Promise<SharedRocksReader> {
    const db = new RocksLevel(handle, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open({ createIfMissing: false })
    return new SharedRocksReader(db)
  }

  /**
   * Entries with gte <= key < lt in ascending key order, in chunks of up to `chunkSize`,
   * flat: key, value, key, value… The next chunk is read (on the threadpool) while the caller
   * handles this one.
   */
  async *iterate(gte: Buffer, lt: Buffer, chunkSize: number): AsyncIterable<Buffer[]> {
    const it = this.db.iterator({ gte, lt })
    type Rows = { rows: Buffer[]; finished: boolean }
    let next: Promise<Rows> | undefined = it._nextvAsync(chunkSize, NO_OPTIONS)
    try {
      for (;;) {
        const { rows, finished }: Rows = await next!
        next = undefined
        if (rows.length === 0) return
        if (!finished) {
          next = it._nextvAsync(chunkSize, NO_OPTIONS)
          // Awaited before the iterator closes; a failure there is reported by that await.
          next.catch(() => undefined)
        }
        yield rows
        if (finished) return
      }
    } finally {
      if (next !== undefined) await next.catch(() => undefined)
      await it.close().catch(() => undefined)
    }
  }
}
