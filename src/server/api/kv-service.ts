/**
 * etcdserverpb.KV: validates requests as etcd's v3rpc layer does, calls the core and
 * fills the response header. Errors become gRPC statuses in one place (grpc-errors.ts).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import { Errors } from '../../errors/rpctypes.js'
import type { CoreKv } from '../etcdserver/core.js'
import type {
  PutRequest,
  RangeRequest,
  DeleteRangeRequest,
  TxnRequest,
  CompactionRequest,
} from '../../gen/etcdserverpb.js'
import { checkTxnRequest } from './txn-check.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function kvService(core: CoreKv, limits: Limits): UntypedServiceImplementation {
  return {
    Range: unary(
      limits,
      (req: RangeRequest, ctx) => {
        if (req.key.length === 0) return Promise.reject(Errors.EmptyKey)
        return core.range(req, ctx)
      },
      core,
    ),
    Put: unary(
      limits,
      // Not async: a put's promise is the core's own (one promise less per call).
      (req: PutRequest, ctx) => {
        if (req.key.length === 0) return Promise.reject(Errors.EmptyKey)
        if (req.ignore_value && req.value.length !== 0) return Promise.reject(Errors.ValueProvided)
        if (req.ignore_lease && req.lease !== 0n) return Promise.reject(Errors.LeaseProvided)
        return core.put(req, ctx)
      },
      core,
    ),
    DeleteRange: unary(
      limits,
      (req: DeleteRangeRequest, ctx) => {
        if (req.key.length === 0) return Promise.reject(Errors.EmptyKey)
        return core.deleteRange(req, ctx)
      },
      core,
    ),
    Txn: unary(
      limits,
      (req: TxnRequest, ctx) => {
        try {
          checkTxnRequest(req, limits.maxTxnOps)
        } catch (err) {
          return Promise.reject(err)
        }
        return core.txn(req, ctx)
      },
      core,
    ),
    Compact: unary(limits, async (req: CompactionRequest, ctx) => core.compact(req, ctx), core),
  }
}
