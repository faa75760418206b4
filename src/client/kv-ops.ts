/**
 * Request builders with clientv3's option semantics (WithPrefix, WithFromKey, WithSort …),
 * shared by the get/put/del commands and the txn grammar.
 */
import type { DeleteRangeRequestInit, PutRequestInit, RangeRequestInit } from '../gen/etcdserverpb.js'

/** range_end "\0": every key >= key. */
export const FROM_KEY_END = Buffer.from([0])

/** The smallest key greater than every key with this prefix; "\0" when none exists (all 0xff). */
export function prefixEnd(prefix: Uint8Array): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1))
      end[i]++
      return end
    }
  }
  return FROM_KEY_END
}

export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const
export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const

export interface RangeOptions {
  rangeEnd?: string
  prefix?: boolean
  fromKey?: boolean
  limit?: number
  rev?: number
  sortTarget?: number
  sortOrder?: number
  serializable?: boolean
  keysOnly?: boolean
  countOnly?: boolean
}

/** Applies etcdctl's key rules: an empty key with --prefix or --from-key means "\0". */
function keyAndEnd(
  key: string,
  o: { rangeEnd?: string; prefix?: boolean; fromKey?: boolean },
): { key: Buffer; range_end?: Buffer } {
  let k = Buffer.from(key)
  let end: Buffer | undefined = o.rangeEnd !== undefined ? Buffer.from(o.rangeEnd) : undefined
  if (o.prefix) {
    if (k.length === 0) {
      k = Buffer.from([0])
      end = FROM_KEY_END
    } else end = prefixEnd(k)
  }
  if (o.fromKey) {
    if (k.length === 0) k = Buffer.from([0])
    end = FROM_KEY_END
  }
  return { key: k, range_end: end }
}

export function rangeRequest(key: string, o: RangeOptions = {}): RangeRequestInit {
  let order = o.sortOrder ?? SortOrder.NONE
  const target = o.sortTarget ?? SortTarget.KEY
  // The server returns keys ascending by default; asking for it would make it sort everything.
  if (target === SortTarget.KEY && order === SortOrder.ASCEND) order = SortOrder.NONE
  return {
    ...keyAndEnd(key, o),
    limit: o.limit ?? 0,
    revision: o.rev ?? 0,
    sort_order: order,
    sort_target: target,
    serializable: !!o.serializable,
    keys_only: !!o.keysOnly,
    count_only: !!o.countOnly,
  }
}

export interface PutOptions {
  lease?: bigint
  prevKv?: boolean
  ignoreValue?: boolean
  ignoreLease?: boolean
}

export function putRequest(key: string, value: string | Buffer, o: PutOptions = {}): PutRequestInit {
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    lease: o.lease ?? 0n,
    prev_kv: !!o.prevKv,
    ignore_value: !!o.ignoreValue,
    ignore_lease: !!o.ignoreLease,
  }
}

export interface DeleteOptions {
  rangeEnd?: string
  prefix?: boolean
  fromKey?: boolean
  prevKv?: boolean
}

export function deleteRequest(key: string, o: DeleteOptions = {}): DeleteRangeRequestInit {
  return { ...keyAndEnd(key, o), prev_kv: !!o.prevKv }
}

/** etcdctl parses lease IDs as hex into a signed 64-bit integer. */
export function parseLeaseHex(text: string): bigint | undefined {
  if (!/^[+-]?[0-9a-fA-F]+$/.test(text)) return undefined
  const neg = text.startsWith('-')
  const v = BigInt('0x' + text.replace(/^[+-]/, ''))
  const signed = neg ? -v : v
  if (signed > 0x7fffffffffffffffn || signed < -0x8000000000000000n) return undefined
  return signed
}
