/**
 * Range semantics (etcd's v3 Range), planned on the index so that only the records that end
 * up in the response are read from the backend.
 *
 * - `range_end` empty: the single `key`; "\0": every key >= `key`; otherwise [key, range_end).
 * - `count` is the number of keys in the range at the revision, before the min/max filters.
 * - Results are filtered (min/max mod and create revision), sorted, then cut to `limit`;
 *   `more` tells whether the cut dropped anything.
 * - sort_order NONE with sort_target KEY is key order; NONE with another target sorts
 *   ascending on it, and (as etcd does) with a limit and no revision filter only the first
 *   limit+1 keys in key order are sorted. Ties keep key order.
 * - The response header revision is the store revision the read was made at (not the
 *   requested historical revision).
 */
import type { KeyValue } from '../../gen/mvccpb.js'
import {
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as Target,
  type RangeResponse,
} from '../../gen/etcdserverpb.js'
import { EMPTY, sizeBytes, Writer } from '../../proto/wire.js'
import { Errors } from '../../errors/rpctypes.js'
import { RevLookup, type KeyIndex } from './key-index.js'
import type { TreeIndex } from './tree-index.js'

/** The fields of a RangeRequest that the store uses (a decoded RangeRequest is one). */
export interface RangeQuery {
  key: Buffer
  range_end: Buffer
  limit: number
  revision: number
  sort_order: number
  sort_target: number
  keys_only: boolean
  count_only: boolean
  min_mod_revision: number
  max_mod_revision: number
  min_create_revision: number
  max_create_revision: number
}

/** A plain range over [key, rangeEnd) at the current revision. */
export function rangeQuery(key: Buffer, rangeEnd: Buffer = EMPTY, revision = 0): RangeQuery {
  return {
    key,
    range_end: rangeEnd,
    limit: 0,
    revision,
    sort_order: Order.NONE,
    sort_target: Target.KEY,
    keys_only: false,
    count_only: false,
    min_mod_revision: 0,
    max_mod_revision: 0,
    min_create_revision: 0,
    max_create_revision: 0,
  }
}

/** The revision a range reads at; throws FutureRev / Compacted like etcd. */
export function resolveRangeRevision(rev: number, current: number, compacted: number): number {
  if (rev > current) throw Errors.FutureRev
  const at = rev <= 0 ? current : rev
  if (at < compacted) throw Errors.Compacted
  return at
}

export function isFromKey(rangeEnd: Buffer): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0
}

/**
 * Visits the keys selected by (key, rangeEnd): none, one or a scan. fn gets each KeyIndex
 * and returns false to stop.
 */
export function visitRange(
  index: TreeIndex,
  key: Buffer,
  rangeEnd: Buffer,
  fn: (ki: KeyIndex) => boolean | void,
): void {
  const from = key.toString('latin1')
  if (rangeEnd.length === 0) {
    const ki = index.get(from)
    if (ki !== undefined) fn(ki)
    return
  }
  index.scan(from, isFromKey(rangeEnd) ? undefined : rangeEnd.toString('latin1'), fn)
}

export class RangePlan {
  count = 0
  more = false
  /** Records to read, in response order (before a value sort). */
  mains: number[] = []
  subs: number[] = []
  /** 0: no value sort; else the order (ASCEND/DESCEND) to sort the read records by value. */
  valueOrder = 0
  limit = 0
}

const look = new RevLookup()

/**
 * Plans a range key by key: visit() each KeyIndex of the range in key order (in one go or in
 * several, see MvccStore.range), then finish().
 */
export class RangePlanner {
  readonly plan = new RangePlan()
  private readonly order: number
  private readonly target: number
  private readonly natural: boolean
  private readonly filtered: boolean
  private readonly cap: number
  private readonly sortKeys: number[] | null

  constructor(
    private readonly q: RangeQuery,
    private readonly atRev: number,
  ) {
    const limit = q.limit > 0 ? q.limit : 0
    this.plan.limit = limit
    let order = q.sort_order
    const target = q.sort_target
    if (target !== Target.KEY && order === Order.NONE) order = Order.ASCEND
    const known = target >= Target.KEY && target <= Target.VALUE && order >= Order.NONE && order <= Order.DESCEND
    this.order = order
    this.target = target
    this.natural = !known || order === Order.NONE || (order === Order.ASCEND && target === Target.KEY)
    this.filtered =
      q.min_mod_revision !== 0 || q.max_mod_revision !== 0 || q.min_create_revision !== 0 || q.max_create_revision !== 0
    // As etcd: with no order asked for and no revision filter, only the first limit+1 keys (in
    // key order) are fetched, and a sort on another target orders just those.
    this.cap = (this.natural || (q.sort_order === Order.NONE && !this.filtered)) && limit > 0 ? limit + 1 : Infinity
    this.sortKeys =
      !this.natural && (target === Target.VERSION || target === Target.CREATE || target === Target.MOD) ? [] : null
  }

  readonly visit = (ki: KeyIndex): void => {
    if (!ki.get(this.atRev, look)) return
    const plan = this.plan
    const q = this.q
    plan.count++
    if (q.count_only || plan.mains.length >= this.cap) return
    if (this.filtered) {
      if (q.max_mod_revision !== 0 && look.main > q.max_mod_revision) return
      if (q.min_mod_revision !== 0 && look.main < q.min_mod_revision) return
      if (q.max_create_revision !== 0 && look.created > q.max_create_revision) return
      if (q.min_create_revision !== 0 && look.created < q.min_create_revision) return
    }
    plan.mains.push(look.main)
    plan.subs.push(look.sub)
    const target = this.target
    if (this.sortKeys !== null)
      this.sortKeys.push(target === Target.VERSION ? look.version : target === Target.CREATE ? look.created : look.main)
  }

  finish(): RangePlan {
    const plan = this.plan
    const { mains, subs } = plan
    const limit = plan.limit
    const sortKeys = this.sortKeys
    if (this.natural || this.q.count_only) {
      cutTo(plan, limit)
      return plan
    }
    if (this.target === Target.VALUE) {
      plan.valueOrder = this.order
      return plan
    }
    if (sortKeys === null) {
      // KEY DESCEND
      mains.reverse()
      subs.reverse()
    } else {
      const perm = mains.map((_, i) => i)
      if (this.order === Order.ASCEND) perm.sort((a, b) => sortKeys[a] - sortKeys[b])
      else perm.sort((a, b) => sortKeys[b] - sortKeys[a])
      plan.mains = perm.map((i) => mains[i])
      plan.subs = perm.map((i) => subs[i])
    }
    cutTo(plan, limit)
    return plan
  }
}

export function planRange(index: TreeIndex, q: RangeQuery, atRev: number): RangePlan {
  const planner = new RangePlanner(q, atRev)
  visitRange(index, q.key, q.range_end, planner.visit)
  return planner.finish()
}

function cutTo(plan: RangePlan, limit: number): void {
  if (limit > 0 && plan.mains.length > limit) {
    plan.mains.length = limit
    plan.subs.length = limit
    plan.more = true
  }
}

/** A response header carrying only the revision; the server fills in the rest. */
export function responseHeader(revision: number): NonNullable<RangeResponse['header']> {
  return { cluster_id: 0n, member_id: 0n, revision, raft_term: 0n }
}

/**
 * A Range result. A large one may carry its KeyValues as the stored records, already written
 * as the response's `kvs` fields (`kvsFields`, in order, in chunks of many records, with `kvs`
 * empty): they go to the client without being decoded and encoded again.
 */
export interface RangeResult extends RangeResponse {
  kvsFields?: Buffer[]
}

/** Tag of RangeResponse.kvs (field 2, length-delimited). */
const KVS_TAG = 18

/**
 * Encoded KeyValue records as RangeResponse `kvs` fields (tag, length, record each), in one
 * buffer: a large range keeps one buffer per chunk read instead of one per record.
 */
export function kvsFields(records: readonly Uint8Array[]): Buffer {
  let size = 0
  for (const r of records) size += 1 + sizeBytes(r)
  const w = new Writer(size)
  for (const r of records) {
    w.byte(KVS_TAG)
    w.bytes(r)
  }
  return w.finish()
}

/** Builds the response from the records read for `plan` (in plan order). */
export function finishRange(plan: RangePlan, read: KeyValue[], q: RangeQuery, headerRevision: number): RangeResponse {
  let kvs = read
  let more = plan.more
  if (plan.valueOrder !== 0) {
    if (plan.valueOrder === Order.ASCEND) kvs.sort((a, b) => Buffer.compare(a.value, b.value))
    else kvs.sort((a, b) => Buffer.compare(b.value, a.value))
    if (plan.limit > 0 && kvs.length > plan.limit) {
      kvs = kvs.slice(0, plan.limit)
      more = true
    }
  }
  if (q.keys_only) {
    kvs = kvs.map((kv) => ({
      key: kv.key,
      create_revision: kv.create_revision,
      mod_revision: kv.mod_revision,
      version: kv.version,
      value: EMPTY,
      lease: kv.lease,
    }))
  }
  return { header: responseHeader(headerRevision), kvs, more, count: plan.count }
}
