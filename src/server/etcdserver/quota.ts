/**
 * etcd's backend quota (etcdserver/quota.go, v3rpc/quota.go): a Put, a Txn or a LeaseGrant is
 * refused with "etcdserver: mvcc: database space exceeded" when the backend size plus the
 * request's cost reaches --quota-backend-bytes. Deletes, ranges and compactions always pass.
 * 0 means the default (2 GiB); a negative quota disables the check, as in etcd.
 */
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { PutRequest, RequestOp, TxnRequest } from '../../gen/etcdserverpb.js'

export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024
/** Above this etcd warns (it still takes the value). */
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024
const LEASE_OVERHEAD = 64
const KV_OVERHEAD = 256

const costPut = (r: PutRequest): number => KV_OVERHEAD + (r.key?.length ?? 0) + (r.value?.length ?? 0)
const costOps = (ops: RequestOp[] | undefined): number =>
  (ops ?? []).reduce((n, op) => n + (op.request_put ? costPut(op.request_put) : 0), 0)
const costTxn = (r: TxnRequest): number => Math.max(costOps(r.success), costOps(r.failure))

/** What a request adds to the backend, as etcd estimates it; 0 for requests the quota lets through. */
export function requestCost(r: InternalRequest): number {
  if (r.put) return costPut(r.put)
  if (r.txn) return costTxn(r.txn)
  if (r.lease_grant) return LEASE_OVERHEAD
  return 0
}

export class BackendQuota {
  private readonly maxBytes: number

  constructor(
    quotaBytes: number,
    private readonly size: () => number,
  ) {
    this.maxBytes = quotaBytes === 0 ? DEFAULT_QUOTA_BYTES : quotaBytes
  }

  /** Whether `r` may be proposed now. */
  available(r: InternalRequest): boolean {
    if (this.maxBytes < 0) return true
    const cost = requestCost(r)
    return cost === 0 || this.size() + cost < this.maxBytes
  }
}
