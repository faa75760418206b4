/**
 * A store transaction: the unit that gets one main revision.
 *
 * Every change inside a write transaction gets main = (revision at begin) + 1 and the next
 * sub revision; a transaction that changes nothing leaves the revision alone. Reads see the
 * transaction's own earlier writes, like etcd's storeTxnWrite: they run at
 * `revision` = begin + 1 once something changed, else at begin.
 *
 * Reads are synchronous: records of the open batch come from memory, the rest from the
 * backend's synchronous multi-get. A read-only transaction (MvccStore.readTxn) reads the
 * committed state and cannot write.
 *
 * A write transaction either ends (end(): the owner takes its changes, writes their records
 * and takes the revision) or is aborted (abort(): its changes to the index and the open
 * batch's records are taken back, as if it never ran). The records reach the owner's write
 * batch only at end(), so an aborted transaction leaves nothing there either.
 */
import { Event_EventType, type KeyValue } from '../../gen/mvccpb.js'
import type { RangeResponse } from '../../gen/etcdserverpb.js'
import { EMPTY } from '../../proto/wire.js'
import type { Change, TxnResult } from './change.js'
import { RevLookup, type KeyIndex } from './key-index.js'
import { finishRange, planRange, rangeQuery, resolveRangeRevision, visitRange, type RangeQuery } from './range.js'
import type { StoreState } from './store-state.js'

/** What StoreTxn needs from the batch that owns it. */
export interface TxnOwner {
  /** The transaction ended: write the records of its changes and take their revision. */
  endTxn(changes: Change[]): void
  /** The transaction was aborted and left nothing behind. */
  abortTxn(): void
}

export interface DeleteResult {
  deleted: number
  /** The deleted KeyValues, when asked for. */
  prevKvs?: KeyValue[]
}

const look = new RevLookup()

export class StoreTxn {
  private readonly changes: Change[] = []
  private ended = false
  private pendingRow: KeyValue[] | null = null

  constructor(
    private readonly s: StoreState,
    private readonly owner: TxnOwner | null,
    /** Store revision when the transaction began. */
    readonly beginRevision: number,
  ) {}

  /** The revision reads run at: begin + 1 once the transaction changed something. */
  get revision(): number {
    return this.changes.length > 0 ? this.beginRevision + 1 : this.beginRevision
  }

  get readOnly(): boolean {
    return this.owner === null
  }

  /** The compaction revision in effect (reads below it fail); -1 before the first compaction. */
  get compactRevision(): number {
    return this.s.compactRev
  }

  /** etcd's Range; throws Errors.FutureRev / Errors.Compacted. */
  range(q: RangeQuery): RangeResponse {
    this.checkOpen()
    const cur = this.revision
    const atRev = resolveRangeRevision(q.revision, cur, this.s.compactRev)
    const plan = planRange(this.s.index, q, atRev)
    const read = plan.mains.length === 0 ? [] : this.readAll(plan.mains, plan.subs)
    return finishRange(plan, read, q, cur)
  }

  /** Every live KeyValue in (key, rangeEnd) (see RangeQuery for the forms), in key order. */
  rangeKvs(key: Buffer, rangeEnd: Buffer = EMPTY): KeyValue[] {
    return this.range(rangeQuery(key, rangeEnd)).kvs
  }

  /**
   * Calls fn with (create_revision, mod_revision, version) of each live key in
   * (key, rangeEnd), in key order, until fn returns false; reads only the index.
   * Returns how many keys were visited.
   */
  forEachRevision(
    key: Buffer,
    rangeEnd: Buffer,
    fn: (created: number, modified: number, version: number) => boolean | void,
  ): number {
    this.checkOpen()
    const atRev = this.revision
    let n = 0
    visitRange(this.s.index, key, rangeEnd, (ki) => {
      if (!ki.get(atRev, look)) return
      n++
      return fn(look.created, look.main, look.version)
    })
    return n
  }

  /** The key's current KeyValue as this transaction sees it. */
  get(key: Buffer): KeyValue | undefined {
    this.checkOpen()
    const ki = this.s.index.get(key.toString('latin1'))
    if (ki === undefined || !ki.get(this.revision, look)) return undefined
    return this.readAll([look.main], [look.sub])[0]
  }

  /** Whether the key exists as this transaction sees it (reads only the index). */
  has(key: Buffer): boolean {
    this.checkOpen()
    const ki = this.s.index.get(key.toString('latin1'))
    return ki !== undefined && ki.get(this.revision, look)
  }

  /** Writes key = value with `lease` (0n for none); returns the new KeyValue. */
  put(key: Buffer, value: Buffer, lease: bigint, prev?: KeyValue): KeyValue {
    this.checkWrite()
    const main = this.beginRevision + 1
    const sub = this.changes.length
    const ki = this.s.index.getOrCreate(key.toString('latin1'))
    let created = main
    let version = 1
    let prevMain = 0
    let prevSub = 0
    const prevLease = ki.lease
    if (ki.get(this.revision, look)) {
      created = look.created
      version = look.version + 1
      prevMain = look.main
      prevSub = look.sub
    }
    const kv: KeyValue = { key, create_revision: created, mod_revision: main, version, value, lease }
    this.s.index.put(ki, main, sub)
    ki.lease = lease
    this.addPending(sub, kv)
    this.changes.push({ type: Event_EventType.PUT, kv, prevMain, prevSub, prevLease, prev })
    return kv
  }

  /** Deletes the live keys in (key, rangeEnd); reads their KeyValues first if `withPrev`. */
  deleteRange(key: Buffer, rangeEnd: Buffer, withPrev: boolean): DeleteResult {
    this.checkWrite()
    const atRev = this.revision
    const found: KeyIndex[] = []
    const mains: number[] = []
    const subs: number[] = []
    visitRange(this.s.index, key, rangeEnd, (ki) => {
      if (!ki.get(atRev, look)) return
      found.push(ki)
      mains.push(look.main)
      subs.push(look.sub)
    })
    if (found.length === 0) return withPrev ? { deleted: 0, prevKvs: [] } : { deleted: 0 }
    const prevKvs = withPrev ? this.readAll(mains, subs) : undefined
    const main = this.beginRevision + 1
    for (let i = 0; i < found.length; i++) {
      const ki = found[i]
      const sub = this.changes.length
      const kv: KeyValue = { key: ki.key, create_revision: 0, mod_revision: main, version: 0, value: EMPTY, lease: 0n }
      const prevLease = ki.lease
      this.s.index.tombstone(ki, main, sub)
      this.addPending(sub, kv)
      this.changes.push({
        type: Event_EventType.DELETE,
        kv,
        prevMain: mains[i],
        prevSub: subs[i],
        prevLease,
        prev: prevKvs?.[i],
      })
    }
    return { deleted: found.length, prevKvs }
  }

  /** Ends the transaction; its revision is taken if it changed anything. */
  end(): TxnResult {
    this.checkOpen()
    this.ended = true
    const result: TxnResult = { revision: this.revision, changes: this.changes }
    this.owner?.endTxn(this.changes)
    return result
  }

  /**
   * Ends a write transaction that failed: takes back everything it did to the index (newest
   * change first) and the open batch's records, and takes no revision.
   */
  abort(): void {
    if (this.ended) throw new Error('mvcc: transaction already ended')
    this.ended = true
    const index = this.s.index
    const changes = this.changes
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i]
      const skey = c.kv.key.toString('latin1')
      const ki = index.get(skey)!
      if (c.type === Event_EventType.DELETE) ki.undoTombstone(c.prevLease)
      else ki.undoPut(c.prevLease)
      if (ki.isEmpty()) index.delete(skey) // created by this transaction
    }
    if (this.pendingRow !== null) this.s.pending.pop()
    this.pendingRow = null
    changes.length = 0
    this.owner?.abortTxn()
  }

  private readAll(mains: number[], subs: number[]): KeyValue[] {
    const read = this.s.readSync(mains, subs)
    for (let i = 0; i < read.length; i++) {
      if (read[i] === undefined) throw new Error(`mvcc: record ${mains[i]}.${subs[i]} missing from the backend`)
    }
    return read as KeyValue[]
  }

  private addPending(sub: number, kv: KeyValue): void {
    if (this.pendingRow === null) {
      this.pendingRow = []
      this.s.pending.push(this.pendingRow)
    }
    this.pendingRow[sub] = kv
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('mvcc: transaction already ended')
    this.s.check()
  }

  private checkWrite(): void {
    this.checkOpen()
    if (this.owner === null) throw new Error('mvcc: write in a read-only transaction')
  }
}
