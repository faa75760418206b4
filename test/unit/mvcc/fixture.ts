/** Store fixtures and shorthands for store tests: stores on either backend, one-line writes. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Backend } from '../../../src/server/backend/backend.js'
import { Bucket, bucketBounds } from '../../../src/server/backend/buckets.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { RocksBackend } from '../../../src/server/backend/rocks-backend.js'
import type { KeyValue } from '../../../src/gen/mvccpb.js'
import type { TxnResult } from '../../../src/server/mvcc/change.js'
import { rangeQuery, type RangeQuery } from '../../../src/server/mvcc/range.js'
import { isTombstoneKey, revKeyMain, revKeySub } from '../../../src/server/mvcc/revision.js'
import { MvccStore, type StoreOptions } from '../../../src/server/mvcc/store.js'

/** Bytes of a string, one byte per char (\u00ff is the byte 0xff). */
export const k = (s: string): Buffer => Buffer.from(s, 'latin1')
export const EMPTY = Buffer.alloc(0)
export const FROM_KEY = Buffer.from([0])

/** A store on a backend that can be closed and reopened (a restart). */
export class StoreFixture {
  store!: MvccStore
  backend!: Backend
  private dir = ''

  private constructor(
    readonly kind: 'memory' | 'rocks',
    private readonly options?: StoreOptions,
  ) {}

  static async open(kind: 'memory' | 'rocks', options?: StoreOptions): Promise<StoreFixture> {
    const f = new StoreFixture(kind, options)
    if (kind === 'memory') {
      f.backend = new MemoryBackend()
    } else {
      f.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsetcd-mvcc-'))
      f.backend = await RocksBackend.open(RocksBackend.dbDir(f.dir))
    }
    f.store = await MvccStore.open(f.backend, options)
    return f
  }

  /** Closes store and backend and opens both again on the same data. */
  async restart(options?: StoreOptions): Promise<MvccStore> {
    await this.store.close()
    await this.backend.close()
    this.backend =
      this.kind === 'memory'
        ? (this.backend as MemoryBackend).reopen()
        : await RocksBackend.open(RocksBackend.dbDir(this.dir))
    this.store = await MvccStore.open(this.backend, options ?? this.options)
    return this.store
  }

  async close(): Promise<void> {
    await this.store.close()
    await this.backend.close()
    if (this.dir !== '') await fs.rm(this.dir, { recursive: true, force: true })
  }
}

/** Every record in the key bucket as "main.sub" (+"t" for tombstones), in order. */
export async function recordRevisions(backend: Backend): Promise<string[]> {
  const out: string[] = []
  const [gte, lt] = bucketBounds(Bucket.Key)
  for await (const chunk of backend.iterate(gte, lt)) {
    for (const [key] of chunk) out.push(`${revKeyMain(key)}.${revKeySub(key)}${isTombstoneKey(key) ? 't' : ''}`)
  }
  return out
}

export function put(store: MvccStore, key: string, value: string, lease = 0n): TxnResult {
  const b = store.beginBatch()
  const t = b.txn()
  t.put(k(key), k(value), lease)
  const r = t.end()
  b.commit()
  return r
}

export function del(store: MvccStore, key: string, end?: Buffer): TxnResult {
  const b = store.beginBatch()
  const t = b.txn()
  t.deleteRange(k(key), end ?? EMPTY, false)
  const r = t.end()
  b.commit()
  return r
}

export function query(key: string | Buffer, end: string | Buffer = EMPTY, over: Partial<RangeQuery> = {}): RangeQuery {
  return { ...rangeQuery(typeof key === 'string' ? k(key) : key, typeof end === 'string' ? k(end) : end), ...over }
}

/** The KeyValue of key at rev (0 = current), read through the async range path. */
export async function getAt(store: MvccStore, key: string, rev = 0): Promise<KeyValue | undefined> {
  return (await store.range(query(key, EMPTY, { revision: rev }))).kvs[0]
}

/** A KeyValue as a compact comparable tuple. */
export function kvt(
  kv: KeyValue | undefined,
): [key: string, value: string, create: number, mod: number, version: number, lease: bigint] | undefined {
  return kv === undefined
    ? undefined
    : [kv.key.toString(), kv.value.toString(), kv.create_revision, kv.mod_revision, kv.version, kv.lease]
}
