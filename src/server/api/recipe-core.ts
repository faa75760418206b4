/**
 * The concurrency recipes' calls (RecipeKv) made on the member's core, as etcd's Lock and
 * Election services make them through the member's own client: every call goes through
 * the core (raft for writes, ReadIndex for reads, the watch hub), with the caller's context
 * (its deadline, its auth token). Requests and results cross as the gRPC services see them:
 * encoded and decoded, so the recipes get fully populated messages with headers.
 */
import {
  decodeDeleteRangeRequest,
  decodeDeleteRangeResponse,
  decodeRangeRequest,
  decodeRangeResponse,
  decodeTxnRequest,
  decodeTxnResponse,
  decodeWatchRequest,
  decodeWatchResponse,
  encodeDeleteRangeRequest,
  encodeDeleteRangeResponse,
  encodeRangeRequest,
  encodeTxnRequest,
  encodeTxnResponse,
  encodeWatchRequest,
  type DeleteRangeRequestInit,
  type RangeRequestInit,
  type ResponseHeaderInit,
  type TxnRequestInit,
  type WatchResponse,
} from '../../gen/etcdserverpb.js'
import type { RecipeKv, RecipeWatch } from '../../concurrency/recipes.js'
import type { CallContext, CoreKv, CoreLease, CoreWatch } from '../etcdserver/core.js'
import { encodeRangeResult } from './range-encoding.js'

export type RecipeCore = CoreKv & CoreWatch & CoreLease

/** The member's header, with the revision the result was computed at when it says. */
function headerFor(core: RecipeCore, res: { header?: ResponseHeaderInit }): ResponseHeaderInit {
  const h = core.header()
  if (res.header?.revision) h.revision = res.header.revision
  return h
}

export class CoreRecipeKv implements RecipeKv {
  constructor(
    private readonly core: RecipeCore,
    private readonly ctx: CallContext,
  ) {}

  private with(signal?: AbortSignal): CallContext {
    return signal === undefined ? this.ctx : { ...this.ctx, signal }
  }

  async txn(req: TxnRequestInit, signal?: AbortSignal) {
    const res = await this.core.txn(decodeTxnRequest(encodeTxnRequest(req)), this.with(signal))
    return decodeTxnResponse(encodeTxnResponse({ ...res, header: headerFor(this.core, res) }))
  }

  async range(req: RangeRequestInit, signal?: AbortSignal) {
    const res = await this.core.range(decodeRangeRequest(encodeRangeRequest(req)), this.with(signal))
    return decodeRangeResponse(encodeRangeResult({ ...res, header: headerFor(this.core, res) }))
  }

  async deleteRange(req: DeleteRangeRequestInit, signal?: AbortSignal) {
    const res = await this.core.deleteRange(decodeDeleteRangeRequest(encodeDeleteRangeRequest(req)), this.with(signal))
    return decodeDeleteRangeResponse(encodeDeleteRangeResponse({ ...res, header: headerFor(this.core, res) }))
  }

  /** A watch stream of its own on the core, with one watcher. */
  watch(o: { key: Buffer; rangeEnd?: Buffer; startRevision: number }, signal?: AbortSignal): RecipeWatch {
    const queue: WatchResponse[] = []
    let waiter: ((r: WatchResponse | undefined) => void) | undefined
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      handle.close()
      signal?.removeEventListener('abort', end)
      const w = waiter
      waiter = undefined
      w?.(undefined)
    }
    const handle = this.core.watch(
      {
        writable: true,
        headroom: 0,
        send: (b: Buffer) => {
          if (ended) return
          const r = decodeWatchResponse(b)
          if (r.canceled || r.compact_revision !== 0) return end()
          if (r.events.length === 0) return
          const w = waiter
          if (w !== undefined) {
            waiter = undefined
            w(r)
          } else queue.push(r)
        },
        close: end,
      },
      this.ctx,
    )
    handle.request(
      decodeWatchRequest(
        encodeWatchRequest({
          create_request: { key: o.key, range_end: o.rangeEnd, start_revision: o.startRevision },
        }),
      ),
    )
    if (signal?.aborted) end()
    else signal?.addEventListener('abort', end, { once: true })
    return {
      next: () => {
        const r = queue.shift()
        if (r !== undefined || ended) return Promise.resolve(r)
        return new Promise((resolve) => (waiter = resolve))
      },
      cancel: end,
    }
  }

  /** A session's lease: the one given, or (for 0) a new one with clientv3's default TTL, left to expire. */
  async sessionLease(lease: bigint, signal?: AbortSignal): Promise<bigint> {
    if (lease !== 0n) return lease
    const g = await this.core.leaseGrant({ TTL: 60, ID: 0n }, this.with(signal))
    return BigInt(g.ID ?? 0n)
  }
}
