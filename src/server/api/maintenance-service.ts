/** etcdserverpb.Maintenance: status, alarms and defragmentation. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreMaintenance } from '../etcdserver/core.js'
import type {
  HashKVRequest,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentRequest,
  DefragmentResponseInit,
  StatusRequest,
} from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function maintenanceService(core: CoreMaintenance, limits: Limits): UntypedServiceImplementation {
  return {
    Status: unary(limits, async (_req: StatusRequest) => core.status(), core),
    HashKV: unary(limits, async (req: HashKVRequest, ctx) => core.hashKV(req, ctx), core),
    Alarm: unary(limits, async (req: AlarmRequest, ctx): Promise<AlarmResponseInit> => core.alarm(req, ctx), core),
    Defragment: unary(
      limits,
      async (_req: DefragmentRequest, ctx): Promise<DefragmentResponseInit> => core.defragment(ctx),
      core,
    ),
  }
}
