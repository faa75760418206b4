/**
 * The checks a write request passes before it changes anything (etcd's checkRequestPut and
 * checkRequestRange, and Put's lease lookup), so that a request that fails fails whole.
 *
 * A txn is checked along its own path, in order: a put with ignore_value / ignore_lease needs
 * its key to exist as the earlier ops of the txn leave it (a delete range hides keys, a put
 * creates them), not only before the txn. Then every range on the path must read a revision
 * that exists: not above the store's, not below the compaction.
 */
import type { DeleteRangeRequest, PutRequest, TxnRequest } from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'
import { isFromKey } from '../mvcc/range.js'
import type { StoreTxn } from '../mvcc/txn.js'
import { forEachOp, type TxnPath } from './txn-path.js'

export interface KvApplyOptions {
  /** Whether a lease exists (the lessor); every lease exists when not given. */
  leaseExists?(id: bigint): boolean
}

/** Which keys exist. */
interface KeyView {
  has(key: Buffer): boolean
}

export function checkLease(id: bigint, options?: KvApplyOptions): void {
  if (id !== 0n && options?.leaseExists !== undefined && !options.leaseExists(id)) throw Errors.LeaseNotFound
}

/** ignore_value / ignore_lease take the previous value or lease: the key must exist. */
function checkPrevious(view: KeyView, p: PutRequest): void {
  if ((p.ignore_value || p.ignore_lease) && !view.has(p.key)) throw Errors.KeyNotFound
}

/** The store's keys as a txn sees them after the writes on its path so far. */
class PathView implements KeyView {
  /** Each write so far: a put's key (end null), or a delete's key and range_end. */
  private readonly keys: Buffer[] = []
  private readonly ends: (Buffer | null)[] = []

  constructor(private readonly t: StoreTxn) {}

  put(p: PutRequest): void {
    this.keys.push(p.key)
    this.ends.push(null)
  }

  deleteRange(d: DeleteRangeRequest): void {
    this.keys.push(d.key)
    this.ends.push(d.range_end)
  }

  has(key: Buffer): boolean {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const end = this.ends[i]
      if (end === null) {
        if (key.equals(this.keys[i])) return true
      } else if (covers(this.keys[i], end, key)) {
        return false
      }
    }
    return this.t.has(key)
  }
}

/** Whether a delete of (from, end) (range semantics: range.ts) removes `key`. */
function covers(from: Buffer, end: Buffer, key: Buffer): boolean {
  if (end.length === 0) return key.equals(from)
  if (Buffer.compare(key, from) < 0) return false
  return isFromKey(end) || Buffer.compare(key, end) < 0
}

/** Checks the writes on the txn's path (etcd's checkRequestPut, in op order); throws etcd's error. */
export function checkTxnWrites(t: StoreTxn, req: TxnRequest, path: TxnPath, options?: KvApplyOptions): void {
  const view = new PathView(t)
  forEachOp(req, path, (op) => {
    const p = op.request_put
    if (p !== undefined) {
      checkPrevious(view, p)
      checkLease(p.lease, options)
      view.put(p)
    } else if (op.request_delete_range !== undefined) {
      view.deleteRange(op.request_delete_range)
    }
  })
}

/** Checks the revisions of the ranges on the txn's path (etcd's checkRequestRange). */
export function checkTxnRanges(t: StoreTxn, req: TxnRequest, path: TxnPath): void {
  const current = t.revision
  const compacted = t.compactRevision
  forEachOp(req, path, (op) => {
    const r = op.request_range
    if (r === undefined || r.revision === 0) return
    if (r.revision > current) throw Errors.FutureRev
    if (r.revision < compacted) throw Errors.Compacted
  })
}
