/**
 * etcdserverpb.Cluster: the member list and membership changes. As etcd's ClusterServer, the
 * response header names the cluster, the member and the raft term, not a revision.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreCluster, CoreHeader } from '../etcdserver/core.js'
import type {
  MemberAddRequest,
  MemberListRequest,
  MemberPromoteRequest,
  MemberRemoveRequest,
  MemberUpdateRequest,
} from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import type { Limits } from './limits.js'

export function clusterService(core: CoreCluster, limits: Limits): UntypedServiceImplementation {
  const header: CoreHeader = { header: () => ({ ...core.header(), revision: 0 }) }
  return {
    MemberList: unary(limits, (req: MemberListRequest, ctx) => core.memberList(req, ctx), header),
    MemberAdd: unary(limits, (req: MemberAddRequest, ctx) => core.memberAdd(req, ctx), header),
    MemberRemove: unary(limits, (req: MemberRemoveRequest, ctx) => core.memberRemove(req, ctx), header),
    MemberUpdate: unary(limits, (req: MemberUpdateRequest, ctx) => core.memberUpdate(req, ctx), header),
    MemberPromote: unary(limits, (req: MemberPromoteRequest, ctx) => core.memberPromote(req, ctx), header),
  }
}
