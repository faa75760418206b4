/** etcdctl's lease arguments: IDs in hex, TTLs in decimal, with etcdctl's error texts. */
import { parseInt64 } from '../go/strconv.js'

/** etcdctl's leaseFromArgs: a hex int64; the error text when it is not one. */
export function parseLeaseId(arg: string): { id: bigint } | { error: string } {
  const r = parseInt64(arg, 16)
  if (r.err !== undefined) return { error: `bad lease ID arg (${r.err}), expecting ID in Hex` }
  return { id: r.value }
}

/** `lease grant`'s TTL: a decimal int64. */
export function parseTTL(arg: string): { ttl: number } | { error: string } {
  const r = parseInt64(arg, 10)
  if (r.err !== undefined) return { error: `bad TTL (${r.err})` }
  return { ttl: Number(r.value) }
}
