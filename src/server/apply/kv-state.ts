/**
 * The applied state of a member: the MVCC store driven by the apply stack. Implements the
 * core's StateMachine: a batch of requests is applied in order and committed in one backend
 * write together with the applied index.
 */
import { EtcdError } from '../../errors/rpctypes.js'
import type { RangeRequest, TxnRequest, TxnResponseInit } from '../../gen/etcdserverpb.js'
import type { RangeResult } from '../mvcc/range.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { MvccStore } from '../mvcc/store.js'
import { hashBackend, hashByRev, type BackendHash, type KvHash } from '../mvcc/hash.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { applyRange, applyReadOnlyTxn, compactionApplier, kvApplier } from './kv.js'
import type { Change } from '../mvcc/change.js'
import { dispatcher, type Applied, type Applier, type StateMachine } from './applier.js'

/** Told, after each committed batch, every change it made in revision order. */
export type CommitListener = (changes: readonly Change[], revision: number) => void

export class KvStateMachine implements StateMachine {
  private readonly listeners: CommitListener[] = []
  private readonly restoreListeners: ((store: MvccStore) => void | Promise<void>)[] = []
  /** The KV and compaction appliers until the member sets its whole stack. */
  private applier: Applier = dispatcher([kvApplier(), compactionApplier])

  constructor(
    private store: MvccStore,
    private backend: Backend,
  ) {}

  /** Watchers and the lessor learn about committed changes here. */
  onCommit(listener: CommitListener): void {
    this.listeners.push(listener)
  }

  /** The apply stack every committed request goes down. */
  setApplier(applier: Applier): void {
    this.applier = applier
  }

  /** The live backend (replaced when a snapshot from the leader is installed). */
  get currentBackend(): Backend {
    return this.backend
  }

  hashKV(revision: number): Promise<KvHash> {
    return hashByRev(this.store, revision)
  }

  hash(): Promise<BackendHash> {
    return hashBackend(this.store)
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

  /** Rewrites the backend compactly (see RocksBackend.defrag); `hold` runs the swap. */
  async defragment(hold: (swap: () => Promise<void>) => Promise<void>): Promise<void> {
    if (this.backend instanceof RocksBackend) await this.backend.defrag(hold)
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

  range(req: RangeRequest): Promise<RangeResult> {
    return applyRange(this.store, req)
  }

  readOnlyTxn(req: TxnRequest): TxnResponseInit {
    return applyReadOnlyTxn(this.store, req)
  }

  /** Told how long each backend commit took, in seconds. */
  onCommitDone: ((seconds: number) => void) | undefined

  private commit(b: ReturnType<MvccStore['beginBatch']>, index: number, sync: boolean): void {
    const start = this.onCommitDone === undefined ? 0 : performance.now()
    b.commit({ consistentIndex: index }, { sync })
    if (this.onCommitDone !== undefined) this.onCommitDone((performance.now() - start) / 1000)
  }

  markApplied(index: number): void {
    const b = this.store.beginBatch()
    this.commit(b, index, false)
  }

  applyRecords(index: number, write: (wb: BackendWriteBatch) => void): void {
    const b = this.store.beginBatch()
    write(b.writeBatch)
    this.commit(b, index, false)
  }

  /** Makes every applied write durable (fsyncs the backend's log). */
  syncApplied(): void {
    const b = this.store.beginBatch()
    this.commit(b, this.store.consistentIndex, true)
  }

  applyBatch(reqs: InternalRequest[], index: number, indices?: readonly number[]): Applied[] {
    const b = this.store.beginBatch()
    const out: Applied[] = []
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]
      const from = b.changes.length
      try {
        out.push({ ok: true, ...this.applier.apply(b, r, indices?.[i] ?? index) })
      } catch (err) {
        // A failed request left nothing in the batch (the appliers abort its transaction);
        // anything else is a bug, and the batch must not be committed.
        if (!(err instanceof EtcdError)) throw err
        if (b.changes.length !== from)
          throw new Error(`apply: a failed request left changes behind (${err.message})`, { cause: err })
        out.push({ ok: false, err })
      }
    }
    this.commit(b, index, false)
    if (b.changes.length > 0) for (const l of this.listeners) l(b.changes, this.store.currentRevision)
    return out
  }
}
