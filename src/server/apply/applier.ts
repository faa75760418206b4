/**
 * The apply stack, as etcd's appliers: each committed request goes down a chain of appliers
 * inside the write batch of its raft entries. The dispatcher at the bottom hands a request to
 * the applier of its kind (KV, compaction); the lessor's applier wraps it; auth and quota can
 * wrap the stack the same way (etcd: auth(quota(backend))).
 */
import type { BackendHash, KvHash } from '../mvcc/hash.js'
import type { EtcdError } from '../../errors/rpctypes.js'
import type { RangeRequest, ResponseHeaderInit, TxnRequest, TxnResponseInit } from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { StoreBatch } from '../mvcc/batch.js'
import type { RangeResult } from '../mvcc/range.js'
import type { BackendWriteBatch } from '../backend/backend.js'

/** The result of applying one request: a response body, or the error it failed with. */
export type Applied =
  { ok: true; res: { header?: ResponseHeaderInit }; done?: Promise<void> } | { ok: false; err: EtcdError }

/** What the core needs from the applied state (the MVCC store and its appliers). */
export interface StateMachine {
  /**
   * Applies requests in order and records `index` as applied, in one backend write;
   * `indices[i]` is the raft index of `reqs[i]`'s entry.
   */
  applyBatch(reqs: InternalRequest[], index: number, indices?: readonly number[]): Applied[]
  /** Records `index` as applied when entries carried no request. */
  markApplied(index: number): void
  /**
   * Records `index` as applied together with the records `write` puts into the batch (another
   * module's bucket, e.g. the member store applying a conf change), in one backend write.
   */
  applyRecords(index: number, write: (wb: BackendWriteBatch) => void): void
  /** A large result may come as encoded records (RangeResult.kvsFields). */
  range(req: RangeRequest): Promise<RangeResult>
  /** A txn whose ops are all ranges, evaluated on the applied state; throws its EtcdError. */
  readOnlyTxn(req: TxnRequest): TxnResponseInit
  readonly revision: number
  readonly appliedIndex: number
  dbSize(): number
  dbSizeInUse(): number
  /** etcd's HashByRev: the key space's hash at `revision` (0: the current one). */
  hashKV(revision: number): Promise<KvHash>
  /** etcd's Hash: the whole backend's hash and the revision it was taken at. */
  hash(): Promise<BackendHash>
}

/** What an applier answers for a request it applied. */
export interface ApplyResult {
  res: { header?: ResponseHeaderInit }
  /** Settles when work the request started in the background is done (physical compaction). */
  done?: Promise<void>
}

/**
 * One layer of the stack. A request that fails throws its EtcdError and leaves nothing in the
 * batch (the appliers abort its transaction).
 */
export interface Applier {
  /** `index`: the raft index of the request's entry (tokens made at apply name it). */
  apply(b: StoreBatch, r: InternalRequest, index?: number): ApplyResult
}

/** Applies the requests of one kind; undefined for a request of another kind. */
export type KindApplier = (b: StoreBatch, r: InternalRequest) => ApplyResult | undefined

/** The bottom of the stack: the first applier that takes the request's kind; an empty response when none does. */
export function dispatcher(appliers: readonly KindApplier[]): Applier {
  return {
    apply(b, r) {
      for (const a of appliers) {
        const result = a(b, r)
        if (result !== undefined) return result
      }
      return { res: {} }
    },
  }
}
