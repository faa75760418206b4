/**
 * The narrow interface between the client-facing layer (src/server/api) and the member's
 * core. Requests and results are plain data (decoded protobuf objects, numbers, encoded
 * bytes; no shared state), so the client-facing layer can run in other processes and
 * forward to the core. Results carry no header: the caller fills it from `header()` after
 * the call, which holds the revision the result was computed at.
 *
 * One part per gRPC service; a service takes only its part. `Core` is all of them.
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
  MemberListRequest,
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
  RangeResponseInit,
  ResponseHeaderInit,
  StatusResponseInit,
  HashKVRequest,
  HashKVResponseInit,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentResponseInit,
  HashResponseInit,
  MoveLeaderRequest,
  MoveLeaderResponseInit,
  TxnRequest,
  TxnResponseInit,
  WatchRequest,
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

/**
 * The client's side of one call, as the core sees it: `signal` aborts when the client's
 * deadline passes (reason Errors.DeadlineExceeded) or the client goes away (Errors.Canceled).
 * Work still queued for the call (a read waiting for ReadIndex, a proposal waiting for a
 * leader) is dropped then and the call fails with the reason; work already under way (a
 * proposed entry) completes, its result unread. Across a process boundary the signal
 * becomes a cancel message.
 */
/** Told when a call's context aborts (an object, so that watching a call makes no closure). */
export interface AbortWatcher {
  aborted(reason: Error): void
}

export interface CallContext {
  signal?: AbortSignal
  /**
   * The signal's reason once it aborted, and its listeners, without making the signal (cheaper
   * per call); when offered, the core watches a proposal through these.
   */
  readonly abortReason?: Error
  whenAborted?(w: AbortWatcher): void
  unwatch?(w: AbortWatcher): void
  /** The call's `token` metadata (an auth token from Authenticate). */
  token?: string
  /** The common name of the client certificate the TLS handshake verified ('' when it has none). */
  commonName?: string
}

/**
 * A Range result. A large one may carry its KeyValues already encoded as the response's `kvs`
 * fields (`kvsFields`: tag, length and mvccpb.KeyValue of each, in order, in chunks; `kvs`
 * empty), to be written into the response as they are.
 */
export interface RangeResultInit extends RangeResponseInit {
  kvsFields?: Buffer[]
}

export interface CoreHeader {
  /** cluster_id, member_id, raft_term and the current revision. */
  header(): ResponseHeaderInit
}

export interface CoreKv extends CoreHeader {
  range(req: RangeRequest, ctx?: CallContext): Promise<RangeResultInit>
  put(req: PutRequest, ctx?: CallContext): Promise<PutResponseInit>
  deleteRange(req: DeleteRangeRequest, ctx?: CallContext): Promise<DeleteRangeResponseInit>
  txn(req: TxnRequest, ctx?: CallContext): Promise<TxnResponseInit>
  compact(req: CompactionRequest, ctx?: CallContext): Promise<CompactionResponseInit>
}

export interface CoreMaintenance extends CoreHeader {
  status(): Promise<StatusResponseInit>
  hashKV(req: HashKVRequest, ctx?: CallContext): Promise<HashKVResponseInit>
  /** GET, ACTIVATE or DEACTIVATE, applied through raft; the alarms listed or affected. */
  alarm(req: AlarmRequest, ctx?: CallContext): Promise<AlarmResponseInit>
  /** Rewrites this member's backend compactly; requests wait while the new database is swapped in. */
  defragment(ctx?: CallContext): Promise<DefragmentResponseInit>
  /** The hash of the whole backend; the header's revision is the one hashed. Needs root when auth is on. */
  hash(ctx?: CallContext): Promise<HashResponseInit>
  /**
   * On the leader: hands leadership to the voting member `targetID` and resolves once it
   * leads. Errors.NotLeader on a follower, Errors.BadLeaderTransferee for a learner or an
   * unknown ID, Errors.TimeoutLeaderTransfer when it does not lead in time.
   */
  moveLeader(req: MoveLeaderRequest, ctx?: CallContext): Promise<MoveLeaderResponseInit>
}

export interface CoreLease extends CoreHeader {
  leaseGrant(req: LeaseGrantRequest, ctx?: CallContext): Promise<LeaseGrantResponseInit>
  leaseRevoke(req: LeaseRevokeRequest, ctx?: CallContext): Promise<LeaseRevokeResponseInit>
  /** Throws Errors.LeaseNotFound for a lease that does not exist. */
  leaseTimeToLive(req: LeaseTimeToLiveRequest, ctx?: CallContext): Promise<LeaseTimeToLiveResponseInit>
  leaseLeases(): Promise<LeaseLeasesResponseInit>
  /** One keep-alive renewal (on the leader): the lease's TTL. Throws Errors.LeaseNotFound for a lease that is gone. */
  leaseRenew(id: bigint, ctx?: CallContext): Promise<number>
}

export interface CoreCluster extends CoreHeader {
  /** With `linearizable`, answered after a ReadIndex round (the list as of now, not as last applied here). */
  memberList(req?: MemberListRequest, ctx?: CallContext): Promise<MemberListResponseInit>
  /** Throws etcd's member errors (Errors.MemberBadURLs, PeerURLExist, MemberNotEnoughStarted, Unhealthy, …). */
  memberAdd(req: MemberAddRequest, ctx?: CallContext): Promise<MemberAddResponseInit>
  memberRemove(req: MemberRemoveRequest, ctx?: CallContext): Promise<MemberRemoveResponseInit>
  memberUpdate(req: MemberUpdateRequest, ctx?: CallContext): Promise<MemberUpdateResponseInit>
  memberPromote(req: MemberPromoteRequest, ctx?: CallContext): Promise<MemberPromoteResponseInit>
}

/** Where a watch stream's responses go (the client-facing side of one Watch call). */
export interface WatchResponseSink {
  /** False while the client side is backed up: the core then holds events back until `drained()`. */
  readonly writable: boolean
  /**
   * Bytes left free at the start of every buffer handed to `send`, before the response: the
   * transport writes its framing there instead of copying the response (0: none).
   */
  readonly headroom: number
  /** One encoded etcdserverpb.WatchResponse, header included, after `headroom` free bytes. */
  send(response: Buffer): void
  /** The member stops: end the stream (clients reconnect elsewhere). */
  close(): void
}

/** The core's side of one Watch call. */
export interface WatchStreamHandle {
  /** One request from the client: create, cancel or progress. */
  request(req: WatchRequest): void
  /** The sink is writable again. */
  drained(): void
  /** The call is over. */
  close(): void
}

export interface CoreWatch {
  /** `ctx`: the stream's caller; each watch it creates must be one the caller may read. */
  watch(sink: WatchResponseSink, ctx?: CallContext): WatchStreamHandle
}

/** A point-in-time copy of the member's database in etcd's file format (a bbolt file), ready to send. */
export interface DatabaseSnapshot {
  /** Bytes of the copy. */
  readonly size: number
  /** The copy's bytes in order, in pieces of at most `pieceBytes`. */
  chunks(pieceBytes: number, signal?: AbortSignal): AsyncIterable<Buffer>
  /** Releases the copy; called once the call is over, whatever its outcome. */
  close(): Promise<void>
}

export interface CoreSnapshot {
  /**
   * Takes a copy of the database as it is now; `signal` abandons it (the client went away).
   * Needs root when auth is on.
   */
  snapshot(signal?: AbortSignal, ctx?: CallContext): Promise<DatabaseSnapshot>
}

/** The Auth service: every change, and user/role reads, go through raft; passwords are hashed before. */
export interface CoreAuth extends CoreHeader {
  authEnable(ctx?: CallContext): Promise<AuthEnableResponseInit>
  authDisable(ctx?: CallContext): Promise<AuthDisableResponseInit>
  authStatus(ctx?: CallContext): Promise<AuthStatusResponseInit>
  authenticate(req: AuthenticateRequest, ctx?: CallContext): Promise<AuthenticateResponseInit>
  userAdd(req: AuthUserAddRequest, ctx?: CallContext): Promise<AuthUserAddResponseInit>
  userGet(req: AuthUserGetRequest, ctx?: CallContext): Promise<AuthUserGetResponseInit>
  userList(ctx?: CallContext): Promise<AuthUserListResponseInit>
  userDelete(req: AuthUserDeleteRequest, ctx?: CallContext): Promise<AuthUserDeleteResponseInit>
  userChangePassword(req: AuthUserChangePasswordRequest, ctx?: CallContext): Promise<AuthUserChangePasswordResponseInit>
  userGrantRole(req: AuthUserGrantRoleRequest, ctx?: CallContext): Promise<AuthUserGrantRoleResponseInit>
  userRevokeRole(req: AuthUserRevokeRoleRequest, ctx?: CallContext): Promise<AuthUserRevokeRoleResponseInit>
  roleAdd(req: AuthRoleAddRequest, ctx?: CallContext): Promise<AuthRoleAddResponseInit>
  roleGet(req: AuthRoleGetRequest, ctx?: CallContext): Promise<AuthRoleGetResponseInit>
  roleList(ctx?: CallContext): Promise<AuthRoleListResponseInit>
  roleDelete(req: AuthRoleDeleteRequest, ctx?: CallContext): Promise<AuthRoleDeleteResponseInit>
  roleGrantPermission(
    req: AuthRoleGrantPermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleGrantPermissionResponseInit>
  roleRevokePermission(
    req: AuthRoleRevokePermissionRequest,
    ctx?: CallContext,
  ): Promise<AuthRoleRevokePermissionResponseInit>
}

export interface Core extends CoreKv, CoreMaintenance, CoreSnapshot, CoreLease, CoreCluster, CoreWatch, CoreAuth {}
