/**
 * The storage backend: an ordered byte-key → byte-value store with atomic write batches.
 *
 * Two implementations share this contract and one conformance suite
 * (test/unit/backend/conformance.ts): `MemoryBackend` for tests and tools, `RocksBackend`
 * for the server (`<data-dir>/member/db/`).
 *
 * Contract:
 * - Keys are compared bytewise (unsigned), shorter prefix first.
 * - `getSync` / `get` return one entry per requested key, `undefined` when absent.
 * - A write batch copies keys and values when `put`/`del` are called: the caller may reuse or
 *   mutate its buffers afterwards. `write()` applies all operations atomically and
 *   synchronously, in call order (a later op on the same key wins); with `sync: true` the
 *   data is durable (fsynced) when it returns. A batch is written at most once.
 * - `iterate(gte, lt)` yields chunks of entries in ascending key order. Whether writes made
 *   while an iteration is running are seen by it is unspecified, except for RocksBackend:
 *   there one iteration reads one point-in-time view of the whole database, the one current
 *   when its first chunk is asked for (the iterator is created synchronously by that first
 *   `next()` and a RocksDB iterator reads the snapshot it was created at).
 * - Values returned are owned by the caller.
 */

export type Entry = [key: Buffer, value: Buffer]

export interface WriteOptions {
  /** Make the write durable before returning (fsync). */
  sync?: boolean
}

export interface BackendWriteBatch {
  put(key: Buffer, value: Buffer): void
  del(key: Buffer): void
  /** Number of operations added so far. */
  readonly length: number
  /** Applies the batch atomically; synchronous. Throws on failure. */
  write(options?: WriteOptions): void
  /** Drops the batch without writing it. */
  discard(): void
}

export interface IterateOptions {
  /** Entries per yielded chunk (default 1000). */
  chunkSize?: number
  /** A chunk ends once its keys and values exceed this many bytes (default: no limit). */
  maxChunkBytes?: number
  /**
   * Every chunk comes from one view of the store, taken when the iteration starts (RocksDB's
   * iterator snapshot); if the database is swapped meanwhile (defragmentation) the iteration
   * fails instead of going on in the new one.
   */
  pointInTime?: boolean
}

/** A backend lent to another thread of the process (see Backend.share). */
export interface SharedDatabase {
  /** What the other thread opens (SharedRocksReader.attach). */
  handle: bigint
  /** The other thread is done with it (idempotent). */
  release(): void
}

export interface Backend {
  /** Synchronous multi-get (runs on the calling thread). */
  getSync(keys: readonly Buffer[]): (Buffer | undefined)[]
  /** Asynchronous multi-get. */
  get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>
  /** Entries with gte <= key < lt in ascending key order, in chunks. */
  iterate(gte: Buffer, lt: Buffer, options?: IterateOptions): AsyncIterable<Entry[]>
  batch(): BackendWriteBatch
  /**
   * Lends the database to another thread of the process for reading until release(); absent
   * when the backend cannot be shared (MemoryBackend). Meanwhile it is neither closed (close()
   * waits for the release) nor swapped (defragmentation refuses to start).
   */
  share?(): SharedDatabase
  /** Approximate bytes used on disk (in memory for MemoryBackend). */
  size(): number
  close(): Promise<void>
}
