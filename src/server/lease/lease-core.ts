/**
 * The member's lease operations, behind plain data in and out (as the KV core):
 * - Grant, Revoke: proposed through raft (a grant without an ID gets one here).
 * - Renew, TimeToLive: answered by the leader's primary lessor; a follower asks the leader
 *   over the peer transport's request API, as etcd forwards them to the leader's peer URL.
 * - Leases: this member's applied state.
 */
import type {
  LeaseCheckpoint,
  LeaseGrantRequest,
  LeaseGrantResponseInit,
  LeaseLeasesResponseInit,
  LeaseRevokeRequest,
  LeaseRevokeResponseInit,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponseInit,
} from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import { Errors } from '../../errors/rpctypes.js'
import { LeaseIdGenerator } from './lease-ids.js'
import type { PostAnswer, PostRoutes } from '../peer/index.js'
import type { Lessor } from './lessor.js'
import type { LeaseProposer } from './primary-loop.js'

export const PATH_LEASE_RENEW = '/leases/renew'
export const PATH_LEASE_TTL = '/leases/ttl'

/** The peer transport's request API: a POST to one of another member's peer routes. */
export interface LeasePeers {
  post(member: bigint, path: string, body: unknown, timeoutMs: number): Promise<PostAnswer>
}

/** What the lease operations need from the member's core. */
export interface LeaseHost {
  /** Proposes `req`; a proposal still waiting for a leader when `signal` aborts is dropped. */
  proposeRequest<T>(req: InternalRequest, ctx?: LeaseCallContext): Promise<T>
  readonly memberId: bigint
  /** 0n while there is no leader. */
  readonly leaderId: bigint
}

export interface LeaseCoreOptions {
  /** How long a renewal or TTL query may take, forwarding included (etcd: its request timeout). */
  requestTimeoutMs: number
  /** Pause between attempts while there is no leader or it does not answer. */
  retryMs?: number
}

/** The client's side of a call: `signal` aborts (with the error to answer) when it is over. */
export interface LeaseCallContext {
  signal?: AbortSignal
  /** Who asks (auth token, client certificate name), passed on to the proposal as is. */
  token?: string
  commonName?: string
}

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return new Promise<void>((r) => setTimeout(r, ms))
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** JSON of a forwarded TTL answer: IDs as decimal text, keys in base64. */
interface TtlJson {
  ID: string
  TTL: number
  grantedTTL: number
  keys: string[]
}

export class LeaseCore implements LeaseProposer {
  private readonly ids: LeaseIdGenerator
  private closed = false

  constructor(
    private readonly lessor: Lessor,
    private readonly host: LeaseHost,
    private readonly peers: LeasePeers,
    private readonly o: LeaseCoreOptions,
  ) {
    this.ids = new LeaseIdGenerator(host.memberId)
  }

  grant(req: LeaseGrantRequest, ctx?: LeaseCallContext): Promise<LeaseGrantResponseInit> {
    const ID = req.ID === 0n ? this.ids.next() : req.ID
    return this.host.proposeRequest({ ID: 0n, lease_grant: { ID, TTL: req.TTL } }, ctx)
  }

  revoke(req: LeaseRevokeRequest | bigint, ctx?: LeaseCallContext): Promise<LeaseRevokeResponseInit> {
    const ID = typeof req === 'bigint' ? req : req.ID
    return this.host.proposeRequest({ ID: 0n, lease_revoke: { ID } }, ctx)
  }

  checkpoint(checkpoints: LeaseCheckpoint[]): Promise<unknown> {
    return this.host.proposeRequest({ ID: 0n, lease_checkpoint: { checkpoints } })
  }

  leases(): Promise<LeaseLeasesResponseInit> {
    return Promise.resolve({ leases: this.lessor.list().map((ID) => ({ ID })) })
  }

  /**
   * Renews on the leader; resolves with the TTL. Throws LeaseNotFound for a lease that is
   * gone; for one that has expired, once its revoke is applied.
   */
  renew(id: bigint, ctx?: LeaseCallContext): Promise<number> {
    return this.onLeader(
      ctx?.signal,
      (deadline) => this.renewHere(id, deadline, ctx?.signal),
      async (leader, ms) =>
        ((await this.askLeader(leader, PATH_LEASE_RENEW, { ID: String(id) }, ms)) as { TTL: number }).TTL,
    )
  }

  /** The lease as the leader sees it. Throws LeaseNotFound. */
  timeToLive(req: LeaseTimeToLiveRequest, ctx?: LeaseCallContext): Promise<LeaseTimeToLiveResponseInit> {
    return this.onLeader(
      ctx?.signal,
      (deadline) => this.timeToLiveHere(req.ID, req.keys, deadline, ctx?.signal),
      async (leader, ms) =>
        fromTtlJson(
          (await this.askLeader(leader, PATH_LEASE_TTL, { ID: String(req.ID), keys: req.keys }, ms)) as TtlJson,
        ),
    )
  }

  /** A renewal on this member, which must be the leader (else Errors.NotLeader). */
  async renewHere(id: bigint, deadline = Date.now() + this.o.requestTimeoutMs, signal?: AbortSignal): Promise<number> {
    await this.primaryHere(deadline, signal)
    const r = this.lessor.renew(id)
    if (r === 'expired') {
      // As etcd: a client told TTL 0 finds the lease's keys gone, so wait for the revoke.
      const timeout = AbortSignal.timeout(Math.max(0, deadline - Date.now()))
      await this.lessor.revoked(id, signal === undefined ? timeout : AbortSignal.any([timeout, signal]))
      throw Errors.LeaseNotFound
    }
    if (r === undefined) throw Errors.LeaseNotFound
    // Another leader must not start from a remaining TTL older than this renewal.
    if (r.clearCheckpoint) await this.checkpoint([{ ID: id, remaining_TTL: 0 }]).catch(() => {})
    return r.ttl
  }

  async timeToLiveHere(
    id: bigint,
    keys: boolean,
    deadline = Date.now() + this.o.requestTimeoutMs,
    signal?: AbortSignal,
  ): Promise<LeaseTimeToLiveResponseInit> {
    await this.primaryHere(deadline, signal)
    const v = this.lessor.view(id, keys)
    if (v === undefined) throw Errors.LeaseNotFound
    return v
  }

  /** Peer routes answering forwarded requests on the leader. */
  peerRoutes(): PostRoutes {
    const answer = async (fn: () => Promise<unknown>) => {
      try {
        return { status: 200, value: await fn() }
      } catch (err) {
        if (err === Errors.LeaseNotFound) return { status: 404, value: { error: 'lease not found' } }
        return { status: 503, value: { error: (err as Error).message } }
      }
    }
    return new Map([
      [
        PATH_LEASE_RENEW,
        (body: unknown) => answer(async () => ({ TTL: await this.renewHere(BigInt((body as { ID: string }).ID)) })),
      ],
      [
        PATH_LEASE_TTL,
        (body: unknown) => {
          const b = body as { ID: string; keys?: boolean }
          return answer(async () => toTtlJson(await this.timeToLiveHere(BigInt(b.ID), b.keys === true)))
        },
      ],
    ])
  }

  /** Forwards no more requests to the leader (the member stops). */
  close(): void {
    this.closed = true
  }

  /** The leader's JSON answer to a forwarded request; a 404 is the leader saying the lease does not exist. */
  private async askLeader(leader: bigint, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) throw Errors.Stopped
    const r = await this.peers.post(leader, path, body, timeoutMs)
    if (r.status === 200) return r.value
    if (r.status === 404) throw Errors.LeaseNotFound
    throw new Error(`${path} on ${leader.toString(16)}: HTTP ${r.status} ${JSON.stringify(r.value)}`)
  }

  /** Waits (until `deadline`) for this member's lessor to be primary; NotLeader if it stops leading. */
  private async primaryHere(deadline: number, signal?: AbortSignal): Promise<void> {
    while (!this.lessor.isPrimary) {
      if (this.host.leaderId !== this.host.memberId) throw Errors.NotLeader
      if (Date.now() >= deadline) throw Errors.Timeout
      await sleep(10, signal)
    }
  }

  /**
   * Runs `here` when this member leads, else `remote` on the leader, retrying until the
   * timeout; stops with the signal's reason when `signal` aborts.
   */
  private async onLeader<T>(
    signal: AbortSignal | undefined,
    here: (deadline: number) => Promise<T>,
    remote: (leader: bigint, ms: number) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + this.o.requestTimeoutMs
    for (;;) {
      if (signal?.aborted) throw signal.reason
      const leader = this.host.leaderId
      try {
        if (leader === this.host.memberId) return await here(deadline)
        if (leader !== 0n) return await remote(leader, deadline - Date.now())
      } catch (err) {
        if (err === Errors.LeaseNotFound || err === Errors.Stopped) throw err
        if (signal?.aborted) throw signal.reason
      }
      if (Date.now() >= deadline) throw leader === 0n ? Errors.NoLeader : Errors.Timeout
      await sleep(this.o.retryMs ?? 100, signal)
    }
  }
}

function toTtlJson(r: LeaseTimeToLiveResponseInit): TtlJson {
  return {
    ID: String(r.ID ?? 0n),
    TTL: r.TTL ?? 0,
    grantedTTL: r.grantedTTL ?? 0,
    keys: (r.keys ?? []).map((k) => Buffer.from(k).toString('base64')),
  }
}

function fromTtlJson(j: TtlJson): LeaseTimeToLiveResponseInit {
  return { ID: BigInt(j.ID), TTL: j.TTL, grantedTTL: j.grantedTTL, keys: j.keys.map((k) => Buffer.from(k, 'base64')) }
}
