/** etcdserverpb.Maintenance: status, hashes, leadership transfer, alarms and defragmentation. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreMaintenance } from '../etcdserver/core.js'
import type {
  HashKVRequest,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentRequest,
  DefragmentResponseInit,
  StatusRequest,
  HashRequest,
  MoveLeaderRequest,
} from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function maintenanceService(core: CoreMaintenance, limits: Limits): UntypedServiceImplementation {
  return {
    Status: unary(limits, async (_req: StatusRequest) => core.status(), core),
    HashKV: unary(limits, async (req: HashKVRequest) => core.hashKV(req), core),
    Hash: unary(limits, async (_req: HashRequest) => core.hash(), core),
    MoveLeader: unary(limits, (req: MoveLeaderRequest, ctx) => core.moveLeader(req, ctx), core),
    // No alarm is ever raised yet: the list is empty and activating/deactivating is accepted.
    Alarm: unary(limits, async (_req: AlarmRequest): Promise<AlarmResponseInit> => ({ alarms: [] }), core),
    // RocksDB compacts itself in the background; there is nothing to defragment.
    Defragment: unary(limits, async (_req: DefragmentRequest): Promise<DefragmentResponseInit> => ({}), core),
  }
}
