/**
 * The state shared by the store's parts (MvccStore, StoreBatch, StoreTxn, restore): the
 * index, the revision counters, and the records of the open batch that are not written yet.
 */
import type { Backend } from '../backend/backend.js'
import { decodeKeyValue, type KeyValue } from '../../gen/mvccpb.js'
import { TreeIndex } from './tree-index.js'
import { revKey } from './revision.js'
import { SharedReads } from './shared-reads.js'

export class StoreState {
  readonly index = new TreeIndex()
  /**
   * Revision after the last ended transaction, including the open batch. A new store is at
   * revision 1, as etcd's (mvcc/kvstore.go): its first change is revision 2.
   */
  currentRev = 1
  /** Revision after the last committed batch: everything at or below is in the backend. */
  committedRev = 1
  /**
   * Compaction revision in effect: reads below it fail with Compacted. -1 until the first
   * compaction, as etcd's compactMainRev, so that compacting at 0 or 1 on a new store works.
   */
  compactRev = -1
  consistentIndex = 0
  term = 0
  /** Records of the open batch: pending[main - committedRev - 1][sub]. */
  pending: KeyValue[][] = []
  batchOpen = false
  /** Set when a backend write failed: the in-memory state is ahead of the disk. */
  failed: unknown = null
  closed = false

  private readonly reads: SharedReads

  constructor(readonly backend: Backend) {
    this.reads = new SharedReads(backend)
  }

  check(): void {
    if (this.failed !== null) throw new Error(`mvcc: store unusable after a failed write: ${String(this.failed)}`)
    if (this.closed) throw new Error('mvcc: store closed')
  }

  /** Reads the live records (main, sub) synchronously: open batch first, then the backend. */
  readSync(mains: readonly number[], subs: readonly number[]): (KeyValue | undefined)[] {
    const n = mains.length
    const out = new Array<KeyValue | undefined>(n)
    const committed = this.committedRev
    let keys: Buffer[] | null = null
    let at: number[] | null = null
    for (let i = 0; i < n; i++) {
      const m = mains[i]
      if (m > committed) {
        out[i] = this.pending[m - committed - 1]?.[subs[i]]
      } else {
        if (keys === null) {
          keys = []
          at = []
        }
        keys.push(revKey(m, subs[i], false))
        at!.push(i)
      }
    }
    if (keys !== null) {
      const vals = this.backend.getSync(keys)
      for (let j = 0; j < vals.length; j++) {
        const v = vals[j]
        out[at![j]] = v === undefined ? undefined : decodeKeyValue(v)
      }
    }
    return out
  }

  /** Reads committed live records asynchronously (see shared-reads.ts). */
  async read(mains: readonly number[], subs: readonly number[]): Promise<(KeyValue | undefined)[]> {
    const values = await this.readEncoded(mains, subs, 0, mains.length)
    return values.map((v) => (v === undefined ? undefined : decodeKeyValue(v)))
  }

  /** Reads the committed live records [from, to) of (mains, subs), still encoded. */
  readEncoded(
    mains: readonly number[],
    subs: readonly number[],
    from: number,
    to: number,
  ): Promise<(Buffer | undefined)[]> {
    const keys = new Array<Buffer>(to - from)
    for (let i = from; i < to; i++) keys[i - from] = revKey(mains[i], subs[i], false)
    return this.reads.get(keys)
  }
}
