/**
 * etcdserverpb.Lease: grant, revoke, time-to-live and list as unary calls, keep-alive as a
 * bidirectional stream whose renewals are answered in order. As etcd's v3rpc layer: an
 * unknown lease answers TimeToLive with TTL -1 and KeepAlive with TTL 0; other errors end
 * the keep-alive stream with their status.
 */
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js'
import type {
  LeaseGrantRequest,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponseInit,
  LeaseRevokeRequest,
  LeaseTimeToLiveRequest,
} from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'
import type { CoreLease } from '../etcdserver/core.js'
import { toGrpcError } from './grpc-errors.js'
import type { Limits } from './limits.js'
import { unary } from './unary.js'

type KeepAliveCall = ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponseInit>

export function leaseService(core: CoreLease, limits: Limits): UntypedServiceImplementation {
  return {
    LeaseGrant: unary(limits, (req: LeaseGrantRequest, ctx) => core.leaseGrant(req, ctx), core),
    LeaseRevoke: unary(limits, (req: LeaseRevokeRequest, ctx) => core.leaseRevoke(req, ctx), core),
    LeaseTimeToLive: unary(
      limits,
      async (req: LeaseTimeToLiveRequest, ctx) => {
        try {
          return await core.leaseTimeToLive(req, ctx)
        } catch (err) {
          if (err === Errors.LeaseNotFound) return { ID: req.ID, TTL: -1 }
          throw err
        }
      },
      core,
    ),
    LeaseLeases: unary(limits, () => core.leaseLeases(), core),
    LeaseKeepAlive: (call: KeepAliveCall) => keepAlive(call, core),
  }
}

function keepAlive(call: KeepAliveCall, core: CoreLease): void {
  let done = false
  let chain = Promise.resolve()
  // Renewals still waiting (for a leader, for a revoke) stop when the stream ends.
  const ac = new AbortController()
  const end = () => {
    done = true
    ac.abort(Errors.Canceled)
  }
  call.on('cancelled', end)
  call.on('error', end)
  call.on('close', end)
  call.on('end', () => {
    void chain.then(() => {
      if (!done) call.end()
      done = true
    })
  })
  call.on('data', (req: LeaseKeepAliveRequest) => {
    const header = core.header()
    chain = chain.then(async () => {
      if (done) return
      let TTL: number
      try {
        TTL = await core.leaseRenew(req.ID, { signal: ac.signal })
      } catch (err) {
        if (done) return
        if (err !== Errors.LeaseNotFound) {
          done = true
          call.emit('error', toGrpcError(err))
          return
        }
        TTL = 0
      }
      if (!done) call.write({ header, ID: req.ID, TTL })
    })
  })
}
