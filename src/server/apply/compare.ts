/**
 * Txn compares (etcd's applyCompare): every key in the compare's range must satisfy it.
 * When no key exists, VERSION / CREATE / MOD / LEASE compare against 0 and VALUE fails
 * (a missing value cannot be told from an empty one).
 */
import {
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  type Compare,
} from '../../gen/etcdserverpb.js'
import type { KeyValue } from '../../gen/mvccpb.js'
import { EMPTY } from '../../proto/wire.js'
import type { StoreTxn } from '../mvcc/txn.js'

function holds(result: number, cmp: number): boolean {
  switch (result) {
    case Result.EQUAL:
      return cmp === 0
    case Result.NOT_EQUAL:
      return cmp !== 0
    case Result.GREATER:
      return cmp > 0
    case Result.LESS:
      return cmp < 0
    default:
      return true
  }
}

function sign(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareValue(c: Compare, kv: KeyValue): number {
  if (c.target === Target.VALUE) return Buffer.compare(kv.value, c.value ?? EMPTY)
  return sign(kv.lease, c.lease ?? 0n)
}

/** True if compare `c` holds in the view of transaction `t`. */
export function evalCompare(t: StoreTxn, c: Compare): boolean {
  const target = c.target
  if (target === Target.VALUE || target === Target.LEASE) {
    const kvs = t.rangeKvs(c.key, c.range_end)
    if (kvs.length === 0) return target === Target.LEASE && holds(c.result, sign(0n, c.lease ?? 0n))
    for (const kv of kvs) if (!holds(c.result, compareValue(c, kv))) return false
    return true
  }
  let want: number
  let pick: 0 | 1 | 2
  if (target === Target.VERSION) {
    want = c.version ?? 0
    pick = 2
  } else if (target === Target.CREATE) {
    want = c.create_revision ?? 0
    pick = 0
  } else if (target === Target.MOD) {
    want = c.mod_revision ?? 0
    pick = 1
  } else {
    return holds(c.result, 0) // unknown target: etcd compares nothing
  }
  let ok = true
  const seen = t.forEachRevision(c.key, c.range_end, (created, modified, version) => {
    const v = pick === 0 ? created : pick === 1 ? modified : version
    if (!holds(c.result, sign(v, want))) {
      ok = false
      return false
    }
    return true
  })
  return seen === 0 ? holds(c.result, sign(0, want)) : ok
}

export function evalCompares(t: StoreTxn, cs: readonly Compare[]): boolean {
  for (const c of cs) if (!evalCompare(t, c)) return false
  return true
}
