/**
 * The applied state of a member: the MVCC store driven by the KV appliers. Implements the
 * core's StateMachine: a batch of requests is applied in order and committed in one backend
 * write together with the applied index.
 */
import { EtcdError } from '../../errors/rpctypes.js'
import type { RangeRequest, RangeResponseInit, ResponseHeaderInit } from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Backend } from '../backend/backend.js'
import { MvccStore } from '../mvcc/store.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { applyCompaction, applyDeleteRange, applyPut, applyRange, applyTxn } from '../apply/kv.js'
import type { Change } from '../mvcc/change.js'
import type { StoreBatch } from '../mvcc/batch.js'
import type { Applied, StateMachine } from './server.js'

/** Told, after each committed batch, every change it made in revision order. */
export type CommitListener = (changes: readonly Change[], revision: number) => void

/** The lessor's part of applying: lease requests, and the keys that changes attach or detach. */
export interface LeaseApplier {
  exists(id: bigint): boolean
  /** The result of a lease request; undefined when `r` is not one. */
  apply(b: StoreBatch, r: InternalRequest): { header?: ResponseHeaderInit } | undefined
  /** Told the changes `changes[from..]` one applied request made. */
  track(changes: readonly Change[], from: number): void
}

export class KvStateMachine implements StateMachine {
  private readonly listeners: CommitListener[] = []
  private readonly restoreListeners: ((store: MvccStore) => void | Promise<void>)[] = []
  private leases?: LeaseApplier

  constructor(private store: MvccStore, private backend: Backend) {}

  /** Watchers and the lessor learn about committed changes here. */
  onCommit(listener: CommitListener): void {
    this.listeners.push(listener)
  }

  setLeaseApplier(leases: LeaseApplier): void {
    this.leases = leases
  }

  /** The live backend (replaced when a snapshot from the leader is installed). */
  get currentBackend(): Backend {
    return this.backend
  }

  get currentStore(): MvccStore {
    return this.store
  }

  /**
   * Installs a database received with a raft snapshot: closes the live store, lets `swap`
   * put the new database in place of the live one, reopens; then tells the restore listeners.
   */
  async replaceDatabase(dataDir: string, swap: () => Promise<void>): Promise<void> {
    await this.store.close()
    await this.backend.close()
    await swap()
    this.backend = await RocksBackend.open(RocksBackend.dbDir(dataDir))
    this.store = await MvccStore.open(this.backend)
    for (const l of this.restoreListeners) await l(this.store)
  }

  /** Told when the store was replaced by a snapshot's. */
  onRestore(listener: (store: MvccStore) => void | Promise<void>): void {
    this.restoreListeners.push(listener)
  }

  get revision(): number {
    return this.store.currentRevision
  }

  get appliedIndex(): number {
    return this.store.consistentIndex
  }

  dbSize(): number {
    return this.backend.size()
  }

  dbSizeInUse(): number {
    return this.backend.size()
  }

  range(req: RangeRequest): Promise<RangeResponseInit> {
    return applyRange(this.store, req)
  }

  markApplied(index: number): void {
    const b = this.store.beginBatch()
    b.commit({ consistentIndex: index }, { sync: false })
  }

  /** Makes every applied write durable (fsyncs the backend's log). */
  syncApplied(): void {
    const b = this.store.beginBatch()
    b.commit({ consistentIndex: this.store.consistentIndex }, { sync: true })
  }

  applyBatch(reqs: InternalRequest[], index: number): Applied[] {
    const b = this.store.beginBatch()
    const out: Applied[] = []
    const leases = this.leases
    const leaseOpts = leases && { leaseExists: (id: bigint) => leases.exists(id) }
    for (const r of reqs) {
      const from = b.changes.length
      try {
        if (r.put) out.push({ ok: true, res: applyPut(b, r.put, leaseOpts) })
        else if (r.delete_range) out.push({ ok: true, res: applyDeleteRange(b, r.delete_range) })
        else if (r.txn) out.push({ ok: true, res: applyTxn(b, r.txn, leaseOpts) })
        else if (r.compaction) {
          const { response, physical } = applyCompaction(b, r.compaction)
          physical.catch(() => {}) // failures surface through the store; only `physical: true` callers wait
          out.push({ ok: true, res: response, done: r.compaction.physical ? physical : undefined })
        } else out.push({ ok: true, res: leases?.apply(b, r) ?? {} })
      } catch (err) {
        // A failed request left nothing in the batch (the appliers abort its transaction);
        // anything else is a bug, and the batch must not be committed.
        if (!(err instanceof EtcdError)) throw err
        if (b.changes.length !== from) throw new Error(`apply: a failed request left changes behind (${err.message})`)
        out.push({ ok: false, err })
      }
      if (leases && b.changes.length > from) leases.track(b.changes, from)
    }
    b.commit({ consistentIndex: index }, { sync: false })
    if (b.changes.length > 0) for (const l of this.listeners) l(b.changes, this.store.currentRevision)
    return out
  }
}
