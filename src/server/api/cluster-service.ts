/** etcdserverpb.Cluster: the member list (membership changes are not served yet). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { Core } from '../etcdserver/core.js'
import type { MemberListRequest, MemberListResponseInit } from '../../gen/etcdserverpb.js'
import type { MemberList } from '../membership/member-list.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function clusterService(core: Core, members: MemberList, limits: Limits): UntypedServiceImplementation {
  return {
    MemberList: unary(limits, async (_req: MemberListRequest): Promise<MemberListResponseInit> => ({ members: await members.list() }), core),
  }
}
