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
import { EMPTY } from '../../proto/wire.js'
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

export function planRange(index: TreeIndex, q: RangeQuery, atRev: number): RangePlan {
  const plan = new RangePlan()
  const limit = q.limit > 0 ? q.limit : 0
  plan.limit = limit
  let order = q.sort_order
  const target = q.sort_target
  if (target !== Target.KEY && order === Order.NONE) order = Order.ASCEND
  const known = target >= Target.KEY && target <= Target.VALUE && order >= Order.NONE && order <= Order.DESCEND
  const natural = !known || order === Order.NONE || (order === Order.ASCEND && target === Target.KEY)
  const minMod = q.min_mod_revision
  const maxMod = q.max_mod_revision
  const minCreate = q.min_create_revision
  const maxCreate = q.max_create_revision
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0
  // As etcd: with no order asked for and no revision filter, only the first limit+1 keys (in
  // key order) are fetched, and a sort on another target orders just those.
  const cap = (natural || (q.sort_order === Order.NONE && !filtered)) && limit > 0 ? limit + 1 : Infinity
  const countOnly = q.count_only
  const sortKeys: number[] | null =
    !natural && (target === Target.VERSION || target === Target.CREATE || target === Target.MOD) ? [] : null
  const { mains, subs } = plan

  visitRange(index, q.key, q.range_end, (ki) => {
    if (!ki.get(atRev, look)) return
    plan.count++
    if (countOnly || mains.length >= cap) return
    if (filtered) {
      if (maxMod !== 0 && look.main > maxMod) return
      if (minMod !== 0 && look.main < minMod) return
      if (maxCreate !== 0 && look.created > maxCreate) return
      if (minCreate !== 0 && look.created < minCreate) return
    }
    mains.push(look.main)
    subs.push(look.sub)
    if (sortKeys !== null)
      sortKeys.push(target === Target.VERSION ? look.version : target === Target.CREATE ? look.created : look.main)
  })

  if (natural || countOnly) {
    cutTo(plan, limit)
    return plan
  }
  if (target === Target.VALUE) {
    plan.valueOrder = order
    return plan
  }
  if (sortKeys === null) {
    // KEY DESCEND
    mains.reverse()
    subs.reverse()
  } else {
    const perm = mains.map((_, i) => i)
    if (order === Order.ASCEND) perm.sort((a, b) => sortKeys[a] - sortKeys[b])
    else perm.sort((a, b) => sortKeys[b] - sortKeys[a])
    plan.mains = perm.map((i) => mains[i])
    plan.subs = perm.map((i) => subs[i])
  }
  cutTo(plan, limit)
  return plan
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
