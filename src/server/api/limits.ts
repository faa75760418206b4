/** Request limits the client-facing layer enforces (`--max-request-bytes`, `--max-txn-ops`). */
export interface Limits {
  maxRequestBytes: number
  maxTxnOps: number
}

/** gRPC accepts this much more than --max-request-bytes so that etcd's own error can be returned. */
export const GRPC_OVERHEAD_BYTES = 512 * 1024
