/**
 * etcd's concurrency recipes (clientv3/concurrency): a mutex and an election built on a
 * lease, transactions on create revisions, and watches for the deletion of the key ahead.
 * They run against any `RecipeKv`: the client library over gRPC (tsetcd's lock and elect
 * commands, programs) and the member's core (the Lock and Election services), so both
 * behave alike and work against a real etcd.
 *
 * Keys: `<name>/<lease ID in hex>`; the owner of a lock or an election is the key with the
 * lowest create revision under `<name>/`. A waiter waits, one key at a time, for the
 * deletion of every key created before its own.
 */
import type {
  DeleteRangeRequestInit,
  DeleteRangeResponse,
  RangeRequestInit,
  RangeResponse,
  ResponseHeader,
  TxnRequestInit,
  TxnResponse,
  WatchResponse,
} from '../gen/etcdserverpb.js'
import type { KeyValue } from '../gen/mvccpb.js'

/** The calls the recipes make. `signal` abandons a call (it then rejects with the signal's reason). */
export interface RecipeKv {
  txn(req: TxnRequestInit, signal?: AbortSignal): Promise<TxnResponse>
  range(req: RangeRequestInit, signal?: AbortSignal): Promise<RangeResponse>
  deleteRange(req: DeleteRangeRequestInit, signal?: AbortSignal): Promise<DeleteRangeResponse>
  /** A watch from `startRevision` (inclusive) on `key`, or on [key, rangeEnd). */
  watch(o: { key: Buffer; rangeEnd?: Buffer; startRevision: number }, signal?: AbortSignal): RecipeWatch
}

export interface RecipeWatch {
  /** The next response with events; undefined once the watch ended (canceled, or the signal fired). */
  next(): Promise<WatchResponse | undefined>
  cancel(): void
}

export const ErrElectionNotLeader = 'election: not leader'
export const ErrElectionNoLeader = 'election: no leader'
export const ErrLostWatcher = 'lost watcher waiting for delete'
export const ErrSessionExpired = 'mutex: session is expired'

const CMP_EQUAL = 0
const CMP_CREATE = 1
const SORT_DESCEND = 2
const SORT_ASCEND = 1
const SORT_CREATE = 2
const EVENT_PUT = 0
const EVENT_DELETE = 1

/** The smallest key greater than every key with this prefix ("\0" when none exists). */
export function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1))
      end[i]++
      return end
    }
  }
  return Buffer.from([0])
}

/** The key a session's lease holds under a prefix: clientv3's `fmt.Sprintf("%s%x", pfx, lease)`. */
export function leaseKey(pfx: string, lease: bigint): string {
  return `${pfx}${lease.toString(16)}`
}

function firstCreate(pfx: string): RangeRequestInit {
  const key = Buffer.from(pfx, 'latin1')
  return { key, range_end: prefixEnd(key), sort_target: SORT_CREATE, sort_order: SORT_ASCEND, limit: 1 }
}

function createRevIs(key: string, rev: number) {
  return { result: CMP_EQUAL, target: CMP_CREATE, key: Buffer.from(key, 'latin1'), create_revision: rev }
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason
}

/** Waits for the deletion of `key` at or after `rev`. */
export async function waitDelete(kv: RecipeKv, key: string, rev: number, signal?: AbortSignal): Promise<void> {
  const w = kv.watch({ key: Buffer.from(key, 'latin1'), startRevision: rev }, signal)
  try {
    for (;;) {
      const r = await w.next()
      if (r === undefined) break
      if (r.events.some((e) => e.type === EVENT_DELETE)) return
    }
  } finally {
    w.cancel()
  }
  aborted(signal)
  throw new Error(ErrLostWatcher)
}

/** Waits until no key under `pfx` has a create revision up to `maxCreateRev`; the last range's header. */
export async function waitDeletes(
  kv: RecipeKv,
  pfx: string,
  maxCreateRev: number,
  signal?: AbortSignal,
): Promise<ResponseHeader | undefined> {
  const key = Buffer.from(pfx, 'latin1')
  for (;;) {
    aborted(signal)
    const resp = await kv.range(
      {
        key,
        range_end: prefixEnd(key),
        sort_target: SORT_CREATE,
        sort_order: SORT_DESCEND,
        limit: 1,
        max_create_revision: maxCreateRev,
      },
      signal,
    )
    if (resp.kvs.length === 0) return resp.header
    await waitDelete(kv, resp.kvs[0].key.toString('latin1'), resp.header?.revision ?? 0, signal)
  }
}

/** clientv3's concurrency.Mutex. */
export class Mutex {
  private readonly pfx: string
  private myKey = ''
  private myRev = -1
  private hdr: ResponseHeader | undefined

  constructor(
    private readonly kv: RecipeKv,
    private readonly lease: bigint,
    name: string,
  ) {
    this.pfx = `${name}/`
  }

  /** Acquires the lock: resolves once every key created before ours is gone. */
  async lock(signal?: AbortSignal): Promise<void> {
    this.myKey = leaseKey(this.pfx, this.lease)
    const k = Buffer.from(this.myKey, 'latin1')
    const getOwner = { request_range: firstCreate(this.pfx) }
    const resp = await this.kv.txn(
      {
        compare: [createRevIs(this.myKey, 0)],
        success: [{ request_put: { key: k, value: Buffer.alloc(0), lease: this.lease } }, getOwner],
        failure: [{ request_range: { key: k } }, getOwner],
      },
      signal,
    )
    this.myRev = resp.header?.revision ?? 0
    if (!resp.succeeded) this.myRev = resp.responses[0].response_range!.kvs[0].create_revision
    const owner = resp.responses[1].response_range?.kvs ?? []
    if (owner.length === 0 || owner[0].create_revision === this.myRev) {
      this.hdr = resp.header
      return
    }
    let own: RangeResponse
    try {
      await waitDeletes(this.kv, this.pfx, this.myRev - 1, signal)
      // Our key may have gone while we waited (the session's lease expired, or was revoked, and
      // deleted it, maybe in the same revision as the key before it): then the lock is not ours,
      // and whoever created a key after ours may hold it already. etcd 3.5's Mutex checks the same.
      own = await this.kv.range({ key: k }, signal)
    } catch (err) {
      await this.unlock().catch(() => undefined)
      throw err
    }
    if (own.kvs.length === 0) throw new Error(ErrSessionExpired)
    this.hdr = own.header
  }

  async unlock(signal?: AbortSignal): Promise<DeleteRangeResponse> {
    const r = await this.kv.deleteRange({ key: Buffer.from(this.myKey, 'latin1') }, signal)
    this.myKey = '\x00'
    this.myRev = -1
    return r
  }

  /** A comparison that holds while this mutex holds the lock. */
  isOwner() {
    return createRevIs(this.myKey, this.myRev)
  }

  get key(): string {
    return this.myKey
  }

  get header(): ResponseHeader | undefined {
    return this.hdr
  }
}

/** clientv3's concurrency.Election. */
export class Election {
  private readonly keyPrefix: string
  private leaderKey = ''
  private leaderRev = 0
  private leading = false
  private hdr: ResponseHeader | undefined

  constructor(
    private readonly kv: RecipeKv,
    private readonly lease: bigint,
    name: string,
  ) {
    this.keyPrefix = `${name}/`
  }

  /** An election whose leadership is already held (etcd's ResumeElection); `pfx` is the key prefix as given. */
  static resume(kv: RecipeKv, lease: bigint, pfx: string, leaderKey: string, leaderRev: number): Election {
    const e = new Election(kv, lease, '')
    ;(e as unknown as { keyPrefix: string }).keyPrefix = pfx
    e.leaderKey = leaderKey
    e.leaderRev = leaderRev
    e.leading = true
    return e
  }

  /** Puts a value as eligible and waits until it leads. */
  async campaign(val: Buffer, signal?: AbortSignal): Promise<void> {
    const k = leaseKey(this.keyPrefix, this.lease)
    const kb = Buffer.from(k, 'latin1')
    const resp = await this.kv.txn(
      {
        compare: [createRevIs(k, 0)],
        success: [{ request_put: { key: kb, value: val, lease: this.lease } }],
        failure: [{ request_range: { key: kb } }],
      },
      signal,
    )
    this.leaderKey = k
    this.leaderRev = resp.header?.revision ?? 0
    this.leading = true
    if (!resp.succeeded) {
      const kv = resp.responses[0].response_range!.kvs[0]
      this.leaderRev = kv.create_revision
      if (!kv.value.equals(val)) {
        try {
          await this.proclaim(val, signal)
        } catch (err) {
          await this.resign().catch(() => undefined)
          throw err
        }
      }
    }
    try {
      await waitDeletes(this.kv, this.keyPrefix, this.leaderRev - 1, signal)
    } catch (err) {
      if (signal?.aborted) await this.resign().catch(() => undefined)
      else this.leading = false
      throw err
    }
    this.hdr = resp.header
  }

  /** Sets the leader's value without another election. */
  async proclaim(val: Buffer, signal?: AbortSignal): Promise<void> {
    if (!this.leading) throw new Error(ErrElectionNotLeader)
    const kb = Buffer.from(this.leaderKey, 'latin1')
    const r = await this.kv.txn(
      {
        compare: [createRevIs(this.leaderKey, this.leaderRev)],
        success: [{ request_put: { key: kb, value: val, lease: this.lease } }],
      },
      signal,
    )
    if (!r.succeeded) {
      this.leaderKey = ''
      throw new Error(ErrElectionNotLeader)
    }
    this.hdr = r.header
  }

  /** Gives up leadership (nothing happens when not leading). */
  async resign(signal?: AbortSignal): Promise<void> {
    if (!this.leading) return
    try {
      const r = await this.kv.txn(
        {
          compare: [createRevIs(this.leaderKey, this.leaderRev)],
          success: [{ request_delete_range: { key: Buffer.from(this.leaderKey, 'latin1') } }],
        },
        signal,
      )
      this.hdr = r.header
    } finally {
      this.leaderKey = ''
      this.leading = false
    }
  }

  /** The current leader's key-value (the first created under the prefix). */
  async leader(signal?: AbortSignal): Promise<RangeResponse> {
    const r = await this.kv.range(firstCreate(this.keyPrefix), signal)
    if (r.kvs.length === 0) throw new Error(ErrElectionNoLeader)
    return r
  }

  /**
   * Every leader's value in order, as a range response holding one key-value: the current
   * leader (or the first to come), each of its proclamations, then the next leader once its
   * key is deleted. Ends when a call fails or the signal fires.
   */
  async *observe(signal?: AbortSignal): AsyncGenerator<{ header: ResponseHeader; kv: KeyValue }> {
    const pfx = Buffer.from(this.keyPrefix, 'latin1')
    for (;;) {
      if (signal?.aborted) return
      let resp: RangeResponse
      try {
        resp = await this.kv.range(firstCreate(this.keyPrefix), signal)
      } catch {
        return
      }
      let kv: KeyValue | undefined
      let hdr: ResponseHeader | undefined
      if (resp.kvs.length === 0) {
        const w = this.kv.watch(
          { key: pfx, rangeEnd: prefixEnd(pfx), startRevision: resp.header?.revision ?? 0 },
          signal,
        )
        try {
          while (kv === undefined) {
            const wr = await w.next()
            if (wr === undefined) return
            const put = wr.events.find((e) => e.type === EVENT_PUT)
            if (put !== undefined) {
              kv = put.kv!
              hdr = { ...wr.header!, revision: kv.mod_revision }
            }
          }
        } finally {
          w.cancel()
        }
      } else {
        hdr = resp.header!
        kv = resp.kvs[0]
      }
      if (signal?.aborted) return
      yield { header: hdr!, kv }
      const w = this.kv.watch({ key: kv.key, startRevision: hdr!.revision + 1 }, signal)
      try {
        let deleted = false
        while (!deleted) {
          const wr = await w.next()
          if (wr === undefined) return
          for (const ev of wr.events) {
            if (ev.type === EVENT_DELETE) {
              deleted = true
              break
            }
            if (signal?.aborted) return
            yield { header: wr.header!, kv: ev.kv! }
          }
        }
      } finally {
        w.cancel()
      }
    }
  }

  get key(): string {
    return this.leaderKey
  }

  get rev(): number {
    return this.leaderRev
  }

  get header(): ResponseHeader | undefined {
    return this.hdr
  }
}
