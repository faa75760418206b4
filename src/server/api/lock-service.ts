/**
 * v3lockpb.Lock and v3electionpb.Election: etcd's concurrency recipes run on the member, as
 * etcd's v3lock and v3election servers run them against the member's own client. A lease of
 * 0 in a Lock or Campaign request gets a new lease (60 s, not kept alive), as in etcd.
 */
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js'
import type { LockRequest, UnlockRequest } from '../../gen/v3lockpb.js'
import type {
  CampaignRequest,
  LeaderKey,
  LeaderRequest,
  LeaderResponseInit,
  ProclaimRequest,
  ResignRequest,
} from '../../gen/v3electionpb.js'
import { Election, Mutex } from '../../concurrency/recipes.js'
import { CoreRecipeKv, type RecipeCore } from './recipe-core.js'
import { callContext } from './call-context.js'
import { toGrpcError } from './grpc-errors.js'
import type { Limits } from './limits.js'
import { unary } from './unary.js'
import { EtcdError, Errors } from '../../errors/rpctypes.js'
import type { CallContext } from '../etcdserver/core.js'

/** etcd's v3election.ErrMissingLeaderKey. */
export const ErrMissingLeaderKey = '"leader" field must be provided'

const latin1 = (b: Buffer) => b.toString('latin1')

/**
 * etcd's recipes get the member's errors through its client, and hand them on as plain errors:
 * the status is Unknown with the error's text. A deadline or cancellation keeps its code.
 */
function asClientSees(err: unknown): unknown {
  if (err instanceof EtcdError && err !== Errors.DeadlineExceeded && err !== Errors.Canceled)
    return new Error(err.message)
  return err
}

function recipe<Req, Res>(fn: (req: Req, ctx: CallContext) => Promise<Res>) {
  return (req: Req, ctx: CallContext) =>
    fn(req, ctx).catch((err: unknown) => {
      throw asClientSees(err)
    })
}

export function lockService(core: RecipeCore, limits: Limits): UntypedServiceImplementation {
  return {
    Lock: unary(
      limits,
      recipe(async (req: LockRequest, ctx) => {
        const kv = new CoreRecipeKv(core, ctx)
        const lease = await kv.sessionLease(req.lease, ctx.signal)
        const m = new Mutex(kv, lease, latin1(req.name))
        await m.lock(ctx.signal)
        return { header: m.header, key: Buffer.from(m.key, 'latin1') }
      }),
      core,
    ),
    Unlock: unary(
      limits,
      recipe(async (req: UnlockRequest, ctx) => {
        const r = await new CoreRecipeKv(core, ctx).deleteRange({ key: req.key }, ctx.signal)
        return { header: r.header }
      }),
      core,
    ),
  }
}

function resumed(kv: CoreRecipeKv, l: LeaderKey | undefined, lease: bigint): Election {
  if (l === undefined) throw new Error(ErrMissingLeaderKey)
  return Election.resume(kv, lease, latin1(l.name), latin1(l.key), l.rev)
}

type ObserveCall = ServerWritableStream<unknown, LeaderResponseInit>

async function observe(core: RecipeCore, call: ObserveCall): Promise<void> {
  const raw = call.request as { req?: LeaderRequest } & LeaderRequest
  const req: LeaderRequest = raw.req ?? raw
  const ctx = callContext(call)
  const gone = () => ctx.done()
  call.on('close', gone)
  try {
    const e = new Election(new CoreRecipeKv(core, ctx), -1n, latin1(req.name))
    for await (const r of e.observe(ctx.signal)) {
      const header = { ...core.header(), revision: r.header.revision }
      call.write({ header, kv: r.kv })
    }
    if (ctx.signal.aborted) call.destroy(toGrpcError(ctx.signal.reason) as Error)
    else call.end()
  } catch (err) {
    call.destroy(toGrpcError(asClientSees(err)) as Error)
  } finally {
    call.off('close', gone)
    ctx.done()
  }
}

export function electionService(core: RecipeCore, limits: Limits): UntypedServiceImplementation {
  return {
    Campaign: unary(
      limits,
      recipe(async (req: CampaignRequest, ctx) => {
        const kv = new CoreRecipeKv(core, ctx)
        const lease = await kv.sessionLease(req.lease, ctx.signal)
        const e = new Election(kv, lease, latin1(req.name))
        await e.campaign(req.value, ctx.signal)
        return {
          header: e.header,
          leader: { name: req.name, key: Buffer.from(e.key, 'latin1'), rev: e.rev, lease },
        }
      }),
      core,
    ),
    Proclaim: unary(
      limits,
      recipe(async (req: ProclaimRequest, ctx) => {
        if (req.leader === undefined) throw new Error(ErrMissingLeaderKey)
        const kv = new CoreRecipeKv(core, ctx)
        const e = resumed(kv, req.leader, await kv.sessionLease(req.leader.lease, ctx.signal))
        await e.proclaim(req.value, ctx.signal)
        return { header: e.header }
      }),
      core,
    ),
    Leader: unary(
      limits,
      recipe(async (req: LeaderRequest, ctx) => {
        const l = await new Election(new CoreRecipeKv(core, ctx), -1n, latin1(req.name)).leader(ctx.signal)
        return { header: l.header, kv: l.kvs[0] }
      }),
      core,
    ),
    Observe: (call: ObserveCall) => void observe(core, call),
    Resign: unary(
      limits,
      recipe(async (req: ResignRequest, ctx) => {
        if (req.leader === undefined) throw new Error(ErrMissingLeaderKey)
        const kv = new CoreRecipeKv(core, ctx)
        const e = resumed(kv, req.leader, await kv.sessionLease(req.leader.lease, ctx.signal))
        await e.resign(ctx.signal)
        return { header: e.header }
      }),
      core,
    ),
  }
}
