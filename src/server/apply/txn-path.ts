/**
 * The path a txn takes: which branch of it and of each nested txn on that branch runs,
 * decided on the state before the txn as etcd's compareToPath does.
 */
import type { RequestOp, TxnRequest } from '../../gen/etcdserverpb.js'
import type { StoreTxn } from '../mvcc/txn.js'
import { evalCompares } from './compare.js'

export interface TxnPath {
  succeeded: boolean
  /** The paths of the nested txns of the chosen branch, in order. */
  nested: TxnPath[]
}

export function pathOf(t: StoreTxn, req: TxnRequest): TxnPath {
  const succeeded = evalCompares(t, req.compare)
  const nested: TxnPath[] = []
  for (const op of succeeded ? req.success : req.failure) {
    if (op.request_txn !== undefined) nested.push(pathOf(t, op.request_txn))
  }
  return { succeeded, nested }
}

/** Calls fn on every non-txn op on the path, in the order the txn runs them. */
export function forEachOp(req: TxnRequest, path: TxnPath, fn: (op: RequestOp) => void): void {
  let n = 0
  for (const op of path.succeeded ? req.success : req.failure) {
    if (op.request_txn !== undefined) forEachOp(op.request_txn, path.nested[n++], fn)
    else fn(op)
  }
}
