/**
 * Applies KV requests to the MVCC store with etcd's semantics (etcdserver/apply.go).
 *
 * Write requests run inside the caller's StoreBatch (one main revision per request that
 * changes something); the caller commits the batch. Responses carry a header with only the
 * revision set; the server fills in cluster, member and term. Nested responses in a txn keep
 * etcd's headers too: Put/DeleteRange/Range get the revision they ran at, a nested Txn an
 * empty header.
 *
 * Request validation done by etcd's gRPC layer (empty key, flags, op counts, duplicate keys)
 * is not repeated here; see txn-check.ts.
 */
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../gen/etcdserverpb.js'
import type { KeyValue } from '../../gen/mvccpb.js'
import { Errors } from '../errors.js'
import type { StoreBatch } from '../mvcc/batch.js'
import { responseHeader } from '../mvcc/range.js'
import type { MvccStore } from '../mvcc/store.js'
import type { StoreTxn } from '../mvcc/txn.js'
import { evalCompares } from './compare.js'

export interface KvApplyOptions {
  /** Whether a lease exists (the lessor); every lease exists when not given. */
  leaseExists?(id: bigint): boolean
}

function checkLease(id: bigint, options?: KvApplyOptions): void {
  if (id !== 0n && options?.leaseExists !== undefined && !options.leaseExists(id)) throw Errors.LeaseNotFound
}

export function applyPut(batch: StoreBatch, req: PutRequest, options?: KvApplyOptions): PutResponse {
  checkLease(req.lease, options)
  const t = batch.txn()
  try {
    return putIn(t, req)
  } finally {
    t.end()
  }
}

export function applyDeleteRange(batch: StoreBatch, req: DeleteRangeRequest): DeleteRangeResponse {
  const t = batch.txn()
  try {
    return deleteIn(t, req)
  } finally {
    t.end()
  }
}

/** The Range RPC: reads the committed state. */
export function applyRange(store: MvccStore, req: RangeRequest): Promise<RangeResponse> {
  return store.range(req)
}

/** A txn through raft (any txn; read-only ones may use applyReadOnlyTxn instead). */
export function applyTxn(batch: StoreBatch, req: TxnRequest, options?: KvApplyOptions): TxnResponse {
  const t = batch.txn()
  try {
    return runTxn(t, req, options)
  } finally {
    t.end()
  }
}

/** A txn whose ops are all ranges, served from the committed state without raft. */
export function applyReadOnlyTxn(store: MvccStore, req: TxnRequest): TxnResponse {
  if (!isTxnReadOnly(req)) throw new Error('applyReadOnlyTxn: txn has write operations')
  const t = store.readTxn()
  try {
    return runTxn(t, req)
  } finally {
    t.end()
  }
}

/**
 * Compaction: throws Errors.Compacted / Errors.FutureRev. `physical` resolves when the old
 * records are gone (for `physical: true`); nothing has to wait for it.
 */
export function applyCompaction(batch: StoreBatch, req: CompactionRequest): { response: CompactionResponse; physical: Promise<void> } {
  const physical = batch.compact(req.revision)
  return { response: { header: responseHeader(batch.revision) }, physical }
}

/** True when every op (top level, both branches) is a range: etcd serves it without raft. */
export function isTxnReadOnly(req: TxnRequest): boolean {
  for (const op of req.success) if (op.request_range === undefined) return false
  for (const op of req.failure) if (op.request_range === undefined) return false
  return true
}

function putIn(t: StoreTxn, p: PutRequest): PutResponse {
  let value = p.value
  let lease = p.lease
  let prev: KeyValue | undefined
  if (p.ignore_value || p.ignore_lease || p.prev_kv) prev = t.get(p.key)
  if (p.ignore_value || p.ignore_lease) {
    if (prev === undefined) throw Errors.KeyNotFound
    if (p.ignore_value) value = prev.value
    if (p.ignore_lease) lease = prev.lease
  }
  t.put(p.key, value, lease, prev)
  const resp: PutResponse = { header: responseHeader(t.revision) }
  if (p.prev_kv && prev !== undefined) resp.prev_kv = prev
  return resp
}

function deleteIn(t: StoreTxn, d: DeleteRangeRequest): DeleteRangeResponse {
  const r = t.deleteRange(d.key, d.range_end, d.prev_kv)
  return { header: responseHeader(t.revision), deleted: r.deleted, prev_kvs: r.prevKvs ?? [] }
}

/** Which branch each txn takes, decided on the state before the txn, nested ones included. */
interface TxnPath {
  succeeded: boolean
  nested: TxnPath[]
}

function pathOf(t: StoreTxn, req: TxnRequest): TxnPath {
  const succeeded = evalCompares(t, req.compare)
  const nested: TxnPath[] = []
  for (const op of succeeded ? req.success : req.failure) {
    if (op.request_txn !== undefined) nested.push(pathOf(t, op.request_txn))
  }
  return { succeeded, nested }
}

/** Calls check on every non-txn op on the path. */
function forEachOp(req: TxnRequest, path: TxnPath, check: (op: RequestOp) => void): void {
  let n = 0
  for (const op of path.succeeded ? req.success : req.failure) {
    if (op.request_txn !== undefined) forEachOp(op.request_txn, path.nested[n++], check)
    else check(op)
  }
}

function runTxn(t: StoreTxn, req: TxnRequest, options?: KvApplyOptions): TxnResponse {
  const path = pathOf(t, req)
  if (!t.readOnly) {
    forEachOp(req, path, (op) => {
      const p = op.request_put
      if (p === undefined) return
      if ((p.ignore_value || p.ignore_lease) && t.get(p.key) === undefined) throw Errors.KeyNotFound
      checkLease(p.lease, options)
    })
  }
  const current = t.revision
  const compacted = t.compactRevision
  forEachOp(req, path, (op) => {
    const r = op.request_range
    if (r === undefined || r.revision === 0) return
    if (r.revision > current) throw Errors.FutureRev
    if (r.revision < compacted) throw Errors.Compacted
  })
  const resp = execTxn(t, req, path)
  resp.header = responseHeader(t.revision)
  return resp
}

function execTxn(t: StoreTxn, req: TxnRequest, path: TxnPath): TxnResponse {
  const ops = path.succeeded ? req.success : req.failure
  const responses: ResponseOp[] = new Array(ops.length)
  let n = 0
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]
    if (op.request_range !== undefined) {
      responses[i] = { response_range: t.range(op.request_range) }
    } else if (op.request_put !== undefined) {
      responses[i] = { response_put: putIn(t, op.request_put) }
    } else if (op.request_delete_range !== undefined) {
      responses[i] = { response_delete_range: deleteIn(t, op.request_delete_range) }
    } else if (op.request_txn !== undefined) {
      const nested = execTxn(t, op.request_txn, path.nested[n++])
      nested.header = responseHeader(0)
      responses[i] = { response_txn: nested }
    } else {
      responses[i] = {}
    }
  }
  return { succeeded: path.succeeded, responses }
}
