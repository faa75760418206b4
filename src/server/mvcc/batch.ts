/**
 * A store write batch: many write transactions (and compactions) applied in memory, then
 * written with ONE backend write batch that also carries the consistent index, so that
 * replaying the raft log after a crash is idempotent.
 *
 *   const b = store.beginBatch()
 *   const t = b.txn(); t.put(...); const r = t.end()     // r.revision, r.changes
 *   (or t.abort() when the request failed: the transaction leaves no trace)
 *   ...more transactions...
 *   b.commit({ consistentIndex, term }, { sync: true })
 *
 * Only one batch is open at a time and one transaction in it. Transactions see the writes
 * of the earlier transactions of the batch; store.range() and read-only transactions see
 * only committed batches. A batch must be committed: its changes are already in the index.
 * Other modules may add their own records to `writeBatch` (see backend/buckets.ts).
 */
import { Event_EventType, encodeKeyValue } from '../../gen/mvccpb.js'
import type { BackendWriteBatch, WriteOptions } from '../backend/backend.js'
import { Errors } from '../../errors/rpctypes.js'
import type { Change } from './change.js'
import { CompactionJob, type Compactor } from './compactor.js'
import { MetaKey, putMeta } from './meta.js'
import { RevKeyScratch } from './revision.js'
import type { StoreState } from './store-state.js'
import { StoreTxn, type TxnOwner } from './txn.js'

const scratch = new RevKeyScratch()

export interface CommitMeta {
  /** Raft index of the last entry applied in this batch. */
  consistentIndex?: number
  /** Raft term of that entry. */
  term?: number
}

export class StoreBatch implements TxnOwner {
  readonly writeBatch: BackendWriteBatch
  /** Every change of the batch's transactions, in order. */
  readonly changes: Change[] = []
  private txnOpen = false
  private done = false
  private readonly jobs: CompactionJob[] = []

  constructor(
    private readonly s: StoreState,
    private readonly compactor: Compactor,
  ) {
    this.writeBatch = s.backend.batch()
  }

  /** Store revision including the transactions ended in this batch. */
  get revision(): number {
    return this.s.currentRev
  }

  txn(): StoreTxn {
    this.checkIdle()
    this.txnOpen = true
    return new StoreTxn(this.s, this, this.s.currentRev)
  }

  /** Called by StoreTxn.end(): the records of its changes go into the write batch. */
  endTxn(changes: Change[]): void {
    this.txnOpen = false
    if (changes.length === 0) return
    const wb = this.writeBatch
    for (let sub = 0; sub < changes.length; sub++) {
      const c = changes[sub]
      wb.put(scratch.key(c.kv.mod_revision, sub, c.type === Event_EventType.DELETE), encodeKeyValue(c.kv))
    }
    this.s.currentRev++
    for (const c of changes) this.changes.push(c)
  }

  /** Called by StoreTxn.abort(): the transaction left nothing. */
  abortTxn(): void {
    this.txnOpen = false
  }

  /**
   * Compacts at `rev`: throws Errors.Compacted if rev <= the compaction revision,
   * Errors.FutureRev if rev > the current revision. Reads below rev fail from now on; the
   * scheduled revision is written with the batch; after commit the index is compacted and
   * old records are removed in the background (compactor.ts). The promise resolves when they
   * are gone (etcd's `physical: true`).
   */
  compact(rev: number): Promise<void> {
    this.checkIdle()
    if (rev <= this.s.compactRev) throw Errors.Compacted
    if (rev > this.s.currentRev) throw Errors.FutureRev
    this.s.compactRev = rev
    const job = new CompactionJob(rev, [], this.s.index)
    putMeta(this.writeBatch, MetaKey.scheduledCompact, rev)
    this.jobs.push(job)
    return job.done
  }

  /** Writes everything (synchronously; fsynced with `sync: true`). */
  commit(meta?: CommitMeta, options?: WriteOptions): void {
    this.checkIdle()
    this.done = true
    const s = this.s
    const wb = this.writeBatch
    if (s.currentRev !== s.committedRev) putMeta(wb, MetaKey.currentRevision, s.currentRev)
    if (meta?.consistentIndex !== undefined) putMeta(wb, MetaKey.consistentIndex, meta.consistentIndex)
    if (meta?.term !== undefined) putMeta(wb, MetaKey.term, meta.term)
    try {
      if (wb.length > 0) wb.write(options)
      else wb.discard()
    } catch (e) {
      s.failed = e
      throw e
    }
    s.committedRev = s.currentRev
    s.pending = []
    s.batchOpen = false
    if (meta?.consistentIndex !== undefined) s.consistentIndex = meta.consistentIndex
    if (meta?.term !== undefined) s.term = meta.term
    for (const job of this.jobs) this.compactor.schedule(job)
  }

  private checkIdle(): void {
    if (this.done) throw new Error('mvcc: batch already committed')
    if (this.txnOpen) throw new Error('mvcc: a transaction of this batch is still open')
    this.s.check()
  }
}
