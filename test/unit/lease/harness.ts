/**
 * A member's applied state with leases, without raft: a KvStateMachine on a MemoryBackend
 * with the lessor as its lease applier, requests encoded and decoded as raft carries them,
 * a settable clock, and restarts on the same data.
 */
import { decodeInternalRequest, encodeInternalRequest, type InternalRequestInit } from '../../../src/gen/tsetcdpb.js'
import type { KeyValue } from '../../../src/gen/mvccpb.js'
import { MemoryBackend } from '../../../src/server/backend/memory-backend.js'
import { KvStateMachine } from '../../../src/server/apply/kv-state.js'
import type { Applied } from '../../../src/server/apply/applier.js'
import { applierStack } from '../../../src/server/apply/lease.js'
import { Lessor, type LessorOptions } from '../../../src/server/lease/lessor.js'
import { rangeQuery } from '../../../src/server/mvcc/range.js'
import { MvccStore } from '../../../src/server/mvcc/store.js'

export const b = (s: string): Buffer => Buffer.from(s)

export class Clock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

export const OPTIONS = { minTTL: 2, checkpointIntervalMs: 5000, expiredRetryMs: 3000 }

export class LeaseHarness {
  private index = 0

  private constructor(
    private backend: MemoryBackend,
    public store: MvccStore,
    public kv: KvStateMachine,
    public lessor: Lessor,
    readonly clock: Clock,
    private readonly options: Omit<LessorOptions, 'now'>,
  ) {}

  static async open(options: Omit<LessorOptions, 'now'> = OPTIONS, clock = new Clock()): Promise<LeaseHarness> {
    const backend = new MemoryBackend()
    const store = await MvccStore.open(backend)
    const kv = new KvStateMachine(store, backend)
    const lessor = await Lessor.open(backend, store, { ...options, now: clock.now })
    kv.setApplier(applierStack(lessor))
    return new LeaseHarness(backend, store, kv, lessor, clock, options)
  }

  /** Applies requests as one committed raft batch. */
  apply(...reqs: InternalRequestInit[]): Applied[] {
    const decoded = reqs.map((r) => decodeInternalRequest(encodeInternalRequest({ ID: 0n, ...r })))
    return this.kv.applyBatch(decoded, ++this.index)
  }

  /** Applies one request; its response, or throws its error. */
  one<T = Record<string, unknown>>(req: InternalRequestInit): T {
    const [a] = this.apply(req)
    if (!a.ok) throw a.err
    return a.res as T
  }

  grant(id: bigint, ttl: number): { ID: bigint; TTL: number } {
    return this.one({ lease_grant: { ID: id, TTL: ttl } })
  }

  put(key: string, value: string, lease = 0n): void {
    this.one({ put: { key: b(key), value: b(value), lease } })
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.store.range(rangeQuery(b(key)))).kvs[0]
  }

  /** Closes store and backend and opens everything again from the same data (a restart). */
  async restart(): Promise<void> {
    await this.store.close()
    await this.backend.close()
    this.backend = this.backend.reopen()
    this.store = await MvccStore.open(this.backend)
    this.kv = new KvStateMachine(this.store, this.backend)
    this.lessor = await Lessor.open(this.backend, this.store, { ...this.options, now: this.clock.now })
    this.kv.setApplier(applierStack(this.lessor))
    this.index = this.store.consistentIndex
  }

  async close(): Promise<void> {
    await this.store.close()
    await this.backend.close()
  }
}
