/**
 * The member's Core: the one interface the client-facing services reach it through. KV and
 * maintenance go to the server (raft), leases to the lease operations, the member list and
 * membership changes to membership (a learner refuses writes and linearizable reads), watches to the watch hub (responses encoded here, see watch-stream.ts).
 */
import type {
  CompactionRequest,
  CompactionResponseInit,
  DeleteRangeRequest,
  DeleteRangeResponseInit,
  LeaseGrantRequest,
  LeaseGrantResponseInit,
  LeaseLeasesResponseInit,
  LeaseRevokeRequest,
  LeaseRevokeResponseInit,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponseInit,
  MemberAddRequest,
  MemberAddResponseInit,
  MemberListResponseInit,
  MemberPromoteRequest,
  MemberPromoteResponseInit,
  MemberRemoveRequest,
  MemberRemoveResponseInit,
  MemberUpdateRequest,
  MemberUpdateResponseInit,
  PutRequest,
  PutResponseInit,
  RangeRequest,
  ResponseHeaderInit,
  StatusResponseInit,
  HashKVRequest,
  HashKVResponseInit,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentResponseInit,
  HashResponseInit,
  MemberListRequest,
  MoveLeaderRequest,
  MoveLeaderResponseInit,
  TxnRequest,
  TxnResponseInit,
  AuthenticateRequest,
  AuthenticateResponseInit,
  AuthEnableResponseInit,
  AuthDisableResponseInit,
  AuthStatusResponseInit,
  AuthUserAddRequest,
  AuthUserAddResponseInit,
  AuthUserGetRequest,
  AuthUserGetResponseInit,
  AuthUserListResponseInit,
  AuthUserDeleteRequest,
  AuthUserDeleteResponseInit,
  AuthUserChangePasswordRequest,
  AuthUserChangePasswordResponseInit,
  AuthUserGrantRoleRequest,
  AuthUserGrantRoleResponseInit,
  AuthUserRevokeRoleRequest,
  AuthUserRevokeRoleResponseInit,
  AuthRoleAddRequest,
  AuthRoleAddResponseInit,
  AuthRoleGetRequest,
  AuthRoleGetResponseInit,
  AuthRoleListResponseInit,
  AuthRoleDeleteRequest,
  AuthRoleDeleteResponseInit,
  AuthRoleGrantPermissionRequest,
  AuthRoleGrantPermissionResponseInit,
  AuthRoleRevokePermissionRequest,
  AuthRoleRevokePermissionResponseInit,
} from '../../gen/etcdserverpb.js'
import type { LeaseCore } from '../lease/lease-core.js'
import type { MemberList } from '../membership/member-list.js'
import { Errors } from '../../errors/rpctypes.js'
import type { Reconfig } from './reconfig.js'
import type { WatchHub } from '../watch/hub.js'
import type {
  CallContext,
  Core,
  CoreKv,
  CoreMaintenance,
  CoreSnapshot,
  DatabaseSnapshot,
  RangeResultInit,
  WatchResponseSink,
  WatchStreamHandle,
} from './core.js'
import { HeaderBytes, openWatchStream } from './watch-stream.js'
import type { AuthGate } from './auth-gate.js'

export interface MemberCoreParts {
  server: CoreKv &
    Omit<CoreMaintenance, 'moveLeader'> & {
      /** Resolves once everything committed before the call is applied here (a ReadIndex round). */
      linearizableReadNotify(ctx?: CallContext): Promise<void>
    }
  leases: LeaseCore
  members: MemberList
  reconfig: Reconfig
  watches: WatchHub
  /** Copies of the database for Maintenance.Snapshot. */
  snapshots: CoreSnapshot
  /** A watch response at least this large is split for watchers that accept fragments. */
  watchFragmentBytes: number
  auth: AuthGate
}

export class MemberCore implements Core {
  private readonly headers: HeaderBytes

  constructor(private readonly p: MemberCoreParts) {
    this.headers = new HeaderBytes(p.server)
  }

  header(): ResponseHeaderInit {
    return this.p.server.header()
  }

  range(req: RangeRequest, ctx?: CallContext): Promise<RangeResultInit> {
    if (!req.serializable && this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.server.range(req, ctx)
  }

  put(req: PutRequest, ctx?: CallContext): Promise<PutResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.server.put(req, ctx)
  }

  deleteRange(req: DeleteRangeRequest, ctx?: CallContext): Promise<DeleteRangeResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.server.deleteRange(req, ctx)
  }

  txn(req: TxnRequest, ctx?: CallContext): Promise<TxnResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.server.txn(req, ctx)
  }

  compact(req: CompactionRequest, ctx?: CallContext): Promise<CompactionResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.server.compact(req, ctx)
  }

  async status(): Promise<StatusResponseInit> {
    return { ...(await this.p.server.status()), isLearner: this.learner() }
  }

  /** A learner serves serializable reads and status only (etcd: rpc not supported for learner). */
  private learner(): boolean {
    return this.p.reconfig.isLearner
  }

  hashKV(req: HashKVRequest, ctx?: CallContext): Promise<HashKVResponseInit> {
    return this.p.server.hashKV(req, ctx)
  }

  alarm(req: AlarmRequest, ctx?: CallContext): Promise<AlarmResponseInit> {
    return this.p.server.alarm(req, ctx)
  }

  defragment(ctx?: CallContext): Promise<DefragmentResponseInit> {
    return this.p.server.defragment(ctx)
  }

  // Snapshot and Hash need the root role when auth is on (etcd's authMaintenanceServer).
  async snapshot(signal?: AbortSignal, ctx?: CallContext): Promise<DatabaseSnapshot> {
    await this.p.auth.maintenanceAdmin(ctx)
    return this.p.snapshots.snapshot(signal)
  }

  async hash(ctx?: CallContext): Promise<HashResponseInit> {
    await this.p.auth.maintenanceAdmin(ctx)
    return this.p.server.hash()
  }

  async moveLeader(req: MoveLeaderRequest, ctx?: CallContext): Promise<MoveLeaderResponseInit> {
    await this.p.reconfig.moveLeader(req.targetID, ctx?.signal)
    return {}
  }

  leaseGrant(req: LeaseGrantRequest, ctx?: CallContext): Promise<LeaseGrantResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.leases.grant(req, ctx)
  }

  /** The revoke is checked when applied: the caller needs write on every key of the lease. */
  leaseRevoke(req: LeaseRevokeRequest, ctx?: CallContext): Promise<LeaseRevokeResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.leases.revoke(req, ctx)
  }

  leaseTimeToLive(req: LeaseTimeToLiveRequest, ctx?: CallContext): Promise<LeaseTimeToLiveResponseInit> {
    return this.p.leases.timeToLive(req, ctx)
  }

  leaseLeases(): Promise<LeaseLeasesResponseInit> {
    return this.p.leases.leases()
  }

  leaseRenew(id: bigint, ctx?: CallContext): Promise<number> {
    return this.p.leases.renew(id, ctx)
  }

  /** With `linearizable` (etcd 3.5), a ReadIndex round first: the list includes every change committed before the call. */
  async memberList(req?: MemberListRequest, ctx?: CallContext): Promise<MemberListResponseInit> {
    if (req?.linearizable) await this.p.server.linearizableReadNotify(ctx)
    return { members: await this.p.members.list() }
  }

  // Membership changes need the root role (etcd's checkMembershipOperationPermission).
  async memberAdd(req: MemberAddRequest, ctx?: CallContext): Promise<MemberAddResponseInit> {
    await this.p.auth.admin(ctx)
    return this.p.reconfig.memberAdd(req)
  }

  async memberRemove(req: MemberRemoveRequest, ctx?: CallContext): Promise<MemberRemoveResponseInit> {
    await this.p.auth.admin(ctx)
    return this.p.reconfig.memberRemove(req.ID)
  }

  async memberUpdate(req: MemberUpdateRequest, ctx?: CallContext): Promise<MemberUpdateResponseInit> {
    await this.p.auth.admin(ctx)
    return this.p.reconfig.memberUpdate(req)
  }

  async memberPromote(req: MemberPromoteRequest, ctx?: CallContext): Promise<MemberPromoteResponseInit> {
    await this.p.auth.admin(ctx)
    return this.p.reconfig.memberPromote(req.ID)
  }

  watch(sink: WatchResponseSink, ctx?: CallContext): WatchStreamHandle {
    const auth = this.p.auth
    return openWatchStream(this.p.watches, this.headers, this.p.watchFragmentBytes, sink, (key, rangeEnd) =>
      auth.mayRead(ctx) ? undefined : auth.beforeRead(ctx, (ai) => auth.checkRange(ai, key, rangeEnd)).then(() => {}),
    )
  }

  // ---- Auth ----

  authEnable(ctx?: CallContext): Promise<AuthEnableResponseInit> {
    return this.p.auth.authEnable(ctx)
  }

  authDisable(ctx?: CallContext): Promise<AuthDisableResponseInit> {
    return this.p.auth.authDisable(ctx)
  }

  authStatus(): Promise<AuthStatusResponseInit> {
    return this.p.auth.authStatus()
  }

  authenticate(req: AuthenticateRequest, ctx?: CallContext): Promise<AuthenticateResponseInit> {
    return this.p.auth.authenticate(req, ctx)
  }

  userAdd(req: AuthUserAddRequest, ctx?: CallContext): Promise<AuthUserAddResponseInit> {
    return this.p.auth.userAdd(req, ctx)
  }

  userGet(req: AuthUserGetRequest, ctx?: CallContext): Promise<AuthUserGetResponseInit> {
    return this.p.auth.userGet(req, ctx)
  }

  userList(ctx?: CallContext): Promise<AuthUserListResponseInit> {
    return this.p.auth.userList(ctx)
  }

  userDelete(req: AuthUserDeleteRequest, ctx?: CallContext): Promise<AuthUserDeleteResponseInit> {
    return this.p.auth.userDelete(req, ctx)
  }

  userChangePassword(
    req: AuthUserChangePasswordRequest,
    ctx?: CallContext,
  ): Promise<AuthUserChangePasswordResponseInit> {
    return this.p.auth.userChangePassword(req, ctx)
  }

  userGrantRole(req: AuthUserGrantRoleRequest, ctx?: CallContext): Promise<AuthUserGrantRoleResponseInit> {
    return this.p.auth.userGrantRole(req, ctx)
  }

  userRevokeRole(req: AuthUserRevokeRoleRequest, ctx?: CallContext): Promise<AuthUserRevokeRoleResponseInit> {
    return this.p.auth.userRevokeRole(req, ctx)
  }

  roleAdd(req: AuthRoleAddRequest, ctx?: CallContext): Promise<AuthRoleAddResponseInit> {
    return this.p.auth.roleAdd(req, ctx)
  }

  roleGet(req: AuthRoleGetRequest, ctx?: CallContext): Promise<AuthRoleGetResponseInit> {
    return this.p.auth.roleGet(req, ctx)
  }

  roleList(ctx?: CallContext): Promise<AuthRoleListResponseInit> {
    return this.p.auth.roleList(ctx)
  }

  roleDelete(req: AuthRoleDeleteRequest, ctx?: CallContext): Promise<AuthRoleDeleteResponseInit> {
    return this.p.auth.roleDelete(req, ctx)
  }

  roleGrantPermission(
    req: AuthRoleGrantPermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleGrantPermissionResponseInit> {
    return this.p.auth.roleGrantPermission(req, ctx)
  }

  roleRevokePermission(
    req: AuthRoleRevokePermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleRevokePermissionResponseInit> {
    return this.p.auth.roleRevokePermission(req, ctx)
  }
}
