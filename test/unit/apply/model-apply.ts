/**
 * A reference applier over the MVCC reference model (../mvcc/model.ts), written the obvious
 * way: a request runs its ops one after the other on the model, and if anything fails the
 * model goes back to where it was before the request. No up-front checks, no undo log.
 *
 * Failures: a put with ignore_value / ignore_lease on a key that does not exist at that
 * point (KeyNotFound), a put with an unknown lease (LeaseNotFound); then, for a txn, a range
 * on its path at a revision above the store's before the txn (FutureRev) or below the
 * compaction (Compacted). A planted failure (see plant.ts) fails the request that makes
 * write number `plantAt` of the batch, counting only requests that get to write.
 */
import type { Compare, DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from '../../../src/gen/etcdserverpb.js'
import { Compare_CompareResult as Result, Compare_CompareTarget as Target } from '../../../src/gen/etcdserverpb.js'
import type { InternalRequest } from '../../../src/gen/tsetcdpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { Model, ModelTxn } from '../mvcc/model.js'

export type ModelResult = { ok: true; revision: number; succeeded?: boolean } | { ok: false; err: Error }

export class ModelApplier {
  readonly leases = new Set<bigint>()
  /** Writes (put and delete calls) made in the current batch. */
  private writes = 0
  private plantAt = 0
  private planted: Error | null = null

  constructor(readonly m: Model) {}

  /** Starts a batch; with `plantAt` > 0, write number plantAt of the batch throws `err`. */
  beginBatch(plantAt = 0, err: Error | null = null): void {
    this.writes = 0
    this.plantAt = plantAt
    this.planted = err
  }

  apply(r: InternalRequest): ModelResult {
    if (r.compaction !== undefined) return this.compact(r.compaction.revision)
    const saved = this.m.save()
    // A dry run finds the request's own failures; only a request without any gets to write
    // (and to count towards the planted failure).
    const dry = this.run(r, false)
    this.m.restore(saved)
    if (!dry.ok) return dry
    const real = this.run(r, true)
    if (!real.ok) this.m.restore(saved)
    return real
  }

  private compact(rev: number): ModelResult {
    if (rev <= this.m.compacted) return { ok: false, err: Errors.Compacted }
    if (rev > this.m.rev) return { ok: false, err: Errors.FutureRev }
    this.m.compacted = rev
    return { ok: true, revision: this.m.rev }
  }

  private run(r: InternalRequest, counting: boolean): ModelResult {
    const t = this.m.txn()
    try {
      let succeeded: boolean | undefined
      if (r.put !== undefined) {
        if (r.put.lease !== 0n && !this.leases.has(r.put.lease)) throw Errors.LeaseNotFound
        this.put(t, r.put, counting)
      } else if (r.delete_range !== undefined) {
        this.del(t, r.delete_range, counting)
      } else if (r.txn !== undefined) {
        const before = this.m.rev
        const path = this.pathOf(r.txn)
        this.exec(t, r.txn, path, counting)
        this.checkRanges(r.txn, path, before)
        succeeded = path.succeeded
      } else {
        throw new Error('model: unsupported request')
      }
      return { ok: true, revision: t.end(), succeeded }
    } catch (err) {
      t.end()
      return { ok: false, err: err as Error }
    }
  }

  private write(counting: boolean): void {
    if (counting && ++this.writes === this.plantAt) throw this.planted!
  }

  private put(t: ModelTxn, p: PutRequest, counting: boolean): void {
    let value = p.value
    let lease = p.lease
    if (p.ignore_value || p.ignore_lease) {
      const prev = t.get(p.key)
      if (prev === undefined) throw Errors.KeyNotFound
      if (p.ignore_value) value = prev.value
      if (p.ignore_lease) lease = prev.lease
    }
    if (lease !== 0n && !this.leases.has(lease)) throw Errors.LeaseNotFound
    this.write(counting)
    t.put(p.key, value, lease)
  }

  private del(t: ModelTxn, d: DeleteRangeRequest, counting: boolean): void {
    this.write(counting)
    t.deleteRange(d.key, d.range_end)
  }

  /** Branches taken, decided on the state before the txn (etcd's compareToPath). */
  private pathOf(req: TxnRequest): Path {
    const succeeded = req.compare.every((c) => this.holds(c))
    const nested: Path[] = []
    for (const op of succeeded ? req.success : req.failure)
      if (op.request_txn !== undefined) nested.push(this.pathOf(op.request_txn))
    return { succeeded, nested }
  }

  /** The compares the randomized test makes: VERSION of one key, EQUAL or GREATER than 0. */
  private holds(c: Compare): boolean {
    if (c.target !== Target.VERSION || c.range_end.length !== 0 || (c.version ?? 0) !== 0)
      throw new Error('model: unsupported compare')
    const version = this.m.cur.get(c.key.toString('latin1'))?.version ?? 0
    if (c.result === Result.EQUAL) return version === 0
    if (c.result === Result.GREATER) return version > 0
    throw new Error('model: unsupported compare')
  }

  private exec(t: ModelTxn, req: TxnRequest, path: Path, counting: boolean): void {
    let n = 0
    for (const op of ops(req, path)) {
      if (op.request_put !== undefined) this.put(t, op.request_put, counting)
      else if (op.request_delete_range !== undefined) this.del(t, op.request_delete_range, counting)
      else if (op.request_txn !== undefined) this.exec(t, op.request_txn, path.nested[n++], counting)
    }
  }

  private checkRanges(req: TxnRequest, path: Path, current: number): void {
    let n = 0
    for (const op of ops(req, path)) {
      const r = op.request_range
      if (op.request_txn !== undefined) this.checkRanges(op.request_txn, path.nested[n++], current)
      if (r === undefined || r.revision === 0) continue
      if (r.revision > current) throw Errors.FutureRev
      if (r.revision < this.m.compacted) throw Errors.Compacted
    }
  }
}

interface Path {
  succeeded: boolean
  nested: Path[]
}

function ops(req: TxnRequest, path: Path): RequestOp[] {
  return path.succeeded ? req.success : req.failure
}
