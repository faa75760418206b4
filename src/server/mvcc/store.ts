/**
 * The MVCC key-value store of one member (etcd's model).
 *
 * - Every write transaction that changes something takes the next main revision; its
 *   changes get sub revisions 0, 1, 2...; each key has create_revision, mod_revision and
 *   version, with generations across delete and re-create (key-index.ts).
 * - Records live in the backend keyed by revision (revision.ts); the in-memory index
 *   (tree-index.ts) maps each key to its revisions and is rebuilt on open (restore.ts).
 * - Writes go through batches (batch.ts, txn.ts) committed as one backend write together
 *   with the consistent index. Reads: `range()` (async; the ranges of one event-loop turn
 *   share one backend multi-get) for the Range RPC; `readTxn()` and the batch's
 *   transactions read synchronously.
 * - Compaction drops history below a revision: reads below it fail at once; the index (in
 *   slices) and the records follow in the background (compactor.ts), resumed after a restart.
 *
 * The store does not own the backend: close() stops background work, the owner closes the
 * backend afterwards.
 */
import type { Backend, WriteOptions } from '../backend/backend.js'
import { decodeKeyValue, type KeyValue } from '../../gen/mvccpb.js'
import { StoreBatch } from './batch.js'
import type { Change } from './change.js'
import { Compactor, type SliceOptions } from './compactor.js'
import {
  finishRange,
  isFromKey,
  kvsFields,
  RangePlanner,
  resolveRangeRevision,
  type RangePlan,
  type RangeQuery,
  type RangeResult,
} from './range.js'
import { restoreState, type RestoreProgress } from './restore.js'
import { StoreState } from './store-state.js'
import { StoreTxn } from './txn.js'

/** Keys planned, and records read, per turn of the event loop by a large range. */
const RANGE_CHUNK = 4096
/** Ranges of at least this many KeyValues may answer with the encoded records (kvsFields). */
const ENCODED_MIN = 256

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export interface RangeOptions {
  /**
   * A large result may come as the stored records (RangeResult.kvsFields) rather than
   * decoded KeyValues: for a caller that only encodes them again.
   */
  encoded?: boolean
}

export interface StoreOptions {
  /** Records deleted per backend write by the background compaction (default 1000). */
  compactionChunkSize?: number
  /** Slices of the index compaction (default: about 1 ms each, the clock read every 256 keys). */
  compactionSlice?: SliceOptions
  /** Told how the index rebuild on open goes: every RESTORE_REPORT records, then once done. */
  onRestoreProgress?: (p: RestoreProgress) => void
}

export class MvccStore {
  private constructor(
    private readonly s: StoreState,
    private readonly compactor: Compactor,
  ) {}

  /** Opens the store on `backend`: restores the index and resumes an unfinished compaction. */
  static async open(backend: Backend, options?: StoreOptions): Promise<MvccStore> {
    const s = new StoreState(backend)
    const compactor = new Compactor(backend, options?.compactionChunkSize ?? 1000, options?.compactionSlice)
    const resume = await restoreState(s, options?.onRestoreProgress)
    if (resume !== null) compactor.schedule(resume)
    return new MvccStore(s, compactor)
  }

  /** Revision after the last write transaction (including an open batch's). */
  get currentRevision(): number {
    return this.s.currentRev
  }

  /** Revision after the last committed batch. */
  get committedRevision(): number {
    return this.s.committedRev
  }

  /** Compaction revision: history below it is gone (reads at it still work); -1 before the first compaction. */
  get compactRevision(): number {
    return this.s.compactRev
  }

  /** Raft index stored with the last committed batch (0 if none). */
  get consistentIndex(): number {
    return this.s.consistentIndex
  }

  get term(): number {
    return this.s.term
  }

  /** Number of keys in the index (live or with history). */
  get indexedKeys(): number {
    return this.s.index.size
  }

  get backend(): Backend {
    return this.s.backend
  }

  beginBatch(): StoreBatch {
    this.s.check()
    if (this.s.batchOpen) throw new Error('mvcc: a batch is already open')
    this.s.batchOpen = true
    return new StoreBatch(this.s, this.compactor)
  }

  /** A synchronous read-only transaction over the committed state. */
  readTxn(): StoreTxn {
    this.s.check()
    return new StoreTxn(this.s, null, this.s.committedRev)
  }

  /**
   * etcd's Range over the committed state, read asynchronously. A large range is planned and
   * read RANGE_CHUNK keys per turn of the event loop, so that other requests go on meanwhile;
   * writes in between do not change what it sees (it reads at the revision it started at),
   * and a compaction past that revision waits for it before removing anything (holdRead).
   */
  async range(q: RangeQuery, options?: RangeOptions): Promise<RangeResult> {
    const s = this.s
    s.check()
    const cur = s.committedRev
    const atRev = resolveRangeRevision(q.revision, cur, s.compactRev)
    const release = this.compactor.holdRead(atRev)
    try {
      return await this.rangeAt(q, options, cur, atRev)
    } finally {
      release()
    }
  }

  private async rangeAt(
    q: RangeQuery,
    options: RangeOptions | undefined,
    cur: number,
    atRev: number,
  ): Promise<RangeResult> {
    const s = this.s
    const plan = await this.planRange(q, atRev)
    const n = plan.mains.length
    const encoded = options?.encoded === true && n >= ENCODED_MIN && !q.keys_only && plan.valueOrder === 0
    const fields: Buffer[] = []
    const kvs: KeyValue[] = []
    for (let from = 0; from < n; from += RANGE_CHUNK) {
      const to = Math.min(n, from + RANGE_CHUNK)
      if (from > 0) this.checkRange()
      const read = await s.readEncoded(plan.mains, plan.subs, from, to)
      for (let i = 0; i < read.length; i++) {
        const v = read[i]
        if (v === undefined) {
          throw new Error(`mvcc: record ${plan.mains[from + i]}.${plan.subs[from + i]} missing from the backend`)
        }
        if (!encoded) kvs.push(decodeKeyValue(v))
      }
      // One buffer per chunk: the records' own buffers die young, before the next chunk.
      if (encoded) fields.push(kvsFields(read as Buffer[]))
    }
    if (encoded) {
      const res: RangeResult = finishRange(plan, kvs, q, cur)
      res.kvsFields = fields
      return res
    }
    return finishRange(plan, kvs, q, cur)
  }

  private async planRange(q: RangeQuery, atRev: number): Promise<RangePlan> {
    const planner = new RangePlanner(q, atRev)
    const index = this.s.index
    let from = q.key.toString('latin1')
    if (q.range_end.length === 0) {
      const ki = index.get(from)
      if (ki !== undefined) planner.visit(ki)
      return planner.finish()
    }
    const to = isFromKey(q.range_end) ? undefined : q.range_end.toString('latin1')
    for (;;) {
      let seen = 0
      let last = ''
      index.scan(from, to, (ki) => {
        planner.visit(ki)
        last = ki.skey
        return ++seen < RANGE_CHUNK
      })
      if (seen < RANGE_CHUNK) break
      // The next chunk starts right after the last key seen.
      from = last + '\0'
      await nextTurn()
      this.checkRange()
    }
    return planner.finish()
  }

  /** Between two chunks of a range read (the store may have been closed meanwhile). */
  private checkRange(): void {
    this.s.check()
  }

  /**
   * Compacts outside the apply path (own batch, no consistent index). Throws like
   * StoreBatch.compact; the promise resolves when the old records are gone.
   */
  compact(rev: number, options?: WriteOptions): Promise<void> {
    const b = this.beginBatch()
    let done: Promise<void>
    try {
      done = b.compact(rev)
    } finally {
      b.commit(undefined, options)
    }
    return done
  }

  /** The KeyValue a change replaced, if it still exists (undefined for a create). */
  prevKv(change: Change): KeyValue | undefined {
    if (change.prev !== undefined) return change.prev
    if (change.prevMain === 0) return undefined
    return this.s.readSync([change.prevMain], [change.prevSub])[0]
  }

  /** Live keys attached to a lease, for the lessor to rebuild its key sets. */
  leasedKeys(): [key: Buffer, lease: bigint][] {
    const out: [Buffer, bigint][] = []
    for (const ki of this.s.index.values()) if (ki.lease !== 0n) out.push([ki.key, ki.lease])
    return out
  }

  /** Resolves when no physical compaction is running or queued. */
  compactionIdle(): Promise<void> {
    return this.compactor.idle()
  }

  /** Stops background work. An unfinished compaction resumes at the next open. */
  async close(): Promise<void> {
    if (this.s.closed) return
    this.s.closed = true
    await this.compactor.stop()
  }
}
