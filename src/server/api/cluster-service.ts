/** etcdserverpb.Cluster: the member list (membership changes are not served yet). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreCluster } from '../etcdserver/core.js'
import type { MemberListRequest } from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function clusterService(core: CoreCluster, limits: Limits): UntypedServiceImplementation {
  return {
    MemberList: unary(limits, (_req: MemberListRequest) => core.memberList(), core),
  }
}
