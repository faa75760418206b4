/**
 * The applied state of a member: the MVCC store driven by the KV appliers. Implements the
 * core's StateMachine: a batch of requests is applied in order and committed in one backend
 * write together with the applied index.
 */
import { EtcdError } from '../errors.js'
import type { RangeRequest, RangeResponseInit } from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Backend } from '../backend/backend.js'
import type { MvccStore } from '../mvcc/store.js'
import { applyCompaction, applyDeleteRange, applyPut, applyRange, applyTxn } from '../apply/kv.js'
import type { Change } from '../mvcc/change.js'
import type { Applied, StateMachine } from './server.js'

/** Told, after each committed batch, every change it made in revision order. */
export type CommitListener = (changes: readonly Change[], revision: number) => void

export class KvStateMachine implements StateMachine {
  private readonly listeners: CommitListener[] = []

  constructor(private readonly store: MvccStore, private readonly backend: Backend, private readonly sync: boolean) {}

  /** Watchers and the lessor learn about committed changes here. */
  onCommit(listener: CommitListener): void {
    this.listeners.push(listener)
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

  applyBatch(reqs: InternalRequest[], index: number): Applied[] {
    const b = this.store.beginBatch()
    const out: Applied[] = []
    for (const r of reqs) {
      try {
        if (r.put) out.push({ ok: true, res: applyPut(b, r.put) })
        else if (r.delete_range) out.push({ ok: true, res: applyDeleteRange(b, r.delete_range) })
        else if (r.txn) out.push({ ok: true, res: applyTxn(b, r.txn) })
        else if (r.compaction) {
          const { response, physical } = applyCompaction(b, r.compaction)
          physical.catch(() => {}) // failures surface through the store; only `physical: true` callers wait
          out.push({ ok: true, res: response, done: r.compaction.physical ? physical : undefined })
        } else out.push({ ok: true, res: {} })
      } catch (err) {
        if (!(err instanceof EtcdError)) throw err
        out.push({ ok: false, err })
      }
    }
    b.commit({ consistentIndex: index }, { sync: this.sync })
    if (b.changes.length > 0) for (const l of this.listeners) l(b.changes, this.store.currentRevision)
    return out
  }
}
