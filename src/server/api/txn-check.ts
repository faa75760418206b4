/**
 * Validation of a TxnRequest before it is proposed (etcd's v3rpc checkTxnRequest and
 * checkIntervals): op counts, empty keys, put flags, and no key written twice or both put
 * and deleted on one path (puts in the two branches of a nested txn may repeat, since only
 * one branch runs).
 *
 * Quirk kept for compatibility: a delete's range is [key, range_end) taken literally, so a
 * from-key delete (range_end "\0") overlaps nothing.
 */
import type { RequestOp, TxnRequest } from '../../gen/etcdserverpb.js'
import { Errors } from '../../errors/rpctypes.js'

export function checkTxnRequest(txn: TxnRequest, maxTxnOps: number): void {
  checkOps(txn, maxTxnOps)
  checkIntervals(txn.success)
  checkIntervals(txn.failure)
}

function checkOps(txn: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(txn.compare.length, txn.success.length, txn.failure.length)
  if (opc > maxTxnOps) throw Errors.TooManyOps
  for (const c of txn.compare) if (c.key.length === 0) throw Errors.EmptyKey
  for (const op of txn.success) checkOp(op, maxTxnOps - opc)
  for (const op of txn.failure) checkOp(op, maxTxnOps - opc)
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if (op.request_range !== undefined) {
    if (op.request_range.key.length === 0) throw Errors.EmptyKey
  } else if (op.request_put !== undefined) {
    const p = op.request_put
    if (p.key.length === 0) throw Errors.EmptyKey
    if (p.ignore_value && p.value.length !== 0) throw Errors.ValueProvided
    if (p.ignore_lease && p.lease !== 0n) throw Errors.LeaseProvided
  } else if (op.request_delete_range !== undefined) {
    if (op.request_delete_range.key.length === 0) throw Errors.EmptyKey
  } else if (op.request_txn !== undefined) {
    checkOps(op.request_txn, maxTxnOps)
  } else {
    throw Errors.KeyNotFound // empty op
  }
}

/** Deleted intervals [begin, end) as latin1 strings (a single key k is [k, k + "\0")). */
export class Deletes {
  readonly begins: string[] = []
  readonly ends: string[] = []

  add(begin: string, end: string): void {
    this.begins.push(begin)
    this.ends.push(end)
  }

  addAll(other: Deletes): void {
    for (let i = 0; i < other.begins.length; i++) this.add(other.begins[i], other.ends[i])
  }

  covers(k: string): boolean {
    for (let i = 0; i < this.begins.length; i++) if (this.begins[i] <= k && k < this.ends[i]) return true
    return false
  }
}

/** Returns the keys put and the ranges deleted by `ops` (recursively); throws DuplicateKey. */
export function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: Deletes } {
  const dels = new Deletes()
  for (const op of ops) {
    const d = op.request_delete_range
    if (d === undefined) continue
    const k = d.key.toString('latin1')
    dels.add(k, d.range_end.length !== 0 ? d.range_end.toString('latin1') : k + '\0')
  }
  const puts = new Set<string>()
  for (const op of ops) {
    const t = op.request_txn
    if (t === undefined) continue
    const then = checkIntervals(t.success)
    const otherwise = checkIntervals(t.failure)
    for (const k of then.puts) {
      if (puts.has(k) || dels.covers(k)) throw Errors.DuplicateKey
      puts.add(k)
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw Errors.DuplicateKey
      if (dels.covers(k)) throw Errors.DuplicateKey
      puts.add(k)
    }
    dels.addAll(then.dels)
    dels.addAll(otherwise.dels)
  }
  for (const op of ops) {
    const p = op.request_put
    if (p === undefined) continue
    const k = p.key.toString('latin1')
    if (puts.has(k) || dels.covers(k)) throw Errors.DuplicateKey
    puts.add(k)
  }
  return { puts, dels }
}
