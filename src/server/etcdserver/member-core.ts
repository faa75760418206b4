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
  TxnRequest,
  TxnResponseInit,
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
  RangeResultInit,
  WatchResponseSink,
  WatchStreamHandle,
} from './core.js'
import { HeaderBytes, openWatchStream } from './watch-stream.js'

export interface MemberCoreParts {
  server: CoreKv & CoreMaintenance
  leases: LeaseCore
  members: MemberList
  reconfig: Reconfig
  watches: WatchHub
  /** A watch response at least this large is split for watchers that accept fragments. */
  watchFragmentBytes: number
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

  hashKV(req: HashKVRequest): Promise<HashKVResponseInit> {
    return this.p.server.hashKV(req)
  }

  alarm(req: AlarmRequest, ctx?: CallContext): Promise<AlarmResponseInit> {
    return this.p.server.alarm(req, ctx)
  }

  defragment(): Promise<DefragmentResponseInit> {
    return this.p.server.defragment()
  }

  leaseGrant(req: LeaseGrantRequest, ctx?: CallContext): Promise<LeaseGrantResponseInit> {
    if (this.learner()) return Promise.reject(Errors.NotSupportedForLearner)
    return this.p.leases.grant(req, ctx)
  }

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

  async memberList(): Promise<MemberListResponseInit> {
    return { members: await this.p.members.list() }
  }

  memberAdd(req: MemberAddRequest): Promise<MemberAddResponseInit> {
    return this.p.reconfig.memberAdd(req)
  }

  memberRemove(req: MemberRemoveRequest): Promise<MemberRemoveResponseInit> {
    return this.p.reconfig.memberRemove(req.ID)
  }

  memberUpdate(req: MemberUpdateRequest): Promise<MemberUpdateResponseInit> {
    return this.p.reconfig.memberUpdate(req)
  }

  memberPromote(req: MemberPromoteRequest): Promise<MemberPromoteResponseInit> {
    return this.p.reconfig.memberPromote(req.ID)
  }

  watch(sink: WatchResponseSink): WatchStreamHandle {
    return openWatchStream(this.p.watches, this.headers, this.p.watchFragmentBytes, sink)
  }
}
