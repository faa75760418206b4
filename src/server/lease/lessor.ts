/**
 * The lessor: every lease of the member, the keys attached to each, and, on the leader, when
 * each expires.
 *
 * Replicated state changes only through applied raft entries (grant, revoke, checkpoint, and
 * the KV changes that attach and detach keys); each is written into the apply batch, so the
 * backend holds leases and keys from the same applied index.
 *
 * Expiry belongs to the primary lessor alone (the leader's, once it has applied its term's
 * first entry): `promote` gives every lease an expiry of now + its remaining TTL + an
 * extension, and `expired()` / `dueCheckpoints()` tell the leader what to propose. Elsewhere
 * leases never expire.
 */
import type { LeaseCheckpoint, LeaseCheckpointRequest, LeaseGrantRequest } from '../../gen/etcdserverpb.js'
import { Event_EventType } from '../../gen/mvccpb.js'
import type { Backend } from '../backend/backend.js'
import { Errors } from '../../errors/rpctypes.js'
import type { StoreBatch } from '../mvcc/batch.js'
import type { Change } from '../mvcc/change.js'
import type { MvccStore } from '../mvcc/store.js'
import { DeadlineHeap } from './deadline-heap.js'
import { Lease, MAX_LEASE_TTL } from './lease.js'
import { deleteLease, putLease, readLeases } from './records.js'

const NO_END = Buffer.alloc(0)

export interface LessorOptions {
  /** Shorter TTLs are raised to this (seconds). */
  minTTL: number
  /** How often the primary checkpoints a lease's remaining TTL (ms). */
  checkpointIntervalMs: number
  /** An expired lease is reported again after this long if it is still there (ms). */
  expiredRetryMs: number
  /** The clock (ms); Date.now by default. */
  now?: () => number
}

/** What a lease looks like to LeaseTimeToLive. */
export interface LeaseView {
  ID: bigint
  /** Remaining seconds (truncated), as the primary sees it. */
  TTL: number
  grantedTTL: number
  keys: Buffer[]
}

/** What a renewal on the primary found: the lease renewed, expired (its revoke pending), or gone. */
export type RenewResult = { ttl: number; clearCheckpoint: boolean } | 'expired' | undefined

interface RevokeWaiter {
  resolve: () => void
  reject: (err: Error) => void
}

export class Lessor {
  private leases = new Map<bigint, Lease>()
  /** Renewals of expired leases waiting for the revoke (etcd's revokec), by lease ID. */
  private revokeWaiters = new Map<bigint, RevokeWaiter[]>()
  /** Which lease each attached key belongs to. */
  private keyLease = new Map<string, bigint>()
  private readonly expiries = new DeadlineHeap()
  private readonly checkpoints = new DeadlineHeap()
  private primary = false
  private readonly now: () => number

  constructor(private readonly o: LessorOptions) {
    this.now = o.now ?? Date.now
  }

  /** A lessor with the leases stored in `backend` and the keys `store` attaches to them. */
  static async open(backend: Backend, store: MvccStore, o: LessorOptions): Promise<Lessor> {
    const l = new Lessor(o)
    await l.recover(backend, store)
    return l
  }

  /** Replaces all state with the backend's (after a snapshot was installed). Not primary after. */
  async recover(backend: Backend, store: MvccStore): Promise<void> {
    const records = await readLeases(backend)
    this.leases = new Map()
    this.keyLease = new Map()
    this.expiries.clear()
    this.checkpoints.clear()
    this.primary = false
    this.failRevokeWaiters()
    for (const r of records) this.leases.set(r.ID, new Lease(r.ID, Math.max(r.TTL, this.o.minTTL), r.remaining_TTL))
    for (const [key, id] of store.leasedKeys()) this.attach(id, key)
  }

  get isPrimary(): boolean {
    return this.primary
  }

  get size(): number {
    return this.leases.size
  }

  exists(id: bigint): boolean {
    return this.leases.has(id)
  }

  // ---- applied state changes ----

  /** LeaseGrant as applied; throws etcd's errors. */
  grant(b: StoreBatch, req: LeaseGrantRequest): Lease {
    if (req.ID === 0n) throw Errors.LeaseNotFound
    if (req.TTL > MAX_LEASE_TTL) throw Errors.LeaseTTLTooLarge
    if (this.leases.has(req.ID)) throw Errors.LeaseExist
    const l = new Lease(req.ID, Math.max(req.TTL, this.o.minTTL))
    this.leases.set(l.id, l)
    putLease(b.writeBatch, l)
    if (this.primary) {
      l.refresh(this.now(), 0)
      this.expiries.set(l.id, l.expiry)
      this.scheduleCheckpoint(l)
    }
    return l
  }

  /**
   * LeaseRevoke as applied: deletes the attached keys in one write transaction of `b` (one
   * revision), then the lease. Throws LeaseNotFound.
   */
  revoke(b: StoreBatch, id: bigint): void {
    const l = this.leases.get(id)
    if (l === undefined) throw Errors.LeaseNotFound
    const t = b.txn()
    try {
      for (const key of l.sortedKeys()) t.deleteRange(key, NO_END, false)
    } catch (err) {
      t.abort()
      throw err
    }
    t.end()
    this.remove(l)
    deleteLease(b.writeBatch, id)
  }

  /** LeaseCheckpoint as applied: records (and persists) each lease's remaining TTL. */
  checkpoint(b: StoreBatch, req: LeaseCheckpointRequest): void {
    for (const cp of req.checkpoints) {
      const l = this.leases.get(cp.ID)
      if (l === undefined) continue
      l.remainingTTL = cp.remaining_TTL
      putLease(b.writeBatch, l)
      if (this.primary) this.scheduleCheckpoint(l)
    }
  }

  /** Follows the keys the applied changes attached to or detached from leases. */
  track(changes: readonly Change[], from = 0): void {
    for (let i = from; i < changes.length; i++) {
      const c = changes[i]
      const key = c.kv.key
      if (c.prevLease !== 0n) this.detach(c.prevLease, key)
      if (c.type === Event_EventType.PUT && c.kv.lease !== 0n) this.attach(c.kv.lease, key)
    }
  }

  private attach(id: bigint, key: Buffer): void {
    const l = this.leases.get(id)
    if (l === undefined) return
    const k = key.toString('latin1')
    l.keys.set(k, key)
    this.keyLease.set(k, id)
  }

  private detach(id: bigint, key: Buffer): void {
    const k = key.toString('latin1')
    this.leases.get(id)?.keys.delete(k)
    if (this.keyLease.get(k) === id) this.keyLease.delete(k)
  }

  private remove(l: Lease): void {
    for (const k of l.keys.keys()) if (this.keyLease.get(k) === l.id) this.keyLease.delete(k)
    this.leases.delete(l.id)
    this.expiries.delete(l.id)
    this.checkpoints.delete(l.id)
    const waiters = this.revokeWaiters.get(l.id)
    if (waiters !== undefined) {
      this.revokeWaiters.delete(l.id)
      for (const w of waiters) w.resolve()
    }
  }

  // ---- the primary lessor ----

  /** Becomes primary: every lease expires `extendMs` after its remaining TTL from now. */
  promote(extendMs: number): void {
    this.primary = true
    const now = this.now()
    for (const l of this.leases.values()) {
      l.refresh(now, extendMs)
      this.expiries.set(l.id, l.expiry)
      this.scheduleCheckpoint(l)
    }
  }

  /** Stops expiring leases. */
  demote(): void {
    this.primary = false
    for (const l of this.leases.values()) l.expiry = Infinity
    this.expiries.clear()
    this.checkpoints.clear()
    this.failRevokeWaiters()
  }

  /** Renewals waiting for a revoke that this lessor, no longer primary, will not see through. */
  private failRevokeWaiters(): void {
    const all = this.revokeWaiters
    this.revokeWaiters = new Map()
    for (const waiters of all.values()) for (const w of waiters) w.reject(Errors.NotLeader)
  }

  /**
   * Renews a lease on the primary: its expiry becomes now + its full TTL. Returns the TTL, and
   * whether a checkpointed remaining TTL must be cleared (through raft) so that another
   * leader does not start from it; 'expired' when the lease has expired but is not revoked
   * yet (see `revoked`); undefined when it is gone.
   */
  renew(id: bigint): RenewResult {
    if (!this.primary) throw Errors.NotLeader
    const l = this.leases.get(id)
    const now = this.now()
    if (l === undefined) return undefined
    if (l.remainingMs(now) <= 0) return 'expired'
    l.expiry = now + l.ttl * 1000
    this.expiries.set(l.id, l.expiry)
    return { ttl: l.ttl, clearCheckpoint: l.remainingTTL > 0 }
  }

  /**
   * Resolves when lease `id` is revoked (at once if it is gone); rejects with NotLeader when
   * this lessor stops being primary first (etcd: Renew waits on revokec or demotec), and with
   * the signal's reason when `signal` aborts first.
   */
  revoked(id: bigint, signal?: AbortSignal): Promise<void> {
    if (!this.leases.has(id)) return Promise.resolve()
    if (!this.primary) return Promise.reject(Errors.NotLeader)
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const list = this.revokeWaiters.get(id)
        const rest = list?.filter((w) => w !== waiter) ?? []
        if (rest.length === 0) this.revokeWaiters.delete(id)
        else this.revokeWaiters.set(id, rest)
        reject(signal!.reason)
      }
      const waiter: RevokeWaiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const list = this.revokeWaiters.get(id)
      if (list === undefined) this.revokeWaiters.set(id, [waiter])
      else list.push(waiter)
    })
  }

  /**
   * Leases that have expired (at most `limit`), for the leader to revoke. Each stays
   * registered and is reported again after `expiredRetryMs` if its revoke did not happen.
   */
  expired(limit: number): bigint[] {
    const out: bigint[] = []
    const now = this.now()
    while (out.length < limit) {
      const top = this.expiries.peek()
      if (top === undefined || top.time > now) break
      const l = this.leases.get(top.id)
      if (l === undefined) {
        this.expiries.delete(top.id)
        continue
      }
      this.expiries.set(top.id, now + this.o.expiredRetryMs)
      if (l.remainingMs(now) <= 0) out.push(l.id)
    }
    return out
  }

  /** Checkpoints that are due (at most `limit`): each lease's remaining TTL, rounded up. */
  dueCheckpoints(limit: number): LeaseCheckpoint[] {
    const out: LeaseCheckpoint[] = []
    const now = this.now()
    while (out.length < limit) {
      const top = this.checkpoints.peek()
      if (top === undefined || top.time > now) break
      this.checkpoints.delete(top.id)
      const l = this.leases.get(top.id)
      if (l === undefined || l.remainingMs(now) <= 0) continue
      const remaining = Math.ceil(l.remainingMs(now) / 1000)
      if (remaining >= l.ttl) {
        // Renewed since it was scheduled: nothing to record yet, but keep the schedule going.
        this.scheduleCheckpoint(l)
        continue
      }
      out.push({ ID: l.id, remaining_TTL: remaining })
    }
    return out
  }

  private scheduleCheckpoint(l: Lease): void {
    if (l.refreshTTL * 1000 > this.o.checkpointIntervalMs)
      this.checkpoints.set(l.id, this.now() + this.o.checkpointIntervalMs)
  }

  // ---- reads ----

  /** The lease as LeaseTimeToLive shows it; undefined when there is none. */
  view(id: bigint, withKeys: boolean): LeaseView | undefined {
    const l = this.leases.get(id)
    if (l === undefined) return undefined
    const ms = l.remainingMs(this.now())
    const TTL = ms === Infinity ? Number.MAX_SAFE_INTEGER : Math.trunc(ms / 1000)
    return { ID: l.id, TTL, grantedTTL: l.ttl, keys: withKeys ? l.sortedKeys() : [] }
  }

  /** Every lease's ID, the soonest to expire first. */
  list(): bigint[] {
    return [...this.leases.values()].sort((a, b) => a.expiry - b.expiry).map((l) => l.id)
  }

  /** The lease a key is attached to (0n for none). */
  leaseOf(key: Buffer): bigint {
    return this.keyLease.get(key.toString('latin1')) ?? 0n
  }
}
