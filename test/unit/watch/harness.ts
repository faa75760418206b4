/**
 * A watch hub on a real MvccStore (MemoryBackend), written through etcd's appliers, with
 * sinks that record what they are sent and can be made to back up like a gRPC stream.
 */
import {
  decodeWatchResponse,
  encodeResponseHeader,
  encodeWatchCreateRequest,
  decodeWatchCreateRequest,
  type WatchCreateRequestInit,
  type WatchResponse,
} from '../../../src/gen/etcdserverpb.js'
import { applyCompaction, applyDeleteRange, applyPut, applyTxn } from '../../../src/server/apply/kv.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import type { Change } from '../../../src/server/mvcc/change.js'
import { MvccStore } from '../../../src/server/mvcc/store.js'
import type { StoreBatch } from '../../../src/server/mvcc/batch.js'
import { WatchHub, type WatchHubOptions } from '../../../src/server/watch/hub.js'
import { encodeWatchOut } from '../../../src/server/watch/response.js'
import type { WatchOut, WatchSink } from '../../../src/server/watch/sink.js'
import type { WatchStream } from '../../../src/server/watch/stream.js'
import { compactReq, delReq, putReq, txnReq } from '../apply/requests.js'

export const b = (s: string): Buffer => Buffer.from(s, 'latin1')

/** A recorded event: type, key, value, mod revision, prev value (or undefined). */
export interface Ev {
  type: number
  key: string
  value: string
  rev: number
  prev?: string
}

/**
 * Records responses (decoded from the bytes the server would send). With a capacity it
 * behaves like a gRPC stream: after `capacity` undrained responses `writable` turns false;
 * `drain()` empties it and tells the hub.
 */
export class RecordingSink implements WatchSink {
  readonly responses: WatchResponse[] = []
  closed = false
  private outstanding = 0
  maxOutstanding = 0
  /** Event responses sent while the sink was full (back-pressure ignored). */
  eventsWhileFull = 0
  stream!: WatchStream

  constructor(private readonly capacity = Infinity) {}

  get writable(): boolean {
    return this.outstanding < this.capacity
  }

  send(out: WatchOut): void {
    if (this.closed) throw new Error('send on a closed sink')
    if (out.events !== undefined && out.events.length > 0 && !this.writable) this.eventsWhileFull++
    for (const msg of encodeWatchOut(
      out,
      encodeResponseHeader({ cluster_id: 1n, member_id: 2n, revision: out.revision, raft_term: 3n }),
      1 << 30,
    )) {
      this.responses.push(decodeWatchResponse(msg))
      this.outstanding++
    }
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding)
  }

  close(): void {
    this.closed = true
  }

  /** The client read everything: the stream can take more. */
  drain(): void {
    this.outstanding = 0
    this.stream.drained()
  }

  /** Event responses for watch `id`, in order. */
  eventResponses(id: number): WatchResponse[] {
    return this.responses.filter((r) => r.watch_id === id && r.events.length > 0)
  }

  events(id: number): Ev[] {
    return this.eventResponses(id).flatMap((r) => r.events.map(toEv))
  }
}

export function toEv(e: WatchResponse['events'][number]): Ev {
  const ev: Ev = {
    type: e.type,
    key: e.kv!.key.toString('latin1'),
    value: e.kv!.value.toString('latin1'),
    rev: e.kv!.mod_revision,
  }
  if (e.prev_kv !== undefined) ev.prev = e.prev_kv.value.toString('latin1')
  return ev
}

export class Harness {
  /** Every change committed, in order. */
  readonly log: Change[] = []

  private constructor(
    readonly store: MvccStore,
    readonly hub: WatchHub,
  ) {}

  static async open(opts?: WatchHubOptions): Promise<Harness> {
    const store = await MvccStore.open(new MemoryBackend())
    return new Harness(store, new WatchHub(store, opts))
  }

  stream(sink: RecordingSink): WatchStream {
    const s = this.hub.openStream(sink)
    sink.stream = s
    return s
  }

  watch(s: WatchStream, req: WatchCreateRequestInit): void {
    s.create(decodeWatchCreateRequest(encodeWatchCreateRequest(req)))
  }

  /** Runs the writes in one committed batch (one commit notification), as the apply loop does. */
  batch(fn: (batch: StoreBatch) => void): void {
    const batch = this.store.beginBatch()
    try {
      fn(batch)
    } finally {
      batch.commit()
    }
    if (batch.changes.length > 0) {
      for (const c of batch.changes) this.log.push(c)
      this.hub.onCommit(batch.changes, this.store.currentRevision)
    }
  }

  put(key: string, value: string): void {
    this.batch((bt) => applyPut(bt, putReq({ key: b(key), value: b(value) })))
  }

  del(key: string, rangeEnd?: string): void {
    this.batch((bt) =>
      applyDeleteRange(bt, delReq({ key: b(key), range_end: rangeEnd === undefined ? undefined : b(rangeEnd) })),
    )
  }

  /** One txn that puts every pair (one revision). */
  txnPuts(pairs: [string, string][]): void {
    this.batch((bt) =>
      applyTxn(bt, txnReq({ success: pairs.map(([k, v]) => ({ request_put: { key: b(k), value: b(v) } })) })),
    )
  }

  compact(rev: number): Promise<void> {
    let physical!: Promise<void>
    this.batch((bt) => {
      physical = applyCompaction(bt, compactReq(rev)).physical
    })
    return physical
  }

  /** What a watcher on [key, end) from `start` must receive, from the log. */
  expected(match: (key: string) => boolean, start: number, opts: { noPut?: boolean; noDelete?: boolean } = {}): Ev[] {
    return this.log
      .filter((c) => c.kv.mod_revision >= start && match(c.kv.key.toString('latin1')))
      .filter((c) => !(c.type === 0 && opts.noPut) && !(c.type === 1 && opts.noDelete))
      .map((c) => ({
        type: c.type,
        key: c.kv.key.toString('latin1'),
        value: c.kv.value.toString('latin1'),
        rev: c.kv.mod_revision,
      }))
  }

  close(): Promise<void> {
    this.hub.close()
    return this.store.close()
  }
}

/** Resolves once the hub's background work settled (catch-up steps run on setImmediate). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}

/** Waits until cond() holds (polling between event-loop turns). */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setImmediate(r))
  }
}

/** Drops prev values (for comparing with `expected`, which has none). */
export function withoutPrev(evs: Ev[]): Ev[] {
  return evs.map(({ prev: _prev, ...rest }) => rest)
}
