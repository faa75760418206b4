/**
 * The narrow interface between the client-facing layer (src/server/api) and the member's
 * core. Requests and results are plain data (decoded protobuf objects, no shared state),
 * so the client-facing layer can run in other processes and forward to the core.
 * Results carry no header: the caller fills it from `header()` after the call, which holds
 * the revision the result was computed at.
 */
import type {
  CompactionRequest, CompactionResponseInit, DeleteRangeRequest, DeleteRangeResponseInit, PutRequest, PutResponseInit,
  RangeRequest, RangeResponseInit, ResponseHeaderInit, StatusResponseInit, TxnRequest, TxnResponseInit,
} from '../../gen/etcdserverpb.js'

export interface Core {
  range(req: RangeRequest): Promise<RangeResponseInit>
  put(req: PutRequest): Promise<PutResponseInit>
  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponseInit>
  txn(req: TxnRequest): Promise<TxnResponseInit>
  compact(req: CompactionRequest): Promise<CompactionResponseInit>
  status(): Promise<StatusResponseInit>
  /** cluster_id, member_id, raft_term and the current revision. */
  header(): ResponseHeaderInit
}
