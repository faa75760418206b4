/**
 * A reference model of the MVCC store for tests: a plain list of every revision ever
 * written, with states and ranges recomputed naively from it.
 */
import type { KeyValue } from '../../../src/gen/mvccpb.js'
import type { RangeResponse } from '../../../src/gen/etcdserverpb.js'
import { Errors } from '../../../src/errors/rpctypes.js'
import type { RangeQuery } from '../../../src/server/mvcc/range.js'

export interface Rec {
  main: number
  sub: number
  key: string // latin1
  /** null for a tombstone */
  value: Buffer | null
  lease: bigint
}

const str = (b: Buffer): string => b.toString('latin1')

function inRange(skey: string, key: Buffer, end: Buffer): boolean {
  const from = str(key)
  if (end.length === 0) return skey === from
  if (end.length === 1 && end[0] === 0) return skey >= from
  return skey >= from && skey < str(end)
}

export interface ModelSave {
  recs: number
  rev: number
  cur: Map<string, KeyValue>
}

export class Model {
  recs: Rec[] = []
  /** Like etcd's store: a new one is at revision 1, its first change is revision 2. */
  rev = 1
  /** -1 until the first compaction (etcd's compactMainRev); compacting at 0 is then valid. */
  compacted = -1
  /** Latest state, including the changes of an open transaction. */
  cur = new Map<string, KeyValue>()
  /** True while an open transaction has changes (then `cur` is ahead of `rev`). */
  dirty = false

  /** What restore() goes back to: for a request that fails whole. */
  save(): ModelSave {
    return { recs: this.recs.length, rev: this.rev, cur: new Map(this.cur) }
  }

  restore(saved: ModelSave): void {
    this.recs.length = saved.recs
    this.rev = saved.rev
    this.cur = new Map(saved.cur) // `saved` may be restored again
    this.dirty = false
  }

  txn(): ModelTxn {
    return new ModelTxn(this)
  }

  /** key → KeyValue at `at`, replayed from the list of revisions. */
  stateAt(at: number): Map<string, KeyValue> {
    if (at === this.rev && !this.dirty) return this.cur
    const st = new Map<string, KeyValue>()
    for (const r of this.recs) {
      if (r.main > at) break
      apply(st, r)
    }
    return st
  }

  /** etcd's Range, done the slow obvious way. */
  range(q: RangeQuery, current = this.rev): RangeResponse {
    if (q.revision > current) throw Errors.FutureRev
    const at = q.revision <= 0 ? current : q.revision
    if (at < this.compacted) throw Errors.Compacted
    const all = [...this.stateAt(at).values()]
      .filter((kv) => inRange(str(kv.key), q.key, q.range_end))
      .sort((a, b) => Buffer.compare(a.key, b.key))
    let kvs = q.count_only ? [] : all
    if (q.max_mod_revision) kvs = kvs.filter((kv) => kv.mod_revision <= q.max_mod_revision)
    if (q.min_mod_revision) kvs = kvs.filter((kv) => kv.mod_revision >= q.min_mod_revision)
    if (q.max_create_revision) kvs = kvs.filter((kv) => kv.create_revision <= q.max_create_revision)
    if (q.min_create_revision) kvs = kvs.filter((kv) => kv.create_revision >= q.min_create_revision)
    const filtered = q.max_mod_revision || q.min_mod_revision || q.max_create_revision || q.min_create_revision
    // etcd: no order asked for and no filter: only the first limit+1 keys are fetched (and sorted)
    if (q.sort_order === 0 && !filtered && q.limit > 0) kvs = kvs.slice(0, q.limit + 1)
    let order = q.sort_order
    if (q.sort_target !== 0 && order === 0) order = 1
    if (order !== 0) {
      const field = (kv: KeyValue): number | Buffer =>
        [kv.key, kv.version, kv.create_revision, kv.mod_revision, kv.value][q.sort_target]
      const cmp = (a: KeyValue, b: KeyValue): number => {
        const x = field(a)
        const y = field(b)
        return typeof x === 'number' ? x - (y as number) : Buffer.compare(x, y as Buffer)
      }
      kvs = [...kvs].sort(order === 1 ? cmp : (a, b) => cmp(b, a))
    }
    let more = false
    if (q.limit > 0 && kvs.length > q.limit) {
      kvs = kvs.slice(0, q.limit)
      more = true
    }
    if (q.keys_only) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }))
    return { header: { cluster_id: 0n, member_id: 0n, revision: current, raft_term: 0n }, kvs, more, count: all.length }
  }

  /** The records physical compaction must leave: everything above the compaction revision,
   *  and per key the latest record at or below it unless that is a tombstone. */
  expectedRecords(): string[] {
    const latestBelow = new Map<string, Rec>()
    for (const r of this.recs) if (r.main <= this.compacted) latestBelow.set(r.key, r)
    return this.recs
      .filter((r) => r.main > this.compacted || (latestBelow.get(r.key) === r && r.value !== null))
      .map((r) => `${r.main}.${r.sub}${r.value === null ? 't' : ''}`)
  }
}

function apply(st: Map<string, KeyValue>, r: Rec): void {
  if (r.value === null) {
    st.delete(r.key)
    return
  }
  const prev = st.get(r.key)
  st.set(r.key, {
    key: Buffer.from(r.key, 'latin1'),
    value: r.value,
    create_revision: prev ? prev.create_revision : r.main,
    mod_revision: r.main,
    version: prev ? prev.version + 1 : 1,
    lease: r.lease,
  })
}

export class ModelTxn {
  private changes = 0

  constructor(private readonly m: Model) {}

  get revision(): number {
    return this.changes > 0 ? this.m.rev + 1 : this.m.rev
  }

  get(key: Buffer): KeyValue | undefined {
    return this.m.cur.get(str(key))
  }

  put(key: Buffer, value: Buffer, lease: bigint): void {
    const r: Rec = { main: this.m.rev + 1, sub: this.changes++, key: str(key), value: Buffer.from(value), lease }
    this.m.dirty = true
    this.m.recs.push(r)
    apply(this.m.cur, r)
  }

  deleteRange(key: Buffer, end: Buffer): KeyValue[] {
    const gone = [...this.m.cur.values()]
      .filter((kv) => inRange(str(kv.key), key, end))
      .sort((a, b) => Buffer.compare(a.key, b.key))
    for (const kv of gone) {
      const r: Rec = { main: this.m.rev + 1, sub: this.changes++, key: str(kv.key), value: null, lease: 0n }
      this.m.dirty = true
      this.m.recs.push(r)
      apply(this.m.cur, r)
    }
    return gone
  }

  end(): number {
    if (this.changes > 0) this.m.rev++
    this.m.dirty = false
    return this.m.rev
  }
}
