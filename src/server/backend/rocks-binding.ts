/**
 * The part of @nxtedition/rocksdb (which ships no type declarations) that RocksBackend uses.
 *
 * Facts relied on (see node_modules/@nxtedition/rocksdb/{index,chained-batch,iterator}.js):
 * - `_getManySync(keys)` is a synchronous MultiGet on the calling thread; values are copied
 *   into fresh Buffers; missing keys give `undefined`.
 * - `getMany(keys)` runs on the libuv threadpool.
 * - a chained batch's `_put`/`_del` copy key and value into the native WriteBatch at once;
 *   `_writeSync({ sync })` is `DB::Write` on the calling thread (fsync of the RocksDB WAL
 *   when `sync` is true); `_closeSync()` frees the native batch.
 * - iterators take `gte`/`lt` bounds and `nextv(n)` runs on the threadpool; it stops early
 *   once the bytes read exceed the iterator's `highWaterMarkBytes`. The native iterator (and
 *   with it the RocksDB snapshot it reads) is created synchronously by `iterator()`.
 * - `getProperty(name)` is synchronous and returns a string.
 * - `handle` (once open) names the native database; `new RocksLevel(handle)` in another thread
 *   of the process opens an instance on the same database (its `open()` then opens nothing,
 *   and its `close()` would close the database for every thread: never call it there).
 */
import { createRequire } from 'node:module'

export interface RocksChainedBatch {
  _put(key: Buffer, value: Buffer, options: object): void
  _del(key: Buffer, options: object): void
  _writeSync(options: { sync?: boolean }): void
  close(): Promise<void>
  readonly length: number
}

export interface RocksIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>
  /** nextv without pairing, read on the calling thread: keys and values alternate in `rows`. */
  _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean }
  close(): Promise<void>
}

export interface RocksLevelDb {
  readonly status: string
  readonly handle: bigint
  open(options?: {
    createIfMissing?: boolean
    errorIfExists?: boolean
    /** 'level' sizes memtables and levels from memtableMemoryBudget (binding.cc InitOptions). */
    compaction?: 'level' | 'universal'
    memtableMemoryBudget?: number
    /** Block cache bytes; 0 for none. */
    cacheSize?: number
    /** ZSTD for RocksDB's own WAL records (the binding's default: true). */
    walCompression?: boolean
  }): Promise<void>
  close(): Promise<void>
  _getManySync(keys: readonly Buffer[], options?: object): (Buffer | undefined | null)[]
  getMany(keys: readonly Buffer[], options?: object): Promise<(Buffer | undefined)[]>
  batch(): RocksChainedBatch
  iterator(options: {
    gte?: Buffer
    gt?: Buffer
    lt?: Buffer
    keys?: boolean
    values?: boolean
    highWaterMarkBytes?: number
  }): RocksIterator
  getProperty(name: string): string
}

export interface RocksLevelCtor {
  new (locationOrHandle: string | bigint, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }): RocksLevelDb
}

const require = createRequire(import.meta.url)

export const RocksLevel: RocksLevelCtor = (require('@nxtedition/rocksdb') as { RocksLevel: RocksLevelCtor }).RocksLevel
