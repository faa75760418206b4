/**
 * clientv3/concurrency for tsetcd's lock and elect commands and for programs: a Session (a
 * lease kept alive) and the Mutex and Election recipes over the client. Works against tsetcd
 * and a real etcd.
 *
 * The recipes' calls survive the loss of the endpoint serving them: a call that fails because
 * the endpoint is unavailable is made again on a new connection (every endpoint is dialed,
 * the first to answer serves). Each call the recipes make is safe to repeat: their writes are
 * guarded by a comparison on the key's create revision, or are deletes.
 */
import * as grpc from '@grpc/grpc-js'
import {
  KVService,
  LeaseService,
  type DeleteRangeRequestInit,
  type LeaseKeepAliveResponse,
  type RangeRequestInit,
  type TxnRequestInit,
  type WatchResponse,
} from '../gen/etcdserverpb.js'
import { Election, Mutex, type RecipeKv, type RecipeWatch } from '../concurrency/recipes.js'
import { ClientError, toClientError, type EtcdClient, type Method } from './client.js'
import { RETRY_CONN_WAIT_MS } from './lease.js'
import { WatchSession, type Dial, type Watch } from './watch.js'

export {
  Election,
  Mutex,
  ErrElectionNoLeader,
  ErrElectionNotLeader,
  ErrSessionExpired,
} from '../concurrency/recipes.js'

/** clientv3's default session TTL, in seconds. */
export const DEFAULT_SESSION_TTL = 60

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function withSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

function retriable(err: unknown): boolean {
  return err instanceof ClientError && err.code === grpc.status.UNAVAILABLE
}

/** A connection that is dialed again when its endpoint becomes unavailable. */
export class Redialing implements RecipeKv {
  private redialing: Promise<void> | undefined
  private watches: WatchSession | undefined
  private closed = false

  constructor(
    public client: EtcdClient,
    private readonly dial: Dial,
  ) {}

  /** A unary call, made again on a new connection while the endpoint is unavailable. */
  async call<Req, Res>(method: Method<Req, Res>, req: Req, signal?: AbortSignal, timeoutMs = Infinity): Promise<Res> {
    for (;;) {
      if (signal?.aborted) throw signal.reason
      const c = this.client
      try {
        return await withSignal(c.call(method, req, timeoutMs), signal)
      } catch (err) {
        if (!retriable(err) || this.closed) throw err
        await this.redial(c, signal)
      }
    }
  }

  private async redial(failed: EtcdClient, signal?: AbortSignal): Promise<void> {
    if (this.client !== failed) return
    this.redialing ??= (async () => {
      while (!this.closed) {
        await sleep(RETRY_CONN_WAIT_MS)
        try {
          const c = await this.dial()
          if (this.closed) {
            c.close()
            return
          }
          this.client = c
          failed.close()
          return
        } catch {
          // no endpoint answered yet
        }
      }
    })().finally(() => (this.redialing = undefined))
    await withSignal(this.redialing, signal)
  }

  txn(req: TxnRequestInit, signal?: AbortSignal) {
    return this.call(KVService.Txn, req, signal)
  }

  range(req: RangeRequestInit, signal?: AbortSignal) {
    return this.call(KVService.Range, req, signal)
  }

  deleteRange(req: DeleteRangeRequestInit, signal?: AbortSignal) {
    return this.call(KVService.DeleteRange, req, signal)
  }

  watch(o: { key: Buffer; rangeEnd?: Buffer; startRevision: number }, signal?: AbortSignal): RecipeWatch {
    let w: Watch | undefined
    let canceled = false
    const opened = (async () => {
      this.watches ??= WatchSession.open(await this.dial(), this.dial)
      if (canceled) return undefined
      w = this.watches.watch({ key: o.key, rangeEnd: o.rangeEnd, startRevision: o.startRevision })
      return w
    })()
    const cancel = () => {
      canceled = true
      w?.cancel()
    }
    signal?.addEventListener('abort', cancel, { once: true })
    return {
      next: async (): Promise<WatchResponse | undefined> => {
        const watch = await opened.catch(() => undefined)
        if (watch === undefined) return undefined
        for (;;) {
          const r = await watch.next()
          if (r === undefined || r.canceled || r.compact_revision !== 0) return undefined
          if (r.events.length > 0) return r
        }
      },
      cancel: () => {
        signal?.removeEventListener('abort', cancel)
        cancel()
      },
    }
  }

  close(): void {
    this.closed = true
    this.watches?.close()
    this.client.close()
  }
}

/** One renewal on a stream of its own, bounded by `timeoutMs`. */
function renew(client: EtcdClient, id: bigint, timeoutMs: number): Promise<LeaseKeepAliveResponse> {
  return new Promise((resolve, reject) => {
    const call = client.duplex(LeaseService.LeaseKeepAlive)
    let settled = false
    const settle = (f: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      f()
      call.cancel()
    }
    const timer = setTimeout(
      () => settle(() => reject(new ClientError('context deadline exceeded', grpc.status.UNAVAILABLE))),
      timeoutMs,
    )
    call.on('data', (r: LeaseKeepAliveResponse) => settle(() => resolve(r)))
    call.on('error', (err: grpc.ServiceError) => settle(() => reject(toClientError(err))))
    call.on('end', () => settle(() => reject(new ClientError('EOF', grpc.status.UNAVAILABLE))))
    call.write({ ID: id })
  })
}

/**
 * clientv3's concurrency.Session: a lease (granted with `ttl` seconds, or one given) kept alive
 * with a renewal every third of its TTL. `done` resolves when the lease is lost: a renewal
 * found it gone, or none succeeded within its TTL.
 */
export class Session {
  readonly done: Promise<void>
  private stopped = false
  private finish!: () => void
  private timer: NodeJS.Timeout | undefined

  private constructor(
    readonly conn: Redialing,
    readonly lease: bigint,
    readonly ttl: number,
  ) {
    this.done = new Promise<void>((r) => (this.finish = r))
  }

  static async create(conn: Redialing, ttl = DEFAULT_SESSION_TTL, signal?: AbortSignal): Promise<Session> {
    if (ttl <= 0) ttl = DEFAULT_SESSION_TTL
    const g = await conn.call(LeaseService.LeaseGrant, { TTL: ttl }, signal)
    const s = new Session(conn, g.ID, ttl)
    s.keepAlive(g.TTL)
    return s
  }

  private keepAlive(grantedTTL: number): void {
    let deadline = Date.now() + grantedTTL * 1000
    let nextSend = Date.now() + (grantedTTL * 1000) / 3
    const tick = async (): Promise<void> => {
      this.timer = undefined
      if (this.stopped) return
      if (Date.now() > deadline) return this.end()
      if (Date.now() >= nextSend) {
        const c = this.conn.client
        try {
          const r = await renew(c, this.lease, Math.max(1000, deadline - Date.now()))
          if (this.stopped) return
          if (r.TTL <= 0) return this.end()
          deadline = Date.now() + r.TTL * 1000
          nextSend = Date.now() + (r.TTL * 1000) / 3
        } catch (err) {
          if (this.stopped) return
          if (!retriable(err)) {
            if (err instanceof ClientError && err.code === grpc.status.NOT_FOUND) return this.end()
          }
          // Renew through another endpoint next time, if this one is gone.
          this.conn.call(KVService.Range, { key: Buffer.from([0]), limit: 1, keys_only: true }).catch(() => undefined)
        }
      }
      this.timer = setTimeout(() => void tick(), RETRY_CONN_WAIT_MS)
    }
    this.timer = setTimeout(() => void tick(), RETRY_CONN_WAIT_MS)
  }

  private end(): void {
    this.orphan()
  }

  /** Stops renewing the lease (it then expires on its own). */
  orphan(): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.finish()
  }

  /** Stops renewing and revokes the lease. */
  async close(): Promise<void> {
    this.orphan()
    await this.conn.call(LeaseService.LeaseRevoke, { ID: this.lease }, undefined, this.ttl * 1000)
  }

  mutex(name: string): Mutex {
    return new Mutex(this.conn, this.lease, name)
  }

  election(name: string): Election {
    return new Election(this.conn, this.lease, name)
  }
}
