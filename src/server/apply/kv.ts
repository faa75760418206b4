/**
 * Applies KV requests to the MVCC store with etcd's semantics (etcdserver/apply.go).
 *
 * Write requests run inside the caller's StoreBatch (one main revision per request that
 * changes something); the caller commits the batch. Responses carry a header with only the
 * revision set; the server fills in cluster, member and term. Nested responses in a txn keep
 * etcd's headers too: Put/DeleteRange/Range get the revision they ran at, a nested Txn an
 * empty header.
 *
 * A request that fails changes nothing. Everything that can fail is checked before the first
 * write (request-check.ts); should a write transaction throw anyway, it is aborted, which
 * takes back what it did (mvcc/txn.ts), and the error goes on to the caller.
 *
 * Request validation done by etcd's gRPC layer (empty key, flags, op counts, duplicate keys)
 * is not repeated here; see api/txn-check.ts.
 */
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../gen/etcdserverpb.js'
import type { KeyValue } from '../../gen/mvccpb.js'
import { Errors } from '../../errors/rpctypes.js'
import type { StoreBatch } from '../mvcc/batch.js'
import { responseHeader, type RangeResult } from '../mvcc/range.js'
import type { MvccStore } from '../mvcc/store.js'
import type { StoreTxn } from '../mvcc/txn.js'
import { checkLease, checkTxnRanges, checkTxnWrites, type KvApplyOptions } from './request-check.js'
import { pathOf, type TxnPath } from './txn-path.js'
import type { KindApplier } from './applier.js'

export type { KvApplyOptions } from './request-check.js'

export function applyPut(batch: StoreBatch, req: PutRequest, options?: KvApplyOptions): PutResponse {
  checkLease(req.lease, options)
  const t = batch.txn()
  let resp: PutResponse
  try {
    resp = putIn(t, req) // checks ignore_value / ignore_lease before it writes
  } catch (err) {
    t.abort()
    throw err
  }
  t.end()
  return resp
}

export function applyDeleteRange(batch: StoreBatch, req: DeleteRangeRequest): DeleteRangeResponse {
  const t = batch.txn()
  let resp: DeleteRangeResponse
  try {
    resp = deleteIn(t, req)
  } catch (err) {
    t.abort()
    throw err
  }
  t.end()
  return resp
}

/** The Range RPC: reads the committed state. */
export function applyRange(store: MvccStore, req: RangeRequest): Promise<RangeResult> {
  return store.range(req, { encoded: true })
}

/** A txn through raft (any txn; read-only ones may use applyReadOnlyTxn instead). */
export function applyTxn(batch: StoreBatch, req: TxnRequest, options?: KvApplyOptions): TxnResponse {
  const t = batch.txn()
  let resp: TxnResponse
  try {
    resp = runTxn(t, req, options)
  } catch (err) {
    t.abort()
    throw err
  }
  t.end()
  return resp
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
export function applyCompaction(
  batch: StoreBatch,
  req: CompactionRequest,
): { response: CompactionResponse; physical: Promise<void> } {
  const physical = batch.compact(req.revision)
  return { response: { header: responseHeader(batch.revision) }, physical }
}

/** The KV applier of the stack: put, delete-range and txn requests. */
export function kvApplier(options?: KvApplyOptions): KindApplier {
  return (b, r) => {
    if (r.put) return { res: applyPut(b, r.put, options) }
    if (r.delete_range) return { res: applyDeleteRange(b, r.delete_range) }
    if (r.txn) return { res: applyTxn(b, r.txn, options) }
    return undefined
  }
}

/** The compaction applier of the stack; a `physical` request's result settles when the records are gone. */
export const compactionApplier: KindApplier = (b, r) => {
  if (!r.compaction) return undefined
  const { response, physical } = applyCompaction(b, r.compaction)
  physical.catch(() => {}) // failures surface through the store; only `physical: true` callers wait
  return { res: response, done: r.compaction.physical ? physical : undefined }
}

/**
 * True when every op (both branches, nested txns included) is a range: the txn changes
 * nothing and is served without raft, as etcd serves a read-only txn (etcd looks at the top
 * level only and sends a txn holding a nested txn through raft; the result is the same).
 */
export function isTxnReadOnly(req: TxnRequest): boolean {
  return everyOp(req, (op) => op.request_range !== undefined)
}

/** True when every op is a serializable range (etcd's isTxnSerializable); nested txns count by their ops. */
export function isTxnSerializable(req: TxnRequest): boolean {
  return everyOp(req, (op) => op.request_range?.serializable === true)
}

function everyOp(req: TxnRequest, test: (op: RequestOp) => boolean): boolean {
  for (const branch of [req.success, req.failure]) {
    for (const op of branch) {
      if (op.request_txn !== undefined ? !everyOp(op.request_txn, test) : !test(op)) return false
    }
  }
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

function runTxn(t: StoreTxn, req: TxnRequest, options?: KvApplyOptions): TxnResponse {
  const path = pathOf(t, req)
  if (!t.readOnly) checkTxnWrites(t, req, path, options)
  checkTxnRanges(t, req, path)
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
