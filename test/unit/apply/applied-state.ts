/**
 * A member's applied state without raft, on either backend: a KvStateMachine over a real
 * MVCC store, the lessor as its lease applier, a watch hub fed by its commits, and a
 * recording of every commit notification. Requests are encoded and decoded as raft carries
 * them.
 */
import { decodeWatchCreateRequest, encodeWatchCreateRequest } from '../../../src/gen/etcdserverpb.js'
import {
  decodeInternalRequest,
  encodeInternalRequest,
  type InternalRequest,
  type InternalRequestInit,
} from '../../../src/gen/tsetcdpb.js'
import { KvStateMachine } from '../../../src/server/apply/kv-state.js'
import type { Applied } from '../../../src/server/apply/applier.js'
import { applierStack } from '../../../src/server/apply/lease.js'
import { Lessor } from '../../../src/server/lease/lessor.js'
import { WatchHub } from '../../../src/server/watch/hub.js'
import { FROM_KEY, StoreFixture, k, kvt, query, recordRevisions } from '../mvcc/fixture.js'
import { RecordingSink } from '../watch/harness.js'

/** A request as raft carries it: encoded, then decoded. */
export function decoded(r: InternalRequestInit): InternalRequest {
  return decodeInternalRequest(encodeInternalRequest({ ID: 0n, ...r }))
}

/** Everything a failed request must leave alone, in comparable form. */
export interface Snapshot {
  revision: number
  committedRevision: number
  kvs: ReturnType<typeof kvt>[]
  records: string[]
  indexedKeys: number
  leases: { id: bigint; keys: string[] }[]
  commits: string[]
}

export class AppliedState {
  /** Every change the commit listeners were told, as "PUT key@rev" / "DELETE key@rev". */
  readonly commits: string[] = []
  /** A watcher on every key, created when the state was opened. */
  readonly sink = new RecordingSink()
  private index = 0

  private constructor(
    readonly f: StoreFixture,
    readonly kv: KvStateMachine,
    readonly lessor: Lessor,
    readonly hub: WatchHub,
  ) {}

  static async open(kind: 'memory' | 'rocks'): Promise<AppliedState> {
    const f = await StoreFixture.open(kind)
    const kv = new KvStateMachine(f.store, f.backend)
    const lessor = await Lessor.open(f.backend, f.store, {
      minTTL: 1,
      checkpointIntervalMs: 5000,
      expiredRetryMs: 3000,
      now: () => 1_000_000,
    })
    kv.setApplier(applierStack(lessor))
    const hub = new WatchHub(f.store)
    const s = new AppliedState(f, kv, lessor, hub)
    kv.onCommit((changes) => {
      for (const c of changes)
        s.commits.push(`${c.type === 0 ? 'PUT' : 'DELETE'} ${c.kv.key.toString('latin1')}@${c.kv.mod_revision}`)
    })
    kv.onCommit(hub.onCommit)
    const stream = hub.openStream(s.sink)
    s.sink.stream = stream
    stream.create(decodeWatchCreateRequest(encodeWatchCreateRequest({ key: Buffer.from([0]), range_end: FROM_KEY })))
    return s
  }

  /** Applies requests as one committed raft batch. */
  apply(...reqs: InternalRequestInit[]): Applied[] {
    return this.applyDecoded(reqs.map(decoded))
  }

  applyDecoded(reqs: InternalRequest[]): Applied[] {
    return this.kv.applyBatch(reqs, ++this.index)
  }

  /** Applies one request; its response, or throws its error. */
  one(req: InternalRequestInit): Applied {
    return this.apply(req)[0]
  }

  /** Events the watcher on every key received, as "PUT key@rev" / "DELETE key@rev". */
  watched(): string[] {
    return this.sink.events(0).map((e) => `${e.type === 0 ? 'PUT' : 'DELETE'} ${e.key}@${e.rev}`)
  }

  async snapshot(): Promise<Snapshot> {
    const store = this.f.store
    const all = await store.range(query(k('\u0000'), FROM_KEY))
    return {
      revision: store.currentRevision,
      committedRevision: store.committedRevision,
      kvs: all.kvs.map(kvt),
      records: await recordRevisions(this.f.backend),
      indexedKeys: store.indexedKeys,
      leases: [...this.lessor.list()]
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((id) => ({
          id,
          keys: (this.lessor.view(id, true)?.keys ?? []).map((key) => key.toString('latin1')).sort(),
        })),
      commits: [...this.commits],
    }
  }

  async close(): Promise<void> {
    this.hub.close()
    await this.f.close()
  }
}
