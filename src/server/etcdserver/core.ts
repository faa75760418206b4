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
  TxnRequest,
  TxnResponseInit,
  WatchRequest,
} from '../../gen/etcdserverpb.js'

/**
 * The client's side of one call, as the core sees it: `signal` aborts when the client's
 * deadline passes (reason Errors.DeadlineExceeded) or the client goes away (Errors.Canceled).
 * Work still queued for the call (a read waiting for ReadIndex, a proposal waiting for a
 * leader) is dropped then and the call fails with the reason; work already under way (a
 * proposed entry) completes, its result unread. Across a process boundary the signal
 * becomes a cancel message.
 */
export interface CallContext {
  signal?: AbortSignal
}

/**
 * A Range result. A large one may carry its KeyValues already encoded (`encodedKvs`, the
 * mvccpb.KeyValue messages in order, with `kvs` empty), to be written into the response as
 * they are.
 */
export interface RangeResultInit extends RangeResponseInit {
  encodedKvs?: Buffer[]
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
  hashKV(req: HashKVRequest): Promise<HashKVResponseInit>
  /** GET, ACTIVATE or DEACTIVATE, applied through raft; the alarms listed or affected. */
  alarm(req: AlarmRequest, ctx?: CallContext): Promise<AlarmResponseInit>
  /** Rewrites this member's backend compactly; requests wait while the new database is swapped in. */
  defragment(): Promise<DefragmentResponseInit>
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
  memberList(): Promise<MemberListResponseInit>
  /** Throws etcd's member errors (Errors.MemberBadURLs, PeerURLExist, MemberNotEnoughStarted, Unhealthy, …). */
  memberAdd(req: MemberAddRequest): Promise<MemberAddResponseInit>
  memberRemove(req: MemberRemoveRequest): Promise<MemberRemoveResponseInit>
  memberUpdate(req: MemberUpdateRequest): Promise<MemberUpdateResponseInit>
  memberPromote(req: MemberPromoteRequest): Promise<MemberPromoteResponseInit>
}

/** Where a watch stream's responses go (the client-facing side of one Watch call). */
export interface WatchResponseSink {
  /** False while the client side is backed up: the core then holds events back until `drained()`. */
  readonly writable: boolean
  /** One encoded etcdserverpb.WatchResponse, header included. */
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
  watch(sink: WatchResponseSink): WatchStreamHandle
}

export interface Core extends CoreKv, CoreMaintenance, CoreLease, CoreCluster, CoreWatch {}
