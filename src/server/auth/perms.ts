/**
 * A user's key permissions merged over all its roles (etcd's unifiedRangePermissions): the
 * read and the write intervals. A permission on one key is the interval [key, key+"\0"), a
 * range one [key, range_end), a from-key one (range_end "\0") [key, ∞). A request is
 * permitted when the union of the user's intervals of its kind covers the request's interval.
 */
import { Permission_Type, type Permission } from '../../gen/authpb.js'

/** [start, end); end undefined: no upper bound. */
interface Interval {
  start: Buffer
  end: Buffer | undefined
}

const ZERO = Buffer.from([0])

/** The interval a key (empty or absent range end), a range, or a from-key range ("\0") covers. */
export function keyInterval(key: Uint8Array, rangeEnd?: Uint8Array): Interval {
  const k = Buffer.from(key)
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start: k, end: Buffer.concat([k, ZERO]) }
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: k, end: undefined }
  return { start: k, end: Buffer.from(rangeEnd) }
}

/** Whether the union of `ivs` (sorted by start) covers `want`. */
function covers(ivs: readonly Interval[], want: Interval): boolean {
  // An empty or inverted range asks for nothing, but etcd still wants it inside some interval.
  if (want.end !== undefined && Buffer.compare(want.start, want.end) >= 0) {
    return ivs.some(
      (iv) =>
        Buffer.compare(iv.start, want.start) <= 0 && (iv.end === undefined || Buffer.compare(want.start, iv.end) < 0),
    )
  }
  let cur = want.start
  for (const iv of ivs) {
    if (Buffer.compare(iv.start, cur) > 0) break
    if (iv.end === undefined) return true
    if (Buffer.compare(iv.end, cur) > 0) {
      cur = iv.end
      if (want.end !== undefined && Buffer.compare(cur, want.end) >= 0) return true
    }
  }
  return false
}

export class RangePermissions {
  private readonly read: Interval[] = []
  private readonly write: Interval[] = []

  constructor(perms: Iterable<Permission>) {
    for (const p of perms) {
      const iv = keyInterval(p.key, p.range_end)
      if (p.permType === Permission_Type.READ || p.permType === Permission_Type.READWRITE) this.read.push(iv)
      if (p.permType === Permission_Type.WRITE || p.permType === Permission_Type.READWRITE) this.write.push(iv)
    }
    const byStart = (a: Interval, b: Interval) => Buffer.compare(a.start, b.start)
    this.read.sort(byStart)
    this.write.sort(byStart)
  }

  permits(write: boolean, key: Uint8Array, rangeEnd?: Uint8Array): boolean {
    return covers(write ? this.write : this.read, keyInterval(key, rangeEnd))
  }
}
