/**
 * The member's core: writes are proposed, applied in order, and answered once applied;
 * reads are served from the store.
 *
 * Writes arriving in the same event-loop turn form one batch: they are applied together
 * and persisted with one synced backend write (group commit), then all their callers are
 * answered. The applied index of the last request is stored in that same write, so replay
 * after a crash is idempotent.
 */
import { EtcdError, Errors } from '../errors.js'
import type {
  CompactionRequest, CompactionResponseInit, DeleteRangeRequest, DeleteRangeResponseInit, PutRequest, PutResponseInit,
  RangeRequest, RangeResponseInit, ResponseHeaderInit, StatusResponseInit, TxnRequest, TxnResponseInit,
} from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Core } from './core.js'
import { ETCD_VERSION } from '../../version.js'

/** The result of applying one request: a response body, or the error it failed with. */
export type Applied = { ok: true; res: { header?: ResponseHeaderInit }; done?: Promise<void> } | { ok: false; err: EtcdError }

/** What the core needs from the applied state (the MVCC store and its appliers). */
export interface StateMachine {
  /** Applies requests in order, persisting them (and `index`) in one synced write. */
  applyBatch(reqs: InternalRequest[], index: number): Applied[]
  range(req: RangeRequest): Promise<RangeResponseInit>
  readonly revision: number
  readonly appliedIndex: number
  dbSize(): number
  dbSizeInUse(): number
}

export interface ServerIdentity {
  memberId: bigint
  clusterId: bigint
}

interface Waiter {
  req: InternalRequest
  resolve: (a: Applied) => void
}

export class EtcdServer implements Core {
  private queue: Waiter[] = []
  private scheduled = false
  private stopped = false
  private readonly term = 2n

  constructor(private readonly sm: StateMachine, private readonly id: ServerIdentity) {}

  header(): ResponseHeaderInit {
    return { cluster_id: this.id.clusterId, member_id: this.id.memberId, revision: this.sm.revision, raft_term: this.term }
  }

  private propose(req: InternalRequest): Promise<Applied> {
    if (this.stopped) return Promise.reject(Errors.Stopped)
    return new Promise<Applied>((resolve) => {
      this.queue.push({ req, resolve })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    if (batch.length === 0) return
    let results: Applied[]
    try {
      results = this.sm.applyBatch(batch.map((w) => w.req), this.sm.appliedIndex + batch.length)
    } catch (err) {
      const e = err instanceof EtcdError ? err : new EtcdError(2, (err as Error).message)
      for (const w of batch) w.resolve({ ok: false, err: e })
      return
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i])
  }

  private async write<T>(req: InternalRequest): Promise<T> {
    const a = await this.propose(req)
    if (!a.ok) throw a.err
    if (a.done) await a.done
    return a.res as T
  }

  range(req: RangeRequest): Promise<RangeResponseInit> {
    if (this.stopped) return Promise.reject(Errors.Stopped)
    return this.sm.range(req)
  }

  put(req: PutRequest): Promise<PutResponseInit> {
    return this.write({ ID: 0n, put: req })
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponseInit> {
    return this.write({ ID: 0n, delete_range: req })
  }

  txn(req: TxnRequest): Promise<TxnResponseInit> {
    return this.write({ ID: 0n, txn: req })
  }

  compact(req: CompactionRequest): Promise<CompactionResponseInit> {
    return this.write({ ID: 0n, compaction: req })
  }

  async status(): Promise<StatusResponseInit> {
    return {
      version: ETCD_VERSION,
      dbSize: this.sm.dbSize(),
      dbSizeInUse: this.sm.dbSizeInUse(),
      leader: this.id.memberId,
      raftIndex: BigInt(this.sm.appliedIndex),
      raftTerm: this.term,
      raftAppliedIndex: BigInt(this.sm.appliedIndex),
      errors: [],
      isLearner: false,
    }
  }

  /** Stops taking requests; those already queued are still applied. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.queue.length > 0) this.flush()
  }
}
